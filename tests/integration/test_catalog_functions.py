"""Catalog functions, reg* casts and run-time catalogs side by side with PostgreSQL 15.

The same psql script runs against a pgsvc server (superuser "postgres", like the
reference) and PostgreSQL 15; the output must be identical: rows, headers, errors
with their positions. Objects each case creates have names unique to the case and are
dropped at its end (the PostgreSQL 15 cluster is shared by the whole test session).

What differs by design is not compared: sizes (SQLite pages, not 8 kB heap pages) are
checked as facts (> 0, total >= table), n_live_tup after PostgreSQL's statistics flush,
settings only in the columns that do not depend on the environment.
"""

from __future__ import annotations

import subprocess

import psycopg
import pytest
from conftest import require_tool


@pytest.fixture(scope="module")
def srv(postgres_superuser_server):
    return postgres_superuser_server


CASES = {
    "reg_input_errors": r"""
        SELECT 'abs'::regproc;
        SELECT 'nosuch'::regproc;
        SELECT 'abs(text)'::regprocedure;
        SELECT '+'::regoper;
        SELECT '~~~'::regoper;
        SELECT '+(integer,text)'::regoperator;
        SELECT 'nosuch'::regnamespace;
        SELECT 'nosuch'::regrole;
        SELECT 'nosuch'::regtype;
        SELECT 'nosuch'::regclass;
        SELECT 'nosuch_schema.t'::regclass;
        SELECT 'a.b.c.d'::regclass;
        SELECT 'Foo Bar'::regclass;
        SELECT 'x'::text::regclass;
        SELECT 'abs'::regprocedure;
        SELECT 'abs(nosuchtype)'::regprocedure;
        SELECT 'public.abs(integer)'::regprocedure;
        SELECT '+(int4)'::regoperator;
        SELECT '+(int4,int4,int4)'::regoperator;
        SELECT '+()'::regoperator;
        SELECT 'other.pg_catalog.pg_class'::regclass;
        SELECT 'a.b'::regnamespace;
        SELECT 'public'::regrole;
        SELECT 'pg_catalog.abs( integer )'::regprocedure, 'abs(int4)'::regprocedure::oid, '-(NONE,integer)'::regoperator,
               'pg_catalog.||/'::regoper, 'postgres.pg_catalog.pg_class'::regclass, '"pg_catalog"'::regnamespace,
               'pg_monitor'::regrole, to_regrole('pg_monitor');
    """,
    "reg_input_output": r"""
        SELECT 'abs(integer)'::regprocedure::oid, '+(integer,integer)'::regoperator::oid, 'version'::regproc;
        SELECT 1394::regproc, 1394::regprocedure, 870::regproc, 551::regoper, 551::regoperator, 177::regproc;
        SELECT 0::regclass, 0::regtype, 0::regnamespace, 0::regrole, 0::regoper, 0::regprocedure, '-'::regproc::oid;
        SELECT 99999::regclass, 99999::regproc, 99999::regtype, 99999::regrole, 99999::regnamespace;
        SELECT 1259::regclass, 2615::regclass::text, '   pg_class '::regclass, '"pg_class"'::regclass;
        SELECT 'integer[]'::regtype, 'character varying(10)'::regtype, 'double precision'::regtype,
               '"char"'::regtype, 'pg_catalog.int4'::regtype, 'timestamp with time zone'::regtype;
        SELECT 'pg_catalog'::regnamespace, 11::regnamespace::oid, current_user::regrole::text = current_user;
        SELECT 'version'::regproc::oid = 89, 'pg_class'::regclass = 1259, 1259 = 'pg_class'::regclass,
               'pg_class'::regclass < 1300, 'pg_class'::regclass::oid::int;
        SELECT 1259::regclass::text, 1259::regclass || 'x', 1259::regclass::varchar, 1259::regclass::name;
        SELECT pg_typeof('pg_class'::regclass), pg_typeof(23::regtype);
        SELECT '{pg_class,pg_am}'::regclass[], '{int4,"character varying"}'::regtype[], '{pg_class,NULL}'::regclass[];
        SELECT '{pg_class,nosuch}'::regclass[];
        SELECT '{pg_class}'::text::regclass[], ('{pg_class,pg_type}'::regclass[])[2], ARRAY['pg_class'::regclass]::text,
               '{23,25}'::regtype[]::text, 'pg_class'::regclass = ANY('{pg_class,pg_am}'::regclass[]);
    """,
    "regclass_qualification": r"""
        CREATE SCHEMA h2rq;
        CREATE TABLE h2rq.t1 (a int);
        CREATE TABLE "H2rq Mixed" (a int);
        SELECT 'h2rq.t1'::regclass, '"H2rq Mixed"'::regclass, 'h2rq.t1'::regclass::oid > 16000;
        SET search_path = h2rq, public;
        SELECT 'h2rq.t1'::regclass, 't1'::regclass;
        SELECT c.oid::regclass FROM pg_class c WHERE c.relname = 't1';
        RESET search_path;
        SELECT to_regclass('t1'), to_regclass('h2rq.t1');
        SELECT 'information_schema.tables'::regclass, to_regclass('tables');
        SET search_path = information_schema, public;
        SELECT 'information_schema.tables'::regclass, 'tables'::regclass = 'information_schema.tables'::regclass;
        RESET search_path;
        CREATE TEMP TABLE h2rq_tmp (a int);
        SELECT 'h2rq_tmp'::regclass, pg_my_temp_schema()::regnamespace::text LIKE 'pg_temp_%',
               pg_is_other_temp_schema(pg_my_temp_schema()),
               current_schemas(true) = ARRAY[pg_my_temp_schema()::regnamespace::name, 'pg_catalog', 'public']::name[],
               current_schemas(false);
        DROP TABLE h2rq_tmp;
        DROP TABLE "H2rq Mixed", h2rq.t1;
        DROP SCHEMA h2rq;
    """,
    "to_reg": r"""
        SELECT to_regclass('pg_class'), to_regclass('nosuch'), to_regtype('int4'), to_regtype('nosuch');
        SELECT to_regproc('abs'), to_regproc('version'), to_regprocedure('abs(integer)'), to_regprocedure('abs(text)');
        SELECT to_regnamespace('public'), to_regnamespace('nosuch'), to_regrole('nosuch');
        SELECT to_regoper('+'), to_regoper('||/'), to_regoperator('+(integer,integer)');
        SELECT to_regclass('a b');
    """,
    "type_and_function_info": r"""
        SELECT format_type(1043, 14), format_type(1015, 14), format_type(1043, NULL), format_type(99999, NULL),
               format_type(NULL, 1), format_type(23, 99), format_type(1700, 655366), format_type(0, NULL);
        SELECT pg_get_function_arguments('abs(integer)'::regprocedure),
               pg_get_function_result('abs(integer)'::regprocedure),
               pg_get_function_identity_arguments('json_extract_path(json, text[])'::regprocedure),
               pg_get_function_arguments('json_extract_path(json, text[])'::regprocedure);
        SELECT pg_get_function_result('generate_series(integer, integer)'::regprocedure),
               pg_get_function_arguments('make_interval'::regproc),
               pg_get_function_identity_arguments('make_interval'::regproc);
        SELECT pg_function_is_visible('abs(integer)'::regprocedure), pg_get_function_sqlbody('abs(integer)'::regprocedure);
        SELECT proname, pronargs, prorettype::regtype, proargtypes, prokind, provolatile, proisstrict, proretset,
               prosrc, prolang FROM pg_proc WHERE oid = 'lower(text)'::regprocedure;
        SELECT p.oid::regprocedure, l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
         WHERE p.proname = 'round' ORDER BY 1::text;
        SELECT aggfnoid, aggkind, aggtransfn, aggfinalfn, aggtranstype::regtype, agginitval
          FROM pg_aggregate WHERE aggfnoid = 'pg_catalog.sum(int4)'::regprocedure;
        SELECT oprname, oprkind, oprleft::regtype, oprright::regtype, oprresult::regtype, oprcode, oprcom::regoperator
          FROM pg_operator WHERE oid = '+(integer,integer)'::regoperator;
        SELECT castsource::regtype, casttarget::regtype, castfunc::regprocedure, castcontext, castmethod
          FROM pg_cast WHERE castsource = 'int4'::regtype AND casttarget = 'int8'::regtype;
        SELECT oid, lanname, lanispl, lanpltrusted FROM pg_language ORDER BY oid;
        SELECT oid, collname, collprovider, collisdeterministic, collencoding, collcollate, collctype
          FROM pg_collation WHERE collname IN ('default', 'C', 'POSIX', 'ucs_basic') ORDER BY oid;
    """,
    "session_functions": r"""
        SELECT current_schemas(true), current_schemas(false), pg_my_temp_schema(), pg_is_other_temp_schema(11);
        SELECT pg_char_to_encoding('UTF8'), pg_char_to_encoding('utf-8'), pg_char_to_encoding('x'),
               pg_encoding_to_char(6), pg_tablespace_location(1663), pg_is_in_recovery();
        SELECT pg_postmaster_start_time() <= now(), pg_backend_pid() > 0;
        SELECT set_config('h2.x', 'v', false), current_setting('h2.x'), current_setting('h2.y', true);
        SELECT current_setting('nosuch_parameter');
        SELECT current_setting('nosuch_parameter', true) IS NULL;
        BEGIN;
        SELECT set_config('search_path', 'pg_catalog', true);
        SHOW search_path;
        COMMIT;
        SHOW search_path;
        SELECT set_config('search_path', 'pg_catalog', true), current_setting('search_path');
        SHOW search_path;
        SELECT set_config(NULL, 'x', false);
    """,
    "sizes": r"""
        SELECT pg_size_pretty(v::bigint), pg_size_pretty(v::numeric) FROM unnest(ARRAY[0, 1, 10239, 10240, 10752,
               20479 * 1024, 20971519, 20971520, -10240, -20971520, 1e15, 1e18, 9e18]) v;
        SELECT pg_size_pretty(1.5::numeric), pg_size_pretty(10240.7::numeric), pg_size_pretty(-10752.5),
               pg_size_pretty(1e30);
        SELECT pg_size_bytes('10 kB'), pg_size_bytes('1.5 GB'), pg_size_bytes('123'), pg_size_bytes('2 TB');
        SELECT pg_size_bytes('10 XB');
        CREATE TABLE h2sz (a int PRIMARY KEY, b text);
        INSERT INTO h2sz SELECT g, repeat('x', 100) FROM generate_series(1, 500) g;
        SELECT pg_relation_size('h2sz') > 0, pg_total_relation_size('h2sz') > pg_relation_size('h2sz'),
               pg_indexes_size('h2sz') > 0, pg_table_size('h2sz') >= pg_relation_size('h2sz'),
               pg_relation_size('h2sz', 'fsm') >= 0, pg_database_size('postgres') > 0,
               pg_database_size(current_database()) = pg_database_size((SELECT oid FROM pg_database
                                                                         WHERE datname = current_database()));
        SELECT pg_relation_size('h2sz', 'bogus');
        SELECT pg_database_size('nosuch_db');
        DROP TABLE h2sz;
    """,
    "arrays": r"""
        SELECT array_lower(ARRAY[1,2,3], 1), array_upper(ARRAY[1,2,3], 1), array_upper(ARRAY[1,2,3], 2),
               array_ndims(ARRAY[1,2]), array_dims(ARRAY['a','b']), array_length(ARRAY[1,2], 1),
               cardinality(ARRAY[1,2,3]), array_to_string(ARRAY[1, NULL, 3], ',', '*'),
               array_upper('{}'::int[], 1), array_dims('{}'::int[]);
        SELECT * FROM generate_subscripts(ARRAY['a','b','c'], 1);
        SELECT * FROM generate_subscripts(ARRAY['a','b','c'], 1, true) AS g;
        SELECT * FROM unnest(ARRAY[1, 2]);
    """,
    "operators_and_collations": r"""
        SELECT 'abc' OPERATOR(pg_catalog.~) '^a' COLLATE pg_catalog.default, 'b' < 'a' COLLATE "POSIX",
               'a' < 'B' COLLATE "C", 1 OPERATOR(pg_catalog.+) 2, 'x' COLLATE ucs_basic = 'x';
        SELECT 'a' < 'b' COLLATE "nosuch";
        SELECT 1 OPERATOR(public.+) 2;
        SELECT 1 OPERATOR(h2_nosuch.+) 2;
        SELECT OPERATOR(pg_catalog.-) 1, ARRAY['a'] COLLATE "C", 'x'::varchar(3) COLLATE "POSIX";
        SELECT 'a' COLLATE public."C";
        SELECT 'a' COLLATE h2_nosuch."C";
        SELECT 1 COLLATE "C";
    """,
    "psql_describe_functions": r"""
        \df
        \df round
        \df concat*
        \df json_extract_path
        \df make_interval
        \df string_agg
        \df row_number
        \df+ generate_series
        \df+ pg_backend_pid
        \dfw row_number
        \da+ count
        \do+ %
        \dO
        \sf abs(integer)
        \sf row_number
        \sf+ generate_series(int, int)
        \sf make_interval
        \sf sum(int)
        \dx
    """,
    "cast_column_names": r"""
        SELECT 'pg_class'::regclass::oid::int, 'pg_am'::text::regclass, (1 + 2)::text, (SELECT 1)::text,
               CASE WHEN true THEN 1 END::text, coalesce(1, 2)::text, nullif(1, 2)::text, NULL::int,
               (ARRAY[1, 2])[1]::text, EXISTS (SELECT 1)::int, ARRAY[23, 25]::regtype[];
        SELECT oidvectortypes(proargtypes), pg_get_function_identity_arguments(oid)
          FROM pg_proc WHERE oid = 'pg_catalog.lpad(text, integer, text)'::regprocedure;
    """,
    "timezones": r"""
        SELECT count(*), count(DISTINCT name) FROM pg_timezone_names;
        SELECT * FROM pg_timezone_names WHERE name IN ('UTC', 'Asia/Kolkata', 'America/St_Johns', 'Etc/GMT+5',
                                                       'posixrules', 'posix/Europe/Paris') ORDER BY name;
        SELECT count(*) FROM pg_timezone_abbrevs;
        SELECT * FROM pg_timezone_abbrevs WHERE abbrev IN ('CET', 'EST', 'NZDT', 'IST', 'UTC') ORDER BY abbrev;
    """,
    "settings": r"""
        SELECT name, unit, category, short_desc, context, vartype, min_val, max_val, enumvals
          FROM pg_settings WHERE name IN ('DateStyle', 'IntervalStyle', 'bytea_output', 'statement_timeout',
                                          'search_path', 'extra_float_digits', 'standard_conforming_strings')
         ORDER BY name;
        SELECT name, setting, source FROM pg_settings WHERE name = 'search_path';
        SET search_path = pg_catalog, public;
        SELECT name, setting, source, reset_val FROM pg_settings WHERE name = 'search_path';
        RESET search_path;
        SELECT count(*) FROM pg_settings WHERE name IN ('is_superuser', 'session_authorization');
        SELECT name, vartype, unit, setting, min_val, max_val, context, boot_val, source, enumvals
          FROM pg_settings WHERE name IN ('work_mem', 'enable_seqscan', 'random_page_cost', 'effective_cache_size',
                                          'plan_cache_mode', 'maintenance_work_mem') ORDER BY name;
        SET work_mem = '64MB';
        SELECT name, setting, source, reset_val FROM pg_settings WHERE name = 'work_mem';
        RESET work_mem;
        SELECT current_setting('work_mem'), current_setting('enable_seqscan'), set_config('work_mem', '8MB', false),
               current_setting('work_mem'), current_setting('transaction_isolation'), current_setting('role');
        RESET work_mem;
        \dconfig work_mem
        \dconfig enable_*
        \dconfig+ search_path
    """,
}


def run_script(target, script: str) -> str:
    cmd = [require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(target.port), "-U", "postgres",
           "-d", "postgres", "-v", "ON_ERROR_STOP=0", "-f", "-"]
    res = subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=60,
                         env={"PGTZ": "UTC", "PGDATESTYLE": "ISO, MDY", "LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    return res.stdout + "\n--stderr--\n" + res.stderr


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, srv, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script(pg15, script)
    got = run_script(srv, script)
    assert got == expected


# --- run-time catalogs -------------------------------------------------------------------

def _connect(target, user="postgres", **kw) -> psycopg.Connection:
    return psycopg.connect(f"host=127.0.0.1 port={target.port} user={user} dbname=postgres", autocommit=True,
                           connect_timeout=10, **kw)


def _activity_facts(target) -> dict:
    """What two sessions see of each other in pg_stat_activity and pg_locks."""
    with _connect(target) as su:
        su.execute("DROP ROLE IF EXISTS h2_watcher")
        su.execute("CREATE ROLE h2_watcher LOGIN")
    try:
        with _connect(target, application_name="h2_busy") as busy, _connect(target, user="h2_watcher") as watcher:
            busy.execute("SELECT 1 AS h2_marker")
            own = watcher.execute(
                "SELECT usename, application_name, state, query, backend_type, datname, wait_event_type,"
                " wait_event, pid = pg_backend_pid(), usesysid = 'h2_watcher'::regrole, client_port > 0,"
                " backend_start <= now(), client_addr IS NOT NULL"
                " FROM pg_stat_activity WHERE pid = pg_backend_pid()").fetchall()
            other = watcher.execute(
                "SELECT usename, application_name, state, query, backend_type, client_addr, client_port,"
                " backend_start, wait_event FROM pg_stat_activity WHERE application_name = 'h2_busy'").fetchall()
            as_super = busy.execute(
                "SELECT usename, state, query FROM pg_stat_activity WHERE usename = 'h2_watcher'").fetchall()
            locks = watcher.execute(
                "SELECT locktype, relation::regclass::text, database IS NOT NULL,"
                " coalesce(virtualxid, virtualtransaction) ~ '^[0-9]+/[0-9]+$',"
                " pid = pg_backend_pid(), mode, granted, fastpath, waitstart FROM pg_locks"
                " WHERE pid = pg_backend_pid() ORDER BY locktype").fetchall()
            db = watcher.execute("SELECT numbackends >= 2, xact_commit >= 0 FROM pg_stat_database"
                                 " WHERE datname = 'postgres'").fetchall()
            shared = watcher.execute("SELECT datname, numbackends FROM pg_stat_database WHERE datid = 0").fetchall()
    finally:
        with _connect(target) as su:
            su.execute("DROP ROLE h2_watcher")
    return {"own": own, "other": other, "as_super": as_super, "locks": locks, "db": db, "shared": shared}


def test_stat_activity_and_locks_match_postgres(srv, pg15):
    got, expected = _activity_facts(srv), _activity_facts(pg15)
    assert got == expected
    assert got["other"] == [("postgres", "h2_busy", None, "<insufficient privilege>", None, None, None,
                             None, None)]


def test_table_statistics_count_live_rows(srv, pg15):
    facts = []
    for target, flush in ((srv, None), (pg15, "SELECT pg_stat_force_next_flush()")):
        with _connect(target) as conn:
            conn.execute("CREATE TABLE h2st (a int PRIMARY KEY, b text)")
            try:
                conn.execute("INSERT INTO h2st SELECT g, 'x' FROM generate_series(1, 25) g")
                conn.execute("DELETE FROM h2st WHERE a > 20")
                if flush:
                    conn.execute(flush)
                rows = conn.execute(
                    "SELECT s.relid = 'h2st'::regclass, s.schemaname, s.relname, s.n_live_tup,"
                    " io.relname, a.relname FROM pg_stat_user_tables s"
                    " JOIN pg_statio_user_tables io USING (relid)"
                    " JOIN pg_stat_all_tables a USING (relid) WHERE s.relname = 'h2st'").fetchall()
                facts.append(rows)
            finally:
                conn.execute("DROP TABLE h2st")
    assert facts[0] == facts[1] == [(True, "public", "h2st", 20, "h2st", "h2st")]


def test_show_all_agrees_with_pg_settings(srv, pg15):
    with _connect(srv) as conn:
        shown = {r[0]: (r[1], r[2]) for r in conn.execute("SHOW ALL").fetchall()}
        listed = {r[0]: r[1] for r in conn.execute("SELECT name, short_desc FROM pg_settings").fetchall()}
        assert [d.name for d in conn.execute("SHOW ALL").description] == ["name", "setting", "description"]
    assert set(shown) == set(listed)
    assert all(shown[n][1] == listed[n] for n in shown)
    with _connect(pg15) as conn:
        reference = {r[0]: r[2] for r in conn.execute("SHOW ALL").fetchall()}
    common = set(shown) & set(reference)
    assert len(common) > 40
    assert {n: shown[n][1] for n in common} == {n: reference[n] for n in common}
    assert shown["DateStyle"][0] == "ISO, MDY"


def test_reg_parameters_from_a_driver(srv, pg15):
    """$1::regclass with a text parameter (psycopg, extended protocol) and reg* results."""
    out = []
    for target in (srv, pg15):
        with _connect(target) as conn:
            out.append(conn.execute("SELECT %s::regclass, %s::regtype::text, %s::regclass::oid",
                                    ("pg_class", "integer[]", "pg_type")).fetchone())
            with pytest.raises(psycopg.errors.UndefinedTable):
                conn.execute("SELECT %s::regclass", ("h2_nosuch",))
    assert out[0] == out[1] == ("pg_class", "integer[]", 1247)


def test_client_address_functions_tcp_and_unix_socket(srv, pg15):
    query = ("SELECT inet_client_addr(), inet_client_port() > 0, inet_server_port() > 0, a.client_addr,"
             " a.client_port, a.client_hostname FROM pg_stat_activity a WHERE a.pid = pg_backend_pid()")
    facts = []
    for target, sockdir in ((srv, srv.sockdir), (pg15, pg15.base)):
        with _connect(target) as tcp:
            by_tcp = tcp.execute(query).fetchone()
        with psycopg.connect(f"host={sockdir} port={target.port} user=postgres dbname=postgres",
                             autocommit=True) as unix:
            by_unix = unix.execute(query).fetchone()
        facts.append((tuple(str(v) for v in by_tcp[:3]), by_tcp[3:4], by_unix))
    assert facts[0] == facts[1]
    assert facts[0][2] == (None, None, None, None, -1, None)


def test_superuser_only_settings_hidden_from_other_roles(srv, pg15):
    facts = []
    for target in (srv, pg15):
        with _connect(target) as su:
            su.execute("DROP ROLE IF EXISTS h2_plain")
            su.execute("CREATE ROLE h2_plain LOGIN")
        try:
            with _connect(target, user="h2_plain") as conn:
                hidden = conn.execute("SELECT count(*) FROM pg_settings WHERE name IN ('data_directory', 'hba_file',"
                                      " 'unix_socket_directories')").fetchone()[0]
                shown = {r[0] for r in conn.execute("SHOW ALL").fetchall()}
                errors = []
                for sql in ("SHOW data_directory", "SELECT current_setting('hba_file')"):
                    try:
                        conn.execute(sql)
                    except psycopg.Error as e:
                        errors.append((e.sqlstate, e.diag.message_primary))
                facts.append((hidden, "data_directory" in shown, "TimeZone" in shown, errors))
        finally:
            with _connect(target) as su:
                su.execute("DROP ROLE h2_plain")
    assert facts[0] == facts[1]
    assert facts[0][3][0] == ("42501", 'must be superuser or have privileges of pg_read_all_settings to examine '
                                       '"data_directory"')
