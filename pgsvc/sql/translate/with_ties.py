"""FETCH FIRST n ROWS WITH TIES: the first n rows after OFFSET in the ORDER BY's order and
every further row that ties with the last of them, as PostgreSQL's Limit node returns them.
SQLite has no such clause; the rows are numbered and ranked over the ORDER BY keys, and a row
is kept when its number is past the offset and its rank (the number of its peer group's first
row) within offset + n."""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.types import oids as O


def with_ties(tr, node: ast.SelectStmt, targets: list, names: list[str], head: str, rest: str) -> str:
    """The statement for a plain SELECT with WITH TIES: `head` is 'SELECT [DISTINCT] ', `rest`
    its FROM ... HAVING."""
    items = [tr.sort_parts(s, targets, names, inline=True) for s in node.sortClause or ()]
    if not items:
        raise SqlError("42601", "WITH TIES cannot be specified without ORDER BY clause")
    count = tr.coerce(tr.expr(node.limitCount), O.INT8)
    if count.is_null:
        raise SqlError("2201W", "row count cannot be null in FETCH FIRST ... WITH TIES clause")
    offset = tr.coerce(tr.expr(node.limitOffset), O.INT8).sql if node.limitOffset is not None else "0"
    sel = ", ".join(f"{t.sql} AS c{i}" for i, t in enumerate(targets)) or "NULL AS c0"
    keys = "".join(f", {e} AS o{i}" for i, (e, _) in enumerate(items))
    window = "ORDER BY " + ", ".join(f"o{i}{sfx}" for i, (_, sfx) in enumerate(items))
    outer = ", ".join(f"c{i}" for i in range(len(targets))) or "c0"
    return (f"SELECT {outer} FROM (SELECT *, row_number() OVER ({window}) AS pgsvc_rn, "
            f"rank() OVER ({window}) AS pgsvc_rk FROM ({head}{sel}{keys}{rest})) "
            f"WHERE pgsvc_rn > coalesce({offset}, 0) AND pgsvc_rk <= coalesce({offset}, 0) + "
            f"{count.sql} ORDER BY pgsvc_rn")
