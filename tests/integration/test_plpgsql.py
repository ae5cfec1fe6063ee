"""LANGUAGE plpgsql and DO (issue 12): declarations, control structures, records, loops,
SQL inside bodies, dynamic SQL, cursors, exception blocks, RAISE, GET DIAGNOSTICS, ASSERT,
triggers written in PL/pgSQL, procedures with COMMIT/ROLLBACK, compilation errors and the
CONTEXT lines of run-time errors, an application-style schema.

Side by side with PostgreSQL 15: each script runs in a database of its own on both servers
(as one role, pl_owner) and must print the same thing through psql - rows, notices,
errors with their detail, hint, position, QUERY and CONTEXT lines - and, run again with
VERBOSITY sqlstate, the same SQLSTATEs. psycopg and asyncpg see the same notices and error
fields. Nothing here states an expected value: PostgreSQL's output is the expectation.
"""

from __future__ import annotations

import asyncio
import subprocess

import pytest
from psql_scripts import fresh_databases, run_script
from conftest import require_tool

OWNER = "pl_owner"

CASES = {
    "basics": r"""
        create function add1(a int) returns int language plpgsql as $$ begin return a + 1; end $$;
        select add1(41), add1(null);
        create function fact(n int) returns bigint language plpgsql strict as $$
        declare r bigint := 1;
        begin
          for i in 1..n loop r := r * i; end loop;
          return r;
        end $$;
        select fact(0), fact(10), fact(20), fact(null);
        select fact(21);
        create function consts() returns text language plpgsql as $$
        declare
          k constant int := 7;
          nn int not null := 1;
          v varchar(3) := 'ab';
          d numeric(5,2) default 1.005;
          arr int[] := '{1,2,3}';
          t text;
        begin
          arr[2] := 20; arr[5] := 50;
          nn = nn + k;
          t := v || '/' || d || '/' || arr::text || '/' || coalesce(t, 'null');
          return t;
        end $$;
        select consts();
        create function comments() returns text language plpgsql as $$
        -- a comment before the options
        #print_strict_params on
        declare
          a int := 1; -- trailing comment
          /* block comment */ b text := 'b';
          c cursor for select 1 as one; -- cursor
        begin
          -- before a cursor statement
          open c; /* between */ fetch c into a;
          close c;
          return a || b;
        end $$;
        select comments();
        create function nn() returns int language plpgsql as $$ declare x int not null := 1; begin x := null; return x; end $$;
        select nn();
        create function vlen() returns text language plpgsql as $$ declare v varchar(2); begin v := 'abc'; return v; end $$;
        select vlen();
        create function ifs(x int) returns text language plpgsql as $$
        begin
          if x is null then return 'null';
          elsif x < 0 then return 'neg';
          elsif x = 0 then return 'zero';
          else return 'pos';
          end if;
        end $$;
        select ifs(null), ifs(-1), ifs(0), ifs(5);
        create function cases(x int) returns text language plpgsql as $$
        declare r text;
        begin
          case x when 1, 2 then r := 'small'; when 3 then r := 'three'; else r := 'other'; end case;
          case when x > 10 then r := r || '+big'; when x > 2 then r := r || '+mid'; end case;
          return r;
        end $$;
        select cases(1), cases(3), cases(50);
        select cases(0);
        create function loops() returns text language plpgsql as $$
        declare s text := ''; i int := 0;
        begin
          <<outer>> loop
            i := i + 1;
            exit outer when i > 6;
            continue when i % 2 = 0;
            <<inner>> for j in reverse 9..1 by 4 loop
              continue outer when j < 3 and i = 5;
              s := s || i || ':' || j || ' ';
            end loop inner;
          end loop outer;
          while length(s) < 60 loop s := s || '.'; end loop;
          foreach i in array array[3,1,2] loop s := s || i; end loop;
          return s;
        end $$;
        select loops();
        create function bad_for() returns void language plpgsql as $$ begin for i in 1..null loop end loop; end $$;
        select bad_for();
        create function bad_by() returns void language plpgsql as $$ begin for i in 1..3 by 0 loop end loop; end $$;
        select bad_by();
        create function slices() returns text language plpgsql as $$
        declare s text := ''; a int[];
        begin
          foreach a slice 1 in array '{{1,2},{3,4}}'::int[] loop s := s || a::text; end loop;
          return s;
        end $$;
        select slices();
        do $$ begin raise notice 'do block % %', 1 + 1, 'two'; end $$;
        do language plpgsql $$ declare x int := 3; begin raise notice 'x=%', x * 2; end $$;
        do $$ begin return; end $$;
        do language sql $$ select 1 $$;
        do language nosuch $$ x $$;
        create function overflow(a int) returns int language plpgsql as $$ begin return a * 1000000; end $$;
        select overflow(5000);
        create function divide(a int, b int) returns int language plpgsql as $$ begin return a / b; end $$;
        select divide(-7, 2), divide(7, -2);
        select divide(1, 0);
    """,
    "records": r"""
        create table t (id int primary key, name text, v numeric(6,2));
        insert into t values (1, 'a', 1.5), (2, 'b', 2.25), (3, 'c', null);
        create function getname(k int) returns text language plpgsql as $$
        declare n t.name%type;
        begin
          select name into n from t where id = k;
          if not found then return 'none'; end if;
          return n;
        end $$;
        select getname(1), getname(9);
        create function strictget(k int) returns text language plpgsql as $$
        declare n text;
        begin select name into strict n from t where id > k; return n; end $$;
        select strictget(2);
        select strictget(9);
        select strictget(0);
        create function rowtype(k int) returns text language plpgsql as $$
        declare r t%rowtype; s record;
        begin
          select * into r from t where id = k;
          select id * 10 as big, upper(name) as up into s from t where id = k;
          r.name := r.name || '!';
          return r.id || ' ' || r.name || ' ' || coalesce(r.v::text, 'null') || ' ' || s.big || ' ' || s.up;
        end $$;
        select rowtype(1), rowtype(3);
        create function unassigned() returns int language plpgsql as $$ declare r record; begin return r.x; end $$;
        select unassigned();
        create function nofield() returns int language plpgsql as $$ declare r record; begin select 1 as a into r; return r.b; end $$;
        select nofield();
        create function intos() returns text language plpgsql as $$
        declare a int; b text; c int;
        begin
          select 1, 'x' into a, b;
          select 5 into a, b, c;
          return a || coalesce(b, '-') || coalesce(c::text, '-');
        end $$;
        select intos();
        create function dml() returns text language plpgsql as $$
        declare i int; n int; r record;
        begin
          insert into t values (10, 'ten', 10) returning id into i;
          update t set v = v * 2 where id >= 2;
          get diagnostics n = row_count;
          delete from t where id = 10 returning * into r;
          return i || ' ' || n || ' ' || r.name || ' ' || found;
        end $$;
        select dml();
        create function dml_many() returns int language plpgsql as $$
        declare i int;
        begin update t set v = v where id > 0 returning id into i; return i; end $$;
        select dml_many();
        create function nodest() returns void language plpgsql as $$ begin select 1; end $$;
        select nodest();
        create function nodest2() returns void language plpgsql as $$ begin insert into t values (99) returning id; end $$;
        select nodest2();
        create function tab(lim int) returns table(x int, y text) language plpgsql as $$
        begin
          return query select id, name from t where id <= lim order by id;
          x := 100; y := 'extra'; return next;
          return query execute 'select id * $1, name from t where id = $2' using 1000, 1;
        end $$;
        select * from tab(2);
        create function nums(n int) returns setof int language plpgsql as $$
        begin for i in 1..n loop return next i * i; end loop; return; end $$;
        select * from nums(4);
        select nums(3);
        create function wrongq() returns setof int language plpgsql as $$ begin return query select 1::bigint; end $$;
        select * from wrongq();
        create function outs(a int, out b int, out c text) language plpgsql as $$ begin b := a * 2; c := 'c' || a; end $$;
        select * from outs(5);
        select outs(6);
        create function one_out(a int, out b int) language plpgsql as $$ begin b := a + 1; end $$;
        select one_out(1);
        create function rec_ret(k int) returns record language plpgsql as $$
        declare r record; begin select id, name into r from t where id = k; return r; end $$;
        select * from rec_ret(1) as (id int, name text);
        create function noreturn() returns int language plpgsql as $$ begin end $$;
        select noreturn();
        create function castret() returns int language plpgsql as $$ begin return 'abc'; end $$;
        select castret();
    """,
    "exceptions": r"""
        create table acct (id int primary key, bal int check (bal >= 0));
        insert into acct values (1, 10);
        create function exc(a int) returns text language plpgsql as $$
        declare x int;
        begin
          x := 10 / a;
          return 'ok ' || x;
        exception
          when division_by_zero or sqlstate '22003' then return 'caught: ' || sqlerrm || ' ' || sqlstate;
        end $$;
        select exc(2), exc(0);
        create function rollback_block() returns text language plpgsql as $$
        begin
          insert into acct values (2, 5);
          begin
            insert into acct values (3, 5);
            update acct set bal = -1 where id = 1;
          exception when check_violation then
            raise notice 'caught % [%] %', sqlstate, sqlerrm, (select count(*) from acct);
          end;
          return (select string_agg(id || '=' || bal, ',' order by id) from acct);
        end $$;
        select rollback_block();
        select * from acct order by id;
        create function unique_v() returns text language plpgsql as $$
        declare msg text; det text; st text; ctx text; tbl text; con text;
        begin
          insert into acct values (1, 1);
          return 'no';
        exception when unique_violation then
          get stacked diagnostics msg = message_text, det = pg_exception_detail, st = returned_sqlstate,
                                  ctx = pg_exception_context, tbl = table_name, con = constraint_name;
          return st || ' | ' || msg || ' | ' || det || ' | ' || ctx;
        end $$;
        select unique_v();
        create function others() returns text language plpgsql as $$
        begin
          perform 1 / 0;
        exception when others then
          return 'others: ' || sqlstate;
        end $$;
        select others();
        create function category() returns text language plpgsql as $$
        begin
          perform 'x'::int;
        exception when data_exception then
          return 'class 22: ' || sqlstate;
        end $$;
        select category();
        create function uncaught() returns text language plpgsql as $$
        begin
          perform 1 / 0;
        exception when unique_violation then
          return 'wrong';
        end $$;
        select uncaught();
        create function reraise() returns text language plpgsql as $$
        begin
          begin
            raise exception 'inner' using errcode = 'P0001', detail = 'd1', hint = 'h1';
          exception when raise_exception then
            raise notice 'handling %', sqlerrm;
            raise;
          end;
        end $$;
        select reraise();
        create function nested_handler() returns text language plpgsql as $$
        begin
          begin
            perform 1 / 0;
          exception when division_by_zero then
            begin
              raise exception 'second %', sqlstate;
            exception when others then
              return 'inner handler: ' || sqlerrm;
            end;
          end;
        end $$;
        select nested_handler();
        create function stack_outside() returns void language plpgsql as $$
        declare x text; begin get stacked diagnostics x = message_text; end $$;
        select stack_outside();
        create function raise_outside() returns void language plpgsql as $$ begin raise; end $$;
        select raise_outside();
        create function not_caught_cancel() returns text language plpgsql as $$
        begin
          raise sqlstate 'P0004' using message = 'assert-like';
        exception when others then return 'others caught it';
        end $$;
        select not_caught_cancel();
        create function exc_vars_scope() returns text language plpgsql as $$
        declare r text := '';
        begin
          begin perform 1/0; exception when others then r := sqlstate; end;
          begin raise exception 'x'; exception when others then r := r || '/' || sqlstate || '/' || sqlerrm; end;
          return r;
        end $$;
        select exc_vars_scope();
    """,
    "raise": r"""
        do $$ begin raise notice 'plain'; raise info 'info % %', 1, null; raise warning 'warn %%'; end $$;
        do $$ begin raise debug 'hidden'; raise log 'hidden too'; end $$;
        set client_min_messages = debug1;
        do $$ begin raise debug 'shown now'; raise log 'log shown'; end $$;
        reset client_min_messages;
        set client_min_messages = warning;
        do $$ begin raise notice 'not shown'; raise info 'info always'; raise warning 'warning shown'; end $$;
        reset client_min_messages;
        do $$ begin raise exception 'boom % and %', 1, 'two' using detail = 'the detail', hint = 'the hint'; end $$;
        do $$ begin raise exception using message = 'only message', errcode = '22012'; end $$;
        do $$ begin raise division_by_zero; end $$;
        do $$ begin raise sqlstate 'XX123'; end $$;
        do $$ begin raise 'custom' using errcode = 'unique_violation', column = 'c', constraint = 'k', table = 't', schema = 's'; end $$;
        do $$ begin raise 'x' using errcode = 'nonsense'; end $$;
        do $$ begin raise 'x' using detail = null; end $$;
        do $$ begin raise 'x' using message = 'y'; end $$;
        do $$ begin raise 'x' using detail = 'a', detail = 'b'; end $$;
        do $$ begin raise notice 'n' using errcode = '01999', hint = 'hn'; end $$;
        do $$ begin assert 1 = 1; assert 1 = 2; end $$;
        do $$ begin assert false, 'custom ' || 'message'; end $$;
        do $$ begin assert null; end $$;
        set plpgsql.check_asserts = off;
        do $$ begin assert false; raise notice 'asserts off'; end $$;
        reset plpgsql.check_asserts;
        show plpgsql.check_asserts;
        show plpgsql.variable_conflict;
    """,
    "dynamic": r"""
        create table d (id int, val text);
        create function dyn(tbl text, k int) returns text language plpgsql as $$
        declare r text; n int;
        begin
          execute format('insert into %I values ($1, $2)', tbl) using k, 'v' || k;
          execute format('select val from %I where id = $1', tbl) into r using k;
          execute 'update ' || quote_ident(tbl) || ' set val = val || ''!''';
          get diagnostics n = row_count;
          execute format('select count(*) from %I', tbl) into strict n;
          return r || ' ' || n;
        end $$;
        select dyn('d', 1), dyn('d', 2);
        create function dyn_strict() returns int language plpgsql as $$
        declare n int; begin execute 'select id from d' into strict n; return n; end $$;
        select dyn_strict();
        create function dyn_none() returns int language plpgsql as $$
        declare n int; begin execute 'select id from d where false' into strict n; return n; end $$;
        select dyn_none();
        create function dyn_null() returns void language plpgsql as $$ begin execute null; end $$;
        select dyn_null();
        create function dyn_bad() returns void language plpgsql as $$ begin execute 'selec 1'; end $$;
        select dyn_bad();
        create function dyn_ddl() returns int language plpgsql as $$
        declare n int;
        begin
          execute 'create table dd (x int)';
          insert into dd values (1), (2);
          execute 'select count(*) from dd' into n;
          for n in execute 'select x from dd order by x' loop raise notice 'row %', n; end loop;
          return n;
        end $$;
        select dyn_ddl();
        select * from dd order by x;
        create function diag() returns text language plpgsql as $$
        declare c text;
        begin get diagnostics c = pg_context; return c; end $$;
        create function diag2() returns text language plpgsql as $$ begin return diag(); end $$;
        select diag2();
    """,
    "cursors": r"""
        create table rc (a int, b int);
        insert into rc values (5, 10), (50, 100), (500, 1000);
        create function cur1() returns text language plpgsql as $$
        declare
          c scroll cursor for select a, b from rc order by a;
          r record; s text := '';
        begin
          open c;
          loop fetch c into r; exit when not found; s := s || r.a || ':' || r.b || ' '; end loop;
          fetch prior from c into r; s := s || 'prior=' || r.a;
          fetch first from c into r; s := s || ' first=' || r.a;
          fetch last from c into r; s := s || ' last=' || r.a;
          fetch absolute 2 from c into r; s := s || ' abs2=' || r.a;
          fetch relative -1 from c into r; s := s || ' rel=' || r.a;
          move forward 5 in c; s := s || ' moved=' || found;
          close c;
          return s;
        end $$;
        select cur1();
        create function cur2(k int) returns int language plpgsql as $$
        declare
          c cursor (lim int, mult int) for select a * mult as m from rc where a > lim order by a;
          n int := 0;
        begin
          for r in c(k, 2) loop n := n + r.m; end loop;
          for r in c(mult := 1, lim := 0) loop n := n + 1; end loop;
          return n;
        end $$;
        select cur2(10), cur2(0);
        create function ret_cur() returns refcursor language plpgsql as $$
        declare rc refcursor;
        begin open rc for select a from rc order by a; return rc; end $$;
        begin;
        select ret_cur();
        fetch all from "<unnamed portal 1>";
        commit;
        create function named_cur(c refcursor) returns refcursor language plpgsql as $$
        begin open c for execute 'select a * $1 as x from rc order by 1' using 2; return c; end $$;
        begin;
        select named_cur('mycur');
        fetch next in mycur;
        fetch all in mycur;
        commit;
        do $$ declare c no scroll cursor for select 1; x int; begin open c; fetch c into x; fetch prior from c into x; end $$;
        do $$ declare c refcursor; x int; begin fetch c into x; end $$;
        do $$ declare c refcursor := 'nosuch'; begin close c; end $$;
        do $$ declare x int; begin open x for select 1; end $$;
        do $$ declare c cursor for select 1; begin open c; open c; end $$;
    """,
    "triggers": r"""
        create table accounts (id serial primary key, owner text not null, balance numeric(12,2) not null default 0,
                               updated_at timestamptz, version int not null default 1);
        create table audit_log (id serial primary key, tbl text, op text, row_id int, old_balance numeric,
                                new_balance numeric, note text);
        create function touch() returns trigger language plpgsql as $$
        begin
          new.updated_at := '2024-01-01 00:00:00+00';
          new.version := old.version + 1;
          return new;
        end $$;
        create trigger accounts_touch before update on accounts for each row execute function touch();
        create function audit() returns trigger language plpgsql as $$
        begin
          if tg_op = 'DELETE' then
            insert into audit_log (tbl, op, row_id, old_balance, note) values (tg_table_name, tg_op, old.id, old.balance, tg_argv[0]);
            return old;
          elsif tg_op = 'UPDATE' then
            insert into audit_log (tbl, op, row_id, old_balance, new_balance, note)
              values (tg_table_name, tg_op, new.id, old.balance, new.balance, tg_argv[1]);
          else
            insert into audit_log (tbl, op, row_id, new_balance, note) values (tg_table_name, tg_op, new.id, new.balance, tg_nargs::text);
          end if;
          return new;
        end $$;
        create trigger accounts_audit after insert or update or delete on accounts for each row execute function audit('x', 'y');
        create function guard() returns trigger language plpgsql as $$
        begin
          if new.balance < 0 then
            raise exception 'balance of % would be negative', new.owner using errcode = 'check_violation', hint = 'deposit first';
          end if;
          if new.owner = 'skip' then return null; end if;
          return new;
        end $$;
        create trigger accounts_guard before insert or update on accounts for each row execute function guard();
        create function stmt_note() returns trigger language plpgsql as $$
        begin
          raise notice 'statement % % % % % %', tg_op, tg_when, tg_level, tg_name, tg_table_schema, new is null;
          return null;
        end $$;
        create trigger accounts_stmt after insert on accounts for each statement execute function stmt_note();
        insert into accounts (owner, balance) values ('alice', 100), ('bob', 50), ('skip', 1);
        update accounts set balance = balance - 30 where owner = 'alice';
        update accounts set balance = balance - 100 where owner = 'bob';
        delete from accounts where owner = 'bob';
        select id, owner, balance, updated_at, version from accounts order by id;
        select tbl, op, row_id, old_balance, new_balance, note from audit_log order by id;
        create function bad_trig() returns trigger language plpgsql as $$ begin return 1; end $$;
        create table bt (x int);
        create trigger bt_t before insert on bt for each row execute function bad_trig();
        insert into bt values (1);
    """,
    "procedures": r"""
        create table log (n int);
        create procedure p_commit(k int) language plpgsql as $$
        begin
          for i in 1..k loop
            insert into log values (i);
            if i % 2 = 0 then commit; else rollback; end if;
          end loop;
        end $$;
        call p_commit(4);
        select * from log order by n;
        begin;
        call p_commit(2);
        rollback;
        create procedure p_inout(a int, inout b int, inout c text) language plpgsql as $$
        begin b := a + b; c := c || '!'; end $$;
        call p_inout(1, 2, 'x');
        create procedure p_caller() language plpgsql as $$
        declare b int := 10; c text := 'y';
        begin call p_inout(5, b, c); raise notice 'b=% c=%', b, c; end $$;
        call p_caller();
        create function f_calls_commit() returns void language plpgsql as $$ begin call p_commit(1); end $$;
        select f_calls_commit();
        create procedure p_sub() language plpgsql as $$
        begin
          begin insert into log values (100); commit; exception when others then raise notice 'caught %', sqlerrm; end;
        end $$;
        call p_sub();
        do $$ begin insert into log values (7); commit; insert into log values (8); rollback; end $$;
        select * from log order by n;
        create procedure p_ret() language plpgsql as $$ begin return; end $$;
        call p_ret();
    """,
    "errors": r"""
        create function f1() returns int language plpgsql as $$declare x int; begin x := 1 + ; end$$;
        create function f2() returns int language plpgsql as $$
        begin
          if true then end;
        end$$;
        create function f3() returns int language plpgsql as $$
        declare x foo;
        begin return 1; end$$;
        create function f4() returns int language plpgsql as $$
        begin
          y := 1;
        end$$;
        create function f5() returns int language plpgsql as $$ begin raise notice '% %', 1; end $$;
        create function f6() returns void language plpgsql as $$ begin return 1; end $$;
        create function f7() returns int language plpgsql as $$ begin return ; end $$;
        create function f8() returns int language plpgsql as $$ begin exit; end $$;
        create function f9() returns int language plpgsql as $$ declare x constant int := 1; begin x := 2; end $$;
        create function f10() returns int language plpgsql as $$ declare x int not null; begin end $$;
        create function f11() returns int language plpgsql as $$ begin exception when nosuchcond then null; end $$;
        create function f12() returns setof int language plpgsql as $$ begin return 1; end $$;
        do $$ begin x; end $$;
        do $$
        declare y bar;
        begin end $$;
        set check_function_bodies = off;
        create function late() returns int language plpgsql as $$
        begin
          z := 1;
        end$$;
        select late();
        reset check_function_bodies;
        create function g(a int) returns int language plpgsql as $$
        begin
          raise exception 'bad %', a using hint = 'h', errcode = '22012';
        end$$;
        create function h() returns int language plpgsql as $$
        declare y int;
        begin
          perform g(1);
          return 1;
        end$$;
        select h();
        create function h2() returns int language plpgsql as $$
        declare y int;
        begin
          y := g(2);
          return y;
        end$$;
        select h2();
        create function h3() returns int language plpgsql as $$ begin return nosuchcol; end$$;
        select h3();
        create function h4() returns void language plpgsql as $$ begin perform nosuch(); end$$;
        select h4();
        do $$ declare x int := 1/0; begin end $$;
        do $$ declare x int; begin x := 1 / 0; end $$;
        do $$ declare x int; begin x := (select 1 / 0); end $$;
        do $$ declare x int; begin x := 'abc'; end $$;
        do $$ declare x int; begin x := (select 1 union select 2); end $$;
        do $$ declare x int; begin x := 1, 2; end $$;
        create table items (id int, qty int);
        create function amb() returns table (id int, qty int) language plpgsql as $$
        begin return query select id, qty from items; end $$;
        select * from amb();
        create function amb2() returns table (id int, qty int) language plpgsql as $$
        #variable_conflict use_column
        begin return query select id, qty from items; end $$;
        select * from amb2();
    """,
    "application": r"""
        create table customers (id serial primary key, email text unique not null, credit numeric(10,2) not null default 0);
        create table orders (id serial primary key, customer_id int references customers(id), total numeric(10,2), status text default 'new');
        create function place_order(p_email text, p_total numeric) returns int language plpgsql as $$
        declare
          c customers%rowtype;
          new_id int;
        begin
          select * into strict c from customers where email = p_email;
          if c.credit < p_total then
            raise exception 'insufficient credit for %: has %, needs %', p_email, c.credit, p_total
              using errcode = 'P0101', hint = 'Top up the account or lower the order total.',
                    detail = format('customer id %s', c.id);
          end if;
          update customers set credit = credit - p_total where id = c.id;
          insert into orders (customer_id, total) values (c.id, p_total) returning id into new_id;
          raise notice 'order % placed for %', new_id, p_email;
          return new_id;
        exception
          when no_data_found then
            raise exception 'unknown customer %', p_email using errcode = 'P0102';
        end $$;
        insert into customers (email, credit) values ('a@x', 100), ('b@x', 10);
        select place_order('a@x', 30);
        select place_order('b@x', 30);
        select place_order('nobody@x', 1);
        select id, email, credit from customers order by id;
        select id, customer_id, total, status from orders order by id;
        do $$
        declare r record; total numeric := 0;
        begin
          for r in select o.total from orders o join customers c on c.id = o.customer_id loop
            total := total + r.total;
          end loop;
          raise notice 'total %', total;
          update orders set status = 'paid';
          if not found then raise exception 'nothing to pay'; end if;
        end $$;
        select status, count(*) from orders group by status;
    """,
    "compile_checks": r"""
        set plpgsql.extra_warnings to 'shadowed_variables';
        create function sh1(qty int, out total int) language plpgsql as $$
        declare
          qty int := 2;
          found boolean;
        begin
          declare
            total int;
            k cursor (qty int) for select qty;
          begin
            total := 1;
          end;
          total := qty;
        end $$;
        select sh1(5);
        set plpgsql.extra_warnings to 'all';
        select sh1(6);
        do $$ declare found int; begin end $$;
        set plpgsql.extra_errors to 'shadowed_variables';
        create function sh2(a int) returns int language plpgsql as $$
        declare b int; begin declare a int; begin end; return b; end $$;
        select sh2(1);
        reset plpgsql.extra_errors;
        reset plpgsql.extra_warnings;
        create function sh3(a int) returns int language plpgsql as $$ declare a int := 7; begin return a; end $$;
        select sh3(1);
        create function cur1() returns int language plpgsql as $$
        declare
          k cursor (lo int, hi int) for select g from generate_series(lo, hi) g;
        begin
          open k(hi := 3,
                 4);
        end $$;
        create function cur2() returns int language plpgsql as $$
        declare k cursor (lo int, hi int) for select lo + hi;
        begin open k (lo := 1, lo := 2); end $$;
        create function cur3() returns int language plpgsql as $$
        declare k cursor (lo int, hi int) for select lo + hi;
        begin open k (hi := 1 ); end $$;
        create function cur4() returns int language plpgsql as $$
        declare k cursor (lo int, hi int) for select lo + hi;
        begin for r in k(1, 2, 3) loop end loop; end $$;
        create function cur5() returns int language plpgsql as $$
        declare k cursor (lo int, hi int) for select lo + hi;
        begin for r in k (9) loop end loop; end $$;
        create function cur6() returns int language plpgsql as $$
        declare k cursor (lo int, hi int) for select lo + hi;
        begin open k(lo => 1, hi => 2); end $$;
        create function cur7() returns int language plpgsql as $$
        declare k cursor (lo int, hi int) for select lo + hi; begin open k(, 2); end $$;
        create function cur8() returns int language plpgsql as $$
        declare k cursor (lo int, hi int) for select lo + hi; begin open k(1, ); end $$;
        create function cur9() returns int language plpgsql as $$
        declare k cursor (lo int) for select lo; begin for r in k() loop end loop; end $$;
        create table rq_src (n int);
        create function rq(kind int) returns setof int language plpgsql as $$
        begin
          if kind = 1 then return query select n into rq_copy from rq_src;
          elsif kind = 2 then return query insert into rq_src values (1);
          elsif kind = 3 then return query execute 'delete from rq_src';
          elsif kind = 4 then return query execute 'select 1 into rq_copy2';
          elsif kind = 5 then return query execute 'create table rq_t2 (x int)';
          else return query execute 'set search_path = public';
          end if;
        end $$;
        select * from rq(1);
        select * from rq(2);
        select * from rq(3);
        select * from rq(4);
        select * from rq(5);
        select * from rq(6);
        select count(*) from rq_src;
    """,
    "polymorphic_out": r"""
        create function twice(x anycompatible, out one anycompatible, out two anycompatiblearray)
          language plpgsql as $$ begin one := x; two := array[x, x]; end $$;
        select * from twice(8);
        select two, pg_typeof(two), pg_typeof(one) from twice('q'::varchar);
        select twice(1.25);
        create function grow(a anyelement, b anyarray, out c anyarray, out d anyelement) language plpgsql as $$
        begin c := b || a; d := a; end $$;
        select c, pg_typeof(c), d, pg_typeof(d) from grow(3, array[1, 2]);
        select (grow('z'::text, array['y'])).c;
        select array['s'::text] || 't'::text, 'r'::text || array['s'::varchar];
        select array[1] || 'x'::text;
        create function spread(a anyelement, n int) returns table (k int, val anyelement, vals anyarray)
          language plpgsql as $$
        begin
          vals := array[]::text[];
          for i in 1..n loop k := i; val := a; vals := vals || a; return next; end loop;
        end $$;
        select *, pg_typeof(vals) from spread(true, 3);
        select spread(7::smallint, 2);
        create type color as enum ('red', 'green');
        create function pe(x anyenum) returns text language plpgsql as $$ begin return x::text || ':' || pg_typeof(x); end $$;
        select pe('green'::color);
        create function pn(x anynonarray) returns anynonarray language plpgsql as $$ begin return x; end $$;
        select pn(5), pn('t'::text);
        select pn(array[1]);
        create function pc(a anycompatible, b anycompatible) returns anycompatible language plpgsql as $$ begin return a + b; end $$;
        select pc(1, 2.5), pc(1::smallint, 2::bigint), pg_typeof(pc(1::smallint, 2::bigint));
        select pc('a', 1);
        create function parr(a anyarray) returns anyelement language plpgsql as $$ declare x a%type; begin x := a; return x[array_upper(x, 1)]; end $$;
        select parr(array[1,2,3]), parr(array['x','y']);
        create function pdecl(a anyelement) returns anyelement language plpgsql as $$ declare v a%type := a; begin return v; end $$;
        select pdecl(4.5), pdecl('s'::text);
        create function pvar(variadic xs anycompatiblearray) returns anycompatible language plpgsql as $$ declare s alias for xs; begin return s[1]; end $$;
        select pvar(1, 2.5), pvar('a', 'b');
    """,
    "table_rowtypes": r"""
        create table stock(sku int primary key, label text, price numeric(8,2), qty int);
        insert into stock values (1, 'bolt', 0.25, 100), (2, 'nut', 0.10, 0), (3, 'gear', 12.50, 7);
        create function in_stock(min_qty int) returns setof stock language plpgsql stable as $$
        declare r stock%rowtype;
        begin
          for r in select * from stock where qty >= min_qty order by sku loop
            return next r;
          end loop;
          return query select * from stock where qty = 0;
        end $$;
        select * from in_stock(1);
        select label, price from in_stock(10) order by label;
        select in_stock(50);
        create function one_item(p int) returns stock language plpgsql as $$
        declare r record;
        begin
          select * into r from stock where sku = p;
          if not found then return null; end if;
          return r;
        end $$;
        select * from one_item(3);
        select * from one_item(99);
        select one_item(1), (one_item(2)).label, (one_item(3)).*;
        create function loose_item() returns stock language plpgsql as $$
        declare r record; begin select 1, 'x'::text, 2.5, 1 into r; return r; end $$;
        select * from loose_item();
        create function loose_next() returns setof stock language plpgsql as $$
        declare r record; begin select 1, 'x'::text, 2.5::numeric(8,2), 1::bigint into r; return next r; end $$;
        select * from loose_next();
        create function scalar_item() returns stock language plpgsql as $$ begin return 42; end $$;
        select * from scalar_item();
        create function short_query() returns setof stock language plpgsql as $$ begin return query select sku from stock; end $$;
        select * from short_query();
        create function outs_next(out a int, out b text) returns setof record language plpgsql as $$
        declare r record; begin select 1, 'y' into r; return next r; end $$;
        create function conflict_rows() returns setof stock language plpgsql as $$
        declare r record; qty int := 5;
        begin for r in select sku, label, price, qty from stock loop return next r; end loop; end $$;
        select * from conflict_rows();
        alter table stock add column note text;
        select * from in_stock(1);
        do $$ declare r stock; begin r := '(4,"wing nut, small",0.05,,)'; raise notice '% % % %', r.sku, r.label, r.price, r.qty is null; end $$;
        do $$ declare r stock; t text := '( 5 ,x,1,2,n)'; begin r := t; raise notice '%', r; end $$;
        do $$ declare r stock; begin r := 7; end $$;
        do $$ declare r stock; begin r := '(1,x)'; end $$;
        do $$ declare r stock; begin r := '(1,x,1,1,n,extra)'; end $$;
        do $$ declare r stock; begin r := '(1,x,1,1,n) tail'; end $$;
        do $$ declare r stock; begin r := '(one,x,1,1,n)'; end $$;
        do $$ declare r stock; t text := '(one,x,1,1,n)'; begin r := t; end $$;
        do $$ declare r stock; begin r := '(1,"open'; end $$;
        do $$ declare r record; begin r := 5; end $$;
        drop table stock;
    """,
    "dynamic_violations": r"""
        create table parent(id int primary key);
        create table child(id int primary key, pid int references parent(id), v text not null, n int check (n > 0));
        insert into parent values (1);
        create function try(sql text) returns text language plpgsql as $$
        declare st text; msg text; tbl text; col text; con text; sch text; dt text; det text; hint text;
        begin
          execute sql;
          return 'ok';
        exception when others then
          get stacked diagnostics st = returned_sqlstate, msg = message_text, tbl = table_name, col = column_name,
            con = constraint_name, sch = schema_name, dt = pg_datatype_name, det = pg_exception_detail, hint = pg_exception_hint;
          return concat_ws(' | ', st, msg, tbl, col, con, sch, dt, det, hint);
        end $$;
        select try('insert into child values (1, 9, ''x'', 1)');
        select try('insert into child values (1, 1, null, 1)');
        select try('insert into child values (1, 1, ''x'', 0)');
        select try('insert into child values (1, 1, ''x'', 1)');
        select try('insert into child values (2, 1, ''x'', 1)');
        select try('insert into child values (2, 1, ''x'', 1)');
        select try('delete from parent');
        select try('select 1/0');
        select try('select ''abc''::int');
        select try('select nosuch from child');
        create function dyn(t text) returns setof record language plpgsql as $$
        declare r record;
        begin
          for r in execute format('select %I, %L::text as lit from %I order by 1', 'id', 'q''x', t) loop
            return next r;
          end loop;
          return query execute 'select id, $1 from ' || quote_ident(t) || ' where id > $2' using 'u'::text, 0;
        end $$;
        select * from dyn('child') as (id int, lit text);
        do $$ declare r record; begin execute 'select 1 as a, ''z'' as b' into r; raise notice '% %', r.a, r.b; end $$;
        do $$ begin insert into child values (3, 1, 'y', 1); exception when sqlstate '23505' then raise notice 'dup'; end $$;
        do $$ begin insert into child values (3, 1, 'y', 1); exception when sqlstate '23505' then raise notice 'dup'; end $$;
        do $$ begin execute 'insert into child values ($1, $2, $3, $4)' using 3, 1, 'dup'::text, 5; end $$;
        do $$ begin execute 'insert into child values ($1, $2, $3, $4)' using 7, 8, 'fk'::text, 5; end $$;
        do $$ begin execute 'update child set n = $1 where id = $2' using -1, 3; end $$;
        do $$ begin execute 'insert into child values (1, 9, ''x'', 1)'; end $$;
        do $$ begin execute 'insert into child values (1, 1, null, 1)'; end $$;
    """,
    "found_and_row_count": r"""
        create table gd(a int);
        insert into gd select generate_series(1, 5);
        do $$
        declare n int; r record; c refcursor; x int;
        begin
          perform * from gd where a > 2; get diagnostics n = row_count; raise notice 'perform % %', n, found;
          select a into x from gd where a > 3 limit 1; get diagnostics n = row_count; raise notice 'into % %', n, found;
          for r in select * from gd loop end loop; get diagnostics n = row_count; raise notice 'for % %', n, found;
          for r in select * from gd where false loop end loop; raise notice 'for0 %', found;
          update gd set a = a where a < 3; get diagnostics n = row_count; raise notice 'upd % %', n, found;
          execute 'delete from gd where a = 99'; get diagnostics n = row_count; raise notice 'exec % %', n, found;
          open c for select * from gd order by a; fetch c into x; raise notice 'fetch % %', x, found;
          move last in c; raise notice 'move %', found;
          fetch c into x; raise notice 'fetch2 % %', x, found;
          close c;
          foreach x in array array[1,2] loop end loop; raise notice 'foreach %', found;
          foreach x in array array[]::int[] loop end loop; raise notice 'foreach0 %', found;
          for i in 1..0 loop end loop; raise notice 'fori0 %', found;
          for i in 1..2 loop end loop; raise notice 'fori %', found;
        end $$;
        create function rq() returns setof int language plpgsql as $$ declare n int; begin return query select a from gd; get diagnostics n = row_count; raise notice 'rq % %', n, found; return query select 1 where false; raise notice 'rq0 %', found; end $$;
        select count(*) from rq();
        do $$ declare n int; begin insert into gd values (6), (7); get diagnostics n = row_count; raise notice '%', n; begin insert into gd values (1/0); exception when others then get diagnostics n = row_count; raise notice 'in handler %', n; end; end $$;
    """,
    "inline_and_casts": r"""
        create function zero_div() returns int language sql as $$ select 1/0 $$;
        create function inv(a int) returns int language sql as $$ select 1/a $$;
        create function use1() returns int language plpgsql as $$ declare x int; begin x := zero_div(); return x; end $$;
        select use1();
        create function use2() returns int language plpgsql as $$ begin return zero_div(); end $$;
        select use2();
        create function use3() returns int language plpgsql as $$ declare z int := 0; begin return inv(z); end $$;
        select use3();
        create function use4() returns int language plpgsql as $$ begin if zero_div() > 0 then return 1; end if; return 0; end $$;
        select use4();
        create function nx1() returns setof int language plpgsql as $$ begin return next 5; return next 'nope'; end $$;
        select * from nx1();
        create function nx2() returns setof numeric language plpgsql as $$ begin return next 1; return next 2.5; return next null; end $$;
        select * from nx2();
        create function nx3() returns setof varchar(2) language plpgsql as $$ begin return next 'abc'; end $$;
        select * from nx3();
        create function se1() returns int language plpgsql as $$ declare x int; begin x := 2 *; return x; end $$;
        create function se2() returns int language plpgsql as $$ begin while 1 < then end loop; end $$;
        create function se3() returns int language plpgsql as $$ begin return 3 -   ; end $$;
        do $$ begin perform 4 /; end $$;
    """,
    "idioms": r"""
        create table items(id serial primary key, name text, qty int check (qty >= 0), price numeric(8,2));
        insert into items(name, qty, price) values ('a', 5, 1.50), ('b', 0, 2.00), ('c', 7, 0.25);
        create function restock(p_name text, p_n int) returns int language plpgsql as $$
        declare v_id int; v_qty int;
        begin
          update items set qty = qty + p_n where name = p_name returning id, qty into v_id, v_qty;
          if v_id is null then
            insert into items(name, qty) values (p_name, p_n) returning id into v_id;
            raise notice 'inserted %', v_id;
          end if;
          return v_id;
        exception
          when check_violation then
            raise notice 'check failed for % (%)', p_name, sqlerrm;
            return -1;
        end $$;
        select restock('a', 3), restock('zz', 2), restock('b', -5);
        select name, qty from items order by id;
        create function total_value() returns numeric language plpgsql stable as $$
        declare t numeric := 0; r record;
        begin
          for r in select qty, price from items where price is not null loop
            t := t + r.qty * r.price;
          end loop;
          return round(t, 2);
        end $$;
        select total_value();
        create function json_report() returns jsonb language plpgsql as $$
        declare j jsonb := '[]';
          r items%rowtype;
        begin
          for r in select * from items order by id loop
            j := j || jsonb_build_object('name', r.name, 'qty', r.qty);
          end loop;
          return j;
        end $$;
        select json_report();
        create function gen(n int) returns setof text language plpgsql as $$
        begin
          for i in 1..n loop
            if i % 2 = 0 then continue; end if;
            return next 'odd ' || i;
          end loop;
          return;
        end $$;
        select * from gen(5);
        select gen(3);
        create function upsert_item(p_name text, p_qty int) returns void language plpgsql as $$
        begin
          loop
            update items set qty = p_qty where name = p_name;
            if found then return; end if;
            begin
              insert into items(name, qty) values (p_name, p_qty);
              return;
            exception when unique_violation then null;
            end;
          end loop;
        end $$;
        select upsert_item('a', 100), upsert_item('new', 1);
        select name, qty from items order by id;
        create function slow_count(t regclass) returns bigint language plpgsql as $$
        declare n bigint; begin execute format('select count(*) from %s', t) into n; return n; end $$;
        select slow_count('items'), slow_count('items'::regclass);
        do $$
        declare
          arr int[] := array[5, 3, 8];
          total int := 0;
          idx int;
        begin
          for idx in array_lower(arr, 1) .. array_upper(arr, 1) loop
            total := total + arr[idx] * idx;
          end loop;
          raise notice 'total=% len=% card=%', total, array_length(arr, 1), cardinality(arr);
        end $$;
        do $$ declare s text := ''; c char; begin foreach c in array string_to_array('xyz', null) loop s := c || s; end loop; raise notice '%', s; end $$;
        do $$ declare d interval := '90 minutes'; begin raise notice '% %', d, extract(epoch from d); end $$;
        do $$ declare r record; begin for r in select * from generate_series(1,2) g, lateral (select g*10 as t) s loop raise notice '% %', r.g, r.t; end loop; end $$;
        do $$ begin raise notice '%', current_setting('search_path'); perform set_config('search_path', 'public', true); raise notice '%', current_setting('search_path'); end $$;
        create function pair_of(in a int, out lo int, out hi text) language plpgsql as $$
        begin lo := a - 1; hi := 'h' || a; raise notice 'pair_of(%)', a; end $$;
        select (pair_of(1)).*, pair_of(2);
        select (pair_of(x)).* from generate_series(3, 4) x;
    """,
}


@pytest.fixture(scope="module")
def both(shared_server, pg15):
    """pgsvc and PostgreSQL 15, each with one fresh database per case (public writable by
    pl_owner, who runs the scripts)."""
    for target in (shared_server, pg15):
        fresh_databases(target, OWNER, "pl", list(CASES) + ["drivers"])
    return shared_server, pg15


def _script(name: str) -> str:
    return f"SET ROLE {OWNER};\n{CASES[name]}\n"


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, both):
    ours, pg = both
    expected = run_script(pg, _script(name), f"pl_{name}")
    got = run_script(ours, _script(name), f"pl_{name}")
    assert got == expected


@pytest.mark.parametrize("name", ["basics", "records", "exceptions", "raise", "errors", "compile_checks"])
def test_same_sqlstates_as_postgres(name, both):
    """Every error carries PostgreSQL's SQLSTATE (a second run: the objects exist by now)."""
    ours, pg = both
    script = _script(name)
    assert run_script(ours, script, f"pl_{name}", "sqlstate") == run_script(pg, script, f"pl_{name}", "sqlstate")


def test_commit_in_implicit_transaction_is_refused(both):
    """CALL of a procedure that COMMITs: allowed alone, refused (2D000) inside a multi-
    statement query (PostgreSQL's implicit transaction block)."""
    ours, pg = both
    setup = ("CREATE TABLE IF NOT EXISTS imp (n int);\n"
             "CREATE OR REPLACE PROCEDURE pc() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO imp VALUES (1); COMMIT; END $$;")
    out = []
    for target in (ours, pg):
        run_script(target, setup, "pl_drivers")
        res = []
        for sql in ("CALL pc()", "CALL pc(); SELECT 1", "SELECT count(*) FROM imp"):
            r = subprocess.run([require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(target.port), "-U",
                                target.superuser, "-d", "pl_drivers", "-c", sql], capture_output=True, text=True,
                               timeout=60)
            res.append(r.stdout + r.stderr)
        out.append(res)
    assert out[0] == out[1]


DRIVER_SETUP = r"""
create or replace function pay(amount int) returns int language plpgsql as $$
begin
  raise notice 'paying %', amount using detail = 'notice detail';
  if amount < 0 then
    raise exception 'negative amount %', amount using errcode = 'P0101', hint = 'use a positive amount',
      detail = 'amount was ' || amount;
  end if;
  return amount * 2;
end $$;
create or replace function outer_pay(a int) returns int language plpgsql as $$ begin return pay(a) + 1; end $$;
"""


@pytest.fixture(scope="module")
def drivers_db(both):
    for target in both:
        out = run_script(target, DRIVER_SETUP, "pl_drivers")
        assert "ERROR" not in out, out
    return both


def test_psycopg_notices_and_error_fields(drivers_db):
    psycopg = pytest.importorskip("psycopg")

    def session(target):
        notices = []
        with psycopg.connect(target.dsn(dbname="pl_drivers"), autocommit=True) as conn:
            conn.add_notice_handler(lambda d: notices.append((d.severity, d.sqlstate, d.message_primary,
                                                              d.message_detail, d.context)))
            ok = conn.execute("SELECT pay(%s)", (21,)).fetchone()
            try:
                conn.execute("SELECT outer_pay(%s)", (-1,))
                err = None
            except psycopg.Error as e:
                d = e.diag
                err = (e.sqlstate, d.message_primary, d.message_detail, d.message_hint, d.context)
            conn.execute("DO $$ BEGIN RAISE WARNING 'w %', 1 USING HINT = 'wh'; END $$")
        return ok, err, notices
    ours, pg = drivers_db
    assert session(ours) == session(pg)


def test_asyncpg_notices_and_error_fields(drivers_db):
    asyncpg = pytest.importorskip("asyncpg")

    async def session(target):
        conn = await asyncpg.connect(host="127.0.0.1", port=target.port, user=target.superuser,
                                     database="pl_drivers")
        notices = []
        conn.add_log_listener(lambda c, m: notices.append((m.severity, m.sqlstate, m.message, m.detail, m.context)))
        try:
            ok = await conn.fetchval("SELECT pay($1)", 5)
            try:
                await conn.fetchval("SELECT outer_pay($1)", -3)
                err = None
            except asyncpg.PostgresError as e:
                err = (e.sqlstate, e.message, e.detail, e.hint, e.context)
            await conn.execute("DO $$ BEGIN RAISE NOTICE 'from do'; END $$")
            await asyncio.sleep(0.05)
        finally:
            await conn.close()
        return ok, err, notices
    ours, pg = drivers_db
    assert asyncio.run(session(ours)) == asyncio.run(session(pg))
