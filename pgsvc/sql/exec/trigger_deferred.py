"""Deferred constraint triggers (exec.triggers mixes this in): the events of DEFERRABLE
constraint triggers whose mode is DEFERRED (INITIALLY DEFERRED, or SET CONSTRAINTS) are
queued in TriggerState.deferred and fire at COMMIT (Engine.sqlite_commit), or when SET
CONSTRAINTS ... IMMEDIATE makes them immediate; ROLLBACK drops them, ROLLBACK TO a savepoint
(and a PL/pgSQL exception block's end) those queued since it was taken."""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import triggers as TG


class DeferredTriggers:
    """Methods of the Engine (through exec.triggers.TriggerRuntime)."""

    def is_deferred(self, t: TG.Trigger) -> bool:
        """A DEFERRABLE constraint trigger's mode now: SET CONSTRAINTS, else INITIALLY ..."""
        setc = self.tg.setc
        return setc.get(t.oid, setc.get("*", t.initdeferred)) if setc else t.initdeferred

    def set_constraints(self, names, deferred: bool) -> None:
        """SET CONSTRAINTS (commands.constraints_set): ALL or the named constraint triggers
        (a name: every one of it in the search path, or in the schema given) DEFERRED or
        IMMEDIATE for the rest of the transaction; IMMEDIATE fires their queued events now."""
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
                if not found:
                    if any(c.name == name for r in rels for c in r.constraints):
                        raise SqlError("42809", f'constraint "{name}" is not deferrable')
                    raise SqlError("42704", f'constraint "{name}" does not exist')
                for t in found:
                    if not t.deferrable:
                        raise SqlError("42809", f'constraint "{name}" is not deferrable')
                    self.tg.setc[t.oid] = deferred
                    chosen.add(t.oid)
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
        queued since it was taken are gone with their rows."""
        if self.tg.deferred and depth < len(self.txn.sp_settings):
            mark = self.txn.sp_settings[depth]
            self.tg.deferred[:] = [e for e in self.tg.deferred if not (len(e[0]) > depth and e[0][depth] is mark)]


__all__ = ["DeferredTriggers"]
