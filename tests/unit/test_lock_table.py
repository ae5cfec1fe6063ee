"""The advisory locks' shared lock table (pgsvc.supervisor.lock_table) and its deadlock
search (pgsvc.supervisor.deadlock) without processes: several "backends" of one process
share a table file, each with its own registry slot
and pid (a fake registry says who is alive). PostgreSQL's rules checked here are the
ones tests/integration/test_advisory_locks.py compares with a live PostgreSQL 15."""

from __future__ import annotations

import random
import threading
import time

import pytest

from pgsvc.supervisor import futex
from pgsvc.supervisor.deadlock import blocking_pids, find_cycle
from pgsvc.supervisor.lock_table import (
    EXCLUSIVE,
    GRANTED,
    SHARE,
    WAITING,
    Deadlock,
    LockTable,
    OutOfSharedMemory,
    Waiting,
    conflicts,
    writer_tag,
)


class FakeRegistry:
    def __init__(self, nslots: int) -> None:
        self.pids = {i: 1000 + i for i in range(nslots)}
        self.my_slot = 0

    def pid_of(self, index: int) -> int:
        return self.pids.get(index, 0)


class Table(LockTable):
    """The table as backend `who` (a registry slot) sees it."""

    who = 0

    def me(self):
        return self.who, self.registry.pid_of(self.who)


@pytest.fixture
def table(tmp_path):
    reg = FakeRegistry(8)
    t = Table.create(str(tmp_path / "locks.shm"), 8, 40, reg)
    yield t
    t.close()


def as_(t: Table, who: int) -> Table:
    t.who = who
    return t


TAG = (5, 0, 1, 1)


def test_conflict_table():
    assert not conflicts(SHARE, SHARE)
    assert conflicts(SHARE, EXCLUSIVE) and conflicts(EXCLUSIVE, SHARE) and conflicts(EXCLUSIVE, EXCLUSIVE)


def test_shared_coexist_exclusive_waits_and_holds_back_new_shared(table):
    assert as_(table, 0).acquire(TAG, SHARE, True) is True
    assert as_(table, 1).acquire(TAG, SHARE, True) is True
    w = as_(table, 2).acquire(TAG, EXCLUSIVE, True)
    assert isinstance(w, Waiting)
    assert as_(table, 3).acquire(TAG, SHARE, False) is False  # behind the waiting ExclusiveLock
    assert as_(table, 2).poll(w)[0] is False
    as_(table, 0).release(TAG, SHARE)
    assert as_(table, 2).poll(w)[0] is False
    as_(table, 1).release(TAG, SHARE)
    assert as_(table, 2).poll(w)[0] is True
    assert [(r.slot, r.mode, r.state) for r in table.rows()] == [(2, EXCLUSIVE, GRANTED)]


def test_a_holder_asking_again_goes_ahead_of_the_waiters_it_blocks(table):
    as_(table, 0).acquire(TAG, SHARE, True)
    w = as_(table, 1).acquire(TAG, EXCLUSIVE, True)
    # 0 holds ShareLock and asks for ExclusiveLock: ahead of 1 (which waits for 0), and
    # granted at once since nothing granted to others conflicts
    assert as_(table, 0).acquire(TAG, EXCLUSIVE, True) is True
    assert as_(table, 1).poll(w)[0] is False
    # with another ShareLock holder, 0 waits — before 1 in the queue
    table2 = (5, 0, 2, 1)
    as_(table, 0).acquire(table2, SHARE, True)
    as_(table, 3).acquire(table2, SHARE, True)
    w1 = as_(table, 1).acquire(table2, EXCLUSIVE, True)
    w0 = as_(table, 0).acquire(table2, EXCLUSIVE, True)
    assert w0.arrival < w1.arrival
    as_(table, 3).release(table2, SHARE)
    assert as_(table, 1).poll(w1)[0] is False
    assert as_(table, 0).poll(w0)[0] is True


def test_two_upgrades_deadlock_at_once(table):
    as_(table, 0).acquire(TAG, SHARE, True)
    as_(table, 1).acquire(TAG, SHARE, True)
    as_(table, 0).acquire(TAG, EXCLUSIVE, True)
    with pytest.raises(Deadlock) as info:
        as_(table, 1).acquire(TAG, EXCLUSIVE, True)
    assert info.value.cycle == [(1001, EXCLUSIVE, TAG), (1000, EXCLUSIVE, TAG)]


def test_deadlock_search_finds_the_cycle_from_the_searcher(table):
    a, b, c = (5, 0, 1, 1), (5, 0, 2, 1), (5, 3, 4, 2)
    as_(table, 0).acquire(a, EXCLUSIVE, True)
    as_(table, 1).acquire(b, EXCLUSIVE, True)
    as_(table, 2).acquire(c, SHARE, True)
    w0 = as_(table, 0).acquire(b, EXCLUSIVE, True)
    w1 = as_(table, 1).acquire(c, EXCLUSIVE, True)
    assert find_cycle(as_(table, 0), w0) is None  # 0 -> 1 -> 2, and 2 waits for nothing
    w2 = as_(table, 2).acquire(a, SHARE, True)
    assert find_cycle(as_(table, 0), w0) == [(1000, EXCLUSIVE, b), (1001, EXCLUSIVE, c), (1002, SHARE, a)]
    assert find_cycle(as_(table, 2), w2) == [(1002, SHARE, a), (1000, EXCLUSIVE, b), (1001, EXCLUSIVE, c)]
    as_(table, 2).cancel(w2)
    assert find_cycle(as_(table, 1), w1) is None
    assert blocking_pids(as_(table, 3), 0, 1000) == [1001]


def test_a_dead_holder_holds_nothing(table):
    as_(table, 0).acquire(TAG, EXCLUSIVE, True)
    w = as_(table, 1).acquire(TAG, EXCLUSIVE, True)
    table.registry.pids[0] = 0  # the supervisor reaped backend 0 and cleared its slot
    assert as_(table, 1).poll(w)[0] is True
    assert [(r.slot, r.state) for r in table.rows()] == [(1, GRANTED)]
    table.registry.pids[0] = 2000  # a new backend in the same slot holds nothing either
    assert as_(table, 0).acquire(TAG, SHARE, False) is False


def test_different_keys_never_conflict_however_they_hash(tmp_path):
    """Many keys in a small table (long probe runs, tombstones): every key is its own lock."""
    reg = FakeRegistry(2)
    t = Table.create(str(tmp_path / "l.shm"), 2, 200, reg)
    rng = random.Random(7)
    tags = list({(5, rng.randrange(4), rng.randrange(2 ** 32), rng.choice((1, 2))) for _ in range(300)})[:200]
    held = set()
    for _ in range(2000):
        tag = rng.choice(tags)
        if tag in held:
            as_(t, 0).release(tag, EXCLUSIVE)
            held.discard(tag)
        else:
            assert as_(t, 0).acquire(tag, EXCLUSIVE, False) is True
            held.add(tag)
        if rng.random() < 0.05:  # the other backend sees exactly what is held, key by key
            for probe in rng.sample(tags, 20):
                assert (as_(t, 1).acquire(probe, SHARE, False) is True) == (probe not in held)
                if probe not in held:
                    as_(t, 1).release(probe, SHARE)
    assert sorted(r.tag for r in t.rows()) == sorted(held)
    t.close()


def test_a_full_table_is_out_of_shared_memory_until_the_dead_are_swept(tmp_path):
    reg = FakeRegistry(2)
    t = Table.create(str(tmp_path / "l.shm"), 2, 10, reg)
    for k in range(10):
        assert as_(t, 0).acquire((5, 0, k, 1), EXCLUSIVE, False) is True
    with pytest.raises(OutOfSharedMemory):
        as_(t, 1).acquire((5, 0, 99, 1), EXCLUSIVE, False)
    reg.pids[0] = 0  # backend 0 died: the sweep finds room
    assert as_(t, 1).acquire((5, 0, 99, 1), EXCLUSIVE, False) is True
    t.close()


def test_cancel_leaves_the_queue_and_lets_those_behind_go(table):
    as_(table, 0).acquire(TAG, SHARE, True)
    wx = as_(table, 1).acquire(TAG, EXCLUSIVE, True)
    ws = as_(table, 2).acquire(TAG, SHARE, True)
    assert as_(table, 2).poll(ws)[0] is False  # behind the ExclusiveLock
    as_(table, 1).cancel(wx)
    assert as_(table, 2).poll(ws)[0] is True
    assert sorted((r.slot, r.state) for r in table.rows()) == [(0, GRANTED), (2, GRANTED)]
    assert all(r.state != WAITING for r in table.rows())


def test_a_sleeper_is_woken_by_the_release(table):
    as_(table, 0).acquire(TAG, EXCLUSIVE, True)
    w = as_(table, 1).acquire(TAG, EXCLUSIVE, True)
    _, word = as_(table, 1).poll(w)
    woke = []

    def sleeper():
        t = time.monotonic()
        futex.wait(table._word_address(w.word), word, 5.0)
        woke.append(time.monotonic() - t)
    th = threading.Thread(target=sleeper)
    th.start()
    time.sleep(0.1)
    as_(table, 0).release(TAG, EXCLUSIVE)
    th.join(5)
    assert woke and woke[0] < (1.0 if futex.AVAILABLE else 5.1)
    assert as_(table, 1).poll(w)[0] is True


def test_the_writer_lock_takes_part_in_deadlock_searches(table):
    """Backend 0 has written (holds the writer) and waits for an advisory lock of backend 1,
    which waits to write: a cycle; the writer rows are not advisory locks in pg_locks."""
    as_(table, 1).acquire(TAG, EXCLUSIVE, True)
    hold = as_(table, 0).publish(writer_tag(5), GRANTED)
    w0 = as_(table, 0).acquire(TAG, EXCLUSIVE, True)
    w1 = as_(table, 1).publish(writer_tag(5), WAITING)
    assert find_cycle(as_(table, 1), w1) == [(1001, EXCLUSIVE, writer_tag(5)), (1000, EXCLUSIVE, TAG)]
    assert find_cycle(as_(table, 0), w0) == [(1000, EXCLUSIVE, TAG), (1001, EXCLUSIVE, writer_tag(5))]
    assert sorted((r.slot, r.state) for r in table.rows()) == [(0, WAITING), (1, GRANTED)]
    assert table.waiting_pids() == {1000}
    as_(table, 1).retract(w1)
    as_(table, 0).retract(hold)
    assert find_cycle(as_(table, 0), w0) is None


def test_a_cycle_through_queue_order_only_is_broken_by_moving_a_waiter_ahead(table):
    """0 holds ShareLock on lock 1, 1 waits for ExclusiveLock on it, 2 holds lock 2 and asks
    for ShareLock on lock 1 (behind 1: a soft edge), 0 asks for lock 2. PostgreSQL moves 2
    ahead of 1 instead of reporting a deadlock; 2 is then granted."""
    one, two = (5, 0, 1, 1), (5, 0, 2, 1)
    as_(table, 0).acquire(one, SHARE, True)
    as_(table, 2).acquire(two, EXCLUSIVE, True)
    w1 = as_(table, 1).acquire(one, EXCLUSIVE, True)
    w2 = as_(table, 2).acquire(one, SHARE, True)
    w0 = as_(table, 0).acquire(two, EXCLUSIVE, True)
    assert find_cycle(as_(table, 1), w1) is None
    assert as_(table, 2).poll(w2)[0] is True
    assert as_(table, 1).poll(w1)[0] is False and as_(table, 0).poll(w0)[0] is False
    as_(table, 2).release(two, EXCLUSIVE)
    assert as_(table, 0).poll(w0)[0] is True
