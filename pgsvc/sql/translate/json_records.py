"""json[b]_to_record / json[b]_to_recordset with a column definition list, and
json[b]_populate_recordset, in FROM: the rows the UDF pgsvc_json_to_records makes (JSON
arrays of field texts), each field read by its column type's input as a cast does it.
"""

from __future__ import annotations

import json

from pgsvc.errors import SqlError
from pgsvc.sql.translate.ex import Ex, location
from pgsvc.sql.translate.names import ColInfo
from pgsvc.sql.translate.typenames import type_from_typename
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.composite import fields_of
from pgsvc.sql.types.pg_type import format_type

_EACH = ("json_each", "jsonb_each", "json_each_text", "jsonb_each_text")
_ELEMENTS = ("json_array_elements", "jsonb_array_elements", "json_array_elements_text", "jsonb_array_elements_text")
NAMES = ("json_to_record", "jsonb_to_record", "json_to_recordset", "jsonb_to_recordset",
         "json_populate_recordset", "jsonb_populate_recordset", "json_populate_record", "jsonb_populate_record",
         *_EACH, *_ELEMENTS)


def json_record_item(tr, node, call, name: str, alias) -> str:
    jsonb = name.startswith("jsonb")
    many = name.endswith("set")
    pos = location(call)
    args = [tr.expr(a) for a in call.args or ()]
    if name in _EACH:
        return _each_item(tr, name, args, alias, pos)
    if name in _ELEMENTS:
        if '"' in "".join(a.sql for a in args):  # over other FROM items: as before (translate.lateral)
            return tr.lateral_function(node, call, name, alias, args)
        return _elements_item(tr, name, args, alias, pos)
    coldefs = node.coldeflist or node.functions[0][1]
    base = None
    if "populate_record" in name:
        if len(args) != 2:
            raise SqlError("42883", f"function {name} with {len(args)} arguments does not exist", position=pos)
        comp = U.base_of(args[0].oid)
        if comp == O.RECORD and coldefs:  # an anonymous record: the column definition list's columns
            cols = [(cd.colname, *type_from_typename(cd.typeName, tr)) for cd in coldefs]
            _check_row(args[0], cols)
        elif not fields_of(comp):
            if comp == O.RECORD:
                raise SqlError("0A000", f"could not determine row type for result of {name}",
                               hint="Provide a non-null record argument, or call the function in the FROM clause "
                                    "using a column definition list.", position=pos)
            raise SqlError("42804", f"first argument of {name} must be a row type", position=pos)
        else:
            cols = [(f[0], f[1], f[2]) for f in fields_of(comp)]
        base, doc = args[0], args[1]
    else:
        if len(args) != 1:
            raise SqlError("42883", f"function {name} with {len(args)} arguments does not exist", position=pos)
        if not coldefs:
            raise SqlError("42601", "a column definition list is required for functions returning \"record\"",
                           position=pos)
        cols = []
        for cd in coldefs:
            oid, typmod = type_from_typename(cd.typeName, tr)
            cols.append((cd.colname, oid, typmod))
        doc = args[0]
    if any('"' in a.sql for a in args):
        raise SqlError("0A000", f"{name}() over columns of other FROM items is not supported", position=pos)
    doc = tr.coerce(doc, O.JSONB if jsonb else O.JSON)
    spec = json.dumps([[c[0], c[1]] for c in cols]).replace("'", "''")
    rows = (f"pgsvc_json_to_records({doc.sql}, '{spec}', {int(jsonb)}, {int(many)}, '{name}'"
            + (f", {base.sql})" if base is not None else ")"))
    exprs, infos = [], []
    for i, (cname, oid, typmod) in enumerate(cols):
        text = Ex(f"json_extract(r.value, '$[{i}]')", O.TEXT)
        ex = tr.coerce(text, oid, typmod, context="e") if oid != O.TEXT else text
        exprs.append(f"{ex.sql} AS c{i}")
        infos.append(ColInfo(cname, oid, typmod if typmod is not None else -1))
    sql = f"(SELECT {', '.join(exprs)} FROM json_each({rows}) AS r ORDER BY r.key)"
    return tr.add_derived(alias, infos, sql)


def _each_item(tr, name: str, args: list, alias, pos) -> str:
    """json[b]_each[_text]: (key text, value json / jsonb / text) rows."""
    jsonb, as_text = name.startswith("jsonb"), name.endswith("_text")
    if len(args) != 1:
        raise SqlError("42883", f"function {name} with {len(args)} arguments does not exist", position=pos)
    if '"' in args[0].sql:
        raise SqlError("0A000", f"{name}() over columns of other FROM items is not supported", position=pos)
    doc = tr.coerce(args[0], O.JSONB if jsonb else O.JSON)
    rows = f"pgsvc_json_each_rows({doc.sql}, {int(jsonb)}, {int(as_text)}, '{name}')"
    vtype = O.TEXT if as_text else O.JSONB if jsonb else O.JSON
    sql = (f"(SELECT json_extract(r.value, '$[0]') AS c0, json_extract(r.value, '$[1]') AS c1 "
           f"FROM json_each({rows}) AS r ORDER BY r.key)")
    return tr.add_derived(alias, [ColInfo("key", O.TEXT), ColInfo("value", vtype)], sql)


def _check_row(row: Ex, cols: list) -> None:
    """A ROW(...) argument against the column definition list (tupledesc_match's errors)."""
    types = [t for t in (row.row_types or ()) if t is not None] if not row.is_null else []
    if not types:
        return
    if len(types) != len(cols):
        n = len(types)
        raise SqlError("42804", "function return row and query-specified return row do not match",
                       detail=f"Returned row contains {n} attribute{'s' if n != 1 else ''}, but query expects "
                              f"{len(cols)}.")
    for i, (t, c) in enumerate(zip(types, cols)):
        if t != c[1]:
            raise SqlError("42804", "function return row and query-specified return row do not match",
                           detail=f"Returned type {format_type(t, -1)} at ordinal position {i + 1}, but query "
                                  f"expects {format_type(c[1], -1)}.")


def _elements_item(tr, name: str, args: list, alias, pos) -> str:
    """json[b]_array_elements[_text]: one column named value (its OUT parameter)."""
    if len(args) != 1:
        raise SqlError("42883", f"function {name} with {len(args)} arguments does not exist", position=pos)
    jsonb = name.startswith("jsonb")
    doc = tr.coerce(args[0], O.JSONB if jsonb else O.JSON)
    vtype = O.TEXT if name.endswith("_text") else O.JSONB if jsonb else O.JSON
    sql = f"(SELECT r.value AS c0 FROM json_each(pgsvc_json_srf_texts('{name}', {doc.sql})) AS r ORDER BY r.key)"
    return tr.add_derived(alias, [ColInfo("value", vtype)], sql)
