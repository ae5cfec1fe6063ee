"""Side by side with PostgreSQL 15: the same psql script against both servers must print
the same thing — rows, column headers, command tags, notices, error texts.

Each case runs in its own schema-free namespace (table names are unique per case) so
cases do not see each other. Known gaps are listed in KNOWN_GAPS with the reason; they
are xfail(strict=True), so a gap that gets fixed fails until it is removed here.
"""

from __future__ import annotations

import subprocess

import pytest
from conftest import require_tool

CASES = {
    "select_literals": """
        SELECT 1, 2.5, 'abc', true, NULL;
        SELECT 1 + 2 AS three, 7 / 2 AS div, 7 % 3 AS mod, -5 AS neg, 2 ^ 10 AS pow;
        SELECT 'a' || 'b' AS cat, length('hello'), upper('x'), lower('Y');
        SELECT 1::int2, 2::int4, 3::int8, 1.5::float4, 2.25::float8, 1.50::numeric(5,2);
        SELECT 0.1::float8 + 0.2::float8, 1e100::float8, 'NaN'::float8, '-Infinity'::float8;
    """,
    "create_insert_select": """
        CREATE TABLE cis (id serial PRIMARY KEY, name text NOT NULL, score numeric(6,2), ok boolean DEFAULT true);
        INSERT INTO cis (name, score) VALUES ('a', 1.5), ('b', 22.25), ('c', NULL);
        INSERT INTO cis (name, score, ok) VALUES ('d', 3, false) RETURNING id, name, ok;
        SELECT * FROM cis ORDER BY id;
        SELECT count(*), sum(score), avg(score), min(name), max(score) FROM cis;
        UPDATE cis SET score = score * 2 WHERE score IS NOT NULL;
        DELETE FROM cis WHERE name = 'c';
        SELECT * FROM cis ORDER BY score DESC NULLS LAST;
    """,
    "constraint_errors": """
        CREATE TABLE ce (id int PRIMARY KEY, v varchar(3) NOT NULL CHECK (v <> 'bad'));
        INSERT INTO ce VALUES (1, 'abc');
        INSERT INTO ce VALUES (1, 'xyz');
        INSERT INTO ce VALUES (2, NULL);
        INSERT INTO ce VALUES (3, 'toolong');
        INSERT INTO ce VALUES (4, 'bad');
        SELECT * FROM ce;
    """,
    "transactions": """
        CREATE TABLE tx (i int);
        BEGIN;
        INSERT INTO tx VALUES (1);
        SAVEPOINT s1;
        INSERT INTO tx VALUES (2);
        SELECT 1/0;
        SELECT 1;
        ROLLBACK TO SAVEPOINT s1;
        INSERT INTO tx VALUES (3);
        COMMIT;
        SELECT * FROM tx ORDER BY i;
        COMMIT;
        ROLLBACK;
    """,
    "joins_and_grouping": """
        CREATE TABLE jd (id int PRIMARY KEY, dname text);
        CREATE TABLE je (id int, dept int REFERENCES jd(id), salary int);
        INSERT INTO jd VALUES (1, 'eng'), (2, 'ops'), (3, 'empty');
        INSERT INTO je VALUES (1, 1, 100), (2, 1, 150), (3, 2, 90), (4, NULL, 50);
        SELECT d.dname, count(e.id), sum(e.salary) FROM jd d LEFT JOIN je e ON e.dept = d.id GROUP BY d.dname ORDER BY d.dname;
        SELECT e.id, d.dname FROM je e FULL JOIN jd d ON d.id = e.dept ORDER BY e.id, d.dname;
        SELECT dept, sum(salary) FROM je GROUP BY dept HAVING sum(salary) > 60 ORDER BY dept;
        SELECT id FROM je WHERE dept IN (SELECT id FROM jd WHERE dname = 'eng') ORDER BY id;
        SELECT id, salary, rank() OVER (ORDER BY salary DESC) FROM je ORDER BY id;
        INSERT INTO je VALUES (5, 9, 1);
    """,
    "join_using_alias_scope": """
        CREATE TABLE ju_a (i int, x text);
        CREATE TABLE ju_b (i int, y text);
        INSERT INTO ju_a VALUES (1, 'a'), (2, 'b');
        INSERT INTO ju_b VALUES (1, 'p'), (3, 'q');
        SELECT u.i, x, y FROM ju_a JOIN ju_b USING (i) AS u ORDER BY 1;
        SELECT * FROM (ju_a JOIN ju_b USING (i) AS u) AS outer_j WHERE u.i = 1;
        SELECT * FROM (ju_a JOIN ju_b USING (i)) AS outer_j WHERE ju_a.i = 1;
        SELECT outer_j.i FROM (ju_a JOIN ju_b USING (i) AS u) AS outer_j ORDER BY 1;
    """,
    "ctes_and_setops": """
        WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT sum(n) FROM t;
        SELECT 1 UNION SELECT 2 UNION SELECT 1 ORDER BY 1;
        SELECT 1 INTERSECT SELECT 1;
        SELECT 3 EXCEPT SELECT 3;
        SELECT * FROM generate_series(1, 3) AS g;
        SELECT DISTINCT ON (x % 2) x FROM generate_series(1, 6) x ORDER BY x % 2, x DESC;
    """,
    "expressions": """
        SELECT CASE WHEN 1 > 2 THEN 'a' ELSE 'b' END, coalesce(NULL, 2), nullif(1, 1), greatest(1, 5, 3), least(4, 2);
        SELECT 'abc' LIKE 'a%', 'ABC' LIKE 'a%', 'ABC' ILIKE 'a%', 'abc' ~ '^a.c$', 1 IS DISTINCT FROM NULL;
        SELECT NULL IS NULL, 3 BETWEEN 1 AND 5, 'x' IN ('x', 'y'), 5 = ANY(ARRAY[1,5]);
        SELECT substring('hello' from 2 for 3), position('l' in 'hello'), trim('  x  '), replace('aaa', 'a', 'b');
        SELECT round(2.567, 2), abs(-3), ceil(1.2), floor(-1.2), mod(10, 3), sqrt(16::float8);
    """,
    "types_roundtrip": """
        SELECT '2024-02-29'::date, '2024-01-02 03:04:05.678'::timestamp, '12:34:56'::time;
        SELECT '1 day 02:03:04'::interval, '2024-01-01'::date + 30, '\\x0102ff'::bytea;
        SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{"b": 1, "a": [1, 2]}'::jsonb, '[1, 2]'::json;
        SELECT ARRAY[1, 2, NULL], ARRAY['a b', 'c'], '{1,2,3}'::int[];
        SELECT 'abc'::varchar(2), 'ab'::char(4) || '|', 123.456::numeric(5,1);
    """,
    "type_errors": """
        SELECT 'abc'::int;
        SELECT 2147483647::int4 + 1;
        SELECT 1/0;
        SELECT 99999999999::int4;
        SELECT '2024-13-01'::date;
        SELECT 1.0/0;
    """,
    "ddl_notices": """
        DROP TABLE IF EXISTS nosuch_table;
        CREATE TABLE dn (a int);
        CREATE TABLE IF NOT EXISTS dn (a int);
        ALTER TABLE dn ADD COLUMN b text DEFAULT 'x';
        INSERT INTO dn (a) VALUES (1);
        SELECT * FROM dn;
        ALTER TABLE dn RENAME COLUMN b TO c;
        SELECT c FROM dn;
        DROP TABLE dn;
        SELECT * FROM dn;
    """,
    "upsert": """
        CREATE TABLE up (k int PRIMARY KEY, v int);
        INSERT INTO up VALUES (1, 1), (2, 2);
        INSERT INTO up VALUES (1, 10) ON CONFLICT (k) DO UPDATE SET v = excluded.v + up.v;
        INSERT INTO up VALUES (2, 20) ON CONFLICT DO NOTHING;
        SELECT * FROM up ORDER BY k;
    """,
    "sequences": """
        CREATE SEQUENCE sq START 10 INCREMENT 5;
        SELECT nextval('sq'), nextval('sq'), currval('sq');
        SELECT setval('sq', 100);
        SELECT nextval('sq');
    """,
    "views": """
        CREATE TABLE vt (a int, b int);
        INSERT INTO vt VALUES (1, 2), (3, 4);
        CREATE VIEW vv AS SELECT a + b AS s FROM vt;
        SELECT * FROM vv ORDER BY s;
        DROP VIEW vv;
    """,
    "show_set": """
        SHOW DateStyle;
        SET DateStyle = 'SQL, DMY';
        SHOW DateStyle;
        SELECT '2024-01-02'::date;
        RESET DateStyle;
        SET search_path = public;
        SHOW search_path;
        SHOW nosuch;
    """,
    "multi_statement_queries": """
        CREATE TABLE ms_a (x int) \\; INSERT INTO ms_a VALUES (1) \\; SELECT * FROM ms_a;
        CREATE SCHEMA ms_s \\; CREATE TABLE ms_s.ms_a (v text) \\; SET search_path = ms_s \\; INSERT INTO ms_a VALUES ('in ms_s') \\; SELECT * FROM ms_a;
        RESET search_path;
        SELECT * FROM ms_a;
        DROP TABLE ms_a \\; CREATE TABLE ms_a (y text) \\; INSERT INTO ms_a VALUES ('new') \\; SELECT * FROM ms_a;
        SELECT 1 \\; SELECT * FROM ms_nope \\; SELECT 2;
        CREATE TABLE ms_b (id int) \\; INSERT INTO ms_b VALUES (1) \\; INSERT INTO ms_nope VALUES (2);
        SELECT * FROM ms_b;
        DROP TABLE ms_a;
        DROP SCHEMA ms_s CASCADE;
    """,
    "drop_schema_dependents": """
        CREATE SCHEMA ds1;
        CREATE TABLE ds1.t (id serial PRIMARY KEY, v text);
        DROP SCHEMA ds1;
        DROP SCHEMA ds1 CASCADE;
        CREATE SCHEMA ds2;
        CREATE TABLE ds2.t (id int PRIMARY KEY);
        CREATE VIEW ds2.v AS SELECT id FROM ds2.t;
        CREATE SEQUENCE ds2.s;
        CREATE TYPE ds2.mood AS ENUM ('sad', 'ok');
        CREATE TABLE ds_outside (id int REFERENCES ds2.t);
        CREATE VIEW ds_outside_v AS SELECT id FROM ds2.t;
        DROP SCHEMA ds2;
        DROP SCHEMA ds2 CASCADE;
        SELECT count(*) FROM ds_outside;
        DROP TABLE ds_outside;
    """,
    "insert_default_values": """
        CREATE TABLE dv_a (id int GENERATED ALWAYS AS IDENTITY, y int DEFAULT 5, z text);
        INSERT INTO dv_a DEFAULT VALUES RETURNING *;
        INSERT INTO dv_a DEFAULT VALUES;
        CREATE TABLE dv_b (id serial PRIMARY KEY, n int GENERATED BY DEFAULT AS IDENTITY, s text NOT NULL DEFAULT 'x');
        INSERT INTO dv_b DEFAULT VALUES RETURNING *;
        CREATE TABLE dv_c (s text NOT NULL);
        INSERT INTO dv_c DEFAULT VALUES;
        SELECT * FROM dv_a ORDER BY id;
        DROP TABLE dv_a, dv_b, dv_c;
    """,
    "regexp_matches_rows": """
        SELECT regexp_matches('abc', '(b)');
        SELECT regexp_matches('foobarbequebaz', 'ba.', 'g');
        SELECT * FROM regexp_matches('abcbc', '(b)(c)?', 'g');
        SELECT m[1], m[2] FROM regexp_matches('abcbc', '(b)(c)?', 'g') AS m;
        SELECT * FROM regexp_matches('a"b', '"') AS m;
        SELECT regexp_matches('abc', 'z');
    """,
    "temp_table_shadowing": """
        CREATE TABLE tt_v (f1 int);
        CREATE TEMP TABLE tt_v (f1 int);
        INSERT INTO tt_v VALUES (1);
        SELECT count(*) FROM tt_v;
        DROP TABLE tt_v;
        INSERT INTO tt_v VALUES (2);
        SELECT * FROM tt_v;
        CREATE TEMP TABLE tt_v (f1 text);
        INSERT INTO tt_v VALUES (3);
        SELECT * FROM tt_v;
        DROP TABLE tt_v;
        SELECT * FROM tt_v;
        DROP TABLE tt_v;
    """,
    "syntax_errors": """
        SELEC 1;
        SELECT (1;
        SELECT * FROM;
    """,
    # ParseFuncOrColumn's errors for aggregate and window syntax on the wrong function, the
    # checks of nested aggregate / window calls (pointing at the inner call), FigureColname of CASE
    "aggregate_call_errors": """
        CREATE TABLE ace (a int, b int, c text);
        INSERT INTO ace VALUES (1, 2, 'x'), (3, 4, 'y');
        SELECT nosuchagg(a, b ORDER BY a, b) FROM ace;
        SELECT nosuchagg(a ORDER BY a) FROM ace;
        SELECT sum(a, b ORDER BY a, c) FROM ace;
        SELECT upper(c ORDER BY c) FROM ace;
        SELECT upper(DISTINCT c) FROM ace;
        SELECT upper(c) FILTER (WHERE a > 1) FROM ace;
        SELECT upper(c) OVER () FROM ace;
        SELECT max(a + min(b)) FROM ace;
        SELECT max((SELECT 1) + abs(min(b))) FROM ace;
        SELECT rank(sum(a)) WITHIN GROUP (ORDER BY a) FROM ace;
        SELECT rank(1) WITHIN GROUP (ORDER BY count(b)) FROM ace;
        SELECT max(coalesce(a, sum(b) OVER ())) FROM ace;
        SELECT sum(sum(a) OVER ()) OVER () FROM ace;
        SELECT sum(a) FILTER (WHERE sum(b) OVER () > 0) OVER () FROM ace;
        SELECT count(*) FILTER (WHERE row_number() OVER () > 0) FROM ace;
        SELECT rank(1) WITHIN GROUP (ORDER BY sum(a) OVER ()) FROM ace;
        SELECT sum(a) OVER (ORDER BY sum(a) OVER ()) FROM ace;
        SELECT sum(a) OVER w FROM ace WINDOW w AS (PARTITION BY rank() OVER ());
        SELECT sum(count(*)) OVER () FROM ace;
        SELECT CASE WHEN a > 1 THEN b ELSE a END, CASE WHEN a > 1 THEN b END, CASE WHEN a > 1 THEN 0 ELSE 1 END,
               CASE a WHEN 1 THEN ARRAY[b] ELSE ARRAY[a] END, CASE WHEN a > 1 THEN '' ELSE c::text END,
               CASE WHEN a > 1 THEN 1 ELSE (SELECT 2) END, a::text::int, (CASE WHEN a > 1 THEN c ELSE c END)::text
          FROM ace ORDER BY a;
        DROP TABLE ace;
    """,
    # a cursor's query runs when FETCH reads it, as a portal does: its error is the first
    # FETCH's (and what it did is undone with the transaction), then "cannot be run"; a cursor
    # read ahead at ROLLBACK TO keeps its error for the FETCH that reaches it
    # the statistics aggregates' transition and combine functions called directly (pg_proc's
    # float8_accum, float8_regr_accum, float8_combine, float8_regr_combine; bool_and's and
    # bool_or's state functions): Youngs-Cramer sums, NaN and infinities, overflow, bad states
    "aggregate_state_functions": """
        SELECT float8_accum('{4,140,2900}'::float8[], 100), float8_accum('{0,0,0}', 'nan'),
               float8_accum('{2,1,0}', '-inf'), float8_accum('{0,0,0}', 3.5);
        SELECT float8_accum('{1,1e308,0}', 1e308);
        SELECT float8_accum('{1,2}', 1);
        SELECT float8_accum('{{1},{2},{3}}', 1);
        SELECT float8_accum(NULL, 1), float8_accum('{1,2,3}', NULL);
        SELECT float8_regr_accum('{4,140,2900,1290,83075,15050}'::float8[], 200, 100),
               float8_regr_accum('{0,0,0,0,0,0}', 1, 'inf'), float8_regr_accum('{1,2,0,3,0,0}', 'nan', 4);
        SELECT float8_regr_accum('{1,2,3}', 1, 2);
        SELECT float8_combine('{3,60,200}'::float8[], '{0,0,0}'::float8[]),
               float8_combine('{0,0,0}'::float8[], '{2,180,200}'::float8[]),
               float8_combine('{3,60,200}'::float8[], '{2,180,200}'::float8[]);
        SELECT float8_regr_combine('{3,60,200,750,20000,2000}'::float8[], '{0,0,0,0,0,0}'::float8[]),
               float8_regr_combine('{0,0,0,0,0,0}'::float8[], '{2,180,200,740,57800,-3400}'::float8[]),
               float8_regr_combine('{3,60,200,750,20000,2000}'::float8[], '{2,180,200,740,57800,-3400}'::float8[]);
        SELECT float8_combine('{1,1e308,0}', '{1,1e308,0}');
        SELECT booland_statefunc(NULL, NULL) IS NULL, booland_statefunc(TRUE, NULL) IS NULL,
               booland_statefunc(TRUE, TRUE), booland_statefunc(TRUE, FALSE), booland_statefunc(FALSE, FALSE),
               boolor_statefunc(NULL, FALSE) IS NULL, boolor_statefunc(TRUE, FALSE),
               boolor_statefunc(FALSE, FALSE);
    """,
    # a table named by its name where the query gave it an alias (errorMissingRTE's hint), out of
    # reach inside an aliased join, or not there at all
    "missing_from_entry_errors": """
        CREATE TABLE mfe (f1 int, f2 int);
        SELECT mfe.f1 FROM mfe x;
        SELECT mfe.* FROM mfe x;
        UPDATE mfe x SET f1 = 1 WHERE mfe.f1 = 2;
        DELETE FROM mfe x WHERE mfe.f2 > 25;
        SELECT mfe.f1 FROM mfe x, mfe;
        SELECT nosuch.f1 FROM mfe x;
        SELECT (SELECT mfe.f1 FROM mfe y) FROM mfe x;
        SELECT mfe.f1 FROM (mfe JOIN mfe m2 USING (f1)) j;
        SELECT x.f1 FROM mfe JOIN (mfe x JOIN mfe y USING (f1)) j USING (f1);
        SELECT mfe.f1 FROM pg_class mfe, mfe x;
        DROP TABLE mfe;
    """,
    # an operator's own function (pg_operator.oprcode) called by name: int4pl, booleq, textcat,
    # int4um ... resolve among that name's operators, with the operator's semantics and errors
    "operator_functions": """
        CREATE TABLE opf (b1 bool, b2 bool, i int, t text);
        INSERT INTO opf VALUES (true, false, 1, 'a'), (false, false, 2, 'b'), (NULL, true, NULL, NULL);
        SELECT booleq(b1, b2), boolne(b1, b2), int4pl(i, 2), int4mi(i, 7), int48pl(i, 2::int8), textcat(t, 'x'),
               int4um(i), float8pl(1.5, i), numeric_add(1.5, i), int4lt(i, 2), texteq(t, 'a'),
               date_pli('2020-01-01', i), int8mul(3, i)
          FROM opf ORDER BY i;
        SELECT * FROM opf WHERE booleq(false, b1);
        SELECT int4pl('1', '2'), sum(int4pl(i, 1)) FROM opf;
        SELECT int4pl(1, 'x');
        SELECT int4pl(2147483647, 1);
        SELECT booleq(1, 2);
        SELECT int4pl(1);
        SELECT textcat(1, 2);
        DROP TABLE opf;
    """,
    # ARRAY[...]::type[] casts each element explicitly (ARRAY[true]::text[] is {true}); ARRAY[[..], ..]
    # and ARRAY[array, array] are multidimensional arrays; || of arrays of equal or neighbouring
    # dimensions (array_cat), the errors of mismatched ones
    "array_constructors": """
        CREATE TABLE arc (a int[], b int[]);
        INSERT INTO arc VALUES (ARRAY[1, 2], ARRAY[3, 4]), (ARRAY[5, 6], NULL);
        SELECT ARRAY[true, false]::text[], ARRAY[1, 2]::text[], ARRAY[1.5, 2]::int[], ARRAY['1', '2']::int[],
               format('%s, %s', VARIADIC ARRAY[true, false]::text[]);
        SELECT ARRAY['a']::int[];
        SELECT ARRAY[70000]::int2[];
        SELECT ARRAY[[1, 2], [3, 4]], ARRAY[[1, 2], [3, 4]]::int8[], ARRAY[ARRAY[1, 2], ARRAY[3, 4]]::numeric[],
               ARRAY[[1, 2], [3, 4]]::text[], ARRAY[[[1], [2]], [[3], [4]]], ARRAY[ARRAY['a'], ARRAY['b']],
               ARRAY[[1.5, 2], [NULL, 4]], ARRAY[[true], [false]], ARRAY[['a', 'b'], ['c', 'd']]::varchar(1)[];
        SELECT ARRAY[[1, 2], [3]];
        SELECT ARRAY[a, b] FROM arc WHERE b IS NOT NULL;
        SELECT ARRAY[[1, 2], [3, 4]] = '{{1,2},{3,4}}'::int[], array_length(ARRAY[[1, 2], [3, 4]], 2),
               array_dims(ARRAY[[1, 2], [3, 4]]), cardinality(ARRAY[[1, 2], [3, 4]]), pg_typeof(ARRAY[[1, 2]]);
        SELECT ARRAY[[1, 2], [3, 4]] || ARRAY[[5, 6]], ARRAY[5, 6] || ARRAY[[1, 2], [3, 4]],
               ARRAY[[1, 2], [3, 4]] || ARRAY[5, 6], '{}'::int[] || ARRAY[[1]], ARRAY[1, 2] || ARRAY[3],
               ARRAY[[1, 2]] || ARRAY[[3, 4]];
        SELECT ARRAY[[1, 2], [3, 4]] || ARRAY[[[5]]];
        SELECT ARRAY[[1, 2], [3, 4]] || ARRAY[5, 6, 7];
        SELECT ARRAY[[1, 2]] || ARRAY[[3]];
        SELECT ARRAY[[[5]]] || ARRAY[1];
        DROP TABLE arc;
    """,
    # subscripts: a[i][j] of a multidimensional array (fewer subscripts than dimensions, out of
    # range: NULL), slices a[l:u], a[:u], a[l:], a[:] and a[i][l:u] (i as 1:i), clamped, empty, NULL bounds
    "array_subscripts": """
        CREATE TABLE ars (a int[], t text[]);
        INSERT INTO ars VALUES ('{{1,2,3},{4,5,6}}', '{a,b,c}'), ('{7,8,9}', NULL);
        SELECT a[2][1], a[2], a[3][1], a[1][1][1], a[1:1], a[1:2][2:3], a[2][2:3], a[:1], a[2:][:2], a[:],
               t[2:2], t[2:], t[5:6], t[3:2], t[0:10], t[NULL:2], t[2]
          FROM ars ORDER BY a[1][1];
        SELECT (ARRAY[[1, 2], [3, 4]])[2][1], (ARRAY[1, 2, 3])[2:3], ('{1.5,2.5}'::numeric[])[1:1],
               (NULL::int[])[1:2], ('{1,2}'::int[])[1:1][1:1], (ARRAY['x', 'y'])[2], (ARRAY[1, 2])[0];
        DROP TABLE ars;
    """,
    # more column aliases than a FROM item has columns (a table, view, subquery, VALUES, WITH
    # query: "table"; a join: "join expression")
    "too_many_column_aliases": """
        CREATE TABLE tmca (f1 int);
        CREATE VIEW tmca_v AS SELECT 1 AS a;
        SELECT * FROM (tmca i CROSS JOIN tmca j) ss(a, b, c);
        SELECT * FROM (tmca i CROSS JOIN tmca j) ss(a, b);
        SELECT * FROM (SELECT 1) s(a, b);
        SELECT * FROM tmca x(a, b);
        WITH w AS (SELECT 1) SELECT * FROM w x(a, b);
        SELECT * FROM tmca_v v(a, b);
        SELECT * FROM (VALUES (1)) v(a, b);
        SELECT * FROM tmca x(a);
        DROP VIEW tmca_v;
        DROP TABLE tmca;
    """,
    # FROM-item names: a duplicate (no position, as checkNameSpaceConflicts), an aliased join
    # showing only its alias, a join's two sides checked once both are done (a LATERAL item then
    # sees both: "table reference is ambiguous"), an aliased join's duplicate column ambiguous
    "from_item_name_conflicts": """
        CREATE TABLE fnc (f1 int);
        SELECT * FROM fnc, fnc;
        SELECT * FROM fnc a JOIN fnc a ON true;
        SELECT * FROM fnc x CROSS JOIN (fnc x CROSS JOIN fnc y) j;
        SELECT * FROM fnc x CROSS JOIN (fnc x CROSS JOIN LATERAL (SELECT x.f1) ss);
        SELECT * FROM fnc x JOIN (fnc x CROSS JOIN fnc y) j ON x.f1 = f1;
        SELECT * FROM fnc x JOIN (fnc x CROSS JOIN fnc y) j ON x.f1 = y.f1;
        SELECT * FROM (fnc x CROSS JOIN fnc y) j JOIN fnc x ON true;
        SELECT * FROM fnc x JOIN fnc y USING (f1) JOIN fnc x ON true;
        SELECT * FROM fnc a JOIN (fnc b JOIN fnc a ON true) ON true;
        SELECT * FROM fnc a, (fnc b JOIN fnc c ON true) j, fnc j;
        DROP TABLE fnc;
    """,
    # UPDATE ... FROM / DELETE ... USING items cannot refer to the target (a LATERAL one naming it,
    # qualified or not: "invalid reference"; a plain subquery: the hint naming the column out of
    # reach, before any near miss); the target named again in FROM is a duplicate
    "update_from_target_out_of_reach": """
        CREATE TABLE ufr (x1 int, x2 int);
        CREATE TABLE ufr_i (f1 int);
        INSERT INTO ufr VALUES (1, 0);
        INSERT INTO ufr_i VALUES (1);
        UPDATE ufr SET x2 = f1 FROM (SELECT * FROM ufr_i WHERE f1 = x1) ss;
        UPDATE ufr SET x2 = f1 FROM (SELECT * FROM ufr_i WHERE f1 = ufr.x1) ss;
        UPDATE ufr SET x2 = f1 FROM LATERAL (SELECT * FROM ufr_i WHERE f1 = x1) ss;
        UPDATE ufr SET x2 = f1 FROM LATERAL (SELECT * FROM ufr_i WHERE f1 = ufr.x1) ss;
        UPDATE ufr SET x2 = f1 FROM ufr, LATERAL (SELECT * FROM ufr_i WHERE f1 = x1) ss;
        UPDATE ufr t SET x2 = 1 FROM ufr;
        DELETE FROM ufr USING (SELECT * FROM ufr_i WHERE f1 = x1) ss;
        DELETE FROM ufr USING (SELECT * FROM ufr_i WHERE f1 = ufr.x1) ss;
        DELETE FROM ufr USING LATERAL (SELECT * FROM ufr_i WHERE f1 = x1) ss;
        DELETE FROM ufr USING ufr;
        SELECT * FROM ufr, (SELECT * FROM ufr_i WHERE f1 = x1) ss;
        UPDATE ufr SET x2 = ss.f1 FROM (SELECT f1 FROM ufr_i) ss WHERE ss.f1 = ufr.x1;
        SELECT * FROM ufr;
        DELETE FROM ufr USING ufr_i WHERE f1 = x1 RETURNING x1;
        DROP TABLE ufr, ufr_i;
    """,
    # statements that cannot run in a transaction block refuse a multi-statement query's implicit
    # one too (PreventInTransactionBlock: psql's \\; sends the statements as one query)
    "not_in_implicit_transaction_block": """
        SELECT 1 \\; VACUUM;
        VACUUM \\; SELECT 2;
        SELECT 1 \\; CREATE DATABASE nitb_x;
        CREATE DATABASE nitb_y \\; SELECT 1;
        SELECT 1 \\; DROP DATABASE IF EXISTS nitb_z;
        SELECT 1 \\; DISCARD ALL;
        SELECT 1 \\; CLUSTER;
        VACUUM;
        DISCARD ALL;
        SELECT datname FROM pg_database WHERE datname LIKE 'nitb%';
    """,
    # FOR UPDATE / SHARE OF: the names checked against the FROM items (a join by its alias or
    # USING alias, functions, WITH queries, qualified names) and what a locking clause cannot
    # go with (CheckSelectLocking), as PostgreSQL refuses them
    "locking_clause_errors": """
        CREATE TABLE lkc (f1 int, f2 int);
        INSERT INTO lkc VALUES (1, 2);
        SELECT * FROM lkc a, (SELECT 1) s FOR UPDATE OF s;
        SELECT * FROM lkc a FOR UPDATE OF public.a;
        SELECT * FROM generate_series(1, 2) g FOR UPDATE OF g;
        WITH w AS (SELECT 1) SELECT * FROM w FOR UPDATE OF w;
        SELECT * FROM (VALUES (1)) v(x) FOR SHARE OF v;
        SELECT * FROM lkc a FOR NO KEY UPDATE OF zz;
        SELECT * FROM lkc a JOIN lkc b USING (f1) AS j FOR KEY SHARE OF j;
        SELECT j.f1 FROM (lkc a JOIN lkc b USING (f1)) AS j FOR UPDATE OF a;
        SELECT * FROM (lkc a JOIN lkc b USING (f1)) AS j FOR UPDATE OF j;
        SELECT * FROM (lkc a JOIN lkc b USING (f1) AS u) AS j FOR UPDATE OF u;
        SELECT * FROM (lkc a JOIN lkc b USING (f1)) AS j FOR UPDATE OF lkc;
        SELECT * FROM lkc a, LATERAL (SELECT * FROM lkc b FOR UPDATE OF a) s;
        SELECT count(*) FROM lkc FOR UPDATE;
        SELECT DISTINCT f1 FROM lkc FOR UPDATE;
        SELECT f1 FROM lkc GROUP BY f1 FOR SHARE;
        SELECT 1 FROM lkc HAVING true FOR UPDATE;
        SELECT row_number() OVER () FROM lkc FOR UPDATE;
        SELECT f1 FROM lkc UNION SELECT 1 FOR UPDATE;
        (SELECT f1 FROM lkc FOR UPDATE) UNION SELECT 2;
        SELECT f1 FROM lkc FOR UPDATE OF lkc, lkc;
        DROP TABLE lkc;
    """,
    # CREATE AGGREGATE: user and built-in transition and final functions, strictness (NULL
    # inputs skipped, the first input as the state), INITCOND, no rows, GROUP BY, FILTER, a
    # transition shared by identical calls (its NOTICEs once), errors, DROP AGGREGATE, pg_proc
    "user_aggregates": """
        CREATE FUNCTION uagg_add(int, int) RETURNS int LANGUAGE sql AS 'SELECT coalesce($1, 0) + $2';
        CREATE FUNCTION uagg_adds(int, int) RETURNS int STRICT LANGUAGE sql AS 'SELECT $1 + $2';
        CREATE FUNCTION uagg_half(int) RETURNS numeric LANGUAGE sql AS 'SELECT $1 / 2.0';
        CREATE FUNCTION uagg_step(s int, n int) RETURNS int LANGUAGE plpgsql AS $$
        BEGIN RAISE NOTICE 'step % %', s, n; RETURN coalesce(s, 0) + coalesce(n, 100); END $$;
        CREATE FUNCTION uagg_fail(s int, n int) RETURNS int LANGUAGE plpgsql AS $$
        BEGIN IF n = 3 THEN RAISE EXCEPTION 'no three'; END IF; RETURN n; END $$;
        CREATE AGGREGATE uagg1(int) (stype = int);
        CREATE AGGREGATE uagg1(int) (sfunc = uagg_add);
        CREATE AGGREGATE uagg1(int) (sfunc = nosuch, stype = int);
        CREATE AGGREGATE uagg1(int) (sfunc = uagg_add, stype = bigint);
        CREATE AGGREGATE uagg1(int) (sfunc = uagg_add, stype = int, finalfunc = nosuch);
        CREATE AGGREGATE uagg1(int) (sfunc = uagg_add, stype = int, initcond = 'x');
        CREATE AGGREGATE uagg1(text) (sfunc = uagg_adds, stype = int);
        CREATE AGGREGATE uagg1(int) (sfunc = uagg_add, stype = int, foo = 1);
        CREATE AGGREGATE uagg1(int) (sfunc = uagg_add, stype = int);
        CREATE AGGREGATE uagg2(int) (sfunc = uagg_adds, stype = int);
        CREATE AGGREGATE uagg3 (basetype = int, sfunc = uagg_adds, stype = int, initcond = '100');
        CREATE AGGREGATE uagg4(int) (sfunc = uagg_adds, stype = int, finalfunc = uagg_half, initcond = '1');
        CREATE AGGREGATE uagg_gcd(int) (sfunc = gcd, stype = int, parallel = safe, combinefunc = gcd);
        CREATE AGGREGATE uagg_n(int) (sfunc = uagg_step, stype = int);
        CREATE AGGREGATE uagg_n2(int) (sfunc = uagg_step, stype = int, finalfunc = uagg_half);
        CREATE AGGREGATE uagg_f(int) (sfunc = uagg_fail, stype = int);
        SELECT uagg1(x), uagg2(x), uagg3(x), uagg4(x), uagg1(x) FILTER (WHERE x > 2), uagg2(x) FILTER (WHERE x > 100)
          FROM generate_series(1, 5) x;
        SELECT uagg1(x), uagg2(x), uagg3(x), uagg4(x), uagg_gcd(x) FROM generate_series(1, 0) x;
        SELECT x % 2, uagg1(x), uagg2(x), uagg3(x), uagg4(x), uagg_gcd(x * 6) FROM generate_series(1, 5) x GROUP BY 1 ORDER BY 1;
        SELECT uagg1(x), uagg2(x), uagg3(x) FROM (VALUES (1), (NULL), (3)) v(x);
        SELECT uagg_n(x), uagg_n(x), uagg_n2(x) FROM (VALUES (1), (NULL), (3)) v(x);
        SELECT uagg_n(x), uagg_n(x) FILTER (WHERE x > 1) FROM (VALUES (1), (2)) v(x);
        SELECT uagg_f(x) FROM generate_series(1, 5) x;
        ALTER AGGREGATE uagg_gcd(int) OWNER TO CURRENT_USER;
        SELECT aggfnoid, aggkind, aggtransfn, aggfinalfn, aggtranstype::regtype, agginitval FROM pg_aggregate WHERE aggfnoid::text LIKE 'uagg%' ORDER BY 1::text;
        SELECT pg_typeof(uagg4(1)), uagg1(uagg2(1));
        SELECT uagg1(x) FROM generate_series(1, 3) x WHERE uagg2(x) > 0;
        SELECT * FROM uagg1(1);
        SELECT uagg1(*) FROM generate_series(1, 3) x;
        SELECT uagg1('7'), uagg3(NULL);
        SELECT proname, prokind, prorettype::regtype, pg_get_function_arguments(oid), pg_get_function_result(oid) FROM pg_proc WHERE proname LIKE 'uagg_' ORDER BY 1;
        DROP FUNCTION uagg1(int);
        DROP AGGREGATE uagg2(text);
        DROP AGGREGATE IF EXISTS uagg2(text);
        DROP AGGREGATE uagg_add(int, int);
        DROP FUNCTION uagg_adds(int, int);
        DROP AGGREGATE uagg1(int), uagg2(int), uagg3(int), uagg4(int), uagg_gcd(int), uagg_n(int), uagg_n2(int), uagg_f(int);
        DROP FUNCTION uagg_add(int, int);
        DROP FUNCTION uagg_adds(int, int);
        DROP FUNCTION uagg_half(int);
        DROP FUNCTION uagg_step(int, int);
        DROP FUNCTION uagg_fail(int, int);
    """,
    # user-defined aggregates with DISTINCT (sorted by the inputs), ORDER BY (directions, NULLS,
    # numeric keys), FILTER, and as window functions (growing frames continue, a moved frame head
    # aggregates again: the transition's NOTICEs in PostgreSQL's order; empty frames; FILTER)
    "user_aggregates_ordered_and_windowed": """
        CREATE FUNCTION uao_cat(s text, x text) RETURNS text LANGUAGE sql AS 'SELECT coalesce(s || '','', '''') || coalesce(x, ''-'')';
        CREATE FUNCTION uao_step(s int, n int) RETURNS int LANGUAGE plpgsql AS $$
        BEGIN RAISE NOTICE 'step % %', s, n; RETURN coalesce(s, 0) + n; END $$;
        CREATE AGGREGATE uao_list(text) (sfunc = uao_cat, stype = text);
        CREATE AGGREGATE uao_sum(int) (sfunc = uao_step, stype = int, initcond = '0');
        SELECT uao_list(x ORDER BY x), uao_list(x ORDER BY x DESC), uao_list(DISTINCT x), uao_list(DISTINCT x ORDER BY x DESC),
               uao_list(x ORDER BY n, x), uao_list(x ORDER BY x NULLS FIRST), uao_list(x ORDER BY n DESC NULLS LAST, x)
          FROM (VALUES ('b', 2.5), ('a', 10), (NULL, 1), ('b', NULL), ('c', 2)) v(x, n);
        SELECT uao_sum(DISTINCT n), uao_sum(n ORDER BY n DESC) FROM (VALUES (3), (1), (3), (2)) v(n);
        SELECT g, uao_list(x ORDER BY x) FILTER (WHERE x <> 'b') FROM (VALUES (1, 'b'), (1, 'a'), (2, 'c')) v(g, x) GROUP BY g ORDER BY g;
        SELECT uao_list(DISTINCT x ORDER BY n) FROM (VALUES ('a', 1)) v(x, n);
        SELECT uao_list(x ORDER BY x) FROM (VALUES ('a')) v(x) WHERE false;
        SELECT uao_list(x) OVER () FROM (VALUES ('a')) v(x);
        SELECT x, uao_list(x) OVER (ORDER BY x), uao_sum(n) OVER (ORDER BY n ROWS BETWEEN 1 PRECEDING AND CURRENT ROW),
               uao_list(x) OVER (ORDER BY x ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING), uao_list(x) OVER (PARTITION BY n % 2)
          FROM (VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4)) v(x, n) ORDER BY x;
        SELECT uao_list(DISTINCT x) OVER () FROM (VALUES ('a')) v(x);
        SELECT x, uao_sum(n) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING),
               uao_list(x) FILTER (WHERE n > 2) OVER (ORDER BY x), uao_list(x) OVER w
          FROM (VALUES ('a', 1), ('b', 2), ('c', 3)) v(x, n) WINDOW w AS (ORDER BY n DESC) ORDER BY x;
        SELECT x FROM (VALUES ('a')) v(x) WHERE uao_list(x) OVER () IS NULL;
        DROP AGGREGATE uao_list(text);
        DROP AGGREGATE uao_sum(int);
        DROP FUNCTION uao_cat(text, text);
        DROP FUNCTION uao_step(int, int);
    """,
    # polymorphic user-defined aggregates: the state's type (anycompatiblearray, anyelement)
    # resolved from the inputs in each call, INITCOND of it, the result's type
    "user_aggregates_polymorphic": """
        CREATE AGGREGATE uap_accum(anycompatible) (sfunc = array_append, stype = anycompatiblearray, initcond = '{}');
        CREATE AGGREGATE uap_bad2(int) (sfunc = array_append, stype = anycompatiblearray);
        CREATE FUNCTION uap_first(anyelement, anyelement) RETURNS anyelement LANGUAGE sql AS 'SELECT coalesce($1, $2)';
        CREATE AGGREGATE uap_first(anyelement) (sfunc = uap_first, stype = anyelement);
        SELECT uap_accum(x), uap_first(x) FROM (VALUES (3), (1), (2)) v(x);
        SELECT uap_accum(x), uap_first(x), pg_typeof(uap_accum(x)) FROM (VALUES ('b'::text), ('a')) v(x);
        SELECT uap_accum(x ORDER BY x DESC), uap_first(x) FILTER (WHERE x > 1.5) FROM (VALUES (3.5), (1), (2)) v(x);
        SELECT uap_accum(x) FROM (VALUES (1)) v(x) WHERE false;
        SELECT uap_accum('a');
        DROP AGGREGATE uap_accum(anycompatible);
        DROP AGGREGATE uap_first(anyelement);
        DROP FUNCTION uap_first(anyelement, anyelement);
    """,
    # CREATE OR REPLACE AGGREGATE: the same OID with the new definition; what it may not change
    # (the result type, the routine kind: either way round); an operator function as SFUNC
    "user_aggregates_replace": """
        CREATE FUNCTION uar_f(int, int) RETURNS int LANGUAGE sql AS 'SELECT $1 + $2';
        CREATE FUNCTION uar_g(int) RETURNS int LANGUAGE sql AS 'SELECT 1';
        CREATE AGGREGATE uar(int) (sfunc = uar_f, stype = int);
        SELECT uar(x) FROM generate_series(1, 3) x;
        CREATE OR REPLACE AGGREGATE uar(int) (sfunc = uar_f, stype = int, initcond = '10');
        SELECT uar(x) FROM generate_series(1, 3) x;
        CREATE OR REPLACE AGGREGATE uar(int) (sfunc = int4pl, stype = int, finalfunc = numeric);
        CREATE OR REPLACE FUNCTION uar(int) RETURNS int LANGUAGE sql AS 'SELECT 1';
        CREATE OR REPLACE AGGREGATE uar_g(int) (sfunc = int4pl, stype = int);
        CREATE AGGREGATE uar(int) (sfunc = uar_f, stype = int);
        DROP AGGREGATE uar(int);
        DROP FUNCTION uar_f(int, int);
        DROP FUNCTION uar_g(int);
    """,
    "cursor_errors_at_fetch": """
        CREATE TABLE dce (a int);
        INSERT INTO dce VALUES (1), (2), (0);
        CREATE FUNCTION dce_f(x int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN INSERT INTO dce VALUES (100 + x); RETURN 10 / x; END $$;
        CREATE FUNCTION dce_tab() RETURNS text LANGUAGE plpgsql AS $$ BEGIN CREATE TEMP TABLE dce_new (f float8); INSERT INTO dce_new SELECT 1 / 0; RETURN 'x'; END $$;
        BEGIN;
        DECLARE c CURSOR FOR SELECT 10 / a FROM dce ORDER BY a;
        SAVEPOINT two;
        FETCH 10 FROM c;
        ROLLBACK TO SAVEPOINT two;
        FETCH 10 FROM c;
        ROLLBACK TO SAVEPOINT two;
        RELEASE SAVEPOINT two;
        FETCH 10 FROM c;
        COMMIT;
        BEGIN;
        DECLARE ok CURSOR FOR SELECT * FROM dce ORDER BY a;
        DECLARE bad CURSOR FOR SELECT dce_f(a) FROM dce ORDER BY 1;
        DECLARE tab CURSOR FOR SELECT dce_tab();
        FETCH ok;
        SAVEPOINT s1;
        FETCH ok;
        FETCH bad;
        ROLLBACK TO s1;
        FETCH ok;
        MOVE bad;
        ROLLBACK TO s1;
        FETCH tab;
        ROLLBACK TO s1;
        SELECT * FROM dce ORDER BY a;
        SELECT count(*) FROM pg_class WHERE relname = 'dce_new';
        CLOSE bad;
        DECLARE bad CURSOR FOR SELECT 1 / (a - a) FROM dce;
        FETCH bad;
        COMMIT;
        SELECT * FROM dce ORDER BY a;
        DROP TABLE dce;
        DROP FUNCTION dce_f(int);
        DROP FUNCTION dce_tab();
        CREATE TABLE dcx (q1 int8, q2 int8);
        INSERT INTO dcx VALUES (1, 2), (3, 4), (5, 6);
        CREATE FUNCTION dcx_f() RETURNS text LANGUAGE plpgsql AS $$ BEGIN CREATE TEMP TABLE dcx_new (f float8); INSERT INTO dcx_new SELECT 1 / 0; RETURN 'x'; END $$;
        BEGIN;
        DECLARE ok CURSOR FOR SELECT * FROM dcx ORDER BY q1;
        DECLARE ctt CURSOR FOR SELECT dcx_f();
        FETCH ok;
        SAVEPOINT s1;
        FETCH ok;
        FETCH ctt;
        ROLLBACK TO s1;
        FETCH ok;
        FETCH ctt;
        COMMIT;
        BEGIN;
        DECLARE a CURSOR FOR SELECT * FROM dcx ORDER BY q1;
        DECLARE b CURSOR FOR SELECT q1 / (q1 - q1) FROM dcx ORDER BY 1;
        FETCH a;
        FETCH b;
        ROLLBACK;
        DROP FUNCTION dcx_f();
        DROP TABLE dcx;
    """,
    "whole_row_outer_join": """
        CREATE TABLE wra (id int, x int);
        CREATE TABLE wrb (id int, y int);
        CREATE TABLE wrn (p int, q int);
        INSERT INTO wra VALUES (1, 10), (2, 20), (3, NULL);
        INSERT INTO wrb VALUES (1, 100), (4, 400), (NULL, NULL);
        INSERT INTO wrn VALUES (NULL, NULL), (1, NULL);
        SELECT count(wrb.*), count(wrb), count(*) FROM wra LEFT JOIN wrb USING (id);
        SELECT count(wra.*), count(wrb.*) FROM wra FULL JOIN wrb ON wra.id = wrb.id;
        SELECT count(wra.*) FROM wra RIGHT JOIN wrb ON wra.id = wrb.id;
        SELECT count(wrn.*), count(wrn) FROM wrn;
        SELECT wrn.* IS NULL, wrn IS NULL, wrn.* IS NOT NULL, wrn IS NOT NULL, row_to_json(wrn) FROM wrn ORDER BY p;
        SELECT wra.id, wrb IS NULL, wrb IS NOT NULL, row_to_json(wrb), wrb FROM wra LEFT JOIN wrb USING (id) ORDER BY 1;
        SELECT count(wrn.*), count(wrn), count(*) FROM wra LEFT JOIN wrn ON wrn.p IS NULL OR wrn.p = wra.id;
        SELECT wra.id, wrn.* IS NULL, wrn IS NOT NULL, row_to_json(wrn), wrn FROM wra LEFT JOIN wrn ON wrn.p = wra.id ORDER BY 1;
        SELECT count(s.*), count(s) FROM wra LEFT JOIN (SELECT * FROM wrn) s ON s.p IS NULL;
        SELECT count(s.*) FROM wra LEFT JOIN (SELECT * FROM wrn) s ON s.p = wra.id;
        SELECT count(v) FROM (SELECT 1) q(z) LEFT JOIN (VALUES (NULL::int)) v(k) ON true;
        WITH w AS (SELECT * FROM wrn) SELECT count(w.*), count(w) FROM wra LEFT JOIN w ON w.p IS NULL;
        SELECT count(wrb.*) FROM wra LEFT JOIN (wrb JOIN wrn ON wrn.p = wrb.id) ON wra.id = wrb.id;
        SELECT count(j), count(j.*) FROM wra LEFT JOIN (wrb JOIN wrn ON wrn.p = wrb.id) j ON wra.id = j.id;
        SELECT (SELECT count(wrb.*) FROM wra LEFT JOIN wrb ON wra.id = wrb.id);
        SELECT wra.id, t FROM wra LEFT JOIN (SELECT a2.x FROM wra a2) t ON t.x = wra.x ORDER BY 1;
        SELECT count(c.*) FROM wra LEFT JOIN LATERAL (SELECT wra.x AS v) c ON wra.id > 1;
        SELECT wra.id, c, c IS NULL FROM wra LEFT JOIN LATERAL (SELECT wra.x AS v, NULL::int AS w) c ON wra.id > 1 ORDER BY 1;
        SELECT count(g.*) FROM wra LEFT JOIN LATERAL generate_series(1, wra.id) g ON g > 1;
        SELECT wra.id, r FROM wra LEFT JOIN LATERAL (SELECT * FROM wrb WHERE wrb.id = wra.id) r ON true ORDER BY 1;
        DROP TABLE wra, wrb, wrn;
    """,
    "whole_row_join_alias": """
        CREATE TABLE wja (id int, x int);
        CREATE TABLE wjb (id int, y int);
        INSERT INTO wja VALUES (1, 10), (2, 20);
        INSERT INTO wjb VALUES (1, 100), (3, 300);
        SELECT row_to_json(x.*) FROM (wja JOIN wjb USING (id)) x;
        SELECT row_to_json(j.*), j.*, j FROM wja JOIN wjb USING (id) AS j;
        SELECT count(j.*), count(j) FROM wja LEFT JOIN wjb USING (id) AS j;
        SELECT j.id, j IS NULL, row_to_json(j) FROM wja FULL JOIN wjb USING (id) AS j ORDER BY 1;
        SELECT row_to_json(x.*) FROM (SELECT * FROM wja) x ORDER BY 1::text;
        SELECT x.*, row_to_json(x), x IS NULL FROM (wja LEFT JOIN wjb ON wja.id = wjb.id) AS x(i1, x1, i2, y2) ORDER BY 1;
        SELECT count(x.*) FROM (wja LEFT JOIN wjb USING (id)) x;
        SELECT row_to_json(wjb) FROM wja JOIN wjb USING (id);
        SELECT (j).id, (j).y, (j.*).x, to_jsonb(j) FROM (wja JOIN wjb USING (id)) j;
        SELECT (wjb).id, (wjb).y FROM wja LEFT JOIN wjb USING (id) ORDER BY wja.id;
        SELECT row_to_json(x) FROM (wja JOIN wjb USING (id)) x;
        SELECT row_to_json(x, true) FROM wja JOIN wjb USING (id) AS x;
        SELECT row_to_json(ARRAY[1]);
        SELECT row_to_json(wja), row_to_json(ROW(1, 2)), row_to_json(NULL) FROM wja ORDER BY id LIMIT 1;
        SELECT to_jsonb(ROW(1, 'a', NULL::int, 2.50, true)), to_jsonb(s) FROM (SELECT 1 AS a, 'x' AS b) s;
        SELECT to_jsonb(wjb), jsonb_agg(wjb) FROM wjb WHERE id = 1;
        SELECT to_jsonb(ARRAY[1, 2]), to_jsonb(wjb), to_jsonb(ARRAY['a', NULL]) FROM wjb WHERE id = 1;
        SELECT to_jsonb('{"b": 1, "a": 2}'::json), to_jsonb(1), to_jsonb('x'::text), to_jsonb(NULL::int), to_jsonb(2.50);
        SELECT to_jsonb(s) FROM (SELECT 1 AS "b", 2 AS "aa", 3 AS "a") s;
        SELECT json_build_array(ROW(1, 'a'), 2), jsonb_build_array(ROW(1, 'a')), jsonb_agg(ROW(2.5, NULL));
        SELECT jsonb_build_object('r', j), json_build_object('r', j), jsonb_agg(j) FROM (wja JOIN wjb USING (id)) j GROUP BY j.id, j.x, j.y;
        SELECT jsonb_object_agg('k', s), jsonb_build_object('k', s) FROM (SELECT 1 AS a, 'x' AS b) s GROUP BY s;
        SELECT wjb, count(*) FROM wjb GROUP BY wjb ORDER BY 1;
        SELECT wjb, count(*) FROM wjb GROUP BY wjb.id, wjb.y ORDER BY 1;
        SELECT row_to_json(s), count(*) FROM (SELECT 1 AS k) s GROUP BY s.k;
        SELECT count(*), wjb FROM wjb;
        SELECT (SELECT wjb) FROM wjb GROUP BY wjb.id;
        CREATE TABLE wjp (id int PRIMARY KEY, v int);
        INSERT INTO wjp VALUES (1, 2);
        SELECT wjp, count(*) FROM wjp GROUP BY wjp.id;
        SELECT (SELECT wjp) FROM wjp GROUP BY id;
        SELECT wjp, count(*) FROM wjp GROUP BY wjp.v;
        DROP TABLE wja, wjb, wjp;
    """,
    "outer_level_aggregates": """
        CREATE TABLE ola (id int, x int);
        CREATE TABLE olb (id int, y int);
        INSERT INTO ola VALUES (1, 10), (2, 20), (3, NULL);
        INSERT INTO olb VALUES (1, 100), (4, 400), (NULL, NULL);
        SELECT (SELECT max(ola.x) FROM olb LIMIT 1) FROM ola;
        SELECT (SELECT max(ola.x) + olb.y FROM olb ORDER BY olb.y LIMIT 1) FROM ola;
        SELECT (SELECT count(*) FROM olb WHERE max(ola.x) > 0) FROM ola;
        SELECT (SELECT 1 FROM olb WHERE max(ola.x) > 0) FROM ola;
        SELECT (SELECT 1 FROM olb WHERE max(ola.x) > 0 LIMIT 1) FROM ola;
        SELECT (SELECT max(ola.x + olb.y) FROM olb) FROM ola ORDER BY 1;
        SELECT ola.id, (SELECT sum(ola.x) FROM olb) FROM ola GROUP BY ola.id ORDER BY 1;
        SELECT ola.id, (SELECT sum(ola.x) FROM olb LIMIT 1) FROM ola GROUP BY ola.id ORDER BY 1;
        SELECT (SELECT count(ola.x)) FROM ola;
        SELECT ola.id, (SELECT max(ola.x) FROM olb LIMIT 1) FROM ola;
        SELECT ola.id FROM ola GROUP BY ola.id HAVING (SELECT max(ola.x) FROM olb LIMIT 1) > 10 ORDER BY 1;
        SELECT ola.id FROM ola GROUP BY ola.id HAVING EXISTS (SELECT 1 FROM olb WHERE sum(ola.x) * 10 = olb.y) ORDER BY 1;
        SELECT (SELECT count(*) FILTER (WHERE ola.x > 0) FROM olb LIMIT 1) FROM ola;
        SELECT (SELECT count(ola.*) FROM olb LIMIT 1), (SELECT count(ola) FROM olb LIMIT 1) FROM ola;
        SELECT (SELECT string_agg(ola.id::text, ',' ORDER BY ola.id) FROM olb LIMIT 1) FROM ola;
        SELECT (SELECT (SELECT max(ola.x) FROM olb LIMIT 1) FROM olb LIMIT 1) FROM ola;
        SELECT (SELECT sum(olb.y) + max(ola.x) FROM olb) FROM ola;
        SELECT max(ola.x), (SELECT min(ola.x) FROM olb LIMIT 1) FROM ola;
        SELECT ola.id, (SELECT max(a2.x) FROM ola a2 WHERE a2.id <= ola.id) FROM ola ORDER BY 1;
        SELECT ola.id FROM ola WHERE (SELECT max(ola.x) FROM olb) > 0;
        SELECT 1 FROM ola JOIN olb ON (SELECT max(ola.x) FROM olb LIMIT 1) > 0;
        SELECT 1 FROM ola JOIN olb ON max(ola.x) > 0;
        UPDATE ola SET x = (SELECT max(ola.x) FROM olb) WHERE false;
        UPDATE ola SET x = max(x) WHERE false;
        SELECT (SELECT max(min(ola.x)) FROM olb) FROM ola;
        SELECT (SELECT max(ola.x) FILTER (WHERE sum(ola.id) > 0) FROM olb) FROM ola;
        SELECT (SELECT max(olb.y) FILTER (WHERE sum(ola.id) > 0) FROM olb) FROM ola;
        DROP TABLE ola, olb;
    """,
    "check_constraints_and_drop_column": """
        CREATE TABLE dcc (a int, b int, c int CHECK (c <> 7), CHECK (a > 0), CHECK (b > 0), CHECK (a < c),
                          CHECK (true), CONSTRAINT whole CHECK (dcc IS NOT NULL));
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'dcc'::regclass
            AND conname <> 'whole' ORDER BY 1;
        ALTER TABLE dcc DROP COLUMN b;
        SELECT conname FROM pg_constraint WHERE conrelid = 'dcc'::regclass ORDER BY 1;
        INSERT INTO dcc VALUES (-1, 5);
        INSERT INTO dcc VALUES (1, 0);
        ALTER TABLE dcc DROP COLUMN c;
        SELECT conname FROM pg_constraint WHERE conrelid = 'dcc'::regclass ORDER BY 1;
        INSERT INTO dcc VALUES (-1);
        INSERT INTO dcc VALUES (1);
        SELECT * FROM dcc;
        DROP TABLE dcc;
    """,
}

# case name -> reason (kept honest: each is a real gap, tracked in the issues)
KNOWN_GAPS: dict[str, str] = {}

def run_script(target, script: str, dbname: str = "postgres") -> str:
    cmd = [require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(target.port), "-U", target.superuser,
           "-d", dbname, "-v", "ON_ERROR_STOP=0", "-f", "-"]
    res = subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=60,
                         env={"PGTZ": "UTC", "PGDATESTYLE": "ISO, MDY", "LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    return res.stdout + "\n--stderr--\n" + res.stderr


def run_script_in_fresh_database(target, script: str, dbname: str) -> str:
    """run_script in a database of its own, made for it and dropped after: the shared
    PostgreSQL 15 cluster serves every test module, and a table another module left in its
    postgres database would change this script's output there only."""
    target.psql(f"DROP DATABASE IF EXISTS {dbname}")
    target.psql(f"CREATE DATABASE {dbname}")
    try:
        return run_script(target, script, dbname)
    finally:
        target.psql(f"DROP DATABASE IF EXISTS {dbname}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15, request):
    if name in KNOWN_GAPS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_GAPS[name], strict=True))
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script(pg15, script)
    got = run_script(shared_server, script)
    assert got == expected
