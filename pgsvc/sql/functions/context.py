"""FunctionContext (per-connection state UDFs read) and raise_sql (error hand-off).

SQLite turns any Python exception raised inside a UDF into a generic
sqlite3.OperationalError ('user-defined function raised exception'). So a UDF that
must fail with a PostgreSQL error calls `raise_sql(ctx, sqlstate, message, ...)`:
it stores the SqlError on `ctx.pending_error` and raises UdfError. The engine, after
any sqlite3 error from a statement step, checks `ctx.pending_error`; if set, it
clears it (`ctx.take_error()`) and raises that SqlError instead of the generic one.
The engine should also clear it before each statement (`ctx.pending_error = None`).
"""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from pgsvc.sqlite import sqlite3
from pgsvc.errors import SqlError
from pgsvc.interrupts import Interrupted, call_raising, mark_raising
from pgsvc.settings import Settings
from pgsvc.sql.types.context import FormatContext


class UdfError(Exception):
    """Raised inside a UDF after the real SqlError has been stashed on the context."""


# The context functions.register prepared before the fork, until an engine takes it
# (FunctionContext.for_engine): at most one, and only in a process forked after it.
_MADE_BEFORE_FORK: list = []


def offer_for_engine(ctx: FunctionContext) -> None:
    _MADE_BEFORE_FORK[:] = [ctx]


@dataclass
class FunctionContext:
    settings: Settings = field(default_factory=Settings)
    transaction_start: _dt.datetime = field(
        default_factory=lambda: _dt.datetime.now(_dt.UTC))
    statement_start: _dt.datetime = field(
        default_factory=lambda: _dt.datetime.now(_dt.UTC))
    session: Any = None  # pgsvc.sql.api.SessionInfo or None
    cancel_flag: Callable[[], bool] = lambda: False
    pending_error: SqlError | None = None
    _fmt: FormatContext | None = field(default=None, repr=False)
    _fmt_key: tuple | None = field(default=None, repr=False)

    @classmethod
    def for_engine(cls, **fields) -> FunctionContext:
        """A new context for an engine: the one made before the fork, whose UDFs are
        already built (pgsvc.sql.functions.register.prepare_before_fork), the first time in a
        process, every field set anew as for a new object; else a new object."""
        if _MADE_BEFORE_FORK:
            ctx = _MADE_BEFORE_FORK.pop()
            ctx.__init__(**fields)
            return ctx
        return cls(**fields)

    def format_context(self) -> FormatContext:
        """The FormatContext for the current settings and transaction time (cached)."""
        s = self.settings
        key = (s.get("DateStyle"), s.get("IntervalStyle"), s.get("TimeZone"),
               s.get("extra_float_digits"), s.get("bytea_output"), self.transaction_start)
        if self._fmt is None or key != self._fmt_key:
            self._fmt = FormatContext.from_settings(s, now=self.transaction_start)
            self._fmt_key = key
        return self._fmt

    def take_error(self) -> SqlError | None:
        err, self.pending_error = self.pending_error, None
        return err

    def check_cancel(self) -> None:
        check_for_interrupts(self.cancel_flag)


def interrupt_error(reason) -> SqlError:
    """The error a pending interrupt ends the statement with (the cancel flag's reason)."""
    if reason == "statement timeout":
        return SqlError("57014", "canceling statement due to statement timeout")
    if reason == "terminate":
        return SqlError("57P01", "terminating connection due to administrator command", severity="FATAL")
    return SqlError("57014", "canceling statement due to user request")


def check_for_interrupts(cancel_flag: Callable[[], Any]) -> None:
    """PostgreSQL's CHECK_FOR_INTERRUPTS for pgsvc's own Python work. SQLite's progress
    handler stops SQLite; a loop of pgsvc's own (materialising a set-returning function,
    translating, encoding rows) calls this every so many steps, so that statement_timeout,
    a cancel request and pg_terminate_backend end it too. cancel_flag is the session's
    (pgsvc.sql.api.SessionInfo.cancel_flag): falsy, or the reason."""
    reason = cancel_flag()
    if reason:
        raise interrupt_error(reason)


def checking_interrupts(items, cancel_flag: Callable[[], Any], every: int = 256):
    """items (a set-returning function's generator: pure computation), checking for
    interrupts before the first and then every `every` items, each one made in a raising
    section: a generator that never ends (generate_series to infinity) and one item that
    takes forever (regexp_matches backtracking) are both stopped."""
    it = iter(items)
    i = 0
    while True:
        if not i % every:
            check_for_interrupts(cancel_flag)
        try:
            item = call_raising(next, it, _END)
        except Interrupted as stop:
            raise interrupt_error(stop.reason) from None
        if item is _END:
            return
        yield item
        i += 1


_END = object()


_current: list[FunctionContext] = []
_log = logging.getLogger("pgsvc")


def raise_sql(ctx: FunctionContext | None, sqlstate: str | SqlError, message: str = "",
              **kw: Any) -> None:
    """Stash a SqlError on ctx.pending_error and raise UdfError for SQLite to abort with."""
    err = sqlstate if isinstance(sqlstate, SqlError) else SqlError(sqlstate, message, **kw)
    if ctx is not None:
        ctx.pending_error = err
    raise UdfError(err.message)


def interruptible_udf(ctx: FunctionContext, fn):
    """fn, a pure function of the catalogue, as a SQLite UDF: reporting_sql_errors, and run
    in a raising section (pgsvc.interrupts), so that statement_timeout, a cancel or
    pg_terminate_backend ends it wherever it is (a regular expression backtracking)."""
    @mark_raising
    def call(*args):
        try:
            return fn(*args)
        except SqlError as err:
            raise_sql(ctx, err)
        except Interrupted as stop:
            raise_sql(ctx, interrupt_error(stop.reason))
        except UdfError:
            raise
        except Exception as e:  # noqa: BLE001 - a bug: see internal_error
            raise_sql(ctx, internal_error(fn, e))
    call.reports_errors = True
    return call


def reporting_sql_errors(ctx: FunctionContext, fn):
    """fn as a SQLite UDF: a SqlError it raises reaches the client as itself (via
    raise_sql), not as SQLite's generic 'user-defined function raised exception'."""
    def call(*args):
        try:
            return fn(*args)
        except SqlError as err:
            raise_sql(ctx, err)
        except UdfError:
            raise
        except sqlite3.OperationalError as e:
            raise_sql(ctx, nested_interrupt(ctx, fn, e))
        except Exception as e:  # noqa: BLE001 - a bug: see internal_error
            raise_sql(ctx, internal_error(fn, e))
    call.reports_errors = True
    return call


def nested_interrupt(ctx: FunctionContext | None, fn, e: Exception) -> SqlError:
    """A UDF's own SQL on the connection (pg_export_snapshot reading the catalog version)
    that an interrupt stopped: the interrupt's error (57014, 57P01), not an internal one."""
    reason = ctx.cancel_flag() if ctx is not None else None
    if reason or str(e) == "interrupted":
        return interrupt_error(reason)
    return internal_error(fn, e)


class ReportingConnection(sqlite3.Connection):
    """The engine's SQLite connection (sqlite3.connect(factory=...)): every scalar UDF
    registered on it reports as reporting_sql_errors does, also those registered bare, so
    that no Python exception in one ever reaches the client as SQLite's anonymous 'user-
    defined function raised exception' without its traceback in the log."""

    fctx: FunctionContext | None = None

    def create_function(self, name, narg, func, *, deterministic=False):
        if func is not None and not getattr(func, "reports_errors", False):
            func = reporting_sql_errors(self.fctx, func)
        super().create_function(name, narg, func, deterministic=deterministic)


def internal_error(fn, e: Exception) -> SqlError:
    """A UDF that failed with a Python exception is a bug of pgsvc's: its traceback goes to
    the server log (where the fuzz tests look) and the client gets XX000 naming it, not
    SQLite's anonymous 'user-defined function raised exception'."""
    name = getattr(fn, "__qualname__", getattr(fn, "__name__", "?"))
    _log.error("internal error in SQL function %s", name, exc_info=e)
    return SqlError("XX000", f"internal error: {type(e).__name__}: {e}")
