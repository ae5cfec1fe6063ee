"""Hostile protocol input (issue 7): a hypothesis fuzzer against a real supervisor.

Start-up phase: wrong and huge lengths, unknown protocol versions, missing
terminators, invalid UTF-8, garbage after SSLRequest/GSSENCRequest, truncated cancel
requests — each on its own connection, a batch of them at once. After a trust-auth
login: unknown message types, truncated bodies, lengths past the end, invalid UTF-8,
absurd parameter counts, Bind to a missing statement, Execute of a missing portal —
on a reused connection (an ERROR keeps the session; a FATAL costs a reconnect).

For every input: the supervisor stays up; the backend answers with an ErrorResponse
carrying a SQLSTATE (FATAL in start-up, ERROR or FATAL after) or closes cleanly, and
never with an internal error (XX000) or a traceback; it never hangs past TIMEOUT; it
does not allocate memory for a length it was promised but has not received; and
other connections keep working.

Size: PGSVC_FUZZ_EXAMPLES (hypothesis examples per fuzz test; default 150) times the
batch sizes below. The default is >= 10,000 inputs in all, which the last test checks
(it reads the counters the others fill in).
"""

from __future__ import annotations

import os
import re
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgwire
from conftest import engine_available, require_engine

TIMEOUT = 10.0  # no single input may take longer than this to be answered or closed
EXAMPLES = int(os.environ.get("PGSVC_FUZZ_EXAMPLES", "150"))
STARTUP_BATCH = 24  # start-up inputs per example, each on its own connection, concurrently
SESSION_BATCH = 48  # post-auth inputs per example, one after another on one connection
MIN_TOTAL = 10_000  # what CI must run with the default EXAMPLES
SQLSTATE = re.compile(r"^[0-9A-Z]{5}$")
I32 = struct.Struct("!i")
COUNTS = {"startup": 0, "session": 0, "eof": 0, "fixed": 0}
COUNT_LOCK = threading.Lock()

FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture, HealthCheck.large_base_example])


def _count(kind: str, n: int = 1) -> None:
    with COUNT_LOCK:
        COUNTS[kind] += n


@pytest.fixture(scope="module")
def srv(module_server_factory):
    # Plenty of slots: a batch of start-up inputs is that many concurrent backends.
    return module_server_factory(server_args=("-c", "max_connections=200"))


# ------------------------------------------------------------------ response checks

def _split_response(data: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """(single-byte SSL/GSS answers, framed messages, unparsable tail)."""
    answers = 0
    while data[:1] in (b"N", b"S") and (len(data) == 1 or data[1:2] != b"\x00"):
        answers += 1  # a framed message's length starts with 0x00; an answer byte is alone
        data = data[1:]
    msgs = []
    pos = 0
    while pos + 5 <= len(data):
        mtype = data[pos:pos + 1]
        (length,) = I32.unpack_from(data, pos + 1)
        if length < 4 or pos + 1 + length > len(data):
            break
        msgs.append((mtype, data[pos + 5:pos + 1 + length]))
        pos += 1 + length
    return answers, msgs, data[pos:]


def check_error(body: bytes, allowed_severities: tuple[str, ...], context) -> dict[str, str]:
    fields = pgwire.parse_error(body)
    assert fields.get("S") in allowed_severities, (fields, context)
    code = fields.get("C", "")
    assert SQLSTATE.match(code), (fields, context)
    assert code != "XX000", ("internal error answering hostile input", fields, context)
    assert fields.get("M"), (fields, context)
    assert "Traceback" not in fields.get("M", ""), (fields, context)
    return fields


def check_startup_response(data: bytes, context) -> None:
    """What may come back for a start-up packet from an unknown user: nothing, answers
    to SSL/GSS requests, and at most one FATAL, after which the server closes."""
    _answers, msgs, tail = _split_response(data)
    assert tail == b"", ("unframed bytes from the server", data, context)
    assert b"Traceback" not in data, (data, context)
    for i, (mtype, body) in enumerate(msgs):
        if mtype == b"E":
            check_error(body, ("FATAL",), context)
            assert i == len(msgs) - 1, ("bytes after a FATAL", msgs, context)
        elif mtype == b"R":
            # only an auth request for the (nonexistent) role; never AuthenticationOk
            assert I32.unpack_from(body)[0] != 0, ("authenticated by a fuzz packet", msgs, context)
        elif mtype == b"v":  # NegotiateProtocolVersion (3.x, x > 0)
            continue
        else:
            pytest.fail(f"unexpected message {mtype!r} in start-up: {msgs!r} for {context!r}")


def exchange_raw(port: int, data: bytes, half_close: bool = True) -> bytes:
    """One connection: send data, (half-)close, read until the server closes. Raises
    TimeoutError if the server neither answers nor closes within TIMEOUT."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    started = time.monotonic()
    received = b""
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused early and closed; what it said is still readable
        if half_close:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break  # closed with our bytes unread (as PostgreSQL does): still a close
            except TimeoutError:
                raise TimeoutError(f"server neither answered nor closed in {TIMEOUT}s: {data[:200]!r}") from None
            if not chunk:
                break
            received += chunk
            if len(received) > 1 << 20:
                pytest.fail(f"more than 1 MB in answer to {data[:200]!r}")
        assert time.monotonic() - started < TIMEOUT
        return received
    finally:
        sock.close()


# ------------------------------------------------------------------ start-up strategies

def _packet(body: bytes, length: int | None = None) -> bytes:
    return I32.pack(len(body) + 4 if length is None else length) + body


def _params(pairs) -> bytes:
    return b"".join(k + b"\x00" + v + b"\x00" for k, v in pairs)


_names = st.one_of(st.sampled_from([b"user", b"database", b"options", b"application_name",
                                    b"replication", b"client_encoding", b"DateStyle", b"x"]),
                   st.binary(max_size=12))
_values = st.one_of(st.binary(max_size=40),
                    st.sampled_from([b"fuzz_nobody", b"\xff\xfe", b"-c x=1", b"-c", b"--work_mem=-1",
                                     b"true", b"database", b"\x00"]),
                    st.text(max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass")))
_pairs = st.lists(st.tuples(_names, _values), max_size=5)
_user = [(b"user", b"fuzz_nobody")]  # never a real role: no fuzz packet may log in

_wrong_length = st.builds(
    lambda n, body: I32.pack(n) + body,
    st.one_of(st.integers(-(2 ** 31), 2 ** 31 - 1), st.integers(-8, 16), st.integers(9990, 10010),
              st.sampled_from([2 ** 30, 2 ** 31 - 1, -1, 0, 7, 8])),
    st.binary(max_size=64))
_unknown_version = st.builds(
    lambda major, minor, pairs: _packet(I32.pack((major << 16) | minor) + _params(_user + pairs) + b"\x00"),
    st.integers(0, 32767).filter(lambda m: m not in (3, 1234)), st.integers(0, 65535), _pairs)
_bad_layout = st.builds(  # valid version, parameter list without its terminators / odd count
    lambda pairs, cut: _packet(I32.pack(196608) + (_params(_user + pairs) + b"\x00")[:-cut]),
    _pairs, st.integers(1, 3))
_odd_params = st.builds(
    lambda pairs, extra: _packet(I32.pack(196608) + _params(_user + pairs) + extra + b"\x00\x00"),
    _pairs, st.binary(min_size=1, max_size=10).filter(lambda b: b"\x00" not in b))
_fuzzed_params = st.builds(  # well-formed, odd contents (bad UTF-8, bad options, ...)
    lambda pairs: _packet(I32.pack(196608) + _params(pairs + _user) + b"\x00"), _pairs)
_after_ssl = st.builds(
    lambda first, garbage: _packet(I32.pack(first)) + garbage,
    st.sampled_from([80877103, 80877104]),
    st.one_of(st.binary(max_size=80),
              st.sampled_from([_packet(I32.pack(80877103)), _packet(I32.pack(80877104)),
                               b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"])))
_cancel = st.builds(
    lambda length, body: I32.pack(length) + I32.pack(80877102) + body,
    st.sampled_from([8, 12, 16, 20, 15]), st.binary(max_size=12))
_random = st.binary(max_size=200)
_truncated = st.builds(  # a valid packet cut short (the server waits, then sees EOF)
    lambda n: _packet(I32.pack(196608) + _params(_user + [(b"database", b"postgres")]) + b"\x00")[:n],
    st.integers(1, 40))

STARTUP_INPUT = st.one_of(_wrong_length, _unknown_version, _bad_layout, _odd_params, _fuzzed_params,
                          _after_ssl, _cancel, _random, _truncated)


def _run_startup_batch(srv, inputs: list[bytes]) -> None:
    with ThreadPoolExecutor(max_workers=min(len(inputs), 24)) as pool:
        answers = list(pool.map(lambda data: exchange_raw(srv.port, data), inputs))
    for data, answer in zip(inputs, answers):
        check_startup_response(answer, data)
    _count("startup", len(inputs))


@FUZZ
@given(batch=st.lists(STARTUP_INPUT, min_size=STARTUP_BATCH, max_size=STARTUP_BATCH))
def test_fuzz_startup_packets(srv, batch):
    _run_startup_batch(srv, batch)
    assert srv.proc.poll() is None, "supervisor died"


def test_startup_fuzz_left_nothing_behind(srv):
    """After the fuzzing: no backend left over, the supervisor up, a login works."""
    srv.wait_children(0, timeout=TIMEOUT)
    _assert_login_works(srv)
    _assert_clean_log(srv)


def _assert_login_works(srv) -> None:
    res = pgwire.startup(srv.socket_path, srv.superuser)
    assert res.auth_ok, res
    if engine_available():
        assert res.ready and res.error is None, res


def _assert_clean_log(srv) -> None:
    log = srv.log.read_text(errors="replace")
    for bad in ("Traceback", "internal error", "backend failed"):
        assert bad not in log, log[-4000:]


# ------------------------------------------------------------------ fixed start-up cases

def test_huge_startup_length_refused_before_reading(srv):
    """A start-up packet claiming 1 GB: FATAL at once, with the socket still open (the
    server does not wait for, or reserve room for, the promised bytes)."""
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT)
    try:
        sock.sendall(I32.pack(1 << 30) + b"\x00\x03\x00\x00user")
        mtype, body = pgwire.read_message(sock)
        assert mtype == b"E"
        fields = check_error(body, ("FATAL",), "1 GB start-up length")
        assert fields["C"] == "08P01"
    finally:
        sock.close()
    _count("fixed")


# ------------------------------------------------------------------ after authentication

class Session:
    """A logged-in raw connection that survives ERRORs and is replaced after a FATAL."""

    def __init__(self, srv) -> None:
        self.srv = srv
        self.sock: socket.socket | None = None
        self.pid: int | None = None
        self.buf = b""
        self.connects = 0

    def ensure(self) -> None:
        if self.sock is None:
            res, sock = pgwire.startup(self.srv.socket_path, self.srv.superuser, keep_open=True)
            assert res.ready and res.error is None, res
            sock.settimeout(TIMEOUT)
            self.sock, self.pid, self.buf = sock, res.backend_pid, b""
            self.connects += 1

    def drop(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def _read_message(self) -> tuple[bytes, bytes] | None:
        """Next message, or None when the server has closed."""
        while True:
            if len(self.buf) >= 5:
                (length,) = I32.unpack_from(self.buf, 1)
                assert 4 <= length < 1 << 26, ("bad framing from server", self.buf[:40])
                if len(self.buf) >= 1 + length:
                    msg = (self.buf[:1], self.buf[5:1 + length])
                    self.buf = self.buf[1 + length:]
                    return msg
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            except TimeoutError:
                raise TimeoutError(f"backend {self.pid} silent for {TIMEOUT}s") from None
            if not chunk:
                assert self.buf == b"", ("truncated message from server", self.buf)
                return None
            self.buf += chunk

    def run(self, data: bytes, expect: frozenset[str] | None) -> str:
        """Send one input followed by Sync; read to ReadyForQuery (-> "ok"/"error") or to
        the close after a FATAL (-> "fatal"). `expect`: SQLSTATEs the input must draw
        (None: any well-formed outcome)."""
        self.ensure()
        try:
            self.sock.sendall(data + pgwire.message(b"S", b""))
        except (BrokenPipeError, ConnectionResetError):
            pass
        seen: list[dict[str, str]] = []
        # one ReadyForQuery for the Sync, and one per simple Query / FunctionCall message
        ready_left = 1 + sum(1 for t in _frame_types(data) if t in (b"Q", b"F"))
        while True:
            msg = self._read_message()
            if msg is None:
                self.drop()
                assert seen and seen[-1]["S"] == "FATAL" or data[:1] == b"X", \
                    ("backend closed without a FATAL", data[:200])
                outcome = "fatal" if seen else "closed"
                break
            mtype, body = msg
            if mtype == b"E":
                fields = pgwire.parse_error(body)
                seen.append(check_error(body, ("ERROR", "FATAL"), data[:200]))
                if fields["S"] == "FATAL":
                    assert self._read_message() is None, "bytes after a FATAL"
                    self.drop()
                    outcome = "fatal"
                    break
            elif mtype == b"Z":
                ready_left -= 1
                if ready_left == 0:
                    outcome = "error" if seen else "ok"
                    break
            else:
                assert mtype in b"123CDIKNSTntsvGHWdcAV", (mtype, body[:80], data[:200])
                if mtype in (b"G", b"H", b"W"):  # COPY started by fuzz: refuse to play
                    self.sock.sendall(pgwire.message(b"f", b"fuzz\x00") + pgwire.message(b"S", b""))
        if expect is not None:
            codes = {f["C"] for f in seen}
            assert codes and codes <= expect, (codes, expect, data[:200])
        return outcome


def _frame_types(data: bytes) -> list[bytes]:
    """Message types in data as the server frames them (a bad length ends the framing)."""
    types, pos = [], 0
    while pos + 5 <= len(data):
        (length,) = I32.unpack_from(data, pos + 1)
        if length < 4 or pos + 1 + length > len(data):
            break
        types.append(data[pos:pos + 1])
        pos += 1 + length
    return types


def _msg(mtype: bytes, body: bytes) -> bytes:
    return pgwire.message(mtype, body)


def _cstr(b: bytes) -> bytes:
    return b.replace(b"\x00", b"") + b"\x00"


_ident = st.one_of(st.just(b""), st.sampled_from([b"s1", b"p1", b"nope"]), st.binary(max_size=8))
_sql = st.one_of(st.sampled_from([b"select 1", b"select $1", b"", b"select 'a", b";;", b"begin", b"rollback"]),
                 st.binary(max_size=40))
_i16 = st.one_of(st.integers(-32768, 32767), st.sampled_from([0, 1, 2, -1, 32767, -32768]))
_i32 = st.one_of(st.integers(-(2 ** 31), 2 ** 31 - 1), st.sampled_from([0, -1, 1, 4, 2 ** 30]))

_parse = st.builds(lambda n, q, cnt, oids: _msg(b"P", _cstr(n) + _cstr(q) + struct.pack("!h", cnt)
                                                + b"".join(struct.pack("!I", o) for o in oids)),
                   _ident, _sql, _i16, st.lists(st.integers(0, 2 ** 32 - 1), max_size=4))
_bind = st.builds(lambda p, s, nf, fmts, npar, params, nres: _msg(
    b"B", _cstr(p) + _cstr(s) + struct.pack("!h", nf) + b"".join(struct.pack("!h", f) for f in fmts)
    + struct.pack("!h", npar) + b"".join(I32.pack(len(v)) + v if v is not None else I32.pack(-1) for v in params)
    + struct.pack("!h", nres)),
    _ident, _ident, _i16, st.lists(_i16, max_size=3), _i16,
    st.lists(st.one_of(st.none(), st.binary(max_size=8)), max_size=3), _i16)
_describe = st.builds(lambda k, n: _msg(b"D", k + _cstr(n)), st.sampled_from([b"S", b"P", b"X", b"\x00"]), _ident)
_close = st.builds(lambda k, n: _msg(b"C", k + _cstr(n)), st.sampled_from([b"S", b"P", b"Q"]), _ident)
_execute = st.builds(lambda n, rows: _msg(b"E", _cstr(n) + I32.pack(rows)), _ident, _i32)
_query = st.builds(lambda q: _msg(b"Q", q + b"\x00"), _sql)
_function = st.builds(lambda b: _msg(b"F", b), st.binary(max_size=30))
_known = st.one_of(_parse, _bind, _describe, _close, _execute, _query, _function)

# Fixed expectations, as PostgreSQL answers them.
_ascii_name = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", max_size=6).map(str.encode)
_missing_stmt = st.builds(lambda s: (_msg(b"B", b"\x00" + _cstr(b"missing_" + s) + b"\x00\x00\x00\x00\x00\x00"),
                                     frozenset({"26000"})), _ascii_name)
_missing_portal = st.builds(lambda s, n: (_msg(b"E", _cstr(b"missing_" + s) + I32.pack(n)), frozenset({"34000"})),
                            _ascii_name, _i32)
_bad_utf8_query = st.builds(lambda pre, bad: (_msg(b"Q", b"select '" + pre + bad + b"'\x00"), frozenset({"22021"})),
                            _ascii_name,
                            st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"]))
_absurd_counts = st.builds(lambda kind, n: (
    _msg(b"P", b"\x00select 1\x00" + struct.pack("!h", n)) if kind == "parse"
    else _msg(b"B", b"\x00\x00" + struct.pack("!hh", 0, n)) if kind == "bind-params"
    else _msg(b"B", b"\x00\x00" + struct.pack("!h", n)), frozenset({"08P01"})),
    st.sampled_from(["parse", "bind-params", "bind-formats"]),
    st.one_of(st.integers(2, 32767), st.integers(-32768, -1)))
# Self-consistent Parse and Bind (counts match what follows them), so that cutting the
# end of the body always leaves a message that is short of what it declares. (The
# free-form _parse/_bind above may declare fewer items than they carry: cutting the
# surplus off would make a valid message, which is no truncation test.)
_consistent_parse = st.builds(lambda n, q, oids: _msg(b"P", _cstr(n) + _cstr(q) + struct.pack("!h", len(oids))
                                                     + b"".join(struct.pack("!I", o) for o in oids)),
                              _ident, _sql, st.lists(st.integers(0, 2 ** 32 - 1), max_size=4))
_consistent_bind = st.builds(lambda p, s, fmts, params, res: _msg(
    b"B", _cstr(p) + _cstr(s) + struct.pack("!h", len(fmts)) + b"".join(struct.pack("!h", f) for f in fmts)
    + struct.pack("!h", len(params))
    + b"".join(I32.pack(len(v)) + v if v is not None else I32.pack(-1) for v in params)
    + struct.pack("!h", len(res)) + b"".join(struct.pack("!h", f) for f in res)),
    _ident, _ident, st.lists(st.sampled_from([0, 1]), max_size=3),
    st.lists(st.one_of(st.none(), st.binary(max_size=8)), max_size=3), st.lists(st.sampled_from([0, 1]), max_size=3))
_truncated_body = st.builds(  # a well-formed message with its body cut: never valid
    lambda m, cut: (_msg(m[:1], m[5:][:max(0, len(m) - 5 - cut)]), frozenset({"08P01", "22021"})),
    st.one_of(_consistent_parse, _consistent_bind, _describe, _execute).filter(lambda m: len(m) > 6),
    st.integers(1, 8))
_unknown_type = st.builds(
    lambda t, body: (_msg(bytes([t]), body), frozenset({"08P01"})),
    st.integers(0, 255).filter(lambda t: bytes([t]) not in b"QPBDECSHFXdcf"), st.binary(max_size=20))
_bad_length = st.builds(
    lambda t, n: (bytes([t]) + I32.pack(n), frozenset({"08P01"})),
    st.sampled_from(list(b"QPBDESX")),
    st.one_of(st.integers(-(2 ** 31), 3), st.integers(0x40000000, 2 ** 31 - 1)))
_past_end = st.builds(  # length claims k more bytes than the body: they are taken from what follows
    lambda m, k: (m[:1] + I32.pack(len(m) - 1 + k) + m[5:] + b"\x00" * k, None),
    _known, st.integers(1, 64))

SESSION_INPUT = st.one_of(
    _known.map(lambda m: (m, None)), _missing_stmt, _missing_portal, _bad_utf8_query, _absurd_counts,
    _truncated_body, _past_end)
# The FATAL ones end the session (each costs a reconnect): a few per batch.
SESSION_FATAL = st.one_of(_unknown_type, _bad_length)
FATAL_PER_BATCH = 2


@pytest.fixture(scope="module")
def session(srv):
    require_engine()
    s = Session(srv)
    yield s
    s.drop()


@FUZZ
@given(batch=st.lists(SESSION_INPUT, min_size=SESSION_BATCH - FATAL_PER_BATCH,
                      max_size=SESSION_BATCH - FATAL_PER_BATCH),
       fatal=st.lists(SESSION_FATAL, min_size=FATAL_PER_BATCH, max_size=FATAL_PER_BATCH),
       where=st.lists(st.integers(0, SESSION_BATCH), min_size=FATAL_PER_BATCH, max_size=FATAL_PER_BATCH))
def test_fuzz_messages_after_login(srv, session, batch, fatal, where):
    batch = list(batch)
    for item, at in zip(fatal, where):
        batch.insert(at, item)
    for data, expect in batch:
        session.run(data, expect)
    _count("session", len(batch))
    assert srv.proc.poll() is None, "supervisor died"


def test_session_fuzz_left_nothing_behind(srv, session):
    session.drop()
    srv.wait_children(0, timeout=TIMEOUT)
    _assert_login_works(srv)
    _assert_clean_log(srv)


_eof_input = st.builds(lambda m, k: m[:1] + I32.pack(len(m) - 1 + k) + m[5:], _known, st.integers(1, 1 << 20))


@settings(FUZZ, max_examples=max(10, EXAMPLES // 10))
@given(batch=st.lists(_eof_input, min_size=8, max_size=8))
def test_fuzz_truncated_message_then_eof(srv, batch):
    """A message promised longer than it is, then EOF: the backend waits for the rest,
    sees the close, and exits (no answer needed, no hang)."""
    require_engine()

    def one(data: bytes) -> None:
        res, sock = pgwire.startup(srv.socket_path, srv.superuser, keep_open=True)
        assert res.ready, res
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(TIMEOUT)
            rest = b""
            while chunk := _recv_or_empty(sock):
                rest += chunk
            assert b"Traceback" not in rest
        finally:
            sock.close()
        wait_gone(res.backend_pid)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, batch))
    _count("eof", len(batch))


def _recv_or_empty(sock) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""
    except TimeoutError:
        raise TimeoutError(f"backend did not close within {TIMEOUT}s after EOF") from None


def wait_gone(pid: int, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.01)
    raise TimeoutError(f"backend {pid} still running {timeout}s after its client left")


def _rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


@pytest.mark.parametrize("mtype", [b"Q", b"P", b"B", b"d"])
def test_claimed_gigabyte_is_not_allocated(srv, mtype):
    """Claim a 1 GB message, send 10 bytes: the backend's memory stays small while it
    waits for the rest, another connection works meanwhile, and EOF ends it."""
    require_engine()
    res, sock = pgwire.startup(srv.socket_path, srv.superuser, keep_open=True)
    assert res.ready, res
    try:
        before = _rss(res.backend_pid)
        sock.sendall(mtype + I32.pack(0x3FFFFFFF) + b"select 1;\x00")
        time.sleep(0.5)
        grown = _rss(res.backend_pid) - before
        assert grown < 32 << 20, f"backend grew by {grown >> 20} MB for a claimed, unsent 1 GB"
        _assert_login_works(srv)
        sock.sendall(b"x" * (4 << 20))  # 4 MB of the promised GB: memory follows what arrived
        time.sleep(0.3)
        grown = _rss(res.backend_pid) - before
        assert grown < 64 << 20, f"backend grew by {grown >> 20} MB after receiving 4 MB"
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(TIMEOUT)
        while _recv_or_empty(sock):
            pass
    finally:
        sock.close()
    wait_gone(res.backend_pid)
    _count("fixed")


def test_input_count(srv):
    """The figure tests/RELIABILITY.md quotes: at least MIN_TOTAL inputs with the default
    settings (a smaller PGSVC_FUZZ_EXAMPLES is for local runs)."""
    total = sum(COUNTS.values())
    print(f"fuzz inputs: {COUNTS} total {total}")
    if EXAMPLES >= 150 and engine_available():
        assert total >= MIN_TOTAL, COUNTS
