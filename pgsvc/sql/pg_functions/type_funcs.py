"""Type functions psql and drivers call (pg_type_is_visible) and the texts of domains as
PostgreSQL prints them: typdefault after coercion to the base type, a domain CHECK's conbin
and pg_get_constraintdef, deparsed by pgsvc.sql.deparse (VALUE for the domain's value).
"""

from __future__ import annotations

import pglast
from pglast import ast

from pgsvc.sql.catalog.system import user_types as system_user_types
from pgsvc.sql.catalog.system.relations import DYNAMIC_ROWS
from pgsvc.sql.deparse.nodes import Keyword
from pgsvc.sql.deparse.query import Analyzer
from pgsvc.sql.deparse.query_text import expr_text
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.pg_type import format_type


def cooked_default(ut: U.UserType, engine=None) -> str | None:
    """typdefault as PostgreSQL shows it: the default after coercion to the base type,
    deparsed ('x@y'::text) by pgsvc.sql.deparse as pg_attrdef's are."""
    if ut.default is None:
        return None
    deparsed = _deparse(engine, ut.default, None, (U.base_of(ut.oid), U.typmod_of(ut)), False)
    if deparsed is not None:
        return deparsed
    node = pglast.parse_sql(f"SELECT {ut.default}")[0].stmt.targetList[0].val
    base = U.base_of(ut.oid)
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String):
        return "'" + node.val.sval.replace("'", "''") + "'::" + format_type(base, None)
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Integer) and base == O.INT4:
        return str(node.val.ival)
    return ut.default


def _deparse(engine, text: str, value: tuple[int, int] | None, target: tuple[int, int], pretty: bool) -> str | None:
    """An expression as ruleutils prints it (pgsvc.sql.deparse), VALUE standing for a
    domain's value of type `value`; None when the deparser cannot print it."""
    node = _analyse(engine, text, value, target)
    return None if node is None else expr_text(engine, node, pretty)


def _analyse(engine, text: str, value: tuple[int, int] | None, target: tuple[int, int]):
    """The expression analysed (pgsvc.sql.deparse), or None when the deparser cannot."""
    if engine is None:
        return None

    class DomainAnalyzer(Analyzer):
        def resolve_column(self, names):  # CoerceToDomainValue prints as VALUE
            if value is not None and names == ["value"]:
                return Keyword(value[0], value[1], word="VALUE")
            return super().resolve_column(names)
    try:
        an = DomainAnalyzer(engine)
        node = an.expr(pglast.parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val)
        return an.coerce(node, target[0], target[1], implicit=True)
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


def domain_check_node(engine, oid):
    """A domain CHECK's analysed expression (pg_depend's references), or None."""
    ut, check = _find_check(int(oid))
    if check is None:
        return None
    return _analyse(engine, check.expr, (U.base_of(ut.oid), U.typmod_of(ut)), (O.BOOL, -1))


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


def user_type_rows(engine) -> list[tuple]:
    """pg_catalog's "pg_type$user" rows (pgsvc.sql.catalog.system.user_types) with each
    domain's typdefault printed here."""
    return system_user_types.user_type_rows(lambda ut: cooked_default(ut, engine))


def register(conn, engine=None) -> None:
    """SQLite UDFs of the type functions on a backend's connection."""
    conn.create_function("pgsvce_type_is_visible", 1, type_is_visible)
    conn.create_function("pgsvce_domain_conbin", 1, lambda oid: domain_conbin(engine, oid))


def _declare() -> None:
    """Once, at import: the translator's signatures of the type functions, and the row
    source of "pg_type$user" (the catalog cannot deparse)."""
    DYNAMIC_ROWS["pg_type$user"] = user_type_rows
    # (format_type and pg_collation_is_visible are pgsvc.sql.pg_functions.catalog_funcs')
    for name, args, ret, emit, strict in (
            ("pg_type_is_visible", (O.OID,), O.BOOL, "pgsvce_type_is_visible({0})", True),):
        sigs = ENGINE_FUNCTIONS.setdefault(name, [])
        if not any(s.arg_oids == args for s in sigs):
            sigs.append(FuncSig(name, args, ret, emit, "scalar", 0, strict, "s"))


_declare()
