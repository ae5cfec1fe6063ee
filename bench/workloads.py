"""The measurements taken against one server: each returns a dict of figures, or raises
BenchError with the reason (the report shows it; nothing is silently dropped).

Every external command runs with a time limit: pgbench with -T plus a margin,
psql per call, start-up and shutdown with fixed deadlines.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil

from bench import wire
from bench.servers import BenchError, Server

CLIENT_ENV = {"PGSSLMODE": "disable", "PGGSSENCMODE": "disable", "PGCONNECT_TIMEOUT": "10",
              "PGAPPNAME": "pgsvc-bench"}


def client_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return {**env, **CLIENT_ENV}


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())


# --- pgbench ------------------------------------------------------------------------------

def pgbench_init(server: Server, scale: int, timeout: float) -> dict:
    cmd = ["pgbench", *server.libpq_args(), "-i", "-s", str(scale), "-q", server.dbname]
    t0 = time.perf_counter()
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=client_env())
    except subprocess.TimeoutExpired:
        raise BenchError(f"pgbench -i -s {scale} did not finish in {timeout:.0f}s") from None
    elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        raise BenchError(f"pgbench -i failed (exit {res.returncode}): {_tail(res.stderr or res.stdout)}")
    return {"seconds": elapsed}


_PGBENCH_FIELDS = {
    "tps": r"^tps = ([\d.]+)",
    "latency_ms": r"^latency average = ([\d.]+) ms",
    "processed": r"^number of transactions actually processed: (\d+)",
    "failed": r"^number of failed transactions: (\d+)",
    "retried": r"^number of transactions retried: (\d+)",
    "retries": r"^total number of retries: (\d+)",
    "conn_ms": r"^average connection time = ([\d.]+) ms",
}


def parse_pgbench(output: str) -> dict:
    out: dict = {}
    for key, pattern in _PGBENCH_FIELDS.items():
        match = re.search(pattern, output, re.M)
        if match:
            out[key] = float(match.group(1)) if "." in match.group(1) else int(match.group(1))
    return out


def pgbench_run(server: Server, args: list[str], seconds: int, max_tries: int) -> dict:
    """One time-bounded pgbench run (-T); -n: no vacuum before it (not what is measured)."""
    cmd = ["pgbench", *server.libpq_args(), "-n", "-T", str(seconds), f"--max-tries={max_tries}",
           *args, server.dbname]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, env=client_env())
    except subprocess.TimeoutExpired:
        raise BenchError(f"pgbench {' '.join(args)} overran -T {seconds} by 60s") from None
    figures = parse_pgbench(res.stdout)
    if "tps" not in figures or not figures.get("processed"):
        raise BenchError(f"pgbench {' '.join(args)} failed (exit {res.returncode}): "
                         f"{_tail(res.stderr or res.stdout)}")
    if res.returncode != 0:  # some clients aborted: keep the figures, say so
        figures["note"] = f"exit {res.returncode}: {_tail(res.stderr, 2)}"
    return figures


# --- psql round trips ------------------------------------------------------------------

def psql_latency(server: Server, count: int, unix: bool, deadline: float) -> dict:
    """Median wall time of `psql -c 'select 1'` (process start, connect, query, exit)."""
    cmd = ["psql", "-X", "-q", "-A", "-t", *server.libpq_args(unix=unix), "-d", server.dbname,
           "-c", "select 1"]
    env = client_env()
    times: list[float] = []
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env)
        elapsed = time.perf_counter() - t0
        if res.returncode != 0 or res.stdout.strip() != "1":
            raise BenchError(f"psql -c 'select 1' failed: {_tail(res.stderr or res.stdout, 2)}")
        times.append(elapsed)
    if not times:
        raise BenchError("no psql call fitted in the time budget")
    return {"median_ms": statistics.median(times) * 1000, "calls": len(times)}


def show_settings(server: Server, names: tuple[str, ...]) -> str:
    """The server's own answer to SHOW, as a record that the settings took effect."""
    cmd = ["psql", "-X", "-A", "-t", *server.libpq_args(), "-d", server.dbname]
    for name in names:
        cmd += ["-c", f"SHOW {name}"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=client_env())
    if res.returncode != 0:
        return f"SHOW failed: {_tail(res.stderr, 1)}"
    return ", ".join(f"{n}={v}" for n, v in zip(names, res.stdout.split()))


# --- memory of idle backends ---------------------------------------------------------------

def _memory(proc: psutil.Process) -> dict:
    info = proc.memory_full_info()
    return {"uss": info.uss, "pss": info.pss, "rss": info.rss}


def idle_backend_memory(server: Server, connections: int, settle: float = 1.0) -> dict:
    """USS/PSS/RSS (bytes) per idle backend with `connections` sessions open, and the supervisor's.

    Backends are the supervisor's children whose pid the sessions' BackendKeyData named
    (PostgreSQL's auxiliary processes, and pgsvc's, are excluded and summed apart).
    """
    supervisor = psutil.Process(server.proc.pid)
    sessions: list[wire.Session] = []
    try:
        for _ in range(connections):
            session = wire.connect(("127.0.0.1", server.port), server.user, server.dbname)
            if session.error:
                raise BenchError(f"idle connection refused: {session.error}")
            sessions.append(session)
        time.sleep(settle)  # let backends finish their start-up work and go idle
        pids = {s.backend_pid for s in sessions}
        children = supervisor.children()
        backends = [p for p in children if p.pid in pids]
        if len(backends) != connections:
            raise BenchError(f"found {len(backends)} backend processes for {connections} sessions")
        per = [_memory(p) for p in backends]
        aux = [_memory(p) for p in children if p.pid not in pids]
        sup = _memory(supervisor)
    finally:
        for session in sessions:
            session.close()
    out = {f"backend_{k}": statistics.median(m[k] for m in per) for k in ("uss", "pss", "rss")}
    out.update({f"supervisor_{k}": sup[k] for k in ("uss", "pss", "rss")})
    out["aux_processes"] = len(aux)
    out["total_uss"] = sup["uss"] + sum(m["uss"] for m in per) + sum(m["uss"] for m in aux)
    return out


# --- start-up and fast shutdown ------------------------------------------------------------

class NotifyListener:
    """A fake systemd NOTIFY_SOCKET: records when READY=1 arrives."""

    def __init__(self, directory: Path) -> None:
        self.path = str(directory / "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)  # the server sends after dropping to its account
        self.sock.settimeout(0.2)
        self.ready_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if b"READY=1" in data.split(b"\n") and self.ready_at is None:
                self.ready_at = time.perf_counter()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def _first_connection(server: Server, deadline: float) -> wire.Session:
    """Poll until a session reaches ReadyForQuery; 'starting up' and refusals are retried."""
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise BenchError(f"{server.label} exited during start-up:\n{server.log_tail()}")
        try:
            session = wire.connect(("127.0.0.1", server.port), server.user, server.dbname)
        except OSError:
            time.sleep(0.002)
            continue
        if session.error and session.sqlstate == wire.CANNOT_CONNECT_NOW:
            time.sleep(0.002)
            continue
        return session
    raise BenchError(f"no connection to {server.label} within the start-up deadline")


def startup_cycle(server: Server, timeout: float = 60) -> dict:
    """Exec -> READY=1 and exec -> first session; then fast shutdown (SIGINT) -> exit,
    with that one session still open (so shutdown has a backend to terminate)."""
    notify_dir = Path(tempfile.mkdtemp(prefix="notify-", dir=server.base))
    notify_dir.chmod(0o755)
    listener = NotifyListener(notify_dir)
    out: dict = {}
    session = None
    try:
        server.start(notify_socket=listener.path)
        session = _first_connection(server, time.monotonic() + timeout)
        deadline = time.monotonic() + 5
        while listener.ready_at is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if listener.ready_at is not None:
            out["ready_s"] = listener.ready_at - server.started_at
        else:
            out["ready_error"] = "no READY=1 on NOTIFY_SOCKET"
        if session.error:
            out["connect_error"] = session.error
        else:
            out["connect_s"] = session.ready_at - server.started_at
        out["shutdown_s"] = server.stop()
    finally:
        if session is not None:
            session.close()
        server.kill()
        listener.close()
    return out
