"""A replication connection in pg_stat_activity and its limit, max_wal_senders.

pg_stat_activity side by side with PostgreSQL 15: a logical (replication=database) and a
physical (replication=true) walsender are listed with backend_type "walsender", their
database (none for a physical one), state and last command; a client backend beside them
stays "client backend"; pg_cancel_backend reaches a walsender. A walsender beyond
max_wal_senders is refused before authentication with PostgreSQL's FATAL 53300 (checked on
pgsvc alone, with max_wal_senders = 1: the shared PostgreSQL 15 of the test session keeps
its default of 10; the text is PostgreSQL 15's, walsender.c / proc.c).
"""

from __future__ import annotations

import time

import psycopg
import pytest

from test_replication_connection import replication_server

ACTIVITY = ("SELECT datname IS NULL, usename = current_user, backend_type, state, query "
            "FROM pg_stat_activity WHERE pid = %s")


@pytest.fixture(scope="module")
def pgsvc(module_server_factory):
    return replication_server(module_server_factory, "-c", "max_wal_senders=2")


def dsn(port: int, extra: str = "") -> str:
    return f"host=127.0.0.1 port={port} user=postgres dbname=postgres {extra}"


def activity(port: int) -> list:
    """What a client backend sees of two walsenders (after a command each) and of itself."""
    logical = psycopg.connect(dsn(port, "replication=database"), autocommit=True)
    physical = psycopg.connect(dsn(port, "replication=true"), autocommit=True)
    client = psycopg.connect(dsn(port), autocommit=True)
    try:
        assert logical.pgconn.exec_(b"IDENTIFY_SYSTEM").status == 2  # TUPLES_OK
        assert physical.pgconn.exec_(b"SHOW max_wal_senders").status == 2
        out = []
        for conn in (logical, physical, client):
            out.append(client.execute(ACTIVITY, (conn.pgconn.backend_pid,)).fetchone())
        out.append(client.execute("SELECT backend_type, count(*) FROM pg_stat_activity "
                                  "WHERE backend_type IN ('client backend', 'walsender') "
                                  "GROUP BY 1 ORDER BY 1").fetchall())
        out.append(client.execute("SELECT pg_cancel_backend(%s)", (logical.pgconn.backend_pid,)).fetchone())
        return out
    finally:
        for c in (logical, physical, client):
            c.close()


def test_walsenders_in_pg_stat_activity(pgsvc, pg15):
    assert activity(pgsvc.port) == activity(pg15.port)


def test_max_wal_senders(pgsvc):
    held = [psycopg.connect(dsn(pgsvc.port, "replication=database"), autocommit=True),
            psycopg.connect(dsn(pgsvc.port, "replication=true"), autocommit=True)]
    try:
        for extra in ("replication=database", "replication=true"):
            with pytest.raises(psycopg.OperationalError) as err:
                psycopg.connect(dsn(pgsvc.port, extra))
            assert "FATAL:  number of requested standby connections exceeds max_wal_senders (currently 2)" \
                in str(err.value)
        with psycopg.connect(dsn(pgsvc.port)) as ordinary:  # not a walsender: not counted
            assert ordinary.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender'"
                                    ).fetchone() == (2,)
    finally:
        held.pop().close()
    deadline = time.monotonic() + 10  # the place is free again once that walsender has gone
    while True:
        try:
            psycopg.connect(dsn(pgsvc.port, "replication=true")).close()
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    for c in held:
        c.close()
