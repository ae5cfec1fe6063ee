"""Rendering of monitoring snapshots (pgsvc/monitor/render.py, top.py, clusters.py):
the human table, the JSON keys (a documented, stable interface), and Prometheus text
that a strict parser of the exposition format accepts. Pure: hand-made snapshots.
"""

from __future__ import annotations

import json
import math
import re

import pytest

from pgsvc.cluster.lockfile import LockInfo
from pgsvc.monitor import clusters, render
from pgsvc.monitor.status import resolve_datadir
from pgsvc.monitor.collect import DatabaseSize, ProcessRow, ProcStats, Snapshot
from pgsvc.monitor.top import TopView, transaction_rates

NOW = 1_700_000_000.0

TOP_KEYS = {
    "format_version", "collected_at", "data_directory", "cluster", "status", "exit_code", "message",
    "stale_lock_file", "lock_file", "state", "ready", "supervisor", "listen",
    "data_directory_size_bytes", "databases", "connections", "registry_slots", "xact_commit",
    "xact_rollback", "backends", "auxiliary",
}
SUPERVISOR_KEYS = {"pid", "start_time", "uptime_seconds", "account", "uid", "command", "cpu_seconds",
                   "cpu_percent", "rss_bytes", "uss_bytes"}
PROCESS_KEYS = {"pid", "backend_type", "user", "database", "client_addr", "client_port",
                "application_name", "state", "query", "backend_start", "xact_start", "query_start",
                "state_change", "xact_commit", "xact_rollback", "command", "cpu_seconds", "cpu_percent",
                "rss_bytes", "uss_bytes"}
LOCK_KEYS = {"pid", "data_directory", "start_time", "port", "socket_directory", "listen_address", "status"}


# ------------------------------------------------------------ a strict exposition parser
_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^(?P<name>{_NAME})(?:\{{(?P<labels>.*)\}})?\s+(?P<value>\S+)(?:\s+-?\d+)?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\s*(,|$)')
_TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_prometheus(text: str) -> tuple[dict, dict]:
    """Parse text format 0.0.4 strictly: ({(name, frozenset(labels)): value}, {family: type}).

    Raises ValueError on anything a Prometheus server would reject: bad names, bad label
    syntax or escapes, unparsable values, a TYPE after its samples or twice, a sample
    of an undeclared family, the same series twice.
    """
    samples: dict = {}
    types: dict[str, str] = {}
    seen_families: set[str] = set()
    if not text.endswith("\n"):
        raise ValueError("exposition must end with a newline")
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                if not re.fullmatch(_NAME, parts[2]):
                    raise ValueError(f"line {lineno}: bad metric name {parts[2]!r}")
                if parts[1] == "TYPE":
                    kind = parts[3] if len(parts) > 3 else ""
                    if kind not in _TYPES or parts[2] in types or parts[2] in seen_families:
                        raise ValueError(f"line {lineno}: bad or repeated TYPE: {line!r}")
                    types[parts[2]] = kind
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError(f"line {lineno}: not a sample: {line!r}")
        name = m.group("name")
        labels = {}
        raw = m.group("labels") or ""
        pos = 0
        while pos < len(raw):
            lm = _LABEL.match(raw, pos)
            if not lm or lm.end() == pos:
                raise ValueError(f"line {lineno}: bad labels {raw!r}")
            value = re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), lm.group(2))
            if lm.group(1) in labels:
                raise ValueError(f"line {lineno}: label {lm.group(1)} repeated")
            labels[lm.group(1)] = value
            pos = lm.end()
        try:
            value = float(m.group("value"))
        except ValueError:
            raise ValueError(f"line {lineno}: bad value {m.group('value')!r}") from None
        family = next((f for f in (name, re.sub(r"_(total|sum|count|bucket)$", "", name)) if f in types), None)
        if family is None:
            raise ValueError(f"line {lineno}: sample of undeclared family {name}")
        seen_families.add(family)
        key = (name, frozenset(labels.items()))
        if key in samples:
            raise ValueError(f"line {lineno}: duplicate series {line!r}")
        samples[key] = value
    return samples, types


def sample(samples: dict, name: str, **labels) -> float:
    matches = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls)]
    assert len(matches) == 1, (name, labels, matches)
    return matches[0]


def test_parser_rejects_malformed_text():
    for bad in ('x 1\n', '# TYPE x gauge\nx{a="b} 1\n', '# TYPE x gauge\nx 1\nx 1\n',
                '# TYPE x gauge\nx one\n', '# TYPE x gauge\nx 1\n# TYPE x gauge\n', '# TYPE x gauge\nx 1'):
        with pytest.raises(ValueError):
            parse_prometheus(bad)
    samples, _ = parse_prometheus('# TYPE x gauge\nx{a="q\\"\\\\\\n"} NaN\n')
    assert math.isnan(samples[("x", frozenset({("a", 'q"\\\n')}))])


# ------------------------------------------------------------ snapshots
def backend(pid: int, state: str, query: str = "", **kw) -> ProcessRow:
    return ProcessRow(pid=pid, backend_type="client backend", start=NOW - 100, user="alice",
                      database="shop", client_addr="127.0.0.1", client_port=40000 + pid % 1000,
                      application_name="app", state=state, query=query,
                      stats=ProcStats(1.5, 2.0, 30 << 20, 3 << 20), **kw)


def running_snapshot() -> Snapshot:
    long_query = "SELECT *\n  FROM orders\n WHERE id IN (" + ", ".join(str(i) for i in range(100)) + ")"
    return Snapshot(
        datadir="/srv/pg/data", collected_at=NOW, code=0, message="pgsvc: server is running (PID: 100)",
        lock=LockInfo(100, "/srv/pg/data", NOW - 3600, 5432, "/run/pgsvc", "127.0.0.1",
                      "file /srv/pg/data/pgsvc.shm", "ready"),
        supervisor_pid=100, start_time=NOW - 3661, account="pgsvc", uid=998, command="pgsvc server -D x",
        supervisor=ProcStats(12.25, 0.3, 40 << 20, 12 << 20),
        listen_tcp=["127.0.0.1:5432", "[::1]:5432"], listen_unix=["/run/pgsvc/.s.PGSQL.5432"],
        datadir_size=5 << 20, databases=[DatabaseSize(5, "postgres", 8192), DatabaseSize(16384, 'we"ird\\db', 4096)],
        backends=[
            backend(201, "active", long_query, query_start=NOW - 2.5, xact_start=NOW - 2.5,
                    state_change=NOW - 2.5, xact_commit=7),
            backend(202, "idle", "SELECT 1", query_start=NOW - 50, state_change=NOW - 49),
            backend(203, "idle in transaction", "BEGIN", xact_start=NOW - 10, query_start=NOW - 10,
                    xact_rollback=1),
            ProcessRow(pid=204, backend_type="client backend", start=NOW - 1, client_addr="[local]",
                       state="starting"),
        ],
        auxiliary=[ProcessRow(pid=300, backend_type="auxiliary", command="pgsvc: checkpointer",
                              start=NOW - 3600, stats=ProcStats(0.5, 0.0, 20 << 20, None))],
        registry_slots=108, xact_commit=42, xact_rollback=3)


def stopped_snapshot(stale: bool = False) -> Snapshot:
    return Snapshot(datadir="/srv/pg/data", collected_at=NOW, code=3,
                    message="pgsvc: no server running", stale_lock=stale,
                    lock=LockInfo(4242, "/srv/pg/data", NOW, 5432, "/tmp", "", "", "ready") if stale else None,
                    datadir_size=1234, databases=[DatabaseSize(5, "postgres", 8192)])


# ------------------------------------------------------------ text
def test_text_shows_supervisor_and_every_backend():
    out = render.render_text(running_snapshot())
    first, *rest = out.splitlines()
    assert first == "pgsvc: server is running (PID: 100)"
    for expected in ("ready", "1h01m", "pgsvc (uid 998)", "127.0.0.1:5432", "[::1]:5432",
                     "/run/pgsvc/.s.PGSQL.5432", "5.0 MiB", "42 committed, 3 rolled back",
                     "4 (1 starting, 1 idle, 1 active, 1 idle in transaction)",
                     "backends (4):", "auxiliary processes (1):", "pgsvc: checkpointer"):
        assert expected in out, expected
    rows = {line.split()[0]: line for line in rest if line.strip() and line.split()[0].isdigit()}
    assert set(rows) == {"201", "202", "203", "204", "300"}
    assert "idle in transaction" in rows["203"] and "[local]" in rows["204"]
    assert "127.0.0.1:40201" in rows["201"] and "alice" in rows["201"] and "shop" in rows["201"]
    assert "SELECT * FROM orders WHERE id IN (0, 1" in rows["201"]  # newlines folded
    assert rows["201"].endswith("…") and len(rows["201"].split("SELECT", 1)[1]) < render.QUERY_WIDTH
    assert "30.0 MiB" in rows["201"] and "3.0 MiB" in rows["201"] and "2.0" in rows["201"]
    assert "2.5s" in rows["201"]  # query age


def test_text_when_stopped_has_no_process_sections():
    out = render.render_text(stopped_snapshot())
    assert out.startswith("pgsvc: no server running\n")
    assert "backends" not in out and "postgres 8.0 KiB" in out


def test_text_unknown_is_only_the_message():
    snap = Snapshot(datadir="/nope", collected_at=NOW, code=4, message='pgsvc: directory "/nope" does not exist')
    assert render.render_text(snap) == 'pgsvc: directory "/nope" does not exist\n'


@pytest.mark.parametrize("seconds, text", [(None, "-"), (0.04, "0.0s"), (59.94, "59.9s"), (61, "1m01s"),
                                           (3600, "1h00m"), (90061, "1d01h")])
def test_human_duration(seconds, text):
    assert render.human_duration(seconds) == text


def test_human_bytes():
    assert [render.human_bytes(n) for n in (None, 0, 1023, 1024, 5 << 20, 3 << 30)] == \
        ["-", "0 B", "1023 B", "1.0 KiB", "5.0 MiB", "3.0 GiB"]


# ------------------------------------------------------------ JSON
def test_json_keys_are_the_documented_ones():
    doc = json.loads(render.render_json(running_snapshot()))
    assert set(doc) == TOP_KEYS
    assert set(doc["supervisor"]) == SUPERVISOR_KEYS
    assert set(doc["lock_file"]) == LOCK_KEYS
    for row in doc["backends"] + doc["auxiliary"]:
        assert set(row) == PROCESS_KEYS
    assert doc["format_version"] == 1
    assert (doc["status"], doc["exit_code"], doc["state"], doc["ready"]) == ("running", 0, "ready", True)
    assert doc["connections"]["active"] == 1 and doc["connections"]["starting"] == 1
    assert doc["listen"] == {"tcp": ["127.0.0.1:5432", "[::1]:5432"], "unix": ["/run/pgsvc/.s.PGSQL.5432"]}
    active = doc["backends"][0]
    assert active["query"].startswith("SELECT *\n  FROM orders")  # JSON keeps the full text
    assert active["query_start"] == "2023-11-14T22:13:17.500+00:00"
    assert doc["backends"][1]["xact_start"] is None
    assert doc["auxiliary"][0]["uss_bytes"] is None and doc["auxiliary"][0]["command"] == "pgsvc: checkpointer"
    assert doc["supervisor"]["uptime_seconds"] == 3661
    assert doc["databases"][1] == {"oid": 16384, "name": 'we"ird\\db', "size_bytes": 4096}


def test_json_when_stopped_and_stale():
    doc = json.loads(render.render_json(stopped_snapshot(stale=True)))
    assert set(doc) == TOP_KEYS
    assert (doc["status"], doc["exit_code"], doc["stale_lock_file"]) == ("not running", 3, True)
    assert doc["supervisor"] is None and doc["state"] is None and doc["ready"] is False
    assert doc["lock_file"]["pid"] == 4242
    assert doc["backends"] == [] and doc["connections"] == {}


# ------------------------------------------------------------ Prometheus
def test_prometheus_running():
    samples, types = parse_prometheus(render.render_prometheus(running_snapshot()))
    dd = {"data_directory": "/srv/pg/data"}
    assert sample(samples, "pgsvc_up", **dd) == 1
    assert sample(samples, "pgsvc_ready", **dd) == 1
    assert sample(samples, "pgsvc_uptime_seconds") == 3661
    assert sample(samples, "pgsvc_connections", state="active") == 1
    assert sample(samples, "pgsvc_connections", state="idle") == 1
    assert sample(samples, "pgsvc_connections", state="idle in transaction") == 1
    assert sample(samples, "pgsvc_connections", state="idle in transaction (aborted)") == 0
    assert sample(samples, "pgsvc_backends", backend_type="client backend") == 4
    assert sample(samples, "pgsvc_backends", backend_type="auxiliary") == 1
    assert sample(samples, "pgsvc_process_cpu_seconds", process_type="supervisor") == 12.25
    assert sample(samples, "pgsvc_process_cpu_seconds", process_type="client backend") == 4.5
    assert sample(samples, "pgsvc_process_resident_memory_bytes", process_type="client backend") == 90 << 20
    assert sample(samples, "pgsvc_process_unique_memory_bytes", process_type="supervisor") == 12 << 20
    assert not [k for k in samples if k[0] == "pgsvc_process_unique_memory_bytes"
                and ("process_type", "auxiliary") in k[1]]  # unknown USS is left out, not 0
    assert sample(samples, "pgsvc_xact_commit_total") == 42
    assert sample(samples, "pgsvc_xact_rollback_total") == 3
    assert sample(samples, "pgsvc_database_size_bytes", datname='we"ird\\db') == 4096
    assert sample(samples, "pgsvc_data_directory_size_bytes") == 5 << 20
    assert types["pgsvc_xact_commit_total"] == "counter" and types["pgsvc_connections"] == "gauge"


def test_prometheus_stopped():
    samples, _ = parse_prometheus(render.render_prometheus(stopped_snapshot(stale=True)))
    assert sample(samples, "pgsvc_up") == 0
    assert not [k for k in samples if k[0] == "pgsvc_connections"]
    assert sample(samples, "pgsvc_database_size_bytes", datname="postgres") == 8192


# ------------------------------------------------------------ top, clusters, arguments
def test_top_lines_and_rates():
    first, second = running_snapshot(), running_snapshot()
    second.collected_at, second.xact_commit, second.xact_rollback = NOW + 2, 52, 4
    assert transaction_rates(first, second) == (5.0, 0.5)
    assert transaction_rates(None, second) is None
    view = TopView("/srv/pg/data")
    view.current, view.rates = second, (5.0, 0.5)
    lines = view.lines(160)
    assert lines[0].startswith("pgsvc top - /srv/pg/data")
    assert any("5.0 commit/s" in line for line in lines)
    table_rows = [line for line in lines if line[:3].isdigit()]
    assert [row.split()[0] for row in table_rows] == ["201", "203", "204", "202"]  # active first, idle last
    view.current = stopped_snapshot()
    assert "pgsvc: no server running" in view.lines(80)


def test_cluster_names_and_units(tmp_path, monkeypatch):
    monkeypatch.setenv("PGSVC_CLUSTERS_DIR", str(tmp_path))
    assert clusters.cluster_datadir("main") == str(tmp_path / "main")
    for bad in ("", "..", "../etc", "a/b", ".hidden"):
        with pytest.raises(clusters.ClusterNameError):
            clusters.cluster_datadir(bad)
    assert clusters.systemd_unit(str(tmp_path / "data")) == "pgsvc.service"
    assert clusters.systemd_unit(str(tmp_path / "second")) == "pgsvc@second.service"
    assert clusters.systemd_unit("/elsewhere/data") is None
    assert resolve_datadir("/x", "second") == (str(tmp_path / "second"), None)
    assert resolve_datadir(None, None)[0] is None
    assert resolve_datadir("rel", None) == (str(tmp_path.cwd() / "rel"), None)


def test_cluster_table():
    rows = [clusters.ClusterRow("main", 5432, "online", "pgsvc", "/var/lib/pgsvc/main",
                                "journal (pgsvc@main.service)", 10, "systemd"),
            clusters.ClusterRow("-", None, "down", None, "/tmp/x", "-", None, "command line")]
    lines = clusters.render_clusters(rows).splitlines()
    assert lines[0].split() == ["Cluster", "Port", "Status", "Owner", "Data", "directory", "Log", "file"]
    assert lines[1].split()[:5] == ["main", "5432", "online", "pgsvc", "/var/lib/pgsvc/main"]
    assert lines[2].split() == ["-", "-", "down", "-", "/tmp/x", "-"]
    assert json.loads(clusters.render_clusters_json(rows))[0]["log"] == "journal (pgsvc@main.service)"
