"""LISTEN/NOTIFY's parts without a server: the shared ring (pgsvc.supervisor.notify_queue),
a backend's side of it (pgsvc.backend.notifications), the transaction's pending actions
(pgsvc.sql.commands.listen.AsyncNotify), the identifier-truncation notice, and the
session loop's delivery rules driven with bytes over a socketpair: an idle listener gets
NotificationResponse at once, one inside a transaction only before its next ReadyForQuery.
"""

from __future__ import annotations

import select
import signal
import socket
import threading
import types

import pytest

from pgsvc.backend import protocol as P
from pgsvc.backend.conn import ClientConnection
from pgsvc.backend.notifications import Notifications
from pgsvc.backend.session import Session
from pgsvc.errors import SqlError
from pgsvc.settings import Settings
from pgsvc.sql.commands.listen import AsyncNotify
from pgsvc.sql.parse import scan, truncation_notices
from pgsvc.supervisor.notify_queue import PAGE_SIZE, NotifyQueue, encode_entry
from test_session_flows import Ctx, Db, FakeEngine, Role, q, read_messages, types_of

DB = 5


@pytest.fixture
def queue_path(tmp_path):
    path = str(tmp_path / "notify.shm")
    NotifyQueue.create(path, 4, 64).close()
    return path


def backend(path: str, slot: int) -> NotifyQueue:
    """The queue as one backend maps it (its own lock descriptor)."""
    queue = NotifyQueue.attach(path)
    queue.my_slot = slot
    return queue


def side(queue, pid, dboid=DB, woken=None):
    return Notifications(queue, dboid, pid, lambda n: None,
                         (lambda: woken.append(True)) if woken is not None else (lambda: None))


# --- protocol ------------------------------------------------------------------------------

def test_notification_response_bytes():
    assert P.encode_notification(1234, "chan", "pay load") == (
        b"A" + (4 + 4 + 5 + 9).to_bytes(4, "big") + (1234).to_bytes(4, "big") + b"chan\0pay load\0")
    assert P.encode_notification(7, "é", "") == b"A\x00\x00\x00\x0c\x00\x00\x00\x07\xc3\xa9\x00\x00"


# --- the ring ------------------------------------------------------------------------------

def test_entries_append_read_and_wrap_around_the_ring(queue_path):
    a, b = backend(queue_path, 0), backend(queue_path, 1)
    with b.locked():
        b.register(pid=200, dboid=DB)
    payload = "p" * 5000
    seen = []
    for round_ in range(40):  # 40 * ~5 kB through a 512 kB ring several times over
        entries = [encode_entry(DB, 100, "c", f"{round_}-{i} {payload}") for i in range(3)]
        with a.locked():
            assert a.room() >= sum(map(len, entries))
            a.append(entries)
        with b.locked():
            got, more = b.read(1 << 20)
        assert not more
        seen += [(db, pid, ch, pl.split()[0]) for db, pid, ch, pl in got]
    assert seen == [(DB, 100, "c", f"{r}-{i}") for r in range(40) for i in range(3)]
    assert a.head() > a.size  # positions went past the ring's end: entries wrapped
    assert a.usage() == 0.0


def test_tail_is_the_slowest_listener_and_release_frees_it(queue_path):
    a, slow = backend(queue_path, 0), backend(queue_path, 2)
    with slow.locked():
        slow.register(pid=300, dboid=DB)
    entry = encode_entry(DB, 100, "c", "x" * 7000)
    n = 0
    with a.locked():
        while a.room() >= len(entry):
            a.append([entry])
            n += 1
        assert n == 64 * PAGE_SIZE // len(entry)
        assert a.usage() > 0.98 and a.oldest_listener() == 300
        assert a.to_wake(DB) == [300]
        assert a.to_wake(DB + 1) == [300]  # another database's listener, far behind: woken too
    a.release(2)  # the supervisor, after reaping it
    with a.locked():
        assert a.usage() == 0.0 and a.room() == a.size and a.to_wake(DB) == []


def test_read_in_batches_and_behind_hint(queue_path):
    a, b = backend(queue_path, 0), backend(queue_path, 1)
    with b.locked():
        b.register(pid=200, dboid=DB)
    with a.locked():
        a.append([encode_entry(DB, 100, "c", str(i) * 100) for i in range(10)])
    assert b.behind()
    with b.locked():
        first, more = b.read(300)
    assert more and 0 < len(first) < 10
    with b.locked():
        rest, more = b.read(1 << 20)
    assert not more and len(first) + len(rest) == 10 and not b.behind()


# --- a backend's side: commit and take ---------------------------------------------------------

def test_commit_registers_before_appending_so_self_notifies_arrive(queue_path):
    woken = []
    me = side(backend(queue_path, 0), 111, woken=woken)
    commits = []
    me.commit(["c"], [("c", "mine"), ("d", "not listened")], lambda: commits.append(1))
    assert commits == [1] and me.channels == ["c"] and me.registered
    assert woken == [True]  # our own notifications: a flag, not a signal
    assert list(me.take()) == [(111, "c", "mine")]
    me.commit([], [], lambda: None)  # UNLISTEN *
    assert not me.registered and list(me.take()) == []


def test_other_databases_and_channels_are_filtered(queue_path):
    lis = side(backend(queue_path, 0), 111)
    lis.commit(["c"], [], lambda: None)
    other_db = side(backend(queue_path, 1), 222, dboid=DB + 1)
    snd = side(backend(queue_path, 2), 333)
    other_db.commit(None, [("c", "other database")], lambda: None)
    snd.commit(None, [("x", "other channel"), ("c", "yes")], lambda: None)
    assert list(lis.take()) == [(333, "c", "yes")]


def test_full_queue_refuses_before_the_commit(queue_path):
    slow = side(backend(queue_path, 0), 111)
    slow.commit(["c"], [], lambda: None)
    notices = []
    snd = Notifications(backend(queue_path, 1), DB, 222, notices.append, lambda: None)
    big = "y" * 7900
    with pytest.raises(SqlError) as exc:
        for i in range(100):
            snd.commit(None, [("c", f"{i} {big}")], lambda: None)
    assert (exc.value.sqlstate, exc.value.message) == ("54000", "too many notifications in the NOTIFY queue")
    ran = []
    with pytest.raises(SqlError):
        snd.commit(None, [("c", big)], lambda: ran.append(1))
    assert ran == []  # nothing committed
    assert [n.message for n in notices][:1] in (["NOTIFY queue is 50% full"], ["NOTIFY queue is 51% full"])
    assert notices[0].detail == "The server process with PID 111 is among those with the oldest transactions."
    assert len(notices) == 1  # once per 5 seconds
    assert len(list(slow.take())) == i  # the slow listener still gets every committed one


def test_listen_whose_commit_fails_is_undone(queue_path):
    me = side(backend(queue_path, 0), 111)

    def fail():
        raise SqlError("40001", "could not serialize access due to concurrent update")
    with pytest.raises(SqlError):
        me.commit(["c"], [], fail)
    assert not me.registered and me.channels == []
    assert me.queue.slot(0)[0] == 0


def test_without_a_queue_listen_is_refused():
    with pytest.raises(SqlError) as exc:
        side(None, 1).commit(["c"], [], lambda: None)
    assert exc.value.sqlstate == "0A000"


# --- the transaction's pending actions ------------------------------------------------------

class FakeQueue:
    def __init__(self):
        self.channels: list[str] = []
        self.commits = []

    def commit(self, channels, notifies, do_commit):
        do_commit()
        self.commits.append((channels, notifies))
        if channels is not None:
            self.channels = channels

    def usage(self):
        return 0.25


def pending_engine():
    queue = FakeQueue()
    engine = types.SimpleNamespace(txn=types.SimpleNamespace(savepoints=[], block=True, implicit=False, open=False),
                                   session=types.SimpleNamespace(notifications=queue))
    return AsyncNotify(engine), engine, queue


def test_duplicates_fold_and_savepoints_undo():
    an, engine, queue = pending_engine()
    an.notify("c", "1")
    engine.txn.savepoints.append("s")
    an.notify("c", "2")
    an.notify("c", "1")  # a duplicate of the outer one
    an.listen("x")
    an.rolled_back_to(0)  # ROLLBACK TO s: '2' and LISTEN x are gone
    an.notify("c", "3")
    engine.txn.savepoints.append("t")
    an.notify("c", "4")
    an.released(1)
    del engine.txn.savepoints[1:]
    an.notify("c", "4")
    an.notify("c", None)
    an.notify("c", "")
    an.commit(lambda: None, lambda: None)
    assert queue.commits == [(None, [("c", "1"), ("c", "3"), ("c", "4"), ("c", "")])]
    assert not an.pending


def test_marks_for_the_sql_layers_own_savepoints():
    an, engine, queue = pending_engine()
    an.notify("c", "before")
    mark = an.mark()
    an.notify("c", "inside")
    an.notify("c", "before")  # a duplicate: the one before the mark stays
    an.listen("x")
    an.rollback_to_mark(mark)
    an.notify("c", "inside")  # no longer a duplicate
    an.commit(lambda: None, lambda: None)
    assert queue.commits == [(None, [("c", "before"), ("c", "inside")])]


def test_a_statement_inside_a_function_does_not_commit():
    an, engine, queue = pending_engine()
    engine.txn.block = False
    engine.call_depth = 1  # NOTIFY run by a function body or trigger of an autocommit statement
    an.notify("c", "x")
    an.commit_if_autocommit()
    assert an.pending and queue.commits == []
    engine.call_depth = 0
    an.commit_if_autocommit()
    assert not an.pending and queue.commits == [(None, [("c", "x")])]


def test_listen_list_follows_the_actions_in_order():
    an, engine, queue = pending_engine()
    for kind, ch in (("listen", "b"), ("listen", "a"), ("listen", "b"), ("listen", "c"), ("unlisten", "a")):
        getattr(an, kind)(ch)
    an.commit(lambda: None, lambda: None)
    assert queue.channels == ["b", "c"]
    an.unlisten_all()
    an.listen("d")
    an.commit(lambda: None, lambda: None)
    assert queue.channels == ["d"] and an.listening_channels() == ["d"]
    an.unlisten("zzz")
    an.discard()
    assert not an.pending and queue.channels == ["d"]


@pytest.mark.parametrize("channel, payload, message", [
    ("", "x", "channel name cannot be empty"),
    (None, "x", "channel name cannot be empty"),
    ("c" * 64, "x", "channel name too long"),
    ("é" * 32, "x", "channel name too long"),
    ("c", "x" * 8000, "payload string too long"),
    ("c", "é" * 4000, "payload string too long"),
])
def test_notify_errors(channel, payload, message):
    an, _, _ = pending_engine()
    with pytest.raises(SqlError) as exc:
        an.notify(channel, payload)
    assert (exc.value.sqlstate, exc.value.message) == ("22023", message)
    an.notify("c" * 63, "x" * 7999)  # the largest accepted
    an.notify("c", "é" * 3999 + "x")


def test_refused_commit_rolls_back():
    an, _, queue = pending_engine()

    def full(channels, notifies, do_commit):
        raise SqlError("54000", "too many notifications in the NOTIFY queue")
    queue.commit = full
    an.notify("c", "x")
    rolled = []
    with pytest.raises(SqlError):
        an.commit(lambda: None, lambda: rolled.append(1))
    assert rolled == [1] and not an.pending


def test_identifier_truncation_notices():
    sql = 'LISTEN ' + "Ab" * 40 + '; NOTIFY "' + "é" * 40 + '", \'x\'; LISTEN short'
    notes = truncation_notices(sql, scan(sql))
    assert [(n.sqlstate, n.severity, n.message) for n in notes] == [
        ("42622", "NOTICE", f'identifier "{"ab" * 40}" will be truncated to "{("ab" * 40)[:63]}"'),
        ("42622", "NOTICE", f'identifier "{"é" * 40}" will be truncated to "{"é" * 31}"'),
    ]
    assert truncation_notices("LISTEN " + "a" * 63, scan("LISTEN " + "a" * 63)) == []


# --- the session loop: when NotificationResponse goes out ---------------------------------------

@pytest.fixture
def listening_session(queue_path):
    """A session over a socketpair, listening on 'c' in the queue's slot 0, and a second
    backend (slot 1) that notifies."""
    handled = (signal.SIGINT, signal.SIGALRM, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1)
    old = {s: signal.getsignal(s) for s in handled}
    client, server = socket.socketpair()
    client.settimeout(5)
    ctx = Ctx()
    ctx.state.notify_queue = backend(queue_path, 0)
    settings = Settings()
    sess = Session(ctx, ClientConnection(server), settings, Role(), Db(), "[local]")
    engine = FakeEngine()
    engine.settings = settings
    sess.engine = engine
    sess.notifications.commit(["c"], [], lambda: None)  # LISTEN c, committed
    sender = side(backend(queue_path, 1), 4242)
    thread = threading.Thread(target=sess.run, daemon=True)
    thread.start()
    assert types_of(read_messages(client)) == b"Z"
    yield client, engine, sender
    try:
        client.sendall(P.message(b"X"))
    except OSError:
        pass
    thread.join(5)
    client.close()
    signal.set_wakeup_fd(-1)
    for s, h in old.items():
        signal.signal(s, h)


def nothing_more(sock, wait=0.3) -> bool:
    return not select.select([sock], [], [], wait)[0]


def test_idle_listener_gets_notification_at_once(listening_session):
    client, _, sender = listening_session
    sender.commit(None, [("c", "hello"), ("other", "not ours")], lambda: None)  # signals us (SIGUSR1)
    data = client.recv(65536)
    assert data == P.encode_notification(4242, "c", "hello")  # and no ReadyForQuery
    assert nothing_more(client)


def test_listener_in_a_transaction_gets_it_before_the_next_ready(listening_session):
    client, engine, sender = listening_session
    engine.status = "T"  # inside a transaction block
    sender.commit(None, [("c", "later")], lambda: None)
    assert nothing_more(client)
    engine.status = "I"  # the block ended (its COMMIT is the next query)
    client.sendall(q("select n"))
    msgs = read_messages(client)
    assert types_of(msgs) == b"TDDDCAZ"
    assert P.encode_notification(4242, "c", "later") == b"A" + (len(msgs[5][1]) + 4).to_bytes(4, "big") + msgs[5][1]
