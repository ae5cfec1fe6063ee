"""The logical change log (pgsvc.sql.catalog.changelog) with a real server and psql: what
the walsender will read (pgsvc.sql.catalog.changelog_read, run as the server's account on
the database file) after committed, rolled-back and savepoint-rolled-back transactions,
changes made by PL/pgSQL triggers and functions, COPY FROM, ON CONFLICT, foreign-key
cascades, DO blocks (pgsvc refuses writable CTEs with 0A000), TRUNCATE, REPLICA IDENTITY FULL / key changes; the LSN only grows
(across a restart and compaction); a table no publication covers records nothing. The
values' text forms are compared with what PostgreSQL 15 prints for the same values.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, require_engine, require_tool

READER = r"""
import json, sys
from pgsvc.sqlite import sqlite3
from pgsvc.sql.catalog import changelog as CL, changelog_read as R
from pgsvc.sql.exec.changelog_compact import compact
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "compact":
    print(json.dumps({"deleted": compact(conn, int(sys.argv[3]))}))
    sys.exit(0)
if sys.argv[2] == "triggers":
    print(json.dumps([r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'pgsvc$cl%' ORDER BY 1")]))
    sys.exit(0)
out = {"current": CL.current_lsn(conn), "rows": conn.execute('SELECT count(*) FROM "pgsvc$changelog"').fetchone()[0],
       "txns": []}
for t in R.read_transactions(conn, int(sys.argv[2]), limit=10000):
    out["txns"].append({"xid": t.xid, "first": t.first_lsn, "commit": t.commit_lsn, "end": t.end_lsn,
                        "changes": [[c.kind, c.lsn, c.rel.name if c.rel else [r.name for r in c.rels],
                                     c.new, c.old_kind, c.old, c.cascade, c.restart_seqs] for c in t.changes]})
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def srv(module_server_factory):
    require_engine()
    return module_server_factory()


def db_file(srv, dbname: str) -> str:
    oid = srv.psql(f"SELECT oid FROM pg_database WHERE datname = '{dbname}'", "-At").stdout.strip()
    return str(srv.datadir / "base" / f"{oid}.db")


def reader(srv, dbname: str, *args) -> dict | list:
    """Run READER as the server's account (the database file is its)."""
    cmd = [sys.executable, "-c", READER, db_file(srv, dbname), *map(str, args)]
    if srv.account and os.geteuid() == 0:
        cmd = ["runuser", "-u", srv.account, "--"] + cmd
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60, check=True)
    return json.loads(res.stdout)


def changes(srv, dbname: str, after: int = 0) -> list[list]:
    """Each transaction as its list of (kind, relation, new, old_kind, old)."""
    return [[(c[0], c[2], c[3], c[4], c[5]) for c in t["changes"]] for t in reader(srv, dbname, after)["txns"]]


def fresh_db(srv, name: str, setup: str) -> int:
    srv.psql(f"DROP DATABASE IF EXISTS {name}")
    srv.psql(f"CREATE DATABASE {name}")
    srv.psql(setup, dbname=name)
    return reader(srv, name, 0)["current"]


def test_committed_rolled_back_and_savepoints(srv):
    start = fresh_db(srv, "cl_basic", "CREATE TABLE t (a int PRIMARY KEY, b text); CREATE PUBLICATION p FOR TABLE t")
    srv.psql("INSERT INTO t VALUES (1, 'one'), (2, 'two')", dbname="cl_basic")
    srv.psql("BEGIN; INSERT INTO t VALUES (3, 'gone'); ROLLBACK", dbname="cl_basic")
    srv.psql("BEGIN; INSERT INTO t VALUES (4, 'kept'); SAVEPOINT s; INSERT INTO t VALUES (5, 'undone'); "
             "UPDATE t SET b = 'undone too' WHERE a = 1; ROLLBACK TO s; UPDATE t SET b = 'uno' WHERE a = 1; COMMIT",
             dbname="cl_basic")
    r = srv.psql("BEGIN; INSERT INTO t VALUES (6, 'x'); SELECT 1/0; COMMIT", dbname="cl_basic", check=False)
    assert "division by zero" in r.stderr
    srv.psql("UPDATE t SET a = 20 WHERE a = 2", dbname="cl_basic")
    srv.psql("DELETE FROM t WHERE a = 4", dbname="cl_basic")
    got = changes(srv, "cl_basic", start)
    assert got == [
        [("I", "t", ["1", "one"], None, None), ("I", "t", ["2", "two"], None, None)],
        [("I", "t", ["4", "kept"], None, None), ("U", "t", ["1", "uno"], None, None)],
        [("U", "t", ["20", "two"], "K", ["2", None])],
        [("D", "t", None, "K", ["4", None])],
    ]
    log = reader(srv, "cl_basic", start)
    lsns = [(t["first"], t["commit"], t["end"]) for t in log["txns"]]
    assert all(f < c < e for f, c, e in lsns)
    assert all(lsns[i][2] < lsns[i + 1][1] for i in range(len(lsns) - 1))  # commit order, growing
    assert log["current"] == lsns[-1][2]
    assert len({t["xid"] for t in log["txns"]}) == len(lsns)
    # a start point at a transaction's end LSN skips exactly that transaction and those before
    assert changes(srv, "cl_basic", lsns[1][2]) == got[2:]


def test_every_write_path_is_recorded(srv):
    start = fresh_db(srv, "cl_paths", """
        CREATE TABLE parent (id int PRIMARY KEY, v text);
        CREATE TABLE child (id int PRIMARY KEY, pid int REFERENCES parent ON DELETE CASCADE);
        CREATE TABLE audit (n serial PRIMARY KEY, what text);
        CREATE FUNCTION audit_it() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO audit (what) VALUES (TG_OP || ' ' || NEW.id); RETURN NEW; END $$;
        CREATE TRIGGER parent_audit AFTER INSERT ON parent FOR EACH ROW EXECUTE FUNCTION audit_it();
        CREATE PUBLICATION p FOR ALL TABLES;
    """)
    srv.psql("INSERT INTO parent VALUES (1, 'a')", dbname="cl_paths")  # + the trigger's audit row
    subprocess.run([require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(srv.port), "-U", srv.superuser, "-d", "cl_paths",
                    "-v", "ON_ERROR_STOP=1", "-c", "COPY child FROM STDIN"], input="10\t1\n11\t1\n",
                   text=True, check=True, capture_output=True, timeout=30)
    srv.psql("INSERT INTO parent VALUES (1, 'b') ON CONFLICT (id) DO UPDATE SET v = excluded.v", dbname="cl_paths")
    srv.psql("DO $$ BEGIN UPDATE parent SET v = 'c' WHERE id = 1; END $$", dbname="cl_paths")
    srv.psql("CREATE FUNCTION move_audit() RETURNS int LANGUAGE plpgsql AS $$ BEGIN "
             "INSERT INTO audit (what) SELECT 'moved ' || what FROM audit WHERE n = 1; "
             "DELETE FROM audit WHERE n = 1; RETURN 1; END $$; SELECT move_audit()", dbname="cl_paths")
    srv.psql("DELETE FROM parent WHERE id = 1", dbname="cl_paths")  # cascades to child
    got = changes(srv, "cl_paths", start)
    assert got == [
        [("I", "parent", ["1", "a"], None, None), ("I", "audit", ["1", "INSERT 1"], None, None)],
        [("I", "child", ["10", "1"], None, None), ("I", "child", ["11", "1"], None, None)],
        [("U", "parent", ["1", "b"], None, None)],
        [("U", "parent", ["1", "c"], None, None)],
        [("I", "audit", ["2", "moved INSERT 1"], None, None), ("D", "audit", None, "K", ["1", None])],
        [("D", "child", None, "K", ["10", None]), ("D", "child", None, "K", ["11", None]),
         ("D", "parent", None, "K", ["1", None])],
    ]


def test_truncate_and_replica_identity(srv):
    start = fresh_db(srv, "cl_trunc", """
        CREATE TABLE a (id int PRIMARY KEY, v text);
        CREATE TABLE b (id int PRIMARY KEY, aid int REFERENCES a);
        CREATE TABLE f (id int, v text);
        ALTER TABLE f REPLICA IDENTITY FULL;
        CREATE TABLE other (id int);
        CREATE PUBLICATION p FOR TABLE a, b, f WITH (publish = 'insert, update, delete, truncate');
        INSERT INTO a VALUES (1, 'x'); INSERT INTO b VALUES (1, 1); INSERT INTO f VALUES (1, 'old'), (1, NULL);
        INSERT INTO other VALUES (1);
    """)
    srv.psql("UPDATE f SET v = 'new' WHERE v = 'old'", dbname="cl_trunc")
    srv.psql("DELETE FROM f WHERE v IS NULL", dbname="cl_trunc")
    srv.psql("TRUNCATE a, other CASCADE", dbname="cl_trunc")
    srv.psql("TRUNCATE f RESTART IDENTITY", dbname="cl_trunc")
    got = reader(srv, "cl_trunc", start)["txns"]
    assert [c[:6] for t in got for c in t["changes"]] == [
        ["U", got[0]["changes"][0][1], "f", ["1", "new"], "O", ["1", "old"]],
        ["D", got[1]["changes"][0][1], "f", None, "O", ["1", None]],
        ["T", got[2]["changes"][0][1], ["a", "b"], None, None, None],
        ["T", got[3]["changes"][0][1], ["f"], None, None, None],
    ]
    assert got[2]["changes"][0][6:] == [True, False]  # CASCADE, CONTINUE IDENTITY
    assert got[3]["changes"][0][6:] == [False, True]  # RESTRICT, RESTART IDENTITY
    assert srv.psql("SELECT count(*) FROM a", "-At", dbname="cl_trunc").stdout.strip() == "0"


def test_values_print_as_postgresql_prints_them(srv, pg15):
    cols = ("i2 int2, i8 int8, n numeric(10,3), f4 float4, f8 float8, b bool, t text, vc varchar(5), "
            "d date, ts timestamp, tz timestamptz, iv interval, u uuid, by bytea, j jsonb, arr int[], tm time")
    values = ("(-3, 9007199254740993, 12.5, 0.1, 0.30000000000000004, true, 'ünï ''q''', 'ab', '2024-02-29', "
              "'2024-01-02 03:04:05.123456', '2024-01-02 03:04:05+02', '1 day 02:03:04', "
              "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff', '{\"b\": 1, \"a\": [1, 2]}', '{1,NULL,3}', '10:11:12'),"
              "(NULL, NULL, NULL, 'NaN', '-Infinity', false, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
              "'{}', NULL)")
    start = fresh_db(srv, "cl_values", f"CREATE TABLE v (k serial PRIMARY KEY, {cols}); CREATE PUBLICATION p FOR TABLE v")
    srv.psql(f"INSERT INTO v ({', '.join(c.split()[0] for c in cols.split(', '))}) VALUES {values}", dbname="cl_values")
    got = [c[2][1:] for c in changes(srv, "cl_values", start)[0]]
    pg15.psql("DROP TABLE IF EXISTS cl_values_v")
    pg15.psql(f"CREATE TABLE cl_values_v ({cols})")
    pg15.psql(f"INSERT INTO cl_values_v VALUES {values}")
    # what PostgreSQL's walsender prints for a logical subscriber (ISO, UTC, extra_float_digits 3)
    out = pg15.psql("COPY cl_values_v TO STDOUT", env={"PGOPTIONS": "-c TimeZone=UTC -c extra_float_digits=3 "
                                                                    "-c DateStyle=ISO,MDY"}).stdout
    pg15.psql("DROP TABLE cl_values_v")
    expected = [[None if f == "\\N" else f.replace("\\\\", "\\") for f in line.split("\t")]
                for line in out.splitlines()]
    assert got == expected


def test_lsn_grows_across_restart_and_compaction(server_factory):
    require_engine()
    s = server_factory()
    start = fresh_db(s, "cl_lsn", "CREATE TABLE t (a int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE t")
    s.psql("INSERT INTO t VALUES (1)", dbname="cl_lsn")
    before = reader(s, "cl_lsn", start)
    assert before["current"] > start
    s.stop()
    s.start()
    assert reader(s, "cl_lsn", 0)["current"] == before["current"]
    s.psql("INSERT INTO t VALUES (2)", dbname="cl_lsn")
    after = reader(s, "cl_lsn", before["current"])
    assert len(after["txns"]) == 1 and after["txns"][0]["commit"] > before["current"]
    deleted = reader(s, "cl_lsn", "compact", after["current"])["deleted"]
    assert deleted == 1  # the newest transaction stays (the next change's seq follows it)
    assert reader(s, "cl_lsn", 0)["rows"] == 1
    assert reader(s, "cl_lsn", 0)["current"] == after["current"]  # the position stays after compaction
    s.stop()
    s.start()
    s.psql("INSERT INTO t VALUES (3)", dbname="cl_lsn")
    assert reader(s, "cl_lsn", "compact", reader(s, "cl_lsn", 0)["current"])["deleted"] == 1
    last = reader(s, "cl_lsn", 0)
    assert [c[3] for t in last["txns"] for c in t["changes"]] == [["3"]]
    assert last["txns"][0]["commit"] > after["current"]


def test_unpublished_tables_record_nothing(srv):
    fresh_db(srv, "cl_none", "CREATE TABLE t (a int); CREATE TABLE u (a int); CREATE PUBLICATION p FOR TABLE u "
                             "WITH (publish = 'insert')")
    assert reader(srv, "cl_none", "triggers") == [f"pgsvc$cl_{oid}_I" for oid in [
        int(srv.psql("SELECT 'u'::regclass::oid", "-At", dbname="cl_none").stdout)]]
    before = reader(srv, "cl_none", 0)
    srv.psql("INSERT INTO t SELECT generate_series(1, 100); UPDATE t SET a = a + 1; DELETE FROM t; "
             "INSERT INTO u VALUES (1); UPDATE u SET a = 2; DELETE FROM u", dbname="cl_none")
    after = reader(srv, "cl_none", before["current"])
    assert [c[0] for t in after["txns"] for c in t["changes"]] == ["I"]
    srv.psql("DROP PUBLICATION p", dbname="cl_none")
    assert reader(srv, "cl_none", "triggers") == []
    srv.psql("INSERT INTO u VALUES (5)", dbname="cl_none")
    assert reader(srv, "cl_none", 0)["current"] == after["current"]


def test_partitions_of_a_published_partitioned_table(srv):
    """A publication of a partitioned table covers its partitions, later ones too: their
    rows are recorded as the partition's (publish_via_partition_root = false), a row moving
    between partitions as a delete and an insert (as PostgreSQL decodes it)."""
    start = fresh_db(srv, "cl_parts", """
        CREATE TABLE m (k int PRIMARY KEY, v text) PARTITION BY RANGE (k);
        CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (100);
        CREATE PUBLICATION p FOR TABLE m;
        CREATE TABLE m2 PARTITION OF m FOR VALUES FROM (100) TO (200);
    """)
    srv.psql("INSERT INTO m VALUES (1, 'a'), (150, 'b')", dbname="cl_parts")
    srv.psql("UPDATE m SET k = 2 WHERE k = 150", dbname="cl_parts")
    assert changes(srv, "cl_parts", start) == [
        [("I", "m1", ["1", "a"], None, None), ("I", "m2", ["150", "b"], None, None)],
        [("D", "m2", None, "K", ["150", None]), ("I", "m1", ["2", "b"], None, None)],
    ]


def test_partition_changes_as_the_root_with_publish_via_partition_root(srv):
    """publication_roots + read_transactions(roots=...): a partition's changes come as its
    root table's (its Relation, values by column name), a TRUNCATE of the root as the root."""
    start = fresh_db(srv, "cl_root", """
        CREATE TABLE r (k int PRIMARY KEY, v text) PARTITION BY LIST (k);
        CREATE TABLE r1 PARTITION OF r FOR VALUES IN (1, 2);
        CREATE TABLE r2 PARTITION OF r FOR VALUES IN (3);
        CREATE TABLE plain (k int PRIMARY KEY);
        CREATE PUBLICATION viaroot FOR TABLE r, plain WITH (publish_via_partition_root = true);
        CREATE PUBLICATION leaves FOR TABLE r;
    """)
    srv.psql("INSERT INTO r VALUES (1, 'a'), (3, 'b'); INSERT INTO plain VALUES (7); "
             "UPDATE r SET k = 2 WHERE k = 1; TRUNCATE r", dbname="cl_root")
    script = READER.split("out = {")[0] + r"""
roots = R.publication_roots(conn, sys.argv[3].split(","))
print(json.dumps([sorted(roots.items()), [[(c.kind, c.rel.name if c.rel else [r.name for r in c.rels],
                  c.new, c.old_kind, c.old) for c in t.changes]
                  for t in R.read_transactions(conn, int(sys.argv[2]), roots=roots)]]))
"""
    cmd = [sys.executable, "-c", script, db_file(srv, "cl_root"), str(start)]
    if srv.account and os.geteuid() == 0:
        cmd = ["runuser", "-u", srv.account, "--"] + cmd
    run = [json.loads(subprocess.run(cmd + [pubs], capture_output=True, text=True, cwd=ROOT, timeout=60,
                                     check=True).stdout) for pubs in ("viaroot", "leaves")]
    oids = {n: int(srv.psql(f"SELECT '{n}'::regclass::oid", "-At", dbname="cl_root").stdout)
            for n in ("r", "r1", "r2")}
    assert run[0][0] == sorted([[oids["r1"], oids["r"]], [oids["r2"], oids["r"]]])
    assert run[0][1] == [[["I", "r", ["1", "a"], None, None], ["I", "r", ["3", "b"], None, None],
                          ["I", "plain", ["7"], None, None],
                          ["U", "r", ["2", "a"], "K", ["1", None]],
                          ["T", ["r"], None, None, None]]]
    assert run[1][0] == [] and run[1][1][0][0] == ["I", "r1", ["1", "a"], None, None]
