"""CREATE ROLE/USER/GROUP, ALTER ROLE, ALTER ROLE ... RENAME, DROP ROLE, GRANT/REVOKE role
membership: PostgreSQL 15's commands/user.c rules, checks in its order, its messages.

The rows live in the shared catalog (pgsvc.cluster.global_catalog); authentication reads it at
each connection, so a role created here can log in at once. Passwords are stored as
SCRAM-SHA-256 verifiers (or md5 under password_encryption = md5); an already-encrypted
password (what psql's \\password and pg_dumpall send) is stored as given.
"""

from __future__ import annotations

import math

from pglast import ast, enums

from pgsvc.cluster.passwords import encrypt_password
from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.api import EngineContext
from pgsvc.sql.catalog import acl
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.commands.ddl.ownership import objects_elsewhere, owned_objects
from pgsvc.sql.statement import done, utility_statement
from pgsvc.sql.translate.ex import location
from pgsvc.sql.types import dates as D
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.textio import decode_text

_BOOL_OPTIONS = {"superuser": "rolsuper", "inherit": "rolinherit", "createrole": "rolcreaterole",
                 "createdb": "rolcreatedb", "canlogin": "rolcanlogin", "isreplication": "rolreplication",
                 "bypassrls": "rolbypassrls"}
_CREATE_OPTIONS = set(_BOOL_OPTIONS) | {"password", "sysid", "connectionlimit", "addroleto",
                                       "rolemembers", "adminmembers", "validUntil"}
_ALTER_OPTIONS = set(_BOOL_OPTIONS) | {"password", "connectionlimit", "rolemembers", "validUntil"}


def collect_options(options, allowed: set[str]) -> dict:
    """DefElems -> {name: value}; a repeated option is PostgreSQL's 42601."""
    out: dict = {}
    for d in options or ():
        name = d.defname
        if name not in allowed:
            raise SqlError("42601", f'option "{name}" not recognized', position=location(d))
        if name in out:
            raise SqlError("42601", "conflicting or redundant options", position=location(d))
        arg = d.arg
        if isinstance(arg, ast.Boolean):
            arg = arg.boolval
        elif isinstance(arg, ast.Integer):
            arg = arg.ival
        elif isinstance(arg, ast.String):
            arg = arg.sval
        elif isinstance(arg, tuple):
            arg = list(arg)
        out[name] = arg
    return out


def role_spec_name(engine: EngineContext, spec) -> str:
    """A RoleSpec (name, CURRENT_USER, SESSION_USER, CURRENT_ROLE) -> role name."""
    kind = spec.roletype
    if kind == enums.RoleSpecType.ROLESPEC_CSTRING:
        return spec.rolename
    if kind == enums.RoleSpecType.ROLESPEC_PUBLIC:
        raise SqlError("42704", 'role "public" does not exist')
    return engine.session.user


def check_reserved(name: str) -> None:
    if name.startswith("pg_"):
        raise SqlError("42939", f'role name "{name}" is reserved',
                       detail='Role names starting with "pg_" are reserved.')


def check_conn_limit(opts: dict) -> None:
    limit = opts.get("connectionlimit")
    if limit is not None and limit < -1:
        raise SqlError("22023", f"invalid connection limit: {limit}")


def stored_password(engine: EngineContext, opts: dict, rolname: str):
    """The pg_authid.rolpassword to store, or ... (Ellipsis) when PASSWORD was not given."""
    if "password" not in opts:
        return ...
    given = opts["password"]
    if given is None:
        return None
    if given == "":
        engine.session.notice(SqlNotice("empty string is not a valid password, clearing password"))
        return None
    method = str(engine.session.settings.get("password_encryption") or "scram-sha-256")
    return encrypt_password(given, rolname, method)


def valid_until(engine: EngineContext, opts: dict):
    """VALID UNTIL 'timestamptz' -> Unix seconds (inf for 'infinity'), or ... if not given."""
    if "validUntil" not in opts:
        return ...
    value = decode_text(O.TIMESTAMPTZ, opts["validUntil"], engine.fctx.format_context())
    micros = D.timestamp_to_micros(value)
    if micros >= D.NOEND:
        return math.inf
    if micros <= D.NOBEGIN:
        return -math.inf
    return micros / 1_000_000 + D.POSTGRES_EPOCH_UNIX


# --- CREATE ROLE --------------------------------------------------------------------------

def create_role(engine: EngineContext, tr, text, node: ast.CreateRoleStmt):
    opts = collect_options(node.options, _CREATE_OPTIONS)
    check_conn_limit(opts)
    is_user = node.stmt_type == enums.RoleStmtType.ROLESTMT_USER

    def run(e, s, p):
        sc = shared(e)
        if opts.get("superuser"):
            if not sc.is_superuser():
                raise SqlError("42501", "must be superuser to create superusers")
        elif opts.get("isreplication"):
            if not sc.is_superuser():
                raise SqlError("42501", "must be superuser to create replication users")
        elif opts.get("bypassrls"):
            if not sc.is_superuser():
                raise SqlError("42501", "must be superuser to create bypassrls users")
        elif not sc.has_createrole():
            raise SqlError("42501", "permission denied to create role")
        check_reserved(node.role)
        if "sysid" in opts:
            e.session.notice(SqlNotice("SYSID can no longer be specified"))

        def change():
            if sc.cat.find_role(node.role) is not None:
                raise SqlError("42710", f'role "{node.role}" already exists')
            password = stored_password(e, opts, node.role)
            until = valid_until(e, opts)
            oid = sc.cat.add_role(
                node.role, superuser=bool(opts.get("superuser")), login=opts.get("canlogin", is_user),
                password=None if password is ... else password,
                create_db=bool(opts.get("createdb")), create_role=bool(opts.get("createrole")),
                inherit=opts.get("inherit", True), replication=bool(opts.get("isreplication")),
                bypassrls=bool(opts.get("bypassrls")), conn_limit=opts.get("connectionlimit", -1),
                valid_until=None if until is ... else until)
            me = sc.me().oid
            for spec in opts.get("addroleto") or ():
                group = sc.role(role_spec_name(e, spec))
                add_members(e, group, [(node.role, oid)], me, False)
            members = [(n, sc.role(n).oid) for n in (role_spec_name(e, r) for r in opts.get("rolemembers") or ())]
            if members:
                add_members(e, sc.cat.find_role_oid(oid), members, me, False)
            admins = [(n, sc.role(n).oid) for n in (role_spec_name(e, r) for r in opts.get("adminmembers") or ())]
            if admins:
                add_members(e, sc.cat.find_role_oid(oid), admins, me, True)
        sc.write(change)
        return done("CREATE ROLE")
    return utility_statement(text, "CREATE ROLE", run, cacheable=False)


# --- ALTER ROLE ---------------------------------------------------------------------------

def alter_role(engine: EngineContext, tr, text, node: ast.AlterRoleStmt):
    opts = collect_options(node.options, _ALTER_OPTIONS)
    check_conn_limit(opts)

    def run(e, s, p):
        sc = shared(e)
        name = role_spec_name(e, node.role)
        target = sc.role(name)
        flags = sc.cat.role_flags(target.oid)
        if flags["rolsuper"] or "superuser" in opts:
            if not sc.is_superuser():
                raise SqlError("42501", "must be superuser to alter superuser roles or change superuser attribute")
        elif flags["rolreplication"] or "isreplication" in opts:
            if not sc.is_superuser():
                raise SqlError("42501", "must be superuser to alter replication roles or change "
                               "replication attribute")
        elif "bypassrls" in opts:
            if not sc.is_superuser():
                raise SqlError("42501", "must be superuser to change bypassrls attribute")
        elif not sc.has_createrole():
            only_own_password = set(opts) == {"password"} and target.oid == sc.me().oid
            if not only_own_password:
                raise SqlError("42501", "permission denied")

        def change():
            columns = {_BOOL_OPTIONS[k]: bool(v) for k, v in opts.items() if k in _BOOL_OPTIONS}
            if "connectionlimit" in opts:
                columns["rolconnlimit"] = opts["connectionlimit"]
            password = stored_password(e, opts, target.name)
            if password is not ...:
                columns["rolpassword"] = password
            until = valid_until(e, opts)
            if until is not ...:
                columns["rolvaliduntil"] = until
            sc.cat.update_role(target.oid, **columns)
            members = [(n, sc.role(n).oid) for n in (role_spec_name(e, r) for r in opts.get("rolemembers") or ())]
            if members:
                if node.action == 1:
                    add_members(e, target, members, sc.me().oid, False)
                else:
                    remove_members(e, target, members, False)
        sc.write(change)
        return done("ALTER ROLE")
    return utility_statement(text, "ALTER ROLE", run, cacheable=False)


# --- ALTER ROLE ... RENAME TO ---------------------------------------------------------------

def rename_role(engine: EngineContext, tr, text, node: ast.RenameStmt):
    old, new = node.subname, node.newname

    def run(e, s, p):
        sc = shared(e)
        target = sc.role(old)
        me = sc.me()
        if target.oid == sc.session_role().oid:
            raise SqlError("0A000", "session user cannot be renamed")
        if target.oid == me.oid:
            raise SqlError("0A000", "current user cannot be renamed")
        check_reserved(new)
        if sc.cat.find_role(new) is not None:
            raise SqlError("42710", f'role "{new}" already exists')
        if target.superuser:
            if not me.superuser:
                raise SqlError("42501", "must be superuser to rename superusers")
        elif not sc.has_createrole():
            raise SqlError("42501", "permission denied to rename role")

        def change():
            columns: dict = {"rolname": new}
            if (target.password or "").startswith("md5"):
                # the md5 hash salts with the role name: it cannot match under the new name
                columns["rolpassword"] = None
                e.session.notice(SqlNotice("MD5 password cleared because of role rename"))
            sc.cat.update_role(target.oid, **columns)
        sc.write(change)
        return done("ALTER ROLE")
    return utility_statement(text, "ALTER ROLE", run, cacheable=False)


# --- DROP ROLE ------------------------------------------------------------------------------

def drop_role(engine: EngineContext, tr, text, node: ast.DropRoleStmt):
    def run(e, s, p):
        sc = shared(e)
        if not sc.has_createrole():
            raise SqlError("42501", "permission denied to drop role")

        def change():
            me = sc.me()
            for spec in node.roles:
                name = role_spec_name(e, spec)
                target = sc.cat.find_role(name)
                if target is None:
                    if not node.missing_ok:
                        raise SqlError("42704", f'role "{name}" does not exist')
                    e.session.notice(SqlNotice(f'role "{name}" does not exist, skipping'))
                    continue
                if target.oid == me.oid:
                    raise SqlError("55006", "current user cannot be dropped")
                if target.oid == sc.session_role().oid:  # differs from the current one after SET ROLE
                    raise SqlError("55006", "session user cannot be dropped")
                if target.superuser and not me.superuser:
                    raise SqlError("42501", "must be superuser to drop superusers")
                # PostgreSQL lists them in OID order from one counter; here databases and a
                # database's objects count separately, so: objects copied from the template
                # (public), then databases, then the objects made in this database
                lines = [((1, sc.cat.find_database(d).oid), f"owner of database {d}")
                         for d in sc.cat.databases_owned_by(target.oid)]
                lines += [((1, sc.cat.find_database(d).oid), f"privileges for database {d}")
                          for d in databases_granted_to(sc, target.oid)]
                lines += [((0 if oid < 16384 else 2, oid), line) for oid, line in owned_objects(e, target.oid)]
                lines += [((3, db), f"{n} object{'s' if n != 1 else ''} in database {db}")
                          for db, n in objects_elsewhere(e, target.oid)]
                if lines:
                    raise SqlError("2BP01", f'role "{name}" cannot be dropped because some objects depend on it',
                                   detail="\n".join(line for _key, line in sorted(lines)))
                sc.cat.delete_role(target.oid)
        sc.write(change)
        return done("DROP ROLE")
    return utility_statement(text, "DROP ROLE", run, cacheable=False)


# --- GRANT / REVOKE role ----------------------------------------------------------------------

def grant_role(engine: EngineContext, tr, text, node: ast.GrantRoleStmt):
    command = "GRANT ROLE" if node.is_grant else "REVOKE ROLE"

    def run(e, s, p):
        sc = shared(e)

        def change():
            grantees = [(n, sc.role(n).oid) for n in (role_spec_name(e, r) for r in node.grantee_roles)]
            grantor = sc.role(role_spec_name(e, node.grantor)).oid if node.grantor else sc.me().oid
            for priv in node.granted_roles:
                if priv.cols:
                    raise SqlError("0LP01", "column names cannot be included in GRANT/REVOKE ROLE")
                group = sc.role(priv.priv_name)
                if node.is_grant:
                    add_members(e, group, grantees, grantor, bool(node.admin_opt))
                else:
                    remove_members(e, group, grantees, bool(node.admin_opt))
        sc.write(change)
        return done(command)
    return utility_statement(text, command, run, cacheable=False)


def check_may_administer(e: EngineContext, group) -> None:
    sc = shared(e)
    if group.superuser:
        if not sc.is_superuser():
            raise SqlError("42501", "must be superuser to alter superusers")
    elif not sc.has_createrole() and not sc.cat.has_admin_option(sc.me().oid, group.oid):
        raise SqlError("42501", f'must have admin option on role "{group.name}"')


def add_members(e: EngineContext, group, members: list[tuple[str, int]], grantor: int, admin: bool) -> None:
    """PostgreSQL's AddRoleMems: permission, then per member a cycle check and the row."""
    sc = shared(e)
    check_may_administer(e, group)
    for name, oid in members:
        if oid in sc.cat.roles_of(group.oid):  # a cycle: the group already belongs to the member
            raise SqlError("0LP01", f'role "{group.name}" is a member of role "{name}"')
        existing = sc.cat.membership(group.oid, oid)
        if existing is not None and (not admin or existing[1]):
            e.session.notice(SqlNotice(f'role "{name}" is already a member of role "{group.name}"'))
            continue
        sc.cat.add_member(group.oid, oid, grantor, admin)


def remove_members(e: EngineContext, group, members: list[tuple[str, int]], admin_only: bool) -> None:
    sc = shared(e)
    check_may_administer(e, group)
    for name, oid in members:
        if sc.cat.membership(group.oid, oid) is None:
            e.session.notice(SqlNotice(f'role "{name}" is not a member of role "{group.name}"',
                                       severity="WARNING", sqlstate="01000"))
            continue
        sc.cat.remove_member(group.oid, oid, admin_only)


def databases_granted_to(sc, role: int) -> list[str]:
    return [db.name for db in sc.cat.databases()
            if db.owner != role and acl.mentions(sc.database_acl(db.oid), role)]


HANDLERS = {
    "CreateRoleStmt": create_role,
    "AlterRoleStmt": alter_role,
    "DropRoleStmt": drop_role,
    "GrantRoleStmt": grant_role,
}
