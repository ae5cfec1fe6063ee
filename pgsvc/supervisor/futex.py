"""Sleeping on a word of shared memory until another process changes it: Linux's futex
(the primitive under PostgreSQL's semaphores on Linux), for the lock table's waiters
(pgsvc.supervisor.lock_table).

A waiter reads a word's value v, decides it must wait, and calls wait(addr, v, timeout):
the kernel sleeps only if the word still holds v (so a change made between the read and
the call is never missed) and returns when someone calls wake(addr), when the timeout
passes, or when a signal arrives (EINTR: the backend's cancel, statement_timeout and
terminate signals end the sleep at once, and the caller looks at what they recorded).

The words must be in a MAP_SHARED mapping (the futex key is the file page, so that two
processes mapping the same file share it). Where the futex call is not available (not
Linux, an unknown architecture) wait() sleeps for a few milliseconds instead: waiters
then poll, slower but correct.
"""

from __future__ import annotations

import ctypes
import platform
import sys
import time

_SYS_FUTEX = {"x86_64": 202, "amd64": 202, "aarch64": 98, "arm64": 98, "riscv64": 98,
              "ppc64le": 221, "s390x": 238}.get(platform.machine().lower()) if sys.platform == "linux" else None
_FUTEX_WAIT, _FUTEX_WAKE = 0, 1  # shared (not FUTEX_PRIVATE_FLAG): the words cross processes
_WAKE_ALL = 0x7FFFFFFF
_POLL_FALLBACK = 0.005


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


_syscall = None
if _SYS_FUTEX is not None:
    try:
        _syscall = ctypes.CDLL(None, use_errno=True).syscall
    except (OSError, AttributeError):
        _syscall = None

AVAILABLE = _syscall is not None


def wait(addr: int, value: int, timeout: float) -> None:
    """Sleep while the 32-bit word at `addr` holds `value`, at most `timeout` seconds
    (woken early by wake(), a signal, or a spurious wake-up: callers re-check)."""
    if timeout <= 0:
        return
    if _syscall is None:
        time.sleep(min(timeout, _POLL_FALLBACK))
        return
    ts = _Timespec(int(timeout), int((timeout % 1) * 1e9))
    _syscall(_SYS_FUTEX, ctypes.c_void_p(addr), _FUTEX_WAIT, ctypes.c_uint32(value), ctypes.byref(ts),
             None, 0)


def wake(addr: int) -> None:
    """Wake every process sleeping on the word at `addr`."""
    if _syscall is not None:
        _syscall(_SYS_FUTEX, ctypes.c_void_p(addr), _FUTEX_WAKE, _WAKE_ALL, None, None, 0)
