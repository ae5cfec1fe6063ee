"""Replication slots in the data directory (PostgreSQL's slot.c): DATADIR/pg_replslot/<name>/.

A slot is what a logical subscriber streams from: the database it is bound to, its output
plugin, and two positions in the change log — confirmed_flush_lsn (what the subscriber
has durably applied and said so) and restart_lsn (where streaming must be able to restart;
the change log keeps everything from the lowest restart_lsn of its database's slots).

On disk, per slot:
    pg_replslot/<name>/state    JSON, replaced atomically (write a temporary file, fsync it,
                                rename it into place, fsync the directory), so a crash at
                                any point leaves either the old or the new state, never a
                                torn one. This is what survives a restart and a crash.
    pg_replslot/<name>/active   held with flock(LOCK_EX) by the backend that uses the slot
                                (a walsender streaming from it, or the session owning a
                                temporary slot); it holds that backend's pid and, while it
                                streams, its progress (pg_stat_replication). The kernel
                                drops the flock when the backend dies, so a slot is never
                                left "active" by a process that is gone.
    pg_replslot/.lock           flock(LOCK_EX) around creating and dropping, so two
                                backends cannot create the same name or drop a slot another
                                is acquiring.

Temporary slots (CREATE_REPLICATION_SLOT ... TEMPORARY) are kept the same way so that every
backend sees them in pg_replication_slots; their state says temporary and the owner keeps
them acquired for its whole session; one whose owner is gone is removed when found
(as PostgreSQL drops a temporary slot at session end, or at start-up after a crash).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time
from dataclasses import asdict, dataclass

from pgsvc.errors import SqlError

SLOT_DIR = "pg_replslot"
MAX_REPLICATION_SLOTS = 10  # PostgreSQL 15's default max_replication_slots
NAMEDATALEN = 64
_NAME_RE = re.compile(r"[a-z0-9_]*")


def format_lsn(lsn: int) -> str:
    """PostgreSQL's %X/%X form of an LSN."""
    return f"{(lsn >> 32) & 0xFFFFFFFF:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    """'16/B374D848' -> int; 22P02 as pg_lsn's input function says."""
    m = re.fullmatch(r"\s*([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})\s*", text or "")
    if m is None:
        raise SqlError("22P02", f'invalid input syntax for type pg_lsn: "{text}"')
    return (int(m.group(1), 16) << 32) | int(m.group(2), 16)


@dataclass
class Slot:
    name: str
    plugin: str
    database_oid: int
    database: str
    temporary: bool = False
    restart_lsn: int = 0
    confirmed_flush_lsn: int = 0
    two_phase: bool = False
    slot_type: str = "logical"


@dataclass
class Activity:
    """What the backend holding a slot says about itself (the `active` file)."""
    pid: int
    sent_lsn: int = 0
    write_lsn: int = 0
    flush_lsn: int = 0
    replay_lsn: int = 0
    reply_time: float | None = None  # unix seconds of the last standby status update
    streaming: bool = False


def validate_name(name: str) -> None:
    """ReplicationSlotValidateName's checks, messages and SQLSTATE."""
    if len(name) == 0:
        raise SqlError("42602", f'replication slot name "{name}" is too short')
    if len(name.encode()) >= NAMEDATALEN:
        raise SqlError("42602", f'replication slot name "{name}" is too long')
    if not _NAME_RE.fullmatch(name):
        raise SqlError("42602", f'replication slot name "{name}" contains invalid character',
                       hint="Replication slot names may only contain lower case letters, numbers, "
                            "and the underscore character.")


def check_requirements(settings, logical: bool = True) -> None:
    """CheckSlotRequirements / CheckLogicalDecodingRequirements: slots at all
    (max_replication_slots > 0), and wal_level logical for a logical one (55000)."""
    if int(settings.get("max_replication_slots") or 0) == 0:
        raise SqlError("55000", "replication slots can only be used if max_replication_slots > 0")
    if logical and str(settings.get("wal_level") or "logical") != "logical":
        raise SqlError("55000", "logical decoding requires wal_level >= logical")


def slot_limit(settings) -> int:
    return int(settings.get("max_replication_slots") or 0)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)
    _fsync_dir(os.path.dirname(path))


class SlotStore:
    """The slots of one data directory. Cheap to make; holds no file open except the
    `active` files of the slots this process has acquired."""

    def __init__(self, datadir: str) -> None:
        self.root = os.path.join(datadir, SLOT_DIR)
        self._held: dict[str, int] = {}  # name -> fd of its flocked `active` file
        self._lock_depth = 0

    # ------------------------------------------------------------ reading
    def _dir(self, name: str) -> str:
        return os.path.join(self.root, name)

    def names(self) -> list[str]:
        try:
            entries = os.listdir(self.root)
        except FileNotFoundError:
            return []
        return sorted(e for e in entries if not e.startswith(".") and not e.endswith(".tmp")
                      and os.path.exists(os.path.join(self.root, e, "state")))

    def read(self, name: str) -> Slot | None:
        try:
            with open(os.path.join(self._dir(name), "state"), "rb") as f:
                data = json.loads(f.read())
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (OSError, ValueError):
            return None
        return Slot(**{k: v for k, v in data.items() if k in Slot.__dataclass_fields__})

    def get(self, name: str) -> Slot:
        slot = self.read(name)
        if slot is None:
            raise SqlError("42704", f'replication slot "{name}" does not exist')
        return slot

    def activity(self, name: str) -> Activity | None:
        """The holder of a slot (None: inactive). A holder that died left no flock."""
        if name in self._held:
            return self._read_activity(self._held[name])
        try:
            fd = os.open(os.path.join(self._dir(name), "active"), os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return self._read_activity(fd)
            return None
        finally:
            os.close(fd)

    @staticmethod
    def _read_activity(fd: int) -> Activity | None:
        try:
            raw = os.pread(fd, 65536, 0)
            data = json.loads(raw) if raw else {}
        except (OSError, ValueError):
            return None
        if "pid" not in data:
            return None
        return Activity(**{k: v for k, v in data.items() if k in Activity.__dataclass_fields__})

    def slots(self) -> list[tuple[Slot, Activity | None]]:
        """Every slot with its holder, leaving out (and removing) temporary slots whose owner
        is gone."""
        out = []
        for name in self.names():
            slot = self.read(name)
            if slot is None:
                continue
            act = self.activity(name)
            if slot.temporary and act is None:
                self._remove_orphan(name)
                continue
            out.append((slot, act))
        return out

    def min_required_lsn(self, database_oid: int) -> int | None:
        """The lowest restart_lsn of the database's slots: the change log keeps everything
        from there (None: no slot needs anything)."""
        lsns = [s.restart_lsn for s, _ in self.slots() if s.database_oid == database_oid]
        return min(lsns) if lsns else None

    # ------------------------------------------------------------ creating and dropping
    @contextlib.contextmanager
    def locked(self):
        """Creating and dropping slots wait while this is held: a walsender computes the
        lowest position the database's slots need and compacts the change log under it, so a
        slot being created (its position read under it too) cannot lose what it starts from."""
        with self._locked():
            yield

    @contextlib.contextmanager
    def _locked(self):
        if self._lock_depth:  # re-entered by this store (a create under locked())
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        os.makedirs(self.root, mode=0o700, exist_ok=True)
        fd = os.open(os.path.join(self.root, ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._lock_depth = 1
            yield
        finally:
            self._lock_depth = 0
            os.close(fd)

    def check_new(self, name: str, limit: int = MAX_REPLICATION_SLOTS) -> None:
        """What ReplicationSlotCreate checks before anything else: the name, a duplicate
        (42710), max_replication_slots (`limit`; 53400)."""
        validate_name(name)
        with self._locked():
            for other in self.names():  # orphaned temporary slots do not count
                s = self.read(other)
                if s is not None and s.temporary and self.activity(other) is None:
                    self._remove_orphan(other, locked=True)
            existing = self.names()
            if name in existing:
                raise SqlError("42710", f'replication slot "{name}" already exists')
            if len(existing) >= limit:
                raise SqlError("53400", "all replication slots are in use",
                               hint="Free one or increase max_replication_slots.")

    def create(self, slot: Slot, pid: int, limit: int = MAX_REPLICATION_SLOTS) -> Slot:
        """Create and acquire (the creator holds a new slot, as PostgreSQL's does). 42710 on
        a duplicate name, 53400 when max_replication_slots (`limit`) are in use."""
        with self._locked():
            self.check_new(slot.name, limit)
            tmp = self._dir(slot.name) + ".tmp"
            if os.path.isdir(tmp):
                _rmtree(tmp)
            os.makedirs(tmp, mode=0o700)
            _write_durably(os.path.join(tmp, "state"), _encode(slot))
            os.rename(tmp, self._dir(slot.name))
            _fsync_dir(self.root)
            self._acquire_fd(slot.name, pid)
        return slot

    def drop(self, name: str, pid: int, wait: bool = False, cancel=None) -> None:
        """DROP_REPLICATION_SLOT / pg_drop_replication_slot: 42704 missing, 55006 active
        (unless `wait`: wait until its holder lets go, checking `cancel()`)."""
        while True:
            with self._locked():
                if self.read(name) is None:
                    raise SqlError("42704", f'replication slot "{name}" does not exist')
                if name not in self._held:
                    try:
                        self._acquire_fd(name, pid)
                    except SqlError:
                        if not wait:
                            raise
                    else:
                        self._remove(name)
                        return
                else:
                    self._remove(name)
                    return
            if cancel is not None:
                cancel()
            time.sleep(0.05)

    def _remove(self, name: str) -> None:
        fd = self._held.pop(name, None)
        path = self._dir(name)
        doomed = path + f".dropped.{os.getpid()}"
        os.rename(path, doomed)  # gone from one rename on: never half a slot under its name
        _fsync_dir(self.root)
        if fd is not None:
            os.close(fd)
        _rmtree(doomed)

    def _remove_orphan(self, name: str, locked: bool = False) -> None:
        ctx = contextlib.nullcontext() if locked else self._locked()
        with ctx:
            try:
                self._acquire_fd(name, os.getpid())
            except SqlError:
                return
            slot = self.read(name)
            if slot is not None and slot.temporary:
                self._remove(name)
            else:
                self.release(name)

    # ------------------------------------------------------------ using
    def acquire(self, name: str, pid: int) -> Slot:
        """ReplicationSlotAcquire: 42704 missing, 55006 in use by another process."""
        slot = self.get(name)
        if name not in self._held:
            self._acquire_fd(name, pid)
            if self.read(name) is None:  # dropped between the read and the flock
                self.release(name)
                raise SqlError("42704", f'replication slot "{name}" does not exist')
        return slot

    def _acquire_fd(self, name: str, pid: int) -> None:
        path = os.path.join(self._dir(name), "active")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:  # dropped meanwhile
            raise SqlError("42704", f'replication slot "{name}" does not exist') from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._read_activity(fd)
            os.close(fd)
            raise SqlError("55006", f'replication slot "{name}" is active for PID '
                                    f'{holder.pid if holder else 0}') from None
        self._held[name] = fd
        self.report(name, Activity(pid=pid))

    def held(self, name: str) -> bool:
        return name in self._held

    def report(self, name: str, activity: Activity) -> None:
        """The holder's progress for pg_stat_replication (not fsynced: it dies with us)."""
        fd = self._held.get(name)
        if fd is None:
            return
        data = json.dumps(asdict(activity)).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)

    def release(self, name: str) -> None:
        """Let go of a slot; a temporary one is dropped (its owner's session ends)."""
        fd = self._held.get(name)
        if fd is None:
            return
        slot = self.read(name)
        if slot is not None and slot.temporary:
            with self._locked():
                self._remove(name)
            return
        self._held.pop(name)
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        os.close(fd)

    def release_all(self) -> None:
        for name in list(self._held):
            try:
                self.release(name)
            except OSError:
                pass

    def save(self, slot: Slot) -> None:
        """Persist a held slot's positions (durably: they must survive a crash)."""
        if slot.name not in self._held:
            raise SqlError("55000", f'replication slot "{slot.name}" is not acquired')
        _write_durably(os.path.join(self._dir(slot.name), "state"), _encode(slot))


def _encode(slot: Slot) -> bytes:
    return json.dumps(asdict(slot), sort_keys=True).encode()


def _rmtree(path: str) -> None:
    for root, dirs, files in os.walk(path, topdown=False):
        for f in files:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(root, f))
        for d in dirs:
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(root, d))
    with contextlib.suppress(OSError):
        os.rmdir(path)
