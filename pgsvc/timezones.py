"""Time zone names as PostgreSQL reads them (src/timezone/pgtz.c's pg_tzset, localtime.c's
tzparse): the one lookup behind SET TimeZone, zone names in date/time input and AT TIME ZONE.
Outside pgsvc.sql: the settings (pgsvc.settings) check TimeZone with it, and they sit below
the SQL layer's lowest stage.

A name is first a file of the system's zoneinfo directory, matched case-insensitively one
directory level at a time (the canonical spelling is the file's: 'america/new_york' is
'America/New_York'); otherwise it is read as a POSIX TZ string, whose offsets count hours
WEST of UTC ('UTC+3' and '-02:00' are three hours behind and two hours ahead of UTC, the
opposite of ISO 8601's sign), with an optional daylight-saving part ('EST5EDT',
'FOO5BAR,M3.2.0,M11.1.0'; without rules, the US rules ',M3.2.0,M11.1.0' as PostgreSQL 15
assumes). The canonical spelling of a POSIX string is its upper-case form. 'GMT' is always
the POSIX zone GMT (pgtz.c sends it to tzparse).

SET TIME ZONE <number> and SET TIME ZONE INTERVAL '...' are SQL's sign convention (hours
east); they become the POSIX zone '<+05>-05' (pg_tzset_offset), which SHOW prints.

Python's tzinfo protocol cannot express a UTC offset of 24 hours or more, which POSIX
strings allow (up to 167 hours): a fixed such zone ('UTC+25', '<+99>-99', SET TIME ZONE 30)
is a WideOffset, whose offset the date/time code reads (wide_east) and applies itself; any
path that would hand it to Python's datetime instead gets 0A000 from its utcoffset(), never
a wrong time. A daylight-saving zone with such offsets is refused with 0A000.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import os
import re
import struct
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

from pgsvc.errors import SqlError

TZ_STRLEN_MAX = 255
_DAY = 86400
_DEFAULT_RULES = ",M3.2.0,M11.1.0"  # localtime.c's TZDEFRULESTRING
_EPOCH = _dt.datetime(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Zone:
    """A zone pg_tzset found: its canonical name, the tzinfo that computes it, and whether
    its file carries leap-second records (PostgreSQL refuses such a zone as TimeZone)."""
    name: str
    tzinfo: _dt.tzinfo
    leap_seconds: bool = False


def pg_tzset(name: str) -> Zone | None:
    """The zone a name means, or None (unknown name or malformed POSIX string)."""
    return _tzset(name)


@lru_cache(maxsize=512)
def _tzset(name: str) -> Zone | None:
    if len(name) > TZ_STRLEN_MAX or "\x00" in name:
        return None
    upper = name.upper()
    if upper == "GMT":
        return Zone("GMT", _fixed(0, "GMT"))
    found = _zone_file(name)
    if found is not None:
        return found
    if upper.startswith(":"):
        return None
    tz = parse_posix(upper)
    return None if tz is None else Zone(upper, tz)


def offset_zone_name(seconds_east: int) -> str:
    """pg_tzset_offset's name for a fixed offset: '<+05:30>-05:30' for 5.5 hours east."""
    west = -seconds_east
    absoff = abs(west)
    text = f"{absoff // 3600:02d}"
    absoff %= 3600
    if absoff:
        text += f":{absoff // 60:02d}"
        absoff %= 60
        if absoff:
            text += f":{absoff:02d}"
    return f"<-{text}>+{text}" if west > 0 else f"<+{text}>-{text}"


def acceptable(zone: Zone) -> bool:
    """pg_tz_acceptable: no leap seconds (the local time of 2000-01-01 00:00:00 UTC has
    second 0)."""
    if zone.leap_seconds:
        return False
    if isinstance(zone.tzinfo, WideOffset):
        return zone.tzinfo.east % 60 == 0
    probe = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC).astimezone(zone.tzinfo)
    return probe.second == 0


def fixed_offset(tz: _dt.tzinfo) -> int | None:
    """The one UTC offset (seconds east) a zone has always had, or None
    (pg_get_timezone_offset: every local time type of the zone has the same offset)."""
    if isinstance(tz, _dt.timezone):
        return int(tz.utcoffset(None).total_seconds())
    if isinstance(tz, WideOffset):
        return tz.east
    if isinstance(tz, zoneinfo.ZoneInfo) and tz.key:
        return _file_fixed_offset(tz.key)
    return None


@lru_cache(maxsize=128)
def _file_fixed_offset(key: str) -> int | None:
    """From the TZif file: its 64-bit block's local time types (the 32-bit one if the file
    has no other), all with one UT offset."""
    root = _zoneinfo_root()
    try:
        with open(os.path.join(root or "", key), "rb") as f:
            data = f.read()
        version = data[4:5]
        start = 0
        counts = struct.unpack(">6l", data[20:44])
        if version >= b"2":
            isut, isstd, leap, times, types, chars = counts
            start = 44 + times * 5 + types * 6 + chars + leap * 8 + isstd + isut
            counts = struct.unpack(">6l", data[start + 20:start + 44])
            time_size = 8
        else:
            time_size = 4
        types_at = start + 44 + counts[3] * (time_size + 1)
        offsets = {struct.unpack(">l", data[types_at + 6 * i:types_at + 6 * i + 4])[0] for i in range(counts[4])}
    except (OSError, struct.error):
        return None
    return offsets.pop() if len(offsets) == 1 else None


# --- zone files -------------------------------------------------------------------------------

def _zoneinfo_root() -> str | None:
    return next((d for d in zoneinfo.TZPATH if os.path.isdir(d)), None)


def _zone_file(name: str) -> Zone | None:
    """pg_open_tzfile: each level of the name matched case-insensitively against the
    directory's entries (names starting with '.' never match), then the file read as TZif."""
    root = _zoneinfo_root()
    if root is None or not name:
        return None
    path, parts = root, []
    for part in name.split("/"):
        match = _scan_directory_ci(path, part)
        if match is None:
            return None
        parts.append(match)
        path = os.path.join(path, match)
    if not os.path.isfile(path):
        return None
    canonical = "/".join(parts)
    try:
        with open(path, "rb") as f:
            head = f.read(44)
        if head[:4] != b"TZif":
            return None
        tz = _special_utc(canonical) or zoneinfo.ZoneInfo(canonical)
    except (OSError, ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None
    leapcnt = struct.unpack(">6l", head[20:44])[2] if len(head) == 44 else 0
    return Zone(canonical, tz, leapcnt > 0)


def _scan_directory_ci(directory: str, part: str) -> str | None:
    if not part:
        return None
    if not part.startswith(".") and os.path.exists(os.path.join(directory, part)):
        # the common case: already spelled as the file is (checked against the listing
        # only when the file system might have matched case-insensitively)
        if part in _listing(directory):
            return part
    low = part.lower()
    return next((e for e in _listing(directory) if not e.startswith(".") and e.lower() == low), None)


@lru_cache(maxsize=64)
def _listing(directory: str) -> tuple[str, ...]:
    try:
        return tuple(os.listdir(directory))
    except OSError:
        return ()


def _special_utc(canonical: str) -> _dt.tzinfo | None:
    """UTC itself as the C-implemented datetime.UTC (timestamptz output goes through it for
    every row); its abbreviation is UTC as the file's."""
    return _dt.UTC if canonical in ("UTC", "Etc/UTC") else None


# --- POSIX TZ strings (localtime.c's tzparse) -----------------------------------------------

@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str  # "J" (1..365, no Feb 29), "D" (0..365), "M" (month, week, weekday)
    day: int
    week: int = 0
    month: int = 0
    time: int = 7200  # seconds after local midnight (may be negative or past 24h)


def parse_posix(spec: str) -> _dt.tzinfo | None:
    """tzparse(name, lastditch=false): the zone a POSIX TZ string describes, or None."""
    pos, std = _zname(spec, 0)
    if pos is None or pos >= len(spec):
        return None  # PostgreSQL allows an empty std name but not a missing offset
    pos, std_west = _offset(spec, pos)
    if pos is None:
        return None
    if pos == len(spec):
        return _fixed(-std_west, std)
    pos, dst = _zname(spec, pos)
    if pos is None or not dst:
        return None
    if pos < len(spec) and spec[pos] not in ",;":
        pos, dst_west = _offset(spec, pos)
        if pos is None:
            return None
    else:
        dst_west = std_west - 3600
    rules = spec[pos:] or _DEFAULT_RULES
    if rules[0] not in ",;":
        return None
    i, start = _rule(rules, 1)
    if start is None or i >= len(rules) or rules[i] != ",":
        return None
    i, end = _rule(rules, i + 1)
    if end is None or i != len(rules):
        return None
    _check_range(-std_west)
    _check_range(-dst_west)
    return PosixZone(std, -std_west, dst, -dst_west, start, end)


def _zname(spec: str, pos: int) -> tuple[int | None, str]:
    """getzname / getqzname: an abbreviation, bare (up to a digit, ',', '-' or '+') or in
    angle brackets."""
    if pos < len(spec) and spec[pos] == "<":
        close = spec.find(">", pos + 1)
        if close < 0:
            return None, ""
        return close + 1, spec[pos + 1:close]
    m = re.compile(r"[^0-9,+-]*").match(spec, pos)
    return m.end(), m.group(0)


_NUM = re.compile(r"\d+")


def _num(spec: str, pos: int, lo: int, hi: int) -> tuple[int | None, int]:
    m = _NUM.match(spec, pos)
    if m is None:
        return None, 0
    value = int(m.group(0))
    if not lo <= value <= hi:
        return None, 0
    return m.end(), value


def _secs(spec: str, pos: int) -> tuple[int | None, int]:
    """getsecs: hh[:mm[:ss]], hours up to 167 (a week less an hour)."""
    pos, h = _num(spec, pos, 0, 24 * 7 - 1)
    if pos is None:
        return None, 0
    total = h * 3600
    if pos < len(spec) and spec[pos] == ":":
        pos, m = _num(spec, pos + 1, 0, 59)
        if pos is None:
            return None, 0
        total += m * 60
        if pos < len(spec) and spec[pos] == ":":
            pos, s = _num(spec, pos + 1, 0, 60)
            if pos is None:
                return None, 0
            total += s
    return pos, total


def _offset(spec: str, pos: int) -> tuple[int | None, int]:
    """getoffset: [+-]hh[:mm[:ss]], in POSIX's sign (positive = west of UTC)."""
    neg = False
    if pos < len(spec) and spec[pos] in "+-":
        neg = spec[pos] == "-"
        pos += 1
    pos, secs = _secs(spec, pos)
    if pos is None:
        return None, 0
    return pos, -secs if neg else secs


def _rule(spec: str, pos: int) -> tuple[int, _Rule | None]:
    """getrule: Jn | n | Mm.w.d, then an optional /time (default 02:00)."""
    if pos < len(spec) and spec[pos] == "J":
        p, day = _num(spec, pos + 1, 1, 365)
        rule = _Rule("J", day)
    elif pos < len(spec) and spec[pos] == "M":
        p, month = _num(spec, pos + 1, 1, 12)
        if p is None or p >= len(spec) or spec[p] != ".":
            return pos, None
        p, week = _num(spec, p + 1, 1, 5)
        if p is None or p >= len(spec) or spec[p] != ".":
            return pos, None
        p, day = _num(spec, p + 1, 0, 6)
        rule = _Rule("M", day, week, month)
    else:
        p, day = _num(spec, pos, 0, 365)
        rule = _Rule("D", day)
    if p is None:
        return pos, None
    if p < len(spec) and spec[p] == "/":
        p, time = _offset(spec, p + 1)
        if p is None:
            return pos, None
        rule = _Rule(rule.kind, rule.day, rule.week, rule.month, time)
    return p, rule


def _rule_seconds(rule: _Rule, year: int) -> int:
    """transtime without the offset: seconds from January 1st (local) to the transition."""
    leap = calendar.isleap(year)
    if rule.kind == "J":
        days = rule.day - 1 + (1 if leap and rule.day >= 60 else 0)
    elif rule.kind == "D":
        days = rule.day
    else:
        first_weekday = (calendar.weekday(year, rule.month, 1) + 1) % 7  # 0 = Sunday
        d = (rule.day - first_weekday) % 7
        month_days = calendar.monthrange(year, rule.month)[1]
        for _ in range(1, rule.week):
            if d + 7 >= month_days:
                break
            d += 7
        days = (_dt.date(year, rule.month, 1) - _dt.date(year, 1, 1)).days + d
    return days * _DAY + rule.time


def _check_range(seconds_east: int) -> None:
    if abs(seconds_east) >= _DAY:
        raise SqlError("0A000", "time zone offsets of 24 hours or more are not supported")


class WideOffset(_dt.tzinfo):
    """A fixed zone 24 hours or more from UTC. datetime cannot use it: utcoffset() refuses
    (0A000); the date/time code asks wide_east() first and computes with the seconds."""

    def __init__(self, seconds_east: int, abbrev: str) -> None:
        self.east, self.abbrev = seconds_east, abbrev

    def __repr__(self) -> str:
        return f"WideOffset({self.east}, {self.abbrev!r})"

    def utcoffset(self, dt):
        raise SqlError("0A000", "time zone offsets of 24 hours or more are not supported here")

    dst = tzname = utcoffset


def wide_east(tz) -> int | None:
    """The offset (seconds east) of a WideOffset zone, else None."""
    return tz.east if isinstance(tz, WideOffset) else None


def _fixed(seconds_east: int, abbrev: str) -> _dt.tzinfo:
    if abs(seconds_east) >= _DAY:
        return WideOffset(seconds_east, abbrev)
    if seconds_east == 0 and abbrev == "UTC":
        return _dt.UTC
    return _dt.timezone(_dt.timedelta(seconds=seconds_east), abbrev)


class PosixZone(_dt.tzinfo):
    """A POSIX TZ string with daylight-saving rules, its transitions computed per year (the
    rules repeat for every year, as localtime.c's 400-year table extends them)."""

    def __init__(self, std: str, std_east: int, dst: str, dst_east: int, start: _Rule, end: _Rule):
        self.std, self.dst_name = std, dst
        self.std_off = _dt.timedelta(seconds=std_east)
        self.dst_off = _dt.timedelta(seconds=dst_east)
        self._std_east, self._dst_east = std_east, dst_east
        self.start, self.end = start, end

    def __repr__(self) -> str:
        return f"PosixZone({self.std!r}, {self._std_east}, {self.dst_name!r}, {self._dst_east})"

    def _transitions(self, year: int) -> tuple[tuple[float, bool], ...]:
        return _transitions(self.start, self.end, self._std_east, self._dst_east, year)

    def _is_dst(self, utc_seconds: float, year: int) -> bool:
        events = sorted(self._transitions(y)[i] for y in (year - 1, year, year + 1)
                        if 1 <= y <= 9999 for i in (0, 1))
        state = False
        for at, dst in events:
            if at > utc_seconds:
                break
            state = dst
        return state

    def _is_dst_utc(self, dt: _dt.datetime) -> bool:
        naive = dt.replace(tzinfo=None)
        return self._is_dst((naive - _EPOCH).total_seconds(), naive.year)

    def _is_dst_local(self, dt: _dt.datetime) -> bool:
        """PEP 495: fold=0 takes the earlier of the two readings of an ambiguous or skipped
        wall time (as zoneinfo does), fold=1 the later."""
        naive = dt.replace(tzinfo=None, fold=0)
        local = (naive - _EPOCH).total_seconds()
        readings = sorted((local - self._std_east, local - self._dst_east))
        at = readings[1] if dt.fold else readings[0]
        return self._is_dst(at, naive.year)

    def utcoffset(self, dt):
        if dt is None:
            return None
        return self.dst_off if self._is_dst_local(dt) else self.std_off

    def dst(self, dt):
        if dt is None:
            return None
        return self.dst_off - self.std_off if self._is_dst_local(dt) else _dt.timedelta(0)

    def tzname(self, dt):
        if dt is None:
            return self.std
        return self.dst_name if self._is_dst_local(dt) else self.std

    def fromutc(self, dt):
        naive = dt.replace(tzinfo=None)
        dst = self._is_dst((naive - _EPOCH).total_seconds(), naive.year)
        local = dt + (self.dst_off if dst else self.std_off)
        # a wall time read twice (the hour DST ends) is fold=1 the second time
        other = naive + (self.dst_off if dst else self.std_off) - (self.std_off if dst else self.dst_off)
        if other < naive and self._is_dst((other - _EPOCH).total_seconds(), other.year) != dst:
            local = local.replace(fold=1)
        return local


@lru_cache(maxsize=256)
def _transitions(start: _Rule, end: _Rule, std_east: int, dst_east: int,
                 year: int) -> tuple[tuple[float, bool], ...]:
    """(seconds since 1970 UTC, DST after it) for the year's two transitions (transtime)."""
    jan1 = (_dt.datetime(year, 1, 1) - _EPOCH).total_seconds()
    begin = jan1 + _rule_seconds(start, year) - std_east
    finish = jan1 + _rule_seconds(end, year) - dst_east
    return (begin, True), (finish, False)


# --- the TimeZone setting (commands/variable.c's check_timezone) -------------------------------

_STRTOD = re.compile(r"\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)", re.I)
_STRTOD_HEX = re.compile(r"\s*([+-]?)0x([0-9a-f]*\.?[0-9a-f]*)(?:p([+-]?\d+))?", re.I)
_INTERVAL_VALUE = re.compile(r"interval\s*'([^']*)'", re.I | re.S)
# interval_out's postgres style, the form SET TIME ZONE INTERVAL '...' is flattened to
_INTERVAL_OUT = re.compile(r"(?:([-+]?\d+) years? ?)?(?:([-+]?\d+) mons? ?)?(?:([-+]?\d+) days? ?)?"
                           r"(?:([-+]?)(\d+):(\d\d):(\d\d(?:\.\d+)?))?")


def check_timezone(value: str) -> str:
    """The canonical spelling of a TimeZone setting, or PostgreSQL's error for it:
    INTERVAL '...' and plain numbers are hours east (SQL's sign) and become a POSIX zone
    (pg_tzset_offset); anything else is a zone name or a POSIX string (pg_tzset)."""
    if value[:8].lower() == "interval":
        m = _INTERVAL_VALUE.fullmatch(value)
        parts = _INTERVAL_OUT.fullmatch(m.group(1).strip()) if m else None
        if parts is None:
            raise _invalid_timezone(value)
        years, mons, days, sign, hh, mm, ss = parts.groups()
        if int(years or 0) or int(mons or 0):
            raise _invalid_timezone(value, "Cannot specify months in time zone interval.")
        if int(days or 0):
            raise _invalid_timezone(value, "Cannot specify days in time zone interval.")
        east = int(hh or 0) * 3600 + int(mm or 0) * 60 + int(float(ss or 0))  # seconds, truncated
        return _offset_setting(value, -east if sign != "-" else east)
    hours = _strtod(value)
    if hours is not None:
        west = -hours * 3600
        if west != west or abs(west) >= 2 ** 63:
            raise _invalid_timezone(value, "UTC timezone offset is out of range.")
        return _offset_setting(value, _trunc(west))
    zone = pg_tzset(value)
    if zone is None:
        raise _invalid_timezone(value)
    if not acceptable(zone):
        raise SqlError("22023", f'time zone "{value}" appears to use leap seconds',
                       detail="PostgreSQL does not support leap seconds.")
    return zone.name


def _offset_setting(value: str, west: int) -> str:
    zone = pg_tzset(offset_zone_name(-west))
    if zone is None:
        raise _invalid_timezone(value, "UTC timezone offset is out of range.")
    return zone.name


def _strtod(value: str) -> float | None:
    """C's strtod over the whole string (leading blanks, decimal or hex, inf, nan), or None."""
    if _STRTOD.fullmatch(value):
        return float(value)
    m = _STRTOD_HEX.fullmatch(value)
    if m and m.group(2) not in ("", "."):
        number = float.fromhex(f"{m.group(1)}0x{m.group(2)}p{m.group(3) or 0}")
        return number
    return None


def _trunc(x: float) -> int:
    return int(x)  # C's conversion to long: toward zero


def _invalid_timezone(value: str, detail: str | None = None) -> SqlError:
    return SqlError("22023", f'invalid value for parameter "TimeZone": "{value}"', detail=detail)
