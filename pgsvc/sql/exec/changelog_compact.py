"""Compaction of the change log (pgsvc.sql.catalog.changelog): the rows of transactions every
logical slot of the database has confirmed go. Called by the walsender side (the slots are
pgsvc.cluster.slots') outside any transaction, on a connection of its own.

The delete is a write like any other: it takes the database's writer lock (exec.txn) so
that it queues with the backends' writers instead of failing them, and it never splits a
transaction (a confirmed LSN inside one keeps all of it). The newest transaction always
stays: its seq is where the next change's continues from (catalog.changelog: LSNs only
grow).
"""

from __future__ import annotations

from pgsvc.sql.catalog import changelog as CL
from pgsvc.sql.exec.txn import WriterLock
from pgsvc.sqlite import sqlite3


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


__all__ = ["compact"]
