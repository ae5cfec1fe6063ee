"""What is measured (the workload list), the figures kept per repeat, and the ratios.

A ratio is pgsvc / PostgreSQL, computed pairwise within a repeat (the two figures were
taken back to back) and summarised as min / median / max over repeats. Whether a
ratio above 1 is good depends on the metric: `better` says which way is good.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

SIDES = ("pgsvc", "postgresql")

# (key, label, pgbench arguments); each is run with -T seconds, -n and --max-tries.
PGBENCH_RUNS = [
    ("tpcb_c1", "tpcb-like -c1 -M prepared", ["-b", "tpcb-like", "-c", "1", "-M", "prepared"]),
    ("tpcb_c8", "tpcb-like -c8 -j2 -M prepared", ["-b", "tpcb-like", "-c", "8", "-j", "2", "-M", "prepared"]),
    ("update_c4", "simple-update -c4", ["-b", "simple-update", "-c", "4"]),
    ("select_c1_simple", "select-only -c1 -M simple", ["-b", "select-only", "-c", "1", "-M", "simple"]),
    ("select_c1_prepared", "select-only -c1 -M prepared", ["-b", "select-only", "-c", "1", "-M", "prepared"]),
    ("select_c4_simple", "select-only -c4 -M simple", ["-b", "select-only", "-c", "4", "-M", "simple"]),
    ("select_c4_prepared", "select-only -c4 -M prepared", ["-b", "select-only", "-c", "4", "-M", "prepared"]),
    ("connect_c4", "connections: pgbench -C -S -c4", ["-C", "-b", "select-only", "-c", "4"]),
]

MiB = 1 / 2**20


@dataclass(frozen=True)
class Metric:
    group: str
    label: str
    unit: str
    better: str  # "higher" | "lower"
    source: str  # the step's key
    field: str  # the figure in that step's dict
    factor: float = 1.0


def metrics(scale: int) -> list[Metric]:
    out = [Metric("load", f"pgbench -i -s {scale}", "s", "lower", "init", "seconds")]
    for key, label, _ in PGBENCH_RUNS:
        group = "connections" if key == "connect_c4" else "throughput"
        out.append(Metric(group, label, "TPS", "higher", key, "tps"))
    out += [
        Metric("connections", "psql -c 'select 1', TCP (median)", "ms", "lower", "psql_tcp", "median_ms"),
        Metric("connections", "psql -c 'select 1', Unix socket (median)", "ms", "lower", "psql_unix", "median_ms"),
    ]
    for who in ("backend", "supervisor"):
        for kind in ("uss", "pss", "rss"):
            label = f"idle backend {kind.upper()} (median of N)" if who == "backend" else f"supervisor {kind.upper()}"
            out.append(Metric("memory", label, "MiB", "lower", "memory", f"{who}_{kind}", MiB))
    out.append(Metric("memory", "all server processes USS, N idle sessions", "MiB", "lower", "memory",
                      "total_uss", MiB))
    out += [
        Metric("start/stop", "exec -> READY=1 (NOTIFY_SOCKET)", "ms", "lower", "startup", "ready_s", 1000),
        Metric("start/stop", "exec -> first session ready", "ms", "lower", "startup", "connect_s", 1000),
        Metric("start/stop", "fast shutdown: SIGINT -> exit", "ms", "lower", "startup", "shutdown_s", 1000),
    ]
    return out


# (label, server step, SQLite step): overhead factor = server latency / in-process SQLite latency
OVERHEAD = [
    ("point SELECT, -M simple (select-only -c1)", "select_c1_simple", "sqlite_select"),
    ("point SELECT, -M prepared (select-only -c1)", "select_c1_prepared", "sqlite_select"),
    ("TPC-B transaction (tpcb-like -c1 -M prepared)", "tpcb_c1", "sqlite_tpcb"),
]


def summary(values: list[float]) -> tuple[float, float, float] | None:
    if not values:
        return None
    return min(values), statistics.median(values), max(values)


class Results:
    """raw[step][side][repeat] = figures; errors[step][side] = messages; free-form notes."""

    def __init__(self) -> None:
        self.raw: dict[str, dict[str, dict[str, dict]]] = {}
        self.errors: dict[str, dict[str, list[str]]] = {}
        self.notes: list[str] = []
        self.repeats_done = 0

    def record(self, step: str, side: str, repeat, figures: dict) -> None:
        self.raw.setdefault(step, {}).setdefault(side, {})[str(repeat)] = figures

    def error(self, step: str, side: str, message: str) -> None:
        msgs = self.errors.setdefault(step, {}).setdefault(side, [])
        if message not in msgs:
            msgs.append(message)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def to_json(self) -> dict:
        return {"raw": self.raw, "errors": self.errors, "notes": self.notes, "repeats_done": self.repeats_done}

    @classmethod
    def from_json(cls, data: dict) -> Results:
        results = cls()
        results.raw, results.errors = data["raw"], data["errors"]
        results.notes, results.repeats_done = data["notes"], data["repeats_done"]
        return results

    # --- reading back -------------------------------------------------------------------------
    def samples(self, step: str, side: str, field: str, factor: float = 1.0) -> dict[str, float]:
        runs = self.raw.get(step, {}).get(side, {})
        return {r: f[field] * factor for r, f in runs.items() if isinstance(f.get(field), int | float)}

    def values(self, metric: Metric, side: str) -> dict[str, float]:
        return self.samples(metric.source, side, metric.field, metric.factor)

    def ratios(self, metric: Metric) -> list[float]:
        a, b = self.values(metric, "pgsvc"), self.values(metric, "postgresql")
        return [a[r] / b[r] for r in a.keys() & b.keys() if b[r]]

    def overhead(self, server_step: str, sqlite_step: str, side: str) -> list[float]:
        """Per repeat: server latency / SQLite latency = SQLite TPS / server TPS (one client)."""
        server = self.samples(server_step, side, "tps")
        engine = self.samples(sqlite_step, "sqlite", "tps")
        return [engine[r] / server[r] for r in server.keys() & engine.keys() if server[r]]

    def totals(self, step: str, side: str) -> dict[str, int]:
        runs = self.raw.get(step, {}).get(side, {}).values()
        return {k: sum(int(f.get(k, 0)) for f in runs) for k in ("processed", "failed", "retried", "retries")}

    def run_notes(self, step: str, side: str) -> list[str]:
        return [f["note"] for f in self.raw.get(step, {}).get(side, {}).values() if f.get("note")]
