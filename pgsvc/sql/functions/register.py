"""register_all: install every UDF, aggregate and collation on one SQLite connection."""

from __future__ import annotations

import logging

from pgsvc.sql.functions import (bit_funcs, bytea_funcs, composite_udfs, convert, datefuncs, floatmath, fmt_funcs, ordered_set, rowsets,
                                 zone_funcs)
from pgsvc.sql.functions import array_build, json_records, jsonb_edit, jsonpath_exec, net_funcs, range_funcs, regr
from pgsvc.sql.functions import (engine_udfs, json_raw, numeric_math, numeric_scale, partition_hash, regexp_funcs,
                                 zone_trunc)
from pgsvc.sql.functions.aggregates import register_aggregates
from pgsvc.sql.functions.context import FunctionContext, interruptible_udf, offer_for_engine
from pgsvc.sql.functions.core_udfs import make_core_udfs
from pgsvc.sql.functions.library_udfs import make_library_udfs
from pgsvc.sql.types.storage import COLLATIONS
from pgsvc.sql.types.record_order import collate_typed_record
from pgsvc.sqlite import sqlite3


def all_udfs(ctx: FunctionContext) -> dict:
    udfs = make_core_udfs(ctx)
    udfs.update(make_library_udfs(ctx))
    udfs.update(datefuncs.make_udfs(ctx))
    udfs.update(fmt_funcs.make_udfs(ctx))
    udfs.update(rowsets.make_udfs(ctx))
    udfs.update(zone_funcs.make_udfs(ctx))
    udfs.update(floatmath.make_udfs())
    udfs.update(convert.make_udfs())
    udfs.update(bytea_funcs.make_udfs())
    udfs.update(bit_funcs.make_udfs())
    udfs.update(net_funcs.make_udfs())
    udfs.update(jsonpath_exec.make_udfs())
    udfs.update(jsonb_edit.make_udfs())  # jsonb_set, jsonb_insert, #-, strip_nulls
    udfs.update(json_records.make_udfs())  # json[b]_populate_record
    udfs.update(array_build.make_udfs())
    udfs.update(regr.make_udfs())  # float8_accum and the other statistics' states
    udfs.update(range_funcs.make_udfs(ctx))
    udfs.update(composite_udfs.make_udfs(ctx))
    udfs.update(partition_hash.make_udfs())  # satisfies_hash_partition
    udfs.update(json_raw.make_udfs())  # json ->> and #>> over json's own text
    udfs.update(numeric_scale.make_udfs())  # scale, min_scale, trim_scale, div
    udfs.update(numeric_math.make_udfs())  # numeric sqrt, exp, ln, log
    udfs.update(regexp_funcs.make_udfs())  # regexp_count, _instr, _substr, _like, _replace, _split
    udfs.update(zone_trunc.make_udfs(ctx))  # date_trunc in a zone, make_timestamptz, date_bin
    return udfs


_log = logging.getLogger("pgsvc")

_VOLATILE = {"pgsvc_random", "pgsvc_clock_timestamp", "pgsvc_gen_random_uuid", "pgsvc_pg_sleep",
             "pgsvc_now", "pgsvc_statement_timestamp"}


def _total_collation(name: str, fn):
    """A collation callback must never raise: SQLite has no way to report it, and the
    sqlite3 module leaves the exception set, to surface later as a SystemError in whatever
    Python code runs next. A value not in the type's stored form (a gap in the translator
    that let one through: seen under sqlsmith) is compared as text, and logged."""
    def compare(a: str, b: str) -> int:
        try:
            return fn(a, b)
        except Exception:  # noqa: BLE001 - see the docstring
            _log.warning("collation %s: a value not in its stored form: %.60r / %.60r", name, a, b)
            return (a > b) - (a < b)
    return compare


def register_all(conn: sqlite3.Connection, ctx: FunctionContext) -> None:
    calls = _prepared[1] if _prepared is not None and _prepared[0] is ctx else _recorded(ctx)
    for method, args, kwargs in calls:
        getattr(conn, method)(*args, **kwargs)


def _recorded(ctx: FunctionContext) -> list:
    conn = _Recorder()
    for name, fn in COLLATIONS.items():
        conn.create_collation(name, _total_collation(name, fn))
    conn.create_collation("pg_record_typed", _total_collation("pg_record_typed", collate_typed_record))
    for name, (nargs, fn) in all_udfs(ctx).items():
        conn.create_function(name, nargs, interruptible_udf(ctx, fn),
                             deterministic=name not in _VOLATILE)
    register_aggregates(conn, ctx)
    range_funcs.register_aggregates(conn, ctx)
    ordered_set.register(conn, ctx)
    return conn.calls


class _Recorder:
    """Stands for the connection while register_all's calls are made: (method, args, kwargs)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []

    def create_collation(self, *args) -> None:
        self.calls.append(("create_collation", args, {}))

    def create_function(self, *args, **kwargs) -> None:
        self.calls.append(("create_function", args, kwargs))

    def create_aggregate(self, *args) -> None:
        self.calls.append(("create_aggregate", args, {}))


# (context, calls): register_all's calls for the context an engine takes first in a process
# forked after prepare_before_fork (FunctionContext.for_engine)
_prepared: tuple[FunctionContext, list] | None = None


def prepared_context() -> FunctionContext | None:
    """The context prepare_before_fork made (the first engine of a forked backend takes
    it: FunctionContext.for_engine), None in a process where it did not run."""
    return _prepared[0] if _prepared is not None else None


def prepare_before_fork() -> None:
    """Build register_all's UDF wrappers and aggregate classes once, in the supervisor,
    for the context the first engine of each backend takes. Each backend then registers
    the same objects, made together in the supervisor's memory and shared with it,
    instead of making ~270 closures and classes of its own whose references touch
    (and so copy) a page of the supervisor's for nearly every UDF it wraps."""
    global _prepared
    ctx = FunctionContext()
    _prepared = (ctx, _recorded(ctx))
    engine_udfs.prepare_window_aggregates(ctx)
    offer_for_engine(ctx)
