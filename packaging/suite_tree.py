"""One Debian tree per supported suite, to build pgsvc's package (and run its tests) with
that suite's own Python, debhelper and lintian.

`make deb` builds a package for each suite in SUITES inside that suite's tree, so the
vendored compiled wheels (pglast, sqlean.py) are the ones for the suite's CPython and
dh_python3/dpkg-shlibdeps derive Depends from the suite's interpreter and libc.
`make test-py313` runs the unit and integration tests inside the trixie tree.

The tree is built once by `debootstrap --variant=minbase` and kept as a directory under
/var/cache/pgsvc-build/<suite>-<hash>/ (the hash covers suite, mirror and package list,
so a changed list builds a new tree and the stale one is deleted). Commands run in it
with `systemd-nspawn --volatile=overlay`: every write outside the bind-mounted work
directory goes to a throwaway tmpfs, so the cached tree stays as debootstrap left it.
The host's network is shared (pip fetches the pinned wheels from PyPI at build time).

    python3 packaging/suite_tree.py path SUITE         # build if missing, print its path
    python3 packaging/suite_tree.py run SUITE [--bind[-ro] HOST:DEST]... [--chdir DIR]
                                    [--setenv K=V]... -- COMMAND...

Needs root, debootstrap and systemd-container. Adding a suite: packaging/README.md.
"""

from __future__ import annotations

import argparse
import fcntl
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

# suite -> (Debian major version, the CPython it ships). The version is what the
# package's version string says: 0.1.0-1~deb12, 0.1.0-1~deb13 (as backports name theirs).
SUITES = {
    "bookworm": ("12", "3.11"),
    "trixie": ("13", "3.13"),
}
# Build packages a suite needs beyond BUILD_PACKAGES: trixie moved systemd.pc (which
# debian/rules asks where units go) from systemd to systemd-dev.
SUITE_PACKAGES = {
    "trixie": ["systemd-dev"],
}
# To build the package: what debian/control's Build-Depends need (build-essential is
# implied), lintian, systemd (for its systemd.pc: where units go on this suite) and
# ca-certificates for pip's HTTPS.
BUILD_PACKAGES = [
    "build-essential", "debhelper", "dh-python", "python3", "python3-pip",
    "python3-setuptools", "python3-wheel", "python3-venv", "lintian", "pkgconf",
    "systemd", "ca-certificates",
]
# To run `make test` inside the tree (make test-py313): the clients and tools the
# integration tests call (.ci/run installs the same on the host).
TEST_PACKAGES = [
    "make", "git", "postgresql-client", "sqlsmith", "strace", "openssl", "procps",
    "iproute2", "python3-dev",
    # pgbench is in the server package (postgresql-15 on bookworm, -17 on trixie); on
    # bookworm this also gives the PostgreSQL 15 the comparison tests run against.
    "postgresql",
]
CACHE_DIR = Path(os.environ.get("PGSVC_TREE_CACHE", "/var/cache/pgsvc-build"))
COMPLETE = ".pgsvc-tree-complete"


def log(msg: str) -> None:
    print(f"[tree {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def configured_mirror(suite: str) -> str:
    """The machine's own Debian mirror for `suite` (first `deb` source naming it, as apt
    has it), else deb.debian.org; PGSVC_MIRROR (or the e2e's PGSVC_E2E_MIRROR) overrides
    it for every suite."""
    for var in ("PGSVC_MIRROR", "PGSVC_E2E_MIRROR"):
        if os.environ.get(var):
            return os.environ[var]
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        for stanza in Path(path).read_text().split("\n\n"):
            fields = dict(
                (k.strip().lower(), v.strip())
                for k, _, v in (line.partition(":") for line in stanza.splitlines())
                if not k.startswith("#") and v
            )
            if "deb" in fields.get("types", "").split() and suite in fields.get("suites", "").split():
                return fields["uris"].split()[0]
    for path in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*.list"))]:
        if os.path.exists(path):
            for line in Path(path).read_text().splitlines():
                words = re.sub(r"\[[^]]*\]", "", line).split()
                if len(words) >= 3 and words[0] == "deb" and words[2] == suite:
                    return words[1]
    return "http://deb.debian.org/debian"


def check_suite(suite: str) -> None:
    if suite not in SUITES:
        sys.exit(f"suite_tree: unknown suite {suite!r}; supported: {', '.join(SUITES)} "
                 "(packaging/README.md says how to add one)")


def remove_tree(tree: Path) -> None:
    """rm -rf a tree, after unmounting what a failed debootstrap may have left mounted in
    it (its /proc, /sys): never delete through a mount."""
    prefix = str(tree.resolve()) + "/"
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mnt in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", mnt], check=False)
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    if any(m.startswith(prefix) for m in mounts):
        sys.exit(f"suite_tree: {tree} still has mounts inside; not deleting it")
    shutil.rmtree(tree, ignore_errors=True)


def tree_path(suite: str) -> Path:
    """The cached tree for `suite` (debootstrapped on first use)."""
    check_suite(suite)
    mirror = configured_mirror(suite)
    include = sorted(set(BUILD_PACKAGES) | set(TEST_PACKAGES) | set(SUITE_PACKAGES.get(suite, [])))
    key = hashlib.sha256(f"{suite} {mirror} {' '.join(include)}".encode()).hexdigest()[:12]
    tree = CACHE_DIR / f"{suite}-{key}"
    if (tree / COMPLETE).exists():
        return tree
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # One debootstrap per suite at a time (two `make` runs may race for it).
    with open(CACHE_DIR / f".{suite}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (tree / COMPLETE).exists():
            return tree
        for stale in CACHE_DIR.glob(f"{suite}-*"):
            log(f"removing the stale tree {stale}")
            remove_tree(stale)
        part = CACHE_DIR / f".{suite}-{key}.part"
        remove_tree(part)
        # debootstrap only the minimal base, then apt-get inside: debootstrap's own
        # resolver does not follow virtual packages (trixie's and bookworm's lintian need
        # perl-openssl-abi-3 through libnet-ssleay-perl), apt does.
        log(f"debootstrap --variant=minbase {suite} from {mirror}")
        started = time.monotonic()
        argv = ["debootstrap", "--variant=minbase", suite, str(part), mirror]
        try:
            subprocess.run(argv, stdin=subprocess.DEVNULL, check=True, timeout=1800,
                           stdout=subprocess.DEVNULL)
        except subprocess.CalledProcessError:
            tail = (part / "debootstrap/debootstrap.log")
            if tail.exists():
                log("debootstrap.log:\n" + "\n".join(tail.read_text().splitlines()[-30:]))
            raise
        log(f"apt-get install {' '.join(include)}")
        install = ("apt-get update -q && apt-get install -y -q --no-install-recommends "
                   + " ".join(include) + " && apt-get clean")
        argv = ["systemd-nspawn", "--quiet", "-D", str(part), "--register=no", "--keep-unit",
                "--as-pid2", "--resolv-conf=copy-host", "--timezone=off",
                "--setenv=DEBIAN_FRONTEND=noninteractive", "--", "sh", "-c", install]
        subprocess.run(argv, stdin=subprocess.DEVNULL, check=True, timeout=1800,
                       stdout=subprocess.DEVNULL)
        for sub in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for p in (part / sub).glob("*"):
                if p.is_file():
                    p.unlink()
        (part / "etc/machine-id").write_text("")
        (part / COMPLETE).write_text(f"{suite} {mirror}\n{' '.join(include)}\n")
        part.rename(tree)
        log(f"{tree} ready in {time.monotonic() - started:.0f}s")
    return tree


def nspawn_argv(tree: Path, suite: str, command: list[str], binds: list[str],
                chdir: str | None, setenv: list[str], binds_ro: list[str] = ()) -> list[str]:
    argv = ["systemd-nspawn", "--quiet", "-D", str(tree), f"--machine=pgsvc-{suite}-{os.getpid()}",
            "--register=no", "--keep-unit",
            "--as-pid2", "--volatile=overlay", "--resolv-conf=copy-host", "--timezone=off",
            "--setenv=LANG=C.UTF-8", "--setenv=HOME=/root"]
    # pip (build: the pinned wheels; test: the test dependencies) trusts the host's CA
    # bundle: where the host reaches PyPI through a TLS-inspecting proxy, its CA is there.
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    if os.path.exists(bundle):
        argv.append(f"--bind-ro={bundle}:{bundle}")
    argv += [f"--bind={b}" for b in binds]
    argv += [f"--bind-ro={b}" for b in binds_ro]
    argv += [f"--setenv={e}" for e in setenv]
    if chdir:
        argv.append(f"--chdir={chdir}")
    return argv + ["--", *command]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("path")
    p.add_argument("suite")
    r = sub.add_parser("run")
    r.add_argument("suite")
    r.add_argument("--bind", action="append", default=[])
    r.add_argument("--bind-ro", action="append", default=[])
    r.add_argument("--setenv", action="append", default=[])
    r.add_argument("--chdir")
    r.add_argument("--timeout", type=float, default=3600)
    p = sub.add_parser("info")
    p.add_argument("suite")
    argv = sys.argv[1:]
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if args.cmd == "info":  # "12 3.11": for build-deb.sh, no tree needed
        check_suite(args.suite)
        print(*SUITES[args.suite])
        return 0
    if os.geteuid() != 0:
        sys.exit("suite_tree: needs root (debootstrap, systemd-nspawn)")
    tree = tree_path(args.suite)
    if args.cmd == "path":
        print(tree)
        return 0
    if not command:
        sys.exit("suite_tree run: no command after --")
    argv = nspawn_argv(tree, args.suite, command, args.bind, args.chdir, args.setenv, args.bind_ro)
    log("host$ " + " ".join(argv))
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, timeout=args.timeout).returncode
    except subprocess.TimeoutExpired:
        log(f"timed out after {args.timeout:.0f}s")
        return 124


if __name__ == "__main__":
    sys.exit(main())
