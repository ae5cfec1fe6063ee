"""User-defined types (issue 4): CREATE/ALTER/DROP DOMAIN, CREATE TYPE ... AS ENUM,
ALTER TYPE ... ADD/RENAME VALUE, DROP TYPE; their pg_type / pg_enum rows; psql's \\dT
and \\dD; asyncpg and psycopg round trips and introspection.

Side by side with PostgreSQL 15: each script runs in a database of its own on both
servers and must print the same thing (rows, notices, errors with their SQLSTATEs).
Composite types are tests/integration/test_composite_types.py's, range types
tests/integration/test_ranges.py's.
"""

from __future__ import annotations

import asyncio
import subprocess

import pytest
from conftest import require_tool

DATABASE = "usertypes"

CASES = {
    "domains": r"""
        CREATE DOMAIN d1 AS int CHECK (VALUE > 0) CHECK (VALUE < 1000);
        CREATE DOMAIN d2 AS d1 NOT NULL;
        CREATE DOMAIN vc AS varchar(3);
        CREATE DOMAIN email text NOT NULL DEFAULT 'x@y' CONSTRAINT email_at CHECK (VALUE LIKE '%@%');
        CREATE TABLE dt (a d1, b d2 DEFAULT 5, c vc, e email);
        INSERT INTO dt (a, b, c, e) VALUES (1, 2, 'abc', 'p@q');
        INSERT INTO dt (a) VALUES (3);
        INSERT INTO dt (a, b) VALUES (3, 0);
        INSERT INTO dt (a, b) VALUES (3, NULL);
        INSERT INTO dt (c) VALUES ('abcd');
        INSERT INTO dt (e) VALUES ('nope');
        INSERT INTO dt (e) VALUES (NULL);
        UPDATE dt SET a = -5 WHERE a = 3;
        SELECT * FROM dt ORDER BY a;
        SELECT a + 1 AS next, c || '!' AS bang, e LIKE '%y' AS y FROM dt ORDER BY a;
        SELECT 5::d2, NULL::d1, 'ab'::vc, 7::d1 + 1;
        SELECT NULL::d2;
        SELECT 0::d1;
        SELECT '1234'::vc;
        SELECT (-1)::d2;
        CREATE DOMAIN d1 AS text;
        CREATE DOMAIN bad AS int UNIQUE;
        CREATE DOMAIN bad2 AS int CONSTRAINT c CHECK (VALUE > 0) CHECK (VALUE > 1) CHECK (VALUE > 2);
        SELECT 2::bad2;
    """,
    "alter_domain": r"""
        CREATE DOMAIN ad AS int CHECK (VALUE > 0);
        CREATE TABLE adt (x ad, y int);
        INSERT INTO adt VALUES (5, 1), (50, 2);
        ALTER DOMAIN ad ADD CONSTRAINT small CHECK (VALUE < 100);
        INSERT INTO adt VALUES (200, 3);
        ALTER DOMAIN ad ADD CONSTRAINT tiny CHECK (VALUE < 10);
        ALTER DOMAIN ad ADD CONSTRAINT small CHECK (VALUE < 7);
        ALTER DOMAIN ad DROP CONSTRAINT nope;
        ALTER DOMAIN ad DROP CONSTRAINT IF EXISTS nope;
        ALTER DOMAIN ad DROP CONSTRAINT small;
        INSERT INTO adt VALUES (200, 4);
        ALTER DOMAIN ad SET DEFAULT 42;
        INSERT INTO adt (y) VALUES (5) RETURNING x, y;
        ALTER DOMAIN ad DROP DEFAULT;
        INSERT INTO adt (y) VALUES (6);
        ALTER DOMAIN ad SET NOT NULL;
        DELETE FROM adt WHERE x IS NULL;
        ALTER DOMAIN ad SET NOT NULL;
        INSERT INTO adt (y) VALUES (7);
        ALTER DOMAIN ad DROP NOT NULL;
        INSERT INTO adt (y) VALUES (8);
        SELECT * FROM adt ORDER BY y;
        CREATE TYPE notdom AS ENUM ('a');
        ALTER DOMAIN notdom SET NOT NULL;
        ALTER DOMAIN nodomain SET NOT NULL;
    """,
    "enums": r"""
        CREATE TYPE color AS ENUM ('red', 'green', 'blue');
        CREATE TABLE et (k color, ks color[]);
        INSERT INTO et VALUES ('green', '{red,blue}'), ('blue', NULL), (NULL, '{}');
        INSERT INTO et VALUES ('purple', NULL);
        SELECT * FROM et ORDER BY k DESC NULLS LAST;
        SELECT k, k < 'blue' AS lt, k = 'green' AS eq, k::text || '!' AS t FROM et ORDER BY 1;
        SELECT min(k), max(k), count(DISTINCT k) FROM et;
        SELECT 'purple'::color;
        SELECT 'red'::color < 'green'::color, 'blue'::color > 'green'::color;
        SELECT ks[1] FROM et ORDER BY ks;
        CREATE TYPE color AS ENUM ('x');
        ALTER TYPE color ADD VALUE 'red';
        ALTER TYPE color ADD VALUE IF NOT EXISTS 'red';
        ALTER TYPE color ADD VALUE 'yellow' AFTER 'red';
        ALTER TYPE color ADD VALUE 'black' BEFORE 'red';
        ALTER TYPE color ADD VALUE 'white';
        ALTER TYPE color ADD VALUE 'grey' AFTER 'nope';
        ALTER TYPE color RENAME VALUE 'nope' TO 'x';
        ALTER TYPE color RENAME VALUE 'green' TO 'blue';
        ALTER TYPE color RENAME VALUE 'green' TO 'verde';
        SELECT e.enumlabel, e.enumsortorder FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
          WHERE t.typname = 'color' ORDER BY e.enumsortorder;
        SELECT k FROM et ORDER BY k;
        SELECT 'white'::color > 'blue'::color, 'black'::color < 'red'::color;
        CREATE TYPE empty AS ENUM ();
        SELECT 'x'::empty;
        CREATE TYPE longlabel AS ENUM ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    """,
    "drop_types": r"""
        CREATE DOMAIN dd1 AS int CHECK (VALUE > 0);
        CREATE DOMAIN dd2 AS dd1 NOT NULL;
        CREATE TYPE col AS ENUM ('r', 'g');
        CREATE TABLE drt (a dd1, b dd2 DEFAULT 1, k col, ks col[], n int);
        INSERT INTO drt VALUES (1, 2, 'g', '{r}', 10);
        DROP DOMAIN col;
        DROP TYPE nope;
        DROP TYPE IF EXISTS nope;
        DROP DOMAIN IF EXISTS nope;
        DROP TYPE dd1;
        DROP TYPE col CASCADE;
        SELECT * FROM drt;
        DROP DOMAIN dd1 CASCADE;
        SELECT * FROM drt;
        DROP TABLE drt;
        SELECT typname FROM pg_type WHERE typname IN ('dd1', 'dd2', 'col', '_col', '_dd1') ORDER BY 1;
    """,
    "alter_table": r"""
        CREATE DOMAIN pd AS int CHECK (VALUE > 0);
        CREATE DOMAIN nd AS int NOT NULL;
        CREATE DOMAIN dd AS int DEFAULT 7 CHECK (VALUE < 10);
        CREATE DOMAIN bd AS int DEFAULT 70 CHECK (VALUE < 10);
        CREATE TYPE ee AS ENUM ('a', 'b');
        CREATE TABLE ac (i int);
        INSERT INTO ac VALUES (1), (2);
        ALTER TABLE ac ADD COLUMN p pd;
        ALTER TABLE ac ADD COLUMN n nd;
        ALTER TABLE ac ADD COLUMN d dd;
        ALTER TABLE ac ADD COLUMN b bd;
        ALTER TABLE ac ADD COLUMN e ee DEFAULT 'b';
        ALTER TABLE ac ADD COLUMN q pd DEFAULT 0;
        SELECT * FROM ac;
        INSERT INTO ac (i, p) VALUES (3, -1);
        INSERT INTO ac (i, d) VALUES (3, 11);
        CREATE TABLE ee (x int);
        CREATE TABLE ee AS SELECT 1;
        SELECT 'a'::ee::text, 'b'::text::ee, 'a'::ee = 'a', 'a'::ee IN ('a', 'b');
        SELECT x FROM (VALUES ('b'::ee), ('a')) v(x) ORDER BY x;
        SELECT CASE WHEN true THEN 'a'::ee ELSE 'b' END, coalesce(NULL, 'b'::ee);
    """,
    "rename": r"""
        CREATE DOMAIN rd AS int CONSTRAINT pos CHECK (VALUE > 0);
        CREATE TYPE re AS ENUM ('a');
        CREATE TABLE rt (x rd, e re);
        ALTER DOMAIN rd RENAME CONSTRAINT pos TO positive;
        ALTER DOMAIN rd RENAME CONSTRAINT nope TO x;
        ALTER DOMAIN rd RENAME CONSTRAINT positive TO positive;
        INSERT INTO rt VALUES (0, 'a');
        ALTER TYPE re RENAME TO re2;
        ALTER DOMAIN re2 RENAME TO re3;
        ALTER DOMAIN rd RENAME TO rd2;
        ALTER TYPE rd2 RENAME TO re2;
        ALTER TYPE nope RENAME TO x;
        INSERT INTO rt VALUES (-1, 'a');
        SELECT 'a'::re2, 1::rd2;
        SELECT 'a'::re;
        SELECT typname FROM pg_type WHERE typname LIKE '%r_2' OR typname LIKE '%re' ORDER BY 1;
    """,
    "enum_functions": r"""
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';
        CREATE TYPE e0 AS ENUM ();
        CREATE TABLE ef (m mood);
        INSERT INTO ef VALUES ('ok'), ('sad'), (NULL);
        SELECT enum_first(NULL::mood), enum_last(NULL::mood), enum_range(NULL::mood),
               enum_range('meh'::mood, 'happy'::mood), enum_range(NULL, 'ok'::mood), enum_range('ok'::mood, NULL),
               enum_range('happy'::mood, 'sad'::mood);
        SELECT enum_first(1);
        SELECT enum_first(NULL);
        SELECT enum_range('ok'::mood, 'x');
        SELECT pg_typeof(enum_range(NULL::mood)), enum_first(m), enum_range(m, NULL), min(m) OVER (), max(m) OVER ()
          FROM ef ORDER BY m;
        SELECT enum_first(NULL::e0);
        SELECT enum_range(NULL::e0);
        SELECT enum_first(m) FROM ef WHERE false;
        SELECT unnest(enum_range(NULL::mood));
    """,
    "owners": r"""
        CREATE ROLE ut_h7o;
        CREATE TYPE mood AS ENUM ('a');
        CREATE DOMAIN posint AS int;
        ALTER TYPE mood OWNER TO ut_h7o;
        ALTER DOMAIN posint OWNER TO ut_h7o;
        ALTER DOMAIN mood OWNER TO ut_h7o;
        ALTER TYPE nope OWNER TO ut_h7o;
        ALTER TYPE mood OWNER TO nobody;
        SELECT typname, typowner::regrole FROM pg_type WHERE typname IN ('mood','_mood','posint','_posint') ORDER BY 1;
        ALTER TYPE _mood OWNER TO CURRENT_USER;
        DROP ROLE ut_h7o;
        REASSIGN OWNED BY ut_h7o TO CURRENT_USER;
        SELECT typname, typowner = (SELECT oid FROM pg_roles WHERE rolname = CURRENT_USER) FROM pg_type WHERE typname IN ('mood','posint') ORDER BY 1;
        ALTER TYPE mood OWNER TO ut_h7o;
        CREATE TABLE ot (m mood);
        DROP OWNED BY ut_h7o;
        DROP OWNED BY ut_h7o CASCADE;
        SELECT typname FROM pg_type WHERE typname IN ('mood','posint') ORDER BY 1;
        SELECT * FROM ot;
        DROP ROLE ut_h7o;
    """,
    "expressions": r"""
        CREATE TYPE mood AS ENUM ('sad', 'ok');
        CREATE DOMAIN posint AS int CHECK (VALUE > 0);
        CREATE TABLE jt (m mood, p posint, ms mood[]);
        INSERT INTO jt VALUES ('ok', 3, '{sad,ok}'), ('sad', 1, NULL);
        SELECT to_json(m), json_agg(m ORDER BY m), json_build_object('m', m, 'p', p) FROM jt GROUP BY m, ms, p ORDER BY m;
        SELECT array_agg(m ORDER BY m), string_agg(m::text, ',' ORDER BY m DESC), max(p), sum(p), avg(p)::numeric(4,2) FROM jt;
        SELECT m, p FROM jt WHERE m IN ('ok', 'sad') AND p BETWEEN 1 AND 5 ORDER BY p;
        SELECT DISTINCT m FROM jt ORDER BY m;
        SELECT m, count(*) FROM jt GROUP BY m ORDER BY m DESC;
        SELECT ms[2], array_length(ms, 1), 'ok' = ANY(ms) FROM jt ORDER BY m;
        SELECT format('%s-%s', m, p), concat(m, p), length(m::text) FROM jt ORDER BY m;
        UPDATE jt SET p = p + 1 RETURNING m, p;
        UPDATE jt SET p = p - 2 RETURNING m, p;
    """,
    "unsafe_new_values": r"""
        CREATE TYPE u1 AS ENUM ('a');
        BEGIN;
        ALTER TYPE u1 ADD VALUE 'b';
        SELECT 'a'::u1;
        SELECT 'b'::u1;
        ROLLBACK;
        BEGIN;
        CREATE TYPE u2 AS ENUM ('a');
        ALTER TYPE u2 ADD VALUE 'b';
        SELECT 'b'::u2;
        COMMIT;
        BEGIN;
        ALTER TYPE u1 ADD VALUE 'c';
        COMMIT;
        SELECT 'c'::u1, 'b'::u2;
        SELECT enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE typname = 'u1' ORDER BY 1;
        BEGIN;
        ALTER TYPE u1 ADD VALUE 'd';
        SELECT enum_range(NULL::u1);
        COMMIT;
    """,
    "regtype": r"""
        CREATE TYPE mood AS ENUM ('a');
        CREATE DOMAIN pi AS int;
        CREATE SCHEMA other;
        CREATE TYPE other.mood AS ENUM ('x');
        SELECT 'mood'::regtype, 'mood[]'::regtype, '_mood'::regtype, 'public.mood'::regtype,
               'other.mood'::regtype, 'pi'::regtype, 'other.mood[]'::regtype;
        SELECT 'nope'::regtype;
        SELECT to_regtype('mood'), to_regtype('nope'), pg_typeof('a'::mood), pg_typeof(ARRAY['a']::mood[]);
        SET search_path = other, public;
        SELECT 'mood'::regtype, 'public.mood'::regtype, format_type('public.mood'::regtype, NULL), 'x'::mood;
    """,
    "catalog_rows": r"""
        CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
        CREATE DOMAIN mail text NOT NULL DEFAULT 'x@y';
        CREATE DOMAIN short varchar(5);
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        SELECT t.typname, t.typtype, t.typcategory, t.typlen, t.typbyval, t.typalign, t.typstorage,
               t.typnotnull, t.typdefault, t.typtypmod, t.typndims, t.typcollation, t.typdelim,
               t.typrelid, t.typisdefined, n.nspname,
               (SELECT b.typname FROM pg_type b WHERE b.oid = t.typbasetype) AS base,
               (SELECT a.typname FROM pg_type a WHERE a.oid = t.typarray) AS arr,
               (SELECT e.typname FROM pg_type e WHERE e.oid = t.typelem) AS elem,
               format_type(t.oid, NULL) AS fmt, format_type(t.typbasetype, t.typtypmod) AS basefmt,
               pg_type_is_visible(t.oid) AS visible
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE t.typname IN ('posint', 'mail', 'short', 'mood', '_posint', '_mail', '_short', '_mood')
          ORDER BY t.typname;
        SELECT e.enumlabel, e.enumsortorder FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
          WHERE t.typname = 'mood' ORDER BY 2;
        CREATE TABLE crt (p posint, m mood, s short);
        SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.atttypmod, t.typname
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
          WHERE c.relname = 'crt' AND a.attnum > 0 ORDER BY a.attnum;
        CREATE SCHEMA other;
        CREATE TYPE other.mood AS ENUM ('x');
        CREATE DOMAIN other.od AS int;
        SELECT format_type(t.oid, NULL), pg_type_is_visible(t.oid) FROM pg_type t
          JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'other' ORDER BY 1;
        SELECT 'x'::other.mood, 3::other.od;
    """,
}

# psql's describe commands, after the catalog_rows script has run (PostgreSQL 15's psql)
DESCRIBE = [r"\dT", r"\dT+", r"\dD", r"\dD+", r"\d crt"]


def run_script(target, script: str, dbname: str = DATABASE) -> str:
    cmd = [require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(target.port), "-U", target.superuser,
           "-d", dbname, "-v", "ON_ERROR_STOP=0", "-v", "VERBOSITY=default", "-f", "-"]
    res = subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=60,
                         env={"PGTZ": "UTC", "PGDATESTYLE": "ISO, MDY", "LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    return res.stdout + "\n--stderr--\n" + res.stderr


def sqlstates(target, script: str, dbname: str) -> str:
    """The same script with SQLSTATEs shown (\\set VERBOSITY sqlstate)."""
    cmd = [require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(target.port), "-U", target.superuser,
           "-d", dbname, "-v", "ON_ERROR_STOP=0", "-v", "VERBOSITY=sqlstate", "-q", "-f", "-"]
    res = subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=60,
                         env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    return res.stderr


@pytest.fixture(scope="module")
def both(shared_server, pg15):
    """pgsvc and PostgreSQL 15, each with one fresh database per case."""
    for target in (shared_server, pg15):
        names = list(CASES) + ["describe"]
        script = "\n".join(f"DROP DATABASE IF EXISTS ut_{n};\nCREATE DATABASE ut_{n};" for n in names)
        run_script(target, script, dbname="postgres")
    return shared_server, pg15


def _script(name: str) -> str:
    return "\n".join(line.strip() for line in CASES[name].strip().splitlines())


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, both):
    ours, pg = both
    expected = run_script(pg, _script(name), dbname=f"ut_{name}")
    got = run_script(ours, _script(name), dbname=f"ut_{name}")
    assert got == expected


def test_same_sqlstates_as_postgres(both):
    """Every error of the scripts carries PostgreSQL's SQLSTATE (second run: objects exist)."""
    ours, pg = both
    for name in ("domains", "alter_domain", "enums", "drop_types"):
        assert sqlstates(ours, _script(name), f"ut_{name}") == sqlstates(pg, _script(name), f"ut_{name}")


def test_duplicate_enum_label_error(both):
    """PostgreSQL reports its pg_enum unique index (the OID in DETAIL is the new type's)."""
    script = "CREATE TYPE dup AS ENUM ('a', 'b', 'a');"
    for target in both:
        out = run_script(target, script, dbname="ut_enums")
        assert 'ERROR:  duplicate key value violates unique constraint "pg_enum_typid_label_index"' in out
        assert "DETAIL:  Key (enumtypid, enumlabel)=(" in out and ", a) already exists." in out
        assert sqlstates(target, script, "ut_enums").strip() == "psql:<stdin>:1: ERROR:  23505"


@pytest.mark.parametrize("command", DESCRIBE)
def test_psql_describe_same_as_postgres(command, both):
    ours, pg = both
    # one owner on both servers (their bootstrap superusers have different names)
    setup = ("CREATE ROLE ut_typeowner;\nGRANT CREATE ON DATABASE ut_describe TO ut_typeowner;\n"
             "GRANT CREATE ON SCHEMA public TO ut_typeowner;\nSET ROLE ut_typeowner;\n"
             + _script("catalog_rows") + "\nCOMMENT ON TYPE mood IS 'how it feels';\n"
             "COMMENT ON DOMAIN posint IS 'above zero';\n")
    for target in (ours, pg):
        if "mood" not in run_script(target, "SELECT typname FROM pg_type WHERE typname = 'mood'",
                                    dbname="ut_describe"):
            run_script(target, setup, dbname="ut_describe")
    assert run_script(ours, command, dbname="ut_describe") == run_script(pg, command, dbname="ut_describe")


# --- drivers --------------------------------------------------------------------------------

DRIVER_SETUP = """
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE DOMAIN mail AS text NOT NULL DEFAULT 'x@y';
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE drv (id posint PRIMARY KEY, m mood, ms mood[], e mail);
INSERT INTO drv VALUES (1, 'ok', '{sad,happy}', 'a@b'), (2, 'happy', NULL, DEFAULT), (3, NULL, '{}', 'c@d');
"""


@pytest.fixture(scope="module")
def drivers_db(shared_server):
    run_script(shared_server, "DROP DATABASE IF EXISTS ut_drivers;\nCREATE DATABASE ut_drivers;", dbname="postgres")
    out = run_script(shared_server, DRIVER_SETUP, dbname="ut_drivers")
    assert "ERROR" not in out, out
    return shared_server


def test_asyncpg_domain_and_enum_columns(drivers_db):
    asyncpg = pytest.importorskip("asyncpg")

    async def run():
        conn = await asyncpg.connect(host="127.0.0.1", port=drivers_db.port, user=drivers_db.superuser,
                                     database="ut_drivers")
        try:
            rows = await conn.fetch("SELECT id, m, ms, e FROM drv ORDER BY m NULLS FIRST")
            assert [tuple(r) for r in rows] == [(3, None, [], "c@d"), (1, "ok", ["sad", "happy"], "a@b"),
                                                (2, "happy", None, "x@y")]
            # parameters of enum and domain types, text and binary both ways
            row = await conn.fetchrow("SELECT $1::mood AS m, $2::posint AS p, $3::mood[] AS a", "sad", 7,
                                      ["ok", "happy"])
            assert tuple(row) == ("sad", 7, ["ok", "happy"])
            await conn.execute("INSERT INTO drv (id, m) VALUES ($1, $2)", 4, "sad")
            assert await conn.fetchval("SELECT max(m) FROM drv WHERE id IN (1, 4)") == "ok"
            with pytest.raises(asyncpg.CheckViolationError, match='value for domain posint violates check '
                                                                  'constraint "posint_check"'):
                await conn.execute("INSERT INTO drv (id) VALUES ($1)", 0)
            with pytest.raises(asyncpg.InvalidTextRepresentationError,
                               match='invalid input value for enum mood: "angry"'):
                await conn.fetchval("SELECT $1::mood", "angry")
            # asyncpg's own type introspection query over the user types' pg_type rows
            oids = [r["oid"] for r in await conn.fetch(
                "SELECT oid FROM pg_type WHERE typname IN ('posint', 'mood', '_mood', 'mail')")]
            found = await conn._introspect_types(oids, 10)
            rows = found[0] if isinstance(found, tuple) else found
            kinds = {r["name"]: (r["kind"], r["basetype"], r["elemtype"]) for r in rows}
            mood = await conn.fetchval("SELECT oid FROM pg_type WHERE typname = 'mood'")
            assert kinds["posint"] == (b"d", 23, 0)
            assert kinds["mail"] == (b"d", 25, 0)
            assert kinds["mood"] == (b"e", None, 0)
            assert kinds["_mood"] == (b"b", None, mood)
            # a composite type: asyncpg's introspection, binary output and input of it
            await conn.execute("CREATE TYPE pair AS (a int, b text)")
            assert tuple(await conn.fetchval("SELECT ROW(1, 'x y')::pair")) == (1, "x y")
            assert tuple(await conn.fetchval("SELECT $1::pair", (2, None))) == (2, None)
            assert await conn.fetchval("SELECT ($1::pair).b", (4, "w")) == "w"
        finally:
            await conn.close()
    asyncio.run(run())


def test_psycopg_typeinfo_and_enums(drivers_db):
    psycopg = pytest.importorskip("psycopg")
    from psycopg.types import TypeInfo
    from psycopg.types.enum import EnumInfo, register_enum

    with psycopg.connect(drivers_db.dsn(dbname="ut_drivers"), autocommit=True) as conn:
        oid, arr = conn.execute("SELECT oid, typarray FROM pg_type WHERE typname = 'mood'").fetchone()
        info = TypeInfo.fetch(conn, "mood")
        assert (info.name, info.oid, info.array_oid) == ("mood", oid, arr)
        dom = TypeInfo.fetch(conn, "posint")
        assert (dom.oid, dom.array_oid) == conn.execute(
            "SELECT oid, typarray FROM pg_type WHERE typname = 'posint'").fetchone()
        assert TypeInfo.fetch(conn, "no_such_type") is None
        enum = EnumInfo.fetch(conn, "mood")
        assert enum.labels == ["sad", "ok", "happy"]
        register_enum(enum, conn)
        got = conn.execute("SELECT m FROM drv WHERE id IN (1, 2) ORDER BY m DESC").fetchall()
        assert [r[0] for r in got] == [enum.enum["happy"], enum.enum["ok"]]
        for binary in (False, True):
            cur = conn.cursor(binary=binary)
            value = cur.execute("SELECT %s::mood", [enum.enum["happy"]]).fetchone()[0]
            assert value is enum.enum["happy"]
            cur.execute("SELECT ms FROM drv WHERE id = 1")
            assert [m.name for m in cur.fetchone()[0]] == ["sad", "happy"]
        with pytest.raises(psycopg.errors.NotNullViolation, match="domain mail does not allow null values"):
            conn.execute("INSERT INTO drv (id, e) VALUES (%s, NULL)", [9])


def test_row_description_sends_base_type_of_domains(both):
    """RowDescription: a domain column goes out as its base type (with the domain's typmod),
    an enum column as the enum's own OID, as PostgreSQL's printtup does."""
    psycopg = pytest.importorskip("psycopg")
    seen = []
    setup = ("CREATE DOMAIN posint AS integer CHECK (VALUE > 0);\nCREATE DOMAIN short varchar(5);\n"
             "CREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE TABLE crt (p posint, m mood, s short);\n")
    for target in both:
        run_script(target, "DROP DATABASE IF EXISTS ut_rowdesc;\nCREATE DATABASE ut_rowdesc;", dbname="postgres")
        run_script(target, setup, dbname="ut_rowdesc")
        with psycopg.connect(target.dsn(dbname="ut_rowdesc"), autocommit=True) as conn:
            cur = conn.execute("SELECT p, m, s, p::int8 AS q, m::text AS t FROM crt")
            names = {oid: name for oid, name in conn.execute("SELECT oid, typname FROM pg_type")}
            seen.append([(d.name, names[d.type_code], d.internal_size) for d in cur.description])
    assert seen[0] == seen[1]
    assert [t for _, t, _ in seen[0]] == ["int4", "mood", "varchar", "int8", "text"]


def test_parameter_description_names_domains(both):
    """A parameter assigned to a domain column or cast to a domain is described with the
    domain's OID (asyncpg then introspects the domain through typbasetype)."""
    psycopg = pytest.importorskip("psycopg")
    setup = ("CREATE DOMAIN posint AS integer CHECK (VALUE > 0);\nCREATE TYPE mood AS ENUM ('sad', 'ok');\n"
             "CREATE TABLE pt (p posint, m mood);\n")
    queries = [b"INSERT INTO pt (p, m) VALUES ($1, $2)", b"SELECT $1::posint, $2::mood", b"UPDATE pt SET p = $1",
               b"SELECT * FROM pt WHERE p = $1"]
    seen = []
    for target in both:
        run_script(target, "DROP DATABASE IF EXISTS ut_params;\nCREATE DATABASE ut_params;", dbname="postgres")
        run_script(target, setup, dbname="ut_params")
        with psycopg.connect(target.dsn(dbname="ut_params"), autocommit=True) as conn:
            names = dict(conn.execute("SELECT oid, typname FROM pg_type").fetchall())
            described = []
            for i, q in enumerate(queries):
                conn.pgconn.prepare(b"s%d" % i, q, None)
                res = conn.pgconn.describe_prepared(b"s%d" % i)
                described.append(([names[res.param_type(j)] for j in range(res.nparams)],
                                  [names[res.ftype(j)] for j in range(res.nfields)]))
            seen.append(described)
    assert seen[0] == seen[1]
    assert seen[0][0] == (["posint", "mood"], [])


def test_sqlalchemy_reflects_enums_and_domains(both):
    """SQLAlchemy 2's PostgreSQL inspector (get_enums / get_domains / get_columns) reads the
    same as from PostgreSQL 15."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    setup = ("CREATE DOMAIN posint AS integer CHECK (VALUE > 0);\n"
             "CREATE DOMAIN mail text NOT NULL DEFAULT 'x@y' CONSTRAINT mail_at CHECK (VALUE LIKE '%@%');\n"
             "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\nALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';\n"
             "CREATE TABLE st (id posint PRIMARY KEY, e mail, m mood, ms mood[]);\n")
    seen = []
    for target in both:
        run_script(target, "DROP DATABASE IF EXISTS ut_sqla;\nCREATE DATABASE ut_sqla;", dbname="postgres")
        run_script(target, setup, dbname="ut_sqla")
        engine = sqlalchemy.create_engine(
            f"postgresql+psycopg://{target.superuser}@127.0.0.1:{target.port}/ut_sqla")
        try:
            insp = sqlalchemy.inspect(engine)
            columns = [(c["name"], str(c["type"]), c["nullable"], c["default"]) for c in insp.get_columns("st")]
            seen.append((insp.get_enums(), insp.get_domains(), columns))
        finally:
            engine.dispose()
    assert seen[0] == seen[1]
    assert seen[0][0][0]["labels"] == ["sad", "meh", "ok", "happy"]
