"""SET ROLE, RESET ROLE, SET SESSION AUTHORIZATION: which role a backend's checks run as.

The state lives on the engine's SharedCatalog (`current_oid`, `session_oid`), because
that is what every permission check already asks (`SharedCatalog.me()`). Like the GUCs
they are in PostgreSQL, a change inside a transaction block is undone when the block
rolls back, and SET LOCAL lasts until the block ends (`end_of_transaction`).
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.commands.cluster_ddl import shared
from pgsvc.sql.exec.runner import Result


def set_role(engine, name: str | None, local: bool) -> Result:
    """SET [LOCAL] ROLE name | NONE (name None)."""
    sc = shared(engine)
    if name is None:
        target = None
    else:
        role = sc.cat.find_role(name)
        if role is None:
            raise SqlError("22023", f'role "{name}" does not exist')
        session = sc.session_role()
        # the session user's membership decides, as in PostgreSQL (not the current role's)
        if not session.superuser and role.oid not in sc.cat.roles_of(session.oid):
            raise SqlError("42501", f'permission denied to set role "{name}"')
        target = role.oid
    remember(engine, sc, local)
    sc.current_oid = target
    changed(engine)
    return Result(None, [], "SET")


def set_session_authorization(engine, name: str | None, local: bool) -> Result:
    """SET SESSION AUTHORIZATION name | DEFAULT: only a role that logged in as a superuser."""
    sc = shared(engine)
    login = sc.cat.find_role_oid(sc.role_oid) if sc.role_oid is not None else sc.cat.find_role(engine.session.user)
    if login is None:
        raise SqlError("42704", f'role "{engine.session.user}" does not exist')
    sc.role_oid = login.oid
    if name is None:
        target = None
    else:
        role = sc.cat.find_role(name)
        if role is None:
            raise SqlError("22023", f'role "{name}" does not exist')
        if role.oid != login.oid and not login.superuser:
            raise SqlError("42501", f'permission denied to set session authorization "{name}"')
        target = role.oid
    remember(engine, sc, local)
    sc.session_oid = target
    sc.current_oid = None
    changed(engine)
    return Result(None, [], "SET")


def remember(engine, sc, local: bool) -> None:
    if engine.txn.block and sc.role_at_begin is ...:
        sc.role_at_begin = (sc.current_oid, sc.session_oid)
    if local and engine.txn.block:
        sc.local_role = True


def changed(engine) -> None:
    """Translations bake in nothing role-specific, but search-path resolution skips
    schemas without USAGE: forget cached translations, and cached decisions."""
    from pgsvc.sql.catalog.authz import forget_translations, invalidate
    invalidate(engine)
    report(engine)
    forget_translations(engine)


def report(engine) -> None:
    """is_superuser follows the current role and session_authorization the session user,
    as PostgreSQL reports them (ParameterStatus); superuser-only SETs follow too."""
    sc = shared(engine)
    me = sc.me()
    engine.session.is_superuser = me.superuser
    engine.session.settings.set_internal("is_superuser", me.superuser)
    engine.session.settings.set_internal("session_authorization", sc.session_role().name)


def end_of_transaction(sc, commit: bool) -> None:
    saved, sc.role_at_begin = sc.role_at_begin, ...
    local, sc.local_role = sc.local_role, False
    if saved is not ... and (not commit or local):
        sc.current_oid, sc.session_oid = saved
        changed(sc.engine)


def current_user(engine) -> str:
    return shared(engine).me().name


def session_user(engine) -> str:
    return shared(engine).session_role().name


def show(engine, name: str) -> str:
    """SHOW role ('none' unless SET ROLE is in force) / SHOW session_authorization."""
    sc = shared(engine)
    if name == "role":
        return sc.me().name if sc.current_oid is not None else "none"
    return sc.session_role().name
