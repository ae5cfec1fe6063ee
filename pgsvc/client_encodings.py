"""client_encoding: PostgreSQL's encoding names (src/common/encnames.c) and the conversion
between the server's UTF8 and a client's encoding at the protocol boundary (mbutils.c's
pg_client_to_server / pg_server_to_client).

Text from the client (query strings, names, text-format parameters, COPY data) is decoded
from its encoding; text to the client (data, column names, command tags, errors, notices,
parameter statuses) is encoded to it. A character the client's encoding cannot hold is
PostgreSQL's 22P05 ('character with byte sequence 0xe2 0x82 0xac in encoding "UTF8" has no
equivalent in encoding "LATIN1"'); bytes that are no character of it are 22021 ('invalid
byte sequence for encoding ...'), or 22P05 for a single-byte encoding's unassigned code.
SQL_ASCII converts nothing (what the client sends must still be valid UTF8, as PostgreSQL
checks), and neither does UTF8, the default: that path is the plain UTF-8 codec.

Outside pgsvc.sql: the settings check client_encoding with it (check_client_encoding gives the
canonical name that SHOW and ParameterStatus print), the backend converts with it.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

from pgsvc.errors import SqlError

# pg_encname_tbl: every spelling (lower case, alphanumerics only) -> the canonical name
_ALIASES = {
    "abc": "WIN1258", "alt": "WIN866", "big5": "BIG5", "euccn": "EUC_CN", "eucjis2004": "EUC_JIS_2004",
    "eucjp": "EUC_JP", "euckr": "EUC_KR", "euctw": "EUC_TW", "gb18030": "GB18030", "gbk": "GBK",
    "iso88591": "LATIN1", "iso885910": "LATIN6", "iso885913": "LATIN7", "iso885914": "LATIN8",
    "iso885915": "LATIN9", "iso885916": "LATIN10", "iso88592": "LATIN2", "iso88593": "LATIN3",
    "iso88594": "LATIN4", "iso88595": "ISO_8859_5", "iso88596": "ISO_8859_6", "iso88597": "ISO_8859_7",
    "iso88598": "ISO_8859_8", "iso88599": "LATIN5", "johab": "JOHAB", "koi8": "KOI8R", "koi8r": "KOI8R",
    "koi8u": "KOI8U", "latin1": "LATIN1", "latin10": "LATIN10", "latin2": "LATIN2", "latin3": "LATIN3",
    "latin4": "LATIN4", "latin5": "LATIN5", "latin6": "LATIN6", "latin7": "LATIN7", "latin8": "LATIN8",
    "latin9": "LATIN9", "mskanji": "SJIS", "muleinternal": "MULE_INTERNAL", "shiftjis": "SJIS",
    "shiftjis2004": "SHIFT_JIS_2004", "sjis": "SJIS", "sqlascii": "SQL_ASCII", "tcvn": "WIN1258",
    "tcvn5712": "WIN1258", "uhc": "UHC", "unicode": "UTF8", "utf8": "UTF8", "vscii": "WIN1258",
    "win": "WIN1251", "win1250": "WIN1250", "win1251": "WIN1251", "win1252": "WIN1252",
    "win1253": "WIN1253", "win1254": "WIN1254", "win1255": "WIN1255", "win1256": "WIN1256",
    "win1257": "WIN1257", "win1258": "WIN1258", "win866": "WIN866", "win874": "WIN874", "win932": "SJIS",
    "win936": "GBK", "win949": "UHC", "win950": "BIG5", "windows1250": "WIN1250", "windows1251": "WIN1251",
    "windows1252": "WIN1252", "windows1253": "WIN1253", "windows1254": "WIN1254", "windows1255": "WIN1255",
    "windows1256": "WIN1256", "windows1257": "WIN1257", "windows1258": "WIN1258", "windows866": "WIN866",
    "windows874": "WIN874", "windows932": "SJIS", "windows936": "GBK", "windows949": "UHC",
    "windows950": "BIG5",
}

# the Python codec of each client encoding; None: no conversion (UTF8, SQL_ASCII)
_CODECS = {
    "UTF8": None, "SQL_ASCII": None,
    "LATIN1": "latin-1", "LATIN2": "iso8859_2", "LATIN3": "iso8859_3", "LATIN4": "iso8859_4",
    "LATIN5": "iso8859_9", "LATIN6": "iso8859_10", "LATIN7": "iso8859_13", "LATIN8": "iso8859_14",
    "LATIN9": "iso8859_15", "LATIN10": "iso8859_16", "ISO_8859_5": "iso8859_5", "ISO_8859_6": "iso8859_6",
    "ISO_8859_7": "iso8859_7", "ISO_8859_8": "iso8859_8", "WIN866": "cp866", "WIN874": "cp874",
    "WIN1250": "cp1250", "WIN1251": "cp1251", "WIN1252": "cp1252", "WIN1253": "cp1253", "WIN1254": "cp1254",
    "WIN1255": "cp1255", "WIN1256": "cp1256", "WIN1257": "cp1257", "WIN1258": "cp1258", "KOI8R": "koi8_r",
    "KOI8U": "koi8_u", "EUC_JP": "euc_jp", "EUC_CN": "gb2312", "EUC_KR": "euc_kr",
    "EUC_JIS_2004": "euc_jis_2004", "SJIS": "cp932", "SHIFT_JIS_2004": "shift_jis_2004", "BIG5": "cp950",
    "GBK": "gbk", "UHC": "cp949", "GB18030": "gb18030", "JOHAB": "johab",
}
# encodings PostgreSQL knows that pgsvc cannot convert (MULE_INTERNAL: nor can PostgreSQL)
_NO_CONVERSION = {"MULE_INTERNAL", "EUC_TW"}
_MULTIBYTE = {"EUC_JP", "EUC_CN", "EUC_KR", "EUC_JIS_2004", "SJIS", "SHIFT_JIS_2004", "BIG5", "GBK", "UHC",
              "GB18030", "JOHAB", "UTF8", "SQL_ASCII"}
NAMEDATALEN = 64


def canonical_name(name: str) -> str | None:
    """pg_char_to_encoding + pg_encoding_to_char: 'latin-1' is LATIN1; None if unknown."""
    if not name or len(name.encode("utf-8")) >= NAMEDATALEN:
        return None
    key = "".join(c.lower() for c in name if c.isascii() and c.isalnum())
    return _ALIASES.get(key)


def check_client_encoding(value: str) -> str:
    """The client_encoding setting's canonical name, or PostgreSQL's error for the value."""
    name = canonical_name(value)
    if name is None:
        raise SqlError("22023", f'invalid value for parameter "client_encoding": "{value}"')
    if name in _NO_CONVERSION:
        raise SqlError("0A000", f'invalid value for parameter "client_encoding": "{value}"',
                       detail=f"Conversion between {name} and UTF8 is not supported.")
    return name


def _hex(data: bytes) -> str:
    return " ".join(f"0x{b:02x}" for b in data)


class ClientCodec:
    """The conversion of one client encoding (not UTF8: that path does not go through here)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.python = _CODECS[name]
        self.multibyte = name in _MULTIBYTE

    def decode(self, data: bytes) -> str:
        """pg_client_to_server: the client's bytes as text, or PostgreSQL's error."""
        try:
            return data.decode(self.python or "utf-8")
        except UnicodeDecodeError as e:
            raise self.decode_error(data, e) from None

    def decode_error(self, data: bytes, e: UnicodeDecodeError) -> SqlError:
        if self.python is None:  # SQL_ASCII: the bytes go in as they are, and must be UTF8
            return invalid_utf8(data, e)
        if self.multibyte:
            bad = data[e.start:e.start + _mblen(self.name, data, e.start)]
            return SqlError("22021", f'invalid byte sequence for encoding "{self.name}": {_hex(bad)}')
        bad = data[e.start:e.start + 1]
        return SqlError("22P05", f'character with byte sequence {_hex(bad)} in encoding "{self.name}" '
                                 'has no equivalent in encoding "UTF8"')

    def encode(self, text: str) -> bytes:
        """pg_server_to_client: the text in the client's encoding, or 22P05."""
        try:
            return text.encode(self.python or "utf-8")
        except UnicodeEncodeError as e:
            char = text[e.start].encode("utf-8", "surrogatepass")
            raise SqlError("22P05", f'character with byte sequence {_hex(char)} in encoding "UTF8" '
                                    f'has no equivalent in encoding "{self.name}"') from None

    def encode_message(self, text: str) -> bytes:
        """An error or notice text: what cannot be converted goes as UTF8 (PostgreSQL sends
        an error it cannot convert unconverted rather than lose it)."""
        try:
            return text.encode(self.python or "utf-8")
        except UnicodeEncodeError:
            return text.encode("utf-8", "replace")

    def incremental_decoder(self):
        """For COPY FROM's data, whose messages may split a character."""
        return codecs.getincrementaldecoder(self.python or "utf-8")()


def _mblen(name: str, data: bytes, pos: int) -> int:
    """pg_encoding_mblen: how many bytes the character starting at `pos` claims (report_
    invalid_encoding prints that many, as far as the string goes)."""
    first = data[pos] if pos < len(data) else 0
    if first < 0x80:
        return 1
    if name == "UTF8" or name == "SQL_ASCII":
        return 2 if 0xC0 <= first < 0xE0 else 3 if 0xE0 <= first < 0xF0 else 4 if 0xF0 <= first < 0xF8 else 1
    if name in ("EUC_JP", "EUC_JIS_2004"):
        return 2 if first == 0x8E else 3 if first == 0x8F else 2
    if name in ("SJIS", "SHIFT_JIS_2004"):
        return 1 if 0xA1 <= first <= 0xDF else 2
    if name == "GB18030":
        following = data[pos + 1] if pos + 1 < len(data) else 0
        return 4 if 0x30 <= following <= 0x39 else 2
    return 2


def invalid_utf8(data: bytes, e: UnicodeDecodeError) -> SqlError:
    """UTF8's report_invalid_encoding: the bytes of the broken character."""
    bad = data[e.start:e.start + _mblen("UTF8", data, e.start)]
    return SqlError("22021", f'invalid byte sequence for encoding "UTF8": {_hex(bad)}')


@lru_cache(maxsize=64)
def client_codec(name: str) -> ClientCodec | None:
    """The codec of a canonical client encoding name; None for UTF8 (no conversion at all)."""
    if name == "UTF8":
        return None
    return ClientCodec(name)
