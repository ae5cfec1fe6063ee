"""Triggers, inheritance and partitioned targets side by side with PostgreSQL 15 (issue 14):
each psql script runs in a database of its own on both servers and must print the same -
rows, notices, errors with their detail, hint and context. PostgreSQL's output is the
expectation; nothing here states an expected value.

  drop_together  DROP TABLE naming a parent and its inheritance child or partition (and a
                 table referencing another) drops them together; a dependent not named is
                 still an error, or a CASCADE notice
  shared_function  one trigger function on several relations with transition tables (a
                 partitioned parent and its partitions, one with its columns in another
                 order): each relation's call reads its own tables
"""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "drop_together": r"""
        create table dt_p (a int); create table dt_c () inherits (dt_p);
        create table dt_c2 (b int) inherits (dt_p);
        drop table dt_p, dt_c;
        drop table dt_c2, dt_p, dt_c;
        select count(*) from pg_class where relname like 'dt\_%';
        create table dt_p (a int); create table dt_c () inherits (dt_p);
        create view dt_v as select * from dt_c;
        drop table dt_c, dt_p;
        drop table dt_p, dt_c cascade;
        create table dt_l (a int) partition by list (a);
        create table dt_l1 partition of dt_l for values in (1);
        create table dt_l2 partition of dt_l for values in (2);
        drop table dt_l1, dt_l;
        select count(*) from pg_class where relname like 'dt\_%';
        create function dt_f() returns trigger language plpgsql as $$ begin return null; end $$;
        create table dt_p (a int primary key); create table dt_c (b int references dt_p) inherits (dt_p);
        create trigger tg after insert on dt_p for each row execute function dt_f();
        create trigger tg after insert on dt_c for each row execute function dt_f();
        drop function dt_f();
        drop table dt_p, dt_c;
        drop function dt_f();
    """,
    "shared_function": r"""
        create function sf_dump() returns trigger language plpgsql as $$
        begin
          if tg_op = 'INSERT' then
            raise notice '% on %: new %', tg_name, tg_table_name, (select string_agg(n::text, ' ' order by n::text) from n);
          else
            raise notice '% on %: old %', tg_name, tg_table_name, (select string_agg(o::text, ' ' order by o::text) from o);
          end if;
          return null;
        end $$;
        create table sf_p (a text, b int) partition by list (a);
        create table sf_c1 partition of sf_p for values in ('x');
        create table sf_c2 (b int, a text);
        alter table sf_p attach partition sf_c2 for values in ('y');
        create trigger p_ins after insert on sf_p referencing new table as n for each statement execute function sf_dump();
        create trigger p_del after delete on sf_p referencing old table as o for each statement execute function sf_dump();
        create trigger c2_ins after insert on sf_c2 referencing new table as n for each statement execute function sf_dump();
        create trigger c2_del after delete on sf_c2 referencing old table as o for each statement execute function sf_dump();
        create trigger c1_ins after insert on sf_c1 referencing new table as n for each statement execute function sf_dump();
        insert into sf_c2 values (1, 'y');
        insert into sf_p values ('x', 2), ('y', 3);
        insert into sf_c1 values ('x', 4);
        delete from sf_p where b < 3;
        delete from sf_c2;
        select tableoid::regclass, * from sf_p order by b;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "trig_sem_case")
    got = run_script_in_fresh_database(shared_server, script, "trig_sem_case")
    assert got == expected
