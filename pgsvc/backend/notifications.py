"""One backend's side of LISTEN/NOTIFY: its channel list, its commits into the cluster's
notification queue (pgsvc.supervisor.notify_queue), and what it reads back for its client.

The SQL engine keeps a transaction's LISTEN/UNLISTEN/NOTIFY until it commits
(pgsvc.sql.commands.listen) and then calls commit() here: api.NotificationQueue is this
class as the engine sees it. Delivery to the client is the session loop's
(pgsvc.backend.session): when a signal says that something was appended (SIGUSR1 from
the committing backend, as PostgreSQL's PROCSIG_NOTIFY_INTERRUPT) and the session is
idle outside a transaction, it sends what take() yields as NotificationResponse messages.

A backend that never LISTENs never takes the queue's lock, never registers, and is never
signalled; a NOTIFY-only backend takes the lock once per committing transaction.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Callable, Iterator

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.supervisor.logs import log
from pgsvc.supervisor.notify_queue import NotifyQueue, encode_entry

# async.c's QUEUE_FULL_WARN_INTERVAL: the half-full warning at most once per 5 seconds
# (for the whole cluster: the time is in the queue's header)
FILL_WARN_INTERVAL = 5.0
# Bytes read per lock hold when delivering: the lock is never held while sending.
READ_BATCH = 64 * 1024


class Notifications:
    def __init__(self, queue: NotifyQueue | None, dboid: int, pid: int,
                 notice: Callable[[SqlNotice], None], wake_self: Callable[[], None]) -> None:
        self.queue = queue
        self.dboid = dboid
        self.pid = pid
        self.notice = notice
        self.wake_self = wake_self
        self.channels: list[str] = []  # committed LISTENs, in order (pg_listening_channels)
        self._channel_set: frozenset[str] = frozenset()
        self.registered = False  # this backend's row in the queue is a listener

    # ------------------------------------------------------------ commit (engine side)
    def commit(self, channels: list[str] | None, notifies: list[tuple[str, str]],
               do_commit: Callable[[], None]) -> None:
        """End a transaction that ran LISTEN/UNLISTEN/NOTIFY, as async.c's PreCommit_Notify
        and AtCommit_Notify: under the queue's lock, register as a listener (a LISTEN of
        this transaction must see this transaction's own NOTIFYs), check room, run
        do_commit() (the database COMMIT), append the notifications, adopt `channels`
        (None: no LISTEN/UNLISTEN ran). Raises SqlError 54000 before do_commit() when the
        queue cannot take the notifications. Then signals the listeners."""
        queue = self._queue()
        entries = [encode_entry(self.dboid, self.pid, c, p) for c, p in notifies]
        with queue.locked():
            if entries:
                self._warn_if_filling(queue)
                if sum(len(e) for e in entries) > queue.room():
                    raise SqlError("54000", "too many notifications in the NOTIFY queue")
            if channels and not self.registered:
                queue.register(self.pid, self.dboid)
                self.registered = True
            try:
                do_commit()
            except BaseException:
                if self.registered and not self.channels:
                    self._unregister(queue)  # a LISTEN that never committed (AtAbort_Notify)
                raise
            if entries:
                queue.append(entries)
            if channels is not None:
                self._set_channels(channels)
                if self.registered and not channels:
                    self._unregister(queue)
            targets = queue.to_wake(self.dboid) if entries else []
        self._signal(targets, bool(entries))

    def _warn_if_filling(self, queue: NotifyQueue) -> None:
        """async.c's asyncQueueFillWarning: at half full and beyond, a WARNING naming the
        listener whose position holds the queue."""
        usage = queue.usage()
        if usage < 0.5:
            return
        now = time.time()
        if now - queue.last_warning() < FILL_WARN_INTERVAL:
            return
        queue.set_last_warning(now)
        pid = queue.oldest_listener()
        warning = SqlNotice(
            f"NOTIFY queue is {usage * 100:.0f}% full", sqlstate="01000", severity="WARNING",
            detail=f"The server process with PID {pid} is among those with the oldest transactions."
            if pid is not None else None,
            hint="The NOTIFY queue cannot be emptied until that process ends its current transaction."
            if pid is not None else None)
        log.warning("%s", warning.message)
        self.notice(warning)

    def _signal(self, pids: list[int], self_too: bool) -> None:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass  # exited; the supervisor clears its row when it reaps it
        if self_too and self.registered:
            self.wake_self()  # our own notifications, if we listen: no signal needed

    def _set_channels(self, channels: list[str]) -> None:
        self.channels = channels
        self._channel_set = frozenset(channels)

    def _unregister(self, queue: NotifyQueue) -> None:
        queue.unregister()
        self.registered = False

    def _queue(self) -> NotifyQueue:
        if self.queue is None or self.queue.my_slot is None:
            raise SqlError("0A000", "LISTEN/NOTIFY needs a server process with a registry slot")
        return self.queue

    # ------------------------------------------------------------ reading (session side)
    def take(self) -> Iterator[tuple[int, str, str]]:
        """The notifications committed since this backend last looked, for its database
        and channels, in commit order: (sender pid, channel, payload). Reads in batches;
        the lock is not held while the caller sends."""
        queue = self.queue
        # Without the lock first: a signal after our own read (or one meant for an entry
        # already read) finds nothing new. The head a writer moves before it signals.
        if not self.registered or not queue.behind():
            return
        more = True
        while more:
            with queue.locked():
                batch, more = queue.read(READ_BATCH)
            wanted = self._channel_set
            for dboid, pid, channel, payload in batch:
                if dboid == self.dboid and channel in wanted:
                    yield pid, channel, payload

    def usage(self) -> float:
        queue = self._queue()
        with queue.locked():
            return queue.usage()

    def close(self) -> None:
        """Session end: UNLISTEN * (async.c's Async_UnlistenOnExit)."""
        if self.registered:
            with self.queue.locked():
                self._unregister(self.queue)
        self._set_channels([])
