"""Two-variable statistics aggregates over double precision (PostgreSQL's float8_regr_*):
regr_count, regr_sxx/syy/sxy, regr_avgx/avgy, regr_slope, regr_intercept, regr_r2,
covar_pop, covar_samp, corr. Arguments are (Y, X); rows where either is NULL are skipped.
The sums are accumulated the way PostgreSQL does (Youngs-Cramer), so results agree to
the last bit, and an infinite or NaN input turns the affected sums into NaN.
"""

from __future__ import annotations

import json
import math

from pgsvc.errors import SqlError
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.arrays import split_stored

NAMES = ("regr_count", "regr_sxx", "regr_syy", "regr_sxy", "regr_avgx", "regr_avgy", "regr_slope",
         "regr_intercept", "regr_r2", "covar_pop", "covar_samp", "corr")


def regr_sigs() -> list[FuncSig]:
    # regr_count is a plain count (0, not NULL, over no rows: SQLite skips a Python
    # aggregate's finalize when no row reached it)
    count = FuncSig("regr_count", (O.FLOAT8, O.FLOAT8), O.INT8,
                    "count(CASE WHEN {0} IS NOT NULL AND {1} IS NOT NULL THEN 1 END)", kind="aggregate")
    return [count] + [FuncSig(name, (O.FLOAT8, O.FLOAT8), O.FLOAT8, f"pgsvc_{name}({{0}}, {{1}})",
                              kind="aggregate") for name in NAMES if name != "regr_count"]


def _float(v) -> float:
    return math.nan if v == "NaN" else float(v)


class _Sums:
    def __init__(self) -> None:
        self.n = self.sx = self.sy = self.sxx = self.syy = self.sxy = 0.0

    def step(self, y, x) -> None:
        if y is None or x is None:
            return
        y, x = _float(y), _float(x)
        old_n = self.n
        self.n += 1.0
        self.sx += x
        self.sy += y
        if old_n > 0.0:
            tx, ty = x * self.n - self.sx, y * self.n - self.sy
            scale = 1.0 / (self.n * old_n)
            self.sxx += tx * tx * scale
            self.syy += ty * ty * scale
            self.sxy += tx * ty * scale
            if math.isinf(self.sx) or math.isinf(self.sxx):
                self.sxx = math.nan
            if math.isinf(self.sy) or math.isinf(self.syy):
                self.syy = math.nan
            if math.isinf(self.sxy) or math.isinf(self.sx) or math.isinf(self.sy):
                self.sxy = math.nan
        else:
            if math.isnan(x) or math.isinf(x):
                self.sxx = self.sxy = math.nan
            if math.isnan(y) or math.isinf(y):
                self.syy = self.sxy = math.nan


def _final(name: str, s: _Sums):
    n = s.n
    if name == "regr_count":
        return int(n)
    if n < 1.0 or (name == "covar_samp" and n < 2.0):
        return None
    if name == "regr_sxx":
        return s.sxx
    if name == "regr_syy":
        return s.syy
    if name == "regr_sxy":
        return s.sxy
    if name == "regr_avgx":
        return s.sx / n
    if name == "regr_avgy":
        return s.sy / n
    if name == "covar_pop":
        return s.sxy / n
    if name == "covar_samp":
        return s.sxy / (n - 1.0)
    if name == "corr":
        if s.sxx <= 0 or s.syy <= 0:
            return None if not (math.isnan(s.sxx) or math.isnan(s.syy)) else math.nan
        return s.sxy / math.sqrt(s.sxx * s.syy)
    if s.sxx <= 0 and not math.isnan(s.sxx):
        return None  # x is constant: no slope, intercept or r2
    if name == "regr_slope":
        return s.sxy / s.sxx
    if name == "regr_intercept":
        return (s.sy - s.sx * s.sxy / s.sxx) / n
    if s.syy <= 0 and not math.isnan(s.syy):
        return 1.0  # regr_r2 with constant y
    return (s.sxy * s.sxy) / (s.sxx * s.syy)


def aggregate_classes() -> dict:
    out = {}
    for name in NAMES:
        def finalize(self, name=name):
            result = _final(name, self)
            return "NaN" if isinstance(result, float) and math.isnan(result) else result
        out[f"pgsvc_{name}"] = (2, type(f"Regr_{name}", (_Sums,), {"finalize": finalize}))
    return out


# --- the transition and combine functions themselves (pg_proc's float8_accum, ...) -------------

def state_sigs() -> list[FuncSig]:
    """float8_accum / float8_regr_accum / float8_combine / float8_regr_combine over their
    float8[] states (N, Sx, Sxx[, Sy, Syy, Sxy]), and bool_and / bool_or's booland_statefunc
    and boolor_statefunc, callable as PostgreSQL's are."""
    af8, f8, b = O.ARRAY_FLOAT8, O.FLOAT8, O.BOOL
    return [FuncSig("float8_accum", (af8, f8), af8, "pgsvc_float8_accum({0}, {1})"),
            FuncSig("float8_regr_accum", (af8, f8, f8), af8, "pgsvc_float8_regr_accum({0}, {1}, {2})"),
            FuncSig("float8_combine", (af8, af8), af8, "pgsvc_float8_combine({0}, {1})"),
            FuncSig("float8_regr_combine", (af8, af8), af8, "pgsvc_float8_regr_combine({0}, {1})"),
            FuncSig("booland_statefunc", (b, b), b, "(CASE WHEN {0} IS NULL OR {1} IS NULL THEN NULL "
                    "ELSE ({0} AND {1}) END)"),
            FuncSig("boolor_statefunc", (b, b), b, "(CASE WHEN {0} IS NULL OR {1} IS NULL THEN NULL "
                    "ELSE ({0} OR {1}) END)")]


def _state(name: str, text, n: int) -> list[float]:
    """check_float8_array: a one-dimensional float8[] of n elements without NULLs."""
    values = json.loads(split_stored(text)[1])
    if not isinstance(values, list) or len(values) != n or any(v is None or isinstance(v, list) for v in values):
        raise SqlError("XX000", f"{name}: expected {n}-element float8 array")
    return [_float(v) for v in values]


def _stored(values: list[float]) -> str:
    """A float8[]'s stored form: NaN and the infinities as strings."""
    return json.dumps(["NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity") if math.isinf(v)
                       else v for v in values])


def _overflow() -> SqlError:
    return SqlError("22003", "value out of range: overflow")


def _accum(state, x):
    n, sx, sxx = _state("float8_accum", state, 3)
    x = _float(x)
    old_n, old_sx = n, sx
    n += 1.0
    sx += x
    if old_n > 0.0:
        tmp = x * n - sx
        sxx += tmp * tmp / (n * old_n)
        if math.isinf(sx) or math.isinf(sxx):
            if not math.isinf(old_sx) and not math.isinf(x):
                raise _overflow()
            sxx = math.nan
    elif math.isnan(x) or math.isinf(x):
        sxx = math.nan
    return _stored([n, sx, sxx])


def _regr_accum(state, y, x):
    n, sx, sxx, sy, syy, sxy = _state("float8_regr_accum", state, 6)
    x, y = _float(x), _float(y)
    old_n, old_sx, old_sy = n, sx, sy
    n += 1.0
    sx += x
    sy += y
    if old_n > 0.0:
        tx, ty = x * n - sx, y * n - sy
        scale = 1.0 / (n * old_n)
        sxx += tx * tx * scale
        syy += ty * ty * scale
        sxy += tx * ty * scale
        if math.isinf(sx) or math.isinf(sxx):
            if not math.isinf(old_sx) and not math.isinf(x):
                raise _overflow()
            sxx = math.nan
        if math.isinf(sy) or math.isinf(syy):
            if not math.isinf(old_sy) and not math.isinf(y):
                raise _overflow()
            syy = math.nan
        if math.isinf(sxy):
            if not (math.isinf(old_sx) or math.isinf(x) or math.isinf(old_sy) or math.isinf(y)):
                raise _overflow()
            sxy = math.nan
    else:
        if math.isnan(x) or math.isinf(x):
            sxx = sxy = math.nan
        if math.isnan(y) or math.isinf(y):
            syy = sxy = math.nan
    return _stored([n, sx, sxx, sy, syy, sxy])


def _checked_sum(a: float, b: float) -> float:
    out = a + b
    if math.isinf(out) and not math.isinf(a) and not math.isinf(b):
        raise _overflow()
    return out


def _combine(a, b):
    n1, sx1, sxx1 = _state("float8_combine", a, 3)
    n2, sx2, sxx2 = _state("float8_combine", b, 3)
    if n1 == 0.0:
        return _stored([n2, sx2, sxx2])
    if n2 == 0.0:
        return _stored([n1, sx1, sxx1])
    n = n1 + n2
    sx = _checked_sum(sx1, sx2)
    tmp = sx1 / n1 - sx2 / n2
    sxx = _checked_sum(sxx1, sxx2) + n1 * n2 * tmp * tmp / n
    if math.isinf(sxx) and not math.isinf(sxx1) and not math.isinf(sxx2):
        raise _overflow()
    return _stored([n, sx, sxx])


def _regr_combine(a, b):
    n1, sx1, sxx1, sy1, syy1, sxy1 = _state("float8_regr_combine", a, 6)
    n2, sx2, sxx2, sy2, syy2, sxy2 = _state("float8_regr_combine", b, 6)
    if n1 == 0.0:
        return _stored([n2, sx2, sxx2, sy2, syy2, sxy2])
    if n2 == 0.0:
        return _stored([n1, sx1, sxx1, sy1, syy1, sxy1])
    n = n1 + n2
    tx, ty = sx1 / n1 - sx2 / n2, sy1 / n1 - sy2 / n2
    out = [n, _checked_sum(sx1, sx2), 0.0, _checked_sum(sy1, sy2), 0.0, 0.0]
    for i, (p, q, extra) in ((2, (sxx1, sxx2, n1 * n2 * tx * tx / n)), (4, (syy1, syy2, n1 * n2 * ty * ty / n)),
                             (5, (sxy1, sxy2, n1 * n2 * tx * ty / n))):
        out[i] = p + q + extra
        if math.isinf(out[i]) and not math.isinf(p) and not math.isinf(q):
            raise _overflow()
    return _stored(out)


def _strict(fn):
    return lambda *args: None if any(a is None for a in args) else fn(*args)


def make_udfs() -> dict:
    return {"pgsvc_float8_accum": (2, _strict(_accum)), "pgsvc_float8_regr_accum": (3, _strict(_regr_accum)),
            "pgsvc_float8_combine": (2, _strict(_combine)),
            "pgsvc_float8_regr_combine": (2, _strict(_regr_combine))}
