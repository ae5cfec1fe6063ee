"""What a TypeName node means: (oid, typmod) of a built-in type or a user type (a domain
gives its base type and typmod, and its own OID beside them), with PostgreSQL's errors."""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.translate.ex import location
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes
from pgsvc.sql.types.pg_type import by_name, typmod_from_modifiers


def type_from_typename(tn: ast.TypeName, tx=None) -> tuple[int, int]:
    """(oid, typmod) of a TypeName node; a domain gives its base type and typmod."""
    oid, typmod, _ = typename_with_domain(tn, tx)
    return oid, typmod


def typename_with_domain(tn: ast.TypeName, tx=None) -> tuple[int, int, int]:
    """(oid, typmod, domain oid or 0) of a TypeName node."""
    names = [n.sval for n in tn.names]
    if len(names) == 2 and names[0] == "pg_catalog":
        names = names[1:]
    if len(names) == 2 or usertypes.lookup(None, names[-1]) is not None:
        return _user_type(tn, names)
    if len(names) != 1:
        raise SqlError("42704", f'type "{".".join(names)}" does not exist', position=location(tn))
    oid, typmod = _builtin_type(tn, tx, names[0])
    return oid, typmod, 0


def _user_type(tn: ast.TypeName, names: list[str]) -> tuple[int, int, int]:
    ut = usertypes.lookup(names[0] if len(names) == 2 else None, names[-1])
    if ut is None or len(names) > 2:
        raise SqlError("42704", f'type "{".".join(names)}" does not exist', position=location(tn))
    if tn.typmods:
        raise SqlError("42601", f'type modifier is not allowed for type "{ut.name}"', position=location(tn))
    if tn.pct_type:
        raise SqlError("0A000", "%TYPE is not supported")
    if ut.typtype in ("e", "c"):  # enums, composites
        return (ut.array_oid if tn.arrayBounds else ut.oid), -1, 0
    if tn.arrayBounds:
        raise SqlError("0A000", "arrays of domains are not supported", position=location(tn))
    dom, typmod = ut, -1
    while dom is not None and dom.typtype == "d":
        typmod = typmod if typmod >= 0 else dom.typmod
        dom = usertypes.find(dom.basetype)
    return usertypes.base_of(ut.oid), typmod, ut.oid


def _builtin_type(tn: ast.TypeName, tx, name: str) -> tuple[int, int]:
    try:
        t = by_name(name if name != "char" else '"char"') if name != "bpchar" else by_name("bpchar")
    except SqlError as e:
        e.position = location(tn)
        raise
    if tn.pct_type:
        raise SqlError("0A000", "%TYPE is not supported")
    mods = []
    for m in tn.typmods or ():
        if isinstance(m, ast.A_Const) and isinstance(m.val, ast.Integer):
            mods.append(m.val.ival)
        elif isinstance(m, ast.ParamRef) and tx is not None:
            mods.append(int(tx.structural_literal(m)))
        else:
            raise SqlError("42601", "type modifiers must be simple constants or identifiers",
                           position=location(tn))
    oid = t.oid
    if name == "bpchar" and not mods and tn.typmods is None and tx is not None and getattr(tn, "location", -1) >= 0:
        pass
    typmod = typmod_from_modifiers(oid, mods) if mods else -1
    if oid == O.BPCHAR and typmod < 0 and _is_sql_char(tn):
        typmod = 5  # CHAR without length means CHAR(1)
    if tn.arrayBounds:
        arr = t.array_oid
        if not arr:
            raise SqlError("42704", f"could not find array type for data type {t.sql_name}")
        oid = arr
    return oid, typmod


def _is_sql_char(tn: ast.TypeName) -> bool:
    names = [n.sval for n in tn.names]
    return names == ["pg_catalog", "bpchar"]
