"""date, time, timestamp, timestamptz: PostgreSQL's day/microsecond arithmetic
(Julian day numbers, BC years, infinities) and text output per DateStyle/TimeZone.

Internal forms (also the stored forms): date = days since 2000-01-01; timestamp(tz) =
microseconds since 2000-01-01 00:00 (UTC for timestamptz); time = microseconds since
midnight; +-infinity = the int64 extremes. Python values are date/datetime/time
where Python can represent them; out-of-range (BC, year > 9999) values stay ints of
the internal form, which every function here accepts as well.
"""

from __future__ import annotations

import datetime as _dt

from pgsvc.errors import SqlError
from pgsvc.sql.types.context import FormatContext
from pgsvc.timezones import wide_east

POSTGRES_EPOCH_JDATE = 2451545
UNIX_EPOCH_JDATE = 2440588
USECS_PER_DAY = 86_400_000_000
NOBEGIN = -(1 << 63)
NOEND = (1 << 63) - 1
DATE_NOBEGIN = -(1 << 31)
DATE_NOEND = (1 << 31) - 1
_PY_MIN_DAYS = -730119  # 0001-01-01
_PY_MAX_DAYS = 2921938  # 9999-12-31
# PostgreSQL's epoch, 2000-01-01 00:00: as a timestamp, a timestamptz and in Unix seconds
POSTGRES_EPOCH = _dt.datetime(2000, 1, 1)
POSTGRES_EPOCH_UTC = POSTGRES_EPOCH.replace(tzinfo=_dt.UTC)
POSTGRES_EPOCH_UNIX = int(POSTGRES_EPOCH_UTC.timestamp())
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def date2j(y: int, m: int, d: int) -> int:
    if m > 2:
        m, y = m + 1, y + 4800
    else:
        m, y = m + 13, y + 4799
    century = y // 100
    julian = y * 365 - 32167 + y // 4 - century + century // 4
    return julian + 7834 * m // 256 + d


def j2date(jd: int) -> tuple[int, int, int]:
    julian = jd + 32044
    quad = julian // 146097
    extra = (julian - quad * 146097) * 4 + 3
    julian += 60 + quad * 3 + extra // 146097
    quad = julian // 1461
    julian -= quad * 1461
    y = julian * 4 // 1461
    julian = ((julian + 305) % 365 if y != 0 else (julian + 306) % 366) + 123
    y += quad * 4
    quad = julian * 2141 // 65536
    return y - 4800, (quad + 10) % 12 + 1, julian - 7834 * quad // 256


def days_in_month(y: int, m: int) -> int:
    if m == 2:
        return 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    return 30 if m in (4, 6, 9, 11) else 31


# --- conversions between Python values and internal ints -----------------------------

def date_to_days(value) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return DATE_NOEND if value == "infinity" else DATE_NOBEGIN
    if isinstance(value, _dt.datetime):
        value = value.date()
    return value.toordinal() - 730120


def days_to_date(days: int):
    if days >= DATE_NOEND:
        return "infinity"
    if days <= DATE_NOBEGIN:
        return "-infinity"
    if _PY_MIN_DAYS <= days <= _PY_MAX_DAYS:
        return _dt.date.fromordinal(days + 730120)
    return days


def timestamp_to_micros(value) -> int:
    """naive datetime (wall clock) or aware datetime (-> UTC) -> microseconds since 2000."""
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return NOEND if value == "infinity" else NOBEGIN
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return date_to_days(value) * USECS_PER_DAY
    if value.tzinfo is not None:
        delta = value - POSTGRES_EPOCH_UTC
    else:
        delta = value - POSTGRES_EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def micros_to_timestamp(us: int, aware: bool):
    if us >= NOEND:
        return "infinity"
    if us <= NOBEGIN:
        return "-infinity"
    days = us // USECS_PER_DAY
    if not _PY_MIN_DAYS <= days <= _PY_MAX_DAYS:
        return us
    base = POSTGRES_EPOCH_UTC if aware else POSTGRES_EPOCH
    return base + _dt.timedelta(microseconds=us)


class TimeTz24:
    """timetz 24:00:00 (datetime.time stops at 23:59:59.999999) or with an offset of 24
    hours or more (datetime.timezone's limit): its microseconds and the zone's offset,
    read as a time value's are (utcoffset())."""

    __slots__ = ("micros", "offset")

    def __init__(self, micros: int, offset: int) -> None:
        self.micros, self.offset = micros, offset

    def utcoffset(self) -> _dt.timedelta:
        return _dt.timedelta(seconds=self.offset)

    def __eq__(self, other) -> bool:
        return isinstance(other, TimeTz24) and (self.micros, self.offset) == (other.micros, other.offset)

    def __hash__(self) -> int:
        return hash((self.micros, self.offset))

    def __repr__(self) -> str:
        return f"TimeTz24({self.micros}, {self.offset})"


def micros_to_timetz(us: int, offset: int):
    """A timetz value: a datetime.time with its fixed offset (seconds east), or TimeTz24
    for 24:00:00 and for an offset of 24 hours or more (PostgreSQL's timetz allows 167,
    datetime.timezone less than 24)."""
    t = micros_to_time(us)
    if isinstance(t, int) or abs(offset) >= USECS_PER_DAY // 1_000_000:
        return TimeTz24(us, offset)
    return t.replace(tzinfo=_dt.timezone(_dt.timedelta(seconds=offset)))


def time_to_micros(value) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, TimeTz24):
        return value.micros
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


def micros_to_time(us: int):
    if us >= USECS_PER_DAY:
        return us  # 24:00:00 has no datetime.time
    s, micro = divmod(us, 1_000_000)
    m, sec = divmod(s, 60)
    h, minute = divmod(m, 60)
    return _dt.time(h, minute, sec, micro)


# --- output ------------------------------------------------------------------------

def _year_text(y: int) -> tuple[str, str]:
    if y <= 0:
        return f"{1 - y:04d}", " BC"
    return f"{y:04d}", ""


def _date_part(y: int, m: int, d: int, ctx: FormatContext) -> tuple[str, str]:
    year, bc = _year_text(y)
    style, order = ctx.date_output, ctx.date_order
    if style == "ISO":
        return f"{year}-{m:02d}-{d:02d}", bc
    if style == "SQL":
        return (f"{d:02d}/{m:02d}/{year}" if order == "DMY" else f"{m:02d}/{d:02d}/{year}"), bc
    if style == "German":
        return f"{d:02d}.{m:02d}.{year}", bc
    return (f"{d:02d}-{m:02d}-{year}" if order == "DMY" else f"{m:02d}-{d:02d}-{year}"), bc


def format_date(value, ctx: FormatContext) -> str:
    days = date_to_days(value)
    if days >= DATE_NOEND:
        return "infinity"
    if days <= DATE_NOBEGIN:
        return "-infinity"
    text, bc = _date_part(*j2date(days + POSTGRES_EPOCH_JDATE), ctx)
    return text + bc


def _time_text(us: int) -> str:
    s, micro = divmod(us, 1_000_000)
    m, sec = divmod(s, 60)
    h, minute = divmod(m, 60)
    text = f"{h:02d}:{minute:02d}:{sec:02d}"
    if micro:
        text += ("." + f"{micro:06d}").rstrip("0")
    return text


def format_time(value) -> str:
    return _time_text(time_to_micros(value))


def format_offset(seconds: int, iso: bool = True) -> str:
    """'+01', '+05:30', '-00:53:28' as PostgreSQL prints a UTC offset (EncodeTimezone)."""
    sign = "-" if seconds < 0 else "+"
    s = abs(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if sec:
        return f"{sign}{h:02d}:{m:02d}:{sec:02d}"
    if m:
        return f"{sign}{h:02d}:{m:02d}"
    return f"{sign}{h:02d}"


def format_timetz(value) -> str:
    offset = value.utcoffset() if isinstance(value, (_dt.time, TimeTz24)) else None
    secs = int(offset.total_seconds()) if offset is not None else 0
    return _time_text(time_to_micros(value)) + format_offset(secs)


def zone_offset(us: int, tz) -> tuple[int, str | None]:
    """(UTC offset in seconds east, abbreviation) of a zone at a UTC instant in micros."""
    wide = wide_east(tz)
    if wide is not None:  # 24 hours or more from UTC ('UTC+25'): no datetime can hold it
        return wide, tz.abbrev
    days = us // USECS_PER_DAY
    if _PY_MIN_DAYS + 1 <= days <= _PY_MAX_DAYS - 1:
        probe = (POSTGRES_EPOCH_UTC + _dt.timedelta(microseconds=us)).astimezone(tz)
    elif days > 0:
        # beyond 9999: the zone's rules repeat with the Gregorian calendar's 400-year
        # cycle (PostgreSQL extends the last rule the same way), so shift into range
        cycles = (days - (_PY_MAX_DAYS - 1)) // 146097 + 1
        probe = (POSTGRES_EPOCH_UTC + _dt.timedelta(microseconds=us - cycles * 146097 * USECS_PER_DAY)
                 ).astimezone(tz)
    else:
        # before year 1: the zone's earliest offset (a day inside Python's range)
        probe = _dt.datetime(1, 1, 2, tzinfo=_dt.UTC).astimezone(tz)
    return int(probe.utcoffset().total_seconds()), probe.tzname()


def local_fields(us: int, ctx: FormatContext, with_tz: bool):
    """(y, m, d, micros of day, utc offset seconds, zone abbreviation) in the session zone
    (the abbreviation may be empty, as the POSIX zone '-02:00' has it; None without one)."""
    offset, abbrev = 0, None
    if with_tz:
        offset, abbrev = zone_offset(us, ctx.tzinfo)
        us += offset * 1_000_000
    days, tod = divmod(us, USECS_PER_DAY)
    y, m, d = j2date(days + POSTGRES_EPOCH_JDATE)
    return y, m, d, tod, offset, abbrev


def format_timestamp(value, ctx: FormatContext, with_tz: bool = False) -> str:
    us = timestamp_to_micros(value)
    if us >= NOEND:
        return "infinity"
    if us <= NOBEGIN:
        return "-infinity"
    y, m, d, tod, offset, abbrev = local_fields(us, ctx, with_tz)
    style = ctx.date_output
    time_text = _time_text(tod)
    if style == "ISO":
        date_text, bc = _date_part(y, m, d, ctx)
        tz = format_offset(offset) if with_tz else ""
        return f"{date_text} {time_text}{tz}{bc}"
    tz = f" {format_offset(offset) if abbrev is None else abbrev}" if with_tz else ""
    if style == "Postgres":
        year, bc = _year_text(y)
        dow = DAYS[(date2j(y, m, d) + 1) % 7]
        if ctx.date_order == "DMY":
            return f"{dow} {d:02d} {MONTHS[m - 1]} {time_text} {year}{tz}{bc}"
        return f"{dow} {MONTHS[m - 1]} {d:02d} {time_text} {year}{tz}{bc}"
    date_text, bc = _date_part(y, m, d, ctx)
    return f"{date_text} {time_text}{tz}{bc}"


# --- range checks ------------------------------------------------------------------

MIN_TIMESTAMP = -211813488000000000  # 4714-11-24 00:00:00 BC
END_TIMESTAMP = 9223371331200000000  # 294277-01-01 00:00:00


def check_timestamp(us: int, text: str | None = None) -> int:
    if us in (NOBEGIN, NOEND):
        return us
    if not MIN_TIMESTAMP <= us < END_TIMESTAMP:
        if text is not None:
            raise SqlError("22008", f'timestamp out of range: "{text}"')
        raise SqlError("22008", "timestamp out of range")
    return us


def check_date(days: int, text: str | None = None) -> int:
    if days in (DATE_NOBEGIN, DATE_NOEND):
        return days
    if not -POSTGRES_EPOCH_JDATE <= days < 2147483494 - POSTGRES_EPOCH_JDATE:
        raise SqlError("22008", f'date out of range: "{text}"' if text else "date out of range")
    return days
