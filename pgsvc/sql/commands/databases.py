"""CREATE DATABASE, DROP DATABASE [WITH (FORCE)], ALTER DATABASE ... RENAME TO: PostgreSQL
15's commands/dbcommands.c rules, checks in its order, its messages.

A database is a row of the shared catalog (pg_database) and the SQLite file
DATADIR/base/<oid>.db, named by OID so that no database name can reach a path
(a name with '/', '..' or NUL is just a name). CREATE DATABASE copies the template's
file with SQLite's online backup API from a fresh connection: the copy is one
consistent snapshot even if something writes to the template meanwhile; PostgreSQL's
rule that nobody else may be connected to the template is enforced anyway (55006) for
the same results as PostgreSQL. The new file is written under a temporary name and
renamed into place before the catalog row commits, so a connection never finds a row
without its file.

Neither CREATE nor DROP DATABASE can run inside a transaction block (25001); both commit
the shared catalog at once.
"""

from __future__ import annotations

import os
import time

from pglast import ast

from pgsvc.cluster.slots import SlotStore
from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.api import EngineContext
from pgsvc.sql.catalog import acl
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.commands.roles import collect_options, role_spec_name
from pgsvc.sql.statement import done, utility_statement
from pgsvc.sqlite import sqlite3
from pgsvc.supervisor.registry import KIND_BACKEND

_CREATE_OPTIONS = {"owner", "template", "encoding", "locale", "lc_collate", "lc_ctype", "icu_locale",
                   "locale_provider", "collation_version", "tablespace", "allow_connections",
                   "connection_limit", "is_template", "oid", "strategy"}
BUSY_WAIT_SECONDS = 5.0  # PostgreSQL's CountOtherDBBackends waits up to 5 s for sessions to leave


def _not_in_block(engine, command: str) -> None:
    if engine.in_transaction_block():  # a BEGIN block or a multi-statement query's implicit one
        raise SqlError("25001", f"{command} cannot run inside a transaction block")


def other_sessions(engine: EngineContext, datname: str) -> list:
    """Registry slots of other client backends connected to `datname`."""
    me = engine.session.backend_pid
    return [s for s in engine.session.activity()
            if s.kind == KIND_BACKEND and s.database == datname and s.pid != me]


def busy_detail(n: int) -> str:
    return "There is 1 other session using the database." if n == 1 else \
        f"There are {n} other sessions using the database."


def wait_until_unused(engine: EngineContext, datname: str, message: str) -> None:
    """PostgreSQL's CountOtherDBBackends: give sessions that are leaving a few seconds."""
    deadline = time.monotonic() + BUSY_WAIT_SECONDS
    while True:
        others = other_sessions(engine, datname)
        if not others:
            return
        if time.monotonic() >= deadline:
            raise SqlError("55006", message, detail=busy_detail(len(others)))
        if engine.session.cancel_flag():
            raise engine.cancel_error()
        time.sleep(0.05)


def _text_option(opts: dict, name: str) -> str | None:
    v = opts.get(name)
    return None if v is None else str(v)


# --- CREATE DATABASE ---------------------------------------------------------------------------

def create_database(engine: EngineContext, tr, text, node: ast.CreatedbStmt):
    opts = collect_options(node.options, _CREATE_OPTIONS)
    for unsupported in ("tablespace", "icu_locale", "oid"):
        if unsupported in opts and not (unsupported == "tablespace" and opts[unsupported] == "pg_default"):
            raise SqlError("0A000", f"CREATE DATABASE option {unsupported.upper()} is not supported")
    encoding = _text_option(opts, "encoding")
    if encoding is not None and encoding.upper().replace("-", "") not in ("UTF8", "6", "UNICODE"):
        raise SqlError("0A000", f'encoding "{encoding}" is not supported: pgsvc databases are UTF8')

    def run(e, s, p):
        _not_in_block(e, "CREATE DATABASE")
        sc = shared(e)
        me = sc.me()
        owner = sc.role(_text_option(opts, "owner")) if opts.get("owner") not in (None, "DEFAULT") else me
        if not sc.has_createdb():
            raise SqlError("42501", "permission denied to create database")
        if not sc.is_member_of(owner.oid):
            raise SqlError("42501", f'must be member of role "{owner.name}"')
        template_name = _text_option(opts, "template") or "template1"
        if opts.get("template") == "DEFAULT":
            template_name = "template1"
        template = sc.cat.find_database(template_name)
        if template is None:
            raise SqlError("3D000", f'template database "{template_name}" does not exist')
        if not template.is_template and not me.superuser and template.owner != me.oid:
            raise SqlError("42501", f'permission denied to copy database "{template_name}"')
        limit = int(opts.get("connection_limit", -1))
        if limit < -1:
            raise SqlError("22023", f"invalid connection limit: {limit}")
        layout = sc.cat.layout

        def change():
            if sc.cat.find_database(node.dbname) is not None:
                raise SqlError("42P04", f'database "{node.dbname}" already exists')
            wait_until_unused(e, template_name,
                              f'source database "{template_name}" is being accessed by other users')
            oid = sc.cat.next_oid()
            copy_database_file(layout.database_file(template.oid), layout.database_file(oid))
            try:
                sc.cat.add_database(node.dbname, owner.oid, oid=oid,
                                    is_template=_flag(opts.get("is_template")),
                                    allow_conn=_flag(opts.get("allow_connections", True)))
                sc.cat.update_database(oid, datconnlimit=limit)
            except BaseException:
                remove_database_files(layout.database_file(oid))
                raise
        sc.write(change)
        return done("CREATE DATABASE")
    return utility_statement(text, "CREATE DATABASE", run, cacheable=False)


def _flag(v) -> bool:
    if isinstance(v, str):
        return v.lower() in ("true", "on", "yes", "1", "t")
    return bool(v)


def copy_database_file(source: str, target: str) -> None:
    """The template's content as a new database file (WAL mode), made under a temporary
    name and renamed into place only when complete and synced."""
    remove_database_files(target)
    tmp = target + ".creating"
    remove_database_files(tmp)
    if not os.path.exists(source):
        raise SqlError("58P01", f'could not open template database file "{source}": No such file or directory')
    try:
        src = sqlite3.connect(source, isolation_level=None)
    except sqlite3.Error as err:
        raise SqlError("58030", f'could not open template database file: {err}') from None
    try:
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # fold everything into the main file
            dst.execute("PRAGMA journal_mode = WAL")
        finally:
            dst.close()
    except sqlite3.Error as err:
        remove_database_files(tmp)
        raise SqlError("58030", f"could not copy the template database: {err}") from None
    finally:
        src.close()
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, target)
    dfd = os.open(os.path.dirname(target), os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def remove_database_files(path: str) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(path + suffix)
        except FileNotFoundError:
            pass


# --- DROP DATABASE -----------------------------------------------------------------------------

def drop_database(engine: EngineContext, tr, text, node: ast.DropdbStmt):
    force = False
    for d in node.options or ():
        if d.defname != "force":
            raise SqlError("42601", f'unrecognized DROP DATABASE option "{d.defname}"',
                           position=(d.location + 1) if d.location is not None and d.location >= 0 else None)
        force = True

    def run(e, s, p):
        _not_in_block(e, "DROP DATABASE")
        sc = shared(e)
        name = node.dbname
        db = sc.cat.find_database(name)
        if db is None:
            if not node.missing_ok:
                raise SqlError("3D000", f'database "{name}" does not exist')
            e.session.notice(SqlNotice(f'database "{name}" does not exist, skipping'))
            return done("DROP DATABASE")
        me = sc.me()
        if not me.superuser and db.owner != me.oid:
            raise SqlError("42501", f"must be owner of database {name}")
        if db.is_template:
            raise SqlError("42809", "cannot drop a template database")
        if name == e.session.database:
            raise SqlError("55006", "cannot drop the currently open database")
        slots = SlotStore(sc.cat.layout.datadir)
        mine = [(slot, act) for slot, act in slots.slots() if slot.database_oid == db.oid]
        active = sum(1 for _slot, act in mine if act is not None)
        if active:  # an inactive slot goes with its database, an active one stops the drop (dropdb)
            raise SqlError("55006", f'database "{name}" is used by an active logical replication slot',
                           detail=f"There {'is' if active == 1 else 'are'} {active} active "
                                  f"slot{'' if active == 1 else 's'}.")
        if force:
            terminate_sessions(e, name)
        wait_until_unused(e, name, f'database "{name}" is being accessed by other users')
        for slot, _act in mine:
            try:
                slots.drop(slot.name, e.session.backend_pid)
            except SqlError:  # dropped or taken meanwhile: its walsender fails on the missing file
                pass
        sc.write(lambda: sc.cat.delete_database(db.oid))
        # after the commit: a session that raced in between fails on its own; the file goes
        remove_database_files(sc.cat.layout.database_file(db.oid))
        return done("DROP DATABASE")
    return utility_statement(text, "DROP DATABASE", run, cacheable=False)


def terminate_sessions(engine: EngineContext, datname: str) -> None:
    """PostgreSQL's TerminateOtherDBBackends: check every target first, then SIGTERM them."""
    sc = shared(engine)
    me = sc.me()
    others = other_sessions(engine, datname)
    for slot in others:
        role = sc.cat.find_role(slot.user)
        if role is not None and role.superuser and not me.superuser:
            raise SqlError("42501", "must be a superuser to terminate superuser process")
        if not me.superuser and (role is None or role.oid not in sc.cat.roles_of(me.oid)):
            raise SqlError("42501", "must be a member of the role whose process is being terminated "
                           "or member of pg_signal_backend")
    for slot in others:
        engine.session.signal_backend(slot.pid, "terminate")


# --- ALTER DATABASE ... RENAME TO --------------------------------------------------------------

def rename_database(engine: EngineContext, tr, text, node: ast.RenameStmt):
    old, new = node.subname, node.newname

    def run(e, s, p):
        sc = shared(e)
        db = sc.cat.find_database(old)
        if db is None:
            raise SqlError("3D000", f'database "{old}" does not exist')
        me = sc.me()
        if not me.superuser and db.owner != me.oid:
            raise SqlError("42501", f"must be owner of database {old}")
        if not sc.has_createdb():
            raise SqlError("42501", "permission denied to rename database")

        def change():
            if sc.cat.find_database(new) is not None:
                raise SqlError("42P04", f'database "{new}" already exists')
            if old == e.session.database:
                raise SqlError("0A000", "current database cannot be renamed")
            wait_until_unused(e, old, f'database "{old}" is being accessed by other users')
            sc.cat.rename_database(db.oid, new)
        sc.write(change)
        return done("ALTER DATABASE")
    return utility_statement(text, "ALTER DATABASE", run, cacheable=False)


# --- ALTER DATABASE ... [WITH] ALLOW_CONNECTIONS / CONNECTION LIMIT / IS_TEMPLATE, OWNER TO -----

def alter_database(engine: EngineContext, tr, text, node: ast.AlterDatabaseStmt):
    opts = collect_options(node.options, {"allow_connections", "connection_limit", "is_template", "tablespace"})
    if "tablespace" in opts:
        raise SqlError("0A000", "ALTER DATABASE ... SET TABLESPACE is not supported")
    limit = opts.get("connection_limit")
    if limit is not None and int(limit) < -1:
        raise SqlError("22023", f"invalid connection limit: {int(limit)}")

    def run(e, s, p):
        sc = shared(e)
        db = sc.cat.find_database(node.dbname)
        if db is None:
            raise SqlError("3D000", f'database "{node.dbname}" does not exist')
        me = sc.me()
        if not me.superuser and db.owner != me.oid:
            raise SqlError("42501", f"must be owner of database {node.dbname}")
        columns: dict = {}
        if "allow_connections" in opts:
            columns["datallowconn"] = _flag(opts["allow_connections"])
            if not columns["datallowconn"] and node.dbname == e.session.database:
                raise SqlError("22023", "cannot disallow connections for current database")
        if "is_template" in opts:
            columns["datistemplate"] = _flag(opts["is_template"])
        if limit is not None:
            columns["datconnlimit"] = int(limit)
        sc.write(lambda: sc.cat.update_database(db.oid, **columns))
        return done("ALTER DATABASE")
    return utility_statement(text, "ALTER DATABASE", run, cacheable=False)


def alter_database_owner(engine: EngineContext, tr, text, node: ast.AlterOwnerStmt):
    name = node.object.sval

    def run(e, s, p):
        sc = shared(e)
        db = sc.cat.find_database(name)
        if db is None:
            raise SqlError("3D000", f'database "{name}" does not exist')
        new_owner = sc.role(role_spec_name(e, node.newowner))
        if new_owner.oid != db.owner:
            me = sc.me()
            if not me.superuser:
                if not authz(e).has_privs_of(me.oid, db.owner):  # members of the owning role too
                    raise SqlError("42501", f"must be owner of database {name}")
                if not sc.is_member_of(new_owner.oid):
                    raise SqlError("42501", f'must be member of role "{new_owner.name}"')
                if not sc.has_createdb():
                    raise SqlError("42501", "permission denied to change owner of database")
            def change():
                sc.cat.update_database(db.oid, datdba=new_owner.oid)
                items = sc.database_acl(db.oid)
                if items is not None:  # the old owner's grants become the new owner's (aclnewowner)
                    sc.set_database_acl(db.oid, acl.change_owner(items, db.owner, new_owner.oid))
            sc.write(change)
        return done("ALTER DATABASE")
    return utility_statement(text, "ALTER DATABASE", run, cacheable=False)


HANDLERS = {
    "CreatedbStmt": create_database,
    "DropdbStmt": drop_database,
    "AlterDatabaseStmt": alter_database,
}
