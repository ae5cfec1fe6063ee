"""Quoting for the dump script: string literals and COPY's text format.

The script must mean the same to PostgreSQL 15 and to pgsvc, so names are quoted by
PostgreSQL's own rule, pgsvc.sql.quoting.quote_ident (a module that loads nothing of
the SQL engine).
"""

from __future__ import annotations

import re


def quote_literal(value: str) -> str:
    """A standard-conforming string literal; the script sets standard_conforming_strings
    on, so a backslash is an ordinary character and only quotes are doubled."""
    return "'" + value.replace("'", "''") + "'"


# ---------------------------------------------------------------- COPY text format

_COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f",
                 "\v": "\\v"}
_COPY_SPECIAL = re.compile(r"[\\\t\n\r\b\f\v]")
_COPY_DECODE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_COPY_SEQUENCE = re.compile(r"\\(.)", re.S)


def copy_field(value: str | None) -> str:
    """One value in COPY's text format: NULL is \\N; backslash and the control characters
    that would end a field or a row are escaped."""
    if value is None:
        return "\\N"
    return _COPY_SPECIAL.sub(lambda mo: _COPY_ESCAPES[mo.group()], value)


def copy_row(values: list[str | None]) -> str:
    return "\t".join(copy_field(v) for v in values) + "\n"


def parse_copy_row(line: str) -> list[str | None]:
    """The values of one COPY text-format row (without its newline): the inverse of
    copy_row. COPY TO writes only the escapes copy_field makes; any other backslash
    pair stands for its second character, as COPY FROM reads it."""
    return [None if field == "\\N" else _decode_field(field) for field in line.split("\t")]


def _decode_field(field: str) -> str:
    if "\\" not in field:
        return field
    return _COPY_SEQUENCE.sub(lambda mo: _COPY_DECODE.get(mo.group(1), mo.group(1)), field)
