"""Start-up step 4: the listening sockets — TCP on every listen_addresses address
(IPv4 and IPv6) and the Unix socket `<dir>/.s.PGSQL.<port>` — or the sockets systemd
passes by socket activation (LISTEN_FDS), which are used as they are.
"""

from __future__ import annotations

import grp
import os
import socket
import stat
from dataclasses import dataclass, field

from pgsvc.cluster.lockfile import LockFile
from pgsvc.errors import StartupError
from pgsvc.supervisor.logs import log

SD_LISTEN_FDS_START = 3


@dataclass
class Listeners:
    sockets: list[socket.socket] = field(default_factory=list)
    unix_paths: list[str] = field(default_factory=list)  # socket files we created (removed at exit)
    socket_locks: list[LockFile] = field(default_factory=list)
    tcp_addresses: list[str] = field(default_factory=list)
    activated: bool = False

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.sockets.clear()

    def remove_files(self) -> None:
        for path in self.unix_paths:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        for lock in self.socket_locks:
            lock.release()


def take_activated_sockets() -> list[socket.socket]:
    """Sockets passed by systemd (sd_listen_fds), and clear the variables so children
    never see them."""
    fds = os.environ.pop("LISTEN_FDS", None)
    pid = os.environ.pop("LISTEN_PID", None)
    os.environ.pop("LISTEN_FDNAMES", None)
    if not fds or (pid and pid != str(os.getpid())):
        return []
    result = []
    for fd in range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + int(fds)):
        sock = socket.socket(fileno=fd)
        os.set_inheritable(fd, False)
        result.append(sock)
    return result


def socket_path(directory: str, port: int) -> str:
    return os.path.join(directory, f".s.PGSQL.{port}")


def tcp_hosts(listen_addresses: str) -> list[tuple[int, str]]:
    """(family, address) pairs for listen_addresses ('*', 'localhost', names, literals)."""
    pairs: list[tuple[int, str]] = []
    for item in (a.strip() for a in listen_addresses.split(",")):
        if not item:
            continue
        if item == "*":
            pairs += [(socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")]
            continue
        try:
            infos = socket.getaddrinfo(item, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        except socket.gaierror as e:
            log.warning('could not translate host name "%s" to address: %s', item, e.strerror)
            continue
        for fam, _, _, _, addr in infos:
            if (fam, addr[0]) not in pairs:
                pairs.append((fam, addr[0]))
    return pairs


def bind_tcp(listen_addresses: str, port: int, backlog: int, into: Listeners) -> None:
    for family, host in tcp_hosts(listen_addresses):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind((host, port))
            sock.listen(backlog)
        except OSError as e:
            sock.close()
            log.warning('could not bind %s address "%s": %s',
                        "IPv6" if family == socket.AF_INET6 else "IPv4", host, e.strerror)
            if e.errno == 98:
                log.info("Is another postmaster already running on port %d? If not, wait a few "
                         "seconds and retry.", port)
            continue
        log.info('listening on %s address "%s", port %d',
                 "IPv6" if family == socket.AF_INET6 else "IPv4", host, port)
        into.sockets.append(sock)
        into.tcp_addresses.append(host)
    if listen_addresses.strip() and not into.tcp_addresses:
        raise StartupError("pgsvc: could not create any TCP/IP sockets")


def bind_unix(directory: str, port: int, permissions: int, group: str, backlog: int,
              datadir: str, lock_fields: list[str], into: Listeners) -> None:
    path = socket_path(directory, port)
    lock = LockFile(path + ".lock", datadir, "socket")
    lock.acquire(lock_fields)  # proves no live server uses this socket; a stale file may go
    into.socket_locks.append(lock)
    if os.path.lexists(path):
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            raise StartupError(f'pgsvc: could not create Unix socket "{path}": a non-socket file is in the way')
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
    except OSError as e:
        sock.close()
        raise StartupError(f'pgsvc: could not bind Unix address "{path}": {e.strerror}') from None
    if group:
        os.chown(path, -1, grp.getgrnam(group).gr_gid)
    os.chmod(path, permissions)
    sock.listen(backlog)
    log.info('listening on Unix socket "%s"', path)
    into.sockets.append(sock)
    into.unix_paths.append(path)


def adopt_activated(sockets: list[socket.socket], into: Listeners) -> None:
    for sock in sockets:
        if sock.family == socket.AF_UNIX:
            log.info('using Unix socket "%s" passed by systemd', sock.getsockname())
        else:
            addr = sock.getsockname()
            into.tcp_addresses.append(addr[0])
            log.info('using %s address "%s", port %d passed by systemd',
                     "IPv6" if sock.family == socket.AF_INET6 else "IPv4", addr[0], addr[1])
        into.sockets.append(sock)
    into.activated = True
