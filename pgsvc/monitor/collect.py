"""One snapshot of a cluster, for `pgsvc status`, `pgsvc top` and the metrics.

Read-only and outside the process model: it never signals or opens a connection to
the server. Sources, each trusted only as far as it is checked:

  * the lock file + psutil identity checks (monitor.identity) -> is it running, pid;
  * the backend registry `DATADIR/pgsvc.shm` (mapped read-only) -> one row per client
    backend; used only if its header names the verified supervisor, and a slot only
    if its pid is a live child of that supervisor (a slot of an exited backend that
    has not been reaped yet, or a registry left by a crashed server, shows nothing);
  * psutil on the supervisor and its children -> CPU, RSS, USS, listening sockets,
    auxiliary processes (children that are not client backends);
  * the file system -> data directory size and one size per database file.

CPU %: a `Collector` remembers the processes it has seen. On first sight a process's
CPU % is its lifetime average (CPU seconds / seconds since it started, as `ps`
reports it); on later collections by the same Collector (`pgsvc top`) it is the
usage since the previous collection.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import urllib.parse
from dataclasses import dataclass, field

import psutil

from pgsvc.cluster.layout import Layout
from pgsvc.cluster.lockfile import LockInfo
from pgsvc.monitor.identity import RUNNING, STATUS_WORDS, Finding, find_supervisor
from pgsvc.sqlite import sqlite3
from pgsvc.supervisor.registry import KIND_AUX, KIND_NAMES, STATES, Registry, SlotInfo

# Client backend states, in display order (pg_stat_activity's words).
CLIENT_STATES = [s for s in STATES if s]


@dataclass
class ProcStats:
    cpu_seconds: float | None = None
    cpu_percent: float | None = None
    rss: int | None = None
    uss: int | None = None  # needs root or the same account (/proc/PID/smaps)


@dataclass
class ProcessRow:
    """A client backend (from its registry slot) or an auxiliary process."""

    pid: int
    backend_type: str  # "client backend", "walsender", "dead-end", "auxiliary"
    command: str = ""
    start: float | None = None  # backend_start / process creation
    user: str = ""
    database: str = ""
    client_addr: str = ""
    client_port: int | None = None
    application_name: str = ""
    state: str = ""
    query: str = ""
    xact_start: float | None = None
    query_start: float | None = None
    state_change: float | None = None
    xact_commit: int = 0
    xact_rollback: int = 0
    stats: ProcStats = field(default_factory=ProcStats)


@dataclass
class DatabaseSize:
    oid: int
    name: str
    size: int


@dataclass
class Snapshot:
    datadir: str
    collected_at: float
    code: int  # 0 running, 3 not running, 4 unknown (LSB / pg_ctl status)
    message: str
    cluster: str | None = None
    lock: LockInfo | None = None
    stale_lock: bool = False
    supervisor_pid: int | None = None
    start_time: float | None = None
    account: str | None = None
    uid: int | None = None
    command: str = ""
    supervisor: ProcStats = field(default_factory=ProcStats)
    listen_tcp: list[str] = field(default_factory=list)
    listen_unix: list[str] = field(default_factory=list)
    datadir_size: int | None = None
    databases: list[DatabaseSize] = field(default_factory=list)
    backends: list[ProcessRow] = field(default_factory=list)
    auxiliary: list[ProcessRow] = field(default_factory=list)
    registry_slots: int | None = None
    xact_commit: int | None = None
    xact_rollback: int | None = None

    @property
    def status(self) -> str:
        return STATUS_WORDS[self.code]

    @property
    def running(self) -> bool:
        return self.code == RUNNING

    @property
    def lock_status(self) -> str | None:
        """The lock file's status line (starting / ready / stopping) while running."""
        return self.lock.status if self.running and self.lock else None

    @property
    def ready(self) -> bool:
        return self.lock_status == "ready"

    @property
    def uptime(self) -> float | None:
        return self.collected_at - self.start_time if self.start_time else None

    def connections_by_state(self) -> dict[str, int]:
        counts = dict.fromkeys(CLIENT_STATES, 0)
        for b in self.backends:
            if b.backend_type == KIND_NAMES[1]:
                counts[b.state or "starting"] = counts.get(b.state or "starting", 0) + 1
        return counts


class Collector:
    """Takes snapshots; remembers processes between calls for interval CPU %."""

    def __init__(self) -> None:
        self._seen: dict[tuple[int, float], psutil.Process] = {}
        self._next_seen: dict[tuple[int, float], psutil.Process] = {}

    def collect(self, datadir: str, cluster: str | None = None) -> Snapshot:
        finding = find_supervisor(datadir)
        snap = _from_finding(finding, cluster)
        self._next_seen = {}
        if finding.code != 4:
            layout = Layout(finding.datadir)
            snap.datadir_size = directory_size(layout.datadir)
            snap.databases = database_sizes(layout)
        if finding.proc is not None:
            self._fill_running(snap, finding.proc, Layout(finding.datadir))
        self._seen = self._next_seen
        return snap

    # ------------------------------------------------------------ running server
    def _fill_running(self, snap: Snapshot, proc: psutil.Process, layout: Layout) -> None:
        snap.supervisor_pid = proc.pid
        with contextlib.suppress(psutil.Error):
            snap.account = proc.username()
            snap.uid = proc.uids().effective
        with contextlib.suppress(psutil.Error):
            snap.command = " ".join(proc.cmdline())
        snap.supervisor = self.stats(proc)
        snap.listen_tcp, snap.listen_unix = listening(proc, snap.lock)
        slots, header = read_registry(layout, proc.pid)
        snap.start_time = (header or {}).get("start_time") or (snap.lock.start_time if snap.lock else None)
        if header is not None:
            snap.registry_slots = header["slots"]
            snap.xact_commit = header["xact_commit"] + sum(s.xact_commit for s in slots)
            snap.xact_rollback = header["xact_rollback"] + sum(s.xact_rollback for s in slots)
        by_pid = {s.pid: s for s in slots if s.pid > 0}
        for child in _live_children(proc):
            slot = by_pid.get(child.pid)
            row = _slot_row(slot) if slot is not None else _aux_row(child)
            row.stats = self.stats(child)
            if slot is not None and slot.kind != KIND_AUX:
                snap.backends.append(row)
            else:
                snap.auxiliary.append(row)
        snap.backends.sort(key=lambda r: (r.start or 0, r.pid))
        snap.auxiliary.sort(key=lambda r: r.pid)

    def stats(self, proc: psutil.Process) -> ProcStats:
        st = ProcStats()
        try:
            with proc.oneshot():
                created = proc.create_time()
                times = proc.cpu_times()
                st.cpu_seconds = round(times.user + times.system, 2)
                st.rss = proc.memory_info().rss
                key = (proc.pid, created)
                known = self._seen.get(key)
                if known is not None:
                    st.cpu_percent = round(known.cpu_percent(None), 1)
                    self._next_seen[key] = known
                else:
                    elapsed = max(time.time() - created, 0.01)
                    st.cpu_percent = round(100.0 * st.cpu_seconds / elapsed, 1)
                    proc.cpu_percent(None)  # prime the interval measurement
                    self._next_seen[key] = proc
        except psutil.Error:
            return st
        try:
            st.uss = proc.memory_full_info().uss
        except psutil.Error:
            pass
        return st


def collect(datadir: str, cluster: str | None = None) -> Snapshot:
    """One snapshot (CPU % as lifetime averages)."""
    return Collector().collect(datadir, cluster)


def _from_finding(finding: Finding, cluster: str | None) -> Snapshot:
    return Snapshot(datadir=finding.datadir, collected_at=time.time(), code=finding.code,
                    message=finding.message, cluster=cluster, lock=finding.lock,
                    stale_lock=finding.stale_lock)


def _live_children(proc: psutil.Process) -> list[psutil.Process]:
    kids = []
    try:
        children = proc.children()
    except psutil.Error:
        return kids
    for child in children:
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                kids.append(child)
        except psutil.Error:
            pass
    return kids


def _ts(value: float) -> float | None:
    return value if value else None


def _slot_row(s: SlotInfo) -> ProcessRow:
    return ProcessRow(
        pid=s.pid, backend_type="walsender" if s.walsender else KIND_NAMES.get(s.kind, "unknown"),
        start=_ts(s.backend_start),
        user=s.user, database=s.database, client_addr=s.client_addr,
        client_port=s.client_port if s.client_port >= 0 else None,
        application_name=s.application_name, state=s.state, query=s.query,
        xact_start=_ts(s.xact_start), query_start=_ts(s.query_start),
        state_change=_ts(s.state_change), xact_commit=s.xact_commit, xact_rollback=s.xact_rollback)


def _aux_row(child: psutil.Process) -> ProcessRow:
    row = ProcessRow(pid=child.pid, backend_type="auxiliary")
    with contextlib.suppress(psutil.Error):
        row.command = " ".join(child.cmdline()) or child.name()
        row.start = child.create_time()
    return row


# ------------------------------------------------------------ registry
def read_registry(layout: Layout, supervisor_pid: int) -> tuple[list[SlotInfo], dict | None]:
    """The registry's slots and header, if it belongs to this supervisor."""
    try:
        reg = Registry.attach(layout.registry)
    except (OSError, ValueError):
        return [], None
    try:
        header = reg.header()
        if header["supervisor_pid"] != supervisor_pid:
            return [], None  # left by an earlier server
        return reg.slots(), header
    finally:
        reg.close()


# ------------------------------------------------------------ sockets
def listening(proc: psutil.Process, lock: LockInfo | None) -> tuple[list[str], list[str]]:
    """TCP addresses and Unix socket paths the supervisor listens on.

    From the process's own sockets when we may see them (root or the account: this
    also covers sockets passed by systemd), else from the lock file.
    """
    try:
        # psutil 6 renamed connections() to net_connections(); Debian bookworm has 5.9.
        get = getattr(proc, "net_connections", None) or proc.connections
        conns = get("all")
    except (psutil.Error, OSError):
        return _listening_from_lock(lock)
    tcp, unix = [], []
    for c in conns:
        if c.family == socket.AF_UNIX:
            if isinstance(c.laddr, str) and c.laddr and not c.raddr:
                unix.append(c.laddr)
        elif c.status == psutil.CONN_LISTEN and c.laddr:
            host = c.laddr.ip
            tcp.append(f"[{host}]:{c.laddr.port}" if ":" in host else f"{host}:{c.laddr.port}")
    return sorted(set(tcp)), sorted(set(unix))


def _listening_from_lock(lock: LockInfo | None) -> tuple[list[str], list[str]]:
    if lock is None or lock.port is None:
        return [], []
    tcp = [f"{lock.listen_addr}:{lock.port}"] if lock.listen_addr else []
    unix = [os.path.join(lock.socket_dir, f".s.PGSQL.{lock.port}")] if lock.socket_dir else []
    return tcp, unix


# ------------------------------------------------------------ sizes
def directory_size(path: str) -> int | None:
    """Sum of file sizes under `path` (symbolic links not followed)."""
    total = 0
    try:
        for root, _dirs, files in os.walk(path, onerror=None):
            for name in files:
                with contextlib.suppress(OSError):
                    total += os.lstat(os.path.join(root, name)).st_size
    except OSError:
        return None
    return total


def database_sizes(layout: Layout) -> list[DatabaseSize]:
    """One entry per database file base/<oid>.db (with its -wal/-journal/-shm)."""
    sizes: dict[int, int] = {}
    try:
        names = os.listdir(layout.base)
    except OSError:
        return []
    for name in names:
        stem = name.split(".db", 1)[0]
        if not stem.isdigit() or ".db" not in name:
            continue
        with contextlib.suppress(OSError):
            sizes[int(stem)] = sizes.get(int(stem), 0) + os.lstat(os.path.join(layout.base, name)).st_size
    labels = database_names(layout)
    return sorted((DatabaseSize(oid, labels.get(oid, f"oid {oid}"), size) for oid, size in sizes.items()),
                  key=lambda d: d.name)


def database_names(layout: Layout) -> dict[int, str]:
    """{oid: name} from the shared catalog, opened read-only; {} if it cannot be read.

    Run as root, the catalog is read with the effective ids of its owner: SQLite may
    create the WAL index (`-shm`) of a database it opens, and a root-owned file there
    would lock the server's own account out of its catalog.
    """
    path = layout.global_catalog
    try:
        st = os.stat(path)
    except OSError:
        return {}
    # Without a WAL file there is nothing but the main file to read: `immutable` reads
    # it without creating -wal/-shm files. With one, a normal read-only open.
    wal = os.path.exists(path + "-wal")
    uri = "file:" + urllib.parse.quote(path) + ("?mode=ro" if wal else "?mode=ro&immutable=1")
    try:
        with _effective_ids(st.st_uid, st.st_gid):
            conn = sqlite3.connect(uri, uri=True, timeout=1)
            try:
                return dict(conn.execute("SELECT oid, datname FROM pg_database").fetchall())
            finally:
                conn.close()
    except (sqlite3.Error, OSError):
        return {}


@contextlib.contextmanager
def _effective_ids(uid: int, gid: int):
    if os.geteuid() != 0 or uid == 0:
        yield
        return
    saved_gid = os.getegid()
    os.setegid(gid)
    try:
        os.seteuid(uid)
        try:
            yield
        finally:
            os.seteuid(0)
    finally:
        os.setegid(saved_gid)
