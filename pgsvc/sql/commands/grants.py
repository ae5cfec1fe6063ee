"""GRANT / REVOKE on tables, views, sequences, schemas and databases; ALTER ... OWNER TO;
REASSIGN OWNED / DROP OWNED: PostgreSQL 15's ExecuteGrantStmt rules (best grantor,
"no privileges were granted" warnings, grant options, CASCADE), its messages and
SQLSTATEs. Relation and schema ACLs live in the database's pgsvc$acl table (pgsvc.sql.
catalog), database ACLs in the shared catalog's pg_database.datacl.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog import acl as A
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.authz import KIND_WORD, authz, denied, not_owner, public_schema_acl
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.statement import Result, Statement

OT = enums.ObjectType
GT = enums.GrantTargetType
RS = enums.RoleSpecType
_KIND = {OT.OBJECT_TABLE: "table", OT.OBJECT_SEQUENCE: "sequence", OT.OBJECT_SCHEMA: "schema",
         OT.OBJECT_DATABASE: "database"}


def _stmt(text, command, handler) -> Statement:
    s = Statement(text, command)
    s.handler = handler
    s.writes = True
    s.cacheable = False
    return s


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
    return _stmt(text, command, run)


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
        from pgsvc.sql.translate import Translator
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
            new = self.apply("database", "database", db.name, db.owner, sc.cat.database_acl(db.oid), grantees,
                             *self.privileges("database"))
            sc.cat.set_database_acl(db.oid, new)

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
    from pgsvc.sql.catalog.system.pg_catalog_defs import PREDEFINED_ROLES
    found = shared(engine).cat.find_role(name)
    if found is not None:
        return found.oid
    oid = next((o for o, n in PREDEFINED_ROLES.items() if n == name), None)
    if oid is None:
        raise SqlError("42704", f'role "{name}" does not exist')
    return oid


# --- ALTER ... OWNER TO -----------------------------------------------------------------------

def new_owner_oid(engine, spec) -> int:
    sc = shared(engine)
    if spec.roletype == RS.ROLESPEC_CSTRING:
        return sc.role(spec.rolename).oid
    if spec.roletype == RS.ROLESPEC_SESSION_USER:
        return sc.session_role().oid
    if spec.roletype == RS.ROLESPEC_PUBLIC:
        raise SqlError("42704", 'role "public" does not exist')
    return sc.me().oid


def check_may_give(engine, word: str, name: str, old: int, new: int) -> None:
    """PostgreSQL 15's ALTER OWNER rule: owner (or member) of the object, member of the new
    owning role; superusers skip both."""
    az = authz(engine)
    az.fresh()
    me = az.current_oid()
    if az.is_superuser(me):
        return
    if not az.has_privs_of(me, old):
        raise not_owner(word, name)
    if not az.is_member_of(me, new):
        role = shared(engine).cat.find_role_oid(new)
        raise SqlError("42501", f'must be member of role "{role.name if role else new}"')


def alter_relation_owner(ddl, rel, spec) -> None:
    """ALTER TABLE/VIEW/SEQUENCE/INDEX ... OWNER TO (run inside the DDL's transaction)."""
    engine = ddl.engine
    new = new_owner_oid(engine, spec)
    if rel.kind == "i":
        engine.session.notice(SqlNotice(f'cannot change owner of index "{rel.name}"', severity="WARNING",
                                        sqlstate="01000",
                                        hint="Change the ownership of the index's table instead."))
        return
    authz(engine).check_owner(rel)  # PostgreSQL checks ownership at lookup, before anything else
    if new == rel.owner:
        return
    check_may_give(engine, KIND_WORD.get(rel.kind, "table"), rel.name, rel.owner, new)
    az = authz(engine)
    if not az.is_superuser(az.current_oid()) and not az.schema_allows(az.current_oid(), rel.schema, "C"):
        raise denied("schema", rel.schema)
    give_relation(engine, rel, new)
    if rel.kind == "r":  # sequences owned by its columns follow the table (PostgreSQL does the same)
        for seq_oid, in engine.conn.execute('SELECT relid FROM "pgsvc$sequence" WHERE owner_relid = ?',
                                            (rel.oid,)).fetchall():
            seq = engine.catalog.by_oid.get(seq_oid)
            if seq is not None:
                give_relation(engine, seq, new)
    ddl.refresh()


def give_relation(engine, rel, new: int) -> None:
    C.set_owner_acl(engine.conn, rel.oid, new, A.change_owner(rel.acl, rel.owner, new))


def alter_owner_stmt(engine, tr, text, node: ast.AlterOwnerStmt) -> Statement:
    """ALTER SCHEMA ... OWNER TO (databases: pgsvc.sql.commands.databases; types: pgsvc.sql.commands.user_types)."""
    if node.objectType in (OT.OBJECT_TYPE, OT.OBJECT_DOMAIN):
        tag = "ALTER TYPE" if node.objectType == OT.OBJECT_TYPE else "ALTER DOMAIN"

        def run_type(e, s, p):
            from pgsvc.sql.commands.user_types import DdlTypes
            e.run_atomic(lambda: DdlTypes(e).alter_owner(node))
            return Result(None, [], tag)
        return _stmt(text, tag, run_type)
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
    return _stmt(text, "ALTER SCHEMA", run)


def schema_created(engine, name: str, owner: int) -> None:
    """CREATE SCHEMA: record its owner (default privileges)."""
    C.set_owner_acl(engine.conn, engine.catalog.schemas[name], owner, None)


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
        for obj_oid, owner, text_acl in engine.conn.execute(
                'SELECT objoid, owner, acl FROM "pgsvc$acl"').fetchall():
            if owner in olds:
                C.set_owner_acl(engine.conn, obj_oid, new, A.change_owner(A.load(text_acl), owner, new))
        C.bump_version(engine.conn)
        engine.reload_catalog()
        sc = shared(engine)

        def shared_change():
            for old in olds:
                for dbname in sc.cat.databases_owned_by(old):
                    db = sc.cat.find_database(dbname)
                    sc.cat.update_database(db.oid, datdba=new)
                    if sc.cat.database_acl(db.oid) is not None:
                        sc.cat.set_database_acl(db.oid, A.change_owner(sc.cat.database_acl(db.oid), old, new))
        sc.write(shared_change)

    def run(e, s, p):
        e.run_atomic(change)
        return Result(None, [], "REASSIGN OWNED")
    return _stmt(text, "REASSIGN OWNED", run)


def translate_drop_owned(engine, tr, text, node: ast.DropOwnedStmt) -> Statement:
    cascade = node.behavior == enums.DropBehavior.DROP_CASCADE

    def change():
        from pgsvc.sql.commands.ddl_alter import DdlAll
        az = authz(engine)
        az.fresh()
        me = az.current_oid()
        olds = _roles(engine, node.roles)
        for old in olds:
            if not az.has_privs_of(me, old):
                raise SqlError("42501", "permission denied to drop objects")
        d = DdlAll(engine)
        for rel in sorted(list(engine.catalog.by_oid.values()), key=lambda r: -r.oid):
            if rel.owner in olds and rel.kind in ("r", "v", "S") and rel.oid in d.cat.by_oid:
                try:
                    d.drop_relation(d.cat.by_oid[rel.oid], cascade)
                except SqlError as err:
                    if err.sqlstate == "2BP01":  # PostgreSQL drops the set at once and words it so
                        err.message = "cannot drop desired object(s) because other objects depend on them"
                    raise
        from pgsvc.sql.commands.user_types import DdlTypes
        DdlTypes(engine).drop_owned_types(olds, cascade)  # domains and enums
        d.refresh()
        for obj_oid, owner, text_acl in engine.conn.execute('SELECT objoid, owner, acl FROM "pgsvc$acl"').fetchall():
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
                engine.conn.execute('DELETE FROM "pgsvc$namespace" WHERE nspname = ?', (name,))
                engine.conn.execute('DELETE FROM "pgsvc$acl" WHERE objoid = ?', (engine.catalog.schemas[name],))
        d.refresh()
        sc = shared(engine)

        def revoke_on_databases():  # the roles' privileges on databases go too (not the databases)
            for (db_oid,) in sc.cat.conn.execute("SELECT oid FROM pg_database").fetchall():
                items = sc.cat.database_acl(db_oid)
                if any(A.mentions(items, old) for old in olds):
                    for old in olds:
                        items = A.without_role(items, old)
                    sc.cat.set_database_acl(db_oid, items)
        sc.write(revoke_on_databases)

    def run(e, s, p):
        e.run_atomic(change)
        return Result(None, [], "DROP OWNED")
    return _stmt(text, "DROP OWNED", run)


def owned_objects(engine, role: int) -> list[tuple[int, str]]:
    """DROP ROLE's detail lines for this database (PostgreSQL's checkSharedDependencies)
    as (OID, line): PostgreSQL lists them in OID order, databases included."""
    cat = engine.catalog
    lines: list[tuple[int, str]] = []
    for name, oid in cat.schemas.items():
        owner, acl_items = authz(engine).schema_owner_acl(name)
        if owner == role:
            lines.append((oid, f"owner of schema {name}"))
        elif A.mentions(acl_items, role):
            lines.append((oid, f"privileges for schema {name}"))
    for rel in cat.by_oid.values():
        if rel.kind == "i" or rel.schema.startswith("pg_temp_"):
            continue
        word = KIND_WORD.get(rel.kind, "table")
        if rel.owner == role:
            lines.append((rel.oid, f"owner of {word} {qualified(engine, rel)}"))
        elif A.mentions(rel.acl, role):
            lines.append((rel.oid, f"privileges for {word} {qualified(engine, rel)}"))
    from pgsvc.sql.commands.user_types import owned_type_lines
    return lines + owned_type_lines(role)


def objects_elsewhere(engine, role: int) -> list[tuple[str, int]]:
    """DROP ROLE's "n objects in database d" for the other databases: their files are read
    (read-only) for objects the role owns or holds privileges on, as PostgreSQL's shared
    dependency catalog would tell it."""
    import os
    import sqlite3
    import urllib.parse

    from pgsvc.cluster.layout import Layout
    sc = shared(engine)
    layout = Layout(engine.session.datadir)
    out = []
    for oid, name in sc.cat.conn.execute("SELECT oid, datname FROM pg_database ORDER BY datname").fetchall():
        path = layout.database_file(oid)
        if name == engine.session.database or not os.path.exists(path):
            continue
        try:
            conn = sqlite3.connect("file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro", uri=True)
        except sqlite3.Error:
            continue
        try:
            rows = conn.execute('SELECT a.owner, a.acl FROM "pgsvc$acl" a LEFT JOIN "pgsvc$class" c '
                                "ON c.oid = a.objoid WHERE coalesce(c.relkind, '') <> 'i'").fetchall()
        except sqlite3.Error:
            rows = []  # a file from before privileges: everything is the bootstrap superuser's
        finally:
            conn.close()
        n = sum(1 for owner, text in rows if owner == role or A.mentions(A.load(text), role))
        if n:
            out.append((name, n))
    return out


def qualified(engine, rel) -> str:
    """Object names in dependency messages: schema-qualified unless visible (PostgreSQL's
    getObjectDescription)."""
    from pgsvc.sql.catalog.system.relations import table_is_visible
    return rel.name if table_is_visible(engine, rel.oid) else f"{rel.schema}.{rel.name}"


__all__ = ["translate_grant", "alter_owner_stmt", "translate_reassign", "translate_drop_owned",
           "alter_relation_owner", "schema_created", "owned_objects", "public_schema_acl"]
