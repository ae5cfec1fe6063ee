"""jsonb edited along a path side by side with PostgreSQL 15: jsonb_set (negative and
out-of-range subscripts, create off, path errors), jsonb_insert before / after, #- and
jsonb_delete_path, jsonb - text[], jsonb_set_lax with each null_value_treatment, and
json[b]_strip_nulls (json keeps its scalars' text); json[b]_build_object's key errors; jsonb's casts to numbers and boolean; jsonb's btree order and equality (ORDER BY, DISTINCT, GROUP BY, comparisons, an index). Each psql script must print the same
on both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "btree_order": """
        create table jo (j jsonb);
        insert into jo values ('1'), ('1.0'), ('"a"'), ('null'), ('true'), ('[]'), ('[1]'), ('[1, 2]'), ('{}'), ('{"a": 1}'), ('{"b": 1}'), ('{"a": 1, "b": 2}'), ('{"aa": 0}'), ('[[1]]'), ('"b"'), ('false'), ('2'), ('[{"a": 1}]'), ('[null]');
        select j from jo order by j, j::text;
        select count(distinct j), count(*) from jo;
        select j from jo where j > '{"a": 1}' order by j;
        select '1.0'::jsonb = '1', '[]'::jsonb < 'null', '{"a":1}'::jsonb > '[1,2,3]', '"x"'::jsonb < '1';
        select j, count(*) from jo group by j order by j;
        create index on jo (j);
        select j from jo where j = '1' order by j::text;
    """,
    "scalar_casts": """
        select '12.55'::jsonb::int4, '12.5'::jsonb::int2, '-3.5'::jsonb::int8, '1.25'::jsonb::numeric, '1e2'::jsonb::float8, '0.1'::jsonb::float4, 'true'::jsonb::bool;
        select '1.256'::jsonb::numeric(4,2);
        select '"7"'::jsonb::int4;
        select '[]'::jsonb::bool;
        select '{}'::jsonb::numeric;
        select 'null'::jsonb::float8;
        select '1'::jsonb::bool;
        select '99999999999'::jsonb::int4;
        select j::int from (values ('1'::jsonb), ('2.7')) v(j);
    """,
    "build_object_keys": """
        select json_build_object('a', 1, 'b'), 1;
        select jsonb_build_object('a', 1, 'b');
        select json_build_object('x', 1, null, 2);
        select jsonb_build_object(null, 2);
        select jsonb_build_object('{1,2}'::int[], 2);
        select json_build_object(row(1, 'a'), 2);
        select jsonb_build_object('{"k": 1}'::jsonb, 2);
        select json_build_object(1, 'one', true, 2.5, 'nested', json_build_object('z', null)), jsonb_build_object(1, 'one', 'd', '2020-01-01'::date);
    """,
    "set_insert": """
        select jsonb_set('{"k": [1, 2, {"z": 3}]}', '{k,2,z}', '"w"'), jsonb_set('{"k": [1, 2]}', '{k,-5}', '0'), jsonb_set('{"k": [1,
            2]}', '{k,9}', '0', false);
        select jsonb_set('{"k": [1, 2]}', '{k,x}', '0');
        select jsonb_set('"s"', '{a}', '1');
        select jsonb_set('{"a": 1}', '{a,NULL}', '1');
        select jsonb_set('[]', '{3}', '[5]'), jsonb_set('{}', '{}', '1'), jsonb_set('{"a": {"b": 1}}', '{a,b,c}', '1');
        select jsonb_insert('{"r": [10, 20]}', '{r,0}', '5'), jsonb_insert('{"r": [10, 20]}', '{r,-1}', '15', true),
            jsonb_insert('{"r": {"x": 1}}', '{r,y}', '2');
        select jsonb_insert('{"r": {"x": 1}}', '{r,x}', '2');
        select jsonb_insert('[1]', '{7}', '2'), jsonb_insert('[1]', '{-7}', '2');
    """,
    "delete_and_strip": """
        select '{"p": [1, {"q": 2, "s": 3}]}'::jsonb #- '{p,1,q}', '[1,2,3]'::jsonb #- '{-1}', '{"p": 1}'::jsonb #- '{p,x}';
        select '[1,2]'::jsonb #- '{x}';
        select '7'::jsonb #- '{a}';
        select '{"a": 1, "b": 2}'::jsonb - '{a,zz}'::text[], '["a", 1, "b", "a"]'::jsonb - '{a}'::text[];
        select '3'::jsonb - '{a}'::text[];
        select '{}'::jsonb - 1;
        select '[1,2]'::jsonb - 1, '{"a":1}'::jsonb - 'a', '["a"]'::jsonb - 'a';
        select jsonb_set_lax('{"a": 1}', '{a}', null), jsonb_set_lax('{"a": 1}', '{a}', null, true, 'delete_key'), jsonb_set_lax('{"a": 1}',
            '{a}', null, true, 'return_target'), jsonb_set_lax('{"a": 1}', '{a}', '2', false, 'raise_exception');
        select jsonb_set_lax('{"a": 1}', '{a}', null, true, 'raise_exception');
        select jsonb_set_lax('{"a": 1}', '{a}', null, true, 'other');
        select jsonb_set_lax(null, '{a}', null, true, 'other') is null;
        select jsonb_strip_nulls('{"a": null, "b": [null, {"c": null, "d": 1}]}'), json_strip_nulls('{ "a" : null , "b" : [ null ,
            { "c" : null , "d" : 1.50 } ], "e":"x y" }'), json_strip_nulls('[ ]'), json_strip_nulls(' 5 ');
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "jsonb_edit_pg15")
    got = run_script_in_fresh_database(shared_server, script, "jsonb_edit_pg15")
    assert got == expected
