"""PostgreSQL 15's regular-expression functions over pgsvc's translation of its patterns
(functions.core_udfs.pg_regex): regexp_count, regexp_instr, regexp_like, regexp_substr,
regexp_replace with a start position and an occurrence, regexp_split_to_array and
regexp_split_to_table, with regexp.c's argument checks and messages. Matches are found as
setup_regexp_matches finds them: from the start position on, each search starting where the
last match ended (one further after an empty match); a split ignores the empty matches at
the string's start or end and right after the previous match."""

from __future__ import annotations

import json

from pgsvc.errors import SqlError
from pgsvc.sql.functions.core_udfs import pg_regex

_FLAGS = set("gbceimnpqstwx")


def _flags(flags: str | None, fn: str | None) -> str:
    """parse_re_flags; fn: the function that refuses the 'g' option."""
    flags = flags or ""
    for c in flags:
        if c not in _FLAGS:
            raise SqlError("22023", f'invalid regular expression option: "{c}"')
    if fn is not None and "g" in flags:
        raise SqlError("22023", f'{fn} does not support the "global" option')
    return flags


def _positive(name: str, value: int, allow_zero: bool = False) -> int:
    if value < 0 or value == 0 and not allow_zero:
        raise SqlError("22023", f'invalid value for parameter "{name}": {value}')
    return value


def _matches(s: str, pattern: str, flags: str, start: int = 1):
    return pg_regex(pattern, flags.replace("g", "")).finditer(s, start - 1)


def regexp_count(s, pattern, start=1, flags=None):
    _positive("start", start)
    return sum(1 for _ in _matches(s, pattern, _flags(flags, "regexp_count()"), start))


def _nth(s, pattern, start, n, flags, fn):
    _positive("start", start)
    _positive("n", n)
    for i, m in enumerate(_matches(s, pattern, _flags(flags, fn), start), 1):
        if i == n:
            return m
    return None


def regexp_instr(s, pattern, start=1, n=1, endoption=0, flags=None, subexpr=0):
    _positive("start", start)
    _positive("n", n)
    if endoption not in (0, 1):
        raise SqlError("22023", f'invalid value for parameter "endoption": {endoption}')
    _positive("subexpr", subexpr, allow_zero=True)
    m = _nth(s, pattern, start, n, flags, "regexp_instr()")
    if m is None or subexpr > m.re.groups:
        return 0
    pos = m.end(subexpr) if endoption else m.start(subexpr)
    return pos + 1 if m.start(subexpr) >= 0 else 0


def regexp_substr(s, pattern, start=1, n=1, flags=None, subexpr=0):
    _positive("start", start)
    _positive("n", n)
    _positive("subexpr", subexpr, allow_zero=True)
    m = _nth(s, pattern, start, n, flags, "regexp_substr()")
    if m is None or subexpr > m.re.groups:
        return None
    return m.group(subexpr)


def regexp_like(s, pattern, flags=None):
    return 1 if pg_regex(pattern, _flags(flags, "regexp_like()")).search(s) else 0


def _replacement(m, repl: str) -> str:
    """The replacement text with \\1..\\9 (a group that took no part: nothing), \\& (the
    whole match) and \\\\ (one backslash), as appendStringInfoRegexpSubstr reads it."""
    out, i = [], 0
    while i < len(repl):
        c = repl[i]
        if c == "\\" and i + 1 < len(repl):
            nxt = repl[i + 1]
            if nxt.isdigit() and nxt != "0":
                k = int(nxt)
                out.append((m.group(k) or "") if k <= m.re.groups else "")
                i += 2
                continue
            if nxt == "&":
                out.append(m.group(0))
                i += 2
                continue
            if nxt == "\\":
                out.append("\\")
                i += 2
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _replace(s, pattern, repl, start, n, flags):
    """Replace the n-th match from start (n = 0: every one)."""
    out, last = [], 0
    for i, m in enumerate(_matches(s, pattern, flags, start), 1):
        if n and i < n:
            continue
        out.append(s[last:m.start()])
        out.append(_replacement(m, repl))
        last = m.end()
        if n:
            break
    out.append(s[last:])
    return "".join(out)


def regexp_replace(s, pattern, repl, flags):
    """regexp_replace(source, pattern, replacement, flags)."""
    if flags and flags[0].isdigit():
        raise SqlError("22023", f'invalid regular expression option: "{flags[0]}"',
                       hint="If you meant to use regexp_replace() with a start parameter, cast the fourth argument "
                            "to integer explicitly.")
    flags = _flags(flags, None)
    return _replace(s, pattern, repl, 1, 0 if "g" in flags else 1, flags)


def regexp_replace_extended(s, pattern, repl, start=1, n=None, flags=None):
    """regexp_replace(source, pattern, replacement, start [, N [, flags]]): without N, the
    'g' flag decides (every match or the first)."""
    _positive("start", start)
    flags = _flags(flags, None)
    if n is None:
        n = 0 if "g" in flags else 1
    _positive("n", n, allow_zero=True)
    return _replace(s, pattern, repl, start, n, flags)


def split(s: str, pattern: str, flags: str | None, fn: str) -> list[str]:
    pieces, last = [], 0
    for m in _matches(s, pattern, _flags(flags, fn)):
        if m.start() < len(s) and m.end() > last:
            pieces.append(s[last:m.start()])
            last = m.end()
    pieces.append(s[last:])
    return pieces


def split_to_table_rows(s, pattern, flags=""):
    """regexp_split_to_table's rows (a generator of the set-returning function)."""
    if s is None or pattern is None or flags is None:
        return
    yield from split(s, pattern, flags, "regexp_split_to_table()")


def _strict(fn):
    def wrapped(*args):
        return None if any(a is None for a in args) else fn(*args)
    return wrapped


def make_udfs() -> dict:
    out = {}
    for n in (2, 3, 4):
        out[f"pgsvc_regexp_count{n}"] = (n, _strict(regexp_count))
    for n in (2, 3, 4, 5, 6, 7):
        out[f"pgsvc_regexp_instr{n}"] = (n, _strict(regexp_instr))
    for n in (2, 3, 4, 5, 6):
        out[f"pgsvc_regexp_substr{n}"] = (n, _strict(regexp_substr))
    for n in (2, 3):
        out[f"pgsvc_regexp_like{n}"] = (n, _strict(regexp_like))
    out["pgsvc_regexp_replace_flags"] = (4, _strict(regexp_replace))
    for n in (4, 5, 6):
        out[f"pgsvc_regexp_replace_ext{n}"] = (n, _strict(regexp_replace_extended))
    out["pgsvc_regexp_split_to_array2"] = (2, _strict(
        lambda s, p: json.dumps(split(s, p, None, "regexp_split_to_array()"), ensure_ascii=False)))
    out["pgsvc_regexp_split_to_array3"] = (3, _strict(
        lambda s, p, f: json.dumps(split(s, p, f, "regexp_split_to_array()"), ensure_ascii=False)))
    return out
