"""What the DDL commands keep of parse nodes: an expression's PostgreSQL source text (the
catalog stores CHECKs, defaults and view queries as text, pgsvc.sql.catalog.database), a
column default as stored, and the value of a WITH (...) / sequence option.
"""

from __future__ import annotations

from pglast import ast
from pglast.stream import RawStream


def source_text(node) -> str:
    """A raw parse node printed back as PostgreSQL source text."""
    return RawStream()(node)


def default_source(raw, domain: int = 0) -> str | None:
    """A column default as stored: none for a NULL constant (PostgreSQL keeps no pg_attrdef
    row for it; a domain column's NULL default does override the domain's, so it stays)."""
    inner = raw.arg if isinstance(raw, ast.TypeCast) else raw
    if not domain and isinstance(inner, ast.A_Const) and inner.isnull:
        return None
    return source_text(raw)


def option_value(arg):
    """The Python value of a DefElem's argument (an option of WITH (...), CREATE SEQUENCE...)."""
    if isinstance(arg, ast.Integer):
        return arg.ival
    if isinstance(arg, ast.String):
        return arg.sval
    if isinstance(arg, ast.Float):
        return arg.fval
    if isinstance(arg, ast.Boolean):
        return arg.boolval
    if isinstance(arg, ast.TypeName):
        return ".".join(n.sval for n in arg.names)
    return None if arg is None else str(arg)
