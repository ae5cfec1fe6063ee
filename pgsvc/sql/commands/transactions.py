"""Transaction control: BEGIN / START TRANSACTION, COMMIT, ROLLBACK [AND CHAIN],
SAVEPOINT, RELEASE, ROLLBACK TO, and SET TRANSACTION's characteristics. A block's SETs are
snapshotted at BEGIN and at each savepoint, and undone when that part rolls back (SET
LOCAL at the block's end); the shared catalog's savepoints follow (pgsvc.sql.catalog.shared),
and so do transaction-level advisory locks (pgsvc.sql.pg_functions.advisory).
"""

from __future__ import annotations

import datetime as _dt

from pglast import ast, enums

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.api import EngineContext
from pgsvc.sql.catalog import shared as shared_catalog
from pgsvc.sql.commands import portals
from pgsvc.sql.pg_functions import advisory
from pgsvc.sql.statement import Result, Statement, utility_statement

T = enums.TransactionStmtKind


def translate_transaction(engine: EngineContext, tr, text, node: ast.TransactionStmt) -> Statement:
    k = node.kind
    if k in (T.TRANS_STMT_BEGIN, T.TRANS_STMT_START):
        s = utility_statement(text, "BEGIN" if k == T.TRANS_STMT_BEGIN else "START TRANSACTION", _begin)
    elif k == T.TRANS_STMT_COMMIT:
        s = utility_statement(text, "COMMIT", _commit)
    elif k == T.TRANS_STMT_ROLLBACK:
        s = utility_statement(text, "ROLLBACK", _rollback)
    elif k == T.TRANS_STMT_SAVEPOINT:
        s = utility_statement(text, "SAVEPOINT", _savepoint)
    elif k == T.TRANS_STMT_RELEASE:
        s = utility_statement(text, "RELEASE", _release)
    elif k == T.TRANS_STMT_ROLLBACK_TO:
        s = utility_statement(text, "ROLLBACK", _rollback_to)
    elif k == T.TRANS_STMT_PREPARE:
        s = utility_statement(text, "PREPARE TRANSACTION", _prepare_transaction)
    else:
        command = "COMMIT PREPARED" if k == T.TRANS_STMT_COMMIT_PREPARED else "ROLLBACK PREPARED"
        s = utility_statement(text, command, _finish_prepared)
    s.extra["gid"] = node.gid
    s.extra["name"] = node.savepoint_name
    s.extra["chain"] = node.chain
    s.extra["options"] = txn_options(node.options)
    s.txn_exit = k in (T.TRANS_STMT_COMMIT, T.TRANS_STMT_ROLLBACK, T.TRANS_STMT_ROLLBACK_TO, T.TRANS_STMT_PREPARE)
    return s


def txn_options(options) -> dict:
    out = {}
    for d in options or ():
        a = d.arg.val if isinstance(d.arg, ast.A_Const) else d.arg
        v = a.sval if isinstance(a, ast.String) else a.ival if isinstance(a, ast.Integer) else \
            a.boolval if isinstance(a, ast.Boolean) else a
        out[d.defname] = v
    return out


def apply_txn_options(engine: EngineContext, opts: dict, in_set: bool) -> None:
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
        if in_set and txn.savepoints:
            raise SqlError("25001", "SET TRANSACTION ISOLATION LEVEL must not be called in a subtransaction")
        txn.isolation = str(opts["transaction_isolation"]).lower()
    if "transaction_deferrable" in opts:
        if in_set and txn.savepoints:
            raise SqlError("25001", "SET TRANSACTION [NOT] DEFERRABLE cannot be called within a subtransaction")
        if in_set and txn.ran_query:
            raise SqlError("25001", "SET TRANSACTION [NOT] DEFERRABLE must be called before any query")
        txn.deferrable = bool(opts["transaction_deferrable"])


def _settings_snapshot(engine) -> tuple:
    return dict(engine.session.settings.session), dict(engine.planner_settings)


def _restore_settings(engine, snap) -> None:
    """Undo SETs made since the snapshot (a rolled-back transaction or savepoint undoes its SETs)."""
    settings = engine.session.settings
    session, planner = snap
    for key in set(settings.session) | set(session):
        if settings.session.get(key) != session.get(key):
            settings.restore_session(key, key in session, session.get(key))
    engine.planner_settings = dict(planner)
    engine.apply_synchronous()
    engine.simple_cache.clear()
    engine.script_cache.clear()


def warn(engine: EngineContext, code, msg):
    engine.session.notice(SqlNotice(msg, sqlstate=code, severity="WARNING"))


def _begin(engine, stmt, params) -> Result:
    txn = engine.txn
    if txn.block:
        warn(engine, "25001", "there is already a transaction in progress")
        return Result(None, [], stmt.command)
    txn.block = True
    txn.implicit = False
    txn.failed = False
    txn.ran_query = False
    txn.settings_snapshot = _settings_snapshot(engine)
    txn.local_snapshot = None
    txn.read_only = bool(engine.session.settings.get("default_transaction_read_only"))
    txn.isolation = str(engine.session.settings.get("default_transaction_isolation")).lower()
    txn.deferrable = bool(engine.session.settings.get("default_transaction_deferrable"))
    apply_txn_options(engine, stmt.extra["options"], False)
    # The SQLite transaction opens lazily at the block's first statement: a block whose first
    # statement writes takes the writer lock before its snapshot, so it cannot be stale (40001).
    engine.fctx.transaction_start = _dt.datetime.now(_dt.UTC)
    return Result(None, [], stmt.command)


def _chain(engine, stmt, result: Result) -> Result:
    """COMMIT/ROLLBACK AND CHAIN: a new block with the same characteristics."""
    if stmt.extra.get("chain"):
        txn = engine.txn
        ro, iso, deferrable = txn.read_only, txn.isolation, txn.deferrable
        _begin(engine, stmt, ())
        txn.read_only, txn.isolation, txn.deferrable = ro, iso, deferrable
    return result


def _commit(engine, stmt, params) -> Result:
    txn = engine.txn
    if not txn.block and stmt.extra.get("chain"):
        raise SqlError("25P01", "COMMIT AND CHAIN can only be used in transaction blocks")
    if not txn.block:
        warn(engine, "25P01", "there is no transaction in progress")
        if txn.implicit:
            # PostgreSQL's EndTransactionBlock in an implicit block (several statements in
            # one query, or an extended-protocol batch before Sync): it commits what the
            # statements before it did; those after it run in a new implicit transaction
            _end_implicit_transaction(engine, commit=True)
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


def _end_implicit_transaction(engine, commit: bool) -> None:
    """End the implicit transaction's work so far; it stays implicit for what follows."""
    if not (engine.txn.open or engine.async_notify.pending):
        return
    if commit:
        engine.sqlite_commit()
    else:
        engine.sqlite_rollback()


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
        warn(engine, "25P01", "there is no transaction in progress")
        if txn.implicit:
            # UserAbortTransactionBlock in an implicit block: the statements before it in
            # the query or batch are rolled back (asyncpg ends a failed executemany so)
            _end_implicit_transaction(engine, commit=False)
        return Result(None, [], "ROLLBACK")
    txn.block = txn.failed = False
    engine.sqlite_rollback()
    _restore_settings(engine, txn.settings_snapshot)
    return _chain(engine, stmt, Result(None, [], "ROLLBACK"))


# Two-phase commit: pgsvc runs as a PostgreSQL left at max_prepared_transactions = 0 (its
# default): SQLite cannot keep a transaction prepared, out of every backend, across a
# restart. PREPARE TRANSACTION ends the block (rolled back) with PostgreSQL's own error;
# there is never a prepared transaction to COMMIT or ROLLBACK PREPARED; pg_prepared_xacts
# is empty (catalog.system.session_views).

_GIDSIZE = 200  # twophase.c: a gid is shorter than this, in bytes


def _prepare_transaction(engine, stmt, params) -> Result:
    txn = engine.txn
    if not engine.in_transaction_block():
        warn(engine, "25P01", "there is no transaction in progress")
        return Result(None, [], "ROLLBACK")
    failed = txn.failed
    if txn.block:
        txn.block = txn.failed = False
        engine.sqlite_rollback()
        _restore_settings(engine, txn.settings_snapshot)
    if failed:  # a failed block ends as ROLLBACK would end it
        return Result(None, [], "ROLLBACK")
    gid = stmt.extra["gid"]
    if len(gid.encode()) >= _GIDSIZE:
        raise SqlError("22023", f'transaction identifier "{gid}" is too long')
    raise SqlError("55000", "prepared transactions are disabled",
                   hint="Set max_prepared_transactions to a nonzero value.")


def _finish_prepared(engine, stmt, params) -> Result:
    if engine.in_transaction_block():
        raise SqlError("25001", f"{stmt.command} cannot run inside a transaction block")
    raise SqlError("42704", f'prepared transaction with identifier "{stmt.extra["gid"]}" does not exist')


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
    engine.async_notify.released(i)  # LISTEN/NOTIFY under it now belong to the level above
    advisory.released(engine, i)  # so do the transaction-level advisory locks taken under it
    del sps[i:]
    del engine.txn.sp_read_only[i:]
    del engine.txn.sp_settings[i:]
    return Result(None, [], "RELEASE")


def _rollback_to(engine, stmt, params) -> Result:
    _need_block(engine, "ROLLBACK TO SAVEPOINT")
    name = stmt.extra["name"]
    _find_sp(engine, name)
    sps = engine.txn.savepoints
    i = len(sps) - 1 - sps[::-1].index(name)
    if engine.cursors:
        portals.before_rollback_to(engine, i)
    engine.conn.execute(f"ROLLBACK TO {_sp(name)}")
    engine.sequences.reapply()  # nextval() results survive the rollback, as in PostgreSQL
    engine.txn.read_only = engine.txn.sp_read_only[i]
    shared_catalog.rolled_back_to(engine, i)  # roles changed after the savepoint
    engine.async_notify.rolled_back_to(i)  # NOTIFYs and LISTENs made after it are gone
    advisory.rolled_back_to(engine, i)  # and the transaction-level advisory locks taken after it
    engine.deferred_rolled_back_to(i)  # and deferred constraint triggers' events queued after it
    _restore_settings(engine, engine.txn.sp_settings[i])
    del sps[i + 1:]
    del engine.txn.sp_read_only[i + 1:]
    del engine.txn.sp_settings[i + 1:]
    engine.txn.failed = False
    engine.reload_catalog()
    return Result(None, [], "ROLLBACK")
