"""PostgreSQL 15 subscribes to pgsvc by logical replication (issue 16): a stock PostgreSQL 15
cluster runs CREATE SUBSCRIPTION against a pgsvc database and must end with the same rows.

The expected values are the publisher's own rows, read back from pgsvc at the end and
compared row for row with what the subscriber applied (COPY ... TO STDOUT of both, ordered by
the key). Every wait has a deadline; pgsvc is restarted (fast, and SIGKILL of the supervisor
and of the walsender) while a writer keeps committing.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time

import psutil
import pytest

from tests.conftest import require_engine, require_tool

SUB_TIMEOUT = 180  # seconds for a subscription to catch up


@pytest.fixture(scope="module")
def publisher(module_server_factory):
    require_engine()
    s = module_server_factory("-U", "postgres", "--auth-local", "trust", "--auth-host", "trust")
    s.superuser = "postgres"
    return s


_COUNTER = [0]


def _names(tag: str) -> tuple[str, str]:
    _COUNTER[0] += 1
    return f"ws_pub_{tag}", f"ws_sub_{tag}_{os.getpid()}_{_COUNTER[0]}"


def _q(result: subprocess.CompletedProcess) -> str:
    return result.stdout.strip()


def pg_value(pg15, sql: str, dbname: str) -> str:
    return _q(pg15.psql(sql, "-At", dbname=dbname))


def pgsvc_value(srv, sql: str, dbname: str) -> str:
    return _q(srv.psql(sql, "-At", dbname=dbname))


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except subprocess.CalledProcessError as e:  # a restart in progress
            last = e.stderr
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def table_text(run, table: str, key: str, dbname: str) -> str:
    return run(f"COPY (SELECT * FROM {table} ORDER BY {key}) TO STDOUT", dbname)


def setup_pair(publisher, pg15, tag: str, ddl: str, tables: list[str]) -> tuple[str, str]:
    """A pgsvc database with `ddl` and a publication of `tables`; a PostgreSQL 15 database with
    the same tables. Returns (pgsvc database, PostgreSQL database)."""
    pubdb, subdb = _names(tag)
    publisher.psql(f"DROP DATABASE IF EXISTS {pubdb}")
    publisher.psql(f"CREATE DATABASE {pubdb}")
    publisher.psql(ddl, dbname=pubdb)
    publisher.psql(f"CREATE PUBLICATION pub FOR TABLE {', '.join(tables)}", dbname=pubdb)
    pg15.psql(f"CREATE DATABASE {subdb}")
    pg15.psql(ddl, dbname=subdb)
    return pubdb, subdb


def subscribe(publisher, pg15, pubdb: str, subdb: str, name: str = "s") -> None:
    conninfo = f"host=127.0.0.1 port={publisher.port} dbname={pubdb} user=postgres"
    r = pg15.psql(f"CREATE SUBSCRIPTION {name} CONNECTION '{conninfo}' PUBLICATION pub", dbname=subdb, check=False,
                  timeout=60)
    assert r.returncode == 0, r.stderr


def synced(pg15, subdb: str) -> bool:
    return pg_value(pg15, "SELECT count(*) FILTER (WHERE srsubstate <> 'r') FROM pg_subscription_rel",
                    subdb) == "0"


def same_rows(publisher, pg15, pubdb, subdb, table, key) -> bool:
    mine = table_text(lambda s, d: pgsvc_value(publisher, s, d), table, key, pubdb)
    theirs = table_text(lambda s, d: pg_value(pg15, s, d), table, key, subdb)
    return mine == theirs


def drop_subscription(publisher, pg15, pubdb, subdb, name: str = "s") -> None:
    pg15.psql(f"DROP SUBSCRIPTION {name}", dbname=subdb, timeout=60)
    wait_for(lambda: pgsvc_value(publisher, "SELECT count(*) FROM pg_replication_slots "
                                            "WHERE database = current_database()", pubdb) == "0", 30,
             "DROP SUBSCRIPTION to drop the slot on pgsvc")


DDL = """
CREATE TABLE big (id int PRIMARY KEY, v text, n numeric(12,3), ts timestamptz, flag boolean);
CREATE TABLE small (k text PRIMARY KEY, payload jsonb, qty bigint);
"""


def test_initial_copy_stream_and_drop(publisher, pg15):
    pubdb, subdb = setup_pair(publisher, pg15, "copy", DDL, ["big", "small"])
    publisher.psql("INSERT INTO big SELECT g, 'row ' || g, g * 1.5, timestamptz '2024-01-01 00:00:00+00' "
                   "+ g * interval '1 second', g % 2 = 0 FROM generate_series(1, 100000) g", dbname=pubdb)
    publisher.psql("INSERT INTO small VALUES ('a', '{\"x\": 1}', 1), ('b', NULL, 2), ('c', '[1,2]', 3)",
                   dbname=pubdb)
    subscribe(publisher, pg15, pubdb, subdb)
    wait_for(lambda: synced(pg15, subdb), SUB_TIMEOUT, "the initial copy")
    assert pg_value(pg15, "SELECT count(*) FROM big", subdb) == "100000"
    assert same_rows(publisher, pg15, pubdb, subdb, "big", "id")
    assert same_rows(publisher, pg15, pubdb, subdb, "small", "k")
    slots = pgsvc_value(publisher, "SELECT slot_name, plugin, slot_type, database, active "
                                   "FROM pg_replication_slots", pubdb)
    assert slots == f"s|pgoutput|logical|{pubdb}|t"

    # a mixed transaction arrives whole and in order
    publisher.psql("BEGIN; INSERT INTO big VALUES (100001, 'new', 1, now(), true); "
                   "UPDATE big SET v = 'changed' WHERE id <= 10; DELETE FROM big WHERE id BETWEEN 11 AND 20; "
                   "UPDATE big SET id = 200000 WHERE id = 21; TRUNCATE small; "
                   "INSERT INTO small VALUES ('after-truncate', '{}', 9); COMMIT", dbname=pubdb)
    # a rolled-back transaction never does
    publisher.psql("BEGIN; INSERT INTO small VALUES ('rolled-back', NULL, 0); ROLLBACK", dbname=pubdb)
    publisher.psql("INSERT INTO small VALUES ('marker', NULL, 1)", dbname=pubdb)
    wait_for(lambda: pg_value(pg15, "SELECT count(*) FROM small WHERE k = 'marker'", subdb) == "1", 60,
             "the marker row")
    assert pg_value(pg15, "SELECT string_agg(k, ',' ORDER BY k) FROM small", subdb) == "after-truncate,marker"
    assert same_rows(publisher, pg15, pubdb, subdb, "big", "id")
    assert pg_value(pg15, "SELECT count(*) FROM big WHERE v = 'changed'", subdb) == "10"
    stat = pgsvc_value(publisher, "SELECT state, sent_lsn IS NOT NULL FROM pg_stat_replication", pubdb)
    assert stat.startswith("streaming|t") or stat.startswith("catchup|t")

    drop_subscription(publisher, pg15, pubdb, subdb)


class Writer(threading.Thread):
    """Commits one row per transaction into `big` until stopped, retrying across restarts."""

    def __init__(self, publisher, pubdb: str) -> None:
        super().__init__(daemon=True)
        self.publisher, self.pubdb = publisher, pubdb
        self.stop_flag = threading.Event()
        self.next_id = 1_000_000
        self.committed = 0

    def run(self) -> None:
        deadline = time.monotonic() + 300
        while not self.stop_flag.is_set() and time.monotonic() < deadline:
            i = self.next_id
            # one transaction, two tables: `journal` has no key on either side, so a row
            # applied twice or lost shows in its count
            r = self.publisher.psql(f"INSERT INTO big VALUES ({i}, 'w{i}', {i}, now(), true) "
                                    f"ON CONFLICT (id) DO NOTHING; INSERT INTO journal VALUES ({i}, now())",
                                    dbname=self.pubdb, check=False, timeout=30)
            if r.returncode == 0:
                self.next_id += 1
                self.committed += 1
            else:
                time.sleep(0.2)


def _walsender_pids(publisher) -> list[int]:
    out = []
    for child in publisher.children():
        try:
            if "walsender" in " ".join(child.cmdline()):
                out.append(child.pid)
        except psutil.Error:
            pass
    return out


def test_restarts_while_writing(publisher, pg15):
    pubdb, subdb = setup_pair(publisher, pg15, "restart", DDL + "CREATE TABLE journal (n int, at timestamptz);",
                              ["big", "small", "journal"])
    publisher.psql("INSERT INTO big SELECT g, 'r' || g, g, now(), false FROM generate_series(1, 20000) g",
                   dbname=pubdb)
    writer = Writer(publisher, pubdb)
    writer.start()  # the initial copy runs while writes go on: copy and stream must meet exactly
    try:
        wait_for(lambda: writer.committed >= 5, 60, "the writer to commit")
        subscribe(publisher, pg15, pubdb, subdb)
        wait_for(lambda: synced(pg15, subdb), SUB_TIMEOUT, "the initial copy")
        wait_for(lambda: writer.committed >= 20, 60, "the writer to commit")
        # fast shutdown and start again while the subscriber stays connected
        publisher.stop(signal.SIGINT)
        publisher.start()
        wait_for(lambda: writer.committed >= 60, 60, "writes after the fast restart")
        wait_for(lambda: _walsender_pids(publisher), 60, "the subscriber to reconnect")
        # smart shutdown ends once only walsenders are left (they do not hold it up)
        publisher.proc.send_signal(signal.SIGTERM)
        assert publisher.proc.wait(30) == 0
        publisher.start()
        wait_for(lambda: writer.committed >= 80, 60, "writes after the smart restart")
        # SIGKILL of the supervisor and of the walsender backend
        victims = wait_for(lambda: _walsender_pids(publisher), 60, "the subscriber to reconnect")
        os.kill(publisher.pid, signal.SIGKILL)
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        publisher.proc.wait(10)
        # the other backends notice their supervisor is gone and end (as PostgreSQL's do)
        publisher.start()
        wait_for(lambda: writer.committed >= 100, 90, "writes after the crash")
    finally:
        writer.stop_flag.set()
        writer.join(60)
    wait_for(lambda: same_rows(publisher, pg15, pubdb, subdb, "big", "id"), SUB_TIMEOUT,
             "the subscriber to match the publisher row for row")
    wait_for(lambda: same_rows(publisher, pg15, pubdb, subdb, "journal", "n, at"), SUB_TIMEOUT,
             "the keyless journal to match (nothing twice, nothing lost)")
    count = int(pgsvc_value(publisher, "SELECT count(*) FROM big", pubdb))
    assert count >= 20000 + 100
    assert pg_value(pg15, "SELECT count(*) FROM big", subdb) == str(count)
    drop_subscription(publisher, pg15, pubdb, subdb)


def test_pg_recvlogical_receives_the_stream(publisher, tmp_path):
    recvlogical = _pg15_tool("pg_recvlogical")
    pubdb, _ = _names("recv")
    publisher.psql(f"CREATE DATABASE {pubdb}")
    publisher.psql("CREATE TABLE t (id int PRIMARY KEY, v text); CREATE PUBLICATION pub FOR TABLE t", dbname=pubdb)
    common = [recvlogical, "-h", "127.0.0.1", "-p", str(publisher.port), "-U", "postgres", "-d", pubdb,
              "-S", "rslot"]
    subprocess.run(common + ["--create-slot", "-P", "pgoutput"], check=True, capture_output=True, timeout=30)
    assert pgsvc_value(publisher, "SELECT slot_name FROM pg_replication_slots", pubdb) == "rslot"
    out = tmp_path / "stream.bin"
    proc = subprocess.Popen(common + ["--start", "-o", "proto_version=1", "-o", "publication_names=pub",
                                      "-f", str(out), "-F", "1", "-s", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        publisher.psql("INSERT INTO t VALUES (1, 'hello-from-pgsvc'), (2, 'second')", dbname=pubdb)
        publisher.psql("BEGIN; INSERT INTO t VALUES (3, 'never-sent'); ROLLBACK", dbname=pubdb)
        publisher.psql("UPDATE t SET v = 'updated-row' WHERE id = 2; DELETE FROM t WHERE id = 1", dbname=pubdb)
        wait_for(lambda: out.exists() and b"updated-row" in out.read_bytes(), 30, "pg_recvlogical's output")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    data = out.read_bytes()
    assert b"hello-from-pgsvc" in data and b"never-sent" not in data
    assert data.count(b"B") >= 2 and b"R" in data
    # the slot remembers what pg_recvlogical confirmed
    confirmed = pgsvc_value(publisher, "SELECT confirmed_flush_lsn FROM pg_replication_slots", pubdb)
    assert confirmed != "0/0"
    subprocess.run(common + ["--drop-slot"], check=True, capture_output=True, timeout=30)
    assert pgsvc_value(publisher, "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()",
                       pubdb) == "0"


def _pg15_tool(name: str) -> str:
    path = f"/usr/lib/postgresql/15/bin/{name}"
    if os.path.exists(path):
        return path
    return require_tool(name)


# ------------------------------------------------------------------ the commands, side by side
@pytest.fixture(scope="module")
def pg15_logical():
    """A PostgreSQL 15 cluster with wal_level=logical (the shared one runs at replica, where
    every logical slot command fails for that reason), for the commands' answers; through
    the broker where the suite runs in a tree without PostgreSQL 15 (make test-py313)."""
    from tests.conftest import Postgres
    pg = Postgres(settings=("wal_level=logical",))
    yield pg.port
    pg.stop()


def _replication_psql(port: int, dbname: str, *commands: str, script: str | None = None) -> tuple[str, str]:
    """Commands on one replication=database connection (psql, errors with their SQLSTATE);
    or a psql script (with backslash commands) read from its standard input."""
    args = [require_tool("psql"), "-X", "-At", "-v", "VERBOSITY=verbose",
            f"host=127.0.0.1 port={port} user=postgres dbname={dbname} replication=database"]
    for c in commands:
        args += ["-c", c]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60, input=script)
    errors = "\n".join(line for line in r.stderr.splitlines() if line.startswith("ERROR:"))
    return r.stdout, errors


SLOT_CASES = [
    ("CREATE_REPLICATION_SLOT ws_dup LOGICAL pgoutput (SNAPSHOT 'nothing')",
     "CREATE_REPLICATION_SLOT ws_dup LOGICAL pgoutput (SNAPSHOT 'nothing')"),
    ("CREATE_REPLICATION_SLOT ws_nop LOGICAL nosuchplugin (SNAPSHOT 'nothing')",),
    ('CREATE_REPLICATION_SLOT "Bad" LOGICAL pgoutput',),
    ("DROP_REPLICATION_SLOT ws_nosuch",),
    ("CREATE_REPLICATION_SLOT ws_use LOGICAL pgoutput (SNAPSHOT 'use')",),
    ("BEGIN", "CREATE_REPLICATION_SLOT ws_use LOGICAL pgoutput (SNAPSHOT 'use')", "ROLLBACK"),
    ("BEGIN ISOLATION LEVEL REPEATABLE READ", "CREATE_REPLICATION_SLOT ws_use LOGICAL pgoutput USE_SNAPSHOT",
     "ROLLBACK"),
    ("BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ", "SELECT 1",
     "CREATE_REPLICATION_SLOT ws_use LOGICAL pgoutput (SNAPSHOT 'use')", "ROLLBACK"),
    ("BEGIN", "CREATE_REPLICATION_SLOT ws_exp LOGICAL pgoutput (SNAPSHOT 'export')", "ROLLBACK"),
    ("READ_REPLICATION_SLOT ws_dup",),
    ("READ_REPLICATION_SLOT ws_nosuch",),
    ("START_REPLICATION SLOT ws_nosuch LOGICAL 0/0 (proto_version '1', publication_names 'p')",),
    ("START_REPLICATION SLOT ws_dup LOGICAL 0/0 (proto_version '9', publication_names 'p')",),
    ("START_REPLICATION SLOT ws_dup LOGICAL 0/0 (proto_version '1')",),
    ("START_REPLICATION SLOT ws_dup LOGICAL 0/0 (proto_version '1', publication_names 'p', bogus 'x')",),
    ("BEGIN", "START_REPLICATION SLOT ws_dup LOGICAL 0/0 (proto_version '1', publication_names 'p')", "ROLLBACK"),
    ("DROP_REPLICATION_SLOT ws_dup",),
    ("DROP_REPLICATION_SLOT ws_dup",),
]


def test_slot_commands_as_postgres(publisher, pg15_logical):
    """Each case's rows (slot columns; positions left out) and errors (SQLSTATE and message)
    on pgsvc and on PostgreSQL 15 with wal_level=logical."""
    pubdb, _ = _names("cmds")
    publisher.psql(f"CREATE DATABASE {pubdb}")
    subprocess.run([require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(pg15_logical), "-U", "postgres",
                    "-c", f"CREATE DATABASE {pubdb}"], check=True, capture_output=True, timeout=60)
    for case in SLOT_CASES:
        mine_out, mine_err = _replication_psql(publisher.port, pubdb, *case)
        theirs_out, theirs_err = _replication_psql(pg15_logical, pubdb, *case)
        assert mine_err == theirs_err, case
        # a created slot's row: its name and plugin (the position and snapshot name differ)
        strip = (lambda out: [(f[0], f[3]) if len(f) == 4 else tuple(f)
                              for f in (line.split("|") for line in out.splitlines())])
        assert strip(mine_out) == strip(theirs_out), case


def test_slot_snapshots_and_terminate(publisher, tmp_path):
    """SNAPSHOT 'use': what the transaction reads is the data at the slot's consistent point
    (a row committed after it is not read, and is the first thing streamed); SNAPSHOT
    'export': another session imports it with SET TRANSACTION SNAPSHOT; pg_terminate_backend
    ends a walsender and frees its slot."""
    recvlogical = _pg15_tool("pg_recvlogical")
    pubdb, _ = _names("snap")
    publisher.psql(f"CREATE DATABASE {pubdb}")
    publisher.psql("CREATE TABLE t (id int PRIMARY KEY, v text); CREATE PUBLICATION pub FOR TABLE t; "
                   "INSERT INTO t VALUES (1, 'before')", dbname=pubdb)
    plain = f"{require_tool('psql')} -X -At -h 127.0.0.1 -p {publisher.port} -U postgres -d {pubdb}"
    out, err = _replication_psql(publisher.port, pubdb,
                                 "BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ",
                                 "CREATE_REPLICATION_SLOT snap_use LOGICAL pgoutput (SNAPSHOT 'use')",
                                 f"\\! {plain} -c \"INSERT INTO t VALUES (2, 'after-slot')\"",
                                 "SELECT string_agg(v, ',') FROM t", "COMMIT")
    assert err == ""
    assert "before" in out.splitlines() and "before,after-slot" not in out  # the later row is not seen
    stream = tmp_path / "use.bin"
    common = [recvlogical, "-h", "127.0.0.1", "-p", str(publisher.port), "-U", "postgres", "-d", pubdb]
    proc = subprocess.Popen(common + ["-S", "snap_use", "--start", "--no-loop", "-o", "proto_version=1",
                                      "-o", "publication_names=pub", "-f", str(stream), "-F", "1", "-s", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: stream.exists() and b"after-slot" in stream.read_bytes(), 30, "the row after the slot")
        assert b"before" not in stream.read_bytes()
        pid = int(wait_for(lambda: pgsvc_value(publisher, "SELECT pid FROM pg_stat_replication", pubdb), 30,
                           "pg_stat_replication's row"))
        assert pgsvc_value(publisher, "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'snap_use'",
                           pubdb) == str(pid)
        assert pgsvc_value(publisher, f"SELECT pg_terminate_backend({pid})", pubdb) == "t"
        proc.wait(30)
        assert proc.returncode != 0
        wait_for(lambda: pgsvc_value(publisher, "SELECT active FROM pg_replication_slots "
                                                "WHERE slot_name = 'snap_use'", pubdb) == "f", 30,
                 "the slot to be free")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    # an exported snapshot: imported by another session while the walsender keeps it, gone
    # at its next command
    out, err = _replication_psql(publisher.port, pubdb, script="\n".join([
        "CREATE_REPLICATION_SLOT snap_exp LOGICAL pgoutput (SNAPSHOT 'export') \\gset",
        "\\setenv SNAP :snapshot_name",
        f"\\! {plain} -c 'BEGIN ISOLATION LEVEL REPEATABLE READ' -c \"SET TRANSACTION SNAPSHOT '$SNAP'\" "
        f"-c 'SELECT count(*) FROM t' -c COMMIT",
        "IDENTIFY_SYSTEM;",
        f"\\! {plain} -c \"INSERT INTO t VALUES (3, 'after-export')\"", ""]))
    assert err == ""
    assert "2" in out.splitlines()  # the importer counted the two rows
    assert pgsvc_value(publisher, "SELECT count(*) FROM t", pubdb) == "3"
    for slot in ("snap_use", "snap_exp"):
        publisher.psql(f"SELECT pg_drop_replication_slot('{slot}')", dbname=pubdb)
    # a temporary slot lives as long as its session
    out, err = _replication_psql(publisher.port, pubdb,
                                 "CREATE_REPLICATION_SLOT snap_tmp TEMPORARY LOGICAL pgoutput (SNAPSHOT 'nothing')",
                                 f"\\! {plain} -c \"SELECT slot_name || ' ' || temporary || ' ' || active "
                                 f"FROM pg_replication_slots\"")
    assert err == "" and "snap_tmp true true" in out
    wait_for(lambda: pgsvc_value(publisher, "SELECT count(*) FROM pg_replication_slots "
                                            "WHERE slot_name = 'snap_tmp'", pubdb) == "0", 30,
             "the temporary slot to go with its session")


SQL_CASES = [
    "SELECT slot_name FROM pg_create_logical_replication_slot('ws_sql', 'pgoutput')",
    "SELECT slot_name, plugin, slot_type, database, temporary, active, active_pid, xmin, wal_status, "
    "safe_wal_size, two_phase, confirmed_flush_lsn IS NOT NULL FROM pg_replication_slots",
    "SELECT * FROM pg_create_logical_replication_slot('ws_sql', 'pgoutput')",
    "SELECT * FROM pg_create_logical_replication_slot('Ws', 'pgoutput')",
    "SELECT * FROM pg_create_logical_replication_slot('ws_other', 'no_such_plugin')",
    "SELECT left(pg_create_logical_replication_slot('ws_tmp', 'pgoutput', true)::text, 8)",
    "BEGIN; CREATE TABLE ws_written (a int); SELECT * FROM pg_create_logical_replication_slot('ws_w', 'pgoutput'); "
    "ROLLBACK",
    "SELECT pg_drop_replication_slot('ws_nosuch')",
    "SELECT * FROM pg_replication_slot_advance('ws_nosuch', '0/10')",
    "SELECT * FROM pg_replication_slot_advance('ws_sql', '0/0')",
    "SELECT slot_name FROM pg_replication_slot_advance('ws_sql', '0/10')",
    "SELECT pg_drop_replication_slot('ws_sql')",
    "SELECT count(*) FROM pg_replication_slots",
    "SELECT * FROM pg_replication_slots WHERE false",
    "SELECT * FROM pg_stat_replication WHERE false",
]


def test_slot_functions_and_views_as_postgres(publisher, pg15_logical):
    """pg_create_logical_replication_slot / pg_drop_replication_slot and the two views'
    columns, each statement's output and error on pgsvc and on PostgreSQL 15."""
    pubdb, _ = _names("sqlfn")
    publisher.psql(f"CREATE DATABASE {pubdb}")
    psql = require_tool("psql")
    subprocess.run([psql, "-X", "-h", "127.0.0.1", "-p", str(pg15_logical), "-U", "postgres",
                    "-c", f"CREATE DATABASE {pubdb}"], check=True, capture_output=True, timeout=60)

    def run(port, sql):
        r = subprocess.run([psql, "-X", "-A", "-v", "VERBOSITY=verbose", "-h", "127.0.0.1", "-p", str(port),
                            "-U", "postgres", "-d", pubdb, "-c", sql], capture_output=True, text=True, timeout=60)
        errors = "\n".join(line for line in r.stderr.splitlines() if line.startswith("ERROR:"))
        return r.stdout, re.sub(r"\b[0-9A-F]+/[0-9A-F]+\b", "X/X", errors)  # positions differ
    for sql in SQL_CASES:
        assert run(publisher.port, sql) == run(pg15_logical, sql), sql


TYPES_DDL = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE typed (id int PRIMARY KEY, n numeric, f float8, ts timestamptz, d date, iv interval, b bytea,
                    j jsonb, arr int[], txt text[], flag boolean, u uuid, m mood, p posint, ms mood[]);
"""


def test_values_and_subscription_options(publisher, pg15):
    """Column values of many types (user types too: enum, domain, enum array) arrive as the
    publisher prints them, with the
    subscription options a PostgreSQL 15 subscriber may ask for (binary, streaming, two_phase)."""
    pubdb, subdb = setup_pair(publisher, pg15, "types", TYPES_DDL, ["typed"])
    insert = ("INSERT INTO typed VALUES (1, 1.50, 0.1, '2024-01-01 10:00+02', '2024-02-29', '1 day 02:03:04', "
              "'\\x0102', '{\"a\": [1, 2]}', '{1,2,3}', '{\"x y\",NULL}', true, "
              "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'happy', 5, '{sad,ok}'), "
              "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)")
    publisher.psql(insert, dbname=pubdb)
    conninfo = f"host=127.0.0.1 port={publisher.port} dbname={pubdb} user=postgres"
    r = pg15.psql(f"CREATE SUBSCRIPTION s CONNECTION '{conninfo}' PUBLICATION pub "
                  f"WITH (binary = true, streaming = on, two_phase = true)", dbname=subdb, check=False, timeout=60)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: synced(pg15, subdb), SUB_TIMEOUT, "the initial copy")
    publisher.psql("INSERT INTO typed VALUES (3, -0.001, 'NaN', '2024-06-01 23:59:59.123456+00', 'infinity', "
                   "'-1 mon', '\\xff', '[null]', '{}', '{}', false, NULL, 'sad', 1, '{}'); "
                   "UPDATE typed SET n = 99, arr = '{7}', m = 'ok' WHERE id = 1; DELETE FROM typed WHERE id = 2",
                   dbname=pubdb)
    wait_for(lambda: same_rows(publisher, pg15, pubdb, subdb, "typed", "id"), 60, "the changes")
    assert pg_value(pg15, "SELECT count(*) FROM typed", subdb) == "2"
    drop_subscription(publisher, pg15, pubdb, subdb)


def _pgbench(publisher, dbname: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_pg15_tool("pgbench"), "-h", "127.0.0.1", "-p", str(publisher.port), "-U", "postgres",
                           *args, dbname], capture_output=True, text=True, timeout=180)


def _tps(output: str) -> float:
    line = next(x for x in output.splitlines() if x.startswith("tps = "))
    return float(line.split()[2])


def test_pgbench_published_with_a_subscriber(publisher, pg15):
    """pgbench tpcb-like on a published database with a PostgreSQL 15 subscriber streaming:
    no failed transaction, and the subscriber ends with the same balances and history. The
    TPS without and with the publication are printed (pytest -s) for the note."""
    pubdb, subdb = _names("bench")
    publisher.psql(f"CREATE DATABASE {pubdb}")
    r = _pgbench(publisher, pubdb, "-i", "-s", "1", "-q")
    assert r.returncode == 0, r.stderr
    plain = _pgbench(publisher, pubdb, "-c", "4", "-T", "8")
    assert plain.returncode == 0 and "number of failed transactions: 0 " in plain.stdout, plain.stdout + plain.stderr
    pg15.psql(f"CREATE DATABASE {subdb}")
    subprocess.run([_pg15_tool("pgbench"), "-h", "127.0.0.1", "-p", str(pg15.port), "-U", "postgres", "-i", "-I",
                    "dtp", subdb], check=True, capture_output=True, timeout=120)
    publisher.psql("CREATE PUBLICATION pub FOR ALL TABLES", dbname=pubdb)
    subscribe(publisher, pg15, pubdb, subdb)
    wait_for(lambda: synced(pg15, subdb), SUB_TIMEOUT, "the initial copy")
    published = _pgbench(publisher, pubdb, "-c", "4", "-T", "8")
    assert published.returncode == 0, published.stdout + published.stderr
    assert "number of failed transactions: 0 " in published.stdout, published.stdout
    print(f"\npgbench tpcb-like -c 4 -T 8 (scale 1): {_tps(plain.stdout):.0f} tps without a publication, "
          f"{_tps(published.stdout):.0f} tps published with a PostgreSQL 15 subscriber streaming")
    check = ("SELECT (SELECT sum(abalance) FROM pgbench_accounts), (SELECT sum(bbalance) FROM pgbench_branches), "
             "(SELECT sum(tbalance) FROM pgbench_tellers), (SELECT count(*) FROM pgbench_history)")
    wait_for(lambda: pgsvc_value(publisher, check, pubdb) == pg_value(pg15, check, subdb), SUB_TIMEOUT,
             "the subscriber to have every pgbench transaction")
    assert same_rows(publisher, pg15, pubdb, subdb, "pgbench_branches", "bid")
    drop_subscription(publisher, pg15, pubdb, subdb)


def test_drop_database_with_slots_as_postgres(publisher, pg15_logical):
    """DROP DATABASE of a database whose slot is in use: 55006 as PostgreSQL 15; once the slot
    is free, the database goes and its slot with it."""
    psql = require_tool("psql")
    dbname, _ = _names("dropdb")
    results = []
    for port in (publisher.port, pg15_logical):
        def run(sql, db="postgres", port=port):
            r = subprocess.run([psql, "-X", "-At", "-v", "VERBOSITY=verbose", "-h", "127.0.0.1", "-p", str(port),
                                "-U", "postgres", "-d", db, "-c", sql], capture_output=True, text=True, timeout=60)
            return r.stdout.strip(), "\n".join(x for x in r.stderr.splitlines() if x.startswith(("ERROR:", "DETAIL:")))
        run(f"CREATE DATABASE {dbname}")
        run("SELECT 1 FROM pg_create_logical_replication_slot('ws_dropdb', 'pgoutput')", dbname)
        proc = subprocess.Popen([_pg15_tool("pg_recvlogical"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                 "-d", dbname, "-S", "ws_dropdb", "--start", "--no-loop", "-o", "proto_version=1",
                                 "-o", "publication_names=nopub", "-f", "/dev/null"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: run("SELECT active FROM pg_replication_slots WHERE slot_name = 'ws_dropdb'")[0] == "t",
                     30, "the slot in use")
            busy = run(f"DROP DATABASE {dbname}")
        finally:
            proc.terminate()
            proc.wait(10)
        wait_for(lambda: run("SELECT active FROM pg_replication_slots WHERE slot_name = 'ws_dropdb'")[0] == "f",
                 30, "the slot to be free")
        results.append((busy, run(f"DROP DATABASE {dbname}"),
                        run("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'ws_dropdb'")))
    assert results[0] == results[1]
    assert "55006" in results[0][0][1] and results[0][2] == ("0", "")


def test_partitioned_table_published_via_root(publisher, pg15):
    """A partitioned table published WITH (publish_via_partition_root): the subscriber's plain
    table of the root's name gets the partitions' rows, copied and streamed (a row moving
    between partitions too)."""
    pubdb, subdb = _names("part")
    publisher.psql(f"CREATE DATABASE {pubdb}")
    publisher.psql("CREATE TABLE meas (id int, city text, PRIMARY KEY (id, city)) PARTITION BY LIST (city); "
                   "CREATE TABLE meas_a PARTITION OF meas FOR VALUES IN ('a'); "
                   "CREATE TABLE meas_b PARTITION OF meas FOR VALUES IN ('b'); "
                   "INSERT INTO meas VALUES (1, 'a'), (2, 'b'); "
                   "CREATE PUBLICATION pub FOR TABLE meas WITH (publish_via_partition_root = true)", dbname=pubdb)
    pg15.psql(f"CREATE DATABASE {subdb}")
    pg15.psql("CREATE TABLE meas (id int, city text, PRIMARY KEY (id, city))", dbname=subdb)
    subscribe(publisher, pg15, pubdb, subdb)
    wait_for(lambda: synced(pg15, subdb), SUB_TIMEOUT, "the initial copy")
    publisher.psql("INSERT INTO meas VALUES (3, 'a'), (4, 'b'); UPDATE meas SET id = 10 WHERE id = 1; "
                   "DELETE FROM meas WHERE id = 2; UPDATE meas SET city = 'b' WHERE id = 3", dbname=pubdb)
    wait_for(lambda: same_rows(publisher, pg15, pubdb, subdb, "meas", "id, city"), 60, "the changes")
    assert pg_value(pg15, "SELECT string_agg(id || city, ',' ORDER BY id) FROM meas", subdb) == "3b,4b,10a"
    drop_subscription(publisher, pg15, pubdb, subdb)
