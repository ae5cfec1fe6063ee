"""Where and as whom a client connects: libpq's rules for the options -h -p -U -d and
the environment (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE,
PGCONNECT_TIMEOUT), and the password file ~/.pgpass.

pgsvc's own tools (`pgsvc dump`) resolve their target here exactly as psql would, so a
command line that works for psql works for them.
"""

from __future__ import annotations

import getpass
import os
import stat
import sys
from dataclasses import dataclass

DEFAULT_PORT = 5432
# With no host, libpq uses the one socket directory it was built with. pgsvc's servers
# put theirs in /run/pgsvc (the packaged service) or /tmp (the server's default), and
# a dump is as often taken from PostgreSQL itself (Debian: /var/run/postgresql); the
# first directory that holds the port's socket wins, so no -h is needed in any of them.
DEFAULT_SOCKET_DIRS = ("/run/pgsvc", "/tmp", "/var/run/postgresql")


@dataclass(frozen=True)
class ConnParams:
    host: str | None  # a host name or address, a socket directory, or None for the default
    port: int
    user: str
    dbname: str
    password: str | None = None
    connect_timeout: float | None = None

    def is_socket(self) -> bool:
        return self.host is None or self.host.startswith("/")

    def socket_path(self) -> str:
        """The Unix socket to use (for is_socket() targets)."""
        name = f".s.PGSQL.{self.port}"
        if self.host is not None:
            return os.path.join(self.host, name)
        for directory in DEFAULT_SOCKET_DIRS:
            path = os.path.join(directory, name)
            if os.path.exists(path):
                return path
        return os.path.join(DEFAULT_SOCKET_DIRS[1], name)

    def with_dbname(self, dbname: str) -> ConnParams:
        return ConnParams(self.host, self.port, self.user, dbname, self.password, self.connect_timeout)


class ConnInfoError(ValueError):
    """An option or environment value that cannot be used (bad port, ...)."""


def resolve(host: str | None = None, port: int | str | None = None, user: str | None = None,
            dbname: str | None = None, env: dict[str, str] | None = None) -> ConnParams:
    """Options win over the environment, the environment over libpq's defaults."""
    env = os.environ if env is None else env
    host = host or env.get("PGHOST") or None
    port_text = str(port) if port not in (None, "") else env.get("PGPORT") or str(DEFAULT_PORT)
    user = user or env.get("PGUSER") or _os_user()
    dbname = dbname or env.get("PGDATABASE") or user
    timeout = env.get("PGCONNECT_TIMEOUT")
    return ConnParams(host, _port_number(port_text), user, dbname, env.get("PGPASSWORD"),
                      _timeout(timeout))


def _port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 1 <= value <= 65535:
        raise ConnInfoError(f'invalid port number: "{text}"')
    return value


def _timeout(text: str | None) -> float | None:
    # libpq: zero, negative or unparsable means wait indefinitely; 1 is raised to 2 seconds
    try:
        value = int(text) if text else 0
    except ValueError:
        return None
    return float(max(value, 2)) if value > 0 else None


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        raise ConnInfoError("could not look up local user name") from None


# ---------------------------------------------------------------- the password file

def password_from_file(params: ConnParams, env: dict[str, str] | None = None) -> str | None:
    """The password ~/.pgpass (or $PGPASSFILE) holds for this target, as libpq reads it:
    the first matching hostname:port:database:username:password line, '*' matching
    anything, backslash escaping ':' and '\\'. A file others can read is ignored, with
    libpq's warning."""
    env = os.environ if env is None else env
    path = env.get("PGPASSFILE") or os.path.join(os.path.expanduser("~"), ".pgpass")
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        print(f'WARNING: password file "{path}" has group or world access; '
              "permissions should be u=rw (0600) or less", file=sys.stderr)
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    # libpq matches a socket connection's host as "localhost"
    wanted = ["localhost" if params.is_socket() else params.host, str(params.port), params.dbname,
              params.user]
    for line in lines:
        if not line or line.startswith("#"):
            continue
        fields = split_pgpass_line(line)
        if len(fields) == 5 and all(f in ("*", w) for f, w in zip(fields[:4], wanted)):
            return fields[4]
    return None


def split_pgpass_line(line: str) -> list[str]:
    fields, current, escaped = [], [], False
    for ch in line:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ":" and len(fields) < 4:
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
    fields.append("".join(current))
    return fields
