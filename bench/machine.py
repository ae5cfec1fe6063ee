"""What the figures were taken on: machine, versions, and how busy the rest of it was.

The background sampler charges CPU time to "other" processes (anything that is not
this harness or one of its descendants: the servers, pgbench, psql) so that a report
taken while someone else was compiling or running tests says so.
"""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import threading
import time
from importlib import metadata
from pathlib import Path

import psutil

from bench.servers import PG_BIN, pgsvc_command

REPO = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def _filesystem(path: Path) -> str:
    best = None
    for part in psutil.disk_partitions(all=True):
        if str(path).startswith(part.mountpoint) and (best is None or len(part.mountpoint) > len(best.mountpoint)):
            best = part
    return f"{best.fstype} ({best.device} on {best.mountpoint})" if best else "unknown"


def machine_info(workdir: Path) -> dict:
    return {
        "CPU model": _cpu_model(),
        "cores (logical / physical)": f"{psutil.cpu_count()} / {psutil.cpu_count(logical=False)}",
        "RAM": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "kernel": platform.release(),
        "OS": _os_name(),
        "filesystem of the data directories": _filesystem(workdir),
    }


def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"


def _pgsvc_version() -> str:
    try:
        version = metadata.version("pgsvc")
    except metadata.PackageNotFoundError:
        version = "?"
    commit = _run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = _run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "--", "pgsvc"])
    engine = (REPO / "pgsvc" / "sql" / "engine.py").exists()
    return (f"{version} (git {commit}{', pgsvc/ modified' if dirty else ''}"
            f"{'' if engine else ', no SQL engine yet'})")


def versions() -> dict:
    try:
        import matplotlib
        mpl = matplotlib.__version__
    except ImportError:
        mpl = "not installed (no PNG)"
    return {
        "pgsvc": _pgsvc_version(),
        "pgsvc command": " ".join(pgsvc_command()),
        "PostgreSQL": _run([str(PG_BIN / "postgres"), "--version"]),
        "pgbench": _run(["pgbench", "--version"]),
        "psql": _run(["psql", "--version"]),
        "SQLite (Python sqlite3 module, pgsvc's engine)": sqlite3.sqlite_version,
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "psutil": psutil.__version__,
        "matplotlib": mpl,
    }


class LoadSampler:
    """Every `interval` s: CPU seconds used by processes outside this harness's tree."""

    def __init__(self, interval: float = 2.0) -> None:
        self.interval = interval
        self.me = psutil.Process(os.getpid())
        self.samples: list[float] = []  # cores used by others, per interval
        self._last: dict[tuple[int, float], float] = {}
        self._last_wall = float("inf")  # first sample: baseline only
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.loadavg_start = os.getloadavg()
        self.loadavg_max = self.loadavg_start

    def start(self) -> LoadSampler:
        self._take()
        self._thread.start()
        return self

    def _ours(self) -> set[int]:
        try:
            return {self.me.pid} | {p.pid for p in self.me.children(recursive=True)}
        except psutil.Error:
            return {self.me.pid}

    def _take(self) -> float:
        ours = self._ours()
        used = 0.0
        current: dict[tuple[int, float], float] = {}
        for proc in psutil.process_iter(["pid", "create_time", "cpu_times"]):
            info = proc.info
            if info["pid"] in ours or info["cpu_times"] is None:
                continue
            key = (info["pid"], info["create_time"])
            total = info["cpu_times"].user + info["cpu_times"].system
            current[key] = total
            # A process born since the last sample counts in full; an older one we never
            # saw (first sample) counts from now.
            born_since = info["create_time"] >= self._last_wall
            used += total - self._last.get(key, 0.0 if born_since else total)
        self._last = current
        self._last_wall = time.time()
        return used

    def _loop(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(self.interval):
            used = self._take()
            now = time.monotonic()
            self.samples.append(used / (now - last))
            last = now
            self.loadavg_max = max(self.loadavg_max, os.getloadavg(), key=lambda x: x[0])

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join(5)
        cores = psutil.cpu_count() or 1
        mean = sum(self.samples) / len(self.samples) if self.samples else 0.0
        peak = max(self.samples, default=0.0)
        return {
            "other_cpu_mean_cores": mean,
            "other_cpu_peak_cores": peak,
            "cores": cores,
            "loadavg_start": self.loadavg_start[0],
            "loadavg_max": self.loadavg_max[0],
            "noisy": mean > 0.1 * cores or peak > 0.5 * cores,
        }
