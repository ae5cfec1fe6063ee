"""Running a DML statement routed through the trigger machinery (translate.trigger_dml's
spec): mixed into the Engine, with the runner's statement handler and COPY FROM's path.

One statement is one query level (exec.triggers): BEFORE STATEMENT triggers, the rows,
AFTER ROW triggers for every captured change, AFTER STATEMENT triggers. The rows go one of
three ways:

  plain       no BEFORE ROW trigger is enabled for the event: the statement runs as
              DmlMixin translated it (one SQLite statement; its changes are captured);
  row by row  the rows to change are read first (spec 'src'), then for each: the BEFORE
              ROW triggers (NEW changed or the row skipped), and the write of that one row
              by rowid ('w'); an upsert whose conflicting row has BEFORE UPDATE triggers
              finds that row, computes the DO UPDATE row, runs them and updates it;
  a view      INSTEAD OF ROW triggers do the work: each row they return counts as
              processed (and is what RETURNING shows).

The counts are PostgreSQL's: rows written (or processed by INSTEAD OF triggers).
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.exec.partition_dml import PartitionDml
from pgsvc.sql.exec.triggers import EVENTS, Level
from pgsvc.sql.exec.wcte import WithDml
from pgsvc.sql.statement import Result, Statement, convert_rows
from pgsvc.sql.translate.trigger_dml import rowid_name
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sqlite import sqlite3


class TriggerDml(PartitionDml, WithDml):
    """Mixed into the Engine: routed DML (see the module docstring)."""

    def run_trigger_dml(self, spec: dict, values: list) -> tuple[list, int]:
        """Run a routed statement: (RETURNING rows in stored forms, count)."""
        if spec["k"] == "W":  # a statement with data-modifying WITH queries (exec.wcte)
            return self.run_wcte(spec, values)
        rel = self.catalog.by_oid.get(spec["rel"])
        if rel is None:
            raise SqlError("XX000", f"relation {spec['rel']} of a translated statement does not exist")
        event = EVENTS[spec["k"]]
        events = (event, "UPDATE") if spec.get("conf") == "u" else (event,)
        lv = Level(rel.oid, event, spec.get("cols"))
        if spec.get("part") and P.partkey(rel) is not None:
            lv.parts = frozenset(p.oid for p in P.subtree(self.catalog, rel))
            if lv.cols:  # UPDATE OF of the partitions' clones: the SET columns by name
                lv.part_cols = {p.oid: self.leaf_cols(rel, p, lv.cols) for p in P.subtree(self.catalog, rel)}
        self.tg_levels.append(lv)
        try:
            for e in events:
                self.fire_statement_triggers(rel, e, "BEFORE", lv)
            if spec.get("view"):
                rows, count = self.view_rows(rel, spec, values, event)
            elif spec.get("part"):  # a partitioned table or inheritance parent (exec.partition_dml)
                rows, count = self.partition_rows(rel, spec, values)
            elif any(self.enabled(rel, "BEFORE", e, True) for e in events):
                rows, count = self.row_by_row(rel, spec, values, lv, event)
            else:
                rows, count = self.write_sql(spec["plain"], self.args_for(spec["plain"], values), spec["ncol"],
                                             rel.oid)
            if not spec.get("view"):
                for e in events:  # the foreign-key actions' queries (PostgreSQL's RI triggers)
                    for hit in self.statement_fk_actions(rel, e, lv, count):
                        self.cascade_statement_start(lv, *hit)
            self.fire_after_rows(lv)
            for e in reversed(events):
                self.fire_statement_triggers(rel, e, "AFTER", lv)
            if lv.cascaded or len(lv.stmt_fired) > 1:
                self.fire_after_rows(lv, own=False)
                self.fire_cascade_ends(lv)
        finally:
            self.tg_levels.pop()
            if not self.tg_levels:
                self.tg_pending.clear()
        return rows, count

    def write_sql(self, sql: str, args: list, ncol: int, relid: int) -> tuple[list, int]:
        try:
            cur = self.conn.execute(sql, args)
            if ncol:
                rows = cur.fetchall()
                return rows, len(rows)
            cur.fetchall()
            return [], max(cur.rowcount, 0)
        except sqlite3.Error:
            self.tg_failed = (sql, args, relid)
            raise

    def source_rows(self, spec: dict, values: list) -> list:
        return self.conn.execute(spec["src"], self.args_for(spec["src"], values)).fetchall()

    @staticmethod
    def full_row(rel, names: list, row) -> tuple:
        """A source row of the columns `names` as a row of every column (NULL elsewhere)."""
        at = {n: i for i, n in enumerate(names)}
        return tuple(row[at[a.name]] if a.name in at else None for a in rel.attrs)

    # --- row by row ----------------------------------------------------------------------

    def row_by_row(self, rel, spec: dict, values: list, lv: Level, event: str) -> tuple[list, int]:
        user = values[:spec["n"]]
        ncol, w = spec["ncol"], spec["w"]
        out: list = []
        count = 0
        k = len(rel.attrs)
        src = self.source_rows(spec, values)
        if event == "INSERT":
            upsert = spec.get("conf") == "u" and bool(self.enabled(rel, "BEFORE", "UPDATE", True))
            for r in src:
                new = self.before_row(rel, "INSERT", None, self.full_row(rel, spec["names"], r), ())
                if new is None:
                    continue
                done = self.upsert_row(rel, spec, user, new, lv) if upsert else None
                if done is None:
                    done = self.write_sql(w, user + list(new), ncol, rel.oid)
                out += done[0]
                count += done[1]
            return out, count
        seen: set = set()
        current = f"SELECT {', '.join(quote_sqlite_ident(a.name) for a in rel.attrs)} FROM " \
                  f"{quote_sqlite_ident(rel.sqlite_name)} WHERE {rowid_name(rel)} = ?"
        for r in src:
            rowid = r[0]
            if rowid in seen:
                continue  # UPDATE ... FROM joining a row more than once changes it once
            seen.add(rowid)
            old = r[1:k + 1]
            if event == "UPDATE":
                new = self.before_row(rel, "UPDATE", old, r[k + 1:], lv.cols)
                args = None if new is None else user + list(new) + [rowid]
            else:
                args = None if self.before_row(rel, "DELETE", old, None, ()) is None else user + [rowid]
            if args is None:
                continue
            if self.conn.execute(current, [rowid]).fetchone() != tuple(old):
                raise self_modified("MERGE" if spec.get("merge") else event)  # (translate.merge's actions)
            lv.writing = (rel.oid, rowid)
            try:
                done = self.write_sql(w, args, ncol, rel.oid)
            finally:
                lv.writing = None
            out += done[0]
            count += done[1]
        return out, count

    def upsert_row(self, rel, spec: dict, user: list, new: tuple, lv: Level):
        """ON CONFLICT DO UPDATE of one row whose table has BEFORE UPDATE triggers: None when
        the row conflicts with none (then it is inserted as usual)."""
        cu = spec["cu"]
        at = {a.name: i for i, a in enumerate(rel.attrs)}
        keys = [at[c] for c in cu["target"]]
        hit = self.conn.execute(cu["find"], self.args_for(cu["find"], user + [new[i] for i in keys])).fetchone()
        if hit is None:
            return None
        rowid = hit[0]
        got = self.conn.execute(cu["new"], self.args_for(cu["new"], user + list(new) + [rowid])).fetchone()
        if got is None or got[-1] != 1:
            return [], 0  # DO UPDATE ... WHERE false: the row stays, nothing counts
        cols = ", ".join(quote_sqlite_ident(a.name) for a in rel.attrs)
        old = self.conn.execute(f"SELECT {cols} FROM {quote_sqlite_ident(rel.sqlite_name)} "
                                f"WHERE {rowid_name(rel)} = ?", [rowid]).fetchone()
        upd = self.before_row(rel, "UPDATE", old, got[:-1], lv.cols)
        if upd is None:
            return [], 0
        lv.writing = (rel.oid, rowid)
        try:
            return self.write_sql(cu["w"], self.args_for(cu["w"], user + list(upd) + [rowid]), spec["ncol"],
                                  rel.oid)
        finally:
            lv.writing = None

    # --- views: INSTEAD OF ------------------------------------------------------------------

    def view_rows(self, rel, spec: dict, values: list, event: str) -> tuple[list, int]:
        user = values[:spec["n"]]
        k = len(rel.attrs)
        out: list = []
        count = 0
        for r in self.source_rows(spec, values):
            if event == "INSERT":
                old, new = None, self.full_row(rel, spec["names"], r)
            else:
                old, new = r[1:k + 1], (r[k + 1:] if event == "UPDATE" else None)
            row = self.instead_row(rel, event, old, new)
            if row is None:
                continue
            count += 1
            if spec["ncol"]:
                ret = spec["ret"]
                out += self.conn.execute(ret, self.args_for(ret, user + list(row))).fetchall()
        return out, count

    # --- COPY FROM ---------------------------------------------------------------------------

    def copy_with_triggers(self, spec: dict, rows) -> int:
        """COPY FROM into a table with triggers: rows of the COPY's columns (stored forms)."""
        rel = self.catalog.by_oid[spec["rel"]]
        lv = Level(rel.oid, "INSERT", ())
        self.tg_levels.append(lv)
        count = 0
        try:
            self.fire_statement_triggers(rel, "INSERT", "BEFORE")
            before = bool(self.enabled(rel, "BEFORE", "INSERT", True))
            for row in rows:
                if not before:
                    count += self.write_sql(spec["plain"], list(row), 0, rel.oid)[1]
                    continue
                src = self.conn.execute(spec["src"], list(row)).fetchone()
                if src is None:  # left out by COPY FROM ... WHERE
                    continue
                new = self.before_row(rel, "INSERT", None, self.full_row(rel, spec["names"], src), ())
                if new is not None:
                    count += self.write_sql(spec["w"], list(new), 0, rel.oid)[1]
            self.fire_after_rows(lv)
            self.fire_statement_triggers(rel, "INSERT", "AFTER", lv)
        finally:
            self.tg_levels.pop()
            if not self.tg_levels:
                self.tg_pending.clear()
        return count

    # --- constraint details -------------------------------------------------------------------

    def explain_failed_write(self, err: SqlError) -> SqlError:
        """PostgreSQL's detail for a constraint violation of the write that failed (the
        runner's probe, re-run on that one write with capture off)."""
        sql, args, relid = self.tg_failed
        self.tg_failed = None
        probe = Statement("", "INSERT")
        probe.sqlite_sql = sql
        probe.extra["relid"] = relid
        self.tg_suppress += 1
        try:
            return self.explain_violation(err, probe, args)
        finally:
            self.tg_suppress -= 1


def self_modified(event: str) -> SqlError:
    """A BEFORE trigger's own statements changed a row its statement is about to change
    (PostgreSQL's TM_SelfModified from another command id)."""
    done = {"UPDATE": "updated", "MERGE": "updated or deleted"}.get(event, "deleted")
    return SqlError("27000", f"tuple to be {done} was already modified "
                             "by an operation triggered by the current command",
                    hint="Consider using an AFTER trigger instead of a BEFORE trigger to propagate changes to "
                         "other rows.")


def run_trigger_statement(engine, stmt: Statement, params) -> Result:
    """The runner's handler of a routed DML statement (transactions as run_sql's)."""
    values = engine.bind_values(stmt, params)
    txn = engine.txn
    autocommit = not txn.open and not txn.block and not txn.implicit
    if stmt.writes:
        engine.acquire_writer()
    engine.ensure_open()
    engine.tg_failed = None
    try:
        rows, count = engine.run_trigger_dml(stmt.extra["trigger_spec"], values)
    except Exception as e:  # noqa: BLE001 - mapped to the client's error below
        err = e if isinstance(e, SqlError) else map_error(e, engine)
        if err.sqlstate.startswith("23") and engine.tg_failed is not None and not err.detail:
            err = engine.explain_failed_write(err)
        if autocommit:
            engine.sqlite_rollback()
        elif engine.sequences.advanced and engine.conn.in_transaction:
            engine.sequences.reapply()
        raise err from None
    if autocommit:
        engine.sqlite_commit()
    out = list(convert_rows(rows, stmt.out_convs)) if stmt.columns is not None else []
    return Result(stmt.columns, out, stmt.command, count)


__all__ = ["TriggerDml", "run_trigger_statement"]
