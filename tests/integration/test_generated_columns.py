"""Generated columns (GENERATED ALWAYS AS (expr) STORED) side by side with PostgreSQL 15:
the same psql script against both servers must print the same thing — rows, \\d, the
catalog (pg_attribute.attgenerated, pg_attrdef, information_schema.columns), COPY, and
PostgreSQL's errors with their SQLSTATE and DETAIL (VERBOSITY verbose without LOCATION).
"""

from __future__ import annotations

import subprocess

import pytest
from conftest import require_tool

_VERBOSE = "\\set VERBOSITY verbose\n\\set SHOW_CONTEXT never\n"

CASES = {
    "gen_basic": """
        CREATE TABLE gb (a int, b int GENERATED ALWAYS AS (a * 2) STORED, c text);
        INSERT INTO gb (a, c) VALUES (1, 'x'), (2, 'y');
        INSERT INTO gb VALUES (3, DEFAULT, 'z') RETURNING *;
        INSERT INTO gb (a, b) VALUES (4, DEFAULT), (5, DEFAULT);
        INSERT INTO gb DEFAULT VALUES;
        UPDATE gb SET a = a + 10 WHERE a = 1 RETURNING b;
        UPDATE gb SET b = DEFAULT WHERE a = 2;
        SELECT * FROM gb ORDER BY a NULLS FIRST;
        DROP TABLE gb;
    """,
    "gen_errors": """
        CREATE TABLE ge (a int, b int GENERATED ALWAYS AS (a * 2));
        CREATE TABLE ge (a int, b float8 GENERATED ALWAYS AS (random()) STORED);
        CREATE TABLE ge (a int, b timestamptz GENERATED ALWAYS AS (now()) STORED);
        CREATE TABLE ge (a int, b int GENERATED ALWAYS AS (a) STORED, c int GENERATED ALWAYS AS (b + 1) STORED);
        CREATE TABLE ge (a int, b int DEFAULT 1 GENERATED ALWAYS AS (a) STORED);
        CREATE TABLE ge (a int, b int GENERATED ALWAYS AS IDENTITY GENERATED ALWAYS AS (a) STORED);
        CREATE TABLE ge (a int, b int GENERATED ALWAYS AS (a * 2) STORED);
        INSERT INTO ge VALUES (1, 2);
        INSERT INTO ge (a, b) VALUES (1, DEFAULT), (2, 3);
        INSERT INTO ge SELECT 1, 2;
        UPDATE ge SET b = 5;
        COPY ge (a, b) FROM STDIN;
        COPY ge (b) TO STDOUT;
        SELECT count(*) FROM ge;
        DROP TABLE ge;
    """,
    "gen_catalog": """
        CREATE TABLE gc (a int, b int GENERATED ALWAYS AS (a * 2) STORED,
                         t text, u text GENERATED ALWAYS AS (upper(t) || '!') STORED NOT NULL);
        SELECT attname, attgenerated, atthasdef, attidentity, attnotnull FROM pg_attribute
            WHERE attrelid = 'gc'::regclass AND attnum > 0 ORDER BY attnum;
        SELECT adnum, pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'gc'::regclass ORDER BY adnum;
        SELECT column_name, column_default, is_generated, generation_expression, is_updatable, is_identity
            FROM information_schema.columns WHERE table_name = 'gc' ORDER BY ordinal_position;
        \\d gc
        INSERT INTO gc (a, t) VALUES (2, 'ab');
        SELECT * FROM gc;
        DROP TABLE gc;
    """,
    "gen_copy_alter": """
        CREATE TABLE gk (a int, b text GENERATED ALWAYS AS ('n' || a) STORED, c int);
        COPY gk FROM STDIN;
        1\t10
        2\t20
        \\.
        COPY gk TO STDOUT;
        COPY gk (c, a) TO STDOUT;
        ALTER TABLE gk ADD COLUMN d int DEFAULT 7;
        INSERT INTO gk (a) VALUES (3);
        SELECT * FROM gk ORDER BY a;
        DROP TABLE gk;
    """,
    "gen_alter": """
        CREATE TABLE ga (a int, c int);
        INSERT INTO ga VALUES (1, 2), (3, NULL);
        ALTER TABLE ga ADD COLUMN b int GENERATED ALWAYS AS (a + c) STORED;
        SELECT * FROM ga ORDER BY a;
        ALTER TABLE ga ALTER COLUMN b SET DEFAULT 3;
        ALTER TABLE ga ALTER COLUMN b DROP DEFAULT;
        ALTER TABLE ga DROP COLUMN c;
        ALTER TABLE ga ALTER COLUMN b DROP EXPRESSION;
        \\d ga
        INSERT INTO ga VALUES (5, 5, 100);
        SELECT * FROM ga ORDER BY a;
        SELECT attgenerated, atthasdef FROM pg_attribute WHERE attrelid = 'ga'::regclass AND attname = 'b';
        ALTER TABLE ga ALTER COLUMN a DROP EXPRESSION;
        ALTER TABLE ga ALTER COLUMN a DROP EXPRESSION IF EXISTS;
        CREATE TABLE gd (a int, b int GENERATED ALWAYS AS (a * 3) STORED, c int);
        INSERT INTO gd (a, c) VALUES (1, 1);
        ALTER TABLE gd DROP COLUMN a CASCADE;
        SELECT * FROM gd;
        DROP TABLE ga, gd;
    """,
    "gen_triggers": """
        CREATE TABLE gt (a int, b int GENERATED ALWAYS AS (a * 2) STORED, c text);
        CREATE FUNCTION gt_f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.c := 'trig' || NEW.a; RETURN NEW; END $$;
        CREATE TRIGGER gt_t BEFORE INSERT OR UPDATE ON gt FOR EACH ROW EXECUTE FUNCTION gt_f();
        INSERT INTO gt (a) VALUES (1);
        INSERT INTO gt VALUES (2, DEFAULT, 'x') RETURNING *;
        UPDATE gt SET a = 5 WHERE a = 1 RETURNING *;
        COPY gt FROM STDIN;
        7\tz
        \\.
        SELECT * FROM gt ORDER BY a;
        DROP TABLE gt;
        DROP FUNCTION gt_f();
    """,
    "gen_functions": """
        CREATE TABLE gf (a int, b text GENERATED ALWAYS AS (ctid::text) STORED);
        CREATE FUNCTION gfi(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT $1 + 1';
        CREATE FUNCTION gfp(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS 'BEGIN RETURN $1 * 10; END';
        CREATE TABLE gf (a int, b int GENERATED ALWAYS AS (gfi(a)) STORED, c int GENERATED ALWAYS AS (gfp(a)) STORED);
        INSERT INTO gf VALUES (1), (2);
        UPDATE gf SET a = a + 5 WHERE a = 2;
        SELECT * FROM gf ORDER BY a;
        DROP TABLE gf;
        DROP FUNCTION gfi(int);
        DROP FUNCTION gfp(int);
    """,
    "gen_inherit_stable": """
        CREATE FUNCTION gis(int) RETURNS int STABLE LANGUAGE plpgsql AS 'BEGIN RETURN $1; END';
        CREATE TABLE gi (a int, b int GENERATED ALWAYS AS (gis(a)) STORED);
        CREATE TABLE gp (a int, b int GENERATED ALWAYS AS (a * 2) STORED);
        CREATE TABLE gch (c int) INHERITS (gp);
        INSERT INTO gch (a, c) VALUES (3, 4);
        INSERT INTO gch VALUES (5, 1, 1);
        SELECT * FROM gch;
        SELECT * FROM gp;
        \\d gch
        DROP TABLE gch, gp;
        DROP FUNCTION gis(int);
    """,
    "gen_multi_upsert": """
        CREATE TABLE gm (a int PRIMARY KEY, b int GENERATED ALWAYS AS (a * 2) STORED);
        INSERT INTO gm VALUES (1);
        UPDATE gm SET (a, b) = (2, 3);
        UPDATE gm SET (a, b) = (2, DEFAULT);
        INSERT INTO gm VALUES (2) ON CONFLICT (a) DO UPDATE SET b = excluded.b;
        INSERT INTO gm VALUES (2) ON CONFLICT (a) DO UPDATE SET a = excluded.a + 10 RETURNING *;
        SELECT * FROM gm;
        DROP TABLE gm;
    """,
    "gen_function_deps": """
        CREATE FUNCTION gdi(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS 'BEGIN RETURN $1 * 10; END';
        CREATE TABLE gdd (a int, b int GENERATED ALWAYS AS (gdi(a)) STORED, c int);
        INSERT INTO gdd VALUES (1, DEFAULT, 2);
        DROP FUNCTION gdi(int);
        ALTER TABLE gdd RENAME COLUMN a TO x;
        \\d gdd
        INSERT INTO gdd VALUES (4);
        DROP FUNCTION gdi(int) CASCADE;
        SELECT * FROM gdd ORDER BY x;
        DROP TABLE gdd;
    """,
}


def run_script(target, script: str) -> str:
    cmd = [require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(target.port), "-U", target.superuser,
           "-d", "postgres", "-v", "ON_ERROR_STOP=0", "-f", "-"]
    res = subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=60,
                         env={"PGTZ": "UTC", "PGDATESTYLE": "ISO, MDY", "LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    # LOCATION names PostgreSQL's C source lines: not part of the answer
    err = "\n".join(line for line in res.stderr.splitlines() if "LOCATION:" not in line)
    return res.stdout + "\n--stderr--\n" + err


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = _VERBOSE + "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script(pg15, script)
    got = run_script(shared_server, script)
    assert "CREATE TABLE" in expected  # PostgreSQL took the table the case is about
    assert got == expected
