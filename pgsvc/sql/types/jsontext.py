"""json and jsonb text: validation with PostgreSQL's errors, and jsonb's normalised
output (keys ordered by length then bytes, last duplicate wins, numbers as numeric,
', ' and ': ' separators).
"""

from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from typing import Any

from pgsvc.errors import SqlError
from pgsvc.sql.types.jsonerr import json_syntax_error
from pgsvc.sql.types.numeric import canonical, format_numeric


class JsonNumber(Decimal):
    """A JSON number kept exactly (jsonb stores numbers as numeric)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f'Token "{name}" is invalid.')


def _number(text: str) -> JsonNumber:
    return JsonNumber(canonical(Decimal(text)))


def _last_wins(pairs: list[tuple[str, Any]]) -> dict:
    return dict(pairs)


def _error(text: str, exc: Exception) -> SqlError:
    if not isinstance(exc, RecursionError) and not str(exc).startswith("Token"):
        try:
            err = json_syntax_error(text)  # PostgreSQL's detail and context (types.jsonerr)
        except RecursionError:
            err = None
        if err is not None:
            return err
    detail = str(exc) if isinstance(exc, ValueError) and str(exc).startswith("Token") else None
    if detail is None and isinstance(exc, json.JSONDecodeError):
        detail = "The input string ended unexpectedly." if exc.pos >= len(text.rstrip()) else (
            f'Token "{_token_at(text, exc.pos)}" is invalid.')
    return SqlError("22P02", "invalid input syntax for type json", detail=detail,
                    context=f"JSON data, line 1: {text[: (getattr(exc, 'pos', 0) or 0) + 1]}"
                    if isinstance(exc, json.JSONDecodeError) else None)


def _token_at(text: str, pos: int) -> str:
    end = pos
    while end < len(text) and not text[end].isspace() and text[end] not in ",:{}[]":
        end += 1
    return text[pos:end] or text[pos:pos + 1]


def loads(text: str, raw: bool = False) -> Any:
    """Parse JSON as PostgreSQL does (no NaN/Infinity); numbers as JsonNumber. Strings are
    de-escaped as text, which holds no \\u0000 and no lone surrogate (22P05 / 22P02, as
    PostgreSQL's lexer reports them); raw: only validate (json input keeps its text)."""
    if not raw and "\\u" in text:
        _escapes_as_text(text)
    try:
        return json.loads(text, parse_float=_number, parse_int=_number,
                          parse_constant=_reject_constant, object_pairs_hook=_last_wins)
    except (ValueError, RecursionError) as exc:
        raise _error(text, exc) from None


def validate_json(text: str) -> str:
    loads(text, raw=True)
    return text


def _key_order(key: str) -> tuple[int, bytes]:
    raw = key.encode()
    return (len(raw), raw)


def dumps_jsonb(value: Any) -> str:
    """PostgreSQL's jsonb text output of a Python JSON value."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return format_numeric(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_numeric(Decimal(repr(value)))
    if isinstance(value, dict):
        keys = sorted(value, key=_key_order)
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + ": " + dumps_jsonb(value[k])
                               for k in keys) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps_jsonb(v) for v in value) + "]"
    raise TypeError(f"not a JSON value: {value!r}")


def normalize_jsonb(text: str) -> str:
    return dumps_jsonb(loads(text))


def _syntax_error_at(text: str) -> int:
    """Where the parser stops on a syntax error (the end for none, or for a string it
    cannot close: PostgreSQL's lexer meets the escapes in it first)."""
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        return len(text) if e.msg.startswith("Unterminated string") else e.pos
    except (ValueError, RecursionError):
        pass
    return len(text)


def _escapes_as_text(text: str) -> None:
    """json_lex_string's refusals when it de-escapes a string: \\u0000 (22P05) and a
    surrogate not in a pair (22P02), the first one before any syntax error."""
    pending = None  # a high surrogate's escape, waiting for its low half
    for m in _U_ESCAPE.finditer(text):
        cp = int(m.group(1), 16)
        if pending is not None and m.start() != pending.end():
            problem, end = "low", pending.end() + 1
        elif 0xD800 <= cp <= 0xDBFF:
            if pending is not None:
                problem, end = "high", m.end()
            else:
                pending = m
                continue
        elif 0xDC00 <= cp <= 0xDFFF:
            if pending is None:
                problem, end = "low", m.end()
            else:
                pending = None
                continue
        elif pending is not None:
            problem, end = "low", m.end()
        elif cp == 0:
            problem, end = "nul", m.end()
        else:
            continue
        break
    else:
        if pending is None:
            return
        problem, end = "low", pending.end() + 1
    if end - 6 > _syntax_error_at(text):  # end - 6: where the escape (or the char after one) starts
        return  # the syntax error comes first (loads reports it)
    context = f"JSON data, line 1: {text[:end]}{'...' if end < len(text) else ''}"
    if problem == "nul":
        raise SqlError("22P05", "unsupported Unicode escape sequence", detail="\\u0000 cannot be converted to text.",
                       context=context)
    detail = ("Unicode high surrogate must not follow a high surrogate." if problem == "high"
              else "Unicode low surrogate must follow a high surrogate.")
    raise SqlError("22P02", "invalid input syntax for type json", detail=detail, context=context)


# a \\uXXXX escape: preceded by an even number of backslashes
_U_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u([0-9A-Fa-f]{4})")


def dumps_json(value: Any) -> str:
    """json (not jsonb) text built by functions (json_build_object etc.): PG's spacing."""
    if isinstance(value, dict):
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + " : " + dumps_json(v)
                               for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps_json(v) for v in value) + "]"
    return dumps_jsonb(value)


# --- jsonb's btree order (jsonb_util.c compareJsonbContainers) --------------------------

_RANK = {type(None): 0, str: 1, bool: 3, list: 4, dict: 5}


def _rank(v: Any) -> int:
    return 2 if isinstance(v, Decimal) or (isinstance(v, (int, float)) and not isinstance(v, bool)) \
        else _RANK.get(type(v), 2)


def _compare(a: Any, b: Any, raw_a: bool = False, raw_b: bool = False) -> int:
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        return 1 if ra > rb else -1
    if ra == 4:  # arrays (a top-level scalar is a one-element "raw" array)
        res = 0
        if raw_a != raw_b:
            res = -1 if raw_a else 1
        if len(a) != len(b):
            res = 1 if len(a) > len(b) else -1
        if res:
            return res
        for x, y in zip(a, b):
            res = _compare(x, y)
            if res:
                return res
        return 0
    if ra == 5:  # objects: by size, then key and value pairs in storage order
        if len(a) != len(b):
            return 1 if len(a) > len(b) else -1
        for ka, kb in zip(sorted(a, key=_key_order), sorted(b, key=_key_order)):
            if ka != kb:
                ea, eb = ka.encode(), kb.encode()
                return 1 if ea > eb else -1
            res = _compare(a[ka], b[kb])
            if res:
                return res
        return 0
    if ra == 0:
        return 0
    if ra == 1:
        ea, eb = a.encode(), b.encode()
        return (ea > eb) - (ea < eb)
    return (a > b) - (a < b)


_KIND = {"n": 0, '"': 1, "t": 3, "f": 3, "[": 4, "{": 5}


@functools.lru_cache(maxsize=512)
def _parsed(text: str) -> Any:
    return loads(text)


def collate_jsonb(x: str, y: str) -> int:
    """Two stored jsonb values (normalised text) in PostgreSQL's jsonb order."""
    if x == y:
        return 0
    kx, ky = _KIND.get(x[:1], 2), _KIND.get(y[:1], 2)
    if kx != ky and kx < 4 and ky < 4:  # two scalars of different kinds: no parsing needed
        return 1 if kx > ky else -1
    a, b = _parsed(x), _parsed(y)
    raw_a, raw_b = not isinstance(a, (list, dict)), not isinstance(b, (list, dict))
    return _compare([a] if raw_a else a, [b] if raw_b else b, raw_a, raw_b)
