"""Deadlock search over the lock table (pgsvc.supervisor.lock_table): PostgreSQL's
deadlock.c for the locks the table holds — advisory locks and, as a participant, SQLite's
writer lock of a database.

A waiting backend that has waited deadlock_timeout searches once (DeadLockCheck):
"waits for" edges go from a waiting row to the holders of a conflicting mode (hard
edges) and to earlier waiters for a conflicting mode in the same queue (soft edges); a
path from the searcher back to itself is a deadlock, and the searcher is its victim.
A cycle that needs a soft edge may instead be broken as PostgreSQL breaks it, by moving
that waiter ahead in its queue (TestConfiguration, tried here one move at a time and
kept only if no cycle then runs through the searcher, the moved waiter or the waiter it
passed). Everything runs under the table's lock.
"""

from __future__ import annotations

from pgsvc.supervisor.lock_table import GRANTED, WAITING, LockTable, Row, Waiting, conflicts


def find_cycle(table: LockTable, waiting: Waiting) -> list[tuple[int, int, tuple]] | None:
    """A cycle of waits from this backend back to itself, as [(pid, mode, tag)] in the order
    of the edges (each waits for the next), or None."""
    woken = None
    with table.locked():
        slot, pid = table.me()
        start = table.waiting_row(slot, pid)
        cycle = _search(table, start) if start is not None else None
        if cycle is not None and any(soft for _, _, soft in cycle):
            woken = _rearrange(table, start, cycle)
            if woken is not None:
                cycle = None
    if woken is not None:
        table.wake(woken)
    return None if cycle is None else [(row.pid, row.mode, row.tag) for row, _, _ in cycle]


def blocking_pids(table: LockTable, slot: int, pid: int) -> list[int]:
    """pg_blocking_pids(): the pids the backend in `slot` waits for (none if it does not wait)."""
    with table.locked():
        row = table.waiting_row(slot, pid)
        return [] if row is None else [p for (_, p), _ in blockers(table, row)]


def blockers(table: LockTable, row: Row) -> list[tuple[tuple[int, int], bool]]:
    """Whom a waiting row waits for, ((slot, pid), soft?): holders of a conflicting mode,
    then earlier waiters for one (in queue order)."""
    rows, _ = table.scan(row.tag)
    holders, ahead = [], []
    for r in rows:
        if (r.slot, r.pid) == (row.slot, row.pid) or not conflicts(row.mode, r.mode):
            continue
        if r.state == GRANTED:
            holders.append((r.slot, r.pid))
        elif r.arrival < row.arrival:
            ahead.append((r.arrival, (r.slot, r.pid)))
    out = {who: False for who in holders}
    for _, who in sorted(ahead):
        out.setdefault(who, True)
    return list(out.items())


def _search(table: LockTable, start: Row) -> list[tuple[Row, tuple[int, int], bool]] | None:
    """FindLockCycle from `start`'s backend back to it: [(waiting row, its blocker, soft
    edge?)], or None. Depth-first and iterative (a chain may be as long as there are
    backends)."""
    target = (start.slot, start.pid)
    seen: set[tuple[int, int]] = set()
    path: list[tuple[Row, tuple[int, int], bool]] = []
    stack = [(start, iter(blockers(table, start)))]
    while stack:
        row, edges = stack[-1]
        edge = next(edges, None)
        if edge is None:
            stack.pop()
            if path:
                path.pop()
            continue
        who, soft = edge
        if who == target:
            path.append((row, who, soft))
            return path
        if who in seen:
            continue
        seen.add(who)
        nxt = table.waiting_row(*who)
        if nxt is not None:
            path.append((row, who, soft))
            stack.append((nxt, iter(blockers(table, nxt))))
    return None


def _rearrange(table: LockTable, start: Row, cycle: list) -> int | None:
    """Try each soft edge of the cycle: the waiter goes just ahead of the one it waits
    behind, kept if then no cycle runs through the searcher, the moved waiter or the one
    it passed. The futex word to wake (the moved waiter may be granted now), or None."""
    for row, who, soft in cycle:
        ahead = table.waiting_row(*who) if soft else None
        if ahead is None or ahead.tag != row.tag:
            continue
        queue = sorted(r.arrival for r in table.scan(row.tag)[0]
                       if r.state == WAITING and r.arrival < ahead.arrival and r.index != row.index)
        before = queue[-1] if queue else ahead.arrival - 1.0
        table.set_arrival(row.index, (before + ahead.arrival) / 2)
        moved = [table.row(r.index) for r in (start, row, ahead)]
        if all(_search(table, r) is None for r in moved if r.state == WAITING):
            word = table.word_index(row.tag)
            table.bump(word)
            return word
        table.set_arrival(row.index, row.arrival)
    return None
