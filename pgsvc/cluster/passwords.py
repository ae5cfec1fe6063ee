"""Stored password secrets, as PostgreSQL keeps them in pg_authid.rolpassword: SCRAM-SHA-256
verifiers (with scramp, loaded on first use) and md5 hashes. initdb and CREATE/ALTER ROLE
make them; the backend's authentication exchange (pgsvc.backend.auth) checks a client
against them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os

SCRAM_ITERATIONS = 4096
# The pg_hba.conf methods whose exchange needs scramp (password and md5 may check a
# stored SCRAM verifier).
METHODS_USING_SCRAMP = frozenset({"scram-sha-256", "md5", "password"})


def hba_uses_scramp(records) -> bool:
    """Whether some line of pg_hba.conf (its HbaRecords) asks a client for a password."""
    return any(record.method in METHODS_USING_SCRAMP for record in records)


@functools.cache
def scramp_module():
    """The scramp package, loaded on first use."""
    # lazy: importing scramp costs ~20 ms of CPU (asn1crypto for channel binding,
    # importlib.metadata for its version), which a server whose pg_hba.conf asks for no
    # password need not pay at start-up; the supervisor loads it before the first fork
    # when it does (postmaster._preload_backend_code)
    import scramp

    return scramp


@functools.cache
def scram_mechanism():
    """scramp's SCRAM-SHA-256 mechanism."""
    return scramp_module().ScramMechanism("SCRAM-SHA-256")


def make_scram_verifier(password: str, salt: bytes | None = None) -> str:
    """PostgreSQL's stored form: SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>."""
    salt, stored, server, iterations = scram_mechanism().make_auth_info(
        password, iteration_count=SCRAM_ITERATIONS, salt=salt or os.urandom(16))
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored)}:{b64(server)}"


def make_md5_password(password: str, user: str) -> str:
    return "md5" + hashlib.md5((password + user).encode()).hexdigest()


def encrypt_password(password: str, user: str, method: str = "scram-sha-256") -> str:
    """What CREATE ROLE ... PASSWORD stores (already-encrypted input is kept as given)."""
    if password.startswith("SCRAM-SHA-256$") or (password.startswith("md5") and len(password) == 35):
        return password
    if method == "md5":
        return make_md5_password(password, user)
    return make_scram_verifier(password)


def parse_scram_verifier(stored: str):
    """(salt, StoredKey, ServerKey, iterations) of a stored SCRAM verifier; None if it is not one."""
    try:
        method, rest = stored.split("$", 1)
        iter_salt, keys = rest.split("$", 1)
        iterations, salt = iter_salt.split(":", 1)
        stored_key, server_key = keys.split(":", 1)
        if method != "SCRAM-SHA-256":
            return None
        return (base64.b64decode(salt), base64.b64decode(stored_key), base64.b64decode(server_key),
                int(iterations))
    except (ValueError, TypeError):
        return None
