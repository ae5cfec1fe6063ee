"""The supervisor's start-up order (DESIGN.md "Start-up order"), one function per step.

    0. talk to systemd: take NOTIFY_SOCKET / WATCHDOG_USEC / LISTEN_FDS out of the environment
    1. never run as root (drop to the account)      -> privileges.ensure_not_root
    2. check the data directory                     -> cluster.checks
    3. take the lock file; create the registry      -> cluster.lockfile, supervisor.registry
       and the LISTEN/NOTIFY queue                  -> supervisor.notify_queue
       and the lock table of advisory locks         -> supervisor.lock_table
       and the commit state (counters, group commit) -> supervisor.commit_state
    4. bind the sockets (or adopt systemd's)        -> supervisor.listen
    5. report readiness; only then accept and fork  -> supervisor.postmaster

Errors before step 5 are StartupError: printed on stderr, non-zero exit.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from pgsvc.cluster import config as configfile
from pgsvc.cluster.checks import check_data_directory
from pgsvc.cluster.hba import HbaError, load_hba
from pgsvc.cluster.layout import Layout
from pgsvc.cluster.lockfile import STATUS_STARTING, LockFile
from pgsvc.errors import StartupError
from pgsvc.os_account import Account, ensure_not_root
from pgsvc.settings import Settings
from pgsvc.supervisor import listen
from pgsvc.supervisor.commit_state import CommitState
from pgsvc.supervisor.logs import setup_logging
from pgsvc.supervisor.notify import Notifier
from pgsvc.supervisor.lock_table import LockTable
from pgsvc.supervisor.notify_queue import NotifyQueue
from pgsvc.supervisor.registry import Registry

# Slots beyond max_connections: auxiliary processes and a little headroom.
EXTRA_SLOTS = 8


@dataclass
class ServerOptions:
    datadir: str
    user: str | None = None
    overrides: dict[str, object] = field(default_factory=dict)  # -p/-h/-k/-c


@dataclass
class ServerState:
    """Everything the running supervisor owns."""

    layout: Layout
    account: Account
    settings: Settings
    hba: list
    notifier: Notifier
    lock: LockFile
    registry: Registry
    listeners: listen.Listeners
    start_time: float
    options: ServerOptions
    notify_queue: NotifyQueue | None = None  # LISTEN/NOTIFY's shared ring (None only in tests)
    lock_table: LockTable | None = None  # advisory locks (None only in tests)
    commit_state: CommitState | None = None  # catalog counters, group commit (None only in tests)


def start_server(opts: ServerOptions) -> ServerState:
    notifier = Notifier()
    activated = listen.take_activated_sockets()
    account = ensure_not_root(account_name(opts))
    os.umask(0o077)
    layout = check_data_directory(opts.datadir)
    settings = load_settings(layout, opts)
    check_connection_settings(settings)
    check_ssl_files(layout, settings)
    setup_logging(settings["log_min_messages"])
    hba = load_hba_or_fail(layout, settings)
    start_time = time.time()
    lock = LockFile(layout.lockfile, layout.datadir, "data directory")
    lock.acquire(_lock_fields(layout, settings, start_time))
    listeners = listen.Listeners()
    registry = queue = locks = None
    try:
        registry = Registry.create(layout.registry, settings["max_connections"] + EXTRA_SLOTS)
        # Shared memory exists before the first fork: every backend inherits the mapping.
        queue = NotifyQueue.create(layout.notify_queue, registry.nslots, settings["max_notify_queue_pages"])
        locks = LockTable.create(layout.lock_table, registry.nslots,
                                 settings["max_locks_per_transaction"] * registry.nslots, registry)
        commits = CommitState.create(layout.datadir)  # unnamed: nothing to remove on failure
        bind_listeners(settings, layout, activated, listeners, start_time)
        keep_temp_files_inside(layout)
    except BaseException:
        # A refused start-up leaves the data directory as it found it: no registry file,
        # no lock file, no socket files.
        listeners.close()
        listeners.remove_files()
        if registry is not None:
            registry.close()
            _unlink_quietly(layout.registry)
        if queue is not None:
            queue.close()
            _unlink_quietly(layout.notify_queue)
        if locks is not None:
            locks.close()
            _unlink_quietly(layout.lock_table)
        lock.release()
        raise
    return ServerState(layout, account, settings, hba, notifier, lock, registry, listeners,
                       start_time, opts, queue, locks, commits)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def keep_temp_files_inside(layout: Layout) -> None:
    """SQLite's temporary files (big sorts, temp indexes, statement journals) go to
    `<datadir>/pgsql_tmp` (PostgreSQL's base/pgsql_tmp), through SQLITE_TMPDIR, which
    the backends inherit. Invariant: the server writes only in its data directory,
    socket directory and log; by default SQLite would use /var/tmp or /tmp, where
    other accounts can see, fill or race the files."""
    path = os.path.join(layout.datadir, "pgsql_tmp")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        if not os.path.isdir(path) or os.path.islink(path):
            raise StartupError(f'pgsvc: "{path}" is not a directory') from None
    os.environ["SQLITE_TMPDIR"] = path


def account_name(opts: ServerOptions) -> str | None:
    """The account a server started as root drops to: --user, else pgsvc.conf's `user`."""
    return opts.user or _configured_user(opts)


def _configured_user(opts: ServerOptions) -> str | None:
    """The `user` setting, read before privileges are dropped (so only when root).

    Read with O_NOFOLLOW: the file lives in a directory another account owns, and root
    must not be tricked into reading some other file through a symlink.
    """
    if os.geteuid() != 0:
        return None
    if "user" in opts.overrides:
        return str(opts.overrides["user"])
    path = Layout(os.path.abspath(opts.datadir)).conf
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    return configured_user_from(fd)


def configured_user_from(fd: int) -> str | None:
    """The last `user` assignment in the file (postgresql.conf syntax: `user = 'x'`,
    `user x`, quotes and comments as everywhere else). Includes are not followed."""
    found = None
    with os.fdopen(fd, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = configfile.LINE_SYNTAX.match(line)
            if m and m.group("name").lower() == "user":
                found = configfile.unquote(m.group("value")) or None
    return found


def load_settings(layout: Layout, opts: ServerOptions) -> Settings:
    try:
        values = configfile.read_config(layout.conf) if os.path.exists(layout.conf) else {}
    except configfile.ConfigError as e:
        raise StartupError(f"pgsvc: {e}") from None
    values.update(opts.overrides)
    try:
        settings = Settings(values)
    except Exception as e:  # SqlError from a bad value
        raise StartupError(f"pgsvc: {getattr(e, 'message', e)}") from None
    settings.set_base("data_directory", layout.datadir)
    return settings


def check_connection_settings(settings: Settings) -> None:
    """As PostgreSQL's PostmasterMain: the reserved superuser slots must leave at least
    one slot for everybody else, or no ordinary role could ever connect."""
    reserved, maximum = settings["superuser_reserved_connections"], settings["max_connections"]
    if reserved >= maximum:
        raise StartupError(f"pgsvc: superuser_reserved_connections ({reserved}) must be less than "
                           f"max_connections ({maximum})")


def check_ssl_files(layout: Layout, settings: Settings) -> None:
    """With ssl = on, the certificate and key must load (as PostgreSQL's be_tls_init at
    start-up): otherwise every backend would silently answer SSLRequest with `N` and
    clients with sslmode=require could not connect. The key must be private."""
    if not settings["ssl"]:
        return
    import ssl
    import stat

    cert = os.path.join(layout.datadir, settings["ssl_cert_file"])
    key = os.path.join(layout.datadir, settings["ssl_key_file"])
    try:
        st = os.stat(key)
    except OSError as e:
        raise StartupError(f'pgsvc: could not access private key file "{key}": {e.strerror}') from None
    mode = stat.S_IMODE(st.st_mode)
    if (st.st_uid == os.geteuid() and mode & 0o077) or (st.st_uid == 0 and mode & 0o037):
        raise StartupError(f'pgsvc: private key file "{key}" has group or world access\n'
                           "DETAIL:  File must have permissions u=rw (0600) or less if owned by the database "
                           "user, or permissions u=rw,g=r (0640) or less if owned by root.")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except OSError as e:
        raise StartupError(f'pgsvc: could not load server certificate file "{cert}": {e.strerror}') from None
    except ssl.SSLError as e:
        raise StartupError(f'pgsvc: could not load server certificate file "{cert}" '
                           f'or private key file "{key}": {e.reason or e}') from None


def load_hba_or_fail(layout: Layout, settings: Settings) -> list:
    path = settings["hba_file"] or layout.hba
    try:
        return load_hba(path)
    except (OSError, HbaError) as e:
        raise StartupError(f'pgsvc: could not load pg_hba.conf "{path}": {e}') from None


def _socket_dirs(settings: Settings) -> list[str]:
    return [d.strip() for d in str(settings["unix_socket_directories"]).split(",") if d.strip()]


def _lock_fields(layout: Layout, settings: Settings, start_time: float) -> list[str]:
    dirs = _socket_dirs(settings)
    addrs = [a.strip() for a in str(settings["listen_addresses"]).split(",") if a.strip()]
    return [str(os.getpid()), layout.datadir, str(int(start_time)), str(settings["port"]),
            dirs[0] if dirs else "", addrs[0] if addrs else "", f"file {layout.registry}",
            STATUS_STARTING]


def bind_listeners(settings: Settings, layout: Layout, activated: list, listeners: listen.Listeners,
                   start_time: float) -> None:
    # A burst of clients waits in the kernel's accept queue rather than having its SYNs
    # dropped (a dropped SYN costs the client a 1 s, 3 s, 7 s retransmit: pg_isready looked
    # dead while 500 clients arrived at once). The kernel caps it at net.core.somaxconn.
    backlog = max(min(settings["max_connections"] * 2, 4096), 1024)
    if activated:
        listen.adopt_activated(activated, listeners)
        return
    port = settings["port"]
    listen.bind_tcp(str(settings["listen_addresses"]), port, backlog, listeners)
    for directory in _socket_dirs(settings):
        listen.bind_unix(directory, port, settings["unix_socket_permissions"],
                         settings["unix_socket_group"], backlog, layout.datadir,
                         _lock_fields(layout, settings, start_time), listeners)
    if not listeners.sockets:
        raise StartupError("pgsvc: no socket created for listening\n"
                           "Set listen_addresses or unix_socket_directories.")
