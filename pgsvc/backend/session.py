"""A backend's session loop: the protocol's query flows after start-up.

Simple Query (several statements in one implicit transaction), COPY in and out, cancel
and terminate, statement_timeout, idle timeouts, SIGHUP reload; the Extended Query
messages are pgsvc.backend.extended's and the result messages pgsvc.backend.results',
mixed in here. Meaning is the SQL engine's (pgsvc.sql.exec.engine via the pgsvc.sql.api
contract); this module moves bytes.
"""

from __future__ import annotations

import os
import signal
import time

import setproctitle

from pgsvc.backend import protocol as P
from pgsvc.backend.conn import ClientConnection, ConnectionClosed
from pgsvc.backend.copy_flow import CopyRunner
from pgsvc.backend.extended import ExtendedQuery, Portal, PortalsForSql, PreparedStatement
from pgsvc.backend.notifications import Notifications
from pgsvc.backend.results import ResultSending
from pgsvc.backend.signals import BackendSignals
from pgsvc.backend.startup_options import apply_startup_options
from pgsvc.backend.transcode import transcode_message
from pgsvc.client_encodings import client_codec
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
from pgsvc.sql.exec.engine import Engine
from pgsvc.supervisor import startup
from pgsvc.supervisor.logs import log
from pgsvc.supervisor.registry import KIND_BACKEND

EXIT_OK, EXIT_ERROR = 0, 1
_STATE_NAMES = {"I": "idle", "T": "idle in transaction", "E": "idle in transaction (aborted)"}


# client_min_messages' order (LOG ranks below NOTICE for the client, as in PostgreSQL)
_CLIENT_LEVELS = {"debug5": 0, "debug4": 1, "debug3": 2, "debug2": 3, "debug1": 4, "debug": 4, "log": 5,
                  "notice": 6, "warning": 7, "error": 8}


class Session(ExtendedQuery, ResultSending):
    # ------------------------------------------------------------ start
    @classmethod
    def start(cls, ctx, conn: ClientConnection, role, db, params: dict[str, str], host: str,
              stored: list = ()) -> Session:
        """`stored`: the login's ALTER ROLE/DATABASE ... SET items (GlobalCatalog.login_settings);
        the client's start-up options win over them, as in PostgreSQL."""
        state = ctx.state
        settings = state.settings.copy_base()
        deferred = apply_startup_options(settings, params)
        warnings, more = Engine.apply_login_settings(settings, stored, set(settings.defaults) | {d[0] for d in deferred})
        settings.set_internal("is_superuser", role.superuser)
        settings.set_internal("session_authorization", role.name)
        self = cls(ctx, conn, settings, role, db, host)
        conn.send(P.AUTH_OK)
        for warning in warnings:  # before the parameters, as PostgreSQL's InitPostgres
            self.send_notice(warning)
        codec = self.client_codec()
        for name, value in settings.reported_values().items():
            conn.send(P.encode_parameter_status(name, value, codec))
        settings.changed_reported()  # all just reported
        conn.send(P.encode_backend_key(os.getpid(), ctx.cancel_key))
        self.open_engine()
        self.engine.apply_login_deferred(deferred + more)
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
        self._format_key: tuple = ()
        self._format_ver = -1  # settings.version the format context was checked against
        self._codec_ver = -1
        self._codec_name = "UTF8"
        self.codec = None  # client_encoding's conversion (pgsvc.client_encodings); None: UTF8
        self._title_state = None
        self._titles: dict[str, str] = {}  # process title by state, built once (set twice per statement)
        self._timer_armed = False
        # Per-statement bytes and converters, built once and reused on every execution
        # (keyed on the column list's identity, which a cached statement keeps).
        self._row_descriptions: dict[tuple, tuple] = {}
        self._encoder_cache: dict[tuple, tuple] = {}
        self._tags: dict[str, bytes] = {}
        self.notifications = Notifications(ctx.state.notify_queue, db.oid, os.getpid(), self.send_notice,
                                           self._wake_for_notifications)
        self.registry.set_identity(role.name, db.name, settings.show("application_name"))

    def open_engine(self) -> None:
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
            notifications=self.notifications,
            lock_table=self.ctx.state.lock_table,
            commit_state=getattr(self.ctx.state, "commit_state", None),
            database_oid=self.db.oid,
        )
        try:
            self.engine = Engine(info)
        except SqlError as e:
            raise FatalError(e.sqlstate, e.message, detail=e.detail, hint=e.hint) from None
        # one namespace for portals and cursors; pg_prepared_statements lists the statements
        self.engine.protocol_portals = PortalsForSql(self)
        self.engine.protocol_statements = self.statements

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
        msg = self.conn.receive_message(timeout=self._idle_timeout(), on_wakeup=self._on_idle_wakeup)
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
        if (self.codec is not None or self._codec_ver != self.settings.version) and self.client_codec() is not None:
            try:
                body = transcode_message(self.codec, mtype, body)
            except SqlError as e:  # text the client's encoding cannot hold: as the handler would
                self.report_error(e)
                if mtype == b"Q":
                    self.ready_for_query()
                else:
                    self.skip_until_sync = True
                return True
        handler(self, body)
        return True

    def client_codec(self):
        """The conversion client_encoding asks for (None for UTF8), followed at once when a
        statement changes it; the cached per-statement bytes are rebuilt then."""
        if self._codec_ver == self.settings.version:
            return self.codec
        self._codec_ver = self.settings.version
        name = self.settings.get("client_encoding")
        if name != self._codec_name:
            self._codec_name, self.codec = name, client_codec(name)
            self._row_descriptions.clear()
            self._encoder_cache.clear()
        return self.codec

    def ready_for_query(self) -> None:
        status = self.engine.transaction_status()
        codec = self.client_codec()
        for name, value in self.settings.changed_reported().items():
            self.conn.send(P.encode_parameter_status(name, value, codec))
            if name == "application_name":
                self.registry.set_application_name(value)
        # State first: whoever watches (pg_stat_activity, status) must never see a
        # backend that has already answered as still "active".
        self._set_state(_STATE_NAMES[status], None, status != "I")
        if self.signals.notify and status == "I":
            self._send_notifications()  # before ReadyForQuery, as PostgreSQL's PostgresMain
        self.conn.send(P.READY[status])
        self.conn.flush()
        if self.signals.terminate:
            raise FatalError(ADMIN_SHUTDOWN, "terminating connection due to administrator command")

    def _close(self) -> None:
        try:
            self.notifications.close()  # UNLISTEN * (the supervisor clears the row after a crash)
        except Exception:  # the process is ending; the supervisor's reap clears it as well
            pass
        if self.engine is not None:
            try:
                self.engine.close()
            except Exception:  # the process is ending; SQLite rolls back what is open
                pass
        self.registry.flush_counts()  # transactions counted since the last report (registry)
        self.conn.close()

    def _send_fatal(self, err: SqlError) -> None:
        try:
            self.conn.send_now(P.encode_error(err, self.codec))
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

    def _on_idle_wakeup(self) -> None:
        """A signal while waiting for the client's next message. A NOTIFY committed by
        another backend reaches an idle listener at once (PostgreSQL's
        ProcessClientReadInterrupt); inside a transaction or an unfinished extended-protocol
        batch it waits for the ReadyForQuery that ends them."""
        self._on_wakeup()
        if self.signals.notify and not self.in_batch and self.engine.transaction_status() == "I":
            self._send_notifications()
            self.conn.flush()

    def _wake_for_notifications(self) -> None:
        """Our own commit appended notifications and we listen: deliver them before the
        next ReadyForQuery (async.c sets the flag instead of signalling itself)."""
        self.signals.notify = True

    def _send_notifications(self) -> None:
        self.signals.notify = False  # first: a signal arriving while we read sets it again
        encode, codec = P.encode_notification, self.client_codec()
        for pid, channel, payload in self.notifications.take():
            self.conn.send(encode(pid, channel, payload, codec))

    def _reload(self) -> None:
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
            title = self._titles.get(state)
            if title is None:
                title = self._titles[state] = f"pgsvc: {self.role.name} {self.db.name} {self.host} {state}"
            setproctitle.setproctitle(title)

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
        self.conn.send(P.encode_notice(notice, self.codec))

    # ------------------------------------------------------------ errors
    def report_error(self, err: BaseException) -> None:
        """Send an ErrorResponse for a failed statement; the session goes on."""
        if isinstance(err, FatalError):
            raise err
        if not isinstance(err, SqlError):
            log.exception("internal error while executing a statement")
            err = SqlError("XX000", f"internal error: {type(err).__name__}: {err}")
        if err.sqlstate in (QUERY_CANCELED, ADMIN_SHUTDOWN) and self.signals.terminate:
            # pg_terminate_backend during a statement: the FATAL alone, and the connection
            # ends (no ReadyForQuery after it, as PostgreSQL's ProcessInterrupts)
            raise FatalError(ADMIN_SHUTDOWN, "terminating connection due to administrator command")
        try:
            self.engine.abort_on_error(err)
        except Exception:
            log.exception("could not abort the transaction after an error")
        self.conn.send(P.encode_error(err, self.codec))
        # PostgreSQL flushes every error at once (elog.c), even in the middle of an
        # extended-protocol batch: a client that sent Parse+Describe+Flush waits for it.
        self.conn.flush()

    def format_context(self):
        """The FormatContext of the settings in force, rebuilt when one of them changed by
        any path (SET, set_config(), a ROLLBACK or COMMIT undoing SET LOCAL): text I/O of
        results and parameters follows TimeZone, DateStyle & co. at once."""
        if self._format_ver == self.settings.version and self._format_ctx is not None:
            return self._format_ctx
        self._format_ver = self.settings.version
        get = self.settings.get
        key = (get("DateStyle"), get("IntervalStyle"), get("TimeZone"), get("extra_float_digits"),
               get("bytea_output"))
        if self._format_ctx is None or key != self._format_key:
            self._format_ctx = T.FormatContext.from_settings(self.settings)
            self._format_key = key
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
        self.statements.pop("", None)  # a simple query drops the unnamed statement (postgres.c)
        started = time.monotonic()
        try:
            self._run_simple(sql)
        finally:
            self._disarm_statement_timeout()
            self._log_duration(sql, started)
        self.ready_for_query()

    def _run_simple(self, sql: str) -> None:
        # Parsing and translating are the first statement's time, as in PostgreSQL (its
        # statement_timeout starts with the query message): a translation that runs long
        # (a set-returning function materialised) is stopped like an execution.
        self._arm_statement_timeout()
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
        first = True
        for stmt in stmts:
            if stmt.is_empty:
                continue
            self._format_ctx = None if stmt.command in ("SET", "RESET") else self._format_ctx
            if not first:
                self._arm_statement_timeout()
            first = False
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
            if implicit and stmt.command in ("COMMIT", "ROLLBACK"):
                # PostgreSQL's exec_simple_query: the statements after a block's end run in
                # a new implicit transaction (a LISTEN after COMMIT waits for the query's end)
                self.engine.begin_implicit()
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
            self.check_terminate()
            self.conn.send(self._command_complete(result.tag(0)))
            return
        formats = getattr(result, "formats", ())  # FETCH from a BINARY cursor: (1,)
        self.conn.send(self._row_description(columns, formats))
        encoders = self._encoders(columns, formats)
        sent = self._send_rows(result.rows, encoders, 0)
        result.close()
        self.check_terminate()
        self.conn.send(self._command_complete(result.tag(sent)))

    def check_terminate(self) -> None:
        """pg_terminate_backend() of this backend, by the statement that just ran: the
        FATAL ends the connection before the statement completes (nothing after it runs,
        its transaction is rolled back), as PostgreSQL's next CHECK_FOR_INTERRUPTS does."""
        if self.signals.terminate:
            raise FatalError(ADMIN_SHUTDOWN, "terminating connection due to administrator command")

    def _log_duration(self, sql: str, started: float) -> None:
        limit = self.settings["log_min_duration_statement"]
        if limit >= 0:
            ms = (time.monotonic() - started) * 1000
            if ms >= limit:
                log.info("duration: %.3f ms  statement: %s", ms, sql)

    def handle_function_call(self, body: bytes) -> None:
        self.report_error(SqlError("0A000", "fastpath function calls are not supported"))
        self.ready_for_query()


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
