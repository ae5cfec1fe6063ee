"""`pgsvc ls`: the clusters on this machine, like Debian's pg_lsclusters.

Where clusters are found (each data directory once, in this order):

  1. `/var/lib/pgsvc/NAME/` holding a `PGSVC_VERSION` marker: the systemd clusters
     (`pgsvc.service` runs NAME=data, `pgsvc@NAME.service` any other NAME). Their log
     is the journal of that unit unless the running supervisor writes to a file.
  2. `/etc/pgsvc/clusters`: one cluster per line, `NAME DATADIR` or just `DATADIR`
     (listed without a name); `#` starts a comment. For clusters kept elsewhere (e.g. started by `pgsvc start`).
  3. data directories given with `-D` on the command line;
  4. running supervisors found on the machine (a pgsvc process that maps some
     `DATADIR/pgsvc.shm`), so that nothing that runs is missing from the list.

Only systemd clusters and named /etc/pgsvc/clusters entries have a name (the NAME of
`pgsvc status --cluster NAME` is the systemd one); the others show `-`.

`PGSVC_CLUSTERS_DIR` and `PGSVC_CONF_DIR` replace /var/lib/pgsvc and /etc/pgsvc (tests).
Status comes from monitor.identity: the lock file plus psutil identity checks.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
from dataclasses import asdict, dataclass

import psutil

from pgsvc.cluster.config import ConfigError, read_config
from pgsvc.cluster.layout import MARKER_NAME, Layout
from pgsvc.monitor.identity import RUNNING, UNKNOWN, find_supervisor, mapped_files
from pgsvc.monitor.render import table

DEFAULT_CLUSTERS_DIR = "/var/lib/pgsvc"
DEFAULT_CONF_DIR = "/etc/pgsvc"
DEFAULT_PORT = 5432
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]*")


class ClusterNameError(ValueError):
    pass


def clusters_dir() -> str:
    return os.environ.get("PGSVC_CLUSTERS_DIR") or DEFAULT_CLUSTERS_DIR


def conf_dir() -> str:
    return os.environ.get("PGSVC_CONF_DIR") or DEFAULT_CONF_DIR


def cluster_datadir(name: str) -> str:
    """The data directory of systemd instance NAME (`pgsvc@NAME.service`)."""
    if not _NAME.fullmatch(name or ""):
        raise ClusterNameError(f'pgsvc: invalid cluster name "{name}"')
    return os.path.join(clusters_dir(), name)


def systemd_unit(datadir: str) -> str | None:
    """The unit that runs a cluster in the clusters directory, else None."""
    parent, name = os.path.split(os.path.abspath(datadir).rstrip("/"))
    if os.path.realpath(parent) != os.path.realpath(clusters_dir()):
        return None
    return "pgsvc.service" if name == "data" else f"pgsvc@{name}.service"


@dataclass
class ClusterRow:
    name: str
    port: int | None
    status: str  # online / down / starting / stopping / unknown
    owner: str | None
    data_directory: str
    log: str
    pid: int | None
    source: str  # systemd / config / command line / running


# ------------------------------------------------------------ discovery
def configured(extra: list[str] = (), discover: bool = True) -> list[tuple[str, str, str]]:
    """(name, data directory, source) of every known cluster, each directory once."""
    found: dict[str, tuple[str, str, str]] = {}

    def add(name: str | None, path: str, source: str) -> None:
        path = os.path.abspath(path)
        key = os.path.realpath(path)
        if key not in found:
            found[key] = (name or "-", path, source)

    with contextlib.suppress(OSError):
        for entry in sorted(os.listdir(clusters_dir())):
            path = os.path.join(clusters_dir(), entry)
            if os.path.isfile(os.path.join(path, MARKER_NAME)):
                add(entry, path, "systemd")
    for name, path in _conf_entries():
        add(name, path, "config")
    for path in extra:
        add(None, path, "command line")
    if discover:
        for path in running_datadirs():
            add(None, path, "running")
    return list(found.values())


def _conf_entries() -> list[tuple[str | None, str]]:
    try:
        with open(os.path.join(conf_dir(), "clusters"), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    entries = []
    for line in lines:
        words = line.split("#", 1)[0].split()
        if len(words) == 1:
            entries.append((None, words[0]))
        elif len(words) >= 2:
            entries.append((words[0], words[1]))
    return entries


def running_datadirs() -> list[str]:
    """Data directories whose registry some pgsvc process maps (root sees them all)."""
    dirs: set[str] = set()
    for proc in psutil.process_iter(["name", "cmdline"]):
        info = proc.info
        words = [info.get("name") or ""] + list(info.get("cmdline") or [])[:3]
        if not any("pgsvc" in w for w in words):
            continue
        for path in mapped_files(proc.pid) or ():
            if os.path.basename(path) == "pgsvc.shm":
                dirs.add(os.path.dirname(path))
    return sorted(dirs)


# ------------------------------------------------------------ one row
def describe(name: str, datadir: str, source: str) -> ClusterRow:
    finding = find_supervisor(datadir)
    port = finding.lock.port if finding.code == RUNNING and finding.lock else configured_port(datadir)
    if finding.code == RUNNING:
        status = {"ready": "online", "starting": "starting", "stopping": "stopping"}.get(
            finding.lock.status if finding.lock else "", "online")
    else:
        status = "unknown" if finding.code == UNKNOWN else "down"
    pid = finding.proc.pid if finding.proc is not None else None
    return ClusterRow(name, port, status, owner_of(datadir), finding.datadir,
                      log_location(datadir, pid), pid, source)


def configured_port(datadir: str) -> int | None:
    path = Layout(os.path.abspath(datadir)).conf
    try:
        values = read_config(path)
    except (OSError, ConfigError):
        return None if not os.path.exists(path) else DEFAULT_PORT
    return int(values.get("port", DEFAULT_PORT))


def owner_of(datadir: str) -> str | None:
    try:
        uid = os.stat(datadir).st_uid
    except OSError:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def log_location(datadir: str, pid: int | None) -> str:
    """Where the server's log goes: its stderr file, the journal, or DATADIR/log."""
    if pid is not None:
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/2")
            if target.startswith("/") and os.path.isfile(target):
                return target
    unit = systemd_unit(datadir)
    if unit is not None:
        return f"journal ({unit})"
    logdir = Layout(os.path.abspath(datadir)).path("log")
    with contextlib.suppress(OSError):
        files = [os.path.join(logdir, f) for f in os.listdir(logdir)]
        files = [f for f in files if os.path.isfile(f)]
        if files:
            return max(files, key=os.path.getmtime)
    return "-"


def list_clusters(extra: list[str] = (), discover: bool = True) -> list[ClusterRow]:
    return [describe(*entry) for entry in configured(extra, discover)]


# ------------------------------------------------------------ output
def render_clusters(rows: list[ClusterRow]) -> str:
    cells = [[r.name, str(r.port) if r.port else "-", r.status, r.owner or "-", r.data_directory, r.log]
             for r in rows]
    return "\n".join(table(["Cluster", "Port", "Status", "Owner", "Data directory", "Log file"], cells)) + "\n"


def render_clusters_json(rows: list[ClusterRow]) -> str:
    return json.dumps([asdict(r) for r in rows], indent=2) + "\n"
