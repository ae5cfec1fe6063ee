"""DEFERRABLE foreign keys: where a constraint's DEFERRABLE / INITIALLY DEFERRED is kept.

The two flags of pg_constraint (condeferrable, condeferred) are kept in the options of the
constraint's table (pgsvc$class.options, as "not_valid" is): "deferrable" and "deferred",
lists of constraint OIDs. Only foreign keys can be deferrable in pgsvc.

How they are checked (SQLite's foreign keys do the work):
- INITIALLY DEFERRED: the SQLite foreign key is declared DEFERRABLE INITIALLY DEFERRED, so
  SQLite counts its violations and refuses COMMIT while any is left; the engine then finds the
  row with PRAGMA foreign_key_check and answers PostgreSQL's 23503 (exec.diagnose).
- DEFERRABLE [INITIALLY IMMEDIATE] and NOT DEFERRABLE: an ordinary (immediate) SQLite foreign
  key, checked at the end of each statement as PostgreSQL checks it.
- SET CONSTRAINTS (exec.trigger_deferred): IMMEDIATE for an SQLite-deferred key checks its
  rows now and after every later writing statement of the transaction; DEFERRED for an
  immediate deferrable key sets PRAGMA defer_foreign_keys (SQLite defers every key until
  COMMIT then), and the keys that must stay immediate are checked after each writing
  statement in the same way. Those checks read the whole referencing table: only
  transactions that ran SET CONSTRAINTS pay them.
"""

from __future__ import annotations

from pgsvc.sql.catalog import database as C


def is_deferrable(rel: C.Relation, con: C.Constraint) -> bool:
    return con.oid in (rel.options.get("deferrable") or ())


def initially_deferred(rel: C.Relation, con: C.Constraint) -> bool:
    return con.oid in (rel.options.get("deferred") or ())


def mark(conn, relid: int, con_oid: int, deferred: bool) -> None:
    """Record con_oid (a constraint of table relid) as DEFERRABLE, INITIALLY DEFERRED if
    deferred (appended to the stored lists: the Relation in hand may predate other keys)."""
    for key in ("deferrable", "deferred") if deferred else ("deferrable",):
        conn.execute('UPDATE "pgsvc$class" SET options = json_set(coalesce(options, \'{}\'), ?, '
                     'json_insert(coalesce(json_extract(options, ?), json_array()), \'$[#]\', ?)) WHERE oid = ?',
                     ("$." + key, "$." + key, con_oid, relid))


def set_mode(conn, relid: int, con_oid: int, deferrable: bool, deferred: bool) -> None:
    """ALTER CONSTRAINT: con_oid (a constraint of table relid) is now [NOT] DEFERRABLE
    [INITIALLY DEFERRED]."""
    for key in ("deferrable", "deferred"):
        conn.execute('UPDATE "pgsvc$class" SET options = json_set(coalesce(options, \'{}\'), ?, '
                     'json((SELECT json_group_array(j.value) FROM json_each(coalesce(json_extract(options, ?), '
                     'json_array())) j WHERE j.value <> ?))) WHERE oid = ?', ("$." + key, "$." + key, con_oid, relid))
    if deferrable:
        mark(conn, relid, con_oid, deferred)


def clause(rel: C.Relation, con: C.Constraint) -> str:
    """The constraint's DEFERRABLE clause as pg_get_constraintdef prints it ('' if none)."""
    if not is_deferrable(rel, con):
        return ""
    return " DEFERRABLE INITIALLY DEFERRED" if initially_deferred(rel, con) else " DEFERRABLE"


def foreign_keys(catalog) -> list[tuple[C.Relation, C.Constraint]]:
    """Every foreign key of the database with its table."""
    return [(r, c) for r in catalog.by_oid.values() for c in r.constraints if c.contype == "f"]


__all__ = ["is_deferrable", "initially_deferred", "mark", "set_mode", "clause", "foreign_keys"]
