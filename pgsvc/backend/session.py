"""A backend's session loop: the protocol's query flows after start-up.

Simple Query (several statements in one implicit transaction), Extended Query
(Parse/Bind/Describe/Execute/Close/Sync/Flush; named and unnamed statements and
portals; after an error, skip to Sync), COPY in and out, cancel and terminate,
statement_timeout, idle timeouts, SIGHUP reload. Meaning is the SQL engine's
(pgsvc.sql.exec.engine via the pgsvc.sql.api contract); this module moves bytes.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from dataclasses import dataclass

import setproctitle

from pgsvc.backend import protocol as P
from pgsvc.backend.conn import ClientConnection, ConnectionClosed
from pgsvc.backend.copy_flow import CopyRunner
from pgsvc.backend.main import BackendSignals, apply_startup_options
from pgsvc.errors import (
    ADMIN_SHUTDOWN,
    PROTOCOL_VIOLATION,
    QUERY_CANCELED,
    FatalError,
    SqlError,
    SqlNotice,
)
from pgsvc.sql import types as T
from pgsvc.sql.api import SessionInfo
from pgsvc.sql.types import oids as O
from pgsvc.supervisor.logs import log
from pgsvc.supervisor.registry import KIND_BACKEND

EXIT_OK, EXIT_ERROR = 0, 1
_END = object()
_STATE_NAMES = {"I": "idle", "T": "idle in transaction", "E": "idle in transaction (aborted)"}


@dataclass
class Portal:
    name: str
    statement: object
    params: list
    result_formats: tuple[int, ...]
    result: object | None = None
    rows_sent: int = 0
    done: bool = False
    encoders: list | None = None
    rows: object | None = None  # the result's row iterator (with a row pushed back after a suspend)


@dataclass
class PreparedStatement:
    stmt: object
    # (format context, parameter format codes, decoders): Bind's decoders are looked up
    # once per statement, not per execution (see Session._param_decoders).
    decoders: tuple | None = None


def _cancel_message(reason: str | None) -> str:
    if reason == "statement timeout":
        return "canceling statement due to statement timeout"
    if reason == "terminate":
        return "terminating connection due to administrator command"
    return "canceling statement due to user request"


# client_min_messages' order (LOG ranks below NOTICE for the client, as in PostgreSQL)
_CLIENT_LEVELS = {"debug5": 0, "debug4": 1, "debug3": 2, "debug2": 3, "debug1": 4, "debug": 4, "log": 5,
                  "notice": 6, "warning": 7, "error": 8}


class Session:
    # ------------------------------------------------------------ start
    @classmethod
    def start(cls, ctx, conn: ClientConnection, role, db, params: dict[str, str], host: str,
              stored: list = ()) -> Session:
        """`stored`: the login's ALTER ROLE/DATABASE ... SET items (GlobalCatalog.login_settings);
        the client's start-up options win over them, as in PostgreSQL."""
        from pgsvc.sql.commands.role_settings import apply_at_login, apply_deferred
        state = ctx.state
        settings = state.settings.copy_base()
        deferred = apply_startup_options(settings, params)
        warnings, more = apply_at_login(settings, stored, set(settings.defaults) | {d[0] for d in deferred})
        settings.set_internal("is_superuser", role.superuser)
        settings.set_internal("session_authorization", role.name)
        self = cls(ctx, conn, settings, role, db, host)
        conn.send(P.AUTH_OK)
        for warning in warnings:  # before the parameters, as PostgreSQL's InitPostgres
            self.send_notice(warning)
        for name, value in settings.reported_values().items():
            conn.send(P.encode_parameter_status(name, value))
        settings.changed_reported()  # all just reported
        conn.send(P.encode_backend_key(os.getpid(), ctx.cancel_key))
        self.open_engine()
        apply_deferred(self.engine, deferred + more)
        return self

    def __init__(self, ctx, conn: ClientConnection, settings, role, db, host: str) -> None:
        self.ctx = ctx
        self.conn = conn
        self.settings = settings
        self.role = role
        self.db = db
        self.host = host
        self.registry = ctx.state.registry
        self.signals = BackendSignals()
        self._wakeup_r, self._wakeup_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.signals.install(self._wakeup_w)
        conn.set_wakeup_fd(self._wakeup_r)
        self.statements: dict[str, PreparedStatement] = {}
        self.portals: dict[str, Portal] = {}
        self.skip_until_sync = False
        self.in_batch = False  # extended protocol: an implicit transaction is open until Sync
        self.engine = None
        self._format_ctx = None
        self._title_state = None
        self._timer_armed = False
        # Per-statement bytes and converters, built once and reused on every execution
        # (keyed on the column list's identity, which a cached statement keeps).
        self._row_descriptions: dict[tuple, tuple] = {}
        self._encoder_cache: dict[tuple, tuple] = {}
        self._tags: dict[str, bytes] = {}
        self.registry.set_identity(role.name, db.name, settings.show("application_name"))

    def open_engine(self) -> None:
        from pgsvc.sql.exec.engine import Engine

        info = SessionInfo(
            datadir=self.ctx.state.layout.datadir,
            database=self.db.name,
            database_path=self.ctx.state.layout.database_file(self.db.oid),
            user=self.role.name,
            is_superuser=self.role.superuser,
            backend_pid=os.getpid(),
            settings=self.settings,
            notice=self.send_notice,
            cancel_flag=lambda: self.signals.cancel_reason,
            report_activity=self._report_activity,
            activity=self.registry.slots,
            signal_backend=self.signal_backend,
            count_transaction=self.registry.count_transaction,
        )
        try:
            self.engine = Engine(info)
        except SqlError as e:
            raise FatalError(e.sqlstate, e.message, detail=e.detail, hint=e.hint) from None

    # ------------------------------------------------------------ main loop
    def run(self) -> int:
        try:
            self.ready_for_query()
            buffered = self.conn.buffer.next_message
            while True:
                # A pipelined message (Bind/Execute/Sync of one packet) is taken straight
                # from the buffer; only an empty buffer means waiting, with its timeouts.
                msg = buffered() or self._wait_for_message()
                if not self.dispatch(*msg):
                    return EXIT_OK
        except FatalError as e:
            self._send_fatal(e)
            return EXIT_ERROR
        except ConnectionClosed:
            return EXIT_OK
        finally:
            self._close()

    def _wait_for_message(self) -> tuple[bytes, bytes]:
        msg = self.conn.receive_message(timeout=self._idle_timeout(), on_wakeup=self._on_wakeup)
        if msg is None:
            self._idle_timed_out()
        return msg

    def dispatch(self, mtype: bytes, body: bytes) -> bool:
        """Handle one message; False ends the session (Terminate)."""
        if mtype == b"X":
            return False
        if self.skip_until_sync and mtype not in (b"S",):
            return True
        handler = _HANDLERS.get(mtype)
        if handler is None:
            if mtype in (b"d", b"c", b"f"):
                return True  # CopyData/Done/Fail outside COPY are ignored, as PostgreSQL does
            raise FatalError(PROTOCOL_VIOLATION, f"invalid frontend message type {mtype[0]}")
        handler(self, body)
        return True

    def ready_for_query(self) -> None:
        status = self.engine.transaction_status()
        for name, value in self.settings.changed_reported().items():
            self.conn.send(P.encode_parameter_status(name, value))
            if name == "application_name":
                self.registry.set_application_name(value)
        # State first: whoever watches (pg_stat_activity, status) must never see a
        # backend that has already answered as still "active".
        self._set_state(_STATE_NAMES[status], None, status != "I")
        self.conn.send(P.READY[status])
        self.conn.flush()
        if self.signals.terminate:
            raise FatalError(ADMIN_SHUTDOWN, "terminating connection due to administrator command")

    def _close(self) -> None:
        if self.engine is not None:
            try:
                self.engine.close()
            except Exception:  # the process is ending; SQLite rolls back what is open
                pass
        self.conn.close()

    def _send_fatal(self, err: SqlError) -> None:
        try:
            self.conn.send_now(P.encode_error(err))
        except ConnectionClosed:
            pass

    # ------------------------------------------------------------ signals and timeouts
    def _on_wakeup(self) -> None:
        if self.signals.terminate:
            raise FatalError(ADMIN_SHUTDOWN, "terminating connection due to administrator command")
        if self.signals.reload:
            self.signals.reload = False
            self._reload()
        self.signals.cancel_reason = None  # a cancel while idle cancels nothing

    def _reload(self) -> None:
        from pgsvc.supervisor import startup

        try:
            fresh = startup.load_settings(self.ctx.state.layout, self.ctx.state.options)
        except Exception as e:  # keep running with the old values, as PostgreSQL does
            log.warning("configuration reload failed: %s", e)
            return
        self.settings.reload_base(fresh.base)
        self._format_ctx = None

    def _idle_timeout(self) -> float | None:
        status = self.engine.transaction_status() if self.engine else "I"
        if status != "I":
            ms = self.settings["idle_in_transaction_session_timeout"]
        else:
            ms = self.settings["idle_session_timeout"]
        return ms / 1000.0 if ms else None

    def _idle_timed_out(self) -> None:
        if self.engine.transaction_status() != "I":
            raise FatalError("25P03", "terminating connection due to idle-in-transaction timeout")
        raise FatalError("57P05", "terminating connection due to idle-session timeout")

    def _arm_statement_timeout(self) -> None:
        if self.signals.cancel_reason != "terminate":
            self.signals.cancel_reason = None
        ms = self.settings["statement_timeout"]
        if ms:
            signal.setitimer(signal.ITIMER_REAL, ms / 1000.0)
            self._timer_armed = True

    def _disarm_statement_timeout(self) -> None:
        if self._timer_armed:  # no syscall per statement when no timeout is set
            signal.setitimer(signal.ITIMER_REAL, 0)
            self._timer_armed = False

    # ------------------------------------------------------------ activity reporting
    def _report_activity(self, state: str, query: str | None) -> None:
        self._set_state(state, query, self.engine is not None and self.engine.transaction_status() != "I")

    def _set_state(self, state: str, query: str | None, in_xact: bool) -> None:
        self.registry.report(state, query, in_xact)
        if state != self._title_state:
            self._title_state = state
            setproctitle.setproctitle(f"pgsvc: {self.role.name} {self.db.name} {self.host} {state}")

    def signal_backend(self, pid: int, action: str) -> bool:
        """pg_cancel_backend / pg_terminate_backend, with PostgreSQL's permission rule: a
        superuser may signal anyone, others only backends of their own role."""
        target = self.registry.find(pid)
        if target is None or target.kind != KIND_BACKEND:
            self.send_notice(SqlNotice(f"PID {pid} is not a PostgreSQL backend process",
                                       severity="WARNING", sqlstate="01000"))
            return False
        if not self.role.superuser and target.user != self.role.name:
            if action == "cancel":
                verb, what, may = "cancel query", "query is being canceled", "cancel this query"
            else:
                verb, what, may = "terminate process", "process is being terminated", "terminate this process"
            raise SqlError("42501", f"permission denied to {verb}",
                           detail=f"Only roles with privileges of the role whose {what} or with "
                                  f'privileges of the "pg_signal_backend" role may {may}.')
        try:
            os.kill(pid, signal.SIGINT if action == "cancel" else signal.SIGTERM)
        except ProcessLookupError:
            return False
        return True

    def send_notice(self, notice: SqlNotice) -> None:
        # client_min_messages: only notices at or above it reach the client (INFO always)
        if notice.severity != "INFO":
            floor = _CLIENT_LEVELS.get(str(self.settings.show("client_min_messages")).lower(), 6)
            if _CLIENT_LEVELS.get(notice.severity.lower(), 6) < floor:
                return
        self.conn.send(P.encode_notice(notice))

    # ------------------------------------------------------------ errors
    def report_error(self, err: BaseException) -> None:
        """Send an ErrorResponse for a failed statement; the session goes on."""
        if isinstance(err, FatalError):
            raise err
        if not isinstance(err, SqlError):
            log.exception("internal error while executing a statement")
            err = SqlError("XX000", f"internal error: {type(err).__name__}: {err}")
        if err.sqlstate == QUERY_CANCELED and self.signals.terminate:
            raise FatalError(ADMIN_SHUTDOWN, "terminating connection due to administrator command")
        try:
            self.engine.abort_on_error(err)
        except Exception:
            log.exception("could not abort the transaction after an error")
        self.conn.send(P.encode_error(err))
        # PostgreSQL flushes every error at once (elog.c), even in the middle of an
        # extended-protocol batch: a client that sent Parse+Describe+Flush waits for it.
        self.conn.flush()

    def format_context(self):
        if self._format_ctx is None:
            self._format_ctx = T.FormatContext.from_settings(self.settings)
        return self._format_ctx

    # ------------------------------------------------------------ simple query
    def handle_query(self, body: bytes) -> None:
        try:
            sql = P.decode_query(body)
        except SqlError as e:  # no terminator, bad UTF-8: an ERROR, as PostgreSQL (not a crash)
            self.report_error(e)
            self.ready_for_query()
            return
        self._set_state("active", sql, self.engine.transaction_status() != "I")
        started = time.monotonic()
        try:
            self._run_simple(sql)
        finally:
            self._disarm_statement_timeout()
            self._log_duration(sql, started)
        self.ready_for_query()

    def _run_simple(self, sql: str) -> None:
        try:
            stmts = self.engine.parse_script(sql)
        except Exception as e:
            self.report_error(e)
            return
        if not stmts or all(s.is_empty for s in stmts):
            self.conn.send(P.EMPTY_QUERY)
            return
        implicit = len(stmts) > 1
        if implicit:
            self.engine.begin_implicit()
        ok = True
        for stmt in stmts:
            if stmt.is_empty:
                continue
            self._format_ctx = None if stmt.command in ("SET", "RESET") else self._format_ctx
            self._arm_statement_timeout()
            try:
                self._execute_simple(stmt)
            except (ConnectionClosed, FatalError):
                raise
            except Exception as e:
                self.report_error(e)
                ok = False
                break
            finally:
                self._disarm_statement_timeout()
        if implicit:
            try:
                self.engine.end_implicit(ok)
            except Exception as e:
                self.report_error(e)
        if any(s.command in ("SET", "RESET", "DISCARD") for s in stmts):
            self._format_ctx = None

    def _execute_simple(self, stmt) -> None:
        result = self.engine.execute(stmt, ())
        if stmt.copy is not None:
            CopyRunner(self, stmt, result).run()
            return
        columns = result.columns
        if columns is None:
            self.conn.send(self._command_complete(result.tag(0)))
            return
        self.conn.send(self._row_description(columns, ()))
        encoders = self._encoders(columns, ())
        sent = self._send_rows(result.rows, encoders, 0)
        result.close()
        self.conn.send(self._command_complete(result.tag(sent)))

    def _send_rows(self, rows, encoders, limit: int) -> int:
        """DataRows for up to `limit` rows (0: all); returns how many were sent."""
        send = self.conn.send
        data_row = P.encode_data_row
        sent = 0
        for row in rows:
            send(data_row([None if v is None else enc(v) for enc, v in zip(encoders, row)]))
            sent += 1
            if sent == limit:
                break
        return sent

    def _encoders(self, columns, formats: tuple[int, ...]) -> list:
        ctx = self.format_context()
        key = (id(columns), formats)
        hit = self._encoder_cache.get(key)
        if hit is not None and hit[0] is columns and hit[1] is ctx:
            return hit[2]
        out = []
        for i, col in enumerate(columns):
            fmt = formats[0] if len(formats) == 1 else (formats[i] if formats else 0)
            if fmt == 1:
                out.append(T.binary_encoder(col.type_oid))
            else:
                out.append(_bytes_encoder(T.text_encoder(col.type_oid, ctx)))
        _remember(self._encoder_cache, key, (columns, ctx, out))
        return out

    def _row_description(self, columns, formats: tuple[int, ...] | None) -> bytes:
        key = (id(columns), formats)
        hit = self._row_descriptions.get(key)
        if hit is not None and hit[0] is columns:
            return hit[1]
        data = P.encode_row_description(columns, formats)
        _remember(self._row_descriptions, key, (columns, data))
        return data

    def _command_complete(self, tag: str) -> bytes:
        data = self._tags.get(tag)
        if data is None:
            data = P.encode_command_complete(tag)
            _remember(self._tags, tag, data)
        return data

    def _log_duration(self, sql: str, started: float) -> None:
        limit = self.settings["log_min_duration_statement"]
        if limit >= 0:
            ms = (time.monotonic() - started) * 1000
            if ms >= limit:
                log.info("duration: %.3f ms  statement: %s", ms, sql)

    # ------------------------------------------------------------ extended query
    def _extended_error(self, err: BaseException) -> None:
        self.report_error(err)
        self.skip_until_sync = True

    def handle_parse(self, body: bytes) -> None:
        try:
            msg = P.decode_parse(body)
            if msg.name and msg.name in self.statements:
                raise SqlError("42P05", f'prepared statement "{msg.name}" already exists')
            stmt = self.engine.prepare(msg.query, msg.param_oids)
            self.statements[msg.name] = PreparedStatement(stmt)
            self.conn.send(P.PARSE_COMPLETE)
        except (ConnectionClosed, FatalError):
            raise
        except Exception as e:
            self._extended_error(e)

    def handle_bind(self, body: bytes) -> None:
        try:
            msg = P.decode_bind(body)
            prepared = self.statements.get(msg.statement)
            if prepared is None:
                raise SqlError("26000", f'prepared statement "{msg.statement}" does not exist')
            stmt = prepared.stmt
            if len(msg.params) != len(stmt.param_oids):
                raise SqlError(PROTOCOL_VIOLATION,
                               f'bind message supplies {len(msg.params)} parameters, but prepared statement '
                               f'"{msg.statement}" requires {len(stmt.param_oids)}')
            if self.engine.transaction_status() == "E" and not _is_transaction_exit(stmt):
                raise SqlError("25P02", "current transaction is aborted, commands ignored until end of transaction block")
            params = self._decode_params(prepared, msg.param_formats, msg.params)
            if msg.portal and msg.portal in self.portals:
                raise SqlError("42P03", f'portal "{msg.portal}" already exists')
            old = self.portals.pop(msg.portal, None) if not msg.portal else None
            if old is not None and old.result is not None:
                old.result.close()
            self.portals[msg.portal] = Portal(msg.portal, stmt, params, msg.result_formats)
            self.conn.send(P.BIND_COMPLETE)
        except (ConnectionClosed, FatalError):
            raise
        except Exception as e:
            self._extended_error(e)

    def _decode_params(self, prepared: PreparedStatement, formats: tuple[int, ...], values: list) -> list:
        decoders = self._param_decoders(prepared, formats)
        if decoders is None:
            return self._decode_each_param(prepared.stmt.param_oids, formats, values)
        out = []
        i = 0
        try:
            for i, raw in enumerate(values):
                out.append(None if raw is None else decoders[i](raw))
        except UnicodeDecodeError:
            raise SqlError("22021", 'invalid byte sequence for encoding "UTF8"') from None
        except SqlError:
            raise
        except (ValueError, TypeError, OverflowError, IndexError, KeyError) as e:
            raise SqlError("22P03", f"incorrect binary data format in bind parameter {i + 1}") from e
        return out

    def _param_decoders(self, prepared: PreparedStatement, formats: tuple[int, ...]) -> list | None:
        """One bytes -> value function per parameter, cached on the prepared statement
        for its format codes and the session's format context. None if a parameter's
        type has no decoder: the per-parameter path then reports it as before."""
        ctx = self.format_context()
        cached = prepared.decoders
        if cached is not None and cached[0] is ctx and cached[1] == formats:
            return cached[2]
        try:
            decoders = [_param_decoder(oid, formats[0] if len(formats) == 1 else (formats[i] if formats else 0), ctx)
                        for i, oid in enumerate(prepared.stmt.param_oids)]
        except Exception:  # noqa: BLE001 - reported by _decode_each_param, for the parameter it concerns
            return None
        prepared.decoders = (ctx, formats, decoders)
        return decoders

    def _decode_each_param(self, oids: list[int], formats: tuple[int, ...], values: list) -> list:
        ctx = self.format_context()
        out = []
        for i, (oid, raw) in enumerate(zip(oids, values)):
            if raw is None:
                out.append(None)
                continue
            fmt = formats[0] if len(formats) == 1 else (formats[i] if formats else 0)
            try:
                if fmt == 1:
                    out.append(T.binary_decoder(oid)(raw, -1))
                else:
                    out.append(T.text_decoder(oid, ctx)(raw.decode("utf-8"), -1))
            except UnicodeDecodeError:
                raise SqlError("22021", 'invalid byte sequence for encoding "UTF8"') from None
            except SqlError:
                raise
            except (ValueError, TypeError, OverflowError, IndexError, KeyError) as e:
                raise SqlError(
                    "22P03", f"incorrect binary data format in bind parameter {i + 1}") from e
        return out

    def handle_describe(self, body: bytes) -> None:
        try:
            kind, name = P.decode_describe_or_close(body)
            if kind == "S":
                prepared = self.statements.get(name)
                if prepared is None:
                    raise SqlError("26000", f'prepared statement "{name}" does not exist')
                stmt = prepared.stmt
                self.conn.send(P.encode_parameter_description(stmt.param_oids))
                self._describe_columns(stmt.columns, None)
            else:
                portal = self.portals.get(name)
                if portal is None:
                    raise SqlError("34000", f'portal "{name}" does not exist')
                self._describe_columns(portal.statement.columns, portal.result_formats)
        except (ConnectionClosed, FatalError):
            raise
        except Exception as e:
            self._extended_error(e)

    def _describe_columns(self, columns, formats) -> None:
        if columns is None:
            self.conn.send(P.NO_DATA)
        else:
            self.conn.send(self._row_description(columns, formats))

    def handle_execute(self, body: bytes) -> None:
        try:
            name, max_rows = P.decode_execute(body)
            portal = self.portals.get(name)
            if portal is None:
                raise SqlError("34000", f'portal "{name}" does not exist')
            self._execute_portal(portal, max_rows)
        except (ConnectionClosed, FatalError):
            raise
        except Exception as e:
            self._disarm_statement_timeout()
            self._extended_error(e)

    def _execute_portal(self, portal: Portal, max_rows: int) -> None:
        stmt = portal.statement
        if stmt.is_empty:
            self.conn.send(P.EMPTY_QUERY)
            return
        if portal.done:
            self.conn.send(self._command_complete(portal.result.tag(portal.rows_sent)))
            return
        # One statement_timeout for the whole Execute: running the statement and sending
        # its rows.
        self._arm_statement_timeout()
        try:
            if portal.result is None:
                if not self.in_batch and not self._runs_alone(stmt):
                    self.in_batch = True
                    self.engine.begin_implicit()
                self._set_state("active", stmt.sql, True)
                portal.result = self.engine.execute(stmt, portal.params)
                if stmt.copy is not None:
                    CopyRunner(self, stmt, portal.result).run()
                    portal.done = True
                    return
            self._send_portal_rows(portal, max_rows)
        finally:
            self._disarm_statement_timeout()

    def _runs_alone(self, stmt) -> bool:
        """The batch is this one read-only statement (Sync is next, already received):
        no implicit transaction around it, as for a one-statement simple query. A
        read has nothing to commit, so where it commits is not visible."""
        return self.conn.buffer.next_type() == b"S" and self.engine.read_only_select(stmt)

    def _send_portal_rows(self, portal: Portal, max_rows: int) -> None:
        result = portal.result
        if result.columns is None:
            portal.done = True
            self.conn.send(self._command_complete(result.tag(0)))
            return
        if portal.encoders is None:
            portal.encoders = self._encoders(result.columns, portal.result_formats)
            portal.rows = iter(result.rows)
        sent = self._send_rows(portal.rows, portal.encoders, max_rows if max_rows > 0 else 0)
        portal.rows_sent += sent
        if max_rows > 0 and sent == max_rows and self._push_back_next(portal):
            self.conn.send(P.PORTAL_SUSPENDED)
            return
        portal.done = True
        result.close()
        self.conn.send(self._command_complete(result.tag(portal.rows_sent)))

    @staticmethod
    def _push_back_next(portal: Portal) -> bool:
        """After a row-limited Execute: is there another row? (PortalSuspended vs done)"""
        nxt = next(portal.rows, _END)
        if nxt is _END:
            return False
        portal.rows = itertools.chain((nxt,), portal.rows)
        return True

    def handle_close(self, body: bytes) -> None:
        try:
            kind, name = P.decode_describe_or_close(body)
            if kind == "S":
                self.statements.pop(name, None)
            else:
                portal = self.portals.pop(name, None)
                if portal is not None and portal.result is not None:
                    portal.result.close()
            self.conn.send(P.CLOSE_COMPLETE)
        except (ConnectionClosed, FatalError):
            raise
        except Exception as e:
            self._extended_error(e)

    def handle_sync(self, body: bytes) -> None:
        failed = self.skip_until_sync
        self.skip_until_sync = False
        if self.in_batch:
            self.in_batch = False
            try:
                self.engine.end_implicit(not failed)
            except (ConnectionClosed, FatalError):
                raise
            except Exception as e:
                self.report_error(e)
        if self.engine.transaction_status() == "I":
            self._drop_portals()
        self.ready_for_query()

    def _drop_portals(self) -> None:
        for portal in self.portals.values():
            if portal.result is not None:
                portal.result.close()
        self.portals.clear()

    def handle_flush(self, body: bytes) -> None:
        self.conn.flush()

    def handle_function_call(self, body: bytes) -> None:
        self.report_error(SqlError("0A000", "fastpath function calls are not supported"))
        self.ready_for_query()


_CACHE_LIMIT = 512


def _remember(cache: dict, key, value) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()  # a session that keeps preparing new statements; start over
    cache[key] = value


# The text output functions of the commonest types, with bytes written directly (one
# call per value instead of text encoder + str.encode). They must print exactly what
# the type's text encoder prints: pgsvc.sql.types' str(int(v)) and the str itself.
_INT_TEXT = T.text_encoder(O.INT4)
_STR_TEXT = T.text_encoder(O.TEXT)


def _int_bytes(value) -> bytes:
    return b"%d" % value if type(value) is int else str(int(value)).encode("utf-8")


def _str_bytes(value) -> bytes:
    return (value if isinstance(value, str) else str(value)).encode("utf-8")


def _bytes_encoder(text_encoder):
    if text_encoder is _INT_TEXT:
        return _int_bytes
    if text_encoder is _STR_TEXT:
        return _str_bytes

    def encode(value):
        return text_encoder(value).encode("utf-8")
    return encode


# Integer parameters in text format: a plain run of ASCII digits shorter than the
# type's widest value cannot be out of range, so int() gives what the type's input
# function would; anything else (signs, spaces, long values) goes through that function.
_INT_DIGITS = {O.INT2: 5, O.INT4: 10, O.INT8: 19}


def _param_decoder(oid: int, fmt: int, ctx):
    if fmt == 1:
        binary = T.binary_decoder(oid)
        return lambda raw: binary(raw, -1)
    text = T.text_decoder(oid, ctx)
    limit = _INT_DIGITS.get(oid)
    if limit is None:
        return lambda raw: text(raw.decode("utf-8"), -1)

    def decode_int(raw: bytes):
        if len(raw) < limit and raw.isdigit():
            return int(raw)
        return text(raw.decode("utf-8"), -1)
    return decode_int


def _is_transaction_exit(stmt) -> bool:
    return stmt.command in ("COMMIT", "ROLLBACK", "ROLLBACK TO SAVEPOINT", "END", "ABORT", "PREPARE TRANSACTION")


_HANDLERS = {
    b"Q": Session.handle_query,
    b"P": Session.handle_parse,
    b"B": Session.handle_bind,
    b"D": Session.handle_describe,
    b"E": Session.handle_execute,
    b"C": Session.handle_close,
    b"S": Session.handle_sync,
    b"H": Session.handle_flush,
    b"F": Session.handle_function_call,
}
