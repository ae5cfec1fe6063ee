"""Firing PostgreSQL triggers (catalog.triggers): mixed into the Engine.

The model is PostgreSQL's (commands/trigger.c): each statement that changes a relation
with triggers is one *query level* (AfterTriggerBeginQuery / EndQuery). In a level:

  BEFORE STATEMENT triggers fire first (even when no row is changed);
  BEFORE ROW triggers run for each row before it is written (exec.trigger_dml's row-by-row
      path): they may change NEW or skip the row (NULL), in name order, each seeing the
      row the previous one returned;
  every row change is captured as it happens (the SQLite triggers of
      commands.ddl.trigger_capture call pgsvce_tg_capture), whatever caused it: the
      statement, an upsert's DO UPDATE, a foreign key's cascade into another table;
  at the end of the statement AFTER ROW triggers fire for the captured changes in the
      order they happened (for each change, the relation's triggers in name order), then
      AFTER STATEMENT triggers; REFERENCING OLD/NEW TABLE names are relations of the
      level's changes during those calls (temporary tables, `transition_tables`).

A trigger function's own statements are levels of their own (recursion has the routine
call depth limit, 54001). An error anywhere fails the statement; the transaction (or the
PL/pgSQL exception block's savepoint) takes back what it did.

Foreign-key actions are SQLite's: a BEFORE ROW trigger of a row they change runs from the
SQLite BEFORE trigger (pgsvce_tg_before: NULL skips the row; a changed NEW is written
right after SQLite's own update). PostgreSQL runs such triggers when its RI trigger fires
at the end of the statement; here they run at the moment the parent row changes. The
child's statement triggers fire as PostgreSQL's RI queries fire them: BEFORE STATEMENT
once per level at the first action on it (one trigger level deeper; every deleted parent
row, every updated one whose key changed, runs a query even when no child row matches),
AFTER STATEMENT once, after the statement's own AFTER STATEMENT triggers and the
children's AFTER ROW ones (Level.stmt_fired, fk_actions). A grandchild's need the child's
changes captured (the child has row triggers or transition tables).
"""

from __future__ import annotations

import hashlib
import sys
from contextlib import contextmanager
import json
import re

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import triggers as TG
from pgsvc.sql.catalog.database import Relation
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.commands.ddl.triggers import when_node
from pgsvc.sql.exec.routines import stack_depth_error
from pgsvc.sql.exec.trigger_deferred import DeferredTriggers
from pgsvc.sql.functions.context import raise_sql
from pgsvc.sql.functions.rowsets import rowpack
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.trigger_dml import captures, rowid_name
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.typmod import apply_typmod
from pgsvc.sqlite import sqlite3

EVENTS = {"I": "INSERT", "U": "UPDATE", "D": "DELETE"}
# PostgreSQL's check_stack_depth before a trigger function runs: a trigger that fires itself
# through its own statements stops with 54001 while the interpreter still has room to report
# it (any deeper, a RecursionError could surface in whatever built-in function runs next)
STACK_MARGIN = 150
_PARAM_RE = re.compile(r"\?(\d+)")


class Level:
    """One statement's query level: the row changes captured while it runs."""

    __slots__ = ("relid", "event", "cols", "rows", "cascaded", "writing", "stmt_fired", "parts", "part_cols",
                 "inherited", "verdicts")

    def __init__(self, relid: int, event: str, cols) -> None:
        self.relid = relid
        self.event = event  # 'INSERT' / 'UPDATE' / 'DELETE' (of the statement's target)
        self.cols = set(cols or ())  # attnums the statement assigns (UPDATE OF; DO UPDATE's SET)
        self.rows: list[tuple] = []  # (relid, op 'I'/'U'/'D', old, new) stored forms, in change order
        self.cascaded: list[tuple] = []  # the same for the other relations' rows (foreign-key actions)
        self.writing = None  # (relid, rowid): the row the row-by-row path writes (its BEFORE ran)
        # (relid, event) whose statement triggers fire for foreign-key actions' queries, in order
        self.stmt_fired: list[tuple[int, str]] = [(relid, event)]
        # the partitions of a partitioned target: their rows' AFTER ROW triggers (the target's
        # clones) fire with the statement's own, before its AFTER STATEMENT triggers
        self.parts: frozenset = frozenset()
        self.part_cols: dict = {}  # a partition's OID -> the statement's assigned columns as its attnums
        # an inheritance parent target's children's changes in its columns (its transition tables')
        self.inherited: list[tuple] = []
        # id() of a captured change -> {trigger OID: its WHEN's verdict}: an AFTER ROW trigger's
        # WHEN is evaluated as the row changes, as PostgreSQL's AfterTriggerSaveEvent does
        self.verdicts: dict[int, dict] = {}

    def modified(self, relid: int, op: str, old, new) -> set:
        """The columns an UPDATE assigned (what UPDATE OF tests): the statement's for its
        own target, the changed ones for a row a foreign-key action updated."""
        if relid == self.relid and op == "U":
            return self.cols
        if op == "U" and relid in self.part_cols:
            return self.part_cols[relid]
        return {i + 1 for i, (a, b) in enumerate(zip(old or (), new or ())) if a != b}


def check_stack_depth() -> None:
    frame, depth, limit = sys._getframe(), 0, sys.getrecursionlimit()
    while frame is not None and depth < limit:
        frame, depth = frame.f_back, depth + 1
    if limit - depth < STACK_MARGIN:
        raise stack_depth_error()


def builtin_trigger(t: TG.Trigger, event: str, old, new):
    """suppress_redundant_updates_trigger(): a BEFORE UPDATE ROW trigger that skips an
    update changing nothing (the stored row identical), with PostgreSQL's 09000 errors."""
    name = TG.BUILTIN_FUNCTIONS[t.funcoid]
    for wrong, what in ((event != "UPDATE", "on update"), (t.timing != "BEFORE", "before update"),
                        (not t.row, "for each row")):
        if wrong:
            raise SqlError("09000", f"{name}: must be called {what}")
    return None if tuple(old) == tuple(new) else tuple(new)


def param_count(sql: str) -> int:
    return max((int(n) for n in _PARAM_RE.findall(sql)), default=0)


class TriggerState:
    """The trigger machinery's state of one engine, in one attribute of it: every attribute
    an Engine instance carries makes each of its attribute lookups dearer (CPython's
    instance dictionaries), a cost every statement would pay for triggers it never uses."""

    __slots__ = ("levels", "depth", "suppress", "pending", "specs", "nparams", "last_count", "failed", "in_use",
                 "transition_tables", "deferred", "setc", "setc_log")

    def __init__(self) -> None:
        self.levels: list[Level] = []
        self.depth = 0  # pg_trigger_depth(): trigger functions running, nested
        self.suppress = 0  # > 0: row changes are not captured (TRUNCATE, a diagnostic probe)
        self.pending: dict[tuple, tuple] = {}  # (relid, rowid) -> NEW a cascade's BEFORE trigger made
        self.specs: dict[str, dict] = {}
        self.nparams: dict[str, int] = {}
        self.last_count = 0  # rows of the last routed statement run through pgsvce_tg_dml
        self.failed = None  # (sql, values, relid) of the write that failed (constraint details)
        self.in_use: dict[str, int] = {}  # transition temp table -> calls using it (recursion)
        self.transition_tables: dict[str, Relation] = {}
        # INITIALLY DEFERRED constraint triggers' events, fired at COMMIT:
        # (the savepoints' markers when queued, trigger OID, relation OID, event, OLD, NEW)
        self.deferred: list[tuple] = []
        self.setc: dict = {}  # SET CONSTRAINTS of the transaction: trigger OID or "*" (ALL) -> deferred
        self.setc_log: list[tuple] = []  # (the savepoints' markers, setc before) of each SET CONSTRAINTS


def _state(name: str) -> property:
    def get(self):
        return getattr(self.tg, name)

    def put(self, value) -> None:
        setattr(self.tg, name, value)
    return property(get, put)


class TriggerRuntime(DeferredTriggers):
    """Mixed into the Engine: trigger levels, firing, the capture UDFs."""

    tg_levels = _state("levels")
    tg_depth = _state("depth")
    tg_suppress = _state("suppress")
    tg_pending = _state("pending")
    tg_specs = _state("specs")
    tg_nparams = _state("nparams")
    tg_last_count = _state("last_count")
    tg_failed = _state("failed")
    tg_in_use = _state("in_use")
    transition_tables = _state("transition_tables")

    def init_triggers(self, conn) -> None:
        self.tg = TriggerState()
        conn.create_function("pgsvce_row_text", -1, self.udf_row_text, deterministic=True)
        conn.create_function("pgsvce_tg_capture", -1, self.udf_capture)
        conn.create_function("pgsvce_tg_before", -1, self.udf_before)
        conn.create_function("pgsvce_tg_dml", -1, self.udf_dml)
        self.init_wcte(conn)  # data-modifying WITH queries' rows (exec.wcte, mixed in with exec.trigger_dml)

    def ensure_tg_sink(self) -> None:
        """The sink of translate.trigger_dml.spec_sql (what is inserted is deleted at once),
        made when the catalog has triggers (Engine.reload_catalog): a connection with a
        temporary table and trigger pays for them on every transaction (~1% of a
        one-row INSERT), which a database without triggers must not."""
        if self.catalog.triggers or any(r.options.get("inherits") or r.options.get("partkey")
                                        for r in self.catalog.by_oid.values()):  # (translate.partitions)
            self.conn.execute('CREATE TEMP TABLE IF NOT EXISTS "pgsvc$tg_sink" (v)')
            self.conn.execute('CREATE TEMP TRIGGER IF NOT EXISTS "pgsvc$tg_sink_clear" AFTER INSERT ON '
                              '"pgsvc$tg_sink" BEGIN DELETE FROM "pgsvc$tg_sink" WHERE rowid = NEW.rowid; END')

    # --- the UDFs ------------------------------------------------------------------------

    def udf_row_text(self, types: str, *vals):
        """A FROM item's row as a record value's text (translate.trigger_dml.whole_row_ref)."""
        try:
            return self.record_text(vals, [int(t) for t in types.split(",")])
        except SqlError as err:
            raise_sql(self.fctx, err)

    def udf_capture(self, relid, op, rowid, n, *vals):
        if self.tg_suppress or not self.tg_levels:
            return None
        try:
            if op == "U":
                old, new = vals[:n], vals[n:]
                if self.tg_pending:
                    changed = self.tg_pending.pop((relid, rowid), None)
                    if changed is not None:
                        new = self.apply_cascade_change(relid, rowid, changed)
            elif op == "I":
                old, new = None, vals
            else:
                old, new = vals, None
            lv = self.tg_levels[-1]
            change = (relid, op, old, new)
            (lv.rows if relid == lv.relid else lv.cascaded).append(change)
            rel = self.catalog.by_oid.get(relid)
            if rel is not None and any(t.qual and t.row and t.timing == "AFTER" for t in rel.triggers):
                lv.verdicts[id(change)] = {t.oid: self.when_true(t, rel, old, new)
                                           for t in self.enabled(rel, "AFTER", EVENTS[op], True) if t.qual}
        except SqlError as err:
            raise_sql(self.fctx, err)
        except RecursionError:
            raise_sql(self.fctx, stack_depth_error())
        return None

    def udf_before(self, relid, op, rowid, n, *vals):
        """A BEFORE ROW trigger of a row SQLite changes for a foreign-key action: 1 goes on."""
        if self.tg_suppress or not self.tg_levels:
            return 1
        lv = self.tg_levels[-1]
        if lv.writing == (relid, rowid):
            return 1  # the row-by-row path's own write: its BEFORE triggers have run
        rel = self.catalog.by_oid.get(relid)
        if rel is None:
            return 1
        old = vals[:n]
        new = vals[n:] if op == "U" else None
        self.cascade_statement_start(lv, relid, EVENTS[op])
        self.tg_depth += 1  # PostgreSQL runs it from the foreign key's RI trigger: one level deeper
        try:
            out = self.before_row(rel, EVENTS[op], old, new, lv.modified(relid, op, old, new))
        except SqlError as err:
            raise_sql(self.fctx, err)
        except RecursionError:
            raise_sql(self.fctx, stack_depth_error())
        finally:
            self.tg_depth -= 1
        if out is None:
            return 0
        if op == "U" and tuple(out) != tuple(new):
            self.tg_pending[(relid, rowid)] = tuple(out)
        return 1

    def apply_cascade_change(self, relid: int, rowid, row: tuple) -> tuple:
        rel = self.catalog.by_oid[relid]
        sets = ", ".join(f"{quote_sqlite_ident(a.name)} = ?" for a in rel.attrs)
        self.tg_suppress += 1
        try:
            self.conn.execute(f"UPDATE {quote_sqlite_ident(rel.sqlite_name)} SET {sets} "
                              f"WHERE {rowid_name(rel)} = ?", list(row) + [rowid])
        except sqlite3.Error as e:  # the changed row breaks a constraint (a partition's, say)
            raise map_error(e, self) from None
        finally:
            self.tg_suppress -= 1
        return row

    def udf_dml(self, text, *args):
        try:
            spec = self.tg_specs.get(text)
            if spec is None:
                if len(self.tg_specs) > 500:
                    self.tg_specs.clear()
                spec = self.tg_specs[text] = json.loads(text)
            rows, count = self.run_trigger_dml(spec, list(args))
            self.tg_last_count = count
        except SqlError as err:
            raise_sql(self.fctx, err)
        except RecursionError:
            raise_sql(self.fctx, stack_depth_error())
        if not spec["ncol"]:
            return "[" + ",".join("0" * count) + "]"  # one element per row: the sink's count
        return "[" + ",".join(rowpack(*r) for r in rows) + "]"

    @contextmanager
    def capture_off(self):
        """Row changes made inside are no trigger's business (TRUNCATE's, a probe's)."""
        self.tg_suppress += 1
        try:
            yield
        finally:
            self.tg_suppress -= 1

    # --- levels ----------------------------------------------------------------------------

    def args_for(self, sql: str, values: list) -> list:
        n = self.tg_nparams.get(sql)
        if n is None:
            if len(self.tg_nparams) > 2000:
                self.tg_nparams.clear()
            n = self.tg_nparams[sql] = param_count(sql)
        return values[:n]

    def enabled(self, rel, timing: str, event: str, row: bool) -> list:
        """rel's triggers of one timing, event and level that fire under session_replication_role."""
        if row and rel.options.get("partkey"):
            return []  # a partitioned table's row triggers fire as their partitions' clones
        replica = self.session.settings.get("session_replication_role") == "replica"
        return [t for t in rel.triggers if t.row == row and t.timing == timing and t.fires_on(event)
                and t.enabled_now(replica)]

    def fire_statement_triggers(self, rel, event: str, timing: str, lv: Level | None = None, cols=None) -> None:
        """BEFORE / AFTER STATEMENT triggers of rel for event (TRUNCATE too); UPDATE OF
        triggers only when the statement assigns one of their columns (cols; the level's
        own when rel is its target)."""
        if cols is None and lv is not None and lv.relid == rel.oid:
            cols = lv.cols
        for t in self.enabled(rel, timing, event, False):
            if t.attr and event == "UPDATE" and cols is not None and not any(c in cols for c in t.attr):
                continue
            if t.qual and not self.when_true(t, rel, None, None):
                continue
            self.call_trigger(t, rel, event, None, None, lv)

    # --- foreign-key actions' statements ---------------------------------------------------

    def cascade_statement_start(self, lv: Level, relid: int, event: str) -> None:
        """A foreign-key action's query on relid (PostgreSQL's RI trigger runs one for each
        parent row it acts on): relid's BEFORE STATEMENT triggers for event fire at the first
        one of the level, one trigger level deeper; its AFTER STATEMENT ones at the end."""
        if (relid, event) in lv.stmt_fired:
            return
        lv.stmt_fired.append((relid, event))
        rel = self.catalog.by_oid.get(relid)
        if rel is None or not any(not t.row and t.fires_on(event) for t in rel.triggers):
            return
        self.tg_depth += 1
        try:
            self.fire_statement_triggers(rel, event, "BEFORE", lv, self.fk_columns(rel))
        finally:
            self.tg_depth -= 1

    def fk_columns(self, rel) -> set:
        """The columns foreign-key actions assign in rel (what its UPDATE OF triggers test)."""
        return {k for c in rel.constraints if c.contype == "f" for k in c.keys}

    def fk_actions(self, parent_oid: int, event: str, rows) -> list[tuple[int, str]]:
        """(child OID, event) of the foreign-key actions a statement's changes of parent_oid
        run queries for: every deleted row (ON DELETE CASCADE / SET NULL / SET DEFAULT), every
        updated row whose referenced key changed (ON UPDATE ...). rows: the changes as
        (old, new) pairs, or None when they were not captured (then: any row changed)."""
        out = []
        for child in self.catalog.by_oid.values():
            for con in sorted(child.constraints, key=lambda c: c.oid):
                if con.contype != "f" or con.frelid != parent_oid:
                    continue
                action = con.on_delete if event == "DELETE" else con.on_update
                if action not in ("c", "n", "d"):
                    continue
                if event == "UPDATE" and rows is not None and not any(
                        old is not None and new is not None and any(old[k - 1] != new[k - 1] for k in con.fkeys)
                        for old, new in rows):
                    continue
                hit = (child.oid, "DELETE" if event == "DELETE" and action == "c" else "UPDATE")
                if hit not in out:
                    out.append(hit)
        return out

    def statement_fk_actions(self, rel, event: str, lv: Level, count: int) -> list[tuple[int, str]]:
        """fk_actions of the statement's own changes of rel."""
        if not count or event == "INSERT":
            return []
        op = event[0]
        own = [(old, new) for relid, o, old, new in lv.rows if relid == rel.oid and o == op]
        if own or captures(rel, event):
            return self.fk_actions(rel.oid, event, own)
        if event == "UPDATE":  # not captured: the statement assigned a referenced column
            return [hit for hit in self.fk_actions(rel.oid, event, None)
                    if any(k in lv.cols for con in self.catalog.by_oid[hit[0]].constraints
                           if con.contype == "f" and con.frelid == rel.oid for k in con.fkeys)]
        return self.fk_actions(rel.oid, event, None)

    def fire_cascade_ends(self, lv: Level) -> None:
        """AFTER STATEMENT triggers of the relations foreign-key actions queried, in the order
        their queries first ran (the statement's own relation excepted)."""
        for relid, event in lv.stmt_fired[1:]:
            rel = self.catalog.by_oid.get(relid)
            if rel is not None and any(not t.row and t.fires_on(event) for t in rel.triggers):
                self.fire_statement_triggers(rel, event, "AFTER", lv, self.fk_columns(rel))

    def fire_after_rows(self, lv: Level, own: bool = True) -> None:
        """AFTER ROW triggers of the level's changes: the statement's own (own), or those of
        foreign-key actions, table by table outward (PostgreSQL's RI triggers queue their
        queries' events after the statement's, its AFTER STATEMENT event included; the
        queries of a table's actions run, and its children's BEFORE STATEMENT triggers fire,
        before that table's own events)."""
        rows = lv.rows
        if own and lv.parts:
            rows = rows + [r for r in lv.cascaded if r[0] in lv.parts]
        if not own:
            depth = self.cascade_depths(lv.relid)
            rows = sorted(lv.cascaded, key=lambda r: depth.get(r[0], (99, 0)))
            by_rel: dict[int, list] = {}
            for relid, op, old, new in rows:
                by_rel.setdefault((relid, op), []).append((old, new))
            for (relid, op), changes in by_rel.items():
                for hit in self.fk_actions(relid, EVENTS[op], changes):
                    self.cascade_statement_start(lv, *hit)
        i = 0
        while i < len(rows):
            relid, op, old, new = rows[i]
            verdicts = lv.verdicts.get(id(rows[i]))
            i += 1
            rel = self.catalog.by_oid.get(relid)
            if rel is None or not own and relid in lv.parts:  # (fired with the statement's own)
                continue
            event = EVENTS[op]
            cols = None
            for t in self.enabled(rel, "AFTER", event, True):
                if t.constraint and t.deferrable and self.is_deferred(t):  # at COMMIT (fire_deferred)
                    if self.after_row_applies(t, rel, lv, relid, op, old, new, verdicts):
                        self.tg.deferred.append((tuple(self.txn.sp_settings), t.oid, rel.oid, event, old, new))
                    continue
                if t.attr and event == "UPDATE":
                    if cols is None:
                        cols = lv.modified(relid, op, old, new)
                    if not any(c in cols for c in t.attr):
                        continue
                if t.qual and not (verdicts[t.oid] if verdicts and t.oid in verdicts
                                   else self.when_true(t, rel, old, new)):
                    continue
                self.call_trigger(t, rel, event, old, new, lv)

    def after_row_applies(self, t: TG.Trigger, rel, lv: Level, relid: int, op: str, old, new,
                          verdicts: dict | None = None) -> bool:
        """UPDATE OF and WHEN of an AFTER ROW trigger for one change (verdicts: the WHENs
        evaluated as it was captured)."""
        if t.attr and op == "U" and not any(c in lv.modified(relid, op, old, new) for c in t.attr):
            return False
        if verdicts and t.oid in verdicts:
            return verdicts[t.oid]
        return not t.qual or self.when_true(t, rel, old, new)

    def cascade_depths(self, relid: int) -> dict[int, tuple]:
        """Relations reached by foreign-key actions from relid -> (how many keys away, the
        key's OID: PostgreSQL's RI triggers of one table fire in the keys' creation order)."""
        depth: dict[int, tuple] = {relid: (0, 0)}
        todo = [relid]
        while todo:
            oid = todo.pop(0)
            for rel in self.catalog.by_oid.values():
                key = min((c.oid for c in rel.constraints if c.contype == "f" and c.frelid == oid), default=None)
                if rel.oid not in depth and key is not None:
                    depth[rel.oid] = (depth[oid][0] + 1, key)
                    todo.append(rel.oid)
        return depth

    def before_row(self, rel, event: str, old, new, cols) -> tuple | None:
        """BEFORE ROW triggers of one row (stored forms); the row to write, or None to skip it
        (for DELETE: OLD, or None)."""
        row = old if event == "DELETE" else new
        for t in self.enabled(rel, "BEFORE", event, True):
            if t.attr and event == "UPDATE" and not any(c in cols for c in t.attr):
                continue
            if t.qual and not self.when_true(t, rel, old, new if event != "DELETE" else None):
                continue
            out = self.call_trigger(t, rel, event, old, row if event != "DELETE" else None)
            if out is None:
                return None
            if event != "DELETE":
                if t.parentid and event == "INSERT" and out != row:  # its parent's (exec.partition_dml)
                    self.check_clone_kept_row(rel, t, out)
                row = out
        return row

    def instead_row(self, rel, event: str, old, new) -> tuple | None:
        """INSTEAD OF ROW triggers of a view's row: the row the last returned, or None."""
        row = old if event == "DELETE" else new
        for t in self.enabled(rel, "INSTEAD OF", event, True):
            out = self.call_trigger(t, rel, event, old, new if event != "DELETE" else None)
            if out is None:
                return None
            if event != "DELETE":
                new = row = out
        return row

    # --- one call ------------------------------------------------------------------------

    def call_trigger(self, t: TG.Trigger, rel, event: str, old, new, lv: Level | None = None):
        """Run t's function once; its row in stored forms (None for NULL)."""
        routine = self.catalog.routines.get(t.funcoid)
        if routine is None:
            if t.funcoid in TG.BUILTIN_FUNCTIONS:
                return builtin_trigger(t, event, old, new)
            raise SqlError("XX000", f"cache lookup failed for function {t.funcoid}")
        check_stack_depth()
        attrs = tuple(rel.attrs)
        td = TG.TriggerData(t, event, rel.oid, rel.name, rel.schema, attrs,
                            TG.python_row(attrs, old) if old is not None else None,
                            TG.python_row(attrs, new) if new is not None else None)
        if lv is not None and t.timing == "AFTER" and (t.oldtable or t.newtable):
            td.old_table, td.new_table = t.oldtable, t.newtable
            with_tables = self.transition(t, rel, event, lv)
        else:
            with_tables = None
        self.tg_depth += 1
        try:
            out = self.call_routine(routine, (), O.TRIGGER, [], (), trigger=td)
        finally:
            self.tg_depth -= 1
            if with_tables is not None:
                self.end_transition(with_tables)
        if out is None or t.timing == "AFTER" or not t.row:
            return None
        if not isinstance(out, (tuple, list)) or len(out) != len(attrs):
            raise SqlError("42804", "returned row structure does not match the structure of the triggering table",
                           detail="Number of returned columns does not match expected column count.")
        return self.stored_result(attrs, out)

    @staticmethod
    def stored_result(attrs, row) -> tuple:
        vals = []
        for a, v in zip(attrs, row):
            if v is not None and a.typmod >= 0:
                v = apply_typmod(a.type_oid, v, a.typmod)
            vals.append(v)
        return TG.stored_row(attrs, vals)

    def when_true(self, t: TG.Trigger, rel, old, new) -> bool:
        sql = t.extra.get("when")
        if sql is None:
            tr = Translator(self, self.catalog, [])
            sql = t.extra["when"] = "SELECT " + tr.trigger_when(rel, when_node(t.qual))
        k = len(rel.attrs)
        args = list(old if old is not None else (None,) * k) + list(new if new is not None else (None,) * k)
        got = self.conn.execute(sql, self.args_for(sql, args)).fetchone()
        return bool(got and got[0] == 1)

    # --- transition tables ---------------------------------------------------------------

    def transition(self, t: TG.Trigger, rel, event: str, lv: Level) -> list:
        """Fill t's transition tables from the level; what end_transition restores (a
        recursive call of the same trigger reuses its tables: the outer rows come back)."""
        op = {"INSERT": "I", "UPDATE": "U", "DELETE": "D"}[event]
        sig = hashlib.sha1(json.dumps([(a.name, a.type_oid) for a in rel.attrs]).encode()).hexdigest()[:8]
        saved = []
        for name, which in ((t.oldtable, 2), (t.newtable, 3)):
            if name is None:
                continue
            rows = [r[which] for r in lv.rows + lv.cascaded + lv.inherited
                    if r[0] == rel.oid and r[1] == op and r[which] is not None]
            # one table per relation, name and row shape: every trigger of rel naming its
            # transition table so (one function for INSERT/UPDATE/DELETE) reads the same one,
            # whatever the caller cached of a translation that names it
            table = f"pgsvc$tt_{rel.oid}_{hashlib.sha1(name.encode()).hexdigest()[:8]}_{sig}"
            q = quote_sqlite_ident(table)
            cols = ", ".join(quote_sqlite_ident(a.name) for a in rel.attrs)
            self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {q} ({cols})")
            outer = self.conn.execute(f"SELECT * FROM temp.{q}").fetchall() if self.tg_in_use.get(table) else None
            self.conn.execute(f"DELETE FROM temp.{q}")
            if rows:
                marks = ", ".join("?" * len(rel.attrs))
                self.conn.executemany(f"INSERT INTO temp.{q} VALUES ({marks})", rows)
            self.tg_in_use[table] = self.tg_in_use.get(table, 0) + 1
            saved.append((name, self.transition_tables.get(name), table, outer))
            self.transition_tables[name] = Relation(0, "pg_temp", name, "r", table, attrs=list(rel.attrs))
        return saved

    def end_transition(self, saved: list) -> None:
        for name, previous, table, outer in reversed(saved):
            if previous is None:
                self.transition_tables.pop(name, None)
            else:
                self.transition_tables[name] = previous
            self.tg_in_use[table] -= 1
            q = quote_sqlite_ident(table)
            self.conn.execute(f"DELETE FROM temp.{q}")
            if outer:
                marks = ", ".join("?" * len(outer[0]))
                self.conn.executemany(f"INSERT INTO temp.{q} VALUES ({marks})", outer)


__all__ = ["TriggerRuntime", "Level", "EVENTS", "param_count"]
