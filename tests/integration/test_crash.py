"""Crash consistency (issue 7): what the server acknowledged survives any crash, and no
transaction is ever half visible.

Each round: writer clients insert, each transaction two rows (parts 1 and 2 of one
id), and record every COMMIT the server acknowledged. At a random moment the round
does one of: SIGKILL a random backend; SIGKILL the supervisor and all its children;
SIGQUIT the supervisor (immediate shutdown); SIGINT it (fast shutdown) — all during
the write load. Then the server is restarted (replacing the stale lock file a -9
leaves) and checked: every acknowledged id has both rows, no id has one row only,
and, with the server stopped, `PRAGMA integrity_check` is ok on every SQLite file.

CI runs 30 rounds; `pytest --rounds N` for long runs.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
import time

import psutil
import pytest

from conftest import require_engine, wait_until

psycopg = pytest.importorskip("psycopg")

WRITERS = 4
MODES = ("kill-backend", "kill-all", "immediate", "fast")
SUMMARY: dict[str, object] = {}


class Writer(threading.Thread):
    """Inserts (id, 1), (id, 2) per transaction until stopped or its connection dies."""

    def __init__(self, srv, number: int, first_id: int) -> None:
        super().__init__(daemon=True)
        self.srv = srv
        self.next_id = first_id
        self.acked: list[int] = []
        self.attempted: list[int] = []
        self.stop = threading.Event()
        self.backend_pid: int | None = None
        self.error: BaseException | None = None
        self.ready = threading.Event()

    def run(self) -> None:
        try:
            conn = psycopg.connect(self.srv.dsn(), connect_timeout=10)
        except psycopg.Error as e:
            self.error = e
            self.ready.set()
            return
        self.backend_pid = conn.info.backend_pid
        self.ready.set()
        try:
            while not self.stop.is_set():
                i = self.next_id
                self.next_id += 1
                self.attempted.append(i)
                conn.execute("insert into acked (id, part) values (%s, 1)", (i,))
                conn.execute("insert into acked (id, part) values (%s, 2)", (i,))
                conn.commit()  # returns only once the server said COMMIT
                self.acked.append(i)
        except psycopg.Error:
            pass  # the crash; what was acknowledged is in self.acked
        finally:
            try:
                conn.close()
            except Exception:
                pass


def _integrity(srv) -> None:
    files = sorted((srv.datadir / "base").glob("*.db")) + [srv.datadir / "global" / "catalog.db"]
    assert files
    for path in files:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            (result,) = db.execute("PRAGMA integrity_check").fetchone()
        finally:
            db.close()
        assert result == "ok", (path, result)


def _kill_all(srv) -> None:
    kids = srv.children(include_zombies=True)
    os.kill(srv.pid, signal.SIGKILL)
    for kid in kids:
        try:
            kid.kill()
        except psutil.NoSuchProcess:
            pass
    srv.proc.wait(10)
    psutil.wait_procs(kids, timeout=10)


def _crash(srv, mode: str, writers: list[Writer], rng: random.Random) -> None:
    if mode == "kill-backend":
        victim = rng.choice([w.backend_pid for w in writers if w.backend_pid])
        os.kill(victim, signal.SIGKILL)
        time.sleep(0.2)  # the others keep writing past the dead one
    elif mode == "kill-all":
        _kill_all(srv)
    elif mode == "immediate":
        os.kill(srv.pid, signal.SIGQUIT)
        srv.proc.wait(20)
    elif mode == "fast":
        os.kill(srv.pid, signal.SIGINT)
        srv.proc.wait(20)


def _check_rows(srv, acked: set[int], attempted: set[int]) -> int:
    with psycopg.connect(srv.dsn(), connect_timeout=10) as conn:
        rows = conn.execute("select id, count(*) from acked group by id").fetchall()
    counts = dict(rows)
    lost = sorted(acked - counts.keys())
    assert not lost, f"{len(lost)} acknowledged transactions lost: {lost[:10]}"
    partial = sorted(i for i, n in counts.items() if n != 2)
    assert not partial, f"partial transactions visible: {partial[:10]}"
    phantom = sorted(counts.keys() - attempted)
    assert not phantom, f"rows nobody inserted: {phantom[:10]}"
    return len(counts)


def test_crash_rounds(server_factory, request):
    require_engine()
    rounds = request.config.getoption("--rounds")
    seed = int(os.environ.get("PGSVC_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f"crash rounds: {rounds}, seed {seed} (PGSVC_CRASH_SEED reproduces)")
    srv = server_factory()
    srv.psql("create table acked (id integer not null, part integer not null, primary key (id, part))")
    acked: set[int] = set()
    attempted: set[int] = set()
    per_mode = dict.fromkeys(MODES, 0)
    next_id = 1
    for n in range(rounds):
        mode = MODES[n % len(MODES)] if n < len(MODES) else rng.choice(MODES)
        writers = [Writer(srv, w, next_id + w * 1_000_000) for w in range(WRITERS)]
        next_id += WRITERS * 1_000_000
        for w in writers:
            w.start()
        for w in writers:
            assert w.ready.wait(15) and w.error is None, w.error
        time.sleep(rng.uniform(0.05, 0.4))
        old_pid = srv.pid
        _crash(srv, mode, writers, rng)
        for w in writers:
            w.stop.set()
        for w in writers:
            w.join(30)
            assert not w.is_alive(), "writer hung after the crash"
            acked.update(w.acked)
            attempted.update(w.attempted)
        if mode == "kill-all":
            lock = (srv.datadir / "postmaster.pid").read_text().split("\n")
            assert lock[0] == str(old_pid), "a -9'd supervisor leaves its (stale) lock file"
        if srv.proc.poll() is None:
            srv.stop(signal.SIGINT)
        _integrity(srv)
        srv.start()
        assert (srv.datadir / "postmaster.pid").read_text().split("\n")[0] == str(srv.pid)
        rows = _check_rows(srv, acked, attempted)
        per_mode[mode] += 1
    SUMMARY.update(rounds=rounds, seed=seed, per_mode=per_mode, acked=len(acked), rows=rows)
    print(f"crash summary: {SUMMARY}")
    assert len(acked) > rounds, "the writers hardly wrote anything: the rounds proved little"


def test_backend_killed_mid_transaction_releases_write_lock(server_factory):
    require_engine()
    srv = server_factory()
    srv.psql("create table t (id integer primary key)")
    victim = psycopg.connect(srv.dsn(), connect_timeout=10)
    victim.execute("insert into t values (1)")  # open transaction holding the write lock
    victim_pid = victim.info.backend_pid
    other = psycopg.connect(srv.dsn(), connect_timeout=10, autocommit=True)
    try:
        os.kill(victim_pid, signal.SIGKILL)
        wait_until(lambda: victim_pid not in [p.pid for p in srv.children()], what="victim reaped")
        started = time.monotonic()
        other.execute("insert into t values (2)")
        assert time.monotonic() - started < 5
        assert other.execute("select id from t order by id").fetchall() == [(2,)]
    finally:
        other.close()
        try:
            victim.close()
        except Exception:
            pass
    assert srv.proc.poll() is None


def test_fast_shutdown_rolls_back_open_transactions(server_factory):
    require_engine()
    srv = server_factory()
    srv.psql("create table t (id integer primary key)")
    with psycopg.connect(srv.dsn(), connect_timeout=10, autocommit=True) as c:
        c.execute("insert into t values (2)")
    open_txn = psycopg.connect(srv.dsn(), connect_timeout=10)
    open_txn.execute("insert into t values (1)")  # (writers are serialized: the last one)
    assert srv.stop(signal.SIGINT) == 0
    with pytest.raises(psycopg.Error):
        open_txn.execute("insert into t values (3)")
    open_txn.close()
    _integrity(srv)
    srv.start()
    with psycopg.connect(srv.dsn(), connect_timeout=10) as c:
        assert c.execute("select id from t order by id").fetchall() == [(2,)]


def test_smart_shutdown_waits_for_an_open_transaction_to_commit(server_factory):
    require_engine()
    srv = server_factory()
    srv.psql("create table t (id integer primary key)")
    conn = psycopg.connect(srv.dsn(), connect_timeout=10)
    conn.execute("insert into t values (1)")
    os.kill(srv.pid, signal.SIGTERM)
    time.sleep(0.5)
    assert srv.proc.poll() is None, "smart shutdown did not wait for the open transaction"
    conn.execute("insert into t values (2)")  # the session goes on until it ends
    conn.commit()
    conn.close()
    assert srv.proc.wait(20) == 0
    srv.start()
    with psycopg.connect(srv.dsn(), connect_timeout=10) as c:
        assert c.execute("select id from t order by id").fetchall() == [(1,), (2,)]
