"""COPY's data formats (text and CSV), as PostgreSQL's copyfromparse.c / copyto.c.

Pure functions over strings: `CopyInParser` turns CopyData chunks into rows of field
strings (None for NULL), `format_row` turns a row of field strings into a line.
Type conversion is the caller's (pgsvc.sql.types decoders/encoders).
"""

from __future__ import annotations

import re

from pgsvc.errors import SqlError
from pgsvc.sql.api import CopySpec

BAD_COPY = "22P04"
_TEXT_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_TEXT_ESCAPE_RE = re.compile(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", re.S)


class CopyInParser:
    """Feed CopyData payloads; collect complete rows. `finish()` at CopyDone."""

    def __init__(self, spec: CopySpec) -> None:
        self.spec = spec
        self.ncols = len(spec.columns)
        self._pending = ""
        self._decoder_tail = b""
        self.done = False  # saw the `\.` end-of-data line
        self.line_no = 0
        self._header_skipped = not spec.header
        self.row_lines: list[int] = []  # the line number of each row the last feed/finish returned
        self.check = None  # fields -> None: the caller's conversion of a short line's fields

    def context(self, line_no: int, line: str | None = None, column: str | None = None,
                value: str | None = None) -> str:
        """CopyFromErrorCallback's CONTEXT line: COPY t, line N[, column c]: "data"."""
        head = f"COPY {self.spec.relname}, line {line_no}" if self.spec.relname else f"COPY, line {line_no}"
        if column is not None:
            return f"{head}, column {column}: null input" if value is None \
                else f'{head}, column {column}: "{_printout(value)}"'
        return f'{head}: "{_printout(line)}"' if line is not None and self.spec.relname else head

    def feed(self, data: bytes) -> list[list[str | None]]:
        text = self._decode(data)
        if self.done:
            return []
        self._pending += text
        rows: list[list[str | None]] = []
        self.row_lines = []
        if self.spec.format != "csv":
            return self._feed_text_lines(rows)
        while not self.done:
            line = self._take_line()
            if line is None:
                break
            row = self._parse_line(line)
            if row is not None:
                rows.append(row)
        return rows

    def _feed_text_lines(self, rows: list) -> list:
        """Text format: a newline always ends a line, so split the whole chunk at once
        (cutting lines off the front one by one would copy the rest for every line)."""
        lines = self._pending.split("\n")
        self._pending = lines.pop()  # the unfinished last line
        for line in lines:
            if line.endswith("\r"):
                line = line[:-1]
            row = self._parse_line(line)
            if row is not None:
                rows.append(row)
            if self.done:
                self._pending = ""
                break
        return rows

    def finish(self) -> list[list[str | None]]:
        rows: list[list[str | None]] = []
        self.row_lines = []
        if self._decoder_tail:
            raise SqlError("22021", 'invalid byte sequence for encoding "UTF8"')
        if self._pending and not self.done:
            if self.spec.format == "csv" and _open_quote(self._pending, self.spec.quote, self.spec.escape):
                raise SqlError(BAD_COPY, "unterminated CSV quoted field")
            line, self._pending = self._pending, ""
            row = self._parse_line(line)
            if row is not None:
                rows.append(row)
        return rows

    def _decode(self, data: bytes) -> str:
        data = self._decoder_tail + data
        if b"\x00" in data:
            raise SqlError("22021", 'invalid byte sequence for encoding "UTF8": 0x00')
        try:
            text = data.decode("utf-8")
            self._decoder_tail = b""
            return text
        except UnicodeDecodeError as e:
            if e.start >= len(data) - 3 and e.reason == "unexpected end of data":
                self._decoder_tail = data[e.start:]
                return data[:e.start].decode("utf-8")
            raise SqlError("22021", 'invalid byte sequence for encoding "UTF8"') from None

    def _take_line(self) -> str | None:
        """Next complete line; in CSV a newline inside quotes does not end the line."""
        if self.spec.format == "csv":
            return self._take_csv_line()
        idx = self._pending.find("\n")
        if idx < 0:
            return None
        line, self._pending = self._pending[:idx], self._pending[idx + 1:]
        return line[:-1] if line.endswith("\r") else line

    def _take_csv_line(self) -> str | None:
        q, esc = self.spec.quote, self.spec.escape
        in_quote = False
        i, text = 0, self._pending
        while i < len(text):
            ch = text[i]
            if in_quote:
                if ch == esc and esc != q and i + 1 < len(text) and text[i + 1] in (q, esc):
                    i += 2
                    continue
                if ch == q:
                    in_quote = False
            elif ch == q:
                in_quote = True
            elif ch == "\n":
                line, self._pending = text[:i], text[i + 1:]
                return line[:-1] if line.endswith("\r") else line
            i += 1
        return None

    def _parse_line(self, line: str) -> list[str | None] | None:
        self.line_no += 1
        if line == "\\.":
            self.done = True
            return None
        if not self._header_skipped:
            self._header_skipped = True
            return None
        if self.spec.format == "csv":
            fields = split_csv(line, self.spec)
        else:
            fields = split_text(line, self.spec)
        if len(fields) != self.ncols:
            if len(fields) < self.ncols:
                if self.check is not None:  # NextCopyFrom converts the fields before the missing one
                    self.check(fields)
                col = self.spec.columns[len(fields)].name
                raise SqlError(BAD_COPY, f'missing data for column "{col}"', context=self.context(self.line_no, line))
            raise SqlError(BAD_COPY, "extra data after last expected column", context=self.context(self.line_no, line))
        self.row_lines.append(self.line_no)
        return fields


def _printout(text: str) -> str:
    """limit_printout_length: at most 100 characters, then "..."."""
    return text if len(text) <= 100 else text[:100] + "..."


def _open_quote(text: str, q: str, esc: str) -> bool:
    in_quote = False
    i = 0
    while i < len(text):
        ch = text[i]
        if in_quote and ch == esc and esc != q and i + 1 < len(text) and text[i + 1] in (q, esc):
            i += 2
            continue
        if ch == q:
            in_quote = not in_quote
        i += 1
    return in_quote


def split_text(line: str, spec: CopySpec) -> list[str | None]:
    """Fields of a text-format line. As CopyReadAttributesText: a backslash escapes the
    next character (so `\\<delimiter>` is data, not a separator), the null string is
    compared with the raw field before de-escaping (so `\\\\N` is the two characters
    `\\N`), and octal/hex escapes are bytes, decoded as UTF-8 with the rest."""
    delim = spec.delimiter
    out: list[str | None] = []
    start, i, n, escaped = 0, 0, len(line), False
    while True:
        if i >= n or line[i] == delim:
            raw = line[start:i]
            if raw == spec.null:
                out.append(None)
            else:
                out.append(_unescape_field(raw) if escaped else raw)
            if i >= n:
                return out
            i += 1
            start, escaped = i, False
            continue
        if line[i] == "\\":
            escaped = True
            i += 2
            continue
        i += 1


def _unescape_field(raw: str) -> str:
    parts: list[bytes] = []
    pos = 0
    for m in _TEXT_ESCAPE_RE.finditer(raw):
        parts.append(raw[pos:m.start()].encode("utf-8"))
        parts.append(_unescape_text(m.group(1)))
        pos = m.end()
    parts.append(raw[pos:].encode("utf-8"))
    try:
        return b"".join(parts).decode("utf-8")
    except UnicodeDecodeError:
        raise SqlError("22021", 'invalid byte sequence for encoding "UTF8"') from None


def _unescape_text(s: str) -> bytes:
    if s[0] == "x" and len(s) > 1:
        return bytes([int(s[1:], 16)])
    if s[0] in "01234567":
        return bytes([int(s, 8) & 0xFF])
    return _TEXT_ESCAPES.get(s, s).encode("utf-8")


def split_csv(line: str, spec: CopySpec) -> list[str | None]:
    """Fields of a CSV line: an unquoted null string is NULL (unless FORCE_NOT_NULL names
    the column), a quoted one is data (unless FORCE_NULL names the column)."""
    names = [c.name for c in spec.columns]
    not_null = _forced(spec.force_not_null, names)
    force_null = _forced(spec.force_null, names)
    out: list[str | None] = []
    for i, (text, quoted) in enumerate(_split_csv_raw(line, spec)):
        is_null = text == spec.null and (not quoted or (i < len(force_null) and force_null[i]))
        if is_null and not (not quoted and i < len(not_null) and not_null[i]):
            out.append(None)
        else:
            out.append(text)
    return out


def _forced(columns: list[str], names: list[str]) -> list[bool]:
    if columns == ["*"]:
        return [True] * len(names)
    return [n in columns for n in names]


def _split_csv_raw(line: str, spec: CopySpec) -> list[tuple[str, bool]]:
    q, esc, delim = spec.quote, spec.escape, spec.delimiter
    fields: list[tuple[str, bool]] = []
    i, n = 0, len(line)
    while True:
        value: list[str] = []
        quoted = False
        while i < n and line[i] != delim:
            if line[i] == q:
                quoted = True
                i += 1
                while True:
                    if i >= n:
                        raise SqlError(BAD_COPY, "unterminated CSV quoted field")
                    ch = line[i]
                    if ch == esc and i + 1 < n and line[i + 1] in (q, esc) and (esc != q or line[i + 1] == q):
                        value.append(line[i + 1])
                        i += 2
                        continue
                    if ch == q:
                        i += 1
                        break
                    value.append(ch)
                    i += 1
            else:
                value.append(line[i])
                i += 1
        fields.append(("".join(value), quoted))
        if i >= n:
            return fields
        i += 1  # the delimiter


def format_text_row(fields: list[str | None], spec: CopySpec) -> str:
    return spec.delimiter.join(spec.null if f is None else _escape_text(f, spec.delimiter) for f in fields) + "\n"


def _escape_text(value: str, delimiter: str) -> str:
    if "\\" in value or "\n" in value or "\r" in value or "\t" in value or delimiter in value \
            or "\b" in value or "\f" in value or "\v" in value:
        value = (value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
                 .replace("\t", "\\t").replace("\b", "\\b").replace("\f", "\\f").replace("\v", "\\v"))
        if delimiter not in ("\t",):
            value = value.replace(delimiter, "\\" + delimiter)
    return value


def format_csv_row(fields: list[str | None], spec: CopySpec, force: list[bool]) -> str:
    q, esc, delim = spec.quote, spec.escape, spec.delimiter
    out = []
    for f, forced in zip(fields, force):
        if f is None:
            out.append(spec.null)
            continue
        if forced or f == spec.null or f == "\\." or any(c in f for c in (delim, q, "\n", "\r")):
            if esc != q:
                body = f.replace(esc, esc + esc).replace(q, esc + q)
            else:
                body = f.replace(q, q + q)
            out.append(q + body + q)
        else:
            out.append(f)
    return delim.join(out) + "\n"


def header_line(spec: CopySpec) -> str:
    names = [c.name for c in spec.columns]
    if spec.format == "csv":
        return format_csv_row(names, spec, [False] * len(names))
    return format_text_row(names, spec)
