"""json and jsonb text: validation with PostgreSQL's errors, and jsonb's normalised
output (keys ordered by length then bytes, last duplicate wins, numbers as numeric,
', ' and ': ' separators).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from pgsvc.errors import SqlError
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


def loads(text: str) -> Any:
    """Parse JSON as PostgreSQL does (no NaN/Infinity); numbers as JsonNumber."""
    try:
        return json.loads(text, parse_float=_number, parse_int=_number,
                          parse_constant=_reject_constant, object_pairs_hook=_last_wins)
    except (ValueError, RecursionError) as exc:
        raise _error(text, exc) from None


def validate_json(text: str) -> str:
    loads(text)
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
    if "\\u0000" in text:
        _no_nul_escape(text)
    return dumps_jsonb(loads(text))


def _no_nul_escape(text: str) -> None:
    """jsonb (text) cannot hold \\u0000: PostgreSQL's 22P05 at the first one in a string."""
    m = _NUL_ESCAPE.search(text)
    if m is None:
        return
    try:  # a syntax error before it comes first, as PostgreSQL's lexer meets them in turn
        json.loads(text)
        bad_at = len(text)
    except json.JSONDecodeError as e:
        bad_at = len(text) if e.msg.startswith("Unterminated string") else e.pos
    except (ValueError, RecursionError):
        bad_at = len(text)
    if m.start() < bad_at:
        raise SqlError("22P05", "unsupported Unicode escape sequence", detail="\\u0000 cannot be converted to text.",
                       context=f"JSON data, line 1: {text[:m.end()]}...")


# a \u0000 escape: preceded by an even number of backslashes
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def dumps_json(value: Any) -> str:
    """json (not jsonb) text built by functions (json_build_object etc.): PG's spacing."""
    if isinstance(value, dict):
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + " : " + dumps_json(v)
                               for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps_json(v) for v in value) + "]"
    return dumps_jsonb(value)
