"""LISTEN/NOTIFY's SQL functions: pg_notify(text, text), pg_listening_channels() and
pg_notification_queue_usage(), over the engine's AsyncNotify (pgsvc.sql.commands.listen,
reached as engine.async_notify). Their signatures are added when this module is imported;
register(conn, engine) installs the UDFs (pgsvc.sql.pg_functions.register).
"""

from __future__ import annotations

import json

from pgsvc.sql.functions.context import reporting_sql_errors
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS, EXTRA_FUNCTIONS, TRANSACTION_SCOPED
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.types import oids as O


def register(conn, engine) -> None:
    conn.create_function("pgsvce_notify", 2, reporting_sql_errors(engine.fctx, lambda c, p: _notify(engine, c, p)))
    conn.create_function("pgsvce_listening_channels", 0,
                         lambda: json.dumps(engine.async_notify.listening_channels(), ensure_ascii=False))
    conn.create_function("pgsvce_notification_queue_usage", 0,
                         reporting_sql_errors(engine.fctx, lambda: engine.async_notify.queue_usage()))


def _notify(engine, channel, payload) -> str:
    engine.async_notify.notify(channel, payload)
    return ""  # void's output is the empty string, not NULL


def _install_signatures() -> None:
    """The translator's signatures of these functions (once, at import)."""
    # pg_notify is not strict: a NULL channel is its own error, a NULL payload means ''
    ENGINE_FUNCTIONS.setdefault("pg_notify", []).append(
        FuncSig("pg_notify", (O.TEXT, O.TEXT), O.VOID, "pgsvce_notify({0}, {1})", "scalar", 0, False, "v"))
    # its notification is sent when the transaction commits: a SELECT pg_notify(...) outside
    # a block runs in a transaction of its own (never as an autocommit read, whose end no
    # commit marks: an Execute row-limited and left at Sync would have kept it pending)
    TRANSACTION_SCOPED.add("pg_notify")
    ENGINE_FUNCTIONS.setdefault("pg_notification_queue_usage", []).append(
        FuncSig("pg_notification_queue_usage", (), O.FLOAT8, "pgsvce_notification_queue_usage()",
                "scalar", 0, True, "v"))
    # set-returning, its rows read when the statement runs (translate.from_items: a 'set'
    # signature whose emit returns a JSON array)
    EXTRA_FUNCTIONS.setdefault("pg_listening_channels", []).append(
        FuncSig("pg_listening_channels", (), O.TEXT, "pgsvce_listening_channels()", "set", 0, True, "s"))


_install_signatures()
