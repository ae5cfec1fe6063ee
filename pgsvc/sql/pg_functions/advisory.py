"""Advisory locks: pg_advisory_lock and its family (session and transaction level, shared
and exclusive, one bigint key or two int keys, waiting or try), pg_advisory_unlock[_all],
pg_blocking_pids, over the cluster's shared lock table (pgsvc.supervisor.lock_table,
handed to the engine as session.lock_table) and its deadlock search (pgsvc.supervisor.deadlock).

This backend's side, as PostgreSQL's LOCALLOCK: how many times each (lock, mode) is held
at session level and at transaction level. The shared table has one row per (lock, mode)
held at all; it is released when both counts reach zero. Transaction-level locks are
released when the transaction ends (end_of_transaction, called by the engine at commit
and rollback) and those taken under a savepoint when it is rolled back to (the savepoint
hooks, called by pgsvc.sql.commands.transactions); session-level locks only by unlock,
unlock_all or the end of the session (close). A session that never takes one pays
nothing: the state is made at the first call (engine.advisory stays None until then).

Waiting (the table's acquire returned a Waiting): sleep on the lock's futex word until
woken, then re-check; a cancel, statement_timeout or terminate (session.cancel_flag,
whose signals also end the sleep), lock_timeout (55P03) and, once deadlock_timeout has
passed, the deadlock search (40P01 with PostgreSQL's DETAIL) end the wait.
"""

from __future__ import annotations

import time

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.functions.context import reporting_sql_errors
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS, TRANSACTION_SCOPED
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O
from pgsvc.supervisor.deadlock import blocking_pids as find_blocking_pids
from pgsvc.supervisor.deadlock import find_cycle
from pgsvc.supervisor.lock_table import (
    EXCLUSIVE,
    GRANTED,
    MODE_NAMES,
    SHARE,
    WAITING,
    WRITER,
    Deadlock,
    LockTable,
    OutOfSharedMemory,
    writer_tag,
)
from pgsvc.supervisor.logs import log

# The functions: (name, shared?, transaction level?, how) with how 'wait' | 'try' | 'unlock'
_FUNCTIONS = [
    ("pg_advisory_lock", False, False, "wait"),
    ("pg_advisory_lock_shared", True, False, "wait"),
    ("pg_try_advisory_lock", False, False, "try"),
    ("pg_try_advisory_lock_shared", True, False, "try"),
    ("pg_advisory_xact_lock", False, True, "wait"),
    ("pg_advisory_xact_lock_shared", True, True, "wait"),
    ("pg_try_advisory_xact_lock", False, True, "try"),
    ("pg_try_advisory_xact_lock_shared", True, True, "try"),
    ("pg_advisory_unlock", False, False, "unlock"),
    ("pg_advisory_unlock_shared", True, False, "unlock"),
]


def bigint_tag(dboid: int, key: int) -> tuple[int, int, int, int]:
    """pg_locks' (database, classid, objid, objsubid) of a bigint key: its high and low halves, 1."""
    k = key & 0xFFFFFFFFFFFFFFFF
    return (dboid, k >> 32, k & 0xFFFFFFFF, 1)


def pair_tag(dboid: int, key1: int, key2: int) -> tuple[int, int, int, int]:
    """... of two int4 keys: the keys as unsigned 32-bit numbers, 2."""
    return (dboid, key1 & 0xFFFFFFFF, key2 & 0xFFFFFFFF, 2)


def lock_text(tag: tuple) -> str:
    """How PostgreSQL's messages name an advisory lock (DescribeLockTag); pgsvc's writer lock
    of a database (writer_tag) has no PostgreSQL counterpart."""
    if tag[3] == WRITER:
        return f"writer lock of database {tag[0]}"
    return "advisory lock [%d,%d,%d,%d]" % tag


class AdvisoryLocks:
    """One backend's advisory locks (made at its first advisory-lock call)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.table: LockTable = engine.session.lock_table or LockTable.private()
        self.dboid = _database_oid(engine)
        self.session_held: dict[tuple, int] = {}  # (tag, mode) -> count
        self.xact_held: dict[tuple, int] = {}
        self.xact_order: list[tuple] = []  # (tag, mode) in the order taken, for ROLLBACK TO
        self.marks: list[int] = []  # len(xact_order) at each savepoint of the block

    # ------------------------------------------------------------ taking and releasing
    def lock(self, tag: tuple, mode: int, xact: bool, wait: bool) -> bool:
        key = (tag, mode)
        if not (self.session_held.get(key) or self.xact_held.get(key)):
            try:
                got = self.table.acquire(tag, mode, wait)
            except Deadlock as d:
                raise self._deadlock_error(d.cycle) from None
            except OutOfSharedMemory:
                raise SqlError("53200", "out of shared memory",
                               hint="You might need to increase max_locks_per_transaction.") from None
            if got is False:
                return False
            if got is not True:
                self._wait(got)
        if xact:
            self._mark_savepoints()
            self.xact_held[key] = self.xact_held.get(key, 0) + 1
            self.xact_order.append(key)
        else:
            self.session_held[key] = self.session_held.get(key, 0) + 1
        return True

    def unlock(self, tag: tuple, mode: int) -> bool:
        key = (tag, mode)
        n = self.session_held.get(key, 0)
        if not n:
            self.engine.session.notice(SqlNotice(f"you don't own a lock of type {MODE_NAMES[mode]}",
                                                 sqlstate="01000", severity="WARNING"))
            return False
        self._drop(self.session_held, key, 1)
        return True

    def unlock_all(self) -> None:
        """The session-level locks (transaction-level ones stay until the transaction ends)."""
        for key in list(self.session_held):
            self._drop(self.session_held, key, self.session_held[key])

    def _drop(self, counts: dict, key: tuple, n: int) -> None:
        left = counts.get(key, 0) - n
        if left > 0:
            counts[key] = left
            return
        counts.pop(key, None)
        if not (self.session_held.get(key) or self.xact_held.get(key)):
            self.table.release(*key)

    # ------------------------------------------------------------ transaction boundaries
    def end_of_transaction(self) -> None:
        order, self.xact_order, self.marks = self.xact_order, [], []
        if order:
            for key in list(self.xact_held):
                self._drop(self.xact_held, key, self.xact_held[key])

    def _mark_savepoints(self) -> None:
        """Savepoints set since the last transaction-level lock start where the list is now."""
        depth = len(self.engine.txn.savepoints)
        while len(self.marks) < depth:
            self.marks.append(len(self.xact_order))

    def rolled_back_to(self, depth: int) -> None:
        """ROLLBACK TO the block's savepoint number `depth`: locks taken after it go."""
        if len(self.marks) <= depth:
            return
        start = self.marks[depth]
        del self.marks[depth + 1:]
        undone, self.xact_order = self.xact_order[start:], self.xact_order[:start]
        for key in reversed(undone):
            self._drop(self.xact_held, key, 1)

    def released(self, depth: int) -> None:
        """RELEASE of savepoint number `depth`: its locks belong to the level above."""
        del self.marks[depth:]

    def close(self) -> None:
        """Session end: everything goes."""
        self.end_of_transaction()
        self.unlock_all()

    # ------------------------------------------------------------ waiting
    def _wait(self, waiting) -> None:
        settings = self.engine.session.settings
        cancel_flag = self.engine.session.cancel_flag
        start = time.monotonic()
        lock_ms = int(settings.get("lock_timeout") or 0)
        lock_deadline = start + lock_ms / 1000 if lock_ms > 0 else None
        deadlock_at: float | None = start + int(settings.get("deadlock_timeout") or 1000) / 1000
        # A transaction that has written holds its database's writer lock (SQLite has one
        # writer): while it waits here, a holder of this lock waiting to write waits for it.
        writer = self.table.publish(writer_tag(self.dboid), GRANTED) if self.engine.txn.wrote else None
        try:
            while True:
                granted, word = self.table.poll(waiting)
                if granted:
                    return
                if cancel_flag():
                    raise self.engine.cancel_error()
                now = time.monotonic()
                if lock_deadline is not None and now >= lock_deadline:
                    raise SqlError("55P03", "canceling statement due to lock timeout")
                if deadlock_at is not None and now >= deadlock_at:
                    deadlock_at = None  # searched once per wait, as PostgreSQL's CheckDeadLock
                    cycle = find_cycle(self.table, waiting)
                    if cycle:
                        raise self._deadlock_error(cycle)
                    continue
                until = min(t for t in (lock_deadline, deadlock_at, now + 3600) if t is not None)
                self.table.sleep(waiting, word, until - now)
        except BaseException:
            self.table.cancel(waiting)
            raise
        finally:
            if writer is not None:
                self.table.retract(writer)

    def acquire_writer(self, lock, timeout_ms: int) -> None:
        """Take the database's writer lock (pgsvc.sql.exec.txn.WriterLock) for a session that
        has used advisory locks: a wait for it may close a cycle with them (a writer waiting
        here for an advisory lock this session holds), so a wait that lasts is published in
        the lock table and, after deadlock_timeout, searched for a deadlock once."""
        cancel_flag = self.engine.session.cancel_flag
        dl = int(self.engine.session.settings.get("deadlock_timeout") or 1000) / 1000
        state: dict = {"waiting": None, "since": 0.0, "checked": False, "deadlock": None}

        def flag():  # polled by the writer lock's wait loop, only while it waits
            reason = cancel_flag()
            if reason:
                return reason
            now = time.monotonic()
            if state["waiting"] is None:
                state["waiting"], state["since"] = self.table.publish(writer_tag(self.dboid), WAITING), now
            elif not state["checked"] and now - state["since"] >= dl:
                state["checked"] = True
                cycle = find_cycle(self.table, state["waiting"])
                if cycle:
                    state["deadlock"] = self._deadlock_error(cycle)
                    return "deadlock"
            return None
        try:
            lock.acquire(flag, timeout_ms)
        except SqlError:
            if state["deadlock"] is not None:
                raise state["deadlock"] from None
            raise
        finally:
            if state["waiting"] is not None:
                self.table.retract(state["waiting"])

    def _deadlock_error(self, cycle: list) -> SqlError:
        lines = []
        for i, (pid, mode, tag) in enumerate(cycle):
            blocker = cycle[(i + 1) % len(cycle)][0]
            lines.append(f"Process {pid} waits for {MODE_NAMES[mode]} on {lock_text(tag)}; "
                         f"blocked by process {blocker}.")
        detail = "\n".join(lines)
        queries = {s.pid: s.query for s in self.engine.session.activity()}
        log.error("deadlock detected\nDETAIL:  %s", "\n\t".join(
            lines + [f"Process {pid}: {queries.get(pid, '<unknown>')}" for pid, _, _ in cycle]))
        return SqlError("40P01", "deadlock detected", detail=detail, hint="See server log for query details.")


def _database_oid(engine) -> int:
    db = shared(engine).cat.find_database(engine.session.database)
    return db.oid if db is not None else 0


def advisory(engine) -> AdvisoryLocks:
    state = engine.advisory
    if state is None:
        state = engine.advisory = AdvisoryLocks(engine)
    return state


# ------------------------------------------------------------ engine hooks

def end_of_transaction(engine) -> None:
    """The engine's transaction ended (commit or rollback): transaction-level locks go."""
    if engine.advisory is not None:
        engine.advisory.end_of_transaction()


def rolled_back_to(engine, depth: int) -> None:
    if engine.advisory is not None:
        engine.advisory.rolled_back_to(depth)


def released(engine, depth: int) -> None:
    if engine.advisory is not None:
        engine.advisory.released(depth)


def close(engine) -> None:
    state, engine.advisory = engine.advisory, None
    if state is not None:
        state.close()


# ------------------------------------------------------------ the SQL functions

def _call(engine, code: int, key1, key2):
    """One UDF behind the family: `code` indexes _FUNCTIONS; key2 None for a bigint key."""
    name, is_shared, xact, how = _FUNCTIONS[code]
    if key1 is None:
        return None
    state = advisory(engine)
    tag = bigint_tag(state.dboid, key1) if key2 is None else pair_tag(state.dboid, key1, key2)
    mode = SHARE if is_shared else EXCLUSIVE
    if how == "unlock":
        return int(state.unlock(tag, mode))
    got = state.lock(tag, mode, xact, how == "wait")
    return "" if how == "wait" else int(got)  # void's output is the empty string, not NULL


def _unlock_all(engine) -> str:
    if engine.advisory is not None:
        engine.advisory.unlock_all()
    return ""


def blocking_pids(engine, pid) -> str | None:
    """pg_blocking_pids(int): the pids that hold or wait ahead for a lock `pid` waits for."""
    if pid is None:
        return None
    table = engine.session.lock_table
    if table is None or table.registry is None:
        return "[]"
    slot = table.registry.find(int(pid))
    pids = [] if slot is None else find_blocking_pids(table, slot.index, slot.pid)
    return "[" + ",".join(str(p) for p in pids) + "]"  # an int4[]'s stored form


def register(conn, engine) -> None:
    ctx = engine.fctx
    conn.create_function("pgsvce_advisory1", 2, reporting_sql_errors(ctx, lambda c, k: _call(engine, c, k, None)))
    conn.create_function("pgsvce_advisory2", 3, reporting_sql_errors(
        ctx, lambda c, a, b: None if b is None else _call(engine, c, a, b)))
    conn.create_function("pgsvce_advisory_unlock_all", 0, reporting_sql_errors(ctx, lambda: _unlock_all(engine)))
    conn.create_function("pgsvce_blocking_pids", 1, reporting_sql_errors(ctx, lambda p: blocking_pids(engine, p)))


def _install_signatures() -> None:
    """The translator's signatures of these functions (once, at import)."""
    def add(name, args, ret, emit):
        ENGINE_FUNCTIONS.setdefault(name, []).append(FuncSig(name, tuple(args), ret, emit, "scalar", 0, True, "v"))

    for code, (name, _, _, how) in enumerate(_FUNCTIONS):
        ret = O.VOID if how == "wait" else O.BOOL
        add(name, [O.INT8], ret, f"pgsvce_advisory1({code}, {{0}})")
        add(name, [O.INT4, O.INT4], ret, f"pgsvce_advisory2({code}, {{0}}, {{1}})")
    add("pg_advisory_unlock_all", [], O.VOID, "pgsvce_advisory_unlock_all()")
    # a statement taking a transaction-level lock runs inside a transaction even alone
    # outside a block (pgsvc.sql.exec.runner): the transaction's end releases the lock
    TRANSACTION_SCOPED.update(name for name, _, xact, _ in _FUNCTIONS if xact)
    add("pg_blocking_pids", [O.INT4], O.ARRAY_INT4, "pgsvce_blocking_pids({0})")


_install_signatures()
