"""pgsvc.cluster.backup.copy_cluster on a data directory made here: what is copied, what is
left out, and that a SQLite file is copied from its snapshot (a write made after the read
transactions opened is not in the copy, one made before is)."""

import os
import stat

from pgsvc.cluster import backup
from pgsvc.sqlite import sqlite3


def make_datadir(path):
    os.makedirs(path / "global")
    os.makedirs(path / "base")
    os.makedirs(path / "pg_replslot" / "s1")
    os.makedirs(path / "pgsql_tmp")
    (path / "PGSVC_VERSION").write_text("1\n")
    (path / "pgsvc.conf").write_text("port = 5432\n")
    for name in ("postmaster.pid", "postmaster.opts", "pgsvc.shm", "backup_label", "base/1.db.lock",
                 "pg_replslot/s1/state", "pgsql_tmp/t1"):
        (path / name).write_text("x")
    cat = sqlite3.connect(str(path / "global" / "catalog.db"))
    cat.execute("PRAGMA journal_mode=WAL")
    cat.execute("CREATE TABLE pg_database (oid INTEGER PRIMARY KEY, datname TEXT)")
    cat.execute("INSERT INTO pg_database VALUES (1, 'a')")
    cat.commit()
    db = sqlite3.connect(str(path / "base" / "1.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (x int)")
    db.execute("INSERT INTO t VALUES (1)")
    orphan = sqlite3.connect(str(path / "base" / "2.db"))
    orphan.execute("CREATE TABLE t (x int)")
    orphan.commit()
    orphan.close()
    return cat, db


def test_copy_cluster(tmp_path, monkeypatch):
    src = tmp_path / "data"
    cat, db = make_datadir(src)
    real_begin = backup._begin_read  # noqa: SLF001

    def begin_then_write(path, missing_ok=False):
        conn = real_begin(path, missing_ok)
        if path.endswith("1.db"):
            db.execute("INSERT INTO t VALUES (2)")  # committed after the snapshot opened
        return conn
    monkeypatch.setattr(backup, "_begin_read", begin_then_write)
    result = backup.copy_cluster(str(src), str(tmp_path / "copy"), "test")
    copied = {m.path for m in result.members}
    assert {"PGSVC_VERSION", "pgsvc.conf", "global/catalog.db", "base/1.db", "backup_label", "pg_replslot",
            "pgsql_tmp", "pg_wal", "pg_tblspc"} <= copied
    for left_out in ("postmaster.pid", "postmaster.opts", "pgsvc.shm", "base/1.db.lock", "base/2.db",
                     "base/1.db-wal", "pg_replslot/s1", "pgsql_tmp/t1"):
        assert left_out not in copied
    assert "LABEL: test" in (tmp_path / "copy" / "backup_label").read_text()
    assert stat.S_IMODE(os.stat(tmp_path / "copy").st_mode) == 0o700
    assert not os.path.exists(tmp_path / "copy" / "base" / "1.db-wal")  # a self-contained file
    conn = sqlite3.connect(str(tmp_path / "copy" / "base" / "1.db"))
    assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]  # the snapshot's rows, not the later one
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    cat.close()
    db.close()
