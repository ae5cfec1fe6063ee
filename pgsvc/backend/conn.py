"""A backend's client connection: buffered reads of whole messages, batched writes,
and the wait for input that also wakes up for signals (cancel, terminate, timeouts).

Writes are collected and sent with one sendall() per batch (at ReadyForQuery, Flush,
or when the batch grows large), not one syscall per message.
"""

from __future__ import annotations

import os
import select
import socket

from pgsvc.backend.protocol import MessageBuffer

FLUSH_THRESHOLD = 256 * 1024


class ConnectionClosed(Exception):
    """The client went away (EOF or reset)."""


class ClientConnection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = MessageBuffer()
        self._out: list[bytes] = []
        self._out_size = 0
        self.tls = False  # set by the start-up phase when the socket is wrapped in TLS
        self._wakeup_fd: int | None = None
        self._poller: tuple[int, select.poll] | None = None  # (socket fd, poll object)

    # ------------------------------------------------------------ start-up phase
    def recv_exact(self, n: int) -> bytes:
        """Read exactly n bytes, not one more (start-up packets: nothing may be buffered
        across the switch to TLS)."""
        chunks = []
        while n:
            data = self.sock.recv(min(n, 65536))
            if not data:
                raise ConnectionClosed()
            chunks.append(data)
            n -= len(data)
        return b"".join(chunks)

    # ------------------------------------------------------------ messages
    def set_wakeup_fd(self, fd: int) -> None:
        self._wakeup_fd = fd
        self._poller = None

    def read_message(self, timeout: float | None = None, on_wakeup=None) -> tuple[bytes, bytes] | None:
        """Next whole message. Returns None if `timeout` (seconds) passed first. When a
        signal arrives while waiting, `on_wakeup()` is called (it may raise)."""
        msg = self.buffer.next_message()
        return msg if msg is not None else self.receive_message(timeout, on_wakeup)

    def receive_message(self, timeout: float | None = None, on_wakeup=None) -> tuple[bytes, bytes] | None:
        """read_message() for a caller that has found no whole message in the buffer."""
        while True:
            if not self._wait_readable(timeout, on_wakeup):
                return None
            try:
                data = self.sock.recv(max(65536, min(self.buffer.needed(), 1 << 24)))
            except (ConnectionResetError, BrokenPipeError, TimeoutError):
                raise ConnectionClosed() from None
            except BlockingIOError:
                continue
            if not data:
                raise ConnectionClosed()
            self.buffer.feed(data)
            msg = self.buffer.next_message()
            if msg is not None:
                return msg

    def _wait_readable(self, timeout: float | None, on_wakeup) -> bool:
        if self.tls and self.sock.pending():
            return True  # TLS has decrypted bytes buffered
        sock_fd = self.sock.fileno()
        poller = self._poller_for(sock_fd)
        timeout_ms = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
        while True:
            ready = poller.poll(timeout_ms)
            if not ready:
                return False
            if self._wakeup_fd is not None and any(fd == self._wakeup_fd for fd, _ in ready):
                try:
                    os.read(self._wakeup_fd, 512)
                except BlockingIOError:
                    pass
                if on_wakeup is not None:
                    on_wakeup()
                if not any(fd == sock_fd for fd, _ in ready):
                    continue
            return True

    def _poller_for(self, sock_fd: int) -> select.poll:
        """poll() rather than select(): registered once instead of fd sets built on every
        wait, and no FD_SETSIZE limit on descriptor numbers. Hang-ups and errors count
        as readable: the recv() that follows reports them."""
        if self._poller is None or self._poller[0] != sock_fd:
            poller = select.poll()
            poller.register(sock_fd, select.POLLIN)
            if self._wakeup_fd is not None:
                poller.register(self._wakeup_fd, select.POLLIN)
            self._poller = (sock_fd, poller)
        return self._poller[1]

    def send(self, data: bytes) -> None:
        self._out.append(data)
        self._out_size += len(data)
        if self._out_size >= FLUSH_THRESHOLD:
            self.flush()

    def flush(self) -> None:
        if not self._out:
            return
        data = b"".join(self._out) if len(self._out) > 1 else self._out[0]
        self._out.clear()
        self._out_size = 0
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            raise ConnectionClosed() from None

    def send_now(self, data: bytes) -> None:
        self.send(data)
        self.flush()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
