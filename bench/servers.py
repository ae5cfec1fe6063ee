"""The two servers under test: throwaway clusters, started and stopped by pid.

Both run as unprivileged accounts (PostgreSQL as `postgres`, pgsvc as `pgsvc_bench`,
created if missing), listen on 127.0.0.1 only plus a Unix socket in their own temp
directory, use trust authentication for local and host connections, and commit
durably (fsync=on, synchronous_commit=on). Each is launched directly as a foreground
process (no pg_ctl, no wrapper) so that its pid is the supervisor's, exec-to-READY
is measured the same way for both, and SIGINT (fast shutdown) is timed to exit.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_ACCOUNT = "postgres"
PGSVC_ACCOUNT = "pgsvc_bench"
DURABILITY = {"fsync": "on", "synchronous_commit": "on"}


class BenchError(RuntimeError):
    """A step of the benchmark could not run (reported, never silently skipped)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_account(name: str) -> None:
    """The unprivileged account a server runs as; created (system account) if missing."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        if os.geteuid() != 0:
            raise BenchError(f"account {name!r} is missing and only root can create it") from None
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                        "--shell", "/usr/sbin/nologin", name], check=True, capture_output=True)


def pgsvc_command() -> list[str]:
    """The console script next to this interpreter (what the package installs), else -m."""
    script = Path(sys.executable).parent / "pgsvc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pgsvc"]


def compile_bytecode() -> None:
    """Byte-compile pgsvc's modules, as installing the package does (py3compile, pip).

    A source tree (an editable install) has no __pycache__ when PYTHONDONTWRITEBYTECODE
    is set or the server's account may not write there: every start of the server then
    compiled ~77,000 lines again (~600 ms of CPU before READY=1), which no installed
    server pays. compileall writes regardless of PYTHONDONTWRITEBYTECODE and only what
    is stale."""
    source = str(Path(__file__).resolve().parent.parent / "pgsvc")
    res = subprocess.run([sys.executable, "-m", "compileall", "-q", source], capture_output=True,
                         text=True, timeout=300)
    if res.returncode != 0:
        raise BenchError(f"could not byte-compile {source}: {(res.stdout + res.stderr)[-500:]}")


class Server:
    """One cluster: its directory, its supervisor process, how to reach it."""

    label = "?"
    account = "?"

    def __init__(self, root: Path, tag: str) -> None:
        if os.geteuid() != 0:  # not root: both servers simply run as the invoking user
            self.account = pwd.getpwuid(os.geteuid()).pw_name
        ensure_account(self.account)
        self.base = Path(tempfile.mkdtemp(prefix=f"{self.label}-{tag}-", dir=root))
        self.base.chmod(0o755)  # the server's account must traverse it
        self.datadir = self.base / "data"
        self.sockdir = self.base / "sock"
        self.sockdir.mkdir(mode=0o755)
        self.chown(self.sockdir)
        self.log = self.base / "server.log"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0  # perf_counter() just before exec

    def chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, self.account, self.account)

    # --- what clients need -------------------------------------------------------
    @property
    def user(self) -> str:
        return self.account

    dbname = "postgres"

    @property
    def socket_path(self) -> str:
        return str(self.sockdir / f".s.PGSQL.{self.port}")

    def libpq_args(self, unix: bool = False) -> list[str]:
        host = str(self.sockdir) if unix else "127.0.0.1"
        return ["-h", host, "-p", str(self.port), "-U", self.user]

    # --- life cycle ----------------------------------------------------------------
    def initdb(self) -> None:
        raise NotImplementedError

    def server_command(self) -> list[str]:
        raise NotImplementedError

    def popen_kwargs(self) -> dict:
        return {}

    def start(self, notify_socket: str | None = None) -> subprocess.Popen:
        """Exec the supervisor (do not wait). NOTIFY_SOCKET only when asked for."""
        if self.proc is not None and self.proc.poll() is None:
            raise BenchError(f"{self.label} is already running")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "NOTIFY_SOCKET"))}
        env["LC_ALL"] = "C.UTF-8"
        if notify_socket:
            env["NOTIFY_SOCKET"] = notify_socket
        log = open(self.log, "ab")
        try:
            self.started_at = time.perf_counter()
            # Own session: a terminal's Ctrl-C reaches the harness only; the harness
            # then stops the servers itself (and times it).
            self.proc = subprocess.Popen(self.server_command(), stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=env, cwd=str(self.base),
                                         start_new_session=True, **self.popen_kwargs())
        finally:
            log.close()
        return self.proc

    def lock_status(self) -> str | None:
        """Line 8 of postmaster.pid (both servers write 'ready' there)."""
        try:
            lines = (self.datadir / "postmaster.pid").read_text().split("\n")
        except (FileNotFoundError, PermissionError):
            return None
        return lines[7].strip() if len(lines) >= 8 else None

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise BenchError(f"{self.label} exited during start-up:\n{self.log_tail()}")
            if self.lock_status() == "ready":
                return
            time.sleep(0.01)
        raise BenchError(f"{self.label} not ready after {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 30) -> float | None:
        """Fast shutdown (SIGINT) by pid; seconds from the signal to exit, None if not running.

        If it does not exit in time: SIGQUIT (immediate), then SIGKILL to its process group.
        """
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return None
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout)
            return time.perf_counter() - t0
        except subprocess.TimeoutExpired:
            self.kill()
            raise BenchError(f"{self.label} did not finish a fast shutdown in {timeout}s") from None

    def kill(self) -> None:
        """Last resort at teardown: immediate shutdown, then SIGKILL to the server's group."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGINT, 10), (signal.SIGQUIT, 5)):
            try:
                proc.send_signal(sig)
                proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session/group, see start()
        except ProcessLookupError:
            pass
        proc.wait(5)

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.base, ignore_errors=True)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


class Pgsvc(Server):
    label = "pgsvc"
    account = PGSVC_ACCOUNT

    def initdb(self) -> None:
        compile_bytecode()
        cmd = pgsvc_command() + ["initdb", "-D", str(self.datadir), "-A", "trust"]
        if os.geteuid() == 0:
            cmd += ["--owner", self.account]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=str(self.base))
        if res.returncode != 0:
            raise BenchError(f"pgsvc initdb failed: {res.stderr or res.stdout}")

    def server_command(self) -> list[str]:
        cmd = pgsvc_command() + ["server", "-D", str(self.datadir), "-p", str(self.port),
                                 "-h", "127.0.0.1", "-k", str(self.sockdir)]
        for name, value in DURABILITY.items():
            cmd += ["-c", f"{name}={value}"]
        return cmd


class Postgres(Server):
    label = "postgresql"
    account = PG_ACCOUNT

    def popen_kwargs(self) -> dict:
        if os.geteuid() != 0:
            return {}
        return {"user": self.account, "group": self.account, "extra_groups": []}

    def initdb(self) -> None:
        if not (PG_BIN / "postgres").exists():
            raise BenchError(f"PostgreSQL 15 server binaries not found in {PG_BIN}")
        self.chown(self.base)
        cmd = [str(PG_BIN / "initdb"), "-D", str(self.datadir), "-A", "trust", "-U", self.account,
               "--locale=C.UTF-8", "-E", "UTF8", "--no-sync"]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=str(self.base),
                             **self.popen_kwargs())
        if res.returncode != 0:
            raise BenchError(f"PostgreSQL initdb failed: {res.stderr or res.stdout}")

    def server_command(self) -> list[str]:
        cmd = [str(PG_BIN / "postgres"), "-D", str(self.datadir), "-p", str(self.port),
               "-k", str(self.sockdir), "-c", "listen_addresses=127.0.0.1"]
        for name, value in DURABILITY.items():
            cmd += ["-c", f"{name}={value}"]
        return cmd
