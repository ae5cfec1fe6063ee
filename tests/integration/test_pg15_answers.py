"""Answers that used to differ from PostgreSQL 15, side by side: the same psql script against
a throwaway PostgreSQL 15 and a pgsvc must print the same rows, headers, notices and error
texts (expected output is PostgreSQL's, taken at run time). Each case works in its own schema.
"""

from __future__ import annotations

import pytest
from test_compare_pg15 import run_script_in_fresh_database  # psql side by side

CASES = {
    # a user function returning a CREATE TYPE composite: field selection, star, FROM item
    "composite_returning_functions": """
        CREATE SCHEMA crf; SET search_path = crf;
        CREATE TYPE pt AS (x int, y text);
        CREATE TYPE outer_t AS (p pt, n numeric(5,2), v varchar(3));
        CREATE TABLE tt (x int, y text);
        INSERT INTO tt VALUES (7, 'z');
        CREATE FUNCTION f(i int) RETURNS pt LANGUAGE sql AS $$ SELECT i, 'a'::text $$;
        CREATE FUNCTION g(i int) RETURNS SETOF pt LANGUAGE sql AS $$ SELECT f(j) FROM generate_series(1, i) j $$;
        CREATE FUNCTION o() RETURNS outer_t LANGUAGE sql AS $$ SELECT row(2, 'b')::pt, 1.5, 'abc' $$;
        CREATE FUNCTION w() RETURNS pt LANGUAGE sql AS $$ SELECT row(3, 'w')::pt $$;
        CREATE FUNCTION t1() RETURNS tt LANGUAGE sql AS $$ SELECT t FROM tt t $$;
        CREATE FUNCTION h() RETURNS pt LANGUAGE plpgsql AS $$ DECLARE r pt; BEGIN r := row(3, 'c'); RETURN r; END $$;
        CREATE FUNCTION h2() RETURNS pt LANGUAGE plpgsql AS $$ BEGIN RETURN row(4, 'd')::pt; END $$;
        CREATE FUNCTION h3() RETURNS tt LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT t FROM tt t); END $$;
        CREATE FUNCTION h4() RETURNS pt LANGUAGE plpgsql AS $$ BEGIN RETURN 5; END $$;
        CREATE FUNCTION h5() RETURNS pt LANGUAGE plpgsql AS $$ BEGIN RETURN row(1, 'a'::text, 3); END $$;
        CREATE FUNCTION k() RETURNS SETOF pt LANGUAGE plpgsql AS $$
            BEGIN RETURN NEXT row(4, 'd')::pt; RETURN NEXT NULL::pt; RETURN QUERY SELECT 5, 'e'::text; END $$;
        CREATE FUNCTION k2() RETURNS SETOF tt LANGUAGE plpgsql AS $$ BEGIN RETURN NEXT row(6, 'f')::tt; END $$;
        CREATE FUNCTION k3() RETURNS SETOF pt LANGUAGE plpgsql AS $$ BEGIN RETURN NEXT 5; END $$;
        SELECT (f(1)).x;
        SELECT (f(1)).*;
        SELECT * FROM f(1);
        SELECT q.y FROM f(1) q;
        SELECT f(1), f(1) IS NULL;
        SELECT (f(1)).nosuch;
        SELECT (g(2)).y;
        SELECT (g(2)).*;
        SELECT * FROM g(3) WHERE x > 1;
        SELECT s, q.x FROM generate_series(1, 2) s, LATERAL g(s) q ORDER BY 1, 2;
        SELECT * FROM o();
        SELECT ((o()).p).y, (o()).v;
        SELECT * FROM w();
        SELECT * FROM t1();
        SELECT (h()).x, (h()).y;
        SELECT * FROM h();
        SELECT q.y FROM h() q;
        SELECT * FROM h2();
        SELECT h2();
        SELECT * FROM h3();
        SELECT * FROM h4();
        SELECT * FROM h5();
        SELECT (k()).*;
        SELECT * FROM k();
        SELECT q.x FROM k() q WHERE q.y = 'e';
        SELECT * FROM k2();
        SELECT * FROM k3();
        SELECT pg_get_function_result('f(int)'::regprocedure), pg_get_function_result('g(int)'::regprocedure);
        CREATE DOMAIN posint AS int CHECK (value > 0);
        CREATE TYPE dpt AS (x posint, y text);
        CREATE TABLE dtt (x posint, y text);
        CREATE FUNCTION d1(i int) RETURNS dtt LANGUAGE sql AS $$ SELECT i, 'a' $$;
        CREATE FUNCTION d2(i int) RETURNS SETOF dpt LANGUAGE sql AS $$ SELECT i, 'a' UNION ALL SELECT i - 5, 'b' $$;
        SELECT * FROM d1(1);
        SELECT * FROM d1(-1);
        SELECT * FROM d2(3);
        SELECT * FROM d2(7);
        SELECT row(-1, 'a')::dpt, row(1, 'a')::dpt;
        CREATE TABLE dct (c dpt);
        INSERT INTO dct VALUES (row(-2, 'b'));
        INSERT INTO dct VALUES (row(2, 'b')) RETURNING (c).x;
        CREATE FUNCTION d3(i int) RETURNS dpt LANGUAGE plpgsql AS $$ BEGIN RETURN row(i, 'a')::dpt; END $$;
        SELECT * FROM d3(-1);
        CREATE FUNCTION r1() RETURNS record LANGUAGE plpgsql AS $$ BEGIN RETURN row(1, 'a'::text); END $$;
        SELECT * FROM r1() AS (a int, b text);
        SELECT r1();
        CREATE FUNCTION r2() RETURNS SETOF record LANGUAGE plpgsql AS $$ BEGIN RETURN NEXT row(1, 'a'::text); END $$;
        SELECT * FROM r2() AS (a int, b text);
        CREATE FUNCTION k4() RETURNS SETOF pt LANGUAGE plpgsql AS $$ BEGIN RETURN NEXT row(1, 'a'::text, 3); END $$;
        SELECT * FROM k4();
        ALTER TYPE pt ADD ATTRIBUTE z int;
        SELECT * FROM f(1);
        RESET search_path;
        DROP SCHEMA crf CASCADE;
    """,
    # output column names of CREATE VIEW / CREATE TABLE AS: duplicates refused (42701), and
    # CREATE OR REPLACE VIEW keeps the old columns' names and types (checkViewTupleDesc)
    "view_column_names": """
        CREATE SCHEMA vcn; SET search_path = vcn;
        CREATE TABLE t (a int, b varchar(5));
        CREATE VIEW v1 AS SELECT a, b AS a FROM t;
        CREATE VIEW v2 AS SELECT 1 AS x, 2 AS x;
        CREATE VIEW v3 (p, p) AS SELECT 1, 2;
        CREATE VIEW v4 (p) AS SELECT 1, 2 AS p;
        CREATE VIEW v5 AS SELECT * FROM t, t t2;
        CREATE VIEW v6 AS SELECT 1, 2;
        CREATE OR REPLACE VIEW v7 AS SELECT 1 AS a, 1 AS a;
        CREATE TEMP VIEW v8 AS SELECT 1 y, 2 y;
        CREATE VIEW v9 (a, b, c) AS SELECT 1;
        CREATE VIEW ok AS SELECT 1 AS a, 2 AS "A";
        SELECT * FROM ok;
        CREATE TABLE c1 AS SELECT 1 AS x, 2 AS x;
        CREATE TABLE c2 (q, q) AS SELECT 1, 2;
        SELECT 1 AS x, 2 AS x INTO c3;
        CREATE VIEW vd AS SELECT a, b FROM t;
        CREATE OR REPLACE VIEW vd AS SELECT a AS z, b FROM t;
        CREATE OR REPLACE VIEW vd AS SELECT a, b, 3 AS c, 4 AS c FROM t;
        CREATE OR REPLACE VIEW vd AS SELECT a, b, 1 AS a FROM t;
        CREATE OR REPLACE VIEW vd AS SELECT 'x'::text AS a, b FROM t;
        CREATE OR REPLACE VIEW vd AS SELECT a, b::varchar(6) FROM t;
        CREATE OR REPLACE VIEW vd AS SELECT a FROM t;
        CREATE OR REPLACE VIEW vd AS SELECT a, b, 3 AS c FROM t;
        SELECT * FROM vd;
        RESET search_path;
        DROP SCHEMA vcn CASCADE;
    """,
    # DROP TYPE / DROP DOMAIN and the user aggregates that use the type (as argument, state
    # type through its transition and final functions): reported, and dropped by CASCADE
    "drop_type_aggregates": """
        CREATE SCHEMA dta; SET search_path = dta;
        CREATE TYPE st AS (n int, s numeric);
        CREATE FUNCTION st_add(st, numeric) RETURNS st LANGUAGE sql AS $$ SELECT ($1).n + 1, ($1).s + $2 $$;
        CREATE FUNCTION st_fin(st) RETURNS numeric LANGUAGE sql AS $$ SELECT ($1).s / ($1).n $$;
        CREATE AGGREGATE myavg(numeric) (sfunc = st_add, stype = st, finalfunc = st_fin, initcond = '(0,0)');
        SELECT myavg(x) FROM generate_series(1, 4) x;
        DROP TYPE st;
        CREATE DOMAIN pos AS int CHECK (value > 0);
        CREATE FUNCTION padd(int, pos) RETURNS int LANGUAGE sql AS $$ SELECT $1 + $2 $$;
        CREATE AGGREGATE psum(pos) (sfunc = padd, stype = int, initcond = '0');
        SELECT psum(x::pos) FROM generate_series(1, 4) x;
        DROP DOMAIN pos;
        CREATE TYPE color AS ENUM ('r', 'g');
        CREATE FUNCTION cmax(color, color) RETURNS color LANGUAGE sql AS $$ SELECT greatest($1, $2) $$;
        CREATE AGGREGATE mx(color) (sfunc = cmax, stype = color);
        SELECT mx(c) FROM (VALUES ('r'::color), ('g')) v(c);
        DROP TYPE color;
        DROP TYPE color CASCADE;
        DROP DOMAIN pos CASCADE;
        DROP TYPE st CASCADE;
        SELECT proname FROM pg_proc WHERE pronamespace = 'dta'::regnamespace ORDER BY 1;
        RESET search_path;
        DROP SCHEMA dta CASCADE;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_answer_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "pg15_answers_case")
    got = run_script_in_fresh_database(shared_server, script, "pg15_answers_case")
    assert got == expected
