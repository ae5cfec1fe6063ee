"""ALTER ROLE ... [IN DATABASE ...] SET/RESET and ALTER DATABASE ... SET/RESET: PostgreSQL
15's per-role and per-database settings (pg_db_role_setting), with its privilege rules,
checks and messages (commands/user.c AlterRoleSet, dbcommands.c AlterDatabaseSet,
catalog/pg_db_role_setting.c AlterSetting, guc.c GUCArrayAdd/-Delete/-Reset).

The rows live in the shared catalog (pgsvc.cluster.global_catalog: one 'name=value' list per
(database, role) pair, 0 meaning all); a statement changes them inside the engine's
transaction like every role and database statement (pgsvc.sql.catalog.shared). A new
session reads them at start-up (Engine.apply_login_settings): they are the
values the session starts with and RESET returns to, never what a running session uses.

A value is stored as the statement wrote it (PostgreSQL's flatten_set_variable_args:
'5s' stays '5s'), checked as SET would check it for the role running the statement;
names are stored in their canonical spelling (datestyle -> DateStyle).
"""

from __future__ import annotations

import re

from pglast import ast, enums

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.settings import DEFINITIONS, PLANNER_SETTINGS, check_settable, parse_bool, parse_value
from pgsvc.sql.api import EngineContext
from pgsvc.sql.catalog import identity
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.commands import setrole
from pgsvc.sql.commands.roles import role_spec_name
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.statement import done, utility_statement
from pgsvc.sql.types.context import resolve_timezone

# settings whose list elements are quoted as identifiers when stored (GUC_LIST_QUOTE)
LIST_QUOTE = {"search_path", "temp_tablespaces", "session_preload_libraries",
              "shared_preload_libraries", "local_preload_libraries"}
# role switches SET handles itself (pgsvc.sql.commands.setrole); applied at start-up after the login
ROLE_SWITCHES = {"role", "session_authorization"}
# a transaction's own setting, which each transaction takes from default_transaction_read_only:
# storable (PostgreSQL checks it), without effect at login
TRANSACTION_ONLY = {"transaction_read_only"}
# [A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]* as the complements of those sets
# (the same sets; the wide ranges took ~4 ms to compile at every server start)
_CUSTOM_PART = re.compile(r"[^\x00-@\[-^`{-\x7f][^\x00-#%-/:-@\[-^`{-\x7f]*\Z")
_K = enums.VariableSetKind


# --- the statements ---------------------------------------------------------------------------

def alter_role_set(engine: EngineContext, tr, text, node: ast.AlterRoleSetStmt):
    """ALTER ROLE r | ALL [IN DATABASE d] SET/RESET ... (AlterRoleSet's checks, in order)."""
    setstmt = node.setstmt

    def run(e, s, p):
        sc = shared(e)
        role_oid = database_oid = 0
        if node.role is not None:
            target = sc.role(role_spec_name(e, node.role))
            check_may_alter_role(sc, target)
            role_oid = target.oid
        if node.database is not None:
            db = find_database(sc, node.database)
            if node.role is None:  # ALTER ROLE ALL IN DATABASE: ALTER DATABASE ... SET's rule
                check_database_owner(e, sc, db)
            database_oid = db.oid
        if node.role is None and node.database is None and not sc.is_superuser():
            raise SqlError("42501", "must be superuser to alter settings globally")
        change_settings(e, database_oid, role_oid, setstmt)
        return done("ALTER ROLE")
    return utility_statement(text, "ALTER ROLE", run, cacheable=False)


def alter_database_set(engine: EngineContext, tr, text, node: ast.AlterDatabaseSetStmt):
    """ALTER DATABASE d SET/RESET ...: the database's owner (or a superuser) may."""
    def run(e, s, p):
        sc = shared(e)
        db = find_database(sc, node.dbname)
        check_database_owner(e, sc, db)
        change_settings(e, db.oid, 0, node.setstmt)
        return done("ALTER DATABASE")
    return utility_statement(text, "ALTER DATABASE", run, cacheable=False)


def find_database(sc, name: str):
    db = sc.cat.find_database(name)
    if db is None:
        raise SqlError("3D000", f'database "{name}" does not exist')
    return db


def check_may_alter_role(sc, target) -> None:
    """A superuser's settings need a superuser; another role's need CREATEROLE, except
    one's own."""
    if target.superuser:
        if not sc.is_superuser():
            raise SqlError("42501", "must be superuser to alter superusers")
    elif not sc.has_createrole() and target.oid != sc.me().oid:
        raise SqlError("42501", "permission denied")


def check_database_owner(e: EngineContext, sc, db) -> None:
    """pg_database_ownercheck: a superuser, or a member with the owning role's privileges."""
    me = sc.me()
    if me.superuser or me.oid == db.owner:
        return
    if not authz(e).has_privs_of(me.oid, db.owner):
        raise SqlError("42501", f"must be owner of database {db.name}")


# --- changing one (database, role) pair ---------------------------------------------------------

def change_settings(e: EngineContext, database_oid: int, role_oid: int, setstmt: ast.VariableSetStmt) -> None:
    """PostgreSQL's AlterSetting: RESET ALL empties what the user may change; SET adds or
    replaces one item; RESET/SET DEFAULT removes one. Without a row, nothing to remove is
    not even checked (as PostgreSQL, which only looks at the name when a row exists)."""
    sc = shared(e)
    superuser = sc.is_superuser()
    value = None
    if setstmt.kind in (_K.VAR_SET_VALUE, _K.VAR_SET_CURRENT):
        value = flattened_value(setstmt) if setstmt.kind == _K.VAR_SET_VALUE else current_value(e, setstmt.name)

    def change():
        items = sc.cat.db_role_setting(database_oid, role_oid)
        if setstmt.kind == _K.VAR_RESET_ALL:
            if items is not None:
                sc.cat.set_db_role_setting(database_oid, role_oid, reset_all(items, superuser))
            return
        if items is None and value is None:
            return
        if value is None:
            changed = delete_item(items, setstmt.name, superuser)
        else:
            changed = add_item(items or [], setstmt.name, value, superuser)
        sc.cat.set_db_role_setting(database_oid, role_oid, changed)
    sc.write(change)


def add_item(items: list[str], name: str, value: str, superuser: bool) -> list[str]:
    """GUCArrayAdd: a new 'name=value' replaces the item of that name in place, else goes last."""
    name = check_item(name, value, superuser)
    item = f"{name}={value}"
    out = list(items)
    for i, existing in enumerate(out):
        if existing.startswith(name + "="):
            out[i] = item
            return out
    out.append(item)
    return out


def delete_item(items: list[str], name: str, superuser: bool) -> list[str]:
    """GUCArrayDelete: the name is checked (and the right to set it) before it goes."""
    name = check_item(name, None, superuser)
    return [item for item in items if not item.startswith(name + "=")]


def reset_all(items: list[str], superuser: bool) -> list[str]:
    """GUCArrayReset: a superuser empties the list; another role keeps the items it could
    not have set (superuser-only settings, placeholders)."""
    if superuser:
        return []
    kept = []
    for item in items:
        name = item.partition("=")[0]
        try:
            check_item(name, None, False)
        except SqlError:
            kept.append(item)
    return kept


# --- names and values ----------------------------------------------------------------------------

def check_item(name: str, value: str | None, superuser: bool) -> str:
    """The canonical name of a setting the current role may store (value None: only the
    name and the right to set it), or SET's error for it (validate_option_array_item)."""
    key = name.lower()
    if key in ROLE_SWITCHES:
        return key
    if key in TRANSACTION_ONLY:
        if value is not None:
            parse_bool(key, value)
        return key
    if key == "transaction_deferrable" and value is not None:
        # as transaction_isolation below: its check hook runs after the statement's snapshot
        raise SqlError("25001", "SET TRANSACTION [NOT] DEFERRABLE must be called before any query")
    if key in PLANNER_SETTINGS:
        if value is not None:
            check_planner_value(key, value)
        return key
    if key not in DEFINITIONS and "." in name:
        check_custom_name(name)
        if not superuser:  # once resolved it might be a superuser-only setting
            raise SqlError("42501", f'permission denied to set parameter "{name}"')
        return name
    setting = check_settable(name, superuser)
    if setting.name == "transaction_isolation" and value is not None:
        # PostgreSQL checks the value as SET would in the statement's own transaction,
        # which has taken its snapshot by then: its check hook always refuses
        raise SqlError("25001", "SET TRANSACTION ISOLATION LEVEL must be called before any query")
    if value is not None:
        parse_value(setting, value)
        if setting.name == "TimeZone":
            resolve_timezone(value)
    return setting.name


def check_custom_name(name: str) -> None:
    """A placeholder's name: two or more simple identifiers separated by dots."""
    if not all(_CUSTOM_PART.match(part) for part in name.split(".")):
        raise SqlError("42602", f'invalid configuration parameter name "{name}"',
                       detail="Custom parameter names must be two or more simple identifiers separated by dots.")


def check_planner_value(name: str, value: str) -> None:
    """The planner knobs pgsvc accepts (they change no result): on/off ones need a Boolean."""
    if PLANNER_SETTINGS[name] in ("on", "off"):
        parse_bool(name, value)


def flattened_value(setstmt: ast.VariableSetStmt) -> str:
    """The value as PostgreSQL's flatten_set_variable_args writes it: constants as written,
    list settings' names quoted as identifiers, items joined by ', '."""
    quote = setstmt.name.lower() in LIST_QUOTE
    parts = []
    for arg in setstmt.args or ():
        if not isinstance(arg, ast.A_Const) or arg.isnull:
            raise SqlError("0A000", f"this value of {setstmt.name} cannot be stored by ALTER ... SET")
        v = arg.val
        if isinstance(v, ast.Integer):
            parts.append(str(v.ival))
        elif isinstance(v, ast.Float):
            parts.append(v.fval)
        elif isinstance(v, ast.Boolean):
            parts.append("true" if v.boolval else "false")
        else:
            parts.append(quote_ident(v.sval) if quote else v.sval)
    return ", ".join(parts)


def current_value(e: EngineContext, name: str) -> str:
    """SET ... FROM CURRENT: the value in force, as SHOW prints it."""
    key = name.lower()
    if key in PLANNER_SETTINGS:
        return e.planner_settings.get(key, PLANNER_SETTINGS[key])
    if key in ROLE_SWITCHES:
        return identity.show(e, key)
    return e.session.settings.show(name)


# --- at login ---------------------------------------------------------------------------------

def apply_at_login(settings, stored: list[tuple[str, list[str]]], taken: set[str]):
    """The stored items of a new session (pgsvc.cluster.global_catalog.login_settings: the role in
    the database, the role, the database, every role; most specific first) as the values
    it starts with. A name already taken (by the client's start-up options or a more
    specific row) is skipped: PostgreSQL's order of sources. An item that no longer
    applies (its setting gone, a value now invalid) is a WARNING, as in PostgreSQL, never
    a refused login. Returns the warnings and the items that need the open engine
    (planner knobs, role switches): [(name, value, source)]."""
    warnings, deferred = [], []
    for source, items in stored:
        for item in items:
            name, _, value = item.partition("=")
            key = name.lower()
            if key in taken or key in TRANSACTION_ONLY:
                continue
            if key in PLANNER_SETTINGS or key in ROLE_SWITCHES:
                deferred.append((key, value, source))
                taken.add(key)
                continue
            try:
                settings.set_default(name, value, source)
            except SqlError as err:
                warnings.append(SqlNotice(err.message, sqlstate=err.sqlstate, severity="WARNING",
                                          detail=err.detail, hint=err.hint))
                continue
            taken.add(key)
    return warnings, deferred


def apply_deferred(engine: EngineContext, deferred: list[tuple[str, str, str]]) -> None:
    """The login items that live in the engine: planner knobs become the session's own
    defaults (RESET returns to them); SET ROLE / SESSION AUTHORIZATION run as if the
    session had sent them, a refusal being a WARNING as PostgreSQL reports it at login."""
    for key, value, _source in deferred:
        if key not in ROLE_SWITCHES:
            engine.planner_defaults[key] = value
            engine.planner_settings[key] = value
            continue
        switch = setrole.set_role if key == "role" else setrole.set_session_authorization
        try:
            switch(engine, None if key == "role" and value == "none" else value, False)
        except SqlError as err:
            engine.session.notice(SqlNotice(err.message, sqlstate=err.sqlstate, severity="WARNING",
                                            detail=err.detail, hint=err.hint))


HANDLERS = {
    "AlterRoleSetStmt": alter_role_set,
    "AlterDatabaseSetStmt": alter_database_set,
}
