"""Row triggers of a partitioned table, as PostgreSQL 15 keeps them: each is cloned onto every
partition (pg_trigger.tgparentid names the trigger it is a clone of), on the partitions there
are when it is made and on those created or attached later, at every level; the clones fire
for the partitions' rows (TG_TABLE_NAME the partition's), the partitioned table's own row
trigger never fires itself (exec.triggers). A clone goes with its parent trigger (DROP
TRIGGER, DROP FUNCTION ... CASCADE), is renamed, enabled and disabled with it, leaves with
DETACH PARTITION, and cannot be dropped, renamed or replaced alone. Statement triggers are
not cloned: they fire on the statement's target only. Methods of pgsvc.sql.commands.ddl.Ddl.
"""

from __future__ import annotations

from dataclasses import replace

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog import triggers as TG


class TriggerCloneDdl:
    """Cloned row triggers of partitioned tables (see the module docstring)."""

    def clone_trigger(self, t: TG.Trigger, parent_rel, part, or_replace: bool = False) -> None:
        """Trigger t of partitioned table parent_rel cloned onto partition `part` (and on down);
        CREATE OR REPLACE replaces a partition's own trigger of that name."""
        part = self.cat.by_oid[part.oid]
        existing = TG.trigger_by_name(part, t.name)
        if existing is not None:
            if not or_replace:
                raise SqlError("42710", f'trigger "{t.name}" for relation "{part.name}" already exists')
            self.delete_with_clones(existing)
        names = {a.attnum: a.name for a in parent_rel.attrs}
        attr = tuple(part.attr(names[n]).attnum for n in t.attr if n in names and part.attr(names[n]) is not None)
        clone = replace(t, oid=C.new_oid(self.conn), relid=part.oid, attr=attr, parentid=t.oid, extra={})
        if t.constraint:  # a constraint trigger's clone has a constraint of its own
            clone.constraint = C.new_oid(self.conn)
        TG.insert_trigger(self.conn, clone)
        if P.partkey(part) is not None:
            for p in P.partitions_of(self.cat, part):
                self.clone_trigger(clone, part, p, or_replace)

    def clone_row_triggers(self, part, parent) -> None:
        """A new partition of parent (CREATE ... PARTITION OF, ATTACH): clones of parent's row
        triggers (its own and its clones alike)."""
        parent = self.cat.by_oid[parent.oid]
        made = False
        for t in sorted(parent.triggers, key=lambda x: x.oid):
            if t.row:
                self.clone_trigger(t, parent, part)
                made = True
        if made:
            self.refresh()

    def trigger_clones(self, t: TG.Trigger) -> list:
        """Every clone of t, at every level below it."""
        out = []
        for c in self.cat.triggers.values():
            if c.parentid == t.oid:
                out += [c] + self.trigger_clones(c)
        return out

    def drop_cloned_triggers(self, part) -> None:
        """DETACH PARTITION: the partition's clones (and theirs below) go."""
        for t in list(self.cat.by_oid[part.oid].triggers):
            if t.parentid:
                for c in [t] + self.trigger_clones(t):
                    TG.delete_trigger(self.conn, c.oid)
        self.refresh()

    def refuse_clone(self, t: TG.Trigger, rel, action: str) -> None:
        """A clone cannot be dropped or renamed alone (PostgreSQL's errors)."""
        if not t.parentid:
            return
        top = t
        while top.parentid and top.parentid in self.cat.triggers:
            top = self.cat.triggers[top.parentid]
        owner = self.cat.by_oid.get(top.relid)
        oname = owner.name if owner is not None else "?"
        if action == "drop":
            parent = self.cat.triggers.get(t.parentid, top)
            prel = self.cat.by_oid.get(parent.relid)
            pname = prel.name if prel is not None else "?"
            raise SqlError("2BP01", f"cannot drop trigger {t.name} on table {rel.name} because trigger {parent.name} "
                                    f"on table {pname} requires it",
                           hint=f"You can drop trigger {parent.name} on table {pname} instead.")
        if action == "rename":
            raise SqlError("XX000", f'cannot rename trigger "{t.name}" on table "{rel.name}"',
                           hint=f'Rename the trigger on the partitioned table "{oname}" instead.')
        raise SqlError("42710", f'trigger "{t.name}" for relation "{rel.name}" is an internal or a child trigger')

    def delete_with_clones(self, t: TG.Trigger) -> None:
        for c in [t] + self.trigger_clones(t):
            TG.delete_trigger(self.conn, c.oid)


__all__ = ["TriggerCloneDdl"]
