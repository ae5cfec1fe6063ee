"""Deferred constraint triggers (exec.triggers mixes this in): the events of DEFERRABLE
constraint triggers whose mode is DEFERRED (INITIALLY DEFERRED, or SET CONSTRAINTS) are
queued in TriggerState.deferred and fire at COMMIT (Engine.sqlite_commit), or when SET
CONSTRAINTS ... IMMEDIATE makes them immediate; ROLLBACK drops them, ROLLBACK TO a savepoint
(and a PL/pgSQL exception block's end) those queued since it was taken."""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import deferrable
from pgsvc.sql.catalog import triggers as TG
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.exec import diagnose


class DeferredTriggers:
    """Methods of the Engine (through exec.triggers.TriggerRuntime)."""

    def is_deferred(self, t: TG.Trigger) -> bool:
        """A DEFERRABLE constraint trigger's mode now: SET CONSTRAINTS, else INITIALLY ..."""
        setc = self.tg.setc
        return setc.get(t.oid, setc.get("*", t.initdeferred)) if setc else t.initdeferred

    def set_constraints(self, names, deferred: bool) -> None:
        """SET CONSTRAINTS (commands.constraints_set): ALL or the named constraint triggers
        and deferrable foreign keys (a name: every one of it in the search path, or in the
        schema given) DEFERRED or IMMEDIATE for the rest of the transaction; IMMEDIATE fires
        their queued events now, and checks the rows of the foreign keys it makes immediate."""
        fks = deferrable.foreign_keys(self.catalog)
        before = [self.fk_deferred_now(r, c) for r, c in fks]
        if not self.tg.setc:  # the transaction's first (COMMIT and ROLLBACK empty setc)
            self.tg.setc_log = []
        self.tg.setc_log.append((tuple(self.txn.sp_settings), dict(self.tg.setc)))
        self.set_trigger_modes(names, deferred)
        now = [self.fk_deferred_now(r, c) for r, c in fks]
        if any(before) or any(now):
            self.sync_fk_pragma(fks, now)
            self.check_fks([fk for fk, b, d in zip(fks, before, now) if b and not d])

    def sync_fk_pragma(self, fks, now) -> None:
        """PRAGMA defer_foreign_keys on while a key SQLite declares immediate is deferred now."""
        pragma = any(d and not deferrable.initially_deferred(r, c) for (r, c), d in zip(fks, now))
        if pragma:  # as a writer now: a read-committed snapshot refresh would end the pragma
            self.acquire_writer()
        self.ensure_open()  # the pragma lasts until the SQLite transaction ends
        self.conn.execute(f"PRAGMA defer_foreign_keys = {'ON' if pragma else 'OFF'}")

    def fk_deferred_now(self, rel, con) -> bool:
        """A foreign key's mode in this transaction: SET CONSTRAINTS, else INITIALLY ..."""
        if not deferrable.is_deferrable(rel, con):
            return False
        setc, init = self.tg.setc, deferrable.initially_deferred(rel, con)
        return setc.get(con.oid, setc.get("*", init)) if setc else init

    def check_immediate_fks(self) -> None:
        """After a writing statement of a transaction that ran SET CONSTRAINTS: the foreign
        keys immediate now that SQLite defers (declared INITIALLY DEFERRED, or every key while
        PRAGMA defer_foreign_keys is on) are checked, as PostgreSQL checks them at the end of
        the statement."""
        fks = deferrable.foreign_keys(self.catalog)
        now = [self.fk_deferred_now(r, c) for r, c in fks]
        pragma = any(d and not deferrable.initially_deferred(r, c) for (r, c), d in zip(fks, now))
        self.check_fks([(r, c) for (r, c), d in zip(fks, now) if not d and (pragma or deferrable.initially_deferred(r, c))])

    def check_fks(self, fks, validating: bool = False) -> None:
        """The rows of these foreign keys ((table, constraint) pairs) checked now: 23503 as
        PostgreSQL words it for the first that fails (validating: ALTER TABLE ... ADD of a key
        SQLite defers, whose rows PostgreSQL validates at once)."""
        err = diagnose.foreign_key_violation(self, fks, validating) if fks else None
        if err is not None:
            raise err

    def failed_commit(self, e: Exception) -> SqlError:
        """SQLite refused COMMIT: a deferred foreign key still violated (its row found before
        the rollback, as PostgreSQL reports it) or another error. Rolls the transaction back."""
        err = None
        if "FOREIGN KEY constraint failed" in str(e):
            try:
                pending = [(r, c) for r, c in deferrable.foreign_keys(self.catalog) if deferrable.is_deferrable(r, c)]
                err = diagnose.foreign_key_violation(self, pending)  # (only deferrable keys can be pending)
            except Exception:  # noqa: BLE001 - the generic 23503 below stands
                err = None
        if err is None:
            err = map_error(e, self)
        self.sqlite_rollback()
        return err

    def set_trigger_modes(self, names, deferred: bool) -> None:
        """SET CONSTRAINTS' modes (tg.setc: a constraint trigger's or foreign key's OID, or
        "*", to deferred or not); triggers made IMMEDIATE fire their queued events now."""
        path = self.search_path()
        if names is None:
            self.tg.setc = {"*": deferred}
            chosen = None
        else:
            chosen = set()
            for schema, name in names:
                if schema is not None and schema not in self.catalog.schemas:
                    raise SqlError("3F000", f'schema "{schema}" does not exist')
                rels = [r for r in self.catalog.by_oid.values()
                        if (r.schema == schema if schema is not None else r.schema in path)]
                found = [t for r in rels for t in r.triggers if t.constraint and t.name == name]
                keys = [c for r in rels for c in r.constraints if c.name == name]
                if not found and not keys:
                    raise SqlError("42704", f'constraint "{name}" does not exist')
                if any(not t.deferrable for t in found) or \
                        any(not deferrable.is_deferrable(self.catalog.by_oid[c.relid], c) for c in keys):
                    raise SqlError("42809", f'constraint "{name}" is not deferrable')
                for t in found:
                    self.tg.setc[t.oid] = deferred
                    chosen.add(t.oid)
                for c in keys:  # a deferrable foreign key (catalog.deferrable)
                    self.tg.setc[c.oid] = deferred
        if not deferred and self.tg.deferred:
            now = [e for e in self.tg.deferred if chosen is None or e[1] in chosen]
            self.tg.deferred[:] = [e for e in self.tg.deferred if not (chosen is None or e[1] in chosen)]
            for _, toid, relid, event, old, new in now:
                t, rel = self.catalog.triggers.get(toid), self.catalog.by_oid.get(relid)
                if t is not None and rel is not None:
                    self.call_trigger(t, rel, event, old, new)

    def fire_deferred(self) -> None:
        """COMMIT: the queued events of INITIALLY DEFERRED constraint triggers, in order (those
        their functions queue too); an error rolls the transaction back and is COMMIT's."""
        queue = self.tg.deferred
        try:
            while queue:
                _, toid, relid, event, old, new = queue.pop(0)
                t, rel = self.catalog.triggers.get(toid), self.catalog.by_oid.get(relid)
                if t is not None and rel is not None:
                    self.call_trigger(t, rel, event, old, new)
        except BaseException:
            queue.clear()
            self.sqlite_rollback()
            raise

    def deferred_rolled_back_to(self, depth: int) -> None:
        """ROLLBACK TO a savepoint (or a PL/pgSQL exception block's end): the deferred events
        queued since it was taken are gone with their rows, and SET CONSTRAINTS run since is
        undone (as PostgreSQL's AfterTriggerEndSubXact restores its state)."""
        if self.tg.deferred and depth < len(self.txn.sp_settings):
            mark = self.txn.sp_settings[depth]
            self.tg.deferred[:] = [e for e in self.tg.deferred if not (len(e[0]) > depth and e[0][depth] is mark)]
        log = self.tg.setc_log
        if self.tg.setc and log and depth < len(self.txn.sp_settings):  # SET CONSTRAINTS since: undone
            mark = self.txn.sp_settings[depth]
            first = next((i for i, (m, _) in enumerate(log) if len(m) > depth and m[depth] is mark), None)
            if first is not None:
                self.tg.setc = log[first][1]
                del log[first:]
                fks = deferrable.foreign_keys(self.catalog)
                self.sync_fk_pragma(fks, [self.fk_deferred_now(r, c) for r, c in fks])


__all__ = ["DeferredTriggers"]
