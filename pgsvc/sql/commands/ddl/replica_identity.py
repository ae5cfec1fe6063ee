"""ALTER TABLE ... REPLICA IDENTITY { DEFAULT | FULL | NOTHING | USING INDEX name }, with
PostgreSQL 15's checks (ATExecReplicaIdentity): the index must be a unique, non-partial,
non-expression index of the table on NOT NULL columns. Stored as the table's options
"replident" / "replident_index" (pgsvc.sql.catalog.publications.identity reads them).
"""

from __future__ import annotations

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C


def set_replica_identity(ddl, rel: C.Relation, stmt) -> None:
    kind = stmt.identity_type
    index_oid = None
    if kind == "i":
        index_oid = _identity_index(ddl, rel, stmt.name).oid
    C.set_relation_option(ddl.conn, rel.oid, "replident", None if kind == "d" else kind)
    C.set_relation_option(ddl.conn, rel.oid, "replident_index", index_oid)
    ddl.refresh()


def _identity_index(ddl, rel: C.Relation, name: str) -> C.Index:
    irel = ddl.cat.relations.get((rel.schema, name))
    if irel is None or irel.kind != "i":
        raise SqlError("42704", f'index "{name}" for table "{rel.name}" does not exist')
    idx = next((i for i in rel.indexes if i.oid == irel.oid), None)
    if idx is None:
        raise SqlError("42809", f'"{name}" is not an index for table "{rel.name}"')
    if not idx.unique:
        raise SqlError("42809", f'cannot use non-unique index "{name}" as replica identity')
    if irel.options.get("indpred"):
        raise SqlError("0A000", f'cannot use partial index "{name}" as replica identity')
    if any(not isinstance(k, int) for k in idx.keys):
        raise SqlError("0A000", f'cannot use expression index "{name}" as replica identity')
    for attnum in idx.keys:
        a = rel.attr_by_num(attnum)
        if not a.notnull:
            raise SqlError("42809", f'index "{name}" cannot be used as replica identity because column '
                           f'"{a.name}" is nullable')
    return idx


__all__ = ["set_replica_identity"]
