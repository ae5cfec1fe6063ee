"""pg_type's rows for the database's user types (domains, enums and their arrays),
pg_enum, and the type functions psql and drivers call (pg_type_is_visible).

pg_type is a TEMP VIEW (pgsvc.sql.catalog.system.pg_catalog_defs) over two TEMP tables: the built-in rows
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
        from pgsvc.sql.catalog.system.pg_catalog_defs import type_rows
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


def domain_row(ut: U.UserType, engine=None) -> tuple:
    b = _base_row(ut)
    return (ut.oid, ut.name, ut.nspoid, ut.owner, b[_TYPLEN], b[_TYPBYVAL], "d", b[_TYPCATEGORY], 0, 1, ",", 0, 0, 0,
            ut.array_oid, 0, 0, 0, 0, 0, 0, 0, b[_TYPALIGN], b[_TYPSTORAGE], int(ut.notnull), ut.basetype,
            ut.typmod, 0, b[_TYPCOLLATION], None, cooked_default(ut, engine), None)


def enum_row(ut: U.UserType) -> tuple:
    return (ut.oid, ut.name, ut.nspoid, ut.owner, 4, 1, "e", "E", 0, 1, ",", 0, 0, 0, ut.array_oid,
            0, 0, 0, 0, 0, 0, 0, "i", "p", 0, 0, -1, 0, 0, None, None, None)


def array_row(ut: U.UserType, elem: tuple) -> tuple:
    align = "d" if elem[_TYPALIGN] == "d" else "i"
    return (ut.array_oid, "_" + ut.name, ut.nspoid, ut.owner, -1, 0, "b", "A", 0, 1, ",", 0, 0, ut.oid, 0,
            0, 0, 0, 0, 0, 0, 0, align, "x", 0, 0, -1, 0, elem[_TYPCOLLATION], None, None, None)


def user_type_rows(engine=None) -> list[tuple]:
    rows = []
    for ut in sorted(U.all_user_types(), key=lambda t: t.oid):
        row = enum_row(ut) if ut.typtype == "e" else domain_row(ut, engine)
        rows += [array_row(ut, row), row]
    return rows


def enum_rows(engine=None) -> list[tuple]:
    """pg_enum: (oid, enumtypid, enumsortorder, enumlabel)."""
    return [(e.oid, ut.oid, e.sortorder, e.label) for ut in U.all_user_types() if ut.typtype == "e"
            for e in ut.labels]


def cooked_default(ut: U.UserType, engine=None) -> str | None:
    """typdefault as PostgreSQL shows it: the default after coercion to the base type,
    deparsed ('x@y'::text) by pgsvc.sql.deparse.printing as pg_attrdef's are."""
    if ut.default is None:
        return None
    deparsed = _deparse(engine, ut.default, None, (U.base_of(ut.oid), U.typmod_of(ut)), False)
    if deparsed is not None:
        return deparsed
    import pglast
    from pglast import ast

    from pgsvc.sql.types.pg_type import format_type
    node = pglast.parse_sql(f"SELECT {ut.default}")[0].stmt.targetList[0].val
    base = U.base_of(ut.oid)
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String):
        return "'" + node.val.sval.replace("'", "''") + "'::" + format_type(base, None)
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Integer) and base == O.INT4:
        return str(node.val.ival)
    return ut.default


def _deparse(engine, text: str, value: tuple[int, int] | None, target: tuple[int, int], pretty: bool) -> str | None:
    """An expression as ruleutils prints it (pgsvc.sql.deparse.printing), VALUE standing for a
    domain's value of type `value`; None when the deparser cannot print it."""
    if engine is None:
        return None
    try:
        import pglast

        from pgsvc.sql.deparse.query_text import expr_text
        from pgsvc.sql.deparse.nodes import Keyword
        from pgsvc.sql.deparse.query import Analyzer
    except ImportError:
        return None

    class DomainAnalyzer(Analyzer):
        def resolve_column(self, names):  # CoerceToDomainValue prints as VALUE
            if value is not None and names == ["value"]:
                return Keyword(value[0], value[1], word="VALUE")
            return super().resolve_column(names)
    try:
        an = DomainAnalyzer(engine)
        node = an.expr(pglast.parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val)
        node = an.coerce(node, target[0], target[1], implicit=True)
        return expr_text(engine, node, pretty)
    except Exception:  # noqa: BLE001 - the deparser's gaps: the caller falls back
        return None


def _find_check(oid: int) -> tuple[U.UserType, U.DomainCheck] | tuple[None, None]:
    for ut in U.all_user_types():
        for c in ut.checks:
            if c.oid == oid:
                return ut, c
    return None, None


def domain_conbin(engine, oid) -> str | None:
    """pg_constraint.conbin of a domain CHECK: its expression in ruleutils' plain form."""
    if oid is None:
        return None
    ut, check = _find_check(int(oid))
    if check is None:
        return None
    value = (U.base_of(ut.oid), U.typmod_of(ut))
    return _deparse(engine, check.expr, value, (O.BOOL, -1), False) or check.expr


def domain_constraintdef(engine, oid, pretty) -> str | None:
    """pg_get_constraintdef of a domain CHECK: CHECK (VALUE > 0) / CHECK ((VALUE > 0))."""
    ut, check = _find_check(int(oid))
    if check is None:
        return None
    value = (U.base_of(ut.oid), U.typmod_of(ut))
    text = _deparse(engine, check.expr, value, (O.BOOL, -1), bool(pretty))
    return f"CHECK ({text if text is not None else check.expr})"


def type_is_visible(oid) -> int | None:
    if oid is None:
        return None
    return int(U.is_visible(int(oid)))


def collation_is_visible(oid) -> int | None:
    """pg_collation_is_visible: pgsvc's collations are pg_catalog's (always searched)."""
    return None if oid is None else 1


def register(conn, engine=None) -> None:
    """SQLite UDFs and translator signatures of the type functions."""
    conn.create_function("pgsvce_type_is_visible", 1, type_is_visible)
    conn.create_function("pgsvce_collation_is_visible", 1, collation_is_visible)
    conn.create_function("pgsvce_domain_conbin", 1, lambda oid: domain_conbin(engine, oid))
    from pgsvc.sql.functions.signatures import FuncSig
    from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS
    # (format_type is pgsvc.sql.pg_functions.catalog_funcs'; it prints user types through types.catalog)
    for name, args, ret, emit, strict in (
            ("pg_type_is_visible", (O.OID,), O.BOOL, "pgsvce_type_is_visible({0})", True),
            # SQLAlchemy's domain reflection asks it of a domain's collation
            ("pg_collation_is_visible", (O.OID,), O.BOOL, "pgsvce_collation_is_visible({0})", True)):
        sigs = ENGINE_FUNCTIONS.setdefault(name, [])
        if not any(s.arg_oids == args for s in sigs):
            sigs.append(FuncSig(name, args, ret, emit, "scalar", 0, strict, "s"))
