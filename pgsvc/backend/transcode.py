"""Messages from a client whose client_encoding is not UTF8: their text fields re-encoded
as UTF-8 before the ordinary decoders read them (pgsvc.backend.protocol reads UTF-8), so a
UTF8 session never pays for the conversion. Parameters (Bind) and COPY data are converted
where they are decoded (pgsvc.backend.extended, pgsvc.backend.copy_flow): only their text
forms are text. No I/O here.
"""

from __future__ import annotations

from pgsvc.client_encodings import ClientCodec
from pgsvc.sql.types import binary_decoder, binary_encoder
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.binary import decode_array, encode_array
from pgsvc.sql.types.pg_type import find_oid

# Messages whose leading fields are NUL-terminated strings: how many strings each starts with
# (Query: the query; Parse: name and query; Bind: portal and statement; Describe/Close: after
# the kind byte, the name; Execute: the portal; CopyFail: the reason).
_LEADING_STRINGS = {b"Q": (0, 1), b"P": (0, 2), b"B": (0, 2), b"D": (1, 1), b"C": (1, 1), b"E": (0, 1)}

# types whose binary form is their text (textsend/textrecv and kin convert it, as in PostgreSQL)
_TEXT_BINARY = frozenset((O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME, O.UNKNOWN, O.JSON, O.XML, O.CSTRING,
                          O.REFCURSOR))


def transcode_message(codec: ClientCodec, mtype: bytes, body: bytes) -> bytes:
    """The message with its leading strings in UTF-8 (anything malformed is left for the
    decoder to report as PostgreSQL does)."""
    layout = _LEADING_STRINGS.get(mtype)
    if layout is None:
        return body
    skip, count = layout
    parts, pos = [body[:skip]], skip
    for _ in range(count):
        end = body.find(b"\x00", pos)
        if end < 0:
            return body
        parts.append(codec.decode(body[pos:end]).encode("utf-8") + b"\x00")
        pos = end + 1
    parts.append(body[pos:])
    return b"".join(parts)


def binary_is_text(oid: int) -> bool:
    """Whether a type's binary form is text in the client's encoding (an enum's label, a
    domain over text, jsonb after its version byte)."""
    base = U.base_of(oid)
    return base in _TEXT_BINARY or base == O.JSONB or U.is_enum(base)


def encode_binary_text(codec: ClientCodec, oid: int, data: bytes) -> bytes:
    """A text-like value's binary form (UTF-8) in the client's encoding."""
    if U.base_of(oid) == O.JSONB:
        return data[:1] + codec.encode(data[1:].decode("utf-8"))
    return codec.encode(data.decode("utf-8"))


def decode_binary_text(codec: ClientCodec, oid: int, data: bytes) -> bytes:
    """A text-like parameter's binary form from the client's encoding into UTF-8."""
    if U.base_of(oid) == O.JSONB:
        return data[:1] + codec.decode(data[1:]).encode("utf-8")
    return codec.decode(data).encode("utf-8")


def _text_array_element(oid: int) -> int:
    """The element type of an array of a text-like type, else 0."""
    t = find_oid(U.base_of(oid))
    if t is not None and t.category == "A" and t.elem_oid and binary_is_text(t.elem_oid):
        return t.elem_oid
    return 0


def binary_output(codec: ClientCodec | None, oid: int):
    """A type's binary output in the client's encoding: text-like values, and the elements
    of arrays of them, converted (textsend's pq_sendtext)."""
    encoder = binary_encoder(oid)
    if codec is None:
        return encoder
    if binary_is_text(oid):
        return lambda value: encode_binary_text(codec, oid, encoder(value))
    elem = _text_array_element(oid)
    if elem:
        element = binary_encoder(elem)
        lower = 0 if oid in O.VECTOR_OIDS else 1
        return lambda value: encode_array(value, elem, lambda v: encode_binary_text(codec, elem, element(v)), lower)
    return encoder


def binary_input(codec: ClientCodec | None, oid: int):
    """A type's binary input from the client's encoding (textrecv's pq_getmsgtext)."""
    decoder = binary_decoder(oid)
    if codec is None:
        return decoder
    if binary_is_text(oid):
        return lambda data, typmod=-1: decoder(decode_binary_text(codec, oid, data), typmod)
    elem = _text_array_element(oid)
    if elem:
        element = binary_decoder(elem)
        return lambda data, typmod=-1: decode_array(
            data, lambda raw, tm=-1: element(decode_binary_text(codec, elem, raw), tm), elem)
    return decoder
