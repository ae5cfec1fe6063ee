"""pgbench against pgsvc: initialisation, then every builtin script in every query mode
with concurrent clients; no failed transaction, and the TPC-B balances add up.

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
SCRIPTS = ["tpcb-like", "simple-update", "select-only"]
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


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("script", SCRIPTS)
def test_builtin_script(bench_server, script, mode):
    res = pgbench(bench_server, "-b", script, "-M", mode, "-c", "8", "-j", "2", "-T", str(SECONDS),
                  "--max-tries", "100", timeout=SECONDS + 120)
    assert res.returncode == 0, res.stdout + res.stderr
    processed = int(re.search(r"number of transactions actually processed: (\d+)", res.stdout).group(1))
    assert processed > 0
    failed = re.search(r"number of failed transactions: (\d+)", res.stdout)
    assert failed is None or int(failed.group(1)) == 0, res.stdout


def test_balances_add_up(bench_server):
    sql = ("SELECT (SELECT sum(abalance) FROM pgbench_accounts), (SELECT coalesce(sum(delta), 0) FROM pgbench_history),"
           " (SELECT sum(bbalance) FROM pgbench_branches), (SELECT sum(tbalance) FROM pgbench_tellers)")
    accounts, history, branches, tellers = bench_server.psql(sql, "-At").stdout.strip().split("|")
    assert accounts == history == branches == tellers
