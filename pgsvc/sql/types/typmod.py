"""Assignment coercion to a typmod: apply_typmod(oid, value, typmod).

varchar(n)/char(n) length checks (22001; an explicit cast truncates silently; excess
trailing spaces are dropped silently as PostgreSQL does), char(n) blank padding,
numeric(p,s) rounding and overflow (22003), timestamp/time/interval precision.
Arrays apply the typmod to every element.
"""

from __future__ import annotations

from typing import Any

from pgsvc.errors import SqlError
from pgsvc.sql.types import dates as D
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.bits import apply_bit_typmod
from pgsvc.sql.types.pg_type import find_oid, interval_typmod_parts, numeric_typmod_parts
from pgsvc.sql.types.interval import Interval, adjust_interval_for_fields, round_interval
from pgsvc.sql.types.numeric import apply_numeric_typmod


def apply_typmod(oid: int, value: Any, typmod: int, explicit: bool = False) -> Any:
    if value is None or typmod < 0:
        return value
    if oid == O.VARCHAR:
        return _varchar(value, typmod - 4, explicit)
    if oid == O.BPCHAR:
        return _bpchar(value, typmod - 4, explicit)
    if oid == O.NUMERIC:
        return apply_numeric_typmod(value, *numeric_typmod_parts(typmod))
    if oid in (O.BIT, O.VARBIT):
        return apply_bit_typmod(oid, value, typmod, explicit)
    if oid in (O.TIMESTAMP, O.TIMESTAMPTZ):
        return _round_timestamp(value, typmod, oid == O.TIMESTAMPTZ)
    if oid == O.TIME:
        return _round_time(value, typmod)
    if oid == O.INTERVAL:
        fields, precision = interval_typmod_parts(typmod)
        if not isinstance(value, Interval):
            return value
        return round_interval(adjust_interval_for_fields(value, fields), precision)
    t = find_oid(oid)
    if t is not None and t.category == "A" and t.elem_oid and isinstance(value, list):
        return [apply_typmod(t.elem_oid, v, typmod, explicit) if not isinstance(v, list)
                else apply_typmod(oid, v, typmod, explicit) for v in value]
    return value


def _varchar(value: str, n: int, explicit: bool) -> str:
    if len(value) <= n:
        return value
    if explicit or not value[n:].strip(" "):
        return value[:n]
    raise SqlError("22001", f"value too long for type character varying({n})")


def _bpchar(value: str, n: int, explicit: bool) -> str:
    if len(value) > n:
        if not explicit and value[n:].strip(" "):
            raise SqlError("22001", f"value too long for type character({n})")
        return value[:n]
    return value + " " * (n - len(value))


def round_micros(us: int, precision: int) -> int:
    if precision >= 6:
        return us
    scale = 10 ** (6 - precision)
    half = scale // 2
    if us >= 0:
        return (us + half) // scale * scale
    return -((-us + half) // scale * scale)


def _round_timestamp(value: Any, precision: int, aware: bool) -> Any:
    if isinstance(value, str) or precision >= 6:
        return value
    us = D.timestamp_to_micros(value)
    return D.micros_to_timestamp(D.check_timestamp(round_micros(us, precision)), aware)


def _round_time(value: Any, precision: int) -> Any:
    if precision >= 6:
        return value
    return D.micros_to_time(round_micros(D.time_to_micros(value), precision))
