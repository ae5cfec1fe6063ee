"""to_char for timestamp, timestamptz and interval: PostgreSQL's date/time template
patterns (YYYY, Month, HH24, TZ, FM, TH, ...) over broken-down time fields.

The value is first broken into `Fields` (year, month, day, hour, ... in the session time
zone for timestamptz; the interval's own fields for an interval), then each template node
is rendered. lc_time is C, so TM (translation mode) gives the English names, unpadded.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgsvc.errors import SqlError
from pgsvc.sql.functions.fmt_template import Node, ordinal_suffix, parse_datetime_template
from pgsvc.sql.types import dates as D
from pgsvc.sql.types.context import FormatContext
from pgsvc.sql.types.interval import Interval

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")
DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


@dataclass(slots=True)
class Fields:
    year: int  # astronomical (0 = 1 BC) for timestamps; the interval's years for intervals
    mon: int
    mday: int
    hour: int
    minute: int
    sec: int
    usec: int
    yday: int = 0
    wday: int = 0  # 0 = Sunday
    gmtoff: int = 0  # seconds east of UTC
    tzn: str | None = None  # zone abbreviation (timestamptz only)
    is_interval: bool = False


# --- breaking values into fields ----------------------------------------------------

def timestamp_fields(us: int, ctx: FormatContext, with_tz: bool) -> Fields:
    y, m, d, tod, offset, abbrev = D.local_fields(us, ctx, with_tz)
    jd = D.date2j(y, m, d)
    hour, rest = divmod(tod, 3_600_000_000)
    minute, rest = divmod(rest, 60_000_000)
    sec, usec = divmod(rest, 1_000_000)
    tzn = None
    if with_tz:
        tzn = D.format_offset(offset) if abbrev is None else abbrev
    return Fields(y, m, d, hour, minute, sec, usec, jd - D.date2j(y, 1, 1) + 1, (jd + 1) % 7,
                  offset, tzn)


def _trunc_divmod(a: int, b: int) -> tuple[int, int]:
    """C integer division (towards zero), as PostgreSQL's interval2tm uses."""
    q = abs(a) // b * (1 if a >= 0 else -1)
    return q, a - q * b


def interval_fields(iv: Interval) -> Fields:
    year, mon = _trunc_divmod(iv.months, 12)
    hour, rest = _trunc_divmod(iv.microseconds, 3_600_000_000)
    minute, rest = _trunc_divmod(rest, 60_000_000)
    sec, usec = _trunc_divmod(rest, 1_000_000)
    # yday approximates the whole span in days (30-day months), as PostgreSQL does
    yday = (year * 12 + mon) * 30 + iv.days
    return Fields(year, mon, iv.days, hour, minute, sec, usec, yday, 0, is_interval=True)


# --- rendering -------------------------------------------------------------------------

def to_char_timestamp(us: int, fmt: str, ctx: FormatContext, with_tz: bool) -> str | None:
    if us in (D.NOBEGIN, D.NOEND):
        return None  # to_char of an infinite timestamp is NULL
    return render(parse_datetime_template(fmt), timestamp_fields(us, ctx, with_tz))


def to_char_interval(iv: Interval, fmt: str) -> str:
    return render(parse_datetime_template(fmt), interval_fields(iv))


def render(nodes: tuple[Node, ...], f: Fields) -> str:
    out = []
    for node in nodes:
        if node.kind == "char":
            out.append(node.text)
            continue
        text = _KEYWORDS[node.upper](node, f)
        if node.th and text and node.upper not in _NO_ORDINAL:
            text += ordinal_suffix(text, node.th == "TH")
        out.append(text)
    return "".join(out)


def _num(node: Node, value: int, width: int) -> str:
    """A number zero-padded to `width` (one more for a minus sign); FM: no padding."""
    if node.fm:
        return str(value)
    return _zero_pad(value, width + (value < 0))


def _zero_pad(value: int, width: int) -> str:
    """C's "%0*d": the minus sign counts towards the width."""
    if value < 0:
        return "-" + str(-value).zfill(width - 1)
    return str(value).zfill(width)


def _day_num(node: Node, value: int, width: int) -> str:
    """DD / DDD: padded to the width with the sign inside it."""
    return str(value) if node.fm else _zero_pad(value, width)


def _no_interval(f: Fields) -> None:
    if f.is_interval:
        raise SqlError("22007", "invalid format specification for an interval value",
                       hint="Intervals are not tied to specific calendar dates.")


def _shown_year(f: Fields) -> int:
    """Years as printed: 1 BC is year 1 (intervals print their own count)."""
    if f.is_interval or f.year > 0:
        return f.year
    return -(f.year - 1)


def _year(node: Node, f: Fields, year: int, digits: int) -> str:
    """YYYY (plain beyond four digits), or the year's last 3/2/1 digits (C remainder)."""
    if digits == 4:
        return _num(node, year, 4) if -9998 <= f.year <= 9999 else str(year)
    part = _trunc_divmod(year, 10 ** digits)[1]
    return str(part) if digits == 1 else _num(node, part, digits)


def _case(node: Node, name: str) -> str:
    t = node.text
    if t.isupper():
        return name.upper()
    if t.islower():
        return name.lower()
    return name


def _padded_name(node: Node, name: str, width: int) -> str:
    if node.fm or node.tm:
        return name
    return name.ljust(width)


def _month(node: Node, f: Fields) -> str:
    _no_interval(f)
    name = MONTH_NAMES[f.mon - 1]
    if node.upper == "MON":
        return _case(node, name[:3])
    return _padded_name(node, _case(node, name), 9)


def _day(node: Node, f: Fields) -> str:
    _no_interval(f)
    name = DAY_NAMES[f.wday]
    if node.upper == "DY":
        return _case(node, name[:3])
    return _padded_name(node, _case(node, name), 9)


def _roman_month(node: Node, f: Fields) -> str:
    if not f.mon and not f.year:
        return ""
    if f.mon == 0:
        # intervals of whole years: December for positive spans, January for negative ones
        idx = 11 if f.year >= 0 else 0
    elif f.mon < 0:
        idx = 12 + f.mon
    else:
        idx = f.mon - 1
    name = ROMAN_MONTHS[idx] if node.text == "RM" else ROMAN_MONTHS[idx].lower()
    return name if node.fm else name.ljust(4)


def _meridiem(node: Node, f: Fields) -> str:
    pm = _c_mod(f.hour, 24) >= 12
    word = {"AM": "PM" if pm else "AM", "PM": "PM" if pm else "AM",
            "A.M.": "P.M." if pm else "A.M.", "P.M.": "P.M." if pm else "A.M."}[node.upper]
    return word if node.text[0].isupper() else word.lower()


def _era(node: Node, f: Fields) -> str:
    _no_interval(f)
    bc = f.year <= 0
    word = {"AD": "BC" if bc else "AD", "BC": "BC" if bc else "AD",
            "A.D.": "B.C." if bc else "A.D.", "B.C.": "B.C." if bc else "A.D."}[node.upper]
    return word if node.text[0].isupper() else word.lower()


def _hour12(node: Node, f: Fields) -> str:
    h = int(_c_mod(f.hour, 12))
    return _num(node, h if h else 12, 2)


def _c_mod(a: int, b: int) -> int:
    return a - b * int(a / b) if a >= 0 else -((-a) % b)


def _century(node: Node, f: Fields) -> str:
    if f.is_interval:
        c = _trunc_divmod(f.year, 100)[0]
    elif f.year > 0:
        c = (f.year - 1) // 100 + 1
    else:
        c = -((-f.year) // 100) - 1  # 600 BC .. 501 BC is century -6
    if -99 <= c <= 99:
        return _num(node, c, 2)
    return str(c)


def _tz_abbrev(node: Node, f: Fields) -> str:
    _no_interval(f)
    if f.tzn is None:
        return ""
    return f.tzn.upper() if node.text == "TZ" else f.tzn.lower()


def _offset_hours(node: Node, f: Fields) -> str:
    _no_interval(f)
    sign = "-" if f.gmtoff < 0 else "+"
    return f"{sign}{abs(f.gmtoff) // 3600:02d}"


def _offset_minutes(node: Node, f: Fields) -> str:
    _no_interval(f)
    return f"{abs(f.gmtoff) % 3600 // 60:02d}"


def _offset(node: Node, f: Fields) -> str:
    _no_interval(f)
    sign = "-" if f.gmtoff < 0 else "+"
    hours = abs(f.gmtoff) // 3600
    text = sign + (str(hours) if node.fm else f"{hours:02d}")
    if abs(f.gmtoff) % 3600:
        text += f":{abs(f.gmtoff) % 3600 // 60:02d}"
    return text


def _julian(node: Node, f: Fields) -> str:
    return str(D.date2j(f.year, f.mon, f.mday))


# ISO 8601 week dates ----------------------------------------------------------------

def iso_week_start(iso_year: int) -> int:
    """Julian day of the Monday starting ISO week 1 of `iso_year` (the week holding Jan 4)."""
    jan4 = D.date2j(iso_year, 1, 4)
    return jan4 - (jan4 % 7)  # julian day % 7 == 0 is a Monday


def iso_year_week(f: Fields) -> tuple[int, int, int]:
    """(ISO year, ISO week, ISO day of year) of the date in f."""
    jd = D.date2j(f.year, f.mon, f.mday)
    year = f.year
    start = iso_week_start(year)
    if jd < start:
        year -= 1
        start = iso_week_start(year)
    else:
        nxt = iso_week_start(year + 1)
        if jd >= nxt:
            year, start = year + 1, nxt
    return year, (jd - start) // 7 + 1, jd - start + 1


def _iso_year(node: Node, f: Fields, digits: int) -> str:
    year = iso_year_week(f)[0]
    shown = year if year > 0 or f.is_interval else -(year - 1)
    if digits == 4:
        # the width follows the calendar year's sign, not the ISO year's (as in PostgreSQL)
        if node.fm or not -9998 <= f.year <= 9999:
            return str(shown)
        return _zero_pad(shown, 4 if _shown_year(f) >= 0 else 5)
    return _year(node, f, shown, digits)


def _iso_week(node: Node, f: Fields) -> str:
    # intervals: computed from the raw fields, as PostgreSQL does
    return _num(node, iso_year_week(f)[1], 2)


def _iso_day(node: Node, f: Fields) -> str:
    _no_interval(f)
    return str(f.wday or 7)


def _iso_yday(node: Node, f: Fields) -> str:
    return _num(node, iso_year_week(f)[2], 3)


def _y_comma_yyy(node: Node, f: Fields) -> str:
    year = _shown_year(f)
    thousands = _trunc_divmod(year, 1000)[0]
    return f"{thousands},{_zero_pad(year - thousands * 1000, 3)}"


def _fraction(digits: int):
    """FF1..FF6: the first `digits` digits of the fraction of a second."""
    def render_fraction(node: Node, f: Fields) -> str:
        return f"{_trunc_divmod(f.usec, 10 ** (6 - digits))[0]:0{digits}d}"
    return render_fraction


_NO_ORDINAL = {"DAY", "DY", "MONTH", "MON", "RM", "AM", "PM", "A.M.", "P.M.", "AD", "BC", "A.D.",
               "B.C.", "TZ", "TZH", "TZM", "OF", "FX"}

_KEYWORDS = {
    "HH": _hour12, "HH12": _hour12,
    "HH24": lambda n, f: _num(n, f.hour, 2),
    "MI": lambda n, f: _num(n, f.minute, 2),
    "SS": lambda n, f: _num(n, f.sec, 2),
    "MS": lambda n, f: f"{_trunc_divmod(f.usec, 1000)[0]:03d}",
    "US": lambda n, f: f"{f.usec:06d}",
    **{f"FF{k}": _fraction(k) for k in range(1, 7)},
    "SSSS": lambda n, f: str(f.hour * 3600 + f.minute * 60 + f.sec),
    "SSSSS": lambda n, f: str(f.hour * 3600 + f.minute * 60 + f.sec),
    "AM": _meridiem, "PM": _meridiem, "A.M.": _meridiem, "P.M.": _meridiem,
    "AD": _era, "BC": _era, "A.D.": _era, "B.C.": _era,
    "TZ": _tz_abbrev, "TZH": _offset_hours, "TZM": _offset_minutes, "OF": _offset,
    "MONTH": _month, "MON": _month,
    "MM": lambda n, f: _num(n, f.mon, 2),
    "DAY": _day, "DY": _day,
    "DDD": lambda n, f: _day_num(n, f.yday, 3),
    "IDDD": _iso_yday,
    "DD": lambda n, f: _day_num(n, f.mday, 2),
    "D": lambda n, f: (_no_interval(f), str(f.wday + 1))[1],
    "ID": _iso_day,
    "WW": lambda n, f: _num(n, _trunc_divmod(f.yday - 1, 7)[0] + 1, 2),
    "IW": _iso_week,
    "Q": lambda n, f: str(_trunc_divmod(f.mon - 1, 3)[0] + 1) if f.mon else "",
    "CC": _century,
    "Y,YYY": _y_comma_yyy,
    "YYYY": lambda n, f: _year(n, f, _shown_year(f), 4),
    "YYY": lambda n, f: _year(n, f, _shown_year(f), 3),
    "YY": lambda n, f: _year(n, f, _shown_year(f), 2),
    "Y": lambda n, f: _year(n, f, _shown_year(f), 1),
    "IYYY": lambda n, f: _iso_year(n, f, 4),
    "IYY": lambda n, f: _iso_year(n, f, 3),
    "IY": lambda n, f: _iso_year(n, f, 2),
    "I": lambda n, f: _iso_year(n, f, 1),
    "RM": _roman_month,
    "W": lambda n, f: str(_trunc_divmod(f.mday - 1, 7)[0] + 1),
    "J": _julian,
    "FX": lambda n, f: "",
}
