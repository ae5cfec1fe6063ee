"""date_trunc(unit, timestamptz, zone), make_timestamptz and date_bin, as timestamp.c has
them: a timestamptz truncated as a wall-clock time in the named zone and read back there;
make_timestamptz's fields read in the session's zone or the one given; date_bin's bins
counted from the origin in a stride of days and time (never months), the bin start at or
before the value."""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.functions import zone_funcs
from pgsvc.sql.functions.context import FunctionContext
from pgsvc.sql.functions.datefuncs import date_trunc
from pgsvc.sql.types import dates as D
from pgsvc.sql.types.dateparse import to_utc
from pgsvc.sql.types.storage import interval_from_sqlite


def trunc_in_zone(unit: str, us: int, zone: str, ctx: FunctionContext) -> int:
    """timestamptz_trunc_zone."""
    if us in (D.NOBEGIN, D.NOEND):
        return us
    local = zone_funcs.timestamptz_zone(zone, us)
    try:
        truncated = date_trunc(unit, local, 0, ctx)
    except SqlError as err:  # (the unit is named for the argument's type)
        err.message = err.message.replace("without time zone", "with time zone")
        raise
    return zone_funcs.timestamp_zone(zone, truncated, ctx)


def _make_local(y, mo, d, h, mi, s) -> int:
    return (D.date2j(y, mo, d) - D.POSTGRES_EPOCH_JDATE) * D.USECS_PER_DAY \
        + ((h * 60 + mi) * 60) * 10**6 + int(round(s * 10**6))


def make_timestamptz(ctx: FunctionContext, y, mo, d, h, mi, s, zone=None) -> int:
    local = _make_local(y, mo, d, h, mi, s)
    if zone is None:
        return D.check_timestamp(to_utc(local, None, ctx.format_context()))
    return zone_funcs.timestamp_zone(zone, local, ctx)


def date_bin(stride, us: int, origin: int) -> int:
    """timestamp_bin / timestamptz_bin (the same arithmetic on the stored microseconds)."""
    iv = interval_from_sqlite(stride)
    if us in (D.NOBEGIN, D.NOEND):
        return us
    if origin in (D.NOBEGIN, D.NOEND):
        raise SqlError("22008", "origin out of range")
    if iv.months != 0:
        raise SqlError("22023", "timestamps cannot be binned into intervals containing months or years")
    stride_us = iv.days * D.USECS_PER_DAY + iv.microseconds
    if stride_us <= 0:
        raise SqlError("22023", "stride must be greater than zero")
    diff = us - origin
    delta = diff - _c_mod(diff, stride_us)
    if origin > us and stride_us > 1:  # the bin's start, when the origin is later
        delta -= stride_us
    return D.check_timestamp(origin + delta)


def _c_mod(a: int, b: int) -> int:
    """C's % (the remainder takes the dividend's sign)."""
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def make_udfs(ctx: FunctionContext) -> dict:
    def n(fn):
        return lambda *a: None if any(x is None for x in a) else fn(*a)
    return {
        "pgsvc_date_trunc_zone": (3, n(lambda u, t, z: trunc_in_zone(u, t, z, ctx))),
        "pgsvc_make_timestamptz6": (6, n(lambda *a: make_timestamptz(ctx, *a))),
        "pgsvc_make_timestamptz7": (7, n(lambda *a: make_timestamptz(ctx, *a))),
        "pgsvc_date_bin": (3, n(date_bin)),
    }
