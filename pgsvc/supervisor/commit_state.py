"""Commit state shared by the backends of one server: what PostgreSQL keeps in shared
memory as the shared-invalidation counters and XLogCtl's flushed WAL position.

Created by the supervisor before its first fork (start-up step 3); every backend inherits
the mapping and the descriptor. Layout:

    header   the shared catalog's change counter (roles, memberships, database ACLs)
    rows     one per database, claimed by the first backend that opens it:
               oid      the database (0: free)
               catalog  bumped after every commit that changed the database's catalog
               seq      the database's commit sequence, bumped after every write commit
                        (its "LSN": a commit's position in the WAL)
               flushed  the highest seq whose WAL writes are known to be on disk

Why counters: before each statement a backend must know whether another backend's DDL
(or GRANT, ALTER ROLE, ...) committed since it last looked. Asking SQLite (PRAGMA
data_version) costs a statement execution on each of two connections; comparing a word
of shared memory with the value last seen costs one read. A counter is bumped only after
the commit it announces, so a backend that sees the new value and re-reads sees the
commit. Bumps are read-modify-writes, so each has a lock: a database's counters are
bumped under its writer lock (pgsvc.sql.exec.txn), the shared catalog's under this
file's lock on byte 0.

Why seq/flushed (group commit, PostgreSQL's XLogFlush): a backend commits with SQLite's
synchronous=NORMAL under the writer lock (the WAL frames are written, not synced), bumps
seq, releases the writer lock, and only then makes its commit durable with flush(): if
`flushed` already covers its seq, another backend's fsync did it; otherwise it takes the
database's flush lock, looks again, reads seq (every commit up to it has written its
frames before bumping it), fsyncs the WAL and publishes that seq as flushed. Writers
thus hold the writer lock for CPU work only, and one fsync acknowledges every commit
written before it.

The file is an unnamed temporary file in the data directory (O_TMPFILE, or created and
unlinked at once): nothing to clean up, nothing another account can open. Locks are POSIX
record locks (lockf) on the inherited descriptor: they belong to the process, so siblings
sharing the descriptor still exclude each other, and the kernel drops them when their
holder dies. A backend never opens or closes another descriptor of this file (closing
one would drop its record locks).

Values are 8-byte aligned words (one load or store each on the architectures pgsvc runs on).
"""

from __future__ import annotations

import fcntl
import mmap
import os

ROWS = 1024  # databases with a row; beyond that a backend falls back (see claim)
HEADER_SIZE = 64
ROW_SIZE = 32  # oid (padded to 8), catalog, seq, flushed
_OID, _CATALOG, _SEQ, _FLUSHED = 0, 8, 16, 24  # byte offsets; 8-aligned, read as words
_CLAIM_BYTE = 0  # lockf byte for claiming rows and bumping the shared catalog's counter


def _unnamed_file(directory: str) -> int:
    """A file in `directory` that has no name (what tempfile.TemporaryFile makes: O_TMPFILE,
    else a named file unlinked at once); tempfile itself costs ~3 ms to import before READY."""
    try:
        return os.open(directory, os.O_TMPFILE | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC, 0o600)
    except (AttributeError, OSError):  # no O_TMPFILE here (kernel or file system)
        # lazy: only where O_TMPFILE is missing
        import tempfile

        f = tempfile.TemporaryFile(dir=directory)
        fd = os.dup(f.fileno())
        f.close()
        return fd


class CommitState:
    def __init__(self, fd: int, mem: mmap.mmap) -> None:
        self.fd = fd
        self.mem = mem
        # Each counter is read and written as one aligned 8-byte word (an item of this
        # view: a single load or store), since other processes read them without a lock.
        # struct.pack_into first zeroes the bytes and then writes them one by one: a reader
        # in between saw 0 or part of a value (flushed() 0 after flush(), or a catalog
        # counter equal to its old value while it changed).
        self.words = memoryview(mem).cast("Q")

    @classmethod
    def create(cls, directory: str) -> CommitState:
        size = HEADER_SIZE + ROWS * ROW_SIZE
        fd = _unnamed_file(directory)
        os.ftruncate(fd, size)
        mem = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        return cls(fd, mem)

    def close(self) -> None:
        self.words.release()
        self.mem.close()
        os.close(self.fd)

    # --- locks -----------------------------------------------------------------------

    def lock(self, byte: int) -> None:
        fcntl.lockf(self.fd, fcntl.LOCK_EX, 1, byte)

    def unlock(self, byte: int) -> None:
        fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, byte)

    # --- the shared catalog ----------------------------------------------------------

    def shared_catalog(self) -> int:
        return self.words[0]

    def bump_shared_catalog(self) -> None:
        """After a commit of the shared catalog (any backend, any database)."""
        self.lock(_CLAIM_BYTE)
        try:
            self.words[0] += 1
        finally:
            self.unlock(_CLAIM_BYTE)

    # --- a database's row ------------------------------------------------------------

    def claim(self, oid: int) -> DatabaseCommits | None:
        """The row of database `oid`, claimed if no backend has yet. None if every row is
        taken by other databases (over ROWS created in this server's life): the caller
        then keeps SQLite's own checks (data_version, synchronous=FULL)."""
        self.lock(_CLAIM_BYTE)
        try:
            start = oid % ROWS
            for i in range(ROWS):
                off = HEADER_SIZE + ((start + i) % ROWS) * ROW_SIZE
                held = self.words[(off + _OID) >> 3]
                if held == oid:
                    return DatabaseCommits(self, off)
                if held == 0:
                    self.words[(off + _OID) >> 3] = oid
                    return DatabaseCommits(self, off)
            return None
        finally:
            self.unlock(_CLAIM_BYTE)


class DatabaseCommits:
    """One database's row, as one backend uses it."""

    def __init__(self, state: CommitState, offset: int) -> None:
        self.state = state
        self.words = state.words
        self.catalog_at = (offset + _CATALOG) >> 3  # word indexes
        self.seq_at = (offset + _SEQ) >> 3
        self.flushed_at = (offset + _FLUSHED) >> 3
        self.flush_byte = 1 + (offset - HEADER_SIZE) // ROW_SIZE  # lockf byte of this row's flushes

    def catalog(self) -> int:
        return self.words[self.catalog_at]

    def seq(self) -> int:
        return self.words[self.seq_at]

    def flushed(self) -> int:
        return self.words[self.flushed_at]

    def committed(self, catalog_changed: bool) -> int:
        """Under the writer lock, right after a write commit: its seq (and a catalog
        change announced)."""
        words = self.words
        seq = words[self.seq_at] + 1
        words[self.seq_at] = seq
        if catalog_changed:
            words[self.catalog_at] += 1
        return seq

    def flush(self, seq: int, sync) -> bool:
        """Make commit `seq` durable, after the writer lock was released: sync() (the WAL's
        fsync) unless a flush since covers it. True if this call synced."""
        if self.words[self.flushed_at] >= seq:
            return False
        self.state.lock(self.flush_byte)
        try:
            if self.words[self.flushed_at] >= seq:
                return False  # the fsync we waited for covered us
            upto = self.words[self.seq_at]  # all written before the sync below
            sync()
            self.words[self.flushed_at] = upto
            return True
        finally:
            self.state.unlock(self.flush_byte)
