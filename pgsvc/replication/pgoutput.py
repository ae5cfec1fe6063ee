"""The pgoutput logical replication protocol, as bytes (PostgreSQL 15's "Logical Streaming
Replication Protocol" and its message formats): what a walsender puts inside CopyData on a
logical START_REPLICATION stream, and what the subscriber sends back. Pure functions, no I/O.

Layers, outermost first:
  CopyData('d') > XLogData('w': start LSN, end LSN, send time, payload) > a pgoutput message
  (Begin 'B', Relation 'R', Type 'Y', Insert 'I', Update 'U', Delete 'D', Truncate 'T',
  Commit 'C'); between them the primary keepalive ('k'); from the subscriber the standby
  status update ('r').

Times are microseconds since 2000-01-01 UTC (PostgreSQL's TimestampTz); LSNs unsigned 64-bit.
Column values are sent in text form ('t'), as PostgreSQL's text output prints them; a
subscriber asking for binary accepts text columns as well (the apply worker reads each
column by its kind).
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.regtypes import split_names

POSTGRES_EPOCH_UNIX = 946684800
MIN_PROTO_VERSION = 1
MAX_PROTO_VERSION = 3  # PostgreSQL 15: 1 plain, 2 streaming, 3 two-phase

# Truncate options (PostgreSQL's TRUNCATE_CASCADE / TRUNCATE_RESTART_SEQS)
TRUNCATE_CASCADE = 1
TRUNCATE_RESTART_SEQS = 2

FIRST_NORMAL_OBJECT_ID = 16384  # types at or above are user types: a Type message precedes their use

_Q = struct.Struct("!Q")
_I = struct.Struct("!I")
_H = struct.Struct("!H")


def now_micros() -> int:
    return int((time.time() - POSTGRES_EPOCH_UNIX) * 1_000_000)


def micros_from_unix(seconds: float) -> int:
    return int((seconds - POSTGRES_EPOCH_UNIX) * 1_000_000)


def _cstr(s: str) -> bytes:
    return s.encode() + b"\x00"


# ------------------------------------------------------------------ the stream's envelope
def xlog_data(start_lsn: int, end_lsn: int, payload: bytes, send_time: int | None = None) -> bytes:
    """XLogData ('w'): the payload starts at start_lsn; end_lsn is the current end of WAL."""
    return b"w" + struct.pack("!QQq", start_lsn, end_lsn, now_micros() if send_time is None else send_time) + payload


def keepalive(end_lsn: int, reply_requested: bool, send_time: int | None = None) -> bytes:
    """Primary keepalive ('k')."""
    return b"k" + struct.pack("!Qq?", end_lsn, now_micros() if send_time is None else send_time, reply_requested)


@dataclass(frozen=True)
class StandbyStatus:
    write_lsn: int
    flush_lsn: int
    apply_lsn: int
    send_time: int
    reply_requested: bool


def parse_feedback(data: bytes) -> StandbyStatus | None:
    """A CopyData payload from the client: the standby status update ('r'), or None for
    what a logical walsender ignores (hot standby feedback 'h'). 08P01 for garbage."""
    if data[:1] == b"r":
        if len(data) < 34:
            raise SqlError("08P01", "invalid standby status update message")
        w, f, a, t, rr = struct.unpack_from("!QQQq?", data, 1)
        return StandbyStatus(w, f, a, t, rr)
    if data[:1] == b"h":
        return None
    raise SqlError("08P01", f'unexpected message type "{data[:1].decode("latin-1")}"')


# ------------------------------------------------------------------ pgoutput messages
def begin(final_lsn: int, commit_time: int, xid: int) -> bytes:
    return b"B" + struct.pack("!QqI", final_lsn, commit_time, xid & 0xFFFFFFFF)


def commit(commit_lsn: int, end_lsn: int, commit_time: int) -> bytes:
    return b"C" + struct.pack("!BQQq", 0, commit_lsn, end_lsn, commit_time)


@dataclass(frozen=True)
class Column:
    name: str
    type_oid: int
    typmod: int = -1
    is_key: bool = False


@dataclass(frozen=True)
class RelationInfo:
    relid: int
    schema: str
    name: str
    replica_identity: str  # 'd' default, 'f' full, 'i' index, 'n' nothing
    columns: tuple[Column, ...]


def relation(rel: RelationInfo) -> bytes:
    """Relation ('R'): sent before the first change of a relation in the stream (and again
    when its definition changes). pg_catalog relations are named with an empty schema."""
    out = [b"R", _I.pack(rel.relid), _cstr("" if rel.schema == "pg_catalog" else rel.schema), _cstr(rel.name),
           rel.replica_identity.encode()[:1] or b"d", _H.pack(len(rel.columns))]
    for c in rel.columns:
        out.append(b"\x01" if c.is_key else b"\x00")
        out.append(_cstr(c.name))
        out.append(struct.pack("!Ii", c.type_oid, c.typmod))
    return b"".join(out)


def type_message(type_oid: int, schema: str, name: str) -> bytes:
    """Type ('Y'): a user type's name, so the subscriber can map its OID."""
    return b"Y" + _I.pack(type_oid) + _cstr("" if schema == "pg_catalog" else schema) + _cstr(name)


def tuple_data(values) -> bytes:
    """TupleData: each column null ('n') or text ('t' + length + bytes)."""
    out = [_H.pack(len(values))]
    for v in values:
        if v is None:
            out.append(b"n")
        else:
            raw = v if isinstance(v, bytes) else str(v).encode()
            out.append(b"t" + _I.pack(len(raw)) + raw)
    return b"".join(out)


def insert(relid: int, new) -> bytes:
    return b"I" + _I.pack(relid) + b"N" + tuple_data(new)


def update(relid: int, new, old=None, old_is_full: bool = False) -> bytes:
    """Update ('U'): the old row ('O', REPLICA IDENTITY FULL) or old key ('K') when given
    (the key changed, or identity FULL), then the new row ('N')."""
    head = b"U" + _I.pack(relid)
    if old is not None:
        head += (b"O" if old_is_full else b"K") + tuple_data(old)
    return head + b"N" + tuple_data(new)


def delete(relid: int, old, old_is_full: bool = False) -> bytes:
    return b"D" + _I.pack(relid) + (b"O" if old_is_full else b"K") + tuple_data(old)


def truncate(relids, cascade: bool = False, restart_identity: bool = False) -> bytes:
    options = (TRUNCATE_CASCADE if cascade else 0) | (TRUNCATE_RESTART_SEQS if restart_identity else 0)
    relids = list(relids)
    return b"T" + _I.pack(len(relids)) + bytes([options]) + b"".join(_I.pack(r) for r in relids)


# ------------------------------------------------------------------ START_REPLICATION options
@dataclass
class Options:
    proto_version: int = 1
    publication_names: tuple[str, ...] = ()
    binary: bool = False
    streaming: bool = False
    messages: bool = False
    two_phase: bool = False


def _bool_option(name: str, value: str | None) -> bool:
    if value is None:
        return True
    v = value.strip().lower()
    if v in ("true", "on", "yes", "1", "t", "y"):
        return True
    if v in ("false", "off", "no", "0", "f", "n"):
        return False
    raise SqlError("22023", f"{name} requires a Boolean value")


def split_publication_names(value: str) -> tuple[str, ...]:
    """SplitIdentifierString(value, ','), as regtypes.split_names does it, with pgoutput's
    own message."""
    try:
        return tuple(split_names(value, ","))
    except SqlError:
        raise SqlError("42602", "invalid publication_names syntax") from None


def parse_options(items: list[tuple[str, str | None]]) -> Options:
    """pgoutput's parse_output_parameters: the options of START_REPLICATION ... LOGICAL, with
    PostgreSQL 15's errors."""
    opts = Options()
    seen: set[str] = set()
    got_proto = False
    for name, value in items:
        key = name.lower()
        if key in seen:
            raise SqlError("42601", "conflicting or redundant options")
        seen.add(key)
        if key == "proto_version":
            try:
                v = int((value or "").strip())
            except ValueError:
                raise SqlError("22023", f'invalid proto_version "{value}"') from None
            if not 0 <= v <= 0xFFFFFFFF:
                raise SqlError("22023", f'proto_version "{value}" out of range')
            opts.proto_version = v
            got_proto = True
        elif key == "publication_names":
            opts.publication_names = split_publication_names(value or "")
        elif key == "binary":
            opts.binary = _bool_option(key, value)
        elif key == "messages":
            opts.messages = _bool_option(key, value)
        elif key == "streaming":
            opts.streaming = _bool_option(key, value)
        elif key == "two_phase":
            opts.two_phase = _bool_option(key, value)
        else:
            raise SqlError("XX000", f'unrecognized pgoutput option: {name}')
    if not got_proto:
        raise SqlError("22023", "proto_version option missing")
    if "publication_names" not in seen:
        raise SqlError("22023", "publication_names parameter missing")
    if opts.proto_version > MAX_PROTO_VERSION:
        raise SqlError("0A000", f"client sent proto_version={opts.proto_version} but we only support "
                                f"protocol {MAX_PROTO_VERSION} or lower")
    if opts.proto_version < MIN_PROTO_VERSION:
        raise SqlError("0A000", f"client sent proto_version={opts.proto_version} but we only support "
                                f"protocol {MIN_PROTO_VERSION} or higher")
    if opts.streaming and opts.proto_version < 2:
        raise SqlError("0A000", f"requested proto_version={opts.proto_version} does not support streaming, "
                                f"need 2 or higher")
    if opts.two_phase and opts.proto_version < 3:
        raise SqlError("0A000", f"requested proto_version={opts.proto_version} does not support two-phase commit, "
                                f"need 3 or higher")
    return opts
