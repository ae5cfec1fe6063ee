"""INSERT ... ON CONFLICT DO UPDATE whose proposed rows share the conflict target's values,
side by side with PostgreSQL 15 (issue 14): 21000 "cannot affect row a second time" with its
hint, whether the rows come from VALUES, a SELECT, through a view, into a partitioned table or
a table with row triggers; DO NOTHING, NULL keys and distinct keys still pass. Each psql script
runs in a database of its own on both servers; PostgreSQL's output is the expectation.
"""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "values_and_select": r"""
        create table t (k int primary key, v text);
        insert into t values (1, 'a'), (1, 'b') on conflict (k) do update set v = excluded.v;
        insert into t values (1, 'x');
        insert into t values (2, 'a'), (1, 'b'), (1, 'c') on conflict (k) do update set v = excluded.v;
        insert into t values (1, 'a'), (1, 'b') on conflict (k) do update set v = excluded.v where t.v = 'x';
        insert into t values (3, 'a'), (3, 'b') on conflict (k) do nothing;
        insert into t select 4, 'q' from generate_series(1, 2) on conflict (k) do update set v = excluded.v;
        insert into t select g, 'g' from generate_series(1, 3) g on conflict (k) do update set v = excluded.v
            returning *;
        insert into t values (5, 'y') on conflict (k) do update set v = excluded.v;
        insert into t values (5, 'z') on conflict on constraint t_pkey do update set v = excluded.v;
        insert into t values (6, 'a'), (6, 'b') on conflict on constraint t_pkey do update set v = excluded.v;
        with s as (insert into t values (7, 'a'), (7, 'b') on conflict (k) do update set v = excluded.v
                   returning k) select count(*) from s;
        select * from t order by k;
    """,
    "composite_keys": r"""
        create table m (a int, b int, v text, unique (a, b));
        insert into m values (1, null, 'x'), (1, null, 'y') on conflict (a, b) do update set v = excluded.v;
        insert into m values (1, 2, 'x'), (1, 3, 'y') on conflict (a, b) do update set v = excluded.v;
        insert into m values (1, 2, 'p'), (1, 2, 'q') on conflict (a, b) do update set v = excluded.v;
        select * from m order by a, b nulls first, v;
    """,
    "view_partitioned_triggers": r"""
        create table t (k int primary key, v text);
        create view tv as select * from t;
        insert into tv values (1, 'a'), (1, 'b') on conflict (k) do update set v = excluded.v;
        insert into tv values (1, 'a'), (2, 'b') on conflict (k) do update set v = excluded.v;
        create table p (k int primary key, v text) partition by range (k);
        create table p1 partition of p for values from (0) to (100);
        insert into p values (6, 'a'), (6, 'b') on conflict (k) do update set v = excluded.v;
        insert into p values (6, 'a'), (7, 'b') on conflict (k) do update set v = excluded.v returning *;
        create table g (k int primary key, v text);
        create function gf() returns trigger language plpgsql as $$ begin new.v := new.v || '!'; return new; end $$;
        create trigger gt before insert on g for each row execute function gf();
        insert into g values (1, 'a'), (1, 'b') on conflict (k) do update set v = excluded.v;
        insert into g values (1, 'a'), (2, 'b') on conflict (k) do update set v = excluded.v;
        select * from t order by k;
        select * from p order by k;
        select * from g order by k;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "conflict_once_case")
    got = run_script_in_fresh_database(shared_server, script, "conflict_once_case")
    assert got == expected
