"""PL/pgSQL's simple expressions of integers and booleans, evaluated in Python.

PostgreSQL evaluates a "simple expression" (no table, no subquery) without the executor's
full machinery; here the same expressions would each be one SQLite statement with the
overflow-checking UDFs of the integer operators, several microseconds a time. An
expression made only of integer (smallint, integer, bigint) and boolean variables,
parameters and constants, + - * / %, unary minus, comparisons, AND / OR / NOT and IS
[NOT] NULL is compiled here into a Python function of the frame's values instead, with
PostgreSQL's semantics: the operator's result type (the wider operand's), NULL in, NULL
out, "integer out of range" / "smallint out of range" / "bigint out of range" (22003) on
overflow, "division by zero" (22012), division truncating toward zero and a remainder
with the dividend's sign. The expression is still translated by the SQL layer first (for
its errors and types); this is only used when its type is the translator's, and anything
else keeps the SQL path.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.types import oids as O

RANGES = {O.INT2: (-2**15, 2**15 - 1, "smallint"), O.INT4: (-2**31, 2**31 - 1, "integer"),
          O.INT8: (-2**63, 2**63 - 1, "bigint")}
_WIDTH = {O.INT2: 0, O.INT4: 1, O.INT8: 2}


class NotSimple(Exception):
    """The expression is outside what this module evaluates."""


def out_of_range(oid: int) -> SqlError:
    return SqlError("22003", f"{RANGES[oid][2]} out of range")


def division_by_zero() -> SqlError:
    return SqlError("22012", "division by zero")


def checked(fn, oid: int):
    lo, hi, _ = RANGES[oid]

    def run(v):
        r = fn(v)
        if r is not None and not lo <= r <= hi:
            raise out_of_range(oid)
        return r
    return run


def _div(a: int, b: int) -> int:
    if b == 0:
        raise division_by_zero()
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _mod(a: int, b: int) -> int:
    if b == 0:
        raise division_by_zero()
    r = abs(a) % abs(b)
    return r if a >= 0 else -r


_ARITH = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": _div, "%": _mod}
_COMPARE = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b, "=": lambda a, b: a == b, "<>": lambda a, b: a != b,
            "!=": lambda a, b: a != b}


def binary(op, left, right):
    def run(v):
        a = left(v)
        if a is None:
            return None
        b = right(v)
        if b is None:
            return None
        return op(a, b)
    return run


def build(node, lookup):
    """(function of the values, type) for node, or NotSimple."""
    if isinstance(node, ast.ColumnRef):
        if len(node.fields) != 1 or not isinstance(node.fields[0], ast.String):
            raise NotSimple
        found = lookup(node.fields[0].sval)
        if found is None:
            raise NotSimple
        slot, oid = found
        if oid not in RANGES and oid != O.BOOL:
            raise NotSimple
        return (lambda v: v[slot]), oid
    if isinstance(node, ast.ParamRef):
        found = lookup(f"${node.number}")
        if found is None or found[1] not in RANGES and found[1] != O.BOOL:
            raise NotSimple
        slot, oid = found
        return (lambda v: v[slot]), oid
    if isinstance(node, ast.A_Const):
        val = node.val
        if isinstance(val, ast.Integer):
            value = val.ival
            return (lambda v: value), O.INT4
        if isinstance(val, ast.Boolean):
            flag = 1 if val.boolval else 0
            return (lambda v: flag), O.BOOL
        raise NotSimple
    if isinstance(node, ast.A_Expr) and node.kind == enums.A_Expr_Kind.AEXPR_OP and len(node.name) == 1:
        return operator(node, node.name[0].sval, lookup)
    if isinstance(node, ast.BoolExpr):
        return boolean(node, lookup)
    if isinstance(node, ast.NullTest) and not node.argisrow:
        arg, _ = build(node.arg, lookup)
        if node.nulltesttype == enums.NullTestType.IS_NULL:
            return (lambda v: 1 if arg(v) is None else 0), O.BOOL
        return (lambda v: 0 if arg(v) is None else 1), O.BOOL
    raise NotSimple


def operator(node, op: str, lookup):
    if node.lexpr is None:
        if op != "-":
            raise NotSimple
        arg, t = build(node.rexpr, lookup)
        if t not in RANGES:
            raise NotSimple
        return checked(lambda v: None if (a := arg(v)) is None else -a, t), t
    left, lt = build(node.lexpr, lookup)
    right, rt = build(node.rexpr, lookup)
    if op in _ARITH:
        if lt not in RANGES or rt not in RANGES:
            raise NotSimple
        t = lt if _WIDTH[lt] >= _WIDTH[rt] else rt
        return checked(binary(_ARITH[op], left, right), t), t
    if op in _COMPARE:
        if (lt in RANGES) != (rt in RANGES) or lt == O.BOOL and op not in ("=", "<>", "!="):
            raise NotSimple
        cmp = _COMPARE[op]
        return binary(lambda a, b: 1 if cmp(a, b) else 0, left, right), O.BOOL
    raise NotSimple


def boolean(node, lookup):
    parts = []
    for a in node.args:
        fn, t = build(a, lookup)
        if t != O.BOOL:
            raise NotSimple
        parts.append(fn)
    kind = node.boolop
    if kind == enums.BoolExprType.NOT_EXPR:
        arg = parts[0]
        return (lambda v: None if (a := arg(v)) is None else 1 - a), O.BOOL
    if kind == enums.BoolExprType.AND_EXPR:
        def run_and(v):
            unknown = False
            for p in parts:
                a = p(v)
                if a is None:
                    unknown = True
                elif not a:
                    return 0
            return None if unknown else 1
        return run_and, O.BOOL

    def run_or(v):
        unknown = False
        for p in parts:
            a = p(v)
            if a is None:
                unknown = True
            elif a:
                return 1
        return None if unknown else 0
    return run_or, O.BOOL


def compile_fast(node, lookup, expr_type: int, target):
    """A Python function of the frame's values computing node as the SQL translation would
    (its type expr_type, then coerced to target (oid, typmod, domain)), or None."""
    try:
        fn, t = build(node, lookup)
    except NotSimple:
        return None
    if t != expr_type:
        return None
    if target is None:
        return fn
    oid, typmod, domain = target
    if domain or typmod >= 0:
        return None
    if oid == t:
        return fn
    if t in RANGES and oid in RANGES:
        return checked(fn, oid) if _WIDTH[oid] < _WIDTH[t] else fn
    return None


__all__ = ["compile_fast", "RANGES"]
