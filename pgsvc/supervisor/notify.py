"""Talking to systemd: sd_notify (READY/RELOADING/STOPPING/STATUS/WATCHDOG) and the
environment systemd hands us (NOTIFY_SOCKET, WATCHDOG_USEC, LISTEN_FDS).

The notifier is created first thing at start-up and NOTIFY_SOCKET is then removed
from the environment, so that no backend can inherit it and speak for the service
(with NotifyAccess=main systemd would ignore them anyway; this keeps it that way
under NotifyAccess=all too).
"""

from __future__ import annotations

import ctypes
import os
import time

import sdnotify

_libc = ctypes.CDLL(None)
_libc.getenv.restype = ctypes.c_void_p
_libc.getenv.argtypes = [ctypes.c_char_p]


class Notifier:
    def __init__(self) -> None:
        self.enabled = bool(os.environ.get("NOTIFY_SOCKET"))
        self._notifier = sdnotify.SystemdNotifier() if self.enabled else None
        self.watchdog_interval = _watchdog_interval()
        for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
            forget_variable(name)
        self._last_ping = 0.0

    def send(self, *lines: str) -> None:
        if self._notifier is not None:
            self._notifier.notify("\n".join(lines))

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}")

    def reloading(self) -> None:
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.send("RELOADING=1", f"MONOTONIC_USEC={usec}", "STATUS=reloading configuration")

    def stopping(self, status: str) -> None:
        self.send("STOPPING=1", f"STATUS={status}")

    def status(self, status: str) -> None:
        self.send(f"STATUS={status}")

    def watchdog_due(self, now: float) -> float | None:
        """Seconds until the next watchdog ping, or None without a watchdog."""
        if self.watchdog_interval is None:
            return None
        return max(0.0, self._last_ping + self.watchdog_interval - now)

    def ping_watchdog(self, now: float) -> None:
        if self.watchdog_interval is not None and now >= self._last_ping + self.watchdog_interval:
            self.send("WATCHDOG=1")
            self._last_ping = now

    def close(self) -> None:
        """In a forked backend: drop the inherited notification socket."""
        if self._notifier is not None and self._notifier.socket is not None:
            self._notifier.socket.close()
        self._notifier = None


def _watchdog_interval() -> float | None:
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 1e6 / 2  # ping at half the timeout, as sd_watchdog_enabled advises
    except ValueError:
        return None


def forget_variable(name: str) -> None:
    """Remove an environment variable so that no forked backend has it — not in its
    environment and not in /proc/<pid>/environ either.

    unsetenv() only drops the pointer: the kernel still shows the string where exec
    put it (/proc/<pid>/environ reads that memory, and forked children have a copy),
    so a backend could read the notification socket's path there. Overwrite the
    string itself with NULs after unsetting it (glibc never frees these strings).
    """
    address = _libc.getenv(name.encode())
    value = os.environ.pop(name, None)
    os.unsetenv(name)
    if not address or value is None:
        return
    raw_len = len(os.fsencode(value))
    start = address - len(name) - 1
    if ctypes.string_at(start, len(name) + 1) == f"{name}=".encode():
        ctypes.memset(start, 0, len(name) + 1 + raw_len)
