"""Materialized views side by side with PostgreSQL 15 (issue 14): each psql script runs in a
database of its own on both servers and must print the same output; PostgreSQL's output is
the expectation, nothing here states an expected value.

  lifecycle   CREATE MATERIALIZED VIEW [IF NOT EXISTS] (columns) AS ... [WITH [NO] DATA] and
              its command tags, reading it, REFRESH [CONCURRENTLY] [WITH NO DATA] after the
              tables change, a unique index for CONCURRENTLY, 55000 when not populated, a view
              over an unpopulated one, DROP and DROP ... CASCADE from the table it reads
  describe    psql's \\dm, \\d, \\d+ (View definition), pg_matviews, pg_class, pg_get_viewdef
  errors      writing into it, DROP TABLE / VIEW of it, REFRESH of a table, data-modifying
              WITH in it, option conflicts, a role that does not own it
  dump        PostgreSQL 15's pg_dump of the same objects prints the same script from both
              servers (CREATE MATERIALIZED VIEW ... WITH NO DATA, its index, comment and
              REFRESH), and `pgsvc dump`'s script loads into PostgreSQL 15 with the same rows
"""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import PGSVC, ROOT, require_tool
from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "lifecycle": r"""
        create table mt (a int primary key, b text);
        insert into mt values (1, 'x'), (2, 'y');
        create materialized view mv as select a, b, a * 2 as c from mt where a > 0;
        select * from mv order by a;
        create materialized view mv2 (x, y) as select a, b from mt with no data;
        select * from mv2;
        create view over_mv2 as select x from mv2;
        select * from over_mv2;
        refresh materialized view mv2;
        select * from over_mv2 order by x;
        insert into mt values (3, 'z');
        select count(*) from mv;
        refresh materialized view concurrently mv;
        create unique index mv_a on mv (a);
        refresh materialized view concurrently mv;
        select * from mv order by a;
        refresh materialized view mv with no data;
        refresh materialized view concurrently mv;
        select * from mv;
        refresh materialized view concurrently mv with no data;
        refresh materialized view mv;
        create materialized view if not exists mv as select 1;
        create materialized view mv as select 1;
        create materialized view mv3 as select * from mt with no data;
        create materialized view mv4 as select 1 as one;
        select * from mv4;
        drop table mt;
        drop table mt cascade;
        drop materialized view mv4;
        drop materialized view if exists mv4;
        select relname from pg_class where relkind = 'm';
    """,
    "describe": r"""
        create role mv_owner;
        grant create on schema public to mv_owner;
        set role mv_owner;
        create table mt (a int primary key, b text);
        insert into mt values (1, 'x');
        create materialized view mv as select a, b, a * 2 as c from mt where a > 0;
        create materialized view mv2 (x, y) as select a, b from mt with no data;
        create index mv_b on mv (b);
        comment on materialized view mv is 'a comment';
        \dm
        \d mv
        \d+ mv2
        select * from pg_matviews order by matviewname;
        select relname, relkind, relispopulated, relhasindex, relhasrules from pg_class
          where relname like 'mv%' order by 1;
        select pg_get_viewdef('mv'::regclass);
        select obj_description('mv'::regclass, 'pg_class');
        drop table mt cascade;
        reset role;
        revoke create on schema public from mv_owner;
        drop role mv_owner;
    """,
    "errors": r"""
        create table mt (a int primary key, b text);
        create materialized view mv as select * from mt;
        insert into mv values (1, 'a');
        update mv set b = 'c';
        delete from mv;
        drop table mv;
        drop view mv;
        refresh materialized view mt;
        refresh materialized view nosuch;
        create materialized view mv5 as with x as (insert into mt values (1) returning *) select * from x;
        create materialized view mv6 (p, q, r) as select * from mt;
        create role mv_role;
        set role mv_role;
        refresh materialized view mv;
        reset role;
        drop role mv_role;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "matview_case")
    got = run_script_in_fresh_database(shared_server, script, "matview_case")
    assert got == expected


DUMP_SCRIPT = """
create table dt (a int primary key, b text);
insert into dt values (1, 'x'), (2, 'y'), (3, null);
create materialized view dmv as select a, b, a * 2 as c from dt where a > 1;
create unique index dmv_a on dmv (a);
create materialized view dmv2 (x, y) as select a, b from dt with no data;
comment on materialized view dmv is 'dumped';
create view dv as select * from dmv;
"""


def _psql(target, db: str, sql: str, *extra: str) -> str:
    cmd = [require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(target.port), "-U", target.superuser,
           "-d", db, "-v", "ON_ERROR_STOP=1", *extra]
    res = subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout


def _pg_dump(target, db: str) -> str:
    res = subprocess.run([require_tool("pg_dump"), "-O", "-h", "127.0.0.1", "-p", str(target.port),
                          "-U", target.superuser, db], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    # the random \restrict key and the server's version string differ by nature
    return re.sub(r"(?m)^(\\(un)?restrict \S+|-- Dumped (from|by) .*)$", "", res.stdout)


def test_dump_of_materialized_views(shared_server, pg15):
    db = "matview_dump"
    for target in (shared_server, pg15):
        target.psql(f"DROP DATABASE IF EXISTS {db}")
        target.psql(f"CREATE DATABASE {db}")
    try:
        for target in (shared_server, pg15):
            _psql(target, db, DUMP_SCRIPT, "-q")
        assert _pg_dump(shared_server, db) == _pg_dump(pg15, db)
        res = subprocess.run(PGSVC + ["dump", "-O", "-h", "127.0.0.1", "-p", str(shared_server.port), "-U",
                                      shared_server.superuser, db], capture_output=True, text=True, timeout=60,
                             cwd=str(ROOT))
        assert res.returncode == 0, res.stderr
        pg15.psql("DROP DATABASE IF EXISTS matview_load")
        pg15.psql("CREATE DATABASE matview_load")
        try:
            _psql(pg15, "matview_load", res.stdout, "-q")
            query = "select * from dmv order by a; select * from dv order by a; " \
                    "select matviewname, ispopulated from pg_matviews order by 1;"
            assert _psql(pg15, "matview_load", query) == _psql(shared_server, db, query)
        finally:
            pg15.psql("DROP DATABASE IF EXISTS matview_load")
    finally:
        for target in (shared_server, pg15):
            target.psql(f"DROP DATABASE IF EXISTS {db}")
