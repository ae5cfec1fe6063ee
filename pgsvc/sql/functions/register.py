"""register_all: install every UDF, aggregate and collation on one SQLite connection."""

from __future__ import annotations

import sqlite3

from pgsvc.sql.functions.context import FunctionContext
from pgsvc.sql.types.storage import COLLATIONS


def register_all(conn: sqlite3.Connection, ctx: FunctionContext) -> None:
    for name, fn in COLLATIONS.items():
        conn.create_collation(name, fn)
