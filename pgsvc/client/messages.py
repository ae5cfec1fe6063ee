"""The frontend side of protocol v3: messages a client sends, and the decoding of what a
server sends back. No I/O here (DESIGN convention 4); `connection.py` does the reading
and writing. The framing of server messages is the same as the server's own reader's
(`pgsvc.backend.protocol.MessageBuffer`), so it is reused rather than written twice.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PROTOCOL_V3 = 196608

_I32 = struct.Struct("!i")
_I16 = struct.Struct("!h")

# ErrorResponse/NoticeResponse field codes (protocol "Error and Notice Message Fields").
FIELD_NAMES = {"S": "severity", "V": "severity_nonlocalized", "C": "sqlstate", "M": "message",
               "D": "detail", "H": "hint", "P": "position", "W": "context"}


def frame(mtype: bytes, body: bytes = b"") -> bytes:
    return mtype + _I32.pack(len(body) + 4) + body


def _cstr(s: str) -> bytes:
    return s.encode("utf-8") + b"\x00"


def startup_message(params: dict[str, str]) -> bytes:
    """StartupMessage: protocol 3.0 and name/value pairs (no type byte)."""
    body = _I32.pack(PROTOCOL_V3) + b"".join(_cstr(k) + _cstr(v) for k, v in params.items()) + b"\x00"
    return _I32.pack(len(body) + 4) + body


def password_message(secret: bytes) -> bytes:
    """PasswordMessage for cleartext and md5 (a C string)."""
    return frame(b"p", secret + b"\x00")


def sasl_initial_response(mechanism: str, data: bytes) -> bytes:
    return frame(b"p", _cstr(mechanism) + _I32.pack(len(data)) + data)


def sasl_response(data: bytes) -> bytes:
    return frame(b"p", data)


def query_message(sql: str) -> bytes:
    return frame(b"Q", _cstr(sql))


def copy_fail_message(reason: str) -> bytes:
    return frame(b"f", _cstr(reason))


def terminate_message() -> bytes:
    return frame(b"X")


# ---------------------------------------------------------------- server messages

@dataclass(frozen=True)
class Column:
    name: str
    type_oid: int


def auth_request(body: bytes) -> tuple[int, bytes]:
    """Authentication*: (code, the data after the code)."""
    return _I32.unpack_from(body)[0], body[4:]


def sasl_mechanisms(data: bytes) -> list[str]:
    return [m.decode() for m in data.split(b"\x00") if m]


def parameter_status(body: bytes) -> tuple[str, str]:
    name, value, _ = body.split(b"\x00", 2)
    return name.decode(), value.decode()


def notice_fields(body: bytes) -> dict[str, str]:
    """ErrorResponse/NoticeResponse fields by name (severity, sqlstate, message, ...)."""
    fields: dict[str, str] = {}
    for part in body.split(b"\x00"):
        if part:
            code = chr(part[0])
            fields[FIELD_NAMES.get(code, code)] = part[1:].decode("utf-8", "replace")
    return fields


def row_description(body: bytes) -> list[Column]:
    (count,) = _I16.unpack_from(body)
    pos, columns = 2, []
    for _ in range(count):
        end = body.index(b"\x00", pos)
        name = body[pos:end].decode()
        # table oid (4), column number (2), type oid (4), size (2), typmod (4), format (2)
        type_oid = _I32.unpack_from(body, end + 7)[0]
        columns.append(Column(name, type_oid))
        pos = end + 19
    return columns


def data_row(body: bytes) -> list[str | None]:
    """A DataRow in text format: each value a str, NULL as None."""
    (count,) = _I16.unpack_from(body)
    pos, values = 2, []
    for _ in range(count):
        (length,) = _I32.unpack_from(body, pos)
        pos += 4
        if length < 0:
            values.append(None)
        else:
            values.append(body[pos:pos + length].decode("utf-8"))
            pos += length
    return values


def command_tag(body: bytes) -> str:
    return body.rstrip(b"\x00").decode()
