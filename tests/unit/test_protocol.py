"""Protocol v3 codec with bytes: start-up packets, framing, frontend decoding, encoders."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgsvc.backend import protocol as P
from pgsvc.errors import FatalError, SqlError, SqlNotice


def startup_body(params: dict[str, str], version: int = P.PROTOCOL_V3) -> bytes:
    body = struct.pack("!i", version)
    for k, v in params.items():
        body += k.encode() + b"\0" + v.encode() + b"\0"
    return body + b"\0"


# ---------------------------------------------------------------- start-up packets

def test_startup_message():
    msg = P.parse_startup_packet(startup_body({"user": "alice", "database": "app", "options": "-c x=1"}))
    assert msg == P.StartupMessage(P.PROTOCOL_V3, {"user": "alice", "database": "app", "options": "-c x=1"})


def test_startup_message_without_params():
    assert P.parse_startup_packet(struct.pack("!i", P.PROTOCOL_V3) + b"\0").params == {}


def test_ssl_gssenc_cancel():
    assert P.parse_startup_packet(struct.pack("!i", P.SSL_REQUEST_CODE)) == P.SSLRequest()
    assert P.parse_startup_packet(struct.pack("!i", P.GSSENC_REQUEST_CODE)) == P.GSSENCRequest()
    assert P.parse_startup_packet(struct.pack("!iii", P.CANCEL_REQUEST_CODE, 1234, -5)) == P.CancelRequest(1234, -5)


@pytest.mark.parametrize("header", [4, 7, 0, -1, P.MAX_STARTUP_PACKET + 1, 0x7FFFFFFF])
def test_startup_length_out_of_range(header):
    with pytest.raises(FatalError) as e:
        P.startup_packet_length(struct.pack("!i", header))
    assert e.value.sqlstate == "08P01"
    assert e.value.message == "invalid length of startup packet"


def test_startup_length_ok():
    assert P.startup_packet_length(struct.pack("!i", 8)) == 4
    assert P.startup_packet_length(struct.pack("!i", P.MAX_STARTUP_PACKET)) == P.MAX_STARTUP_PACKET - 4


@pytest.mark.parametrize("body, sqlstate", [
    (b"", "08P01"),
    (b"\0\0", "08P01"),
    (struct.pack("!i", P.PROTOCOL_V3) + b"user\0alice\0", "08P01"),  # no final terminator
    (struct.pack("!i", P.PROTOCOL_V3) + b"user\0\0", "08P01"),  # name without value
    (struct.pack("!i", P.PROTOCOL_V3) + b"user\0alice", "08P01"),
    (struct.pack("!i", P.PROTOCOL_V3), "08P01"),  # no terminator at all
    (struct.pack("!i", 2 << 16) + b"\0", "0A000"),
    (struct.pack("!i", 4 << 16) + b"\0", "0A000"),
    (struct.pack("!ii", P.CANCEL_REQUEST_CODE, 1), "08P01"),
    (struct.pack("!iiii", P.CANCEL_REQUEST_CODE, 1, 2, 3), "08P01"),
    (struct.pack("!i", P.PROTOCOL_V3) + b"user\0\xff\xfe\0\0", "22021"),
])
def test_malformed_startup_packets(body, sqlstate):
    with pytest.raises(FatalError) as e:
        P.parse_startup_packet(body)
    assert e.value.sqlstate == sqlstate
    assert e.value.severity == "FATAL"


def test_unsupported_protocol_message_names_versions():
    with pytest.raises(FatalError) as e:
        P.parse_startup_packet(struct.pack("!i", (2 << 16) | 5) + b"\0")
    assert e.value.message == "unsupported frontend protocol 2.5: server supports 3.0 to 3.0"


def test_protocol_3_minor_versions_accepted():
    # libpq may ask for 3.2 in the future; a 3.x request is served as 3.0
    msg = P.parse_startup_packet(startup_body({"user": "u"}, version=(3 << 16) | 2))
    assert msg.params == {"user": "u"}


@given(st.binary(max_size=64))
def test_arbitrary_startup_bodies_never_raise_anything_but_fatal(body):
    try:
        P.parse_startup_packet(body)
    except FatalError:
        pass


# ---------------------------------------------------------------- framing

def test_buffer_yields_whole_messages_across_partial_feeds():
    data = P.message(b"Q", b"SELECT 1\0") + P.message(b"S") + P.message(b"X")
    buf = P.MessageBuffer()
    got = []
    for i in range(len(data)):
        buf.feed(data[i:i + 1])
        while (m := buf.next_message()) is not None:
            got.append(m)
    assert got == [(b"Q", b"SELECT 1\0"), (b"S", b""), (b"X", b"")]
    assert buf.pending() == 0


def test_buffer_whole_and_split_recvs_give_bytes_bodies():
    bind, sync = P.message(b"B", b"\0s\0" + bytes(6)), P.message(b"S")
    buf = P.MessageBuffer()
    buf.feed(bind + sync + bind[:3])  # two whole messages and the start of a third
    assert buf.next_message() == (b"B", bind[5:])
    assert buf.next_type() == b"S"
    assert buf.next_message() == (b"S", b"")
    assert buf.next_message() is None and buf.next_type() == b"B"
    buf.feed(bind[3:7])
    buf.feed(bind[7:] + sync)
    for expected in ((b"B", bind[5:]), (b"S", b"")):
        mtype, body = buf.next_message()
        assert (mtype, body) == expected and type(body) is bytes
    assert buf.next_message() is None and buf.next_type() == b"" and buf.pending() == 0


def test_buffer_needed():
    buf = P.MessageBuffer()
    assert buf.needed() == 5
    buf.feed(b"Q\0\0")
    assert buf.needed() == 2
    buf.feed(b"\0\x0c")  # length 12: 8 body bytes
    assert buf.needed() == 8
    assert buf.next_message() is None
    buf.feed(b"SELECT 1")
    assert buf.next_message() == (b"Q", b"SELECT 1")


@pytest.mark.parametrize("length", [0, 3, -1, -100, P.MAX_MESSAGE + 1])
def test_buffer_rejects_bad_lengths_before_buffering(length):
    buf = P.MessageBuffer()
    buf.feed(b"Q" + struct.pack("!i", length))
    with pytest.raises(FatalError) as e:
        buf.next_message()
    assert e.value.sqlstate == "08P01"


def test_buffer_huge_claimed_length_under_limit_waits_without_allocating():
    buf = P.MessageBuffer(max_length=1 << 20)
    buf.feed(b"d" + struct.pack("!i", 1 << 20))
    assert buf.next_message() is None
    assert buf.pending() == 5
    buf.feed(b"d" + struct.pack("!i", (1 << 20) + 1))  # does not matter: first is incomplete
    assert buf.next_message() is None


def test_buffer_custom_limit():
    buf = P.MessageBuffer(max_length=100)
    buf.feed(b"Q" + struct.pack("!i", 101))
    with pytest.raises(FatalError):
        buf.next_message()


def test_buffer_large_message_then_more():
    big = b"x" * 70000
    buf = P.MessageBuffer()
    buf.feed(P.message(b"d", big) + P.message(b"c"))
    assert buf.next_message() == (b"d", big)
    assert buf.next_message() == (b"c", b"")
    assert buf.next_message() is None


@given(st.lists(st.tuples(st.sampled_from([b"Q", b"P", b"B", b"d"]), st.binary(max_size=300)), max_size=8),
       st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=20))
def test_framing_round_trip_any_chunking(msgs, cuts):
    data = b"".join(P.message(t, b) for t, b in msgs)
    buf = P.MessageBuffer()
    got, pos, i = [], 0, 0
    while pos < len(data):
        n = cuts[i % len(cuts)]
        buf.feed(data[pos:pos + n])
        pos += n
        i += 1
        while (m := buf.next_message()) is not None:
            got.append(m)
    assert got == list(msgs)


# ---------------------------------------------------------------- frontend messages

def _bind(portal=b"", stmt=b"s1", formats=(), params=(), results=()):
    body = portal + b"\0" + stmt + b"\0" + struct.pack("!h", len(formats))
    body += b"".join(struct.pack("!h", f) for f in formats)
    body += struct.pack("!h", len(params))
    for p in params:
        body += struct.pack("!i", -1) if p is None else struct.pack("!i", len(p)) + p
    body += struct.pack("!h", len(results)) + b"".join(struct.pack("!h", f) for f in results)
    return body


def test_decode_bind():
    b = P.decode_bind(_bind(b"p", b"s", (0, 1), (b"42", None), (1,)))
    assert b == P.Bind("p", "s", (0, 1), [b"42", None], (1,))
    assert P.decode_bind(_bind(params=(b"",))).params == [b""]


@pytest.mark.parametrize("args", [
    (b"", b"", (), (), ()),
    (b"p", b"s1", (1,), (b"\0\0\0\x01", None), (1,)),
    (b"", b"s", (0,), (b"42", b"", None), ()),
    (b"", b"s", (0, 1), (b"1", b"2"), (0, 1, 0)),
])
def test_decode_bind_quick_path_agrees_with_checked_reader(args):
    body = _bind(*args)
    assert P.decode_bind(body) == P._decode_bind_checked(body)


@pytest.mark.parametrize("body", [
    _bind(formats=(0, 1, 0), params=(b"a", b"b")),  # 3 formats for 2 params
    _bind(formats=(2,), params=(b"a",)),  # bad format code
    _bind(results=(7,)),
    _bind() + b"extra",
    _bind()[:-1],
    b"p\0s\0" + struct.pack("!h", -1),
    b"p\0s\0" + struct.pack("!hh", 0, 1) + struct.pack("!i", 100) + b"short",
    b"p\0s\0" + struct.pack("!hh", 0, 1) + struct.pack("!i", -2),
    b"no terminator",
])
def test_decode_bind_malformed(body):
    with pytest.raises(SqlError) as e:
        P.decode_bind(body)
    assert e.value.sqlstate == "08P01"


def test_decode_parse():
    body = b"stmt\0SELECT $1\0" + struct.pack("!hII", 2, 23, 0xFFFFFFFF)
    assert P.decode_parse(body) == P.Parse("stmt", "SELECT $1", [23, 0xFFFFFFFF])
    assert P.decode_parse(b"\0SELECT 1\0\0\0") == P.Parse("", "SELECT 1", [])


@pytest.mark.parametrize("body", [
    b"\0SELECT 1\0" + struct.pack("!h", -1),
    b"\0SELECT 1\0" + struct.pack("!h", 2) + struct.pack("!I", 23),
    b"\0SELECT 1\0",
    b"\0SELECT 1\0\0\0junk",
])
def test_decode_parse_malformed(body):
    with pytest.raises(SqlError) as e:
        P.decode_parse(body)
    assert e.value.sqlstate == "08P01"


def test_decode_parse_invalid_utf8():
    with pytest.raises(SqlError) as e:
        P.decode_parse(b"\0SELECT '\xff'\0\0\0")
    assert e.value.sqlstate == "22021"


def test_decode_query_describe_execute_password_sasl():
    assert P.decode_query(b"SELECT 1\0") == "SELECT 1"
    with pytest.raises(SqlError):
        P.decode_query(b"SELECT 1\0x")
    assert P.decode_describe_or_close(b"Pname\0") == ("P", "name")
    with pytest.raises(SqlError):
        P.decode_describe_or_close(b"Xname\0")
    assert P.decode_execute(b"\0" + struct.pack("!i", 10)) == ("", 10)
    assert P.decode_execute(b"p1\0" + struct.pack("!i", -1)) == ("p1", -1)
    assert P.decode_describe_or_close(b"S\0") == ("S", "")
    for bad in (b"", b"P", b"Pa\0b\0", b"P\xff\0", b"Pname"):
        with pytest.raises(SqlError):
            P.decode_describe_or_close(bad)
    for bad in (b"", b"\0\0\0\0", b"p\0" + bytes(5), b"\xff\0" + bytes(4)):
        with pytest.raises(SqlError):
            P.decode_execute(bad)
    assert P.decode_password(b"secret\0") == b"secret"
    for bad in (b"", b"secret", b"se\0cret\0"):
        with pytest.raises(FatalError):
            P.decode_password(bad)
    assert P.decode_sasl_initial(b"SCRAM-SHA-256\0" + struct.pack("!i", 3) + b"abc") == ("SCRAM-SHA-256", b"abc")
    assert P.decode_sasl_initial(b"SCRAM-SHA-256\0" + struct.pack("!i", -1)) == ("SCRAM-SHA-256", b"")
    with pytest.raises(SqlError):
        P.decode_sasl_initial(b"SCRAM-SHA-256\0" + struct.pack("!i", 10) + b"abc")


# ---------------------------------------------------------------- encoders

def test_fixed_messages():
    assert P.AUTH_OK == b"R\0\0\0\x08\0\0\0\0"
    assert P.READY_IDLE == b"Z\0\0\0\x05I"
    assert P.READY["E"] == b"Z\0\0\0\x05E"
    assert P.PARSE_COMPLETE == b"1\0\0\0\x04"


def test_auth_encoders():
    assert P.encode_auth_md5(b"abcd") == b"R\0\0\0\x0c\0\0\0\x05abcd"
    assert P.encode_auth_sasl(["SCRAM-SHA-256"]) == b"R" + struct.pack("!ii", 23, 10) + b"SCRAM-SHA-256\0\0"
    assert P.encode_auth_sasl_continue(b"r=x") == b"R" + struct.pack("!ii", 11, 11) + b"r=x"
    assert P.encode_auth_sasl_final(b"v=x") == b"R" + struct.pack("!ii", 11, 12) + b"v=x"


def test_parameter_status_backend_key_command_complete():
    assert P.encode_parameter_status("a", "b") == b"S\0\0\0\x08a\0b\0"
    assert P.encode_backend_key(1234, -1) == b"K\0\0\0\x0c" + struct.pack("!ii", 1234, -1)
    assert P.encode_command_complete("SELECT 1") == b"C\0\0\0\x0dSELECT 1\0"
    # an embedded NUL cannot end a C string early
    assert P.encode_parameter_status("a\0x", "b") == b"S\0\0\0\x09ax\0b\0"


def test_data_row():
    assert P.encode_data_row([b"1", None, b""]) == (b"D" + struct.pack("!ih", 4 + 2 + 5 + 4 + 4, 3)
                                                   + b"\0\0\0\x011" + b"\xff\xff\xff\xff" + b"\0\0\0\0")


def test_error_and_notice_fields():
    err = FatalError("28P01", 'password authentication failed for user "x"', detail="D", hint="H")
    raw = P.encode_error(err)
    assert raw[:1] == b"E"
    assert struct.unpack("!i", raw[1:5])[0] == len(raw) - 1
    fields = dict((f[:1], f[1:]) for f in raw[5:-1].split(b"\0") if f)
    assert fields == {b"S": b"FATAL", b"V": b"FATAL", b"C": b"28P01",
                      b"M": b'password authentication failed for user "x"', b"D": b"D", b"H": b"H"}
    assert raw.endswith(b"\0\0")
    e2 = SqlError("42601", "syntax error", position=8, table="t", column="c")
    f2 = dict((f[:1], f[1:]) for f in P.encode_error(e2)[5:-1].split(b"\0") if f)
    assert f2[b"P"] == b"8" and f2[b"t"] == b"t" and f2[b"c"] == b"c" and f2[b"S"] == b"ERROR"
    notice = P.encode_notice(SqlNotice("hello"))
    assert notice[:1] == b"N" and b"Mhello\0" in notice


def test_copy_responses():
    assert P.encode_copy_in_response(2) == b"G" + struct.pack("!ibhhh", 11, 0, 2, 0, 0)
    assert P.encode_copy_out_response(1, binary=True) == b"H" + struct.pack("!ibhh", 9, 1, 1, 1)
    assert P.encode_copy_data(b"x") == b"d\0\0\0\x05x"


def test_parameter_description():
    assert P.encode_parameter_description([23, 25]) == b"t" + struct.pack("!ihII", 14, 2, 23, 25)
