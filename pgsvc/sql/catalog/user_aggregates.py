"""User-defined aggregates (CREATE AGGREGATE): PostgreSQL's pg_aggregate rows of a database.

The aggregate itself is a routine (catalog.routines, prokind 'a', language internal,
prosrc 'aggregate_dummy' as in PostgreSQL); what makes it an aggregate is a row of the
hidden table "pgsvc$aggregate", made with the first CREATE AGGREGATE of the database:

  aggfnoid      the routine's OID
  transfn       the transition function: [schema, name, [argument types]] as JSON
  finalfn       the final function the same way, or NULL
  transtype     the state's type
  initval       the initial state as the type's input text, or NULL (a NULL state)
  transfn_oid, finalfn_oid   the functions' pg_proc OIDs then (0: none), for pg_aggregate

The translator reads a row when a query calls the aggregate (`aggregate_of`, cached on the
routine for the backend's catalog snapshot).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pgsvc.sqlite import sqlite3

_TABLE_SQL = ('CREATE TABLE IF NOT EXISTS "pgsvc$aggregate" (aggfnoid INTEGER PRIMARY KEY, '
              'transfn TEXT NOT NULL, finalfn TEXT, transtype INTEGER NOT NULL, initval TEXT, '
              'transfn_oid INTEGER NOT NULL, finalfn_oid INTEGER NOT NULL)')


@dataclass(frozen=True)
class AggregateDef:
    oid: int
    transfn: tuple  # (schema, name, argument types)
    finalfn: tuple | None
    transtype: int
    initval: str | None
    transfn_oid: int = 0
    finalfn_oid: int = 0


def _fn(value) -> tuple | None:
    if value is None:
        return None
    schema, name, types = json.loads(value)
    return schema, name, tuple(types)


def insert_aggregate(conn: sqlite3.Connection, agg: AggregateDef) -> None:
    conn.execute(_TABLE_SQL)
    conn.execute('INSERT OR REPLACE INTO "pgsvc$aggregate" VALUES (?, ?, ?, ?, ?, ?, ?)',
                 (agg.oid, json.dumps(list(agg.transfn[:2]) + [list(agg.transfn[2])]),
                  None if agg.finalfn is None else json.dumps(list(agg.finalfn[:2]) + [list(agg.finalfn[2])]),
                  agg.transtype, agg.initval, agg.transfn_oid, agg.finalfn_oid))


def delete_aggregate(conn: sqlite3.Connection, oid: int) -> None:
    try:
        conn.execute('DELETE FROM "pgsvc$aggregate" WHERE aggfnoid = ?', (oid,))
    except sqlite3.OperationalError:
        pass  # no aggregate was ever made in this database


def aggregate_of(conn: sqlite3.Connection, routine) -> AggregateDef | None:
    """The pg_aggregate row of an aggregate routine (cached on it), or None."""
    cached = routine.extra.get("aggregate")
    if cached is not None:
        return cached
    try:
        row = conn.execute('SELECT transfn, finalfn, transtype, initval, transfn_oid, finalfn_oid '
                           'FROM "pgsvc$aggregate" WHERE aggfnoid = ?', (routine.oid,)).fetchone()
    except sqlite3.OperationalError:
        return None
    if row is None:
        return None
    agg = AggregateDef(routine.oid, _fn(row[0]), _fn(row[1]), row[2], row[3], row[4], row[5])
    routine.extra["aggregate"] = agg
    return agg
