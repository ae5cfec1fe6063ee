"""`pgsvc top`: a live view of one cluster, refreshed every second (like pg_activity).

Each refresh is one `Collector.collect()` — the same data path as `pgsvc status` —
so CPU % is measured over the refresh interval, and transactions per second are the
difference of the commit/rollback counters between two refreshes.

Full-screen with curses on a terminal; `q` quits, Ctrl-C too (exit 0). Without a
usable terminal (not a tty, TERM unset or `dumb`, curses cannot start) or with
`--batch`, it prints a plain-text frame per refresh instead, as `top -b` does.
`--iterations N` stops after N refreshes (scripts and tests).
"""

from __future__ import annotations

import os
import sys
import time

from pgsvc.monitor.collect import Collector, Snapshot
from pgsvc.monitor.render import (
    age,
    backend_cells,
    human_bytes,
    human_duration,
    iso,
    render_text,
    table,
    BACKEND_HEADERS,
)

STATE_ORDER = {"active": 0, "idle in transaction (aborted)": 1, "idle in transaction": 2,
               "fastpath function call": 3, "starting": 4, "idle": 5}


class TopView:
    """Turns successive snapshots into screen lines (no terminal I/O here)."""

    def __init__(self, datadir: str, cluster: str | None = None) -> None:
        self.datadir = datadir
        self.cluster = cluster
        self.collector = Collector()
        self.current: Snapshot | None = None
        self.rates: tuple[float, float] | None = None  # commits/s, rollbacks/s

    def refresh(self) -> Snapshot:
        snap = self.collector.collect(self.datadir, self.cluster)
        self.rates = transaction_rates(self.current, snap)
        self.current = snap
        return snap

    def lines(self, width: int = 200) -> list[str]:
        snap = self.current
        clock = time.strftime("%H:%M:%S", time.localtime(snap.collected_at))
        head = f"pgsvc top - {snap.datadir} - {clock}"
        if not snap.running:
            return [head, "", snap.message, "", "(q to quit)"]
        sup = snap.supervisor
        counts = snap.connections_by_state()
        conns = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
        tps = "-" if self.rates is None else f"{self.rates[0]:.1f} commit/s, {self.rates[1]:.1f} rollback/s"
        out = [
            head,
            f"supervisor PID {snap.supervisor_pid} ({snap.account}), {snap.lock_status}, "
            f"up {human_duration(snap.uptime)} since {iso(snap.start_time)}",
            f"listening {', '.join(snap.listen_tcp + snap.listen_unix) or '-'}",
            f"supervisor CPU {sup.cpu_percent if sup.cpu_percent is not None else '-'}%  "
            f"RSS {human_bytes(sup.rss)}  USS {human_bytes(sup.uss)}   "
            f"data {human_bytes(snap.datadir_size)}",
            f"connections {sum(counts.values())}: {conns}",
            f"transactions {snap.xact_commit} committed, {snap.xact_rollback} rolled back; {tps}",
            "",
        ]
        fixed = sum(len(h) for h in BACKEND_HEADERS) + 40
        query_width = max(20, width - fixed - 60)
        backends = sorted(snap.backends, key=lambda b: (STATE_ORDER.get(b.state, 9), b.query_start or 0))
        out += table(BACKEND_HEADERS, [backend_cells(snap, b, query_width) for b in backends])
        if snap.auxiliary:
            out += ["", "auxiliary: " + ", ".join(
                f"{a.pid} {a.command or '?'} (up {age(snap, a.start)})" for a in snap.auxiliary)]
        out += ["", "(q to quit)"]
        return out


def transaction_rates(prev: Snapshot | None, snap: Snapshot) -> tuple[float, float] | None:
    """Commits and rollbacks per second between two snapshots of the same server."""
    if (prev is None or not prev.running or not snap.running or prev.supervisor_pid != snap.supervisor_pid
            or prev.xact_commit is None or snap.xact_commit is None):
        return None
    elapsed = snap.collected_at - prev.collected_at
    if elapsed <= 0:
        return None
    return ((snap.xact_commit - prev.xact_commit) / elapsed,
            ((snap.xact_rollback or 0) - (prev.xact_rollback or 0)) / elapsed)


def run_top(datadir: str, cluster: str | None = None, iterations: int | None = None,
            interval: float = 1.0, batch: bool = False) -> int:
    view = TopView(datadir, cluster)
    try:
        if batch or not _terminal_usable():
            return _plain_loop(view, iterations, interval)
        import curses

        try:
            return curses.wrapper(_curses_loop, view, iterations, interval)
        except curses.error:
            return _plain_loop(view, iterations, interval)
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:  # `pgsvc top -b | head`
        sys.stdout = open(os.devnull, "w")
        return 0


def _terminal_usable() -> bool:
    term = os.environ.get("TERM", "")
    return sys.stdout.isatty() and sys.stdin.isatty() and term not in ("", "dumb", "unknown")


def _plain_loop(view: TopView, iterations: int | None, interval: float) -> int:
    n = 0
    while True:
        snap = view.refresh()
        n += 1
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(snap.collected_at))
        sys.stdout.write(f"--- pgsvc top {stamp} (refresh {n}) ---\n{render_text(snap)}")
        sys.stdout.flush()
        if iterations is not None and n >= iterations:
            return 0
        time.sleep(interval)


def _curses_loop(stdscr, view: TopView, iterations: int | None, interval: float) -> int:
    import curses

    with _suppress_curses_error():
        curses.curs_set(0)
    stdscr.timeout(int(interval * 1000))
    n = 0
    while True:
        view.refresh()
        n += 1
        _draw(stdscr, view)
        if iterations is not None and n >= iterations:
            return 0
        deadline = time.monotonic() + interval
        while time.monotonic() < deadline:
            stdscr.timeout(max(1, int((deadline - time.monotonic()) * 1000)))
            key = stdscr.getch()
            if key in (ord("q"), ord("Q"), 27):
                return 0
            if key == curses.KEY_RESIZE:
                _draw(stdscr, view)


def _draw(stdscr, view: TopView) -> None:
    import curses

    height, width = stdscr.getmaxyx()
    stdscr.erase()
    for y, line in enumerate(view.lines(width)[:height]):
        attr = curses.A_REVERSE if y == 0 else (curses.A_BOLD if line.startswith("PID ") else 0)
        with _suppress_curses_error():
            stdscr.addnstr(y, 0, line, max(1, width - 1), attr)
    stdscr.refresh()


class _suppress_curses_error:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb) -> bool:
        import curses

        return kind is not None and issubclass(kind, curses.error)
