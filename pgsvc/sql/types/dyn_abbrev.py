"""PostgreSQL's dynamic time zone abbreviations (timezone_abbreviations 'Default' lists them
with a zone instead of an offset, e.g. MSK Europe/Moscow): the offset is the one the
abbreviation had in that zone at the time in question, its most recent earlier meaning (or
else its next later one) when the zone used another abbreviation then, and the zone's own
offset when the zone never used it (pg_interpret_timezone_abbrev)."""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache

from pgsvc.timezones import pg_tzset

DYNAMIC = {
    "art": "America/Argentina/Buenos_Aires", "arst": "America/Argentina/Buenos_Aires", "clt": "America/Santiago",
    "gyt": "America/Guyana", "pyt": "America/Asuncion", "vet": "America/Caracas", "davt": "Antarctica/Davis",
    "mawt": "Antarctica/Mawson", "amst": "Asia/Yerevan", "anast": "Asia/Anadyr", "anat": "Asia/Anadyr",
    "azst": "Asia/Baku", "azt": "Asia/Baku", "gest": "Asia/Tbilisi", "get": "Asia/Tbilisi",
    "irkst": "Asia/Irkutsk", "irkt": "Asia/Irkutsk", "kgt": "Asia/Bishkek", "krast": "Asia/Krasnoyarsk",
    "krat": "Asia/Krasnoyarsk", "lkt": "Asia/Colombo", "magst": "Asia/Magadan", "magt": "Asia/Magadan",
    "novst": "Asia/Novosibirsk", "novt": "Asia/Novosibirsk", "omsst": "Asia/Omsk", "omst": "Asia/Omsk",
    "petst": "Asia/Kamchatka", "pett": "Asia/Kamchatka", "sgt": "Asia/Singapore", "tmt": "Asia/Ashgabat",
    "ulat": "Asia/Ulaanbaatar", "vlast": "Asia/Vladivostok", "vlat": "Asia/Vladivostok", "yakst": "Asia/Yakutsk",
    "yakt": "Asia/Yakutsk", "yekt": "Asia/Yekaterinburg", "fkst": "Atlantic/Stanley", "fkt": "Atlantic/Stanley",
    "lhdt": "Australia/Lord_Howe", "msk": "Europe/Moscow", "volt": "Europe/Volgograd", "iot": "Indian/Chagos",
    "ckt": "Pacific/Rarotonga", "easst": "Pacific/Easter", "east": "Pacific/Easter", "kost": "Pacific/Kosrae",
    "lint": "Pacific/Kiritimati", "nut": "Pacific/Niue", "tkt": "Pacific/Fakaofo",
}
_DAY = _dt.timedelta(days=1)
_SEARCH_DAYS = 800  # (abbreviations come and go with the seasons: two years each way,
_SEARCH_MONTHS = 1800  # then by months up to 150 years more)


class AbbrevZone(_dt.tzinfo):
    """A dynamic abbreviation as a tzinfo: utcoffset of a local time, fromutc of an instant."""

    def __init__(self, abbrev: str, zone: _dt.tzinfo) -> None:
        self.abbrev, self.zone = abbrev.upper(), zone
        self._last: tuple | None = None

    def at_instant(self, utc: _dt.datetime) -> _dt.timedelta:
        """The abbreviation's offset at a UTC instant (naive)."""
        here = utc.replace(tzinfo=_dt.UTC).astimezone(self.zone)
        if here.tzname() == self.abbrev:
            return here.utcoffset()
        for sign in (-1, 1):  # the most recent earlier use, else the next later one
            probe = utc
            for step, count in ((_DAY, _SEARCH_DAYS), (30 * _DAY, _SEARCH_MONTHS)):
                for _ in range(count):
                    try:
                        probe += sign * step
                        there = probe.replace(tzinfo=_dt.UTC).astimezone(self.zone)
                    except OverflowError:
                        break
                    if there.tzname() == self.abbrev:
                        return there.utcoffset()
        return here.utcoffset()

    def utcoffset(self, dt: _dt.datetime | None) -> _dt.timedelta:
        if dt is None:
            return _dt.timedelta(0)
        local = dt.replace(tzinfo=None, fold=0)
        if self._last is not None and self._last[0] == local:
            return self._last[1]
        zoned = local.replace(tzinfo=self.zone)
        guess = min(zoned.utcoffset(), zoned.replace(fold=1).utcoffset())  # (as to_utc reads it)
        return self.at_instant(local - guess)

    def fromutc(self, dt: _dt.datetime) -> _dt.datetime:
        utc = dt.replace(tzinfo=None)
        offset = self.at_instant(utc)
        local = utc + offset
        self._last = (local, offset)
        return (local).replace(tzinfo=self)

    def tzname(self, dt) -> str:
        return self.abbrev

    def dst(self, dt) -> None:
        return None


@lru_cache(maxsize=64)
def dynamic_zone(name: str) -> AbbrevZone | None:
    """The dynamic abbreviation of this lower-case name, or None."""
    zone_name = DYNAMIC.get(name)
    if zone_name is None:
        return None
    zone = pg_tzset(zone_name)
    return None if zone is None else AbbrevZone(name, zone.tzinfo)
