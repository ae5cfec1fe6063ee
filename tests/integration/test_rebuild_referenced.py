"""ALTERs that pgsvc carries out by rebuilding the SQLite table (SET NOT NULL, for one)
on a table that foreign keys reference. SQLite's DROP of the old copy would apply the
keys' ON DELETE actions to the referencing rows (CASCADE emptied them, silently), so
pgsvc refuses such a rebuild while referencing rows exist (rebuild_guard). Without
referencing rows the ALTER works and answers as PostgreSQL 15 does.
"""

from __future__ import annotations

from test_compare_pg15 import run_script

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


def test_rebuild_with_referencing_rows_keeps_them(shared_server):
    script = SETUP + """
INSERT INTO rc VALUES (10, 1), (20, 2);
INSERT INTO rs VALUES (2, 1, 2), (3, 2, 3);
ALTER TABLE rp ALTER COLUMN v SET NOT NULL;
ALTER TABLE rs ALTER COLUMN v SET NOT NULL;
SELECT count(*) AS children FROM rc;
SELECT count(*) AS tree FROM rs;
""" + CLEANUP
    out = run_script(shared_server, script)
    # PostgreSQL makes these changes; pgsvc refuses them rather than touch the rows
    assert out.count('ERROR:  cannot rewrite table "rp" while other rows reference it') == 1, out
    assert out.count('ERROR:  cannot rewrite table "rs" while other rows reference it') == 1, out
    assert " children \n----------\n        2\n" in out, out
    assert " tree \n------\n    3\n" in out, out
