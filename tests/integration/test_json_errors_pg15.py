"""Text that is not JSON, side by side with PostgreSQL 15: the DETAIL its JSON parser gives
(invalid tokens as whole runs of letters and digits, "Expected ..., but found ...", control
characters and escapes in strings, the input ending early) and its CONTEXT line (the line
number, the excerpt up to the token, "..." around it). Each psql script must print the same
on both servers."""

from __future__ import annotations

from test_compare_pg15 import run_script_in_fresh_database

SCRIPT = r"""
        select '{"k" 1}'::json;
        select '[true, fals]'::jsonb;
        select '{"a": 1,}'::json;
        select '{,}'::jsonb;
        select '[1 2]'::json;
        select '{"a": [1, 2}'::jsonb;
        select '-'::json;
        select '1.e5'::jsonb;
        select '2E+'::json;
        select '"x\qy"'::jsonb;
        select '"tab<TAB>here"'::json;
        select '"\u12"'::json;
        select '   '::jsonb;
        select '{"a": '::json;
        select '{
        "first": 1,
        "second": [1, 2,, 3]
        }'::jsonb;
        select '{"a_rather_long_key_name_here": "a rather long value string here too", "b": nul}'::json;
        select 'nulls'::json, 1;
        select '"é"x'::jsonb;
        select '{"a":1} {"b":2}'::json;
"""


def test_json_syntax_errors_same_as_postgres(shared_server, pg15):
    script = "\n".join(line.strip() for line in SCRIPT.strip().splitlines()).replace("<TAB>", "\t")
    expected = run_script_in_fresh_database(pg15, script, "json_errors_pg15")
    got = run_script_in_fresh_database(shared_server, script, "json_errors_pg15")
    assert got == expected
