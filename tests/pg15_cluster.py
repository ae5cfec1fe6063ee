"""Throwaway PostgreSQL 15 clusters, the reference the side-by-side tests compare with.

Used two ways:

- in-process, by tests/conftest.py's Postgres: start_cluster() / stop_cluster() run
  initdb and pg_ctl from /usr/lib/postgresql/15/bin as the `postgres` account;
- as a broker (no pytest needed, the host's python3):

      python3 tests/pg15_cluster.py serve DIR

  for a test run in a tree that has no PostgreSQL 15 (make test-py313: Debian trixie ships
  17 only). The broker runs on the host, keeps its clusters under DIR and answers on the
  Unix socket DIR/broker.sock, one JSON request a connection: {"op": "start"} gives
  {"port": P, "base": "DIR/c-N"} (a new cluster, listening on 127.0.0.1:P and in the
  socket directory base), {"op": "stop", "base": ...} stops and removes it. The tree is
  run with DIR bind-mounted at the same path and the host's network namespace, so the
  socket directory and the port mean the same inside; conftest's Postgres asks the broker
  when PGSVC_PG15_BROKER names its socket. Each Postgres() is still a cluster of its own,
  as in the host's run. On SIGTERM/SIGINT the broker stops whatever is left, and removes DIR.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

PG15_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--"] + cmd, check=True, capture_output=True, timeout=60)


def start_cluster(base: Path, settings: tuple[str, ...] | list[str] = ()) -> int:
    """initdb and start a PostgreSQL 15 cluster in base/db (base: a directory the postgres
    account may own); its socket directory is base; settings: extra name=value (no spaces)
    given with -c. Returns its port on 127.0.0.1."""
    subprocess.run(["chown", "postgres", str(base)], check=True)
    port = free_port()
    _as_postgres([str(PG15_BIN / "initdb"), "-D", str(base / "db"), "-A", "trust", "-U", "postgres",
                  "--locale=C.UTF-8", "-E", "UTF8"])
    _as_postgres([str(PG15_BIN / "pg_ctl"), "-D", str(base / "db"), "-l", str(base / "log"),
                  "-o", f"-p {port} -k {base} -c listen_addresses=127.0.0.1" + "".join(f" -c {x}" for x in settings),
                  "-w", "start"])
    return port


def stop_cluster(base: Path) -> None:
    try:
        if (base / "db" / "postmaster.pid").exists():
            _as_postgres([str(PG15_BIN / "pg_ctl"), "-D", str(base / "db"), "-m", "fast", "-w", "stop"])
    finally:
        shutil.rmtree(base, ignore_errors=True)


def ask_broker(sock_path: str, request: dict, timeout: float = 120) -> dict:
    """One request to the broker at sock_path (the client side, in the tree)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    answer = json.loads(data or b"{}")
    if "error" in answer or not answer:
        raise RuntimeError(f"PostgreSQL 15 broker at {sock_path}: {answer.get('error', 'no answer')}")
    return answer


def serve(top: Path) -> int:
    if not (PG15_BIN / "postgres").exists():
        print(f"pg15 broker: no PostgreSQL 15 in {PG15_BIN}", file=sys.stderr)
        return 1
    top.mkdir(mode=0o755, parents=True, exist_ok=True)
    top.chmod(0o755)
    clusters: set[Path] = set()

    def shutdown(*_):
        for base in list(clusters):
            stop_cluster(base)
        shutil.rmtree(top, ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    listener = socket.socket(socket.AF_UNIX)
    path = top / "broker.sock"
    listener.bind(str(path))
    path.chmod(0o600)  # root only: the tests run as root in the tree
    listener.listen(4)
    print(f"pg15 broker: serving {path}", file=sys.stderr, flush=True)
    while True:
        conn, _ = listener.accept()
        with conn:
            try:
                conn.settimeout(30)
                line = b""
                while not line.endswith(b"\n"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    line += chunk
                req = json.loads(line)
                if req.get("op") == "start":
                    base = Path(tempfile.mkdtemp(prefix="c-", dir=top))
                    base.chmod(0o755)
                    clusters.add(base)
                    try:
                        answer = {"port": start_cluster(base, [str(x) for x in req.get("settings", [])
                                                           if " " not in str(x)]), "base": str(base)}
                    except BaseException:
                        clusters.discard(base)
                        stop_cluster(base)
                        raise
                elif req.get("op") == "stop":
                    base = Path(req["base"])
                    if base not in clusters:
                        raise ValueError(f"not a cluster of this broker: {base}")
                    clusters.discard(base)
                    stop_cluster(base)
                    answer = {"stopped": str(base)}
                else:
                    raise ValueError(f"unknown request {req!r}")
            except Exception as exc:  # reported to the test, which fails with it
                detail = getattr(exc, "stderr", None) or b""
                if isinstance(detail, bytes):
                    detail = detail.decode(errors="replace")
                answer = {"error": f"{type(exc).__name__}: {exc} {detail}".strip()}
            try:
                conn.sendall(json.dumps(answer).encode() + b"\n")
            except OSError:
                pass


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "serve":
        sys.exit("usage: python3 tests/pg15_cluster.py serve DIR")
    sys.exit(serve(Path(sys.argv[2])))
