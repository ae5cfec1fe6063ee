"""numeric's sqrt, exp, ln and log, as numeric.c computes them: the result's scale is
chosen from an estimate of its decimal weight (so that it has at least 16 significant
digits, and no fewer decimals than the argument), and the value is rounded half away from
zero at that scale; the infinities, NaN, zero and negative arguments answer or fail as in
PostgreSQL 15."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal

from pgsvc.errors import SqlError
from pgsvc.sql.functions.values import dec, num_out
from pgsvc.sql.types.numeric import dscale

MIN_SIG_DIGITS = 16
MAX_DISPLAY_SCALE = 1000
MAX_RESULT_SCALE = 2000


def _digits(x: Decimal) -> tuple[int, list[int]]:
    """(weight, base-10000 digits) of |x| as a NumericVar holds them (no leading or
    trailing zero digits)."""
    whole, _, frac = format(x.copy_abs(), "f").partition(".")
    whole = whole.lstrip("0")
    whole = "0" * (-len(whole) % 4) + whole
    frac = frac + "0" * (-len(frac) % 4)
    groups = [int(whole[i:i + 4]) for i in range(0, len(whole), 4)] + \
        [int(frac[i:i + 4]) for i in range(0, len(frac), 4)]
    weight = len(whole) // 4 - 1
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    return (weight, groups) if groups else (0, [])


def _clamp(rscale: int) -> int:
    return min(max(rscale, 0), MAX_DISPLAY_SCALE)


def _round(value: Decimal, rscale: int) -> str:
    return num_out(value.quantize(Decimal(1).scaleb(-rscale), rounding=ROUND_HALF_UP,
                                  context=Context(prec=max(value.adjusted(), 0) + rscale + 5, Emax=10**6,
                                                  Emin=-10**6)))


def _context(rscale: int, weight: int) -> Context:
    return Context(prec=max(weight, 0) + rscale + 20, Emax=10**6, Emin=-10**6)


def sqrt(a):
    x = dec(a)
    if x.is_nan():
        return "NaN"
    if x < 0:
        raise SqlError("2201F", "cannot take square root of a negative number")
    if x.is_infinite():
        return "Infinity"
    weight = _digits(x)[0]
    sweight = (weight + 1) * 2 - 1  # ((weight + 1) * DEC_DIGITS / 2 - 1)
    rscale = _clamp(max(MIN_SIG_DIGITS - sweight, dscale(x)))
    return _round(_context(rscale, sweight).sqrt(x), rscale)


def exp(a):
    x = dec(a)
    if x.is_nan():
        return "NaN"
    if x.is_infinite():
        return "0" if x < 0 else "Infinity"
    val = float(x)
    weight = min(max(val * 0.434294481903252, -MAX_RESULT_SCALE), MAX_RESULT_SCALE)
    rscale = _clamp(max(MIN_SIG_DIGITS - int(weight), dscale(x)))
    if abs(val) >= MAX_RESULT_SCALE * 3:
        if val > 0:
            raise SqlError("22003", "value overflows numeric format")
        return _round(Decimal(0), rscale)
    return _round(_context(rscale, int(weight) + 1).exp(x), rscale)


def _ln_dweight(x: Decimal) -> int:
    """estimate_ln_dweight."""
    if x <= 0:
        return 0
    if Decimal("0.9") <= x <= Decimal("1.1"):
        weight, groups = _digits(x - 1)
        return weight * 4 + int(math.log10(groups[0])) if groups else 0
    weight, groups = _digits(x)
    if not groups:
        return 0
    digits, dweight = groups[0], weight * 4
    if len(groups) > 1:
        digits, dweight = digits * 10000 + groups[1], dweight - 4
    return int(math.log10(abs(math.log(digits) + dweight * 2.302585092994046)))


def _check_log_argument(x: Decimal) -> None:
    if x < 0:
        raise SqlError("2201E", "cannot take logarithm of a negative number")
    if x.is_zero():
        raise SqlError("2201E", "cannot take logarithm of zero")


def ln(a):
    x = dec(a)
    if x.is_nan():
        return "NaN"
    _check_log_argument(x)
    if x.is_infinite():
        return "Infinity"
    rscale = _clamp(max(MIN_SIG_DIGITS - _ln_dweight(x), dscale(x)))
    return _round(_context(rscale, 4).ln(x), rscale)


def log(b, a):
    """log(base, x)."""
    base, x = dec(b), dec(a)
    if base.is_nan() or x.is_nan():
        return "NaN"
    if not base.is_finite() or not x.is_finite():
        _check_log_argument(base)
        _check_log_argument(x)
        if base.is_infinite():
            return "NaN" if x.is_infinite() else "0"
        return "Infinity"
    _check_log_argument(base)
    _check_log_argument(x)
    result_dweight = _ln_dweight(x) - _ln_dweight(base)
    rscale = _clamp(max(MIN_SIG_DIGITS - result_dweight, dscale(base), dscale(x)))
    ctx = _context(rscale + 10, abs(result_dweight) + 4)
    ln_base = ctx.ln(base)
    if ln_base.is_zero():
        raise SqlError("22012", "division by zero")
    return _round(ctx.divide(ctx.ln(x), ln_base), rscale)


def _nullsafe(fn):
    def wrapped(*args):
        return None if any(v is None for v in args) else fn(*args)
    return wrapped


def make_udfs() -> dict:
    return {"pgsvc_numeric_sqrt": (1, _nullsafe(sqrt)), "pgsvc_numeric_exp": (1, _nullsafe(exp)),
            "pgsvc_numeric_ln": (1, _nullsafe(ln)), "pgsvc_numeric_log": (2, _nullsafe(log))}
