"""Array text I/O: '{1,2,NULL}', nested dimensions, PostgreSQL's quoting rules, and the
optional '[1:2]=' dimension decoration on input.
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


def format_array(value: list, encode: Callable[[Any], str], delim: str = ",") -> str:
    parts = []
    for item in value:
        if item is None:
            parts.append("NULL")
        elif isinstance(item, list):
            parts.append(format_array(item, encode, delim))
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
        raise _malformed(text, 'Array value must start with "{" or dimension information.')
    result, pos = _parse_level(s, 0, text, decode, delim)
    if s[pos:].strip(SPACE):
        raise _malformed(text, "Junk after closing right brace.")
    _check_rectangular(result, text)
    if bounds:
        _check_bounds(bounds, result, text)
    return result


_DIM = re.compile(r"\[\s*(?:([+-]?\d+)\s*:\s*)?([+-]?\d+)\s*\]")


def _check_bounds(bounds: list[tuple[str, str]], result: list, text: str) -> None:
    """'[1:2]={a,b}': the decoration must match the contents. pgsvc's arrays all count from
    1 (their storage has no lower bound): another lower bound is refused, not dropped."""
    if any(lo not in ("", "1") and int(lo) != 1 for lo, _ in bounds):
        raise SqlError("0A000", "array lower bounds other than 1 are not supported")
    if [int(hi) for _, hi in bounds] != dimensions(result):
        raise _malformed(text, "Specified array dimensions do not match array contents.")


def _parse_level(s: str, pos: int, text: str, decode, delim: str) -> tuple[list, int]:
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
            if expect_item and items:
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
        if c == "{":
            sub, pos = _parse_level(s, pos, text, decode, delim)
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
        lengths = {len(i) for i in items}
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
