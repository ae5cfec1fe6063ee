"""Write bench/results/LATEST.md (every figure and ratio) and LATEST.png (the ratios)."""

from __future__ import annotations

import statistics
from pathlib import Path

from bench.metrics import OVERHEAD, PGBENCH_RUNS, SIDES, Metric, Results, metrics, summary

STEP_LABELS = {
    "init": "pgbench -i", "psql_tcp": "psql TCP", "psql_unix": "psql Unix socket", "memory": "memory",
    "startup": "start/stop", "sqlite_select": "SQLite point SELECT", "sqlite_tpcb": "SQLite TPC-B",
    **{key: label for key, label, _ in PGBENCH_RUNS},
}
SIDE_LABELS = {"pgsvc": "pgsvc", "postgresql": "PostgreSQL", "sqlite": "in-process SQLite"}


def fmt(x: float | None) -> str:
    if x is None:
        return "—"
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) >= 0.01 else f"{x:.2e}"


def fmt_summary(values) -> str:
    s = summary(list(values))
    if s is None:
        return "—"
    lo, med, hi = s
    return fmt(med) if lo == hi else f"{fmt(med)} ({fmt(lo)}–{fmt(hi)})"


def _judge(metric: Metric, ratio: float) -> str:
    good = ratio >= 1 if metric.better == "higher" else ratio <= 1
    return "✅" if good else "❌"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return out


def _kv(title: str, items: dict) -> list[str]:
    return [f"## {title}", ""] + _table(["", ""], [[k, str(v)] for k, v in items.items()]) + [""]


def _noise(meta: dict) -> list[str]:
    load = meta.get("load", {})
    text = (f"Other processes on the machine used {load.get('other_cpu_mean_cores', 0):.2f} of "
            f"{load.get('cores', '?')} cores on average during the run (peak "
            f"{load.get('other_cpu_peak_cores', 0):.2f}); load average {load.get('loadavg_start', 0):.2f} "
            f"at start, up to {load.get('loadavg_max', 0):.2f}.")
    if load.get("noisy"):
        return [f"> **Noisy run.** {text} Figures are disturbed by that load; the ratios are "
                "less affected (each pair was taken back to back) but still noisy.", ""]
    return [f"> {text}", ""]


def _results_rows(results: Results, scale: int) -> list[list[str]]:
    rows = []
    for m in metrics(scale):
        ratios = results.ratios(m)
        s = summary(ratios)
        verdict = _judge(m, s[1]) if s else ""
        rows.append([m.group, m.label, m.unit, m.better,
                     fmt_summary(results.values(m, "pgsvc").values()),
                     fmt_summary(results.values(m, "postgresql").values()),
                     f"{fmt(s[1])} {verdict}" if s else "—",
                     fmt(s[0]) if s else "—", fmt(s[2]) if s else "—", str(len(ratios))])
    return rows


def _overhead_rows(results: Results) -> list[list[str]]:
    rows = []
    for label, step, engine in OVERHEAD:
        engine_lat = [1000 / t for t in results.samples(engine, "sqlite", "tps").values() if t]
        row = [label, fmt_summary(engine_lat)]
        for side in SIDES:
            lat = [1000 / t for t in results.samples(step, side, "tps").values() if t]
            row += [fmt_summary(lat), fmt_summary(results.overhead(step, engine, side))]
        rows.append(row)
    return rows


def _tries_rows(results: Results) -> list[list[str]]:
    rows = []
    for key, label, _ in PGBENCH_RUNS:
        for side in SIDES:
            t = results.totals(key, side)
            notes = "; ".join(results.run_notes(key, side))
            rows.append([label, SIDE_LABELS[side], str(t["processed"]), str(t["failed"]),
                         str(t["retried"]), str(t["retries"]), notes])
    return rows


def _error_lines(results: Results) -> list[str]:
    out = []
    for step, by_side in results.errors.items():
        for side, messages in by_side.items():
            for msg in messages:
                first = " ".join(msg.split())[:400]
                out.append(f"- **{STEP_LABELS.get(step, step)}** on {SIDE_LABELS.get(side, side)}: {first}")
    return out


def markdown(meta: dict, results: Results, png_name: str | None) -> str:
    cfg = meta["config"]
    cmd = "make bench-quick" if cfg["mode"] == "quick" else "make bench"
    extra = " ".join(meta.get("argv", []))
    lines = ["# pgsvc vs PostgreSQL 15: benchmark results", "",
             f"Taken {meta['date']} by `{cmd}` (`{' '.join(['python -m bench', extra]).strip()}`), "
             f"{cfg['mode']} preset, {results.repeats_done} repeat(s), {meta['elapsed_s']:.0f} s in all. "
             "How to read this: [bench/README.md](../README.md).", ""]
    lines += _noise(meta)
    if png_name:
        lines += [f"![pgsvc / PostgreSQL ratios]({png_name})", ""]
    lines += ["## Results", "",
              "Each cell: median (min–max) over repeats. Ratio = pgsvc / PostgreSQL, taken pairwise "
              "within a repeat; ✅ where pgsvc is at least as good as PostgreSQL.", ""]
    lines += _table(["group", "metric", "unit", "better", "pgsvc", "PostgreSQL", "ratio (median)",
                     "ratio min", "ratio max", "pairs"], _results_rows(results, cfg["scale"]))
    lines += ["", "## Overhead over the engine (one client)", "",
              "Latency per query / transaction in ms, and the factor over the same work done "
              "in-process on SQLite from Python (sqlite3, WAL, synchronous=FULL). pgsvc's target: ≤ 10×.", ""]
    lines += _table(["work", "in-process SQLite ms", "pgsvc ms", "pgsvc / SQLite", "PostgreSQL ms",
                     "PostgreSQL / SQLite"], _overhead_rows(results))
    lines += ["", "## pgbench transactions, failures and retries (summed over repeats)", "",
              f"Every run used `--max-tries={cfg['max_tries']}`: serialization failures (40001) are retried.", ""]
    lines += _table(["workload", "server", "processed", "failed", "retried", "retries", "notes"],
                    _tries_rows(results))
    errors = _error_lines(results)
    lines += ["", "## What failed", ""] + (errors or ["Nothing."]) + [""]
    if results.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in results.notes] + [""]
    lines += _kv("Machine", meta["machine"]) + _kv("Versions", meta["versions"])
    if meta.get("settings"):
        lines += _kv("Settings", meta["settings"])
    lines += ["## Workload commands", "",
              "Against each server: `pgbench -h 127.0.0.1 -p PORT -U USER -n -T SECONDS "
              f"--max-tries={cfg['max_tries']} ARGS postgres` with ARGS:", ""]
    lines += [f"- {label}: `{' '.join(args)}`" for _, label, args in PGBENCH_RUNS]
    return "\n".join(lines) + "\n"


GOOD, BAD, REFERENCE = "#4caf50", "#e57373", "#b0bec5"


def _bar(ax, y: int, values: list[float], color: str) -> None:
    med = statistics.median(values)
    ax.barh(y, med - 1, left=1, color=color, height=0.6)
    ax.errorbar(med, y, xerr=[[med - min(values)], [max(values) - med]], fmt="none",
                ecolor="black", capsize=3, lw=1)
    ax.text(max(values) * 1.08, y, f"{med:.2g}×", va="center", fontsize=8)


def _labels(ax, labels: list[str]) -> None:
    for y, label in enumerate(labels):
        ax.annotate(label, (0, y), xycoords=("axes fraction", "data"), xytext=(-6, 0),
                    textcoords="offset points", ha="right", va="center", fontsize=8)
    ax.set_yticks([])
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.set_xscale("log")


def _limits(ax, values: list[float], low: float, high: float) -> None:
    values = values or [1.0]
    ax.set_xlim(min(min(values), low) / 1.5, max(max(values), high) * 2.5)


def _ratio_panel(ax, results: Results, scale: int) -> None:
    rows = [(m, results.ratios(m)) for m in metrics(scale)][::-1]  # first metric on top
    for y, (m, ratios) in enumerate(rows):
        if ratios:
            med = statistics.median(ratios)
            good = med >= 1 if m.better == "higher" else med <= 1
            _bar(ax, y, ratios, GOOD if good else BAD)
        else:
            ax.text(1, y, "  no ratio (see LATEST.md)", va="center", fontsize=8, color="grey")
    _labels(ax, [f"{m.label} ({m.better} is better)" for m, _ in rows])
    _limits(ax, [r for _, ratios in rows for r in ratios], 0.5, 2.0)
    ax.axvline(1.0, color="black", lw=1)
    ax.set_xlabel("pgsvc / PostgreSQL (log scale; bar = median, whiskers = min–max over repeats)", fontsize=8)


def _overhead_panel(ax, results: Results) -> None:
    rows = []
    for label, step, engine in OVERHEAD[::-1]:
        for side in SIDES[::-1]:
            rows.append((f"{SIDE_LABELS[side]}: {label}", results.overhead(step, engine, side)))
    for y, (label, factors) in enumerate(rows):
        if factors and not label.startswith("pgsvc"):
            _bar(ax, y, factors, REFERENCE)  # PostgreSQL: for scale, no target
        elif factors:
            _bar(ax, y, factors, GOOD if statistics.median(factors) <= 10 else BAD)
        else:
            ax.text(1, y, "  no figure (see LATEST.md)", va="center", fontsize=8, color="grey")
    _labels(ax, [label for label, _ in rows])
    _limits(ax, [f for _, factors in rows for f in factors], 1.0, 10.0)
    ax.axvline(10.0, color="black", lw=1, ls="--")
    ax.set_xlabel("latency ÷ in-process SQLite latency (log scale; dashed: pgsvc's 10× target)", fontsize=8)


def chart(path: Path, results: Results, scale: int, meta: dict) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    n_ratio, n_over = len(metrics(scale)), 2 * len(OVERHEAD)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 0.36 * (n_ratio + n_over) + 2.6),
                                      gridspec_kw={"height_ratios": [n_ratio, n_over], "hspace": 0.3})
    _ratio_panel(top, results, scale)
    _overhead_panel(bottom, results)
    noisy = " — NOISY (machine busy)" if meta.get("load", {}).get("noisy") else ""
    fig.suptitle(f"pgsvc vs PostgreSQL 15, {meta['date']}, {meta['config']['mode']} run{noisy}\n"
                 "green: pgsvc at least as good as PostgreSQL (overhead: within 10×); red: worse; "
                 "grey: reference", fontsize=9)
    bottom.set_title("Overhead over the engine, one client", fontsize=9)
    fig.subplots_adjust(left=0.42, right=0.96, top=0.94, bottom=0.06)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(out: Path, meta: dict, results: Results) -> tuple[Path, Path | None]:
    png = out / "LATEST.png"
    has_png = chart(png, results, meta["config"]["scale"], meta)
    md = out / "LATEST.md"
    md.write_text(markdown(meta, results, png.name if has_png else None))
    return md, png if has_png else None
