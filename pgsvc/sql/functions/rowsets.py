"""Rows carried through JSON for LATERAL: SQLite's FROM subqueries cannot read the FROM
items before them, but its table-valued json_each can take an argument that does (even a
correlated scalar subquery). So a LATERAL subquery or set-returning function becomes
json_each over a JSON array holding its rows, computed for each row on its left.

Values are packed so that they come back exactly as SQLite stored them: integers and
text as JSON, reals tagged with their repr (JSON would round them), blobs as hex.

UDFs:
  pgsvc_rowpack(v0, v1, ...)      one row as a JSON array
  pgsvc_rowcol(row_json, i)       column i of a packed row, as the stored value
  pgsvc_srf_rows(name, oids, ...) a set-returning function's rows as a JSON array of packed
                                  one-column rows (arguments and results in stored form)
"""

from __future__ import annotations

import json
from functools import lru_cache

from pgsvc.errors import SqlError
from pgsvc.sql.functions.context import checking_interrupts
from pgsvc.sql.functions.library import FUNCTIONS
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types.pg_type import find_oid


def _pack_value(v):
    if isinstance(v, float):
        return {"f": repr(v)}
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"b": bytes(v).hex()}
    return v


def _unpack_value(v):
    if isinstance(v, dict):
        return float(v["f"]) if "f" in v else bytes.fromhex(v["b"])
    return v


def rowpack(*values) -> str:
    return json.dumps([_pack_value(v) for v in values], ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=256)
def _row(text: str) -> tuple:
    return tuple(_unpack_value(v) for v in json.loads(text))


def rowcol(text, i):
    if text is None:
        return None  # the NULL-extended side of LEFT JOIN LATERAL
    return _row(text)[i]


def srf_rows(name: str, oids: str, *args, cancel_flag=lambda: None) -> str:
    """Run the set-returning function `name` (argument types `oids`, comma-separated) over
    stored-form arguments; its rows as a JSON array of packed one-value rows. The
    generator's loop checks for interrupts (a series without end is stopped by
    statement_timeout, a cancel, pg_terminate_backend)."""
    arg_oids = tuple(int(o) for o in oids.split(",") if o)
    sig = _find_set_function(FUNCTIONS, name, arg_oids)
    if any(a is None for a in args) and sig.strict:
        return "[]"
    values = [sqlite_adapter(o)[1](a) if a is not None and sqlite_adapter(o)[1] else a
              for o, a in zip(arg_oids, args)]
    ret = _result_type(sig.ret_oid, arg_oids, find_oid)
    to_stored = sqlite_adapter(ret)[0]
    out = []
    for v in checking_interrupts(sig.generator(*values), cancel_flag):
        out.append(rowpack(to_stored(v) if to_stored and v is not None else v))
    return "[" + ",".join(out) + "]"


def _find_set_function(functions, name: str, arg_oids: tuple):
    for sig in functions.get(name, ()):
        if sig.kind == "set" and sig.generator is not None and len(sig.arg_oids) == len(arg_oids) and all(
                s == a or s in O.ANY_OIDS for s, a in zip(sig.arg_oids, arg_oids)):
            return sig
    raise SqlError("XX000", f"set-returning function {name} not found")


def _result_type(ret: int, arg_oids: tuple, find_oid) -> int:
    if ret in O.ANY_OIDS and arg_oids:
        t = find_oid(arg_oids[0])
        if ret == O.ANYELEMENT and t is not None and t.elem_oid:
            return t.elem_oid
    return ret


def make_udfs(ctx) -> dict:
    return {
        "pgsvc_rowpack": (-1, rowpack),
        "pgsvc_rowcol": (2, rowcol),
        "pgsvc_srf_rows": (-1, lambda name, oids, *args: srf_rows(name, oids, *args,
                                                                  cancel_flag=ctx.cancel_flag)),
    }
