"""A backend's Extended Query flow: Parse, Bind (parameter decoding), Describe, Execute
(row-limited, with PortalSuspended), Close, Sync and Flush; named and unnamed statements
and portals; after an error, messages are skipped until Sync. Mixed into
pgsvc.backend.session.Session.
"""

from __future__ import annotations

import datetime as _dt
import itertools
from dataclasses import dataclass, field

from pgsvc.backend import protocol as P
from pgsvc.backend.conn import ConnectionClosed
from pgsvc.backend.copy_flow import CopyRunner
from pgsvc.backend.transcode import binary_input
from pgsvc.client_encodings import invalid_utf8
from pgsvc.errors import PROTOCOL_VIOLATION, FatalError, SqlError
from pgsvc.sql import types as T
from pgsvc.sql.types import oids as O


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
    # once per statement, not per execution (see ExtendedQuery._param_decoders).
    decoders: tuple | None = None
    created: _dt.datetime = field(default_factory=lambda: _dt.datetime.now(_dt.UTC))  # pg_prepared_statements
    plans: list = field(default_factory=lambda: [0, 0])  # generic, custom (engine.count_plan)


class ExtendedQuery:
    """Session's Extended Query messages (statements and portals live in Session.__init__)."""

    def _extended_error(self, err: BaseException) -> None:
        self.report_error(err)
        self.skip_until_sync = True

    def handle_parse(self, body: bytes) -> None:
        try:
            msg = P.decode_parse(body)
            if msg.name and (msg.name in self.statements or self.engine.sql_statement(msg.name) is not None):
                raise SqlError("42P05", f'prepared statement "{msg.name}" already exists')
            self._arm_statement_timeout()  # parse analysis counts, as in PostgreSQL
            try:
                stmt = self.engine.prepare(msg.query, msg.param_oids)
            finally:
                self._disarm_statement_timeout()
            self.statements[msg.name] = PreparedStatement(stmt)
            self.conn.send(P.PARSE_COMPLETE)
        except (ConnectionClosed, FatalError):
            raise
        except Exception as e:
            self._extended_error(e)

    def handle_bind(self, body: bytes) -> None:
        try:
            msg = P.decode_bind(body)
            prepared = self._statement(msg.statement)
            stmt = prepared.stmt
            if len(msg.params) != len(stmt.param_oids):
                raise SqlError(PROTOCOL_VIOLATION,
                               f'bind message supplies {len(msg.params)} parameters, but prepared statement '
                               f'"{msg.statement}" requires {len(stmt.param_oids)}')
            if self.engine.transaction_status() == "E" and not _is_transaction_exit(stmt):
                raise SqlError("25P02", "current transaction is aborted, commands ignored until end of transaction block")
            params = self._decode_params(prepared, msg.param_formats, msg.params)
            if msg.statement:
                self.engine.count_plan(prepared.plans, stmt)
            if msg.portal and (msg.portal in self.portals or self.engine.cursor_columns(msg.portal) is not None):
                raise SqlError("42P03", f'cursor "{msg.portal}" already exists')
            old = self.portals.pop(msg.portal, None) if not msg.portal else None
            if old is not None and old.result is not None:
                old.result.close()
            self.portals[msg.portal] = Portal(msg.portal, stmt, params, msg.result_formats)
            self.conn.send(P.BIND_COMPLETE)
        except (ConnectionClosed, FatalError):
            raise
        except Exception as e:
            self._extended_error(e)

    def _statement(self, name: str) -> PreparedStatement:
        """A named statement by Parse, or by SQL PREPARE (one namespace, as in PostgreSQL)."""
        prepared = self.statements.get(name)
        if prepared is None:
            stmt = self.engine.sql_statement(name) if name else None
            if stmt is None:
                raise SqlError("26000", f'prepared statement "{name}" does not exist' if name else
                               "unnamed prepared statement does not exist")
            prepared = PreparedStatement(stmt)
        return prepared

    def _decode_params(self, prepared: PreparedStatement, formats: tuple[int, ...], values: list) -> list:
        decoders = self._param_decoders(prepared, formats)
        if decoders is None:
            return self._decode_each_param(prepared.stmt.param_oids, formats, values)
        out = []
        i = 0
        try:
            for i, raw in enumerate(values):
                out.append(None if raw is None else decoders[i](raw))
        except UnicodeDecodeError as e:
            raise invalid_utf8(e.object, e) from None
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
        codec = self.client_codec()
        cached = prepared.decoders
        if cached is not None and cached[0] is ctx and cached[1] == formats and cached[3] is codec:
            return cached[2]
        try:
            decoders = [_param_decoder(oid, formats[0] if len(formats) == 1 else (formats[i] if formats else 0), ctx,
                                       codec)
                        for i, oid in enumerate(prepared.stmt.param_oids)]
        except Exception:  # noqa: BLE001 - reported by _decode_each_param, for the parameter it concerns
            return None
        prepared.decoders = (ctx, formats, decoders, codec)
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
                out.append(_param_decoder(oid, fmt, ctx, self.codec)(raw))
            except UnicodeDecodeError as e:
                raise invalid_utf8(e.object, e) from None
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
                stmt = self._statement(name).stmt
                self.conn.send(P.encode_parameter_description(stmt.param_oids))
                self._describe_columns(stmt.columns, None)
            else:
                portal = self.portals.get(name)
                if portal is not None:
                    self._describe_columns(portal.statement.columns, portal.result_formats)
                elif (cursor := self.engine.cursor_columns(name)) is not None:  # a DECLAREd cursor
                    self._describe_columns(cursor[0], (cursor[1],))
                else:
                    raise SqlError("34000", f'portal "{name}" does not exist')
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
            self.engine.begin_statement()
            portal = self.portals.get(name)
            if portal is not None:
                self._execute_portal(portal, max_rows)
            elif self.engine.cursor_columns(name) is not None:
                self._execute_cursor(name, max_rows)
            else:
                raise SqlError("34000", f'portal "{name}" does not exist')
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
        if portal.done:  # run to its end already: no rows this time (the tag counts this call's)
            self.conn.send(self._command_complete(_call_tag(portal.result, 0, True)))
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

    def _execute_cursor(self, name: str, max_rows: int) -> None:
        """Execute on a DECLAREd cursor: its rows in text, PortalSuspended when
        the row limit was reached (PostgreSQL does not look ahead), 'SELECT n' otherwise."""
        if self.engine.transaction_status() == "E":
            raise SqlError("25P02", "current transaction is aborted, commands ignored until end of transaction block")
        columns, fmt = self.engine.cursor_columns(name)
        self._arm_statement_timeout()
        try:
            rows, completed = self.engine.cursor_execute(name, max_rows)
            sent = self._send_rows(iter(rows), self._encoders(columns, (fmt,)), 0)
        finally:
            self._disarm_statement_timeout()
        self.conn.send(self._command_complete(f"SELECT {sent}") if completed else P.PORTAL_SUSPENDED)

    def _runs_alone(self, stmt) -> bool:
        """The batch is this one read-only statement (Sync is next, already received):
        no implicit transaction around it, as for a one-statement simple query. A
        read has nothing to commit, so where it commits is not visible."""
        return self.conn.buffer.next_type() == b"S" and self.engine.read_only_select(stmt)

    def _send_portal_rows(self, portal: Portal, max_rows: int) -> None:
        result = portal.result
        if result.columns is None:
            portal.done = True
            self.check_terminate()
            self.conn.send(self._command_complete(result.tag(0)))
            return
        if portal.encoders is None:
            portal.encoders = self._encoders(result.columns, portal.result_formats)
        if portal.rows is None:
            portal.rows = iter(result.rows)
        sent = self._send_rows(portal.rows, portal.encoders, max_rows if max_rows > 0 else 0)
        portal.rows_sent += sent
        if max_rows > 0 and sent == max_rows:
            # PostgreSQL's PortalRun does not look ahead: the limit reached is PortalSuspended,
            # even when no row is left (the next Execute then completes with 0 rows)
            self.conn.send(P.PORTAL_SUSPENDED)
            return
        portal.done = True
        result.close()
        self.check_terminate()
        self.conn.send(self._command_complete(_call_tag(result, sent, portal.rows_sent > sent)))

    def handle_close(self, body: bytes) -> None:
        try:
            kind, name = P.decode_describe_or_close(body)
            if kind == "S":
                self.statements.pop(name, None)
            else:
                portal = self.portals.pop(name, None)
                if portal is not None and portal.result is not None:
                    portal.result.close()
                elif portal is None:
                    self.engine.cursor_close(name)  # a DECLAREd cursor's name is a portal's
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


def _call_tag(result, sent: int, resumed: bool) -> str:
    """The CommandComplete tag of one Execute: a portal that returns rows and was run in
    several Executes counts this Execute's rows, as PostgreSQL's PortalRun does (INSERT ...
    RETURNING too: 'INSERT 0 1' for its last row)."""
    tag = result.tag(sent)
    if resumed and result.columns is not None:
        return tag.rsplit(" ", 1)[0] + f" {sent}"
    return tag


class PortalsForSql:
    """The backend's portals as SQL's FETCH, MOVE and CLOSE reach them (one namespace with
    DECLAREd cursors, as in PostgreSQL: asyncpg's Cursor.forward() sends MOVE FORWARD n
    <portal>). A portal made by Bind reads forward only here; a backward move is
    PostgreSQL's NO SCROLL error."""

    def __init__(self, session) -> None:
        self.session = session

    def __contains__(self, name) -> bool:
        return name in self.session.portals

    def columns(self, name: str):
        portal = self.session.portals.get(name)
        return None if portal is None else portal.statement.columns

    def fetch(self, name: str, forward: bool, count: int, skip: int = 0) -> list:
        """Skip `skip` rows, then up to count rows forward (count < 0: all)."""
        portal = self.session.portals[name]
        if not forward:
            raise SqlError("55000", "cursor can only scan forward",
                           hint="Declare it with SCROLL option to enable backward scan.")
        if portal.result is None:
            if portal.statement.columns is None:
                raise SqlError("55000", f'portal "{name}" cannot be run')
            portal.result = self.session.engine.execute(portal.statement, portal.params)
        if portal.rows is None:
            portal.rows = iter(portal.result.rows)
        for _ in itertools.islice(portal.rows, skip):
            portal.rows_sent += 1
        rows = list(portal.rows if count < 0 else itertools.islice(portal.rows, count))
        portal.rows_sent += len(rows)
        return rows

    def close(self, name: str) -> bool:
        portal = self.session.portals.pop(name, None)
        if portal is None:
            return False
        if portal.result is not None:
            portal.result.close()
        return True


# Integer parameters in text format: a plain run of ASCII digits shorter than the
# type's widest value cannot be out of range, so int() gives what the type's input
# function would; anything else (signs, spaces, long values) goes through that function.
_INT_DIGITS = {O.INT2: 5, O.INT4: 10, O.INT8: 19}


def _param_decoder(oid: int, fmt: int, ctx, codec=None):
    """bytes -> value for one parameter; a text form (or a text-like binary form) comes in
    the client's encoding (codec; None: UTF-8)."""
    if fmt == 1:
        binary = binary_input(codec, oid)
        return lambda raw: binary(raw, -1)
    text = T.text_decoder(oid, ctx)
    limit = _INT_DIGITS.get(oid)
    if codec is not None:
        return lambda raw: text(codec.decode(raw), -1)

    def decode_text(raw: bytes):
        if b"\x00" in raw:  # pg_verify_mbstr: no text holds a NUL
            raise SqlError("22021", 'invalid byte sequence for encoding "UTF8": 0x00')
        return text(raw.decode("utf-8"), -1)
    if limit is None:
        return decode_text

    def decode_int(raw: bytes):
        if len(raw) < limit and raw.isdigit():
            return int(raw)
        return decode_text(raw)
    return decode_int


def _is_transaction_exit(stmt) -> bool:
    return stmt.command in ("COMMIT", "ROLLBACK", "ROLLBACK TO SAVEPOINT", "END", "ABORT", "PREPARE TRANSACTION")
