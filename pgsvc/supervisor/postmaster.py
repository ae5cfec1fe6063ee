"""The supervisor's main loop: accept, fork one backend per connection, reap, signals.

Signal handlers only record (the byte CPython writes to the wakeup fd); the loop
reads those bytes and dispatches handle_<signal>. After the fork the supervisor
closes its copy of the client socket and never touches that connection again.

Shutdown modes as PostgreSQL's: SIGTERM smart (refuse new connections, wait for
clients to leave), SIGINT fast (SIGTERM every backend: they roll back and exit),
SIGQUIT immediate (SIGQUIT every child, SIGKILL stragglers after 5 s).
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import os
import pkgutil
import selectors
import signal
import socket
import time
from dataclasses import dataclass

import pgsvc.backend
import pgsvc.sql
from pgsvc.cluster.lockfile import STATUS_READY, STATUS_STOPPING
from pgsvc.cluster.passwords import hba_uses_scramp, scram_mechanism
from pgsvc.errors import StartupError
from pgsvc.settings import DEFINITIONS, POSTMASTER
from pgsvc.supervisor import startup
from pgsvc.supervisor.logs import log
from pgsvc.supervisor.registry import KIND_BACKEND, KIND_DEADEND

# SIGUSR1 is caught only so that a stray one cannot kill the supervisor (its default
# action); no handle_sigusr1 exists, so the loop ignores it.
HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGCHLD,
                   signal.SIGUSR1)
IMMEDIATE_KILL_AFTER = 5.0
ACCEPT_BATCH = 64


@dataclass
class Child:
    pid: int
    slot: int | None
    kind: int


@dataclass
class BackendContext:
    """What a forked backend needs from the supervisor (inherited by fork, no pickling)."""

    state: startup.ServerState
    sock: socket.socket
    address: object
    slot: int | None
    cancel_key: int
    refuse: tuple[str, str] | None  # (sqlstate, message) for a dead-end child


class Postmaster:
    def __init__(self, state: startup.ServerState) -> None:
        self.state = state
        self.children: dict[int, Child] = {}
        self.shutdown_mode: str | None = None  # smart | fast | immediate
        self.immediate_deadline: float | None = None
        self.selector = selectors.DefaultSelector()
        self._wakeup_r, self._wakeup_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.deferred: list[str] = []  # modules still to load while idle (DEFERRED_PRELOAD)

    # ------------------------------------------------------------ life cycle
    def run(self) -> int:
        self._install_signal_handlers()
        for sock in self.state.listeners.sockets:
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, "listen")
        self.selector.register(self._wakeup_r, selectors.EVENT_READ, "signal")
        self._report_ready()
        self._preload_backend_code()
        try:
            while not self._finished():
                self._wait_and_dispatch()
        finally:
            self._cleanup()
        log.info("database system is shut down")
        return 0

    def _preload_backend_code(self) -> None:
        """Import everything backends run before forking, then freeze the heap and compact
        the malloc heap: every backend shares these pages copy-on-write instead of
        importing (and compiling) its own copy on the connection's critical path. Modules
        only; no database is opened here (an SQLite handle must not cross a fork).

        Right after READY=1 and before the first accept: READY waits only for what
        accepting needs (configuration, checks, lock file, bound sockets), as PostgreSQL's;
        a client that connects meanwhile waits in the listen backlog (>= 1,024) until the
        preload is done, then is served by a backend that inherits all of it. (Preloading
        piecemeal between accepts failed test_overload's latency bounds: each backend
        forked before the preload ended imported its own copy.)"""
        # No collection while importing, none after: the imports' ~60,000 objects are
        # nearly all alive, so the automatic collections they set off (~50 ms) and a full
        # gc.collect() (~20 ms) found ~1,300 cyclic leftovers (~270 kB, left in the frozen
        # generation). gc.freeze() keeps the collector off every inherited object.
        gc.disable()
        try:
            for name in _preload_order():
                if name.startswith(DEFERRED_PRELOAD):
                    self.deferred.append(name)
                    continue
                try:
                    importlib.import_module(name)
                except Exception as e:  # a broken optional module must not stop the server
                    log.warning("could not preload %s: %s", name, e)
            try:  # the UDFs every backend's engine registers, built once (shared pages)
                importlib.import_module("pgsvc.sql.exec.prepared_udfs").prepare_before_fork()
            except Exception as e:  # noqa: BLE001 - backends then build their own
                log.warning("could not prepare the SQL functions: %s", e)
            self._preload_password_exchange()
        finally:
            gc.freeze()
            gc.enable()
        _release_free_heap()

    def _load_deferred(self) -> None:
        """One module of DEFERRED_PRELOAD (the loop calls this when a wait ended with
        nothing to do); after the last one the new objects join the frozen generation."""
        name = self.deferred.pop(0)
        try:
            importlib.import_module(name)
        except Exception as e:  # as in _preload_backend_code: logged, backends load it themselves
            log.warning("could not preload %s: %s", name, e)
        if not self.deferred:
            gc.freeze()

    def _preload_password_exchange(self) -> None:
        """scramp (~20 ms to import) only when pg_hba.conf has a line that asks for a
        password: with trust or peer alone no backend authenticates with it (CREATE ROLE
        ... PASSWORD then loads it in that backend). Again after a reload that adds one."""
        if hba_uses_scramp(self.state.hba):
            try:
                scram_mechanism()
            except Exception as e:  # noqa: BLE001 - backends then load it themselves
                log.warning("could not preload scramp: %s", e)

    def _report_ready(self) -> None:
        """Start-up step 5. Invariant: READY=1 is sent only after every listening socket
        is bound and listening, and before the first fork: systemd orders dependent
        units on it, and a client started after READY must be able to connect (it may
        wait in the backlog while _preload_backend_code runs, never be refused)."""
        s = self.state
        self.state.lock.set_status(STATUS_READY)
        where = ", ".join(s.listeners.tcp_addresses + s.listeners.unix_paths) or "activated sockets"
        s.notifier.ready(f"ready to accept connections on {where}")
        log.info("database system is ready to accept connections")

    def _finished(self) -> bool:
        if self.shutdown_mode is None:
            return False
        if self.shutdown_mode == "immediate":
            return not self.children or time.monotonic() >= (self.immediate_deadline or 0) + 1
        return not any(c.kind == KIND_BACKEND for c in self.children.values()) and not self.children

    def _wait_and_dispatch(self) -> None:
        timeout = self._next_timeout()
        events = self.selector.select(timeout)
        for key, _ in events:
            if key.data == "signal":
                self._drain_signals()
            elif self.shutdown_mode not in ("fast", "immediate"):
                self._accept_all(key.fileobj)
        if not events and self.deferred and self.shutdown_mode is None:
            self._load_deferred()
        now = time.monotonic()
        self.state.notifier.ping_watchdog(now)
        if self.immediate_deadline is not None and now >= self.immediate_deadline:
            self._signal_children(signal.SIGKILL)
            self.immediate_deadline = now  # _finished() allows one more second for reaping

    def _next_timeout(self) -> float | None:
        now = time.monotonic()
        waits = [w for w in (self.state.notifier.watchdog_due(now),) if w is not None]
        if self.immediate_deadline is not None:
            waits.append(max(0.0, self.immediate_deadline - now))
        if self.shutdown_mode is not None:
            waits.append(0.5)  # re-check reaping even if a SIGCHLD was coalesced
        elif self.deferred:
            waits.append(0.0)  # poll: load the next deferred module if nothing is waiting
        return min(waits) if waits else None

    def _cleanup(self) -> None:
        s = self.state
        s.listeners.close()
        s.listeners.remove_files()
        s.registry.close()
        for path in (s.layout.registry, s.layout.notify_queue, s.layout.lock_table):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        if s.notify_queue is not None:
            s.notify_queue.close()
        if s.lock_table is not None:
            s.lock_table.close()
        s.lock.release()

    # ------------------------------------------------------------ signals
    def _install_signal_handlers(self) -> None:
        signal.set_wakeup_fd(self._wakeup_w, warn_on_full_buffer=False)
        for sig in HANDLED_SIGNALS:
            signal.signal(sig, _record_only)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    def _drain_signals(self) -> None:
        try:
            data = os.read(self._wakeup_r, 4096)
        except BlockingIOError:
            return
        for signum in dict.fromkeys(data):  # each distinct signal once, in arrival order
            handler = getattr(self, f"handle_{signal.Signals(signum).name.lower()}", None)
            if handler is not None:
                handler()

    def handle_sigchld(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self._reaped(pid, status)

    def _reaped(self, pid: int, status: int) -> None:
        child = self.children.pop(pid, None)
        if child is None:
            return
        if child.slot is not None:
            self.state.registry.release(child.slot)
            if self.state.notify_queue is not None:
                # a backend that died listening (crash, SIGKILL) must not hold the queue's tail
                self.state.notify_queue.release(child.slot)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if not (self.shutdown_mode == "immediate" and sig in (signal.SIGQUIT, signal.SIGKILL)):
                log.warning("server process (PID %d) was terminated by signal %d: %s",
                            pid, sig, signal.strsignal(sig))
        elif os.WEXITSTATUS(status) not in (0, 1):
            log.warning("server process (PID %d) exited with exit code %d", pid, os.WEXITSTATUS(status))

    def handle_sigterm(self) -> None:
        if self.shutdown_mode is None:
            log.info("received smart shutdown request")
            self._begin_shutdown("smart")

    def handle_sigint(self) -> None:
        if self.shutdown_mode in (None, "smart"):
            log.info("received fast shutdown request")
            self._begin_shutdown("fast")
            log.info("aborting any active transactions")
            self._signal_children(signal.SIGTERM)

    def handle_sigquit(self) -> None:
        if self.shutdown_mode != "immediate":
            log.info("received immediate shutdown request")
            self._begin_shutdown("immediate")
            self._signal_children(signal.SIGQUIT)
            self.immediate_deadline = time.monotonic() + IMMEDIATE_KILL_AFTER

    def _begin_shutdown(self, mode: str) -> None:
        self.shutdown_mode = mode
        self.state.lock.set_status(STATUS_STOPPING)
        self.state.notifier.stopping(f"{mode} shutdown in progress")
        if mode != "smart":
            for sock in self.state.listeners.sockets:
                try:
                    self.selector.unregister(sock)
                except (KeyError, ValueError):
                    pass

    def handle_sighup(self) -> None:
        s = self.state
        s.notifier.reloading()
        log.info("received SIGHUP, reloading configuration files")
        try:
            fresh = startup.load_settings(s.layout, s.options)
            s.hba = startup.load_hba_or_fail(s.layout, fresh)
        except StartupError as e:
            log.error("configuration file contains errors; unaffected changes were applied: %s", e)
        else:
            _warn_restart_only(s.settings, fresh)
            s.settings.reload_base({k: v for k, v in fresh.base.items()})
            self._preload_password_exchange()
        self._signal_children(signal.SIGHUP)
        s.notifier.ready("configuration reloaded; ready to accept connections")

    def _signal_children(self, sig: int) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    # ------------------------------------------------------------ connections
    def _accept_all(self, listener: socket.socket) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                conn, address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                log.warning("could not accept new connection: %s", e.strerror)
                return
            try:
                self._fork_backend(conn, address)
            finally:
                conn.close()  # the child has its own copy; the supervisor never uses it

    def _fork_backend(self, conn: socket.socket, address) -> None:
        refuse = self._refusal()
        slot = None
        if refuse is None:
            busy = {c.slot for c in self.children.values() if c.slot is not None}
            slot = self.state.registry.free_slot(busy)
            if slot is None:
                refuse = ("53300", "sorry, too many clients already")
        # 31 random bits, as secrets.randbits(31) (os.urandom); secrets costs ~4 ms to import
        cancel_key = int.from_bytes(os.urandom(4), "big") >> 1
        kind = KIND_BACKEND if refuse is None else KIND_DEADEND
        client_addr, client_port = _describe_address(address)
        if slot is not None:
            self.state.registry.claim(slot, 0, kind, cancel_key, client_addr, client_port)
        ctx = BackendContext(self.state, conn, address, slot, cancel_key, refuse)
        try:
            pid = os.fork()
        except OSError as e:
            log.error("could not fork new process for connection: %s", e.strerror)
            if slot is not None:
                self.state.registry.release(slot)
            return
        if pid == 0:
            self._become_backend(ctx)  # never returns
        self.children[pid] = Child(pid, slot, kind)

    def _refusal(self) -> tuple[str, str] | None:
        if self.shutdown_mode is not None:
            return ("57P03", "the database system is shutting down")
        backends = sum(1 for c in self.children.values() if c.kind == KIND_BACKEND)
        if backends >= self.state.settings["max_connections"]:
            return ("53300", "sorry, too many clients already")
        return None

    def _become_backend(self, ctx: BackendContext) -> None:
        """In the child: shed the supervisor's resources, run the backend, exit."""
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            for sig in HANDLED_SIGNALS:
                signal.signal(sig, signal.SIG_DFL)
            # Until the session installs its handlers, a reload (SIGHUP, forwarded to every
            # child) must not kill a backend that is still authenticating — SIG_DFL would.
            # PostgreSQL blocks it during start-up likewise. SIGTERM/SIGQUIT keep SIG_DFL:
            # during start-up they mean "exit now", as PostgreSQL's startup-packet handlers.
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)
            self.selector.close()
            os.close(self._wakeup_r)
            os.close(self._wakeup_w)
            for sock in self.state.listeners.sockets:
                sock.close()
            self.state.notifier.close()
            # The supervisor never runs backend code itself: the child takes the entry point
            # from what _preload_backend_code loaded (a broken module is logged, not fatal).
            from pgsvc.backend.main import run_backend

            code = run_backend(ctx)
        except BaseException:  # the child must never return into the supervisor's loop
            try:
                log.exception("backend failed")
            except BaseException:
                pass
        finally:
            os._exit(code)


# Modules (prefixes) no backend needs to start, each imported where it is first used: the
# walsender and the replication code it brings (replication connections only), PostgreSQL
# 15's catalog rows (pg15.data(), read by pg_proc, pg_operator, pg_settings... ~5 ms).
# Loaded after READY=1 and the rest of the preload, one module whenever the loop finds
# nothing to do, so that the first clients do not wait for them (~20 ms of CPU); a backend
# forked before that loads what it uses itself.
DEFERRED_PRELOAD = ("pgsvc.backend.walsender", "pgsvc.sql.catalog.system.pg15_data")

# pgsvc.sql's stages lowest first (pgsvc/sql/README.md), then the backend: a module's
# imports are then mostly loaded already when its own step comes.
_PRELOAD_STAGES = ("types", "functions", "catalog", "translate", "deparse", "pg_functions", "commands",
                   "exec")


def _preload_order():
    """The names of the modules backends run: pgsvc.sql by stage, then pgsvc.backend."""
    def walk(package):
        return (mod.name for mod in pkgutil.walk_packages(package.__path__, package.__name__ + "."))

    stages = tuple(f"pgsvc.sql.{stage}" for stage in _PRELOAD_STAGES)
    yield from ("pgsvc.sql.api", "pgsvc.sql.statement", "pgsvc.sql.parse", "pgsvc.sql.quoting")
    for stage in stages:
        try:
            package = importlib.import_module(stage)
        except Exception as e:  # as for a module: logged, the rest is still loaded
            log.warning("could not preload %s: %s", stage, e)
            continue
        yield from walk(package)
    yield from (n for n in walk(pgsvc.sql) if not n.startswith(stages))
    yield from walk(pgsvc.backend)


def _release_free_heap() -> None:
    """Compact what backends inherit of the malloc heap (glibc; without it, nothing).

    After the preload the heap is ~50 MB of which ~9 MB is in use: ~40 MB free in ~1,700
    holes (.pyc buffers, import-time temporaries) between live objects. First malloc_trim
    returns the free pages to the kernel: backends map the supervisor's resident pages, so
    these cost every backend RSS for nothing (RSS per idle backend 82 -> 43 MB). Then the
    holes are filled with blocks that are never used nor freed (_fill_heap_holes): a
    backend's malloc would otherwise hand out pieces of holes spread over pages it shares
    with the supervisor, and each small allocation there copies a whole page (an SQLite
    connection dirtied 1.1 MB of heap in a backend, 0.1 MB in a fresh process). Backends
    then allocate from the top of the heap, on pages of their own. Measured over 20 idle
    backends: USS 9.8 -> 7.3 MB, PSS 11.3 -> 9.0 MB each."""
    try:
        libc = ctypes.CDLL(None)
        libc.malloc_trim(0)
        sbrk, malloc, free, info = libc.sbrk, libc.malloc, libc.free, libc.mallinfo2
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim; mallinfo2: glibc 2.33)
        return
    sbrk.restype, sbrk.argtypes = ctypes.c_void_p, [ctypes.c_ssize_t]
    malloc.restype, malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    free.argtypes = [ctypes.c_void_p]
    info.restype = _MallInfo2

    def free_heap_span():
        """[start of the main arena's heap, start of its top chunk): the brk heap is the
        arena's bytes below the break; the top chunk is keepcost bytes below it."""
        brk, stats = sbrk(0), info()
        if not brk:
            return 0, 0
        return brk - stats.arena, brk - stats.keepcost
    try:
        _fill_heap_holes(free_heap_span, malloc, free)
    except Exception as e:  # noqa: BLE001 - a memory optimisation must never stop start-up
        log.warning("could not compact the malloc heap: %s", e)


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                     "fsmblks", "uordblks", "fordblks", "keepcost")]


# All below glibc's smallest mmap threshold (128 KiB), so that no request is served by
# mmap: an mmapped block freed again would raise the dynamic mmap and trim thresholds that
# every backend inherits, and where mmap places blocks below the heap (the legacy layout of
# `ulimit -s unlimited`) it would look like a hole.
HOLE_FILL_SIZES = (1 << 16, 1 << 14, 1 << 12, 1 << 10, 256, 64, 24)
HOLE_FILL_LIMIT = 500_000  # mallocs in all (~125,000 after the preload, ~0.1 s)


def _fill_heap_holes(free_heap_span, malloc, free) -> None:
    """Allocate blocks of decreasing sizes while malloc takes them from free space inside
    the heap, between free_heap_span()'s bounds (the heap's start and its top chunk: the
    free end of the heap, break minus mallinfo2's keepcost); the first one it takes from
    elsewhere is freed and the next size tried. The blocks are left allocated on purpose:
    the point is that nobody gets those addresses."""
    budget = HOLE_FILL_LIMIT
    for size in HOLE_FILL_SIZES:
        low, start = free_heap_span()
        while budget > 0:
            budget -= 1
            block = malloc(size)
            if not block:
                return
            if not low <= block < start:
                free(block)
                break


def _record_only(signum, frame) -> None:
    """Signal handler: nothing — CPython has already written `signum` to the wakeup fd."""


def _describe_address(address) -> tuple[str, int]:
    if isinstance(address, tuple) and len(address) >= 2:
        return str(address[0]), int(address[1])
    return "[local]", -1


def _warn_restart_only(old, new) -> None:
    for key, setting in DEFINITIONS.items():
        if setting.context == POSTMASTER and old.base.get(key) != new.base.get(key) and key != "data_directory":
            log.info('parameter "%s" cannot be changed without restarting the server', setting.name)


def serve(opts: startup.ServerOptions) -> int:
    state = startup.start_server(opts)
    return Postmaster(state).run()
