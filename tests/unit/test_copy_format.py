"""COPY text and CSV formats against PostgreSQL's rules (copyfromparse.c, copyto.c)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgsvc.backend.copy_format import CopyInParser, format_csv_row, format_text_row, header_line, split_csv, split_text
from pgsvc.errors import SqlError
from pgsvc.sql.api import Column, CopySpec


def spec(ncols: int = 2, fmt: str = "text", **kw) -> CopySpec:
    if fmt == "csv":
        kw.setdefault("delimiter", ",")
        kw.setdefault("null", "")
    return CopySpec("in", [Column(f"c{i}", 25) for i in range(ncols)], format=fmt, **kw)


def parse(data: bytes | list[bytes], s: CopySpec) -> list:
    p = CopyInParser(s)
    rows = []
    for chunk in data if isinstance(data, list) else [data]:
        rows += p.feed(chunk)
    return rows + p.finish()


# ---------------------------------------------------------------- text format: input

def test_text_basic_null_and_escapes():
    s = spec(3)
    assert parse(b"a\t\\N\tc\n", s) == [["a", None, "c"]]
    assert parse(b"\\\\N\t\\\\\tx\\ty\n", s) == [["\\N", "\\", "x\ty"]]  # escaped \N is data
    assert parse(b"\\b\\f\\n\\r\\t\\v\tz\t\\q\n", s) == [["\b\f\n\r\t\v", "z", "q"]]


def test_text_octal_and_hex_escapes_are_bytes():
    s = spec(1)
    assert parse(b"\\101\\x42\\x4\n", s) == [["AB\x04"]]
    assert parse(b"\\xc3\\xa9\n", s) == [["\u00e9"]]  # bytes c3 a9 are UTF-8 for e-acute
    assert parse(b"\\303\\251\n", s) == [["\u00e9"]]
    assert parse(b"\\xzz\n", s) == [["xzz"]]  # \x without hex digits is a plain x


def test_text_invalid_utf8_from_escapes():
    with pytest.raises(SqlError) as e:
        parse(b"\\xff\n", spec(1))
    assert e.value.sqlstate == "22021"


def test_text_escaped_delimiter_is_data():
    assert parse(b"a\\,b,c\n", spec(2, delimiter=",")) == [["a,b", "c"]]
    assert parse(b"a\\\tb\tc\n", spec(2)) == [["a\tb", "c"]]


def test_text_custom_null():
    s = spec(2, null="NULL")
    assert parse(b"NULL\t\\N\n", s) == [[None, "N"]]


def test_text_end_marker_and_crlf():
    s = spec(1)
    assert parse(b"a\r\nb\n\\.\nignored\n", s) == [["a"], ["b"]]


def test_text_last_line_without_newline_and_chunking():
    s = spec(2)
    assert parse([b"a\t", b"b\nc", b"\td"], s) == [["a", "b"], ["c", "d"]]
    # a multi-byte character split across CopyData messages
    assert parse([b"\xc3", b"\xa9\tx\n"], s) == [["\u00e9", "x"]]


def test_text_column_count_errors():
    with pytest.raises(SqlError) as e:
        parse(b"a\n", spec(2))
    assert e.value.sqlstate == "22P04"
    assert e.value.message == 'missing data for column "c1"'
    assert e.value.context == "COPY, line 1"
    with pytest.raises(SqlError) as e:
        parse(b"a\tb\n", spec(1))
    assert e.value.message == "extra data after last expected column"


def test_header_skipped():
    assert parse(b"h1\th2\na\tb\n", spec(2, header=True)) == [["a", "b"]]


# ---------------------------------------------------------------- text format: output

def test_text_output_escapes():
    s = spec(3)
    assert format_text_row(["a\tb", None, "x\\y\nz\r"], s) == "a\\tb\t\\N\tx\\\\y\\nz\\r\n"
    assert format_text_row(["a,b", "\b\f\v", ""], spec(3, delimiter=",")) == "a\\,b,\\b\\f\\v,\n"


@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_characters="\x00",
                                                                       blacklist_categories=("Cs",)))),
                min_size=1, max_size=4),
       st.sampled_from(["\t", ",", "|"]))
def test_text_round_trip(values, delimiter):
    s = spec(len(values), delimiter=delimiter)
    line = format_text_row(values, s)
    assert parse(line.encode(), s) == [values]


# ---------------------------------------------------------------- CSV

def test_csv_quoting_null_and_empty():
    s = spec(4, "csv")
    assert parse(b'a,"",,"x,y"\n', s) == [["a", "", None, "x,y"]]
    assert parse(b'"he said ""hi""",b,c,d\n', s) == [['he said "hi"', "b", "c", "d"]]
    assert parse(b'a"b,c"d,2,3,4\n', s) == [["ab,cd", "2", "3", "4"]]


def test_csv_multiline_field_and_crlf():
    s = spec(2, "csv")
    assert parse([b'"line1\n', b'line2",x\r\n', b"y,z\n"], s) == [["line1\nline2", "x"], ["y", "z"]]


def test_csv_custom_escape_and_quote():
    s = spec(2, "csv", quote="'", escape="\\")
    assert parse(b"'it\\'s','a\\\\b'\n", s) == [["it's", "a\\b"]]


def test_csv_backslash_is_plain_data():
    assert parse(b"a\\N,\\t\n", spec(2, "csv")) == [["a\\N", "\\t"]]


def test_csv_end_marker_unquoted_only():
    s = spec(1, "csv")
    assert parse(b'"\\."\n\\.\nx\n', s) == [["\\."]]


def test_csv_unterminated_quote():
    with pytest.raises(SqlError) as e:
        parse(b'"abc,d\n', spec(2, "csv"))
    assert e.value.sqlstate == "22P04"
    assert e.value.message == "unterminated CSV quoted field"


def test_csv_force_not_null_and_force_null():
    s = spec(3, "csv", force_not_null=["c0"], force_null=["c1"])
    assert parse(b',"",\n', s) == [["", None, None]]


def test_csv_custom_null_quoted_is_data():
    s = spec(2, "csv", null="NA")
    assert parse(b'NA,"NA"\n', s) == [[None, "NA"]]


def test_split_helpers():
    assert split_text("a\t\\N", spec(2)) == ["a", None]
    assert split_csv('"a",', spec(2, "csv")) == ["a", None]


def test_csv_output():
    s = spec(5, "csv")
    out = format_csv_row(["plain", "", None, 'q"uote', "a,b"], s, [False] * 5)
    assert out == 'plain,"",,"q""uote","a,b"\n'
    assert format_csv_row(["x", "\\."], spec(2, "csv"), [True, False]) == '"x","\\."\n'
    assert format_csv_row(["line\nbreak", "cr\r"], spec(2, "csv"), [False, False]) == '"line\nbreak","cr\r"\n'
    esc = spec(1, "csv", escape="\\")
    assert format_csv_row(['a"b\\c'], esc, [False]) == '"a\\"b\\\\c"\n'


@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_characters="\x00\r",
                                                                       blacklist_categories=("Cs",)))),
                min_size=1, max_size=4))
def test_csv_round_trip(values):
    s = spec(len(values), "csv")
    line = format_csv_row(values, s, [False] * len(values))
    assert parse(line.encode(), s) == [values]


def test_header_line():
    assert header_line(spec(2, "csv")) == "c0,c1\n"
    assert header_line(spec(2)) == "c0\tc1\n"
