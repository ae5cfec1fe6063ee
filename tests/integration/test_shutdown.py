"""Shutdown modes as PostgreSQL's, the lock file's life, max_connections, and reload.

SIGTERM smart: new connections get 57P03, connected clients keep their session until
they leave. SIGINT fast: backends are terminated (a client sees 57P01). SIGQUIT
immediate. Each removes postmaster.pid and the socket file. A supervisor killed with
SIGKILL leaves a stale lock file that the next start replaces.
"""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

import pgwire
from conftest import require_engine, wait_until


def _gone(srv) -> None:
    assert not (srv.datadir / "postmaster.pid").exists()
    assert not os.path.exists(srv.socket_path)
    assert not os.path.exists(srv.socket_path + ".lock")
    assert not (srv.datadir / "pgsvc.shm").exists()


def _lock_status(srv) -> str:
    return (srv.datadir / "postmaster.pid").read_text().split("\n")[7].strip()


def test_smart_shutdown_waits_for_clients_and_refuses_new_ones(server_factory):
    srv = server_factory()
    held = pgwire.open_socket(("127.0.0.1", srv.port))
    try:
        (backend,) = srv.wait_children(1)
        os.kill(srv.pid, signal.SIGTERM)
        wait_until(lambda: _lock_status(srv) == "stopping", what="lock status stopping")
        for target in (("127.0.0.1", srv.port), srv.socket_path):
            res = pgwire.startup(target, srv.superuser)
            assert res.sqlstate == "57P03", res
            assert res.message == "the database system is shutting down"
        time.sleep(0.3)
        assert srv.proc.poll() is None, "smart shutdown must wait for the connected client"
        assert backend.is_running()
    finally:
        held.close()
    assert srv.proc.wait(20) == 0
    _gone(srv)


def test_smart_shutdown_waits_for_a_session(server_factory):
    require_engine()
    import psycopg

    srv = server_factory()
    conn = psycopg.connect(srv.dsn(), connect_timeout=10, autocommit=True)
    try:
        os.kill(srv.pid, signal.SIGTERM)
        time.sleep(0.5)
        assert srv.proc.poll() is None
        assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        conn.close()
    assert srv.proc.wait(20) == 0
    _gone(srv)


def test_fast_shutdown_terminates_backends(server_factory):
    srv = server_factory()
    held = [pgwire.open_socket(("127.0.0.1", srv.port)), pgwire.open_socket(srv.socket_path)]
    try:
        kids = srv.wait_children(2)
        start = time.monotonic()
        os.kill(srv.pid, signal.SIGINT)
        assert srv.proc.wait(20) == 0
        assert time.monotonic() - start < 5
        for k in kids:
            assert not k.is_running() or k.status() == psutil.STATUS_ZOMBIE
    finally:
        for h in held:
            h.close()
    _gone(srv)


def test_fast_shutdown_client_sees_57p01(server_factory):
    require_engine()
    import psycopg

    srv = server_factory()
    conn = psycopg.connect(srv.dsn(), connect_timeout=10, autocommit=True)
    try:
        os.kill(srv.pid, signal.SIGINT)
        assert srv.proc.wait(20) == 0
        with pytest.raises(psycopg.OperationalError) as info:
            conn.execute("SELECT 1")
        assert getattr(info.value, "sqlstate", None) in ("57P01", None)
        assert "terminating connection due to administrator command" in str(info.value)
    finally:
        conn.close()
    _gone(srv)


def test_immediate_shutdown(server_factory):
    srv = server_factory()
    held = pgwire.open_socket(("127.0.0.1", srv.port))
    try:
        (backend,) = srv.wait_children(1)
        os.kill(srv.pid, signal.SIGQUIT)
        srv.proc.wait(20)
        assert not backend.is_running() or backend.status() == psutil.STATUS_ZOMBIE
    finally:
        held.close()
    _gone(srv)


def test_sigkill_leaves_stale_lock_that_next_start_replaces(server_factory):
    srv = server_factory()
    held = pgwire.open_socket(("127.0.0.1", srv.port))
    (backend,) = srv.wait_children(1)
    old_pid = srv.pid
    srv.proc.kill()
    srv.proc.wait(10)
    held.close()
    try:
        backend.wait(10)  # the orphan ends on its client's EOF
    except psutil.TimeoutExpired:
        backend.kill()
    lock = srv.datadir / "postmaster.pid"
    assert lock.read_text().split("\n")[0] == str(old_pid)
    assert os.path.exists(srv.socket_path)
    srv.start()
    assert lock.read_text().split("\n")[0] == str(srv.pid) != str(old_pid)
    assert pgwire.startup(srv.socket_path, srv.superuser).auth_ok
    srv.stop()
    _gone(srv)


def test_max_connections_plus_one_gets_53300(server_factory):
    srv = server_factory(server_args=("-c", "max_connections=3", "-c", "superuser_reserved_connections=0"))
    held = [pgwire.open_socket(("127.0.0.1", srv.port)) for _ in range(3)]
    try:
        srv.wait_children(3)
        res = pgwire.startup(("127.0.0.1", srv.port), srv.superuser)
        assert res.sqlstate == "53300", res
        assert res.message == "sorry, too many clients already"
        assert res.error["S"] == "FATAL"
        held.pop().close()
        srv.wait_children(2)
        assert pgwire.startup(("127.0.0.1", srv.port), srv.superuser).auth_ok
    finally:
        for h in held:
            h.close()


def test_reload_applies_changed_hba_without_restart(server_factory):
    srv = server_factory()
    hba = srv.datadir / "pg_hba.conf"
    original = hba.read_text()
    assert pgwire.startup(("127.0.0.1", srv.port), srv.superuser).auth_ok
    hba.write_text(original.replace("trust", "reject"))
    os.kill(srv.pid, signal.SIGHUP)

    def rejected():
        res = pgwire.startup(("127.0.0.1", srv.port), srv.superuser)
        return res if res.sqlstate == "28000" else None

    res = wait_until(rejected, what="hba reject after reload")
    assert res.message.startswith('pg_hba.conf rejects connection for host "127.0.0.1", user "')
    unix = pgwire.startup(srv.socket_path, srv.superuser)
    assert unix.sqlstate == "28000" and 'host "[local]"' in unix.message
    pid = srv.pid
    hba.write_text(original)
    os.kill(srv.pid, signal.SIGHUP)
    wait_until(lambda: pgwire.startup(srv.socket_path, srv.superuser).auth_ok, what="trust again")
    assert srv.pid == pid and srv.proc.poll() is None


def test_reload_with_broken_hba_keeps_old_rules(server_factory):
    srv = server_factory()
    hba = srv.datadir / "pg_hba.conf"
    original = hba.read_text()
    hba.write_text(original + "\nhost all all 127.0.0.1/32 bogus_method\n")
    os.kill(srv.pid, signal.SIGHUP)
    wait_until(lambda: "configuration file contains errors" in srv.log.read_text(), what="reload error")
    assert pgwire.startup(("127.0.0.1", srv.port), srv.superuser).auth_ok
    assert srv.proc.poll() is None


def test_reserved_connections_must_be_below_max_connections(server_factory):
    import subprocess

    from conftest import PGSVC, ROOT

    srv = server_factory(start=False)
    cmd = PGSVC + ["server", "-D", str(srv.datadir), "-p", str(srv.port), "-h", "127.0.0.1", "-k",
                   str(srv.base), "-c", "max_connections=3"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=str(ROOT))
    assert r.returncode != 0
    assert "superuser_reserved_connections (3) must be less than max_connections (3)" in r.stderr
    assert not (srv.datadir / "postmaster.pid").exists()


def test_fast_shutdown_interrupts_a_running_query(server_factory):
    require_engine()
    import threading

    import psycopg

    srv = server_factory()
    conn = psycopg.connect(srv.dsn(), connect_timeout=10, autocommit=True)
    outcome: list = []

    def run():
        try:
            conn.execute("SELECT pg_sleep(30)")
            outcome.append(None)
        except Exception as e:  # noqa: BLE001 - recorded for the assertion
            outcome.append(e)

    t = threading.Thread(target=run)
    t.start()
    try:
        wait_until(lambda: any("active" in " ".join(k.cmdline()) for k in srv.children()),
                   what="query to be running")
        start = time.monotonic()
        os.kill(srv.pid, signal.SIGINT)
        t.join(15)
        assert not t.is_alive()
        assert time.monotonic() - start < 5
        assert outcome and isinstance(outcome[0], psycopg.Error), outcome
        assert "terminating connection due to administrator command" in str(outcome[0])
        assert srv.proc.wait(20) == 0
    finally:
        conn.close()
    _gone(srv)


def _add_login_role(srv, name: str) -> None:
    """Insert a plain login role into the shared catalog, as the cluster's account (the
    SQL layer's CREATE ROLE is not there yet)."""
    import pwd
    import subprocess

    code = ("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]);"
            "c.execute('INSERT INTO pg_authid (oid, rolname, rolcanlogin) VALUES (90001, ?, 1)', (sys.argv[2],));"
            "c.commit()")
    pw = pwd.getpwnam(srv.account) if srv.account else None

    def as_account():
        if pw:
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)

    subprocess.run(["python3", "-c", code, str(srv.datadir / "global" / "catalog.db"), name],
                   check=True, preexec_fn=as_account, timeout=30)


def test_reserved_superuser_slots(server_factory):
    srv = server_factory(server_args=("-c", "max_connections=3", "-c", "superuser_reserved_connections=1"))
    _add_login_role(srv, "bob")
    held = [pgwire.open_socket(("127.0.0.1", srv.port)) for _ in range(2)]
    try:
        srv.wait_children(2)
        res = pgwire.startup(("127.0.0.1", srv.port), "bob")
        assert res.sqlstate == "53300", res
        assert res.message == "remaining connection slots are reserved for non-replication superuser connections"
        srv.wait_children(2)  # bob's backend has exited and been reaped
        assert pgwire.startup(("127.0.0.1", srv.port), srv.superuser).auth_ok
    finally:
        for h in held:
            h.close()
    srv.wait_children(0)
    assert pgwire.startup(("127.0.0.1", srv.port), "bob").auth_ok


def test_reload_turns_on_connection_logging(server_factory):
    srv = server_factory()
    pgwire.startup(("127.0.0.1", srv.port), srv.superuser)
    assert "connection received" not in srv.log.read_text()
    conf = srv.datadir / "pgsvc.conf"
    conf.write_text(conf.read_text() + "log_connections = on\nlog_disconnections = on\n")
    os.kill(srv.pid, signal.SIGHUP)
    wait_until(lambda: "received SIGHUP" in srv.log.read_text(), what="reload")

    def logged():
        pgwire.startup(srv.socket_path, srv.superuser)
        return "connection received: host=[local]" in srv.log.read_text()

    wait_until(logged, what="connection received line")
    res = pgwire.startup(("127.0.0.1", srv.port), srv.superuser)
    text = wait_until(lambda: (t := srv.log.read_text()).count("disconnection: session time:") >= 2 and t,
                      what="disconnection lines")
    assert "connection received: host=127.0.0.1 port=" in text
    assert f"connection authorized: user={srv.superuser} database=postgres" in text
    if res.ready:
        assert f"user={srv.superuser} database=postgres host=127.0.0.1 port=" in text


def test_immediate_shutdown_client_is_told(server_factory):
    require_engine()
    import psycopg

    srv = server_factory()
    conn = psycopg.connect(srv.dsn(), connect_timeout=10, autocommit=True)
    notices: list = []
    conn.add_notice_handler(lambda d: notices.append((d.severity, d.sqlstate, d.message_primary)))
    try:
        os.kill(srv.pid, signal.SIGQUIT)
        srv.proc.wait(20)
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    finally:
        conn.close()
    assert ("WARNING", "57P01", "terminating connection due to immediate shutdown command") in notices
    _gone(srv)
