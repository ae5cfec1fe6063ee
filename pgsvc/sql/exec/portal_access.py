"""SQL cursors as the extended protocol's portals (mixed into the Engine).

In PostgreSQL a DECLAREd cursor and a portal made by Bind are one kind of object in one
namespace: Describe (portal) gives a cursor's RowDescription, Execute fetches from it
with its row limit (PortalSuspended when the limit was reached, as pquery.c's PortalRun:
PostgreSQL does not look ahead), Close (portal) closes it, and a Bind or DECLARE of a
name taken by the other fails with 42P03. The backend keeps its own portals and asks
the engine for the rest through these methods; it registers its portal and statement
dictionaries (protocol_portals, protocol_statements) so that DECLARE and the
pg_prepared_statements view see them.
"""

from __future__ import annotations

import datetime as _dt

from pglast import enums

from pgsvc.sql.catalog.system.session_views import count_plan
from pgsvc.sql.commands.cursors import FETCH_ALL, Cursor, fetch_from


class NoProtocolPortals:
    """An engine without a client's protocol portals (until the session registers its own,
    pgsvc.backend.extended.PortalsForSql): what FETCH, MOVE, CLOSE and DECLARE consult."""

    def __contains__(self, name) -> bool:
        return False

    def columns(self, name: str):
        return None

    def fetch(self, name: str, forward: bool, count: int, skip: int = 0) -> list:
        raise KeyError(name)

    def close(self, name: str) -> bool:
        return False


class PortalAccess:
    """Engine methods for the backend's extended-protocol flow (see the module docstring)."""

    cursors: dict
    sql_prepared: dict
    protocol_portals: NoProtocolPortals
    script_text: str | None
    fctx: object
    txn: object
    planner_settings: dict

    def sql_statement(self, name: str):
        """The statement SQL PREPAREd as `name`, or None (the protocol's Bind, Describe and
        Parse share PostgreSQL's one namespace of prepared statements)."""
        return self.sql_prepared.get(name)

    def count_plan(self, plans: list, stmt) -> None:
        """Bind of a protocol statement: the plan PostgreSQL would use, for
        pg_prepared_statements' generic_plans / custom_plans."""
        count_plan(plans, stmt.command, len(stmt.param_oids), self.planner_settings.get("plan_cache_mode", "auto"))

    def begin_statement(self) -> None:
        """An extended-protocol Execute starts: statement_timestamp() is its time (a simple
        query's is set by parse_script)."""
        self.fctx.statement_start = _dt.datetime.now(_dt.UTC)
        self.script_text = None  # not a simple query's statement (source_text, in_transaction_block)

    def in_transaction_block(self) -> bool:
        """PostgreSQL's IsTransactionBlock(): BEGIN's block, or the implicit one of a
        multi-statement simple query (not an extended-protocol batch)."""
        return self.txn.block or self.txn.implicit and self.script_text is not None

    def source_text(self, stmt) -> str:
        """The client's query string a statement came from (pg_cursors.statement,
        pg_prepared_statements.statement): the whole simple query, as PostgreSQL shows it."""
        src = self.script_text
        if src is not None and stmt.sql != src and stmt.sql and stmt.sql in src:
            return src
        return stmt.sql

    def cursor_columns(self, name: str):
        """(columns, format code) of the DECLAREd cursor `name`, or None if there is none.
        Always text: BINARY applies to a simple query's FETCH only, as in PostgreSQL."""
        c = self.cursors.get(name)
        if c is None:
            return None
        return c.stmt.columns, 0

    def cursor_execute(self, name: str, max_rows: int) -> tuple[list, bool]:
        """Execute (portal) on a cursor: up to max_rows rows forward (0: all). Returns
        (rows, completed); not completed means PortalSuspended."""
        c = self.cursors[name]
        count = max_rows if max_rows > 0 else FETCH_ALL
        rows, n = fetch_from(c, enums.FetchDirection.FETCH_FORWARD, count)
        return rows, c.at_end if isinstance(c, Cursor) else n < count

    def cursor_close(self, name: str) -> bool:
        c = self.cursors.pop(name, None)
        if c is None:
            return False
        c.result.close()
        return True
