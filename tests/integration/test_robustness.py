"""Nothing breaks a backend (issue 14): statements that crashed a backend, ran unbounded or
reached a Python traceback, side by side with PostgreSQL 15.

Each statement runs on both servers; rows, or SQLSTATE and message, must be the same.
After the module, the pgsvc server log must hold no Python traceback, no internal error
(XX000) and no backend killed by a signal.
"""

from __future__ import annotations

import threading
import time

import pytest

psycopg = pytest.importorskip("psycopg")
TextLoader = pytest.importorskip("psycopg.types.string").TextLoader

EMPSALARY = """
CREATE TABLE empsalary (depname varchar, empno bigint, salary int, enroll_date date);
INSERT INTO empsalary VALUES
('develop', 10, 5200, '2007-08-01'), ('sales', 1, 5000, '2006-10-01'),
('personnel', 5, 3500, '2007-12-10'), ('sales', 4, 4800, '2007-08-08'),
('personnel', 2, 3900, '2006-12-23'), ('develop', 7, 4200, '2008-01-01'),
('develop', 9, 4500, '2008-01-01'), ('sales', 3, 4800, '2007-08-01'),
('develop', 8, 6000, '2006-10-01'), ('develop', 11, 5200, '2007-08-15');
CREATE TABLE w (i int, n numeric, f float8, t text, b bytea, iv interval);
INSERT INTO w VALUES (1, 1.5, 0.1, 'a,b', '\\x00ff', '1 day'), (2, null, 0.2, 'it''s', '\\x41', '2 hours'),
 (3, 2.25, 1e300, null, null, null), (4, -7, -0.3, 'x''y,''z', '\\x2c27', '-3 min');
"""


@pytest.fixture(scope="module")
def conns(shared_server, pg15):
    ours = psycopg.connect(f"host=127.0.0.1 port={shared_server.port} user={shared_server.superuser} "
                           "dbname=postgres", autocommit=True)
    ref = psycopg.connect(pg15.dsn(), autocommit=True)
    for conn in (ours, ref):
        for name in ("date", "interval", "numeric", "float4", "float8"):
            conn.adapters.register_loader(name, TextLoader)
        conn.execute(EMPSALARY)
    yield ours, ref
    ours.close()
    ref.close()
    log = shared_server.log.read_text(errors="replace")
    assert "Traceback" not in log
    assert "XX000" not in log and "internal error" not in log
    assert "terminated by signal" not in log


def _run(conn, sql: str):
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return ("ok", cur.fetchall() if cur.description else cur.statusmessage)
    except psycopg.Error as e:
        return ("error", e.sqlstate, str(e.diag.message_primary))


def same(conns, sql: str):
    ours, ref = conns
    expected = _run(ref, sql)
    got = _run(ours, sql)
    assert got == expected, sql
    return got


# --- Python aggregates over window frames: never a crash ---------------------------------

WINDOW_STATEMENTS = [
    # the statement of PostgreSQL's window.sql that killed a backend with SIGSEGV: a FILTER that
    # rejects the first row of the frame made SQLite ask a Python window function for its value
    # before any row had reached it
    """SELECT sum(salary), row_number() OVER (ORDER BY depname), sum(
        sum(salary) FILTER (WHERE enroll_date > '2007-01-01')
    ) FILTER (WHERE depname <> 'sales') OVER (ORDER BY depname DESC) AS "filtered_sum",
    depname FROM empsalary GROUP BY depname""",
    # empty frames
    "SELECT i, sum(n) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING) FROM w ORDER BY i",
    "SELECT i, array_agg(t) OVER (ORDER BY i ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING) FROM w ORDER BY i",
    "SELECT i, regr_count(f, i) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING) FROM w ORDER BY i",
    "SELECT i, sum(iv) OVER (ORDER BY i GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE CURRENT ROW) "
    "FROM w ORDER BY i",
    "SELECT i, bit_and(i) OVER (ORDER BY i ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING "
    "EXCLUDE CURRENT ROW) FROM w ORDER BY i",
    "SELECT i, array_agg(f) OVER (ORDER BY i RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE TIES) "
    "FROM w ORDER BY i",
    # FILTER, every storage class through the frame (text with quotes and commas, bytea, floats)
    "SELECT i, sum(n) FILTER (WHERE i > 1) OVER (ORDER BY i) FROM w ORDER BY i",
    "SELECT i, string_agg(b, '\\x2c'::bytea) OVER (ORDER BY i) FROM w ORDER BY i",
    "SELECT i, sum(f) OVER (ORDER BY i), avg(n) OVER (), stddev(f) OVER (ORDER BY i ROWS 2 PRECEDING) "
    "FROM w ORDER BY i",
    "SELECT i, json_agg(t) OVER (ORDER BY i), jsonb_object_agg(coalesce(t, 'k'), n) OVER (ORDER BY i) "
    "FROM w ORDER BY i",
    "SELECT i, sum(n) OVER (PARTITION BY i % 2), sum(n) OVER (ORDER BY i DESC) FROM w ORDER BY i",
    "SELECT stddev(f) OVER (ORDER BY i) FROM (VALUES (1, 1e308), (2, -1e308), (3, 1e308)) v(i, f)",
    # what PostgreSQL refuses
    "SELECT sum(DISTINCT n) OVER () FROM w",
    "SELECT sum(n ORDER BY i) OVER () FROM w",
]


@pytest.mark.parametrize("sql", WINDOW_STATEMENTS)
def test_window_aggregates(conns, sql):
    same(conns, sql)


def test_running_window_sum_is_linear(conns):
    """A running sum of numeric over 20,000 rows: each frame extends the last, so the
    Python aggregate steps each row once (it used to recompute every frame: O(n^2))."""
    sql = ("SELECT sum(x) FROM (SELECT sum(g::numeric) OVER (ORDER BY g) AS x "
           "FROM generate_series(1, 20000) g) s")
    assert same(conns, sql)[0] == "ok"


# --- generate_series over numeric: PostgreSQL's errors, never an endless loop ------------

SERIES_STATEMENTS = [
    "SELECT * FROM generate_series('inf'::numeric, 'inf'::numeric, 10::numeric)",
    "SELECT * FROM generate_series('-inf'::numeric, 'nan'::numeric, 'nan')",
    "SELECT * FROM generate_series(1::numeric, 'inf'::numeric)",
    "SELECT * FROM generate_series('nan'::numeric, 3)",
    "SELECT * FROM generate_series(1, 'nan'::numeric)",
    "SELECT * FROM generate_series(1::numeric, 3, 'nan')",
    "SELECT * FROM generate_series(1::numeric, 3, 'inf')",
    "SELECT * FROM generate_series(1::numeric, 3, '-inf')",
    "SELECT * FROM generate_series(1::numeric, 3, 0)",
    "SELECT * FROM generate_series(1::numeric, NULL)",
    "SELECT * FROM generate_series(NULL::numeric, 'nan')",
    "SELECT * FROM generate_series(1.5, 3, 0.5)",
    "SELECT * FROM generate_series(3::numeric, 1, -0.75)",
]


@pytest.mark.parametrize("sql", SERIES_STATEMENTS)
def test_generate_series_numeric(conns, sql):
    same(conns, sql)


# --- statement_timeout, cancel and pg_terminate_backend end pgsvc's own Python work -------

# Work that runs in pgsvc's Python, not in SQLite: a set-returning function materialised
# while the statement is translated, a regular expression backtracking inside a UDF (one C
# call that never returns to a loop of pgsvc's), a LIKE over a huge string.
LONG_WORK = [
    "SELECT count(*) FROM generate_series(1::numeric, 1e12)",
    "SELECT 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' ~ '^(a+)+$'",
    "SELECT * FROM regexp_matches(repeat('a', 40) || '!', '^(a|aa)+$')",
    "SELECT count(*) FROM (VALUES (1), (2)) v(i) WHERE repeat('a', 40 + i) || '!' ~ '^(a|aa)+$'",
    "SELECT array_agg(x ~ '^(a|aa)+$') FROM (VALUES (repeat('a', 40) || '!')) v(x)",
]


def _timed(conn, sql: str):
    start = time.monotonic()
    out = _run(conn, sql)
    return out, time.monotonic() - start


@pytest.mark.parametrize("sql", LONG_WORK)
def test_statement_timeout_ends_python_work(shared_server, sql):
    with psycopg.connect(shared_server.dsn(), autocommit=True) as conn:
        conn.execute("SET statement_timeout = '300ms'")
        out, took = _timed(conn, sql)
        # PostgreSQL answers the regular expressions at once (its engine does not backtrack);
        # pgsvc may take as long as the timeout allows, never longer
        assert out == ("error", "57014", "canceling statement due to statement timeout"), out
        assert took < 5, took
        assert conn.execute("SELECT 1").fetchone() == (1,)  # the session goes on


def _cancel_after(conn, delay: float) -> threading.Thread:
    th = threading.Thread(target=lambda: (time.sleep(delay), conn.cancel()))
    th.start()
    return th


@pytest.mark.parametrize("sql", [LONG_WORK[0], LONG_WORK[1]])
def test_cancel_ends_python_work(shared_server, pg15, sql):
    outcomes = []
    for dsn in (pg15.dsn(), shared_server.dsn()):
        with psycopg.connect(dsn, autocommit=True) as conn:
            if dsn == pg15.dsn() and "~" in sql:
                continue  # PostgreSQL has no backtracking to cancel
            th = _cancel_after(conn, 0.5)
            out, took = _timed(conn, sql)
            th.join()
            assert took < 5, took
            outcomes.append(out)
            assert conn.execute("SELECT 1").fetchone() == (1,)
    assert all(o == ("error", "57014", "canceling statement due to user request") for o in outcomes), outcomes


@pytest.mark.parametrize("sql", [LONG_WORK[0], LONG_WORK[1]])
def test_terminate_ends_python_work(shared_server, pg15, sql):
    for dsn in (pg15.dsn(), shared_server.dsn()):
        if dsn == pg15.dsn() and "~" in sql:
            continue
        conn = psycopg.connect(dsn, autocommit=True)
        other = psycopg.connect(dsn, autocommit=True)
        pid = conn.info.backend_pid
        th = threading.Thread(target=lambda o=other, p=pid: (time.sleep(0.5),
                                                             o.execute("SELECT pg_terminate_backend(%s)", (p,))))
        th.start()
        start = time.monotonic()
        with pytest.raises(psycopg.errors.AdminShutdown):
            conn.execute(sql)
        th.join()
        assert time.monotonic() - start < 5
        assert conn.closed  # the FATAL alone, then the connection ends (as PostgreSQL)
        other.close()
