"""Replication slots from SQL: pg_create_logical_replication_slot(slot_name, plugin
[, temporary [, twophase]]) and pg_drop_replication_slot(slot_name), over the data
directory's slots (pgsvc.cluster.slots), as PostgreSQL 15's slotfuncs.c; and the position
functions monitoring reads beside them: pg_current_wal_lsn() (and its _insert/_flush
forms: the database's change log end, which is what a slot's positions count in) and
pg_wal_lsn_diff(); pg_replication_slot_advance(slot_name, upto_lsn).

A slot made here starts at the change log's end as this transaction sees it
(pgsvc.sql.catalog.changelog.current_lsn). A temporary slot belongs to this backend: it holds
it (the slot's `active` flock) until the session ends, and the kernel lets go of it if the
backend dies, after which it is removed when next listed.

pg_create_logical_replication_slot returns record (slot_name name, lsn pg_lsn): in the
select list its text "(name,X/X)", in FROM its two columns (translate.from_items'
RECORD_OUT functions: the emit named there returns the rows as JSON).
"""

from __future__ import annotations

import json
import os

from pgsvc.cluster.slots import Slot, SlotStore, check_requirements, format_lsn, parse_lsn, slot_limit
from pgsvc.errors import SqlError
from pgsvc.sql.catalog import changelog as CL
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.functions.context import reporting_sql_errors
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS, RECORD_OUT, TRANSACTION_SCOPED
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.composite import format_record

_STORES: dict[str, SlotStore] = {}  # one per data directory and process: it holds temporary slots


def _store(engine) -> SlotStore:
    datadir = engine.session.datadir
    store = _STORES.get(datadir)
    if store is None:
        store = _STORES[datadir] = SlotStore(datadir)
    return store


def _check_permission(engine) -> None:
    """CheckSlotPermissions: the current role is a superuser or has REPLICATION."""
    me = shared(engine).me()
    if not (me.superuser or getattr(me, "replication", False)):
        raise SqlError("42501", "must be superuser or replication role to use replication slots")


def _database_oid(engine) -> int:
    return int(os.path.splitext(os.path.basename(engine.session.database_path))[0])


def create_logical_slot(engine, name, plugin, temporary, two_phase) -> tuple[str, str]:
    _check_permission(engine)
    check_requirements(engine.session.settings)
    if engine.txn.wrote:
        raise SqlError("25001", "cannot create logical replication slot in transaction that has performed writes")
    if plugin != "pgoutput":
        raise SqlError("58P01", f'could not access file "{plugin}": No such file or directory')
    lsn = CL.current_lsn(engine.conn)
    slot = Slot(name=name, plugin=plugin, database_oid=_database_oid(engine), database=engine.session.database,
                temporary=bool(temporary), restart_lsn=lsn, confirmed_flush_lsn=lsn, two_phase=bool(two_phase))
    store = _store(engine)
    store.create(slot, engine.session.backend_pid, slot_limit(engine.session.settings))
    if not slot.temporary:
        store.release(name)
    return name, format_lsn(lsn)


def drop_slot(engine, name) -> str:
    _check_permission(engine)
    check_requirements(engine.session.settings, logical=False)
    slot = _store(engine).get(name)
    _store(engine).drop(name, engine.session.backend_pid)
    if slot.database_oid == _database_oid(engine):
        engine.commits.retain_due = True  # the log keeps only what the remaining slots need (exec.commits)
    return ""  # void


def advance_slot(engine, name, target) -> tuple[str, str]:
    """pg_replication_slot_advance: move a free slot's confirmed position forward (never past
    the log's end, never backwards: 55000), durably."""
    _check_permission(engine)
    check_requirements(engine.session.settings, logical=False)
    moveto = parse_lsn(target)
    if moveto == 0:
        raise SqlError("XX000", "invalid target WAL LSN")
    store = _store(engine)
    held = store.held(name)
    slot = store.acquire(name, engine.session.backend_pid)
    try:
        moveto = min(moveto, CL.current_lsn(engine.conn))
        if moveto < slot.confirmed_flush_lsn:
            raise SqlError("55000", f"cannot advance replication slot to {format_lsn(moveto)}, minimum is "
                                    f"{format_lsn(slot.confirmed_flush_lsn)}")
        if moveto > slot.confirmed_flush_lsn:
            slot.confirmed_flush_lsn = slot.restart_lsn = moveto
            store.save(slot)
        return name, format_lsn(slot.confirmed_flush_lsn)
    finally:
        if not held:
            store.release(name)


def register(conn, engine) -> None:
    def record(name, plugin, temporary=0, two_phase=0):
        return format_record(create_logical_slot(engine, name, plugin, temporary, two_phase))

    def rows(name, plugin, temporary=0, two_phase=0):
        return json.dumps([list(create_logical_slot(engine, name, plugin, temporary, two_phase))])
    for n in (2, 3, 4):
        conn.create_function("pgsvce_create_logical_slot", n, reporting_sql_errors(engine.fctx, record))
        conn.create_function("pgsvce_create_logical_slot_rows", n, reporting_sql_errors(engine.fctx, rows))
    current = reporting_sql_errors(engine.fctx, lambda: format_lsn(CL.current_lsn(engine.conn)))
    conn.create_function("pgsvce_current_wal_lsn", 0, current)
    conn.create_function("pgsvce_wal_lsn_diff", 2,
                         reporting_sql_errors(engine.fctx, lambda a, b: str(parse_lsn(a) - parse_lsn(b))))
    conn.create_function("pgsvce_slot_advance", 2, reporting_sql_errors(
        engine.fctx, lambda name, lsn: format_record(advance_slot(engine, name, lsn))))
    conn.create_function("pgsvce_slot_advance_rows", 2, reporting_sql_errors(
        engine.fctx, lambda name, lsn: json.dumps([list(advance_slot(engine, name, lsn))])))
    conn.create_function("pgsvce_drop_replication_slot", 1,
                         reporting_sql_errors(engine.fctx, lambda name: drop_slot(engine, name)))


def _install_signatures() -> None:
    """The translator's signatures (once, at import)."""
    for args in ((O.NAME, O.NAME), (O.NAME, O.NAME, O.BOOL), (O.NAME, O.NAME, O.BOOL, O.BOOL)):
        marks = ", ".join(f"{{{i}}}" for i in range(len(args)))
        ENGINE_FUNCTIONS.setdefault("pg_create_logical_replication_slot", []).append(
            FuncSig("pg_create_logical_replication_slot", args, O.RECORD, f"pgsvce_create_logical_slot({marks})",
                    "scalar", 0, True, "v"))
    RECORD_OUT["pg_create_logical_replication_slot"] = ("pgsvce_create_logical_slot_rows",
                                                        [("slot_name", O.NAME), ("lsn", O.TEXT)])
    ENGINE_FUNCTIONS.setdefault("pg_drop_replication_slot", []).append(
        FuncSig("pg_drop_replication_slot", (O.NAME,), O.VOID, "pgsvce_drop_replication_slot({0})",
                "scalar", 0, True, "v"))
    ENGINE_FUNCTIONS.setdefault("pg_replication_slot_advance", []).append(
        FuncSig("pg_replication_slot_advance", (O.NAME, O.TEXT), O.RECORD, "pgsvce_slot_advance({0}, {1})",
                "scalar", 0, True, "v"))
    RECORD_OUT["pg_replication_slot_advance"] = ("pgsvce_slot_advance_rows", [("slot_name", O.NAME),
                                                                             ("end_lsn", O.TEXT)])
    # the change log's end stands for the WAL position (pg_lsn is text in pgsvc)
    for fname in ("pg_current_wal_lsn", "pg_current_wal_insert_lsn", "pg_current_wal_flush_lsn"):
        ENGINE_FUNCTIONS.setdefault(fname, []).append(
            FuncSig(fname, (), O.TEXT, "pgsvce_current_wal_lsn()", "scalar", 0, True, "v"))
    ENGINE_FUNCTIONS.setdefault("pg_wal_lsn_diff", []).append(
        FuncSig("pg_wal_lsn_diff", (O.TEXT, O.TEXT), O.NUMERIC, "pgsvce_wal_lsn_diff({0}, {1})", "scalar", 0, True,
                "i"))
    TRANSACTION_SCOPED.update(("pg_create_logical_replication_slot", "pg_drop_replication_slot",
                               "pg_replication_slot_advance"))


_install_signatures()
