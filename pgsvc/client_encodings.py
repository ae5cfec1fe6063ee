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
import re
from functools import lru_cache

from pgsvc import encoding_fixes, euc_tw
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
    "EUC_TW": euc_tw.NAME,  # pgsvc's own codec: PostgreSQL's table (pgsvc.euc_tw)
}
# encodings PostgreSQL knows and does not convert to or from UTF8 either
_NO_CONVERSION = {"MULE_INTERNAL"}
_MULTIBYTE = {"EUC_JP", "EUC_CN", "EUC_KR", "EUC_JIS_2004", "SJIS", "SHIFT_JIS_2004", "BIG5", "GBK", "UHC",
              "GB18030", "JOHAB", "UTF8", "SQL_ASCII", "EUC_TW"}
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


def no_python_codec(name: str) -> bool:
    """Not even PostgreSQL converts it to or from UTF8 (MULE_INTERNAL), so pgsvc has no codec
    for it."""
    return name in _NO_CONVERSION


def _hex(data: bytes) -> str:
    return " ".join(f"0x{b:02x}" for b in data)


class ClientCodec:
    """The conversion of one client encoding (not UTF8: that path does not go through here).

    Python's codec does the work; where PostgreSQL's conversion maps differ from it
    (encoding_fixes, generated from PostgreSQL 15: EUC_JP's 0xa1c1 is U+FF5E there, U+301C in
    Python; SJIS takes IBM's extensions; JOHAB's verifier refuses most of JOHAB), a text
    holding one of the affected characters is converted character by character with
    PostgreSQL's answer. The check is one regular-expression search over the text."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.python = _CODECS[name]
        self.multibyte = name in _MULTIBYTE
        self.fixes = _fixes(name)

    def decode(self, data: bytes) -> str:
        """pg_client_to_server: the client's bytes as text, or PostgreSQL's error."""
        if b"\x00" in data:  # pg_verify_mbstr: no encoding admits a NUL
            raise nul_error(self.name if self.python else "UTF8", data)
        try:
            text = data.decode(self.python or "utf-8")
        except UnicodeDecodeError as e:
            if self.python is None or not self.multibyte:
                raise self.decode_error(data, e) from None
            return self._decode_slowly(data)  # which error, and for which bytes
        if self.fixes is not None and (self.fixes.decode_suspect.search(text) or self.fixes.decode_suspect_bytes
                                       is not None and self.fixes.decode_suspect_bytes.search(data)):
            return self._decode_slowly(data)
        return text

    def _decode_slowly(self, data: bytes) -> str:
        """Character by character as pg_verify_mbstr and the conversion map read them."""
        out, pos, table = [], 0, self.fixes.decode if self.fixes is not None else {}
        while pos < len(data):
            if data[pos] < 0x80:
                out.append(chr(data[pos]))
                pos += 1
                continue
            n = verify_char(self.name, data, pos)
            if n < 0:
                raise self._refused("22021", data[pos:pos + _mblen(self.name, data, pos)])
            seq = data[pos:pos + n]
            fixed = table.get(seq)
            if isinstance(fixed, str):
                out.append(fixed)
            elif fixed is not None:
                raise self._refused(fixed[0], seq)
            else:
                try:
                    out.append(seq.decode(self.python))
                except UnicodeDecodeError:
                    raise self._refused("22P05", seq) from None
            pos += n
        return "".join(out)

    def _refused(self, state: str, seq: bytes) -> SqlError:
        if state == "22P05":
            return SqlError("22P05", f'character with byte sequence {_hex(seq)} in encoding "{self.name}" '
                                     'has no equivalent in encoding "UTF8"')
        return SqlError("22021", f'invalid byte sequence for encoding "{self.name}": {_hex(seq)}')

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
        if self.fixes is not None and self.fixes.encode_suspect.search(text):
            return self._encode_slowly(text)
        try:
            return text.encode(self.python or "utf-8")
        except UnicodeEncodeError as e:
            raise self._unmappable(text[e.start]) from None

    def _encode_slowly(self, text: str) -> bytes:
        out, table = [], self.fixes.encode
        for char in text:
            fixed = table.get(char)
            if isinstance(fixed, bytes):
                out.append(fixed)
            elif fixed is not None:
                raise self._unmappable(char)
            else:
                try:
                    out.append(char.encode(self.python))
                except UnicodeEncodeError:
                    raise self._unmappable(char) from None
        return b"".join(out)

    def _unmappable(self, char: str) -> SqlError:
        data = char.encode("utf-8", "surrogatepass")
        return SqlError("22P05", f'character with byte sequence {_hex(data)} in encoding "UTF8" '
                                 f'has no equivalent in encoding "{self.name}"')

    def encode_message(self, text: str) -> bytes:
        """An error or notice text: what cannot be converted goes as UTF8 (PostgreSQL sends
        an error it cannot convert unconverted rather than lose it)."""
        try:
            return self.encode(text)
        except SqlError:
            return text.encode("utf-8", "replace")

    def incremental_decoder(self):
        """For COPY FROM's data, whose messages may split a character."""
        if self.fixes is None:
            return codecs.getincrementaldecoder(self.python or "utf-8")()
        return _SplitDecoder(self)


class _SplitDecoder:
    """An incremental decoder over ClientCodec.decode: each piece is decoded up to the last
    whole character (by PostgreSQL's character lengths), the rest waits for the next."""

    def __init__(self, codec: ClientCodec) -> None:
        self.codec, self.pending = codec, b""

    def decode(self, data: bytes, final: bool = False) -> str:
        data = self.pending + bytes(data)
        end = len(data)
        if not final:
            pos = 0
            while pos < len(data):
                n = 1 if data[pos] < 0x80 else _mblen(self.codec.name, data, pos)
                if pos + n > len(data):
                    break
                pos += n
            end = pos
        self.pending = data[end:]
        return self.codec.decode(data[:end])


class _Fixes:
    """encoding_fixes' table of one encoding, parsed: bytes -> text or SQLSTATE, character
    -> bytes or SQLSTATE, and the characters whose presence sends a text the slow way."""

    def __init__(self, decode: str, encode: str) -> None:
        self.decode: dict[bytes, str | tuple[str]] = {}  # (SQLSTATE,) where PostgreSQL refuses
        for item in decode.split():
            seq, _, val = item.partition("=")
            self.decode[bytes.fromhex(seq)] = (val[4:],) if val.startswith("ERR:") else bytes.fromhex(val).decode()
        self.encode: dict[str, bytes | str] = {}
        for item in encode.split():
            cp, _, val = item.partition("=")
            self.encode[chr(int(cp, 16))] = val[4:] if val.startswith("ERR:") else bytes.fromhex(val)
        self.encode_suspect = _char_class(self.encode)
        self.decode_suspect = _char_class(())

    def finish(self, python: str) -> _Fixes:
        # what Python makes of those bytes; its ASCII is ASCII in PostgreSQL too (a byte it
        # reads differently, SHIFT_JIS_2004's 0x5c, comes out as something else: U+00A5)
        suspect, ascii_only = set(), []
        for data in self.decode:
            try:
                text = data.decode(python)
            except UnicodeDecodeError:
                continue
            found = {c for c in text if c >= "\x80"}
            suspect.update(found)
            if not found:  # EUC_JP's 0x8fa2b7 is '~' to Python: look for the bytes themselves
                ascii_only.append(re.escape(data))
        self.decode_suspect_bytes = re.compile(b"|".join(ascii_only)) if ascii_only else None
        self.decode_suspect = _char_class(suspect)
        return self


def _char_class(chars) -> re.Pattern:
    if not chars:
        return re.compile(r"(?!)")
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


@lru_cache(maxsize=16)
def _fixes(name: str) -> _Fixes | None:
    python = _CODECS.get(name)
    if not python:
        return None
    table = encoding_fixes.TABLES.get(name)  # parsed for the encodings clients use
    return None if table is None else _Fixes(*table).finish(python)


def _mblen(name: str, data: bytes, pos: int) -> int:
    """pg_encoding_mblen: how many bytes the character starting at `pos` claims (report_
    invalid_encoding prints that many, as far as the string goes)."""
    first = data[pos] if pos < len(data) else 0
    if first < 0x80:
        return 1
    if name == "UTF8" or name == "SQL_ASCII":
        return 2 if 0xC0 <= first < 0xE0 else 3 if 0xE0 <= first < 0xF0 else 4 if 0xF0 <= first < 0xF8 else 1
    if name == "EUC_TW":  # pg_euctw_mblen
        return 4 if first == 0x8E else 3 if first == 0x8F else 2
    if name in ("EUC_JP", "EUC_JIS_2004", "EUC_KR", "JOHAB"):  # pg_euc_mblen
        return 2 if first == 0x8E else 3 if first == 0x8F else 2
    if name in ("SJIS", "SHIFT_JIS_2004"):
        return 1 if 0xA1 <= first <= 0xDF else 2
    if name == "GB18030":
        following = data[pos + 1] if pos + 1 < len(data) else 0
        return 4 if 0x30 <= following <= 0x39 else 2
    if name in _MULTIBYTE:
        return 2
    return 1


def _euc(c: int) -> bool:
    return 0xA1 <= c <= 0xFE


def verify_char(name: str, data: bytes, pos: int) -> int:
    """pg_encoding_verifymbchar (wchar.c): the length of the well-formed character at `pos`
    (a non-ASCII one), or -1. Well-formed bytes a conversion map lacks are 22P05 there, the
    others 22021."""
    c1, rest = data[pos], len(data) - pos
    b = data[pos + 1:pos + 4] + b"\x00\x00\x00"
    if name in ("EUC_JP", "EUC_JIS_2004"):
        if c1 == 0x8E:
            return 2 if rest >= 2 and 0xA1 <= b[0] <= 0xDF else -1
        if c1 == 0x8F:
            return 3 if rest >= 3 and _euc(b[0]) and _euc(b[1]) else -1
        return 2 if rest >= 2 and _euc(c1) and _euc(b[0]) else -1
    if name in ("EUC_KR", "EUC_CN"):
        return 2 if rest >= 2 and _euc(c1) and _euc(b[0]) else -1
    if name == "EUC_TW":  # pg_euctw_verifychar: planes 1-7 after 0x8E, plane 1 alone
        if c1 == 0x8E:
            return 4 if rest >= 4 and 0xA1 <= b[0] <= 0xA7 and _euc(b[1]) and _euc(b[2]) else -1
        if c1 == 0x8F:
            return -1
        return 2 if rest >= 2 and _euc(b[0]) else -1
    if name == "JOHAB":
        n = _mblen(name, data, pos)
        return n if rest >= n and all(_euc(c) for c in b[:n - 1]) else -1
    if name in ("SJIS", "SHIFT_JIS_2004"):
        if 0xA1 <= c1 <= 0xDF:
            return 1
        head = 0x81 <= c1 <= 0x9F or 0xE0 <= c1 <= 0xFC
        tail = 0x40 <= b[0] <= 0x7E or 0x80 <= b[0] <= 0xFC
        return 2 if rest >= 2 and head and tail else -1
    if name in ("BIG5", "GBK", "UHC"):
        return 2 if rest >= 2 and b[0] != 0 else -1
    if name == "GB18030":
        if rest >= 4 and 0x30 <= b[0] <= 0x39:
            return 4 if 0x81 <= c1 <= 0xFE and 0x81 <= b[1] <= 0xFE and 0x30 <= b[2] <= 0x39 else -1
        if rest >= 2 and 0x81 <= c1 <= 0xFE:
            return 2 if 0x40 <= b[0] <= 0x7E or 0x80 <= b[0] <= 0xFE else -1
        return -1
    return 1  # single-byte encodings: every byte is a character


def nul_error(name: str, data: bytes) -> SqlError:
    """pg_verify_mbstr over bytes that hold a NUL: the first character that fails, the NUL
    itself or the multibyte character it breaks ('0xa1 0x00'), or an invalid one before it."""
    pos = 0
    if name in _MULTIBYTE and name not in ("UTF8", "SQL_ASCII"):
        while pos < len(data) and data[pos] != 0:
            if data[pos] < 0x80:
                pos += 1
                continue
            n = verify_char(name, data, pos)
            if n < 0 or 0 in data[pos:pos + n]:
                bad = data[pos:pos + _mblen(name, data, pos)]
                return SqlError("22021", f'invalid byte sequence for encoding "{name}": {_hex(bad)}')
            pos += n
    return SqlError("22021", f'invalid byte sequence for encoding "{name}": 0x00')


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
