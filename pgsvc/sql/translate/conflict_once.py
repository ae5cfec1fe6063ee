"""INSERT ... ON CONFLICT DO UPDATE: PostgreSQL refuses (21000) to affect one row twice in a
command; SQLite's upsert would update it once per proposed row. The rows proposed are checked
up front for duplicate non-NULL values of the conflict target's columns (their source run
once, MATERIALIZED; the trailing WHERE 1 keeps SQLite from reading ON CONFLICT as a join's
ON); a single-row VALUES needs no check. (PostgreSQL lets a duplicate pass when the first
row's DO UPDATE ... WHERE was false; this check refuses it.)"""
from __future__ import annotations

_MSG = "ON CONFLICT DO UPDATE command cannot affect row a second time"
_HINT = "Ensure that no rows proposed for insertion within the same command have duplicate constrained values."


def conflict_columns(rel, oc) -> list[str] | None:
    """The conflict target's column names, or None when it cannot be told here (left to
    on_conflict's own errors)."""
    infer = oc.infer
    if infer is None:
        return None
    if infer.conname:
        con = next((c for c in rel.constraints if c.name == infer.conname), None)
        if con is None:
            return None
        return [rel.attr_by_num(k).name for k in con.keys]
    cols = [e.name for e in infer.indexElems or ()]
    return None if not cols or any(c is None for c in cols) else cols


def conflict_once_source(rel, oc, source: str, names: list[str], alias: str) -> str:
    """`source` (rows in `names`' order) raising 21000 when two of its rows share the conflict
    target's values; `source` as is when a target column is not given (its default decides)."""
    cols = conflict_columns(rel, oc)
    if not cols or any(c not in names for c in cols):
        return source
    cn = ", ".join(f"c{i}" for i in range(len(names)))
    keys = [f"c{names.index(c)}" for c in cols]
    notnull = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    dup = f"SELECT 1 FROM {alias} WHERE {notnull} GROUP BY {', '.join(keys)} HAVING count(*) > 1"
    test = f"CASE WHEN EXISTS ({dup}) THEN pgsvce_raise_hint('21000', '{_MSG}', '{_HINT}') ELSE 1 END"
    return f"SELECT {cn} FROM (WITH {alias}({cn}) AS MATERIALIZED ({source}) SELECT * FROM {alias} " \
           f"WHERE {test}) AS {alias} WHERE 1"


__all__ = ["conflict_columns", "conflict_once_source"]
