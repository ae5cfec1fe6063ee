"""The engine's side of user-defined aggregates (translate.user_aggregates emits the calls):

  pgsvce_uagg(spec, input...)        the transition: its function's SQL (spec's "s") run
                                     per row on the same connection with the state and the
                                     inputs; the state at the end;
  pgsvce_uagg_result(spec, state)    the final function's SQL ("f") over that state, or
                                     over the initial state ("i") when no row came (SQLite
                                     does not finalise an aggregate no row reached).

Two aggregates with the same transition over the same inputs make the same pgsvce_uagg
call, which SQLite computes once: the transition state is shared as PostgreSQL shares it.

Values travel in their stored forms both ways. A strict transition function ("ss") is
not called for a row with a NULL input, the first input becomes the state when there is
no initial value ("i"), and a NULL state stays NULL (PostgreSQL's
advance_transition_function); a strict final function ("fs") gives NULL for a NULL state.
"""

from __future__ import annotations

import json

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.functions.context import UdfError, internal_error, raise_sql
from pgsvc.sqlite import sqlite3

_NULL = "\x01pgsvc:null aggregate result\x01"  # a NULL result, told from "no row came"


def register_user_aggregates(engine, conn) -> None:
    specs: dict[str, dict] = {}

    def parsed(spec: str) -> dict:
        s = specs.get(spec)
        if s is None:
            s = specs[spec] = json.loads(spec)
        return s

    def run(sql: str, params: tuple):
        try:
            row = conn.execute(sql, params).fetchone()
        except (sqlite3.Error, SqlError) as e:
            raise map_error(e, engine) from None
        return None if row is None else row[0]

    def final_value(s: dict, state):
        if s["f"] is None:
            return state
        if s["fs"] and state is None:
            return None
        return run(s["f"], (state,))

    def reporting(fn):
        def call(*args):
            try:
                return fn(*args)
            except SqlError as err:
                raise_sql(engine.fctx, err)
            except UdfError:
                raise  # an inner call's error, already stashed for the engine
            except Exception as exc:  # noqa: BLE001 - a bug: XX000 naming it, its traceback logged
                raise_sql(engine.fctx, internal_error(fn, exc))
        return call

    class UserAggregate:
        def __init__(self) -> None:
            self.spec: dict | None = None
            self.state = None
            self.no_value = True  # no initial value and no input yet

        def _step(self, spec, *args) -> None:
            if self.spec is None:
                self.spec = parsed(spec)
                if self.spec["i"] is not None:
                    self.state, self.no_value = run(self.spec["i"], ()), False
            s = self.spec
            if s["ss"]:
                if any(a is None for a in args):
                    return
                if self.no_value:
                    self.state, self.no_value = args[0], False
                    return
                if self.state is None:
                    return
            self.state, self.no_value = run(s["s"], (self.state, *args)), False

        def _finalize(self):
            return _NULL if self.state is None else self.state

        step = reporting(_step)
        finalize = reporting(_finalize)

    def result(spec: str, value):
        s = parsed(spec)
        if value is None:  # no row reached the aggregate: its initial state
            value = run(s["i"], ()) if s["i"] is not None else None
        elif value == _NULL:
            value = None
        return final_value(s, value)

    conn.create_aggregate("pgsvce_uagg", -1, UserAggregate)
    result_udf = reporting(result)
    result_udf.reports_errors = True
    conn.create_function("pgsvce_uagg_result", 2, result_udf)
