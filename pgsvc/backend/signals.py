"""A backend's signal handlers. They only record what arrived (BackendSignals); the
session loop, woken through the wakeup fd, acts on it. SIGQUIT is one exception
(PostgreSQL's quickdie): it exits at once; a cancel, timeout or terminate arriving inside
a raising section (pgsvc.interrupts) the other: it raises there.
"""

from __future__ import annotations

import os
import signal
import socket

from pgsvc import interrupts
from pgsvc.backend import protocol
from pgsvc.errors import SqlNotice


class BackendSignals:
    """What the signal handlers recorded. Handlers only set these; the session loop acts."""

    def __init__(self) -> None:
        self.cancel_reason: str | None = None  # "user request" | "statement timeout" | "terminate"
        self.terminate = False
        self.reload = False
        self.notify = False  # SIGUSR1: the LISTEN/NOTIFY queue has something for us (maybe)

    def install(self, wakeup_w: int) -> None:
        signal.set_wakeup_fd(wakeup_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGINT, self._on_cancel)
        signal.signal(signal.SIGALRM, self._on_timeout)
        signal.signal(signal.SIGTERM, self._on_terminate)
        signal.signal(signal.SIGHUP, self._on_reload)
        signal.signal(signal.SIGUSR1, self._on_notify)
        # Immediate shutdown: exit at once, as PostgreSQL's quickdie. The one handler that
        # acts instead of recording — waiting for the loop is exactly what SIGQUIT must not do.
        signal.signal(signal.SIGQUIT, _quick_die)

    def _on_cancel(self, signum, frame) -> None:
        self.cancel_reason = self.cancel_reason or "user request"
        _interrupt_now(self.cancel_reason, frame)

    def _on_timeout(self, signum, frame) -> None:
        self.cancel_reason = self.cancel_reason or "statement timeout"
        _interrupt_now(self.cancel_reason, frame)

    def _on_terminate(self, signum, frame) -> None:
        self.terminate = True
        self.cancel_reason = "terminate"
        _interrupt_now(self.cancel_reason, frame)

    def _on_reload(self, signum, frame) -> None:
        self.reload = True

    def _on_notify(self, signum, frame) -> None:
        # PostgreSQL's PROCSIG_NOTIFY_INTERRUPT: a committing backend appended notifications
        self.notify = True


def _interrupt_now(reason: str, frame) -> None:
    """The one other exception to recording only: inside a raising section (pure
    computation in a UDF, pgsvc.interrupts) the interrupt is raised at once, so that work
    that never returns to a loop of pgsvc's (a regular expression backtracking) ends."""
    if interrupts.in_raising_section(frame):
        raise interrupts.Interrupted(reason)


# The plain client socket, for the one message _quick_die sends (None under TLS: the
# TLS state cannot be used safely from a signal handler).
_QUICKDIE_SOCK: socket.socket | None = None
_QUICKDIE_MESSAGE = protocol.encode_notice(SqlNotice(  # a WARNING is a NoticeResponse
    "terminating connection due to immediate shutdown command", sqlstate="57P01", severity="WARNING"))


def set_quickdie_socket(sock: socket.socket | None) -> None:
    """The socket SIGQUIT's last message goes to (None: send nothing)."""
    global _QUICKDIE_SOCK
    _QUICKDIE_SOCK = sock


def _quick_die(signum, frame) -> None:
    """SIGQUIT: as PostgreSQL's quickdie, tell the client why (best effort, never
    blocking: MSG_DONTWAIT), then exit without any cleanup."""
    sock = _QUICKDIE_SOCK
    if sock is not None:
        try:
            sock.send(_QUICKDIE_MESSAGE, socket.MSG_DONTWAIT)
        except OSError:
            pass
    os._exit(2)
