"""SQL functions of publications and replica identity (pgsvc.sql.catalog.publications):

  pg_get_replica_identity_index(regclass) -> regclass   the index identifying rows (the
      primary key for REPLICA IDENTITY DEFAULT, the chosen one for USING INDEX), else NULL
  pg_get_publication_tables(text)         the tables a publication covers: (relid, attrs,
      qual), attrs and qual NULL (no column lists or row filters). A FROM item (LATERAL
      too, as a PostgreSQL 15 subscriber sends it): the translator reads the rows from
      pgsvce_publication_tables(name), a JSON array of [relid] (translate.from_items).
"""

from __future__ import annotations

import json

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import publications as PUB
from pgsvc.sql.functions.context import reporting_sql_errors
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O


def replica_identity_index(engine, oid):
    if oid is None:
        return None
    rel = engine.catalog.by_oid.get(int(oid))
    if rel is None or rel.kind != "r":
        return None
    kind = rel.options.get("replident") or "d"
    if kind == "i":
        ioid = rel.options.get("replident_index")
        return ioid if any(i.oid == ioid for i in rel.indexes) else None
    if kind == "d":
        return next((i.oid for i in rel.indexes if i.primary), None)
    return None


def publication_tables(engine, name):
    cat = engine.catalog
    pub = next((p for p in cat.publications.values() if p.name == name), None)
    if pub is None:
        raise SqlError("42704", f'publication "{name}" does not exist')
    return json.dumps([[rel.oid] for rel in PUB.listed_tables(cat, pub)])


def register(conn, engine) -> None:
    conn.create_function("pgsvce_replica_identity_index", 1,
                         reporting_sql_errors(engine.fctx, lambda oid: replica_identity_index(engine, oid)))
    conn.create_function("pgsvce_publication_tables", 1,
                         reporting_sql_errors(engine.fctx, lambda name: publication_tables(engine, name)))


def _install_signatures() -> None:
    sigs = ENGINE_FUNCTIONS.setdefault("pg_get_replica_identity_index", [])
    if not sigs:
        sigs.append(FuncSig("pg_get_replica_identity_index", (O.REGCLASS,), O.REGCLASS,
                            "pgsvce_replica_identity_index({0})", "scalar", 0, False, "s"))


_install_signatures()

__all__ = ["replica_identity_index", "publication_tables", "register"]
