"""FormatContext: the session settings text input/output depends on.

DateStyle, IntervalStyle, TimeZone, extra_float_digits and bytea_output, plus the
transaction time ('now', 'today' in date/time input). Built from a
pgsvc.settings.Settings with `FormatContext.from_settings`.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from functools import lru_cache

from pgsvc.timezones import check_timezone, pg_tzset


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


@lru_cache(maxsize=256)
def resolve_timezone(name: str) -> _dt.tzinfo:
    """A TimeZone setting as a tzinfo. The setting holds the canonical name check_timezone
    made of it (SET TIME ZONE -5 is '<-05>+05'), which pg_tzset reads back; a name that is
    no zone is PostgreSQL's error for the setting."""
    zone = pg_tzset(name)
    if zone is None:
        zone = pg_tzset(check_timezone(name))
    return zone.tzinfo
