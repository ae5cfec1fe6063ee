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
import pwd
import signal
import socket
import ssl
import struct
import time

import setproctitle

from pgsvc.backend import protocol
from pgsvc.backend.auth import Authenticator
from pgsvc.backend.conn import ClientConnection, ConnectionClosed
from pgsvc.backend.session import Session
from pgsvc.backend.signals import set_quickdie_socket
from pgsvc.cluster.global_catalog import GlobalCatalog
from pgsvc.cluster.hba import ClientInfo, match
from pgsvc.errors import (
    INVALID_AUTHORIZATION_SPECIFICATION,
    INVALID_CATALOG_NAME,
    PROTOCOL_VIOLATION,
    FatalError,
    SqlError,
)
from pgsvc.sql.exec.engine import Engine
from pgsvc.supervisor.logs import log
from pgsvc.supervisor.registry import KIND_BACKEND

# Exit codes (a contract with the supervisor): 0 normal end, 1 error that was reported.
EXIT_OK = 0
EXIT_ERROR = 1


def run_backend(ctx) -> int:
    """Entry point after fork (ctx: supervisor.postmaster.BackendContext)."""
    state = ctx.state
    conn = ClientConnection(ctx.sock)
    ctx.sock.setblocking(True)
    state.registry.my_slot = ctx.slot
    if state.notify_queue is not None:
        state.notify_queue.my_slot = ctx.slot
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
    if not isinstance(session, Session):
        return EXIT_OK
    set_quickdie_socket(None if conn.tls else conn.sock)
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
    mode = replication_mode(params.get("replication"))
    if mode is not None:
        _claim_walsender(ctx)
    setproctitle.setproctitle(f"pgsvc: {user} {database} {host} authentication")
    catalog = GlobalCatalog(ctx.state.layout)
    try:
        role, db = _authenticate(ctx, conn, catalog, user, database, host, mode)
        # ALTER ROLE/DATABASE ... SET; a physical walsender applies only its start-up options
        stored = catalog.login_settings(db.oid, role.oid) if mode != PHYSICAL else []
    finally:
        catalog.close()
    if ctx.state.settings["log_connections"]:
        log.info("connection authorized: user=%s database=%s%s%s", user, database,
                 f" application_name={params['application_name']}" if params.get("application_name") else "",
                 _ssl_description(conn))
    if mode is None:
        session_class = Session
    else:
        walsender = _walsender()
        session_class = {LOGICAL: walsender.WalSenderSession, PHYSICAL: walsender.PhysicalWalSenderSession}[mode]
    return session_class.start(ctx, conn, role, db, params, host, stored)


PHYSICAL, LOGICAL = "physical", "logical"


def _walsender():
    """pgsvc.backend.walsender.session, for a replication connection."""
    # lazy: the walsender and the replication code it brings (24 modules, ~14 ms of CPU)
    # serve replication connections only; the supervisor loads them after the first
    # fork, while idle (postmaster.DEFERRED_PRELOAD), so that no client waits for them
    from pgsvc.backend.walsender import session

    return session


def replication_mode(value: str | None) -> str | None:
    """The start-up packet's `replication`: None (an ordinary backend), LOGICAL for
    "database" (a walsender connected to a database, SQL allowed) or PHYSICAL for a true
    Boolean; a false one is an ordinary backend. PostgreSQL's ProcessStartupPacket with
    parse_bool: any prefix of true/false/yes/no, on/off (two letters at least), 1/0, in
    any case; "database" exactly."""
    if value is None:
        return None
    if value == "database":
        return LOGICAL
    low = value.lower()
    if low and (low[0] in "tfyn" and any(w.startswith(low) for w in ("true", "false", "yes", "no"))
                or len(low) >= 2 and any(w.startswith(low) for w in ("on", "off"))
                or low in ("1", "0")):
        return PHYSICAL if low[0] in "ty1" or low.startswith("on") else None
    raise FatalError("22023", f'invalid value for parameter "replication": "{value}"',
                     hint='Valid values are: "false", 0, "true", 1, "database".')


def _ssl_description(conn: ClientConnection) -> str:
    if not conn.tls:
        return ""
    name, _version, bits = conn.sock.cipher()
    return f" SSL enabled (protocol={conn.sock.version()}, cipher={name}, bits={bits})"


def _authenticate(ctx, conn: ClientConnection, catalog: GlobalCatalog, user: str, database: str, host: str,
                  mode: str | None = None):
    state = ctx.state
    local = ctx.sock.family == socket.AF_UNIX
    client = ClientInfo(local=local, address=None if local else str(ctx.address[0]),
                        ssl=conn.tls, database=database, user=user, physical_replication=mode == PHYSICAL)
    record = match(state.hba, client, catalog.members_of)
    where = "[local]" if local else str(ctx.address[0])
    encryption = "SSL encryption" if conn.tls else "no encryption"
    if record is None:
        if mode == PHYSICAL:
            raise FatalError(INVALID_AUTHORIZATION_SPECIFICATION, f'no pg_hba.conf entry for replication connection'
                                                                  f' from host "{where}", user "{user}", {encryption}')
        raise FatalError(INVALID_AUTHORIZATION_SPECIFICATION,
                         f'no pg_hba.conf entry for host "{where}", user "{user}", database "{database}", {encryption}')
    if record.method == "reject":
        if mode == PHYSICAL:
            raise FatalError(INVALID_AUTHORIZATION_SPECIFICATION, f'pg_hba.conf rejects replication connection'
                                                                  f' for host "{where}", user "{user}", {encryption}')
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
    # InitPostgres: a walsender's role must be a superuser or have REPLICATION, checked
    # before its database (a physical one has none: it stops here)
    if mode is not None and not (role.superuser or role.replication):
        raise FatalError("42501", "must be superuser or replication role to start walsender")
    if mode == PHYSICAL:
        db = _walsender().NoDatabase()
        _check_connection_limits(ctx, role, db)
        return role, db
    db = catalog.find_database(database)
    if db is None:
        raise FatalError(INVALID_CATALOG_NAME, f'database "{database}" does not exist')
    if not db.allow_conn:
        raise FatalError("55000", f'database "{database}" is not currently accepting connections')
    if not Engine.may_connect(catalog, role, db):  # PostgreSQL's CheckMyDatabase, before the limits
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
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = None
    if name != user:
        raise FatalError(INVALID_AUTHORIZATION_SPECIFICATION, f'Peer authentication failed for user "{user}"')


def _claim_walsender(ctx) -> None:
    """A replication connection takes one of max_wal_senders walsender places (PostgreSQL's
    InitProcess, before authentication) and is marked a walsender in its registry slot."""
    registry = ctx.state.registry
    limit = ctx.state.settings["max_wal_senders"]
    if sum(1 for s in registry.slots() if s.walsender and s.index != ctx.slot) >= limit:
        raise FatalError("53300", f"number of requested standby connections exceeds max_wal_senders (currently {limit})")
    registry.set_walsender()


def _check_connection_limits(ctx, role, db) -> None:
    if role.superuser and db.conn_limit < 0:
        return  # no limit applies: the registry is not read (every slot, per connection)
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
