"""The commit state the backends share (pgsvc.supervisor.commit_state): rows per database,
counters seen across processes, and group commit's flushed position — exercised with
forked processes, as backends use it."""

from __future__ import annotations

import fcntl
import os

import pytest

from pgsvc.supervisor import commit_state as CS


@pytest.fixture
def state(tmp_path):
    s = CS.CommitState.create(str(tmp_path))
    yield s
    s.close()


def _in_child(fn) -> None:
    """Run fn() in a forked process (a backend), fail if it fails."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            fn()
            code = 0
        finally:
            os._exit(code)
    assert os.waitpid(pid, 0)[1] == 0


def test_the_file_has_no_name(state, tmp_path):
    assert list(tmp_path.iterdir()) == []  # nothing to clean up, nothing to open by path


def test_one_row_per_database_claimed_once(state):
    a, b = state.claim(16384), state.claim(16384 + CS.ROWS)  # same home row: probed onwards
    assert a.catalog_at != b.catalog_at
    assert state.claim(16384).catalog_at == a.catalog_at


def test_a_full_table_gives_no_row(state):
    for oid in range(1, CS.ROWS + 1):
        assert state.claim(oid) is not None
    assert state.claim(CS.ROWS + 1) is None
    assert state.claim(5) is not None  # a database with a row keeps it


def test_counters_are_seen_by_other_processes(state):
    row = state.claim(5)
    before, shared_before = row.catalog(), state.shared_catalog()

    def backend():
        mine = state.claim(5)
        mine.committed(catalog_changed=True)
        mine.committed(catalog_changed=False)
        state.bump_shared_catalog()
    _in_child(backend)
    assert row.catalog() == before + 1
    assert state.shared_catalog() == shared_before + 1
    assert row.committed(False) == 3  # the sequence went on from the child's two commits


def test_flush_syncs_once_for_every_commit_written_before_it(state):
    row = state.claim(7)
    syncs = []
    seqs = [row.committed(False) for _ in range(3)]
    assert row.flush(seqs[0], lambda: syncs.append(1)) is True
    # one fsync covered all three commits: the later ones return at once
    assert [row.flush(s, lambda: syncs.append(1)) for s in seqs[1:]] == [False, False]
    assert len(syncs) == 1
    later = row.committed(False)
    assert row.flush(later, lambda: syncs.append(1)) is True and len(syncs) == 2


def test_concurrent_committers_each_return_only_once_flushed(state, tmp_path):
    """Four processes commit under a writer lock (an flock, like exec.txn's) and flush after
    releasing it; when flush returns, the published position covers the commit, and the
    syncs are never more than the commits."""
    lock_path = tmp_path.parent / f"{tmp_path.name}.writer"
    lock_path.touch()
    log = tmp_path.parent / f"{tmp_path.name}.log"
    row = state.claim(9)

    def backend():
        mine = state.claim(9)
        fd = os.open(lock_path, os.O_RDWR)
        for _ in range(50):
            fcntl.flock(fd, fcntl.LOCK_EX)
            seq = mine.committed(False)
            fcntl.flock(fd, fcntl.LOCK_UN)
            synced = mine.flush(seq, lambda: None)
            assert mine.flushed() >= seq
            with open(log, "a") as f:
                f.write(f"{int(synced)}\n")
    pids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                backend()
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    assert all(os.waitpid(p, 0)[1] == 0 for p in pids)
    lines = log.read_text().split()
    assert len(lines) == 200
    assert 1 <= lines.count("1") <= 200
    assert row.seq() == 200 and row.flushed() <= 200
    lock_path.unlink()
    log.unlink()
