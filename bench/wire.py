"""A minimal protocol-v3 client: open a session (trust authentication) and keep it idle.

The benchmark needs what psql and pgbench do not expose: the instant a connection
becomes usable (start-up timing), the backend's pid from BackendKeyData (to find the
backend process for memory figures) and many idle sessions held cheaply in one
process. Only loopback and Unix sockets are ever dialled.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass

TIMEOUT = 10.0
CANNOT_CONNECT_NOW = "57P03"  # "the database system is starting up": retry


@dataclass
class Session:
    sock: socket.socket | None = None
    backend_pid: int | None = None
    ready_at: float | None = None  # time.perf_counter() at ReadyForQuery
    error: str | None = None  # "SQLSTATE message" when the server refused
    sqlstate: str | None = None

    def close(self) -> None:
        if self.sock is None:
            return
        try:
            self.sock.sendall(b"X" + struct.pack("!i", 4))  # Terminate
        except OSError:
            pass
        self.sock.close()
        self.sock = None


def _target_socket(target: str | tuple[str, int]) -> socket.socket:
    family = socket.AF_UNIX if isinstance(target, str) else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    sock.connect(target)
    return sock


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("server closed the connection")
        data += chunk
    return data


def _startup_packet(user: str, database: str) -> bytes:
    body = struct.pack("!i", 196608)
    for key, value in (("user", user), ("database", database), ("application_name", "pgsvc-bench")):
        body += key.encode() + b"\x00" + value.encode() + b"\x00"
    body += b"\x00"
    return struct.pack("!i", len(body) + 4) + body


def _error_fields(body: bytes) -> dict[str, str]:
    return {chr(p[0]): p[1:].decode(errors="replace") for p in body.split(b"\x00") if p}


def connect(target: str | tuple[str, int], user: str, database: str = "postgres") -> Session:
    """Open a session; on success the socket is left open (idle) in the result.

    Raises OSError when nothing accepts the connection; a server-side refusal is
    returned as Session.error.
    """
    sock = _target_socket(target)
    session = Session(sock=sock)
    try:
        sock.sendall(_startup_packet(user, database))
        while True:
            header = _recv_exact(sock, 5)
            mtype, length = header[:1], struct.unpack("!i", header[1:])[0]
            body = _recv_exact(sock, length - 4)
            if mtype == b"R":
                code = struct.unpack_from("!i", body)[0]
                if code != 0:
                    raise ValueError(f"server asked for authentication (code {code}); the bench uses trust")
            elif mtype == b"K":
                session.backend_pid = struct.unpack("!ii", body)[0]
            elif mtype == b"Z":
                session.ready_at = time.perf_counter()
                return session
            elif mtype == b"E":
                fields = _error_fields(body)
                session.sqlstate = fields.get("C")
                session.error = f"{fields.get('C', '?')} {fields.get('M', '')}".strip()
                session.close()
                return session
    except (OSError, ValueError) as exc:
        # The socket was accepted: whatever went wrong now is the server's answer.
        session.close()
        session.error = str(exc) if isinstance(exc, ValueError) else f"connection lost during start-up: {exc}"
        return session
