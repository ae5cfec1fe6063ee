"""inet and cidr functions and operators of utils/adt/network.c over the stored form (the
canonical text, pgsvc.sql.types.network): host, masklen, netmask, hostmask, network,
broadcast, family, abbrev, set_masklen, inet_same_family, inet_merge; the order operators
(network_cmp, also the pg_inet collation ORDER BY uses), containment << <<= >> >>= &&,
~ & | and address arithmetic + - with PostgreSQL's errors; the inet <-> cidr casts; macaddr8's
comparisons and its casts to and from macaddr.
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.functions.signatures import CastSig, FuncSig, OperSig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.network import format_net, inet_parts, macaddr8_to_macaddr, macaddr_to_macaddr8

INET, CIDR, T, I4, I8, BOOL = O.INET, O.CIDR, O.TEXT, O.INT4, O.INT8, O.BOOL


def net_casts() -> list[CastSig]:
    return [CastSig(INET, CIDR, "a", "pgsvc_net_fn('cidr', {0}, NULL)"),
            CastSig(CIDR, INET, "i", "pgsvc_net_fn('inet', {0}, NULL)"),
            CastSig(O.MACADDR, O.MACADDR8, "i", "pgsvc_net_fn('mac8', {0}, NULL)"),
            CastSig(O.MACADDR8, O.MACADDR, "i", "pgsvc_net_fn('mac6', {0}, NULL)")]


def net_sigs() -> list[FuncSig]:
    def f(name, args, ret, fn=None):
        second = "{1}" if len(args) > 1 else "NULL"
        return FuncSig(name, tuple(args), ret, f"pgsvc_net_fn('{fn or name}', {{0}}, {second})")
    return [
        f("host", [INET], T), f("masklen", [INET], I4), f("netmask", [INET], INET), f("hostmask", [INET], INET),
        f("network", [INET], CIDR), f("broadcast", [INET], INET), f("family", [INET], I4),
        f("abbrev", [INET], T), f("abbrev", [CIDR], T, "abbrev_cidr"),
        f("set_masklen", [INET, I4], INET), f("set_masklen", [CIDR, I4], CIDR, "set_masklen_cidr"),
        f("inet_same_family", [INET, INET], BOOL), f("inet_merge", [INET, INET], CIDR),
        f("cidr", [INET], CIDR),
    ]


def net_operators() -> list[OperSig]:
    out = [OperSig(op, INET, INET, BOOL, f"({{0}} {op} ({{1}}) COLLATE pg_inet)") for op in ("<", "<=", ">", ">=")]
    # macaddr8: eight fixed-width lower-case hex bytes, ordered as their text
    out += [OperSig(op, O.MACADDR8, O.MACADDR8, BOOL, f"({{0}} {op} {{1}})") for op in ("=", "<>", "<", "<=", ">", ">=")]
    for op, fn in (("<<", "sub"), ("<<=", "subeq"), (">>", "sup"), (">>=", "supeq"), ("&&", "overlap")):
        out.append(OperSig(op, INET, INET, BOOL, f"pgsvc_net_fn('{fn}', {{0}}, {{1}})"))
    out += [
        OperSig("~", 0, INET, INET, "pgsvc_net_fn('not', {0}, NULL)"),
        OperSig("&", INET, INET, INET, "pgsvc_net_fn('and', {0}, {1})"),
        OperSig("|", INET, INET, INET, "pgsvc_net_fn('or', {0}, {1})"),
        OperSig("+", INET, I8, INET, "pgsvc_net_fn('plus', {0}, {1})"),
        OperSig("+", I8, INET, INET, "pgsvc_net_fn('plus', {1}, {0})"),
        OperSig("-", INET, I8, INET, "pgsvc_net_fn('minus', {0}, {1})"),
        OperSig("-", INET, INET, I8, "pgsvc_net_fn('diff', {0}, {1})"),
    ]
    return out


def _bad(msg: str) -> SqlError:
    return SqlError("22023", msg)


def _mask(size: int, bits: int) -> int:
    return ((1 << bits) - 1) << (size - bits) if bits else 0


def _num(text: str) -> tuple[int, int, int]:
    addr, bits = inet_parts(text)
    return int.from_bytes(addr, "big"), bits, len(addr) * 8


def _out(value: int, bits: int, size: int, cidr: bool = False) -> str:
    return format_net(value.to_bytes(size // 8, "big"), bits, cidr)


def _v4_cidr_abbrev(addr: bytes, bits: int) -> str:
    """inet_cidr_ntop_ipv4: whole octets, the partial one masked, then /bits."""
    parts = [str(b) for b in addr[:bits // 8]]
    if bits % 8:
        parts.append(str(addr[bits // 8] & (((1 << (bits % 8)) - 1) << (8 - bits % 8))))
    return (".".join(parts) or "0") + f"/{bits}"


def _v6_cidr_abbrev(src: bytes, bits: int) -> str:
    """inet_cidr_ntop_ipv6, ported as it is (its zero-run search included)."""
    if bits == 0:
        return f"::/{bits}"
    p = (bits + 7) // 8
    buf = bytearray(src[:p]) + bytearray(16 - p)
    if bits % 8:
        buf[p - 1] &= (0xFF << (8 - bits % 8)) & 0xFF
    words = max((bits + 15) // 16, 2)
    zero_s = zero_l = tmp_s = tmp_l = 0
    for i in range(0, words * 2, 2):
        if buf[i] | buf[i + 1] == 0:
            if tmp_l == 0:
                tmp_s = i // 2
            tmp_l += 1
        elif tmp_l and zero_l < tmp_l:
            zero_s, zero_l, tmp_l = tmp_s, tmp_l, 0
    if tmp_l and zero_l < tmp_l:
        zero_s, zero_l = tmp_s, tmp_l
    is_v4 = zero_l != words and zero_s == 0 and (zero_l == 6 or (zero_l == 5 and buf[10] == 0xFF and buf[11] == 0xFF))
    out, s = "", 0
    for w in range(words):
        if zero_l and zero_s <= w < zero_s + zero_l:
            if w == zero_s:
                out += ":"
            if w == words - 1:
                out += ":"
            s += 1
            continue
        if is_v4 and w > 5:
            out += (":" if w == 6 else ".") + str(buf[w * 2])
            if w != 7 or bits > 120:
                out += "." + str(buf[w * 2 + 1])
        else:
            if len(out) != s:
                out += ":"
            out += f"{buf[w * 2] << 8 | buf[w * 2 + 1]:x}"
    return out + f"/{bits}"


def _contains(a: str, b: str, strict: bool) -> bool:
    """a within b (network_sub / network_subeq)."""
    va, ba, sa = _num(a)
    vb, bb, sb = _num(b)
    if sa != sb or ba < bb or (strict and ba == bb):
        return False
    return va >> (sa - bb) == vb >> (sb - bb) if bb else True


def _binary(op: str, a: str, b: str) -> str:
    va, ba, sa = _num(a)
    vb, bb, sb = _num(b)
    if sa != sb:
        raise _bad(f"cannot {op} inet values of different sizes")
    return _out(va & vb if op == "AND" else va | vb, max(ba, bb), sa)


def _add(a: str, n: int) -> str:
    va, ba, sa = _num(a)
    v = va + n
    if not 0 <= v < 1 << sa:
        raise SqlError("22003", "result is out of range")
    return _out(v, ba, sa)


def _diff(a: str, b: str) -> int:
    va, _, sa = _num(a)
    vb, _, sb = _num(b)
    if sa != sb:
        raise _bad("cannot subtract inet values of different sizes")
    d = va - vb
    if not -2**63 <= d < 2**63:
        raise SqlError("22003", "result is out of range")
    return d


def _set_masklen(a: str, n: int, cidr: bool) -> str:
    va, _, sa = _num(a)
    if n == -1:
        n = sa
    if not 0 <= n <= sa:
        raise _bad(f"invalid mask length: {n}")
    return _out(va & _mask(sa, n) if cidr else va, n, sa, cidr)


def _merge(a: str, b: str) -> str:
    va, ba, sa = _num(a)
    vb, bb, sb = _num(b)
    if sa != sb:
        raise _bad("cannot merge addresses from different families")
    n = min(ba, bb)
    while n and va >> (sa - n) != vb >> (sa - n):
        n -= 1
    return _out(va & _mask(sa, n), n, sa, True)


def _one(fn: str, a: str):
    if fn == "mac8":
        return macaddr_to_macaddr8(a)
    if fn == "mac6":
        return macaddr8_to_macaddr(a)
    v, bits, size = _num(a)
    if fn == "host":
        return _out(v, size, size)
    if fn == "masklen":
        return bits
    if fn == "netmask":
        return _out(_mask(size, bits), size, size)
    if fn == "hostmask":
        return _out(((1 << size) - 1) ^ _mask(size, bits), size, size)
    if fn in ("network", "cidr"):
        return _out(v & _mask(size, bits), bits, size, True)
    if fn == "broadcast":
        return _out(v | (((1 << size) - 1) ^ _mask(size, bits)), bits, size)
    if fn == "family":
        return 4 if size == 32 else 6
    if fn in ("abbrev", "inet"):
        return _out(v, bits, size)
    if fn == "abbrev_cidr":
        addr = v.to_bytes(size // 8, "big")
        return _v4_cidr_abbrev(addr, bits) if size == 32 else _v6_cidr_abbrev(addr, bits)
    if fn == "not":
        return _out(((1 << size) - 1) ^ v, bits, size)
    raise _bad(f"unknown inet function {fn}")


_TWO = {
    "sub": lambda a, b: _contains(a, b, True), "subeq": lambda a, b: _contains(a, b, False),
    "sup": lambda a, b: _contains(b, a, True), "supeq": lambda a, b: _contains(b, a, False),
    "overlap": lambda a, b: _contains(a, b, False) or _contains(b, a, False),
    "and": lambda a, b: _binary("AND", a, b), "or": lambda a, b: _binary("OR", a, b),
    "plus": _add, "minus": lambda a, n: _add(a, -n), "diff": _diff,
    "set_masklen": lambda a, n: _set_masklen(a, n, False), "set_masklen_cidr": lambda a, n: _set_masklen(a, n, True),
    "inet_same_family": lambda a, b: len(inet_parts(a)[0]) == len(inet_parts(b)[0]), "inet_merge": _merge,
}


def _net_fn(fn, a, b):
    if a is None:
        return None
    if fn in _TWO:
        if b is None:
            return None
        out = _TWO[fn](a, b)
        return int(out) if isinstance(out, bool) else out
    return _one(fn, a)


def make_udfs() -> dict:
    return {"pgsvc_net_fn": (3, _net_fn)}
