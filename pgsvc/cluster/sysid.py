"""The cluster's system identifier (PostgreSQL's pg_control system_identifier): a 64-bit
number fixed once per cluster, reported by IDENTIFY_SYSTEM, and carried over by a base
backup (a copy is the same cluster; a subscriber or a backup tool can tell clusters apart).

Kept in DATADIR/global/system_identifier, written on first use (clusters made before the
file existed get one then): made as PostgreSQL's BootStrapXLOG makes it, from the time of
day and the pid, and published with link() so that two backends asking at once agree.
"""

from __future__ import annotations

import os
import time

FILE_NAME = "system_identifier"


def system_identifier(datadir: str) -> int:
    path = os.path.join(datadir, "global", FILE_NAME)
    found = _read(path)
    if found is not None:
        return found
    now = time.time_ns() // 1000
    value = ((now // 1_000_000) << 32) | ((now % 1_000_000) << 12) | (os.getpid() & 0xFFF)
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{value}\n")
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(tmp, path)  # fails if another process published first: theirs wins
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    return _read(path) or value


def _read(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().strip())
    except (FileNotFoundError, ValueError):
        return None
