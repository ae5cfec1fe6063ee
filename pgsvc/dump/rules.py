"""Rules in a dump, as pg_dump 15 writes them (dumpRule): one RULE entry per rule of a
dumped table or view other than a view's _RETURN, its text pg_get_ruledef's (not pretty:
everything qualified under the script's empty search_path), at pg_dump's PRIO_RULE.
"""

from __future__ import annotations

from pgsvc.client import Connection
from pgsvc.dump.archive import Entry
from pgsvc.dump.introspect import PG_CLASS

PRIO_RULE = 34  # pg_dump_sort.c (PostgreSQL 15): after indexes, before triggers
PG_REWRITE = 2618


def add_rules(conn: Connection, relations: dict) -> list[Entry]:
    """The RULE entries of the dumped relations (`relations`: OID -> the dump's Relation)."""
    out = []
    for oid, relid, name, definition in conn.query(
            "SELECT r.oid, r.ev_class, r.rulename, pg_catalog.pg_get_ruledef(r.oid) FROM pg_catalog.pg_rewrite r "
            "WHERE r.rulename <> '_RETURN' ORDER BY r.ev_class, r.rulename").rows:
        rel = relations.get(int(relid))
        if rel is None or definition is None:
            continue
        out.append(Entry(PRIO_RULE, rel.schema, name, f"{rel.name} {name}", "RULE", rel.owner,
                         definition + "\n", (PG_REWRITE, int(oid)), deps={(PG_CLASS, rel.oid)}))
    return out


__all__ = ["PRIO_RULE", "add_rules"]
