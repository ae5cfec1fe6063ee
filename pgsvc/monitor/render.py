"""Snapshots rendered for people (table), scripts (JSON) and Prometheus (text format).

Pure functions of a `collect.Snapshot`: no I/O, no clock (ages are computed against
the snapshot's own `collected_at`), so unit tests render hand-made snapshots.

The JSON document's keys are a stable interface, documented in
pgsvc/monitor/README.md; `format_version` changes only if a key changes meaning or
goes away (new keys may be added).
"""

from __future__ import annotations

import datetime as dt
import json
import re

from pgsvc.monitor.collect import ProcessRow, ProcStats, Snapshot

JSON_FORMAT_VERSION = 1
QUERY_WIDTH = 60


# ------------------------------------------------------------ small formatters
def iso(ts: float | None) -> str | None:
    """ISO 8601 with the UTC offset, as PostgreSQL prints timestamptz in ISO style."""
    if not ts:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="milliseconds")


def human_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{sec:02d}s"


def age(snap: Snapshot, ts: float | None) -> str:
    return human_duration(snap.collected_at - ts) if ts else "-"


def one_line(text: str, width: int = QUERY_WIDTH) -> str:
    """A query on one line, cut to `width` characters with an ellipsis."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Left-aligned columns; the last one is not padded."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    out = []
    for cells in [headers, *rows]:
        padded = [c.ljust(w) for c, w in zip(cells[:-1], widths[:-1])] + [cells[-1]]
        out.append("  ".join(padded).rstrip())
    return out


# ------------------------------------------------------------ human
def render_text(snap: Snapshot) -> str:
    lines = [snap.message]
    if snap.code == 4:
        return "\n".join(lines) + "\n"
    lines += _summary(snap)
    if snap.running:
        lines += ["", f"backends ({len(snap.backends)}):"]
        lines += ["  " + line for line in backend_table(snap)]
        lines += ["", f"auxiliary processes ({len(snap.auxiliary)}):"]
        lines += ["  " + line for line in aux_table(snap)]
    return "\n".join(lines) + "\n"


def _summary(snap: Snapshot) -> list[str]:
    items = [("data directory", f"{snap.datadir} ({human_bytes(snap.datadir_size)})")]
    if snap.cluster:
        items.append(("cluster", snap.cluster))
    if snap.running:
        since = iso(snap.start_time) or "?"
        items += [
            ("state", snap.lock_status or "?"),
            ("uptime", f"{human_duration(snap.uptime)} (since {since})"),
            ("account", f"{snap.account or '?'} (uid {snap.uid if snap.uid is not None else '?'})"),
            ("listening", ", ".join(snap.listen_tcp + snap.listen_unix) or "-"),
            ("supervisor", _stats_text(snap.supervisor)),
            ("command", snap.command or "-"),
            ("connections", _connections_text(snap)),
        ]
        if snap.xact_commit is not None:
            items.append(("transactions", f"{snap.xact_commit} committed, {snap.xact_rollback} rolled back"))
    if snap.databases:
        items.append(("databases", ", ".join(f"{d.name} {human_bytes(d.size)}" for d in snap.databases)))
    return [f"  {k:<15} {v}" for k, v in items]


def _stats_text(st: ProcStats) -> str:
    cpu = "-" if st.cpu_seconds is None else f"{st.cpu_seconds:.2f}s"
    pct = "-" if st.cpu_percent is None else f"{st.cpu_percent:.1f}%"
    return f"CPU {cpu} ({pct}), RSS {human_bytes(st.rss)}, USS {human_bytes(st.uss)}"


def _connections_text(snap: Snapshot) -> str:
    counts = snap.connections_by_state()
    total = sum(counts.values())
    parts = [f"{n} {state}" for state, n in counts.items() if n]
    return f"{total}" + (f" ({', '.join(parts)})" if parts else "")


BACKEND_HEADERS = ["PID", "USER", "DATABASE", "CLIENT", "APPLICATION", "STATE", "BACKEND", "XACT",
                   "QUERY AGE", "CPU%", "RSS", "USS", "QUERY"]


def backend_cells(snap: Snapshot, b: ProcessRow, query_width: int = QUERY_WIDTH) -> list[str]:
    client = b.client_addr or "-"
    if b.client_port:
        client = f"{client}:{b.client_port}"
    state = b.state if b.backend_type == "client backend" else f"{b.state} ({b.backend_type})"
    pct = "-" if b.stats.cpu_percent is None else f"{b.stats.cpu_percent:.1f}"
    return [str(b.pid), b.user or "-", b.database or "-", client, b.application_name or "-",
            state or "-", age(snap, b.start), age(snap, b.xact_start), age(snap, b.query_start), pct,
            human_bytes(b.stats.rss), human_bytes(b.stats.uss), one_line(b.query, query_width) or "-"]


def backend_table(snap: Snapshot, query_width: int = QUERY_WIDTH) -> list[str]:
    return table(BACKEND_HEADERS, [backend_cells(snap, b, query_width) for b in snap.backends])


def aux_table(snap: Snapshot) -> list[str]:
    rows = []
    for a in snap.auxiliary:
        pct = "-" if a.stats.cpu_percent is None else f"{a.stats.cpu_percent:.1f}"
        rows.append([str(a.pid), age(snap, a.start), pct, human_bytes(a.stats.rss),
                     human_bytes(a.stats.uss), one_line(a.command, 80) or "-"])
    return table(["PID", "STARTED", "CPU%", "RSS", "USS", "COMMAND"], rows)


# ------------------------------------------------------------ JSON
def _stats_json(st: ProcStats) -> dict:
    return {"cpu_seconds": st.cpu_seconds, "cpu_percent": st.cpu_percent,
            "rss_bytes": st.rss, "uss_bytes": st.uss}


def process_json(p: ProcessRow) -> dict:
    return {
        "pid": p.pid, "backend_type": p.backend_type, "user": p.user or None,
        "database": p.database or None, "client_addr": p.client_addr or None,
        "client_port": p.client_port, "application_name": p.application_name,
        "state": p.state or None, "query": p.query, "backend_start": iso(p.start),
        "xact_start": iso(p.xact_start), "query_start": iso(p.query_start),
        "state_change": iso(p.state_change), "xact_commit": p.xact_commit,
        "xact_rollback": p.xact_rollback, "command": p.command or None, **_stats_json(p.stats),
    }


def to_json(snap: Snapshot) -> dict:
    lock = snap.lock
    supervisor = None
    if snap.running:
        supervisor = {"pid": snap.supervisor_pid, "start_time": iso(snap.start_time),
                      "uptime_seconds": round(snap.uptime, 3) if snap.uptime is not None else None,
                      "account": snap.account, "uid": snap.uid, "command": snap.command or None,
                      **_stats_json(snap.supervisor)}
    return {
        "format_version": JSON_FORMAT_VERSION,
        "collected_at": iso(snap.collected_at),
        "data_directory": snap.datadir,
        "cluster": snap.cluster,
        "status": snap.status,
        "exit_code": snap.code,
        "message": snap.message,
        "stale_lock_file": snap.stale_lock,
        "lock_file": None if lock is None else {
            "pid": lock.pid, "data_directory": lock.datadir, "start_time": iso(lock.start_time),
            "port": lock.port, "socket_directory": lock.socket_dir or None,
            "listen_address": lock.listen_addr or None, "status": lock.status or None},
        "state": snap.lock_status,
        "ready": snap.ready,
        "supervisor": supervisor,
        "listen": {"tcp": snap.listen_tcp, "unix": snap.listen_unix},
        "data_directory_size_bytes": snap.datadir_size,
        "databases": [{"oid": d.oid, "name": d.name, "size_bytes": d.size} for d in snap.databases],
        "connections": snap.connections_by_state() if snap.running else {},
        "registry_slots": snap.registry_slots,
        "xact_commit": snap.xact_commit,
        "xact_rollback": snap.xact_rollback,
        "backends": [process_json(b) for b in snap.backends],
        "auxiliary": [process_json(a) for a in snap.auxiliary],
    }


def render_json(snap: Snapshot) -> str:
    return json.dumps(to_json(snap), indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------ Prometheus
def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


def _number(value: float | int) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


class _Exposition:
    def __init__(self, base: dict[str, str]) -> None:
        self.base = base
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str, samples: list[tuple[dict, float | int]]) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            self.lines.append(f"{name}{_labels({**self.base, **labels})} {_number(value)}")


def _process_groups(snap: Snapshot) -> dict[str, list[ProcStats]]:
    groups: dict[str, list[ProcStats]] = {"supervisor": [snap.supervisor]} if snap.running else {}
    for p in snap.backends + snap.auxiliary:
        groups.setdefault(p.backend_type, []).append(p.stats)
    return groups


def _sum(stats: list[ProcStats], attr: str) -> float | int | None:
    values = [getattr(s, attr) for s in stats if getattr(s, attr) is not None]
    return sum(values) if values else None


def render_prometheus(snap: Snapshot) -> str:
    """Prometheus text exposition format 0.0.4; every sample carries data_directory."""
    x = _Exposition({"data_directory": snap.datadir})
    x.family("pgsvc_up", "gauge", "1 if the supervisor runs (verified by lock file and process identity).",
             [({}, int(snap.running))])
    if snap.running:
        x.family("pgsvc_ready", "gauge", "1 if the lock file says ready (accepting connections).",
                 [({}, int(snap.ready))])
        if snap.start_time:
            x.family("pgsvc_start_time_seconds", "gauge", "Supervisor start time, seconds since the epoch.",
                     [({}, round(snap.start_time, 3))])
            x.family("pgsvc_uptime_seconds", "gauge", "Seconds since the supervisor started.",
                     [({}, round(snap.uptime or 0.0, 3))])
        x.family("pgsvc_connections", "gauge", "Client backends by state.",
                 [({"state": s}, n) for s, n in snap.connections_by_state().items()])
        types = {"client backend": 0, "walsender": 0, "dead-end": 0, "auxiliary": 0}
        for p in snap.backends + snap.auxiliary:
            types[p.backend_type] = types.get(p.backend_type, 0) + 1
        x.family("pgsvc_backends", "gauge", "Child processes of the supervisor by type.",
                 [({"backend_type": t}, n) for t, n in types.items()])
        groups = _process_groups(snap)
        for metric, attr, help_text in (
                ("pgsvc_process_cpu_seconds", "cpu_seconds",
                 "CPU seconds (user+system) used by the live processes of each type."),
                ("pgsvc_process_resident_memory_bytes", "rss", "Resident set size (RSS) summed per process type."),
                ("pgsvc_process_unique_memory_bytes", "uss",
                 "Unique set size (USS) summed per process type (needs root or the account).")):
            samples = [({"process_type": t}, v) for t, stats in groups.items()
                       if (v := _sum(stats, attr)) is not None]
            x.family(metric, "gauge", help_text, samples)
        if snap.xact_commit is not None:
            x.family("pgsvc_xact_commit_total", "counter", "Transactions committed since the server started.",
                     [({}, snap.xact_commit)])
            x.family("pgsvc_xact_rollback_total", "counter", "Transactions rolled back since the server started.",
                     [({}, snap.xact_rollback or 0)])
    if snap.datadir_size is not None:
        x.family("pgsvc_data_directory_size_bytes", "gauge", "Total size of the files in the data directory.",
                 [({}, snap.datadir_size)])
    if snap.databases:
        x.family("pgsvc_database_size_bytes", "gauge", "Size of each database's files (base/OID.db*).",
                 [({"datname": d.name, "oid": str(d.oid)}, d.size) for d in snap.databases])
    return "\n".join(x.lines) + "\n"
