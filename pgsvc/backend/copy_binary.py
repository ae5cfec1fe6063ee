"""COPY's binary format (PostgreSQL's copyto.c / copyfromparse.c, "Binary Format" in the COPY
reference page): the 11-byte signature, a 32-bit flags field and a header extension, then
per tuple a 16-bit field count and each field as a 32-bit length (-1 for NULL) and the
type's binary send form, and a trailer of -1 as the field count.

The field values are the types' send/recv forms: pgsvc.backend.transcode's binary_output and
binary_input, the very codec of the extended protocol's binary parameters and results (text
converted to the client's encoding as textsend does).
"""

from __future__ import annotations

import struct

from pgsvc.errors import SqlError

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HEADER = SIGNATURE + struct.pack("!ii", 0, 0)
TRAILER = struct.pack("!h", -1)
BAD_COPY = "22P04"
_I16, _I32 = struct.Struct("!h"), struct.Struct("!i")
_NULL = _I32.pack(-1)


def tuple_bytes(values, encoders) -> bytes:
    """One tuple: the field count, then each field's length and send form."""
    out = [_I16.pack(len(encoders))]
    for enc, v in zip(encoders, values):
        if v is None:
            out.append(_NULL)
        else:
            data = enc(v)
            out.append(_I32.pack(len(data)))
            out.append(data)
    return b"".join(out)


class BinaryCopyReader:
    """COPY FROM STDIN's binary stream, fed as CopyData arrives (a message may end anywhere):
    complete tuples come out as lists of field bytes (None for NULL), checked as
    ReceiveCopyBinaryHeader and NextCopyFrom check them."""

    def __init__(self, ncols: int) -> None:
        self.ncols = ncols
        self.buf = bytearray()
        self.pos = 0
        self.header_done = False
        self.ended = False  # saw the -1 trailer

    def feed(self, data: bytes) -> list[list[bytes | None]]:
        if self.ended:
            if data:
                raise SqlError(BAD_COPY, "received copy data after EOF marker")
            return []
        self.buf += data
        rows = []
        if not self.header_done and not self._header(final=False):
            return rows
        while not self.ended:
            row = self._tuple(final=False)
            if row is None:
                break
            rows.append(row)
        if self.ended and self.pos < len(self.buf):
            raise SqlError(BAD_COPY, "received copy data after EOF marker")
        self._compact()
        return rows

    def finish(self) -> list[list[bytes | None]]:
        """At CopyDone: what is left must be whole tuples (a field cut short is an error;
        nothing or half a field count is the end of the data, as PostgreSQL reads EOF)."""
        rows = []
        if not self.header_done:
            self._header(final=True)
        while not self.ended:
            row = self._tuple(final=True)
            if row is None:
                break
            rows.append(row)
        return rows

    # --- parsing ------------------------------------------------------------------------------

    def _have(self, n: int) -> bool:
        return len(self.buf) - self.pos >= n

    def _header(self, final: bool) -> bool:
        buf, p = self.buf, self.pos
        if not self._have(11):
            if final or bytes(buf[p:]) != SIGNATURE[:len(buf) - p]:
                raise SqlError(BAD_COPY, "COPY file signature not recognized")
            return False
        if bytes(buf[p:p + 11]) != SIGNATURE:
            raise SqlError(BAD_COPY, "COPY file signature not recognized")
        if not self._have(15):
            if final:
                raise SqlError(BAD_COPY, "invalid COPY file header (missing flags)")
            return False
        (flags,) = _I32.unpack_from(buf, p + 11)
        if flags & (1 << 16):
            raise SqlError(BAD_COPY, "invalid COPY file header (WITH OIDS)")
        if (flags & ~(1 << 16)) >> 16:
            raise SqlError(BAD_COPY, "unrecognized critical flags in COPY file header")
        if not self._have(19):
            if final:
                raise SqlError(BAD_COPY, "invalid COPY file header (missing length)")
            return False
        (ext,) = _I32.unpack_from(buf, p + 15)
        if ext < 0:
            raise SqlError(BAD_COPY, "invalid COPY file header (missing length)")
        if not self._have(19 + ext):
            if final:
                raise SqlError(BAD_COPY, "invalid COPY file header (wrong length)")
            return False
        self.pos = p + 19 + ext
        self.header_done = True
        return True

    def _tuple(self, final: bool) -> list[bytes | None] | None:
        """The next whole tuple, or None (the data so far ends inside it, or at its end)."""
        buf, p = self.buf, self.pos
        if not self._have(2):
            return None  # EOF (or more to come)
        (count,) = _I16.unpack_from(buf, p)
        if count == -1:
            self.ended = True
            self.pos = p + 2
            if final and self.pos < len(buf):
                raise SqlError(BAD_COPY, "received copy data after EOF marker")
            return None
        if count != self.ncols:
            raise SqlError(BAD_COPY, f"row field count is {count}, expected {self.ncols}")
        p += 2
        fields: list[bytes | None] = []
        for _ in range(count):
            if len(buf) - p < 4:
                return self._short(final)
            (size,) = _I32.unpack_from(buf, p)
            p += 4
            if size == -1:
                fields.append(None)
                continue
            if size < 0:
                raise SqlError(BAD_COPY, "invalid field size")
            if len(buf) - p < size:
                return self._short(final)
            fields.append(bytes(buf[p:p + size]))
            p += size
        self.pos = p
        return fields

    def _short(self, final: bool) -> None:
        if final:
            raise SqlError(BAD_COPY, "unexpected EOF in COPY data")
        return None

    def _compact(self) -> None:
        if self.pos > 65536 or self.pos == len(self.buf):
            del self.buf[:self.pos]
            self.pos = 0
