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

_EACH = ("json_each", "jsonb_each", "json_each_text", "jsonb_each_text")
NAMES = ("json_to_record", "jsonb_to_record", "json_to_recordset", "jsonb_to_recordset",
         "json_populate_recordset", "jsonb_populate_recordset", *_EACH)


def json_record_item(tr, node, call, name: str, alias) -> str:
    jsonb = name.startswith("jsonb")
    many = name.endswith("set")
    pos = location(call)
    args = [tr.expr(a) for a in call.args or ()]
    if name in _EACH:
        return _each_item(tr, name, args, alias, pos)
    coldefs = node.coldeflist or node.functions[0][1]
    base = None
    if name.endswith("populate_recordset"):
        if len(args) != 2:
            raise SqlError("42883", f"function {name} with {len(args)} arguments does not exist", position=pos)
        comp = U.base_of(args[0].oid)
        if not fields_of(comp):
            raise SqlError("42804", f"first argument of {name} must be a row type", position=pos)
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
