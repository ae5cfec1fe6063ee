"""SET, SHOW and RESET (PostgreSQL's commands/variable.c and guc.c's SQL side): session
settings (pgsvc.settings), the planner knobs the engine keeps, the transaction's own
characteristics, and SET ROLE / SET SESSION AUTHORIZATION (pgsvc.sql.commands.setrole).
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.settings import DEFINITIONS, PLANNER_SETTINGS, check_settable, parse_bool
from pgsvc.sql.api import Column, EngineContext
from pgsvc.sql.catalog import identity
from pgsvc.sql.catalog.system.stats import check_may_read_setting, show_all, transaction_flag
from pgsvc.sql.commands import setrole
from pgsvc.sql.commands.transactions import apply_txn_options, txn_options, warn
from pgsvc.sql.pg_functions import snapshots
from pgsvc.sql.statement import Result, Statement, utility_statement
from pgsvc.sql.translate.typenames import type_from_typename
from pgsvc.sql.types.interval import format_interval
from pgsvc.sql.types.textio import text_decoder
from pgsvc.sql.types import oids as O


def translate_set(engine: EngineContext, tr, text, node: ast.VariableSetStmt) -> Statement:
    k = enums.VariableSetKind
    name = node.name
    if node.kind == k.VAR_SET_MULTI and name == "TRANSACTION SNAPSHOT":
        return _set_snapshot(text, node)
    if node.kind == k.VAR_SET_MULTI:
        opts = txn_options(node.args)
        if name == "TRANSACTION":
            return utility_statement(text, "SET", lambda e, s, p: _set_transaction(e, opts))
        if name == "SESSION CHARACTERISTICS":
            return utility_statement(text, "SET", lambda e, s, p: _set_characteristics(e, opts))
        raise SqlError("0A000", f"SET {name} is not supported")
    if node.kind == k.VAR_RESET_ALL:
        return utility_statement(text, "RESET", lambda e, s, p: apply_reset(e, None))
    if node.kind == k.VAR_RESET and name in ("role", "session_authorization"):
        return _set_role(text, node, name)
    if node.kind == k.VAR_RESET:
        return utility_statement(text, "RESET", lambda e, s, p: apply_reset(e, name))
    if node.kind == k.VAR_SET_CURRENT:
        raise SqlError("0A000", "SET ... FROM CURRENT is not supported")
    if name in ("role", "session_authorization"):
        return _set_role(text, node, name)
    name = {"timezone": "TimeZone"}.get(name, name)
    value = None if node.kind == k.VAR_SET_DEFAULT else _set_value(node.args)

    def run(e, s, p):
        if node.is_local:
            if not e.txn.block:
                warn(e, "25P01", "SET LOCAL can only be used in transaction blocks")
                return Result(None, [], "SET")
            key = name.lower()
            local = e.txn.local_snapshot if e.txn.local_snapshot is not None else {}
            if key not in local:
                local[key] = (key in e.session.settings.session, e.session.settings.session.get(key))
            e.txn.local_snapshot = local
        return _apply_set(e, name, value, node.is_local)
    return utility_statement(text, "SET", run)


def _set_role(text, node, name) -> Statement:
    """SET/RESET ROLE and SESSION AUTHORIZATION (pgsvc.sql.commands.setrole)."""
    value = None
    if node.kind == enums.VariableSetKind.VAR_SET_VALUE:
        value = _set_value(node.args)
        if name == "role" and value == "none":
            value = None
    tag = "RESET" if node.kind == enums.VariableSetKind.VAR_RESET else "SET"

    def run(e, s, p):
        fn = setrole.set_role if name == "role" else setrole.set_session_authorization
        fn(e, value, bool(node.is_local))
        return Result(None, [], tag)
    return utility_statement(text, tag, run, cacheable=False)


def _set_transaction(engine, opts) -> Result:
    if not engine.txn.block:
        warn(engine, "25P01", "SET TRANSACTION can only be used in transaction blocks")
        return Result(None, [], "SET")
    apply_txn_options(engine, opts, True)
    return Result(None, [], "SET")


def _set_snapshot(text, node) -> Statement:
    """SET TRANSACTION SNAPSHOT 'id' (pgsvc.sql.pg_functions.snapshots)."""
    ident = node.args[0].val.sval
    if node.is_local:
        raise SqlError("0A000", "SET LOCAL TRANSACTION SNAPSHOT is not implemented")

    def run(e, s, p):
        if not e.txn.block:
            warn(e, "25P01", "SET TRANSACTION can only be used in transaction blocks")
        snapshots.import_snapshot(e, ident)
        return Result(None, [], "SET")
    return utility_statement(text, "SET", run, cacheable=False)


def _set_characteristics(engine, opts) -> Result:
    settings = engine.session.settings
    if "transaction_read_only" in opts:
        settings.set_session("default_transaction_read_only", "on" if opts["transaction_read_only"] else "off")
    if "transaction_isolation" in opts:
        settings.set_session("default_transaction_isolation", str(opts["transaction_isolation"]).lower())
    if "transaction_deferrable" in opts:
        settings.set_session("default_transaction_deferrable", "on" if opts["transaction_deferrable"] else "off")
    return Result(None, [], "SET")


def _set_value(args) -> str:
    parts = []
    for a in args or ():
        if isinstance(a, ast.A_Const):
            v = a.val
            parts.append(v.sval if isinstance(v, ast.String) else str(v.ival) if isinstance(v, ast.Integer)
                         else v.fval if isinstance(v, ast.Float) else ("on" if v.boolval else "off"))
        elif isinstance(a, ast.TypeCast) and isinstance(a.arg, ast.A_Const):
            parts.append(_interval_value(a) if isinstance(a.arg.val, ast.String) else _set_value([a.arg]))
        else:
            raise SqlError("0A000", "this SET value is not supported")
    return ", ".join(parts)


def _interval_value(cast: ast.TypeCast) -> str:
    """SET TIME ZONE INTERVAL '-08:00' HOUR TO MINUTE as guc.c's flatten_set_variable_args
    passes it on: the literal read as an interval (with its typmod) and printed back."""
    oid, typmod = type_from_typename(cast.typeName)
    return f"INTERVAL '{format_interval(text_decoder(oid)(cast.arg.val.sval, typmod))}'"


def _apply_set(engine, name, value, local) -> Result:
    if name.lower() in PLANNER_SETTINGS:
        if value is None:
            _reset_planner_setting(engine, name.lower())
        else:
            engine.planner_settings[name.lower()] = value
        return Result(None, [], "SET")
    if name.lower() in ("transaction_read_only", "transaction_deferrable"):
        if engine.txn.block:
            apply_txn_options(engine, {name.lower(): parse_bool(name, value or "off")}, True)
        return Result(None, [], "SET")
    if name.lower() in ("transaction_isolation", "default_transaction_isolation") and value is not None:
        value = value.lower()
        if name.lower() == "transaction_isolation":
            if engine.txn.block:
                apply_txn_options(engine, {"transaction_isolation": value}, True)
            return Result(None, [], "SET")
    engine.session.settings.set_session(name, value, superuser=engine.session.is_superuser)
    if name.lower() == "synchronous_commit":
        engine.apply_synchronous()
    if name.lower() == "search_path":
        engine.simple_cache.clear()
        engine.script_cache.clear()
    return Result(None, [], "SET")


def apply_reset(engine: EngineContext, name) -> Result:
    if name is not None and name.lower() in PLANNER_SETTINGS:
        _reset_planner_setting(engine, name.lower())
        return Result(None, [], "RESET")
    if name is None:
        engine.planner_settings = dict(engine.planner_defaults)
    elif name.lower() in DEFINITIONS:
        check_settable(name, engine.session.is_superuser)  # RESET needs what SET needs
    engine.session.settings.reset_session(name)
    engine.apply_synchronous()
    engine.simple_cache.clear()
    engine.script_cache.clear()
    return Result(None, [], "RESET")


def _reset_planner_setting(engine, key: str) -> None:
    """Back to the session's start value (ALTER ROLE/DATABASE ... SET), else the default."""
    if key in engine.planner_defaults:
        engine.planner_settings[key] = engine.planner_defaults[key]
    else:
        engine.planner_settings.pop(key, None)


def translate_show(engine: EngineContext, tr, text, node: ast.VariableShowStmt) -> Statement:
    name = node.name
    if name == "all":
        return _show_all(text)
    label = {"timezone": "TimeZone", "transaction_isolation": "transaction_isolation"}.get(name.lower(), name)
    d = DEFINITIONS.get(name.lower())
    if d is not None:
        label = d.name
    elif name.lower() == "transaction_read_only":
        label = "transaction_read_only"
        d = True
    if name.lower() == "transaction isolation level":
        label = "transaction_isolation"

    def run(e, s, p):
        check_may_read_setting(e, label)  # data_directory & co.: superuser / pg_read_all_settings
        if label.lower() in ("role", "session_authorization"):
            return Result(s.columns, [(identity.show(e, label.lower()),)], "SHOW")
        if label.lower() in PLANNER_SETTINGS:
            return Result(s.columns, [(e.planner_settings.get(label.lower(), PLANNER_SETTINGS[label.lower()]),)],
                          "SHOW")
        if label.lower() in ("transaction_read_only", "transaction_deferrable"):
            return Result(s.columns, [(transaction_flag(e, label.lower()),)], "SHOW")
        if label == "transaction_isolation":
            value = e.isolation_in_force()
        else:
            value = e.session.settings.show(label)
        return Result(s.columns, [(value,)], "SHOW")
    return utility_statement(text, "SHOW", run, [Column(label.lower() if d is None else label, O.TEXT)])


def _show_all(text: str) -> Statement:
    """SHOW ALL: every setting as SHOW prints it, with its description (pg_settings' rows)."""
    def run(e, s, p):
        return Result(s.columns, show_all(e), "SHOW")
    return utility_statement(text, "SHOW", run, [Column("name", O.TEXT), Column("setting", O.TEXT),
                                     Column("description", O.TEXT)])
