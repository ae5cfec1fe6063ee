"""Row-level security in a dump, as pg_dump 15 writes it (dumpPolicy): FORCE ROW LEVEL
SECURITY inside the table's own entry, and in the post-data section one POLICY entry per
policy (CREATE POLICY with pg_get_expr's texts) and one ROW SECURITY entry per table with
ENABLE ROW LEVEL SECURITY, all at pg_dump's PRIO_POLICY.
"""

from __future__ import annotations

from pgsvc.client import Connection
from pgsvc.dump.archive import Entry
from pgsvc.dump.introspect import PG_CLASS
from pgsvc.sql.quoting import quote_ident, quote_qualified

PRIO_POLICY = 37  # pg_dump_sort.c (PostgreSQL 15): after FK constraints, before publications
_CMD = {"*": "", "r": " FOR SELECT", "a": " FOR INSERT", "w": " FOR UPDATE", "d": " FOR DELETE"}


def add_policies(conn: Connection, entries: list[Entry], tables: dict) -> list[Entry]:
    """FORCE into the dumped tables' entries; the POLICY and ROW SECURITY entries to add
    for the dumped tables (`tables`: OID -> the dump's Relation)."""
    by_key = {e.key: e for e in entries}
    out = []
    for oid, enabled, forced in conn.query(
            "SELECT c.oid, c.relrowsecurity, c.relforcerowsecurity FROM pg_catalog.pg_class c "
            "WHERE c.relrowsecurity OR c.relforcerowsecurity").rows:
        rel = tables.get(int(oid))
        if rel is None:
            continue
        name = quote_qualified(rel.schema, rel.name)
        target = by_key.get((PG_CLASS, rel.oid))
        if forced in (True, "t") and target is not None and target.defn:
            target.defn += f"\nALTER TABLE ONLY {name} FORCE ROW LEVEL SECURITY;\n"
        if enabled in (True, "t"):
            out.append(Entry(PRIO_POLICY, rel.schema, rel.name, rel.name, "ROW SECURITY", rel.owner,
                             f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;", ("rowsecurity", rel.oid),
                             deps={(PG_CLASS, rel.oid)}))
    for oid, relid, polname, cmd, permissive, roles, qual, check in conn.query(
            "SELECT pol.oid, pol.polrelid, pol.polname, pol.polcmd, pol.polpermissive, "
            "CASE WHEN pol.polroles = '{0}' THEN NULL ELSE pg_catalog.array_to_string(ARRAY(SELECT "
            "pg_catalog.quote_ident(rolname) FROM pg_catalog.pg_roles WHERE oid = ANY(pol.polroles)), ', ') END, "
            "pg_catalog.pg_get_expr(pol.polqual, pol.polrelid), "
            "pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) FROM pg_catalog.pg_policy pol").rows:
        rel = tables.get(int(relid))
        if rel is None:
            continue
        text = f"CREATE POLICY {quote_ident(polname)} ON {quote_qualified(rel.schema, rel.name)}"
        text += ("" if permissive in (True, "t") else " AS RESTRICTIVE") + _CMD.get(cmd, "")
        text += f" TO {roles}" if roles else ""
        text += f" USING ({qual})" if qual is not None else ""
        text += f" WITH CHECK ({check})" if check is not None else ""
        out.append(Entry(PRIO_POLICY, rel.schema, polname, f"{rel.name} {polname}", "POLICY", rel.owner,
                         text + ";\n", ("policy", int(oid)), deps={(PG_CLASS, rel.oid)}))
    return out


__all__ = ["PRIO_POLICY", "add_policies"]
