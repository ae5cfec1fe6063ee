"""Why a table rebuild may refuse: SQLite's DROP TABLE runs an implicit DELETE of every row
when foreign keys are on, and that DELETE applies the foreign keys' actions to the rows
that reference the table (ON DELETE CASCADE empties them, SET NULL clears them). The
rebuild (Ddl.rebuild: new table, copy, drop the old one, rename) would therefore change
or delete rows of the referencing tables, itself included when it references itself.
SQLite's own procedure for such schema changes turns foreign keys off first, which it
allows only outside a transaction, and pgsvc's DDL runs inside one. Until pgsvc can do
that, a rebuild that would reach referencing rows is refused instead of losing them.
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.quoting import quote_sqlite_ident


def refuse_if_referenced(conn, rel, tmp: str) -> None:
    """Before the old copy of `rel` is dropped: 0A000 if a row of any table (the new copy
    `tmp` included) references it through a SQLite foreign key."""
    parent = rel.sqlite_name
    for table in _tables(conn):
        if table == parent:
            continue  # the old copy goes: its own rows do not matter
        for cols in _keys_referencing(conn, table, parent):
            if _has_referencing_row(conn, table, cols):
                raise SqlError(
                    "0A000", f'cannot rewrite table "{rel.name}" while other rows reference it '
                    "through a foreign key",
                    detail="pgsvc rewrites the table for this change, and SQLite would apply the "
                    "foreign key's ON DELETE action to the referencing rows.",
                    hint="Drop the foreign key constraint, make the change, and add the constraint again.")


def _tables(conn) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]


def _keys_referencing(conn, table: str, parent: str) -> list[list[str]]:
    """The child columns of each foreign key of `table` whose parent is `parent`."""
    keys: dict[int, list[str]] = {}
    for row in conn.execute(f"PRAGMA foreign_key_list({quote_sqlite_ident(table)})"):
        fk_id, target, child_col = row[0], row[2], row[3]
        if target.lower() == parent.lower():
            keys.setdefault(fk_id, []).append(child_col)
    return list(keys.values())


def _has_referencing_row(conn, table: str, cols: list[str]) -> bool:
    # a row with a NULL in its key references nothing (SQLite's MATCH SIMPLE)
    where = " AND ".join(f"{quote_sqlite_ident(c)} IS NOT NULL" for c in cols)
    sql = f"SELECT 1 FROM {quote_sqlite_ident(table)} WHERE {where} LIMIT 1"
    return conn.execute(sql).fetchone() is not None
