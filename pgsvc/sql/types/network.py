"""inet, cidr and macaddr as utils/adt/network.c, inet_net_pton.c, inet_cidr_ntop.c and
mac.c read and print them, with their send/recv forms. A value is held as its canonical text
(they were stored as the text the client sent: 'abc'::inet was accepted, '10.1'::cidr not
widened to 10.1.0.0/16, '10.1.2.3/8'::cidr not refused).

cidr's hexadecimal input ('0x0a') is refused with 0A000.
"""

from __future__ import annotations

import ipaddress
import re
import struct

from pgsvc.errors import SqlError
from pgsvc.sql.types import oids as O

_AF_INET, _AF_INET6 = 2, 3  # PGSQL_AF_INET, PGSQL_AF_INET6
_V4_OCTETS = re.compile(r"(\d+(?:\.\d+)*)(?:/(\d+))?\Z")


def _syntax(name: str, text: str) -> SqlError:
    return SqlError("22P02", f'invalid input syntax for type {name}: "{text}"')


def _parse_v4(text: str, cidr: bool) -> tuple[bytes, int]:
    """inet_net_pton_ipv4 (inet) and inet_cidr_pton_ipv4 (cidr): decimal octets, an
    optional /bits; cidr infers the width of an abbreviated address from its class."""
    name = "cidr" if cidr else "inet"
    if cidr and text[:2].lower() == "0x":
        raise SqlError("0A000", "hexadecimal cidr input is not supported")
    m = _V4_OCTETS.match(text)
    if m is None:
        raise _syntax(name, text)
    octets = [int(p) for p in m.group(1).split(".")]
    if any(o > 255 for o in octets) or len(octets) > 4:
        raise _syntax(name, text)
    bits = int(m.group(2)) if m.group(2) is not None else -1
    if bits > 32:
        raise _syntax(name, text)
    if not cidr:
        if bits == -1:
            if len(octets) != 4:
                raise _syntax(name, text)
            bits = 32
        if bits // 8 > len(octets):
            raise _syntax(name, text)
    elif bits == -1:
        first = octets[0]
        bits = 32 if first >= 240 else 8 if first >= 224 else 24 if first >= 192 else 16 if first >= 128 else 8
        bits = max(bits, len(octets) * 8)
        if bits == 8 and first == 224:
            bits = 4
    return bytes(octets + [0] * (4 - len(octets))), bits


def _parse_v6(text: str, cidr: bool) -> tuple[bytes, int]:
    name = "cidr" if cidr else "inet"
    addr, slash, width = text.partition("/")
    if "%" in addr or not addr or addr.strip() != addr:
        raise _syntax(name, text)
    try:
        packed = ipaddress.IPv6Address(addr).packed
    except ValueError:
        raise _syntax(name, text) from None
    bits = 128
    if slash:
        if not width.isascii() or not width.isdigit() or int(width) > 128:
            raise _syntax(name, text)
        bits = int(width)
    return packed, bits


def _host_bits_clear(addr: bytes, bits: int) -> bool:
    """addressOK: no bit set right of the mask."""
    value = int.from_bytes(addr, "big")
    host = len(addr) * 8 - bits
    return value & ((1 << host) - 1) == 0 if host else True


def parse(text: str, cidr: bool) -> tuple[bytes, int]:
    """network_in: (address bytes, mask length)."""
    addr, bits = _parse_v6(text, cidr) if ":" in text else _parse_v4(text, cidr)
    if cidr and not _host_bits_clear(addr, bits):
        raise SqlError("22P02", f'invalid cidr value: "{text}"', detail="Value has bits set to right of mask.")
    return addr, bits


def _v6_text(addr: bytes) -> str:
    """inet_net_ntop_ipv6: the longest run of zero words (two or more) as '::', an
    encapsulated IPv4 address in dotted form."""
    words = [int.from_bytes(addr[i:i + 2], "big") for i in range(0, 16, 2)]
    best_base, best_len, cur_base, cur_len = -1, 0, -1, 0
    for i, w in enumerate(words + [1]):
        if w == 0 and i < 8:
            if cur_base == -1:
                cur_base, cur_len = i, 1
            else:
                cur_len += 1
        elif cur_base != -1:
            if best_base == -1 or cur_len > best_len:
                best_base, best_len = cur_base, cur_len
            cur_base = -1
    if best_base != -1 and best_len < 2:
        best_base = -1
    out = []
    i = 0
    while i < 8:
        if best_base != -1 and best_base <= i < best_base + best_len:
            if i == best_base:
                out.append(":")
            i += 1
            continue
        if i:
            out.append(":")
        if i == 6 and best_base == 0 and (best_len == 6 or (best_len == 7 and words[7] != 1)
                                          or (best_len == 5 and words[5] == 0xFFFF)):
            out.append(".".join(str(b) for b in addr[12:]))
            break
        out.append(f"{words[i]:x}")
        i += 1
    if best_base != -1 and best_base + best_len == 8:
        out.append(":")
    return "".join(out)


def format_net(addr: bytes, bits: int, cidr: bool) -> str:
    """inet_out / cidr_out: the mask length shown unless it is the whole address (always
    for cidr)."""
    text = ".".join(str(b) for b in addr) if len(addr) == 4 else _v6_text(addr)
    if cidr or bits != len(addr) * 8:
        text += f"/{bits}"
    return text


def net_in(oid: int):
    cidr = oid == O.CIDR
    return lambda text: format_net(*parse(text, cidr), cidr)


def _parse_canonical(text: str) -> tuple[bytes, int]:
    addr, _, bits = text.partition("/")
    packed = ipaddress.ip_address(addr).packed
    return packed, int(bits) if bits else len(packed) * 8


def net_send(oid: int):
    """inet_send: family, bits, is_cidr, address length, address."""
    cidr = 1 if oid == O.CIDR else 0

    def send(value: str) -> bytes:
        addr, bits = _parse_canonical(value)
        family = _AF_INET if len(addr) == 4 else _AF_INET6
        return struct.pack("!BBBB", family, bits, cidr, len(addr)) + addr
    return send


def net_recv(oid: int):
    cidr = oid == O.CIDR
    name = "cidr" if cidr else "inet"

    def recv(data: bytes, typmod: int = -1) -> str:
        data = bytes(data)
        if len(data) < 4:
            raise SqlError("08P01", "insufficient data left in message")
        family, bits, _is_cidr, nb = data[:4]
        if family not in (_AF_INET, _AF_INET6):
            raise SqlError("22P03", f'invalid address family in external "{name}" value')
        size = 4 if family == _AF_INET else 16
        if bits > size * 8:
            raise SqlError("22P03", f'invalid bits in external "{name}" value')
        if nb != size:
            raise SqlError("22P03", f'invalid length in external "{name}" value')
        if len(data) < 4 + nb:
            raise SqlError("08P01", "insufficient data left in message")
        if len(data) > 4 + nb:
            raise SqlError("22P03", "incorrect binary data format")
        addr = data[4:]
        if cidr and not _host_bits_clear(addr, bits):
            raise SqlError("22P03", 'invalid external "cidr" value',
                           detail="Value has bits set to right of mask.")
        return format_net(addr, bits, cidr)
    return recv


# --- macaddr -----------------------------------------------------------------------------------

_HEX = r"\s*([0-9A-Fa-f]+)"
_H2 = r"([0-9A-Fa-f]{1,2})"
_MAC_FORMS = [
    re.compile(":".join([_HEX] * 6) + r"\s*\Z"), re.compile("-".join([_HEX] * 6) + r"\s*\Z"),
    re.compile(r"\s*" + _H2 * 3 + ":" + _H2 * 3 + r"\s*\Z"), re.compile(r"\s*" + _H2 * 3 + "-" + _H2 * 3 + r"\s*\Z"),
    re.compile(r"\s*" + _H2 * 2 + r"\." + _H2 * 2 + r"\." + _H2 * 2 + r"\s*\Z"),
    re.compile(r"\s*" + _H2 * 2 + "-" + _H2 * 2 + "-" + _H2 * 2 + r"\s*\Z"),
    re.compile(r"\s*" + _H2 * 6 + r"\s*\Z"),
]


def macaddr_in(text: str) -> str:
    """macaddr_in's seven sscanf forms; an octet over 255 is its own error."""
    for form in _MAC_FORMS:
        m = form.match(text)
        if m is not None and all(len(g) <= 2 or g.lstrip("0") for g in m.groups()):
            octets = [int(g, 16) for g in m.groups()]
            if any(o > 255 for o in octets):
                raise SqlError("22003", f'invalid octet value in "macaddr" value: "{text}"')
            return ":".join(f"{o:02x}" for o in octets)
    raise _syntax("macaddr", text)


def macaddr_send(value: str) -> bytes:
    return bytes(int(p, 16) for p in value.split(":"))


def macaddr_recv(data: bytes, typmod: int = -1) -> str:
    data = bytes(data)
    if len(data) < 6:
        raise SqlError("08P01", "insufficient data left in message")
    if len(data) > 6:
        raise SqlError("22P03", "incorrect binary data format")
    return ":".join(f"{b:02x}" for b in data)


# --- the stored form taken apart, and network_cmp's order -------------------------------------

def inet_parts(text: str) -> tuple[bytes, int]:
    """(address bytes, mask length) of a stored inet or cidr (its canonical text)."""
    return _parse_canonical(text)


def _cmp_key(text: str) -> tuple[int, bytes, int]:
    addr, bits = _parse_canonical(text)
    return len(addr), addr, bits


def collate_inet(a: str, b: str) -> int:
    """network_cmp: IPv4 before IPv6, then the network part over the shorter mask, then the
    mask length, then the whole address."""
    if a == b:
        return 0
    try:
        fa, aa, ba = _cmp_key(a)
        fb, ab, bb = _cmp_key(b)
    except ValueError:  # not in the stored form: as text
        return -1 if a < b else 1
    if fa != fb:
        return -1 if fa < fb else 1
    n = min(ba, bb)
    size = fa * 8
    va, vb = int.from_bytes(aa, "big"), int.from_bytes(ab, "big")
    pa, pb = va >> (size - n), vb >> (size - n)
    if pa != pb:
        return -1 if pa < pb else 1
    if ba != bb:
        return -1 if ba < bb else 1
    return (va > vb) - (va < vb)


# --- macaddr8 ----------------------------------------------------------------------------------

def macaddr8_in(text: str) -> str:
    """macaddr8_in: pairs of hex digits, each optionally followed by one kind of separator
    (':', '-' or '.'), 6 bytes (widened with ff:fe in the middle, as EUI-64) or 8; spaces
    before, and after the last byte only."""
    data = text.encode("utf-8", "surrogatepass")
    i, out, spacer = 0, [], None
    while i < len(data) and data[i:i + 1].isspace():
        i += 1
    while i + 1 < len(data):
        pair = data[i:i + 2]
        if len(out) == 8 or not all(c in b"0123456789abcdefABCDEF" for c in pair):
            raise _syntax("macaddr8", text)
        out.append(int(pair, 16))
        i += 2
        if data[i:i + 1] in (b":", b"-", b"."):
            if spacer is None:
                spacer = data[i:i + 1]
            elif spacer != data[i:i + 1]:
                raise _syntax("macaddr8", text)
            i += 1
        if len(out) in (6, 8) and data[i:i + 1].isspace():
            if data[i:].strip():
                raise _syntax("macaddr8", text)
            break
    if len(out) == 6:
        out = out[:3] + [0xFF, 0xFE] + out[3:]
    elif len(out) != 8:
        raise _syntax("macaddr8", text)
    return ":".join(f"{b:02x}" for b in out)


def macaddr8_to_macaddr(value: str) -> str:
    parts = value.split(":")
    if parts[3] != "ff" or parts[4] != "fe":
        raise SqlError("22003", "macaddr8 data out of range to convert to macaddr",
                       hint="Only addresses that have FF and FE as values in the 4th and 5th bytes from the "
                            "left, for example xx:xx:xx:ff:fe:xx:xx:xx, are eligible to be converted from "
                            "macaddr8 to macaddr.")
    return ":".join(parts[:3] + parts[5:])


def macaddr_to_macaddr8(value: str) -> str:
    parts = value.split(":")
    return ":".join(parts[:3] + ["ff", "fe"] + parts[3:])


def macaddr8_send(value: str) -> bytes:
    return bytes(int(p, 16) for p in value.split(":"))


def macaddr8_recv(data: bytes, typmod: int = -1) -> str:
    data = bytes(data)
    if len(data) not in (6, 8):
        raise SqlError("22P03", "invalid external \"macaddr8\" value")
    return macaddr8_in(data.hex(":"))
