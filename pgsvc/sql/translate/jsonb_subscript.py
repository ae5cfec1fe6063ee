"""jsonb subscripting (PostgreSQL 14+): j['key'], j[0], j['a'][1]... fetch as #> does, each
subscript an integer or text (jsonbsubs.c's transform: an unknown literal is text, a type
coercible to both or neither is refused), a NULL subscript gives NULL, slices are refused.
"""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.ex import Ex, location
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import format_type


def jsonb_subscripts(tr, run: list) -> list[Ex]:
    """The subscripts of one jsonb access, each coerced to integer or text."""
    subs = []
    for ind in run:
        if ind.is_slice:
            bound = ind.uidx if ind.uidx is not None else ind.lidx
            raise SqlError("42804", "jsonb subscript does not support slices",
                           position=location(bound) if bound is not None else None)
        ex = tr.expr(ind.uidx)
        if ex.oid == O.UNKNOWN:
            subs.append(tr.coerce(ex, O.TEXT))
            continue
        targets = [t for t in (O.INT4, O.TEXT) if R.can_coerce_implicit(ex.oid, t)]
        if len(targets) != 1:
            which = "only one type, integer or text" if targets else "either integer or text"
            raise SqlError("42804", f"subscript type {format_type(ex.oid, -1)} is not supported",
                           hint=f"jsonb subscript must be coercible to {which}.", position=location(ind.uidx))
        subs.append(tr.coerce(ex, targets[0]))
    return subs


def jsonb_fetch(tr, base: Ex, run: list[ast.A_Indices]) -> Ex:
    subs = jsonb_subscripts(tr, run)
    path = "json_array(" + ", ".join(f"CAST({s.sql} AS TEXT)" for s in subs) + ")"
    given = " AND ".join(f"{s.sql} IS NOT NULL" for s in subs)
    sql = f"(CASE WHEN {given} THEN pgsvc_json_path({base.sql}, {path}, 1) END)"
    return Ex(sql, O.JSONB, name=base.name, has_agg=base.has_agg or any(s.has_agg for s in subs))
