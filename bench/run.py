"""Orchestration: set up both clusters, run every workload A B A B, write the report.

A = pgsvc, B = PostgreSQL. Within a repeat every step runs against pgsvc and then
against PostgreSQL right after it, so slow drift (other load, page cache, thermal)
hits both alike; ratios are taken pairwise within a repeat, then summarised as
min/median/max over repeats. Both clusters are removed at the end, also on failure,
Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import report, sqlite_engine, workloads
from bench.machine import LoadSampler, machine_info, versions
from bench.metrics import PGBENCH_RUNS, Results
from bench.servers import DURABILITY, BenchError, Pgsvc, Postgres, Server

SHOWN = ("fsync", "synchronous_commit", "max_connections")
RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Config:
    mode: str
    repeats: int
    seconds: int  # pgbench -T per run
    scale: int  # pgbench -i -s
    psql_calls: int
    connections: int  # idle connections for the memory figures
    startup_cycles: int  # start/stop cycles per server per repeat
    sqlite_seconds: float
    budget: float  # seconds: no new repeat starts if it would not finish within it
    max_tries: int
    init_timeout: float


FULL = Config("full", repeats=3, seconds=6, scale=10, psql_calls=200, connections=50,
              startup_cycles=2, sqlite_seconds=4, budget=13 * 60, max_tries=100, init_timeout=300)
QUICK = Config("quick", repeats=2, seconds=2, scale=2, psql_calls=40, connections=50,
               startup_cycles=1, sqlite_seconds=1.5, budget=150, max_tries=100, init_timeout=60)


def parse_args(argv: list[str] | None) -> tuple[Config, argparse.Namespace]:
    p = argparse.ArgumentParser(prog="python -m bench", description="pgsvc vs PostgreSQL 15, side by side")
    p.add_argument("--quick", action="store_true", help="the `make bench-quick` preset (< 3 min)")
    for name, kind in (("repeats", int), ("seconds", int), ("scale", int), ("psql-calls", int),
                       ("connections", int), ("startup-cycles", int), ("sqlite-seconds", float),
                       ("budget", float), ("max-tries", int), ("init-timeout", float)):
        p.add_argument(f"--{name}", type=kind, help="override the preset's value")
    p.add_argument("--out", type=Path, default=RESULTS_DIR, help="where LATEST.md/.png go")
    p.add_argument("--report-from", type=Path, metavar="RUN.json",
                   help="only rewrite LATEST.md/.png from a run's raw figures (results/runs/*.json)")
    p.add_argument("--workdir", type=Path, default=Path("/var/tmp"),
                   help="parent of the throwaway clusters (use a disk, not tmpfs: fsync matters)")
    args = p.parse_args(argv)
    config = QUICK if args.quick else FULL
    overrides = {k: v for k, v in vars(args).items() if k in Config.__annotations__ and v is not None}
    return Config(**{**asdict(config), **overrides}), args


class Interrupted(BaseException):
    """SIGTERM/SIGHUP: unwind like Ctrl-C so that teardown runs."""


def _raise_interrupted(signum, _frame):
    raise Interrupted(f"signal {signum}")


class Bench:
    def __init__(self, config: Config, workdir: Path) -> None:
        self.config = config
        self.workdir = workdir
        self.results = Results()
        self.main: dict[str, Server] = {}
        self.startup: dict[str, Server] = {}
        self.sqlite_path = workdir / "sqlite" / "bench.db"
        self.shown: dict[str, str] = {}  # SHOW fsync, synchronous_commit per server

    def log(self, msg: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)

    # --- set-up ---------------------------------------------------------------------------
    def setup(self, stack: contextlib.ExitStack) -> None:
        for kind in (Pgsvc, Postgres):
            for tag, store in (("main", self.main), ("startup", self.startup)):
                server = kind(self.workdir, tag)
                stack.callback(server.remove)
                server.initdb()
                store[server.label] = server
        for server in self.main.values():
            server.start()
            server.wait_ready()
            self.shown[server.label] = workloads.show_settings(server, SHOWN)
            self.log(f"{server.label} up on port {server.port} (pid {server.proc.pid}): {self.shown[server.label]}")
        self.sqlite_path.parent.mkdir()
        built = sqlite_engine.build(self.sqlite_path, self.config.scale)
        self.log(f"in-process SQLite tables at scale {self.config.scale} built in {built:.1f}s")

    # --- one measurement, both sides ----------------------------------------------------------
    def both(self, metric_fn, repeat: int | str, what: str) -> None:
        """Run metric_fn(server) on pgsvc then PostgreSQL; record figures or the error."""
        for side, server in self.main.items():
            self.measure(side, server, metric_fn, repeat, what)

    def measure(self, side: str, server: Server, metric_fn, repeat, what: str) -> None:
        t0 = time.monotonic()
        try:
            if server is not None and server in self.main.values():
                self.ensure_running(server)
            figures = metric_fn(server)
        except BenchError as exc:
            self.results.error(what, side, str(exc))
            self.log(f"  {what} on {side}: FAILED: {str(exc).splitlines()[0][:200]}")
            return
        except Exception as exc:  # a harness bug or OS error: keep going, show it
            self.results.error(what, side, f"{type(exc).__name__}: {exc}")
            self.log(f"  {what} on {side}: ERROR {type(exc).__name__}: {exc}")
            traceback.print_exc()
            return
        for key in [k for k in figures if k.endswith("_error")]:  # partial failures
            self.results.error(what, side, f"{key[:-6]}: {figures.pop(key)}")
        self.results.record(what, side, repeat, figures)
        shown = ", ".join(f"{k}={v:.4g}" for k, v in figures.items() if isinstance(v, int | float))
        self.log(f"  {what} on {side} ({time.monotonic() - t0:.1f}s): {shown}")

    def ensure_running(self, server: Server) -> None:
        if server.proc.poll() is None:
            return
        self.results.note(f"{server.label} supervisor exited (code {server.proc.returncode}) during "
                          f"the run and was restarted; log tail: {server.log_tail(3)}")
        server.start()
        server.wait_ready()

    # --- a repeat ---------------------------------------------------------------------------
    def repeat(self, r: int, deadline: float) -> None:
        c = self.config
        self.both(lambda s: workloads.pgbench_init(s, c.scale, c.init_timeout), r, "init")
        for key, _label, args in PGBENCH_RUNS:
            self.both(lambda s, a=args: workloads.pgbench_run(s, a, c.seconds, c.max_tries), r, key)
        for key, unix in (("psql_tcp", False), ("psql_unix", True)):
            self.both(lambda s, u=unix: workloads.psql_latency(s, c.psql_calls, u, deadline), r, key)
        self.both(lambda s: workloads.idle_backend_memory(s, c.connections), r, "memory")
        for k in range(c.startup_cycles):
            for side, server in self.startup.items():
                self.measure(side, server, workloads.startup_cycle, f"{r}.{k}", "startup")
        path, scale, secs = self.sqlite_path, c.scale, c.sqlite_seconds
        self.measure("sqlite", None, lambda _: sqlite_engine.point_select(path, scale, secs), r, "sqlite_select")
        self.measure("sqlite", None, lambda _: sqlite_engine.tpcb(path, scale, secs), r, "sqlite_tpcb")

    def run(self, started: float) -> None:
        c = self.config
        hard_deadline = started + c.budget
        last = 0.0
        for r in range(c.repeats):
            now = time.monotonic()
            if r > 0 and now + last > hard_deadline:
                self.results.note(f"stopped after {r} of {c.repeats} repeats: another would overrun "
                                  f"the {c.budget:.0f}s budget (a repeat took {last:.0f}s)")
                break
            self.log(f"repeat {r + 1}/{c.repeats}")
            self.repeat(r, hard_deadline + 60)
            last = time.monotonic() - now
            self.results.repeats_done = r + 1


def settings(config: Config, bench: Bench) -> dict:
    return {
        "durability": ", ".join(f"{k}={v}" for k, v in DURABILITY.items())
        + " on both (passed with -c); pgsvc on SQLite WAL, synchronous=FULL (its default)",
        "as the servers report them (SHOW)": "; ".join(f"{k}: {v}" for k, v in bench.shown.items()),
        "authentication": "trust for local and host connections on both (initdb -A trust); "
                          "clients: sslmode=disable, gssencmode=disable",
        "listen": "127.0.0.1 + Unix socket in a private temp dir, free port, on both",
        "accounts": f"pgsvc as {bench.main['pgsvc'].account}, PostgreSQL as {bench.main['postgresql'].account} "
                    "(started as root, each drops to / runs as its account)",
        "PostgreSQL configuration": "initdb defaults otherwise (shared_buffers 128MB, max_connections 100)",
        "pgbench": f"-T {config.seconds} s per run, -n, --max-tries={config.max_tries}, scale {config.scale}",
        "repeats": f"{bench.results.repeats_done} done of {config.repeats} asked (order per step: pgsvc, then PostgreSQL)",
        "psql calls per median": str(config.psql_calls),
        "idle connections (memory)": str(config.connections),
        "start/stop cycles": f"{config.startup_cycles} per server per repeat, on an empty cluster",
        "in-process SQLite": f"{config.sqlite_seconds} s per figure, WAL, synchronous=FULL, one connection",
    }


def rewrite_report(raw: Path, out: Path) -> int:
    data = json.loads(raw.read_text())
    results = Results.from_json(data["results"])
    md, png = report.write(out, data["meta"], results)
    print(f"wrote {md}, {png or 'no PNG (matplotlib missing)'} from {raw}")
    return 0


def main(argv: list[str] | None = None) -> int:
    config, args = parse_args(argv)
    if args.report_from:
        return rewrite_report(args.report_from, args.out)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupted)
    started = time.monotonic()
    args.workdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="pgsvc-bench-", dir=args.workdir))
    workdir.chmod(0o755)
    sampler = LoadSampler().start()
    bench = Bench(config, workdir)
    status = 0
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(shutil.rmtree, workdir, True)
            bench.log(f"{config.mode} run in {workdir}; budget {config.budget:.0f}s")
            bench.setup(stack)
            bench.run(started)
            bench.log("stopping servers")
    except (KeyboardInterrupt, Interrupted) as exc:
        bench.log(f"interrupted ({exc or 'Ctrl-C'}): servers stopped, nothing written")
        return 130
    except BenchError as exc:
        bench.log(f"set-up failed: {exc}")
        bench.results.note(f"set-up failed: {exc}")
        status = 1
    load = sampler.stop()
    elapsed = time.monotonic() - started
    meta = {"config": asdict(config), "machine": machine_info(args.workdir), "versions": versions(),
            "settings": settings(config, bench) if bench.main.keys() >= {"pgsvc", "postgresql"} else {},
            "load": load, "elapsed_s": elapsed, "argv": sys.argv[1:],
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    args.out.mkdir(parents=True, exist_ok=True)
    raw = args.out / "runs" / time.strftime("%Y%m%d-%H%M%S.json")
    raw.parent.mkdir(exist_ok=True)
    raw.write_text(json.dumps({"meta": meta, "results": bench.results.to_json()}, indent=1))
    md, png = report.write(args.out, meta, bench.results)
    bench.log(f"wrote {md}, {png or 'no PNG (matplotlib missing)'}, raw {raw} in {elapsed:.0f}s")
    return status
