"""Utility statements: transaction control, SET/SHOW/RESET, DDL dispatch, COPY,
VACUUM/ANALYZE, EXPLAIN, LOCK, DISCARD/DEALLOCATE. Each becomes a Statement whose
handler runs at execute time (DDL reads the catalog as it is then).
"""

from __future__ import annotations

import re

from pglast import ast, enums

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.settings import DEFINITIONS, PLANNER_SETTINGS
from pgsvc.sql.api import Column
from pgsvc.sql.catalog import identity
from pgsvc.sql.catalog import shared as shared_catalog
from pgsvc.sql.commands import cluster_ddl
from pgsvc.sql.commands import grants
from pgsvc.sql.commands.ddl import Ddl
from pgsvc.sql.statement import Result, Statement
from pgsvc.sql.types import oids as O

T = enums.TransactionStmtKind


def translate_utility(engine, tr, text: str, node) -> Statement:
    kind = type(node).__name__
    shared_stmt = cluster_ddl.translate(engine, tr, text, node)  # roles, databases
    if shared_stmt is not None:
        return shared_stmt
    fn = _HANDLERS.get(kind)
    if fn is None:
        raise SqlError("0A000", f"{_command_name(kind)} is not supported")
    return fn(engine, tr, text, node)


def _command_name(kind: str) -> str:
    """CreateExtensionStmt -> CREATE EXTENSION (the words a user typed)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind.removesuffix("Stmt")).upper()


def _stmt(text, command, handler, columns=None, writes=False) -> Statement:
    s = Statement(text, command, columns)
    s.handler = handler
    s.writes = writes
    return s


# --- transactions ---------------------------------------------------------------------

def _transaction(engine, tr, text, node: ast.TransactionStmt) -> Statement:
    k = node.kind
    if k in (T.TRANS_STMT_BEGIN, T.TRANS_STMT_START):
        s = _stmt(text, "BEGIN" if k == T.TRANS_STMT_BEGIN else "START TRANSACTION", _begin)
    elif k == T.TRANS_STMT_COMMIT:
        s = _stmt(text, "COMMIT", _commit)
    elif k == T.TRANS_STMT_ROLLBACK:
        s = _stmt(text, "ROLLBACK", _rollback)
    elif k == T.TRANS_STMT_SAVEPOINT:
        s = _stmt(text, "SAVEPOINT", _savepoint)
    elif k == T.TRANS_STMT_RELEASE:
        s = _stmt(text, "RELEASE", _release)
    elif k == T.TRANS_STMT_ROLLBACK_TO:
        s = _stmt(text, "ROLLBACK", _rollback_to)
    else:
        raise SqlError("0A000", "two-phase commit is not supported")
    s.extra["name"] = node.savepoint_name
    s.extra["chain"] = node.chain
    s.extra["options"] = _txn_options(node.options)
    s.txn_exit = k in (T.TRANS_STMT_COMMIT, T.TRANS_STMT_ROLLBACK, T.TRANS_STMT_ROLLBACK_TO)
    return s


def _txn_options(options) -> dict:
    out = {}
    for d in options or ():
        a = d.arg.val if isinstance(d.arg, ast.A_Const) else d.arg
        v = a.sval if isinstance(a, ast.String) else a.ival if isinstance(a, ast.Integer) else \
            a.boolval if isinstance(a, ast.Boolean) else a
        out[d.defname] = v
    return out


def _apply_txn_options(engine, opts: dict, in_set: bool) -> None:
    txn = engine.txn
    if "transaction_read_only" in opts:
        ro = bool(opts["transaction_read_only"])
        if in_set and not ro and txn.read_only:
            if txn.savepoints:
                raise SqlError("25001", "cannot set transaction read-write mode inside a read-only transaction")
            if txn.ran_query:
                raise SqlError("25001", "transaction read-write mode must be set before any query")
        if in_set and ro is False and txn.ran_query and not txn.read_only:
            pass
        txn.read_only = ro
    if "transaction_isolation" in opts:
        if in_set and txn.ran_query:
            raise SqlError("25001", "SET TRANSACTION ISOLATION LEVEL must be called before any query")
        txn.isolation = str(opts["transaction_isolation"]).lower()


def _settings_snapshot(engine) -> tuple:
    return dict(engine.session.settings.session), dict(engine.planner_settings)


def _restore_settings(engine, snap) -> None:
    """Undo SETs made since the snapshot (a rolled-back transaction or savepoint undoes its SETs)."""
    from pgsvc.settings import DEFINITIONS
    settings = engine.session.settings
    session, planner = snap
    for key in set(settings.session) | set(session):
        if settings.session.get(key) != session.get(key):
            if key in session:
                settings.session[key] = session[key]
            else:
                settings.session.pop(key, None)
            d = DEFINITIONS.get(key)
            if d is not None and d.reported:
                settings._dirty_reported.add(d.name)
    engine.planner_settings = dict(planner)
    engine.apply_synchronous()
    engine.simple_cache.clear()
    engine.script_cache.clear()


def _warn(engine, code, msg):
    engine.session.notice(SqlNotice(msg, sqlstate=code, severity="WARNING"))


def _begin(engine, stmt, params) -> Result:
    txn = engine.txn
    if txn.block:
        _warn(engine, "25001", "there is already a transaction in progress")
        return Result(None, [], stmt.command)
    txn.block = True
    txn.implicit = False
    txn.failed = False
    txn.ran_query = False
    txn.settings_snapshot = _settings_snapshot(engine)
    txn.local_snapshot = None
    txn.read_only = bool(engine.session.settings.get("default_transaction_read_only"))
    txn.isolation = str(engine.session.settings.get("default_transaction_isolation")).lower()
    _apply_txn_options(engine, stmt.extra["options"], False)
    # The SQLite transaction opens lazily at the block's first statement: a block whose first
    # statement writes takes the writer lock before its snapshot, so it cannot be stale (40001).
    import datetime as _dt
    engine.fctx.transaction_start = _dt.datetime.now(_dt.UTC)
    return Result(None, [], stmt.command)


def _chain(engine, stmt, result: Result) -> Result:
    """COMMIT/ROLLBACK AND CHAIN: a new block with the same characteristics."""
    if stmt.extra.get("chain"):
        txn = engine.txn
        ro, iso = txn.read_only, txn.isolation
        _begin(engine, stmt, ())
        txn.read_only, txn.isolation = ro, iso
    return result


def _commit(engine, stmt, params) -> Result:
    txn = engine.txn
    if not txn.block and stmt.extra.get("chain"):
        raise SqlError("25P01", "COMMIT AND CHAIN can only be used in transaction blocks")
    if not txn.block:
        if txn.implicit:
            pass
        _warn(engine, "25P01", "there is no transaction in progress")
        return Result(None, [], "COMMIT")
    failed = txn.failed
    txn.block = txn.failed = False
    if failed:
        engine.sqlite_rollback()
        _restore_settings(engine, txn.settings_snapshot)
        return _chain(engine, stmt, Result(None, [], "ROLLBACK"))
    engine.sqlite_commit()
    if txn.local_snapshot is not None:
        _restore_local(engine, txn.local_snapshot)
    return _chain(engine, stmt, Result(None, [], "COMMIT"))


def _restore_local(engine, local: dict) -> None:
    """SET LOCAL lasts until the end of the transaction."""
    settings = engine.session.settings
    session = dict(settings.session)
    for key, (had, old) in local.items():
        if had:
            session[key] = old
        else:
            session.pop(key, None)
    _restore_settings(engine, (session, engine.planner_settings))


def _rollback(engine, stmt, params) -> Result:
    txn = engine.txn
    if not txn.block and stmt.extra.get("chain"):
        raise SqlError("25P01", "ROLLBACK AND CHAIN can only be used in transaction blocks")
    if not txn.block:
        _warn(engine, "25P01", "there is no transaction in progress")
        return Result(None, [], "ROLLBACK")
    txn.block = txn.failed = False
    engine.sqlite_rollback()
    _restore_settings(engine, txn.settings_snapshot)
    return _chain(engine, stmt, Result(None, [], "ROLLBACK"))


def _need_block(engine, what):
    if not engine.txn.block:
        raise SqlError("25P01", f"{what} can only be used in transaction blocks")


def _sp(name: str) -> str:
    return '"sp$' + name.replace('"', '""') + '"'


def _savepoint(engine, stmt, params) -> Result:
    _need_block(engine, "SAVEPOINT")
    engine.ensure_open()
    name = stmt.extra["name"]
    engine.conn.execute(f"SAVEPOINT {_sp(name)}")
    engine.txn.savepoints.append(name)
    engine.txn.sp_read_only.append(engine.txn.read_only)
    engine.txn.sp_settings.append(_settings_snapshot(engine))
    return Result(None, [], "SAVEPOINT")


def _find_sp(engine, name):
    if name not in engine.txn.savepoints:
        raise SqlError("3B001", f'savepoint "{name}" does not exist')


def _release(engine, stmt, params) -> Result:
    _need_block(engine, "RELEASE SAVEPOINT")
    name = stmt.extra["name"]
    _find_sp(engine, name)
    engine.conn.execute(f"RELEASE {_sp(name)}")
    sps = engine.txn.savepoints
    i = len(sps) - 1 - sps[::-1].index(name)
    engine.txn.read_only = engine.txn.sp_read_only[i]  # a subtransaction's SET TRANSACTION ends with it
    shared_catalog.released(engine, i)  # roles/databases changed under the savepoint
    del sps[i:]
    del engine.txn.sp_read_only[i:]
    del engine.txn.sp_settings[i:]
    return Result(None, [], "RELEASE")


def _rollback_to(engine, stmt, params) -> Result:
    _need_block(engine, "ROLLBACK TO SAVEPOINT")
    name = stmt.extra["name"]
    _find_sp(engine, name)
    engine.conn.execute(f"ROLLBACK TO {_sp(name)}")
    engine.sequences.reapply()  # nextval() results survive the rollback, as in PostgreSQL
    sps = engine.txn.savepoints
    i = len(sps) - 1 - sps[::-1].index(name)
    engine.txn.read_only = engine.txn.sp_read_only[i]
    shared_catalog.rolled_back_to(engine, i)  # roles changed after the savepoint
    _restore_settings(engine, engine.txn.sp_settings[i])
    del sps[i + 1:]
    del engine.txn.sp_read_only[i + 1:]
    del engine.txn.sp_settings[i + 1:]
    engine.txn.failed = False
    engine.reload_catalog()
    return Result(None, [], "ROLLBACK")


# --- SET / SHOW / RESET ----------------------------------------------------------------

def _set(engine, tr, text, node: ast.VariableSetStmt) -> Statement:
    k = enums.VariableSetKind
    name = node.name
    if node.kind == k.VAR_SET_MULTI:
        opts = _txn_options(node.args)
        if name == "TRANSACTION":
            return _stmt(text, "SET", lambda e, s, p: _set_transaction(e, opts))
        if name == "SESSION CHARACTERISTICS":
            return _stmt(text, "SET", lambda e, s, p: _set_characteristics(e, opts))
        raise SqlError("0A000", f"SET {name} is not supported")
    if node.kind == k.VAR_RESET_ALL:
        return _stmt(text, "RESET", lambda e, s, p: _apply_reset(e, None))
    if node.kind == k.VAR_RESET and name in ("role", "session_authorization"):
        return _set_role(text, node, name)
    if node.kind == k.VAR_RESET:
        return _stmt(text, "RESET", lambda e, s, p: _apply_reset(e, name))
    if node.kind == k.VAR_SET_CURRENT:
        raise SqlError("0A000", "SET ... FROM CURRENT is not supported")
    if name in ("role", "session_authorization"):
        return _set_role(text, node, name)
    name = {"timezone": "TimeZone"}.get(name, name)
    value = None if node.kind == k.VAR_SET_DEFAULT else _set_value(node.args)

    def run(e, s, p):
        if node.is_local:
            if not e.txn.block:
                _warn(e, "25P01", "SET LOCAL can only be used in transaction blocks")
                return Result(None, [], "SET")
            key = name.lower()
            local = e.txn.local_snapshot if e.txn.local_snapshot is not None else {}
            if key not in local:
                local[key] = (key in e.session.settings.session, e.session.settings.session.get(key))
            e.txn.local_snapshot = local
        return _apply_set(e, name, value, node.is_local)
    return _stmt(text, "SET", run)


def _set_role(text, node, name) -> Statement:
    """SET/RESET ROLE and SESSION AUTHORIZATION (pgsvc.sql.commands.setrole)."""
    from pgsvc.sql.commands import setrole
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
    s = _stmt(text, tag, run)
    s.cacheable = False
    return s


def _set_transaction(engine, opts) -> Result:
    if not engine.txn.block:
        _warn(engine, "25P01", "SET TRANSACTION can only be used in transaction blocks")
        return Result(None, [], "SET")
    _apply_txn_options(engine, opts, True)
    return Result(None, [], "SET")


def _set_characteristics(engine, opts) -> Result:
    settings = engine.session.settings
    if "transaction_read_only" in opts:
        settings.set_session("default_transaction_read_only", "on" if opts["transaction_read_only"] else "off")
    if "transaction_isolation" in opts:
        settings.set_session("default_transaction_isolation", str(opts["transaction_isolation"]).lower())
    return Result(None, [], "SET")


def _set_value(args) -> str:
    parts = []
    for a in args or ():
        if isinstance(a, ast.A_Const):
            v = a.val
            parts.append(v.sval if isinstance(v, ast.String) else str(v.ival) if isinstance(v, ast.Integer)
                         else v.fval if isinstance(v, ast.Float) else ("on" if v.boolval else "off"))
        elif isinstance(a, ast.TypeCast) and isinstance(a.arg, ast.A_Const):
            parts.append(_set_value([a.arg]))
        else:
            raise SqlError("0A000", "this SET value is not supported")
    return ", ".join(parts)


def _apply_set(engine, name, value, local) -> Result:
    if name.lower() in PLANNER_SETTINGS:
        if value is None:
            _reset_planner_setting(engine, name.lower())
        else:
            engine.planner_settings[name.lower()] = value
        return Result(None, [], "SET")
    if name.lower() == "transaction_read_only":
        from pgsvc.settings import parse_bool
        if engine.txn.block:
            _apply_txn_options(engine, {"transaction_read_only": parse_bool(name, value or "off")}, True)
        return Result(None, [], "SET")
    if name.lower() in ("transaction_isolation", "default_transaction_isolation") and value is not None:
        value = value.lower()
        if name.lower() == "transaction_isolation":
            if engine.txn.block:
                _apply_txn_options(engine, {"transaction_isolation": value}, True)
            return Result(None, [], "SET")
    engine.session.settings.set_session(name, value, superuser=engine.session.is_superuser)
    if name.lower() == "synchronous_commit":
        engine.apply_synchronous()
    if name.lower() == "search_path":
        engine.simple_cache.clear()
        engine.script_cache.clear()
    return Result(None, [], "SET")


def _apply_reset(engine, name) -> Result:
    if name is not None and name.lower() in PLANNER_SETTINGS:
        _reset_planner_setting(engine, name.lower())
        return Result(None, [], "RESET")
    if name is None:
        engine.planner_settings = dict(engine.planner_defaults)
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


def _show(engine, tr, text, node: ast.VariableShowStmt) -> Statement:
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
        from pgsvc.sql.catalog.system.stats import check_may_read_setting
        check_may_read_setting(e, label)  # data_directory & co.: superuser / pg_read_all_settings
        if label.lower() in ("role", "session_authorization"):
            return Result(s.columns, [(identity.show(e, label.lower()),)], "SHOW")
        if label.lower() in PLANNER_SETTINGS:
            return Result(s.columns, [(e.planner_settings.get(label.lower(), PLANNER_SETTINGS[label.lower()]),)],
                          "SHOW")
        if label.lower() == "transaction_read_only":
            ro = e.txn.read_only if e.txn.block else bool(e.session.settings.get("default_transaction_read_only"))
            return Result(s.columns, [("on" if ro else "off",)], "SHOW")
        if label == "transaction_isolation":
            value = e.isolation_in_force()
        else:
            value = e.session.settings.show(label)
        return Result(s.columns, [(value,)], "SHOW")
    return _stmt(text, "SHOW", run, [Column(label.lower() if d is None else label, O.TEXT)])


def _show_all(text: str) -> Statement:
    """SHOW ALL: every setting as SHOW prints it, with its description (pg_settings' rows)."""
    def run(e, s, p):
        from pgsvc.sql.catalog.system.stats import show_all
        return Result(s.columns, show_all(e), "SHOW")
    return _stmt(text, "SHOW", run, [Column("name", O.TEXT), Column("setting", O.TEXT),
                                     Column("description", O.TEXT)])


# --- DDL dispatch ------------------------------------------------------------------------

def _ddl(command: str, method: str, with_text: bool = False):
    def build(engine, tr, text, node):
        def run(e, s, p):
            d = Ddl(e)
            fn = getattr(d, method)
            e.run_atomic(lambda: fn(node, text) if with_text else fn(node))
            return Result(None, [], command if callable(command) is False else command(node))
        return _stmt(text, command if isinstance(command, str) else command(node), run, writes=True)
    return build


def _type_ddl(command: str, method: str):
    """CREATE/ALTER/DROP of domains and enums (pgsvc.sql.commands.ddl.user_types)."""
    def build(engine, tr, text, node):
        def run(e, s, p):
            e.run_atomic(lambda: getattr(Ddl(e), method)(node))
            return Result(None, [], command)
        return _stmt(text, command, run, writes=True)
    return build


def _create_table_as(engine, tr, text, node):
    if node.objtype != enums.ObjectType.OBJECT_TABLE:
        raise SqlError("0A000", "materialized views are not supported")
    return _table_from_query(text, node.into, node.query, node.if_not_exists, "CREATE TABLE AS")


def _select_into(engine, tr, text, node: ast.SelectStmt):
    into = node.intoClause
    node.intoClause = None
    return _table_from_query(text, into, node, False, "SELECT INTO")


def _table_from_query(text, into, query, if_not_exists, command):
    def run(e, s, p):
        n = e.run_atomic(lambda: Ddl(e).create_table_as(into, query, if_not_exists))
        return Result(None, [], "SELECT" if n is not None else "CREATE TABLE AS", n)
    return _stmt(text, command, run, writes=True)


def _drop_tag(node: ast.DropStmt) -> str:
    return "DROP " + node.removeType.name[len("OBJECT_"):].replace("_", " ")


def _drop(engine, tr, text, node):
    tag = _drop_tag(node)

    def run(e, s, p):
        e.run_atomic(lambda: Ddl(e).drop(node))
        return Result(None, [], tag)
    return _stmt(text, tag, run, writes=True)


def _truncate(engine, tr, text, node):
    def run(e, s, p):
        e.run_atomic(lambda: Ddl(e).truncate(node))
        return Result(None, [], "TRUNCATE TABLE")
    return _stmt(text, "TRUNCATE TABLE", run, writes=True)


def _vacuum(engine, tr, text, node: ast.VacuumStmt):
    opts = {d.defname for d in node.options or ()}
    tag = "VACUUM" if node.is_vacuumcmd else "ANALYZE"
    rels = [r.relation for r in node.rels or ()]
    for rv in rels:
        tr.relation(rv)

    def run(e, s, p):
        if node.is_vacuumcmd and e.txn.block:
            raise SqlError("25001", "VACUUM cannot run inside a transaction block")
        if "analyze" in opts or not node.is_vacuumcmd:
            names = [tr.relation(rv).sqlite_name for rv in rels] or [None]
            for n in names:
                e.conn.execute("ANALYZE" if n is None else f'ANALYZE "{n}"')
        if "full" in opts and not e.txn.open:
            e.conn.execute("VACUUM")
        return Result(None, [], tag)
    return _stmt(text, tag, run)


def _explain(engine, tr, text, node: ast.ExplainStmt):
    opts = {d.defname for d in node.options or ()}
    if "analyze" in opts:
        raise SqlError("0A000", "EXPLAIN ANALYZE is not supported")
    inner = engine.translate_stmt(text, node.query, list(tr.param_oids), None)
    if inner.sqlite_sql is None:
        raise SqlError("0A000", "EXPLAIN of this statement is not supported")
    tr.privs_needed.extend(inner.extra.get("privs", ()))  # PostgreSQL checks them for EXPLAIN too

    def run(e, s, p):
        values = e.bind_values(inner, p)
        rows = [("SQLite query plan (pgsvc):",)]
        for _id, _parent, _n, detail in e.conn.execute("EXPLAIN QUERY PLAN " + inner.sqlite_sql, values):
            rows.append(("  " + detail,))
        return Result(s.columns, rows, "EXPLAIN")
    s = _stmt(text, "EXPLAIN", run, [Column("QUERY PLAN", O.TEXT)])
    tr.param_oids = inner.param_oids
    return s


def _lock(engine, tr, text, node):
    rels = [tr.relation(rv) for rv in node.relations]
    # PostgreSQL's LockTableAclCheck: ACCESS SHARE needs SELECT, ROW EXCLUSIVE any of
    # INSERT/UPDATE/DELETE/TRUNCATE, stronger modes any of UPDATE/DELETE/TRUNCATE
    letters = {1: "r", 3: "awdD"}.get(node.mode, "wdD")
    needs = [("r", rel.oid, letters, 0, True) for rel in rels]

    def run(e, s, p):
        if not e.txn.block:
            raise SqlError("25P01", "LOCK TABLE can only be used in transaction blocks")
        from pgsvc.sql.catalog.authz import authz
        authz(e).check_statement(needs)
        e.acquire_writer()
        return Result(None, [], "LOCK TABLE")
    return _stmt(text, "LOCK TABLE", run)


def _discard(engine, tr, text, node):
    target = node.target.name[len("DISCARD_"):]

    def run(e, s, p):
        if target == "ALL":
            if e.txn.block:
                raise SqlError("25001", "DISCARD ALL cannot run inside a transaction block")
            for c in e.cursors.values():
                c.result.close()
            e.cursors.clear()
            e.sql_prepared.clear()
            _apply_reset(e, None)
            e.sequences.current.clear()
        elif target == "PLANS":
            e.prepare_cache.clear()
        elif target == "SEQUENCES":
            e.sequences.current.clear()
        return Result(None, [], s.command)
    return _stmt(text, "DISCARD " + target, run)


def _portal(fn_name):
    def build(engine, tr, text, node):
        from pgsvc.sql.commands import portals
        return getattr(portals, fn_name)(engine, tr, text, node)
    return build


def _checkpoint(engine, tr, text, node):
    return _stmt(text, "CHECKPOINT", lambda e, s, p: Result(None, [], "CHECKPOINT"))


def _load(engine, tr, text, node: ast.LoadStmt):
    # Host isolation: no statement may bring native code into a backend (nor can SQL
    # reach SQLite's load_extension; the engine's authorizer denies it as well).
    raise SqlError("42501", f'access to library "{node.filename}" is not allowed',
                   detail="pgsvc does not load shared libraries.")


def _create_extension(engine, tr, text, node: ast.CreateExtensionStmt):
    raise SqlError("0A000", f'extension "{node.extname}" is not available',
                   hint="pgsvc does not support extensions.")


def _grants(fn_name):
    def build(engine, tr, text, node):
        tr.cacheable = False
        return getattr(grants, fn_name)(engine, tr, text, node)
    return build


def _copy(engine, tr, text, node):
    from pgsvc.sql.commands.copy import translate_copy
    return translate_copy(engine, tr, text, node)


_HANDLERS = {
    "TransactionStmt": _transaction,
    "VariableSetStmt": _set,
    "CreateTableAsStmt": _create_table_as,
    "SelectStmt": _select_into,
    "VariableShowStmt": _show,
    "CreateStmt": _ddl("CREATE TABLE", "create_table"),
    "DropStmt": _drop,
    "TruncateStmt": _truncate,
    "IndexStmt": _ddl("CREATE INDEX", "create_index"),
    "ViewStmt": _ddl("CREATE VIEW", "create_view", with_text=True),
    "CreateSeqStmt": _ddl("CREATE SEQUENCE", "create_sequence"),
    "AlterSeqStmt": _ddl("ALTER SEQUENCE", "alter_sequence"),
    "CreateSchemaStmt": _ddl("CREATE SCHEMA", "create_schema"),
    "AlterTableStmt": _ddl(lambda n: "ALTER " + n.objtype.name[len("OBJECT_"):], "alter_table"),
    "RenameStmt": _ddl(lambda n: "ALTER " + n.renameType.name[len("OBJECT_"):].replace("COLUMN", "TABLE")
                       .replace("TABCONSTRAINT", "TABLE").replace("DOMCONSTRAINT", "DOMAIN"), "rename"),
    "CommentStmt": lambda engine, tr, text, node: (
        _type_ddl("COMMENT", "comment_type") if node.objtype in (enums.ObjectType.OBJECT_TYPE,
                                                                 enums.ObjectType.OBJECT_DOMAIN)
        else _ddl("COMMENT", "comment"))(engine, tr, text, node),
    "VacuumStmt": _vacuum,
    "ExplainStmt": _explain,
    "LockStmt": _lock,
    "DiscardStmt": _discard,
    "DeallocateStmt": _portal("deallocate_stmt"),
    "PrepareStmt": _portal("prepare_stmt"),
    "ExecuteStmt": _portal("execute_stmt"),
    "DeclareCursorStmt": _portal("declare_stmt"),
    "FetchStmt": _portal("fetch_stmt"),
    "ClosePortalStmt": _portal("close_stmt"),
    "CheckPointStmt": _checkpoint,
    "CreateDomainStmt": _type_ddl("CREATE DOMAIN", "create_domain"),
    "AlterDomainStmt": _type_ddl("ALTER DOMAIN", "alter_domain"),
    "CreateEnumStmt": _type_ddl("CREATE TYPE", "create_enum"),
    "AlterEnumStmt": _type_ddl("ALTER TYPE", "alter_enum"),
    "CompositeTypeStmt": _type_ddl("CREATE TYPE", "refuse_type"),
    "CreateRangeStmt": _type_ddl("CREATE TYPE", "refuse_type"),
    "CopyStmt": _copy,
    "GrantStmt": _grants("translate_grant"),
    "AlterOwnerStmt": _grants("alter_owner_stmt"),
    "ReassignOwnedStmt": _grants("translate_reassign"),
    "DropOwnedStmt": _grants("translate_drop_owned"),
    "LoadStmt": _load,
    "CreateExtensionStmt": _create_extension,
}

__all__ = ["translate_utility"]
