"""The session's own objects as PostgreSQL 15's views show them: pg_cursors (the cursors
DECLAREd in this session), pg_prepared_statements (SQL PREPARE and the protocol's named
Parse), and pg_prepared_xacts (always empty: max_prepared_transactions is 0, so no
transaction is ever prepared, as on a PostgreSQL left at its default).

Like stats.py's, they are TEMP tables refilled before each statement that reads them
(relations.py's dynamic relations). The engine's cursors (pgsvc.sql.commands.cursors),
SQL prepared statements and the backend's protocol statements (engine.protocol_statements,
registered by the session) are read as they are, without importing their modules.
"""

from __future__ import annotations

import json

from pgsvc.sql.types import oids as O
from pgsvc.sql.types.dates import timestamp_to_micros

B, T, TZ, I8, N = O.BOOL, O.TEXT, O.TIMESTAMPTZ, O.INT8, O.NAME

COLUMNS: dict[str, list[tuple[str, int]]] = {
    "pg_cursors": [("name", T), ("statement", T), ("is_holdable", B), ("is_binary", B), ("is_scrollable", B),
                   ("creation_time", TZ)],
    "pg_prepared_statements": [("name", T), ("statement", T), ("prepare_time", TZ),
                               ("parameter_types", O.ARRAY_REGTYPE), ("from_sql", B), ("generic_plans", I8),
                               ("custom_plans", I8)],
    "pg_prepared_xacts": [("transaction", O.XID), ("gid", T), ("prepared", TZ), ("owner", N), ("database", N)],
}
REL_OIDS = {"pg_cursors": 12077, "pg_prepared_xacts": 12090, "pg_prepared_statements": 12095}


_TRANSACTION_COMMANDS = frozenset({"BEGIN", "START TRANSACTION", "COMMIT", "END", "ROLLBACK", "ABORT",
                                   "SAVEPOINT", "RELEASE", "ROLLBACK TO SAVEPOINT", "PREPARE TRANSACTION",
                                   "COMMIT PREPARED", "ROLLBACK PREPARED"})


def count_plan(plans: list, command: str, nparams: int, mode: str) -> None:
    """plans = [generic, custom]: count the plan PostgreSQL's plan cache would use for one
    execution of a prepared statement (plancache.c's choose_custom_plan): generic without
    parameters and for transaction control, else custom for the first five executions
    (plan_cache_mode forcing either), then the generic plan (PostgreSQL's cost comparison
    picks it when the plans are alike, as they are for what pgsvc runs)."""
    if nparams == 0 or command in _TRANSACTION_COMMANDS or mode == "force_generic_plan":
        custom = False
    else:
        custom = mode == "force_custom_plan" or plans[1] < 5
    plans[1 if custom else 0] += 1


def _micros(value) -> int | None:
    return None if value is None else timestamp_to_micros(value)


def cursor_rows(engine) -> list[tuple]:
    return [(c.name, getattr(c, "source_text", None), int(c.hold), int(getattr(c, "binary", False)),
             int(c.scroll), _micros(getattr(c, "created", None)))  # (PL/pgSQL's portals: no text, time)
            for c in engine.cursors.values()]


def prepared_statement_rows(engine) -> list[tuple]:
    """SQL PREPARE's statements (from_sql) and the protocol's named ones, with the plans
    PostgreSQL would have used (count_plan)."""
    rows = []
    for name, p in engine.sql_prepared.items():
        source, created, plans = p.extra.get("prepared_as", (p.sql, None, [0, 0]))
        rows.append((name, source, _micros(created), json.dumps(list(p.param_oids)), 1, plans[0], plans[1]))
    for name, p in engine.protocol_statements.items():
        if name:
            rows.append((name, p.stmt.sql, _micros(p.created), json.dumps(list(p.stmt.param_oids)), 0,
                         p.plans[0], p.plans[1]))
    return rows


ENGINE_ROWS = {"pg_cursors": cursor_rows, "pg_prepared_statements": prepared_statement_rows,
               "pg_prepared_xacts": lambda engine: []}
