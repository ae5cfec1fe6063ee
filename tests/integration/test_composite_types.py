"""Composite types side by side with PostgreSQL 15: CREATE TYPE ... AS (...), columns and
arrays of them, ROW(...) constructors and casts, composite text I/O with PostgreSQL's
quoting, (c).f field selection, INSERT INTO t (c.f) / UPDATE ... SET c.f = ... and array
element assignment, row comparisons, ALTER TYPE ... ADD/DROP/RENAME ATTRIBUTE, DROP TYPE;
the catalog rows (pg_type typtype 'c' with typrelid, pg_class relkind 'c', pg_attribute)
and psql's \\dT / \\d of a type; psycopg's CompositeInfo round trip in text and binary and
the binary form of anonymous records; pg_dump of a database with composite types restored
into PostgreSQL 15.

Every expected value comes from PostgreSQL 15 at run time: each script runs in a database
of its own on both servers and must print the same thing (rows, notices, errors, then
their SQLSTATEs).
"""

from __future__ import annotations

import subprocess

import pytest
from conftest import require_tool

psycopg = pytest.importorskip("psycopg")
composite = pytest.importorskip("psycopg.types.composite")

CASES = {
    "values": r"""
        CREATE TYPE complex AS (r float8, i float8);
        CREATE TYPE person AS (name text, age int, tags text[], z complex);
        CREATE TABLE pts (id int PRIMARY KEY, c complex, p person, cs complex[]);
        INSERT INTO pts VALUES (1, '(1,2)', ROW('ann, "b"', 30, '{x,y}', '(3,4)'), ARRAY['(1,1)'::complex, NULL]);
        INSERT INTO pts VALUES (2, ROW(3.5, -4), ('', NULL, '{}', NULL), NULL), (3, NULL, NULL, '{}');
        INSERT INTO pts VALUES (4, ' ( 10 , 1e3 ) ', '("a\\b",7,"{""q r""}",)', '{"(5,6)"}');
        SELECT * FROM pts ORDER BY id;
        SELECT id, (c).r, (c).i, (p).name, (p).tags[2], ((p).z).i, (cs[1]).r FROM pts ORDER BY id;
        SELECT id, c::text, p::text, length(p::text) FROM pts ORDER BY id;
        SELECT ROW(1, 'a b', NULL, '', 'x"y', 'p\q', '(,)'), ROW(), (1, 2)::complex, ROW(1.5, 2)::complex AS named;
        SELECT '(1,2)'::complex, '( 1 , 2 )'::complex, '(,)'::complex, '("1",  "2")'::complex;
        SELECT id FROM pts WHERE c = ROW(1, 2)::complex ORDER BY id;
        SELECT id, c < ROW(4, 0)::complex AS lt, c >= ROW(3.5, -4)::complex AS ge FROM pts ORDER BY id;
        SELECT id FROM pts ORDER BY c, id;
        SELECT id FROM pts ORDER BY c DESC, id;
        SELECT ROW(1, 2) = ROW(1, 2), ROW(1, 2) < ROW(1, 3), ROW(1, NULL) = ROW(1, 2);
        SELECT c IS NULL, c IS DISTINCT FROM ROW(1, 2)::complex FROM pts ORDER BY id;
        SELECT pg_typeof(c), pg_typeof(ROW(1, 2)), pg_typeof((c).r) FROM pts WHERE id = 1;
        SELECT format_type('complex'::regtype, NULL), format_type('complex[]'::regtype, NULL), 'person'::regtype;
    """,
    "errors": r"""
        CREATE TYPE complex AS (r float8, i float8);
        CREATE TABLE ct (id int, c complex);
        SELECT '(1,2,3)'::complex;
        SELECT '(1)'::complex;
        SELECT '1,2'::complex;
        SELECT '(1,2) x'::complex;
        SELECT '(1,2'::complex;
        SELECT '(a,2)'::complex;
        SELECT ROW(1)::complex;
        SELECT ROW(1, 2, 3)::complex;
        SELECT ROW('a', 1)::complex;
        SELECT (c).x FROM ct;
        SELECT (id).x FROM ct;
        SELECT * FROM ct WHERE c = '(1,2)';
        SELECT '(1,2)'::record;
        INSERT INTO ct (c.x) VALUES (1);
        UPDATE ct SET id.x = 1;
        INSERT INTO ct (c.r, c.i) VALUES (1, DEFAULT);
        CREATE TYPE complex AS (a int);
        CREATE TYPE dup AS (a int, a text);
        CREATE TABLE complex (a int);
        DROP TYPE complex;
        DROP TYPE nosuch;
        DROP TYPE IF EXISTS nosuch;
        ALTER TYPE complex ADD ATTRIBUTE j int;
        ALTER TYPE complex RENAME ATTRIBUTE nosuch TO x;
        DROP TYPE complex CASCADE;
        SELECT * FROM ct;
    """,
    "assignment": r"""
        CREATE TYPE itt AS (if1 int, if2 text[]);
        CREATE TABLE it (f1 int, f2 int[], f3 itt, f4 itt[]);
        INSERT INTO it (f1, f3.if1, f3.if2) VALUES (1, 1, '{foo}'), (2, 2, '{bar}');
        INSERT INTO it (f1, f3.if1, f3.if2) SELECT 3, 3, '{baz,quux}'::text[];
        INSERT INTO it (f1, f2[1], f2[2]) VALUES (4, 1, 2), (5, 3, 4);
        INSERT INTO it (f1, f3.if2[1], f3.if2[2]) VALUES (6, 'foo', 'bar');
        INSERT INTO it (f1, f4[1].if2[1], f4[1].if2[2]) VALUES (7, 'foo', 'bar');
        INSERT INTO it (f1, f2[1], f2[2]) VALUES (8, 1, DEFAULT);
        UPDATE it SET f3.if1 = 10 WHERE f1 = 1;
        UPDATE it SET f3.if1 = 20, f3.if2 = '{x,y}' WHERE f1 = 2;
        UPDATE it SET f3.if1 = 5 WHERE f1 = 4;
        UPDATE it SET f2[3] = 9 WHERE f1 = 4;
        UPDATE it SET f2[NULL] = 1;
        SELECT * FROM it ORDER BY f1;
    """,
    "alter_drop": r"""
        CREATE TYPE t1 AS (a int, b text);
        ALTER TYPE t1 ADD ATTRIBUTE c date, DROP ATTRIBUTE a;
        ALTER TYPE t1 RENAME ATTRIBUTE b TO bb;
        ALTER TYPE t1 ALTER ATTRIBUTE c TYPE timestamp;
        SELECT '(x,2020-01-02 03:04:05)'::t1;
        SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
          WHERE attrelid = (SELECT typrelid FROM pg_type WHERE typname = 't1') AND NOT attisdropped ORDER BY attnum;
        CREATE TABLE t1_used (id int, v t1);
        INSERT INTO t1_used VALUES (1, '(a,2020-01-01)'), (2, NULL), (3, '(,)');
        ALTER TYPE t1 ADD ATTRIBUTE n int;
        SELECT * FROM t1_used ORDER BY id;
        ALTER TYPE t1 DROP ATTRIBUTE bb;
        SELECT id, v, (v).n FROM t1_used ORDER BY id;
        ALTER TYPE t1 ALTER ATTRIBUTE n TYPE bigint;
        DROP TABLE t1_used;
        ALTER TYPE t1 RENAME TO t2;
        SELECT typname FROM pg_type WHERE typname IN ('t1', 't2', '_t2') ORDER BY 1;
        SELECT relname, relkind FROM pg_class WHERE relname IN ('t1', 't2');
        CREATE TABLE uses (x t2);
        DROP TYPE t2;
        DROP TYPE t2 CASCADE;
        SELECT count(*) FROM pg_class WHERE relname = 't2';
        SELECT count(*) FROM pg_attribute WHERE attname = 'bb';
    """,
    "tables": r"""
        CREATE TABLE fullname (first text, last text);
        INSERT INTO fullname VALUES ('Joe', 'Blow'), ('Ann', NULL);
        SELECT f, pg_typeof(f), f.first FROM fullname f ORDER BY 1;
        SELECT ROW('Jim', 'Beam')::fullname, '(Jim,Beam)'::fullname, 'fullname'::regtype, 'fullname[]'::regtype;
        CREATE TABLE people (fn fullname, bd date);
        INSERT INTO people SELECT f, '1984-01-10'::date FROM fullname f;
        SELECT * FROM people ORDER BY bd, fn;
        SELECT (fn).last, fn IS NULL, fn IS NOT NULL FROM people ORDER BY 1;
        SELECT t.typname, t.typtype, c.relname, c.relkind, c.reltype = t.oid FROM pg_type t
          JOIN pg_class c ON c.oid = t.typrelid WHERE t.typname = 'fullname';
        ALTER TABLE fullname ADD COLUMN suffix text DEFAULT '';
        ALTER TABLE fullname ADD COLUMN suffix text DEFAULT NULL;
        UPDATE people SET fn.suffix = 'Jr' WHERE (fn).first = 'Joe';
        SELECT * FROM people ORDER BY bd, fn;
        ALTER TABLE fullname DROP COLUMN first;
        SELECT fn, (fn).last FROM people ORDER BY 1;
        DROP TYPE fullname;
        ALTER TYPE fullname ADD ATTRIBUTE x int;
        SELECT row_to_json(f), to_json(f), row_to_json(f, true) FROM fullname f ORDER BY f.last;
        SELECT row_to_json(s) FROM (SELECT 1 AS a, 'x'::text AS b, 2.5 AS c, true AS d) s;
        SELECT row_to_json(s) FROM (SELECT 1, 2) s(x, y);
        SELECT row_to_json(ROW(1, 'a', NULL)), to_json(ROW(1.5, false));
        SELECT (r).f1, (r).f2 FROM (SELECT ROW(1, 2.0) AS r) ss;
        SELECT (ROW(1, 2.0)).*, (fn).* FROM people ORDER BY 3 NULLS FIRST;
        SELECT ROW(NULL, NULL) IS NULL, ROW(1, NULL) IS NULL, ROW(1, NULL) IS NOT NULL, ROW() IS NULL;
        SELECT r, r IS NULL, r IS NOT NULL FROM (VALUES (1, 2), (1, NULL), (NULL, NULL)) r(a, b);
        SELECT ROW() = ROW();
        SELECT array[ROW(1, 2), ROW(3, 4)], pg_typeof(array[ROW(1, 2)]);
        SELECT text(f) FROM fullname f;
        CREATE TYPE t1 AS (a int, b int);
        CREATE TYPE t3 AS (a int, b text);
        SELECT ROW(1, -2)::t1 *< ROW(1, -3)::t1, ROW(1, 2)::t1 *< ROW(1, 3)::t1, ROW(1, -2)::t1 < ROW(1, -3)::t1;
        SELECT ROW(1, 'abc')::t3 *< ROW(1, 'abcd')::t3, ROW(1, 'abc')::t3 *= ROW(1, 'abc')::t3;
        SELECT ROW(1, 2)::t1 < ROW(1, 'abc')::t3;
    """,
    "catalog": r"""
        CREATE SCHEMA s;
        CREATE TYPE s.pair AS (k text, v numeric(10,2));
        SELECT t.typname, t.typtype, t.typcategory, t.typlen, t.typalign, t.typstorage, t.typdelim,
               t.typinput, t.typoutput, t.typreceive, t.typsend, c.relname, c.relkind, c.relnatts,
               c.reltype = t.oid AS reltype_ok, a.typname AS array_name, a.typelem = t.oid AS elem_ok
          FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid JOIN pg_type a ON a.oid = t.typarray
         WHERE t.typname = 'pair';
        SELECT attname, attnum, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
         WHERE attrelid = 's.pair'::regclass ORDER BY attnum;
        SELECT 's.pair'::regtype, 's.pair[]'::regtype, format_type('s.pair'::regtype, NULL);
        SET search_path = s, public;
        SELECT 'pair'::regtype, '(a,1.234)'::pair;
    """,
    # record_cmp: each field in its own type's order (text '10' < '9', numbers numerically,
    # NaN last among floats, 1 mon = 30 days, 9.0 = 9.00, NULL fields last), for ORDER BY,
    # GROUP BY / DISTINCT, comparisons, a UNIQUE constraint and an index on the column
    "ordering": r"""
        CREATE TYPE tv AS (t text, n int, f float8, d date, i interval, m numeric);
        CREATE TABLE o (id int, v tv);
        INSERT INTO o VALUES (1, ROW('10', 10, 10, '2020-01-10', '10 days', 10)), (2, ROW('9', 9, 9, '2020-01-09', '9 days', 9)),
        (3, ROW('9', 10, 'NaN', '2020-01-09', '1 mon', 9.0)), (4, ROW('9', 10, -1, NULL, '30 days', 9.00)),
        (5, ROW(NULL, 1, 1, '2020-01-01', '1 day', 1)), (6, ROW('a', NULL, NULL, 'infinity', NULL, NULL)),
        (7, ROW('9', 10, 'NaN', '2020-01-09', '29 days', 9)), (8, ROW('9', 10, 'NaN', '2020-01-09', '1 mon', 9.5)),
        (9, ROW('9', 10, 'NaN', '2019-12-31', '1 mon', 9.5)), (10, ROW('9', 10, 1e300, '2019-12-31', '1 mon', 100)),
        (11, ROW('9', 10, 'NaN', '2020-01-09', '1 mon', 10)), (12, ROW('B', 2, 2, '2020-01-02', '2 days', 2)), (13, NULL),
        (14, ROW('9', 10, 'NaN', '2020-01-09', '30 days', 9.00));
        SELECT id, v FROM o ORDER BY v, id;
        SELECT id FROM o ORDER BY v DESC, id;
        SELECT count(DISTINCT v), count(*) FROM (SELECT v FROM o GROUP BY v) g;
        SELECT a.id, b.id FROM o a, o b WHERE a.v < b.v AND a.id < 5 AND b.id < 5 ORDER BY 1, 2;
        SELECT id, v = ROW('9', 10, 'NaN', '2020-01-09', '30 days', 9.00)::tv AS eq FROM o ORDER BY id;
        CREATE TYPE pair AS (k text, x numeric);
        CREATE TABLE u (p pair UNIQUE);
        INSERT INTO u VALUES (ROW('10', 1.0)), (ROW('9', 2));
        INSERT INTO u VALUES (ROW('10', 1.00));
        SELECT p FROM u ORDER BY p;
        CREATE INDEX ON o (v);
        SELECT id FROM o WHERE v > ROW('9', 10, 0, NULL, NULL, NULL)::tv ORDER BY v, id;
        CREATE TABLE w (id int, t o);
        INSERT INTO w SELECT id, o FROM o;
        SELECT id FROM w ORDER BY t, id;
        SELECT x, n, ROW(x, n) FROM (VALUES ('10', 2.5), ('9', 1), ('9', 10), (NULL, 1), ('9', NULL)) s(x, n) ORDER BY ROW(x, n);
        SELECT ROW(x, n, d) FROM (VALUES ('10', 2.5, 1e10::float8), ('9', 10, 'NaN'), ('9', 10, 2)) s(x, n, d) ORDER BY 1 DESC;
        SELECT r FROM (SELECT ROW(n, x) AS r FROM (VALUES ('10', 20), ('9', 3), ('b', 3)) s(x, n)) q ORDER BY r;
        CREATE TYPE p2 AS (a numeric, b interval);
        SELECT count(*) FROM (SELECT DISTINCT ROW(x, y)::p2 FROM (VALUES (1.0, '1 mon'::interval), (1.00, '30 days')) s(x, y)) q;
        SELECT ROW(x, y)::p2 FROM (VALUES (1.0, '1 mon'::interval), (2, '1 day'), (1.5, '1 day')) s(x, y) ORDER BY 1 DESC;
        SELECT count(*) FROM (VALUES (1.0, '1 mon'::interval), (2, '1 day')) s(x, y) WHERE ROW(x, y)::p2 IN (ROW(1, '30 days')::p2);
    """,
    # fields are kept in a setting-independent form and printed in the reading session's
    # DateStyle, IntervalStyle, TimeZone and extra_float_digits
    "settings": r"""
        CREATE TYPE ev AS (d date, ts timestamp, tz timestamptz, i interval, f float8, n numeric);
        CREATE TABLE e (id int, v ev, vs ev[]);
        SET DateStyle = 'SQL, DMY';
        SET TimeZone = 'Asia/Tokyo';
        SET IntervalStyle = 'sql_standard';
        SET extra_float_digits = 0;
        INSERT INTO e VALUES (1, ROW('02/01/2020', '03/04/2021 10:00', '03/04/2021 10:00', '1 day 2 hours', 0.1 + 0.2, 1.50),
                                 ARRAY[ROW('02/01/2020', NULL, NULL, NULL, NULL, NULL)::ev]);
        INSERT INTO e VALUES (2, '(05/06/2020,"07/08/2020 01:02:03","07/08/2020 01:02:03+02",-3,1.5,2)', NULL);
        SELECT id, v, (v).d, (v).tz FROM e ORDER BY id;
        UPDATE e SET v.d = '09/10/2020' WHERE id = 2;
        SET DateStyle = 'ISO, MDY';
        SET TimeZone = 'America/New_York';
        SET IntervalStyle = 'postgres';
        SET extra_float_digits = 1;
        SELECT id, v, (v).d, (v).ts, (v).tz, (v).i, (v).f, v::text, vs FROM e ORDER BY id;
        SELECT id, row_to_json(v) FROM e ORDER BY id;
        SELECT id FROM e WHERE (v).d = '2020-01-02' OR v = ROW('2020-10-09', '2020-08-07 01:02:03', '2020-07-07 19:02:03-04', '-3 days', 1.5, 2)::ev;
        SET DateStyle = 'German';
        SELECT v, ROW((v).d, (v).tz) FROM e ORDER BY id;
        SELECT id FROM e ORDER BY v;
    """,
    # routines over composites: p.f of a composite-typed PL/pgSQL parameter or variable, an
    # argument of a table's row type (whole rows, ROW(...) coerced at the call, DROP TABLE's
    # dependency), a composite built under one DateStyle read under another
    "routines": r"""
        CREATE TYPE ev2 AS (d date, n int);
        CREATE FUNCTION mk(x date) RETURNS ev2 LANGUAGE plpgsql AS $$ DECLARE r ev2; BEGIN r := ROW(x, 5); RETURN r; END $$;
        CREATE FUNCTION mksql(x date) RETURNS ev2 LANGUAGE sql AS $$ SELECT ROW(x, 5)::ev2 $$;
        CREATE FUNCTION getd(p ev2) RETURNS date LANGUAGE plpgsql AS $$ BEGIN RETURN p.d; END $$;
        CREATE FUNCTION getd2(x date) RETURNS int LANGUAGE plpgsql AS $$ DECLARE v ev2; BEGIN v := ROW(x, 3)::ev2; RETURN v.n + extract(day from v.d)::int; END $$;
        SET DateStyle = 'SQL, DMY';
        CREATE TABLE k AS SELECT mk('03/04/2020') AS v, mksql('03/04/2020') AS w;
        SELECT mk('03/04/2020'), getd(ROW('05/06/2020', 1)::ev2), getd2('07/08/2020'), getd(ROW('05/06/2020', 1));
        SET DateStyle = 'ISO, MDY';
        SELECT v, (v).d, w, getd(v) FROM k;
        CREATE TABLE tt (a int, b text);
        INSERT INTO tt VALUES (1, 'x'), (3, NULL);
        CREATE FUNCTION rowf(t tt) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN t.b || t.a; END $$;
        CREATE FUNCTION rowsql(t tt) RETURNS text LANGUAGE sql AS $$ SELECT $1.b || $1.a $$;
        CREATE FUNCTION rowsql2(t tt) RETURNS int LANGUAGE sql AS $$ SELECT (t).a * 2 $$;
        SELECT rowf(tt), rowsql(tt), rowsql2(tt) FROM tt ORDER BY a;
        SELECT rowf(t), rowf(ROW(2, 'y')::tt), rowf(ROW(2, 'y')) FROM tt t ORDER BY a;
        SELECT rowf(NULL);
        DROP TABLE tt;
        DROP TABLE tt CASCADE;
        CREATE TABLE td (d date, ts timestamptz, f float8);
        INSERT INTO td VALUES ('2020-04-03', '2020-04-03 10:00:00+00', 0.1);
        CREATE FUNCTION getrow() RETURNS td LANGUAGE plpgsql AS $$ DECLARE r td%ROWTYPE; BEGIN SELECT * INTO r FROM td; RETURN r; END $$;
        CREATE TYPE cc AS (x td, n int);
        CREATE FUNCTION getcc() RETURNS cc LANGUAGE plpgsql AS $$ DECLARE r cc; BEGIN r := ROW(getrow(), 1); RETURN r; END $$;
        CREATE FUNCTION rec2() RETURNS record LANGUAGE plpgsql AS $$ DECLARE r record; BEGIN SELECT d, 5 AS n INTO r FROM td; RETURN r; END $$;
        SET DateStyle = 'SQL, DMY';
        SET TimeZone = 'Asia/Tokyo';
        SET extra_float_digits = 0;
        CREATE TABLE keep AS SELECT getrow() AS r, getcc() AS c;
        SELECT getrow(), (getrow()).d, getcc(), r, c, pg_typeof(getrow()) FROM keep;
        SELECT * FROM rec2() AS (d date, n int);
        SET DateStyle = 'ISO, MDY';
        SET TimeZone = 'UTC';
        SELECT r, (r).d, (r).ts, c, ((c).x).d FROM keep;
        CREATE TYPE ev4 AS (d date, n int);
        SET DateStyle = 'SQL, DMY';
        DO $$ DECLARE r td%ROWTYPE; q record; e ev4; BEGIN SELECT * INTO r FROM td; SELECT * INTO q FROM td; e := ROW('2020-05-06', 2);
        RAISE NOTICE 'r=% q=% e=% rt=% et=% ed=%', r, q, e, r::text, e::text, e.d; END $$;
        SELECT t, t::text, ROW(t.d, 1)::text, ROW(t.d, t.ts)::varchar FROM td t;
    """,
}

DESCRIBE = [r"\dT", r"\dT+", r"\d s.pair", r"\d+ s.pair", r"\dT s.*"]
DESCRIBE_SETUP = "CREATE SCHEMA s; CREATE TYPE s.pair AS (k text, v numeric(10,2)); COMMENT ON TYPE s.pair IS 'kv';"


def run_script(target, script: str, dbname: str, verbosity: str = "default") -> str:
    cmd = [require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(target.port), "-U", target.superuser,
           "-d", dbname, "-v", "ON_ERROR_STOP=0", "-v", f"VERBOSITY={verbosity}", "-f", "-"]
    res = subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=60,
                         env={"PGTZ": "UTC", "PGDATESTYLE": "ISO, MDY", "LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    return res.stdout + "\n--stderr--\n" + res.stderr


def _script(name: str) -> str:
    return "\n".join(line.strip() for line in CASES[name].strip().splitlines())


@pytest.fixture(scope="module")
def both(shared_server, pg15):
    """pgsvc and PostgreSQL 15, each with fresh databases per case (twice: default
    verbosity, then SQLSTATEs)."""
    for target in (shared_server, pg15):
        names = [f"{n}{v}" for n in list(CASES) + ["describe", "drivers"] for v in ("", "_st")]
        script = "\n".join(f"DROP DATABASE IF EXISTS ct_{n};\nCREATE DATABASE ct_{n};" for n in names)
        run_script(target, script, dbname="postgres")
        run_script(target, DESCRIBE_SETUP, "ct_describe")
    return shared_server, pg15


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, both):
    ours, pg = both
    expected = run_script(pg, _script(name), f"ct_{name}")
    got = run_script(ours, _script(name), f"ct_{name}")
    assert got == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_sqlstates_as_postgres(name, both):
    ours, pg = both
    expected = run_script(pg, _script(name), f"ct_{name}_st", verbosity="sqlstate")
    got = run_script(ours, _script(name), f"ct_{name}_st", verbosity="sqlstate")
    assert got == expected


@pytest.mark.parametrize("command", DESCRIBE)
def test_psql_describe_same_as_postgres(command, both):
    ours, pg = both
    # the owner differs by name only where the superusers do: compare as each server's
    expected = run_script(pg, command, "ct_describe").replace(pg.superuser, "OWNER")
    got = run_script(ours, command, "ct_describe").replace(ours.superuser, "OWNER")
    assert got == expected


# --- drivers ------------------------------------------------------------------------------

def _dsn(target, dbname: str) -> str:
    return f"host=127.0.0.1 port={target.port} user={target.superuser} dbname={dbname}"


def _psycopg_round_trip(target) -> list:
    """CompositeInfo.fetch, register, then values of the type both ways in text and binary."""
    out = []
    with psycopg.connect(_dsn(target, "ct_drivers"), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS cd; DROP TYPE IF EXISTS tc CASCADE; DROP SCHEMA IF EXISTS ts CASCADE")
        conn.execute("CREATE SCHEMA ts; CREATE TYPE ts.tc AS (foo text, bar int8, baz float8, qux bytea, d date)")
        info = composite.CompositeInfo.fetch(conn, "ts.tc")
        out.append((info.name, info.field_names, [t == o for t, o in zip(info.field_types, (25, 20, 701, 17, 1082))],
                    info.array_oid > 0))
        composite.register_composite(info, conn)
        conn.execute("CREATE TABLE cd (id int, c ts.tc, cs ts.tc[])")
        values = [info.python_type("a,b \"c\" \\ (d)", 42, None, b"\x00\xff", None),
                  info.python_type("", None, 1.5, None, None), info.python_type(None, None, None, None, None)]
        for binary in (False, True):
            cur = conn.cursor(binary=binary)
            for i, v in enumerate(values):
                cur.execute("INSERT INTO cd VALUES (%s, %s, %s)", (i + (10 if binary else 0), v, [v, None]))
            cur.execute("SELECT c, cs, c::text, (c).foo, (c).qux FROM cd ORDER BY id")
            out.append([tuple(r) for r in cur.fetchall()])
            cur.execute("SELECT ('x', 1, 2.5, '\\x01', '2020-01-02')::ts.tc, row(10::int, null::text, 20::float, "
                        "'foo'::text, 'bar'::bytea, 'u'), row()")
            out.append(cur.fetchone())
            conn.execute("DELETE FROM cd")
    return out


def test_psycopg_composite_round_trip(both):
    ours, pg = both
    assert _psycopg_round_trip(ours) == _psycopg_round_trip(pg)


# --- pg_dump --------------------------------------------------------------------------------

DUMPED = r"""
CREATE SCHEMA app;
CREATE TYPE app.complex AS (r double precision, i double precision);
CREATE TYPE public.person AS (name text, age integer, tags text[], "Where" app.complex);
COMMENT ON TYPE app.complex IS 'a complex number';
CREATE TABLE app.pts (id int PRIMARY KEY, c app.complex, p person, cs app.complex[]);
INSERT INTO app.pts VALUES (1, '(1,2)', ROW('ann, "b"', 30, '{x,y}', '(3,4)'), ARRAY['(1,1)'::app.complex, NULL]),
                           (2, NULL, NULL, NULL), (3, '(,)', ROW(NULL, NULL, NULL, NULL), '{}');
"""
ROWS = "SELECT id, c, p, cs, (p).\"Where\" FROM app.pts ORDER BY id"


def _psql(target, dbname: str, *args: str, stdin: str | None = None) -> str:
    cmd = [require_tool("psql"), "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(target.port),
           "-U", target.superuser, "-d", dbname, *args]
    res = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_pg_dump_restores_into_postgres(both, tmp_path):
    ours, pg = both
    for target, db in ((ours, "ct_dump_src"), (pg, "ct_dump_ref"), (pg, "ct_dump_restored")):
        _psql(target, "postgres", "-c", f"DROP DATABASE IF EXISTS {db}", "-c", f"CREATE DATABASE {db}")
    _psql(ours, "ct_dump_src", stdin=DUMPED)
    _psql(pg, "ct_dump_ref", stdin=DUMPED)

    def dump(target, db):
        res = subprocess.run([require_tool("pg_dump"), "-h", "127.0.0.1", "-p", str(target.port), "-U",
                              target.superuser, "--no-owner", db], capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        return "\n".join(line for line in res.stdout.splitlines()
                         if not line.startswith(("\\restrict", "\\unrestrict", "-- Dumped from")))

    ours_dump = dump(ours, "ct_dump_src")
    assert ours_dump == dump(pg, "ct_dump_ref")
    script = tmp_path / "dump.sql"
    script.write_text(ours_dump + "\n")
    _psql(pg, "ct_dump_restored", "-f", str(script))
    assert _psql(pg, "ct_dump_restored", "-c", ROWS) == _psql(ours, "ct_dump_src", "-c", ROWS)
    for command in (r"\d app.complex", r"\dT app.*", r"\d app.pts"):
        assert _psql(pg, "ct_dump_restored", "-c", command) == _psql(pg, "ct_dump_ref", "-c", command)
