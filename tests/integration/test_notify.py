"""systemd readiness protocol against a fake NOTIFY_SOCKET the test binds.

READY=1 only once the sockets accept; RELOADING=1 with MONOTONIC_USEC then READY=1
on SIGHUP; WATCHDOG=1 pings under WATCHDOG_USEC; STOPPING=1 on SIGTERM. Backends
must not inherit the variable nor the notification socket.
"""

from __future__ import annotations

import os
import signal
import socket
import time

import psutil
import pytest

import pgwire
from conftest import wait_until


class FakeSystemd:
    def __init__(self, directory) -> None:
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o777)  # the server sends as its (unprivileged) account
        self.messages: list[dict[str, str]] = []

    def receive(self, timeout: float = 10) -> dict[str, str]:
        self.sock.settimeout(timeout)
        data = self.sock.recv(65536).decode()
        msg = dict(line.split("=", 1) for line in data.split("\n") if line)
        self.messages.append(msg)
        return msg

    def receive_until(self, key: str, timeout: float = 10) -> list[dict[str, str]]:
        """Messages up to and including the first that has `key`."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {key} in {got}")
            msg = self.receive(remaining)
            got.append(msg)
            if key in msg:
                return got

    def close(self) -> None:
        self.sock.close()


def _mono_usec() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


@pytest.fixture(scope="module")
def notified(module_server_factory):
    srv = module_server_factory(start=False)
    fake = FakeSystemd(str(srv.base))
    srv.start(env={"NOTIFY_SOCKET": fake.path, "WATCHDOG_USEC": "600000"}, wait=False)
    # READY=1 is the first message that matters; connect the instant it arrives.
    msgs = fake.receive_until("READY", timeout=20)
    tcp = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
    unix = socket.socket(socket.AF_UNIX)
    unix.settimeout(2)
    unix.connect(srv.socket_path)
    lock_status = (srv.datadir / "postmaster.pid").read_text().split("\n")[7].strip()
    tcp.close()
    unix.close()
    yield srv, fake, msgs, lock_status
    fake.close()


def test_ready_only_after_sockets_accept(notified):
    srv, fake, msgs, lock_status = notified
    ready = msgs[-1]
    assert ready["READY"] == "1"
    assert int(ready["MAINPID"]) == srv.pid
    assert "ready to accept connections" in ready["STATUS"]
    assert lock_status == "ready"
    # nothing before READY claimed readiness or stopping
    for m in msgs[:-1]:
        assert "READY" not in m and "STOPPING" not in m, msgs


def test_watchdog_pings(notified):
    srv, fake, _, _ = notified
    start = time.monotonic()
    pings = 0
    while pings < 3 and time.monotonic() - start < 5:
        if "WATCHDOG" in fake.receive(5):
            assert fake.messages[-1]["WATCHDOG"] == "1"
            pings += 1
    assert pings == 3
    # pinged at about half the 0.6 s timeout: 3 pings well within 2 s
    assert time.monotonic() - start < 2.0


def test_backends_do_not_inherit_notify_socket(notified):
    srv, fake, _, _ = notified
    held = pgwire.open_socket(("127.0.0.1", srv.port))
    try:
        (backend,) = srv.wait_children(1)
        environ = open(f"/proc/{backend.pid}/environ", "rb").read().split(b"\x00")
        assert not any(e.startswith((b"NOTIFY_SOCKET=", b"WATCHDOG_USEC=")) for e in environ), environ
        # nor the notification socket: a TCP client's backend has no Unix socket at all
        # (the supervisor has two: the listener and the one connected to NOTIFY_SOCKET)
        assert len(psutil.Process(srv.pid).net_connections(kind="unix")) == 2
        # The child closes them first thing after fork: wait for that (bounded) instead of
        # racing the fork on a busy machine, where the child may not have run yet.
        wait_until(lambda: backend.net_connections(kind="unix") == [], timeout=10,
                   what="the backend to close the supervisor's Unix sockets")
    finally:
        held.close()
    srv.wait_children(0)


def test_sighup_reloading_then_ready(notified):
    srv, fake, _, _ = notified
    before = _mono_usec()
    os.kill(srv.pid, signal.SIGHUP)
    msgs = [m for m in fake.receive_until("RELOADING") if "WATCHDOG" not in m]
    reloading = msgs[-1]
    assert reloading["RELOADING"] == "1"
    stamp = int(reloading["MONOTONIC_USEC"])
    assert before <= stamp <= _mono_usec()
    after = [m for m in fake.receive_until("READY") if "WATCHDOG" not in m]
    assert after[-1]["READY"] == "1"
    assert srv.proc.poll() is None


def test_stopping_on_sigterm(notified):
    srv, fake, _, _ = notified
    os.kill(srv.pid, signal.SIGTERM)
    msgs = fake.receive_until("STOPPING")
    assert msgs[-1]["STOPPING"] == "1"
    assert srv.proc.wait(20) == 0
    wait_until(lambda: not (srv.datadir / "postmaster.pid").exists(), what="lock file removal")
    # no READY after STOPPING
    fake.sock.settimeout(0.2)
    try:
        while True:
            m = fake.receive(0.2)
            assert "READY" not in m
    except TimeoutError:
        pass


def test_journald_priority_prefixes(server_factory):
    """Under systemd (stderr is the journal stream JOURNAL_STREAM names) each log line
    carries a <N> syslog priority; otherwise lines are PostgreSQL's plain format."""
    srv = server_factory(start=False)
    srv.log.touch()
    st = os.stat(srv.log)
    srv.start(env={"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
    srv.stop()
    lines = [ln for ln in srv.log.read_text().splitlines() if ln]
    assert lines and all(ln.startswith("<") for ln in lines), lines
    assert "<6>LOG:  database system is ready to accept connections" in lines

    plain = server_factory()
    plain.stop()
    text = plain.log.read_text()
    assert "LOG:  database system is ready to accept connections" in text
    assert "<6>" not in text
