"""Set-returning JSON functions with one output column: json(b)_array_elements,
json(b)_array_elements_text, json(b)_object_keys. json keeps each element's text as
written; jsonb prints it normalised.
"""

from __future__ import annotations

import json

from pgsvc.errors import SqlError
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.jsontext import dumps_jsonb, loads

_DECODER = json.JSONDecoder()


def _spans(text: str, open_char: str):
    """The source text of each element of a JSON array (or each key of an object)."""
    i = _skip(text, 0)
    if text[i:i + 1] != open_char:
        return None
    i = _skip(text, i + 1)
    if text[i:i + 1] in ("]", "}"):
        return
    while True:
        if open_char == "{":
            key, i = _DECODER.raw_decode(text, i)
            i = _skip(text, i) + 1  # the colon
            i = _skip(text, i)
            _, end = _DECODER.raw_decode(text, i)
            yield key
        else:
            _, end = _DECODER.raw_decode(text, i)
            yield text[i:end]
        i = _skip(text, end)
        if text[i:i + 1] != ",":
            return
        i = _skip(text, i + 1)


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\n\r":
        i += 1
    return i


def array_elements(jsonb: bool, as_text: bool, fn: str):
    def rows(text):
        if text is None:
            return
        value = loads(text)
        if not isinstance(value, list):
            if jsonb:
                what = "a scalar" if not isinstance(value, dict) else "an object"
                raise SqlError("22023", f"cannot extract elements from {what}")
            what = "a scalar" if not isinstance(value, dict) else "a non-array"
            raise SqlError("22023", f"cannot call {fn} on {what}")
        if jsonb:
            for v in value:
                yield (None if v is None else v if isinstance(v, str) else dumps_jsonb(v)) if as_text \
                    else dumps_jsonb(v)
            return
        for span in _spans(text, "["):  # json: each element's text as written
            yield _span_text(span) if as_text else span
    return rows


def _span_text(span: str):
    """The _text variants: strings unquoted, null as NULL, anything else as written."""
    if span.startswith('"'):
        return json.loads(span)
    return None if span == "null" else span


def object_keys(fn: str):
    def rows(text):
        if text is None:
            return
        value = loads(text)
        if not isinstance(value, dict):
            what = "a scalar" if not isinstance(value, list) else "an array"
            raise SqlError("22023", f"cannot call {fn} on {what}")
        yield from value.keys()
    return rows


def json_set_sigs() -> list[FuncSig]:
    out = []
    for t, pre in ((O.JSON, "json"), (O.JSONB, "jsonb")):
        jb = t == O.JSONB
        out.append(FuncSig(f"{pre}_array_elements", (t,), t, "", kind="set",
                           generator=array_elements(jb, False, f"{pre}_array_elements")))
        out.append(FuncSig(f"{pre}_array_elements_text", (t,), O.TEXT, "", kind="set",
                           generator=array_elements(jb, True, f"{pre}_array_elements_text")))
        out.append(FuncSig(f"{pre}_object_keys", (t,), O.TEXT, "", kind="set",
                           generator=object_keys(f"{pre}_object_keys")))
    return out
