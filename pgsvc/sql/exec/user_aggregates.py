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
from decimal import Decimal, InvalidOperation

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.functions.context import UdfError, internal_error, raise_sql
from pgsvc.sql.functions.window_aggs import decode_frame
from pgsvc.sqlite import sqlite3

_NULL = "\x01pgsvc:null aggregate result\x01"  # a NULL result, told from "no row came"


def _sort_key(v, kind: str):
    """A key's order: numeric and float by value, NaN after every number (their stored
    strings read as such); anything else as stored."""
    if kind in ("n", "f"):
        try:
            d = Decimal(str(v))
        except InvalidOperation:
            return (0, Decimal("Infinity") if str(v) != "-Infinity" else Decimal("-Infinity"))
        return (1, Decimal(0)) if d.is_nan() else (0, d)
    return (0, v) if not isinstance(v, (list, dict)) else (0, json.dumps(v))


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
        """The transition over the rows (also over a window frame: frame_result)."""
        def __init__(self) -> None:
            self.spec: dict | None = None
            self.state = None
            self.no_value = True  # no initial value and no input yet

        def _start(self, spec) -> None:
            self.spec = parsed(spec)
            if self.spec["i"] is not None:
                self.state, self.no_value = run(self.spec["i"], ()), False

        def _step(self, spec, *args) -> None:
            if self.spec is None:
                self._start(spec)
            self._advance(args)

        def _advance(self, args) -> None:
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

    class OrderedUserAggregate:
        """pgsvce_uagg_ordered(spec, order, distinct, keys, input...): agg(DISTINCT x ORDER BY
        k): the rows kept, sorted by their keys (order: per key n/f/t, a/d, nulls f/l),
        duplicates of the inputs dropped, then fed to the transition in that order."""
        def __init__(self) -> None:
            self.rows: list = []
            self.head: tuple | None = None

        def _step(self, spec, order, distinct, keys, *args) -> None:
            self.head = (spec, order, distinct)
            self.rows.append((json.loads(keys, parse_float=Decimal), args))

        def _finalize(self):
            spec, order, distinct = self.head
            rows = self.rows
            for i in range(len(order) // 3 - 1, -1, -1):
                kind, direction, nulls = order[i * 3:i * 3 + 3]
                present = [r for r in rows if r[0][i] is not None]
                absent = [r for r in rows if r[0][i] is None]
                present.sort(key=lambda r, i=i, kind=kind: _sort_key(r[0][i], kind), reverse=direction == "d")
                rows = absent + present if nulls == "f" else present + absent
            agg = UserAggregate()
            seen: set = set()
            for _, args in rows:
                if distinct:
                    if args in seen:
                        continue
                    seen.add(args)
                agg._step(spec, *args)
            return agg._finalize()

        step = reporting(_step)
        finalize = reporting(_finalize)

    def result(spec: str, value):
        s = parsed(spec)
        if value is None:  # no row reached the aggregate: its initial state
            value = run(s["i"], ()) if s["i"] is not None else None
        elif value == _NULL:
            value = None
        return final_value(s, value)

    frames: dict = {}

    def frame_result(spec: str, frame, nargs: int, site: int):
        """The transition over a window frame (its rows collected by group_concat, as
        functions.window_aggs collects them: no Python window function is registered).
        Per call site the last frame is kept with its state: a frame that only grew at its
        end continues from it, as PostgreSQL's running aggregate does; any other is
        aggregated again from its first row (PostgreSQL restarts an aggregate without an
        inverse transition function so). An empty frame is the initial state's result."""
        rows = decode_frame(frame, nargs)
        if not rows:
            return None
        statement = engine.fctx.statement_start
        if frames and next(iter(frames))[2] != statement:
            frames.clear()
        key = (spec, site, statement)
        seen, agg = frames.get(key, ((), None))
        if agg is None or len(seen) > len(rows) or rows[:len(seen)] != list(seen):
            agg, seen = UserAggregate(), ()
            agg._start(spec)
        for args in rows[len(seen):]:
            agg._advance(args)
        frames[key] = (rows, agg)
        return _NULL if agg.state is None else agg.state

    conn.create_aggregate("pgsvce_uagg", -1, UserAggregate)
    frame_udf = reporting(frame_result)
    frame_udf.reports_errors = True
    conn.create_function("pgsvce_uagg_frame", 4, frame_udf)
    conn.create_aggregate("pgsvce_uagg_ordered", -1, OrderedUserAggregate)
    result_udf = reporting(result)
    result_udf.reports_errors = True
    conn.create_function("pgsvce_uagg_result", 2, result_udf)
