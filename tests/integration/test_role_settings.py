"""Per-role and per-database settings: ALTER ROLE ... [IN DATABASE ...] SET/RESET, ALTER
DATABASE ... SET/RESET, pg_db_role_setting, and what a new session starts with.

Run side by side with a throwaway PostgreSQL 15: the same psql script (statements, their
errors with SQLSTATEs, privilege refusals, transactions, \\drds, SHOW after \\c as the
roles, pg_settings' source, RESET) must print the same; psycopg connections with start-up
options must see the same values and ParameterStatus; and `pgsvc dumpall` / `pgsvc dump
-C` must carry the settings into PostgreSQL 15.

One pgsvc cluster for the module (trust). The PostgreSQL 15 cluster is shared by the test
session: every script here removes what it made, ALTER ROLE ALL settings included.
"""

from __future__ import annotations

import re
import subprocess

import psycopg
import pytest

from conftest import PGSVC, ROOT, require_engine, require_tool


@pytest.fixture(scope="module")
def srv(module_server_factory):
    require_engine()
    s = module_server_factory("-U", "postgres")  # the superuser's name as in PostgreSQL 15
    s.superuser = "postgres"
    return s


def run_script(port: int, host: str, script: str) -> str:
    """psql's stdout and stderr together (their order kept), without the lines that name
    PostgreSQL's source files or the connection's host."""
    cmd = [require_tool("psql"), "-X", "-h", host, "-p", str(port), "-U", "postgres", "-d", "postgres",
           "-f", "-"]
    r = subprocess.run(cmd, input=script, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=120)
    drop = re.compile(r"^(LOCATION:|You are now connected)")
    return "\n".join(line for line in r.stdout.splitlines() if not drop.match(line))


def both(srv, pg15, script: str) -> tuple[str, str]:
    return run_script(srv.port, str(srv.sockdir), script), run_script(pg15.port, "127.0.0.1", script)


STATEMENTS = r"""
\set VERBOSITY verbose
CREATE ROLE rs_a LOGIN;
CREATE ROLE rs_b LOGIN CREATEROLE;
CREATE ROLE rs_n LOGIN;
CREATE ROLE rs_s SUPERUSER LOGIN;
CREATE DATABASE rs_db OWNER rs_a;
ALTER ROLE rs_a SET search_path = '$user', public, "Mixed Case";
ALTER ROLE rs_a SET statement_timeout = '5s';
ALTER ROLE rs_a SET datestyle = 'sql, dmy';
ALTER ROLE rs_a SET TIME ZONE 'Asia/Tokyo';
ALTER ROLE rs_a SET my.flag = 'hello world';
ALTER ROLE rs_a SET work_mem = '8MB';
ALTER ROLE rs_a SET enable_seqscan = off;
ALTER ROLE rs_a SET extra_float_digits = 2;
ALTER ROLE rs_a SET statement_timeout = '6s';
ALTER ROLE rs_a SET work_mem TO DEFAULT;
ALTER ROLE rs_a IN DATABASE rs_db SET statement_timeout = '7s';
ALTER USER rs_a IN DATABASE rs_db SET IntervalStyle = iso_8601;
ALTER DATABASE rs_db SET search_path = db_path;
ALTER DATABASE rs_db SET DateStyle = 'German';
ALTER ROLE ALL IN DATABASE rs_db SET lock_timeout = 100;
ALTER ROLE ALL SET idle_session_timeout = '1h';
SET extra_float_digits = 3;
ALTER ROLE rs_n SET extra_float_digits FROM CURRENT;
RESET extra_float_digits;
ALTER ROLE rs_a SET nosuch = 1;
ALTER ROLE rs_a SET "1a.b" = 1;
ALTER ROLE rs_a SET statement_timeout = 'abc';
ALTER ROLE rs_a SET enable_seqscan = maybe;
ALTER ROLE rs_a SET extra_float_digits = 10;
ALTER ROLE rs_a SET port = 1;
ALTER ROLE rs_a SET fsync = off;
ALTER ROLE rs_a SET server_version = 'x';
ALTER ROLE rs_a SET TimeZone = 'Europe/Nowhere';
ALTER ROLE rs_a SET nosuch FROM CURRENT;
ALTER ROLE rs_nosuch SET work_mem = '1MB';
ALTER DATABASE rs_nosuch SET work_mem = '1MB';
ALTER ROLE rs_a IN DATABASE rs_nosuch SET work_mem = '1MB';
ALTER ROLE rs_a RESET nosuch;
ALTER ROLE rs_b RESET nosuch;
ALTER ROLE rs_s SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
ALTER ROLE rs_s SET transaction_read_only = on;
ALTER ROLE rs_s SET transaction_deferrable = on;
ALTER ROLE rs_s SET transaction_isolation = 'serializable';
ALTER ROLE rs_s SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
ALTER ROLE rs_s SET SESSION AUTHORIZATION DEFAULT;
ALTER ROLE rs_s SET ROLE NONE;
BEGIN;
ALTER ROLE rs_b SET work_mem = '2MB';
ROLLBACK;
BEGIN;
ALTER ROLE rs_b SET work_mem = '3MB';
SAVEPOINT s;
ALTER ROLE rs_b SET lock_timeout = 5;
ROLLBACK TO s;
COMMIT;
\drds rs_*
\drds * rs_db
\c - rs_b
ALTER ROLE rs_a SET work_mem = '1MB';
ALTER ROLE rs_s SET work_mem = '1MB';
ALTER ROLE rs_b SET log_statement = 'all';
ALTER ROLE rs_b SET my.x = 1;
ALTER ROLE ALL SET work_mem = '1MB';
ALTER DATABASE rs_db SET work_mem = '1MB';
ALTER ROLE ALL IN DATABASE rs_db SET work_mem = '1MB';
\c - rs_n
ALTER ROLE rs_n SET work_mem = '1MB';
ALTER ROLE rs_a SET work_mem = '1MB';
\c - rs_a
ALTER DATABASE rs_db SET work_mem = '2MB';
ALTER DATABASE rs_db SET log_statement = 'all';
\c - postgres
ALTER ROLE rs_n SET log_statement = 'ddl';
ALTER ROLE rs_n SET my.opt = 'x';
\c - rs_n
ALTER ROLE rs_n RESET log_statement;
ALTER ROLE rs_n RESET ALL;
\c - postgres
\drds rs_n
SELECT rolname, rolconfig FROM pg_roles WHERE rolname LIKE 'rs\_%' ORDER BY 1;
SELECT usename, useconfig FROM pg_user WHERE usename LIKE 'rs\_%' ORDER BY 1;
ALTER ROLE rs_a RENAME TO rs_a2;
\drds rs_a*
ALTER ROLE rs_a2 RENAME TO rs_a;
"""

LOGIN = r"""
\c rs_db rs_a
SHOW search_path;
SHOW statement_timeout;
SHOW DateStyle;
SHOW TimeZone;
SHOW IntervalStyle;
SHOW lock_timeout;
SHOW idle_session_timeout;
SHOW extra_float_digits;
SHOW enable_seqscan;
SHOW my.flag;
SELECT name, setting, source, reset_val FROM pg_settings
 WHERE name IN ('search_path', 'statement_timeout', 'DateStyle', 'lock_timeout', 'idle_session_timeout')
 ORDER BY 1;
SET statement_timeout = '1s';
SET search_path = elsewhere;
SET enable_seqscan = on;
RESET statement_timeout;
SHOW statement_timeout;
RESET ALL;
SHOW search_path;
SHOW enable_seqscan;
SELECT now()::date = current_date AS dated, '2001-02-03'::date AS d;
\c postgres rs_a
SHOW search_path;
SHOW statement_timeout;
SHOW DateStyle;
SHOW lock_timeout;
\c postgres rs_n
SHOW extra_float_digits;
SHOW search_path;
\c postgres postgres
ALTER ROLE rs_b SET role = 'rs_a';
\c postgres rs_b
SELECT current_user, session_user;
\c postgres postgres
GRANT rs_a TO rs_b;
\c postgres rs_b
SELECT current_user, session_user;
\c postgres postgres
"""

CLEANUP = r"""
DROP DATABASE rs_db;
DROP ROLE rs_a, rs_b, rs_n, rs_s;
ALTER ROLE ALL RESET ALL;
SELECT count(*) AS left_behind FROM pg_db_role_setting s
 WHERE s.setrole <> 0 AND NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = s.setrole)
    OR s.setdatabase <> 0 AND NOT EXISTS (SELECT 1 FROM pg_database d WHERE d.oid = s.setdatabase);
\drds rs_*
"""


def test_statements_logins_and_cleanup_match_postgresql_15(srv, pg15):
    ours, theirs = both(srv, pg15, STATEMENTS + LOGIN + CLEANUP)
    assert ours == theirs
    # the script did what it says (not two equally broken outputs)
    assert "permission denied to set role \"rs_a\"" in ours
    assert "search_path=\"$user\", public, \"Mixed Case\"" in ours
    assert re.search(r"statement_timeout\s*\|\s*7000\s*\|\s*database user", ours)


def session_values(port: int, host: str, **params) -> dict:
    names = ("search_path", "DateStyle", "TimeZone", "application_name", "work_mem")
    with psycopg.connect(host=host, port=port, user="rs_p", dbname="rs_pdb", autocommit=True,
                         connect_timeout=10, **params) as conn:
        status = {n: conn.info.parameter_status(n) for n in ("DateStyle", "TimeZone", "application_name")}
        shown = {n: conn.execute(f"SHOW {n}").fetchone()[0] for n in names}
        conn.execute("SET search_path = elsewhere")
        conn.execute("SET DateStyle = 'Postgres'")
        conn.execute("SET work_mem = '1MB'")
        conn.execute("RESET ALL")
        after = {n: conn.execute(f"SHOW {n}").fetchone()[0] for n in names}
        reported_after = conn.info.parameter_status("DateStyle")
    return {"status": status, "shown": shown, "after_reset": after, "reported_after": reported_after}


PARAMS = r"""
CREATE ROLE rs_p LOGIN;
CREATE DATABASE rs_pdb;
ALTER DATABASE rs_pdb SET DateStyle = 'German';
ALTER ROLE rs_p SET search_path = r1;
ALTER ROLE rs_p SET application_name = 'from_role';
ALTER ROLE rs_p SET work_mem = '16MB';
ALTER ROLE rs_p IN DATABASE rs_pdb SET TimeZone = 'Asia/Tokyo';
"""


@pytest.mark.parametrize("params", [
    {},
    {"options": "-c search_path=cli -c DateStyle=ISO,YMD -c work_mem=2MB"},
    {"application_name": "app"},
], ids=["stored", "options", "application_name"])
def test_startup_packet_wins_and_reset_returns_to_the_start_values(srv, pg15, params):
    for port, host in ((srv.port, str(srv.sockdir)), (pg15.port, "127.0.0.1")):
        run_script(port, host, PARAMS)
    try:
        ours = session_values(srv.port, str(srv.sockdir), **params)
        theirs = session_values(pg15.port, "127.0.0.1", **params)
    finally:
        for port, host in ((srv.port, str(srv.sockdir)), (pg15.port, "127.0.0.1")):
            run_script(port, host, "DROP DATABASE rs_pdb; DROP ROLE rs_p;")
    assert ours == theirs
    assert ours["shown"]["TimeZone"] == "Asia/Tokyo"


def test_dumpall_and_dump_create_carry_settings_to_postgresql_15(srv, pg15, tmp_path):
    setup = r"""
CREATE ROLE rs_d LOGIN;
CREATE DATABASE rs_ddb;
ALTER ROLE rs_d SET search_path = 'a b', public;
ALTER ROLE rs_d SET statement_timeout = '5s';
ALTER ROLE rs_d SET my."Odd" = 'it''s';
ALTER ROLE rs_d IN DATABASE rs_ddb SET work_mem = '8MB';
ALTER DATABASE rs_ddb SET DateStyle = 'SQL, DMY';
"""
    check = r"""
SELECT rolname, rolconfig FROM pg_roles WHERE rolname = 'rs_d';
\drds * rs_ddb
"""
    run_script(srv.port, str(srv.sockdir), setup)
    globals_script, db_script = tmp_path / "globals.sql", tmp_path / "db.sql"
    try:
        for args, out in ((["dumpall", "-g"], globals_script), (["dump", "-C", "-d", "rs_ddb"], db_script)):
            r = subprocess.run(PGSVC + args + ["-h", str(srv.sockdir), "-p", str(srv.port), "-U", "postgres",
                                               "-f", str(out)], capture_output=True, text=True, timeout=120,
                               cwd=str(ROOT))
            assert r.returncode == 0, r.stderr
        assert 'ALTER ROLE rs_d SET "my.Odd" TO \'it\'\'s\';' in globals_script.read_text()
        expected = run_script(srv.port, str(srv.sockdir), check)
        # only this test's role: the globals script also holds the superuser's own lines
        roles = "\n".join(line for line in globals_script.read_text().splitlines()
                          if "rs_d" in line and not line.startswith("--"))
        for script in (roles, db_script.read_text()):
            loaded = subprocess.run([require_tool("psql"), "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                                     "-p", str(pg15.port), "-U", "postgres", "-d", "postgres", "-f", "-"],
                                    input=script, capture_output=True, text=True, timeout=120)
            assert loaded.returncode == 0, loaded.stderr
        assert run_script(pg15.port, "127.0.0.1", check) == expected
        assert "work_mem=8MB" in expected and "DateStyle=SQL, DMY" in expected
    finally:
        run_script(pg15.port, "127.0.0.1", "DROP DATABASE IF EXISTS rs_ddb; DROP ROLE IF EXISTS rs_d;")
        run_script(srv.port, str(srv.sockdir), "DROP DATABASE rs_ddb; DROP ROLE rs_d;")
