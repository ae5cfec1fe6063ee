"""Automatically updatable views side by side with PostgreSQL 15 (issue 14): each psql script
runs in a database of its own on both servers and must print the same rows, command tags,
notices and errors (message, detail, hint). PostgreSQL's output is the expectation; nothing
here states an expected value.

  simple        INSERT / UPDATE / DELETE through a view of one table (renamed and computed
                columns, RETURNING of view columns and *, the view's WHERE limiting UPDATE /
                DELETE, omitted columns taking the base table's defaults)
  nested        a view over a view over a table, each with its own WHERE
  refused       views that are not automatically updatable (DISTINCT, GROUP BY, aggregates,
                set operations, LIMIT, joins, no table, window functions) and writes to their
                computed columns, with PostgreSQL's detail and hint
  subqueries    WHERE with subqueries naming other tables' columns of the same names as the
                view's, UPDATE ... FROM, DELETE ... USING
  conflict      INSERT ... ON CONFLICT through a view (DO NOTHING, DO UPDATE with EXCLUDED)
  privileges    the view's privileges checked as the caller, the base table's as the view
                owner
  triggers      a view over a table with row triggers; INSTEAD OF triggers still take the
                statement
  check_option  WITH [LOCAL | CASCADED] CHECK OPTION over nested views: 44000 with the failing
                row, which views' conditions apply to INSERT and UPDATE
  options       WITH (check_option, security_barrier, ...) checked, ALTER VIEW SET / RESET and
                ALTER COLUMN SET / DROP DEFAULT, psql describe and pg_class.reloptions
  rules_below   a view over a view with DO INSTEAD rules (the rules rewrite the statement on
                it), conditional INSTEAD rules (55000), two view columns of one base column
  check_triggers  CHECK OPTION on the row as BEFORE triggers leave it, AFTER triggers
  schema_elements  CREATE SCHEMA with tables, views, indexes, sequences as elements (in the new
                schema, which is searched first), their schema and TEMP errors
  temp_views    a view over a temporary relation becomes temporary, with the NOTICE
  details       array elements written through a view, a view condition on the base's whole
                row, CHECK OPTION above a view with INSTEAD OF triggers
  lock_privileges  SELECT ... FOR UPDATE / SHARE of views over views: UPDATE on each view as
                its reader, on the tables below as the view owners
  view_defaults  view column defaults for omitted columns and DEFAULT in one- and multi-row
                VALUES, the base table's where the view has none
  row_security  the base table's policies through a view are the view owner's (the caller's
                for security_invoker): a caller with policies of its own neither sees nor
                writes more than the owner may
  catalogs      information_schema tables / views / columns updatability, check_option and
                INSTEAD OF trigger columns; pg_relation_is_updatable, pg_column_is_updatable
"""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "simple": r"""
        create table vt (k int primary key, name text default 'none', qty int default 7);
        create view vv as select k, name from vt where k > 0;
        create view vr as select k as key, upper(name) as shout, qty * 2 as twice, name from vt;
        insert into vv values (1, 'one');
        insert into vv (k) values (2) returning *;
        insert into vv values (-5, 'hidden') returning name, k;
        insert into vr (key, name) values (3, 'three') returning *, key * 10 as ten;
        insert into vr (key) select g from generate_series(10, 12) g returning key, shout;
        select * from vt order by k;
        update vv set name = name || '!' where k < 3 returning *;
        update vv set name = 'neg' where k = -5;
        update vr set key = key + 100 where twice = 14 and key >= 10 returning shout, key;
        delete from vv where name = 'none' returning k;
        delete from vr where shout = 'THREE';
        select * from vt order by k;
        select * from vr order by key;
        delete from vv;
        select * from vt order by k;
    """,
    "nested": r"""
        create table nt (a int, b text);
        create view n1 as select a, b from nt where a > 0;
        create view n2 as select b as bee, a from n1 where a < 100;
        insert into n2 (a, bee) values (5, 'five'), (500, 'big'), (-1, 'neg');
        select * from nt order by a;
        update n2 set bee = 'changed' returning *;
        delete from n2 where a = 5;
        select * from nt order by a;
        select * from n2;
    """,
    "refused": r"""
        create table rt (a int, b int);
        create view r_distinct as select distinct a from rt;
        create view r_group as select a, count(*) from rt group by a;
        create view r_agg as select max(a) from rt;
        create view r_union as select a from rt union all select b from rt;
        create view r_limit as select a from rt limit 3;
        create view r_join as select x.a, y.b from rt x, rt y;
        create view r_none as select 1 as one;
        create view r_window as select a, row_number() over () from rt;
        create view r_cols as select a, a + 1 as a1, 'k'::text as k from rt;
        insert into r_distinct values (1);
        update r_group set a = 1;
        delete from r_agg;
        insert into r_union values (1);
        update r_limit set a = 2;
        delete from r_join;
        insert into r_none values (1);
        update r_window set a = 3;
        insert into r_cols values (1, 2);
        insert into r_cols (a, k) values (1, 'x');
        update r_cols set a1 = 5;
        insert into r_cols (a) values (4) returning *;
        update r_cols set a = a1 returning *;
        delete from r_cols where k = 'k' returning a1;
        update r_cols set nope = 1;
        select * from rt;
    """,
    "subqueries": r"""
        create table st (id int primary key, v text);
        create table other (id int, v text);
        insert into st select g, 'v' || g from generate_series(1, 6) g;
        insert into other values (2, 'o2'), (4, 'o4');
        create view sv as select id as ident, v from st where id <> 6;
        delete from sv where ident in (select id from other);
        update sv set v = (select max(v) from other where other.id > sv.ident) where ident < 3;
        update sv set v = o.v from other o where o.id = sv.ident + 1;
        delete from sv using other o where sv.ident = o.id + 1 returning sv.*;
        select * from st order by id;
    """,
    "conflict": r"""
        create table ct (k int primary key, n int default 0, note text);
        create view cv as select k, n, note from ct;
        insert into cv values (1, 1, 'a');
        insert into cv values (1, 5, 'b') on conflict (k) do nothing;
        insert into cv values (1, 5, 'b') on conflict (k) do update set n = cv.n + excluded.n, note = excluded.note
            returning *;
        insert into cv as t values (2, 1, 'x'), (1, 1, 'y') on conflict (k) do update set n = t.n + 100
            where t.k = 1 returning k, n;
        select * from ct order by k;
    """,
    "privileges": r"""
        create role uv_owner;
        create role uv_user;
        create table pt (a int, b text);
        grant select, insert, update, delete on pt to uv_owner;
        create view pv as select a, b from pt;
        alter view pv owner to uv_owner;
        grant insert, select on pv to uv_user;
        set role uv_user;
        insert into pv values (1, 'ok');
        select * from pv;
        update pv set b = 'no';
        delete from pv;
        select * from pt;
        reset role;
        revoke insert on pt from uv_owner;
        set role uv_user;
        insert into pv values (2, 'refused');
        reset role;
        select * from pt;
        drop view pv;
        drop table pt;
        drop role uv_owner;
        drop role uv_user;
    """,
    "triggers": r"""
        create table tt (a int, b text);
        create function tt_log() returns trigger language plpgsql as $$
        begin raise notice '% % on %', tg_when, tg_op, tg_table_name; return new; end $$;
        create trigger tt_before before insert or update on tt for each row execute function tt_log();
        create view tv as select a, b from tt;
        insert into tv values (1, 'x');
        update tv set b = 'y';
        create function tv_instead() returns trigger language plpgsql as $$
        begin raise notice 'instead %', tg_op; return new; end $$;
        create trigger tv_ins instead of insert on tv for each row execute function tv_instead();
        insert into tv values (2, 'z');
        update tv set b = 'w';
        select * from tt order by a;
    """,
    "check_option": r"""
        create table wb (a int, b int default 5);
        create view w1 as select a, b from wb where a > 0 with check option;
        create view w2 as select a, b from w1 where a < 10 with local check option;
        create view w3 as select a from w1 where a < 100;
        create view w4 as select a from w3 where b < 50 with cascaded check option;
        insert into w1 values (1, 2);
        insert into w1 values (-1, 2);
        insert into w1 (b) values (3);
        insert into w2 values (20, 1);
        insert into w2 values (-3, 1);
        update w1 set a = -a;
        update w2 set a = a + 100;
        insert into w3 values (-5);
        insert into w4 values (500);
        insert into w4 values (5);
        update wb set b = 60;
        update w4 set a = a;
        insert into w1 select g, g from generate_series(-1, 1) g;
        select * from wb order by a, b;
    """,
    "options": r"""
        create table ob (a int, b text);
        create view o1 as select distinct a from ob with check option;
        create view o2 as select a from ob with (check_option = here);
        create view o2 as select a from ob with (check_option = local, security_barrier = maybe);
        create view o2 as select a from ob with (foo = 1);
        create view o2 as select a, b from ob where a = 1;
        alter view o2 set (check_option = local);
        insert into o2 values (2);
        alter view o2 reset (check_option);
        insert into o2 values (2);
        alter view o2 alter column a set default 1;
        alter view o2 alter column b set default 'view default';
        insert into o2 default values returning *;
        insert into o2 (b) values ('given') returning *;
        alter view o2 alter column a drop default;
        insert into o2 default values returning *;
        alter view o2 alter column nope set default 1;
        alter view o2 set (check_option = cascaded, security_barrier);
        alter view ob set (check_option = local);
        \d+ o2
        select relname, reloptions from pg_class where relname like 'o_' order by 1;
        select * from ob order by a, b;
    """,
    "catalogs": r"""
        create table ub (a int, b int);
        create view u1 as select a, b from ub;
        create view u2 as select a, b + 1 as b1 from ub;
        create view u3 as select distinct a from ub;
        create view u4 as select b1 from u2;
        create view u5 as select 1 as x, 2 as y from ub;
        create view u6 as select a from ub with local check option;
        select table_name, is_insertable_into from information_schema.tables where table_name like 'u_' order by 1;
        select table_name, check_option, is_updatable, is_insertable_into, is_trigger_updatable,
        is_trigger_deletable, is_trigger_insertable_into from information_schema.views
        where table_name like 'u_' order by 1;
        select table_name, column_name, is_updatable from information_schema.columns
        where table_name like 'u_' order by 1, ordinal_position;
        select pg_relation_is_updatable('u1'::regclass, false), pg_relation_is_updatable('u4'::regclass, true),
        pg_relation_is_updatable('u5', false);
        select pg_column_is_updatable('u2'::regclass, 1::smallint, false),
        pg_column_is_updatable('u2'::regclass, 2::smallint, false);
        create function u3f() returns trigger language plpgsql as $$ begin return null; end $$;
        create trigger u3t instead of update on u3 for each row execute function u3f();
        select table_name, is_trigger_updatable, is_trigger_deletable from information_schema.views
        where table_name = 'u3';
        select pg_relation_is_updatable('u3'::regclass, true), pg_relation_is_updatable('u3'::regclass, false);
    """,
    "rules_below": r"""
        create table rb (a int, b text);
        create view rv1 as select a, b from rb offset 0;
        create rule rv1_ins as on insert to rv1 do instead insert into rb values (new.a * 10, new.b) returning *;
        create rule rv1_upd as on update to rv1 do instead update rb set b = new.b where a = old.a returning *;
        create view rv2 as select a, b from rv1 where a < 1000;
        insert into rv2 values (1, 'x') returning *;
        update rv2 set b = 'y' where a = 10 returning *;
        delete from rv2;
        select * from rb;
        create view rv3 as select a, b, a as aa from rb;
        insert into rv3 values (1, 'z', 2);
        update rv3 set a = 1, aa = 2;
        create rule rv3_c as on update to rv3 where old.a > 5 do instead nothing;
        update rv3 set b = 'q';
        alter view rv3 alter column aa set default 5;
        insert into rv3 (a) values (7);
    """,
    "check_triggers": r"""
        create table tb (a int, b int);
        create function tb_fn() returns trigger language plpgsql as $$ begin new.b := 10; return new; end $$;
        create trigger tb_t before insert or update on tb for each row execute function tb_fn();
        create view tv1 as select * from tb where a < b with check option;
        insert into tv1 values (5, 0);
        insert into tv1 values (15, 20);
        update tv1 set a = 20, b = 30;
        update tv1 set a = 7 returning *;
        insert into tv1 values (1, 1), (2, 2) returning *;
        select * from tb order by a;
        create table tc (a int, b int);
        create function tc_fn() returns trigger language plpgsql as $$ begin raise notice 'after %', new; return null; end $$;
        create trigger tc_t after insert or update on tc for each row execute function tc_fn();
        create view tv2 as select * from tc where a > 0 with check option;
        insert into tv2 values (1, 1);
        insert into tv2 values (-1, 1);
        update tv2 set a = -a;
        select * from tc;
    """,
    "schema_elements": r"""
        create temp table tmpt (a int);
        create schema s1 create table t1 (a int, id int) create view v1 as select * from t1 create table t2 (b int) create index on t1 (a) create sequence q1;
        \d s1.*
        create schema s2 create table s1.x (a int);
        create schema s3 create view v3 as select * from tmpt;
        create schema s4 create temp table x (a int);
        select nspname from pg_namespace where nspname like 's_' order by 1;
        create schema s5 create table t (a int);
        select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where nspname like 's_' order by 1, 2;
    """,
    "temp_views": r"""
        create table pt (a int);
        create temp table tt (a int);
        create view pv1 as select * from pt;
        create view tv1 as select * from tt;
        create view tv2 as select * from pv1 where a in (select a from tt);
        create view tv3 as select * from tv1;
        create view pv2 as with tt as (select 1 as a) select * from tt;
        create view public.tv4 as select * from tt;
        create view pg_temp.tv5 as select * from tt;
        create temp view tv6 as select * from tt;
        select relname, relpersistence from pg_class where relname ~ '^(pv|tv)' order by 1;
    """,
    "details": r"""
        create table at (a int, arr int[]);
        create view av as select a, arr from at;
        insert into av values (1, '{1,2,3}');
        update av set arr[1] = 42, arr[2] = 77 where a = 1;
        insert into av (a, arr[1], arr[2]) values (2, 5, 6);
        select * from at order by a;
        create table wr (a int);
        create view wrv as select * from wr where wr = '(2)'::wr with check option;
        insert into wrv values (1);
        insert into wrv values (2);
        create table ic (k int primary key, t text);
        create view icv as select k, t from ic;
        insert into icv values (1, 'x');
        create table it (a int);
        create view iv1 as select * from it;
        create function iv1_f() returns trigger language plpgsql as $$ begin insert into it values (new.a); return new; end $$;
        create view iv1b as select * from it offset 0;
        create trigger iv1_t instead of insert on iv1b for each row execute function iv1_f();
        create view iv2 as select * from iv1b where a > 0 with local check option;
        insert into iv2 values (-5);
        insert into iv2 values (5);
        select * from it;
    """,
    "lock_privileges": r"""
        create role fu_a;
        create role fu_b;
        create table fb (a int, b text);
        insert into fb values (1, 'x');
        alter table fb owner to fu_a;
        grant create on schema public to fu_a, fu_b;
        set session authorization fu_a;
        create view fv1 as select * from fb;
        grant select on fv1 to fu_b;
        set session authorization fu_b;
        create view fv2 as select * from fv1;
        select * from fv2 for update;
        select * from fv1 for share;
        reset session authorization;
        grant update on fv1 to fu_b;
        set session authorization fu_b;
        select * from fv2 for update;
        select * from fv2 as x join fb on true for update of x;
        reset session authorization;
        drop view fv2;
        drop view fv1;
        drop table fb;
        revoke create on schema public from fu_a, fu_b;
        drop role fu_a;
        drop role fu_b;
    """,
    "row_security": r"""
        create role rsv_table;
        create role rsv_owner;
        create role rsv_user;
        grant create on schema public to rsv_owner;
        create table rt (x int, note text);
        insert into rt values (1, 'low'), (50, 'high');
        alter table rt owner to rsv_table;
        set session authorization rsv_table;
        alter table rt enable row level security;
        create policy for_owner on rt to rsv_owner using (x < 10) with check (x < 10);
        create policy for_user on rt to rsv_user using (x > 10);
        grant select, insert, update, delete on rt to rsv_owner;
        grant select, insert, update, delete on rt to rsv_user;
        set session authorization rsv_owner;
        create view rv as select * from rt;
        create view rvi with (security_invoker = true) as select * from rt;
        grant select, insert, update, delete on rv, rvi to rsv_user;
        set session authorization rsv_user;
        select * from rv order by x;
        insert into rv values (60, 'user');
        insert into rv values (2, 'user') returning *;
        update rv set note = 'updated' returning *;
        delete from rv where x = 2 returning *;
        select * from rvi order by x;
        insert into rvi values (70, 'invoker') returning *;
        update rvi set note = 'invoker' where x > 10 returning *;
        delete from rvi where x = 1 returning *;
        reset session authorization;
        select * from rt order by x;
        drop view rv, rvi;
        drop table rt;
        revoke create on schema public from rsv_owner;
        drop role rsv_table;
        drop role rsv_owner;
        drop role rsv_user;
    """,
    "view_defaults": r"""
        create table dt (a int, b text default 'table b', c text default 'table c', d text);
        create view dv as select a, b, c, d from dt;
        alter view dv alter column b set default 'view b';
        alter view dv alter column d set default 'view d';
        insert into dv values (1, default, default, default), (2, 'x', default, default);
        insert into dv (a, c) values (3, default), (4, 'y');
        insert into dv (a) select 5;
        insert into dv default values;
        select * from dt order by a nulls last;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "uview_case")
    got = run_script_in_fresh_database(shared_server, script, "uview_case")
    assert got == expected
