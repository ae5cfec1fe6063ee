"""Cursors and portals side by side with PostgreSQL 15 (issue 18): a DECLAREd cursor is a
portal for the extended protocol (Describe, Execute with a row limit, Close), protocol
portals and cursors share one namespace, FETCH/MOVE in every direction, psycopg's named
(server-side) cursors, asyncpg's cursors, and the pg_cursors / pg_prepared_statements
views. Every expected answer comes from the pg15 fixture at run time.

The extended-protocol cases use a raw protocol client (tests/integration/pgwire.py): no
driver sends Execute with a row limit on a DECLAREd cursor's name. The answers compared
are the message sequences (type, column names, type OIDs and formats, row values, tags,
SQLSTATE and message).
"""

from __future__ import annotations

import asyncio
import struct
import subprocess

import pytest

from tests.conftest import require_tool
from tests.integration import pgwire

psycopg = pytest.importorskip("psycopg")


@pytest.fixture(scope="module")
def targets(shared_server, pg15):
    """(pgsvc, PostgreSQL): (address, user, dsn) of each."""
    ours = (("127.0.0.1", shared_server.port), shared_server.superuser,
            f"host=127.0.0.1 port={shared_server.port} user={shared_server.superuser} dbname=postgres")
    ref = (("127.0.0.1", pg15.port), "postgres", pg15.dsn())
    with psycopg.connect(ref[2], autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS portals_t")
        c.execute("CREATE TABLE portals_t (a int, b text)")
        c.execute("INSERT INTO portals_t SELECT g, 'r' || g FROM generate_series(1, 7) g")
    with psycopg.connect(ours[2], autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS portals_t")
        c.execute("CREATE TABLE portals_t (a int, b text)")
        c.execute("INSERT INTO portals_t SELECT g, 'r' || g FROM generate_series(1, 7) g")
    return ours, ref


# --- a raw protocol client ------------------------------------------------------------------

def _cstr(s: str) -> bytes:
    return s.encode() + b"\x00"


def q(sql: str) -> bytes:
    return pgwire.message(b"Q", _cstr(sql))


def parse(name: str, sql: str) -> bytes:
    return pgwire.message(b"P", _cstr(name) + _cstr(sql) + struct.pack("!h", 0))


def bind(portal: str, stmt: str, result_formats: tuple = ()) -> bytes:
    body = _cstr(portal) + _cstr(stmt) + struct.pack("!hh", 0, 0)
    body += struct.pack("!h", len(result_formats)) + b"".join(struct.pack("!h", f) for f in result_formats)
    return pgwire.message(b"B", body)


def describe(kind: str, name: str) -> bytes:
    return pgwire.message(b"D", kind.encode() + _cstr(name))


def execute(portal: str, limit: int = 0) -> bytes:
    return pgwire.message(b"E", _cstr(portal) + struct.pack("!i", limit))


def close(kind: str, name: str) -> bytes:
    return pgwire.message(b"C", kind.encode() + _cstr(name))


SYNC = pgwire.message(b"S", b"")


def _summary(mtype: bytes, body: bytes):
    if mtype == b"T":
        n = struct.unpack_from("!h", body)[0]
        pos, cols = 2, []
        for _ in range(n):
            end = body.index(b"\x00", pos)
            name = body[pos:end].decode()
            _table, _attnum, typ, _len, _mod, fmt = struct.unpack_from("!ihihih", body, end + 1)
            cols.append((name, typ, fmt))
            pos = end + 19
        return ("RowDescription", cols)
    if mtype == b"D":
        n = struct.unpack_from("!h", body)[0]
        pos, values = 2, []
        for _ in range(n):
            size = struct.unpack_from("!i", body, pos)[0]
            pos += 4
            values.append(None if size < 0 else body[pos:pos + size])
            pos += max(size, 0)
        return ("DataRow", values)
    if mtype == b"C":
        return ("CommandComplete", body.rstrip(b"\x00").decode())
    if mtype in (b"E", b"N"):
        fields = pgwire.parse_error(body)
        return ("Error" if mtype == b"E" else "Notice", fields.get("C"), fields.get("M"))
    names = {b"1": "ParseComplete", b"2": "BindComplete", b"3": "CloseComplete", b"n": "NoData",
             b"s": "PortalSuspended", b"I": "EmptyQuery", b"t": "ParameterDescription"}
    return (names.get(mtype, mtype.decode()),)


class Wire:
    def __init__(self, target) -> None:
        result, self.sock = pgwire.startup(target[0], target[1], keep_open=True)
        assert result.ready, result.error

    def send(self, *messages: bytes) -> list:
        """Send messages (a Sync or a Query last); the replies up to ReadyForQuery."""
        self.sock.sendall(b"".join(messages))
        out = []
        while True:
            mtype, body = pgwire.read_message(self.sock)
            if mtype == b"Z":
                out.append(("ReadyForQuery", body.decode()))
                return out
            if mtype not in (b"S", b"A"):  # ParameterStatus, NotificationResponse
                out.append(_summary(mtype, body))

    def close(self) -> None:
        self.sock.sendall(pgwire.message(b"X", b""))
        self.sock.close()


def both(targets, steps) -> None:
    """Run the same message batches on pgsvc and PostgreSQL; the replies must match."""
    ours, ref = Wire(targets[0][:2]), Wire(targets[1][:2])
    try:
        for i, batch in enumerate(steps):
            expected = ref.send(*batch)
            got = ours.send(*batch)
            assert got == expected, f"step {i}: {batch}"
    finally:
        ours.close()
        ref.close()


# --- 1. a DECLAREd cursor is a portal ----------------------------------------------------------

def test_describe_and_execute_a_declared_cursor(targets):
    both(targets, [
        [q("BEGIN; DECLARE c CURSOR FOR SELECT a, b FROM portals_t ORDER BY a")],
        [describe("P", "c"), execute("c", 2), execute("c", 2), SYNC],
        [execute("c", 3), execute("c", 3), execute("c", 0), SYNC],
        [q("FETCH BACKWARD 2 FROM c")],
        [execute("c", 1), describe("P", "c"), close("P", "c"), SYNC],
        [describe("P", "c"), SYNC],
        [q("FETCH 1 FROM c")],
        [q("ROLLBACK")],
    ])


def test_execute_all_of_a_cursor_and_after_its_end(targets):
    both(targets, [
        [q("BEGIN"), ],
        [q("DECLARE c NO SCROLL CURSOR FOR SELECT g, g * 2 AS twice FROM generate_series(1, 4) g")],
        [execute("c", 4), SYNC],
        [execute("c", 4), execute("c", 0), SYNC],
        [q("MOVE BACKWARD 1 IN c")],
        [q("ROLLBACK")],
    ])


def test_with_hold_cursor_across_transactions(targets):
    both(targets, [
        [q("DECLARE h CURSOR WITH HOLD FOR SELECT a FROM portals_t ORDER BY a")],
        [describe("P", "h"), execute("h", 2), SYNC],
        [q("BEGIN; FETCH 1 FROM h; COMMIT")],
        [execute("h", 2), SYNC],
        [q("SELECT name, is_holdable, is_scrollable, is_binary FROM pg_cursors")],
        [close("P", "h"), SYNC],
        [q("SELECT count(*) FROM pg_cursors")],
        [close("P", "h"), SYNC],
        [q("CLOSE h")],
    ])


def test_binary_cursor_describes_binary_format(targets):
    both(targets, [
        [q("BEGIN; DECLARE b BINARY CURSOR FOR SELECT 7::int4 AS n, 'x'::text AS t")],
        [describe("P", "b"), execute("b", 1), SYNC],
        [q("SELECT is_binary FROM pg_cursors WHERE name = 'b'")],
        [q("MOVE BACKWARD ALL IN b; FETCH 1 FROM b")],  # a simple query's FETCH: binary
        [q("ROLLBACK")],
    ])


def test_one_namespace_for_portals_and_cursors(targets):
    both(targets, [
        [q("BEGIN; DECLARE c CURSOR FOR SELECT 1")],
        [parse("s", "SELECT 2 AS two"), bind("c", "s"), SYNC],
        [bind("p", "s"), SYNC],
        [q("DECLARE p CURSOR FOR SELECT 3")],
        [q("ROLLBACK")],
        [q("BEGIN")],
        [bind("p", "s"), SYNC],
        [q("FETCH ALL FROM p")],
        [execute("p", 0), SYNC],
        [q("CLOSE p")],
        [execute("p", 0), SYNC],
        [q("COMMIT")],
    ])


def test_one_namespace_for_prepared_statements(targets):
    both(targets, [
        [q("PREPARE p AS SELECT 1 AS one")],
        [parse("p", "SELECT 2"), SYNC],
        [bind("", "p"), describe("S", "p"), execute("", 0), SYNC],
        [parse("s2", "SELECT $1::int * 2 AS twice"), SYNC],
        [q("EXECUTE s2(21)")],
        [q("PREPARE s2 AS SELECT 1")],
        [q("SELECT name, statement, from_sql FROM pg_prepared_statements ORDER BY name")],
        [q("DEALLOCATE s2")],
        [describe("S", "s2"), SYNC],
        [parse("s3", "SELECT 3"), parse("", "SELECT 4"), SYNC],
        [q("DEALLOCATE ALL")],
        [describe("S", "s3"), SYNC],
        [describe("S", "p"), SYNC],
        [bind("", ""), execute("", 0), SYNC],
        [parse("s4", "SELECT 5"), SYNC],
        [q("DISCARD ALL")],
        [q("SELECT count(*) FROM pg_prepared_statements")],
        [q("DEALLOCATE nope")],
    ])


def test_missing_portal_errors(targets):
    both(targets, [
        [describe("P", "nope"), SYNC],
        [execute("nope", 0), SYNC],
        [close("P", "nope"), SYNC],
        [q("FETCH 1 FROM nope")],
        [q("MOVE 1 IN nope")],
        [q("CLOSE nope")],
        [q("DECLARE c CURSOR FOR SELECT 1")],
        [q("BEGIN; DECLARE c CURSOR FOR SELECT 1; DECLARE c CURSOR FOR SELECT 2")],
        [q("ROLLBACK")],
        [q("BEGIN; DECLARE c SCROLL NO SCROLL CURSOR FOR SELECT 1")],
        [q("ROLLBACK")],
    ])


def test_protocol_portal_counts_each_execute(targets):
    both(targets, [
        [q("CREATE TEMP TABLE ins (a int)")],
        [q("BEGIN")],
        [parse("s", "SELECT g FROM generate_series(1, 5) g"), bind("p", "s"), execute("p", 2), execute("p", 0),
         execute("p", 0), SYNC],
        [parse("t", "SELECT g FROM generate_series(1, 4) g"), bind("p2", "t"), execute("p2", 2), execute("p2", 2),
         execute("p2", 2), SYNC],
        [parse("i", "INSERT INTO ins SELECT generate_series(1, 5) RETURNING a"), bind("pi", "i"), execute("pi", 2),
         execute("pi", 2), execute("pi", 0), execute("pi", 0), SYNC],
        [q("COMMIT")],
    ])


# --- FETCH and MOVE in every direction (psql) --------------------------------------------------

FETCH_SCRIPT = """
BEGIN;
DECLARE c1 CURSOR FOR SELECT a FROM portals_t;
DECLARE c2 CURSOR FOR SELECT count(*) FROM portals_t;
DECLARE c3 CURSOR FOR SELECT a FROM portals_t ORDER BY a DESC;
DECLARE c4 CURSOR FOR SELECT * FROM generate_series(1, 3);
DECLARE c5 CURSOR FOR SELECT 1 UNION ALL SELECT 2;
DECLARE c6 CURSOR FOR VALUES (1), (2);
DECLARE c7 CURSOR FOR SELECT a FROM portals_t FOR UPDATE;
DECLARE c8 CURSOR FOR SELECT x.a FROM portals_t x JOIN portals_t y USING (a);
DECLARE c9 CURSOR FOR SELECT DISTINCT a FROM portals_t;
DECLARE c10 CURSOR FOR SELECT generate_series(1, 3);
DECLARE c11 CURSOR FOR SELECT * FROM (SELECT a FROM portals_t LIMIT 4) s;
DECLARE c12 NO SCROLL CURSOR FOR SELECT a FROM portals_t;
DECLARE c13 SCROLL CURSOR FOR SELECT generate_series(1, 4);
SELECT name, is_scrollable, is_binary, is_holdable FROM pg_cursors ORDER BY name;
FETCH 0 FROM c1;
MOVE BACKWARD ALL IN c4;
FETCH ABSOLUTE 3 FROM c4;
FETCH RELATIVE 0 FROM c4;
FETCH BACKWARD 5 FROM c4;
FETCH RELATIVE 0 FROM c4;
FETCH ALL FROM c4;
MOVE BACKWARD ALL IN c4;
FETCH 0 FROM c4;
FETCH LAST FROM c4;
FETCH PRIOR FROM c4;
MOVE ABSOLUTE -1 IN c4;
FETCH FIRST FROM c4;
MOVE 0 IN c4;
MOVE ALL IN c4;
MOVE 0 IN c4;
FETCH ABSOLUTE -2 FROM c1;
FETCH RELATIVE -2 FROM c1;
FETCH ABSOLUTE 10 FROM c1;
FETCH BACKWARD 2 FROM c1;
FETCH -1 FROM c3;
FETCH 3 FROM c3;
FETCH RELATIVE 2 FROM c3;
FETCH BACKWARD ALL FROM c3;
FETCH FORWARD 2 FROM c13;
FETCH ABSOLUTE -1 FROM c13;
FETCH ABSOLUTE 2 FROM c13;
FETCH FORWARD 2 FROM c12;
FETCH ABSOLUTE 4 FROM c12;
SAVEPOINT s;
FETCH ABSOLUTE 6 FROM c12;
FETCH ABSOLUTE 1 FROM c12;
ROLLBACK TO s;
FETCH NEXT FROM c12;
ROLLBACK TO s;
FETCH PRIOR FROM c2;
ROLLBACK TO s;
FETCH 0 FROM c10;
ROLLBACK TO s;
FETCH 2 FROM c5;
FETCH 1 FROM c6;
MOVE -1 IN c6;
MOVE ALL IN c8;
MOVE ALL IN c9;
FETCH 1 FROM c11;
CLOSE c4;
FETCH FROM c4;
ROLLBACK;
BEGIN;
DECLARE w CURSOR WITH HOLD FOR SELECT a FROM portals_t ORDER BY a;
FETCH 2 FROM w;
COMMIT;
FETCH 1 FROM w;
FETCH PRIOR FROM w;
MOVE FORWARD ALL IN w;
FETCH BACKWARD 2 FROM w;
CLOSE ALL;
FETCH 1 FROM w;
"""


def psql_script(target, script: str) -> subprocess.CompletedProcess:
    """psql reading a script statement by statement (-f -), going on after errors."""
    (host, port), user = target[0], target[1]
    cmd = [require_tool("psql"), "-X", "-h", host, "-p", str(port), "-U", user, "-d", "postgres",
           "-v", "ON_ERROR_STOP=0", "-f", "-"]
    return subprocess.run(cmd, input=script, capture_output=True, text=True, timeout=60)


def same_psql(targets, script: str) -> None:
    expected = psql_script(targets[1], script)
    got = psql_script(targets[0], script)
    assert got.stdout == expected.stdout
    assert got.stderr == expected.stderr
    assert expected.stdout.count("\n") > script.count(";")  # every statement answered


def test_fetch_and_move_in_every_direction(targets):
    same_psql(targets, FETCH_SCRIPT)


REUSE_SCRIPT = """
PREPARE p AS SELECT 1 AS a;
EXECUTE p;
DEALLOCATE p;
PREPARE p AS SELECT 'two' AS b, 2 AS c;
EXECUTE p;
BEGIN;
DECLARE c CURSOR FOR SELECT 1 AS x;
FETCH 1 FROM c;
CLOSE c;
DECLARE c CURSOR FOR SELECT 'y' AS y, 2 AS z;
FETCH 1 FROM c;
COMMIT;
"""


HOLD_SCRIPT = """
DECLARE h CURSOR WITH HOLD FOR SELECT * FROM generate_series(1, 5);
FETCH 1 FROM h;
BEGIN;
FETCH 1 FROM h;
ROLLBACK;
FETCH 1 FROM h;
BEGIN;
DECLARE h2 CURSOR WITH HOLD FOR SELECT 1;
ROLLBACK;
FETCH 1 FROM h2;
BEGIN;
FETCH 1 FROM h;
SELECT 1/0;
ROLLBACK;
FETCH 1 FROM h;
BEGIN;
SAVEPOINT s;
FETCH 1 FROM h;
ROLLBACK TO s;
FETCH 1 FROM h;
COMMIT;
SELECT name FROM pg_cursors;
CLOSE h;
"""


def test_held_cursor_outlives_later_rollbacks(targets):
    """A WITH HOLD cursor, once its transaction committed, survives later rollbacks (its
    moves in them stay made); one declared in a transaction that rolls back is gone."""
    same_psql(targets, HOLD_SCRIPT)


def test_names_reused_for_other_statements(targets):
    """EXECUTE and FETCH run what the name stands for now, not what it stood for before."""
    same_psql(targets, REUSE_SCRIPT)


# --- psycopg's named cursors ----------------------------------------------------------------

def _outcome(fn, dsn):
    with psycopg.connect(dsn) as conn:
        try:
            return ("ok", fn(conn))
        except psycopg.Error as e:
            return ("error", type(e).__name__, e.sqlstate, e.diag.message_primary, e.diag.message_hint)


def same_psycopg(targets, fn):
    expected = _outcome(fn, targets[1][2])
    got = _outcome(fn, targets[0][2])
    assert got == expected
    return got


def test_psycopg_named_cursor_fetches(targets):
    def run(conn):
        cur = conn.cursor(name="c")
        cur.execute("SELECT a, b FROM portals_t WHERE a > %s ORDER BY a", [1])
        desc = [(d.name, d.type_code) for d in cur.description]
        return desc, cur.fetchone(), cur.fetchmany(2), cur.rownumber, cur.fetchall(), cur.fetchone()
    same_psycopg(targets, run)


def test_psycopg_named_cursor_itersize_and_binary(targets):
    def run(conn):
        cur = conn.cursor(name="it")
        cur.itersize = 2
        cur.execute("SELECT g, g::text, g::numeric / 3 FROM generate_series(1, 5) g")
        rows = list(cur)
        bcur = conn.cursor(name="bin", binary=True)
        bcur.execute("SELECT g, now() - now() FROM generate_series(1, 3) g")
        return rows, cur.rownumber, bcur.fetchall(), bcur.pgresult.fformat(0)
    same_psycopg(targets, run)


def test_psycopg_cursor_over_a_set_returning_call_under_a_cast(targets):
    def run(conn):
        out = []
        for sql in ("SELECT generate_series(1, 3)::int4 AS bar", "SELECT generate_series(1, 2)::int4",
                    "SELECT unnest(ARRAY[1, 2])::numeric, 'x' AS y", "SELECT generate_series(1, 2)::text AS t, 5"):
            cur = conn.cursor(name="cast", binary=True)
            cur.execute(sql)
            out.append(([(d.name, d.type_code) for d in cur.description], cur.fetchall()))
            cur.close()
        return out
    same_psycopg(targets, run)


def test_psycopg_scrollable_cursor(targets):
    def run(conn):
        cur = conn.cursor(name="s", scrollable=True)
        cur.execute("SELECT generate_series(1, 10)")
        out = []
        cur.scroll(5)
        out.append(cur.fetchone())
        cur.scroll(-3)
        out.append(cur.fetchone())
        cur.scroll(0, "absolute")
        out.append(cur.fetchone())
        cur.scroll(9, "absolute")
        out.append(cur.fetchall())
        out.append(cur.rownumber)
        return out
    same_psycopg(targets, run)


def test_psycopg_non_scrollable_cursor_refuses_backward(targets):
    def run(conn):
        cur = conn.cursor(name="ns", scrollable=False)
        cur.execute("SELECT generate_series(1, 10)")
        cur.scroll(2)
        cur.scroll(-1)
    same_psycopg(targets, run)


def test_psycopg_withhold_cursor(targets):
    def run(conn):
        cur = conn.cursor(name="wh", withhold=True)
        cur.execute("SELECT a FROM portals_t ORDER BY a")
        first = cur.fetchmany(2)
        conn.commit()
        listed = conn.execute("SELECT name, statement, is_holdable, is_binary, is_scrollable "
                              "FROM pg_cursors").fetchall()
        rest = cur.fetchall()
        cur.close()
        conn.commit()
        return first, listed, rest, conn.execute("SELECT count(*) FROM pg_cursors").fetchone()
    same_psycopg(targets, run)


def test_psycopg_cursor_in_autocommit_and_reuse(targets):
    def reuse(conn):
        cur = conn.cursor(name="r")
        cur.execute("SELECT 1 AS one")
        a = cur.fetchall()
        cur.execute("SELECT 2 AS two, 3 AS three")
        return a, [d.name for d in cur.description], cur.fetchall()
    same_psycopg(targets, reuse)

    def autocommit(conn):
        conn.autocommit = True
        conn.cursor(name="ac").execute("SELECT 1")
    same_psycopg(targets, autocommit)


def test_psycopg_cursor_errors(targets):
    def bad_query(conn):
        conn.cursor(name="bad").execute("SELECT * FROM no_such_table")
    same_psycopg(targets, bad_query)

    def duplicate(conn):
        conn.cursor(name="dup").execute("SELECT 1")
        conn.cursor(name="dup").execute("SELECT 2")
    same_psycopg(targets, duplicate)

    def fails_while_fetching(conn):
        cur = conn.cursor(name="zero")
        cur.execute("SELECT 1 / (3 - g) FROM generate_series(1, 5) g")
        return cur.fetchall()
    same_psycopg(targets, fails_while_fetching)


# --- asyncpg's cursors (protocol portals; forward() sends MOVE FORWARD n <portal>) ------------

def test_asyncpg_cursor(targets):
    asyncpg = pytest.importorskip("asyncpg")

    async def run(dsn):
        host, port = dsn[0]
        conn = await asyncpg.connect(host=host, port=port, user=dsn[1], database="postgres")
        try:
            async with conn.transaction():
                cur = await conn.cursor("SELECT a FROM portals_t ORDER BY a")
                first = await cur.fetch(2)
                moved = await cur.forward(2)
                row = await cur.fetchrow()
                rest = await cur.fetch(10)
                prefetched = [r["g"] async for r in conn.cursor("SELECT generate_series(1, 5) g", prefetch=2)]
            return [tuple(r) for r in first], moved, tuple(row), [tuple(r) for r in rest], prefetched
        finally:
            await conn.close()

    expected = asyncio.run(run(targets[1]))
    got = asyncio.run(run(targets[0]))
    assert got == expected


# --- 2. pg_cursors and pg_prepared_statements --------------------------------------------------

def _columns(conn, rel):
    cur = conn.execute(f"SELECT * FROM {rel} LIMIT 0")
    return [(d.name, d.type_code) for d in cur.description]


def test_session_views_columns(targets):
    for rel in ("pg_cursors", "pg_prepared_statements", "pg_prepared_xacts"):
        same_psycopg(targets, lambda conn, rel=rel: (
            _columns(conn, rel), conn.execute(f"SELECT * FROM {rel}").fetchall(),
            conn.execute(f"SELECT '{rel}'::regclass::oid::int").fetchone()))


def test_pg_cursors_values(targets):
    def run(conn):
        conn.execute("DECLARE a CURSOR FOR SELECT a FROM portals_t")
        conn.execute("DECLARE b BINARY SCROLL CURSOR WITH HOLD FOR SELECT 1")
        conn.execute("DECLARE c NO SCROLL CURSOR FOR SELECT a FROM portals_t ORDER BY a")
        rows = conn.execute("SELECT name, statement, is_holdable, is_binary, is_scrollable, "
                            "creation_time <= now(), creation_time > now() - interval '1 minute' "
                            "FROM pg_cursors ORDER BY name").fetchall()
        conn.commit()
        held = conn.execute("SELECT name FROM pg_cursors").fetchall()
        conn.execute("CLOSE ALL")
        return rows, held
    same_psycopg(targets, run)


def test_refcursor_from_plpgsql(targets):
    both(targets, [
        [q("CREATE OR REPLACE FUNCTION portals_rc(c refcursor) RETURNS refcursor LANGUAGE plpgsql AS "
           "$$ BEGIN OPEN c FOR SELECT a FROM portals_t ORDER BY a; RETURN c; END $$")],
        [q("CREATE OR REPLACE FUNCTION portals_src(c refcursor) RETURNS refcursor LANGUAGE plpgsql AS "
           "$$ BEGIN OPEN c SCROLL FOR SELECT a FROM portals_t ORDER BY a; RETURN c; END $$")],
        [q("BEGIN; SELECT portals_rc('rc'), portals_src('src')")],
        [q("FETCH 2 FROM rc; MOVE 1 IN rc; SELECT name, is_holdable FROM pg_cursors ORDER BY name")],
        [describe("P", "rc"), execute("rc", 2), SYNC],
        [q("CLOSE rc")],
        [q("FETCH ABSOLUTE 3 FROM src")], [q("FETCH PRIOR FROM src")], [q("FETCH LAST FROM src")],
        [q("MOVE BACKWARD ALL IN src")], [q("FETCH RELATIVE 2 FROM src")], [q("FETCH BACKWARD 5 FROM src")],
        [q("FETCH ALL FROM src")], [q("FETCH 0 FROM src")], [execute("src", 1), SYNC],
        [q("COMMIT")],
    ])


def test_pg_cursors_statement_is_the_whole_query_string(targets):
    both(targets, [
        [q("BEGIN; DECLARE c CURSOR FOR SELECT 1; SELECT name, statement, is_scrollable FROM pg_cursors")],
        [q("ROLLBACK")],
    ])


def test_pg_prepared_statements_values(targets):
    def run(conn):
        conn.execute("PREPARE p1(int, text, numeric) AS SELECT $1, $2, $3")
        conn.execute("PREPARE p2 AS SELECT 1")
        with conn.cursor() as cur:
            for i in range(7):  # a protocol-level named statement: custom plans, then generic
                cur.execute("SELECT %s::int + 1", [i], prepare=True)
            for _ in range(3):
                cur.execute("SELECT 42", prepare=True)
        for i in range(6):
            conn.execute(f"EXECUTE p1({i}, 'x', 1.5)")
        conn.execute("EXECUTE p2")
        rows = conn.execute("SELECT name, statement, parameter_types, parameter_types::text, from_sql, "
                            "generic_plans, custom_plans, prepare_time <= now() "
                            "FROM pg_prepared_statements ORDER BY from_sql DESC, name").fetchall()
        conn.execute("DEALLOCATE p1")
        left = conn.execute("SELECT name FROM pg_prepared_statements WHERE from_sql").fetchall()
        return rows, left
    same_psycopg(targets, run)
