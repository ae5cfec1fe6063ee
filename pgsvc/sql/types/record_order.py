"""The order of composite values as PostgreSQL's record_cmp has it: field by field, each by
its own type's ordering (numbers numerically, text by its collation, dates as dates, ...),
NULL fields after the others.

A composite's stored form is its record text with every field in the canonical,
setting-independent text of its type (pgsvc.sql.types.composite.CANON: ISO dates, UTC
timestamptz, postgres intervals, shortest exact floats), so a field is read back the same
whatever the session's DateStyle or TimeZone. A stored composite column (and an index or
comparison of one) uses the collation named for its type, pg_record_<oid>, registered on a
connection when the catalog holding the type is loaded (register_collations); the
comparison reads each field's canonical text with its type's input and compares the
stored forms with that type's own collation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from pgsvc.errors import SqlError
from pgsvc.sql.types import composite as C
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.storage import COLLATIONS, collation_for, sqlite_adapter
from pgsvc.sql.types.textio import text_decoder

_PREFIX = "pg_record_"


@lru_cache(maxsize=65536)
def _parsed(text: str) -> tuple:
    return tuple(C.parse_record(text))


@lru_cache(maxsize=1024)
def _field_reader(oid: int) -> tuple[str | None, Callable[[str], Any]]:
    """(the field type's collation, canonical text -> stored form); types keep their OIDs."""
    decode = text_decoder(oid, C.CANON)
    to_sqlite = sqlite_adapter(oid)[0]
    return collation_for(oid), (lambda t: to_sqlite(decode(t))) if to_sqlite else decode


def _native(a: Any, b: Any) -> int:
    if isinstance(a, float) or isinstance(b, float) or a == "NaN" or b == "NaN":
        fa = math.nan if a == "NaN" else float(a)
        fb = math.nan if b == "NaN" else float(b)
        if fa != fa or fb != fb:  # NaN after every other value, equal to itself (float8_cmp)
            return (fa != fa) - (fb != fb)
        return (fa > fb) - (fa < fb)
    if isinstance(a, bool | int) and isinstance(b, bool | int) or type(a) is type(b):
        return (a > b) - (a < b)
    ta, tb = str(a), str(b)
    return (ta > tb) - (ta < tb)


def field_cmp(oid: int, x: str, y: str) -> int:
    """Two non-NULL fields' canonical texts compared in their type's order."""
    if x == y:
        return 0
    oid = U.base_of(oid)
    if C.is_composite(oid):
        return compare_texts([f[1] for f in C.fields_of(oid)], _parsed(x), _parsed(y))
    if oid == O.RECORD:
        return compare_texts([], _parsed(x), _parsed(y))
    coll, read = _field_reader(oid)
    sx, sy = read(x), read(y)
    if coll == "RTRIM":
        sx, sy = str(sx).rstrip(" "), str(sy).rstrip(" ")
    elif coll is not None:
        return COLLATIONS[coll](str(sx), str(sy))
    return _native(sx, sy)


def compare_texts(oids: Sequence[int], ta: Sequence[str | None], tb: Sequence[str | None]) -> int:
    """record_cmp of two records' field texts; oids: the fields' types (text where missing)."""
    if len(ta) != len(tb):
        raise SqlError("42804", "cannot compare record types with different numbers of columns")
    for i, (x, y) in enumerate(zip(ta, tb)):
        if x == y:
            continue
        if x is None or y is None:
            return 1 if x is None else -1
        c = field_cmp(oids[i] if i < len(oids) else O.TEXT, x, y)
        if c:
            return c
    return 0


def collate_composite(oid: int) -> Callable[[str, str], int]:
    def compare(a: str, b: str) -> int:
        if a == b:
            return 0
        try:
            return compare_texts([f[1] for f in C.fields_of(oid)], _parsed(a), _parsed(b))
        except Exception:  # noqa: BLE001 - a collation must not raise (functions.register)
            return (a > b) - (a < b)
    return compare


def record_key(rec: str | None, types: str) -> str | None:
    """An anonymous record with its fields' types before it ('25,23|(a,1)'), sorted by
    COLLATE pg_record_typed (ORDER BY ROW(...): the types are the translator's)."""
    return None if rec is None else f"{types}|{rec}"


def collate_typed_record(a: str, b: str) -> int:
    if a == b:
        return 0
    ta, _, ra = a.partition("|")
    _tb, _, rb = b.partition("|")
    return compare_texts([int(t) for t in ta.split(",") if t], _parsed(ra), _parsed(rb))


# connection id -> (the connection, the names registered on it); a few connections a process
_REGISTERED: dict[int, tuple[Any, set[str]]] = {}


def register_collations(conn) -> None:
    """pg_record_<oid> for every composite type (and table row type) known, on conn: those
    not yet registered on it (re-registering one would expire its prepared statements, and
    fails while a statement runs)."""
    entry = _REGISTERED.get(id(conn))
    if entry is None or entry[0] is not conn:
        if len(_REGISTERED) >= 8:
            _REGISTERED.pop(next(iter(_REGISTERED)))
        entry = _REGISTERED[id(conn)] = (conn, set())
    for oid in U.composite_oids():
        name = f"{_PREFIX}{oid}"
        if name not in entry[1]:
            try:
                conn.create_collation(name, collate_composite(oid))
            except Exception:  # noqa: BLE001 - there already (busy): it is this same order
                pass
            entry[1].add(name)
