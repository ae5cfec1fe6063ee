"""Constraint changes made in place, without rebuilding the table: SQLite's documented
procedure for schema changes that leave the rows' on-disk format as it is
(https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema
Changes"): the table's CREATE TABLE text in sqlite_schema is replaced under
PRAGMA writable_schema and the schema version is bumped, so that this connection and every
other one reload the schema. Adding or removing NOT NULL or a FOREIGN KEY changes no row,
so the rows, the table's indexes and triggers and the rows that reference the table stay
as they are, where a rebuild's DROP of the old copy would apply the foreign keys' ON DELETE
actions (commands.ddl.rebuild_guard). The caller checks the existing rows against the new
constraint (SQLite would not: its optimizer even trusts a NOT NULL it is told about).
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.commands.ddl.sqlite_schema import table_sql


def rewrite_definition(conn, engine, rel: C.Relation) -> bool:
    """Replace rel's SQLite definition by the one the catalog gives (table_sql), in place.
    Only for changes of constraints that leave the rows' format unchanged (the caller's
    ALTERs: SET / DROP NOT NULL, ADD FOREIGN KEY). False when it cannot be done here (a
    temporary table, no transaction open): the caller rebuilds the table instead."""
    if rel.schema.startswith("pg_temp_") or not conn.in_transaction:
        return False
    row = conn.execute("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?",
                       (rel.sqlite_name,)).fetchone()
    if row is None:
        return False
    new = table_sql(rel, engine)
    if new == row[0]:
        return True
    # the engine's authorizer refuses these PRAGMAs to every statement (exec.engine): lifted
    # for these internal statements only
    conn.set_authorizer(None)
    try:
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
        conn.execute("PRAGMA writable_schema = ON")
        try:
            conn.execute("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?",
                         (new, rel.sqlite_name))
            conn.execute(f"PRAGMA schema_version = {int(version) + 1}")
        finally:
            # RESET: off, and this connection's schema parsed again (PRAGMAs such as
            # foreign_key_check would otherwise read the old one)
            conn.execute("PRAGMA writable_schema = RESET")
    finally:
        conn.set_authorizer(engine.authorize)
    return True


def check_new_key(engine, rel: C.Relation, fk_oid: int) -> None:
    """The rows of rel against its new foreign key fk_oid, added in place (no copy of the
    rows checked them): 23503 as PostgreSQL's validation words it."""
    try:
        engine.check_fks([(rel, next(c for c in rel.constraints if c.oid == fk_oid))], True)
    except SqlError:
        raise
    except Exception as e:  # noqa: BLE001 - SQLite's foreign key mismatch and the like, mapped
        raise map_error(e, engine) from None
