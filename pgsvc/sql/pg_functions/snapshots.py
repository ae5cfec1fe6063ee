"""Exported snapshots: pg_export_snapshot() and SET TRANSACTION SNAPSHOT (PostgreSQL's
snapmgr.c ExportSnapshot / ImportSnapshot), how pg_dump -j's workers read exactly what
its leader reads.

pgsvc's storage has no snapshot another process can adopt: each backend reads its
database through its own SQLite connection, whose read transaction sees the database as
of the last commit before that transaction's first read. So an exported snapshot is made
true by holding the database still instead:

- The exporter takes the database's writer lock (pgsvc.sql.exec.txn.WriterLock) and keeps
  it until its transaction ends, so no other backend can commit meanwhile: writers wait
  (lock_timeout applies to them as to any wait for the lock) — the price pgsvc pays for
  the consistency PostgreSQL gets from MVCC. Holding the lock, it checks that its own read
  transaction sees the latest commit: a write probe fails (SQLITE_BUSY) on a read snapshot
  older than the last commit; such a transaction cannot export (40001). A transaction
  whose first read comes after the lock (pg_dump's leader: pg_export_snapshot() is its
  first query) always can.
- The snapshot is a file DATADIR/pg_snapshots/<id> (as PostgreSQL's), created under a
  temporary name, locked (flock, exclusive) by the exporter and only then renamed into
  place. The exporter removes it and drops the flock when its transaction ends, before its
  commit or rollback (WriterLock.end_exports, called by the engine), and the kernel drops
  the flock if the backend dies.
- An importer first starts its own read transaction (it reads the catalog version), then
  opens the file and tries the flock: if the exporter's lock is still there, the exporter
  held the writer lock from the export until after the importer's read transaction
  began, so both see the same committed state; the catalog version written in the file
  is compared as well. A missing file, a file no one holds (left by a backend that died)
  or a version that moved is "invalid snapshot identifier" (22023). The importer keeps
  its read transaction, so what it sees stays the exported state after the exporter ends.
"""

from __future__ import annotations

import fcntl
import os

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.sqlite_errors import SQLITE_BUSY, map_error
from pgsvc.sql.functions.context import check_for_interrupts, reporting_sql_errors
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS, TRANSACTION_SCOPED
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O
from pgsvc.sqlite import sqlite3

_ID_CHARS = frozenset("0123456789ABCDEF-")


def snapshot_dir(database_path: str) -> str:
    """DATADIR/pg_snapshots beside DATADIR/base/<oid>.db (pgsvc.cluster.layout)."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(database_path))), "pg_snapshots")


class _Counter:
    transactions = 0  # this backend's exporting transactions, the middle part of an id


def export_snapshot(engine) -> str:
    check_for_interrupts(engine.session.cancel_flag)  # called once a row it may be (WHERE ... pg_export_snapshot())
    txn = engine.txn
    if txn.savepoints:
        raise SqlError("25001", "cannot export a snapshot from a subtransaction")
    lock = engine.lock
    if not lock.held:
        timeout = int(engine.session.settings.get("lock_timeout") or 0)
        if engine.advisory is None:
            lock.acquire(engine.session.cancel_flag, timeout)
        else:  # a wait that may close a cycle with advisory locks (pg_functions.advisory)
            engine.advisory.acquire_writer(lock, timeout)
        # from here the transaction holds the lock as a writer's does: a read committed one
        # keeps its snapshot (nothing can commit before it ends) instead of refreshing it
        txn.wrote = True
    try:  # the probe: a read snapshot older than the last commit cannot become a writer
        engine.conn.execute('UPDATE "pgsvc$meta" SET value = value WHERE 0')
    except sqlite3.OperationalError as e:
        if getattr(e, "sqlite_errorcode", SQLITE_BUSY) & 0xFF != SQLITE_BUSY:  # I/O, read-only file, ...
            raise map_error(e, engine) from None
        raise SqlError("40001", "could not serialize access due to concurrent update",
                       detail="Another transaction committed after this transaction's snapshot was "
                              "taken; pg_export_snapshot() must run before the transaction reads.") from None
    if not lock.exports:
        _Counter.transactions += 1
    ident = "%08X-%08X-%d" % (engine.session.backend_pid & 0xFFFFFFFF, _Counter.transactions & 0xFFFFFFFF,
                              len(lock.exports) + 1)
    _publish(engine, lock, ident)
    return ident


def _publish(engine, lock, ident: str) -> None:
    directory = snapshot_dir(engine.session.database_path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    if not lock.exports:
        remove_stale(directory)
    path = os.path.join(directory, ident)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        body = (f"pid:{engine.session.backend_pid}\n"
                f"dbpath:{os.path.abspath(engine.session.database_path)}\n"
                f"iso:{engine.txn.isolation}\nro:{int(bool(engine.txn.read_only))}\n"
                f"catalog:{C.read_version(engine.conn)}\n")
        os.write(fd, body.encode())  # no fsync: the file lives as long as the transaction, as PostgreSQL's
        os.rename(tmp, path)
    except BaseException:
        os.close(fd)
        _unlink(tmp)
        raise

    def end() -> None:
        _unlink(path)  # first: an importer that opens it now finds nothing
        os.close(fd)  # then the flock goes: one that opened it before finds it unheld
    lock.exports.append(end)


def remove_stale(directory: str) -> None:
    """Snapshot files no backend holds (their exporter died before removing them): gone, as
    PostgreSQL empties pg_snapshots at start-up. A file being made (.tmp) is left alone."""
    for name in os.listdir(directory):
        if name.endswith(".tmp"):
            continue
        path = os.path.join(directory, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # its exporter is in its transaction
        finally:
            os.close(fd)
        _unlink(path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def import_snapshot(engine, ident: str) -> None:
    """SET TRANSACTION SNAPSHOT 'ident' (ImportSnapshot's checks, in its order)."""
    txn = engine.txn
    if txn.ran_query or txn.savepoints:
        raise SqlError("25001", "SET TRANSACTION SNAPSHOT must be called before any query")
    if txn.isolation not in ("repeatable read", "serializable") or not txn.block:
        raise SqlError("0A000", "a snapshot-importing transaction must have isolation level "
                                "SERIALIZABLE or REPEATABLE READ")
    invalid = SqlError("22023", f'invalid snapshot identifier: "{ident}"')
    if not ident or not set(ident) <= _ID_CHARS:
        raise invalid
    path = os.path.join(snapshot_dir(engine.session.database_path), ident)
    # this transaction's read snapshot starts now, before the exporter is checked
    engine.ensure_open()
    version = C.read_version(engine.conn)
    if version != engine.catalog.version:
        engine.check_catalog()  # DDL committed since this backend last looked
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        raise invalid from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            held = True  # the exporter is in its transaction
        else:
            held = False
        fields = dict(line.split(":", 1) for line in os.read(fd, 65536).decode().splitlines() if ":" in line)
    finally:
        os.close(fd)
    if not held:
        _unlink(path)  # left by a backend that ended without removing it
        raise invalid
    if txn.isolation == "serializable":
        if fields.get("iso") != "serializable":
            raise SqlError("0A000", "a serializable transaction cannot import a snapshot from a "
                                    "non-serializable transaction")
        if fields.get("ro") == "1" and not txn.read_only:
            raise SqlError("0A000", "a non-read-only serializable transaction cannot import a snapshot "
                                    "from a read-only transaction")
    if fields.get("dbpath") != os.path.abspath(engine.session.database_path):
        raise SqlError("0A000", "cannot import a snapshot from a different database")
    if fields.get("catalog") != str(version):
        raise invalid
    txn.ran_query = True  # PostgreSQL's FirstSnapshotSet: the transaction's snapshot is set


def register(conn, engine) -> None:
    conn.create_function("pgsvce_export_snapshot", 0, reporting_sql_errors(engine.fctx, lambda: export_snapshot(engine)))


def _install_signatures() -> None:
    """The translator's signature (once, at import)."""
    ENGINE_FUNCTIONS.setdefault("pg_export_snapshot", []).append(
        FuncSig("pg_export_snapshot", (), O.TEXT, "pgsvce_export_snapshot()", "scalar", 0, True, "v"))
    # a statement exporting a snapshot runs inside a transaction even alone outside a
    # block: the transaction's end ends the snapshot (and releases the writer lock)
    TRANSACTION_SCOPED.add("pg_export_snapshot")


_install_signatures()
