"""standard_conforming_strings = off: ordinary string literals ('...') treat backslashes
as escapes, as PostgreSQL's lexer (scan.l) reads them then, and escape_string_warning
says so once per literal (22P06 with PostgreSQL's wording, hint and position).

PostgreSQL's grammar as pgsvc parses it (libpg_query) always conforms; so, when the
setting is off and the query holds a backslash, such a literal is rewritten as the escape
string it means (E'...') before parsing. The scan here follows scan.l's states: comments
(nested /* */), quoted identifiers, dollar quotes, E'' / B'' / X'' literals left alone,
U&'' refused as PostgreSQL refuses it then, and a literal continued on a following line
('a'<newline>'b') taken as one.
"""

from __future__ import annotations

import re

from pgsvc.errors import SqlError, SqlNotice

# [A-Za-z_\x80-\uffff] and [A-Za-z_0-9\x80-\uffff] (dolq_start, dolq_cont) written as the
# complements they are: the same sets, ~0.3 ms to compile instead of ~3 ms (re builds a
# 64k-entry map for a wide range), paid by every server start.
_DOLLAR = re.compile(r"\$([^\x00-@\[-^`{-\x7f\U00010000-\U0010ffff][^\x00-/:-@\[-^`{-\x7f\U00010000-\U0010ffff]*)?\$")
_CONTINUATION = re.compile(r"[ \t\f\r]*\n[ \t\n\f\r]*'")
_IDENT_CHAR = re.compile(r"[^\x00-#%-/:-@\[-^`{-\x7f\U00010000-\U0010ffff]")  # [A-Za-z_0-9$\x80-\uffff]

_WARNINGS = {
    "'": ("nonstandard use of \\' in a string literal",
          "Use '' to write quotes in strings, or use the escape string syntax (E'...')."),
    "\\": ("nonstandard use of \\\\ in a string literal",
           "Use the escape string syntax for backslashes, e.g., E'\\\\'."),
}
_ESCAPE_WARNING = ("nonstandard use of escape in a string literal",
                   "Use the escape string syntax for escapes, e.g., E'\\r\\n'.")


def with_standard_strings(sql: str, settings, notice) -> str:
    """The query as a standard-conforming parser must read it (see the module docstring);
    unchanged unless standard_conforming_strings is off and it holds a backslash."""
    if "\\" not in sql or settings.get("standard_conforming_strings"):
        return sql
    return rewrite(sql, notice if settings.get("escape_string_warning") else None)


def rewrite(sql: str, notice=None) -> str:
    out: list[str] = []
    i, n, done = 0, len(sql), 0
    while i < n:
        c = sql[i]
        if c == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif c == "/" and sql.startswith("/*", i):
            i = _skip_comment(sql, i)
        elif c == '"':
            end = sql.find('"', i + 1)
            while end >= 0 and sql.startswith('""', end):
                end = sql.find('"', end + 2)
            i = n if end < 0 else end + 1
        elif c == "$" and (i == 0 or not _IDENT_CHAR.match(sql[i - 1])) and (m := _DOLLAR.match(sql, i)):
            end = sql.find(m.group(0), m.end())
            i = n if end < 0 else end + len(m.group(0))
        elif c == "'":
            prefix = _prefix(sql, i)
            if prefix == "U&":
                raise SqlError("0A000", "unsafe use of string constant with Unicode escapes", position=i - 1,
                               detail="String constants with Unicode escapes cannot be used when "
                                      "standard_conforming_strings is off.")
            if prefix:
                i = _skip_escape_string(sql, i) if prefix in "eE" else _skip_standard_string(sql, i)
                continue
            end, escape = _scan_plain(sql, i)
            if escape is not None:
                out.append(sql[done:i])
                out.append("E")
                done = i
                if notice is not None:
                    message, hint = _WARNINGS.get(escape, _ESCAPE_WARNING)
                    notice(SqlNotice(message, sqlstate="22P06", severity="WARNING", hint=hint, position=i + 1))
            i = end
        else:
            i += 1
    out.append(sql[done:])
    return "".join(out)


def _prefix(sql: str, i: int) -> str:
    """The letter(s) before a quote that make it another kind of literal: E, B, X, N, U&."""
    if i == 0:
        return ""
    p = sql[i - 1]
    before = sql[i - 2] if i >= 2 else ""
    if p in "eEbBxX" and not (before and _IDENT_CHAR.match(before)):
        return p
    if p == "&" and before in "uU" and not (i >= 3 and _IDENT_CHAR.match(sql[i - 3])):
        return "U&"
    return ""


def _skip_comment(sql: str, i: int) -> int:
    depth, i, n = 0, i, len(sql)
    while i < n:
        if sql.startswith("/*", i):
            depth += 1
            i += 2
        elif sql.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


def _skip_standard_string(sql: str, i: int) -> int:
    i += 1
    while True:
        end = sql.find("'", i)
        if end < 0:
            return len(sql)
        if sql.startswith("''", end):
            i = end + 2
            continue
        m = _CONTINUATION.match(sql, end + 1)
        if m is None:
            return end + 1
        i = m.end()


def _skip_escape_string(sql: str, i: int) -> int:
    return _scan_plain(sql, i)[0]


def _scan_plain(sql: str, i: int) -> tuple[int, str | None]:
    """A literal read with backslash escapes from its opening quote: (the index after it,
    the character after its first backslash, or None if it has none)."""
    n = len(sql)
    i += 1
    first = None
    while i < n:
        c = sql[i]
        if c == "\\":
            if first is None:
                first = sql[i + 1] if i + 1 < n else ""
            i += 2
        elif c == "'":
            if sql.startswith("''", i):
                i += 2
                continue
            m = _CONTINUATION.match(sql, i + 1)
            if m is None:
                return i + 1, first
            i = m.end()
        else:
            i += 1
    return n, first
