"""Physical replication as far as pg_basebackup's WAL streaming (`-X stream`, its default)
needs it: a TEMPORARY physical slot, and START_REPLICATION [SLOT s] [PHYSICAL] X/X
[TIMELINE 1] in CopyBoth mode (walsender.c's StartReplication and WalSndLoop).

pgsvc has no WAL to stream: a base backup's copy is consistent at its start position,
which it reports as its end position too (pgsvc.backend.walsender.basebackup), aligned on
a WAL segment. pg_basebackup's WAL receiver starts at that segment boundary, learns the
end position, sees it has reached it, and ends the stream (CopyDone) without a byte of
WAL. Until then the stream sends keepalives and reads the client's status updates, as a
walsender with nothing to send does. A standby that asks for more waits forever for WAL
that never comes: physical standbys are not something pgsvc can feed (logical
replication is the way to follow it).
"""

from __future__ import annotations

import struct
import time

from pgsvc.backend import protocol as P
from pgsvc.backend.conn import ConnectionClosed
from pgsvc.backend.walsender import dispatch
from pgsvc.backend.walsender.builtin import format_lsn
from pgsvc.backend.walsender.grammar import CreateReplicationSlot, StartReplication
from pgsvc.errors import SqlError
from pgsvc.sql.types import oids as O

PG_EPOCH_US = 946_684_800_000_000
KEEPALIVE_SECONDS = 10.0
WAL_SEGMENT = 16 * 1024 * 1024


def segment_start(lsn: int) -> int:
    return lsn - lsn % WAL_SEGMENT


class PhysicalSlots:
    """A session's temporary physical slots (dropped with the session, as PostgreSQL's)."""

    def __init__(self, session) -> None:
        self.names: set[str] = set()

    def close(self) -> None:
        self.names.clear()


def create_slot(session, cmd: CreateReplicationSlot) -> None:
    if not cmd.temporary:
        raise SqlError("0A000", "physical replication slots are not supported by pgsvc",
                       hint="pgsvc has no WAL to retain; a TEMPORARY slot (pg_basebackup's) is accepted.")
    slots = session.extension("physical_slots", PhysicalSlots)
    if cmd.slot in slots.names:
        raise SqlError("42710", f'replication slot "{cmd.slot}" already exists')
    slots.names.add(cmd.slot)
    lsn = segment_start(session.current_lsn())
    session.send_result([("slot_name", O.TEXT), ("consistent_point", O.TEXT), ("snapshot_name", O.TEXT),
                         ("output_plugin", O.TEXT)], [(cmd.slot, format_lsn(lsn), None, None)])
    session.command_complete("CREATE_REPLICATION_SLOT")


def start_replication(session, cmd: StartReplication) -> None:
    if cmd.slot is not None and cmd.slot not in session.extension("physical_slots", PhysicalSlots).names:
        raise SqlError("42704", f'replication slot "{cmd.slot}" does not exist')
    if cmd.timeline is not None and cmd.timeline != 1:
        raise SqlError("58P01", f'could not open file "pg_wal/{cmd.timeline:08X}.history": No such file or directory')
    session.copy_both()
    position = cmd.startpoint
    last_keepalive = 0.0
    while True:
        now = time.monotonic()
        if now - last_keepalive >= KEEPALIVE_SECONDS:
            session.conn.send_now(P.encode_copy_data(b"k" + struct.pack("!qqB", position, _now_us(), 0)))
            last_keepalive = now
        msg = session.wait_message(max(0.1, KEEPALIVE_SECONDS - (time.monotonic() - last_keepalive)))
        session.check_interrupts()
        if msg is None:
            continue
        mtype, _body = msg
        if mtype == b"c":  # the client is done: answer with ours, and the command completes
            session.conn.send(P.COPY_DONE)
            break
        if mtype == b"X":
            raise ConnectionClosed()
        if mtype not in (b"d",):  # status updates ('r') and hot-standby feedback ('h') need nothing
            raise SqlError("08P01", f"unexpected message type \"{mtype.decode('latin-1')}\"")
    session.command_complete("START_REPLICATION")


def _now_us() -> int:
    return time.time_ns() // 1000 - PG_EPOCH_US


dispatch.register("CREATE_REPLICATION_SLOT", create_slot, kind="physical")
dispatch.register("START_REPLICATION", start_replication, kind="physical")
