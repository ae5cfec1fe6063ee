"""Wrong answers psycopg 3's test suite found (issue 18), side by side with PostgreSQL 15:
POSIX time zones and AT TIME ZONE, timetz 24:00, unary minus, array text I/O (separators,
whitespace, float4, box, infinities), client encodings, transaction characteristics and
pg_typeof's regtype. Every expected value comes from the pg15 fixture at run time.

One pgsvc server (shared_server) and one PostgreSQL (pg15) for the module; each test runs
the same statements on both over psycopg and compares rows (as the text PostgreSQL sends),
or SQLSTATE and message for statements that must fail.
"""

from __future__ import annotations

import asyncio
import os
import struct
import subprocess

import pytest

from tests.integration import pgwire

psycopg = pytest.importorskip("psycopg")
TextLoader = pytest.importorskip("psycopg.types.string").TextLoader


def _text_everything(conn) -> None:
    """Load every column as the text the server sent (no Python value hides a difference)."""
    for oid in range(1, 10000):
        conn.adapters.register_loader(oid, TextLoader)


@pytest.fixture(scope="module")
def conns(shared_server, pg15):
    ours = psycopg.connect(shared_server.dsn(), autocommit=True)
    ref = psycopg.connect(pg15.dsn(), autocommit=True)
    for conn in (ours, ref):
        _text_everything(conn)
    yield ours, ref
    ours.close()
    ref.close()


def _run(conn, sql: str, params=None):
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            if cur.description:
                return ("ok", cur.fetchall(), [d.type_code for d in cur.description])
            return ("ok", cur.statusmessage)
    except psycopg.Error as e:
        return ("error", e.sqlstate, str(e.diag.message_primary), e.diag.message_detail)


def same(conns, sql: str, params=None):
    ours, ref = conns
    expected = _run(ref, sql, params)
    got = _run(ours, sql, params)
    assert got == expected, f"{sql}\n  params={params}"
    return got


def setting(conns, sql: str) -> None:
    for c in conns:
        c.execute(sql)


# --- time zones -------------------------------------------------------------------------------

# every way of naming a zone: ISO-looking strings that are POSIX (offsets west of UTC),
# bare numbers (hours east, SQL's sign), POSIX names with and without DST rules, zone files
# in any case, and names PostgreSQL refuses
ZONE_SETTINGS = [
    "'-02:00'", "'+3'", "-5", "5.5", "'+5.5'", "'10'", "'-15'", "'1e1'", "' 5'", "'0x10'", "'inf'", "'nan'",
    "168", "'UTC+3'", "'utc-3'", "'GMT+0'", "'EST5EDT'", "'est5edt'", "'PST8PDT'", "'FOO5BAR'",
    "'FOO5BAR,M3.2.0,M11.1.0'", "'FOO5BAR,J60/1,300/-1'", "'<+05>-05'", "'<abc>5<def>4'", "'JST-9'",
    "'A B5'", "'5:30'", "'utc'", "'UTC'", "'GMT'", "'america/new_york'", "'Zulu'", "'Etc/GMT+3'",
    "'EST'", "'Z'", "'XYZ'", "'America'", "'../UTC'", "'/UTC'", "'Etc//UTC'", "'zone.tab'", "''",
    "'+02:30:15'", "'right/UTC'", "'UTC+168'", "INTERVAL '-08:00' HOUR TO MINUTE", "INTERVAL '+05:30'",
    "INTERVAL '01:02:03'", "INTERVAL '1 day'", "INTERVAL '1 month'", "INTERVAL '200 hours'", "INTERVAL '5' HOUR",
    "INTERVAL '-1:30' HOUR TO MINUTE", "INTERVAL '1:30:45' HOUR TO MINUTE", "INTERVAL '3' DAY", "LOCAL",
    "DEFAULT",
]

ZONE_PROBES = (
    "SELECT '2000-01-02 03:04:05'::timestamptz::text, '2000-07-02 03:04:05'::timestamptz::text, "
    "'2000-07-02 03:04:05+00'::timestamptz::text, to_char('2000-07-02 03:04:05+00'::timestamptz, 'TZ tz OF'), "
    "to_char('2000-01-02 03:04:05+00'::timestamptz, 'TZ OF TZH:TZM'), '03:04:05'::timetz::text, "
    "('2000-07-02 03:04:05'::timestamp AT TIME ZONE current_setting('TimeZone'))::text, "
    "extract(timezone from '2000-07-02 03:04:05'::timestamptz)::text"
)


@pytest.mark.parametrize("value", ZONE_SETTINGS)
def test_set_time_zone_forms(conns, value):
    setting(conns, "SET TIME ZONE 'UTC'")
    result = same(conns, f"SET TIME ZONE {value}")
    default = value in ("LOCAL", "DEFAULT")  # the server's default zone is configuration
    if not default:
        same(conns, "SHOW timezone")
    if result[0] == "ok":
        ours, ref = conns
        if not default:
            assert ours.info.parameter_status("TimeZone") == ref.info.parameter_status("TimeZone")
        for style in ("ISO, MDY", "SQL, DMY", "Postgres, MDY", "German"):
            setting(conns, f"SET DateStyle = '{style}'")
            same(conns, ZONE_PROBES)
        setting(conns, "RESET DateStyle")
    setting(conns, "SET TIME ZONE 'UTC'")


def test_set_timezone_spellings(conns):
    """SET timezone TO / = and set_config agree with SET TIME ZONE, and ParameterStatus
    carries the canonical name."""
    for sql in ("SET timezone TO '-02:00'", "SET timezone = 'america/chicago'",
                "SELECT set_config('timezone', 'est5edt', false)", "SET TIME ZONE 3"):
        same(conns, sql)
        same(conns, "SHOW timezone")
        same(conns, "SELECT current_setting('TimeZone'), '2000-01-02 03:04:05'::timestamptz::text")
        ours, ref = conns
        assert ours.info.parameter_status("TimeZone") == ref.info.parameter_status("TimeZone")
    setting(conns, "SET TIME ZONE 'UTC'")


AT_ZONES = ["-02:00", "+3", "UTC+3", "utc-3", "GMT-3", "EST5EDT", "FOO5BAR", "JST-9", "<+05>-05", "-5", "5.5",
            "EST", "est", "America/New_York", "america/new_york", "Etc/GMT+3", "+02:30:15", "UTC", "Z", "zulu",
            "pst8pdt", "FOO5BAR,M3.2.0,M11.1.0", "10", "GMT", "Asia/Kolkata"]


@pytest.mark.parametrize("session_zone", ["UTC", "Europe/Berlin", "-02:00"])
def test_at_time_zone_text(conns, session_zone):
    setting(conns, f"SET TIME ZONE '{session_zone}'")
    for when in ("2000-01-02 03:04:05", "2000-07-02 03:04:05", "2021-03-14 07:30:00", "2021-11-07 06:30:00"):
        same(conns, "SELECT z, (%s::timestamptz AT TIME ZONE z)::text, (%s::timestamp AT TIME ZONE z)::text, "
                    "timezone(z, %s::timestamp)::text FROM unnest(%s::text[]) AS z",
             (when, when, when, AT_ZONES))
    same(conns, "SELECT z, ('03:04:05+00'::timetz AT TIME ZONE z)::text FROM unnest(%s::text[]) AS z "
                "WHERE z NOT IN ('America/New_York', 'america/new_york', 'EST5EDT', 'FOO5BAR', 'pst8pdt', "
                "'FOO5BAR,M3.2.0,M11.1.0')", (AT_ZONES,))
    same(conns, "SELECT '2000-07-02 03:04:05+00'::timestamptz AT TIME ZONE 'Foo/Bar'")
    same(conns, "SELECT 'infinity'::timestamp AT TIME ZONE 'EST5EDT', '-infinity'::timestamptz AT TIME ZONE 'UTC+3'")
    setting(conns, "SET TIME ZONE 'UTC'")


def test_at_time_zone_interval(conns):
    zones = ["-02:00", "+03:30", "1.5 seconds", "-1.5 seconds", "-00:00:00.5", "15:59:59"]
    same(conns, "SELECT i::text, ('2000-01-02 03:04:05+00'::timestamptz AT TIME ZONE i)::text, "
                "('2000-01-02 03:04:05'::timestamp AT TIME ZONE i)::text, ('03:04:05+00'::timetz AT TIME ZONE i)::text "
                "FROM unnest(%s::interval[]) AS i", (zones,))
    same(conns, "SELECT now() AT TIME ZONE INTERVAL '1 day'")
    same(conns, "SELECT '2000-01-01'::timestamp AT TIME ZONE INTERVAL '1 mon'")


def test_zone_names_in_input(conns):
    setting(conns, "SET TIME ZONE 'UTC'")
    for text in ("2000-01-01 00:00 UTC+3", "2000-01-01 00:00 +3", "2000-01-01 00:00 EST5EDT",
                 "2000-01-01 00:00 GMT-3", "2000-01-01 00:00 JST-9", "2000-01-01 00:00 FOO5BAR",
                 "2000-07-01 00:00 america/new_york", "2000-07-01 00:00 America/New_York",
                 "2000-01-01 00:00 Foo/Bar", "2000-01-01 00:00 XyzW", "2000-01-01 00:00 <+05>-05"):
        same(conns, "SELECT %s::timestamptz::text", (text,))
    same(conns, "SELECT '12:00 EST5EDT'::timetz::text, '12:00 UTC+3'::timetz::text")


def test_timetz_and_time_keep_24_00(conns):
    setting(conns, "SET TIME ZONE 'UTC'")
    same(conns, "SELECT '24:00'::timetz::text, '24:00'::time::text, '24:00:00+05'::timetz::text, "
                "'24:00-03'::timetz::text, '24:00:00.5'::timetz")
    same(conns, "SELECT '24:00'::timetz, '24:00'::time, '24:00+02'::timetz = '00:00+02'::timetz, "
                "'24:00+02'::timetz > '23:59+02'::timetz, ('24:00+05'::timetz)::time::text, "
                "'24:00'::time::timetz::text, array['24:00'::timetz]::text")
    ours, ref = conns
    for conn in conns:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS t24 (a timetz, b time)")
        conn.execute("DELETE FROM t24")
        conn.execute("INSERT INTO t24 VALUES ('24:00+01', '24:00'), ('12:00', '12:00'), (%s, %s)",
                     ("24:00:00-02", "24:00:00"))
    same(conns, "SELECT a::text, b::text FROM t24 ORDER BY 1")
    # binary results: the same bytes
    got = [c.pgconn.exec_params(b"SELECT a, b FROM t24 ORDER BY a::text", [], result_format=1)
           for c in (ours, ref)]
    assert [[r.get_value(i, j) for i in range(r.ntuples) for j in range(2)] for r in got][0] == \
           [[r.get_value(i, j) for i in range(r.ntuples) for j in range(2)] for r in got][1]


# --- unary minus and plus ---------------------------------------------------------------------

SIGNED = [
    "-1267650600228229401496703205376", "-1267650600228229401496703205376.5", "+1267650600228229401496703205376",
    "-(1267650600228229401496703205376::numeric)", "-'1267650600228229401496703205376'::numeric",
    "-9223372036854775808", "-2147483648", "- 2147483648", "1 -2147483648", "-32768", "-(-2147483648)",
    "-9223372036854775807", "-9223372036854775809", "- 9223372036854775808", "2 - 9223372036854775808",
    "-'NaN'::float8", "-'NaN'::float4", "-'NaN'::numeric", "+'NaN'::float8", "@'NaN'::float8", "@'NaN'::float4",
    "@'NaN'::numeric", "-'inf'::float8", "-'-inf'::float4", "-'-inf'::numeric", "@'-inf'::float8",
    "-0.0::float8", "-(0::float4)", "-0::numeric", "-0.0", "@-0.0::float8", "-(1.5::float4)",
    "-1.17549435e-38::float4", "-1.5e-45::float4", "-1e308::float8", "@-1267650600228229401496703205376.5",
    "-(-9223372036854775808::int8)", "-(-2147483648::int4)", "-(-32768::int2)", "@(-32768::int2)",
    "@(-9223372036854775808::int8)", "+(-32768::int2)", "-interval '1 day 2 hours'", "-1e400::float8",
    "1e400::float8", "1e-400::float8", "1e39::float4", "-1e39::float4", "1e-50::float4", "1e-40::float4",
    "3.4028235e38::float4", "3.4028236e38::float4", "1e300::float8::float4", "1e-300::float8::float4",
    "'inf'::float8::float4", "1e-40::float8::float4", "'NaN'::numeric::float4", "'-inf'::numeric::float8",
    "- '5'", "+ '5'", "@ '5'", "~ '5'", "-NULL", "-'1'::money",
]


@pytest.mark.parametrize("expr", SIGNED)
def test_unary_minus_and_plus(conns, expr):
    same(conns, f"SELECT {expr}, pg_typeof({expr})")
    # through the extended protocol (literals lifted into parameters)
    same(conns, f"SELECT {expr} AS v WHERE %s = 1", (1,))


def test_unary_minus_over_columns(conns):
    same(conns, "SELECT x, -x, @x, +x FROM (VALUES ('NaN'::float8), ('-0'), ('1e308'), ('-inf'), (NULL)) v(x)")
    same(conns, "SELECT x, -x, @x, +x FROM (VALUES ('NaN'::float4), ('-0'), ('3e38'), ('inf'), (NULL)) v(x)")
    same(conns, "SELECT x, -x, @x FROM (VALUES ('NaN'::numeric), ('-0'), ('1e-100'), "
                "('-12345678901234567890123456789012345.000100'), ('inf'), (NULL)) v(x)")
    for typ, low in (("int2", "-32768"), ("int4", "-2147483648"), ("int8", "-9223372036854775808")):
        same(conns, f"SELECT -x FROM (VALUES ({low}::{typ})) v(x)")
        same(conns, f"SELECT @x FROM (VALUES ({low}::{typ})) v(x)")
        same(conns, f"SELECT -x, @x, +x FROM (VALUES ({low}::{typ} + 1), (NULL)) v(x)")


# --- pg_typeof is regtype ---------------------------------------------------------------------

def test_pg_typeof_is_regtype(conns):
    same(conns, "SELECT pg_typeof(1), pg_typeof(1)::text, pg_typeof(1) = 'integer'::regtype, pg_typeof('x'), "
                "pg_typeof(NULL), pg_typeof(array[1.5]), pg_typeof(now()), pg_typeof(pg_typeof(1)), "
                "pg_typeof(1)::oid, pg_typeof(1) || 'x', pg_typeof(1)::regtype::oid::int")
    same(conns, "SELECT pg_typeof(x), count(*) FROM (VALUES (1::int2), (2::int2)) v(x) GROUP BY 1")
    same(conns, "SELECT 5, -5 AS m, count(*) FROM (VALUES (1), (2)) v(x) GROUP BY 1, 2")
    for conn in conns:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS typed (t regtype)")
        conn.execute("DELETE FROM typed")
        conn.execute("INSERT INTO typed VALUES ('int4'), (pg_typeof(1.5)), (pg_typeof(%s::text))", ("a",))
    same(conns, "SELECT t, t::oid FROM typed ORDER BY t::oid")
    # binary results and the RowDescription's type OID (2206)
    got = []
    for conn in conns:
        res = conn.pgconn.exec_params(b"SELECT pg_typeof(1), pg_typeof('a'::text)", [], result_format=1)
        got.append((res.ftype(0), res.ftype(1), res.get_value(0, 0), res.get_value(0, 1)))
    assert got[0] == got[1]
    same(conns, "SELECT pg_typeof(%s), pg_typeof(%s::int8)", (1.5, 7))


# --- float arithmetic: real's precision, NaN, infinities, overflow ------------------------------

FLOAT_EXPRS = [
    "1::float4/3::float4", "array[1::float4/3::float4]", "1::float4/3::float4 = 0.33333334::float4",
    "0.1::float4 + 0.2::float4", "0.1::float4 * 3::float4", "1e38::float4 * 10::float4", "1e-45::float4 / 2::float4",
    "1e308::float8 * 10", "'inf'::float8 * 10", "'nan'::float8 + 1", "'inf'::float8 - 'inf'::float8",
    "0 * 'inf'::float8", "'nan'::float8 / 0", "'inf'::float8 / 'inf'", "1e-308::float8 * 1e-10::float8",
    "1e-308::float8 * 1e-100::float8", "1e-308::float8 / 1e100::float8", "1 / 'inf'::float8", "1::float8 / 0",
    "0.1::float4 + 0.2::float8", "1::float4 / 2::float8", "1::float4 / 2", "3::float4 - 'nan'::float8",
]


@pytest.mark.parametrize("expr", FLOAT_EXPRS)
def test_float_arithmetic(conns, expr):
    same(conns, f"SELECT {expr}, pg_typeof({expr})")


def test_float_aggregates(conns):
    for rows in ("(0.1::float4), (0.2::float4)", "(0.1::float4), ('nan'::float4)", "(1::float8), ('nan'::float8)",
                 "(1e308::float8), (1e308::float8)", "('inf'::float8), ('-inf'::float8)",
                 "(1e200::float8), (-1e200::float8)", "(NULL::float8)", "(-0.0::float8)", "(1::float8), (2), (4)"):
        same(conns, f"SELECT sum(x), avg(x), max(x), min(x), pg_typeof(sum(x)) FROM (VALUES {rows}) v(x)")
    same(conns, "SELECT sum(x) OVER (ORDER BY x), avg(x) OVER () FROM (VALUES (1::float8), (2), (3.5)) v(x)")
    same(conns, "SELECT array_agg(x / 3), array_agg(x) FROM (VALUES (1::float4), (0.1::float4)) v(x)")


# --- arrays: whitespace, delimiters, box, float specials --------------------------------------

def test_array_whitespace_is_array_isspace(conns):
    same(conns, "SELECT array[E'\\x1c', E'a\\x1fb', E'\\x1d ', ' ', E'\\u00a0', E'x\\u2003', E'\\t', '']::text")
    same(conns, "SELECT '{\"\x1c\",a}'::text[]::text, '{\x1c, \x1d}'::text[]::text, array_length('{\x1c,\x1f}'::text[], 1)")
    same(conns, "SELECT '{a\\ , b ,  c\\  }'::text[]::text, '{ \"a\" , b}'::text[]::text, E'{\\u00a0, \\u2003x}'::text[]::text")
    same(conns, "SELECT '{null, NULL, \"null\", nUlL, \"\"}'::text[]::text, '{ {a , b} , {c,d} }'::text[]::text")
    for values in (["\x1c"], ["\x1c", "\x1d", "\x1e", "\x1f"], ["a\x1f", " b "], ["\u00a0", "\u2028"]):
        for binary in (False, True):
            got = []
            for conn in conns:
                cur = conn.cursor(binary=binary)
                cur.execute("SELECT %s::text[], (%s::text[])::text, array_length(%s::text[], 1)", (values,) * 3)
                got.append(cur.fetchall())
            assert got[0] == got[1], (values, binary)


def test_box_and_its_delimiter(conns):
    same(conns, "SELECT '(0,0),(1,1)'::box, '((1,1),(0,0))'::box, box '(3,0),(1,5)', ' ( 1 , 2 ) , ( 3 , 4 ) '::box, "
                "'1,2,3,4'::box, '(1,2,3,4)'::box, '(nan,1),(2,3)'::box, '(1e-5,1.5e20),(-inf,3)'::box")
    for bad in ("[(1,2),(3,4)]", "(1,2)", "(1,2),(3,4)x", "", "(1,2),(3,)"):
        same(conns, "SELECT %s::box", (bad,))
    same(conns, "SELECT array['(0,0),(1,1)'::box, '(2,2),(1,1)']::text, "
                "'{\"(0,0),(1,1)\";\"(2,2),(1,1)\"}'::box[]::text, '{(0,0),(1,1);(2,2),(1,1)}'::box[]::text")
    same(conns, "SELECT '{(0,0),(1,1),(2,2),(1,1)}'::box[]")
    same(conns, "SELECT array['a,b', 'c;d']::text, '{\"a,b\"}'::text[]::text")
    same(conns, "SELECT typname, typdelim FROM pg_type WHERE typname IN ('box', '_box', 'point', 'int4') ORDER BY 1")
    setting(conns, "SET extra_float_digits = 0")
    same(conns, "SELECT box '(0.1,0.2),(0.3333333333333333,1)'")
    setting(conns, "RESET extra_float_digits")
    got = []
    for conn in conns:
        res = conn.pgconn.exec_params(b"SELECT '(0,0),(1.5,1)'::box, array['(0,0),(1,1)'::box]", [], result_format=1)
        back = conn.pgconn.exec_params(b"SELECT $1::box::text", [res.get_value(0, 0)], [603], [1])
        got.append((res.get_value(0, 0), res.get_value(0, 1), back.get_value(0, 0)))
    assert got[0] == got[1]


def test_float_specials_in_arrays(conns):
    same(conns, "SELECT array['inf'::float8, '-inf', 'nan', 1.5]::text, array['inf'::float4, 'nan']::text, "
                "array['nan'::numeric, 'inf', '-inf', 1.50]::text, array['inf'::float8]")
    same(conns, "SELECT (array['inf'::float8])[1], (array['nan'::numeric, 'inf'])[2], ('{NaN,Infinity}'::numeric[])[2], "
                "('{1.50,2}'::numeric[])[1], (array[1.5, NULL])[2], (array[1.5::float8, NULL])[2], "
                "(array['-inf'::float8])[1] < 5, (array['inf'::float8])[1] + 1")
    same(conns, "SELECT array(SELECT x FROM (VALUES ('inf'::float8), ('nan'), (2.5)) v(x))::text, "
                "array(SELECT x FROM (VALUES ('inf'::numeric), ('nan'), (2.5)) v(x))::text")
    same(conns, "SELECT array_to_string(array['inf'::float8, 'nan'], ','), array_to_string(array[true, false], ','), "
                "array_to_string(array[1.1::float4, NULL, 3], ',', '*'), array_to_string(array['2000-01-01'::date], ',')")
    same(conns, "SELECT to_json(array['inf'::float8, 'nan', 1.5]), to_json('nan'::float8), "
                "json_build_array('inf'::float8), to_json(array['nan'::numeric])")
    same(conns, "SELECT array['inf'::float8] = array['inf'::float8], array['inf'::float8] < array['nan'::float8], "
                "array[1::float8] < array['inf'::float8], array['-inf'::float8] < array[1::float8]")
    same(conns, "SELECT array_position(array['inf'::float8, 'nan'], 'nan'), array_position(array['inf'::float8, 'nan'], 'inf'), "
                "array_position(array[1.5, 2.50], 2.5), array_position(array['a', NULL], NULL)")
    same(conns, "SELECT array_remove(array['nan'::float8, 1, 'nan'], 'nan')::text, "
                "array_remove(array[1.5, 2.50, NULL], 2.5)::text, array_remove(array[1, NULL, 2], NULL)::text")
    same(conns, "SELECT array_agg(x ORDER BY x) FROM (VALUES ('inf'::float8), ('nan'), (1), ('-inf')) v(x)")
    same(conns, "SELECT array_agg(x ORDER BY x DESC) FROM (VALUES ('inf'::numeric), ('nan'), (1), ('-inf')) v(x)")
    same(conns, "SELECT max(a), min(a) FROM (VALUES (array['inf'::float8]), (array[1::float8]), (array['-inf'::float8])) v(a)")
    same(conns, "SELECT unnest(array['inf'::float8, 'nan', '-inf'])")
    same(conns, "SELECT array[1::float4/3::float4]::text, array[0.1::float4 + 0.2::float4]")
    for conn in conns:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS fa (a float4[], b float8[], n numeric[])")
        conn.execute("DELETE FROM fa")
        conn.execute("INSERT INTO fa VALUES ('{1.1,Infinity,NaN}', '{Infinity,-Infinity,NaN,-0}', '{NaN,Infinity,-Infinity,1.50}')")
        conn.execute("INSERT INTO fa VALUES (array[1::float4/3::float4], array['inf'::float8], array['-inf'::numeric])")
        for binary in (False, True):
            cur = conn.cursor(binary=binary)
            cur.execute("INSERT INTO fa VALUES (%s::float4[], %s::float8[], %s::numeric[])",
                        (["1.1", "NaN", "-Infinity"], ["Infinity", "NaN"], ["NaN", "Infinity"]))
    same(conns, "SELECT a, b, n, a[2], b[1], n[2], array_to_string(a, ';') FROM fa ORDER BY a::text, b::text")
    got = []
    for conn in conns:
        res = conn.pgconn.exec_params(b"SELECT a, b, n FROM fa ORDER BY a::text, b::text", [], result_format=1)
        got.append([[res.get_value(i, j) for j in range(3)] for i in range(res.ntuples)])
    assert got[0] == got[1]


# --- transaction characteristics as requested -------------------------------------------------

TXN_SCRIPT = [
    "BEGIN", "SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED", "SHOW transaction_isolation",
    "SELECT current_setting('transaction_isolation')", "ROLLBACK",
    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY, DEFERRABLE", "SHOW transaction_isolation",
    "SHOW transaction_deferrable", "SHOW transaction_read_only",
    "SELECT current_setting('transaction_deferrable'), current_setting('transaction_isolation')",
    "SELECT name, setting FROM pg_settings WHERE name LIKE 'transaction%' ORDER BY 1", "ROLLBACK",
    "SHOW transaction_deferrable", "SET default_transaction_isolation = 'read uncommitted'",
    "SHOW default_transaction_isolation", "SHOW transaction_isolation", "BEGIN", "SHOW transaction_isolation",
    "ROLLBACK", "SET default_transaction_deferrable = on", "SHOW default_transaction_deferrable", "BEGIN",
    "SHOW transaction_deferrable", "ROLLBACK",
    "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE, NOT DEFERRABLE, READ ONLY",
    "SHOW default_transaction_isolation", "SHOW default_transaction_deferrable", "SHOW default_transaction_read_only",
    "RESET ALL", "START TRANSACTION DEFERRABLE", "SET TRANSACTION NOT DEFERRABLE", "SHOW transaction_deferrable",
    "SELECT 1", "SET TRANSACTION DEFERRABLE", "ROLLBACK",
    "SELECT name, setting, vartype, context FROM pg_settings WHERE name LIKE '%deferrable%' "
    "OR name LIKE '%isolation%' OR name LIKE '%read_only%' ORDER BY 1",
    "SET transaction_deferrable = on", "SHOW transaction_deferrable", "BEGIN", "SAVEPOINT a",
    "SET TRANSACTION DEFERRABLE", "ROLLBACK TO a", "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "ROLLBACK TO a",
    "SET transaction_deferrable = on", "ROLLBACK TO a", "SET TRANSACTION READ ONLY", "SHOW transaction_read_only",
    "ROLLBACK", "BEGIN", "SET transaction_deferrable = on", "SHOW transaction_deferrable", "COMMIT AND CHAIN",
    "SHOW transaction_deferrable", "SHOW transaction_isolation", "ROLLBACK", "SET default_transaction_isolation = 'foo'",
    "SET default_transaction_deferrable = 'maybe'", "RESET ALL",
]


def test_transaction_characteristics_as_requested(conns):
    for sql in TXN_SCRIPT:
        same(conns, sql)


# --- client_encoding: names and conversion at the protocol boundary ---------------------------

ENCODING_NAMES = ["LATIN1", "latin1", "latin-1", "ISO-8859-1", "iso88591", "LATIN9", "WIN1252", "windows-1252",
                  "win", "alt", "koi8", "SQL_ASCII", "unicode", "utf-8", "UTF8", "EUC_JP", "sjis", "mskanji",
                  "SHIFT_JIS_2004", "BIG5", "GBK", "UHC", "GB18030", "JOHAB", "KOI8U", "ISO_8859_7", "WIN866",
                  "foo", "", "cp932", "MULE_INTERNAL"]


@pytest.mark.parametrize("name", ENCODING_NAMES)
def test_client_encoding_names(conns, name):
    same(conns, "SET client_encoding = '%s'" % name.replace("'", "''"))
    same(conns, "SHOW client_encoding")
    ours, ref = conns
    assert ours.info.parameter_status("client_encoding") == ref.info.parameter_status("client_encoding")
    setting(conns, "SET client_encoding = 'UTF8'")


def _raw(conn, body: bytes):
    """One simple query, bytes in and bytes out (no driver-side conversion)."""
    r = conn.pgconn.exec_(body)
    return (r.status, [r.get_value(i, j) for i in range(r.ntuples) for j in range(r.nfields)],
            [r.fname(j) for j in range(r.nfields)], r.error_field(ord("C")), r.error_field(ord("M")))


def test_client_encoding_converts_both_ways(shared_server, pg15):
    bodies = [b"select '\xe9'", b"select '\x81'", b"select '\xff'", b"select '\x8e\x20'", b"select '\xc3\xa9'",
              b"select 'a\xc3\x28b'", b"select \"\xe9x\" from (select 1) s", b"drop table if exists \"tabl\xe9\"",
              b"select chr(233), chr(8364)", b"select chr(1046)", b"select '\xe2\x82'", b"select 1 as \"\xe9\"",
              b"select array['\xe9', 'x']", b"select length('\xe9\xe8')"]
    got = []
    for dsn in (shared_server.dsn(), pg15.dsn()):
        with psycopg.connect(dsn, autocommit=True) as conn:
            out = []
            for enc in (b"LATIN1", b"WIN1252", b"SQL_ASCII", b"EUC_JP", b"KOI8R", b"UTF8", b"latin-9", b"win"):
                out.append(_raw(conn, b"set client_encoding = '" + enc + b"'"))
                out.append(_raw(conn, b"show client_encoding"))
                out += [_raw(conn, body) for body in bodies]
            out.append(_raw(conn, b"set client_encoding = 'LATIN1'"))
            out.append(_raw(conn, b"set application_name = '\xe9t\xe9  '"))
            out.append(conn.pgconn.parameter_status(b"application_name"))
            out += [_raw(conn, b) for b in (b"begin", b"set client_encoding = 'WIN1251'", b"rollback",
                                            b"show client_encoding", b"select '\xe9'")]
            got.append(out)
    assert got[0] == got[1]


def test_client_encoding_with_psycopg(shared_server, pg15):
    cases = [("select %s::text, length(%s::text), %s::text = 'caf' || chr(233)", ("café",) * 3),
             ("select chr(8364)", None), ("select 'naïve' as \"colé\"", None), ("select %s::text", ("Ж",)),
             ("select length(%s), %s", ("€", "€")), ("select array['é', 'ü']", None),
             ("select '{\"é\"}'::text[]", None)]
    got = []
    for dsn in (shared_server.dsn(), pg15.dsn()):
        out = []
        for enc in ("LATIN1", "latin9", "WIN1252", "SQL_ASCII", "EUC_JP", "KOI8R"):
            with psycopg.connect(dsn, autocommit=True, client_encoding=enc) as conn:
                out.append((enc, conn.info.encoding, conn.info.parameter_status("client_encoding")))
                for binary in (False, True):
                    cur = conn.cursor(binary=binary)
                    for sql, params in cases:
                        try:
                            cur.execute(sql, params)
                            out.append((sql, binary, cur.fetchall(), [d.name for d in cur.description]))
                        except (psycopg.Error, UnicodeError) as e:
                            out.append((sql, binary, type(e).__name__, getattr(e, "sqlstate", None)))
        got.append(out)
    assert got[0] == got[1]


def test_client_encoding_copy(shared_server, pg15):
    payloads = {"LATIN1": (b"caf\xe9\t\xfcber\nx\xe9\tk\n", None), "WIN1252": (b"\x80\t\x8a\n", b"\x81\tx\n"),
                "EUC_JP": (b"\xa4\xa2\t\xa4\xa4\n", b"\xa4\tx\n"), "SQL_ASCII": (b"caf\xc3\xa9\tx\n", None)}
    got = []
    for dsn in (shared_server.dsn(), pg15.dsn()):
        out = []
        for enc, (data, bad) in payloads.items():
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("CREATE TEMP TABLE ct (a text, b text)")
                conn.execute(f"SET client_encoding = '{enc}'")
                for chunks in ([data], [data[:4], data[4:]], [data[:1], data[1:]]):
                    with conn.cursor().copy("COPY ct FROM STDIN") as cp:
                        for chunk in chunks:
                            cp.write(chunk)
                if bad is not None:
                    try:
                        with conn.cursor().copy("COPY ct FROM STDIN") as cp:
                            cp.write(bad)
                    except psycopg.Error as e:
                        out.append((enc, e.sqlstate, e.diag.message_primary))
                out.append(_raw(conn, b"select a, b from ct order by a, b"))
                for query in ("COPY (SELECT a, b FROM ct ORDER BY a, b) TO STDOUT",
                              "COPY (SELECT a, chr(1046) FROM ct) TO STDOUT WITH (FORMAT csv, HEADER)"):
                    try:
                        buf = b""
                        with conn.cursor().copy(query) as cp:
                            for chunk in cp:
                                buf += bytes(chunk)
                        out.append((enc, buf))
                    except psycopg.Error as e:
                        out.append((enc, e.sqlstate, e.diag.message_primary))
        got.append(out)
    assert got[0] == got[1]


def test_client_encoding_with_psql(shared_server, pg15):
    sql = "SELECT 'caf' || chr(233) AS \"colé\", length('ü'); SELECT chr(8364); SHOW client_encoding"
    results = []
    for target, user in ((shared_server, shared_server.superuser), (pg15, "postgres")):
        cmd = ["psql", "-X", "-h", "127.0.0.1", "-p", str(target.port), "-U", user, "-d", "postgres", "-c", sql]
        for enc in ("LATIN1", "WIN1252", "UTF8"):
            res = subprocess.run(cmd, capture_output=True, timeout=30,
                                 env={**os.environ, "PGCLIENTENCODING": enc, "PGOPTIONS": ""})
            results.append((enc, res.returncode, res.stdout, res.stderr))
    half = len(results) // 2
    assert results[:half] == results[half:]


@pytest.mark.parametrize("env", [{"PGCLIENTENCODING": "foo"}, {"PGCLIENTENCODING": "MULE_INTERNAL"},
                                 {"PGCLIENTENCODING": "latin9"}, {"PGTZ": "xyz"}, {"PGTZ": "america/new_york"},
                                 {"PGTZ": "-02:00"}, {"PGOPTIONS": "-c extra_float_digits=abc"},
                                 {"PGOPTIONS": "-c port=5"}])
def test_startup_settings_as_postgres_checks_them(shared_server, pg15, env):
    """Start-up packet values: the canonical names in ParameterStatus and SHOW, PostgreSQL's
    FATAL for a bad one."""
    outputs = []
    for target, user in ((shared_server, shared_server.superuser), (pg15, "postgres")):
        cmd = ["psql", "-X", "-At", "-h", "127.0.0.1", "-p", str(target.port), "-U", user, "-d", "postgres",
               "-c", "SHOW client_encoding", "-c", "SHOW timezone", "-c", "SELECT now() = now()"]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                             env={**os.environ, "PGTZ": "UTC", **env})  # the default zone is configuration
        err = res.stderr.split("FATAL:", 1)[-1].strip().splitlines()[0] if res.stderr else ""
        outputs.append((res.returncode, res.stdout, err))
    assert outputs[0] == outputs[1]



INTERVAL_FIELDS = ["interval '5' hour", "interval '1 day 5:06:07' hour to minute", "interval '5'", "interval '5' year",
                   "interval '1.5' year", "interval '3' month", "interval '2' day to hour", "interval '7' minute",
                   "interval '7' day to minute", "interval '7.5' second", "interval '1:30' minute to second",
                   "interval '1:30' hour to minute", "interval '1 day 2:03:04.5678' day to second(2)",
                   "interval '-90 minutes' hour", "interval '14 months' year", "interval '-14 months' year",
                   "interval '-5' hour", "'5'::interval hour", "cast('1 day 5:06:07' as interval hour to minute)",
                   "'2'::interval day", "'-1:30'::interval minute to second"]


def test_interval_fields_decide_input_and_truncate(conns):
    """INTERVAL '5' HOUR is five hours (the range's last field counts a bare number) and the
    fields below the range are dropped; through the statement cache and without it."""
    same(conns, "SELECT " + ", ".join(f"({e})::text" for e in INTERVAL_FIELDS))
    same(conns, "SELECT " + ", ".join(f"({e})::text" for e in INTERVAL_FIELDS) + " WHERE %s = 1", (1,))
    for conn in conns:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS ivf (a interval hour to minute)")
        conn.execute("DELETE FROM ivf")
        conn.execute("INSERT INTO ivf VALUES ('1 day 5:06:07'), ('5'), ('3:4')")
        conn.execute("INSERT INTO ivf VALUES (%s), (%s)", ("5", "1 day 00:00:59"))
    same(conns, "SELECT a::text FROM ivf ORDER BY a")


# --- zones 24 hours or more from UTC (POSIX allows up to 167) ----------------------------------

WIDE_SESSION_ZONES = ["'UTC+25'", "'UTC-167'", "'<+99>-99'", "30", "-100.5", "INTERVAL '-30 hours'",
                      "INTERVAL '24:00:00'", "'UTC+168'", "168"]
WIDE_PROBES = [
    "SELECT '2000-01-01 00:00'::timestamptz::text, to_char('2000-07-01 00:00+00'::timestamptz, 'TZ OF TZH:TZM'), "
    "extract(timezone from '2000-01-01'::timestamptz), extract(hour from '2000-01-01 00:00+00'::timestamptz)",
    "SELECT ('2000-01-01 00:00+00'::timestamptz + interval '1 month')::text, "
    "date_trunc('day', '2000-01-01 00:00+00'::timestamptz)::text, '2000-01-01 00:00'::timestamp::timestamptz::text",
    "SELECT x::date::text, x::time::text, x::timetz::text, x::timestamp::text "
    "FROM (VALUES ('2000-01-01 05:00+00'::timestamptz), ('infinity')) v(x)",
    "SELECT '12:00'::timetz::text, '2000-01-01'::date::timestamptz::text, current_date = now()::date",
    "SELECT '2000-01-01 00:00'::timestamptz AT TIME ZONE current_setting('TimeZone')",
]


@pytest.mark.parametrize("zone", WIDE_SESSION_ZONES)
def test_wide_session_zone(conns, zone):
    setting(conns, "SET TIME ZONE 'UTC'")
    if same(conns, f"SET TIME ZONE {zone}")[0] == "ok":
        same(conns, "SHOW timezone")
        for sql in WIDE_PROBES:
            same(conns, sql)
    setting(conns, "SET TIME ZONE 'UTC'")


WIDE_INPUTS = ["2000-01-01 00:00 UTC+25", "2000-01-01 00:00 UTC+24", "2000-01-01 00:00 UTC+23",
               "2000-01-01 00:00 UTC+1:30", "2000-01-01 00:00 UTC+130", "2000-01-01 00:00 UTC+0130",
               "2000-01-01 00:00 GMT+100", "2000-01-01 00:00 FOO+100", "2000-01-01 00:00 UTC-100",
               "2000-01-01 00:00 UTC+168", "2000-01-01 00:00 +16", "2000-01-01 00:00+15:59:59", "2000-01-01 00:00 utc-3"]


def test_wide_zone_in_input(conns):
    """A zone word with an offset is one POSIX name ('UTC+130' is 130 hours west, not 1:30)."""
    setting(conns, "SET TIME ZONE 'UTC'")
    for text in WIDE_INPUTS:
        same(conns, "SELECT %s::timestamptz::text", (text,))
        same(conns, "SELECT %s::timetz::text", (text.split(" ", 1)[1].replace("00:00", "12:34"),))


WIDE_AT = ["UTC+25", "UTC+100", "<+99>-99", "XYZ+25", "<+25>-25", "UTC-167", "UTC+168"]


def test_at_wide_zone(conns):
    setting(conns, "SET TIME ZONE 'Europe/Berlin'")
    same(conns, "SELECT z, ('2000-01-01 00:00'::timestamp AT TIME ZONE z)::text, "
                "('2000-01-01 00:00+00'::timestamptz AT TIME ZONE z)::text, ('12:00+00'::timetz AT TIME ZONE z)::text, "
                "(('12:00+00'::timetz AT TIME ZONE z)::time)::text, extract(timezone from '12:00+00'::timetz AT TIME ZONE z) "
                "FROM unnest(%s::text[]) z", (WIDE_AT[:-1],))
    same(conns, "SELECT timezone('UTC+168', '2000-01-01 00:00'::timestamp)")
    for iv in ("24 hours", "-24:00:00", "-24:00:01", "168 hours", "200 hours", "-23:59:59"):
        same(conns, f"SELECT ('12:00+00'::timetz AT TIME ZONE interval '{iv}')::text, "
                    f"('2000-01-01 00:00'::timestamp AT TIME ZONE interval '{iv}')::text")
    got = []
    for conn in conns:
        res = conn.pgconn.exec_params(b"SELECT '12:00+00'::timetz AT TIME ZONE 'UTC+25'", [], result_format=1)
        got.append(res.get_value(0, 0))
    assert got[0] == got[1]
    setting(conns, "SET TIME ZONE 'UTC'")


def test_local_casts_of_timestamptz(conns):
    """timestamptz to date/time/timetz in the session's zone, timestamp and timetz to time;
    an infinite timestamp has no time (NULL)."""
    for zone in ("UTC", "America/New_York", "Asia/Kolkata"):
        setting(conns, f"SET TIME ZONE '{zone}'")
        same(conns, "SELECT x::time::text, x::date::text, x::timetz::text, x::timestamp::time::text, "
                    "(x::timetz)::time::text FROM (VALUES ('2021-03-14 06:59:59.5+00'::timestamptz), "
                    "('2021-03-14 07:00:00+00'), ('1800-01-01 12:00+00'), ('0044-03-15 12:00+00 BC'), ('infinity'), "
                    "('-infinity')) v(x)")
        same(conns, "SELECT '24:00+05'::timetz::time::text, CAST('2000-07-01 03:00:00.7+00'::timestamptz AS time(0))::text")
    setting(conns, "SET TIME ZONE 'UTC'")


# --- EXTRACT and date_part: every unit, every type ----------------------------------------------

EXTRACT_UNITS = ["microseconds", "microsecon", "us", "usec", "milliseconds", "ms", "msec", "mseconds", "second",
                 "s", "secs", "minute", "m", "mm", "min", "hour", "h", "hrs", "day", "d", "days", "week", "w",
                 "month", "mon", "quarter", "qtr", "year", "y", "yrs", "decade", "dec", "century", "c",
                 "millennium", "mil", "dow", "isodow", "doy", "isoyear", "julian", "j", "jd", "epoch", "timezone",
                 "timezone_h", "timezone_hour", "timezone_m", "timezone_minute", "today", "infinity", "jan",
                 "am", "foo", "", "millisecondsxyz", "Hour", "MINUTES"]
EXTRACT_VALUES = {
    "timestamp": ["2000-01-01 12:34:56.789012", "1999-12-31 23:59:59.5", "0044-03-15 01:02:03 BC",
                  "2021-01-03", "294276-12-31 23:59:59.999999", "infinity", "-infinity", "0001-01-01 BC"],
    "timestamptz": ["2000-01-01 12:34:56.789012+00", "2021-07-04 02:30:00+00", "0044-03-15 01:02:03+00 BC",
                    "infinity", "-infinity"],
    "date": ["2000-01-01", "2021-01-03", "0001-01-01 BC", "0010-12-31 BC", "5874897-12-31", "infinity", "-infinity"],
    "time": ["12:34:56.789012", "00:00", "24:00", "23:59:59.999999"],
    "timetz": ["12:34:56.789012+05:30", "00:00-00:30", "24:00+03", "23:59:59.999999-15:59", "12:00-01:30:15"],
    "interval": ["1 year 2 mons 3 days 04:05:06.789", "-1 year -2 mons -3 days -04:05:06.789", "14 mons",
                 "-14 mons", "1000 years", "-7 mons", "100 hours", "0"],
}


@pytest.mark.parametrize("typ", list(EXTRACT_VALUES))
@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
def test_extract_every_unit(conns, typ, zone):
    setting(conns, f"SET TIME ZONE '{zone}'")
    for unit in EXTRACT_UNITS:
        same(conns, f"SELECT v, extract(\"{unit}\" FROM v::{typ}), date_part(%s, v::{typ}) "
                    "FROM unnest(%s::text[]) v", (unit, EXTRACT_VALUES[typ]))
    setting(conns, "SET TIME ZONE 'UTC'")


# --- float8 math as float.c: |/ and ||/, NaN and the infinities, its errors --------------------

MATH_EXPRS = [
    "|/ 25", "||/ 27", "|/ 2.0", "||/ -8", "pg_typeof(|/ 25)", "||/ 27::numeric", "|/ -1", "||/ 'inf'::float8",
    "|/ 'nan'::float8", "|/ 'inf'::float8", "||/ '-inf'::float8", "||/ 0.001", "|/ '25'", "cbrt(1e300)",
    "||/ 1e-300::float8", "cbrt(64)", "cbrt(2)", "sqrt(-1)", "sqrt(1e-300::float8 * 1e-300::float8)",
    "exp(1000::float8)", "exp(-1000::float8)", "exp('-inf'::float8)", "exp('nan'::float8)", "ln(0::float8)",
    "ln(-1::float8)", "ln('inf'::float8)", "log(0::float8)", "log10(-0.0::float8)", "power(0::float8, -1)",
    "power(-1::float8, 0.5)", "power(2::float8, 1e10)", "2::float8 ^ 0.5", "'nan'::float8 ^ 0", "1::float8 ^ 'nan'",
    "'inf'::float8 ^ -1", "(-1)::float8 ^ 'inf'", "0.5::float8 ^ '-inf'", "0.5::float8 ^ 'inf'", "2::float8 ^ '-inf'",
    "'-inf'::float8 ^ 3", "'-inf'::float8 ^ -3", "'-inf'::float8 ^ 2", "'-inf'::float8 ^ -2", "'-inf'::float8 ^ 0.5",
    "10::float8 ^ -400", "0::float8 ^ 0", "'nan'::float8 ^ 'nan'", "(-8)::float8 ^ 3", "sin('inf'::float8)",
    "sin('nan'::float8)", "cot(0::float8)", "cot(1)", "asin(2)", "acos('nan')", "tan('-inf'::float8)",
    "atan('inf'::float8)", "atan2(1, 'inf'::float8)", "atan2('nan'::float8, 1)", "degrees(1e308)",
    "radians('-inf'::float8)", "sign(-0.0::float8)", "sign('nan'::float8)", "sign('-inf'::numeric)",
    "sign('nan'::numeric)", "abs(-0.0::float8)", "abs('nan'::float8)", "abs('-inf'::float8)",
    "abs((-9223372036854775808)::int8)", "abs((-32768)::int2)", "abs(-2147483647)", "mod('inf'::numeric, 2)",
    "mod(5, 'inf'::numeric)", "mod('nan'::numeric, 0)", "mod(5::numeric, 0)", "mod('inf'::numeric, 0)",
    "mod(-5.5, '-inf'::numeric)", "12345678901234567890123456789012.5 % 7", "-7.5 % 2",
    "width_bucket('nan'::numeric, 0, 10, 3)", "width_bucket(5, 0, 'inf'::float8, 3)",
    "width_bucket('inf'::float8, 0, 10, 3)", "width_bucket(5, 0, 10, 0)",
]


@pytest.mark.parametrize("expr", MATH_EXPRS)
def test_float_math(conns, expr):
    same(conns, f"SELECT {expr}")
    same(conns, f"SELECT x, {expr} FROM (VALUES (1)) v(x) WHERE %s = 1", (1,))


# --- ORDER BY / GROUP BY naming two different output columns -----------------------------------

AMBIGUOUS = [
    "SELECT 1 AS a, 2 AS a ORDER BY a", "SELECT x AS a, y AS a FROM (VALUES (1, 2)) v(x, y) ORDER BY a",
    "SELECT x AS a, x AS a FROM (VALUES (1, 2)) v(x, y) ORDER BY a", "SELECT x, x FROM (VALUES (1, 2)) v(x, y) ORDER BY x",
    "SELECT x AS y, y FROM (VALUES (1, 2), (0, 3)) v(x, y) ORDER BY y", "SELECT x AS y FROM (VALUES (1, 2), (0, 3)) v(x, y) ORDER BY y",
    "SELECT 1 AS a, 2 AS a GROUP BY a", "SELECT x AS a, y AS a FROM (VALUES (1, 2)) v(x, y) GROUP BY a",
    "SELECT 1 AS a, 2 AS A ORDER BY \"a\"", "SELECT 1 AS a, 2 AS \"A\" ORDER BY \"A\"",
    "SELECT a.x, b.x FROM (VALUES (1)) a(x), (VALUES (2)) b(x) ORDER BY x",
    "SELECT * FROM (VALUES (1)) a(x), (VALUES (2)) b(x) ORDER BY x",
    "SELECT x AS z, y AS z FROM (VALUES (1, 2)) v(x, y) ORDER BY z DESC",
    "SELECT DISTINCT x AS a, y AS a FROM (VALUES (1, 2)) v(x, y) ORDER BY a",
    "SELECT x AS a, y AS a FROM (VALUES (1, 2)) v(x, y) UNION SELECT 1, 2 ORDER BY a",
    "SELECT x AS a FROM (VALUES (1, 2)) v(x, y) UNION SELECT 1 ORDER BY a", "SELECT 1 AS a, 2 AS a ORDER BY a + 1",
]


@pytest.mark.parametrize("sql", AMBIGUOUS)
def test_order_by_name_ambiguous(conns, sql):
    got = same(conns, sql)
    if got[0] == "error":  # the position too
        positions = []
        for conn in conns:
            try:
                conn.execute(sql)
            except psycopg.Error as e:
                positions.append(e.diag.statement_position)
        assert positions[0] == positions[1]


# --- conversions between UTF8 and the client encodings: PostgreSQL's maps ---------------------

TRY_FUNCTIONS = [
    "CREATE OR REPLACE FUNCTION copybin_try_dec(b bytea, enc name) RETURNS text LANGUAGE plpgsql AS $$ "
    "BEGIN RETURN convert_from(b, enc); EXCEPTION WHEN others THEN RETURN 'ERR:' || sqlstate || ' ' || sqlerrm; END $$",
    "CREATE OR REPLACE FUNCTION copybin_try_enc(t text, enc name) RETURNS text LANGUAGE plpgsql AS $$ "
    "BEGIN RETURN encode(convert_to(t, enc), 'hex'); EXCEPTION WHEN others THEN RETURN 'ERR:' || sqlstate || ' ' "
    "|| sqlerrm; END $$",
]
CONVERTED = ["EUC_JP", "SJIS", "BIG5", "UHC", "EUC_KR", "GBK", "JOHAB", "EUC_JIS_2004", "SHIFT_JIS_2004",
             "EUC_CN", "GB18030", "LATIN1", "WIN1252", "KOI8R", "WIN866", "ISO_8859_7", "WIN1258"]


def _samples(enc: str):
    """The bytes and characters where PostgreSQL's maps and Python's codecs differ, and a
    spread of the rest."""
    from pgsvc.encoding_fixes import TABLES
    dec, enc_ = TABLES.get(enc, ("", ""))
    seqs = {bytes.fromhex(item.split("=")[0]) for item in dec.split()}
    seqs |= {bytes([a, b]) for a in range(0x80, 0x100, 3) for b in range(0x20, 0x100, 7)}
    seqs |= {bytes([b]) for b in range(1, 0x100)}
    chars = {chr(int(item.split("=")[0], 16)) for item in enc_.split()}
    chars |= {chr(c) for c in range(1, 0x10000, 13) if not 0xD800 <= c < 0xE000}
    return sorted(seqs), sorted(chars)


@pytest.mark.parametrize("enc", CONVERTED)
def test_convert_as_postgres_maps(conns, enc):
    """convert_from/convert_to over the characters where Python's codec and PostgreSQL's
    conversion maps disagree (EUC_JP 0xa1c1 is U+FF5E in PostgreSQL, U+301C in Python)."""
    for conn in conns:
        for sql in TRY_FUNCTIONS:
            conn.execute(sql)
    seqs, chars = _samples(enc)
    same(conns, "SELECT b, copybin_try_dec(b, %s) FROM unnest(%s::bytea[]) b", (enc, seqs))
    same(conns, "SELECT t, copybin_try_enc(t, %s) FROM unnest(%s::text[]) t", (enc, chars))


def test_convert_functions(conns):
    for sql in ("SELECT convert_to('é', 'LATIN1'), convert_to('€', 'LATIN9'), convert_to('日本', 'EUC_JP'), "
                "convert_to('日本', 'SJIS'), convert_to('中文', 'BIG5'), convert_to('한', 'UHC'), convert_to('日', 'SQL_ASCII')",
                "SELECT convert_from('\\xe9'::bytea, 'LATIN1'), convert_from('\\x8160'::bytea, 'SJIS'), "
                "convert_from('\\xa1c1'::bytea, 'EUC_JP'), convert_from('\\xe697a5'::bytea, 'SQL_ASCII')",
                "SELECT convert('\\xe9'::bytea, 'LATIN1', 'UTF8'), convert('\\xc3a9'::bytea, 'UTF8', 'LATIN1'), "
                "convert('\\xe9'::bytea, 'latin-1', 'latin1'), convert('\\xe9'::bytea, 'SQL_ASCII', 'LATIN1')",
                "SELECT convert('\\xe9'::bytea, 'LATIN1', 'WIN1252')", "SELECT convert_to('é€', 'LATIN1')",
                "SELECT convert_from('\\xff'::bytea, 'UTF8')", "SELECT convert_from('\\x81'::bytea, 'WIN1252')",
                "SELECT convert_to('x', 'foo')", "SELECT convert_from('x', 'foo')", "SELECT convert('x', 'foo', 'bar')",
                "SELECT convert_to('x', 'MULE_INTERNAL')", "SELECT convert_from('\\xe9'::bytea, 'SQL_ASCII')",
                "SELECT convert('\\xe9'::bytea, 'LATIN1', 'LATIN2')", "SELECT convert_from('\\x00'::bytea, 'LATIN1')",
                "SELECT convert_from('a\\x00'::bytea, 'UTF8')", "SELECT convert_to(NULL, 'LATIN1'), convert_from(NULL, 'x')",
                "SELECT pg_client_encoding(), pg_typeof(pg_client_encoding()), pg_typeof(convert_to('a', 'UTF8'))"):
        same(conns, sql)


@pytest.mark.parametrize("enc", ["EUC_JP", "SJIS", "BIG5", "UHC", "SHIFT_JIS_2004"])
def test_client_encoding_uses_postgres_maps(shared_server, pg15, enc):
    """The protocol boundary converts as PostgreSQL does: a query in the client's bytes, the
    UTF8 the server made of them (hex), and the text sent back in the client's encoding."""
    from pgsvc.encoding_fixes import TABLES
    dec, enc_ = TABLES[enc]
    good = [bytes.fromhex(i.split("=")[0]) for i in dec.split() if "ERR" not in i][:60]
    bad = [bytes.fromhex(i.split("=")[0]) for i in dec.split() if "ERR" in i][:10]
    chars = [chr(int(i.split("=")[0], 16)) for i in enc_.split() if "ERR" not in i][:60]
    got = []
    for dsn in (shared_server.dsn(), pg15.dsn()):
        with psycopg.connect(dsn, autocommit=True) as conn:
            out = [_raw(conn, b"set client_encoding = '" + enc.encode() + b"'")]
            for seq in good + bad + [b"a\\b~", b"\\\\"]:
                out.append(_raw(conn, b"select encode(convert_to('" + seq.replace(b"'", b"''") + b"', 'UTF8'), 'hex')"))
            hexes = ",".join(f"'\\x{c.encode().hex()}'" for c in chars)
            out.append(_raw(conn, f"select convert_from(b::bytea, 'UTF8') from unnest(array[{hexes}]) b".encode()))
            out.append(_raw(conn, b"select convert_from('\\x5c7e'::bytea, 'UTF8')"))
            got.append(out)
    assert got[0] == got[1]


# --- money and the geometric types: their own input and output, not the text sent --------------

MONEY_AND_GEOMETRY = [
    "SELECT '12.5'::money, '-1234567.891'::money, '$1,000.00'::money, 5::money, 1.5::money, 1.555::money, (-1.555)::money",
    "SELECT '12.5'::money::numeric, pg_typeof('1'::money), '(12.345)'::money, '12-'::money, ' $ - 3 '::money, "
    "'1,2,3.4'::money, '+$5'::money",
    "SELECT 'abc'::money", "SELECT '92233720368547758.07'::money, '-92233720368547758.08'::money",
    "SELECT '92233720368547758.08'::money", "SELECT '$'::money, ''::money, '.'::money", "SELECT '12.3.4'::money",
    "SELECT x FROM (VALUES ('12.5'::money), ('-0.01')) v(x) ORDER BY x",
    "SELECT '12.5'::money = '12.50'::money, '1'::money < '2'::money, array['1'::money, '2.5'], ('{$1.00}'::money[])[1]",
    "SELECT max(x), min(x) FROM (VALUES ('12.5'::money), ('-0.01')) v(x)",
    "SELECT '(1,2)'::point, ' ( 1e1 , 2 ) '::point, '1,2'::point, '(nan,-inf)'::point, '(0.1,1e-300)'::point",
    "SELECT 'abc'::point", "SELECT '(1,2'::point",
    "SELECT '[(1,2),(3,4)]'::lseg, '((1,2),(3,4))'::lseg, '(1,2),(3,4)'::lseg, '1,2,3,4'::lseg",
    "SELECT '[(1,2),(3,4)'::lseg",
    "SELECT '{1,2,3}'::line, '[(1,2),(3,4)]'::line, '((0,0),(0,5))'::line, '((0,1),(5,1))'::line, "
    "'(1,1),(2,3)'::line, '{ 1 , 0 , -1 }'::line", "SELECT '{0,0,1}'::line", "SELECT '((1,1),(1,1))'::line",
    "SELECT '((1,2),(3,4))'::path, '[(1,2),(3,4)]'::path, '(1,2),(3,4)'::path, '1,2,3,4,5,6'::path, "
    "'((1,2))'::path, '[(1,2)]'::path", "SELECT '(1,2),(3,4),(5'::path",
    "SELECT '((0,0),(1,1),(2,0))'::polygon, '(0,0),(1,1)'::polygon, '0,0,1,1,2,2'::polygon, '((1,2))'::polygon",
    "SELECT '[(0,0),(1,1)]'::polygon",
    "SELECT '<(1,2),3>'::circle, '((1,2),3)'::circle, '(1,2),3'::circle, '1,2,3'::circle, '<(1,2),nan>'::circle",
    "SELECT '<(1,2),-3>'::circle", "SELECT '<(1,2),3'::circle",
    "SELECT array['(1,2)'::point, '(3,4)'], '{\"(1,2)\",\"(3,4)\"}'::point[], ('{\"(1,2)\"}'::point[])[1]",
    "SELECT '(1,2)'::point::text, '(1,2)'::text::point",
]


@pytest.mark.parametrize("sql", MONEY_AND_GEOMETRY)
def test_money_and_geometry_text(conns, sql):
    same(conns, sql)


def test_money_and_geometry_digits_and_binary(conns):
    setting(conns, "SET extra_float_digits = 0")
    same(conns, "SELECT '(0.1,0.3333333333333333)'::point, '<(0.1,0.2),0.3333333333333333>'::circle, "
                "'{0.3333333333333333,1,0}'::line, '[(0.1,0.2),(0.3333333333333333,1)]'::path")
    setting(conns, "RESET extra_float_digits")
    values = ["'12.5'::money", "'-1'::money", "'(1,2)'::point", "'[(1,2),(3,4)]'::lseg", "'{1,2,3}'::line",
              "'((1,2),(3,4))'::path", "'[(1,2),(3,4)]'::path", "'((0,0),(1,1),(2,0))'::polygon", "'<(1,2),3>'::circle",
              "array['(1,2)'::point]", "array['1'::money]"]
    got = []
    for conn in conns:
        res = conn.pgconn.exec_params(("SELECT " + ", ".join(values)).encode(), [], result_format=1)
        row = [res.get_value(0, i) for i in range(len(values))]
        back = [conn.pgconn.exec_params(b"SELECT $1::" + t.encode() + b"::text", [v], [0], [1]).get_value(0, 0)
                for v, t in zip(row, ("money", "money", "point", "lseg", "line", "path", "path", "polygon", "circle"))]
        got.append((row, back))
    assert got[0] == got[1]


def test_bytea_arrays(conns):
    """bytea elements: read back as bytes (subscript, unnest), NULL kept apart from the empty
    bytea, and an array built in SQL equal to the same array sent by the client."""
    same(conns, "SELECT encode(b, 'hex'), b, length(b) FROM unnest(array['\\xa1c1'::bytea, '\\x00', NULL, '']) b")
    same(conns, "SELECT (array['\\xa1c1'::bytea])[1], (array[NULL::bytea])[1], array[NULL::bytea, ''], "
                "array['\\xff'::bytea] = '{\"\\\\\\\\xff\"}'::bytea[]")
    same(conns, "SELECT x FROM unnest(array[1.50, 'NaN', 2, NULL, '-inf', 1e-30]) x")
    same(conns, "SELECT ('{{1,2},{3,4}}'::int[])[1], ('{{a}}'::text[])[2], ('{1,2}'::int2vector)[0]")
    same(conns, "SELECT array_position(array['\\xab'::bytea], '\\xab'), array_remove(array['\\xab'::bytea, '\\x01'], "
                "'\\x01'), array_append(array['\\x01'::bytea], '\\x02'), array_position(array[1.5, 2.50], '2.5')")
    for fmt in ("s", "t", "b"):
        same(conns, f"SELECT %{fmt} = array[set_byte('x', 0, %s)], array_agg(b) = %{fmt} "
                    "FROM (VALUES ('\\xff'::bytea)) v(b)", ([b"\xff"], 255, [b"\xff"]))


# --- inet, cidr, macaddr: their own input and output, not the text sent ------------------------

NET_VALUES = ["10.1.2", "10", "10.1", "10.1.2.3/24", "10.1.2.3/33", "1.2.3.4/0", "::1", "::1/128", "::ffff:1.2.3.4/120",
              " 10.1.2.3 ", "010.1.2.3", "10.1.2.256", "1:2:3:4:5:6:7:8", "1::2::3", "fe80::1%eth0", "10.1.2.3/8x",
              "10.1.2.3", "10.1.2.3/32", "::ffff:1.2.3.4", "2001:DB8::1/64", "10.0.0.0/8", "192.168", "192.168.1", "224",
              "224.1", "240", "128.1", "10/8", "10.1/16", "10.1/8", "10/16", "::", "::2", "::1.2.3.4", "1::", "1:0:0:1::1",
              "0:0:1::", "1:0:0:0:0:0:0:1", "a:b:c:d:e:f:0:0", "::/0", "2001:db8::/32", "2001:db8::1/32", "0.0.0.0/0",
              "255.255.255.255", "1.2.3.4.5", "", "1.2.3.", ".1.2.3", "1..2.3", "::ffff:0:0", "::0:1:0",
              "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4/96", "10.1.2.3/", "10.1.2.3/-1", "1:2:3:4:5:6:7:8/129", "abc"]
MAC_VALUES = ["08:00:2b:01:02:03", "08-00-2b-01-02-03", "08002b:010203", "08002b-010203", "0800.2b01.0203",
              "0800-2b01-0203", "08002b010203", " 08:00:2B:01:02:03 ", "8:0:2b:1:2:3", "08:00:2b:01:02",
              "08:00:2b:01:02:03:04", "0800:2b01:0203", "xx:00:2b:01:02:03", "100:00:2b:01:02:03", "08:00:2b:01:02:0300", ""]


@pytest.mark.parametrize("typ", ["inet", "cidr", "macaddr"])
def test_network_types(conns, typ):
    values = MAC_VALUES if typ == "macaddr" else NET_VALUES
    got = []
    for conn in conns:
        out = []
        for v in values:
            try:
                text = conn.execute(f"SELECT %s::{typ}, %s::{typ}::text", (v, v)).fetchone()
                res = conn.pgconn.exec_params(f"SELECT $1::{typ}".encode(), [v.encode()], [25], [0], result_format=1)
                back = conn.pgconn.exec_params(f"SELECT $1::{typ}::text".encode(), [res.get_value(0, 0)], [0], [1])
                out.append((v, text, res.get_value(0, 0), back.get_value(0, 0)))
            except psycopg.Error as e:
                out.append((v, e.sqlstate, e.diag.message_primary, e.diag.message_detail))
        got.append(out)
    assert got[0] == got[1]
    same(conns, f"SELECT array[%s::{typ}]::text, %s::{typ} = %s::{typ}", (values[0], values[0], values[1]))


@pytest.mark.parametrize("sql,params", [
    ("SELECT concat(%s, %s)", ["foo", "bar"]), ("SELECT concat(%s::text, %s)", ["foo", "bar"]),
    ("SELECT pg_typeof(%s)", ["x"]), ("SELECT format('%%s', %s)", ["x"]), ("SELECT concat_ws(',', %s, 1)", ["x"]),
    ("SELECT concat(%s, %s)", [1, 2.5]), ("SELECT coalesce(%s, 'x')", ["y"]), ("SELECT concat('a', %s::int)", [5]),
])
def test_untyped_parameter_for_any(conns, sql, params):
    """A client's untyped parameter passed to an "any" argument is 42P18, as in PostgreSQL
    (psycopg sends str as unknown: concat(%s, %s) fails there too)."""
    same(conns, sql, params)


# --- the grouping rule: every column outside an aggregate is grouped or depends on a grouped key -

GROUPING_QUERIES = [
    "SELECT x + 1 FROM grp_t GROUP BY y", "SELECT x FROM grp_t GROUP BY y", "SELECT * FROM grp_t GROUP BY y",
    "SELECT * FROM grp_t GROUP BY id ORDER BY id", "SELECT grp_t.* FROM grp_t GROUP BY id ORDER BY id",
    "SELECT name, x + y FROM grp_t GROUP BY id ORDER BY id", "SELECT y, count(*) FROM grp_t GROUP BY y ORDER BY x",
    "SELECT y FROM grp_t GROUP BY y HAVING x > 1", "SELECT 1 FROM grp_t HAVING x > 1",
    "SELECT column1 + 1 FROM (VALUES (1, 2)) v GROUP BY column2",
    "SELECT a + 1 FROM (SELECT x AS a, y AS b FROM grp_t) s GROUP BY b",
    "SELECT sum(x) OVER () FROM grp_t GROUP BY y", "SELECT x + 1 AS k FROM grp_t GROUP BY k ORDER BY k",
    "SELECT x + 1 FROM grp_t GROUP BY x + 1 ORDER BY 1", "SELECT (x + 1) * 2 FROM grp_t GROUP BY x + 1 ORDER BY 1",
    "SELECT x + 2 FROM grp_t GROUP BY x + 1", "SELECT x + 1 FROM grp_t GROUP BY x + 2",
    "SELECT upper(name) FROM grp_t GROUP BY name ORDER BY 1", "SELECT max(x) FROM grp_t ORDER BY y",
    "SELECT lower(name) || max(x)::text FROM grp_t", "SELECT count(*) FROM grp_t ORDER BY y",
    "SELECT x::text, sum(y) FROM grp_t GROUP BY 1 ORDER BY 1", "SELECT g FROM generate_series(1, 3) g GROUP BY g + 1",
    "SELECT DISTINCT ON (x) y FROM grp_t GROUP BY y", "SELECT y, x FROM grp_t GROUP BY 1",
    "SELECT y, rank() OVER (ORDER BY x) FROM grp_t GROUP BY y",
    "SELECT t1.x FROM grp_t t1 JOIN grp_t t2 USING (y) GROUP BY t2.id",
    "SELECT t1.x FROM grp_t t1 JOIN grp_t t2 USING (y) GROUP BY t1.id ORDER BY 1",
    "SELECT coalesce(x, 0) FROM grp_t GROUP BY coalesce(x, 0) ORDER BY 1",
    "SELECT CASE WHEN x > 1 THEN 'a' END FROM grp_t GROUP BY y",
    "SELECT rank(x) WITHIN GROUP (ORDER BY x) FROM generate_series(1, 5) x",
    "SELECT rank(3) WITHIN GROUP (ORDER BY x) FROM generate_series(1, 5) x",
    "SELECT y, (SELECT count(*) FROM grp_t t2 WHERE t2.y = grp_t.y) FROM grp_t GROUP BY y",
    "SELECT 'a' || 'b', count(*) FROM grp_t GROUP BY 'a' || 'b'",
    "SELECT count(*) FILTER (WHERE x > 1) FROM grp_t GROUP BY y",
    "SELECT length(name) FROM grp_t GROUP BY length(name) ORDER BY length(name)",
    "SELECT 1 FROM grp_t HAVING 1 > 0", "SELECT 2 HAVING 1 = 1", "SELECT 2 HAVING false",
    "SELECT 1 AS a FROM grp_t WHERE false HAVING true",
    "SELECT x + 1, count(*) FROM grp_t GROUP BY x + 1 HAVING x + 1 > 2 ORDER BY x + 1",
    "SELECT x + 1, count(*) FROM grp_t GROUP BY x + 1 HAVING x > 2",
    "SELECT (SELECT x) FROM grp_t GROUP BY y", "SELECT (SELECT grp_t.x) FROM grp_t GROUP BY y",
    "SELECT (SELECT grp_t.x FROM grp_t t2 LIMIT 1) FROM grp_t GROUP BY y",
    "SELECT (SELECT x FROM grp_t t2 ORDER BY 1 LIMIT 1) FROM grp_t GROUP BY y",
    "SELECT (SELECT t2.x FROM grp_t t2 WHERE t2.x = grp_t.x LIMIT 1) FROM grp_t GROUP BY y",
    "SELECT y, x IN (SELECT 1) FROM grp_t GROUP BY y",
    "SELECT y, EXISTS (SELECT 1 FROM grp_t t2 WHERE t2.id = grp_t.id) FROM grp_t GROUP BY y",
    "SELECT (SELECT grp_t.x + 1) FROM grp_t GROUP BY grp_t.x + 1", "SELECT (SELECT sum(grp_t.x)) FROM grp_t GROUP BY y",
    "SELECT (SELECT name) FROM grp_t GROUP BY id ORDER BY 1",
    "SELECT y FROM grp_t GROUP BY y HAVING EXISTS (SELECT 1 FROM grp_t u WHERE u.x = grp_t.x)",
    "SELECT y, array(SELECT grp_t.name) FROM grp_t GROUP BY y",
    "SELECT (WITH c AS (SELECT 1 AS k) SELECT grp_t.x + k FROM c) FROM grp_t GROUP BY y",
    "SELECT (SELECT s.x FROM (SELECT 5 AS x) s) FROM grp_t GROUP BY y",
]


@pytest.mark.parametrize("sql", GROUPING_QUERIES)
def test_grouping_rule(conns, sql):
    """An ungrouped column anywhere in a grouped query is 42803 at its position, as PostgreSQL's
    parse analysis finds it (select list, HAVING, ORDER BY, DISTINCT ON, window clauses); a
    grouped expression, a grouped primary key and an aggregate's arguments are allowed."""
    setting(conns, "CREATE TEMP TABLE IF NOT EXISTS grp_t (id int PRIMARY KEY, x int, y int, name text)")
    setting(conns, "DELETE FROM grp_t")
    setting(conns, "INSERT INTO grp_t VALUES (1, 2, 3, 'a'), (2, 3, 3, 'b')")
    same(conns, sql)
    positions = []
    for conn in conns:
        try:
            conn.execute(sql)
            positions.append(None)
        except psycopg.Error as e:
            positions.append(e.diag.statement_position)
    assert positions[0] == positions[1]


# --- NUL characters: no text value holds one --------------------------------------------------

@pytest.mark.parametrize("sql", [
    "SELECT E'a\\000b'", "SELECT E'a\\x00b'", "SELECT E'\\0'", "SELECT E'\\000'::bytea", "SELECT E'\\\\000'::bytea",
    "SELECT chr(0)", "SELECT chr(-1)", "SELECT chr(1114112)", "SELECT chr(55296)", "SELECT chr(65)",
    "SELECT 'a'::text || chr(0)", "SELECT convert_from('\\x610062'::bytea, 'UTF8')",
    "SELECT encode('\\x00'::bytea, 'escape')", "SELECT jsonb '\"\\u0000\"'", "SELECT json '\"\\u0000\"'",
    "SELECT jsonb '{\"a\\u0000\": 1}'", "SELECT jsonb '[\"x\", \"\\\\u0000\"]'", "SELECT jsonb '[\"\\u0000'",
    "SELECT '[\"\\u0000\"]'::json ->> 0", "SELECT '{\"a\":\"\\u0000\"}'::json ->> 'a'", "SELECT '[\"\\u0000\"]'::json -> 0",
    "SELECT '\"\\ud800\"'::jsonb", "SELECT '\"\\ud800\"'::json", "SELECT '[\"\\ud800\"]'::json ->> 0",
    "SELECT '\"\\udc00\"'::jsonb", "SELECT '\"\\ud800\\udc00\"'::jsonb", "SELECT '\"\\ud800x\"'::jsonb",
    "SELECT '\"\\ud800\\ud800\"'::jsonb", "SELECT '\"\\ud800\\u0041\"'::jsonb", "SELECT '[\"\\ud800\", 1]'::jsonb",
    "SELECT '[\"a\\u0041\"]'::json ->> 0, '\"\\u00e9\"'::jsonb, '[\"\\ud83d\\ude00\"]'::jsonb ->> 0",
])
def test_nul_character_refused(conns, sql):
    same(conns, sql)


def _wire(target, user: str, messages: bytes) -> list:
    """Messages sent after start-up; the replies up to ReadyForQuery as (type, SQLSTATE, message)."""
    result, sock = pgwire.startup(target, user, keep_open=True)
    assert result.ready, result.error
    try:
        sock.sendall(messages)
        out = []
        while True:
            mtype, body = pgwire.read_message(sock)
            if mtype in (b"E", b"N"):
                f = pgwire.parse_error(body)
                out.append((mtype, f.get("C"), f.get("M")))
            else:
                out.append((mtype, body if mtype in (b"D", b"t") else None))
            if mtype == b"Z":
                return out
    finally:
        sock.close()


def _parse_bind(sql: str, oids: list[int], values: list, formats: tuple = ()) -> bytes:
    body = sql.encode() + b"\x00"
    parse = pgwire.message(b"P", b"\x00" + body + struct.pack(f"!H{len(oids)}I", len(oids), *oids))
    bind = b"\x00\x00" + struct.pack("!H", len(formats)) + b"".join(struct.pack("!h", f) for f in formats)
    bind += struct.pack("!H", len(values))
    for v in values:
        bind += struct.pack("!i", -1) if v is None else struct.pack("!i", len(v)) + v
    bind += struct.pack("!H", 0)
    return (parse + pgwire.message(b"B", bind) + pgwire.message(b"D", b"S\x00")
            + pgwire.message(b"E", b"\x00" + struct.pack("!i", 0)) + pgwire.message(b"S", b""))


@pytest.fixture(scope="module")
def wire_targets(shared_server, pg15):
    return (("127.0.0.1", shared_server.port), shared_server.superuser), (("127.0.0.1", pg15.port), "postgres")


@pytest.mark.parametrize("oid,fmt", [(25, 0), (25, 1), (0, 0), (1043, 0), (17, 0), (23, 0), (3802, 0)])
def test_nul_in_parameters_refused(wire_targets, oid, fmt):
    """A NUL byte in a text-format parameter (any type) or a binary text one: 22021 as PostgreSQL."""
    got = [_wire(t, u, _parse_bind("SELECT $1::text", [oid], [b"a\x00b"], (fmt,))) for t, u in wire_targets]
    assert got[0] == got[1]


@pytest.mark.parametrize("n", [1, 32767, 32768, 40000, 65535])
def test_bind_parameter_counts_up_to_65535(wire_targets, n):
    """Parse, Bind and ParameterDescription counts are unsigned 16-bit in PostgreSQL: more than
    32767 parameters are accepted (and a wrong count is 08P01's message)."""
    sql = f"SELECT $1::int + ${n}::int"
    got = [_wire(t, u, _parse_bind(sql, [23] * n, [b"1"] * n)) for t, u in wire_targets]
    assert got[0] == got[1]
    got = [_wire(t, u, _parse_bind(sql, [23] * n, [b"1"] * (n - 1))) for t, u in wire_targets]
    assert got[0] == got[1]


def test_nul_in_copy_refused(conns):
    for sep in (b"\t", b","):
        got = []
        for conn in conns:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS nul_copy (a text, b text)")
            try:
                with conn.cursor().copy(f"COPY nul_copy FROM STDIN{' (FORMAT csv)' if sep == b',' else ''}") as cp:
                    cp.write(b"x" + sep + b"a\x00b\n")
                got.append(("ok",))
            except psycopg.Error as e:
                got.append((e.sqlstate, e.diag.message_primary))
        assert got[0] == got[1]


# --- bit and bit varying: input checked, lengths coerced, integer casts, operators -------------

BIT_QUERIES = [
    "SELECT 'a'::text::bit(3)", "SELECT '101'::text::bit(3)", "SELECT '10'::text::bit(3)", "SELECT '1012'::bit(4)",
    "SELECT 'x1f'::bit(8)", "SELECT 'x1g'::bit(8)", "SELECT '101'::varchar::varbit", "SELECT 'abc'::text::varbit",
    "SELECT b'101'::text, b'101'::varchar", "SELECT '101'::bit(83886081)", "SELECT '1'::varbit(83886081)",
    "SELECT '1'::bit(83886080) = '1'::bit(83886080)", "SELECT length('1'::bit(100000))", "SELECT 5::bit(3)",
    "SELECT 5::int8::bit(70)", "SELECT b'1010'::int4", "SELECT b'1'::bit(0)", "SELECT '1'::varbit(0)",
    "SELECT b'101'::bit(2), b'101'::bit varying(2), b'101'::bit(5)", "SELECT ''::bit(3), 'X'::bit(3), 'b'::bit(3)",
    "SELECT '1 '::bit(2)", "SELECT '10'::bit(3), '1011'::bit(3), '1011'::varbit(3), '101'::bit",
    "SELECT pg_typeof(b'101'), pg_typeof(x'1f'), b'101' AS x, x'1F'",
    "SELECT 255::bit(8), (-1)::bit(4), 3::bit(1), 1::int8::bit(3), b'11111111'::int4, b'1'::int8",
    "SELECT ('1' || repeat('0', 32))::bit(33)::int4", "SELECT ('1' || repeat('0', 64))::bit(65)::int8",
    "SELECT b'10000000000000000000000000000000'::int4, ('1' || repeat('0', 63))::bit(64)::int8",
    "SELECT b'101' || b'11', b'101' & b'110', b'101' | b'110', b'101' # b'110', ~b'101', b'101' << 1, b'101' >> 1",
    "SELECT b'101' & b'11'", "SELECT b'101' | b'1'", "SELECT b'101' # b'1'", "SELECT b'1010' << 2, b'1010' >> 5",
    "SELECT length(b'101'), octet_length(b'101010101'), bit_length(b'101'), position(b'1' in b'0101')",
    "SELECT substring(b'10101' from 2 for 2), substring(b'10101' from 0 for 3), substring(b'10101' from 3)",
    "SELECT substring(b'10101' from 2 for -1)", "SELECT overlay(b'10101' placing b'00' from 2)",
    "SELECT b'101' = b'101', b'101' < b'11', b'10' < b'100', b'101' = '101'::varbit",
    "SELECT array[b'1', b'10']::text, '{101,11}'::bit(3)[]::text, '{101,11}'::varbit[]::text",
    "SELECT x'F'::bit(8), 'X1F'::varbit, 'B101'::varbit, 'b'::varbit, ''::varbit, x'AB' || b'1'",
    "SELECT bit_count(b'111'), get_bit(b'101', 2), set_bit(b'101', 1, 1)",
    "SELECT a FROM (VALUES (b'11'), (b'1'), (b'100')) v(a) ORDER BY a",
    "SELECT '101'::varbit::int", "SELECT '101'::varbit::int8", "SELECT '5'::json::int", "SELECT '5'::json::numeric",
    "SELECT '5'::json::jsonb, '5'::json::text, b'101'::varbit::bit::int, b'1'::varchar(2), b'1'::bit::bit(3)",
]


@pytest.mark.parametrize("sql", BIT_QUERIES)
def test_bit_strings(conns, sql):
    same(conns, sql)


def test_bit_columns(conns):
    setting(conns, "CREATE TEMP TABLE IF NOT EXISTS bit_t (a bit(3), b varbit(3))")
    setting(conns, "DELETE FROM bit_t")
    for values in ("('101', '1')", "('10', '1')", "(b'10', '1')", "('101', '1111')", "('101', b'1111')",
                   "(5::bit(3), '11')", "('1x1', '1')"):
        same(conns, f"INSERT INTO bit_t VALUES {values}")
    same(conns, "INSERT INTO bit_t VALUES (%s, %s)", ("011", "01"))
    same(conns, "UPDATE bit_t SET a = ~a, b = b || b'1'")
    same(conns, "SELECT a, b, a::varbit || b, length(b), pg_typeof(a || b) FROM bit_t ORDER BY a")
    got = []
    for conn in conns:  # binary output (bit_send) and input (bit_recv)
        out = conn.pgconn.exec_params(b"SELECT a, b FROM bit_t ORDER BY a", [], result_format=1)
        sent = [out.get_value(i, j) for i in range(out.ntuples) for j in range(2)]
        back = conn.pgconn.exec_params(b"SELECT $1::varbit::text", [sent[0]], [1562], [1])
        bad = conn.pgconn.exec_params(b"SELECT $1::varbit::text", [b"\x00\x00\x00\x09\xff"], [1562], [1])
        got.append((sent, back.get_value(0, 0), bad.error_field(ord("C"))))
    assert got[0] == got[1]


# --- inet and cidr: network_cmp's order, functions and operators -------------------------------

INET_SAMPLE = ("(VALUES ('10.1.2.3/8'::inet), ('10.1.2.3'::inet), ('::1'::inet), ('2001:db8::1/64'::inet), "
               "('::ffff:1.2.3.4/100'::inet), ('0.0.0.0/0'::inet), ('9.1.1.1'::inet), ('10.0.0.0/8'::inet)) t(v)")
CIDR_SAMPLE = ("(VALUES ('10.0.0.0/8'::cidr), ('10.1.0.0/16'::cidr), ('10.1.2.0/24'::cidr), ('10.1.2.3/32'::cidr), "
               "('2001:db8::/32'::cidr), ('0.0.0.0/0'::cidr), ('::/0'::cidr), ('::ffff:1.2.0.0/112'::cidr), "
               "('2001:db8:0:0:1::/80'::cidr), ('1:2:3:4:5:6:7:8/128'::cidr)) t(v)")
INET_QUERIES = [
    f"SELECT v FROM {INET_SAMPLE} ORDER BY v", f"SELECT v FROM {INET_SAMPLE} ORDER BY v DESC",
    f"SELECT v FROM {CIDR_SAMPLE} ORDER BY v",
    f"SELECT v, host(v), masklen(v), netmask(v), hostmask(v), network(v), broadcast(v), family(v), abbrev(v), "
    f"text(v), set_masklen(v, 16) FROM {INET_SAMPLE} ORDER BY v",
    f"SELECT v, abbrev(v), text(v), host(v), set_masklen(v, 8), broadcast(v), network(v) FROM {CIDR_SAMPLE} ORDER BY v",
    "SELECT '10.1.2.3'::inet < '10.1.2.4'::inet, '10.1.2.3/8'::inet << '10.0.0.0/8'::inet, "
    "'10.0.0.0/8'::cidr >> '10.1.2.3'::inet, '10.1.2.3'::inet <<= '10.1.2.3'::inet, "
    "'10.0.0.0/8'::inet >>= '10.0.0.0/8'::inet, '10.0.0.0/8'::inet && '10.1.0.0/16'::inet, '::1'::inet > '10.0.0.1'",
    "SELECT ~'10.1.2.3'::inet, '10.1.2.3'::inet & '255.0.0.0'::inet, '10.1.2.3'::inet | '0.0.0.255'::inet, "
    "'10.1.2.3'::inet + 5, 5 + '10.1.2.3'::inet, '10.1.2.3'::inet - 5, '10.1.2.3'::inet - '10.1.2.0'::inet",
    "SELECT ~'::1'::inet, '::1'::inet + 1, '10.1.2.3/24'::inet + 1, '10.1.2.3/24'::inet & '255.255.0.0'::inet",
    "SELECT inet_same_family('1.2.3.4'::inet, '::1'::inet), inet_merge('10.1.2.3/24'::inet, '10.2.0.0/16'::inet)",
    "SELECT '10.1.2.3'::inet::cidr, '10.1.2.3/24'::inet::cidr, '10.1.2.0/24'::cidr::inet, cidr('10.1.2.3/24'::inet)",
    "SELECT set_masklen('10.1.2.3'::inet, -1), set_masklen('10.1.2.3'::cidr, 33)",
    "SELECT set_masklen('10.1.2.3'::inet, 33)", "SELECT '10.1.2.3'::inet + 4294967295",
    "SELECT '255.255.255.255'::inet + 1", "SELECT '::1'::inet - '10.0.0.1'::inet", "SELECT '::1'::inet & '10.0.0.1'::inet",
    "SELECT inet_merge('10.1.2.3/24'::inet, '::1'::inet)",
]


@pytest.mark.parametrize("sql", INET_QUERIES)
def test_inet_functions_and_order(conns, sql):
    """ORDER BY inet/cidr follows network_cmp (it sorted by text: 10.x before 9.x)."""
    same(conns, sql)


def test_inet_column_order(conns):
    setting(conns, "CREATE TEMP TABLE IF NOT EXISTS inet_t (a inet, c cidr)")
    setting(conns, "DELETE FROM inet_t")
    setting(conns, "INSERT INTO inet_t VALUES ('10.1.2.3', '10.0.0.0/8'), ('9.1.1.1/8', '9.0.0.0/8'), "
                   "('::1', '::/0'), ('10.1.2.3/16', '10.1.0.0/16'), ('192.168.0.1', '192.168.0.0/16')")
    same(conns, "SELECT a, c FROM inet_t ORDER BY a")
    same(conns, "SELECT a FROM inet_t WHERE a << '10.0.0.0/8' ORDER BY 1")
    same(conns, "SELECT c, count(*) FROM inet_t GROUP BY c ORDER BY c")


# --- aclitem: its own input and output -------------------------------------------------------

ACL_INPUTS = ["{u}=arwdDxt/{u}", "=r/{u}", " = r* w /{u} ", "{u}=r*w*a/{u}", "{u}=q/{u}", "{u}=r", "foo {u}=r/{u}",
              "group {u}=r/{u}", "user {u}=r/{u}", "group =r/{u}", "{u} r/{u}", "{u}=r/", "{u}=r/{u} x",
              '"{u}"=r/"{u}"', "nobody_here=r/{u}", "{u}=r/nobody_here", "{u}=arwdDxtXUCTcsA/{u}"]


def test_aclitem_input_and_output(conns):
    """aclitem and aclitem[] values (psycopg's test_array_of_unknown_builtin), with aclitemin's
    errors; the role names are each server's own superuser."""
    got = []
    for conn in conns:
        user = conn.execute("SELECT current_user").fetchone()[0]
        out = []
        for text in ACL_INPUTS:
            v = text.format(u=user)
            r = _run(conn, "SELECT %s::aclitem, array[%s]::aclitem[], pg_typeof(%s::aclitem)::text", (v, v, v))
            out.append(tuple(x.replace(user, "U") if isinstance(x, str) else x for x in r)
                       if r[0] == "error" else ("ok", [tuple(str(c).replace(user, "U") for c in row) for row in r[1]],
                                                r[2]))
        got.append(out)
    assert got[0] == got[1]


@pytest.mark.parametrize("sql", [
    "SELECT array[" + ",".join(str(i) for i in range(300)) + "]::text",
    "SELECT array[" + ",".join(["1.50"] * 150) + "]::text",
    "SELECT cardinality(array[" + ",".join(["'x'"] * 20000) + "])",
    "SELECT (array[" + ",".join(str(i) for i in range(300)) + "])[150]",
    "SELECT array_length(array[" + ",".join(["null"] * 250) + "]::int[], 1)",
    "SELECT array[" + ",".join(["%s::int"] * 200) + "]::text",
])
def test_array_constructor_of_many_elements(conns, sql):
    """ARRAY[...] of more than 127 elements (SQLite's function-argument limit: was XX000)."""
    same(conns, sql, list(range(200)) if "%s" in sql else None)


def test_bit_and_inet_binary_with_asyncpg(shared_server, pg15):
    """asyncpg reads and sends bit, varbit, inet and cidr in binary (bit_send / bit_recv)."""
    asyncpg = pytest.importorskip("asyncpg")

    async def fetch(host, port, user):
        conn = await asyncpg.connect(host=host, port=port, user=user, database="postgres")
        try:
            rows = await conn.fetch(
                "SELECT b'10101'::bit(5), '101'::varbit, $1::varbit, $2::inet, $3::cidr, '10.1.2.3/8'::inet, "
                "$1::varbit || b'1', ''::varbit", asyncpg.BitString("1101"), "10.0.0.1", "10.0.0.0/8")
            return [tuple(r) for r in rows]
        finally:
            await conn.close()
    ours = asyncio.run(fetch("127.0.0.1", shared_server.port, shared_server.superuser))
    ref = asyncio.run(fetch("127.0.0.1", pg15.port, "postgres"))
    assert ours == ref


# --- explicit casts PostgreSQL does not have are 42846, not a value read from another type's text

@pytest.mark.parametrize("sql", [
    "SELECT 20240101::date", "SELECT '1 day'::interval::int", "SELECT now()::int", "SELECT 1::timestamp",
    "SELECT 5::int::interval", "SELECT 1::int::bytea", "SELECT 12::int::inet", "SELECT '5'::money::int",
    "SELECT 1.5::float8::money", "SELECT '5'::xml::int", "SELECT 5::int2::bit(3)", "SELECT 't'::bool::int8",
    "SELECT 1::int::uuid", "SELECT '2020-01-01'::date::int", "SELECT '10:00'::time::int",
    "SELECT 5::numeric::money, 5::money, now()::timetz IS NOT NULL, 1::int2::regclass",
    "SELECT '{1,2}'::int[]::bigint[], '{1,2}'::text[]::int[]",
    "SELECT 'a'::\"char\"::int, ''::\"char\"::int, 97::\"char\", 0::\"char\" = '', 'z'::\"char\"::int + 1",
    "SELECT 200::\"char\"", "SELECT null::\"char\"::int IS NULL, null::int::\"char\" IS NULL",
    "SELECT 'é'::\"char\", length('é'::\"char\"::text), 'é'::\"char\"::int, (-1)::\"char\"::text, "
    "(-61)::\"char\" = 'é'::\"char\"",
    "SELECT '\\101'::\"char\", '\\303'::\"char\", '\\777'::\"char\", '\\1'::\"char\", '\\000'::\"char\" = ''",
])
def test_casts_postgres_does_not_have(conns, sql):
    same(conns, sql)


MAC8_VALUES = ["08:00:2b:01:02:03", "08-00-2b-01-02-03", "08002b:010203", "0800.2b01.0203", "08002b010203",
               "0800.2b01.0203.0405", "08.00.2b.01.02.03", "08:00-2b:01:02:03", " 08:00:2b:01:02:03 ",
               "08:00:2b:01:02:03 x", "08:00:2b:01:02", "08:00:2b:01:02:03:04", "08:00:2B:01:02:03:04:05",
               "8:0:2b:1:2:3", "08002b01020304", "0800:2b01:0203:0405", "08:00:2b:01:02:03:04:05:06", "",
               "0g:00:2b:01:02:03", "08:00:2b:01:02:03:", "08:00:2b:01:02:03:04:05 ", "xyz"]


@pytest.mark.parametrize("value", MAC8_VALUES)
def test_macaddr8_input(conns, value):
    """macaddr8 input is checked and 6-byte addresses widened (was any text: 'xyz'::macaddr8)."""
    same(conns, "SELECT %s::macaddr8", (value,))


@pytest.mark.parametrize("sql", [
    "SELECT '08:00:2b:01:02:03'::macaddr::macaddr8", "SELECT '08:00:2b:01:02:03:04:05'::macaddr8::macaddr",
    "SELECT '08:00:2b:ff:fe:02:03:04'::macaddr8::macaddr",
    "SELECT '08:00:2b:01:02:03'::macaddr8 = '08:00:2b:ff:fe:01:02:03'::macaddr8, "
    "'08:00:2b:01:02:03'::macaddr8 < '09:00:2b:01:02:03'::macaddr8",
])
def test_macaddr8_casts(conns, sql):
    same(conns, sql)


def test_char_binary(conns):
    """ "char" on the wire is one byte, a high one too (charsend / charrecv)."""
    got = []
    for conn in conns:
        r = conn.pgconn.exec_params("SELECT 'a'::\"char\", 'é'::\"char\", ''::\"char\"".encode(), [], result_format=1)
        back = conn.pgconn.exec_params(b"SELECT $1::\"char\"::text", [b"\xc3"], [18], [1])
        got.append(([r.get_value(0, j) for j in range(3)], back.get_value(0, 0)))
    assert got[0] == got[1]
