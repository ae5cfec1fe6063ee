"""Client authentication exchanges: trust, password, md5, scram-sha-256 (with scramp),
checked against the stored secrets of pgsvc.cluster.passwords.

Pure state machines (no I/O): `Authenticator.begin()` returns the first message to
send (or None when nothing is asked), `step(body)` consumes the client's reply and
returns the next message or None when authentication has succeeded; failures raise
FatalError. An unknown role goes through the same exchange as a known one with a
wrong password — same messages, same timing class, same final error — so that a
client cannot probe which roles exist.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from pgsvc.backend import protocol
from pgsvc.cluster.passwords import (
    SCRAM_ITERATIONS,
    make_md5_password,
    make_scram_verifier,
    parse_scram_verifier,
    scram_mechanism,
    scramp_module,
)
from pgsvc.errors import INVALID_AUTHORIZATION_SPECIFICATION, INVALID_PASSWORD, FatalError, SqlError

# Per-cluster secret for mock salts would be better; a fixed key still makes the fake
# salt stable per user name, which is what hides a role's (non-)existence.
_MOCK_KEY = b"pgsvc-mock-auth-nonce"


def _mock_scram(user: str):
    salt = hmac.new(_MOCK_KEY, user.encode(), hashlib.sha256).digest()[:16]
    return salt, os.urandom(32), os.urandom(32), SCRAM_ITERATIONS


def auth_failed(user: str) -> FatalError:
    return FatalError(INVALID_PASSWORD, f'password authentication failed for user "{user}"')


class Authenticator:
    """One connection's password exchange for the method pg_hba.conf chose."""

    def __init__(self, method: str, user: str, stored_password: str | None,
                 password_encryption: str = "scram-sha-256") -> None:
        self.method = method
        self.user = user
        self.stored = stored_password  # None: unknown role, no password, or expired
        # What a role without a stored password is treated as having (PostgreSQL's
        # CheckPWChallengeAuth): under an md5 line, a missing role must be asked for the
        # same method as an existing one, or the request itself tells that it is missing.
        self.password_encryption = password_encryption
        self._scram = None
        self._salt = b""
        self._stage = 0
        self.done = False

    def begin(self) -> bytes | None:
        if self.method == "trust":
            self.done = True
            return None
        if self.method == "reject":
            raise FatalError(INVALID_AUTHORIZATION_SPECIFICATION, "authentication rejected")
        if self.method == "password":
            return protocol.AUTH_CLEARTEXT
        stored_type = "md5" if (self.stored or "").startswith("md5") else (
            "scram-sha-256" if self.stored else self.password_encryption)
        if self.method == "md5" and stored_type == "md5":
            self._salt = os.urandom(4)
            return protocol.encode_auth_md5(self._salt)
        # scram-sha-256, or md5 with a SCRAM verifier stored (PostgreSQL upgrades it)
        self.method = "scram-sha-256"
        return protocol.encode_auth_sasl(["SCRAM-SHA-256"])

    def step(self, body: bytes) -> bytes | None:
        if self.method == "password":
            return self._check_cleartext(protocol.decode_password(body))
        if self.method == "md5":
            return self._check_md5(protocol.decode_password(body))
        return self._scram_step(body)

    def _check_cleartext(self, given: bytes) -> None:
        password = given.decode("utf-8", "replace")
        stored = self.stored or ""
        if stored.startswith("SCRAM-SHA-256$"):
            info = parse_scram_verifier(stored)
            ok = info is not None and make_scram_verifier(password, info[0]) == stored
        elif stored.startswith("md5"):
            ok = hmac.compare_digest(make_md5_password(password, self.user), stored)
        else:
            ok = False
        if not ok:
            raise auth_failed(self.user)
        self.done = True
        return None

    def _check_md5(self, given: bytes) -> None:
        stored = self.stored or ""
        if not stored.startswith("md5"):
            raise auth_failed(self.user)
        expected = "md5" + hashlib.md5(stored[3:].encode() + self._salt).hexdigest()
        if not hmac.compare_digest(expected.encode(), given):
            raise auth_failed(self.user)
        self.done = True
        return None

    def _scram_step(self, body: bytes) -> bytes | None:
        try:
            if self._stage == 0:
                mechanism, data = protocol.decode_sasl_initial(body)
                if mechanism != "SCRAM-SHA-256":
                    raise FatalError("08P01", "client selected an invalid SASL authentication mechanism")
                info = parse_scram_verifier(self.stored or "") or _mock_scram(self.user)
                self._scram = scram_mechanism().make_server(lambda _name: info)
                _set_client_first(self._scram, data.decode("utf-8"))
                self._stage = 1
                return protocol.encode_auth_sasl_continue(self._scram.get_server_first().encode())
            if self._stage == 1:
                self._stage = 2
                self._scram.set_client_final(body.decode("utf-8"))
                if self.stored is None or not self.stored.startswith("SCRAM-SHA-256$"):
                    raise auth_failed(self.user)
                self.done = True
                return protocol.encode_auth_sasl_final(self._scram.get_server_final().encode())
        except FatalError:
            raise
        except SqlError as e:  # a malformed SASL message: still a clean FATAL, never XX000
            raise FatalError(e.sqlstate, e.message) from None
        except scramp_module().ScramException:
            raise auth_failed(self.user) from None
        except (UnicodeDecodeError, ValueError):
            raise FatalError("08P01", "malformed SCRAM message") from None
        raise FatalError("08P01", "unexpected SASL message")


def _set_client_first(server, client_first: str) -> None:
    """Hand the client-first message to scramp, accepting libpq's empty user name.

    libpq sends `n=` (empty): PostgreSQL takes the role from the start-up packet and
    ignores SCRAM's user name. scramp refuses an empty attribute, so it parses a copy
    with a placeholder name, and then gets the bytes the client really sent back as
    client-first-bare — the client's proof is computed over those.
    """
    gs2_end = client_first.find(",", client_first.find(",") + 1) + 1
    bare = client_first[gs2_end:] if gs2_end > 0 else client_first
    if not bare.startswith("n=,"):
        server.set_client_first(client_first)
        return
    server.set_client_first(client_first[:gs2_end] + "n=*," + bare[3:])
    server.client_first_bare = bare
