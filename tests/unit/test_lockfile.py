"""postmaster.pid: O_EXCL creation, layout, and stale detection with psutil identity
checks (dead pid, a live unrelated process, a live supervisor)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from pgsvc.cluster.lockfile import (
    STATUS_READY,
    LockFile,
    live_supervisor,
    read_lockfile,
)
from pgsvc.errors import StartupError


def fields(pid: int, datadir: str, start: float | None = None) -> list[str]:
    return [str(pid), datadir, str(int(start if start is not None else time.time())), "5432", "/tmp",
            "127.0.0.1", "", "starting"]


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


@pytest.fixture
def datadir(tmp_path):
    d = tmp_path / "data"
    d.mkdir(mode=0o700)
    return str(d)


def lockpath(datadir: str) -> str:
    return os.path.join(datadir, "postmaster.pid")


def test_create_layout_mode_and_status(datadir):
    lock = LockFile(lockpath(datadir), datadir, "data directory")
    lock.acquire(fields(os.getpid(), datadir))
    st = os.stat(lock.path)
    assert st.st_mode & 0o777 == 0o600
    info = read_lockfile(lock.path)
    assert (info.pid, info.datadir, info.port, info.socket_dir, info.listen_addr, info.status) == (
        os.getpid(), datadir, 5432, "/tmp", "127.0.0.1", "starting")
    lock.set_status(STATUS_READY)
    lines = open(lock.path).read().split("\n")
    assert lines[7] == "ready   "
    assert read_lockfile(lock.path).status == "ready"
    lock.release()
    assert not os.path.exists(lock.path)


def test_release_leaves_someone_elses_file(datadir):
    lock = LockFile(lockpath(datadir), datadir, "data directory")
    lock.acquire(fields(os.getpid(), datadir))
    with open(lock.path, "w") as f:
        f.write("\n".join(fields(12345, datadir)) + "\n")
    lock.release()
    assert os.path.exists(lock.path)


def test_stale_dead_pid_replaced(datadir):
    path = lockpath(datadir)
    with open(path, "w") as f:
        f.write("\n".join(fields(dead_pid(), datadir)) + "\n")
    lock = LockFile(path, datadir, "data directory")
    lock.acquire(fields(os.getpid(), datadir))
    assert read_lockfile(path).pid == os.getpid()


def test_stale_live_unrelated_process_replaced(datadir):
    """The pid is alive but is not a pgsvc supervisor (e.g. recycled by `sleep`)."""
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        path = lockpath(datadir)
        with open(path, "w") as f:
            f.write("\n".join(fields(sleeper.pid, datadir)) + "\n")
        info = read_lockfile(path)
        assert live_supervisor(info, datadir) is None
        LockFile(path, datadir, "data directory").acquire(fields(os.getpid(), datadir))
        assert read_lockfile(path).pid == os.getpid()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_live_supervisor_refuses(datadir):
    """A live process that is pgsvc (argv[0] "pgsvc") and older than the file."""
    sup = subprocess.Popen(["pgsvc", "30"], executable="/bin/sleep")
    try:
        time.sleep(0.1)
        path = lockpath(datadir)
        with open(path, "w") as f:
            f.write("\n".join(fields(sup.pid, datadir, time.time() + 1)) + "\n")
        before = open(path).read()
        with pytest.raises(StartupError) as e:
            LockFile(path, datadir, "data directory").acquire(fields(os.getpid(), datadir))
        assert "already exists" in str(e.value)
        assert f"PID {sup.pid}" in str(e.value)
        assert open(path).read() == before
    finally:
        sup.kill()
        sup.wait()


def test_live_supervisor_started_after_the_file_is_stale(datadir):
    """pid reuse: a pgsvc-looking process created after the lock was written is not it."""
    sup = subprocess.Popen(["pgsvc", "30"], executable="/bin/sleep")
    try:
        time.sleep(0.1)
        info = read_lockfile_from(datadir, fields(sup.pid, datadir, time.time() - 3600))
        assert live_supervisor(info, datadir) is None
    finally:
        sup.kill()
        sup.wait()


def test_live_supervisor_for_another_datadir_is_stale(datadir, tmp_path):
    sup = subprocess.Popen(["pgsvc", "30"], executable="/bin/sleep")
    try:
        time.sleep(0.1)
        info = read_lockfile_from(datadir, fields(sup.pid, str(tmp_path / "elsewhere"), time.time() + 1))
        assert live_supervisor(info, datadir) is None
        assert live_supervisor(info, None) is not None
    finally:
        sup.kill()
        sup.wait()


def read_lockfile_from(datadir: str, lines: list[str]):
    path = lockpath(datadir)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return read_lockfile(path)


def test_symlinked_lock_file_refused(datadir, tmp_path):
    target = tmp_path / "victim"
    target.write_text("precious\n")
    path = lockpath(datadir)
    os.symlink(target, path)
    with pytest.raises(StartupError, match="symbolic link"):
        LockFile(path, datadir, "data directory").acquire(fields(os.getpid(), datadir))
    with pytest.raises(StartupError, match="symbolic link"):
        read_lockfile(path)
    assert target.read_text() == "precious\n"
    assert os.path.islink(path)


def test_dangling_symlink_refused(datadir, tmp_path):
    path = lockpath(datadir)
    os.symlink(tmp_path / "does-not-exist", path)
    with pytest.raises(StartupError):
        LockFile(path, datadir, "data directory").acquire(fields(os.getpid(), datadir))
    assert not (tmp_path / "does-not-exist").exists()


def test_own_pid_in_file_refused(datadir):
    read_lockfile_from(datadir, fields(os.getpid(), datadir))
    with pytest.raises(StartupError, match="owned by this process"):
        LockFile(lockpath(datadir), datadir, "data directory").acquire(fields(os.getpid(), datadir))


def test_fresh_empty_file_is_not_stolen(datadir):
    open(lockpath(datadir), "w").close()
    with pytest.raises(StartupError, match="is empty"):
        LockFile(lockpath(datadir), datadir, "data directory").acquire(fields(os.getpid(), datadir))


def test_old_garbage_file_is_replaced(datadir):
    path = lockpath(datadir)
    with open(path, "w") as f:
        f.write("garbage\n")
    old = time.time() - 3600
    os.utime(path, (old, old))
    LockFile(path, datadir, "data directory").acquire(fields(os.getpid(), datadir))
    assert read_lockfile(path).pid == os.getpid()


def test_read_lockfile_absent_and_garbage(datadir):
    assert read_lockfile(lockpath(datadir)) is None
    with open(lockpath(datadir), "w") as f:
        f.write("x\n")
    assert read_lockfile(lockpath(datadir)) is None
