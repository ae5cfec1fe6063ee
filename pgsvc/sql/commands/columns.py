"""Result columns as the backend describes them: a translated column (a query's output
or a table's attribute) as the pgsvc.sql.api.Column of a RowDescription, with its
type's length from pg_type."""

from __future__ import annotations

from pgsvc.sql.api import Column
from pgsvc.sql.types.pg_type import find_oid


def to_column(c) -> Column:
    t = find_oid(c.oid)
    return Column(c.name, c.oid, c.typmod, c.table_oid, c.attnum, t.typlen if t else -1)
