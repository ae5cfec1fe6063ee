"""Logical replication's objects in a dump, as pg_dump 15 writes them: publications
(dumpPublication, dumpPublicationTable, dumpPublicationNamespace): CREATE PUBLICATION with
its publish list and FOR ALL TABLES, its owner, then one ALTER PUBLICATION ... ADD TABLE
ONLY per member table that is dumped and one ADD TABLES IN SCHEMA per member schema, in the
post-data section (like pg_dump, only a whole-database dump carries the publications); and
a table's REPLICA IDENTITY other than DEFAULT, appended to its table's definition (FULL,
NOTHING) or to its index's or constraint's (USING INDEX), as dumpTableSchema, dumpIndex and
dumpConstraint append it.
"""

from __future__ import annotations

from pgsvc.client import Connection
from pgsvc.dump.archive import Entry
from pgsvc.dump.introspect import PG_CLASS, PG_CONSTRAINT, PG_NAMESPACE
from pgsvc.sql.quoting import quote_ident, quote_qualified

# pg_dump_sort.c's priorities (PostgreSQL 15)
PRIO_PUBLICATION, PRIO_PUBLICATION_REL, PRIO_PUBLICATION_TABLE_IN_SCHEMA = 38, 39, 40
PG_PUBLICATION = 6104
_ACTIONS = ("insert", "update", "delete", "truncate")


def publication_entries(conn: Connection, tables: dict, schemas: dict[int, str]) -> list[Entry]:
    """The entries of every publication; `tables` the dumped tables by OID (Relation),
    `schemas` the dumped schemas' names by OID."""
    out: list[Entry] = []
    pubs = {}
    for row in conn.query("SELECT p.oid, p.pubname, pg_catalog.pg_get_userbyid(p.pubowner), p.puballtables, "
                          "p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate, p.pubviaroot "
                          "FROM pg_catalog.pg_publication p ORDER BY p.oid").rows:
        oid, name, owner = int(row[0]), row[1], row[2]
        flags = [v == "t" for v in row[3:]]
        text = f"CREATE PUBLICATION {quote_ident(name)}"
        if flags[0]:
            text += " FOR ALL TABLES"
        text += " WITH (publish = '" + ", ".join(a for a, on in zip(_ACTIONS, flags[1:5]) if on) + "'"
        if flags[5]:
            text += ", publish_via_partition_root = true"
        text += ");\n"
        pubs[oid] = (name, owner)
        out.append(Entry(PRIO_PUBLICATION, "", name, name, "PUBLICATION", owner, text, (PG_PUBLICATION, oid),
                         owner_stmt=f"ALTER PUBLICATION {quote_ident(name)} OWNER TO {quote_ident(owner)};",
                         header_schema="-"))
    if not pubs:
        return out
    for roid, pubid, relid in conn.query("SELECT r.oid, r.prpubid, r.prrelid FROM pg_catalog.pg_publication_rel r "
                                         "ORDER BY r.oid").rows:
        rel = tables.get(int(relid))
        if rel is None or int(pubid) not in pubs:
            continue
        name, owner = pubs[int(pubid)]
        out.append(Entry(PRIO_PUBLICATION_REL, rel.schema, rel.name, f"{name} {rel.name}", "PUBLICATION TABLE",
                         owner, f"ALTER PUBLICATION {quote_ident(name)} ADD TABLE ONLY "
                         f"{quote_qualified(rel.schema, rel.name)};\n", ("publication_rel", int(roid)),
                         deps={(PG_PUBLICATION, int(pubid)), (PG_CLASS, rel.oid)}))
    for soid, pubid, nspid in conn.query("SELECT s.oid, s.pnpubid, s.pnnspid FROM "
                                         "pg_catalog.pg_publication_namespace s ORDER BY s.oid").rows:
        schema = schemas.get(int(nspid))
        if schema is None or int(pubid) not in pubs:
            continue
        name, owner = pubs[int(pubid)]
        out.append(Entry(PRIO_PUBLICATION_TABLE_IN_SCHEMA, schema, schema, f"{name} {schema}",
                         "PUBLICATION TABLES IN SCHEMA", owner,
                         f"ALTER PUBLICATION {quote_ident(name)} ADD TABLES IN SCHEMA {quote_ident(schema)};\n",
                         ("publication_namespace", int(soid)),
                         deps={(PG_PUBLICATION, int(pubid)), (PG_NAMESPACE, int(nspid))}))
    return out


def add_replica_identities(conn: Connection, entries: list[Entry]) -> None:
    """ALTER TABLE ONLY ... REPLICA IDENTITY into the entries that carry it."""
    by_key = {e.key: e for e in entries}
    for row in conn.query(
            "SELECT c.oid, c.relreplident, n.nspname, c.relname, i.indexrelid, ic.relname, k.oid "
            "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_catalog.pg_index i ON i.indrelid = c.oid AND i.indisreplident "
            "LEFT JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
            "LEFT JOIN pg_catalog.pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = c.oid "
            "AND k.contype IN ('p', 'u') "
            "WHERE c.relkind IN ('r', 'p') AND c.relreplident <> 'd'").rows:
        oid, kind, schema, name = int(row[0]), row[1], row[2], row[3]
        table = quote_qualified(schema, name)
        if kind in ("f", "n"):
            target = by_key.get((PG_CLASS, oid))
            text = f"\nALTER TABLE ONLY {table} REPLICA IDENTITY {'FULL' if kind == 'f' else 'NOTHING'};\n"
        elif kind == "i" and row[4] is not None:
            target = by_key.get((PG_CONSTRAINT, int(row[6])) if row[6] is not None else (PG_CLASS, int(row[4])))
            text = f"\nALTER TABLE ONLY {table} REPLICA IDENTITY USING INDEX {quote_ident(row[5])};\n"
        else:
            continue
        if target is not None and target.defn:
            target.defn += text


__all__ = ["publication_entries", "add_replica_identities"]
