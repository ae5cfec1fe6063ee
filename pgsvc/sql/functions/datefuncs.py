"""date_trunc, date_part/extract, age, make_timestamp, make_interval UDFs."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal

from pgsvc.errors import SqlError
from pgsvc.sql.functions.context import FunctionContext
from pgsvc.sql.functions.core_udfs import offset_at
from pgsvc.sql.types import dates as D
from pgsvc.sql.types.dateparse import to_utc
from pgsvc.sql.types.interval import Interval
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
    """kind: 0 timestamp, 1 timestamptz, 2 date, 3 interval, 4 time."""
    unit = unit.lower()
    if kind == 3:
        iv = interval_from_sqlite(value)
        result = _interval_part(unit, iv)
    else:
        us = value * D.USECS_PER_DAY if kind == 2 else value
        if kind == 4:
            us = value
        if unit == "epoch":
            result = Decimal(us - (_offset(us, ctx, False))) / 10**6 + 946684800
        elif unit in _ZONE_UNITS:
            if kind != 1:
                raise SqlError("0A000", f'unit "{unit}" not supported for type {_KIND_NAMES[kind]}')
            result = _zone_part(_ZONE_UNITS[unit], _offset(us, ctx, True) // 1_000_000)
        else:
            local = us + _offset(us, ctx, kind == 1)
            days, tod = divmod(local, D.USECS_PER_DAY)
            y, m, d = D.j2date(days + D.POSTGRES_EPOCH_JDATE)
            result = _field(unit, y, m, d, tod, days, ctx, kind)
    result = Decimal(result)
    if as_numeric:
        return format(result, "f")
    return float(result)


_KIND_NAMES = {0: "timestamp without time zone", 1: "timestamp with time zone", 2: "date",
               4: "time without time zone"}
_ZONE_UNITS = {"timezone": "timezone", "timezone_h": "timezone_hour", "timezone_hour": "timezone_hour",
               "timezone_m": "timezone_minute", "timezone_minute": "timezone_minute"}


def _zone_part(unit: str, east: int) -> int:
    """EXTRACT(TIMEZONE | TIMEZONE_HOUR | TIMEZONE_MINUTE): the session zone's offset east of
    UTC at that instant (hours and minutes truncated toward zero, as C divides)."""
    if unit == "timezone":
        return east
    sign, rest = (-1 if east < 0 else 1), abs(east)
    return sign * (rest // 3600 if unit == "timezone_hour" else rest % 3600 // 60)


def _field(unit, y, m, d, tod, days, ctx, kind):
    table = {
        "year": lambda: y if y > 0 else y - 1, "month": lambda: m, "day": lambda: d,
        "hour": lambda: tod // 3_600_000_000, "minute": lambda: tod // 60_000_000 % 60,
        "second": lambda: Decimal(tod % 60_000_000) / 10**6,
        "milliseconds": lambda: Decimal(tod % 60_000_000) / 1000,
        "microseconds": lambda: tod % 60_000_000,
        "dow": lambda: (days + D.POSTGRES_EPOCH_JDATE + 1) % 7,
        "isodow": lambda: (days + D.POSTGRES_EPOCH_JDATE) % 7 + 1,
        "doy": lambda: D.date2j(y, m, d) - D.date2j(y, 1, 1) + 1,
        "quarter": lambda: (m - 1) // 3 + 1,
        "decade": lambda: y // 10, "century": lambda: (y + 99) // 100 if y > 0 else -((99 - (y - 1)) // 100),
        "millennium": lambda: (y + 999) // 1000 if y > 0 else -((999 - (y - 1)) // 1000),
        "week": lambda: _iso_week(y, m, d), "julian": lambda: days + D.POSTGRES_EPOCH_JDATE,
    }
    fn = table.get(unit.rstrip("s") if unit not in table else unit)
    if fn is None:
        raise SqlError("22023", f'unit "{unit}" not recognized for type {_KIND_NAMES.get(kind, "timestamp")}')
    return fn()


def _iso_week(y, m, d):
    return _dt.date(y, m, d).isocalendar()[1] if 1 <= y <= 9999 else 0


def _interval_part(unit, iv: Interval):
    us = iv.microseconds
    table = {"year": iv.months // 12 if iv.months >= 0 else -(-iv.months // 12),
             "month": iv.months % 12 if iv.months >= 0 else -(-iv.months % 12), "day": iv.days,
             "hour": int(us / 3_600_000_000), "minute": int(us % 3_600_000_000 / 60_000_000),
             "second": Decimal(us % 60_000_000) / 10**6,
             "epoch": Decimal(iv.microseconds) / 10**6 + iv.days * 86400
             + Decimal(iv.months // 12 * 365.25 * 86400).quantize(Decimal(1)) + (iv.months % 12) * 30 * 86400}
    key = unit.rstrip("s") if unit not in table else unit
    if key not in table:
        raise SqlError("22023", f'unit "{unit}" not recognized for type interval')
    return table[key]


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
        "pgsvc_make_interval": (7, lambda y, mo, w, d, h, mi, s: interval_to_sqlite(Interval(
            (y or 0) * 12 + (mo or 0), (w or 0) * 7 + (d or 0),
            ((h or 0) * 3600 + (mi or 0) * 60) * 10**6 + int(round((s or 0) * 10**6))))),
    }
