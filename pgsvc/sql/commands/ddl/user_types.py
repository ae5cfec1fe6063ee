"""DDL of user-defined types: CREATE/ALTER/DROP DOMAIN, CREATE TYPE ... AS ENUM,
ALTER TYPE ... ADD/RENAME VALUE, ALTER TYPE/DOMAIN ... RENAME / OWNER TO, DROP TYPE.
Composite types are pgsvc.sql.commands.ddl.composite_types', range types range_types';
shell and base types get PostgreSQL's errors up to where pgsvc refuses them (define_base_type).

Rows go to the hidden catalog (pgsvc$type, pgsvc$enum, pgsvc$domain_constraint; see
pgsvc.sql.catalog.database). A domain's NOT NULL and CHECKs are enforced by the SQLite CHECK
clauses that pgsvc.sql.commands.ddl.sqlite_schema.table_sql gives each column of the domain
(so INSERT, UPDATE and COPY all check them); a change to the domain's constraints rebuilds
those tables, after checking the rows already there as PostgreSQL does.
"""

from __future__ import annotations

import struct

from pglast import ast, enums

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.authz import authz, not_owner
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.commands.ddl.node_text import source_text
from pgsvc.sql.commands.ddl.ownership import check_may_give, new_owner_oid
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.dml import column_default
from pgsvc.sql.translate.domains import cast_check_sql, domain_check_sql
from pgsvc.sql.translate.typenames import typename_with_domain
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.pg_type import by_name, find_oid

NAMEDATALEN = 64
_CT = enums.ConstrType


class UserTypeDdl:
    """Domains and enums: methods of pgsvc.sql.commands.ddl.Ddl."""

    # --- names ---------------------------------------------------------------------

    def type_schema(self, names: list[str]) -> tuple[str, str]:
        """The schema a new type goes to (CREATE privilege checked there, as for tables)."""
        if len(names) > 2:
            raise SqlError("42601", f"improper qualified name (too many dotted names): {'.'.join(names)}")
        rv = ast.RangeVar(schemaname=names[0] if len(names) == 2 else None, relname=names[-1],
                          relpersistence="p")
        return self.schema_of(rv), names[-1]

    def record_owner(self, oid: int) -> None:
        C.set_owner_acl(self.conn, oid, self.creator(), None)

    def check_owner_of(self, ut: U.UserType, dropping: bool = False) -> None:
        """ALTER needs the type's owner (or a member); DROP also the schema's owner."""
        az = authz(self.engine)
        az.fresh()
        me = az.current_oid()
        if az.has_privs_of(me, ut.owner):
            return
        if dropping and az.has_privs_of(me, az.schema_owner_acl(ut.schema)[0]):
            return
        raise not_owner("domain" if ut.typtype == "d" else "type", U.display_name(ut.oid))

    def check_name_free(self, schema: str, name: str) -> None:
        # a table's row type would take the name in PostgreSQL, so a relation does too
        if U.lookup(schema, name) is not None or (schema, name) in self.cat.relations \
                or self.is_builtin_name(schema, name):
            raise SqlError("42710", f'type "{name}" already exists')

    def define_base_type(self, node: ast.DefineStmt) -> None:
        """CREATE TYPE name (a shell) and CREATE TYPE name (INPUT = ..., ...) (a base type):
        PostgreSQL's own errors where it has one (DefineType: superuser, the schema, a name
        taken, a base form without its shell); else a shell type is refused with 0A000, as
        pgsvc cannot have base types (their I/O functions are C or internal functions)."""
        az = authz(self.engine)
        if not az.is_superuser(az.current_oid()):
            raise SqlError("42501", "must be superuser to create a base type")
        names = [n.sval for n in node.defnames]
        schema, name = ("pg_catalog", names[1]) if len(names) == 2 and names[0] == "pg_catalog" \
            else self.type_schema(names)
        if len(name) >= NAMEDATALEN:
            name = name[:NAMEDATALEN - 1]
        taken = U.lookup(schema, name) is not None or (schema, name) in self.cat.relations
        if not taken and schema == "pg_catalog":
            try:
                taken = by_name(name) is not None and not name.startswith("_")
            except SqlError:
                taken = False
        if taken:  # (an array type's name is not: PostgreSQL moves the array type away)
            raise SqlError("42710", f'type "{name}" already exists')
        if node.definition is None:
            raise SqlError("0A000", "shell types (CREATE TYPE name) are not supported",
                           hint="Base types need I/O functions written in C.")
        raise SqlError("42704", f'type "{name}" does not exist',
                       hint="Create the type as a shell type, then create its I/O functions, then do a full "
                            "CREATE TYPE.")

    def is_builtin_name(self, schema: str, name: str) -> bool:
        return schema == "pg_catalog"

    def find_type(self, names: list[str], missing_ok: bool = False) -> U.UserType | None:
        if len(names) == 2 and names[0] != "pg_catalog":
            ut = U.lookup(names[0], names[1])
        else:
            ut = U.lookup(None, names[-1])
        if ut is not None and ut.of_table:  # a table's row type goes with its table
            rel = self.cat.by_oid.get(ut.relid)
            kind = "view" if rel is not None and rel.kind == "v" else "table"
            raise SqlError("2BP01", f"cannot drop type {ut.name} because {kind} {ut.name} requires it",
                           hint=f"You can drop {kind} {ut.name} instead.") \
                if getattr(self, "dropping_types", False) else \
                SqlError("42809", f'"{ut.name}" is not a composite type')
        if ut is None and not missing_ok:
            if find_oid_by_name(names[-1]) is not None:
                raise SqlError("0A000", f'built-in type "{names[-1]}" cannot be changed')
            raise SqlError("42704", f'type "{".".join(names)}" does not exist')
        return ut

    def new_type_oids(self) -> tuple[int, int]:
        """(array oid, type oid): PostgreSQL assigns the array type's OID first."""
        arr = C.new_oid(self.conn)
        return arr, C.new_oid(self.conn)

    # --- CREATE DOMAIN ----------------------------------------------------------------

    def create_domain(self, node: ast.CreateDomainStmt) -> None:
        schema, name = self.type_schema([n.sval for n in node.domainname])
        self.check_name_free(schema, name)
        base, typmod, dom = typename_with_domain(node.typeName, None)
        base_oid = dom or base
        t = find_oid(base_oid)
        if t is None or t.category == "P":
            raise SqlError("42809", f'"{t.sql_name if t else base_oid}" is not a valid base type for a domain')
        if node.collClause is not None:
            coll = node.collClause.collname[-1].sval
            if coll not in ("C", "POSIX", "default"):
                raise SqlError("0A000", f'collation "{coll}" is not supported')
        notnull, default, checks = self.domain_constraints(name, node.constraints or (), base, typmod)
        arr, oid = self.new_type_oids()
        C.insert_type(self.conn, oid, self.cat.schemas[schema], name, "d", arr, base_oid, typmod if not dom else -1,
                      notnull, default)
        self.record_owner(oid)
        for conname, expr in checks:
            self.insert_domain_check(oid, conname, expr)
        self.refresh()

    def domain_constraints(self, name: str, cons, base: int, typmod: int):
        notnull, nullable, default, checks = False, False, None, []
        for con in cons:
            if con.contype == _CT.CONSTR_NOTNULL:
                if nullable:
                    raise SqlError("42601", "conflicting NULL/NOT NULL constraints")
                notnull = True
            elif con.contype == _CT.CONSTR_NULL:
                if notnull:
                    raise SqlError("42601", "conflicting NULL/NOT NULL constraints")
                nullable = True
            elif con.contype == _CT.CONSTR_DEFAULT:
                if default is not None:
                    raise SqlError("42601", "multiple default expressions")
                default = self.domain_default(con.raw_expr, base, typmod)
            elif con.contype == _CT.CONSTR_CHECK:
                taken = [c for c, _ in checks]
                checks.append((con.conname or self.check_name(name, taken), self.check_expr(con, base, typmod)))
            else:
                word = {_CT.CONSTR_UNIQUE: "unique", _CT.CONSTR_PRIMARY: "primary key",
                        _CT.CONSTR_FOREIGN: "foreign key"}.get(con.contype, "this")
                raise SqlError("42601" if word != "this" else "0A000",  # PostgreSQL: a syntax error
                               f"{word} constraints not possible for domains")
        return notnull, default, checks

    def check_name(self, domain: str, taken: list[str]) -> str:
        """PostgreSQL's ChooseConstraintName: <domain>_check, then _check1, _check2..."""
        base = f"{domain}_check"
        name, n = base, 0
        while name in taken:
            n += 1
            name = f"{base}{n}"
        return name

    def domain_default(self, expr, base: int, typmod: int) -> str:
        text = source_text(expr)
        tr = Translator(self.engine, self.cat, [])
        tr.coerce(tr.expr(expr), base, typmod, "a")  # type errors now, as PostgreSQL's cookDefault
        return text

    def check_expr(self, con: ast.Constraint, base: int, typmod: int) -> str:
        if con.skip_validation:
            raise SqlError("0A000", "NOT VALID domain constraints are not supported")
        text = source_text(con.raw_expr)
        domain_check_sql(self.engine, base, typmod, text, "NULL")  # type errors now
        return text

    def insert_domain_check(self, typid: int, conname: str, expr: str) -> None:
        C.insert_domain_constraint(self.conn, typid, conname, expr)

    # --- ALTER DOMAIN -----------------------------------------------------------------

    def alter_domain(self, node: ast.AlterDomainStmt) -> None:
        names = [n.sval for n in node.typeName]
        ut = self.find_type(names)
        if ut.typtype != "d":
            raise SqlError("42809", f"{U.display_name(ut.oid)} is not a domain")
        self.check_owner_of(ut)
        base, typmod = U.base_of(ut.oid), U.typmod_of(ut)
        kind = node.subtype
        if kind == "T":
            default = self.domain_default(node.def_, base, typmod) if node.def_ is not None else None
            C.set_type_default(self.conn, ut.oid, default)
        elif kind in ("N", "O"):
            if kind == "O":
                self.check_no_nulls_in_columns(ut)
            C.set_type_notnull(self.conn, ut.oid, kind == "O")
        elif kind == "C":
            self.add_domain_check(ut, node.def_, base, typmod)
        elif kind == "X":
            if not self.drop_domain_check(ut, node.name, node.missing_ok):
                return
        else:
            raise SqlError("0A000", "this form of ALTER DOMAIN is not supported")
        self.refresh()
        self.rebuild_columns_of(ut.oid)

    def add_domain_check(self, ut: U.UserType, con: ast.Constraint, base: int, typmod: int) -> None:
        if con.contype != _CT.CONSTR_CHECK:
            raise SqlError("42601" if con.contype != _CT.CONSTR_NOTNULL else "0A000",
                           "unique constraints not possible for domains" if con.contype == _CT.CONSTR_UNIQUE
                           else "only CHECK constraints can be added to a domain")
        taken = [c.name for c in ut.checks]
        name = con.conname or self.check_name(ut.name, taken)
        if name in taken:
            raise SqlError("42710", f'constraint "{name}" for domain "{ut.name}" already exists')
        expr = self.check_expr(con, base, typmod)
        for rel, a in self.columns_of(ut.oid):
            cond = domain_check_sql(self.engine, base, typmod, expr, quote_sqlite_ident(a.name))
            bad = self.conn.execute(f"SELECT 1 FROM {quote_sqlite_ident(rel.sqlite_name)} WHERE ({cond}) = 0 "
                                    "LIMIT 1").fetchone()
            if bad is not None:
                raise SqlError("23514", f'column "{a.name}" of table "{rel.name}" contains values that violate '
                               "the new constraint", schema=rel.schema, table=rel.name, column=a.name)
        self.insert_domain_check(ut.oid, name, expr)

    def drop_domain_check(self, ut: U.UserType, name: str, missing_ok: bool) -> bool:
        check = next((c for c in ut.checks if c.name == name), None)
        if check is None:
            if missing_ok:
                self.notice(f'constraint "{name}" of domain "{ut.name}" does not exist, skipping')
                return False
            raise SqlError("42704", f'constraint "{name}" of domain "{ut.name}" does not exist')
        C.delete_domain_constraint(self.conn, check.oid)
        return True

    def check_no_nulls_in_columns(self, ut: U.UserType) -> None:
        for rel, a in self.columns_of(ut.oid):
            if self.conn.execute(f"SELECT 1 FROM {quote_sqlite_ident(rel.sqlite_name)} WHERE {quote_sqlite_ident(a.name)} "
                                 "IS NULL LIMIT 1").fetchone():
                raise SqlError("23502", f'column "{a.name}" of table "{rel.name}" contains null values',
                               schema=rel.schema, table=rel.name, column=a.name)

    def columns_of(self, typid: int) -> list:
        """(relation, column) pairs whose type is the domain or a domain over it."""
        doms = {typid} | {ut.oid for ut in U.all_user_types() if ut.typtype == "d" and _based_on(ut, typid)}
        return [(rel, a) for rel in self.cat.by_oid.values() if rel.kind == "r"
                for a in rel.attrs if a.domain_oid in doms]

    def fill_domain_column(self, rel, a: C.Attr) -> None:
        """ALTER TABLE ADD COLUMN of a domain: existing rows get the domain's default (if
        the column has none) and must pass its constraints, with the domain's errors;
        then the table is rebuilt with the column's CHECK clauses."""
        table, col = quote_sqlite_ident(rel.sqlite_name), quote_sqlite_ident(a.name)
        if a.default is None and column_default(a) is not None:
            value = Translator(self.engine, self.cat, []).default_expr(rel, a).sql
            self.conn.execute(f"UPDATE {table} SET {col} = {value}")
        check = cast_check_sql(self.engine, a.domain_oid, a.type_oid, a.typmod, col)
        try:
            self.conn.execute(f"SELECT {check} FROM {table}").fetchall()
        except Exception as e:
            raise map_error(e, self.engine) from None
        self.rebuild(rel)

    def rebuild_columns_of(self, typid: int) -> None:
        for relid in sorted({rel.oid for rel, _ in self.columns_of(typid)}):
            self.rebuild(self.cat.by_oid[relid])

    # --- enums ---------------------------------------------------------------------------

    def create_enum(self, node: ast.CreateEnumStmt) -> None:
        schema, name = self.type_schema([n.sval for n in node.typeName])
        self.check_name_free(schema, name)
        labels = [v.sval for v in node.vals or ()]
        for label in labels:
            check_label(label)
        arr, oid = self.new_type_oids()
        for i, label in enumerate(labels):
            if label in labels[:i]:  # PostgreSQL reports its pg_enum unique index here
                raise SqlError("23505", 'duplicate key value violates unique constraint "pg_enum_typid_label_index"',
                               detail=f"Key (enumtypid, enumlabel)=({oid}, {label}) already exists.",
                               schema="pg_catalog", table="pg_enum", constraint="pg_enum_typid_label_index")
        C.insert_type(self.conn, oid, self.cat.schemas[schema], name, "e", arr)
        self.record_owner(oid)
        for i, label in enumerate(labels):
            self.insert_label(oid, float(i + 1), label)
        self.refresh()

    def insert_label(self, typid: int, order: float, label: str) -> None:
        C.insert_enum_label(self.conn, typid, order, label)

    def alter_enum(self, node: ast.AlterEnumStmt) -> None:
        ut = self.find_type([n.sval for n in node.typeName])
        if ut.typtype != "e":
            raise SqlError("42809", f'{U.display_name(ut.oid)} is not an enum')
        self.check_owner_of(ut)
        if node.oldVal:
            self.rename_label(ut, node.oldVal, node.newVal)
        else:
            if not self.add_label(ut, node):
                return
        self.refresh()

    def rename_label(self, ut: U.UserType, old: str, new: str) -> None:
        if ut.stored_of(old) is None:
            raise SqlError("22023", f'"{old}" is not an existing enum label')
        if old == new:
            return
        if ut.stored_of(new) is not None:
            raise SqlError("42710", f'enum label "{new}" already exists')
        check_label(new)
        C.rename_enum_label(self.conn, ut.oid, old, new)

    def add_label(self, ut: U.UserType, node: ast.AlterEnumStmt) -> bool:
        new = node.newVal
        if ut.stored_of(new) is not None:
            if node.skipIfNewValExists:
                self.engine.session.notice(SqlNotice(f'enum label "{new}" already exists, skipping',
                                                     sqlstate="42710"))
                return False
            raise SqlError("42710", f'enum label "{new}" already exists')
        check_label(new)
        self.insert_label(ut.oid, new_sortorder(ut, node.newValNeighbor, node.newValIsAfter), new)
        if self.engine.txn.block or self.engine.txn.implicit:
            U.mark_unsafe(ut.oid, new)  # usable once the block commits, as in PostgreSQL
        return True

    # --- owners ------------------------------------------------------------------------------

    def alter_type_owner(self, node: ast.AlterOwnerStmt) -> None:
        """ALTER TYPE/DOMAIN ... OWNER TO (the array type follows its element type)."""
        names = [n.sval for n in node.object.names] if isinstance(node.object, ast.TypeName) else \
            [n.sval for n in node.object]
        ut = self.find_type(names, missing_ok=True)
        if ut is None:
            elem = self.find_type(names[:-1] + [names[-1][1:]], missing_ok=True) \
                if names[-1].startswith("_") else None
            if elem is not None:  # "_mood": the array type of mood
                raise SqlError("42809", f"cannot alter array type {U.display_name(elem.oid)}[]",
                               hint=f"You can alter type {U.display_name(elem.oid)}, which will alter "
                                    "the array type as well.")
            self.find_type(names)
        if node.objectType == enums.ObjectType.OBJECT_DOMAIN and ut.typtype != "d":
            raise SqlError("42809", f"{U.display_name(ut.oid)} is not a domain")
        new = new_owner_oid(self.engine, node.newowner)
        if new == ut.owner:
            return
        check_may_give(self.engine, "domain" if ut.typtype == "d" else "type", U.display_name(ut.oid),
                       ut.owner, new)
        self.record_owner_as(ut.oid, new)
        self.refresh()

    def record_owner_as(self, oid: int, owner: int) -> None:
        C.set_owner_acl(self.conn, oid, owner, None)

    def drop_owned_types(self, roles: list[int], cascade: bool) -> None:
        """DROP OWNED BY: the roles' domains and enums (after their relations)."""
        self.refresh()
        for ut in sorted(U.all_user_types(), key=lambda t: -t.oid):
            current = U.find(ut.oid)
            if current is not None and current.owner in roles:
                self.drop_type(current, cascade)
                self.refresh()

    # --- RENAME ---------------------------------------------------------------------------------

    def rename_type(self, node: ast.RenameStmt) -> None:
        """ALTER TYPE/DOMAIN ... RENAME TO, ALTER DOMAIN ... RENAME CONSTRAINT."""
        names = [n.sval for n in (node.object.names if isinstance(node.object, ast.TypeName) else node.object)]
        ut = self.find_type(names)
        OT = enums.ObjectType
        if node.renameType != OT.OBJECT_TYPE and ut.typtype != "d":
            raise SqlError("42809", f"{U.display_name(ut.oid)} is not a domain")
        self.check_owner_of(ut)
        if node.renameType == OT.OBJECT_DOMCONSTRAINT:
            return self.rename_domain_check(ut, node.subname, node.newname)
        new = node.newname
        if U.lookup(ut.schema, new) is not None or (ut.schema, new) in self.cat.relations:
            raise SqlError("42710", f'type "{new}" already exists')
        C.rename_type(self.conn, ut.oid, new)
        if ut.typtype == "c":  # its relation is renamed with it
            C.rename_relation(self.conn, ut.relid, new, C.sqlite_name_for(ut.schema, new))
        self.refresh()

    def rename_domain_check(self, ut: U.UserType, old: str, new: str) -> None:
        check = next((c for c in ut.checks if c.name == old), None)
        if check is None:
            raise SqlError("42704", f'constraint "{old}" for domain {U.display_name(ut.oid)} does not exist')
        if any(c.name == new for c in ut.checks):
            raise SqlError("42710", f'constraint "{new}" for domain {U.display_name(ut.oid)} already exists')
        C.rename_domain_constraint(self.conn, check.oid, new)
        self.refresh()
        self.rebuild_columns_of(ut.oid)  # the tables' CHECK clauses carry the constraint's name

    # --- DROP TYPE / DROP DOMAIN -----------------------------------------------------------

    def drop_types(self, node: ast.DropStmt) -> None:
        want_domain = node.removeType == enums.ObjectType.OBJECT_DOMAIN
        cascade = node.behavior == enums.DropBehavior.DROP_CASCADE
        self.dropping_types = True
        for tn in node.objects:
            names = [n.sval for n in tn.names]
            ut = self.find_type(names, missing_ok=True)
            if ut is None:
                if node.missing_ok:
                    self.notice(f'type "{".".join(names)}" does not exist, skipping')
                    continue
                self.find_type(names)
            if want_domain and ut.typtype != "d":
                raise SqlError("42809", f'"{ut.name}" is not a domain')
            self.check_owner_of(ut, dropping=True)
            self.drop_type(ut, cascade)
        self.refresh()

    def drop_types_of_schema(self, types: list[U.UserType]) -> None:
        """DROP SCHEMA ... CASCADE: its domains and enums go, with what uses them elsewhere."""
        self.refresh()  # the schema's tables are gone already
        for ut in types:
            if U.find(ut.oid) is not None:  # not dropped already as a dependent of another
                self.drop_type(U.find(ut.oid), True, quiet=True)
                self.refresh()

    def type_dependents(self, ut: U.UserType) -> list[tuple[str, str, object]]:
        """(what, what it depends on, object) in PostgreSQL's report order: users of the
        array type, then domains over the type (each followed by its own dependents),
        then columns of the type."""
        out = [(f"column {a.name} of table {rel.name}", ut.name, (rel, a)) for rel, a in self.columns_typed(ut.array_oid)]
        out += self.multirange_dependents(ut)  # a range's multirange's (commands.ddl.range_types)
        for other in sorted(U.all_user_types(), key=lambda t: t.oid):
            if other.typtype == "d" and other.basetype in (ut.oid, ut.array_oid):
                out.append((f"type {other.name}", ut.name, other))
                out += self.type_dependents(other)
        out += [(f"column {a.name} of table {rel.name}", ut.name, (rel, a)) for rel, a in self.columns_typed(ut.oid)]
        routines = self.routines_using_types((ut.oid, ut.array_oid))
        # an aggregate whose transition or final function goes with the type goes too: reached
        # through the last of them (PostgreSQL visits dependents in descending OID order)
        claimed, through = {r.oid for r in routines}, {}
        for r in reversed(routines):
            for kind, other, desc in self.routine_dependents(r):
                if kind == "function" and other.kind == "a" and other.oid not in claimed:
                    claimed.add(other.oid)
                    through.setdefault(r.oid, []).append((desc, ("function", self.routine_description(r)), other))
        for r in routines:
            out.append((self.routine_description(r), ut.name, r))
            out += through.get(r.oid, [])
        return out

    def columns_typed(self, typid: int) -> list:
        return [(rel, a) for rel in sorted(self.cat.by_oid.values(), key=lambda r: r.oid) if rel.kind == "r"
                for a in rel.attrs if (a.domain_oid or a.type_oid) == typid]

    def drop_type(self, ut: U.UserType, cascade: bool, quiet: bool = False) -> None:
        deps = self.type_dependents(ut)
        if deps and not cascade:
            raise SqlError("2BP01", f"cannot drop type {ut.name} because other objects depend on it",
                           detail="\n".join(f"{d} depends on {on[1] if isinstance(on, tuple) else 'type ' + on}"
                                             for d, on, _ in deps),
                           hint="Use DROP ... CASCADE to drop the dependent objects too.")
        if quiet:
            pass  # DROP SCHEMA reports what it cascades to itself
        elif len(deps) == 1:
            self.notice(f"drop cascades to {deps[0][0]}")
        elif deps:
            self.engine.session.notice(SqlNotice(
                f"drop cascades to {len(deps)} other objects",
                detail="\n".join(f"drop cascades to {d}" for d, _, _ in deps)))
        for _, _, dep in deps:
            if isinstance(dep, U.UserType):
                self.delete_type_rows(dep)
            elif self.is_routine(dep):  # a function of the type (commands.ddl.routines)
                self.delete_routine(dep)
            else:
                rel, a = dep
                rel = self.cat.by_oid.get(rel.oid)
                if rel is not None and rel.attr(a.name) is not None:
                    self.drop_column(rel, a.name, True)
        self.delete_type_rows(ut)

    def delete_type_rows(self, ut: U.UserType) -> None:
        self.delete_composite_rows(ut)  # a composite's relation (commands.ddl.composite_types)
        self.delete_range_rows(ut)  # a range's multirange (commands.ddl.range_types)
        C.delete_type(self.conn, ut.oid)

    def refuse_type(self, node) -> None:
        if isinstance(node, ast.CompositeTypeStmt):
            raise SqlError("0A000", "composite types are not supported")
        if isinstance(node, ast.CreateRangeStmt):
            raise SqlError("0A000", "range types are not supported")
        raise SqlError("0A000", "base and shell types are not supported")


# --- helpers ----------------------------------------------------------------------------------

def find_oid_by_name(name: str):
    try:
        return by_name(name)
    except SqlError:
        return None


def _based_on(ut: U.UserType, typid: int) -> bool:
    seen = set()
    while ut is not None and ut.typtype == "d" and ut.oid not in seen:
        seen.add(ut.oid)
        if ut.basetype == typid:
            return True
        ut = U.find(ut.basetype)
    return False


def check_label(label: str) -> None:
    if len(label.encode()) > NAMEDATALEN - 1 or not label:
        raise SqlError("42602", f'invalid enum label "{label}"', detail="Labels must be 63 bytes or less.")


def _float4(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def new_sortorder(ut: U.UserType, neighbor: str | None, after: bool) -> float:
    """The new label's enumsortorder, computed as PostgreSQL does (float4 midpoints)."""
    orders = [e.sortorder for e in ut.labels]
    if neighbor is None:
        return float(int(max(orders, default=0)) + 1) if orders else 1.0
    at = ut.stored_of(neighbor)
    if at is None:
        raise SqlError("22023", f'"{neighbor}" is not an existing enum label')
    i = orders.index(at)
    other = (orders[i + 1] if i + 1 < len(orders) else None) if after else (orders[i - 1] if i > 0 else None)
    if other is None:
        return at + 1 if after else at - 1
    mid = _float4((at + other) / 2)
    if mid in (at, other):
        # PostgreSQL renumbers every label here; pgsvc stores the sort order in the rows
        raise SqlError("0A000", f"no room left between enum labels of {ut.name} (renumbering is not supported)")
    return mid
