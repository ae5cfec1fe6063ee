"""Materialized views: CREATE MATERIALIZED VIEW [IF NOT EXISTS] name [(columns)] AS query
[WITH [NO] DATA], REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA].

A materialized view is a relation of kind 'm' (pg_class.relkind): its query's text is kept as
a view's is (pgsvc$class.viewdef: pg_get_viewdef, pg_matviews, psql's \\d+ and pg_dump show
it), its rows in a SQLite table of its own, as a table's (indexes may be made on it). Not
populated (WITH NO DATA, REFRESH ... WITH NO DATA) is the option "populated": false, and
reading it is then PostgreSQL's 55000 (translate.from_items). REFRESH runs the query again
as the view's owner would and replaces the rows; CONCURRENTLY needs a populated view with a
unique index, as PostgreSQL's (the result is the same: pgsvc's writers are serialised).
"""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.commands.ddl.node_text import source_text
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.wcte import has_dml_cte
from pgsvc.sql.types import oids as O

import pglast


def create_matview(ddl, node: ast.CreateTableAsStmt) -> int | None:
    """CREATE MATERIALIZED VIEW: the rows stored (their count), None when it already existed
    (IF NOT EXISTS) or WITH NO DATA."""
    into = node.into
    rv = into.rel
    schema = ddl.schema_of(rv)
    if C.relation_name_taken(ddl.cat, schema, rv.relname):
        if node.if_not_exists:
            ddl.notice(f'relation "{rv.relname}" already exists, skipping')
            return None
        raise SqlError("42P07", f'relation "{rv.relname}" already exists')
    if rv.relpersistence == "t":
        raise SqlError("42601", "materialized views cannot be temporary")
    if rv.relpersistence == "u":
        raise SqlError("0A000", "materialized views cannot be unlogged")
    tr = Translator(ddl.engine, ddl.cat, [])
    tr.defining_view = bool(into.skipData)  # (WITH NO DATA reads nothing: unpopulated ones are no error)
    q = tr.select(node.query)
    if has_dml_cte(node.query):
        raise SqlError("0A000", "materialized views must not use data-modifying statements in WITH")
    authz(ddl.engine).check_statement(tr.privs_needed)  # the query reads as the creator
    names = [c.sval for c in into.colNames or ()]
    if len(names) > len(q.columns):
        raise SqlError("42601", "too many column names were specified")
    cols = [names[i] if i < len(names) else c.name for i, c in enumerate(q.columns)]
    for i, name in enumerate(cols):
        if name in cols[:i]:
            raise SqlError("42701", f'column "{name}" specified more than once')
    options = {"populated": not into.skipData}
    body = source_text(node.query)
    if names:
        # (as CREATE VIEW's: pg_functions.describe.view_query takes it off again)
        body = f"SELECT * FROM ({body}) AS v({', '.join(quote_sqlite_ident(n) for n in names)})"
    relid = C.insert_relation(ddl.conn, ddl.cat, schema, rv.relname, "m", options, viewdef=body,
                              owner=ddl.creator())
    attrs = [C.Attr(i + 1, cols[i], c.oid if c.oid != O.UNKNOWN else O.TEXT, c.typmod)
             for i, c in enumerate(q.columns)]
    rel = ddl.store_new_table(relid, attrs)
    if into.skipData:
        return None
    return _fill(ddl, rel, q.sql)


def _fill(ddl, rel, sql: str) -> int:
    cols = ", ".join(quote_sqlite_ident(a.name) for a in rel.attrs)
    sel = ", ".join(f"c{i}" for i in range(len(rel.attrs)))
    cur = ddl.conn.execute(f"INSERT INTO {quote_sqlite_ident(rel.sqlite_name)} ({cols}) SELECT {sel} FROM ({sql})")
    return cur.rowcount


def refresh_matview(ddl, node: ast.RefreshMatViewStmt) -> None:
    tr = Translator(ddl.engine, ddl.cat, [])
    try:  # (PostgreSQL looks the view up first, then checks the options against it)
        rel = tr.relation(node.relation)
    except SqlError as err:
        err.position = None  # (REFRESH's lookup names no position)
        raise
    if rel.kind != "m":
        raise SqlError("42809", f'"{rel.name}" is not a materialized view')
    if not authz(ddl.engine).may_drop(rel):  # (the owner, or a member of its role)
        raise SqlError("42501", f"must be owner of materialized view {rel.name}")
    if node.concurrent:
        if not rel.options.get("populated", True):
            raise SqlError("0A000", "CONCURRENTLY cannot be used when the materialized view is not populated")
        if node.skipData:
            raise SqlError("42601", "REFRESH options CONCURRENTLY and WITH NO DATA cannot be used together")
        if not any(ix.unique and all(isinstance(k, int) for k in ix.keys) and
                   not (ddl.cat.by_oid.get(ix.oid) and ddl.cat.by_oid[ix.oid].options.get("indpred"))
                   for ix in rel.indexes):
            raise SqlError("55000", f'cannot refresh materialized view "{rel.schema}.{rel.name}" concurrently',
                           hint="Create a unique index with no WHERE clause on one or more columns of the "
                                "materialized view.")
    ddl.conn.execute(f"DELETE FROM {quote_sqlite_ident(rel.sqlite_name)}")
    if not node.skipData:
        query = pglast.parse_sql(rel.viewdef)[0].stmt
        tr = Translator(ddl.engine, ddl.cat, [])
        tr.check_as = rel.owner  # the query runs as the view's owner
        q = tr.select(query)
        authz(ddl.engine).check_statement(tr.privs_needed)
        _fill(ddl, rel, q.sql)
    C.set_relation_option(ddl.conn, rel.oid, "populated", not node.skipData)
    ddl.refresh()
