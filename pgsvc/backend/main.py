"""A backend's start-up phase: from the first byte of a new connection to ReadyForQuery.

Runs in the forked child. Order as PostgreSQL's ProcessStartupPacket and
ClientAuthentication: SSL/GSSENC negotiation, the start-up packet (or a cancel
request, served and done), the dead-end refusals (too many clients, shutting
down), pg_hba.conf, the password exchange, role and database checks, then the
session's parameters and the query loop. No query runs before authentication has
completed.
"""

from __future__ import annotations

import hmac
import os
import signal
import socket
import ssl
import struct
import time

import setproctitle

from pgsvc.backend import protocol
from pgsvc.backend.auth import Authenticator, auth_failed
from pgsvc.backend.conn import ClientConnection, ConnectionClosed
from pgsvc.cluster.global_catalog import GlobalCatalog
from pgsvc.cluster.hba import ClientInfo, match
from pgsvc.cluster.config import ConfigError, parse_setting
from pgsvc.errors import (
    INVALID_AUTHORIZATION_SPECIFICATION,
    INVALID_CATALOG_NAME,
    PROTOCOL_VIOLATION,
    FatalError,
    SqlError,
    SqlNotice,
)
from pgsvc.settings import PLANNER_SETTINGS
from pgsvc.supervisor.logs import log
from pgsvc.supervisor.registry import KIND_BACKEND

# Exit codes (a contract with the supervisor): 0 normal end, 1 error that was reported.
EXIT_OK = 0
EXIT_ERROR = 1


class BackendSignals:
    """What the signal handlers recorded. Handlers only set these; the session loop acts."""

    def __init__(self) -> None:
        self.cancel_reason: str | None = None  # "user request" | "statement timeout" | "terminate"
        self.terminate = False
        self.reload = False

    def install(self, wakeup_w: int) -> None:
        signal.set_wakeup_fd(wakeup_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGINT, self._on_cancel)
        signal.signal(signal.SIGALRM, self._on_timeout)
        signal.signal(signal.SIGTERM, self._on_terminate)
        signal.signal(signal.SIGHUP, self._on_reload)
        # Immediate shutdown: exit at once, as PostgreSQL's quickdie. The one handler that
        # acts instead of recording — waiting for the loop is exactly what SIGQUIT must not do.
        signal.signal(signal.SIGQUIT, _quick_die)

    def _on_cancel(self, signum, frame) -> None:
        self.cancel_reason = self.cancel_reason or "user request"

    def _on_timeout(self, signum, frame) -> None:
        self.cancel_reason = self.cancel_reason or "statement timeout"

    def _on_terminate(self, signum, frame) -> None:
        self.terminate = True
        self.cancel_reason = "terminate"

    def _on_reload(self, signum, frame) -> None:
        self.reload = True


# The plain client socket, for the one message _quick_die sends (None under TLS: the
# TLS state cannot be used safely from a signal handler).
_QUICKDIE_SOCK: socket.socket | None = None
_QUICKDIE_MESSAGE = protocol.encode_notice(SqlNotice(  # a WARNING is a NoticeResponse
    "terminating connection due to immediate shutdown command", sqlstate="57P01", severity="WARNING"))


def _quick_die(signum, frame) -> None:
    """SIGQUIT: as PostgreSQL's quickdie, tell the client why (best effort, never
    blocking: MSG_DONTWAIT), then exit without any cleanup."""
    sock = _QUICKDIE_SOCK
    if sock is not None:
        try:
            sock.send(_QUICKDIE_MESSAGE, socket.MSG_DONTWAIT)
        except OSError:
            pass
    os._exit(2)


def run_backend(ctx) -> int:
    """Entry point after fork (ctx: supervisor.postmaster.BackendContext)."""
    state = ctx.state
    conn = ClientConnection(ctx.sock)
    ctx.sock.setblocking(True)
    state.registry.my_slot = ctx.slot
    if ctx.slot is not None:
        state.registry.set_pid(os.getpid())
    if ctx.sock.family != socket.AF_UNIX:
        ctx.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    host = _host_label(ctx.address, ctx.sock.family)
    setproctitle.setproctitle(f"pgsvc: {host} startup")
    started = time.monotonic()
    if state.settings["log_connections"]:
        log.info("connection received: %s", _client_fields(ctx))
    # authentication_timeout bounds the whole start-up phase (a client that connects and
    # says nothing must not hold a process forever).
    ctx.sock.settimeout(float(state.settings["authentication_timeout"]))
    try:
        session = _startup(ctx, conn, host)
        if session is None:
            return EXIT_OK
    except FatalError as e:
        _send_fatal(conn, e)
        return EXIT_ERROR
    except (ConnectionClosed, TimeoutError, OSError, ssl.SSLError):
        return EXIT_ERROR
    except Exception:  # never a traceback to the client: log it, answer with a FATAL
        log.exception("internal error during connection start-up")
        _send_fatal(conn, FatalError("XX000", "internal error during connection start-up"))
        return EXIT_ERROR
    conn.sock.settimeout(None)  # conn.sock: after TLS, ctx.sock is detached
    from pgsvc.backend.session import Session

    if not isinstance(session, Session):
        return EXIT_OK
    global _QUICKDIE_SOCK
    _QUICKDIE_SOCK = None if conn.tls else conn.sock
    try:
        return session.run()
    finally:
        if state.settings["log_disconnections"]:
            log.info("disconnection: session time: %s user=%s database=%s %s",
                     _session_time(time.monotonic() - started), session.role.name, session.db.name,
                     _client_fields(ctx))


def _client_fields(ctx) -> str:
    if ctx.sock.family == socket.AF_UNIX:
        return "host=[local]"
    return f"host={ctx.address[0]} port={ctx.address[1]}"


def _session_time(seconds: float) -> str:
    """PostgreSQL's `session time: H:MM:SS.mmm`."""
    ms = int(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    return f"{h}:{m:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _send_fatal(conn: ClientConnection, err: SqlError) -> None:
    try:
        conn.send_now(protocol.encode_error(err))
    except ConnectionClosed:
        pass


def _host_label(address, family) -> str:
    if family == socket.AF_UNIX:
        return "[local]"
    return f"{address[0]}({address[1]})"


def _read_startup_packet(conn: ClientConnection):
    length = protocol.startup_packet_length(conn.recv_exact(4))
    return protocol.parse_startup_packet(conn.recv_exact(length))


def _negotiate(ctx, conn: ClientConnection):
    """SSLRequest / GSSENCRequest answers, then the real start-up packet."""
    ssl_done = gss_done = False
    while True:
        packet = _read_startup_packet(conn)
        if isinstance(packet, protocol.SSLRequest) and not ssl_done:
            ssl_done = True
            context = _ssl_context(ctx)
            if context is None:
                conn.send_now(b"N")
                continue
            conn.send_now(b"S")
            conn.sock = context.wrap_socket(ctx.sock, server_side=True)
            conn.tls = True
            continue
        if isinstance(packet, protocol.GSSENCRequest) and not gss_done:
            gss_done = True
            conn.send_now(b"N")
            continue
        if isinstance(packet, (protocol.SSLRequest, protocol.GSSENCRequest)):
            raise FatalError(PROTOCOL_VIOLATION, "unsupported frontend protocol 1234.5679: server supports 3.0 to 3.0")
        return packet


def _ssl_context(ctx) -> ssl.SSLContext | None:
    settings = ctx.state.settings
    if not settings["ssl"]:
        return None
    cert = os.path.join(ctx.state.layout.datadir, settings["ssl_cert_file"])
    key = os.path.join(ctx.state.layout.datadir, settings["ssl_key_file"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as e:
        log.warning("could not load server certificate or key: %s", e)
        return None
    return context


def _startup(ctx, conn: ClientConnection, host: str):
    conn.tls = False
    packet = _negotiate(ctx, conn)
    if isinstance(packet, protocol.CancelRequest):
        _serve_cancel(ctx, packet)
        return None
    if ctx.refuse is not None:
        raise FatalError(*ctx.refuse)
    params = packet.params
    user = params.get("user")
    if not user:
        raise FatalError(INVALID_AUTHORIZATION_SPECIFICATION, "no PostgreSQL user name specified in startup packet")
    database = params.get("database") or user
    if params.get("replication") not in (None, "false", "0", "off", "no"):
        raise FatalError("0A000", "replication connections are not supported by pgsvc")
    setproctitle.setproctitle(f"pgsvc: {user} {database} {host} authentication")
    catalog = GlobalCatalog(ctx.state.layout)
    try:
        role, db = _authenticate(ctx, conn, catalog, user, database, host)
        stored = catalog.login_settings(db.oid, role.oid)  # ALTER ROLE/DATABASE ... SET
    finally:
        catalog.close()
    if ctx.state.settings["log_connections"]:
        log.info("connection authorized: user=%s database=%s%s%s", user, database,
                 f" application_name={params['application_name']}" if params.get("application_name") else "",
                 _ssl_description(conn))
    from pgsvc.backend.session import Session

    return Session.start(ctx, conn, role, db, params, host, stored)


def _ssl_description(conn: ClientConnection) -> str:
    if not conn.tls:
        return ""
    name, _version, bits = conn.sock.cipher()
    return f" SSL enabled (protocol={conn.sock.version()}, cipher={name}, bits={bits})"


def _authenticate(ctx, conn: ClientConnection, catalog: GlobalCatalog, user: str, database: str, host: str):
    state = ctx.state
    local = ctx.sock.family == socket.AF_UNIX
    client = ClientInfo(local=local, address=None if local else str(ctx.address[0]),
                        ssl=conn.tls, database=database, user=user)
    record = match(state.hba, client, catalog.members_of)
    where = "[local]" if local else str(ctx.address[0])
    encryption = "SSL encryption" if conn.tls else "no encryption"
    if record is None:
        raise FatalError(INVALID_AUTHORIZATION_SPECIFICATION,
                         f'no pg_hba.conf entry for host "{where}", user "{user}", database "{database}", {encryption}')
    if record.method == "reject":
        raise FatalError(INVALID_AUTHORIZATION_SPECIFICATION,
                         f'pg_hba.conf rejects connection for host "{where}", user "{user}", database "{database}", {encryption}')
    role = catalog.find_role(user)
    if record.method == "peer":
        _check_peer(ctx.sock, user)
    elif record.method != "trust":
        stored = role.password if role is not None and role.can_login and catalog.role_valid(role) else None
        _exchange_password(conn, Authenticator(record.method, user, stored,
                                               state.settings["password_encryption"]), user)
    # Only after the password exchange: the client must not learn which roles exist.
    if role is None:
        raise FatalError(INVALID_AUTHORIZATION_SPECIFICATION, f'role "{user}" does not exist')
    if not role.can_login:
        raise FatalError(INVALID_AUTHORIZATION_SPECIFICATION, f'role "{user}" is not permitted to log in')
    db = catalog.find_database(database)
    if db is None:
        raise FatalError(INVALID_CATALOG_NAME, f'database "{database}" does not exist')
    if not db.allow_conn:
        raise FatalError("55000", f'database "{database}" is not currently accepting connections')
    from pgsvc.sql.catalog.authz import may_connect
    if not may_connect(catalog, role, db):  # PostgreSQL's CheckMyDatabase, before the limits
        raise FatalError("42501", f'permission denied for database "{database}"',
                         detail="User does not have CONNECT privilege.")
    _check_connection_limits(ctx, role, db)
    return role, db


def _exchange_password(conn: ClientConnection, auth: Authenticator, user: str) -> None:
    first = auth.begin()
    if first is None:
        return
    conn.send_now(first)
    while not auth.done:
        mtype, body = conn.read_message()
        if mtype != b"p":
            if mtype == b"X":
                raise ConnectionClosed()
            raise FatalError(PROTOCOL_VIOLATION,
                             f"expected password response, got message type {mtype[0]}")
        reply = auth.step(body)
        if reply is not None:
            conn.send_now(reply)


def _check_peer(sock: socket.socket, user: str) -> None:
    import pwd

    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = None
    if name != user:
        raise FatalError(INVALID_AUTHORIZATION_SPECIFICATION, f'Peer authentication failed for user "{user}"')


def _check_connection_limits(ctx, role, db) -> None:
    slots = [s for s in ctx.state.registry.slots() if s.kind == KIND_BACKEND and s.index != ctx.slot]
    settings = ctx.state.settings
    if not role.superuser:
        reserved = settings["superuser_reserved_connections"]
        if len(slots) + 1 > settings["max_connections"] - reserved:
            raise FatalError("53300", "remaining connection slots are reserved for non-replication superuser connections")
        if role.conn_limit >= 0 and sum(1 for s in slots if s.user == role.name) >= role.conn_limit:
            raise FatalError("53300", f'too many connections for role "{role.name}"')
    if db.conn_limit >= 0 and sum(1 for s in slots if s.database == db.name) >= db.conn_limit:
        raise FatalError("53300", f'too many connections for database "{db.name}"')


def _serve_cancel(ctx, request: protocol.CancelRequest) -> None:
    """Find the target in the registry and SIGINT it; the key comparison is constant-time
    so that a wrong key teaches nothing. PostgreSQL sends no reply either way."""
    for slot in ctx.state.registry.slots():
        if slot.pid == request.pid and slot.kind == KIND_BACKEND:
            given = struct.pack("!i", request.key)
            real = struct.pack("!i", slot.cancel_key)
            if hmac.compare_digest(given, real):
                try:
                    os.kill(slot.pid, signal.SIGINT)
                except ProcessLookupError:
                    pass
            else:
                log.info("wrong key in cancel request for process %d", request.pid)
            return
    log.info("PID %d in cancel request did not match any process", request.pid)


def apply_startup_options(settings, params: dict[str, str]) -> list[tuple[str, str, str]]:
    """Start-up packet parameters and `options` (-c name=value, --name=value) as the values
    the session starts with (RESET returns to them, as to PostgreSQL's PGC_S_CLIENT
    values). Returns the planner knobs among them, which live in the engine:
    [(name, value, "client")] for pgsvc.sql.commands.role_settings.apply_deferred."""
    planner: list[tuple[str, str, str]] = []
    for name, value in params.items():
        if name in ("user", "database", "replication"):
            continue
        if name == "options":
            for opt_name, opt_value in _parse_options(value):
                _set_startup(settings, opt_name, opt_value, planner)
            continue
        _set_startup(settings, name, value, planner)
    return planner


def _set_startup(settings, name: str, value: str, planner: list) -> None:
    if name.lower() in PLANNER_SETTINGS:
        planner.append((name.lower(), value, "client"))
        return
    try:
        parse_setting(name, value)
        settings.set_default(name, value, "client")
    except (ConfigError, SqlError) as e:
        raise FatalError(getattr(e, "sqlstate", "42704"), getattr(e, "message", str(e))) from None


def _parse_options(text: str) -> list[tuple[str, str]]:
    words, current, escape = [], "", False
    for ch in text:
        if escape:
            current += ch
            escape = False
        elif ch == "\\":
            escape = True
        elif ch.isspace():
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
    if current:
        words.append(current)
    result = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-c" and i + 1 < len(words):
            word = "--" + words[i + 1]
            i += 1
        elif word.startswith("-c"):
            word = "--" + word[2:]
        if word.startswith("--") and "=" in word:
            name, value = word[2:].split("=", 1)
            result.append((name.replace("-", "_"), value))
        else:
            raise FatalError(PROTOCOL_VIOLATION, f'invalid command-line argument for server process: {word}',
                             hint='Try "pgsvc --help" for more information.')
        i += 1
    return result


__all__ = ["run_backend", "apply_startup_options", "BackendSignals", "auth_failed"]
