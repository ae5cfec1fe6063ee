"""The COPY sub-protocol of a session: CopyInResponse/CopyData/CopyDone/CopyFail for
COPY FROM STDIN, CopyOutResponse/CopyData/CopyDone for COPY TO STDOUT.

Rows stream: COPY FROM STDIN hands the engine a generator that reads CopyData as it
is consumed, so a large load never sits whole in memory.
"""

from __future__ import annotations

from pgsvc.backend import copy_binary as B
from pgsvc.backend import protocol as P
from pgsvc.backend.copy_format import CopyInParser, format_csv_row, format_text_row, header_line
from pgsvc.backend.transcode import binary_input, binary_output
from pgsvc.errors import PROTOCOL_VIOLATION, QUERY_CANCELED, SqlError
from pgsvc.sql import types as T

_IGNORED_DURING_COPY = (b"H", b"S")  # Flush and Sync are ignored while copying, as PostgreSQL does


class CopyRunner:
    def __init__(self, session, stmt, result) -> None:
        self.session = session
        self.conn = session.conn
        self.stmt = stmt
        self.spec = stmt.copy
        self.result = result

    def run(self) -> None:
        if self.spec.direction == "out":
            self._copy_out()
        else:
            self._copy_in()

    # ------------------------------------------------------------ COPY TO STDOUT
    def _copy_out(self) -> None:
        spec = self.spec
        if spec.format == "binary":
            return self._copy_out_binary()
        ctx = self.session.format_context()
        encoders = [T.text_encoder(c.type_oid, ctx) for c in spec.columns]
        self.conn.send(P.encode_copy_out_response(len(spec.columns)))
        codec = self.session.client_codec()
        to_client = codec.encode if codec is not None else str.encode  # client_encoding's bytes
        if spec.header:
            self.conn.send(P.encode_copy_data(to_client(header_line(spec))))
        force = self._force_quote_mask()
        csv = spec.format == "csv"
        count = 0
        for row in self.result.rows:
            fields = [None if v is None else enc(v) for enc, v in zip(encoders, row)]
            line = format_csv_row(fields, spec, force) if csv else format_text_row(fields, spec)
            self.conn.send(P.encode_copy_data(to_client(line)))
            count += 1
            if self.session.signals.cancel_reason:
                raise self.session.engine.cancel_error()  # CHECK_FOR_INTERRUPTS after each row
        self.result.close()
        self.session.check_terminate()  # pg_terminate_backend() by the COPY's own query
        self.conn.send(P.COPY_DONE)
        self.conn.send(P.encode_command_complete(f"COPY {count}"))

    def _copy_out_binary(self) -> None:
        """The binary format: the header goes out with the first tuple, the trailer in a
        message of its own, as copyto.c sends them."""
        codec = self.session.client_codec()
        encoders = [binary_output(codec, c.type_oid) for c in self.spec.columns]
        self.conn.send(P.encode_copy_out_response(len(encoders), binary=True))
        head = B.HEADER
        count = 0
        for row in self.result.rows:
            self.conn.send(P.encode_copy_data(head + B.tuple_bytes(row, encoders)))
            head = b""
            count += 1
            if self.session.signals.cancel_reason:
                raise self.session.engine.cancel_error()  # CHECK_FOR_INTERRUPTS after each row
        self.result.close()
        self.session.check_terminate()  # pg_terminate_backend() by the COPY's own query
        self.conn.send(P.encode_copy_data(head + B.TRAILER))
        self.conn.send(P.COPY_DONE)
        self.conn.send(P.encode_command_complete(f"COPY {count}"))

    def _force_quote_mask(self) -> list[bool]:
        names = self.spec.force_quote
        return [("*" in names) or (c.name in names) for c in self.spec.columns]

    # ------------------------------------------------------------ COPY FROM STDIN
    def _copy_in(self) -> None:
        binary = self.spec.format == "binary"
        self.conn.send(P.encode_copy_in_response(len(self.spec.columns), binary=binary))
        self.conn.flush()
        count = self.session.engine.copy_in(self.stmt, self._binary_rows() if binary else self._rows())
        self.conn.send(P.encode_command_complete(f"COPY {count}"))

    def _binary_rows(self):
        """The binary format's tuples, each field through its type's receive function
        (a field it does not consume whole is 22P03, as CopyReadBinaryAttribute says)."""
        codec = self.session.client_codec()
        decoders = [binary_input(codec, c.type_oid) for c in self.spec.columns]
        typmods = [c.typmod for c in self.spec.columns]
        reader = B.BinaryCopyReader(len(decoders))

        def decode(fields):
            return [None if f is None else dec(f, tm) for dec, f, tm in zip(decoders, fields, typmods)]

        while True:
            mtype, body = self._next_message()
            if mtype == b"d":
                for fields in reader.feed(body):
                    yield decode(fields)
            else:  # CopyDone
                for fields in reader.finish():
                    yield decode(fields)
                return

    def _next_message(self):
        """The next CopyData or CopyDone; CopyFail and anything unexpected are errors."""
        codec = self.session.client_codec()
        while True:
            mtype, body = self.conn.read_message(on_wakeup=self.session._on_wakeup)
            if self.session.signals.cancel_reason:
                raise SqlError(QUERY_CANCELED, "canceling statement due to user request")
            if mtype in (b"d", b"c"):
                return mtype, body
            if mtype == b"f":
                reason = body.rstrip(b"\x00").decode(codec.python if codec is not None and codec.python else "utf-8",
                                                       "replace")
                raise SqlError(QUERY_CANCELED, f"COPY from stdin failed: {reason}")
            if mtype not in _IGNORED_DURING_COPY:
                raise SqlError(PROTOCOL_VIOLATION,
                               f"unexpected message type 0x{mtype[0]:02X} during COPY from stdin")

    def _rows(self):
        parser = CopyInParser(self.spec)
        ctx = self.session.format_context()
        decoders = [_fast_decoder(c.type_oid, T.text_decoder(c.type_oid, ctx)) for c in self.spec.columns]
        typmods = [c.typmod for c in self.spec.columns]

        names = [c.name for c in self.spec.columns]

        def decode(fields, line_no):
            try:
                return [None if f is None else dec(f, tm) for dec, f, tm in zip(decoders, fields, typmods)]
            except SqlError as e:
                if e.context is None:  # CopyFromErrorCallback: the line and column converted
                    i = next((i for i, (dec, f, tm) in enumerate(zip(decoders, fields, typmods))
                              if f is not None and _fails(dec, f, tm)), None)
                    if i is not None:
                        e.context = parser.context(line_no, column=names[i], value=fields[i])
                raise

        parser.check = lambda fields: decode(fields, parser.line_no)
        codec = self.session.client_codec()
        convert = _CopyInConversion(codec) if codec is not None else None
        self.conn.flush()  # what ran before the first row (BEFORE STATEMENT triggers' notices) goes out now

        while True:
            mtype, body = self.conn.read_message(on_wakeup=self.session._on_wakeup)
            if self.session.signals.cancel_reason:
                raise SqlError(QUERY_CANCELED, "canceling statement due to user request")
            if mtype == b"d":
                rows = parser.feed(body if convert is None else convert.feed(body))
                for fields, line_no in zip(rows, parser.row_lines):
                    yield decode(fields, line_no)
            elif mtype == b"c":
                if convert is not None:
                    parser.feed(convert.finish())
                rows = parser.finish()
                for fields, line_no in zip(rows, parser.row_lines):
                    yield decode(fields, line_no)
                return
            elif mtype == b"f":
                reason = body.rstrip(b"\x00").decode(codec.python if codec is not None and codec.python else "utf-8",
                                                       "replace")
                raise SqlError(QUERY_CANCELED, f"COPY from stdin failed: {reason}")
            elif mtype in _IGNORED_DURING_COPY:
                continue
            else:
                raise SqlError(PROTOCOL_VIOLATION,
                               f"unexpected message type 0x{mtype[0]:02X} during COPY from stdin")


def _fails(dec, text: str, typmod: int) -> bool:
    try:
        dec(text, typmod)
    except SqlError:
        return True
    return False


class _CopyInConversion:
    """COPY FROM's data in a client_encoding other than UTF8, converted to UTF-8 as it comes
    (a character may be split between two CopyData messages)."""

    def __init__(self, codec) -> None:
        self.codec = codec
        self.decoder = codec.incremental_decoder()

    def feed(self, data: bytes, final: bool = False) -> bytes:
        try:
            return self.decoder.decode(data, final).encode("utf-8")
        except UnicodeDecodeError as e:
            raise self.codec.decode_error(e.object, e) from None

    def finish(self) -> bytes:
        return self.feed(b"", final=True)


_INT_RANGES = {T.INT2: (-(1 << 15), (1 << 15) - 1), T.INT4: (-(1 << 31), (1 << 31) - 1),
               T.INT8: (-(1 << 63), (1 << 63) - 1)}


def _fast_decoder(oid: int, decoder):
    """Integers are most of a bulk load (pgbench's accounts): plain ASCII digits in
    range go straight through int(); anything else takes the full input function, with
    PostgreSQL's errors."""
    bounds = _INT_RANGES.get(oid)
    if bounds is None:
        return decoder
    high = bounds[1]  # ASCII digits only: never negative

    def decode(text: str, typmod: int):
        if text.isascii() and text.isdigit():
            value = int(text)
            if value <= high:
                return value
        return decoder(text, typmod)

    decode.__name__ = f"fast_{getattr(decoder, '__name__', 'decoder')}"
    return decode
