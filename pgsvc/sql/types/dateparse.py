"""Date/time text input (PostgreSQL's ParseDateTime/DecodeDateTime, common forms).

Accepts ISO 8601 ('2024-01-02 03:04:05.5+01', 'T' separator), DateStyle-ordered
numeric dates ('1/2/2024', '02.01.2024'), month names ('Jan 2 2024', '2 January
2024', '2024-Jan-02'), 'YYYYMMDD', weekday names (ignored), AM/PM, BC/AD, zone
offsets/names/abbreviations, Julian 'J2451545', and the specials epoch, infinity,
-infinity, now, today, tomorrow, yesterday, allballs.
"""

from __future__ import annotations

import datetime as _dt
import re

from pgsvc.errors import SqlError
from pgsvc.sql.types import dates as D
from pgsvc.sql.types.context import FormatContext
from pgsvc.sql.types.dyn_abbrev import DYNAMIC, AbbrevZone, dynamic_zone
from pgsvc.timezones import fixed_offset, pg_tzset, wide_east

_MONTHS = {m.lower(): i + 1 for i, m in enumerate(D.MONTHS)}
_MONTHS.update({"january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7,
                "august": 8, "september": 9, "sept": 9, "october": 10, "november": 11,
                "december": 12})
_DOWS = {"sun", "mon", "tue", "tues", "wed", "wednesday", "thu", "thur", "thurs", "fri", "sat",
         "sunday", "monday", "tuesday", "thursday", "friday", "saturday"}
_ABBREVS = {"utc": 0, "gmt": 0, "z": 0, "zulu": 0, "ut": 0, "est": -5 * 3600, "edt": -4 * 3600,
            "cst": -6 * 3600, "cdt": -5 * 3600, "mst": -7 * 3600, "mdt": -6 * 3600,
            "pst": -8 * 3600, "pdt": -7 * 3600, "cet": 3600, "cest": 7200, "eet": 7200,
            "eest": 10800, "bst": 3600, "jst": 9 * 3600, "ist": 7200, "msk": 3 * 3600,
            "wet": 0, "west": 3600, "akst": -9 * 3600, "hst": -10 * 3600, "aest": 10 * 3600}

_TOKEN = re.compile(
    r"(?P<time>\d{1,2}:\d{1,2}(?::\d{1,2}(?:[.,]\d*)?)?)"
    r"|(?P<date>(?:\d+|[a-z]+)(?P<sep>[-/.])(?:\d+|[a-z]+)(?P=sep)(?:\d+|[a-z]+))"
    r"|(?P<offset>[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)"
    r"|(?P<num>\d+(?:\.\d*)?)"
    r"|(?P<word>[a-z](?:[a-z0-9_]|[/+-]+(?=[a-z0-9_])|(?<=\d)[:.](?=\d))*)"
    r"|(?P<skip>[\s,]+)", re.I)


class _Fields:
    def __init__(self) -> None:
        self.year = self.month = self.day = None
        self.hour = self.minute = 0
        self.second = 0
        self.micro = 0
        self.has_time = False
        self.tz: int | _dt.tzinfo | None = None
        self.bc = False
        self.pm: bool | None = None
        self.year_digits = 4
        self.julian: int | None = None


def _bad(type_name: str, text: str) -> SqlError:
    return SqlError("22007", f'invalid input syntax for type {type_name}: "{text}"')


def _range(text: str, hint: bool = False) -> SqlError:
    return SqlError("22008", f'date/time field value out of range: "{text}"',
                    hint='Perhaps you need a different "datestyle" setting.' if hint else None)


def _special(word: str, ctx: FormatContext):
    """Special input words -> ('abs', micros-utc) / ('rel', local date offset) / ('inf', us)."""
    w = word.strip().lower()
    if w in ("infinity", "+infinity"):
        return ("inf", D.NOEND)
    if w == "-infinity":
        return ("inf", D.NOBEGIN)
    if w == "epoch":
        return ("epoch", None)
    if w == "now":
        return ("now", None)
    if w in ("today", "tomorrow", "yesterday"):
        return ("day", {"today": 0, "tomorrow": 1, "yesterday": -1}[w])
    return None


def parse_fields(text: str, ctx: FormatContext, type_name: str) -> _Fields:
    s = text.strip()
    f = _Fields()
    pos, tokens = 0, []
    low = re.sub(r"(\d)t(\d)", r"\1 \2", s.lower())
    while pos < len(low):
        m = _TOKEN.match(low, pos)
        if not m or m.end() == pos:
            raise _bad(type_name, text)
        pos = m.end()
        if m.lastgroup != "skip":
            tokens.append((m.lastgroup, m.group(m.lastgroup)))
    numbers: list[str] = []
    prev = None
    for kind, tok in tokens:
        if kind == "time":
            _set_time(f, tok, text, type_name)
        elif kind == "date":
            _set_date(f, tok, ctx, text, type_name)
        elif kind == "offset":
            if prev in ("time", "date", "num", "word") and (f.has_time or f.year is not None):
                f.tz = _offset_seconds(tok, text, type_name)
            elif tok.lstrip("+-").isdigit() and prev is None and not f.has_time:
                raise _bad(type_name, text)
            else:
                f.tz = _offset_seconds(tok, text, type_name)
        elif kind == "num":
            whole, dot, frac = tok.partition(".")
            if dot and f.year is not None and not f.has_time and len(whole) == 6:
                _set_time(f, tok[:2] + ":" + tok[2:4] + ":" + tok[4:], text, type_name)
            elif not dot and len(whole) >= 8 and f.year is None and f.month is None and not numbers:
                # YYYYMMDD (or a longer year) first: the date, so that a HHMMSS after it is the time
                f.year_digits = len(whole) - 4
                f.year, f.month, f.day = int(whole[:-4]), int(whole[-4:-2]), int(whole[-2:])
            elif dot and len(whole) == 4 and len(frac) == 3 and f.year is None and f.month is None:
                _set_day_of_year(f, int(whole), int(frac), text, type_name)  # YYYY.DDD
            else:
                numbers.append(tok)
        elif tok in _RELATIVE_DAYS and f.year is None and f.month is None:
            # today / tomorrow / yesterday with a time or a zone: that date in the session's zone
            y, m, d = D.j2date(D.date_to_days(_now_local(ctx).date()) + _RELATIVE_DAYS[tok]
                               + D.POSTGRES_EPOCH_JDATE)
            f.year, f.month, f.day = y, m, d
        else:
            _word(f, tok, text, type_name)
        prev = kind
    _assign_numbers(f, numbers, ctx, text, type_name)
    return f


_RELATIVE_DAYS = {"today": 0, "tomorrow": 1, "yesterday": -1}


def _set_day_of_year(f: _Fields, year: int, doy: int, text: str, type_name: str) -> None:
    if not 1 <= doy <= 366:  # (ValidateDate: 366 in any year)
        raise _bad(type_name, text)
    f.year, f.month, f.day = D.j2date(D.date2j(year, 1, 1) + doy - 1)


def _set_time(f: _Fields, tok: str, text: str, type_name: str) -> None:
    parts = tok.replace(",", ".").split(":")
    f.hour, f.minute = int(parts[0]), int(parts[1])
    if len(parts) > 2:
        sec, _, frac = parts[2].partition(".")
        f.second = int(sec)
        frac = (frac + "0000000")[:7]
        f.micro = (int(frac) + 5) // 10 if frac.strip("0") else 0
    f.has_time = True
    if f.hour > 24 or f.minute > 59 or f.second > 60:
        raise _range(text)


def _set_date(f: _Fields, tok: str, ctx: FormatContext, text: str, type_name: str) -> None:
    parts = re.split(r"[-/.]", tok)
    month_idx = next((i for i, p in enumerate(parts) if p.isalpha()), None)
    if month_idx is not None:
        mon = _MONTHS.get(parts[month_idx])
        if mon is None:
            raise _bad(type_name, text)
        rest = [p for i, p in enumerate(parts) if i != month_idx]
        f.month = mon
        if len(rest[0]) >= 3 or month_idx == 1 and len(rest[0]) > 2:
            f.year, f.day = int(rest[0]), int(rest[1])
            f.year_digits = len(rest[0])
        elif len(rest[1]) >= 3 or ctx.date_order != "YMD":
            f.day, f.year = int(rest[0]), int(rest[1])
            f.year_digits = len(rest[1])
        else:
            f.year, f.day = int(rest[0]), int(rest[1])
            f.year_digits = len(rest[0])
        return
    if len(parts[0]) >= 3:
        f.year, f.month, f.day = (int(p) for p in parts)
        f.year_digits = len(parts[0])
        return
    order = ctx.date_order
    a, b, c = (int(p) for p in parts)
    f.year_digits = len(parts[2])
    if order == "DMY":
        f.day, f.month, f.year = a, b, c
    elif order == "YMD":
        f.year, f.month, f.day = a, b, c
        f.year_digits = len(parts[0])
    else:
        f.month, f.day, f.year = a, b, c
    if f.month > 12:
        raise _range(text, hint=True)


def _offset_seconds(tok: str, text: str, type_name: str) -> int:
    sign = -1 if tok[0] == "-" else 1
    body = tok[1:].replace(":", "")
    if len(body) <= 2:
        h, m, s = int(body), 0, 0
    elif len(body) <= 4:
        h, m, s = int(body[:-2]), int(body[-2:]), 0
    else:
        h, m, s = int(body[:-4]), int(body[-4:-2]), int(body[-2:])
    if h > 15 or m >= 60 or s >= 60:
        raise SqlError("22009", f'time zone displacement out of range: "{text}"')
    return sign * (h * 3600 + m * 60 + s)


def _word(f: _Fields, tok: str, text: str, type_name: str) -> None:
    if tok in _MONTHS:
        f.month = _MONTHS[tok]
    elif tok in _DOWS or tok == "on":
        pass
    elif tok in ("am", "a.m."):
        f.pm = False
    elif tok in ("pm", "p.m."):
        f.pm = True
    elif tok == "bc":
        f.bc = True
    elif tok == "ad":
        pass
    elif tok == "t":
        pass
    elif tok == "allballs":
        f.hour = f.minute = f.second = f.micro = 0
        f.has_time = True
    elif tok in DYNAMIC and dynamic_zone(tok) is not None:
        f.tz = dynamic_zone(tok)
    elif tok in _ABBREVS:
        f.tz = _ABBREVS[tok]
    elif tok.startswith("j") and tok[1:].isdigit():
        f.julian = int(tok[1:])
    else:
        f.tz = _zone(tok, text, type_name)


def zone_abbrev(name: str) -> int | None:
    """The UTC offset (seconds east) of a time zone abbreviation date/time input knows
    (lower-case name), or None."""
    return _ABBREVS.get(name)


def _zone(tok: str, text: str, type_name: str) -> _dt.tzinfo:
    """A zone name in the input (DecodeDateTime): a word with '/', '+', '-' or a digit in it is
    read by pg_tzset ('America/New_York', 'EST5EDT', 'UTC+3' in POSIX's sign); a bare word
    that is no abbreviation is a syntax error."""
    if tok.isalpha():
        raise _bad(type_name, text)
    zone = pg_tzset(tok)
    if zone is None:
        raise SqlError("22023", f'time zone "{tok}" not recognized')
    wide = wide_east(zone.tzinfo)
    return zone.tzinfo if wide is None else wide


def _assign_numbers(f: _Fields, numbers: list[str], ctx: FormatContext, text: str,
                    type_name: str) -> None:
    if not numbers:
        return
    if f.year is None and f.month is None and len(numbers) == 1 and len(numbers[0]) in (6, 8):
        n = numbers[0]
        f.year_digits = len(n) - 4
        f.year, f.month, f.day = int(n[:-4]), int(n[-4:-2]), int(n[-2:])
        return
    if f.year is None and f.month is not None:
        ints = [n for n in numbers if "." not in n]
        if len(ints) == 2:
            if len(ints[0]) >= 3 or int(ints[0]) > 31:
                f.year, f.day = int(ints[0]), int(ints[1])
                f.year_digits = len(ints[0])
            else:
                f.day, f.year = int(ints[0]), int(ints[1])
                f.year_digits = len(ints[1])
            return
        if len(ints) == 1 and f.day is None:
            f.day = int(ints[0])
            return
    if f.year is not None and not f.has_time and len(numbers) == 1 and len(numbers[0]) in (4, 6):
        n = numbers[0]
        f.hour, f.minute = int(n[:2]), int(n[2:4])
        f.second = int(n[4:6]) if len(n) == 6 else 0
        f.has_time = True
        return
    raise _bad(type_name, text)


def _resolve_year(f: _Fields, text: str) -> int:
    year = f.year
    if f.year_digits == 2 and not f.bc:
        year += 2000 if year < 70 else 1900
    if f.bc:
        if year == 0:
            raise _range(text)
        year = 1 - year
    elif year == 0 and f.year_digits <= 4:
        raise _range(text)
    return year


def parse_date_days(text: str, ctx: FormatContext) -> int:
    special = _special(text, ctx)
    if special:
        return _special_days(special, ctx)
    f = parse_fields(text, ctx, "date")
    if f.julian is not None and f.year is None:
        return f.julian - D.POSTGRES_EPOCH_JDATE
    return _ymd_days(f, text, "date")


def _ymd_days(f: _Fields, text: str, type_name: str) -> int:
    if f.year is None or f.month is None or f.day is None:
        raise _bad(type_name, text)
    year = _resolve_year(f, text)
    if not 1 <= f.month <= 12 or not 1 <= f.day <= 31:  # DTERR_MD_FIELD_OVERFLOW (ValidateDate):
        raise _range(text, hint=True)  # month and day may be swapped
    if not 1 <= f.month <= 12 or not 1 <= f.day <= D.days_in_month(year, f.month):
        raise _range(text)
    days = D.date2j(year, f.month, f.day) - D.POSTGRES_EPOCH_JDATE
    if not -D.POSTGRES_EPOCH_JDATE <= days < 2147483494 - D.POSTGRES_EPOCH_JDATE:
        what = "timestamp" if type_name.startswith("timestamp") else "date"  # (IS_VALID_JULIAN in each)
        raise SqlError("22008", f'{what} out of range: "{text}"')
    return days


def _now_local(ctx: FormatContext) -> _dt.datetime:
    return ctx.current_time().astimezone(ctx.tzinfo)


def _special_days(special, ctx: FormatContext) -> int:
    kind, value = special
    if kind == "inf":
        return D.DATE_NOEND if value == D.NOEND else D.DATE_NOBEGIN
    if kind == "epoch":
        return D.date_to_days(_dt.date(1970, 1, 1))
    today = D.date_to_days(_now_local(ctx).date())
    return today + (value if kind == "day" else 0)


def _time_micros(f: _Fields, text: str) -> int:
    hour = f.hour
    if f.pm is not None:
        if hour > 12:
            raise _range(text)
        hour = (hour % 12) + (12 if f.pm else 0)
    us = ((hour * 60 + f.minute) * 60 + f.second) * 1_000_000 + f.micro
    if us > D.USECS_PER_DAY:
        raise _range(text)
    return us


def parse_timestamp_micros(text: str, ctx: FormatContext, with_tz: bool) -> int:
    type_name = "timestamp with time zone" if with_tz else "timestamp"  # (as timestamp_in names it)
    special = _special(text, ctx)
    if special:
        return _special_micros(special, ctx, with_tz)
    f = parse_fields(text, ctx, type_name)
    if f.julian is not None and f.year is None:
        days = f.julian - D.POSTGRES_EPOCH_JDATE
    else:
        days = _ymd_days(f, text, type_name)
    local = days * D.USECS_PER_DAY + _time_micros(f, text)
    if not with_tz:
        return D.check_timestamp(local, text)
    return D.check_timestamp(to_utc(local, f.tz, ctx), text)


def to_utc(local_us: int, tz, ctx: FormatContext) -> int:
    if isinstance(tz, int):
        return local_us - tz * 1_000_000
    zone = tz if tz is not None else ctx.tzinfo
    wide = wide_east(zone)
    if wide is not None:
        return local_us - wide * 1_000_000
    days = local_us // D.USECS_PER_DAY
    probe = local_us
    if days >= 2921938:  # past year 9999: the same day 400 years back (the calendar repeats),
        probe -= ((days - 2921938) // 146097 + 1) * 146097 * D.USECS_PER_DAY  # the zone rule too
        days = probe // D.USECS_PER_DAY
    if -730119 < days < 2921938:
        naive = (D.POSTGRES_EPOCH + _dt.timedelta(microseconds=probe)).replace(tzinfo=zone)
        # a local time the zone skips or repeats: PostgreSQL takes the offset before a gap and the
        # one after a fold (DetermineTimeZoneOffset), the smaller of the two either way
        offset = min(naive.utcoffset(), naive.replace(fold=1).utcoffset())
    else:
        year = 1 if days < 0 else 9999
        offset = _dt.datetime(year, 6, 1, tzinfo=zone).utcoffset()
    return local_us - int(offset.total_seconds()) * 1_000_000


def _special_micros(special, ctx: FormatContext, with_tz: bool) -> int:
    kind, value = special
    if kind == "inf":
        return value
    if kind == "epoch":
        return D.timestamp_to_micros(_dt.datetime(1970, 1, 1))
    now = ctx.current_time()
    if kind == "now":
        if with_tz:
            return D.timestamp_to_micros(now)
        return D.timestamp_to_micros(now.astimezone(ctx.tzinfo).replace(tzinfo=None))
    local_days = D.date_to_days(now.astimezone(ctx.tzinfo).date()) + value
    local = local_days * D.USECS_PER_DAY
    return to_utc(local, None, ctx) if with_tz else local


def parse_time_micros(text: str, ctx: FormatContext, with_tz: bool = False):
    type_name = "time with time zone" if with_tz else "time"  # (as time_in names it)
    low = text.strip().lower()
    if low == "now":
        local = ctx.current_time().astimezone(ctx.tzinfo)
        us = D.time_to_micros(local.time())
        return (us, int(local.utcoffset().total_seconds())) if with_tz else us
    if low == "allballs":
        return (0, 0) if with_tz else 0
    f = parse_fields(text, ctx, type_name)
    if not f.has_time:
        raise _bad(type_name, text)
    us = _time_micros(f, text)
    tz = f.tz
    if isinstance(tz, AbbrevZone):  # a dynamic abbreviation: its meaning now (as PostgreSQL reads it)
        tz = int(tz.at_instant(ctx.current_time().astimezone(_dt.UTC).replace(tzinfo=None)).total_seconds())
    if not with_tz:
        if tz is not None and not isinstance(tz, int) and fixed_offset(tz) is None and f.year is None:
            raise _bad(type_name, text)  # (a zone whose offset needs a date, and none given)
        return us
    if tz is not None and not isinstance(tz, int):
        # a zone named in the input (DecodeTimeOnly): one that has always had one offset
        # needs no date; otherwise the date given decides, and without one it is an error
        fixed = fixed_offset(tz)
        if fixed is not None:
            return us, fixed
        if f.year is None or f.month is None or f.day is None:
            raise _bad(type_name, text)
        local = _ymd_days(f, text, type_name) * D.USECS_PER_DAY + us
        return us, (local - to_utc(local, tz, ctx)) // 1_000_000
    if tz is None:
        tz = ctx.tzinfo
        tz = wide_east(tz) if wide_east(tz) is not None else tz
    if not isinstance(tz, int):
        probe = _dt.datetime.now(_dt.UTC).astimezone(tz)
        tz = int(probe.utcoffset().total_seconds())
    return us, tz
