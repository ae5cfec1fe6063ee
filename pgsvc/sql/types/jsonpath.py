"""jsonpath: PostgreSQL 15's jsonpath_scan.l / jsonpath_gram.y as a recursive-descent
parser, and jsonpath.c's printJsonPathItem for the canonical text (what a jsonpath value
stores and prints). Items are `Item`s chained through `.next` as PostgreSQL chains them.
"""

from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from typing import Any

from pgsvc.errors import SqlError
from pgsvc.sql.types.numeric import format_numeric, parse_numeric

_SPECIAL = set("?%$.[]{}()|&!=<>@#,*:-+/\\\" \t\n\r\f")
_BLANK = " \t\n\r\f"
KEYWORDS = {"abs", "lax", "last", "like_regex", "flag", "floor", "false", "double", "exists",
            "datetime", "keyvalue", "null", "true", "type", "size", "strict", "starts", "with",
            "unknown", "is", "to", "ceiling"}
METHODS = ("abs", "size", "type", "floor", "double", "ceiling", "keyvalue")
_INT = r"(?:0|[1-9][0-9]*)"
_DEC = rf"(?:{_INT}\.[0-9]*|{_INT}?\.[0-9]+)"
_NUM = re.compile(rf"(?:{_DEC}|{_INT})(?:[Ee][-+]?[0-9]+)?")
_REALFAIL = re.compile(rf"(?:{_DEC}|{_INT})[Ee][-+]?")
_OPS = ("==", "!=", "<>", "<=", ">=", "&&", "||", "**", "<", ">", "!", "?", "%", "$", ".", "[", "]",
        "{", "}", "(", ")", ",", "*", ":", "-", "+", "/", "@")
BINARY = {"||": 0, "&&": 1, "==": 2, "!=": 2, "<": 2, ">": 2, "<=": 2, ">=": 2, "starts": 2,
          "+": 3, "-": 3, "*": 4, "/": 4, "%": 4}


class Item:
    __slots__ = ("kind", "a", "b", "c", "next")

    def __init__(self, kind: str, a: Any = None, b: Any = None, c: Any = None) -> None:
        self.kind, self.a, self.b, self.c, self.next = kind, a, b, c, None


class JsonPath:
    __slots__ = ("lax", "root")

    def __init__(self, lax: bool, root: Item) -> None:
        self.lax, self.root = lax, root


def _syntax(msg: str, near: str | None) -> SqlError:
    where = "at end of jsonpath input" if not near else f'at or near "{near}" of jsonpath input'
    return SqlError("42601", f"{msg} {where}")


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0
        self.toks: list[tuple[str, Any, str]] = []  # (kind, value, yytext)
        while True:
            tok = self._next()
            self.toks.append(tok)
            if tok[0] == "eof":
                break

    def _string(self, i: int, quoted: bool) -> tuple[str, int]:
        t, out = self.text, []
        while i < len(t):
            ch = t[i]
            if quoted and ch == '"':
                return "".join(out), i + 1
            if not quoted and (ch in _SPECIAL and ch != "\\"):
                return "".join(out), i
            if ch == "\\":
                i = self._escape(i, out)
                continue
            out.append(ch)
            i += 1
        if quoted:
            raise _syntax("unexpected end of quoted string", None)
        return "".join(out), i

    def _escape(self, i: int, out: list) -> int:
        t = self.text
        c = t[i + 1:i + 2]
        simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
        if c in simple:
            out.append(simple[c])
            return i + 2
        if c == "x":
            m = re.match(r"[0-9A-Fa-f]{2}", t[i + 2:])
            if not m:
                raise _syntax("invalid hexadecimal character sequence", t[i:i + 4])
            out.append(chr(int(m.group(), 16)))
            return i + 4
        if c == "u":
            m = re.match(r"\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{4})", t[i + 2:])
            if not m:
                raise _syntax("invalid unicode sequence", t[i:i + 6])
            code = int(m.group(1) or m.group(2), 16)
            if code == 0:
                raise SqlError("22P05", "unsupported Unicode escape sequence",
                               detail="\\u0000 cannot be converted to text.")
            if 0xD800 <= code <= 0xDBFF:  # a surrogate pair
                m2 = re.match(r"\\u([0-9A-Fa-f]{4})", t[i + 2 + m.end():])
                if m2 and 0xDC00 <= int(m2.group(1), 16) <= 0xDFFF:
                    out.append(chr(0x10000 + ((code - 0xD800) << 10) + int(m2.group(1), 16) - 0xDC00))
                    return i + 2 + m.end() + 6
                raise SqlError("22P02", "invalid input syntax for type jsonpath",
                               detail="Unicode low surrogate must follow a high surrogate.")
            out.append(chr(code))
            return i + 2 + m.end()
        if not c:
            raise _syntax("unexpected end after backslash", None)
        out.append(c)
        return i + 2

    def _next(self) -> tuple[str, Any, str]:
        t, i = self.text, self.pos
        while i < len(t) and t[i] in _BLANK:
            i += 1
        self.pos = i
        if i >= len(t):
            return ("eof", None, "")
        ch = t[i]
        if ch.isdigit() or (ch == "." and t[i + 1:i + 2].isdigit()):
            m = _NUM.match(t, i)
            fail = _REALFAIL.match(t, i)
            if fail and fail.end() > m.end():
                raise _syntax("trailing junk after numeric literal", t[i:fail.end()])
            end = m.end()
            if end < len(t) and t[end] not in _SPECIAL:
                raise _syntax("trailing junk after numeric literal", t[i:end + 1])
            self.pos = end
            return ("num", parse_numeric(t[i:end]), t[i:end])
        if ch == '"':
            s, self.pos = self._string(i + 1, True)
            return ("str", s, '"')
        if ch == "$" and t[i + 1:i + 2] == '"':
            s, self.pos = self._string(i + 2, True)
            return ("var", s, '"')
        if ch == "$" and i + 1 < len(t) and t[i + 1] not in _SPECIAL:
            s, self.pos = self._string(i + 1, False)
            return ("var", s, t[i:self.pos])
        for op in _OPS:
            if t.startswith(op, i):
                self.pos = i + len(op)
                return ("op", op, op)
        if ch in _SPECIAL and ch != "\\":
            raise _syntax("syntax error", ch)
        s, end = self._string(i, False)
        j = end
        while j < len(t) and t[j] in _BLANK:
            j += 1
        self.pos = end
        near = t[end:j]  # the scanner's yytext after an unquoted name: the blanks after it
        return ("kw" if s in KEYWORDS else "id", s, near)


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _Lexer(text).toks
        self.i = 0

    def peek(self, k: int = 0) -> tuple[str, Any, str]:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def is_op(self, op: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok[0] == "op" and tok[1] == op

    def is_kw(self, kw: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok[0] == "kw" and tok[1] == kw

    def take(self) -> tuple[str, Any, str]:
        tok = self.peek()
        self.i += 1
        return tok

    def error(self) -> SqlError:
        return _syntax("syntax error", self.peek()[2])

    def expect_op(self, op: str) -> None:
        if not self.is_op(op):
            raise self.error()
        self.i += 1

    def parse(self) -> JsonPath:
        lax = True
        if self.is_kw("strict") or self.is_kw("lax"):
            lax = self.take()[1] == "lax"
        node, _ = self.or_level()
        if self.peek()[0] != "eof":
            raise self.error()
        return JsonPath(lax, node)

    def need_pred(self, r: tuple[Item, bool]) -> Item:
        if not r[1]:
            raise self.error()
        return r[0]

    def need_expr(self, r: tuple[Item, bool]) -> Item:
        if r[1]:
            raise self.error()
        return r[0]

    def or_level(self) -> tuple[Item, bool]:
        r = self.and_level()
        while self.is_op("||"):
            left = self.need_pred(r)
            self.i += 1
            r = (Item("||", left, self.need_pred(self.and_level())), True)
        return r

    def and_level(self) -> tuple[Item, bool]:
        r = self.not_level()
        while self.is_op("&&"):
            left = self.need_pred(r)
            self.i += 1
            r = (Item("&&", left, self.need_pred(self.not_level())), True)
        return r

    def not_level(self) -> tuple[Item, bool]:
        if self.is_op("!"):
            self.i += 1
            if self.is_kw("exists"):
                return Item("!", self.exists()), True
            self.expect_op("(")
            inner = self.need_pred(self.or_level())
            self.expect_op(")")
            return Item("!", inner), True
        return self.comparison()

    def exists(self) -> Item:
        self.i += 1
        self.expect_op("(")
        inner = self.need_expr(self.or_level())
        self.expect_op(")")
        return Item("exists", inner)

    def comparison(self) -> tuple[Item, bool]:
        r = self.additive()
        tok = self.peek()
        if tok[0] == "op" and tok[1] in ("==", "!=", "<>", "<", ">", "<=", ">="):
            left = self.need_expr(r)
            self.i += 1
            op = "!=" if tok[1] == "<>" else tok[1]
            return Item(op, left, self.need_expr(self.additive())), True
        if self.is_kw("starts") and not r[1]:
            self.i += 1
            if not self.is_kw("with"):
                raise self.error()
            self.i += 1
            init = self.take()
            if init[0] == "str":
                right = Item("string", init[1])
            elif init[0] == "var":
                right = Item("var", init[1])
            else:
                self.i -= 1
                raise self.error()
            return Item("starts", r[0], right), True
        if self.is_kw("like_regex") and not r[1]:
            self.i += 1
            pat = self.take()
            if pat[0] != "str":
                self.i -= 1
                raise self.error()
            flags = ""
            if self.is_kw("flag"):
                self.i += 1
                ftok = self.take()
                if ftok[0] != "str":
                    self.i -= 1
                    raise self.error()
                flags = _regex_flags(ftok[1])
            _check_regex(pat[1], flags)
            return Item("like_regex", r[0], pat[1], flags), True
        return r

    def additive(self) -> tuple[Item, bool]:
        r = self.multiplicative()
        while self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            left = self.need_expr(r)
            op = self.take()[1]
            r = (Item(op, left, self.need_expr(self.multiplicative())), False)
        return r

    def multiplicative(self) -> tuple[Item, bool]:
        r = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/", "%"):
            left = self.need_expr(r)
            op = self.take()[1]
            r = (Item(op, left, self.need_expr(self.unary())), False)
        return r

    def unary(self) -> tuple[Item, bool]:
        if self.peek()[0] == "op" and self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            arg = self.need_expr(self.unary())
            if arg.kind == "num" and arg.next is None:  # makeItemUnary folds a literal
                if op == "-":
                    arg.a = -arg.a
                return arg, False
            return Item("u" + op, arg), False
        return self.postfix()

    def postfix(self) -> tuple[Item, bool]:
        node, pred = self.primary()
        tail = node
        while True:
            acc = self.accessor()
            if acc is None:
                return node, pred
            while tail.next is not None:
                tail = tail.next
            tail.next = acc
            tail, pred = acc, False

    def primary(self) -> tuple[Item, bool]:
        kind, value, _ = self.peek()
        if kind == "op" and value == "(":
            self.i += 1
            node, pred = self.or_level()
            self.expect_op(")")
            if pred and self.is_kw("is"):
                self.i += 1
                if not self.is_kw("unknown"):
                    raise self.error()
                self.i += 1
                return Item("is_unknown", node), True
            return node, pred
        if kind == "kw" and value == "exists" and self.is_op("(", 1):
            return self.exists(), True
        self.i += 1
        if kind == "num":
            return Item("num", value), False
        if kind == "str":
            return Item("string", value), False
        if kind == "var":
            return Item("var", value), False
        if kind == "op" and value in ("$", "@"):
            return Item(value), False
        if kind == "kw" and value in ("null", "true", "false", "last"):
            return (Item("null") if value == "null" else Item("last") if value == "last"
                    else Item("bool", value == "true")), False
        self.i -= 1
        raise self.error()

    def accessor(self) -> Item | None:
        if self.is_op("["):
            self.i += 1
            if self.is_op("*") and self.is_op("]", 1):
                self.i += 2
                return Item("[*]")
            subs = []
            while True:
                lo = self.need_expr(self.or_level())
                hi = None
                if self.is_kw("to"):
                    self.i += 1
                    hi = self.need_expr(self.or_level())
                subs.append((lo, hi))
                if self.is_op(","):
                    self.i += 1
                    continue
                self.expect_op("]")
                return Item("[]", subs)
        if self.is_op("?"):
            self.i += 1
            self.expect_op("(")
            pred = self.need_pred(self.or_level())
            self.expect_op(")")
            return Item("filter", pred)
        if not self.is_op("."):
            return None
        self.i += 1
        kind, value, _ = self.peek()
        if kind == "op" and value == "*":
            self.i += 1
            return Item(".*")
        if kind == "op" and value == "**":
            self.i += 1
            lo, hi = 0, -1
            if self.is_op("{"):
                self.i += 1
                lo = hi = self.level()
                if self.is_kw("to"):
                    self.i += 1
                    hi = self.level()
                self.expect_op("}")
            return Item("**", lo, hi)
        if kind == "kw" and (value in METHODS or value == "datetime") and self.is_op("(", 1):
            self.i += 2
            template = None
            if value == "datetime" and self.peek()[0] == "str":
                template = self.take()[1]
            self.expect_op(")")
            return Item("method", value, template)
        if kind in ("id", "kw", "str"):
            self.i += 1
            return Item("key", value)
        raise self.error()

    def level(self) -> int:
        kind, value, _ = self.peek()
        if kind == "kw" and value == "last":
            self.i += 1
            return -1
        if kind == "num" and value == value.to_integral_value() and "." not in self.peek()[2]:
            self.i += 1
            return int(value)
        raise self.error()


def _regex_flags(text: str) -> str:
    flags = set()
    for ch in text:
        if ch not in "ismxq":
            raise SqlError("42601", "invalid input syntax for type jsonpath",
                           detail=f'Unrecognized flag character "{ch}" in LIKE_REGEX predicate.')
        flags.add(ch)
    if "x" in flags and "q" not in flags:
        raise SqlError("0A000", 'XQuery "x" flag (expanded regular expressions) is not implemented')
    return "".join(ch for ch in "ismxq" if ch in flags)


def _check_regex(pattern: str, flags: str) -> None:
    if "q" in flags:
        return
    depth, i = 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            j = pattern.find("]", i + 2)
            i = len(pattern) if j < 0 else j + 1
            continue
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            break
        i += 1
    if depth != 0:
        raise SqlError("2201B", "invalid regular expression: parentheses () not balanced")


def _check(item: Item | None, nesting: int, in_subscript: bool) -> None:
    """flattenJsonPathParseItem's checks: @ only inside a filter, last only in subscripts."""
    while item is not None:
        k = item.kind
        if k == "@" and nesting <= 0:
            raise SqlError("42601", "@ is not allowed in root expressions")
        if k == "last" and not in_subscript:
            raise SqlError("42601", "LAST is allowed only in array subscripts")
        if k == "filter":
            _check(item.a, nesting + 1, in_subscript)
        elif k == "[]":
            for lo, hi in item.a:
                _check(lo, nesting, True)
                _check(hi, nesting, True)
        elif k in BINARY or k in ("u+", "u-", "!", "exists", "is_unknown", "like_regex"):
            _check(item.a, nesting, in_subscript)
            if isinstance(item.b, Item):
                _check(item.b, nesting, in_subscript)
        item = item.next


@functools.lru_cache(maxsize=256)
def parse_jsonpath(text: str) -> JsonPath:
    if not text.strip(_BLANK):
        raise SqlError("42601", f'invalid input syntax for type jsonpath: "{text}"')
    path = _Parser(text).parse()
    _check(path.root, 0, False)
    return path


def _priority(kind: str) -> int:
    if kind in BINARY:
        return BINARY[kind]
    return 5 if kind in ("u+", "u-") else 6


def _print(item: Item, out: list, in_key: bool, brackets: bool) -> None:
    k = item.kind
    if k in BINARY:
        if brackets:
            out.append("(")
        _print(item.a, out, False, _priority(item.a.kind) <= _priority(k))
        out.append(" starts with " if k == "starts" else f" {k} ")
        _print(item.b, out, False, _priority(item.b.kind) <= _priority(k))
        if brackets:
            out.append(")")
    elif k == "like_regex":
        if brackets:
            out.append("(")
        _print(item.a, out, False, _priority(item.a.kind) <= 6)
        out.append(" like_regex " + json.dumps(item.b, ensure_ascii=False))
        if item.c:
            out.append(' flag "' + item.c + '"')
        if brackets:
            out.append(")")
    elif k in ("u+", "u-"):
        if brackets:
            out.append("(")
        out.append(k[1])
        _print(item.a, out, False, _priority(item.a.kind) <= 5)
        if brackets:
            out.append(")")
    elif k == "num":
        text = format_numeric(item.a)
        out.append(f"({text})" if item.next is not None else text)
    elif k == "string":
        out.append(json.dumps(item.a, ensure_ascii=False))
    elif k == "var":
        out.append("$" + json.dumps(item.a, ensure_ascii=False))
    elif k == "key":
        out.append(("." if in_key else "") + json.dumps(item.a, ensure_ascii=False))
    elif k in ("null", "last", "$", "@"):
        out.append(k)
    elif k == "bool":
        out.append("true" if item.a else "false")
    elif k == "filter":
        out.append("?(")
        _print(item.a, out, False, False)
        out.append(")")
    elif k == "!":
        out.append("!(")
        _print(item.a, out, False, False)
        out.append(")")
    elif k == "is_unknown":
        out.append("(")
        _print(item.a, out, False, False)
        out.append(") is unknown")
    elif k == "exists":
        out.append("exists (")
        _print(item.a, out, False, False)
        out.append(")")
    elif k == "[*]":
        out.append("[*]")
    elif k == ".*":
        out.append(".*" if in_key else "*")
    elif k == "[]":
        out.append("[")
        for n, (lo, hi) in enumerate(item.a):
            if n:
                out.append(",")
            _print(lo, out, False, False)
            if hi is not None:
                out.append(" to ")
                _print(hi, out, False, False)
        out.append("]")
    elif k == "**":
        out.append(".**" if in_key else "**")
        lo, hi = ("last" if v < 0 else str(v) for v in (item.a, item.b))
        if item.a == item.b:
            out.append("" if (item.a, item.b) == (0, -1) else "{" + lo + "}")
        elif (item.a, item.b) != (0, -1):
            out.append("{" + lo + " to " + hi + "}")
    elif k == "method":
        out.append(f".{item.a}(" + ("" if item.b is None else json.dumps(item.b, ensure_ascii=False)) + ")")
    if item.next is not None:
        _print(item.next, out, True, True)


def jsonpath_text(path: JsonPath) -> str:
    out = [] if path.lax else ["strict "]
    _print(path.root, out, False, True)
    return "".join(out)


def normalize_jsonpath(text: str) -> str:
    """jsonpath_in then jsonpath_out: the canonical text a jsonpath value stores."""
    return jsonpath_text(parse_jsonpath(text))


def is_number(value: Any) -> bool:
    return isinstance(value, (Decimal, int)) and not isinstance(value, bool)
