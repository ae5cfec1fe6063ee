"""Stored forms in SQLite: sqlite_adapter(oid) -> (to_sqlite, from_sqlite) and the
COLLATIONS those forms need. The conventions are listed in pgsvc.sql.types' docstring.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import uuid as _uuid
from collections.abc import Callable
from functools import partial
from decimal import Decimal
from typing import Any

from pgsvc.sql.types import composite as C
from pgsvc.sql.types import dates as D
from pgsvc.sql.types import network as N
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import range_io as RIO
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.arrays import BoundedArray, dimensions, flatten, join_stored, split_stored
from pgsvc.sql.types.pg_type import find_oid
from pgsvc.sql.types.interval import Interval
from pgsvc.sql.types.jsontext import collate_jsonb
from pgsvc.sql.types.numeric import collate_numeric, format_numeric

Adapter = Callable[[Any], Any] | None


# --- scalar adapters -----------------------------------------------------------------

def float_to_sqlite(v: Any) -> Any:
    if isinstance(v, float) and v != v:
        return "NaN"
    return v


def float_from_sqlite(v: Any) -> Any:
    if isinstance(v, str):
        return math.nan if v == "NaN" else float(v)
    return float(v) if isinstance(v, (int, Decimal)) else v  # Decimal: an element of a JSON array


def numeric_to_sqlite(v: Any) -> str:
    return format_numeric(v)


def numeric_from_sqlite(v: Any) -> Decimal:
    if isinstance(v, float):
        return Decimal(repr(v))
    return Decimal(v) if not isinstance(v, Decimal) else v


def date_to_sqlite(v: Any) -> int:
    days = D.date_to_days(v)
    if days >= D.DATE_NOEND:
        return D.NOEND
    if days <= D.DATE_NOBEGIN:
        return D.NOBEGIN
    return days


def date_from_sqlite(v: int) -> Any:
    return D.days_to_date(v)


def timestamp_from_sqlite(v: int) -> Any:
    return D.micros_to_timestamp(v, False)


def timestamptz_from_sqlite(v: int) -> Any:
    return D.micros_to_timestamp(v, True)


def interval_to_sqlite(v: Interval) -> str:
    return f"{v.months} {v.days} {v.microseconds}"


def interval_from_sqlite(v: str) -> Interval:
    m, d, us = v.split()
    return Interval(int(m), int(d), int(us))


def timetz_to_sqlite(v: _dt.time) -> str:
    offset = v.utcoffset()
    return f"{D.time_to_micros(v)} {int(offset.total_seconds()) if offset else 0}"


def timetz_from_sqlite(v: str):
    us, off = (int(x) for x in v.split())
    return D.micros_to_timetz(us, off)


def uuid_to_sqlite(v: Any) -> str:
    return str(v) if isinstance(v, _uuid.UUID) else str(_uuid.UUID(str(v)))


def uuid_from_sqlite(v: str) -> _uuid.UUID:
    return _uuid.UUID(v)


def bool_from_sqlite(v: Any) -> bool:
    return bool(v) if not isinstance(v, str) else v in ("1", "t", "true")


_ADAPTERS: dict[int, tuple[Adapter, Adapter]] = {
    O.BOOL: (int, bool_from_sqlite),
    O.FLOAT4: (float_to_sqlite, float_from_sqlite),
    O.FLOAT8: (float_to_sqlite, float_from_sqlite),
    O.NUMERIC: (numeric_to_sqlite, numeric_from_sqlite),
    O.DATE: (date_to_sqlite, date_from_sqlite),
    O.TIMESTAMP: (D.timestamp_to_micros, timestamp_from_sqlite),
    O.TIMESTAMPTZ: (D.timestamp_to_micros, timestamptz_from_sqlite),
    O.TIME: (D.time_to_micros, D.micros_to_time),
    O.TIMETZ: (timetz_to_sqlite, timetz_from_sqlite),
    O.INTERVAL: (interval_to_sqlite, interval_from_sqlite),
    O.UUID: (uuid_to_sqlite, uuid_from_sqlite),
    O.BYTEA: (None, bytes),
}


def sqlite_adapter(oid: int) -> tuple[Adapter, Adapter]:
    """(to_sqlite, from_sqlite) for a type; None means identity."""
    found = _ADAPTERS.get(oid)
    if found is not None:
        return found
    if U.is_enum(oid):
        return partial(U.enum_to_stored, oid), partial(U.enum_from_stored, oid)
    if U.base_of(oid) != oid:
        return sqlite_adapter(U.base_of(oid))
    if RIO.is_range_like(oid):
        return RIO.sqlite_adapters(oid)
    t = find_oid(oid)
    if t is not None and t.category == "A" and t.elem_oid:
        return _array_adapters(t.elem_oid)
    return None, None


# --- arrays as JSON text ---------------------------------------------------------------

def dump_stored(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return '"NaN"'
        if math.isinf(v):
            return '"Infinity"' if v > 0 else '"-Infinity"'
        return repr(v)
    if isinstance(v, Decimal):
        return format_numeric(v) if v.is_finite() else json.dumps(format_numeric(v))
    if isinstance(v, (bytes, bytearray, memoryview)):
        return json.dumps(bytes(v).hex())
    if isinstance(v, list):
        text = "[" + ",".join(dump_stored(x) for x in v) + "]"
        return join_stored(v.lbounds, text) if type(v) is BoundedArray else text
    return json.dumps(v, ensure_ascii=False)


def _array_adapters(elem_oid: int) -> tuple[Adapter, Adapter]:
    to_elem, from_elem = sqlite_adapter(elem_oid)
    if elem_oid == O.BYTEA:
        to_elem, from_elem = None, bytes.fromhex
    elif elem_oid == O.NUMERIC:
        to_elem, from_elem = None, numeric_from_sqlite
    elif elem_oid in (O.FLOAT4, O.FLOAT8):
        to_elem, from_elem = None, float_from_sqlite

    def map_list(v: list, fn: Callable[[Any], Any]) -> list:
        return [None if x is None else map_list(x, fn) if isinstance(x, list) else fn(x)
                for x in v]

    def to_sqlite(v: list) -> str:
        if to_elem and type(v) is BoundedArray:
            return join_stored(v.lbounds, dump_stored(map_list(v, to_elem)))
        return dump_stored(map_list(v, to_elem) if to_elem else v)

    def from_sqlite(v: str) -> list:
        if not isinstance(v, str):
            return map_list(v, from_elem) if from_elem else v
        lbounds, v = split_stored(v)
        data = json.loads(v, parse_float=Decimal)
        if from_elem:
            data = map_list(data, from_elem)
        return BoundedArray(data, lbounds) if lbounds and data else data

    return to_sqlite, from_sqlite


# --- collations ----------------------------------------------------------------------

def _array_key(v: Any) -> tuple:
    if v is None:
        return (2,)
    if isinstance(v, list):
        return (0, tuple(_array_key(x) for x in v))
    if isinstance(v, str):
        if v == "NaN":
            return (1, "")
        if v in ("Infinity", "-Infinity"):  # a numeric or float array's infinities
            return (0, math.inf if v[0] == "I" else -math.inf)
        return (0, v)
    return (0, v)


def _stored_array_key(text: str) -> tuple:
    """array_cmp's order: the elements in storage order (a shorter run of equal elements
    first), then the number of dimensions, their lengths, their lower bounds."""
    lbounds, text = split_stored(text)
    v = json.loads(text, parse_float=Decimal)
    dims = dimensions(v)
    return (tuple(_array_key(x) for x in flatten(v)), len(dims), tuple(dims), lbounds or (1,) * len(dims))


def collate_array(a: str, b: str) -> int:
    if a == b:
        return 0
    try:
        ka, kb = _stored_array_key(a), _stored_array_key(b)
        return (ka > kb) - (ka < kb)
    except (ValueError, TypeError):
        return (a > b) - (a < b)


def _interval_span(text: str) -> int:
    m, d, us = text.split()
    return (int(m) * 30 + int(d)) * D.USECS_PER_DAY + int(us)


def collate_interval(a: str, b: str) -> int:
    if a == b:
        return 0
    ka, kb = _interval_span(a), _interval_span(b)
    return (ka > kb) - (ka < kb)


def _timetz_key(text: str) -> tuple[int, int]:
    us, off = (int(x) for x in text.split())
    return (us - off * 1_000_000, -off)


def collate_timetz(a: str, b: str) -> int:
    ka, kb = _timetz_key(a), _timetz_key(b)
    return (ka > kb) - (ka < kb)


COLLATIONS: dict[str, Callable[[str, str], int]] = {
    "pg_numeric": collate_numeric,
    "pg_interval": collate_interval,
    "pg_array": collate_array,
    "pg_timetz": collate_timetz,
    "pg_record": C.collate_record,
    "pg_inet": N.collate_inet,
    "pg_jsonb": collate_jsonb,
    **RIO.COLLATIONS,
}

# Which collation a column / comparison of each type needs (None: SQLite's default).
def collation_for(oid: int) -> str | None:
    if oid == O.NUMERIC:
        return "pg_numeric"
    if oid == O.INTERVAL:
        return "pg_interval"
    if oid == O.BPCHAR:
        return "RTRIM"
    if oid == O.TIMETZ:
        return "pg_timetz"
    if oid in (O.INET, O.CIDR):
        return "pg_inet"
    if oid == O.JSONB:
        return "pg_jsonb"  # jsonb's order and equality (1.0 = 1), types.jsontext.collate_jsonb
    if U.base_of(oid) != oid:
        return collation_for(U.base_of(oid))
    if RIO.is_range_like(oid):
        return RIO.collation(oid)
    if C.is_composite(oid):
        return f"pg_record_{oid}"  # its fields' types' order (types.record_order)
    if oid == O.RECORD:
        return "pg_record"
    t = find_oid(oid)
    if t is not None and t.category == "A":
        return "pg_array"
    return None
