"""pgsvc.sqlite.keep_wal_files: a database's -wal and -shm files outlive the last
connection (SQLITE_FCNTL_PERSIST_WAL), so that the next backend does not create them
again; the last close still checkpoints every commit into the main file and truncates
the WAL to 0 bytes."""

from __future__ import annotations

import os
import urllib.parse

from pgsvc.sqlite import keep_wal_files, sqlite3


def _open(path: str, keep: bool):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    if keep:
        assert keep_wal_files(conn, path)
    return conn


def _main_file_rows(path: str) -> list:
    """The table's rows as the main file alone holds them (immutable: no WAL is read)."""
    conn = sqlite3.connect("file:" + urllib.parse.quote(path) + "?immutable=1", uri=True)
    try:
        return conn.execute("SELECT a FROM t ORDER BY a").fetchall()
    finally:
        conn.close()


def test_by_default_the_last_close_deletes_the_files(tmp_path):
    path = str(tmp_path / "d.db")
    conn = _open(path, keep=False)
    conn.execute("CREATE TABLE t (a)")
    conn.close()
    assert not os.path.exists(path + "-wal") and not os.path.exists(path + "-shm")


def test_kept_files_survive_the_last_close_checkpointed_and_truncated(tmp_path):
    path = str(tmp_path / "d.db")
    first, second = _open(path, keep=True), _open(path, keep=True)
    first.execute("CREATE TABLE t (a)")
    first.execute("INSERT INTO t VALUES (1)")
    second.execute("INSERT INTO t VALUES (2)")
    first.close()
    assert os.path.getsize(path + "-wal") > 0  # another connection is open: no checkpoint yet
    second.close()
    assert os.path.exists(path + "-shm")
    assert os.path.getsize(path + "-wal") == 0
    assert _main_file_rows(path) == [(1,), (2,)]  # every commit reached the main file
    again = _open(path, keep=True)
    assert again.execute("SELECT a FROM t ORDER BY a").fetchall() == [(1,), (2,)]
    again.execute("INSERT INTO t VALUES (3)")
    again.close()
    assert _main_file_rows(path) == [(1,), (2,), (3,)]


def test_a_connection_that_is_not_the_named_file_is_left_alone(tmp_path):
    path = str(tmp_path / "d.db")
    conn = _open(path, keep=False)
    assert not keep_wal_files(conn, str(tmp_path / "other.db"))
    conn.execute("CREATE TABLE t (a)")
    conn.close()
    assert not os.path.exists(path + "-wal")
    memory = sqlite3.connect(":memory:")
    assert not keep_wal_files(memory, ":memory:")
    memory.close()
    assert not keep_wal_files(memory, path)  # closed: no handle any more
