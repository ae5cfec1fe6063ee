"""CASTS/OPERATORS/FUNCTIONS emits executed on SQLite with register_all; expected
values are PostgreSQL 15's output for the same expressions."""

import re

import pytest

from pgsvc.errors import SqlError
from pgsvc.sql import types as T
from pgsvc.sql.functions import CASTS, FUNCTIONS, OPERATORS, FunctionContext, register_all
from pgsvc.sqlite import sqlite3


@pytest.fixture()
def env():
    ctx = FunctionContext()
    conn = sqlite3.connect(":memory:")
    register_all(conn, ctx)
    return conn, ctx


def _run(env, sql, *params):
    conn, ctx = env
    try:
        return conn.execute(sql, params).fetchone()
    except sqlite3.Error as exc:
        err = ctx.take_error()
        if err is None:
            raise
        raise err from exc


def _op(name, left, right):
    return next(o for o in OPERATORS[name] if (o.left_oid, o.right_oid) == (left, right))


def _fn(name, args):
    return next(f for f in FUNCTIONS[name] if f.arg_oids == tuple(args))


def _text(oid, stored):
    return T.text_encoder(oid)(T.sqlite_adapter(oid)[1](stored) if T.sqlite_adapter(oid)[1]
                               else stored)


def test_every_emitted_udf_is_registered(env):
    conn, _ = env
    names = {r[0] for r in conn.execute("SELECT name FROM pragma_function_list")}
    emits = [c.emit for c in CASTS.values()] + [o.emit for v in OPERATORS.values() for o in v] \
        + [f.emit for v in FUNCTIONS.values() for f in v]
    used = {n for e in emits for n in re.findall(r"pgsvc_\w+", e)}
    assert used - names == set()


@pytest.mark.parametrize("op,left,right,a,b,ret,expected", [
    ("/", T.INT4, T.INT4, 7, -2, T.INT4, "-3"),
    ("/", T.NUMERIC, T.NUMERIC, "1", "3", T.NUMERIC, "0.33333333333333333333"),
    ("+", T.NUMERIC, T.NUMERIC, "1.50", "2", T.NUMERIC, "3.50"),
    ("~~", T.TEXT, T.TEXT, "Abc", "a%", T.BOOL, "f"),
    ("~~*", T.TEXT, T.TEXT, "Abc", "a%", T.BOOL, "t"),
    ("+", T.TIMESTAMP, T.INTERVAL, 759974400000000, "1 0 0", T.TIMESTAMP, "2024-02-29 00:00:00"),
])
def test_operators_match_postgresql(env, op, left, right, a, b, ret, expected):
    sig = _op(op, left, right)
    (value,) = _run(env, "SELECT " + sig.emit.format("?", "?"), a, b)
    assert _text(ret, value) == expected


@pytest.mark.parametrize("op,left,right,a,b,sqlstate,message", [
    ("+", T.INT4, T.INT4, 2147483647, 1, "22003", "integer out of range"),
    ("/", T.INT4, T.INT4, 1, 0, "22012", "division by zero"),
    ("/", T.NUMERIC, T.NUMERIC, "1", "0", "22012", "division by zero"),
    ("*", T.INT8, T.INT8, 9223372036854775807, 2, "22003", "bigint out of range"),
])
def test_operator_errors(env, op, left, right, a, b, sqlstate, message):
    with pytest.raises(SqlError) as exc:
        _run(env, "SELECT " + _op(op, left, right).emit.format("?", "?"), a, b)
    assert (exc.value.sqlstate, exc.value.message) == (sqlstate, message)


@pytest.mark.parametrize("name,args,values,ret,expected", [
    ("date_trunc", [T.TEXT, T.TIMESTAMP], ["month", 763812672000000], T.TIMESTAMP,
     "2024-03-01 00:00:00"),
    ("date_part", [T.TEXT, T.DATE], ["dow", 8767], T.FLOAT8, "2"),
    ("format", [T.TEXT, T.ANY_], ["%s-%I-%L", "a", "B c", "it's"], T.TEXT, "a-\"B c\"-'it''s'"),
    ("lpad", [T.TEXT, T.INT4, T.TEXT], ["hi", 5, "xy"], T.TEXT, "xyxhi"),
    ("split_part", [T.TEXT, T.TEXT, T.INT4], ["a,b,c", ",", 2], T.TEXT, "b"),
    ("round", [T.NUMERIC, T.INT4], ["2.345", 2], T.NUMERIC, "2.35"),
    ("round", [T.NUMERIC], ["-2.5"], T.NUMERIC, "-3"),
    ("age", [T.TIMESTAMP, T.TIMESTAMP], [763776000000000, 727531200000000], T.INTERVAL,
     "1 year 1 mon 25 days 12:00:00"),
])
def test_functions_match_postgresql(env, name, args, values, ret, expected):
    sig = _fn(name, args)
    placeholders = ", ".join("?" * len(values))
    emit = sig.emit.replace("{args}", placeholders).format(*(["?"] * len(values)))
    (value,) = _run(env, "SELECT " + emit, *values)
    assert _text(ret, value) == expected


def test_aggregates_match_postgresql(env):
    conn, _ = env
    avg = _fn("avg", [T.INT4]).emit.format("x")
    total = _fn("sum", [T.INT8]).emit.format("x")
    row = conn.execute(f"SELECT {avg}, {total} FROM (SELECT 1 AS x UNION ALL SELECT 2)").fetchone()
    assert row == ("1.5000000000000000", "3")


def test_casts(env):
    (value,) = _run(env, "SELECT " + CASTS[(T.NUMERIC, T.INT4)].emit.format("?"), "12.5")
    assert value == 13
    (value,) = _run(env, "SELECT " + CASTS[(T.DATE, T.TEXT)].emit.format("?"), 8766)
    assert value == "2024-01-01"
    (value,) = _run(env, "SELECT " + CASTS[(T.BOOL, T.TEXT)].emit.format("?"), 1)
    assert value == "true"
    with pytest.raises(SqlError) as exc:
        _run(env, "SELECT " + CASTS[(T.TEXT, T.INT4)].emit.format("?"), "abc")
    assert exc.value.message == 'invalid input syntax for type integer: "abc"'
