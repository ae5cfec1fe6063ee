"""Triggers (issue 12), side by side with PostgreSQL 15.

Each script runs in a database of its own on both servers (as one role, tg_owner) and must
print the same thing through psql - rows, notices, errors with detail, hint and CONTEXT,
\\d's "Triggers:" sections - and, run again with VERBOSITY sqlstate, the same SQLSTATEs.
Nothing here states an expected value: PostgreSQL's output is the expectation.

  basics      CREATE [OR REPLACE] TRIGGER BEFORE/AFTER, INSERT/UPDATE [OF cols]/DELETE, FOR EACH
              ROW/STATEMENT, WHEN (...) and its refusals, EXECUTE FUNCTION/PROCEDURE f(args) with
              TG_ARGV/TG_NARGS, every TG_* variable, BEFORE row triggers changing NEW or
              returning NULL, AFTER triggers seeing the final rows, firing order by name,
              pg_trigger's columns, pg_get_triggerdef (both forms), \\d
  views       INSTEAD OF INSERT/UPDATE/DELETE on a view, RETURNING, rows a trigger skips,
              statement triggers on a view, the refusals (BEFORE/AFTER row, WHEN, columns)
  transition  REFERENCING NEW TABLE / OLD TABLE for statement and row triggers, upserts, a
              nested trigger's own transition table, the refusals
  paths       every way rows change: INSERT ... ON CONFLICT DO UPDATE / DO NOTHING, COPY FROM
              STDIN (text and csv), UPDATE ... FROM, DELETE ... USING, TRUNCATE (statement
              triggers), foreign-key ON DELETE CASCADE / SET NULL / ON UPDATE CASCADE with
              the child's row triggers and pg_trigger_depth()
  cascades    foreign-key actions as PostgreSQL's RI triggers run them: the child's (and
              grandchild's) statement triggers fire once per statement that acts on it, even
              when no child row matches, BEFORE ones one trigger level deeper, AFTER ones after
              the parent's; their transition tables; UPDATE OF on statement triggers
  more        TRUNCATE triggers with foreign keys (refused, CASCADE and its notices), a table in
              another schema, RENAME COLUMN carried into WHEN, RENAME TO, a replaced trigger
              function, a trigger inside an exception block, DROP TABLE taking its triggers,
              prepared statements, SQL functions and INSTEAD OF through EXECUTE, DROP TABLE of a
              parent and its child together
  dynamic     TG_RELID::regclass, EXECUTE format(... %I ...) USING NEW's fields and NEW, INSERT ...
              SELECT NEW.* and VALUES (NEW.*)
  wholerow    a FROM item named as a value (a transition table's rows printed with
              string_agg(new_table::text, ...), SELECT t FROM t, a subquery's alias)
  catalogs    WHEN (NEW.tableoid = OLD.tableoid) and its refusal in BEFORE triggers,
              information_schema.triggers and triggered_update_columns, pg_trigger's columns,
              pg_describe_object, pg_depend rows of triggers (table, function, UPDATE OF columns)
  constraint  CREATE CONSTRAINT TRIGGER ... [FROM t] NOT DEFERRABLE | DEFERRABLE INITIALLY IMMEDIATE:
              fired as AFTER ROW triggers, pg_get_triggerdef, pg_trigger, \\d, information_schema;
              its refusals (statement level, BEFORE, CREATE OR REPLACE, replacing one by a trigger)
  deferred    INITIALLY DEFERRED constraint triggers: fired at COMMIT (autocommit, explicit and
              implicit), an error there is COMMIT's and rolls back, events of rows a ROLLBACK TO
              or a PL/pgSQL exception block undid are dropped, ROLLBACK drops them all
  set_constraints  SET CONSTRAINTS ALL | names DEFERRED | IMMEDIATE over constraint triggers
              (IMMEDIATE fires what is queued), outside a block, its errors
  errors      a trigger's error aborts the statement and leaves nothing behind (in and out of
              transaction blocks, savepoints), wrong return values, a missing RETURN,
              recursion, a BEFORE trigger changing a row its statement is about to change
  idioms      what application triggers write: NEW IS DISTINCT FROM OLD, NEW = OLD, NEW::text, NEW.*::text,
              ROW(OLD.*) IS DISTINCT FROM ROW(NEW.*), RETURN
              COALESCE(NEW, OLD), WHEN (OLD.* IS DISTINCT FROM NEW.*)
  admin       ALTER TABLE ENABLE/DISABLE TRIGGER name/ALL/USER, ENABLE ALWAYS/REPLICA with
              session_replication_role, ALTER TRIGGER RENAME, DROP TRIGGER [IF EXISTS],
              DROP FUNCTION ... CASCADE, CREATE TRIGGER's refusals, COMMENT ON TRIGGER,
              information_schema.triggers, dropping columns triggers depend on

Not compared: the moment a child's BEFORE ROW trigger runs for a
foreign-key action when one statement acts on several parent rows (pgsvc runs it as SQLite
changes the child row, PostgreSQL after the parent rows' earlier AFTER ROW triggers).
"""

from __future__ import annotations

import textwrap

import pytest
from psql_scripts import fresh_databases, run_script

OWNER = "tg_owner"

CASES = {
    "basics": r"""
        create table t (id int primary key, name text not null, qty int default 0, note text);
        create function show() returns trigger language plpgsql as $$
        begin
          raise notice '% % % % on %.% (relname %, relid ok %) nargs % argv % / %',
            tg_name, tg_when, tg_level, tg_op, tg_table_schema, tg_table_name, tg_relname,
            tg_relid = 't'::regclass, tg_nargs, tg_argv[0], tg_argv[1];
          if tg_level = 'ROW' then
            raise notice '  old=% new=%', old, new;
          else
            raise notice '  stmt old is null % new is null %', old is null, new is null;
          end if;
          if tg_when = 'BEFORE' and tg_level = 'ROW' then
            if tg_op = 'DELETE' then return old; end if;
            return new;
          end if;
          return null;
        end $$;
        create trigger a_bs before insert or update or delete on t for each statement execute function show('bs', 42);
        create trigger b_br before insert or update or delete on t for each row execute function show();
        create trigger c_ar after insert or update or delete on t for each row execute function show('ar');
        create trigger d_as after insert or update or delete on t for each statement execute function show('as', 'two', 'three');
        insert into t values (1, 'one'), (2, 'two');
        update t set qty = qty + 1 where id = 1;
        update t set qty = 5 where id = 99;
        delete from t where id = 2;
        delete from t where false;
        drop trigger a_bs on t; drop trigger b_br on t; drop trigger c_ar on t; drop trigger d_as on t;
        -- BEFORE changes NEW, skips rows; firing order by name
        create function upper_name() returns trigger language plpgsql as $$
        begin new.name := upper(new.name); new.note := coalesce(new.note, '') || tg_name || ';'; return new; end $$;
        create function skip_neg() returns trigger language plpgsql as $$
        begin
          if new.qty < 0 then raise notice 'skipping %', new.id; return null; end if;
          new.note := coalesce(new.note, '') || tg_name || ';';
          return new;
        end $$;
        create function after_see() returns trigger language plpgsql as $$
        begin raise notice 'after % sees %', tg_name, new; return null; end $$;
        create trigger zz_upper before insert or update on t for each row execute function upper_name();
        create trigger aa_skip before insert or update on t for each row execute function skip_neg();
        create trigger mm_upper before insert on t for each row execute function upper_name();
        create trigger zz_after after insert or update on t for each row execute function after_see();
        create trigger aa_after after insert or update on t for each row execute function after_see();
        insert into t (id, name, qty) values (10, 'ten', 1), (11, 'eleven', -1), (12, 'twelve', 2) returning *;
        update t set qty = -5 where id = 10;
        update t set qty = qty * 10 returning id, name, qty, note;
        select * from t order by id;
        -- UPDATE OF and WHEN
        create table w (id int, a int, b int, c text);
        create function w_note() returns trigger language plpgsql as $$
        begin raise notice '% fired for % -> %', tg_name, old, new; return new; end $$;
        create trigger w_of_a after update of a on w for each row execute function w_note();
        create trigger w_of_bc before update of b, c on w for each row execute function w_note();
        create trigger w_when after update on w for each row when (old.a is distinct from new.a) execute function w_note();
        create trigger w_when_ins before insert on w for each row when (new.a > 10) execute function w_note();
        create trigger w_when_stmt after delete on w for each statement when (true) execute function w_note();
        insert into w values (1, 5, 5, 'x'), (2, 50, 5, 'y');
        update w set a = a;
        update w set b = 6 where id = 1;
        update w set c = 'z', a = 7 where id = 2;
        update w set id = id + 1;
        delete from w where id = 2;
        create trigger w_bad after update on w for each row when (old.zz > 1) execute function w_note();
        create trigger w_bad2 after insert on w for each row when (old.a > 1) execute function w_note();
        create trigger w_bad3 before delete on w for each row when (new.a > 1) execute function w_note();
        create trigger w_bad4 after insert on w for each statement when (new.a > 1) execute function w_note();
        create trigger w_bad5 after insert on w for each row when ((select 1) = 1) execute function w_note();
        create trigger w_bad6 after update of zz on w for each row execute function w_note();
        create trigger w_bad7 after update of a, a on w for each row execute function w_note();
        -- CREATE OR REPLACE
        create function f1() returns trigger language plpgsql as $$ begin raise notice 'f1 %', tg_argv[0]; return null; end $$;
        create function f2() returns trigger language plpgsql as $$ begin raise notice 'f2 %', tg_argv[0]; return null; end $$;
        create trigger r after insert on w for each statement execute function f1('first');
        insert into w values (9, 9, 9, '9');
        create trigger r after insert on w for each statement execute function f2('dup');
        create or replace trigger r after insert on w for each statement execute function f2('second');
        insert into w values (9, 9, 9, '9');
        create or replace trigger r before insert on w for each row execute function f1('third');
        insert into w values (9, 9, 9, '9');
        create trigger r2 after insert on w for each row execute procedure f2(1, 2.5, 'x y', E'q\'t');
        insert into w values (8, 8, 8, '8');
        select tgname, tgtype, tgenabled, tgnargs, tgattr, tgargs, tgisinternal, tgconstraint, tgdeferrable, tginitdeferred, tgoldtable, tgnewtable, tgqual is not null as has_qual, tgfoid::regproc from pg_trigger where tgrelid = 'w'::regclass order by tgname;
        select tgname, pg_get_triggerdef(oid), pg_get_triggerdef(oid, true) from pg_trigger where tgrelid in ('t'::regclass, 'w'::regclass) order by tgname;
        \d w
        \d t
    """,
    "views": r"""
        create table base (id int primary key, name text, price numeric(8,2));
        insert into base values (1, 'a', 1.50), (2, 'b', 2.00);
        create view v as select id, name, price, price * 2 as double from base;
        create function v_ins() returns trigger language plpgsql as $$
        begin
          raise notice '% % % new=%', tg_name, tg_when, tg_op, new;
          insert into base values (new.id, upper(new.name), new.price);
          new.double := new.price * 2;
          return new;
        end $$;
        create function v_upd() returns trigger language plpgsql as $$
        begin
          raise notice '% old=% new=%', tg_op, old, new;
          if new.price < 0 then return null; end if;
          update base set name = new.name, price = new.price where id = old.id;
          return new;
        end $$;
        create function v_del() returns trigger language plpgsql as $$
        begin
          raise notice '% old=%', tg_op, old;
          delete from base where id = old.id;
          if old.id = 2 then return null; end if;
          return old;
        end $$;
        create trigger v_ins instead of insert on v for each row execute function v_ins();
        create trigger v_upd instead of update on v for each row execute function v_upd();
        create trigger v_del instead of delete on v for each row execute function v_del();
        insert into v values (3, 'c', 3.00), (4, 'd', 4.25);
        insert into v (id, name, price) values (5, 'e', 5) returning *;
        insert into v (id, name, price) values (6, 'f', 6) returning id, double;
        update v set price = price + 1 where id <= 2;
        update v set price = -1 where id = 3 returning *;
        update v set name = 'x' where id = 4 returning id, name, double;
        delete from v where id in (1, 2) returning *;
        delete from v where id = 99;
        select * from base order by id;
        select * from v order by id;
        create trigger v_bad before insert on v for each row execute function v_ins();
        create trigger v_bad after insert on v for each row execute function v_ins();
        create trigger v_bad instead of insert on v for each statement execute function v_ins();
        create trigger v_bad instead of insert on base for each row execute function v_ins();
        create trigger v_bad instead of update of name on v for each row execute function v_ins();
        create trigger v_bad instead of insert on v for each row when (new.id > 1) execute function v_ins();
        create trigger v_bad instead of truncate on v for each row execute function v_ins();
        create trigger v_bs before insert on v for each statement execute function v_ins();
        create function st() returns trigger language plpgsql as $$ begin raise notice 'stmt % % on %', tg_when, tg_op, tg_table_name; return null; end $$;
        create trigger v_as after update on v for each statement execute function st();
        create trigger v_bs2 before update on v for each statement execute function st();
        update v set name = name where id = 5;
        \d v
        select tgname, tgtype, pg_get_triggerdef(oid) from pg_trigger where tgrelid = 'v'::regclass order by 1;
    """,
    "transition": r"""
        create table t (id int primary key, v text);
        create function tt_ins() returns trigger language plpgsql as $$
        declare r record;
        begin
          raise notice '% % %: % rows', tg_name, tg_level, tg_op, (select count(*) from newtab);
          for r in select * from newtab order by id loop raise notice '  new %', r; end loop;
          return null;
        end $$;
        create function tt_upd() returns trigger language plpgsql as $$
        declare r record;
        begin
          for r in select o.id, o.v as old_v, n.v as new_v from oldtab o join newtab n using (id) order by id loop
            raise notice '% %: % -> %', tg_name, r.id, r.old_v, r.new_v;
          end loop;
          return null;
        end $$;
        create function tt_del() returns trigger language plpgsql as $$
        begin
          raise notice '% deleted %', tg_name, (select string_agg(id::text || '=' || v, ',' order by id) from oldtab);
          return null;
        end $$;
        create trigger t_ins after insert on t referencing new table as newtab for each statement execute function tt_ins();
        create trigger t_ins_row after insert on t referencing new table as newtab for each row execute function tt_ins();
        create trigger t_upd after update on t referencing old table as oldtab new table as newtab for each statement execute function tt_upd();
        create trigger t_del after delete on t referencing old table as oldtab for each statement execute function tt_del();
        insert into t values (1, 'a'), (2, 'b'), (3, 'c');
        insert into t select 4, 'd' where false;
        update t set v = v || '!' where id >= 2;
        update t set v = 'none' where false;
        delete from t where id <> 2;
        delete from t;
        insert into t values (5, 'e') on conflict (id) do update set v = 'conflict';
        select tgname, tgoldtable, tgnewtable, pg_get_triggerdef(oid) from pg_trigger where tgrelid = 't'::regclass order by 1;
        \d t
        create trigger bad before insert on t referencing new table as n for each statement execute function tt_ins();
        create trigger bad after insert on t referencing old table as n for each statement execute function tt_ins();
        create trigger bad after delete on t referencing new table as n for each statement execute function tt_ins();
        create trigger bad after insert or update on t referencing new table as n for each statement execute function tt_ins();
        create trigger bad after update of v on t referencing new table as n for each statement execute function tt_ins();
        create trigger bad after update on t referencing new table as n old table as n for each statement execute function tt_ins();
        create trigger bad after update on t referencing new table as n new table as m for each statement execute function tt_ins();
        create trigger bad after update on t referencing new row as n for each row execute function tt_ins();
        create trigger bad after truncate on t referencing old table as n for each statement execute function tt_ins();
        create view tv as select * from t;
        create trigger bad instead of insert on tv referencing new table as n for each row execute function tt_ins();
        select * from newtab;
        -- a transition table seen from a nested trigger
        create table log (msg text);
        create function log_it() returns trigger language plpgsql as $$
        begin insert into log select 'inserted ' || id from newtab; return null; end $$;
        create table t2 (id int);
        create trigger t2_ins after insert on t2 referencing new table as newtab for each statement execute function log_it();
        insert into t2 select g from generate_series(1, 3) g;
        select * from log order by 1;
    """,
    "paths": r"""
        create table t (id int primary key, v text, n int default 0);
        create function note() returns trigger language plpgsql as $$
        begin
          raise notice '% % % % old=% new=%', tg_name, tg_when, tg_level, tg_op, old, new;
          if tg_level = 'ROW' and tg_when = 'BEFORE' then
            if tg_op = 'DELETE' then return old; end if;
            if tg_op = 'INSERT' then new.n := new.n + 100; end if;
            return new;
          end if;
          return null;
        end $$;
        create trigger t_bs before insert or update or delete or truncate on t for each statement execute function note();
        create trigger t_br before insert or update or delete on t for each row execute function note();
        create trigger t_ar after insert or update or delete on t for each row execute function note();
        create trigger t_as after insert or update or delete or truncate on t for each statement execute function note();
        insert into t values (1, 'a');
        insert into t values (1, 'b'), (2, 'c') on conflict (id) do update set v = excluded.v || '+' || t.v;
        insert into t values (1, 'x'), (3, 'd') on conflict (id) do nothing;
        insert into t values (1, 'x') on conflict (id) do update set v = 'y' where t.v = 'nope';
        insert into t values (2, 'z') on conflict do nothing returning *;
        -- COPY's BEFORE STATEMENT triggers write to a table: their notices would race psql reading the data
        alter table t disable trigger t_bs;
        create table copylog (n serial, msg text);
        create function logstmt() returns trigger language plpgsql as $$
        begin insert into copylog (msg) values (tg_name || ' ' || tg_when || ' ' || tg_level || ' ' || tg_op); return null; end $$;
        create trigger t_bs_log before insert on t for each statement execute function logstmt();
        copy t (id, v) from stdin (delimiter '|');
        10|ten
        11|eleven
        \.
        copy t from stdin (format csv);
        12,twelve,5
        \.
        drop trigger t_bs_log on t;
        alter table t enable trigger t_bs;
        select * from copylog order by n;
        select * from t order by id;
        create table src (id int, nv text);
        insert into src values (1, 'from1'), (2, 'from2'), (2, 'dup'), (99, 'none');
        update t set v = src.nv from src where src.id = t.id and src.nv <> 'dup';
        delete from t using src where src.id = t.id and t.id = 1;
        select * from t order by id;
        truncate t;
        truncate t, src;
        select count(*) from t;
        -- FK cascades
        create table parent (id int primary key, name text);
        create table child (id int primary key, pid int references parent on delete cascade on update cascade, x text);
        create table nchild (id int primary key, pid int references parent on delete set null, y text);
        create function fk_note() returns trigger language plpgsql as $$
        begin
          raise notice '% % % % old=% new=% depth=%', tg_name, tg_when, tg_level, tg_op, old, new, pg_trigger_depth();
          if tg_when = 'BEFORE' and tg_level = 'ROW' then
            if tg_op = 'DELETE' then return old; end if;
            return new;
          end if;
          return null;
        end $$;
        create trigger c_br before insert or update or delete on child for each row execute function fk_note();
        create trigger c_ar after insert or update or delete on child for each row execute function fk_note();
        create trigger n_ar after update on nchild for each row execute function fk_note();
        create trigger p_ar after delete or update on parent for each row execute function fk_note();
        insert into parent values (1, 'p1'), (2, 'p2'), (3, 'p3');
        insert into child values (10, 1, 'c10'), (11, 1, 'c11'), (20, 2, 'c20');
        insert into nchild values (100, 1, 'n100'), (300, 3, 'n300');
        update parent set id = 5 where id = 1;
        select * from child order by id;
        delete from parent where id in (2, 3);
        select * from child order by id;
        select * from nchild order by id;
        select pg_trigger_depth();
    """,
    "cascades": r"""
        create function note() returns trigger language plpgsql as $$
        begin raise notice '% % % % on % depth %', tg_name, tg_when, tg_level, tg_op, tg_table_name, pg_trigger_depth();
        if tg_level = 'ROW' and tg_when = 'BEFORE' then return coalesce(new, old); end if; return null; end $$;
        create table p (id int primary key);
        create table c (id int primary key, pid int references p on delete cascade on update cascade);
        create table g (id int primary key, cid int references c on delete cascade);
        create trigger p_bs before delete or update on p for each statement execute function note();
        create trigger p_ar after delete or update on p for each row execute function note();
        create trigger p_as after delete or update on p for each statement execute function note();
        create trigger c_bs before delete or update on c for each statement execute function note();
        create trigger c_br before delete or update on c for each row execute function note();
        create trigger c_ar after delete or update on c for each row execute function note();
        create trigger c_as after delete or update on c for each statement execute function note();
        create trigger g_bs before delete on g for each statement execute function note();
        create trigger g_as after delete on g for each statement execute function note();
        insert into p values (1), (2), (3);
        insert into c values (10, 1), (11, 1), (20, 2);
        insert into g values (100, 10);
        delete from p where id = 3;
        update p set id = 4 where id = 2;
        delete from p where id = 1;
        delete from p where id = 4;
        delete from p where id = 99;
        select * from c; select * from g;
        create function trigger_func() returns trigger language plpgsql as $$
        begin raise notice 'trigger_func(%) called: action = %, when = %, level = %', TG_ARGV[0], TG_OP, TG_WHEN, TG_LEVEL; return null; end $$;
        create function dump_insert() returns trigger language plpgsql as $$
        begin raise notice 'trigger = %, new table = %', TG_NAME, (select string_agg(a || ':' || b, ', ' order by a) from new_table); return null; end $$;
        create function dump_update() returns trigger language plpgsql as $$
        begin raise notice 'trigger = %, old table = %, new table = %', TG_NAME, (select string_agg(a || ':' || b, ', ' order by a, b) from old_table), (select string_agg(a || ':' || b, ', ' order by a, b) from new_table); return null; end $$;
        create function dump_delete() returns trigger language plpgsql as $$
        begin raise notice 'trigger = %, old table = %', TG_NAME, (select string_agg(a || ':' || b, ', ' order by a, b) from old_table); return null; end $$;
        create table refd_table (a int primary key, b text);
        create table trig_table (a int, b text,
          foreign key (a) references refd_table on update cascade on delete cascade
        );
        create trigger trig_table_before_trig
          before insert or update or delete on trig_table
          for each statement execute procedure trigger_func('trig_table');
        create trigger trig_table_insert_trig
          after insert on trig_table referencing new table as new_table
          for each statement execute procedure dump_insert();
        create trigger trig_table_update_trig
          after update on trig_table referencing old table as old_table new table as new_table
          for each statement execute procedure dump_update();
        create trigger trig_table_delete_trig
          after delete on trig_table referencing old table as old_table
          for each statement execute procedure dump_delete();
        insert into refd_table values (1, 'one'), (2, 'two'), (3, 'three');
        insert into trig_table values (1, 'one a'), (1, 'one b'), (2, 'two a'), (2, 'two b'), (3, 'three a'), (3, 'three b');
        update refd_table set a = 11 where b = 'one';
        select * from trig_table order by a, b;
        delete from refd_table where length(b) = 3;
        select * from trig_table order by a, b;
        -- UPDATE OF on statement triggers: only when the statement assigns the column
        create table uo (a int, b int);
        create trigger uo_a before update of a on uo for each statement execute function note();
        create trigger uo_b after update of b on uo for each statement execute function note();
        insert into uo values (1, 1);
        update uo set a = 2;
        update uo set b = 2;
        update uo set a = 3, b = 3;
        insert into uo values (1, 1) on conflict do nothing;
    """,
    "more": r"""
        create function note() returns trigger language plpgsql as $$
        begin raise notice '% % % % on %.%', tg_name, tg_when, tg_level, tg_op, tg_table_schema, tg_table_name; return null; end $$;
        create table p (id int primary key);
        create table c (id int, pid int references p);
        create trigger p_tr before truncate on p for each statement execute function note();
        create trigger c_tr after truncate on c for each statement execute function note();
        truncate p;
        truncate p cascade;
        truncate c, p;
        create schema s2;
        create table s2.x (a int, b int);
        create trigger x_t after update of b on s2.x for each row when (old.b is distinct from new.b) execute function note();
        insert into s2.x values (1, 1);
        update s2.x set b = 2;
        alter table s2.x rename column b to bb;
        alter table s2.x rename to y;
        select pg_get_triggerdef(oid) from pg_trigger where tgname = 'x_t';
        update s2.y set bb = 3;
        \d s2.y
        create or replace function note() returns trigger language plpgsql as $$
        begin raise notice 'replaced % %', tg_name, tg_op; return null; end $$;
        update s2.y set bb = 4;
        do $$ begin begin update s2.y set bb = 5; raise exception 'oops'; exception when others then raise notice 'caught %', sqlerrm; end; end $$;
        select * from s2.y;
        alter trigger x_t on s2.y rename to x_u;
        \d s2.y
        drop table s2.y;
        select count(*) from pg_trigger where tgname like 'x_%';
        create table ins_only (a int);
        create trigger io after insert on ins_only for each statement execute function note();
        insert into ins_only select 1 where false;
        insert into ins_only default values;
        prepare q as insert into ins_only values ($1);
        execute q(1);
        execute q(2);
        create function sqlf(int) returns void language sql as 'insert into ins_only values ($1)';
        select sqlf(5);
        create table tv (a int);
        create view vv as select * from tv;
        create function vv_ins() returns trigger language plpgsql as $$ begin insert into tv values (new.a * 10); return new; end $$;
        create trigger vv_i instead of insert on vv for each row execute function vv_ins();
        prepare vq as insert into vv values ($1) returning *;
        execute vq(3);
        select sqlf(6) from generate_series(1, 2);
        select * from tv;
        create table dp (id int primary key);
        create table dc (pid int references dp on delete cascade);
        create function dnote() returns trigger language plpgsql as $$ begin raise notice '% %', tg_name, tg_op; return null; end $$;
        create trigger dc_t after delete on dc for each statement execute function dnote();
        insert into dp values (1);
        insert into dc values (1);
        create view dv as select * from dc;
        drop table dp, dc;
        drop view dv;
        drop table dp, dc;
        select count(*) from pg_trigger where tgname = 'dc_t';
        create table dx (x int);
        drop table dx, dnosuch;
        drop table if exists dx, dnosuch;
    """,
    "dynamic": r"""
        create table t (id int primary key, v text);
        create table t_copy (id int, v text);
        create table hist (tbl text, op text, data text);
        create function dyn() returns trigger language plpgsql as $$
        begin
          raise notice 'relid % %', tg_relid::regclass, tg_relid = tg_table_name::regclass;
          execute format('insert into %I.%I values ($1, $2)', tg_table_schema, tg_table_name || '_copy') using new.id, new.v;
          execute 'insert into hist values ($1, $2, $3::text)' using tg_table_name, tg_op, new;
          return new;
        end $$;
        create trigger td after insert on t for each row execute function dyn();
        insert into t values (1, 'a'), (2, 'b');
        select * from t_copy order by id;
        select tbl, op, data from hist;
        create function star_ins() returns trigger language plpgsql as $$
        begin
          insert into t_copy select new.*;
          insert into t_copy values (new.*);
          return null;
        end $$;
        create trigger ts after insert on t for each row execute function star_ins();
        insert into t values (3, 'c');
        select * from t_copy order by id;
    """,
    "wholerow": r"""
        create table t (id int, v text, n numeric(5,2), b boolean, ts timestamptz);
        insert into t values (1, 'a b', 1.5, true, '2024-01-01 00:00:00+00'), (2, null, null, false, null), (3, '', 2, null, null);
        select t from t order by id;
        select t::text, x from t, (select 1 as x) x order by id;
        select string_agg(t::text, '; ' order by id) from t;
        select id from t where t::text like '%a b%';
        select q from (select id, v from t) q order by 1;
        create function dump_new() returns trigger language plpgsql as $$
        begin
          raise notice '% new table = %', tg_name, (select string_agg(new_table::text, ', ' order by id) from new_table);
          return null;
        end $$;
        create trigger tn after insert on t referencing new table as new_table for each statement execute function dump_new();
        insert into t values (4, 'd', 4, true, null), (5, 'e"q', 5, false, null);
        select t from t where false;
        select nosuch from t;
    """,
    "catalogs": r"""
        create table t (a int, b int);
        create function f() returns trigger language plpgsql as $$ begin return null; end $$;
        create trigger t1 after update of a, b on t for each row execute function f();
        create trigger t2 before insert or delete on t for each statement when (true) execute function f('x');
        select * from information_schema.triggered_update_columns order by trigger_name, event_object_column;
        select trigger_catalog is not null, trigger_schema, trigger_name, event_manipulation, event_object_catalog is not null, event_object_schema, event_object_table, action_order, action_condition, action_statement, action_orientation, action_timing, action_reference_old_table, action_reference_new_table, action_reference_old_row, action_reference_new_row, created from information_schema.triggers order by 3, 4;
        select tgname, tgrelid::regclass, tgparentid, tgisinternal, tgconstrrelid, tgconstrindid, tgconstraint, tgdeferrable, tginitdeferred, tgnargs, tgattr, encode(tgargs, 'escape') from pg_trigger order by 1;
        select pg_describe_object('pg_trigger'::regclass, oid, 0) from pg_trigger order by 1;
        select classid::regclass, refclassid::regclass, deptype from pg_depend where classid = 'pg_trigger'::regclass order by 1, 2, 3;
        create table so (a int);
        create function sof() returns trigger language plpgsql as $$ begin raise notice '% fired', tg_name; return null; end $$;
        create trigger t1 after update on so for each row when (new.tableoid = old.tableoid and new.tableoid <> 0) execute function sof();
        create trigger t2 before update on so for each row when (new.tableoid = old.tableoid) execute function sof();
        create trigger t3 before update on so for each row when (old.tableoid <> 0) execute function sof();
        create trigger t4 after update on so for each row when (old.* is distinct from new.*) execute function sof();
        insert into so values (1);
        update so set a = a + 1;
        update so set a = a;
        select tgname, pg_get_triggerdef(oid) from pg_trigger where tgrelid = 'so'::regclass order by 1;
    """,
    "constraint": r"""
        create table ct (a int);
        create table ct_ref (b int);
        create function ctf() returns trigger language plpgsql as $$ begin raise notice '% % % %', tg_name, tg_when, tg_level, tg_op; return null; end $$;
        create constraint trigger c1 after insert on ct from ct_ref not deferrable for each row execute function ctf();
        create constraint trigger c2 after insert or update on ct deferrable initially immediate for each row when (new.a > 0) execute function ctf('x');
        create constraint trigger c3 after insert on ct for each statement execute function ctf();
        create constraint trigger c4 before insert on ct for each row execute function ctf();
        create constraint trigger c5 after insert on ct from nosuch for each row execute function ctf();
        create or replace constraint trigger c1 after insert on ct for each row execute function ctf();
        create or replace trigger c1 after insert on ct for each row execute function ctf();
        create constraint trigger c1 after insert on ct for each row execute function ctf();
        create trigger plain after insert on ct for each row execute function ctf();
        insert into ct values (1), (0);
        update ct set a = a + 1;
        select tgname, pg_get_triggerdef(oid), pg_get_triggerdef(oid, true), tgconstraint <> 0 as is_con, tgdeferrable, tginitdeferred, tgconstrrelid::regclass from pg_trigger where tgrelid = 'ct'::regclass order by 1;
        \d ct
        select trigger_name, event_manipulation, action_order, action_statement from information_schema.triggers where event_object_table = 'ct' order by 1, 2;
        alter table ct disable trigger c2;
        insert into ct values (5);
        drop trigger c1 on ct;
        select tgname from pg_trigger where tgrelid = 'ct'::regclass order by 1;
    """,
    "deferred": r"""
        create table dt (a int);
        create table dlog (msg text);
        create function dtf() returns trigger language plpgsql as $$
        begin
          raise notice '% % % new=%', tg_name, tg_when, tg_op, new;
          insert into dlog values (tg_name || ':' || new.a);
          if new.a < 0 then raise exception 'negative % refused at commit', new.a using errcode = '23514'; end if;
          return null;
        end $$;
        create constraint trigger dc after insert or update on dt deferrable initially deferred for each row execute function dtf();
        create constraint trigger di after insert on dt deferrable initially immediate for each row when (new.a > 100) execute function dtf();
        insert into dt values (1);
        select * from dlog;
        begin;
        insert into dt values (2), (3);
        select 'before commit' as marker;
        update dt set a = a * 10 where a = 2;
        select count(*) from dlog;
        commit;
        select * from dlog order by msg;
        begin;
        insert into dt values (-5);
        select 'still fine';
        commit;
        select * from dt order by a;
        begin;
        insert into dt values (7);
        savepoint s1;
        insert into dt values (8);
        rollback to s1;
        insert into dt values (9);
        commit;
        begin;
        insert into dt values (200);
        do $$ begin insert into dt values (300); raise exception 'undo'; exception when others then raise notice 'caught'; end $$;
        commit;
        begin;
        insert into dt values (11);
        rollback;
        select tgname, pg_get_triggerdef(oid), tgdeferrable, tginitdeferred from pg_trigger where tgrelid = 'dt'::regclass order by 1;
        \d dt
        select * from dt order by a;
    """,
    "set_constraints": r"""
        create table st (a int primary key);
        create function stf() returns trigger language plpgsql as $$
        begin raise notice '% fired for %', tg_name, new.a; return null; end $$;
        create constraint trigger s_def after insert on st deferrable initially deferred for each row execute function stf();
        create constraint trigger s_imm after insert on st deferrable initially immediate for each row execute function stf();
        create constraint trigger s_nd after insert on st not deferrable for each row execute function stf();
        set constraints all deferred;
        begin;
        set constraints all immediate;
        insert into st values (1);
        set constraints all deferred;
        insert into st values (2);
        select 'before commit';
        commit;
        begin;
        insert into st values (3);
        set constraints s_def immediate;
        insert into st values (4);
        set constraints s_imm deferred;
        insert into st values (5);
        set constraints all immediate;
        commit;
        begin;
        set constraints s_nd deferred;
        rollback;
        begin;
        set constraints nosuch deferred;
        rollback;
        begin;
        set constraints st_pkey deferred;
        rollback;
        begin;
        set constraints public.s_def, s_imm deferred;
        insert into st values (6);
        set constraints nosch.s_def immediate;
        rollback;
    """,
    "errors": r"""
        create table t (id int primary key, v text);
        create table log (msg text);
        create function logit() returns trigger language plpgsql as $$
        begin
          insert into log values (tg_name || ' ' || tg_op || ' ' || coalesce(new.v, old.v));
          if coalesce(new.v, old.v) = 'boom' then
            raise exception 'trigger % refused %', tg_name, coalesce(new.v, old.v) using errcode = '22023', detail = 'from the trigger', hint = 'try another value';
          end if;
          return coalesce(new, old);
        end $$;
        create trigger t_b before insert or update or delete on t for each row execute function logit();
        insert into t values (1, 'ok'), (2, 'boom'), (3, 'ok');
        select * from t; select * from log;
        create trigger t_a after insert or update or delete on t for each row execute function logit();
        drop trigger t_b on t;
        insert into t values (1, 'ok'), (2, 'boom'), (3, 'ok');
        select * from t; select * from log;
        insert into t values (1, 'ok'), (2, 'fine');
        update t set v = 'boom' where id = 2;
        delete from t where id = 1;
        select * from t order by id; select * from log order by msg;
        begin;
        insert into t values (5, 'five');
        update t set v = 'boom';
        select 1;
        rollback;
        select * from t order by id;
        begin;
        savepoint s;
        insert into t values (6, 'boom');
        rollback to s;
        insert into t values (6, 'six');
        commit;
        select * from t order by id; select count(*) from log;
        -- errors from statement triggers and row triggers with wrong return values
        create table u (a int);
        create function ret_wrong() returns trigger language plpgsql as $$ declare r record; begin select 1 as a, 2 as b into r; return r; end $$;
        create trigger u_b before insert on u for each row execute function ret_wrong();
        insert into u values (1);
        drop trigger u_b on u;
        create function st_fail() returns trigger language plpgsql as $$ begin raise exception 'statement % %', tg_when, tg_op; end $$;
        create trigger u_s after insert on u for each statement execute function st_fail();
        insert into u values (1);
        select count(*) from u;
        drop trigger u_s on u;
        create function no_return() returns trigger language plpgsql as $$ begin raise notice 'no return'; end $$;
        create trigger u_n before insert on u for each row execute function no_return();
        insert into u values (1);
        drop trigger u_n on u;
        -- a constraint violation caused by the trigger's row
        create function make_null() returns trigger language plpgsql as $$ begin new.id := null; return new; end $$;
        create trigger t_null before insert on t for each row execute function make_null();
        insert into t values (42, 'x');
        drop trigger t_null on t;
        -- recursion
        create table r (n int);
        create function rec() returns trigger language plpgsql as $$ begin if new.n < 5 then insert into r values (new.n + 1); end if; raise notice 'depth % n %', pg_trigger_depth(), new.n; return null; end $$;
        create trigger r_a after insert on r for each row execute function rec();
        insert into r values (1);
        select * from r order by n;
        -- a trigger modifying its own table's row being updated
        create table m (id int primary key, v int);
        insert into m values (1, 1), (2, 2);
        create function upd_other() returns trigger language plpgsql as $$ begin update m set v = v + 100 where id = 2; return new; end $$;
        create trigger m_b before update on m for each row when (old.id = 1) execute function upd_other();
        update m set v = v + 1;
        select * from m order by id;
    """,
    "idioms": r"""
        create table t (id int primary key, v text, n numeric(6,2), ts timestamptz default '2024-01-01 00:00:00+00');
        create table audit (op text, old_row text, new_row text, changed boolean, t text);
        create function aud() returns trigger language plpgsql as $$
        begin
          insert into audit values (tg_op, old::text, new::text, new is distinct from old, new::text);
          raise notice 'distinct % same %', old is distinct from new, old = new;
          return coalesce(new, old);
        end $$;
        create trigger aud after insert or update or delete on t for each row execute function aud();
        insert into t values (1, 'a', 1.5);
        update t set v = 'b';
        update t set v = 'b';
        delete from t;
        select * from audit;
        create function star() returns trigger language plpgsql as $$
        begin
          raise notice 'star % rowstar % %', new.*::text, row(old.*) is distinct from row(new.*), row(old.*) = row(new.*);
          if row(new.*) is distinct from row(old.*) then raise notice 'changed'; end if;
          return new;
        end $$;
        create table s (id int primary key, v text);
        create trigger s_star before insert or update on s for each row execute function star();
        insert into s values (1, 'a');
        update s set v = 'a';
        update s set v = 'b';
        create table rc (k int, note text);
        create function rowcmp() returns trigger language plpgsql as $$
        begin
          raise notice 'k=% eq=% ne=% distinct=%', new.k, row(old.*) = row(new.*), row(old.*) <> row(new.*),
            row(old.*) is distinct from row(new.*);
          return new;
        end $$;
        create trigger rc_t before update on rc for each row execute function rowcmp();
        insert into rc values (1, 'x'), (2, null);
        update rc set note = note;
        update rc set note = 'y';
        update rc set note = null;
        create table w (id int primary key, v text);
        create function wf() returns trigger language plpgsql as $$ begin raise notice '% fired %', tg_name, new; return new; end $$;
        create trigger t1 before update on w for each row when (old.* is distinct from new.*) execute function wf();
        create trigger t2 after update on w for each row when (old is distinct from new) execute function wf();
        create trigger t3 after update on w for each row when (new <> old) execute function wf();
        insert into w values (1, 'a');
        update w set v = 'a';
        update w set v = 'b';
        select tgname, pg_get_triggerdef(oid) from pg_trigger where tgrelid = 'w'::regclass order by 1;
    """,
    "admin": r"""
        create table t (id int, v text);
        create function note() returns trigger language plpgsql as $$
        begin raise notice '% % % %', tg_name, tg_when, tg_level, tg_op; return new; end $$;
        create trigger t1 before insert on t for each row execute function note();
        create trigger t2 after insert on t for each statement execute function note();
        create trigger t3 after insert on t for each row execute function note();
        insert into t values (1);
        alter table t disable trigger t1;
        insert into t values (2);
        alter table t disable trigger all;
        insert into t values (3);
        select tgname, tgenabled from pg_trigger where tgrelid = 't'::regclass order by 1;
        \d t
        alter table t enable trigger all;
        alter table t disable trigger user;
        insert into t values (4);
        alter table t enable trigger user;
        alter table t enable always trigger t2;
        alter table t enable replica trigger t3;
        select tgname, tgenabled from pg_trigger where tgrelid = 't'::regclass order by 1;
        \d t
        insert into t values (5);
        set session_replication_role = replica;
        reset role;
        set session_replication_role = replica;
        insert into t values (6);
        reset session_replication_role;
        set role tg_owner;
        alter table t disable trigger nosuch;
        alter table t enable trigger nosuch;
        alter table nosuch enable trigger all;
        alter trigger t1 on t rename to t0;
        alter trigger t9 on t rename to t8;
        alter trigger t0 on t rename to t2;
        drop trigger t0 on t;
        drop trigger t0 on t;
        drop trigger if exists t0 on t;
        drop trigger if exists t0 on nosuch;
        drop trigger t0 on nosuch;
        drop trigger t2 on t cascade;
        drop trigger if exists t3 on t restrict;
        select tgname from pg_trigger where tgrelid = 't'::regclass order by 1;
        drop function note();
        drop function note() cascade;
        select count(*) from pg_trigger where tgrelid = 't'::regclass;
        create trigger tx after insert on t for each row execute function nosuch();
        create function notrig() returns int language sql as 'select 1';
        create trigger tx after insert on t for each row execute function notrig();
        create function trig() returns trigger language plpgsql as $$ begin return null; end $$;
        create trigger tx after insert on nosuch for each row execute function trig();
        create sequence sq;
        create trigger tx after insert on sq for each row execute function trig();
        create index ti on t (id);
        create trigger tx after insert on ti for each row execute function trig();
        create trigger tx after truncate on t for each row execute function trig();
        create trigger tx after insert on pg_class for each row execute function trig();
        select trig();
        create trigger tx after insert on t for each row execute function trig();
        comment on trigger tx on t is 'a comment';
        select obj_description(oid, 'pg_trigger') from pg_trigger where tgname = 'tx';
        create schema s;
        create table s.st (a int);
        create trigger sx before update on s.st for each row execute function trig();
        select tgname, pg_get_triggerdef(oid) from pg_trigger where tgname = 'sx';
        select event_object_schema, event_object_table, trigger_name, event_manipulation, action_order, action_condition, action_statement, action_orientation, action_timing, action_reference_old_table, action_reference_new_table from information_schema.triggers order by trigger_name, event_manipulation;
        drop table s.st;
        select count(*) from pg_trigger where tgname = 'sx';
        alter table t drop column v;
        create trigger tc after update of id on t for each row execute function trig();
        alter table t drop column id;
        alter table t add column w int;
        alter table t drop column id cascade;
        \d t
    """,
}


def _fresh(target, names) -> None:
    fresh_databases(target, OWNER, "tg", names)


@pytest.fixture(scope="module")
def both(shared_server, pg15):
    """pgsvc and PostgreSQL 15, each with one fresh database per case (public writable by
    tg_owner, who runs the scripts)."""
    for target in (shared_server, pg15):
        _fresh(target, list(CASES) + ["drivers"])
    return shared_server, pg15


def _script(name: str) -> str:
    return f"SET ROLE {OWNER};\n{textwrap.dedent(CASES[name])}\n"


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, both):
    ours, pg = both
    expected = run_script(pg, _script(name), f"tg_{name}")
    got = run_script(ours, _script(name), f"tg_{name}")
    assert got == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_sqlstates_as_postgres(name, both):
    """Every error and notice carries PostgreSQL's SQLSTATE (run in fresh databases again)."""
    ours, pg = both
    for target in both:
        _fresh(target, [name])
    script = _script(name)
    assert run_script(ours, script, f"tg_{name}", "sqlstate") == run_script(pg, script, f"tg_{name}", "sqlstate")


DRIVER_SETUP = r"""
create table if not exists acct (id int primary key, owner text not null, balance numeric(12,2) not null,
                                 updated_at timestamptz);
create table if not exists acct_audit (n serial, op text, id int, old_balance numeric, new_balance numeric);
create or replace function acct_touch() returns trigger language plpgsql as $$
begin
  if new.balance < 0 then
    raise exception 'balance of % would be %', new.owner, new.balance
      using errcode = 'P0101', detail = 'account ' || new.id, hint = 'deposit first';
  end if;
  new.updated_at := '2024-01-01 00:00:00+00';
  raise notice 'touching % (%)', new.id, tg_op using detail = 'row ' || new.id;
  return new;
end $$;
create or replace function acct_audit_f() returns trigger language plpgsql as $$
begin
  insert into acct_audit (op, id, old_balance, new_balance)
    values (tg_op, coalesce(new.id, old.id), old.balance, new.balance);
  raise warning 'audited % of %', tg_op, coalesce(new.id, old.id);
  return coalesce(new, old);
end $$;
create or replace trigger acct_touch before insert or update on acct for each row execute function acct_touch();
create or replace trigger acct_audit after insert or update or delete on acct for each row execute function acct_audit_f();
"""


@pytest.fixture(scope="module")
def drivers_db(both):
    for target in both:
        out = run_script(target, DRIVER_SETUP, "tg_drivers")
        assert "ERROR" not in out, out
    return both


def test_psycopg_sees_the_same_notices_and_errors(drivers_db):
    """psycopg: the notices and warnings triggers raise (with detail and CONTEXT), the rows
    RETURNING shows after BEFORE triggers, the error fields of a trigger's exception, and
    that the failed statement left nothing behind."""
    psycopg = pytest.importorskip("psycopg")

    def session(target):
        notices = []
        with psycopg.connect(target.dsn(dbname="tg_drivers"), autocommit=True) as conn:
            conn.add_notice_handler(lambda d: notices.append((d.severity, d.sqlstate, d.message_primary,
                                                              d.message_detail, d.context)))
            conn.execute("TRUNCATE acct, acct_audit")
            conn.execute("ALTER SEQUENCE acct_audit_n_seq RESTART")
            rows = conn.execute("INSERT INTO acct VALUES (%s, %s, %s), (%s, %s, %s) RETURNING *",
                                (1, "alice", 10, 2, "bob", 20)).fetchall()
            with conn.cursor() as cur:
                cur.executemany("UPDATE acct SET balance = balance + %s WHERE id = %s", [(5, 1), (7, 2)])
            try:
                conn.execute("UPDATE acct SET balance = balance - %s", (15,))
                err = None
            except psycopg.Error as e:
                d = e.diag
                err = (e.sqlstate, d.message_primary, d.message_detail, d.message_hint, d.context)
            conn.execute("DELETE FROM acct WHERE id = %s", (2,))
            with conn.transaction():
                conn.execute("INSERT INTO acct VALUES (3, 'carol', 1)")
            after = conn.execute("SELECT * FROM acct ORDER BY id").fetchall()
            audit = conn.execute("SELECT * FROM acct_audit ORDER BY n").fetchall()
        return rows, err, notices, after, audit
    ours, pg = drivers_db
    assert session(ours) == session(pg)
