"""Constraint details side by side with PostgreSQL 15: which CHECK a row that fails several
is reported against (PostgreSQL checks them in name order, whatever order they were made
in, also after ALTER TABLE ADD CONSTRAINT), NOT NULL of the columns of a table-level
PRIMARY KEY (a, b) in CREATE TABLE, sequence values a failed INSERT took (a default calling currval no
longer made the INSERT a read that lost them), and comments on a domain's constraints (COMMENT ON
CONSTRAINT ... ON DOMAIN, its errors, obj_description). Each script must print the same on
both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "sequence_values_kept": """
        CREATE SEQUENCE cs;
        CREATE TABLE cst (a int DEFAULT nextval('cs'), b int DEFAULT -1 * currval('cs'),
                          CONSTRAINT cst_a CHECK (a >= 3), CHECK (a + b = 0));
        INSERT INTO cst (a, b) VALUES (2, -2);
        SELECT nextval('cs');
        INSERT INTO cst DEFAULT VALUES;
        INSERT INTO cst DEFAULT VALUES;
        INSERT INTO cst (b) VALUES (7);
        SELECT nextval('cs'), currval('cs');
        BEGIN;
        INSERT INTO cst DEFAULT VALUES;
        ROLLBACK;
        SELECT * FROM cst;
        SELECT last_value FROM cs;
    """,
    "check_order": """
        CREATE TABLE co (p int, q int, CONSTRAINT zeta CHECK (p > 0), CONSTRAINT alpha CHECK (q > 0),
                         CHECK (p + q < 50));
        INSERT INTO co VALUES (-1, -1);
        INSERT INTO co VALUES (1, -1);
        INSERT INTO co VALUES (-1, 1);
        INSERT INTO co VALUES (40, 40);
        INSERT INTO co VALUES (-40, 100);
        ALTER TABLE co ADD CONSTRAINT beta CHECK (p <> 3);
        INSERT INTO co VALUES (3, -3);
        INSERT INTO co VALUES (3, 3);
        UPDATE co SET p = 0;
        INSERT INTO co VALUES (2, 2);
        UPDATE co SET p = -5, q = -5;
        SELECT * FROM co;
    """,
    "primary_key_not_null": """
        CREATE TABLE pk2 (a int, b text, c int, PRIMARY KEY (a, b));
        INSERT INTO pk2 (b) VALUES ('x');
        INSERT INTO pk2 (a) VALUES (1);
        INSERT INTO pk2 VALUES (1, 'x', 0), (1, 'y', 0);
        INSERT INTO pk2 VALUES (1, 'x', 5);
        CREATE TABLE pk3 (a int, CONSTRAINT pk3_c CHECK (a > 0), PRIMARY KEY (a));
        INSERT INTO pk3 VALUES (NULL);
        INSERT INTO pk3 VALUES (-1);
        SELECT * FROM pk2 ORDER BY a, b;
        SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = 'pk2'::regclass AND attnum > 0 ORDER BY attnum;
    """,
    "domain_constraint_comments": """
        CREATE DOMAIN posint AS int CONSTRAINT positive CHECK (VALUE > 0) CONSTRAINT small CHECK (VALUE < 100);
        COMMENT ON CONSTRAINT positive ON DOMAIN posint IS 'must be positive';
        COMMENT ON CONSTRAINT missing ON DOMAIN posint IS 'no';
        COMMENT ON CONSTRAINT positive ON DOMAIN int4 IS 'no';
        COMMENT ON CONSTRAINT positive ON DOMAIN nosuchdomain IS 'no';
        SELECT conname, obj_description(oid, 'pg_constraint') FROM pg_constraint
          WHERE contypid = 'posint'::regtype ORDER BY conname;
        COMMENT ON CONSTRAINT positive ON DOMAIN posint IS NULL;
        SELECT conname, obj_description(oid, 'pg_constraint') FROM pg_constraint
          WHERE contypid = 'posint'::regtype ORDER BY conname;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "constraint_details_pg15")
    got = run_script_in_fresh_database(shared_server, script, "constraint_details_pg15")
    assert got == expected


def test_nulls_not_distinct_is_refused_not_ignored(shared_server, pg15):
    """UNIQUE NULLS NOT DISTINCT (PostgreSQL 15: a second NULL is a duplicate) is a clean
    0A000 on pgsvc, whose unique indexes keep NULLs distinct: accepting it stored the second
    NULL PostgreSQL refuses (a wrong answer)."""
    import psycopg

    with psycopg.connect(pg15.dsn(), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS nnd_probe")
        conn.execute("CREATE TABLE nnd_probe (i int UNIQUE NULLS NOT DISTINCT)")
        conn.execute("INSERT INTO nnd_probe VALUES (NULL)")
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("INSERT INTO nnd_probe VALUES (NULL)")
        conn.execute("DROP TABLE nnd_probe")
    with psycopg.connect(shared_server.dsn(), autocommit=True) as conn:
        for sql in ("CREATE TABLE nnd_probe (i int UNIQUE NULLS NOT DISTINCT)",
                    "CREATE TABLE nnd_probe (i int, UNIQUE NULLS NOT DISTINCT (i))"):
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                conn.execute(sql)
        conn.execute("CREATE TABLE nnd_probe (i int)")
        try:
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                conn.execute("CREATE UNIQUE INDEX ON nnd_probe (i) NULLS NOT DISTINCT")
        finally:
            conn.execute("DROP TABLE nnd_probe")
