"""Pattern translation: SQL's SIMILAR TO into a POSIX regular expression, as
PostgreSQL's similar_to_escape() does (the regex operator then evaluates it)."""

from __future__ import annotations

import re


def similar_to_regex(pat: str, escape: str) -> str:
    out, i, in_bracket = ["^(?:"], 0, False
    while i < len(pat):
        c = pat[i]
        if escape and c == escape and i + 1 < len(pat):
            out.append(re_escape(pat[i + 1]))
            i += 2
            continue
        if in_bracket:
            out.append(c)
            in_bracket = c != "]"
        elif c == "[":
            out.append(c)
            in_bracket = True
        elif c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        elif c == ".":
            out.append("\\.")
        elif c in "^$":
            out.append("\\" + c)
        else:
            out.append(c)
        i += 1
    out.append(")$")
    return "".join(out)


def re_escape(c: str) -> str:
    return re.escape(c)
