"""The box type's text and binary I/O (utils/adt/geo_ops.c's box_in, box_out, box_recv,
box_send): a box is stored with its upper-right corner first, whatever order the input gave
('(0,0),(1,1)' is '(1,1),(0,0)'), its coordinates printed as float8 prints them.

The Python value of a box is its text with shortest exact coordinates; the output re-prints
it under the session's extra_float_digits when that asks for fewer digits.
"""

from __future__ import annotations

import re
import struct

from pgsvc.errors import SqlError
from pgsvc.sql.types import scalars as S

_NUMBER = re.compile(r"\s*([-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf(?:inity)?|nan))\s*", re.IGNORECASE)
_BOX = struct.Struct("!dddd")
_SPACE = " \t\n\r\v\f"


def _bad(text: str) -> SqlError:
    return SqlError("22P02", f'invalid input syntax for type box: "{text}"')


def _single(s: str, pos: int, text: str) -> tuple[float, int]:
    """single_decode: a float8 (float8in, blanks around it allowed)."""
    m = _NUMBER.match(s, pos)
    if m is None:
        raise _bad(text)
    return S.parse_float(m.group(1)), m.end()


def _skip(s: str, pos: int) -> int:
    while pos < len(s) and s[pos] in _SPACE:
        pos += 1
    return pos


def _pair(s: str, pos: int, text: str) -> tuple[float, float, int]:
    """pair_decode: x,y or (x,y)."""
    pos = _skip(s, pos)
    delimited = pos < len(s) and s[pos] == "("
    if delimited:
        pos += 1
    x, pos = _single(s, pos, text)
    if pos >= len(s) or s[pos] != ",":
        raise _bad(text)
    y, pos = _single(s, pos + 1, text)
    if delimited:
        if pos >= len(s) or s[pos] != ")":
            raise _bad(text)
        pos = _skip(s, pos + 1)
    return x, y, pos


def parse_box(text: str) -> tuple[float, float, float, float]:
    """box_in (path_decode with two points, no open path): (high x, high y, low x, low y)."""
    s, depth = text, 0
    pos = _skip(s, 0)
    if pos < len(s) and s[pos] == "[":
        raise _bad(text)
    if pos < len(s) and s[pos] == "(":
        after = _skip(s, pos + 1)
        if after < len(s) and s[after] == "(":
            depth, pos = 1, after
        elif s.rfind("(") == pos:
            depth, pos = 1, after
    points = []
    for _ in range(2):
        x, y, pos = _pair(s, pos, text)
        points.append((x, y))
        if pos < len(s) and s[pos] == ",":
            pos += 1
    while depth:
        if pos < len(s) and s[pos] == ")":
            depth -= 1
            pos = _skip(s, pos + 1)
        else:
            raise _bad(text)
    if pos != len(s):
        raise _bad(text)
    return _construct(*points[0], *points[1])


def _construct(x1: float, y1: float, x2: float, y2: float) -> tuple[float, float, float, float]:
    """box_construct: the upper-right corner first (a NaN compares false and stays)."""
    if x1 < x2:
        x1, x2 = x2, x1
    if y1 < y2:
        y1, y2 = y2, y1
    return x1, y1, x2, y2


def format_box(coords: tuple[float, float, float, float], extra_float_digits: int = 1) -> str:
    hx, hy, lx, ly = (S.format_float(c, extra_float_digits) for c in coords)
    return f"({hx},{hy}),({lx},{ly})"


def box_in(text: str) -> str:
    """A box's Python value: its canonical text."""
    return format_box(parse_box(text))


def box_out(value: str, extra_float_digits: int) -> str:
    if extra_float_digits >= 1:
        return value  # stored with shortest exact digits, which every positive setting prints
    return format_box(parse_box(value), extra_float_digits)


def box_send(value: str) -> bytes:
    return _BOX.pack(*parse_box(value))


def box_recv(data: bytes, typmod: int = -1) -> str:
    if len(data) != _BOX.size:
        raise SqlError("22P03", "insufficient data left in message" if len(data) < _BOX.size
                       else "incorrect binary data format")
    return format_box(_construct(*_BOX.unpack(data)))
