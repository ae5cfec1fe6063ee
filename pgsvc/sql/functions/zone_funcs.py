"""AT TIME ZONE: timezone(zone, value) for timestamp, timestamptz and timetz, with the zone
given as text or as an interval (utils/adt/timestamp.c's timestamp_zone, timestamptz_zone,
timestamp_izone, timestamptz_izone and date.c's timetz_zone, timetz_izone).

A text zone is first a time zone abbreviation ('EST', fixed offset), then whatever pg_tzset
reads: a zone file ('America/New_York') or a POSIX string, whose offsets count west of UTC
('UTC+3' and '+3' are three hours behind UTC, '-02:00' two hours ahead). An interval zone is
SQL's sign (INTERVAL '+02:00' is two hours ahead).
"""

from __future__ import annotations

import datetime as _dt

from pgsvc.errors import SqlError
from pgsvc.sql.functions.context import FunctionContext
from pgsvc.sql.functions.core_udfs import offset_at
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import dates as D
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.dateparse import to_utc, zone_abbrev
from pgsvc.sql.types.dyn_abbrev import DYNAMIC, dynamic_zone
from pgsvc.sql.types.interval import format_interval
from pgsvc.sql.types.storage import interval_from_sqlite
from pgsvc.timezones import pg_tzset, wide_east

_NAMEDATALEN = 64


def zone_sigs() -> list[FuncSig]:
    T, IV = O.TEXT, O.INTERVAL
    return [
        FuncSig("timezone", (T, O.TIMESTAMPTZ), O.TIMESTAMP, "pgsvc_timestamptz_zone({0}, {1})"),
        FuncSig("timezone", (T, O.TIMESTAMP), O.TIMESTAMPTZ, "pgsvc_timestamp_zone({0}, {1})"),
        FuncSig("timezone", (T, O.TIMETZ), O.TIMETZ, "pgsvc_timetz_zone({0}, {1})", volatility="v"),
        FuncSig("timezone", (IV, O.TIMESTAMPTZ), O.TIMESTAMP, "pgsvc_timestamptz_izone({0}, {1})"),
        FuncSig("timezone", (IV, O.TIMESTAMP), O.TIMESTAMPTZ, "pgsvc_timestamp_izone({0}, {1})"),
        FuncSig("timezone", (IV, O.TIMETZ), O.TIMETZ, "pgsvc_timetz_izone({0}, {1})"),
    ]


def lookup_zone(name: str) -> int | _dt.tzinfo:
    """An abbreviation's fixed offset (seconds east), else the zone pg_tzset finds."""
    key = name.lower()[:_NAMEDATALEN - 1]
    dynamic = dynamic_zone(key) if key in DYNAMIC else None
    if dynamic is not None:
        return dynamic
    offset = zone_abbrev(key)
    if offset is not None:
        return offset
    zone = pg_tzset(name)
    if zone is None:
        raise SqlError("22023", f'time zone "{name}" not recognized')
    wide = wide_east(zone.tzinfo)
    return zone.tzinfo if wide is None else wide


def timestamptz_zone(name: str, us: int) -> int:
    """timestamptz AT TIME ZONE text: the wall-clock time there, as a timestamp."""
    if us in (D.NOBEGIN, D.NOEND):
        return us
    zone = lookup_zone(name)
    east = zone * 1_000_000 if isinstance(zone, int) else offset_at(us, zone)
    return D.check_timestamp(us + east)


def timestamp_zone(name: str, us: int, ctx: FunctionContext) -> int:
    """timestamp AT TIME ZONE text: that wall-clock time there, as a timestamptz."""
    if us in (D.NOBEGIN, D.NOEND):
        return us
    return D.check_timestamp(to_utc(us, lookup_zone(name), ctx.format_context()))


def timetz_zone(name: str, stored: str, ctx: FunctionContext) -> str:
    """timetz AT TIME ZONE text: a zone's offset now (the transaction's start)."""
    zone = lookup_zone(name)
    if isinstance(zone, int):
        east = zone
    else:
        now = D.timestamp_to_micros(ctx.format_context().current_time())
        east = offset_at(now, zone) // 1_000_000
    return _shift_timetz(stored, east)


def _interval_east(stored: str) -> int:
    iv = interval_from_sqlite(stored)
    if iv.months or iv.days:
        raise SqlError("22023", f'interval time zone "{format_interval(iv)}" must not include months or days')
    us = iv.microseconds
    return -(-us // 1_000_000) if us < 0 else us // 1_000_000  # C's division: toward zero


def _shift_timetz(stored: str, east: int) -> str:
    us, old_east = (int(x) for x in stored.split())
    return f"{(us + (east - old_east) * 1_000_000) % D.USECS_PER_DAY} {east}"


def make_udfs(ctx: FunctionContext) -> dict:
    def strict(fn):
        return lambda *a: None if any(x is None for x in a) else fn(*a)

    def izone(sign: int):
        def shift(zone: str, us: int) -> int:
            if us in (D.NOBEGIN, D.NOEND):
                return us
            return D.check_timestamp(us + sign * _interval_east(zone) * 1_000_000)
        return shift

    return {
        "pgsvc_timestamptz_zone": (2, strict(timestamptz_zone)),
        "pgsvc_timestamp_zone": (2, strict(lambda z, us: timestamp_zone(z, us, ctx))),
        "pgsvc_timetz_zone": (2, strict(lambda z, v: timetz_zone(z, v, ctx))),
        "pgsvc_timestamptz_izone": (2, strict(izone(1))),
        "pgsvc_timestamp_izone": (2, strict(izone(-1))),
        "pgsvc_timetz_izone": (2, strict(lambda z, v: _shift_timetz(v, _interval_east(z)))),
    }
