"""ALTERs on a table that foreign keys reference. A rebuild of the SQLite table would have
SQLite's DROP of the old copy apply the keys' ON DELETE actions to the referencing rows
(CASCADE emptied them, silently), so pgsvc refuses a rebuild while referencing rows exist
(rebuild_guard). SET / DROP NOT NULL, ADD FOREIGN KEY, ADD COLUMN ... NOT NULL and a
PRIMARY KEY over nullable columns change only constraints: they rewrite the table's
definition in place (ddl.schema_rewrite), keep every row and answer as PostgreSQL 15 does,
and SQLite's PRAGMA integrity_check stays ok.
"""

from __future__ import annotations

import subprocess

import pytest
from test_compare_pg15 import run_script

from conftest import require_tool
from pgsvc.sqlite import sqlite3

SETUP = """
CREATE TABLE rp (id int PRIMARY KEY, v int);
CREATE TABLE rc (id int PRIMARY KEY, pid int REFERENCES rp ON DELETE CASCADE);
CREATE TABLE rs (id int PRIMARY KEY, parent int REFERENCES rs ON DELETE CASCADE, v int);
INSERT INTO rp VALUES (1, 1), (2, 2);
INSERT INTO rs VALUES (1, NULL, 1);
"""
CLEANUP = "DROP TABLE rc, rp, rs;"


def test_rebuild_without_referencing_rows_as_postgres(shared_server, pg15):
    script = SETUP + """
ALTER TABLE rp ALTER COLUMN v SET NOT NULL;
ALTER TABLE rs ALTER COLUMN v SET NOT NULL;
INSERT INTO rc VALUES (10, 1);
SELECT * FROM rp ORDER BY id;
SELECT * FROM rc ORDER BY id;
SELECT * FROM rs ORDER BY id;
\\d rp
""" + CLEANUP
    assert run_script(shared_server, script) == run_script(pg15, script)


def integrity_ok(server) -> None:
    files = sorted((server.datadir / "base").glob("*.db"))
    assert files
    for path in files:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)], path
        finally:
            db.close()


def test_not_null_with_referencing_rows_as_postgres(shared_server, pg15):
    """SET NOT NULL on tables whose rows are referenced with ON DELETE CASCADE (a
    self-referencing tree among them): every row kept; then DROP NOT NULL, a violation,
    and the constraint enforced afterwards."""
    script = SETUP + """
INSERT INTO rc VALUES (10, 1), (20, 2);
INSERT INTO rs VALUES (2, 1, 2), (3, 2, 3);
ALTER TABLE rp ALTER COLUMN v SET NOT NULL;
ALTER TABLE rs ALTER COLUMN v SET NOT NULL;
SELECT count(*) AS children FROM rc;
SELECT * FROM rs ORDER BY id;
INSERT INTO rp VALUES (3, NULL);
INSERT INTO rs VALUES (4, 3, NULL);
ALTER TABLE rp ADD COLUMN w int NOT NULL DEFAULT 7;
ALTER TABLE rp ADD COLUMN x int NOT NULL;
INSERT INTO rp (id, v) VALUES (5, 5);
SELECT * FROM rp ORDER BY id;
ALTER TABLE rp ALTER COLUMN v DROP NOT NULL;
INSERT INTO rp (id, v) VALUES (6, NULL);
UPDATE rs SET v = NULL WHERE id = 1;
BEGIN;
ALTER TABLE rs ALTER COLUMN v DROP NOT NULL;
UPDATE rs SET v = NULL WHERE id = 1;
ROLLBACK;
UPDATE rs SET v = NULL WHERE id = 1;
DELETE FROM rp WHERE id = 1;
SELECT * FROM rc ORDER BY id;
DELETE FROM rs WHERE id = 1;
SELECT * FROM rs ORDER BY id;
\\d rp
\\d rs
""" + CLEANUP
    assert run_script(shared_server, script) == run_script(pg15, script)
    integrity_ok(shared_server)


CHAIN = """
CREATE TABLE wa (id int PRIMARY KEY);
CREATE TABLE wb (id int PRIMARY KEY, aid int);
CREATE TABLE wc (id int PRIMARY KEY, bid int);
INSERT INTO wa VALUES (1), (2);
INSERT INTO wb VALUES (1, 1), (2, 2), (3, NULL);
INSERT INTO wc VALUES (1, 1), (2, 2), (3, 3);
"""


def test_foreign_key_chain_as_postgres(shared_server, pg15):
    """A foreign key added to a table that another table's rows already reference (pg_dump
    adds the keys after the data), a violating key (23503), a PRIMARY KEY over a nullable
    column, and the keys' actions afterwards."""
    script = CHAIN + """
ALTER TABLE wc ADD CONSTRAINT wc_fk FOREIGN KEY (bid) REFERENCES wb (id) ON DELETE CASCADE;
INSERT INTO wb VALUES (6, 9);
ALTER TABLE wb ADD CONSTRAINT wb_bad FOREIGN KEY (aid) REFERENCES wa (id);
BEGIN;
ALTER TABLE wb ADD CONSTRAINT wb_late FOREIGN KEY (aid) REFERENCES wa (id) DEFERRABLE INITIALLY DEFERRED;
ROLLBACK;
DELETE FROM wb WHERE id = 6;
ALTER TABLE wb ADD CONSTRAINT wb_fk FOREIGN KEY (aid) REFERENCES wa (id) ON DELETE CASCADE;
INSERT INTO wb VALUES (4, 9);
INSERT INTO wc VALUES (4, 9);
INSERT INTO wa VALUES (3);
INSERT INTO wb VALUES (5, 3);
ALTER TABLE wc ADD CONSTRAINT wc_self FOREIGN KEY (bid) REFERENCES wc (id) ON DELETE CASCADE;
CREATE TABLE wd (k int UNIQUE, v int);
INSERT INTO wd VALUES (1, 1), (2, NULL);
CREATE TABLE we (k int REFERENCES wd (k) ON DELETE CASCADE);
INSERT INTO we VALUES (1), (2);
ALTER TABLE wd ADD PRIMARY KEY (v);
UPDATE wd SET v = 2 WHERE k = 2;
ALTER TABLE wd ADD PRIMARY KEY (v);
DELETE FROM wd WHERE k = 1;
SELECT * FROM we;
\\d wd
SELECT * FROM wb ORDER BY id;
SELECT * FROM wc ORDER BY id;
DELETE FROM wa WHERE id = 1;
SELECT * FROM wb ORDER BY id;
SELECT * FROM wc ORDER BY id;
\\d wb
\\d wc
DROP TABLE we, wd, wc, wb, wa;
"""
    assert run_script(shared_server, script) == run_script(pg15, script)
    integrity_ok(shared_server)


def test_other_session_sees_new_constraint(shared_server):
    """The constraint added in place holds for a session that was open (and had used the
    tables) before the ALTER."""
    conninfo = f"host=127.0.0.1 port={shared_server.port} user={shared_server.superuser} dbname=postgres"
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(conninfo, autocommit=True) as one, psycopg.connect(conninfo, autocommit=True) as two:
        one.execute(CHAIN)
        assert two.execute("SELECT count(*) FROM wb").fetchone() == (3,)
        two.execute("INSERT INTO wb VALUES (7, 8)")
        two.execute("DELETE FROM wb WHERE id = 7")
        one.execute("ALTER TABLE wc ADD CONSTRAINT wc_fk FOREIGN KEY (bid) REFERENCES wb (id) ON DELETE CASCADE")
        one.execute("ALTER TABLE wb ADD CONSTRAINT wb_fk FOREIGN KEY (aid) REFERENCES wa (id)")
        one.execute("ALTER TABLE wb ALTER COLUMN id SET NOT NULL")
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            two.execute("INSERT INTO wb VALUES (7, 8)")
        two.execute("UPDATE wa SET id = id")  # a change that does not touch the key values
        two.execute("DELETE FROM wb WHERE id = 1")
        assert two.execute("SELECT id FROM wc ORDER BY id").fetchall() == [(2,), (3,)]
        one.execute("DROP TABLE wc, wb, wa")
    integrity_ok(shared_server)


def test_pg_dump_of_a_foreign_key_chain_restores(shared_server, pg15):
    """A PostgreSQL 15 dump (keys added after the data, the one referencing wb first)
    loads into pgsvc with ON_ERROR_STOP, and the tables read back as in PostgreSQL."""
    env = {"PGTZ": "UTC", "LC_ALL": "C", "PATH": "/usr/bin:/bin"}
    # pg_dump adds the keys in the order of their tables' names: yc's (to zb) before zb's
    setup = "CREATE SCHEMA wsdump; SET search_path = wsdump;" + CHAIN.replace("wb", "zb").replace("wc", "yc") + """
ALTER TABLE yc ADD CONSTRAINT yc_fk FOREIGN KEY (bid) REFERENCES zb (id) ON DELETE CASCADE;
ALTER TABLE zb ADD CONSTRAINT zb_fk FOREIGN KEY (aid) REFERENCES wa (id) ON DELETE CASCADE;
ALTER TABLE zb ALTER COLUMN aid SET DEFAULT 1;
"""
    cleanup = "DROP SCHEMA wsdump CASCADE;"
    check = """SET search_path = wsdump;
SELECT * FROM zb ORDER BY id;
SELECT * FROM yc ORDER BY id;
\\d zb
DELETE FROM wa WHERE id = 2;
SELECT * FROM yc ORDER BY id;
"""
    run_script(pg15, setup)
    try:
        dump = subprocess.run([require_tool("pg_dump"), "-h", "127.0.0.1", "-p", str(pg15.port), "-U", pg15.superuser,
                               "-n", "wsdump", "--no-owner", "--no-privileges", "postgres"],
                              capture_output=True, text=True, timeout=60, env=env, check=True).stdout
        expected = run_script(pg15, check)
    finally:
        run_script(pg15, cleanup)
    assert 0 < dump.index("ADD CONSTRAINT yc_fk") < dump.index("ADD CONSTRAINT zb_fk"), dump
    try:
        res = subprocess.run([require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(shared_server.port), "-U",
                              shared_server.superuser, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                             input=dump, capture_output=True, text=True, timeout=60, env=env)
        assert res.returncode == 0, res.stderr
        assert run_script(shared_server, check) == expected
        integrity_ok(shared_server)
    finally:
        run_script(shared_server, cleanup)


def test_rebuild_with_referencing_rows_still_refused(shared_server):
    """A change that still rebuilds the table (ADD CHECK) on a table whose rows are
    referenced: refused with 0A000, and no row lost (PostgreSQL makes the change)."""
    script = SETUP + """
INSERT INTO rc VALUES (10, 1), (20, 2);
INSERT INTO rs VALUES (2, 1, 2), (3, 2, 3);
ALTER TABLE rp ADD CONSTRAINT rp_v CHECK (v > 0);
ALTER TABLE rs ADD CONSTRAINT rs_v CHECK (v > 0);
SELECT count(*) AS children FROM rc;
SELECT count(*) AS tree FROM rs;
""" + CLEANUP
    out = run_script(shared_server, script)
    assert out.count('ERROR:  cannot rewrite table "rp" while other rows reference it') == 1, out
    assert out.count('ERROR:  cannot rewrite table "rs" while other rows reference it') == 1, out
    assert " children \n----------\n        2\n" in out, out
    assert " tree \n------\n    3\n" in out, out
    integrity_ok(shared_server)
