"""Interrupting a backend's long work: statement_timeout, a cancel request, pg_terminate_backend.

The backend's signal handlers record why (pgsvc.backend.signals: cancel_reason); three
things then end the running statement, as PostgreSQL's CHECK_FOR_INTERRUPTS and
ProcessInterrupts do:

- SQLite's progress handler, while SQLite runs (pgsvc.sql.exec.engine);
- a cheap check of the reason in pgsvc's own loops (materialising a set-returning
  function, translating, encoding rows: pgsvc.sql.functions.context.check_for_interrupts);
- inside a *raising section*, the signal handler raises Interrupted at once. A raising
  section is a call of a function marked with `mark_raising`: pure computation that leaves
  no state of the session half-changed wherever it stops (the functions catalogue's UDFs
  and aggregates: a regular expression with catastrophic backtracking, a LIKE over a huge
  string, a set-returning function's generator). Python runs signal handlers between
  bytecodes and inside C loops that check for signals (the re module's matcher does), so
  such work is interrupted even when it never returns to a loop of pgsvc's. This is
  PostgreSQL's old ImmediateInterruptOK: handlers act immediately only where that is safe.

Whether a section is open is read from the stack the handler interrupted (is a marked
function's frame on it?), only when a signal arrives: entering a section costs nothing,
so every UDF call can be one. Work that changes session state (nextval, advisory locks,
NOTIFY, SET) is never marked: there the handler only records.
"""

from __future__ import annotations

from typing import Any, Callable

_MARKED: set = set()  # code objects of the raising-section functions


class Interrupted(BaseException):
    """The signal handler's interrupt inside a raising section; reason as cancel_reason.
    A BaseException, as KeyboardInterrupt: an `except Exception` in the interrupted code
    must not swallow it and carry on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def mark_raising(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Make every call of fn a raising section (fn must be pure computation, and catch
    Interrupted to report it as its caller needs). Returns fn."""
    _MARKED.add(fn.__code__)
    return fn


def in_raising_section(frame) -> bool:
    """Is a raising-section function on the stack above frame (the frame a signal handler
    interrupted)?"""
    while frame is not None:
        if frame.f_code in _MARKED:
            return True
        frame = frame.f_back
    return False


@mark_raising
def call_raising(fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args) as a raising section; the caller catches Interrupted."""
    return fn(*args)
