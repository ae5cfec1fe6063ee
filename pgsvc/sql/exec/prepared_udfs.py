"""The engine-bound UDFs of every connection, built once in the supervisor before the fork.

Engine.open_connection registers, next to register_all's UDFs, those bound to the engine:
engine_udfs (sequences, casts, error helpers) and the catalog functions of pg_functions
(~200 closures over `engine`, made by ~20 register functions). Made in each backend,
they cost ~1 MB of its private memory: each closure is a new object, and making it and
registering it takes references to the function code and globals spread over pages the
backend shares with the supervisor, so nearly every one copies a page.

prepare_before_fork (called by the supervisor after its preload, like
functions.register's, whose context it shares) runs each register function once against
a recording connection and a stand-in engine. A step is kept only when the stand-in is
then referred to by closure cells alone: no attribute of it was read, nothing stored it
elsewhere. The first engine of a forked backend (the one that takes the prepared
FunctionContext) points those cells at itself and replays the recorded calls on its
connection; a step that could not be prepared, or any later engine, registers as before.
The cells are the register functions' own `engine` variables: every closure a step made
sees the engine through them, as it would have if the step had run in the backend.
"""

from __future__ import annotations

import gc
import logging
import sys
import types

from pgsvc.sql import pg_functions
from pgsvc.sql.functions import engine_udfs, register as function_register
from pgsvc.sql.functions.context import reporting_sql_errors

_log = logging.getLogger("pgsvc")


def _engine_udfs(conn, engine) -> None:
    engine_udfs.register(conn, engine.fctx, engine)


# What Engine.open_connection registers after register_all, in its order (a later
# registration of a name replaces an earlier one, as on the connection itself).
STEPS = (("engine_udfs", _engine_udfs),) + tuple(pg_functions.REGISTER_STEPS)
# Steps that install process-wide hooks (quote_ident's quote_all_identifiers, aclitem's
# role check): no UDF to share, and a hook over the stand-in would fail in a process that
# never opens an engine (the supervisor, a physical walsender).
MADE_PER_ENGINE = frozenset({"session_hooks"})


class _StandIn:
    """The engine while the steps are recorded: fctx (the prepared context) and nothing
    else; reading any other attribute fails the step."""

    __slots__ = ("fctx",)

    def __init__(self, fctx) -> None:
        self.fctx = fctx


class _Recorder:
    """The connection while a step is recorded. Scalar UDFs are wrapped as the engine's
    ReportingConnection wraps them, so that the replay does not wrap them again."""

    def __init__(self, fctx) -> None:
        self.fctx = fctx
        self.calls: list[tuple[str, tuple, dict]] = []

    def create_function(self, name, narg, func, *, deterministic=False):
        if func is not None and not getattr(func, "reports_errors", False):
            func = reporting_sql_errors(self.fctx, func)
        self.calls.append(("create_function", (name, narg, func), {"deterministic": deterministic}))

    def create_aggregate(self, *args) -> None:
        self.calls.append(("create_aggregate", args, {}))


# step name -> (the context it was made for, where it keeps the engine, its recorded calls)
_prepared: dict[str, tuple[object, list, list]] = {}


def prepare_before_fork() -> None:
    """functions.register's preparation, then each step's (see the module docstring)."""
    function_register.prepare_before_fork()
    ctx = function_register.prepared_context()
    _prepared.clear()
    if ctx is None:
        return
    made = []  # (name, recorder, home, globals before); stand_ins[i] is made[i]'s
    stand_ins: list = []
    for name, step in STEPS:
        if name in MADE_PER_ENGINE:
            continue
        stand_in = _StandIn(ctx)
        recorder = _Recorder(ctx)
        home = sys.modules.get(step.__module__)
        globals_before = dict(vars(home)) if home is not None else {}
        try:
            step(recorder, stand_in)
        except Exception as e:  # noqa: BLE001 - the backends make this step themselves
            _log.warning("could not prepare the %s functions: %s", name, e)
            continue
        made.append((name, recorder, home, globals_before))
        stand_ins.append(stand_in)
    del stand_in
    for (name, recorder, home, globals_before), places in zip(made, _places_of(stand_ins)):
        if places is None:
            continue
        # A global of the step's own module that names the engine (information_schema's)
        # gets it at the replay; until then it keeps its value (None in a process with no
        # engine). A global of any other module: the step is made per backend.
        module_globals = [(h, k) for h, k in places if type(h) is dict and "__builtins__" in h]
        if any(h is not vars(home) for h, _ in module_globals):
            continue
        for h, k in module_globals:
            h[k] = globals_before.get(k)
        _prepared[name] = (ctx, places, recorder.calls)


def _places_of(stand_ins: list) -> list:
    """For each stand-in, where it is kept, each (cell, None), (dict, key) or (object,
    attribute); None if anywhere else (a tuple, a list, a slot, a dictionary key): that
    step is made per backend. One gc.get_referrers for all of them: each call walks every
    object of the heap (~90,000 after the preload, ~5 ms), once per step cost ~100 ms of
    the supervisor's start, which the first client waited for."""
    index = {id(s): i for i, s in enumerate(stand_ins)}
    places: list = [[] for _ in stand_ins]
    # the call's own argument tuple is a referrer too where it is tracked (Python 3.13):
    # given as this tuple, it is this one, and skipped with the list
    args = tuple(stand_ins)
    for holder in gc.get_referrers(*args):
        if holder is stand_ins or holder is args:
            continue
        for i in {index[id(r)] for r in gc.get_referents(holder) if id(r) in index}:
            stand_in = stand_ins[i]
            if places[i] is None:
                continue
            if isinstance(holder, types.CellType):
                places[i].append((holder, None))
                continue
            mapping = holder if type(holder) is dict else getattr(holder, "__dict__", None)
            keys = [k for k, v in mapping.items() if v is stand_in] if type(mapping) is dict else []
            if not keys:
                places[i] = None
                continue
            places[i].extend((holder, key) for key in keys)
    return places


def _put(holder, key, engine) -> None:
    if key is None:
        holder.cell_contents = engine
    elif type(holder) is dict:
        holder[key] = engine
    else:
        setattr(holder, key, engine)


def register(conn, engine) -> None:
    """Engine.open_connection's engine-bound UDFs on `conn`: prepared steps replayed (the
    first engine of a forked backend), the others made here."""
    for name, step in STEPS:
        prepared = _prepared.get(name)
        if prepared is None or prepared[0] is not engine.fctx:
            step(conn, engine)
            continue
        del _prepared[name]  # one engine only: the cells now name it
        _, places, calls = prepared
        for holder, key in places:
            _put(holder, key, engine)
        for method, args, kwargs in calls:
            getattr(conn, method)(*args, **kwargs)
