"""Run-time catalogs: pg_settings (and SHOW ALL), pg_stat_activity, pg_stat_database,
pg_stat_all_tables / pg_stat_user_tables / pg_statio_user_tables, pg_locks.

They are TEMP tables refilled before each statement that reads them (pgsvc.sql.catalog.system.relations's
dynamic relations), from the session's settings, the shared backend registry (one slot
per process, written by the backends themselves) and the database's catalog.

What is real and what is not:
  * pg_settings: every setting pgsvc has, its value in this session, PostgreSQL 15's
    category and descriptions; `source` is 'default', 'session' (SET in this session) or
    'configuration file' (a server-level value other than the default).
  * pg_stat_activity: the registry's client backends (pid, user, database, client
    address, state, query, start times). Other roles' rows hide their details and query
    ('<insufficient privilege>') unless the role is a superuser or pg_read_all_stats.
  * pg_stat_database: numbackends from the registry; xact_commit/xact_rollback summed
    over the live backends' counters (they reset when a backend exits); block and tuple
    counters are 0 (SQLite keeps none).
  * pg_stat_*_tables: n_live_tup is an exact count(*) of the table when read; scan,
    tuple and vacuum counters are 0 (not tracked).
  * pg_locks: the backend's own virtual-transaction lock (as every PostgreSQL backend
    holds) and the lock of reading pg_locks itself; every backend's advisory locks, held
    and awaited (pgsvc.supervisor.lock_table); SQLite's file locks (one writer per
    database, pgsvc.sql.exec.txn) are not relation locks and are not listed.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import time
import zoneinfo

from pgsvc.errors import SqlError
from pgsvc.settings import DEFINITIONS, PLANNER_SETTINGS
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.identity import current_user
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.catalog.system import pg15
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.dates import POSTGRES_EPOCH_UNIX
from pgsvc.supervisor.lock_table import GRANTED, MODE_NAMES, WAITING
from pgsvc.supervisor.registry import KIND_BACKEND

B, N, T, I4, I8, OID, TZ, F8 = O.BOOL, O.NAME, O.TEXT, O.INT4, O.INT8, O.OID, O.TIMESTAMPTZ, O.FLOAT8
TEXTS, XID, I2 = O.ARRAY_TEXT, O.XID, O.INT2

_TABLE_STATS = [("relid", OID), ("schemaname", N), ("relname", N), ("seq_scan", I8), ("seq_tup_read", I8),
                ("idx_scan", I8), ("idx_tup_fetch", I8), ("n_tup_ins", I8), ("n_tup_upd", I8), ("n_tup_del", I8),
                ("n_tup_hot_upd", I8), ("n_live_tup", I8), ("n_dead_tup", I8), ("n_mod_since_analyze", I8),
                ("n_ins_since_vacuum", I8), ("last_vacuum", TZ), ("last_autovacuum", TZ), ("last_analyze", TZ),
                ("last_autoanalyze", TZ), ("vacuum_count", I8), ("autovacuum_count", I8), ("analyze_count", I8),
                ("autoanalyze_count", I8)]

COLUMNS: dict[str, list[tuple[str, int]]] = {
    "pg_settings": [("name", T), ("setting", T), ("unit", T), ("category", T), ("short_desc", T),
                    ("extra_desc", T), ("context", T), ("vartype", T), ("source", T), ("min_val", T),
                    ("max_val", T), ("enumvals", TEXTS), ("boot_val", T), ("reset_val", T), ("sourcefile", T),
                    ("sourceline", I4), ("pending_restart", B)],
    "pg_stat_activity": [("datid", OID), ("datname", N), ("pid", I4), ("leader_pid", I4), ("usesysid", OID),
                         ("usename", N), ("application_name", T), ("client_addr", O.INET),
                         ("client_hostname", T), ("client_port", I4), ("backend_start", TZ), ("xact_start", TZ),
                         ("query_start", TZ), ("state_change", TZ), ("wait_event_type", T), ("wait_event", T),
                         ("state", T), ("backend_xid", XID), ("backend_xmin", XID), ("query_id", I8),
                         ("query", T), ("backend_type", T)],
    "pg_stat_database": [("datid", OID), ("datname", N), ("numbackends", I4), ("xact_commit", I8),
                         ("xact_rollback", I8), ("blks_read", I8), ("blks_hit", I8), ("tup_returned", I8),
                         ("tup_fetched", I8), ("tup_inserted", I8), ("tup_updated", I8), ("tup_deleted", I8),
                         ("conflicts", I8), ("temp_files", I8), ("temp_bytes", I8), ("deadlocks", I8),
                         ("checksum_failures", I8), ("checksum_last_failure", TZ), ("blk_read_time", F8),
                         ("blk_write_time", F8), ("session_time", F8), ("active_time", F8),
                         ("idle_in_transaction_time", F8), ("sessions", I8), ("sessions_abandoned", I8),
                         ("sessions_fatal", I8), ("sessions_killed", I8), ("stats_reset", TZ)],
    "pg_stat_all_tables": _TABLE_STATS,
    "pg_stat_user_tables": _TABLE_STATS,
    "pg_statio_user_tables": [("relid", OID), ("schemaname", N), ("relname", N), ("heap_blks_read", I8),
                              ("heap_blks_hit", I8), ("idx_blks_read", I8), ("idx_blks_hit", I8),
                              ("toast_blks_read", I8), ("toast_blks_hit", I8), ("tidx_blks_read", I8),
                              ("tidx_blks_hit", I8)],
    "pg_timezone_names": [("name", T), ("abbrev", T), ("utc_offset", O.INTERVAL), ("is_dst", B)],
    "pg_timezone_abbrevs": [("abbrev", T), ("utc_offset", O.INTERVAL), ("is_dst", B)],
    "pg_locks": [("locktype", T), ("database", OID), ("relation", OID), ("page", I4), ("tuple", I2),
                 ("virtualxid", T), ("transactionid", XID), ("classid", OID), ("objid", OID), ("objsubid", I2),
                 ("virtualtransaction", T), ("pid", I4), ("mode", T), ("granted", B), ("fastpath", B),
                 ("waitstart", TZ)],
}
REL_OIDS = {"pg_settings": 12210, "pg_stat_activity": 12222, "pg_stat_database": 12291,
            "pg_stat_all_tables": 12236, "pg_stat_user_tables": 12245, "pg_statio_user_tables": 12268,
            "pg_locks": 12073, "pg_timezone_names": 12085, "pg_timezone_abbrevs": 12081}


# --- pg_settings / SHOW ALL -----------------------------------------------------------------

# PostgreSQL 15's GUC_SUPERUSER_ONLY settings among pgsvc's (server paths; pgsvc's OS
# account): only superusers and pg_read_all_settings members may see them
SUPERUSER_ONLY_SETTINGS = {"config_file", "data_directory", "hba_file", "ident_file", "unix_socket_directories",
                           "log_directory", "log_filename", "ssl_ciphers", "ssl_dh_params_file",
                           "ssl_passphrase_command", "external_pid_file", "user"}
PG_READ_ALL_SETTINGS, PG_READ_ALL_STATS, PG_MONITOR = 3374, 3375, 3373


def _has_privs_of_any(engine, roles: tuple[int, ...]) -> bool:
    a = authz(engine)
    me = a.current_oid()
    return any(a.has_privs_of(me, r) for r in roles)


def may_read_all_settings(engine) -> bool:
    return _has_privs_of_any(engine, (PG_READ_ALL_SETTINGS, PG_MONITOR))


def check_may_read_setting(engine, name: str) -> None:
    """SHOW / current_setting of a superuser-only setting: 42501 for other roles."""
    if name.lower() in SUPERUSER_ONLY_SETTINGS and not may_read_all_settings(engine):
        shown = DEFINITIONS[name.lower()].name if name.lower() in DEFINITIONS else name
        raise SqlError("42501", f'must be superuser or have privileges of pg_read_all_settings to examine "{shown}"')


# PostgreSQL keeps these out of pg_settings and SHOW ALL (GUC_NO_SHOW_ALL)
_NO_SHOW_ALL = {"is_superuser", "session_authorization"}
_VARTYPES = {"bool": "bool", "int": "integer", "real": "real", "string": "string", "enum": "enum"}


def _pg_texts() -> dict[str, tuple]:
    return {r[0].lower(): r for r in pg15.data().SETTINGS}


def raw_setting(setting, value) -> str:
    """pg_settings.setting: the value in the setting's base unit, without the unit."""
    if setting.kind == "bool":
        return "on" if value else "off"
    if setting.kind == "int" and setting.name == "unix_socket_permissions":
        return f"{int(value):04o}"
    return str(value)


def settings_rows(engine) -> list[tuple]:
    settings = engine.session.settings
    texts = _pg_texts()
    rows = []
    hidden = _NO_SHOW_ALL | (set() if may_read_all_settings(engine) else SUPERUSER_ONLY_SETTINGS)
    for key, s in sorted(DEFINITIONS.items()):
        if key in hidden:
            continue
        value = transaction_value(engine, key, settings.get(s.name))
        pg = texts.get(key)
        category = pg[1] if pg else s.category
        short = pg[2] if pg else s.description
        extra = pg[3] if pg else None
        if key in settings.session:
            source = "session" if s.context in ("user", "superuser") else "override"
        elif key in settings.defaults:  # ALTER ROLE/DATABASE ... SET, the client's options
            source = settings.default_sources.get(key, "client")
        elif settings.base.get(key) != s.default:
            source = "configuration file"
        else:
            source = "default"
        numeric = s.kind in ("int", "real")
        enum = _json_list(_enum_order(s.enum, pg)) if s.kind == "enum" else None
        rows.append((s.name, raw_setting(s, value), s.unit if s.kind == "int" else None, category, short, extra,
                     s.context, _VARTYPES.get(s.kind, "string"), source,
                     _bound(s.minimum, -INT_MAX - 1) if numeric else None,
                     _bound(s.maximum, INT_MAX) if numeric else None, enum,
                     raw_setting(s, s.default),
                     raw_setting(s, settings.defaults.get(key, settings.base.get(key, s.default))),
                     None, None, 0))
    rows += _planner_rows(engine, texts)
    rows.sort(key=lambda r: r[0].lower())
    return rows


def _planner_rows(engine, texts) -> list[tuple]:
    """The planner knobs pgsvc accepts and shows (pgsvc.settings.PLANNER_SETTINGS; they
    never change a result) with PostgreSQL 15's facts; knobs PostgreSQL 15 lacks are left out."""
    rows = []
    for key, default in PLANNER_SETTINGS.items():
        pg = texts.get(key)
        if pg is None or key in DEFINITIONS:
            continue
        name, category, short, extra, enumvals, vartype, unit, lo, hi, boot, context = pg
        shown = engine.planner_settings.get(key, default)
        rows.append((name, _base_units(shown, unit), unit, category, short, extra, context, vartype,
                     "session" if key in engine.planner_settings else "default", lo, hi,
                     _json_list(enumvals) if enumvals is not None else None, boot,
                     _base_units(default, unit), None, None, 0))
    return rows


_UNIT_BYTES = {"B": 1, "kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4}
_UNIT_MS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def _base_units(shown: str, unit: str | None) -> str:
    """SHOW's '4MB' as pg_settings.setting in the setting's unit ('4096' for kB)."""
    m = re.fullmatch(r"\s*(-?[0-9.]+)\s*([a-zA-Z]*)\s*", str(shown))
    if unit is None or m is None or not m.group(2):
        return str(shown)
    value, suffix = float(m.group(1)), m.group(2)
    if suffix in _UNIT_BYTES and unit in ("B", "kB", "MB", "8kB"):
        base = 8 * 1024 if unit == "8kB" else _UNIT_BYTES[unit]
        return str(int(value * _UNIT_BYTES[suffix] // base))
    if suffix in _UNIT_MS and unit in _UNIT_MS:
        return str(int(value * _UNIT_MS[suffix] // _UNIT_MS[unit]))
    return str(shown)


def _json_list(items) -> str:
    return json.dumps(list(items))


INT_MAX = 2**31 - 1  # an integer setting without a declared bound takes int's (as GUCs do)


def _bound(v, default: int) -> str:
    if v is None:
        return str(default)
    return str(int(v)) if float(v).is_integer() else str(v)


def _enum_order(values, pg) -> list[str]:
    """PostgreSQL's order of the allowed values when pgsvc allows the same set."""
    if pg is not None and pg[4] is not None and set(pg[4]) == set(values):
        return list(pg[4])
    return list(values)


def transaction_flag(engine, key: str) -> str:
    """transaction_read_only / transaction_deferrable: the block's own (SET TRANSACTION,
    BEGIN's options), else what a transaction would take from the default_ setting."""
    if engine.txn.block:
        on = engine.txn.read_only if key == "transaction_read_only" else engine.txn.deferrable
    else:
        on = bool(engine.session.settings.get("default_" + key))
    return "on" if on else "off"


def transaction_value(engine, key: str, value):
    """A setting's value, the transaction's own characteristics as the transaction has them."""
    if key == "transaction_isolation":
        return engine.isolation_in_force()
    if key in ("transaction_read_only", "transaction_deferrable"):
        return transaction_flag(engine, key) == "on"
    return value


def show_all(engine) -> list[tuple[str, str, str]]:
    """SHOW ALL: (name, setting as SHOW prints it, short description), by name."""
    texts = _pg_texts()
    out = []
    hidden = _NO_SHOW_ALL | (set() if may_read_all_settings(engine) else SUPERUSER_ONLY_SETTINGS)
    for key, s in sorted(DEFINITIONS.items()):
        if key in hidden:
            continue
        pg = texts.get(key)
        shown = engine.session.settings.show(s.name)
        if key.startswith("transaction_"):
            shown = raw_setting(s, transaction_value(engine, key, None))
        out.append((s.name, shown, pg[2] if pg else s.description))
    for key, default in PLANNER_SETTINGS.items():
        if key in texts and key not in DEFINITIONS:
            out.append((texts[key][0], engine.planner_settings.get(key, default), texts[key][2]))
    out.sort(key=lambda r: r[0].lower())
    return out


# --- activity ------------------------------------------------------------------------------

def _tstz(seconds) -> int | None:
    if not seconds:
        return None
    return round((seconds - POSTGRES_EPOCH_UNIX) * 1_000_000)


def _may_see_all(engine) -> bool:
    """Superusers and members of pg_read_all_stats (pg_monitor) see every backend's details."""
    return _has_privs_of_any(engine, (PG_READ_ALL_STATS, PG_MONITOR))


def _client_backends(engine) -> list:
    return [s for s in engine.session.activity() if s.kind == KIND_BACKEND and s.pid]


def is_local_client(addr) -> bool:
    """A Unix-socket client: the registry says '[local]' (or a socket path, or nothing)."""
    return not addr or addr == "[local]" or addr.startswith("/")


def activity_rows(engine) -> list[tuple]:
    cat = shared(engine).cat
    a = authz(engine)
    see_all = _may_see_all(engine)
    me = current_user(engine)
    table = engine.session.lock_table
    in_lock_wait = table.waiting_pids() if table is not None else set()
    rows = []
    for s in _client_backends(engine):
        db = cat.find_database(s.database) if s.database else None
        role = cat.find_role(s.user) if s.user else None
        # as pg_stat_get_activity: a backend of a role whose privileges this role has
        own = see_all or s.user == me or (role is not None and a.has_privs_of(a.current_oid(), role.oid))
        state = s.state if s.state and s.state != "starting" else None
        waiting = state in ("idle", "idle in transaction", "idle in transaction (aborted)")
        event = ("Client", "ClientRead") if waiting else ("Lock", "advisory") if s.pid in in_lock_wait \
            else (None, None)
        local = is_local_client(s.client_addr)
        detail = (None if local else s.client_addr, None, (-1 if local else s.client_port),
                  _tstz(s.backend_start), _tstz(s.xact_start), _tstz(s.query_start), _tstz(s.state_change),
                  *event, state, None, None, None, s.query)
        if not own:
            detail = (None,) * 13 + ("<insufficient privilege>",)
        rows.append((db.oid if db else None, s.database or None, s.pid, None, role.oid if role else None,
                     s.user or None, s.application_name) + detail +
                    (("walsender" if s.walsender else "client backend") if own else None,))
    return rows


def database_stat_rows(engine) -> list[tuple]:
    backends = _client_backends(engine)
    cols, dbs = shared(engine).cat.rows("pg_database")
    # after the counters: checksum_failures and checksum_last_failure are NULL without data
    # checksums (as in a default PostgreSQL cluster)
    tail = (None, None, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0, None)
    rows = [(0, None, 0, 0, 0) + (0,) * 11 + tail]
    for row in dbs:
        r = dict(zip(cols, row))
        mine = [s for s in backends if s.database == r["datname"]]
        rows.append((r["oid"], r["datname"], len(mine), sum(s.xact_commit for s in mine),
                     sum(s.xact_rollback for s in mine)) + (0,) * 11 + tail)
    return rows


def _user_tables(engine) -> list:
    return [r for r in engine.catalog.by_oid.values() if r.kind == "r" and r.sqlite_name]


def _live_tuples(engine, rel) -> int:
    name = rel.sqlite_name.replace('"', '""')
    return engine.conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]


def table_stat_rows(engine) -> list[tuple]:
    rows = []
    for rel in sorted(_user_tables(engine), key=lambda r: r.oid):
        rows.append((rel.oid, rel.schema, rel.name, 0, 0, None, None, 0, 0, 0, 0,
                     _live_tuples(engine, rel), 0, 0, 0, None, None, None, None, 0, 0, 0, 0))
    return rows


def statio_rows(engine) -> list[tuple]:
    return [(rel.oid, rel.schema, rel.name, 0, 0, None, None, None, None, None, None)
            for rel in sorted(_user_tables(engine), key=lambda r: r.oid)]


def lock_rows(engine) -> list[tuple]:
    """The backend's own locks as PostgreSQL shows them to a query on pg_locks: its
    virtual-transaction lock and the AccessShareLock of reading pg_locks itself; and every
    backend's advisory locks, held and awaited (the cluster's lock table)."""
    vxid = _virtual_xid(engine)
    pid = engine.session.backend_pid
    db = shared(engine).cat.find_database(engine.session.database)
    return [("relation", db.oid if db else None, REL_OIDS["pg_locks"], None, None, None, None, None, None, None,
             vxid, pid, "AccessShareLock", 1, 1, None),
            ("virtualxid", None, None, None, None, vxid, None, None, None, None, vxid, pid, "ExclusiveLock", 1, 1,
             None)] + _advisory_rows(engine, vxid)


def _advisory_rows(engine, my_vxid: str) -> list[tuple]:
    """locktype 'advisory': database, classid/objid/objsubid (the key as PostgreSQL encodes
    it), the holder's virtual transaction and pid, the mode, granted or awaited since when."""
    table = engine.session.lock_table
    if table is None:
        table = engine.advisory.table if engine.advisory is not None else None
    rows = table.rows() if table is not None else []
    if not rows:
        return []
    vxids = {s.index: f"{s.index + 1}/{s.xact_commit + s.xact_rollback + 1}" for s in engine.session.activity()}
    out = []
    for r in sorted(rows, key=lambda r: (r.tag, r.pid, r.mode, r.state)):
        db, k1, k2, sub = r.tag
        vxid = my_vxid if r.pid == engine.session.backend_pid else vxids.get(r.slot, f"{r.slot + 1}/1")
        out.append(("advisory", db, None, None, None, None, None, k1, k2, sub, vxid, r.pid, MODE_NAMES[r.mode],
                    int(r.state == GRANTED), 0, _tstz(r.since) if r.state == WAITING else None))
    return out


def _virtual_xid(engine) -> str:
    """'<backend id>/<local transaction number>' of this backend (its registry slot)."""
    slot = next((s for s in engine.session.activity() if s.pid == engine.session.backend_pid), None)
    if slot is None:
        return "1/1"
    return f"{slot.index + 1}/{slot.xact_commit + slot.xact_rollback + 1}"


# --- time zones -----------------------------------------------------------------------------

_ZONES: list = []  # (time the rows were made, rows): offsets change only at DST transitions


def _interval_stored(seconds: int) -> str:
    """An interval's stored form ('months days microseconds') for a UTC offset."""
    return f"0 0 {int(seconds) * 1_000_000}"


def _zone_names() -> list[str]:
    """Every time zone file of the system's zoneinfo directory, as PostgreSQL (built with
    the system's tzdata) lists them: symbolic links followed, the right/ tree skipped."""
    root = next((d for d in zoneinfo.TZPATH if os.path.isdir(d)), None)
    if root is None:
        return []
    names = []
    for directory, dirs, files in os.walk(root, followlinks=True):
        rel = os.path.relpath(directory, root)
        if rel.count(os.sep) >= 8:
            dirs[:] = []  # a guard against link cycles (PostgreSQL stops at depth 10 too)
        if rel == ".":
            dirs[:] = [d for d in dirs if d != "right"]
        for f in files:
            try:
                with open(os.path.join(directory, f), "rb") as fh:
                    if fh.read(4) != b"TZif":
                        continue
            except OSError:
                continue
            names.append(os.path.normpath(os.path.join(rel, f)))
    return sorted(names)


def timezone_name_rows(engine) -> list[tuple]:
    if _ZONES and time.monotonic() - _ZONES[0] < 60:
        return _ZONES[1]
    now = _dt.datetime.now(_dt.UTC)
    rows = []
    for name in _zone_names():
        try:
            local = now.astimezone(zoneinfo.ZoneInfo(name))
        except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
            continue
        rows.append((name, local.tzname(), _interval_stored(local.utcoffset().total_seconds()),
                     int(bool(local.dst()))))
    _ZONES[:] = [time.monotonic(), rows]
    return rows


def timezone_abbrev_rows(engine) -> list[tuple]:
    """timezone_abbreviations = 'Default': PostgreSQL 15's table of abbreviations."""
    return [(a, _interval_stored(secs), int(dst)) for a, secs, dst in pg15.data().TIMEZONE_ABBREVS]


ENGINE_ROWS = {"pg_settings": settings_rows, "pg_stat_activity": activity_rows,
               "pg_stat_database": database_stat_rows, "pg_stat_all_tables": table_stat_rows,
               "pg_stat_user_tables": table_stat_rows, "pg_statio_user_tables": statio_rows,
               "pg_locks": lock_rows, "pg_timezone_names": timezone_name_rows,
               "pg_timezone_abbrevs": timezone_abbrev_rows}
