"""The session loop's protocol flows, driven with bytes over a socketpair and a fake
engine: simple query, extended query (suspend/resume, skip to Sync after an error),
COPY in/out, CopyFail, describe, ParameterStatus after SET."""

from __future__ import annotations

import signal
import socket
import struct
import threading
from dataclasses import dataclass, field

import pytest

from pgsvc.backend import protocol as P
from pgsvc.backend.conn import ClientConnection
from pgsvc.backend.session import Session
from pgsvc.errors import SqlError
from pgsvc.settings import Settings
from pgsvc.sql.api import Column, CopySpec

INT4, TEXT = 23, 25


@dataclass
class FakeStmt:
    sql: str
    param_oids: list = field(default_factory=list)
    columns: list | None = None
    command: str = "SELECT"
    is_empty: bool = False
    copy: CopySpec | None = None


class FakeResult:
    def __init__(self, columns, rows, tag):
        self.columns = columns
        self.rows = iter(rows)
        self._tag = tag
        self.closed = False

    def tag(self, n):
        return self._tag.format(n=n)

    def close(self):
        self.closed = True


class FakeEngine:
    """Understands a handful of canned statements."""

    def __init__(self):
        self.status = "I"
        self.copied = []
        self.implicit = []

    def _stmt(self, sql):
        sql = sql.strip()
        if not sql:
            return FakeStmt("", is_empty=True)
        if sql.startswith("select n"):
            return FakeStmt(sql, [INT4], [Column("n", INT4, typlen=4)])
        if sql == "fail":
            return FakeStmt(sql, command="FAIL")
        if sql.startswith("copy in"):
            spec = CopySpec("in", [Column("a", INT4), Column("b", TEXT)])
            return FakeStmt(sql, command="COPY", copy=spec)
        if sql.startswith("copy out"):
            spec = CopySpec("out", [Column("a", INT4), Column("b", TEXT)])
            return FakeStmt(sql, command="COPY", copy=spec)
        if sql == "begin":
            return FakeStmt(sql, command="BEGIN")
        if sql.startswith("set app"):
            return FakeStmt(sql, command="SET")
        raise SqlError("42601", f'syntax error at or near "{sql.split()[0]}"', position=1)

    def parse_script(self, sql):
        return [self._stmt(s) for s in sql.split(";") if s.strip()] or [FakeStmt("", is_empty=True)]

    def prepare(self, sql, param_oids=()):
        return self._stmt(sql)

    def execute(self, stmt, params=()):
        if stmt.command == "FAIL":
            raise SqlError("22012", "division by zero")
        if stmt.command == "BEGIN":
            self.status = "T"
            return FakeResult(None, [], "BEGIN")
        if stmt.command == "SET":
            self.settings.set_session("application_name", "changed")
            return FakeResult(None, [], "SET")
        if stmt.copy is not None:
            return FakeResult(stmt.copy.columns, [(1, "x\ty"), (None, "z")], "COPY {n}")
        count = params[0] if params else 3
        return FakeResult(stmt.columns, [(i,) for i in range(count)], "SELECT {n}")

    def copy_in(self, stmt, rows):
        rows = list(rows)
        self.copied.extend(rows)
        return len(rows)

    def begin_implicit(self):
        self.implicit.append("begin")

    def end_implicit(self, success):
        self.implicit.append(("end", success))

    def read_only_select(self, stmt):
        return False

    def begin_statement(self):
        pass

    def count_plan(self, plans, stmt):
        pass

    def sql_statement(self, name):
        return None

    def cursor_columns(self, name):
        return None  # no DECLAREd cursors here

    def cursor_close(self, name):
        return False

    def transaction_status(self):
        return self.status

    def abort_on_error(self, err):
        if self.status == "T":
            self.status = "E"

    def close(self):
        pass


class FakeRegistry:
    def report(self, *a):
        pass

    def set_identity(self, *a):
        pass

    def set_application_name(self, *a):
        pass

    def flush_counts(self):
        pass


@dataclass
class Role:
    name: str = "alice"
    superuser: bool = True


@dataclass
class Db:
    name: str = "db"
    oid: int = 5


class Ctx:
    def __init__(self):
        self.state = type("S", (), {"registry": FakeRegistry(), "settings": Settings(), "notify_queue": None})()
        self.cancel_key = 1


@pytest.fixture
def session_pair():
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGALRM, signal.SIGTERM,
                                              signal.SIGHUP, signal.SIGQUIT)}
    client, server = socket.socketpair()
    client.settimeout(5)
    settings = Settings()
    sess = Session(Ctx(), ClientConnection(server), settings, Role(), Db(), "[local]")
    engine = FakeEngine()
    engine.settings = settings
    sess.engine = engine
    thread = threading.Thread(target=sess.run, daemon=True)
    thread.start()
    yield client, engine
    try:
        client.sendall(P.message(b"X"))
    except OSError:
        pass
    thread.join(5)
    client.close()
    signal.set_wakeup_fd(-1)
    for s, h in old.items():
        signal.signal(s, h)


def read_messages(sock, until=b"Z"):
    buf = P.MessageBuffer()
    out = []
    while True:
        msg = buf.next_message()
        if msg is None:
            buf.feed(sock.recv(65536))
            continue
        out.append(msg)
        if msg[0] == until:
            return out


def types_of(msgs):
    return b"".join(m[0] for m in msgs)


def q(sql):
    return P.message(b"Q", sql.encode() + b"\0")


def parse(name, sql, oids=()):
    return P.message(b"P", name.encode() + b"\0" + sql.encode() + b"\0" + struct.pack(f"!h{len(oids)}I", len(oids), *oids))


def bind(portal, stmt, params=(), result_formats=()):
    body = portal.encode() + b"\0" + stmt.encode() + b"\0" + struct.pack("!h", 0)
    body += struct.pack("!h", len(params))
    for p in params:
        body += struct.pack("!i", len(p)) + p
    body += struct.pack(f"!h{len(result_formats)}h", len(result_formats), *result_formats)
    return P.message(b"B", body)


def execute(portal, max_rows=0):
    return P.message(b"E", portal.encode() + b"\0" + struct.pack("!i", max_rows))


SYNC = P.message(b"S")


def test_ready_at_start_then_simple_query(session_pair):
    client, _ = session_pair
    assert types_of(read_messages(client)) == b"Z"
    client.sendall(q("select n"))
    msgs = read_messages(client)
    assert types_of(msgs) == b"TDDDCZ"
    assert msgs[1][1] == struct.pack("!hi", 1, 1) + b"0"
    assert msgs[4][1] == b"SELECT 3\0"


def test_empty_query_and_error_keep_session_usable(session_pair):
    client, _ = session_pair
    read_messages(client)
    client.sendall(q("  "))
    assert types_of(read_messages(client)) == b"IZ"
    client.sendall(q("bogus"))
    msgs = read_messages(client)
    assert types_of(msgs) == b"EZ"
    assert b"C42601\0" in msgs[0][1] and b"P1\0" in msgs[0][1]
    client.sendall(q("select n"))
    assert types_of(read_messages(client)) == b"TDDDCZ"


def test_multi_statement_is_one_implicit_transaction_and_stops_at_error(session_pair):
    client, engine = session_pair
    read_messages(client)
    client.sendall(q("select n; fail; select n"))
    assert types_of(read_messages(client)) == b"TDDDCEZ"
    assert engine.implicit == ["begin", ("end", False)]


def test_extended_flow_with_suspend(session_pair):
    client, _ = session_pair
    read_messages(client)
    client.sendall(parse("s1", "select n", [INT4]) + bind("p1", "s1", [b"5"]) + P.message(b"D", b"Pp1\0")
                   + execute("p1", 2) + execute("p1", 2) + execute("p1", 2) + SYNC)
    msgs = read_messages(client)
    assert types_of(msgs) == b"12TDDsDDsDCZ"
    assert msgs[-2][1] == b"SELECT 1\0"  # the rows of this Execute, as PostgreSQL counts them


def test_error_skips_to_sync(session_pair):
    client, engine = session_pair
    read_messages(client)
    client.sendall(parse("", "fail") + bind("", "") + execute("") + parse("", "select n") + SYNC)
    msgs = read_messages(client)
    assert types_of(msgs) == b"12EZ"
    client.sendall(bind("", "nosuch") + SYNC)
    msgs = read_messages(client)
    assert types_of(msgs) == b"EZ" and b"C26000\0" in msgs[0][1]


def test_describe_statement_and_binary_results(session_pair):
    client, _ = session_pair
    read_messages(client)
    client.sendall(parse("s", "select n", [INT4]) + P.message(b"D", b"Ss\0") + bind("", "s", [b"1"], [1])
                   + execute("") + SYNC)
    msgs = read_messages(client)
    assert types_of(msgs) == b"1tT2DCZ"
    assert msgs[1][1] == struct.pack("!hI", 1, INT4)
    assert msgs[4][1] == struct.pack("!hi", 1, 4) + struct.pack("!i", 0)


def test_copy_in_text(session_pair):
    client, engine = session_pair
    read_messages(client)
    client.sendall(q("copy in"))
    msgs = read_messages(client, until=b"G")
    assert types_of(msgs) == b"G"
    client.sendall(P.encode_copy_data(b"1\ta\\tb\n2\t\\N\n") + P.encode_copy_data(b"3\tc\n\\.\n")
                   + P.message(b"c"))
    msgs = read_messages(client)
    assert types_of(msgs) == b"CZ" and msgs[0][1] == b"COPY 3\0"
    assert engine.copied == [[1, "a\tb"], [2, None], [3, "c"]]


def test_copy_fail(session_pair):
    client, _ = session_pair
    read_messages(client)
    client.sendall(q("copy in"))
    read_messages(client, until=b"G")
    client.sendall(P.encode_copy_data(b"1\ta\n") + P.message(b"f", b"client gave up\0"))
    msgs = read_messages(client)
    assert types_of(msgs) == b"EZ"
    assert b"COPY from stdin failed: client gave up" in msgs[0][1]


def test_copy_out_text(session_pair):
    client, _ = session_pair
    read_messages(client)
    client.sendall(q("copy out"))
    msgs = read_messages(client)
    assert types_of(msgs) == b"HddcCZ"
    assert msgs[1][1] == b"1\tx\\ty\n" and msgs[2][1] == b"\\N\tz\n"
    assert msgs[4][1] == b"COPY 2\0"


def test_parameter_status_after_set(session_pair):
    client, _ = session_pair
    read_messages(client)
    client.sendall(q("set app"))
    msgs = read_messages(client)
    assert types_of(msgs) == b"CSZ"
    assert msgs[1][1] == b"application_name\0changed\0"


def test_transaction_status_in_ready_for_query(session_pair):
    client, _ = session_pair
    read_messages(client)
    client.sendall(q("begin"))
    msgs = read_messages(client)
    assert msgs[-1] == (b"Z", b"T")
    client.sendall(q("fail"))
    msgs = read_messages(client)
    assert msgs[-1] == (b"Z", b"E")
