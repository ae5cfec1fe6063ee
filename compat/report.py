"""Write compat/LATEST.md from the JUnit XML of a driver suite run against PostgreSQL 15 and pgsvc.

Every test that passes on PostgreSQL and does not pass on pgsvc is listed, grouped by cause
(compat/README.md says how the groups are made). Usage: see compat/compat.sh.
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import datetime, UTC
from pathlib import Path

# pytest's exit codes, as compat.sh records them (timeout -s INT at the budget: pytest stops, 2)
_EXIT = {"0": " (all passed)", "1": " (finished; some tests failed)",
         "2": " (**interrupted at the budget**: the tests after that point did not run)",
         "124": " (**stopped at the budget**)", "137": " (**killed at the budget**: no results)"}
RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
UNTRIAGED = "not triaged yet"


def read_junit(paths: str) -> dict[str, tuple[str, str]]:
    """test id -> (outcome, message), from one JUnit file or several joined by commas (parts
    of one suite run separately). A missing or unreadable file (a run cut off before pytest
    wrote it) reads as no tests at all."""
    results: dict[str, tuple[str, str]] = {}
    cases = []
    for path in paths.split(","):
        try:
            cases += list(ET.parse(path).getroot().iter("testcase"))
        except (OSError, ET.ParseError):
            pass
    for case in cases:
        cls, name, file = case.get("classname", ""), case.get("name", ""), case.get("file", "")
        module = file[:-3].replace("/", ".") if file.endswith(".py") else ""
        if module and (cls == module or cls.startswith(module + ".")):
            tid = "::".join(p for p in (file, cls[len(module) + 1:], name) if p)
        else:
            tid = f"{cls}::{name}"
        outcome, message = "passed", ""
        for child in case:
            kind = {"failure": "failed", "error": "error", "skipped": "skipped"}.get(child.tag)
            if kind is None:
                continue
            lines = (child.text or "").strip().splitlines()
            text = child.get("message") or (lines[-1] if lines else "")
            if RANK[kind] > RANK[outcome]:
                outcome, message = kind, text or ""
        old = results.get(tid)
        if old is None or RANK[outcome] > RANK[old[0]]:
            results[tid] = (outcome, message)
    return results


def load_reasons(path: str) -> list[tuple[re.Pattern, str]]:
    """compat/reasons.txt: `REGEX<TAB>REASON` lines; the regex is searched in
    'test id' + newline + 'message'. The first matching line wins."""
    rules = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if "\t" not in line:
            sys.exit(f"{path}:{n}: expected REGEX<TAB>REASON")
        rx, reason = line.split("\t", 1)
        rules.append((re.compile(rx.strip()), reason.strip()))
    return rules


_SETUP = re.compile(r'^failed on (setup|teardown) with "(.*)"?$', re.S)
_EXC = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Warning|Failed|Failure|Timeout|Exit|Interrupt|"
                  r"NotSupported|Violation|Existing|Exists|Object|Function|Column|Table|Parameter|"
                  r"Cancelled|Canceled|InFailedSqlTransaction|\w+)):\s?(.*)$", re.S)


def sqlstate_of(exc: str) -> str:
    """The SQLSTATE of a driver exception class name (psycopg.errors.X, asyncpg.exceptions.X)."""
    name = exc.rsplit(".", 1)[-1]
    for modname in ("psycopg.errors", "asyncpg.exceptions"):
        try:
            mod = __import__(modname, fromlist=["x"])
        except ImportError:
            continue
        cls = getattr(mod, name, None)
        state = getattr(cls, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
    return ""


_NAME = re.compile(r"^(?!.*\d{3})[A-Za-z_][\w.$ ]{0,29}$")  # a quoted name kept in a cluster key


def normalise(msg: str) -> str:
    """The message with run-specific parts (numbers, long or numbered quoted names) blanked."""
    msg = re.sub(r"0x[0-9a-f]+", "0x…", msg)
    msg = re.sub(r'"([^"\n]{0,80})"', lambda m: m.group(0) if _NAME.match(m.group(1)) else '"…"', msg)
    msg = re.sub(r"(?<![\w.])-?\d+(\.\d+)?(?![\w])", "N", msg)
    return msg[:200]


def cause(tid: str, outcome: str, message: str) -> tuple[str, str, str]:
    """(cluster key, kind, SQLSTATE) of one failing test."""
    phase = ""
    first = message.strip()
    m = _SETUP.match(first)
    if m:
        phase, first = f" (in {m.group(1)})", m.group(2).rstrip('"')
    first = (first.splitlines() or [""])[0].strip()
    if outcome == "skipped":
        return f"skipped on pgsvc{phase}: {normalise(first)}", "skipped on pgsvc only", ""
    if "Timeout" in first and ("30.0s" in first or first.startswith("Failed: Timeout")):
        return f"timeout{phase}: the test did not finish in 30 s", "timeout", ""
    em = _EXC.match(first)
    exc, text = (em.group(1), em.group(2)) if em else ("", first)
    if exc in ("AssertionError", "assert", "Failed") or first.startswith("assert "):
        func = tid.split("[", 1)[0]
        return f"assertion failed{phase} in {func}", "assertion (different answer or behaviour)", ""
    state = sqlstate_of(exc) if exc else ""
    kind = f"server error {state}" if state else ("client-side error" if exc else "other")
    short = exc.rsplit(".", 1)[-1] if exc else ""
    key = f"{short}{' [' + state + ']' if state else ''}{phase}: {normalise(text)}" if exc else normalise(first)
    return key, kind, state


def compress(ids: list[str]) -> list[str]:
    """`file::test[a]`, `file::test[b]` -> `file::test` [a, b]: every test still named."""
    by_func: dict[str, list[str]] = defaultdict(list)
    for tid in sorted(ids):
        func, _, param = tid.partition("[")
        by_func[func].append(param[:-1] if param else "")
    out = []
    for func, params in by_func.items():
        named = [p for p in params if p]
        if not named:
            out.append(f"`{func}`")
        else:
            extra = " (and unparametrised)" if len(named) < len(params) else ""
            out.append(f"`{func}` [{', '.join(named)}]{extra}")
    return out


def suite_section(title: str, pg_xml: str, svc_xml: str, rules) -> tuple[list[str], dict]:
    pg, svc = read_junit(pg_xml), read_junit(svc_xml)
    count = lambda res, o: sum(1 for v in res.values() if v[0] == o)  # noqa: E731
    pg_pass = {t for t, v in pg.items() if v[0] == "passed"}
    both = {t for t in pg_pass if svc.get(t, ("",))[0] == "passed"}
    open_ids = sorted(pg_pass - both)
    svc_only = sorted(t for t, v in svc.items() if v[0] == "passed" and t not in pg_pass)
    ratio = 100.0 * len(both) / len(pg_pass) if pg_pass else 0.0
    figures = {"title": title, "pg": len(pg_pass), "svc": count(svc, "passed"), "both": len(both),
               "ratio": ratio, "open": len(open_ids)}

    groups: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    kinds: dict[str, Counter] = defaultdict(Counter)
    for tid in open_ids:
        outcome, message = svc.get(tid, ("missing", "not run on pgsvc (the run ended before it)"))
        key, kind, _ = cause(tid, outcome, message) if outcome != "missing" else \
            ("not run on pgsvc: the run ended before this test (budget)", "not run", "")
        hay = f"{tid}\n{key}\n{message}"
        reason = next((r for rx, r in rules if rx.search(hay)), UNTRIAGED)
        groups[reason][key].append(tid)
        kinds[reason][kind] += 1

    L = [f"## {title}", "",
         "| | PostgreSQL 15 | pgsvc |", "|---|---:|---:|",
         f"| tests run | {len(pg)} | {len(svc)} |"]
    for o in ("passed", "failed", "error", "skipped"):
        L.append(f"| {o} | {count(pg, o)} | {count(svc, o)} |")
    L += ["",
          f"**{len(both)} of the {len(pg_pass)} tests that pass on PostgreSQL 15 pass on pgsvc: "
          f"{ratio:.1f}%.** {len(open_ids)} do not (below, every one, grouped by cause); "
          f"{len(svc_only)} pass on pgsvc and not on PostgreSQL.", ""]
    order = sorted(groups, key=lambda r: (r == UNTRIAGED, -sum(len(v) for v in groups[r].values()), r))
    L += ["### Open: passes on PostgreSQL 15, not on pgsvc", "",
          "| # | cause (why it is still open) | kind | tests |", "|---:|---|---|---:|"]
    for i, reason in enumerate(order, 1):
        n = sum(len(v) for v in groups[reason].values())
        kind = ", ".join(f"{k} {c}" if len(kinds[reason]) > 1 else k for k, c in kinds[reason].most_common())
        L.append(f"| {i} | {reason} | {kind} | {n} |")
    L.append("")
    for i, reason in enumerate(order, 1):
        n = sum(len(v) for v in groups[reason].values())
        L += [f"#### {i}. {reason} ({n})", ""]
        for key, ids in sorted(groups[reason].items(), key=lambda kv: (-len(kv[1]), kv[0])):
            L.append(f"- {len(ids)} × `{key.replace('`', chr(39))}`")
            L += [f"  - {line}" for line in compress(ids)]
        L.append("")
    if svc_only:
        L += ["### Passes on pgsvc, not on PostgreSQL 15", ""]
        L += [f"- {line}" for line in compress(svc_only)]
        L.append("")
    return L, figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--reasons", required=True)
    ap.add_argument("--pgsvc", default="")
    ap.add_argument("--postgres", default="")
    ap.add_argument("--sources", default="")
    ap.add_argument("--runs", default="")
    ap.add_argument("--args", default="")
    ap.add_argument("--suite", nargs=3, action="append", default=[], metavar=("TITLE", "PG_XML", "PGSVC_XML"))
    a = ap.parse_args()
    rules = load_reasons(a.reasons)
    read = lambda p: Path(p).read_text().strip().splitlines() if p and Path(p).exists() else []  # noqa: E731
    sections, figs = [], []
    for title, pg_xml, svc_xml in a.suite:
        lines, f = suite_section(title, pg_xml, svc_xml, rules)
        sections += lines
        figs.append(f)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    L = ["# Drivers' own test suites: pgsvc beside PostgreSQL 15", "",
         "Written by `make compat` (compat/README.md): do not edit by hand; the causes come from "
         "compat/reasons.txt.", "",
         f"- measured: {now}; pgsvc {a.pgsvc}",
         f"- reference: {a.postgres}"]
    L += [f"- {s}" for s in read(a.sources)]
    L += [f"- run: {s}{_EXIT.get(s.split('exit=')[-1].split()[0], '') if 'exit=' in s else ''}"
          for s in read(a.runs)]
    if a.args:
        L.append(f"- extra pytest arguments (a partial run): `{a.args}`")
    L += ["", "| suite | pass on PostgreSQL 15 | pass on pgsvc | of those, pass on pgsvc | ratio | open |",
          "|---|---:|---:|---:|---:|---:|"]
    L += [f"| {f['title']} | {f['pg']} | {f['svc']} | {f['both']} | {f['ratio']:.1f}% | {f['open']} |" for f in figs]
    L += [""] + sections
    Path(a.out).write_text("\n".join(L).rstrip() + "\n")


if __name__ == "__main__":
    main()
