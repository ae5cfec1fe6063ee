"""pg_ctl's job: `pgsvc start` daemonizes and returns only once the server is ready;
`status` exits 0 / 3; `reload` signals; `stop -m MODE` stops. And `make run`'s script."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time

import psutil

import pgwire
from conftest import PGSVC, ROOT, cannot_run, free_port, make_tmpdir, require_root, require_tool, wait_until


def pgsvc(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(PGSVC + list(args), capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))


def _lock_pid(srv) -> int:
    return int((srv.datadir / "postmaster.pid").read_text().split("\n")[0])


def account_log(srv) -> os.PathLike:
    """A log path in a directory the server's account owns: started as root, `pgsvc start`
    opens -l FILE as that account, as pg_ctl run by the account would."""
    logdir = srv.base / "log"
    logdir.mkdir()
    if srv.account:
        os.chown(logdir, pwd.getpwnam(srv.account).pw_uid, -1)
    return logdir / "start.log"


def test_start_status_reload_stop(server_factory):
    srv = server_factory(start=False)
    srv.sockdir.mkdir()
    srv.sockdir.chmod(0o1777)
    log = account_log(srv)
    args = ["-D", str(srv.datadir), "-p", str(srv.port), "-h", "127.0.0.1", "-k", str(srv.sockdir)]
    assert pgsvc("status", "-D", str(srv.datadir)).returncode == 3
    cli = subprocess.Popen(PGSVC + ["start", *args, "-l", str(log)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, cwd=str(ROOT))
    out, err = cli.communicate(timeout=60)
    assert cli.returncode == 0, out + err
    assert "server started" in out
    try:
        # returned only once ready: the lock file says so and clients connect at once
        lines = (srv.datadir / "postmaster.pid").read_text().split("\n")
        assert lines[7].strip() == "ready"
        daemon = psutil.Process(int(lines[0]))
        assert pgwire.startup(("127.0.0.1", srv.port), srv.superuser).auth_ok
        # detached: not the CLI's child, its own session, no controlling terminal
        assert daemon.ppid() != cli.pid
        assert os.getsid(daemon.pid) != os.getsid(0)
        assert daemon.terminal() is None
        if srv.account:
            assert daemon.uids().real == pwd.getpwnam(srv.account).pw_uid

        st = pgsvc("status", "-D", str(srv.datadir))
        assert st.returncode == 0, st
        assert f"PID: {daemon.pid}" in st.stdout

        again = pgsvc("start", *args)
        assert again.returncode == 1
        assert "another server might be running" in again.stderr
        assert daemon.is_running()

        rl = pgsvc("reload", "-D", str(srv.datadir))
        assert rl.returncode == 0 and "server signaled" in rl.stdout
        wait_until(lambda: "received SIGHUP" in log.read_text(), what="reload in the log")
        assert daemon.is_running()

        rs = pgsvc("restart", *args, "-l", str(log), "-m", "fast")
        assert rs.returncode == 0, rs
        assert "server started" in rs.stdout
        new_pid = _lock_pid(srv)
        assert new_pid != daemon.pid
        wait_until(lambda: not daemon.is_running() or daemon.status() == psutil.STATUS_ZOMBIE,
                   what="old supervisor gone")
        daemon = psutil.Process(new_pid)
        assert pgwire.startup(srv.socket_path, srv.superuser).auth_ok

        sp = pgsvc("stop", "-D", str(srv.datadir), "-m", "fast")
        assert sp.returncode == 0, sp
        assert "server stopped" in sp.stdout
        assert not daemon.is_running() or daemon.status() == psutil.STATUS_ZOMBIE
        assert not (srv.datadir / "postmaster.pid").exists()
        assert pgsvc("status", "-D", str(srv.datadir)).returncode == 3
        again = pgsvc("stop", "-D", str(srv.datadir))
        assert again.returncode == 1
    finally:
        if (srv.datadir / "postmaster.pid").exists():
            try:
                os.kill(_lock_pid(srv), signal.SIGQUIT)
            except (ProcessLookupError, ValueError):
                pass


def test_start_failure_is_reported(server_factory):
    srv = server_factory(start=False)
    srv.datadir.chmod(0o755)
    log = account_log(srv)
    r = pgsvc("start", "-D", str(srv.datadir), "-p", str(srv.port), "-h", "127.0.0.1",
              "-k", str(srv.base), "-l", str(log), "-t", "20")
    assert r.returncode == 1
    assert "could not start server" in r.stderr
    assert "invalid permissions" in log.read_text()


def test_log_file_is_opened_as_the_account_not_root(server_factory):
    """Root must not create or append to the -l file for the account: a path the account
    can't write is refused (and not created), and a symlink planted as the file is never
    followed; a file it can write is created owned by it, mode 0600."""
    require_root()
    srv = server_factory(start=False)
    srv.sockdir.mkdir()
    srv.sockdir.chmod(0o1777)
    args = ["-D", str(srv.datadir), "-p", str(srv.port), "-h", "127.0.0.1", "-k", str(srv.sockdir), "-t", "20"]
    root_only = srv.base / "root-only"
    root_only.mkdir(mode=0o700)
    r = pgsvc("start", *args, "-l", str(root_only / "x.log"))
    assert r.returncode == 1
    assert f'could not open log file "{root_only / "x.log"}": Permission denied' in r.stderr
    assert not (root_only / "x.log").exists()
    assert not (srv.datadir / "postmaster.pid").exists()

    log = account_log(srv)
    target = root_only / "secret"
    target.write_text("root's\n")
    log.symlink_to(target)
    r = pgsvc("start", *args, "-l", str(log))
    assert r.returncode == 1 and "could not open log file" in r.stderr
    assert target.read_text() == "root's\n"
    log.unlink()

    r = pgsvc("start", *args, "-l", str(log))
    assert r.returncode == 0, r.stderr
    try:
        st = log.stat()
        assert (st.st_uid, st.st_mode & 0o777) == (pwd.getpwnam(srv.account).pw_uid, 0o600)
        wait_until(lambda: "listening on" in log.read_text(), what="the server's log lines")
    finally:
        assert pgsvc("stop", "-D", str(srv.datadir), "-m", "fast").returncode == 0


def test_status_of_missing_directory_is_4(tmp_path):
    r = pgsvc("status", "-D", str(tmp_path / "nope"))
    assert r.returncode == 4


def test_stale_lock_is_not_running(server_factory):
    """A lock file naming a live but unrelated process: status says not running."""
    srv = server_factory(start=False)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        lock = srv.datadir / "postmaster.pid"
        lock.write_text(f"{sleeper.pid}\n{srv.datadir}\n{int(time.time())}\n{srv.port}\n/tmp\n127.0.0.1\n\nready   \n")
        assert pgsvc("status", "-D", str(srv.datadir)).returncode == 3
        srv.start()
        assert _lock_pid(srv) == srv.pid
    finally:
        sleeper.kill()
        sleeper.wait()


def test_make_run_script_as_root():
    """scripts/run-dev.sh (what `make run` runs) as root: creates the `pgsvc` account if
    missing, initdb's DATA for it, and serves in the foreground until SIGINT."""
    require_root()
    isready = require_tool("pg_isready")
    base = make_tmpdir()
    port = free_port()
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    sock.chmod(0o1777)
    env = {**os.environ, "PGSVC": str(ROOT / ".venv" / "bin" / "pgsvc"), "DATA": str(data),
           "PORT": str(port), "SOCKDIR": str(sock)}
    if not os.path.exists(env["PGSVC"]):
        cannot_run("no .venv/bin/pgsvc (run `make venv`)")
    missing = subprocess.run(["id", "pgsvc"], capture_output=True).returncode != 0
    proc = subprocess.Popen(["sh", "scripts/run-dev.sh"], cwd=str(ROOT), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def ready():
            if proc.poll() is not None:
                raise AssertionError(f"run-dev.sh exited {proc.returncode}: {proc.stdout.read()}")
            return subprocess.run([isready, "-h", str(sock), "-p", str(port), "-t", "2"],
                                  capture_output=True).returncode == 0

        wait_until(ready, timeout=60, interval=0.1, what="make run's server")
        account = pwd.getpwnam("pgsvc")
        assert data.stat().st_uid == account.pw_uid
        server = psutil.Process(proc.pid)  # the script execs the server
        assert server.uids().real == account.pw_uid
        assert pgwire.startup(("127.0.0.1", port), "pgsvc").auth_ok
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert "psql -h 127.0.0.1 -p" in out
        assert ("creating system account pgsvc" in out) == missing
        assert not (data / "postmaster.pid").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        import shutil

        shutil.rmtree(base, ignore_errors=True)
