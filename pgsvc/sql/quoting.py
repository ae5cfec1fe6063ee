"""Quoting of identifiers: PostgreSQL's rule for the text pgsvc shows, SQLite's for the SQL it runs.

quote_ident is PostgreSQL 15's quote_identifier (ruleutils.c), the one rule behind SQL
quote_ident() and format('%I'), the deparser (pg_get_viewdef and the other pg_get_*def),
the reg* types' output, format_type and the pgsvc dump script. A name stays bare only
when it starts with a lower-case ASCII letter or '_', holds nothing but those and digits
('$' is quoted), and is no keyword other than an unreserved one. The keyword lists are
PostgreSQL 15's, from pglast (the grammar pgsvc parses with).

This module imports nothing of pgsvc, so the client-side dump tool uses it without
loading the SQL engine.
"""

from __future__ import annotations

import re
from typing import Callable

from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS

_SAFE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_NEEDS_QUOTING = frozenset(RESERVED_KEYWORDS) | frozenset(TYPE_FUNC_NAME_KEYWORDS) | frozenset(COL_NAME_KEYWORDS)


# quote_all_identifiers (pg_dump --quote-all-identifiers): a backend registers how to read
# its session's setting (pgsvc.sql.pg_functions); the dump tool never does
_quote_all: list[Callable[[], bool]] = []


def set_quote_all_source(fn: Callable[[], bool]) -> None:
    _quote_all[:] = [fn]


def quote_ident(name: str) -> str:
    """PostgreSQL's quote_identifier: the name bare when that reads back as the same name,
    otherwise in double quotes with embedded double quotes doubled (always, while the
    session's quote_all_identifiers is on)."""
    if _SAFE_NAME.fullmatch(name) and name not in _NEEDS_QUOTING and not (_quote_all and _quote_all[0]()):
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_qualified(schema: str, name: str) -> str:
    """schema.name, each part quoted as quote_ident does."""
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def quote_sqlite_ident(name: str) -> str:
    """A name in the SQL pgsvc sends to SQLite: always quoted, so no SQLite keyword and no
    character of pgsvc's own names ('$', upper case) can change its meaning."""
    return '"' + name.replace('"', '""') + '"'


def split_top_level(text: str) -> list[str]:
    """The comma-separated items of generated SQL text (a VALUES list, a call's arguments),
    split outside parentheses and quotes, each stripped."""
    out, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    return out + [text[start:].strip()]
