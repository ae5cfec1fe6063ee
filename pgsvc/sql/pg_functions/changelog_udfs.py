"""The UDFs the change log's SQLite triggers call (pgsvc.sql.catalog.changelog), installed
on every connection an engine opens: a published table written through a connection
without them fails ("no such function") rather than going unrecorded.

  pgsvce_cl_xid()       a token that differs between consecutive transactions written to
                        the database: a random number drawn at the connection's first call
                        (a later backend with the same pid draws another) and the count of
                        transactions its engine has ended (exec.txn.WriterLock.generation)
  pgsvce_cl_pack(...)   the row's stored values as one BLOB (changelog.pack)
  pgsvce_cl_no_identity(relname, action, context)  PostgreSQL's 55000 for an UPDATE / DELETE of a
                        published table without a replica identity (a foreign key's cascade)
"""

from __future__ import annotations

import os

from pgsvc.sql.catalog import changelog as CL
from pgsvc.sql.catalog import publications as PUB
from pgsvc.sql.functions.context import reporting_sql_errors


def register(conn, engine) -> None:
    # Drawn at the first call, not here: prepared_udfs runs this in the supervisor before
    # the fork, and a number drawn then would be every backend's, so two backends' Nth
    # transactions would share a token and their changes be decoded as one transaction.
    drawn: list[int] = []

    def xid() -> int:
        if not drawn:
            drawn.append(int.from_bytes(os.urandom(4), "big") & 0x7FFFFFFF)
        return (drawn[0] << 32) | (engine.lock.generation & 0xFFFFFFFF)
    conn.create_function("pgsvce_cl_xid", 0, xid)
    conn.create_function("pgsvce_cl_pack", -1, CL.pack, deterministic=True)

    def no_identity(relname, action, context):
        err = PUB.no_identity_error(relname, action)
        err.context = context
        raise err
    conn.create_function("pgsvce_cl_no_identity", 3, reporting_sql_errors(engine.fctx, no_identity))


__all__ = ["register"]
