"""Arrays side by side with PostgreSQL 15: lower bounds other than 1 (input and output with
the dimension decoration, the bound functions, subscripts and slices relative to the bounds,
assignment extending an array, array_fill, order, concatenation), and psycopg's binary
round trips of such arrays. Each psql script must print the same on both servers; its
tables are named per case."""

from __future__ import annotations

import time

import psycopg
import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "bounds_io": """
        SELECT '[0:2]={1,2,3}'::int[], '[-2:-1][3:4]={{1,2},{3,4}}'::int[], '[1:2]={a,b}'::text[];
        SELECT '[0:2]={1.5,2,NaN}'::numeric[], '[0:1]={1.5,Infinity}'::float8[], '[5:5]={"x y"}'::text[];
        SELECT '[2:1]={}'::int[];
        SELECT '[0:1]={1,2,3}'::int[];
        SELECT '[1:2]=1'::int[];
        SELECT '[0:2]={1,2,3}'::int[]::text, '[0:2]={1,2,3}'::int[]::bigint[], '[0:1]={1,2}'::int[]::text[];
    """,
    "bounds_functions": """
        SELECT array_dims(a), array_lower(a, 1), array_upper(a, 1), array_lower(a, 2), array_upper(a, 2),
               array_length(a, 1), array_length(a, 2), cardinality(a), array_ndims(a)
          FROM (VALUES ('[-2:-1][3:4]={{1,2},{3,4}}'::int[]), ('[0:2]={1,2,3}'), ('{}'), ('{7}')) v(a);
        SELECT * FROM generate_subscripts('[0:2]={1,2,3}'::int[], 1);
        SELECT * FROM generate_subscripts('[-2:-1][3:4]={{1,2},{3,4}}'::int[], 2, true);
        SELECT array_fill(7, ARRAY[2,2], ARRAY[0,-1]), array_fill(7, ARRAY[3]), array_fill(NULL::text, ARRAY[2]);
        SELECT array_fill('x'::text, ARRAY[1], ARRAY[5]), array_fill(1.5, ARRAY[0]);
        SELECT array_fill(7, ARRAY[2], ARRAY[0,1]);
        SELECT array_fill(7, NULL);
        SELECT array_fill(7, ARRAY[2], NULL);
        SELECT array_position('[0:2]={1,2,3}'::int[], 2), array_remove('[0:2]={1,2,3}'::int[], 2);
        SELECT array_to_string('[0:2]={1,NULL,3}'::int[], ',', '*'), 2 = ANY ('[0:2]={1,2,3}'::int[]),
               '[0:2]={1,2,3}'::int[] @> '{2}';
    """,
    "bounds_subscripts": """
        SELECT a[0], a[2], a[3], a[-1], a[0:1], a[:1], a[1:], a[5:9], a[2:1]
          FROM (VALUES ('[0:2]={1,2,3}'::int[])) v(a);
        SELECT a[-1][4], a[-2][3], a[-1:-1][3:4], a[-1], a[0][3], a[:][4:]
          FROM (VALUES ('[-2:-1][3:4]={{1,2},{3,4}}'::int[])) v(a);
        SELECT a[1], a[0], a[1:2] FROM (VALUES ('{1,2,3}'::int[])) v(a);
        SELECT ('[0:1]={1.50,2}'::numeric[])[0], ('[0:1]={a,b}'::text[])[1], ('[3:3]={NaN}'::float8[])[3];
    """,
    "bounds_order_and_concat": """
        SELECT '[0:2]={1,2,3}'::int[] = '{1,2,3}', '[0:2]={1,2,3}'::int[] < '{1,2,3}',
               '{{1,2},{3,4}}'::int[] < '{1,2,3,4}', '{1,2}'::int[] < '{{1,2}}';
        CREATE TABLE ab_ord (a int[]);
        INSERT INTO ab_ord VALUES ('{1,2,3}'), ('[0:2]={1,2,3}'), ('[-1:1]={1,2,3}'), ('{1,2}'), ('{{1,2},{3,4}}'),
            ('{1,2,3,4}'), ('{0}'), ('{}'), (NULL);
        SELECT a FROM ab_ord ORDER BY a;
        SELECT a, count(*) FROM ab_ord GROUP BY a ORDER BY a;
        SELECT DISTINCT a FROM ab_ord WHERE a = '[0:2]={1,2,3}';
        SELECT '[0:2]={1,2,3}'::int[] || '{4}'::int[], '{4}'::int[] || '[0:2]={1,2,3}'::int[],
               '[0:2]={1,2,3}'::int[] || 5, 5 || '[0:2]={1,2,3}'::int[];
        SELECT ARRAY[7,8] || '[0:1][1:2]={{3,4},{5,6}}'::int[], '[0:1][1:2]={{3,4},{5,6}}'::int[] || ARRAY[7,8],
               '[4:4][1:2]={{3,4}}'::int[] || '[0:1][1:2]={{3,4},{5,6}}'::int[];
        SELECT '[0:1][5:6]={{3,4},{5,6}}'::int[] || '[3:3][0:1]={{9,9}}'::int[];
        SELECT ARRAY[1,2] || '[0:1][5:6]={{3,4},{5,6}}'::int[];
        SELECT '{}'::int[] || '[0:1]={1,2}'::int[], '[0:1]={1,2}'::int[] || '{}'::int[],
               array_append('[0:1]={1,2}'::int[], 3), array_prepend(0, '[5:6]={1,2}'::int[]);
    """,
    "bounds_assignment": """
        CREATE TABLE ab_set (id int, a int[], b int[]);
        INSERT INTO ab_set VALUES (1, NULL, '{{1,2},{3,4}}'), (2, '{1,2}', NULL), (3, '[0:1]={7,8}', '{}');
        UPDATE ab_set SET a[5] = 9;
        SELECT * FROM ab_set ORDER BY id;
        UPDATE ab_set SET a[-1] = 3;
        SELECT * FROM ab_set ORDER BY id;
        UPDATE ab_set SET b[1][1] = 0 WHERE b IS NOT NULL;
        SELECT * FROM ab_set ORDER BY id;
        UPDATE ab_set SET b[3][1] = 0;
        UPDATE ab_set SET a[NULL] = 1;
        UPDATE ab_set SET a[1][2] = 1;
        UPDATE ab_set SET a[2] = NULL, b[2][2] = 5 WHERE id = 1;
        SELECT * FROM ab_set ORDER BY id;
        CREATE TABLE ab_num (n numeric[], f float8[], t text[]);
        INSERT INTO ab_num VALUES ('[0:0]={1.50}', '[2:2]={1.5}', '{}');
        UPDATE ab_num SET n[2] = 2.5, f[0] = 'NaN', t[-3] = 'a b';
        SELECT * FROM ab_num;
        INSERT INTO ab_num (n[3], t[0]) VALUES (4.25, 'z') RETURNING n, t;
    """,
    "array_functions": """
        SELECT array_position('{1,2,3,2}'::int[], 2, 3), array_position('[0:3]={1,2,3,2}'::int[], 2, 0),
               array_position('{1,2}'::int[], 2, 9), array_position('{1,2}'::int[], 2, -5);
        SELECT array_position('{1,2}'::int[], 2, NULL);
        SELECT array_position('{{1,2},{3,4}}'::int[], 1);
        SELECT array_position(ARRAY['a','b'], 'b'), array_position(ARRAY[1.0, 2.50], 2.5),
               array_position('{NaN}'::float8[], 'NaN');
        SELECT array_positions(NULL::int[], 1), array_positions('{}'::int[], 1),
               array_positions('[0:3]={1,2,1,NULL}'::int[], 1), array_positions('{1,NULL}'::int[], NULL);
        SELECT array_positions('{{1}}'::int[], 1);
        SELECT array_replace(NULL::int[], 1, 2), array_replace('{NaN,1}'::float8[], 'NaN', 0),
               array_replace('{}'::int[], 1, 2), array_replace('[0:1][1:2]={{1,NULL},{1,2}}'::int[], 1, 7),
               array_replace('{1,NULL}'::int[], NULL, 5), array_replace('{a,b}'::text[], 'a', 'z');
        SELECT trim_array('{}'::int[], 0), trim_array('{1}'::int[], NULL), trim_array('[0:2]={1,2,3}'::int[], 1),
               trim_array('{{1,2},{3,4}}'::int[], 1), trim_array(ARRAY[1,2,3], 3);
        SELECT trim_array('{}'::int[], 1);
        SELECT trim_array(ARRAY[1,2,3], -1);
        SELECT array_remove('{1,2}'::int[], NULL), array_remove('{1,NULL}'::int[], NULL),
               array_remove('{1}'::int[], 1), array_remove('[0:2]={1,2,1}'::int[], 1);
        SELECT array_remove('{{1,2},{3,4}}'::int[], 1);
    """,
    "multidimensional_unnest_and_agg": """
        SELECT unnest('{{1,2},{3,4}}'::int[]);
        SELECT * FROM unnest('[0:1][2:3]={{1,2},{3,4}}'::int[]) WITH ORDINALITY;
        SELECT * FROM unnest('{{1.50,2},{3,4}}'::numeric[], '{a,b,c}'::text[]);
        SELECT u FROM (VALUES ('{{1,2},{3,4}}'::int[]), ('{5}')) v(a), unnest(a) u;
        SELECT unnest(a) FROM (VALUES ('{{1,2},{3,4}}'::int[]), ('{5}')) v(a);
        SELECT array_agg(x) FROM (VALUES ('{1,2}'::int[]), ('{3,4}')) v(x);
        SELECT array_agg(x) FROM (VALUES ('[0:1]={1,2}'::int[]), ('[0:1]={3,4}')) v(x);
        SELECT array_agg(x) FROM (VALUES ('{{1,2}}'::int[]), ('{{3,4}}')) v(x);
        SELECT array_agg(x ORDER BY x DESC) FROM (VALUES ('{1,2}'::numeric[]), ('{3,4.50}')) v(x);
        SELECT array_agg(x) FROM (VALUES ('{a,b}'::text[])) v(x) WHERE false;
        SELECT array_agg(x) FROM (VALUES ('{1,2}'::int[]), ('{3}')) v(x);
        SELECT array_agg(x) FROM (VALUES ('{1,2}'::int[]), (NULL)) v(x);
        SELECT array_agg(x) FROM (VALUES ('{}'::int[]), ('{1}')) v(x);
    """,
    "array_odds_and_ends": """
        SELECT unnest('{1,2,3}'::int[]), generate_subscripts('{1,2,3}'::int[], 1);
        SELECT unnest('[0:2]={1,2,3}'::int[]), generate_subscripts('[0:2]={1,2,3}'::int[], 1);
        SELECT unnest(ARRAY[1,2]), unnest(ARRAY['a','b','c']);
        SELECT generate_series(1, 3), unnest(ARRAY[1,2]);
        SELECT ARRAY(SELECT ARRAY[i, i + 1] FROM generate_series(1, 3) i);
        SELECT ARRAY(SELECT '[0:0]={7}'::int[] FROM generate_series(1, 2));
        SELECT ARRAY(SELECT NULL::int[]);
        SELECT ARRAY(SELECT '{1}'::int[] WHERE false);
        SELECT array_length(ARRAY[1], 0), array_length(ARRAY[1], -1), array_upper('{}'::int[], 1);
        SELECT array_fill(1, ARRAY[-1]);
        SELECT array_fill(1, ARRAY[3,2,0]);
        SELECT (ARRAY[1,2,3])[1.7], (ARRAY[1,2,3])['2'], (ARRAY[1,2,3])[1.5:2.5];
        SELECT (ARRAY[1])[x] FROM (VALUES (true)) v(x);
        SELECT (ARRAY[1])[x::text] FROM (VALUES (1)) v(x);
    """,
    "array_to_json": """
        SELECT array_to_json('[0:1]={1,2}'::int[]), array_to_json('{{1,2},{3,4}}'::int[], true),
               array_to_json('{}'::int[], true), array_to_json(NULL::int[], true);
        SELECT array_to_json('{"a,b","c\\"]d",NULL}'::text[], true), array_to_json('{1.50,NaN}'::numeric[], false);
        SELECT array_to_json('{a}'::text[], NULL);
        SELECT array_to_json(1);
    """,
    "array_literal_errors": """
        SELECT '{{1},2}'::int[];
        SELECT '{1,{2}}'::int[];
        SELECT '{{1},{2,3}}'::int[];
        SELECT '{{1},NULL}'::int[];
        SELECT '{{1},"2"}'::int[];
        SELECT '{{},{}}'::int[];
        SELECT '{{}}'::int[];
        SELECT '{{1},{}}'::int[];
        SELECT '{}'::int[], '{ }'::int[], '{ {1} , {2} }'::int[], '{{{1,2}},{{3,4}}}'::int[];
    """,
    "plpgsql_element_assignment": """
        DO $$DECLARE a int[] := '{1,2}'; BEGIN a[0] := 9; a[4] := 5; RAISE NOTICE '%', a; END$$;
        DO $$DECLARE a int[]; BEGIN a[3] := 9; RAISE NOTICE '% %', a, array_dims(a); END$$;
        DO $$DECLARE a int[] := '[0:1]={1,2}'; BEGIN RAISE NOTICE '% % %', a[0], a[1], array_lower(a, 1); END$$;
        DO $$DECLARE a int[] := '{{1,2},{3,4}}'; BEGIN a[2][1] := 0; RAISE NOTICE '%', a; END$$;
        DO $$DECLARE a int[] := '[0:2]={1,2,3}'; x int; BEGIN FOREACH x IN ARRAY a LOOP RAISE NOTICE '%', x; END LOOP; END$$;
        DO $$DECLARE a int[] := '{}'; BEGIN a[-2] := 1; RAISE NOTICE '%', a; END$$;
        DO $$DECLARE a numeric[]; t text[] := '{x}'; b bytea[]; BEGIN a[2] := 1.50; t[3] := 'y z'; b[1] := '\x01';
            RAISE NOTICE '% % %', a, t, b; END$$;
        DO $$DECLARE a int[] := '{{1,2},{3,4}}'; BEGIN a[3][1] := 0; END$$;
        DO $$DECLARE a int[] := '{1,2}'; BEGIN a[1][1] := 0; END$$;
        DO $$DECLARE a int[] := '{1,2}'; BEGIN a[NULL] := 0; END$$;
    """,
    "any_all": """
        SELECT 1 = ANY (ARRAY[[1,2],[3,4]]), 5 > ALL (ARRAY[[1,2],[3,4]]), 3 <> ALL ('{{1},{NULL}}'::int[]);
        SELECT x FROM generate_series(1, 5) x WHERE x = ANY ('[0:1]={2,4}'::int[]);
        SELECT 1.50 = ANY ('{1.5,2}'::numeric[]), 1.5 = ANY ('{{1.5,2}}'::numeric[]), 1.50 = ANY ('{1.50,2}'::numeric[]),
               'NaN'::numeric = ANY ('{NaN}'::numeric[]), 'b' = ANY ('{{a},{b}}'::text[]);
        SELECT 'Infinity'::float8 = ANY ('{Infinity,1}'::float8[]), 'NaN'::float8 = ANY ('{NaN}'::float8[]),
               1.5::float8 > ALL ('{1,-Infinity}'::float8[]), '\x01'::bytea = ANY (ARRAY['\x01'::bytea]);
        SELECT x FROM (VALUES (1.5), (2.0), (3)) v(x) WHERE x = ANY ('{2,3.00}'::numeric[]) ORDER BY x;
    """,
    "string_to_table": """
        SELECT * FROM string_to_table('a,b,,c', ',');
        SELECT string_to_table('a,b,,c', ',', '');
        SELECT * FROM string_to_table('abc', NULL);
        SELECT * FROM string_to_table('abc', '');
        SELECT * FROM string_to_table(NULL, ',');
        SELECT * FROM string_to_table('a|b|NA', '|', 'NA') WITH ORDINALITY;
        SELECT x, string_to_table(x, ',') FROM (VALUES ('1,2'), ('3')) v(x);
        SELECT t FROM (VALUES ('1,2'), ('3')) v(x), string_to_table(x, ',') t;
        SELECT string_to_table('a b', ' ') AS p, 1;
        SELECT * FROM string_to_table('x,y', ',') s(v);
    """,
    "width_bucket_thresholds": """
        SELECT width_bucket(5, ARRAY[1,3,6]), width_bucket(5.5, ARRAY[1.0, 3, 6]), width_bucket(0, ARRAY[1]),
               width_bucket(10, ARRAY[1,3,6]);
        SELECT width_bucket(1, ARRAY[3,1]), width_bucket(3, ARRAY[1,3,3,5]), width_bucket('m', ARRAY['a','n','z']),
               width_bucket(2, '{}'::int[]);
        SELECT width_bucket(1, ARRAY[[1,2]]);
        SELECT width_bucket(1, ARRAY[1,NULL]);
        SELECT width_bucket(NULL::int, ARRAY[1]), width_bucket(1, NULL::int[]);
        SELECT width_bucket('NaN'::float8, ARRAY[1, 'NaN']::float8[]), width_bucket(5::float8, ARRAY[1, 'NaN']::float8[]);
        SELECT width_bucket(5, ARRAY[1.5, 6]), width_bucket(5.0, ARRAY[1, 2, 3, 4, 5, 6]),
               width_bucket(7, '[0:2]={1,2,3}'::int[]);
        SELECT width_bucket(date '2020-01-02', ARRAY[date '2020-01-01', date '2021-01-01']);
    """,
    "bounded_arrays_elsewhere": """
        SELECT concat(VARIADIC '[0:1]={a,b}'::text[]), format('%s %s', VARIADIC '[0:1]={a,b}'::text[]),
               concat_ws('-', VARIADIC '[0:1]={a,b}'::text[]);
        SELECT percentile_cont('[0:1]={0.5,0.9}'::float8[]) WITHIN GROUP (ORDER BY x) FROM generate_series(1, 10) x;
        SELECT percentile_cont('[0:1][2:2]={{0.5},{0.9}}'::float8[]) WITHIN GROUP (ORDER BY x),
               percentile_disc('[-1:0]={0.1,NULL}'::float8[]) WITHIN GROUP (ORDER BY x) FROM generate_series(1, 10) x;
        SELECT float8_accum('[0:2]={0,0,0}'::float8[], 1);
        CREATE FUNCTION ab_vf(VARIADIC a int[]) RETURNS text LANGUAGE sql AS 'SELECT array_dims(a)';
        SELECT ab_vf(VARIADIC '[0:1]={1,2}'::int[]), ab_vf(1, 2);
        SELECT array_to_string(array_agg(x), ',') FROM unnest('[0:2]={3,1,2}'::int[]) x;
        SELECT max(a), min(a) FROM (VALUES ('[0:1]={1,2}'::int[]), ('{1,2}')) v(a);
        SELECT '[0:1]={2020-01-02,infinity}'::date[], '[2:2]={t}'::bool[], '[5:5]={1 day}'::interval[],
               '[0:1]={"\\x01",NULL}'::bytea[], ('[0:1]={2020-01-02,2021-01-01}'::date[])[1];
        CREATE TABLE ab_dates (a date[]);
        INSERT INTO ab_dates VALUES ('[0:1]={2020-01-02,2020-01-03}');
        UPDATE ab_dates SET a[-1] = '2019-12-31';
        SELECT a, a[0] FROM ab_dates;
        CREATE TABLE ab_copy (a int[]);
        INSERT INTO ab_copy VALUES ('[0:1]={1,2}'), ('{3}');
        COPY ab_copy TO STDOUT;
    """,
    "array_constructor_of_arrays": """
        SELECT ARRAY['[0:1]={1,2}'::int[]], ARRAY['[0:1]={1,2}'::int[], '[0:1]={3,4}'::int[]];
        SELECT ARRAY['{1,2}'::int[], '[0:1]={3,4}'::int[]];
        SELECT ARRAY[ARRAY[1,2], '[0:1]={3,4}'];
        SELECT ARRAY[a, b] FROM (VALUES ('{1,2}'::int[], '{3,4}'::int[]), ('{}', '{}'), (NULL, NULL)) v(a, b);
        SELECT ARRAY[a, b] FROM (VALUES ('{1,2}'::int[], NULL::int[])) v(a, b);
        SELECT ARRAY[a, b] FROM (VALUES ('{1,2}'::int[], '{3}'::int[])) v(a, b);
        SELECT ARRAY[a, ARRAY[[5,6]]] FROM (VALUES ('{{1,2}}'::int[])) v(a);
        SELECT ARRAY['{1.50}'::numeric[], '{2}'], ARRAY['{a}'::text[], '{"b c"}'];
        SELECT ARRAY[ARRAY[1,2], ARRAY[3,4]], ARRAY[[1,2],[3,4]], ARRAY[ARRAY['a']];
        SELECT row('[0:1]={1,2}'::int[], 'x'), row('{1,2}'::int[]);
    """,
    "slice_assignment": """
        CREATE TABLE ab_slice (id int, a int[]);
        INSERT INTO ab_slice VALUES (1, '{1,2,3,4}'), (2, NULL), (3, '[0:1]={7,8}'), (4, '{}');
        UPDATE ab_slice SET a[2:3] = '{20,30}' WHERE id = 1;
        UPDATE ab_slice SET a[5:6] = '{50,60,70}' WHERE id = 1;
        UPDATE ab_slice SET a[2:3] = '{9,9}' WHERE id = 2;
        UPDATE ab_slice SET a[-1:0] = '{5,6}' WHERE id = 3;
        SELECT id, a FROM ab_slice ORDER BY id;
        UPDATE ab_slice SET a[:1] = '{1,1}' WHERE id = 4;
        UPDATE ab_slice SET a[2:3] = '{1}' WHERE id = 1;
        UPDATE ab_slice SET a[3:2] = '{1}' WHERE id = 1;
        UPDATE ab_slice SET a[:1] = '{11,12}' WHERE id = 3;
        UPDATE ab_slice SET a[8:] = '{1,2}' WHERE id = 1;
        UPDATE ab_slice SET a[NULL:2] = '{1,2}' WHERE id = 1;
        UPDATE ab_slice SET a[1:2][1:2] = '{{1,2},{3,4}}' WHERE id = 4;
        UPDATE ab_slice SET a[:] = '{7,7,7,7,7,7,7}' WHERE id = 1;
        UPDATE ab_slice SET a[2:3] = NULL WHERE id = 3;
        SELECT id, a FROM ab_slice ORDER BY id;
        UPDATE ab_slice SET a[1:2] = DEFAULT;
        INSERT INTO ab_slice (id, a[2:3]) VALUES (5, '{1,2}') RETURNING a;
    """,
    # not arrays: functions in the session's temporary schema, found only when qualified
    "pg_temp_functions": """
        SELECT pg_temp.nosuch();
        CREATE FUNCTION pg_temp.ptf() RETURNS int LANGUAGE sql AS 'SELECT 1';
        CREATE FUNCTION pg_temp.ptf(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 1';
        CREATE FUNCTION pg_temp.ptg() RETURNS int LANGUAGE plpgsql AS 'BEGIN RETURN 7; END';
        SELECT pg_temp.ptf(), pg_temp.ptf(4), pg_temp.ptg();
        SELECT * FROM pg_temp.ptf();
        SELECT ptf(4);
        SELECT ptg();
        SET search_path = pg_temp, public;
        SELECT ptf();
        RESET search_path;
        CREATE FUNCTION public.ptf() RETURNS int LANGUAGE sql AS 'SELECT 2';
        SELECT ptf(), pg_temp.ptf();
        DROP FUNCTION ptf();
        DROP FUNCTION pg_temp.ptf();
        SELECT pg_temp.ptf();
        DROP FUNCTION ptf(int);
        SELECT n.nspname LIKE 'pg_temp%' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.proname = 'ptg';
        SELECT nosch.f(1);
        SELECT public.nosuch(1, 'a');
        SELECT a.b.c(1);
        SELECT a.b.c.d(1);
        SELECT information_schema.nosuch(1);
    """,
    # json_agg keeps each item's JSON text ([1,2]: no spaces), joined by ", ", an array or
    # record item after the first on a new line; json_object_agg keeps the values' texts
    "json_agg_of_arrays": """
        SELECT json_agg(a) FROM (VALUES (array[1,2]), (array[3,4])) v(a);
        SELECT json_agg(a) FROM (VALUES (array[1,2]), (NULL), (array[3,4])) v(a);
        SELECT json_agg(a) FROM (VALUES (NULL::int[]), (array[3,4])) v(a);
        SELECT json_agg(x) FROM (VALUES (1), (NULL), (3)) v(x);
        SELECT json_agg(x) FROM (VALUES ('{"a":  1}'::json), ('[1,  2]')) v(x);
        SELECT json_agg(x) FROM (VALUES ('{"a":  1}'::jsonb), ('[1,  2]')) v(x);
        SELECT json_agg(r) FROM (VALUES (1, array[1,2]), (2, NULL)) r(a, b);
        SELECT json_agg(x ORDER BY x DESC) FROM (VALUES (array['a']), (array['b', NULL])) v(x);
        SELECT json_agg(x) OVER (ORDER BY x) FROM (VALUES (array[1.5]), (array[2.0])) v(x);
        SELECT json_agg(a) FROM (VALUES (array[[true,false]]), (array[[NULL::bool]])) v(a);
        SELECT json_object_agg(k, v) FROM (VALUES ('a', array[1,2]), ('b', NULL)) t(k, v);
        SELECT json_object_agg(k, v) FROM (VALUES ('a', '{"x":  1}'::json)) t(k, v);
        SELECT jsonb_agg(a), jsonb_object_agg('k', a) FROM (VALUES (array[[1,2]])) v(a);
        SELECT json_agg(true), json_agg('x'::text), json_agg(row(1, 'a'));
        SELECT to_json(array[[1,2],[3,4]]), to_jsonb(array[[1,2],[3,4]]), array_to_json(array[[1.50,2]]),
               array_to_json(array['a', NULL]), row_to_json(r) FROM (VALUES (1, array[[1,2]], array['x'])) r(a, b, c);
    """,
    # (anyarray, anyarray) operators take arrays of one type; || finds the common type
    "array_operators_of_two_types": """
        SELECT '{1}'::int[] = '{1}'::bigint[];
        SELECT '{1}'::int[] @> '{1}'::bigint[];
        SELECT '{1}'::int[] && '{1}'::bigint[];
        SELECT '{1}'::int[] >= '{1}'::numeric[];
        SELECT array[1] = array[1::bigint], 1;
        SELECT '{a}'::varchar[] = array['a'];
        SELECT '{1}'::int[] <> '{1}'::text[];
        SELECT '{1}'::int[] || '{1}'::bigint[], '{1}'::int[] || 2::bigint, 2::bigint || '{1}'::int[];
        SELECT array[1] = '{1}', array[1] = NULL, array[1] = array[1], '{a}'::varchar[] = '{a}';
        CREATE DOMAIN ao_ia AS int[];
        SELECT '{1}'::ao_ia = '{1}'::int[], '{1}'::ao_ia @> array[1];
        DROP DOMAIN ao_ia;
    """,
    # json_object / jsonb_object over text arrays: pairs, two-column rows, keys and values
    "json_object_of_text_arrays": """
        SELECT json_object('{a,1,b,2}'), jsonb_object('{a,1,b,2}'), json_object('{{a,1},{b,2}}'), jsonb_object('{{a,1},{b,2}}');
        SELECT json_object('{a,b}', '{1,2}'), jsonb_object('{a,b}', '{1,2}');
        SELECT json_object('{a,1,b}');
        SELECT jsonb_object('{a,1,b}');
        SELECT jsonb_object('{a,b}', '{1}');
        SELECT jsonb_object('{{a,1,c},{b,2,d}}');
        SELECT json_object('{null,1}');
        SELECT jsonb_object('{null}', '{1}');
        SELECT jsonb_object('{{{a}}}');
        SELECT jsonb_object('{a,b}', '{{1},{2}}');
        SELECT json_object('{{a},{b}}', '{{1},{2}}');
        SELECT jsonb_object('{{}}');
        SELECT json_object('{a}', NULL), jsonb_object(NULL::text[]);
        SELECT json_object('{}', '{}'), json_object('{}'), jsonb_object('{}', '{}'), jsonb_object('{}');
        SELECT json_object('{a,b,a}', '{1,null,"x y"}'), jsonb_object('{a,b,a}', '{1,null,"x \\"y"}');
        SELECT json_object('{{b,1},{a,2},{"é",3}}'), jsonb_object('{{bb,1},{a,2},{"é",3}}');
        SELECT json_object('[0:1]={a,1}'), jsonb_object('[2:3]={a,b}', '{1,2}'), jsonb_object('{a,null}');
        SELECT pg_typeof(json_object('{}')), pg_typeof(jsonb_object('{}')), jsonb_object(array['k', 'v']) -> 'k';
    """,
    # arrays of composites as json: their elements objects, as row_to_json prints them
    "json_of_record_arrays": """
        CREATE TYPE jr_pt AS (x int, y text, z int[]);
        CREATE TABLE jr_t (a int, b text[]);
        INSERT INTO jr_t VALUES (1, '{x,y}'), (2, NULL);
        SELECT to_json(array[row(1, 'a', array[1,2])::jr_pt, NULL]);
        SELECT array_to_json(array[row(1, 'a', NULL)::jr_pt]), to_jsonb(array[row(1, 'a', array[1])::jr_pt]);
        SELECT to_json(array_agg(t ORDER BY a)), to_jsonb(array_agg(t ORDER BY a)) FROM jr_t t;
        SELECT array_to_json(array_agg(t ORDER BY a), true) FROM jr_t t;
        SELECT json_agg(array[t]) FROM jr_t t;
        SELECT row_to_json(s) FROM (SELECT array_agg(t ORDER BY a) AS ts FROM jr_t t) s;
        SELECT to_json(array[[row(1, 'a', NULL)::jr_pt]]);
        SELECT to_json(array[row(1, 'a'), row(2, 'b')]), to_jsonb(array[row(1, 'a'), row(2, 'b')]);
        SELECT array_to_json(array[row(1, 'a'), row(2, NULL)]), array_to_json(array[row(1, 'a'), row(2, 'b')], true);
        SELECT to_json(array[r]) FROM (VALUES (1, 'a')) r(x, y);
        SELECT to_json(array[r, r]), to_jsonb(array[r]) FROM (SELECT 1.50 AS n, array[1,2] AS a, true AS b) r;
        SELECT to_json(array[row(1, 'a'), NULL]), to_json(array[row(1, 'a'), row('x', 2)]);
        SELECT to_json(array[row(1, 'a')]) -> 0 ->> 'f1';
        SELECT json_agg(array[row(1, 'a')]), json_build_object('a', array[row(1, 'a')]), jsonb_agg(array[row(2, 'b')]);
        SELECT json_agg(array[r]) FROM (VALUES (1, 'a'), (2, 'b')) r(x, y);
        SELECT json_agg(t) FROM (SELECT 1 a, array[[1,2]] b UNION ALL SELECT 2, NULL) t;
        SELECT array[1] UNION ALL SELECT NULL;
        SELECT NULL UNION ALL SELECT array[1];
        SELECT 1, 'a' UNION ALL SELECT NULL, NULL UNION ALL SELECT 3, 'c';
        SELECT now()::date IS NOT NULL UNION ALL SELECT NULL;
        SELECT NULL UNION SELECT NULL;
        DROP TABLE jr_t;
        DROP TYPE jr_pt;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "arrays_pg15_case")
    got = run_script_in_fresh_database(shared_server, script, "arrays_pg15_case")
    assert got == expected
    assert "ERROR" not in expected or "ERROR" in got


VALUES = ["'[0:2]={1,2,3}'::int4[]", "'[-2:-1][3:4]={{1,2},{3,NULL}}'::int8[]",
          "'[5:6]={a,\"b c\"}'::text[]", "'[0:1]={1.50,NaN}'::numeric[]", "'{1,2}'::int4[]", "'{}'::int4[]"]


def test_psycopg_binary_round_trip(shared_server, pg15):
    """psycopg's binary loader reads what pgsvc sends for arrays with lower bounds as it reads
    PostgreSQL's; binary COPY out gives PostgreSQL's bytes, and loading them back (binary COPY
    in) keeps the bounds on both servers."""
    got = []
    for dsn in (shared_server.dsn(), pg15.dsn()):
        with psycopg.connect(dsn, autocommit=True) as conn:
            out = []
            for v in VALUES:
                out.append(conn.execute(f"SELECT {v}, array_dims({v}), ({v})::text", binary=True).fetchone())
            with conn.cursor().copy("COPY (SELECT '[0:1]={5,6}'::int4[] UNION ALL SELECT '[-3:-3]={7}'::int4[]) "
                                    "TO STDOUT (FORMAT binary)") as cp:
                data = b"".join(bytes(c) for c in cp)
            conn.execute("DROP TABLE IF EXISTS ab_bin")
            conn.execute("CREATE TABLE ab_bin (a int4[])")
            with conn.cursor().copy("COPY ab_bin FROM STDIN (FORMAT binary)") as cp:
                cp.write(data)
            out.append(conn.execute("SELECT a::text, array_dims(a), a[0] FROM ab_bin ORDER BY 1").fetchall())
            out.append(data)
            got.append(out)
    assert got[0] == got[1]
    assert got[0][0][1:] == ("[0:2]", "[0:2]={1,2,3}")


def test_temp_functions_end_with_the_session(shared_server, pg15):
    """A function created in pg_temp is dropped when its session ends, as in PostgreSQL (which
    drops it as the backend exits: polled for up to 10 s on both)."""
    got = []
    for dsn in (shared_server.dsn(), pg15.dsn()):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE FUNCTION pg_temp.gone_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'")
            during = conn.execute("SELECT count(*) FROM pg_proc WHERE proname = 'gone_fn'").fetchone()
        deadline = time.monotonic() + 10
        with psycopg.connect(dsn, autocommit=True) as conn:
            while True:
                after = conn.execute("SELECT count(*) FROM pg_proc WHERE proname = 'gone_fn'").fetchone()
                if after == (0,) or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        got.append((during, after))
    assert got[0] == got[1] == ((1,), (0,))
