"""float8 math as utils/adt/float.c computes it: dsqrt (|/), dcbrt (||/), dexp, dlog1 (ln),
dlog10, dpow (^, power), the trigonometric and hyperbolic functions, degrees/radians and
sign, float4send/float8send, with PostgreSQL's handling of NaN and the infinities and its
errors (2201F, 2201E, 22003).

Values arrive as SQLite stores a float8 (NaN as the string 'NaN', infinities as REALs) and
leave the same way; C's libm does the arithmetic (math.cbrt is C's cbrt, whose result
PostgreSQL shows: ||/ 27 is 3.0000000000000004 there too).
"""

from __future__ import annotations

import math
import struct

from pgsvc.errors import SqlError
from pgsvc.sql.types.storage import float_from_sqlite, float_to_sqlite

_INF = math.inf


def _overflow() -> SqlError:
    return SqlError("22003", "value out of range: overflow")


def _underflow() -> SqlError:
    return SqlError("22003", "value out of range: underflow")


def _out_of_range() -> SqlError:
    return SqlError("22003", "input is out of range")


def check(result: float, inf_is_valid: bool, zero_is_valid: bool) -> float:
    """check_float8_val."""
    if math.isinf(result) and not inf_is_valid:
        raise _overflow()
    if result == 0.0 and not zero_is_valid:
        raise _underflow()
    return result


def dsqrt(x: float) -> float:
    if x < 0:
        raise SqlError("2201F", "cannot take square root of a negative number")
    return check(math.sqrt(x), math.isinf(x), x == 0)


def dcbrt(x: float) -> float:
    return check(math.cbrt(x), math.isinf(x), x == 0)


def dexp(x: float) -> float:
    if math.isnan(x):
        return x
    if math.isinf(x):
        return x if x > 0 else 0.0
    try:
        result = math.exp(x)
    except OverflowError:
        raise _overflow() from None
    if result == 0.0:
        raise _underflow()
    return result


def _dlog(fn):
    def apply(x: float) -> float:
        if x == 0.0:
            raise SqlError("2201E", "cannot take logarithm of zero")
        if x < 0:
            raise SqlError("2201E", "cannot take logarithm of a negative number")
        if math.isnan(x) or math.isinf(x):
            return x
        return check(fn(x), math.isinf(x), x == 1)
    return apply


dlog1 = _dlog(math.log)
dlog10 = _dlog(math.log10)


def dpow(x: float, y: float) -> float:
    if math.isnan(x):
        return math.nan if math.isnan(y) or y != 0.0 else 1.0
    if math.isnan(y):
        return math.nan if x != 1.0 else 1.0
    if x == 0 and y < 0:
        raise SqlError("2201F", "zero raised to a negative power is undefined")
    if x < 0 and math.isfinite(y) and math.floor(y) != y:  # C: floor(inf) is inf
        raise SqlError("2201F", "a negative number raised to a non-integer power yields a complex result")
    if math.isinf(y):
        absx = abs(x)
        if absx == 1.0:
            result = 1.0
        elif y > 0:
            result = y if absx > 1.0 else 0.0
        else:
            result = -y if absx < 1.0 else 0.0
    elif math.isinf(x):
        if y == 0:
            result = 1.0
        elif x > 0:
            result = x if y > 0 else 0.0
        else:
            odd = math.fmod(y, 2.0) != 0 and math.floor(y) == y and abs(y) < 2.0 ** 53
            if y > 0:
                result = -_INF if odd else _INF
            else:
                result = -0.0 if odd else 0.0
    else:
        try:
            result = math.pow(x, y)
        except OverflowError:
            raise _overflow() from None
        except ValueError:  # EDOM: PostgreSQL's pow() gave NaN here, as a complex result
            raise SqlError("2201F", "a negative number raised to a non-integer power yields a "
                                    "complex result") from None
        if math.isinf(result):
            raise _overflow()
        if result == 0.0 and x != 0.0:
            raise _underflow()
    return result


def _trig(fn, domain=None, inf_ok: bool = False):
    """dsin, dcos, dtan, dcot, dasin, dacos, datan: NaN in, NaN out; an infinite or (asin,
    acos) out-of-domain argument is 22003 'input is out of range'."""
    def apply(x: float) -> float:
        if math.isnan(x):
            return x
        if (math.isinf(x) and not inf_ok) or (domain is not None and not domain(x)):
            raise _out_of_range()
        return check(fn(x), True, True)
    return apply


def _cot(x: float) -> float:
    t = math.tan(x)
    return _INF if t == 0 else 1.0 / t


def dsign(x: float) -> float:
    if math.isnan(x) or x == 0:
        return 0.0
    return 1.0 if x > 0 else -1.0


def ddegrees(x: float) -> float:
    return check(x * (180.0 / math.pi), math.isinf(x), x == 0)


def dradians(x: float) -> float:
    return check(x * (math.pi / 180.0), math.isinf(x), x == 0)


def datan2(y: float, x: float) -> float:
    if math.isnan(y) or math.isnan(x):
        return math.nan
    return math.atan2(y, x)


def _hyperbolic(fn, overflow_sign: bool, zero_is_valid: bool = True):
    """dsinh, dcosh, dtanh, dasinh: an overflow (ERANGE) is an infinity, not an error."""
    def apply(x: float) -> float:
        if math.isnan(x):
            return x
        try:
            result = fn(x)
        except OverflowError:
            result = -_INF if overflow_sign and x < 0 else _INF
        return check(result, True, zero_is_valid)
    return apply


def dacosh(x: float) -> float:
    if x < 1.0:  # (NaN passes: acosh(NaN) is NaN)
        raise _out_of_range()
    return check(math.acosh(x), True, True)


def datanh(x: float) -> float:
    if x < -1.0 or x > 1.0:
        raise _out_of_range()
    if x == -1.0:
        return -_INF
    if x == 1.0:
        return _INF
    return check(math.atanh(x), True, True)


def float8send(x):
    """float8send / float4send: the value's IEEE 754 bytes, big-endian."""
    return struct.pack(">d", float_from_sqlite(x))


def float4send(x):
    return struct.pack(">f", float_from_sqlite(x))


FUNCTIONS = {
    "sqrt": dsqrt, "cbrt": dcbrt, "exp": dexp, "ln": dlog1, "log10": dlog10,
    "sin": _trig(math.sin), "cos": _trig(math.cos), "tan": _trig(math.tan), "cot": _trig(_cot),
    "asin": _trig(math.asin, lambda x: -1.0 <= x <= 1.0), "acos": _trig(math.acos, lambda x: -1.0 <= x <= 1.0),
    "atan": _trig(math.atan, inf_ok=True), "degrees": ddegrees, "radians": dradians, "sign": dsign,
    "sinh": _hyperbolic(math.sinh, True), "cosh": _hyperbolic(math.cosh, False, False),
    "tanh": _hyperbolic(math.tanh, True), "asinh": _hyperbolic(math.asinh, True), "acosh": dacosh, "atanh": datanh,
}


def stored(fn):
    """fn over SQLite's stored float8 values (NULL in, NULL out)."""
    def apply(*args):
        if any(a is None for a in args):
            return None
        return float_to_sqlite(fn(*(float_from_sqlite(a) for a in args)))
    return apply


def make_udfs() -> dict:
    udfs = {f"pgsvc_math_{name}": (1, stored(fn)) for name, fn in FUNCTIONS.items()}
    udfs["pgsvc_float_pow"] = (2, stored(dpow))
    udfs["pgsvc_math_atan2"] = (2, stored(datan2))
    udfs["pgsvc_sign"] = (1, stored(dsign))
    udfs["pgsvc_float8send"] = (1, lambda x: None if x is None else float8send(x))
    udfs["pgsvc_float4send"] = (1, lambda x: None if x is None else float4send(x))
    return udfs
