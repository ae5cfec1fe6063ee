"""money as utils/adt/cash.c computes it under lc_monetary 'C' (pgsvc's only locale): an
int64 count of cents; cash_in reads '$1,234.567', '(12)', '-$5', '12-' (rounding the third
decimal half up, 22003 past int64, 22P02 for anything else), cash_out prints '-$1,234.57'.
The binary form is the int64 (cash_send/cash_recv).
"""

from __future__ import annotations

from decimal import Decimal

from pgsvc.errors import SqlError

_MIN, _MAX = -(1 << 63), (1 << 63) - 1
_SPACE = " \t\n\r\v\f"
_DIGITS = "0123456789"


def _out_of_range(text: str) -> SqlError:
    return SqlError("22003", f'value "{text}" is out of range for type money')


def _skip(s: str, i: int, symbol: str | None = None) -> int:
    while i < len(s) and s[i] in _SPACE:
        i += 1
    if symbol is not None and s.startswith(symbol, i):
        i += len(symbol)
        while i < len(s) and s[i] in _SPACE:
            i += 1
    return i


def cash_in(text: str) -> int:
    s, sign = text, 1
    i = _skip(s, 0, "$")
    if s.startswith("-", i):
        sign, i = -1, i + 1
    elif s.startswith("(", i):
        sign, i = -1, i + 1
    elif s.startswith("+", i):
        i += 1
    i = _skip(s, i, "$")
    value, dec, seen_dot = 0, 0, False  # built negative, as cash.c does
    while i < len(s):
        c = s[i]
        if c in _DIGITS and (not seen_dot or dec < 2):
            value = value * 10 - int(c)
            if value < _MIN:
                raise _out_of_range(text)
            dec += seen_dot
        elif c == "." and not seen_dot:
            seen_dot = True
        elif c != ",":
            break
        i += 1
    if i < len(s) and s[i] in "56789":
        value -= 1
    for _ in range(dec, 2):
        value *= 10
    if value < _MIN:
        raise _out_of_range(text)
    while i < len(s) and s[i] in _DIGITS:
        i += 1
    while i < len(s):
        if s[i] in _SPACE or s[i] == ")" or s[i] == "+" or s[i] == "$":
            i += 1
        elif s[i] == "-":
            sign, i = -1, i + 1
        else:
            raise SqlError("22P02", f'invalid input syntax for type money: "{text}"')
    if sign > 0:
        if value == _MIN:
            raise _out_of_range(text)
        return -value
    return value


def cash_out(cents: int) -> str:
    cents = int(cents)
    whole, frac = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}${whole:,}.{frac:02d}"


def cash_numeric(cents: int) -> Decimal:
    """cash_numeric: the amount with two decimals."""
    return Decimal(int(cents)).scaleb(-2)
