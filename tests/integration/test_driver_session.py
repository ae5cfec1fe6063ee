"""Session behaviour that drivers' own test suites check, side by side with PostgreSQL 15
(issue 18): pg_terminate_backend() of the backend itself ends the connection at once, an
abandoned COPY TO STDOUT leaves the transaction as PostgreSQL leaves it, and two-phase
commit answers as a PostgreSQL left at max_prepared_transactions = 0 (psql, psycopg's
tpc_* API). Every expected answer comes from the pg15 fixture at run time.
"""

from __future__ import annotations

import pytest

from tests.integration import pgwire
from tests.integration.test_portals import SYNC, Wire, _summary, bind, describe, execute, parse, q, same_psql

psycopg = pytest.importorskip("psycopg")


@pytest.fixture(scope="module")
def targets(shared_server, pg15):
    ours = (("127.0.0.1", shared_server.port), shared_server.superuser,
            f"host=127.0.0.1 port={shared_server.port} user={shared_server.superuser} dbname=postgres")
    ref = (("127.0.0.1", pg15.port), "postgres", pg15.dsn())
    for t in (ours, ref):
        with psycopg.connect(t[2], autocommit=True) as c:
            c.execute("DROP TABLE IF EXISTS session_t")
            c.execute("CREATE TABLE session_t (a int)")
    return ours, ref


def _until_closed(target, *messages: bytes) -> list:
    """Send messages; every reply until the server closes the connection (or, if it does
    not, the ReadyForQuery that ends the exchange)."""
    wire = Wire(target[:2])
    wire.sock.sendall(b"".join(messages))
    out = []
    try:
        while True:
            try:
                mtype, body = pgwire.read_message(wire.sock)
            except (ConnectionError, OSError):
                out.append("connection closed")
                return out
            if mtype == b"Z":
                out.append(("ReadyForQuery", body.decode()))
                return out
            if mtype not in (b"S", b"N"):
                out.append(_summary(mtype, body))
    finally:
        wire.sock.close()


def _count(target) -> int:
    with psycopg.connect(target[2]) as c:
        return c.execute("SELECT count(*) FROM session_t").fetchone()[0]


# --- 3. pg_terminate_backend(pg_backend_pid()) ---------------------------------------------------

TERMINATE = "pg_terminate_backend(pg_backend_pid())"


@pytest.mark.parametrize("messages", [
    [q(f"SELECT {TERMINATE}")],
    [q(f"SELECT 1; SELECT {TERMINATE}; SELECT 2")],
    [q(f"SELECT {TERMINATE} FROM generate_series(1, 3)")],
    [parse("", f"SELECT {TERMINATE}"), bind("", ""), describe("P", ""), execute("", 0), SYNC],
    [q(f"DO $$ BEGIN PERFORM {TERMINATE}; END $$")],
    [q(f"CREATE TEMP TABLE x AS SELECT {TERMINATE}")],
    [q(f"COPY (SELECT {TERMINATE} FROM generate_series(1, 3)) TO STDOUT")],
], ids=["select", "multi", "rows", "extended", "do", "ctas", "copy"])
def test_terminate_own_backend_at_once(targets, messages):
    ours, ref = targets
    assert _until_closed(ours, *messages) == _until_closed(ref, *messages)


def test_terminate_own_backend_rolls_back(targets):
    """The FATAL comes before the statement completes: the block's COMMIT never runs and
    the implicit transaction of a multi-statement query is rolled back."""
    for target in targets:
        with psycopg.connect(target[2], autocommit=True) as c:
            c.execute("TRUNCATE session_t")
    cases = [q(f"BEGIN; INSERT INTO session_t VALUES (1); SELECT {TERMINATE}; COMMIT"),
             q(f"INSERT INTO session_t VALUES (2); SELECT {TERMINATE}"),
             q("INSERT INTO session_t VALUES (3)") + q(f"SELECT {TERMINATE}")]
    ours, ref = targets
    for messages in cases:
        assert _until_closed(ours, messages) == _until_closed(ref, messages)
        assert _count(ours) == _count(ref)


def test_terminate_own_backend_psycopg(targets):
    def run(dsn):
        conn = psycopg.connect(dsn, autocommit=True)
        try:
            conn.execute(f"SELECT {TERMINATE}")
            return "returned"
        except psycopg.Error as e:
            return type(e).__name__, e.sqlstate, conn.closed
        finally:
            conn.close()
    ours, ref = targets
    assert run(ours[2]) == run(ref[2])


# --- an abandoned COPY TO STDOUT (psycopg cancels it and reads what is left) ---------------------

@pytest.mark.parametrize("rows", [5, 300_000])
def test_abandoned_copy_to_stdout(targets, rows):
    def run(dsn):
        with psycopg.connect(dsn) as conn:
            cur = conn.cursor()
            with pytest.raises(ZeroDivisionError):
                with cur.copy(f"COPY (SELECT generate_series(1, {rows})) TO STDOUT") as copy:
                    copy.read_row()
                    raise ZeroDivisionError("the client gives up reading")
            status = conn.info.transaction_status.name
            try:
                conn.execute("SELECT 1")
                after = "ok"
            except psycopg.Error as e:
                after = e.sqlstate
            return status, after
    ours, ref = targets
    assert run(ours[2]) == run(ref[2])


# --- 4. two-phase commit: max_prepared_transactions = 0 ------------------------------------------

TPC_SCRIPT = """
PREPARE TRANSACTION 'x';
BEGIN;
SELECT 1/0;
PREPARE TRANSACTION 'x';
SELECT 1;
BEGIN;
PREPARE TRANSACTION '{long}';
SELECT 2;
BEGIN;
INSERT INTO session_t VALUES (10);
SAVEPOINT s;
SET LOCAL work_mem = '1MB';
PREPARE TRANSACTION 'y';
SELECT 3;
SELECT count(*) FROM session_t WHERE a = 10;
SHOW work_mem;
BEGIN;
COMMIT PREPARED 'x';
ROLLBACK;
BEGIN;
ROLLBACK PREPARED 'x';
ROLLBACK;
COMMIT PREPARED 'x';
ROLLBACK PREPARED 'y';
SHOW max_prepared_transactions;
SET max_prepared_transactions = 1;
SELECT name, setting, unit, category, short_desc, context, vartype, source, min_val, boot_val, reset_val
  FROM pg_settings WHERE name = 'max_prepared_transactions';
SELECT * FROM pg_prepared_xacts;
""".format(long="g" * 200)


def test_two_phase_commit_as_postgres_with_it_disabled(targets):
    same_psql(targets, TPC_SCRIPT)


def test_two_phase_commit_in_a_multi_statement_query(targets):
    """A multi-statement simple query is a transaction block for these (IsTransactionBlock);
    an extended-protocol batch is not."""
    for messages in ([q("SELECT 1; PREPARE TRANSACTION 'x'; SELECT 2")],
                     [q("SELECT 1; COMMIT PREPARED 'x'")],
                     [q("ROLLBACK PREPARED 'x'; SELECT 1")],
                     [parse("", "PREPARE TRANSACTION 'x'"), bind("", ""), execute("", 0), SYNC],
                     [parse("", "COMMIT PREPARED 'x'"), bind("", ""), execute("", 0), SYNC]):
        ours, ref = targets
        assert _until_closed(ours, *messages) == _until_closed(ref, *messages)


def _attempt(fn):
    try:
        return ("ok", fn())
    except psycopg.Error as e:
        return (type(e).__name__, e.sqlstate, e.diag.message_primary, e.diag.message_hint)


def test_psycopg_tpc_api(targets):
    """psycopg's two-phase API fails where PostgreSQL with max_prepared_transactions = 0
    makes it fail, and leaves the same state behind."""
    def run(dsn):
        out = []
        conn = psycopg.connect(dsn)
        try:
            out.append(conn.execute("SHOW max_prepared_transactions").fetchone())
            conn.rollback()
            out.append(_attempt(conn.tpc_recover))
            xid = conn.xid(42, "gtrid", "bqual")
            conn.tpc_begin(xid)
            conn.execute("INSERT INTO session_t VALUES (20)")
            out.append(_attempt(conn.tpc_prepare))
            out.append(conn.info.transaction_status.name)
            out.append(_attempt(lambda: conn.tpc_commit(xid)))
            out.append(conn.info.transaction_status.name)
        finally:
            conn.close()  # (commit() and rollback() refuse a two-phase transaction)
        with psycopg.connect(dsn, autocommit=True) as conn:
            out.append(_attempt(lambda: conn.tpc_rollback("no such gid")))
            out.append(_attempt(lambda: conn.tpc_commit(conn.xid(1, "a", "b"))))
            out.append(conn.execute("SELECT count(*) FROM session_t WHERE a = 20").fetchone())
        return out
    ours, ref = targets
    assert run(ours[2]) == run(ref[2])


# --- 5. byte and bit access (get_byte/set_byte, get_bit/set_bit, bit_count, overlay, hashes) -----

BYTES_SCRIPT = r"""
select get_byte('\x1234'::bytea, 1), set_byte('\x1234'::bytea, 0, 255), get_bit('\x1234'::bytea, 3), set_bit('\x1234'::bytea, 3, 1);
select get_bit('1010'::bit(4), 2), set_bit('1010'::bit(4), 1, 1), set_bit('1010'::varbit, 0, 0), bit_count('1011'::bit(4)), bit_count('\xff01'::bytea);
select set_byte('\x00'::bytea, 0, 256), set_byte('\x00'::bytea, 0, -1), set_byte('\x00'::bytea, 0, 511);
select get_byte('\x12'::bytea, 5);
select get_byte(''::bytea, 0);
select get_byte('\x12'::bytea, -1);
select set_byte('\x12'::bytea, 1, 0);
select get_bit('\x12'::bytea, 8);
select set_bit('\x12'::bytea, 0, 2);
select set_bit('\x12'::bytea, 99, 2);
select get_bit('101'::bit(3), 3);
select set_bit('101'::bit(3), 1, 5);
select set_bit('101'::bit(3), -1, 1);
select md5('ab'::bytea), sha224('abc'::bytea), sha256('abc'), sha384(''::bytea), sha512('\x00'::bytea);
select overlay('\x1234'::bytea placing '\xff'::bytea from 2), overlay('\x123456'::bytea placing '\xff'::bytea from 2 for 0), overlay('\x1234'::bytea placing '\xaabbcc'::bytea from 5);
select overlay('abcdef' placing 'XY' from 2), overlay('abcdef' placing 'XY' from 2 for 3), overlay('abc' placing 'Z' from 10);
select overlay('abc' placing 'Z' from 0);
select overlay('abc' placing 'Z' from 1 for -1);
select get_byte(null, 1), set_bit(null::bytea, 1, 1), overlay(null::text placing 'a' from 1);
select pg_typeof(get_bit('\x00'::bytea, 1)), pg_typeof(bit_count('\x00'::bytea)), pg_typeof(set_bit('1'::bit(1), 0, 0)), pg_typeof(set_bit('1'::varbit, 0, 0));
select overlay('abcdef' placing 'Z' from 3 for -1), overlay('\x010203'::bytea placing '\xff'::bytea from 3 for -2);
select get_bit('10'::varbit, 1), bit_count(''::varbit), set_bit('0'::varbit, 0, 1);
"""


def test_byte_and_bit_functions(targets):
    same_psql(targets, BYTES_SCRIPT)


# --- the error fields PostgreSQL fills (schema, table, column, constraint, datatype) -------------

DIAG_SETUP = ["DROP TABLE IF EXISTS dg_c", "DROP TABLE IF EXISTS dg_p", "DROP TABLE IF EXISTS dg_t",
              "DROP DOMAIN IF EXISTS dg_d", "DROP DOMAIN IF EXISTS dg_nn",
              "CREATE TABLE dg_p (id int PRIMARY KEY, v int NOT NULL CHECK (v > 0), u text UNIQUE)",
              "CREATE TABLE dg_c (pid int REFERENCES dg_p (id))",
              "CREATE DOMAIN dg_d AS int CHECK (VALUE > 5)", "CREATE DOMAIN dg_nn AS int NOT NULL",
              "CREATE TABLE dg_t (d dg_d, n dg_nn)",
              "INSERT INTO dg_p VALUES (1, 1, 'a')", "INSERT INTO dg_c VALUES (1)"]
DIAG_CASES = ["INSERT INTO dg_p VALUES (2, NULL, 'b')", "INSERT INTO dg_p VALUES (1, 1, 'x')",
              "INSERT INTO dg_p VALUES (3, -1, 'c')", "INSERT INTO dg_p VALUES (4, 1, 'a')",
              "INSERT INTO dg_c VALUES (9)", "DELETE FROM dg_p", "UPDATE dg_p SET v = -v",
              "SELECT 3::dg_d", "SELECT NULL::dg_nn", "INSERT INTO dg_t VALUES (1, 1)",
              "INSERT INTO dg_t VALUES (7, NULL)", "SELECT 1/0", "SELECT 'x'::int"]
DIAG_FIELDS = ["sqlstate", "message_primary", "schema_name", "table_name", "column_name", "constraint_name",
               "datatype_name", "message_detail"]


def test_error_fields(targets):
    def run(dsn):
        out = []
        with psycopg.connect(dsn, autocommit=True) as conn:
            for sql in DIAG_SETUP:
                conn.execute(sql)
            for sql in DIAG_CASES:
                try:
                    conn.execute(sql)
                    out.append((sql, "no error"))
                except psycopg.Error as e:
                    out.append((sql, [getattr(e.diag, f) for f in DIAG_FIELDS]))
        return out
    ours, ref = targets
    expected = run(ref[2])
    got = run(ours[2])
    assert [g for g, e in zip(got, expected) if g != e] == [], [e for g, e in zip(got, expected) if g != e]


# --- standard_conforming_strings = off and escape_string_warning --------------------------------

STRINGS_SCRIPT = r"""
set standard_conforming_strings = off;
select 'a\nb' as x, length('a\\b'), 'it\'s', 'x''y', E'e\tz', 'plain';
select 'a\\b' || 'c';
select 'one'
  'two\t' as cont, $$dollar \n$$ as d, $t$x\y$t$ as t;
select "we\ird" from (select 1 as "we\ird") s;
-- a comment with 'quote \' here
select /* nested /* 'x\' */ */ 'ok\x41';
select U&'d\0061t\+000061' as u;
set escape_string_warning = off;
select 'no\twarn';
prepare p as select 'p\x42' as v;
execute p;
set standard_conforming_strings = on;
select 'a\nb' as x;
execute p;
show escape_string_warning;
select name, setting, category, short_desc, context, vartype, boot_val from pg_settings where name in ('escape_string_warning', 'standard_conforming_strings') order by 1;
"""


def test_standard_conforming_strings_off(targets):
    same_psql(targets, STRINGS_SCRIPT)


def test_psycopg_quoting_with_standard_conforming_strings_off(targets):
    """psycopg (libpq) escapes for the server's setting, which ParameterStatus reports."""
    def run(dsn):
        values = ["a\\b", "it's", "back\\'slash", "tab\tx", "plain"]
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET escape_string_warning = off")
            out = []
            for scs in ("off", "on"):
                conn.execute(f"SET standard_conforming_strings = {scs}")
                cur = psycopg.ClientCursor(conn)
                out.append(cur.execute("SELECT %s, %s, %s, %s, %s", values).fetchone())
                out.append(cur.mogrify("SELECT %s", ["a\\b"]))
                out.append(conn.execute("SELECT %s::text", ["a\\b"]).fetchone())
                out.append(conn.execute(psycopg.sql.SQL("SELECT {}").format(psycopg.sql.Literal("x\\y"))).fetchone())
            return out
    ours, ref = targets
    assert run(ours[2]) == run(ref[2])


# --- COMMIT and ROLLBACK inside an implicit transaction ------------------------------------------

def _table_after(target, *messages: bytes):
    """Empty session_t, send the messages on one connection (replies compared too), then
    the rows left in session_t."""
    with psycopg.connect(target[2], autocommit=True) as c:
        c.execute("TRUNCATE session_t")
    wire = Wire(target[:2])
    try:
        replies = [wire.send(m) for m in messages]
    finally:
        wire.close()
    with psycopg.connect(target[2], autocommit=True) as c:
        rows = c.execute("SELECT a FROM session_t ORDER BY a").fetchall()
    return replies, rows


def _insert(a: int) -> list[bytes]:
    return [parse("", f"INSERT INTO session_t VALUES ({a})"), bind("", ""), execute("", 0)]


def _extended(sql: str) -> list[bytes]:
    return [parse("", sql), bind("", ""), execute("", 0)]


@pytest.mark.parametrize("messages", [
    # several statements in one Query: ROLLBACK undoes those before it (with its warning),
    # COMMIT commits them, and the statements after either run in a new implicit transaction
    [q("INSERT INTO session_t VALUES (1); ROLLBACK; INSERT INTO session_t VALUES (2)")],
    [q("INSERT INTO session_t VALUES (3); COMMIT; INSERT INTO session_t VALUES (4); ROLLBACK")],
    [q("INSERT INTO session_t VALUES (5); ROLLBACK; INSERT INTO session_t VALUES (6); SELECT 1/0")],
    # an extended-protocol batch: what asyncpg sends to end a failed executemany() before Sync
    [b"".join(_insert(7) + _insert(8) + _extended("ROLLBACK") + [SYNC])],
    # (a division by zero PostgreSQL cannot fold while planning: it fails at Execute)
    [b"".join(_insert(9) + _extended("COMMIT") + _insert(10) + _extended("SELECT 1 / (random() * 0)::int")
              + [SYNC])],
    [b"".join(_insert(11) + _extended("ROLLBACK") + _insert(12) + [SYNC])],
], ids=["rollback", "commit", "rollback-then-error", "batch-rollback", "batch-commit-then-error",
        "batch-rollback-then-insert"])
def test_commit_and_rollback_end_the_implicit_transaction(targets, messages):
    ours, ref = targets
    assert _table_after(ours, *messages) == _table_after(ref, *messages)


def test_asyncpg_executemany_failing_on_the_client_leaves_nothing(targets):
    """asyncpg's executemany() sends its rows in batches inside one implicit transaction;
    when the argument generator fails it sends ROLLBACK before Sync."""
    asyncpg = pytest.importorskip("asyncpg")
    import asyncio

    async def run(target):
        conn = await asyncpg.connect(host=target[0][0], port=target[0][1], user=target[1], database="postgres")
        try:
            await conn.execute("TRUNCATE session_t")

            def rows():
                for a in range(50):
                    yield (a,)
                raise ZeroDivisionError("the client's own failure")
            with pytest.raises(ZeroDivisionError):
                await conn.executemany("INSERT INTO session_t VALUES ($1)", rows())
            return await conn.fetchval("SELECT count(*) FROM session_t")
        finally:
            await conn.close()
    ours, ref = targets
    assert asyncio.run(run(ours)) == asyncio.run(run(ref)) == 0


def test_void_concatenated_with_text(targets):
    """void || text is anynonarray || text: void prints as '' (it was taken for an array)."""
    sql = "SELECT pg_sleep(0) || 'x', 'y' || pg_sleep(0), pg_typeof(pg_sleep(0) || 'x')::text"
    ours, ref = targets
    answers = []
    for target in (ours, ref):
        with psycopg.connect(target[2], autocommit=True) as c:
            answers.append(c.execute(sql).fetchall())
    assert answers[0] == answers[1]
