"""pg_type's rows for the database's user types (domains, enums, composites and their arrays)
and pg_enum.

pg_type is a TEMP VIEW (pgsvc.sql.catalog.system.pg_catalog_defs) over two TEMP tables: the built-in rows
("pg_type$builtin", filled once per connection) and these rows ("pg_type$user"),
refilled from the loaded catalog before each statement that reads pg_type, so that
they follow CREATE/DROP TYPE in this session and in others. A domain's typdefault is
printed by the deparser: pgsvc.sql.pg_functions.type_funcs passes it in (`user_type_rows`)
and registers the row source.
"""

from __future__ import annotations

from pgsvc.sql.catalog.system.pg_catalog_defs import RANGE_ROWS, type_rows
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import ranges as R
from pgsvc.sql.types import usertypes as U

# pg_type's columns in order (pg_catalog_defs.COLUMNS["pg_type"]); the row maker fills them by name
_BUILTIN_BY_OID: dict[int, tuple] = {}


def _builtin(oid: int) -> tuple | None:
    if not _BUILTIN_BY_OID:
        _BUILTIN_BY_OID.update({r[0]: r for r in type_rows()})
    return _BUILTIN_BY_OID.get(oid)


# positions in a pg_type row (see pg_catalog_defs.COLUMNS["pg_type"])
_TYPLEN, _TYPBYVAL, _TYPCATEGORY, _TYPALIGN, _TYPSTORAGE, _TYPCOLLATION = 4, 5, 7, 22, 23, 28


def _base_row(ut: U.UserType) -> tuple:
    """The row a domain copies its physical properties from (its base, through domains)."""
    base = U.base_of(ut.oid)
    row = _builtin(base)
    if row is not None:
        return row
    inner = U.find(base)
    if inner is not None and inner.typtype == "e":
        return enum_row(inner)
    return _builtin(O.TEXT)


def domain_row(ut: U.UserType, typdefault: str | None) -> tuple:
    b = _base_row(ut)
    return (ut.oid, ut.name, ut.nspoid, ut.owner, b[_TYPLEN], b[_TYPBYVAL], "d", b[_TYPCATEGORY], 0, 1, ",", 0, 0, 0,
            ut.array_oid, 0, 0, 0, 0, 0, 0, 0, b[_TYPALIGN], b[_TYPSTORAGE], int(ut.notnull), ut.basetype,
            ut.typmod, 0, b[_TYPCOLLATION], typdefault, typdefault, None)  # typdefaultbin: the node text


def enum_row(ut: U.UserType) -> tuple:
    return (ut.oid, ut.name, ut.nspoid, ut.owner, 4, 1, "e", "E", 0, 1, ",", 0, 0, 0, ut.array_oid,
            0, 0, 0, 0, 0, 0, 0, "i", "p", 0, 0, -1, 0, 0, None, None, None)


def range_row(ut: U.UserType) -> tuple:
    """typtype 'r' (a range: basetype holds its subtype) or 'm' (its multirange): range_in,
    range_out... are not named (0), as for the built-in types' rows."""
    sub = R.subtype_of(ut.oid) if R.is_range(ut.oid) or R.is_multirange(ut.oid) else 0
    align = "d" if sub in (O.INT8, O.FLOAT8, O.TIMESTAMP, O.TIMESTAMPTZ) else "i"
    return (ut.oid, ut.name, ut.nspoid, ut.owner, -1, 0, ut.typtype, "R", 0, 1, ",", 0, 0, 0, ut.array_oid,
            0, 0, 0, 0, 0, 0, 0, align, "x", 0, 0, -1, 0, 0, None, None, None)


# the subtype's default btree operator class (pg_range.rngsubopc; pg_dump joins pg_opclass on it)
_SUBTYPE_OPCLASS = {O.INT2: 1979, O.INT4: 1978, O.INT8: 3124, O.FLOAT4: 10012, O.FLOAT8: 3123, O.NUMERIC: 3125,
                    O.TEXT: 3126, O.VARCHAR: 3126, O.BPCHAR: 10004, O.NAME: 10028, O.DATE: 3122,
                    O.TIMESTAMP: 3128, O.TIMESTAMPTZ: 3127, O.MONEY: 10047}


def range_rows(engine=None) -> list[tuple]:
    """pg_range: the built-in range types' rows and the database's own (no canonical function,
    subtype_diff as recorded by commands.ddl.range_types, the subtype's collation)."""
    rows = list(RANGE_ROWS)
    for rng, (sub, multi) in sorted(R.user_ranges().items()):
        ut = U.find(rng)  # its collation is kept in the typmod (commands.ddl.range_types)
        diff = int(ut.default) if ut is not None and ut.default else 0
        rows.append((rng, sub, multi, max(ut.typmod, 0) if ut is not None else 0, _SUBTYPE_OPCLASS.get(R.key_subtype(sub), 0), 0,
                     diff))
    return rows


def composite_row(ut: U.UserType) -> tuple:
    """typtype 'c': typrelid its relation; record_in, record_out, record_recv, record_send."""
    return (ut.oid, ut.name, ut.nspoid, ut.owner, -1, 0, "c", "C", 0, 1, ",", ut.relid, 0, 0, ut.array_oid,
            2290, 2291, 2402, 2403, 0, 0, 0, "d", "x", 0, 0, -1, 0, 0, None, None, None)


def array_row(ut: U.UserType, elem: tuple) -> tuple:
    align = "d" if elem[_TYPALIGN] == "d" else "i"
    return (ut.array_oid, "_" + ut.name, ut.nspoid, ut.owner, -1, 0, "b", "A", 0, 1, ",", 0, 0, ut.oid, 0,
            0, 0, 0, 0, 0, 0, 0, align, "x", 0, 0, -1, 0, elem[_TYPCOLLATION], None, None, None)


def user_type_rows(cooked_default) -> list[tuple]:
    """The rows of "pg_type$user"; cooked_default(ut): a domain's typdefault as PostgreSQL
    prints it."""
    rows = []
    for ut in sorted(U.all_user_types(), key=lambda t: t.oid):
        row = enum_row(ut) if ut.typtype == "e" else composite_row(ut) if ut.typtype == "c" else \
            range_row(ut) if ut.typtype in ("r", "m") else domain_row(ut, cooked_default(ut))
        rows += [array_row(ut, row), row]
    for ut in sorted(U.table_row_types(), key=lambda t: t.oid):  # tables' and views' row types
        row = composite_row(ut)
        rows += [array_row(ut, row), row]
    return rows


def enum_rows(engine=None) -> list[tuple]:
    """pg_enum: (oid, enumtypid, enumsortorder, enumlabel)."""
    return [(e.oid, ut.oid, e.sortorder, e.label) for ut in U.all_user_types() if ut.typtype == "e"
            for e in ut.labels]
