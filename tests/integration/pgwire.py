"""A minimal protocol-v3 client for start-up tests that need to see the exact bytes.

Real clients (psql, psycopg) are used wherever they can be; this one exists for what
they do not expose: which authentication request came first, the BackendKeyData,
an error's SQLSTATE before ReadyForQuery, malformed packets, cancel requests.
Everything here talks only to 127.0.0.1, ::1 or a Unix socket, with bounded waits.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import struct
from dataclasses import dataclass, field

import scramp

TIMEOUT = 10.0


@dataclass
class StartupResult:
    auth_requests: list[int] = field(default_factory=list)  # AuthenticationXXX codes seen
    auth_ok: bool = False
    params: dict[str, str] = field(default_factory=dict)
    backend_pid: int | None = None
    cancel_key: int | None = None
    ready: bool = False
    error: dict[str, str] | None = None  # field code -> value
    ssl: bool = False

    @property
    def sqlstate(self) -> str | None:
        return self.error.get("C") if self.error else None

    @property
    def message(self) -> str | None:
        return self.error.get("M") if self.error else None


def open_socket(target: str | tuple[str, int]) -> socket.socket:
    """target: a Unix socket path or (host, port)."""
    if isinstance(target, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    else:
        family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    sock.connect(target)
    return sock


def recv_exact(sock, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_message(sock) -> tuple[bytes, bytes]:
    header = recv_exact(sock, 5)
    mtype, length = header[:1], struct.unpack("!i", header[1:])[0]
    return mtype, recv_exact(sock, length - 4)


def parse_error(body: bytes) -> dict[str, str]:
    fields = {}
    for part in body.split(b"\x00"):
        if part:
            fields[chr(part[0])] = part[1:].decode()
    return fields


def startup_packet(params: dict[str, str], version: int = 196608) -> bytes:
    body = struct.pack("!i", version)
    for k, v in params.items():
        body += k.encode() + b"\x00" + v.encode() + b"\x00"
    body += b"\x00"
    return struct.pack("!i", len(body) + 4) + body


def message(mtype: bytes, body: bytes) -> bytes:
    return mtype + struct.pack("!i", len(body) + 4) + body


def startup(target, user: str, database: str = "postgres", password: str | None = None,
            use_ssl: bool = False, stop_after_auth_request: bool = False,
            keep_open: bool = False):
    """Run the start-up phase. Returns StartupResult, or (StartupResult, socket) with keep_open."""
    sock = open_socket(target)
    result = StartupResult()
    try:
        if use_ssl:
            sock.sendall(struct.pack("!ii", 8, 80877103))
            answer = recv_exact(sock, 1)
            if answer != b"S":
                raise ConnectionError(f"server refused SSL: {answer!r}")
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(sock)
            result.ssl = True
        sock.sendall(startup_packet({"user": user, "database": database}))
        scram_client = None
        while True:
            try:
                mtype, body = read_message(sock)
            except ConnectionError:
                break
            if mtype == b"R":
                code = struct.unpack_from("!i", body)[0]
                result.auth_requests.append(code)
                if code == 0:
                    result.auth_ok = True
                    continue
                if stop_after_auth_request:
                    return (result, sock) if keep_open else result
                if password is None:
                    raise ValueError(f"server asked for a password (auth code {code})")
                if code == 3:
                    sock.sendall(message(b"p", password.encode() + b"\x00"))
                elif code == 5:
                    salt = body[4:8]
                    inner = hashlib.md5((password + user).encode()).hexdigest()
                    outer = "md5" + hashlib.md5(inner.encode() + salt).hexdigest()
                    sock.sendall(message(b"p", outer.encode() + b"\x00"))
                elif code == 10:
                    scram_client = scramp.ScramClient(["SCRAM-SHA-256"], user, password)
                    first = scram_client.get_client_first().encode()
                    sock.sendall(message(b"p", b"SCRAM-SHA-256\x00" + struct.pack("!i", len(first)) + first))
                elif code == 11:
                    scram_client.set_server_first(body[4:].decode())
                    sock.sendall(message(b"p", scram_client.get_client_final().encode()))
                elif code == 12:
                    scram_client.set_server_final(body[4:].decode())
                else:
                    raise ValueError(f"unexpected auth request {code}")
            elif mtype == b"S":
                name, value, _ = body.split(b"\x00", 2)
                result.params[name.decode()] = value.decode()
            elif mtype == b"K":
                result.backend_pid, result.cancel_key = struct.unpack("!ii", body)
            elif mtype == b"Z":
                result.ready = True
                break
            elif mtype == b"E":
                result.error = parse_error(body)
                break
            elif mtype == b"N":
                continue
        if keep_open:
            return result, sock
        return result
    finally:
        if not keep_open:
            sock.close()


def send_raw_and_read(target, data: bytes) -> tuple[bytes, dict[str, str] | None]:
    """Send raw bytes; read until the server closes. Returns (all bytes, first error)."""
    sock = open_socket(target)
    try:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)  # nothing more is coming: the server sees EOF
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            received += chunk
    finally:
        sock.close()
    error = None
    pos = 0
    while pos + 5 <= len(received):
        mtype = received[pos:pos + 1]
        length = struct.unpack_from("!i", received, pos + 1)[0]
        if mtype == b"E":
            error = parse_error(received[pos + 5:pos + 1 + length])
            break
        pos += 1 + length
    return received, error


def cancel_request(target, pid: int, key: int) -> bytes:
    """Send a CancelRequest; return whatever the server sent back (PostgreSQL: nothing)."""
    sock = open_socket(target)
    try:
        sock.sendall(struct.pack("!iiii", 16, 80877102, pid, key))
        received = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return received
            received += chunk
    finally:
        sock.close()
