"""`apt install ./pgsvc_*.deb` and `systemctl start pgsvc` under a real systemd (PID 1 of
a systemd-nspawn container), and everything an operator relies on afterwards: readiness,
the account and the data directory, Unix-socket and TCP clients, reload, status, the
journal, stop/restart, socket activation, a second cluster, upgrade, remove and purge.

The same steps run for every supported suite (packaging/suite_tree.py SUITES: bookworm
and trixie), each suite's own package in a container of that suite: the module-scoped
fixture is parametrized by suite, so pytest runs all steps, in file order, against one
container, then all of them against the next. Each step prints the commands it runs
inside the container and their output. PGSVC_E2E_SUITES="trixie" runs a subset.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import cannot_run
from e2e_machine import SUITES, Machine, deb_for, log, package_depends, previous_package, rootfs_tarball

# Booting a container takes minutes: `make test` skips this module, `make e2e` (and CI,
# through it) runs it with PGSVC_E2E=1.
pytestmark = pytest.mark.skipif(
    os.environ.get("PGSVC_E2E") != "1",
    reason="end-to-end test of the Debian package under systemd-nspawn: run `make e2e` "
           "as root (it sets PGSVC_E2E=1)")

REPO = Path(__file__).resolve().parents[2]
DATA = "/var/lib/pgsvc/data"
SOCKDIR = "/run/pgsvc"
PSQL_PGSVC = f"runuser -u pgsvc -- psql -X -v ON_ERROR_STOP=1 -h {SOCKDIR} -d postgres -At"
SECOND = "/var/lib/pgsvc/second"
SECOND_PORT = 5433
SECOND_PASSWORD = "second-secret"


E2E_SUITES = os.environ.get("PGSVC_E2E_SUITES", " ".join(SUITES)).split()


def the_deb(suite: str) -> Path:
    deb = deb_for(suite, REPO / "dist")
    if deb is None:
        pytest.fail(f"no dist/pgsvc_*~deb{SUITES[suite][0]}_*.deb for {suite}: "
                    "`make e2e` builds it with `make deb` first")
    return deb


def e2e_prerequisites() -> str | None:
    """Why the e2e test cannot run on this machine, or None."""
    if os.geteuid() != 0:
        return "needs root (debootstrap, systemd-nspawn, nsenter)"
    for tool in ("debootstrap", "systemd-nspawn", "nsenter", "dpkg-deb", "tar"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (apt-get install debootstrap systemd-container)"
    return None


@pytest.fixture(scope="module", params=E2E_SUITES)
def m(request):
    suite = request.param
    why = e2e_prerequisites()
    if why:
        cannot_run(why)  # skips locally, fails in CI
    deb = the_deb(suite)
    log(f"{suite}: package under test: {deb.name}")
    tarball = rootfs_tarball(suite, extra=package_depends(deb))
    machine = Machine(tarball, name=f"pgsvc-e2e-{suite}-{int(time.time())}", suite=suite)
    try:
        machine.boot(timeout=180)
        machine.copy_in(deb, f"/root/{deb.name}")
        machine.deb = f"/root/{deb.name}"
        machine.version = package_field(deb, "Version")
        # The package the upgrade step (test_18) upgrades from: the same build with a
        # lower Debian revision, repacked (e2e_machine.previous_package).
        previous = previous_package(deb, machine.dir)
        machine.copy_in(previous, f"/root/{previous.name}")
        machine.previous_deb = f"/root/{previous.name}"
        machine.previous_version = package_field(previous, "Version")
        yield machine
    finally:
        try:
            machine.sh("journalctl --no-pager -u 'pgsvc*' -n 80 -o short-precise",
                       check=False, timeout=20)
        except Exception as e:  # the container may already be gone
            log(f"(no final journal: {e})")
        machine.shutdown()
        machine.remove()


@pytest.fixture(autouse=True)
def _installed_first(request):
    """Every step after the install needs the package: fail fast, saying why."""
    if request.node.originalname != "test_01_install_package":
        machine = request.getfixturevalue("m")
        if not getattr(machine, "installed", False):
            pytest.fail("not run: the package did not install (test_01_install_package)")


def package_field(deb: Path, field: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), field], check=True,
                          capture_output=True, text=True).stdout.strip()


def show(m: Machine, unit: str, *props: str) -> dict[str, str]:
    out = m.sh(f"systemctl show {unit} " + " ".join(f"-p {p}" for p in props), quiet=True).out
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def main_pid(m: Machine, unit: str = "pgsvc.service") -> int:
    return int(show(m, unit, "MainPID")["MainPID"])


PROCS_SCRIPT = r"""
import os, pwd, sys
try:
    uid = pwd.getpwnam("pgsvc").pw_uid
except KeyError:
    uid = None
mine = {os.getpid(), os.getppid()}
for pid in filter(str.isdigit, os.listdir("/proc")):
    if int(pid) in mine:
        continue
    try:
        st = os.stat(f"/proc/{pid}")
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode().strip()
    except OSError:
        continue
    if (uid is not None and st.st_uid == uid) or "/usr/bin/pgsvc" in cmd or cmd.startswith("pgsvc"):
        print(pid, st.st_uid, cmd)
"""


def pgsvc_processes(m: Machine) -> list[str]:
    """Every process in the container owned by pgsvc or running pgsvc, as 'pid uid
    cmdline' (read from /proc: minbase has no procps)."""
    path = m.root / "root/pgsvc-procs.py"
    if not path.exists():
        path.write_text(PROCS_SCRIPT)
    out = m.sh("python3 /root/pgsvc-procs.py", quiet=True).out
    return [line for line in out.splitlines() if line.strip()]


# --- install -----------------------------------------------------------------------------

def test_01_install_package(m):
    """apt installs the local .deb (first the previous version, which test_18 upgrades
    from); its Depends are in the image, nothing is downloaded."""
    r = m.sh(f"apt-get install -y {m.previous_deb}", timeout=300)
    assert "Setting up pgsvc" in r.out
    m.installed = True
    m.sh("dpkg -s pgsvc | sed -n '1,/^Description/p'")
    assert m.sh("dpkg-query -W -f '${Version}' pgsvc").out == m.previous_version


def test_02_units_verify_and_security(m):
    """systemd-analyze verify prints nothing; the installed unit rates <= 2.0."""
    r = m.sh("systemd-analyze verify /lib/systemd/system/pgsvc.service "
             "/lib/systemd/system/pgsvc@.service /lib/systemd/system/pgsvc.socket 2>&1")
    assert r.out.strip() == "", f"systemd-analyze verify printed:\n{r.out}"
    r = m.sh("systemd-analyze security --no-pager pgsvc.service | tail -1")
    score = float(re.search(r"exposure level for pgsvc.service: ([\d.]+)", r.out).group(1))
    assert score <= 2.0, r.out


def test_03_account_and_directories(m):
    """A system account without login shell, home /var/lib/pgsvc; data pgsvc:pgsvc 0700."""
    entry = m.sh("getent passwd pgsvc").out.strip().split(":")
    assert int(entry[2]) < 1000, f"not a system uid: {entry}"
    assert entry[5] == "/var/lib/pgsvc", entry
    assert entry[6] in ("/usr/sbin/nologin", "/sbin/nologin"), entry
    assert m.sh(f"stat -c '%U:%G %a' {DATA}").out.strip() == "pgsvc:pgsvc 700"
    m.sh(f"ls -la {DATA} {SOCKDIR}")


# --- start ------------------------------------------------------------------------------

def test_04_installed_service_is_active(m):
    """postinst enabled and started pgsvc.service."""
    assert m.sh("systemctl is-enabled pgsvc.service").out.strip() == "enabled"
    m.wait_for("pgsvc.service active", "systemctl is-active pgsvc.service", timeout=60)


def test_05_start_returns_after_ready(m):
    """`systemctl start` (Type=notify) returns only once the server accepts connections:
    the very first connection attempt after it returns must succeed, with no retry."""
    m.sh("systemctl stop pgsvc.service", timeout=90)
    assert m.sh("systemctl is-active pgsvc.service", check=False).out.strip() == "inactive"
    m.sh("systemctl start pgsvc.service && " + PSQL_PGSVC + " -c 'SELECT 1'", timeout=90)
    props = show(m, "pgsvc.service", "ActiveState", "SubState", "Type", "NotifyAccess",
                 "MainPID", "StatusText", "WatchdogUSec", "NRestarts")
    log(f"pgsvc.service: {props}")
    assert props["ActiveState"] == "active" and props["SubState"] == "running"
    assert props["Type"] == "notify" and props["NotifyAccess"] == "main"


def test_06_runs_as_pgsvc_not_root(m):
    """Every server process belongs to pgsvc; none runs as root."""
    pid = main_pid(m)
    uid = m.sh(f"stat -c %U /proc/{pid}").out.strip()
    assert uid == "pgsvc", f"MainPID {pid} runs as {uid}"
    procs = pgsvc_processes(m)
    log("server processes:\n" + "\n".join(procs))
    pgsvc_uid = m.sh("id -u pgsvc").out.strip()
    assert procs and all(p.split()[1] == pgsvc_uid for p in procs), procs


# --- clients ----------------------------------------------------------------------------

def test_07_psql_over_unix_socket(m):
    """psql -h /run/pgsvc as the pgsvc account (peer authentication) runs SQL."""
    m.sh(f"ls -l {SOCKDIR}/.s.PGSQL.5432")
    m.sh(PSQL_PGSVC + " -c 'CREATE TABLE e2e (id integer PRIMARY KEY, note text)'")
    m.sh(PSQL_PGSVC + " -c \"INSERT INTO e2e VALUES (1, 'installed'), (2, 'from the package')\"")
    r = m.sh(PSQL_PGSVC + " -c 'SELECT count(*) FROM e2e'")
    assert r.out.strip() == "2"


def test_08_root_is_refused_by_peer(m):
    """Peer authentication: root is not the database user pgsvc."""
    r = m.sh(f"psql -X -h {SOCKDIR} -U pgsvc -d postgres -Atc 'SELECT 1'", check=False)
    assert r.rc != 0 and "authentication failed" in r.err.lower(), r


def test_09_tcp_with_password(m):
    """TCP (scram-sha-256): postinst gave the superuser a random password, in the pgsvc
    account's ~/.pgpass (0600). It logs in over TCP; a wrong password is refused."""
    m.sh("stat -c '%U:%G %a' /var/lib/pgsvc/.pgpass | grep -qx 'pgsvc:pgsvc 600'")
    m.sh("runuser -u pgsvc -- env HOME=/var/lib/pgsvc psql -X -h 127.0.0.1 -d postgres -Atc 'SELECT 1'")
    m.tcp_password = m.sh("cut -d: -f5 /var/lib/pgsvc/.pgpass", quiet=True).out.strip()
    r = m.sh("psql -X -h 127.0.0.1 -p 5432 -U pgsvc -d postgres -Atc 'SELECT note FROM e2e ORDER BY id'",
             env={"PGPASSWORD": m.tcp_password})
    assert r.out.split() == ["installed", "from", "the", "package"]
    r = m.sh("psql -X -h ::1 -U pgsvc -d postgres -Atc 'SELECT 1'", env={"PGPASSWORD": m.tcp_password})
    assert r.out.strip() == "1"
    r = m.sh("psql -X -h 127.0.0.1 -U pgsvc -d postgres -Atc 'SELECT 1'", check=False,
             env={"PGPASSWORD": "wrong"})
    assert r.rc != 0 and "password authentication failed" in r.err, r


# --- operate ----------------------------------------------------------------------------

def test_10_reload_keeps_mainpid_and_applies_setting(m):
    """systemctl reload: same MainPID, and the changed setting is in effect."""
    before = main_pid(m)
    since = m.sh("date -u '+%Y-%m-%d %H:%M:%S'", quiet=True).out.strip()
    m.sh(f"echo 'log_connections = on' >> {DATA}/pgsvc.conf")
    m.sh("systemctl reload pgsvc.service", timeout=60)
    m.wait_for("the reload to finish", "test \"$(systemctl show -p ActiveState --value pgsvc)\" = active",
               timeout=30)
    assert main_pid(m) == before, "reload restarted the server"
    # In effect: a backend forked after the reload sees log_connections on (systemd
    # 252's reload job ends when ExecReload's kill returns, hence the bounded poll).
    m.wait_for("log_connections = on in a new session",
               PSQL_PGSVC + " -c 'SHOW log_connections' | grep -qx on", timeout=20)
    m.wait_for("the reload in the server's log",
               f"journalctl -u pgsvc --since '{since}' --no-pager -o cat | grep -qi 'reload'",
               timeout=20)
    m.sh(f"journalctl -u pgsvc --since '{since}' --no-pager -o short-precise")


def test_11_status_shows_status_text(m):
    """systemctl status shows the server's STATUS= line."""
    text = show(m, "pgsvc.service", "StatusText")["StatusText"]
    assert text, "no STATUS= from the server"
    r = m.sh("systemctl status --no-pager -l pgsvc.service", check=False)
    assert r.rc == 0, "systemctl status exits 0 for a running unit"
    assert f'Status: "{text}"' in r.out, r.out
    # The operator's own view: pgsvc status (exit 0 = running, like pg_ctl status).
    m.sh(f"pgsvc status -D {DATA}")


def test_12_journal_has_server_log_with_priorities(m):
    """journalctl -u pgsvc: the server's own lines, with syslog priorities (from the
    `<N>` prefixes, which must not show up in the messages)."""
    pid = main_pid(m)
    out = m.sh("journalctl -u pgsvc --no-pager -o json --output-fields=PRIORITY,MESSAGE,_PID,"
               "SYSLOG_IDENTIFIER", quiet=True).out
    entries = [json.loads(line) for line in out.splitlines() if line.strip()]
    server = [e for e in entries if e.get("_PID") and int(e["_PID"]) != 1
              and e.get("SYSLOG_IDENTIFIER") == "pgsvc"]
    for e in server[-15:]:
        log(f"  journal: priority={e.get('PRIORITY')} pid={e.get('_PID')} {e.get('MESSAGE')!r}")
    assert server, "no log lines from the server in the journal"
    assert any(int(e["_PID"]) == pid for e in server), "nothing logged by the running MainPID"
    assert not any(re.match(r"<\d>", str(e.get("MESSAGE", ""))) for e in server), \
        "priority prefixes were not parsed by journald"
    priorities = {e.get("PRIORITY") for e in server}
    assert priorities and all(p is not None for p in priorities), priorities
    m.sh("journalctl -u pgsvc --no-pager -p info -n 5 -o short-precise")


def test_13_watchdog(m):
    """WatchdogSec is set and the server keeps pinging: after more than WatchdogSec the
    same MainPID runs and the unit was never restarted."""
    props = show(m, "pgsvc.service", "WatchdogUSec", "NRestarts", "MainPID")
    log(f"watchdog: {props}")
    seconds = _seconds(props["WatchdogUSec"])
    assert seconds > 0, f"no watchdog: {props}"
    time.sleep(seconds + 3)
    after = show(m, "pgsvc.service", "NRestarts", "MainPID", "ActiveState")
    assert after["ActiveState"] == "active", after
    assert after["MainPID"] == props["MainPID"] and after["NRestarts"] == props["NRestarts"], after


def _seconds(text: str) -> float:
    total = 0.0
    for num, unit in re.findall(r"([\d.]+)\s*(min|ms|us|s|h)", text):
        total += float(num) * {"h": 3600, "min": 60, "s": 1, "ms": 1e-3, "us": 1e-6}[unit]
    return total


def test_14_stop_leaves_nothing_running(m):
    """systemctl stop: inactive, no pgsvc process left, socket and lock file removed."""
    m.sh("systemctl stop pgsvc.service", timeout=90)
    assert m.sh("systemctl is-active pgsvc.service", check=False).out.strip() == "inactive"
    procs = pgsvc_processes(m)
    assert not procs, f"left running after stop: {procs}"
    m.sh(f"test ! -e {DATA}/postmaster.pid && test ! -e {SOCKDIR}/.s.PGSQL.5432")
    r = m.sh("systemctl show -p Result --value pgsvc.service")
    assert r.out.strip() == "success", r.out
    r = m.sh(f"pgsvc status -D {DATA}", check=False)
    assert r.rc == 3, f"pgsvc status after stop exited {r.rc}, not 3 (not running)"


def test_15_restart(m):
    """systemctl start, then restart: a new MainPID that serves SQL (data kept)."""
    m.sh("systemctl start pgsvc.service", timeout=90)
    before = main_pid(m)
    m.sh("systemctl restart pgsvc.service", timeout=120)
    after = main_pid(m)
    assert after and after != before
    assert m.sh(PSQL_PGSVC + " -c 'SELECT count(*) FROM e2e'").out.strip() == "2"


def test_15b_crash_restart(m):
    """A supervisor killed with SIGKILL (stale postmaster.pid left behind) is restarted by
    systemd (Restart=on-failure) and serves again; its orphaned backends are gone."""
    before = main_pid(m)
    restarts = int(show(m, "pgsvc.service", "NRestarts")["NRestarts"])
    m.sh(f"test -f {DATA}/postmaster.pid && kill -KILL {before}")
    m.wait_for("a new MainPID, active",
               f"test \"$(systemctl show -p MainPID --value pgsvc)\" != {before} && "
               "test \"$(systemctl show -p MainPID --value pgsvc)\" != 0 && "
               "systemctl is-active -q pgsvc", timeout=60)
    assert int(show(m, "pgsvc.service", "NRestarts")["NRestarts"]) == restarts + 1
    assert m.sh(PSQL_PGSVC + " -c 'SELECT count(*) FROM e2e'").out.strip() == "2"
    assert not any(p.split()[0] == str(before) for p in pgsvc_processes(m))


def test_16_socket_activation(m):
    """pgsvc.socket: systemd listens; the first connection starts pgsvc.service, which
    takes the sockets over (Unix socket and TCP)."""
    # This test starts the unit several times within seconds, after the restarts above:
    # clear systemd's start rate limit (5 starts in 10 s by default, which the unit keeps
    # as a crash-loop brake) so that it is not what gets tested here.
    m.sh("systemctl reset-failed pgsvc.service")
    m.sh("systemctl stop pgsvc.service", timeout=90)
    m.sh("systemctl start pgsvc.socket")
    assert m.sh("systemctl is-active pgsvc.service", check=False).out.strip() == "inactive"
    m.sh(f"ls -l {SOCKDIR}/.s.PGSQL.5432")
    r = m.sh(PSQL_PGSVC + " -c 'SELECT count(*) FROM e2e'", timeout=90)
    assert r.out.strip() == "2"
    assert m.sh("systemctl is-active pgsvc.service").out.strip() == "active"
    m.sh("psql -X -h 127.0.0.1 -U pgsvc -d postgres -Atc 'SELECT 1'",
         env={"PGPASSWORD": m.tcp_password})
    # Stopping the service alone leaves the socket listening: the next client starts it again.
    m.sh("systemctl stop pgsvc.service", timeout=90)
    m.sh(f"test -S {SOCKDIR}/.s.PGSQL.5432")
    m.sh(PSQL_PGSVC + " -c 'SELECT 1'", timeout=90)
    assert m.sh("systemctl is-active pgsvc.service").out.strip() == "active"
    m.sh("systemctl stop pgsvc.socket pgsvc.service", timeout=90)
    assert not pgsvc_processes(m)
    m.sh("systemctl reset-failed pgsvc.service && systemctl start pgsvc.service", timeout=90)


def test_17_second_cluster(m):
    """pgsvc@second beside pgsvc.service: its own data directory and port."""
    m.sh(f"printf '%s\\n' '{SECOND_PASSWORD}' > /root/second.pw")
    m.sh(f"pgsvc initdb -D {SECOND} --owner pgsvc --auth-local peer --auth-host scram-sha-256 "
         f"--pwfile /root/second.pw -c unix_socket_directories={SOCKDIR} -c port={SECOND_PORT}",
         timeout=120)
    m.sh("systemctl start pgsvc@second.service", timeout=90)
    assert m.sh("systemctl is-active pgsvc@second.service pgsvc.service").out.split() == \
        ["active", "active"]
    assert main_pid(m, "pgsvc@second.service") != main_pid(m)
    m.sh(f"stat -c '%U:%G %a' {SECOND} | grep -qx 'pgsvc:pgsvc 700'")
    m.sh(PSQL_PGSVC + f" -p {SECOND_PORT} -c 'CREATE TABLE second_only (x int)'")
    r = m.sh(PSQL_PGSVC + f" -p {SECOND_PORT} -c 'SELECT count(*) FROM e2e'", check=False)
    assert r.rc != 0 and "does not exist" in r.err, "the second cluster sees the first one's table"
    m.sh(f"psql -X -h 127.0.0.1 -p {SECOND_PORT} -U pgsvc -d postgres -Atc 'SELECT 1'",
         env={"PGPASSWORD": SECOND_PASSWORD})
    m.sh("systemctl stop pgsvc@second.service", timeout=90)
    # The shared socket directory survives the other cluster's stop.
    m.sh(f"test -S {SOCKDIR}/.s.PGSQL.5432 && " + PSQL_PGSVC + " -c 'SELECT 1'")
    m.sh("systemctl start pgsvc@second.service", timeout=90)  # running at remove time


def test_18_upgrade_restarts_every_cluster(m):
    """Upgrading from the previous package (its prerm/postrm upgrade, then postinst
    configure with the old version) restarts pgsvc.service and the running pgsvc@
    clusters, and creates nothing; so does a reinstall of the same version."""
    assert m.sh("dpkg-query -W -f '${Version}' pgsvc").out == m.previous_version
    upgrade_restarts_every_cluster(m, m.deb)  # previous_version -> version
    assert m.sh("dpkg-query -W -f '${Version}' pgsvc").out == m.version
    upgrade_restarts_every_cluster(m, m.deb)  # the same version again (--reinstall)


def upgrade_restarts_every_cluster(m, deb: str) -> None:
    pids = {u: main_pid(m, u) for u in ("pgsvc.service", "pgsvc@second.service")}
    stamp = m.sh(f"sha256sum {DATA}/pgsvc.conf {DATA}/pg_hba.conf /var/lib/pgsvc/.pgpass").out
    m.sh(f"apt-get install -y --reinstall {deb}", timeout=300)
    for unit, before in pids.items():
        m.wait_for(f"{unit} active", f"systemctl is-active {unit}", timeout=60)
        assert main_pid(m, unit) not in (0, before), f"{unit} was not restarted"
    assert m.sh(f"sha256sum {DATA}/pgsvc.conf {DATA}/pg_hba.conf /var/lib/pgsvc/.pgpass").out == stamp
    assert m.sh(PSQL_PGSVC + " -c 'SELECT count(*) FROM e2e'").out.strip() == "2"


# --- remove / purge ---------------------------------------------------------------------

def test_19_remove_keeps_data(m):
    """apt remove: every cluster stopped, data and account kept."""
    m.sh("apt-get remove -y pgsvc", timeout=180)
    for unit in ("pgsvc.service", "pgsvc@second.service"):
        assert m.sh(f"systemctl is-active {unit}", check=False).out.strip() in ("inactive", "failed")
    assert not pgsvc_processes(m)
    m.sh(f"test -f {DATA}/pgsvc.conf && test -f {SECOND}/pgsvc.conf && getent passwd pgsvc")


def test_20_reinstall_leaves_existing_cluster_alone(m):
    """Reinstall after remove: the kept cluster is reused, not re-initialised."""
    stamp = m.sh(f"sha256sum {DATA}/pgsvc.conf {DATA}/pg_hba.conf").out
    m.sh(f"apt-get install -y {m.deb}", timeout=300)
    assert m.sh(f"sha256sum {DATA}/pgsvc.conf {DATA}/pg_hba.conf").out == stamp
    m.wait_for("pgsvc.service active", "systemctl is-active pgsvc.service", timeout=60)
    assert m.sh(PSQL_PGSVC + " -c 'SELECT count(*) FROM e2e'").out.strip() == "2"


def test_21_purge_removes_account_and_data(m):
    """apt purge: server stopped, /var/lib/pgsvc and the account gone."""
    m.sh("apt-get purge -y pgsvc", timeout=180)
    assert not pgsvc_processes(m)
    m.sh("test ! -e /var/lib/pgsvc")
    assert m.sh("getent passwd pgsvc", check=False).rc == 2
    assert m.sh("getent group pgsvc", check=False).rc == 2
    assert m.sh("systemctl is-active pgsvc.service", check=False).out.strip() != "active"
