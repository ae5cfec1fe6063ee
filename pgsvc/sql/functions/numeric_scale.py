"""numeric's scale functions (scale, min_scale, trim_scale) and div(), as numeric.c has
them: the display scale of a value, the least scale that keeps its value, the value at that
scale; NaN and the infinities have no scale. div() truncates the quotient toward zero, with
PostgreSQL's answers for the infinities (inf div x is +-inf, x div inf is 0, inf div inf NaN)."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from pgsvc.errors import SqlError
from pgsvc.sql.functions.values import dec, num_out
from pgsvc.sql.types.numeric import CTX, dscale


def _nullsafe(fn):
    def wrapped(*args):
        return None if any(a is None for a in args) else fn(*args)
    return wrapped


def scale(a):
    x = dec(a)
    return dscale(x) if x.is_finite() else None


def _min_scale(x: Decimal) -> int:
    if x.is_zero():
        return 0
    digits, exponent = x.as_tuple().digits, x.as_tuple().exponent
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing))


def min_scale(a):
    x = dec(a)
    return _min_scale(x) if x.is_finite() else None


def trim_scale(a):
    x = dec(a)
    if not x.is_finite():
        return num_out(x)
    return num_out(x.quantize(Decimal(1).scaleb(-_min_scale(x)), context=CTX))


def div_trunc(a, b):
    x, y = dec(a), dec(b)
    if x.is_nan() or y.is_nan():
        return "NaN"
    if y.is_zero():
        raise SqlError("22012", "division by zero")
    if x.is_infinite():
        if y.is_infinite():
            return "NaN"
        return num_out(x if y > 0 else -x)
    if y.is_infinite():
        return "0"
    return num_out(CTX.divide(x, y).to_integral_value(rounding=ROUND_DOWN))


def make_udfs() -> dict:
    return {"pgsvc_numeric_scale": (1, _nullsafe(scale)), "pgsvc_numeric_min_scale": (1, _nullsafe(min_scale)),
            "pgsvc_numeric_trim_scale": (1, _nullsafe(trim_scale)), "pgsvc_numeric_div_trunc": (2, _nullsafe(div_trunc))}
