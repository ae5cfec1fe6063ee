"""Data-modifying statements in WITH (INSERT / UPDATE / DELETE ... RETURNING as WITH queries)
side by side with PostgreSQL 15 (issue 14): each psql script runs in a database of its own on
both servers and must print the same rows, command tags, notices and errors. PostgreSQL's
output is the expectation; nothing here states an expected value.

  basics        each kind of data-modifying WITH query read by a SELECT, a query without
                RETURNING (run, never named: naming it is 42P10), column aliases, the
                query run once when named twice and when LIMIT stops the main query early
  snapshot      the main query and later WITH queries read the changed tables as they were
                when the statement began (insert-or-select, the RETURNING rows only)
  dml_main      INSERT / UPDATE / DELETE as the main statement over a WITH query's rows,
                with RETURNING and command tags
  errors        WITH in a subquery / a WITH query (0A000 at the top level only), a view or a
                cursor over one, a unique violation inside with its detail, a rolled back
                statement leaving nothing behind
  recursive_and_rules  WITH RECURSIVE's queries made in the order they name each other (a
                data-modifying one naming a later one), 42P19 for one naming itself, mutual
                recursion; rules on a WITH query's table refused as PostgreSQL refuses them
  returning_from  UPDATE ... FROM / DELETE ... USING whose RETURNING reads the FROM item
                (its columns, *, item.*), with the command tags and errors
  routines      triggers on the changed tables (row and statement), SQL and PL/pgSQL
                functions running such statements (named parameters and variables
                inside them, MERGE in them, GET DIAGNOSTICS), prepared with parameters
"""

from __future__ import annotations

import asyncio

import asyncpg
import psycopg
import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "basics": r"""
        create table wc (a int primary key, b text default 'dflt');
        insert into wc values (1, 'one'), (2, 'two');
        with x as (insert into wc values (3, 'three') returning *) select * from x;
        with x as (update wc set b = upper(b) where a < 3 returning a, b as bee) select * from x order by a;
        with x as (delete from wc where a = 3 returning b) select count(*), max(b) from x;
        with x as (insert into wc values (4)) select 'ran';
        with x as (insert into wc values (5)) select * from x;
        select * from wc order by a;
        with x(k) as (insert into wc values (6, 'six') returning a, b) select * from x;
        with x(k, l, m) as (insert into wc values (7, 'seven') returning a, b) select * from x;
        with x as (insert into wc values (8, 'eight') returning a) select * from x, x as y;
        with x as (update wc set b = b || '+' returning a) select * from x order by a limit 1;
        select * from wc order by a;
        with recursive n(i) as (select 1 union all select i + 1 from n where i < 3),
             x as (insert into wc select 100 + i, 'n' || i from n returning *)
        select * from x order by a;
        with wc as (insert into wc values (9, 'nine') returning *) select * from wc;
        with x as (insert into wc values (10, 'ten') returning a, b as c) select x from x;
    """,
    "snapshot": r"""
        create table ws (id int primary key, name text unique);
        insert into ws values (1, 'a');
        with ins as (insert into ws values (2, 'b') on conflict (name) do nothing returning id)
        select id from ins union all select id from ws where name = 'b';
        with ins as (insert into ws values (3, 'b') on conflict (name) do nothing returning id)
        select id from ins union all select id from ws where name = 'b';
        with d as (delete from ws where id = 1 returning *) select (select count(*) from ws), (select count(*) from d);
        with s as (select count(*) as n from ws), i as (insert into ws values (4, 'c') returning id)
        select n, (select count(*) from ws) from s;
        with i as (insert into ws values (5, 'e') returning id), c as (select count(*) as n from ws)
        select * from c;
        select * from ws order by id;
    """,
    "dml_main": r"""
        create table src (a int, b text);
        create table dst (a int, b text, note text);
        insert into src values (1, 'x'), (2, 'y'), (3, 'z');
        with moved as (delete from src where a >= 2 returning *) insert into dst select a, b, 'moved' from moved;
        with moved as (delete from src returning *) insert into dst select a, b, 'again' from moved returning a, note;
        select * from src order by a;
        select * from dst order by a, note;
        with u as (update dst set note = 'u' where a = 1 returning a) update dst set b = b || '!' from u
          where dst.a = u.a + 1 returning dst.*;
        with d as (delete from dst where note = 'u' returning a) delete from dst where a in (select a + 2 from d)
          returning *;
        with i as (insert into src values (9, 'nine') returning a) update dst set a = a * 10 where a in (select 2 from i);
        select * from dst order by a, note;
        select * from src order by a;
    """,
    "errors": r"""
        create table we (a int primary key);
        insert into we values (1);
        select * from (with x as (insert into we values (2) returning *) select * from x) s;
        select (with x as (insert into we values (2) returning a) select a from x);
        with x as (with y as (insert into we values (2) returning *) select * from y) select * from x;
        create view we_v as with x as (insert into we values (2) returning *) select * from x;
        begin;
        declare c cursor for with x as (insert into we values (2) returning *) select * from x;
        rollback;
        with x as (insert into we values (3) returning *), y as (insert into we values (1) returning *)
          select * from x;
        with x as (insert into we values (4) returning *) insert into we select a from x;
        select * from we order by a;
        with x as (insert into nosuch values (1) returning *) select * from x;
        with x as (insert into we values ('z') returning *) select * from x;
    """,
    "recursive_and_rules": r"""
        create table wq (a int);
        create table wq2 (a int);
        insert into wq select generate_series(1, 10);
        with recursive t as (insert into wq select a + 5 from t2 where a > 5 returning *),
             t2 as (update wq set a = a - 11 returning *)
        select * from t union all select * from t2;
        select * from wq order by a;
        with recursive t as (insert into wq select * from t) values (false);
        with recursive t1 as (insert into wq2 select * from t2 returning *),
             t2 as (insert into wq select * from wq returning *)
        select 1;
        select count(*) from wq;
        select count(*) from wq2;
        with recursive n(a) as (select 0 union all select a + 1 from n where a + 1 < 3),
             ins as (insert into wq select * from n returning *)
        select * from ins join wq using (a) order by a;
        with recursive a as (select * from b), b as (select 1 as x) select * from a;
        with recursive a as (select * from b), b as (select * from a) select * from a;
        create rule wq_rule as on insert to wq where a = 0 do instead delete from wq;
        with t as (insert into wq values (0)) values (false);
        drop rule wq_rule on wq;
        create rule wq_rule as on insert to wq do instead nothing;
        with t as (insert into wq values (0)) values (false);
        drop rule wq_rule on wq;
        create rule wq_rule as on insert to wq do instead notify wq_chan;
        with t as (insert into wq values (0)) values (false);
        drop rule wq_rule on wq;
        create rule wq_rule as on insert to wq do also notify wq_chan;
        with t as (insert into wq values (0)) values (false);
        drop rule wq_rule on wq;
        create rule wq_rule as on insert to wq do instead (notify wq_chan; notify wq_chan2);
        with t as (insert into wq values (0)) values (false);
        drop rule wq_rule on wq;
    """,
    "returning_from": r"""
        create table rf (f1 int primary key, f2 text, f3 int);
        create table rf_src (k int, name text);
        insert into rf values (1, 'a', 10), (2, 'b', 20), (3, 'c', 30);
        insert into rf_src values (1, 'one'), (2, 'two'), (2, 'deux');
        update rf set f3 = f3 * 2 from rf_src s where rf.f1 = s.k and s.k = 1 returning rf.*, s.name as "s.name";
        update rf set f3 = f3 + 1 from rf_src where rf.f1 = rf_src.k and rf_src.k = 1 returning *;
        update rf r set f2 = upper(f2) from (select k, name from rf_src where k = 1) q where r.f1 = q.k
          returning r.f1, q.name, r.f2 || q.name;
        update rf set f3 = 0 from generate_series(3, 3) g where rf.f1 = g returning rf.f1, g;
        update rf set f3 = 0 from rf_src s where rf.f1 = s.k + 100 returning s.name;
        update rf set f3 = 0 from rf_src s where rf.f1 = s.k returning s.nosuch;
        delete from rf using rf_src s where rf.f1 = s.k and s.name = 'one' returning *;
        delete from rf using rf_src s where rf.f1 = s.k and s.name = 'two' returning s.*, rf.f2;
        select * from rf order by f1;
        prepare rfp(int) as update rf set f3 = $1 from rf_src s where rf.f1 = s.k + 1 returning rf.f1, s.k, $1;
        execute rfp(7);
    """,
    "routines": r"""
        create table wr (a int primary key, b text);
        create table wr_log (what text, a int);
        create function wr_note() returns trigger language plpgsql as $$
        begin
          raise notice '% % % on %', tg_when, tg_level, tg_op, tg_table_name;
          if tg_level = 'ROW' then
            if tg_op = 'INSERT' then new.b := coalesce(new.b, 'filled'); end if;
            return coalesce(new, old);
          end if;
          return null;
        end $$;
        create trigger wr_row before insert or update or delete on wr for each row execute function wr_note();
        create trigger wr_stmt after insert or update or delete on wr for each statement execute function wr_note();
        with x as (insert into wr values (1) returning *) select * from x;
        with x as (update wr set b = 'upd' returning *) insert into wr_log select 'upd', a from x returning *;
        drop trigger wr_row on wr;
        drop trigger wr_stmt on wr;
        create function wr_sql(int) returns setof wr language sql as
          $$ with x as (insert into wr values ($1, 'sql') returning *) select * from x $$;
        select * from wr_sql(10);
        create function wr_sql2(int) returns int language sql as
          $$ with x as (delete from wr where a = $1 returning a) insert into wr_log select 'del', a from x returning a $$;
        select wr_sql2(10);
        create function wr_pl(int) returns int language plpgsql as $$
        declare r int; n int;
        begin
          with x as (insert into wr values ($1, 'pl') returning a) select a into r from x;
          with x as (delete from wr where a = $1 returning a) insert into wr_log select 'pl', a from x;
          get diagnostics n = row_count;
          return r * 100 + n;
        end $$;
        select wr_pl(20);
        prepare wr_p(int, text) as with x as (insert into wr values ($1, $2) returning *) select a, b, $2 || '?' from x;
        execute wr_p(30, 'thirty');
        execute wr_p(31, 'thirty-one');
        execute wr_p(31, 'again');
        create function wr_named(v int, w text) returns text language plpgsql as $$
        declare r text; q text; n int;
        begin
          with x as (insert into wr values (v, w) returning b) select b into r from x;
          merge into wr using (select v as a) m on wr.a = m.a when matched then update set b = w || '!';
          get diagnostics n = row_count;
          update wr set b = b || w from wr_log l where wr.a = l.a returning l.what || w into q;
          return r || ' ' || n || ' ' || coalesce(q, '-');
        end $$;
        select wr_named(40, 'forty');
        create function wr_named_sql(v int) returns setof text language sql as
          $$ with x as (update wr set b = b || '?' where a = v returning b) select b from x $$;
        select * from wr_named_sql(40);
        create function wr_merge_sql(v int) returns void language sql as
          $$ merge into wr using (select v as a) m on wr.a = m.a when matched then delete $$;
        select wr_merge_sql(40);
        select * from wr order by a;
        select * from wr_log order by what, a;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "wcte_case")
    got = run_script_in_fresh_database(shared_server, script, "wcte_case")
    assert got == expected


def _psycopg_run(dsn: str) -> list:
    """Extended protocol with typed parameters: rows, descriptions and row counts."""
    out = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop table if exists wcp")
        conn.execute("create table wcp (id serial primary key, v numeric(6,2), t timestamptz)")
        for v in (1.5, 2.25, None):
            cur = conn.execute("with x as (insert into wcp (v, t) values (%s, '2024-01-02 03:04:05+00') "
                               "returning id, v, t) select id, v, t, v * 2 as dbl from x", (v,))
            out.append((cur.fetchall(), [d.name for d in cur.description], [d.type_code for d in cur.description]))
        cur = conn.execute("with d as (delete from wcp where v > %s returning id) "
                           "update wcp set v = -1 where id not in (select id from d)", (2,))
        out.append(cur.rowcount)
        out.append(conn.execute("select id, v from wcp order by id").fetchall())
        conn.execute("drop table wcp")
    return out


def test_psycopg_parameters_same_as_postgres(shared_server, pg15):
    assert _psycopg_run(shared_server.dsn()) == _psycopg_run(pg15.dsn())


async def _asyncpg_run(port: int, user: str) -> list:
    """asyncpg (extended protocol, binary results, a portal read in parts, a prepared
    statement): data-modifying WITH queries and MERGE."""
    c = await asyncpg.connect(host="127.0.0.1", port=port, user=user, database="postgres")
    try:
        await c.execute("drop table if exists wca; create table wca (id serial primary key, v text)")
        out: list = [await c.fetch("with x as (insert into wca (v) values ($1), ($2) returning *) "
                                   "select id, v from x order by id", "a", "b")]
        async with c.transaction():
            cur = await c.cursor("with x as (update wca set v = v || $1 returning *) select * from x order by id", "!")
            out += [await cur.fetch(1), await cur.fetch(5)]
        out.append(await c.execute("merge into wca using (values (1, 'm'), (9, 'n')) s(id, v) on wca.id = s.id "
                                   "when matched then update set v = s.v when not matched then insert (v) values (s.v)"))
        out.append(await c.fetch("select * from wca order by id"))
        st = await c.prepare("with d as (delete from wca where id = $1 returning v) select v from d")
        out.append(await st.fetch(2))
        await c.execute("drop table wca")
    finally:
        await c.close()
    return [[tuple(r) for r in x] if isinstance(x, list) else x for x in out]


def test_asyncpg_same_as_postgres(shared_server, pg15):
    assert asyncio.run(_asyncpg_run(shared_server.port, shared_server.superuser)) == \
        asyncio.run(_asyncpg_run(pg15.port, pg15.superuser))
