"""pg_type as Python data: PgType rows, name lookup, typmods and format_type().

Name lookup accepts every spelling PostgreSQL's parser or regtype input accepts
('integer', 'int', 'int4', 'pg_catalog.int4', 'character varying', 'int4[]',
'_int4', 'timestamp with time zone', ...). Note that the bare name 'char' is the
one-byte internal type "char" (oid 18), as regtype reads it and as pglast hands it
over for a quoted "char"; SQL's CHAR(n) arrives from pglast as 'bpchar', and the
spelling 'character' maps to bpchar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pgsvc.errors import SqlError
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.types import oids as O


@dataclass(frozen=True, slots=True)
class PgType:
    oid: int
    name: str  # typname
    sql_name: str  # format_type(oid, NULL)
    typlen: int
    category: str  # typcategory
    preferred: bool  # typispreferred
    array_oid: int  # typarray
    elem_oid: int  # typelem for arrays (and int2vector/oidvector), else 0
    storage: str  # the SQLite storage class the engine declares columns with

    @property
    def is_array(self) -> bool:
        return self.category == "A"


_STORAGE = {
    O.BOOL: "INTEGER", O.INT2: "INTEGER", O.INT4: "INTEGER", O.INT8: "INTEGER",
    O.OID: "INTEGER", O.XID: "INTEGER", O.XID8: "INTEGER", O.REGPROC: "INTEGER",
    O.REGCLASS: "INTEGER", O.REGTYPE: "INTEGER", O.REGNAMESPACE: "INTEGER",
    O.REGROLE: "INTEGER", O.REGOPER: "INTEGER", O.REGOPERATOR: "INTEGER",
    O.REGPROCEDURE: "INTEGER", O.REGCONFIG: "INTEGER", O.REGDICTIONARY: "INTEGER",
    O.REGCOLLATION: "INTEGER", O.DATE: "INTEGER", O.TIME: "INTEGER",
    O.TIMESTAMP: "INTEGER", O.TIMESTAMPTZ: "INTEGER", O.MONEY: "INTEGER",
    O.FLOAT4: "REAL", O.FLOAT8: "REAL", O.BYTEA: "BLOB",
}

_ALIASES = {
    "int": "int4", "integer": "int4", "smallint": "int2", "bigint": "int8",
    "real": "float4", "float": "float8", "double precision": "float8",
    "decimal": "numeric", "dec": "numeric", "boolean": "bool",
    "character varying": "varchar", "char varying": "varchar",
    "character": "bpchar", "national character": "bpchar", "nchar": "bpchar",
    "national character varying": "varchar",
    "timestamp without time zone": "timestamp", "timestamp with time zone": "timestamptz",
    "time without time zone": "time", "time with time zone": "timetz",
    "bit varying": "varbit", "\"char\"": "char", "serial": "int4", "serial4": "int4",
    "bigserial": "int8", "serial8": "int8", "smallserial": "int2", "serial2": "int2",
}


def _build() -> tuple[dict[int, PgType], dict[str, PgType]]:
    by_oid_map: dict[int, PgType] = {}
    for oid, name, sql_name, typlen, cat, pref, arr, elem in O.TYPE_ROWS:
        storage = _STORAGE.get(oid, "TEXT")
        if cat == "A":
            storage = "TEXT"
        by_oid_map[oid] = PgType(oid, name, sql_name, typlen, cat, pref, arr, elem, storage)
    by_name_map = {t.name: t for t in by_oid_map.values()}
    return by_oid_map, by_name_map


_BY_OID, _BY_NAME = _build()

# The database's user types (domains, enums and their arrays), installed by
# pgsvc.sql.types.usertypes each time the backend loads its database's catalog. A backend
# serves one database, so one process-wide overlay is that database's pg_type. Their names
# follow the search path, which usertypes knows: it hands over how a name finds a user
# type's OID and how format_type prints one.
_USER_BY_OID: dict[int, PgType] = {}
_user_name_oid: Callable[[str], int | None] = lambda text: None
_user_display_name: Callable[[int], str] = str


def install_user_types(types: dict[int, PgType], name_oid: Callable[[str], int | None],
                       display_name: Callable[[int], str]) -> None:
    global _user_name_oid, _user_display_name
    _USER_BY_OID.clear()
    _USER_BY_OID.update(types)
    _user_name_oid, _user_display_name = name_oid, display_name


def all_types() -> list[PgType]:
    """The built-in types (casts and pg_type's static rows are built from these)."""
    return list(_BY_OID.values())


def by_oid(oid: int) -> PgType:
    found = _BY_OID.get(oid) or _USER_BY_OID.get(oid)
    if found is None:
        raise SqlError("42704", f"type with OID {oid} does not exist")
    return found


def find_oid(oid: int) -> PgType | None:
    return _BY_OID.get(oid) or _USER_BY_OID.get(oid)


def _normalise(name: str) -> str:
    text = " ".join(name.strip().split())
    low = text.lower()
    if low.startswith("pg_catalog."):
        low = low[len("pg_catalog."):]
        text = text[len("pg_catalog."):]
    if text.startswith('"') and text.endswith('"') and len(text) > 2 and text != '"char"':
        return text[1:-1]
    return low


def _strip_modifiers(name: str) -> str:
    """'varchar(10)' -> 'varchar', 'timestamp(3) with time zone' -> 'timestamp with time zone'."""
    if "(" not in name:
        return name
    head, _, rest = name.partition("(")
    _, _, tail = rest.partition(")")
    return " ".join((head + " " + tail).split())


def by_name(name: str) -> PgType:
    text = _normalise(name)
    dims = 0
    while text.endswith("]"):
        base = text[: text.rindex("[")].rstrip()
        text, dims = base, dims + 1
    if text.endswith(" array"):
        text, dims = text[: -len(" array")].rstrip(), dims + 1
    text = _strip_modifiers(text)
    found = _BY_NAME.get(_ALIASES.get(text, text))
    if found is None:
        found = find_oid(_user_name_oid(text) or 0)
    if found is None:
        raise SqlError("42704", f'type "{name.strip()}" does not exist')
    if dims and found.category != "A":
        if not found.array_oid:
            raise SqlError("42704", f'could not find array type for data type {found.sql_name}')
        found = find_oid(found.array_oid)
    return found


def is_builtin_name(name: str) -> bool:
    """Whether a bare type name is a built-in type's (pg_catalog is searched first)."""
    return _ALIASES.get(name, name) in _BY_NAME


def array_of(oid: int) -> int:
    """The array type of an element type (0 if none)."""
    t = find_oid(oid)
    return t.array_oid if t is not None else 0


def element_of(oid: int) -> int:
    """The element type of an array type (0 if not an array)."""
    t = find_oid(oid)
    return t.elem_oid if t is not None and t.category == "A" else 0


# --- typmods -----------------------------------------------------------------------

INTERVAL_FULL_RANGE = 0x7FFF
INTERVAL_FULL_PRECISION = 0xFFFF
_MONTH, _YEAR, _DAY, _HOUR, _MINUTE, _SECOND = 1, 2, 3, 10, 11, 12
_INTERVAL_RANGES = {
    1 << _YEAR: "year", 1 << _MONTH: "month", 1 << _DAY: "day", 1 << _HOUR: "hour",
    1 << _MINUTE: "minute", 1 << _SECOND: "second",
    (1 << _YEAR) | (1 << _MONTH): "year to month",
    (1 << _DAY) | (1 << _HOUR): "day to hour",
    (1 << _DAY) | (1 << _HOUR) | (1 << _MINUTE): "day to minute",
    (1 << _DAY) | (1 << _HOUR) | (1 << _MINUTE) | (1 << _SECOND): "day to second",
    (1 << _HOUR) | (1 << _MINUTE): "hour to minute",
    (1 << _HOUR) | (1 << _MINUTE) | (1 << _SECOND): "hour to second",
    (1 << _MINUTE) | (1 << _SECOND): "minute to second",
    INTERVAL_FULL_RANGE: "",
}


def _invalid_typmod() -> SqlError:
    return SqlError("22023", "invalid type modifier")


def typmod_from_modifiers(type_name_or_oid: str | int, modifiers: list[int]) -> int:
    """Encode type modifiers as PostgreSQL's typmodin functions do."""
    t = by_oid(type_name_or_oid) if isinstance(type_name_or_oid, int) else by_name(type_name_or_oid)
    if t.category == "A":
        t = by_oid(t.elem_oid)
    if not modifiers:
        return -1
    mods = [int(m) for m in modifiers]
    if t.oid in (O.VARCHAR, O.BPCHAR):
        return _char_typmod("varchar" if t.oid == O.VARCHAR else "char", mods)
    if t.oid in (O.BIT, O.VARBIT):  # bit_typmodin / varbit_typmodin: up to VARBITMAXLEN
        return _char_typmod("bit" if t.oid == O.BIT else "varbit", mods, 83886080) - 4
    if t.oid == O.NUMERIC:
        return _numeric_typmod(mods)
    if t.oid in (O.TIMESTAMP, O.TIMESTAMPTZ, O.TIME, O.TIMETZ):
        return _time_typmod(t, mods)
    if t.oid == O.INTERVAL:
        return _interval_typmod(mods)
    raise SqlError("42601", f'type modifier is not allowed for type "{t.name}"')


def _char_typmod(label: str, mods: list[int], limit: int = 10485760) -> int:
    if len(mods) != 1:
        raise _invalid_typmod()
    n = mods[0]
    if n < 1:
        raise SqlError("22023", f"length for type {label} must be at least 1")
    if n > limit:
        raise SqlError("22023", f"length for type {label} cannot exceed {limit}")
    return n + 4


def _numeric_typmod(mods: list[int]) -> int:
    if len(mods) > 2:
        raise _invalid_typmod()
    precision = mods[0]
    scale = mods[1] if len(mods) == 2 else 0
    if not 1 <= precision <= 1000:
        raise SqlError("22023", f"NUMERIC precision {precision} must be between 1 and 1000")
    if not -1000 <= scale <= 1000:
        raise SqlError("22023", f"NUMERIC scale {scale} must be between -1000 and 1000")
    return ((precision << 16) | (scale & 0x7FF)) + 4


def numeric_typmod_parts(typmod: int) -> tuple[int, int]:
    """(precision, scale) of a numeric typmod >= 4."""
    raw = typmod - 4
    scale = raw & 0x7FF
    if scale & 0x400:
        scale -= 0x800
    return (raw >> 16) & 0xFFFF, scale


def _time_typmod(t: PgType, mods: list[int]) -> int:
    if len(mods) != 1:
        raise _invalid_typmod()
    p = mods[0]
    label = "TIMESTAMP" if t.oid in (O.TIMESTAMP, O.TIMESTAMPTZ) else "TIME"
    suffix = " WITH TIME ZONE" if t.oid in (O.TIMESTAMPTZ, O.TIMETZ) else ""
    if p < 0:
        raise SqlError("22023", f"{label}({p}){suffix} precision must not be negative")
    return min(p, 6)


def _interval_typmod(mods: list[int]) -> int:
    if len(mods) not in (1, 2):
        raise SqlError("22023", "invalid INTERVAL type modifier")
    fields = mods[0]
    if fields not in _INTERVAL_RANGES:
        raise SqlError("22023", "invalid INTERVAL type modifier")
    precision = INTERVAL_FULL_PRECISION
    if len(mods) == 2:
        precision = mods[1]
        if precision < 0:
            raise SqlError("22023", f"INTERVAL({precision}) precision must not be negative")
        precision = min(precision, 6)
    return ((fields & 0x7FFF) << 16) | (precision & 0xFFFF)


def interval_typmod_parts(typmod: int) -> tuple[int, int]:
    """(range mask, precision) of an interval typmod; precision 0xFFFF means unspecified."""
    if typmod < 0:
        return INTERVAL_FULL_RANGE, INTERVAL_FULL_PRECISION
    return (typmod >> 16) & 0x7FFF, typmod & 0xFFFF


def format_type(oid: int, typmod: int | None = -1) -> str:
    """PostgreSQL's format_type(oid, typmod); typmod None is format_type(oid, NULL)."""
    t = _BY_OID.get(oid)
    if t is None:
        t = _USER_BY_OID.get(oid)
        if t is None:
            return "???"
        if t.category != "A":
            return _user_display_name(oid)
    if t.category == "A" and t.elem_oid and t.typlen == -1:
        return format_type(t.elem_oid, typmod) + "[]"
    if typmod is None:
        return _quoted(t)
    return _format_with_typmod(t, typmod)


# format_type prints these in SQL's own words; every other type name through
# quote_identifier (which quotes them all under quote_all_identifiers)
_SQL_WORDS = frozenset((O.BOOL, O.BPCHAR, O.VARCHAR, O.NUMERIC, O.BIT, O.VARBIT, O.FLOAT4, O.FLOAT8, O.INT2, O.INT4,
                        O.INT8, O.INTERVAL, O.TIME, O.TIMETZ, O.TIMESTAMP, O.TIMESTAMPTZ, O.CHAR))


def _quoted(t: PgType) -> str:
    if t.oid in _SQL_WORDS or t.sql_name.startswith('"'):
        return t.sql_name
    return quote_ident(t.sql_name)


def _format_with_typmod(t: PgType, typmod: int) -> str:
    oid = t.oid
    if oid == O.BPCHAR:
        return f"character({typmod - 4})" if typmod >= 4 else "bpchar"
    if oid == O.VARCHAR:
        return f"character varying({typmod - 4})" if typmod >= 4 else "character varying"
    if oid == O.NUMERIC and typmod >= 4:
        p, s = numeric_typmod_parts(typmod)
        return f"numeric({p},{s})"
    if oid in (O.BIT, O.VARBIT) and typmod >= 0:
        return f"{t.sql_name}({typmod})"
    if oid in (O.TIMESTAMP, O.TIMESTAMPTZ, O.TIME, O.TIMETZ) and typmod >= 0:
        base, _, zone = t.sql_name.partition(" ")
        return f"{base}({typmod}) {zone}"
    if oid == O.INTERVAL and typmod >= 0:
        fields, precision = interval_typmod_parts(typmod)
        text = "interval"
        if _INTERVAL_RANGES.get(fields):
            text += " " + _INTERVAL_RANGES[fields]
        if precision != INTERVAL_FULL_PRECISION:
            text += f"({precision})"
        return text
    return _quoted(t)


def type_delimiter(oid: int) -> str:
    """pg_type.typdelim: ';' for box (whose text holds commas) and box[], ',' otherwise.
    array_in/array_out separate elements by the element type's delimiter."""
    return ";" if oid in (O.BOX, O.ARRAY_BOX) else ","
