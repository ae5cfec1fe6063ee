"""register_all: install every UDF, aggregate and collation on one SQLite connection."""

from __future__ import annotations

import sqlite3

from pgsvc.errors import SqlError
from pgsvc.sql.functions.context import FunctionContext, raise_sql
from pgsvc.sql.types.storage import COLLATIONS


def _guard(ctx: FunctionContext, fn):
    def call(*args):
        try:
            return fn(*args)
        except SqlError as err:
            raise_sql(ctx, err)
    return call


def all_udfs(ctx: FunctionContext) -> dict:
    from pgsvc.sql.functions.library_udfs import make_library_udfs
    from pgsvc.sql.functions.core_udfs import make_core_udfs
    udfs = make_core_udfs(ctx)
    udfs.update(make_library_udfs(ctx))
    from pgsvc.sql.functions.datefuncs import make_udfs
    udfs.update(make_udfs(ctx))
    from pgsvc.sql.functions import fmt_funcs
    udfs.update(fmt_funcs.make_udfs(ctx))
    from pgsvc.sql.functions import rowsets
    udfs.update(rowsets.make_udfs(ctx))
    return udfs


_VOLATILE = {"pgsvc_random", "pgsvc_clock_timestamp", "pgsvc_gen_random_uuid", "pgsvc_pg_sleep",
             "pgsvc_now", "pgsvc_statement_timestamp"}


def register_all(conn: sqlite3.Connection, ctx: FunctionContext) -> None:
    for name, fn in COLLATIONS.items():
        conn.create_collation(name, fn)
    for name, (nargs, fn) in all_udfs(ctx).items():
        conn.create_function(name, nargs, _guard(ctx, fn),
                             deterministic=name not in _VOLATILE)
    from pgsvc.sql.functions.aggregates import register_aggregates
    register_aggregates(conn, ctx)
    from pgsvc.sql.functions import ordered_set
    ordered_set.register(conn, ctx)
