"""json / jsonb field and path access side by side with PostgreSQL 15: json_extract_path and
json_extract_path_text (and the jsonb ones) with their path spread over variadic text
arguments or given as VARIADIC array, and json's access operators returning the value's own
text (spacing, number spelling, the last of a key given twice, negative subscripts), its
strings decoded by ->> and #>>. Each psql script must print the same on both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

SETUP = """
    CREATE TABLE ja (id int, j json, b jsonb);
    INSERT INTO ja VALUES
        (1, '{"k": {"n" : 1.50, "s": "t\\u00e4b\\tx"}, "l": [10, [ 20,30 ], {"z" :null}]}',
            '{"k": {"n" : 1.50, "s": "tab"}, "l": [10, [20, 30], {"z": null}]}'),
        (2, ' [ "x", {"d":1, "d" : [2 ,3]} ] ', '["x", {"d": [2, 3]}]'),
        (3, NULL, NULL);
"""

CASES = {
    "extract_path_functions": """
        SELECT id, json_extract_path(j, 'k', 'n'), json_extract_path_text(j, 'k', 's'), jsonb_extract_path(b, 'l', '1'),
               jsonb_extract_path_text(b, 'k', 'n') FROM ja ORDER BY id;
        SELECT id, json_extract_path(j, 'l', '-1', 'z'), json_extract_path_text(j, 'l', '-1', 'z') IS NULL,
               json_extract_path(j, '1', 'd'), jsonb_extract_path(b, '1', 'd', '0') FROM ja ORDER BY id;
        SELECT json_extract_path(j, VARIADIC ARRAY['k', 's']), jsonb_extract_path_text(b, VARIADIC '{l,0}') FROM ja
          WHERE id = 1;
        SELECT json_extract_path(j, 'k', NULL), json_extract_path(j, 'nope'), json_extract_path(j, 'l', 'x') FROM ja
          WHERE id = 1;
        SELECT json_extract_path('{"a": [1, {"b": "c"}]}', 'a', '1', 'b'), jsonb_extract_path('[0, 1]', '1');
    """,
    "json_operators_keep_text": """
        SELECT id, j -> 'k', j -> 'l' -> 1, j -> 1 -> 'd', j #> '{l,1}', j #>> '{k}', j #>> '{k,s}' FROM ja ORDER BY id;
        SELECT id, j -> -1, j -> 5, j -> 'k' ->> 'n', j ->> 0, j #> '{}' FROM ja ORDER BY id;
        SELECT '{"a" : 1 , "a" : {"b":[ 1 ]}}'::json -> 'a', '[1, 2]'::json -> '0', '[1, [2 ,  3]]'::json #>> '{1}';
        SELECT '{"s": "a\\"b\\\\c\\u0041"}'::json ->> 's', '{"s": "a\\"b"}'::json -> 's', '{"n": 1e+2}'::json ->> 'n';
        SELECT '{"a": null}'::json -> 'a', '{"a": null}'::json ->> 'a' IS NULL, '"x"'::json -> 0, '5'::json #> '{}';
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in (SETUP + CASES[name]).strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "json_access_pg15")
    got = run_script_in_fresh_database(shared_server, script, "json_access_pg15")
    assert got == expected
