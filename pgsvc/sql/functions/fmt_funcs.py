"""pg_proc entries and SQLite UDFs for to_char, to_number, to_date and to_timestamp(text,
text): the catalogue side of formatting.py (date/time output), numformat.py (numbers) and
fmt_parse.py (date/time input).
"""

from __future__ import annotations

import math

from pgsvc.sql.functions import fmt_parse, formatting, numformat
from pgsvc.sql.functions.context import FunctionContext
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.numeric import format_numeric
from pgsvc.sql.types.storage import interval_from_sqlite, numeric_from_sqlite


def format_sigs() -> list[FuncSig]:
    T = O.TEXT
    return [
        FuncSig("to_char", (O.TIMESTAMP, T), T, "pgsvc_to_char_ts({0}, {1}, 0)", volatility="s"),
        FuncSig("to_char", (O.TIMESTAMPTZ, T), T, "pgsvc_to_char_ts({0}, {1}, 1)", volatility="s"),
        FuncSig("to_char", (O.INTERVAL, T), T, "pgsvc_to_char_iv({0}, {1})", volatility="s"),
        FuncSig("to_char", (O.NUMERIC, T), T, "pgsvc_to_char_num({0}, {1})", volatility="s"),
        FuncSig("to_char", (O.INT4, T), T, "pgsvc_to_char_int({0}, {1}, 32)", volatility="s"),
        FuncSig("to_char", (O.INT8, T), T, "pgsvc_to_char_int({0}, {1}, 64)", volatility="s"),
        FuncSig("to_char", (O.FLOAT4, T), T, "pgsvc_to_char_float({0}, {1}, 6)", volatility="s"),
        FuncSig("to_char", (O.FLOAT8, T), T, "pgsvc_to_char_float({0}, {1}, 15)", volatility="s"),
        FuncSig("to_number", (T, T), O.NUMERIC, "pgsvc_to_number({0}, {1})", volatility="s"),
        FuncSig("to_date", (T, T), O.DATE, "pgsvc_to_date({0}, {1})", volatility="s"),
        FuncSig("to_timestamp", (T, T), O.TIMESTAMPTZ, "pgsvc_to_timestamp({0}, {1})", volatility="s"),
    ]


def _strict(fn):
    def call(*args):
        return None if any(a is None for a in args) else fn(*args)
    return call


def _float(v) -> float:
    return math.nan if v == "NaN" else float(v) if isinstance(v, str) else float(v)


def make_udfs(ctx: FunctionContext) -> dict:
    def to_char_ts(us, fmt, with_tz):
        return formatting.to_char_timestamp(us, fmt, ctx.format_context(), bool(with_tz))

    return {
        "pgsvc_to_char_ts": (3, _strict(to_char_ts)),
        "pgsvc_to_char_iv": (2, _strict(lambda v, fmt: formatting.to_char_interval(
            interval_from_sqlite(v), fmt))),
        "pgsvc_to_char_num": (2, _strict(lambda v, fmt: numformat.to_char_numeric(
            numeric_from_sqlite(v), fmt))),
        "pgsvc_to_char_int": (3, _strict(numformat.to_char_int)),
        "pgsvc_to_char_float": (3, _strict(lambda v, fmt, digits: numformat.to_char_float(
            _float(v), fmt, digits))),
        "pgsvc_to_number": (2, _strict(lambda text, fmt: format_numeric(numformat.to_number(text, fmt)))),
        "pgsvc_to_date": (2, _strict(fmt_parse.to_date)),
        "pgsvc_to_timestamp": (2, _strict(lambda text, fmt: fmt_parse.to_timestamp(
            text, fmt, ctx.format_context()))),
    }
