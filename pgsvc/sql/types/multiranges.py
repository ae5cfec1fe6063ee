"""The built-in multirange types (int4multirange, ..., datemultirange) as
utils/adt/multirangetypes.c has them. A value is a tuple of non-empty Ranges
(pgsvc.sql.types.ranges), sorted and merged as make_multirange leaves them.

Stored form (TEXT): '{' the ranges' stored forms separated by commas '}', '{}' when empty;
COLLATE pg_multirange orders as multirange_cmp does.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from decimal import InvalidOperation
from functools import lru_cache
from typing import Any

from pgsvc.errors import SqlError
from pgsvc.sql.types import ranges as R

_I4 = struct.Struct("!i")
_STORED_RANGE = re.compile(r"[\[(][^\])]*[\])]")

Multirange = tuple  # of Range


def adjacent_bounds(sub: int, upper: R.Bound, lower: R.Bound) -> bool:
    """bounds_adjacent for ranges held canonical: no point between them."""
    c = R.cmp_bound_values(upper, lower)
    if c == 0:
        return upper.inclusive != lower.inclusive
    return False


def range_adjacent(sub: int, a: R.Range, b: R.Range) -> bool:
    if a.empty or b.empty:
        return False
    la, ua = R.bounds(a)
    lb, ub = R.bounds(b)
    return adjacent_bounds(sub, ua, lb) or adjacent_bounds(sub, ub, la)


def range_union(sub: int, a: R.Range, b: R.Range) -> R.Range:
    """range_union_internal without the contiguity check (range_merge)."""
    if a.empty:
        return b
    if b.empty:
        return a
    la, ua = R.bounds(a)
    lb, ub = R.bounds(b)
    lower = la if R.cmp_bounds(la, lb) < 0 else lb
    upper = ua if R.cmp_bounds(ua, ub) > 0 else ub
    return R.make(sub, lower, upper)


def normalize(sub: int, ranges: list[R.Range]) -> Multirange:
    """multirange_canonicalize: sorted by range_cmp, empties dropped, overlapping and
    adjacent ranges merged."""
    items = sorted((r for r in ranges if not r.empty), key=_cmp_key)
    out: list[R.Range] = []
    for r in items:
        if out:
            last = out[-1]
            _, ulast = R.bounds(last)
            lr, _ = R.bounds(r)
            if range_adjacent(sub, last, r) or R.cmp_bounds(ulast, lr) >= 0:
                out[-1] = range_union(sub, last, r)
                continue
        out.append(r)
    return tuple(out)


class _Key:
    __slots__ = ("r",)

    def __init__(self, r: R.Range) -> None:
        self.r = r

    def __lt__(self, other: _Key) -> bool:
        return R.range_cmp(self.r, other.r) < 0


def _cmp_key(r: R.Range) -> _Key:
    return _Key(r)


def multirange_cmp(a: Multirange, b: Multirange) -> int:
    """multirange_cmp: range by range; a prefix sorts first."""
    for ra, rb in zip(a, b):
        la, ua = R.bounds(ra)
        lb, ub = R.bounds(rb)
        c = R.cmp_bounds(la, lb) or R.cmp_bounds(ua, ub)
        if c:
            return c
    return (len(a) > len(b)) - (len(a) < len(b))


# --- text (multirange_in, multirange_out) ---------------------------------------------

def _malformed(text: str, detail: str) -> SqlError:
    return SqlError("22P02", f'malformed multirange literal: "{text}"', detail=detail)


def split_text(text: str, on_range: Callable[[str], Any] = str) -> list:
    """multirange_in's scanner: each range's text between the braces, handed to on_range as
    soon as it is complete (range_in's errors come before a later syntax error's)."""
    pos = _skip(text, 0)
    if text[pos:pos + 1] != "{":
        raise _malformed(text, "Missing left brace.")
    pos += 1
    state, begin, seen, out = "before", 0, 0, []
    while state != "done":
        if pos >= len(text):
            raise _malformed(text, "Unexpected end of input.")
        ch = text[pos]
        if ch.isspace():
            pos += 1
            continue
        if state == "before":
            if ch in "[(":
                begin, state = pos, "in"
            elif ch == "}" and seen == 0:
                state = "done"
            elif text[pos:pos + 5].lower() == "empty":
                seen += 1
                pos += 4
                state = "after"
            else:
                raise _malformed(text, "Expected range start.")
        elif state == "in":
            if ch in "])":
                out.append(on_range(text[begin:pos + 1]))
                seen += 1
                state = "after"
            elif ch == '"':
                state = "quoted"
            elif ch == "\\":
                state = "escaped"
        elif state == "escaped":
            state = "in"
        elif state == "quoted":
            if ch == '"':
                if text[pos + 1:pos + 2] == '"':
                    pos += 1
                else:
                    state = "in"
            elif ch == "\\":
                state = "quoted_escaped"
        elif state == "quoted_escaped":
            state = "quoted"
        elif state == "after":
            if ch == ",":
                state = "before"
            elif ch == "}":
                state = "done"
            else:
                raise _malformed(text, "Expected comma or end of multirange.")
        pos += 1
    if _skip(text, pos) != len(text):
        raise _malformed(text, "Junk after closing right brace.")
    return out


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def multirange_in(sub: int, text: str, sub_in: Callable[[str], Any]) -> Multirange:
    return normalize(sub, split_text(text, lambda part: R.range_in(sub, part, sub_in)))


def multirange_out(sub: int, m: Multirange, sub_out: Callable[[Any], str]) -> str:
    return "{" + ",".join(R.range_out(sub, r, sub_out) for r in m) + "}"


# --- binary (multirange_send, multirange_recv) ------------------------------------------

def multirange_send(sub: int, m: Multirange, sub_send: Callable[[Any], bytes]) -> bytes:
    out = [_I4.pack(len(m))]
    for r in m:
        data = R.range_send(sub, r, sub_send)
        out.append(_I4.pack(len(data)) + data)
    return b"".join(out)


def multirange_recv(sub: int, data: bytes, sub_recv: Callable[[bytes, int], Any]) -> Multirange:
    data = bytes(data)
    if len(data) < 4:
        raise SqlError("08P01", "insufficient data left in message")
    (count,) = _I4.unpack_from(data)
    pos, ranges = 4, []
    for _ in range(max(count, 0)):
        if pos + 4 > len(data):
            raise SqlError("08P01", "insufficient data left in message")
        (n,) = _I4.unpack_from(data, pos)
        if n < 0 or pos + 4 + n > len(data):
            raise SqlError("08P01", "insufficient data left in message")
        ranges.append(R.range_recv(sub, data[pos + 4:pos + 4 + n], sub_recv))
        pos += 4 + n
    if pos != len(data):
        raise SqlError("22P03", "incorrect binary data format")
    return normalize(sub, ranges)


# --- the stored form -----------------------------------------------------------------

def to_stored(m: Multirange) -> str:
    return "{" + ",".join(R.to_stored(r) for r in m) + "}"


def from_stored(text: str) -> Multirange:
    if '"' not in text and "s" not in text and "f" not in text:
        return tuple(R.from_stored(part) for part in _STORED_RANGE.findall(text))
    return tuple(R.from_stored(part) for part in _split_stored(text))


def _split_stored(text: str) -> list[str]:
    """The stored ranges of a multirange whose bounds may be quoted text."""
    parts, begin, pos, quoted = [], 1, 1, False
    while pos < len(text) - 1:
        ch = text[pos]
        if quoted:
            if ch == "\\":
                pos += 1
            elif ch == '"':
                if text[pos + 1:pos + 2] == '"':
                    pos += 1
                else:
                    quoted = False
        elif ch == '"':
            quoted = True
        elif ch in "])":
            parts.append(text[begin:pos + 1])
            begin = pos + 2  # past the comma
            pos += 1
        pos += 1
    return parts


@lru_cache(maxsize=4096)
def _sort_key(text: str) -> tuple:
    """multirange_cmp's order as a tuple: range by range, a prefix first."""
    return tuple(R.sort_key(r) for r in from_stored(text))


def collate_multirange(a: str, b: str) -> int:
    if a == b:
        return 0
    try:
        ka, kb = _sort_key(a), _sort_key(b)
        return (ka > kb) - (ka < kb)
    except (ValueError, InvalidOperation, IndexError):
        return (a > b) - (a < b)
