"""jsonb subscripting side by side with PostgreSQL 15: j['key'][0] reads as #> does (integer
or text subscripts, negative array positions, NULL subscripts, objects read with integers,
scalars), the subscript type and slice errors, the access in WHERE; and assignment in UPDATE
and INSERT (missing members and paths created, arrays padded with nulls, negative positions,
NULL targets and values, the errors of scalars, out-of-range and NULL subscripts). The
null-valued member fixes of -> / #> / jsonb_extract_path ride along. Each psql script must
print the same on both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "read": """
        select ('{"k": [5, {"m": "v"}]}'::jsonb)['k'][1]['m'], ('{"k": [5, 6]}'::jsonb)['k']['-1'];
        select ('{"k": [5, 6]}'::jsonb)['k'][-1], ('{"0": 1}'::jsonb)[0], ('[7]'::jsonb)['x'];
        select ('{"k": null}'::jsonb)['k'] is null, ('{"k": 1}'::jsonb)[null::text] is null, ('"s"'::jsonb)['a'] is null;
        create table jt (id int, j jsonb, n numeric, b bool);
        insert into jt values (1, '{"n": {"x": 1}}', 1.5, true), (2, '{"n": {"x": 2}, "t": [1, 2]}', 0, false);
        select id, j['n']['x'], j['t'][0], j['t'][id - 1] from jt where j['n']['x'] = '2';
        select j[n] from jt;
        select j[b] from jt;
        select j[n:id] from jt;
        select '{"f5": null}'::jsonb -> 'f5' is null, '[null]'::jsonb -> 0, '{"f5": null}'::jsonb #> '{f5}';
        select jsonb_extract_path('{"a": [0, null]}', 'a', '1') is null, '[1]'::jsonb -> '0';
    """,
    "assign": """
        create table ju (id int, j jsonb);
        insert into ju values (1, '{"a": {"b": 1}, "l": [1, 2]}'), (2, NULL), (3, '[0]'), (4, '"scalar"');
        update ju set j['a']['c'] = '"new"' where id = 1;
        update ju set j['l'][4] = 'true' where id = 1;
        update ju set j['l'][-1] = '9' where id = 1;
        update ju set j['x']['y'][1] = '{"z": 1}' where id = 1;
        update ju set j['k'] = NULL where id = 1;
        select * from ju order by id;
        update ju set j[0] = '5' where id = 2;
        update ju set j[2] = '"p"' where id = 3;
        select * from ju order by id;
        update ju set j['q'] = '1' where id = 2;
        update ju set j['a']['b']['c'] = '1' where id = 1;
        update ju set j[-9] = '1' where id = 3;
        update ju set j['w'] = '1' where id = 3;
        update ju set j[NULL::int] = '1' where id = 3;
        update ju set j['a'] = '1' where id = 4;
        insert into ju (id, j['m'][0]) values (5, '"ins"');
        select * from ju order by id;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "jsonb_subscript_pg15")
    got = run_script_in_fresh_database(shared_server, script, "jsonb_subscript_pg15")
    assert got == expected
