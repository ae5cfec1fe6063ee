"""Hot backups of a data directory: a consistent copy taken while the server runs and
writes go on (behind BASE_BACKUP / pg_basebackup and `pgsvc basebackup`).

How the copy is consistent:
- Every SQLite file (the global catalog, each database) is copied with SQLite's online
  backup API, never as raw bytes: a raw copy of a file being written can tear a page or
  miss the part of a commit that still sits in its -wal file.
- All of them are copied from ONE moment: a read transaction is opened on every SQLite
  file first, one after the other in a few milliseconds (the global catalog first), and
  each file is then copied inside its own open transaction (sqlite3_backup_step uses the
  source connection's read transaction when one is open). WAL mode lets writers go on
  meanwhile; they never wait for the backup, and the backup never restarts. So the copy
  holds exactly the transactions committed before that moment (every transaction
  acknowledged before the backup began), in every database alike.
- The other files (configuration, pg_hba.conf, the version marker, the system
  identifier) are read right after the read transactions are open.
- Left out: what belongs to a running server and is remade at start (postmaster.pid,
  postmaster.opts, the shared-memory files *.shm, the database writer lock files
  *.db.lock, SQLite's -wal/-shm/-journal sidecars, sockets), the contents of pgsql_tmp
  and pg_replslot (a slot does not belong to a copy, as in PostgreSQL), an earlier
  backup_label / backup_manifest, and backups in progress (pgsvc_basebackup.*).

The copy is written as a plain directory (mode 0700, files 0600 as initdb makes them); the
walsender streams it as a tar archive from there (pgsvc.backend.walsender.basebackup).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import stat
import tarfile
from dataclasses import dataclass, field
from urllib.parse import quote

from pgsvc.cluster.checks import check_marker
from pgsvc.cluster.layout import Layout
from pgsvc.errors import PgsvcError
from pgsvc.sqlite import sqlite3

STAGING_PREFIX = "pgsvc_basebackup."
GLOBAL_CATALOG = "global/catalog.db"
SQLITE_MAGIC = b"SQLite format 3\x00"
_SKIP_FILES = {"postmaster.pid", "postmaster.opts", "backup_label", "backup_manifest", "tablespace_map"}
_SKIP_SUFFIXES = ("-wal", "-shm", "-journal", ".db.lock")
_EMPTY_DIRS = {"pgsql_tmp", "pg_replslot"}  # kept, without their contents


@dataclass
class Member:
    path: str  # relative to the data directory, '/'-separated
    kind: str  # "dir" | "file" | "symlink"
    mode: int
    mtime: float
    size: int = 0
    target: str = ""  # a symlink's


@dataclass
class BackupResult:
    members: list[Member] = field(default_factory=list)
    started: dt.datetime | None = None  # the moment the copy is consistent at
    label: str = ""

    @property
    def total_size(self) -> int:
        return sum(m.size for m in self.members if m.kind == "file")


def is_sqlite_file(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def _skipped(rel: str, name: str, st: os.stat_result) -> bool:
    if "/" not in rel and (name in _SKIP_FILES or name.endswith(".shm") or name.startswith(STAGING_PREFIX)):
        return True
    if name.endswith(_SKIP_SUFFIXES):
        return True
    return not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode))


def _walk(datadir: str) -> list[tuple[str, os.stat_result]]:
    """Every member to copy, parents before children, sorted within a directory."""
    out: list[tuple[str, os.stat_result]] = []

    def visit(rel: str) -> None:
        full = os.path.join(datadir, rel) if rel else datadir
        try:
            names = sorted(os.listdir(full))
        except FileNotFoundError:
            return
        for name in names:
            child = f"{rel}/{name}" if rel else name
            try:
                st = os.lstat(os.path.join(datadir, child))
            except FileNotFoundError:
                continue  # gone meanwhile (a temporary file)
            if _skipped(child, name, st):
                continue
            out.append((child, st))
            if stat.S_ISDIR(st.st_mode) and name not in _EMPTY_DIRS:
                visit(child)

    visit("")
    return out


def copy_cluster(datadir: str, dest: str, label: str = "pgsvc base backup") -> BackupResult:
    """Copy the data directory `datadir` into the new directory `dest` (which must not
    exist), consistent as described above. Returns what was copied."""
    os.mkdir(dest, 0o700)
    os.chmod(dest, 0o700)
    result = BackupResult(label=label)
    sources: dict[str, sqlite3.Connection] = {}
    try:
        # The global catalog's snapshot first, then the files: every database it names
        # existed before the listing (a database dropped meanwhile is still copied from
        # its open file), and a database it does not name (created after it) is left out
        # whole rather than copied as a file no catalog row owns.
        catalog = GLOBAL_CATALOG
        sources[catalog] = _begin_read(os.path.join(datadir, catalog))
        databases = {f"base/{oid}.db" for (oid,) in sources[catalog].execute("SELECT oid FROM pg_database")}
        members = [(rel, st) for rel, st in _walk(datadir) if not _orphan(rel, databases)]
        for rel, st in members:
            if rel not in sources and stat.S_ISREG(st.st_mode) and rel.endswith(".db") \
                    and is_sqlite_file(os.path.join(datadir, rel)):
                conn = _begin_read(os.path.join(datadir, rel), missing_ok=True)
                if conn is not None:
                    sources[rel] = conn
        result.started = dt.datetime.now(dt.UTC)
        for rel, st in members:
            src, out = os.path.join(datadir, rel), os.path.join(dest, rel)
            if stat.S_ISDIR(st.st_mode):
                os.mkdir(out, 0o700)
                os.chmod(out, stat.S_IMODE(st.st_mode) & 0o750)
                kind = "dir"
            elif stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(src), out)
                kind = "symlink"
            elif rel in sources:
                _copy_database(sources.pop(rel), out)
                kind = "file"
            elif rel.endswith(".db") and rel.startswith("base/"):
                continue  # dropped between the listing and its snapshot
            else:
                if not _copy_file(src, out):
                    continue
                kind = "file"
            if kind == "file":
                os.chmod(out, 0o600)
            info = os.lstat(out)
            result.members.append(Member(rel, kind, stat.S_IMODE(info.st_mode), info.st_mtime,
                                         info.st_size if kind == "file" else 0,
                                         os.readlink(out) if kind == "symlink" else ""))
        _add_placeholder_dirs(dest, result)
        _add_backup_label(dest, result)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    finally:
        for conn in sources.values():
            with contextlib.suppress(Exception):
                conn.close()
    return result


def _orphan(rel: str, databases: set[str]) -> bool:
    return rel.startswith("base/") and rel.endswith(".db") and rel.count("/") == 1 and rel not in databases


def _begin_read(path: str, missing_ok: bool = False) -> sqlite3.Connection | None:
    """A connection holding a read transaction (its snapshot is what gets copied); never
    creates the file (mode=rw), so a database dropped since the listing stays gone."""
    try:
        conn = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, isolation_level=None,
                               check_same_thread=False)
    except sqlite3.OperationalError:
        if missing_ok and not os.path.exists(path):
            return None
        raise
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts here
    return conn


def _copy_database(source: sqlite3.Connection, out: str) -> None:
    target = sqlite3.connect(out, isolation_level=None)
    try:
        source.backup(target, pages=-1)  # one step: all pages from the open snapshot
        target.execute("PRAGMA journal_mode = WAL").fetchone()
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        target.close()
        source.close()


def _copy_file(src: str, out: str) -> bool:
    try:
        shutil.copyfile(src, out, follow_symlinks=False)
    except FileNotFoundError:
        return False  # removed meanwhile (a log file rotated away)
    return True


def _add_placeholder_dirs(dest: str, result: BackupResult) -> None:
    """Empty pg_wal and pg_tblspc, where PostgreSQL's layout has them: pg_basebackup
    syncs them after extracting a plain-format backup (pgsvc itself ignores them)."""
    for name in ("pg_wal", "pg_tblspc"):
        path = os.path.join(dest, name)
        if os.path.lexists(path):
            continue
        os.mkdir(path, 0o700)
        result.members.append(Member(name, "dir", 0o700, os.stat(path).st_mtime))


def _add_backup_label(dest: str, result: BackupResult) -> None:
    """backup_label: what the copy is, for the operator (pgsvc needs no recovery from it)."""
    started = result.started or dt.datetime.now(dt.UTC)
    text = (f"BACKUP METHOD: pgsvc online copy (SQLite backup API, one read snapshot per file)\n"
            f"BACKUP FROM: primary\n"
            f"START TIME: {started:%Y-%m-%d %H:%M:%S} UTC\n"
            f"LABEL: {result.label}\n"
            f"START TIMELINE: 1\n")
    path = os.path.join(dest, "backup_label")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)
    info = os.stat(path)
    result.members.insert(0, Member("backup_label", "file", 0o600, info.st_mtime, info.st_size))


def remove_stale_staging(datadir: str) -> None:
    """Staging directories of walsender backups whose process is gone (a crash)."""
    for name in os.listdir(datadir):
        if not name.startswith(STAGING_PREFIX):
            continue
        try:
            pid = int(name[len(STAGING_PREFIX):])
        except ValueError:
            continue
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(os.path.join(datadir, name), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_tar(source_dir: str, result: BackupResult, archive: str, gzip: bool = False) -> None:
    """The copy in `source_dir` as one tar archive (pgsvc basebackup -Ft), members as
    `result` lists them (parents first)."""
    with tarfile.open(archive, "w:gz" if gzip else "w", format=tarfile.USTAR_FORMAT) as tar:
        for m in result.members:
            tar.add(os.path.join(source_dir, m.path), arcname=m.path, recursive=False)
    os.chmod(archive, 0o600)


def basebackup(datadir: str, target: str, fmt: str = "p", gzip: bool = False,
               label: str = "pgsvc basebackup") -> BackupResult:
    """`pgsvc basebackup`: a hot copy of the data directory `datadir` (the server may run)
    into the new directory `target` — a data directory (fmt "p") or base.tar[.gz] in it
    (fmt "t"), as pg_basebackup lays them out."""
    check_marker(Layout(os.path.abspath(datadir)))
    if os.path.lexists(target) and (not os.path.isdir(target) or os.listdir(target)):
        raise PgsvcError(f'pgsvc basebackup: directory "{target}" exists but is not empty')
    created = not os.path.lexists(target)
    if fmt == "p":
        if not created:
            os.rmdir(target)  # copy_cluster makes it, mode 0700
        return copy_cluster(datadir, target, label)
    if created:
        os.mkdir(target, 0o700)
    staging = os.path.join(target, ".pgsvc_basebackup")
    try:
        result = copy_cluster(datadir, staging, label)
        write_tar(staging, result, os.path.join(target, "base.tar.gz" if gzip else "base.tar"), gzip)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result
