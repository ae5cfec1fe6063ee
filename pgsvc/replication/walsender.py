"""A walsender's slot and streaming commands (PostgreSQL's walsender.c for logical slots):
CREATE_REPLICATION_SLOT ... LOGICAL pgoutput, DROP_REPLICATION_SLOT, READ_REPLICATION_SLOT
and START_REPLICATION SLOT ... LOGICAL, run by a backend whose client connected with
replication=database (the replication connection and its command dispatcher are
pgsvc.backend's; it hands the commands parsed by pgsvc.replication.commands to `run`).

The stream: the change log (pgsvc.sql.catalog.changelog, rows written in the same SQLite
transaction as the changes) is read in commit order through a connection of the
walsender's own, filtered by the subscriber's publications and sent as pgoutput messages in
XLogData inside CopyData (CopyBoth mode). Where it starts: the larger of the position the
client asks for (a subscriber sends its replication origin's, the end of the last
transaction it applied) and the slot's confirmed_flush_lsn; a transaction whose commit LSN
lies before that is skipped, so after any restart nothing is sent twice and, because the
log keeps everything from the lowest confirmed position of the database's slots,
nothing is missing. The subscriber's standby status updates advance confirmed_flush_lsn
(persisted durably, pgsvc.cluster.slots), and the log is compacted up to the lowest one.

New commits are found by polling the log's end every POLL_INTERVAL (one indexed read on
an idle stream, measured in the tests' note); keepalives go out when the client has
been silent for half of wal_sender_timeout (reply requested) and when caught up with
positions it has not confirmed.
"""

from __future__ import annotations

import os
import struct
import time

import setproctitle

from pgsvc.backend import protocol as P
from pgsvc.backend.conn import ConnectionClosed
from pgsvc.cluster.lockfile import STATUS_STOPPING, read_lockfile
from pgsvc.cluster.slots import Activity, Slot, SlotStore, check_requirements, format_lsn, slot_limit
from pgsvc.errors import ADMIN_SHUTDOWN, FatalError, SqlError, StartupError
from pgsvc.replication import pgoutput as O
from pgsvc.replication.commands import CreateSlot, DropSlot, ReadSlot, StartReplication
from pgsvc.sql.catalog import changelog as CL
from pgsvc.sql.catalog import changelog_read as CR
from pgsvc.sql.exec.changelog_compact import compact as compact_log
from pgsvc.sql.exec.changelog_compact import retain as retain_log
from pgsvc.sql.pg_functions.snapshots import export_snapshot
from pgsvc.sql.types import usertypes
from pgsvc.sqlite import sqlite3
from pgsvc.supervisor.registry import KIND_BACKEND

POLL_INTERVAL = 0.1  # seconds between looks at the log's end on an idle stream
BATCH = 200  # transactions read per look
SAVE_INTERVAL = 0.5  # seconds between durable saves of a moving confirmed_flush_lsn
COMPACT_INTERVAL = 10.0  # a compaction is a committed write (a repeatable-read writer racing it gets 40001): seldom
COMPACT_TIMEOUT_MS = 2000  # a compaction waits this long for the writer lock, then waits for the next turn

TEXT_OID = 25
INT8_OID = 20


class _Col:
    """A RowDescription column (what protocol.encode_row_description reads)."""

    def __init__(self, name: str, type_oid: int = TEXT_OID) -> None:
        self.name, self.type_oid = name, type_oid
        self.table_oid, self.attnum, self.typmod = 0, 0, -1
        self.typlen = 8 if type_oid == INT8_OID else -1


class WalSender:
    """The walsender side of one replication connection. `session`: the backend's Session
    (conn, engine, db, role, signals, ctx.state.layout.datadir, settings)."""

    def __init__(self, session) -> None:
        self.session = session
        self.datadir = session.ctx.state.layout.datadir
        self.db_path = session.ctx.state.layout.database_file(session.db.oid)
        self.store = SlotStore(self.datadir)
        self.parent = os.getppid()
        self._reader: sqlite3.Connection | None = None
        self._exported = False  # a snapshot exported by CREATE_REPLICATION_SLOT is alive

    # ------------------------------------------------------------ plumbing
    def reader(self) -> sqlite3.Connection:
        """The walsender's own connection to the database file: reads of the log and its
        compaction, never mixed with the session's transactions."""
        if self._reader is None:
            self._reader = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
            self._reader.execute("PRAGMA busy_timeout = 5000")
        return self._reader

    def close(self) -> None:
        self.before_command()
        self.store.release_all()
        if self._reader is not None:
            try:
                self._reader.close()
            except sqlite3.Error:
                pass
            self._reader = None

    def _send_rows(self, columns: list[_Col], rows: list[list], tag: str) -> None:
        conn = self.session.conn
        conn.send(P.encode_row_description(columns))
        for row in rows:
            conn.send(P.encode_data_row([None if v is None else str(v).encode() for v in row]))
        conn.send(P.encode_command_complete(tag))

    def _check_permission(self) -> None:
        role = self.session.role
        if not (role.superuser or getattr(role, "replication", False)):
            raise SqlError("42501", "must be superuser or replication role to use replication slots")

    def _in_block(self) -> bool:
        return bool(self.session.engine.txn.block)

    def current_lsn(self) -> int:
        conn = self.reader()
        conn.execute("BEGIN")
        try:
            return CL.current_lsn(conn)
        finally:
            conn.execute("COMMIT")

    # ------------------------------------------------------------ commands
    def run(self, cmd) -> None:
        """One parsed command (pgsvc.replication.commands); the dispatcher sends ReadyForQuery."""
        self.before_command()
        if isinstance(cmd, CreateSlot):
            self.create_slot(cmd)
        elif isinstance(cmd, DropSlot):
            self.drop_slot(cmd)
        elif isinstance(cmd, ReadSlot):
            self.read_slot(cmd)
        elif isinstance(cmd, StartReplication):
            self.start_replication(cmd)
        else:
            raise SqlError("42601", "syntax error")

    def create_slot(self, cmd: CreateSlot) -> None:
        self._check_permission()
        if cmd.kind != "logical":
            raise SqlError("0A000", "physical replication slots are not supported by pgsvc")
        settings = self.session.settings
        check_requirements(settings)
        self.store.check_new(cmd.name, slot_limit(settings))  # PostgreSQL makes the slot first, then checks the rest
        engine = self.session.engine
        txn = engine.txn
        if cmd.snapshot == "export" and self._in_block():
            raise SqlError("XX000", "CREATE_REPLICATION_SLOT ... (SNAPSHOT 'export') must not be called "
                                    "inside a transaction")
        if cmd.snapshot == "use":
            what = "CREATE_REPLICATION_SLOT ... (SNAPSHOT 'use')"
            if not self._in_block():
                raise SqlError("XX000", f"{what} must be called inside a transaction")
            if txn.isolation != "repeatable read":
                raise SqlError("XX000", f"{what} must be called in REPEATABLE READ isolation mode transaction")
            if txn.ran_query:
                raise SqlError("XX000", f"{what} must be called before any query")
            if txn.savepoints:
                raise SqlError("XX000", f"{what} must not be called in a subtransaction")
        if cmd.plugin != "pgoutput":
            raise SqlError("58P01", f'could not access file "{cmd.plugin}": No such file or directory')
        # the exported snapshot first: it takes the database's writer lock, never while
        # holding the slots' lock (a writing transaction may drop a slot from SQL)
        snapshot_name = self._export_snapshot() if cmd.snapshot == "export" else None
        with self.store.locked():  # no compaction between reading the position and the slot existing
            lsn = self._consistent_point(cmd)
            slot = Slot(name=cmd.name, plugin=cmd.plugin, database_oid=self.session.db.oid,
                        database=self.session.db.name, temporary=cmd.temporary, restart_lsn=lsn,
                        confirmed_flush_lsn=lsn, two_phase=cmd.two_phase)
            self.store.create(slot, os.getpid(), slot_limit(settings))
        if not cmd.temporary:
            self.store.release(cmd.name)  # a temporary slot stays with this session
        self._send_rows([_Col("slot_name"), _Col("consistent_point"), _Col("snapshot_name"), _Col("output_plugin")],
                        [[cmd.name, format_lsn(lsn), snapshot_name, cmd.plugin]], "CREATE_REPLICATION_SLOT")

    def _consistent_point(self, cmd: CreateSlot) -> int:
        engine = self.session.engine
        if cmd.snapshot == "use":
            # the transaction's snapshot is taken here: its first read of the database is the
            # log's end, so what it reads later (the COPY) is exactly the data up to that LSN
            engine.ensure_open()
            lsn = CL.current_lsn(engine.conn)
            engine.txn.ran_query = True
            return lsn
        if cmd.snapshot == "export":  # the exported transaction's snapshot: nothing commits meanwhile
            return CL.current_lsn(engine.conn)
        return self.current_lsn()

    def _export_snapshot(self) -> str:
        """SNAPSHOT 'export': a transaction of the walsender's engine exports its snapshot as
        pg_export_snapshot() does (holding the database's writer lock, so the exported state
        is the log's end read here) and keeps it until the next command (before_command)."""
        engine = self.session.engine
        engine.ensure_open()
        ident = export_snapshot(engine)
        self._exported = True
        return ident

    def before_command(self) -> None:
        """The dispatcher calls this before each command of the connection: an exported
        snapshot ends (PostgreSQL's walsender keeps one until the next command)."""
        if self._exported:
            self._exported = False
            engine = self.session.engine
            if engine.txn.open and not engine.txn.block:
                engine.sqlite_rollback()

    def drop_slot(self, cmd: DropSlot) -> None:
        self._check_permission()
        check_requirements(self.session.settings, logical=False)
        slot = self.store.read(cmd.name)
        self.store.drop(cmd.name, os.getpid(), wait=cmd.wait, cancel=self._check_interrupts)
        if slot is not None and slot.database_oid == self.session.db.oid:
            self.compact(slot.database_oid)
        elif slot is not None:  # another database's log: what its remaining slots need
            retain_log(self.session.ctx.state.layout.database_file(slot.database_oid), self.datadir,
                       slot.database_oid)
        self.session.conn.send(P.encode_command_complete("DROP_REPLICATION_SLOT"))

    def compact(self, database_oid: int) -> None:
        """Let the change log drop what every slot of the database has confirmed (everything,
        when no slot is left). Under the slots' lock: a slot being created meanwhile has its
        starting position kept."""
        if database_oid != self.session.db.oid or self.session.engine.lock.held:
            return  # another database's log (its walsenders compact it); or our own writer lock is held
        try:
            with self.store.locked():  # (the compaction itself outside: it waits for the writer lock)
                low = self.store.min_required_lsn(database_oid)
                if low is None:
                    low = self.current_lsn()
            compact_log(self.reader(), low, timeout_ms=COMPACT_TIMEOUT_MS)
        except (SqlError, sqlite3.Error):
            pass  # retention is best effort here: the next confirmation compacts again

    def read_slot(self, cmd: ReadSlot) -> None:
        self._check_permission()
        slot = self.store.read(cmd.name)
        if slot is not None and slot.slot_type == "logical":
            raise SqlError("0A000", "cannot use READ_REPLICATION_SLOT with a logical replication slot")
        self._send_rows([_Col("slot_type"), _Col("restart_lsn"), _Col("restart_tli", INT8_OID)],
                        [[None, None, None]], "READ_REPLICATION_SLOT")

    # ------------------------------------------------------------ streaming
    def _check_interrupts(self) -> None:
        signals = self.session.signals
        if signals.terminate:
            raise FatalError(ADMIN_SHUTDOWN, "terminating connection due to administrator command")
        if os.getppid() != self.parent:
            raise FatalError("57P01", "terminating connection due to unexpected postmaster exit")
        if signals.cancel_reason is not None:
            signals.cancel_reason = None  # a walsender has no statement to cancel

    def start_replication(self, cmd: StartReplication) -> None:
        self._check_permission()
        if self._in_block():
            raise SqlError("25001", "START_REPLICATION cannot run inside a transaction block")
        if cmd.kind != "logical":
            raise SqlError("0A000", "physical replication is not supported by pgsvc")
        check_requirements(self.session.settings)
        slot = self.store.acquire(cmd.slot, os.getpid())
        try:
            if slot.database_oid != self.session.db.oid:
                raise SqlError("55000", f'replication slot "{slot.name}" was not created in this database')
            options = O.parse_options(cmd.options)
            stream = Stream(self, slot, options, max(cmd.lsn, slot.confirmed_flush_lsn))
            self.session.conn.send_now(P.message(b"W", struct.pack("!bh", 0, 0)))  # CopyBothResponse
            setproctitle.setproctitle(f"pgsvc: walsender {self.session.role.name} {self.session.db.name} "
                                      f"{self.session.host} streaming")
            stream.run()
        finally:
            if not slot.temporary:
                self.store.release(slot.name)
        # out of COPY mode ("COPY 0"), then the command's own completion, as PostgreSQL's
        # StartLogicalReplication and exec_replication_command send them (libpqwalreceiver's
        # endstreaming reads both)
        self.session.conn.send(P.encode_command_complete("COPY 0"))
        self.session.conn.send(P.encode_command_complete("START_REPLICATION"))


class Stream:
    """One START_REPLICATION ... LOGICAL stream, from CopyBothResponse to CopyDone."""

    def __init__(self, ws: WalSender, slot: Slot, options: O.Options, start: int) -> None:
        self.ws = ws
        self.conn = ws.session.conn
        self.slot = slot
        self.options = options
        self.start = start  # transactions committed before it are the client's already
        self.pos = start  # where the next read of the log begins
        self.sent = start  # what the client has been sent (or had filtered out) up to
        self.relations: dict[int, int] = {}  # relid -> layout version sent in this stream
        self.types_sent: set[int] = set()  # user types named by a Type message in this stream
        self.published: dict[int, set[str]] = {}
        self.roots: dict[int, int] = {}  # partition -> the partitioned table its changes are sent as
        self.activity = Activity(pid=os.getpid(), sent_lsn=start, streaming=True)
        self.last_reply = time.monotonic()
        self.waiting_ping = False
        self.keepalive_sent_for = -1
        self.dirty_since: float | None = None
        self.last_compact = 0.0
        self.last_shutdown_check = time.monotonic()
        # wal_sender_timeout (ms; 0: never): a silent client is pinged at half of it, dropped at it
        self.timeout = int(ws.session.settings.get("wal_sender_timeout") or 0) / 1000

    def run(self) -> None:
        try:
            while True:
                self.ws._check_interrupts()
                more = self.send_batch()
                self.conn.flush()
                if not self.receive(0 if more else POLL_INTERVAL):
                    return
                self.keep_alive()
        finally:
            self.save(force=True)

    # ---------------------------------------------------------------- sending
    def send_batch(self) -> bool:
        """Send what the log holds past `pos`; True when there may be more right away."""
        conn = self.ws.reader()
        conn.execute("BEGIN")
        try:
            end = CL.current_lsn(conn)
            if end <= self.pos and self.sent >= end:
                return False
            if end > self.pos:  # changes past pos: pgoutput loads its publications at the first
                # change (a missing one is 42704 then, not at START_REPLICATION), and again when
                # they change (ALTER PUBLICATION while streaming)
                names = list(self.options.publication_names)
                self.published = CR.published_relids(conn, names)
                self.roots = CR.publication_roots(conn, names)  # publish_via_partition_root
            txns = CR.read_transactions(conn, self.pos, BATCH, roots=self.roots or None)
        finally:
            conn.execute("COMMIT")
        if txns:
            # Group commit (pgsvc.sql.exec.commits) makes a commit visible a moment before its
            # fsync; PostgreSQL's walsender sends only flushed WAL. Syncing the database's WAL
            # here makes everything this read saw durable before any of it leaves, so a
            # subscriber never holds a transaction that a crash of this machine could undo.
            self.ws.session.engine.commits.sync_wal()
        for txn in txns:
            if txn.commit_lsn >= self.start:
                self.send_transaction(txn)
            self.pos = max(self.pos, txn.end_lsn)
            self.sent = max(self.sent, txn.end_lsn)
        if len(txns) < BATCH:
            # everything that committed up to `end` was in this read (one snapshot)
            self.pos = max(self.pos, end)
            self.sent = max(self.sent, end)
            more = False
        else:
            more = True
        self.activity.sent_lsn = self.sent
        return more

    def _allowed(self, relid: int, action: str) -> bool:
        return action in self.published.get(relid, ())

    def send_transaction(self, txn) -> None:
        out: list[tuple[int, bytes]] = []
        for ch in txn.changes:
            if ch.kind == "T":
                rels = [r for r in ch.rels if self._allowed(r.oid, "truncate")]
                if not rels:
                    continue
                for r in rels:
                    self._relation(out, ch.lsn, r)
                out.append((ch.lsn, O.truncate([r.oid for r in rels], ch.cascade, ch.restart_seqs)))
                continue
            rel = ch.rel
            action = {"I": "insert", "U": "update", "D": "delete"}[ch.kind]
            if rel is None or not self._allowed(rel.oid, action):
                continue
            self._relation(out, ch.lsn, rel)
            if ch.kind == "I":
                out.append((ch.lsn, O.insert(rel.oid, ch.new)))
            elif ch.kind == "U":
                out.append((ch.lsn, O.update(rel.oid, ch.new, ch.old, ch.old_kind == "O")))
            else:
                out.append((ch.lsn, O.delete(rel.oid, ch.old, ch.old_kind == "O")))
        if not out:
            return  # an empty transaction is not sent (PostgreSQL 15's pgoutput skips them)
        when = _micros(txn.commit_time)
        self._xlog(txn.first_lsn, O.begin(txn.commit_lsn, when, txn.xid))
        for lsn, payload in out:
            self._xlog(lsn, payload)
        self._xlog(txn.end_lsn, O.commit(txn.commit_lsn, txn.end_lsn, when))

    def _relation(self, out: list, lsn: int, rel) -> None:
        if self.relations.get(rel.oid) == rel.version:
            return
        self.relations[rel.oid] = rel.version
        for _name, type_oid, _typmod, _key in rel.columns:  # user types first: Type messages
            if type_oid >= O.FIRST_NORMAL_OBJECT_ID and type_oid not in self.types_sent:
                named = _type_name(type_oid)
                if named is not None:
                    self.types_sent.add(type_oid)
                    out.append((lsn, O.type_message(type_oid, *named)))
        cols = tuple(O.Column(name, type_oid, typmod, bool(is_key)) for name, type_oid, typmod, is_key in rel.columns)
        out.append((lsn, O.relation(O.RelationInfo(rel.oid, rel.schema, rel.name, rel.replident, cols))))

    def _xlog(self, lsn: int, payload: bytes) -> None:
        self.conn.send(P.encode_copy_data(O.xlog_data(lsn, lsn, payload)))

    # ---------------------------------------------------------------- receiving
    def receive(self, timeout: float) -> bool:
        """Handle what the client sent (waiting up to `timeout` for the first message);
        False when the stream ends (CopyDone)."""
        wait = timeout
        while True:
            msg = self.conn.read_message(timeout=wait, on_wakeup=self.ws._check_interrupts)
            if msg is None:
                return True
            mtype, body = msg
            if mtype == b"d":
                self.feedback(body)
            elif mtype == b"c":  # CopyDone: answer with ours, the command completes
                self.conn.send_now(P.COPY_DONE)
                return False
            elif mtype == b"X":
                raise ConnectionClosed()  # Terminate: the backend ends quietly
            else:
                raise FatalError("08P01", f"unexpected message type {mtype[0]}")
            wait = 0

    def feedback(self, body: bytes) -> None:
        self.last_reply = time.monotonic()
        self.waiting_ping = False
        status = O.parse_feedback(body)
        if status is None:
            return
        a = self.activity
        a.write_lsn, a.flush_lsn, a.replay_lsn = status.write_lsn, status.flush_lsn, status.apply_lsn
        a.reply_time = time.time()
        confirmed = min(status.flush_lsn, self.sent)
        if confirmed > self.slot.confirmed_flush_lsn:
            self.slot.confirmed_flush_lsn = confirmed
            self.slot.restart_lsn = confirmed
            if self.dirty_since is None:
                self.dirty_since = time.monotonic()
        self.ws.store.report(self.slot.name, a)
        if status.reply_requested:
            self.conn.send_now(P.encode_copy_data(O.keepalive(self.sent, False)))
        self.save()

    def save(self, force: bool = False) -> None:
        """Persist confirmed_flush_lsn (durably; at most every SAVE_INTERVAL while it moves),
        then let the log drop what every slot of the database has confirmed."""
        if self.dirty_since is None:
            return
        now = time.monotonic()
        if not force and now - self.dirty_since < SAVE_INTERVAL:
            return
        self.ws.store.save(self.slot)
        self.dirty_since = None
        if force or now - self.last_compact >= COMPACT_INTERVAL:
            self.last_compact = now
            self.ws.compact(self.slot.database_oid)

    def smart_shutdown_done(self) -> bool:
        """Smart shutdown waits for the clients to leave; a walsender is not one of them: once
        only walsenders are left it ends too (PostgreSQL signals its walsenders last)."""
        now = time.monotonic()
        if now - self.last_shutdown_check < 1.0:
            return False
        self.last_shutdown_check = now
        try:
            info = read_lockfile(self.ws.session.ctx.state.layout.lockfile)
        except (OSError, StartupError):
            return False
        if info is None or info.status != STATUS_STOPPING.strip():
            return False
        me = os.getpid()
        for other in self.ws.session.registry.slots():
            if other.kind == KIND_BACKEND and other.pid and other.pid != me and \
                    not (other.query or "").lstrip().upper().startswith("START_REPLICATION"):
                return False
        return True

    def keep_alive(self) -> None:
        now = time.monotonic()
        if self.smart_shutdown_done():
            raise FatalError(ADMIN_SHUTDOWN, "terminating connection due to administrator command")
        silent = now - self.last_reply
        timeout = self.timeout
        if timeout and silent >= timeout:
            raise FatalError("08006", "terminating walsender process due to replication timeout")
        if timeout and silent >= timeout / 2 and not self.waiting_ping:
            self.conn.send_now(P.encode_copy_data(O.keepalive(self.sent, True)))
            self.waiting_ping = True
            return
        a = self.activity
        if self.sent > a.flush_lsn and self.sent > a.write_lsn and self.keepalive_sent_for != self.sent:
            # caught up with positions the client has not confirmed: tell it where we are
            self.keepalive_sent_for = self.sent
            self.conn.send_now(P.encode_copy_data(O.keepalive(self.sent, False)))
        self.save()


def _type_name(oid: int) -> tuple[str, str] | None:
    """(schema, name) of a user type or of a user type's array type, from the catalog this
    process loaded (the walsender's engine)."""
    ut = usertypes.find(oid)
    if ut is not None:
        return ut.schema, ut.name
    for ut in usertypes.all_user_types():
        if ut.array_oid == oid:
            return ut.schema, "_" + ut.name
    return None


def _micros(value) -> int:
    if value is None:
        return O.now_micros()
    if isinstance(value, (int, float)):
        return int(value)
    return O.micros_from_unix(value.timestamp())
