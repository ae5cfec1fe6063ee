"""json[b]_populate_record, json[b]_populate_recordset, json[b]_to_record[set] and json[b]_each[_text] side by side with PostgreSQL 15: fields from the members of their
names (others from the base record), strings, numbers, nested objects into composite fields,
JSON arrays into array fields (and their "expected JSON array" / "malformed JSON array"
errors), json fields keeping their text, dates through their input; in the select list and
in FROM, LATERAL over a table's column too. Each psql script must print the same on both
servers."""

from __future__ import annotations

from test_compare_pg15 import run_script_in_fresh_database

SCRIPT = """
        create type jy as (x int, y text);
        create type jx2 as (a int, t text, ia int[], j json, jb jsonb, d date, r jy);
        create table src (id int, doc json);
        insert into src values (1, '{"a": 3, "ia": [5, null, 6], "r": {"x": 1}}'), (2, '{"t": "z w", "d": "Jan 5 2021"}');
        select * from json_populate_record(null::jx2, '{"a": 1, "t": 2, "ia": [[1,2],[3,4]], "j": {"x" : [1, 2 ]}, "jb": {"x" : 1}, "d": "2020-01-02", "r": {"x": 5, "y": [1]}}') q;
        select a, t from jsonb_populate_record(row(7,'q',null,null,null,null,null)::jx2, '{"t": null, "zz": 1}');
        select s.id, p.a, p.ia, p.d, (p.r).x from src s, json_populate_record(null::jx2, s.doc) p order by s.id;
        select json_populate_record(null::jx2, doc) from src order by id;
        select jsonb_populate_record(null::jy, '{"x": "1", "y": {"k": [1, "s"]}}');
        select json_populate_record(null::jy, '{"y": {"k" : [1, "s"]}}'), json_populate_record(null::jy, null), json_populate_record(row(1, 'b')::jy, null);
        select json_populate_record(null::jx2, '[1]');
        select json_populate_record(null::jx2, '5');
        select json_populate_record(null::jx2, '{"ia": 5}');
        select json_populate_record(null::jx2, '{"ia": [1, [2]]}');
        select json_populate_record(null::jx2, '{"ia": [[1], 2]}');
        select json_populate_record(null::jx2, '{"ia": [[1], [2, 3]]}');
        select json_populate_record(null::jx2, '{"r": 5}');
        select json_populate_record(null::jx2, '{"a": "x"}');
        select json_populate_record(null::jx2, '{"ia": "{1,2}", "d": "infinity"}');
"""


def test_populate_record_same_as_postgres(shared_server, pg15):
    script = "\n".join(line.strip() for line in SCRIPT.strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "json_records_pg15")
    got = run_script_in_fresh_database(shared_server, script, "json_records_pg15")
    assert got == expected


SCRIPT_TO_RECORD = """
        create type jy as (x int, y text);
        create type jp as (a int, b text, c date);
        select * from json_to_record('{"a": 2, "b": "t u", "zz": 1}') as x(a int, b text, n numeric);
        select *, n is null from jsonb_to_record('{"a": "7", "j": {"q" : [1 ]}, "ar": [[1, 2], [3, 4]], "r": {"x": 5}}') as t(a int, j jsonb, ar int[], r jy, n int);
        select * from json_to_record('{"j": {"q" : [1 ]}, "t": {"q" : 1}}') as t(j json, t text);
        select * from json_to_recordset('[{"a": 1, "b": "x"}, {"a": 2, "c": true}]') as t(a int, b text, c bool);
        select * from jsonb_to_recordset('[{"a": 1}, {"a": 2}]') as t(a int) where a > 1;
        select * from json_populate_recordset(null::jp, '[{"a": 1, "c": "2021-03-04"}, {"b": "z"}]');
        select * from jsonb_populate_recordset(row(9, 'd', null)::jp, '[{"a": 1}, {"b": "z"}]') q order by a;
        select * from json_to_record('{"a": "x"}') as x(a int);
        select * from json_to_record('{"ia": [[1], 2]}') as x(ia int[]);
        select * from json_to_recordset('{"a": 1}') as x(a int);
        select * from jsonb_to_recordset('[1]') as x(a int);
        select * from json_to_record('[1]') as x(a int);
        select * from json_populate_recordset(null::jp, '[[1]]');
        select * from json_to_record('{"a": 1}');
"""


def test_to_record_same_as_postgres(shared_server, pg15):
    script = "\n".join(line.strip() for line in SCRIPT_TO_RECORD.strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "json_records_pg15")
    got = run_script_in_fresh_database(shared_server, script, "json_records_pg15")
    assert got == expected


SCRIPT_EACH = r"""
        select * from json_each('{"a":1, "a" : 2, "b" : [1, 2 ], "n": null, "s": "x\"y"}');
        select * from json_each_text('{"a":1, "b" : [1, 2 ], "n": null, "s": "x\"y"}');
        select * from jsonb_each('{"bb": {"k": [1]}, "a": null, "c": "s"}') q;
        select key, value from jsonb_each_text('{"bb": {"k": [1]}, "a": null, "c": "s", "d": 1.50}') as t where key > 'a' order by key desc;
        select * from jsonb_each('{}'), json_each('{}') x;
        select * from jsonb_each('[1]');
        select * from jsonb_each_text('3');
        select * from json_each('5');
        select * from json_each_text('[]');
        select * from json_each(null);
"""


def test_each_same_as_postgres(shared_server, pg15):
    script = "\n".join(line.strip() for line in SCRIPT_EACH.strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "json_records_pg15")
    got = run_script_in_fresh_database(shared_server, script, "json_records_pg15")
    assert got == expected


SCRIPT_TYPMODS = r"""
        create domain jnn as int not null;
        create type jd as (i jnn, t text);
        select json_populate_record(null::jd, '{"i": 1}');
        select json_populate_record(null::jd, '{"t": "x"}');
        select jsonb_populate_record(null::jd, '{"i": null}');
        select * from jsonb_populate_record(row(3, 'b')::jd, '{"t": "x"}');
        create type jc as (c char(5), v varchar(3), ca char(4)[], n numeric(5,2));
        select json_populate_record(null::jc, '{"c": "ab", "v": "xy", "ca": ["a", null], "n": 1.234}');
        select * from jsonb_populate_record(null::jc, '{"c": "ab"}');
        select jsonb_populate_record(null::jc, '{"c": "abcdefg"}');
        select jsonb_populate_record(null::jc, '{"v": "abcd"}');
        select jsonb_populate_record(null::jc, '{"ca": ["abcdefg"]}');
        select jsonb_populate_record(null::record, '{}');
        select json_populate_record(null::record, '{}');
        select json_array_length('{}');
        select jsonb_array_length('{"a": 1}');
        select to_json(timestamp 'infinity'), to_jsonb(timestamptz '-infinity'), to_json(date 'infinity'), to_jsonb(timestamp '2020-01-02 03:04:05');
"""


def test_typmods_and_errors_same_as_postgres(shared_server, pg15):
    """Fields with typmods (char padding, value too long, numeric scale), a record without a
    row type, json[b]_array_length's and to_json's edge cases."""
    script = "\n".join(line.strip() for line in SCRIPT_TYPMODS.strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "json_records_pg15")
    got = run_script_in_fresh_database(shared_server, script, "json_records_pg15")
    assert got == expected


SCRIPT_RECORD_LISTS = r"""
        create type jq as (x int, y text);
        select * from json_array_elements('[1, "a", null, [2 ]]') q;
        select * from jsonb_array_elements_text('[1, "a", null, [2]]') as t(v);
        create table jl (id int, j json);
        insert into jl values (1, '[1, 2]'), (2, '["x"]');
        select id, e from jl, json_array_elements(jl.j) e order by id, 2::int;
        select * from json_populate_record(null::record, '{"x": 776, "y": "s"}') as (x int, y text);
        select * from jsonb_populate_recordset(null::record, '[{"x": 1}, {"y": "b"}]') as (x int, y text);
        select * from json_populate_recordset(row(1, 2), '[{"f1": 5}]') as q(f1 int, f2 int);
        select * from json_populate_recordset(row(0::int), '[{"a": "1"}]') q (a text, b text);
        select * from json_populate_recordset(row(0::int, 0::int), '[{"a": "1"}]') q (a text, b text);
        select jsonb_populate_record(null::record, '{}');
        select ia from json_populate_record(null::jq, '{}') a, json_populate_record(null::record, '{"ia": [[], []]}') as b(ia int[]);
"""


def test_record_lists_same_as_postgres(shared_server, pg15):
    """json[b]_array_elements[_text] in FROM (a column named value), populate_record[set]
    over an anonymous record with a column definition list and its row checks, empty
    nested arrays."""
    script = "\n".join(line.strip() for line in SCRIPT_RECORD_LISTS.strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "json_records_pg15")
    got = run_script_in_fresh_database(shared_server, script, "json_records_pg15")
    assert got == expected
