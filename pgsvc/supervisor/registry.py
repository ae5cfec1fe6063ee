"""The backend registry: one shared-memory segment, a fixed slot per process.

Created by the supervisor before it forks anything (start-up step 3 ends with it),
mapped MAP_SHARED from a file in the data directory so that backends (inherited
mapping), `pgsvc status` (maps the file read-only) and pg_stat_activity all see the
same bytes. The supervisor assigns a slot at fork and clears it at reap; a backend
writes only its own slot. Each slot carries a sequence counter (odd while being
written), so readers retry instead of seeing a half-written row — no locks needed.

It serves: cancel requests (pid + secret key), max_connections accounting,
pg_stat_activity, `pgsvc status`.
"""

from __future__ import annotations

import mmap
import os
import struct
import time
from dataclasses import dataclass

MAGIC = b"PGSVCREG"
VERSION = 1
QUERY_BYTES = 1024  # PostgreSQL's track_activity_query_size default
_HEADER = struct.Struct("!8sIIiidqqqq")  # magic, version, nslots, supervisor pid, pad, start, 4 counters
HEADER_SIZE = 128
# seq, pid, key, kind, state, backend_start, xact_start, query_start, state_change,
# client_port, commits, rollbacks, user, database, application_name, client_addr
_SLOT_FIXED = struct.Struct("!IiiBBddddiqq64s64s64s48s")
SLOT_SIZE = 1536
_QUERY_OFFSET = _SLOT_FIXED.size
# The per-query write touches only this run of the slot (offsets within _SLOT_FIXED), so
# that a statement costs one pack_into between the two of the sequence counter instead of
# re-packing the row.
_SEQ = struct.Struct("!I")
_PID = struct.Struct("!i")  # right after the sequence counter
# state, backend_start, xact_start, query_start, state_change, client_port, commits, rollbacks
_ACTIVITY = struct.Struct("!Bddddiqq")
_ACTIVITY_OFFSET = 13
# After the query text: 1 when the slot's backend is a walsender (a replication connection;
# its kind stays KIND_BACKEND for the connection accounting, cancel and terminate)
_WALSENDER_OFFSET = _QUERY_OFFSET + QUERY_BYTES

KIND_FREE, KIND_BACKEND, KIND_AUX, KIND_DEADEND = 0, 1, 2, 3
STATES = ["", "starting", "idle", "active", "idle in transaction",
          "idle in transaction (aborted)", "fastpath function call", "disabled"]
STATE_CODES = {name: i for i, name in enumerate(STATES)}
KIND_NAMES = {KIND_BACKEND: "client backend", KIND_AUX: "auxiliary", KIND_DEADEND: "dead-end"}


@dataclass(frozen=True)
class SlotInfo:
    index: int
    pid: int
    cancel_key: int
    kind: int
    state: str
    backend_start: float
    xact_start: float
    query_start: float
    state_change: float
    client_addr: str
    client_port: int
    user: str
    database: str
    application_name: str
    query: str
    xact_commit: int
    xact_rollback: int
    walsender: bool = False  # pg_stat_activity's backend_type "walsender"


def _text(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("utf-8", "replace")


def _fit(text: str, size: int) -> bytes:
    raw = text.encode("utf-8")[:size]
    return raw.decode("utf-8", "ignore").encode("utf-8")


class Registry:
    def __init__(self, mem: mmap.mmap, nslots: int) -> None:
        self.mem = mem
        self.nslots = nslots
        self.my_slot: int | None = None  # set in a backend after fork
        self._query_text: str | None = None  # the text in my slot's query field (see report)
        # A backend is its slot's only writer, so it keeps what report() writes instead of
        # reading it back: [offset, seq, state, backend_start, xact_start, query_start,
        # state_change, client_port, commits, rollbacks]. None: read the slot first (after
        # the fork, or after a whole-row write).
        self._mine: list | None = None
        self._pending = False  # counted transactions not yet written (count_transaction)

    # ------------------------------------------------------------ creation / attach
    @classmethod
    def create(cls, path: str, nslots: int) -> Registry:
        size = HEADER_SIZE + nslots * SLOT_SIZE
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            os.ftruncate(fd, size)
            mem = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        _HEADER.pack_into(mem, 0, MAGIC, VERSION, nslots, os.getpid(), 0, time.time(), 0, 0, 0, 0)
        return cls(mem, nslots)

    @classmethod
    def attach(cls, path: str) -> Registry:
        """Map an existing registry read-only (pgsvc status)."""
        with open(path, "rb") as f:
            mem = mmap.mmap(f.fileno(), 0, mmap.MAP_SHARED, mmap.PROT_READ)
        magic, version, nslots = _HEADER.unpack_from(mem, 0)[:3]
        if magic != MAGIC or version != VERSION:
            raise ValueError(f"{path}: not a pgsvc registry")
        return cls(mem, nslots)

    def close(self) -> None:
        self.mem.close()

    def header(self) -> dict:
        _, _, nslots, pid, _, start, commits, rollbacks, _, _ = _HEADER.unpack_from(self.mem, 0)
        return {"slots": nslots, "supervisor_pid": pid, "start_time": start,
                "xact_commit": commits, "xact_rollback": rollbacks}

    def _offset(self, index: int) -> int:
        return HEADER_SIZE + index * SLOT_SIZE

    # ------------------------------------------------------------ supervisor side
    def claim(self, index: int, pid: int, kind: int, cancel_key: int, client_addr: str,
              client_port: int) -> None:
        now = time.time()
        off = self._offset(index)
        self._write(off, pid, cancel_key, kind, STATE_CODES["starting"], now, 0.0, 0.0, now,
                    client_port, 0, 0, b"", b"", b"", _fit(client_addr, 48), b"")

    def release(self, index: int) -> None:
        """Clear a reaped child's slot, folding its counters into the cluster totals."""
        off = self._offset(index)
        fields = _SLOT_FIXED.unpack_from(self.mem, off)
        commits, rollbacks = fields[10], fields[11]
        if commits or rollbacks:
            head = list(_HEADER.unpack_from(self.mem, 0))
            head[6] += commits
            head[7] += rollbacks
            _HEADER.pack_into(self.mem, 0, *head)
        seq = fields[0]
        struct.pack_into("!I", self.mem, off, seq + 1)
        self.mem[off + 4:off + SLOT_SIZE] = bytes(SLOT_SIZE - 4)
        struct.pack_into("!I", self.mem, off, seq + 2)

    def free_slot(self, busy: set[int]) -> int | None:
        for i in range(self.nslots):
            if i not in busy:
                return i
        return None

    # ------------------------------------------------------------ backend side
    def _write(self, off: int, pid, key, kind, state, bstart, xstart, qstart, schange, port,
               commits, rollbacks, user, database, appname, addr, query: bytes | None) -> None:
        self._mine = None  # (re-read at the next report: this row may have changed it)
        seq = struct.unpack_from("!I", self.mem, off)[0]
        struct.pack_into("!I", self.mem, off, seq + 1)  # odd: being written
        _SLOT_FIXED.pack_into(self.mem, off, seq + 1, pid, key, kind, state, bstart, xstart, qstart,
                              schange, port, commits, rollbacks, user, database, appname, addr)
        if query is not None:
            self._write_query(off, query)
        struct.pack_into("!I", self.mem, off, seq + 2)

    def _my_row(self) -> tuple[int, list]:
        """My slot's row to change and write whole, with the transactions counted so far."""
        self.flush_counts()
        off = self._offset(self.my_slot)
        return off, list(_SLOT_FIXED.unpack_from(self.mem, off))

    def set_pid(self, pid: int) -> None:
        self._mine, self._pending = None, False  # the first write of this process (after the fork)
        off, f = self._my_row()
        f[1] = pid
        self._write(off, *f[1:], query=None)

    def set_identity(self, user: str, database: str, application_name: str) -> None:
        off, f = self._my_row()
        f[12], f[13], f[14] = _fit(user, 64), _fit(database, 64), _fit(application_name, 64)
        self._write(off, *f[1:], query=None)

    def set_walsender(self) -> None:
        """This backend serves a replication connection (set once, at start-up)."""
        off = self._offset(self.my_slot)
        seq = _SEQ.unpack_from(self.mem, off)[0]
        _SEQ.pack_into(self.mem, off, seq + 1)  # odd: being written
        self.mem[off + _WALSENDER_OFFSET] = 1
        _SEQ.pack_into(self.mem, off, seq + 2)
        if self._mine is not None:
            self._mine[1] = seq + 2

    def set_application_name(self, name: str) -> None:
        off, f = self._my_row()
        f[14] = _fit(name, 64)
        self._write(off, *f[1:], query=None)

    def report(self, state: str, query: str | None, in_transaction: bool) -> None:
        """State change: 'active' with the query text, 'idle', 'idle in transaction', ...

        Runs twice per statement, so it is one write of the slot's activity run (state,
        times, the transactions counted since) between the two of the sequence counter,
        and of the query text only when it differs from the one already there. A backend
        is its slot's only writer, so it knows what the slot holds (`_mine`) and reads
        nothing back."""
        m = self._mine or self._read_mine()
        mem, off = self.mem, m[0]
        now = time.time()
        xstart = m[4]
        if state == "active":
            m[5] = now  # query_start
            if not xstart:
                xstart = now
        elif not in_transaction:
            xstart = 0.0
        if in_transaction and not xstart:
            xstart = now
        m[4] = xstart
        m[2] = STATE_CODES.get(state, 0)
        m[6] = now
        seq = m[1] + 2  # (_write_mine, written out: this runs twice per statement)
        m[1] = seq
        self._pending = False
        _SEQ.pack_into(mem, off, seq - 1)  # odd: being written
        _ACTIVITY.pack_into(mem, off + _ACTIVITY_OFFSET, *m[2:])
        if query is not None and query != self._query_text:
            self._write_query(off, query.encode("utf-8", "replace"))
            self._query_text = query
        _SEQ.pack_into(mem, off, seq)

    def _read_mine(self) -> list:
        off = self._offset(self.my_slot)
        self._mine = [off, _SEQ.unpack_from(self.mem, off)[0],
                      *_ACTIVITY.unpack_from(self.mem, off + _ACTIVITY_OFFSET)]
        return self._mine

    def _write_mine(self, m: list, text: str | None) -> None:
        mem, off = self.mem, m[0]
        seq = m[1] + 2
        m[1] = seq
        self._pending = False
        _SEQ.pack_into(mem, off, seq - 1)  # odd: being written
        _ACTIVITY.pack_into(mem, off + _ACTIVITY_OFFSET, *m[2:])
        if text is not None:
            self._write_query(off, text.encode("utf-8", "replace"))
            self._query_text = text
        _SEQ.pack_into(mem, off, seq)

    def _write_query(self, off: int, query: bytes) -> None:
        q = query[:QUERY_BYTES - 1] + b"\x00"
        self.mem[off + _QUERY_OFFSET:off + _QUERY_OFFSET + len(q)] = q

    def count_transaction(self, committed: bool) -> None:
        """A finished transaction, counted here and written with the next report (the one
        that precedes ReadyForQuery), as PostgreSQL flushes its pending statistics when
        the backend goes idle rather than at every commit."""
        m = self._mine or self._read_mine()
        if committed:
            m[8] += 1
        else:
            m[9] += 1
        self._pending = True

    def flush_counts(self) -> None:
        """Write counted transactions not yet reported (a backend about to exit)."""
        if self._pending and self._mine is not None:
            self._pending = False
            self._write_mine(self._mine, None)

    # ------------------------------------------------------------ readers
    def read_slot(self, index: int) -> SlotInfo | None:
        off = self._offset(index)
        for _ in range(100):
            f = _SLOT_FIXED.unpack_from(self.mem, off)
            if f[0] & 1:
                continue
            query = _text(self.mem[off + _QUERY_OFFSET:off + _QUERY_OFFSET + QUERY_BYTES])
            walsender = self.mem[off + _WALSENDER_OFFSET] == 1
            if struct.unpack_from("!I", self.mem, off)[0] != f[0]:
                continue
            if f[3] == KIND_FREE:
                return None
            return SlotInfo(index, f[1], f[2], f[3], STATES[f[4]] if f[4] < len(STATES) else "",
                            f[5], f[6], f[7], f[8], _text(f[15]), f[9], _text(f[12]), _text(f[13]),
                            _text(f[14]), query, f[10], f[11], walsender)
        return None

    def pid_of(self, index: int) -> int:
        """The pid in a slot (0 when free): one aligned word, no retry needed. A lock-table
        row is held while its slot still holds its holder's pid (pgsvc.supervisor.lock_table)."""
        if not 0 <= index < self.nslots:
            return 0
        return _PID.unpack_from(self.mem, self._offset(index) + 4)[0]

    def slots(self) -> list[SlotInfo]:
        return [s for i in range(self.nslots) if (s := self.read_slot(i)) is not None]

    def find(self, pid: int) -> SlotInfo | None:
        for s in self.slots():
            if s.pid == pid:
                return s
        return None
