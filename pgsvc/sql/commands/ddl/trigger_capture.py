"""The SQLite triggers that report row changes of tables with PostgreSQL triggers to the
engine (pgsvc.sql.exec.triggers), generated from the catalog like a table's definition.

SQLite's own triggers cannot do what PostgreSQL's do (a BEFORE trigger cannot change NEW),
so PostgreSQL triggers run in Python; but SQLite sees every row change, however it comes
about (a statement, an upsert's DO UPDATE, a foreign key's ON DELETE CASCADE / SET NULL /
ON UPDATE CASCADE, transitively). For a table whose triggers need to see row changes:

  "pgsvc$tga_<relid>_<I|U|D>"  AFTER INSERT/UPDATE/DELETE: SELECT pgsvce_tg_capture(relid,
      op, rowid, ncols, OLD..., NEW...) -- the change is queued for AFTER ROW triggers and
      transition tables (when the table has an AFTER ROW trigger or a transition table for
      that event, or for UPDATE any BEFORE ROW UPDATE trigger: see the engine)
  "pgsvc$tgb_<relid>_<U|D>"    BEFORE UPDATE/DELETE: SELECT RAISE(IGNORE) WHERE
      pgsvce_tg_before(relid, op, rowid, ncols, OLD..., NEW...) = 0 -- BEFORE ROW triggers of
      a row a foreign-key action changes (the engine's row-by-row path runs them itself for
      the rows a statement targets and tells the function to let those pass)

The trigger bodies list the columns, so they are regenerated whenever a table's definition
changes: `sync` compares what the catalog needs with sqlite_master and fixes the difference
(after every DDL statement that may have changed a table with triggers, and when a
statement finds them stale). A table without PostgreSQL triggers has none of these.
"""

from __future__ import annotations

from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.trigger_dml import rowid_name

_OPS = (("I", "INSERT"), ("U", "UPDATE"), ("D", "DELETE"))


def wanted(rel) -> dict[str, str]:
    """name -> CREATE TRIGGER statement, for the capture triggers rel needs."""
    if rel.kind != "r" or not rel.triggers:
        return {}
    out = {}
    rid = rowid_name(rel)
    table = quote_sqlite_ident(rel.sqlite_name)
    temp = "TEMP " if rel.schema.startswith("pg_temp_") else ""
    n = len(rel.attrs)
    old = "".join(f", OLD.{quote_sqlite_ident(a.name)}" for a in rel.attrs)
    new = "".join(f", NEW.{quote_sqlite_ident(a.name)}" for a in rel.attrs)
    for op, event in _OPS:
        row = [t for t in rel.triggers if t.fires_on(event) and t.row]
        after = any(t.timing == "AFTER" for t in row) or \
            any(t.fires_on(event) and (t.oldtable or t.newtable) for t in rel.triggers) or \
            (op == "U" and any(t.timing == "BEFORE" for t in row))
        vals = {"I": new, "U": old + new, "D": old}[op]
        key = {"I": "NEW", "U": "NEW", "D": "OLD"}[op]
        if after:
            name = f"pgsvc$tga_{rel.oid}_{op}"
            out[name] = (f"CREATE {temp}TRIGGER {quote_sqlite_ident(name)} AFTER {event} ON {table} BEGIN "
                         f"SELECT pgsvce_tg_capture({rel.oid}, '{op}', {key}.{rid}, {n}{vals}); END")
        if op != "I" and any(t.timing == "BEFORE" for t in row):
            name = f"pgsvc$tgb_{rel.oid}_{op}"
            out[name] = (f"CREATE {temp}TRIGGER {quote_sqlite_ident(name)} BEFORE {event} ON {table} BEGIN "
                         f"SELECT RAISE(IGNORE) WHERE pgsvce_tg_before({rel.oid}, '{op}', OLD.{rid}, {n}{vals}) = 0; "
                         "END")
    return out


def existing(conn) -> dict[str, str]:
    """name -> stored CREATE TRIGGER text of every capture trigger (main and temp)."""
    out = {}
    for master in ("sqlite_master", "sqlite_temp_master"):
        for name, sql in conn.execute(f"SELECT name, sql FROM {master} WHERE type = 'trigger' "
                                      "AND name LIKE 'pgsvc$tg%'").fetchall():
            out[name] = sql
    return out


def sync(conn, catalog, temp_schema: str) -> None:
    """Make the capture triggers of every relation what the catalog needs (this backend's
    temporary tables and every other table; another backend's temporary tables are not
    on this connection)."""
    want: dict[str, str] = {}
    for oid in {t.relid for t in catalog.triggers.values()}:
        rel = catalog.by_oid.get(oid)
        if rel is not None and (not rel.schema.startswith("pg_temp_") or rel.schema == temp_schema):
            want.update(wanted(rel))
    have = existing(conn)
    stored = {name: sql.replace("CREATE TEMP TRIGGER", "CREATE TRIGGER", 1) for name, sql in want.items()}
    for name, sql in have.items():
        if stored.get(name) != sql:
            conn.execute(f"DROP TRIGGER IF EXISTS {quote_sqlite_ident(name)}")
    for name, sql in want.items():
        if have.get(name) != stored[name]:
            conn.execute(sql)


__all__ = ["wanted", "existing", "sync"]
