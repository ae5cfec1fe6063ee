"""LISTEN, UNLISTEN and NOTIFY: the transactional half of PostgreSQL's commands/async.c.

A transaction's LISTEN/UNLISTEN actions and NOTIFYs stay in this backend (AsyncNotify,
one per engine, `engine.async_notify`) until it commits; the engine's commit hands them
to the backend's side of the cluster's queue (api.NotificationQueue,
pgsvc.backend.notifications), which commits the database under the queue's lock and then
queues the notifications. A rollback forgets them, and so does ROLLBACK TO for what came
after its savepoint. Within a transaction a NOTIFY of the same channel and payload as an
earlier one is dropped (async.c's duplicate elimination; the first one keeps its place).

AsyncNotify.notify() is the one way in for a notification: the NOTIFY statement and
pg_notify() (pgsvc.sql.pg_functions.notify_funcs) call it, and so can anything that runs
during a statement (a function or trigger body): it only records.

Savepoints: each action carries the savepoint depth it was made at
(len(engine.txn.savepoints)); rolled_back_to(i) drops those deeper than i, released(i)
moves them up to depth i (pgsvc.sql.commands.transactions calls both). A savepoint of the
SQL layer's own (a PL/pgSQL exception block) takes a mark() and, when it rolls back,
rollback_to_mark(): what was recorded since is gone.
"""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.api import EngineContext
from pgsvc.sql.statement import Result, Statement, utility_statement

NAMEDATALEN = 64
# async.c's NOTIFY_PAYLOAD_MAX_LENGTH (BLCKSZ - NAMEDATALEN - 128), its terminating NUL
# included: a payload of 8000 bytes or more is refused
PAYLOAD_MAX = 8000
_LISTEN, _UNLISTEN, _UNLISTEN_ALL = "listen", "unlisten", "unlisten *"


class AsyncNotify:
    """One engine's LISTEN/UNLISTEN/NOTIFY of the open transaction, until it ends."""

    def __init__(self, engine: EngineContext) -> None:
        self.engine = engine
        self.pending = False  # anything to do at commit (the engine's one check per commit)
        self._notifies: list[tuple[int, str, str]] = []  # (savepoint depth, channel, payload)
        self._seen: set[tuple[str, str]] = set()
        self._actions: list[tuple[int, str, str | None]] = []  # (depth, kind, channel)

    # ------------------------------------------------------------ recording
    def notify(self, channel: str | None, payload: str | None) -> None:
        """Async_Notify: checked at once (PostgreSQL's errors), queued at commit."""
        if not channel:
            raise SqlError("22023", "channel name cannot be empty")
        if len(channel.encode("utf-8")) >= NAMEDATALEN:
            raise SqlError("22023", "channel name too long")
        payload = payload or ""
        if len(payload.encode("utf-8")) >= PAYLOAD_MAX:
            raise SqlError("22023", "payload string too long")
        self._queue()
        key = (channel, payload)
        if key in self._seen:
            return
        self._seen.add(key)
        self._notifies.append((self._depth(), channel, payload))
        self.pending = True

    def listen(self, channel: str) -> None:
        self._act(_LISTEN, channel)

    def unlisten(self, channel: str) -> None:
        self._act(_UNLISTEN, channel)

    def unlisten_all(self) -> None:
        self._act(_UNLISTEN_ALL, None)

    def _act(self, kind: str, channel: str | None) -> None:
        queue = self._queue()
        if kind != _LISTEN and not self._actions and not queue.channels:
            return  # not listening to anything: nothing to undo (async.c's shortcut)
        self._actions.append((self._depth(), kind, channel))
        self.pending = True

    def _depth(self) -> int:
        return len(self.engine.txn.savepoints)

    def _queue(self):
        queue = self.engine.session.notifications
        if queue is None:
            raise SqlError("0A000", "LISTEN/NOTIFY needs a server process")
        return queue

    # ------------------------------------------------------------ savepoints
    def rolled_back_to(self, index: int) -> None:
        """ROLLBACK TO the savepoint at `index` (still open): what came after it is gone."""
        if self.pending:
            self._notifies = [n for n in self._notifies if n[0] <= index]
            self._seen = {(c, p) for _, c, p in self._notifies}
            self._actions = [a for a in self._actions if a[0] <= index]
            self.pending = bool(self._notifies or self._actions)

    def released(self, index: int) -> None:
        """RELEASE of the savepoint at `index`: its actions now belong to the level above."""
        if self.pending:
            self._notifies = [(min(d, index), c, p) for d, c, p in self._notifies]
            self._actions = [(min(d, index), k, c) for d, k, c in self._actions]

    def mark(self) -> tuple[int, int]:
        """Where the transaction's actions stand, for a savepoint the SQL layer makes by
        itself (a PL/pgSQL exception block): rollback_to_mark() undoes what came after."""
        return len(self._notifies), len(self._actions)

    def rollback_to_mark(self, mark: tuple[int, int]) -> None:
        if self.pending:
            del self._notifies[mark[0]:]
            del self._actions[mark[1]:]
            self._seen = {(c, p) for _, c, p in self._notifies}
            self.pending = bool(self._notifies or self._actions)

    # ------------------------------------------------------------ transaction end
    def discard(self) -> None:
        """Rollback (AtAbort_Notify): nothing of this transaction happens."""
        if self.pending:
            self._notifies, self._actions, self._seen = [], [], set()
            self.pending = False

    def commit(self, do_commit, rollback) -> None:
        """The engine's commit when pending: do_commit() runs under the queue's lock.
        If the queue refuses the notifications (54000), nothing was committed:
        rollback() ends the transaction and the error goes to the client."""
        queue = self._queue()
        channels = self._listen_list(queue.channels) if self._actions else None
        notifies = [(c, p) for _, c, p in self._notifies]
        self.discard()
        ran = []

        def run() -> None:
            ran.append(True)
            do_commit()
        try:
            queue.commit(channels, notifies, run)
        except Exception:
            if not ran:
                rollback()
            raise

    def commit_if_autocommit(self) -> None:
        """A statement outside any transaction block is its own transaction: it commits
        when it ends (LISTEN, NOTIFY and SELECT pg_notify(...) outside BEGIN ... COMMIT)."""
        e = self.engine
        # inside a function or trigger the statement that called it commits, not this one
        if self.pending and not e.txn.block and not e.txn.implicit and not getattr(e, "call_depth", 0):
            if e.txn.open:
                e.sqlite_commit()
            else:
                self.commit(lambda: None, self.discard)

    def _listen_list(self, committed: list[str]) -> list[str]:
        """The channel list after this transaction's actions, in order (Exec_ListenCommit
        appends a channel once; UNLISTEN removes it; UNLISTEN * empties the list)."""
        out = list(committed)
        for _, kind, channel in self._actions:
            if kind == _LISTEN:
                if channel not in out:
                    out.append(channel)
            elif kind == _UNLISTEN:
                if channel in out:
                    out.remove(channel)
            else:
                out.clear()
        return out

    # ------------------------------------------------------------ the SQL functions' side
    def listening_channels(self) -> list[str]:
        """pg_listening_channels(): the committed LISTENs."""
        queue = self.engine.session.notifications
        return list(queue.channels) if queue is not None else []

    def queue_usage(self) -> float:
        return self._queue().usage()


# --- the statements -------------------------------------------------------------------------

def translate_listen(engine: EngineContext, tr, text: str, node: ast.ListenStmt) -> Statement:
    channel = node.conditionname

    def run(e, s, p) -> Result:
        e.async_notify.listen(channel)
        e.async_notify.commit_if_autocommit()
        return Result(None, [], "LISTEN")
    return utility_statement(text, "LISTEN", run)


def translate_unlisten(engine: EngineContext, tr, text: str, node: ast.UnlistenStmt) -> Statement:
    channel = node.conditionname  # None: UNLISTEN *

    def run(e, s, p) -> Result:
        if channel is None:
            e.async_notify.unlisten_all()
        else:
            e.async_notify.unlisten(channel)
        e.async_notify.commit_if_autocommit()
        return Result(None, [], "UNLISTEN")
    return utility_statement(text, "UNLISTEN", run)


def translate_notify(engine: EngineContext, tr, text: str, node: ast.NotifyStmt) -> Statement:
    channel, payload = node.conditionname, node.payload

    def run(e, s, p) -> Result:
        e.async_notify.notify(channel, payload)
        e.async_notify.commit_if_autocommit()
        return Result(None, [], "NOTIFY")
    return utility_statement(text, "NOTIFY", run)


HANDLERS = {"ListenStmt": translate_listen, "UnlistenStmt": translate_unlisten,
            "NotifyStmt": translate_notify}
