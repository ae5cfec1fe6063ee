"""A block with an EXCEPTION clause runs as a subtransaction (PostgreSQL's
BeginInternalSubTransaction): a SQLite SAVEPOINT, entered into the engine's savepoint
list like a user's SAVEPOINT (so everything that tracks savepoints - LISTEN/NOTIFY, the
shared catalog's role changes, SET, transaction-level advisory locks - follows it). When
the block catches an error its work is rolled back to the savepoint (nextval() results
survive, as in PostgreSQL); otherwise the savepoint is released into the enclosing
transaction.

Outside any open transaction (a function called by a read-only statement) nothing can be
written, and no savepoint is taken.
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import shared as shared_catalog
from pgsvc.sql.pg_functions import advisory
from pgsvc.sqlite import sqlite3

NAME = "pgsvc$plblock"
_SQLITE_NAME = '"sp$' + NAME + '"'


def begin(engine) -> int:
    """Enter a subtransaction; returns its depth (-1: none was needed; -2 - n: none could be
    taken, n = the connection's total_changes at the block's start)."""
    if not engine.txn.open:
        return -1
    try:
        engine.conn.execute(f"SAVEPOINT {_SQLITE_NAME}")
    except sqlite3.OperationalError as e:
        if "statements in progress" not in str(e):
            raise
        # The function runs inside a statement SQLite is executing (INSERT ... VALUES (f()))
        # and SQLite opens no savepoint then. The block runs without one: catching an error
        # is exact as long as the block changed nothing (rollback checks), and the usual
        # case - a computation guarded against division_by_zero - needs nothing undone.
        return -2 - engine.conn.total_changes
    txn = engine.txn
    txn.savepoints.append(NAME)
    txn.sp_read_only.append(txn.read_only)
    txn.sp_settings.append((dict(engine.session.settings.session), dict(engine.planner_settings)))
    return len(txn.savepoints) - 1


def release(engine, depth: int) -> None:
    if depth < 0 or len(engine.txn.savepoints) <= depth:
        return
    txn = engine.txn
    engine.conn.execute(f"RELEASE {_SQLITE_NAME}")
    txn.read_only = txn.sp_read_only[depth]
    shared_catalog.released(engine, depth)
    engine.async_notify.released(depth)
    advisory.released(engine, depth)
    del txn.savepoints[depth:]
    del txn.sp_read_only[depth:]
    del txn.sp_settings[depth:]


def rollback(engine, depth: int) -> None:
    """Undo the subtransaction's work and end it (RollbackAndReleaseCurrentSubTransaction)."""
    if depth <= -2 and engine.conn.total_changes != -2 - depth:
        raise SqlError("0A000", "an EXCEPTION block that changed rows cannot be rolled back inside a "
                       "function called by a running statement")
    if depth < 0 or len(engine.txn.savepoints) <= depth:
        return
    txn = engine.txn
    engine.conn.execute(f"ROLLBACK TO {_SQLITE_NAME}")
    engine.conn.execute(f"RELEASE {_SQLITE_NAME}")
    engine.sequences.reapply()
    txn.read_only = txn.sp_read_only[depth]
    shared_catalog.rolled_back_to(engine, depth)
    shared_catalog.released(engine, depth)
    engine.async_notify.rolled_back_to(depth)
    engine.async_notify.released(depth)
    advisory.rolled_back_to(engine, depth)  # transaction-level advisory locks taken in the block
    advisory.released(engine, depth)
    engine.deferred_rolled_back_to(depth)  # deferred constraint triggers' events queued in the block
    restore_settings(engine, txn.sp_settings[depth])
    del txn.savepoints[depth:]
    del txn.sp_read_only[depth:]
    del txn.sp_settings[depth:]
    engine.fctx.pending_error = None
    if txn.ddl:
        engine.reload_catalog()


def restore_settings(engine, snap) -> None:
    settings = engine.session.settings
    session, planner = snap
    changed = False
    for key in set(settings.session) | set(session):
        if settings.session.get(key) != session.get(key):
            settings.restore_session(key, key in session, session.get(key))
            changed = True
    if changed or engine.planner_settings != planner:
        engine.planner_settings = dict(planner)
        engine.apply_synchronous()


__all__ = ["begin", "release", "rollback"]
