"""`pgsvc status`: which data directory (-D, PGDATA or --cluster), its Snapshot, rendered
as text, JSON or Prometheus, and the exit code (0 running, 3 not running, 4 unknown)."""

from __future__ import annotations

import os

from pgsvc.monitor.clusters import ClusterNameError, cluster_datadir
from pgsvc.monitor.collect import collect
from pgsvc.monitor.identity import UNKNOWN
from pgsvc.monitor.render import render_json, render_prometheus, render_text

FORMATS = ("text", "json", "prometheus")


def resolve_datadir(datadir: str | None, cluster: str | None) -> tuple[str | None, str | None]:
    """(data directory, error message): --cluster NAME or -D/PGDATA."""
    if cluster:
        try:
            return cluster_datadir(cluster), None
        except ClusterNameError as e:
            return None, str(e)
    if not datadir:
        return None, "pgsvc: no database directory specified and environment variable PGDATA unset"
    return os.path.abspath(datadir), None


def status_report(datadir: str | None, cluster: str | None = None, fmt: str = "text") -> tuple[int, str]:
    """(exit code, output) for `pgsvc status`: 0 running, 3 not running, 4 unknown."""
    path, error = resolve_datadir(datadir, cluster)
    if path is None:
        return UNKNOWN, error + "\n"
    snap = collect(path, cluster)
    render = {"text": render_text, "json": render_json, "prometheus": render_prometheus}[fmt]
    return snap.code, render(snap)
