"""Shared test harness: real clusters, real server processes, real clients.

A test that cannot run here (not root, a client tool missing) skips locally with its
reason and FAILS in CI (CI=true), so that CI never counts a skipped check as passing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pg15_cluster
import pytest

ROOT = Path(__file__).resolve().parent.parent
PGSVC = [sys.executable, "-m", "pgsvc"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_ACCOUNT = "pgsvc_test"


def cannot_run(reason: str) -> None:
    """Skip locally; fail in CI."""
    if IN_CI:
        pytest.fail(f"cannot run in CI: {reason}")
    pytest.skip(reason)


def require_root() -> None:
    if os.geteuid() != 0:
        cannot_run("needs root (creates throwaway accounts and drops privileges for real)")


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        cannot_run(f"needs the `{name}` program")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_account(name: str = TEST_ACCOUNT) -> str:
    """A throwaway system account (root only)."""
    require_root()
    if subprocess.run(["id", name], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                        "--shell", "/usr/sbin/nologin", name], check=True)
    return name


def make_tmpdir(prefix: str = "pgsvc-test-") -> Path:
    """A scratch directory any account can traverse (the server may run as another account)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


class Server:
    """A pgsvc cluster and (optionally) its running supervisor."""

    def __init__(self, base: Path, account: str | None, port: int) -> None:
        self.base = base
        self.datadir = base / "data"
        self.sockdir = base / "sock"
        self.account = account
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.log = base / "server.log"
        self.superuser = account or _current_user()

    def initdb(self, *args: str) -> subprocess.CompletedProcess:
        cmd = PGSVC + ["initdb", "-D", str(self.datadir)] + list(args)
        if self.account and os.geteuid() == 0:
            cmd += ["--owner", self.account]
        return subprocess.run(cmd, capture_output=True, text=True, check=True)

    def start(self, *extra: str, env: dict | None = None, wait: bool = True) -> subprocess.Popen:
        self.sockdir.mkdir(exist_ok=True)
        self.sockdir.chmod(0o1777)
        cmd = PGSVC + ["server", "-D", str(self.datadir), "-p", str(self.port), "-h", "127.0.0.1",
                       "-k", str(self.sockdir)] + list(extra)
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(env or {})}, cwd=str(ROOT))
        if wait:
            self.wait_ready()
        return self.proc

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        lock = self.datadir / "postmaster.pid"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()}")
            try:
                lines = lock.read_text().split("\n")
                # the pid line too: a stale file left by a killed server may say "ready"
                ours = self.proc is None or lines[0].strip() == str(self.proc.pid)
                if ours and len(lines) >= 8 and lines[7].strip() == "ready":
                    return
            except FileNotFoundError:
                pass
            time.sleep(0.02)
        raise TimeoutError(f"server not ready after {timeout}s:\n{self.log.read_text()}")

    def stop(self, sig: int = 2, timeout: float = 20) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def socket_path(self) -> str:
        return str(self.sockdir / f".s.PGSQL.{self.port}")

    def children(self, include_zombies: bool = False) -> list:
        """The supervisor's child processes (psutil.Process), backends included; live
        ones only unless include_zombies (exited but not yet reaped)."""
        import psutil

        try:
            kids = psutil.Process(self.pid).children()
        except psutil.NoSuchProcess:
            return []
        return kids if include_zombies else [k for k in kids if _alive(k)]

    def wait_children(self, n: int, timeout: float = 10) -> list:
        """Wait until the supervisor has exactly n children, all live, none unreaped
        (so its own count of backends agrees)."""
        kids: list = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            kids = self.children(include_zombies=True)
            if len(kids) == n and all(_alive(k) for k in kids):
                return kids
            time.sleep(0.02)
        raise TimeoutError(f"supervisor has {len(kids)} children, expected {n}")

    def dsn(self, user: str | None = None, dbname: str = "postgres", host: str = "127.0.0.1", **kw) -> str:
        values = {"host": host, "port": self.port, "user": user or self.superuser, "dbname": dbname, **kw}
        return " ".join(f"{k}={_conninfo_quote(str(v))}" for k, v in values.items())

    def psql(self, sql: str, *args: str, user: str | None = None, dbname: str = "postgres",
             host: str = "127.0.0.1", env: dict | None = None, check: bool = True,
             timeout: float = 30) -> subprocess.CompletedProcess:
        cmd = [require_tool("psql"), "-X", "-h", host, "-p", str(self.port), "-U", user or self.superuser,
               "-d", dbname, "-v", "ON_ERROR_STOP=1", *args, "-c", sql]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=timeout,
                              env={**os.environ, "PGCONNECT_TIMEOUT": "10", **(env or {})})


def _conninfo_quote(value: str) -> str:
    """A libpq conninfo value: quoted when empty or containing spaces, quotes or backslashes."""
    if value and not any(c in value for c in " '\\\t\n"):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _alive(proc) -> bool:
    import psutil

    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_until(predicate, timeout: float = 10, interval: float = 0.02, what: str = "condition"):
    """Poll predicate() until it returns a true value (returned); TimeoutError after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _current_user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def _factory():
    made: list[Server] = []

    def make(*initdb_args: str, account: str | None = "default", start: bool = True,
             server_args: tuple = ()) -> Server:
        if account == "default":
            account = ensure_account() if os.geteuid() == 0 else None
        srv = Server(make_tmpdir(), account, free_port())
        made.append(srv)
        srv.initdb(*initdb_args)
        if start:
            srv.start(*server_args)
        return srv

    return make, made


def _teardown(made: list[Server]) -> None:
    for srv in made:
        srv.stop()
        shutil.rmtree(srv.base, ignore_errors=True)


@pytest.fixture
def server_factory():
    """Make clusters; every server started here is stopped and removed at teardown."""
    make, made = _factory()
    yield make
    _teardown(made)


@pytest.fixture(scope="module")
def module_server_factory():
    """As server_factory, shared by the tests of one module (fewer server start-ups)."""
    make, made = _factory()
    yield make
    _teardown(made)


@pytest.fixture(scope="module")
def postgres_superuser_server(module_server_factory):
    """A cluster whose superuser is named postgres, trusted on every path: what PostgreSQL's
    own client programs (pg_dump, the scripts, psql side by side) expect by default."""
    require_engine()
    s = module_server_factory("-U", "postgres", "--auth-local", "trust", "--auth-host", "trust")
    s.superuser = "postgres"
    return s


_ENGINE: list[bool] = []


def engine_available() -> bool:
    """Whether the SQL engine exists yet (backends need it to finish start-up): committed
    (not a half-written file in a shared work tree) and importable."""
    if not _ENGINE:
        tracked = subprocess.run(["git", "ls-files", "--error-unmatch", "pgsvc/sql/exec/engine.py"],
                                 cwd=ROOT, capture_output=True).returncode == 0
        importable = tracked and subprocess.run(
            [sys.executable, "-c", "from pgsvc.sql.exec.engine import Engine"], cwd=ROOT,
            capture_output=True, timeout=60).returncode == 0
        _ENGINE.append(importable or (not (ROOT / ".git").exists()
                                      and (ROOT / "pgsvc" / "sql" / "engine.py").exists()))
    return _ENGINE[0]


def require_engine() -> None:
    if not engine_available():
        cannot_run("needs the SQL engine (pgsvc/sql/exec/engine.py) to complete a connection")


@pytest.fixture
def server(server_factory) -> Server:
    """A running cluster with trust authentication."""
    return server_factory()


PG15_BIN = pg15_cluster.PG15_BIN


class Postgres:
    """A throwaway PostgreSQL 15 cluster (the reference), run as the `postgres` account:
    started here, or, where PGSVC_PG15_BROKER names a broker's socket (make test-py313:
    trixie has no PostgreSQL 15), started for this test by the host's broker
    (tests/pg15_cluster.py) and reached over loopback and its socket directory."""

    def __init__(self, settings: tuple[str, ...] = ()) -> None:
        require_root()
        self.superuser = "postgres"
        self._broker = os.environ.get("PGSVC_PG15_BROKER")
        if self._broker:
            answer = pg15_cluster.ask_broker(self._broker, {"op": "start", "settings": list(settings)})
            self.base, self.port = Path(answer["base"]), answer["port"]
            self.datadir = self.base / "db"
            return
        if not (PG15_BIN / "postgres").exists():
            cannot_run("needs PostgreSQL 15 server binaries in /usr/lib/postgresql/15/bin")
        self.base = make_tmpdir("pgsvc-pg15-")
        self.datadir = self.base / "db"
        self.port = pg15_cluster.start_cluster(self.base, settings)

    def stop(self) -> None:
        if self._broker:
            pg15_cluster.ask_broker(self._broker, {"op": "stop", "base": str(self.base)})
        else:
            pg15_cluster.stop_cluster(self.base)

    def psql(self, sql: str, *args: str, dbname: str = "postgres", check: bool = True,
             timeout: float = 30, env: dict | None = None) -> subprocess.CompletedProcess:
        cmd = [require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
               "-d", dbname, *args, "-c", sql]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=timeout,
                              env={**os.environ, **(env or {})})

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"


@pytest.fixture(scope="session")
def pg15():
    """PostgreSQL 15 beside pgsvc, for side-by-side comparisons (one per test session)."""
    pg = Postgres()
    yield pg
    pg.stop()


@pytest.fixture(scope="module")
def shared_server():
    """One running pgsvc cluster shared by a module's tests (trust auth)."""
    account = ensure_account() if os.geteuid() == 0 else None
    srv = Server(make_tmpdir(), account, free_port())
    srv.initdb()
    srv.start()
    yield srv
    srv.stop()
    shutil.rmtree(srv.base, ignore_errors=True)


def pytest_addoption(parser):
    """--rounds: crash-consistency rounds (tests/integration/test_crash.py; CI default 30)."""
    parser.addoption("--rounds", type=int, default=30,
                     help="crash-consistency rounds in tests/integration/test_crash.py (default 30)")
