"""convert_to(text, name), convert_from(bytea, name) and convert(bytea, name, name) as
utils/mb/mbutils.c's pg_convert: the database is UTF8, the other side any encoding the
client encodings convert (pgsvc.client_encodings, PostgreSQL's maps where Python's codec
differs).

Errors as PostgreSQL's: an unknown name is 22023 'invalid source/destination encoding name',
bytes that are no character of their encoding 22021, a character the target cannot hold
22P05, a pair with no default conversion 42883. PostgreSQL's direct conversions between two
encodings other than UTF8 (KOI8R to WIN1251, EUC_JP to SJIS, ...) have their own maps, and
EUC_TW has no Python codec: those are refused with 0A000.
"""

from __future__ import annotations

from pgsvc.client_encodings import canonical_name, client_codec, no_python_codec, nul_error
from pgsvc.errors import SqlError

# pg_conversion's default conversions between two encodings neither of which is UTF8
_DIRECT = {
    ("BIG5", "EUC_TW"), ("EUC_JIS_2004", "SHIFT_JIS_2004"), ("EUC_JP", "SJIS"), ("ISO_8859_5", "KOI8R"),
    ("ISO_8859_5", "WIN1251"), ("ISO_8859_5", "WIN866"), ("KOI8R", "WIN1251"), ("KOI8R", "WIN866"),
    ("LATIN2", "WIN1250"), ("WIN1251", "WIN866"),
}
_TO_MULE = {"BIG5", "EUC_CN", "EUC_JP", "EUC_KR", "EUC_TW", "ISO_8859_5", "KOI8R", "LATIN1", "LATIN2", "LATIN3",
            "LATIN4", "SJIS", "WIN1250", "WIN1251", "WIN866"}


def _encoding(name: str, which: str) -> str:
    found = canonical_name(name)
    if found is None:
        raise SqlError("22023", f'invalid {which} encoding name "{name}"')
    return found


def _utf8(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise client_codec("SQL_ASCII").decode_error(data, e) from None
    _no_nul(data, "UTF8")
    return text


def _no_nul(data: bytes, name: str) -> None:
    if b"\x00" in data:
        raise nul_error(name, data)


def _check_pair(src: str, dst: str) -> None:
    if "UTF8" not in (src, dst):
        pair = (src, dst) if (src, dst) in _DIRECT else (dst, src)
        if pair in _DIRECT or "MULE_INTERNAL" in (src, dst) and ({src, dst} - {"MULE_INTERNAL"}) <= _TO_MULE:
            raise SqlError("0A000", f'conversion from "{src}" to "{dst}" is not supported')
        raise SqlError("42883", f'default conversion function for encoding "{src}" to "{dst}" does not exist')
    other = dst if src == "UTF8" else src
    if other == "MULE_INTERNAL":
        raise SqlError("42883", f'default conversion function for encoding "{src}" to "{dst}" does not exist')
    if no_python_codec(other):
        raise SqlError("0A000", f'conversion from "{src}" to "{dst}" is not supported')


def pg_convert(data: bytes, src: str, dst: str) -> bytes:
    """convert(bytea, src, dst): the bytes in the other encoding (verified when unchanged)."""
    src, dst = _encoding(src, "source"), _encoding(dst, "destination")
    if src == dst or dst == "SQL_ASCII":
        _verify(data, src)
        return data
    if src == "SQL_ASCII":
        _verify(data, dst)
        return data
    _check_pair(src, dst)
    text = _utf8(data) if src == "UTF8" else _decode(data, src)
    return text.encode("utf-8") if dst == "UTF8" else client_codec(dst).encode(text)


def _verify(data: bytes, name: str) -> None:
    """pg_verify_mbstr: the bytes are characters of the encoding (no conversion)."""
    if name == "UTF8":
        _utf8(data)
    elif name in ("SQL_ASCII", "MULE_INTERNAL") or no_python_codec(name):
        _no_nul(data, name)
    else:
        _decode(data, name)


def _decode(data: bytes, name: str) -> str:
    _no_nul(data, name)
    return client_codec(name).decode(data)


def convert_to(text: str, dst: str) -> bytes:
    return pg_convert(text.encode("utf-8"), "UTF8", dst)


def convert_from(data: bytes, src: str) -> str:
    return pg_convert(bytes(data), src, "UTF8").decode("utf-8")


def make_udfs() -> dict:
    def strict(fn):
        return lambda *a: None if any(x is None for x in a) else fn(*a)

    return {
        "pgsvc_convert_to": (2, strict(convert_to)),
        "pgsvc_convert_from": (2, strict(convert_from)),
        "pgsvc_convert": (3, strict(lambda data, src, dst: pg_convert(bytes(data), src, dst))),
    }
