"""Issue 6, "Status and metrics": `pgsvc status` (text, --json, --prometheus, --cluster),
`pgsvc ls` and `pgsvc top`, run as real commands against real servers.

Running with several connections in different states (raw sockets that have not
sent a start-up packet are `starting`; with the SQL engine, psycopg sessions that are
idle, active in pg_sleep, idle in transaction and aborted); stopped (exit 3); a stale
lock file naming an unrelated live process, or a live pgsvc serving another data
directory (exit 3, never a bare pid); unreadable or missing directories (exit 4); as
root and as the database account.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

import pgwire
from conftest import PGSVC, ROOT, make_tmpdir, require_engine, require_root, wait_until

_unit = importlib.util.spec_from_file_location(
    "monitor_unit", Path(__file__).resolve().parent.parent / "unit" / "test_monitor.py")
monitor_unit = importlib.util.module_from_spec(_unit)
_unit.loader.exec_module(monitor_unit)
parse_prometheus, sample = monitor_unit.parse_prometheus, monitor_unit.sample


def pgsvc(*args: str, env: dict | None = None, user: str | None = None,
          timeout: float = 30) -> subprocess.CompletedProcess:
    cmd = PGSVC + list(args)
    if user is not None:
        cmd = ["runuser", "-u", user, "--"] + cmd
    clean = {k: v for k, v in os.environ.items() if k != "PGDATA"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT),
                          env={**clean, **(env or {})})


def status_json(*args: str, **kw) -> tuple[int, dict]:
    res = pgsvc("status", "--json", *args, **kw)
    return res.returncode, json.loads(res.stdout)


@pytest.fixture(scope="module")
def srv(module_server_factory):
    return module_server_factory()


@pytest.fixture
def held(srv):
    """Two silent TCP connections and one silent Unix-socket connection (state `starting`)."""
    socks = [pgwire.open_socket(("127.0.0.1", srv.port)), pgwire.open_socket(("127.0.0.1", srv.port)),
             pgwire.open_socket(srv.socket_path)]
    kids = srv.wait_children(3)
    yield {k.pid for k in kids}
    for s in socks:
        s.close()
    wait_until(lambda: not srv.children(), what="backends to exit")


# ------------------------------------------------------------ running
def test_status_running_text(srv, held):
    res = pgsvc("status", "-D", str(srv.datadir))
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert out.splitlines()[0] == f"pgsvc: server is running (PID: {srv.pid})"
    assert f"127.0.0.1:{srv.port}" in out and srv.socket_path in out
    assert f"{srv.superuser} (uid {psutil.Process(srv.pid).uids().effective})" in out
    assert "state           ready" in out
    assert "connections     3 (3 starting)" in out
    assert "backends (3):" in out
    rows = {line.split()[0]: line for line in out.splitlines()[1:] if line.strip()[:1].isdigit()}
    assert held <= {int(p) for p in rows}
    clients = sorted(rows[str(p)].split()[3] for p in held)
    assert clients[0] == "127.0.0.1" or clients[0].startswith("127.0.0.1:")
    assert clients[-1] == "[local]"
    assert all("MiB" in rows[str(p)] for p in held)  # RSS and USS of each backend


def test_status_json_running(srv, held):
    code, doc = status_json("-D", str(srv.datadir))
    assert code == 0
    assert set(doc) == monitor_unit.TOP_KEYS
    assert set(doc["supervisor"]) == monitor_unit.SUPERVISOR_KEYS
    assert (doc["status"], doc["exit_code"], doc["state"], doc["ready"]) == ("running", 0, "ready", True)
    sup = doc["supervisor"]
    assert sup["pid"] == srv.pid and sup["account"] == srv.superuser
    assert sup["rss_bytes"] > 0 and sup["uss_bytes"] > 0 and sup["uptime_seconds"] >= 0
    assert doc["listen"] == {"tcp": [f"127.0.0.1:{srv.port}"], "unix": [srv.socket_path]}
    assert doc["lock_file"]["port"] == srv.port and doc["lock_file"]["status"] == "ready"
    assert doc["data_directory"] == str(srv.datadir) and doc["data_directory_size_bytes"] > 0
    assert {d["name"] for d in doc["databases"]} >= {"postgres", "template1"}
    assert {b["pid"] for b in doc["backends"]} == held
    for b in doc["backends"]:
        assert set(b) == monitor_unit.PROCESS_KEYS
        assert b["backend_type"] == "client backend" and b["state"] == "starting"
        assert b["backend_start"] and b["rss_bytes"] > 0 and b["cpu_seconds"] is not None
    assert sorted(b["client_addr"] for b in doc["backends"]) == ["127.0.0.1", "127.0.0.1", "[local]"]
    assert doc["connections"]["starting"] == 3 and doc["auxiliary"] == []
    assert doc["xact_commit"] >= 0 and doc["registry_slots"] > 0


def test_status_prometheus_running(srv, held):
    res = pgsvc("status", "-D", str(srv.datadir), "--prometheus")
    assert res.returncode == 0
    samples, types = parse_prometheus(res.stdout)
    dd = {"data_directory": str(srv.datadir)}
    assert sample(samples, "pgsvc_up", **dd) == 1
    assert sample(samples, "pgsvc_ready", **dd) == 1
    assert sample(samples, "pgsvc_connections", state="starting") == 3
    assert sample(samples, "pgsvc_backends", backend_type="client backend") == 3
    assert sample(samples, "pgsvc_process_resident_memory_bytes", process_type="supervisor") > 0
    assert sample(samples, "pgsvc_process_cpu_seconds", process_type="supervisor") > 0
    assert sample(samples, "pgsvc_uptime_seconds") >= 0
    assert sample(samples, "pgsvc_xact_commit_total") >= 0
    assert sample(samples, "pgsvc_database_size_bytes", datname="postgres") > 0
    assert types["pgsvc_xact_rollback_total"] == "counter"


def test_status_sql_states(srv):
    """idle / active / idle in transaction / aborted, queries and counters (needs the engine)."""
    require_engine()
    import psycopg

    def connect(name):  # simple query protocol: the states, not the protocol, are tested here
        return psycopg.connect(srv.dsn(application_name=name), connect_timeout=10, autocommit=True,
                               cursor_factory=psycopg.ClientCursor)

    idle, busy, in_xact, aborted = (connect(n) for n in ("mon-idle", "mon-busy", "mon-xact", "mon-aborted"))
    try:
        idle.execute("SELECT 1")
        in_xact.execute("BEGIN")
        in_xact.execute("SELECT 2")
        aborted.execute("BEGIN")
        with pytest.raises(psycopg.Error):
            aborted.execute("SELECT 1/0")
        sleeper = threading.Thread(target=lambda: busy.execute("SELECT pg_sleep(2)"))
        sleeper.start()

        def states():
            code, doc = status_json("-D", str(srv.datadir))
            got = {b["application_name"]: b for b in doc["backends"]}
            return doc if got.get("mon-busy", {}).get("state") == "active" else None

        doc = wait_until(states, timeout=5, interval=0.1, what="an active backend")
        by_app = {b["application_name"]: b for b in doc["backends"]}
        assert by_app["mon-idle"]["state"] == "idle" and by_app["mon-idle"]["xact_start"] is None
        assert by_app["mon-busy"]["query"] == "SELECT pg_sleep(2)" and by_app["mon-busy"]["query_start"]
        assert by_app["mon-xact"]["state"] == "idle in transaction" and by_app["mon-xact"]["xact_start"]
        assert by_app["mon-aborted"]["state"] == "idle in transaction (aborted)"
        assert {b["user"] for b in by_app.values()} == {srv.superuser}
        assert {b["database"] for b in by_app.values()} == {"postgres"}
        for state in ("idle", "active", "idle in transaction", "idle in transaction (aborted)"):
            assert doc["connections"][state] == 1, state
        text = pgsvc("status", "-D", str(srv.datadir)).stdout
        assert "SELECT pg_sleep(2)" in text and "mon-xact" in text
        sleeper.join(10)
    finally:
        for c in (idle, busy, in_xact, aborted):
            c.close()


def test_status_counts_transactions(srv):
    """xact_commit / xact_rollback (JSON and pgsvc_xact_*_total) count real transactions."""
    require_engine()
    import psycopg

    before = status_json("-D", str(srv.datadir))[1]
    with psycopg.connect(srv.dsn(), connect_timeout=10, autocommit=True,
                         cursor_factory=psycopg.ClientCursor) as conn:
        for _ in range(3):
            conn.execute("BEGIN")
            conn.execute("SELECT 1")
            conn.execute("COMMIT")
        conn.execute("BEGIN")
        conn.execute("ROLLBACK")
        live = status_json("-D", str(srv.datadir))[1]  # counted while the backend lives
    assert live["xact_commit"] >= before["xact_commit"] + 3
    assert live["xact_rollback"] >= before["xact_rollback"] + 1
    wait_until(lambda: not srv.children(), what="the backend to exit")
    after = status_json("-D", str(srv.datadir))[1]  # and kept when it has exited
    assert after["xact_commit"] >= live["xact_commit"]
    samples, _ = parse_prometheus(pgsvc("status", "-D", str(srv.datadir), "--prometheus").stdout)
    assert sample(samples, "pgsvc_xact_commit_total") == after["xact_commit"]


def test_status_as_the_account(srv, held):
    require_root()
    if srv.account is None:
        pytest.skip("the server runs as the current user")
    code, doc = status_json("-D", str(srv.datadir), user=srv.account)
    assert code == 0, doc
    assert doc["supervisor"]["account"] == srv.account and doc["supervisor"]["rss_bytes"] > 0
    assert {b["pid"] for b in doc["backends"]} == held
    assert doc["listen"]["tcp"] == [f"127.0.0.1:{srv.port}"]
    # A server started as root that dropped to the account is not dumpable, so its
    # /proc/PID/smaps belongs to root: USS may be unknown (null), never wrong.
    assert doc["supervisor"]["uss_bytes"] is None or doc["supervisor"]["uss_bytes"] > 0


def test_status_as_another_account_is_unknown(srv):
    require_root()
    res = pgsvc("status", "-D", str(srv.datadir), user="nobody")
    assert res.returncode == 4, res
    assert "Permission denied" in res.stderr


def test_status_pgdata_and_cluster_option(srv, tmp_path):
    res = pgsvc("status", env={"PGDATA": str(srv.datadir)})
    assert res.returncode == 0 and f"(PID: {srv.pid})" in res.stdout
    (tmp_path / "main").symlink_to(srv.datadir)
    code, doc = status_json("--cluster", "main", env={"PGSVC_CLUSTERS_DIR": str(tmp_path)})
    assert code == 0 and doc["cluster"] == "main" and doc["supervisor"]["pid"] == srv.pid
    assert pgsvc("status", "--cluster", "nothere", env={"PGSVC_CLUSTERS_DIR": str(tmp_path)}).returncode == 4
    assert pgsvc("status", "--cluster", "../etc").returncode == 4
    assert pgsvc("status").returncode == 4  # neither -D nor PGDATA


# ------------------------------------------------------------ not running
@pytest.fixture(scope="module")
def stopped(module_server_factory):
    return module_server_factory(start=False)


def test_status_stopped(stopped):
    res = pgsvc("status", "-D", str(stopped.datadir))
    assert res.returncode == 3
    assert res.stdout.startswith("pgsvc: no server running\n")
    code, doc = status_json("-D", str(stopped.datadir))
    assert code == 3 and (doc["status"], doc["supervisor"], doc["stale_lock_file"]) == ("not running", None, False)
    assert doc["data_directory_size_bytes"] > 0
    prom = pgsvc("status", "-D", str(stopped.datadir), "--prometheus")
    assert prom.returncode == 3
    samples, _ = parse_prometheus(prom.stdout)
    assert sample(samples, "pgsvc_up") == 0


def _write_lock(datadir: Path, pid: int, start: float, port: int = 1) -> None:
    lock = datadir / "postmaster.pid"
    lock.write_text(f"{pid}\n{datadir}\n{int(start)}\n{port}\n/tmp\n127.0.0.1\nfile {datadir}/pgsvc.shm\nready   \n")


def test_stale_lock_naming_an_unrelated_process(stopped):
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        _write_lock(stopped.datadir, sleeper.pid, time.time())
        res = pgsvc("status", "-D", str(stopped.datadir))
        assert res.returncode == 3, res.stdout
        assert "stale lock file" in res.stdout and str(sleeper.pid) in res.stdout
        code, doc = status_json("-D", str(stopped.datadir))
        assert (code, doc["status"], doc["stale_lock_file"]) == (3, "not running", True)
        assert doc["lock_file"]["pid"] == sleeper.pid and doc["supervisor"] is None
        assert sleeper.poll() is None  # looked at, never signalled
    finally:
        sleeper.kill()
        sleeper.wait()
        (stopped.datadir / "postmaster.pid").unlink(missing_ok=True)


def test_stale_lock_naming_a_live_pgsvc_of_another_directory(srv, stopped):
    """The pid is a live pgsvc supervisor, started before the lock's time — but it serves
    another data directory (it does not map this one's registry)."""
    _write_lock(stopped.datadir, srv.pid, psutil.Process(srv.pid).create_time() + 1, srv.port)
    try:
        res = pgsvc("status", "-D", str(stopped.datadir))
        assert res.returncode == 3, res.stdout
        assert "stale lock file" in res.stdout
    finally:
        (stopped.datadir / "postmaster.pid").unlink()


def test_status_unknown(tmp_path):
    assert pgsvc("status", "-D", str(tmp_path / "missing")).returncode == 4
    res = pgsvc("status", "-D", str(tmp_path))  # exists, but no PGSVC_VERSION
    assert res.returncode == 4 and "not a database cluster directory" in res.stderr
    code, doc = status_json("-D", str(tmp_path / "missing"))
    assert code == 4 and doc["status"] == "unknown"


def test_status_while_stopping(server_factory):
    srv = server_factory()
    sock = pgwire.open_socket(srv.socket_path)
    try:
        srv.wait_children(1)
        os.kill(srv.pid, signal.SIGTERM)  # smart: waits for the client
        wait_until(lambda: "stopping" in (srv.datadir / "postmaster.pid").read_text(), what="stopping")
        code, doc = status_json("-D", str(srv.datadir))
        assert (code, doc["state"], doc["ready"]) == (0, "stopping", False)
    finally:
        sock.close()
    srv.proc.wait(20)
    assert pgsvc("status", "-D", str(srv.datadir)).returncode == 3


# ------------------------------------------------------------ ls
def test_ls(srv, stopped, tmp_path):
    clusters = tmp_path / "clusters"
    conf = tmp_path / "etc"
    clusters.mkdir()
    conf.mkdir()
    (clusters / "main").symlink_to(srv.datadir)
    (clusters / "notacluster").mkdir()
    (conf / "clusters").write_text(f"# comment\nspare {stopped.datadir}\n")
    env = {"PGSVC_CLUSTERS_DIR": str(clusters), "PGSVC_CONF_DIR": str(conf)}
    res = pgsvc("ls", "--json", "--no-discover", env=env)
    assert res.returncode == 0, res.stderr
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert set(rows) == {"main", "spare"}
    main, spare = rows["main"], rows["spare"]
    assert (main["port"], main["status"], main["pid"], main["source"]) == (srv.port, "online", srv.pid, "systemd")
    assert main["owner"] == srv.superuser and main["log"] == str(srv.log)
    assert (spare["status"], spare["pid"], spare["source"]) == ("down", None, "config")
    assert spare["data_directory"] == str(stopped.datadir) and spare["port"] == 5432
    text = pgsvc("ls", env=env).stdout.splitlines()
    assert text[0].split()[:4] == ["Cluster", "Port", "Status", "Owner"]
    line = next(row for row in text if row.startswith("main "))
    assert line.split()[1:4] == [str(srv.port), "online", srv.superuser]
    extra = make_tmpdir()
    try:
        other = json.loads(pgsvc("ls", "--json", "--no-discover", "-D", str(extra), env=env).stdout)
        assert {r["data_directory"]: r["status"] for r in other}[str(extra)] == "unknown"
    finally:
        extra.rmdir()


def test_ls_discovers_running_servers(srv):
    require_root()  # other accounts' /proc/PID/maps are readable by root only
    rows = json.loads(pgsvc("ls", "--json", env={"PGSVC_CLUSTERS_DIR": "/nonexistent"}).stdout)
    mine = [r for r in rows if r["data_directory"] == str(srv.datadir)]
    assert len(mine) == 1 and mine[0]["status"] == "online" and mine[0]["source"] == "running"


# ------------------------------------------------------------ top
def test_top_plain_iterations(srv, held):
    start = time.monotonic()
    res = pgsvc("top", "-D", str(srv.datadir), "--iterations", "2", "--delay", "0.2", env={"TERM": "dumb"})
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("--- pgsvc top") == 2
    assert res.stdout.count(f"pgsvc: server is running (PID: {srv.pid})") == 2
    assert "3 starting" in res.stdout
    assert time.monotonic() - start < 10


def _run_in_pty(args: list[str], keys: bytes | None = None, after: float = 0.0,
                timeout: float = 15) -> tuple[int, bytes]:
    """Run under a pseudo-terminal (curses needs one); optionally type `keys` after a delay."""
    pid, fd = pty.fork()
    if pid == 0:  # child: exec at once
        os.chdir(ROOT)
        env = {**os.environ, "TERM": "xterm", "LINES": "40", "COLUMNS": "200"}
        env.pop("PGDATA", None)
        os.execve(sys.executable, [sys.executable, "-m", "pgsvc", *args], env)
    output = b""
    deadline = time.monotonic() + timeout
    sent = keys is None
    started = time.monotonic()
    while time.monotonic() < deadline:
        if not sent and time.monotonic() - started >= after and b"pgsvc top" in output:
            os.write(fd, keys)
            sent = True
        ready, _, _ = select.select([fd], [], [], 0.05)
        chunk = b""
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal (exited)
                pass
            output += chunk
        wpid, status = os.waitpid(pid, 0 if ready and not chunk else os.WNOHANG)
        if wpid == pid:
            os.close(fd)
            return os.waitstatus_to_exitcode(status), output
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)
    raise AssertionError(f"pgsvc {' '.join(args)} did not exit; output: {output[-2000:]!r}")


def test_top_curses_iterations(srv, held):
    code, out = _run_in_pty(["top", "-D", str(srv.datadir), "--iterations", "2"])
    assert code == 0, out[-2000:]
    assert b"pgsvc top - " + str(srv.datadir).encode() in out
    assert b"commit/s" in out  # the second refresh has a rate
    assert b"\x1b[?1049l" in out or b"\x1b[?47l" in out  # the screen was restored


@pytest.mark.parametrize("key", [b"q", b"\x03"], ids=["q", "ctrl-c"])
def test_top_quits_on_key(srv, key):
    start = time.monotonic()
    code, out = _run_in_pty(["top", "-D", str(srv.datadir)], keys=key, after=0.3)
    assert code == 0, out[-2000:]
    assert time.monotonic() - start < 10
    assert b"Traceback" not in out

