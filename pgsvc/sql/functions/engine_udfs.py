"""The engine's own SQLite UDFs (registered on every connection next to
pgsvc.sql.functions.register_all): sequences, typmod coercion, I/O-conversion casts,
error helpers, and the SHIM operators of pgsvc.sql.translate.resolve (integer range checks,
division by zero, numeric arithmetic, LIKE, regex) until the functions catalogue
provides them. Errors go through raise_sql so the engine reports PostgreSQL's error.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from decimal import Decimal, InvalidOperation
from functools import cmp_to_key, lru_cache

from pgsvc import PG_COMPAT_VERSION
from pgsvc.errors import SqlError
from pgsvc.sql.functions import aggregates as A
from pgsvc.sql.functions import range_funcs, window_aggs
from pgsvc.sql.functions.context import FunctionContext, raise_sql
from pgsvc.sql.functions.values import DIRECT_CASTS, direct_cast
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter, text_encoder
from pgsvc.sql.types import usertypes
from pgsvc.sql.types.storage import COLLATIONS
from pgsvc.sql.types.dates import POSTGRES_EPOCH_UTC
from pgsvc.sql.types.numeric import format_numeric
from pgsvc.sql.types.textio import decode_text
from pgsvc.sql.types.typmod import apply_typmod
from pgsvc.sqlite import sqlite3

_RANGES = {"int2": (-32768, 32767), "int4": (-2147483648, 2147483647),
           "int8": (-9223372036854775808, 9223372036854775807)}
_NAMES = {"int2": "smallint", "int4": "integer", "int8": "bigint"}


def register(conn: sqlite3.Connection, ctx: FunctionContext, engine) -> None:
    for lim, (lo, hi) in _RANGES.items():
        conn.create_function(f"pgsvce_chk_{lim}", 1, _range_checker(ctx, lo, hi, _NAMES[lim]),
                             deterministic=True)
    conn.create_function("pgsvce_nonzero", 1, lambda v: _nonzero(ctx, v), deterministic=True)
    conn.create_function("pgsvce_num", 3, lambda op, a, b: _numeric_op(ctx, op, a, b), deterministic=True)
    conn.create_function("pgsvce_like", 3, _like, deterministic=True)
    conn.create_function("pgsvce_regex", 3, lambda s, p, i: _regex(ctx, s, p, i), deterministic=True)
    conn.create_function("pgsvce_cast", 3, lambda v, s, t: _io_cast(ctx, v, s, t, True))
    conn.create_function("pgsvce_assign", 3, lambda v, s, t: _io_cast(ctx, v, s, t, False))
    conn.create_function("pgsvce_typmod", 4, lambda v, t, m, e: _typmod(ctx, v, t, m, e), deterministic=True)
    conn.create_function("pgsvce_float_to_int", 2, lambda v, t: _float_to_int(ctx, v, t), deterministic=True)
    conn.create_function("pgsvce_raise", 2, lambda code, msg: raise_sql(ctx, code, msg))
    conn.create_function("pgsvce_raise_detail", 3, lambda code, msg, detail: raise_sql(ctx, code, msg, detail=detail))
    conn.create_function("pgsvce_raise_hint", 3, lambda code, msg, hint: raise_sql(ctx, code, msg, hint=hint))
    conn.create_function("pgsvce_raise_domain", 4, lambda code, msg, oid, con: _raise_domain(ctx, code, msg, oid, con))
    conn.create_function("pgsvce_nextval", 1, lambda oid: engine.sequences.nextval(oid))
    conn.create_function("pgsvce_currval", 1, lambda oid: engine.sequences.currval(oid))
    conn.create_function("pgsvce_setval", 3, lambda oid, v, c: engine.sequences.setval(oid, v, c))
    # void is a value, '' (pg_sleep(0) IS NULL is false); NULL only for a NULL argument (strict)
    conn.create_function("pgsvce_sleep", 1, lambda secs: None if secs is None else engine.sleep(secs) or "")
    conn.create_function("pgsvce_signal_backend", 2, lambda pid, act: _signal(ctx, engine, pid, act))
    conn.create_function("pgsvce_diag", 1, _diag_probe(engine))
    conn.create_function("pgsvce_txn_ts", 0, lambda: _micros(ctx.transaction_start))
    conn.create_function("pgsvce_clock_ts", 0, lambda: _micros(_dt.datetime.now(_dt.UTC)))
    conn.create_function("pgsvce_version", 0, lambda: _version())
    conn.create_function("pgsvce_current_database", 0, lambda: engine.session.database)
    conn.create_function("pgsvce_current_schema", 0, lambda: (engine.search_path() or [None])[0])
    conn.create_function("pgsvce_backend_pid", 0, lambda: engine.session.backend_pid)
    conn.create_aggregate("pgsvce_avg", 1, _make_avg(ctx))
    conn.create_aggregate("pgsvce_sum_num", 1, _SumNum)
    conn.create_aggregate("pgsvce_ordagg", -1, _guard_agg(ctx, _OrderedAggregate))
    register_window_aggregates(conn, ctx)


def _signal(ctx, engine, pid, action):
    try:
        return int(bool(engine.session.signal_backend(pid, action)))
    except Exception as e:  # noqa: BLE001
        raise_sql(ctx, e if hasattr(e, "sqlstate") else _internal(e))


def _guard_agg(ctx, cls):
    class Guarded(cls):
        def finalize(self):
            try:
                return super().finalize()
            except Exception as e:  # noqa: BLE001 - reported as the SqlError it carries
                raise_sql(ctx, e if hasattr(e, "sqlstate") else _internal(e))
    return Guarded


def _diag_probe(engine):
    def probe(row):
        engine.diag_value = row
        raise ValueError("pgsvc diagnosis probe")
    # its exception is the probe's way to stop SQLite (exec.diagnose), not a bug: it must
    # not be reported as an internal error (ReportingConnection)
    probe.reports_errors = True
    return probe


def _micros(ts: _dt.datetime) -> int:
    d = ts - POSTGRES_EPOCH_UTC
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


def _version() -> str:
    return f"PostgreSQL {PG_COMPAT_VERSION} (pgsvc, SQLite {sqlite3.sqlite_version}) on x86_64-pc-linux-gnu, 64-bit"


class _SumNum:
    def __init__(self):
        self.total = None

    def step(self, v):
        if v is not None:
            self.total = (self.total or Decimal(0)) + _dec(v)

    def finalize(self):
        return None if self.total is None else format_numeric(self.total)


def _make_avg(ctx):
    class Avg:
        def __init__(self):
            self.total, self.n = Decimal(0), 0

        def step(self, v):
            if v is not None:
                self.total += _dec(v)
                self.n += 1

        def finalize(self):
            if not self.n:
                return None
            q = self.total / self.n
            scale = max(16, -self.total.as_tuple().exponent if isinstance(self.total.as_tuple().exponent, int) else 0)
            return format_numeric(q.quantize(Decimal(1).scaleb(-scale)))
    return Avg


def _range_checker(ctx, lo, hi, name):
    def check(v):
        if v is None:
            return None
        if isinstance(v, float) or not lo <= v <= hi:
            raise_sql(ctx, "22003", f"{name} out of range")
        return v
    return check


def _nonzero(ctx, v):
    if v == 0:
        raise_sql(ctx, "22012", "division by zero")
    return v


def _dec(v) -> Decimal:
    return Decimal(v) if not isinstance(v, float) else Decimal(repr(v))


def _numeric_op(ctx, op, a, b):
    if a is None or b is None:
        return None
    x, y = _dec(a), _dec(b)
    try:
        if op == "+":
            r = x + y
        elif op == "-":
            r = x - y
        elif op == "*":
            r = x * y
        else:
            if y == 0:
                raise_sql(ctx, "22012", "division by zero")
            r = x / y
            scale = max(16, -x.as_tuple().exponent, -y.as_tuple().exponent)
            r = r.quantize(Decimal(1).scaleb(-min(scale, 1000)))
    except InvalidOperation:
        raise_sql(ctx, "22003", "value overflows numeric format")
    return format_numeric(r)


@lru_cache(maxsize=256)
def _like_regex(pattern: str, icase: int) -> re.Pattern:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.S | (re.I if icase else 0))


def _like(s, p, icase):
    if s is None or p is None:
        return None
    return int(_like_regex(p, icase).fullmatch(s) is not None)


@lru_cache(maxsize=256)
def _compile(p, icase):
    return re.compile(p, re.I if icase else 0)


def _regex(ctx, s, p, icase):
    if s is None or p is None:
        return None
    try:
        return int(_compile(p, icase).search(s) is not None)
    except re.error as e:
        raise_sql(ctx, "2201B", f"invalid regular expression: {e}")


def _io_cast(ctx, v, source, target, explicit):
    """Cast through text: the source type's output function, the target's input function."""
    if v is None:
        return None
    try:
        fmt = ctx.format_context()
        from_s = sqlite_adapter(source)[1]
        value = from_s(v) if from_s else v
        if (source, target) in DIRECT_CASTS:
            out = direct_cast(value, source, target, fmt)
            return out if out is None else sqlite_adapter(target)[0](out)
        text = value if source in (O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME, O.UNKNOWN) else \
            text_encoder(source, fmt)(value)
        if source == O.BPCHAR:
            text = text.rstrip(" ")
        if target in (O.TEXT, O.VARCHAR, O.NAME):
            out = text
        else:
            out = decode_text(target, text, fmt)
        to_s = sqlite_adapter(target)[0]
        return to_s(out) if to_s else out
    except Exception as e:  # noqa: BLE001 - reported as the SqlError the decoder raised
        raise_sql(ctx, e if hasattr(e, "sqlstate") else _internal(e))


def _internal(e):
    return SqlError("XX000", f"internal error in cast: {e}")


def _typmod(ctx, v, oid, typmod, explicit):
    if v is None:
        return None
    try:
        to_s, from_s = sqlite_adapter(oid)
        value = from_s(v) if from_s else v
        out = apply_typmod(oid, value, typmod, bool(explicit))
        return to_s(out) if to_s else out
    except Exception as e:  # noqa: BLE001
        raise_sql(ctx, e if hasattr(e, "sqlstate") else _internal(e))


def _float_to_int(ctx, v, target):
    if v is None:
        return None
    if isinstance(v, str):
        raise_sql(ctx, "22003", f"{_NAMES[{O.INT2: 'int2', O.INT4: 'int4', O.INT8: 'int8'}[target]]} out of range")
    r = round(v) if abs(v - int(v)) != 0.5 else int(Decimal(v).quantize(Decimal(1), "ROUND_HALF_EVEN"))
    lim = {O.INT2: "int2", O.INT4: "int4", O.INT8: "int8"}[target]
    lo, hi = _RANGES[lim]
    if not lo <= r <= hi:
        raise_sql(ctx, "22003", f"{_NAMES[lim]} out of range")
    return r


# --- ORDER BY inside aggregate calls (SQLite 3.40 has none) ----------------------------

class _OrderedAggregate:
    """pgsvce_ordagg(target, spec, distinct, keys_json, arg...): collect rows, sort them as
    PostgreSQL would (spec: per key 'n'/'t' numeric/plain, 'a'/'d', 'f'/'l' nulls), then feed
    them in order to the target aggregate."""

    def __init__(self):
        self.rows = []
        self.target = self.spec = None
        self.distinct = False

    def step(self, target, spec, distinct, keys, *args):
        self.target, self.spec, self.distinct = target, spec, bool(distinct)
        self.rows.append((json.loads(keys, parse_float=Decimal), args))

    def finalize(self):
        if self.target is None:
            return None
        specs = [self.spec[i:i + 3] for i in range(0, len(self.spec), 3)]
        rows = self.rows
        for i in range(len(specs) - 1, -1, -1):
            kind, direction, nulls = specs[i]
            desc = direction == "d"
            nonnull = [r for r in rows if r[0][i] is not None]
            nulls_rows = [r for r in rows if r[0][i] is None]
            nonnull.sort(key=lambda r: _sort_value(r[0][i], kind), reverse=desc)
            rows = nulls_rows + nonnull if nulls == "f" else nonnull + nulls_rows
        agg = _TARGETS[self.target]()
        seen = set()
        for _, args in rows:
            if self.distinct:
                if args in seen:
                    continue
                seen.add(args)
            agg.step(*args)
        return agg.finalize()


def _sort_value(v, kind):
    """A sort key of the kind's order: numeric ('n') and float ('f') keys by value, NaN
    after every number as PostgreSQL sorts it (the 'NaN' and 'Infinity' strings of the
    stored forms read as such)."""
    if kind == "n":
        try:
            d = Decimal(str(v))
        except InvalidOperation:
            return (0, Decimal("Infinity"))
        return (1, Decimal(0)) if d.is_nan() else (0, d)
    if kind == "f":
        f = float(v) if not isinstance(v, str) or v != "NaN" else math.nan
        return (1, 0.0) if f != f else (0, f)
    if kind in ("r", "m"):  # ranges and multiranges: range_cmp's order (their collations)
        return cmp_to_key(COLLATIONS["pg_range" if kind == "r" else "pg_multirange"])(v)
    return v


class _GroupConcat:
    def __init__(self):
        self.out = None

    def step(self, value, sep):
        if value is None:
            return
        self.out = str(value) if self.out is None else self.out + ("" if sep is None else sep) + str(value)

    def finalize(self):
        return self.out


def _targets() -> dict:
    return {"group_concat": _GroupConcat, "pgsvc_array_agg": A.ArrayAgg,
            "pgsvc_array_agg_arrays": A.ArrayAggArrays, "pgsvc_json_agg": A.JsonAgg,
            "pgsvc_jsonb_agg": A.JsonbAgg, "pgsvc_string_agg_bytea": A.StringAggBytea,
            "pgsvc_json_object_agg": A.JsonObjectAgg, "pgsvc_jsonb_object_agg": A.JsonbObjectAgg}


_TARGETS = _targets()
ORDERED_TARGETS = set(_TARGETS)


# --- Python aggregates used as window functions ---------------------------------------

def python_aggregates(ctx: FunctionContext | None = None) -> dict:
    """name -> (nargs, class) of the functions catalogue's Python aggregates (captured from
    its own registration, so the two stay in step); their errors are stashed on ctx."""
    found: dict = {}

    class Capture:
        def create_aggregate(self, name, nargs, cls):
            found[name] = (nargs, cls)
    A.register_aggregates(Capture(), ctx or FunctionContext())
    range_funcs.register_aggregates(Capture(), ctx or FunctionContext())
    return found


def register_window_aggregates(conn, ctx) -> set:
    """pgsvcw_<name>: each Python aggregate over a window frame (pgsvc.sql.functions.window_aggs)."""
    if _prepared_windows is not None and _prepared_windows[0] is ctx:
        _, calls, names = _prepared_windows
        for args in calls:
            conn.create_function(*args)
        return set(names)
    return window_aggs.register_window_aggregates(conn, ctx, python_aggregates(ctx))


# (context, create_function arguments, names): register_window_aggregates' UDFs for the
# context made before the fork (prepare_window_aggregates)
_prepared_windows: tuple[FunctionContext, list, set] | None = None


def prepare_window_aggregates(ctx: FunctionContext) -> None:
    """Build register_window_aggregates' UDFs for ctx once, in the supervisor before the
    fork (pgsvc.sql.functions.register.prepare_before_fork): ~50 classes and closures each
    backend would make anew."""
    global _prepared_windows
    calls: list = []

    class Record:
        def create_function(self, *args):
            calls.append(args)
    _prepared_windows = None
    names = register_window_aggregates(Record(), ctx)
    _prepared_windows = (ctx, calls, names)


def _raise_domain(ctx, code: str, msg: str, domain_oid: int, conname: str | None) -> None:
    """value::domain failed its NOT NULL or a CHECK: PostgreSQL's error fields name the
    domain (schema_name, datatype_name) and the constraint (translate.domains)."""
    ut = usertypes.find(domain_oid)
    raise_sql(ctx, code, msg, schema=ut.schema if ut else None, datatype=ut.name if ut else None,
              constraint=conname)
