"""PostgreSQL frontend/backend protocol v3: message framing, decoding and encoding.

No I/O here (DESIGN convention 4): `MessageBuffer` is fed bytes and yields whole
messages; the `encode_*` functions build the bytes of backend messages. The session
loop and the start-up phase do the reading and writing.

Lengths claimed by a peer are never trusted for allocation: a message is only
assembled once its bytes have arrived, and lengths over the limits below are a
protocol violation before anything is buffered for them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pgsvc.client_encodings import invalid_utf8
from pgsvc.errors import PROTOCOL_VIOLATION, FatalError, SqlError, SqlNotice

PROTOCOL_V3 = 196608  # 3 << 16
SSL_REQUEST_CODE = 80877103
GSSENC_REQUEST_CODE = 80877104
CANCEL_REQUEST_CODE = 80877102

# PostgreSQL's limits: start-up packets are small (MAX_STARTUP_PACKET_LENGTH), and
# ordinary messages are capped at PQ_LARGE_MESSAGE_LIMIT (1 GB minus one).
MAX_STARTUP_PACKET = 10000
MAX_MESSAGE = 0x3FFFFFFF

_I32 = struct.Struct("!i")
_I16 = struct.Struct("!h")
_U16 = struct.Struct("!H")  # counts: PostgreSQL reads them as unsigned (pq_getmsgint(msg, 2))
_HEADER = struct.Struct("!ci")


# ---------------------------------------------------------------- start-up phase

@dataclass(frozen=True)
class SSLRequest:
    pass


@dataclass(frozen=True)
class GSSENCRequest:
    pass


@dataclass(frozen=True)
class CancelRequest:
    pid: int
    key: int


@dataclass(frozen=True)
class StartupMessage:
    version: int
    params: dict[str, str]


def startup_packet_length(header: bytes) -> int:
    """Validate the 4-byte length that opens a start-up packet; returns the body length."""
    (length,) = _I32.unpack(header)
    if length < 8 or length > MAX_STARTUP_PACKET:
        raise FatalError(PROTOCOL_VIOLATION, "invalid length of startup packet")
    return length - 4


def parse_startup_packet(body: bytes) -> SSLRequest | GSSENCRequest | CancelRequest | StartupMessage:
    """Decode a start-up packet body (everything after its length word)."""
    if len(body) < 4:
        raise FatalError(PROTOCOL_VIOLATION, "invalid length of startup packet")
    (code,) = _I32.unpack_from(body)
    if code == SSL_REQUEST_CODE and len(body) == 4:
        return SSLRequest()
    if code == GSSENC_REQUEST_CODE and len(body) == 4:
        return GSSENCRequest()
    if code == CANCEL_REQUEST_CODE:
        if len(body) != 12:
            raise FatalError(PROTOCOL_VIOLATION, "invalid length of cancel request packet")
        pid, key = struct.unpack_from("!ii", body, 4)
        return CancelRequest(pid, key)
    major = code >> 16
    if major != 3:
        raise FatalError(
            "0A000",
            f"unsupported frontend protocol {major}.{code & 0xFFFF}: server supports 3.0 to 3.0",
        )
    return StartupMessage(code, _parse_startup_params(body[4:]))


def _parse_startup_params(data: bytes) -> dict[str, str]:
    # name\0value\0 ... \0 ; PostgreSQL requires the final terminator.
    if not data or data[-1] != 0:
        raise FatalError(PROTOCOL_VIOLATION, "invalid startup packet layout: expected terminator as last byte")
    content = data[:-1]
    if content and content[-1] != 0:
        raise FatalError(PROTOCOL_VIOLATION, "invalid startup packet layout: expected terminator as last byte")
    parts = content[:-1].split(b"\x00") if content else []
    if len(parts) % 2:
        raise FatalError(PROTOCOL_VIOLATION, "invalid startup packet layout: expected terminator as last byte")
    params: dict[str, str] = {}
    for i in range(0, len(parts), 2):
        name = _utf8(parts[i])
        params[name] = _utf8(parts[i + 1])
    return params


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FatalError("22021", "invalid byte sequence for encoding \"UTF8\"") from None


# ---------------------------------------------------------------- message framing

class MessageBuffer:
    """Accumulates bytes from the socket and yields (type, body) messages.

    The usual case: a recv() holds whole messages (a query, or Bind/Execute/Sync) and
    nothing is left over. Its bytes are then kept as they are and bodies are sliced
    from them (one copy). Only when a message spans recv() calls are the bytes
    gathered in a bytearray (appends are amortised: a large COPY or query is never
    re-copied per chunk)."""

    __slots__ = ("_buf", "_pos", "max_length")

    def __init__(self, max_length: int = MAX_MESSAGE) -> None:
        self._buf: bytes | bytearray = b""
        self._pos = 0
        self.max_length = max_length

    def feed(self, data: bytes) -> None:
        buf = self._buf
        if self._pos == len(buf):
            self._buf = bytes(data)
            self._pos = 0
        elif type(buf) is bytearray:
            buf += data
        else:
            self._buf = bytearray(buf[self._pos:]) + data
            self._pos = 0

    def next_type(self) -> bytes:
        """The type byte of the next message, if its first byte has arrived (else b"")."""
        return self._buf[self._pos:self._pos + 1]

    def pending(self) -> int:
        return len(self._buf) - self._pos

    def needed(self) -> int:
        """Bytes still missing for the next message (at least 1 when nothing is complete)."""
        avail = len(self._buf) - self._pos
        if avail < 5:
            return 5 - avail
        (length,) = _I32.unpack_from(self._buf, self._pos + 1)
        return max(1, length + 1 - avail)

    def next_message(self) -> tuple[bytes, bytes] | None:
        buf, pos = self._buf, self._pos
        if len(buf) - pos < 5:
            return None
        mtype, length = _HEADER.unpack_from(buf, pos)
        if length < 4 or length > self.max_length:
            raise FatalError(PROTOCOL_VIOLATION, f"invalid message length {length}")
        end = pos + 1 + length
        if len(buf) < end:
            return None
        self._pos = end
        if type(buf) is bytes:
            return mtype, buf[pos + 5:end]
        body = bytes(buf[pos + 5:end])
        if end > 65536 and end == len(buf):
            buf.clear()
            self._pos = 0
        return mtype, body


# ---------------------------------------------------------------- frontend message bodies

class Reader:
    """Cursor over a message body with bounds-checked reads (08P01 on overrun)."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _need(self, n: int) -> None:
        if n < 0 or self.pos + n > len(self.data):
            raise SqlError(PROTOCOL_VIOLATION, "insufficient data left in message")

    def int16(self) -> int:
        self._need(2)
        (v,) = _I16.unpack_from(self.data, self.pos)
        self.pos += 2
        return v

    def uint16(self) -> int:
        self._need(2)
        (v,) = _U16.unpack_from(self.data, self.pos)
        self.pos += 2
        return v

    def int32(self) -> int:
        self._need(4)
        (v,) = _I32.unpack_from(self.data, self.pos)
        self.pos += 4
        return v

    def uint32(self) -> int:
        return self.int32() & 0xFFFFFFFF

    def byte(self) -> bytes:
        self._need(1)
        v = self.data[self.pos:self.pos + 1]
        self.pos += 1
        return v

    def bytes(self, n: int) -> bytes:
        self._need(n)
        v = self.data[self.pos:self.pos + n]
        self.pos += n
        return v

    def cstring(self) -> str:
        end = self.data.find(b"\x00", self.pos)
        if end < 0:
            raise SqlError(PROTOCOL_VIOLATION, "invalid string in message")
        raw = self.data[self.pos:end]
        self.pos = end + 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise invalid_utf8(raw, e) from None

    def rest(self) -> bytes:
        v = self.data[self.pos:]
        self.pos = len(self.data)
        return v

    def finish(self) -> None:
        if self.pos != len(self.data):
            raise SqlError(PROTOCOL_VIOLATION, "invalid message format")


@dataclass(frozen=True, slots=True)
class Parse:
    name: str
    query: str
    param_oids: list[int]


@dataclass(frozen=True, slots=True)
class Bind:
    portal: str
    statement: str
    param_formats: tuple[int, ...]
    params: list[bytes | None]
    result_formats: tuple[int, ...]


def decode_query(body: bytes) -> str:
    r = Reader(body)
    q = r.cstring()
    r.finish()
    return q


def decode_parse(body: bytes) -> Parse:
    r = Reader(body)
    name = r.cstring()
    query = r.cstring()
    n = r.uint16()
    oids = [r.uint32() for _ in range(n)]
    r.finish()
    return Parse(name, query, oids)


def decode_bind(body: bytes) -> Bind:
    """Bind, as sent by drivers for nearly every query: decoded in one pass when
    well-formed; anything unusual is decoded again by the checked reader, which
    reports the exact protocol error."""
    try:
        bind = _decode_bind_quickly(body)
    except (ValueError, struct.error):
        bind = None
    return bind if bind is not None else _decode_bind_checked(body)


def _decode_bind_quickly(body: bytes) -> Bind | None:
    end = body.index(0)
    portal = body[:end].decode("utf-8")
    start, end = end + 1, body.index(0, end + 1)
    statement = body[start:end].decode("utf-8")
    pos = end + 1
    (nfmt,) = _U16.unpack_from(body, pos)
    pos += 2
    if nfmt == 0:
        formats = ()
    elif nfmt == 1:
        formats = _I16.unpack_from(body, pos)
        pos += 2
    else:
        return None
    (nparams,) = _U16.unpack_from(body, pos)
    pos += 2
    params: list[bytes | None] = []
    unpack = _I32.unpack_from
    for _ in range(nparams):
        (length,) = unpack(body, pos)
        pos += 4
        if length == -1:
            params.append(None)
        elif length < 0 or pos + length > len(body):
            return None
        else:
            params.append(body[pos:pos + length])
            pos += length
    (nres,) = _U16.unpack_from(body, pos)
    pos += 2
    if nres == 0:
        result_formats = ()
    elif nres == 1:
        result_formats = _I16.unpack_from(body, pos)
        pos += 2
    else:
        return None
    if pos != len(body) or formats not in ((), (0,), (1,)) \
            or result_formats not in ((), (0,), (1,)):
        return None
    return Bind(portal, statement, formats, params, result_formats)


def _decode_bind_checked(body: bytes) -> Bind:
    r = Reader(body)
    portal = r.cstring()
    statement = r.cstring()
    nfmt = r.uint16()
    formats = [r.int16() for _ in range(nfmt)]
    nparams = r.uint16()
    if nfmt > 1 and nfmt != nparams:
        raise SqlError(PROTOCOL_VIOLATION,
                       f"bind message has {nfmt} parameter formats but {nparams} parameters")
    params: list[bytes | None] = []
    for _ in range(nparams):
        length = r.int32()
        params.append(None if length == -1 else r.bytes(length))
    nres = r.uint16()
    result_formats = [r.int16() for _ in range(nres)]
    r.finish()
    for f in formats + result_formats:
        if f not in (0, 1):
            raise SqlError(PROTOCOL_VIOLATION, f"unsupported format code: {f}")
    return Bind(portal, statement, tuple(formats), params, tuple(result_formats))


_DESCRIBE_KINDS = {ord("S"): "S", ord("P"): "P"}


def decode_describe_or_close(body: bytes) -> tuple[str, str]:
    kind = _DESCRIBE_KINDS.get(body[0]) if body else None
    if kind is not None and body.find(b"\x00", 1) == len(body) - 1:
        try:
            return kind, body[1:-1].decode("utf-8")
        except UnicodeDecodeError:
            pass  # reported by the checked reader below
    r = Reader(body)
    kind = r.byte()
    name = r.cstring()
    r.finish()
    if kind not in (b"S", b"P"):
        raise SqlError(PROTOCOL_VIOLATION, f"invalid DESCRIBE message subtype {kind[0]}")
    return kind.decode(), name


def decode_execute(body: bytes) -> tuple[str, int]:
    end = body.find(b"\x00")
    if end >= 0 and end == len(body) - 5:
        try:
            return body[:end].decode("utf-8"), _I32.unpack_from(body, end + 1)[0]
        except UnicodeDecodeError:
            pass  # reported by the checked reader below
    r = Reader(body)
    portal = r.cstring()
    max_rows = r.int32()
    r.finish()
    return portal, max_rows


def decode_password(body: bytes) -> bytes:
    """PasswordMessage body: a NUL-terminated string (cleartext or md5 hash)."""
    if not body or body[-1] != 0 or body.find(b"\x00") != len(body) - 1:
        raise FatalError(PROTOCOL_VIOLATION, "invalid password packet size")
    return body[:-1]


def decode_sasl_initial(body: bytes) -> tuple[str, bytes]:
    r = Reader(body)
    mechanism = r.cstring()
    length = r.int32()
    data = b"" if length == -1 else r.bytes(length)
    r.finish()
    return mechanism, data


# ---------------------------------------------------------------- backend messages

def message(mtype: bytes, body: bytes = b"") -> bytes:
    return mtype + _I32.pack(len(body) + 4) + body


def _cstr(s: str) -> bytes:
    return s.encode("utf-8").replace(b"\x00", b"") + b"\x00"


def _cstr_to(s: str, codec) -> bytes:
    """A string field in the client's encoding (codec: pgsvc.client_encodings.ClientCodec;
    None is UTF8); what it cannot hold is 22P05, as PostgreSQL's pq_sendstring."""
    if codec is None:
        return _cstr(s)
    return codec.encode(s).replace(b"\x00", b"") + b"\x00"


def _message_cstr(s: str, codec) -> bytes:
    """An error or notice field in the client's encoding, never failing."""
    if codec is None:
        return _cstr(s)
    return codec.encode_message(s).replace(b"\x00", b"") + b"\x00"


AUTH_OK = message(b"R", _I32.pack(0))
AUTH_CLEARTEXT = message(b"R", _I32.pack(3))
PARSE_COMPLETE = message(b"1")
BIND_COMPLETE = message(b"2")
CLOSE_COMPLETE = message(b"3")
NO_DATA = message(b"n")
EMPTY_QUERY = message(b"I")
PORTAL_SUSPENDED = message(b"s")
COPY_DONE = message(b"c")
READY_IDLE = message(b"Z", b"I")
READY = {"I": READY_IDLE, "T": message(b"Z", b"T"), "E": message(b"Z", b"E")}


def encode_auth_md5(salt: bytes) -> bytes:
    return message(b"R", _I32.pack(5) + salt)


def encode_auth_sasl(mechanisms: list[str]) -> bytes:
    return message(b"R", _I32.pack(10) + b"".join(_cstr(m) for m in mechanisms) + b"\x00")


def encode_auth_sasl_continue(data: bytes) -> bytes:
    return message(b"R", _I32.pack(11) + data)


def encode_auth_sasl_final(data: bytes) -> bytes:
    return message(b"R", _I32.pack(12) + data)


def encode_parameter_status(name: str, value: str, codec=None) -> bytes:
    return message(b"S", _cstr(name) + _message_cstr(value, codec))


def encode_backend_key(pid: int, key: int) -> bytes:
    return message(b"K", struct.pack("!ii", pid, key))


def encode_command_complete(tag: str) -> bytes:
    return message(b"C", _cstr(tag))


def encode_row_description(columns, formats: list[int] | None = None, codec=None) -> bytes:
    parts = [struct.pack("!h", len(columns))]
    for i, c in enumerate(columns):
        fmt = _format_for(formats, i)
        parts.append(_cstr_to(c.name, codec))
        parts.append(struct.pack("!IhIhih", c.table_oid, c.attnum, c.type_oid, c.typlen, c.typmod, fmt))
    return message(b"T", b"".join(parts))


def _format_for(formats: list[int] | None, i: int) -> int:
    if not formats:
        return 0
    if len(formats) == 1:
        return formats[0]
    return formats[i]


def encode_parameter_description(oids: list[int]) -> bytes:
    return message(b"t", struct.pack(f"!H{len(oids)}I", len(oids), *oids))


def encode_data_row(values: list[bytes | None]) -> bytes:
    """DataRow from already-encoded column values (None is SQL NULL)."""
    parts = [b"", struct.pack("!h", len(values))]
    pack = _I32.pack
    for v in values:
        if v is None:
            parts.append(b"\xff\xff\xff\xff")
        else:
            parts.append(pack(len(v)))
            parts.append(v)
    body = b"".join(parts)
    return b"D" + pack(len(body) + 4) + body


def _error_fields(err: SqlError | SqlNotice, severity: str, codec=None) -> bytes:
    text = _cstr if codec is None else (lambda value: _message_cstr(value, codec))
    fields = [b"S" + _cstr(severity), b"V" + _cstr(severity), b"C" + _cstr(err.sqlstate),
              b"M" + text(err.message)]
    if err.detail:
        fields.append(b"D" + text(err.detail))
    if err.hint:
        fields.append(b"H" + text(err.hint))
    if err.position:
        fields.append(b"P" + _cstr(str(err.position)))
    if err.internal_position:
        fields.append(b"p" + _cstr(str(err.internal_position)))
    if err.internal_query:
        fields.append(b"q" + text(err.internal_query))
    if err.context:
        fields.append(b"W" + text(err.context))
    if isinstance(err, SqlError):  # the object fields: notices have none
        for code, value in ((b"s", err.schema), (b"t", err.table), (b"c", err.column),
                            (b"d", getattr(err, "datatype", None)), (b"n", err.constraint)):
            if value:
                fields.append(code + text(value))
    return b"".join(fields) + b"\x00"


def encode_error(err: SqlError, codec=None) -> bytes:
    return message(b"E", _error_fields(err, err.severity, codec))


def encode_notice(notice: SqlNotice, codec=None) -> bytes:
    return message(b"N", _error_fields(notice, notice.severity, codec))


def encode_notification(pid: int, channel: str, payload: str, codec=None) -> bytes:
    """NotificationResponse: a committed NOTIFY, sent between queries or before ReadyForQuery."""
    return message(b"A", _I32.pack(pid) + _message_cstr(channel, codec) + _message_cstr(payload, codec))


def encode_copy_in_response(ncols: int, binary: bool = False) -> bytes:
    fmt = 1 if binary else 0
    return message(b"G", struct.pack(f"!bh{ncols}h", fmt, ncols, *([fmt] * ncols)))


def encode_copy_out_response(ncols: int, binary: bool = False) -> bytes:
    fmt = 1 if binary else 0
    return message(b"H", struct.pack(f"!bh{ncols}h", fmt, ncols, *([fmt] * ncols)))


def encode_copy_data(data: bytes) -> bytes:
    return message(b"d", data)
