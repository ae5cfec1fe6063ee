"""The function tables beside the functions catalogue: EXTRA_FUNCTIONS (window and session
functions the catalogue does not carry, consulted only for names it lacks entirely) and
ENGINE_FUNCTIONS (functions that need the session, resolved before the catalogue).

Both are plain dicts name -> [FuncSig]; the modules that implement catalog and session
functions (pgsvc.sql.pg_functions.*) add their signatures to them when they are imported
(the engine imports them, so the tables are complete before any backend translates a
statement). The translator reads them; they live here, below it, so that those modules
need not import the translator.
"""

from __future__ import annotations

from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O


def _extra() -> dict[str, list[FuncSig]]:
    """Window and session functions the pgsvc.sql.functions catalogue does not carry
    (consulted only for names that catalogue lacks entirely)."""
    f: dict[str, list[FuncSig]] = {}

    def add(name, args, ret, emit, kind="scalar", volatility="i", strict=True):
        f.setdefault(name, []).append(FuncSig(name, tuple(args), ret, emit, kind, 0, strict, volatility))

    for w in ("row_number", "rank", "dense_rank"):
        add(w, [], O.INT8, f"{w}()", "window")
    for w in ("percent_rank", "cume_dist"):
        add(w, [], O.FLOAT8, f"{w}()", "window")
    add("ntile", [O.INT4], O.INT4, "ntile({0})", "window")
    for w in ("lag", "lead"):
        add(w, [O.ANYELEMENT], O.ANYELEMENT, f"{w}({{0}})", "window")
        add(w, [O.ANYELEMENT, O.INT4], O.ANYELEMENT, f"{w}({{0}}, {{1}})", "window")
        add(w, [O.ANYCOMPATIBLE, O.INT4, O.ANYCOMPATIBLE], O.ANYCOMPATIBLE, f"{w}({{0}}, {{1}}, {{2}})", "window")
    add("first_value", [O.ANYELEMENT], O.ANYELEMENT, "first_value({0})", "window")
    add("last_value", [O.ANYELEMENT], O.ANYELEMENT, "last_value({0})", "window")
    add("nth_value", [O.ANYELEMENT, O.INT4], O.ANYELEMENT, "nth_value({0}, {1})", "window")
    add("current_database", [], O.NAME, "pgsvce_current_database()", volatility="s")
    add("current_schema", [], O.NAME, "pgsvce_current_schema()", volatility="s")
    add("pg_backend_pid", [], O.INT4, "pgsvce_backend_pid()", volatility="s")
    return f


EXTRA_FUNCTIONS = _extra()


def _engine_functions() -> dict[str, list[FuncSig]]:
    """Functions that need the session (backend registry): resolved before FUNCTIONS.
    current_setting/set_config and the catalog functions are added by the modules that
    implement them (pgsvc.sql.pg_functions.catalog_funcs and its neighbours) at import."""
    f: dict[str, list[FuncSig]] = {}

    def add(name, args, ret, emit, strict=True):
        f.setdefault(name, []).append(FuncSig(name, tuple(args), ret, emit, "scalar", 0, strict, "v"))

    add("pg_cancel_backend", [O.INT4], O.BOOL, "pgsvce_signal_backend({0}, 'cancel')")
    add("pg_terminate_backend", [O.INT4], O.BOOL, "pgsvce_signal_backend({0}, 'terminate')")
    add("pg_terminate_backend", [O.INT4, O.INT8], O.BOOL, "pgsvce_signal_backend({0}, 'terminate')")
    add("pg_backend_pid", [], O.INT4, "pgsvce_backend_pid()")
    return f


ENGINE_FUNCTIONS = _engine_functions()

# Functions whose effect lasts until the end of the transaction (pg_advisory_xact_lock and
# its kin, added by pgsvc.sql.pg_functions.advisory): a statement calling one is never run
# as an autocommit read, whose end no commit marks, but inside a transaction of its own.
TRANSACTION_SCOPED: set[str] = set()

# Functions returning a record of OUT columns (pg_create_logical_replication_slot, added by
# pgsvc.sql.pg_functions.replication_slots): name -> (the UDF returning its rows as a JSON
# array of arrays, [(column, type oid), ...]); in FROM they are those columns
# (pgsvc.sql.translate.from_items), in the select list the record the scalar signature returns.
RECORD_OUT: dict[str, tuple[str, list[tuple[str, int]]]] = {}
