"""point, lseg, line, path, polygon and circle as utils/adt/geo_ops.c reads and prints them
(point_in/out, lseg_in/out, line_in/out, path_in/out, poly_in/out, circle_in/out and their
send/recv): pair_decode, path_decode and single_decode's grammar, PostgreSQL's errors, a
line given by two points turned into {A,B,C} as line_construct does.

A value is held as its canonical text (coordinates with shortest exact digits), as box's is
(pgsvc.sql.types.geometry); the output re-prints it when extra_float_digits asks for fewer.
They were stored as the text the client sent ('1,2'::point printed 1,2; 'abc'::point was
accepted).
"""

from __future__ import annotations

import math
import re
import struct

from pgsvc.errors import SqlError
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import scalars as S

_NUMBER = re.compile(r"[ \t\n\r\v\f]*([-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf(?:inity)?|nan))"
                     r"[ \t\n\r\v\f]*", re.IGNORECASE)
_SPACE = " \t\n\r\v\f"
_EPSILON = 1.0e-06
_F8 = struct.Struct("!d")
NAMES = {O.POINT: "point", O.LSEG: "lseg", O.LINE: "line", O.PATH: "path", O.POLYGON: "polygon",
         O.CIRCLE: "circle"}


class _Reader:
    """A cursor over one input string, failing with the type's syntax error."""

    def __init__(self, text: str, type_name: str) -> None:
        self.s, self.pos, self.type_name = text, 0, type_name

    def fail(self) -> SqlError:
        return SqlError("22P02", f'invalid input syntax for type {self.type_name}: "{self.s}"')

    def peek(self) -> str:
        return self.s[self.pos] if self.pos < len(self.s) else ""

    def skip(self) -> None:
        self.pos = self.nonspace_from(self.pos)

    def nonspace_from(self, i: int) -> int:
        """The first position at or after i that is not white space."""
        while i < len(self.s) and self.s[i] in _SPACE:
            i += 1
        return i

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.fail()
        self.pos += 1

    def single(self) -> float:
        """single_decode: a float8, blanks around it allowed."""
        m = _NUMBER.match(self.s, self.pos)
        if m is None:
            raise self.fail()
        self.pos = m.end()
        return S.parse_float(m.group(1))

    def pair(self) -> tuple[float, float]:
        """pair_decode: x,y or (x,y)."""
        self.skip()
        delimited = self.peek() == "("
        if delimited:
            self.pos += 1
        x = self.single()
        self.expect(",")
        y = self.single()
        if delimited:
            self.expect(")")
            self.skip()
        return x, y

    def path(self, opentype: bool, npts: int) -> tuple[list[tuple[float, float]], bool]:
        """path_decode: npts points, in '[...]' (open, if allowed) or parentheses."""
        self.skip()
        depth, is_open = 0, self.peek() == "["
        if is_open:
            if not opentype:
                raise self.fail()
            depth, self.pos = 1, self.pos + 1
        elif self.peek() == "(":
            after = self.nonspace_from(self.pos + 1)
            if after < len(self.s) and self.s[after] == "(":
                depth, self.pos = 1, after
            elif self.s.rfind("(") == self.pos:
                depth, self.pos = 1, after
        points = []
        for _ in range(npts):
            points.append(self.pair())
            if self.peek() == ",":
                self.pos += 1
        while depth > 0:
            if self.peek() == ")" or (self.peek() == "]" and is_open and depth == 1):
                depth -= 1
                self.pos += 1
                self.skip()
            else:
                raise self.fail()
        return points, is_open

    def end(self) -> None:
        if self.pos != len(self.s):
            raise self.fail()


def _pair_count(text: str) -> int:
    n = text.count(",")
    return (n + 1) // 2 if n % 2 else -1


def _fmt(x: float, digits: int) -> str:
    return S.format_float(x, digits)


def _points(points, digits: int) -> str:
    return ",".join(f"({_fmt(x, digits)},{_fmt(y, digits)})" for x, y in points)


# --- canonical values: (kind, numbers) <-> text ----------------------------------------------

def parse(oid: int, text: str):
    """The value's parts: point (x, y); lseg [p1, p2]; line (A, B, C); path (points, closed);
    polygon points; circle (x, y, r)."""
    r = _Reader(text, NAMES[oid])
    if oid == O.POINT:
        x, y = r.pair()
        r.end()
        return x, y
    if oid == O.LSEG:
        points, _ = r.path(True, 2)
        r.end()
        return points
    if oid == O.PATH:
        return _path_in(r, text)
    if oid == O.POLYGON:
        npts = _pair_count(text)
        if npts <= 0:
            raise r.fail()
        points, _ = r.path(False, npts)
        r.end()
        return points
    if oid == O.CIRCLE:
        return _circle_in(r)
    return _line_in(r)


def _path_in(r: _Reader, text: str):
    npts = _pair_count(text)
    if npts <= 0:
        raise r.fail()
    r.skip()
    depth = 0
    if r.peek() == "(" and text.rfind("(") == r.pos:
        depth, r.pos = 1, r.pos + 1
    points, is_open = r.path(True, npts)
    if depth:
        r.expect(")")
        r.skip()
    r.end()
    return points, not is_open


def _circle_in(r: _Reader):
    r.skip()
    depth = 0
    if r.peek() == "<":
        depth, r.pos = 1, r.pos + 1
    elif r.peek() == "(":
        after = r.nonspace_from(r.pos + 1)
        if after < len(r.s) and r.s[after] == "(":
            depth, r.pos = 1, after
    x, y = r.pair()
    if r.peek() == ",":
        r.pos += 1
    radius = r.single()
    if radius < 0:
        raise r.fail()
    while depth > 0:
        if r.peek() == ")" or (r.peek() == ">" and depth == 1):
            depth -= 1
            r.pos += 1
            r.skip()
        else:
            raise r.fail()
    r.end()
    return x, y, radius


def _fp_eq(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= _EPSILON


def _line_in(r: _Reader):
    r.skip()
    if r.peek() == "{":
        r.pos += 1
        a = r.single()
        r.expect(",")
        b = r.single()
        r.expect(",")
        c = r.single()
        r.expect("}")
        r.skip()
        r.end()
        if abs(a) <= _EPSILON and abs(b) <= _EPSILON:
            raise SqlError("22P02", "invalid line specification: A and B cannot both be zero")
        return a, b, c
    (x1, y1), (x2, y2) = r.path(True, 2)[0]
    r.end()
    nan = any(math.isnan(v) for v in (x1, y1, x2, y2))
    same = ((x1 == x2 or math.isnan(x1) and math.isnan(x2)) and (y1 == y2 or math.isnan(y1) and math.isnan(y2))
            if nan else _fp_eq(x1, x2) and _fp_eq(y1, y2))
    if same:
        raise SqlError("22P02", "invalid line specification: must be two distinct points")
    return _line_construct(x1, y1, x2, y2)


def _line_construct(x1: float, y1: float, x2: float, y2: float) -> tuple[float, float, float]:
    """line_construct(p1, point_sl(p1, p2))."""
    if _fp_eq(x1, x2):
        return -1.0, 0.0, x1
    if _fp_eq(y1, y2):
        return 0.0, -1.0, y1
    m = (y1 - y2) / (x1 - x2)
    c = y1 - m * x1
    return m, -1.0, 0.0 if c == 0.0 else c


def format_value(oid: int, parts, digits: int = 1) -> str:
    if oid == O.POINT:
        return f"({_fmt(parts[0], digits)},{_fmt(parts[1], digits)})"
    if oid == O.LSEG:
        return f"[{_points(parts, digits)}]"
    if oid == O.PATH:
        points, closed = parts
        return f"({_points(points, digits)})" if closed else f"[{_points(points, digits)}]"
    if oid == O.POLYGON:
        return f"({_points(parts, digits)})"
    if oid == O.CIRCLE:
        return f"<({_fmt(parts[0], digits)},{_fmt(parts[1], digits)}),{_fmt(parts[2], digits)}>"
    return "{" + ",".join(_fmt(v, digits) for v in parts) + "}"


def geo_in(oid: int):
    """The text input: the canonical text of the value."""
    return lambda text: format_value(oid, parse(oid, text))


def geo_out(oid: int, extra_float_digits: int):
    if extra_float_digits >= 1:
        return str  # stored with shortest exact digits, which every positive setting prints
    return lambda value: format_value(oid, parse(oid, value), extra_float_digits)


# --- binary ------------------------------------------------------------------------------------

def geo_send(oid: int):
    def send(value: str) -> bytes:
        parts = parse(oid, value)
        if oid == O.PATH:
            points, closed = parts
            head = struct.pack("!bi", 1 if closed else 0, len(points))
            return head + b"".join(struct.pack("!dd", x, y) for x, y in points)
        if oid == O.POLYGON:
            return struct.pack("!i", len(parts)) + b"".join(struct.pack("!dd", x, y) for x, y in parts)
        if oid == O.LSEG:
            return b"".join(struct.pack("!dd", x, y) for x, y in parts)
        return b"".join(_F8.pack(v) for v in parts)
    return send


def _floats(data: bytes, pos: int, n: int) -> list[float]:
    if len(data) - pos < 8 * n:
        raise SqlError("08P01", "insufficient data left in message")
    return list(struct.unpack_from(f"!{n}d", data, pos))


def _done(data: bytes, pos: int) -> None:
    if pos != len(data):
        raise SqlError("22P03", "incorrect binary data format")


def geo_recv(oid: int):
    fixed = {O.POINT: 2, O.LSEG: 4, O.LINE: 3, O.CIRCLE: 3}

    def recv(data: bytes, typmod: int = -1) -> str:
        data = bytes(data)
        if oid in fixed:
            n = fixed[oid]
            v = _floats(data, 0, n)
            _done(data, 8 * n)
            if oid == O.LSEG:
                return format_value(oid, [(v[0], v[1]), (v[2], v[3])])
            if oid == O.LINE and abs(v[0]) <= _EPSILON and abs(v[1]) <= _EPSILON:
                raise SqlError("22P02", "invalid line specification: A and B cannot both be zero")
            if oid == O.CIRCLE and v[2] < 0:
                raise SqlError("22P03", "invalid radius in external \"circle\" value")
            return format_value(oid, tuple(v))
        pos = 5 if oid == O.PATH else 4
        if len(data) < pos:
            raise SqlError("08P01", "insufficient data left in message")
        npts = struct.unpack_from("!i", data, pos - 4)[0]
        if npts <= 0 or npts >= (0x7FFFFFFF - 40) // 16:
            raise SqlError("22P03", f'invalid number of points in external "{NAMES[oid]}" value')
        v = _floats(data, pos, 2 * npts)
        _done(data, pos + 16 * npts)
        points = [(v[i], v[i + 1]) for i in range(0, len(v), 2)]
        return format_value(oid, (points, data[0] != 0) if oid == O.PATH else points)
    return recv
