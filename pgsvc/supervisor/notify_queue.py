"""The notification queue behind LISTEN/NOTIFY: one shared-memory ring for the whole
cluster (PostgreSQL's async.c queue), created by the supervisor before it forks.

(Not to be confused with pgsvc.supervisor.notify, which talks to systemd.)

A committing backend appends its notifications at the head; every listening backend
reads from its own position up to the head, keeps what is for its database and its
channels, and sends those to its client. Nothing here knows which backend listens on
which channel: each keeps its channel list in its own memory and filters (async.c's
model), so the queue holds every committed notification of every database.

Layout of DATADIR/pgsvc_notify.shm (mapped MAP_SHARED, inherited by every backend):

    header      magic, version, slot count, ring size, head, time of the last fill warning
    listeners   one row per backend-registry slot (pgsvc.supervisor.registry): listening
                flag, pid, database oid, position (how far that backend has read)
    ring        entries [length, database oid, sender pid, channel bytes, payload bytes]
                followed by the channel and payload; 4-byte aligned; an entry may wrap
                around the ring's end

Positions are absolute byte counts that only grow (64 bits: they never wrap); the byte
of position p is at ring offset p % size. The tail (the oldest byte still needed) is the
smallest position of the listening backends, or the head when nobody listens. A commit
fits if size - (head - tail) holds its entries; otherwise it fails with PostgreSQL's
"too many notifications in the NOTIFY queue" (54000) before anything is committed.

Locking: one exclusive flock() on the file, through a descriptor each process opens for
itself (a flock belongs to an open file description: one inherited across fork would be
shared with every sibling and exclude nobody). The kernel drops it when its holder dies,
however it dies. It is held to copy bytes, and by a committing backend across its
database COMMIT, so that the queue's order is the order of commits.

The supervisor: create() before the first fork; release(slot) when it reaps a backend,
so that a backend that crashed stops holding the tail (no lock needed: the backend is
dead and the flag is one aligned word).
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
from contextlib import contextmanager

MAGIC = b"PGSVCNTF"
VERSION = 1
PAGE_SIZE = 8192  # max_notify_queue_pages counts pages of this size, as PostgreSQL 17's
_HEADER = struct.Struct("!8sIIQQd")  # magic, version, nslots, size, head, last fill warning
_HEAD_OFFSET = 24
_WARN_OFFSET = 32
HEADER_SIZE = 64
_SLOT = struct.Struct("!IiIIQ")  # listening, pid, database oid, (unused), position
SLOT_SIZE = 32
_ENTRY = struct.Struct("!IIiHH")  # length (aligned, header included), database oid, pid, channel, payload
_POS = struct.Struct("!Q")
_FLAG = struct.Struct("!I")
# An entry is never longer than this: a 63-byte channel, a 7999-byte payload, the header.
MAX_ENTRY = 8192
# Listeners of other databases are woken only once they lag this far behind: they read
# nothing of ours, but their position holds the tail (async.c's QUEUE_CLEANUP_DELAY).
OTHER_DATABASE_LAG = 4 * PAGE_SIZE


def encode_entry(dboid: int, pid: int, channel: str, payload: str) -> bytes:
    """One queue entry's bytes (channel and payload as UTF-8)."""
    ch = channel.encode("utf-8")
    pl = payload.encode("utf-8")
    n = _ENTRY.size + len(ch) + len(pl)
    padded = (n + 3) & ~3
    return _ENTRY.pack(padded, dboid, pid, len(ch), len(pl)) + ch + pl + bytes(padded - n)


class NotifyQueue:
    def __init__(self, path: str, mem: mmap.mmap, nslots: int, size: int) -> None:
        self.path = path
        self.mem = mem
        self.nslots = nslots
        self.size = size
        self.ring = _ring_offset(nslots)
        self.my_slot: int | None = None  # set in a backend after fork
        self._lock_fd: int | None = None
        self._lock_pid = 0

    # ------------------------------------------------------------ creation
    @classmethod
    def create(cls, path: str, nslots: int, pages: int) -> NotifyQueue:
        """A fresh, empty queue (PostgreSQL empties pg_notify at every start too)."""
        size = pages * PAGE_SIZE
        total = _ring_offset(nslots) + size
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            os.ftruncate(fd, total)  # sparse: pages cost memory only once written
            mem = mmap.mmap(fd, total, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        _HEADER.pack_into(mem, 0, MAGIC, VERSION, nslots, size, 0, 0.0)
        return cls(path, mem, nslots, size)

    @classmethod
    def attach(cls, path: str) -> NotifyQueue:
        """Map an existing queue (a process that did not inherit the mapping)."""
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        try:
            mem = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        magic, version, nslots, size = _HEADER.unpack_from(mem, 0)[:4]
        if magic != MAGIC or version != VERSION:
            mem.close()
            raise ValueError(f"{path}: not a pgsvc notification queue")
        return cls(path, mem, nslots, size)

    def close(self) -> None:
        if self._lock_fd is not None and self._lock_pid == os.getpid():
            os.close(self._lock_fd)
        self._lock_fd = None
        self.mem.close()

    # ------------------------------------------------------------ supervisor side
    def release(self, index: int) -> None:
        """A reaped backend's row: no longer a listener, whatever it was doing when it died."""
        _FLAG.pack_into(self.mem, self._slot_offset(index), 0)

    # ------------------------------------------------------------ the lock
    @contextmanager
    def locked(self):
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

    # ------------------------------------------------------------ shared state (under the lock)
    def head(self) -> int:
        return _POS.unpack_from(self.mem, _HEAD_OFFSET)[0]

    def last_warning(self) -> float:
        return struct.unpack_from("!d", self.mem, _WARN_OFFSET)[0]

    def set_last_warning(self, when: float) -> None:
        struct.pack_into("!d", self.mem, _WARN_OFFSET, when)

    def _slot_offset(self, index: int) -> int:
        return HEADER_SIZE + index * SLOT_SIZE

    def slot(self, index: int) -> tuple[int, int, int, int]:
        """(listening, pid, database oid, position) of one row."""
        listening, pid, dboid, _, pos = _SLOT.unpack_from(self.mem, self._slot_offset(index))
        return listening, pid, dboid, pos

    def listeners(self) -> list[tuple[int, int, int, int]]:
        """(slot, pid, database oid, position) of every listening backend."""
        out = []
        for i in range(self.nslots):
            listening, pid, dboid, pos = self.slot(i)
            if listening:
                out.append((i, pid, dboid, pos))
        return out

    def tail(self) -> int:
        head = self.head()
        return min((pos for _, _, _, pos in self.listeners()), default=head)

    def usage(self) -> float:
        """pg_notification_queue_usage(): the fraction of the ring in use."""
        return (self.head() - self.tail()) / self.size

    def room(self) -> int:
        return self.size - (self.head() - self.tail())

    def oldest_listener(self) -> int | None:
        """The pid of a listener at the tail (the fill warning's detail)."""
        rows = self.listeners()
        if not rows:
            return None
        return min(rows, key=lambda r: r[3])[1]

    def register(self, pid: int, dboid: int) -> None:
        """This backend listens from now on: it reads what is appended after this point."""
        _SLOT.pack_into(self.mem, self._slot_offset(self.my_slot), 1, pid, dboid, 0, self.head())

    def unregister(self) -> None:
        _FLAG.pack_into(self.mem, self._slot_offset(self.my_slot), 0)

    def append(self, entries: list[bytes]) -> None:
        """Write entries at the head and move it past them (the caller checked room())."""
        pos = self.head()
        for data in entries:
            self._put(pos, data)
            pos += len(data)
        _POS.pack_into(self.mem, _HEAD_OFFSET, pos)

    def to_wake(self, dboid: int) -> list[int]:
        """The listeners to signal after an append: those of `dboid` that have not read
        everything, and those of other databases that lag far behind (they hold the tail)."""
        head = self.head()
        out = []
        for i, pid, their_db, pos in self.listeners():
            if i == self.my_slot or pos >= head:
                continue
            if their_db == dboid or head - pos >= OTHER_DATABASE_LAG:
                out.append(pid)
        return out

    def read(self, limit: int) -> tuple[list[tuple[int, int, str, str]], bool]:
        """Entries from this backend's position on, about `limit` bytes of them, as
        (database oid, sender pid, channel, payload); the position moves past them.
        Returns (entries, more): more is True when the head was not reached."""
        off = self._slot_offset(self.my_slot)
        listening, pid, dboid, _, pos = _SLOT.unpack_from(self.mem, off)
        head = self.head()
        out = []
        start = pos
        while pos < head and pos - start < limit:
            length, e_db, e_pid, chlen, pllen = _ENTRY.unpack(self._get(pos, _ENTRY.size))
            if length < _ENTRY.size or length > MAX_ENTRY or pos + length > head:
                pos = head  # not an entry (cannot happen short of memory corruption): skip all
                break
            body = self._get(pos + _ENTRY.size, chlen + pllen)
            out.append((e_db, e_pid, body[:chlen].decode("utf-8", "replace"),
                        body[chlen:].decode("utf-8", "replace")))
            pos += length
        _SLOT.pack_into(self.mem, off, listening, pid, dboid, 0, pos)
        return out, pos < head

    def behind(self) -> bool:
        """Has this backend something left to read? (A hint read without the lock.)"""
        return self.slot(self.my_slot)[3] != self.head()

    # ------------------------------------------------------------ ring bytes
    def _put(self, pos: int, data: bytes) -> None:
        off = pos % self.size
        first = min(len(data), self.size - off)
        base = self.ring
        self.mem[base + off:base + off + first] = data[:first]
        if first < len(data):
            self.mem[base:base + len(data) - first] = data[first:]

    def _get(self, pos: int, n: int) -> bytes:
        off = pos % self.size
        first = min(n, self.size - off)
        base = self.ring
        data = self.mem[base + off:base + off + first]
        if first < n:
            data += self.mem[base:base + n - first]
        return data


def _ring_offset(nslots: int) -> int:
    """The ring starts on a page boundary after the header and the listener rows."""
    used = HEADER_SIZE + nslots * SLOT_SIZE
    return (used + mmap.PAGESIZE - 1) // mmap.PAGESIZE * mmap.PAGESIZE
