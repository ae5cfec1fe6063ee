"""Run-time settings (PostgreSQL's GUCs): definitions, parsing and the session overlay.

One table of definitions serves the config file (pgsvc.conf), `-c name=value`,
SET/SHOW/RESET, ParameterStatus reporting and pg_settings. Each setting has a
context as in PostgreSQL: `postmaster` (restart needed), `sighup` (reload), and
`user` (SET in a session).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from pgsvc import PG_COMPAT_VERSION, PG_COMPAT_VERSION_NUM
from pgsvc.errors import INVALID_PARAMETER_VALUE, UNDEFINED_OBJECT, CANT_CHANGE_RUNTIME_PARAM, SqlError
from pgsvc.client_encodings import check_client_encoding
from pgsvc.timezones import check_timezone

POSTMASTER = "postmaster"
SIGHUP = "sighup"
SUPERUSER = "superuser"
USER = "user"
INTERNAL = "internal"

_UNITS_MS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_UNITS_S = {"ms": 0.001, "s": 1, "min": 60, "h": 3600, "d": 86400}
_UNITS_KB = {"B": 1 / 1024, "kB": 1, "MB": 1024, "GB": 1024 * 1024, "TB": 1024 ** 3}


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    kind: str  # bool | int | real | string | enum
    context: str
    unit: str | None = None  # ms | s | kB (for int settings)
    reported: bool = False  # sent as ParameterStatus at start-up and on change
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    category: str = "Customized Options"
    description: str = ""
    normalize: Callable[[str], str] | None = field(default=None, compare=False)
    keep_blanks: bool = False  # normalize sees the value as given (no stripping)


def _datestyle(value: str) -> str:
    """Normalise DateStyle as PostgreSQL does: 'ISO, MDY' form, merging partial settings."""
    out_style, order = "ISO", "MDY"
    for part in re.split(r"[,\s]+", value.strip()):
        p = part.lower()
        if not p:
            continue
        if p in ("iso", "sql", "postgres", "german"):
            out_style = {"iso": "ISO", "sql": "SQL", "postgres": "Postgres", "german": "German"}[p]
            if p == "german":
                order = "DMY"
        elif p in ("mdy", "us", "noneuropean", "noneuro"):
            order = "MDY"
        elif p in ("dmy", "euro", "european"):
            order = "DMY"
        elif p == "ymd":
            order = "YMD"
        elif p == "default":
            out_style, order = "ISO", "MDY"
        else:
            raise SqlError(INVALID_PARAMETER_VALUE, f'invalid value for parameter "DateStyle": "{value}"',
                           detail=f'Unrecognized key word: "{part}".')
    return f"{out_style}, {order}"


def clean_ascii(value: str) -> str:
    """pg_clean_ascii, application_name's check hook: every byte that is not printable
    ASCII becomes '?' ('été' is '??t??' in UTF8)."""
    if value.isascii() and value.isprintable():
        return value
    return "".join(chr(b) if 32 <= b <= 126 else "?" for b in value.encode("utf-8"))


def _table_access_method(value: str) -> str:
    """heap is the one table access method (pg_am): another name is refused as PostgreSQL's
    check hook refuses an access method that does not exist."""
    if value != "heap":
        raise SqlError(INVALID_PARAMETER_VALUE,
                       f'invalid value for parameter "default_table_access_method": "{value}"',
                       detail=f'Table access method "{value}" does not exist.')
    return value


_DEFS = [
    # connections (postmaster)
    Setting("listen_addresses", "localhost", "string", POSTMASTER, category="Connections and Authentication"),
    Setting("port", 5432, "int", POSTMASTER, minimum=1, maximum=65535),
    Setting("max_connections", 100, "int", POSTMASTER, minimum=1, maximum=10000),
    Setting("superuser_reserved_connections", 3, "int", POSTMASTER, minimum=0, maximum=1000),
    # logical replication (pgsvc.replication): the change log makes every database logical-capable
    Setting("wal_level", "logical", "enum", POSTMASTER, enum=("minimal", "replica", "logical")),
    Setting("max_replication_slots", 10, "int", POSTMASTER, minimum=0, maximum=262143),
    Setting("max_wal_senders", 10, "int", POSTMASTER, minimum=0, maximum=262143),
    Setting("wal_sender_timeout", 60000, "int", USER, unit="ms", minimum=0, maximum=2147483647),
    # the shared lock table of advisory locks holds this many per backend slot (pgsvc.supervisor.lock_table)
    Setting("max_locks_per_transaction", 64, "int", POSTMASTER, minimum=10, maximum=2147483647),
    # two-phase commit is off, as in a PostgreSQL left at its default: no other value can be
    # set (SQLite cannot hold a prepared transaction; pgsvc.sql.commands.transactions)
    Setting("max_prepared_transactions", 0, "int", POSTMASTER, minimum=0, maximum=0),
    # PostgreSQL 17's name and meaning (8 kB pages of LISTEN/NOTIFY queue); 32 MB here, not
    # 8 GB: the queue is one shared-memory ring (pgsvc.supervisor.notify_queue)
    Setting("max_notify_queue_pages", 4096, "int", POSTMASTER, minimum=64, maximum=1048576,
            category="Resource Usage / Disk",
            description="Sets the maximum number of allocated pages for NOTIFY / LISTEN queue."),
    Setting("unix_socket_directories", "/tmp", "string", POSTMASTER),
    Setting("unix_socket_group", "", "string", POSTMASTER),
    Setting("unix_socket_permissions", 0o777, "int", POSTMASTER, minimum=0, maximum=0o777),
    Setting("user", "", "string", POSTMASTER, description="Operating-system account the server drops to when started as root."),
    Setting("authentication_timeout", 60, "int", SIGHUP, unit="s", minimum=1, maximum=600),
    Setting("password_encryption", "scram-sha-256", "enum", USER, enum=("md5", "scram-sha-256")),
    Setting("ssl", False, "bool", SIGHUP),
    Setting("ssl_cert_file", "server.crt", "string", SIGHUP),
    Setting("ssl_key_file", "server.key", "string", SIGHUP),
    Setting("hba_file", "", "string", POSTMASTER),
    # logging
    Setting("log_destination", "stderr", "string", SIGHUP),
    Setting("log_min_messages", "warning", "enum", SUPERUSER,
            enum=("debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log", "fatal", "panic")),
    Setting("log_connections", False, "bool", SIGHUP),
    Setting("log_disconnections", False, "bool", SIGHUP),
    Setting("log_statement", "none", "enum", SUPERUSER, enum=("none", "ddl", "mod", "all")),
    Setting("log_min_duration_statement", -1, "int", SUPERUSER, unit="ms", minimum=-1),
    Setting("log_line_prefix", "%m [%p] ", "string", SIGHUP),
    # storage / durability
    Setting("fsync", True, "bool", SIGHUP),
    Setting("synchronous_commit", "on", "enum", USER, enum=("local", "remote_write", "remote_apply", "on", "off")),
    # which triggers fire (pgsvc.sql.exec.triggers): replica fires ENABLE REPLICA / ALWAYS ones
    Setting("session_replication_role", "origin", "enum", SUPERUSER, enum=("origin", "replica", "local"),
            category="Client Connection Defaults / Statement Behavior",
            description="Sets the session's behavior for triggers and rewrite rules."),
    Setting("checkpoint_timeout", 300, "int", SIGHUP, unit="s", minimum=30, maximum=86400),
    # session (reported ones are sent as ParameterStatus)
    Setting("server_version", PG_COMPAT_VERSION, "string", INTERNAL, reported=True),
    Setting("server_version_num", PG_COMPAT_VERSION_NUM, "int", INTERNAL),
    Setting("server_encoding", "UTF8", "string", INTERNAL, reported=True),
    Setting("client_encoding", "UTF8", "string", USER, reported=True, normalize=check_client_encoding),
    Setting("DateStyle", "ISO, MDY", "string", USER, reported=True, normalize=_datestyle),
    Setting("IntervalStyle", "postgres", "enum", USER, reported=True,
            enum=("postgres", "postgres_verbose", "sql_standard", "iso_8601")),
    Setting("TimeZone", "UTC", "string", USER, reported=True, normalize=check_timezone),
    Setting("integer_datetimes", True, "bool", INTERNAL, reported=True),
    # off: '...' reads backslash escapes (pgsvc.sql.nonstandard_strings), with a warning per
    # literal while escape_string_warning is on
    Setting("standard_conforming_strings", True, "bool", USER, reported=True),
    Setting("escape_string_warning", True, "bool", USER),
    Setting("application_name", "", "string", USER, reported=True, normalize=clean_ascii, keep_blanks=True),
    Setting("is_superuser", False, "bool", INTERNAL, reported=True),
    Setting("session_authorization", "", "string", INTERNAL, reported=True),
    Setting("in_hot_standby", False, "bool", INTERNAL, reported=True),
    Setting("default_transaction_read_only", False, "bool", USER, reported=True),
    Setting("search_path", '"$user", public', "string", USER),
    # CREATE FUNCTION checks a body only when on (dumps turn it off: pgsvc.sql.commands.ddl.routines)
    Setting("check_function_bodies", True, "bool", USER),
    # LANGUAGE plpgsql's own settings (pgsvc.sql.exec.plpgsql)
    Setting("plpgsql.check_asserts", True, "bool", USER, description="Perform checks given in ASSERT statements."),
    Setting("plpgsql.extra_errors", "none", "string", USER,
            description="List of programming constructs that should produce an error."),
    Setting("plpgsql.extra_warnings", "none", "string", USER,
            description="List of programming constructs that should produce a warning."),
    Setting("plpgsql.print_strict_params", False, "bool", USER,
            description="Print information about parameters in the DETAIL part of the error messages "
                        "generated on INTO ... STRICT failures."),
    Setting("plpgsql.variable_conflict", "error", "enum", USER, enum=("error", "use_variable", "use_column"),
            description="Sets handling of conflicts between PL/pgSQL variable names and table column names."),
    Setting("statement_timeout", 0, "int", USER, unit="ms", minimum=0),
    Setting("lock_timeout", 0, "int", USER, unit="ms", minimum=0),
    Setting("deadlock_timeout", 1000, "int", SUPERUSER, unit="ms", minimum=1, maximum=2147483647),
    Setting("idle_in_transaction_session_timeout", 0, "int", USER, unit="ms", minimum=0),
    Setting("idle_session_timeout", 0, "int", USER, unit="ms", minimum=0),
    Setting("extra_float_digits", 1, "int", USER, minimum=-15, maximum=3),
    Setting("default_transaction_deferrable", False, "bool", USER),
    Setting("transaction_deferrable", False, "bool", USER),
    Setting("transaction_read_only", False, "bool", USER),
    Setting("default_transaction_isolation", "read committed", "enum", USER,
            enum=("serializable", "repeatable read", "read committed", "read uncommitted")),
    Setting("transaction_isolation", "read committed", "enum", USER,
            enum=("serializable", "repeatable read", "read committed", "read uncommitted")),
    Setting("client_min_messages", "notice", "enum", USER,
            enum=("debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error")),
    Setting("lc_messages", "C", "string", SUPERUSER),
    Setting("lc_monetary", "C", "string", USER),
    Setting("lc_numeric", "C", "string", USER),
    Setting("lc_time", "C", "string", USER),
    Setting("bytea_output", "hex", "enum", USER, enum=("hex", "escape")),
    Setting("row_security", True, "bool", USER),
    # pg_dump's session turns synchronised scans off; SQLite's scans never synchronise
    Setting("synchronize_seqscans", True, "bool", USER),
    # names pgsvc prints are quoted only where needed; pg_dump --quote-all-identifiers sets it
    Setting("quote_all_identifiers", False, "bool", USER),
    # dump scripts set these; pgsvc has one tablespace and no XML type
    Setting("xmloption", "content", "enum", USER, enum=("content", "document")),
    Setting("default_tablespace", "", "string", USER),
    # heap is the one table access method (pg_am); SQLAlchemy's reflection reads it
    Setting("default_table_access_method", "heap", "string", USER, normalize=_table_access_method),
    # asyncpg turns JIT off around its type introspection (current_setting('jit') and
    # set_config); pgsvc compiles no plans, so the setting only records the choice
    Setting("jit", True, "bool", USER),
    Setting("max_identifier_length", 63, "int", INTERNAL),
    Setting("block_size", 8192, "int", INTERNAL),
    Setting("data_directory", "", "string", POSTMASTER),
]

DEFINITIONS: dict[str, Setting] = {s.name.lower(): s for s in _DEFS}
REPORTED = tuple(s.name for s in _DEFS if s.reported)

# PostgreSQL planner/executor knobs: accepted and shown (SQLite has its own planner; these
# never change a result, only PostgreSQL's choice of plan).
PLANNER_SETTINGS = {
    **{f"enable_{n}": "on" for n in (
        "seqscan", "indexscan", "indexonlyscan", "bitmapscan", "tidscan", "sort", "incremental_sort",
        "hashagg", "material", "memoize", "nestloop", "mergejoin", "hashjoin", "gathermerge",
        "parallel_append", "parallel_hash", "async_append", "presorted_aggregate")},
    "enable_partitionwise_join": "off", "enable_partitionwise_aggregate": "off",
    "enable_partition_pruning": "on", "geqo": "on", "work_mem": "4MB",
    "maintenance_work_mem": "64MB", "random_page_cost": "4", "seq_page_cost": "1",
    "cpu_tuple_cost": "0.01", "cpu_operator_cost": "0.0025", "parallel_setup_cost": "1000",
    "parallel_tuple_cost": "0.1", "min_parallel_table_scan_size": "8MB",
    "min_parallel_index_scan_size": "512kB", "max_parallel_workers_per_gather": "2",
    "from_collapse_limit": "8", "join_collapse_limit": "8", "plan_cache_mode": "auto",
    "effective_cache_size": "4GB", "constraint_exclusion": "partition", "cursor_tuple_fraction": "0.1",
    "force_parallel_mode": "off", "debug_parallel_query": "off", "jit_above_cost": "100000",
    "jit_inline_above_cost": "500000", "jit_optimize_above_cost": "500000",
    "parallel_leader_participation": "on", "geqo_threshold": "12",
    "default_statistics_target": "100", "enable_group_by_reordering": "on",
}


def lookup(name: str) -> Setting:
    try:
        return DEFINITIONS[name.lower()]
    except KeyError:
        raise SqlError(UNDEFINED_OBJECT, f'unrecognized configuration parameter "{name}"') from None


def parse_value(setting: Setting, raw: Any) -> Any:
    """Parse a value given as text (config file, SET, -c) into the setting's type."""
    if not isinstance(raw, str):
        return raw
    if setting.kind == "string" and setting.normalize is None:
        return raw  # blanks inside quotes are part of the value (log_line_prefix = '%m [%p] ')
    if setting.keep_blanks:
        return setting.normalize(raw)
    text = raw.strip()
    if setting.kind == "bool":
        return parse_bool(setting.name, text)
    if setting.kind == "int":
        return _parse_int(setting, text)
    if setting.kind == "real":
        try:
            return float(text)
        except ValueError:
            raise _invalid(setting, raw) from None
    if setting.kind == "enum":
        low = text.lower()
        if low not in setting.enum:
            raise SqlError(INVALID_PARAMETER_VALUE,
                           f'invalid value for parameter "{setting.name}": "{raw}"',
                           hint="Available values: " + ", ".join(setting.enum) + ".")
        return low
    if setting.normalize is not None:
        return setting.normalize(text)
    return text


def parse_bool(name: str, text: str) -> bool:
    low = text.lower()
    if low in ("on", "true", "yes", "1", "t", "y") or (len(low) > 1 and "true".startswith(low)):
        return True
    if low in ("off", "false", "no", "0", "f", "n") or (len(low) > 1 and "false".startswith(low)):
        return False
    raise SqlError(INVALID_PARAMETER_VALUE, f'parameter "{name}" requires a Boolean value')


def _parse_int(setting: Setting, text: str) -> int:
    m = re.fullmatch(r"([-+]?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?))\s*([a-zA-Z]*)", text)
    if not m:
        raise _invalid(setting, text)
    num_text, unit = m.groups()
    number = int(num_text, 16) if num_text.lower().startswith(("0x", "-0x", "+0x")) else float(num_text)
    if num_text.startswith("0") and len(num_text) > 1 and num_text.isdigit():
        number = int(num_text, 8)  # postgresql.conf reads 0777 as octal
    if unit:
        table = {"ms": _UNITS_MS, "s": _UNITS_S, "kB": _UNITS_KB}.get(setting.unit or "")
        if table is None or unit not in table:
            raise SqlError(INVALID_PARAMETER_VALUE, f'invalid value for parameter "{setting.name}": "{text}"',
                           hint=_unit_hint(setting))
        number = number * table[unit]
    value = int(round(number))
    if (setting.minimum is not None and value < setting.minimum) or (
            setting.maximum is not None and value > setting.maximum):
        raise SqlError(INVALID_PARAMETER_VALUE,
                       f"{value} is outside the valid range for parameter \"{setting.name}\" "
                       f"({int(setting.minimum)} .. {int(setting.maximum if setting.maximum is not None else 2147483647)})")
    return value


def _unit_hint(setting: Setting) -> str:
    if setting.unit == "ms":
        return 'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".'
    if setting.unit == "s":
        return 'Valid units for this parameter are "ms", "s", "min", "h", and "d".'
    return 'Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".'


def _invalid(setting: Setting, raw: str) -> SqlError:
    return SqlError(INVALID_PARAMETER_VALUE, f'invalid value for parameter "{setting.name}": "{raw}"')


def format_value(setting: Setting, value: Any) -> str:
    """Text form as SHOW prints it."""
    if setting.kind == "bool":
        return "on" if value else "off"
    if setting.kind == "int" and setting.unit and value not in (0, -1):
        return _format_with_unit(setting.unit, value)
    if setting.name == "unix_socket_permissions":
        return "%04o" % value
    return str(value)


def _format_with_unit(unit: str, value: int) -> str:
    if unit == "ms":
        for name, factor in (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000)):
            if value % factor == 0:
                return f"{value // factor}{name}"
        return f"{value}ms"
    if unit == "s":
        for name, factor in (("d", 86400), ("h", 3600), ("min", 60)):
            if value % factor == 0:
                return f"{value // factor}{name}"
        return f"{value}s"
    return f"{value}{unit}"


def check_settable(name: str, superuser: bool) -> Setting:
    """The definition of a setting SET may change, or PostgreSQL's error for it."""
    setting = lookup(name)
    if setting.context in (POSTMASTER, SIGHUP, INTERNAL):
        if setting.context == POSTMASTER:
            msg = f'parameter "{setting.name}" cannot be changed without restarting the server'
        elif setting.context == SIGHUP:
            msg = f'parameter "{setting.name}" cannot be changed now'
        else:
            msg = f'parameter "{setting.name}" cannot be changed'
        raise SqlError(CANT_CHANGE_RUNTIME_PARAM, msg)
    if setting.context == SUPERUSER and not superuser:
        raise SqlError("42501", f'permission denied to set parameter "{setting.name}"')
    return setting


class Settings:
    """The values in force: defaults < config file < command line < the session's start
    (ALTER DATABASE/ROLE ... SET, the client's start-up options) < session SET.

    `base` holds server-level values (defaults, file, -c); `defaults` what the session
    started with (PostgreSQL's reset_val, with its pg_settings source in
    `default_sources`); `session` overlays what a session SET. RESET removes the overlay,
    so the session's start values come back. `changed_reported()` drains the names of
    reported settings changed since the last call (for ParameterStatus). `version` counts
    the changes: a session's caches of what settings decide (its format context, its
    client encoding's conversion) are checked against it, not rebuilt per message.
    """

    def __init__(self, base: dict[str, Any] | None = None) -> None:
        self.version = 0
        self.base: dict[str, Any] = {k: s.default for k, s in DEFINITIONS.items()}
        self.custom: dict[str, str] = {}  # placeholder variables like "myapp.x"
        if base:
            for name, value in base.items():
                self.set_base(name, value)
        self.session: dict[str, Any] = {}
        self.defaults: dict[str, Any] = {}
        self.default_sources: dict[str, str] = {}
        self._dirty_reported: set[str] = set()

    def copy_base(self) -> Settings:
        clone = Settings()
        clone.base = dict(self.base)
        clone.custom = dict(self.custom)
        return clone

    def set_base(self, name: str, value: Any) -> None:
        self.version += 1
        if "." in name:
            self.custom[name.lower()] = str(value)
            return
        setting = lookup(name)
        self.base[setting.name.lower()] = parse_value(setting, value)

    def get(self, name: str) -> Any:
        key = name.lower()
        if key in self.session:
            return self.session[key]
        if key in self.defaults:
            return self.defaults[key]
        if key in self.base:
            return self.base[key]
        if key in self.custom:
            return self.custom[key]
        raise SqlError(UNDEFINED_OBJECT, f'unrecognized configuration parameter "{name}"')

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def show(self, name: str) -> str:
        key = name.lower()
        if "." in key and key not in DEFINITIONS:
            if key in self.session:
                return str(self.session[key])
            if key in self.defaults:
                return str(self.defaults[key])
            if key in self.custom:
                return self.custom[key]
            raise SqlError(UNDEFINED_OBJECT, f'unrecognized configuration parameter "{name}"')
        setting = lookup(name)
        return format_value(setting, self.get(name))

    def set_session(self, name: str, value: Any, *, superuser: bool = True) -> None:
        """SET name = value (value None means DEFAULT)."""
        self.version += 1
        key = name.lower()
        if "." in key and key not in DEFINITIONS:
            if value is None:
                self.session.pop(key, None)
            else:
                self.session[key] = str(value)
            return
        setting = check_settable(name, superuser)
        if value is None:
            self.session.pop(key, None)
        else:
            self.session[key] = parse_value(setting, value)
        if setting.reported:
            self._dirty_reported.add(setting.name)

    def set_default(self, name: str, value: Any, source: str) -> None:
        """A value the session starts with (and RESET returns to): from ALTER DATABASE/ROLE
        ... SET or the client's start-up packet; `source` is pg_settings' source for it.
        Checked as SET checks it: a setting SET cannot change cannot be a start value."""
        self.version += 1
        key = name.lower()
        if "." in key and key not in DEFINITIONS:
            self.defaults[key] = str(value)
        else:
            setting = check_settable(name, True)
            self.defaults[key] = parse_value(setting, value)
            if setting.reported:
                self._dirty_reported.add(setting.name)
        self.default_sources[key] = source

    def set_internal(self, name: str, value: Any) -> None:
        """Set an internal/reported value for this session (e.g. is_superuser at start-up)."""
        self.version += 1
        setting = lookup(name)
        self.session[setting.name.lower()] = value
        if setting.reported:
            self._dirty_reported.add(setting.name)

    def reset_session(self, name: str | None = None) -> None:
        self.version += 1
        if name is None or name.lower() == "all":
            for key in list(self.session):
                setting = DEFINITIONS.get(key)
                if setting is None or setting.context in (USER, SUPERUSER):
                    del self.session[key]
                    if setting is not None and setting.reported:
                        self._dirty_reported.add(setting.name)
            return
        self.set_session(name, None)

    def reload_base(self, new_base: dict[str, Any]) -> None:
        """Adopt reloaded server-level values (SIGHUP); session overrides stay."""
        self.version += 1
        for key, value in new_base.items():
            setting = DEFINITIONS.get(key.lower())
            if setting is None or setting.context == POSTMASTER:
                continue
            if self.base.get(key.lower()) != value:
                self.base[key.lower()] = value
                if setting.reported and key.lower() not in self.session and key.lower() not in self.defaults:
                    self._dirty_reported.add(setting.name)

    def restore_session(self, key: str, present: bool, value: Any = None) -> None:
        """Put a session value back as it was (a rolled-back SET, the end of SET LOCAL)."""
        self.version += 1
        if present:
            self.session[key] = value
        else:
            self.session.pop(key, None)
        d = DEFINITIONS.get(key)
        if d is not None and d.reported:
            self._dirty_reported.add(d.name)

    def reported_values(self) -> dict[str, str]:
        return {name: self.show(name) for name in REPORTED}

    def changed_reported(self) -> dict[str, str]:
        if not self._dirty_reported:
            return {}
        names, self._dirty_reported = self._dirty_reported, set()
        return {name: self.show(name) for name in sorted(names)}
