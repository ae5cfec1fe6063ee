"""UDFs built before the fork (functions.register.prepare_before_fork): the first engine
context of a process is the prepared one, reset as a new object, and register_all gives
its connection the prepared objects; any other context gets UDFs of its own, bound to it."""

import datetime as dt

import pytest

from pgsvc.errors import SqlError
from pgsvc.settings import Settings
from pgsvc.sql.functions import context, engine_udfs, register
from pgsvc.sql.functions.context import FunctionContext
from pgsvc.sqlite import sqlite3


@pytest.fixture(autouse=True)
def restore():
    saved = register._prepared, list(context._MADE_BEFORE_FORK), engine_udfs._prepared_windows
    yield
    register._prepared = saved[0]
    context._MADE_BEFORE_FORK[:] = saved[1]
    engine_udfs._prepared_windows = saved[2]


class Calls:
    def __init__(self):
        self.objects = []

    def create_collation(self, name, fn):
        self.objects.append(fn)

    def create_function(self, name, narg, fn, deterministic=False):
        self.objects.append(fn)

    def create_aggregate(self, name, narg, cls):
        self.objects.append(cls)


def _failing_division(conn, ctx):
    with pytest.raises(sqlite3.Error):
        conn.execute("select pgsvc_numeric_div('1', '0')").fetchone()
    err = ctx.take_error()
    assert isinstance(err, SqlError) and err.sqlstate == "22012"


def test_first_engine_context_is_the_prepared_one_reset():
    register.prepare_before_fork()
    prepared = register._prepared[0]
    prepared.pending_error = SqlError("XX000", "left over")
    settings, flag = Settings(), (lambda: "terminate")
    ctx = FunctionContext.for_engine(settings=settings, session="s", cancel_flag=flag)
    assert ctx is prepared
    assert (ctx.settings, ctx.session, ctx.cancel_flag, ctx.pending_error) == (settings, "s", flag, None)
    assert dt.datetime.now(dt.UTC) - ctx.transaction_start < dt.timedelta(seconds=5)
    calls = Calls()
    register.register_all(calls, ctx)
    prepared_objects = [args[-1] for _, args, _ in register._prepared[1]]
    assert calls.objects == prepared_objects and len(prepared_objects) > 200
    windows = Calls()
    names = engine_udfs.register_window_aggregates(windows, ctx)
    assert windows.objects == [args[-1] for args in engine_udfs._prepared_windows[1]] and len(names) > 20
    conn = sqlite3.connect(":memory:")
    register.register_all(conn, ctx)
    assert conn.execute("select pgsvc_upper('abc')").fetchone() == ("ABC",)
    _failing_division(conn, ctx)


def test_later_contexts_get_udfs_of_their_own():
    register.prepare_before_fork()
    first = FunctionContext.for_engine()
    second = FunctionContext.for_engine()
    assert second is not first
    mine, theirs = Calls(), Calls()
    register.register_all(mine, second)
    register.register_all(theirs, first)
    assert len(mine.objects) == len(theirs.objects)
    own_windows, prepared_windows = Calls(), Calls()
    assert engine_udfs.register_window_aggregates(own_windows, second) == \
        engine_udfs.register_window_aggregates(prepared_windows, first)
    assert not {id(o) for o in own_windows.objects} & {id(o) for o in prepared_windows.objects}
    assert not {id(o) for o in mine.objects} & {id(o) for o in theirs.objects if callable(o)
                                                 and getattr(o, "reports_errors", False)}
    conn = sqlite3.connect(":memory:")
    register.register_all(conn, second)
    _failing_division(conn, second)
    assert first.pending_error is None


def test_without_preparation_a_new_context_each_time():
    context._MADE_BEFORE_FORK.clear()
    register._prepared = None
    assert FunctionContext.for_engine() is not FunctionContext.for_engine()
