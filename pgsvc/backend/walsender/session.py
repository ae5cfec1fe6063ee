"""A replication connection's session: PostgreSQL's walsender (walsender.c,
exec_replication_command) in pgsvc's session loop.

- replication=database (logical): a backend of its database as any other — plain SQL runs
  through the ordinary simple-query path (a subscriber's table copy runs BEGIN, a slot
  command, COPY ... TO STDOUT, COMMIT on it) — and a Query whose first word is a walsender
  command goes to the dispatcher instead.
- replication=true (physical): connected to no database; only walsender commands, SQL is
  0A000 "cannot execute SQL commands in WAL sender for physical replication".
- Both: the extended query protocol and fastpath calls are refused (08P01), as
  postgres.c's forbidden_in_wal_sender.

What a command handler (pgsvc.backend.walsender.dispatch) uses of the session: `conn`
(ClientConnection: send/flush/read_message), `engine` (the database's Engine; a stand-in
without a database for a physical connection), `role`, `db`, `layout`, `physical`,
`settings`, `signals`, and the helpers below: send_result, command_complete, copy_both,
copy_out, wait_message, current_lsn, extension.
"""

from __future__ import annotations

import os
import struct
import time
from dataclasses import dataclass

from pgsvc.backend import protocol as P
from pgsvc.backend.conn import ConnectionClosed
from pgsvc.backend.session import Session
from pgsvc.backend.transcode import transcode_message
from pgsvc.backend.walsender import dispatch, grammar, plugins  # noqa: F401  plugins: registers the handlers
from pgsvc.errors import PROTOCOL_VIOLATION, FatalError, SqlError
from pgsvc.settings import DEFINITIONS
from pgsvc.sql.api import Column
from pgsvc.sql.types import oids as O

PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds
_FORBIDDEN = {b"P", b"B", b"E", b"D", b"C", b"F"}
# settings only a superuser (or pg_read_all_settings) may read (GUC_SUPERUSER_ONLY)
_PRIVATE = ("data_directory", "hba_file", "config_file", "ident_file")


@dataclass(frozen=True)
class NoDatabase:
    """What a physical replication connection is connected to: no database."""
    oid: int = 0
    name: str = ""
    conn_limit: int = -1


class _NoEngine:
    """The engine stand-in of a physical connection: no transactions, no SQL."""

    def transaction_status(self) -> str:
        return "I"

    def apply_login_deferred(self, deferred) -> None:
        pass

    def abort_on_error(self, error) -> None:
        pass

    def close(self) -> None:
        pass


class WalSenderSession(Session):
    physical = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.layout = self.ctx.state.layout
        self.extensions: dict[str, object] = {}
        self._last_lsn = 0

    def open_engine(self) -> None:
        if self.physical:
            self.engine = _NoEngine()
        else:
            super().open_engine()

    # ------------------------------------------------------------ messages
    def dispatch(self, mtype: bytes, body: bytes) -> bool:
        if mtype == b"X":
            return False
        if self.skip_until_sync and mtype != b"S":
            return True
        if mtype in _FORBIDDEN:
            what = "fastpath function calls" if mtype == b"F" else "extended query protocol"
            self.report_error(SqlError(PROTOCOL_VIOLATION, f"{what} not supported in a replication connection"))
            if mtype == b"F":
                self.ready_for_query()
            else:
                self.skip_until_sync = True
            return True
        if mtype == b"Q":
            self.handle_replication_query(body)
            return True
        return super().dispatch(mtype, body)

    def handle_replication_query(self, body: bytes) -> None:
        try:
            if self.client_codec() is not None:
                body = transcode_message(self.codec, b"Q", body)
            text = P.decode_query(body)
            is_command = grammar.is_replication_command(text)
        except SqlError as e:
            self.report_error(e)
            self.ready_for_query()
            return
        if not is_command:
            if self.physical:
                self.report_error(SqlError("0A000", "cannot execute SQL commands in WAL sender for physical replication"))
                self.ready_for_query()
            else:
                self.handle_query(body)
            return
        self._set_state("active", text, self.transaction_status() != "I")
        try:
            dispatch.run(self, grammar.parse(text))
        except (ConnectionClosed, FatalError):
            raise
        except Exception as e:
            self.report_error(e)
        self.ready_for_query()

    # ------------------------------------------------------------ for the handlers
    def transaction_status(self) -> str:
        return self.engine.transaction_status()

    def before_command(self) -> None:
        for ext in list(self.extensions.values()):
            hook = getattr(ext, "before_command", None)
            if hook is not None:
                hook()

    def extension(self, key: str, factory):
        """The per-session object of a plug-in (made by factory(session) on first use); its
        before_command() runs before every walsender command, its close() at the end."""
        ext = self.extensions.get(key)
        if ext is None:
            ext = self.extensions[key] = factory(self)
        return ext

    def send_result(self, columns: list[tuple], rows: list[tuple]) -> None:
        """RowDescription and DataRows of text values (None is NULL); no CommandComplete.
        A column is (name, type oid) or (name, type oid, typlen, typmod) where a command's
        RowDescription differs from the type's (BASE_BACKUP's, as PostgreSQL sends them)."""
        cols = [Column(c[0], c[1], typlen=_TYPLEN.get(c[1], -1)) if len(c) == 2
                else Column(c[0], c[1], typmod=c[3], typlen=c[2]) for c in columns]
        self.conn.send(P.encode_row_description(cols, None, self.client_codec()))
        for row in rows:
            self.conn.send(P.encode_data_row([None if v is None else str(v).encode("utf-8") for v in row]))

    def command_complete(self, tag: str) -> None:
        self.conn.send(P.encode_command_complete(tag))

    def copy_both(self) -> None:
        """CopyBothResponse (START_REPLICATION): CopyData flows both ways from here."""
        self.conn.send_now(P.message(b"W", struct.pack("!bh", 0, 0)))

    def copy_out(self) -> None:
        """CopyOutResponse with no columns (BASE_BACKUP's stream)."""
        self.conn.send(P.message(b"H", struct.pack("!bh", 0, 0)))

    def wait_message(self, timeout: float | None):
        """The client's next message, or None after `timeout` seconds; a terminate request
        (pg_terminate_backend, fast shutdown) raises the FATAL that ends the connection."""
        return self.conn.read_message(timeout, on_wakeup=self._on_wakeup)

    def check_interrupts(self) -> None:
        if self.signals.terminate:
            raise FatalError("57P01", "terminating connection due to administrator command")

    def current_lsn(self) -> int:
        """The position IDENTIFY_SYSTEM and BASE_BACKUP report: the database's change-log
        position where a plug-in provides one (dispatch.register_lsn_source), else a
        placeholder that only grows (microseconds since 2000-01-01)."""
        source = dispatch.lsn_source()
        if source is not None and not self.physical:
            lsn = source(self)
        else:
            lsn = max(time.time_ns() // 1000 - PG_EPOCH_US, self._last_lsn + 1)
        self._last_lsn = max(self._last_lsn, lsn)
        return lsn

    def show_setting(self, name: str) -> None:
        """SHOW name: RowDescription + DataRow, as GetPGVariable (no CommandComplete)."""
        try:
            if self.physical:
                self._show_without_database(name)
            else:
                self._show_with_engine(name)
        except SqlError as e:
            preset = self._preset(name)
            if e.sqlstate != "42704" or preset is None:
                raise
            self.send_result([(name.lower(), O.TEXT)], [(preset,)])

    def _show_with_engine(self, name: str) -> None:
        quoted = ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))
        stmt = self.engine.parse_script(f"SHOW {quoted}")[0]
        result = self.engine.execute(stmt, ())
        self.conn.send(self._row_description(result.columns, ()))
        self._send_rows(result.rows, self._encoders(result.columns, ()), 0)
        result.close()

    def _show_without_database(self, name: str) -> None:
        if name == "all":
            rows = [(d.name, self.settings.show(d.name), d.description or "")
                    for d in sorted(DEFINITIONS.values(), key=lambda d: d.name.lower())]
            self.send_result([("name", O.TEXT), ("setting", O.TEXT), ("description", O.TEXT)], rows)
            return
        d = DEFINITIONS.get(name.lower())
        if d is not None and d.name.lower() in _PRIVATE and not self.role.superuser:
            raise SqlError("42501", f'must be superuser or have privileges of pg_read_all_settings to examine "{d.name}"')
        value = self.settings.show(name)
        self.send_result([(d.name if d is not None else name, O.TEXT)], [(value,)])

    def _preset(self, name: str) -> str | None:
        """Settings PostgreSQL has and pgsvc's SQL layer does not, that replication clients
        read (pg_basebackup: wal_segment_size, data_directory_mode)."""
        key = name.lower()
        if key == "wal_segment_size":
            return "16MB"
        if key == "wal_block_size":
            return "8192"
        if key == "data_directory_mode":
            return f"{os.stat(self.layout.datadir).st_mode & 0o777:04o}"
        return None

    # ------------------------------------------------------------ end
    def _close(self) -> None:
        for ext in list(self.extensions.values()):
            try:
                close = getattr(ext, "close", None)
                if close is not None:
                    close()
            except Exception:  # the process is ending; what a plug-in holds goes with it
                pass
        super()._close()


class PhysicalWalSenderSession(WalSenderSession):
    physical = True


_TYPLEN = {O.INT4: 4, O.INT8: 8, O.INT2: 2, O.OID: 4, O.BOOL: 1}
