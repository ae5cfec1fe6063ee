"""The UDFs behind composite values (pgsvc.sql.types.composite: a composite's stored form
is its record_out text): ROW(...) built from its fields' stored forms, one field read out
in its type's stored form ((c).f), one field replaced (UPDATE ... SET c.f = ...), and the
record comparison of two values of the same row type."""

from __future__ import annotations

import json
import struct

from pgsvc.errors import SqlError
from pgsvc.sql.functions.context import FunctionContext
from pgsvc.sql.functions.values import to_python, to_stored
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.composite import CANON, fields_of, format_record, parse_record, with_types
from pgsvc.sql.types.record_order import compare_texts, record_key
from pgsvc.sql.types.usertypes import base_of
from pgsvc.sql.types.textio import text_decoder, text_encoder


_IMAGE_FORMATS = {O.BOOL: "<?", O.INT2: "<h", O.INT4: "<i", O.INT8: "<q", O.OID: "<I", O.FLOAT4: "<f",
                  O.FLOAT8: "<d", O.DATE: "<i", O.TIME: "<q", O.TIMESTAMP: "<q", O.TIMESTAMPTZ: "<q"}


def make_udfs(ctx: FunctionContext) -> dict:
    def fmt():
        return CANON  # a composite's fields are kept in the canonical settings (types.composite)

    def field_text(oid: int, stored):
        if stored is None:
            return None
        return text_encoder(oid, fmt())(to_python(oid, stored))

    def row(*args):
        """pgsvc_row(oid1, v1, oid2, v2, ...): the record's text."""
        return format_record(field_text(int(args[i]), args[i + 1]) for i in range(0, len(args), 2))

    def row_field(rec, idx: int, oid: int):
        """pgsvc_row_field(rec, idx, oid): field idx (from 0) in its type's stored form."""
        if rec is None:
            return None
        texts = parse_record(str(rec))
        if idx >= len(texts) or texts[idx] is None:
            return None
        return to_stored(oid, text_decoder(oid, fmt())(texts[idx]))

    def row_set(rec, natts: int, *args):
        """pgsvc_row_set(rec, natts, idx1, oid1, v1, ...): rec (all NULL fields when NULL)
        with fields replaced."""
        texts = [None] * natts if rec is None else parse_record(str(rec), natts)
        for i in range(0, len(args), 3):
            texts[int(args[i])] = field_text(int(args[i + 1]), args[i + 2])
        return format_record(texts)

    def row_cmp(a, b, types: str):
        """-1/0/1 of two records field by field in their types' order (NULL fields sort
        last), as record_cmp; NULL when either is NULL."""
        if a is None or b is None:
            return None
        oids = [int(t) for t in types.split(",")] if types else []
        return compare_texts(oids, parse_record(str(a)), parse_record(str(b)))

    def record_out(rec, types: str):
        """pgsvc_record_out(rec, types): an anonymous record's text in the session's settings."""
        if rec is None:
            return None
        oids = tuple(O.TEXT if int(t) == O.UNKNOWN else int(t) for t in types.split(",") if t)
        return text_encoder(O.RECORD, ctx.format_context())(with_types(str(rec), oids))

    def add_field(rec):
        return None if rec is None else format_record(parse_record(str(rec)) + [None])

    def drop_field(rec, idx: int):
        if rec is None:
            return None
        texts = parse_record(str(rec))
        del texts[idx:idx + 1]
        return format_record(texts)

    def image(oid: int, text: str) -> bytes:
        """A field's binary image as record_image_cmp compares it: fixed-size values as the
        little-endian words they are in memory, others as their bytes (the text form)."""
        fmt_ = _IMAGE_FORMATS.get(oid)
        if fmt_ is None:
            return text.encode()
        stored = to_stored(oid, text_decoder(oid, fmt())(text))
        return struct.pack(fmt_, int(stored) if fmt_[1] in "?hiqI" else float(stored))

    def row_image_cmp(a, b, types: str):
        if a is None or b is None:
            return None
        oids = [int(t) for t in types.split(",")] if types else []
        ta, tb = parse_record(str(a)), parse_record(str(b))
        if len(ta) != len(tb):
            raise SqlError("42804", "cannot compare record types with different numbers of columns")
        for i, (x, y) in enumerate(zip(ta, tb)):
            if x is None or y is None:
                if x is None and y is None:
                    continue
                return 1 if x is None else -1
            oid = oids[i] if i < len(oids) else O.TEXT
            ix, iy = image(oid, x), image(oid, y)
            if ix != iy:
                return -1 if ix < iy else 1
        return 0

    def row_nulltest(rec, neg: int) -> int:
        """row IS NULL: NULL or every field NULL; IS NOT NULL (neg): every field not NULL."""
        if rec is None:
            return 0 if neg else 1
        texts = parse_record(str(rec))
        return int(all(t is not None for t in texts) if neg else all(t is None for t in texts))

    return {"pgsvc_row_nulltest": (2, row_nulltest), "pgsvc_row_image_cmp": (3, row_image_cmp), "pgsvc_row_add_field": (1, add_field), "pgsvc_row_drop_field": (2, drop_field),
            "pgsvc_row": (-1, row), "pgsvc_row_field": (3, row_field), "pgsvc_row_set": (-1, row_set),
            "pgsvc_row_cmp": (3, row_cmp), "pgsvc_record_key": (2, record_key), "pgsvc_record_out": (2, record_out)}


def composite_json(ctx: FunctionContext, value: str, oid: int, field_json, pretty: bool = False) -> str:
    """row_to_json / to_json of a composite value: {"f":v,...} with each field converted by
    its type (field_json(ctx, stored, oid)); an anonymous record's fields are f1, f2, ... as
    text. pretty: one field a line, as row_to_json(x, true)."""
    fields = fields_of(oid)
    texts = parse_record(str(value)) or [None] * min(len(fields), 1)  # "()": one NULL field
    parts = []
    for i, t in enumerate(texts):
        name, ftype = (fields[i][0], base_of(fields[i][1])) if i < len(fields) else (f"f{i + 1}", O.TEXT)
        if t is None:
            v = "null"
        else:
            v = field_json(ctx, to_stored(ftype, text_decoder(ftype, CANON)(t)), ftype)
        parts.append(json.dumps(name, ensure_ascii=False) + ":" + v)
    return "{" + (",\n " if pretty else ",").join(parts) + "}"


def record_json(ctx: FunctionContext, rec, names: str, types: str, pretty, field_json):
    """row_to_json of an anonymous record with its fields' names (a JSON list) and types."""
    if rec is None:
        return None
    fields = list(zip(json.loads(names), (int(t) for t in types.split(",") if t)))
    parts = []
    texts = parse_record(str(rec)) or [None]  # "()": one NULL field (record_out's form of it)
    for (name, oid), t in zip(fields, texts):
        v = "null" if t is None else field_json(ctx, to_stored(oid, text_decoder(oid, CANON)(t)), oid)
        parts.append(json.dumps(name, ensure_ascii=False) + ":" + v)
    return "{" + (",\n " if pretty else ",").join(parts) + "}"
