"""Two-variable statistics aggregates over double precision (PostgreSQL's float8_regr_*):
regr_count, regr_sxx/syy/sxy, regr_avgx/avgy, regr_slope, regr_intercept, regr_r2,
covar_pop, covar_samp, corr. Arguments are (Y, X); rows where either is NULL are skipped.
The sums are accumulated the way PostgreSQL does (Youngs-Cramer), so results agree to
the last bit, and an infinite or NaN input turns the affected sums into NaN.
"""

from __future__ import annotations

import math

from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O

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
