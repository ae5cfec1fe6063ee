"""Pure parts of the catalog functions: name parsing and quoting of reg* input/output,
pg_size_pretty / pg_size_bytes arithmetic, pg_get_function_arguments from pg_proc
rows, the array helpers, and the RegOid value through the text and binary encoders.
(tests/integration/test_catalog_functions.py compares the same with PostgreSQL 15.)"""

from __future__ import annotations

import pytest

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import regtypes
from pgsvc.sql.catalog.system import procs
from pgsvc.sql.pg_functions import catalog_funcs, sizes
from pgsvc.sql.types import binary_encoder, text_encoder
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.regoid import RegOid


@pytest.mark.parametrize("text, names", [
    ("pg_class", ["pg_class"]), ("  Pg_Class ", ["pg_class"]), ('"Mixed Case"', ["Mixed Case"]),
    ('s . "T""q"', ["s", 'T"q']), ("a.b.c", ["a", "b", "c"]), ("x" * 70, ["x" * 63]),
])
def test_split_names_reads_identifiers_as_postgres(text, names):
    assert regtypes.split_names(text) == names


@pytest.mark.parametrize("text", ["Foo Bar", "a..b", '"unterminated', '""', "", "a.", ".a"])
def test_split_names_rejects_bad_syntax_with_42602(text):
    with pytest.raises(SqlError) as e:
        regtypes.split_names(text)
    assert (e.value.sqlstate, e.value.message) == ("42602", "invalid name syntax")


@pytest.mark.parametrize("value, pretty", [
    (0, "0 bytes"), (10239, "10239 bytes"), (10240, "10 kB"), (10752, "11 kB"), (20971519, "20 MB"),
    (-10240, "-10 kB"), (-20971520, "-20 MB"), (10**15, "909 TB"), (10**18, "888 PB"),
    (9 * 10**18, "7994 PB"),
])
def test_size_pretty_bigint(value, pretty):
    assert sizes.size_pretty(value) == pretty


def test_size_pretty_numeric_keeps_fractions_below_10_kb():
    assert sizes.size_pretty("1.5", numeric=True) == "1.5 bytes"
    assert sizes.size_pretty("10240.7", numeric=True) == "10 kB"
    assert sizes.size_pretty("-10752.5", numeric=True) == "-11 kB"
    assert sizes.size_pretty("1e30", numeric=True) == "888178419700125 PB"


def test_size_bytes_units_and_errors():
    assert sizes.size_bytes("10 kB") == 10240
    assert sizes.size_bytes("1.5 GB") == 1610612736
    assert sizes.size_bytes(" 123 ") == 123
    with pytest.raises(SqlError) as e:
        sizes.size_bytes("10 XB")
    assert e.value.sqlstate == "22023" and e.value.detail == 'Invalid size unit: "XB".'


def test_function_arguments_from_pg_proc_rows():
    by_sig = {(r[1], tuple(r[19])): r for r in procs.listed_procs()}
    make_interval = by_sig[("make_interval", (O.INT4,) * 6 + (O.FLOAT8,))]
    assert procs.format_arguments(make_interval, identity=True) == (
        "years integer, months integer, weeks integer, days integer, hours integer, mins integer, "
        "secs double precision")
    assert procs.format_arguments(make_interval).startswith("years integer DEFAULT 0, ")
    extract = by_sig[("json_extract_path", (O.JSON, O.ARRAY_TEXT))]
    assert procs.format_arguments(extract) == "from_json json, VARIADIC path_elems text[]"
    series = by_sig[("generate_series", (O.INT4, O.INT4))]
    assert procs.format_result(series) == "SETOF integer"


def test_pg_proc_lists_only_signatures_pgsvc_resolves():
    have = procs.pgsvc_signatures()
    rows = procs.listed_procs()
    assert rows and all((r[1], procs._norm(r[19])) in have for r in rows)
    assert len({r[0] for r in rows}) == len(rows)


@pytest.mark.parametrize("name, code", [("UTF8", 6), ("utf-8", 6), ("Unicode", 6), ("LATIN1", 8),
                                        ("sql_ascii", 0), ("nosuch", -1)])
def test_char_to_encoding(name, code):
    assert catalog_funcs.char_to_encoding(name) == code


def test_array_helpers_on_stored_arrays():
    assert catalog_funcs.array_lower("[1,2,3]", 1) == 1
    assert catalog_funcs.array_upper("[1,2,3]", 1) == 3
    assert catalog_funcs.array_upper("[1,2,3]", 2) is None
    assert catalog_funcs.array_dims("[[1,2],[3,4]]") == "[1:2][1:2]"
    assert catalog_funcs.array_ndims("[]") is None and catalog_funcs.array_dims("[]") is None
    assert list(catalog_funcs.generate_subscripts(["a", "b", "c"], 1, True)) == [3, 2, 1]
    assert list(catalog_funcs.generate_subscripts(["a"], 2)) == []


def test_reg_values_print_their_name_and_send_their_oid():
    value = RegOid(1259, "pg_class")
    assert text_encoder(O.REGCLASS)(value) == "pg_class"
    assert text_encoder(O.REGCLASS)(1259) == "1259"
    assert binary_encoder(O.REGCLASS)(value) == (1259).to_bytes(4, "big")
    assert text_encoder(O.ARRAY_REGTYPE)([RegOid(23, "integer"), RegOid(25, "text")]) == "{integer,text}"
