"""Text input/output dispatch: text_encoder(oid, ctx) / text_decoder(oid, ctx).

Encoders take the Python value (see pgsvc.sql.types) and return PostgreSQL's output
text exactly; decoders take the input text and a typmod and return the Python value
(the typmod is applied as PostgreSQL's input functions do: varchar(n) input of an
over-long value raises 22001, numeric(p,s) rounds...).
"""

from __future__ import annotations

import uuid as _uuid
from collections.abc import Callable
from typing import Any

from pgsvc.errors import SqlError
from pgsvc.sql.types import dates as D
from pgsvc.sql.types import geometry as G
from pgsvc.sql.types import dateparse as P
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import scalars as S
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types import composite as C
from pgsvc.sql.types.arrays import format_array, parse_array
from pgsvc.sql.types import geo_types as GT
from pgsvc.sql.types import network as N
from pgsvc.sql.types import range_io as RIO
from pgsvc.sql.types.money import cash_in, cash_out
from pgsvc.sql.types.pg_type import find_oid, interval_typmod_parts, type_delimiter
from pgsvc.sql.types.context import FormatContext
from pgsvc.sql.types.interval import format_interval, interval_text_for_range, parse_interval
from pgsvc.sql.types.aclitem import aclitem_in
from pgsvc.sql.types.bits import bit_in
from pgsvc.sql.types.jsonpath import normalize_jsonpath
from pgsvc.sql.types.jsontext import normalize_jsonb, validate_json
from pgsvc.sql.types.numeric import format_numeric, parse_numeric
from pgsvc.sql.types.regoid import reg_text
from pgsvc.sql.types.typmod import apply_typmod

_DEFAULT_CTX = FormatContext()
_INT_OIDS = (O.INT2, O.INT4, O.INT8, O.OID, O.REGPROC, O.REGCLASS, O.REGTYPE, O.REGNAMESPACE,
             O.REGROLE, O.REGOPER, O.REGOPERATOR, O.REGPROCEDURE, O.XID, O.XID8,
             O.REGCONFIG, O.REGDICTIONARY, O.REGCOLLATION)
_TEXT_OIDS = (O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME, O.UNKNOWN, O.CHAR, O.CSTRING, O.JSON,
              O.XML, O.JSONPATH, O.REFCURSOR)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _int_text(value: Any) -> str:
    return str(int(value))


def _uuid_text(value: Any) -> str:
    return str(value) if isinstance(value, _uuid.UUID) else S.format_uuid(value)


def _bool_text(value: Any) -> str:
    return "t" if value else "f"


def text_encoder(oid: int, ctx: FormatContext | None = None) -> Callable[[Any], str]:
    ctx = ctx or _DEFAULT_CTX
    if oid in O.REG_OIDS:
        return reg_text  # the name the engine resolved (pgsvc.sql.types.regoid)
    if oid in _INT_OIDS:
        return _int_text
    if oid in _TEXT_OIDS or oid == O.JSONB:
        return _str
    if oid == O.BOOL:
        return _bool_text
    if oid in (O.FLOAT8, O.FLOAT4):
        digits, f4 = ctx.extra_float_digits, oid == O.FLOAT4
        return lambda v: S.format_float(float(v), digits, f4)
    if oid == O.NUMERIC:
        return format_numeric
    if oid == O.BYTEA:
        style = ctx.bytea_output
        return lambda v: S.format_bytea(v, style)
    if oid == O.UUID:
        return _uuid_text
    if oid == O.DATE:
        return lambda v: D.format_date(v, ctx)
    if oid in (O.TIMESTAMP, O.TIMESTAMPTZ):
        with_tz = oid == O.TIMESTAMPTZ
        return lambda v: D.format_timestamp(v, ctx, with_tz)
    if oid == O.TIME:
        return D.format_time
    if oid == O.TIMETZ:
        return D.format_timetz
    if oid == O.INTERVAL:
        style = ctx.intervalstyle
        return lambda v: format_interval(v, style)
    if U.base_of(oid) != oid:
        return text_encoder(U.base_of(oid), ctx)  # a domain prints as its base type
    if RIO.is_range_like(oid):
        return RIO.text_out(oid, text_encoder(RIO.subtype(oid), ctx))
    if C.is_composite(oid) or oid == O.RECORD:
        return _record_out(oid, ctx)
    t = find_oid(oid)
    if oid in O.VECTOR_OIDS:
        element = text_encoder(t.elem_oid, ctx)
        return lambda v: " ".join(element(x) for x in v)
    if t is not None and t.category == "A" and t.elem_oid:
        element, delim = text_encoder(t.elem_oid, ctx), type_delimiter(t.elem_oid)
        return lambda v: format_array(v, element, delim)
    if oid == O.BOX:
        digits = ctx.extra_float_digits
        return lambda v: G.box_out(v, digits)
    if oid == O.MONEY:
        return cash_out
    if oid in GT.NAMES:
        return GT.geo_out(oid, ctx.extra_float_digits)
    return _str


# types whose text does not depend on DateStyle, IntervalStyle, TimeZone, extra_float_digits
_SETTING_FREE = frozenset((*_INT_OIDS, *_TEXT_OIDS, O.NUMERIC, O.BOOL, O.UUID, O.JSONB, O.TIME, O.TIMETZ,
                           O.INET, O.CIDR, O.MONEY))


_SETTINGS_OF = {O.DATE: ("datestyle",), O.TIMESTAMP: ("datestyle",), O.TIMESTAMPTZ: ("datestyle", "timezone"),
                O.INTERVAL: ("intervalstyle",), O.FLOAT4: ("extra_float_digits",),
                O.FLOAT8: ("extra_float_digits",), O.BYTEA: ("bytea_output",)}


def _same_output(a: FormatContext, b: FormatContext) -> bool:
    return (a.datestyle, a.intervalstyle, a.timezone, a.extra_float_digits, a.bytea_output) == \
        (b.datestyle, b.intervalstyle, b.timezone, b.extra_float_digits, b.bytea_output)


def _record_out(oid: int, ctx: FormatContext) -> Callable[[Any], str]:
    """record_out: the stored fields (in C.CANON's settings) printed in ctx's; an anonymous
    record by the field types that came with it (C.RecordText), as stored without them."""
    fields = [f[1] for f in C.fields_of(oid)]
    if _same_output(ctx, C.CANON):
        return _str

    convs: dict[int, Callable[[str], str]] = {}  # field type -> canonical text to ctx's

    def conv(f: int) -> Callable[[str], str]:
        c = convs.get(f)
        keys = _SETTINGS_OF.get(U.base_of(f))
        if c is None and (U.base_of(f) in _SETTING_FREE or
                          keys is not None and all(getattr(ctx, k) == getattr(C.CANON, k) for k in keys)):
            c = convs[f] = _str  # printed alike in these settings
        if c is None:
            enc, dec = text_encoder(f, ctx), text_decoder(f, C.CANON)
            c = convs[f] = lambda t: enc(dec(t))
        return c

    same: dict[tuple, bool] = {}  # field types -> whether every field prints as stored

    def out(value: Any) -> str:
        types = fields or list(getattr(value, "types", None) or ())
        if not types:
            return _str(value)
        key = tuple(types)
        ident = same.get(key)
        if ident is None:
            ident = same[key] = all(conv(f) is _str for f in types)
        if ident:
            return _str(value)
        texts = C.parse_record(str(value))
        return C.format_record(
            None if t is None else conv(f)(t)
            for t, f in zip(texts, [*types, *[O.TEXT] * (len(texts) - len(types))]))
    return out


def _typmod_applier(oid: int) -> Callable[[Any, int], Any]:
    return lambda value, typmod: apply_typmod(oid, value, typmod, explicit=False)


def text_decoder(oid: int, ctx: FormatContext | None = None) -> Callable[..., Any]:
    ctx = ctx or _DEFAULT_CTX
    if U.base_of(oid) != oid:
        return text_decoder(U.base_of(oid), ctx)  # domain_in: the base type's input (checks come later)
    base = _base_decoder(oid, ctx)
    if oid == O.INTERVAL:
        apply_interval = _typmod_applier(oid)

        def decode_interval(text: str, typmod: int = -1) -> Any:
            if typmod < 0:
                return base(text)
            fields = interval_typmod_parts(typmod)[0]
            return apply_interval(base(interval_text_for_range(text, fields)), typmod)
        return decode_interval
    if oid in (O.VARCHAR, O.BPCHAR, O.NUMERIC, O.TIMESTAMP, O.TIMESTAMPTZ, O.TIME, O.INTERVAL):
        apply = _typmod_applier(oid)

        def decode_with_typmod(text: str, typmod: int = -1) -> Any:
            value = base(text)
            return value if typmod < 0 else apply(value, typmod)
        return decode_with_typmod
    return lambda text, typmod=-1: base(text)


def decode_text(oid: int, text: str, fmt):
    """A type's input function; anything but a SqlError becomes 22P02 as in PostgreSQL."""
    try:
        return text_decoder(oid, fmt)(text)
    except SqlError:
        raise
    except Exception:
        t = find_oid(oid)
        raise SqlError("22P02", f'invalid input syntax for type {t.sql_name if t else oid}: "{text}"') from None


def _base_decoder(oid: int, ctx: FormatContext) -> Callable[[str], Any]:
    simple = _SIMPLE_DECODERS.get(oid)
    if simple is not None:
        return simple
    if oid == O.DATE:
        return lambda text: D.days_to_date(P.parse_date_days(text, ctx))
    if oid in (O.TIMESTAMP, O.TIMESTAMPTZ):
        with_tz = oid == O.TIMESTAMPTZ
        return lambda text: D.micros_to_timestamp(P.parse_timestamp_micros(text, ctx, with_tz),
                                                  with_tz)
    if oid == O.TIME:
        return lambda text: D.micros_to_time(P.parse_time_micros(text, ctx))
    if oid == O.TIMETZ:
        return lambda text: _timetz_value(*P.parse_time_micros(text, ctx, True))
    if oid == O.INTERVAL:
        style = ctx.intervalstyle
        return lambda text: parse_interval(text, style)
    if U.is_enum(oid):
        return lambda text: U.enum_check(oid, text)
    if RIO.is_range_like(oid):
        return RIO.text_in(oid, _base_decoder(RIO.subtype(oid), ctx))
    if C.is_composite(oid) or oid == O.RECORD:  # record: refused, as record_in refuses it
        # each field read in the session's settings, kept in the canonical ones (C.CANON)
        return lambda text: C.record_in(oid, text,
                                        lambda f, v, m: text_encoder(f, C.CANON)(text_decoder(f, ctx)(v, m)))
    t = find_oid(oid)
    if oid in O.VECTOR_OIDS:
        element = _base_decoder(t.elem_oid, ctx)
        return lambda text: [element(part) for part in text.split()]
    if t is not None and t.category == "A" and t.elem_oid:
        element, delim = _base_decoder(t.elem_oid, ctx), type_delimiter(t.elem_oid)
        return lambda text: parse_array(text, element, delim)
    return _identity


def _timetz_value(us: int, offset: int):
    return D.micros_to_timetz(us, offset)


def _identity(text: str) -> str:
    return text


def _parse_char(text: str) -> str:
    return S.parse_char(text)


_SIMPLE_DECODERS: dict[int, Callable[[str], Any]] = {
    O.INT2: lambda t: S.parse_int(t, "smallint"),
    O.INT4: lambda t: S.parse_int(t, "integer"),
    O.INT8: lambda t: S.parse_int(t, "bigint"),
    O.OID: S.parse_oid, O.REGPROC: S.parse_oid, O.REGCLASS: S.parse_oid,
    O.REGTYPE: S.parse_oid, O.REGNAMESPACE: S.parse_oid, O.REGROLE: S.parse_oid,
    O.XID: S.parse_oid,
    O.FLOAT4: lambda t: S.parse_float(t, "real"),
    O.FLOAT8: lambda t: S.parse_float(t, "double precision"),
    O.NUMERIC: parse_numeric,
    O.BOX: G.box_in,
    O.MONEY: cash_in,
    **{oid: GT.geo_in(oid) for oid in GT.NAMES},
    O.INET: N.net_in(O.INET), O.CIDR: N.net_in(O.CIDR), O.MACADDR: N.macaddr_in, O.MACADDR8: N.macaddr8_in,
    O.BOOL: S.parse_bool,
    O.BYTEA: S.parse_bytea,
    O.UUID: S.parse_uuid,
    O.NAME: S.truncate_name,
    O.CHAR: _parse_char,
    O.JSON: validate_json,
    O.JSONB: normalize_jsonb,
    O.JSONPATH: normalize_jsonpath,
    O.BIT: bit_in, O.VARBIT: bit_in,
    O.ACLITEM: aclitem_in,
    O.TEXT: _identity, O.VARCHAR: _identity, O.BPCHAR: _identity, O.UNKNOWN: _identity,
}


__all__ = ["text_encoder", "text_decoder", "decode_text"]
