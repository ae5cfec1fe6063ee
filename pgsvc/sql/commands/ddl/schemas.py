"""CREATE SCHEMA and DROP SCHEMA (with what it takes along, reported as PostgreSQL does).
"""

from __future__ import annotations

import contextlib

from pglast import ast, enums
from pglast.stream import RawStream

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.authz import KIND_WORD, authz
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.commands.ddl.ownership import new_owner_oid, schema_created
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.routine_match import signature_text
from pgsvc.sql.types.usertypes import all_user_types


class SchemaDdl:
    """CREATE/DROP SCHEMA: methods of pgsvc.sql.commands.ddl.Ddl."""

    def drop_schema(self, node: ast.DropStmt) -> None:
        for obj in node.objects:
            name = obj.sval if isinstance(obj, ast.String) else obj[0].sval
            if name not in self.cat.schemas:
                if node.missing_ok:
                    self.notice(f'schema "{name}" does not exist, skipping')
                    continue
                raise SqlError("3F000", f'schema "{name}" does not exist')
            authz(self.engine).check_schema_owner(name)
            rels = [r for r in self.cat.by_oid.values() if r.schema == name]
            types = [ut for ut in all_user_types() if ut.schema == name]  # domains and enums
            members = self.schema_dependents(name, rels, types)
            if members and node.behavior != enums.DropBehavior.DROP_CASCADE:
                raise SqlError("2BP01", f"cannot drop schema {name} because other objects depend on it",
                               detail="\n".join(f"{what} depends on {on}" for what, on in members),
                               hint="Use DROP ... CASCADE to drop the dependent objects too.")
            self.report_cascade([what for what, _ in members])
            with self.notices_muted():  # the one report above names everything that goes
                # the referencing tables first: dropping a referenced one rewrites those that
                # still reference it, which their own referencing rows would forbid
                for r in self.referencing_first([r for r in rels if r.kind in ("r", "v", "S")]):
                    if r.oid in self.cat.by_oid:
                        self.drop_relation(self.cat.by_oid[r.oid], True)
                        self.refresh()
                if types:
                    self.drop_types_of_schema(types)
                self.drop_routines_of_schema(name)
            C.delete_acl(self.conn, self.cat.schemas[name])
            C.delete_namespace(self.conn, name)
        self.refresh()

    def schema_dependents(self, schema: str, rels: list, types: list) -> list[tuple[str, str]]:
        """What DROP SCHEMA takes with it, as PostgreSQL reports it: (object, what it
        depends on) for the schema's tables, views, sequences (not those a column owns:
        they go with it) and types in creation order, each followed by the objects
        elsewhere that depend on it."""
        owned = C.column_owned_sequences(self.conn)
        prefix = "" if schema in self.engine.search_path() else schema + "."
        members = [(r.oid, f"{KIND_WORD[r.kind]} {prefix}{r.name}", r)
                   for r in rels if r.kind in ("r", "v", "S") and r.oid not in owned]
        members += [(t.oid, f"type {prefix}{t.name}", None) for t in types]
        # (PostgreSQL 15's getObjectDescription says "function" for procedures too)
        members += [(r.oid, f"function {prefix}{signature_text(r)}", None)
                    for r in self.cat.routines.values() if r.schema == schema]
        inside = {r.oid for r in rels} | {r.oid for r in self.cat.routines.values() if r.schema == schema}
        out: list[tuple[str, str]] = []
        for _, what, rel in sorted(members, key=lambda m: m[0]):
            out.append((what, f"schema {schema}"))
            if rel is None or rel.kind == "S":
                continue
            for kind, obj, dep, *_ in self.dependents(rel):
                other = obj[1] if kind == "fk" else obj
                if other.oid not in inside and all(dep != d for d, _ in out):
                    out.append((dep, what))
        return out

    def report_cascade(self, what: list[str]) -> None:
        if len(what) == 1:
            self.notice(f"drop cascades to {what[0]}")
        elif what:
            self.engine.session.notice(SqlNotice(f"drop cascades to {len(what)} other objects",
                                                 detail="\n".join(f"drop cascades to {w}" for w in what)))

    @contextlib.contextmanager
    def notices_muted(self):
        session = self.engine.session
        saved, session.notice = session.notice, lambda _notice: None
        try:
            yield
        finally:
            session.notice = saved

    def create_schema(self, node: ast.CreateSchemaStmt) -> None:
        elements = schema_elements(node) if node.schemaElts else []
        az = authz(self.engine)
        az.check_create_schema()
        owner = self.creator()
        if node.authrole is not None:
            owner = new_owner_oid(self.engine, node.authrole)
            if not az.is_member_of(self.creator(), owner):
                role = shared(self.engine).cat.find_role_oid(owner)
                raise SqlError("42501", f'must be member of role "{role.name}"')
        name = node.schemaname or shared(self.engine).cat.find_role_oid(owner).name
        # information_schema exists in every database (pgsvc.sql.catalog.system.information_schema), outside the catalog
        if name in self.cat.schemas or name == "information_schema":
            if node.if_not_exists:
                self.notice(f'schema "{name}" already exists, skipping')
                return
            raise SqlError("42P06", f'schema "{name}" already exists')
        if name.startswith("pg_"):
            raise SqlError("42939", f'unacceptable schema name "{name}"',
                           detail='The prefix "pg_" is reserved for system schemas.')
        C.insert_namespace(self.conn, name)
        self.refresh()
        schema_created(self.engine, name, owner)
        self.refresh()
        if elements:
            self.create_schema_elements(name, elements)

    def create_schema_elements(self, name: str, elements: list) -> None:
        """CREATE SCHEMA s CREATE TABLE ... CREATE VIEW ...: each element made in s, with s
        first on the search path while they run (CreateSchemaCommand's override path)."""
        settings = self.engine.session.settings
        saved = settings.session.get("search_path")
        current = settings.get("search_path")
        settings.session["search_path"] = quote_ident(name) + (f", {current}" if current else "")
        settings.version += 1
        try:
            for elt in elements:
                for rv in _element_targets(elt):
                    if rv.schemaname is not None and rv.schemaname != name:
                        raise SqlError("42P15", f"CREATE specifies a schema ({rv.schemaname}) different from the "
                                       f"one being created ({name})")
                    if rv.relpersistence == "t":
                        raise SqlError("42P16", "cannot create temporary relation in non-temporary schema",
                                       position=location(rv))
                    rv.schemaname = name
                sub = self.engine.translate_stmt(RawStream()(elt), elt, [], None)
                self.engine.execute(sub)
                self.refresh()
        finally:
            if saved is None:
                settings.session.pop("search_path", None)
            else:
                settings.session["search_path"] = saved
            settings.version += 1


# transformCreateSchemaStmt's order: sequences, tables, views, indexes, triggers, grants
_ELEMENT_ORDER = (ast.CreateSeqStmt, ast.CreateStmt, ast.ViewStmt, ast.IndexStmt, ast.CreateTrigStmt, ast.GrantStmt)


def schema_elements(node: ast.CreateSchemaStmt) -> list:
    for elt in node.schemaElts:
        if not isinstance(elt, _ELEMENT_ORDER):
            raise SqlError("0A000", f"{type(elt).__name__} in CREATE SCHEMA is not supported")
    return sorted(node.schemaElts, key=lambda e: next(i for i, k in enumerate(_ELEMENT_ORDER) if isinstance(e, k)))


def _element_targets(elt) -> list:
    """The relations a schema element creates or names (they go in the new schema)."""
    if isinstance(elt, ast.CreateStmt):
        return [elt.relation]
    if isinstance(elt, ast.ViewStmt):
        return [elt.view]
    if isinstance(elt, ast.CreateSeqStmt):
        return [elt.sequence]
    if isinstance(elt, (ast.IndexStmt, ast.CreateTrigStmt)):
        return [elt.relation]
    return []
