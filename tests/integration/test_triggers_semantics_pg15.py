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
  inherit        ALTER TABLE INHERIT / NO INHERIT: the child's columns, NOT NULLs and CHECK
                 constraints must match, circularity, partitions refused, the parent's scans,
                 UPDATE and DELETE through it, pg_inherits and \\d; ROW triggers with transition
                 tables on inheritance children and partitions (CREATE TRIGGER, INHERIT, ATTACH); a
                 parent's row triggers fire for its own rows only, its transition tables hold
                 its children's rows too
  enable_only    ALTER TABLE [ONLY] ENABLE [ALWAYS|REPLICA] / DISABLE TRIGGER name|ALL|USER on a
                 partitioned table: its partitions' clones follow unless ONLY
  after_when     an AFTER ROW trigger's WHEN is evaluated as each row changes (a WHEN function's
                 notices come before any AFTER trigger runs): plain tables, a partitioned
                 table's clones on a partition with other column numbers, ON DELETE CASCADE rows
  clone_moves    a partitioned table's BEFORE ROW trigger (a partition's clone) that changes a
                 routed row out of its partition: 0A000 with PostgreSQL's detail; a partition's
                 own trigger doing so fails its partition constraint; an UPDATE moving the row
  copy_parted    COPY FROM into a partitioned table: its statement trigger's NEW TABLE holds every
                 routed row, in its columns
  anycompatiblerange  CREATE FUNCTION's checks of anycompatiblerange / anycompatiblemultirange
                 results and calls resolving them: anycompatible takes the range's subtype,
                 the other anycompatible arguments are coerced to it
  plpgsql_rows   PL/pgSQL: FOREACH over an array of composites into a record, a row-typed
                 variable or a list of variables; a record assigned a row value (named or
                 anonymous, its fields' types kept); r.f[i] := v on a record's array field; a
                 row returned from a scalar function (I/O conversion and its error)
  rename_clones  ALTER TRIGGER ... RENAME on a partitioned table renames its partitions' clones: a
                 partition's own trigger of the new name is PostgreSQL's 42710 (was a unique index error)
  upsert_parted  INSERT ... ON CONFLICT on a partitioned table: DO UPDATE fires the INSERT and UPDATE
                 statement triggers, the updated rows go to the UPDATE transition tables and the
                 inserted ones to the INSERT one (DO UPDATE ... WHERE skipping, DO NOTHING, RETURNING)
  getdiag_target GET DIAGNOSTICS into a composite or record variable: 42601 "x" is not a scalar
                 variable at CREATE FUNCTION, pointing at it
  hash_opclass   CREATE / DROP OPERATOR CLASS ... USING hash and hash partition keys naming one: rows
                 go where the class's FUNCTION 2 sends them (with default-hashed columns beside),
                 direct inserts into a partition checked, UPDATE moving rows, \\d and
                 pg_get_partkeydef, the errors (exists, no function, type, btree, in use)
  values_srf     INSERT ... VALUES (srf(...), ...) of one row inserts a row per element, as
                 PostgreSQL's VALUES list with a set-returning call does (defaults, RETURNING)
  constraint_rows  a constraint trigger's pg_constraint row (contype t, its deferrability, a
                 partition's clone its own), pg_get_constraintdef of it, \\d
  tt_readonly    INSERT / UPDATE / DELETE naming a transition table inside the trigger: 42809
                 cannot be the target of a modifying statement, with SPI's SQL statement context
  ddl_in_use     ALTER TABLE / CREATE INDEX of the table a running statement's trigger fires for
                 (BEFORE / AFTER, ROW / STATEMENT): 55006 being used by active queries
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
    "inherit": r"""
        create table p (a int not null, b text, constraint ck check (a > 0));
        create table c1 (b text, a int not null, constraint ck check (a > 0));
        create table c2 (a int, b text);
        create table c3 (a int not null, b varchar);
        create table c4 (a int not null, b text, constraint ck check (a > 1));
        create table c5 (a int not null, b text, x int, constraint ck check ((a > 0)));
        alter table c1 inherit p;
        alter table c1 inherit p;
        alter table c2 inherit p;
        alter table c3 inherit p;
        alter table c4 inherit p;
        alter table c5 inherit p;
        alter table p inherit c1;
        alter table p inherit p;
        insert into c1 values ('x', 1);
        insert into c5 values (2, 'y', 7);
        select tableoid::regclass, * from p order by a;
        select inhrelid::regclass, inhparent::regclass from pg_inherits order by 1;
        alter table c1 no inherit p;
        alter table c1 no inherit p;
        alter table c2 no inherit c5;
        select tableoid::regclass, * from p order by a;
        create table pt (a int) partition by list (a);
        create table pt1 partition of pt for values in (1);
        alter table pt1 inherit p;
        alter table pt inherit p;
        alter table c2 inherit pt;
        alter table c2 inherit pt1;
        alter table pt1 no inherit pt;
        alter table c1 inherit nosuch;
        \d c5
        update p set a = a + 10;
        select tableoid::regclass, * from p order by a;
        delete from p;
        create function f() returns trigger language plpgsql as $$ begin return null; end $$;
        create table p2 (a int);
        create table cc () inherits (p2);
        create table ptxx (a int) partition by list (a);
        create table ptx1 partition of ptxx for values in (1);
        create table xx (a int);
        create trigger t after insert on cc referencing new table as nt for each row execute function f();
        create trigger t after insert on ptx1 referencing new table as nt for each row execute function f();
        create trigger t after insert on xx referencing new table as nt for each row execute function f();
        alter table ptxx attach partition xx for values in (2);
        alter table xx inherit p2;
        drop trigger t on xx;
        create trigger t after insert on xx referencing new table as nt for each statement execute function f();
        alter table xx inherit p2;
        alter table xx no inherit p2;
        alter table ptxx attach partition xx for values in (2);
        create table c6 (a int not null, b text, constraint ck check (a > 0));
        create function dump() returns trigger language plpgsql as $$
        begin
          raise notice '% %', tg_name, (select string_agg(o::text, ' ' order by o::text) from o);
          return null;
        end $$;
        create trigger pd after delete on p referencing old table as o for each statement execute function dump();
        create trigger cd after delete on c6 referencing old table as o for each statement execute function dump();
        alter table c6 inherit p;
        insert into c6 values (5, 'five'), (6, 'six');
        insert into p values (7, 'seven');
        delete from p where a > 5;
        delete from c6;
        alter table c6 no inherit p;
        insert into c6 values (8, 'eight');
        delete from p;
        select tableoid::regclass, * from c6;
        create table ip (a int, b text);
        create table ic () inherits (ip);
        create function ir() returns trigger language plpgsql as $$
        begin
          raise notice '% % % %', tg_name, tg_table_name, old, new;
          return null;
        end $$;
        create trigger pr after insert or update or delete on ip for each row execute function ir();
        insert into ic values (1, 'c');
        insert into ip values (2, 'p');
        update ip set b = b || 'x';
        delete from ip;
    """,
    "enable_only": r"""
        create function tn() returns trigger language plpgsql as $$ begin return null; end $$;
        create table ep (a int) partition by list (a);
        create table ep1 partition of ep for values in (1);
        create trigger tg after insert on ep for each row execute procedure tn();
        create trigger tg_stmt after insert on ep for statement execute procedure tn();
        alter table only ep enable always trigger tg;
        alter table only ep disable trigger tg_stmt;
        select tgrelid::regclass, tgname, tgenabled from pg_trigger order by tgrelid::regclass::text, 2;
        alter table ep enable replica trigger tg;
        select tgrelid::regclass, tgname, tgenabled from pg_trigger order by tgrelid::regclass::text, 2;
        alter table only ep disable trigger all;
        select tgrelid::regclass, tgname, tgenabled from pg_trigger order by tgrelid::regclass::text, 2;
        alter table ep enable trigger user;
        select tgrelid::regclass, tgname, tgenabled from pg_trigger order by tgrelid::regclass::text, 2;
    """,
    "after_when": r"""
        create function bark(text) returns bool language plpgsql immutable
          as $$ begin raise notice '% <- bark', $1; return true; end; $$;
        create function tn() returns trigger language plpgsql as $$
          begin raise notice '% % % %', tg_name, tg_table_name, tg_op, new; return null; end $$;
        create table w (a int, b text);
        create trigger w1 after insert or update on w for each row when (bark(new.b) and new.a % 2 = 1) execute function tn();
        create trigger w0 after insert on w for each row execute function tn();
        insert into w values (1, 'one'), (2, 'two'), (3, 'three');
        update w set b = b || '!' where a < 3;
        create table wp (b text, a int) partition by list (a);
        create table wp1 (x int, a int, b text);
        alter table wp1 drop column x;
        alter table wp attach partition wp1 for values in (1, 2, 3);
        create trigger pw after insert on wp for each row when (bark(new.b) and new.a > 1) execute function tn();
        insert into wp values ('x', 1), ('y', 2);
        insert into wp1 values (3, 'z');
        create table wc (a int primary key);
        create table wd (a int references wc on delete cascade, b text);
        create trigger wdt after delete on wd for each row when (bark(old.b)) execute function tn();
        insert into wc values (1), (2);
        insert into wd values (1, 'p'), (2, 'q'), (1, 'r');
        delete from wc;
    """,
    "clone_moves": r"""
        create table mvp (a int, b int, c text) partition by list (a);
        create table mvp_1 partition of mvp for values in (1) partition by list (b);
        create table mvp_1_1 partition of mvp_1 for values in (1);
        create table mvp_2 partition of mvp for values in (2);
        create function f1() returns trigger language plpgsql as $$
        begin new.a = new.a + 1; return new; end $$;
        create function f2() returns trigger language plpgsql as $$
        begin new.c = new.c || '!'; return new; end $$;
        create trigger t before insert or update on mvp_1_1 for each row execute function f2();
        insert into mvp values (1, 1, 'ok');
        create trigger t2 before insert or update on mvp for each row execute function f1();
        insert into mvp values (1, 1, 'moves');
        insert into mvp_1_1 values (1, 1, 'direct');
        update mvp set c = c || 'u';
        drop trigger t2 on mvp;
        create trigger t3 before insert or update on mvp_1_1 for each row execute function f1();
        insert into mvp values (1, 1, 'own trigger');
        update mvp set c = c || 'u';
        select tableoid::regclass, * from mvp;
    """,
    "copy_parted": r"""
        create function cpd_insert() returns trigger language plpgsql as
        $$
          begin
            raise notice 'trigger = %, new table = %', TG_NAME,
                         (select string_agg(new_table::text, ', ' order by a) from new_table);
            return null;
          end;
        $$;
        create function cpd_update() returns trigger language plpgsql as
        $$
          begin
            raise notice 'trigger = %, old table = %, new table = %', TG_NAME,
                         (select string_agg(old_table::text, ', ' order by a) from old_table),
                         (select string_agg(new_table::text, ', ' order by a) from new_table);
            return null;
          end;
        $$;
        create table cpp (a text, b int) partition by list (a);
        create table cpc1 partition of cpp for values in ('AAA');
        create table cpc3 (b int, a text);
        alter table cpp attach partition cpc3 for values in ('CCC');
        create trigger cpp_insert_trig after insert on cpp referencing new table as new_table for each statement execute procedure cpd_insert();
        copy cpp (a, b) from stdin;
        AAA	42
        CCC	42
        \.
        select tableoid::regclass, * from cpp order by a;
    """,
    "anycompatiblerange": r"""
        create function pf1(x anycompatible) returns anycompatiblerange as 'select null' language sql;
        create function pf2(x int) returns anycompatible as 'select null' language sql;
        create function pf3(x anycompatiblerange) returns anycompatible as 'select lower(x)' language sql;
        create function pf4(x anycompatiblemultirange) returns anycompatiblerange as 'select null' language sql;
        create function pf5(x anyelement) returns anycompatible as 'select null' language sql;
        create function pf6(x anymultirange) returns anyrange as 'select null' language sql;
        create function pf7(x anyelement, out a anyrange) as 'select null' language sql;
        create function pf8(x anycompatiblerange, out j anycompatible, out k anycompatiblearray) as 'select lower(x), array[lower(x), upper(x)]' language sql;
        create function pf9(x anycompatiblearray) returns anycompatiblerange as 'select null' language sql;
        create function pf10(x anycompatible, y anycompatiblerange) returns anycompatiblerange as 'select y' language sql;
        select pf3(int4range(1, 5));
        select * from pf8(int4range(2, 7));
        select pf10(1, int4range(1, 5));
        create function pf11(x anycompatiblerange, y anycompatible, z anycompatible) returns anycompatiblearray
          language plpgsql as $$ begin return array[lower(x), upper(x), y, z]; end $$;
        select pf11(int4range(42, 49), 11, 2::smallint) as i, pf11(numrange(4.5, 7.8), 7.8, 11::real) as n;
        select pf11(int4range(1, 2), 1.5, 2);
    """,
    "plpgsql_rows": r"""
        create type xy_tuple AS (x int, y int);
        create or replace function foreach_test(anyarray)
        returns void as $$
        declare r record;
        begin
          foreach r in array $1
          loop
            raise notice '% %', r, r.x;
          end loop;
          end;
        $$ language plpgsql;
        select foreach_test(ARRAY[(10,20),(40,69)]::xy_tuple[]);
        create or replace function foreach_test2(xy_tuple[])
        returns void as $$
        declare r record; t xy_tuple;
        begin
          foreach r in array $1 loop raise notice '%', r; end loop;
          foreach t in array $1 loop raise notice '% %', t, t.y; end loop;
        end;
        $$ language plpgsql;
        select foreach_test2(ARRAY[(10,20),(40,69)]::xy_tuple[]);
        create or replace function foreach_test3(anyarray)
        returns void as $$
        declare x int; y int;
        begin
          foreach x, y in array $1
          loop
            raise notice 'x = %, y = %', x, y;
          end loop;
          end;
        $$ language plpgsql;
        select foreach_test3(ARRAY[(10,20),(40,69),(35,78)]::xy_tuple[]);
        do $$ declare r record; begin r := row(1, 'a'); raise notice '%', r; end $$;
        do $$ declare r record; begin foreach r in array array[row(1,'a'), row(2,'b')] loop raise notice '%', r; end loop; end $$;
        create type compostype as (x int, y varchar);
        create or replace function compos() returns int as $$
        declare
          v compostype;
        begin
          v := (1, 'hello');
          return v;
        end;
        $$ language plpgsql;
        select compos();
        create or replace function compos2() returns int as $$
        begin
          return (1, 'hello')::compostype;
        end;
        $$ language plpgsql;
        select compos2();
        create or replace function compos3() returns date as $$
        declare v compostype; begin v := (1, 'x'); return v; end $$ language plpgsql;
        select compos3();
        create or replace function compos4() returns numeric as $$
        declare v record; begin v := (1, 'x'); return v; end $$ language plpgsql;
        select compos4();
        create temp table rtype (id int, ar text[]);
        create function arrayassign1() returns text[] language plpgsql as $$
        declare
         r record;
        begin
          r := row(12, '{foo,bar,baz}')::rtype;
          r.ar[2] := 'replace';
          return r.ar;
        end$$;
        select arrayassign1();
        select arrayassign1();
        do $$ declare r record; begin r := (1, 'x'::varchar, 2.5); raise notice '% % %', r, r.f2, pg_typeof(r.f3); end $$;
    """,
    "rename_clones": r"""
        create table rg (k int primary key) partition by list (k);
        create table rg1 partition of rg for values in (1, 2) partition by list (k);
        create table rg11 partition of rg1 for values in (1);
        create function rgf() returns trigger language plpgsql as $$ begin return null; end $$;
        create trigger t1 after update on rg for each row execute function rgf();
        create trigger t2 after update on rg11 for each row execute function rgf();
        alter trigger t1 on rg rename to t2;
        alter trigger t1 on rg rename to t3;
        alter trigger t3 on rg1 rename to t4;
        select tgrelid::regclass, tgname from pg_trigger where tgrelid in ('rg'::regclass, 'rg1'::regclass, 'rg11'::regclass) order by 2, tgrelid::regclass::text;
    """,
    "upsert_parted": r"""
        create function ud() returns trigger language plpgsql as $$
        begin
          if tg_level = 'STATEMENT' and tg_when = 'AFTER' and tg_op = 'UPDATE' then
            raise notice '% % % old % new %', tg_name, tg_when, tg_op,
              (select string_agg(o::text, ' ' order by o.k) from o), (select string_agg(n::text, ' ' order by n.k) from n);
          elsif tg_level = 'STATEMENT' and tg_when = 'AFTER' then
            raise notice '% % % new %', tg_name, tg_when, tg_op, (select string_agg(n::text, ' ' order by n.k) from n);
          else
            raise notice '% % % % %', tg_name, tg_when, tg_op, tg_level, tg_table_name;
          end if;
          return null;
        end $$;
        create function plain() returns trigger language plpgsql as $$
        begin raise notice '% % % % % %', tg_name, tg_when, tg_op, tg_level, tg_table_name, coalesce(new::text, ''); return null; end $$;
        create table up (k int primary key, v text) partition by range (k);
        create table up1 partition of up for values from (0) to (10);
        create table up2 (v text, k int not null);
        alter table up attach partition up2 for values from (10) to (20);
        create trigger ai after insert on up referencing new table as n for each statement execute function ud();
        create trigger au after update on up referencing old table as o new table as n for each statement execute function ud();
        create trigger bi before insert on up for each statement execute function plain();
        create trigger bu before update on up for each statement execute function plain();
        create trigger ar after insert or update on up for each row execute function plain();
        insert into up values (1, 'a'), (11, 'b') on conflict (k) do update set v = up.v || '+' || excluded.v;
        insert into up values (1, 'c'), (11, 'd'), (12, 'e') on conflict (k) do update set v = up.v || '+' || excluded.v
          returning *;
        insert into up values (1, 'f'), (12, 'g') on conflict (k) do update set v = excluded.v where up.k > 5;
        insert into up values (2, 'h') on conflict (k) do nothing;
        insert into up values (2, 'i') on conflict (k) do nothing;
        select tableoid::regclass, * from up order by k;
    """,
    "getdiag_target": r"""
        create type gslot as (a int, b text);
        CREATE FUNCTION gd1(x gslot) RETURNS void AS $$
        BEGIN
          GET DIAGNOSTICS x = ROW_COUNT;
          RETURN;
        END; $$ LANGUAGE plpgsql;
        CREATE FUNCTION gd2() RETURNS void AS $$
        DECLARE r record; n int;
        BEGIN
          GET DIAGNOSTICS n = ROW_COUNT, r = PG_CONTEXT;
        END; $$ LANGUAGE plpgsql;
        CREATE FUNCTION gd3() RETURNS int AS $$
        DECLARE n int;
        BEGIN
          perform 1; GET DIAGNOSTICS n = ROW_COUNT; return n;
        END; $$ LANGUAGE plpgsql;
        select gd3();
    """,
    "hash_opclass": r"""
        create function ph(value int4, seed int8) returns int8 as $$ select value + seed; $$ language sql strict immutable;
        create function ph4(value int4) returns int4 as $$ select value; $$ language sql strict immutable;
        create function pht(value text, seed int8) returns int8 language plpgsql immutable as $$ begin return length(value)::int8 + seed; end $$;
        create operator class oc1 for type int4 using hash as operator 1 =, function 2 ph(int4, int8);
        create operator class oc1 for type int4 using hash as operator 1 =, function 2 ph(int4, int8);
        create operator class oc2 for type int4 using hash as operator 1 =, function 2 nosuch(int4, int8);
        create operator class oc3 for type int4 using nosuch as operator 1 =;
        create operator class oc4 for type int4 using hash as operator 1 =, function 1 ph4(int4);
        create operator class oct for type text using hash as operator 1 =, function 2 pht(text, int8);
        create table hp (a int) partition by hash (a oc1);
        create table hp2 (a text) partition by hash (a oc1);
        create table hp3 (a int) partition by hash (a nosuch);
        create table hp4 (a int) partition by range (a oc1);
        create table hp5 (a int) partition by hash (a oc4);
        create table hp5a partition of hp5 for values with (modulus 2, remainder 0);
        \d hp
        select pg_get_partkeydef('hp'::regclass);
        create table hp0 partition of hp for values with (modulus 4, remainder 0);
        create table hp1 partition of hp for values with (modulus 4, remainder 1);
        create table hp2p partition of hp for values with (modulus 4, remainder 2);
        create table hp3p partition of hp for values with (modulus 4, remainder 3);
        insert into hp select generate_series(1, 12);
        insert into hp values (null);
        insert into hp0 values (5);
        insert into hp1 values (5);
        select tableoid::regclass, a from hp order by 1, 2;
        update hp set a = a + 1 where a in (3, 8);
        select tableoid::regclass, a from hp order by 1, 2;
        create table h2 (a int, b text) partition by hash (a oc1, b oct);
        create table h2a partition of h2 for values with (modulus 2, remainder 0);
        create table h2b partition of h2 for values with (modulus 2, remainder 1);
        insert into h2 values (1, 'x'), (2, 'x'), (1, 'xy'), (3, null), (null, 'abc');
        select tableoid::regclass, * from h2 order by 1, 2, 3;
        create table h3 (a int, b int) partition by hash (a oc1, b);
        create table h3a partition of h3 for values with (modulus 2, remainder 0);
        create table h3b partition of h3 for values with (modulus 2, remainder 1);
        insert into h3 values (1, 1), (2, 1), (1, 2), (4, 7);
        select tableoid::regclass, * from h3 order by 1, 2, 3;
        drop operator class oc1 using hash;
        drop operator class nosuch using hash;
        drop operator class if exists nosuch using hash;
        drop table hp, h2, h3;
        drop operator class oc1 using hash;
        drop operator class oct using hash;
    """,
    "values_srf": r"""
        create table vs (a int, b text default 'd');
        insert into vs values (generate_series(1, 3));
        insert into vs values (generate_series(4, 5), 'x') returning *;
        insert into vs (b, a) values ('y', generate_series(6, 7));
        insert into vs values (unnest(array[8, 9]), 'z');
        select * from vs order by a;
    """,
    "constraint_rows": r"""
        create function ctf() returns trigger language plpgsql as $$ begin return null; end $$;
        create table ctr (a int primary key);
        create table ctp (a int, b int) partition by range (a);
        create table ctp1 partition of ctp for values from (0) to (10) partition by range (a);
        create table ctp11 partition of ctp1 for values from (0) to (5);
        create table ctp2 partition of ctp for values from (10) to (20);
        create constraint trigger ctt after insert on ctp from ctr deferrable initially deferred for each row execute function ctf();
        create constraint trigger plain after update on ctr for each row execute function ctf();
        select t.tgname, c.conname, t.tgrelid::regclass, t.tgconstrrelid::regclass, c.conrelid::regclass, c.confrelid::regclass,
          c.contype, c.condeferrable, c.condeferred, c.convalidated, c.conislocal, c.coninhcount,
          (select p.conname from pg_constraint p where p.oid = c.conparentid) as parent, c.conkey
          from pg_trigger t join pg_constraint c on t.tgconstraint = c.oid order by t.tgrelid::regclass::text;
        select conname, contype from pg_constraint where conrelid = 'ctr'::regclass order by 1;
        select conname, pg_get_constraintdef(oid) from pg_constraint where contype = 't' order by conrelid::regclass::text;
        \d ctp2
        \d ctr
    """,
    "tt_readonly": r"""
        create table tgt (a int);
        create function tgf() returns trigger language plpgsql as $$
        begin
          insert into nt values (1);
          return null;
        end $$;
        create trigger tg after insert on tgt referencing new table as nt for each statement execute function tgf();
        insert into tgt values (1);
        create or replace function tgf() returns trigger language plpgsql as $$
        begin
          update nt set a = 2;
          return null;
        end $$;
        insert into tgt values (1);
        create or replace function tgf() returns trigger language plpgsql as $$
        begin
          delete from nt;
          return null;
        end $$;
        insert into tgt values (1);
        create or replace function tgf() returns trigger language plpgsql as $$
        begin
          perform count(*) from nt;
          return null;
        end $$;
        insert into tgt values (1);
        select count(*) from tgt;
    """,
    "ddl_in_use": r"""
        create table tdt (col1 integer, col2 integer);
        create function tdf() returns trigger as $$ begin alter table tdt add primary key (col1); return new; end $$ language plpgsql;
        create trigger tdf before insert on tdt for each row execute procedure tdf();
        insert into tdt values (1, 42);
        create or replace function tdf() returns trigger as $$ begin create index on tdt (col2); return new; end $$ language plpgsql;
        insert into tdt values (1, 42);
        drop trigger tdf on tdt;
        create trigger tdf after insert on tdt for each row execute procedure tdf();
        insert into tdt values (1, 42);
        drop trigger tdf on tdt;
        create trigger tdf after insert on tdt for each statement execute procedure tdf();
        insert into tdt values (1, 42);
        create or replace function tdf() returns trigger as $$ begin alter table tdt add column c3 int; return new; end $$ language plpgsql;
        insert into tdt values (1, 42);
        drop trigger tdf on tdt;
        create trigger tdf before insert on tdt for each statement execute procedure tdf();
        insert into tdt values (1, 42);
        select * from tdt;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "trig_sem_case")
    got = run_script_in_fresh_database(shared_server, script, "trig_sem_case")
    assert got == expected
