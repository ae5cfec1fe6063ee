"""The replication command language of a walsender connection, as PostgreSQL 15 reads it
(src/backend/replication/repl_scanner.l and repl_gram.y). Pure: text in, a command out.

    IDENTIFY_SYSTEM
    SHOW name[.name...]
    TIMELINE_HISTORY tli
    READ_REPLICATION_SLOT slot
    BASE_BACKUP [ ( option [value] [, ...] ) ]
    CREATE_REPLICATION_SLOT slot [TEMPORARY] { PHYSICAL | LOGICAL plugin } [ ( option [value] [, ...] )
                            | EXPORT_SNAPSHOT | NOEXPORT_SNAPSHOT | USE_SNAPSHOT | RESERVE_WAL | TWO_PHASE ... ]
    DROP_REPLICATION_SLOT slot [WAIT]
    START_REPLICATION [SLOT slot] [PHYSICAL] X/X [TIMELINE tli]
    START_REPLICATION SLOT slot LOGICAL X/X [ ( name ['value'] [, ...] ) ]

each optionally followed by one ';'. Keywords are upper case only (the scanner's rules
are case-sensitive); other words are identifiers, folded to lower case unless
"double-quoted"; 'strings' double their quotes. `is_replication_command` reads the first
token only, as replication_scanner_is_replication_command: anything else is SQL (a
logical walsender runs it, a physical one refuses it). Errors are 42601 with bison's
bare "syntax error", or the scanner's own message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pgsvc.errors import SqlError

SYNTAX_ERROR = "42601"

KEYWORDS = frozenset((
    "BASE_BACKUP", "IDENTIFY_SYSTEM", "READ_REPLICATION_SLOT", "SHOW", "TIMELINE",
    "START_REPLICATION", "CREATE_REPLICATION_SLOT", "DROP_REPLICATION_SLOT", "TIMELINE_HISTORY",
    "PHYSICAL", "RESERVE_WAL", "LOGICAL", "SLOT", "TEMPORARY", "TWO_PHASE", "EXPORT_SNAPSHOT",
    "NOEXPORT_SNAPSHOT", "USE_SNAPSHOT", "WAIT",
))
COMMANDS = ("IDENTIFY_SYSTEM", "BASE_BACKUP", "START_REPLICATION", "CREATE_REPLICATION_SLOT",
            "DROP_REPLICATION_SLOT", "READ_REPLICATION_SLOT", "TIMELINE_HISTORY", "SHOW")
NAMEDATALEN = 64
_SPACE = " \t\n\r\f\v"
_HEX = "0123456789abcdefABCDEF"

# token kinds
KW, IDENT, SCONST, UCONST, RECPTR, CHAR, EOF = "kw", "ident", "sconst", "uconst", "recptr", "char", "eof"


@dataclass(frozen=True)
class Token:
    kind: str
    value: object  # keyword name, identifier, string, int, or the character


# ------------------------------------------------------------------ the parsed commands
@dataclass(frozen=True)
class Command:
    """What every parsed command carries: its keyword (the CommandComplete tag) and text."""
    keyword: str
    text: str


@dataclass(frozen=True)
class IdentifySystem(Command):
    pass


@dataclass(frozen=True)
class Show(Command):
    name: str = ""


@dataclass(frozen=True)
class TimelineHistory(Command):
    timeline: int = 0


@dataclass(frozen=True)
class ReadReplicationSlot(Command):
    slot: str = ""


@dataclass(frozen=True)
class BaseBackup(Command):
    # (name, value): value None (no argument), str (identifier or 'string') or int
    options: tuple = ()


@dataclass(frozen=True)
class CreateReplicationSlot(Command):
    slot: str = ""
    temporary: bool = False
    kind: str = "physical"  # physical | logical
    plugin: str | None = None
    options: tuple = ()  # generic options; the legacy words as PostgreSQL maps them


@dataclass(frozen=True)
class DropReplicationSlot(Command):
    slot: str = ""
    wait: bool = False


@dataclass(frozen=True)
class StartReplication(Command):
    kind: str = "physical"
    slot: str | None = None
    startpoint: int = 0
    timeline: int | None = None
    options: tuple = field(default=())  # logical: (name, 'value' or None)


# ------------------------------------------------------------------ scanner
def _truncate(name: str) -> str:
    raw = name.encode("utf-8")
    if len(raw) < NAMEDATALEN:
        return name
    raw = raw[:NAMEDATALEN - 1]
    return raw.decode("utf-8", "ignore")


def _ident_start(ch: str) -> bool:
    return ch.isascii() and (ch.isalpha() or ch == "_") or not ch.isascii()


def _ident_cont(ch: str) -> bool:
    return _ident_start(ch) or ch.isdigit() and ch.isascii() or ch == "$"


class Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def next(self) -> Token:
        text, n = self.text, len(self.text)
        while self.pos < n and text[self.pos] in _SPACE:
            self.pos += 1
        if self.pos >= n:
            return Token(EOF, None)
        start, ch = self.pos, text[self.pos]
        if ch == "'":
            return Token(SCONST, self._quoted("'"))
        if ch == '"':
            return Token(IDENT, _truncate(self._quoted('"')))
        recptr = self._recptr()
        if recptr is not None:
            return recptr
        if ch.isascii() and ch.isdigit():
            end = start
            while end < n and text[end].isascii() and text[end].isdigit():
                end += 1
            self.pos = end
            # strtoul into a uint32, as the scanner does (ULONG_MAX on overflow)
            return Token(UCONST, min(int(text[start:end]), 2 ** 64 - 1) & 0xFFFFFFFF)
        if _ident_start(ch):
            end = start + 1
            while end < n and _ident_cont(text[end]):
                end += 1
            self.pos = end
            word = text[start:end]
            if word in KEYWORDS:
                return Token(KW, word)
            return Token(IDENT, _truncate("".join(c.lower() if c.isascii() else c for c in word)))
        self.pos += 1
        return Token(CHAR, ch)

    def _recptr(self) -> Token | None:
        """{hexdigit}+/{hexdigit}+, the longest match (it beats a number or an identifier)."""
        text, n, i = self.text, len(self.text), self.pos
        while i < n and text[i] in _HEX:
            i += 1
        if i == self.pos or i >= n or text[i] != "/":
            return None
        j = i + 1
        while j < n and text[j] in _HEX:
            j += 1
        if j == i + 1:
            return None
        hi, lo = int(text[self.pos:i], 16) & 0xFFFFFFFF, int(text[i + 1:j], 16) & 0xFFFFFFFF
        self.pos = j
        return Token(RECPTR, (hi << 32) | lo)

    def _quoted(self, quote: str) -> str:
        text, n = self.text, len(self.text)
        i = self.pos + 1
        out = []
        while True:
            k = text.find(quote, i)
            if k < 0:
                raise SqlError(SYNTAX_ERROR, "unterminated quoted string")
            out.append(text[i:k])
            if k + 1 < n and text[k + 1] == quote:
                out.append(quote)
                i = k + 2
                continue
            self.pos = k + 1
            return "".join(out)


def is_replication_command(text: str) -> bool:
    """The first token is one of the commands' keywords (a scanner error in that token,
    an unterminated quote, is raised as PostgreSQL raises it)."""
    first = Scanner(text).next()
    return first.kind == KW and first.value in COMMANDS


# ------------------------------------------------------------------ parser
class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.scanner = Scanner(text)
        self.tok = self.scanner.next()

    def advance(self) -> Token:
        tok = self.tok
        self.tok = self.scanner.next()
        return tok

    @staticmethod
    def fail():
        raise SqlError(SYNTAX_ERROR, "syntax error")

    def accept_kw(self, word: str) -> bool:
        if self.tok.kind == KW and self.tok.value == word:
            self.advance()
            return True
        return False

    def accept_char(self, ch: str) -> bool:
        if self.tok.kind == CHAR and self.tok.value == ch:
            self.advance()
            return True
        return False

    def expect(self, kind: str):
        if self.tok.kind != kind:
            self.fail()
        return self.advance().value

    def expect_kw(self, word: str) -> None:
        if not self.accept_kw(word):
            self.fail()

    def timeline(self) -> int:
        value = self.expect(UCONST)
        if value <= 0:
            raise SqlError(SYNTAX_ERROR, f"invalid timeline {value}")
        return value

    def finish(self, cmd: Command) -> Command:
        self.accept_char(";")
        if self.tok.kind != EOF:
            self.fail()
        return cmd

    # -- the commands
    def command(self) -> Command:
        if self.tok.kind != KW or self.tok.value not in COMMANDS:
            self.fail()
        word = self.advance().value
        return self.finish(getattr(self, "parse_" + word.lower())(word))

    def parse_identify_system(self, word):
        return IdentifySystem(word, self.text)

    def parse_show(self, word):
        return Show(word, self.text, self.var_name())

    def parse_read_replication_slot(self, word):
        return ReadReplicationSlot(word, self.text, self.var_name())

    def var_name(self) -> str:
        name = self.expect(IDENT)
        while self.accept_char("."):
            name += "." + self.expect(IDENT)
        return name

    def parse_timeline_history(self, word):
        return TimelineHistory(word, self.text, self.timeline())

    def parse_base_backup(self, word):
        options = ()
        if self.accept_char("("):
            options = self.generic_options()
        return BaseBackup(word, self.text, options)

    def generic_options(self) -> tuple:
        """generic_option_list ')': ident_or_keyword [IDENT | SCONST | UCONST], ..."""
        options = []
        while True:
            if self.tok.kind == IDENT:
                name = self.advance().value
            elif self.tok.kind == KW:
                name = self.advance().value.lower()
            else:
                self.fail()
            value = None
            if self.tok.kind in (IDENT, SCONST, UCONST):
                value = self.advance().value
            options.append((name, value))
            if self.accept_char(")"):
                return tuple(options)
            if not self.accept_char(","):
                self.fail()

    def parse_create_replication_slot(self, word):
        slot = self.expect(IDENT)
        temporary = self.accept_kw("TEMPORARY")
        plugin = None
        if self.accept_kw("PHYSICAL"):
            kind = "physical"
        else:
            self.expect_kw("LOGICAL")
            kind, plugin = "logical", self.expect(IDENT)
        if self.accept_char("("):
            options = self.generic_options()
        else:
            legacy = {"EXPORT_SNAPSHOT": ("snapshot", "export"), "NOEXPORT_SNAPSHOT": ("snapshot", "nothing"),
                      "USE_SNAPSHOT": ("snapshot", "use"), "RESERVE_WAL": ("reserve_wal", True),
                      "TWO_PHASE": ("two_phase", True)}
            items = []
            while self.tok.kind == KW and self.tok.value in legacy:
                items.append(legacy[self.advance().value])
            options = tuple(items)
        return CreateReplicationSlot(word, self.text, slot, temporary, kind, plugin, options)

    def parse_drop_replication_slot(self, word):
        slot = self.expect(IDENT)
        return DropReplicationSlot(word, self.text, slot, self.accept_kw("WAIT"))

    def parse_start_replication(self, word):
        slot = None
        if self.accept_kw("SLOT"):
            slot = self.expect(IDENT)
            if self.accept_kw("LOGICAL"):
                start = self.expect(RECPTR)
                return StartReplication(word, self.text, "logical", slot, start, None, self.plugin_options())
        self.accept_kw("PHYSICAL")
        start = self.expect(RECPTR)
        timeline = self.timeline() if self.accept_kw("TIMELINE") else None
        return StartReplication(word, self.text, "physical", slot, start, timeline)

    def plugin_options(self) -> tuple:
        if not self.accept_char("("):
            return ()
        options = []
        while True:
            name = self.expect(IDENT)
            value = self.advance().value if self.tok.kind == SCONST else None
            options.append((name, value))
            if self.accept_char(")"):
                return tuple(options)
            if not self.accept_char(","):
                self.fail()


def parse(text: str) -> Command:
    """The command in `text` (which is_replication_command accepted), or 42601."""
    return _Parser(text).command()
