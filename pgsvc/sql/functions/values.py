"""Conversions between stored forms (what UDFs receive from SQLite) and Python values,
and the generic cast/I-O helpers UDFs share.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from pgsvc.errors import SqlError
from pgsvc.sql.types import dates as D
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.context import FormatContext
from pgsvc.sql.types.jsontext import loads
from pgsvc.sql.types.money import cash_numeric
from pgsvc.sql.types.numeric import CTX, canonical, format_numeric
from pgsvc.sql.types.scalars import to_float4
from pgsvc.sql.types.storage import sqlite_adapter
from pgsvc.sql.types.textio import text_decoder, text_encoder
from pgsvc.sql.types.typmod import apply_typmod


@cache
def _adapters(oid: int):
    return sqlite_adapter(oid)


def to_python(oid: int, stored: Any) -> Any:
    if stored is None:
        return None
    from_sqlite = _adapters(oid)[1]
    return from_sqlite(stored) if from_sqlite else stored


def to_stored(oid: int, value: Any) -> Any:
    if value is None:
        return None
    to_sqlite = _adapters(oid)[0]
    return to_sqlite(value) if to_sqlite else value


def dec(stored: Any) -> Decimal:
    """A numeric operand in any stored shape (canonical TEXT, INTEGER, REAL) as Decimal."""
    if isinstance(stored, Decimal):
        return stored
    if isinstance(stored, float):
        return Decimal(repr(stored))
    return Decimal(stored)


def num_out(value: Decimal) -> str:
    return format_numeric(canonical(value))


def output_text(oid: int, stored: Any, ctx: FormatContext) -> str | None:
    if stored is None:
        return None
    return text_encoder(oid, ctx)(to_python(oid, stored))


def input_text(oid: int, text: str, ctx: FormatContext, typmod: int = -1) -> Any:
    if text is None:
        return None
    return to_stored(oid, text_decoder(oid, ctx)(str(text), typmod))


_INT_LIMITS = {O.INT2: ((1 << 15), "smallint out of range"),
               O.INT4: ((1 << 31), "integer out of range"),
               O.INT8: ((1 << 63), "bigint out of range"),
               O.OID: ((1 << 32), "OID out of range")}


def check_int(oid: int, value: Any) -> int:
    limit, message = _INT_LIMITS[oid]
    if isinstance(value, float) or not -limit <= value < limit:
        raise SqlError("22003", message)
    return value


def round_half_even(value: float) -> int:
    return int(round(value))


_JSONB_SCALAR_CASTS = {O.INT2: "smallint", O.INT4: "integer", O.INT8: "bigint", O.NUMERIC: "numeric",
                       O.FLOAT4: "real", O.FLOAT8: "double precision", O.BOOL: "boolean"}


def _jsonb_scalar(value: Any, dst: int, ctx: FormatContext, typmod: int) -> Any:
    """jsonb::numeric / int / float / bool as jsonb.c's casts: the scalar of the right kind
    (a number through numeric), else 22023 cannot cast jsonb <kind> to type <type>."""
    v = loads(value)
    if dst == O.BOOL and isinstance(v, bool):
        return v
    if dst != O.BOOL and isinstance(v, Decimal) and not isinstance(v, bool):
        return cast_value(Decimal(v), O.NUMERIC, dst, ctx, typmod) if dst != O.NUMERIC else \
            (apply_typmod(dst, Decimal(v), typmod) if typmod >= 0 else Decimal(v))
    kind = ("null" if v is None else "boolean" if isinstance(v, bool) else "string" if isinstance(v, str)
            else "array" if isinstance(v, list) else "object" if isinstance(v, dict) else "numeric")
    raise SqlError("22023", f"cannot cast jsonb {kind} to type {_JSONB_SCALAR_CASTS[dst]}")


def cast_value(value: Any, src: int, dst: int, ctx: FormatContext, typmod: int = -1) -> Any:
    """PostgreSQL's cast of a Python value from src to dst (falls back to I/O conversion)."""
    if value is None:
        return None
    if src == O.JSONB and dst in _JSONB_SCALAR_CASTS:
        return _jsonb_scalar(value, dst, ctx, typmod)
    if dst in _INT_LIMITS:
        if src in (O.FLOAT4, O.FLOAT8):
            if value != value or value in (float("inf"), float("-inf")):
                raise SqlError("22003", _INT_LIMITS[dst][1])
            return check_int(dst, round_half_even(value))
        if src == O.NUMERIC:
            if not value.is_finite():
                raise SqlError("0A000" if value.is_nan() else "22003",
                               f"cannot convert {'NaN' if value.is_nan() else 'infinity'} to "
                               f"{ {O.INT2: 'smallint', O.INT4: 'integer', O.INT8: 'bigint'}.get(dst, 'oid')}")
            return check_int(dst, int(value.quantize(Decimal(1), context=CTX)))
        if src in (O.INT2, O.INT4, O.INT8, O.OID):
            return check_int(dst, value)
        if src == O.BOOL:
            return int(value)
    if dst == O.NUMERIC and src in (O.INT2, O.INT4, O.INT8, O.OID, O.FLOAT4, O.FLOAT8):
        result = Decimal(value) if isinstance(value, int) else _float_to_numeric(value, src)
        return apply_typmod(dst, result, typmod) if typmod >= 0 else result
    if dst in (O.FLOAT4, O.FLOAT8) and src in (O.INT2, O.INT4, O.INT8, O.NUMERIC, O.FLOAT4,
                                               O.FLOAT8):
        f = float(value)
        if src == O.NUMERIC and value.is_finite():
            return _numeric_to_float(value, f, dst)
        if dst == O.FLOAT4 and src == O.FLOAT8:
            return _float8_to_float4(f)
        return to_float4(f) if dst == O.FLOAT4 else f
    if dst == O.BOOL and src in (O.INT4,):
        return value != 0
    if (src, dst) in DIRECT_CASTS:
        return direct_cast(value, src, dst, ctx)
    text = text_encoder(src, ctx)(value)
    if src == O.BPCHAR:
        text = text.rstrip(" ")
    result = text_decoder(dst, ctx)(text, -1)
    return apply_typmod(dst, result, typmod, explicit=True) if typmod >= 0 else result


DIRECT_CASTS = {(O.TIMESTAMPTZ, O.DATE), (O.TIMESTAMPTZ, O.TIME), (O.TIMESTAMPTZ, O.TIMETZ),
                (O.TIMESTAMP, O.TIME), (O.TIMETZ, O.TIME), (O.MONEY, O.NUMERIC),
                (O.INET, O.TEXT), (O.INET, O.VARCHAR), (O.INET, O.BPCHAR)}


def direct_cast(value: Any, src: int, dst: int, ctx: FormatContext) -> Any:
    """The casts of DIRECT_CASTS, computed instead of through text: timestamptz to its local
    date, time and timetz in the session's zone, timestamp to time (NULL when infinite, as
    timestamp_time), timetz to its time, money to numeric (cash_numeric), inet to text (network_show)."""
    if src == O.TIMESTAMPTZ:
        return timestamptz_local(value, dst, ctx)
    if src == O.TIMETZ:
        return D.micros_to_time(D.time_to_micros(value))
    if src == O.MONEY:
        return cash_numeric(value)
    if src == O.INET:  # network_show: the mask length always
        return value if "/" in value else f"{value}/{128 if ':' in value else 32}"
    us = D.timestamp_to_micros(value)
    return None if us in (D.NOBEGIN, D.NOEND) else D.micros_to_time(us % D.USECS_PER_DAY)


def timestamptz_local(value: Any, dst: int, ctx: FormatContext) -> Any:
    """timestamptz_date, timestamptz_time, timestamptz_timetz: the local date, time or time
    and offset in the session's zone, computed (not through text: an offset of 24 hours or
    more prints as no input reads it). An infinite timestamptz is an infinite date, and no
    time (NULL)."""
    us = D.timestamp_to_micros(value)
    if us in (D.NOBEGIN, D.NOEND):
        if dst == O.DATE:
            return D.days_to_date(D.DATE_NOEND if us == D.NOEND else D.DATE_NOBEGIN)
        return None
    y, m, d, tod, offset, _abbrev = D.local_fields(us, ctx, True)
    if dst == O.DATE:
        return D.days_to_date(D.date2j(y, m, d) - D.POSTGRES_EPOCH_JDATE)
    if dst == O.TIME:
        return D.micros_to_time(tod)
    return D.micros_to_timetz(tod, offset)


def _numeric_to_float(value: Decimal, f: float, dst: int) -> float:
    """numeric_float8/numeric_float4: the numeric's text read by float8in/float4in, whose
    overflow (or underflow to zero) is an error naming that text."""
    if dst == O.FLOAT4:
        f = to_float4(f)
    if f in (float("inf"), float("-inf")) or (f == 0 and value != 0):
        name = "real" if dst == O.FLOAT4 else "double precision"
        raise SqlError("22003", f'"{format_numeric(value)}" is out of range for type {name}')
    return f


def _float8_to_float4(f: float) -> float:
    """dtof: a finite float8 beyond real's range is an overflow, a nonzero one that rounds
    to zero an underflow."""
    result = to_float4(f)
    if result in (float("inf"), float("-inf")) and f == f and f not in (float("inf"), float("-inf")):
        raise SqlError("22003", "value out of range: overflow")
    if result == 0 and f != 0:
        raise SqlError("22003", "value out of range: underflow")
    return result


def _float_to_numeric(value: float, src: int) -> Decimal:
    if value != value:
        return Decimal("NaN")
    if value in (float("inf"), float("-inf")):
        return Decimal(value)
    digits = 15 if src == O.FLOAT8 else 6  # PostgreSQL converts via %.{DBL_DIG}g
    return canonical(Decimal(f"{value:.{digits}g}"))
