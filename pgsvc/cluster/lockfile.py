"""Start-up step 3: the lock files `postmaster.pid` and `<socketdir>/.s.PGSQL.<port>.lock`.

PostgreSQL's CreateLockFile: created with O_EXCL (two servers racing cannot both
win), mode 0600, one field per line in PostgreSQL's order. A leftover file is
replaced only when it is stale: its pid is not a live pgsvc supervisor for this data
directory, as judged by psutil (process exists, is pgsvc, started when the file says)
— never by a bare pid, which the kernel may have recycled for anything.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pgsvc.errors import StartupError

if TYPE_CHECKING:
    import psutil

# Line numbers (1-based) as in PostgreSQL's pidfile.h.
LINE_PID, LINE_DATADIR, LINE_START, LINE_PORT, LINE_SOCKDIR, LINE_LISTEN, LINE_SHMEM, LINE_STATUS = range(1, 9)
STATUS_STARTING = "starting"
STATUS_READY = "ready   "
STATUS_STOPPING = "stopping"


@dataclass(frozen=True)
class LockInfo:
    pid: int
    datadir: str
    start_time: float
    port: int | None
    socket_dir: str
    listen_addr: str
    shmem_key: str
    status: str


def read_lockfile(path: str) -> LockInfo | None:
    """Parse a lock file; None if absent or unreadable as one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise StartupError(f'pgsvc: lock file "{path}" is a symbolic link; refusing to use it') from None
        raise
    with os.fdopen(fd, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    try:
        pid = int(lines[0])
    except (ValueError, IndexError):
        return None
    field = (lambda n: lines[n - 1] if len(lines) >= n else "")
    try:
        start = float(field(LINE_START) or 0)
    except ValueError:
        start = 0.0
    port_text = field(LINE_PORT).strip()
    return LockInfo(pid, field(LINE_DATADIR), start, int(port_text) if port_text.isdigit() else None,
                    field(LINE_SOCKDIR), field(LINE_LISTEN), field(LINE_SHMEM), field(LINE_STATUS).strip())


def live_supervisor(info: LockInfo, datadir: str | None = None) -> psutil.Process | None:
    """The process the lock file names, if it is really a running pgsvc supervisor.

    Identity: the pid exists, its command line is pgsvc's, it was created no later than
    the file's start time (plus slack for clock rounding), and — when known — it serves
    the same data directory.
    """
    # lazy: psutil takes ~6 ms to import, and a server starting on a data directory
    # with no leftover lock file (the usual case) needs it only after READY=1
    import psutil

    try:
        proc = psutil.Process(info.pid)
        cmdline = proc.cmdline()
        created = proc.create_time()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.AccessDenied:
        # Another account's process: we cannot see its identity. Treat it as live only if
        # it could plausibly be ours (created before the lock was written).
        try:
            created = psutil.Process(info.pid).create_time()
        except psutil.Error:
            return None
        return psutil.Process(info.pid) if created <= info.start_time + 2 else None
    if proc.status() == psutil.STATUS_ZOMBIE:
        return None
    if not any("pgsvc" in part for part in cmdline[:3]) and "pgsvc" not in proc.name():
        return None
    if info.start_time and created > info.start_time + 2:
        return None  # pid reused by a process started after the lock was written
    if datadir and info.datadir and os.path.realpath(info.datadir) != os.path.realpath(datadir):
        return None
    return proc


def _render(fields: list[str]) -> str:
    return "\n".join(fields) + "\n"


class LockFile:
    """An O_EXCL lock file owned by this process for the server's lifetime."""

    def __init__(self, path: str, datadir: str, what: str) -> None:
        self.path = path
        self.datadir = datadir
        self.what = what  # "data directory" or "socket"
        self.fields: list[str] = []
        self.held = False

    def acquire(self, fields: list[str]) -> None:
        """Create the file, replacing a stale one; refuse if a live supervisor holds it."""
        self.fields = list(fields)
        for _attempt in range(10):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            except FileExistsError:
                self._remove_if_stale()
                continue
            except OSError as e:
                raise StartupError(f'pgsvc: could not create lock file "{self.path}": {e.strerror}') from None
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(_render(self.fields))
                f.flush()
                os.fsync(f.fileno())
            self.held = True
            return
        raise StartupError(f'pgsvc: could not create lock file "{self.path}": too many retries')

    def _remove_if_stale(self) -> None:
        if os.path.islink(self.path):
            raise StartupError(f'pgsvc: lock file "{self.path}" is a symbolic link; refusing to use it\n'
                               "Remove it after checking that no server uses it.")
        info = read_lockfile(self.path)
        if info is not None:
            if info.pid == os.getpid() or info.pid == os.getppid():
                raise StartupError(f'pgsvc: lock file "{self.path}" is owned by this process or its parent')
            proc = live_supervisor(info, self.datadir if self.what == "data directory" else None)
            if proc is not None:
                if self.what == "data directory":
                    raise StartupError(
                        f'pgsvc: lock file "{self.path}" already exists\n'
                        f'HINT:  Is another pgsvc (PID {info.pid}) running in data directory "{self.datadir}"?')
                raise StartupError(
                    f'pgsvc: lock file "{self.path}" already exists\n'
                    f"HINT:  Is another pgsvc (PID {info.pid}) using socket file "
                    f'"{self.path[:-len(".lock")]}"?')
        elif _young(self.path):
            # Unparseable and brand new: another server may be writing it right now.
            time.sleep(0.1)
            if read_lockfile(self.path) is None and _young(self.path):
                raise StartupError(f'pgsvc: lock file "{self.path}" is empty\n'
                                   "HINT:  Either another server is starting, or the lock file is the "
                                   "remnant of a previous server startup crash.")
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def set_status(self, status: str) -> None:
        """Rewrite the status line (PostgreSQL pads it so the file keeps its size)."""
        if not self.held:
            return
        while len(self.fields) < LINE_STATUS:
            self.fields.append("")
        self.fields[LINE_STATUS - 1] = status.ljust(8)
        tmp = os.open(self.path, os.O_WRONLY | os.O_NOFOLLOW)
        try:
            data = _render(self.fields).encode()
            os.pwrite(tmp, data, 0)
            os.ftruncate(tmp, len(data))
        finally:
            os.close(tmp)

    def release(self) -> None:
        if self.held:
            try:
                info = read_lockfile(self.path)
                if info is not None and info.pid == os.getpid():
                    os.unlink(self.path)
            except (OSError, StartupError):
                pass
            self.held = False


def _young(path: str) -> bool:
    try:
        return time.time() - os.stat(path).st_mtime < 5
    except FileNotFoundError:
        return False
