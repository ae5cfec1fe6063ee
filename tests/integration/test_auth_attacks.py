"""Authentication under attack (issue 7): nobody gets in who should not, and a failed
attempt teaches nothing.

The exchanges are driven by hand (tests/integration/pgwire.py framing, scramp's
client) so that a proof can be tampered with, a response replayed, or a query sent
before the password. test_client_auth.py covers the ordinary success/failure paths
with real clients; this module is the adversarial side.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct

import pytest
import scramp

import pgwire

PASSWORD = "s3cret-for-attacks"
I32 = struct.Struct("!i")


def _pwfile(base) -> str:
    path = os.path.join(base, "pw")
    with open(path, "w") as f:
        f.write(PASSWORD + "\n")
    return path


@pytest.fixture(scope="module")
def scram(module_server_factory, tmp_path_factory):
    return module_server_factory("--auth", "scram-sha-256", "--pwfile", _pwfile(tmp_path_factory.mktemp("pw")))


@pytest.fixture(scope="module")
def md5_hba(module_server_factory, tmp_path_factory):
    """pg_hba says md5; the superuser's stored password is an md5 hash, and so is what a
    missing role is taken to have (password_encryption = md5)."""
    srv = module_server_factory("--auth", "md5", "--pwfile", _pwfile(tmp_path_factory.mktemp("pw")), start=False)
    _store_md5_password(srv)
    srv.start("-c", "password_encryption=md5")
    return srv


@pytest.fixture(scope="module")
def md5_hba_scram_stored(module_server_factory, tmp_path_factory):
    """pg_hba says md5; the stored password is a SCRAM verifier (initdb's default)."""
    return module_server_factory("--auth", "md5", "--pwfile", _pwfile(tmp_path_factory.mktemp("pw")))


@pytest.fixture(scope="module")
def cleartext(module_server_factory, tmp_path_factory):
    return module_server_factory("--auth", "password", "--pwfile", _pwfile(tmp_path_factory.mktemp("pw")))


def _store_md5_password(srv) -> None:
    import pwd
    import subprocess

    from pgsvc.cluster.passwords import make_md5_password

    pw = pwd.getpwnam(srv.account) if srv.account else None

    def as_owner():
        if pw:
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)

    code = ("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]);"
            "c.execute('UPDATE pg_authid SET rolpassword=? WHERE rolname=?', (sys.argv[2], sys.argv[3]));"
            "c.commit()")
    subprocess.run(["python3", "-c", code, str(srv.datadir / "global" / "catalog.db"),
                    make_md5_password(PASSWORD, srv.superuser), srv.superuser],
                   check=True, preexec_fn=as_owner, timeout=30)


# ------------------------------------------------------------------ a hand-driven client

class Wire:
    """One connection, every byte the server sends kept in `transcript`."""

    def __init__(self, srv, tcp: bool = True) -> None:
        self.sock = pgwire.open_socket(("127.0.0.1", srv.port) if tcp else srv.socket_path)
        self.transcript: list[tuple[bytes, bytes]] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def startup(self, user: str) -> None:
        self.send(pgwire.startup_packet({"user": user, "database": "postgres"}))

    def read(self) -> tuple[bytes, bytes] | None:
        try:
            msg = pgwire.read_message(self.sock)
        except (ConnectionError, ConnectionResetError):
            return None
        self.transcript.append(msg)
        return msg

    def read_auth(self) -> int:
        msg = self.read()
        assert msg is not None and msg[0] == b"R", (msg, self.transcript)
        return I32.unpack_from(msg[1])[0]

    def final(self) -> list[tuple[bytes, bytes]]:
        """Everything until the server closes (or says ReadyForQuery)."""
        out = []
        while (msg := self.read()) is not None:
            out.append(msg)
            if msg[0] == b"Z":
                break
        return out

    def password(self, data: bytes) -> None:
        self.send(pgwire.message(b"p", data))


def _error(msgs) -> dict[str, str]:
    errors = [pgwire.parse_error(body) for t, body in msgs if t == b"E"]
    assert errors, msgs
    return errors[-1]


def _no_login(msgs) -> None:
    types = [t for t, _ in msgs]
    assert b"Z" not in types and b"T" not in types and b"D" not in types, msgs
    assert (b"R", b"\x00\x00\x00\x00") not in msgs, ("AuthenticationOk for an attacker", msgs)


def _scram_attempt(srv, user: str, password: str, tamper=None):
    """A full SCRAM exchange; `tamper(client_final: str) -> str` edits the last message.
    Returns (Wire transcript, closing messages)."""
    with Wire(srv) as w:
        w.startup(user)
        assert w.read_auth() == 10
        client = scramp.ScramClient(["SCRAM-SHA-256"], user, password)
        first = client.get_client_first().encode()
        w.password(b"SCRAM-SHA-256\x00" + I32.pack(len(first)) + first)
        assert w.read_auth() == 11
        client.set_server_first(w.transcript[-1][1][4:].decode())
        final = client.get_client_final()
        if tamper is not None:
            final = tamper(final)
        w.password(final.encode())
        return w.transcript, w.final()


# ------------------------------------------------------------------ tests

def _flip_proof(final: str) -> str:
    head, proof = final.rsplit(",p=", 1)
    raw = bytearray(base64.b64decode(proof))
    raw[0] ^= 0x01
    return head + ",p=" + base64.b64encode(bytes(raw)).decode()


def _other_nonce(final: str) -> str:
    parts = final.split(",")
    parts = [p[:-1] + ("A" if p[-1] != "A" else "B") if p.startswith("r=") else p for p in parts]
    return ",".join(parts)


@pytest.mark.parametrize("tamper", [_flip_proof, _other_nonce, lambda f: f.rsplit(",p=", 1)[0],
                                    lambda f: f + ",x=1", lambda f: "garbage"],
                         ids=["flipped-proof-bit", "changed-nonce", "no-proof", "extra-attribute", "garbage"])
def test_scram_tampered_final_message_is_refused(scram, tamper):
    _transcript, closing = _scram_attempt(scram, scram.superuser, PASSWORD, tamper)
    _no_login(closing)
    err = _error(closing)
    assert err["S"] == "FATAL" and err["C"] in ("28P01", "08P01"), err
    assert not any(t == b"R" and body[:4] == I32.pack(12) for t, body in closing), \
        "server sent its signature (SASLFinal) for a bad proof"


def test_scram_untampered_control(scram):
    """The same driver with nothing tampered logs in: the refusals above are real."""
    _transcript, closing = _scram_attempt(scram, scram.superuser, PASSWORD)
    assert (b"R", I32.pack(0)) in closing, closing


def _normalize(msgs, user: str):
    return [(t, body.replace(user.encode(), b"<user>")) for t, body in msgs]


def test_scram_unknown_user_indistinguishable_from_wrong_password(scram):
    """Same requests, same mechanism list, same iteration count and salt length, a salt
    that is stable across attempts (a fresh random one per attempt would give the role's
    absence away), and the same final ErrorResponse byte for byte (up to the name)."""
    ghost = "ghost_" + "x" * (len(scram.superuser) - 6) if len(scram.superuser) > 6 else "ghost_user"
    runs = {}
    for user in (scram.superuser, ghost):
        runs[user] = [_scram_attempt(scram, user, "wrong password") for _ in range(2)]
    shapes = {}
    for user, attempts in runs.items():
        salts = set()
        for transcript, closing in attempts:
            mechs = transcript[0][1]
            server_first = dict(kv.split("=", 1) for kv in transcript[1][1][4:].decode().split(","))
            salts.add(server_first["s"])
            shapes.setdefault(user, set()).add((mechs, server_first["i"], len(base64.b64decode(server_first["s"])),
                                                tuple(_normalize(closing, user))))
        assert len(salts) == 1, f"salt for {user} changes between attempts"
    (real_shape,), (ghost_shape,) = shapes[scram.superuser], shapes[ghost]
    assert real_shape == ghost_shape


def _md5_attempt(srv, user: str, password: str, response: bytes | None = None):
    with Wire(srv) as w:
        w.startup(user)
        code = w.read_auth()
        if code != 5:
            return code, None, None, w.transcript
        salt = w.transcript[-1][1][4:8]
        if response is None:
            inner = hashlib.md5((password + user).encode()).hexdigest()
            response = ("md5" + hashlib.md5(inner.encode() + salt).hexdigest()).encode()
        w.password(response + b"\x00")
        return code, salt, response, w.final()


def test_md5_replay_of_a_captured_response_fails(md5_hba):
    code, salt1, captured, closing = _md5_attempt(md5_hba, md5_hba.superuser, PASSWORD)
    assert code == 5 and (b"R", I32.pack(0)) in closing, closing  # the capture was a real login
    for _ in range(3):
        code, salt2, _, closing = _md5_attempt(md5_hba, md5_hba.superuser, "", response=captured)
        assert code == 5
        assert salt2 != salt1, "the server reused an md5 salt"
        _no_login(closing)
        assert _error(closing)["C"] == "28P01"


def test_md5_unknown_user_indistinguishable_from_wrong_password(md5_hba):
    _, _, _, wrong = _md5_attempt(md5_hba, md5_hba.superuser, "wrong")
    _, _, _, ghost = _md5_attempt(md5_hba, "ghost_user", "wrong")
    assert _normalize(wrong, md5_hba.superuser) == _normalize(ghost, "ghost_user")


def test_md5_hba_unknown_user_gets_the_same_method_as_a_scram_role(md5_hba_scram_stored):
    """pg_hba md5, roles stored as SCRAM verifiers: a known role is asked for SCRAM, so an
    unknown one must be too (PostgreSQL uses password_encryption for a missing role);
    answering it with an md5 request would tell an attacker the role does not exist."""
    srv = md5_hba_scram_stored
    with Wire(srv) as w:
        w.startup(srv.superuser)
        known = w.read_auth()
    with Wire(srv) as w:
        w.startup("ghost_user")
        unknown = w.read_auth()
    assert known == 10
    assert unknown == known


def test_cleartext_unknown_user_and_wrong_password_look_the_same(cleartext):
    out = {}
    for user in (cleartext.superuser, "ghost_user"):
        with Wire(cleartext) as w:
            w.startup(user)
            assert w.read_auth() == 3
            w.password(b"wrong\x00")
            out[user] = _normalize(w.final(), user)
    assert out[cleartext.superuser] == out["ghost_user"]
    assert _error(out["ghost_user"])["C"] == "28P01"


@pytest.mark.parametrize("payload", [b"", b"\x00", b"a\x00b\x00", PASSWORD.encode()],
                         ids=["empty-body", "empty-password", "two-strings", "no-terminator"])
def test_cleartext_malformed_password_messages(cleartext, payload):
    with Wire(cleartext) as w:
        w.startup(cleartext.superuser)
        assert w.read_auth() == 3
        w.password(payload)
        closing = w.final()
    _no_login(closing)
    assert _error(closing)["C"] in ("08P01", "28P01"), closing


@pytest.mark.parametrize("which", ["scram", "md5_hba", "cleartext"])
def test_no_query_before_authentication(which, request):
    """A Query sent instead of the password, or pipelined behind the start-up packet:
    FATAL, never a row, never AuthenticationOk."""
    srv = request.getfixturevalue(which)
    query = pgwire.message(b"Q", b"select 42\x00")
    with Wire(srv) as w:
        w.startup(srv.superuser)
        assert w.read_auth() in (3, 5, 10)
        w.send(query)
        closing = w.final()
    _no_login(closing)
    err = _error(closing)
    assert err["S"] == "FATAL" and err["C"] == "08P01", err
    with Wire(srv, tcp=False) as w:
        w.send(pgwire.startup_packet({"user": srv.superuser, "database": "postgres"}) + query
               + pgwire.message(b"S", b""))
        closing = w.final()
    _no_login(closing)
    assert _error(closing)["S"] == "FATAL"


def test_sasl_exchange_cannot_be_skipped_or_restarted(scram):
    """Client-final first, an unknown mechanism, and a second client-first: all refused."""
    cases = [
        b"c=biws,r=abc,p=" + base64.b64encode(b"x" * 32),
        b"SCRAM-SHA-1\x00" + I32.pack(3) + b"abc",
        b"SCRAM-SHA-256\x00" + I32.pack(1000) + b"n,,n=,r=abc",  # length past the end
        b"SCRAM-SHA-256\x00" + I32.pack(-1),  # no initial response
    ]
    for payload in cases:
        with Wire(scram) as w:
            w.startup(scram.superuser)
            assert w.read_auth() == 10
            w.password(payload)
            closing = w.final()
        _no_login(closing)
        err = _error(closing)
        assert err["S"] == "FATAL" and err["C"] in ("08P01", "28P01"), (payload, err)


def test_hba_without_a_matching_line_refuses(module_server_factory):
    """Only the Unix socket is allowed: TCP gets 28000 'no pg_hba.conf entry', before any
    password is asked."""
    srv = module_server_factory("--auth-local", "trust", "--auth-host", "reject", start=False)
    hba = srv.datadir / "pg_hba.conf"
    hba.write_text("".join(line + "\n" for line in hba.read_text().splitlines()
                           if not line.strip().startswith("host")))
    srv.start()
    with Wire(srv) as w:
        w.startup(srv.superuser)
        closing = w.final()
    _no_login(closing)
    err = _error(closing)
    assert err["C"] == "28000" and "no pg_hba.conf entry" in err["M"], err
    assert pgwire.startup(srv.socket_path, srv.superuser).auth_ok


def test_attackers_leave_no_backend_behind(scram):
    socket.setdefaulttimeout(None)
    scram.wait_children(0, timeout=10)
    log = scram.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
