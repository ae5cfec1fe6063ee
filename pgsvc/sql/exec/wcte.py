"""Running a statement with data-modifying WITH queries (translate.wcte's spec, kind 'W'),
mixed into the Engine and reached through run_trigger_dml (the runner's handler, PL/pgSQL)
or pgsvce_tg_dml (any other executor).

One frame per statement, on a stack (a trigger or function inside may run a statement of
its own): the snapshots of the tables the WITH queries change are captured first, then each
data-modifying WITH query runs once, in order, its RETURNING rows kept in the frame, then
the main statement, which reads them (and the snapshots) through pgsvce_wcte_rows.
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.functions.context import raise_sql
from pgsvc.sql.functions.rowsets import rowpack
from pgsvc.sql.statement import Statement
from pgsvc.sqlite import sqlite3


def _packed(rows) -> str:
    return "[" + ",".join(rowpack(*r) for r in rows) + "]"


def merge_check(merge: dict, rows) -> None:
    """MERGE: no target row changed twice (two source rows matching it, each with an acting
    WHEN MATCHED clause), refused before anything changes."""
    seen = set()
    rid, k, acts = merge["rid"], merge["k"], frozenset(merge["acts"])
    for r in rows:
        if r[rid] is None or r[k] not in acts:
            continue
        if r[rid] in seen:
            raise SqlError("21000", "MERGE command cannot affect row a second time",
                           hint="Ensure that not more than one source row matches any one target row.")
        seen.add(r[rid])


class WithDml:
    """Mixed into the Engine (see the module docstring)."""

    def init_wcte(self, conn) -> None:
        self.wcte_frames: list[dict] = []
        conn.create_function("pgsvce_wcte_rows", 1, self.udf_wcte_rows)

    def udf_wcte_rows(self, key):
        if not self.wcte_frames:
            raise_sql(self.fctx, SqlError("XX000", "rows of a data-modifying WITH query read outside its statement"))
        return self.wcte_frames[-1].get(key, "[]")

    def run_wcte(self, spec: dict, values: list) -> tuple[list, int]:
        frame: dict[str, str] = {}
        for key, sql in spec["snap"].items():
            frame[key] = _packed(self.conn.execute(sql).fetchall())
        self.wcte_frames.append(frame)
        merge = spec.get("merge")  # (translate.merge: its actions' counts make the tag)
        total = 0
        try:
            for k, step in enumerate(spec["steps"]):
                rows, count = self.wcte_part(step, values)
                frame[str(k)] = _packed(rows)
                if merge is not None and k == merge["step"]:
                    merge_check(merge, rows)
                elif merge is not None and k > merge["step"]:
                    total += count
            if spec["main"] is None:
                return [], total
            return self.wcte_part(spec["main"], values)
        finally:
            self.wcte_frames.pop()

    def wcte_part(self, part: dict, values: list) -> tuple[list, int]:
        """One data-modifying WITH query or the main statement: (rows, count)."""
        if "tg" in part:  # through the trigger machinery (exec.trigger_dml)
            self.tg_failed = None
            try:
                return self.run_trigger_dml(part["tg"], values)
            except sqlite3.Error as e:
                err = map_error(e, self)
                if err.sqlstate.startswith("23") and self.tg_failed is not None and not err.detail:
                    err = self.explain_failed_write(err)
                raise err from None
        sql = part["sql"]
        args = self.args_for(sql, values)
        try:
            cur = self.conn.execute(sql, args)
            rows = cur.fetchall()
        except sqlite3.Error as e:
            err = map_error(e, self)
            if err.sqlstate.startswith("23") and part.get("rel"):
                probe = Statement("", "INSERT")
                probe.sqlite_sql = sql
                probe.extra["relid"] = part["rel"]
                err = self.explain_violation(err, probe, args)
            raise err from None
        if part.get("sel") or part["ncol"]:
            return rows, len(rows)
        return rows, max(cur.rowcount, 0)

    def ensure_wcte_sink(self) -> None:
        """translate.trigger_dml.spec_sql's sink, for a SQL function's statement with
        data-modifying WITH queries under an INSERT / UPDATE / DELETE (exec.sql_language)."""
        self.conn.execute('CREATE TEMP TABLE IF NOT EXISTS "pgsvc$tg_sink" (v)')
        self.conn.execute('CREATE TEMP TRIGGER IF NOT EXISTS "pgsvc$tg_sink_clear" AFTER INSERT ON '
                          '"pgsvc$tg_sink" BEGIN DELETE FROM "pgsvc$tg_sink" WHERE rowid = NEW.rowid; END')


__all__ = ["WithDml"]
