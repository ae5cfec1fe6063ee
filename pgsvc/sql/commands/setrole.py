"""SET ROLE, RESET ROLE, SET SESSION AUTHORIZATION: which role a backend's checks run as.

The state lives on the engine's SharedCatalog (`current_oid`, `session_oid`), because
that is what every permission check already asks (`SharedCatalog.me()`). Like the GUCs
they are in PostgreSQL, a change inside a transaction block is undone when the block
rolls back, and SET LOCAL lasts until the block ends (pgsvc.sql.catalog.shared's
`end_role_block`); SHOW role and current_user read it (pgsvc.sql.catalog.identity).
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.api import EngineContext
from pgsvc.sql.catalog.shared import role_changed, shared
from pgsvc.sql.statement import Result


def set_role(engine: EngineContext, name: str | None, local: bool) -> Result:
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
    role_changed(engine)
    return Result(None, [], "SET")


def set_session_authorization(engine: EngineContext, name: str | None, local: bool) -> Result:
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
    role_changed(engine)
    return Result(None, [], "SET")


def remember(engine: EngineContext, sc, local: bool) -> None:
    if engine.txn.block and sc.role_at_begin is ...:
        sc.role_at_begin = (sc.current_oid, sc.session_oid)
    if local and engine.txn.block:
        sc.local_role = True
