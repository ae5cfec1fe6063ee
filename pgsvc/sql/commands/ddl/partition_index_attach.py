"""ALTER INDEX parent_index ATTACH PARTITION partition_index (what pg_dump writes for a
partitioned table's indexes and keys), with PostgreSQL 15's checks in ATExecAttachPartitionIdx's
order and its errors; ALTER TABLE ONLY of a partitioned table ADD PRIMARY KEY / UNIQUE, and
CREATE INDEX ... ON ONLY, which make the parent's index alone: INVALID (pg_index.indisvalid
false, the index relation's option `invalid`) while some partition has no index attached to
it, valid again once every partition has one (validatePartitionedIndex, up the tree).
Mixed into pgsvc.sql.commands.ddl.partitions.PartitionDdl.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.pg_functions.describe import indexdef as describe_indexdef
from pgsvc.sql.translate import Translator

A = enums.AlterTableType


class PartitionIndexDdl:
    """ALTER INDEX ... ATTACH PARTITION (methods of pgsvc.sql.commands.ddl.Ddl)."""

    skip_key_propagation = False  # ALTER TABLE ONLY ... ADD PRIMARY KEY / UNIQUE (propagate_constraint)

    def index_table(self, ioid: int):
        """The table an index is on (None for a relation that is no index)."""
        return next((r for r in self.cat.by_oid.values() if any(ix.oid == ioid for ix in r.indexes)), None)

    def alter_index_attach(self, node: ast.AlterTableStmt) -> None:
        tr = Translator(self.engine, self.cat, [])
        try:
            parent_ix = tr.relation(node.relation)
        except SqlError as err:
            err.position = None
            raise
        for cmd in node.cmds:
            self.attach_index(self.cat.by_oid[parent_ix.oid], cmd.def_.name)

    def attach_index(self, parent_ix, rv) -> None:
        parent_tbl = self.index_table(parent_ix.oid)
        if parent_tbl is None:
            raise SqlError("42809", f'"{parent_ix.name}" is not an index')
        if P.partkey(parent_tbl) is None:
            raise SqlError("42809", f'ALTER action ATTACH PARTITION cannot be performed on relation "{parent_ix.name}"',
                           detail="This operation is not supported for indexes.")
        authz(self.engine).check_owner(parent_tbl)
        try:
            part_ix = Translator(self.engine, self.cat, []).relation(rv)
        except SqlError as err:
            err.position = None
            raise
        part_tbl = self.index_table(part_ix.oid)
        if part_tbl is None:
            raise SqlError("42P17", f'"{part_ix.name}" is not an index')
        authz(self.engine).check_owner(part_tbl)
        current = part_ix.options.get("parent_index")
        if current == parent_ix.oid:
            return  # already in the right state
        what = f'cannot attach index "{part_ix.name}" as a partition of index "{parent_ix.name}"'
        if current:
            raise SqlError("55000", what, detail=f'Index "{part_ix.name}" is already attached to another index.')
        if part_tbl.oid not in [p.oid for p in P.partitions_of(self.cat, parent_tbl)]:
            raise SqlError("55000", what, detail=f'Index "{part_ix.name}" is not an index on any partition of '
                                                 f'table "{parent_tbl.name}".')
        if any(self.cat.by_oid[ix.oid].options.get("parent_index") == parent_ix.oid for ix in part_tbl.indexes):
            raise SqlError("55000", what, detail=f'Another index is already attached for partition '
                                                 f'"{part_tbl.name}".')
        if self.index_shape(parent_ix.oid) != self.index_shape(part_ix.oid):
            raise SqlError("42P17", what, detail="The index definitions do not match.")
        parent_con = any(c.index_oid == parent_ix.oid for c in parent_tbl.constraints if c.contype in ("p", "u"))
        if parent_con and not any(c.index_oid == part_ix.oid for c in part_tbl.constraints
                                  if c.contype in ("p", "u")):
            raise SqlError("42P17", what, detail=f'The index "{parent_ix.name}" belongs to a constraint in table '
                                                 f'"{parent_tbl.name}" but no constraint exists for index '
                                                 f'"{part_ix.name}".')
        C.set_relation_option(self.conn, part_ix.oid, "parent_index", parent_ix.oid)
        self.refresh()
        self.validate_partitioned_index(parent_ix.oid)

    def index_shape(self, ioid: int) -> tuple:
        """What CompareIndexInfo compares: the definition after the index and table names,
        and whether it is unique / a primary key."""
        text = describe_indexdef(self.engine, ioid, 0, False) or ""
        tbl = self.index_table(ioid)
        ix = next(ix for ix in tbl.indexes if ix.oid == ioid)
        return ix.unique, text.split(" USING ", 1)[-1]

    def validate_partitioned_index(self, ioid: int) -> None:
        """An INVALID partitioned index becomes valid when each partition of its table has a
        valid index attached to it; then its own parent index is looked at."""
        irel = self.cat.by_oid.get(ioid)
        tbl = self.index_table(ioid)
        if irel is None or tbl is None or not irel.options.get("invalid"):
            return
        for p in P.partitions_of(self.cat, tbl):
            kids = [self.cat.by_oid[ix.oid] for ix in p.indexes]
            if not any(k.options.get("parent_index") == ioid and not k.options.get("invalid") for k in kids):
                return
        C.set_relation_option(self.conn, ioid, "invalid", None)
        self.refresh()
        above = irel.options.get("parent_index")
        if above:
            self.validate_partitioned_index(above)

    def mark_index_invalid(self, rel, ioid: int) -> None:
        """The index of partitioned table rel made on it alone: INVALID while it has partitions."""
        if P.partitions_of(self.cat, rel):
            C.set_relation_option(self.conn, ioid, "invalid", True)
            self.refresh()

    def add_key_only(self, rel, con: ast.Constraint) -> None:
        """ALTER TABLE ONLY partitioned ADD PRIMARY KEY / UNIQUE: the parent's key alone (its
        partitions' keys are attached later: ALTER INDEX ... ATTACH PARTITION)."""
        if con.contype == enums.ConstrType.CONSTR_PRIMARY:
            for p in P.partitions_of(self.cat, rel):
                for k in con.keys or ():
                    a = p.attr(k.sval)
                    if a is not None and not a.notnull:
                        raise SqlError("42P16", "constraint must be added to child tables too",
                                       detail=f'Column "{a.name}" of relation "{p.name}" is not already NOT NULL.',
                                       hint="Do not specify the ONLY keyword.")
        before = {ix.oid for ix in rel.indexes}
        self.skip_key_propagation = True
        try:
            self.add_constraint(rel, con, None)
        finally:
            self.skip_key_propagation = False
        rel = self.cat.by_oid[rel.oid]
        for ix in rel.indexes:
            if ix.oid not in before:
                self.mark_index_invalid(rel, ix.oid)


def only_key_of_partitioned(node: ast.AlterTableStmt, cmd: ast.AlterTableCmd, rel) -> bool:
    """ALTER TABLE ONLY partitioned ADD PRIMARY KEY / UNIQUE (PartitionIndexDdl.add_key_only)."""
    return cmd.subtype == A.AT_AddConstraint and not node.relation.inh and P.partkey(rel) is not None and \
        isinstance(cmd.def_, ast.Constraint) and \
        cmd.def_.contype in (enums.ConstrType.CONSTR_PRIMARY, enums.ConstrType.CONSTR_UNIQUE)


__all__ = ["PartitionIndexDdl", "only_key_of_partitioned"]
