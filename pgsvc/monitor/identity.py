"""Which process, if any, is the supervisor of a data directory (DESIGN convention 6).

`pgsvc status` is read-only and may run as root, as the database account, while the
server is up or down. It never trusts a bare pid: the lock file names a pid, and that
pid counts as this data directory's supervisor only if psutil confirms its identity —

  * it exists and is not a zombie;
  * its command line is pgsvc's and it was created no later than the lock file says
    (cluster.lockfile.live_supervisor: a recycled pid started later fails this);
  * it maps this data directory's registry `DATADIR/pgsvc.shm` (the supervisor mmaps
    it before binding; a live pgsvc serving *another* directory fails this, even if
    a copied lock file claims otherwise). When /proc/PID/maps is not readable (not
    root, not the account) the lock file's data directory line is all there is.

Anything else is a stale lock file: the server is not running (exit 3).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import psutil

from pgsvc.cluster.layout import MARKER_NAME, Layout
from pgsvc.cluster.lockfile import LockInfo, live_supervisor, read_lockfile
from pgsvc.errors import StartupError

RUNNING, NOT_RUNNING, UNKNOWN = 0, 3, 4  # LSB / pg_ctl status exit codes
STATUS_WORDS = {RUNNING: "running", NOT_RUNNING: "not running", UNKNOWN: "unknown"}


@dataclass
class Finding:
    """What the lock file and the identity checks say about one data directory."""

    datadir: str
    code: int  # RUNNING, NOT_RUNNING or UNKNOWN
    message: str
    lock: LockInfo | None = None
    proc: psutil.Process | None = None
    stale_lock: bool = False


def mapped_files(pid: int) -> set[str] | None:
    """Paths of the files a process has mmapped; None if we may not look."""
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except (PermissionError, FileNotFoundError, ProcessLookupError):
        return None
    paths = set()
    for line in lines:
        parts = line.split(None, 5)
        if len(parts) == 6 and parts[5].startswith("/"):
            paths.add(parts[5].removesuffix(" (deleted)"))
    return paths


def maps_registry(pid: int, datadir: str) -> bool | None:
    """Does `pid` map DATADIR/pgsvc.shm? None when /proc/PID/maps is unreadable."""
    paths = mapped_files(pid)
    if paths is None:
        return None
    return os.path.realpath(Layout(datadir).registry) in paths


def check_datadir(datadir: str) -> Finding | None:
    """The UNKNOWN cases (exit 4): missing, unreadable, not a pgsvc data directory."""
    if not os.path.isdir(datadir):
        return Finding(datadir, UNKNOWN, f'pgsvc: directory "{datadir}" does not exist')
    if not os.access(datadir, os.R_OK | os.X_OK):
        return Finding(datadir, UNKNOWN,
                       f'pgsvc: could not access directory "{datadir}": Permission denied')
    if not os.path.exists(os.path.join(datadir, MARKER_NAME)):
        return Finding(datadir, UNKNOWN,
                       f'pgsvc: directory "{datadir}" is not a database cluster directory')
    return None


def find_supervisor(datadir: str) -> Finding:
    """Decide running / not running / unknown for one data directory."""
    datadir = os.path.abspath(datadir)
    bad = check_datadir(datadir)
    if bad is not None:
        return bad
    layout = Layout(datadir)
    try:
        lock = read_lockfile(layout.lockfile)
    except (StartupError, OSError) as e:
        return Finding(datadir, UNKNOWN, f'pgsvc: could not read lock file "{layout.lockfile}": {e}')
    if lock is None:
        return Finding(datadir, NOT_RUNNING, "pgsvc: no server running")
    proc = _verified(lock, datadir)
    if proc is None:
        return Finding(datadir, NOT_RUNNING,
                       f'pgsvc: no server running (stale lock file "{layout.lockfile}": '
                       f"PID {lock.pid} is not a pgsvc supervisor for this data directory)",
                       lock=lock, stale_lock=True)
    return Finding(datadir, RUNNING, f"pgsvc: server is running (PID: {lock.pid})", lock=lock, proc=proc)


def _verified(lock: LockInfo, datadir: str) -> psutil.Process | None:
    if lock.pid <= 0 or lock.pid == os.getpid():
        return None
    proc = live_supervisor(lock, datadir)
    if proc is None:
        return None
    if maps_registry(lock.pid, datadir) is False and lock.status != "starting":
        # A live pgsvc, but it serves another data directory. (While `starting`, the
        # registry may not be mapped yet: it is created just after the lock file.)
        return None
    return proc
