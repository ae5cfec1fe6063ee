"""PostgreSQL 15's regular-expression functions side by side with PostgreSQL 15:
regexp_count, regexp_instr (occurrence, end option, subexpression), regexp_substr,
regexp_like, regexp_replace with a start position and an occurrence (0: all) and its
replacement escapes, regexp_split_to_array and regexp_split_to_table (empty matches at the
ends ignored), and regexp.c's errors for bad arguments and options. Each psql script must
print the same on both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "count_instr_substr_like": """
        SELECT regexp_count('abababab', 'aba'), regexp_count('xAxAxa', 'a', 3, 'i'), regexp_count('', 'x*'),
               regexp_count('one two', '\\w+');
        SELECT regexp_instr('hello world', 'o', 1, 2), regexp_instr('hello world', 'o', 1, 2, 1),
               regexp_instr('k1=v1;k2=v2', '(\\w)=(\\w\\d)', 1, 2, 0, '', 2), regexp_instr('abc', '(x)?b', 1, 1, 0, '', 1);
        SELECT regexp_substr('k1=v1;k2=v2', '(\\w)=(\\w\\d)', 1, 2, '', 2), regexp_substr('ABCabc', 'b', 1, 2, 'i'),
               regexp_substr('abc', 'c', 4) IS NULL, regexp_substr('abc', '(b)', 1, 1, '', 2) IS NULL;
        SELECT regexp_like('Hello', '^h', 'i'), regexp_like('Hello', '^h'), regexp_like('line1' || chr(10) || 'line2', '^line2', 'n');
        SELECT regexp_count('abc', 'b', -1);
        SELECT regexp_instr('abc', 'b', 1, 0);
        SELECT regexp_instr('abc', 'b', 1, 1, 3);
        SELECT regexp_substr('abc', 'b', 1, 1, '', -1);
        SELECT regexp_like('abc', 'b', 'g');
        SELECT regexp_count('abc', 'b', 1, 'y');
    """,
    "replace_and_split": """
        SELECT regexp_replace('2020-01-02', '(\\d+)-(\\d+)-(\\d+)', '\\3.\\2.\\1'), regexp_replace('aXbXc', 'x', '-', 1, 0, 'i'),
               regexp_replace('aXbXc', 'x', '-', 1, 2, 'i'), regexp_replace('aaaa', 'a', 'b', 3), regexp_replace('aaaa', 'a', 'b', 2, 0);
        SELECT regexp_replace('abc', 'b', '[\\&][\\\\][\\9]'), regexp_replace('abcabc', 'b', 'X', 'g'), regexp_replace('abc', 'B', 'X', 'i');
        SELECT regexp_split_to_array('a, b ,c', '\\s*,\\s*'), regexp_split_to_array('hello', ''), regexp_split_to_array('a1b2', '\\d*'),
               regexp_split_to_array('', 'x'), regexp_split_to_array('AxBXc', 'x', 'i');
        SELECT w FROM regexp_split_to_table('to be or not', ' ') AS t(w);
        SELECT * FROM regexp_split_to_table('a.b', '[.]', 'g');
        SELECT count(*) FROM regexp_split_to_table('a-b--c', '-');
        SELECT regexp_replace('abc', 'b', 'x', '2');
        SELECT regexp_replace('abc', 'b', 'x', 0);
        SELECT regexp_replace('abc', 'b', 'x', 1, -2);
        SELECT regexp_split_to_array('abc', 'b', 'g');
        SELECT regexp_split_to_array('abc', 'b', 'k');
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "regexp_functions_pg15")
    got = run_script_in_fresh_database(shared_server, script, "regexp_functions_pg15")
    assert got == expected
