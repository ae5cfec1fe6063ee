"""ALTER TABLE ... ATTACH PARTITION / DETACH PARTITION, and the column rules of partitions
(a partition key column, or a partition's inherited column, cannot be dropped). Mixed into
pgsvc.sql.commands.ddl.partitions.PartitionDdl (which checks the bound, and copies the
parent's constraints and indexes onto the new partition).
"""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.commands.ddl.sqlite_schema import check_sql
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate import Translator


class PartitionAttachDdl:
    """ATTACH / DETACH PARTITION (methods of pgsvc.sql.commands.ddl.Ddl)."""

    # --- ATTACH / DETACH PARTITION ------------------------------------------------------------

    def attach_partition(self, parent, cmd: ast.PartitionCmd) -> None:
        if P.partkey(parent) is None:
            raise SqlError("42P17", f'table "{parent.name}" is not partitioned')
        child = Translator(self.engine, self.cat, []).relation(cmd.name)
        if child.kind != "r":
            raise SqlError("42809", f'"{child.name}" is not a table')
        authz(self.engine).check_owner(child)
        check_persistence("attach", parent, child.schema.startswith("pg_temp_"))
        if P.bound(child) is not None:
            raise SqlError("42809", f'"{child.name}" is already a partition')
        if child.options.get("inherits"):
            raise SqlError("42809", "cannot attach inheritance child as partition")
        if any(child.oid in (r.options.get("inherits") or ()) for r in self.cat.by_oid.values()) and \
                P.partkey(child) is None:
            raise SqlError("42809", "cannot attach inheritance parent as partition")
        if child.oid == parent.oid or child.oid in [a.oid for a in P.ancestors(self.cat, parent)]:
            raise SqlError("42P17", "circular inheritance not allowed",
                           detail=f'"{child.name}" is already a child of "{parent.name}".')
        for t in child.triggers:
            if t.row and (t.oldtable or t.newtable):
                raise SqlError("0A000", f'trigger "{t.name}" prevents table "{child.name}" from becoming a partition',
                               detail="ROW triggers with transition tables are not supported on partitions.")
        for a in child.attrs:
            if parent.attr(a.name) is None:
                raise SqlError("42804", f'table "{child.name}" contains column "{a.name}" not found in parent '
                               f'"{parent.name}"', detail="The new partition may contain only the columns present "
                               "in parent.")
        check_child_columns(child, parent)
        b = self.partition_bound(parent, cmd.bound, child.name, skip=child.oid)
        C.set_relation_option(self.conn, child.oid, "inherits", [parent.oid])
        C.set_relation_option(self.conn, child.oid, "partbound", b)
        self.refresh()
        child = self.cat.by_oid[child.oid]
        quals = P.constraint_text(self.cat, child, plain=True)
        for leaf in [child] + P.subtree(self.cat, child):
            if quals and P.partkey(leaf) is None:
                cond = check_sql(leaf, quals, self.engine)
                if self.conn.execute(f"SELECT 1 FROM {quote_sqlite_ident(leaf.sqlite_name)} WHERE NOT ({cond}) "
                                     "LIMIT 1").fetchone():
                    raise SqlError("23514", f'partition constraint of relation "{leaf.name}" is violated by some row',
                                   schema=leaf.schema, table=leaf.name)
        self.partition_created(child, self.cat.by_oid[parent.oid])
        for leaf in [child] + P.subtree(self.cat, child):
            self.rebuild(self.cat.by_oid[leaf.oid])

    def detach_partition(self, parent, cmd: ast.PartitionCmd, finalize: bool) -> None:
        if P.partkey(parent) is None:
            raise SqlError("42P17", f'table "{parent.name}" is not partitioned')
        if cmd.concurrent and self.engine.txn.block:
            raise SqlError("25001", "ALTER TABLE ... DETACH CONCURRENTLY cannot run inside a transaction block")
        child = Translator(self.engine, self.cat, []).relation(cmd.name)
        if P.parent_of(self.cat, child) is None or P.parent_of(self.cat, child).oid != parent.oid:
            raise SqlError("42P01", f'relation "{child.name}" is not a partition of relation "{parent.name}"')
        if finalize:
            raise SqlError("55000", f'partition "{child.name}" of relation "{parent.name}" is not pending detach')
        if cmd.concurrent and any(P.bound(p)["kind"] == "d" for p in P.partitions_of(self.cat, parent)):
            raise SqlError("55000", "cannot detach partitions concurrently when a default partition exists")
        C.set_relation_option(self.conn, child.oid, "inherits", [])
        C.set_relation_option(self.conn, child.oid, "partbound", None)
        self.refresh()
        self.drop_cloned_triggers(child)  # its clones of the parent's row triggers (ddl.trigger_clones)
        child = self.cat.by_oid[child.oid]
        for leaf in [child] + P.subtree(self.cat, child):
            self.rebuild(self.cat.by_oid[leaf.oid])
        self.rebuild_default(parent)

    def check_drop_column(self, rel, name: str) -> None:
        """A partition key column, or a partition's or inheritance child's inherited column,
        cannot be dropped."""
        a = rel.attr(name)
        if a is None:
            return
        key = P.partkey(rel)
        if key is not None and any(k.get("attnum") == a.attnum for k in key["keys"]):
            raise SqlError("42P16", f'cannot drop column "{name}" because it is part of the partition key of '
                           f'relation "{rel.name}"')
        if P.bound(rel) is not None or any(
                (self.cat.by_oid.get(oid) is not None and self.cat.by_oid[oid].attr(name) is not None)
                for oid in rel.options.get("inherits") or ()):
            # (a parent's scan reads its children's columns by name)
            raise SqlError("42P16", f'cannot drop inherited column "{name}"')

    def constraint_copies(self, rel, name: str) -> list:
        """(partition, constraint name) of the copies a partitioned table's constraint has on
        its partitions, at every level (they are dropped with it, as PostgreSQL's are)."""
        con = next((c for c in rel.constraints if c.name == name), None)
        if con is None or P.partkey(rel) is None:
            return []
        out = []
        for p in P.partitions_of(self.cat, rel):
            if con.contype in ("p", "u"):
                mine = next((c for c in p.constraints if c.index_oid and
                             self.cat.by_oid[c.index_oid].options.get("parent_index") == con.index_oid), None)
            else:
                mine = next((c for c in p.constraints if c.name == name and c.contype == con.contype), None)
            if mine is not None:
                out += self.constraint_copies(p, mine.name) + [(p, mine.name)]
        return out

    def check_rename_column(self, rel, name: str, recurse: bool) -> None:
        """renameatt's rules for a column that parents and children share."""
        for oid in rel.options.get("inherits") or ():
            parent = self.cat.by_oid.get(oid)
            if parent is not None and parent.attr(name) is not None:
                raise SqlError("42P16", f'cannot rename inherited column "{name}"')
        if not recurse and any(c.attr(name) is not None for c in self.child_tables(rel)):
            raise SqlError("42P16", f'inherited column "{name}" must be renamed in child tables too')

    def all_children(self, rel) -> list:
        """Children and partitions at every level, parents before their children."""
        out = []
        for c in self.child_tables(rel):
            if c not in out:
                out += [c] + [d for d in self.all_children(c) if d not in out]
        return out

    def child_tables(self, rel) -> list:
        """The direct children (partitions, or inheritance children) of rel."""
        return sorted((r for r in self.cat.by_oid.values() if r.kind == "r" and
                       rel.oid in (r.options.get("inherits") or ())), key=lambda r: r.oid)


def check_persistence(verb: str, parent, temp: bool) -> None:
    """A partition is temporary exactly when its parent is (MergeAttributes, ATTACH)."""
    parent_temp = parent.schema.startswith("pg_temp_")
    if temp and not parent_temp:
        raise SqlError("42809", f'cannot {verb} a temporary relation as partition of permanent relation '
                       f'"{parent.name}"')
    if parent_temp and not temp:
        raise SqlError("42809", f'cannot {verb} a permanent relation as partition of temporary relation '
                       f'"{parent.name}"')


def check_child_columns(child, parent) -> None:
    """Each parent column in the child, of the same type and typmod, NOT NULL where the
    parent's is (MergeAttributesIntoExisting: ATTACH PARTITION and ALTER TABLE INHERIT)."""
    for a in parent.attrs:
        mine = child.attr(a.name)
        if mine is None:
            raise SqlError("42804", f'child table is missing column "{a.name}"')
        if (mine.type_oid, mine.typmod) != (a.type_oid, a.typmod):
            raise SqlError("42804", f'child table "{child.name}" has different type for column "{a.name}"')
        if a.notnull and not mine.notnull:
            raise SqlError("42804", f'column "{a.name}" in child table must be marked NOT NULL')
