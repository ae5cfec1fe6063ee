"""A throwaway Debian machine (bookworm or trixie) under a real systemd, for the end-to-end test.

debootstrap builds a minimal tree of the suite once (cached as a tarball outside the repo);
each run unpacks it afresh, boots it with `systemd-nspawn -b` (systemd is PID 1 in
there, with its own /dev, and a private network namespace that has only loopback),
and runs commands inside with `nsenter` into the namespaces of the container's PID 1
(--register=no means there is no machinectl/systemd-run --machine to use).

The package's Depends are preinstalled in the cached tree, so `apt install ./pgsvc.deb`
inside needs no network; the container never has any.

Every wait is bounded; every command and its output is printed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packaging"))
from suite_tree import SUITES, configured_mirror  # noqa: E402  (the supported suites)

# What the issue asks for, plus the client used to check the server.
BASE_PACKAGES = ["systemd", "systemd-sysv", "udev", "dbus", "python3", "postgresql-client"]
CACHE_DIR = Path(os.environ.get("PGSVC_E2E_CACHE", "/var/cache/pgsvc-e2e"))
WORK_DIR = Path(os.environ.get("PGSVC_E2E_WORK", "/var/tmp/pgsvc-e2e"))
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def log(msg: str) -> None:
    print(f"[e2e {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def package_depends(deb: Path) -> list[str]:
    """The .deb's Depends, first alternative of each, without versions (to preinstall)."""
    out = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], check=True,
                         capture_output=True, text=True).stdout
    names = []
    for dep in out.split(","):
        name = dep.split("|")[0].strip().split()[0].split(":")[0]
        if name and name not in names:
            names.append(name)
    return names


def deb_for(suite: str, dist: Path) -> Path | None:
    """dist/pgsvc_<version>-<rev>~deb<N>_<arch>.deb for the suite (make deb), or None."""
    debs = sorted(dist.glob(f"pgsvc_*~deb{SUITES[suite][0]}_*.deb"))
    return debs[-1] if debs else None


def previous_package(deb: Path, workdir: Path) -> Path:
    """The same package with a lower version (<version>~prev, which sorts before
    <version>), for the upgrade step: installing `deb` over it runs the old package's
    prerm/postrm upgrade and the new postinst configure with the old version, as a real
    upgrade does."""
    version = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True,
                             capture_output=True, text=True).stdout.strip()
    previous = f"{version}~prev"
    tree = workdir / "previous"
    shutil.rmtree(tree, ignore_errors=True)
    run_host(["dpkg-deb", "-R", str(deb), str(tree)], timeout=120)
    control = tree / "DEBIAN/control"
    control.write_text(re.sub(r"^Version: .*$", f"Version: {previous}", control.read_text(),
                              flags=re.M))
    out = workdir / deb.name.replace(f"_{version}_", f"_{previous}_")
    run_host(["dpkg-deb", "--root-owner-group", "-Zxz", "-b", str(tree), str(out)], timeout=300)
    shutil.rmtree(tree, ignore_errors=True)
    return out


def rootfs_tarball(suite: str, extra: list[str]) -> Path:
    """The cached minbase tree of `suite` (built by debootstrap if missing), keyed by what
    it holds."""
    mirror = configured_mirror(suite)
    include = sorted(set(BASE_PACKAGES) | set(extra))
    key = hashlib.sha256(f"{suite} {mirror} {' '.join(include)}".encode()).hexdigest()[:12]
    tarball = CACHE_DIR / f"{suite}-minbase-{key}.tar"
    if tarball.exists():
        log(f"rootfs: cached {tarball}")
        return tarball
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tree = CACHE_DIR / f"tree-{key}"
    shutil.rmtree(tree, ignore_errors=True)
    log(f"rootfs: debootstrap --variant=minbase {suite} from {mirror} with {','.join(include)}")
    started = time.monotonic()
    run_host(["debootstrap", "--variant=minbase", f"--include={','.join(include)}",
              suite, str(tree), mirror], timeout=1800)
    # No apt lists or .debs in the cache; a machine-id per boot (empty file: systemd
    # makes a transient one).
    for sub in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for p in (tree / sub).glob("*"):
            if p.is_file():
                p.unlink()
    (tree / "etc/machine-id").write_text("")
    tmp = tarball.with_suffix(".tar.part")
    run_host(["tar", "--numeric-owner", "--xattrs", "-C", str(tree), "-cf", str(tmp), "."],
             timeout=600)
    tmp.rename(tarball)
    shutil.rmtree(tree, ignore_errors=True)
    log(f"rootfs: cached as {tarball} ({tarball.stat().st_size >> 20} MiB) "
        f"in {time.monotonic() - started:.0f}s")
    return tarball


def run_host(argv: list[str], timeout: float, check: bool = True) -> subprocess.CompletedProcess:
    log("host$ " + shlex.join(argv))
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0 and check:
        raise RuntimeError(f"{argv[0]} exited {proc.returncode}\n{proc.stdout[-4000:]}\n"
                           f"{proc.stderr[-4000:]}")
    return proc


@dataclass
class Result:
    cmd: str
    rc: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        return self.rc == 0


class Machine:
    """A booted container: `sh(cmd)` runs a shell command inside it as root."""

    def __init__(self, tarball: Path, name: str, suite: str):
        self.name = name
        self.suite = suite
        self.dir = WORK_DIR / name
        self.root = self.dir / "root"
        self.console = self.dir / "console.log"
        self.nspawn: subprocess.Popen | None = None
        self.pid1: int | None = None
        self._unpack(tarball)

    def _unpack(self, tarball: Path) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.root.mkdir(parents=True)
        run_host(["tar", "--numeric-owner", "--xattrs", "-C", str(self.root), "-xf",
                  str(tarball)], timeout=600)

    def copy_in(self, src: Path, dest: str) -> None:
        shutil.copy(src, self.root / dest.lstrip("/"))

    def boot(self, timeout: float = 120) -> None:
        argv = ["systemd-nspawn", "--quiet", "-D", str(self.root), "-b",
                "--register=no", "--keep-unit", "--private-network",
                f"--machine={self.name}", "--link-journal=no", "--console=read-only",
                "--resolv-conf=off", "--timezone=off"]
        log("host$ " + shlex.join(argv) + f" > {self.console}")
        console = open(self.console, "wb")
        # The container gets the unified cgroup hierarchy (cgroup v2) even where the host
        # runs the hybrid one: systemd >= 256 (trixie's 257) refuses to boot on a v1 or
        # hybrid hierarchy, which nspawn 252 would otherwise hand it on such a host.
        env = {**os.environ, "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY": "1"}
        self.nspawn = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=console,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       env=env)
        deadline = time.monotonic() + timeout
        while self.pid1 is None:
            if self.nspawn.poll() is not None:
                raise RuntimeError(f"systemd-nspawn exited {self.nspawn.returncode}:\n"
                                   + self.console_tail())
            if time.monotonic() > deadline:
                raise RuntimeError(f"no container PID 1 within {timeout}s:\n" + self.console_tail())
            self.pid1 = self._find_pid1()
            time.sleep(0.2)
        log(f"container PID 1 is host pid {self.pid1}")
        # PID 1 exists before its private bus socket does: until then systemctl fails
        # at once ("Failed to connect to bus") instead of waiting, so poll.
        while True:
            left = max(5.0, deadline - time.monotonic())
            r = self.sh("systemctl is-system-running --wait", timeout=left, check=False,
                        quiet=True)
            state = r.out.strip()
            if state in ("running", "degraded"):
                break
            if time.monotonic() > deadline or self.nspawn.poll() is not None:
                raise RuntimeError(f"system did not come up within {timeout}s: {state!r} "
                                   f"{r.err.strip()!r}\n" + self.console_tail())
            time.sleep(0.5)
        if state == "degraded":
            self.sh("systemctl --failed --no-pager", check=False)
        log(f"booted: {state}")

    def _find_pid1(self) -> int | None:
        """The nspawn child whose pid in its own namespace is 1 (systemd)."""
        try:
            children = Path(f"/proc/{self.nspawn.pid}/task/{self.nspawn.pid}/children").read_text()
        except OSError:
            return None
        for pid in children.split():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            nspid = re.search(r"^NSpid:\s+(.*)$", status, re.M)
            if nspid and nspid.group(1).split()[-1] == "1":
                comm = Path(f"/proc/{pid}/comm").read_text().strip()
                if comm == "systemd":
                    return int(pid)
        return None

    def sh(self, cmd: str, timeout: float = 60, check: bool = True, quiet: bool = False,
           env: dict[str, str] | None = None) -> Result:
        """Run `sh -c cmd` inside the container (all its namespaces, its root) as root."""
        assert self.pid1
        environ = {"PATH": PATH, "LANG": "C.UTF-8", "TERM": "dumb", "HOME": "/root",
                   "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0", "DEBIAN_FRONTEND": "noninteractive"}
        environ.update(env or {})
        # --root and a bare --wd: the container's root and PID 1's cwd (a --wd=PATH would be
        # opened in the host's mount namespace).
        argv = ["nsenter", f"--target={self.pid1}", "--mount", "--uts", "--ipc", "--net",
                "--pid", "--root", "--wd", "env", "-i",
                *(f"{k}={v}" for k, v in environ.items()), "sh", "-c", cmd]
        if not quiet:
            log(f"{self.name}# {cmd}")
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=timeout)
            res = Result(cmd, p.returncode, p.stdout, p.stderr)
        except subprocess.TimeoutExpired as e:
            res = Result(cmd, 124, _text(e.stdout), _text(e.stderr) + f"\n(timed out after {timeout}s)")
        if not quiet:
            for line in (res.out + res.err).rstrip().splitlines()[-60:]:
                print(f"    {line}", flush=True)
            if res.rc:
                print(f"    (exit {res.rc})", flush=True)
        if check and res.rc != 0:
            raise AssertionError(f"inside the container, `{cmd}` exited {res.rc}:\n"
                                 f"{res.out[-3000:]}\n{res.err[-3000:]}")
        return res

    def wait_for(self, what: str, cmd: str, timeout: float, interval: float = 0.5) -> Result:
        """Poll `cmd` until it succeeds; bounded; prints only the last try."""
        log(f"waiting up to {timeout:.0f}s for {what}: {cmd}")
        deadline = time.monotonic() + timeout
        while True:
            r = self.sh(cmd, check=False, quiet=True, timeout=max(5.0, timeout))
            if r.ok:
                log(f"  ok: {what}")
                return r
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up after {timeout}s waiting for {what}: `{cmd}` "
                                     f"exited {r.rc}\n{r.out[-2000:]}\n{r.err[-2000:]}")
            time.sleep(interval)

    def console_tail(self, lines: int = 40) -> str:
        try:
            text = self.console.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def shutdown(self, timeout: float = 60) -> None:
        if self.nspawn is None or self.nspawn.poll() is not None:
            return
        log("powering the container off")
        if self.pid1:
            self.sh("systemctl poweroff", check=False, timeout=15)
        try:
            self.nspawn.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"container did not power off within {timeout}s; killing systemd-nspawn")
            os.killpg(self.nspawn.pid, signal.SIGKILL)
            self.nspawn.wait(timeout=30)
        log(f"systemd-nspawn exited {self.nspawn.returncode}")

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _text(b) -> str:
    if b is None:
        return ""
    return b.decode(errors="replace") if isinstance(b, bytes) else b
