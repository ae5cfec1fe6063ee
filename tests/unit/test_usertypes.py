"""User types without a server: the per-process overlay (pgsvc.sql.types.usertypes), enum
sort orders as PostgreSQL computes them (float4 midpoints), names as format_type prints
them, and the type dispatch (text/binary I/O, stored forms) for domains and enums."""

from __future__ import annotations

import pytest

from pgsvc.errors import SqlError
from pgsvc.sql.commands.ddl.user_types import new_sortorder
from pgsvc.sql.types import binary_decoder, binary_encoder, by_name, format_type, sqlite_adapter, text_decoder
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U


def _enum(oid, name, labels, schema="public"):
    ut = U.UserType(oid, 2200, schema, name, "e", oid - 1)
    ut.labels = [U.EnumLabel(oid + 100 + i, order, label) for i, (order, label) in enumerate(labels)]
    return ut


@pytest.fixture()
def types():
    mood = _enum(20001, "mood", [(1.0, "sad"), (1.5, "meh"), (2.0, "ok")])
    user = _enum(20011, "user", [(1.0, "x")])  # a reserved word: format_type quotes it
    hidden = _enum(20021, "mood", [(1.0, "y")], schema="other")
    posint = U.UserType(20031, 2200, "public", "posint", "d", 20030, O.INT4)
    small = U.UserType(20041, 2200, "public", "small", "d", 20040, 20031)  # a domain over a domain
    U.install([mood, user, hidden, posint, small], lambda: ["public"])
    yield mood
    U.install([], lambda: ["public"])


def test_names_and_visibility(types):
    assert by_name("mood").oid == 20001
    assert by_name("other.mood").oid == 20021
    assert by_name("_mood").oid == by_name("mood[]").oid == 20000
    assert format_type(20001, None) == "mood" and format_type(20000, None) == "mood[]"
    assert format_type(20021, None) == "other.mood"  # not on the search path: qualified
    assert format_type(20011, None) == '"user"'
    assert U.is_visible(20001) and not U.is_visible(20021) and U.is_visible(O.INT4)
    assert U.base_of(20041) == O.INT4 and U.base_of(20001) == 20001


def test_enum_values_round_trip(types):
    to_s, from_s = sqlite_adapter(20001)
    assert to_s("meh") == 1.5 and from_s(1.5) == "meh"
    assert text_decoder(20001)("ok") == "ok"
    with pytest.raises(SqlError) as err:
        text_decoder(20001)("angry")
    assert (err.value.sqlstate, err.value.message) == ("22P02", 'invalid input value for enum mood: "angry"')
    assert binary_encoder(20001)("sad") == b"sad" and binary_decoder(20001)(b"ok", -1) == "ok"
    assert sqlite_adapter(20000)[0](["ok", "sad"]) == "[2.0,1.0]"


def test_domain_values_are_the_base_types(types):
    assert text_decoder(20041)("42") == 42
    assert binary_encoder(20041)(7) == binary_encoder(O.INT4)(7)


def test_new_sort_orders_as_postgresql(types):
    assert new_sortorder(types, None, False) == 3.0  # ADD VALUE: after the last
    assert new_sortorder(types, "sad", False) == 0.0  # BEFORE the first
    assert new_sortorder(types, "ok", True) == 3.0  # AFTER the last
    assert new_sortorder(types, "meh", True) == 1.75  # between: the float4 midpoint
    with pytest.raises(SqlError) as err:
        new_sortorder(types, "nope", True)
    assert err.value.message == '"nope" is not an existing enum label'


def test_exhausted_sort_order_gap_is_refused(types):
    tight = _enum(20051, "tight", [(1.0, "a"), (1.0000001, "b")])
    with pytest.raises(SqlError) as err:
        new_sortorder(tight, "a", True)
    assert err.value.sqlstate == "0A000"
