"""Errors: one root exception for pgsvc, and SqlError for what a client sees.

Every error a client can see carries a SQLSTATE and a message in PostgreSQL's
style: lower-case message, sentence-case detail and hint.
"""

from __future__ import annotations


class PgsvcError(Exception):
    """Root of pgsvc's own exceptions (operator-facing: CLI, start-up checks)."""

    exit_code = 1


class StartupError(PgsvcError):
    """A start-up invariant does not hold; the message says why and how to fix it."""


class SqlError(PgsvcError):
    """An error reported to a client as an ErrorResponse (or NoticeResponse)."""

    def __init__(
        self,
        sqlstate: str,
        message: str,
        *,
        detail: str | None = None,
        hint: str | None = None,
        position: int | None = None,
        severity: str = "ERROR",
        context: str | None = None,
        schema: str | None = None,
        table: str | None = None,
        column: str | None = None,
        constraint: str | None = None,
        datatype: str | None = None,
        internal_query: str | None = None,
        internal_position: int | None = None,
    ) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.message = message
        self.detail = detail
        self.hint = hint
        self.position = position
        self.severity = severity
        self.context = context
        self.schema = schema
        self.table = table
        self.column = column
        self.constraint = constraint
        self.datatype = datatype  # PostgreSQL's datatype_name (a domain's errors)
        # an error in a statement run for the client's (a function body's): its text and
        # the position in it (PostgreSQL's internalquery / internalpos, fields q and p)
        self.internal_query = internal_query
        self.internal_position = internal_position

    def __repr__(self) -> str:
        return f"SqlError({self.sqlstate!r}, {self.message!r})"


class FatalError(SqlError):
    """An error that ends the session (severity FATAL)."""

    def __init__(self, sqlstate: str, message: str, **kw) -> None:
        kw.setdefault("severity", "FATAL")
        super().__init__(sqlstate, message, **kw)


class SqlNotice:
    """A NoticeResponse: severity NOTICE/WARNING/INFO/DEBUG/LOG."""

    __slots__ = ("severity", "sqlstate", "message", "detail", "hint", "context", "position",
                 "internal_position", "internal_query")

    def __init__(self, message: str, *, sqlstate: str = "00000", severity: str = "NOTICE",
                 detail: str | None = None, hint: str | None = None, context: str | None = None,
                 position: int | None = None) -> None:
        self.severity = severity
        self.sqlstate = sqlstate
        self.message = message
        self.detail = detail
        self.hint = hint
        self.context = context  # CONTEXT lines (a PL/pgSQL RAISE's: where it was raised)
        self.position = position  # 1-based, in the statement's text (a PL/pgSQL compile warning's)
        self.internal_position = None  # 1-based, in internal_query
        self.internal_query = None


# SQLSTATEs used across modules (PostgreSQL's errcodes.txt names).
FEATURE_NOT_SUPPORTED = "0A000"
SYNTAX_ERROR = "42601"
UNDEFINED_TABLE = "42P01"
UNDEFINED_COLUMN = "42703"
UNDEFINED_FUNCTION = "42883"
INSUFFICIENT_PRIVILEGE = "42501"
INVALID_PASSWORD = "28P01"
INVALID_AUTHORIZATION_SPECIFICATION = "28000"
INVALID_CATALOG_NAME = "3D000"
TOO_MANY_CONNECTIONS = "53300"
PROTOCOL_VIOLATION = "08P01"
QUERY_CANCELED = "57014"
ADMIN_SHUTDOWN = "57P01"
CRASH_SHUTDOWN = "57P02"
CANNOT_CONNECT_NOW = "57P03"
IN_FAILED_SQL_TRANSACTION = "25P02"
SERIALIZATION_FAILURE = "40001"
INTERNAL_ERROR = "XX000"
UNDEFINED_OBJECT = "42704"
INVALID_PARAMETER_VALUE = "22023"
CANT_CHANGE_RUNTIME_PARAM = "55P02"
