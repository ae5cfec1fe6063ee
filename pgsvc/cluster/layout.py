"""The data directory's layout: which file is where, and the version marker.

    DATADIR/PGSVC_VERSION      layout version marker (checked at start-up)
    DATADIR/pgsvc.conf         settings, postgresql.conf syntax
    DATADIR/pg_hba.conf        client authentication, PostgreSQL's syntax
    DATADIR/global/catalog.db  shared catalog: roles and databases (SQLite)
    DATADIR/base/<oid>.db      one SQLite file per database, named by OID so that no
                               database name can reach a path outside base/
    DATADIR/postmaster.pid     lock file while a supervisor runs
    DATADIR/pgsvc.shm          the backend registry (shared memory, mmapped)
    DATADIR/pgsvc_notify.shm   the LISTEN/NOTIFY queue (shared memory, mmapped)
    DATADIR/pgsvc_locks.shm    the lock table of advisory locks (shared memory, mmapped)
    DATADIR/log/               log files written by `pgsvc start -l`
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# Bumped when the on-disk layout changes incompatibly; a server refuses other versions.
LAYOUT_VERSION = "1"
MARKER_NAME = "PGSVC_VERSION"


@dataclass(frozen=True)
class Layout:
    datadir: str

    def path(self, *parts: str) -> str:
        return os.path.join(self.datadir, *parts)

    @property
    def marker(self) -> str:
        return self.path(MARKER_NAME)

    @property
    def conf(self) -> str:
        return self.path("pgsvc.conf")

    @property
    def hba(self) -> str:
        return self.path("pg_hba.conf")

    @property
    def global_catalog(self) -> str:
        return self.path("global", "catalog.db")

    @property
    def base(self) -> str:
        return self.path("base")

    def database_file(self, oid: int) -> str:
        return self.path("base", f"{int(oid)}.db")

    @property
    def lockfile(self) -> str:
        return self.path("postmaster.pid")

    @property
    def registry(self) -> str:
        return self.path("pgsvc.shm")

    @property
    def notify_queue(self) -> str:
        return self.path("pgsvc_notify.shm")

    @property
    def lock_table(self) -> str:
        return self.path("pgsvc_locks.shm")

    @property
    def opts(self) -> str:
        return self.path("postmaster.opts")


def marker_text() -> str:
    return f"{LAYOUT_VERSION}\n"
