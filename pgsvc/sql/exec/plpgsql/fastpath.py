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


class Gen:
    """Straight-line Python for one expression: each node's value in a temporary (None for
    NULL). Only slot numbers, integer constants and fixed text are ever written into it."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.n = 0

    def temp(self) -> str:
        self.n += 1
        return f"t{self.n}"

    def emit(self, line: str, indent: int = 0) -> None:
        self.lines.append("    " * (indent + 1) + line)


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


_ARITH = {"+": "{a} + {b}", "-": "{a} - {b}", "*": "{a} * {b}", "/": "_div({a}, {b})", "%": "_mod({a}, {b})"}
_COMPARE = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "==", "<>": "!=", "!=": "!="}


def range_check(g: Gen, t: str, oid: int) -> None:
    lo, hi, _ = RANGES[oid]
    g.emit(f"if {t} is not None and not {lo} <= {t} <= {hi}:")
    g.emit(f"raise out_of_range({oid})", 1)


def build(g: Gen, node, lookup) -> tuple[str, int]:
    """(temporary holding node's value, its type), or NotSimple."""
    if isinstance(node, ast.ColumnRef):
        if len(node.fields) != 1 or not isinstance(node.fields[0], ast.String):
            raise NotSimple
        return variable(g, lookup(node.fields[0].sval))
    if isinstance(node, ast.ParamRef):
        return variable(g, lookup(f"${node.number}"))
    if isinstance(node, ast.A_Const):
        val = node.val
        t = g.temp()
        if isinstance(val, ast.Integer):
            g.emit(f"{t} = {int(val.ival)}")
            return t, O.INT4
        if isinstance(val, ast.Boolean):
            g.emit(f"{t} = {1 if val.boolval else 0}")
            return t, O.BOOL
        raise NotSimple
    if isinstance(node, ast.A_Expr) and node.kind == enums.A_Expr_Kind.AEXPR_OP and len(node.name) == 1:
        return operator(g, node, node.name[0].sval, lookup)
    if isinstance(node, ast.BoolExpr):
        return boolean(g, node, lookup)
    if isinstance(node, ast.NullTest) and not node.argisrow:
        arg, _ = build(g, node.arg, lookup)
        t = g.temp()
        is_null = node.nulltesttype == enums.NullTestType.IS_NULL
        g.emit(f"{t} = {'1 if' if is_null else '0 if'} {arg} is None else {'0' if is_null else '1'}")
        return t, O.BOOL
    raise NotSimple


def variable(g: Gen, found) -> tuple[str, int]:
    if found is None or found[1] not in RANGES and found[1] != O.BOOL:
        raise NotSimple
    slot, oid = found
    t = g.temp()
    g.emit(f"{t} = v[{int(slot)}]")
    return t, oid


def operator(g: Gen, node, op: str, lookup) -> tuple[str, int]:
    if node.lexpr is None:
        if op != "-":
            raise NotSimple
        a, typ = build(g, node.rexpr, lookup)
        if typ not in RANGES:
            raise NotSimple
        t = g.temp()
        g.emit(f"{t} = None if {a} is None else -{a}")
        range_check(g, t, typ)
        return t, typ
    a, lt = build(g, node.lexpr, lookup)
    b, rt = build(g, node.rexpr, lookup)
    t = g.temp()
    if op in _ARITH:
        if lt not in RANGES or rt not in RANGES:
            raise NotSimple
        typ = lt if _WIDTH[lt] >= _WIDTH[rt] else rt
        g.emit(f"{t} = None if {a} is None or {b} is None else " + _ARITH[op].format(a=a, b=b))
        range_check(g, t, typ)
        return t, typ
    if op in _COMPARE:
        if (lt in RANGES) != (rt in RANGES) or lt == O.BOOL and op not in ("=", "<>", "!="):
            raise NotSimple
        g.emit(f"{t} = None if {a} is None or {b} is None else (1 if {a} {_COMPARE[op]} {b} else 0)")
        return t, O.BOOL
    raise NotSimple


def boolean(g: Gen, node, lookup) -> tuple[str, int]:
    """AND / OR stop at the first FALSE / TRUE (PostgreSQL's evaluation), NULL if one was NULL."""
    kind = node.boolop
    t = g.temp()
    if kind == enums.BoolExprType.NOT_EXPR:
        a, typ = build(g, node.args[0], lookup)
        if typ != O.BOOL:
            raise NotSimple
        g.emit(f"{t} = None if {a} is None else 1 - {a}")
        return t, O.BOOL
    stop, other = ("0", "1") if kind == enums.BoolExprType.AND_EXPR else ("1", "0")
    unknown = g.temp()
    g.emit(f"{t} = {other}")
    g.emit(f"{unknown} = False")
    body = Gen()
    body.n = g.n
    # each argument evaluated only while no argument decided the result: a nested function
    fn_lines = []
    for arg in node.args:
        sub = Gen()
        sub.n = body.n
        a, typ = build(sub, arg, lookup)
        if typ != O.BOOL:
            raise NotSimple
        body.n = sub.n
        fn_lines.extend(sub.lines)
        fn_lines.append(f"    if {a} is None:")
        fn_lines.append(f"        {unknown} = True")
        fn_lines.append(f"    elif {a} == {stop}:")
        fn_lines.append(f"        return {stop}, False")
    g.n = body.n
    name = g.temp()
    g.lines.append(f"    def {name}():")
    g.lines.append(f"        {unknown} = False")
    g.lines.extend("    " + line for line in fn_lines)
    g.lines.append(f"        return {other}, {unknown}")
    g.emit(f"{t}, {unknown} = {name}()")
    g.emit(f"if {unknown} and {t} == {other}:")
    g.emit(f"{t} = None", 1)
    return t, O.BOOL


def compile_fast(node, lookup, expr_type: int, target):
    """A Python function of the frame's values computing node as the SQL translation would
    (its type expr_type, then coerced to target (oid, typmod, domain)), or None."""
    g = Gen()
    try:
        result, t = build(g, node, lookup)
    except NotSimple:
        return None
    if t != expr_type:
        return None
    if target is not None:
        oid, typmod, domain = target
        if domain or typmod >= 0:
            return None
        if oid != t:
            if t not in RANGES or oid not in RANGES:
                return None
            if _WIDTH[oid] < _WIDTH[t]:
                range_check(g, result, oid)
    source = "def fast(v):\n" + "\n".join(g.lines) + f"\n    return {result}\n"
    scope = {"_div": _div, "_mod": _mod, "out_of_range": out_of_range}
    exec(compile(source, "<plpgsql fastpath>", "exec"), scope)  # noqa: S102 - generated from a checked tree
    return scope["fast"]


__all__ = ["compile_fast", "RANGES"]
