"""One engine's side of the commit state the backends share (pgsvc.supervisor.commit_state,
handed over as session.commit_state): whether another backend changed the catalog, and
group commit.

Catalog changes: before a statement outside a transaction the engine asks
`others_committed()`; with a server that is one read of the database's shared catalog
counter, which every backend bumps when it commits a transaction that moved the catalog
version (pgsvc.sql.catalog.database.bump_version flags the connection). Without one
(an engine in a test, or a server whose table of databases is full) it is SQLite's
PRAGMA data_version, which moves when any other connection commits.

Durability (synchronous_commit on, PostgreSQL's default): with a server the connection
runs with synchronous=NORMAL, so COMMIT writes the WAL frames without syncing them; the
engine then, still under the writer lock, takes the commit's sequence number
(`committed`), releases the lock, and `make_durable` fsyncs the WAL unless another
backend's fsync already covered that number. Only then does the commit return, and so
only then is it acknowledged: what is acknowledged is on disk, as with synchronous=FULL,
but concurrent writers no longer queue behind each other's fsyncs. Every write to the
database file holds the writer lock (pgsvc.sql.exec.txn), so the commits that need
flushing are exactly those made under it. Unlike PostgreSQL, another backend may read a
commit in the moment between its COMMIT and its fsync (visible, not yet acknowledged).
Without a server: synchronous=FULL, SQLite syncs at COMMIT as before.
"""

from __future__ import annotations

import os

from pgsvc.errors import SqlError
from pgsvc.sql.exec.changelog_compact import RETAIN_EVERY, retain


class Commits:
    def __init__(self, engine) -> None:
        self.engine = engine
        session = engine.session
        state = getattr(session, "commit_state", None)
        self.state = state  # the server's CommitState (the shared catalog's counter), or None
        self.row = state.claim(session.database_oid) if state is not None else None
        # Read before the engine loads its catalog: a change committed after this read
        # moves the counter away from it, so the first statement looks.
        self.seen = self.row.catalog() if self.row is not None else None
        self.sync = True  # synchronous_commit is not off
        self._data_version = None
        self._dv_cursor = None  # PRAGMA data_version's own cursor (without a row)
        self._wal_fd: int | None = None
        # the change log's retention (exec.changelog_compact.retain) is due after this
        # transaction: every RETAIN_EVERY write commits of the database, and after a slot's drop
        self.retain_due = False
        self._writes = 0  # write commits without a server's commit sequence

    def others_committed(self) -> bool:
        """True if another backend may have changed the catalog since the last call."""
        row = self.row
        if row is not None:
            now = row.catalog()
            if now == self.seen:
                return False
            self.seen = now
            return True
        # one cursor kept for it (no cursor object each time; fetching its one row steps
        # the statement to its end, so it holds no read open)
        cur = self._dv_cursor
        if cur is None:
            cur = self._dv_cursor = self.engine.conn.cursor()
        cur.execute("PRAGMA data_version")
        dv = cur.fetchone()[0]
        if dv == self._data_version:
            return False
        self._data_version = dv
        return True

    def synchronous(self, off: bool) -> str:
        """PRAGMA synchronous for synchronous_commit (on unless `off`)."""
        self.sync = not off
        return "NORMAL" if off or self.row is not None else "FULL"

    def committed(self) -> int | None:
        """Right after COMMIT, still under the writer lock: announce a catalog change, and
        the commit's sequence number if make_durable must flush it (else None)."""
        conn = self.engine.conn
        changed = getattr(conn, "catalog_changed", False)
        if changed:
            conn.catalog_changed = False  # (a rolled-back change may leave it set: one spurious look)
        if not self.engine.lock.held:
            return None
        if self.row is None:
            self._writes += 1
            self.retain_due |= self._writes % RETAIN_EVERY == 0
            return None
        seq = self.row.committed(changed)
        self.retain_due |= seq % RETAIN_EVERY == 0
        return seq if self.sync else None

    def make_durable(self, seq: int | None) -> None:
        """After the writer lock is released: return once commit `seq` is on disk; then the
        change log's retention when it is due."""
        if seq is not None:
            self.row.flush(seq, self.sync_wal)
        if self.retain_due and not self.engine.lock.held:
            self.retain_due = False
            session = self.engine.session
            retain(getattr(session, "database_path", None), getattr(session, "datadir", None),
                   getattr(session, "database_oid", 0))

    def sync_wal(self) -> None:
        path = self.engine.session.database_path
        try:
            if self._wal_fd is None:
                # opened once, after a commit: the WAL file exists while this connection is
                # open (SQLite removes it only when the last connection closes)
                self._wal_fd = os.open(path + "-wal", os.O_RDONLY | os.O_CLOEXEC)
            os.fdatasync(self._wal_fd)
        except FileNotFoundError:  # not in WAL mode after all: the commit is in the file itself
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.fdatasync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise SqlError("58030", f'could not fsync file "{path}-wal": {e.strerror}') from None

    def shared_catalog_changed(self) -> None:
        """After a commit of the shared catalog: tell the other backends."""
        if self.state is not None:
            self.state.bump_shared_catalog()

    def close(self) -> None:
        if self._wal_fd is not None:
            os.close(self._wal_fd)
            self._wal_fd = None
