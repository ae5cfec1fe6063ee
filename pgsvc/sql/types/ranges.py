"""The built-in range types (int4range, int8range, numrange, daterange, tsrange, tstzrange)
as utils/adt/rangetypes.c has them: a value, its canonical form, its order, its text and
binary forms, and its stored form in SQLite.

A value is a Range(lower, upper, flags) whose bounds are the subtype's *keys*: the stored
form of the subtype (int for int4/int8, days for date, microseconds for timestamps) or a
Decimal for numeric; an infinite bound (or an empty range's) is None. The flags are
rangetypes.h's. Discrete ranges (int4, int8, date) are always held canonical, '[)'.

Stored form (TEXT): 'empty', or the bounds' keys between PostgreSQL's brackets with an
infinite bound left out: '[1,5)', '(,8766)', '[1.50,NaN)'. Columns and comparisons use
COLLATE pg_range, which orders as range_cmp does (empty first, then the lower bounds, then
the upper bounds, an inclusive lower bound before an exclusive one).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NamedTuple

from pgsvc.errors import SqlError
from pgsvc.sql.types import dates as D
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.numeric import format_numeric

EMPTY, LB_INC, UB_INC, LB_INF, UB_INF = 0x01, 0x02, 0x04, 0x08, 0x10
_I4 = struct.Struct("!i")
DISCRETE = {O.INT4: "integer out of range", O.INT8: "bigint out of range", O.DATE: ""}
_INT_LIMIT = {O.INT4: 1 << 31, O.INT8: 1 << 63}


class Range(NamedTuple):
    lower: Any
    upper: Any
    flags: int

    @property
    def empty(self) -> bool:
        return bool(self.flags & EMPTY)


EMPTY_RANGE = Range(None, None, EMPTY)


# range type -> (subtype, multirange type) and multirange type -> range type: the built-in
# ones and the database's own (CREATE TYPE ... AS RANGE), installed by pgsvc.sql.types.usertypes
_BUILTIN = {rng: (v[0], v[1]) for rng, v in O.RANGE_TYPES.items()}
_RANGES: dict[int, tuple[int, int]] = dict(_BUILTIN)
_MULTIS: dict[int, int] = dict(O.MULTIRANGE_TYPES)
_USER: dict[int, tuple[int, int]] = {}
_BASES: dict[int, int] = {}  # a user range's domain subtype -> the domain's base type (its keys')
# subtypes a user-defined range type may have: their keys are their stored forms
FLOAT_SUBTYPES = (O.FLOAT4, O.FLOAT8)
_INTS = (O.INT2, O.INT4, O.INT8)
STRING_SUBTYPES = (O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME)
USER_SUBTYPES = (*_INTS, *FLOAT_SUBTYPES, *STRING_SUBTYPES, O.NUMERIC, O.DATE, O.TIMESTAMP, O.TIMESTAMPTZ,
                  O.MONEY)


def install_user_ranges(ranges: dict[int, tuple[int, int]], bases: dict[int, int] | None = None) -> None:
    """The database's range types: range oid -> (subtype, multirange oid); bases: the base
    type of each subtype that is a domain."""
    _BASES.clear()
    _BASES.update(bases or {})
    _RANGES.clear()
    _RANGES.update(_BUILTIN)
    _RANGES.update(ranges)
    _USER.clear()
    _USER.update(ranges)
    _MULTIS.clear()
    _MULTIS.update({multi: rng for rng, (_sub, multi) in _RANGES.items()})


def subtype_of(oid: int) -> int:
    """The subtype of a range or multirange type."""
    return _RANGES[_MULTIS.get(oid, oid)][0]


def is_range(oid: int) -> bool:
    return oid in _RANGES


def is_multirange(oid: int) -> bool:
    return oid in _MULTIS


def multirange_of(range_oid: int) -> int:
    return _RANGES[range_oid][1]


def range_of(multi_oid: int) -> int:
    return _MULTIS[multi_oid]


def range_over(sub: int) -> int:
    """The range type over a subtype (a built-in one first), 0 if none: a polymorphic
    function's anyrange result from its anyelement."""
    for rng, (s, _multi) in _RANGES.items():
        if s == sub or key_subtype(s) == sub:
            return rng
    return 0


def user_ranges() -> dict[int, tuple[int, int]]:
    return _USER


# --- keys: the subtype's values as ranges hold them -------------------------------------

def work_subtype(oid: int) -> int:
    """The subtype as the functions here take it for a range or multirange type: negated
    for a user-defined range over int4, int8 or date, which has no canonical function (its
    keys are the subtype's all the same)."""
    sub = subtype_of(oid)
    return -sub if sub in DISCRETE and _MULTIS.get(oid, oid) in _USER else sub


def key_subtype(sub: int) -> int:
    """The type whose stored form a subtype's keys are (a domain's base type)."""
    sub = -sub if sub < 0 else sub
    return _BASES.get(sub, sub)


def key_from_python(sub: int, value: Any) -> Any:
    sub = key_subtype(sub)
    if sub == O.NUMERIC:
        return value if isinstance(value, Decimal) else Decimal(value)
    if sub == O.DATE:
        days = D.date_to_days(value)
        return D.NOEND if days >= D.DATE_NOEND else D.NOBEGIN if days <= D.DATE_NOBEGIN else days
    if sub in (O.TIMESTAMP, O.TIMESTAMPTZ):
        return D.timestamp_to_micros(value)
    if sub in FLOAT_SUBTYPES:
        return float(value)
    if sub in STRING_SUBTYPES:
        return value
    return int(value)


def key_to_python(sub: int, key: Any) -> Any:
    sub = key_subtype(sub)
    if sub == O.NUMERIC:
        return key if isinstance(key, Decimal) else Decimal(key)  # '3' is read back as an int
    if sub == O.DATE:
        return D.days_to_date(key)
    if sub in (O.TIMESTAMP, O.TIMESTAMPTZ):
        return D.micros_to_timestamp(key, sub == O.TIMESTAMPTZ)
    return key


def cmp_keys(a: Any, b: Any) -> int:
    if isinstance(a, float) and (a != a or b != b):
        return int(a != a) - int(b != b)  # float NaN as float8_cmp orders it
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        a, b = Decimal(a), Decimal(b)
        if a.is_nan() or b.is_nan():
            return int(a.is_nan()) - int(b.is_nan())  # numeric NaN equals itself, above all others
    return (a > b) - (a < b)


# --- bounds and order (range_cmp_bounds, range_cmp) -------------------------------------

class Bound(NamedTuple):
    value: Any
    inclusive: bool
    infinite: bool
    lower: bool


def bounds(r: Range) -> tuple[Bound, Bound]:
    f = r.flags
    return (Bound(r.lower, bool(f & LB_INC), bool(f & LB_INF), True),
            Bound(r.upper, bool(f & UB_INC), bool(f & UB_INF), False))


def cmp_bound_values(b1: Bound, b2: Bound) -> int:
    if b1.infinite and b2.infinite:
        return 0 if b1.lower == b2.lower else (-1 if b1.lower else 1)
    if b1.infinite:
        return -1 if b1.lower else 1
    if b2.infinite:
        return 1 if b2.lower else -1
    return cmp_keys(b1.value, b2.value)


def cmp_bounds(b1: Bound, b2: Bound) -> int:
    result = cmp_bound_values(b1, b2)
    if result == 0 and not (b1.infinite or b2.infinite):
        if not b1.inclusive and not b2.inclusive:
            return 0 if b1.lower == b2.lower else (1 if b1.lower else -1)
        if not b1.inclusive:
            return 1 if b1.lower else -1
        if not b2.inclusive:
            return -1 if b2.lower else 1
    return result


def range_cmp(a: Range, b: Range) -> int:
    if a.empty or b.empty:
        return int(b.empty) - int(a.empty) if a.empty != b.empty else 0
    la, ua = bounds(a)
    lb, ub = bounds(b)
    return cmp_bounds(la, lb) or cmp_bounds(ua, ub)


# --- construction (range_serialize, make_range and the canonical functions) -------------

def _infinite_date(sub: int, key: Any) -> bool:
    return sub == O.DATE and key in (D.NOBEGIN, D.NOEND)


def _step(sub: int, key: Any) -> Any:
    if sub == O.DATE:
        return key + 1
    key += 1
    if key >= _INT_LIMIT[sub]:
        raise SqlError("22003", DISCRETE[sub])
    return key


def make(sub: int, lower: Bound, upper: Bound, empty: bool = False) -> Range:
    """make_range: the bounds checked (22000 when lower > upper), made empty when they meet
    without both being inclusive, and a discrete range made canonical ('[)')."""
    if empty:
        return EMPTY_RANGE
    lo, lo_inc = (None, False) if lower.infinite else (lower.value, lower.inclusive)
    hi, hi_inc = (None, False) if upper.infinite else (upper.value, upper.inclusive)
    if sub in DISCRETE:  # daterange_canonical leaves an infinite date as it is
        if lo is not None and not lo_inc and not _infinite_date(sub, lo):
            lo, lo_inc = _step(sub, lo), True
        if hi is not None and hi_inc and not _infinite_date(sub, hi):
            hi, hi_inc = _step(sub, hi), False
    if lo is not None and hi is not None:
        c = cmp_keys(lo, hi)
        if c > 0:
            raise SqlError("22000", "range lower bound must be less than or equal to range upper bound")
        if c == 0 and not (lo_inc and hi_inc):
            return EMPTY_RANGE
    flags = (LB_INC if lo_inc else 0) | (UB_INC if hi_inc else 0)
    flags |= (LB_INF if lower.infinite else 0) | (UB_INF if upper.infinite else 0)
    return Range(lo, hi, flags)


def construct(sub: int, lo: Any, hi: Any, spec: str = "[)") -> Range:
    """range_constructor2/3: int4range(1, 5, '[]'); a NULL bound is an infinite one."""
    if spec not in ("[]", "[)", "(]", "()"):
        raise SqlError("42601", "invalid range bound flags",
                       hint='Valid values are "[]", "[)", "(]", and "()".')
    return make(sub, Bound(lo, spec[0] == "[", lo is None, True),
                Bound(hi, spec[1] == "]", hi is None, False))


# --- text input and output (range_in, range_out) -------------------------------------

def _malformed(text: str, detail: str) -> SqlError:
    return SqlError("22P02", f'malformed range literal: "{text}"', detail=detail)


def _parse_bound(text: str, pos: int) -> tuple[str | None, int]:
    if pos < len(text) and text[pos] in ",)]":
        return None, pos
    out: list[str] = []
    inquote = False
    while inquote or not (pos < len(text) and text[pos] in ",)]"):
        if pos >= len(text):
            raise _malformed(text, "Unexpected end of input.")
        ch = text[pos]
        pos += 1
        if ch == "\\":
            if pos >= len(text):
                raise _malformed(text, "Unexpected end of input.")
            out.append(text[pos])
            pos += 1
        elif ch == '"':
            if not inquote:
                inquote = True
            elif pos < len(text) and text[pos] == '"':
                out.append('"')
                pos += 1
            else:
                inquote = False
        else:
            out.append(ch)
    return "".join(out), pos


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def parse_range_text(text: str) -> tuple[int, str | None, str | None]:
    """range_parse: (flags, lower text, upper text); None for an infinite bound."""
    pos = _skip_space(text, 0)
    if text[pos:pos + 5].lower() == "empty":
        if _skip_space(text, pos + 5) != len(text):
            raise _malformed(text, 'Junk after "empty" key word.')
        return EMPTY, None, None
    flags = 0
    if text[pos:pos + 1] == "[":
        flags |= LB_INC
    elif text[pos:pos + 1] != "(":
        raise _malformed(text, "Missing left parenthesis or bracket.")
    lo, pos = _parse_bound(text, pos + 1)
    if text[pos:pos + 1] != ",":
        raise _malformed(text, "Missing comma after lower bound.")
    hi, pos = _parse_bound(text, pos + 1)
    if text[pos:pos + 1] == "]":
        flags |= UB_INC
    elif text[pos:pos + 1] != ")":
        raise _malformed(text, "Too many commas.")
    if _skip_space(text, pos + 1) != len(text):
        raise _malformed(text, "Junk after right parenthesis or bracket.")
    return flags | (LB_INF if lo is None else 0) | (UB_INF if hi is None else 0), lo, hi


def range_in(sub: int, text: str, sub_in: Callable[[str], Any]) -> Range:
    flags, lo, hi = parse_range_text(text)
    if flags & EMPTY:
        return EMPTY_RANGE
    lo_key = None if lo is None else key_from_python(sub, sub_in(lo))
    hi_key = None if hi is None else key_from_python(sub, sub_in(hi))
    return make(sub, Bound(lo_key, bool(flags & LB_INC), lo is None, True),
                Bound(hi_key, bool(flags & UB_INC), hi is None, False))


def _escape(value: str) -> str:
    """range_bound_escape: quoted when empty or holding a quote, backslash, bracket,
    parenthesis, comma or white space; quotes and backslashes doubled."""
    quote = value == "" or any(ch in '"\\()[],' or ch.isspace() for ch in value)
    value = value.replace("\\", "\\\\").replace('"', '""')
    return f'"{value}"' if quote else value


def range_out(sub: int, r: Range, sub_out: Callable[[Any], str]) -> str:
    if r.empty:
        return "empty"
    lo = "" if r.flags & LB_INF else _escape(sub_out(key_to_python(sub, r.lower)))
    hi = "" if r.flags & UB_INF else _escape(sub_out(key_to_python(sub, r.upper)))
    return f"{'[' if r.flags & LB_INC else '('}{lo},{hi}{']' if r.flags & UB_INC else ')'}"


# --- binary (range_send, range_recv) ---------------------------------------------------

def range_send(sub: int, r: Range, sub_send: Callable[[Any], bytes]) -> bytes:
    out = [bytes([r.flags & 0xFF])]
    if not r.empty:
        for key, inf in ((r.lower, r.flags & LB_INF), (r.upper, r.flags & UB_INF)):
            if not inf:
                data = sub_send(key_to_python(sub, key))
                out.append(_I4.pack(len(data)) + data)
    return b"".join(out)


def _take(data: bytes, pos: int, n: int) -> bytes:
    if n < 0 or pos + n > len(data):
        raise SqlError("08P01", "insufficient data left in message")
    return data[pos:pos + n]


def range_recv(sub: int, data: bytes, sub_recv: Callable[[bytes, int], Any]) -> Range:
    data = bytes(data)
    flags = _take(data, 0, 1)[0] & (EMPTY | LB_INC | LB_INF | UB_INC | UB_INF)
    pos, keys = 1, []
    for inf in (LB_INF, UB_INF):
        if flags & (EMPTY | inf):
            keys.append(None)
            continue
        (n,) = _I4.unpack(_take(data, pos, 4))
        keys.append(key_from_python(sub, sub_recv(_take(data, pos + 4, n), -1)))
        pos += 4 + n
    if pos != len(data):
        raise SqlError("22P03", "incorrect binary data format")
    return make(sub, Bound(keys[0], bool(flags & LB_INC), bool(flags & LB_INF), True),
                Bound(keys[1], bool(flags & UB_INC), bool(flags & UB_INF), False), bool(flags & EMPTY))


# --- the stored form -----------------------------------------------------------------

def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return _escape(key)
    return format_numeric(key) if isinstance(key, Decimal) else repr(key) if isinstance(key, float) else str(key)


def to_stored(r: Range) -> str:
    """Text and float bounds (user-defined ranges) are marked: 's' and 'f' before the bracket."""
    if r.empty:
        return "empty"
    lo = "" if r.flags & LB_INF else _key_text(r.lower)
    hi = "" if r.flags & UB_INF else _key_text(r.upper)
    key = r.upper if r.flags & LB_INF else r.lower
    mark = "s" if isinstance(key, str) else "f" if isinstance(key, float) else ""
    return f"{mark}{'[' if r.flags & LB_INC else '('}{lo},{hi}{']' if r.flags & UB_INC else ')'}"


def _stored_key(text: str) -> Any:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return Decimal(text)


def from_stored(text: str) -> Range:
    if text == "empty":
        return EMPTY_RANGE
    if text[0] in "sf":
        flags, lo, hi = parse_range_text(text[1:])
        conv = str if text[0] == "s" else float
        return Range(None if lo is None else conv(lo), None if hi is None else conv(hi), flags)
    lo, _, hi = text[1:-1].partition(",")
    flags = (LB_INC if text[0] == "[" else 0) | (UB_INC if text[-1] == "]" else 0)
    flags |= (LB_INF if lo == "" else 0) | (UB_INF if hi == "" else 0)
    return Range(_stored_key(lo), _stored_key(hi), flags)


def _value_key(v: Any) -> tuple:
    return (1, 0) if v != v else (0, v)  # a NaN bound above every number, equal to itself


def sort_key(r: Range) -> tuple:
    """A tuple ordered as range_cmp orders ranges: empty first; then the lower bounds (an
    infinite one first, an inclusive one before an exclusive one at the same value); then
    the upper bounds (an exclusive one before an inclusive one, an infinite one last)."""
    if r.empty:
        return (0,)
    f = r.flags
    lower = (-1,) if f & LB_INF else (0, _value_key(r.lower), 0 if f & LB_INC else 1)
    upper = (1,) if f & UB_INF else (0, _value_key(r.upper), 1 if f & UB_INC else 0)
    return (1, lower, upper)


@lru_cache(maxsize=16384)
def stored_sort_key(text: str) -> tuple:
    """A stored range's sort key, read once per sort, not once per comparison."""
    return sort_key(from_stored(text))


def collate_range(a: str, b: str) -> int:
    if a == b:
        return 0
    try:
        ka, kb = stored_sort_key(a), stored_sort_key(b)
        return (ka > kb) - (ka < kb)
    except (ValueError, InvalidOperation, IndexError):
        return (a > b) - (a < b)
