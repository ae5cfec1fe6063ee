"""GRANT / REVOKE on tables, views, sequences, schemas and databases; ALTER SCHEMA / TYPE /
DOMAIN ... OWNER TO (relations: pgsvc.sql.commands.ddl.ownership); REASSIGN OWNED / DROP OWNED: PostgreSQL 15's ExecuteGrantStmt rules (best grantor,
"no privileges were granted" warnings, grant options, CASCADE), its messages and
SQLSTATEs. Relation and schema ACLs live in the database's pgsvc$acl table (pgsvc.sql.
catalog), database ACLs in the shared catalog's pg_database.datacl.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog import acl as A
from pgsvc.sql.catalog import changelog
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import policies as POL
from pgsvc.sql.catalog import publications as PUB
from pgsvc.sql.catalog.authz import KIND_WORD, authz, denied
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.catalog.system.pg_catalog_defs import PREDEFINED_ROLES
from pgsvc.sql.commands.ddl import Ddl
from pgsvc.sql.commands.ddl.ownership import check_may_give, new_owner_oid
from pgsvc.sql.statement import Result, Statement, utility_statement
from pgsvc.sql.translate import Translator

OT = enums.ObjectType
GT = enums.GrantTargetType
RS = enums.RoleSpecType
_KIND = {OT.OBJECT_TABLE: "table", OT.OBJECT_SEQUENCE: "sequence", OT.OBJECT_SCHEMA: "schema",
         OT.OBJECT_DATABASE: "database", OT.OBJECT_FUNCTION: "function", OT.OBJECT_PROCEDURE: "function",
         OT.OBJECT_ROUTINE: "function"}


# --- GRANT / REVOKE -----------------------------------------------------------------------------

def translate_grant(engine, tr, text, node: ast.GrantStmt) -> Statement:
    kind = _KIND.get(node.objtype)
    if kind is None:
        raise SqlError("0A000", f"GRANT/REVOKE on {node.objtype.name[7:].lower().replace('_', ' ')}s "
                       "is not supported")
    if node.targtype == GT.ACL_TARGET_DEFAULTS:
        raise SqlError("0A000", "ALTER DEFAULT PRIVILEGES is not supported")
    for p in node.privileges or ():
        if p.cols:
            raise SqlError("0A000", "column privileges are not supported")
    command = "GRANT" if node.is_grant else "REVOKE"

    def run(e, s, p):
        g = Grant(e, node, kind)
        if kind == "database":
            sc = shared(e)
            sc.write(g.run_databases)
        else:
            e.run_atomic(g.run_local)
        return Result(None, [], command)
    return utility_statement(text, command, run, writes=True, cacheable=False)


class Grant:
    def __init__(self, engine, node: ast.GrantStmt, kind: str) -> None:
        self.engine = engine
        self.node = node
        self.kind = kind
        self.az = authz(engine)
        self.az.fresh()
        self.me = self.az.current_oid()

    # -- what the statement asks
    def privileges(self, kind: str) -> tuple[str, bool]:
        """(letters, ALL PRIVILEGES?) for `kind`; a privilege the kind lacks is 0LP01."""
        if not self.node.privileges:
            return A.ALL[kind], True
        out = []
        for p in self.node.privileges:
            word = p.priv_name.upper()
            letter = A.LETTERS.get(word)
            if letter is None or letter not in A.ALL[kind]:
                raise SqlError("0LP01", f"invalid privilege type {word} for {A.OBJECT_WORD[kind]}")
            out.append(letter)
        return A.sort_letters(out), False

    def grantees(self) -> list[int]:
        out = []
        for spec in self.node.grantees:
            if spec.roletype == RS.ROLESPEC_PUBLIC:
                out.append(A.PUBLIC)
            elif spec.roletype == RS.ROLESPEC_CSTRING:
                out.append(role_oid(self.engine, spec.rolename))
            elif spec.roletype == RS.ROLESPEC_SESSION_USER:
                out.append(shared(self.engine).session_role().oid)
            else:
                out.append(self.me)
        return out

    def granted_by(self) -> None:
        """GRANTED BY must name the current role (PostgreSQL 15 supports nothing else)."""
        spec = self.node.grantor
        if spec is None:
            return
        if spec.roletype == RS.ROLESPEC_CSTRING:
            oid = shared(self.engine).role(spec.rolename).oid
        else:
            oid = self.me
        if oid != self.me:
            raise SqlError("0A000", "grantor must be current user")

    # -- the objects
    def relations(self) -> list:
        cat = self.engine.catalog
        if self.node.targtype == GT.ACL_TARGET_ALL_IN_SCHEMA:
            out = []
            for obj in self.node.objects:
                name = obj.sval
                if name not in cat.schemas:
                    raise SqlError("3F000", f'schema "{name}" does not exist')
                want = ("S",) if self.kind == "sequence" else ("r", "v")
                out += sorted((r for r in cat.by_oid.values() if r.schema == name and r.kind in want),
                              key=lambda r: r.oid)
            return out
        tr = Translator(self.engine, cat, [])
        out = []
        for rv in self.node.objects:
            try:
                rel = tr.relation(rv)
            except SqlError as err:
                err.position = None  # PostgreSQL reports GRANT's objects without a position
                raise
            if self.kind == "sequence" and rel.kind != "S":
                raise SqlError("42809", f'"{rel.name}" is not a sequence')
            out.append(rel)
        return out

    def routines(self) -> list:
        cat = self.engine.catalog
        if self.node.targtype == GT.ACL_TARGET_ALL_IN_SCHEMA:
            kinds = {OT.OBJECT_FUNCTION: ("f",), OT.OBJECT_PROCEDURE: ("p",)}.get(self.node.objtype, ("f", "p"))
            out = []
            for obj in self.node.objects:
                if obj.sval not in cat.schemas:
                    raise SqlError("3F000", f'schema "{obj.sval}" does not exist')
                out += sorted((r for r in cat.routines.values() if r.schema == obj.sval and r.kind in kinds),
                              key=lambda r: r.oid)
            return out
        ddl = Ddl(self.engine)
        return [ddl.lookup_routine(obj, self.node.objtype) for obj in self.node.objects]

    def run_local(self) -> None:
        self.granted_by()
        grantees = self.grantees()
        if self.kind == "schema":
            for obj in self.node.objects:
                name = obj.sval
                if name not in self.engine.catalog.schemas:
                    raise SqlError("3F000", f'schema "{name}" does not exist')
                owner, acl = self.az.schema_owner_acl(name)
                new = self.apply("schema", "schema", name, owner, acl, grantees, *self.privileges("schema"))
                C.set_owner_acl(self.engine.conn, self.engine.catalog.schemas[name], owner, new)
        elif self.kind == "function":  # functions and procedures (catalog.routines)
            for r in self.routines():
                new = self.apply("function", "procedure" if r.kind == "p" else "function", r.name, r.owner, r.acl,
                                 grantees, *self.privileges("function"))
                C.set_owner_acl(self.engine.conn, r.oid, r.owner, new)
        else:
            for rel in self.relations():
                kind = "sequence" if rel.kind == "S" else "table"
                letters, is_all = self.privileges_for_relation(rel, kind)
                new = self.apply(kind, KIND_WORD.get(rel.kind, "table"), rel.name, rel.owner, rel.acl, grantees,
                                 letters, is_all)
                C.set_owner_acl(self.engine.conn, rel.oid, rel.owner, new)
        C.bump_version(self.engine.conn)
        self.engine.reload_catalog()

    def privileges_for_relation(self, rel, kind: str) -> tuple[str, bool]:
        """GRANT ... ON TABLE naming a sequence: PostgreSQL warns and keeps what applies."""
        if kind == "sequence" and self.kind == "table":
            letters, is_all = self.privileges("table")
            if is_all:
                return A.ALL["sequence"], True
            keep = A.sort_letters(set(letters) & set(A.ALL["sequence"]))
            if keep != letters:
                self.warn("0LP01", f'sequence "{rel.name}" only supports USAGE, SELECT, and UPDATE privileges')
            return keep, False
        return self.privileges(kind)

    def run_databases(self) -> None:
        self.granted_by()
        grantees = self.grantees()
        sc = shared(self.engine)
        sc.cat.ensure_datacl()
        for obj in self.node.objects:
            db = sc.cat.find_database(obj.sval)
            if db is None:
                raise SqlError("3D000", f'database "{obj.sval}" does not exist')
            new = self.apply("database", "database", db.name, db.owner, sc.database_acl(db.oid), grantees,
                             *self.privileges("database"))
            sc.set_database_acl(db.oid, new)

    # -- PostgreSQL's restrict_and_check_grant + merge_acl_with_grant
    def apply(self, kind, word, name, owner, acl, grantees, letters, is_all):
        grantor, options = self.best_grantor(kind, owner, acl)
        if not options and not self.az.letters_held(self.me, kind, owner, acl):
            raise denied(word, name)
        if not letters:  # nothing left that applies (a sequence named ON TABLE): PostgreSQL is silent
            return acl
        doing = A.sort_letters(set(letters) & set(options))
        if self.node.is_grant:
            if not doing:
                self.warn("01007", f'no privileges were granted for "{name}"')
            elif not is_all and doing != letters:
                self.warn("01007", f'not all privileges were granted for "{name}"')
        else:
            if not doing:
                self.warn("01006", f'no privileges could be revoked for "{name}"')
            elif not is_all and doing != letters:
                self.warn("01006", f'not all privileges could be revoked for "{name}"')
        items = A.effective(acl, kind, owner)
        cascade = self.node.behavior == enums.DropBehavior.DROP_CASCADE
        for grantee in grantees:
            if self.node.is_grant:
                if self.node.grant_option and grantee == A.PUBLIC:
                    raise SqlError("0LP01", "grant options can only be granted to roles")
                if doing:
                    items = A.grant(items, grantee, grantor, doing, bool(self.node.grant_option))
            elif doing:
                items = A.revoke(items, grantee, grantor, doing, bool(self.node.grant_option), cascade, owner)
        return items

    def best_grantor(self, kind, owner, acl) -> tuple[int, str]:
        """PostgreSQL's select_best_grantor: the owner when we act as (a member of) the
        owner or as a superuser; else ourselves, or the role we inherit grant options from."""
        if self.az.has_privs_of(self.me, owner):
            return owner, A.ALL[kind]
        items = A.effective(acl, kind, owner)
        mine = A.held_options(items, {self.me})
        if mine:
            return self.me, mine
        best, best_opts = self.me, ""
        for role in sorted(self.az.privs_of(self.me)):
            opts = A.held_options(items, {role})
            if len(opts) > len(best_opts):
                best, best_opts = role, opts
        return best, best_opts

    def warn(self, sqlstate: str, message: str) -> None:
        self.engine.session.notice(SqlNotice(message, severity="WARNING", sqlstate=sqlstate))


def role_oid(engine, name: str) -> int:
    """A grantee: a role of the shared catalog, or one of PostgreSQL's predefined roles
    (pg_database_owner, pg_read_all_data, ...), which pgsvc knows by their fixed OIDs."""
    found = shared(engine).cat.find_role(name)
    if found is not None:
        return found.oid
    oid = next((o for o, n in PREDEFINED_ROLES.items() if n == name), None)
    if oid is None:
        raise SqlError("42704", f'role "{name}" does not exist')
    return oid


# --- ALTER SCHEMA / TYPE / DOMAIN ... OWNER TO ------------------------------------------------

def alter_owner_stmt(engine, tr, text, node: ast.AlterOwnerStmt) -> Statement:
    """ALTER SCHEMA / TYPE / DOMAIN ... OWNER TO; the types' and domains' change is
    pgsvc.sql.commands.ddl.user_types' (ALTER DATABASE ... OWNER TO is
    pgsvc.sql.commands.databases', dispatched by the utility's cluster handlers)."""
    if node.objectType in (OT.OBJECT_TYPE, OT.OBJECT_DOMAIN):
        tag = "ALTER TYPE" if node.objectType == OT.OBJECT_TYPE else "ALTER DOMAIN"

        def run_type(e, s, p):
            e.run_atomic(lambda: Ddl(e).alter_type_owner(node))
            return Result(None, [], tag)
        return utility_statement(text, tag, run_type, writes=True, cacheable=False)
    if node.objectType in (OT.OBJECT_FUNCTION, OT.OBJECT_PROCEDURE, OT.OBJECT_ROUTINE, OT.OBJECT_AGGREGATE):
        tag = "ALTER " + node.objectType.name[7:]

        def run_routine(e, s, p):  # pgsvc.sql.commands.ddl.routines
            e.run_atomic(lambda: Ddl(e).alter_routine_owner(node))
            return Result(None, [], tag)
        return utility_statement(text, tag, run_routine, writes=True, cacheable=False)
    if node.objectType != OT.OBJECT_SCHEMA:
        raise SqlError("0A000", f"ALTER {node.objectType.name[7:]} ... OWNER TO is not supported")
    name = node.object.sval

    def change():
        cat = engine.catalog
        if name not in cat.schemas:
            raise SqlError("3F000", f'schema "{name}" does not exist')
        az = authz(engine)
        owner, acl = az.schema_owner_acl(name)
        new = new_owner_oid(engine, node.newowner)
        if new == owner:
            return
        check_may_give(engine, "schema", name, owner, new)
        if not az.is_superuser(az.current_oid()) and not az.database_allows(az.current_oid(), "C"):
            raise denied("database", engine.session.database)
        C.set_owner_acl(engine.conn, cat.schemas[name], new, A.change_owner(acl, owner, new))
        C.bump_version(engine.conn)
        engine.reload_catalog()

    def run(e, s, p):
        e.run_atomic(change)
        return Result(None, [], "ALTER SCHEMA")
    return utility_statement(text, "ALTER SCHEMA", run, writes=True, cacheable=False)



# --- REASSIGN OWNED / DROP OWNED ---------------------------------------------------------------

def _roles(engine, specs) -> list[int]:
    return [new_owner_oid(engine, s) for s in specs]


def translate_reassign(engine, tr, text, node: ast.ReassignOwnedStmt) -> Statement:
    def change():
        az = authz(engine)
        az.fresh()
        me = az.current_oid()
        olds = _roles(engine, node.roles)
        new = new_owner_oid(engine, node.newrole)
        for old in olds:
            if not az.has_privs_of(me, old):
                raise SqlError("42501", "permission denied to reassign objects")
        if not az.has_privs_of(me, new):
            raise SqlError("42501", "permission denied to reassign objects")
        for obj_oid, owner, text_acl in C.acl_rows(engine.conn):
            if owner in olds:
                C.set_owner_acl(engine.conn, obj_oid, new, A.change_owner(A.load(text_acl), owner, new))
        for pub in engine.catalog.publications.values():  # (catalog.publications)
            if pub.owner in olds:
                PUB.set_publication_owner(engine.conn, pub.oid, new)
        C.bump_version(engine.conn)
        engine.reload_catalog()
        sc = shared(engine)

        def shared_change():
            for old in olds:
                for dbname in sc.cat.databases_owned_by(old):
                    db = sc.cat.find_database(dbname)
                    sc.cat.update_database(db.oid, datdba=new)
                    if sc.database_acl(db.oid) is not None:
                        sc.set_database_acl(db.oid, A.change_owner(sc.database_acl(db.oid), old, new))
        sc.write(shared_change)

    def run(e, s, p):
        e.run_atomic(change)
        return Result(None, [], "REASSIGN OWNED")
    return utility_statement(text, "REASSIGN OWNED", run, writes=True, cacheable=False)


def translate_drop_owned(engine, tr, text, node: ast.DropOwnedStmt) -> Statement:
    cascade = node.behavior == enums.DropBehavior.DROP_CASCADE

    def change():
        az = authz(engine)
        az.fresh()
        me = az.current_oid()
        olds = _roles(engine, node.roles)
        for old in olds:
            if not az.has_privs_of(me, old):
                raise SqlError("42501", "permission denied to drop objects")
        d = Ddl(engine)
        for rel in sorted(list(engine.catalog.by_oid.values()), key=lambda r: -r.oid):
            if rel.owner in olds and rel.kind in ("r", "v", "S") and rel.oid in d.cat.by_oid:
                try:
                    d.drop_relation(d.cat.by_oid[rel.oid], cascade)
                except SqlError as err:
                    if err.sqlstate == "2BP01":  # PostgreSQL drops the set at once and words it so
                        err.message = "cannot drop desired object(s) because other objects depend on them"
                    raise
        for r in sorted(d.cat.routines.values(), key=lambda r: -r.oid):  # functions and procedures
            if r.owner in olds and r.oid in d.cat.routines:
                d.drop_routine(r, cascade)
                d.refresh()
        Ddl(engine).drop_owned_types(olds, cascade)  # domains and enums
        d.refresh()
        for obj_oid, owner, text_acl in C.acl_rows(engine.conn):
            items = A.load(text_acl)
            for old in olds:
                items = A.without_role(items, old) if A.mentions(items, old) else items
            if items != A.load(text_acl):
                C.set_owner_acl(engine.conn, obj_oid, owner, items)
        for name, owner in list(engine.catalog.schema_owner.items()):
            if owner in olds:
                if any(r.schema == name for r in d.cat.by_oid.values()) and not cascade:
                    raise SqlError("2BP01", f"cannot drop schema {name} because other objects depend on it",
                                   hint="Use DROP ... CASCADE to drop the dependent objects too.")
                for r in [r for r in d.cat.by_oid.values() if r.schema == name and r.kind in ("r", "v", "S")]:
                    if r.oid in d.cat.by_oid:
                        d.drop_relation(d.cat.by_oid[r.oid], True)
                C.delete_namespace(engine.conn, name)
                C.delete_acl(engine.conn, engine.catalog.schemas[name])
        for pub in list(d.cat.publications.values()):  # and the change log follows (catalog.changelog)
            if pub.owner in olds:
                PUB.delete_publication(engine.conn, pub.oid)
        d.refresh()
        for old in olds:  # the roles leave the policies' role lists (catalog.policies)
            POL.drop_role_from_all(engine.conn, d.cat, old)
        d.refresh()
        changelog.sync(engine.conn, engine.catalog)
        sc = shared(engine)

        def revoke_on_databases():  # the roles' privileges on databases go too (not the databases)
            for db in sc.cat.databases():
                items = sc.database_acl(db.oid)
                if any(A.mentions(items, old) for old in olds):
                    for old in olds:
                        items = A.without_role(items, old)
                    sc.set_database_acl(db.oid, items)
        sc.write(revoke_on_databases)

    def run(e, s, p):
        e.run_atomic(change)
        return Result(None, [], "DROP OWNED")
    return utility_statement(text, "DROP OWNED", run, writes=True, cacheable=False)


__all__ = ["translate_grant", "alter_owner_stmt", "translate_reassign", "translate_drop_owned"]
