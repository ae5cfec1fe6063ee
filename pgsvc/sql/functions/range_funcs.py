"""The range and multirange functions, operators, casts and aggregates of PostgreSQL 15 as
data (one concrete signature per built-in range type), and the UDFs behind them, over the
stored forms of pgsvc.sql.types.ranges and pgsvc.sql.types.multiranges.

Operand kinds in the UDFs' type arguments: a range type's OID, a multirange type's OID, or
0 for an element of the subtype.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pgsvc.errors import SqlError
from pgsvc.sql.functions import range_ops as X
from pgsvc.sql.functions.context import FunctionContext, raise_sql
from pgsvc.sql.functions.signatures import CastSig, FuncSig, OperSig
from pgsvc.sql.functions.values import dec
from pgsvc.sql.types import multiranges as M
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import ranges as R
from pgsvc.sql.types.numeric import format_numeric
from pgsvc.sql.types.pg_type import find_oid

_BOOL_OPS = ("@>", "<@", "&&", "<<", ">>", "&<", "&>", "-|-")
_SET_OPS = ("+", "*", "-")
_FIELDS = ("lower", "upper", "isempty", "lower_inc", "upper_inc", "lower_inf", "upper_inf")


# --- signatures ------------------------------------------------------------------------

def range_operators() -> list[OperSig]:
    return [op for rng, (sub, multi, *_rest) in O.RANGE_TYPES.items()
            for op in operators_of(rng, sub, multi)]


def operators_of(rng: int, sub: int, multi: int) -> list[OperSig]:
    """The operators of one range type and its multirange."""
    ops = []

    def add(name: str, left: int, right: int, ret: int, emit: str) -> None:
        ops.append(OperSig(name, left, right, ret, emit))

    for kind, coll in ((rng, "pg_range"), (multi, "pg_multirange")):
        for op in ("=", "<>", "<", "<=", ">", ">="):
            add(op, kind, kind, O.BOOL, f"({{0}} {op} ({{1}}) COLLATE {coll})")
    pairs = [(rng, rng), (multi, multi), (multi, rng), (rng, multi)]
    for left, right in pairs:
        for op in _BOOL_OPS:
            add(op, left, right, O.BOOL, f"pgsvc_rng_op('{op}', {{0}}, {{1}}, {left}, {right})")
    for kind in (rng, multi):
        for op in _SET_OPS:
            add(op, kind, kind, kind, f"pgsvc_rng_op('{op}', {{0}}, {{1}}, {kind}, {kind})")
        # anyrange @> anyelement: the element of the subtype itself (numrange @> integer is 42883)
        ops.append(OperSig("@>", kind, sub, O.BOOL, f"pgsvc_rng_op('@>', {{0}}, {{1}}, {kind}, 0)", exact=True))
        ops.append(OperSig("<@", sub, kind, O.BOOL, f"pgsvc_rng_op('@>', {{1}}, {{0}}, {kind}, 0)", exact=True))
    return ops


def range_sigs() -> list[FuncSig]:
    return [sig for rng, (sub, multi, rarr, _marr, rname, mname) in O.RANGE_TYPES.items()
            for sig in functions_of(rng, sub, multi, rarr, rname, mname)] + range_operator_functions()


def functions_of(rng: int, sub: int, multi: int, rarr: int, rname: str, mname: str) -> list[FuncSig]:
    """The functions of one range type and its multirange (its constructors named after them)."""
    s = []

    def f(name, args, ret, emit, **kw):
        s.append(FuncSig(name, tuple(args), ret, emit, **kw))

    f(rname, [sub, sub], rng, f"pgsvc_rng_make({{0}}, {{1}}, '[)', {rng})", strict=False)
    f(rname, [sub, sub, O.TEXT], rng, f"pgsvc_rng_make({{0}}, {{1}}, {{2}}, {rng})", strict=False)
    f(mname, [], multi, "'{{}}'")
    # multirange_constructor1: of one range, strict (a NULL range is a NULL multirange); before
    # the VARIADIC one, which a call of one range would otherwise resolve to
    f(mname, [rng], multi, f"(CASE WHEN {{0}} IS NULL THEN NULL ELSE pgsvc_mrng_make({multi}, {{0}}) END)")
    f(mname, [rarr], multi, f"pgsvc_mrng_make({multi}, {{args}})", variadic_oid=rng)
    f("multirange", [rng], multi, f"pgsvc_rng_fn('multirange', {{0}}, {rng})")
    for kind in (rng, multi):
        for name in _FIELDS:
            ret = sub if name in ("lower", "upper") else O.BOOL
            f(name, [kind], ret, f"pgsvc_rng_fn('{name}', {{0}}, {kind})")
    f("range_merge", [rng, rng], rng, f"pgsvc_rng_op('merge', {{0}}, {{1}}, {rng}, {rng})")
    f("range_merge", [multi], rng, f"pgsvc_rng_fn('range_merge', {{0}}, {multi})")
    f("unnest", [multi], rng, "", kind="set", generator=_unnest)
    for kind in (rng, multi):
        f("range_agg", [kind], multi, f"pgsvc_range_agg({{0}}, {kind})", kind="aggregate")
        f("range_intersect_agg", [kind], kind, f"pgsvc_range_intersect_agg({{0}}, {kind})",
          kind="aggregate")
    return s


_OP_NAMES = {"@>": "contains", "<@": "contained_by", "&&": "overlaps", "<<": "before", ">>": "after",
             "&<": "overleft", "&>": "overright", "-|-": "adjacent", "+": "union", "*": "intersect",
             "-": "minus", "=": "eq", "<>": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def _function_name(op: OperSig) -> str:
    """The function behind an operator in pg_proc: range_contains, elem_contained_by_range,
    multirange_overlaps_range, multirange_union, ..."""
    def kind(oid: int) -> str:
        return "range" if R.is_range(oid) else "multirange" if R.is_multirange(oid) else "elem"
    left, right, base = kind(op.left_oid), kind(op.right_oid), _OP_NAMES[op.name]
    if left == right == "multirange" and op.name in _BOOL_OPS:
        return f"multirange_{base}_multirange"
    if left == right or op.name in ("+", "*", "-"):
        return f"{left}_{base}"
    return f"{left}_{base}_{right}"


def range_operator_functions(ops: list[OperSig] | None = None) -> list[FuncSig]:
    """Each range operator also as its function (range_adjacent(a, b) is a -|- b)."""
    return [FuncSig(_function_name(op), (op.left_oid, op.right_oid), op.ret_oid, op.emit)
            for op in (range_operators() if ops is None else ops)]


def range_casts() -> list[CastSig]:
    return [CastSig(rng, multi, "e", f"pgsvc_rng_fn('multirange', {{0}}, {rng})")
            for rng, (_sub, multi, *_rest) in O.RANGE_TYPES.items()]


_USER_CATALOG: dict = {}


def user_range_catalog() -> tuple[dict[str, list[FuncSig]], dict[str, list[OperSig]]]:
    """The functions and operators of the database's own range types (CREATE TYPE ... AS
    RANGE), by name, for the translator's resolution; built once per set of types."""
    user = R.user_ranges()
    if not user:
        return {}, {}
    key = tuple(sorted(user.items()))
    found = _USER_CATALOG.get(key)
    if found is None:
        funcs: dict[str, list[FuncSig]] = {}
        opers: dict[str, list[OperSig]] = {}
        for rng, (sub, multi) in user.items():
            sub = R.key_subtype(sub)  # a domain's values are typed as its base type
            rt, mt = find_oid(rng), find_oid(multi)
            if rt is None or mt is None:
                continue
            ops = operators_of(rng, sub, multi)
            for sig in functions_of(rng, sub, multi, rt.array_oid, rt.name, mt.name) + range_operator_functions(ops):
                funcs.setdefault(sig.name, []).append(sig)
            for op in ops:
                opers.setdefault(op.name, []).append(op)
        _USER_CATALOG.clear()
        _USER_CATALOG[key] = found = (funcs, opers)
    return found


def user_range_cast(src: int, dst: int) -> CastSig | None:
    """range::multirange for the database's own range types."""
    if R.is_range(src) and R.is_multirange(dst) and R.multirange_of(src) == dst:
        return CastSig(src, dst, "e", f"pgsvc_rng_fn('multirange', {{0}}, {src})")
    return None


def _unnest(m: tuple):
    yield from m


# --- operands ------------------------------------------------------------------------

def _key(sub: int, stored: Any) -> Any:
    sub = R.key_subtype(sub)
    if sub == O.NUMERIC:
        return dec(stored)
    if sub in R.FLOAT_SUBTYPES:
        return float(stored)
    return stored if sub in R.STRING_SUBTYPES else int(stored)


def _elem_out(key: Any) -> Any:
    if isinstance(key, float) and key != key:
        return "NaN"  # float NaN's stored form
    return format_numeric(key) if isinstance(key, Decimal) else key


def _subtype(kind: int) -> int:
    return R.work_subtype(kind)


def _value(stored: Any, kind: int, sub: int) -> Any:
    if R.is_range(kind):
        return R.from_stored(stored)
    if R.is_multirange(kind):
        return M.from_stored(stored)
    return _key(sub, stored)


def _stored(value: Any) -> str:
    return R.to_stored(value) if isinstance(value, R.Range) else M.to_stored(value)


# --- the UDFs ------------------------------------------------------------------------

def rng_make(lo: Any, hi: Any, spec: Any, rng: int) -> str:
    if spec is None:
        raise SqlError("22000", "range constructor flags argument must not be null")
    sub = R.work_subtype(rng)
    return R.to_stored(R.construct(sub, None if lo is None else _key(sub, lo),
                                   None if hi is None else _key(sub, hi), spec))


def mrng_make(multi: int, *ranges: Any) -> str:
    sub = _subtype(multi)
    if any(r is None for r in ranges):
        raise SqlError("22004", "multirange values cannot contain null members")
    return M.to_stored(M.normalize(sub, [R.from_stored(r) for r in ranges]))


def rng_fn(name: str, stored: Any, kind: int) -> Any:
    if stored is None:
        return None
    sub = _subtype(kind)
    value = _value(stored, kind, sub)
    if name == "multirange":
        return M.to_stored(X.as_multirange(value))
    if name == "ranges":  # unnest(multirange): the array of its ranges
        return json.dumps([R.to_stored(r) for r in value])
    if name == "range_merge":
        return R.to_stored(X.span(sub, value))
    if R.is_multirange(kind):
        if not value:
            return 1 if name == "isempty" else None if name in ("lower", "upper") else 0
        value = R.make(sub, R.bounds(value[0])[0], R.bounds(value[-1])[1])
    r: R.Range = value
    if name == "isempty":
        return int(r.empty)
    if r.empty:
        return None if name in ("lower", "upper") else 0
    if name == "lower":
        return None if r.flags & R.LB_INF else _elem_out(r.lower)
    if name == "upper":
        return None if r.flags & R.UB_INF else _elem_out(r.upper)
    flag = {"lower_inc": R.LB_INC, "upper_inc": R.UB_INC, "lower_inf": R.LB_INF, "upper_inf": R.UB_INF}[name]
    return int(bool(r.flags & flag))


def rng_op(op: str, a: Any, b: Any, kind_a: int, kind_b: int) -> Any:
    if a is None or b is None:
        return None
    sub = _subtype(kind_a)
    va, vb = _value(a, kind_a, sub), _value(b, kind_b, sub)
    if R.is_range(kind_a) and R.is_range(kind_b):
        return _range_op(op, sub, va, vb)
    if kind_b == 0:
        hit = X.contains_elem(va, vb) if R.is_range(kind_a) else X.mr_contains_elem(va, vb)
        return int(hit)
    ma, mb = X.as_multirange(va), X.as_multirange(vb)
    if op in _SET_OPS:
        fn = {"+": X.mr_union, "*": X.mr_intersect, "-": X.mr_minus}[op]
        return M.to_stored(fn(sub, ma, mb))
    if op == "@>":
        return int(X.mr_contains_mr(ma, mb))
    if op == "<@":
        return int(X.mr_contains_mr(mb, ma))
    if op == "&&":
        return int(X.mr_overlaps(ma, mb))
    sa, sb = X.span(sub, ma), X.span(sub, mb)
    if op == "-|-":
        return int(X.adjacent(sub, sa, sb))
    return int(X.POSITION[op](sa, sb))


def _range_op(op: str, sub: int, a: R.Range, b: R.Range) -> Any:
    if op == "@>":
        return int(X.contains(a, b))
    if op == "<@":
        return int(X.contains(b, a))
    if op == "&&":
        return int(X.overlaps(a, b))
    if op == "-|-":
        return int(X.adjacent(sub, a, b))
    if op in X.POSITION:
        return int(X.POSITION[op](a, b))
    if op == "+":
        return R.to_stored(X.union(sub, a, b))
    if op == "merge":
        return R.to_stored(M.range_union(sub, a, b))
    if op == "*":
        return R.to_stored(X.intersect(sub, a, b))
    return R.to_stored(X.minus(sub, a, b)[0])


def make_udfs(ctx: FunctionContext) -> dict:
    return {"pgsvc_rng_make": (4, rng_make), "pgsvc_mrng_make": (-1, mrng_make),
            "pgsvc_rng_fn": (3, rng_fn), "pgsvc_rng_op": (5, rng_op)}


# --- aggregates ----------------------------------------------------------------------

class _RangeAgg:
    """range_agg: the multirange of every non-NULL input range (or multirange)."""

    def __init__(self) -> None:
        self.items: list = []
        self.kind = 0
        self.seen = False

    def step(self, value: Any, kind: int) -> None:
        self.kind = kind
        if value is not None:  # NULLs are skipped; an empty range still makes the result '{}'
            self.seen = True
            sub = _subtype(kind)
            self.items.extend(X.as_multirange(_value(value, kind, sub)))

    def finalize(self) -> Any:
        if not self.seen:
            return None
        return M.to_stored(M.normalize(_subtype(self.kind), self.items))


class _RangeIntersectAgg:
    """range_intersect_agg: the intersection of the non-NULL inputs."""

    def __init__(self) -> None:
        self.acc: Any = None
        self.kind = 0

    def step(self, value: Any, kind: int) -> None:
        if value is None:
            return
        self.kind = kind
        sub = _subtype(kind)
        v = _value(value, kind, sub)
        if self.acc is None:
            self.acc = v
        elif R.is_range(kind):
            self.acc = X.intersect(sub, self.acc, v)
        else:
            self.acc = X.mr_intersect(sub, self.acc, v)

    def finalize(self) -> Any:
        return None if self.acc is None else _stored(self.acc)


def _guarded(ctx: FunctionContext, cls):
    class Guarded:
        def __init__(self) -> None:
            self.inner = cls()

        def step(self, *args):
            try:
                self.inner.step(*args)
            except SqlError as err:
                raise_sql(ctx, err)

        def finalize(self):
            try:
                return self.inner.finalize()
            except SqlError as err:
                raise_sql(ctx, err)
    return Guarded


def register_aggregates(conn, ctx: FunctionContext) -> None:
    conn.create_aggregate("pgsvc_range_agg", 2, _guarded(ctx, _RangeAgg))
    conn.create_aggregate("pgsvc_range_intersect_agg", 2, _guarded(ctx, _RangeIntersectAgg))
