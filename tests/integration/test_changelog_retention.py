"""The change log is bounded as PostgreSQL's WAL for logical decoding is: kept only for the
replication slots of the database (pgsvc.sql.exec.changelog_compact.retain, run by the
backends every RETAIN_EVERY write commits and after a slot's drop). A published database
without a slot keeps at most about RETAIN_EVERY transactions whatever it writes; a slot
keeps everything from its restart_lsn until it is advanced (or confirmed by its
subscriber); dropping the last slot empties the log (but the newest transaction, which
carries the LSN on). The LSN never goes back.
"""

from __future__ import annotations

import subprocess

from conftest import require_tool
from test_changelog import fresh_db, reader, srv  # noqa: F401 (srv: the module's server fixture)

from pgsvc.sql.exec.changelog_compact import RETAIN_EVERY

DB = "cl_retain"


def commits(srv, n: int, first: int, tmp_path) -> None:  # noqa: F811
    """n INSERTs, each its own transaction (psql -f sends them one by one)."""
    script = tmp_path / f"ins{first}.sql"
    script.write_text("".join(f"INSERT INTO t VALUES ({i}, 'row {i}');\n" for i in range(first, first + n)))
    subprocess.run([require_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                    str(srv.port), "-U", srv.superuser, "-d", DB, "-f", str(script)],
                   check=True, capture_output=True, timeout=300)


def log_state(srv) -> tuple[int, int]:  # noqa: F811
    """(rows in the change log, its end LSN)."""
    state = reader(srv, DB, 2 ** 62)
    return state["rows"], state["current"]


def sql(srv, query: str) -> str:  # noqa: F811
    return srv.psql(query, "-At", dbname=DB).stdout.strip()


def test_log_is_bounded_without_a_slot_and_kept_for_one(srv, tmp_path):  # noqa: F811
    start = fresh_db(srv, DB, "CREATE TABLE t (a int PRIMARY KEY, b text); CREATE PUBLICATION p FOR TABLE t")
    n = 3 * RETAIN_EVERY + 17
    commits(srv, n, 1, tmp_path)
    rows, lsn = log_state(srv)
    assert sql(srv, "SELECT count(*) FROM t") == str(n)
    assert rows <= RETAIN_EVERY + 1, f"{rows} changes kept without a slot"
    assert lsn >= start + 16 * n  # compaction never moves the LSN back

    # a slot keeps everything from its position on, until it moves
    sql(srv, "SELECT slot_name FROM pg_create_logical_replication_slot('retain_s', 'pgoutput')")
    commits(srv, n, 10000, tmp_path)
    rows, lsn2 = log_state(srv)
    assert rows >= n and lsn2 >= lsn + 16 * n

    # advanced (a subscriber's confirmation does the same): the next pass lets go of it
    sql(srv, "SELECT end_lsn FROM pg_replication_slot_advance('retain_s', pg_current_wal_lsn())")
    commits(srv, RETAIN_EVERY + 5, 20000, tmp_path)
    rows, lsn3 = log_state(srv)
    assert rows <= RETAIN_EVERY + 6 and lsn3 > lsn2

    # dropping the last slot: nothing is needed any more (the newest transaction stays)
    commits(srv, 50, 30000, tmp_path)
    assert log_state(srv)[0] >= 50
    sql(srv, "SELECT pg_drop_replication_slot('retain_s')")
    rows, lsn4 = log_state(srv)
    assert rows <= 1 and lsn4 >= lsn3 + 16 * 50

    # a slot made afterwards starts at the log's end, which is past every LSN handed out
    created = sql(srv, "SELECT lsn FROM pg_create_logical_replication_slot('retain_t', 'pgoutput')")
    hi, lo = created.split("/")
    assert (int(hi, 16) << 32 | int(lo, 16)) == lsn4
    commits(srv, 10, 40000, tmp_path)
    assert log_state(srv)[0] >= 10
    sql(srv, "SELECT pg_drop_replication_slot('retain_t')")
    assert log_state(srv)[0] <= 1


def test_slot_dropped_from_a_walsender_of_another_database(srv, tmp_path):  # noqa: F811
    """DROP_REPLICATION_SLOT on a replication connection to another database: the slot's
    database lets go of what it kept for it."""
    fresh_db(srv, DB, "CREATE TABLE t (a int PRIMARY KEY, b text); CREATE PUBLICATION p FOR TABLE t")
    sql(srv, "SELECT slot_name FROM pg_create_logical_replication_slot('retain_w', 'pgoutput')")
    commits(srv, 40, 1, tmp_path)
    assert log_state(srv)[0] >= 40
    subprocess.run([require_tool("psql"), "-X", "-v", "ON_ERROR_STOP=1", "-c", "DROP_REPLICATION_SLOT retain_w",
                    f"host=127.0.0.1 port={srv.port} user={srv.superuser} dbname=postgres replication=database"],
                   check=True, capture_output=True, timeout=60)
    assert sql(srv, "SELECT count(*) FROM pg_replication_slots") == "0"
    assert log_state(srv)[0] <= 1
