"""Publications and replica identity (PostgreSQL's pg_publication, pg_publication_rel,
pg_publication_namespace, pg_class.relreplident, pg_index.indisreplident).

Stored form, in each database's SQLite file (transactional with the data, shared by every
backend on it):

  pgsvc$publication           (oid, pubname, pubowner, puballtables, pubinsert, pubupdate,
                               pubdelete, pubtruncate, pubviaroot)   as pg_publication
  pgsvc$publication_rel       (oid, prpubid, prrelid)                as pg_publication_rel
  pgsvc$publication_namespace (oid, pnpubid, pnnspid)                as pg_publication_namespace

A table's replica identity is an entry of its pgsvc$class.options: "replident" ('f' FULL,
'n' NOTHING, 'i' USING INDEX with "replident_index" the index's OID; absent: DEFAULT, the
primary key). `identity` tells which columns identify a row.

The loaded snapshot is `Catalog.publications` (by OID); `actions_for` answers which row
changes of a table some publication covers (what the change log records:
pgsvc.sql.catalog.changelog).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import partitions as P
from pgsvc.sqlite import sqlite3

TABLE_SQL = [
    'CREATE TABLE IF NOT EXISTS "pgsvc$publication" (oid INTEGER PRIMARY KEY, pubname TEXT UNIQUE NOT NULL, '
    'pubowner INTEGER NOT NULL, puballtables INTEGER NOT NULL, pubinsert INTEGER NOT NULL, '
    'pubupdate INTEGER NOT NULL, pubdelete INTEGER NOT NULL, pubtruncate INTEGER NOT NULL, '
    'pubviaroot INTEGER NOT NULL)',
    'CREATE TABLE IF NOT EXISTS "pgsvc$publication_rel" (oid INTEGER PRIMARY KEY, prpubid INTEGER NOT NULL, '
    'prrelid INTEGER NOT NULL, UNIQUE (prrelid, prpubid))',
    'CREATE TABLE IF NOT EXISTS "pgsvc$publication_namespace" (oid INTEGER PRIMARY KEY, '
    'pnpubid INTEGER NOT NULL, pnnspid INTEGER NOT NULL, UNIQUE (pnnspid, pnpubid))',
]

ACTIONS = ("insert", "update", "delete", "truncate")

# schemas whose tables are never published (pg_relation_is_publishable)
_UNPUBLISHABLE_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


@dataclass
class Publication:
    oid: int
    name: str
    owner: int
    alltables: bool
    actions: dict[str, bool]  # insert/update/delete/truncate -> published
    viaroot: bool = False
    rels: dict[int, int] = field(default_factory=dict)  # relid -> pg_publication_rel oid
    schemas: dict[int, int] = field(default_factory=dict)  # nspoid -> pg_publication_namespace oid


def load(conn: sqlite3.Connection) -> dict[int, Publication]:
    pubs = {}
    for row in conn.execute('SELECT oid, pubname, pubowner, puballtables, pubinsert, pubupdate, pubdelete, '
                            'pubtruncate, pubviaroot FROM "pgsvc$publication"'):
        pubs[row[0]] = Publication(row[0], row[1], row[2], bool(row[3]),
                                   dict(zip(ACTIONS, (bool(x) for x in row[4:8]))), bool(row[8]))
    if not pubs:
        return pubs
    for oid, pubid, relid in conn.execute('SELECT oid, prpubid, prrelid FROM "pgsvc$publication_rel"'):
        if pubid in pubs:
            pubs[pubid].rels[relid] = oid
    for oid, pubid, nspid in conn.execute('SELECT oid, pnpubid, pnnspid FROM "pgsvc$publication_namespace"'):
        if pubid in pubs:
            pubs[pubid].schemas[nspid] = oid
    return pubs


def publishable(rel) -> bool:
    """pg_relation_is_publishable: an ordinary permanent table outside the system schemas."""
    return rel.kind == "r" and not rel.schema.startswith(("pg_temp_", "pg_toast_temp_")) \
        and rel.schema not in _UNPUBLISHABLE_SCHEMAS and rel.options.get("persistence") in (None, "p")


def covers(pub: Publication, rel, nspoid: int, ancestors=()) -> bool:
    """Whether pub covers rel; `ancestors`: (OID, schema OID) of the partitioned tables rel
    is a partition of (a publication of a partitioned table covers its partitions)."""
    if not publishable(rel):
        return False
    if pub.alltables or rel.oid in pub.rels or nspoid in pub.schemas:
        return True
    return any(oid in pub.rels or nsp in pub.schemas for oid, nsp in ancestors)


def lineage(catalog, rel) -> list[tuple[int, int]]:
    """(OID, schema OID) of the partitioned tables above rel, nearest first."""
    return [(a.oid, catalog.schemas.get(a.schema, 0)) for a in P.ancestors(catalog, rel)]


def actions_for(pubs: dict[int, Publication], rel, nspoid: int, ancestors=()) -> set[str]:
    """The row changes of rel that some publication publishes."""
    out: set[str] = set()
    for pub in pubs.values():
        if covers(pub, rel, nspoid, ancestors):
            out.update(a for a, on in pub.actions.items() if on)
    return out


def listed_tables(catalog, pub: Publication) -> list:
    """The tables pg_get_publication_tables lists: the leaf tables it covers, or with
    publish_via_partition_root the topmost covered ones (a partitioned table for its
    partitions)."""
    out = []
    for rel in sorted(catalog.by_oid.values(), key=lambda r: r.oid):
        up = lineage(catalog, rel)
        if not covers(pub, rel, catalog.schemas.get(rel.schema, 0), up):
            continue
        parents_covered = any(covers(pub, catalog.by_oid[oid], nsp, up[i + 1:]) for i, (oid, nsp) in enumerate(up))
        if (not P.partkey(rel) and not pub.viaroot) or (pub.viaroot and not parents_covered):
            out.append(rel)
    return out


def identity(rel) -> tuple[str, list[int]]:
    """(relreplident, the attnums identifying a row): DEFAULT is the primary key's columns
    (none without one), FULL every column, USING INDEX the index's, NOTHING none."""
    kind = rel.options.get("replident") or "d"
    if kind == "f":
        return kind, [a.attnum for a in rel.attrs]
    if kind == "n":
        return kind, []
    if kind == "i":
        ioid = rel.options.get("replident_index")
        idx = next((i for i in rel.indexes if i.oid == ioid), None)
        return kind, [k for k in idx.keys if isinstance(k, int)] if idx else []
    pk = next((i for i in rel.indexes if i.primary), None)
    return "d", [k for k in pk.keys if isinstance(k, int)] if pk else []


# --- writers (pgsvc.sql.commands.ddl.publications) --------------------------------------

def insert_publication(conn: sqlite3.Connection, oid: int, name: str, owner: int, alltables: bool,
                       actions: dict[str, bool], viaroot: bool) -> None:
    conn.execute('INSERT INTO "pgsvc$publication" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                 (oid, name, owner, int(alltables), *(int(actions[a]) for a in ACTIONS), int(viaroot)))


def set_publication_options(conn: sqlite3.Connection, oid: int, actions: dict[str, bool], viaroot: bool) -> None:
    conn.execute('UPDATE "pgsvc$publication" SET pubinsert = ?, pubupdate = ?, pubdelete = ?, pubtruncate = ?, '
                 'pubviaroot = ? WHERE oid = ?', (*(int(actions[a]) for a in ACTIONS), int(viaroot), oid))


def set_publication_owner(conn: sqlite3.Connection, oid: int, owner: int) -> None:
    conn.execute('UPDATE "pgsvc$publication" SET pubowner = ? WHERE oid = ?', (owner, oid))


def rename_publication(conn: sqlite3.Connection, oid: int, name: str) -> None:
    conn.execute('UPDATE "pgsvc$publication" SET pubname = ? WHERE oid = ?', (name, oid))


def delete_publication(conn: sqlite3.Connection, oid: int) -> None:
    conn.execute('DELETE FROM "pgsvc$publication" WHERE oid = ?', (oid,))
    conn.execute('DELETE FROM "pgsvc$publication_rel" WHERE prpubid = ?', (oid,))
    conn.execute('DELETE FROM "pgsvc$publication_namespace" WHERE pnpubid = ?', (oid,))
    conn.execute('DELETE FROM "pgsvc$description" WHERE objoid = ?', (oid,))  # COMMENT ON PUBLICATION


def add_relation(conn: sqlite3.Connection, oid: int, pubid: int, relid: int) -> None:
    conn.execute('INSERT INTO "pgsvc$publication_rel" VALUES (?, ?, ?)', (oid, pubid, relid))


def remove_relation(conn: sqlite3.Connection, pubid: int, relid: int) -> None:
    conn.execute('DELETE FROM "pgsvc$publication_rel" WHERE prpubid = ? AND prrelid = ?', (pubid, relid))


def add_schema(conn: sqlite3.Connection, oid: int, pubid: int, nspid: int) -> None:
    conn.execute('INSERT INTO "pgsvc$publication_namespace" VALUES (?, ?, ?)', (oid, pubid, nspid))


def remove_schema(conn: sqlite3.Connection, pubid: int, nspid: int) -> None:
    conn.execute('DELETE FROM "pgsvc$publication_namespace" WHERE pnpubid = ? AND pnnspid = ?', (pubid, nspid))


def forget_relation(conn: sqlite3.Connection, relid: int) -> None:
    """DROP TABLE: the table leaves every publication (PostgreSQL's dependency)."""
    conn.execute('DELETE FROM "pgsvc$publication_rel" WHERE prrelid = ?', (relid,))


def forget_schema(conn: sqlite3.Connection, nspname: str) -> None:
    """DROP SCHEMA: the schema leaves every publication."""
    conn.execute('DELETE FROM "pgsvc$publication_namespace" WHERE pnnspid = '
                 '(SELECT oid FROM "pgsvc$namespace" WHERE nspname = ?)', (nspname,))




def check_replica_identity(catalog, rel, command: str) -> None:
    """PostgreSQL's CheckCmdReplicaIdentity: UPDATE / DELETE of a table some publication
    publishes those for needs a replica identity (FULL, or a key that exists); through a
    partitioned table, each of its partitions."""
    if P.partkey(rel) is not None:
        for leaf in P.leaves(catalog, rel):
            check_replica_identity(catalog, leaf, command)
        return
    action = command.lower()
    if action not in actions_for(catalog.publications, rel, catalog.schemas.get(rel.schema, 0),
                                 lineage(catalog, rel)):
        return
    kind, keys = identity(rel)
    if kind == "f" or keys:
        return
    raise no_identity_error(rel.name, action)


def no_identity_error(relname: str, action: str) -> SqlError:
    """55000 of an UPDATE or DELETE (action 'update' / 'delete') of a table without a
    replica identity that a publication publishes those for."""
    if action == "update":
        return SqlError("55000", f'cannot update table "{relname}" because it does not have a replica identity '
                        "and publishes updates", hint="To enable updating the table, set REPLICA IDENTITY using "
                        "ALTER TABLE.")
    return SqlError("55000", f'cannot delete from table "{relname}" because it does not have a replica identity '
                    "and publishes deletes", hint="To enable deleting from the table, set REPLICA IDENTITY using "
                    "ALTER TABLE.")


__all__ = ["TABLE_SQL", "ACTIONS", "Publication", "load", "publishable", "covers",
           "lineage", "actions_for", "listed_tables", "check_replica_identity", "no_identity_error",
           "identity", "insert_publication", "set_publication_options",
           "set_publication_owner", "rename_publication", "delete_publication", "add_relation",
           "remove_relation", "add_schema", "remove_schema", "forget_relation", "forget_schema"]
