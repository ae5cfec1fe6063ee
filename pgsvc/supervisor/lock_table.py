"""The lock table behind advisory locks: one shared-memory table for the whole cluster
(PostgreSQL's lock manager — lock.c, proc.c's wait queue, deadlock.c — for the lock
type it serves), created by the supervisor before it forks.

Layout of DATADIR/pgsvc_locks.shm (mapped MAP_SHARED, inherited by every backend):

    header   magic, version, slot count, table size, capacity, rows in use, arrival counter
    wake     WAKE_WORDS futex words (pgsvc.supervisor.futex): a waiter sleeps on the word
             its lock hashes to; whoever releases a lock that has waiters bumps the word
             and wakes its sleepers
    waits    one word per backend-registry slot: the row that backend waits on (+1), or 0
    rows     an open-addressing hash table (linear probing, tombstones) of
             (lock, holder, mode) rows, PostgreSQL's PROCLOCK with one mode each: state
             (granted / waiting / deleted), mode (ShareLock / ExclusiveLock), the lock's
             tag (database oid, two 32-bit key words, objsubid: pg_locks' database, classid,
             objid, objsubid), the holder's registry slot and pid, its place in the lock's
             wait queue, and when it began waiting

What PostgreSQL's rules become here (the caller, pgsvc.sql.pg_functions.advisory, keeps
the per-backend counts: a lock taken twice is one row, released when both are released):
  * a request is granted at once if no other backend holds a conflicting mode and no
    other backend waits for one (ShareLock conflicts only with ExclusiveLock);
  * otherwise it joins the lock's queue at the end, or — if the backend already holds
    the lock — just before the first waiter that waits for it (ProcSleep), granted at
    once if nothing ahead conflicts, failing with a deadlock if that waiter also blocks it;
  * a waiter is granted once nothing granted to others and no earlier waiter conflicts
    (ProcLockWakeup); each waiter grants itself, woken by the releaser or by its timeout;
  * deadlock search (pgsvc.supervisor.deadlock) follows "waits for" edges to holders
    and to earlier conflicting waiters, from the searching backend back to itself;
  * one lock outside PostgreSQL's model takes part: SQLite's one writer per database
    (pgsvc.sql.exec.txn). A backend that has written and waits for an advisory lock, and
    one of its advisory holders waiting to write, publish rows on the database's
    writer_tag (publish/retract) so that this cycle is found like any other.

Locking: one exclusive flock() on the file, through a descriptor each process opens for
itself (a flock belongs to an open file description: one inherited across fork would be
shared with every sibling and exclude nobody). The kernel drops it when its holder dies.
A row is written with one copy (its state byte last-or-together), so a backend killed
under the lock leaves either the row or none of it.

A backend's death, however it dies: its rows name its registry slot and pid, and a row
whose slot no longer holds that pid (the supervisor clears the slot when it reaps the
process) is no longer held — readers skip it and whoever meets it under the lock deletes
it. Waiters re-check at least every POLL seconds, so a lock whose holder was killed
passes to them that long after the reap at the latest. A backend that exits normally
releases its rows itself.
"""

from __future__ import annotations

import ctypes
import fcntl
import mmap
import os
import struct
import time
from contextlib import contextmanager
from dataclasses import dataclass

from pgsvc.errors import StartupError
from pgsvc.supervisor import futex

MAGIC = b"PGSVCLCK"
VERSION = 1
_HEADER = struct.Struct("=8sIIIIIQ")  # magic, version, nslots, table size, capacity, in use, arrivals
_USED_OFFSET = 24
_ARRIVAL_OFFSET = 28
HEADER_SIZE = 64
WAKE_WORDS = 256
_WAKE_OFFSET = HEADER_SIZE
_WORD = struct.Struct("=I")
# state, mode, objsubid, (pad), slot, (pad), pid, database oid, key1, key2, arrival, wait start
_ROW = struct.Struct("=BBBxHxxiIIIdd")
ROW_SIZE = _ROW.size
_ARRIVAL_FIELD = 24  # offset of the arrival within a row
FREE, GRANTED, WAITING, DELETED = 0, 1, 2, 3
SHARE, EXCLUSIVE = 1, 2
WRITER = 0  # objsubid of writer_tag (advisory locks use 1 and 2)
MODE_NAMES = {SHARE: "ShareLock", EXCLUSIVE: "ExclusiveLock"}
POLL = 0.1  # a waiter re-checks at least this often (a holder killed without releasing)
_SCAN_CHUNK = ROW_SIZE * 64


def writer_tag(dboid: int) -> tuple[int, int, int, int]:
    """The tag standing for a database's writer lock in deadlock searches (objsubid 0: no
    advisory lock has it, and pg_locks does not list it)."""
    return (dboid, 0, 0, WRITER)


def conflicts(a: int, b: int) -> bool:
    """PostgreSQL's conflict table for the two modes advisory locks use."""
    return a == EXCLUSIVE or b == EXCLUSIVE


def _tag_hash(tag: tuple) -> int:
    db, k1, k2, sub = tag
    h = (db * 0x9E3779B1) ^ (k1 * 0x85EBCA77) ^ (k2 * 0xC2B2AE3D) ^ (sub * 0x27D4EB2F)
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFFFFFF
    return h ^ (h >> 17)


class OutOfSharedMemory(Exception):
    """The table holds `capacity` rows already (PostgreSQL: max_locks_per_transaction)."""


@dataclass
class Row:
    index: int
    state: int
    mode: int
    slot: int
    pid: int
    tag: tuple
    arrival: float
    since: float


@dataclass
class Waiting:
    """A request in a lock's queue: its row, and the futex word it sleeps on."""

    index: int
    tag: tuple
    mode: int
    arrival: float
    word: int


class LockTable:
    def __init__(self, path: str | None, mem: mmap.mmap, nslots: int, size: int, registry=None) -> None:
        self.path = path
        self.mem = mem
        self.nslots = nslots
        self.size = size  # rows in the hash table (a power of two)
        self.mask = size - 1
        self.capacity = _HEADER.unpack_from(mem, 0)[4]
        self.registry = registry  # liveness of row holders (None: a private table, all alive)
        self.waits_offset = _WAKE_OFFSET + WAKE_WORDS * 4
        self.rows_offset = _rows_offset(nslots)
        self._lock_fd: int | None = None
        self._lock_pid = 0
        self._anchor = None  # keeps the mapping's address valid for futex calls
        self._address = 0
        self.my_slot = 0  # a private table's one "backend"

    # ------------------------------------------------------------ creation
    @classmethod
    def create(cls, path: str, nslots: int, capacity: int, registry) -> LockTable:
        """A fresh, empty table (advisory locks do not survive a restart)."""
        size = _table_size(capacity)
        total = _rows_offset(nslots) + size * ROW_SIZE
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            os.ftruncate(fd, total)  # sparse: pages cost memory only once written
            mem = mmap.mmap(fd, total, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except (OSError, OverflowError, ValueError) as e:
            os.close(fd)
            os.unlink(path)
            # PostgreSQL's answer to a shared memory request it cannot map
            raise StartupError(f"pgsvc: could not map the lock table ({total} bytes): {e}\n"
                               "HINT:  Reduce max_locks_per_transaction or max_connections.") from None
        os.close(fd)
        _HEADER.pack_into(mem, 0, MAGIC, VERSION, nslots, size, capacity, 0, 0)
        return cls(path, mem, nslots, size, registry)

    @classmethod
    def private(cls, capacity: int = 4096) -> LockTable:
        """A table no other process sees (an engine run without a server: unit tests)."""
        size = _table_size(capacity)
        mem = mmap.mmap(-1, _rows_offset(1) + size * ROW_SIZE)
        _HEADER.pack_into(mem, 0, MAGIC, VERSION, 1, size, capacity, 0, 0)
        return cls(None, mem, 1, size, None)

    def close(self) -> None:
        if self._lock_fd is not None and self._lock_pid == os.getpid():
            os.close(self._lock_fd)
        self._lock_fd = None
        self._anchor = None
        self.mem.close()

    # ------------------------------------------------------------ the lock
    @contextmanager
    def locked(self):
        if self.path is None:
            yield self
            return
        fd = self._lock_descriptor()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield self
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _lock_descriptor(self) -> int:
        # Invariant: this process's own open file description (see the module docstring);
        # a descriptor opened by another process (inherited) would not exclude it.
        if self._lock_fd is None or self._lock_pid != os.getpid():
            self._lock_fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
            self._lock_pid = os.getpid()
        return self._lock_fd

    # ------------------------------------------------------------ who am I, who is alive
    def me(self) -> tuple[int, int]:
        """(registry slot, pid) of this backend."""
        if self.registry is None:
            return 0, os.getpid()
        return self.registry.my_slot, os.getpid()

    def alive(self, slot: int, pid: int) -> bool:
        return self.registry is None or self.registry.pid_of(slot) == pid

    # ------------------------------------------------------------ rows (under the lock)
    def row(self, index: int) -> Row:
        st, mode, sub, slot, pid, db, k1, k2, arrival, since = _ROW.unpack_from(
            self.mem, self.rows_offset + index * ROW_SIZE)
        return Row(index, st, mode, slot, pid, (db, k1, k2, sub), arrival, since)

    def _write(self, index: int, state: int, mode: int, slot: int, pid: int, tag: tuple, arrival: float,
               since: float) -> None:
        db, k1, k2, sub = tag
        _ROW.pack_into(self.mem, self.rows_offset + index * ROW_SIZE, state, mode, sub, slot, pid, db, k1, k2,
                       arrival, since)

    def _set_state(self, index: int, state: int, since: float = 0.0) -> None:
        off = self.rows_offset + index * ROW_SIZE
        struct.pack_into("=d", self.mem, off + ROW_SIZE - 8, since)
        self.mem[off] = state

    def _used(self) -> int:
        return _WORD.unpack_from(self.mem, _USED_OFFSET)[0]

    def _add_used(self, n: int) -> None:
        _WORD.pack_into(self.mem, _USED_OFFSET, max(0, self._used() + n))

    def _next_arrival(self) -> float:
        n = struct.unpack_from("=Q", self.mem, _ARRIVAL_OFFSET)[0] + 1
        struct.pack_into("=Q", self.mem, _ARRIVAL_OFFSET, n)
        return float(n)

    def _delete(self, index: int) -> None:
        """Drop a row: a tombstone, turned free (with the tombstones before it) when the
        row after it is free — no live row's probe sequence passes through a free row."""
        base, mem, mask = self.rows_offset, self.mem, self.mask
        mem[base + index * ROW_SIZE] = DELETED
        self._add_used(-1)
        if mem[base + ((index + 1) & mask) * ROW_SIZE] != FREE:
            return
        i = index
        for _ in range(self.size):
            off = base + i * ROW_SIZE
            if mem[off] != DELETED:
                break
            mem[off:off + ROW_SIZE] = bytes(ROW_SIZE)
            i = (i - 1) & mask

    def scan(self, tag: tuple) -> tuple[list[Row], int]:
        """The live rows of `tag`, and where a new row of it may go (-1: table full).
        Rows of dead holders met on the way are deleted."""
        base, mem, mask = self.rows_offset, self.mem, self.mask
        i = _tag_hash(tag) & mask
        rows: list[Row] = []
        reuse = -1
        for _ in range(self.size):
            st = mem[base + i * ROW_SIZE]
            if st == FREE:
                if reuse < 0:
                    reuse = i
                break
            if st == DELETED:
                if reuse < 0:
                    reuse = i
            else:
                row = self.row(i)
                if row.tag == tag:
                    if self.alive(row.slot, row.pid):
                        rows.append(row)
                    else:
                        self._delete(i)
                        if reuse < 0:
                            reuse = i
            i = (i + 1) & mask
        return rows, reuse

    def _insert(self, tag: tuple, reuse: int, state: int, mode: int, arrival: float, since: float) -> int:
        if reuse < 0 or self._used() >= self.capacity:
            self.sweep()
            rows, reuse = self.scan(tag)
            if reuse < 0 or self._used() >= self.capacity:
                raise OutOfSharedMemory()
        slot, pid = self.me()
        self._write(reuse, state, mode, slot, pid, tag, arrival, since)
        self._add_used(1)
        return reuse

    def sweep(self) -> None:
        """Delete every row whose holder is gone, and count the rest (under the lock)."""
        used = 0
        for i in range(self.size):
            if self.mem[self.rows_offset + i * ROW_SIZE] in (GRANTED, WAITING):
                row = self.row(i)
                if self.alive(row.slot, row.pid):
                    used += 1
                else:
                    self._delete(i)
        _WORD.pack_into(self.mem, _USED_OFFSET, used)

    # ------------------------------------------------------------ wake-ups
    def word_index(self, tag: tuple) -> int:
        return _tag_hash(tag) % WAKE_WORDS

    def bump(self, word: int) -> None:
        off = _WAKE_OFFSET + word * 4
        _WORD.pack_into(self.mem, off, (_WORD.unpack_from(self.mem, off)[0] + 1) & 0xFFFFFFFF)

    def _word_address(self, word: int) -> int:
        if self._anchor is None:
            self._anchor = ctypes.c_char.from_buffer(self.mem)
            self._address = ctypes.addressof(self._anchor)
        return self._address + _WAKE_OFFSET + word * 4

    def wake(self, word: int) -> None:
        """Wake the sleepers of a word bumped under the lock (called after leaving it)."""
        futex.wake(self._word_address(word))

    def sleep(self, waiting: Waiting, value: int, timeout: float) -> None:
        """Sleep until the lock's word moves from `value` (read under the lock), a signal
        arrives, or `timeout` passes."""
        futex.wait(self._word_address(waiting.word), value, min(timeout, POLL))

    def _set_waiting_on(self, index: int) -> None:
        slot, _ = self.me()
        _WORD.pack_into(self.mem, self.waits_offset + slot * 4, index + 1)

    def waiting_row(self, slot: int, pid: int) -> Row | None:
        """The row a live backend waits on, if it waits."""
        if not 0 <= slot < self.nslots:
            return None
        n = _WORD.unpack_from(self.mem, self.waits_offset + slot * 4)[0]
        if not n:
            return None
        row = self.row(n - 1)
        if row.state != WAITING or row.slot != slot or row.pid != pid:
            return None
        return row

    # ------------------------------------------------------------ requests
    def acquire(self, tag: tuple, mode: int, wait: bool) -> bool | Waiting:
        """Request `mode` on `tag` for this backend (which does not hold that mode yet):
        True granted, False busy (wait=False), or a Waiting to hand to poll() until it is
        granted. Raises Deadlock if joining the queue would close a cycle at once (a
        waiter this backend blocks blocks it too), OutOfSharedMemory if the table is full."""
        with self.locked():
            rows, reuse = self.scan(tag)
            slot, pid = self.me()
            others = [r for r in rows if r.slot != slot or r.pid != pid]
            held_busy = any(r.state == GRANTED and conflicts(mode, r.mode) for r in others)
            waiters = sorted((r for r in others if r.state == WAITING), key=lambda r: r.arrival)
            if not held_busy and not any(conflicts(mode, w.mode) for w in waiters):
                self._insert(tag, reuse, GRANTED, mode, 0.0, 0.0)
                return True
            if not wait:
                return False
            mine = [r.mode for r in rows if r.state == GRANTED and r.slot == slot and r.pid == pid]
            arrival = self._next_arrival()
            if mine:
                ahead: list[int] = []
                before = 0.0
                for w in waiters:
                    if any(conflicts(w.mode, m) for m in mine):
                        theirs = [r.mode for r in others if r.slot == w.slot and r.pid == w.pid
                                  and r.state == GRANTED]
                        if any(conflicts(mode, m) for m in theirs):
                            raise Deadlock([(pid, mode, tag), (w.pid, w.mode, w.tag)])
                        if not held_busy and not any(conflicts(mode, m) for m in ahead):
                            self._insert(tag, reuse, GRANTED, mode, 0.0, 0.0)
                            return True
                        arrival = (before + w.arrival) / 2 if before else w.arrival - 0.5
                        break
                    ahead.append(w.mode)
                    before = w.arrival
            index = self._insert(tag, reuse, WAITING, mode, arrival, time.time())
            self._set_waiting_on(index)
            return Waiting(index, tag, mode, arrival, self.word_index(tag))

    def poll(self, waiting: Waiting) -> tuple[bool, int]:
        """(granted now?, the value of the lock's futex word to sleep on if not)."""
        with self.locked():
            rows, _ = self.scan(waiting.tag)
            slot, pid = self.me()
            arrival = self.row(waiting.index).arrival  # moved by a deadlock search's rearrangement?
            blocked = False
            for r in rows:
                if r.slot == slot and r.pid == pid:
                    continue
                if r.state == GRANTED or r.arrival < arrival:
                    if conflicts(waiting.mode, r.mode):
                        blocked = True
                        break
            if not blocked:
                self._set_state(waiting.index, GRANTED)
                _WORD.pack_into(self.mem, self.waits_offset + slot * 4, 0)
                return True, 0
            return False, _WORD.unpack_from(self.mem, _WAKE_OFFSET + waiting.word * 4)[0]

    def cancel(self, waiting: Waiting) -> None:
        """Leave the queue (timeout, cancel, deadlock): those behind may go now."""
        with self.locked():
            slot, pid = self.me()
            _WORD.pack_into(self.mem, self.waits_offset + slot * 4, 0)
            row = self.row(waiting.index)
            if row.state != WAITING or row.slot != slot or row.pid != pid:
                return
            self._delete(waiting.index)
            self.bump(waiting.word)
        self.wake(waiting.word)

    # ------------------------------------------------------------ the database's writer lock
    def publish(self, tag: tuple, state: int) -> Waiting:
        """Make a lock this table does not manage visible to deadlock searches (SQLite's one
        writer per database, pgsvc.sql.exec.txn: writer_tag): GRANTED while this backend
        holds it and waits here for an advisory lock, WAITING while it waits for it. No
        queue order (arrival 0: its waiters are no one's soft blockers)."""
        with self.locked():
            _, reuse = self.scan(tag)
            index = self._insert(tag, reuse, state, EXCLUSIVE, 0.0, time.time() if state == WAITING else 0.0)
            if state == WAITING:
                self._set_waiting_on(index)
            return Waiting(index, tag, EXCLUSIVE, 0.0, self.word_index(tag))

    def retract(self, published: Waiting) -> None:
        with self.locked():
            slot, pid = self.me()
            row = self.row(published.index)
            if row.state == WAITING:
                _WORD.pack_into(self.mem, self.waits_offset + slot * 4, 0)
            if row.state in (GRANTED, WAITING) and row.slot == slot and row.pid == pid and row.tag == published.tag:
                self._delete(published.index)

    def release(self, tag: tuple, mode: int) -> None:
        """This backend no longer holds `mode` on `tag` (its last count was released)."""
        woken = False
        with self.locked():
            rows, _ = self.scan(tag)
            slot, pid = self.me()
            for r in rows:
                if r.slot == slot and r.pid == pid and r.state == GRANTED and r.mode == mode:
                    self._delete(r.index)
                    break
            if any(r.state == WAITING and (r.slot != slot or r.pid != pid) for r in rows):
                word = self.word_index(tag)
                self.bump(word)
                woken = True
        if woken:
            self.wake(word)

    def set_arrival(self, index: int, arrival: float) -> None:
        """Move a waiting row in its lock's queue (a deadlock search's rearrangement)."""
        struct.pack_into("=d", self.mem, self.rows_offset + index * ROW_SIZE + _ARRIVAL_FIELD, arrival)

    def waiting_pids(self) -> set[int]:
        """The pids of the backends waiting for a lock (pg_stat_activity's wait_event)."""
        out = set()
        with self.locked():
            for slot in range(self.nslots):
                if _WORD.unpack_from(self.mem, self.waits_offset + slot * 4)[0]:
                    row = self.waiting_row(slot, self.registry.pid_of(slot) if self.registry else os.getpid())
                    if row is not None and row.tag[3] != WRITER:
                        out.add(row.pid)
        return out

    # ------------------------------------------------------------ pg_locks
    def rows(self) -> list[Row]:
        """Every live advisory-lock row (granted and waiting), for pg_locks."""
        start, end = self.rows_offset, self.rows_offset + self.size * ROW_SIZE
        with self.locked():
            data = self.mem[start:end]
        zero = bytes(_SCAN_CHUNK)
        out = []
        for c in range(0, len(data), _SCAN_CHUNK):
            chunk = data[c:c + _SCAN_CHUNK]
            if chunk == zero[:len(chunk)]:
                continue
            for n, f in enumerate(_ROW.iter_unpack(chunk)):
                st, mode, sub, slot, pid, db, k1, k2, arrival, since = f
                if st in (GRANTED, WAITING) and sub != WRITER and self.alive(slot, pid):
                    out.append(Row(c // ROW_SIZE + n, st, mode, slot, pid, (db, k1, k2, sub), arrival, since))
        return out


class Deadlock(Exception):
    """A cycle of waits: [(pid, mode, tag)], each waiting for the next (the last for the first)."""

    def __init__(self, cycle: list[tuple[int, int, tuple]]) -> None:
        super().__init__("deadlock detected")
        self.cycle = cycle


def _table_size(capacity: int) -> int:
    size = 64
    while size < 2 * capacity:
        size *= 2
    return size


def _rows_offset(nslots: int) -> int:
    end = _WAKE_OFFSET + WAKE_WORDS * 4 + nslots * 4
    return (end + 4095) & ~4095
