"""The backend registry's per-statement writes (pgsvc.supervisor.registry): report() keeps
what it wrote instead of reading the slot back, and transactions counted by
count_transaction reach the slot with the next report, or with flush_counts at exit."""

from __future__ import annotations

import os

from pgsvc.supervisor.registry import KIND_BACKEND, Registry


def _backend(tmp_path) -> Registry:
    reg = Registry.create(str(tmp_path / "reg.shm"), 4)
    reg.claim(2, 0, KIND_BACKEND, 77, "127.0.0.1", 5555)
    reg.my_slot = 2
    reg.set_pid(os.getpid())
    reg.set_identity("alice", "db1", "app")
    return reg


def test_states_and_times_as_pg_stat_activity_shows_them(tmp_path):
    reg = _backend(tmp_path)
    reg.report("active", "SELECT 1", False)
    s = reg.read_slot(2)
    assert (s.state, s.query, s.user, s.database, s.client_port) == ("active", "SELECT 1", "alice", "db1", 5555)
    assert s.xact_start and s.query_start and s.xact_start == s.query_start
    reg.report("idle", None, False)
    s2 = reg.read_slot(2)
    assert (s2.state, s2.query, s2.xact_start, s2.query_start) == ("idle", "SELECT 1", 0.0, s.query_start)
    reg.report("active", "BEGIN", True)
    reg.report("idle in transaction", None, True)
    s3 = reg.read_slot(2)
    assert s3.state == "idle in transaction" and s3.xact_start > 0 and s3.query == "BEGIN"
    reg.set_application_name("other")  # a whole-row write in between keeps the state
    reg.report("active", "COMMIT", True)
    s4 = reg.read_slot(2)
    assert (s4.application_name, s4.state, s4.xact_start) == ("other", "active", s3.xact_start)


def test_counted_transactions_reach_the_slot_with_the_next_report(tmp_path):
    reg = _backend(tmp_path)
    reg.report("active", "INSERT", False)
    for committed in (True, True, False, True):
        reg.count_transaction(committed)
    assert (reg.read_slot(2).xact_commit, reg.read_slot(2).xact_rollback) == (0, 0)  # not yet
    reg.report("idle", None, False)
    assert (reg.read_slot(2).xact_commit, reg.read_slot(2).xact_rollback) == (3, 1)
    reg.count_transaction(True)
    reg.set_application_name("x")  # a whole-row write carries them too
    assert reg.read_slot(2).xact_commit == 4
    reg.count_transaction(False)
    reg.flush_counts()  # the backend's exit
    assert reg.read_slot(2).xact_rollback == 2
    reg.release(2)  # the supervisor's reap folds them into the cluster's totals
    assert (reg.header()["xact_commit"], reg.header()["xact_rollback"]) == (4, 2)
