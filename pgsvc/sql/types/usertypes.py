"""User-defined types of the backend's database: domains (typtype 'd') and enums
(typtype 'e'), each with its array type, as PostgreSQL's pg_type has them.

The rows live in the database's hidden catalog (pgsvc.sql.catalog.database: "pgsvc$type",
"pgsvc$enum", "pgsvc$domain_constraint"); every catalog load calls `install`, which
replaces this process's overlay (a backend serves one database) and hands the PgType
rows to pgsvc.sql.types.pg_type, so find_oid / by_name / format_type see them.

How values of these types work:
  domain  values are the base type's values, stored as the base type stores them;
          columns are declared with the base type (RowDescription sends the base OID,
          as PostgreSQL does); the domain's NOT NULL and CHECKs are checked where a
          value becomes the domain (column CHECKs in SQLite, `::dom` casts).
  enum    the Python value is the label (str); the stored form is the label's
          enumsortorder (REAL), so SQLite's own ordering, min/max and indexes follow
          the enum's declared order; text and binary I/O are the label, as enum_out /
          enum_send give it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pgsvc.cluster.builtin_oids import BOOTSTRAP_SUPERUSER_OID
from pgsvc.errors import SqlError
from pgsvc.sql.quoting import quote_ident, quote_qualified
from pgsvc.sql.types.pg_type import PgType, find_oid, install_user_types, is_builtin_name
from pgsvc.sql.types.ranges import install_user_ranges


@dataclass
class DomainCheck:
    oid: int
    name: str
    expr: str  # PostgreSQL source text using VALUE


@dataclass
class EnumLabel:
    oid: int
    sortorder: float
    label: str


@dataclass
class UserType:
    oid: int
    nspoid: int
    schema: str
    name: str
    typtype: str  # 'd' domain, 'e' enum, 'c' composite
    array_oid: int
    basetype: int = 0
    typmod: int = -1
    notnull: bool = False
    default: str | None = None  # PostgreSQL source text (domains)
    checks: list[DomainCheck] = field(default_factory=list)
    labels: list[EnumLabel] = field(default_factory=list)  # in enumsortorder
    owner: int = BOOTSTRAP_SUPERUSER_OID  # pg_type.typowner (pgsvc$acl; no row: the bootstrap superuser)
    relid: int = 0  # composites: typrelid (their pg_class row, relkind 'c'; a table's for its row type)
    of_table: bool = False  # a table's (or view's) row type (install_row_types)
    fields: list[tuple[str, int, int]] = field(default_factory=list)  # composites: (name, type, typmod)

    def stored_of(self, label: str) -> float | None:
        for e in self.labels:
            if e.label == label:
                return e.sortorder
        return None


_TYPES: dict[int, UserType] = {}
_ARRAYS: dict[int, int] = {}  # array oid -> element user type oid
_LABELS: dict[int, dict[float, str]] = {}  # enum oid -> sortorder -> label
_ORDERS: dict[int, dict[str, float]] = {}  # enum oid -> label -> sortorder
_search_path: Callable[[], list[str]] = lambda: ["public"]


def install(types: list[UserType], search_path: Callable[[], list[str]] | None = None) -> None:
    """Make `types` this process's user types (called on every catalog load)."""
    global _search_path
    _TYPES.clear()
    _ARRAYS.clear()
    _LABELS.clear()
    _ORDERS.clear()
    rows: dict = {}
    for ut in types:
        _TYPES[ut.oid] = ut
        _ARRAYS[ut.array_oid] = ut.oid
        if ut.typtype == "e":
            _LABELS[ut.oid] = {e.sortorder: e.label for e in ut.labels}
            _ORDERS[ut.oid] = {e.label: e.sortorder for e in ut.labels}
    # range types (basetype: the subtype) and their multiranges (basetype: the range type)
    install_user_ranges({ut.oid: (ut.basetype, m.oid) for ut in types if ut.typtype == "r"
                         for m in types if m.typtype == "m" and m.basetype == ut.oid},
                        {ut.basetype: base_of(ut.basetype) for ut in types if ut.typtype == "r"
                         and base_of(ut.basetype) != ut.basetype})
    for ut in sorted(types, key=lambda t: t.typtype == "d"):  # domains last: they may be over the others
        rows.update(_pg_types(ut, rows))
    if search_path is not None:
        _search_path = search_path
    _USER_ROWS.clear()
    _USER_ROWS.update(rows)
    install_user_types({**rows, **_ROW_PG_TYPES}, lookup_name_oid, display_name)


def use_search_path(search_path: Callable[[], list[str]]) -> None:
    """Unqualified type names resolve on this (the session's search_path)."""
    global _search_path
    _search_path = search_path


def _pg_types(ut: UserType, done: dict) -> dict:
    if ut.typtype == "e":
        elem = PgType(ut.oid, ut.name, ut.name, 4, "E", False, ut.array_oid, 0, "REAL")
    elif ut.typtype in ("r", "m"):
        elem = PgType(ut.oid, ut.name, ut.name, -1, "R", False, ut.array_oid, 0, "TEXT")
    elif ut.typtype == "c":
        elem = PgType(ut.oid, ut.name, ut.name, -1, "C", False, ut.array_oid, 0, "TEXT")
    else:
        base_oid = base_of(ut.oid)  # through domains over domains
        base = done.get(base_oid) or find_oid(base_oid)
        elem = PgType(ut.oid, ut.name, ut.name, base.typlen, base.category, False, ut.array_oid, 0, base.storage)
    arr = PgType(ut.array_oid, "_" + ut.name, ut.name + "[]", -1, "A", False, 0, ut.oid, "TEXT")
    return {ut.oid: elem, ut.array_oid: arr}


def all_user_types() -> list[UserType]:
    return list(_TYPES.values())


def find(oid: int) -> UserType | None:
    return _TYPES.get(oid) or _ROWTYPES.get(oid)


def domain(oid: int) -> UserType | None:
    ut = _TYPES.get(oid)
    return ut if ut is not None and ut.typtype == "d" else None


def is_enum(oid: int) -> bool:
    return oid in _LABELS


def base_of(oid: int) -> int:
    """A domain's base type (domains over domains are resolved through); else oid."""
    ut = _TYPES.get(oid)
    while ut is not None and ut.typtype == "d":
        oid = ut.basetype
        ut = _TYPES.get(oid)
    return oid


def typmod_of(ut: UserType) -> int:
    """A domain's typmod: its own, else the nearest one down the chain of domains (-1 if none)."""
    while ut is not None and ut.typtype == "d":
        if ut.typmod >= 0:
            return ut.typmod
        ut = find(ut.basetype)
    return -1


# --- names -----------------------------------------------------------------------------

def _split(text: str) -> tuple[str | None, str]:
    parts = text.split(".")
    if len(parts) == 2:
        return parts[0].strip('"'), parts[1].strip('"')
    return None, text.strip('"') if text.startswith('"') else text


def lookup_name(text: str) -> UserType | None:
    """A user type by (optionally schema-qualified) name, on the search path."""
    schema, name = _split(" ".join(text.strip().split()))
    if schema is None and name != text.strip().strip('"'):
        name = name.lower()
    return lookup(schema, name)


def lookup_name_oid(text: str) -> int | None:
    """The OID a (qualified) type name means: a user type, or a user type's array by its
    typname ("_mood")."""
    ut = lookup_name(text)
    if ut is not None:
        return ut.oid
    schema, name = _split(" ".join(text.strip().split()))
    if name.startswith("_"):
        elem = lookup(schema, name[1:])
        if elem is not None:
            return elem.array_oid
    return None


def lookup(schema: str | None, name: str) -> UserType | None:
    found = [ut for ut in _TYPES.values() if ut.name == name]
    if _ROWTYPES and (schema is not None or not is_builtin_name(name)):  # pg_catalog is searched first
        found += [ut for ut in _ROWTYPES.values() if ut.name == name]
    if schema is not None:
        return next((ut for ut in found if ut.schema == schema), None)
    for s in _search_path():
        for ut in found:
            if ut.schema == s:
                return ut
    return None


def is_visible(oid: int) -> bool:
    """pg_type_is_visible: the type is the one its bare name finds on the search path."""
    ut = find(oid)
    if ut is None:
        elem = _ARRAYS.get(oid) or _ROW_ARRAYS.get(oid)
        if elem is None:
            return True  # built-in types live in pg_catalog, always searched
        return is_visible(elem)
    return lookup(None, ut.name) is ut


def display_name(oid: int) -> str:
    """format_type of a user type: quoted as needed, schema-qualified when not visible."""
    ut = find(oid)
    if is_visible(oid):
        return quote_ident(ut.name)
    return quote_qualified(ut.schema, ut.name)


# --- enum values ---------------------------------------------------------------------------

# Labels ALTER TYPE ... ADD VALUE added inside the open transaction block: PostgreSQL
# refuses to use them until the block commits (a rollback would leave rows holding a
# value that no longer exists). Cleared when the transaction ends (Engine).
_UNSAFE: set[tuple[int, str]] = set()


def mark_unsafe(oid: int, label: str) -> None:
    _UNSAFE.add((oid, label))


def end_of_transaction() -> None:
    _UNSAFE.clear()


def check_safe(oid: int, label: str) -> None:
    if _UNSAFE and (oid, label) in _UNSAFE:
        raise SqlError("55P04", f'unsafe use of new value "{label}" of enum type {display_name(oid)}',
                       hint="New enum values must be committed before they can be used.")

def enum_check(oid: int, label: str) -> str:
    """enum_in: the label itself, or PostgreSQL's 22P02 for a label the enum lacks."""
    if label not in _ORDERS.get(oid, {}):
        raise SqlError("22P02", f'invalid input value for enum {display_name(oid)}: "{label}"')
    check_safe(oid, label)
    return label


def enum_to_stored(oid: int, label: str) -> float:
    order = _ORDERS.get(oid, {}).get(label)
    if order is None or _UNSAFE:
        enum_check(oid, label)
    return order


def enum_from_stored(oid: int, stored) -> str:
    label = _LABELS.get(oid, {}).get(float(stored))
    if label is None:
        raise SqlError("22P02", f"invalid internal value for enum: {stored}")
    return label


# --- tables' row types ------------------------------------------------------------------------
# Every table and view has a composite row type named as it is (typrelid: the relation), as
# in PostgreSQL. pgsvc does not store them: their OIDs follow from the relation's (the row
# type: relid + 2**31, its array: relid + 3 * 2**30, above the OIDs pgsvc allocates) and their
# fields are the relation's columns; the catalog load installs them (install_row_types).

ROWTYPE_OID_BASE = 2 ** 31
ROWTYPE_ARRAY_BASE = 3 * 2 ** 30
_ROWTYPES: dict[int, UserType] = {}
_ROW_ARRAYS: dict[int, int] = {}
_ROW_PG_TYPES: dict[int, PgType] = {}
_USER_ROWS: dict[int, PgType] = {}


def row_type_oid(relid: int) -> int:
    return relid + ROWTYPE_OID_BASE


def install_row_types(types: list[UserType]) -> None:
    """Make `types` (of_table UserTypes) this process's tables' row types."""
    _ROWTYPES.clear()
    _ROW_ARRAYS.clear()
    _ROW_PG_TYPES.clear()
    for ut in types:
        _ROWTYPES[ut.oid] = ut
        _ROW_ARRAYS[ut.array_oid] = ut.oid
        _ROW_PG_TYPES.update(_pg_types(ut, {}))
    install_user_types({**_USER_ROWS, **_ROW_PG_TYPES}, lookup_name_oid, display_name)


def table_row_types() -> list[UserType]:
    return list(_ROWTYPES.values())


def composite_oids() -> list[int]:
    """Every composite type's OID: CREATE TYPE ... AS (...) ones and the tables' row types."""
    return [oid for oid, ut in _TYPES.items() if ut.typtype == "c"] + list(_ROWTYPES)
