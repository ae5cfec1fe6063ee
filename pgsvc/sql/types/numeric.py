"""numeric: exact decimal text I/O, typmod rounding, the base-10000 binary format and
the pg_numeric collation over the canonical stored TEXT.
"""

from __future__ import annotations

import re
import struct
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from pgsvc.errors import SqlError

# Enough precision for PostgreSQL's 131072 digits before / 16383 after the point in practice.
CTX = Context(prec=2000, rounding=ROUND_HALF_UP, Emax=999_999, Emin=-999_999)
NAN = Decimal("NaN")
INF = Decimal("Infinity")

_NUM = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*", re.ASCII)
_SPECIAL = {"nan": NAN, "infinity": INF, "+infinity": INF, "-infinity": -INF,
            "inf": INF, "+inf": INF, "-inf": -INF}


def parse_numeric(text: str) -> Decimal:
    special = _SPECIAL.get(text.strip().lower())
    if special is not None:
        return special
    if not _NUM.fullmatch(text):
        raise SqlError("22P02", f'invalid input syntax for type numeric: "{text}"')
    return canonical(Decimal(text.strip()))


def canonical(value: Decimal) -> Decimal:
    """No positive exponent (1E+2 -> 100), no negative zero."""
    if not value.is_finite():
        return NAN if value.is_nan() else value
    if value.as_tuple().exponent > 0:
        value = value.quantize(Decimal(1), context=CTX)
    if value.is_zero() and value.is_signed():
        value = value.copy_abs()
    return value


def format_numeric(value: Decimal) -> str:
    if not isinstance(value, Decimal):
        value = Decimal(value) if not isinstance(value, float) else Decimal(repr(value))
    if value.is_nan():
        return "NaN"
    if value.is_infinite():
        return "Infinity" if value > 0 else "-Infinity"
    return format(canonical(value), "f")


def dscale(value: Decimal) -> int:
    if not value.is_finite():
        return 0
    return max(0, -value.as_tuple().exponent)


def round_to_scale(value: Decimal, scale: int) -> Decimal:
    """round(value, scale) with half away from zero (negative scale rounds left of the point)."""
    if not value.is_finite():
        return value
    q = value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP, context=CTX)
    return canonical(q) if scale < 0 else q


def apply_numeric_typmod(value: Decimal, precision: int, scale: int) -> Decimal:
    if value.is_nan():
        return value
    if value.is_infinite():
        raise SqlError("22003", "numeric field overflow",
                       detail=f"A field with precision {precision}, scale {scale} "
                              "cannot hold an infinite value.")
    rounded = round_to_scale(value, scale)
    maxdigits = precision - scale
    if not rounded.is_zero() and rounded.copy_abs().adjusted() + 1 > maxdigits:
        limit = f"10^{maxdigits}" if maxdigits else "1"
        raise SqlError("22003", "numeric field overflow",
                       detail=f"A field with precision {precision}, scale {scale} must round "
                              f"to an absolute value less than {limit}.")
    if scale < 0:
        return rounded.quantize(Decimal(1), context=CTX)
    return rounded


# --- binary (numeric_send / numeric_recv) -------------------------------------------

_POS, _NEG, _NAN, _PINF, _NINF = 0x0000, 0x4000, 0xC000, 0xD000, 0xF000


def numeric_send(value: Decimal) -> bytes:
    if value.is_nan():
        return struct.pack("!hhHH", 0, 0, _NAN, 0)
    if value.is_infinite():
        # numeric_send reads the dscale of an infinity out of its short header's bits
        # (0xD000/0xF000 & NUMERIC_SHORT_DSCALE_MASK >> 7): 32, as PostgreSQL 15 sends it
        return struct.pack("!hhHH", 0, 0, _PINF if value > 0 else _NINF, 32)
    value = canonical(value)
    scale = dscale(value)
    digits = format(value.copy_abs(), "f")
    whole, _, frac = digits.partition(".")
    whole = whole.lstrip("0")
    whole = "0" * (-len(whole) % 4) + whole
    frac = frac + "0" * (-len(frac) % 4)
    groups = [int(whole[i:i + 4]) for i in range(0, len(whole), 4)]
    weight = len(groups) - 1
    groups += [int(frac[i:i + 4]) for i in range(0, len(frac), 4)]
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight = 0
    sign = _NEG if value.is_signed() else _POS
    return struct.pack(f"!hhHH{len(groups)}H", len(groups), weight, sign, scale, *groups)


def numeric_recv(data: bytes) -> Decimal:
    ndigits, weight, sign, scale = struct.unpack_from("!hhHH", data)
    if sign == _NAN:
        return NAN
    if sign == _PINF:
        return INF
    if sign == _NINF:
        return -INF
    if sign not in (_POS, _NEG):
        raise SqlError("22P03", "invalid sign in external \"numeric\" value")
    groups = struct.unpack_from(f"!{ndigits}H", data, 8)
    total = 0
    for g in groups:
        if g > 9999:
            raise SqlError("22P03", "invalid digit in external \"numeric\" value")
        total = total * 10000 + g
    exponent = (weight - ndigits + 1) * 4
    value = Decimal(total).scaleb(exponent, context=CTX)
    if sign == _NEG:
        value = value.copy_negate()  # exact: unary minus would round to 28 digits
    return value.quantize(Decimal(1).scaleb(-scale), context=CTX)


# --- collation ---------------------------------------------------------------------

def _sort_key(text: str) -> tuple[int, Decimal]:
    if text == "NaN":
        return (2, Decimal(0))
    if text == "Infinity":
        return (1, Decimal(0))
    if text == "-Infinity":
        return (-1, Decimal(0))
    try:
        return (0, Decimal(text))
    except InvalidOperation:
        return (3, Decimal(0))


def collate_numeric(a: str, b: str) -> int:
    """SQLite collation 'pg_numeric': numeric order of canonical text, NaN greatest."""
    if a == b:
        return 0
    ka, kb = _sort_key(a), _sort_key(b)
    return (ka > kb) - (ka < kb)
