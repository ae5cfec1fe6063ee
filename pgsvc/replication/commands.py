"""The walsender's slot and streaming commands as text (PostgreSQL 15's repl_gram.y / repl_scanner.l
for CREATE_REPLICATION_SLOT, DROP_REPLICATION_SLOT, READ_REPLICATION_SLOT and START_REPLICATION).
Pure: text in, a command object out, 42601 "syntax error" for what the grammar rejects.

    CREATE_REPLICATION_SLOT name [TEMPORARY] LOGICAL plugin [ ( option [value] [, ...] ) ]
    CREATE_REPLICATION_SLOT name [TEMPORARY] LOGICAL plugin [EXPORT_SNAPSHOT | NOEXPORT_SNAPSHOT
                                 | USE_SNAPSHOT | TWO_PHASE] ...          (the pre-15 form)
    CREATE_REPLICATION_SLOT name [TEMPORARY] PHYSICAL [RESERVE_WAL | ( ... )]
    DROP_REPLICATION_SLOT name [WAIT]
    READ_REPLICATION_SLOT name
    START_REPLICATION SLOT name LOGICAL X/X [ ( option ['value'] [, ...] ) ]

Identifiers as the replication scanner reads them: unquoted ones folded to lower case,
"double-quoted" ones kept; option values are 'strings', numbers or identifiers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pgsvc.errors import SqlError

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<qident>"(?:[^"]|"")*")
  | (?P<string>'(?:[^']|'')*')
  | (?P<lsn>[0-9A-Fa-f]+/[0-9A-Fa-f]+)
  | (?P<ident>[^\x00-@\[-^`{-\x7f\U00010000-\U0010ffff][^\x00-#%-/:-@\[-^`{-\x7f\U00010000-\U0010ffff]*)
  | (?P<number>[0-9]+)
  | (?P<punct>[(),;])
""", re.VERBOSE)


@dataclass
class Token:
    kind: str  # ident | qident | string | lsn | number | punct
    text: str  # the value: identifiers folded or unquoted, strings unquoted

    def is_word(self, word: str) -> bool:
        return self.kind == "ident" and self.text == word.lower()


@dataclass
class CreateSlot:
    name: str
    temporary: bool
    kind: str  # logical | physical
    plugin: str | None
    snapshot: str = "export"  # export | use | nothing (PostgreSQL's default for a logical slot)
    two_phase: bool = False
    reserve_wal: bool = False


@dataclass
class DropSlot:
    name: str
    wait: bool = False


@dataclass
class ReadSlot:
    name: str


@dataclass
class StartReplication:
    slot: str | None
    kind: str  # logical | physical
    lsn: int
    options: list[tuple[str, str | None]] = field(default_factory=list)
    timeline: int | None = None


def tokenize(text: str) -> list[Token]:
    out, i = [], 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if m is None:
            raise SqlError("42601", "syntax error")
        i = m.end()
        kind = m.lastgroup
        raw = m.group()
        if kind == "space":
            continue
        if kind == "qident":
            value = raw[1:-1].replace('""', '"')
            if not value:
                raise SqlError("42601", "zero-length delimited identifier")
            out.append(Token("qident", value))
        elif kind == "string":
            out.append(Token("string", raw[1:-1].replace("''", "'")))
        elif kind == "ident":
            out.append(Token("ident", raw.lower()))
        else:
            out.append(Token(kind, raw))
    while out and out[-1].kind == "punct" and out[-1].text == ";":
        out.pop()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise SqlError("42601", "syntax error")
        self.pos += 1
        return tok

    def accept(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.is_word(word):
            self.pos += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.accept(word):
            raise SqlError("42601", "syntax error")

    def punct(self, ch: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "punct" and tok.text == ch:
            self.pos += 1
            return True
        return False

    def name(self) -> str:
        tok = self.take()
        if tok.kind not in ("ident", "qident"):
            raise SqlError("42601", "syntax error")
        return tok.text

    def end(self) -> None:
        if self.peek() is not None:
            raise SqlError("42601", "syntax error")

    def generic_options(self) -> list[tuple[str, str | None]]:
        """( name [value] [, ...] ): value a string, number or identifier."""
        items: list[tuple[str, str | None]] = []
        if not self.punct("("):
            return items
        while True:
            key = self.name()
            tok = self.peek()
            value = None
            if tok is not None and tok.kind in ("string", "number", "ident", "qident"):
                value = self.take().text
            items.append((key, value))
            if self.punct(")"):
                return items
            if not self.punct(","):
                raise SqlError("42601", "syntax error")


_COMMANDS = frozenset({"create_replication_slot", "drop_replication_slot", "read_replication_slot",
                       "start_replication"})


def parse(text: str):
    """One of this module's commands, or None when the text is none of them."""
    m = re.match(r"\s*([A-Za-z_]+)", text)
    if m is None or m.group(1).lower() not in _COMMANDS:
        return None
    p = _Parser(text)
    first = p.peek()
    if first is None or first.kind != "ident":
        return None
    word = first.text
    if word == "create_replication_slot":
        p.take()
        return _create(p)
    if word == "drop_replication_slot":
        p.take()
        name = p.name()
        wait = p.accept("wait")
        p.end()
        return DropSlot(name, wait)
    if word == "read_replication_slot":
        p.take()
        name = p.name()
        p.end()
        return ReadSlot(name)
    if word == "start_replication":
        p.take()
        return _start(p)
    return None


def _create(p: _Parser) -> CreateSlot:
    name = p.name()
    temporary = p.accept("temporary")
    if p.accept("physical"):
        cmd = CreateSlot(name, temporary, "physical", None)
        if p.accept("reserve_wal"):
            cmd.reserve_wal = True
        else:
            for key, value in p.generic_options():
                if key == "reserve_wal":
                    cmd.reserve_wal = _boolean(key, value)
                else:
                    raise SqlError("42601", f'unrecognized option: {key}')
        p.end()
        return cmd
    p.expect("logical")
    cmd = CreateSlot(name, temporary, "logical", p.name())
    legacy = {"export_snapshot": "export", "noexport_snapshot": "nothing", "use_snapshot": "use"}
    seen_snapshot = seen_two_phase = False
    tok = p.peek()
    if tok is not None and tok.kind == "punct" and tok.text == "(":
        for key, value in p.generic_options():
            if key == "snapshot":
                if seen_snapshot:
                    raise SqlError("42601", "conflicting or redundant options")
                seen_snapshot = True
                if value not in ("export", "use", "nothing"):
                    raise SqlError("22023", f'unrecognized value for CREATE_REPLICATION_SLOT option "snapshot": '
                                            f'"{value}"')
                cmd.snapshot = value
            elif key == "two_phase":
                if seen_two_phase:
                    raise SqlError("42601", "conflicting or redundant options")
                seen_two_phase = True
                cmd.two_phase = _boolean(key, value)
            else:
                raise SqlError("42601", f'unrecognized option: {key}')
    else:
        while p.peek() is not None:
            tok = p.take()
            if tok.kind == "ident" and tok.text in legacy:
                if seen_snapshot:
                    raise SqlError("42601", "conflicting or redundant options")
                seen_snapshot = True
                cmd.snapshot = legacy[tok.text]
            elif tok.is_word("two_phase"):
                if seen_two_phase:
                    raise SqlError("42601", "conflicting or redundant options")
                seen_two_phase = True
                cmd.two_phase = True
            else:
                raise SqlError("42601", "syntax error")
    p.end()
    return cmd


def _boolean(key: str, value: str | None) -> bool:
    if value is None:
        return True
    v = value.lower()
    if v in ("true", "on", "1", "yes", "t", "y"):
        return True
    if v in ("false", "off", "0", "no", "f", "n"):
        return False
    raise SqlError("22023", f"{key} requires a Boolean value")


def _start(p: _Parser) -> StartReplication:
    slot = None
    if p.accept("slot"):
        slot = p.name()
    if p.accept("logical"):
        if slot is None:
            raise SqlError("42601", "syntax error")
        kind = "logical"
    else:
        p.accept("physical")
        kind = "physical"
    tok = p.take()
    if tok.kind != "lsn":
        raise SqlError("42601", "syntax error")
    hi, lo = tok.text.split("/")
    if len(hi) > 8 or len(lo) > 8:
        raise SqlError("42601", "syntax error")
    cmd = StartReplication(slot, kind, (int(hi, 16) << 32) | int(lo, 16))
    if kind == "logical":
        cmd.options = p.generic_options()
    elif p.accept("timeline"):
        t = p.take()
        if t.kind != "number":
            raise SqlError("42601", "syntax error")
        cmd.timeline = int(t.text)
    p.end()
    return cmd
