"""ALTER TABLE ... INHERIT parent / NO INHERIT parent (PostgreSQL's ATExecAddInherit /
ATExecDropInherit): a table joins or leaves a parent's inheritance hierarchy. The child's
columns and CHECK constraints must already match the parent's; a parent's scan reads its
children by column name (translate.from_items), so joining changes only the catalog.
"""

from __future__ import annotations

import re

import pglast
import pglast.parser
from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.commands.ddl.partition_attach import check_child_columns
from pgsvc.sql.translate import Translator

_LOCATION = re.compile(r',?"location":-?\d+')


class InheritAlterDdl:
    """ALTER TABLE INHERIT / NO INHERIT (methods of pgsvc.sql.commands.ddl.Ddl)."""

    def add_inherit(self, child: C.Relation, rv: ast.RangeVar) -> None:
        parent = self.parent_named(rv)
        if P.bound(child) is not None or P.partkey(child) is not None:
            what = "a partition" if P.bound(child) is not None else "partitioned table"
            raise SqlError("42809", f"cannot change inheritance of {what}")
        if parent.kind != "r":
            raise SqlError("42809", f'"{parent.name}" is not a table')
        authz(self.engine).check_owner(parent)
        if P.partkey(parent) is not None:
            raise SqlError("42809", f'cannot inherit from partitioned table "{parent.name}"')
        if P.bound(parent) is not None:
            raise SqlError("42809", "cannot inherit from a partition")
        if parent.schema.startswith("pg_temp_") and not child.schema.startswith("pg_temp_"):
            raise SqlError("42809", f'cannot inherit from temporary relation "{parent.name}"')
        inherits = list(child.options.get("inherits") or ())
        if parent.oid in inherits:
            raise SqlError("42P07", f'relation "{parent.name}" would be inherited from more than once')
        if parent.oid == child.oid or child.oid in self.ancestor_oids(parent):
            raise SqlError("42P07", "circular inheritance not allowed",
                           detail=f'"{parent.name}" is already a child of "{child.name}".')
        for t in child.triggers:
            if t.row and (t.oldtable or t.newtable):
                raise SqlError("0A000", f'trigger "{t.name}" prevents table "{child.name}" from becoming an '
                               "inheritance child",
                               detail="ROW triggers with transition tables are not supported in inheritance "
                               "hierarchies.")
        check_child_columns(child, parent)
        for con in parent.constraints:
            if con.contype != "c":
                continue
            mine = next((c for c in child.constraints if c.contype == "c" and c.name == con.name), None)
            if mine is None:
                raise SqlError("42804", f'child table is missing constraint "{con.name}"')
            if self.check_text(child, mine) != self.check_text(parent, con):
                raise SqlError("42804", f'child table "{child.name}" has different definition for check '
                               f'constraint "{con.name}"')
        C.set_relation_option(self.conn, child.oid, "inherits", inherits + [parent.oid])
        self.refresh()
        self.engine.ensure_tg_sink()

    def drop_inherit(self, child: C.Relation, rv: ast.RangeVar) -> None:
        if P.bound(child) is not None:
            raise SqlError("42809", "cannot change inheritance of a partition")
        if P.partkey(child) is not None:
            raise SqlError("42809", "cannot change inheritance of partitioned table")
        parent = self.parent_named(rv)
        inherits = list(child.options.get("inherits") or ())
        if parent.oid not in inherits:
            raise SqlError("42P01", f'relation "{parent.name}" is not a parent of relation "{child.name}"')
        inherits.remove(parent.oid)
        C.set_relation_option(self.conn, child.oid, "inherits", inherits)
        self.refresh()

    def parent_named(self, rv: ast.RangeVar) -> C.Relation:
        try:
            return Translator(self.engine, self.cat, []).relation(rv)
        except SqlError as err:
            err.position = None  # (PostgreSQL points at none)
            raise

    def ancestor_oids(self, rel: C.Relation) -> set[int]:
        out: set[int] = set()
        todo = list(rel.options.get("inherits") or ())
        while todo and len(out) < 10000:
            oid = todo.pop()
            if oid not in out:
                out.add(oid)
                todo += list((self.cat.by_oid[oid].options.get("inherits") or ()) if oid in self.cat.by_oid else ())
        return out

    def check_text(self, rel: C.Relation, con: C.Constraint) -> str:
        """A CHECK constraint's expression as pg_get_constraintdef prints it (what PostgreSQL
        compares when a table joins a hierarchy)."""
        try:
            return _LOCATION.sub("", pglast.parser.parse_sql_json(f"SELECT {con.expr}"))
        except pglast.parser.ParseError:
            return con.expr or ""


__all__ = ["InheritAlterDdl"]
