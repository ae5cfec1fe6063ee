"""`pgsvc initdb`: create a cluster (a data directory) owned by the database account.

As root it needs --owner: it creates the directory, hands it to that account, and
writes everything inside as that account (in a child that dropped privileges), so
no file of the cluster is ever root-owned. It refuses a non-empty directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from pgsvc.cluster.passwords import encrypt_password
from pgsvc.cluster.builtin_oids import BOOTSTRAP_SUPERUSER_OID
from pgsvc.cluster.global_catalog import GlobalCatalog
from pgsvc.cluster.config import render_config
from pgsvc.cluster.hba import default_hba
from pgsvc.cluster.layout import Layout, marker_text
from pgsvc.errors import PgsvcError
from pgsvc.os_account import Account, current_account, drop_privileges, lookup_account
from pgsvc.sqlite import sqlite3

AUTH_METHODS = ("trust", "scram-sha-256", "md5", "password", "peer", "reject")
# PostgreSQL's fixed OIDs for the databases initdb makes.
TEMPLATE1_OID, TEMPLATE0_OID, POSTGRES_OID = 1, 4, 5


class InitdbError(PgsvcError):
    pass


@dataclass
class InitdbOptions:
    datadir: str
    username: str | None = None  # bootstrap superuser; default: the owning OS account's name
    auth: str = "trust"
    auth_local: str | None = None
    auth_host: str | None = None
    pwfile: str | None = None
    owner: str | None = None
    settings: dict[str, str] = field(default_factory=dict)


def initdb(opts: InitdbOptions) -> Account:
    """Create the cluster; returns the account that owns it."""
    account = _owning_account(opts)
    password = _read_password(opts)
    auth_local = opts.auth_local or opts.auth
    auth_host = opts.auth_host or opts.auth
    if password is None and {auth_local, auth_host} & {"scram-sha-256", "md5", "password"}:
        raise InitdbError('pgsvc initdb: must specify a password for the superuser to enable password '
                          'authentication\nUse --pwfile FILE, or --auth trust.')
    datadir = os.path.abspath(opts.datadir)
    settings = _initial_settings(opts, account)
    _prepare_directory(datadir, account)
    populate = lambda: _populate(datadir, opts, account, password, auth_local, auth_host, settings)
    if os.geteuid() == 0:
        _run_as(account, populate)
    else:
        populate()
    return account


def _owning_account(opts: InitdbOptions) -> Account:
    if os.geteuid() != 0:
        if opts.owner and opts.owner != current_account().name:
            raise InitdbError("pgsvc initdb: --owner can only be used when run as root")
        return current_account()
    if not opts.owner:
        raise InitdbError("pgsvc initdb: cannot be run as root without --owner\n"
                          "A cluster owned by root would have to be served by root. Name the "
                          "unprivileged account that will own it: --owner ACCOUNT.")
    account = lookup_account(opts.owner)
    if account.uid == 0:
        raise InitdbError("pgsvc initdb: --owner must not be root")
    return account


def _read_password(opts: InitdbOptions) -> str | None:
    if not opts.pwfile:
        return None
    try:
        with open(opts.pwfile, encoding="utf-8") as f:
            line = f.readline().rstrip("\r\n")
    except OSError as e:
        raise InitdbError(f'pgsvc initdb: could not read password from file "{opts.pwfile}": {e.strerror}') from None
    if not line:
        raise InitdbError(f'pgsvc initdb: password file "{opts.pwfile}" is empty')
    return line


def _prepare_directory(datadir: str, account: Account) -> None:
    if os.path.lexists(datadir):
        if not os.path.isdir(datadir):
            raise InitdbError(f'pgsvc initdb: "{datadir}" exists but is not a directory')
        if os.listdir(datadir):
            raise InitdbError(f'pgsvc initdb: directory "{datadir}" exists but is not empty\n'
                              f'If you want to create a new cluster, either remove or empty "{datadir}" '
                              "or run initdb with an argument other than it.")
    else:
        parent = os.path.dirname(datadir)
        os.makedirs(parent, mode=0o755, exist_ok=True)
        os.mkdir(datadir, 0o700)
    os.chmod(datadir, 0o700)
    if os.geteuid() == 0:
        os.chown(datadir, account.uid, account.gid)


def _run_as(account: Account, work) -> None:
    """Run `work` in a child that has dropped to `account`; re-raise its failure here."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        status = 0
        try:
            drop_privileges(account)
            work()
        except BaseException as e:  # report any failure to the parent, then exit
            os.write(w, str(e).encode()[:4000])
            status = 1
        os._exit(status)
    os.close(w)
    message = b""
    while chunk := os.read(r, 4096):
        message += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise InitdbError(message.decode() or "pgsvc initdb: failed")


def _populate(datadir: str, opts: InitdbOptions, account: Account, password: str | None,
              auth_local: str, auth_host: str, settings: dict[str, str]) -> None:
    os.umask(0o077)
    layout = Layout(datadir)
    os.mkdir(layout.path("global"), 0o700)
    os.mkdir(layout.base, 0o700)
    os.mkdir(layout.path("log"), 0o700)
    superuser = opts.username or account.name
    catalog = GlobalCatalog(layout)
    try:
        catalog.create_schema()
        stored = encrypt_password(password, superuser) if password else None
        catalog.add_role(superuser, oid=BOOTSTRAP_SUPERUSER_OID, superuser=True, login=True,
                         password=stored)
        catalog.add_database("template1", BOOTSTRAP_SUPERUSER_OID, oid=TEMPLATE1_OID, is_template=True)
        catalog.add_database("template0", BOOTSTRAP_SUPERUSER_OID, oid=TEMPLATE0_OID, is_template=True,
                             allow_conn=False)
        catalog.add_database("postgres", BOOTSTRAP_SUPERUSER_OID, oid=POSTGRES_OID)
    finally:
        catalog.close()
    for oid in (TEMPLATE1_OID, TEMPLATE0_OID, POSTGRES_OID):
        create_database_file(layout.database_file(oid))
    _write(layout.conf, render_config(settings))
    _write(layout.hba, default_hba(auth_local, auth_host))
    # The marker goes last: a half-made cluster is not a valid data directory.
    _write(layout.marker, marker_text())


def create_database_file(path: str) -> None:
    """An empty SQLite database in WAL mode; the SQL layer creates its catalog on first use."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def _initial_settings(opts: InitdbOptions, account: Account) -> dict[str, str]:
    values = {
        "listen_addresses": "localhost",
        "port": "5432",
        "max_connections": "100",
        "unix_socket_directories": "/tmp",
        "unix_socket_permissions": "0777",
        "log_connections": "off",
        "log_disconnections": "off",
        "log_min_messages": "warning",
    }
    if os.geteuid() == 0:
        values["user"] = account.name  # the account a root-started server drops to
    values.update(opts.settings)
    return values


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
