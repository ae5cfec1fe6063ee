"""A PL/pgSQL body as libpg_query's own PL/pgSQL parser reads it (pglast.parser.
parse_plpgsql_json: PostgreSQL's pl_gram.y, which returns the PLpgSQL_* tree as JSON), and
what that parser does not say, recovered from the body's tokens (PostgreSQL's core scanner,
pglast.parser.scan) - no PL/pgSQL grammar is written here:

  - which variables each block declares: libpg_query's JSON gives every datum of the
    function in creation order but not the block that declared it; the DECLARE sections
    are found in the token stream (the tokens between DECLARE and the block's BEGIN, split
    at ';'), each declaration's name, line, type text and cursor arguments;
  - where an error is: libpg_query reports no position for PL/pgSQL errors; the shortest
    prefix of the body that fails with the same message gives it (PostgreSQL points at
    the token where the parser stopped);
  - libpg_query's stubs: its datatype lookup knows no composite types (`r t%ROWTYPE`, `r
    mytable`, `r record` are scalars to it, so `r.f := ...` fails to parse) and its
    functions have no OUT parameters (`RETURN NEXT;` fails). The text handed to the parser
    therefore says RECORD for those declarations and `RETURN NEXT pgsvc$outrow` for the
    latter; positions in the parser's text are mapped back to the body's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from pglast import parser as pgparser

from pgsvc.errors import SqlError

OUTROW = "pgsvc$outrow"  # RETURN NEXT's expression where the body said RETURN NEXT;
_JUNK = " $pgsvc_junk$"  # appended to a prefix: an unterminated string the parser never accepts
_STOP_TYPE = {"COLLATE", "NOT", "COLON_EQUALS", "ASCII_61", "DEFAULT"}


def normalize_ident(raw: str) -> str:
    """An identifier as PostgreSQL's scanner reads it: quoted kept, else ASCII-downcased."""
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return raw[1:-1].replace('""', '"')
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in raw)


@dataclass
class Tok:
    start: int  # character offsets in the body
    end: int  # exclusive
    name: str
    text: str


@dataclass
class Decl:
    """One declaration of a DECLARE section."""

    name: str
    line: int
    kind: str  # var / cursor / alias
    nargs: int = 0  # a cursor's arguments
    type_text: str | None = None
    type_pos: int = 0  # character offset of the type in the body
    record: bool = False  # declared RECORD for the parser (a composite or record variable)
    name_pos: int = 0  # character offset of the name in the body
    arg_names: list = field(default_factory=list)  # a cursor's arguments: (name, offset in the body)


@dataclass
class CursorStmt:
    """A cursor statement the parser is not given as written (see Source.rewrite_cursors)."""

    kind: str  # open_query / open_exec / open_bound / fetch / move / close / loop
    line: int  # the statement's line
    cursor: str  # the cursor variable's name
    options: str = ""  # OPEN's [NO] SCROLL
    direction: str = "next"  # FETCH / MOVE: next prior first last absolute relative forward backward
    count: str | None = None  # the direction's expression
    args: str | None = None  # a bound cursor's arguments
    args_pos: int = 0  # where they start in the body
    query: str | None = None  # OPEN ... FOR query: its text
    used: bool = False
    match_line: int = 0  # open_query / open_exec: the line the parser's statement starts on


@dataclass
class Section:
    begin: int  # ordinal of its block's BEGIN among the body's BEGIN keywords
    decls: list[Decl] = field(default_factory=list)
    line: int = 0  # the DECLARE's line (PostgreSQL's line of the block)


def tokens_of(text: str) -> list[Tok]:
    try:
        raw = [t for t in pgparser.scan(text) if t.name not in ("SQL_COMMENT", "C_COMMENT")]
    except pgparser.ParseError:
        return []
    if text.isascii():
        return [Tok(t.start, t.end + 1, t.name, text[t.start:t.end + 1]) for t in raw]
    data = text.encode("utf-8")
    out = []
    for t in raw:
        s = len(data[:t.start].decode("utf-8", "ignore"))
        e = len(data[:t.end + 1].decode("utf-8", "ignore"))
        out.append(Tok(s, e, t.name, text[s:e]))
    return out


def line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


class Source:
    """The body, its tokens and DECLARE sections, and the text given to the parser."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokens_of(text)
        self.sections: list[Section] = []
        begins = 0
        i, n = 0, len(self.toks)
        while i < n:
            t = self.toks[i]
            if t.name == "BEGIN_P":
                begins += 1
            elif t.name == "DECLARE":
                i = self.read_section(i + 1, begins)
                self.sections[-1].line = line_of(text, t.start)
                continue
            i += 1
        self.options = self.compiler_options()
        self.edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in the body
        self.cursor_stmts: list[CursorStmt] = []

    def compiler_options(self) -> list[tuple[str, str]]:
        """#variable_conflict error|use_variable|use_column, #print_strict_params on|off
        before the body's first block (PostgreSQL's comp_options)."""
        out = []
        toks = self.toks
        i = 0
        while i + 2 < len(toks) and toks[i].text == "#":
            out.append((toks[i + 1].text.lower(), toks[i + 2].text.lower()))
            i += 3
        return out

    def read_section(self, i: int, begin_ordinal: int) -> int:
        section = Section(begin_ordinal)
        current: list[Tok] = []
        depth = 0
        while i < len(self.toks) and self.toks[i].name != "BEGIN_P":
            t = self.toks[i]
            if t.name == "ASCII_40":
                depth += 1
            elif t.name == "ASCII_41":
                depth -= 1
            if t.name == "ASCII_59" and depth <= 0:
                if current:
                    section.decls.append(self.declaration(current))
                current = []
            elif t.name != "DECLARE" or current:
                current.append(t)
            i += 1
        self.sections.append(section)
        return i

    def declaration(self, toks: list[Tok]) -> Decl:
        name = normalize_ident(toks[0].text)
        line = line_of(self.text, toks[0].start)
        second = toks[1].text.lower() if len(toks) > 1 else ""
        if second == "alias":
            target = toks[3] if len(toks) > 3 else None
            return Decl(name, line, "alias", type_text=target.text if target else "",
                        type_pos=target.start if target else 0, name_pos=toks[0].start)
        if second in ("cursor", "scroll", "no"):
            nargs, depth, started = 0, 0, False
            arg_names = []
            expect_name = False
            for t in toks[2:]:
                if t.name in ("FOR", "IS") and depth == 0:
                    break
                if t.name == "ASCII_40":
                    depth += 1
                    if depth == 1:
                        started = True
                        nargs = 0
                        expect_name = True
                        continue
                elif t.name == "ASCII_41":
                    depth -= 1
                elif depth == 1 and t.name == "ASCII_44":
                    nargs += 1
                    expect_name = True
                    continue
                if depth == 1 and expect_name:
                    arg_names.append((normalize_ident(t.text), t.start))
                    expect_name = False
                if depth == 1 and started and nargs == 0:
                    nargs = 1
            return Decl(name, line, "cursor", nargs=nargs, name_pos=toks[0].start, arg_names=arg_names)
        k = 2 if second == "constant" else 1
        depth, end = 0, k
        while end < len(toks):
            t = toks[end]
            if t.name == "ASCII_40":
                depth += 1
            elif t.name == "ASCII_41":
                depth -= 1
            elif depth == 0 and t.name in _STOP_TYPE:
                break
            end += 1
        if end <= k:
            return Decl(name, line, "var", name_pos=toks[0].start)
        start_pos, end_pos = toks[k].start, toks[end - 1].end
        return Decl(name, line, "var", type_text=self.text[start_pos:end_pos], type_pos=start_pos,
                    name_pos=toks[0].start)

    # --- the parser's text --------------------------------------------------------------

    def declare_records(self, is_composite) -> None:
        """Say RECORD for declarations of composite or record types (libpg_query's stub)."""
        for section in self.sections:
            for d in section.decls:
                if d.kind != "var" or not d.type_text:
                    continue
                t = d.type_text.strip()
                low = t.lower()
                if "%" in low and not low.replace(" ", "").endswith("%rowtype"):
                    continue
                if low == "record" or low.replace(" ", "").endswith("%rowtype") or is_composite(t):
                    d.record = True
                    if t != "RECORD":
                        self.edits.append((d.type_pos, d.type_pos + len(d.type_text), "RECORD"))

    def name_alias_params(self, names: list[str]) -> None:
        """`ALIAS FOR $n`: the parser knows parameters by name only (the header names every
        one: pgsvc$n where the function did not)."""
        for section in self.sections:
            for d in section.decls:
                t = d.type_text or ""
                if d.kind == "alias" and t.startswith("$") and t[1:].isdigit() and 0 < int(t[1:]) <= len(names):
                    self.edits.append((d.type_pos, d.type_pos + len(t), names[int(t[1:]) - 1]))

    def rewrite_cursors(self, bound: set[str]) -> None:
        """OPEN / FETCH / MOVE / CLOSE and FOR r IN cursor: libpg_query's parser refuses them
        (its stub types know no refcursor). Each is recorded (CursorStmt) and the parser is
        given a statement it accepts in its place: OPEN ... FOR <query | EXECUTE ...> keeps
        the query (the OPEN words blanked), FETCH ... INTO t becomes SELECT pgsvc$fetch_N INTO
        t, the others PERFORM pgsvc$cursor(N), and a cursor loop FOR r IN pgsvc$cursor..N."""
        toks = self.toks
        i = 0
        while i < len(toks):
            t = toks[i]
            prev = toks[i - 1] if i else None
            at_start = prev is None or prev.name == "ASCII_59" or prev.text == ">>" or \
                prev.text.lower() in ("begin", "loop", "then", "else")
            word = t.text.lower()
            if at_start and word in ("open", "fetch", "move", "close") and i + 1 < len(toks):
                end = next((j for j in range(i + 1, len(toks)) if toks[j].name == "ASCII_59"), len(toks))
                self.cursor_statement(word, i, end)
                i = end
                continue
            if t.name == "FOR" and i + 4 < len(toks) and toks[i + 2].name == "IN_P" and \
                    normalize_ident(toks[i + 3].text) in bound and toks[i + 4].name != "DOT_DOT":
                loop = next((j for j in range(i + 4, len(toks)) if toks[j].text.lower() == "loop"), None)
                if loop is not None:
                    self.cursor_loop(i, loop)
                    i = loop
                    continue
            i += 1

    def cursor_statement(self, word: str, i: int, end: int) -> None:
        toks = self.toks
        line = line_of(self.text, toks[i].start)
        n = len(self.cursor_stmts)
        stop = toks[end].start if end < len(toks) else len(self.text)
        if word == "open":
            name = normalize_ident(toks[i + 1].text)
            j = i + 2
            options = []
            while j < end and toks[j].name in ("NO", "SCROLL"):
                options.append(toks[j].text.lower())
                j += 1
            if j < end and toks[j].name == "FOR":
                blank = (toks[i].start, toks[j].end, " " * (toks[j].end - toks[i].start))
                match = line_of(self.text, toks[j + 1].start) if j + 1 < end else line
                if j + 1 < end and toks[j + 1].text.lower() == "execute":
                    self.cursor_stmts.append(CursorStmt("open_exec", line, name, " ".join(options), match_line=match))
                else:
                    query = self.text[toks[j + 1].start:stop].strip() if j + 1 < end else ""
                    self.cursor_stmts.append(CursorStmt("open_query", line, name, " ".join(options), query=query,
                                                        match_line=match))
                self.edits.append(blank)
                return
            args = None
            if j < end and toks[j].name == "ASCII_40":
                close = max(k for k in range(j, end) if toks[k].name == "ASCII_41") if any(
                    toks[k].name == "ASCII_41" for k in range(j, end)) else end - 1
                args = self.text[toks[j].end:toks[close].start]
            self.cursor_stmts.append(CursorStmt("open_bound", line, name, " ".join(options), args=args,
                                                args_pos=toks[j].end))
            self.edits.append((toks[i].start, stop, f"PERFORM pgsvc$cursor({n})"))
            return
        if word == "close":
            self.cursor_stmts.append(CursorStmt("close", line, normalize_ident(toks[i + 1].text)))
            self.edits.append((toks[i].start, stop, f"PERFORM pgsvc$cursor({n})"))
            return
        into = next((k for k in range(i + 1, end) if toks[k].name == "INTO"), end) if word == "fetch" else end
        span = toks[i + 1:into]
        if not span:
            return
        name = normalize_ident(span[-1].text)
        span = span[:-1]
        if span and span[-1].name in ("FROM", "IN_P"):
            span = span[:-1]
        direction, count = "next", None
        if span:
            first = span[0].text.lower()
            if first in ("next", "prior", "first", "last", "absolute", "relative", "forward", "backward", "all"):
                direction = first
                rest = span[1:]
            else:
                direction, rest = "forward", span
            if rest:
                count = self.text[rest[0].start:rest[-1].end]
        kind = "fetch" if word == "fetch" else "move"
        self.cursor_stmts.append(CursorStmt(kind, line, name, direction=direction, count=count))
        if kind == "fetch" and into < end:
            self.edits.append((toks[i].start, toks[into].start, f"SELECT pgsvc$fetch_{n} "))
        else:
            self.edits.append((toks[i].start, stop, f"PERFORM pgsvc$cursor({n})"))

    def cursor_loop(self, i: int, loop: int) -> None:
        toks = self.toks
        n = len(self.cursor_stmts)
        args = None
        if toks[i + 4].name == "ASCII_40" and loop - 1 > i + 4 and toks[loop - 1].name == "ASCII_41":
            args = self.text[toks[i + 4].end:toks[loop - 1].start]
        self.cursor_stmts.append(CursorStmt("loop", line_of(self.text, toks[i].start),
                                            normalize_ident(toks[i + 3].text), args=args, args_pos=toks[i + 4].end))
        self.edits.append((toks[i + 3].start, toks[loop].start, f"pgsvc$cursor..{n} "))

    def mark_return_next(self) -> None:
        """`RETURN NEXT;` of a function with OUT parameters (the parser would want an expression)."""
        for a, b, c in zip(self.toks, self.toks[1:], self.toks[2:]):
            if a.name == "RETURN" and b.name == "NEXT" and c.name == "ASCII_59":
                self.edits.append((b.end, b.end, " " + OUTROW))

    def parser_text(self) -> str:
        out, at = [], 0
        for start, end, repl in sorted(self.edits):
            out.append(self.text[at:start])
            out.append(repl)
            at = end
        out.append(self.text[at:])
        return "".join(out)

    def to_body_offset(self, pos: int) -> int:
        """A character offset in parser_text() as an offset in the body."""
        shift = 0
        for start, end, repl in sorted(self.edits):
            new_start = start + shift
            if pos < new_start:
                break
            if pos < new_start + len(repl):
                return start
            shift += len(repl) - (end - start)
        return pos - shift

    def return_next_targets(self) -> list[tuple[int, str]]:
        """(line, identifier) of each `RETURN NEXT name;` in the body, in order."""
        out = []
        for a, b, c, d in zip(self.toks, self.toks[1:], self.toks[2:], self.toks[3:]):
            if a.name == "RETURN" and b.name == "NEXT" and d.name == "ASCII_59" and c.name not in ("ASCII_59",):
                out.append((line_of(self.text, c.start), normalize_ident(c.text)))
        return out


# --- parsing --------------------------------------------------------------------------------

def dollar_quote(body: str) -> str:
    tag = "$pgsvc$"
    n = 0
    while tag in body:
        n += 1
        tag = f"$pgsvc{n}$"
    return f"{tag}{body}{tag}"


def run_parser(header: str, text: str):
    """libpg_query's PL/pgSQL parse of `header AS <text>`: the function's JSON tree, or
    the parser's message."""
    try:
        out = pgparser.parse_plpgsql_json(f"{header} AS {dollar_quote(text)}")
    except pgparser.ParseError as e:
        return None, (e.args[0] if e.args else str(e))
    return json.loads(out)[0]["PLpgSQL_function"], None


# messages PostgreSQL's PL/pgSQL grammar reports without a position ("near line n" only)
_NO_POSITION = ("too few parameters specified for RAISE", "too many parameters specified for RAISE",
                "unrecognized exception condition")
# messages it reports at a keyword before the token where the parser stopped
_AT_KEYWORD = (("EXIT cannot be used", "EXIT"), ("CONTINUE cannot be used", "CONTINUE"),
               ("must have a default value, since it's declared NOT NULL", "NOT"))


def error_offset(src: Source, header: str, text: str, message: str) -> tuple[int | None, int]:
    """(offset in the body where PostgreSQL reports the error, or None; its line). The
    parser stopped in the shortest failing prefix (ending there, followed by a string the
    parser never accepts, the text fails the same way); PostgreSQL points at that token,
    at the word the message quotes, at the keyword some messages are about, or just before
    the terminator of an expression that ended too early."""
    toks = tokens_of(text)
    lo, hi = 0, len(toks)
    found = None
    while lo < hi:
        mid = (lo + hi) // 2
        _, err = run_parser(header, text[:toks[mid].end] + _JUNK)
        if err == message:
            found = mid
            hi = mid
        else:
            lo = mid + 1
    if found is None:
        return len(src.text), line_of(src.text, len(src.text))
    at = toks[found].start
    line = near_line(src, toks, found)
    if message.startswith(_NO_POSITION):  # raised by the statement's action: its line is computed
        return None, statement_line(src, toks, found)
    keyword = next((k for m, k in _AT_KEYWORD if m in message), None)
    quoted = re.search(r'"([^"]*)"', message)
    if message.endswith("at end of input"):  # right after the expression's last token
        at = toks[found - 1].end if found > 0 else 0
    elif keyword is not None or quoted is not None:
        # the word's first occurrence in the statement the parser stopped in
        want = keyword or quoted.group(1)

        def matches(t: Tok) -> bool:
            return t.text == want or keyword is None and normalize_ident(t.text) == want or \
                keyword is not None and t.text.upper() == want
        hit = next((t for t in toks[statement_start(toks, found):found + 1] if matches(t)), None)
        if hit is None:  # (WHILE x THEN ... LOOP: the word ended what looked like a statement) the nearest before
            hit = next((t for t in reversed(toks[:found + 1]) if matches(t)), None)
        if hit is not None:
            at = hit.start
    return src.to_body_offset(at), line


def statement_start(toks: list, k: int) -> int:
    while k > 0 and toks[k - 1].name != "ASCII_59" and \
            toks[k - 1].text.lower() not in ("begin", "loop", "then", "else", "declare"):
        k -= 1
    return k


def statement_line(src: Source, toks: list, found: int) -> int:
    return line_of(src.text, src.to_body_offset(toks[statement_start(toks, found)].start))


def near_line(src: Source, toks: list, found: int) -> int:
    """PostgreSQL's "near line n": the scanner's latest line, which it computes when a
    statement or declaration is reduced - the line where the last complete one began (1
    before any)."""
    ends = [k for k in range(found) if toks[k].name == "ASCII_59"]
    if not ends:
        return 1
    return statement_line(src, toks, max(ends[-1] - 1, 0))


def parse_body(src: Source, header: str) -> dict:
    """The function's JSON tree; a parse error as PostgreSQL reports it (position in the
    body, 1-based, None for the messages PostgreSQL gives none; the line in `err.pl_line`)."""
    text = src.parser_text()
    tree, message = run_parser(header, text)
    if tree is not None:
        return tree
    offset, line = error_offset(src, header, text, message)
    err = SqlError(_sqlstate_of(message), message, position=None if offset is None else offset + 1)
    err.pl_line = line
    raise err


def _sqlstate_of(message: str) -> str:
    if message.startswith(("RETURN cannot", "RETURN NEXT cannot", "RETURN QUERY cannot")):
        return "42804"
    if message.startswith("unrecognized exception condition"):
        return "42704"
    if message.endswith("is declared CONSTANT"):
        return "22005"
    if "must have a default value, since it's declared NOT NULL" in message:
        return "22004"
    return "42601"


__all__ = ["Source", "Section", "Decl", "CursorStmt", "parse_body", "normalize_ident", "line_of", "tokens_of", "OUTROW"]
