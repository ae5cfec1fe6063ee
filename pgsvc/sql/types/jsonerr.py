"""The error PostgreSQL 15's JSON parser (common/jsonapi.c) reports for text that is not
JSON: its lexer's tokens (a bad word or number is invalid as a whole run of alphanumerics),
its parser's "Expected ..., but found ..." details, and report_json_context's CONTEXT line.
Only called once Python's parser has refused the text, so valid input never pays for it.
"""

from __future__ import annotations

import re

from pgsvc.errors import SqlError

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)?")
_WS = " \t\n\r"


def _alnum(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or ord(ch) > 127


class _Fail(Exception):
    def __init__(self, detail: str, end: int, at_end: bool = False) -> None:
        super().__init__(detail)
        self.detail, self.end, self.at_end = detail, end, at_end


class _Lexer:
    def __init__(self, text: str) -> None:
        self.t, self.pos = text, 0
        self.kind, self.start, self.end = "", 0, 0

    def next(self) -> None:
        t, i = self.t, self.pos
        while i < len(t) and t[i] in _WS:
            i += 1
        self.start = i
        if i >= len(t):
            self.kind, self.end = "end", i
            self.pos = i
            return
        ch = t[i]
        if ch in "{}[],:":
            self.kind, self.end = ch, i + 1
        elif ch == '"':
            self.kind, self.end = "string", self._string(i)
        elif ch == "-" or ch.isdigit():
            self.kind, self.end = "number", self._number(i)
        else:
            j = i
            while j < len(t) and _alnum(t[j]):
                j += 1
            j = max(j, i + 1)
            word = t[i:j]
            if word not in ("true", "false", "null"):
                raise _Fail(f'Token "{word}" is invalid.', j)
            self.kind, self.end = word, j
        self.pos = self.end

    def _string(self, i: int) -> int:
        t, j = self.t, i + 1
        while True:
            if j >= len(t):
                raise _Fail(f'Token "{t[i:]}" is invalid.', len(t))
            ch = t[j]
            if ch == '"':
                return j + 1
            if ord(ch) < 0x20:
                raise _Fail(f"Character with value 0x{ord(ch):02x} must be escaped.", j)
            if ch == "\\":
                if j + 1 >= len(t):
                    raise _Fail(f'Token "{t[i:]}" is invalid.', len(t))
                esc = t[j + 1]
                if esc == "u":
                    k = j + 2
                    while k < j + 6 and k < len(t) and t[k] in "0123456789abcdefABCDEF":
                        k += 1
                    if k < j + 6:
                        if k >= len(t):
                            raise _Fail(f'Token "{t[i:]}" is invalid.', len(t))
                        raise _Fail('"\\u" must be followed by four hexadecimal digits.', k + 1)
                    j = k
                    continue
                if esc not in '"\\/bfnrt':
                    raise _Fail(f'Escape sequence "\\{esc}" is invalid.', j + 2)
                j += 2
                continue
            j += 1

    def _number(self, i: int) -> int:
        t = self.t
        m = _NUMBER.match(t, i)
        j, error = m.end(), False
        if j == i + (t[i] == "-"):  # no digits
            error = True
        if j < len(t) and t[j] == ".":
            j += 1
            if j >= len(t) or not t[j].isdigit():
                error = True
            while j < len(t) and t[j].isdigit():
                j += 1
        if j < len(t) and t[j] in "eE":
            j += 1
            if j < len(t) and t[j] in "+-":
                j += 1
            if j >= len(t) or not t[j].isdigit():
                error = True
            while j < len(t) and t[j].isdigit():
                j += 1
        while j < len(t) and _alnum(t[j]):
            j += 1
            error = True
        if error:
            raise _Fail(f'Token "{t[i:j]}" is invalid.', j)
        return j


def _expected(lx: _Lexer, what: str) -> _Fail:
    if lx.kind == "end":
        return _Fail("The input string ended unexpectedly.", lx.end, True)
    return _Fail(f'Expected {what}, but found "{lx.t[lx.start:lx.end]}".', lx.end)


def _value(lx: _Lexer, depth: int) -> None:
    if depth > 6000:
        raise RecursionError
    if lx.kind == "{":
        lx.next()
        if lx.kind == "}":
            lx.next()
            return
        if lx.kind != "string":
            raise _expected(lx, 'string or "}"')
        while True:
            if lx.kind != "string":
                raise _expected(lx, "string")
            lx.next()
            if lx.kind != ":":
                raise _expected(lx, '":"')
            lx.next()
            _value(lx, depth + 1)
            if lx.kind == "}":
                lx.next()
                return
            if lx.kind != ",":
                raise _expected(lx, '"," or "}"')
            lx.next()
    if lx.kind == "[":
        lx.next()
        if lx.kind == "]":
            lx.next()
            return
        while True:
            _value(lx, depth + 1)
            if lx.kind == "]":
                lx.next()
                return
            if lx.kind != ",":
                raise _expected(lx, '"," or "]"')
            lx.next()
    if lx.kind in ("string", "number", "true", "false", "null"):
        lx.next()
        return
    raise _expected(lx, "JSON value")


def json_syntax_error(text: str) -> SqlError | None:
    """PostgreSQL's error for text its JSON parser refuses (None: it accepts it)."""
    lx = _Lexer(text)
    try:
        lx.next()
        _value(lx, 0)
        if lx.kind != "end":
            raise _expected(lx, "end of input")
        return None
    except _Fail as f:
        return SqlError("22P02", "invalid input syntax for type json", detail=f.detail,
                        context=_context(text, f.end, f.at_end))


def _context(text: str, end: int, at_end: bool) -> str:
    line_start = max(text.rfind("\n", 0, end), text.rfind("\r", 0, end)) + 1
    line = text.count("\n", 0, line_start) + 1
    start = line_start
    while end - start >= 50:
        start += 1
    if start - line_start <= 3:
        start = line_start
    prefix = "..." if start > line_start else ""
    suffix = "..." if not at_end and end < len(text) and text[end] not in "\n\r" else ""
    return f"JSON data, line {line}: {prefix}{text[start:end]}{suffix}"
