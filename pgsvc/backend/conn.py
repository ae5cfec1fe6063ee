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
        self._wakeup_fd: int | None = None

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

    def read_message(self, timeout: float | None = None, on_wakeup=None) -> tuple[bytes, bytes] | None:
        """Next whole message. Returns None if `timeout` (seconds) passed first. When a
        signal arrives while waiting, `on_wakeup()` is called (it may raise)."""
        while True:
            msg = self.buffer.next_message()
            if msg is not None:
                return msg
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

    def _wait_readable(self, timeout: float | None, on_wakeup) -> bool:
        pending = getattr(self.sock, "pending", None)
        if pending is not None and pending():
            return True  # TLS has decrypted bytes buffered
        fds = [self.sock.fileno()]
        if self._wakeup_fd is not None:
            fds.append(self._wakeup_fd)
        while True:
            ready, _, _ = select.select(fds, [], [], timeout)
            if not ready:
                return False
            if self._wakeup_fd is not None and self._wakeup_fd in ready:
                try:
                    os.read(self._wakeup_fd, 512)
                except BlockingIOError:
                    pass
                if on_wakeup is not None:
                    on_wakeup()
                if self.sock.fileno() not in ready:
                    continue
            return True

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
