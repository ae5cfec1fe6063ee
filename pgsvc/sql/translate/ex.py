"""Ex, one translated expression, and what every translator module shares about it.

An Ex carries the SQLite SQL of the value in its *stored form* (pgsvc.sql.types'
storage conventions), its PostgreSQL type and typmod, and the name PostgreSQL would
give it as a result column. Untyped literals and parameters ($n sent with OID 0) have
type `unknown` until context resolves them (coerce), as in PostgreSQL. Also here:
sql_literal (a stored value as an SQLite literal), location (a node's position for
errors) and collate_clause (the COLLATE a type's values compare with in SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass

from pgsvc.sql.types import oids as O
from pgsvc.sql.types.storage import collation_for


@dataclass(slots=True)
class Ex:
    sql: str
    oid: int
    typmod: int = -1
    name: str = "?column?"
    lit: str | None = None  # text of an untyped string literal (oid UNKNOWN)
    param: int = 0  # number of an untyped parameter (oid UNKNOWN)
    table_oid: int = 0
    attnum: int = 0
    notnull: bool = False
    has_agg: bool = False
    is_null: bool = False
    row_types: tuple | None = None  # a ROW(...)'s fields' types (translate.composites)


def sql_literal(value) -> str:
    """A stored-form Python value as an SQLite literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "'NaN'"
        if value in (float("inf"), float("-inf")):
            return "9e999" if value > 0 else "-9e999"
        return repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "X'" + bytes(value).hex() + "'"
    return "'" + str(value).replace("'", "''") + "'"


def location(node) -> int | None:
    """A node's position in the statement text (1-based, as error positions are), or None."""
    loc = getattr(node, "location", None)
    return loc + 1 if isinstance(loc, int) and loc >= 0 else None


def view_owned_by(node) -> int | None:
    """The role a relation named inside a view's own WHERE is checked as when a statement
    on the view is rewritten onto its base (translate.view_dml marks it in its location,
    below -1, which no parsed statement carries), or None."""
    loc = getattr(node, "location", None)
    return -2 - loc if isinstance(loc, int) and loc < -1 else None


def view_owned_location(role: int) -> int:
    return -2 - role


def collate_clause(oid: int) -> str:
    """The COLLATE clause values of this type compare with in SQLite ('' for none)."""
    c = collation_for(oid)
    return f" COLLATE {c}" if c else ""


def array_element_json(sql: str, elem: int) -> str:
    """One element of an array built in SQLite (json_array, json_group_array) in the stored
    form of arrays (types.storage.dump_stored): numeric and float specials as the strings
    'NaN', 'Infinity', '-Infinity' (SQLite prints a REAL infinity as 9.0e+999, or as the
    invalid JSON Inf before 3.41), bytea as hex."""
    if elem == O.NUMERIC:
        return f"json(CASE WHEN {sql} IN ('NaN','Infinity','-Infinity') THEN json_quote({sql}) ELSE {sql} END)"
    if elem in (O.FLOAT4, O.FLOAT8):
        return f"json(pgsvc_float_json({sql}))"
    if elem == O.BYTEA:  # hex(NULL) is '', the empty bytea's hex too; lower case as dump_stored's
        return f"(CASE WHEN ({sql}) IS NULL THEN NULL ELSE lower(hex({sql})) END)"
    return sql
