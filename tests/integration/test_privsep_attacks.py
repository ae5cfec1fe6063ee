"""Privilege separation under attack (issue 7), as root with throwaway accounts.

test_privsep.py covers the ordinary refusals (root without an account, real/effective
uid mismatch, mode 0755, another owner). Here: identities a setuid wrapper could hand
the server (saved set-user-ID 0), data directories that are symlinks or writable by
others, lock and socket files that are symlinks, and a running server's writes traced
with strace: nothing outside its data directory, socket directory and log.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import sys
import time

import pytest

from conftest import PGSVC, ROOT, ensure_account, make_tmpdir, require_root, require_tool

OTHER_ACCOUNT = "pgsvc_test_other"


def run_server(srv, *args, timeout: float = 20, preexec=None, datadir=None) -> subprocess.CompletedProcess:
    """`pgsvc server` expected to refuse start-up (so it returns)."""
    srv.sockdir.mkdir(exist_ok=True)
    srv.sockdir.chmod(0o1777)
    cmd = PGSVC + ["server", "-D", str(datadir or srv.datadir), "-p", str(srv.port), "-h", "127.0.0.1",
                   "-k", str(srv.sockdir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT),
                          preexec_fn=preexec)


def refused(result, *needles) -> None:
    assert result.returncode != 0, result
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr


@pytest.fixture(scope="module")
def stopped(module_server_factory):
    require_root()
    return module_server_factory(start=False)


def _ids(srv):
    pw = pwd.getpwnam(srv.account)
    return pw.pw_uid, pw.pw_gid


def test_saved_set_user_id_root_is_refused(stopped):
    """Real = effective = the account, saved set-user-ID (or set-group-ID) 0, in the same
    process that runs the server (a wrapper that calls pgsvc's entry point instead of
    exec'ing it; execve would reset the saved ids): setuid(0) would succeed later, so the
    server refuses to start."""
    uid, gid = _ids(stopped)
    wrapper = ("import os, sys; os.setgroups([]); os.setresgid({g}, {g}, {sg}); os.setresuid({u}, {u}, {su});"
               "sys.argv = ['pgsvc'] + sys.argv[1:]; from pgsvc.cli import main; main()")
    for sg, su, needle in ((gid, 0, "saved set-user-ID"), (0, uid, "saved set-group-ID")):
        code = wrapper.format(g=gid, u=uid, sg=sg, su=su)
        r = subprocess.run([sys.executable, "-c", code, "server", "-D", str(stopped.datadir), "-p",
                            str(stopped.port), "-h", "127.0.0.1", "-k", str(stopped.sockdir)],
                           capture_output=True, text=True, timeout=20, cwd=str(ROOT))
        refused(r, needle)
    assert not (stopped.datadir / "postmaster.pid").exists()


def test_effective_or_real_root_only_via_wrapper(stopped):
    """The brief's wrapper: setresuid(0, account, 0) and (account, 0, 0), then exec."""
    uid, gid = _ids(stopped)
    for ruid, euid in ((0, uid), (uid, 0)):
        def preexec(ruid=ruid, euid=euid):
            os.setresuid(ruid, euid, 0)
        refused(run_server(stopped, preexec=preexec), "real and effective user IDs must match")


def _as_account(srv):
    uid, gid = _ids(srv)

    def preexec():
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    return preexec


@pytest.mark.parametrize("mode", [0o770, 0o777, 0o702, 0o720, 0o1777])
def test_group_or_world_writable_data_dir_refused(stopped, mode):
    old = stopped.datadir.stat().st_mode & 0o7777
    stopped.datadir.chmod(mode)
    try:
        refused(run_server(stopped, preexec=_as_account(stopped)), "has invalid permissions")
    finally:
        stopped.datadir.chmod(old)


def test_data_dir_symlink_to_someone_elses_directory_refused(stopped):
    tmp_path = make_tmpdir()
    other = ensure_account(OTHER_ACCOUNT)
    pw = pwd.getpwnam(other)
    target = tmp_path / "elsewhere"
    subprocess.run(["cp", "-a", str(stopped.datadir), str(target)], check=True)
    for dirpath, dirnames, filenames in os.walk(target):
        for name in [*dirnames, *filenames, ""]:
            os.lchown(os.path.join(dirpath, name) if name else dirpath, pw.pw_uid, pw.pw_gid)
    tmp_path.chmod(0o755)
    link = tmp_path / "data-link"
    link.symlink_to(target)
    before = sorted(os.listdir(target))
    r = run_server(stopped, preexec=_as_account(stopped), datadir=link)
    refused(r)
    assert re.search("has wrong ownership|not readable|could not access", r.stderr), r.stderr
    target.chmod(0o700 | 0o055)  # readable by all: now the ownership check is what refuses
    refused(run_server(stopped, preexec=_as_account(stopped), datadir=link), "has wrong ownership")
    assert sorted(os.listdir(target)) == before
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_lock_file_symlink_refused(stopped):
    tmp_path = make_tmpdir()
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    lock = stopped.datadir / "postmaster.pid"
    for target in (victim, tmp_path / "dangling"):
        lock.symlink_to(target)
        try:
            r = run_server(stopped, preexec=_as_account(stopped))
            refused(r, "symbolic link")
            assert lock.is_symlink()
        finally:
            lock.unlink()
    assert victim.read_text() == "precious\n"
    assert not (tmp_path / "dangling").exists()


def test_socket_lock_and_socket_symlinks_refused(stopped):
    tmp_path = make_tmpdir()
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    stopped.sockdir.mkdir(exist_ok=True)
    stopped.sockdir.chmod(0o1777)
    sock = stopped.sockdir / f".s.PGSQL.{stopped.port}"
    for path, needle in ((sock.with_name(sock.name + ".lock"), "symbolic link"), (sock, "non-socket")):
        path.symlink_to(victim)
        try:
            r = run_server(stopped, preexec=_as_account(stopped))
            refused(r, needle)
        finally:
            path.unlink()
    assert victim.read_text() == "precious\n"
    assert not (stopped.datadir / "postmaster.pid").exists()


# ------------------------------------------------------------------ where the server writes

_WRITE_CALL = re.compile(r'^(\d+)\s+(?:\d+:\d+:\d+\.\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\d+)')
_PATH = re.compile(r'"((?:[^"\\]|\\.)*)"')
_MUTATING = {"mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink", "unlinkat", "rmdir",
             "symlink", "symlinkat", "link", "linkat", "chmod", "fchmodat", "chown", "fchownat",
             "lchown", "truncate", "mknod", "mknodat", "bind", "utimensat"}


def _written_paths(trace: str) -> set[str]:
    """Paths the traced processes created, opened for writing, or changed (successful calls)."""
    out = set()
    for line in trace.splitlines():
        m = _WRITE_CALL.match(line)
        if not m or int(m.group(4)) < 0:
            continue
        call, args = m.group(2), m.group(3)
        paths = _PATH.findall(args)
        if not paths:
            continue
        if call in ("open", "openat", "creat"):
            if call == "creat" or re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND", args):
                out.add(paths[0])
        elif call in _MUTATING:
            out.update(paths)
    return out


def test_server_writes_only_in_its_directories(server_factory, tmp_path):
    """strace -f a whole server life (start, logins, DDL, writes, a big sort, a reload,
    shutdown): every successful write-ish call's path is under the data directory, the
    socket directory or the log (or a device such as /dev/null)."""
    require_root()
    strace = require_tool("strace")
    from conftest import require_engine

    require_engine()
    srv = server_factory(start=False)
    trace = tmp_path / "trace"
    srv.sockdir.mkdir(exist_ok=True)
    srv.sockdir.chmod(0o1777)
    cmd = [strace, "-f", "-qq", "-o", str(trace), "-e",
           "trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,rmdir,"
           "symlink,symlinkat,link,linkat,chmod,fchmodat,chown,fchownat,lchown,truncate,mknod,mknodat,"
           "utimensat"]
    cmd += PGSVC + ["server", "-D", str(srv.datadir), "-p", str(srv.port), "-h", "127.0.0.1",
                    "-k", str(srv.sockdir)]
    logf = open(srv.log, "ab")
    srv.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, cwd=str(ROOT),
                                env={**os.environ, "HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path / "tmp")})
    # srv.pid is strace's; readiness is the lock file's status line
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = (srv.datadir / "postmaster.pid").read_text().split("\n") if (srv.datadir / "postmaster.pid").exists() else []
        if len(lines) >= 8 and lines[7].strip() == "ready":
            break
        time.sleep(0.05)
    else:
        pytest.fail("server under strace not ready: " + srv.log.read_text()[-2000:])
    try:
        srv.psql("create table w (id integer primary key, t text)")
        srv.psql("insert into w select g, repeat('x', 200) from generate_series(1, 20000) g")
        srv.psql("select t, count(*) from w group by t order by 1")
        srv.psql("select * from w order by t desc, id limit 1")
        srv.psql("create index w_t on w (t)")
        srv.psql("begin; update w set t = 'y' where id < 100; rollback")
        srv.psql("vacuum", check=False)
        os.kill(int((srv.datadir / "postmaster.pid").read_text().split("\n")[0]), 1)  # SIGHUP
        time.sleep(0.3)
        srv.psql("select 1")
    finally:
        supervisor = int((srv.datadir / "postmaster.pid").read_text().split("\n")[0])
        os.kill(supervisor, 2)
        srv.proc.wait(30)
    allowed = [str(srv.datadir), str(srv.sockdir), str(srv.log), "/dev/null", "/dev/tty", "/dev/urandom"]
    # realpaths too (the base directory may sit behind a symlinked /tmp)
    allowed += [os.path.realpath(p) for p in allowed]
    outside = sorted(p for p in _written_paths(trace.read_text())
                     if p and not any(p == a or p.startswith(a.rstrip("/") + "/") for a in allowed)
                     and not p.startswith(("/proc/self/", "/dev/pts/")))
    assert not outside, f"the server wrote outside its directories: {outside}"
