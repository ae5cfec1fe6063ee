"""Advisory locks across backends (issue 12), side by side with PostgreSQL 15.

Each scenario runs the same statements over real clients (psycopg, asyncpg, psql) against
one pgsvc server and one PostgreSQL 15 and compares what the clients saw: results, NOTICEs
and WARNINGs, errors (SQLSTATE, message, detail, hint), pg_locks rows (pids replaced by
the connection's role in the scenario, the database oid by "this database"), and whether
each wait ended or not. Only what cannot be compared is pgsvc's alone: a holder killed
with SIGKILL (PostgreSQL answers a crashed backend by restarting every backend, so its
waiter never gets the lock), the lock table's capacity, and the cost of advisory-lock
support for a session that never takes one.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import threading
import time

import pytest

from conftest import require_tool, wait_until

psycopg = pytest.importorskip("psycopg")

LOCKS = ("SELECT locktype, database = (SELECT oid FROM pg_database WHERE datname = current_database()) AS here, "
         "classid, objid, objsubid, mode, granted, fastpath, pid, waitstart IS NOT NULL AS waiting_since "
         "FROM pg_locks WHERE locktype = 'advisory' ORDER BY classid, objid, objsubid, mode, granted DESC, pid")


@pytest.fixture(scope="module")
def ours(module_server_factory):
    return module_server_factory()


@pytest.fixture(scope="module")
def both(ours, pg15):
    """(name, dsn) of pgsvc and of PostgreSQL 15."""
    return [("pgsvc", ours.dsn()), ("pg15", pg15.dsn())]


def on_both(both, scenario):
    """Run scenario(dsn) on both servers; the results must be equal (returned)."""
    results = {name: scenario(dsn) for name, dsn in both}
    assert results["pgsvc"] == results["pg15"]
    return results["pg15"]


class Conn:
    """A psycopg connection that records its NOTICEs/WARNINGs and answers with what a
    client sees: rows, or the error's fields."""

    def __init__(self, dsn: str, name: str = "") -> None:
        self.name = name
        self.c = psycopg.connect(dsn, autocommit=True)
        self.pid = self.c.info.backend_pid
        self.notices: list[tuple[str, str, str]] = []
        self.c.add_notice_handler(lambda d: self.notices.append((d.severity, d.sqlstate, d.message_primary)))

    def q(self, sql: str):
        try:
            cur = self.c.execute(sql)
            out = []
            while True:  # every result of a multi-statement query
                out.append(cur.fetchall() if cur.description is not None else cur.statusmessage)
                if not cur.nextset():
                    break
            return out[0] if len(out) == 1 else out
        except psycopg.Error as e:
            return error_of(e)

    def taken_notices(self) -> list:
        out, self.notices = self.notices, []
        return out

    def close(self) -> None:
        self.c.close()


def error_of(e) -> tuple:
    return ("ERROR", e.sqlstate, e.diag.message_primary, e.diag.message_detail, e.diag.message_hint)


def locks(conn: Conn, roles: dict[int, str]) -> list[tuple]:
    """pg_locks' advisory rows as seen by `conn`, pids replaced by the holders' roles."""
    rows = conn.c.execute(LOCKS).fetchall()
    return [r[:8] + (roles.get(r[8], "?"),) + r[9:] for r in rows]


def normalize_pids(text: str | None, roles: dict[int, str]) -> str | None:
    if text is None:
        return None
    return re.sub(r"\b(\d{2,})\b", lambda m: roles.get(int(m.group(1)), m.group(1)), text)


class Waiter:
    """A statement run in a thread (it blocks); `result` once it returned."""

    def __init__(self, conn: Conn, sql: str) -> None:
        self.conn, self.sql = conn, sql
        self.result = None
        self.ended_at: float | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.started_at = time.monotonic()
        self.thread.start()

    def _run(self) -> None:
        self.result = self.conn.q(self.sql)
        self.ended_at = time.monotonic()

    def done(self, timeout: float = 10.0) -> bool:
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def still_waiting(self, settle: float = 0.3) -> bool:
        self.thread.join(settle)
        return self.thread.is_alive()

    @property
    def elapsed(self) -> float:
        return (self.ended_at or time.monotonic()) - self.started_at


def waits_on_lock(observer: Conn, pid: int) -> bool:
    return bool(observer.c.execute("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = %s "
                                   "AND NOT granted", (pid,)).fetchall())


def start_waiting(conn: Conn, observer: Conn, sql: str) -> Waiter:
    w = Waiter(conn, sql)
    wait_until(lambda: waits_on_lock(observer, conn.pid) or not w.thread.is_alive(), timeout=10,
               what=f"{sql} to wait")
    return w


# --- one session -------------------------------------------------------------------------

SESSION_SCRIPT = [
    "SELECT pg_advisory_unlock(1)",
    "SELECT pg_advisory_unlock_shared(1)",
    "SELECT pg_advisory_unlock(1, 2)",
    "SELECT pg_advisory_lock(1), pg_advisory_lock(1), pg_advisory_lock_shared(1)",
    "LOCKS",
    "SELECT pg_advisory_unlock(1), pg_advisory_unlock(1), pg_advisory_unlock(1), pg_advisory_unlock_shared(1)",
    "SELECT pg_advisory_lock(-1), pg_advisory_lock(4294967296), pg_advisory_lock(-2147483648, 7), "
    "pg_advisory_lock_shared(9223372036854775807), pg_advisory_lock(0, -1), pg_advisory_lock('7')",
    "LOCKS",
    "SELECT pg_advisory_unlock_all()",
    "LOCKS",
    "SELECT pg_advisory_lock(NULL), pg_advisory_lock(1, NULL), pg_try_advisory_lock(NULL), pg_advisory_unlock(NULL)",
    "SELECT pg_try_advisory_lock(5), pg_try_advisory_lock_shared(5), pg_try_advisory_xact_lock(6), "
    "pg_try_advisory_xact_lock_shared(6, 6)",
    "LOCKS",
    "SELECT pg_advisory_unlock(5), pg_advisory_unlock_shared(5), pg_advisory_unlock_shared(5)",
    "BEGIN",
    "SELECT pg_advisory_xact_lock(3)",
    "SELECT pg_advisory_unlock(3)",
    "SELECT pg_advisory_lock(3)",
    "SAVEPOINT a",
    "SELECT pg_advisory_xact_lock(4)",
    "SELECT pg_advisory_lock(9)",
    "SAVEPOINT b",
    "SELECT pg_advisory_xact_lock(3), pg_advisory_xact_lock_shared(4)",
    "RELEASE b",
    "SAVEPOINT c",
    "SELECT pg_advisory_xact_lock_shared(10)",
    "ROLLBACK TO c",
    "LOCKS",
    "ROLLBACK TO a",
    "LOCKS",
    "SELECT pg_advisory_unlock_all()",
    "LOCKS",
    "COMMIT",
    "LOCKS",
    "SELECT pg_advisory_unlock(9), pg_advisory_unlock(3)",
    "BEGIN",
    "SELECT pg_advisory_xact_lock(11)",
    "SELECT 1/0",
    "ROLLBACK",
    "LOCKS",
    "SELECT pg_advisory_xact_lock(12); SELECT objid FROM pg_locks WHERE locktype = 'advisory'",
    "LOCKS",
    "SELECT pg_advisory_lock(1.5)",
    "SELECT pg_advisory_lock(3000000000, 1)",
    "SELECT pg_typeof(pg_advisory_lock(8)), pg_typeof(pg_try_advisory_lock(8)), pg_typeof(pg_advisory_unlock(8))",
    "SELECT pg_advisory_unlock_all(), pg_advisory_unlock_all()",
    "LOCKS",
]


def test_one_session_stacking_keys_savepoints_and_pg_locks(both):
    """Stacking (locked twice, unlocked twice), the WARNING of an unlock not held, key
    encodings in pg_locks, NULL keys, session vs transaction level, savepoints."""
    def scenario(dsn):
        a = Conn(dsn)
        out = []
        for sql in SESSION_SCRIPT:
            got = locks(a, {a.pid: "me"}) if sql == "LOCKS" else a.q(sql)
            out.append((sql, got, a.taken_notices()))
        a.close()
        return out

    on_both(both, scenario)


# --- two sessions ------------------------------------------------------------------------

def test_try_fails_while_held_and_succeeds_after_unlock(both):
    def scenario(dsn):
        a, b = Conn(dsn), Conn(dsn)
        out = [a.q("SELECT pg_try_advisory_lock(42)"),
               b.q("SELECT pg_try_advisory_lock(42)"),
               b.q("SELECT pg_try_advisory_lock_shared(42)"),
               b.q("SELECT pg_try_advisory_lock(42, 0)"),  # another key: (0, 42) vs (42, 0) objsubid 2
               b.q("SELECT pg_advisory_unlock(42)"), b.taken_notices(),
               a.q("SELECT pg_advisory_unlock(42)"),
               b.q("SELECT pg_try_advisory_lock(42)"),
               a.q("SELECT pg_try_advisory_lock_shared(42)"),
               b.q("SELECT pg_advisory_unlock_all()"),
               a.q("SELECT pg_try_advisory_lock_shared(42)")]
        a.close()
        b.close()
        return out

    assert on_both(both, scenario)[:4] == [[(True,)], [(False,)], [(False,)], [(True,)]]


def test_the_same_key_in_two_databases_is_two_locks(both):
    def scenario(dsn):
        admin = Conn(dsn)
        admin.q("DROP DATABASE IF EXISTS advisory_other")
        admin.q("CREATE DATABASE advisory_other")
        here, there = Conn(dsn), Conn(dsn.replace("dbname=postgres", "dbname=advisory_other"))
        out = [here.q("SELECT pg_try_advisory_lock(5)"), there.q("SELECT pg_try_advisory_lock(5)"),
               admin.q("SELECT count(DISTINCT database) FROM pg_locks WHERE locktype = 'advisory' AND objid = 5"),
               admin.q("SELECT pg_try_advisory_lock(5)")]
        for x in (here, there):
            x.close()
        admin.q("DROP DATABASE advisory_other")
        admin.close()
        return out

    assert on_both(both, scenario) == [[(True,)], [(True,)], [(2,)], [(False,)]]


@pytest.mark.parametrize("how", ["unlock", "unlock_all", "disconnect", "terminate", "xact_commit"])
def test_blocked_lock_proceeds_when_the_holder_lets_go(both, how):
    def scenario(dsn):
        a, b, c = Conn(dsn), Conn(dsn), Conn(dsn)
        if how == "xact_commit":
            a.q("BEGIN")
            a.q("SELECT pg_advisory_xact_lock(7)")
        else:
            a.q("SELECT pg_advisory_lock(7), pg_advisory_lock(7)")  # twice: one unlock is not enough
        w = start_waiting(b, c, "SELECT pg_advisory_lock(7)")
        if how == "unlock":
            a.q("SELECT pg_advisory_unlock(7)")
            first_unlock_enough = not w.still_waiting()
            a.q("SELECT pg_advisory_unlock(7)")
        elif how == "unlock_all":
            first_unlock_enough = None
            a.q("SELECT pg_advisory_unlock_all()")
        elif how == "disconnect":
            first_unlock_enough = None
            a.close()
        elif how == "terminate":
            first_unlock_enough = None
            c.q(f"SELECT pg_terminate_backend({a.pid})")
        else:
            first_unlock_enough = not w.still_waiting()  # the open transaction still holds it
            a.q("COMMIT")
        assert w.done(10)
        rows = locks(c, {a.pid: "a", b.pid: "b"})
        for x in (a, b, c):
            x.close()
        return first_unlock_enough, w.result, rows, w.elapsed < 10

    assert on_both(both, scenario)[1] == [("",)]


def test_holder_killed_with_sigkill_releases_its_locks(ours):
    """pgsvc only: PostgreSQL restarts every backend when one is killed, so its waiter is
    disconnected instead. Here the supervisor reaps the dead backend and its locks go."""
    import psutil

    dsn = ours.dsn()
    a, b, c = Conn(dsn), Conn(dsn), Conn(dsn)
    a.q("SELECT pg_advisory_lock(70), pg_advisory_lock_shared(71)")
    a.q("BEGIN")
    a.q("SELECT pg_advisory_xact_lock(72)")
    w = start_waiting(b, c, "SELECT pg_advisory_lock(70)")
    os.kill(a.pid, signal.SIGKILL)
    assert w.done(10), "the waiter never got the lock of the killed backend"
    assert w.result == [("",)]
    assert not psutil.pid_exists(a.pid) or psutil.Process(a.pid).status() == psutil.STATUS_ZOMBIE
    assert [r[3] for r in locks(c, {})] == [70]  # b's; nothing of a's is left
    assert c.q("SELECT pg_try_advisory_lock(71), pg_try_advisory_lock(72)") == [(True, True)]
    assert w.elapsed < 5
    assert isinstance(a.q("SELECT 1"), tuple)  # its connection is gone
    for x in (a, b, c):
        x.close()


def test_client_that_vanishes_releases_its_locks(both):
    """A client killed without saying goodbye (no Terminate message): its backend sees the
    connection end and its session ends, locks and all."""
    psql = require_tool("psql")

    def scenario(dsn):
        c = Conn(dsn)
        params = dict(kv.split("=", 1) for kv in dsn.split())
        proc = subprocess.Popen([psql, "-X", "-h", params["host"], "-p", params["port"], "-U", params["user"],
                                 "-d", params["dbname"]], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, text=True)
        try:
            proc.stdin.write("SELECT pg_advisory_lock(80);\n")
            proc.stdin.flush()
            wait_until(lambda: c.q("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 80")
                       == [(1,)], timeout=10, what="psql to take the lock")
            proc.kill()
            proc.wait(5)
            wait_until(lambda: c.q("SELECT pg_try_advisory_lock(80)") == [(True,)], timeout=10,
                       what="the lock to be released")
        finally:
            if proc.poll() is None:
                proc.kill()
        got = c.q("SELECT pg_advisory_unlock(80)")
        c.close()
        return got

    on_both(both, scenario)


def test_transaction_level_locks_end_with_their_transaction(both):
    def scenario(dsn):
        a, b = Conn(dsn), Conn(dsn)
        out = []
        for end in ("COMMIT", "ROLLBACK"):
            a.q("BEGIN")
            a.q("SELECT pg_advisory_xact_lock(20), pg_advisory_xact_lock_shared(21)")
            out.append(b.q("SELECT pg_try_advisory_lock(20), pg_try_advisory_lock_shared(21), "
                           "pg_try_advisory_lock(21)"))
            a.q(end)
            out.append(b.q("SELECT pg_try_advisory_xact_lock(20), pg_try_advisory_xact_lock(21)"))
        # alone outside a block: the statement is its transaction
        out.append(a.q("SELECT pg_advisory_xact_lock(22)"))
        out.append(b.q("SELECT pg_try_advisory_lock(22), pg_advisory_unlock(22)"))
        # a multi-statement query is one transaction
        out.append(a.q("SELECT pg_advisory_xact_lock(23); SELECT count(*) FROM pg_locks "
                       "WHERE locktype = 'advisory' AND objid = 23"))
        out.append(b.q("SELECT pg_try_advisory_xact_lock(23)"))
        # ROLLBACK TO a savepoint lets go what was taken after it; the block goes on
        a.q("BEGIN")
        a.q("SELECT pg_advisory_xact_lock(24)")
        a.q("SAVEPOINT s")
        a.q("SELECT pg_advisory_xact_lock(25)")
        out.append(b.q("SELECT pg_try_advisory_xact_lock(24), pg_try_advisory_xact_lock(25)"))
        a.q("ROLLBACK TO s")
        out.append(b.q("SELECT pg_try_advisory_xact_lock(24), pg_try_advisory_xact_lock(25)"))
        # an error aborts the block; its locks last until the ROLLBACK
        a.q("SELECT 1/0")
        out.append(b.q("SELECT pg_try_advisory_xact_lock(24)"))
        a.q("ROLLBACK")
        out.append(b.q("SELECT pg_try_advisory_xact_lock(24)"))
        a.close()
        b.close()
        return out

    got = on_both(both, scenario)
    assert got[0] == [(False, True, False)] and got[1] == [(True, True)]


def test_lock_timeout_statement_timeout_and_cancel_end_a_wait(both):
    def scenario(dsn):
        a, b, c = Conn(dsn), Conn(dsn), Conn(dsn)
        a.q("SELECT pg_advisory_lock(30)")
        out = []
        b.q("SET lock_timeout = 200")
        t = time.monotonic()
        out.append(b.q("SELECT pg_advisory_lock(30)"))
        out.append(0.15 < time.monotonic() - t < 3)
        b.q("RESET lock_timeout")
        b.q("SET statement_timeout = 200")
        t = time.monotonic()
        out.append(b.q("SELECT pg_advisory_lock_shared(30)"))
        out.append(0.15 < time.monotonic() - t < 3)
        b.q("RESET statement_timeout")
        w = start_waiting(b, c, "SELECT pg_advisory_lock(30)")
        b.c.cancel()
        assert w.done(5)
        out.append(w.result)
        # lock_timeout in a block: the block is aborted, the wait is gone
        b.q("BEGIN")
        b.q("SET LOCAL lock_timeout = '100ms'")
        out.append(b.q("SELECT pg_advisory_xact_lock(30)"))
        out.append(b.q("SELECT 1"))
        b.q("ROLLBACK")
        out.append(locks(c, {a.pid: "a", b.pid: "b"}))  # no waiter is left behind
        a.q("SELECT pg_advisory_unlock(30)")
        out.append(b.q("SELECT pg_try_advisory_lock(30)"))
        for x in (a, b, c):
            x.close()
        return out

    got = on_both(both, scenario)
    assert got[0][1] == "55P03" and got[2][1] == "57014" and got[4][1] == "57014"


def _deadlock(dsn, second: str):
    a, b = Conn(dsn, "A"), Conn(dsn, "B")
    roles = {a.pid: "A", b.pid: "B"}
    for x in (a, b):
        x.q("SET deadlock_timeout = '300ms'")
    a.q("SELECT pg_advisory_lock(1)")
    b.q("SELECT pg_advisory_lock(2, 3)" if second == "pair" else "SELECT pg_advisory_lock_shared(2)")
    wa = Waiter(a, "SELECT pg_advisory_lock(2, 3)" if second == "pair" else "SELECT pg_advisory_lock(2)")
    wait_until(lambda: waits_on_lock(b, a.pid), timeout=5, what="A to wait")
    wb = Waiter(b, "SELECT pg_advisory_xact_lock_shared(1)")
    first = wait_until(lambda: (wa.done(0) and (a, wa)) or (wb.done(0) and (b, wb)), timeout=10,
                       what="the deadlock to be found")
    first[0].q("SELECT pg_advisory_unlock_all()")  # the victim lets go of what it held
    assert wa.done(10) and wb.done(10)
    # the one that detected the deadlock failed; the other got its lock
    results = {}
    for name, w in (("A", wa), ("B", wb)):
        r = w.result
        if isinstance(r, tuple):
            r = r[:3] + (normalize_pids(r[3], roles),) + r[4:]
        results[name] = r
    elapsed_ok = wa.elapsed >= 0.25  # after deadlock_timeout, not at once
    a.close()
    b.close()
    return results, elapsed_ok


@pytest.mark.parametrize("second", ["bigint", "pair"])
def test_deadlock_between_two_backends_gives_40P01(both, second):
    got = on_both(both, lambda dsn: _deadlock(dsn, second))
    results, _ = got
    errors = [r for r in results.values() if isinstance(r, tuple)]
    assert len(errors) == 1 and errors[0][1] == "40P01" and errors[0][2] == "deadlock detected"


def test_deadlock_of_two_upgrades_is_found_at_once(both):
    """Both hold ShareLock, both want ExclusiveLock: the second to ask fails at once
    (ProcSleep's early check), without waiting for deadlock_timeout."""
    def scenario(dsn):
        a, b = Conn(dsn), Conn(dsn)
        roles = {a.pid: "A", b.pid: "B"}
        a.q("SELECT pg_advisory_lock_shared(9)")
        b.q("SELECT pg_advisory_lock_shared(9)")
        wa = start_waiting(a, b, "SELECT pg_advisory_lock(9)")
        t = time.monotonic()
        rb = b.q("SELECT pg_advisory_lock(9)")
        fast = time.monotonic() - t < 0.8  # deadlock_timeout is 1 s
        still = wa.still_waiting()
        b.q("SELECT pg_advisory_unlock_shared(9)")
        assert wa.done(5)
        out = (rb[:3] + (normalize_pids(rb[3], roles),) + rb[4:], fast, still, wa.result)
        a.close()
        b.close()
        return out

    assert on_both(both, scenario)[0][1] == "40P01"


def test_deadlock_of_three_backends(both):
    def scenario(dsn):
        cs = [Conn(dsn) for _ in range(3)]
        roles = {c.pid: n for c, n in zip(cs, "ABC")}
        for i, c in enumerate(cs):
            c.q("SET deadlock_timeout = '500ms'")
            c.q(f"SELECT pg_advisory_lock({i})")
        waiters = []
        for i, c in enumerate(cs):
            waiters.append(Waiter(c, f"SELECT pg_advisory_lock({(i + 1) % 3})"))
            wait_until(lambda c=c: waits_on_lock(cs[(cs.index(c) + 1) % 3], c.pid), timeout=5, what="a wait")
        let_go: list = []

        def all_done():  # whoever is done lets go of its locks: the others go on, one by one
            for w in waiters:
                if w.done(0) and w not in let_go:
                    w.conn.q("SELECT pg_advisory_unlock_all()")
                    let_go.append(w)
            return len(let_go) == len(waiters)
        wait_until(all_done, timeout=15, what="the deadlock to be found and the others to go on")
        out = []
        for w in waiters:
            r = w.result
            out.append(r[:3] + (normalize_pids(r[3], roles),) + r[4:] if isinstance(r, tuple) else r)
        for c in cs:
            c.close()
        return out

    got = on_both(both, scenario)
    assert sum(isinstance(r, tuple) for r in got) == 1


def test_a_cycle_through_queue_order_is_no_deadlock(both):
    """A holds ShareLock(1); B waits for ExclusiveLock(1); C holds lock 2 and asks for
    ShareLock(1), queued behind B; A asks for lock 2. The cycle needs C's place behind B:
    PostgreSQL's deadlock check moves C ahead instead of failing anyone."""
    def scenario(dsn):
        a, b, c, d = (Conn(dsn) for _ in range(4))
        roles = {a.pid: "A", b.pid: "B", c.pid: "C"}
        for x in (a, b, c):
            x.q("SET deadlock_timeout = '200ms'")
        a.q("SELECT pg_advisory_lock_shared(1)")
        c.q("SELECT pg_advisory_lock(2)")
        wb = start_waiting(b, d, "SELECT pg_advisory_lock(1)")
        wc = start_waiting(c, d, "SELECT pg_advisory_lock_shared(1)")
        wa = start_waiting(a, d, "SELECT pg_advisory_lock(2)")
        time.sleep(1.0)  # every deadlock_timeout has passed
        seen = [(w.done(0), w.result) for w in (wb, wc, wa)]
        c.q("SELECT pg_advisory_unlock_all()")
        assert wa.done(5)
        a.q("SELECT pg_advisory_unlock_all()")
        assert wb.done(5)
        out = (seen, [w.result for w in (wb, wc, wa)], locks(d, roles))
        for x in (a, b, c, d):
            x.close()
        return out

    got = on_both(both, scenario)
    assert got[0] == [(False, None), (True, [("",)]), (False, None)]


def test_shared_locks_coexist_and_exclusive_waits_for_them(both):
    def scenario(dsn):
        a, b, c, d = (Conn(dsn) for _ in range(4))
        roles = {a.pid: "a", b.pid: "b", c.pid: "c", d.pid: "d"}
        out = [a.q("SELECT pg_advisory_lock_shared(50)"), b.q("SELECT pg_try_advisory_lock_shared(50)")]
        w = start_waiting(c, d, "SELECT pg_advisory_lock(50)")
        # a waiting ExclusiveLock holds back new ShareLocks (the queue is fair), and a
        # ShareLock holder asking again is not held back
        out.append(d.q("SELECT pg_try_advisory_lock_shared(50)"))
        out.append(a.q("SELECT pg_try_advisory_lock_shared(50)"))
        out.append(locks(d, roles))
        out.append(a.q("SELECT pg_advisory_unlock_shared(50), pg_advisory_unlock_shared(50)"))
        out.append(w.still_waiting())
        out.append(b.q("SELECT pg_advisory_unlock_shared(50)"))
        assert w.done(5)
        out.append(w.result)
        out.append(locks(d, roles))
        for x in (a, b, c, d):
            x.close()
        return out

    on_both(both, scenario)


def test_pg_locks_and_pg_blocking_pids_with_waiters(both):
    def scenario(dsn):
        a, b, c, d = (Conn(dsn) for _ in range(4))
        roles = {a.pid: "a", b.pid: "b", c.pid: "c", d.pid: "d"}
        a.q("SELECT pg_advisory_lock_shared(60, 1)")
        b.q("BEGIN")
        b.q("SELECT pg_advisory_xact_lock_shared(60, 1)")
        wc = start_waiting(c, d, "SELECT pg_advisory_lock(60, 1)")  # waits for a and b
        wd = start_waiting(d, a, "SELECT pg_advisory_lock_shared(60, 1)")  # waits behind c
        out = [locks(a, roles)]
        for x in (c, d, a):
            pids = a.c.execute("SELECT pg_blocking_pids(%s)", (x.pid,)).fetchone()[0]
            out.append(sorted(roles[p] for p in pids))
        a.q("SELECT pg_advisory_unlock_shared(60, 1)")
        b.q("COMMIT")
        assert wc.done(5)
        out.append(wd.still_waiting())
        c.q("SELECT pg_advisory_unlock(60, 1)")
        assert wd.done(5)
        out.append(locks(a, roles))
        for x in (a, b, c, d):
            x.close()
        return out

    got = on_both(both, scenario)
    assert got[1] == ["a", "b"] and got[2] == ["c"]  # d waits behind c (its request conflicts)


def test_pg_stat_activity_shows_the_lock_wait(both):
    def scenario(dsn):
        a, b, c = Conn(dsn), Conn(dsn), Conn(dsn)
        a.q("SELECT pg_advisory_lock(65)")
        w = start_waiting(b, c, "SELECT pg_advisory_lock(65)")
        seen = c.q(f"SELECT state, wait_event_type, wait_event, query FROM pg_stat_activity WHERE pid = {b.pid}")
        a.q("SELECT pg_advisory_unlock(65)")
        assert w.done(5)
        # no longer waiting on the lock; not its wait event: PostgreSQL reports Client /
        # ClientRead only once the backend blocks in its read, a moment after going idle
        after = c.q(f"SELECT state, coalesce(wait_event_type = 'Lock', false) FROM pg_stat_activity "
                    f"WHERE pid = {b.pid}")
        for x in (a, b, c):
            x.close()
        return seen, after

    assert on_both(both, scenario)[0] == [("active", "Lock", "advisory", "SELECT pg_advisory_lock(65)")]


def test_transaction_locks_taken_inside_functions_and_do_blocks(both):
    """A function called by a lone SELECT, a DO block: their statement is their transaction."""
    def scenario(dsn):
        a, b = Conn(dsn), Conn(dsn)
        a.q("CREATE OR REPLACE FUNCTION adv_plpgsql(k bigint) RETURNS int LANGUAGE plpgsql "
            "AS $$ BEGIN PERFORM pg_advisory_xact_lock(k); RETURN 1; END $$")
        a.q("CREATE OR REPLACE FUNCTION adv_sql(k bigint) RETURNS int LANGUAGE sql "
            "AS $$ SELECT pg_advisory_xact_lock(k); SELECT 1 $$")
        out = []
        for sql in ("SELECT adv_plpgsql(1)", "SELECT adv_sql(2)",
                    "DO $$ BEGIN PERFORM pg_advisory_xact_lock(3); END $$",
                    "DO $$ BEGIN PERFORM pg_advisory_lock(4); END $$"):
            out.append((a.q(sql), b.q("SELECT objid FROM pg_locks WHERE locktype = 'advisory' ORDER BY objid")))
        a.q("BEGIN")
        out.append(a.q("SELECT adv_sql(5), adv_plpgsql(6)"))
        out.append(b.q("SELECT pg_try_advisory_lock(5), pg_try_advisory_lock(6)"))
        a.q("COMMIT")
        out.append(b.q("SELECT pg_try_advisory_lock(5), pg_try_advisory_lock(6), pg_try_advisory_lock(4)"))
        a.q("DROP FUNCTION adv_plpgsql(bigint)")
        a.q("DROP FUNCTION adv_sql(bigint)")
        a.close()
        b.close()
        return out

    on_both(both, scenario)


def test_an_exception_block_that_catches_releases_its_transaction_locks(both):
    """A PL/pgSQL block with an EXCEPTION clause is a subtransaction: when it catches an
    error, the transaction-level locks taken inside it go (its session-level ones stay)."""
    block = ("DO $$ BEGIN BEGIN PERFORM pg_advisory_xact_lock({x}); PERFORM pg_advisory_lock({s}); {fail} "
             "EXCEPTION WHEN others THEN NULL; END; RAISE NOTICE '%', (SELECT string_agg(objid::text, ',' "
             "ORDER BY objid) FROM pg_locks WHERE locktype = 'advisory'); END $$")

    def scenario(dsn):
        a = Conn(dsn)
        out = []
        for begin in (False, True):
            if begin:
                a.q("BEGIN")
            for x, s_, fail in ((7, 8, "RAISE EXCEPTION 'x';"), (9, 10, "")):
                out.append((a.q(block.format(x=x, s=s_, fail=fail)), a.taken_notices()))
            if begin:
                out.append(a.q("SELECT objid FROM pg_locks WHERE locktype = 'advisory' ORDER BY 1"))
                a.q("COMMIT")
            out.append(a.q("SELECT objid FROM pg_locks WHERE locktype = 'advisory' ORDER BY 1"))
            a.q("SELECT pg_advisory_unlock_all()")
        a.close()
        return out

    on_both(both, scenario)


# --- asyncpg -----------------------------------------------------------------------------

def test_asyncpg_between_two_connections(both):
    asyncpg = pytest.importorskip("asyncpg")

    async def run(dsn):
        p = dict(kv.split("=", 1) for kv in dsn.split())
        kw = dict(host=p["host"], port=int(p["port"]), user=p["user"], database=p["dbname"])
        a = await asyncpg.connect(**kw)
        b = await asyncpg.connect(**kw, server_settings={"lock_timeout": "150"})
        out = [await a.fetchval("SELECT pg_try_advisory_lock($1)", 90),
               await b.fetchval("SELECT pg_try_advisory_lock($1)", 90),
               await b.fetchval("SELECT pg_try_advisory_lock($1, $2)", 90, 0)]
        try:
            await b.execute("SELECT pg_advisory_lock(90)")
        except asyncpg.PostgresError as e:
            out.append((e.sqlstate, str(e)))
        blocked = asyncio.ensure_future(b.fetchval("SELECT pg_advisory_lock_shared($1::bigint)", 91)) \
            if await a.fetchval("SELECT pg_try_advisory_lock($1::bigint)", 91) else None
        await asyncio.sleep(0.05)
        try:
            await blocked
        except asyncpg.PostgresError as e:
            out.append(e.sqlstate)
        # a transaction-level lock through the extended protocol, in a transaction and alone
        async with a.transaction():
            await a.execute("SELECT pg_advisory_xact_lock($1)", 92)
            out.append(await b.fetchval("SELECT pg_try_advisory_lock($1)", 92))
        out.append(await b.fetchval("SELECT pg_try_advisory_xact_lock($1)", 92))
        await a.fetchval("SELECT pg_advisory_xact_lock($1)", 93)
        out.append(await b.fetchval("SELECT pg_try_advisory_xact_lock($1)", 93))
        # a blocked lock proceeds when the holder unlocks
        waiting = asyncio.ensure_future(b.execute("SET lock_timeout = 0; SELECT pg_advisory_lock(90)"))
        await asyncio.sleep(0.3)
        out.append(waiting.done())
        out.append(await a.fetchval("SELECT pg_advisory_unlock($1)", 90))
        await asyncio.wait_for(waiting, 5)
        out.append(await b.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = $1 "
                                    "AND granted", await b.fetchval("SELECT pg_backend_pid()")))
        await a.close()
        await b.close()
        return out

    got = on_both(both, lambda dsn: asyncio.run(run(dsn)))
    assert got[:3] == [True, False, True]


# --- pgsvc only ----------------------------------------------------------------------------

@pytest.mark.parametrize("later", [False, True])
def test_writer_lock_and_advisory_lock_deadlock_is_found(ours, later):
    """pgsvc only: SQLite has one writer per database, so a transaction that has written
    and then waits for an advisory lock, whose holder then waits to write, is a deadlock
    here (PostgreSQL, with row locks, has none). It ends with 40P01 after deadlock_timeout,
    found by whichever waits the longer (later: the writer's wait starts after the
    advisory waiter has searched once), never with a hang."""
    a, b, c = Conn(ours.dsn()), Conn(ours.dsn()), Conn(ours.dsn())
    roles = {a.pid: "A", b.pid: "B"}
    for x in (a, b):
        x.q("SET deadlock_timeout = '300ms'")
    a.q("CREATE TABLE IF NOT EXISTS writer_cycle (x int)")
    a.q("BEGIN")
    a.q("INSERT INTO writer_cycle VALUES (1)")
    b.q("BEGIN")
    b.q("SELECT pg_advisory_xact_lock(42)")
    wa = start_waiting(a, c, "SELECT pg_advisory_xact_lock(42)")
    if later:
        time.sleep(0.6)
    wb = Waiter(b, "INSERT INTO writer_cycle VALUES (2)")
    victim = wait_until(lambda: (wa.done(0) and "A") or (wb.done(0) and "B"), timeout=10,
                        what="the deadlock to be found")
    result = (wa if victim == "A" else wb).result
    assert victim == ("B" if later else "A")
    assert result[:3] == ("ERROR", "40P01", "deadlock detected")
    lines = {"A": "Process A waits for ExclusiveLock on advisory lock [5,0,42,1]; blocked by process B.",
             "B": "Process B waits for ExclusiveLock on writer lock of database 5; blocked by process A."}
    order = ["A", "B"] if victim == "A" else ["B", "A"]
    assert normalize_pids(result[3], roles) == "\n".join(lines[n] for n in order)
    (a if victim == "A" else b).q("ROLLBACK")
    assert wa.done(10) and wb.done(10)
    for x in (a, b):
        x.q("ROLLBACK")
    assert c.q("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == [(0,)]
    for x in (a, b, c):
        x.close()


def test_lock_table_full_is_out_of_shared_memory(server_factory):
    """The table holds max_locks_per_transaction per backend slot, as PostgreSQL's shared
    lock table; beyond it PostgreSQL's error, and what was taken stays held."""
    srv = server_factory(server_args=("-c", "max_locks_per_transaction=10", "-c", "max_connections=5"))
    a = Conn(srv.dsn())
    got = a.q("SELECT count(pg_advisory_lock(g)) FROM generate_series(1, 100000) g")
    assert got == ("ERROR", "53200", "out of shared memory", None,
                   "You might need to increase max_locks_per_transaction.")
    held = a.q("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")[0][0]
    assert 10 * 5 <= held < 1000
    a.q("SELECT pg_advisory_unlock_all()")
    assert a.q("SELECT pg_try_advisory_lock(1)") == [(True,)]
    a.close()


def test_a_session_without_advisory_locks_never_touches_the_lock_table(ours):
    """A backend opens its own descriptor of the lock table (for the table's flock) at its
    first advisory lock, not before: a session running ordinary statements and
    transactions has only the mapping it inherited (its cost per statement and per
    transaction end is one attribute test, measured in the report)."""
    import psutil

    def descriptors(pid):
        return sum(1 for f in psutil.Process(pid).open_files() if f.path.endswith("pgsvc_locks.shm"))

    a = Conn(ours.dsn())
    inherited = descriptors(a.pid)
    a.q("CREATE TEMP TABLE t (x int)")
    for i in range(20):
        a.q(f"INSERT INTO t VALUES ({i})")
        a.q("BEGIN")
        a.q("SELECT count(*) FROM t")
        a.q("COMMIT")
    assert descriptors(a.pid) == inherited
    a.q("SELECT pg_advisory_lock(1), pg_advisory_unlock(1)")
    assert descriptors(a.pid) == inherited + 1
    a.close()
