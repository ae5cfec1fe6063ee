"""ARRAY[...] of more elements than an SQLite function takes arguments (127): the translator
builds json_array() of each run of elements and joins the pieces with pgsvc_json_concat,
which splices SQLite's own compact JSON texts (no parse: numbers keep their exact text).
"""

from __future__ import annotations

MAX_ARGS = 100  # under SQLITE_MAX_FUNCTION_ARG (127)


def json_concat(*parts):
    if any(p is None for p in parts):
        return None
    inner = [p[1:-1] for p in parts if p != "[]"]
    return "[" + ",".join(inner) + "]"


def make_udfs() -> dict:
    return {"pgsvc_json_concat": (-1, json_concat)}
