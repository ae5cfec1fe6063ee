"""COPY ... (FORMAT binary) side by side with PostgreSQL 15 (issue 18): the bytes pgsvc
writes for a table, a column list and a query equal PostgreSQL's (message by message),
PostgreSQL's binary COPY output loads into pgsvc with the same rows, psycopg's binary
write_row loads the same rows into both, and malformed input fails with PostgreSQL's
SQLSTATE and message. Expected values come from the pg15 fixture at run time.
"""

from __future__ import annotations

import os
import struct
import subprocess
from decimal import Decimal

import pytest

psycopg = pytest.importorskip("psycopg")
TextLoader = pytest.importorskip("psycopg.types.string").TextLoader

COLUMNS = ("i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric, n2 numeric(10,3), b bool, t text, "
           "vc varchar(5), c char(3), nm name, ch \"char\", by bytea, d date, tm time, ttz timetz, ts timestamp, "
           "tstz timestamptz, iv interval, u uuid, j json, jb jsonb, ai int4[], at text[], an numeric[], "
           "af float8[], ab bytea[], ats timestamptz[], o oid, rt regtype, mood copybin_mood, dom copybin_dom, "
           "bx box")
ROWS = [
    "(1, 2, 3, 1.5, 2.25, 12.340, 1.5, true, 'héllo', 'ab', 'x', 'nm', 'q', '\\x00ff', '2000-01-02', '12:34:56.5', "
    "'12:00+05:30', '2000-01-02 03:04:05', '2000-01-02 03:04:05+00', '1 year 2 days 00:00:01.5', "
    "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": 1}', '{\"b\": [1, 2]}', '{1,NULL,3}', '{{a,b},{c,NULL}}', "
    "'{1.5,NaN,-0.001}', '{Infinity,-0,NaN}', '{\"\\\\x01\",NULL}', '{\"2000-01-01 00:00+00\"}', 42, 'int4', 'sad', "
    "7, '(1,2),(3,4)')",
    "(-32768, -2147483648, -9223372036854775808, 'NaN', '-Infinity', 'NaN', -0.001, false, '', '', '', '', '', "
    "'', 'infinity', '24:00', '24:00-15:59', '-infinity', 'infinity', '-178000000 years', "
    "'00000000-0000-0000-0000-000000000000', '[]', 'null', '{}', '{}', '{}', '{}', '{}', '{}', 4294967295, "
    "'text[]', 'happy', -1, '(0,0),(0,0)')",
    "(NULL, NULL, NULL, NULL, NULL, 'Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '4713-01-01 BC', "
    "NULL, NULL, '294276-12-31 23:59:59.999999', '1999-12-31 23:59:59.999999+00', '-1 mons 3 days -00:00:00.000001', "
    "NULL, NULL, NULL, '{NULL}', '{\"\"}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    "(0, 0, 0, 1e-45, 1e308, 1234567890123456789012345678901234567890.0123456789, 1234567.123, NULL, "
    "E'tab\\there\\nnewline \\\\ back', 'abcde', 'abc', repeat('n', 63), NULL, '\\x', '2000-02-29', '00:00', "
    "'00:00+00', '2000-01-01', '2000-01-01 00:00+00', '0', NULL, '{\"é\": \"ü\"}', '{\"z\": {\"y\": [true, null]}}', "
    "'{{1,2},{3,4}}', '{\"a b\",\"c,d\",\"\\\\\\\"\"}', '{1e-20}', '{1.5}', '{\"\\\\x\"}', '{NULL}', 0, 'bool', "
    "'ok', 0, '(-1.5,2e10),(3,-4)')",
]
SETUP = [
    "DROP TABLE IF EXISTS copybin_t", "DROP DOMAIN IF EXISTS copybin_dom", "DROP TYPE IF EXISTS copybin_mood",
    "CREATE TYPE copybin_mood AS ENUM ('sad', 'ok', 'happy')",
    "CREATE DOMAIN copybin_dom AS int4 CHECK (VALUE > -5)",
    f"CREATE TABLE copybin_t ({COLUMNS})",
    "INSERT INTO copybin_t VALUES " + ", ".join(ROWS),
]
TARGET = "CREATE TABLE copybin_in (" + COLUMNS + ")"


def _text_everything(conn) -> None:
    for oid in range(1, 10000):
        conn.adapters.register_loader(oid, TextLoader)


@pytest.fixture(scope="module")
def both(shared_server, pg15):
    out = []
    for dsn in (shared_server.dsn(), pg15.dsn()):
        conn = psycopg.connect(dsn, autocommit=True)
        conn.execute("SET TIME ZONE 'UTC'")
        for sql in SETUP:
            conn.execute(sql)
        _text_everything(conn)
        out.append(conn)
    yield out
    for conn in out:
        for sql in ("DROP TABLE IF EXISTS copybin_t", "DROP TABLE IF EXISTS copybin_in",
                    "DROP DOMAIN IF EXISTS copybin_dom", "DROP TYPE IF EXISTS copybin_mood"):
            conn.execute(sql)
        conn.close()


def _copy_out(conn, sql: str) -> list[bytes]:
    chunks = []
    with conn.cursor().copy(sql) as cp:
        for chunk in cp:
            chunks.append(bytes(chunk))
    return chunks


def _result(conn, sql: str, params=None):
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return ("ok", cur.fetchall() if cur.description else cur.statusmessage)
    except psycopg.Error as e:
        return ("error", e.sqlstate, e.diag.message_primary)


OUT_STATEMENTS = [
    "COPY copybin_t TO STDOUT (FORMAT binary)", "COPY copybin_t TO STDOUT WITH BINARY",
    "COPY copybin_t (t, i4, ai, jb) TO STDOUT (FORMAT binary)",
    "COPY (SELECT i4, t, n * 2 AS n2, ai[1] AS a1, ARRAY[d] AS ds FROM copybin_t ORDER BY i4 NULLS LAST) "
    "TO STDOUT (FORMAT binary)",
    "COPY (SELECT * FROM copybin_t WHERE false) TO STDOUT (FORMAT binary)",
    "COPY (SELECT 1::int4 AS a, NULL::text AS b, 'x'::text AS c) TO STDOUT (FORMAT binary)",
    "COPY (SELECT pg_typeof(1), 'int4'::regtype::oid, ARRAY[1::int2], '1 2'::int2vector) TO STDOUT (FORMAT binary)",
]


@pytest.mark.parametrize("sql", OUT_STATEMENTS)
def test_copy_to_stdout_binary_bytes(both, sql):
    """The same bytes, in the same CopyData messages (the header with the first tuple, the
    trailer on its own), and the same CopyOutResponse formats."""
    ours, ref = both
    got = []
    for conn in both:
        with conn.cursor() as cur:
            with cur.copy(sql) as cp:
                chunks = [bytes(c) for c in cp]
            got.append((chunks, cur.statusmessage, cur.rowcount))
    assert got[0] == got[1]
    assert got[0][0][0].startswith(b"PGCOPY\n\xff\r\n\x00")


@pytest.mark.parametrize("encoding", ["LATIN1", "WIN1252", "EUC_JP"])
def test_copy_to_binary_in_client_encoding(shared_server, pg15, encoding):
    """text goes out in the client's encoding, as textsend's pq_sendtext converts it."""
    got = []
    for dsn in (shared_server.dsn(), pg15.dsn()):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"SET client_encoding = '{encoding}'")
            sql = ("COPY (SELECT 'caf' || chr(233) AS a, ARRAY['ü', 'x'] AS b, '{\"k\": \"ä\"}'::jsonb AS c, "
                   "'é'::name AS d) TO STDOUT (FORMAT binary)")
            try:
                got.append(_copy_out(conn, sql))
            except psycopg.Error as e:
                got.append((e.sqlstate, e.diag.message_primary))
    assert got[0] == got[1]


@pytest.mark.parametrize("piece", [1, 7, 4096, None])
def test_copy_from_postgres_binary_output(both, pg15, piece):
    """PostgreSQL's own binary COPY of the table loads into pgsvc (CopyData cut anywhere)
    with the rows PostgreSQL loads from it."""
    ours, ref = both
    data = b"".join(_copy_out(ref, "COPY copybin_t TO STDOUT (FORMAT binary)"))
    rows = []
    for conn in both:
        conn.execute("DROP TABLE IF EXISTS copybin_in")
        conn.execute(TARGET)
        with conn.cursor() as cur:
            with cur.copy("COPY copybin_in FROM STDIN (FORMAT binary)") as cp:
                step = piece or len(data)
                for i in range(0, len(data), step):
                    cp.write(data[i:i + step])
            status = cur.statusmessage
        rows.append((status, conn.execute("SELECT * FROM copybin_in ORDER BY i4 NULLS LAST, t").fetchall()))
    assert rows[0] == rows[1]
    assert rows[0][0] == f"COPY {len(ROWS)}"


def test_copy_from_with_column_list_and_defaults(both, pg15):
    ours, ref = both
    data = b"".join(_copy_out(ref, "COPY (SELECT t, i4 FROM copybin_t) TO STDOUT (FORMAT binary)"))
    rows = []
    for conn in both:
        conn.execute("DROP TABLE IF EXISTS copybin_in")
        conn.execute("CREATE TABLE copybin_in (id serial, i4 int4 DEFAULT 99, t text, z text DEFAULT 'zz')")
        with conn.cursor().copy("COPY copybin_in (t, i4) FROM STDIN (FORMAT binary)") as cp:
            cp.write(data)
        rows.append(conn.execute("SELECT * FROM copybin_in ORDER BY id").fetchall())
    assert rows[0] == rows[1]


WRITE_TYPES = ["int2", "int4", "int8", "float4", "float8", "numeric", "bool", "text", "varchar", "bytea", "date",
               "time", "timetz", "timestamp", "timestamptz", "interval", "uuid", "json", "jsonb", "int4[]",
               "text[]", "numeric[]", "oid"]


def test_copy_from_psycopg_write_row(both):
    """psycopg's binary COPY (set_types, write_row) into both: the same rows."""
    import datetime as dt
    import uuid
    from psycopg.types.json import Json, Jsonb
    values = [
        [1, 2, 3, 1.5, 2.25, Decimal("12.340"), True, "héllo", "ab", b"\x00\xff", dt.date(2000, 1, 2),
         dt.time(12, 34, 56, 500000), dt.time(12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
         dt.datetime(2000, 1, 2, 3, 4, 5), dt.datetime(2000, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
         dt.timedelta(days=2, seconds=1, microseconds=500000), uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
         Json({"a": 1}), Jsonb({"b": [1, 2]}), [1, None, 3], ["a", None, "c,d"], [Decimal("1.5"), Decimal("NaN")], 42],
        [None] * len(WRITE_TYPES),
        [-32768, -2147483648, -9223372036854775808, float("nan"), float("-inf"), Decimal("-0.001"), False, "", "",
         b"", dt.date(1, 1, 1), dt.time(0), dt.time(23, 59, tzinfo=dt.timezone(-dt.timedelta(hours=15, minutes=59))),
         dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, tzinfo=dt.UTC), dt.timedelta(days=-3),
         uuid.UUID(int=0), Json([]), Jsonb(None), [], [], [], 4294967295],
    ]
    cols = ", ".join(f"c{i} {t}" for i, t in enumerate(WRITE_TYPES))
    rows = []
    for conn in both:
        conn.execute("DROP TABLE IF EXISTS copybin_in")
        conn.execute(f"CREATE TABLE copybin_in (k serial, {cols})")
        names = ", ".join(f"c{i}" for i in range(len(WRITE_TYPES)))
        with conn.cursor().copy(f"COPY copybin_in ({names}) FROM STDIN (FORMAT binary)") as cp:
            cp.set_types(WRITE_TYPES)
            for row in values:
                cp.write_row(row)
        rows.append(conn.execute("SELECT * FROM copybin_in ORDER BY k").fetchall())
    assert rows[0] == rows[1]


def _frame(*tuples, header: bytes | None = None, trailer: bool = True) -> bytes:
    out = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0) if header is None else header
    for fields in tuples:
        out += struct.pack("!h", len(fields))
        for f in fields:
            out += struct.pack("!i", -1) if f is None else struct.pack("!i", len(f)) + f
    return out + (struct.pack("!h", -1) if trailer else b"")


I4 = struct.pack("!i", 7)
BAD_INPUT = {
    "signature": b"PGCOPY\n\xff\r\n\x01" + struct.pack("!ii", 0, 0),
    "short signature": b"PGCO",
    "empty": b"",
    "with oids": b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 1 << 16, 0),
    "critical flags": b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 1 << 17, 0),
    "noncritical flags": _frame((I4, b"x"), header=b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 5, 0)),
    "missing flags": b"PGCOPY\n\xff\r\n\x00\x00\x00",
    "missing length": b"PGCOPY\n\xff\r\n\x00" + struct.pack("!i", 0),
    "negative length": b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, -1),
    "short extension": b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 5) + b"ab",
    "extension": _frame((I4, b"x"), header=b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 3) + b"abc"),
    "field count": _frame((I4,)),
    "field count high": _frame((I4, b"x", b"y")),
    "field size": _frame((I4, b"x"))[:19 + 2 + 8] + struct.pack("!i", -2) + b"x" + struct.pack("!h", -1),
    "truncated field": _frame((I4, b"xyz"), trailer=False)[:-1],
    "truncated length": _frame((I4,), trailer=False)[:-4] + b"\x00\x00",
    "data after eof": _frame((I4, b"x")) + b"\x00",
    "tuple after eof": _frame((I4, b"x")) + _frame((I4, b"y"))[19:],
    "no trailer": _frame((I4, b"x"), trailer=False),
    "half field count": _frame((I4, b"x"), trailer=False) + b"\x00",
    "int4 too long": _frame((struct.pack("!q", 7), b"x")),
    "int4 too short": _frame((b"\x00\x07", b"x")),
    "bad utf8": _frame((I4, b"\xff\xfe")),
    "nul in text": _frame((I4, b"a\x00b")),
    "null row": _frame((None, None)),
    "empty int": _frame((b"", b"x")),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_copy_from_binary_errors(both, case):
    """Malformed binary COPY data: PostgreSQL's SQLSTATE and message, nothing loaded, and
    the session usable after it."""
    got = []
    for conn in both:
        conn.execute("DROP TABLE IF EXISTS copybin_in")
        conn.execute("CREATE TABLE copybin_in (a int4, b text)")
        try:
            with conn.cursor() as cur:
                with cur.copy("COPY copybin_in FROM STDIN (FORMAT binary)") as cp:
                    cp.write(BAD_INPUT[case])
                result = ("ok", cur.statusmessage)
        except psycopg.Error as e:
            result = ("error", e.sqlstate, e.diag.message_primary)
        got.append((result, conn.execute("SELECT * FROM copybin_in ORDER BY a").fetchall()))
    assert got[0] == got[1]


TYPED_BAD = [
    ("varchar(3)", b"abcd"), ("numeric(3,1)", struct.pack("!hhhh", 1, 0, 0, 1) + struct.pack("!h", 1234)),
    ("jsonb", b"\x02{}"), ("jsonb", b"\x01{bad"), ("json", b"{bad"), ("bool", b"\x01\x00"), ("date", b"\x00"),
    ("int4[]", struct.pack("!iiIii", 1, 0, 25, 1, 1) + struct.pack("!i", 1) + b"x"),
    ("int4[]", struct.pack("!iiI", 7, 0, 23)), ("uuid", b"\x00" * 15), ("float8", b"\x00" * 4),
    ("copybin_mood", b"angry"), ("copybin_dom", struct.pack("!i", -9)), ("int4 NOT NULL", None),
    ("char(2)", "é".encode() * 3), ("int2", b"\x00\x00\x00\x01"), ("timestamp", b"\x00" * 8), ("text", b"ok"),
]


@pytest.mark.parametrize("typ,field", TYPED_BAD)
def test_copy_from_binary_receive_errors(both, typ, field):
    got = []
    for conn in both:
        conn.execute("DROP TABLE IF EXISTS copybin_in")
        conn.execute(f"CREATE TABLE copybin_in (v {typ})")
        try:
            with conn.cursor() as cur:
                with cur.copy("COPY copybin_in FROM STDIN (FORMAT binary)") as cp:
                    cp.write(_frame((field,)))
                result = ("ok", cur.statusmessage)
        except psycopg.Error as e:
            result = ("error", e.sqlstate, e.diag.message_primary)
        got.append((result, conn.execute("SELECT v::text FROM copybin_in").fetchall()))
    assert got[0] == got[1]


@pytest.mark.parametrize("sql", [
    "COPY copybin_t TO STDOUT (FORMAT binary, HEADER)", "COPY copybin_t TO STDOUT (FORMAT binary, HEADER false)",
    "COPY copybin_t TO STDOUT (FORMAT binary, DELIMITER ',')", "COPY copybin_t TO STDOUT (FORMAT binary, NULL 'x')",
    "COPY copybin_t FROM STDIN (FORMAT binary, HEADER true)", "COPY copybin_t TO STDOUT (FORMAT bin)",
])
def test_copy_binary_options(both, sql):
    got = []
    for conn in both:
        try:
            with conn.cursor() as cur:
                with cur.copy(sql) as cp:
                    chunks = [bytes(c) for c in cp] if "TO STDOUT" in sql else []
            got.append(("ok", chunks))
        except psycopg.Error as e:
            got.append(("error", e.sqlstate, e.diag.message_primary))
    assert got[0] == got[1]


def test_copy_binary_in_transaction_and_rollback(both, pg15):
    """A failed binary COPY leaves the transaction aborted (25P02), ROLLBACK restores it; a
    good one inside a transaction is rolled back with it."""
    ours, ref = both
    good = b"".join(_copy_out(ref, "COPY (SELECT 1::int4, 'a'::text) TO STDOUT (FORMAT binary)"))
    got = []
    for conn in both:
        conn.execute("DROP TABLE IF EXISTS copybin_in")
        conn.execute("CREATE TABLE copybin_in (a int4, b text)")
        out = []
        conn.execute("BEGIN")
        with conn.cursor().copy("COPY copybin_in FROM STDIN (FORMAT binary)") as cp:
            cp.write(good)
        out.append(_result(conn, "SELECT count(*) FROM copybin_in"))
        try:
            with conn.cursor().copy("COPY copybin_in FROM STDIN (FORMAT binary)") as cp:
                cp.write(b"garbage")
        except psycopg.Error as e:
            out.append((e.sqlstate, e.diag.message_primary))
        out.append(_result(conn, "SELECT 1"))
        conn.execute("ROLLBACK")
        out.append(_result(conn, "SELECT count(*) FROM copybin_in"))
        got.append(out)
    assert got[0] == got[1]


def test_lower_bounds_kept(both):
    """An array counting from another lower bound keeps it, as in PostgreSQL: its text, and
    binary COPY both ways (the bytes pgsvc writes are PostgreSQL's; PostgreSQL's load)."""
    ours, ref = both
    for sql in ("SELECT '[2:3]={1,2}'::int4[], '[-2:-1][3:4]={{1,2},{3,4}}'::int4[]",
                "SELECT '[1:2]={1,2}'::int4[], '[2]={1,2}'::int4[], '[1:2][1:1]={{1},{2}}'::int4[]",
                "SELECT '[1:3]={1,2}'::int4[]", "SELECT '[3:2]={}'::int4[]"):
        assert _result(ours, sql) == _result(ref, sql)
    query = "COPY (SELECT '[0:1]={5,6}'::int4[], '[-1:0][2:2]={{a},{NULL}}'::text[]) TO STDOUT (FORMAT binary)"
    data = b"".join(_copy_out(ref, query))
    assert b"".join(_copy_out(ours, query)) == data
    for conn in (ours, ref):
        conn.execute("DROP TABLE IF EXISTS copybin_in")
        conn.execute("CREATE TABLE copybin_in (a int4[], b text[])")
        with conn.cursor().copy("COPY copybin_in FROM STDIN (FORMAT binary)") as cp:
            cp.write(data)
    sql = "SELECT a, b, array_dims(a), array_lower(b, 1) FROM copybin_in"
    assert _result(ours, sql) == _result(ref, sql)
    assert _result(ours, sql)[0] == "ok"


def test_psql_copy_binary_files(shared_server, pg15, tmp_path):
    """psql's \\copy ... with binary: the file pgsvc writes equals PostgreSQL's, and each
    server loads the other's file into the same rows."""
    files, loaded = {}, []
    targets = ((shared_server, shared_server.superuser, "ours"), (pg15, "postgres", "ref"))
    for target, user, name in targets:
        path = tmp_path / f"{name}.bin"
        os.chmod(tmp_path, 0o777)
        cmd = ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(target.port), "-U", user,
               "-d", "postgres", "-c", "SET TIME ZONE 'UTC'",
               "-c", f"\\copy copybin_t to '{path}' with (format binary)"]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        files[name] = path.read_bytes()
    assert files["ours"] == files["ref"]
    for target, user, name in targets:
        other = tmp_path / ("ref.bin" if name == "ours" else "ours.bin")
        cmd = ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(target.port), "-U", user,
               "-d", "postgres", "-c", "DROP TABLE IF EXISTS copybin_in", "-c", TARGET,
               "-c", f"\\copy copybin_in from '{other}' with (format binary)",
               "-c", "SET TIME ZONE 'UTC'", "-c", "SELECT * FROM copybin_in ORDER BY i4 NULLS LAST, t"]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        loaded.append(res.stdout)
    assert loaded[0] == loaded[1]


def test_copy_binary_money_and_geometry(both, pg15):
    """money (cents as int8) and the geometric types' send forms, out and back in."""
    ours, ref = both
    ddl = "CREATE TABLE copybin_in (m money, p point, l lseg, ln line, pa path, po polygon, c circle, pts point[])"
    rows = ("('12.5', '(1,2)', '[(1,2),(3,4)]', '{1,2,3}', '[(1,2),(3,4)]', '((0,0),(1,1),(2,0))', '<(1,2),3>', "
            "'{\"(1,2)\",\"(3,4)\"}'), ('-92233720368547758.08', '(nan,-inf)', '((0,0),(0,0))', '((0,0),(0,5))', "
            "'((1,2),(3,4),(5,6))', '((1,2))', '<(0,0),0>', '{}'), (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)")
    out = []
    for conn in both:
        conn.execute("DROP TABLE IF EXISTS copybin_in")
        conn.execute(ddl)
        conn.execute("INSERT INTO copybin_in VALUES " + rows)
        out.append(_copy_out(conn, "COPY copybin_in TO STDOUT (FORMAT binary)"))
    assert out[0] == out[1]
    loaded = []
    for conn in both:
        conn.execute("DELETE FROM copybin_in")
        with conn.cursor().copy("COPY copybin_in FROM STDIN (FORMAT binary)") as cp:
            cp.write(b"".join(out[1]))
        loaded.append(conn.execute("SELECT * FROM copybin_in ORDER BY m NULLS LAST").fetchall())
    assert loaded[0] == loaded[1]
