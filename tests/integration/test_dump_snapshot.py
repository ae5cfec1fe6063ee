"""Exported snapshots (issue 13): pg_export_snapshot() and SET TRANSACTION SNAPSHOT, what
pg_dump -j's workers use to read exactly what its leader reads.

- The statements' refusals (isolation level, a query or savepoint first, an identifier
  that is malformed or names no snapshot, SET LOCAL, a subtransaction exporting) are
  PostgreSQL 15's: the same psql script runs on both servers and prints the same.
- The life of a snapshot, on both servers: an importer sees the exporter's state, and
  keeps seeing it after the exporter's transaction ends; the identifier then names nothing
  (22023); another database cannot import it (0A000). On pgsvc, where the exporter holds
  the database still, a writer waits meanwhile (lock_timeout ends its wait, 55P03) and
  goes through once the exporter ends.
- A snapshot file left by a dead exporter is invalid and removed.
- pg_dump -Fd -j 4 while another process keeps committing transactions that each insert a
  row into two tables (serial keys) and count it in a third: the dump, restored into
  PostgreSQL 15, holds one consistent state: the same count in all three tables, every
  sequence at its table's largest key, a state between the writer's first and last commit.
"""

from __future__ import annotations

import subprocess
import sys
import time

import psycopg
import pytest

from conftest import require_tool
from test_dump import Side, create_database, unique

ERRORS = r"""
\set ON_ERROR_STOP 0
CREATE TABLE t (x integer);
SET TRANSACTION SNAPSHOT 'ABC';
\echo :LAST_ERROR_SQLSTATE
BEGIN; SET TRANSACTION SNAPSHOT 'ABC';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT 'abc';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN ISOLATION LEVEL SERIALIZABLE; SET TRANSACTION SNAPSHOT '00000003-00000002-1';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1; SET TRANSACTION SNAPSHOT '00000003-00000002-1';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ; SAVEPOINT a; SET TRANSACTION SNAPSHOT '00000003-00000002-1';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ; SET LOCAL TRANSACTION SNAPSHOT 'A';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ; LOCK TABLE t IN ACCESS SHARE MODE; SET TRANSACTION SNAPSHOT 'AB';
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN; LOCK TABLE t IN ROW SHARE MODE NOWAIT; SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; COMMIT;
BEGIN; SAVEPOINT a; SELECT pg_export_snapshot();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT pg_export_snapshot() ~ '^[0-9A-F]{8}-[0-9A-F]{8}-1$' AS shaped;
BEGIN; SELECT a ~ '-1$' AND b ~ '-2$' AS numbered FROM (SELECT pg_export_snapshot() a, pg_export_snapshot() b) s;
COMMIT;
LOCK TABLE t;
\echo :LAST_ERROR_SQLSTATE
"""


@pytest.fixture(scope="module")
def srv(postgres_superuser_server):
    return postgres_superuser_server


def dsn(side: Side) -> str:
    return f"host={side.host} port={side.port} user={side.user} dbname={side.dbname}"


def test_refusals_are_postgres(srv, pg15):
    outs = []
    for port in (srv.port, pg15.port):
        side = create_database(Side(port, "postgres", "postgres"), unique("snaperr"))
        r = subprocess.run([require_tool("psql"), "-X", *side.conn_args()], input=ERRORS,
                           capture_output=True, text=True, timeout=60)
        outs.append((r.stdout, r.stderr.replace("psql:<stdin>", "")))
    assert outs[0] == outs[1]
    assert "invalid snapshot identifier" in outs[0][1]


def lifecycle(side: Side, other: Side) -> list:
    seen = []
    with psycopg.connect(dsn(side), autocommit=True) as setup:
        setup.execute("CREATE TABLE t (x integer); INSERT INTO t VALUES (1), (2)")
    a = psycopg.connect(dsn(side), autocommit=True)
    b = psycopg.connect(dsn(side), autocommit=True)
    try:
        a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        sid = a.execute("SELECT pg_export_snapshot()").fetchone()[0]
        b.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        b.execute(f"SET TRANSACTION SNAPSHOT '{sid}'")
        b.execute("LOCK TABLE t IN ACCESS SHARE MODE NOWAIT")
        seen.append(b.execute("SELECT count(*), sum(x) FROM t").fetchone())
        with psycopg.connect(dsn(other), autocommit=True) as elsewhere:
            elsewhere.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            try:
                elsewhere.execute(f"SET TRANSACTION SNAPSHOT '{sid}'")
            except psycopg.Error as err:
                seen.append((err.sqlstate, str(err).strip()))
        a.execute("COMMIT")
        with psycopg.connect(dsn(side), autocommit=True) as w:
            w.execute("INSERT INTO t VALUES (40)")
        seen.append(b.execute("SELECT count(*), sum(x) FROM t").fetchone())  # still the exported state
        b.execute("COMMIT")
        seen.append(b.execute("SELECT count(*), sum(x) FROM t").fetchone())
        b.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        try:
            b.execute(f"SET TRANSACTION SNAPSHOT '{sid}'")
        except psycopg.Error as err:
            seen.append((err.sqlstate, str(err).strip().replace(sid, "<id>")))
        b.execute("ROLLBACK")
    finally:
        a.close()
        b.close()
    return seen


def test_snapshot_life_as_postgres(srv, pg15):
    results = []
    for port in (srv.port, pg15.port):
        admin = Side(port, "postgres", "postgres")
        side, other = create_database(admin, unique("snap")), create_database(admin, unique("snapother"))
        results.append(lifecycle(side, other))
    assert results[0] == results[1]
    assert results[0][-1][0] == "22023"


def test_writer_waits_while_a_snapshot_is_exported(srv):
    """pgsvc keeps an exported snapshot true by letting nobody commit while it lives."""
    side = create_database(Side(srv.port, "postgres", "postgres"), unique("snapwait"))
    with psycopg.connect(dsn(side), autocommit=True) as a, psycopg.connect(dsn(side), autocommit=True) as w:
        a.execute("CREATE TABLE t (x integer)")
        a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        a.execute("SELECT pg_export_snapshot()")
        w.execute("SET lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            w.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(psycopg.errors.LockNotAvailable, match='could not obtain lock on relation "t"'):
            w.execute("BEGIN; LOCK TABLE t IN SHARE MODE NOWAIT")
        w.execute("ROLLBACK")
        a.execute("COMMIT")
        w.execute("INSERT INTO t VALUES (1)")
        assert a.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_snapshot_left_by_a_dead_exporter_is_invalid_and_removed(srv):
    """A snapshot file no backend holds (its exporter died) names no snapshot (22023) and
    the next export removes such files, as PostgreSQL empties pg_snapshots at start-up."""
    side = create_database(Side(srv.port, "postgres", "postgres"), unique("snapstale"))
    with psycopg.connect(dsn(side), autocommit=True) as a:
        a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        a.execute("SELECT pg_export_snapshot()")
        a.execute("COMMIT")
        directory = srv.datadir / "pg_snapshots"
        stale = [directory / "00000001-00000001-1", directory / "00000001-00000002-1"]
        for path in stale:
            path.write_text("pid:1\n")
        a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="invalid snapshot identifier"):
            a.execute("SET TRANSACTION SNAPSHOT '00000001-00000001-1'")
        a.execute("ROLLBACK")
        assert not stale[0].exists() and stale[1].exists()
        a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        sid = a.execute("SELECT pg_export_snapshot()").fetchone()[0]
        assert not stale[1].exists() and (directory / sid).exists()
        a.execute("COMMIT")
        assert not (directory / sid).exists()


WRITER = r"""
import os, sys, time, psycopg
dsn, limit, seconds, stop_file = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
stop = time.monotonic() + seconds
n = 0
with psycopg.connect(dsn, autocommit=True) as c:
    while n < limit and time.monotonic() < stop and not os.path.exists(stop_file):
        with c.transaction():
            c.execute("INSERT INTO ledger_a (v) VALUES (%s)", (n,))
            c.execute("INSERT INTO ledger_b (v) VALUES (%s)", (n,))
            c.execute("UPDATE ledger_total SET n = n + 1")
        n += 1
        if n == 20:
            print("started", flush=True)
print(n, flush=True)
"""

CONSISTENT = """
SELECT (SELECT count(*) FROM ledger_a) AS a, (SELECT count(*) FROM ledger_b) AS b,
       (SELECT n FROM ledger_total) AS total,
       (SELECT coalesce(max(id), 0) FROM ledger_a) = (SELECT last_value FROM ledger_a_id_seq) AS seq_a,
       (SELECT coalesce(max(id), 0) FROM ledger_b) = (SELECT last_value FROM ledger_b_id_seq) AS seq_b
"""


def test_parallel_dump_with_a_concurrent_writer_is_consistent(srv, pg15, tmp_path):
    side = create_database(Side(srv.port, "postgres", "postgres"), unique("snapwrite"))
    side.run("""
CREATE TABLE ledger_a (id serial PRIMARY KEY, v integer);
CREATE TABLE ledger_b (id bigserial PRIMARY KEY, v integer);
CREATE TABLE ledger_total (n integer);
CREATE TABLE bulk1 AS SELECT g AS k, 'row ' || g AS t FROM generate_series(1, 20000) g;
CREATE TABLE bulk2 AS SELECT g AS k, g * 2 AS d FROM generate_series(1, 20000) g;
INSERT INTO ledger_total VALUES (0);
""")
    stop_file = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, dsn(side), "100000", "60", str(stop_file)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "started"
        states = []
        for jobs in (2, 4):
            path = tmp_path / f"j{jobs}"
            r = subprocess.run([require_tool("pg_dump"), "-h", side.host, "-p", str(side.port), "-U", "postgres",
                                "-Fd", "-j", str(jobs), "-f", str(path), side.dbname],
                               capture_output=True, text=True, timeout=300)
            assert r.returncode == 0, r.stderr
            target = create_database(Side(pg15.port, "postgres", "postgres"), unique("snaprestored"))
            r = subprocess.run([require_tool("pg_restore"), "--exit-on-error", "-j", str(jobs), "-h", "127.0.0.1",
                                "-p", str(pg15.port), "-U", "postgres", "-d", target.dbname, str(path)],
                               capture_output=True, text=True, timeout=300)
            assert r.returncode == 0, r.stderr
            a, b, total, seq_a, seq_b = target.out(CONSISTENT, args=("-A", "-t")).strip().split("|")
            assert a == b == total and seq_a == seq_b == "t", (a, b, total, seq_a, seq_b)
            assert target.out("SELECT count(*), sum(k) FROM bulk1", "SELECT count(*), sum(d) FROM bulk2") == \
                side.out("SELECT count(*), sum(k) FROM bulk1", "SELECT count(*), sum(d) FROM bulk2")
            states.append(int(total))
            time.sleep(0.3)  # the writer commits between the dumps
    finally:
        stop_file.write_text("")
        try:
            written = writer.communicate(timeout=60)[0].split()
        finally:
            if writer.poll() is None:
                writer.kill()
    assert writer.returncode == 0
    assert 20 <= states[0] < states[1] <= int(written[-1]), (states, written)
