"""REINDEX and CLUSTER (reindexdb, clusterdb).

REINDEX rebuilds SQLite's indexes: an index (an index SQLite made for a constraint is rebuilt
with its table), every index of a table, of a schema's tables, of the database; SYSTEM
concerns PostgreSQL's catalogs, which pgsvc does not store as indexed tables, so it checks
and does nothing. The checks and errors are PostgreSQL 15's: the relation's kind, the owner
(of the table, the schema, the database), the current database's name, no transaction block
for SCHEMA / DATABASE / SYSTEM or CONCURRENTLY. VERBOSE reports each index as PostgreSQL does
(INFO, without the CPU detail).

CLUSTER without a table reclusters the tables clustered before; pgsvc keeps no clustered
index (pg_index.indisclustered is false), so there are none and it does nothing, as
PostgreSQL in a database where no CLUSTER ... USING ran. `CLUSTER t` has no previously
clustered index to use; `CLUSTER t USING i` would order the table's rows physically, which
SQLite's tables (in rowid order) do not expose: 0A000.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.statement import Result, utility_statement
from pgsvc.sql.translate.ex import location

_KIND = enums.ReindexObjectType


def translate_reindex(engine, tr, text: str, node: ast.ReindexStmt):
    opts = {d.defname: d for d in node.params or ()}
    concurrently = "concurrently" in opts
    verbose = "verbose" in opts
    kind = node.kind
    word = {_KIND.REINDEX_OBJECT_SCHEMA: "SCHEMA", _KIND.REINDEX_OBJECT_DATABASE: "DATABASE",
            _KIND.REINDEX_OBJECT_SYSTEM: "SYSTEM"}.get(kind)
    for name, d in opts.items():
        if name not in ("concurrently", "verbose", "tablespace"):
            raise SqlError("42601", f'unrecognized REINDEX option "{name}"', position=location(d))
    if "tablespace" in opts:
        raise SqlError("0A000", "REINDEX ... TABLESPACE is not supported")
    if kind == _KIND.REINDEX_OBJECT_SYSTEM and concurrently:
        raise SqlError("0A000", "cannot reindex system catalogs concurrently")
    rel = _relation(tr, node.relation)
    if rel is not None and kind == _KIND.REINDEX_OBJECT_INDEX and rel.kind != "i":
        raise SqlError("42809", f'"{rel.name}" is not an index')
    if rel is not None and kind == _KIND.REINDEX_OBJECT_TABLE and rel.kind not in ("r", "m"):
        raise SqlError("42809", f'"{rel.name}" is not a table or materialized view')

    def run(e, s, p):
        if (word is not None or concurrently) and e.in_transaction_block():
            raise SqlError("25001", f"REINDEX {word or 'CONCURRENTLY'} cannot run inside a transaction block")
        az = authz(e)
        if rel is not None:
            az.check_owner(e.catalog.by_oid.get(_table_of(e, rel), rel))
            tables = [_table_of(e, rel)]
            only = rel if rel.kind == "i" else None
        elif kind == _KIND.REINDEX_OBJECT_SCHEMA:
            if node.name not in e.catalog.schemas:
                raise SqlError("3F000", f'schema "{node.name}" does not exist')
            az.check_schema_owner(node.name)
            tables = [r.oid for r in e.catalog.by_oid.values() if r.kind == "r" and r.schema == node.name]
            only = None
        else:
            if node.name and node.name != e.session.database:
                raise SqlError("0A000", "can only reindex the currently open database")
            tables = [] if kind == _KIND.REINDEX_OBJECT_SYSTEM else [
                r.oid for r in e.catalog.by_oid.values() if r.kind == "r" and r.schema != e.temp_schema]
            only = None
        for oid in tables:
            table = e.catalog.by_oid[oid]
            _rebuild(e, table, only)
            if verbose:
                for ix in ([only] if only else _indexes(e, table)):
                    e.session.notice(SqlNotice(f'index "{ix.name}" was reindexed', severity="INFO"))
        return Result(None, [], "REINDEX")
    return utility_statement(text, "REINDEX", run, writes=True)


def _relation(tr, rv):
    """The named relation; PostgreSQL's error for a missing one has no position here."""
    if rv is None:
        return None
    try:
        return tr.relation(rv)
    except SqlError as err:
        err.position = None
        raise


def _table_of(e, rel) -> int:
    if rel.kind != "i":
        return rel.oid
    return next((r.oid for r in e.catalog.by_oid.values() if any(ix.oid == rel.oid for ix in r.indexes)), rel.oid)


def _indexes(e, table) -> list:
    return [e.catalog.by_oid[ix.oid] for ix in table.indexes if ix.oid in e.catalog.by_oid]


def _rebuild(e, table, only) -> None:
    """SQLite's REINDEX of the one index when SQLite has it under its name, else of the table."""
    if only is not None and only.sqlite_name and e.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (only.sqlite_name,)).fetchone():
        target = only.sqlite_name
    else:
        target = table.sqlite_name
    if target:
        e.conn.execute('REINDEX "' + target.replace('"', '""') + '"')


def translate_cluster(engine, tr, text: str, node: ast.ClusterStmt):
    rel = _relation(tr, node.relation)
    if rel is not None and node.indexname is None:
        raise SqlError("42704", f'there is no previously clustered index for table "{rel.name}"')
    if rel is not None:
        raise SqlError("0A000", "CLUSTER ... USING is not supported",
                       detail="pgsvc keeps a table's rows in insertion order; it has no clustered index.")

    def run(e, s, p):
        if e.in_transaction_block():
            raise SqlError("25001", "CLUSTER cannot run inside a transaction block")
        return Result(None, [], "CLUSTER")
    return utility_statement(text, "CLUSTER", run)
