"""json (not jsonb) field and path access over the stored text, as PostgreSQL's json
functions do it: json keeps its input text, so `->`, `#>`, json_extract_path return the
value's own text (its spacing, its number spelling: '1.50e3', '[2, 3 ]'), `->>`, `#>>` and
json_extract_path_text that text too, or a string's decoded value; of keys given twice the
last one counts, and a negative subscript counts from the end of an array."""

from __future__ import annotations

import json
import re

from pgsvc.sql.types.jsontext import loads

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def _skip(s: str, i: int) -> int:
    return _WS.match(s, i).end()


def _span(s: str, i: int) -> tuple[int, int]:
    i = _skip(s, i)
    return i, _DECODER.raw_decode(s, i)[1]


def _members(s: str, i: int):
    """(key, start, end) of each member of the object at s[i] == '{'."""
    i = _skip(s, i + 1)
    if s[i] == "}":
        return
    while True:
        key, i = _DECODER.raw_decode(s, i)
        i = _skip(s, i) + 1  # the ':'
        start, end = _span(s, i)
        yield key, start, end
        i = _skip(s, end)
        if s[i] != ",":
            return
        i = _skip(s, i + 1)


def _elements(s: str, i: int) -> list[tuple[int, int]]:
    out = []
    i = _skip(s, i + 1)
    if s[i] == "]":
        return out
    while True:
        start, end = _span(s, i)
        out.append((start, end))
        i = _skip(s, end)
        if s[i] != ",":
            return out
        i = _skip(s, i + 1)


def _step(s: str, start: int, key, in_path: bool) -> tuple[int, int] | None:
    """The span of member `key` (a text key of an object, an integer subscript of an array;
    in a path, a text step that is an integer subscripts an array too) of the value at s[start]."""
    c = s[start]
    if c == "{" and isinstance(key, str):
        found = None
        for k, vs, ve in _members(s, start):
            if k == key:
                found = (vs, ve)  # (the last of a key given twice)
        return found
    if c == "[" and (not isinstance(key, str) or in_path and _is_subscript(key)):
        items = _elements(s, start)
        n = int(key)
        if n < 0:
            n += len(items)
        return items[n] if 0 <= n < len(items) else None
    return None


def _is_subscript(text: str) -> bool:
    return bool(re.fullmatch(r"\s*[+-]?\d+\s*", text))


def _text_of(s: str, start: int, end: int) -> str | None:
    raw = s[start:end]
    if raw.startswith('"'):
        return _DECODER.raw_decode(raw)[0]
    return None if raw == "null" else raw


def _find(text: str, steps, in_path: bool = False) -> tuple[int, int] | None:
    loads(text)  # (the document's strings checked as PostgreSQL's parser checks them: \u0000, lone surrogates)
    span = _span(text, 0)
    for step in steps:
        if step is None:
            return None
        span = _step(text, span[0], step, in_path)
        if span is None:
            return None
    return span


def get(text, key):
    """json -> key."""
    if text is None or key is None:
        return None
    span = _find(text, [key])
    return None if span is None else text[span[0]:span[1]]


def get_text(text, key):
    """json ->> key."""
    if text is None or key is None:
        return None
    span = _find(text, [key])
    return None if span is None else _text_of(text, *span)


def path(text, path_json):
    """json #> path, json_extract_path (the path: a text[] stored form, a JSON array)."""
    if text is None or path_json is None:
        return None
    span = _find(text, json.loads(path_json), True)
    return None if span is None else text[span[0]:span[1]]


def path_text(text, path_json):
    """json #>> path, json_extract_path_text."""
    if text is None or path_json is None:
        return None
    span = _find(text, json.loads(path_json), True)
    return None if span is None else _text_of(text, *span)


def make_udfs() -> dict:
    return {"pgsvc_json_get_text_raw": (2, get_text), "pgsvc_json_path_text_raw": (2, path_text)}
