"""Triggers in a dump: read from pg_trigger with the server's own printer
(pg_get_triggerdef, not pretty: everything qualified under the script's empty search_path)
and written as pg_dump does, after the data and the foreign keys (its post-data section):
restoring the rows fires none of them. A trigger not in the default state keeps it with
ALTER TABLE ... ENABLE ALWAYS / ENABLE REPLICA / DISABLE TRIGGER.
"""

from __future__ import annotations

from dataclasses import dataclass

from pgsvc.client import Connection
from pgsvc.sql.quoting import quote_ident

PG_TRIGGER = 2620
_STATE = {"D": "DISABLE", "A": "ENABLE ALWAYS", "R": "ENABLE REPLICA"}


@dataclass
class Trigger:
    oid: int
    relid: int
    name: str
    enabled: str  # tgenabled
    definition: str  # pg_get_triggerdef(oid, false)


def read_triggers(conn: Connection) -> list[Trigger]:
    """The user triggers (not internal ones), by table then name, as pg_dump orders them."""
    rows = conn.query(
        "SELECT t.oid, t.tgrelid, t.tgname, t.tgenabled, pg_catalog.pg_get_triggerdef(t.oid, false) "
        "FROM pg_catalog.pg_trigger t WHERE NOT t.tgisinternal AND t.tgparentid = 0 ORDER BY t.tgrelid, t.tgname").rows
    return [Trigger(int(r[0]), int(r[1]), r[2], r[3], r[4]) for r in rows]


def trigger_statements(trigger: Trigger, table: str) -> list[str]:
    """CREATE TRIGGER, and ALTER TABLE ... (a view's too) for a trigger not enabled as created."""
    stmts = [trigger.definition + ";"]
    state = _STATE.get(trigger.enabled)
    if state is not None:
        stmts.append(f"ALTER TABLE {table} {state} TRIGGER {quote_ident(trigger.name)};")
    return stmts


__all__ = ["PG_TRIGGER", "Trigger", "read_triggers", "trigger_statements"]
