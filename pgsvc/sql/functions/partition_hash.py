"""satisfies_hash_partition(parent, modulus, remainder, VARIADIC "any"): PostgreSQL's
hash partitioning, bit for bit, so that a row goes to the partition PostgreSQL would put
it in: each key value's extended hash (hashfn.c's lookup3 with the partition seed),
combined with hash_combine64, modulo the modulus.

Key values arrive in their stored forms: an integer (int2, int4, int8, bool: PostgreSQL's
hashes of these agree for every value that fits in 32 bits, and int8's hash is what the
wider ones need) or text (text, varchar: the hash of its UTF-8 bytes). The DDL refuses
hash partitioning on other types (commands.ddl.partitions).
"""

from __future__ import annotations

from pgsvc.errors import SqlError

from pgsvc.sql.functions.session_sigs import EXTRA_FUNCTIONS
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O

HASH_PARTITION_SEED = 0x7A5B22367996DCFD
HASHABLE = {O.INT2, O.INT4, O.INT8, O.TEXT, O.VARCHAR, O.BOOL}
_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF


def _rot(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _M32


def _mix(a: int, b: int, c: int) -> tuple[int, int, int]:
    a = (a - c) & _M32; a ^= _rot(c, 4); c = (c + b) & _M32  # noqa: E702
    b = (b - a) & _M32; b ^= _rot(a, 6); a = (a + c) & _M32  # noqa: E702
    c = (c - b) & _M32; c ^= _rot(b, 8); b = (b + a) & _M32  # noqa: E702
    a = (a - c) & _M32; a ^= _rot(c, 16); c = (c + b) & _M32  # noqa: E702
    b = (b - a) & _M32; b ^= _rot(a, 19); a = (a + c) & _M32  # noqa: E702
    c = (c - b) & _M32; c ^= _rot(b, 4); b = (b + a) & _M32  # noqa: E702
    return a, b, c


def _final(a: int, b: int, c: int) -> tuple[int, int, int]:
    c ^= b; c = (c - _rot(b, 14)) & _M32  # noqa: E702
    a ^= c; a = (a - _rot(c, 11)) & _M32  # noqa: E702
    b ^= a; b = (b - _rot(a, 25)) & _M32  # noqa: E702
    c ^= b; c = (c - _rot(b, 16)) & _M32  # noqa: E702
    a ^= c; a = (a - _rot(c, 4)) & _M32  # noqa: E702
    b ^= a; b = (b - _rot(a, 14)) & _M32  # noqa: E702
    c ^= b; c = (c - _rot(b, 24)) & _M32  # noqa: E702
    return a, b, c


def _seeded(length: int, seed: int) -> tuple[int, int, int]:
    a = b = c = (0x9E3779B9 + length + 3923095) & _M32
    if seed:
        a = (a + (seed >> 32)) & _M32
        b = (b + (seed & _M32)) & _M32
        a, b, c = _mix(a, b, c)
    return a, b, c


def hash_uint32_extended(k: int, seed: int) -> int:
    a, b, c = _seeded(4, seed)
    a = (a + (k & _M32)) & _M32
    a, b, c = _final(a, b, c)
    return (b << 32) | c


def hash_any_extended(data: bytes, seed: int) -> int:
    a, b, c = _seeded(len(data), seed)
    k, n = 0, len(data)
    while n >= 12:
        a = (a + int.from_bytes(data[k:k + 4], "little")) & _M32
        b = (b + int.from_bytes(data[k + 4:k + 8], "little")) & _M32
        c = (c + int.from_bytes(data[k + 8:k + 12], "little")) & _M32
        a, b, c = _mix(a, b, c)
        k += 12
        n -= 12
    rest = data[k:]
    if n >= 9:  # the lowest byte of c is reserved for the length
        c = (c + (int.from_bytes(rest[8:], "little") << 8)) & _M32
    if n >= 5:
        b = (b + int.from_bytes(rest[4:8], "little")) & _M32
    if n >= 1:
        a = (a + int.from_bytes(rest[:4], "little")) & _M32
    a, b, c = _final(a, b, c)
    return (b << 32) | c


def hash_int8_extended(v: int, seed: int) -> int:
    v &= _M64
    lo, hi = v & _M32, v >> 32
    lo ^= hi if v < (1 << 63) else (~hi & _M32)
    return hash_uint32_extended(lo, seed)


def _hash_combine64(a: int, b: int) -> int:
    return (a ^ ((b + 0x49A0F4DD15E5A8E3 + (a << 54) + (a >> 7)) & _M64)) & _M64


def satisfies_hash_partition(parent, modulus, remainder, *values) -> int | None:
    if parent is None or modulus is None or remainder is None:
        return 0  # false, as PostgreSQL's
    if int(modulus) <= 0:
        raise SqlError("22023", "modulus for hash partition must be an integer value greater than zero")
    if int(remainder) < 0:
        raise SqlError("22023", "remainder for hash partition must be an integer value greater than or equal to zero")
    if int(remainder) >= int(modulus):
        raise SqlError("22023", "remainder for hash partition must be less than modulus")
    row = 0
    for v in values:
        if v is None:
            continue
        if isinstance(v, str):
            h = hash_any_extended(v.encode(), HASH_PARTITION_SEED)
        elif isinstance(v, bytes):
            h = hash_any_extended(v, HASH_PARTITION_SEED)
        else:
            h = hash_int8_extended(int(v), HASH_PARTITION_SEED)
        row = _hash_combine64(row, h)
    return int(row % int(modulus) == int(remainder))


def hash_partition(modulus, remainder, flags, *values) -> int | None:
    """satisfies_hash_partition for a key with user operator classes (catalog.partitions'
    own_quals): a value flagged 'h' is already its class's extended hash (an int8 the
    class's support function returned for the partition seed), the others are hashed
    as satisfies_hash_partition hashes them."""
    if modulus is None or remainder is None:
        return None
    row = 0
    for f, v in zip(flags or "", values):
        if v is None:
            continue
        if f == "h":
            h = int(v) & _M64
        elif isinstance(v, str):
            h = hash_any_extended(v.encode(), HASH_PARTITION_SEED)
        elif isinstance(v, bytes):
            h = hash_any_extended(v, HASH_PARTITION_SEED)
        else:
            h = hash_int8_extended(int(v), HASH_PARTITION_SEED)
        row = _hash_combine64(row, h)
    return int(row % int(modulus) == int(remainder))


def make_udfs() -> dict:
    return {"pgsvc_satisfies_hash_partition": (-1, satisfies_hash_partition),
            "pgsvc_hash_partition": (-1, hash_partition)}


def _install_signature() -> None:
    sigs = EXTRA_FUNCTIONS.setdefault("satisfies_hash_partition", [])
    args = (O.OID, O.INT4, O.INT4, O.ANY_)
    if not any(s.arg_oids == args for s in sigs):
        sigs.append(FuncSig("satisfies_hash_partition", args, O.BOOL, "pgsvc_satisfies_hash_partition({args})",
                            "scalar", O.ANY_, False, "i"))
    sigs = EXTRA_FUNCTIONS.setdefault("pgsvc_hash_partition", [])
    args = (O.INT4, O.INT4, O.TEXT, O.ANY_)
    if not any(s.arg_oids == args for s in sigs):
        sigs.append(FuncSig("pgsvc_hash_partition", args, O.BOOL, "pgsvc_hash_partition({args})",
                            "scalar", O.ANY_, False, "i"))


_install_signature()

__all__ = ["satisfies_hash_partition", "hash_partition", "make_udfs", "HASHABLE", "hash_any_extended", "hash_uint32_extended"]
