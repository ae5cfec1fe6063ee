"""Object privileges (issue 4): owners, GRANT/REVOKE on tables, views, sequences, schemas
and databases, enforced with 42501 as in PostgreSQL 15 — a script of real logins (psql
\\c as non-superusers) and SET ROLE, run side by side on pgsvc and PostgreSQL 15, must
print the same results, errors, warnings, SQLSTATEs, catalog ACL texts and psql's \\dp,
\\z, \\dn+ and \\l access-privilege columns; CONNECT is checked at login (FATAL with
PostgreSQL's detail); a prepared statement is re-checked after GRANT/REVOKE.

One pgsvc cluster for the module (trust), one PostgreSQL 15 per session.
"""

from __future__ import annotations

import re
import sqlite3
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
CREATE ROLE pv_alice LOGIN;
CREATE ROLE pv_bob LOGIN;
CREATE ROLE pv_carol LOGIN;
CREATE ROLE pv_grp NOLOGIN;
CREATE ROLE pv_noinh LOGIN NOINHERIT;
GRANT pv_grp TO pv_carol, pv_noinh;
CREATE DATABASE pv_db OWNER pv_alice;
\c pv_db
CREATE SCHEMA sa AUTHORIZATION pv_alice;
GRANT CREATE ON SCHEMA public TO pv_alice;
\c - pv_alice
CREATE TABLE t (id serial PRIMARY KEY, v text);
INSERT INTO t (v) VALUES ('a'), ('b');
CREATE TABLE sa.s1 (x int);
CREATE VIEW v AS SELECT id, v FROM t;
CREATE SEQUENCE q;
SELECT current_user, session_user;
\c - pv_bob
SELECT * FROM t;
INSERT INTO t (v) VALUES ('x');
UPDATE t SET v = 'y';
DELETE FROM t;
TRUNCATE t;
COPY t TO STDOUT;
SELECT * FROM v;
SELECT nextval('q');
SELECT * FROM sa.s1;
CREATE TABLE sa.mine (x int);
CREATE SCHEMA bobs;
DROP TABLE t;
ALTER TABLE t ADD COLUMN z int;
CREATE INDEX ON t (v);
COMMENT ON TABLE t IS 'x';
GRANT SELECT ON t TO pv_bob;
\c - pv_alice
GRANT SELECT ON t TO pv_bob;
GRANT SELECT ON v TO pv_carol;
GRANT USAGE ON SEQUENCE q TO pv_bob;
GRANT USAGE ON SCHEMA sa TO pv_bob;
\c - pv_bob
SELECT * FROM t ORDER BY id;
INSERT INTO t (v) VALUES ('x');
UPDATE t SET v = 'y';
SELECT nextval('q');
SELECT setval('q', 5);
SELECT * FROM sa.s1;
GRANT SELECT ON t TO pv_carol;
\c - pv_carol
SELECT * FROM v ORDER BY id;
SELECT * FROM t;
\c - pv_alice
GRANT INSERT ON t TO pv_bob WITH GRANT OPTION;
\c - pv_bob
INSERT INTO t (v) VALUES ('x');
GRANT INSERT, DELETE ON t TO pv_carol;
GRANT DELETE ON t TO pv_carol;
\c - pv_alice
GRANT USAGE ON SEQUENCE t_id_seq TO pv_bob;
REVOKE INSERT ON t FROM pv_bob;
REVOKE INSERT ON t FROM pv_bob CASCADE;
REVOKE SELECT ON t FROM pv_bob;
GRANT SELECT ON t TO PUBLIC;
GRANT USAGE ON t TO pv_bob;
GRANT INSERT ON SEQUENCE q TO pv_bob;
GRANT ALL ON t TO pv_grp;
GRANT SELECT ON t TO pv_nosuch;
SELECT relname, relacl FROM pg_class WHERE relname IN ('t', 'v', 'q', 't_id_seq', 't_pkey') ORDER BY 1;
\c - pv_bob
SELECT count(*) FROM t;
\c - pv_carol
UPDATE t SET v = 'z' WHERE id = 1;
\c - pv_noinh
UPDATE t SET v = 'z' WHERE id = 1;
SET ROLE pv_grp;
UPDATE t SET v = 'w' WHERE id = 1;
SELECT current_user, session_user;
RESET ROLE;
SET ROLE pv_alice;
\c - postgres
SELECT pg_get_userbyid(relowner), relname FROM pg_class WHERE relname IN ('t', 'v', 'q', 't_id_seq', 't_pkey') ORDER BY 2;
SELECT nspname, pg_get_userbyid(nspowner), nspacl FROM pg_namespace WHERE nspname IN ('public', 'sa') ORDER BY 1;
\dp
\z sa.*
\dn+
\l pv_db
SELECT has_table_privilege('pv_bob', 't', 'select'), has_table_privilege('pv_bob', 't', 'insert'),
       has_table_privilege('pv_carol', 't', 'UPDATE, INSERT'),
       has_table_privilege('pv_alice', 't', 'INSERT WITH GRANT OPTION'),
       has_sequence_privilege('pv_bob', 'q', 'usage'), has_schema_privilege('pv_bob', 'sa', 'usage'),
       has_schema_privilege('pv_bob', 'sa', 'create'), has_database_privilege('pv_bob', 'pv_db', 'connect'),
       has_column_privilege('pv_bob', 't', 'v', 'select'), pg_has_role('pv_carol', 'pv_grp', 'member'),
       pg_has_role('pv_noinh', 'pv_grp', 'usage'), pg_has_role('pv_noinh', 'pv_grp', 'member'),
       has_table_privilege('t', 'select');
SELECT has_table_privilege('pv_bob', 'nosuch', 'select');
SELECT has_table_privilege('pv_nosuch', 't', 'select');
SELECT has_table_privilege('pv_bob', 't', 'frobnicate');
\c - pv_bob
SET ROLE pv_alice;
SET SESSION AUTHORIZATION pv_alice;
SHOW role;
SET ROLE pv_bob;
SHOW role;
DROP SCHEMA sa;
ALTER SCHEMA sa OWNER TO pv_bob;
GRANT CONNECT ON DATABASE pv_db TO pv_carol;
GRANT SELECT ON t TO pv_carol GRANTED BY pv_alice;
\c - postgres
BEGIN;
SET ROLE pv_bob;
SELECT current_user;
ROLLBACK;
SELECT current_user;
BEGIN;
SET LOCAL ROLE pv_bob;
SELECT current_user;
COMMIT;
SELECT current_user;
SET SESSION AUTHORIZATION pv_bob;
SELECT current_user, session_user;
SHOW session_authorization;
SELECT * FROM sa.s1;
RESET SESSION AUTHORIZATION;
SELECT current_user, session_user;
GRANT SELECT ON sa.s1 TO pv_carol;
SET search_path = sa, public;
SET ROLE pv_carol;
SELECT * FROM s1;
SELECT * FROM sa.s1;
SELECT currval('q');
LOCK TABLE t IN ACCESS SHARE MODE;
BEGIN;
LOCK TABLE t IN ACCESS SHARE MODE;
LOCK TABLE t;
ROLLBACK;
RESET ROLE;
RESET search_path;
GRANT SELECT ON ALL TABLES IN SCHEMA sa TO pv_carol WITH GRANT OPTION;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO pv_grp;
REVOKE GRANT OPTION FOR SELECT ON sa.s1 FROM pv_carol;
SELECT relname, relacl FROM pg_class WHERE relname IN ('s1', 'q', 't_id_seq') ORDER BY 1;
GRANT SELECT ON TABLE q TO pv_carol;
GRANT INSERT ON TABLE q TO pv_carol;
GRANT CREATE ON SCHEMA sa TO PUBLIC WITH GRANT OPTION;
GRANT SELECT ON SEQUENCE t TO pv_carol;
GRANT SELECT ON nosuch TO pv_carol;
GRANT USAGE ON SCHEMA nosuch TO pv_carol;
GRANT CONNECT ON DATABASE nosuch TO pv_carol;
ALTER SCHEMA sa OWNER TO pv_bob;
SELECT nspname, pg_get_userbyid(nspowner), nspacl FROM pg_namespace WHERE nspname = 'sa';
ALTER SCHEMA sa OWNER TO pv_alice;
ALTER TABLE t OWNER TO pv_bob;
\c - pv_alice
ALTER TABLE t OWNER TO pv_bob;
ALTER TABLE v OWNER TO pv_bob;
\c - postgres
SELECT pg_get_userbyid(relowner), relname FROM pg_class WHERE relname IN ('t', 't_id_seq') ORDER BY 2;
SELECT relname, relacl FROM pg_class WHERE relname = 't';
DROP ROLE pv_alice;
REVOKE CONNECT ON DATABASE pv_db FROM PUBLIC;
GRANT CONNECT ON DATABASE pv_db TO pv_carol;
SELECT datname, datacl FROM pg_database WHERE datname = 'pv_db';
REVOKE TEMPORARY ON DATABASE pv_db FROM PUBLIC;
\c - pv_carol
CREATE TEMP TABLE tt (a int);
\c - postgres
ALTER DATABASE pv_db OWNER TO pv_bob;
SELECT datname, pg_get_userbyid(datdba), datacl FROM pg_database WHERE datname = 'pv_db';
REASSIGN OWNED BY pv_alice TO postgres;
DROP OWNED BY pv_alice, pv_bob, pv_carol, pv_grp;
SELECT relname FROM pg_class WHERE relname IN ('t', 'v', 'q') ORDER BY 1;
\c postgres
CREATE ROLE px_a LOGIN;
CREATE ROLE px_b LOGIN;
GRANT CREATE ON SCHEMA public TO px_b;
CREATE TABLE px_secret (id int PRIMARY KEY, s text);
INSERT INTO px_secret VALUES (1, 'x');
SET ROLE px_b;
CREATE TABLE px_copy AS SELECT * FROM px_secret;
SELECT * INTO px_copy2 FROM px_secret;
CREATE TABLE px_child (a int, CONSTRAINT f FOREIGN KEY (a) REFERENCES px_secret (id));
CREATE TABLE px_child2 () INHERITS (px_secret);
RESET ROLE;
GRANT SELECT, REFERENCES ON px_secret TO px_b;
SET ROLE px_b;
CREATE TABLE px_copy AS SELECT * FROM px_secret;
CREATE TABLE px_child (a int, CONSTRAINT f FOREIGN KEY (a) REFERENCES px_secret (id));
DROP TABLE px_copy, px_child;
RESET ROLE;
REVOKE ALL ON px_secret FROM px_b;
REVOKE CREATE ON SCHEMA public FROM px_b;
DROP TABLE px_secret;
DROP ROLE px_a, px_b;
CREATE ROLE pl_a LOGIN;
CREATE TABLE pl_t (id int);
CREATE TABLE pl_u (id int);
GRANT SELECT ON pl_t, pl_u TO pl_a;
GRANT UPDATE ON pl_u TO pl_a;
SET ROLE pl_a;
SELECT * FROM pl_t FOR UPDATE;
SELECT * FROM pl_u FOR SHARE;
SELECT * FROM pl_t, pl_u FOR UPDATE OF pl_u;
SELECT * FROM pl_t, pl_u FOR UPDATE;
RESET ROLE;
DROP TABLE pl_t, pl_u;
DROP ROLE pl_a;
CREATE ROLE pf_a LOGIN;
CREATE TABLE pf_t (a int);
SELECT has_function_privilege('lower(text)', 'execute'), has_function_privilege('pf_a', 'lower(text)', 'EXECUTE');
SELECT has_table_privilege('pf_a', 'pf_t'::regclass, 'select'), has_table_privilege((SELECT oid FROM pg_roles WHERE rolname = 'pf_a'), 'pf_t', 'select');
SELECT has_table_privilege('public', 'pf_t', 'select'), has_schema_privilege('public', 'public', 'usage'), has_schema_privilege('pf_a', 'public', 'create');
SELECT has_schema_privilege('pf_a', 'pg_catalog', 'usage'), has_schema_privilege('pf_a', 'pg_catalog', 'create');
SELECT has_database_privilege((SELECT oid FROM pg_database WHERE datname = 'postgres'), 'temp');
SELECT has_any_column_privilege('pf_a', 'pf_t', 'select'), has_column_privilege('pf_t', 1::int2, 'update');
SELECT pg_has_role('pf_a', 'pf_a', 'member'), pg_has_role('pf_a', 'postgres', 'USAGE WITH ADMIN OPTION');
SELECT has_table_privilege('pf_a', 99999::oid, 'select') IS NULL;
SELECT has_column_privilege('pf_t', 'nosuch', 'select');
SELECT has_schema_privilege('nosuch', 'usage');
SELECT has_table_privilege('pf_a', 'pf_t', 'usage');
DROP TABLE pf_t;
DROP ROLE pf_a;
CREATE ROLE pd_a LOGIN;
CREATE DATABASE pd_db;
\c pd_db
CREATE SCHEMA pd_s AUTHORIZATION pd_a;
CREATE TABLE pd_t (id serial primary key);
ALTER TABLE pd_t OWNER TO pd_a;
CREATE TABLE pd_u (id int);
GRANT SELECT ON pd_u TO pd_a;
\c postgres
DROP ROLE pd_a;
\c pd_db
DROP OWNED BY pd_a;
\c postgres
DROP ROLE pd_a;
DROP DATABASE pd_db;
CREATE ROLE pr_x LOGIN;
SET ROLE pr_x;
RESET ROLE;
SET SESSION AUTHORIZATION pr_x;
RESET SESSION AUTHORIZATION;
BEGIN;
SET ROLE pr_x;
SET ROLE postgres;
ROLLBACK;
SET ROLE pr_x;
ALTER ROLE postgres RENAME TO zz;
RESET ROLE;
CREATE ROLE pr_y SUPERUSER;
SET ROLE pr_y;
ALTER ROLE pr_y RENAME TO zz;
DROP ROLE pr_y;
DROP ROLE postgres;
RESET ROLE;
DROP ROLE pr_x, pr_y;
CREATE ROLE po_a LOGIN;
CREATE DATABASE po_db;
GRANT CREATE ON DATABASE po_db TO po_a;
SELECT datacl FROM pg_database WHERE datname = 'po_db';
DROP OWNED BY po_a;
SELECT datacl FROM pg_database WHERE datname = 'po_db';
DROP ROLE po_a;
DROP DATABASE po_db;
DROP DATABASE pv_db;
DROP ROLE pv_alice, pv_bob, pv_carol, pv_grp, pv_noinh;
"""


def _run_script(cmd: list[str]) -> tuple[str, str]:
    r = subprocess.run(cmd + ["-f", "-"], input=SCRIPT, capture_output=True, text=True, timeout=90)
    drop = re.compile(r"^(LOCATION:|You are now connected)")
    clean = lambda text: "\n".join(line for line in text.splitlines() if not drop.match(line))
    return clean(r.stdout), clean(r.stderr)


def test_privilege_scenario_matches_postgresql_15(srv, pg15):
    psql = require_tool("psql")
    ours = _run_script([psql, "-X", "-h", str(srv.sockdir), "-p", str(srv.port), "-U", "postgres",
                        "-d", "postgres"])
    theirs = _run_script([psql, "-X", "-h", "127.0.0.1", "-p", str(pg15.port), "-U", "postgres",
                          "-d", "postgres"])
    assert ours[1] == theirs[1]  # errors, warnings: message, SQLSTATE, detail, hint, position
    assert ours[0] == theirs[0]  # rows, ACL texts, command tags


def _connect(srv, user, dbname="postgres") -> psycopg.Connection:
    return psycopg.connect(srv.dsn(user=user, dbname=dbname, host=str(srv.sockdir)), autocommit=True,
                           connect_timeout=10)


def test_non_superuser_reads_only_after_grant_and_prepared_statements_are_rechecked(srv):
    """Issue 4's criterion: a role cannot read another role's table (42501) until GRANTed;
    a statement prepared while allowed fails after REVOKE and works again after GRANT."""
    with _connect(srv, "postgres") as su:
        su.execute("CREATE ROLE pr_owner LOGIN; CREATE ROLE pr_reader LOGIN")
        su.execute("GRANT CREATE ON SCHEMA public TO pr_owner")
    try:
        with _connect(srv, "pr_owner") as owner, _connect(srv, "pr_reader") as reader:
            owner.execute("CREATE TABLE pr_t (id int)")
            owner.execute("INSERT INTO pr_t VALUES (1), (2)")
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as info:
                reader.execute("SELECT count(*) FROM pr_t")
            assert info.value.diag.message_primary == "permission denied for table pr_t"
            owner.execute("GRANT SELECT ON pr_t TO pr_reader")
            assert reader.execute("SELECT count(*) FROM pr_t", prepare=True).fetchone() == (2,)
            assert reader.execute("SELECT count(*) FROM pr_t", prepare=True).fetchone() == (2,)
            owner.execute("REVOKE SELECT ON pr_t FROM pr_reader")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute("SELECT count(*) FROM pr_t", prepare=True)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute("INSERT INTO pr_t VALUES (3)")
            owner.execute("GRANT SELECT, INSERT ON pr_t TO PUBLIC")
            reader.execute("INSERT INTO pr_t VALUES (3)")
            assert reader.execute("SELECT count(*) FROM pr_t", prepare=True).fetchone() == (3,)
            owner.execute("DROP TABLE pr_t")
    finally:
        with _connect(srv, "postgres") as su:
            su.execute("REVOKE CREATE ON SCHEMA public FROM pr_owner")
            su.execute("DROP ROLE pr_owner, pr_reader")


def test_connect_privilege_is_checked_at_login(srv):
    with _connect(srv, "postgres") as su:
        su.execute("CREATE ROLE pc_in LOGIN; CREATE ROLE pc_out LOGIN; CREATE ROLE pc_su LOGIN SUPERUSER")
        su.execute("CREATE DATABASE pc_db")
        su.execute("REVOKE CONNECT ON DATABASE pc_db FROM PUBLIC")
        su.execute("GRANT CONNECT ON DATABASE pc_db TO pc_in")
    try:
        with pytest.raises(psycopg.OperationalError) as info:
            _connect(srv, "pc_out", "pc_db")
        text = str(info.value)
        assert 'FATAL:  permission denied for database "pc_db"' in text
        assert "DETAIL:  User does not have CONNECT privilege." in text
        with _connect(srv, "pc_in", "pc_db") as c:
            assert c.execute("SELECT current_user").fetchone() == ("pc_in",)
        with _connect(srv, "pc_su", "pc_db") as c:  # superusers bypass
            assert c.execute("SELECT 1").fetchone() == (1,)
        with _connect(srv, "pc_out", "postgres") as c:  # other databases keep PUBLIC's CONNECT
            assert c.execute("SELECT has_database_privilege('pc_db', 'connect')").fetchone() == (False,)
    finally:
        with _connect(srv, "postgres") as su:
            su.execute("DROP DATABASE pc_db")
            su.execute("DROP ROLE pc_in, pc_out, pc_su")


def test_copy_and_unsupported_forms(srv):
    """COPY FROM needs INSERT and COPY TO SELECT (42501 as for the statements); column
    privileges and ALTER DEFAULT PRIVILEGES are refused by name (0A000), not ignored."""
    with _connect(srv, "postgres") as su:
        su.execute("CREATE ROLE pk_user LOGIN")
        su.execute("CREATE TABLE pk_t (a int, b text)")
    try:
        with _connect(srv, "pk_user") as c:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                with c.cursor().copy("COPY pk_t FROM STDIN") as cp:
                    cp.write_row((1, "x"))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                with c.cursor().copy("COPY pk_t TO STDOUT") as cp:
                    list(cp.rows())
        with _connect(srv, "postgres") as su:
            su.execute("GRANT INSERT, SELECT ON pk_t TO pk_user")
            with pytest.raises(psycopg.errors.FeatureNotSupported, match="column privileges"):
                su.execute("GRANT SELECT (a) ON pk_t TO pk_user")
            with pytest.raises(psycopg.errors.FeatureNotSupported, match="ALTER DEFAULT PRIVILEGES"):
                su.execute("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO pk_user")
        with _connect(srv, "pk_user") as c:
            with c.cursor().copy("COPY pk_t FROM STDIN") as cp:
                cp.write_row((1, "x"))
            with c.cursor().copy("COPY pk_t TO STDOUT") as cp:
                assert [tuple(r) for r in cp.rows()] == [("1", "x")]
    finally:
        with _connect(srv, "postgres") as su:
            su.execute("DROP TABLE pk_t")
            su.execute("DROP ROLE pk_user")


def test_data_directory_from_before_privileges_still_opens(server_factory):
    """A cluster made before ownership existed (no pgsvc$acl table, no pg_database.datacl):
    its objects belong to the bootstrap superuser with default privileges, and GRANT works
    (the table and the column are added on first use)."""
    s = server_factory("-U", "postgres", "--auth-local", "trust", "--auth-host", "trust")
    with _connect(s, "postgres") as su:
        su.execute("CREATE TABLE old_t (a int)")
        su.execute("INSERT INTO old_t VALUES (1)")
        su.execute("CREATE ROLE old_user LOGIN")
    s.stop()
    g = sqlite3.connect(s.datadir / "global" / "catalog.db")
    oid = g.execute("SELECT oid FROM pg_database WHERE datname = 'postgres'").fetchone()[0]
    g.execute("ALTER TABLE pg_database DROP COLUMN datacl")
    g.commit()
    g.close()
    db_file = s.datadir / "base" / f"{oid}.db"
    d = sqlite3.connect(db_file)
    d.execute('DROP TABLE "pgsvc$acl"')
    d.commit()
    d.close()
    if s.account:  # this test ran as root: give the files back to the server's account
        subprocess.run(["chown", "-R", s.account, str(s.datadir)], check=True)
    s.start()
    with _connect(s, "postgres") as su:
        assert su.execute("SELECT pg_get_userbyid(relowner), relacl FROM pg_class WHERE relname = 'old_t'"
                          ).fetchone() == ("postgres", None)
        su.execute("GRANT SELECT ON old_t TO old_user")
        su.execute("REVOKE CONNECT ON DATABASE template1 FROM old_user")
        assert su.execute("SELECT relacl FROM pg_class WHERE relname = 'old_t'").fetchone() == (
            ["postgres=arwdDxt/postgres", "old_user=r/postgres"],)
    with _connect(s, "old_user") as c:
        assert c.execute("SELECT a FROM old_t").fetchall() == [(1,)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            c.execute("DELETE FROM old_t")


def test_set_role_reports_is_superuser_and_session_authorization(srv):
    """PostgreSQL sends ParameterStatus for is_superuser on SET ROLE and for
    session_authorization on SET SESSION AUTHORIZATION; drivers read them."""
    with _connect(srv, "postgres") as su:
        su.execute("CREATE ROLE ps_user LOGIN")
    try:
        with _connect(srv, "postgres") as c:
            status = c.info.parameter_status
            assert status("is_superuser") == "on"
            c.execute("SET ROLE ps_user")
            assert (status("is_superuser"), status("session_authorization")) == ("off", "postgres")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("SET log_min_duration_statement = 0")  # superuser-only, as the role is now
            c.execute("RESET ROLE")
            assert status("is_superuser") == "on"
            c.execute("SET SESSION AUTHORIZATION ps_user")
            assert (status("is_superuser"), status("session_authorization")) == ("off", "ps_user")
            assert c.execute("SELECT current_user, session_user").fetchone() == ("ps_user", "ps_user")
            c.execute("RESET SESSION AUTHORIZATION")
            assert (status("is_superuser"), status("session_authorization")) == ("on", "postgres")
    finally:
        with _connect(srv, "postgres") as su:
            su.execute("DROP ROLE ps_user")


def test_membership_changes_by_another_session_apply_at_the_next_statement(srv):
    """Privileges held through a group follow GRANT/REVOKE of the membership made by another
    session at once (the shared catalog's change invalidates cached decisions), prepared
    statements included; NOINHERIT members need SET ROLE."""
    with _connect(srv, "postgres") as su:
        su.execute("CREATE ROLE pm_grp NOLOGIN; CREATE ROLE pm_user LOGIN")
        su.execute("CREATE TABLE pm_t (a int)")
        su.execute("GRANT SELECT ON pm_t TO pm_grp")
    try:
        with _connect(srv, "pm_user") as c, _connect(srv, "postgres") as su:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("SELECT count(*) FROM pm_t", prepare=True)
            su.execute("GRANT pm_grp TO pm_user")
            assert c.execute("SELECT count(*) FROM pm_t", prepare=True).fetchone() == (0,)
            su.execute("ALTER ROLE pm_user NOINHERIT")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("SELECT count(*) FROM pm_t", prepare=True)
            c.execute("SET ROLE pm_grp")
            assert c.execute("SELECT count(*), current_user FROM pm_t").fetchone() == (0, "pm_grp")
            c.execute("RESET ROLE")
            su.execute("ALTER ROLE pm_user INHERIT")
            assert c.execute("SELECT count(*) FROM pm_t", prepare=True).fetchone() == (0,)
            su.execute("REVOKE pm_grp FROM pm_user")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute("SELECT count(*) FROM pm_t", prepare=True)
    finally:
        with _connect(srv, "postgres") as su:
            su.execute("DROP TABLE pm_t")
            su.execute("DROP ROLE pm_grp, pm_user")


SAVEPOINT_SCRIPT = r"""
\set VERBOSITY verbose
\set ON_ERROR_STOP 0
CREATE ROLE rb_alice LOGIN CREATEROLE;
CREATE ROLE rb_grp NOLOGIN;
CREATE TABLE rb_t (a int);
INSERT INTO rb_t VALUES (1);
ALTER TABLE rb_t OWNER TO rb_grp;
\c - rb_alice
BEGIN;
SAVEPOINT s;
GRANT rb_grp TO rb_alice;
SELECT a FROM rb_t;
ROLLBACK TO s;
SELECT a FROM rb_t;
ROLLBACK;
BEGIN;
SAVEPOINT s1;
GRANT rb_grp TO rb_alice;
SAVEPOINT s2;
SELECT a FROM rb_t;
RELEASE s2;
SELECT a FROM rb_t;
ROLLBACK TO s1;
SELECT count(*) FROM rb_t;
ROLLBACK;
SELECT a FROM rb_t;
\c - postgres
GRANT rb_grp TO rb_alice;
\c - rb_alice
BEGIN;
SAVEPOINT s;
REVOKE rb_grp FROM rb_alice;
SELECT a FROM rb_t;
ROLLBACK TO s;
SELECT a FROM rb_t;
COMMIT;
SELECT a FROM rb_t;
SELECT pg_has_role('rb_alice', 'rb_grp', 'member');
\c - postgres
DROP TABLE rb_t;
DROP ROLE rb_alice, rb_grp;
"""


def test_membership_granted_under_a_rolled_back_savepoint_is_gone_at_once(srv, pg15):
    """A GRANT/REVOKE of membership undone by ROLLBACK TO a savepoint no longer counts for
    the next statement of the same transaction (cached decisions are forgotten), as in
    PostgreSQL 15: the script's rows and errors match side by side."""
    psql = require_tool("psql")
    def run(cmd):
        r = subprocess.run(cmd + ["-f", "-"], input=SAVEPOINT_SCRIPT, capture_output=True, text=True,
                           timeout=90)
        drop = re.compile(r"^(LOCATION:|You are now connected)")
        return ["\n".join(line for line in text.splitlines() if not drop.match(line))
                for text in (r.stdout, r.stderr)]
    ours = run([psql, "-X", "-h", str(srv.sockdir), "-p", str(srv.port), "-U", "postgres", "-d", "postgres"])
    theirs = run([psql, "-X", "-h", "127.0.0.1", "-p", str(pg15.port), "-U", "postgres", "-d", "postgres"])
    assert "42501" in theirs[1]
    assert ours[1] == theirs[1]
    assert ours[0] == theirs[0]
