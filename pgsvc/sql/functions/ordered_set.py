"""Ordered-set aggregates (agg(direct args) WITHIN GROUP (ORDER BY keys)): percentile_cont,
percentile_disc (one fraction or an array of them), mode, and the hypothetical-set
rank, dense_rank, percent_rank and cume_dist.

One SQLite aggregate per function, pgsvce_osa_<name>(spec, result_type, array_fraction,
n_direct, direct..., key...), collects the sort keys and computes the result at the end. `spec` has three letters per
sort key: value kind ('n' numeric text, 'i' interval text, 'p' plain), direction ('a' /
'd'), nulls ('f' first / 'l' last). Percentiles and mode ignore NULL inputs; the
hypothetical-set functions sort NULLs like ORDER BY does, as PostgreSQL.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cmp_to_key

from pgsvc.errors import SqlError
from pgsvc.interrupts import Interrupted, mark_raising
from pgsvc.sql.functions.context import interrupt_error, raise_sql
from pgsvc.sql.functions.core_udfs import interval_mul
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types.arrays import flatten, split_stored, with_bounds
from pgsvc.sql.types.pg_type import find_oid
from pgsvc.sql.types.storage import interval_from_sqlite, interval_to_sqlite


def _sort_key(v, kind: str):
    if kind == "n":
        try:
            return Decimal(str(v))
        except InvalidOperation:
            return Decimal("Infinity")
    if kind == "i":
        return interval_from_sqlite(v).span()
    if kind == "f" and isinstance(v, str):  # float NaN (stored as text) sorts above everything
        return math.inf if v != "NaN" else float("inf")
    return v


def _compare_one(a, b, spec: str) -> int:
    kind, direction, nulls = spec
    if a is None or b is None:
        if a is None and b is None:
            return 0
        return (-1 if nulls == "f" else 1) * (1 if a is None else -1)
    ka, kb = _sort_key(a, kind), _sort_key(b, kind)
    if kind == "f":
        a_nan, b_nan = a == "NaN", b == "NaN"
        if a_nan or b_nan:
            c = (a_nan > b_nan) - (a_nan < b_nan)
            return -c if direction == "d" else c
    c = (ka > kb) - (ka < kb)
    return -c if direction == "d" else c


def compare_rows(a: tuple, b: tuple, specs: list[str]) -> int:
    for x, y, spec in zip(a, b, specs):
        c = _compare_one(x, y, spec)
        if c:
            return c
    return 0


class OrderedSetAggregate:
    kind = ""  # set by the per-function subclasses (aggregate_classes)

    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.spec = None
        self.result_type = 0
        self.array_fraction = False
        self.direct: tuple = ()

    def step(self, spec, result_type, array_fraction, n_direct, *args):
        self.spec, self.result_type, self.array_fraction = spec, result_type, bool(array_fraction)
        self.direct = args[:n_direct]
        self.rows.append(tuple(args[n_direct:]))

    def finalize(self):
        if self.spec is None:  # (SQLite does not call this when no row reached step())
            return EMPTY_RESULTS.get(self.kind)
        specs = [self.spec[i:i + 3] for i in range(0, len(self.spec), 3)]
        return _FINALS[self.kind](self, specs)


# results over no rows (percentiles and mode: NULL); the translator adds them with coalesce
EMPTY_RESULTS = {"rank": 1, "dense_rank": 1, "percent_rank": 0.0, "cume_dist": 1.0}


def _sorted_values(agg: OrderedSetAggregate, specs) -> list:
    values = [r[0] for r in agg.rows if r[0] is not None]
    return sorted(values, key=cmp_to_key(lambda a, b: _compare_one(a, b, specs[0])))


def _fractions(agg: OrderedSetAggregate):
    """(list of fractions, is_array); a NULL fraction array element stays None."""
    value = agg.direct[0]
    if agg.array_fraction:
        # (_result keeps its dimensions and lower bounds)
        agg.fraction_bounds, text = split_stored(value) if value is not None else (None, None)
        agg.fraction_shape = json.loads(text) if value is not None else None
        return (flatten(agg.fraction_shape) if value is not None else None), True
    return [None if value == "NaN" else value], False


def _check_fraction(f: float) -> None:
    if not 0 <= f <= 1 or f != f:
        raise SqlError("22003", f"percentile value {_float_text(f)} is not between 0 and 1")


def _float_text(f: float) -> str:
    return repr(f).removesuffix(".0") if f == f else "NaN"


def _percentile_disc(agg: OrderedSetAggregate, specs):
    fractions, is_array = _fractions(agg)
    if fractions is None or fractions == [None] and not is_array:
        return None
    values = _sorted_values(agg, specs)
    if not values:
        return None
    out = []
    for f in fractions:
        if f is None:
            out.append(None)
            continue
        _check_fraction(f)
        row = max(math.ceil(f * len(values)), 1)
        out.append(values[row - 1])
    return _result(agg, out, is_array)


def _percentile_cont(agg: OrderedSetAggregate, specs):
    fractions, is_array = _fractions(agg)
    if fractions is None or fractions == [None] and not is_array:
        return None
    values = _sorted_values(agg, specs)
    if not values:
        return None
    interval = specs[0][0] == "i"
    out = []
    for f in fractions:
        if f is None:
            out.append(None)
            continue
        _check_fraction(f)
        pos = f * (len(values) - 1)
        lo, hi = math.floor(pos), math.ceil(pos)
        out.append(_lerp(values[lo], values[hi], pos - lo, interval) if lo != hi else values[lo])
    return _result(agg, out, is_array)


def _lerp(a, b, proportion: float, interval: bool):
    if interval:
        ia, ib = interval_from_sqlite(a), interval_from_sqlite(b)
        return interval_to_sqlite(ia + interval_mul(ib - ia, proportion))
    fa, fb = (math.nan if x == "NaN" else float(x) for x in (a, b))
    result = fa + (fb - fa) * proportion
    return "NaN" if result != result else result


def _mode(agg: OrderedSetAggregate, specs):
    values = _sorted_values(agg, specs)
    best, best_count, current, count = None, 0, None, 0
    for v in values:
        if count and _compare_one(v, current, specs[0]) == 0:
            count += 1
        else:
            current, count = v, 1
        if count > best_count:
            best, best_count = current, count
    return best


def _result(agg: OrderedSetAggregate, values: list, is_array: bool):
    if not is_array:
        return values[0]
    elem = find_oid(agg.result_type).elem_oid
    from_stored = sqlite_adapter(elem)[1]
    to_array = sqlite_adapter(agg.result_type)[0]
    py = [None if v is None else (from_stored(v) if from_stored else v) for v in values]
    shape = getattr(agg, "fraction_shape", None)
    if isinstance(shape, list) and any(isinstance(x, list) for x in shape):
        items = iter(py)  # an array of fractions of several dimensions: the results in its shape

        def rebuild(node):
            return [rebuild(x) if isinstance(x, list) else next(items) for x in node]
        py = rebuild(shape)
    return to_array(with_bounds(py, getattr(agg, "fraction_bounds", None)))


# --- hypothetical-set functions --------------------------------------------------------------

def _position(agg: OrderedSetAggregate, specs) -> tuple[int, int, int]:
    """(rows before the hypothetical row, rows sorting equal to it, total rows)."""
    hypo = tuple(agg.direct)
    before = equal = 0
    for r in agg.rows:
        c = compare_rows(r, hypo, specs)
        before += c < 0
        equal += c == 0
    return before, equal, len(agg.rows)


def _rank(agg, specs):
    return _position(agg, specs)[0] + 1


def _dense_rank(agg, specs):
    hypo = tuple(agg.direct)
    before = sorted((r for r in agg.rows if compare_rows(r, hypo, specs) < 0),
                    key=cmp_to_key(lambda a, b: compare_rows(a, b, specs)))
    distinct = sum(1 for i, r in enumerate(before) if i == 0 or compare_rows(before[i - 1], r, specs))
    return distinct + 1


def _percent_rank(agg, specs):
    before, _, total = _position(agg, specs)
    return before / total if total else 0.0


def _cume_dist(agg, specs):
    before, equal, total = _position(agg, specs)
    return (before + equal + 1) / (total + 1)


_FINALS: dict[str, Callable] = {
    "percentile_disc": _percentile_disc, "percentile_cont": _percentile_cont, "mode": _mode,
    "rank": _rank, "dense_rank": _dense_rank, "percent_rank": _percent_rank, "cume_dist": _cume_dist,
}

HYPOTHETICAL = {"rank": O.INT8, "dense_rank": O.INT8, "percent_rank": O.FLOAT8, "cume_dist": O.FLOAT8}
ORDERED_SET = {"percentile_disc", "percentile_cont", "mode"}


def register(conn, ctx) -> None:
    @mark_raising  # sorting every row: a raising section (pgsvc.interrupts)
    def finalize(self):
        try:
            return OrderedSetAggregate.finalize(self)
        except SqlError as err:
            raise_sql(ctx, err)  # SQLite would report a generic error otherwise
        except Interrupted as stop:
            raise_sql(ctx, interrupt_error(stop.reason))

    for name in _FINALS:
        cls = type(f"OrderedSet_{name}", (OrderedSetAggregate,), {"kind": name, "finalize": finalize})
        conn.create_aggregate(f"pgsvce_osa_{name}", -1, cls)
