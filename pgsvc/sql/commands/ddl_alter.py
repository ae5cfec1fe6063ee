"""ALTER TABLE (ADD/DROP/RENAME COLUMN, ADD CONSTRAINT / PRIMARY KEY, SET/DROP DEFAULT,
SET/DROP NOT NULL, DROP CONSTRAINT), ALTER ... RENAME, ALTER SEQUENCE.
Catalog first, then the SQLite schema (ALTER TABLE where SQLite can, else a rebuild).
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.commands.ddl import _deparse, default_source, table_sql  # noqa: F401
from pgsvc.sql.commands.ddl_more import DdlMore
from pgsvc.sql.translate.expr import quote_ident

A = enums.AlterTableType


class DdlAll(DdlMore):
    def alter_table(self, node: ast.AlterTableStmt) -> None:
        from pgsvc.sql.commands.grants import alter_relation_owner
        from pgsvc.sql.translate import Translator
        owner_only = all(c.subtype == A.AT_ChangeOwner for c in node.cmds)
        if node.objtype != enums.ObjectType.OBJECT_TABLE and not owner_only:
            raise SqlError("0A000", f"ALTER {node.objtype.name[7:]} is not supported")
        rel = self.cat.lookup(node.relation.schemaname, node.relation.relname, self.engine.search_path())
        if rel is None:
            if node.missing_ok:
                self.notice(f'relation "{node.relation.relname}" does not exist, skipping')
                return
            Translator(self.engine, self.cat, []).relation(node.relation)
        if owner_only:
            for cmd in node.cmds:
                alter_relation_owner(self, self.cat.by_oid[rel.oid], cmd.newowner)
            return
        authz(self.engine).check_owner(rel)
        for cmd in node.cmds:
            rel = self.cat.by_oid[rel.oid]
            self.alter_cmd(rel, cmd)

    def alter_cmd(self, rel: C.Relation, cmd: ast.AlterTableCmd) -> None:
        t = cmd.subtype
        if t == A.AT_AddConstraint:
            self.add_constraint(rel, cmd.def_, None)
        elif t == A.AT_AddColumn:
            self.add_column(rel, cmd.def_, cmd.missing_ok)
        elif t == A.AT_DropColumn:
            self.drop_column(rel, cmd.name, cmd.missing_ok)
        elif t in (A.AT_ColumnDefault,):
            a = self.column(rel, cmd.name)
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
                self.rebuild(self.cat.by_oid[rel.oid])
        elif t == A.AT_DropNotNull:
            a = self.column(rel, cmd.name)
            if any(c.contype == "p" and a.attnum in c.keys for c in rel.constraints):
                raise SqlError("42P16", f'column "{a.name}" is in a primary key')
            if a.notnull:
                a.notnull = False
                C.update_attr(self.conn, rel.oid, a)
                self.refresh()
                self.rebuild(self.cat.by_oid[rel.oid])
        elif t == A.AT_DropConstraint:
            self.drop_constraint(rel, cmd.name, cmd.missing_ok)
        elif t in (A.AT_SetRelOptions, A.AT_ResetRelOptions, A.AT_SetStatistics, A.AT_ClusterOn,
                   A.AT_ChangeOwner, A.AT_SetStorage, A.AT_SetCompression, A.AT_DropCluster,
                   A.AT_SetLogged):
            pass  # accepted, nothing to do on SQLite
        else:
            raise SqlError("0A000", f"ALTER TABLE {t.name[3:]} is not supported")

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
        attnum = max((a.attnum for a in rel.attrs), default=0) + 1
        a = self.column_def(cd, rel.oid, attnum, rel.schema, rel.name, cons)
        C.insert_attr(self.conn, rel.oid, a)
        self.refresh()
        rel = self.cat.by_oid[rel.oid]
        from pgsvc.sql.types.pg_type import find_oid
        from pgsvc.sql.types.storage import collation_for
        t = find_oid(a.type_oid)
        coll = collation_for(a.type_oid)
        self.conn.execute(f"ALTER TABLE {quote_ident(rel.sqlite_name)} ADD COLUMN {quote_ident(a.name)} "
                          f"{t.storage if t else 'TEXT'}{' COLLATE ' + coll if coll else ''}")
        if a.default is not None:
            self.fill_default(rel, a)
        if a.domain_oid:  # the domain's default and constraints meet the existing rows
            from pgsvc.sql.commands.user_types import DdlTypes
            DdlTypes(self.engine).fill_domain_column(self.cat.by_oid[rel.oid], a)
        if a.notnull:
            self.check_no_nulls(rel, a)
            self.rebuild(rel)
        for col, con in cons:
            self.add_constraint(self.cat.by_oid[rel.oid], con, col)

    def fill_default(self, rel: C.Relation, a: C.Attr) -> None:
        from pgsvc.sql.translate import Translator
        tr = Translator(self.engine, self.cat, [])
        ex = tr.default_expr(rel, a)
        self.conn.execute(f"UPDATE {quote_ident(rel.sqlite_name)} SET {quote_ident(a.name)} = {ex.sql}")

    def drop_column(self, rel: C.Relation, name: str, missing_ok) -> None:
        a = rel.attr(name)
        if a is None:
            if missing_ok:
                self.notice(f'column "{name}" of relation "{rel.name}" does not exist, skipping')
                return
            raise SqlError("42703", f'column "{name}" of relation "{rel.name}" does not exist')
        for c in list(rel.constraints):
            if a.attnum in c.keys or (c.contype == "c"):
                self.conn.execute('DELETE FROM "pgsvc$constraint" WHERE oid = ?', (c.oid,))
                if c.index_oid:
                    C.delete_relation(self.conn, c.index_oid)
        for ix in rel.indexes:
            if a.attnum in ix.keys:
                C.delete_relation(self.conn, ix.oid)
                self.conn.execute(f"DROP INDEX IF EXISTS {quote_ident(ix.sqlite_name)}")
        self.conn.execute('DELETE FROM "pgsvc$attribute" WHERE relid = ? AND attnum = ?', (rel.oid, a.attnum))
        self.refresh()
        self.rebuild_without(self.cat.by_oid[rel.oid], a.name)

    def rebuild_without(self, rel: C.Relation, dropped: str) -> None:
        self.rebuild(rel)

    def drop_constraint(self, rel: C.Relation, name: str, missing_ok) -> None:
        con = next((c for c in rel.constraints if c.name == name), None)
        if con is None:
            if missing_ok:
                self.notice(f'constraint "{name}" of relation "{rel.name}" does not exist, skipping')
                return
            raise SqlError("42704", f'constraint "{name}" of relation "{rel.name}" does not exist')
        self.conn.execute('DELETE FROM "pgsvc$constraint" WHERE oid = ?', (con.oid,))
        if con.index_oid:
            ix = next((i for i in rel.indexes if i.oid == con.index_oid), None)
            C.delete_relation(self.conn, con.index_oid)
            if ix is not None:
                self.conn.execute(f"DROP INDEX IF EXISTS {quote_ident(ix.sqlite_name)}")
        self.refresh()
        if con.contype in ("c", "f"):
            self.rebuild(self.cat.by_oid[rel.oid])

    def rename(self, node: ast.RenameStmt) -> None:
        OT = enums.ObjectType
        if node.renameType in (OT.OBJECT_TYPE, OT.OBJECT_DOMAIN, OT.OBJECT_DOMCONSTRAINT):
            from pgsvc.sql.commands.user_types import DdlTypes
            return DdlTypes(self.engine).rename_type(node)
        if node.renameType == OT.OBJECT_COLUMN:
            rel = self.find([x for x in (node.relation.schemaname, node.relation.relname) if x])
            if rel is None:
                raise SqlError("42P01", f'relation "{node.relation.relname}" does not exist')
            authz(self.engine).check_owner(rel)
            a = self.column(rel, node.subname)
            if rel.attr(node.newname) is not None:
                raise SqlError("42701", f'column "{node.newname}" of relation "{rel.name}" already exists')
            from pgsvc.sql.commands.rename_carry import column_rename_writes
            writes = column_rename_writes(self.engine, rel, a.name, node.newname)  # (old names resolve now)
            if rel.kind == "r":
                self.conn.execute(f"ALTER TABLE {quote_ident(rel.sqlite_name)} RENAME COLUMN "
                                  f"{quote_ident(a.name)} TO {quote_ident(node.newname)}")
            a.name = node.newname
            C.update_attr(self.conn, rel.oid, a)
            for sql, args in writes:
                self.conn.execute(sql, args)
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
            from pgsvc.sql.commands.rename_carry import table_rename_writes
            writes = table_rename_writes(self.engine, rel, node.newname)  # (old names resolve now)
            new_sqlite = C.sqlite_name_for(rel.schema, node.newname) if rel.sqlite_name else ""
            if rel.kind == "r":
                self.conn.execute(f"ALTER TABLE {quote_ident(rel.sqlite_name)} RENAME TO {quote_ident(new_sqlite)}")
            self.conn.execute('UPDATE "pgsvc$class" SET relname = ?, sqlite_name = ? WHERE oid = ?',
                              (node.newname, new_sqlite if rel.kind != "i" else rel.sqlite_name, rel.oid))
            for sql, args in writes:
                self.conn.execute(sql, args)
            self.refresh()
            return
        raise SqlError("0A000", "this kind of RENAME is not supported")

    def alter_sequence(self, node: ast.AlterSeqStmt) -> None:
        rel = self.find([x for x in (node.sequence.schemaname, node.sequence.relname) if x])
        if rel is None or rel.kind != "S":
            if node.missing_ok:
                self.notice(f'relation "{node.sequence.relname}" does not exist, skipping')
                return
            raise SqlError("42P01", f'relation "{node.sequence.relname}" does not exist')
        authz(self.engine).check_owner(rel)
        for d in node.options or ():
            from pgsvc.sql.commands.ddl import _defarg
            v = _defarg(d.arg)
            if d.defname == "restart":
                self.conn.execute('UPDATE "pgsvc$sequence" SET last_value = coalesce(?, start), is_called = 0 '
                                  'WHERE relid = ?', (v, rel.oid))
            elif d.defname == "increment":
                self.conn.execute('UPDATE "pgsvc$sequence" SET increment = ? WHERE relid = ?', (int(v), rel.oid))
            elif d.defname in ("start", "minvalue", "maxvalue"):
                col = {"start": "start", "minvalue": "minvalue", "maxvalue": "maxvalue"}[d.defname]
                self.conn.execute(f'UPDATE "pgsvc$sequence" SET {col} = ? WHERE relid = ?', (int(v), rel.oid))
            elif d.defname in ("cache", "owned_by", "cycle"):
                pass
            else:
                raise SqlError("0A000", f"ALTER SEQUENCE option {d.defname} is not supported")
        self.refresh()
