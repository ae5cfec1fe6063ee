"""pg_type lookups, typmods and format_type() (expected strings from PostgreSQL 15)."""

from decimal import Decimal

import pytest

from pgsvc.errors import SqlError
from pgsvc.sql import types as T
from pgsvc.sqlite import sqlite3


@pytest.mark.parametrize("name,oid", [
    ("int", 23), ("integer", 23), ("int4", 23), ("pg_catalog.int4", 23), ("smallint", 21),
    ("bigint", 20), ("character varying", 1043), ("varchar", 1043), ("double precision", 701),
    ("float8", 701), ("float", 701), ("real", 700), ("timestamptz", 1184),
    ("timestamp with time zone", 1184), ("timestamp without time zone", 1114), ("bool", 16),
    ("boolean", 16), ("decimal", 1700), ("int4[]", 1007), ("_int4", 1007), ("integer[]", 1007),
    ("text[][]", 1009), ("bpchar", 1042), ("character", 1042), ("\"char\"", 18), ("uuid", 2950),
    ("jsonb", 3802), ("regclass", 2205), ("varchar(10)", 1043), ("numeric(10,2)", 1700),
])
def test_by_name(name, oid):
    assert T.by_name(name).oid == oid


def test_unknown_type():
    with pytest.raises(SqlError) as exc:
        T.by_name("nosuch")
    assert (exc.value.sqlstate, exc.value.message) == ("42704", 'type "nosuch" does not exist')


@pytest.mark.parametrize("oid,mods,expected", [
    (T.VARCHAR, [10], "character varying(10)"), (T.BPCHAR, [5], "character(5)"),
    (T.NUMERIC, [10, 2], "numeric(10,2)"), (T.NUMERIC, [7], "numeric(7,0)"),
    (T.TIMESTAMP, [3], "timestamp(3) without time zone"),
    (T.TIMESTAMPTZ, [0], "timestamp(0) with time zone"), (T.TIME, [2], "time(2) without time zone"),
    (T.ARRAY_INT4, [], "integer[]"), (T.ARRAY_BPCHAR, [5], "character(5)[]"),
    (T.INTERVAL, [0x7FFF, 3], "interval(3)"), (T.INTERVAL, [6], "interval year to month"),
])
def test_typmod_and_format_type(oid, mods, expected):
    assert T.format_type(oid, T.typmod_from_modifiers(oid, mods)) == expected


@pytest.mark.parametrize("oid,expected", [
    (T.BPCHAR, "bpchar"), (T.VARCHAR, "character varying"), (T.CHAR, '"char"'),
    (T.TIMESTAMPTZ, "timestamp with time zone"), (T.INT2, "smallint"), (99999, "???"),
])
def test_format_type_without_typmod(oid, expected):
    assert T.format_type(oid, -1) == expected


def test_varchar_typmod_values():
    assert T.typmod_from_modifiers("varchar", [10]) == 14
    assert T.typmod_from_modifiers("numeric", [10, 2]) == ((10 << 16) | 2) + 4


@pytest.mark.parametrize("oid,mods,message", [
    (T.VARCHAR, [0], "length for type varchar must be at least 1"),
    (T.NUMERIC, [1001], "NUMERIC precision 1001 must be between 1 and 1000"),
    (T.INT4, [3], 'type modifier is not allowed for type "int4"'),
])
def test_typmod_errors(oid, mods, message):
    with pytest.raises(SqlError) as exc:
        T.typmod_from_modifiers(oid, mods)
    assert exc.value.message == message


def test_assignment_typmods():
    with pytest.raises(SqlError) as exc:
        T.apply_typmod(T.VARCHAR, "abcd", 7)
    assert (exc.value.sqlstate, exc.value.message) == (
        "22001", "value too long for type character varying(3)")
    assert T.apply_typmod(T.VARCHAR, "ab   ", 7) == "ab "
    assert T.apply_typmod(T.BPCHAR, "ab", 9) == "ab   "
    assert T.apply_typmod(T.NUMERIC, Decimal("2.345"), T.typmod_from_modifiers("numeric", [5, 2])) \
        == Decimal("2.35")
    with pytest.raises(SqlError) as exc:
        T.apply_typmod(T.NUMERIC, Decimal("1234.5"), T.typmod_from_modifiers("numeric", [5, 2]))
    assert exc.value.detail == ("A field with precision 5, scale 2 must round to an absolute "
                                "value less than 10^3.")


def _conn():
    conn = sqlite3.connect(":memory:")
    for name, fn in T.COLLATIONS.items():
        conn.create_collation(name, fn)
    return conn


@pytest.mark.parametrize("oid,texts", [
    (T.NUMERIC, ["-Infinity", "-1", "0.5", "9", "10.50", "Infinity", "NaN"]),
    (T.FLOAT8, ["-Infinity", "-1", "0.5", "1e+100", "Infinity", "NaN"]),
    (T.INTERVAL, ["-1 days", "00:00:01", "1 day", "25:00:00", "1 mon", "1 year"]),
    (T.DATE, ["-infinity", "0044-03-15 BC", "1999-01-08", "2024-01-02", "infinity"]),
    (T.TIMESTAMPTZ, ["-infinity", "1999-01-08 00:00:00+00", "2024-01-02 00:00:00+00", "infinity"]),
    (T.ARRAY_INT4, ["{}", "{1}", "{1,2}", "{1,NULL}", "{2}"]),
    (T.UUID, ["00000000-0000-0000-0000-000000000001", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]),
    (T.BOOL, ["f", "t"]),
])
def test_stored_form_orders_like_postgresql(oid, texts):
    to_sqlite, from_sqlite = T.sqlite_adapter(oid)
    decode, encode = T.text_decoder(oid), T.text_encoder(oid)
    conn = _conn()
    collation = T.collation_for(oid)
    conn.execute(f"CREATE TABLE t (v {T.by_oid(oid).storage}"
                 f"{' COLLATE ' + collation if collation else ''})")
    for text in reversed(texts):
        value = decode(text, -1)
        conn.execute("INSERT INTO t VALUES (?)", (to_sqlite(value) if to_sqlite else value,))
    rows = [r[0] for r in conn.execute("SELECT v FROM t ORDER BY v")]
    assert [encode(from_sqlite(r) if from_sqlite else r) for r in rows] == texts


def test_numeric_equality_ignores_scale():
    conn = _conn()
    conn.execute("CREATE TABLE t (v TEXT COLLATE pg_numeric UNIQUE)")
    conn.execute("INSERT INTO t VALUES ('1.5')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO t VALUES ('1.50')")
