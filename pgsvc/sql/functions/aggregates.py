"""Aggregates: FuncSig entries (kind='aggregate') and the SQLite aggregate classes.

Native SQLite aggregates are used where PostgreSQL's semantics allow (count, sum of
int2/int4 -> int8, min/max with the type's collation, bool_and/bool_or over 0/1,
avg of floats); numeric, avg of integers (numeric result with PG's scale),
sum(int8) -> numeric, array/json aggregates and statistics run in Python.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, localcontext

from pgsvc.errors import SqlError
from pgsvc.interrupts import Interrupted, mark_raising
from pgsvc.sql.functions import array_bounds as AB
from pgsvc.sql.functions.context import FunctionContext, interrupt_error, raise_sql
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.functions.core_udfs import div_scale, float_op
from pgsvc.sql.functions.regr import aggregate_classes, regr_sigs
from pgsvc.sql.functions.values import dec, num_out
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.arrays import dimensions
from pgsvc.sql.types.interval import Interval
from pgsvc.sql.types.interval_math import interval_checked, interval_div
from pgsvc.sql.types.jsontext import dumps_jsonb, loads
from pgsvc.sql.types.numeric import CTX, round_to_scale
from pgsvc.sql.types.storage import dump_stored, interval_from_sqlite, interval_to_sqlite
from pgsvc.sqlite import sqlite3


def _agg_sigs() -> list[FuncSig]:
    s = []

    def f(name, args, ret, emit, strict=True):
        s.append(FuncSig(name, tuple(args), ret, emit, kind="aggregate", strict=strict))

    f("count", [], O.INT8, "count(*)")
    f("count", [O.ANY_], O.INT8, "count({0})")
    for t in (O.INT2, O.INT4):
        f("sum", [t], O.INT8, "sum({0})")
        f("avg", [t], O.NUMERIC, "pgsvc_avg_numeric({0})")
    f("sum", [O.INT8], O.NUMERIC, "pgsvc_sum_numeric({0})")
    f("avg", [O.INT8], O.NUMERIC, "pgsvc_avg_numeric({0})")
    f("sum", [O.NUMERIC], O.NUMERIC, "pgsvc_sum_numeric({0})")
    f("avg", [O.NUMERIC], O.NUMERIC, "pgsvc_avg_numeric({0})")
    for t in (O.FLOAT4, O.FLOAT8):
        # float4pl/float8pl per row (NaN stored as 'NaN', overflow errors, real's rounding)
        f("sum", [t], t, f"pgsvc_sum_float({{0}}, {int(t == O.FLOAT4)})")
        f("avg", [t], O.FLOAT8, "pgsvc_avg_float({0})")
    f("sum", [O.INTERVAL], O.INTERVAL, "pgsvc_sum_interval({0})")
    f("avg", [O.INTERVAL], O.INTERVAL, "pgsvc_avg_interval({0})")
    for name in ("min", "max"):
        # PostgreSQL 15's min/max: no uuid, bool, bytea, bit, jsonb, range or record ones
        for t in (O.INT2, O.INT4, O.INT8, O.FLOAT4, O.FLOAT8, O.TEXT, O.DATE, O.TIMESTAMP,
                  O.TIMESTAMPTZ, O.TIME, O.OID, O.BPCHAR, O.MONEY):
            f(name, [t], t, f"{name}({{0}})")
        f(name, [O.XID8], O.XID8, f"{name}(CAST({{0}} AS INTEGER))")  # (a cast literal is its text)
        f(name, [O.TIMETZ], O.TIMETZ, f"{name}({{0}} COLLATE pg_timetz)")
        f(name, [O.INET], O.INET, f"{name}({{0}} COLLATE pg_inet)")
        f(name, [O.NUMERIC], O.NUMERIC, f"{name}({{0}} COLLATE pg_numeric)")
        f(name, [O.INTERVAL], O.INTERVAL, f"{name}({{0}} COLLATE pg_interval)")
        f(name, [O.ANYARRAY], O.ANYARRAY, f"{name}({{0}} COLLATE pg_array)")
    f("bool_and", [O.BOOL], O.BOOL, "min({0})")
    f("every", [O.BOOL], O.BOOL, "min({0})")
    f("bool_or", [O.BOOL], O.BOOL, "max({0})")
    f("string_agg", [O.TEXT, O.TEXT], O.TEXT, "group_concat({0}, {1})")
    f("string_agg", [O.BYTEA, O.BYTEA], O.BYTEA, "pgsvc_string_agg_bytea({0}, {1})")
    f("array_agg", [O.ANYARRAY], O.ANYARRAY, "pgsvc_array_agg_arrays({0})", strict=False)
    f("array_agg", [O.ANYELEMENT], O.ANYARRAY, "pgsvc_array_agg({0})", strict=False)
    f("json_agg", [O.ANYELEMENT], O.JSON, "pgsvc_json_agg(pgsvc_json_agg_item({0}, {argtype0}))",
      strict=False)
    f("jsonb_agg", [O.ANYELEMENT], O.JSONB, "pgsvc_jsonb_agg(pgsvc_to_json({0}, {argtype0}))",
      strict=False)
    f("json_object_agg", [O.ANY_, O.ANY_], O.JSON,
      "pgsvc_json_object_agg({0}, pgsvc_to_json({1}, {argtype1}))", strict=False)
    f("jsonb_object_agg", [O.ANY_, O.ANY_], O.JSONB,
      "pgsvc_jsonb_object_agg({0}, pgsvc_to_json({1}, {argtype1}))", strict=False)
    for t in (O.INT2, O.INT4, O.INT8):
        f("bit_and", [t], t, "pgsvc_bit_and({0})")
        f("bit_or", [t], t, "pgsvc_bit_or({0})")
        f("bit_xor", [t], t, "pgsvc_bit_xor({0})")
    for name, op in (("bit_and", "&"), ("bit_or", "|"), ("bit_xor", "#")):  # bit strings: bitand/bitor/bitxor
        f(name, [O.BIT], O.BIT, f"pgsvc_bits_agg('{op}', {{0}})")
    for name in ("stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop"):
        for t in (O.INT2, O.INT4, O.INT8, O.NUMERIC):
            f(name, [t], O.NUMERIC, f"pgsvc_{_STAT[name]}_numeric({{0}})")
        for t in (O.FLOAT4, O.FLOAT8):
            f(name, [t], O.FLOAT8, f"pgsvc_{_STAT[name]}_float({{0}})")
    return s


_STAT = {"stddev": "stddev_samp", "stddev_samp": "stddev_samp", "stddev_pop": "stddev_pop",
         "variance": "var_samp", "var_samp": "var_samp", "var_pop": "var_pop"}


def _add_numeric(a: Decimal, b: Decimal) -> Decimal:
    """numeric addition with PostgreSQL's special values: NaN absorbs, +Inf + -Inf is NaN."""
    if a.is_nan() or b.is_nan() or (a.is_infinite() and b.is_infinite() and a != b):
        return Decimal("NaN")
    if a.is_infinite() or b.is_infinite():
        return a if a.is_infinite() else b
    return CTX.add(a, b)


class SumNumeric:
    def __init__(self):
        self.total = None

    def step(self, v):
        if v is not None:
            self.total = dec(v) if self.total is None else _add_numeric(self.total, dec(v))

    def finalize(self):
        return None if self.total is None else num_out(self.total)


class SumFloat:
    """sum(float4/float8): float4pl/float8pl row by row (pgsvc_float_op)."""

    def __init__(self):
        self.total = None

    def step(self, v, real):
        if v is not None:
            if self.total is None:  # the first input is the state (strict, no initial value)
                self.total = v if v == "NaN" else float(v)
            else:
                self.total = float_op(self.total, v, "+", real)

    def finalize(self):
        return self.total


class AvgFloat:
    """avg(float4/float8): float8_accum's N, Sx, Sxx (whose overflow is an error, as in
    PostgreSQL) and float8_avg's Sx / N."""

    def __init__(self):
        self.n, self.sx, self.sxx = 0.0, 0.0, 0.0

    def step(self, v):
        if v is None:
            return
        x = math.nan if v == "NaN" else float(v)
        old_n, old_sx = self.n, self.sx
        self.n += 1.0
        self.sx += x
        if old_n > 0.0:
            tmp = x * self.n - self.sx
            self.sxx += tmp * tmp / (self.n * old_n)
            if math.isinf(self.sx) or math.isinf(self.sxx):
                if not math.isinf(old_sx) and not math.isinf(x):
                    raise SqlError("22003", "value out of range: overflow")
                self.sxx = math.nan
        elif math.isnan(x) or math.isinf(x):
            self.sxx = math.nan

    def finalize(self):
        if self.n == 0.0:
            return None
        avg = self.sx / self.n
        return "NaN" if avg != avg else avg


class AvgNumeric:
    def __init__(self):
        self.total, self.count = Decimal(0), 0

    def step(self, v):
        if v is not None:
            self.total = _add_numeric(self.total, dec(v))
            self.count += 1

    def finalize(self):
        if not self.count:
            return None
        if not self.total.is_finite():
            return num_out(self.total)  # the average of infinities is that infinity; NaN stays NaN
        n = Decimal(self.count)
        return num_out(round_to_scale(CTX.divide(self.total, n),
                                      div_scale(self.total, n)))


class SumInterval:
    def __init__(self):
        self.parts = None

    def step(self, v):
        if v is not None:
            m, d, us = (int(x) for x in v.split())
            p = self.parts or (0, 0, 0)
            self.parts = (p[0] + m, p[1] + d, p[2] + us)
            interval_checked(Interval(*self.parts))  # (22008 interval out of range)

    def finalize(self):
        return None if self.parts is None else " ".join(map(str, self.parts))


class AvgInterval:
    """avg(interval): the checked sum (interval_pl) divided by the count (interval_div)."""

    def __init__(self):
        self.total, self.count = Interval(), 0

    def step(self, v):
        if v is not None:
            self.total = interval_checked(self.total + interval_from_sqlite(v))
            self.count += 1

    def finalize(self):
        return None if not self.count else interval_to_sqlite(interval_div(self.total, float(self.count)))


class ArrayAgg:
    def __init__(self):
        self.items = []

    def step(self, v):
        self.items.append(v)

    def finalize(self):
        return dump_stored(self.items) if self.items else None


class ArrayAggArrays:
    """array_agg(anyarray): the arrays as the rows of one more dimension (counted from 1, their
    own bounds inside), as accumArrayResultArr: no NULL or empty array, all of one shape."""
    def __init__(self):
        self.items = []
        self.shape = None

    def step(self, v):
        if v is None:
            raise SqlError("22004", "cannot accumulate null arrays")
        lbounds, items = AB.load(v)
        if self.shape is None and not items:
            raise SqlError("2202E", "cannot accumulate empty arrays")
        shape = (dimensions(items), lbounds)
        if self.shape is not None and shape != self.shape:
            raise SqlError("2202E", "cannot accumulate arrays of different dimensionality")
        if len(shape[0]) >= 6:
            raise SqlError("54000", f"number of array dimensions ({len(shape[0]) + 1}) exceeds the maximum "
                           "allowed (6)")
        self.shape = shape
        self.items.append(items)

    def finalize(self):
        if not self.items:
            return None
        return AB.dump(self.items, (1,) + tuple(self.shape[1]))


class JsonAgg:
    """json_agg as json_agg_transfn: the items' own JSON texts joined by ", ", an array or
    composite item after the first one set on a new line ("\n "); pgsvc_json_agg_item marks
    those with a leading \x01 (no JSON text starts so)."""
    jsonb = False

    def __init__(self):
        self.items = []

    def step(self, v):
        if self.jsonb:
            self.items.append(None if v is None else loads(v))
        elif v is None:
            self.items.append("null")
        elif v.startswith("\x01"):
            self.items.append(("\n " if self.items else "") + v[1:])
        else:
            self.items.append(v)

    def finalize(self):
        if not self.items:
            return None
        return dumps_jsonb(self.items) if self.jsonb else "[" + ", ".join(self.items) + "]"


class JsonbAgg(JsonAgg):
    jsonb = True


class JsonObjectAgg:
    jsonb = False

    def __init__(self):
        self.pairs = []

    def step(self, k, v):
        if k is None:
            raise SqlError("22004", "field name must not be null")
        # json keeps each value's own JSON text (json_object_agg_transfn), jsonb its value
        self.pairs.append((str(k), None if v is None else loads(v) if self.jsonb else v))

    def finalize(self):
        if not self.pairs:
            return None
        if self.jsonb:
            return dumps_jsonb(dict(self.pairs))
        return "{ " + ", ".join(json.dumps(k, ensure_ascii=False) + " : " + ("null" if v is None else v)
                                for k, v in self.pairs) + " }"


class JsonbObjectAgg(JsonObjectAgg):
    jsonb = True


class BitAnd:
    def __init__(self):
        self.value = None

    def step(self, v):
        if v is not None:
            self.value = v if self.value is None else self.value & v

    def finalize(self):
        return self.value


class BitOr(BitAnd):
    def step(self, v):
        if v is not None:
            self.value = v if self.value is None else self.value | v


class BitXor(BitAnd):
    def step(self, v):
        if v is not None:
            self.value = v if self.value is None else self.value ^ v


_BIT_WORDS = {"&": "AND", "|": "OR", "#": "XOR"}


class BitsAgg:
    """bit_and/bit_or/bit_xor of bit strings (stored as their '0'/'1' text): of one length."""

    def __init__(self):
        self.value = None

    def step(self, op, v):
        if v is None:
            return
        if self.value is None:
            self.value = v
            return
        if len(v) != len(self.value):
            raise SqlError("22026", f"cannot {_BIT_WORDS[op]} bit strings of different sizes")
        if v:
            x, y = int(self.value, 2), int(v, 2)
            self.value = format(x & y if op == "&" else x | y if op == "|" else x ^ y, f"0{len(v)}b")

    def finalize(self):
        return self.value


class StringAggBytea:
    def __init__(self):
        self.parts = None

    def step(self, v, sep):
        if v is None:
            return
        if self.parts is None:
            self.parts = bytearray(v)
        else:
            self.parts += (sep or b"") + v

    def finalize(self):
        return None if self.parts is None else bytes(self.parts)


def _stat_class(kind: str, numeric: bool):
    sample = kind.endswith("samp")
    stddev = kind.startswith("stddev")

    class Stat:
        def __init__(self):
            self.values = []
            self.n, self.sx, self.sxx = 0.0, 0.0, 0.0

        def step(self, v):
            if v is None:
                return
            if numeric:
                self.values.append(dec(v))
            else:
                self._accumulate(math.nan if v == "NaN" else float(v))

        def _accumulate(self, x: float) -> None:
            """float8_accum: Youngs-Cramer, NaN once an infinity or NaN is involved."""
            old_n, old_sx = self.n, self.sx
            self.n += 1.0
            self.sx += x
            if old_n > 0.0:
                tmp = x * self.n - self.sx
                self.sxx += tmp * tmp / (self.n * old_n)
                if math.isinf(self.sx) or math.isinf(self.sxx):
                    if not math.isinf(old_sx) and not math.isinf(x):
                        raise SqlError("22003", "value out of range: overflow")  # finite inputs
                    self.sxx = math.nan
            elif math.isnan(x) or math.isinf(x):
                self.sxx = math.nan

        def finalize(self):
            if numeric:
                return _numeric_stat(self.values, sample, stddev)
            if self.n == 0.0 or (sample and self.n <= 1.0):
                return None
            var = 0.0 if self.sxx <= 0.0 else self.sxx / (self.n - 1.0 if sample else self.n)
            result = math.sqrt(var) if stddev and not math.isnan(var) else var
            return "NaN" if math.isnan(result) else result  # SQLite would turn a NaN into NULL
    return Stat


def _numeric_stat(values: list, sample: bool, stddev: bool):
    """numeric_stddev_internal: (N*sumX2 - sumX^2) / (N*(N-1) or N*N), PostgreSQL's scale."""
    n = len(values)
    if n == 0 or (sample and n == 1):
        return None
    if any(not x.is_finite() for x in values):
        return "NaN"
    with localcontext(CTX) as c:
        c.prec = 2000
        sum_x = sum(values, Decimal(0))
        sum_x2 = sum((x * x for x in values), Decimal(0))
        numerator = n * sum_x2 - sum_x * sum_x
        if numerator <= 0:
            return "0"
        denominator = Decimal(n * (n - 1) if sample else n * n)
        scale = div_scale(numerator, denominator)
        var = round_to_scale(numerator / denominator, scale)
        if stddev:
            var = round_to_scale(var.sqrt(), scale)
    return num_out(var)


def _guarded(ctx: FunctionContext, cls):
    """cls as a SQLite aggregate: its SqlErrors reach the client, and its steps run in a
    raising section (pgsvc.interrupts: a cancel or timeout stops a long step at once)."""
    class Guarded(cls):
        @mark_raising
        def step(self, *args):
            try:
                super().step(*args)
            except SqlError as err:
                raise_sql(ctx, err)
            except Interrupted as stop:
                raise_sql(ctx, interrupt_error(stop.reason))

        @mark_raising
        def finalize(self):
            try:
                return super().finalize()
            except SqlError as err:
                raise_sql(ctx, err)
            except Interrupted as stop:
                raise_sql(ctx, interrupt_error(stop.reason))
    return Guarded


def register_aggregates(conn: sqlite3.Connection, ctx: FunctionContext) -> None:
    aggs = {"pgsvc_sum_numeric": (1, SumNumeric), "pgsvc_avg_numeric": (1, AvgNumeric),
            "pgsvc_sum_interval": (1, SumInterval), "pgsvc_avg_interval": (1, AvgInterval), "pgsvc_array_agg": (1, ArrayAgg),
            "pgsvc_array_agg_arrays": (1, ArrayAggArrays),
            "pgsvc_sum_float": (2, SumFloat), "pgsvc_avg_float": (1, AvgFloat),
            "pgsvc_json_agg": (1, JsonAgg), "pgsvc_jsonb_agg": (1, JsonbAgg),
            "pgsvc_json_object_agg": (2, JsonObjectAgg),
            "pgsvc_jsonb_object_agg": (2, JsonbObjectAgg),
            "pgsvc_bit_and": (1, BitAnd), "pgsvc_bit_or": (1, BitOr), "pgsvc_bit_xor": (1, BitXor),
            "pgsvc_bits_agg": (2, BitsAgg),
            "pgsvc_string_agg_bytea": (2, StringAggBytea)}
    for kind in set(_STAT.values()):
        aggs[f"pgsvc_{kind}_numeric"] = (1, _stat_class(kind, True))
        aggs[f"pgsvc_{kind}_float"] = (1, _stat_class(kind, False))
    aggs.update(aggregate_classes())
    for name, (nargs, cls) in aggs.items():
        conn.create_aggregate(name, nargs, _guarded(ctx, cls))


def _transition_sigs() -> list[FuncSig]:
    """The built-in aggregates' transition functions a CREATE AGGREGATE may name as SFUNC
    (int4_sum(int8, int4): sum(int4)'s, not strict: a NULL state takes the input)."""
    step = "(CASE WHEN {0} IS NULL THEN CAST({1} AS INTEGER) WHEN {1} IS NULL THEN {0} ELSE pgsvc_i8({0} + {1}) END)"
    return [FuncSig("int4_sum", (O.INT8, O.INT4), O.INT8, step, strict=False),
            FuncSig("int2_sum", (O.INT8, O.INT2), O.INT8, step, strict=False),
            FuncSig("int8inc", (O.INT8,), O.INT8, "pgsvc_i8({0} + 1)")]


def _all_sigs() -> list[FuncSig]:
    return _agg_sigs() + regr_sigs() + _transition_sigs()


AGGREGATES: list[FuncSig] = _all_sigs()
