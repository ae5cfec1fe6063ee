"""The to_char / to_number template machinery as pure functions (PostgreSQL's rules for
reading pictures; the outputs are compared with PostgreSQL 15 in
tests/integration/test_sql_features.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pgsvc.errors import SqlError
from pgsvc.sql.functions.fmt_template import ordinal_suffix, parse_datetime_template, parse_number_template
from pgsvc.sql.functions.numformat import describe, roman, to_number


def _shape(nodes):
    return [(n.kind, n.text, n.fm, n.th) for n in nodes]


def test_keywords_match_case_sensitively_and_longest_first():
    assert _shape(parse_datetime_template("HH24Hh24")) == [
        ("key", "HH24", False, ""), ("char", "H", False, ""), ("char", "h", False, ""),
        ("char", "2", False, ""), ("char", "4", False, "")]
    assert [n.text for n in parse_datetime_template("YYYYMMDD")] == ["YYYY", "MM", "DD"]
    assert [n.text for n in parse_datetime_template("Month month")] == ["Month", " ", "month"]


def test_prefix_and_suffix_modifiers():
    (node,) = parse_datetime_template("FMDDth")
    assert node.fm and node.th == "th" and node.text == "DD"
    assert _shape(parse_datetime_template("FMx")) == [("char", "x", False, "")]  # FM without a field


def test_quotes_and_backslashes():
    text = "".join(n.text for n in parse_datetime_template('"a\\"b" \\" \\x'))
    assert text == 'a"b " \\x'
    assert all(n.kind == "char" for n in parse_datetime_template('"YYYY"'))


def test_ordinal_suffixes():
    assert [ordinal_suffix(s, False) for s in ("1", "2", "3", "4", "11", "12", "13", "21", "101")] == [
        "st", "nd", "rd", "th", "th", "th", "th", "st", "st"]
    assert ordinal_suffix("22", True) == "ND"
    with pytest.raises(SqlError) as err:
        ordinal_suffix("x", False)
    assert err.value.sqlstate == "22P02"


def test_number_picture_description():
    p = describe(parse_number_template("FM0,999.99S"))
    assert (p.pre, p.post, p.fill, p.zero, p.zero_start, p.lsign) == (4, 2, True, True, 1, "post")
    p = describe(parse_number_template("99V999"))
    assert (p.pre, p.multi, p.is_multi) == (2, 3, True)
    for bad in ("9.9.9", "S9S", "9V9.9", "9EEEE9", "PR9"):
        with pytest.raises(SqlError) as err:
            describe(parse_number_template(bad))
        assert err.value.sqlstate == "42601"


def test_roman_numerals():
    assert [roman(n) for n in (1, 4, 9, 14, 40, 90, 400, 1994, 3999)] == [
        "I", "IV", "IX", "XIV", "XL", "XC", "CD", "MCMXCIV", "MMMCMXCIX"]
    assert roman(0) == roman(4000) == "#" * 15


def test_to_number_reads_signs_and_groups():
    assert to_number("-1,234.5", "9G999D9") == Decimal("-1234.5")
    assert to_number("<12>", "99PR") == Decimal("-12")
    with pytest.raises(SqlError) as err:
        to_number("XIV", "RN")
    assert err.value.sqlstate == "0A000"
