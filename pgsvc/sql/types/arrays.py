"""Array text I/O: '{1,2,NULL}', nested dimensions, PostgreSQL's quoting rules, and the
'[0:2]=' dimension decoration (input, and output when a lower bound is not 1).

Lower bounds: an array whose lower bounds are all 1 is a plain list (the common case, no
cost). Another lower bound makes the Python value a BoundedArray (a list carrying
`lbounds`, one per dimension) and prefixes the stored JSON text with a JSON5 comment that
names them ('/*0,-1*/[[1,2],[3,4]]'): SQLite's JSON functions read through the comment,
so json_each / json_array_length still see the elements.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pgsvc.errors import SqlError

_NEEDS_QUOTE = set('{}"\\')  # and the type's delimiter (',', or ';' for box)
# array_isspace: the only blanks array_in skips and array_out quotes (not Python's
# str.isspace(), which also takes \x1c-\x1f and Unicode spaces as whitespace)
SPACE = " \t\n\r\v\f"
_QUOTE_TRIGGERS = _NEEDS_QUOTE | set(SPACE)


def quote_element(text: str, delim: str = ",") -> str:
    if (text == "" or text.lower() == "null" or delim in text
            or not _QUOTE_TRIGGERS.isdisjoint(text)):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


class BoundedArray(list):
    """An array with a lower bound other than 1 in some dimension."""
    __slots__ = ("lbounds",)

    def __init__(self, items=(), lbounds: tuple[int, ...] = ()):
        super().__init__(items)
        self.lbounds = tuple(lbounds)


def lower_bounds(value: list) -> tuple[int, ...]:
    """Every dimension's lower bound (1 unless the value is a BoundedArray)."""
    lb = getattr(value, "lbounds", None)
    return lb if lb else (1,) * len(dimensions(value))


def with_bounds(items: list, lbounds) -> list:
    """items as an array with these lower bounds: a plain list when they are all 1 (or the
    array is empty, which has no dimensions)."""
    lbounds = tuple(lbounds or ())
    if not items or not lbounds or all(b == 1 for b in lbounds):
        return items if type(items) is list else list(items)
    return BoundedArray(items, lbounds)


def split_stored(text: str) -> tuple[tuple[int, ...] | None, str]:
    """A stored array's lower bounds (None when all are 1) and its JSON text."""
    if text[:2] != "/*":
        return None, text
    end = text.index("*/")
    return tuple(int(x) for x in text[2:end].split(",")), text[end + 2:]


def join_stored(lbounds, json_text: str) -> str:
    """The stored form of a JSON array text with these lower bounds."""
    if not lbounds or all(b == 1 for b in lbounds) or json_text == "[]":
        return json_text
    return "/*" + ",".join(str(b) for b in lbounds) + "*/" + json_text


def dims_decoration(value: list) -> str:
    """'[0:2][1:3]' (array_dims, and array_out's prefix)."""
    return "".join(f"[{lo}:{lo + n - 1}]" for lo, n in zip(lower_bounds(value), dimensions(value)))


def format_array(value: list, encode: Callable[[Any], str], delim: str = ",") -> str:
    if getattr(value, "lbounds", None):
        return dims_decoration(value) + "=" + _format(value, encode, delim)
    return _format(value, encode, delim)


def _format(value: list, encode: Callable[[Any], str], delim: str) -> str:
    parts = []
    for item in value:
        if item is None:
            parts.append("NULL")
        elif isinstance(item, list):
            parts.append(_format(item, encode, delim))
        else:
            parts.append(quote_element(encode(item), delim))
    return "{" + delim.join(parts) + "}"


def _malformed(text: str, detail: str) -> SqlError:
    return SqlError("22P02", f'malformed array literal: "{text}"', detail=detail)


def parse_array(text: str, decode: Callable[[str], Any], delim: str = ",") -> list:
    """Parse array text into nested lists of decoded elements (None for NULL)."""
    s = text.strip(SPACE)
    bounds = None
    if s.startswith("["):
        eq = s.find("=")
        if eq < 0:
            raise _malformed(text, 'Missing "=" after array dimensions.')
        bounds = _DIM.findall(s[:eq])
        s = s[eq + 1:].strip(SPACE)
    if not s.startswith("{"):
        raise _malformed(text, 'Array contents must start with "{".' if bounds is not None
                         else 'Array value must start with "{" or dimension information.')
    result, pos = _parse_level(s, 0, text, decode, delim)
    if s[pos:].strip(SPACE):
        raise _malformed(text, "Junk after closing right brace.")
    _check_rectangular(result, text)
    if bounds:
        return with_bounds(result, _check_bounds(bounds, result, text))
    return result


_DIM = re.compile(r"\[\s*(?:([+-]?\d+)\s*:\s*)?([+-]?\d+)\s*\]")


def _check_bounds(bounds: list[tuple[str, str]], result: list, text: str) -> list[int]:
    """'[0:2]={a,b,c}': the decoration must match the contents; the lower bounds."""
    lows, sizes = [], []
    for lo, hi in bounds:
        low = int(lo) if lo else 1
        if int(hi) < low:
            raise SqlError("2202E", "upper bound cannot be less than lower bound")
        lows.append(low)
        sizes.append(int(hi) - low + 1)
    if sizes != dimensions(result):
        raise _malformed(text, "Specified array dimensions do not match array contents.")
    return lows


def _parse_level(s: str, pos: int, text: str, decode, delim: str, nested: bool = False) -> tuple[list, int]:
    assert s[pos] == "{"
    pos += 1
    items: list = []
    expect_item = True
    n = len(s)
    while True:
        while pos < n and s[pos] in SPACE:
            pos += 1
        if pos >= n:
            raise _malformed(text, "Unexpected end of input.")
        c = s[pos]
        if c == "}":
            if expect_item and (items or nested):  # (an empty sub-array too: '{{}}')
                raise _malformed(text, 'Unexpected "}" character.')
            return items, pos + 1
        if c == delim:
            if expect_item:
                raise _malformed(text, f'Unexpected "{delim}" character.')
            expect_item = True
            pos += 1
            continue
        if not expect_item:
            raise _malformed(text, "Expected \",\" or \"}\" character." if c != "{"
                             else 'Unexpected "{" character.')
        if items and (c == "{") != isinstance(items[-1], list):  # scalars and sub-arrays mixed
            raise _malformed(text, 'Unexpected "{" character.' if c == "{" else "Unexpected array element.")
        if c == "{":
            sub, pos = _parse_level(s, pos, text, decode, delim, True)
            items.append(sub)
        elif c == '"':
            value, pos = _parse_quoted(s, pos, text)
            items.append(decode(value))
        else:
            value, pos, was_null = _parse_unquoted(s, pos, text, delim)
            items.append(None if was_null else decode(value))
        expect_item = False


def _parse_quoted(s: str, pos: int, text: str) -> tuple[str, int]:
    out = []
    pos += 1
    while pos < len(s):
        c = s[pos]
        if c == "\\" and pos + 1 < len(s):
            out.append(s[pos + 1])
            pos += 2
        elif c == '"':
            return "".join(out), pos + 1
        else:
            out.append(c)
            pos += 1
    raise _malformed(text, "Unexpected end of input.")


def _parse_unquoted(s: str, pos: int, text: str, delim: str) -> tuple[str, int, bool]:
    """An unquoted element: up to the delimiter or '}', its trailing blanks dropped unless
    escaped (ReadArrayStr keeps everything up to the last non-blank or escaped character)."""
    out = []
    keep = 0
    escaped_any = False
    while pos < len(s):
        c = s[pos]
        if c == "\\" and pos + 1 < len(s):
            out.append(s[pos + 1])
            keep = len(out)
            escaped_any = True
            pos += 2
            continue
        if c in (delim, "}"):
            break
        if c in '{"':
            raise _malformed(text, f'Unexpected "{c}" character.')
        out.append(c)
        if c not in SPACE:
            keep = len(out)
        pos += 1
    value = "".join(out[:keep])
    return value, pos, (not escaped_any and value.lower() == "null")


def _check_rectangular(items: list, text: str) -> None:
    subs = [isinstance(i, list) for i in items]
    if any(subs) and not all(subs):
        raise _malformed(text, "Multidimensional arrays must have sub-arrays with matching dimensions.")
    if items and all(subs):
        lengths = {tuple(dimensions(i)) for i in items}  # (the same depth too: '{{{1}},{2}}')
        if len(lengths) > 1:
            raise _malformed(text, "Multidimensional arrays must have sub-arrays with matching dimensions.")
        for i in items:
            _check_rectangular(i, text)


def dimensions(value: list) -> list[int]:
    dims = []
    level = value
    while isinstance(level, list):
        dims.append(len(level))
        if not level:
            break
        level = level[0]
    return dims if value else []


def flatten(value: list) -> list:
    out: list = []
    for item in value:
        if isinstance(item, list):
            out.extend(flatten(item))
        else:
            out.append(item)
    return out


def reshape(flat: list, dims: list[int]) -> list:
    if len(dims) <= 1:
        return list(flat)
    step = len(flat) // dims[0] if dims[0] else 0
    return [reshape(flat[i * step:(i + 1) * step], dims[1:]) for i in range(dims[0])]
