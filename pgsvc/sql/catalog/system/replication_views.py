"""pg_replication_slots and pg_stat_replication: the data directory's replication slots
(pgsvc.cluster.slots) and the walsenders streaming from them, as PostgreSQL 15's views.

Like stats.py's, they are TEMP tables refilled before each statement that reads them
(relations.py's dynamic relations). What pgsvc fills:
  * pg_replication_slots: every slot of the cluster (logical only: pgsvc keeps no physical
    slots), its database, whether a backend holds it (active, active_pid), restart_lsn and
    confirmed_flush_lsn; xmin/catalog_xmin are NULL (no MVCC horizon to hold back),
    wal_status 'reserved' (the change log keeps everything a slot needs), safe_wal_size NULL.
  * pg_stat_replication: one row per walsender streaming from a slot, with the positions its
    client last reported; the lag columns are NULL (not measured), sync_state 'async'. A role
    without pg_read_all_stats sees the pid and the connection's own columns only.
pg_lsn columns are text in pgsvc (their text is PostgreSQL's X/X).
"""

from __future__ import annotations

from pgsvc.cluster.slots import SlotStore, format_lsn
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.dates import POSTGRES_EPOCH_UNIX

B, N, T, I4, I8, OID, TZ, XID = O.BOOL, O.NAME, O.TEXT, O.INT4, O.INT8, O.OID, O.TIMESTAMPTZ, O.XID
LSN = T  # pg_lsn

COLUMNS: dict[str, list[tuple[str, int]]] = {
    "pg_replication_slots": [("slot_name", N), ("plugin", N), ("slot_type", T), ("datoid", OID), ("database", N),
                             ("temporary", B), ("active", B), ("active_pid", I4), ("xmin", XID),
                             ("catalog_xmin", XID), ("restart_lsn", LSN), ("confirmed_flush_lsn", LSN),
                             ("wal_status", T), ("safe_wal_size", I8), ("two_phase", B)],
    "pg_stat_replication": [("pid", I4), ("usesysid", OID), ("usename", N), ("application_name", T),
                            ("client_addr", O.INET), ("client_hostname", T), ("client_port", I4),
                            ("backend_start", TZ), ("backend_xmin", XID), ("state", T), ("sent_lsn", LSN),
                            ("write_lsn", LSN), ("flush_lsn", LSN), ("replay_lsn", LSN), ("write_lag", O.INTERVAL),
                            ("flush_lag", O.INTERVAL), ("replay_lag", O.INTERVAL), ("sync_priority", I4),
                            ("sync_state", T), ("reply_time", TZ)],
}
REL_OIDS = {"pg_replication_slots": 12257, "pg_stat_replication": 12227}
PG_READ_ALL_STATS = 3375


def _store(engine) -> SlotStore:
    return SlotStore(engine.session.datadir)


def _micros(seconds) -> int | None:
    if not seconds:
        return None
    return round((seconds - POSTGRES_EPOCH_UNIX) * 1_000_000)


def slot_rows(engine) -> list[tuple]:
    rows = []
    for slot, act in _store(engine).slots():
        rows.append((slot.name, slot.plugin, slot.slot_type, slot.database_oid, slot.database,
                     int(slot.temporary), int(act is not None), act.pid if act else None, None, None,
                     format_lsn(slot.restart_lsn), format_lsn(slot.confirmed_flush_lsn), "reserved", None,
                     int(slot.two_phase)))
    return rows


def stat_replication_rows(engine) -> list[tuple]:
    by_pid = {s.pid: s for s in engine.session.activity() if s.pid}
    cat = shared(engine).cat
    a = authz(engine)
    me = a.current_oid()
    see_all = a.has_privs_of(me, PG_READ_ALL_STATS)
    rows = []
    for _slot, act in _store(engine).slots():
        if act is None or not act.streaming:
            continue
        s = by_pid.get(act.pid)
        local = s is None or not s.client_addr or s.client_addr == "[local]" or s.client_addr.startswith("/")
        state = "streaming" if act.flush_lsn >= act.sent_lsn or act.reply_time else "catchup"
        role = cat.find_role(s.user) if s is not None and s.user else None
        if not see_all:  # pg_stat_get_wal_senders: the pid only, unless pg_read_all_stats
            own = role is not None and a.has_privs_of(a.current_oid(), role.oid)
            rows.append((act.pid, role.oid if role else None, s.user if s else None,
                         s.application_name if s else None) + ((None,) * 4 if not own else
                        (None if local else s.client_addr, None, -1 if local else s.client_port,
                         _micros(s.backend_start))) + (None,) * 12)
            continue
        rows.append((act.pid, role.oid if role else None, s.user if s else None, s.application_name if s else None,
                     None if local else s.client_addr, None, -1 if local else s.client_port,
                     _micros(s.backend_start) if s else None, None, state,
                     format_lsn(act.sent_lsn), format_lsn(act.write_lsn), format_lsn(act.flush_lsn),
                     format_lsn(act.replay_lsn), None, None, None, 0, "async", _micros(act.reply_time)))
    return rows


ENGINE_ROWS = {"pg_replication_slots": slot_rows, "pg_stat_replication": stat_replication_rows}
