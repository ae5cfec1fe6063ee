"""Binary send/recv formats (PostgreSQL's *_send/*_recv): binary_encoder(oid) and
binary_decoder(oid). Decoders take (data, typmod) and return the Python value.
"""

from __future__ import annotations

import datetime as _dt
import struct
import uuid as _uuid
from collections.abc import Callable
from typing import Any

from pgsvc.client_encodings import invalid_utf8
from pgsvc.errors import SqlError
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types import composite as C
from pgsvc.sql.types import dates as D
from pgsvc.sql.types import geo_types as GT
from pgsvc.sql.types import geometry as G
from pgsvc.sql.types import network as N
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import range_io as RIO
from pgsvc.sql.types.arrays import dimensions, flatten, reshape, with_bounds
from pgsvc.sql.types.pg_type import find_oid, format_type
from pgsvc.sql.types.interval import Interval
from pgsvc.sql.types.bits import bits_recv, bits_send
from pgsvc.sql.types.jsontext import normalize_jsonb, validate_json
from pgsvc.sql.types.numeric import numeric_recv, numeric_send
from pgsvc.sql.types.textio import text_decoder, text_encoder

_I2, _I4, _I8, _U4 = struct.Struct("!h"), struct.Struct("!i"), struct.Struct("!q"), struct.Struct("!I")
_F4, _F8 = struct.Struct("!f"), struct.Struct("!d")
_INTERVAL = struct.Struct("!qii")


def _utf8(value: Any) -> bytes:
    return str(value).encode()


def _char_send(value: Any) -> bytes:
    """charsend: "char" is one byte on the wire; the empty "char" is the byte 0 (a byte over
    127 is held as its \\ooo text: types.scalars.parse_char)."""
    text = str(value)
    if len(text) == 4 and text[0] == "\\":
        return bytes([int(text[1:], 8) & 0xFF])
    return text.encode()[:1] or b"\x00"


def _char_recv(data: bytes, typmod: int = -1) -> str:
    data = bytes(data)
    if data in (b"", b"\x00"):
        return ""
    return f"\\{data[0]:03o}" if data[0] > 127 else chr(data[0])


def _jsonb_send(value: str) -> bytes:
    return b"\x01" + value.encode()


def _jsonb_recv(data: bytes, typmod: int = -1) -> str:
    if not data:
        raise SqlError("08P01", "insufficient data left in message")
    if data[0] != 1:
        raise SqlError("XX000", f"unsupported jsonb version number {data[0]}")  # an elog in jsonb_recv
    return normalize_jsonb(data[1:].decode())


def _bool_send(value: Any) -> bytes:
    return b"\x01" if value else b"\x00"


def _uuid_send(value: Any) -> bytes:
    return (value if isinstance(value, _uuid.UUID) else _uuid.UUID(str(value))).bytes


def _date_send(value: Any) -> bytes:
    return _I4.pack(D.date_to_days(value))


def _ts_send(value: Any) -> bytes:
    return _I8.pack(D.timestamp_to_micros(value))


def _time_send(value: Any) -> bytes:
    return _I8.pack(D.time_to_micros(value))


def _timetz_send(value: _dt.time) -> bytes:
    offset = value.utcoffset()
    secs = int(offset.total_seconds()) if offset is not None else 0
    return _I8.pack(D.time_to_micros(value)) + _I4.pack(-secs)


def _interval_send(value: Interval) -> bytes:
    return _INTERVAL.pack(value.microseconds, value.days, value.months)


_ENCODERS: dict[int, Callable[[Any], bytes]] = {
    O.BOOL: _bool_send,
    O.INT2: lambda v: _I2.pack(v), O.INT4: lambda v: _I4.pack(v), O.INT8: lambda v: _I8.pack(v),
    O.OID: lambda v: _U4.pack(v & 0xFFFFFFFF), O.REGPROC: lambda v: _U4.pack(v),
    O.REGCLASS: lambda v: _U4.pack(v), O.REGTYPE: lambda v: _U4.pack(v),
    O.REGNAMESPACE: lambda v: _U4.pack(v), O.REGROLE: lambda v: _U4.pack(v),
    O.XID: lambda v: _U4.pack(v), O.XID8: lambda v: _I8.pack(v),
    O.FLOAT4: lambda v: _F4.pack(v), O.FLOAT8: lambda v: _F8.pack(v),
    O.NUMERIC: numeric_send,
    O.TEXT: _utf8, O.VARCHAR: _utf8, O.BPCHAR: _utf8, O.NAME: _utf8, O.UNKNOWN: _utf8,
    O.JSON: _utf8, O.XML: _utf8, O.CHAR: _char_send, O.CSTRING: _utf8, O.REFCURSOR: _utf8,
    O.JSONB: _jsonb_send,
    O.BYTEA: bytes,
    O.VOID: lambda v: b"",  # void_send: no bytes (pg_notify(), pg_sleep() to a binary client)
    O.UUID: _uuid_send,
    O.DATE: _date_send, O.TIMESTAMP: _ts_send, O.TIMESTAMPTZ: _ts_send,
    O.TIME: _time_send, O.TIMETZ: _timetz_send, O.INTERVAL: _interval_send,
    O.BOX: G.box_send,
    O.MONEY: lambda v: _I8.pack(int(v)),  # cash_send: the cents
    **{oid: GT.geo_send(oid) for oid in GT.NAMES},
    O.INET: N.net_send(O.INET), O.CIDR: N.net_send(O.CIDR), O.MACADDR: N.macaddr_send,
    O.BIT: bits_send, O.VARBIT: bits_send, O.MACADDR8: N.macaddr8_send,
}


def binary_encoder(oid: int) -> Callable[[Any], bytes]:
    enc = _ENCODERS.get(oid)
    if enc is not None:
        return enc
    if U.is_enum(oid):
        return _utf8  # enum_send: the label's bytes
    if oid == O.RECORD or C.is_composite(oid):
        return lambda v: composite_send(oid, v)
    if U.base_of(oid) != oid:
        return binary_encoder(U.base_of(oid))
    if RIO.is_range_like(oid):
        return RIO.binary_out(oid, binary_encoder(RIO.subtype(oid)))
    t = find_oid(oid)
    if t is not None and t.category == "A" and t.elem_oid:
        element = binary_encoder(t.elem_oid)
        elem_oid = t.elem_oid
        lower = 0 if oid in O.VECTOR_OIDS else 1
        return lambda v: encode_array(v, elem_oid, element, lower)
    raise SqlError("42883", f"no binary output function available for type {t.name if t else oid}")


def encode_array(value: list, elem_oid: int, element: Callable[[Any], bytes], lower: int = 1) -> bytes:
    dims = dimensions(value)
    flat = flatten(value) if dims else []
    has_null = any(v is None for v in flat)
    out = [struct.pack("!iiI", len(dims), 1 if has_null else 0, elem_oid)]
    lbounds = getattr(value, "lbounds", None) or (lower,) * len(dims)
    out += [struct.pack("!ii", d, lb) for d, lb in zip(dims, lbounds)]
    for item in flat:
        if item is None:
            out.append(_I4.pack(-1))
        else:
            data = element(item)
            out.append(_I4.pack(len(data)) + data)
    return b"".join(out)


# --- decoders ------------------------------------------------------------------------

def _check_len(data: bytes, n: int) -> None:
    """pq_getmsg* past the end of the value, or a value not read to its end."""
    if len(data) < n:
        raise SqlError("08P01", "insufficient data left in message")
    if len(data) != n:
        raise SqlError("22P03", "incorrect binary data format")


def _fixed(st: struct.Struct) -> Callable[[bytes, int], Any]:
    def decode(data: bytes, typmod: int = -1) -> Any:
        _check_len(data, st.size)
        return st.unpack(data)[0]
    return decode


def _text_recv(data: bytes, typmod: int = -1) -> str:
    """pq_getmsgtext: valid UTF8 without NUL, else report_invalid_encoding's bytes."""
    data = bytes(data)
    try:
        text = data.decode()
    except UnicodeDecodeError as e:
        raise invalid_utf8(data, e) from None
    if "\x00" in text:
        raise SqlError("22021", 'invalid byte sequence for encoding "UTF8": 0x00')
    return text


def _bool_recv(data: bytes, typmod: int = -1) -> bool:
    _check_len(data, 1)
    return data[0] != 0


def _date_recv(data: bytes, typmod: int = -1) -> Any:
    _check_len(data, 4)
    return D.days_to_date(_I4.unpack(data)[0])


def _ts_recv(aware: bool) -> Callable[[bytes, int], Any]:
    def decode(data: bytes, typmod: int = -1) -> Any:
        _check_len(data, 8)
        return D.micros_to_timestamp(_I8.unpack(data)[0], aware)
    return decode


def _time_recv(data: bytes, typmod: int = -1) -> Any:
    _check_len(data, 8)
    return D.micros_to_time(_I8.unpack(data)[0])


def _timetz_recv(data: bytes, typmod: int = -1) -> _dt.time:
    _check_len(data, 12)
    us, zone = struct.unpack("!qi", data)
    return D.micros_to_timetz(us, -zone)


def _interval_recv(data: bytes, typmod: int = -1) -> Interval:
    _check_len(data, 16)
    us, days, months = _INTERVAL.unpack(data)
    return Interval(months, days, us)


def _uuid_recv(data: bytes, typmod: int = -1) -> _uuid.UUID:
    _check_len(data, 16)
    return _uuid.UUID(bytes=bytes(data))


_DECODERS: dict[int, Callable[[bytes, int], Any]] = {
    O.BOOL: _bool_recv,
    O.INT2: _fixed(_I2), O.INT4: _fixed(_I4), O.INT8: _fixed(_I8),
    O.OID: _fixed(_U4), O.REGPROC: _fixed(_U4), O.REGCLASS: _fixed(_U4), O.REGTYPE: _fixed(_U4),
    O.REGNAMESPACE: _fixed(_U4), O.REGROLE: _fixed(_U4), O.XID: _fixed(_U4), O.XID8: _fixed(_I8),
    O.FLOAT4: _fixed(_F4), O.FLOAT8: _fixed(_F8),
    O.NUMERIC: lambda data, typmod=-1: numeric_recv(data),
    O.TEXT: _text_recv, O.VARCHAR: _text_recv, O.BPCHAR: _text_recv, O.NAME: _text_recv,
    O.UNKNOWN: _text_recv, O.CHAR: _char_recv, O.XML: _text_recv, O.CSTRING: _text_recv,
    O.REFCURSOR: _text_recv,
    O.JSON: lambda data, typmod=-1: validate_json(_text_recv(data)),
    O.JSONB: _jsonb_recv,
    O.BYTEA: lambda data, typmod=-1: bytes(data),
    O.UUID: _uuid_recv,
    O.DATE: _date_recv, O.TIMESTAMP: _ts_recv(False), O.TIMESTAMPTZ: _ts_recv(True),
    O.TIME: _time_recv, O.TIMETZ: _timetz_recv, O.INTERVAL: _interval_recv,
    O.BOX: G.box_recv,
    O.MONEY: _fixed(_I8),
    **{oid: GT.geo_recv(oid) for oid in GT.NAMES},
    O.INET: N.net_recv(O.INET), O.CIDR: N.net_recv(O.CIDR), O.MACADDR: N.macaddr_recv,
    O.BIT: lambda data, typmod=-1: bits_recv(bytes(data)), O.MACADDR8: N.macaddr8_recv,
    O.VARBIT: lambda data, typmod=-1: bits_recv(bytes(data)),
}


def binary_decoder(oid: int) -> Callable[[bytes, int], Any]:
    dec = _DECODERS.get(oid)
    if dec is not None:
        return dec
    if U.is_enum(oid):
        return lambda data, typmod=-1: U.enum_check(oid, _text_recv(data))
    if oid == O.RECORD or C.is_composite(oid):
        return lambda data, typmod=-1: C.record_recv(oid, data, _field_recv)
    if U.base_of(oid) != oid:
        return binary_decoder(U.base_of(oid))
    if RIO.is_range_like(oid):
        return RIO.binary_in(oid, binary_decoder(RIO.subtype(oid)))
    t = find_oid(oid)
    if t is not None and t.category == "A" and t.elem_oid:
        element = binary_decoder(t.elem_oid)
        lower = 0 if oid in O.VECTOR_OIDS else 1
        return lambda data, typmod=-1: decode_array(data, element, t.elem_oid, lower)
    raise SqlError("42883", f"no binary input function available for type {t.name if t else oid}")


def decode_array(data: bytes, element: Callable[[bytes, int], Any], elem_oid: int, lower: int = 1) -> list:
    """array_recv, lower bounds kept (int2vector and oidvector count from 0 only)."""
    _check_len(data[:12], 12)
    ndim, _flags, got_oid = struct.unpack_from("!iiI", data)
    if ndim < 0:
        raise SqlError("22P03", f"invalid number of dimensions: {ndim}")
    if ndim > 6:
        raise SqlError("54000", f"number of array dimensions ({ndim}) exceeds the maximum allowed (6)")
    if got_oid != elem_oid:
        raise SqlError("42804", f"binary data has array element type {got_oid} ({format_type(got_oid)}) "
                       f"instead of expected {elem_oid} ({format_type(elem_oid)})")
    pos = 12
    dims, lbounds = [], []
    for _ in range(ndim):
        size, lbound = struct.unpack_from("!ii", data, pos)
        if lower != 1 and lbound != lower:
            raise SqlError("22P03", "array lower bound must be 0" if lower == 0 else "invalid array lower bound")
        if size < 0:
            raise SqlError("54000", "array size exceeds the maximum allowed (134217727)")
        if size and lbound + size - 1 > 0x7FFFFFFF:
            raise SqlError("22003", "integer out of range")
        dims.append(size)
        lbounds.append(lbound)
        pos += 8
    count = 1
    for d in dims:
        count *= d
    flat = []
    for _ in range(count if ndim else 0):
        (length,) = _I4.unpack_from(data, pos)
        pos += 4
        if length < 0:
            flat.append(None)
            continue
        flat.append(element(data[pos:pos + length], -1))
        pos += length
    if not dims or 0 in dims:
        return []
    return with_bounds(reshape(flat, dims), lbounds) if lower == 1 else reshape(flat, dims)


# --- composites (record_send / record_recv) -------------------------------------------------
# A composite's Python value is its text (pgsvc.sql.types.composite); its fields go through
# their types' text input and binary output. An anonymous record's field types come with the
# value (composite.RecordText, set by the runner from the translator's RowExpr types); one
# without them sends its fields as text.

def composite_send(oid: int, value) -> bytes:
    fields = C.fields_of(oid)
    types = [f[1] for f in fields] if fields else list(getattr(value, "types", None) or ())
    texts = C.parse_record(str(value), len(types) if types else None)
    if not types:
        types = [O.TEXT] * len(texts)
    return C.record_send(texts, types, _field_send)


def _field_send(oid: int, text: str) -> bytes:
    return binary_encoder(oid)(text_decoder(oid)(text))


def _field_recv(oid: int, data: bytes, typmod: int) -> str:
    return text_encoder(oid)(binary_decoder(oid)(data, typmod))
