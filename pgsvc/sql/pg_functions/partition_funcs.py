"""Declarative partitioning's catalog functions: pg_get_partkeydef,
pg_get_partition_constraintdef, pg_partition_root, and pg_class.relpartbound's text
(pgsvce_relpartbound, which pg_get_expr prints as it is). The texts come from
pgsvc.sql.catalog.partitions; pg_partition_tree / pg_partition_ancestors are FROM items
(translate.partitions).

Wiring as describe's: signatures at import, UDFs by `register(conn, engine)`.
"""

from __future__ import annotations

from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O


def _rel(engine, oid):
    return engine.catalog.by_oid.get(int(oid)) if oid is not None else None


def relpartbound(engine, oid):
    rel = _rel(engine, oid)
    b = P.bound(rel)
    return P.bound_text(P.parent_of(engine.catalog, rel), b) if b is not None else None


def partkeydef(engine, oid):
    return P.partkeydef(_rel(engine, oid))


def partition_constraintdef(engine, oid):
    rel = _rel(engine, oid)
    return P.constraint_text(engine.catalog, rel) if rel is not None else None


def partition_root(engine, oid):
    rel = _rel(engine, oid)
    if rel is None or (P.partkey(rel) is None and P.bound(rel) is None):
        return None
    chain = P.ancestors(engine.catalog, rel)
    return chain[-1].oid if chain else rel.oid


_SIGNATURES = (
    ("pg_get_partkeydef", (O.OID,), O.TEXT, "pgsvce_partkeydef({0})"),
    ("pg_get_partition_constraintdef", (O.OID,), O.TEXT, "pgsvce_partition_constraintdef({0})"),
    ("pg_partition_root", (O.REGCLASS,), O.REGCLASS, "pgsvce_partition_root({0})"),
)


def _install_signatures() -> None:
    for name, args, ret, emit in _SIGNATURES:
        sigs = ENGINE_FUNCTIONS.setdefault(name, [])
        if not any(s.arg_oids == args for s in sigs):
            sigs.append(FuncSig(name, args, ret, emit, "scalar", 0, True, "s"))


_install_signatures()


def register(conn, engine) -> None:
    conn.create_function("pgsvce_relpartbound", 1, lambda oid: relpartbound(engine, oid))
    conn.create_function("pgsvce_partkeydef", 1, lambda oid: partkeydef(engine, oid))
    conn.create_function("pgsvce_partition_constraintdef", 1, lambda oid: partition_constraintdef(engine, oid))
    conn.create_function("pgsvce_partition_root", 1, lambda oid: partition_root(engine, oid))


__all__ = ["register", "relpartbound", "partkeydef", "partition_constraintdef", "partition_root"]
