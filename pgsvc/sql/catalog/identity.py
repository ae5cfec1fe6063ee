"""Who is acting, as SQL functions and SHOW report it: current_user, session_user,
SHOW role / session_authorization (the state is the SharedCatalog's, pgsvc.sql.catalog.shared)."""

from __future__ import annotations

from pgsvc.sql.catalog.shared import shared


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
