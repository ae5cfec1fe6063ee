"""Range and multirange types side by side with PostgreSQL 15: catalog rows (pg_type,
pg_range, psycopg's RangeInfo/MultirangeInfo), text input and output (canonical forms,
quoting, errors with their SQLSTATE and detail), binary results and parameters through
psycopg's Range and Multirange, the functions and operators, range columns ordered, joined
and under a unique index, COPY in text and binary. Every expected value comes from the pg15
fixture at run time.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from conftest import PG15_BIN, cannot_run

psycopg = pytest.importorskip("psycopg")
range_mod = pytest.importorskip("psycopg.types.range")
multirange_mod = pytest.importorskip("psycopg.types.multirange")
Range, RangeInfo = range_mod.Range, range_mod.RangeInfo
Multirange, MultirangeInfo = multirange_mod.Multirange, multirange_mod.MultirangeInfo

UTC = dt.UTC


@pytest.fixture(scope="module")
def conns(shared_server, pg15):
    ours = psycopg.connect(f"host=127.0.0.1 port={shared_server.port} user={shared_server.superuser} "
                           "dbname=postgres", autocommit=True)
    ref = psycopg.connect(pg15.dsn(), autocommit=True)
    for c in (ours, ref):
        c.execute("SET timezone TO 'UTC'")
    yield ours, ref
    ours.close()
    ref.close()


def _run(conn, sql: str, params=None, binary: bool = False):
    try:
        with conn.cursor(binary=binary) as cur:
            cur.execute(sql, params)
            return ("ok", cur.fetchall() if cur.description else cur.statusmessage)
    except psycopg.Error as e:
        return ("error", e.sqlstate, e.diag.message_primary, e.diag.message_detail, e.diag.message_hint)


def same(conns, sql: str, params=None, binary: bool = False):
    ours, ref = conns
    expected = _run(ref, sql, params, binary)
    got = _run(ours, sql, params, binary)
    assert got == expected, f"{sql}\n  params={params}"
    return got


def both(conns, sql: str) -> None:
    for c in conns:
        c.execute(sql)


TYPES = ["int4range", "int8range", "numrange", "daterange", "tsrange", "tstzrange"]
MULTI = ["int4multirange", "int8multirange", "nummultirange", "datemultirange", "tsmultirange",
         "tstzmultirange"]


def test_catalog_rows(conns):
    same(conns, "SELECT t.oid, t.typname, t.typtype, t.typcategory, t.typarray, t.typalign, t.typstorage, "
                "r.rngsubtype, r.rngmultitypid, r.rngsubopc, r.rngcanonical::oid, r.rngsubdiff::oid "
                "FROM pg_type t JOIN pg_range r ON r.rngtypid = t.oid ORDER BY t.oid")
    same(conns, "SELECT t.oid, t.typname, t.typtype, t.typarray, a.typname, a.typelem, a.typcategory "
                "FROM pg_type t JOIN pg_type a ON a.oid = t.typarray "
                "WHERE t.typtype IN ('r', 'm') ORDER BY t.oid")
    for name in TYPES + MULTI + [n + "[]" for n in TYPES + MULTI]:
        same(conns, "SELECT %s::regtype::oid, format_type(%s::regtype, NULL), %s::regtype::text",
             (name, name, name))
    same(conns, "SELECT pg_typeof('[1,2)'::int4range), pg_typeof('{}'::int8multirange), "
                "pg_typeof(ARRAY['[1,2)'::numrange])")


@pytest.mark.parametrize("name", TYPES[:4])
def test_range_info_fetch(conns, name):
    got = []
    for c in conns:
        info = RangeInfo.fetch(c, name)
        multi = MultirangeInfo.fetch(c, name.replace("range", "multirange"))
        got.append((info.name, info.oid, info.array_oid, info.subtype_oid,
                    multi.name, multi.oid, multi.array_oid, multi.range_oid, multi.subtype_oid))
    assert got[0] == got[1]


TEXT_INPUTS = {
    "int4range": ["[1,5)", "[1,5]", "(1,5)", "(1,5]", "(1,2)", "[3,3)", "[3,3]", "(,)", "(,5]", "[5,)",
                  " [ 1 , 5 ] ", "empty", " EMPTY ", "[\"1\",\"5\"]", "[2147483646,2147483647)",
                  "[-2147483648,0]"],
    "int8range": ["(1,10000000000]", "[-9223372036854775808,)", "empty"],
    "numrange": ["[1.50,2.5)", "(,3]", "[1.5,1.5]", "(1.5,1.5)", "[1,NaN)", "[NaN,NaN]",
                 "(-Infinity,Infinity)", "[0.000,1e3]"],
    "daterange": ["[2000-01-01,2000-02-01]", "(2000-01-01,2000-01-02)", "(2000-01-01,2000-01-02]",
                  "[-infinity,infinity]", "(-infinity,infinity)", "[,2000-01-01]", "[\"Jan 5, 2001\",)"],
    "tsrange": ["[2000-01-01 10:00,2000-01-02)", "[2000-01-01,infinity]", "(,\"2000-01-01 10:00:00.5\"]",
                "[2000-01-01 10:00,2000-01-01 10:00]"],
    "tstzrange": ["[2000-01-01 10:00+02,2000-01-02)", "[\"2000-01-01 10:00:00 -08\",)", "empty"],
}

BAD_INPUTS = {
    "int4range": ["", "-[1,2)", "[1,2) x", "[1,2", "(,,2)", "[1,2,3)", "[a,2)", "[5,1)", "emptyx",
                  "(2147483647,)", "[1,2147483647]", "[\"1,2)"],
    "numrange": ["[2,1.5]", "[NaN,1)", "(1.5,abc)"],
    "daterange": ["[2000-02-01,2000-01-01]", "[2000-13-01,)"],
    "tstzrange": ["[2010-01-01 01:00:00 -08, 2010-01-01 02:00:00 -05)"],
}


@pytest.mark.parametrize("name", TYPES)
def test_text_io(conns, name):
    for text in TEXT_INPUTS[name]:
        # a NaN bound has no Python value equal to itself: its text only
        value = "" if "NaN" in text else f"%s::{name}, "
        params = (text, text) if "NaN" in text else (text, text, text)
        same(conns, f"SELECT {value}%s::{name}::text, isempty(%s::{name})", params)
    for text in BAD_INPUTS.get(name, []):
        same(conns, f"SELECT %s::{name}", (text,))


def test_multirange_text_io(conns):
    for text in ["{}", " { } ", "{[1,3),[3,5), (7,9]}", "{[5,7),[1,2)}", "{empty}", "{[1,2), empty, (3,4]}",
                 "{(,3),[2,10)}", "{[1,\"5\")}"]:
        same(conns, "SELECT %s::int4multirange, %s::int4multirange::text", (text, text))
    for text in ["{[1,2)}x", "[1,2)", "{[1,2) [3,4)}", "{,}", "{[1,2),}", "{[1,2)", "{[3,1)}", "{x}"]:
        same(conns, "SELECT %s::int4multirange", (text,))
    same(conns, "SELECT '{[2000-01-01,2000-01-05],[2000-01-06,2000-01-07)}'::datemultirange, "
                "'{[1.5,2),[2,3.25]}'::nummultirange, "
                "'{[\"2000-01-01 10:00\",\"2000-01-01 11:00\")}'::tsmultirange")


VALUES = [Range(1, 5), Range(None, 5, "(]"), Range(empty=True), Range(3, None, "()"),
          Range(Decimal("1.5"), Decimal("2.50"), "[]"), Range(dt.date(2000, 1, 1), dt.date(2000, 2, 1), "[]"),
          Range(dt.datetime(2000, 1, 1, 10), None), Range(None, None),
          Range(dt.datetime(2000, 1, 1, 10, tzinfo=UTC), dt.datetime(2000, 1, 2, 10, tzinfo=UTC)),
          Multirange([Range(1, 3), Range(2, 8), Range(10, 12)]), Multirange(),
          Multirange([Range(dt.date(2000, 1, 1), dt.date(2000, 1, 3)), Range(dt.date(2000, 1, 3), None)])]


@pytest.mark.parametrize("binary", [False, True])
def test_psycopg_round_trip(conns, binary):
    for v in VALUES:
        same(conns, "SELECT %s, %s::text", (v, v), binary=binary)
    for name in TYPES + MULTI:
        literal = "'{[1,3),[5,7)}'" if "multi" in name else "'[1,3)'"
        if name.startswith(("date", "ts")):
            literal = literal.replace("1", "2000-01-01").replace("3", "2000-01-03").replace(
                "5", "2000-01-05").replace("7", "2000-01-07")
        same(conns, f"SELECT {literal}::{name}, ARRAY[{literal}::{name}, NULL], 'empty'::{name.replace('multi', '')}",
             binary=binary)
    same(conns, "SELECT %b::int4range, %t::int4range, %b::int4multirange",
         (Range(3, 4, "[]"), Range(3, 4, "()"), Multirange([Range(5, 6), Range(1, 2)])), binary=binary)


def test_functions(conns):
    same(conns, "SELECT int4range(1, 5), int4range(1, 5, '[]'), int4range(NULL, 5, '()'), int4range(1, 1), "
                "numrange(1.5, NULL), daterange('2000-01-01', '2000-01-10', '(]'), "
                "tsrange('2000-01-01', '2000-01-02'), tstzrange('2000-01-01 00:00+00', NULL, '[]'), "
                "int8range(10000000000, 20000000000, '(]')")
    same(conns, "SELECT int4range(1, 5, 'x')")
    same(conns, "SELECT int4range(5, 1)")
    same(conns, "SELECT int4range(1, 5, NULL)")
    for r in ["int4range(1, 5)", "'empty'::int4range", "int4range(NULL, 5)", "numrange(1, 5, '[]')",
              "'(,)'::daterange", "'{[1,3),[5,7]}'::int4multirange", "'{}'::int4multirange",
              "'{(,3),[5,)}'::int8multirange"]:
        same(conns, f"SELECT lower({r}), upper({r}), isempty({r}), lower_inc({r}), upper_inc({r}), "
                    f"lower_inf({r}), upper_inf({r})")
    same(conns, "SELECT range_merge(int4range(1, 5), int4range(7, 8)), range_merge(int4range(1, 2), 'empty'), "
                "range_merge('{[1,3),[5,7)}'::int4multirange), range_merge('{}'::int4multirange)")
    same(conns, "SELECT int4multirange(), int4multirange(int4range(1, 2)), "
                "int4multirange(int4range(1, 2), int4range(2, 5), int4range(8, 9)), multirange(int4range(3, 4)), "
                "int4range(1, 2)::int4multirange, 'empty'::int4range::int4multirange")
    same(conns, "SELECT range_contains(int4range(1, 9), int4range(2, 3)), range_contains_elem(int4range(1, 9), 4), "
                "elem_contained_by_range(4, int4range(1, 3)), range_adjacent(numrange(2.0, 3.0, '(]'), "
                "numrange(1.0, 2.0, '(]')), range_minus(numrange(10.1, 12.2, '[]'), numrange(0.0, 120.2, '(]')), "
                "range_union(int4range(1, 3), int4range(3, 5)), range_intersect(int4range(1, 5), int4range(3, 9)), "
                "range_overlaps(int4range(1, 5), int4range(3, 9)), range_before(int4range(1, 5), int4range(5, 9))")
    same(conns, "SELECT multirange_contains_elem('{[1,3)}'::int4multirange, 2), "
                "multirange_overlaps_multirange('{[1,3)}'::int4multirange, '{[2,9)}'::int4multirange), "
                "range_overlaps_multirange(int4range(2, 3), '{[1,3)}'::int4multirange), "
                "multirange_contained_by_multirange('{[1,3)}'::int4multirange, '{[0,9)}'::int4multirange), "
                "multirange_union('{[1,3)}'::int4multirange, '{[3,5)}'::int4multirange), "
                "multirange_minus('{[1,9)}'::int4multirange, '{[3,5)}'::int4multirange)")
    same(conns, "SELECT array_agg(r ORDER BY r), array_agg(r ORDER BY r DESC) FROM "
                "(VALUES (numrange(5, 6)), (numrange(1, 2)), ('empty'), ('(,)')) v(r)")
    same(conns, "SELECT string_agg(m::text, ';' ORDER BY m) FROM "
                "(VALUES ('{[5,6)}'::int4multirange), ('{[1,2),[3,4)}'), ('{}')) v(m)")
    same(conns, "SELECT range_agg(r) OVER (ORDER BY r), range_intersect_agg(r) OVER (ORDER BY r ROWS BETWEEN "
                "1 PRECEDING AND CURRENT ROW) FROM (VALUES (int4range(1, 6)), (int4range(2, 4)), (int4range(5, 9))) v(r)")
    same(conns, "SELECT unnest('{[1,3),[5,7)}'::int4multirange)")
    same(conns, "SELECT u, upper(u) FROM unnest('{[2000-01-01,2000-01-03),[2000-02-01,2000-02-07)}'::datemultirange) "
                "WITH ORDINALITY AS x(u, n) ORDER BY n")
    same(conns, "SELECT range_agg(r), range_intersect_agg(r) FROM "
                "(VALUES (int4range(1, 5)), (int4range(3, 8)), (NULL)) v(r)")
    same(conns, "SELECT range_agg(r) FROM (VALUES (int4range(1, 5)), (int4range(7, 8)), ('empty')) v(r)")
    same(conns, "SELECT range_agg(r), range_intersect_agg(r) FROM (VALUES ('empty'::int4range), (NULL)) v(r)")
    same(conns, "SELECT range_agg(r), range_intersect_agg(r) FROM (VALUES (NULL::int4range), (NULL)) v(r)")
    same(conns, "SELECT range_agg(m), range_intersect_agg(m) FROM "
                "(VALUES ('{[1,5),[8,9)}'::int4multirange), ('{[3,10)}')) v(m)")


RANGES = ["int4range(1, 5)", "int4range(3, 8)", "int4range(5, 8)", "int4range(0, 10)", "'empty'::int4range",
          "int4range(NULL, 3)", "int4range(2, NULL)", "int4range(6, 7)"]


def test_range_operators(conns):
    ops = ["=", "<>", "<", "<=", ">", ">=", "@>", "<@", "&&", "<<", ">>", "&<", "&>", "-|-"]
    for a in RANGES:
        for b in RANGES:
            same(conns, "SELECT " + ", ".join(f"{a} {op} {b}" for op in ops))
            for op in ("+", "*", "-"):
                same(conns, f"SELECT {a} {op} {b}")
        same(conns, f"SELECT {a} @> 3, {a} @> 5, 1 <@ {a}")
    same(conns, "SELECT numrange(1.0, 2.0) -|- numrange(2.0, 3.0, '[]'), numrange(2.0, 3.0, '[]') -|- "
                "numrange(3.0, 4.0, '()'), numrange(1.1, 2.2) - numrange(2.0, 3.0), numrange(4.5, 5.5, '[]') && "
                "numrange(5.5, 6.5), numrange(1, 5) @> 2.5, tsrange('2000-01-01', '2000-01-02') @> "
                "'2000-01-01 10:00'::timestamp, daterange('2000-01-01', NULL) @> '2000-03-01'::date")


MULTIS = ["'{[1,3),[5,7)}'::int4multirange", "'{[2,6)}'::int4multirange", "'{}'::int4multirange",
          "'{(,2),[10,)}'::int4multirange", "'{[7,9)}'::int4multirange"]


def test_multirange_operators(conns):
    ops = ["=", "<>", "<", ">=", "@>", "<@", "&&", "<<", ">>", "&<", "&>", "-|-"]
    for a in MULTIS:
        for b in MULTIS:
            same(conns, "SELECT " + ", ".join(f"{a} {op} {b}" for op in ops + ["+", "*", "-"]))
        for r in ("int4range(2, 3)", "int4range(3, 5)", "'empty'::int4range"):
            same(conns, "SELECT " + ", ".join(f"{a} {op} {r}, {r} {op} {a}" for op in ops[4:]))
        same(conns, f"SELECT {a} @> 2, 6 <@ {a}")


def test_columns_order_and_unique_index(conns):
    both(conns, "DROP TABLE IF EXISTS rt")
    both(conns, "CREATE TABLE rt (id int, r int4range, n numrange, d daterange, t tstzrange, m int4multirange)")
    rows = [(1, "[5,10)", "[1.50,2)", "[2000-01-01,2000-01-05)", "[2000-01-01 00:00+00,)", "{[1,2),[5,7)}"),
            (2, "empty", "[1.5,2)", "empty", "(,)", "{}"),
            (3, "(,10)", "[1,2]", "(,2000-01-01)", "empty", "{(,3)}"),
            (4, "[5,11)", "(1,2)", "[2000-01-01,)", "[2000-01-01 00:00+00,2000-01-01 00:00+00]", "{[1,2)}"),
            (5, "[4,)", "(,)", "[1999-12-31,2000-01-05]", "(,2000-01-01 00:00+00]", "{[1,2),[5,6)}"),
            (6, "(,)", "[-1,1e2]", "(,)", "[2000-01-01 00:00+01,2000-01-01 00:00+00]", "{[0,)}")]
    for c in conns:
        with c.cursor() as cur:
            cur.executemany("INSERT INTO rt VALUES (%s, %s, %s, %s, %s, %s)", rows)
    for col in ("r", "n", "d", "t", "m"):
        same(conns, f"SELECT id, {col} FROM rt ORDER BY {col}, id")
        same(conns, f"SELECT id, {col} FROM rt ORDER BY {col} DESC, id")
        same(conns, f"SELECT a.id, b.id FROM rt a JOIN rt b ON a.{col} = b.{col} ORDER BY 1, 2")
        same(conns, f"SELECT a.id, b.id FROM rt a JOIN rt b ON a.{col} < b.{col} ORDER BY 1, 2")
    same(conns, "SELECT id FROM rt WHERE r @> 7 ORDER BY id")
    same(conns, "SELECT id FROM rt WHERE r && int4range(9, 10) ORDER BY id")
    same(conns, "SELECT id FROM rt WHERE n = numrange(1.5, 2.00) ORDER BY id")
    same(conns, "SELECT DISTINCT n FROM rt ORDER BY n")
    same(conns, "SELECT n, count(*) FROM rt GROUP BY n ORDER BY n")
    same(conns, "CREATE UNIQUE INDEX rt_r ON rt (r)")
    same(conns, "INSERT INTO rt (id, r) VALUES (9, '[5,9]')")
    same(conns, "INSERT INTO rt (id, r) VALUES (10, '[5,9)')")
    same(conns, "SELECT id, r FROM rt WHERE r = '[5,10)' ORDER BY id")
    both(conns, "DROP TABLE rt")


def test_gist_indexes(conns):
    """GiST indexes of range and multirange columns (a SQLite index in range order serves
    them): catalog rows, definitions, and the refusals for other types and UNIQUE."""
    both(conns, "DROP TABLE IF EXISTS rng_gist")
    for sql in ["CREATE TABLE rng_gist (id int, r int4range, m int4multirange, d daterange)",
                "CREATE INDEX rng_gist_r ON rng_gist USING gist (r)", "CREATE INDEX ON rng_gist USING gist (m, d)",
                "CREATE UNIQUE INDEX rng_gist_u ON rng_gist USING gist (r)",
                "CREATE INDEX rng_gist_i ON rng_gist USING gist (id)",
                "SELECT c.relname, am.amname, pg_get_indexdef(c.oid), oc.opcname, c.reloptions FROM pg_class c "
                "JOIN pg_am am ON am.oid = c.relam JOIN pg_index i ON i.indexrelid = c.oid "
                "JOIN pg_opclass oc ON oc.oid = i.indclass[0] WHERE c.relname LIKE 'rng_gist%' ORDER BY 1",
                "INSERT INTO rng_gist VALUES (1, '[1,5)', '{[1,2)}', '[2000-01-01,2000-02-01)'), (2, '[3,9)', '{}', "
                "'empty')",
                "SELECT id FROM rng_gist WHERE r && int4range(4, 5) ORDER BY id"]:
        same(conns, sql)
    both(conns, "DROP TABLE rng_gist")


def test_copy_text_and_binary(conns):
    out = []
    for c in conns:
        c.execute("DROP TABLE IF EXISTS rc")
        c.execute("CREATE TABLE rc (r int4range, m datemultirange, t tstzrange, n numrange[])")
        with c.cursor().copy("COPY rc FROM STDIN") as cp:
            cp.write_row((Range(1, 2), Multirange([Range(dt.date(2000, 1, 1), dt.date(2000, 1, 5))]),
                          Range(None, None), [Range(Decimal("1.5"), Decimal(2))]))
            cp.write(b"(3,8]\t{[2000-01-01,2000-01-05],[2000-01-06,)}\t[\"2000-01-01 10:00+02\",)\t"
                     b"{\"[1,2)\",empty}\n")
        with c.cursor().copy("COPY rc FROM STDIN (FORMAT binary)") as cp:
            cp.set_types(["int4range", "datemultirange", "tstzrange", "numrange[]"])
            cp.write_row((Range(5, 9, "[]"), Multirange(), Range(dt.datetime(2000, 1, 1, tzinfo=UTC), None),
                          None))
        with c.cursor().copy("COPY rc TO STDOUT") as cp:
            text = b"".join(bytes(b) for b in cp)
        with c.cursor().copy("COPY rc TO STDOUT (FORMAT binary)") as cp:
            cp.set_types(["int4range", "datemultirange", "tstzrange", "numrange[]"])
            rows = list(cp.rows())
        out.append((text, rows))
        c.execute("DROP TABLE rc")
    assert out[0] == out[1]


def test_user_defined_range_types(conns):
    for c in conns:
        c.execute("DROP TYPE IF EXISTS rng_textrange CASCADE")
        c.execute("DROP TYPE IF EXISTS rng_f8 CASCADE")
        c.execute("DROP TABLE IF EXISTS rng_user")
    same(conns, 'CREATE TYPE rng_textrange AS RANGE (subtype = text, collation = "C")')
    same(conns, "CREATE TYPE rng_f8 AS RANGE (subtype = float8, subtype_diff = float8mi, "
                "multirange_type_name = rng_f8_multi)")
    same(conns, "CREATE TYPE rng_bad AS RANGE (collation = \"C\")")
    same(conns, "SELECT t.typname, t.typtype, t.typcategory, a.typname, r.rngsubtype::regtype, "
                "r.rngmultitypid::regtype, r.rngcollation FROM pg_type t JOIN pg_range r ON r.rngtypid = t.oid "
                "JOIN pg_type a ON a.oid = t.typarray WHERE t.typname LIKE 'rng\\_%' ORDER BY 1")
    for text in ["[a,z)", " ( \" a \" \" a \", \" z \" \" z \" )  ", "[\",\",\",\"]", "[\"\\\\\",\"\\\\\"]",
                 "(!,()", "[a,a)", "(,z]", "[z,a]", "(,,a)", "[\"\",\"\"]"]:
        same(conns, "SELECT %s::rng_textrange, %s::rng_textrange::text", (text, text))
    for text in ["{[a,c),[b,e]}", "{(),a)}", "{[\"a,b\",c), [x,y]}", "{}"]:
        same(conns, "SELECT %s::rng_textmultirange", (text,))
    same(conns, "SELECT rng_textrange('a', 'c'), rng_textrange('a', NULL, '[]'), rng_textrange('a', 'c') @> 'b'::text, "
                "lower(rng_textrange('a', 'c')), rng_textmultirange(rng_textrange('a', 'c'), rng_textrange('f', 'g')), "
                "rng_textrange('a', 'c')::rng_textmultirange, rng_textrange('a', 'c') && rng_textrange('b', 'd')")
    same(conns, "SELECT unnest(rng_textmultirange(rng_textrange('a', 'b'), rng_textrange('d', 'e')))")
    same(conns, "SELECT '[123.001, 5.e9)'::rng_f8 @> 888.882::float8, rng_f8(-100.00007, '1.111113e9'), "
                "'[-Infinity,NaN]'::rng_f8, '{[1,2),[2,3.5]}'::rng_f8_multi")
    same(conns, "CREATE TABLE rng_user (id int, r rng_textrange, m rng_textmultirange)")
    for c in conns:
        with c.cursor() as cur:
            cur.executemany("INSERT INTO rng_user VALUES (%s, %s, %s)",
                            [(1, "[b,c)", "{[a,b)}"), (2, "[a,c)", "{}"), (3, "(,z)", "{[\"a,b\",c)}"),
                             (4, "empty", "{[x,y]}"), (5, "[\" \",b]", "{(,)}")])
    same(conns, "SELECT * FROM rng_user ORDER BY r, id")
    same(conns, "SELECT * FROM rng_user ORDER BY m, id")
    same(conns, "SELECT id FROM rng_user WHERE r @> 'bb'::text ORDER BY id")
    for binary in (False, True):
        same(conns, "SELECT r, m FROM rng_user ORDER BY id", binary=binary)
    same(conns, "DROP TYPE rng_textrange")
    same(conns, "DROP TABLE rng_user")
    same(conns, "DROP TYPE rng_textrange")
    same(conns, "SELECT '{}'::rng_textmultirange")
    same(conns, "DROP TYPE rng_f8")
    same(conns, "CREATE TYPE rng_cash AS RANGE (subtype = money)")
    same(conns, "SELECT '(2,5)'::rng_cash, rng_cash('$1.50', '$3') @> '2'::money, '{[1,2),[2,3)}'::rng_cashmultirange")
    same(conns, "DROP TYPE rng_cash")
    # no canonical function: '[1,2]' stays as it is, unlike int4range's
    same(conns, "CREATE TYPE rng_int AS RANGE (subtype = int4)")
    same(conns, "SELECT '[1,2]'::rng_int, rng_int(1, 5, '(]'), '(1,2)'::rng_int, '[1,1)'::rng_int, "
                "'{[1,2],[3,4]}'::rng_intmultirange, rng_int(1, 2) -|- rng_int(2, 3), "
                "rng_int(1, 3, '[]') -|- rng_int(4, 5), rng_int(1, 3) + rng_int(3, 5)")
    same(conns, "DROP TYPE rng_intmultirange")
    same(conns, "ALTER TYPE rng_int RENAME TO rng_int2")
    same(conns, "SELECT '[1,2]'::rng_int2, '{[1,2]}'::rng_intmultirange")
    same(conns, "DROP TYPE rng_int2")


def test_ranges_and_domains(conns):
    """A range type over a domain (not made canonical: it has no canonical function), the
    domain's DROP refused while the range type uses it and cascading to it; a domain over
    a range type checking its values."""
    for c in conns:
        c.execute("DROP DOMAIN IF EXISTS rng_dom CASCADE")
        c.execute("DROP DOMAIN IF EXISTS rng_tdom CASCADE")
        c.execute("DROP DOMAIN IF EXISTS rng_restricted")
    for sql in ["CREATE DOMAIN rng_dom AS int4", "CREATE TYPE rng_domrange AS RANGE (subtype = rng_dom)",
                "SELECT '[4,50)'::rng_domrange @> 7::rng_dom, '(4,50]'::rng_domrange, rng_domrange(1, 5, '(]')",
                "SELECT r.rngsubtype::regtype, r.rngsubopc FROM pg_range r WHERE rngtypid = 'rng_domrange'::regtype",
                "DROP DOMAIN rng_dom", "DROP DOMAIN rng_dom CASCADE", "SELECT 'x'::rng_domrange",
                "CREATE DOMAIN rng_tdom AS text CHECK (VALUE <> 'x')",
                "CREATE TYPE rng_tdomrange AS RANGE (subtype = rng_tdom)",
                "SELECT '[a,\"b c\")'::rng_tdomrange, rng_tdomrange('a', 'b') @> 'aa'::rng_tdom",
                "DROP DOMAIN rng_tdom CASCADE",
                "CREATE DOMAIN rng_restricted AS int4range CHECK (upper(VALUE) < 10)",
                "SELECT '[4,5)'::rng_restricted @> 7", "SELECT '[4,50)'::rng_restricted @> 7",
                "DROP DOMAIN rng_restricted"]:
        same(conns, sql)


def test_polymorphic_routines(conns):
    """SQL and PL/pgSQL functions over anyrange and anymultirange: anyelement is the
    subtype, anyrange the range over it; a result of type anyrange needs a range input."""
    for c in conns:
        for f in ("rng_bounds(anyrange)", "rng_merge3(anymultirange)", "rng_multi(anyrange)",
                  "rng_arr(anyarray, anyrange)", "rng_plpgsql(anyrange)", "rng_bogus(anyelement)"):
            c.execute(f"DROP FUNCTION IF EXISTS {f}")
    for sql in ["CREATE FUNCTION rng_bounds(anyrange) RETURNS anyelement AS 'SELECT lower($1) + upper($1)' "
                "LANGUAGE sql",
                "SELECT rng_bounds(int4range(1, 17)), rng_bounds(numrange(1.0001, 123.123))",
                "CREATE FUNCTION rng_merge3(i anymultirange, OUT r anyrange, OUT t text) "
                "AS $$ SELECT range_merge($1), 'foo'::text $$ LANGUAGE sql",
                "SELECT * FROM rng_merge3(int4multirange(int4range(1, 2), int4range(5, 6)))",
                "CREATE FUNCTION rng_multi(i anyrange, OUT r anymultirange, OUT t text) "
                "AS $$ SELECT multirange($1), 'foo'::text $$ LANGUAGE sql",
                "SELECT * FROM rng_multi(int4range(1, 2))",
                "CREATE FUNCTION rng_arr(a anyarray, r anyrange) RETURNS anyelement AS 'SELECT $1[1] + lower($2)' "
                "LANGUAGE sql",
                "SELECT rng_arr(ARRAY[1, 2], int4range(10, 20))", "SELECT rng_arr(ARRAY[1, 2], numrange(10, 20))",
                "CREATE FUNCTION rng_plpgsql(i anyrange) RETURNS anymultirange "
                "AS $$ BEGIN RETURN multirange($1); END; $$ LANGUAGE plpgsql",
                "SELECT rng_plpgsql(int4range(1, 4))",
                "CREATE FUNCTION rng_bogus(anyelement) RETURNS anyrange AS 'SELECT int4range(1, 10)' LANGUAGE sql"]:
        same(conns, sql)


def test_pg_dump_of_ranges(conns, shared_server, pg15):
    """PostgreSQL 15's pg_dump reads a user-defined range type (pg_range joined with
    pg_opclass) and range columns from pgsvc as it does from PostgreSQL."""
    pg_dump = PG15_BIN / "pg_dump"
    if not pg_dump.exists():
        cannot_run("needs PostgreSQL 15's pg_dump in /usr/lib/postgresql/15/bin")
    both(conns, "DROP DATABASE IF EXISTS rng_dump")
    both(conns, "CREATE DATABASE rng_dump")
    dsns = [shared_server.dsn(dbname="rng_dump"), pg15.dsn(dbname="rng_dump")]
    outs = []
    for dsn in dsns:
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("CREATE TYPE tr AS RANGE (subtype = text)")
            c.execute("CREATE TABLE t (id int, r int4range, m datemultirange, x tr, y tr_multirange, a numrange[])")
            c.execute("INSERT INTO t VALUES (1, '[1,5)', '{[2000-01-01,2000-02-01)}', '[a,\"b c\")', "
                      "'{[a,b),[c,d]}', '{\"[1,2)\",empty}')")
        done = subprocess.run([str(pg_dump), "--no-owner", "-d", dsn], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        outs.append([ln for ln in done.stdout.splitlines() if ln and not ln.startswith(("--", "\\restrict",
                                                                                         "\\unrestrict"))])
    both(conns, "DROP DATABASE rng_dump")
    assert outs[0] == outs[1]
