"""interval arithmetic as timestamp.c does it: multiplication and division by a float8
(fractions of months and days cascading down), justify_hours / _days / _interval, each with
PostgreSQL's 22008 interval out of range where a field overflows."""

from __future__ import annotations

import math

from pgsvc.errors import SqlError
from pgsvc.sql.types.interval import DAYS_PER_MONTH, USECS_PER_DAY, Interval

_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
_SECS_PER_DAY = 86400


def _out_of_range() -> SqlError:
    return SqlError("22008", "interval out of range")


def _int32(value: int) -> int:
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise _out_of_range()
    return value


def _trunc_div(a: int, b: int) -> tuple[int, int]:
    q = abs(a) // b
    q = -q if a < 0 else q
    return q, a - q * b


def _ts_round(x: float) -> float:
    return round(x * 1e6) / 1e6


def _checked_double(x: float) -> int:
    if math.isnan(x) or x > _INT32_MAX or x < _INT32_MIN:
        raise _out_of_range()
    return int(x)


def _scale(iv: Interval, months_f: float, days_f: float, time_f: float) -> Interval:
    """interval_mul / interval_div with the scaled fields as doubles."""
    months = _checked_double(months_f)
    days = _checked_double(days_f)
    month_rem_days = _ts_round((months_f - months) * DAYS_PER_MONTH)
    sec_rem = _ts_round((days_f - days + month_rem_days - int(month_rem_days)) * _SECS_PER_DAY)
    if abs(sec_rem) >= _SECS_PER_DAY:
        whole = int(sec_rem / _SECS_PER_DAY)
        days += whole
        sec_rem -= whole * _SECS_PER_DAY
    days = _int32(days + int(month_rem_days))
    if math.isnan(time_f) or math.isinf(time_f):
        raise _out_of_range()
    time = round(time_f + sec_rem * 1e6)
    if not -9223372036854775808 <= time < 9223372036854775808:
        raise _out_of_range()
    return Interval(months, days, time)


def interval_mul(iv: Interval, factor: float) -> Interval:
    return _scale(iv, iv.months * factor, iv.days * factor, iv.microseconds * factor)


def interval_div(iv: Interval, factor: float) -> Interval:
    if factor == 0:
        raise SqlError("22012", "division by zero")
    return _scale(iv, iv.months / factor, iv.days / factor, iv.microseconds / factor)


def justify_hours(iv: Interval) -> Interval:
    days, us = _trunc_div(iv.microseconds, USECS_PER_DAY)
    days = _int32(days + iv.days)
    if days > 0 and us < 0:
        us += USECS_PER_DAY
        days -= 1
    elif days < 0 and us > 0:
        us -= USECS_PER_DAY
        days += 1
    return Interval(iv.months, days, us)


def justify_days(iv: Interval) -> Interval:
    months, days = _trunc_div(iv.days, DAYS_PER_MONTH)
    months = _int32(months + iv.months)
    if months > 0 and days < 0:
        days += DAYS_PER_MONTH
        months -= 1
    elif months < 0 and days > 0:
        days -= DAYS_PER_MONTH
        months += 1
    return Interval(months, days, iv.microseconds)


def justify_interval(iv: Interval) -> Interval:
    months, days = iv.months, iv.days
    if (days > 0 and iv.microseconds > 0) or (days < 0 and iv.microseconds < 0):
        wmonths, days = _trunc_div(days, DAYS_PER_MONTH)  # (first, so that the days cannot overflow)
        months = _int32(months + wmonths)
    wdays, us = _trunc_div(iv.microseconds, USECS_PER_DAY)
    days = _int32(days + wdays)
    wmonths, days = _trunc_div(days, DAYS_PER_MONTH)
    months = _int32(months + wmonths)
    if months > 0 and (days < 0 or (days == 0 and us < 0)):
        days += DAYS_PER_MONTH
        months -= 1
    elif months < 0 and (days > 0 or (days == 0 and us > 0)):
        days -= DAYS_PER_MONTH
        months += 1
    if days > 0 and us < 0:
        us += USECS_PER_DAY
        days -= 1
    elif days < 0 and us > 0:
        us -= USECS_PER_DAY
        days += 1
    return Interval(months, days, us)


def interval_checked(iv: Interval) -> Interval:
    """The result of + - and unary - on intervals: each field must still fit (22008)."""
    if not (_INT32_MIN <= iv.months <= _INT32_MAX and _INT32_MIN <= iv.days <= _INT32_MAX
            and -9223372036854775808 <= iv.microseconds <= 9223372036854775807):
        raise _out_of_range()
    return iv


def _wrap32(v: int) -> int:
    return (v + (1 << 31)) % (1 << 32) - (1 << 31)


def _wrap64(v: int) -> int:
    return (v + (1 << 63)) % (1 << 64) - (1 << 63)


def make_interval(years: int, months: int, weeks: int, days: int, hours: int, mins: int,
                  secs: float) -> Interval:
    """make_interval as PostgreSQL 15 computes it: infinite or NaN seconds are 22008, the
    other fields wrap around in C's 32- and 64-bit arithmetic (no overflow check in 15)."""
    if math.isnan(secs) or math.isinf(secs):
        raise _out_of_range()
    micros = _wrap64(round(secs * 1e6))
    return Interval(_wrap32(_wrap32(years * 12) + months), _wrap32(_wrap32(weeks * 7) + days),
                    _wrap64(hours * 3_600_000_000 + mins * 60_000_000 + micros))
