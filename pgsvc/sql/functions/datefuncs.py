"""date_trunc, date_part/extract, age, make_timestamp, make_interval UDFs."""

from __future__ import annotations

import math


from pgsvc.errors import SqlError
from pgsvc.sql.functions.context import FunctionContext
from pgsvc.sql.functions import extract as X
from pgsvc.sql.functions.core_udfs import offset_at
from pgsvc.sql.functions.values import num_out
from pgsvc.sql.types import dates as D
from pgsvc.sql.types.dateparse import to_utc
from pgsvc.sql.types.interval import Interval
from pgsvc.sql.types.interval_math import make_interval
from pgsvc.sql.types.storage import interval_from_sqlite, interval_to_sqlite

_UNITS = ("microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month",
          "quarter", "year", "decade", "century", "millennium")


def _offset(us: int, ctx: FunctionContext, with_tz: bool) -> int:
    if not with_tz:
        return 0
    return offset_at(us, ctx.format_context().tzinfo)


def date_trunc(unit: str, us: int, with_tz: int, ctx: FunctionContext) -> int:
    unit = unit.lower().rstrip("s") if unit.lower() not in ("microseconds", "milliseconds") else unit.lower()
    if us in (D.NOBEGIN, D.NOEND):
        return us
    off = _offset(us, ctx, bool(with_tz))
    local = us + off
    days, tod = divmod(local, D.USECS_PER_DAY)
    y, m, d = D.j2date(days + D.POSTGRES_EPOCH_JDATE)
    if unit in ("microseconds", "microsecond"):
        return us
    sizes = {"milliseconds": 1000, "millisecond": 1000, "second": 10**6, "minute": 6 * 10**7,
             "hour": 36 * 10**8}
    if unit in sizes:
        tod -= tod % sizes[unit]
    elif unit in ("day", "week", "month", "quarter", "year", "decade", "century", "millennium"):
        tod = 0
        if unit == "week":
            jd = D.date2j(y, m, d)
            y, m, d = D.j2date(jd - (jd % 7))
        elif unit != "day":
            d = 1
            if unit == "quarter":
                m = (m - 1) // 3 * 3 + 1
            elif unit != "month":
                m = 1
                step = {"year": 1, "decade": 10, "century": 100, "millennium": 1000}[unit]
                if step > 1:
                    y = (y - 1) // step * step + 1 if unit != "decade" else y - y % 10
    else:
        raise SqlError("22023", f'unit "{unit}" not recognized for type {_KIND_NAMES[int(bool(with_tz))]}')
    local = (D.date2j(y, m, d) - D.POSTGRES_EPOCH_JDATE) * D.USECS_PER_DAY + tod
    if not with_tz:
        return local
    return to_utc(local, None, ctx.format_context())


def date_part(unit: str, value, kind: int, as_numeric: int, ctx: FunctionContext):
    """kind: 0 timestamp, 1 timestamptz, 2 date, 3 interval, 4 time, 5 timetz (extract.py)."""
    if kind in (X.TIMESTAMP, X.TIMESTAMPTZ):
        value = (value, lambda us: _offset(us, ctx, True))
    elif kind == X.DATE:
        days = D.DATE_NOEND if value >= D.DATE_NOEND else D.DATE_NOBEGIN if value <= D.DATE_NOBEGIN else value
        value = (days, None)
    elif kind == X.INTERVAL:
        value = interval_from_sqlite(value)
    elif kind == X.TIMETZ:
        us, east = (int(x) for x in value.split())
        value = (us, east)
    result = X.extract(unit, value, kind, bool(as_numeric))
    if result is None or not as_numeric:
        return result
    return num_out(result)


_KIND_NAMES = X.TYPE_NAMES


def age(a: int, b: int) -> str:
    ya, ma, da = D.j2date(a // D.USECS_PER_DAY + D.POSTGRES_EPOCH_JDATE)
    yb, mb, db = D.j2date(b // D.USECS_PER_DAY + D.POSTGRES_EPOCH_JDATE)
    ta, tb = a % D.USECS_PER_DAY, b % D.USECS_PER_DAY
    sign = 1
    if a < b:
        (ya, ma, da, ta), (yb, mb, db, tb), sign = (yb, mb, db, tb), (ya, ma, da, ta), -1
    us, days, months = ta - tb, da - db, (ya - yb) * 12 + ma - mb
    if us < 0:
        us += D.USECS_PER_DAY
        days -= 1
    if days < 0:
        pm, py = (mb, yb)
        days += D.days_in_month(py, pm)
        months -= 1
    return interval_to_sqlite(Interval(sign * months, sign * days, sign * us))


def make_time(hour: int, minute: int, sec: float) -> int:
    """make_time: time of day in microseconds; 24:00:00 at most (float_time_overflows)."""
    sec = float(sec)
    micros = (hour * 60 + minute) * 60_000_000 + (round(sec * 1e6) if math.isfinite(sec) else 0)
    if (hour < 0 or hour > 24 or minute < 0 or minute >= 60 or math.isnan(sec) or sec < 0 or sec > 60
            or micros > D.USECS_PER_DAY):
        shown = "NaN" if math.isnan(sec) else ("%02g" % sec).replace("inf", "Infinity")
        raise SqlError("22008", f"time field value out of range: {hour}:{minute:02d}:{shown}")
    return micros


def overlaps(ts1, te1, ts2, te2):
    """(start1, end1) OVERLAPS (start2, end2) as overlaps_timestamp decides it: each pair put
    in order, a NULL end read as its start, the answer NULL where a NULL end leaves it open."""
    if ts1 is None:
        if te1 is None:
            return None
        ts1 = te1
    elif te1 is not None and ts1 > te1:
        ts1, te1 = te1, ts1
    if ts2 is None:
        if te2 is None:
            return None
        ts2 = te2
    elif te2 is not None and ts2 > te2:
        ts2, te2 = te2, ts2
    if ts1 > ts2:
        if te2 is None:
            return None
        if ts1 < te2:
            return 1
        return None if te1 is None else 0
    if ts1 < ts2:
        if te1 is None:
            return None
        if ts2 < te1:
            return 1
        return None if te2 is None else 0
    return None if te1 is None or te2 is None else 1


def date_pl_timetz(ts: int, timetz: str) -> int:
    """date + timetz (datetimetz_timestamptz): the date's midnight plus the time, at its offset."""
    if ts in (D.NOBEGIN, D.NOEND):
        return ts
    us, east = (int(x) for x in timetz.split())
    return D.check_timestamp(ts + us - east * 1_000_000)


def timetz_pl_interval(timetz: str, iv: str, sign: int) -> str:
    """timetz +/- interval: the time of day moves by the interval's time part, modulo a day;
    the offset stays."""
    us, east = (int(x) for x in timetz.split())
    us = (us + sign * interval_from_sqlite(iv).microseconds) % D.USECS_PER_DAY
    return f"{us} {east}"


def series_direction(step: str) -> int:
    """generate_series over timestamps: 1 or -1 by the step's sign (interval_cmp against zero)."""
    span = interval_from_sqlite(step).span()
    if span == 0:
        raise SqlError("22023", "step size cannot equal zero")
    return 1 if span > 0 else -1


def make_date(year: int, month: int, day: int) -> int:
    """make_date: days since 2000-01-01; negative years BC; PostgreSQL's field and range errors."""
    shown = f"{year}-{month:02d}-{day:02d}"
    y = year + 1 if year < 0 else year  # (1 BC is year 0 in the Julian-day routines)
    if year == 0 or not 1 <= month <= 12 or not 1 <= day <= 31 or day > D.days_in_month(y, month):
        raise SqlError("22008", f"date field value out of range: {shown}")
    days = D.date2j(y, month, day) - D.POSTGRES_EPOCH_JDATE
    if y < -4712 or (y == -4712 and month < 11) or not -D.POSTGRES_EPOCH_JDATE <= days < 2147483494 - D.POSTGRES_EPOCH_JDATE:
        raise SqlError("22008", f"date out of range: {y}-{month:02d}-{day:02d}")  # (the year as BC makes it)
    return days


def make_udfs(ctx: FunctionContext) -> dict:
    def n(fn):
        return lambda *a: None if any(x is None for x in a) else fn(*a)
    return {
        "pgsvc_date_trunc": (3, n(lambda u, t, tz: date_trunc(u, t, tz, ctx))),
        "pgsvc_date_trunc_interval": (2, n(lambda u, v: v)),
        "pgsvc_date_part": (4, n(lambda u, v, k, num: date_part(u, v, k, num, ctx))),
        "pgsvc_age": (2, n(age)),
        "pgsvc_make_timestamp": (6, n(lambda y, mo, d, h, mi, s: (
            D.date2j(y, mo, d) - D.POSTGRES_EPOCH_JDATE) * D.USECS_PER_DAY
            + ((h * 60 + mi) * 60) * 10**6 + int(round(s * 10**6)))),
        "pgsvc_make_time": (3, n(make_time)),
        "pgsvc_make_date_checked": (3, n(make_date)),
        "pgsvc_overlaps": (4, overlaps),
        "pgsvc_series_direction": (1, n(series_direction)),
        "pgsvc_date_pl_timetz": (2, n(date_pl_timetz)),
        "pgsvc_timetz_pl_interval": (3, n(timetz_pl_interval)),
        "pgsvc_make_interval": (7, n(lambda y, mo, w, d, h, mi, s: interval_to_sqlite(make_interval(
            y, mo, w, d, h, mi, float(s))))),
    }
