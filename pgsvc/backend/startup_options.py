"""A new session's start-up options: the start-up packet's parameters and its `options`
string (-c name=value, --name=value), as the values the session starts with and RESET
returns to (PostgreSQL's PGC_S_CLIENT values). Run by the backend before the engine opens.
"""

from __future__ import annotations

from pgsvc.client_encodings import canonical_name
from pgsvc.errors import PROTOCOL_VIOLATION, FatalError, SqlError
from pgsvc.settings import PLANNER_SETTINGS


def apply_startup_options(settings, params: dict[str, str]) -> list[tuple[str, str, str]]:
    """Start-up packet parameters and `options` (-c name=value, --name=value) as the values
    the session starts with (RESET returns to them, as to PostgreSQL's PGC_S_CLIENT
    values). Returns the planner knobs among them, which live in the engine:
    [(name, value, "client")] for Engine.apply_login_deferred."""
    planner: list[tuple[str, str, str]] = []
    for name, value in params.items():
        if name in ("user", "database", "replication"):
            continue
        if name == "options":
            for opt_name, opt_value in _parse_options(value):
                _set_startup(settings, opt_name, opt_value, planner)
            continue
        _set_startup(settings, name, value, planner)
    return planner


def _set_startup(settings, name: str, value: str, planner: list) -> None:
    if name.lower() in PLANNER_SETTINGS:
        planner.append((name.lower(), value, "client"))
        return
    try:
        settings.set_default(name, value, "client")
    except SqlError as e:  # PostgreSQL's message and SQLSTATE, as a FATAL
        if e.sqlstate == "0A000" and name.lower() == "client_encoding":
            # InitializeClientEncoding's own words for a client encoding it cannot convert
            raise FatalError("0A000", f"conversion between {canonical_name(value)} and UTF8 is not supported") \
                from None
        raise FatalError(e.sqlstate, e.message, detail=e.detail, hint=e.hint) from None


def _parse_options(text: str) -> list[tuple[str, str]]:
    words, current, escape = [], "", False
    for ch in text:
        if escape:
            current += ch
            escape = False
        elif ch == "\\":
            escape = True
        elif ch.isspace():
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
    if current:
        words.append(current)
    result = []
    i = 0
    while i < len(words):
        word = words[i]
        if word == "-c" and i + 1 < len(words):
            word = "--" + words[i + 1]
            i += 1
        elif word.startswith("-c"):
            word = "--" + word[2:]
        if word.startswith("--") and "=" in word:
            name, value = word[2:].split("=", 1)
            result.append((name.replace("-", "_"), value))
        else:
            raise FatalError(PROTOCOL_VIOLATION, f'invalid command-line argument for server process: {word}',
                             hint='Try "pgsvc --help" for more information.')
        i += 1
    return result
