"""Client authentication with real clients: scram-sha-256 and md5 (psql, psycopg and the
raw client), hba reject, and TLS (sslmode=require).

A login that succeeds needs the SQL engine to reach ReadyForQuery with psql/psycopg;
until it exists the raw client shows AuthenticationOk for the right password, and the
real clients are checked on every failure path (which never reaches the engine).
"""

from __future__ import annotations

import os
import pwd
import sqlite3
import subprocess

import pytest

import pgwire
from conftest import engine_available, require_engine, require_tool

PASSWORD = "c0rrect horse'battery"


def _pwfile(base) -> str:
    path = os.path.join(base, "pw")
    with open(path, "w") as f:
        f.write(PASSWORD + "\n")
    return path


def _psql(srv, host: str, password: str, user: str | None = None, **env):
    return srv.psql("\\conninfo", host=host, user=user, check=False,
                    env={"PGPASSWORD": password, "PGSSLMODE": "disable", **env})


def _psycopg_error(srv, host: str, password: str, user: str | None = None, **kw):
    import psycopg

    try:
        psycopg.connect(srv.dsn(host=host, user=user, password=password, **kw), connect_timeout=10).close()
    except psycopg.OperationalError as e:
        return e
    return None


def _psycopg_failed(err, text: str) -> bool:
    """psycopg's connection errors carry no SQLSTATE (libpq gives only the message)."""
    return err is not None and text in str(err)


AUTH_FAILED = "password authentication failed for user"


def _as_account(srv):
    pw = pwd.getpwnam(srv.account) if srv.account else None

    def preexec():
        if pw:
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
    return preexec


def _set_stored_password(srv, stored: str) -> None:
    """Write a role's stored password into the catalog as the cluster's account."""
    code = ("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]);"
            "c.execute('UPDATE pg_authid SET rolpassword=? WHERE rolname=?', (sys.argv[2], sys.argv[3]));"
            "c.commit()")
    subprocess.run(["python3", "-c", code, str(srv.datadir / "global" / "catalog.db"), stored, srv.superuser],
                   check=True, preexec_fn=_as_account(srv), timeout=30)


@pytest.fixture(scope="module")
def scram(module_server_factory, tmp_path_factory):
    base = tmp_path_factory.mktemp("pw")
    return module_server_factory("--auth", "scram-sha-256", "--pwfile", _pwfile(base))


@pytest.fixture(scope="module")
def md5(module_server_factory, tmp_path_factory):
    base = tmp_path_factory.mktemp("pw")
    srv = module_server_factory("--auth", "md5", "--pwfile", _pwfile(base), start=False)
    from pgsvc.cluster.passwords import make_md5_password

    _set_stored_password(srv, make_md5_password(PASSWORD, srv.superuser))
    srv.start()
    return srv


def _targets(srv):
    return [("127.0.0.1", srv.port), srv.socket_path]


# ---------------------------------------------------------------- scram-sha-256

def test_stored_password_is_a_scram_verifier(scram):
    db = sqlite3.connect(f"file:{scram.datadir}/global/catalog.db?mode=ro", uri=True)
    (stored,) = db.execute("SELECT rolpassword FROM pg_authid WHERE rolname=?", (scram.superuser,)).fetchone()
    db.close()
    assert stored.startswith("SCRAM-SHA-256$4096:")
    assert PASSWORD not in stored


def test_scram_right_password_raw(scram):
    for target in _targets(scram):
        res = pgwire.startup(target, scram.superuser, password=PASSWORD)
        assert res.auth_requests == [10, 11, 12, 0], res
        assert res.auth_ok


def test_scram_wrong_password_and_unknown_user_look_the_same(scram):
    wrong = pgwire.startup(_targets(scram)[0], scram.superuser, password="nope")
    unknown = pgwire.startup(_targets(scram)[0], "no_such_user", password="nope")
    assert wrong.sqlstate == unknown.sqlstate == "28P01"
    assert wrong.message == f'password authentication failed for user "{scram.superuser}"'
    assert unknown.message == 'password authentication failed for user "no_such_user"'
    assert wrong.auth_requests == unknown.auth_requests == [10, 11]


def test_scram_psql(scram):
    require_tool("psql")
    for host in ("127.0.0.1", str(scram.sockdir)):
        bad = _psql(scram, host, "wrong")
        assert bad.returncode != 0
        assert f'password authentication failed for user "{scram.superuser}"' in bad.stderr
        unknown = _psql(scram, host, "wrong", user="ghost")
        assert 'password authentication failed for user "ghost"' in unknown.stderr
        good = _psql(scram, host, PASSWORD)
        assert "password authentication failed" not in good.stderr
        if engine_available():
            assert good.returncode == 0, good.stderr
            assert f'as user "{scram.superuser}"' in good.stdout


def test_scram_psycopg(scram):
    for host in ("127.0.0.1", str(scram.sockdir)):
        err = _psycopg_error(scram, host, "wrong")
        assert _psycopg_failed(err, f'{AUTH_FAILED} "{scram.superuser}"'), err
        err = _psycopg_error(scram, host, "wrong", user="ghost")
        assert _psycopg_failed(err, f'{AUTH_FAILED} "ghost"'), err
        err = _psycopg_error(scram, host, PASSWORD)
        if engine_available():
            assert err is None, err
        else:
            assert not _psycopg_failed(err, AUTH_FAILED), err


def test_scram_psycopg_success_needs_engine(scram):
    require_engine()
    import psycopg

    with psycopg.connect(scram.dsn(password=PASSWORD), connect_timeout=10) as conn:
        assert conn.info.backend_pid > 0


def test_no_password_sent_fails_cleanly(scram):
    """psql with no password available: no prompt, the server's request ends the attempt."""
    r = scram.psql("\\conninfo", "-w", check=False, env={"PGPASSWORD": "", "PGPASSFILE": "/dev/null"})
    assert r.returncode != 0
    assert "Traceback" not in r.stderr


# ---------------------------------------------------------------- md5

def test_md5_raw(md5):
    res = pgwire.startup(_targets(md5)[0], md5.superuser, password=PASSWORD)
    assert res.auth_requests == [5, 0], res
    wrong = pgwire.startup(_targets(md5)[1], md5.superuser, password="nope")
    assert wrong.auth_requests == [5]
    assert wrong.sqlstate == "28P01"
    unknown = pgwire.startup(_targets(md5)[0], "ghost", password="nope")
    assert unknown.sqlstate == "28P01"
    assert unknown.message == 'password authentication failed for user "ghost"'


def test_md5_psql_and_psycopg(md5):
    require_tool("psql")
    for host in ("127.0.0.1", str(md5.sockdir)):
        bad = _psql(md5, host, "wrong")
        assert f'password authentication failed for user "{md5.superuser}"' in bad.stderr
        err = _psycopg_error(md5, host, "wrong")
        assert _psycopg_failed(err, f'{AUTH_FAILED} "{md5.superuser}"'), err
        good = _psql(md5, host, PASSWORD)
        assert AUTH_FAILED not in good.stderr
        err = _psycopg_error(md5, host, PASSWORD)
        if engine_available():
            assert good.returncode == 0, good.stderr
            assert err is None, err
        else:
            assert not _psycopg_failed(err, AUTH_FAILED), err


def test_md5_hba_with_scram_verifier_uses_scram(server_factory, tmp_path):
    """As PostgreSQL: `md5` in pg_hba.conf with a SCRAM verifier stored runs SCRAM."""
    srv = server_factory("--auth", "md5", "--pwfile", _pwfile(tmp_path))
    res = pgwire.startup(_targets(srv)[0], srv.superuser, password=PASSWORD)
    assert res.auth_requests == [10, 11, 12, 0]
    assert "password authentication failed" not in _psql(srv, "127.0.0.1", PASSWORD).stderr


# ---------------------------------------------------------------- hba reject

def test_hba_reject_is_28000(md5):
    hba = md5.datadir / "pg_hba.conf"
    original = hba.read_text()
    hba.write_text("host all ghost 127.0.0.1/32 reject\n" + original)
    import signal

    os.kill(md5.pid, signal.SIGHUP)
    try:
        from conftest import wait_until

        res = wait_until(lambda: (r := pgwire.startup(_targets(md5)[0], "ghost", stop_after_auth_request=True)
                                  ).sqlstate == "28000" and r, what="reject rule")
        assert res.message == ('pg_hba.conf rejects connection for host "127.0.0.1", user "ghost", '
                               'database "postgres", no encryption')
        r = _psql(md5, "127.0.0.1", PASSWORD, user="ghost")
        assert "pg_hba.conf rejects connection" in r.stderr
        err = _psycopg_error(md5, "127.0.0.1", PASSWORD, user="ghost")
        assert _psycopg_failed(err, "pg_hba.conf rejects connection"), err
    finally:
        hba.write_text(original)
        os.kill(md5.pid, signal.SIGHUP)


# ---------------------------------------------------------------- TLS

def _make_cert(srv) -> None:
    openssl = require_tool("openssl")
    key, crt = srv.datadir / "server.key", srv.datadir / "server.crt"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(crt), "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True, timeout=60)
    key.chmod(0o600)
    crt.chmod(0o644)
    if srv.account:
        pw = pwd.getpwnam(srv.account)
        for p in (key, crt):
            os.chown(p, pw.pw_uid, pw.pw_gid)


@pytest.fixture(scope="module")
def tls(module_server_factory):
    srv = module_server_factory(start=False)
    _make_cert(srv)
    hba = srv.datadir / "pg_hba.conf"
    hba.write_text("local all all trust\n"
                   "hostssl all all 127.0.0.1/32 trust\n"
                   "hostnossl all all 127.0.0.1/32 reject\n")
    srv.start("-c", "ssl=on")
    return srv


def test_tls_raw(tls):
    res = pgwire.startup(("127.0.0.1", tls.port), tls.superuser, use_ssl=True)
    assert res.ssl and res.auth_ok, res
    plain = pgwire.startup(("127.0.0.1", tls.port), tls.superuser)
    assert plain.sqlstate == "28000"
    assert plain.message.endswith("no encryption")


def test_tls_psql_sslmode_require(tls):
    require_tool("psql")
    r = tls.psql("\\conninfo", check=False, env={"PGSSLMODE": "require"})
    assert "pg_hba.conf rejects" not in r.stderr
    assert "SSL" not in r.stderr or "FATAL" in r.stderr
    plain = tls.psql("\\conninfo", check=False, env={"PGSSLMODE": "disable"})
    assert "no encryption" in plain.stderr
    if engine_available():
        assert r.returncode == 0, r.stderr
        assert "SSL connection (protocol: TLSv1." in r.stdout


def test_tls_psycopg_sslmode_require(tls):
    err = _psycopg_error(tls, "127.0.0.1", "", sslmode="require")
    if engine_available():
        assert err is None, err
        import psycopg

        with psycopg.connect(tls.dsn(sslmode="require"), connect_timeout=10) as conn:
            assert conn.pgconn.ssl_in_use
    else:
        assert not _psycopg_failed(err, "pg_hba.conf rejects"), err
    err = _psycopg_error(tls, "127.0.0.1", "", sslmode="disable")
    assert _psycopg_failed(err, "no encryption"), err


def test_ssl_on_without_certificate_refuses_start(server_factory):
    from conftest import PGSVC, ROOT

    srv = server_factory(start=False)
    cmd = PGSVC + ["server", "-D", str(srv.datadir), "-p", str(srv.port), "-h", "127.0.0.1", "-k",
                   str(srv.datadir), "-c", "ssl=on"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=str(ROOT))
    assert r.returncode != 0
    assert 'could not access private key file' in r.stderr or "server.crt" in r.stderr
    assert not (srv.datadir / "postmaster.pid").exists()


def test_ssl_key_with_group_access_refuses_start(server_factory):
    from conftest import PGSVC, ROOT

    srv = server_factory(start=False)
    _make_cert(srv)
    (srv.datadir / "server.key").chmod(0o640)
    cmd = PGSVC + ["server", "-D", str(srv.datadir), "-p", str(srv.port), "-h", "127.0.0.1", "-k",
                   str(srv.datadir), "-c", "ssl=on"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=str(ROOT))
    assert r.returncode != 0
    assert "has group or world access" in r.stderr
