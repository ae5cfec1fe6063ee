"""pg_type's rows for the database's user types (domains, enums and their arrays),
pg_enum, and the type functions psql and drivers call (pg_type_is_visible).

pg_type is a TEMP VIEW (pgsvc.sql.syscat_defs) over two TEMP tables: the built-in rows
("pg_type$builtin", filled once per connection) and these rows ("pg_type$user"),
refilled from the loaded catalog before each statement that reads pg_type, so that
they follow CREATE/DROP TYPE in this session and in others.
"""

from __future__ import annotations

from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U

# pg_type's columns in order (syscat_defs.COLUMNS["pg_type"]); the row maker fills them by name
_BUILTIN_BY_OID: dict[int, tuple] = {}


def _builtin(oid: int) -> tuple | None:
    if not _BUILTIN_BY_OID:
        from pgsvc.sql.syscat_defs import type_rows
        _BUILTIN_BY_OID.update({r[0]: r for r in type_rows()})
    return _BUILTIN_BY_OID.get(oid)


# positions in a pg_type row (see syscat_defs.COLUMNS["pg_type"])
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


def domain_row(ut: U.UserType) -> tuple:
    b = _base_row(ut)
    return (ut.oid, ut.name, ut.nspoid, ut.owner, b[_TYPLEN], b[_TYPBYVAL], "d", b[_TYPCATEGORY], 0, 1, ",", 0, 0, 0,
            ut.array_oid, 0, 0, 0, 0, 0, 0, 0, b[_TYPALIGN], b[_TYPSTORAGE], int(ut.notnull), ut.basetype,
            ut.typmod, 0, b[_TYPCOLLATION], None, cooked_default(ut), None)


def enum_row(ut: U.UserType) -> tuple:
    return (ut.oid, ut.name, ut.nspoid, ut.owner, 4, 1, "e", "E", 0, 1, ",", 0, 0, 0, ut.array_oid,
            0, 0, 0, 0, 0, 0, 0, "i", "p", 0, 0, -1, 0, 0, None, None, None)


def array_row(ut: U.UserType, elem: tuple) -> tuple:
    align = "d" if elem[_TYPALIGN] == "d" else "i"
    return (ut.array_oid, "_" + ut.name, ut.nspoid, ut.owner, -1, 0, "b", "A", 0, 1, ",", 0, 0, ut.oid, 0,
            0, 0, 0, 0, 0, 0, 0, align, "x", 0, 0, -1, 0, elem[_TYPCOLLATION], None, None, None)


def user_type_rows() -> list[tuple]:
    rows = []
    for ut in sorted(U.all_user_types(), key=lambda t: t.oid):
        row = enum_row(ut) if ut.typtype == "e" else domain_row(ut)
        rows += [array_row(ut, row), row]
    return rows


def enum_rows() -> list[tuple]:
    """pg_enum: (oid, enumtypid, enumsortorder, enumlabel)."""
    return [(e.oid, ut.oid, e.sortorder, e.label) for ut in U.all_user_types() if ut.typtype == "e"
            for e in ut.labels]


def cooked_default(ut: U.UserType) -> str | None:
    """typdefault as PostgreSQL shows it: the default after coercion to the base type,
    deparsed ('x@y'::text); constants of the base type print without a cast."""
    if ut.default is None:
        return None
    import pglast
    from pglast import ast

    from pgsvc.sql.types.catalog import format_type
    node = pglast.parse_sql(f"SELECT {ut.default}")[0].stmt.targetList[0].val
    base = U.base_of(ut.oid)
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String):
        return "'" + node.val.sval.replace("'", "''") + "'::" + format_type(base, None)
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Integer) and base == O.INT4:
        return str(node.val.ival)
    return ut.default


def type_is_visible(oid) -> int | None:
    if oid is None:
        return None
    return int(U.is_visible(int(oid)))


def format_type(oid, typmod) -> str | None:
    """SQL format_type(oid, typmod): a NULL typmod means "no typmod known"."""
    from pgsvc.sql.types.catalog import format_type as fmt
    if oid is None:
        return None
    return fmt(int(oid), None if typmod is None else int(typmod))


def register(conn) -> None:
    """SQLite UDFs and translator signatures of the type functions."""
    conn.create_function("pgsvce_type_is_visible", 1, type_is_visible)
    conn.create_function("pgsvce_format_type", 2, format_type)
    from pgsvc.sql.functions.signatures import FuncSig
    from pgsvc.sql.translate.funcs import ENGINE_FUNCTIONS
    for name, args, ret, emit, strict in (
            ("pg_type_is_visible", (O.OID,), O.BOOL, "pgsvce_type_is_visible({0})", True),
            ("format_type", (O.OID, O.INT4), O.TEXT, "pgsvce_format_type({0}, {1})", False)):
        sigs = ENGINE_FUNCTIONS.setdefault(name, [])
        if not any(s.arg_oids == args for s in sigs):
            sigs.append(FuncSig(name, args, ret, emit, "scalar", 0, strict, "s"))
