"""Triggers of a database (PostgreSQL's pg_trigger rows) and what a trigger call carries.

Stored form: the hidden table "pgsvc$trigger" of each database file (transactional with
the data, shared by every backend on it), one row per trigger, columns as pg_trigger's:

  oid, tgrelid (the table or view), tgname, tgfoid (the function), tgtype (PostgreSQL's
  bits, TYPE_* below), tgenabled ('O' fires, 'D' disabled, 'R' replica, 'A' always),
  tgattr (JSON: attnums of UPDATE OF columns), tgargs (JSON: the arguments as text),
  tgqual (the WHEN condition as PostgreSQL source text, OLD/NEW as written), tgoldtable /
  tgnewtable (transition table names or NULL), tgconstraint / tgdeferrable / tgconstrrelid
  / tginitdeferred (a constraint trigger: CREATE CONSTRAINT TRIGGER ... [FROM t] [NOT]
  DEFERRABLE INITIALLY IMMEDIATE | DEFERRED: fired as an AFTER ROW trigger, at COMMIT when
  INITIALLY DEFERRED), tgparentid (a row trigger of a partitioned table is cloned onto each
  partition, as PostgreSQL does: the clone's parent trigger; the partitioned table's own
  row trigger never fires itself)

The loaded snapshot: `Catalog.triggers` (by OID) and each Relation's `triggers` (sorted by
name: PostgreSQL fires the triggers of one timing, level and event in name order).

`TriggerData` is the payload of a trigger call: `RoutineCall.trigger` (catalog.routines)
when the engine runs a trigger function through its language's handler. The contract
with a language handler that implements triggers (plpgsql):

  call(engine, call) with call.trigger a TriggerData, call.args == [], call.ret_oid == TRIGGER.
  The handler exposes TG_NAME, TG_WHEN, TG_LEVEL, TG_OP, TG_RELID, TG_TABLE_NAME
  (TG_RELNAME), TG_TABLE_SCHEMA, TG_NARGS, TG_ARGV and the records OLD / NEW from it.
  OLD / NEW are tuples of *Python values* (pgsvc.sql.types: what sqlite_adapter(oid)[1]
  makes of a stored value; None for NULL), one per column of `columns` (the relation's
  Attr objects, attnum order: .name, .type_oid, .typmod, .domain_oid); `stored_row` /
  `python_row` convert a whole row. A record that does not apply is None here (OLD of an
  INSERT, NEW of a DELETE, both in a statement-level trigger); PostgreSQL 15's plpgsql
  makes it a NULL record of the relation's row type, not an unassigned one: `old IS NULL`
  is true, `old.a` is NULL, RAISE prints <NULL>. TG_ARGV is subscripted from 0
  (TG_ARGV[0] is args[0]; out of range is NULL).
  It returns:
    - None: SQL NULL. A BEFORE ROW trigger skips the row (no write, no later trigger);
      an INSTEAD OF trigger reports the row as not processed.
    - a tuple of Python values in `columns` order: the row to go on with. A BEFORE
      INSERT/UPDATE ROW trigger's row is what gets written (and what the next BEFORE
      trigger sees as NEW); an INSTEAD OF trigger's row is what RETURNING shows.
      For BEFORE DELETE any row means "go on" (PostgreSQL: return OLD).
  What AFTER and statement-level triggers return is ignored.
  Transition tables (REFERENCING OLD TABLE AS o NEW TABLE AS n), for AFTER triggers: the
  names in `old_table` / `new_table` resolve, during the call, to relations of the
  transition rows that any statement the function runs can query (engine-registered).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pgsvc.sql.types import sqlite_adapter
from pgsvc.sqlite import sqlite3

TRIGGER_TABLE_SQL = (
    'CREATE TABLE IF NOT EXISTS "pgsvc$trigger" (oid INTEGER PRIMARY KEY, tgrelid INTEGER NOT NULL, '
    'tgname TEXT NOT NULL, tgfoid INTEGER NOT NULL, tgtype INTEGER NOT NULL, tgenabled TEXT NOT NULL, '
    'tgattr TEXT NOT NULL, tgargs TEXT NOT NULL, tgqual TEXT, tgoldtable TEXT, tgnewtable TEXT, '
    'tgconstraint INTEGER NOT NULL DEFAULT 0, tgdeferrable INTEGER NOT NULL DEFAULT 0, '
    'tgconstrrelid INTEGER NOT NULL DEFAULT 0, tginitdeferred INTEGER NOT NULL DEFAULT 0, '
    'tgparentid INTEGER NOT NULL DEFAULT 0, UNIQUE (tgrelid, tgname))')
# added after the first release of triggers (ensure_table adds them to an older file)
_LATER_COLUMNS = ("tgconstraint INTEGER NOT NULL DEFAULT 0", "tgdeferrable INTEGER NOT NULL DEFAULT 0",
                  "tgconstrrelid INTEGER NOT NULL DEFAULT 0", "tginitdeferred INTEGER NOT NULL DEFAULT 0",
                  "tgparentid INTEGER NOT NULL DEFAULT 0")

# pg_trigger.tgtype bits (PostgreSQL's catalog/pg_trigger.h); AFTER is no bit
TYPE_ROW = 1 << 0
TYPE_BEFORE = 1 << 1
TYPE_INSERT = 1 << 2
TYPE_DELETE = 1 << 3
TYPE_UPDATE = 1 << 4
TYPE_TRUNCATE = 1 << 5
TYPE_INSTEAD = 1 << 6
EVENT_BITS = {"INSERT": TYPE_INSERT, "DELETE": TYPE_DELETE, "UPDATE": TYPE_UPDATE, "TRUNCATE": TYPE_TRUNCATE}
EVENT_ORDER = ("INSERT", "DELETE", "UPDATE", "TRUNCATE")  # as pg_get_triggerdef lists them
# built-in trigger functions pgsvc runs itself (exec.triggers), by pg_proc OID
BUILTIN_FUNCTIONS = {1291: "suppress_redundant_updates_trigger"}


@dataclass
class Trigger:
    """One trigger (a pg_trigger row)."""

    oid: int
    relid: int
    name: str
    funcoid: int
    tgtype: int
    enabled: str = "O"
    attr: tuple = ()  # UPDATE OF columns (attnums), in the order written
    args: tuple = ()  # TG_ARGV
    qual: str | None = None  # WHEN (...) as PostgreSQL source text
    oldtable: str | None = None
    newtable: str | None = None
    constraint: int = 0  # a constraint trigger's tgconstraint (CREATE CONSTRAINT TRIGGER; its pg_constraint row)
    deferrable: bool = False  # DEFERRABLE
    constrrelid: int = 0  # FROM referenced_table
    initdeferred: bool = False  # INITIALLY DEFERRED: fires at COMMIT (exec.triggers)
    parentid: int = 0  # the partitioned table's trigger this one is a clone of (tgparentid)
    extra: dict = field(default_factory=dict)  # per-backend caches (the translated WHEN), not stored

    @property
    def row(self) -> bool:
        return bool(self.tgtype & TYPE_ROW)

    @property
    def timing(self) -> str:
        """'BEFORE', 'AFTER' or 'INSTEAD OF' (TG_WHEN)."""
        if self.tgtype & TYPE_BEFORE:
            return "BEFORE"
        return "INSTEAD OF" if self.tgtype & TYPE_INSTEAD else "AFTER"

    @property
    def level(self) -> str:
        return "ROW" if self.row else "STATEMENT"

    def events(self) -> list[str]:
        return [e for e in EVENT_ORDER if self.tgtype & EVENT_BITS[e]]

    def fires_on(self, event: str) -> bool:
        return bool(self.tgtype & EVENT_BITS[event])

    def enabled_now(self, replica: bool = False) -> bool:
        """tgenabled against session_replication_role (origin/local unless replica)."""
        if self.enabled == "A":
            return True
        return self.enabled == ("R" if replica else "O")


@dataclass
class TriggerData:
    """What one trigger call carries (RoutineCall.trigger; PostgreSQL's TriggerData and
    plpgsql's TG_* variables). See the module docstring for the handler's contract."""

    trigger: Trigger
    event: str  # TG_OP: 'INSERT', 'UPDATE', 'DELETE' or 'TRUNCATE'
    relid: int  # TG_RELID
    table_name: str  # TG_TABLE_NAME (and TG_RELNAME)
    table_schema: str  # TG_TABLE_SCHEMA
    columns: tuple  # the relation's Attr objects (pgsvc.sql.catalog.database.Attr), attnum order
    old: tuple | None = None  # OLD, Python values in columns order
    new: tuple | None = None  # NEW, Python values in columns order
    old_table: str | None = None  # REFERENCING OLD TABLE AS <name>: queryable during the call
    new_table: str | None = None  # REFERENCING NEW TABLE AS <name>

    @property
    def name(self) -> str:  # TG_NAME
        return self.trigger.name

    @property
    def when(self) -> str:  # TG_WHEN
        return self.trigger.timing

    @property
    def level(self) -> str:  # TG_LEVEL
        return self.trigger.level

    @property
    def args(self) -> tuple:  # TG_ARGV (TG_NARGS is its length)
        return self.trigger.args

    def column_names(self) -> list[str]:
        return [a.name for a in self.columns]

    def stored_row(self, row: tuple | None) -> tuple | None:
        """A row of Python values -> stored forms (what SQLite holds), or None."""
        return None if row is None else stored_row(self.columns, row)

    def python_row(self, row: tuple | None) -> tuple | None:
        """A row of stored forms -> Python values, or None."""
        return None if row is None else python_row(self.columns, row)


def _type_of(a) -> int:
    return a.domain_oid or a.type_oid


def stored_row(columns, row) -> tuple:
    out = []
    for a, v in zip(columns, row):
        conv = sqlite_adapter(_type_of(a))[0]
        out.append(conv(v) if conv is not None and v is not None else v)
    return tuple(out)


def python_row(columns, row) -> tuple:
    out = []
    for a, v in zip(columns, row):
        conv = sqlite_adapter(_type_of(a))[1]
        out.append(conv(v) if conv is not None and v is not None else v)
    return tuple(out)


# --- loading and writing -------------------------------------------------------------------

_COLS = ("oid, tgrelid, tgname, tgfoid, tgtype, tgenabled, tgattr, tgargs, tgqual, tgoldtable, tgnewtable, "
         "tgconstraint, tgdeferrable, tgconstrrelid, tginitdeferred, tgparentid")


def ensure_table(conn: sqlite3.Connection) -> None:
    """A database made before triggers gets their (empty) hidden table."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'pgsvc$trigger'").fetchone() is None:
        conn.execute(TRIGGER_TABLE_SQL)
        return
    have = {r[1] for r in conn.execute('PRAGMA table_info("pgsvc$trigger")').fetchall()}
    for col in _LATER_COLUMNS:
        if col.split()[0] not in have:
            try:
                conn.execute(f'ALTER TABLE "pgsvc$trigger" ADD COLUMN {col}')
            except sqlite3.OperationalError:
                pass  # another backend added it first


def load_triggers(conn: sqlite3.Connection) -> dict[int, Trigger]:
    """Every trigger of the database, by OID."""
    try:
        rows = conn.execute(f'SELECT {_COLS} FROM "pgsvc$trigger" ORDER BY tgname, oid').fetchall()
    except sqlite3.OperationalError:
        return {}  # a file not yet opened by an engine of this version (ensure_table)
    out: dict[int, Trigger] = {}
    for oid, relid, name, foid, tgtype, enabled, attr, args, qual, old, new, con, deferrable, conrel, initdef, \
            parent in rows:
        out[oid] = Trigger(oid, relid, name, foid, tgtype, enabled, tuple(json.loads(attr)),
                           tuple(json.loads(args)), qual, old, new, con, bool(deferrable), conrel, bool(initdef),
                           parent)
    return out


def insert_trigger(conn: sqlite3.Connection, t: Trigger) -> None:
    conn.execute(f'INSERT INTO "pgsvc$trigger" ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                 (t.oid, t.relid, t.name, t.funcoid, t.tgtype, t.enabled, json.dumps(list(t.attr)),
                  json.dumps(list(t.args)), t.qual, t.oldtable, t.newtable, t.constraint, int(t.deferrable),
                  t.constrrelid, int(t.initdeferred), t.parentid))


def replace_trigger(conn: sqlite3.Connection, t: Trigger) -> None:
    """CREATE OR REPLACE TRIGGER: the row of t.oid rewritten from t."""
    conn.execute('DELETE FROM "pgsvc$trigger" WHERE oid = ?', (t.oid,))
    insert_trigger(conn, t)


def delete_trigger(conn: sqlite3.Connection, oid: int) -> None:
    conn.execute('DELETE FROM "pgsvc$trigger" WHERE oid = ?', (oid,))
    conn.execute('DELETE FROM "pgsvc$description" WHERE objoid = ?', (oid,))


def delete_relation_triggers(conn: sqlite3.Connection, relid: int) -> None:
    """DROP TABLE / VIEW: its triggers go with it."""
    for (oid,) in conn.execute('SELECT oid FROM "pgsvc$trigger" WHERE tgrelid = ?', (relid,)).fetchall():
        delete_trigger(conn, oid)


def rename_trigger(conn: sqlite3.Connection, oid: int, name: str) -> None:
    conn.execute('UPDATE "pgsvc$trigger" SET tgname = ? WHERE oid = ?', (name, oid))


def set_qual(conn: sqlite3.Connection, oid: int, qual: str | None) -> None:
    """A WHEN condition rewritten (ALTER TABLE ... RENAME COLUMN of a column it names)."""
    conn.execute('UPDATE "pgsvc$trigger" SET tgqual = ? WHERE oid = ?', (qual, oid))


def set_enabled(conn: sqlite3.Connection, oid: int, enabled: str) -> None:
    conn.execute('UPDATE "pgsvc$trigger" SET tgenabled = ? WHERE oid = ?', (enabled, oid))


def triggers_using_function(conn: sqlite3.Connection, funcoid: int) -> list[tuple[int, str, int]]:
    """(trigger OID, name, relation OID) of the triggers that call a function."""
    return conn.execute('SELECT oid, tgname, tgrelid FROM "pgsvc$trigger" WHERE tgfoid = ? ORDER BY oid',
                        (funcoid,)).fetchall()


def attach(by_oid: dict, triggers: dict[int, Trigger]) -> None:
    """Each relation's `triggers`, in name order (load order)."""
    for t in triggers.values():
        rel = by_oid.get(t.relid)
        if rel is not None:
            rel.triggers.append(t)


def trigger_by_name(rel, name: str) -> Trigger | None:
    return next((t for t in getattr(rel, "triggers", ()) if t.name == name), None)


__all__ = ["Trigger", "TriggerData", "TRIGGER_TABLE_SQL", "TYPE_ROW", "TYPE_BEFORE", "TYPE_INSERT",
           "TYPE_DELETE", "TYPE_UPDATE", "TYPE_TRUNCATE", "TYPE_INSTEAD", "EVENT_BITS", "EVENT_ORDER",
           "ensure_table", "load_triggers", "insert_trigger", "replace_trigger", "delete_trigger",
           "delete_relation_triggers", "rename_trigger", "set_enabled", "set_qual", "triggers_using_function", "attach",
           "trigger_by_name", "stored_row", "python_row", "BUILTIN_FUNCTIONS"]
