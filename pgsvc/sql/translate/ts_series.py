"""generate_series(start, stop, step interval) over timestamp / timestamptz (dates read as
timestamptz, as PostgreSQL resolves them): a recursive query that adds the step to each
value in turn (timestamp_pl_interval, in the session zone for timestamptz), ascending or
descending by the step's sign; a zero step is PostgreSQL's 22023."""

from __future__ import annotations

from pgsvc.sql.types import oids as O

_STAMPS = (O.TIMESTAMP, O.TIMESTAMPTZ, O.DATE)


def series_type(oids: list[int]) -> int | None:
    """The type of a timestamp series over these argument types, or None."""
    if len(oids) != 3 or oids[2] not in (O.INTERVAL, O.UNKNOWN):
        return None
    ends = oids[:2]
    if not all(o in _STAMPS or o == O.UNKNOWN for o in ends) or ends == [O.UNKNOWN, O.UNKNOWN] \
            and oids[2] == O.UNKNOWN:
        return None
    if O.TIMESTAMPTZ in ends or O.DATE in ends or ends == [O.UNKNOWN, O.UNKNOWN]:
        return O.TIMESTAMPTZ
    return O.TIMESTAMP


def series_sql(start: str, stop: str, step: str, t: int) -> str:
    """One column c0 of the series (start, stop and step already of type t, t, interval)."""
    tz = 1 if t == O.TIMESTAMPTZ else 0
    within = "((d > 0 AND v <= b) OR (d < 0 AND v >= b))"
    return (f"(WITH RECURSIVE g(v, b, s, d) AS (SELECT {start}, {stop}, {step}, pgsvc_series_direction({step}) "
            f"UNION ALL SELECT pgsvc_ts_pl_interval(v, s, {tz}), b, s, d FROM g WHERE {within}) "
            f"SELECT v AS c0 FROM g WHERE {within})")
