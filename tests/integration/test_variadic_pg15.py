"""VARIADIC array arguments side by side with PostgreSQL 15: the built-in functions whose
variadic parameter is "any" (json[b]_build_object, json[b]_build_array, concat,
concat_ws, format, num_nulls, num_nonnulls) take the array's elements as their arguments,
each of the element type (a NULL array gives NULL); typed variadics take the array itself;
the errors (an odd number of elements, a non-array, VARIADIC to a function without a
variadic parameter). And typed NULLs keep their type as operands (j -> NULL::int is
jsonb -> integer). Each psql script must print the same on both."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

SETUP = """
    CREATE TABLE va (id int, keys text[], nums int[], ds date[], js jsonb[], n int);
    INSERT INTO va VALUES (1, '{k1,v1,k2,v2}', '{3,NULL,4}', '{2020-01-02,NULL}', ARRAY['{"x":1}'::jsonb, 'null'], 7),
        (2, '{}', '{}', '{}', '{}', NULL), (3, NULL, NULL, NULL, NULL, 0);
    CREATE TYPE vpt AS (x int, y text);
"""

CASES = {
    "json_builders": """
        SELECT json_build_object(VARIADIC ARRAY['p', '10', 'q', 'r']), jsonb_build_object(VARIADIC '{b,2,a,1}'::text[]);
        SELECT json_build_array(VARIADIC ARRAY[1, NULL, 3]), jsonb_build_array(VARIADIC '{7,8}'::int[]);
        SELECT json_build_object(VARIADIC '{{p,1},{q,2}}'::text[]), jsonb_build_array(VARIADIC '{{1,2},{3,4}}'::int[]);
        SELECT json_build_object(VARIADIC '{}'::text[]), jsonb_build_object(VARIADIC '{}'::text[]),
            json_build_array(VARIADIC '{}'::int[]), jsonb_build_array(VARIADIC '{}'::int[]);
        SELECT json_build_object(VARIADIC NULL::text[]) IS NULL, jsonb_build_array(VARIADIC NULL::int[]) IS NULL;
        SELECT jsonb_build_object(VARIADIC ARRAY[1, 2, 3, 4]), json_build_array(VARIADIC ARRAY[true, false]);
        SELECT json_build_array(VARIADIC ARRAY['2021-03-04'::date]), jsonb_build_array(VARIADIC ARRAY[1.50, 'NaN']);
        SELECT id, json_build_object(VARIADIC keys), jsonb_build_array(VARIADIC nums), json_build_array(VARIADIC ds),
            jsonb_build_array(VARIADIC js) FROM va ORDER BY id;
        SELECT pg_typeof(json_build_array(VARIADIC ARRAY[1])), pg_typeof(jsonb_build_object(VARIADIC ARRAY['a', 'b']));
        SELECT json_build_array(VARIADIC ARRAY[(1, 'a')::vpt, NULL]), jsonb_build_array(VARIADIC ARRAY[(2, 'b')::vpt]);
        SELECT concat(VARIADIC ARRAY[(1, 'a')::vpt]), concat(VARIADIC ARRAY[ROW(1, 2)]);
    """,
    "json_builder_errors": """
        SELECT json_build_object(VARIADIC ARRAY['a', '1', 'b']);
        SELECT jsonb_build_object(VARIADIC '{a,b,c}'::text[]);
        SELECT json_build_object(VARIADIC ARRAY[NULL, 'v']);
        SELECT jsonb_build_object(VARIADIC ARRAY[NULL, 'v']);
        SELECT json_build_array(VARIADIC n) FROM va;
        SELECT jsonb_build_object(VARIADIC n) FROM va;
        SELECT json_build_object(VARIADIC ARRAY[(1, 'a')::vpt, (2, 'b')::vpt]);
        SELECT json_build_object('a', VARIADIC ARRAY['b']);
    """,
    "text_functions": """
        SELECT concat(VARIADIC ARRAY['a', NULL, 'c']), concat(VARIADIC ARRAY[1, 2]), concat(VARIADIC NULL::int[]) IS NULL;
        SELECT concat_ws('-', VARIADIC ARRAY[1, NULL, 3]), concat_ws('-', VARIADIC NULL::text[]) IS NULL;
        SELECT format('%s and %s', VARIADIC ARRAY['x', 'y']), format('%2$s %1$s', VARIADIC ARRAY[1, 2]);
        SELECT id, concat(VARIADIC nums), concat_ws('/', VARIADIC ds), format('[%s]', VARIADIC keys) FROM va ORDER BY id;
        SELECT concat(VARIADIC n) FROM va;
        SELECT format(VARIADIC ARRAY['%s', 'x']);
        SELECT concat('a', VARIADIC ARRAY['b']);
        SELECT concat_ws(VARIADIC keys) FROM va;
    """,
    "num_nulls": """
        SELECT num_nulls(VARIADIC ARRAY[1, NULL, 3]), num_nonnulls(VARIADIC ARRAY[1, NULL, 3]);
        SELECT num_nulls(VARIADIC '{}'::int[]), num_nonnulls(VARIADIC NULL::int[]) IS NULL;
        SELECT id, num_nulls(VARIADIC nums), num_nonnulls(VARIADIC ds) FROM va ORDER BY id;
    """,
    "typed_variadics_and_misuse": """
        SELECT json_extract_path('{"a":{"b":5}}', VARIADIC ARRAY['a', 'b']),
            jsonb_extract_path_text('{"a":{"b":5}}', VARIADIC '{a,b}'::text[]);
        SELECT upper(VARIADIC ARRAY['a']);
        SELECT length(VARIADIC keys) FROM va;
    """,
    "typed_null_operands": """
        SELECT '{"a":1}'::jsonb -> NULL::int, '{"a":1}'::jsonb -> NULL::text, '{"a":1}'::jsonb #> NULL::text[];
        SELECT '[1,2]'::json -> NULL::int, '{"a":1}'::json ->> NULL::text, '{"a":1}'::json #>> NULL::text[];
        SELECT pg_typeof('{"a":1}'::jsonb -> NULL::int), pg_typeof('{"a":1}'::jsonb ->> NULL::int);
        SELECT 1 + NULL::int, NULL::int + 1, 'a' || NULL::text, NULL::int || 'a', NULL::numeric * 2.5;
        SELECT '{"a":1}'::jsonb - NULL::text, '{"a":1}'::jsonb - NULL::int, '{"a":1}'::jsonb ? NULL::text;
        SELECT pg_typeof(NULL::int + NULL::int8), pg_typeof(NULL::date - NULL::date), pg_typeof(NULL::date + NULL::int);
        SELECT NULL::int = NULL::text;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in (SETUP + CASES[name]).strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "variadic_pg15")
    got = run_script_in_fresh_database(shared_server, script, "variadic_pg15")
    assert got == expected


def test_anonymous_record_arrays_are_refused(shared_server):
    """json[b]_build_*(VARIADIC record[]) (ARRAY[ROW(1, 2)]: each element an object with
    fields f1, f2 on PostgreSQL) is a clean 0A000, not the records' texts."""
    import psycopg

    with psycopg.connect(shared_server.dsn(), autocommit=True) as conn:
        for sql in ("SELECT json_build_array(VARIADIC ARRAY[ROW(1, 2)])",
                    "SELECT jsonb_build_object(VARIADIC ARRAY[ROW(1, 2), ROW(3, 4)])"):
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                conn.execute(sql)
