"""Row-level security (issue 14): ENABLE / FORCE ROW LEVEL SECURITY, CREATE / ALTER / DROP
POLICY, and the policies applied to SELECT, INSERT, UPDATE, DELETE, COPY and views for
owners, members, superusers, BYPASSRLS roles and row_security = off — one psql script of
real logins (\\c as non-superusers) and SET ROLE, run side by side on pgsvc and PostgreSQL
15, must print the same rows, errors (SQLSTATE, message, hint), notices, pg_policy /
pg_policies / pg_class rows and psql's \\d "Policies:" footer and \\dp column.
"""

from __future__ import annotations

import re
import subprocess

import psycopg
import pytest

from conftest import require_tool


@pytest.fixture(scope="module")
def srv(postgres_superuser_server):
    return postgres_superuser_server


SCRIPT = r"""
\set VERBOSITY verbose
\set ON_ERROR_STOP 0
CREATE ROLE rls_alice LOGIN;
CREATE ROLE rls_bob LOGIN;
CREATE ROLE rls_grp NOLOGIN;
CREATE ROLE rls_carol LOGIN IN ROLE rls_grp;
CREATE ROLE rls_byp LOGIN BYPASSRLS;
CREATE DATABASE rls_db OWNER rls_alice;
\c rls_db
\c - rls_alice
CREATE TABLE docs (id int PRIMARY KEY, owner_name text, body text DEFAULT 'd', level int DEFAULT 1);
INSERT INTO docs VALUES (1, 'rls_bob', 'b1', 1), (2, 'rls_carol', 'c1', 2), (3, 'rls_bob', 'b2', 3),
    (4, 'nobody', 'n1', 1);
GRANT ALL ON docs TO PUBLIC;
CREATE VIEW docs_v AS SELECT id, owner_name FROM docs;
CREATE VIEW docs_iv WITH (security_invoker = true) AS SELECT id, owner_name FROM docs;
GRANT SELECT ON docs_v, docs_iv TO PUBLIC;
-- the DDL's checks
CREATE POLICY p ON docs FOR SELECT USING (true) WITH CHECK (true);
CREATE POLICY p ON docs FOR DELETE WITH CHECK (true);
CREATE POLICY p ON docs FOR INSERT USING (true);
CREATE POLICY p ON docs_v USING (true);
CREATE POLICY p ON nosuch USING (true);
CREATE POLICY p ON docs USING (nosuch > 1);
CREATE POLICY p ON docs USING (id);
CREATE POLICY p ON docs USING (count(*) > 1);
CREATE POLICY p ON docs TO rls_nosuch USING (true);
ALTER TABLE docs_v ENABLE ROW LEVEL SECURITY;
-- enabled without a policy: nothing for others, everything for the owner
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
\c - rls_bob
SELECT * FROM docs ORDER BY id;
INSERT INTO docs VALUES (9, 'rls_bob');
\c - rls_alice
SELECT count(*) FROM docs;
CREATE POLICY own ON docs USING (owner_name = current_user);
CREATE POLICY own ON docs USING (true);
CREATE POLICY grp_read ON docs FOR SELECT TO rls_grp USING (level <= 2);
CREATE POLICY lvl ON docs AS RESTRICTIVE USING (level < 3 OR owner_name = 'rls_bob');
CREATE POLICY ins ON docs FOR INSERT TO PUBLIC, rls_bob WITH CHECK (id < 100);
ALTER POLICY ins ON docs RENAME TO ins2;
ALTER POLICY ins2 ON docs RENAME TO own;
ALTER POLICY nosuch ON docs USING (true);
ALTER POLICY own ON docs TO rls_bob, rls_carol USING (owner_name = current_user);
DROP POLICY nosuch ON docs;
DROP POLICY IF EXISTS nosuch ON docs;
DROP POLICY IF EXISTS nosuch ON nosuch_table;
\c - rls_bob
SELECT * FROM docs ORDER BY id;
SELECT * FROM docs_v ORDER BY id;
SELECT * FROM docs_iv ORDER BY id;
INSERT INTO docs VALUES (10, 'rls_bob');
INSERT INTO docs VALUES (11, 'rls_carol');
INSERT INTO docs VALUES (12, 'rls_bob') RETURNING *;
INSERT INTO docs (id) VALUES (13);
INSERT INTO docs VALUES (200, 'rls_bob');
COPY docs TO STDOUT;
COPY docs (id, body) TO STDOUT;
UPDATE docs SET body = 'u' WHERE id IN (1, 2);
UPDATE docs SET owner_name = 'rls_carol' WHERE id = 3;
UPDATE docs SET level = level + 1 WHERE id = 10 RETURNING id, level;
UPDATE docs SET level = level + 1;
DELETE FROM docs WHERE id = 2;
DELETE FROM docs WHERE id = 12 RETURNING id;
COPY (SELECT id FROM docs ORDER BY id) TO STDOUT;
COPY docs FROM STDIN;
SET row_security = off;
SELECT * FROM docs;
SELECT 1;
RESET row_security;
PREPARE q AS SELECT id FROM docs ORDER BY id;
EXECUTE q;
\c - rls_carol
SELECT * FROM docs ORDER BY id;
SET ROLE rls_grp;
SELECT * FROM docs ORDER BY id;
RESET ROLE;
\c - rls_byp
SELECT count(*) FROM docs;
\c - postgres
SELECT count(*) FROM docs;
SET ROLE rls_bob;
SELECT id FROM docs ORDER BY id;
RESET ROLE;
\c - rls_alice
SELECT id FROM docs ORDER BY id;
ALTER TABLE docs FORCE ROW LEVEL SECURITY;
SELECT id FROM docs ORDER BY id;
SET row_security = off;
SELECT id FROM docs ORDER BY id;
RESET row_security;
SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname IN ('docs', 'docs_v') ORDER BY 1;
SELECT polname, polcmd, polpermissive, polroles = '{0}' AS public, pg_get_expr(polqual, polrelid),
    pg_get_expr(polwithcheck, polrelid) FROM pg_policy ORDER BY polname;
SELECT * FROM pg_policies ORDER BY policyname;
\d docs
\dp docs
ALTER TABLE docs NO FORCE ROW LEVEL SECURITY;
ALTER TABLE docs DISABLE ROW LEVEL SECURITY;
\c - rls_bob
SELECT count(*) FROM docs;
\c - rls_alice
-- dependencies: a dropped column's policies (CASCADE), a renamed column in the policy's
-- text, a role a policy is for (DROP ROLE refused, DROP OWNED takes it out)
ALTER TABLE docs DROP COLUMN level;
ALTER TABLE docs RENAME COLUMN owner_name TO who;
ALTER TABLE docs DROP COLUMN level CASCADE;
\d docs
\c - postgres
DROP ROLE rls_carol;
DROP OWNED BY rls_carol;
\d docs
\c - rls_alice
DROP POLICY own ON docs;
DROP TABLE docs CASCADE;
\c postgres postgres
DROP DATABASE rls_db;
DROP ROLE rls_alice;
DROP ROLE rls_bob;
DROP ROLE rls_carol;
DROP ROLE rls_grp;
DROP ROLE rls_byp;
"""


# partitioned tables, a policy calling a SQL function, a policy reading its own table
# (42P17), UPDATE ... FROM, CTEs, and the SELECT policies checked on UPDATE's new row and
# INSERT ... RETURNING's, SELECT ... FOR UPDATE / SHARE under the UPDATE policies, a temporary
# table, INSERT's and UPDATE's rows checked as BEFORE triggers left them, inheritance, and
# what a policy expression may not hold (window functions, set-returning functions, parameters),
# row_security_active(), SQL and PL/pgSQL functions (SECURITY DEFINER or not) called by
# different roles
SCRIPT2 = r"""
\set VERBOSITY verbose
\set ON_ERROR_STOP 0
create database rls_db2;
\c rls_db2
create role rls_z login;
create table e(a int, b int);
alter table e enable row level security;
\d e
create policy r on e using (a in (select a from e where b = 1));
grant all on e to rls_z;
insert into e values (1,1),(2,2);
set role rls_z;
select * from e;
reset role;
drop policy r on e;
create function rls_ok(int) returns bool language sql as 'select $1 < 2';
create policy f on e using (rls_ok(a));
create table par(a int, b int) partition by range (a);
create table par1 partition of par for values from (0) to (10);
create table par2 partition of par for values from (10) to (20);
insert into par values (1,1),(11,2),(5,3);
alter table par enable row level security;
create policy pp on par using (b <> 2);
grant all on par, par1 to rls_z;
set role rls_z;
select * from e;
update e set b = b + 10 from e e2 where e.a = e2.a returning e.*;
select * from par order by a;
select * from par1 order by a;
update par set b = b where true;
delete from par where a = 11;
insert into par values (12, 2);
select count(*) from e, par;
with x as (select * from e) select * from x;
select * from e for update;
reset role;
drop table e, par; drop function rls_ok(int);
drop role rls_z;
create role rls_w login;
create table w(a int, who text);
insert into w values (1,'rls_w'),(2,'x');
alter table w enable row level security;
create policy s on w for select using (who = current_user);
create policy u on w for update using (true) with check (true);
create policy i on w for insert with check (true);
create policy d on w for delete using (true);
grant all on w to rls_w;
set role rls_w;
update w set who = 'y' where a = 1;
update w set who = 'y';
select * from w;
update w set who = 'rls_w';
select * from w;
insert into w values (3, 'z');
insert into w values (4, 'z') returning *;
delete from w where a = 2;
delete from w;
select * from w for update;
reset role;
select * from w order by a;
drop table w; drop role rls_w;
create role rls_v login;
create table lk(a int, who text);
insert into lk values (1,'rls_v'),(2,'rls_v'),(3,'x');
alter table lk enable row level security;
create policy s on lk for select using (who = 'rls_v');
create policy u on lk for update using (a = 1);
grant all on lk to rls_v;
set role rls_v;
select * from lk;
select * from lk for update;
select * from lk where a > 0 for share;
select * from lk l for update of l;
select * from lk l, (select 1) s for update of s;
reset role;
drop table lk; drop role rls_v;
create role rls_q login;
grant create on schema public to rls_q;
set role rls_q;
create temp table tt(a int);
alter table tt enable row level security;
alter table tt force row level security;
create policy p on tt using (a > 1);
insert into tt values (1);
insert into tt values (2);
select * from tt;
select relrowsecurity from pg_class where relname = 'tt';
create table tg(a int, b int);
create function tgf() returns trigger language plpgsql as $$ begin new.b := new.a * 10; return new; end $$;
create trigger tg_b before insert on tg for each row execute function tgf();
alter table tg enable row level security;
alter table tg force row level security;
create policy p on tg using (b > 5);
insert into tg values (1, 100);
insert into tg values (1, 1);
select * from tg;
drop table tg; drop function tgf();
reset role;
revoke create on schema public from rls_q;
discard temp;
drop role rls_q;
create role rls_u login;
create table up(a int, c int);
insert into up values (1, 2), (2, 4);
alter table up enable row level security;
create policy s on up for select using (true);
create policy u on up for update using (true) with check (c % 2 = 0);
grant all on up to rls_u;
create function upf() returns trigger language plpgsql as $$ begin new.c := new.c + 1; return new; end $$;
create trigger up_b before update on up for each row execute function upf();
set role rls_u;
update up set c = 11 where a = 1;
update up set c = 10 where a = 1;
update up set c = c + 1 where a = 2 returning *;
select * from up order by a;
reset role;
drop table up; drop function upf(); drop role rls_u;
create role rls_h login;
create table hp(a int, b int);
create table hc(x int) inherits (hp);
insert into hp values (1, 1), (2, 2);
insert into hc values (3, 1, 0), (4, 2, 0);
alter table hp enable row level security;
create policy p on hp using (b = 1);
grant all on hp, hc to rls_h;
set role rls_h;
select * from hp order by a;
select * from hc order by a;
update hp set a = a * 10 returning a;
delete from hp where a = 30 returning a;
reset role;
select * from hp order by a;
drop table hp cascade; drop role rls_h;
create role rls_f login;
create table f(a int, "rowid" int, b text);
grant all on f to rls_f;
create policy w on f using (row_number() over () > 1);
create policy s on f using (generate_series(1,2) > 1);
create policy pr on f using (a = $1);
create policy cte on f using (a in (with x as (select 1 as y) select y from x));
create policy ex on f using (exists (select 1 from f f2 where f2.a = f.a));
create policy wr on f using (f.b is not null);
create policy nul on f using (null);
alter table f enable row level security;
insert into f values (1, 1, 'x'), (2, 2, null);
begin;
create policy tx on f to rls_f using (true);
rollback;
set role rls_f;
select * from f;
select ctid is not null from f;
select count(*) from f;
insert into f values (3, 3, 'z');
reset role;
alter table f add column c int;
set role rls_f;
select * from f;
reset role;
drop policy ex on f;
set role rls_f;
select * from f;
insert into f values (3, 3, 'z');
insert into f default values;
update f set b = 'q';
reset role;
drop table f; drop role rls_f;
create role rls_a login;
create table ra(a int);
grant select on ra to rls_a;
select row_security_active('ra');
alter table ra enable row level security;
select row_security_active('ra'), row_security_active('ra'::regclass::oid);
set role rls_a;
select row_security_active('ra');
set row_security = off;
select row_security_active('ra');
reset role;
select row_security_active('nosuch');
reset row_security;
drop table ra; drop role rls_a;
create role rls_o login;
create role rls_c login;
grant create on schema public to rls_o;
set role rls_o;
create table sd(a int, who text);
insert into sd values (1, 'rls_c'), (2, 'rls_o'), (3, 'x');
alter table sd enable row level security;
alter table sd force row level security;
create policy p on sd using (who = current_user);
grant select on sd to rls_c;
create function sd_def() returns bigint language sql security definer as 'select count(*) from sd';
create function sd_inv() returns bigint language sql as 'select count(*) from sd';
create function sd_pl() returns bigint language plpgsql security definer as $$ begin return (select count(*) from sd); end $$;
select sd_def(), sd_inv(), sd_pl();
reset role;
set role rls_c;
select sd_def(), sd_inv(), sd_pl();
select sd_inv(), sd_def(), sd_inv();
reset role;
select sd_def(), sd_inv(), sd_pl();
drop table sd cascade; drop function sd_def(); drop function sd_inv(); drop function sd_pl();
revoke create on schema public from rls_o;
drop role rls_o; drop role rls_c;
\c postgres
drop database rls_db2;
"""


def _run_script(cmd: list[str], script: str = SCRIPT) -> tuple[str, str]:
    r = subprocess.run(cmd + ["-f", "-"], input=script, capture_output=True, text=True, timeout=120)
    drop = re.compile(r"^(LOCATION:|You are now connected)")
    clean = lambda text: "\n".join(line for line in text.splitlines() if not drop.match(line))  # noqa: E731
    return clean(r.stdout), clean(r.stderr)


@pytest.mark.parametrize("script", [SCRIPT, SCRIPT2], ids=["roles", "statements"])
def test_row_security_scenario_matches_postgresql_15(srv, pg15, script):
    psql = require_tool("psql")
    ours = _run_script([psql, "-X", "-h", str(srv.sockdir), "-p", str(srv.port), "-U", "postgres",
                        "-d", "postgres"], script)
    theirs = _run_script([psql, "-X", "-h", "127.0.0.1", "-p", str(pg15.port), "-U", "postgres",
                          "-d", "postgres"], script)
    assert ours[1] == theirs[1]  # errors, warnings, notices: SQLSTATE, message, detail, hint
    assert ours[0] == theirs[0]  # rows, catalog rows, \d and \dp


def _connect(server, user: str, host: str) -> psycopg.Connection:
    return psycopg.connect(host=host, port=server.port, user=user, dbname="postgres", autocommit=True,
                           connect_timeout=10)


@pytest.mark.parametrize("side", ["pgsvc", "pg15"])
def test_policy_change_reaches_a_prepared_statement_and_another_session(srv, pg15, side):
    """A statement prepared before CREATE POLICY / ALTER TABLE sees the change at its next
    execution, in this session and in another one (the translation cache follows the
    catalog), and a SET ROLE switches the policies applied."""
    server, host = (srv, str(srv.sockdir)) if side == "pgsvc" else (pg15, "127.0.0.1")
    with _connect(server, "postgres", host) as su:
        su.execute("CREATE ROLE rls_p LOGIN")
        su.execute("CREATE TABLE rls_pt (id int, who text)")
        su.execute("INSERT INTO rls_pt VALUES (1, 'rls_p'), (2, 'x')")
        su.execute("GRANT SELECT ON rls_pt TO rls_p")
    try:
        with _connect(server, "rls_p", host) as c, _connect(server, "postgres", host) as su:
            c.execute("PREPARE s AS SELECT id FROM rls_pt ORDER BY id")
            assert c.execute("EXECUTE s").fetchall() == [(1,), (2,)]
            su.execute("ALTER TABLE rls_pt ENABLE ROW LEVEL SECURITY")
            assert c.execute("EXECUTE s").fetchall() == []
            su.execute("CREATE POLICY mine ON rls_pt USING (who = current_user)")
            assert c.execute("EXECUTE s").fetchall() == [(1,)]
            su.execute("SET ROLE rls_p")
            assert su.execute("SELECT id FROM rls_pt ORDER BY id").fetchall() == [(1,)]
            su.execute("RESET ROLE")
            assert su.execute("SELECT id FROM rls_pt ORDER BY id").fetchall() == [(1,), (2,)]
            c.execute("SET row_security = off")
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as info:
                c.execute("EXECUTE s")
            assert info.value.diag.message_primary == \
                'query would be affected by row-level security policy for table "rls_pt"'
    finally:
        with _connect(server, "postgres", host) as su:
            su.execute("DROP TABLE rls_pt")
            su.execute("DROP ROLE rls_p")


def test_on_conflict_do_update_under_row_security_is_refused(srv):
    """Not applied yet: refused by name (0A000) rather than letting rows past the policies."""
    host = str(srv.sockdir)
    with _connect(srv, "postgres", host) as su:
        su.execute("CREATE ROLE rls_oc LOGIN")
        su.execute("CREATE TABLE rls_oct (id int PRIMARY KEY, who text)")
        su.execute("ALTER TABLE rls_oct ENABLE ROW LEVEL SECURITY")
        su.execute("CREATE POLICY p ON rls_oct USING (who = current_user)")
        su.execute("GRANT ALL ON rls_oct TO rls_oc")
    try:
        with _connect(srv, "rls_oc", host) as c:
            c.execute("INSERT INTO rls_oct VALUES (1, 'rls_oc') ON CONFLICT DO NOTHING")
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                c.execute("INSERT INTO rls_oct VALUES (1, 'rls_oc') ON CONFLICT (id) DO UPDATE SET who = 'x'")
            assert c.execute("SELECT * FROM rls_oct").fetchall() == [(1, "rls_oc")]
    finally:
        with _connect(srv, "postgres", host) as su:
            su.execute("DROP TABLE rls_oct")
            su.execute("DROP ROLE rls_oc")
