"""to_date and to_timestamp(text, text): read a date/time laid out by a template.

Fields are read in template order into `Parsed` (year, month, day, hour, ... plus the
conflicting-value checks), then combined into a date or a timestamp the way PostgreSQL
does: century/year and BC adjustments, day of year, ISO week dates, 12-hour clock. Outside
FX mode a space or separator in the template matches at most one space or separator in the
input, spaces before a field are skipped, and a numeric field followed by a non-digit in
the template reads as many digits as are there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pgsvc.errors import SqlError
from pgsvc.sql.functions.fmt_template import Node, is_separator_char, parse_datetime_template
from pgsvc.sql.functions.formatting import DAY_NAMES, MONTH_NAMES, ROMAN_MONTHS, iso_week_start
from pgsvc.sql.types import dates as D
from pgsvc.sql.types.dateparse import to_utc

_DIGIT_KEYS = {"CC", "DDD", "DD", "D", "FF1", "FF2", "FF3", "FF4", "FF5", "FF6", "HH24", "HH12", "HH",
               "IDDD", "ID", "IW", "IYYY", "IYY", "IY", "I", "J", "MI", "MM", "MS", "Q", "SSSSS", "SSSS",
               "SS", "TZH", "TZM", "US", "WW", "W", "Y,YYY", "YYYY", "YYY", "YY", "Y"}
# characters a numeric field takes when it must be fixed-width
_WIDTH = {"HH": 2, "HH12": 2, "HH24": 2, "MI": 2, "SS": 2, "MS": 3, "US": 6, "SSSS": 5, "SSSSS": 5,
          "TZH": 2, "TZM": 2, "YYYY": 4, "YYY": 3, "YY": 2, "Y": 1, "IYYY": 4, "IYY": 3, "IY": 2,
          "I": 1, "CC": 2, "DDD": 3, "IDDD": 3, "DD": 2, "D": 1, "ID": 1, "MM": 2, "WW": 2, "IW": 2,
          "W": 1, "Q": 1, "J": 7, **{f"FF{k}": k for k in range(1, 7)}}


def _format_error(message: str, detail: str | None = None, hint: str | None = None) -> SqlError:
    return SqlError("22007", message, detail=detail, hint=hint)


@dataclass
class Parsed:
    """The fields read so far (PostgreSQL's TmFromChar)."""
    values: dict = field(default_factory=dict)
    year_digits: int = 0  # how many digits the year field had (for CC and partial years)
    iso: bool = False  # ISO week-date fields were used
    gregorian: bool = False
    tzsign: int = 0

    def set(self, name: str, value: int, node: Node) -> None:
        old = self.values.get(name)
        if old is not None and old != value:
            raise _format_error(f'conflicting values for "{node.text}" field in formatting string',
                                "This value contradicts a previous setting for the same field type.")
        self.values[name] = value

    def get(self, name: str, default: int = 0) -> int:
        return self.values.get(name, default)


class _Reader:
    def __init__(self, text: str, nodes: tuple[Node, ...]) -> None:
        self.s, self.nodes = text, nodes
        self.i = 0
        self.fx = False
        self.extra_skip = 0
        self.out = Parsed()

    def run(self) -> Parsed:
        for k, node in enumerate(self.nodes):
            if self.i >= len(self.s):
                break
            if node.kind == "key" and node.upper == "FX":
                self.fx = True
                continue
            if node.kind == "char":
                self._literal(node)
                continue
            if not self.fx:
                while self.i < len(self.s) and self.s[self.i].isspace():
                    self.i += 1
                    self.extra_skip += 1
            self._field(node, k)
        return self.out

    def _literal(self, node: Node) -> None:
        if node.is_space() or node.is_separator():
            if self.fx:
                self.i += 1
                return
            # one template space/separator matches one (or no) input space/separator
            self.extra_skip -= 1
            c = self.s[self.i]
            if c.isspace() or is_separator_char(c):
                self.i += 1
                self.extra_skip += 1
            return
        if not self.fx and self.extra_skip > 0:
            self.extra_skip -= 1  # already skipped while matching separators
        else:
            self.i += 1  # any character matches a literal (PostgreSQL does not compare)

    # --- fields ---------------------------------------------------------------------

    def _next_is_separator(self, k: int) -> bool:
        node = self.nodes[k]
        if node.th:
            return True
        if k + 1 >= len(self.nodes):
            return True
        nxt = self.nodes[k + 1]
        if nxt.kind == "key":
            return nxt.upper not in _DIGIT_KEYS
        return not nxt.text.isdigit()

    def _int(self, node: Node, k: int, width: int | None = None) -> tuple[int, int]:
        """(value, characters used) of a numeric field."""
        s = self.s
        while self.i < len(s) and s[self.i] == " ":
            self.i += 1
        width = width or _WIDTH[node.upper]
        start = self.i
        if node.fm or self._next_is_separator(k):
            j = start
            if j < len(s) and s[j] in "+-":
                j += 1
            while j < len(s) and s[j].isdigit():
                j += 1
            text = s[start:j]
        else:
            chunk = s[start:start + width]
            if len(chunk) < width:
                raise _format_error(
                    f'source string too short for "{node.text}" formatting field',
                    f"Field requires {width} characters, but only {len(chunk)} remain.",
                    'If your source string is not fixed-width, try using the "FM" modifier.')
            j = 1 if chunk[:1] in ("+", "-") else 0
            while j < len(chunk) and chunk[j].isdigit():
                j += 1
            text = chunk[:j]
            if 0 < len(text) < width and text not in "+-":
                raise _format_error(
                    f'invalid value "{chunk}" for "{node.text}"',
                    f"Field requires {width} characters, but only {len(text)} could be parsed.",
                    'If your source string is not fixed-width, try using the "FM" modifier.')
            j = start + len(text)
        if text in ("", "+", "-"):
            raise _format_error(f'invalid value "{s[start:start + width]}" for "{node.text}"',
                                "Value must be an integer.")
        value = int(text)
        if not -2**31 <= value < 2**31:
            raise SqlError("22008", f'value for "{node.text}" in source string is out of range',
                           detail="Value must be in the range -2147483648 to 2147483647.")
        self.i = j
        if node.th:
            self.i += 2  # skip the ordinal suffix
        return value, len(text)

    def _word(self, node: Node, words, max_len: int | None = None) -> int:
        """Index of the listed word the input starts with (case-insensitive, longest first)."""
        rest = self.s[self.i:].lower()
        best = None
        for idx, w in enumerate(words):
            cand = w.lower() if max_len is None else w[:max_len].lower()
            if rest.startswith(cand) and (best is None or len(cand) > len(best[1])):
                best = (idx, cand)
        if best is None:
            raise _format_error(f'invalid value "{self.s[self.i:self.i + len(max(words, key=len))]}" '
                                f'for "{node.text}"',
                                "The given value did not match any of the allowed values for this field.")
        self.i += len(best[1])
        return best[0]

    def _field(self, node: Node, k: int) -> None:
        key, out = node.upper, self.out
        if key in ("AM", "PM", "A.M.", "P.M."):
            dotted = "." in key
            idx = self._word(node, ("a.m.", "p.m.") if dotted else ("am", "pm"))
            out.set("pm", idx, node)
            out.set("clock12", 1, node)
        elif key in ("AD", "BC", "A.D.", "B.C."):
            idx = self._word(node, ("a.d.", "b.c.") if "." in key else ("ad", "bc"))
            out.set("bc", idx, node)
        elif key in ("HH", "HH12"):
            out.set("hh", self._int(node, k)[0], node)
            out.set("clock12", 1, node)
        elif key in ("HH24", "MI", "SS", "DD", "MM", "Q", "WW", "W", "CC", "J", "DDD"):
            out.set(key.lower(), self._int(node, k)[0], node)
            if key in ("DD", "MM", "WW", "W", "DDD"):
                out.gregorian = True
        elif key in ("MS", "US") or key.startswith("FF"):
            digits = 3 if key == "MS" else 6 if key == "US" else int(key[2])
            value, used = self._int(node, k, digits)
            scale = 10 ** (digits - used) if used < digits else 1
            us = value * scale * (1000 if key == "MS" else 10 ** (6 - digits) if key != "US" else 1)
            out.set("ms" if key == "MS" else "us", us, node)
        elif key in ("SSSS", "SSSSS"):
            out.set("ssss", self._int(node, k)[0], node)
        elif key in ("D", "ID"):
            value = self._int(node, k)[0]
            out.set("d", value if key == "D" else value % 7 + 1, node)  # ISO: Monday 1 .. Sunday 7
            out.iso |= key == "ID"
        elif key in ("IW", "IDDD"):
            out.set("ww" if key == "IW" else "ddd", self._int(node, k)[0], node)
            out.iso = True
        elif key in ("MONTH", "MON"):
            idx = self._word(node, MONTH_NAMES, 3 if key == "MON" else None)
            out.set("mm", idx + 1, node)
            out.gregorian = True
        elif key in ("DAY", "DY"):
            idx = self._word(node, DAY_NAMES, 3 if key == "DY" else None)
            out.set("d", idx + 1, node)
        elif key == "RM":
            idx = self._word(node, ROMAN_MONTHS)
            out.set("mm", idx + 1, node)
        elif key == "Y,YYY":
            self._y_comma_yyy(node)
        elif key in ("YYYY", "YYY", "YY", "Y", "IYYY", "IYY", "IY", "I"):
            value, used = self._int(node, k)
            digits = len(key)
            if digits < 4 and used < 4:
                value = _adjust_partial_year(value)
            out.set("year", value, node)
            out.year_digits = digits
            out.iso |= key.startswith("I")
        elif key == "TZH":
            c = self.s[self.i] if self.i < len(self.s) else ""
            if c in "+- ":
                out.tzsign = -1 if c == "-" else 1
                self.i += 1
            else:
                prev = self.s[self.i - 1] if self.i else ""
                out.tzsign = -1 if self.extra_skip > 0 and prev == "-" else 1
            out.set("tzh", self._int(node, k)[0], node)
        elif key == "TZM":
            out.tzsign = out.tzsign or 1
            out.set("tzm", self._int(node, k)[0], node)
        elif key in ("TZ", "OF"):
            raise SqlError("0A000", f'formatting field "{node.text}" is only supported in to_char')

    def _y_comma_yyy(self, node: Node) -> None:
        m = re.match(r"\s*(\d+),(\d{3})", self.s[self.i:])
        if m is None:
            raise _format_error(f'invalid input string for "{node.text}"')
        self.out.set("year", int(m.group(1)) * 1000 + int(m.group(2)), node)
        self.out.year_digits = 4
        self.i += m.end()


def _adjust_partial_year(year: int) -> int:
    """Two- and three-digit years: the nearest to 2020 (0-69 -> 20xx, 70-99 -> 19xx, ...)."""
    if year < 70:
        return year + 2000
    if year < 100:
        return year + 1900
    if year < 520:
        return year + 2000
    if year < 1000:
        return year + 1000
    return year


# --- combining the fields ------------------------------------------------------------

_CUMULATIVE = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365)


def _month_day_of_year(year: int, ddd: int) -> tuple[int, int]:
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    sums = [c + (1 if leap and i >= 2 else 0) for i, c in enumerate(_CUMULATIVE)]
    for m in range(1, 13):
        if ddd <= sums[m]:
            return m, ddd - sums[m - 1]
    return 12, ddd - sums[11]


def _year(p: Parsed) -> int:
    year = p.get("year")
    cc = p.values.get("cc")
    if "year" in p.values and cc is not None and p.year_digits <= 2:
        year = year % 100
        if year:
            year = year + (cc - 1) * 100 if cc >= 0 else (cc + 1) * 100 - year + 1
        else:
            year = cc * 100 + (0 if cc >= 0 else 1)
    elif "year" not in p.values and cc is not None:
        year = (cc - 1) * 100 + 1 if cc >= 0 else cc * 100 + 1
    if p.get("bc"):
        if year < 0:
            raise _format_error(f'inconsistent use of year {year:04d} and "BC"')
        year = -year + 1 if year else 0  # 44 BC is astronomical year -43; year 0 is 1 BC anyway
    elif "year" not in p.values and cc is None:
        year = 0  # no year given: 1 BC, as PostgreSQL
    return year


def _date(p: Parsed, text: str) -> tuple[int, int, int]:
    year = _year(p)
    mon, mday = p.get("mm", 1) or 1, p.get("dd", 1) or 1
    if "j" in p.values:
        year, mon, mday = D.j2date(p.values["j"])
    if "ww" in p.values:
        if p.iso:
            start = iso_week_start(year) + (p.values["ww"] - 1) * 7
            jd = start + ((p.values.get("d", 2) + 5) % 7 if "d" in p.values else 0)
            year, mon, mday = D.j2date(jd)
        else:
            p.values.setdefault("ddd", (p.values["ww"] - 1) * 7 + 1)
    if "w" in p.values:
        mday = (p.values["w"] - 1) * 7 + 1
        if "dd" in p.values:
            mday = p.values["dd"]
    if "ddd" in p.values and (mon <= 1 or mday <= 1) and not ("ww" in p.values and p.iso):
        if year == 0 and not p.get("bc"):
            raise _format_error("cannot calculate day of year without year information")
        ddd = p.values["ddd"]
        if p.iso:
            year, mon, mday = D.j2date(iso_week_start(year) + ddd - 1)
        else:
            m, d = _month_day_of_year(year, ddd)
            mon = m if mon <= 1 else mon
            mday = d if mday <= 1 else mday
    if not 1 <= mon <= 12 or not 1 <= mday <= D.days_in_month(year, mon):
        raise SqlError("22008", f'date/time field value out of range: "{text}"')
    return year, mon, mday


def _time(p: Parsed, text: str) -> int:
    hour, minute, sec = p.get("hh", p.get("hh24")), p.get("mi"), p.get("ss")
    if "hh" in p.values and "hh24" in p.values and p.values["hh"] != p.values["hh24"]:
        hour = p.values["hh24"]
    if "ssss" in p.values:
        s = p.values["ssss"]
        hour, minute, sec = s // 3600, s // 60 % 60, s % 60
    if p.get("clock12"):
        if not 1 <= hour <= 12:
            raise _format_error(f'hour "{hour}" is invalid for the 12-hour clock',
                                hint="Use the 24-hour clock, or give an hour between 1 and 12.")
        if p.get("pm") and hour < 12:
            hour += 12
        elif not p.get("pm") and hour == 12:
            hour = 0
    usec = p.get("ms") + p.get("us")
    if not (0 <= hour <= 24 and 0 <= minute < 60 and 0 <= sec <= 60 and 0 <= usec < 1_000_000) or \
            (hour == 24 and (minute or sec or usec)):
        raise SqlError("22008", f'date/time field value out of range: "{text}"')
    return ((hour * 60 + minute) * 60 + sec) * 1_000_000 + usec


def parse_fields(text: str, fmt: str) -> Parsed:
    return _Reader(text, parse_datetime_template(fmt)).run()


def to_date(text: str, fmt: str) -> int:
    """Days since 2000-01-01."""
    p = parse_fields(text, fmt)
    y, m, d = _date(p, text)
    _time(p, text)  # time fields are checked even though a date drops them
    days = D.date2j(y, m, d) - D.POSTGRES_EPOCH_JDATE
    if not -D.POSTGRES_EPOCH_JDATE <= days < 2147483494 - D.POSTGRES_EPOCH_JDATE:
        raise SqlError("22008", f'date out of range: "{text}"')
    return days


def to_timestamp(text: str, fmt: str, ctx) -> int:
    """Microseconds since 2000-01-01 UTC, local fields read in the session time zone
    unless TZH/TZM gave an offset."""
    p = parse_fields(text, fmt)
    y, m, d = _date(p, text)
    local = (D.date2j(y, m, d) - D.POSTGRES_EPOCH_JDATE) * D.USECS_PER_DAY + _time(p, text)
    if "tzh" in p.values or "tzm" in p.values:
        offset = p.tzsign * (p.get("tzh") * 3600 + p.get("tzm") * 60)
        us = local - offset * 1_000_000
    else:
        us = to_utc(local, None, ctx)
    if not D.MIN_TIMESTAMP <= us < D.END_TIMESTAMP:
        raise SqlError("22008", "timestamp out of range")
    return us
