"""interval: PostgreSQL's representation (months, days, microseconds), its text input
(DecodeInterval's common forms and ISO 8601) and output in the four IntervalStyles.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from pgsvc.errors import SqlError

USECS_PER_SEC = 1_000_000
USECS_PER_MINUTE = 60 * USECS_PER_SEC
USECS_PER_HOUR = 60 * USECS_PER_MINUTE
USECS_PER_DAY = 24 * USECS_PER_HOUR
DAYS_PER_MONTH = 30


@dataclass(frozen=True, slots=True)
class Interval:
    months: int = 0
    days: int = 0
    microseconds: int = 0

    def span(self) -> int:
        """The comparison key PostgreSQL uses (interval_cmp_value): 30-day months, 24-hour days."""
        return (self.months * DAYS_PER_MONTH + self.days) * USECS_PER_DAY + self.microseconds

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.months + other.months, self.days + other.days,
                        self.microseconds + other.microseconds)

    def __sub__(self, other: Interval) -> Interval:
        return Interval(self.months - other.months, self.days - other.days,
                        self.microseconds - other.microseconds)

    def __neg__(self) -> Interval:
        return Interval(-self.months, -self.days, -self.microseconds)


# --- output ------------------------------------------------------------------------

def _trunc_div(a: int, b: int) -> tuple[int, int]:
    q = abs(a) // b
    q = -q if a < 0 else q
    return q, a - q * b


def _fields(iv: Interval) -> tuple[int, int, int, int, int, int, int]:
    year, mon = _trunc_div(iv.months, 12)
    hour, rest = _trunc_div(iv.microseconds, USECS_PER_HOUR)
    minute, rest = _trunc_div(rest, USECS_PER_MINUTE)
    sec, fsec = _trunc_div(rest, USECS_PER_SEC)
    return year, mon, iv.days, hour, minute, sec, fsec


def _seconds(sec: int, fsec: int, fillzeros: bool) -> str:
    text = f"{abs(sec):02d}" if fillzeros else str(abs(sec))
    if fsec:
        text += ("." + f"{abs(fsec):06d}").rstrip("0")
    return text


def format_interval(iv: Interval, style: str = "postgres") -> str:
    year, mon, mday, hour, minute, sec, fsec = _fields(iv)
    if style == "iso_8601":
        return _format_iso(year, mon, mday, hour, minute, sec, fsec)
    if style == "sql_standard":
        return _format_sql(year, mon, mday, hour, minute, sec, fsec)
    if style == "postgres_verbose":
        return _format_verbose(year, mon, mday, hour, minute, sec, fsec)
    return _format_postgres(year, mon, mday, hour, minute, sec, fsec)


def _format_postgres(year, mon, mday, hour, minute, sec, fsec) -> str:
    out, is_zero, is_before = [], True, False
    for value, unit in ((year, "year"), (mon, "mon"), (mday, "day")):
        if value == 0:
            continue
        out.append(("" if is_zero else " ") + ("+" if is_before and value > 0 else "")
                   + f"{value} {unit}" + ("s" if value != 1 else ""))
        is_before, is_zero = value < 0, False
    if is_zero or hour or minute or sec or fsec:
        minus = hour < 0 or minute < 0 or sec < 0 or fsec < 0
        sign = "-" if minus else ("+" if is_before else "")
        out.append(("" if is_zero else " ") + f"{sign}{abs(hour):02d}:{abs(minute):02d}:"
                   + _seconds(sec, fsec, True))
    return "".join(out)


def _format_verbose(year, mon, mday, hour, minute, sec, fsec) -> str:
    out, is_zero, is_before = ["@"], True, False
    for value, unit in ((year, "year"), (mon, "mon"), (mday, "day"), (hour, "hour"), (minute, "min")):
        if value == 0:
            continue
        if is_zero:
            is_before, value = value < 0, abs(value)
        elif is_before:
            value = -value
        out.append(f" {value} {unit}" + ("" if value == 1 else "s"))
        is_zero = False
    if sec or fsec:
        part = " "
        if sec < 0 or (sec == 0 and fsec < 0):
            if is_zero:
                is_before = True
            elif not is_before:
                part += "-"
        elif is_before:
            part += "-"
        part += _seconds(sec, fsec, False) + " sec" + ("s" if abs(sec) != 1 or fsec else "")
        out.append(part)
        is_zero = False
    if is_zero:
        out.append(" 0")
    if is_before:
        out.append(" ago")
    return "".join(out)


def _format_sql(year, mon, mday, hour, minute, sec, fsec) -> str:
    vals = (year, mon, mday, hour, minute, sec, fsec)
    has_neg, has_pos = any(v < 0 for v in vals), any(v > 0 for v in vals)
    has_ym = bool(year or mon)
    has_dt = bool(mday or hour or minute or sec or fsec)
    standard = not (has_neg and has_pos) and not (has_ym and has_dt)
    prefix = ""
    if has_neg and standard:
        prefix = "-"
        year, mon, mday, hour, minute, sec, fsec = (-v for v in vals)
    if not has_neg and not has_pos:
        return "0"
    if not standard:
        ys = "-" if year < 0 or mon < 0 else "+"
        ds = "-" if mday < 0 else "+"
        ss = "-" if hour < 0 or minute < 0 or sec < 0 or fsec < 0 else "+"
        return (f"{ys}{abs(year)}-{abs(mon)} {ds}{abs(mday)} {ss}{abs(hour)}:{abs(minute):02d}:"
                + _seconds(sec, fsec, True))
    if has_ym:
        return f"{prefix}{year}-{mon}"
    if mday:
        return f"{prefix}{mday} {hour}:{minute:02d}:" + _seconds(sec, fsec, True)
    return f"{prefix}{hour}:{minute:02d}:" + _seconds(sec, fsec, True)


def _format_iso(year, mon, mday, hour, minute, sec, fsec) -> str:
    if not any((year, mon, mday, hour, minute, sec, fsec)):
        return "PT0S"
    out = ["P"]
    for value, unit in ((year, "Y"), (mon, "M"), (mday, "D")):
        if value:
            out.append(f"{value}{unit}")
    if hour or minute or sec or fsec:
        out.append("T")
    for value, unit in ((hour, "H"), (minute, "M")):
        if value:
            out.append(f"{value}{unit}")
    if sec or fsec:
        out.append(("-" if sec < 0 or fsec < 0 else "") + _seconds(sec, fsec, False) + "S")
    return "".join(out)


# --- input -------------------------------------------------------------------------

_UNITS = {
    "microsecond": "us", "microseconds": "us", "us": "us", "usec": "us", "usecs": "us",
    "useconds": "us", "usecond": "us",
    "millisecond": "ms", "milliseconds": "ms", "ms": "ms", "msec": "ms", "msecs": "ms",
    "mseconds": "ms", "msecond": "ms",
    "second": "s", "seconds": "s", "s": "s", "sec": "s", "secs": "s",
    "minute": "min", "minutes": "min", "m": "min", "min": "min", "mins": "min",
    "hour": "h", "hours": "h", "h": "h", "hr": "h", "hrs": "h",
    "day": "d", "days": "d", "d": "d",
    "week": "w", "weeks": "w", "w": "w",
    "month": "mon", "months": "mon", "mon": "mon", "mons": "mon",
    "year": "y", "years": "y", "y": "y", "yr": "y", "yrs": "y",
    "decade": "dec", "decades": "dec", "dec": "dec", "decs": "dec",
    "century": "c", "centuries": "c", "c": "c", "cent": "c",
    "millennium": "mil", "millennia": "mil", "millenniums": "mil", "mil": "mil", "mils": "mil",
}
_MONTH_UNITS = {"mon": 1, "y": 12, "dec": 120, "c": 1200, "mil": 12000}
_USEC_UNITS = {"us": 1, "ms": 1000, "s": USECS_PER_SEC, "min": USECS_PER_MINUTE, "h": USECS_PER_HOUR}

_TOKEN = re.compile(
    r"\s*(?:(?P<time>[+-]?\d+:\d+(?::\d+(?:\.\d*)?|\.\d*)?)"
    r"|(?P<ym>[+-]?\d+-\d+)"
    r"|(?P<num>[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(?P<unit>[a-z]+)?"
    r"|(?P<word>[a-z]+))", re.I)


_SIGN_SPACE = re.compile(r"(^|\s)([-+])\s+")


def bad_interval(text: str) -> SqlError:
    return SqlError("22007", f'invalid input syntax for type interval: "{text}"')


def parse_interval(text: str, style: str = "postgres") -> Interval:
    s = text.strip()
    if not s:
        raise bad_interval(text)
    if s[0] in "Pp":
        if text[0] != "P":  # (ISO 8601 is read from the text as written)
            raise bad_interval(text)
        return _IsoReader(text).read()
    body = s[1:] if s.startswith("@") else s
    acc = _Accumulator(text)
    pos, ago, seen = 0, False, False
    body = _SIGN_SPACE.sub(r"\1\2", body.strip())
    leading_minus = style == "sql_standard" and body.startswith("-")
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if not m or m.end() == pos:
            raise bad_interval(text)
        pos = m.end()
        seen = True
        if m.group("time"):
            acc.add_time(m.group("time"), text)
        elif m.group("ym"):
            y, _, mo = m.group("ym").lstrip("+-").partition("-")
            sign = -1 if m.group("ym").startswith("-") else 1
            if int(mo) >= 12:
                raise SqlError("22015", f'interval field value out of range: "{text}"')
            acc.add_months(sign * (int(y) * 12 + int(mo)))
        elif m.group("num") is not None:
            unit = (m.group("unit") or "").lower()
            if unit == "ago":  # 'ago' leaves no unit for the number before it (DecodeInterval)
                raise bad_interval(text)
            if unit:
                if unit not in _UNITS:
                    raise bad_interval(text)
                acc.add(Decimal(m.group("num")), _UNITS[unit], text)
            else:
                nxt = _TOKEN.match(body, pos)
                if nxt and nxt.group("time"):  # (a signed time too: DecodeInterval's DTK_TZ case)
                    acc.add_bare_days(Decimal(m.group("num")))
                else:
                    acc.add(Decimal(m.group("num")), "s", text)
        elif m.group("word").lower() == "ago":
            ago = True
        else:
            raise bad_interval(text)
    if not seen:
        raise bad_interval(text)
    if ago:
        acc.negate()
    result = acc.result()
    if leading_minus and result.months >= 0 and result.days >= 0 and result.microseconds >= 0:
        result = -result
    return result


_INT32 = (-(1 << 31), (1 << 31) - 1)
_INT64 = (-(1 << 63), (1 << 63) - 1)
# DecodeInterval's field masks: a unit given twice is bad input ('1 second 2 seconds')
_MASK = {"us": 1, "ms": 2, "s": 4, "min": 8, "h": 16, "d": 32, "w": 64, "mon": 128, "y": 256, "dec": 512,
         "c": 1024, "mil": 2048}
_ALL_SECS = _MASK["s"] | _MASK["ms"] | _MASK["us"]
_TIME_MASK = _MASK["h"] | _MASK["min"] | _ALL_SECS
_YEAR_SCALE = {"y": 1, "dec": 10, "c": 100, "mil": 1000}


class _Overflow(Exception):
    """DTERR_FIELD_OVERFLOW: reported as 'interval field value out of range'."""


def _fits(value: int, bounds: tuple[int, int]) -> int:
    if not bounds[0] <= value <= bounds[1]:
        raise _Overflow
    return value


def _c_round(x: float) -> int:
    """rint(): to nearest, ties to even (Python's round on floats)."""
    return int(round(x))


class _Accumulator:
    """pg_itm_in as DecodeInterval fills it: years, months and days in int32, microseconds
    in int64, each addition checked (AdjustYears/AdjustMonths/AdjustDays/AdjustMicroseconds
    and their fractional forms, with double arithmetic for the fractions as in C)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.years = self.months = self.days = self.usec = 0
        self.fmask = 0

    def mark(self, tmask: int) -> None:
        if tmask & self.fmask:
            raise bad_interval(self.text)
        self.fmask |= tmask

    def add(self, value: Decimal, unit: str, text: str) -> None:
        whole = int(value)  # strtoi64 of the integer part, the rest is the fraction
        frac = float(value - whole)
        try:
            _fits(whole, _INT64)
            self.add_parts(whole, frac, unit)
        except _Overflow:
            raise SqlError("22015", f'interval field value out of range: "{self.text}"') from None
        self.mark(_ALL_SECS if unit == "s" and frac != 0 else _MASK[unit])

    def add_parts(self, val: int, frac: float, unit: str) -> None:
        if unit in _USEC_UNITS:
            scale = _USEC_UNITS[unit]
            self.usec = _fits(self.usec + val * scale, _INT64)
            self._fract_usec(frac, scale)
        elif unit in ("d", "w"):
            scale = 1 if unit == "d" else 7
            self.days = _fits(self.days + _fits(_fits(val, _INT32) * scale, _INT32), _INT32)
            if unit == "d":
                self._fract_usec(frac, USECS_PER_DAY)
            else:
                self._fract_days(frac, 7)
        elif unit == "mon":
            self.months = _fits(self.months + _fits(val, _INT32), _INT32)
            self._fract_days(frac, DAYS_PER_MONTH)
        else:
            scale = _YEAR_SCALE[unit]
            self.years = _fits(self.years + _fits(_fits(val, _INT32) * scale, _INT32), _INT32)
            self.months = _fits(self.months + _c_round(frac * scale * 12), _INT32)

    def _fract_usec(self, frac: float, scale: int) -> None:
        if frac == 0:
            return
        frac *= scale
        usec = int(frac)
        frac -= usec
        if frac > 0.5:
            usec += 1
        elif frac < -0.5:
            usec -= 1
        self.usec = _fits(self.usec + usec, _INT64)

    def _fract_days(self, frac: float, scale: int) -> None:
        if frac == 0:
            return
        frac *= scale
        extra = int(frac)
        self.days = _fits(self.days + extra, _INT32)
        self._fract_usec(frac - extra, USECS_PER_DAY)

    def add_months(self, months: int) -> None:
        try:
            self.months = _fits(self.months + _fits(months, _INT32), _INT32)
        except _Overflow:
            raise SqlError("22015", f'interval field value out of range: "{self.text}"') from None
        self.mark(_MASK["mon"])

    def add_bare_days(self, value: Decimal) -> None:
        self.add(Decimal(int(value)), "d", self.text)

    def add_time(self, token: str, text: str) -> None:
        sign = -1 if token.startswith("-") else 1
        parts = token.lstrip("+-").split(":")
        if "." in parts[1]:  # mm:ss.fff (DecodeTime)
            parts = ["0"] + parts
        hours, minutes = int(parts[0]), int(parts[1])
        secs = Decimal(parts[2]) if len(parts) > 2 else Decimal(0)
        if minutes > 59 or secs >= 60:
            raise SqlError("22015", f'interval field value out of range: "{text}"')
        micros = int((secs * USECS_PER_SEC).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        try:
            total = _fits(hours * USECS_PER_HOUR + minutes * USECS_PER_MINUTE + micros, _INT64)
            self.usec = _fits(self.usec + sign * total, _INT64)
        except _Overflow:
            raise SqlError("22015", f'interval field value out of range: "{text}"') from None
        self.mark(_TIME_MASK)

    def negate(self) -> None:
        """'ago'"""
        if self.usec == _INT64[0] or _INT32[0] in (self.days, self.months, self.years):
            raise SqlError("22015", f'interval field value out of range: "{self.text}"')
        self.usec, self.days, self.months, self.years = -self.usec, -self.days, -self.months, -self.years

    def result(self) -> Interval:
        months = self.years * 12 + self.months
        if not _INT32[0] <= months <= _INT32[1]:
            raise SqlError("22008", "interval out of range")
        return Interval(months, self.days, self.usec)


# strtod's forms: decimal with exponent, hexadecimal, inf / infinity / nan
_ISO_NUMBER = re.compile(
    r"-?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][-+]?\d+)?"
    r"|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aN][nN])")
_ISO_DATE_UNITS = {"Y": "y", "M": "mon", "W": "w", "D": "d"}
_ISO_TIME_UNITS = {"H": "h", "M": "min", "S": "s"}


class _IsoReader:
    """DecodeISO8601Interval over the text as written (case and spaces matter): designators
    (P1Y2M3DT4H5M6S), the basic alternative format (PYYYYMMDD, Thhmmss) and the extended one
    (PY-M-DTh:m:s); each number read as strtod reads it, split into its integer part and a
    double fraction, and added with DecodeInterval's overflow checks."""

    def __init__(self, text: str) -> None:
        self.s, self.pos, self.text = text, 1, text
        self.acc = _Accumulator(text)

    def number(self) -> tuple[int, float]:
        s, pos = self.s, self.pos
        if pos >= len(s) or not (s[pos].isdigit() or s[pos] in "-."):
            raise bad_interval(self.text)
        m = _ISO_NUMBER.match(s, pos)
        if not m:
            raise bad_interval(self.text)
        tok = m.group()
        body = tok.lstrip("-")
        if body[:2] in ("0x", "0X"):
            val = float.fromhex(tok)
        else:
            val = float(tok)
            if val == 0 and any(c in "123456789" for c in re.split("[eE]", body)[0]):
                raise bad_interval(self.text)  # underflow (ERANGE)
            if math.isinf(val) and body[:1].isdigit():
                raise bad_interval(self.text)  # overflow (ERANGE)
        if not -9223372036854775808.0 <= val < 9223372036854775808.0:  # NaN too
            raise _field_overflow(self.text)
        self.pos = m.end()
        whole = int(val)
        return whole, val - whole

    def width(self, start: int) -> int:
        s, i = self.s, start + (self.s[start] == "-")
        n = 0
        while i + n < len(s) and s[i + n].isdigit():
            n += 1
        return n

    def add(self, whole: int, frac: float, unit: str) -> None:
        try:
            self.acc.add_parts(whole, frac, unit)
        except _Overflow:
            raise _field_overflow(self.text) from None

    def peek(self) -> str:
        return self.s[self.pos] if self.pos < len(self.s) else ""

    def read(self) -> Interval:
        s = self.s
        if len(s) < 2:
            raise bad_interval(self.text)
        datepart, havefield = True, False
        while self.pos < len(s):
            if s[self.pos] == "T":
                datepart, havefield = False, False
                self.pos += 1
                continue
            start = self.pos
            whole, frac = self.number()
            unit = self.peek()
            self.pos += 1 if unit else 0
            if datepart:
                if unit in _ISO_DATE_UNITS:
                    self.add(whole, frac, _ISO_DATE_UNITS[unit])
                elif unit in ("T", "") and self.width(start) == 8 and not havefield:
                    self._basic_date(whole, frac)
                    if not unit:
                        break
                    datepart = False
                    continue
                elif unit in ("T", "", "-"):
                    if havefield:
                        raise bad_interval(self.text)
                    if self._extended_date(whole, frac, unit):
                        break
                    datepart = False
                    continue
                else:
                    raise bad_interval(self.text)
            else:
                if unit in _ISO_TIME_UNITS:
                    self.add(whole, frac, _ISO_TIME_UNITS[unit])
                elif unit == "" and self.width(start) == 6 and not havefield:
                    self.add(_ctrunc(whole, 10000), 0.0, "h")
                    self.add(_ctrunc(whole, 100) - _ctrunc(whole, 10000) * 100, 0.0, "min")
                    self.add(whole - _ctrunc(whole, 100) * 100, 0.0, "s")
                    self.add(0, frac, "us")  # (the fraction counts in microseconds here)
                    break
                elif unit in ("", ":"):
                    if havefield:
                        raise bad_interval(self.text)
                    self._extended_time(whole, frac, unit)
                    break
                else:
                    raise bad_interval(self.text)
            havefield = True
        return self.acc.result()

    def _basic_date(self, whole: int, frac: float) -> None:
        self.add(_ctrunc(whole, 10000), 0.0, "y")
        self.add(_ctrunc(whole, 100) - _ctrunc(whole, 10000) * 100, 0.0, "mon")
        self.add(whole - _ctrunc(whole, 100) * 100, frac, "d")

    def _extended_date(self, whole: int, frac: float, unit: str) -> bool:
        """Y-M-D; True when the text ends here, False when a T follows."""
        self.add(whole, frac, "y")
        if unit != "-":
            return unit == ""
        for i, field in enumerate(("mon", "d")):
            whole, frac = self.number()
            self.add(whole, frac, field)
            nxt = self.peek()
            if nxt == "":
                return True
            self.pos += 1
            if nxt == "T":
                return False
            if nxt != "-" or i == 1:
                raise bad_interval(self.text)
        return True  # (not reached)

    def _extended_time(self, whole: int, frac: float, unit: str) -> None:
        self.add(whole, frac, "h")
        if unit == "":
            return
        for i, field in enumerate(("min", "s")):
            whole, frac = self.number()
            self.add(whole, frac, field)
            nxt = self.peek()
            if nxt == "":
                return
            if nxt != ":" or i == 1:
                raise bad_interval(self.text)
            self.pos += 1


def _ctrunc(a: int, b: int) -> int:
    return _trunc_div(a, b)[0]  # (C's division, toward zero)


def _field_overflow(text: str) -> SqlError:
    return SqlError("22015", f'interval field value out of range: "{text}"')


# --- typmod ------------------------------------------------------------------------

def round_interval(iv: Interval, precision: int) -> Interval:
    """interval(p): round the microseconds to p fractional digits (half away from zero)."""
    if precision >= 6:
        return iv
    unit = 10 ** (6 - precision)
    us = iv.microseconds
    q = (abs(us) + unit // 2) // unit * unit
    return Interval(iv.months, iv.days, q if us >= 0 else -q)


# interval's field masks (datetime.h's YEAR, MONTH, DAY, HOUR, MINUTE, SECOND bits)
_Y, _MO, _D, _H, _MI, _S = 1 << 2, 1 << 1, 1 << 3, 1 << 10, 1 << 11, 1 << 12
_USECS_PER_HOUR, _USECS_PER_MINUTE = 3_600_000_000, 60_000_000
# the unit of a bare number under each range (DecodeInterval's IGNORE_DTF switch)
_BARE_UNIT = {_Y: "year", _MO: "month", _Y | _MO: "month", _D: "day", _H: "hour", _D | _H: "hour",
              _MI: "minute", _H | _MI: "minute", _D | _H | _MI: "minute"}
_BARE_NUMBER = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)\s*")
_TRAILING_BARE = re.compile(r"\s*(.*?[0-9a-z])\s+([-+]?(?:\d+\.?\d*|\.\d+))\s*", re.I)
_MINUTES_SECONDS = re.compile(r"\s*([-+]?)(\d+):(\d+(?:\.\d*)?)\s*")


def interval_text_for_range(text: str, fields: int) -> str:
    """What a typmod's fields make of an input (DecodeInterval with a range): a bare number
    counts in the range's last field (INTERVAL '5' HOUR is five hours), and MINUTE TO
    SECOND reads 'mm:ss'."""
    if _BARE_NUMBER.fullmatch(text):
        return f"{text.strip()} {_BARE_UNIT.get(fields, 'second')}"
    m = _TRAILING_BARE.fullmatch(text)
    if m and fields in _BARE_UNIT:  # read right to left: the last bare number in the last field,
        head, last = m.group(1), m.group(2)  # a bare number before an hour counts days
        if _BARE_NUMBER.fullmatch(head):
            return f"{head} day {last} hour" if _BARE_UNIT[fields] == "hour" else text
        return text if _BARE_NUMBER.fullmatch(head.split()[-1]) else f"{head} {last} {_BARE_UNIT[fields]}"
    if fields == _MI | _S:
        m = _MINUTES_SECONDS.fullmatch(text)
        if m:
            return f"{m.group(1)}00:{m.group(2)}:{m.group(3)}"
    return text


def adjust_interval_for_fields(iv: Interval, fields: int) -> Interval:
    """AdjustIntervalForTypmod's range half: the fields below the range's last one are
    dropped (C's division: toward zero)."""
    def trunc(us: int, unit: int) -> int:
        return -((-us) // unit) * unit if us < 0 else us // unit * unit
    if fields == _Y:
        return Interval(-((-iv.months) // 12) * 12 if iv.months < 0 else iv.months // 12 * 12, 0, 0)
    if fields in (_MO, _Y | _MO):
        return Interval(iv.months, 0, 0)
    if fields == _D:
        return Interval(iv.months, iv.days, 0)
    if fields in (_H, _D | _H):
        return Interval(iv.months, iv.days, trunc(iv.microseconds, _USECS_PER_HOUR))
    if fields in (_MI, _D | _H | _MI, _H | _MI):
        return Interval(iv.months, iv.days, trunc(iv.microseconds, _USECS_PER_MINUTE))
    return iv
