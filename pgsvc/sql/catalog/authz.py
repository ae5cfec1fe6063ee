"""Privilege checks of one backend: who is acting (session user, SET ROLE), whose
privileges that role has (membership with INHERIT), and PostgreSQL's aclcheck
decisions on relations, sequences, schemas and databases with its 42501 messages.

Where checks happen (cheapest place that still sees every access):
  * DML and SELECT: the translator records each relation a statement touches and the
    privileges it needs (`Translator.need`, kept on the Statement as extra["privs"]);
    the runner calls `check_statement` before every execution, so a prepared or cached
    statement is re-checked after GRANT/REVOKE/SET ROLE. A view's own relations are
    recorded "as" the view's owner, as PostgreSQL checks them.
  * nextval/currval/setval: at each call (pgsvc.sql.catalog.sequences), as PostgreSQL does.
  * DDL: ownership and schema CREATE at execution (the pgsvc.sql.commands.ddl package,
    pgsvc.sql.commands.grants).
  * CONNECT: at login (the backend through Engine.may_connect).

Decisions are cached per (role, object, privileges) and the cache is dropped whenever
it could be stale: the database catalog's version moved (GRANT/REVOKE/ALTER OWNER bump
it), the shared catalog changed (roles, memberships, database ACLs: another backend's
commit moves SharedCatalog.version(), this backend's own changes bump SharedCatalog.changes), or the
current role changed (SET ROLE).
"""

from __future__ import annotations

import os

from pgsvc.cluster.builtin_oids import BOOTSTRAP_SUPERUSER_OID, PG_DATABASE_OWNER_OID, PUBLIC_SCHEMA_OID
from pgsvc.cluster.layout import Layout
from pgsvc.errors import SqlError
from pgsvc.sql.catalog import acl as A
from pgsvc.sql.catalog.shared import forget_translations, shared

PG_READ_ALL_DATA = 6181
PG_WRITE_ALL_DATA = 6182
KIND_WORD = {"r": "table", "v": "view", "S": "sequence", "i": "index", "m": "materialized view"}


def authz(engine) -> Authz:
    a = engine.authz_state
    if a is None:
        a = Authz(engine)
        engine.authz_state = a
    return a


def public_schema_acl() -> list[A.AclItem]:
    """PostgreSQL 15's initial ACL of schema public: {pg_database_owner=UC/..., =U/...}."""
    return [A.AclItem(PG_DATABASE_OWNER_OID, PG_DATABASE_OWNER_OID, "UC"),
            A.AclItem(A.PUBLIC, PG_DATABASE_OWNER_OID, "U")]


class Authz:
    def __init__(self, engine) -> None:
        self.engine = engine
        self._key = None
        self._super: dict[int, bool] = {}
        self._privs_of: dict[int, set[int]] = {}
        self._decisions: dict[tuple, bool] = {}
        self._db = None
        self.standalone = not _has_cluster(engine)

    # --- who is acting ----------------------------------------------------------------

    def shared(self):
        return self.engine.shared_catalog or shared(self.engine)  # (made at the first use)

    def current_oid(self) -> int:
        """The current role's OID without a catalog read (an OID never changes: SET ROLE
        sets it, the login role's is found once)."""
        if self.standalone:
            return BOOTSTRAP_SUPERUSER_OID
        sc = self.shared()
        if sc.current_oid is not None:
            return sc.current_oid
        if sc.session_oid is not None:
            return sc.session_oid
        if sc.role_oid is None:
            sc.session_role()
        return sc.role_oid

    def fresh(self) -> None:
        """Drop cached decisions if anything they depend on may have changed."""
        if self.standalone:
            return
        sc = self.shared()
        key = (sc.version(), sc.changes, sc.current_oid, self.engine.catalog.version)
        if key != self._key:
            if self._key is not None and key[:3] != self._key[:3]:
                forget_translations(self.engine)  # roles changed: search-path resolution may too
            self._key = key
            self._super.clear()
            self._privs_of.clear()
            self._decisions.clear()
            self._db = None

    def is_superuser(self, role: int | None = None) -> bool:
        if self.standalone:
            return bool(self.engine.session.is_superuser)
        role = self.current_oid() if role is None else role
        got = self._super.get(role)
        if got is None:
            found = self.shared().cat.find_role_oid(role)
            got = self._super[role] = bool(found and found.superuser)
        return got

    def privs_of(self, role: int) -> set[int]:
        """PostgreSQL's roles_is_member_of(ROLERECURSE_PRIVS): the role itself and every role
        it belongs to through members with INHERIT; plus pg_database_owner for the owner
        of the current database (PostgreSQL 15's implicit membership)."""
        got = self._privs_of.get(role)
        if got is None:
            got = self.shared().cat.roles_inherited_by(role)
            if self.database().owner in got:
                got.add(PG_DATABASE_OWNER_OID)
            self._privs_of[role] = got
        return got

    def has_privs_of(self, role: int, target: int) -> bool:
        return self.is_superuser(role) or target in self.privs_of(role)

    def is_member_of(self, role: int, target: int) -> bool:
        """Membership without regard to INHERIT (SET ROLE, ALTER ... OWNER TO)."""
        return self.is_superuser(role) or target in self.shared().cat.roles_of(role)

    def database(self):
        if self._db is None:
            self._db = self.shared().cat.find_database(self.engine.session.database)
        return self._db

    # --- objects: owner and ACL ----------------------------------------------------------

    def schema_owner_acl(self, schema: str) -> tuple[int, list | None]:
        cat = self.engine.catalog
        oid = cat.schemas.get(schema)
        if oid is None:
            return BOOTSTRAP_SUPERUSER_OID, None
        default_owner = PG_DATABASE_OWNER_OID if oid == PUBLIC_SCHEMA_OID else BOOTSTRAP_SUPERUSER_OID
        return cat.schema_owner.get(schema, default_owner), \
            cat.schema_acl.get(schema, public_schema_acl() if oid == PUBLIC_SCHEMA_OID and
                               schema not in cat.schema_owner else None)

    def letters_held(self, role: int, kind: str, owner: int, acl, options: bool = False) -> str:
        if self.is_superuser(role):
            return A.ALL[kind]
        roles = self.privs_of(role)
        if options and owner in roles:
            return A.ALL[kind]  # the owner always holds grant options
        items = A.effective(acl, kind, owner)
        got = A.held_options(items, roles) if options else A.held(items, roles)
        if not options:
            got = self.predefined(roles, kind, got)
        return got

    @staticmethod
    def predefined(roles: set[int], kind: str, got: str) -> str:
        """pg_read_all_data / pg_write_all_data (PostgreSQL 14+)."""
        extra = set()
        if PG_READ_ALL_DATA in roles:
            extra |= {"table": {"r"}, "sequence": {"r"}, "schema": {"U"}}.get(kind, set())
        if PG_WRITE_ALL_DATA in roles:
            extra |= {"table": {"a", "w", "d"}, "sequence": set(), "schema": {"U"}}.get(kind, set())
        return A.sort_letters(set(got) | extra) if extra else got

    def relation_allows(self, role: int, rel, letters: str, any_of: bool = False) -> bool:
        key = ("rel", role, rel.oid, letters, any_of)
        got = self._decisions.get(key)
        if got is None:
            kind = "sequence" if rel.kind == "S" else "table"
            have = set(self.letters_held(role, kind, rel.owner, rel.acl))
            got = bool(have & set(letters)) if any_of else set(letters) <= have
            self._decisions[key] = got
        return got

    def bypasses_rls(self, role: int) -> bool:
        """Superusers and BYPASSRLS roles are never subject to row-level security."""
        if self.is_superuser(role):
            return True
        key = ("bypassrls", role)
        got = self._decisions.get(key)
        if got is None:
            got = self._decisions[key] = bool(self.shared().cat.role_flags(role).get("rolbypassrls"))
        return got

    def routine_allows(self, role: int, r) -> bool:
        """EXECUTE on a function or procedure (PUBLIC holds it by default)."""
        key = ("fn", role, r.oid)
        got = self._decisions.get(key)
        if got is None:
            got = self._decisions[key] = "X" in self.letters_held(role, "function", r.owner, r.acl)
        return got

    def schema_allows(self, role: int, schema: str, letter: str) -> bool:
        if schema in ("pg_catalog", "information_schema") or schema == self.engine.temp_schema:
            return letter == "U" or self.is_superuser(role) or schema == self.engine.temp_schema
        key = ("nsp", role, schema, letter)
        got = self._decisions.get(key)
        if got is None:
            owner, acl = self.schema_owner_acl(schema)
            got = self._decisions[key] = letter in self.letters_held(role, "schema", owner, acl)
        return got

    def database_allows(self, role: int, letter: str) -> bool:
        if self.is_superuser(role):
            return True
        db = self.database()
        return letter in self.letters_held(role, "database", db.owner, self.shared().database_acl(db.oid))

    # --- checks that raise PostgreSQL's errors -------------------------------------------------

    def check_statement(self, needs) -> None:
        """The runner's hook: every (kind, object, letters, check-as role, any) a statement
        recorded at translation. Superusers skip the loop."""
        self.fresh()
        me = self.current_oid()
        if self.is_superuser(me):
            return
        cat = self.engine.catalog
        for kind, obj, letters, as_role, any_of, *where in needs:
            role = as_role or me
            if kind == "s":  # row-level security applies to the table (translate.row_security)
                rel = cat.by_oid.get(obj)
                if rel is not None and not self.engine.session.settings.get("row_security"):
                    raise SqlError("42501", "query would be affected by row-level security policy for table "
                                   f'"{rel.name}"', hint="To disable the policy for the table's owner, use ALTER "
                                   "TABLE NO FORCE ROW LEVEL SECURITY." if self.has_privs_of(role, rel.owner) else None)
                continue
            if kind == "f":  # EXECUTE on a user routine (catalog.routines)
                r = cat.routines.get(obj)
                if r is not None and not self.routine_allows(role, r):
                    raise denied("procedure" if r.kind == "p" else "function", r.name)
                continue
            if kind == "n":
                if not self.schema_allows(role, obj, "U"):
                    err = denied("schema", obj)
                    err.position = where[0] if where else None
                    raise err
                continue
            rel = cat.by_oid.get(obj)
            if rel is not None and not self.relation_allows(role, rel, letters, any_of):
                raise denied(KIND_WORD.get(rel.kind, "table"), rel.name)

    def check_sequence_call(self, rel, func: str) -> None:
        """nextval needs USAGE or UPDATE, currval SELECT or USAGE, setval UPDATE."""
        self.fresh()
        me = self.current_oid()
        letters, any_of = {"nextval": ("Uw", True), "currval": ("rU", True), "setval": ("w", False)}[func]
        if not self.relation_allows(me, rel, letters, any_of):
            raise denied("sequence", rel.name)

    def check_owner(self, rel) -> None:
        self.fresh()
        if not self.has_privs_of(self.current_oid(), rel.owner):
            raise not_owner(KIND_WORD.get(rel.kind, "table"), rel.name)

    def check_schema_owner(self, schema: str) -> None:
        self.fresh()
        if not self.has_privs_of(self.current_oid(), self.schema_owner_acl(schema)[0]):
            raise not_owner("schema", schema)

    def may_drop(self, rel) -> bool:
        """PostgreSQL lets the owner of an object or of its schema drop it."""
        self.fresh()
        me = self.current_oid()
        return self.has_privs_of(me, rel.owner) or self.has_privs_of(me, self.schema_owner_acl(rel.schema)[0])

    def check_create_in(self, schema: str) -> None:
        self.fresh()
        if not self.schema_allows(self.current_oid(), schema, "C"):
            raise denied("schema", schema)

    def check_create_schema(self) -> None:
        self.fresh()
        if not self.database_allows(self.current_oid(), "C"):
            raise denied("database", self.engine.session.database)

    def check_temp(self) -> None:
        self.fresh()
        if not self.database_allows(self.current_oid(), "T"):
            raise SqlError("42501", "permission denied to create temporary tables in database "
                           f'"{self.engine.session.database}"')

    def check_truncate(self, rel) -> None:
        self.fresh()
        if not self.relation_allows(self.current_oid(), rel, "D"):
            raise denied(KIND_WORD.get(rel.kind, "table"), rel.name)

    def usable_schemas(self, schemas: list[str]) -> list[str]:
        """The search path as PostgreSQL uses it: schemas without USAGE are skipped."""
        self.fresh()
        me = self.current_oid()
        if self.is_superuser(me):
            return schemas
        return [s for s in schemas if self.schema_allows(me, s, "U")]


def denied(word: str, name: str) -> SqlError:
    if word == "database":
        return SqlError("42501", f'permission denied for database {name}')
    return SqlError("42501", f"permission denied for {word} {name}")


def not_owner(word: str, name: str) -> SqlError:
    return SqlError("42501", f"must be owner of {word} {name}")


def may_connect(catalog, role, db) -> bool:
    """Login's CONNECT check on the shared catalog (before any engine exists)."""
    if role.superuser:
        return True
    roles = catalog.roles_inherited_by(role.oid)
    return "c" in A.held(A.effective(A.load(catalog.datacl(db.oid)), "database", db.owner), roles)


def _has_cluster(engine) -> bool:
    """An engine opened on a database file outside a cluster (pgsvc's unit tests) has no
    shared catalog: its session's superuser flag, fixed at start, is all there is."""
    try:
        return os.path.exists(Layout(engine.session.datadir).global_catalog)
    except (TypeError, ValueError):
        return False
