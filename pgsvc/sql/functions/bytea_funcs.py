"""Byte and bit access as utils/adt/varlena.c and varbit.c give it: get_byte / set_byte,
get_bit / set_bit and bit_count over bytea (bits numbered from the low bit of each byte)
and over bit strings (numbered from the left), OVERLAY ... PLACING for bytea and text,
md5 and the sha2 family over bytea; PostgreSQL's errors (2202E for an index out of range,
22023 for a bit that is neither 0 nor 1, 22011 for a negative length).

bytea is stored as a BLOB; bit and varbit as the text of their digits.
"""

from __future__ import annotations

import hashlib

from pgsvc.errors import SqlError
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O

T, I4, I8, BY, BIT, VARBIT = O.TEXT, O.INT4, O.INT8, O.BYTEA, O.BIT, O.VARBIT
_INT4_MAX = 2**31 - 1


def bytea_sigs() -> list[FuncSig]:
    out = [
        FuncSig("get_byte", (BY, I4), I4, "pgsvc_get_byte({0}, {1})"),
        FuncSig("set_byte", (BY, I4, I4), BY, "pgsvc_set_byte({0}, {1}, {2})"),
        FuncSig("get_bit", (BY, I8), I4, "pgsvc_get_bit({0}, {1})"),
        FuncSig("set_bit", (BY, I8, I4), BY, "pgsvc_set_bit({0}, {1}, {2})"),
        FuncSig("bit_count", (BY,), I8, "pgsvc_bit_count({0})"),
        FuncSig("md5", (BY,), T, "pgsvc_md5_bytea({0})"),
        FuncSig("overlay", (BY, BY, I4, I4), BY, "pgsvc_overlay({0}, {1}, {2}, {3})"),
        FuncSig("overlay", (BY, BY, I4), BY, "pgsvc_overlay({0}, {1}, {2}, NULL)"),
        FuncSig("overlay", (T, T, I4, I4), T, "pgsvc_overlay({0}, {1}, {2}, {3})"),
        FuncSig("overlay", (T, T, I4), T, "pgsvc_overlay({0}, {1}, {2}, NULL)"),
    ]
    out += [FuncSig(name, (BY,), BY, f"pgsvc_{name}({{0}})") for name in ("sha224", "sha256", "sha384", "sha512")]
    for typ in (BIT, VARBIT):  # PostgreSQL's take bit (varbit is binary-coercible to it): bit out
        out += [FuncSig("get_bit", (typ, I4), I4, "pgsvc_get_bit_string({0}, {1})"),
                FuncSig("set_bit", (typ, I4, I4), BIT, "pgsvc_set_bit_string({0}, {1}, {2})"),
                FuncSig("bit_count", (typ,), I8, "pgsvc_bit_count_string({0})")]
    return out


def _index_error(n: int, size: int) -> SqlError:
    return SqlError("2202E", f"index {n} out of valid range, 0..{size - 1}")


def get_byte(data, n):
    data = bytes(data)
    if not 0 <= n < len(data):
        raise _index_error(n, len(data))
    return data[n]


def set_byte(data, n, value):
    data = bytearray(data)
    if not 0 <= n < len(data):
        raise _index_error(n, len(data))
    data[n] = value & 0xFF  # stored through an unsigned char, as byteaSetByte does
    return bytes(data)


def get_bit(data, n):
    data = bytes(data)
    if not 0 <= n < len(data) * 8:
        raise _index_error(n, len(data) * 8)
    return (data[n // 8] >> (n % 8)) & 1


def _new_bit(value) -> int:
    if value not in (0, 1):
        raise SqlError("22023", "new bit must be 0 or 1")
    return value


def set_bit(data, n, value):
    data = bytearray(data)
    if not 0 <= n < len(data) * 8:
        raise _index_error(n, len(data) * 8)
    if _new_bit(value):
        data[n // 8] |= 1 << (n % 8)
    else:
        data[n // 8] &= ~(1 << (n % 8)) & 0xFF
    return bytes(data)


def _bit_index_error(n: int, size: int) -> SqlError:
    return SqlError("2202E", f"bit index {n} out of valid range (0..{size - 1})")


def get_bit_string(bits: str, n):
    if not 0 <= n < len(bits):
        raise _bit_index_error(n, len(bits))
    return int(bits[n])


def set_bit_string(bits: str, n, value):
    if not 0 <= n < len(bits):
        raise _bit_index_error(n, len(bits))
    return bits[:n] + str(_new_bit(value)) + bits[n + 1:]


def overlay(s1, s2, start, count):
    """OVERLAY(s1 PLACING s2 FROM start [FOR count]): byteaoverlay / text_overlay."""
    if count is None:
        count = len(s2)
    if start + count > _INT4_MAX:
        raise SqlError("22003", "integer out of range")
    if start <= 0:
        raise SqlError("22011", "negative substring length not allowed")
    return s1[:start - 1] + s2 + s1[max(start - 1 + count, 0):]


def _strict(fn):
    def call(*args):
        return None if any(a is None for a in args) else fn(*args)
    return call


def _overlay_udf(s1, s2, start, count):
    if s1 is None or s2 is None or start is None:
        return None
    if isinstance(s1, (bytes, bytearray, memoryview)):
        return bytes(overlay(bytes(s1), bytes(s2), start, count))
    return overlay(s1, s2, start, count)


def make_udfs() -> dict:
    udfs = {
        "pgsvc_get_byte": (2, _strict(get_byte)),
        "pgsvc_set_byte": (3, _strict(set_byte)),
        "pgsvc_get_bit": (2, _strict(get_bit)),
        "pgsvc_set_bit": (3, _strict(set_bit)),
        "pgsvc_bit_count": (1, _strict(lambda d: sum(bin(b).count("1") for b in bytes(d)))),
        "pgsvc_md5_bytea": (1, _strict(lambda d: hashlib.md5(bytes(d)).hexdigest())),
        "pgsvc_overlay": (4, _overlay_udf),
        "pgsvc_get_bit_string": (2, _strict(get_bit_string)),
        "pgsvc_set_bit_string": (3, _strict(set_bit_string)),
        "pgsvc_bit_count_string": (1, _strict(lambda bits: bits.count("1"))),
    }
    for name in ("sha224", "sha256", "sha384", "sha512"):
        udfs[f"pgsvc_{name}"] = (1, _strict(_digest(name)))
    return udfs


def _digest(name: str):
    algorithm = getattr(hashlib, name)
    return lambda data: algorithm(bytes(data)).digest()
