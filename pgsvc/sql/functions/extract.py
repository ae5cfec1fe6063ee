"""EXTRACT(field FROM x) and date_part(text, x) as PostgreSQL 15 computes them
(utils/adt/timestamp.c's timestamp_part_common, timestamptz_part_common, interval_part_common,
date.c's extract_date, time_part_common, timetz_part_common).

The unit is read as DecodeUnits and then DecodeSpecial read it: lower-cased, compared on its
first ten characters (TOKMAXLEN: 'microseconds' is 'microsecon', 'timezone_hour' is
'timezone_h'), with the abbreviations of datetime.c's tables ('ms', 'usec', 'hrs', 'mm',
'jd', ...). A unit the type does not have is 0A000 "not supported", a word that is no unit
22023 "not recognized", each naming the type. EXTRACT is numeric with PostgreSQL's scales
(second 6, millisecond 3, epoch 6, julian by numeric division), date_part the float8 of the
same computation; an infinite timestamp or date gives +-Infinity for the monotonic units
and NULL for the others.
"""

from __future__ import annotations

from decimal import Decimal

from pgsvc.errors import SqlError
from pgsvc.sql.functions.core_udfs import div_scale
from pgsvc.sql.types import dates as D
from pgsvc.sql.types.interval import Interval
from pgsvc.sql.types.numeric import CTX, round_to_scale

# kinds, as library.py passes them
TIMESTAMP, TIMESTAMPTZ, DATE, INTERVAL, TIME, TIMETZ = range(6)
TYPE_NAMES = {TIMESTAMP: "timestamp without time zone", TIMESTAMPTZ: "timestamp with time zone",
              DATE: "date", INTERVAL: "interval", TIME: "time without time zone",
              TIMETZ: "time with time zone"}

_TOKMAXLEN = 10
_UNITS = "units"
_RESERV = "reserv"
_OTHER = "other"

# datetime.c's deltatktbl (DecodeUnits): every entry is a unit
_DELTA = {
    "c": "century", "cent": "century", "centuries": "century", "century": "century",
    "d": "day", "day": "day", "days": "day", "dec": "decade", "decade": "decade", "decades": "decade",
    "decs": "decade", "h": "hour", "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour",
    "m": "minute", "microsecon": "microsecond", "mil": "millennium", "millennia": "millennium",
    "millennium": "millennium", "millisecon": "millisecond", "mils": "millennium", "min": "minute",
    "mins": "minute", "minute": "minute", "minutes": "minute", "mon": "month", "mons": "month",
    "month": "month", "months": "month", "ms": "millisecond", "msec": "millisecond",
    "millisecond": "millisecond", "mseconds": "millisecond", "msecs": "millisecond", "qtr": "quarter",
    "quarter": "quarter", "s": "second", "sec": "second", "second": "second", "seconds": "second",
    "secs": "second", "timezone": "timezone", "timezone_h": "timezone_hour",
    "timezone_m": "timezone_minute", "us": "microsecond", "usec": "microsecond",
    "microsecond": "microsecond", "useconds": "microsecond", "usecs": "microsecond", "w": "week",
    "week": "week", "weeks": "week", "y": "year", "year": "year", "years": "year", "yr": "year",
    "yrs": "year",
}
# datetime.c's datetktbl (DecodeSpecial): its units and reserved words; any other word of
# that table (month and day names, am/pm, ...) is known but no unit
_SPECIAL_UNITS = {"dow": "dow", "doy": "doy", "isodow": "isodow", "isoyear": "isoyear", "j": "julian",
                  "jd": "julian", "julian": "julian", "mm": "minute"}
_SPECIAL_RESERVED = {"epoch": "epoch", "infinity": "late", "-infinity": "early", "now": "now",
                     "today": "today", "tomorrow": "tomorrow", "yesterday": "yesterday", "allballs": "zulu"}

_MONOTONIC = {"year", "decade", "century", "millennium", "julian", "isoyear", "epoch"}
_UNIX_EPOCH_DAYS = 10957  # 1970-01-01 .. 2000-01-01


def decode_unit(units: str) -> tuple[str, str, str]:
    """(lowunits, kind, unit): kind is 'units', 'reserv' or 'other' (not a unit word)."""
    low = units.lower()
    key = low[:_TOKMAXLEN]
    unit = _DELTA.get(key)
    if unit is not None:
        return low, _UNITS, unit
    unit = _SPECIAL_UNITS.get(key)
    if unit is not None:
        return low, _UNITS, unit
    unit = _SPECIAL_RESERVED.get(key)
    if unit is not None:
        return low, _RESERV, unit
    return low, _OTHER, ""


def _not_supported(low: str, kind: int) -> SqlError:
    return SqlError("0A000", f'unit "{low}" not supported for type {TYPE_NAMES[kind]}')


def _not_recognized(low: str, kind: int) -> SqlError:
    return SqlError("22023", f'unit "{low}" not recognized for type {TYPE_NAMES[kind]}')


def _scaled(micros: int, digits: int) -> Decimal:
    """int64_div_fast_to_numeric: micros / 10^digits with exactly that scale."""
    return Decimal(micros).scaleb(-digits)


def _trunc_div(a: int, b: int) -> int:
    """C's integer division (toward zero)."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _c_mod(a: int, b: int) -> int:
    return a - b * _trunc_div(a, b)


def extract(units: str, value, kind: int, numeric: bool):
    """EXTRACT (numeric=True, a Decimal) or date_part (a float); None for NULL."""
    low, utype, unit = decode_unit(units)
    if kind == DATE and not numeric:
        # date_part(text, date) is SQL: date_part($1, $2::timestamp)
        return extract(units, (_date_to_timestamp(value[0]), None), TIMESTAMP, numeric)
    if kind in (TIMESTAMP, TIMESTAMPTZ, DATE):
        result = _datetime_part(low, utype, unit, value, kind, numeric)
    elif kind == INTERVAL:
        result = _interval_part(low, utype, unit, value, numeric)
    else:
        result = _time_part(low, utype, unit, value, kind, numeric)
    if result is None or numeric:
        return result
    return float(result)


def _date_to_timestamp(days: int) -> int:
    """date2timestamp: beyond 294276 AD a date has no timestamp."""
    if days >= D.DATE_NOEND:
        return D.NOEND
    if days <= D.DATE_NOBEGIN:
        return D.NOBEGIN
    if days >= _TIMESTAMP_END_DAYS:
        raise SqlError("22008", "date out of range for timestamp")
    return days * D.USECS_PER_DAY


_TIMESTAMP_END_DAYS = 109203528 - 2451545  # TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE
_INT64_MAX = (1 << 63) - 1


# --- timestamp, timestamptz, date ----------------------------------------------------------

def _datetime_part(low, utype, unit, value, kind, numeric):
    """value: (micros (UTC for timestamptz), the session zone's offset function), or
    (days, None) for a date."""
    us, offset_at = value
    infinite = us in (D.NOBEGIN, D.NOEND) if kind != DATE else us in (D.DATE_NOBEGIN, D.DATE_NOEND)
    if infinite:
        if utype not in (_UNITS, _RESERV):
            raise _not_recognized(low, kind)
        if unit in _MONOTONIC:
            negative = us in (D.NOBEGIN, D.DATE_NOBEGIN)
            inf = Decimal("-Infinity") if negative else Decimal("Infinity")
            return inf if numeric else float(inf)
        if unit in _OSCILLATING[kind]:
            return None
        raise _not_supported(low, kind)
    if utype == _RESERV:
        if unit != "epoch":
            raise _not_supported(low, kind)
        if kind == DATE:
            return Decimal((us + _UNIX_EPOCH_DAYS) * 86400)
        micros = us + _UNIX_EPOCH_DAYS * D.USECS_PER_DAY
        if not numeric:
            return micros / 1_000_000.0
        if us < _INT64_MAX - _UNIX_EPOCH_DAYS * D.USECS_PER_DAY:
            return _scaled(micros, 6)
        # past int64: numeric division at its own scale, then rounded to 6 places
        num, den = Decimal(micros), Decimal(1_000_000)
        return round_to_scale(round_to_scale(CTX.divide(num, den), div_scale(num, den)), 6)
    if utype != _UNITS:
        raise _not_recognized(low, kind)
    if kind == DATE:
        days, tod, tz = us, None, 0
    else:
        tz = offset_at(us) // 1_000_000 if kind == TIMESTAMPTZ else 0
        days, tod = divmod(us + tz * 1_000_000, D.USECS_PER_DAY)
    if kind == DATE and unit in _TIME_UNITS | _ZONE_UNITS:
        raise _not_supported(low, kind)
    if kind == TIMESTAMP and unit in _ZONE_UNITS:
        raise _not_supported(low, kind)
    y, m, d = D.j2date(days + D.POSTGRES_EPOCH_JDATE)
    if unit in _ZONE_UNITS:
        return Decimal(_zone_field(unit, tz))
    if unit in _TIME_UNITS:
        return _time_field(unit, tod, numeric)
    if unit == "julian":
        jd = days + D.POSTGRES_EPOCH_JDATE
        if kind == DATE:
            return Decimal(jd)
        if not numeric:
            return jd + (tod / 1_000_000.0) / 86400
        frac = Decimal(tod)
        day = Decimal(D.USECS_PER_DAY)
        return CTX.add(Decimal(jd), round_to_scale(CTX.divide(frac, day), div_scale(frac, day)))
    field = _DATE_FIELDS.get(unit)
    if field is None:
        raise _not_supported(low, kind)
    return Decimal(field(y, m, d, kind))


def _year(y, m, d, kind):
    return y if y > 0 else y - 1


def _decade(y, m, d, kind):
    if y >= 0 if kind != TIMESTAMPTZ else y > 0:
        return y // 10
    return -_trunc_div(8 - (y - 1), 10)


def _century(y, m, d, kind):
    return (y + 99) // 100 if y > 0 else -_trunc_div(99 - (y - 1), 100)


def _millennium(y, m, d, kind):
    return (y + 999) // 1000 if y > 0 else -_trunc_div(999 - (y - 1), 1000)


def _isoyear(y, m, d, kind):
    iso = _date2isoyear(y, m, d)
    return iso - 1 if iso <= 0 else iso


def _dow(y, m, d, kind):
    return (D.date2j(y, m, d) + 1) % 7


def _isodow(y, m, d, kind):
    return _dow(y, m, d, kind) or 7


_DATE_FIELDS = {
    "day": lambda y, m, d, k: d, "month": lambda y, m, d, k: m,
    "quarter": lambda y, m, d, k: (m - 1) // 3 + 1, "week": lambda y, m, d, k: _date2isoweek(y, m, d),
    "year": _year, "decade": _decade, "century": _century, "millennium": _millennium,
    "isoyear": _isoyear, "dow": _dow, "isodow": _isodow,
    "doy": lambda y, m, d, k: D.date2j(y, m, d) - D.date2j(y, 1, 1) + 1,
}
_TIME_UNITS = {"microsecond", "millisecond", "second", "minute", "hour"}
_ZONE_UNITS = {"timezone", "timezone_hour", "timezone_minute"}
_OSCILLATING = {
    TIMESTAMP: _TIME_UNITS | {"day", "month", "quarter", "week", "dow", "isodow", "doy"} | _ZONE_UNITS,
    TIMESTAMPTZ: _TIME_UNITS | {"day", "month", "quarter", "week", "dow", "isodow", "doy"} | _ZONE_UNITS,
    DATE: {"day", "month", "quarter", "week", "dow", "isodow", "doy"},
}


def _iso_week_start(year: int) -> int:
    """The Julian day of the Monday of ISO week 1 (day4 - j2day(day4 - 1))."""
    day4 = D.date2j(year, 1, 4)
    return day4 - _j2day(day4 - 1)


def _j2day(jd: int) -> int:
    return (jd + 1) % 7


def _date2isoweek(y: int, m: int, d: int) -> int:
    dayn = D.date2j(y, m, d)
    start = _iso_week_start(y)
    if dayn < start:
        start = _iso_week_start(y - 1)
    result = (dayn - start) // 7 + 1
    if result >= 52:
        nxt = _iso_week_start(y + 1)
        if dayn >= nxt:
            result = (dayn - nxt) // 7 + 1
    return result


def _date2isoyear(y: int, m: int, d: int) -> int:
    dayn = D.date2j(y, m, d)
    start = _iso_week_start(y)
    if dayn < start:
        start = _iso_week_start(y - 1)
        y -= 1
    if (dayn - start) // 7 + 1 >= 52 and dayn >= _iso_week_start(y + 1):
        y += 1
    return y


def _seconds_field(unit: str, sec_us: int, numeric: bool):
    """microsecond, millisecond, second of the micros within a minute; None for other units."""
    if unit == "microsecond":
        return Decimal(sec_us)
    if unit == "millisecond":
        return _scaled(sec_us, 3) if numeric else sec_us / 1000.0
    if unit == "second":
        return _scaled(sec_us, 6) if numeric else sec_us / 1_000_000.0
    return None


def _time_field(unit: str, tod: int, numeric: bool):
    seconds = _seconds_field(unit, tod % 60_000_000, numeric)
    if seconds is not None:
        return seconds
    if unit == "minute":
        return Decimal(tod // 60_000_000 % 60)
    return Decimal(tod // 3_600_000_000)


def _zone_field(unit: str, east: int) -> int:
    if unit == "timezone":
        return east
    if unit == "timezone_minute":
        return _c_mod(_trunc_div(east, 60), 60)
    return _trunc_div(east, 3600)


# --- time, timetz ----------------------------------------------------------------------------

def _time_part(low, utype, unit, value, kind, numeric):
    """value: micros of the day (time), or (micros, seconds east) (timetz)."""
    tod, east = (value, 0) if kind == TIME else value
    if utype == _UNITS:
        if unit in _TIME_UNITS:
            return _time_field(unit, tod, numeric)
        if kind == TIMETZ and unit in _ZONE_UNITS:
            return Decimal(_zone_field(unit, east))
        raise _not_supported(low, kind)
    if utype == _RESERV and unit == "epoch":
        micros = tod - east * 1_000_000
        return _scaled(micros, 6) if numeric else tod / 1_000_000.0 - east
    raise _not_recognized(low, kind)


# --- interval --------------------------------------------------------------------------------

def _interval_part(low, utype, unit, iv: Interval, numeric):
    if utype == _UNITS:
        t = iv.microseconds
        hour = _trunc_div(t, 3_600_000_000)
        t -= hour * 3_600_000_000
        minute = _trunc_div(t, 60_000_000)
        t -= minute * 60_000_000
        years, months = _trunc_div(iv.months, 12), _c_mod(iv.months, 12)
        seconds = _seconds_field(unit, t, numeric)
        if seconds is not None:
            return seconds
        fields = {"minute": minute, "hour": hour, "day": iv.days, "month": months,
                  "quarter": _trunc_div(months, 3) + 1, "year": years, "decade": _trunc_div(years, 10),
                  "century": _trunc_div(years, 100), "millennium": _trunc_div(years, 1000)}
        if unit not in fields:
            raise _not_supported(low, INTERVAL)
        return Decimal(fields[unit])
    if utype == _RESERV and unit == "epoch":
        if not numeric:
            return (iv.microseconds / 1_000_000.0 + 365.25 * 86400 * _trunc_div(iv.months, 12)
                    + 30.0 * 86400 * _c_mod(iv.months, 12) + 86400.0 * iv.days)
        secs = (1461 * _trunc_div(iv.months, 12) + 120 * _c_mod(iv.months, 12) + 4 * iv.days) * 21600
        return _scaled(secs * 1_000_000 + iv.microseconds, 6)
    raise _not_recognized(low, INTERVAL)
