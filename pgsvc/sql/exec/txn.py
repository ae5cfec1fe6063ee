"""Transactions: PostgreSQL's transaction-block state machine over SQLite, and the
writer lock that serialises writers between backend processes.

State ('I' idle, 'T' in a block, 'E' failed block). Every PostgreSQL statement runs
in a SQLite transaction: outside a block one is opened and closed around it (or around
the statements of an implicit multi-statement transaction).

Writer lock: an exclusive flock() on "<database file>.lock", taken before the first
write of a transaction (like BEGIN IMMEDIATE) and released at its end. Readers never
take it (WAL: readers never wait). Waiting is a real blocking flock() in a helper
thread; the backend thread waits on it in short slices so that a cancel
(session.cancel_flag()) or lock_timeout ends the wait with 57014 / 55P03. If the wait
is abandoned the helper releases the lock as soon as it gets it.

A transaction whose snapshot predates another writer's commit cannot upgrade to a
writer in SQLite (SQLITE_BUSY_SNAPSHOT); that maps to 40001 "could not serialize
access due to concurrent update", PostgreSQL's REPEATABLE READ behaviour.

Isolation, honestly: SERIALIZABLE and REPEATABLE READ blocks get exactly the above
(one snapshot, serialised writers, stale writers fail): serializable execution. READ
COMMITTED (and READ UNCOMMITTED)
blocks that have only read so far take a fresh snapshot when they first write (their
reads are redone by nobody: PostgreSQL's read committed also gives each statement a new
snapshot); from then on they hold the writer lock, so every later statement sees the
latest committed data. SHOW transaction_isolation prints the level requested, as
PostgreSQL does (its READ UNCOMMITTED runs as READ COMMITTED and still shows as requested).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

from pgsvc.errors import SqlError
from pgsvc.sql.functions.context import interrupt_error


class WriterLock:
    def __init__(self, path: str) -> None:
        self.path = path + ".lock"
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self.held_fd: int | None = None
        self.exports: list = []  # ends of the snapshots exported under it (pg_functions.snapshots)
        self.generation = 0  # transactions ended: the change log's xid token (pg_functions.changelog_udfs)

    @property
    def held(self) -> bool:
        return self.held_fd is not None

    def acquire(self, cancel_flag, timeout_ms: int) -> None:
        if self.held_fd is not None:
            return
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.held_fd = self.fd
            return
        except BlockingIOError:
            pass
        self._wait(cancel_flag, timeout_ms)

    def try_acquire(self) -> bool:
        """Take the lock only if no one holds it (LOCK TABLE ... NOWAIT)."""
        if self.held_fd is None:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            self.held_fd = self.fd
        return True

    def _wait(self, cancel_flag, timeout_ms: int) -> None:
        # The waiter blocks on its own open file description, so a waiter we abandon
        # can never release (or hold) the lock of a later transaction of ours.
        fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        got = threading.Event()
        guard = threading.Lock()
        state = {"abandoned": False}

        def waiter():
            fcntl.flock(fd, fcntl.LOCK_EX)
            with guard:
                if state["abandoned"]:
                    os.close(fd)  # closing the description releases the lock
                else:
                    got.set()
        threading.Thread(target=waiter, daemon=True).start()
        deadline = time.monotonic() + timeout_ms / 1000 if timeout_ms > 0 else None
        while not got.wait(0.02):
            reason = cancel_flag()
            if reason or (deadline is not None and time.monotonic() >= deadline):
                with guard:
                    if not got.is_set():
                        state["abandoned"] = True
                        if reason:
                            raise cancel_error(reason)
                        raise SqlError("55P03", "canceling statement due to lock timeout")
                break
        self.held_fd = fd

    def end_exports(self) -> None:
        """The exporting transaction ends: its snapshots stop being importable before its
        commit or rollback can change what they show (the engine calls this first)."""
        while self.exports:
            self.exports.pop()()

    def release(self) -> None:
        self.generation += 1
        self.end_exports()
        fd, self.held_fd = self.held_fd, None
        if fd is None:
            return
        if fd == self.fd:
            fcntl.flock(fd, fcntl.LOCK_UN)
        else:
            os.close(fd)

    def close(self) -> None:
        self.release()
        os.close(self.fd)


def cancel_error(reason) -> SqlError:
    return interrupt_error(reason)


class TxnState:
    """PostgreSQL's view of the transaction: block / implicit / failed, savepoints."""

    def __init__(self) -> None:
        self.block = False  # explicit BEGIN ... COMMIT
        self.implicit = False  # multi-statement simple query / extended batch
        self.failed = False
        self.open = False  # a SQLite transaction is open
        self.wrote = False  # the writer lock has been taken in this transaction
        self.ddl = False  # the catalog was reloaded inside this transaction (DDL ran)
        self.savepoints: list[str] = []
        self.sp_read_only: list[bool] = []  # read_only as it was when each savepoint was set
        self.sp_settings: list[tuple] = []  # session settings as they were at each savepoint
        self.settings_snapshot: tuple | None = None  # at BEGIN: a rolled-back block undoes its SETs
        self.local_snapshot: dict | None = None  # SET LOCAL: values to restore at the block's end
        self.isolation = "serializable"  # as requested (BEGIN ISOLATION LEVEL / the default)
        self.read_only = False
        self.deferrable = False  # as requested (only shown: no serializable read-only waits here)
        self.ran_query = False  # a statement has run in this block (its snapshot is set)

    def status(self) -> str:
        if self.block:
            return "E" if self.failed else "T"
        return "I"
