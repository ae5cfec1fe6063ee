"""pgsvc.sql.quoting: PostgreSQL 15's quote_identifier (the rule behind quote_ident(),
format('%I'), the deparser, reg* output and the dump script) and SQLite's always-quoted
names. Every expectation here is what PostgreSQL 15 returns for quote_ident(name);
tests/integration/test_sql_features.py compares the same side by side with PostgreSQL,
over every keyword."""

from __future__ import annotations

import pytest
from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS, TYPE_FUNC_NAME_KEYWORDS, UNRESERVED_KEYWORDS

from pgsvc.sql.quoting import quote_ident, quote_qualified, quote_sqlite_ident


@pytest.mark.parametrize("name, quoted", [
    ("orders", "orders"), ("_x1", "_x1"), ("_x", "_x"), ("a_1", "a_1"), ("abc", "abc"), ("pg_class", "pg_class"),
    ("Orders", '"Orders"'), ("Abc", '"Abc"'), ("Mixed", '"Mixed"'), ("1abc", '"1abc"'),
    ("my table", '"my table"'), ("a b", '"a b"'), ('say "hi"', '"say ""hi"""'), ('q"x', '"q""x"'),
    ("a$b", '"a$b"'), ("_x1$", '"_x1$"'),      # '$' is not among the safe characters
    ("ünï", '"ünï"'), ("été", '"été"'),        # only ASCII letters are safe
    ("", '""'),
    ("user", '"user"'), ("select", '"select"'), ("table", '"table"'),    # reserved
    ("int", '"int"'),        # column-name keyword
    ("left", '"left"'),      # type/function-name keyword
    ("name", "name"), ("comment", "comment"), ("text", "text"),  # unreserved: bare
])
def test_quote_ident_follows_postgres(name, quoted):
    assert quote_ident(name) == quoted


def test_every_keyword_but_unreserved_ones_is_quoted():
    for word in UNRESERVED_KEYWORDS:
        assert quote_ident(word) == word
    for word in set(RESERVED_KEYWORDS) | set(COL_NAME_KEYWORDS) | set(TYPE_FUNC_NAME_KEYWORDS):
        assert quote_ident(word) == f'"{word}"'


def test_qualified_quotes_each_part():
    assert quote_qualified("Sales", "order") == '"Sales"."order"'
    assert quote_qualified("public", "t") == "public.t"


def test_sqlite_names_are_always_quoted():
    assert quote_sqlite_ident("t") == '"t"'
    assert quote_sqlite_ident('pgsvc$a"b') == '"pgsvc$a""b"'
