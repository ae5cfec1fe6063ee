"""Compaction of the change log (pgsvc.sql.catalog.changelog): the rows of transactions every
logical slot of the database has confirmed go. Called by the walsender side (the slots are
pgsvc.cluster.slots') outside any transaction, on a connection of its own; and by the
backends (`retain`, from exec.commits after a transaction ended) so that the log is bounded
without any slot or walsender.

The delete is a write like any other: it takes the database's writer lock (exec.txn) so
that it queues with the backends' writers instead of failing them, and it never splits a
transaction (a confirmed LSN inside one keeps all of it). The newest transaction always
stays: its seq is where the next change's continues from (catalog.changelog: LSNs only
grow).
"""

from __future__ import annotations

import os

from pgsvc.cluster.slots import SlotStore
from pgsvc.errors import SqlError
from pgsvc.sql.catalog import changelog as CL
from pgsvc.sql.exec.txn import WriterLock
from pgsvc.sqlite import sqlite3

RETAIN_EVERY = 256  # write commits of a database between two retention passes (exec.commits)
RETAIN_TIMEOUT_MS = 2000


def _database_path(conn: sqlite3.Connection) -> str:
    for _seq, name, path in conn.execute("PRAGMA database_list"):
        if name == "main":
            return path
    raise ValueError("connection has no main database file")


def compact(conn: sqlite3.Connection, confirmed_lsn: int, cancel_flag=lambda: None,
            timeout_ms: int = 30000) -> int:
    """Delete the changes of the transactions that ended at or before confirmed_lsn, but
    the newest transaction; the number of rows deleted."""
    upto = CL.seq_before(confirmed_lsn)
    if upto <= 0:
        return 0
    lock = WriterLock(_database_path(conn))
    try:
        lock.acquire(cancel_flag, timeout_ms)
        conn.execute("BEGIN IMMEDIATE")
        try:
            # the first change not confirmed, else the newest (its transaction stays): the
            # transaction holding it stays whole, everything before it goes
            anchor = conn.execute('SELECT seq, xid FROM "pgsvc$changelog" WHERE seq > ? ORDER BY seq LIMIT 1',
                                  (upto,)).fetchone() or \
                conn.execute('SELECT seq, xid FROM "pgsvc$changelog" ORDER BY seq DESC LIMIT 1').fetchone()
            if anchor is None:
                conn.execute("COMMIT")
                return 0
            upto = conn.execute('SELECT max(seq) FROM "pgsvc$changelog" WHERE seq < ? AND xid <> ?',
                                anchor).fetchone()[0] or 0
            n = conn.execute('DELETE FROM "pgsvc$changelog" WHERE seq <= ?', (upto,)).rowcount
            conn.execute("COMMIT")
            return n
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        lock.close()


def retain(database_path: str | None, datadir: str | None, database_oid: int) -> int:
    """PostgreSQL keeps WAL for logical decoding only as far back as a slot needs it: keep the
    change log from the lowest restart_lsn of the database's slots, and nothing (but the
    newest transaction) when it has none: a database published without a slot, or whose last
    slot was dropped, does not grow its log without bound. Called after a transaction ended
    (the writer lock released), every RETAIN_EVERY write commits and after a slot's drop.

    Under the slots' lock, as the walsender's compaction: a slot created meanwhile starts at
    a position read after ours (LSNs only grow), so nothing it needs is deleted. On a
    connection of its own (the session's refuses the hidden tables to its statements)."""
    if not datadir or not database_path or not os.path.exists(database_path):
        return 0  # (a database dropped meanwhile: connecting would make an empty file)
    try:
        conn = sqlite3.connect(database_path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error:
        return 0
    try:
        conn.execute("PRAGMA busy_timeout = 2000")
        conn.execute("PRAGMA synchronous = NORMAL")  # a delete lost in a crash only keeps rows longer
        if conn.execute('SELECT 1 FROM "pgsvc$changelog" LIMIT 1').fetchone() is None:
            return 0
        store = SlotStore(datadir)
        with store.locked():
            low = store.min_required_lsn(database_oid)
            if low is None:
                low = CL.current_lsn(conn)
        return compact(conn, low, timeout_ms=RETAIN_TIMEOUT_MS)
    except (sqlite3.Error, OSError, SqlError):
        return 0  # best effort: the next pass compacts again
    finally:
        conn.close()


__all__ = ["compact", "retain", "RETAIN_EVERY"]
