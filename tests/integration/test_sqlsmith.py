"""sqlsmith against a throwaway pgsvc (issue 14: nothing breaks a backend).

sqlsmith (Debian package `sqlsmith`) reads the server's catalogs - pg_type, pg_proc,
pg_operator, pg_class ... - and generates random, valid queries over every relation,
function and operator they list. A fixed seed, a bounded number of queries and a
statement_timeout; then the server log must show:
- no backend killed by a signal (a crash in C code under Python: SQLite, pglast, a UDF);
- no Python traceback and no internal error (XX000): every failure is a SqlError with
  PostgreSQL's SQLSTATE;
- no statement outliving its timeout (log_min_duration_statement = timeout + 2 s logs any
  statement that took longer: statement_timeout and the interrupts must have ended it).

`make test` runs the short form (PGSVC_SQLSMITH_QUERIES, default 2,000 queries, well under
a minute); `make fuzz` the full one (20,000) and, side by side, the same run against
PostgreSQL 15 for sqlsmith's error rate on both (PGSVC_SQLSMITH_COMPARE=1), printed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import Server, cannot_run, ensure_account, free_port, make_tmpdir, require_tool

QUERIES = int(os.environ.get("PGSVC_SQLSMITH_QUERIES", "2000"))
COMPARE = os.environ.get("PGSVC_SQLSMITH_COMPARE", "") == "1"
SEED = int(os.environ.get("PGSVC_SQLSMITH_SEED", "20261207"))
TIMEOUT_MS = 1000
GRACE_MS = 2000
# wall-clock bound of one run: sqlsmith's own pace is ~100 queries/s on pgsvc; every query
# ending at its timeout could not exceed this either
RUN_LIMIT_S = 60 + QUERIES * 0.1

# A small schema of the types sqlsmith's generator reaches for, with rows, so that queries
# read real data and not only the catalogs.
SCHEMA = """
CREATE TABLE fz_nums (i int PRIMARY KEY, s smallint, b bigint, n numeric(12,3), f float8, r real,
                      ok boolean);
INSERT INTO fz_nums SELECT g, g % 300, g * 1000003, g * 1.5, g / 7.0, g / 3.0, g % 2 = 0
  FROM generate_series(1, 200) g;
CREATE TABLE fz_texts (id serial PRIMARY KEY, t text, v varchar(20), c char(4), by bytea,
                       j jsonb, a int[], ta text[]);
INSERT INTO fz_texts (t, v, c, by, j, a, ta) SELECT 'text ' || g, 'v' || g, 'c' || (g % 10),
  ('\\x' || lpad(to_hex(g), 4, '0'))::bytea, ('{"k": ' || g || ', "l": [1, 2]}')::jsonb,
  ARRAY[g, g + 1], ARRAY['x' || g, NULL] FROM generate_series(1, 100) g;
CREATE TABLE fz_times (id int, d date, ts timestamp, tz timestamptz, iv interval, tm time, u uuid);
INSERT INTO fz_times SELECT g, date '2020-01-01' + g, timestamp '2020-01-01 10:00' + g * interval '1 hour',
  timestamptz '2020-01-01 10:00+00' + g * interval '1 day', g * interval '1 minute', time '10:00' + g * interval '1 s',
  gen_random_uuid() FROM generate_series(1, 100) g;
CREATE VIEW fz_view AS SELECT n.i, n.n, t.t FROM fz_nums n JOIN fz_texts t ON t.id = n.i;
CREATE INDEX ON fz_texts (v);
CREATE TYPE fz_mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE fz_pair AS (x int, y text);
CREATE TABLE fz_parent (id int PRIMARY KEY, name text UNIQUE, mood fz_mood, p fz_pair);
INSERT INTO fz_parent SELECT g, 'n' || g, (ARRAY['sad', 'ok', 'happy'])[g % 3 + 1]::fz_mood, ROW(g, 't' || g)::fz_pair
  FROM generate_series(1, 50) g;
CREATE TABLE fz_child (cid serial PRIMARY KEY, pid int REFERENCES fz_parent ON DELETE CASCADE, amount numeric,
                       note text DEFAULT 'none', flags bit(4), ip inet, m money);
INSERT INTO fz_child (pid, amount, note, flags, ip, m) SELECT g % 50 + 1, g * 2.25,
  CASE WHEN g % 3 = 0 THEN NULL ELSE 'note ' || g END, B'1010', ('10.0.0.' || g)::inet, g * 1.5
  FROM generate_series(1, 150) g;
CREATE VIEW fz_agg AS SELECT pid, count(*) c, sum(amount) s FROM fz_child GROUP BY pid;
"""

_RATE = re.compile(r"error rate: ([0-9.]+)")


def _run_sqlsmith(sqlsmith: str, target: str) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    try:
        proc = subprocess.run([sqlsmith, f"--target={target}", f"--seed={SEED}", f"--max-queries={QUERIES}",
                               "--verbose"], capture_output=True, text=True, timeout=RUN_LIMIT_S)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"sqlsmith ran past {RUN_LIMIT_S:.0f} s: a statement outlived its timeout\n{e.stderr}")
    return proc, time.monotonic() - start


def _error_rate(stderr: str) -> float | None:
    m = _RATE.search(stderr)
    return float(m.group(1)) if m else None


def _errors(stderr: str) -> list[str]:
    """sqlsmith's error summary: 'count<TAB>ERROR:  message' lines."""
    return [line for line in stderr.splitlines() if re.match(r"^\d+\t", line)]


@pytest.fixture(scope="module")
def fuzz_server():
    account = ensure_account() if os.geteuid() == 0 else None
    srv = Server(make_tmpdir(), account, free_port())
    srv.initdb()
    srv.start()
    srv.psql(SCHEMA)
    yield srv
    srv.stop()
    shutil.rmtree(srv.base, ignore_errors=True)


def _options() -> str:
    return f"options='-c statement_timeout={TIMEOUT_MS} -c log_min_duration_statement={TIMEOUT_MS + GRACE_MS}'"


def test_sqlsmith_breaks_no_backend(fuzz_server):
    sqlsmith = require_tool("sqlsmith")
    srv = fuzz_server
    log_start = srv.log.stat().st_size
    target = f"host=127.0.0.1 port={srv.port} user={srv.superuser} dbname=postgres {_options()}"
    proc, took = _run_sqlsmith(sqlsmith, target)
    assert "queries: " in proc.stderr, proc.stderr[-3000:]
    with open(srv.log, "rb") as f:
        f.seek(log_start)
        log = f.read().decode(errors="replace")
    crashes = [line for line in log.splitlines() if "terminated by signal" in line or "exited with exit code" in line]
    tracebacks = log.count("Traceback (most recent call last)")
    internal = [line for line in _errors(proc.stderr) + log.splitlines() if "internal error" in line or "XX000" in line]
    overdue = [line for line in log.splitlines() if "duration: " in line]
    # a value compared under another type's collation (functions.register's fallback): SQL
    # that let a COLLATE reach a comparison or a sort of another type (a CASE WHEN's
    # comparison made SQLite compare the CASE's text results as intervals): a wrong answer
    miscollated = [line for line in log.splitlines() if "not in its stored form" in line]
    rate = _error_rate(proc.stderr)
    summary = (f"sqlsmith seed {SEED}, {QUERIES} queries in {took:.1f} s against pgsvc: error rate {rate}; "
               f"backend crashes {len(crashes)}, tracebacks {tracebacks}, internal errors {len(internal)}, "
               f"statements past their timeout {len(overdue)}, values under another type's collation "
               f"{len(miscollated)}")
    print("\n" + summary)
    assert crashes == [], summary + "\n" + "\n".join(crashes[:10])
    assert tracebacks == 0, summary + "\n" + log[log.find("Traceback"):][:4000]
    assert internal == [], summary + "\n" + "\n".join(internal[:20])
    assert overdue == [], summary + "\n" + "\n".join(overdue[:10])
    assert miscollated == [], summary + "\n" + "\n".join(miscollated[:10])
    assert rate is not None


def test_sqlsmith_error_rate_beside_postgresql(fuzz_server, pg15):
    """The same seed and count against PostgreSQL 15 (its error rate is the yardstick for
    how much of what sqlsmith generates pgsvc answers); run by `make fuzz`."""
    if not COMPARE:
        pytest.skip("the side-by-side error rate is make fuzz's (PGSVC_SQLSMITH_COMPARE=1)")
    sqlsmith = require_tool("sqlsmith")
    pg15.psql(SCHEMA)
    proc, took = _run_sqlsmith(sqlsmith, f"host=127.0.0.1 port={pg15.port} user=postgres dbname=postgres "
                                         f"{_options()}")
    rate = _error_rate(proc.stderr)
    if rate is None:
        cannot_run(f"sqlsmith gave no error rate against PostgreSQL 15:\n{proc.stderr[-2000:]}")
    print(f"\nsqlsmith seed {SEED}, {QUERIES} queries in {took:.1f} s against PostgreSQL 15: error rate {rate}")
    print("PostgreSQL 15's most frequent errors:\n" + "\n".join(_errors(proc.stderr)[:15]))
