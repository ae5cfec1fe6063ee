"""Calling user-defined functions and procedures (catalog.routines), whatever their language.

`RoutineCalls` is mixed into the Engine. Its `call_routine` is the one way into a language
handler (catalog.routines' LanguageHandler), for calls from SQL expressions and FROM (the
UDFs below) and for CALL (pgsvc.sql.commands.call, through api.EngineContext). It applies
what PostgreSQL applies to every language (fmgr_security_definer, the executor):

  STRICT            a NULL input gives NULL (no rows for a set) without running the body;
  SECURITY DEFINER  the body's privilege checks are made as the routine's owner;
  SET name = value  the setting is in force during the call and restored after it, also
                    when the call fails;
  depth             at most `MAX_DEPTH` nested calls, then PostgreSQL's 54001 'stack depth
                    limit exceeded' (never a Python RecursionError).

The UDFs registered on the connection (the translator emits them, translate.routines):
  pgsvce_fcall(spec, arg...)   spec "oid:mode:argtypes:rettype[:coltypes]"; mode s a scalar
      (stored form), i the same with PostgreSQL's "during inlining" CONTEXT, r a row (its
      record text), x a set (JSON array of packed rows, functions.rowsets).
"""

from __future__ import annotations

import json
import resource
import sys
from typing import Any

from pgsvc.errors import SqlError
from pgsvc.settings import PLANNER_SETTINGS
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.routines import Routine, RoutineCall, language_handler
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.functions.context import UdfError, internal_error, raise_sql
from pgsvc.sql.functions.rowsets import rowpack
from pgsvc.sql.translate.routine_match import output_columns_for
from pgsvc.sql.exec.user_aggregates import register_user_aggregates
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types.composite import CANON
from pgsvc.sql.types.textio import text_encoder



def _depth_limit() -> int:
    """Nested calls allowed: PostgreSQL's max_stack_depth (2MB) allows a few thousand
    nested SQL function calls. Here a level costs about 2 kB of the process's C stack (an
    SQLite VM and the UDF's way back into Python: measured) and a handful of Python frames;
    at most 1000 levels, fewer under a small stack rlimit (6 kB a level, 1 MB kept), and
    the failure is PostgreSQL's 54001, never a crash."""
    soft = resource.getrlimit(resource.RLIMIT_STACK)[0]
    if soft == resource.RLIM_INFINITY or soft <= 0:
        soft = 8 << 20
    limit = max(50, min(1000, (soft - (1 << 20)) // 6144))
    if sys.version_info[:2] == (3, 12):
        # CPython 3.12 counts C-level recursion apart, against a fixed C_RECURSION_LIMIT
        # (1500) that sys.setrecursionlimit does not raise; a level takes about 4 of it
        # (3.12.1: 370 levels ran, 380 ended in SQLite's "user-defined function raised
        # exception", the RecursionError raised where no UDF wrapper sees it).
        limit = min(limit, 300)
    return limit


MAX_DEPTH = _depth_limit()
_FRAMES_PER_LEVEL = 12  # Python frames one nested call may take (about 7 measured), with room
_MISSING = object()


def stack_depth_error() -> SqlError:
    return SqlError("54001", "stack depth limit exceeded",
                    hint='Increase the configuration parameter "max_stack_depth" (currently 2048kB), after '
                         "ensuring the platform's stack depth limit is adequate.")


class RoutineCalls:
    """Mixed into the Engine: calls of user routines."""

    call_depth = 0

    def call_routine(self, routine: Routine, arg_oids, ret_oid: int, args: list, columns=(),
                     inlined: bool = False, trigger=None, atomic: bool = True) -> Any:
        """Run `routine` once (see the module docstring); returns what its handler returns.
        trigger: a catalog.triggers.TriggerData for a trigger call (exec.triggers).
        atomic: False for a procedure CALLed (or a DO block run) outside a transaction block
        and outside any function: it may COMMIT / ROLLBACK (RoutineCall.atomic)."""
        if routine.strict and any(a is None for a in args):
            return [] if routine.retset else None
        handler = language_handler(routine.lang)
        if self.call_depth >= MAX_DEPTH:
            raise stack_depth_error()
        call = RoutineCall(routine, tuple(arg_oids), ret_oid, list(args), list(columns), trigger=trigger)
        call.inlined = inlined
        call.atomic = atomic
        saved_role = self.enter_definer(routine) if routine.secdef and not authz(self).standalone else _MISSING
        saved_settings = self.apply_config(routine.config) if routine.config else None
        self.call_depth += 1
        limit = sys.getrecursionlimit()
        if self.call_depth * _FRAMES_PER_LEVEL + 1000 > limit:  # Python's limit follows the depth allowed
            sys.setrecursionlimit(self.call_depth * _FRAMES_PER_LEVEL + 2000)
        try:
            return handler.call(self, call)
        except RecursionError:
            raise stack_depth_error() from None
        finally:
            self.call_depth -= 1
            sys.setrecursionlimit(limit)
            if saved_settings is not None:
                self.restore_config(saved_settings)
            if saved_role is not _MISSING:
                shared(self).current_oid = saved_role

    def enter_definer(self, routine: Routine):
        sc = shared(self)
        saved = sc.current_oid
        sc.current_oid = routine.owner
        return saved

    def apply_config(self, config) -> list:
        settings = self.session.settings
        saved = []
        for item in config:
            name, _, value = item.partition("=")
            key = name.lower()
            if key in PLANNER_SETTINGS:  # work_mem, enable_*: kept apart, as SET keeps them
                saved.append((key, self.planner_settings.get(key, _MISSING), True))
                self.planner_settings[key] = value
                continue
            saved.append((key, settings.session.get(key, _MISSING), False))
            try:
                settings.set_session(name, value)
            except SqlError as err:
                if err.sqlstate != "42704":  # a PostgreSQL setting pgsvc does not model: no effect
                    raise
        return saved

    def restore_config(self, saved: list) -> None:
        session = self.session.settings.session
        for key, value, planner in reversed(saved):
            target = self.planner_settings if planner else session
            if value is _MISSING:
                target.pop(key, None)
            else:
                target[key] = value

    # --- the UDFs ---------------------------------------------------------------------------

    def register_routine_udfs(self, conn) -> None:
        specs: dict[str, tuple] = {}

        def fcall(spec, *args):
            try:
                parsed = specs.get(spec)
                if parsed is None:
                    parsed = specs[spec] = _parse_spec(spec)
                return self.fcall(parsed, args)
            except SqlError as err:
                raise_sql(self.fctx, err)
            except RecursionError:
                raise_sql(self.fctx, stack_depth_error())
            except UdfError:
                raise  # an inner call's error, already stashed for the engine
            except Exception as exc:  # noqa: BLE001 - a bug: XX000 naming it, its traceback logged
                raise_sql(self.fctx, internal_error(self.fcall, exc))
        fcall.reports_errors = True  # already reports as ReportingConnection would make it
        conn.create_function("pgsvce_fcall", -1, fcall)
        conn.create_function("pgsvce_fcall_i", -1, fcall, deterministic=True)  # IMMUTABLE ones in indexes
        conn.create_function("pgsvce_srf_zip", -1, srf_zip)
        register_user_aggregates(self, conn)

    def fcall(self, parsed: tuple, args) -> Any:
        oid, mode, arg_oids, ret_oid, col_oids = parsed
        routine = self.catalog.routines.get(oid)
        if routine is None:
            raise SqlError("XX000", f"cache lookup failed for function {oid}")
        columns = list(zip((n for n, _ in routine.output_columns()), col_oids)) if col_oids else \
            output_columns_for(routine, arg_oids)
        if col_oids and not routine.output_columns():
            columns = [(f"column{i + 1}", t) for i, t in enumerate(col_oids)]
        out = self.call_routine(routine, arg_oids, ret_oid, list(args), columns if mode in "rxyp" else (),
                                inlined=mode == "i")
        if mode in "xy":
            if not routine.retset:  # a NULL result is one row of NULLs in FROM, as in PostgreSQL
                out = [(None,) * max(len(columns), 1) if out is None else out if isinstance(out, tuple) else (out,)]
            if mode == "y":  # each row as one record value (a select-list SRF returning rows)
                types = [t for _, t in columns]
                out = [(None if r is None else self.record_text(r, types),) for r in out]
            return "[" + ",".join(rowpack(*(r if isinstance(r, tuple) else (r,))) for r in out) + "]"
        if mode == "p":  # the row packed, for (f(x)).col
            return None if out is None else rowpack(*out)
        if mode == "r":
            return None if out is None else self.record_text(out, [t for _, t in columns])
        return out

    def record_text(self, row: tuple, types: list[int]) -> str:
        """A row as PostgreSQL's record_out prints it: (1,abc,"a b",), the fields in the
        canonical settings a composite is kept in (types.composite.CANON)."""
        ctx = CANON
        parts = []
        for v, t in zip(row, types):
            if v is None:
                parts.append("")
                continue
            conv = sqlite_adapter(t)[1]
            text = text_encoder(t, ctx)(conv(v) if conv else v)
            if text == "" or any(c in text for c in '"\\(),') or any(c.isspace() for c in text):
                text = '"' + text.replace("\\", "\\\\").replace('"', '""') + '"'
            parts.append(text)
        return "(" + ",".join(parts) + ")"


def srf_zip(widths: str, *sets) -> str:
    """Select-list set-returning calls in lockstep: row i holds each set's row i (NULLs
    where a set is shorter), as many rows as the longest (packed rows in and out)."""
    ws = [int(w) for w in widths.split(",")]
    rows = [json.loads(s) if s is not None else [] for s in sets]
    n = max((len(r) for r in rows), default=0)
    out = []
    for i in range(n):
        packed = []
        for w, r in zip(ws, rows):
            packed.extend(r[i] if i < len(r) else [None] * w)
        out.append(json.dumps(packed, separators=(",", ":")))
    return "[" + ",".join(out) + "]"


def _parse_spec(spec: str) -> tuple:
    parts = spec.split(":")
    oids = tuple(int(o) for o in parts[2].split(",") if o)
    cols = tuple(int(o) for o in parts[4].split(",") if o) if len(parts) > 4 else ()
    return int(parts[0]), parts[1], oids, int(parts[3]), cols


__all__ = ["RoutineCalls", "MAX_DEPTH", "stack_depth_error"]
