"""Engine-bound UDFs built before the fork (pgsvc.sql.exec.prepared_udfs): the first
engine of a process registers the prepared objects, which then answer for that engine;
any later engine makes its own; the supervisor's process keeps no stand-in where code
without an engine would reach it."""

from __future__ import annotations

import os

import pytest

from pgsvc.settings import Settings
from pgsvc.sql import quoting
from pgsvc.sql.api import SessionInfo
from pgsvc.sql.exec import prepared_udfs
from pgsvc.sql.exec.engine import Engine
from pgsvc.sql.functions import context, engine_udfs, register
from pgsvc.sql.pg_functions import information_schema


def _engine(tmp_path, name: str, pid: int) -> Engine:
    path = tmp_path / f"{name}.sqlite"
    path.touch()
    info = SessionInfo(str(tmp_path), name, str(path), "alice", True, pid, Settings(), lambda n: None,
                       cancel_flag=lambda: None)
    return Engine(info)


def _value(engine: Engine, sql: str):
    return list(engine.execute(engine.prepare(sql, []), []).rows)[0][0]


@pytest.fixture(autouse=True)
def restore(tmp_path):
    saved = (register._prepared, list(context._MADE_BEFORE_FORK), engine_udfs._prepared_windows,
             dict(prepared_udfs._prepared))
    yield
    register._prepared, context._MADE_BEFORE_FORK[:], engine_udfs._prepared_windows = saved[:3]
    prepared_udfs._prepared.clear()
    prepared_udfs._prepared.update(saved[3])
    _engine(tmp_path, "after", 9).close()  # the process-wide hooks of an ordinary engine again


def test_every_step_but_the_process_hooks_is_prepared():
    """A register function that keeps the engine anywhere but a closure variable, an
    attribute or its own module's global would be made in every backend again: ~1 MB of
    private memory each (the module docstring)."""
    prepared_udfs.prepare_before_fork()
    names = [name for name, _ in prepared_udfs.STEPS]
    assert sorted(prepared_udfs._prepared) == sorted(set(names) - prepared_udfs.MADE_PER_ENGINE)
    assert sum(len(calls) for _, _, calls in prepared_udfs._prepared.values()) > 150


def test_no_stand_in_is_left_where_code_without_an_engine_reaches():
    information_schema._ENGINE = None
    prepared_udfs.prepare_before_fork()
    assert information_schema._ENGINE is None
    assert quoting.quote_ident("Abc") == '"Abc"'  # the quote_all_identifiers hook: none or a real engine's


def test_first_engine_takes_the_prepared_udfs_and_later_ones_their_own(tmp_path):
    prepared_udfs.prepare_before_fork()
    calls = {name: list(c) for name, (_, _, c) in prepared_udfs._prepared.items()}
    first = _engine(tmp_path, "first", 101)
    try:
        assert prepared_udfs._prepared == {}  # all taken by the first engine
        assert information_schema._ENGINE is first
        second = _engine(tmp_path, "second", 202)
        try:
            for engine, name, pid in ((first, "first", 101), (second, "second", 202)):
                engine.execute(engine.prepare(f"CREATE TABLE t_{name} (a int)", []), [])
                assert _value(engine, "SELECT current_database()") == name
                assert _value(engine, "SELECT pg_backend_pid()") == pid
                assert _value(engine, "SELECT current_schema()") == "public"
                assert _value(engine, f"SELECT table_catalog FROM information_schema.tables"
                                      f" WHERE table_name = 't_{name}'") == name
                assert _value(engine, f"SELECT pg_table_is_visible('t_{name}'::regclass)") is True
                assert _value(engine, "SELECT format_type(23, NULL)") == "integer"
            first.execute(first.prepare("CREATE SEQUENCE s START 5", []), [])
            assert _value(first, "SELECT nextval('s')") == 5
            assert _value(first, "SELECT currval('s')") == 5
            registered = [args[2] for name in ("engine_udfs", "catalog_funcs") for m, args, _ in calls[name]
                          if m == "create_function"]
            assert registered and all(getattr(f, "reports_errors", False) for f in registered)
        finally:
            second.close()
    finally:
        first.close()


def _xid_token_in_a_child(tmp_path, name: str) -> int:
    """A forked process's first engine (as a backend's): its change-log transaction token."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            engine = _engine(tmp_path, name, os.getpid())
            token = engine.conn.execute("SELECT pgsvce_cl_xid()").fetchone()[0]
            os.write(write, str(token).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        out = f.read()
    os.waitpid(pid, 0)
    return int(out)


def test_backends_forked_from_the_prepared_udfs_draw_their_own_transaction_tokens(tmp_path):
    """Per-connection state must not be made before the fork: two backends' first
    transactions with one token would be decoded as one (logical replication's change log
    interleaved their rows)."""
    prepared_udfs.prepare_before_fork()
    assert "changelog_udfs" in prepared_udfs._prepared
    first, second = (_xid_token_in_a_child(tmp_path, name) for name in ("one", "two"))
    assert first & 0xFFFFFFFF == second & 0xFFFFFFFF == 0  # no transaction ended yet in either
    assert first >> 32 != second >> 32
