"""Text I/O of the simple scalar types: bool, integers, floats, text-likes, bytea, uuid."""

from __future__ import annotations

import math
import re
import struct
import uuid as _uuid

from pgsvc.errors import SqlError

INT_RANGES = {"smallint": (-(1 << 15), (1 << 15) - 1), "integer": (-(1 << 31), (1 << 31) - 1),
              "bigint": (-(1 << 63), (1 << 63) - 1), "oid": (-(1 << 31), (1 << 32) - 1)}


def invalid_syntax(type_name: str, text: str) -> SqlError:
    return SqlError("22P02", f'invalid input syntax for type {type_name}: "{text}"')


# --- bool ----------------------------------------------------------------------------

def parse_bool(text: str) -> bool:
    s = text.strip().lower()
    if s:
        if "true".startswith(s) or "yes".startswith(s) or s in ("on", "1"):
            return True
        if "false".startswith(s) or "no".startswith(s) or s in ("off", "of", "0"):
            return False
    raise invalid_syntax("boolean", text)


def format_bool(value: bool) -> str:
    return "t" if value else "f"


# --- integers ------------------------------------------------------------------------

_INT = re.compile(r"\s*[+-]?\d+\s*", re.ASCII)


def parse_int(text: str, type_name: str = "integer") -> int:
    if not _INT.fullmatch(text):
        raise invalid_syntax(type_name, text)
    value = int(text)
    lo, hi = INT_RANGES[type_name]
    if not lo <= value <= hi:
        raise SqlError("22003", f'value "{text}" is out of range for type {type_name}')
    return value


def parse_oid(text: str) -> int:
    value = parse_int(text, "oid")
    return value & 0xFFFFFFFF


# --- floats --------------------------------------------------------------------------

_FLOAT = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*", re.ASCII)
_SPECIAL = {"nan": math.nan, "infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf,
            "inf": math.inf, "+inf": math.inf, "-inf": -math.inf}


def parse_float(text: str, type_name: str = "double precision") -> float:
    special = _SPECIAL.get(text.strip().lower())
    if special is not None:
        return special
    if not _FLOAT.fullmatch(text):
        raise invalid_syntax(type_name, text)
    value = float(text)
    if type_name == "real":
        if math.isinf(value) or (abs(value) > 3.4028234663852886e38 * (1 + 2 ** -25)):
            raise SqlError("22003", f'"{text.strip()}" is out of range for type real')
        value = to_float4(value)
        if value == 0.0 and _nonzero_digits(text):
            raise SqlError("22003", f'"{text.strip()}" is out of range for type real')
        return value
    if math.isinf(value) or (value == 0.0 and _nonzero_digits(text)):
        raise SqlError("22003", f'"{text.strip()}" is out of range for type double precision')
    return value


def _nonzero_digits(text: str) -> bool:
    mantissa = re.split(r"[eE]", text)[0]
    return any(c in "123456789" for c in mantissa)


def to_float4(value: float) -> float:
    try:
        return struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def _shortest_float4(value: float) -> str:
    for precision in range(1, 10):
        text = f"{value:.{precision - 1}e}"
        if to_float4(float(text)) == value:
            return text
    return f"{value:.9e}"


def format_float(value: float, extra_float_digits: int = 1, float4: bool = False) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if extra_float_digits <= 0:
        digits = (6 if float4 else 15) + extra_float_digits
        return _c_g_format(value, max(digits, 1))
    if value == 0.0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    if float4:
        sci = _shortest_float4(value)
    else:
        sci = repr(value)
        if "e" not in sci:
            sci = _to_sci(sci)
    return _pg_shortest(sci, 6 if float4 else 15)


def _to_sci(text: str) -> str:
    """'123.45' -> '1.2345e+02' keeping exactly the significant digits of `text`."""
    neg = text.startswith("-")
    t = text.lstrip("-")
    whole, _, frac = t.partition(".")
    digits = (whole + frac).lstrip("0")
    if whole.strip("0"):
        exp = len(whole.lstrip("0")) - 1
    else:
        exp = -(len(frac) - len(frac.lstrip("0")) + 1)
    digits = digits.rstrip("0") or "0"
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return ("-" if neg else "") + f"{mant}e{exp:+03d}"


def _pg_shortest(sci: str, dig: int) -> str:
    """Ryu-style shortest digits -> PostgreSQL's layout (exponent form below 1e-4 or at/above 1e<dig>)."""
    mant, _, exp_text = sci.partition("e")
    exp = int(exp_text)
    neg = mant.startswith("-")
    digits = mant.lstrip("-").replace(".", "").rstrip("0") or "0"
    sign = "-" if neg else ""
    if exp < -4 or exp >= dig:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{digits}"
    if len(digits) <= exp + 1:
        return sign + digits + "0" * (exp + 1 - len(digits))
    return f"{sign}{digits[:exp + 1]}.{digits[exp + 1:]}"


def _c_g_format(value: float, precision: int) -> str:
    """C's printf %.<p>g (Python's %g matches it, including the two-digit exponent)."""
    return f"{value:.{precision}g}"


# --- text-likes ----------------------------------------------------------------------

def truncate_name(text: str) -> str:
    raw = text.encode()
    if len(raw) <= 63:
        return text
    return raw[:63].decode(errors="ignore")


def parse_char(text: str) -> str:
    """charin: the first byte, or the byte a \\ooo octal escape names; held as charout prints
    it (a byte over 127 as \\ooo: 'é'::"char" is \\303, its UTF-8 lead byte)."""
    raw = text.encode()
    if len(raw) == 4 and raw[:1] == b"\\" and all(0x30 <= c <= 0x37 for c in raw[1:]):
        b = int(raw[1:], 8) & 0xFF
    else:
        b = raw[0] if raw else 0
    return "" if b == 0 else chr(b) if b < 128 else f"\\{b:03o}"


# --- bytea ---------------------------------------------------------------------------

def format_bytea(value: bytes, style: str = "hex") -> str:
    if style == "escape":
        return "".join(_escape_byte(b) for b in value)
    return "\\x" + bytes(value).hex()


def _escape_byte(b: int) -> str:
    if b == 0x5C:
        return "\\\\"
    if 0x20 <= b <= 0x7E:
        return chr(b)
    return f"\\{b:03o}"


def parse_bytea(text: str) -> bytes:
    if text.startswith("\\x"):
        return _parse_hex(text[2:])
    out = bytearray()
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "\\":
            out += c.encode()
            i += 1
        elif text[i + 1:i + 2] == "\\":
            out.append(0x5C)
            i += 2
        elif re.fullmatch(r"[0-3][0-7][0-7]", text[i + 1:i + 4]):
            out.append(int(text[i + 1:i + 4], 8))
            i += 4
        else:
            raise SqlError("22P02", "invalid input syntax for type bytea")
    return bytes(out)


def _parse_hex(body: str) -> bytes:
    out = bytearray()
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c in " \t\n\r":
            i += 1
            continue
        if c not in "0123456789abcdefABCDEF":
            raise SqlError("22023", f'invalid hexadecimal digit: "{c}"')
        if i + 1 >= n:
            raise SqlError("22023", "invalid hexadecimal data: odd number of digits")
        d = body[i + 1]
        if d not in "0123456789abcdefABCDEF":
            raise SqlError("22023", f'invalid hexadecimal digit: "{d}"')
        out.append(int(c + d, 16))
        i += 2
    return bytes(out)


# --- uuid ----------------------------------------------------------------------------

_UUID = re.compile(r"^\{?([0-9a-fA-F]{4}-?){7}[0-9a-fA-F]{4}\}?$")


def parse_uuid(text: str) -> _uuid.UUID:
    s = text.strip()
    if not _UUID.match(s) or (s.startswith("{") != s.endswith("}")) or s.startswith("-"):
        raise invalid_syntax("uuid", text)
    hexdigits = s.strip("{}").replace("-", "")
    if len(hexdigits) != 32:
        raise invalid_syntax("uuid", text)
    return _uuid.UUID(hex=hexdigits)


def format_uuid(value) -> str:
    return str(value) if isinstance(value, _uuid.UUID) else str(_uuid.UUID(str(value)))
