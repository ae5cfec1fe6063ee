"""A backend's result sending: RowDescription, DataRow and CommandComplete messages,
with the per-statement bytes and value encoders built once and reused on every
execution (keyed on the column list's identity, which a cached statement keeps).
Mixed into pgsvc.backend.session.Session.
"""

from __future__ import annotations

from pgsvc.backend import protocol as P
from pgsvc.backend.transcode import binary_output
from pgsvc.sql import types as T
from pgsvc.sql.types import oids as O


class ResultSending:
    """Session's result messages (the caches live in Session.__init__)."""

    def _send_rows(self, rows, encoders, limit: int) -> int:
        """DataRows for up to `limit` rows (0: all); returns how many were sent."""
        send = self.conn.send
        data_row = P.encode_data_row
        sent = 0
        signals = self.signals
        for row in rows:
            send(data_row([None if v is None else enc(v) for enc, v in zip(encoders, row)]))
            sent += 1
            if signals.cancel_reason:
                # CHECK_FOR_INTERRUPTS after each row, as PostgreSQL's executor: a cancel or
                # pg_terminate_backend (of this very backend too: the row that said so is
                # the last) stops a result whose rows come from Python, not from SQLite's
                # progress handler
                raise self.engine.cancel_error()
            if sent == limit:
                break
        return sent

    def _encoders(self, columns, formats: tuple[int, ...]) -> list:
        ctx = self.format_context()
        key = (id(columns), formats)
        hit = self._encoder_cache.get(key)
        if hit is not None and hit[0] is columns and hit[1] is ctx:
            return hit[2]
        out = []
        codec = self.client_codec()
        for i, col in enumerate(columns):
            fmt = formats[0] if len(formats) == 1 else (formats[i] if formats else 0)
            if fmt == 1:
                out.append(binary_output(codec, col.type_oid))
            else:
                out.append(_bytes_encoder(T.text_encoder(col.type_oid, ctx), codec))
        _remember(self._encoder_cache, key, (columns, ctx, out))
        return out

    def _row_description(self, columns, formats: tuple[int, ...] | None) -> bytes:
        key = (id(columns), formats)
        hit = self._row_descriptions.get(key)
        if hit is not None and hit[0] is columns:
            return hit[1]
        data = P.encode_row_description(columns, formats, self.client_codec())
        _remember(self._row_descriptions, key, (columns, data))
        return data

    def _command_complete(self, tag: str) -> bytes:
        data = self._tags.get(tag)
        if data is None:
            data = P.encode_command_complete(tag)
            _remember(self._tags, tag, data)
        return data


_CACHE_LIMIT = 512


def _remember(cache: dict, key, value) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()  # a session that keeps preparing new statements; start over
    cache[key] = value


# The text output functions of the commonest types, with bytes written directly (one
# call per value instead of text encoder + str.encode). They must print exactly what
# the type's text encoder prints: pgsvc.sql.types' str(int(v)) and the str itself.
_INT_TEXT = T.text_encoder(O.INT4)
_STR_TEXT = T.text_encoder(O.TEXT)


def _int_bytes(value) -> bytes:
    return b"%d" % value if type(value) is int else str(int(value)).encode("utf-8")


def _str_bytes(value) -> bytes:
    return (value if isinstance(value, str) else str(value)).encode("utf-8")


def _bytes_encoder(text_encoder, codec=None):
    """A value's text output as the bytes sent: UTF-8, or the client_encoding's (codec)."""
    if text_encoder is _INT_TEXT:
        return _int_bytes  # digits: the same bytes in every client encoding
    if codec is not None:
        convert = codec.encode
        return lambda value: convert(text_encoder(value))
    if text_encoder is _STR_TEXT:
        return _str_bytes

    def encode(value):
        return text_encoder(value).encode("utf-8")
    return encode

