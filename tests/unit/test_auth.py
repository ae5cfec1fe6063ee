"""Authentication exchanges as pure state machines: SCRAM against scramp's client,
md5, cleartext, and the mock exchange for unknown roles (same shape, 28P01)."""

from __future__ import annotations

import hashlib
import struct

import pytest
import scramp

from pgsvc.backend import protocol as P
from pgsvc.backend.auth import Authenticator
from pgsvc.cluster.passwords import encrypt_password, make_md5_password, make_scram_verifier
from pgsvc.errors import FatalError


def auth_code(msg: bytes) -> int:
    assert msg[:1] == b"R"
    return struct.unpack_from("!i", msg, 5)[0]


def sasl_initial(data: bytes, mech: str = "SCRAM-SHA-256") -> bytes:
    return mech.encode() + b"\0" + struct.pack("!i", len(data)) + data


def run_scram(auth: Authenticator, user: str, password: str, sasl_user: str | None = None):
    """Drive the server with scramp's client; returns the server-final payload."""
    first = auth.begin()
    assert auth_code(first) == 10
    assert first[9:] == b"SCRAM-SHA-256\0\0"
    client = scramp.ScramClient(["SCRAM-SHA-256"], sasl_user if sasl_user is not None else user, password)
    cfirst = client.get_client_first()
    cont = auth.step(sasl_initial(cfirst.encode()))
    assert auth_code(cont) == 11
    client.set_server_first(cont[9:].decode())
    final = auth.step(client.get_client_final().encode())
    assert auth_code(final) == 12
    client.set_server_final(final[9:].decode())
    assert auth.done
    return final


def test_scram_verifier_format():
    v = make_scram_verifier("secret", salt=b"0123456789abcdef")
    method, iters_salt, keys = v.split("$")
    assert method == "SCRAM-SHA-256"
    assert iters_salt.split(":")[0] == "4096"
    assert len(keys.split(":")) == 2
    assert make_scram_verifier("secret", salt=b"0123456789abcdef") == v


def test_scram_success_with_scramp_client():
    stored = make_scram_verifier("pw")
    run_scram(Authenticator("scram-sha-256", "alice", stored), "alice", "pw")


def test_scram_success_with_libpq_style_empty_user():
    """libpq sends `n=,r=...`: the role comes from the start-up packet."""
    stored = make_scram_verifier("pw")
    auth = Authenticator("scram-sha-256", "alice", stored)
    auth.begin()
    nonce = "rOprNGfwEbeRWgbNEkqO"
    cont = auth.step(sasl_initial(f"n,,n=,r={nonce}".encode()))
    server_first = cont[9:].decode()
    # compute the client proof by hand over the exact client-first-bare that was sent
    import base64
    import hmac

    attrs = dict(a.split("=", 1) for a in server_first.split(","))
    salt, iters = base64.b64decode(attrs["s"]), int(attrs["i"])
    salted = hashlib.pbkdf2_hmac("sha256", b"pw", salt, iters)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    final_wo_proof = f"c=biws,r={attrs['r']}"
    auth_message = f"n=,r={nonce},{server_first},{final_wo_proof}".encode()
    signature = hmac.new(stored_key, auth_message, "sha256").digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    final = auth.step(f"{final_wo_proof},p={base64.b64encode(proof).decode()}".encode())
    assert auth_code(final) == 12
    assert auth.done


def test_scram_wrong_password_is_28p01():
    stored = make_scram_verifier("pw")
    with pytest.raises(FatalError) as e:
        run_scram(Authenticator("scram-sha-256", "alice", stored), "alice", "wrong")
    assert e.value.sqlstate == "28P01"
    assert e.value.message == 'password authentication failed for user "alice"'


def _mock_transcript(user: str):
    """Messages the server sends to a client with a wrong password; then the error."""
    auth = Authenticator("scram-sha-256", user, None)
    msgs = [auth.begin()]
    client = scramp.ScramClient(["SCRAM-SHA-256"], user, "whatever")
    msgs.append(auth.step(sasl_initial(client.get_client_first().encode())))
    client.set_server_first(msgs[-1][9:].decode())
    with pytest.raises(FatalError) as e:
        auth.step(client.get_client_final().encode())
    return msgs, e.value


def test_unknown_user_mock_exchange_has_the_same_shape():
    real = Authenticator("scram-sha-256", "alice", make_scram_verifier("pw"))
    msgs, err = _mock_transcript("ghost")
    assert auth_code(msgs[0]) == 10 and msgs[0] == real.begin()
    assert auth_code(msgs[1]) == 11
    attrs = dict(a.split("=", 1) for a in msgs[1][9:].decode().split(","))
    assert set(attrs) == {"r", "s", "i"}
    assert attrs["i"] == "4096"
    assert err.sqlstate == "28P01"
    assert err.message == 'password authentication failed for user "ghost"'
    # the fake salt is stable per name (a changing salt would reveal a missing role)
    msgs2, _ = _mock_transcript("ghost")
    attrs2 = dict(a.split("=", 1) for a in msgs2[1][9:].decode().split(","))
    assert attrs2["s"] == attrs["s"]


def test_scram_invalid_mechanism_and_garbage():
    auth = Authenticator("scram-sha-256", "alice", make_scram_verifier("pw"))
    auth.begin()
    with pytest.raises(FatalError) as e:
        auth.step(sasl_initial(b"n,,n=,r=abc", mech="SCRAM-SHA-1"))
    assert e.value.sqlstate == "08P01"
    auth = Authenticator("scram-sha-256", "alice", make_scram_verifier("pw"))
    auth.begin()
    with pytest.raises(FatalError) as e:
        auth.step(sasl_initial(b"garbage"))
    assert e.value.sqlstate in ("08P01", "28P01")
    auth = Authenticator("scram-sha-256", "alice", make_scram_verifier("pw"))
    auth.begin()
    with pytest.raises(FatalError) as e:  # not a bare SqlError, which would become XX000
        auth.step(b"\xff\xfe")
    assert e.value.sqlstate == "08P01"


def test_md5_exchange():
    stored = make_md5_password("pw", "alice")
    assert stored == "md5" + hashlib.md5(b"pwalice").hexdigest()
    auth = Authenticator("md5", "alice", stored)
    first = auth.begin()
    assert auth_code(first) == 5
    salt = first[9:13]
    answer = "md5" + hashlib.md5(stored[3:].encode() + salt).hexdigest()
    assert auth.step(answer.encode() + b"\0") is None
    assert auth.done


def test_md5_wrong_and_unknown():
    auth = Authenticator("md5", "alice", make_md5_password("pw", "alice"))
    auth.begin()
    with pytest.raises(FatalError) as e:
        auth.step(b"md5" + b"0" * 32 + b"\0")
    assert e.value.sqlstate == "28P01"
    # a missing role is asked for what password_encryption stores (PostgreSQL's rule):
    # the same as an existing role's request, whichever method that is
    assert auth_code(Authenticator("md5", "ghost", None).begin()) == 10
    ghost = Authenticator("md5", "ghost", None, "md5")
    assert auth_code(ghost.begin()) == 5  # asked like anyone else
    with pytest.raises(FatalError) as e:
        ghost.step(b"md5" + b"0" * 32 + b"\0")
    assert e.value.message == 'password authentication failed for user "ghost"'


def test_md5_salts_differ():
    a = Authenticator("md5", "alice", make_md5_password("pw", "alice")).begin()
    b = Authenticator("md5", "alice", make_md5_password("pw", "alice")).begin()
    assert a != b


def test_md5_hba_with_scram_verifier_runs_scram():
    auth = Authenticator("md5", "alice", make_scram_verifier("pw"))
    run_scram(auth, "alice", "pw")


def test_cleartext_password():
    for stored in (make_scram_verifier("pw"), make_md5_password("pw", "alice")):
        auth = Authenticator("password", "alice", stored)
        assert auth.begin() == P.AUTH_CLEARTEXT
        assert auth.step(b"pw\0") is None and auth.done
        bad = Authenticator("password", "alice", stored)
        bad.begin()
        with pytest.raises(FatalError) as e:
            bad.step(b"nope\0")
        assert e.value.sqlstate == "28P01"
    ghost = Authenticator("password", "ghost", None)
    ghost.begin()
    with pytest.raises(FatalError):
        ghost.step(b"pw\0")


def test_trust_and_reject():
    auth = Authenticator("trust", "alice", None)
    assert auth.begin() is None and auth.done
    with pytest.raises(FatalError) as e:
        Authenticator("reject", "alice", None).begin()
    assert e.value.sqlstate == "28000"


def test_encrypt_password_keeps_encrypted_input():
    v = make_scram_verifier("pw")
    assert encrypt_password(v, "alice") == v
    md5 = make_md5_password("pw", "alice")
    assert encrypt_password(md5, "alice") == md5
    assert encrypt_password("pw", "alice", "md5") == md5
    assert encrypt_password("pw", "alice").startswith("SCRAM-SHA-256$")


def test_malformed_password_packets():
    auth = Authenticator("md5", "alice", make_md5_password("pw", "alice"))
    auth.begin()
    with pytest.raises(FatalError) as e:
        auth.step(b"no terminator")
    assert e.value.sqlstate == "08P01"
