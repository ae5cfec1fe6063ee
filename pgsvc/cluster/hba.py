"""pg_hba.conf: PostgreSQL's client-authentication file, its syntax and matching rules.

Records are tried in order; the first whose connection type, database, user and
client address match decides the method. No match means rejection (28000), as in
PostgreSQL. The backend re-reads the file per connection from the supervisor's
loaded copy, so a reload (SIGHUP) changes who may connect without a restart.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
from dataclasses import dataclass

from pgsvc.errors import PgsvcError

METHODS = ("trust", "reject", "md5", "password", "scram-sha-256", "peer")
CONN_TYPES = ("local", "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc")


class HbaError(PgsvcError):
    pass


@dataclass(frozen=True)
class HbaRecord:
    line: int
    conn_type: str
    databases: tuple[str, ...]
    users: tuple[str, ...]
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | str | None  # None for local
    method: str
    options: tuple[tuple[str, str], ...] = ()
    # Names that were quoted in the file: a quoted "all", "sameuser", "+group" or "@file"
    # is a plain name, not a keyword (PostgreSQL's rule).
    literal_databases: frozenset[str] = frozenset()
    literal_users: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ClientInfo:
    """What matching needs to know about a connection."""

    local: bool  # Unix socket
    address: str | None  # IP address for TCP
    ssl: bool
    database: str
    user: str
    # replication=true: a physical walsender, which only the `replication` keyword matches
    # (replication=database connections match by their database's name, as PostgreSQL 15)
    physical_replication: bool = False


def load_hba(path: str) -> list[HbaRecord]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return parse_hba(text, os.path.dirname(path), path)


def parse_hba(text: str, basedir: str = ".", source: str = "pg_hba.conf") -> list[HbaRecord]:
    records = []
    pending = ""
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw)
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if not line.strip():
            continue
        records.append(_parse_line(line, lineno, basedir, source))
    return records


def _strip_comment(line: str) -> str:
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return line[:i]
    return line


def _tokenize(line: str) -> list[list[tuple[str, bool]]]:
    """Fields separated by blanks, each a comma-separated list of (item, was_quoted)."""
    fields: list[list[tuple[str, bool]]] = []
    field: list[tuple[str, bool]] = []
    item, quoted, in_quote, pending = "", False, False, False
    for ch in line:
        if in_quote:
            if ch == '"':
                in_quote = False
            else:
                item += ch
            continue
        if ch == '"':
            in_quote = quoted = pending = True
        elif ch == ",":
            field.append((item, quoted))
            item, quoted, pending = "", False, True
        elif ch.isspace():
            if pending or item:
                field.append((item, quoted))
                fields.append(field)
            field, item, quoted, pending = [], "", False, False
        else:
            item += ch
            pending = True
    if in_quote:
        raise ValueError("unterminated quoted string")
    if pending or item:
        field.append((item, quoted))
        fields.append(field)
    return fields


def _split_list(field: list[tuple[str, bool]], basedir: str) -> tuple[tuple[str, ...], frozenset[str]]:
    items: list[str] = []
    literal: set[str] = set()
    for item, quoted in field:
        if item.startswith("@") and not quoted:
            path = os.path.join(basedir, item[1:])
            with open(path, encoding="utf-8") as f:
                items.extend(x for x in shlex.split(f.read(), comments=True))
        else:
            items.append(item)
            if quoted:
                literal.add(item)
    return tuple(items), frozenset(literal)


def _parse_line(line: str, lineno: int, basedir: str, source: str) -> HbaRecord:
    try:
        tokens = _tokenize(line)
    except ValueError as e:
        raise HbaError(f'invalid line {lineno} in "{source}": {e}') from None
    where = f'line {lineno} of configuration file "{source}"'
    fields = [",".join(item for item, _ in field) for field in tokens]
    if not fields or fields[0] not in CONN_TYPES:
        raise HbaError(f'invalid connection type "{fields[0] if fields else ""}" at {where}')
    conn_type = fields[0]
    rest = fields[1:]
    if len(rest) < 3:
        raise HbaError(f"end-of-line before authentication method at {where}")
    databases, literal_dbs = _split_list(tokens[1], basedir)
    users, literal_users = _split_list(tokens[2], basedir)
    network = None
    rest = rest[2:]
    if conn_type != "local":
        network, rest = _parse_address(rest, where)
    if not rest:
        raise HbaError(f"end-of-line before authentication method at {where}")
    method = rest[0]
    if method == "ident" or method == "gss" or method == "sspi" or method == "ldap" or method == "radius" or method == "cert" or method == "pam" or method == "bsd":
        raise HbaError(f'authentication method "{method}" is not supported by pgsvc at {where}')
    if method not in METHODS:
        raise HbaError(f'invalid authentication method "{method}" at {where}')
    if method == "peer" and conn_type != "local":
        raise HbaError(f"peer authentication is only supported on local sockets at {where}")
    options = []
    for opt in rest[1:]:
        if "=" not in opt:
            raise HbaError(f'authentication option not in name=value format: {opt} at {where}')
        k, v = opt.split("=", 1)
        options.append((k, v))
    return HbaRecord(lineno, conn_type, databases, users, network, method, tuple(options),
                     literal_dbs, literal_users)


def _parse_address(rest: list[str], where: str):
    addr = rest[0]
    if addr in ("all", "samehost", "samenet"):
        return addr, rest[1:]
    try:
        if "/" in addr:
            return ipaddress.ip_network(addr, strict=False), rest[1:]
        if len(rest) >= 2:
            net = ipaddress.ip_network(f"{addr}/{rest[1]}", strict=False)
            return net, rest[2:]
    except ValueError:
        pass
    raise HbaError(f'invalid IP address "{addr}" at {where} (host names are not supported)')


def match(records: list[HbaRecord], client: ClientInfo, role_members=None) -> HbaRecord | None:
    """First record that applies to this connection, or None (rejected).

    role_members(group) -> set of role names that are members of group, for `+group`.
    """
    for rec in records:
        if not _type_matches(rec, client):
            continue
        if not _address_matches(rec, client):
            continue
        if not _database_matches(rec, client):
            continue
        if not _user_matches(rec, client, role_members):
            continue
        return rec
    return None


def _type_matches(rec: HbaRecord, client: ClientInfo) -> bool:
    if rec.conn_type == "local":
        return client.local
    if client.local:
        return False
    if rec.conn_type == "hostssl":
        return client.ssl
    if rec.conn_type == "hostnossl":
        return not client.ssl
    if rec.conn_type == "hostgssenc":
        return False
    return True


def _address_matches(rec: HbaRecord, client: ClientInfo) -> bool:
    if rec.conn_type == "local":
        return True
    net = rec.network
    if net == "all":
        return True
    try:
        ip = ipaddress.ip_address(client.address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if net in ("samehost", "samenet"):
        return ip.is_loopback  # pgsvc only knows its own addresses by loopback
    return ip.version == net.version and ip in net


def _database_matches(rec: HbaRecord, client: ClientInfo) -> bool:
    if client.physical_replication:
        return any(db == "replication" and db not in rec.literal_databases for db in rec.databases)
    for db in rec.databases:
        keyword = db not in rec.literal_databases
        if keyword and db == "all":
            return True
        if keyword and db == "sameuser" and client.database == client.user:
            return True
        if keyword and db in ("replication", "sameuser", "samerole", "samegroup"):
            continue
        if db == client.database:
            return True
    return False


def _user_matches(rec: HbaRecord, client: ClientInfo, role_members) -> bool:
    for user in rec.users:
        keyword = user not in rec.literal_users
        if (keyword and user == "all") or user == client.user:
            return True
        if keyword and user.startswith("+") and role_members is not None \
                and client.user in role_members(user[1:]):
            return True
    return False


def default_hba(auth_local: str, auth_host: str) -> str:
    return f"""# pgsvc client authentication (PostgreSQL's pg_hba.conf syntax).
# TYPE  DATABASE        USER            ADDRESS                 METHOD

# "local" is for Unix domain socket connections only
local   all             all                                     {auth_local}
# IPv4 local connections:
host    all             all             127.0.0.1/32            {auth_host}
# IPv6 local connections:
host    all             all             ::1/128                 {auth_host}
"""
