"""ALTER TABLE (ADD/DROP COLUMN, ADD/DROP CONSTRAINT, SET/DROP DEFAULT, SET/DROP NOT NULL,
OWNER TO) and ALTER ... RENAME (of a column, table, view, sequence or index; types go to
pgsvc.sql.commands.ddl.user_types). Catalog first, then the SQLite schema (ALTER TABLE
where SQLite can, else a rebuild); a rename is carried into the stored text that names
the old name (pgsvc.sql.commands.ddl.rename_carry).
"""

from __future__ import annotations

import pglast
from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import deferrable
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.commands.ddl.fk_keys import dependent_foreign_keys
from pgsvc.sql.commands.ddl.indexes_views import index_reads_column
from pgsvc.sql.commands.ddl.node_text import default_source
from pgsvc.sql.commands.ddl.ownership import alter_relation_owner
from pgsvc.sql.commands.ddl.partition_index_attach import only_key_of_partitioned
from pgsvc.sql.commands.ddl.rename_carry import column_rename_writes, table_rename_writes
from pgsvc.sql.commands.ddl.policies import RLS_SUBTYPES
from pgsvc.sql.commands.ddl.rules import RULE_SUBTYPES
from pgsvc.sql.commands.ddl.replica_identity import set_replica_identity
from pgsvc.sql.commands.ddl.tables import check_nested_generated, column_refs, not_valid_oids
from pgsvc.sql.commands.ddl.triggers import TRIGGER_SUBTYPES
from pgsvc.sql.commands.ddl.views_alter import alter_view
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate import Translator
from pgsvc.sql.types.pg_type import find_oid
from pgsvc.sql.types.storage import collation_for
from pgsvc.sql.types import oids as O
from pgsvc.sqlite import sqlite3

A = enums.AlterTableType


class AlterTableDdl:
    """ALTER TABLE and RENAME: methods of pgsvc.sql.commands.ddl.Ddl."""

    def alter_table(self, node: ast.AlterTableStmt, text: str | None = None) -> None:
        self.stmt_text = text  # error positions inside a partition bound (ddl.partitions)
        self.alter_inh = node.relation.inh  # not ONLY: ENABLE/DISABLE TRIGGER recurses (ddl.triggers)
        owner_only = all(c.subtype == A.AT_ChangeOwner for c in node.cmds)
        if node.objtype == enums.ObjectType.OBJECT_TYPE and not owner_only:
            return self.alter_composite(node)  # ALTER TYPE ... ADD/DROP/ALTER ATTRIBUTE
        if node.objtype == enums.ObjectType.OBJECT_INDEX and all(c.subtype == A.AT_AttachPartition for c in node.cmds):
            return self.alter_index_attach(node)  # pgsvc.sql.commands.ddl.partition_index_attach
        if node.objtype == enums.ObjectType.OBJECT_VIEW and not owner_only:
            return alter_view(self, node)  # options, column defaults: pgsvc.sql.commands.ddl.views_alter
        if node.objtype != enums.ObjectType.OBJECT_TABLE and not owner_only:
            raise SqlError("0A000", f"ALTER {node.objtype.name[7:]} is not supported")
        rel = self.cat.lookup(node.relation.schemaname, node.relation.relname, self.engine.search_path())
        if rel is None:
            if node.missing_ok:
                self.notice(f'relation "{node.relation.relname}" does not exist, skipping')
                return
            try:
                Translator(self.engine, self.cat, []).relation(node.relation)
            except SqlError as err:
                err.position = None  # AlterTableLookupRelation: no position, as PostgreSQL
                raise
        self.check_not_in_use(rel, "ALTER TABLE")  # (ddl.triggers)
        if owner_only:
            for cmd in node.cmds:
                alter_relation_owner(self, self.cat.by_oid[rel.oid], cmd.newowner)
            return
        authz(self.engine).check_owner(rel)
        for cmd in node.cmds:
            rel = self.cat.by_oid[rel.oid]
            if only_key_of_partitioned(node, cmd, rel):  # the parent's key alone (ddl.partition_index_attach)
                self.add_key_only(rel, cmd.def_)
                continue
            self.alter_cmd(rel, cmd)
            if node.relation.inh and cmd.subtype in _RECURSE:  # children and partitions too (ddl.partitions)
                self.recurse_to_children(self.cat.by_oid[rel.oid], cmd)

    def recurse_to_children(self, rel: C.Relation, cmd: ast.AlterTableCmd) -> None:
        t = cmd.subtype
        for child in self.child_tables(rel):
            child = self.cat.by_oid[child.oid]
            if t == A.AT_AddColumn:
                cd = cmd.def_
                keep = tuple(c for c in cd.constraints or () if c.contype not in
                             (enums.ConstrType.CONSTR_PRIMARY, enums.ConstrType.CONSTR_UNIQUE))
                if child.attr(cd.colname) is None:
                    self.add_column(child, ast.ColumnDef(colname=cd.colname, typeName=cd.typeName,
                                                         constraints=keep, collClause=cd.collClause), False)
            elif t == A.AT_DropColumn:
                if child.attr(cmd.name) is not None:
                    self.drop_column(child, cmd.name, True)
            elif child.attr(cmd.name) is not None:
                self.alter_cmd(child, cmd)
            self.recurse_to_children(self.cat.by_oid[child.oid], cmd)

    def alter_cmd(self, rel: C.Relation, cmd: ast.AlterTableCmd) -> None:
        t = cmd.subtype
        if t == A.AT_AddConstraint:
            self.add_constraint(rel, cmd.def_, None)
        elif t == A.AT_AddColumn:
            self.add_column(rel, cmd.def_, cmd.missing_ok)
        elif t == A.AT_DropColumn:
            self.check_drop_column(rel, cmd.name)  # a partition key's, a partition's (ddl.partitions)
            self.drop_column_triggers(rel, cmd)  # pgsvc.sql.commands.ddl.triggers
            self.drop_column_policies(rel, cmd)  # pgsvc.sql.commands.ddl.policies
            self.drop_column_generated(rel, cmd)
            self.drop_column_foreign_keys(self.cat.by_oid[rel.oid], cmd)
            rel = self.cat.by_oid[rel.oid]
            self.drop_column(rel, cmd.name, cmd.missing_ok)
        elif t in (A.AT_ColumnDefault,):
            a = self.column(rel, cmd.name)
            if a.generated:
                raise SqlError("42601", f'column "{a.name}" of relation "{rel.name}" is a generated column',
                               hint=None if cmd.def_ is not None else
                               "Use ALTER TABLE ... ALTER COLUMN ... DROP EXPRESSION instead.")
            a.default = default_source(cmd.def_, a.domain_oid) if cmd.def_ is not None else None
            C.update_attr(self.conn, rel.oid, a)
            self.refresh()
        elif t == A.AT_SetNotNull:
            a = self.column(rel, cmd.name)
            if not a.notnull:
                self.check_no_nulls(rel, a)
                a.notnull = True
                C.update_attr(self.conn, rel.oid, a)
                self.refresh()
                self.redefine(self.cat.by_oid[rel.oid])  # in place when SQLite allows (ddl.tables)
        elif t == A.AT_DropNotNull:
            a = self.column(rel, cmd.name)
            if any(c.contype == "p" and a.attnum in c.keys for c in rel.constraints):
                raise SqlError("42P16", f'column "{a.name}" is in a primary key')
            if a.notnull:
                a.notnull = False
                C.update_attr(self.conn, rel.oid, a)
                self.refresh()
                self.redefine(self.cat.by_oid[rel.oid])
        elif t == A.AT_DropConstraint:
            copies = self.constraint_copies(rel, cmd.name)  # its partitions' (ddl.partition_attach)
            self.drop_constraint(rel, cmd.name, cmd.missing_ok, cmd.behavior == enums.DropBehavior.DROP_CASCADE)
            for part, name in copies:
                self.drop_constraint(self.cat.by_oid[part.oid], name, True)
        elif t == A.AT_ValidateConstraint:
            self.validate_constraint(rel, cmd.name)
        elif t == A.AT_AlterConstraint:
            self.alter_constraint(rel, cmd.def_)
        elif t in (A.AT_SetLogged, A.AT_SetUnLogged):
            self.set_persistence(rel, "u" if t == A.AT_SetUnLogged else None)
        elif t == A.AT_DropExpression:
            self.drop_expression(rel, self.column(rel, cmd.name), cmd.missing_ok)
        elif t == A.AT_AddIdentity:
            self.add_identity(rel, self.column(rel, cmd.name), cmd.def_)
        elif t == A.AT_AttachPartition:
            self.attach_partition(rel, cmd.def_)  # pgsvc.sql.commands.ddl.partitions
        elif t in (A.AT_DetachPartition, A.AT_DetachPartitionFinalize):
            self.detach_partition(rel, cmd.def_, t == A.AT_DetachPartitionFinalize)
        elif t == A.AT_ReplicaIdentity:
            set_replica_identity(self, rel, cmd.def_)  # pgsvc.sql.commands.ddl.replica_identity
        elif t == A.AT_AddInherit:
            self.add_inherit(rel, cmd.def_)  # pgsvc.sql.commands.ddl.inherit_alter
        elif t == A.AT_DropInherit:
            self.drop_inherit(rel, cmd.def_)
        elif t in TRIGGER_SUBTYPES:
            self.enable_trigger(rel, cmd)  # pgsvc.sql.commands.ddl.triggers
        elif t in RLS_SUBTYPES:
            self.set_row_security(rel, t)  # pgsvc.sql.commands.ddl.policies
        elif t in RULE_SUBTYPES:
            self.enable_rule(rel, cmd)  # pgsvc.sql.commands.ddl.rules
        elif t in (A.AT_SetRelOptions, A.AT_ResetRelOptions, A.AT_SetStatistics, A.AT_ClusterOn,
                   A.AT_ChangeOwner, A.AT_SetStorage, A.AT_SetCompression, A.AT_DropCluster):
            pass  # accepted, nothing to do on SQLite
        else:
            raise SqlError("0A000", f"ALTER TABLE {t.name[3:]} is not supported")

    def drop_expression(self, rel: C.Relation, a: C.Attr, missing_ok) -> None:
        """ALTER COLUMN ... DROP EXPRESSION: a generated column becomes an ordinary one that
        keeps its values."""
        if not a.generated:
            msg = f'column "{a.name}" of relation "{rel.name}" is not a stored generated column'
            if missing_ok:
                self.notice(msg + ", skipping")
                return
            raise SqlError("55000", msg)
        a.generated, a.default = "", None
        C.update_attr(self.conn, rel.oid, a)
        self.refresh()
        self.rebuild(self.cat.by_oid[rel.oid])

    def drop_column_generated(self, rel: C.Relation, cmd) -> None:
        """DROP COLUMN of a column a generation expression reads: 2BP01 unless CASCADE, which
        drops those generated columns too."""
        a = rel.attr(cmd.name)
        if a is None:
            return
        deps = [g for g in rel.attrs if g.generated and g is not a and any(
            r.fields[-1].sval == a.name for r in column_refs(pglast.parse_sql(f"SELECT {g.default}")[0].stmt)
            if isinstance(r.fields[-1], ast.String))]
        if not deps:
            return
        col = f"column {a.name} of table {rel.name}"
        what = [f"column {g.name} of table {rel.name}" for g in deps]
        if cmd.behavior != enums.DropBehavior.DROP_CASCADE:
            raise SqlError("2BP01", f"cannot drop {col} because other objects depend on it",
                           detail="\n".join(f"{w} depends on {col}" for w in what),
                           hint="Use DROP ... CASCADE to drop the dependent objects too.")
        self.report_cascade(what)
        for g in deps:
            self.drop_column(self.cat.by_oid[rel.oid], g.name, False)

    def drop_column_foreign_keys(self, rel: C.Relation, cmd) -> None:
        """DROP COLUMN of a column other tables' foreign keys reference: 2BP01 unless CASCADE,
        which drops those foreign keys."""
        a = rel.attr(cmd.name)
        if a is None:
            return
        deps = sorted(((r, c) for r in self.cat.by_oid.values() for c in r.constraints if c.contype == "f"
                       and c.frelid == rel.oid and a.attnum in c.fkeys and not (r.oid == rel.oid and a.attnum in c.keys)),
                      key=lambda rc: rc[1].oid)
        if not deps:
            return
        col = f"column {a.name} of table {rel.name}"
        what = [f"constraint {c.name} on table {r.name}" for r, c in deps]
        if cmd.behavior != enums.DropBehavior.DROP_CASCADE:
            raise SqlError("2BP01", f"cannot drop {col} because other objects depend on it",
                           detail="\n".join(f"{w} depends on {col}" for w in what),
                           hint="Use DROP ... CASCADE to drop the dependent objects too.")
        self.report_cascade(what)
        for r, c in deps:
            self.drop_constraint(self.cat.by_oid[r.oid], c.name, True)

    def add_identity(self, rel: C.Relation, a: C.Attr, con) -> None:
        """ALTER COLUMN ... ADD GENERATED ... AS IDENTITY [(sequence options)], as pg_dump
        writes an identity column (ATExecAddIdentity's checks)."""
        if a.type_oid not in (O.INT2, O.INT4, O.INT8):
            raise SqlError("22023", "identity column type must be smallint, integer, or bigint")
        if not a.notnull:
            raise SqlError("55000", f'column "{a.name}" of relation "{rel.name}" must be declared NOT NULL '
                           "before identity can be added")
        if a.identity:
            raise SqlError("55000", f'column "{a.name}" of relation "{rel.name}" is already an identity column')
        if a.default is not None:
            raise SqlError("55000", f'column "{a.name}" of relation "{rel.name}" already has a default value')
        seq = self.create_owned_sequence(rel.schema, rel.name, a.name, a.type_oid, rel.oid, a.attnum,
                                         con.options or ())
        a.identity = "a" if con.generated_when == "a" else "d"
        a.default = f"nextval('{seq}'::regclass)"
        C.update_attr(self.conn, rel.oid, a)
        self.refresh()

    def column(self, rel: C.Relation, name: str) -> C.Attr:
        a = rel.attr(name)
        if a is None:
            raise SqlError("42703", f'column "{name}" of relation "{rel.name}" does not exist')
        return a

    def add_column(self, rel: C.Relation, cd: ast.ColumnDef, missing_ok) -> None:
        if rel.attr(cd.colname) is not None:
            if missing_ok:
                self.notice(f'column "{cd.colname}" of relation "{rel.name}" already exists, skipping')
                return
            raise SqlError("42701", f'column "{cd.colname}" of relation "{rel.name}" already exists')
        cons: list = []
        # the next number after every column the table has had: a dropped one keeps its attnum
        attnum = max([a.attnum for a in rel.attrs] + [int(n) for n in rel.options.get("dropped", {})], default=0) + 1
        self.rewrite_row_values(rel, "pgsvc_row_add_field({0})", cd)  # columns of its row type (ddl.composite_types)
        a = self.column_def(cd, rel.oid, attnum, rel.schema, rel.name, cons)
        C.insert_attr(self.conn, rel.oid, a)
        self.refresh()
        rel = self.cat.by_oid[rel.oid]
        t = find_oid(a.type_oid)
        coll = collation_for(a.type_oid)
        self.conn.execute(f"ALTER TABLE {quote_sqlite_ident(rel.sqlite_name)} ADD COLUMN {quote_sqlite_ident(a.name)} "
                          f"{t.storage if t else 'TEXT'}{' COLLATE ' + coll if coll else ''}")
        if a.generated:  # SQLite computes it for the rows there as it copies them
            check_nested_generated([cd], rel.attrs)
            self.rebuild(rel)
        elif a.default is not None:
            self.fill_default(rel, a)
        if a.domain_oid:  # the domain's default and constraints meet the existing rows
            self.fill_domain_column(self.cat.by_oid[rel.oid], a)
        if a.notnull and not a.generated:
            self.check_no_nulls(rel, a)
            self.redefine(self.cat.by_oid[rel.oid])
        for col, con in cons:
            self.add_constraint(self.cat.by_oid[rel.oid], con, col)

    def fill_default(self, rel: C.Relation, a: C.Attr) -> None:
        tr = Translator(self.engine, self.cat, [])
        ex = tr.default_expr(rel, a)
        self.conn.execute(f"UPDATE {quote_sqlite_ident(rel.sqlite_name)} SET {quote_sqlite_ident(a.name)} = {ex.sql}")

    def drop_column(self, rel: C.Relation, name: str, missing_ok) -> None:
        a = rel.attr(name)
        if a is None:
            if missing_ok:
                self.notice(f'column "{name}" of relation "{rel.name}" does not exist, skipping')
                return
            raise SqlError("42703", f'column "{name}" of relation "{rel.name}" does not exist')
        self.rewrite_row_values(rel, f"pgsvc_row_drop_field({{0}}, {rel.attrs.index(a)})")
        for c in list(rel.constraints):
            if a.attnum in c.keys or (c.contype == "c" and _check_reads(c, a.name)):
                C.delete_constraint(self.conn, c.oid)
                if c.index_oid:
                    C.delete_relation(self.conn, c.index_oid)
        for ix in rel.indexes:
            if index_reads_column(self.cat, ix, a):
                C.delete_relation(self.conn, ix.oid)
                self.conn.execute(f"DROP INDEX IF EXISTS {quote_sqlite_ident(ix.sqlite_name)}")
        C.delete_attr(self.conn, rel.oid, a.attnum)
        for seq_oid, in self.conn.execute('SELECT relid FROM "pgsvc$sequence" WHERE owner_relid = ? AND '
                                          'owner_attnum = ?', (rel.oid, a.attnum)).fetchall():
            C.delete_relation(self.conn, seq_oid)  # its serial's or identity's sequence goes with it
        # pg_attribute keeps the number as a dropped column (attisdropped, with its former type's
        # storage), as PostgreSQL does: pg_dump requires attnums 1..relnatts
        C.set_relation_option(self.conn, rel.oid, "dropped",
                              {**rel.options.get("dropped", {}), str(a.attnum): list(C.stored_type(a))})
        self.refresh()
        self.rebuild_without(self.cat.by_oid[rel.oid], a.name)

    def rebuild_without(self, rel: C.Relation, dropped: str) -> None:
        """The column leaves the SQLite table in place (SQLite's ALTER TABLE DROP COLUMN) where
        SQLite can do it: a rebuild drops the old table, and SQLite's DROP TABLE runs the ON
        DELETE actions of the foreign keys that reference it (a CASCADE emptied the
        referencing table). Else (the column named by SQLite's CHECKs, a generated column, a
        view; the last column) the rebuild. The table's SQLite triggers go first, as with the
        rebuild's DROP TABLE: the statement's end makes them again (commands.utility)."""
        for name, in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                                       (rel.sqlite_name,)).fetchall():
            self.conn.execute(f"DROP TRIGGER {quote_sqlite_ident(name)}")
        try:
            self.conn.execute(f"ALTER TABLE {quote_sqlite_ident(rel.sqlite_name)} DROP COLUMN {quote_sqlite_ident(dropped)}")
        except sqlite3.Error:
            self.rebuild(rel)

    def drop_constraint(self, rel: C.Relation, name: str, missing_ok, cascade: bool = False) -> None:
        con = next((c for c in rel.constraints if c.name == name), None)
        if con is None:
            if missing_ok:
                self.notice(f'constraint "{name}" of relation "{rel.name}" does not exist, skipping')
                return
            raise SqlError("42704", f'constraint "{name}" of relation "{rel.name}" does not exist')
        deps = dependent_foreign_keys(self.cat, rel, con.keys, con.oid) if con.contype in ("p", "u") else []
        if deps:
            what = [f"constraint {c.name} on table {r.name}" for r, c in deps]
            if not cascade:
                raise SqlError("2BP01", f"cannot drop constraint {con.name} on table {rel.name} because other "
                               "objects depend on it", detail="\n".join(f"{w} depends on index {con.name}" for w in what),
                               hint="Use DROP ... CASCADE to drop the dependent objects too.")
            self.report_cascade(what)
            for r, c in deps:
                self.drop_constraint(self.cat.by_oid[r.oid], c.name, True)
            rel = self.cat.by_oid[rel.oid]
            con = next(c for c in rel.constraints if c.name == name)
        C.delete_constraint(self.conn, con.oid)
        if con.index_oid:
            ix = next((i for i in rel.indexes if i.oid == con.index_oid), None)
            C.delete_relation(self.conn, con.index_oid)
            if ix is not None:
                self.conn.execute(f"DROP INDEX IF EXISTS {quote_sqlite_ident(ix.sqlite_name)}")
        self.refresh()
        if con.contype in ("c", "f"):
            self.rebuild(self.cat.by_oid[rel.oid])

    def alter_constraint(self, rel: C.Relation, node: ast.Constraint) -> None:
        """ALTER TABLE ... ALTER CONSTRAINT name [NOT] DEFERRABLE [INITIALLY ...] of a foreign
        key (ATExecAlterConstraint); the table is rebuilt with its SQLite key declared anew."""
        con = next((c for c in rel.constraints if c.name == node.conname), None)
        if con is None:
            raise SqlError("42704", f'constraint "{node.conname}" of relation "{rel.name}" does not exist')
        if con.contype != "f":
            raise SqlError("42809", f'constraint "{node.conname}" of relation "{rel.name}" is not a foreign key '
                           "constraint")
        deferrable.set_mode(self.conn, rel.oid, con.oid, bool(node.deferrable), bool(node.initdeferred))
        self.refresh()
        self.rebuild(self.cat.by_oid[rel.oid])

    def validate_constraint(self, rel: C.Relation, name: str) -> None:
        """VALIDATE CONSTRAINT: a NOT VALID CHECK's rows checked (a foreign key's were
        checked when it was added), then pg_constraint.convalidated is true."""
        con = next((c for c in rel.constraints if c.name == name), None)
        if con is None:
            raise SqlError("42704", f'constraint "{name}" of relation "{rel.name}" does not exist')
        if con.contype not in ("c", "f"):
            raise SqlError("42809", f'constraint "{name}" of relation "{rel.name}" is not a foreign key or '
                                    "check constraint")
        pending = not_valid_oids(rel)
        if con.oid not in pending:
            return
        if con.contype == "c":
            self.check_rows(rel, con.oid)
        C.set_relation_option(self.conn, rel.oid, "not_valid", [o for o in pending if o != con.oid])
        self.refresh()

    def set_persistence(self, rel: C.Relation, persistence: str | None) -> None:
        """SET LOGGED / UNLOGGED: pg_class.relpersistence of the table, its indexes (which
        follow it) and the sequences it owns, as PostgreSQL 15."""
        owned = [r for (r,) in self.conn.execute('SELECT relid FROM "pgsvc$sequence" WHERE owner_relid = ?',
                                                 (rel.oid,))]
        for oid in (rel.oid, *owned):
            self.conn.execute('UPDATE "pgsvc$class" SET options = json_remove(coalesce(options, \'{}\'), '
                              '\'$.persistence\') WHERE oid = ?', (oid,))
            if persistence:
                C.set_relation_option(self.conn, oid, "persistence", persistence)
        self.refresh()

    def rename(self, node: ast.RenameStmt) -> None:
        OT = enums.ObjectType
        if node.renameType in (OT.OBJECT_TYPE, OT.OBJECT_DOMAIN, OT.OBJECT_DOMCONSTRAINT):
            return self.rename_type(node)
        if node.renameType in (OT.OBJECT_FUNCTION, OT.OBJECT_PROCEDURE, OT.OBJECT_ROUTINE):
            return self.rename_routine(node)  # pgsvc.sql.commands.ddl.routines
        if node.renameType == OT.OBJECT_ATTRIBUTE:
            return self.rename_attribute(node)  # pgsvc.sql.commands.ddl.composite_types
        if node.renameType == OT.OBJECT_TRIGGER:
            return self.rename_trigger(node)  # pgsvc.sql.commands.ddl.triggers
        if node.renameType == OT.OBJECT_POLICY:
            return self.rename_policy(node)  # pgsvc.sql.commands.ddl.policies
        if node.renameType == OT.OBJECT_RULE:
            return self.rename_rule(node)  # pgsvc.sql.commands.ddl.rules
        if node.renameType == OT.OBJECT_COLUMN:
            rel = self.find([x for x in (node.relation.schemaname, node.relation.relname) if x])
            if rel is None:
                raise SqlError("42P01", f'relation "{node.relation.relname}" does not exist')
            authz(self.engine).check_owner(rel)
            a = self.column(rel, node.subname)
            if rel.attr(node.newname) is not None:
                raise SqlError("42701", f'column "{node.newname}" of relation "{rel.name}" already exists')
            # the children's and partitions' column too, unless ONLY (ddl.partition_attach)
            self.check_rename_column(rel, a.name, bool(node.relation.inh))
            old = a.name
            for t in [rel] + (self.all_children(rel) if node.relation.inh and rel.kind == "r" else []):
                t = self.cat.by_oid[t.oid]
                ta = t.attr(old)
                if ta is None:
                    continue
                writes = column_rename_writes(self.engine, t, old, node.newname)  # (old names resolve now)
                if t.kind == "r":
                    self.conn.execute(f"ALTER TABLE {quote_sqlite_ident(t.sqlite_name)} RENAME COLUMN "
                                      f"{quote_sqlite_ident(old)} TO {quote_sqlite_ident(node.newname)}")
                ta.name = node.newname
                C.update_attr(self.conn, t.oid, ta)
                for write, args in writes:
                    write(self.conn, *args)
                self.refresh()
            return
        if node.renameType in (OT.OBJECT_TABLE, OT.OBJECT_VIEW, OT.OBJECT_SEQUENCE, OT.OBJECT_INDEX):
            rel = self.find([x for x in (node.relation.schemaname, node.relation.relname) if x])
            if rel is None:
                if node.missing_ok:
                    self.notice(f'relation "{node.relation.relname}" does not exist, skipping')
                    return
                raise SqlError("42P01", f'relation "{node.relation.relname}" does not exist')
            authz(self.engine).check_owner(rel)
            if C.relation_name_taken(self.cat, rel.schema, node.newname):
                raise SqlError("42P07", f'relation "{node.newname}" already exists')
            writes = table_rename_writes(self.engine, rel, node.newname)  # (old names resolve now)
            new_sqlite = C.sqlite_name_for(rel.schema, node.newname) if rel.sqlite_name else ""
            if rel.kind == "r":
                self.conn.execute(f"ALTER TABLE {quote_sqlite_ident(rel.sqlite_name)} RENAME TO {quote_sqlite_ident(new_sqlite)}")
            C.rename_relation(self.conn, rel.oid, node.newname,
                              new_sqlite if rel.kind != "i" else rel.sqlite_name)
            for write, args in writes:
                write(self.conn, *args)
            self.refresh()
            return
        raise SqlError("0A000", "this kind of RENAME is not supported")


# subcommands that reach a table's children and partitions unless ONLY is written
_RECURSE = (A.AT_AddColumn, A.AT_DropColumn, A.AT_ColumnDefault, A.AT_SetNotNull, A.AT_DropNotNull)


def _check_reads(con: C.Constraint, column: str) -> bool:
    """Whether a CHECK constraint's expression names the column: DROP COLUMN drops exactly
    those (PostgreSQL's dependency on the column), and keeps the others."""
    stmt = pglast.parse_sql(f"SELECT {con.expr}")[0].stmt
    return any(isinstance(r.fields[-1], ast.String) and r.fields[-1].sval == column for r in column_refs(stmt))
