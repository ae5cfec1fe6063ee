"""row_security_active(text | oid): whether row-level security applies to the table for
the current role (PostgreSQL 15's check_enable_rls with noError: true when the table has
it enabled and the role is neither exempt as superuser / BYPASSRLS nor as the owner of a
table without FORCE; row_security = off does not change the answer). The rules themselves
are pgsvc.sql.translate.row_security's.
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import policies as POL
from pgsvc.sql.catalog import regtypes
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.functions.context import reporting_sql_errors
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O


def _active(engine, rel) -> bool:
    if rel is None or not POL.enabled(rel):
        return False
    az = authz(engine)
    az.fresh()
    role = az.current_oid()
    if az.bypasses_rls(role):
        return False
    return POL.forced(rel) or not az.has_privs_of(role, rel.owner)


def _by_name(engine, text):
    if text is None:
        return None
    parts = regtypes.split_names(text)
    rel = regtypes.find_relation(engine, parts[0] if len(parts) == 2 else None, parts[-1]) \
        if len(parts) <= 2 else None
    if rel is None:
        raise SqlError("42P01", f'relation "{text}" does not exist')
    return int(_active(engine, rel))


def _by_oid(engine, oid):
    if oid is None:
        return None
    return int(_active(engine, engine.catalog.by_oid.get(int(oid))))


def register(conn, engine) -> None:
    conn.create_function("pgsvce_row_security_active", 1,
                         reporting_sql_errors(engine.fctx, lambda t: _by_name(engine, t)))
    conn.create_function("pgsvce_row_security_active_oid", 1,
                         reporting_sql_errors(engine.fctx, lambda o: _by_oid(engine, o)))


for _args, _emit in (((O.TEXT,), "pgsvce_row_security_active({0})"),
                     ((O.OID,), "pgsvce_row_security_active_oid({0})")):
    _sigs = ENGINE_FUNCTIONS.setdefault("row_security_active", [])
    if not any(s.arg_oids == _args for s in _sigs):
        _sigs.append(FuncSig("row_security_active", _args, O.BOOL, _emit, "scalar", 0, False, "s"))

__all__ = ["register"]
