"""bit and bit varying: casts, operators and functions of utils/adt/varbit.c over the stored
form (the text of the digits, pgsvc.sql.types.bits): bit <-> varbit (binary coercible),
integer <-> bit (explicit: an integer gives the low-order bits of the length cast to,
sign-extended), comparisons (bit by bit, then the shorter first: the digits' text order),
|| (bit varying), & | # (22026 for lengths that differ), ~, << and >> (the length kept),
length, bit_length, octet_length, position, substring, overlay.
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.functions.signatures import CastSig, FuncSig, OperSig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.bits import bits_to_int

BIT, VARBIT, I4, I8, BOOL = O.BIT, O.VARBIT, O.INT4, O.INT8, O.BOOL


def bit_casts() -> list[CastSig]:
    return [
        CastSig(BIT, VARBIT, "i", "{0}"), CastSig(VARBIT, BIT, "i", "{0}"),
        # the integer itself: the length coercion (types.bits.apply_bit_typmod) takes its bits
        CastSig(I4, BIT, "e", "{0}"), CastSig(I8, BIT, "e", "{0}"),
        CastSig(BIT, I4, "e", "pgsvc_bit_to_int({0}, 32)"), CastSig(BIT, I8, "e", "pgsvc_bit_to_int({0}, 64)"),
    ]


def bit_operators() -> list[OperSig]:
    out = []
    for t in (BIT, VARBIT):
        for op in ("=", "<>", "<", "<=", ">", ">="):
            out.append(OperSig(op, t, t, BOOL, f"({{0}} {op} {{1}})"))
    out += [
        OperSig("||", VARBIT, VARBIT, VARBIT, "({0} || {1})"),
        OperSig("&", BIT, BIT, BIT, "pgsvc_bit_logic('&', {0}, {1})"),
        OperSig("|", BIT, BIT, BIT, "pgsvc_bit_logic('|', {0}, {1})"),
        OperSig("#", BIT, BIT, BIT, "pgsvc_bit_logic('#', {0}, {1})"),
        OperSig("~", 0, BIT, BIT, "pgsvc_bit_not({0})"),
        OperSig("<<", BIT, I4, BIT, "pgsvc_bit_shift({0}, {1})"),
        OperSig(">>", BIT, I4, BIT, "pgsvc_bit_shift({0}, -({1}))"),
    ]
    return out


def bit_sigs() -> list[FuncSig]:
    out = []
    for t in (BIT, VARBIT):
        out += [FuncSig("length", (t,), I4, "length({0})"),
                FuncSig("bit_length", (t,), I4, "length({0})"),
                FuncSig("octet_length", (t,), I4, "((length({0}) + 7) / 8)")]
    out += [FuncSig("position", (BIT, BIT), I4, "instr({0}, {1})"),
            FuncSig("substring", (BIT, I4, I4), BIT, "pgsvc_bit_substr({0}, {1}, {2})"),
            FuncSig("substring", (BIT, I4), BIT, "pgsvc_bit_substr({0}, {1}, NULL)"),
            FuncSig("overlay", (BIT, BIT, I4, I4), BIT, "pgsvc_overlay({0}, {1}, {2}, {3})"),
            FuncSig("overlay", (BIT, BIT, I4), BIT, "pgsvc_overlay({0}, {1}, {2}, NULL)")]
    return out


_LOGIC_WORDS = {"&": "AND", "|": "OR", "#": "XOR"}


def _logic(op: str, a: str, b: str) -> str:
    if len(a) != len(b):
        raise SqlError("22026", f"cannot {_LOGIC_WORDS[op]} bit strings of different sizes")
    if not a:
        return ""
    x, y = int(a, 2), int(b, 2)
    v = x & y if op == "&" else x | y if op == "|" else x ^ y
    return format(v, f"0{len(a)}b")


def _shift(bits: str, n: int) -> str:
    size = len(bits)
    if n >= 0:
        n = min(n, size)
        return bits[n:] + "0" * n
    n = min(-n, size)
    return "0" * n + bits[:size - n]


def _substr(bits: str, start: int, count: int | None) -> str:
    """bitsubstr: SQL's SUBSTRING semantics (a start before 1 eats into the count)."""
    if count is not None and count < 0:
        raise SqlError("22011", "negative substring length not allowed")
    end = len(bits) + 1 if count is None else start + count
    return bits[max(start, 1) - 1:max(end - 1, 0)]


def _strict(fn):
    def call(*args):
        return None if any(a is None for a in args) else fn(*args)
    return call


def make_udfs() -> dict:
    return {
        "pgsvc_bit_to_int": (2, _strict(bits_to_int)),
        "pgsvc_bit_logic": (3, _strict(_logic)),
        "pgsvc_bit_not": (1, _strict(lambda b: b.translate(_FLIP))),
        "pgsvc_bit_shift": (2, _strict(_shift)),
        "pgsvc_bit_substr": (3, lambda b, s, n: None if b is None or s is None else _substr(b, s, n)),
    }


_FLIP = str.maketrans("01", "10")
