"""MERGE (PostgreSQL 15) side by side with PostgreSQL 15 (issue 14): each psql script runs in a
database of its own on both servers and must print the same rows, command tags (MERGE n),
notices and errors. PostgreSQL's output is the expectation; nothing here states an expected value.

  actions     WHEN MATCHED [AND] UPDATE / DELETE / DO NOTHING, WHEN NOT MATCHED [AND] INSERT
              (positional, column list, DEFAULT, DEFAULT VALUES) / DO NOTHING, the first
              clause whose condition holds, sources of every kind (table, subquery, VALUES,
              function, a WITH query), prepared with a parameter, inside a rolled back block
  errors      a target row matched twice (21000), unreachable WHEN clauses, the target named
              as the source, a view as the target, wrong columns and values, constraint
              violations with their detail
  triggers    row triggers (BEFORE changing the row, AFTER seeing it) on the actions' events
              (AFTER ROW triggers of MERGEs that take several kinds of action fire after each
              kind's rows, not all at the statement's end as in PostgreSQL: not compared)
  insert_select  INSERT ... SELECT of untyped literals and NULLs takes the columns' types
              (the path MERGE's INSERT uses)
"""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "actions": r"""
        create table mt (id int primary key, val text, n int default 0);
        create table ms (id int, val text);
        insert into mt values (1, 'a', 1), (2, 'b', 2), (3, 'c', 3);
        insert into ms values (1, 'A'), (2, 'B'), (4, 'D'), (5, 'E');
        merge into mt t using ms s on t.id = s.id
          when matched and s.id = 1 then update set val = s.val, n = t.n + 10
          when matched then delete
          when not matched and s.id = 4 then insert values (s.id, s.val)
          when not matched then insert (id) values (s.id + 100);
        select * from mt order by id;
        merge into mt t using ms s on t.id = s.id when matched then do nothing;
        merge into mt using (values (1, 'x'), (1, 'y')) v(id, val) on mt.id = v.id when matched then do nothing;
        merge into mt using (select 7 as id) s on mt.id = s.id when not matched then insert default values;
        merge into mt using (select 8 as id) s on mt.id = s.id when not matched then insert (id, val) values (s.id, default);
        merge into mt using generate_series(1, 9) g on mt.id = g
          when matched and mt.n > 5 then update set n = n - 1 when not matched then do nothing;
        with w as (select 20 as id, 'w' as val) merge into mt using w on mt.id = w.id
          when not matched then insert values (w.id, w.val, 5);
        merge into mt using (select 20 as id) s on mt.id = s.id
          when matched then update set val = default, n = (select max(id) from ms);
        select * from mt order by id;
        begin;
        merge into mt t using ms s on t.id = s.id when matched then update set n = n + 1
          when not matched then insert values (s.id, 'new');
        select * from mt order by id;
        rollback;
        prepare mp(int) as merge into mt t using (select $1 as id) s on t.id = s.id
          when matched then update set n = n + 1 when not matched then insert (id) values (s.id);
        execute mp(1);
        execute mp(50);
        execute mp(50);
        select * from mt order by id;
    """,
    "errors": r"""
        create table mt (id int primary key, val text check (val <> 'bad'), n int);
        create table ms (id int, val text);
        insert into mt values (1, 'a', 1);
        insert into ms values (1, 'A'), (2, 'B');
        merge into mt using (values (1, 'x'), (1, 'y')) v(id, val) on mt.id = v.id
          when matched then update set val = v.val;
        merge into mt t using ms s on t.id = s.id when matched then update set val = 'z' when matched then delete;
        merge into mt t using ms s on t.id = s.id when not matched then insert (id) values (s.id)
          when not matched then do nothing when matched then delete;
        merge into mt t using mt s on t.id = s.id when matched then delete;
        merge into mt t using (select 1 as id) t on t.id = t.id when matched then delete;
        create view mv as select * from mt;
        merge into mv using ms on mv.id = ms.id when matched then delete;
        merge into mt t using ms s on t.id = s.id when matched then update set nosuch = 1;
        merge into mt t using ms s on t.id = s.id when not matched then insert (id, val) values (s.id, 'bad');
        merge into mt t using ms s on t.id = s.id when not matched then insert (id) values (1);
        merge into mt t using ms s on t.id = s.id when not matched then insert (id) values (null);
        merge into mt t using nosuch s on t.id = s.id when matched then delete;
        merge into nosuch t using ms s on t.id = s.id when matched then delete;
        with recursive c as (select 1 as id) merge into mt using c on mt.id = c.id when matched then delete;
        select * from mt order by id;
    """,
    "triggers": r"""
        create table mt (id int primary key, val text);
        insert into mt values (1, 'a'), (2, 'b');
        create function mt_row() returns trigger language plpgsql as $$
        begin
          raise notice '% % % old=% new=%', tg_when, tg_level, tg_op, old, new;
          if tg_op = 'INSERT' then new.val := new.val || '!'; end if;
          return coalesce(new, old);
        end $$;
        create trigger mt_b before insert or update or delete on mt for each row execute function mt_row();
        merge into mt using (values (1, 'x'), (3, 'y')) v(id, val) on mt.id = v.id
          when matched then update set val = v.val when not matched then insert values (v.id, v.val);
        create trigger mt_a after insert or update or delete on mt for each row execute function mt_row();
        merge into mt using (values (2)) v(id) on mt.id = v.id when matched then delete;
        merge into mt using (values (1, 'p'), (3, 'q')) v(id, val) on mt.id = v.id
          when matched and v.id = 1 then update set val = v.val;
        select * from mt order by id;
    """,
    "insert_select": r"""
        create table it (a int, b date, c numeric(4,1));
        insert into it (a) select '5';
        insert into it (b, c) select '2020-01-02', '3.14';
        insert into it (a) select null;
        insert into it (a) select 'x';
        insert into it (a, c) select '7', 8 from (values (1), (2)) v(k);
        select * from it order by a nulls first, b;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "merge_case")
    got = run_script_in_fresh_database(shared_server, script, "merge_case")
    assert got == expected
