"""pgbench against pgsvc: initialisation, then every builtin script in every query mode
with concurrent clients; no failed transaction, and the balances add up (pgbench runs
with -n so that pgbench_history keeps every delta).

Issue #3's "done when": `pgbench -i -s 10`, then tpcb-like / simple-update / select-only
with -M simple, extended and prepared, -c 8 -j 2 -T 20. CI runs it at that size;
PGSVC_PGBENCH_SECONDS and PGSVC_PGBENCH_SCALE shorten it for local runs.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from conftest import require_tool

SCALE = int(os.environ.get("PGSVC_PGBENCH_SCALE", "10"))
SECONDS = int(os.environ.get("PGSVC_PGBENCH_SECONDS", "20"))
MODES = ["simple", "extended", "prepared"]


def pgbench(server, *args: str, timeout: float) -> subprocess.CompletedProcess:
    cmd = [require_tool("pgbench"), "-h", "127.0.0.1", "-p", str(server.port), "-U", server.superuser,
           *args, "postgres"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def bench_server(shared_server):
    res = pgbench(shared_server, "-i", "-s", str(SCALE), "-q", timeout=600)
    assert res.returncode == 0, res.stderr
    return shared_server


def test_initialised_row_counts(bench_server):
    out = bench_server.psql("SELECT count(*) FROM pgbench_accounts", "-At").stdout.strip()
    assert out == str(100000 * SCALE)
    out = bench_server.psql("SELECT count(*) FROM pgbench_branches", "-At").stdout.strip()
    assert out == str(SCALE)


def run_script(server, script: str, mode: str) -> None:
    # -n: no vacuum and, above all, no TRUNCATE of pgbench_history before the run, so the
    # history keeps every delta of every run and the balances can be checked at the end.
    res = pgbench(server, "-n", "-b", script, "-M", mode, "-c", "8", "-j", "2", "-T", str(SECONDS),
                  "--max-tries", "100", timeout=SECONDS + 120)
    assert res.returncode == 0, res.stdout + res.stderr
    processed = int(re.search(r"number of transactions actually processed: (\d+)", res.stdout).group(1))
    assert processed > 0
    failed = re.search(r"number of failed transactions: (\d+)", res.stdout)
    assert failed is None or int(failed.group(1)) == 0, res.stdout


def sums(server) -> dict[str, int]:
    sql = ("SELECT (SELECT sum(abalance) FROM pgbench_accounts), (SELECT coalesce(sum(delta), 0) FROM pgbench_history),"
           " (SELECT sum(bbalance) FROM pgbench_branches), (SELECT sum(tbalance) FROM pgbench_tellers)")
    values = server.psql(sql, "-At").stdout.strip().split("|")
    return dict(zip(("accounts", "history", "branches", "tellers"), map(int, values)))


@pytest.mark.parametrize("mode", MODES)
def test_tpcb_like(bench_server, mode):
    run_script(bench_server, "tpcb-like", mode)


def test_tpcb_balances_add_up(bench_server):
    """TPC-B moves each delta through account, teller, branch and history alike."""
    s = sums(bench_server)
    assert s["accounts"] == s["history"] == s["branches"] == s["tellers"], s


@pytest.mark.parametrize("mode", MODES)
def test_simple_update(bench_server, mode):
    run_script(bench_server, "simple-update", mode)


@pytest.mark.parametrize("mode", MODES)
def test_select_only(bench_server, mode):
    run_script(bench_server, "select-only", mode)


def test_accounts_still_match_history(bench_server):
    """simple-update touches accounts and history only: those two still agree, and
    tellers and branches still agree with each other."""
    s = sums(bench_server)
    assert s["accounts"] == s["history"] and s["branches"] == s["tellers"], s
