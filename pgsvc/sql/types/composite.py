"""Composite values (typtype 'c': CREATE TYPE ... AS (...), and the anonymous `record`) as
PostgreSQL's record_in / record_out / record_recv / record_send handle them.

The Python value and the stored form of a composite are both its text, as record_out
prints it: '(1,"a b",)' (fields in their types' text forms, quoted where PostgreSQL quotes
them, NULL as nothing), the fields written in the canonical settings CANON (ISO dates, UTC
timestamptz, postgres intervals, shortest exact floats) whatever the session's, and printed
in the reading session's settings (textio); its order is record_cmp's (types.record_order). Field selection, ROW(...) and casts work on that text through the
UDFs of pgsvc.sql.functions.composite_udfs. A named composite's fields are those of its
pg_attribute rows (usertypes.UserType.fields); binary I/O goes field by field through each
field type's own binary form.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from pgsvc.errors import SqlError
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.context import FormatContext
from pgsvc.sql.types.pg_type import format_type

_I4 = struct.Struct("!i")
CANON = FormatContext()  # the settings a composite's fields are stored in (setting-independent)
_FIELD_HEAD = struct.Struct("!Ii")


def is_composite(oid: int) -> bool:
    ut = U.find(oid)
    return ut is not None and ut.typtype == "c"


def fields_of(oid: int) -> list[tuple[str, int, int]]:
    """(name, type oid, typmod) of a named composite's attributes, in order."""
    ut = U.find(oid)
    return list(ut.fields) if ut is not None and ut.typtype == "c" else []


# --- text ------------------------------------------------------------------------------

def quote_field(text: str) -> str:
    """One field as record_out writes it: quoted when empty or holding a quote, backslash,
    parenthesis, comma or white space; quotes and backslashes doubled inside."""
    if text == "" or any(c in '"\\(),' or c.isspace() for c in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '""') + '"'
    return text


def format_record(texts) -> str:
    """record_out: the fields' texts (None for NULL) as one composite literal."""
    return "(" + ",".join("" if t is None else quote_field(t) for t in texts) + ")"


def _malformed(text: str, detail: str) -> SqlError:
    return SqlError("22P02", f'malformed record literal: "{text}"', detail=detail)


def parse_record(text: str, natts: int | None = None) -> list[str | None]:
    """record_in's reading of a composite literal into its fields' texts (None for NULL);
    natts: the number of fields the type has (None: as many as written)."""
    s, i, n = text, 0, len(text)
    while i < n and s[i].isspace():
        i += 1
    if i >= n or s[i] != "(":
        raise _malformed(text, "Missing left parenthesis.")
    i += 1
    out: list[str | None] = []
    if natts in (0, None) and i < n and s[i] == ")":
        i += 1  # "()": no fields (record_in reads one NULL field when the type has one)
        while i < n and s[i].isspace():
            i += 1
        if i < n:
            raise _malformed(text, "Junk after right parenthesis.")
        return out
    while True:
        if natts is not None and len(out) >= natts:
            raise _malformed(text, "Too many columns.")
        if i < n and s[i] in ",)":
            out.append(None)
        else:
            buf: list[str] = []
            in_quote = False
            while True:
                if i >= n:
                    raise _malformed(text, "Unexpected end of input.")
                ch = s[i]
                if not in_quote and ch in ",)":
                    break
                i += 1
                if ch == "\\":
                    if i >= n:
                        raise _malformed(text, "Unexpected end of input.")
                    buf.append(s[i])
                    i += 1
                elif ch == '"':
                    if not in_quote:
                        in_quote = True
                    elif i < n and s[i] == '"':
                        buf.append('"')
                        i += 1
                    else:
                        in_quote = False
                else:
                    buf.append(ch)
            out.append("".join(buf))
        if i >= n:
            raise _malformed(text, "Unexpected end of input.")
        ch = s[i]
        i += 1
        if ch == ")":
            break
    if natts is not None and len(out) < natts:
        raise _malformed(text, "Too few columns.")
    while i < n and s[i].isspace():
        i += 1
    if i < n:
        raise _malformed(text, "Junk after right parenthesis.")
    return out


def record_in(oid: int, text: str, field_in: Callable[[int, str, int], str]) -> str:
    """A named composite's input: each field read by its type's input (field_in(oid, text,
    typmod) gives the field's text form back) and the value printed canonically."""
    if oid == O.RECORD:
        raise SqlError("0A000", "input of anonymous composite types is not implemented")
    fields = fields_of(oid)
    texts = parse_record(text, len(fields))
    return format_record(None if t is None else field_in(f[1], t, f[2]) for f, t in zip(fields, texts))


# --- binary ----------------------------------------------------------------------------

def record_send(texts: list[str | None], types: list[int], field_send: Callable[[int, str], bytes]) -> bytes:
    parts = [_I4.pack(len(texts))]
    for t, oid in zip(texts, types):
        if t is None:
            parts.append(_FIELD_HEAD.pack(oid, -1))
        else:
            data = field_send(oid, t)
            parts.append(_FIELD_HEAD.pack(oid, len(data)))
            parts.append(data)
    return b"".join(parts)


def record_recv(oid: int, data: bytes, field_recv: Callable[[int, bytes, int], str | None]) -> str:
    """record_recv of a named composite: field_recv(oid, bytes, typmod) gives a field's text."""
    if oid == O.RECORD:
        raise SqlError("0A000", "input of anonymous composite types is not implemented")
    fields = fields_of(oid)
    if len(data) < 4:
        raise SqlError("22P03", "insufficient data left in message")
    (count,) = _I4.unpack_from(data)
    if count != len(fields):
        raise SqlError("42804", f"wrong number of columns: {count}, expected {len(fields)}")
    pos, texts = 4, []
    for i, (_name, ftype, typmod) in enumerate(fields):
        if pos + 8 > len(data):
            raise SqlError("22P03", "insufficient data left in message")
        got, length = _FIELD_HEAD.unpack_from(data, pos)
        pos += 8
        if got != ftype:
            raise SqlError("42804", f"binary data has type {got} ({format_type(got)}) instead of expected "
                           f"{ftype} ({format_type(ftype)}) in record column {i + 1}")
        if length < 0:
            texts.append(None)
            continue
        if pos + length > len(data):
            raise SqlError("22P03", "insufficient data left in message")
        texts.append(field_recv(ftype, data[pos:pos + length], typmod))
        pos += length
    if pos != len(data):
        raise SqlError("22P03", "improper binary format in record column")
    return format_record(texts)


class RecordText(str):
    """An anonymous record's text with its fields' types (for record_send)."""

    types: tuple[int, ...] = ()


def with_types(value, types: tuple[int, ...] = ()):
    if value is None:
        return None
    out = RecordText(value)
    out.types = types
    return out


# --- ordering of anonymous records (COLLATE pg_record; a named composite's order: record_order) ---

def _field_key(text: str | None) -> tuple:
    if text is None:
        return (2,)  # NULL fields sort after the others, as record_cmp
    try:
        return (0, float(text), text)
    except ValueError:
        if text.startswith("(") and text.endswith(")"):
            try:
                return (1, tuple(_field_key(t) for t in parse_record(text)))
            except SqlError:
                pass
        return (1, text)


def collate_record(a: str, b: str) -> int:
    """Composite values compared field by field (numbers as numbers, other fields by their
    text): the order of ORDER BY, indexes and comparisons of stored composite columns."""
    if a == b:
        return 0
    try:
        ka = tuple(_field_key(t) for t in parse_record(a))
        kb = tuple(_field_key(t) for t in parse_record(b))
    except SqlError:
        return (a > b) - (a < b)
    try:
        return (ka > kb) - (ka < kb)
    except TypeError:
        return (a > b) - (a < b)
