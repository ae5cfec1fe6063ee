"""User-defined operator classes (CREATE OPERATOR CLASS ... USING hash): the rows of the
hidden table "pgsvc$opclass", made with the first CREATE OPERATOR CLASS of the database:

  oid        the class's OID
  schema     its schema's name;  name: its name;  method: its access method ('hash')
  intype     the input type's OID;  isdefault: 1 for DEFAULT
  hashfn     the OID of its support function (FUNCTION 2: the extended hash, value and int8
             seed to int8; or FUNCTION 1, value to int4), 0 for none
  hashproc   which support function it is (1 or 2)
  owner      the creating role's OID

What uses one is a hash partition key (commands.ddl.partitions records the class and
its function in the key; routing calls the function as PostgreSQL's
satisfies_hash_partition does). pgsvc builds no hash indexes, so that is all a class does.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgsvc.sqlite import sqlite3

_TABLE_SQL = ('CREATE TABLE IF NOT EXISTS "pgsvc$opclass" (oid INTEGER PRIMARY KEY, schema TEXT NOT NULL, '
              'name TEXT NOT NULL, method TEXT NOT NULL, intype INTEGER NOT NULL, isdefault INTEGER NOT NULL, '
              'hashfn INTEGER NOT NULL, hashproc INTEGER NOT NULL, owner INTEGER NOT NULL)')


@dataclass(frozen=True)
class OpClass:
    oid: int
    schema: str
    name: str
    method: str
    intype: int
    isdefault: bool
    hashfn: int
    hashproc: int
    owner: int


def insert_opclass(conn: sqlite3.Connection, c: OpClass) -> None:
    conn.execute(_TABLE_SQL)
    conn.execute('INSERT INTO "pgsvc$opclass" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
                 (c.oid, c.schema, c.name, c.method, c.intype, int(c.isdefault), c.hashfn, c.hashproc, c.owner))


def delete_opclass(conn: sqlite3.Connection, oid: int) -> None:
    conn.execute('DELETE FROM "pgsvc$opclass" WHERE oid = ?', (oid,))


def opclasses(conn: sqlite3.Connection) -> list[OpClass]:
    try:
        rows = conn.execute('SELECT oid, schema, name, method, intype, isdefault, hashfn, hashproc, owner '
                            'FROM "pgsvc$opclass" ORDER BY oid').fetchall()
    except sqlite3.OperationalError:
        return []  # no operator class was ever made in this database
    return [OpClass(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8]) for r in rows]


def find_opclass(conn: sqlite3.Connection, name: str, method: str, schemas: list[str]) -> OpClass | None:
    """The class `name` of `method` in the first of `schemas` that has one."""
    found = [c for c in opclasses(conn) if c.name == name and c.method == method]
    for s in schemas:
        for c in found:
            if c.schema == s:
                return c
    return None


__all__ = ["OpClass", "insert_opclass", "delete_opclass", "opclasses", "find_opclass"]
