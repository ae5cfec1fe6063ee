"""A Python codec for EUC_TW, which Python lacks: PostgreSQL 15's conversion (pgsvc.euc_tw_map,
generated from it). Registered as "pgsvc_euc_tw" when this module is imported
(pgsvc.client_encodings uses it as EUC_TW's codec).

ASCII is itself; a character of CNS 11643 plane 1 is two bytes 0xA1-0xFE 0xA1-0xFE, or four
(0x8E 0xA1 and those two); plane p (2..7) is 0x8E 0xA0+p and two such bytes. Bytes the table
has no character for raise UnicodeDecodeError (pgsvc.client_encodings then tells 22021 from
22P05 as PostgreSQL's verifier does); a character with no bytes raises UnicodeEncodeError.
The tables are built at the first conversion.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

NAME = "pgsvc_euc_tw"


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[bytes, str], dict[str, bytes]]:
    from pgsvc import euc_tw_map  # 100 kB of table: only a session that uses EUC_TW loads it

    decode: dict[bytes, str] = {}
    encode: dict[str, bytes] = {}
    for plane in range(7, 0, -1):  # plane 1 last: its characters encode as two bytes
        for start, chars in euc_tw_map.PLANES[plane]:
            for i, ch in enumerate(chars, start):
                cell = bytes([0xA1 + i // 94, 0xA1 + i % 94])
                four = bytes([0x8E, 0xA0 + plane]) + cell
                decode[four] = ch
                encode[ch] = four
                if plane == 1:
                    decode[cell] = ch
                    encode[ch] = cell
    for item in " ".join(euc_tw_map.ENCODE_ONLY).split():
        cp, _, data = item.partition("=")
        encode[chr(int(cp, 16))] = bytes.fromhex(data)
    return decode, encode


def _decode_part(data: bytes, final: bool) -> tuple[str, int]:
    table = _tables()[0]
    out, pos, n = [], 0, len(data)
    while pos < n:
        c = data[pos]
        if c < 0x80:
            out.append(chr(c))
            pos += 1
            continue
        size = 4 if c == 0x8E else 2
        if pos + size > n and not final:
            break  # the rest of the character comes with the next piece
        ch = table.get(data[pos:pos + size])
        if ch is None:
            raise UnicodeDecodeError(NAME, data, pos, min(pos + size, n), "no character for these bytes")
        out.append(ch)
        pos += size
    return "".join(out), pos


def decode(data, errors: str = "strict") -> tuple[str, int]:
    return _decode_part(bytes(data), True)


def encode(text: str, errors: str = "strict") -> tuple[bytes, int]:
    table = _tables()[1]
    out = bytearray()
    for i, ch in enumerate(text):
        if ch < "\x80":
            out.append(ord(ch))
            continue
        data = table.get(ch)
        if data is None:
            raise UnicodeEncodeError(NAME, text, i, i + 1, "no equivalent in EUC_TW")
        out += data
    return bytes(out), len(text)


class IncrementalDecoder(codecs.BufferedIncrementalDecoder):
    def _buffer_decode(self, data, errors, final):
        return _decode_part(bytes(data), final)


class IncrementalEncoder(codecs.IncrementalEncoder):
    def encode(self, text, final=False):
        return encode(text)[0]


def _search(name: str):
    if name != NAME:
        return None
    return codecs.CodecInfo(encode, decode, name=NAME, incrementalencoder=IncrementalEncoder,
                            incrementaldecoder=IncrementalDecoder)


codecs.register(_search)

__all__ = ["NAME", "decode", "encode"]
