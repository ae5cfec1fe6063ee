"""json[b]_populate_record: a composite filled from a JSON object as jsonfuncs.c's
populate_record does it: each field from the member of its name (absent members keep the
base record's field), JSON null as NULL, strings as their text, other scalars as written,
JSON arrays into array fields (dimensions from the first elements, "expected JSON array"
and "malformed JSON array" errors), objects into composite fields, and everything else as
its JSON text given to the field type's input.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pgsvc.errors import SqlError
from pgsvc.sql.functions import json_raw
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.composite import CANON, fields_of, format_record, parse_record
from pgsvc.sql.types.jsontext import dumps_jsonb, loads
from pgsvc.sql.types.numeric import format_numeric
from pgsvc.sql.types.pg_type import find_oid, format_type
from pgsvc.sql.types.textio import text_decoder, text_encoder
from pgsvc.sql.types.typmod import apply_typmod


def _scalar_text(v: Any) -> str:
    if isinstance(v, str):
        return v
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, Decimal):
        return format_numeric(v)
    return dumps_jsonb(v)


def _quote_elem(t: str | None) -> str:
    if t is None:
        return "NULL"
    if t == "" or t.upper() == "NULL" or any(c in t for c in '{},"\\ \t\n\r\f\v'):
        return '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return t


def _expected_array(key: str, path: list[int]) -> SqlError:
    where = "".join(f"[{i}]" for i in path)
    hint = f'See the array element {where} of key "{key}".' if path else f'See the value of key "{key}".'
    return SqlError("22P02", "expected JSON array", hint=hint)


def _array_text(v: Any, elem: int, key: str) -> str:
    if not isinstance(v, list):
        raise _expected_array(key, [])
    ndims, x = 0, v
    while isinstance(x, list):
        ndims += 1
        if not x:
            break
        x = x[0]
    shape: dict[int, int] = {}

    def walk(node: Any, depth: int, path: list[int]) -> str:
        if depth < ndims:
            if not isinstance(node, list):
                raise _expected_array(key, path)
            if shape.setdefault(depth, len(node)) != len(node):
                raise SqlError("22P02", "malformed JSON array",
                               detail="Multidimensional arrays must have sub-arrays with matching dimensions.")
            return "{" + ",".join(walk(c, depth + 1, path + [i]) for i, c in enumerate(node)) + "}"
        return _quote_elem(_value_text(node, elem, key, None))

    text = walk(v, 0, [])
    return "{}" if text.replace("{", "").replace("}", "").replace(",", "") == "" else text


def _value_text(v: Any, oid: int, key: str, raw: str | None) -> str | None:
    """The text a JSON value gives a field (or element) of type oid, before its input."""
    if v is None:
        return None
    base = U.base_of(oid)
    if base in (O.JSON, O.JSONB):
        return raw if raw is not None and base == O.JSON else dumps_jsonb(v)
    t = find_oid(base)
    if t is not None and t.category == "A" and t.elem_oid and not isinstance(v, str):
        return _array_text(v, t.elem_oid, key)
    if fields_of(base):
        if isinstance(v, str):
            return v
        return _record_text(v, base)
    if isinstance(v, (dict, list)):
        return raw if raw is not None else dumps_jsonb(v)
    return _scalar_text(v)


def _record_text(doc: Any, oid: int, base_rec: str | None = None, raw_doc: str | None = None) -> str:
    if not isinstance(doc, dict):
        what = "an array" if isinstance(doc, list) else "a scalar"
        raise SqlError("22023", f"cannot call populate_composite on {what}")
    fields = fields_of(oid)
    texts = parse_record(base_rec, len(fields)) if base_rec is not None else [None] * len(fields)
    for i, (name, ftype, typmod) in enumerate(fields):
        if name not in doc:
            if base_rec is None:
                _check_not_null(ftype)
            continue
        raw = json_raw.get(raw_doc, name) if raw_doc is not None and isinstance(doc[name], (dict, list)) else None
        text = _value_text(doc[name], ftype, name, raw)
        if text is None:
            _check_not_null(ftype)
        texts[i] = None if text is None else _canonical(ftype, text, typmod)
    return format_record(texts)


def _check_not_null(oid: int) -> None:
    """A NULL field of a NOT NULL domain (or one over such a domain): domain_check's error."""
    ut = U.find(oid)
    while ut is not None and ut.typtype == "d":
        if ut.notnull:
            raise SqlError("23502", f"domain {format_type(oid, -1)} does not allow null values")
        ut = U.find(ut.basetype)


def _canonical(oid: int, text: str, typmod: int = -1) -> str:
    """The field's text as its type's input reads it (with its typmod), in the canonical settings."""
    base = U.base_of(oid)
    value = text_decoder(base, CANON)(text)
    if typmod is not None and typmod >= 0:
        value = apply_typmod(base, value, typmod)
    return text_encoder(base, CANON)(value)


def populate_record(base, doc, oid, jsonb):
    comp = U.base_of(int(oid))
    if not fields_of(comp):
        fn = "jsonb_populate_record" if jsonb else "json_populate_record"
        if comp == O.RECORD:
            raise SqlError("0A000", f"could not determine row type for result of {fn}",
                           hint="Provide a non-null record argument, or call the function in the FROM clause "
                                "using a column definition list.")
        raise SqlError("42804", f"first argument of {fn} must be a row type")
    if doc is None:
        return base
    value = loads(doc)
    return _record_text(value, comp, base, None if jsonb else doc)


def json_record_sigs() -> list[FuncSig]:
    E = O.ANYELEMENT
    return [FuncSig("json_populate_record", (E, O.JSON), E,
                    "pgsvc_json_populate_record({0}, {1}, {argtype0}, 0)", strict=False, volatility="s"),
            FuncSig("jsonb_populate_record", (E, O.JSONB), E,
                    "pgsvc_json_populate_record({0}, {1}, {argtype0}, 1)", strict=False, volatility="s")]


def make_udfs() -> dict:
    return {"pgsvc_json_populate_record": (4, populate_record), "pgsvc_json_to_records": (-1, to_records),
            "pgsvc_json_each_rows": (4, each_rows)}



def _record_texts(doc: Any, fields: list, raw_doc: str | None, base: list) -> list:
    if not isinstance(doc, dict):
        what = "an array" if isinstance(doc, list) else "a scalar"
        raise SqlError("22023", f"cannot call populate_composite on {what}")
    out = list(base)
    for i, (name, oid) in enumerate(fields):
        if name in doc:
            v = doc[name]
            raw = json_raw.get(raw_doc, name) if raw_doc is not None and isinstance(v, (dict, list)) else None
            out[i] = _value_text(v, oid, name, raw)
    return out


def to_records(doc, spec, jsonb, many, fn, base=None):
    """json[b]_to_record[set] / json[b]_populate_recordset in FROM: the rows as a JSON array
    of arrays of field texts (each read by its column type's input in SQL)."""
    if doc is None:
        return "[]"
    fields = json.loads(spec)
    base_texts = parse_record(base, len(fields)) if base is not None else [None] * len(fields)
    value = loads(doc)
    if not many:
        return json.dumps([_record_texts(value, fields, None if jsonb else doc, base_texts)])
    if not isinstance(value, list):
        raise SqlError("22023", f"cannot call {fn} on {'an object' if isinstance(value, dict) else 'a scalar'}")
    raws = [None] * len(value)
    if not jsonb:
        raws = [json_raw.get(doc, i) for i in range(len(value))]
    rows = []
    for v, raw in zip(value, raws):
        if not isinstance(v, dict):
            raise SqlError("22023", "argument of %s must be an array of objects" % fn)
        rows.append(_record_texts(v, fields, raw, base_texts))
    return json.dumps(rows)


_DECODER = json.JSONDecoder()


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\n\r":
        i += 1
    return i


def _raw_pairs(text: str):
    """The members of a json object as written: (key, value text), duplicates kept."""
    i = _skip(text, _skip(text, 0) + 1)
    if text[i:i + 1] == "}":
        return
    while True:
        key, i = _DECODER.raw_decode(text, i)
        i = _skip(text, _skip(text, i) + 1)
        _, end = _DECODER.raw_decode(text, i)
        yield key, text[i:end]
        i = _skip(text, end)
        if text[i:i + 1] != ",":
            return
        i = _skip(text, i + 1)


def each_rows(doc, jsonb, as_text, fn):
    """json[b]_each[_text] in FROM: [key, value text] rows as a JSON array."""
    if doc is None:
        return "[]"
    value = loads(doc)
    if not isinstance(value, dict):
        if jsonb:
            raise SqlError("22023", f"cannot call {fn} on a non-object")
        raise SqlError("22023", "cannot deconstruct an array as an object" if isinstance(value, list)
                       else "cannot deconstruct a scalar")
    if jsonb:
        pairs = [(k, value[k]) for k in sorted(value, key=lambda s: (len(s.encode()), s.encode()))]
        if as_text:
            return json.dumps([[k, None if v is None else v if isinstance(v, str) else dumps_jsonb(v)]
                               for k, v in pairs])
        return json.dumps([[k, dumps_jsonb(v)] for k, v in pairs])
    rows = []
    for k, raw in _raw_pairs(doc):
        if as_text:
            raw = None if raw == "null" else loads(raw) if raw.startswith('"') else raw
        rows.append([k, raw])
    return json.dumps(rows)
