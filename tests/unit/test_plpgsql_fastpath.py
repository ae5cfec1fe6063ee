"""PL/pgSQL's simple integer/boolean expressions computed in Python (exec.plpgsql.fastpath)
give what the SQL layer's translation of the same expression gives (the value, or the error
and its SQLSTATE), for every operator, every pair of integer types and the edge values;
and PL/pgSQL bodies using them behave as the SQL path does (an in-process engine)."""

from __future__ import annotations

import itertools

import pglast
import pytest

from pgsvc.errors import SqlError
from pgsvc.settings import Settings
from pgsvc.sql.api import SessionInfo
from pgsvc.sql.exec.engine import Engine
from pgsvc.sql.exec.plpgsql.fastpath import compile_fast
from pgsvc.sql.types import oids as O

TYPES = {"smallint": O.INT2, "integer": O.INT4, "bigint": O.INT8}
EDGES = {O.INT2: [-32768, -7, -1, 0, 1, 2, 7, 32767],
         O.INT4: [-2**31, -32769, -7, -1, 0, 1, 7, 40000, 2**31 - 1],
         O.INT8: [-2**63, -2**31 - 1, -7, -1, 0, 3, 7, 2**31, 2**63 - 1]}
OPS = ["+", "-", "*", "/", "%", "<", "<=", ">", ">=", "=", "<>"]


@pytest.fixture
def engine(tmp_path):
    (tmp_path / "db.sqlite").touch()
    info = SessionInfo(str(tmp_path), "db", str(tmp_path / "db.sqlite"), "alice", True, 1, Settings(),
                       lambda n: None, cancel_flag=lambda: None)
    e = Engine(info)
    yield e
    e.close()


def sql_value(engine, sql: str, oids=(), params=()):
    """The SQL path: a prepared statement, parameters typed as the variables are."""
    try:
        stmt = engine.prepare(sql, list(oids))
        r = engine.execute(stmt, list(params))
        return ("ok", list(r.rows)[0][0])
    except SqlError as e:
        engine.abort_on_error(e)
        return ("error", e.sqlstate, e.message)


def fast_value(expr: str, slots: dict, values: list, expr_type: int):
    node = pglast.parse_sql(f"SELECT {expr}")[0].stmt.targetList[0].val
    fn = compile_fast(node, lambda name: slots.get(name), expr_type, None)
    assert fn is not None, expr
    try:
        v = fn(values)
        return ("ok", bool(v) if expr_type == O.BOOL and v is not None else v)
    except SqlError as e:
        return ("error", e.sqlstate, e.message)


@pytest.mark.parametrize("ltype,rtype", list(itertools.product(TYPES, TYPES)))
def test_binary_operators_match_the_sql_path(engine, ltype, rtype):
    lt, rt = TYPES[ltype], TYPES[rtype]
    result = lt if [O.INT2, O.INT4, O.INT8].index(lt) >= [O.INT2, O.INT4, O.INT8].index(rt) else rt
    slots = {"a": (0, lt), "b": (1, rt)}
    mismatches = []
    for op in OPS:
        typ = O.BOOL if op in ("<", "<=", ">", ">=", "=", "<>") else result
        for a, b in itertools.product(EDGES[lt] + [None], EDGES[rt] + [None]):
            expected = sql_value(engine, f"SELECT $1 {op} $2", (lt, rt), (a, b))
            got = fast_value(f"a {op} b", slots, [a, b], typ)
            if got != expected:
                mismatches.append((a, op, b, expected, got))
    assert mismatches == []


def test_boolean_logic_and_null_tests_match(engine):
    slots = {"p": (0, O.BOOL), "q": (1, O.BOOL), "i": (2, O.INT4)}
    for p, q, i in itertools.product([1, 0, None], [1, 0, None], [None, -1, 5]):
        py = [None if p is None else bool(p), None if q is None else bool(q), i]
        for expr in ["p AND q", "p OR q", "NOT p", "p AND NOT q OR i > 0", "i IS NULL", "i IS NOT NULL",
                     "p = q", "p <> q", "-i < 0"]:
            sql = expr.replace("p", "$1").replace("q", "$2").replace("i", "$3")
            expected = sql_value(engine, f"SELECT {sql}", (O.BOOL, O.BOOL, O.INT4), py)
            assert fast_value(expr, slots, [p, q, i], O.BOOL) == expected, (expr, p, q, i)


def test_an_error_beside_a_null_operand_is_raised(engine):
    slots = {"a": (0, O.INT4), "b": (1, O.INT4)}
    for expr in ["a + 1 / b", "1 / b + a", "(a % b) < 1"]:
        sql = expr.replace("a", "$1").replace("b", "$2")
        expected = sql_value(engine, f"SELECT {sql}", (O.INT4, O.INT4), (None, 0))
        typ = O.BOOL if "<" in expr else O.INT4
        assert fast_value(expr, slots, [None, 0], typ) == expected, expr


def test_unsupported_expressions_keep_the_sql_path():
    slots = {"a": (0, O.INT4), "t": (1, O.TEXT), "n": (2, O.NUMERIC)}
    for expr in ["a + 1.5", "t || 'x'", "n + 1", "abs(a)", "a::bigint", "(SELECT 1)", "2147483648 + a"]:
        node = pglast.parse_sql(f"SELECT {expr}")[0].stmt.targetList[0].val
        assert compile_fast(node, lambda name: slots.get(name), O.INT4, None) is None, expr


def test_assignment_range_checks(engine):
    node = pglast.parse_sql("SELECT a * 2")[0].stmt.targetList[0].val
    fn = compile_fast(node, lambda name: (0, O.INT8), O.INT8, (O.INT4, -1, 0))
    assert fn([5]) == 10
    with pytest.raises(SqlError) as info:
        fn([2**31])
    assert (info.value.sqlstate, info.value.message) == ("22003", "integer out of range")
    assert compile_fast(node, lambda name: (0, O.INT8), O.INT8, (O.NUMERIC, -1, 0)) is None
