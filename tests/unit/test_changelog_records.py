"""The change log's LSN scheme, reader and compaction on a database file with rows written
as the capture triggers write them (pgsvc.sql.catalog.changelog, changelog_read,
pgsvc.sql.exec.changelog_compact): transactions whole and in order, start points, the
position kept through compaction, no transaction split by it."""

from __future__ import annotations

import json

import pytest

from pgsvc.sql.catalog import changelog as CL
from pgsvc.sql.catalog import changelog_read as R
from pgsvc.sql.catalog import publications as PUB
from pgsvc.sql.exec.changelog_compact import compact
from pgsvc.sqlite import sqlite3
from pgsvc.sql.types import oids as O


@pytest.fixture
def conn(tmp_path):
    c = sqlite3.connect(str(tmp_path / "db.sqlite"), isolation_level=None)
    for stmt in PUB.TABLE_SQL + CL.TABLE_SQL:
        c.execute(stmt)
    info = {"schema": "public", "name": "t", "replident": "d",
            "columns": [["a", O.INT4, -1, True], ["b", O.TEXT, -1, False], ["c", O.FLOAT8, -1, False]]}
    c.execute('INSERT INTO "pgsvc$changelog_rel" (relid, info) VALUES (16384, ?)', (json.dumps(info),))
    yield c
    c.close()


def write(conn, xid, op, old=None, new=None, layout=1):
    conn.execute('INSERT INTO "pgsvc$changelog" (xid, ts, layout, op, old, new) VALUES (?, 1700000000.5, ?, ?, ?, ?)',
                 (xid, layout, op, None if old is None else CL.pack(*old), None if new is None else CL.pack(*new)))


def test_lsn_text_round_trips():
    for lsn in (0, CL.BASE_LSN, 0x16B374D848, (1 << 64) - 1):
        assert CL.parse_lsn(CL.format_lsn(lsn)) == lsn
    assert CL.format_lsn(0x16B374D848) == "16/B374D848"
    assert CL.format_lsn(CL.end_lsn(0)) == "0/1000010"


def test_transactions_whole_in_order_with_growing_lsns(conn):
    assert CL.current_lsn(conn) == CL.end_lsn(0)
    write(conn, 7, "I", new=(1, "x", 0.1))
    write(conn, 7, "I", new=(2, None, float("inf")))
    write(conn, 8, "U", old=(1,), new=(1, "y", 2.5))
    write(conn, 9, "U", old=(2,), new=(3, "z", -0.0))
    write(conn, 10, "D", old=(3,))
    txns = R.read_transactions(conn, 0)
    assert [[(c.kind, c.new, c.old_kind, c.old) for c in t.changes] for t in txns] == [
        [("I", ("1", "x", "0.1"), None, None), ("I", ("2", None, "Infinity"), None, None)],
        [("U", ("1", "y", "2.5"), None, None)],  # the key did not change: no old tuple
        [("U", ("3", "z", "-0"), "K", ("2", None, None))],
        [("D", None, "K", ("3", None, None))],
    ]
    for a, b in zip(txns, txns[1:]):
        assert a.first_lsn <= a.commit_lsn < a.end_lsn < b.commit_lsn
    assert CL.current_lsn(conn) == txns[-1].end_lsn
    assert len({t.xid for t in txns}) == 4 and all(t.xid >= 3 for t in txns)
    assert txns[0].commit_time.timestamp() == 1700000000.5
    # a subscriber's flush position (an end LSN) as the start point: the transactions after it
    assert [t.commit_lsn for t in R.read_transactions(conn, txns[1].end_lsn)] == [t.commit_lsn for t in txns[2:]]
    assert [t.commit_lsn for t in R.read_transactions(conn, txns[1].commit_lsn)] == [t.commit_lsn for t in txns[1:]]
    assert len(R.read_transactions(conn, 0, limit=1)) == 1


def test_compaction_keeps_the_position_and_never_splits_a_transaction(conn, tmp_path):
    """... and keeps the newest transaction, whose seq the next change continues from."""
    write(conn, 1, "I", new=(1, "a", 1.0))
    write(conn, 2, "I", new=(2, "b", 1.0))
    write(conn, 2, "I", new=(3, "c", 1.0))
    txns = R.read_transactions(conn, 0)
    end = CL.current_lsn(conn)
    assert compact(conn, txns[1].first_lsn + 16) == 1  # inside the second: only the first goes
    assert [t.commit_lsn for t in R.read_transactions(conn, 0)] == [txns[1].commit_lsn]
    assert compact(conn, end) == 0  # the newest transaction stays: the next seq follows it
    assert [t.commit_lsn for t in R.read_transactions(conn, 0)] == [txns[1].commit_lsn]
    assert CL.current_lsn(conn) == end
    write(conn, 3, "I", new=(4, "d", 1.0))
    newest = R.read_transactions(conn, end)
    assert len(newest) == 1 and newest[0].commit_lsn > end
    assert compact(conn, newest[0].end_lsn) == 2
    assert R.read_transactions(conn, 0) == newest and CL.current_lsn(conn) == newest[0].end_lsn


def test_publication_coverage(conn):
    class Rel:
        def __init__(self, oid, schema="public", kind="r", options=None):
            self.oid, self.schema, self.kind, self.options = oid, schema, kind, options or {}
    pub = PUB.Publication(1, "p", 10, False, dict.fromkeys(PUB.ACTIONS, True), rels={100: 2}, schemas={300: 3})
    assert PUB.covers(pub, Rel(100), 2200)
    assert not PUB.covers(pub, Rel(101), 2200)
    assert PUB.covers(pub, Rel(102), 300)
    assert PUB.covers(pub, Rel(103), 2200, ancestors=[(100, 2200)])  # a partition of a published table
    assert not PUB.covers(pub, Rel(100, kind="v"), 2200)
    assert not PUB.covers(pub, Rel(100, schema="pg_temp_5"), 2200)
    assert not PUB.covers(pub, Rel(100, options={"persistence": "u"}), 2200)
    every = PUB.Publication(2, "all", 10, True, {"insert": True, "update": False, "delete": False, "truncate": True})
    assert PUB.actions_for({1: every}, Rel(5), 2200) == {"insert", "truncate"}


def test_a_log_written_with_autoincrement_keeps_its_position(tmp_path):
    """Files whose log was made with AUTOINCREMENT (before): its sqlite_sequence mark holds
    the position even with every row gone."""
    c = sqlite3.connect(str(tmp_path / "old.sqlite"), isolation_level=None)
    c.execute('CREATE TABLE "pgsvc$changelog" (seq INTEGER PRIMARY KEY AUTOINCREMENT, xid INTEGER NOT NULL, '
              'ts REAL NOT NULL, layout INTEGER NOT NULL, op TEXT NOT NULL, old BLOB, new BLOB)')
    for stmt in PUB.TABLE_SQL + CL.TABLE_SQL:
        c.execute(stmt)
    c.execute('INSERT INTO "pgsvc$changelog_rel" (relid, info) VALUES (1, ?)', (json.dumps(
        {"schema": "public", "name": "t", "replident": "d", "columns": [["a", O.INT4, -1, True],
                                                                       ["b", O.TEXT, -1, False],
                                                                       ["c", O.FLOAT8, -1, False]]}),))
    for _ in range(5):
        write(c, 1, "I", new=(1, "a", 1.0))
    c.execute('DELETE FROM "pgsvc$changelog"')
    assert CL.current_lsn(c) == CL.end_lsn(5)
    write(c, 2, "I", new=(2, "b", 1.0))
    assert R.read_transactions(c, CL.end_lsn(5))[0].commit_lsn == CL.change_lsn(6) + 8
