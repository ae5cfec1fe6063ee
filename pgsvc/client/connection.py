"""One client connection to a PostgreSQL-protocol server (pgsvc or PostgreSQL): connect
over a Unix socket or TCP, start up and authenticate (trust, cleartext password, md5,
SCRAM-SHA-256), run simple queries for text rows, stream COPY ... TO STDOUT.

This is what `pgsvc dump` speaks: a dump tool must not depend on a client library that
the package does not ship (psycopg is a test-only extra). Messages are built and decoded
in `messages.py`; this module only moves bytes.

Error texts follow libpq's, because scripts and people match on them:
  connection to server on socket "/tmp/.s.PGSQL.5432" failed: No such file or directory
  connection to server at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed ...
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import scramp

from pgsvc.backend.protocol import MessageBuffer
from pgsvc.client import messages as m
from pgsvc.client.conninfo import ConnParams
from pgsvc.errors import PgsvcError, SqlError

RECV_SIZE = 1 << 16

AUTH_OK, AUTH_CLEARTEXT, AUTH_MD5, AUTH_SASL, AUTH_SASL_CONTINUE, AUTH_SASL_FINAL = 0, 3, 5, 10, 11, 12


class ClientError(PgsvcError):
    """The connection failed or broke; the message is libpq's wording."""


class ServerError(ClientError):
    """An ErrorResponse from the server; str() is libpq's PQerrorMessage layout."""

    def __init__(self, fields: dict[str, str], query: str | None = None) -> None:
        self.fields = fields
        self.query = query  # the statement that failed, when a query did
        self.sqlstate = fields.get("sqlstate", "")
        self.severity = fields.get("severity", "ERROR")
        self.message = fields.get("message", "")
        super().__init__(format_server_message(fields))


def format_server_message(fields: dict[str, str]) -> str:
    lines = [f"{fields.get('severity', 'ERROR')}:  {fields.get('message', '')}"]
    for key, label in (("detail", "DETAIL"), ("hint", "HINT")):
        if fields.get(key):
            lines.append(f"{label}:  {fields[key]}")
    return "\n".join(lines)


@dataclass
class Result:
    columns: list[m.Column] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)
    tag: str = ""


PasswordSource = Callable[[], "str | None"]


class Connection:
    """A started-up session. Use connect() to make one; close() ends it with Terminate."""

    def __init__(self, sock: socket.socket, params: ConnParams) -> None:
        self.sock = sock
        self.params = params
        self.buffer = MessageBuffer()
        self.server_params: dict[str, str] = {}
        self.backend_pid: int | None = None
        self.on_notice: Callable[[dict[str, str]], None] = print_notice

    # ------------------------------------------------------------ queries

    def query(self, sql: str) -> Result:
        """Run one simple query (one statement is expected; the last result is returned)."""
        self.sock.sendall(m.query_message(sql))
        result, error = Result(), None
        while True:
            mtype, body = self._read()
            if mtype == b"T":
                result = Result(m.row_description(body))
            elif mtype == b"D":
                result.rows.append(m.data_row(body))
            elif mtype == b"C":
                result.tag = m.command_tag(body)
            elif mtype == b"E":
                error = ServerError(m.notice_fields(body), sql)
            elif mtype == b"H":  # a COPY TO where rows were expected: refuse it, keep the session
                error = ClientError("COPY is not expected in a query")
            elif mtype == b"G":
                self.sock.sendall(m.copy_fail_message("COPY FROM STDIN is not supported here"))
            elif mtype == b"Z":
                if error is not None:
                    raise error
                return result
            else:
                self._common(mtype, body)

    def scalar(self, sql: str) -> str | None:
        rows = self.query(sql).rows
        return rows[0][0] if rows else None

    def copy_out(self, sql: str, write: Callable[[bytes], object]) -> int:
        """Run COPY ... TO STDOUT and hand each CopyData chunk (text format: PostgreSQL
        sends one row per chunk, but a reader must not count on it) to write() as it
        arrives, so a table of any size streams in constant memory. Returns the number of
        chunks."""
        self.sock.sendall(m.query_message(sql))
        count, error = 0, None
        while True:
            mtype, body = self._read()
            if mtype == b"d":
                write(body)
                count += 1
            elif mtype in (b"H", b"c", b"C"):
                pass
            elif mtype == b"E":
                error = ServerError(m.notice_fields(body), sql)
            elif mtype == b"Z":
                if error is not None:
                    raise error
                return count
            else:
                self._common(mtype, body)

    def close(self) -> None:
        try:
            self.sock.sendall(m.terminate_message())
        except OSError:
            pass
        self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ reading

    def _read(self) -> tuple[bytes, bytes]:
        while True:
            try:
                msg = self.buffer.next_message()
            except SqlError as e:  # an absurd length: the stream cannot be trusted any more
                raise ClientError(f"lost synchronization with server: {e.message}") from None
            if msg is not None:
                return msg
            try:
                data = self.sock.recv(max(RECV_SIZE, self.buffer.needed()))
            except OSError as e:
                raise ClientError(f"could not receive data from server: {e.strerror or e}") from None
            if not data:
                raise ClientError("server closed the connection unexpectedly\n"
                                  "\tThis probably means the server terminated abnormally\n"
                                  "\tbefore or while processing the request.")
            self.buffer.feed(data)

    def _common(self, mtype: bytes, body: bytes) -> None:
        """Messages that may arrive at any time."""
        if mtype == b"N":
            self.on_notice(m.notice_fields(body))
        elif mtype == b"S":
            name, value = m.parameter_status(body)
            self.server_params[name] = value
        elif mtype in (b"A", b"I", b"1", b"2", b"3", b"n", b"s", b"t", b"K"):
            pass  # notifications, empty queries and extended-protocol acknowledgements
        else:
            raise ClientError(f"unexpected message type 0x{mtype[0]:02x} from server")


def print_notice(fields: dict[str, str]) -> None:
    print(format_server_message({**fields, "severity": fields.get("severity", "NOTICE")}),
          file=sys.stderr)


# ---------------------------------------------------------------- connecting

def connect(params: ConnParams, password: PasswordSource | None = None) -> Connection:
    """Open, start up and authenticate. password() is asked only if the server wants one
    (libpq's order: PGPASSWORD or -W first, then ~/.pgpass, then a prompt)."""
    sock, where = _open_socket(params)
    conn = Connection(sock, params)
    try:
        sock.settimeout(params.connect_timeout)
        sock.sendall(m.startup_message({"user": params.user, "database": params.dbname,
                                        "application_name": "pgsvc_dump",
                                        "client_encoding": "UTF8"}))
        _start_up(conn, params, password or (lambda: params.password))
        sock.settimeout(None)
    except ServerError as e:
        sock.close()
        raise ClientError(f"{where} failed: {e}") from None
    except ClientError as e:
        sock.close()
        raise ClientError(f"{where} failed: {e}") from None
    except OSError as e:
        sock.close()
        raise ClientError(f"{where} failed: {e.strerror or e}") from None
    return conn


def _open_socket(params: ConnParams) -> tuple[socket.socket, str]:
    if params.is_socket():
        path = params.socket_path()
        where = f'connection to server on socket "{path}"'
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(params.connect_timeout)
        try:
            sock.connect(path)
        except OSError as e:
            sock.close()
            raise ClientError(f"{where} failed: {os.strerror(e.errno or errno.EIO)}\n"
                              "\tIs the server running locally and accepting connections on that socket?"
                              ) from None
        return sock, where
    return _open_tcp(params)


def _open_tcp(params: ConnParams) -> tuple[socket.socket, str]:
    """Try each address of the host in turn, as libpq does; report every failure."""
    try:
        addresses = socket.getaddrinfo(params.host, params.port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise ClientError(f'could not translate host name "{params.host}" to address: {e.strerror}') from None
    failures = []
    for family, kind, proto, _, address in addresses:
        where = _tcp_where(params, address[0])
        sock = socket.socket(family, kind, proto)
        sock.settimeout(params.connect_timeout)
        try:
            sock.connect(address)
        except OSError as e:
            sock.close()
            reason = "timeout expired" if isinstance(e, TimeoutError) else os.strerror(e.errno or errno.EIO)
            failures.append(f"{where} failed: {reason}\n"
                            "\tIs the server running on that host and accepting TCP/IP connections?")
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, where
    raise ClientError("\n".join(failures))


def _tcp_where(params: ConnParams, address: str) -> str:
    if address == params.host:
        return f'connection to server at "{params.host}", port {params.port}'
    return f'connection to server at "{params.host}" ({address}), port {params.port}'


def _start_up(conn: Connection, params: ConnParams, password: PasswordSource) -> None:
    scram: scramp.ScramClient | None = None
    while True:
        mtype, body = conn._read()
        if mtype == b"R":
            scram = _answer_auth(conn, params, body, password, scram)
        elif mtype == b"K":
            conn.backend_pid = int.from_bytes(body[:4], "big")
        elif mtype == b"E":
            raise ServerError(m.notice_fields(body))
        elif mtype == b"Z":
            return
        else:
            conn._common(mtype, body)


def _answer_auth(conn: Connection, params: ConnParams, body: bytes, password: PasswordSource,
                 scram: scramp.ScramClient | None) -> scramp.ScramClient | None:
    code, data = m.auth_request(body)
    if code == AUTH_OK:
        return scram
    if code == AUTH_SASL_CONTINUE and scram is not None:
        scram.set_server_first(data.decode())
        conn.sock.sendall(m.sasl_response(scram.get_client_final().encode()))
        return scram
    if code == AUTH_SASL_FINAL and scram is not None:
        try:
            scram.set_server_final(data.decode())
        except scramp.ScramException:
            raise ClientError("SCRAM server signature does not match") from None
        return scram
    if code not in (AUTH_CLEARTEXT, AUTH_MD5, AUTH_SASL):
        raise ClientError(f"authentication method requested by server is not supported ({code})")
    secret = password()
    if not secret:
        raise ClientError("fe_sendauth: no password supplied")
    if code == AUTH_CLEARTEXT:
        conn.sock.sendall(m.password_message(secret.encode()))
    elif code == AUTH_MD5:
        conn.sock.sendall(m.password_message(md5_response(params.user, secret, data[:4]).encode()))
    else:
        if "SCRAM-SHA-256" not in m.sasl_mechanisms(data):
            raise ClientError("none of the server's SASL authentication mechanisms are supported")
        scram = scramp.ScramClient(["SCRAM-SHA-256"], params.user, secret)
        conn.sock.sendall(m.sasl_initial_response("SCRAM-SHA-256", scram.get_client_first().encode()))
    return scram


def md5_response(user: str, password: str, salt: bytes) -> str:
    """md5 authentication: "md5" + md5(md5(password + user) + salt), in hex."""
    inner = hashlib.md5((password + user).encode()).hexdigest()
    return "md5" + hashlib.md5(inner.encode() + salt).hexdigest()
