"""DDL of composite types: CREATE TYPE name AS (field type, ...), ALTER TYPE ... ADD / DROP /
ALTER ATTRIBUTE, ALTER TYPE ... RENAME ATTRIBUTE (DROP TYPE, RENAME TO and OWNER TO are the
user types' own, pgsvc.sql.commands.ddl.user_types).

As in PostgreSQL a composite type is two catalog objects: its pg_type row (typtype 'c',
pgsvc$type with typrelid in basetype) and a relation of relkind 'c' (pgsvc$class, no SQLite
table) whose pg_attribute rows are the fields. OIDs are assigned in PostgreSQL's order:
the relation, the array type, the type.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.typenames import typename_with_domain
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.pg_type import find_oid

_AT = enums.AlterTableType


class CompositeTypeDdl:
    """Composite types: methods of pgsvc.sql.commands.ddl.Ddl."""

    def create_composite(self, node: ast.CompositeTypeStmt) -> None:
        rv = node.typevar
        schema, name = self.type_schema([x for x in (rv.schemaname, rv.relname) if x])
        self.check_name_free(schema, name)
        fields = [self.composite_field(cd) for cd in node.coldeflist or ()]
        seen = set()
        for f in fields:
            if f[0] in seen:
                raise SqlError("42701", f'column "{f[0]}" specified more than once')
            seen.add(f[0])
        relid = C.insert_relation(self.conn, self.cat, schema, name, "c", owner=self.creator())
        arr, oid = self.new_type_oids()
        C.insert_type(self.conn, oid, self.cat.schemas[schema], name, "c", arr, relid)
        self.record_owner(oid)
        for i, (fname, typid, typmod, dom) in enumerate(fields):
            C.insert_attr(self.conn, relid, C.Attr(i + 1, fname, typid, typmod, domain_oid=dom))
        self.refresh()

    def composite_field(self, cd: ast.ColumnDef) -> tuple[str, int, int, int]:
        """(name, type, typmod, domain) of one field; a field cannot have constraints."""
        if cd.constraints:
            raise SqlError("42601", "syntax error at or near \"" + _constraint_word(cd.constraints[0]) + "\"")
        typid, typmod, dom = typename_with_domain(cd.typeName, None)
        t = find_oid(dom or typid)
        if t is not None and t.category == "P" and typid != 2249:
            raise SqlError("42P16", f'column "{cd.colname}" has pseudo-type {t.sql_name}')
        if dom:
            d = U.find(dom)
            return cd.colname, U.base_of(dom), U.typmod_of(d), dom
        return cd.colname, typid, typmod, 0

    def composite_of(self, names: list[str]) -> U.UserType:
        ut = self.find_type(names)
        if ut.typtype != "c":
            raise SqlError("42809", f'"{ut.name}" is not a composite type')
        self.check_owner_of(ut)
        return ut

    # --- ALTER TYPE ... ADD / DROP / ALTER ATTRIBUTE ----------------------------------------

    def alter_composite(self, node: ast.AlterTableStmt) -> None:
        rv = node.relation
        ut = self.composite_of([x for x in (rv.schemaname, rv.relname) if x])
        rel = self.cat.by_oid[ut.relid]
        for cmd in node.cmds:
            if cmd.subtype == _AT.AT_AddColumn:
                fname, typid, typmod, dom = self.composite_field(cmd.def_)
                if rel.attr(fname) is not None:
                    raise SqlError("42701", f'column "{fname}" of relation "{rel.name}" already exists')
                self.rewrite_values(ut, "pgsvc_row_add_field({0})")
                attnum = max((a.attnum for a in rel.attrs), default=0) + 1
                a = C.Attr(attnum, fname, typid, typmod, domain_oid=dom)
                C.insert_attr(self.conn, rel.oid, a)
                rel.attrs.append(a)
            elif cmd.subtype == _AT.AT_DropColumn:
                a = rel.attr(cmd.name)
                if a is None:
                    if cmd.missing_ok:
                        self.notice(f'column "{cmd.name}" of relation "{rel.name}" does not exist, skipping')
                        continue
                    raise SqlError("42703", f'column "{cmd.name}" of relation "{rel.name}" does not exist')
                self.rewrite_values(ut, f"pgsvc_row_drop_field({{0}}, {rel.attrs.index(a)})")
                self.drop_composite_attr(rel, a)
            elif cmd.subtype == _AT.AT_AlterColumnType:
                a = rel.attr(cmd.name)
                if a is None:
                    raise SqlError("42703", f'column "{cmd.name}" of relation "{rel.name}" does not exist')
                self.check_not_used(ut)
                _, a.type_oid, a.typmod, a.domain_oid = self.composite_field(
                    ast.ColumnDef(colname=a.name, typeName=cmd.def_.typeName))
                C.update_attr(self.conn, rel.oid, a)
            else:
                raise SqlError("0A000", "this form of ALTER TYPE is not supported for composite types")
        self.refresh()

    def drop_composite_attr(self, rel, a) -> None:
        """Attributes are renumbered (pgsvc keeps no dropped attributes: its composite values
        are stored as text and a type still used by a column cannot be altered)."""
        C.delete_attrs(self.conn, rel.oid)
        rel.attrs = [x for x in rel.attrs if x is not a]
        for i, x in enumerate(rel.attrs):
            x.attnum = i + 1
            C.insert_attr(self.conn, rel.oid, x)

    def check_not_used(self, ut: U.UserType) -> None:
        """ALTER ATTRIBUTE ... TYPE of a type a column uses: PostgreSQL's refusal."""
        used = self.columns_typed(ut.oid) + self.columns_typed(ut.array_oid)
        if used:
            rel, a = used[0]
            raise SqlError("0A000", f'cannot alter type "{ut.name}" because column "{rel.name}.{a.name}" uses it')

    def rewrite_values(self, ut: U.UserType, template: str) -> None:
        """ADD/DROP ATTRIBUTE of a type columns use: their stored values (the record text)
        rewritten to the new shape, as PostgreSQL reads old rows with the new attribute NULL
        and the dropped one gone. Values inside arrays, domains or other composites would need
        a deeper rewrite: refused (0A000)."""
        deeper = self.columns_typed(ut.array_oid) + [
            (rel, a) for other in U.all_user_types() if other.oid != ut.oid and (
                (other.typtype == "d" and U.base_of(other.oid) == ut.oid)
                or (other.typtype == "c" and any(f[1] in (ut.oid, ut.array_oid) for f in other.fields)))
            for rel, a in self.columns_typed(other.oid)]
        if deeper:
            rel, a = deeper[0]
            raise SqlError("0A000", f'cannot alter type "{ut.name}" because column "{rel.name}.{a.name}" uses it')
        for rel, a in self.columns_typed(ut.oid):
            col = quote_sqlite_ident(a.name)
            self.conn.execute(f"UPDATE {quote_sqlite_ident(rel.sqlite_name)} SET {col} = "
                              f"{template.format(col)} WHERE {col} IS NOT NULL")

    def rewrite_row_values(self, rel, template: str, added: ast.ColumnDef | None = None) -> None:
        """ALTER TABLE ... ADD/DROP COLUMN: the stored values of the table's row type
        (columns of other tables) take the new shape; a new column with a default other than
        NULL is refused while they exist, as PostgreSQL refuses the table rewrite."""
        ut = U.find(U.row_type_oid(rel.oid))
        if ut is None or rel.kind not in ("r", "v"):
            return
        if added is not None and _non_null_default(added):
            used = self.columns_typed(ut.oid) + self.columns_typed(ut.array_oid)
            if used:
                other, a = used[0]
                raise SqlError("0A000", f'cannot alter table "{rel.name}" because column "{other.name}.{a.name}" '
                               "uses its row type")
        self.rewrite_values(ut, template)

    def rename_attribute(self, node: ast.RenameStmt) -> None:
        rv = node.relation
        ut = self.composite_of([x for x in (rv.schemaname, rv.relname) if x])
        rel = self.cat.by_oid[ut.relid]
        a = rel.attr(node.subname)
        if a is None:
            if node.missing_ok:
                return
            raise SqlError("42703", f'column "{node.subname}" does not exist')
        if rel.attr(node.newname) is not None:
            raise SqlError("42701", f'column "{node.newname}" of relation "{rel.name}" already exists')
        a.name = node.newname
        C.update_attr(self.conn, rel.oid, a)
        self.refresh()

    def delete_composite_rows(self, ut: U.UserType) -> None:
        if ut.typtype == "c" and ut.relid:
            C.delete_relation(self.conn, ut.relid)


def _constraint_word(con) -> str:
    return {enums.ConstrType.CONSTR_NOTNULL: "NOT", enums.ConstrType.CONSTR_NULL: "NULL",
            enums.ConstrType.CONSTR_CHECK: "CHECK", enums.ConstrType.CONSTR_DEFAULT: "DEFAULT",
            enums.ConstrType.CONSTR_PRIMARY: "PRIMARY", enums.ConstrType.CONSTR_UNIQUE: "UNIQUE"}.get(
        con.contype, "CONSTRAINT")


def _non_null_default(cd: ast.ColumnDef) -> bool:
    for con in cd.constraints or ():
        if con.contype in (enums.ConstrType.CONSTR_IDENTITY, enums.ConstrType.CONSTR_GENERATED):
            return True
        if con.contype == enums.ConstrType.CONSTR_DEFAULT:
            e = con.raw_expr
            return not (isinstance(e, ast.A_Const) and e.isnull)
    names = [n.sval for n in cd.typeName.names] if cd.typeName is not None else []
    return names[-1:] in (["serial"], ["bigserial"], ["smallserial"], ["serial4"], ["serial8"], ["serial2"])
