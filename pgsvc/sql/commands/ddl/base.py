"""What every DDL command of pgsvc.sql.commands.ddl stands on: the engine's connection and
catalog snapshot, notices, the schema a new object goes to, its owner, and the catalog
reload after each change.
"""

from __future__ import annotations

from pglast import enums

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.translate.ex import location

# the relkind each relation object type of DROP and COMMENT names
OBJECT_RELKIND = {enums.ObjectType.OBJECT_TABLE: "r", enums.ObjectType.OBJECT_VIEW: "v",
                  enums.ObjectType.OBJECT_SEQUENCE: "S", enums.ObjectType.OBJECT_INDEX: "i",
                  enums.ObjectType.OBJECT_MATVIEW: "m"}


class DdlBase:
    """The state of one DDL statement (the mixins of pgsvc.sql.commands.ddl.Ddl use it)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.conn = engine.conn
        self.cat = engine.catalog

    def notice(self, msg: str) -> None:
        self.engine.session.notice(SqlNotice(msg))

    def schema_of(self, rv) -> str:
        if rv.relpersistence == "t" or rv.schemaname == "pg_temp":
            try:
                return self.temp_schema()
            except SqlError as err:
                if err.sqlstate == "42501":  # no TEMP privilege: point at the name, as PostgreSQL
                    err.position = location(rv)
                raise
        if rv.schemaname:
            if rv.schemaname not in self.cat.schemas:
                raise SqlError("3F000", f'schema "{rv.schemaname}" does not exist')
            try:
                authz(self.engine).check_create_in(rv.schemaname)
            except SqlError as err:
                err.position = location(rv)
                raise
            return rv.schemaname
        for s in authz(self.engine).usable_schemas(self.engine.search_path()):
            if s in self.cat.schemas and s != self.engine.temp_schema:
                authz(self.engine).check_create_in(s)
                return s
        raise SqlError("3F000", "no schema has been selected to create in")

    def creator(self) -> int:
        """The owner of what this statement creates: the current role (after SET ROLE)."""
        return authz(self.engine).current_oid()

    def temp_schema(self) -> str:
        """This session's pg_temp_<pid> schema (created on first use, as in PostgreSQL)."""
        name = self.engine.temp_schema
        if name not in self.cat.schemas:
            authz(self.engine).check_temp()  # PostgreSQL checks TEMP when it makes the schema
            C.insert_namespace(self.conn, name)
            self.refresh()
        return name

    def refresh(self) -> None:
        C.bump_version(self.conn)
        self.engine.reload_catalog()
        self.cat = self.engine.catalog

    def find(self, names: list[str]):
        schema = names[0] if len(names) == 2 else None
        return self.cat.lookup(schema, names[-1], self.engine.search_path())

    def find_target_table(self, names: list[str], missing_ok: bool):
        """The table of DROP TRIGGER / DROP POLICY name ON table: None (with PostgreSQL's
        notice) when it is missing under IF EXISTS, 42P01 otherwise."""
        rel = self.find(names)
        if rel is None:
            if missing_ok:
                self.notice(f'relation "{".".join(names)}" does not exist, skipping')
                return None
            raise SqlError("42P01", f'relation "{".".join(names)}" does not exist')
        return rel
