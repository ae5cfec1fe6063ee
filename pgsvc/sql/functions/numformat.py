"""to_char for numbers and to_number: PostgreSQL's numeric template patterns (9, 0, '.',
',', D, G, S, PL, MI, SG, PR, L, V, EEEE, RN, TH, FM) with its layout rules: a digit
position left of the number prints a space (or '0' from the first 0 on), the sign sits
just before the first printed digit, FM drops the padding and insignificant trailing
zeros, and a number wider than the picture prints as '#'s.

lc_numeric and lc_monetary are C: '.' decimal point, ',' group separator, ' ' currency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from pgsvc.errors import SqlError
from pgsvc.sql.functions.fmt_template import Node, ordinal_suffix, parse_number_template

DECIMAL_POINT = "."
GROUP_SEPARATOR = ","
CURRENCY = " "  # C locale: no currency symbol, PostgreSQL prints a space


@dataclass
class Picture:
    """What the template says about the number (PostgreSQL's NUMDesc)."""
    pre: int = 0  # digit positions before the decimal point
    post: int = 0  # after it
    multi: int = 0  # V: digits after V (multiply by 10**multi)
    zero_start: int = 0  # 1-based position of the first '0' before the point (0: none)
    zero_end: int = 0
    decimal: bool = False
    fill: bool = False  # FM
    zero: bool = False
    lsign: str = ""  # S: 'pre' / 'post'
    pre_lsign_num: int = 0
    minus: bool = False  # MI
    plus: bool = False  # PL
    minus_post: bool = False
    plus_post: bool = False
    bracket: bool = False  # PR
    roman: bool = False
    eeee: bool = False
    is_multi: bool = False


def _syntax(message: str, detail: str | None = None) -> SqlError:
    return SqlError("42601", message, detail=detail)


def describe(nodes: tuple[Node, ...]) -> Picture:
    p = Picture()
    for node in nodes:
        if node.kind == "key":
            _describe_key(p, node.text.upper())
    if p.eeee and (p.fill or p.lsign or p.bracket or p.minus or p.plus or p.roman or p.is_multi):
        raise _syntax('"EEEE" is incompatible with other formats',
                      '"EEEE" may only be used together with digit and decimal point patterns.')
    return p


def _describe_key(p: Picture, key: str) -> None:
    if p.eeee:
        raise _syntax('"EEEE" must be the last pattern used')
    if key in ("9", "0"):
        if p.bracket:
            raise _syntax(f'"{key}" must be ahead of "PR"')
        if key == "0":
            if not p.zero and not p.decimal:
                p.zero, p.zero_start = True, p.pre + 1
        elif p.is_multi:
            p.multi += 1
            return
        if p.decimal:
            p.post += 1
        else:
            p.pre += 1
        if key == "0":
            p.zero_end = p.pre + p.post
    elif key in (".", "D"):
        if p.decimal:
            raise _syntax("multiple decimal points")
        if p.is_multi:
            raise _syntax('cannot use "V" and decimal point together')
        p.decimal = True
    elif key == "FM":
        p.fill = True
    elif key == "S":
        if p.lsign:
            raise _syntax('cannot use "S" twice')
        if p.plus or p.minus or p.bracket:
            raise _syntax('cannot use "S" and "PL"/"MI"/"SG"/"PR" together')
        if not p.decimal:
            p.lsign, p.pre_lsign_num = "pre", p.pre
        else:
            p.lsign = "post"
    elif key == "MI":
        if p.lsign:
            raise _syntax('cannot use "S" and "MI" together')
        p.minus, p.minus_post = True, p.decimal
    elif key == "PL":
        if p.lsign:
            raise _syntax('cannot use "S" and "PL" together')
        p.plus, p.plus_post = True, p.decimal
    elif key == "SG":
        if p.lsign:
            raise _syntax('cannot use "S" and "SG" together')
        p.minus = p.plus = True
    elif key == "PR":
        if p.lsign or p.plus or p.minus:
            raise _syntax('cannot use "PR" and "S"/"PL"/"MI"/"SG" together')
        p.bracket = True
    elif key == "RN":
        p.roman = True
    elif key == "V":
        if p.decimal:
            raise _syntax('cannot use "V" and decimal point together')
        p.is_multi = True
    elif key == "EEEE":
        if p.eeee:
            raise _syntax('cannot use "EEEE" twice')
        p.eeee = True


# --- turning the value into digits -------------------------------------------------------

def _hashes(p: Picture) -> str:
    """The overflow text: '#' for every digit position, '.' where the point goes."""
    return "#" * p.pre + "." + "#" * p.post


def _fit(p: Picture, digits: str) -> tuple[str, int]:
    """(number text, spaces before it) for the picture, or '#'s if it is too wide."""
    pre_len = digits.index(".") if "." in digits else len(digits)
    if pre_len < p.pre:
        return digits, p.pre - pre_len
    if pre_len > p.pre:
        return _hashes(p), 0
    return digits, 0


def roman(n: int) -> str:
    if not 1 <= n <= 3999:
        return "#" * 15
    out = []
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        count, n = divmod(n, value)
        out.append(letters * count)
    return "".join(out)


def _sci(value: Decimal, post: int) -> str:
    """numeric in 'd.ddde+XX' form with `post` fraction digits (PostgreSQL's numeric_out_sci)."""
    if value.is_nan():
        return "NaN"
    if value.is_infinite():
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_zero():
        exp = 0
    else:
        exp = value.adjusted()
    with localcontext() as c:
        c.prec = 1000
        # a carry from rounding (9.996 -> 10.00) is not renormalised, as in PostgreSQL
        mant = (value.scaleb(-exp)).quantize(Decimal(1).scaleb(-post), rounding=ROUND_HALF_UP)
    return f"{mant:f}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _eeee_nonfinite(p: Picture) -> str:
    text = list("#" * (p.pre + p.post + 6))
    text[0] = " "
    text[p.pre + 1] = "."
    return "".join(text)


def _signed(text: str) -> tuple[str, str]:
    return ("-", text[1:]) if text.startswith("-") else ("+", text)


def numeric_digits(value: Decimal, p: Picture) -> tuple[str, str, int]:
    """(sign, number text, leading spaces) for a numeric (or integer) value."""
    if p.roman:
        n = int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)) if value.is_finite() else 0
        if not -2**31 <= n < 2**31:
            raise SqlError("22003", "integer out of range")  # RN reads the value as an int4
        return _roman_digits(n)
    if p.eeee:
        text = _sci(value, p.post)
        if text in ("NaN", "Infinity", "-Infinity"):
            return "+", _eeee_nonfinite(p), 0
        return "+", (text if text.startswith("-") else " " + text), 0
    if p.is_multi:
        value = value.scaleb(p.multi)
        p.pre += p.multi
    with localcontext() as c:
        c.prec = 1000
        if value.is_finite():
            value = value.quantize(Decimal(1).scaleb(-p.post), rounding=ROUND_HALF_UP)
            if value.is_zero():
                value = value.copy_abs()  # numeric has no negative zero
    text = f"{value:f}" if value.is_finite() else ("NaN" if value.is_nan() else
                                                   ("Infinity" if value > 0 else "-Infinity"))
    sign, digits = _signed(text)
    digits, spaces = _fit(p, digits)
    return sign, digits, spaces


def float_digits(value: float, p: Picture, max_digits: int) -> tuple[str, str, int]:
    """float4 (max_digits 6) / float8 (15): at most that many significant digits shown."""
    if p.roman:
        return _roman_digits(int(round(value)) if math.isfinite(value) else 0)
    if p.eeee:
        if not math.isfinite(value):
            return "+", _eeee_nonfinite(p), 0
        text = f"{value:+.{p.post}e}"
        return "+", (" " + text[1:] if text[0] == "+" else text), 0
    if p.is_multi:
        value = value * 10 ** p.multi
        p.pre += p.multi
    if not math.isfinite(value):
        text = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        sign, digits = _signed(text)
        return (sign, *_fit(p, digits))
    int_len = len(f"{abs(value):.0f}")
    if int_len >= max_digits:
        p.post = 0
    elif int_len + p.post > max_digits:
        p.post = max_digits - int_len
    sign, digits = _signed(f"{value:.{p.post}f}")
    return (sign, *_fit(p, digits))


def _roman_digits(n: int) -> tuple[str, str, int]:
    return "+", roman(n), 0


# --- laying the digits out ----------------------------------------------------------------

class _Layout:
    """One pass over the picture writing the number (PostgreSQL's NUM_processor for output)."""

    def __init__(self, p: Picture, sign: str, number: str, spaces: int) -> None:
        self.p, self.sign, self.number, self.spaces = p, sign, number, spaces
        self.pos = 0  # next character of `number`
        self.cur = 0  # digit positions written so far
        self.num_in = False  # a digit has been written
        self.out: list[str] = []
        if p.plus or p.minus:
            self.sign_wrote = not (p.plus and not p.minus)
        else:
            if sign != "-" and p.fill:
                p.bracket = False
            self.sign_wrote = sign == "+" and p.fill and not p.lsign
            if p.lsign == "pre" and p.pre == p.pre_lsign_num:
                p.lsign = "post"
        self.count = p.post + p.pre - 1
        self.last_relevant = self._last_relevant() if p.fill and p.decimal else None
        if not self.sign_wrote and spaces == 0:
            self.count += 1
        self.zero_start = p.zero_start - 1 if p.zero_start else 0

    def _last_relevant(self) -> int | None:
        """Index in `number` of the last digit FM keeps (the point if all decimals are 0)."""
        dot = self.number.find(".")
        if dot < 0:
            return None
        keep = dot
        for i in range(dot + 1, len(self.number)):
            if self.number[i] != "0":
                keep = i
        if self.p.zero_end > self.spaces:
            last_zero = min(len(self.number) - 1, self.p.zero_end - self.spaces)
            keep = max(keep, last_zero)
        return keep

    def _char(self) -> str:
        return self.number[self.pos] if self.pos < len(self.number) else ""

    def _predec_space(self) -> bool:
        """'0.1' with 9.9 prints '  .1': the lone leading zero is a space."""
        return (not self.p.zero and self.pos == 0 and self.number[:1] == "0" and self.p.post != 0)

    def _last_is_point(self) -> bool:
        return self.last_relevant is not None and self.number[self.last_relevant] == "."

    def digit(self) -> None:
        p = self.p
        if p.roman:
            return
        if (not self.sign_wrote
                and (self.cur >= self.spaces or (p.zero and self.zero_start == self.cur))
                and (not self._predec_space() or self._last_is_point())):
            self._write_leading_sign()
        if self.cur < self.spaces and (self.zero_start > self.cur or not p.zero):
            if not p.fill:
                self.out.append(" ")
        elif p.zero and self.cur < self.spaces and self.zero_start <= self.cur:
            self.out.append("0")
            self.num_in = True
        else:
            self._write_number_char()
        end = self.count + (1 if self.spaces else 0) + (1 if p.decimal else 0)
        if self.last_relevant is not None and self.last_relevant == self.pos:
            end = self.cur
        if self.cur + 1 == end:
            if self.sign_wrote and p.bracket:
                self.out.append(" " if self.sign == "+" else ">")
            elif p.lsign == "post":
                self.out.append(self.sign)
        self.cur += 1

    def _write_leading_sign(self) -> None:
        p = self.p
        if p.lsign:
            if p.lsign == "pre":
                self.out.append(self.sign)
                self.sign_wrote = True
        elif p.bracket:
            self.out.append(" " if self.sign == "+" else "<")
            self.sign_wrote = True
        elif self.sign == "+":
            if not p.fill:
                self.out.append(" ")
            self.sign_wrote = True
        else:
            self.out.append("-")
            self.sign_wrote = True

    def _write_number_char(self) -> None:
        p, c = self.p, self._char()
        if c == ".":
            if not self._last_is_point() or p.fill:
                self.out.append(DECIMAL_POINT)
        elif self.last_relevant is not None and self.pos > self.last_relevant and self.key != "0":
            pass
        elif self._predec_space():
            if not p.fill:
                self.out.append(" ")
            elif self._last_is_point():
                self.out.append("0")
        else:
            self.out.append(c)
            self.num_in = True
        if c:
            self.pos += 1

    def run(self, nodes: tuple[Node, ...]) -> str:
        p = self.p
        for node in nodes:
            if node.kind == "char":
                self.out.append(node.text)
                continue
            key = node.text.upper()
            self.key = node.text
            if key in ("9", "0", ".", "D"):
                self.digit()
            elif key in (",", "G"):
                if self.num_in:
                    self.out.append(GROUP_SEPARATOR)
                elif not p.fill:
                    self.out.append(" ")
            elif key == "L":
                self.out.append(CURRENCY)
            elif key == "RN":
                text = self.number if p.fill else self.number.rjust(15)
                self.out.append(text.lower() if node.text == "rn" else text)
            elif key == "TH":
                if p.roman or self.number.startswith("#") or self.sign == "-" or p.decimal:
                    continue
                self.out.append(ordinal_suffix(self.number, node.text == "TH"))
            elif key == "MI":
                if self.sign == "-":
                    self.out.append("-")
                elif not p.fill:
                    self.out.append(" ")
            elif key == "PL":
                if self.sign == "+":
                    self.out.append("+")
                elif not p.fill:
                    self.out.append(" ")
            elif key == "SG":
                self.out.append(self.sign)
        return "".join(self.out)


def layout(nodes: tuple[Node, ...], p: Picture, sign: str, number: str, spaces: int) -> str:
    if p.eeee:
        return number  # scientific notation replaces the whole picture
    if p.roman:
        p = Picture(fill=p.fill, roman=True)
        sign, spaces = "+", 0
    return _Layout(p, sign, number, spaces).run(nodes)


# --- entry points -------------------------------------------------------------------------

def to_char_numeric(value: Decimal, fmt: str) -> str:
    nodes = parse_number_template(fmt)
    p = describe(nodes)
    sign, number, spaces = numeric_digits(value, p)
    return layout(nodes, p, sign, number, spaces)


def to_char_int(value: int, fmt: str, bits: int) -> str:
    nodes = parse_number_template(fmt)
    p = describe(nodes)
    if p.roman:
        sign, number, spaces = _roman_digits(value)
    elif p.eeee and bits == 32:
        text = f"{float(value):+.{p.post}e}"  # int4 goes through float8, as in PostgreSQL
        sign, number, spaces = "+", (" " + text[1:] if text[0] == "+" else text), 0
    elif p.eeee:
        sign, number, spaces = numeric_digits(Decimal(value), p)
    else:
        if p.is_multi:
            value *= 10 ** p.multi
            p.pre += p.multi
            p.is_multi = False
        sign, digits = _signed(str(value))
        if p.post:
            digits += "." + "0" * p.post
        sign, (number, spaces) = sign, _fit(p, digits)
    return layout(nodes, p, sign, number, spaces)


def to_char_float(value: float, fmt: str, max_digits: int) -> str:
    nodes = parse_number_template(fmt)
    p = describe(nodes)
    sign, number, spaces = float_digits(value, p, max_digits)
    return layout(nodes, p, sign, number, spaces)


def to_number(text: str, fmt: str) -> Decimal:
    """Read a number laid out by the picture (PostgreSQL's NUM_processor in input mode)."""
    nodes = parse_number_template(fmt)
    p = describe(nodes)
    if p.roman:
        raise SqlError("0A000", '"RN" not supported for input')
    if p.eeee:
        raise SqlError("0A000", '"EEEE" not supported for input')
    r = _Reader(text, p)
    for node in nodes:
        if r.i >= len(text):
            break
        r.step(node)
    number = "".join(r.digits)
    if number in ("", "."):
        raise SqlError("22P02", f'invalid input syntax for type numeric: "{r.sign or " "}"')
    value = Decimal(number)
    _check_precision(value, p.pre + p.multi, r.read_post)
    if p.is_multi and p.multi:
        # PostgreSQL multiplies by power(10, -multi), whose result carries 16 decimals
        value = value * Decimal(1).scaleb(-p.multi).quantize(Decimal(1).scaleb(-16))
    return value.copy_negate() if r.sign == "-" else value


class _Reader:
    """Input-side state: position, sign seen, digits read before/after the point."""

    def __init__(self, text: str, p: Picture) -> None:
        self.text, self.p = text, p
        self.i = 0
        self.sign = ""
        self.digits: list[str] = []
        self.read_pre = self.read_post = 0
        self.read_dec = self.num_in = False

    def _at(self, k: int = 0) -> str:
        j = self.i + k
        return self.text[j] if j < len(self.text) else ""

    def step(self, node: Node) -> None:
        """Consume input for one picture node (literals and most keywords take one char)."""
        if node.kind == "char":
            self.i += 1
            return
        key, p, c = node.text.upper(), self.p, self._at()
        if key in ("9", "0", ".", "D"):
            self._number_part(key)
        elif key in (",", "G"):
            if (not self.num_in and p.fill) or (self.num_in and c != GROUP_SEPARATOR):
                return  # nothing to skip here
        elif key == "L":
            if c.isdigit() or c in "+-.":
                return  # no currency symbol in the input
        elif key == "MI":
            if c == "-":
                self.sign = "-"
        elif key == "PL":
            if c == "+":
                self.sign = "+"
        elif key == "SG":
            if c in "+-":
                self.sign = c
        elif key == "TH":
            self.i += 1  # the two suffix letters
        else:
            return  # S, PR, FM, V, B ... take no input of their own
        self.i += 1

    def _number_part(self, key: str) -> None:
        p = self.p
        if self._at() == " ":
            self.i += 1
        if not self.sign and key in ("9", "0") and self.read_pre + self.read_post == 0:
            c = self._at()
            if c == "-" or (c == "<" and p.bracket):
                self.sign, self.i = "-", self.i + 1
            elif c == "+":
                self.sign, self.i = "+", self.i + 1
        c = self._at()
        if not c:
            return
        read = False
        if c.isdigit():
            self.digits.append(c)
            if self.read_dec:
                self.read_post += 1
            else:
                self.read_pre += 1
            read = self.num_in = True
        elif p.decimal and not self.read_dec and c == DECIMAL_POINT:
            self.digits.append(".")
            read = self.read_dec = True
        if self.sign or self.read_pre + self.read_post == 0:
            return
        # a sign right after the last digit (9.9S -> '.5-', FM9.999999MI -> '5.01-')
        nxt = self._at(1)
        if p.lsign and read and nxt and not nxt.isdigit():
            if nxt in "+-":
                self.sign = nxt
                self.i += 1
        elif not read and not p.lsign and (p.plus or p.minus) and c in "+-":
            self.sign = c


def _check_precision(value: Decimal, int_digits: int, scale: int) -> None:
    """The value read must fit numeric(int_digits + scale, scale), as PostgreSQL checks."""
    if value.is_zero():
        return
    if value.adjusted() + 1 > int_digits:
        precision = int_digits + scale
        raise SqlError("22003", "numeric field overflow",
                       detail=f"A field with precision {precision}, scale {scale} must round to an "
                              f"absolute value less than 10^{precision - scale}.")


def _read_sign(text: str, i: int, negative: bool, p: Picture) -> tuple[int, bool]:
    """A sign (or PR's '<') before the first digit is read where the digits start."""
    while i < len(text) and text[i] in " +-<" and not p.minus:
        if text[i] == "-":
            negative = True
        elif text[i] == "<" and p.bracket:
            negative = True
        elif text[i] == " " and i + 1 < len(text) and not (text[i + 1] in "+-<" or text[i + 1].isdigit()):
            break
        i += 1
    return i, negative


__all__ = ["to_char_numeric", "to_char_int", "to_char_float", "to_number", "InvalidOperation"]
