"""Core scalar UDFs behind CASTS and OPERATORS: integer range checks, numeric
arithmetic, casts through I/O, LIKE/regex, date/time and interval arithmetic.

All take and return stored forms (see pgsvc.sql.types). `make_core_udfs(ctx)`
returns {sql_name: (nargs, callable)}; register_all wraps each so that an SqlError
becomes ctx.pending_error (see context.py).
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from functools import lru_cache

from pgsvc.errors import SqlError
from pgsvc.sql.functions.context import FunctionContext
from pgsvc.sql.functions.values import cast_value, check_int, dec, num_out, to_python, to_stored
from pgsvc.sql.types import dates as D
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.dateparse import to_utc
from pgsvc.sql.types.interval import Interval
from pgsvc.sql.types.interval_math import interval_checked, interval_div, interval_mul, justify_hours
from pgsvc.sql.types.numeric import CTX, NAN, dscale, round_to_scale
from pgsvc.sql.types.scalars import to_float4
from pgsvc.sql.types.storage import interval_from_sqlite, interval_to_sqlite
from pgsvc.sql.types.textio import text_decoder, text_encoder

NUMERIC_MIN_SIG_DIGITS = 16
NUMERIC_MAX_WEIGHT_DIGITS = 131072  # digits before the decimal point a numeric holds


# --- integers ------------------------------------------------------------------------

def int_div(a, b, oid: int = O.INT8):
    if a is None or b is None:
        return None
    if b == 0:
        raise SqlError("22012", "division by zero")
    q = abs(a) // abs(b)
    return check_int(oid, q if (a >= 0) == (b >= 0) else -q)


def int_mod(a, b):
    if a is None or b is None:
        return None
    if b == 0:
        raise SqlError("22012", "division by zero")
    r = abs(a) % abs(b)
    return -r if a < 0 else r


# --- numeric -------------------------------------------------------------------------

def _nbase(value: Decimal) -> tuple[int, int]:
    """(weight, first base-10000 digit) as PostgreSQL's NumericVar has them."""
    if value.is_zero():
        return 0, 0
    digits = format(value.copy_abs(), "f")
    whole, _, frac = digits.partition(".")
    whole = whole.lstrip("0")
    if whole:
        whole = "0" * (-len(whole) % 4) + whole
        return len(whole) // 4 - 1, int(whole[:4])
    frac = frac + "0" * (-len(frac) % 4)
    for i in range(0, len(frac), 4):
        if int(frac[i:i + 4]):
            return -(i // 4) - 1, int(frac[i:i + 4])
    return 0, 0


def div_scale(a: Decimal, b: Decimal) -> int:
    """PostgreSQL's select_div_scale."""
    w1, f1 = _nbase(a)
    w2, f2 = _nbase(b)
    qweight = w1 - w2
    if f1 <= f2:
        qweight -= 1
    rscale = NUMERIC_MIN_SIG_DIGITS - qweight * 4
    rscale = max(rscale, dscale(a), dscale(b), 0)
    return min(rscale, 1000)


def numeric_div(a, b):
    if a is None or b is None:
        return None
    x, y = dec(a), dec(b)
    if x.is_nan() or y.is_nan():
        return "NaN"
    if y.is_zero():
        raise SqlError("22012", "division by zero")
    if not x.is_finite() or not y.is_finite():
        if x.is_infinite() and y.is_infinite():
            return "NaN"
        return num_out(CTX.divide(x, y) if x.is_infinite() else Decimal(0))
    return num_out(round_to_scale(CTX.divide(x, y), div_scale(x, y)))


def _numeric_op(op):
    def apply(a, b):
        if a is None or b is None:
            return None
        x, y = dec(a), dec(b)
        if x.is_nan() or y.is_nan():
            return "NaN"
        try:
            return num_out(op(x, y))
        except InvalidOperation:  # inf - inf, 0 * inf: NaN, as numeric.c answers them
            return "NaN"
    return apply


def numeric_mod(a, b):
    if a is None or b is None:
        return None
    x, y = dec(a), dec(b)
    if x.is_nan() or y.is_nan():
        return "NaN"
    if y.is_zero():
        raise SqlError("22012", "division by zero")
    if x.is_infinite():
        return "NaN"
    if y.is_infinite():
        return num_out(x)  # numeric_mod: x whatever the infinity's sign
    return num_out(CTX.remainder(x, y))


def numeric_cmp(a, b) -> int:
    x, y = dec(a), dec(b)
    kx = (1, 0) if x.is_nan() else (0, x)
    ky = (1, 0) if y.is_nan() else (0, y)
    return (kx > ky) - (kx < ky)


def float_div(a, b):
    if a is None or b is None:
        return None
    if isinstance(a, str) or isinstance(b, str):
        return "NaN"
    if b == 0:
        raise SqlError("22012", "division by zero")
    return a / b


# --- LIKE / regex --------------------------------------------------------------------

@lru_cache(maxsize=512)
def like_regex(pattern: str, escape: str = "\\", icase: bool = False) -> re.Pattern:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if escape and c == escape:
            if i + 1 >= len(pattern):
                raise SqlError("22025", "LIKE pattern must not end with escape character")
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.S | (re.I if icase else 0))


def like(s, pattern, escape="\\", icase=False):
    if s is None or pattern is None:
        return None
    if isinstance(pattern, bytes) or isinstance(s, bytes):
        # bytea LIKE bytea matches byte by byte: one latin-1 character per byte
        s, pattern = _as_latin1(s), _as_latin1(pattern)
    return 1 if like_regex(pattern, escape, icase).fullmatch(str(s)) else 0


def _as_latin1(value) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def like_escape(pattern, escape):
    """like_escape(pattern, esc): the pattern rewritten for the default escape (backslash), as
    PostgreSQL evaluates `x LIKE p ESCAPE e` (the parser makes it x ~~ like_escape(p, e))."""
    if pattern is None or escape is None:
        return None
    if escape == "":
        return pattern.replace("\\", "\\\\")  # no escape character: backslashes are literal
    if len(escape) != 1:
        raise SqlError("22019", "invalid escape string", hint="Escape string must be empty or one character.")
    if escape == "\\":
        return pattern
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == escape:
            if i + 1 >= len(pattern):
                raise SqlError("22025", "LIKE pattern must not end with escape character")
            out.append("\\" + pattern[i + 1])
            i += 2
            continue
        out.append("\\\\" if c == "\\" else c)
        i += 1
    return "".join(out)


def like_to_glob(pattern: str) -> str | None:
    """A case-sensitive GLOB equivalent of a LIKE pattern (no escapes), for the translator."""
    if "\\" in pattern:
        return None
    out = []
    for c in pattern:
        out.append("*" if c == "%" else "?" if c == "_" else f"[{c}]" if c in "*?[]" else c)
    return "".join(out)


_CLASSES = {"alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z",
            "lower": "a-z", "space": r"\s", "punct": r"!-/:-@\[-`{-~", "xdigit": "0-9A-Fa-f",
            "word": r"\w", "blank": r" \t", "cntrl": r"\x00-\x1f\x7f", "print": r" -~",
            "graph": r"!-~"}


@lru_cache(maxsize=512)
def pg_regex(pattern: str, flags: str = "") -> re.Pattern:
    py = re.sub(r"\[:(\w+):\]", lambda m: _CLASSES.get(m.group(1), m.group(0)), pattern)
    py = py.replace(r"\m", r"\b").replace(r"\M", r"\b").replace(r"\y", r"\b")
    f = 0
    if "i" in flags:
        f |= re.I
    if "n" in flags or "m" in flags:
        f |= re.M
    else:
        f |= re.S
    if "x" in flags:
        f |= re.X
    try:
        return re.compile(py, f)
    except re.error as exc:
        raise SqlError("2201B", f"invalid regular expression: {exc}") from None


def regex_match(s, pattern, icase=False):
    if s is None or pattern is None:
        return None
    return 1 if pg_regex(pattern, "i" if icase else "").search(str(s)) else 0


# --- date/time arithmetic ------------------------------------------------------------

def _add_months(y: int, m: int, d: int, months: int) -> tuple[int, int, int]:
    total = y * 12 + (m - 1) + months
    y, m = divmod(total, 12)
    m += 1
    return y, m, min(d, D.days_in_month(y, m))


def timestamp_add_interval(us: int, iv: Interval, ctx: FunctionContext | None, with_tz: bool) -> int:
    if us in (D.NOBEGIN, D.NOEND):
        return us
    tz = ctx.format_context().tzinfo if (with_tz and ctx is not None) else None
    if iv.months or iv.days:
        local = us
        offset = 0
        if tz is not None:
            offset = offset_at(us, tz)
            local = us + offset
        days, tod = divmod(local, D.USECS_PER_DAY)
        y, m, d = D.j2date(days + D.POSTGRES_EPOCH_JDATE)
        if iv.months:
            y, m, d = _add_months(y, m, d, iv.months)
        days = D.date2j(y, m, d) - D.POSTGRES_EPOCH_JDATE + iv.days
        local = days * D.USECS_PER_DAY + tod
        if tz is not None:
            us = to_utc(local, tz, ctx.format_context())
        else:
            us = local
    return D.check_timestamp(us + iv.microseconds)


def offset_at(us: int, tz) -> int:
    """The zone's UTC offset at a UTC instant, in micros (as timestamptz output reads it)."""
    return D.zone_offset(us, tz)[0] * 1_000_000


def timestamp_diff(a: int, b: int) -> Interval:
    if a in (D.NOBEGIN, D.NOEND) or b in (D.NOBEGIN, D.NOEND):
        raise SqlError("22008", "cannot subtract infinite timestamps")
    return justify_hours(Interval(0, 0, a - b))


_INF = float("inf")


def _float_operand(x) -> float:
    return math.nan if isinstance(x, str) and x == "NaN" else float(x)


def float_op(a, b, op: str, real: int):
    """A float4/float8 operator over the stored forms (NULL, 'NaN' or a number), as float.c:
    inf - inf and 0 * inf are NaN, a finite overflow or a nonzero underflow of a product or
    quotient is an error, division by zero is an error, real rounds to single precision."""
    if a is None or b is None:
        return None
    x, y = _float_operand(a), _float_operand(b)
    if op == "+":
        r = x + y
    elif op == "-":
        r = x - y
    elif op == "*":
        r = x * y
    else:
        if y == 0.0:
            if x != x:
                return "NaN"
            raise SqlError("22012", "division by zero")
        r = x / y
    if real:
        r = to_float4(r)
    if r != r:
        return "NaN"
    if (r == _INF or r == -_INF) and -_INF < x < _INF and -_INF < y < _INF:
        raise SqlError("22003", "value out of range: overflow")
    if r == 0.0 and op in "*/" and x != 0.0 and (op == "/" or y != 0.0) and -_INF < y < _INF:
        raise SqlError("22003", "value out of range: underflow")
    return r


def float_json(x):
    """A float4/float8 stored value as an array element in JSON (types.storage.dump_stored):
    NaN and the infinities as strings."""
    if x is None:
        return None
    f = _float_operand(x)
    if f != f:
        return '"NaN"'
    if f in (_INF, -_INF):
        return '"Infinity"' if f > 0 else '"-Infinity"'
    return repr(f)


def numeric_elem(json_text):
    """A numeric array element from its JSON text: '"NaN"' is NaN, 'null' is NULL."""
    if json_text is None or json_text == "null":
        return None
    return json_text[1:-1] if json_text.startswith('"') else json_text


def float_elem(value):
    """A float array element (->>): the strings 'Infinity'/'-Infinity' as REALs."""
    if value == "Infinity":
        return _INF
    if value == "-Infinity":
        return -_INF
    return value


def _float_neg(x):
    """float4um/float8um over the stored form: 'NaN' (text) stays NaN, 0 becomes -0."""
    if isinstance(x, str):
        return x if x == "NaN" else -float(x)
    return -float(x)


def _float_abs(x):
    if isinstance(x, str):
        return x if x == "NaN" else abs(float(x))
    return abs(float(x))


def make_core_udfs(ctx: FunctionContext) -> dict:
    def fmt():
        return ctx.format_context()

    def iv(x):
        return interval_from_sqlite(x) if x is not None else None

    def ivs(x):
        return interval_to_sqlite(x) if x is not None else None

    def nullsafe(fn):
        def wrapped(*args):
            if any(a is None for a in args):
                return None
            return fn(*args)
        return wrapped

    udfs = {
        "pgsvc_i2": (1, nullsafe(lambda x: check_int(O.INT2, x))),
        "pgsvc_i4": (1, nullsafe(lambda x: check_int(O.INT4, x))),
        "pgsvc_i8": (1, nullsafe(lambda x: check_int(O.INT8, x))),
        "pgsvc_int_div": (3, lambda a, b, oid: int_div(a, b, oid)),
        "pgsvc_int_mod": (2, int_mod),
        "pgsvc_numeric_add": (2, _numeric_op(lambda x, y: CTX.add(x, y))),
        "pgsvc_numeric_sub": (2, _numeric_op(lambda x, y: CTX.subtract(x, y))),
        "pgsvc_numeric_mul": (2, _numeric_op(lambda x, y: CTX.multiply(x, y))),
        "pgsvc_numeric_div": (2, numeric_div),
        "pgsvc_numeric_mod": (2, numeric_mod),
        # copy_negate/copy_abs: exact (unary minus and abs() round to the context's 28 digits)
        "pgsvc_numeric_neg": (1, nullsafe(lambda a: "NaN" if dec(a).is_nan() else num_out(dec(a).copy_negate()))),
        "pgsvc_numeric_abs": (1, nullsafe(lambda a: "NaN" if dec(a).is_nan() else num_out(dec(a).copy_abs()))),
        "pgsvc_float_neg": (1, nullsafe(_float_neg)),
        "pgsvc_float_op": (4, float_op),
        "pgsvc_float_json": (1, float_json),
        "pgsvc_numeric_elem": (1, numeric_elem),
        "pgsvc_float_elem": (1, float_elem),
        "pgsvc_float_abs": (1, nullsafe(_float_abs)),
        "pgsvc_numeric_cmp": (2, nullsafe(numeric_cmp)),
        "pgsvc_numeric_pow": (2, nullsafe(lambda a, b: num_out(_numeric_power(dec(a), dec(b))))),
        "pgsvc_float_div": (2, float_div),
        "pgsvc_float8": (1, nullsafe(lambda x: _check_float(x))),
        "pgsvc_to_text": (2, lambda v, oid: None if v is None else
                          text_encoder(oid, fmt())(to_python(oid, v))),
        "pgsvc_from_text": (3, lambda t, oid, typmod: None if t is None else
                            to_stored(oid, text_decoder(oid, fmt())(str(t), typmod))),
        "pgsvc_cast": (4, lambda v, src, dst, typmod: None if v is None else
                       to_stored(dst, cast_value(to_python(src, v), src, dst, fmt(), typmod))),
        "pgsvc_like": (2, lambda s, p: like(s, p)),
        "pgsvc_like_esc": (3, lambda s, p, e: like(s, p, e or "")),
        "pgsvc_like_escape": (2, like_escape),
        "pgsvc_ilike": (2, lambda s, p: like(s, p, "\\", True)),
        "pgsvc_regex": (2, lambda s, p: regex_match(s, p)),
        "pgsvc_regex_i": (2, lambda s, p: regex_match(s, p, True)),
        "pgsvc_date_pli": (2, nullsafe(_date_pli)),
        "pgsvc_date_mi": (2, nullsafe(_date_mi)),
        "pgsvc_ts_pl_interval": (3, nullsafe(lambda t, i, tz: timestamp_add_interval(
            t, iv(i), ctx, bool(tz)))),
        "pgsvc_ts_mi_interval": (3, nullsafe(lambda t, i, tz: timestamp_add_interval(
            t, -iv(i), ctx, bool(tz)))),
        "pgsvc_ts_mi": (2, nullsafe(lambda a, b: ivs(timestamp_diff(a, b)))),
        "pgsvc_date_to_ts": (1, nullsafe(_date_to_ts)),
        "pgsvc_date_to_tstz": (1, nullsafe(lambda d: _local_to_utc(_date_to_ts(d), ctx))),
        "pgsvc_ts_to_tstz": (1, nullsafe(lambda t: _local_to_utc(t, ctx))),
        "pgsvc_tstz_to_ts": (1, nullsafe(lambda t: t if t in (D.NOBEGIN, D.NOEND) else
                                         t + offset_at(t, fmt().tzinfo))),
        "pgsvc_ts_to_date": (1, nullsafe(_ts_to_date)),
        "pgsvc_tstz_to_date": (1, nullsafe(lambda t: _ts_to_date(
            t if t in (D.NOBEGIN, D.NOEND) else t + offset_at(t, fmt().tzinfo)))),
        "pgsvc_interval_add": (2, nullsafe(lambda a, b: ivs(interval_checked(iv(a) + iv(b))))),
        "pgsvc_interval_sub": (2, nullsafe(lambda a, b: ivs(interval_checked(iv(a) - iv(b))))),
        "pgsvc_interval_neg": (1, nullsafe(lambda a: ivs(interval_checked(-iv(a))))),
        "pgsvc_interval_mul": (2, nullsafe(lambda a, f: ivs(interval_mul(iv(a), float(f))))),
        "pgsvc_interval_div": (2, nullsafe(lambda a, f: ivs(interval_div(iv(a), float(f))))),
        "pgsvc_time_pl_interval": (2, nullsafe(lambda t, i: (t + iv(i).microseconds)
                                               % D.USECS_PER_DAY)),
        "pgsvc_time_mi_time": (2, nullsafe(lambda a, b: ivs(Interval(0, 0, a - b)))),
        "pgsvc_date_pl_time": (2, nullsafe(lambda d, t: _date_to_ts(d) + t)),
    }
    return udfs


def _check_float(x):
    if isinstance(x, float) and x in (float("inf"), float("-inf")):
        raise SqlError("22003", "value out of range: overflow")
    return x


def _numeric_power(x: Decimal, y: Decimal) -> Decimal:
    if x.is_nan() or y.is_nan():  # (NaN ^ 0 and 1 ^ NaN are 1, as PostgreSQL 15)
        return Decimal(1) if (
            x.is_nan() and not y.is_nan() and y.is_zero() or y.is_nan() and not x.is_nan() and x == 1) else NAN
    if x.is_zero() and y < 0:
        raise SqlError("2201F", "zero raised to a negative power is undefined")
    if x < 0 and y != y.to_integral_value():
        raise SqlError("2201F", "a negative number raised to a non-integer power yields a complex result")
    if x.is_nan() or y.is_nan():
        return NAN
    if not x.is_finite() or not y.is_finite():
        return _power_infinite(x, y)
    if x.is_zero():  # (0 ^ 0 is 1)
        return round_to_scale(Decimal(0 if y else 1), NUMERIC_MIN_SIG_DIGITS)
    # power_var's estimate of the result's decimal weight, and its choice of result scale:
    # an integer exponent (power_var_int) keeps max(16, the base's scale) digits; another
    # 16 significant digits, at least the scales of both arguments
    val = float(y) * math.log10(abs(x)) if abs(x) != 1 else 0.0
    if val >= NUMERIC_MAX_WEIGHT_DIGITS:
        raise SqlError("22003", "value overflows numeric format")
    if y == y.to_integral_value() and -2**31 <= y < 2**31:
        scale = max(NUMERIC_MIN_SIG_DIGITS, dscale(x))
    else:
        scale = max(NUMERIC_MIN_SIG_DIGITS - int(val), dscale(x), dscale(y), 0)
    scale = min(scale, 1000)
    if val < -scale - 2:
        return round_to_scale(Decimal(0), scale)  # underflows to zero at the result's scale
    prec = max(int(val), 0) + scale + 30
    result = Context(prec=prec, rounding=ROUND_HALF_UP, Emax=CTX.Emax, Emin=CTX.Emin).power(x, y)
    return result.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP,
                           context=Context(prec=prec, Emax=CTX.Emax, Emin=CTX.Emin))


def _power_infinite(x: Decimal, y: Decimal) -> Decimal:
    """numeric_power with an infinite operand (numeric.c's special cases)."""
    if y.is_zero() or x == 1:
        return Decimal(1)
    if x.is_zero():
        return Decimal(0)  # (0 ^ -inf was refused above)
    if y.is_infinite():
        if x == -1:
            return Decimal(1)
        return Decimal(0) if (abs(x) < 1) == (y > 0) else Decimal("Infinity")
    if y < 0:
        return Decimal(0)
    if x > 0 or int(y) % 2 == 0:
        return Decimal("Infinity")
    return Decimal("-Infinity")


def _date_pli(d: int, n: int) -> int:
    if d in (D.NOBEGIN, D.NOEND):
        return d
    return D.check_date(d + n) if -2451545 <= d + n < 2147483494 - 2451545 else _date_range()


def _date_range():
    raise SqlError("22008", "date out of range")


def _date_mi(a: int, b: int) -> int:
    if a in (D.NOBEGIN, D.NOEND) or b in (D.NOBEGIN, D.NOEND):
        raise SqlError("22008", "cannot subtract infinite dates")
    return a - b


def _date_to_ts(d: int) -> int:
    if d in (D.NOBEGIN, D.NOEND):
        return d
    return D.check_timestamp(d * D.USECS_PER_DAY)


def _ts_to_date(t: int) -> int:
    if t in (D.NOBEGIN, D.NOEND):
        return t
    return t // D.USECS_PER_DAY


def _local_to_utc(local: int, ctx: FunctionContext) -> int:
    if local in (D.NOBEGIN, D.NOEND):
        return local
    return to_utc(local, None, ctx.format_context())
