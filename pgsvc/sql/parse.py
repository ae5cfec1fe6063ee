"""Parsing with pglast (PostgreSQL's own grammar) and the literal-lifting cache key.

`parse(sql)` returns the RawStmt list or raises 42601 with PostgreSQL's message and
position. `lift_literals(piece)` rewrites one DML/query statement's text so that its
plain literals become parameters: "UPDATE t SET a = a + 5 WHERE id = 'x'" becomes
("UPDATE t SET a = a + $1 WHERE id = $2", [("i", "5"), ("s", "x")]). The rewritten
text is the cache key of the translated statement, so repeated simple queries that
differ only in literals are parsed and translated once. Integer literals stay int4,
larger ones int8/numeric (the kind letter is part of the key), strings stay untyped.
Texts the rewrite would change in meaning (E'' strings, $n already present, typed
literals like DATE '...') are detected by a failed parse of the rewritten text or
are left alone.
"""

from __future__ import annotations

import pglast
from pglast import parser as _p

from pgsvc.errors import SqlError, SqlNotice

_CACHEABLE_START = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES"}
# errors PostgreSQL's grammar raises as feature_not_supported (no position)
_GRAMMAR_NOT_SUPPORTED = frozenset({"CREATE OR REPLACE CONSTRAINT TRIGGER is not supported"})
_GRAMMAR_SYNTAX_NO_POSITION = frozenset({"WITH TIES cannot be specified without ORDER BY clause"})


def parse(sql: str) -> list:
    try:
        return pglast.parse_sql(sql)
    except _p.ParseError as e:
        # pglast 5: args = (message, 0-based location or None); None is "end of input",
        # which PostgreSQL reports one past the last character.
        msg = e.args[0] if e.args else str(e)
        if msg in _GRAMMAR_NOT_SUPPORTED:  # gram.y's own ereport: 0A000, no position
            raise SqlError("0A000", msg) from None
        if msg.startswith("invalid byte sequence for encoding"):  # E'\000': the scanner's 22021, no position
            raise SqlError("22021", msg) from None
        if msg in _GRAMMAR_SYNTAX_NO_POSITION:  # gram.y's own ereport: 42601, no position
            raise SqlError("42601", msg) from None
        loc = e.args[1] if len(e.args) > 1 else None
        if isinstance(loc, int) and loc >= 0:  # a byte offset; clients count characters
            pos = len(sql.encode("utf-8")[:loc].decode("utf-8", "ignore")) + 1
        else:
            pos = len(sql) + 1
        if pos > len(sql) + 1:
            pos = len(sql) + 1
        raise SqlError("42601", msg, position=pos) from None


def scan(sql: str) -> list:
    try:
        return _p.scan(sql)
    except _p.ParseError as e:
        raise SqlError("42601", e.args[0] if e.args else str(e)) from None


NAMEDATALEN = 64


def truncation_notices(sql: str, tokens: list) -> list[SqlNotice]:
    """PostgreSQL's scanner NOTICE (42622) for each identifier of NAMEDATALEN bytes or
    more, which it truncates to NAMEDATALEN - 1 bytes of whole characters; pglast's parser
    truncates the same way, silently. Sent before the statement runs (PostgreSQL's raw
    parser emits it)."""
    out = []
    for tok in tokens:
        # under 16 characters an identifier cannot reach 64 bytes of UTF-8
        if tok.name != "IDENT" or tok.end - tok.start < 15:
            continue
        raw = sql[tok.start:tok.end + 1]
        if len(raw) < NAMEDATALEN and raw.isascii():
            continue  # ASCII: one byte a character, and the name is no longer than its token
        if raw.startswith('"'):
            ident = raw[1:-1].replace('""', '"')
        else:  # downcase_identifier: ASCII letters only under a multibyte encoding (UTF8)
            ident = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in raw)
        data = ident.encode("utf-8")
        if len(data) >= NAMEDATALEN:
            cut = data[:NAMEDATALEN - 1].decode("utf-8", "ignore")
            out.append(SqlNotice(f'identifier "{ident}" will be truncated to "{cut}"', sqlstate="42622"))
    return out


def split_tokens(sql: str, tokens: list) -> list[tuple[int, int, list]]:
    """(start, end, tokens) of each ';'-separated piece; empty pieces are dropped."""
    pieces, cur, start = [], [], 0
    for tok in tokens:
        if tok.name == "ASCII_59":
            if cur:
                pieces.append((start, tok.start, cur))
            cur, start = [], tok.end + 1
        else:
            if not cur:
                start = tok.start
            cur.append(tok)
    if cur:
        pieces.append((start, len(sql), cur))
    return pieces


def lift_literals(sql: str, tokens: list) -> tuple[str, list[tuple[str, str, int]]] | None:
    """Rewrite literals as $n parameters; None if the statement is not a candidate."""
    if not tokens or tokens[0].name not in _CACHEABLE_START:
        return None
    out, literals, pos = [], [], tokens[0].start
    for tok in tokens:  # every query text's tokens: only a literal's text is sliced
        name = tok.name
        if name == "ICONST":
            kind, text = "i", sql[tok.start:tok.end + 1]
        elif name == "SCONST":
            text = sql[tok.start:tok.end + 1]
            if not text.startswith("'") or not text.endswith("'"):
                return None
            kind, text = "s", text[1:-1].replace("''", "'")
        elif name == "FCONST":
            text = sql[tok.start:tok.end + 1]
            if text in _NEGATED_BOUNDS and _follows_minus(tokens, tok):
                return None  # PostgreSQL's grammar folds -2147483648 into an int4 constant
            kind = _float_kind(text)
        elif name == "PARAM":
            return None
        else:
            continue
        out.append(sql[pos:tok.start])
        literals.append((kind, text, tok.start))
        out.append(f"${len(literals)}")
        pos = tok.end + 1
    if not literals:
        return None
    out.append(sql[pos:tokens[-1].end + 1])
    return "".join(out), literals


# integer literals one past int4's and int8's maximum: negated by the grammar (doNegate)
# they are the minimum of the smaller type, a type a lifted $n would not get
_NEGATED_BOUNDS = ("2147483648", "9223372036854775808")


def _follows_minus(tokens: list, tok) -> bool:
    """Whether the token before `tok` is a '-' (unary or not: then the text is not lifted)."""
    i = tokens.index(tok)
    return i > 0 and tokens[i - 1].name == "ASCII_45"


def _float_kind(text: str) -> str:
    if text.isdigit():
        return "8" if int(text) < 2**63 else "n"
    return "n"


def cache_key(rewritten: str, literals: list[tuple[str, str]]) -> str:
    return rewritten + "\x00" + "".join(lit[0] for lit in literals)
