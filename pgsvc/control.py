"""pg_ctl's job outside systemd: start a detached server, stop, reload, status.

The server is found through its lock file and psutil identity checks (DESIGN
convention 6), never through a bare pid.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from pgsvc.cluster.layout import Layout
from pgsvc.cluster.lockfile import read_lockfile
from pgsvc.errors import PgsvcError, StartupError
from pgsvc.monitor.identity import find_supervisor

MODES = {"smart": signal.SIGTERM, "s": signal.SIGTERM, "fast": signal.SIGINT, "f": signal.SIGINT,
         "immediate": signal.SIGQUIT, "i": signal.SIGQUIT}


class ControlError(PgsvcError):
    pass


def _layout(datadir: str) -> Layout:
    return Layout(os.path.abspath(datadir))


def find_server(datadir: str):
    """(LockInfo, psutil.Process) of the live supervisor, or (info or None, None).

    The same identity checks as `pgsvc status` (monitor.identity): a lock file copied
    from another cluster must never make stop/reload signal that cluster's server."""
    finding = find_supervisor(datadir)
    return finding.lock, finding.proc


def server_running(datadir: str) -> bool:
    return find_server(datadir)[1] is not None


def start_server(opts, logfile: str | None, wait: bool, timeout: int) -> None:
    """Daemonize a supervisor with python-daemon; wait for the lock file's `ready`."""
    if server_running(opts.datadir):
        info, _ = find_server(opts.datadir)
        raise ControlError(f'pgsvc: another server might be running (PID {info.pid}); '
                           "trying to start server anyway\npgsvc: could not start server")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        _daemon_main(opts, logfile, w)  # never returns
    os.close(w)
    os.waitpid(pid, 0)  # the intermediate child exits once the daemon is detached
    daemon_pid = _read_pid(r)
    if daemon_pid is None:  # the child said why on stderr (e.g. the log file cannot be opened)
        raise ControlError("pgsvc: could not start server")
    print("waiting for server to start...." if wait else "server starting", flush=True)
    if not wait:
        return
    deadline = time.monotonic() + timeout
    layout = _layout(opts.datadir)
    while time.monotonic() < deadline:
        info = _safe_read(layout.lockfile)
        if info is not None and info.pid == daemon_pid and info.status == "ready":
            print(" done\nserver started")
            return
        if daemon_pid is None or not _alive(daemon_pid):
            raise ControlError(" stopped waiting\npgsvc: could not start server\n"
                               "Examine the log output.")
        time.sleep(0.05)
    raise ControlError(" stopped waiting\npgsvc: server did not start in time")


def _daemon_main(opts, logfile: str | None, report_fd: int) -> None:
    import daemon

    # Only `start` runs the server: stop, reload and status must not load its code.
    from pgsvc.supervisor.postmaster import serve

    out = open_log(logfile, opts) if logfile else None
    stderr = out or sys.stderr
    code = 1
    try:
        with daemon.DaemonContext(working_directory="/", umask=0o077, detach_process=True,
                                  stdout=out or sys.stdout, stderr=stderr,
                                  files_preserve=[report_fd], prevent_core=True,
                                  signal_map={}):
            os.write(report_fd, f"{os.getpid()}\n".encode())
            os.close(report_fd)
            try:
                code = serve(opts)
            except PgsvcError as e:
                print(str(e), file=sys.stderr, flush=True)
                code = 1
    finally:
        os._exit(code)


def open_log(logfile: str, opts):
    """The -l file, opened for appending as the account the server will run as.

    Root must not create or append to a file on the account's behalf: the path may sit in
    a directory that account controls (a symlink to /etc/shadow, say). So, as root, the
    file is opened with the account's effective ids and groups, without following a final
    symlink; the real ids stay root's so the server can still drop privileges fully later.
    """
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        if os.geteuid() != 0:
            fd = os.open(logfile, flags, 0o600)
        else:
            fd = _open_as_account(logfile, flags, opts)
    except OSError as e:
        print(f'pgsvc: could not open log file "{logfile}": {e.strerror}', file=sys.stderr, flush=True)
        os._exit(1)
    return os.fdopen(fd, "a", buffering=1)


def _open_as_account(logfile: str, flags: int, opts) -> int:
    # `start` only, like serve above: stop/reload/status stay light.
    from pgsvc.os_account import lookup_account
    from pgsvc.supervisor.startup import account_name

    name = account_name(opts)
    if not name:
        # No account: the server will only write its refusal to run as root and exit,
        # and the operator should read that in the file they named.
        return os.open(logfile, flags, 0o600)
    try:
        account = lookup_account(name)
    except PgsvcError as e:
        print(str(e), file=sys.stderr, flush=True)
        os._exit(1)
    groups = os.getgroups()
    os.setgroups(os.getgrouplist(account.name, account.gid))
    os.setegid(account.gid)
    os.seteuid(account.uid)
    try:
        return os.open(logfile, flags, 0o600)
    finally:
        os.seteuid(0)
        os.setegid(0)
        os.setgroups(groups)


def _read_pid(fd: int) -> int | None:
    data = b""
    while chunk := os.read(fd, 64):
        data += chunk
        if b"\n" in data:
            break
    os.close(fd)
    try:
        return int(data.strip())
    except ValueError:
        return None


def _alive(pid: int) -> bool:
    try:
        wpid, _ = os.waitpid(pid, os.WNOHANG)
        if wpid == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _safe_read(path: str):
    try:
        return read_lockfile(path)
    except StartupError:
        return None


def stop_server(datadir: str, mode: str, wait: bool, timeout: int) -> None:
    info, proc = find_server(datadir)
    if info is None:
        raise ControlError(f'pgsvc: PID file "{_layout(datadir).lockfile}" does not exist\n'
                           "Is server running?")
    if proc is None:
        raise ControlError(f"pgsvc: could not send stop signal (PID: {info.pid}): No such process\n"
                           "The lock file is stale; the server is not running.")
    os.kill(info.pid, MODES[mode])
    if not wait:
        print("server shutting down")
        return
    print("waiting for server to shut down....", end="", flush=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not os.path.exists(_layout(datadir).lockfile) or not proc.is_running():
            print(" done\nserver stopped")
            return
        time.sleep(0.05)
    raise ControlError(" failed\npgsvc: server does not shut down")


def reload_server(datadir: str) -> None:
    info, proc = find_server(datadir)
    if proc is None:
        raise ControlError(f'pgsvc: PID file "{_layout(datadir).lockfile}" does not exist\n'
                           "Is server running?")
    os.kill(info.pid, signal.SIGHUP)
    print("server signaled")
