"""Template pictures of to_char / to_number / to_date / to_timestamp: the text is cut into
keyword nodes (with their FM/TM prefix and TH/th suffix) and literal characters, the way
PostgreSQL's formatting reads a picture.

Keywords match case-sensitively against the spellings PostgreSQL accepts (so "Month",
"MONTH" and "month" differ, and "Mm" is two literal characters); at each position the
longest spelling wins. Double-quoted text is literal (a backslash inside quotes takes the
next character literally); outside quotes a backslash only escapes a double quote.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pgsvc.errors import SqlError

# date/time pictures (the spellings PostgreSQL's DCH keyword table has)
DCH_KEYWORDS = (
    "A.D.", "A.M.", "AD", "AM", "B.C.", "BC", "CC", "DAY", "DDD", "DD", "DY", "Day", "Dy", "D",
    "FF1", "FF2", "FF3", "FF4", "FF5", "FF6", "FX", "HH24", "HH12", "HH", "IDDD", "ID", "IW",
    "IYYY", "IYY", "IY", "I", "J", "MI", "MM", "MONTH", "MON", "MS", "Month", "Mon", "OF", "P.M.",
    "PM", "Q", "RM", "SSSSS", "SSSS", "SS", "TZH", "TZM", "TZ", "US", "WW", "W", "Y,YYY", "YYYY",
    "YYY", "YY", "Y",
    "a.d.", "a.m.", "ad", "am", "b.c.", "bc", "cc", "day", "ddd", "dd", "dy", "d", "ff1", "ff2",
    "ff3", "ff4", "ff5", "ff6", "fx", "hh24", "hh12", "hh", "iddd", "id", "iw", "iyyy", "iyy", "iy",
    "i", "j", "mi", "mm", "month", "mon", "ms", "of", "p.m.", "pm", "q", "rm", "sssss", "ssss",
    "ss", "tzh", "tzm", "tz", "us", "ww", "w", "y,yyy", "yyyy", "yyy", "yy", "y",
)

# numeric pictures
NUM_KEYWORDS = (
    ",", ".", "0", "9", "B", "C", "D", "EEEE", "FM", "G", "L", "MI", "PL", "PR", "RN", "SG", "SP",
    "S", "TH", "V", "b", "c", "d", "eeee", "fm", "g", "l", "mi", "pl", "pr", "rn", "sg", "sp", "s",
    "th", "v",
)



@dataclass(frozen=True, slots=True)
class Node:
    kind: str  # 'key' | 'char'
    text: str  # the keyword as written ('Month'), or the literal character
    fm: bool = False  # FM prefix: no padding
    tm: bool = False  # TM prefix: translated names (no padding)
    th: str = ""  # 'TH' / 'th' ordinal suffix, '' none

    @property
    def upper(self) -> str:
        return self.text.upper()

    def is_separator(self) -> bool:
        return self.kind == "char" and is_separator_char(self.text)

    def is_space(self) -> bool:
        return self.kind == "char" and self.text.isspace()


def is_separator_char(c: str) -> bool:
    """ASCII punctuation: what to_timestamp treats as a flexible field separator."""
    return len(c) == 1 and 0x20 < ord(c) < 0x7F and not c.isalnum()


def _by_first_char(words) -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for w in words:
        table.setdefault(w[0], []).append(w)
    return {c: tuple(sorted(ws, key=len, reverse=True)) for c, ws in table.items()}


_DCH_INDEX = _by_first_char(DCH_KEYWORDS)
_NUM_INDEX = _by_first_char(NUM_KEYWORDS)


def _keyword_at(text: str, i: int, index) -> str | None:
    for word in index.get(text[i], ()):
        if text.startswith(word, i):
            return word
    return None


@lru_cache(maxsize=256)
def parse_datetime_template(fmt: str) -> tuple[Node, ...]:
    return tuple(_parse(fmt, _DCH_INDEX, datetime=True))


@lru_cache(maxsize=256)
def parse_number_template(fmt: str) -> tuple[Node, ...]:
    return tuple(_parse(fmt, _NUM_INDEX, datetime=False))


def _parse(fmt: str, index, datetime: bool):
    i, n = 0, len(fmt)
    while i < n:
        fm = tm = False
        if datetime and fmt.startswith(("FM", "fm", "TM", "tm"), i):
            fm, tm = fmt[i] in "Ff", fmt[i] in "Tt"
            i += 2  # a prefix not followed by a keyword is dropped, as in PostgreSQL
            if i >= n:
                break
        word = _keyword_at(fmt, i, index)
        if word is not None:
            i += len(word)
            th = ""
            if datetime and fmt.startswith(("TH", "th"), i):
                th = fmt[i:i + 2]
                i += 2
            elif datetime and fmt.startswith("SP", i):
                i += 2  # spell mode: accepted and ignored, as PostgreSQL does
            yield Node("key", word, fm, tm, th)
            continue
        if fmt[i] == '"':
            i += 1
            while i < n and fmt[i] != '"':
                if fmt[i] == "\\" and i + 1 < n:
                    i += 1
                yield Node("char", fmt[i])
                i += 1
            i += 1  # the closing quote
            continue
        if fmt[i] == "\\" and i + 1 < n and fmt[i + 1] == '"':
            i += 1
        yield Node("char", fmt[i])
        i += 1


def ordinal_suffix(digits: str, upper: bool) -> str:
    """st/nd/rd/th for the number ending `digits` (11th-13th are 'th')."""
    if not digits or not digits[-1].isdigit():
        raise SqlError("22P02", f'"{digits}" is not a number')
    last = digits[-1]
    if len(digits) > 1 and digits[-2] == "1":
        suffix = "th"
    else:
        suffix = {"1": "st", "2": "nd", "3": "rd"}.get(last, "th")
    return suffix.upper() if upper else suffix
