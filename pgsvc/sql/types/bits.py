"""bit(n) and bit varying(n) as utils/adt/varbit.c reads, sizes and converts them.

Stored form: the text of the digits ('0101'). Input: binary digits, B'..'-style 'b101', or
hexadecimal 'x1F' (four bits a digit), with PostgreSQL's 22P02 naming the first bad
character. Length coercion: bit(n) must match exactly (22026) unless the cast is explicit
(padded with zeros on the right or truncated); varbit(n) refuses a longer value (22001)
unless explicit (truncated). An integer cast to bit(n) gives its n low-order bits
(bitfromint4/8, sign-extended); a bit string cast to an integer reads it unsigned in the
integer's width, two's complement (bittoint4/8).
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.types import oids as O

MAX_BITS = 83886080  # VARBITMAXLEN: MaxAttrSize * BITS_PER_BYTE
_HEX = "0123456789abcdefABCDEF"


def bit_in(text: str) -> str:
    """bit_in / varbit_in without a typmod: the digits, or 22P02."""
    s = text
    hexform = s[:1] in ("x", "X")
    if s[:1] in ("b", "B", "x", "X"):
        s = s[1:]
    if not hexform:
        for ch in s:
            if ch != "0" and ch != "1":
                raise SqlError("22P02", f'"{ch}" is not a valid binary digit')
        return s
    for ch in s:
        if ch not in _HEX:
            raise SqlError("22P02", f'"{ch}" is not a valid hexadecimal digit')
    return "".join(format(int(ch, 16), "04b") for ch in s)


def apply_bit_typmod(oid: int, value, n: int, explicit: bool) -> str:
    """bit(bit, int4, bool) / varbit(varbit, int4, bool); an integer is bitfromint4/8's."""
    if isinstance(value, int):
        return format(value & ((1 << n) - 1), f"0{n}b") if n > 0 else ""
    if oid == O.BIT:
        if len(value) == n:
            return value
        if not explicit:
            raise SqlError("22026", f"bit string length {len(value)} does not match type bit({n})")
        return value[:n].ljust(n, "0")
    if len(value) <= n:
        return value
    if not explicit:
        raise SqlError("22001", f"bit string too long for type bit varying({n})")
    return value[:n]


def bits_to_int(bits: str, width: int) -> int:
    if len(bits) > width:
        raise SqlError("22003", "integer out of range" if width == 32 else "bigint out of range")
    v = int(bits, 2) if bits else 0
    return v - (1 << width) if v >= 1 << (width - 1) else v


def bits_send(bits: str) -> bytes:
    """bit_send: the length in bits (int4) and the bits packed from the high bit of each byte."""
    padded = bits.ljust((len(bits) + 7) // 8 * 8, "0")
    return len(bits).to_bytes(4, "big", signed=True) + int(padded or "0", 2).to_bytes(len(padded) // 8, "big")


def bits_recv(data: bytes) -> str:
    if len(data) < 4:
        raise SqlError("08P01", "insufficient data left in message")
    n = int.from_bytes(data[:4], "big", signed=True)
    body = data[4:]
    if n < 0 or n > MAX_BITS:
        raise SqlError("22P03", "invalid length in external bit string")
    if len(body) != (n + 7) // 8:
        raise SqlError("08P01", "insufficient data left in message" if len(body) < (n + 7) // 8
                       else "incorrect binary data format")
    return "".join(format(b, "08b") for b in body)[:n]
