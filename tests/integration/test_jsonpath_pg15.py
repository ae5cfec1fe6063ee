"""jsonpath side by side with PostgreSQL 15: the type's input (its syntax errors, numeric
literals, escapes, the @ and last checks) and canonical output, and its execution through
@?, @@ and the jsonb_path_* functions (lax and strict modes, filters, arithmetic, item
methods, .** levels, subscripts with last, vars, silent). Each psql script must print the
same on both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

SETUP = """
    CREATE TABLE docs (id int, doc jsonb);
    INSERT INTO docs VALUES
        (1, '{"name": "ann", "tags": ["x", "y"], "score": 7.5, "items": [{"q": 2, "p": 1.25}, {"q": 5, "p": 0.5}]}'),
        (2, '{"name": "Bob", "tags": [], "score": -3, "items": [{"q": 1, "p": 10}], "extra": null}'),
        (3, '[1, [2, [3, "four"]], {"k": true}]'),
        (4, NULL);
"""

CASES = {
    "input_and_output": """
        SELECT 'strict $.k1.k2[*]'::jsonpath, 'lax $ ? (@.q > 2 && !(@.p < 1))'::jsonpath;
        SELECT '$.x.**{1 to last}.y'::jsonpath, '$.**{3}'::jsonpath, '$.**{last to 1}'::jsonpath;
        SELECT '-$.a * (2 + $.b) % 7'::jsonpath, '+-(3)'::jsonpath, '(($.m)).n'::jsonpath;
        SELECT '$.v[0, 2 to last, $.i]'::jsonpath, '$ ? (@ starts with $pre)'::jsonpath;
        SELECT '$.s ? (@ like_regex "^a.c$" flag "mi")'::jsonpath, '$.s like_regex "z" flag "qx"'::jsonpath;
        SELECT '$.t.type().size().abs().floor().ceiling().double().keyvalue()'::jsonpath;
        SELECT '"esc\\t\\u0041\\x42"'::jsonpath, '$."quoted key".plain'::jsonpath, '$strict.lax'::jsonpath;
        SELECT '2.50e1'::jsonpath, '.5'::jsonpath, '7.'::jsonpath, '(7).a'::jsonpath, '3.4.abs()'::jsonpath;
        SELECT '($.a == 1) is unknown'::jsonpath, 'exists($.a ? (@ != null))'::jsonpath;
        SELECT '  '::jsonpath;
        SELECT '$.a +'::jsonpath;
        SELECT '$ ? (2)'::jsonpath;
        SELECT '5x'::jsonpath;
        SELECT '4e'::jsonpath;
        SELECT '$.q == 1 == 2'::jsonpath;
        SELECT '@.a'::jsonpath;
        SELECT '$[0] + last'::jsonpath;
        SELECT '$ ? (@ like_regex "x" flag "g")'::jsonpath;
        SELECT '$ ? (@ like_regex "x" flag "xi")'::jsonpath;
        SELECT '$ ? (@ like_regex "a(b")'::jsonpath;
        SELECT '$.k k2'::jsonpath;
        SELECT '$.k "s"'::jsonpath;
    """,
    "operators_and_functions": """
        SELECT id, doc @? '$.items[*] ? (@.q > 3)', doc @@ '$.score > 0', doc @? 'strict $.nope' FROM docs ORDER BY id;
        SELECT id, jsonb_path_query_array(doc, '$.items[*].p * 2'), jsonb_path_query_first(doc, '$.tags[last]')
          FROM docs ORDER BY id;
        SELECT id, jsonb_path_exists(doc, '$.name ? (@ starts with $s)', '{"s": "B"}'),
               jsonb_path_match(doc, 'exists($.extra)') FROM docs ORDER BY id;
        SELECT jsonb_path_query(doc, 'lax $.**{2 to 3}') FROM docs WHERE id = 3;
        SELECT jsonb_path_query(doc, '$.**.k') FROM docs WHERE id = 3;
        SELECT jsonb_path_query(doc, '$.keyvalue() ? (@.key starts with "s")') FROM docs WHERE id < 3 ORDER BY 1;
        SELECT id, jsonb_array_elements(doc -> 'tags'), jsonb_path_query(doc, '$.items[*].q') FROM docs ORDER BY id;
        SELECT jsonb_path_query('[1.5, -2.5, "3.25", 4]', '$[*].double().floor()');
        SELECT jsonb_path_query('[0, 1, 2, 3, 4, 5]', '$[1 to 2, last - 1]');
        SELECT jsonb_path_query('{"a": [1, "b", null, true, {"c": 1}]}', '$.a[*].type()');
        SELECT jsonb_path_query_array('[7, 8, 9]', '$[*] ? (@ >= $lo && @ < $hi)', '{"lo": 8, "hi": 10}');
        SELECT jsonb_path_query_array('["Apple", "apricot", "Banana"]', '$[*] ? (@ like_regex "^ap" flag "i")');
        SELECT jsonb_path_query('{"a": 10}', '$.a / 4'), jsonb_path_query_first('{"a": 10}', '$.a % 4');
        SELECT jsonb_path_query('[1, "x", 2]', '$[*] ? ((@ > 1) is unknown)');
        SELECT jsonb_path_query('[3, [4, 5]]', '$.size()');
        SELECT jsonb_path_query('{"a": 3}', 'strict $.b');
        SELECT jsonb_path_query('{"a": 3}', 'strict $.b', '{}', true);
        SELECT jsonb_path_query('[1]', 'strict $[3]');
        SELECT jsonb_path_query('{"a": 3}', '$.a + "t"');
        SELECT jsonb_path_query('{"a": 3}', '$.a / 0');
        SELECT jsonb_path_query('{"a": "z"}', '$.a.abs()');
        SELECT jsonb_path_query('{"a": 3}', '$.a ? (@ == $missing)');
        SELECT jsonb_path_query('{"a": 3}', '$.a', '[1]');
        SELECT jsonb_path_match('[true, false]', '$[*]');
        SELECT jsonb_path_match('[true, false]', '$[*]', '{}', true), jsonb_path_match('{"a": 1}', '$.a == 1');
        SELECT jsonb_path_exists('{"a": 3}', 'strict $.a.size()', '{}', true), '1'::jsonb @? 'strict $.size()';
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in (SETUP + CASES[name]).strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "jsonpath_pg15")
    got = run_script_in_fresh_database(shared_server, script, "jsonpath_pg15")
    assert got == expected
