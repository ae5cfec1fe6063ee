"""User-defined functions and procedures, LANGUAGE sql (issue 12): CREATE [OR REPLACE]
FUNCTION / PROCEDURE, DROP, ALTER, CALL, argument modes and notations, polymorphism,
attributes (STRICT, SECURITY DEFINER, SET), set-returning functions in FROM and in the
select list, errors with PostgreSQL's CONTEXT lines, EXECUTE privileges, dependencies,
pg_proc and psql's \\df / \\df+ / \\sf, and a dump that restores into PostgreSQL 15.

Side by side with PostgreSQL 15: each script runs in a database of its own on both
servers (as one role, rt_owner, so owners and ACLs print the same) and must print the same
thing — rows, notices, errors with their detail, hint, CONTEXT and position — and the same
SQLSTATEs. Nothing here states an expected value: PostgreSQL's output is the expectation.
"""

from __future__ import annotations

import asyncio
import subprocess

import pytest
from psql_scripts import fresh_databases, run_script
from conftest import PGSVC, ROOT, require_tool

OWNER = "rt_owner"

CASES = {
    "basics": r"""
        create function add1(a int) returns int language sql as 'select a + 1';
        select add1(1), add1(null);
        create function d1(a int) returns int as 'select 10/a' language sql;
        select d1(0);
        create table t(x int); insert into t values (1), (0);
        select d1(x) from t;
        create function two(a int, b int default 5) returns int language sql as $$ select 1; select a * b $$;
        select two(2), two(2, 3), two(b => 3, a => 4);
        select two(0) from t;
        create function sb(a int) returns int language sql return a + 1;
        select sb(41);
        create function cnt() returns bigint language sql as 'select count(*) from t';
        select cnt();
        create function ins(v int) returns int language sql as 'insert into t values (v) returning x * 10';
        select ins(7);
        select count(*) from t;
        create procedure pp(inout a int, out b text) language sql as $$ select a+1, 'x' $$;
        call pp(1, null);
        create function srf(n int) returns setof int language sql as 'select x from t where x < n order by x';
        select * from srf(5);
        create function tab(n int) returns table(a int, b text) language sql as $$ select x, 'r' || x from t where x < n order by x $$;
        select * from tab(5);
        select * from tab(5) as q(c, d) where c > 0;
        drop function add1(int);
        select add1(1);
        drop function if exists add1(int);
        drop function two;
        select two(1);
        create function vd() returns void language sql as $$ select 1 $$;
        select vd(), vd() is null;
        create function noret(a int) returns int language sql as $$ select a where false $$;
        select noret(1) is null;
    """,
    "resolution": r"""
        create function ov(a int) returns text language sql as $$ select 'int' $$;
        create function ov(a text) returns text language sql as $$ select 'text' $$;
        create function ov(a numeric) returns text language sql as $$ select 'numeric' $$;
        select ov(1), ov('x'), ov(1.5), ov(1::bigint), ov(null);
        select ov(true);
        select ov(1, 2);
        select nope(1);
        select public.nope(1);
        create function amb(a int, b int default 0) returns int language sql as 'select a + b';
        create function amb(a int) returns int language sql as 'select a';
        select amb(1);
        select amb(1, 2);
        create function poly(a anyelement, b anyelement) returns anyelement language sql as 'select coalesce(a, b)';
        select poly(1, 2), poly('a'::text, 'b'), poly(null::int, 3);
        select poly(1, 'x');
        select poly('a', 'b');
        create function polya(a anyarray) returns anyelement language sql as 'select a[1]';
        select polya(array[1,2]), polya(array['x','y']);
        create function polyc(a anycompatible, b anycompatible) returns anycompatible language sql as 'select a + b';
        select polyc(1, 2.5), pg_typeof(polyc(1, 2.5));
        create function polycc(a anycompatible, b anycompatible) returns anycompatible language sql as 'select coalesce(a, b)';
        select polycc('x', 'y'), pg_typeof(polycc('x', 'y')), polycc(null, 'z'), polycc('1', 2), pg_typeof(polycc('1', 2));
        create function polyca(a anycompatiblearray) returns anycompatible language sql as 'select a[1]';
        select polyca('{p,q}');
        create function polyarr(a anyelement) returns anyarray language sql as 'select array[a, a]';
        select polyarr(3), polyarr('z'::text);
        create function badpoly(a int) returns anyelement language sql as 'select 1';
        create function va(variadic a int[]) returns int language sql as 'select array_length(a, 1)';
        select va(1, 2, 3), va(variadic array[1,2]), va(1);
        select va();
        create function va(a int) returns int language sql as 'select -a';
        create function va(a int, b int) returns int language plpgsql as $$ begin return a * b; end $$;
        select va(4), va(4, 5), va(4, 5, 6), va(variadic array[4]);
        create function va(a bigint) returns int language sql as 'select 0';
        select va(4::bigint), va(4);
        create function named(a int, b text default 'B', c int default 3) returns text language sql as $$ select a || b || c $$;
        select named(1), named(1, 'x'), named(a => 1, c => 9), named(c => 7, a => 2, b => 'q'), named(1, c => 0);
        select named(b => 'x');
        select named(a => 1, a => 2);
        select named(1, a => 2);
        select named(1, zz => 2);
        create function p2(a int, b int) returns int language sql return a - b;
        select p2(b => 1, a => 10), p2(10, b => 1);
        prepare s1(int) as select p2($1, 3);
        execute s1(10);
    """,
    "attributes": r"""
        create function st(a int) returns int language sql strict as $$ select coalesce(a, 42) $$;
        create function nst(a int) returns int language sql as $$ select coalesce(a, 42) $$;
        select st(null), nst(null), st(1);
        create function rec(n int) returns int language sql as $$ select case when n <= 0 then 0 else rec(n - 1) + 1 end $$;
        select rec(10);
        create function fact(n numeric) returns numeric language sql as $$ select case when n <= 1 then 1 else n * fact(n - 1) end $$;
        select fact(20);
        create function sp() returns text language sql set search_path = pg_catalog as $$ select current_setting('search_path') $$;
        select sp(), current_setting('search_path');
        create function sw() returns text language sql set work_mem = '1MB' as $$ select 'ok' $$;
        select sw();
        set work_mem = '2MB';
        create function sw2() returns text language sql set work_mem = '1MB' set enable_seqscan = off
          as $$ select current_setting('work_mem') || current_setting('enable_seqscan') $$;
        create function sw3() returns text language plpgsql set enable_hashjoin = off as $$
        begin perform set_config('work_mem', '3MB', false); return current_setting('enable_hashjoin') || sw2(); end $$;
        select sw2(), current_setting('work_mem'), current_setting('enable_seqscan');
        select sw3(), current_setting('work_mem'), current_setting('enable_hashjoin');
        reset work_mem;
        create table secret(v int); insert into secret values (42);
        reset role;
        create role rt_reader;
        grant usage on schema public to rt_reader;
        set role rt_owner;
        create function peek() returns int language sql security definer as 'select v from secret';
        create function peek2() returns int language sql as 'select v from secret';
        set role rt_reader;
        select peek();
        select peek2();
        reset role;
        set role rt_owner;
        alter function peek2() immutable strict cost 7;
        select provolatile, proisstrict, procost from pg_proc where proname = 'peek2';
        alter function peek2() set search_path = public;
        select proconfig from pg_proc where proname = 'peek2';
        alter function peek2() reset search_path;
        select proconfig from pg_proc where proname = 'peek2';
        create function wr() returns int language sql as $$ insert into secret values (2) returning v $$;
        begin read only;
        select wr();
        rollback;
        select wr();
        create procedure pr() language sql as $$ insert into secret values (1) $$;
        begin read only;
        call pr();
        rollback;
        call pr();
        select count(*) from secret;
        select pr();
        call wr();
        create function wr() returns int language sql as 'select 1';
        create or replace function wr() returns text language sql as 'select 1';
        create or replace function wr(out a int, out b int) language sql as 'select 1, 2';
        create or replace procedure wr() language sql as 'select 1';
        create function pn(a int) returns int language sql as 'select a';
        create or replace function pn(b int) returns int language sql as 'select b';
        create function pd(a int default 1) returns int language sql as 'select a';
        create or replace function pd(a int) returns int language sql as 'select a';
        reset role;
        drop function peek, peek2;
        drop role rt_reader;
    """,
    "errors": r"""
        create function inner_f(a int) returns int language sql as $$ select 1; select 10 / a $$;
        create function outer_f(a int) returns int language sql as $$ select inner_f(a) + 1 from (select 1) x $$;
        select outer_f(0);
        select outer_f(1);
        alter function inner_f(int) rename to inner_g;
        select outer_f(1);
        alter function inner_g(int) rename to inner_f;
        create table q(a int);
        insert into q values (1), (2), (0);
        create function inv(x int) returns setof int language sql as $$ select 10 / x $$;
        select * from inv(0);
        select * from q, inv(q.a);
        create function sec(x int) returns int language sql security definer as $$ select 10 / x $$;
        select sec(0);
        create function cfg(x int) returns int language sql set search_path = public as $$ select 10 / x $$;
        select cfg(0);
        create procedure pbad(x int) language sql as $$ insert into q values (10 / x) $$;
        call pbad(0);
        create function bad1() returns int language sql as $$ select nocol $$;
        create function bad2() returns int language sql as $$
        select 1;
        select nocol2 $$;
        create function bad3() returns int language sql return nocol3;
        create function bad4() returns int language sql as $$ selec 1 $$;
        create function bad5() returns int language sql begin atomic select 1; select nocol5; end;
        create function mismatch() returns int language sql as $$ select 'abc'::text $$;
        create function mismatch2() returns int language sql as $$ select 1, 2 $$;
        create function mismatch3() returns int language sql as $$ create table zz(a int) $$;
        create function many() returns int language sql as $$ select a from q order by a $$;
        select many();
        create function recf() returns setof record language sql as $$ select 1, 'a'::text union all select 2, 'b' $$;
        select * from recf() as r(i int, t text);
        select * from recf();
        select * from recf() as r(i int);
        drop function nope;
        drop function nope(int);
        drop function if exists nope(int, text);
        drop procedure outer_f(int);
        drop function pbad(int);
        call outer_f(1);
    """,
    "sets_and_rows": r"""
        create table tt(a int, b text);
        insert into tt values (1, 'one'), (2, 'two'), (3, 'three');
        create function getb(x int) returns text language sql stable as $$ select b from tt where a = x $$;
        select a, getb(a) from tt order by a;
        select * from tt where getb(a) like 't%' order by a;
        create function outs(x int, out y int, out z text) language sql as $$ select x * 2, 'z' || x $$;
        select outs(3);
        select * from outs(3);
        select (outs(3)).y;
        select y, z from outs(4);
        select (outs(5)).*, (outs(6)).z;
        select (outs(a)).* from tt order by a;
        select (getb(1)).*;
        select (getb(1)).b;
        select (outs(1)).nope;
        create function pairs(n int, out k int, out v text) returns setof record language sql as $$ select g, 'v' || g from generate_series(1, n) g $$;
        select (pairs(3)).*, 'x' as extra;
        select (pairs(2)).v, (pairs(2)).k, (pairs(3)).k + 10 as kk;
        select a, (pairs(a)).v from tt order by 1, 2;
        select (pairs(2)).nope;
        select pairs(2), (pairs(3)).k;
        create function all_tt() returns setof tt language sql as $$ select * from tt order by a $$;
        select (all_tt()).b, (all_tt()).*;
        create function outs1(x int, out y int) language sql as $$ select x * 3 $$;
        select outs1(3), pg_typeof(outs1(3));
        select * from outs1(3);
        create function srf3() returns setof int language sql as 'select 1 union all select 2 union all select 3';
        select srf3();
        select srf3() + 10 as x;
        select a, srf3() from tt order by 1, 2;
        select * from srf3() with ordinality;
        select * from tt, srf3() s where s = tt.a order by 1;
        create function tbl(n int) returns table(i int, sq int) language sql as $$ select g, g * g from generate_series(1, n) g $$;
        select * from tbl(3);
        select tbl(2);
        select t.a, q.* from tt t, tbl(t.a) q order by 1, 2;
        create function id2(x anyelement) returns setof anyelement language sql as $$ select x union all select x $$;
        select * from id2(5);
        select * from id2('a'::text);
        select id2(1.5);
        create function pair(x anyelement, out v anyelement, out vs anyarray) language sql as $$ select x, array[x, x] $$;
        select * from pair(4);
        select vs, pg_typeof(vs), pg_typeof(v) from pair('w'::text);
        select pair(2.5), (pair(9)).vs;
        create function cpair(x anycompatible, y anycompatible) returns table (lo anycompatible, both anycompatiblearray)
          language sql as $$ select least(x, y), array[x, y] $$;
        select lo, pg_typeof(lo), both, pg_typeof(both) from cpair(3, 4.5);
        create function none_set() returns setof int language sql as $$ select a from tt where false $$;
        select count(*) from none_set();
        create function dflt(x int default 7) returns int language sql return x;
        create table tdef(a int default dflt(), b int default dflt(3));
        insert into tdef default values;
        select * from tdef;
        create function immc(x int) returns boolean language sql immutable return x > 0;
        create table tchk(a int check (immc(a)));
        insert into tchk values (1);
        insert into tchk values (-1);
    """,
    "utility_bodies": r"""
        create function u1() returns void language sql as $$ create table u1t(a int); $$;
        select u1();
        select u1();
        create function u2(n int) returns int language sql as $$ drop table if exists u1t; create index on u2tab(a); select n $$;
        create table u2tab(a int);
        create function u3(n int) returns int language sql as $$ drop table if exists u1t; create index on u2tab(a); select n $$;
        select u3(4);
        create function u3b() returns void language sql as $$ create table u3t(a int); insert into u3t values (1) $$;
        create function u4() returns void language sql as $$ notify chan, 'x'; set local work_mem = '2MB' $$;
        begin; select u4(); show work_mem; commit;
        begin read only; select u1(); rollback;
        create function u6() returns void language sql as $$ commit $$;
        select u6();
        create function u8() returns void language sql as $$ savepoint a $$;
        select u8();
        create function u9() returns void language sql as $$ create database rt_never_made $$;
        select u9();
        create function u10() returns void language sql as $$ analyze u2tab $$;
        select u10();
        create function u11() returns void language sql as $$ vacuum u2tab $$;
        select u11();
        do $$ begin vacuum u2tab; end $$;
        do $$ begin execute 'vacuum u2tab'; end $$;
        do $$ begin execute 'create database rt_never_made'; end $$;
        do $$ begin create index concurrently on u2tab(a); end $$;
        do $$ begin reindex table concurrently u2tab; end $$;
        do $$ begin discard all; end $$;
        create function one_col(x int) returns table(y int) language sql as $$ select x * 2 union all select x * 3 $$;
        select one_col(5), * from one_col(1);
        create function empty_int() returns int language sql as $$ $$;
    """,
    "violations_and_calls": r"""
        create table k(id int primary key, v int not null, f int references k(id));
        insert into k values (1, 1, null);
        create function ins_k(i int, x int) returns void language sql as $$ insert into k values (i, x, null) $$;
        select ins_k(1, 5);
        select ins_k(2, null);
        create function ins_k2(i int) returns int language sql as $$ insert into k values (i, 1, 99) returning id $$;
        select ins_k2(3);
        create procedure p_ins(i int) language sql as $$ insert into k values (i, 1, null) $$;
        call p_ins(1);
        create procedure p_out(in a int, out b int, inout c text) language plpgsql as $$ begin b := a * 2; c := c || '!'; end $$;
        call p_out(3, null, 'hi');
        do $$ declare b int; c text := 'yo'; begin call p_out(4, b, c); raise notice '% %', b, c; end $$;
        create procedure p_tx() language plpgsql as $$ begin insert into k values (10, 1, null); commit; insert into k values (10, 1, null); end $$;
        call p_tx();
        select count(*) from k where id = 10;
        begin;
        call p_tx();
        rollback;
        create procedure p_tx2() language plpgsql as $$ begin perform 1; commit; end $$;
        do $$ begin call p_tx2(); end $$;
        create function f_calls_p() returns int language plpgsql as $$ begin call p_tx2(); return 1; end $$;
        select f_calls_p();
        create procedure p_rb() language plpgsql as $$ begin insert into k values (20, 1, null); rollback; end $$;
        call p_rb();
        select count(*) from k where id = 20;
        create procedure p_nested() language plpgsql as $$ begin begin commit; exception when others then raise notice 'caught %', sqlerrm; end; end $$;
        call p_nested();
    """,
    "table_rowtypes": r"""
        create table staff(id int primary key, name text, pay numeric(8,2));
        insert into staff values (1, 'ann', 100), (2, 'bob', 80.5), (3, 'cy', null);
        create function all_staff() returns setof staff language sql stable as $$ select * from staff order by id $$;
        select * from all_staff();
        select all_staff();
        select name from all_staff() where pay > 90;
        create function one_staff(p int) returns staff language sql as $$ select * from staff where id = p $$;
        select * from one_staff(2);
        select one_staff(1), (one_staff(1)).pay, (one_staff(3)).*;
        select * from one_staff(9);
        create function bad_staff() returns staff language sql as $$ select 1 $$;
        create function typed_staff() returns staff language sql as $$ select 1, 'x', 2.5 $$;
        select * from typed_staff();
        create function plain_null() returns int language sql as $$ select 1 where false $$;
        select * from plain_null();
        select pg_get_function_result('all_staff'::regproc), pg_get_function_result('one_staff'::regproc);
        select pg_get_functiondef('one_staff'::regproc);
        alter table staff add column dept text;
        select * from all_staff();
        create view staff_v as select id, name from staff;
        create function from_view() returns setof staff_v language sql as $$ select * from staff_v order by id desc $$;
        select * from from_view();
        create schema elsewhere;
        create table elsewhere.gadget(x int);
        create function gadgets() returns setof elsewhere.gadget language sql as $$ select 7 $$;
        select * from gadgets();
        select pg_get_function_result('gadgets'::regproc);
        drop table staff;
        drop view staff_v;
        drop table staff cascade;
        select * from all_staff();
        drop schema elsewhere cascade;
    """,
    "privileges": r"""
        reset role;
        create role rt_bob;
        set role rt_owner;
        create function pub() returns int language sql as 'select 1';
        create function priv() returns int language sql as 'select 2';
        create procedure ppr() language sql as 'select 1';
        revoke execute on function priv() from public;
        reset role;
        grant usage on schema public to rt_bob;
        set role rt_owner;
        select proname, proacl from pg_proc where proname in ('pub', 'priv', 'ppr') order by 1;
        reset role;
        set role rt_bob;
        select pub();
        select priv();
        select * from priv();
        call ppr();
        reset role;
        set role rt_owner;
        revoke all on procedure ppr() from public;
        grant execute on function priv() to rt_bob;
        reset role;
        set role rt_bob;
        select priv();
        call ppr();
        reset role;
        set role rt_owner;
        grant select on function priv() to rt_bob;
        grant execute on all functions in schema public to rt_bob;
        select proname, proacl from pg_proc where proname in ('pub', 'priv', 'ppr') order by 1;
        select has_function_privilege('rt_bob', 'priv()', 'execute'), has_function_privilege('rt_bob', 'ppr()', 'execute');
        revoke execute on function priv() from rt_bob;
        drop function pub(), priv();
        drop procedure ppr;
        reset role;
        drop owned by rt_bob;
        drop role rt_bob;
    """,
    "dependencies": r"""
        create type mood as enum ('a', 'b');
        create domain posint as int check (value > 0);
        create function fm(m mood) returns text language sql as 'select m::text';
        create function fp() returns posint language sql as 'select 1';
        drop type mood;
        drop domain posint;
        drop type mood cascade;
        drop domain posint cascade;
        select proname from pg_proc where proname in ('fm', 'fp');
        create table t1(a int);
        create function fa() returns bigint language sql begin atomic select count(*) from t1; end;
        create function fb() returns bigint language sql as 'select count(*) from t1';
        drop table t1;
        drop table t1 cascade;
        select proname from pg_proc where proname in ('fa', 'fb');
        create function sq(x int) returns int language sql immutable as 'select x * x';
        create table t2(a int default sq(3), b int check (sq(b) < 100));
        create view v2 as select sq(a) from t2;
        drop function sq(int);
        drop function sq(int) cascade;
        \d t2
        create table t3(a int);
        create view v3 as select * from t3;
        create function fv() returns bigint return (select count(*) from v3);
        create function g1() returns int language sql as 'select 1';
        create function g2(x int default g1()) returns int language sql as 'select x';
        create sequence sq1;
        create function g3(x bigint default nextval('sq1')) returns bigint language sql as 'select x';
        create function g4() returns bigint language sql return nextval('sq1');
        drop table t3;
        drop table t3 cascade;
        drop function g1();
        drop function g1() cascade;
        drop sequence sq1;
        drop sequence sq1 cascade;
        select proname from pg_proc where proname in ('fv', 'g1', 'g2', 'g3', 'g4');
        create function poly_body(x anyelement) returns anyelement return x;
        create function vs(a int) returns setof void language sql as $$ select generate_series(1, a) $$;
        select * from vs(3);
        create schema s2;
        create function s2.f(x int) returns int language sql return x;
        create procedure s2.p() language sql as 'select 1';
        drop schema s2;
        drop schema s2 cascade;
    """,
    "ownership": r"""
        create function fo() returns int language sql as 'select 1';
        create function fg(a int) returns int language sql as 'select a';
        create schema s2;
        alter function fg(int) set schema s2;
        select s2.fg(5);
        select fg(5);
        alter function s2.fg(int) rename to fh;
        alter function s2.fh(int) set schema public;
        select fh(6);
        create function fh(a int) returns int language sql as 'select a';
        alter function fo() rename to fh;
        reset role;
        create role rt_other;
        alter function fo() owner to rt_other;
        grant execute on function fh(int) to rt_other;
        select proname, pg_get_userbyid(proowner) from pg_proc where proname in ('fo', 'fh') order by 1;
        drop role rt_other;
        reassign owned by rt_other to rt_owner;
        select proname, pg_get_userbyid(proowner) from pg_proc where proname in ('fo', 'fh') order by 1;
        alter function fo() owner to rt_other;
        drop owned by rt_other;
        select proname, proacl from pg_proc where proname in ('fo', 'fh') order by 1;
        drop role rt_other;
    """,
    "catalog": r"""
        create function f(a int, inout b text default 'x', out c int, variadic d numeric[] default '{}') returns record language sql as $$ select 'a'::text, 1 $$;
        create procedure p(a int, inout b text, out c int) language sql as $$ select 'a'::text, 1 $$;
        create function g(int, text) returns table(x int, "Y z" text) language sql immutable strict parallel safe cost 5 rows 10 set search_path = public, "My S" set work_mem = '64MB' as $$ select 1, 'a' $$;
        create function f1(a int, b int) returns int language sql return a + b * 2;
        create table items(id int, price numeric);
        create function f3(x int) returns bigint language sql begin atomic select count(*) from items where id > x; select 1; end;
        comment on function f1(int, int) is 'adds';
        create table rowsrc2(a int, b text);
        create function rows_of(n int) returns setof rowsrc2 language sql stable as 'select * from rowsrc2 limit n';
        create function rows_one() returns rowsrc2 language plpgsql as $$ declare r rowsrc2; begin return r; end $$;
        select proname, prokind, prorettype::regtype, proretset, provolatile, proisstrict, pronargs, pronargdefaults,
               proargtypes, proallargtypes, proargmodes, proargnames, prosrc, proconfig,
               pg_get_function_arguments(oid), pg_get_function_identity_arguments(oid), pg_get_function_result(oid),
               pg_get_expr(proargdefaults, 0), pg_get_function_sqlbody(oid)
          from pg_proc where pronamespace = 'public'::regnamespace order by proname;
        select pg_get_functiondef('g'::regproc), pg_get_functiondef('p'::regproc);
        select 'f'::regproc, 'p(int, text)'::regprocedure, 'g(int,text)'::regprocedure, 'f1'::regproc::oid = 'f1(integer,integer)'::regprocedure::oid;
        select obj_description('f1'::regproc, 'pg_proc');
        select routine_name, routine_type, data_type from information_schema.routines where routine_schema = 'public' order by 1;
        create function since(d date, t timestamptz) returns boolean language sql
          return d > '2003-04-05' and t < '2003-04-05 06:07:08+02';
        set datestyle = 'Postgres, MDY';
        select pg_get_functiondef('since'::regproc);
        set datestyle = 'SQL, DMY';
        set timezone = 'Asia/Tokyo';
        select pg_get_function_sqlbody('since'::regproc);
        reset datestyle;
        reset timezone;
        select pg_get_function_sqlbody('since'::regproc);
        create function firsts(a text[], b int[]) returns int language sql return a[1]::int + b[2];
        create function firsts2(b int[]) returns int language sql begin atomic select b[1] * 2; end;
        select pg_get_function_sqlbody('firsts'::regproc), pg_get_function_sqlbody('firsts2'::regproc);
        select r.routine_name, p.ordinal_position, p.parameter_mode, p.is_result, p.as_locator, p.parameter_name,
               p.data_type, p.udt_schema, p.udt_name, p.dtd_identifier, p.parameter_default, p.numeric_precision
          from information_schema.parameters p join information_schema.routines r using (specific_schema, specific_name)
          where p.specific_schema = 'public' order by 1, 2;
        select n, pg_get_function_arg_default('f'::regproc, n) from generate_series(0, 5) n;
    """,
}

# psql's describe commands, after the "catalog" script has run (PostgreSQL 15's psql)
DESCRIBE = [r"\df", r"\df+", r"\df public.f*", r"\sf g", r"\sf+ f3", r"\sf p", r"\df+ f1", r"\df rows*",
            r"\sf rows_of"]


@pytest.fixture(scope="module")
def both(shared_server, pg15):
    """pgsvc and PostgreSQL 15, each with one fresh database per case (public writable by
    rt_owner, who runs the scripts)."""
    for target in (shared_server, pg15):
        fresh_databases(target, OWNER, "rt", list(CASES) + ["describe"])
    return shared_server, pg15


def _script(name: str) -> str:
    body = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    return f"SET ROLE {OWNER};\n{body}\n"


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, both):
    ours, pg = both
    expected = run_script(pg, _script(name), f"rt_{name}")
    got = run_script(ours, _script(name), f"rt_{name}")
    assert got == expected


@pytest.mark.parametrize("name", ["resolution", "errors", "attributes", "dependencies"])
def test_same_sqlstates_as_postgres(name, both):
    """Every error carries PostgreSQL's SQLSTATE (a second run: objects exist by now)."""
    ours, pg = both
    script = _script(name)
    assert run_script(ours, script, f"rt_{name}", "sqlstate") == run_script(pg, script, f"rt_{name}", "sqlstate")


@pytest.mark.parametrize("command", DESCRIBE)
def test_psql_describe_same_as_postgres(command, both):
    ours, pg = both
    for target in (ours, pg):
        if "(0 rows)" in run_script(target, "SELECT proname FROM pg_proc WHERE proname = 'f3'", "rt_describe"):
            run_script(target, _script("catalog"), "rt_describe")
    assert run_script(ours, command, "rt_describe") == run_script(pg, command, "rt_describe")


def test_row_type_array_results_are_refused_by_name(both):
    """An argument of a table's row type is a composite value (test_composite_types compares
    its calls with PostgreSQL); an array of it as the result is still refused with 0A000
    naming it (PostgreSQL accepts it)."""
    ours, _ = both
    script = ("CREATE TABLE rowsrc (a int);\n"
              "CREATE FUNCTION onerow(r rowsrc) RETURNS int LANGUAGE sql AS 'SELECT (r).a';\n"
              "CREATE FUNCTION rowarr() RETURNS rowsrc[] LANGUAGE sql AS 'SELECT NULL';\n"
              "INSERT INTO rowsrc VALUES (7);\nSELECT onerow(s) FROM rowsrc s;\n")
    out = run_script(ours, script, "rt_basics", "verbose")
    assert out.count("ERROR:  0A000: ") == 1 and "rowsrc" in out and "\n      7\n" in out, out


def test_recursion_limit_is_stack_depth_error(both):
    """Unbounded recursion ends with PostgreSQL's 54001 and hint (the depth differs)."""
    ours, pg = both
    script = ("CREATE OR REPLACE FUNCTION forever(n int) RETURNS int LANGUAGE sql "
              "AS 'SELECT forever(n + 1) FROM (SELECT 1) x';\nSELECT forever(1);\n")
    for target in both:
        out = run_script(target, script, "rt_attributes", "sqlstate")
        assert "ERROR:  54001" in out, out[-2000:]
    out = run_script(ours, script, "rt_attributes")
    assert 'HINT:  Increase the configuration parameter "max_stack_depth" (currently 2048kB)' in out
    assert 'CONTEXT:  SQL function "forever" statement 1' in out


# --- dump ------------------------------------------------------------------------------

DUMPED = r"""
create schema app;
create type app.mood as enum ('sad', 'happy');
create table app.items(id int primary key, name text, price numeric(10,2) default 0);
insert into app.items values (1, 'a', 1.5), (2, 'b', 2.5);
create function app.price_of(i int) returns numeric language sql stable as $$ select price from app.items where id = i $$;
create function app.add(a int, b int default 1) returns int language sql immutable strict return a + b;
create function app.total() returns numeric language sql begin atomic select sum(price) from app.items; end;
create function app.moods(m app.mood) returns setof app.mood language sql as $$ select m union all select 'happy'::app.mood $$;
create function app.tbl(n int) returns table(x int, y text) language sql set search_path = app, public cost 10 rows 5 as 'select g, g::text from generate_series(1, n) g';
create procedure app.bump(inout n int) language sql as $$ select n + 1 $$;
create function app."Weird Name"(variadic xs int[]) returns int language sql as 'select array_length(xs, 1)';
create table app.t2(a int default app.add(1, 2), b int check (app.add(b) < 100));
insert into app.t2 (b) values (5);
create function app.cheap(lim numeric) returns setof app.items language sql stable as $$ select * from app.items where price <= lim $$;
create view app.names as select id, name from app.items;
create function app.first_name() returns app.names language plpgsql as $$ declare r record; begin select * into r from app.names order by id limit 1; return r; end $$;
comment on function app.add(int, int) is 'adds';
revoke execute on function app.total() from public;
grant execute on function app.total() to rt_dumper;
"""

CHECKS = r"""
\df+ app.*
select app.add(2), app.total(), app.price_of(1), app."Weird Name"(1, 2, 3);
select * from app.tbl(2);
select * from app.moods('sad');
call app.bump(1);
select * from app.t2;
select * from app.cheap(2), app.first_name();
select proname, proacl from pg_proc where pronamespace = 'app'::regnamespace order by 1;
"""


def test_dump_restores_into_postgres(both, tmp_path):
    ours, pg = both
    for target in (ours, pg):
        run_script(target, "DROP DATABASE IF EXISTS rt_dump;\nCREATE DATABASE rt_dump;\n"
                           "DROP ROLE IF EXISTS rt_dumper;\nCREATE ROLE rt_dumper;", "postgres")
        run_script(target, f"GRANT CREATE ON DATABASE rt_dump TO {OWNER};", "rt_dump")
    out = run_script(ours, f"SET ROLE {OWNER};\n" + DUMPED, "rt_dump")
    assert "ERROR" not in out, out
    dump = subprocess.run(PGSVC + ["dump", "-h", "127.0.0.1", "-p", str(ours.port), "-U", ours.superuser,
                                   "rt_dump"], capture_output=True, text=True, cwd=str(ROOT), timeout=120)
    assert dump.returncode == 0, dump.stderr
    (tmp_path / "rt_dump.sql").write_text(dump.stdout)
    for target in (ours, pg):
        run_script(target, "DROP DATABASE IF EXISTS rt_restored;\nCREATE DATABASE rt_restored;", "postgres")
        load = subprocess.run([require_tool("psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(target.port), "-U",
                               target.superuser, "-d", "rt_restored", "-v", "ON_ERROR_STOP=1", "-f",
                               str(tmp_path / "rt_dump.sql")], capture_output=True, text=True, timeout=120)
        assert load.returncode == 0, load.stderr
    # the restored database says the same on both servers, and what the source says
    assert run_script(ours, CHECKS, "rt_restored") == run_script(pg, CHECKS, "rt_restored")
    assert run_script(ours, CHECKS, "rt_restored") == run_script(ours, CHECKS, "rt_dump")


# --- drivers ------------------------------------------------------------------------------

DRIVER_SETUP = r"""
create function ov(a int) returns text language sql as $$ select 'int' $$;
create function ov(a text) returns text language sql as $$ select 'text' $$;
create function poly(a anyelement, b anyelement) returns anyelement language sql as 'select coalesce(a, b)';
create function va(variadic a int[]) returns int language sql as 'select array_length(a, 1)';
create function named(a int, b text default 'B', c int default 3) returns text language sql as $$ select a || b || c $$;
create function tbl(n int) returns table(i int, sq int) language sql as $$ select g, g * g from generate_series(1, n) g $$;
create function outs(x int, out y int, out z text) language sql as $$ select x * 2, 'z' || x $$;
create procedure bump(inout n int) language sql as $$ select n + 1 $$;
"""


@pytest.fixture(scope="module")
def drivers_db(both):
    for target in both:
        run_script(target, "DROP DATABASE IF EXISTS rt_drivers;\nCREATE DATABASE rt_drivers;", "postgres")
        out = run_script(target, DRIVER_SETUP, "rt_drivers")
        assert "ERROR" not in out, out
    return both


def test_asyncpg_calls_same_as_postgres(drivers_db):
    """Parameters typed by the functions they are passed to (Parse/Describe), named
    notation with parameters, set-returning and OUT-argument results, CALL with INOUT."""
    asyncpg = pytest.importorskip("asyncpg")

    async def calls(target):
        conn = await asyncpg.connect(host="127.0.0.1", port=target.port, user=target.superuser,
                                     database="rt_drivers")
        try:
            return [await conn.fetchval("SELECT ov($1::int)", 5), await conn.fetchval("SELECT ov($1)", "x"),
                    [tuple(r) for r in await conn.fetch("SELECT * FROM tbl($1)", 3)],
                    await conn.fetchval("SELECT poly($1::int, $2)", None, 7),
                    await conn.fetchval("SELECT named(b => $1, a => $2)", "x", 4),
                    await conn.fetchval("SELECT va($1, $2, $3)", 1, 2, 3),
                    tuple(await conn.fetchrow("SELECT * FROM outs($1)", 7)),
                    tuple(await conn.fetchrow("CALL bump($1)", 41)),
                    [str(a.name) for a in (await conn.prepare("SELECT named($1, c => $2)")).get_parameters()]]
        finally:
            await conn.close()
    ours, pg = drivers_db
    assert asyncio.run(calls(ours)) == asyncio.run(calls(pg))


def test_psycopg_calls_same_as_postgres(drivers_db):
    psycopg = pytest.importorskip("psycopg")

    def calls(target):
        with psycopg.connect(target.dsn(dbname="rt_drivers")) as conn:
            return [conn.execute("SELECT * FROM tbl(%s)", (4,)).fetchall(),
                    conn.execute("SELECT va(%s, %s, %s), named(%s, c => %s)", (1, 2, 3, 9, 0)).fetchone(),
                    conn.execute("SELECT * FROM outs(%s)", (7,)).fetchall(),
                    conn.execute("CALL bump(%s)", (1,)).fetchall(),
                    conn.execute("SELECT ov(%s)", ("x",)).fetchone()]
    ours, pg = drivers_db
    assert calls(ours) == calls(pg)
