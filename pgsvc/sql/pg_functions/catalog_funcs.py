"""Catalog functions clients call (psql's \\df, SQLAlchemy, GUI tools): format_type,
pg_get_function_arguments/result, pg_function_is_visible, current_schemas, the size
functions, to_reg*, array_lower/upper/dims, generate_subscripts, server facts.

Also pg_get_userbyid, pg_table_is_visible and pg_encoding_to_char (the pg_catalog views
call them). Wiring: the signatures go into functions.session_sigs.ENGINE_FUNCTIONS
(resolved before the functions catalogue; they need the session) when this module is
imported; functions without session state (array_lower, generate_subscripts,
pg_size_pretty) go to EXTRA_FUNCTIONS, consulted for names the functions catalogue lacks.
`register(conn, engine)` (from pgsvc.sql.pg_functions.register) installs the SQLite UDFs
on each backend's connection.

The size functions are pgsvc.sql.pg_functions.sizes' (registered here).
"""

from __future__ import annotations

import json
import os

from pgsvc.errors import SqlError
from pgsvc.settings import PLANNER_SETTINGS
from pgsvc.sql.catalog import identity
from pgsvc.sql.catalog.regtypes import relation_by_oid, relation_visible
from pgsvc.sql.catalog.system import procs as P
from pgsvc.sql.catalog.system.role_names import role_name_by_oid
from pgsvc.sql.catalog.system.stats import check_may_read_setting, is_local_client, transaction_flag
from pgsvc.sql.functions.context import reporting_sql_errors
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS, EXTRA_FUNCTIONS
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.pg_functions import routine_info as RI
from pgsvc.sql.pg_functions.sizes import (database_size, indexes_size, relation_size, size_bytes, size_pretty,
                                          table_size, total_relation_size)
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import pg_type
from pgsvc.sql.types.arrays import split_stored

_ENCODING_CODES = {"SQL_ASCII": 0, "EUC_JP": 1, "EUC_CN": 2, "EUC_KR": 3, "EUC_TW": 4, "EUC_JIS_2004": 5,
                   "UTF8": 6, "MULE_INTERNAL": 7, "LATIN1": 8, "LATIN2": 9, "LATIN3": 10, "LATIN4": 11,
                   "LATIN5": 12, "LATIN6": 13, "LATIN7": 14, "LATIN8": 15, "LATIN9": 16, "LATIN10": 17,
                   "WIN1256": 18, "WIN1258": 19, "WIN866": 20, "WIN874": 21, "KOI8R": 22, "WIN1251": 23,
                   "WIN1252": 24, "ISO_8859_5": 25, "ISO_8859_6": 26, "ISO_8859_7": 27, "ISO_8859_8": 28,
                   "WIN1250": 29, "WIN1253": 30, "WIN1254": 31, "WIN1255": 32, "WIN1257": 33, "KOI8U": 34,
                   "SJIS": 35, "BIG5": 36, "GBK": 37, "UHC": 38, "GB18030": 39, "JOHAB": 40,
                   "SHIFT_JIS_2004": 41}
# spellings pg_char_to_encoding also accepts (PostgreSQL's encoding name table, normalised)
_ENCODING_ALIASES = {"UNICODE": "UTF8", "UTF": "UTF8", "LATIN": "LATIN1", "ISO88591": "LATIN1",
                     "WIN": "WIN1251", "ALT": "WIN866", "KOI8": "KOI8R", "TCVN": "WIN1258", "MSKANJI": "SJIS",
                     "SHIFTJIS": "SJIS", "ABC": "WIN1258", "VSCII": "WIN1258"}


def _stored_bool(v):
    return None if v is None else int(bool(v))


# --- types and functions ----------------------------------------------------------------

def format_type(oid, typmod):
    """format_type(oid, typmod): NULL typmod prints no modifier; an unknown OID is '???'."""
    if oid is None:
        return None
    if int(oid) == 0:
        return "-"
    if pg_type.find_oid(int(oid)) is None:
        return "???"
    return pg_type.format_type(int(oid), None if typmod is None else int(typmod))


def _proc(oid):
    return P.proc_by_oid(int(oid)) if oid is not None else None


def function_arguments(oid, identity: bool = False):
    """pg_get_function_arguments / pg_get_function_identity_arguments of a pg_proc row."""
    row = _proc(oid)
    return None if row is None else P.format_arguments(row, identity)


def function_result(oid):
    row = _proc(oid)
    return None if row is None else P.format_result(row)


def function_definition(oid):
    """pg_get_functiondef(oid): NULL for an OID that is no function pgsvc has."""
    row = _proc(oid)
    if row is None:
        return None
    if row[9] == "a":
        raise SqlError("42809", f'"{row[1]}" is an aggregate function')
    return P.function_definition(row)


def operator_is_visible(oid):
    """pg_operator_is_visible: the built-in operators are all pg_catalog's."""
    if oid is None:
        return None
    return 1 if P.oper_row(int(oid)) is not None else None


def collation_is_visible(oid):
    if oid is None:
        return None
    return 1 if int(oid) in P.collation_names().values() else None


def function_is_visible(oid):
    """pg_function_is_visible: every built-in function is in pg_catalog, searched first;
    NULL for an OID that is no function (as PostgreSQL answers for a missing object)."""
    if oid is None:
        return None
    return 1 if P.proc_row(int(oid)) is not None else None


def table_is_visible(engine, oid) -> bool | None:
    """pg_table_is_visible: the relation is the one its bare name finds on the search path."""
    if oid is None:
        return None
    rel = relation_by_oid(engine, int(oid))
    return None if rel is None else relation_visible(engine, rel)


def oidvector_types(stored):
    """oidvectortypes(oidvector): the types' format_type, comma-separated."""
    if stored is None:
        return None
    oids = json.loads(stored) if str(stored).startswith("[") else str(stored).split()
    return ", ".join(format_type(int(o), None) for o in oids)


_ENCODINGS = {0: "SQL_ASCII", 6: "UTF8", 8: "LATIN1"}


def encoding_name(code) -> str | None:
    """pg_encoding_to_char."""
    if code is None:
        return None
    return _ENCODINGS.get(int(code), "")


def char_to_encoding(name):
    if name is None:
        return None
    key = "".join(ch for ch in str(name).upper() if ch.isalnum())
    for canonical, code in _ENCODING_CODES.items():
        if key == canonical.replace("_", ""):
            return code
    alias = _ENCODING_ALIASES.get(key)
    return _ENCODING_CODES[alias] if alias else -1


def current_schemas(engine, implicit):
    """current_schemas(bool): the search path's existing schemas; with true also the
    implicitly searched ones (the session's temp schema, pg_catalog) in search order."""
    if implicit is None:
        return None
    path = [s for s in engine.search_path() if s != engine.temp_schema or _explicit_temp(engine)]
    if implicit:
        if "pg_catalog" not in _raw_path(engine):
            path.insert(0, "pg_catalog")
        if engine.temp_schema in engine.catalog.schemas and engine.temp_schema not in path:
            path.insert(0, engine.temp_schema)
    else:
        path = [s for s in path if s in _raw_path(engine) or s == engine.session.user]
    return json.dumps(path)


def _raw_path(engine) -> list[str]:
    out = []
    for part in str(engine.session.settings.get("search_path")).split(","):
        p = part.strip()
        out.append(p[1:-1] if p.startswith('"') and p.endswith('"') else p.lower())
    return out


def _explicit_temp(engine) -> bool:
    return "pg_temp" in _raw_path(engine) or engine.temp_schema in _raw_path(engine)


def my_temp_schema(engine):
    return engine.catalog.schemas.get(engine.temp_schema, 0)


def is_other_temp_schema(engine, oid):
    if oid is None:
        return None
    for name, noid in engine.catalog.schemas.items():
        if noid == int(oid):
            return int(name.startswith("pg_temp_") and name != engine.temp_schema)
    return 0


def current_setting(engine, name, missing_ok=False):
    """current_setting(name[, missing_ok]): what SHOW prints, the planner knobs and the
    transaction's own settings included; NULL for an unknown name when missing_ok."""
    if name is None:
        return None
    key = str(name).lower()
    check_may_read_setting(engine, key)
    if key in PLANNER_SETTINGS:
        return engine.planner_settings.get(key, PLANNER_SETTINGS[key])
    if key == "transaction_isolation":
        return engine.isolation_in_force()
    if key in ("transaction_read_only", "transaction_deferrable"):
        return transaction_flag(engine, key)
    if key in ("role", "session_authorization"):
        return identity.show(engine, key)
    try:
        return engine.session.settings.show(str(name))
    except SqlError:
        if missing_ok:
            return None
        raise


def set_config(engine, name, value, is_local):
    """set_config(name, value, is_local): as SET (value NULL: as SET ... TO DEFAULT), or as
    SET LOCAL when is_local: inside a block the old value comes back at the block's end;
    outside one the transaction is the statement (or the multi-statement query), and the
    old value comes back before the next one runs (end_statement_locals)."""
    if name is None:
        raise SqlError("22023", "SET requires parameter name")
    settings = engine.session.settings
    key = str(name).lower()
    if key in PLANNER_SETTINGS:  # accepted and shown, as SET does (they never change a result)
        if value is None:
            engine.planner_settings.pop(key, None)
        else:
            engine.planner_settings[key] = str(value)
        return current_setting(engine, key)
    if is_local:
        in_block = engine.txn.block
        local = (engine.txn.local_snapshot if in_block else engine.statement_locals) or {}
        if key not in local:
            local[key] = (key in settings.session, settings.session.get(key))
        if in_block:
            engine.txn.local_snapshot = local
        else:
            engine.statement_locals = local
    settings.set_session(str(name), value, superuser=engine.session.is_superuser)
    return settings.show(str(name))


def end_statement_locals(engine) -> None:
    """Undo set_config(..., true) made outside a block once its implicit transaction is over."""
    local, engine.statement_locals = engine.statement_locals, None
    session = engine.session.settings.session
    for key, (had, old) in local.items():
        if had:
            session[key] = old
        else:
            session.pop(key, None)


# --- server facts ------------------------------------------------------------------------

def postmaster_start_time(engine):
    """The supervisor's start time (line 3 of postmaster.pid), as timestamptz's stored form."""
    try:
        with open(os.path.join(engine.session.datadir, "postmaster.pid")) as f:
            started = int(f.read().split("\n")[2])
    except (OSError, ValueError, IndexError):
        return None
    return (started - 946684800) * 1_000_000


def _own_slot(engine):
    return next((s for s in engine.session.activity() if s.pid == engine.session.backend_pid), None)


def client_addr(engine):
    """inet_client_addr(): the client's address; NULL over a Unix socket."""
    slot = _own_slot(engine)
    if slot is None or is_local_client(slot.client_addr):
        return None
    return slot.client_addr


def client_port(engine):
    slot = _own_slot(engine)
    if slot is None or client_addr(engine) is None:
        return None
    return slot.client_port


def server_port(engine):
    """inet_server_port(): the port the client connected to; NULL over a Unix socket."""
    if client_addr(engine) is None:
        return None
    return int(engine.session.settings.get("port"))


def tablespace_location(oid):
    """pg_tablespace_location: '' for pg_default and pg_global (in the data directory)."""
    if oid is None:
        return None
    if int(oid) in (1663, 1664):
        return ""
    raise SqlError("42704", f"tablespace with OID {int(oid)} does not exist")


# --- arrays ------------------------------------------------------------------------------

def _dims(value) -> list[int]:
    dims = []
    while isinstance(value, list):
        dims.append(len(value))
        if not value:
            return dims[:-1] if len(dims) > 1 else []
        value = value[0]
    return dims


def _array(stored):
    return json.loads(split_stored(stored)[1]) if isinstance(stored, str) else stored


def _shape(stored) -> tuple[list[int], tuple[int, ...]]:
    """A stored (or Python) array's dimensions and lower bounds."""
    if isinstance(stored, str):
        lbounds, text = split_stored(stored)
        dims = _dims(json.loads(text))
    else:
        lbounds, dims = getattr(stored, "lbounds", None), _dims(stored)
    return dims, lbounds or (1,) * len(dims)


def array_lower(stored, dim):
    if stored is None or dim is None:
        return None
    dims, lbounds = _shape(stored)
    return lbounds[dim - 1] if 1 <= dim <= len(dims) else None


def array_upper(stored, dim):
    if stored is None or dim is None:
        return None
    dims, lbounds = _shape(stored)
    return lbounds[dim - 1] + dims[dim - 1] - 1 if 1 <= dim <= len(dims) else None


def array_ndims(stored):
    if stored is None:
        return None
    return len(_dims(_array(stored))) or None


def array_dims(stored):
    if stored is None:
        return None
    dims, lbounds = _shape(stored)
    return "".join(f"[{lo}:{lo + n - 1}]" for lo, n in zip(lbounds, dims)) or None


def generate_subscripts(arr, dim, reverse=False):
    """Generator for generate_subscripts(anyarray, int[, bool]) (Python array values)."""
    if arr is None or dim is None:
        return
    dims, lbounds = _shape(arr)
    if not 1 <= dim <= len(dims):
        return
    subs = range(lbounds[dim - 1], lbounds[dim - 1] + dims[dim - 1])
    yield from (reversed(subs) if reverse else subs)


# --- wiring ------------------------------------------------------------------------------

def register(conn, engine) -> None:
    """SQLite UDFs (engine-bound) and the translator's signatures."""

    udfs = {
        "pgsvce_format_type": (2, format_type),
        "pgsvce_set_config3": (3, lambda n, v, local: set_config(engine, n, v, bool(local))),
        "pgsvce_current_setting2": (2, lambda n, missing: current_setting(engine, n, bool(missing))),
        # user routines first (pg_functions.routine_info), then the built-in rows
        "pgsvce_function_args": (1, lambda oid: RI.arguments_or(engine, oid, function_arguments)),
        "pgsvce_function_identity_args": (1, lambda oid: RI.arguments_or(engine, oid, function_arguments, True)),
        "pgsvce_function_result": (1, lambda oid: RI.result_or(engine, oid, function_result)),
        "pgsvce_function_is_visible": (1, lambda oid: RI.visible_or(engine, oid, function_is_visible)),
        "pgsvce_functiondef": (1, lambda oid: RI.functiondef_or(engine, oid, function_definition)),
        "pgsvce_function_sqlbody": (1, lambda oid: RI.sqlbody_of(engine, oid)),
        "pgsvce_function_arg_default": (2, lambda oid, n: RI.arg_default(engine, oid, n)),
        "pgsvce_operator_is_visible": (1, operator_is_visible),
        "pgsvce_collation_is_visible": (1, collation_is_visible),
        "pgsvce_char_to_encoding": (1, char_to_encoding),
        "pgsvce_oidvectortypes": (1, oidvector_types),
        "pgsvce_current_schemas": (1, lambda b: current_schemas(engine, b)),
        "pgsvce_my_temp_schema": (0, lambda: my_temp_schema(engine)),
        "pgsvce_is_other_temp_schema": (1, lambda oid: is_other_temp_schema(engine, oid)),
        "pgsvce_relation_size": (2, lambda oid, fork: relation_size(engine, oid, fork)),
        "pgsvce_table_size": (1, lambda oid: table_size(engine, oid)),
        "pgsvce_indexes_size": (1, lambda oid: indexes_size(engine, oid)),
        "pgsvce_total_relation_size": (1, lambda oid: total_relation_size(engine, oid)),
        "pgsvce_database_size": (2, lambda key, by_oid: database_size(engine, key, bool(by_oid))),
        "pgsvce_size_pretty": (2, lambda v, num: size_pretty(v, bool(num))),
        "pgsvce_size_bytes": (1, size_bytes),
        "pgsvce_postmaster_start_time": (0, lambda: postmaster_start_time(engine)),
        "pgsvce_tablespace_location": (1, tablespace_location),
        "pgsvce_client_addr": (0, lambda: client_addr(engine)),
        "pgsvce_client_port": (0, lambda: client_port(engine)),
        "pgsvce_server_port": (0, lambda: server_port(engine)),
        "pgsvce_array_lower": (2, array_lower),
        "pgsvce_array_upper": (2, array_upper),
        "pgsvce_array_ndims": (1, array_ndims),
        "pgsvce_array_dims": (1, array_dims),
    }
    for name, (nargs, fn) in udfs.items():
        conn.create_function(name, nargs, reporting_sql_errors(engine.fctx, fn))
    conn.create_function("pgsvce_userbyid", 1, lambda oid: role_name_by_oid(engine, oid))
    conn.create_function("pgsvce_table_is_visible", 1, lambda oid: _stored_bool(table_is_visible(engine, oid)))
    conn.create_function("pgsvce_encoding_to_char", 1, encoding_name, deterministic=True)


def _install_signatures() -> None:
    """The translator's signatures of these functions (once, at import)."""
    A, T, I4, I8, B, N, OID = O.ANYARRAY, O.TEXT, O.INT4, O.INT8, O.BOOL, O.NAME, O.OID
    engine_sigs = [
        ("format_type", (OID, I4), T, "pgsvce_format_type({0}, {1})", False, "s"),
        ("set_config", (T, T, B), T, "pgsvce_set_config3({0}, {1}, {2})", False, "v"),
        ("current_setting", (T,), T, "pgsvce_current_setting2({0}, 0)", True, "s"),
        ("current_setting", (T, B), T, "pgsvce_current_setting2({0}, {1})", True, "s"),
        ("pg_get_function_arguments", (OID,), T, "pgsvce_function_args({0})", True, "s"),
        ("pg_get_function_identity_arguments", (OID,), T, "pgsvce_function_identity_args({0})", True, "s"),
        ("pg_get_function_result", (OID,), T, "pgsvce_function_result({0})", True, "s"),
        ("pg_get_function_sqlbody", (OID,), T, "pgsvce_function_sqlbody({0})", True, "s"),
        ("pg_get_function_arg_default", (OID, I4), T, "pgsvce_function_arg_default({0}, {1})", True, "s"),
        ("pg_function_is_visible", (OID,), B, "pgsvce_function_is_visible({0})", True, "s"),
        ("pg_get_functiondef", (OID,), T, "pgsvce_functiondef({0})", True, "s"),
        ("pg_operator_is_visible", (OID,), B, "pgsvce_operator_is_visible({0})", True, "s"),
        ("getdatabaseencoding", (), N, "'UTF8'", True, "s"),
        ("pg_client_encoding", (), N, "pgsvce_current_setting2('client_encoding', 0)", True, "s"),
        ("pg_collation_is_visible", (OID,), B, "pgsvce_collation_is_visible({0})", True, "s"),
        ("pg_char_to_encoding", (N,), I4, "pgsvce_char_to_encoding({0})", True, "s"),
        ("current_schemas", (B,), O.ARRAY_NAME, "pgsvce_current_schemas({0})", True, "s"),
        ("pg_my_temp_schema", (), OID, "pgsvce_my_temp_schema()", True, "s"),
        ("pg_is_other_temp_schema", (OID,), B, "pgsvce_is_other_temp_schema({0})", True, "s"),
        ("pg_relation_size", (O.REGCLASS,), I8, "pgsvce_relation_size({0}, 'main')", True, "v"),
        ("pg_relation_size", (O.REGCLASS, T), I8, "pgsvce_relation_size({0}, {1})", True, "v"),
        ("pg_table_size", (O.REGCLASS,), I8, "pgsvce_table_size({0})", True, "v"),
        ("pg_indexes_size", (O.REGCLASS,), I8, "pgsvce_indexes_size({0})", True, "v"),
        ("pg_total_relation_size", (O.REGCLASS,), I8, "pgsvce_total_relation_size({0})", True, "v"),
        ("pg_database_size", (N,), I8, "pgsvce_database_size({0}, 0)", True, "v"),
        ("pg_database_size", (OID,), I8, "pgsvce_database_size({0}, 1)", True, "v"),
        ("pg_postmaster_start_time", (), O.TIMESTAMPTZ, "pgsvce_postmaster_start_time()", True, "s"),
        ("pg_conf_load_time", (), O.TIMESTAMPTZ, "pgsvce_postmaster_start_time()", True, "s"),
        ("pg_is_in_recovery", (), B, "0", True, "v"),
        ("inet_client_addr", (), O.INET, "pgsvce_client_addr()", False, "s"),
        ("inet_client_port", (), I4, "pgsvce_client_port()", False, "s"),
        ("inet_server_port", (), I4, "pgsvce_server_port()", False, "s"),
        ("pg_get_userbyid", (OID,), N, "pgsvce_userbyid({0})", True, "s"),
        ("pg_table_is_visible", (OID,), B, "pgsvce_table_is_visible({0})", True, "s"),
        ("pg_encoding_to_char", (I4,), N, "pgsvce_encoding_to_char({0})", True, "s"),
    ]
    for reg, fname in ((O.REGCLASS, "to_regclass"), (O.REGTYPE, "to_regtype"), (O.REGPROC, "to_regproc"),
                       (O.REGPROCEDURE, "to_regprocedure"), (O.REGNAMESPACE, "to_regnamespace"),
                       (O.REGROLE, "to_regrole"), (O.REGOPER, "to_regoper"), (O.REGOPERATOR, "to_regoperator")):
        engine_sigs.append((fname, (T,), reg, f"pgsvce_toreg({{0}}, {reg})", True, "s"))
    for name, args, ret, emit, strict, vol in engine_sigs:
        sigs = ENGINE_FUNCTIONS.setdefault(name, [])
        sigs[:] = [s for s in sigs if s.arg_oids != args]  # ours replace earlier, partial versions
        sigs.append(FuncSig(name, args, ret, emit, "scalar", 0, strict, vol))
    extra = [
        ("pg_size_pretty", (I8,), T, "pgsvce_size_pretty({0}, 0)"),
        ("pg_size_pretty", (O.NUMERIC,), T, "pgsvce_size_pretty({0}, 1)"),
        ("pg_size_bytes", (T,), I8, "pgsvce_size_bytes({0})"),
        ("pg_tablespace_location", (OID,), T, "pgsvce_tablespace_location({0})"),
        ("oidvectortypes", (30,), T, "pgsvce_oidvectortypes({0})"),
        ("array_lower", (A, I4), I4, "pgsvce_array_lower({0}, {1})"),
        ("array_upper", (A, I4), I4, "pgsvce_array_upper({0}, {1})"),
        ("array_ndims", (A,), I4, "pgsvce_array_ndims({0})"),
        ("array_dims", (A,), T, "pgsvce_array_dims({0})"),
    ]
    for name, args, ret, emit in extra:
        sigs = EXTRA_FUNCTIONS.setdefault(name, [])
        if not any(s.arg_oids == args for s in sigs):
            sigs.append(FuncSig(name, args, ret, emit, "scalar", 0, True, "i"))
    for args in ((A, I4), (A, I4, B)):
        sigs = EXTRA_FUNCTIONS.setdefault("generate_subscripts", [])
        if not any(s.arg_oids == args for s in sigs):
            sigs.append(FuncSig("generate_subscripts", args, I4, "", "set", 0, True, "i",
                                generator=generate_subscripts))


_install_signatures()
