"""What a stored expression or view query refers to, for pg_depend's 'n' rows (pgsvc.sql.catalog.
system.describe_defs): a column default's sequences (nextval('s'::regclass)) and user types, a
view's _RETURN rule's columns and relations. pg_dump orders its output by these rows (a view
after the tables it reads) and splits a serial column's default off its table (the loop
table -> default -> sequence -> table), as it does on PostgreSQL.

PostgreSQL's find_expr_references_walker records, per expression: each Var's column,
each Const of a reg* type's object, each user type of a Const/cast, each function;
here the analysed tree of pgsvc.sql.deparse gives the same for the relations, columns,
sequences, user types and user functions. A CHECK constraint's user functions (its
columns are conkey's rows) and the relations a SQL-standard function body reads are
listed too (pg_dump orders a table after the functions its CHECKs and defaults call, and
such a function after the tables it reads).
"""

from __future__ import annotations

import dataclasses
import json

import pglast
import pglast.ast

from pgsvc.sql.catalog.user_aggregates import aggregate_of
from pgsvc.sql.deparse.nodes import Const, Func, RangeEntry, Var
from pgsvc.sql.deparse.query import analyze_select
from pgsvc.sql.functions.context import reporting_sql_errors
from pgsvc.sql.pg_functions.describe import analyzer_for, find_relation, resolving_as_created, view_query
from pgsvc.sql.pg_functions.type_funcs import domain_check_node
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.usertypes import row_type_oid

_PG_CLASS, _PG_TYPE, _PG_PROC = 1259, 1247, 1255
_FIRST_USER_OID = 16384


def _walk(root, on_node) -> None:
    """Every dataclass object reachable from root (lists, tuples, dicts), each once; a
    catalog relation (RangeEntry.relation) is reported, not entered."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, (list, tuple, set)):
            stack.extend(obj)
            continue
        if isinstance(obj, dict):
            stack.extend(obj.values())
            continue
        if not dataclasses.is_dataclass(obj) or isinstance(obj, type) or id(obj) in seen:
            continue
        seen.add(id(obj))
        on_node(obj)
        for f in dataclasses.fields(obj):
            if f.name not in ("relation", "rte"):
                stack.append(getattr(obj, f.name, None))
            elif f.name == "rte":
                stack.append(getattr(obj, "rte", None))


def _refs(engine, root) -> list[list[int]]:
    """[classid, objid, objsubid] of what the tree refers to, in first-seen order."""
    out: list[list[int]] = []
    used: dict[int, bool] = {}  # relation oid -> a column of it was named

    def add(ref):
        if ref not in out:
            out.append(ref)

    def on_node(n):
        if isinstance(n, Var) and n.rte is not None and getattr(n.rte, "relation", None) is not None:
            rel = n.rte.relation
            att = next((a.attnum for a in rel.attrs if a.name == n.name), None)
            if att is not None:
                used[rel.oid] = True
                add([_PG_CLASS, rel.oid, att])
        elif isinstance(n, RangeEntry) and n.relation is not None:
            used.setdefault(n.relation.oid, False)
        if isinstance(n, Const) and n.typ == O.REGCLASS and n.text is not None:
            rel = find_relation(engine, n.text)
            if rel is None:
                with resolving_as_created(engine):
                    rel = find_relation(engine, n.text)
            if rel is not None:
                add([_PG_CLASS, rel.oid, 0])
        if getattr(n, "typ", 0) >= _FIRST_USER_OID and isinstance(n, Const):
            add([_PG_TYPE, n.typ, 0])
        if isinstance(n, Func) and n.oid:
            add([_PG_PROC, n.oid, 0])
    _walk(root, on_node)
    for oid, named in used.items():
        if not named:
            add([_PG_CLASS, oid, 0])
    return out


def _table_expr(engine, text, relid):
    """An expression stored for a table (a default, a CHECK), analysed with its columns in
    scope: the analyzer and the node."""
    an = analyzer_for(engine)
    rel = engine.catalog.by_oid.get(int(relid))
    if rel is not None:
        an.with_relation(rel)
    return an, an.expr(pglast.parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val)


def default_refs(engine, text, relid, typid, typmod):
    """A column default's references (JSON), [] when it cannot be analysed."""
    if text is None:
        return "[]"

    def analyse():
        an, node = _table_expr(engine, text, relid)
        return an.coerce(node, int(typid), int(typmod), implicit=True)
    node = _as_created(engine, analyse)
    return "[]" if node is None else json.dumps(_refs(engine, node))


def check_refs(engine, text, relid):
    """The user functions a table's CHECK expression calls (JSON), [] when it cannot be analysed."""
    if text is None:
        return "[]"
    node = _as_created(engine, lambda: _table_expr(engine, text, relid)[1])
    return "[]" if node is None else json.dumps([r for r in _refs(engine, node) if r[0] == _PG_PROC])


def domain_check_refs(engine, oid):
    """The user functions a domain's CHECK expression calls (JSON)."""
    node = None if oid is None else domain_check_node(engine, oid)
    return "[]" if node is None else json.dumps([r for r in _refs(engine, node) if r[0] == _PG_PROC])


def sqlbody_refs(engine, body):
    """The relations a SQL-standard function body (BEGIN ATOMIC ... END / RETURN ...) names."""
    if body is None:
        return "[]"

    def analyse():
        tree = pglast.parse_sql(f"CREATE FUNCTION f() RETURNS void LANGUAGE sql {body}")
        found: list = []
        _range_vars(tree, found)
        out = []
        for rv in found:
            name = f"{rv.schemaname}.{rv.relname}" if rv.schemaname else rv.relname
            rel = find_relation(engine, name)
            if rel is not None and [_PG_CLASS, rel.oid, 0] not in out:
                out.append([_PG_CLASS, rel.oid, 0])
        return out
    refs = _as_created(engine, analyse)
    return json.dumps(refs or [])


def _range_vars(node, out: list) -> None:
    if isinstance(node, pglast.ast.RangeVar):
        out.append(node)
    elif isinstance(node, pglast.ast.Node):
        for attr in node:
            _range_vars(getattr(node, attr), out)
    elif isinstance(node, (list, tuple)):
        for x in node:
            _range_vars(x, out)


def _as_created(engine, analyse):
    """The analysed tree under the reader's search_path, else under the one the object was
    most likely created under (pgsvc.sql.pg_functions.describe.resolving_as_created), else
    None: a catalog row must not fail the client's query."""
    try:
        return analyse()
    except Exception:  # noqa: BLE001 - see the docstring
        pass
    try:
        with resolving_as_created(engine):
            return analyse()
    except Exception:  # noqa: BLE001 - see the docstring
        return None


def proc_type_refs(engine, oid):
    """The user types a routine's result and arguments are of (JSON), as ProcedureCreate
    records them; a table's or view's row type (the relation's OID in pgsvc's catalog) as
    its pg_type row, which depends on the relation: pg_dump puts the routine after it. An
    aggregate's user functions too (AggregateCreate)."""
    r = engine.catalog.routines.get(int(oid)) if oid is not None else None
    if r is None:
        return "[]"
    out: list = []
    for t in (r.rettype, *(r.allargtypes if r.allargtypes is not None else r.argtypes)):
        rel = engine.catalog.by_oid.get(t)
        if rel is not None and rel.kind in ("r", "v"):
            t = row_type_oid(t)
        if t >= _FIRST_USER_OID and [_PG_TYPE, t, 0] not in out:
            out.append([_PG_TYPE, t, 0])
    agg = aggregate_of(engine.conn, r) if r.kind == "a" else None
    if agg is not None:  # an aggregate's user transition and final functions
        out += [[_PG_PROC, f, 0] for f in dict.fromkeys((agg.transfn_oid, agg.finalfn_oid)) if f >= _FIRST_USER_OID]
    return json.dumps(out)


def view_refs(engine, oid):
    """A view's _RETURN rule's references (JSON): the columns it reads, the relations it
    reads no column of, and the view itself (PostgreSQL's rule refers to its view)."""
    rel = engine.catalog.by_oid.get(int(oid)) if oid is not None else None
    if rel is None or rel.kind not in ("v", "m") or not rel.viewdef:  # (m: commands.ddl.matviews)
        return "[]"
    query = _as_created(engine, lambda: analyze_select(analyzer_for(engine),
                                                      view_query(pglast.parse_sql(rel.viewdef)[0].stmt)))
    refs = [] if query is None else _refs(engine, query)
    return json.dumps(refs + [[_PG_CLASS, rel.oid, 0]])


def register(conn, engine) -> None:
    udfs = {
        "pgsvce_default_refs": (4, lambda t, r, ty, tm: default_refs(engine, t, r, ty, tm)),
        "pgsvce_view_refs": (1, lambda oid: view_refs(engine, oid)),
        "pgsvce_check_refs": (2, lambda t, r: check_refs(engine, t, r)),
        "pgsvce_sqlbody_refs": (1, lambda b: sqlbody_refs(engine, b)),
        "pgsvce_proc_type_refs": (1, lambda oid: proc_type_refs(engine, oid)),
        "pgsvce_domain_check_refs": (1, lambda oid: domain_check_refs(engine, oid)),
    }
    for name, (nargs, fn) in udfs.items():
        conn.create_function(name, nargs, reporting_sql_errors(engine.fctx, fn))
