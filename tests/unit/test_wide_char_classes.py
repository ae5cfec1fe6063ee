"""Character classes with a wide range of code points ([A-Za-z_\\x80-\\uffff]) are written
as their complements ([^\\x00-@...]): re compiles a wide range by filling a 64k-entry map
in Python (~3 ms each, at every server start), a complement of a few ASCII ranges in
~0.3 ms. Each complement must be exactly the set it replaces, checked here over every
code point."""

from __future__ import annotations

import re

import pytest

from pgsvc.replication import commands as replication_commands
from pgsvc.sql import nonstandard_strings
from pgsvc.sql.commands import role_settings

EVERY_CHAR = "".join(map(chr, range(0x110000)))

# (the set as PostgreSQL's scanner states it, its complement as the modules spell it)
CLASSES = [
    (r"[A-Za-z_\x80-\uffff]", r"[^\x00-@\[-^`{-\x7f\U00010000-\U0010ffff]"),
    (r"[A-Za-z_0-9\x80-\uffff]", r"[^\x00-/:-@\[-^`{-\x7f\U00010000-\U0010ffff]"),
    (r"[A-Za-z0-9_$\x80-\uffff]", r"[^\x00-#%-/:-@\[-^`{-\x7f\U00010000-\U0010ffff]"),
    (r"[A-Za-z_\x80-\U0010ffff]", r"[^\x00-@\[-^`{-\x7f]"),
    (r"[A-Za-z0-9_$\x80-\U0010ffff]", r"[^\x00-#%-/:-@\[-^`{-\x7f]"),
]

USES = [
    (nonstandard_strings._DOLLAR, [0, 1]),
    (nonstandard_strings._IDENT_CHAR, [2]),
    (role_settings._CUSTOM_PART, [3, 4]),
    (replication_commands._TOKEN, [0, 2]),
]


@pytest.mark.parametrize("wide, complement", CLASSES)
def test_complement_is_the_same_set(wide, complement):
    assert re.findall(complement, EVERY_CHAR) == re.findall(wide, EVERY_CHAR)


@pytest.mark.parametrize("pattern, used", USES)
def test_modules_use_the_checked_spellings(pattern, used):
    for i in used:
        assert CLASSES[i][1] in pattern.pattern
    assert "\\x80-\\u" not in pattern.pattern and "\\x80-\\U" not in pattern.pattern


def test_patterns_still_match_what_they_matched():
    assert nonstandard_strings._DOLLAR.fullmatch("$é_1$")
    assert nonstandard_strings._DOLLAR.fullmatch("$$")
    assert not nonstandard_strings._DOLLAR.fullmatch("$1a$")
    assert not nonstandard_strings._DOLLAR.fullmatch("$\U0001f600$")
    assert nonstandard_strings._IDENT_CHAR.fullmatch("$")
    assert role_settings._CUSTOM_PART.match("my_ext\U0001f600$1")
    assert not role_settings._CUSTOM_PART.match("1abc")
    idents = [m.group("ident") for m in replication_commands._TOKEN.finditer("slot_ä1 x$")]
    assert idents == ["slot_ä1", None, "x$"]
