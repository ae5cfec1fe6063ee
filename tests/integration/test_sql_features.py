"""Query features side by side with PostgreSQL 15 (issue 3): to_char / to_number /
to_date / to_timestamp, LATERAL, ordered-set aggregates. Every expected value comes from
the pg15 fixture at run time; nothing is hard-coded.

One pgsvc server (shared_server) and one PostgreSQL (pg15) for the module; each test
runs the same statements on both over psycopg and compares rows, or SQLSTATE and
message for statements that must fail.
"""

from __future__ import annotations

import itertools

import pytest

psycopg = pytest.importorskip("psycopg")
TextLoader = pytest.importorskip("psycopg.types.string").TextLoader


@pytest.fixture(scope="module")
def conns(shared_server, pg15):
    ours = psycopg.connect(f"host=127.0.0.1 port={shared_server.port} user={shared_server.superuser} "
                           "dbname=postgres", autocommit=True)
    ref = psycopg.connect(pg15.dsn(), autocommit=True)
    for conn in (ours, ref):
        # compare the text PostgreSQL sends (BC dates and 5-digit years have no Python value)
        for name in ("date", "timestamp", "timestamptz", "interval", "numeric", "float4", "float8"):
            conn.adapters.register_loader(name, TextLoader)
    yield ours, ref
    ours.close()
    ref.close()


def _run(conn, sql: str, params=None):
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return ("ok", cur.fetchall() if cur.description else cur.statusmessage)
    except psycopg.Error as e:
        return ("error", e.sqlstate, str(e.diag.message_primary))


def same(conns, sql: str, params=None):
    ours, ref = conns
    expected = _run(ref, sql, params)
    got = _run(ours, sql, params)
    assert got == expected, f"{sql}\n  params={params}"
    return got


def setting(conns, sql: str) -> None:
    for c in conns:
        c.execute(sql)


def compare_table(conns, expr: str, rows: list[tuple]):
    """Evaluate expr over VALUES rows (columns v, f) in one statement on both servers."""
    ours, ref = conns
    placeholders = ", ".join(["(%s, %s)"] * len(rows))
    sql = f"SELECT {expr} FROM (VALUES {placeholders}) AS x(v, f)"
    params = [p for row in rows for p in row]
    expected = _run(ref, sql, params)
    assert expected[0] == "ok", expected
    got = _run(ours, sql, params)
    assert got[0] == "ok", got
    mismatches = [(row, e, g) for row, e, g in zip(rows, expected[1], got[1]) if e != g]
    assert not mismatches, "\n".join(f"{r}: expected {e!r}, got {g!r}" for r, e, g in mismatches[:20])


# --- to_char for dates and times ------------------------------------------------------------

TIMESTAMPS = ["2024-03-05 14:07:09.123456", "0001-03-05 04:07:09 BC", "1999-12-31 23:59:59.999",
              "2005-01-01 00:00:00", "2008-12-29 12:00", "2010-01-03 01:02:03", "12345-06-07 08:09:10",
              "1900-02-28 00:00:00.5", "2024-07-01 00:30"]
DT_TEMPLATES = [
    "YYYY-MM-DD HH24:MI:SS.US", "Day Dy DAY DY day dy", "Month Mon MONTH MON month mon FMMonth",
    "FMDay, FMDD FMMonth YYYY", "YYYY YYY YY Y Y,YYY IYYY IYY IY I", "FMYYYY FMYYY FMYY FMY FMIYYY",
    "DDD IDDD DD D ID WW IW W Q J CC FMCC", "HH HH12 HH24 MI SS MS US FF1 FF2 FF3 FF4 FF5 FF6 SSSS SSSSS",
    "FMHH FMHH12 FMHH24 FMMI FMSS FMDD FMMM FMDDD", "AM PM am pm A.M. P.M. a.m. p.m.",
    "AD BC ad bc A.D. B.C. a.d. b.c.", "TZ tz TZH TZM OF FMOF", "DDTH DDth MMth YYYYth HH24TH DTH FMDDth Qth",
    "RM rm FMRM", '"Quoted" text \\"x\\" \\n "a\\"b"', 'HH24"h"MI"m"', "YYYYMMDDHH24MISS",
    "TMMonth TMDay TMMon", "FXYYYY-MM", "Hh24 Mm Dd yYyY", "DDSP DDTHSP", "FMxx FM",
]


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_to_char_timestamps(conns, zone):
    setting(conns, f"SET TimeZone = '{zone}'")
    rows = list(itertools.product(TIMESTAMPS, DT_TEMPLATES))
    compare_table(conns, "to_char(v::timestamp, f), to_char(v::timestamptz, f)", rows)
    compare_table(conns, "to_char(v::date, f)", [(v, f) for v, f in rows if "BC" not in v])


INTERVALS = ["1 year 2 months 3 days 04:05:06.789", "-13 months 3 days -25:03:04", "0", "12 months",
             "-12 months", "100 years", "-1 day -00:00:01.5", "3 months 40 days 49:00:00"]
IV_TEMPLATES = ["YYYY MM DD HH HH24 MI SS MS US", "RM rm FMRM", "DDD CC Y,YYY W Q", "FMHH FMMM FMDD",
                "YYY YY Y", "HH12 AM", "DDTH MMth", "IW IDDD IYYY", "SSSS FF2"]


def test_to_char_intervals(conns):
    compare_table(conns, "to_char(v::interval, f)", list(itertools.product(INTERVALS, IV_TEMPLATES)))


@pytest.mark.parametrize("template", ["Day", "Mon", "Month", "D", "TZ", "OF", "AD", "ID"])
def test_to_char_interval_rejects_calendar_fields(conns, template):
    same(conns, "SELECT to_char(interval '1 day', %s)", (template,))


def test_to_char_datetime_nulls_and_infinity(conns):
    same(conns, "SELECT to_char(timestamp 'infinity', 'YYYY'), to_char(NULL::timestamptz, 'YYYY'), "
                "to_char(now(), NULL), to_char(date '-infinity', 'YYYY')")


def test_to_char_follows_timezone_and_datestyle(conns):
    setting(conns, "SET TimeZone = 'Europe/Berlin'")
    setting(conns, "SET DateStyle = 'SQL, DMY'")
    same(conns, "SELECT to_char(timestamptz '2024-07-01 12:00+00', 'YYYY-MM-DD HH24:MI TZ OF'), "
                "to_char(timestamptz '2024-01-01 12:00+00', 'HH24 TZ'), "
                "to_char('2024-07-01 12:00+00'::timestamptz, 'DD Mon')")
    setting(conns, "RESET DateStyle")
    setting(conns, "RESET TimeZone")


# --- to_char for numbers ----------------------------------------------------------------------

NUMBERS = ["0", "0.5", "-0.5", "1", "-1", "12", "-12", "123.456", "-123.456", "1234.5", "-1234.5", "0.001",
           "99.995", "1234567.891", "-0.0001", "3999", "148.5", "-7"]
NUM_TEMPLATES = [
    "9", "999", "99999", "0000", "0999", "9990", "999.99", "9.9", ".9", "0.9", "9.999", "FM9999",
    "FM999.99", "FM990.00", "FM9.9", "FM99.0", "FM0.99", "9,999.99", "9G999D99", "FM9,999,999.999",
    "S999", "999S", "S9.99", "9.99S", "FMS999", "MI999", "999MI", "999PL", "PL999", "SG999", "999SG",
    "999PR", "FM999PR", "L999", "RN", "rn", "FMRN", "999th", "999TH", "FM999th", "99V99", "99V9",
    "9.99EEEE", "99.9EEEE", "9EEEE", "000.000", "FM000.000", '"num" 999 "x"', "$999", "S0099.9",
    "FM9G999.99",
]


@pytest.mark.parametrize("cast", ["numeric", "float8", "float4"])
def test_to_char_numbers(conns, cast):
    compare_table(conns, f"to_char(v::{cast}, f)", list(itertools.product(NUMBERS, NUM_TEMPLATES)))


@pytest.mark.parametrize("cast", ["int4", "int8", "int2"])
def test_to_char_integers(conns, cast):
    ints = [n for n in NUMBERS if "." not in n]
    compare_table(conns, f"to_char(v::{cast}, f)", list(itertools.product(ints, NUM_TEMPLATES)))


@pytest.mark.parametrize("template", ["9.9.9", "99V9.9", "S9S", "MI9S", "S9MI", "9PR9", "EEEE9.9EEEE",
                                      "FM9EEEE", "9EEEEMI", "PL9PR"])
def test_to_char_number_template_errors(conns, template):
    same(conns, "SELECT to_char(1.5, %s)", (template,))


# --- to_number, to_date, to_timestamp --------------------------------------------------------

TO_NUMBER = [("12,454.8-", "99G999D9S"), ("-34,338,492", "99G999G999"), ("<564646.654564>", "999999.999999PR"),
             ("0.00001-", "9.999999S"), ("5.01-", "FM9.999999S"), ("5.01-", "FM9.999999MI"),
             ("5 4 4 4 4 8 . 7 8", "9 9 9 9 9 9 . 9 9"), (".01", "FM9.99"), (".0", "99999999.99999999"),
             ("0", "99.99"), (".-01", "S99.99"), (".01-", "99.99S"), ("34,50", "999,99"), ("123,000", "999G"),
             ("123456", "999G999"), ("$1234.56", "L9,999.99"), ("1,234.56", "L99,999.99"), ("42nd", "99th"),
             ("12345.678", "99999.999"), ("12345", "999"), ("-1234", "9999"), ("1234-", "9999MI"),
             ("12.34", "9999"), ("12.345", "99.99"), ("12", "99V9"), ("1a2b", "9999"), ("x1234", "L9999")]


def test_to_number(conns):
    compare_table(conns, "to_number(v, f)", TO_NUMBER)


@pytest.mark.parametrize("text,template", [("1234", "99.99"), ("", "999"), ("-", "9"), ("XIV", "RN"),
                                           ("1e5", "9EEEE")])
def test_to_number_errors(conns, text, template):
    same(conns, "SELECT to_number(%s, %s)", (text, template))


TO_TIMESTAMP = [
    ("10:30", "HH24:MI"), ("2020 365", "YYYY DDD"), ("2020-01-01 11:00 PM", "YYYY-MM-DD HH:MI AM"),
    ("05 Mar 2020", "DD Mon YYYY"), ("  5 march   2020", "DD Month YYYY"), ("20200305", "YYYYMMDD"),
    ("2020-W10-2", 'IYYY-"W"IW-ID'), ("2020-03-05 10:00 +05:30", "YYYY-MM-DD HH24:MI TZH:TZM"),
    ("21", "CC"), ("70-1-1", "YY-MM-DD"), ("1.5", "SS.MS"), ("1.123456", "SS.US"), ("1.12", "SS.FF3"),
    ("20xx", "YYYY"), ("2020 1", "YYYY MM DD"), ("12 AM", "HH AM"), ("12 p.m.", "HH A.M."), ("44 BC", "YYYY BC"),
    ("2000JUN", "YYYYMON"), ("1997 12 01", "FXYYYY-MM-DD"), ("1997-1-1", "YYYY-MM-DD"),
    ("2010-09-15T10:00:00", 'YYYY-MM-DD"T"HH24:MI:SS'), ("1,234", "Y,YYY"), ("05121445482000", "MMDDHH24MISSYYYY"),
    ("XII 2000", "RM YYYY"), ("2451545", "J"), ("2000 3", "YYYY Q"), ("2020 10 3", "YYYY WW D"), ("200", "YYY"),
    ("2000-01-01 12:00 -03", "YYYY-MM-DD HH24:MI TZH"), ("Tuesday 5 March 2020", "Day DD Month YYYY"),
    ("2020-3-5", "FMYYYY-FMMM-FMDD"), ("1st 2020", "DDth YYYY"), ("2020/03/05", "YYYY-MM-DD"),
]


def test_to_date_and_to_timestamp(conns):
    setting(conns, "SET TimeZone = 'America/New_York'")
    compare_table(conns, "to_date(v, f), to_timestamp(v, f)", TO_TIMESTAMP)
    same(conns, "SELECT to_timestamp(0), to_timestamp(1700000000.5), to_timestamp('Infinity'::float8)")
    setting(conns, "RESET TimeZone")


@pytest.mark.parametrize("text,template", [
    ("2020-13-01", "YYYY-MM-DD"), ("2020-02-30", "YYYY-MM-DD"), ("10:70", "HH24:MI"), ("13", "HH12"),
    ("2000 12 11", "YYYY MM MM"), ("x 2000", "RM YYYY"), ("2000-01-01 12:00", "YYYY-MM-DD HH24:MI TZ"),
    ("2000", "YYYYMM"), ("0 BC", "YYYY BC"), ("199", "DDD"),
])
def test_to_timestamp_errors(conns, text, template):
    same(conns, "SELECT to_timestamp(%s, %s)", (text, template))
    same(conns, "SELECT to_date(%s, %s)", (text, template))


# --- LATERAL ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lateral_tables(conns):
    for c in conns:
        c.execute("CREATE TABLE lat_t (a int, n int, arr int[], j jsonb)")
        c.execute("INSERT INTO lat_t VALUES (1, 2, '{1,2}', '[1, \"x\", {\"k\": 2.50}]'), (2, 0, '{}', '[]'), "
                  "(3, 3, NULL, NULL)")
        c.execute("CREATE TABLE lat_u (a int, b float8, c text, d numeric, e bytea)")
        c.execute("INSERT INTO lat_u VALUES (1, 0.1, 'x', 1.50, '\\x00ff'), (1, 1e300, 'y', -2, NULL), "
                  "(3, 3.5, NULL, 10, '\\x')")
    return conns


@pytest.mark.parametrize("sql", [
    "SELECT * FROM lat_t t, LATERAL (SELECT u.b FROM lat_u u WHERE u.a = t.a ORDER BY b DESC LIMIT 1) s ORDER BY t.a",
    "SELECT t.a, s.* FROM lat_t t CROSS JOIN LATERAL (SELECT b, c, d, e FROM lat_u u WHERE u.a = t.a) s "
    "ORDER BY t.a, s.b",
    "SELECT t.a, s.* FROM lat_t t JOIN LATERAL (SELECT b FROM lat_u u WHERE u.a = t.a) s ON true ORDER BY 1, 2",
    "SELECT t.a, s.* FROM lat_t t LEFT JOIN LATERAL (SELECT b, c FROM lat_u u WHERE u.a = t.a) s ON s.b > 1 "
    "ORDER BY 1, 2",
    "SELECT t.a, x.* FROM lat_t t LEFT JOIN LATERAL (SELECT count(*), sum(b), max(d) FROM lat_u u "
    "WHERE u.a = t.a) x ON true ORDER BY 1",
    "SELECT t.a, s.total FROM lat_t t, LATERAL (SELECT sum(d) AS total FROM lat_u u WHERE u.a = t.a) s "
    "WHERE s.total IS NOT NULL ORDER BY 1",
    "SELECT t.a, s.b FROM lat_t t, LATERAL (SELECT b FROM lat_u u WHERE u.a = t.a ORDER BY b) s ORDER BY 1, 2",
    "SELECT t.a, g FROM lat_t t, generate_series(1, t.n) g ORDER BY 1, 2",
    "SELECT t.a, g FROM lat_t t LEFT JOIN LATERAL generate_series(1, t.n) g ON true ORDER BY 1, 2",
    "SELECT t.a, g FROM lat_t t CROSS JOIN LATERAL generate_series(t.n, 1, -1) AS g ORDER BY 1, 2 DESC",
    "SELECT t.a, e FROM lat_t t, unnest(t.arr) e ORDER BY 1, 2",
    "SELECT t.a, e, k FROM lat_t t, unnest(t.arr) WITH ORDINALITY AS u(e, k) ORDER BY 1, 3",
    "SELECT t.a, e FROM lat_t t, jsonb_array_elements(t.j) e ORDER BY 1, 2",
    "SELECT t.a, e FROM lat_t t, jsonb_array_elements_text(t.j) e ORDER BY 1, 2",
    "SELECT t.a, e FROM lat_t t, json_array_elements(t.j::json) AS e ORDER BY 1, 2::text",
    "SELECT t.a, (SELECT string_agg(s.c, ',') FROM LATERAL (SELECT c FROM lat_u u WHERE u.a = t.a ORDER BY c) s) "
    "FROM lat_t t ORDER BY 1",
    "SELECT t.a, s.x FROM lat_t t, LATERAL (SELECT t.n * 2 AS x) s ORDER BY 1",
    "SELECT * FROM lat_t t RIGHT JOIN LATERAL (SELECT * FROM lat_u u WHERE u.a = t.a) s ON true",
    "SELECT * FROM lat_t t FULL JOIN LATERAL (SELECT 1 AS one) s ON true ORDER BY t.a",
    "SELECT * FROM (SELECT 1 AS x) q, (SELECT q.x) s",
    "SELECT * FROM lat_t t, LATERAL (SELECT u.nope FROM lat_u u WHERE u.a = t.a) s",
])
def test_lateral(lateral_tables, sql):
    same(lateral_tables, sql)


@pytest.mark.parametrize("sql", [
    "SELECT * FROM json_array_elements('[1, {\"a\" : 2}, \"x\", null]') e",
    "SELECT * FROM json_array_elements_text('[1, {\"a\" : 2}, \"x\", null]') e",
    "SELECT * FROM jsonb_array_elements('[1, {\"a\" : 2}, \"x\", null]') e",
    "SELECT * FROM jsonb_object_keys('{\"b\": 1, \"a\": 2}')",
    "SELECT * FROM json_object_keys('{\"b\": 1, \"a\": 2}')",
    "SELECT * FROM json_array_elements('{}')",
    "SELECT * FROM jsonb_array_elements('1')",
    "SELECT * FROM jsonb_object_keys('[1]')",
])
def test_json_set_functions(conns, sql):
    same(conns, sql)


# --- WITHIN GROUP ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def osa_table(conns):
    for c in conns:
        c.execute("CREATE TABLE osa (g int, x int, f float8, d numeric, t text, iv interval, ts timestamp)")
        c.execute("INSERT INTO osa SELECT i % 3, i, i * 1.5, i / 4.0, chr(97 + i % 5), i * interval '90 min', "
                  "timestamp '2024-01-01' + i * interval '7 hours' FROM generate_series(1, 20) i")
        c.execute("INSERT INTO osa VALUES (1, NULL, NULL, NULL, NULL, NULL, NULL), (3, 7, 'NaN', 2, 'b', '1 day', "
                  "NULL)")
    return conns


@pytest.mark.parametrize("sql", [
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x), percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM osa",
    "SELECT g, percentile_cont(0.25) WITHIN GROUP (ORDER BY f), percentile_disc(0.75) WITHIN GROUP (ORDER BY d), "
    "mode() WITHIN GROUP (ORDER BY t) FROM osa GROUP BY g ORDER BY g",
    "SELECT percentile_cont(array[0, 0.1, 0.5, NULL, 1]) WITHIN GROUP (ORDER BY x DESC) FROM osa",
    "SELECT percentile_disc(array[0.2, 0.8]) WITHIN GROUP (ORDER BY t), "
    "percentile_disc(array[0.2, 0.8]) WITHIN GROUP (ORDER BY ts) FROM osa",
    "SELECT percentile_cont(0.3) WITHIN GROUP (ORDER BY iv), percentile_cont(array[0.3]) WITHIN GROUP (ORDER BY iv) "
    "FROM osa",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY f) FROM osa WHERE g = 3",
    "SELECT mode() WITHIN GROUP (ORDER BY t DESC), mode() WITHIN GROUP (ORDER BY x % 4) FILTER (WHERE x > 3) FROM osa",
    "SELECT percentile_cont(NULL) WITHIN GROUP (ORDER BY x), percentile_disc(0.5) WITHIN GROUP (ORDER BY x) "
    "FROM osa WHERE false",
    "SELECT rank(7) WITHIN GROUP (ORDER BY x), dense_rank(7) WITHIN GROUP (ORDER BY x % 5), "
    "percent_rank(7) WITHIN GROUP (ORDER BY x DESC NULLS LAST), cume_dist(7) WITHIN GROUP (ORDER BY x) FROM osa",
    "SELECT g, rank(2, 'c') WITHIN GROUP (ORDER BY g, t DESC) FROM osa GROUP BY g ORDER BY g",
    "SELECT rank(1) WITHIN GROUP (ORDER BY x), percent_rank(1) WITHIN GROUP (ORDER BY x), "
    "cume_dist(1) WITHIN GROUP (ORDER BY x), dense_rank(1) WITHIN GROUP (ORDER BY x) FROM osa WHERE false",
    "SELECT percentile_cont(1.5) WITHIN GROUP (ORDER BY x) FROM osa",
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) FROM osa",
    "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) OVER () FROM osa",
    "SELECT rank(1, 2) WITHIN GROUP (ORDER BY x) FROM osa",
    "SELECT sum(x) WITHIN GROUP (ORDER BY x) FROM osa",
    "SELECT x FROM osa WHERE percentile_cont(0.5) WITHIN GROUP (ORDER BY x) > 1",
])
def test_within_group(osa_table, sql):
    same(osa_table, sql)


@pytest.mark.parametrize("sql", [
    "SELECT t.a, g FROM lat_t t RIGHT JOIN LATERAL generate_series(0, t.n) g ON true",
    "SELECT t.a, g FROM lat_t t FULL JOIN LATERAL generate_series(0, t.n) g ON true",
    "SELECT * FROM lat_t t, (SELECT n AS g) ss",
    "SELECT * FROM lat_t t, (SELECT t.n AS g) ss",
])
def test_lateral_reference_errors(lateral_tables, sql):
    same(lateral_tables, sql)


# --- statistics aggregates ---------------------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "SELECT stddev_pop(d), stddev_samp(d), var_pop(d), var_samp(d), variance(x), stddev(x) FROM osa",
    "SELECT stddev_pop(f), stddev_samp(x::float4), var_pop(f), var_samp(f) FROM osa WHERE f <> 'NaN'",
    "SELECT var_pop(f), stddev_samp(f) FROM osa",
    "SELECT var_pop(1.0::numeric), var_samp(2.0::numeric), stddev_pop(3.0::numeric), stddev_samp(4.0::numeric)",
    "SELECT var_pop('inf'::float8), var_samp('inf'::float8), stddev_pop('nan'::float4), var_pop('inf'::numeric)",
    "SELECT regr_count(f, x), regr_sxx(f, x), regr_syy(f, x), regr_sxy(f, x), regr_avgx(f, x), regr_avgy(f, x), "
    "regr_r2(f, x), regr_slope(f, x), regr_intercept(f, x), covar_pop(f, x), covar_samp(f, x), corr(f, x) "
    "FROM osa WHERE f <> 'NaN'",
    "SELECT g, corr(x, d), regr_slope(x, d) FILTER (WHERE x > 2) FROM osa GROUP BY g ORDER BY g",
    "SELECT regr_count(1, 1), covar_pop(1, 2), corr(1, 1) WHERE false",
    "SELECT corr(y, x), regr_r2(y, x), regr_slope(y, x) FROM (VALUES (1, 1), (1, 2)) v(y, x)",
    "SELECT x, covar_samp(f, x) OVER (ORDER BY x ROWS 2 PRECEDING) FROM osa WHERE x < 6 ORDER BY x",
])
def test_statistics_aggregates(osa_table, sql):
    same(osa_table, sql)


# --- format() and VARIADIC "any" -----------------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "SELECT format('%2$s %s', 'a', 'b', 'c'), format('%*s|', 3, 'x'), format('%-*s|', 3, 'x'), "
    "format('%3$*1$s|', 3, 'x', 'y'), format('%*2$s', 3, 4, 5), format('%-10s|%10s|', 'a', 'b')",
    "SELECT format('>>%2$*1$L<<', 10, 'Hello'), format('>>%2$*1$L<<', -10, NULL), format('>>%2$*1$L<<', NULL, 'x')",
    "SELECT format('%s %I %L %%', 'a b', 'A b', 'it''s'), format('%s|%L', NULL, NULL)",
    "SELECT format('Hello %x', 20)", "SELECT format('%0$s', 'Hello')", "SELECT format('%*0$s', 'Hello')",
    "SELECT format('%1$', 1)", "SELECT format('%5', 1)", "SELECT format('%s %s', 1)", "SELECT format('%I', NULL)",
    "SELECT format('%*s', 'x', 'y')",
    "SELECT concat(VARIADIC array[1, 2, 3]), concat_ws(',', VARIADIC array[1.50, NULL, 2]::numeric[])",
    "SELECT concat(VARIADIC NULL::int[]) IS NULL, concat(VARIADIC '{}'::int[]) = '', "
    "concat_ws(',', VARIADIC NULL::int[]) IS NULL",
    "SELECT format('%s, %s', VARIADIC array[true, false]), format('%2$s, %1$s', VARIADIC array['a', 'b']), "
    "format('x', VARIADIC NULL::int[])",
    "SELECT format(string_agg('%s', ','), VARIADIC array_agg(i)) FROM generate_series(1, 30) g(i)",
])
def test_format_and_variadic(conns, sql):
    same(conns, sql)


# --- identifier quoting: quote_ident, format('%I') and every name pgsvc prints -------------------

def test_quote_ident_of_every_keyword_and_odd_name(conns):
    """PostgreSQL's quote_identifier over all its keywords (only unreserved ones stay bare) and
    names that need quotes for other reasons ('$', upper case, non-ASCII, a leading digit)."""
    _, ref = conns
    words = [w for (w,) in _run(ref, "SELECT word FROM pg_get_keywords() ORDER BY word")[1]]
    names = words + ["a$b", "_x1$", "Mixed", "1abc", "été", "", 'q"x', "my table", "_x", "a_1", "x1"]
    # '%%' is psycopg's escape for a '%' in a statement with parameters
    compare_table(conns, "v, quote_ident(v), format('%%I', v), format('%%I.%%I|%%s', f, v, quote_literal(v))",
                  [(name, "Sch") for name in names])


@pytest.fixture(scope="module")
def quoted_objects(conns):
    for c in conns:
        c.execute('CREATE SCHEMA "Sch"')
        c.execute('CREATE TYPE "a$b" AS ENUM (\'x\', \'y\')')
        c.execute('CREATE TYPE "Sch"."table" AS ENUM (\'z\')')
        c.execute('CREATE TABLE "select" (id int PRIMARY KEY, "a$b" int NOT NULL, "Mixed" text NOT NULL, '
                  '"table" "a$b", name text, "int" int)')
        c.execute('CREATE TABLE "Sch"."user" (k int)')
        c.execute('CREATE VIEW "order" AS SELECT s.id, s."a$b", s."Mixed" AS "left", s."table", s.name, s."int" '
                  'FROM "select" s WHERE s."a$b" > 0')
    return conns


@pytest.mark.parametrize("sql", [
    "SELECT quote_ident('select'), quote_ident('a$b'), format('%I', 'table'), quote_ident('name'), "
    "quote_ident('Mixed'), quote_ident('q\"x'), format('%I', 'left'), format('%I', 'int')",
    "SELECT '\"select\"'::regclass::text, '\"order\"'::regclass::text, '\"Sch\".\"user\"'::regclass::text",
    "SELECT '\"a$b\"'::regtype::text, '\"Sch\".\"table\"'::regtype::text, format_type('\"a$b\"'::regtype, NULL), "
    "'\"Sch\"'::regnamespace::text",
    "SELECT 'left'::regproc::text, 'left(text,int)'::regprocedure::text, "
    "'pg_catalog.\"overlay\"(text,text,int)'::regprocedure::text",
    "SELECT pg_get_viewdef('\"order\"'::regclass, true)", "SELECT pg_get_viewdef('\"order\"'::regclass)",
    "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = '\"select\"'::regclass",
    # only this fixture's column names: other tests' tables in public have NOT NULL ids too
    "SELECT check_clause FROM information_schema.check_constraints WHERE constraint_schema = 'public' "
    "AND check_clause IN ('a$b IS NOT NULL', 'Mixed IS NOT NULL') ORDER BY 1",
])
def test_identifiers_print_quoted_as_postgresql(quoted_objects, sql):
    same(quoted_objects, sql)


# --- misspelt columns, generate_series step -----------------------------------------------------

@pytest.mark.parametrize("sql", [
    "SELECT xx FROM lat_t", "SELECT t.nn FROM lat_t t", "SELECT u.a2 FROM lat_t t JOIN lat_u u ON t.a = u.a",
    "SELECT aa FROM lat_t t JOIN lat_u u ON t.a = u.a", "SELECT (SELECT bb FROM lat_u) FROM lat_t",
    "SELECT zzzz FROM lat_t", "SELECT t2.n FROM lat_t t",
    "SELECT * FROM generate_series(1, 10, 0)", "SELECT * FROM generate_series(1::int8, 10, 0)",
])
def test_column_hints_and_series_errors(lateral_tables, sql):
    same(lateral_tables, sql)


@pytest.mark.parametrize("sql", [
    "SELECT sum(x::numeric), avg(x::numeric), var_pop(x::numeric) FROM (VALUES ('-infinity'), ('infinity')) v(x)",
    "SELECT sum(x::numeric), avg(x::numeric) FROM (VALUES ('1'), ('infinity')) v(x)",
    "SELECT avg('NaN'::numeric), sum('NaN'::numeric) FROM generate_series(1, 3)",
    "SELECT bit_xor(x), bit_and(x), bit_or(x) FROM (VALUES (5), (3), (NULL)) v(x)",
    "SELECT string_agg(DISTINCT t, ',' ORDER BY t::text) FROM osa",
    "SELECT string_agg(DISTINCT t, ',' ORDER BY t) FROM osa",
    "SELECT max(x) FILTER (WHERE count(*) > 0) FROM osa",
    "SELECT percentile_cont(0.5, 1)", "SELECT nosuchagg(*)",
])
def test_aggregate_edge_cases(osa_table, sql):
    same(osa_table, sql)


@pytest.mark.parametrize("sql", [
    "SELECT float8(5::int8), int4(2.7), text(12), numeric('1.50'), date('2020-01-01'), int8(3), float4(1)",
    "SELECT nosuch(1)", "SELECT int4('x')",
    "SELECT 4567890123456789::int8::float4, 16777217::int4::float4, 123::int8::float4",
    "SELECT 4567890123456789::int8::oid", "SELECT 5::int8::oid",
    "SELECT gcd((-2147483648)::int4, 0::int4)", "SELECT lcm(2147483647::int4, 2147483646::int4)",
    "SELECT gcd((-9223372036854775808)::int8, 0::int8)", "SELECT gcd(12, 18), lcm(4::int2, 6), gcd(-12::int8, 18)",
])
def test_casts_and_integer_functions(conns, sql):
    same(conns, sql)


@pytest.mark.parametrize("sql", [
    "SELECT t.a, ss.x FROM lat_t t, LATERAL (VALUES (t.a), (t.n * 10)) ss(x) ORDER BY 1, 2",
    "SELECT count(*) FROM lat_t a, lat_u b JOIN LATERAL (VALUES (a.a)) ss(x) ON b.a = ss.x",
    "SELECT s.* FROM lat_t t, LATERAL (SELECT t.*) s ORDER BY s.a",
    "SELECT t.a, s2.* FROM lat_t t, LATERAL (SELECT t.n) s1, LATERAL (SELECT s1.*, t.a * 2 AS d) s2 ORDER BY 1",
])
def test_lateral_values_and_stars(lateral_tables, sql):
    same(lateral_tables, sql)


def test_aliased_join_hides_its_tables(lateral_tables):
    same(lateral_tables, "SELECT * FROM (lat_t JOIN lat_u USING (a)) AS x WHERE lat_t.n = 1")
    same(lateral_tables, "SELECT x.a, x.n FROM (lat_t JOIN lat_u USING (a)) AS x WHERE x.n = 2 ORDER BY 1")


@pytest.mark.parametrize("sql", [
    "SELECT * FROM pg_sleep(0.01)", "SELECT pg_sleep FROM pg_sleep(0)", "SELECT * FROM pg_sleep(0) AS s(x)",
    "SELECT * FROM upper('abc')", "SELECT u FROM upper('abc') u", "SELECT * FROM upper('abc') AS u(v)",
    "SELECT x.* FROM abs(-5) x", "SELECT * FROM (VALUES (1)) v, lower('X') l", "SELECT * FROM pg_sleep(0), upper('a')",
    "SELECT * FROM current_database()", "SELECT pg_sleep(0) IS NULL, pg_sleep(NULL) IS NULL",
])
def test_scalar_function_in_from(conns, sql):
    """A function returning one value in FROM is a one-row set (was 0A000 for pg_sleep, upper, ...)."""
    same(conns, sql)
