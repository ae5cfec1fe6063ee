"""Publications and REPLICA IDENTITY side by side with PostgreSQL 15: the same psql script
against both servers must print the same thing — CREATE/ALTER/DROP PUBLICATION and their
errors, pg_publication / pg_publication_rel / pg_publication_namespace /
pg_publication_tables, psql's \\dRp, \\dRp+ and the "Publications:" footer of \\d, ALTER
TABLE ... REPLICA IDENTITY with relreplident / indisreplident and \\d+'s lines, and the
55000 error of an UPDATE/DELETE on a published table without a replica identity. Expected
output comes from PostgreSQL at run time.

The reference cluster runs with wal_level=replica, so its CREATE PUBLICATION adds
"WARNING: wal_level is insufficient to publish logical changes" and a HINT; pgsvc
publishes logical changes always (as wal_level=logical): those two lines are taken out of
PostgreSQL's output before comparing, nothing else.
Every case drops what it made (the reference cluster is shared by the whole session).
"""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import PGSVC, require_tool
from test_compare_pg15 import run_script  # psql side by side, as its cases run

CASES = {
    "create_and_describe": r"""
        CREATE TABLE pub_t (a int PRIMARY KEY, b text);
        CREATE SCHEMA pub_s;
        CREATE TABLE pub_s.u (x int);
        CREATE PUBLICATION pub1 FOR TABLE pub_t WITH (publish = 'insert, update');
        CREATE PUBLICATION pub2 FOR TABLES IN SCHEMA pub_s;
        CREATE PUBLICATION pub3 FOR TABLE pub_t, pub_s.u, pub_t WITH (publish = ' Insert,DELETE ', publish_via_partition_root);
        CREATE PUBLICATION pub4;
        CREATE PUBLICATION pub5 WITH (publish = '');
        \dRp pub*
        \dRp+ pub1
        \dRp+ pub2
        \dRp+ pub3
        \d pub_t
        \d pub_s.u
        SELECT pubname, puballtables, pubinsert, pubupdate, pubdelete, pubtruncate, pubviaroot
          FROM pg_publication WHERE pubname LIKE 'pub%' ORDER BY 1;
        SELECT p.pubname, r.prrelid::regclass, r.prqual, r.prattrs FROM pg_publication_rel r
          JOIN pg_publication p ON p.oid = r.prpubid WHERE p.pubname LIKE 'pub%' ORDER BY 1, 2;
        SELECT p.pubname, n.pnnspid::regnamespace FROM pg_publication_namespace n
          JOIN pg_publication p ON p.oid = n.pnpubid WHERE p.pubname LIKE 'pub%' ORDER BY 1;
        SELECT * FROM pg_publication_tables WHERE pubname LIKE 'pub%' ORDER BY 1, 2, 3;
        SELECT gpt.relid::regclass, gpt.attrs, gpt.qual FROM pg_publication p,
          LATERAL pg_get_publication_tables(p.pubname) gpt WHERE p.pubname = 'pub3' ORDER BY 1;
        SELECT pg_relation_is_publishable('pub_t'), pg_relation_is_publishable('pub_t_pkey');
        COMMENT ON PUBLICATION pub1 IS 'one';
        COMMENT ON PUBLICATION pub_nosuch IS 'none';
        SELECT obj_description(oid, 'pg_publication'), d.classoid::regclass FROM pg_publication p
          JOIN pg_description d ON d.objoid = p.oid WHERE pubname LIKE 'pub%';
        COMMENT ON PUBLICATION pub1 IS NULL;
        SELECT count(*) FROM pg_publication p JOIN pg_description d ON d.objoid = p.oid WHERE pubname LIKE 'pub%';
        COMMENT ON PUBLICATION pub2 IS 'two';
        DROP PUBLICATION pub1, pub2, pub3, pub4, pub5;
        SELECT count(*) FROM pg_publication_rel;
        DROP TABLE pub_t;
        DROP SCHEMA pub_s CASCADE;
    """,
    "create_errors": r"""
        CREATE TABLE pube_t (a int);
        CREATE VIEW pube_v AS SELECT 1 AS one;
        CREATE SEQUENCE pube_seq;
        CREATE TEMP TABLE pube_tmp (a int);
        CREATE PUBLICATION pube FOR TABLE pube_t;
        CREATE PUBLICATION pube FOR TABLE pube_t;
        CREATE PUBLICATION pube_x FOR TABLE pube_nosuch;
        CREATE PUBLICATION pube_x FOR TABLE pube_v;
        CREATE PUBLICATION pube_x FOR TABLE pube_seq;
        CREATE PUBLICATION pube_x FOR TABLE pube_tmp;
        CREATE PUBLICATION pube_x FOR TABLE pg_class;
        CREATE PUBLICATION pube_x FOR TABLES IN SCHEMA pube_nosuch;
        CREATE PUBLICATION pube_x FOR TABLES IN SCHEMA pg_catalog;
        CREATE PUBLICATION pube_x WITH (publish = 'insert, foo');
        CREATE PUBLICATION pube_x WITH (publish = 'insert,,update');
        CREATE PUBLICATION pube_x WITH (foo = 1);
        CREATE PUBLICATION pube_x WITH (publish = 'insert', publish = 'update');
        CREATE PUBLICATION pube_x WITH (publish_via_partition_root = 'maybe');
        SELECT * FROM pg_get_publication_tables('pube_nosuch');
        \dRp pube*
        DROP PUBLICATION pube_nosuch;
        DROP PUBLICATION IF EXISTS pube_nosuch, pube;
        DROP TABLE pube_t, pube_tmp;
        DROP VIEW pube_v;
        DROP SEQUENCE pube_seq;
    """,
    "alter_publication": r"""
        CREATE TABLE puba_t (a int PRIMARY KEY);
        CREATE TABLE puba_u (b int PRIMARY KEY);
        CREATE SCHEMA puba_s;
        CREATE TABLE puba_s.w (c int);
        CREATE PUBLICATION puba FOR TABLE puba_t;
        ALTER PUBLICATION puba ADD TABLE puba_t;
        ALTER PUBLICATION puba ADD TABLE puba_u, puba_u;
        ALTER PUBLICATION puba DROP TABLE puba_s.w;
        ALTER PUBLICATION puba ADD TABLES IN SCHEMA puba_s;
        ALTER PUBLICATION puba ADD TABLES IN SCHEMA puba_s;
        ALTER PUBLICATION puba DROP TABLES IN SCHEMA public;
        \dRp+ puba
        ALTER PUBLICATION puba SET TABLE puba_u;
        \dRp+ puba
        ALTER PUBLICATION puba SET TABLES IN SCHEMA puba_s, TABLE puba_t;
        \dRp+ puba
        ALTER PUBLICATION puba DROP TABLE puba_t;
        ALTER PUBLICATION puba DROP TABLES IN SCHEMA puba_s;
        ALTER PUBLICATION puba SET (publish = 'delete');
        ALTER PUBLICATION puba SET (publish_via_partition_root = true);
        ALTER PUBLICATION puba SET (foo = 1);
        \dRp puba
        ALTER PUBLICATION puba_nosuch ADD TABLE puba_t;
        ALTER PUBLICATION puba RENAME TO puba2;
        ALTER PUBLICATION puba2 RENAME TO puba2;
        ALTER PUBLICATION puba2 OWNER TO puba_nobody;
        CREATE ROLE puba_bob;
        ALTER PUBLICATION puba2 OWNER TO puba_bob;
        \dRp puba2
        ALTER PUBLICATION puba2 OWNER TO CURRENT_USER;
        DROP ROLE puba_bob;
        CREATE PUBLICATION puba_all FOR ALL TABLES;
        ALTER PUBLICATION puba_all ADD TABLE puba_t;
        ALTER PUBLICATION puba_all ADD TABLES IN SCHEMA puba_s;
        ALTER PUBLICATION puba_all SET (publish = 'insert');
        \dRp+ puba_all
        \d puba_u
        DROP PUBLICATION puba_all, puba2;
        \d puba_u
        DROP TABLE puba_t, puba_u;
        DROP SCHEMA puba_s CASCADE;
    """,
    "drop_table_and_schema_leave_publications": r"""
        CREATE SCHEMA pubd_s;
        CREATE TABLE pubd_s.a (i int);
        CREATE TABLE pubd_t (i int);
        CREATE PUBLICATION pubd FOR TABLE pubd_t, TABLES IN SCHEMA pubd_s;
        DROP TABLE pubd_t;
        \dRp+ pubd
        DROP SCHEMA pubd_s CASCADE;
        \dRp+ pubd
        SELECT count(*) FROM pg_publication_namespace n JOIN pg_publication p ON p.oid = n.pnpubid
          WHERE p.pubname = 'pubd';
        DROP PUBLICATION pubd;
    """,
    "partitioned": r"""
        CREATE TABLE pubp (k int PRIMARY KEY, v text) PARTITION BY RANGE (k);
        CREATE TABLE pubp1 PARTITION OF pubp FOR VALUES FROM (0) TO (100);
        CREATE TABLE pubp2 PARTITION OF pubp FOR VALUES FROM (100) TO (200);
        CREATE TABLE pubp_plain (k int PRIMARY KEY);
        CREATE PUBLICATION pubp_leaf FOR TABLE pubp, pubp_plain;
        CREATE PUBLICATION pubp_root FOR TABLE pubp WITH (publish_via_partition_root = true);
        SELECT * FROM pg_publication_tables WHERE pubname LIKE 'pubp%' ORDER BY 1, 2, 3;
        CREATE TABLE pubp3 PARTITION OF pubp FOR VALUES FROM (200) TO (300);
        SELECT * FROM pg_publication_tables WHERE pubname LIKE 'pubp%' ORDER BY 1, 2, 3;
        ALTER PUBLICATION pubp_root SET (publish_via_partition_root = false);
        ALTER PUBLICATION pubp_leaf SET (publish_via_partition_root = true);
        SELECT * FROM pg_publication_tables WHERE pubname LIKE 'pubp%' ORDER BY 1, 2, 3;
        SELECT pg_relation_is_publishable('pubp'), pg_relation_is_publishable('pubp1');
        \dRp+ pubp_leaf
        DROP PUBLICATION pubp_leaf, pubp_root;
        DROP TABLE pubp, pubp_plain;
    """,
    "privileges": r"""
        CREATE DATABASE pubr_db;
        \c pubr_db
        CREATE ROLE pubr_a;
        CREATE ROLE pubr_b;
        CREATE TABLE pubr_super_t (a int);
        CREATE TABLE pubr_a_t (a int);
        ALTER TABLE pubr_a_t OWNER TO pubr_a;
        CREATE SCHEMA pubr_s;
        GRANT CREATE ON DATABASE pubr_db TO pubr_a;
        SET ROLE pubr_b;
        CREATE PUBLICATION pubr_no;
        SET ROLE pubr_a;
        CREATE PUBLICATION pubr_x FOR ALL TABLES;
        CREATE PUBLICATION pubr_x FOR TABLES IN SCHEMA pubr_s;
        CREATE PUBLICATION pubr_x FOR TABLE pubr_super_t;
        CREATE PUBLICATION pubr_own FOR TABLE pubr_a_t;
        ALTER PUBLICATION pubr_own ADD TABLE pubr_super_t;
        ALTER PUBLICATION pubr_own ADD TABLES IN SCHEMA pubr_s;
        RESET ROLE;
        CREATE PUBLICATION pubr_super;
        SET ROLE pubr_a;
        ALTER PUBLICATION pubr_super SET (publish = 'insert');
        ALTER PUBLICATION pubr_super RENAME TO pubr_super2;
        DROP PUBLICATION pubr_super;
        ALTER PUBLICATION pubr_own OWNER TO pubr_b;
        RESET ROLE;
        CREATE PUBLICATION pubr_all FOR ALL TABLES;
        ALTER PUBLICATION pubr_all OWNER TO pubr_a;
        \dRp pubr*
        DROP PUBLICATION pubr_own, pubr_super, pubr_all;
        REVOKE CREATE ON DATABASE pubr_db FROM pubr_a;
        DROP TABLE pubr_super_t, pubr_a_t;
        DROP SCHEMA pubr_s;
        \c postgres
        DROP DATABASE pubr_db;
        DROP ROLE pubr_a, pubr_b;
    """,
    "owner_roles": r"""
        CREATE ROLE pubo_a;
        CREATE ROLE pubo_b;
        CREATE PUBLICATION pubo_1;
        CREATE PUBLICATION pubo_2;
        ALTER PUBLICATION pubo_1 OWNER TO pubo_a;
        ALTER PUBLICATION pubo_2 OWNER TO pubo_a;
        DROP ROLE pubo_a;
        REASSIGN OWNED BY pubo_a TO pubo_b;
        \dRp pubo*
        DROP ROLE pubo_a;
        DROP OWNED BY pubo_b;
        \dRp pubo*
        DROP ROLE pubo_b;
    """,
    "replica_identity": r"""
        CREATE TABLE ri (a int, b int NOT NULL, c int);
        CREATE UNIQUE INDEX ri_b ON ri (b);
        CREATE UNIQUE INDEX ri_c ON ri (c);
        CREATE INDEX ri_a ON ri (a);
        CREATE UNIQUE INDEX ri_p ON ri (b) WHERE b > 0;
        CREATE TABLE ri_other (k int PRIMARY KEY);
        ALTER TABLE ri REPLICA IDENTITY USING INDEX ri_nosuch;
        ALTER TABLE ri REPLICA IDENTITY USING INDEX ri_c;
        ALTER TABLE ri REPLICA IDENTITY USING INDEX ri_a;
        ALTER TABLE ri REPLICA IDENTITY USING INDEX ri_other_pkey;
        ALTER TABLE ri REPLICA IDENTITY USING INDEX ri_p;
        ALTER TABLE ri REPLICA IDENTITY USING INDEX ri_b;
        SELECT relreplident FROM pg_class WHERE relname = 'ri';
        SELECT indexrelid::regclass, indisreplident FROM pg_index WHERE indrelid = 'ri'::regclass ORDER BY 1;
        SELECT pg_get_replica_identity_index('ri'), pg_get_replica_identity_index('ri_other');
        \d+ ri
        ALTER TABLE ri REPLICA IDENTITY FULL;
        \d+ ri
        ALTER TABLE ri REPLICA IDENTITY NOTHING;
        \d+ ri
        SELECT relreplident FROM pg_class WHERE relname = 'ri';
        SELECT pg_get_replica_identity_index('ri');
        ALTER TABLE ri REPLICA IDENTITY DEFAULT;
        ALTER TABLE ri_other REPLICA IDENTITY USING INDEX ri_other_pkey;
        \d+ ri_other
        SELECT relname, relreplident FROM pg_class WHERE relname IN ('ri', 'ri_other', 'ri_b') ORDER BY 1;
        DROP TABLE ri, ri_other;
    """,
    "no_replica_identity_errors": r"""
        CREATE TABLE rin (a int, b int);
        CREATE TABLE rik (a int PRIMARY KEY, b int);
        CREATE PUBLICATION rin_pub FOR TABLE rin, rik;
        INSERT INTO rin VALUES (1, 1);
        INSERT INTO rik VALUES (1, 1);
        UPDATE rin SET b = 2;
        DELETE FROM rin;
        UPDATE rin SET b = 2 WHERE false;
        UPDATE rik SET b = 2;
        CREATE UNIQUE INDEX rin_a ON rin (a);
        INSERT INTO rin VALUES (2, 2) ON CONFLICT (a) DO UPDATE SET b = excluded.b;
        INSERT INTO rin VALUES (1, 5) ON CONFLICT (a) DO UPDATE SET b = excluded.b;
        INSERT INTO rin VALUES (3, 3) ON CONFLICT (a) DO NOTHING;
        ALTER TABLE rik REPLICA IDENTITY NOTHING;
        DELETE FROM rik;
        ALTER PUBLICATION rin_pub SET (publish = 'insert, delete');
        UPDATE rin SET b = 3;
        DELETE FROM rin;
        ALTER TABLE rin REPLICA IDENTITY FULL;
        DELETE FROM rin;
        ALTER PUBLICATION rin_pub SET (publish = 'insert');
        DELETE FROM rik;
        SELECT * FROM rin;
        SELECT * FROM rik;
        CREATE TABLE rin_parent (id int PRIMARY KEY);
        CREATE TABLE rin_child (pid int REFERENCES rin_parent ON DELETE CASCADE ON UPDATE CASCADE, note text);
        INSERT INTO rin_parent VALUES (1);
        INSERT INTO rin_child VALUES (1, 'x');
        ALTER PUBLICATION rin_pub ADD TABLE rin_parent, rin_child;
        ALTER PUBLICATION rin_pub SET (publish = 'update, delete');
        UPDATE rin_parent SET id = 2;
        DELETE FROM rin_parent;
        SELECT * FROM rin_child;
        CREATE TABLE rin_p2 (a int, b int, PRIMARY KEY (a, b));
        CREATE TABLE rin_c2 (x int, y int, FOREIGN KEY (x, y) REFERENCES rin_p2 ON DELETE SET NULL);
        INSERT INTO rin_p2 VALUES (1, 2);
        INSERT INTO rin_c2 VALUES (1, 2);
        ALTER PUBLICATION rin_pub ADD TABLE rin_p2, rin_c2;
        DELETE FROM rin_p2;
        ALTER TABLE rin_c2 REPLICA IDENTITY FULL;
        DELETE FROM rin_p2;
        SELECT * FROM rin_c2;
        DROP PUBLICATION rin_pub;
        DROP TABLE rin, rik, rin_child, rin_parent, rin_c2, rin_p2;
    """,
}

_WAL_LEVEL = re.compile(r"^(psql:<stdin>:\d+: )?WARNING:  wal_level is insufficient to publish logical changes\n"
                        r"(psql:<stdin>:\d+: )?HINT:  Set wal_level to \"logical\" before creating subscriptions\.\n",
                        re.MULTILINE)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, postgres_superuser_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = _WAL_LEVEL.sub("", run_script(pg15, script))
    got = run_script(postgres_superuser_server, script)
    assert got == expected


DUMP_SCHEMA = r"""
CREATE SCHEMA pubdump_s;
CREATE TABLE pubdump_s.w (c int);
CREATE TABLE public.pubdump_t (a int PRIMARY KEY, b text);
CREATE TABLE public.pubdump_u (a int);
INSERT INTO public.pubdump_t VALUES (1, 'x');
CREATE PUBLICATION pubdump_1 FOR TABLE public.pubdump_t, public.pubdump_u WITH (publish = 'insert, update');
CREATE PUBLICATION pubdump_2 FOR TABLES IN SCHEMA pubdump_s WITH (publish_via_partition_root = true);
CREATE PUBLICATION pubdump_3 FOR ALL TABLES WITH (publish = 'truncate');
CREATE PUBLICATION "Pub Dump 4";
COMMENT ON PUBLICATION pubdump_1 IS 'the first';
CREATE TABLE pubdump_rf (a int);
ALTER TABLE pubdump_rf REPLICA IDENTITY FULL;
CREATE TABLE pubdump_rn (a int);
ALTER TABLE pubdump_rn REPLICA IDENTITY NOTHING;
CREATE TABLE pubdump_ri (a int NOT NULL);
CREATE UNIQUE INDEX pubdump_ri_a ON pubdump_ri (a);
ALTER TABLE pubdump_ri REPLICA IDENTITY USING INDEX pubdump_ri_a;
ALTER TABLE public.pubdump_t REPLICA IDENTITY USING INDEX pubdump_t_pkey;
"""


def _dump_text(dump: str) -> str:
    """Without the lines any two dumps differ in (pg_dump's random \\restrict key, the
    dumping program's and the server's versions)."""
    dump = re.sub(r"\\restrict \S+\n\n", "", dump)
    dump = re.sub(r"\n\\unrestrict \S+\n\n$", "\n", dump)
    return re.sub(r"(?m)^-- Dumped (by|from database version) .*$", "-- Dumped", dump)


def test_dumps_publications_as_pg_dump(postgres_superuser_server, pg15):
    """pg_dump against pgsvc and against PostgreSQL 15 of the same database, and pgsvc dump,
    print the same publications and replica identities, and the script restores them on
    pgsvc."""
    srv = postgres_superuser_server
    for target in (srv, pg15):
        target.psql("DROP DATABASE IF EXISTS pubdump")
        target.psql("CREATE DATABASE pubdump")
        target.psql(DUMP_SCHEMA, dbname="pubdump")
    pg_dump = require_tool("pg_dump")
    dumps = [subprocess.run([pg_dump, "-h", "127.0.0.1", "-p", str(t.port), "-U", "postgres", "pubdump"],
                            capture_output=True, text=True, check=True, timeout=60).stdout for t in (srv, pg15)]
    dumps.append(subprocess.run([*PGSVC, "dump", "-h", "127.0.0.1", "-p", str(srv.port), "-U", "postgres",
                                 "pubdump"], capture_output=True, text=True, check=True, timeout=60).stdout)
    texts = [_dump_text(d) for d in dumps]
    assert "ALTER PUBLICATION pubdump_2 ADD TABLES IN SCHEMA pubdump_s;" in texts[1]
    assert texts[0] == texts[1]
    assert texts[2] == texts[1]
    srv.psql("DROP DATABASE IF EXISTS pubdump_restored")
    srv.psql("CREATE DATABASE pubdump_restored")
    subprocess.run([require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(srv.port), "-U", "postgres", "-d",
                    "pubdump_restored", "-v", "ON_ERROR_STOP=1", "-q"], input=dumps[0], text=True, check=True,
                   capture_output=True, timeout=60)
    for query in ("\\dRp+", "SELECT relname, relreplident FROM pg_class WHERE relname LIKE 'pubdump%' ORDER BY 1",
                  "SELECT indexrelid::regclass FROM pg_index WHERE indisreplident ORDER BY 1"):
        described = [t.psql(query, dbname=db).stdout for t, db in ((srv, "pubdump_restored"), (pg15, "pubdump"))]
        assert described[0] == described[1]
    for target, db in ((srv, "pubdump"), (srv, "pubdump_restored"), (pg15, "pubdump")):
        target.psql(f"DROP DATABASE {db}")


def test_wal_level_replica_warns_as_postgres(server_factory, pg15):
    """With wal_level below logical (as the reference cluster runs), CREATE PUBLICATION warns
    as PostgreSQL does: the same output, PostgreSQL's warning lines kept."""
    srv = server_factory("-U", "postgres", "--auth-local", "trust", "--auth-host", "trust",
                         server_args=("-c", "wal_level=replica"))
    srv.superuser = "postgres"
    assert srv.psql("SHOW wal_level", "-At").stdout.strip() == "replica"
    script = "CREATE TABLE walr (a int);\nCREATE PUBLICATION walr_pub FOR TABLE walr;\n" \
             "CREATE PUBLICATION walr_pub2;\nDROP PUBLICATION walr_pub, walr_pub2;\nDROP TABLE walr;"
    expected = run_script(pg15, script)
    assert "wal_level is insufficient" in expected
    assert run_script(srv, script) == expected
