"""FormatContext: the session settings text input/output depends on.

DateStyle, IntervalStyle, TimeZone, extra_float_digits and bytea_output, plus the
transaction time ('now', 'today' in date/time input). Built from a
pgsvc.settings.Settings with `FormatContext.from_settings`.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pgsvc.errors import SqlError


@dataclass(slots=True)
class FormatContext:
    datestyle: str = "ISO, MDY"
    intervalstyle: str = "postgres"
    timezone: str = "UTC"
    extra_float_digits: int = 1
    bytea_output: str = "hex"
    now: _dt.datetime | None = None  # transaction start (aware), for 'now'/'today'
    _tz: _dt.tzinfo | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings, now: _dt.datetime | None = None) -> FormatContext:
        return cls(
            datestyle=settings.get("DateStyle"),
            intervalstyle=settings.get("IntervalStyle"),
            timezone=settings.get("TimeZone"),
            extra_float_digits=int(settings.get("extra_float_digits")),
            bytea_output=settings.get("bytea_output"),
            now=now,
        )

    @property
    def date_output(self) -> str:
        """'ISO' | 'SQL' | 'Postgres' | 'German'."""
        return self.datestyle.split(",")[0].strip()

    @property
    def date_order(self) -> str:
        """'MDY' | 'DMY' | 'YMD'."""
        parts = self.datestyle.split(",")
        return parts[1].strip() if len(parts) > 1 else "MDY"

    @property
    def tzinfo(self) -> _dt.tzinfo:
        if self._tz is None:
            self._tz = resolve_timezone(self.timezone)
        return self._tz

    def current_time(self) -> _dt.datetime:
        return self.now or _dt.datetime.now(_dt.UTC)


_OFFSET = re.compile(r"^([+-]?)(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$")


@lru_cache(maxsize=256)
def resolve_timezone(name: str) -> _dt.tzinfo:
    """A TimeZone setting as a tzinfo: zone names via zoneinfo, numeric offsets as PG.

    A bare number (SET TIME ZONE -5, '+02:30') is hours east... PostgreSQL treats the
    POSIX-style numeric setting as an offset *west* of UTC only in 'UTC+3'-like POSIX
    strings; a plain number is hours east of UTC (ISO sign convention).
    """
    text = name.strip()
    low = text.lower()
    if low in ("utc", "gmt", "z", "zulu", "etc/utc", "universal", "uct"):
        return _dt.UTC
    m = _OFFSET.match(text)
    if m:
        return _fixed(m, east=True)
    posix = re.match(r"^(?:UTC|GMT)([+-].*)$", text, re.I)
    if posix:
        m = _OFFSET.match(posix.group(1))
        if m:
            return _fixed(m, east=False)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        for candidate in (text.upper(), text.title()):
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    raise SqlError("22023", f'invalid value for parameter "TimeZone": "{name}"')


def _fixed(m: re.Match, east: bool) -> _dt.tzinfo:
    sign = -1 if m.group(1) == "-" else 1
    if not east:
        sign = -sign
    secs = int(m.group(2)) * 3600 + int(m.group(3) or 0) * 60 + int(m.group(4) or 0)
    if secs >= 24 * 3600:
        raise SqlError("22023", "time zone displacement out of range")
    return _dt.timezone(_dt.timedelta(seconds=sign * secs))
