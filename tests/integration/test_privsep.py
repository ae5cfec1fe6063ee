"""Start-up steps 1-3 for real, as root: refuse root, drop to the account, check the
data directory, take the lock file. Every refusal exits non-zero with its reason on
stderr and leaves the data directory exactly as it was."""

from __future__ import annotations

import os
import pwd
import subprocess

import psutil
import pytest

import pgwire
from conftest import PGSVC, ROOT, ensure_account, require_root

OTHER_ACCOUNT = "pgsvc_test_other"
ROOTGROUP_ACCOUNT = "pgsvc_test_rootgrp"


def snapshot(datadir, top_mtime: bool = True) -> dict:
    """Every entry under the data directory: (mode, uid, gid, size, mtime_ns). Without
    top_mtime the directory's own mtime is left out (a start-up that took the lock file
    and then failed has created and removed it)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(datadir):
        for name in [*dirnames, *filenames, ""]:
            path = os.path.join(dirpath, name) if name else dirpath
            st = os.lstat(path)
            out[os.path.relpath(path, datadir)] = (st.st_mode, st.st_uid, st.st_gid, st.st_size,
                                                   st.st_mtime_ns)
    if not top_mtime:
        out["."] = out["."][:4]
    return out


def run_server(srv, *args, timeout: float = 20, preexec=None) -> subprocess.CompletedProcess:
    """`pgsvc server` expected to refuse start-up (so it returns)."""
    srv.sockdir.mkdir(exist_ok=True)
    srv.sockdir.chmod(0o1777)
    cmd = PGSVC + ["server", "-D", str(srv.datadir), "-p", str(srv.port), "-h", "127.0.0.1",
                   "-k", str(srv.sockdir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT),
                          preexec_fn=preexec)


def remove_user_setting(srv) -> None:
    conf = srv.datadir / "pgsvc.conf"
    lines = [ln for ln in conf.read_text().splitlines() if not ln.startswith("user ")]
    conf.write_text("\n".join(lines) + "\n")  # written in place: owner and mode kept


@pytest.fixture(scope="module")
def stopped(module_server_factory):
    """A cluster owned by the test account, with no `user` in its config, not running."""
    require_root()
    srv = module_server_factory(start=False)
    remove_user_setting(srv)
    return srv


def assert_refused(srv, result, *needles):
    assert result.returncode != 0, result
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr


def test_root_without_account_is_refused(stopped):
    before = snapshot(stopped.datadir)
    r = run_server(stopped)
    assert_refused(stopped, r, "pgsvc: cannot be run as root", "--user")
    assert r.stderr.startswith("pgsvc: cannot be run as root")
    assert snapshot(stopped.datadir) == before
    assert not os.path.exists(stopped.socket_path)


def test_root_with_unknown_or_root_account_is_refused(stopped):
    before = snapshot(stopped.datadir)
    assert_refused(stopped, run_server(stopped, "--user", "no_such_account_xyz"),
                   'account "no_such_account_xyz" does not exist')
    assert_refused(stopped, run_server(stopped, "--user", "root"), "is root (uid 0)")
    assert snapshot(stopped.datadir) == before


def _become(ruid: int, euid: int):
    def preexec():
        os.setresuid(ruid, euid, 0)
    return preexec


def test_real_and_effective_uid_mismatch_refused_both_ways(stopped):
    uid = pwd.getpwnam(stopped.account).pw_uid
    before = snapshot(stopped.datadir)
    for ruid, euid in ((0, uid), (uid, 0)):
        r = run_server(stopped, "--user", stopped.account, preexec=_become(ruid, euid))
        assert_refused(stopped, r, "real and effective user IDs must match")
    assert snapshot(stopped.datadir) == before


def test_mode_0755_data_dir_refused(stopped):
    before_mode = stopped.datadir.stat().st_mode
    stopped.datadir.chmod(0o755)
    try:
        before = snapshot(stopped.datadir)
        r = run_server(stopped, "--user", stopped.account)
        assert_refused(stopped, r, "has invalid permissions", "0755", "chmod 0700")
        assert snapshot(stopped.datadir) == before
    finally:
        stopped.datadir.chmod(before_mode & 0o777)


def test_data_dir_owned_by_another_account_refused(stopped):
    other = ensure_account(OTHER_ACCOUNT)
    pw = pwd.getpwnam(other)
    st = stopped.datadir.stat()
    os.chown(stopped.datadir, pw.pw_uid, pw.pw_gid)
    try:
        before = snapshot(stopped.datadir)
        r = run_server(stopped, "--user", stopped.account)
        assert_refused(stopped, r, "has wrong ownership")
        assert snapshot(stopped.datadir) == before
    finally:
        os.chown(stopped.datadir, st.st_uid, st.st_gid)


def test_account_in_root_group_refused(stopped):
    """An account with supplementary group root would keep root's group rights."""
    name = ensure_account(ROOTGROUP_ACCOUNT)
    subprocess.run(["usermod", "-a", "-G", "root", name], check=True)
    try:
        r = run_server(stopped, "--user", name)
        assert_refused(stopped, r, "member of group root")
    finally:
        subprocess.run(["gpasswd", "-d", name, "root"], capture_output=True)


def test_user_option_drops_to_account_and_second_server_refused(stopped):
    """--user drops server and backends to the account; a second server on the live lock
    file is refused (TCP port and socket differ, so only the lock stops it)."""
    stopped.start("--user", stopped.account)
    try:
        pw = pwd.getpwnam(stopped.account)
        sup = psutil.Process(stopped.pid)
        assert tuple(sup.uids()) == (pw.pw_uid,) * 3
        assert tuple(sup.gids()) == (pw.pw_gid,) * 3
        held = pgwire.open_socket(("127.0.0.1", stopped.port))
        try:
            (backend,) = stopped.wait_children(1)
            assert tuple(backend.uids()) == (pw.pw_uid,) * 3
            groups = open(f"/proc/{backend.pid}/status").read().split("Groups:")[1].split("\n")[0].split()
            assert "0" not in groups
        finally:
            held.close()
        stopped.wait_children(0)

        before = snapshot(stopped.datadir)
        lock_before = (stopped.datadir / "postmaster.pid").read_text()
        other_sock = stopped.base / "sock2"
        other_sock.mkdir()
        other_sock.chmod(0o1777)
        cmd = PGSVC + ["server", "-D", str(stopped.datadir), "-p", str(stopped.port + 1), "-h", "",
                       "-k", str(other_sock), "--user", stopped.account]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=str(ROOT))
        assert_refused(stopped, r, "already exists", f"PID {stopped.pid}")
        assert snapshot(stopped.datadir) == before
        assert (stopped.datadir / "postmaster.pid").read_text() == lock_before
        assert os.listdir(other_sock) == []
        assert stopped.proc.poll() is None
    finally:
        stopped.stop()
    assert not (stopped.datadir / "postmaster.pid").exists()


def test_initdb_as_root_needs_owner(tmp_path):
    require_root()
    r = subprocess.run(PGSVC + ["initdb", "-D", str(tmp_path / "d")], capture_output=True, text=True,
                       timeout=30, cwd=str(ROOT))
    assert r.returncode != 0
    assert "--owner" in r.stderr
    assert not (tmp_path / "d").exists() or not os.listdir(tmp_path / "d")


def test_initdb_cluster_is_owned_by_account_everywhere(stopped):
    pw = pwd.getpwnam(stopped.account)
    for rel, (mode, uid, _gid, _size, _mtime) in snapshot(stopped.datadir).items():
        assert uid == pw.pw_uid, rel
        assert mode & 0o077 == 0, (rel, oct(mode))



def test_port_or_socket_in_use_refused_and_nothing_left_behind(server_factory):
    """A second cluster on a port another server holds: refused (TCP in use, or the socket
    lock file when only the Unix socket is asked for), its data directory unchanged."""
    first = server_factory()
    second = server_factory(start=False)
    before = snapshot(second.datadir, top_mtime=False)
    second.port = first.port
    second.sockdir = first.sockdir
    r = run_server(second)
    assert_refused(second, r, "could not create any TCP/IP sockets")
    assert snapshot(second.datadir, top_mtime=False) == before
    r = run_server(second, "-h", "")
    assert_refused(second, r, f".s.PGSQL.{first.port}.lock", "already exists", f"PID {first.pid}")
    assert snapshot(second.datadir, top_mtime=False) == before
    assert os.path.exists(first.socket_path)
    assert pgwire.startup(first.socket_path, first.superuser).auth_ok


def test_initdb_refuses_non_empty_directory(stopped):
    before = snapshot(stopped.datadir)
    r = subprocess.run(PGSVC + ["initdb", "-D", str(stopped.datadir), "--owner", stopped.account],
                       capture_output=True, text=True, timeout=30, cwd=str(ROOT))
    assert r.returncode != 0
    assert "exists but is not empty" in r.stderr
    assert snapshot(stopped.datadir) == before
