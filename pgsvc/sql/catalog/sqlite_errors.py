"""sqlite3 exceptions -> SqlError with PostgreSQL's SQLSTATE and message text.

Constraint failures are reported by SQLite with table/column names
("UNIQUE constraint failed: public.t.id"); the catalog turns them back into
PostgreSQL's constraint names ("t_pkey"). A UDF's stashed error
(FunctionContext.pending_error) always wins over SQLite's generic text. Raw
"database is locked" never reaches a client.
"""

from __future__ import annotations

import re

from pgsvc.errors import SqlError
from pgsvc.sql.functions.context import interrupt_error
from pgsvc.sql.types import usertypes as U
from pgsvc.sqlite import sqlite3

SQLITE_BUSY = 5
SQLITE_BUSY_SNAPSHOT = 517
SQLITE_INTERRUPT = 9


def map_error(e: Exception, engine, relation_hint=None) -> SqlError:
    pending = engine.fctx.take_error()
    if pending is not None:
        return pending
    if isinstance(e, SqlError):
        return e
    session = getattr(engine, "session", None)
    reason = session.cancel_flag() if session is not None else None
    if reason:
        # an interrupt ended the statement (the progress handler, or a callback that the
        # signal handler interrupted, whatever SQLite then said): report it as itself
        return interrupt_error(reason)
    msg = str(e)
    code = getattr(e, "sqlite_errorcode", None)
    if code == SQLITE_BUSY_SNAPSHOT or code == SQLITE_BUSY and stale_snapshot(engine):
        return SqlError("40001", "could not serialize access due to concurrent update")
    if code is not None and code & 0xFF == SQLITE_BUSY or "database is locked" in msg:
        return SqlError("55P03", "could not obtain lock on database: another writer is active")
    if code is not None and code & 0xFF == SQLITE_INTERRUPT or msg == "interrupted":
        return engine.cancel_error()
    if msg in _WINDOW_ARGUMENT_ERRORS:
        return SqlError(*_WINDOW_ARGUMENT_ERRORS[msg])
    if msg == "ON clause references tables to its right":
        # SQLite's rule for RIGHT and FULL JOIN nested in parentheses, which PostgreSQL has not
        return SqlError("0A000", "this nesting of RIGHT or FULL JOIN is not supported")
    if msg.startswith("misuse of aggregate"):
        # an aggregate over outer columns only belongs to the outer query (as in PostgreSQL),
        # where the translator, which does not track levels, let it stand in a clause that
        # allows none: in PostgreSQL's regression tests a LATERAL subquery in FROM
        return SqlError("42803", "aggregate functions are not allowed in FROM clause of their own query level")
    if msg.startswith(("circular reference: cte_", "multiple recursive references: cte_")) \
            or msg == "recursive aggregate queries not supported":
        # a recursive term PostgreSQL accepts (checked by translate.recursion) but SQLite
        # cannot run: its reference wrapped in a sub-SELECT, e.g. under a WITH of its own
        return SqlError("0A000", "this form of recursive term (its reference to the WITH query inside "
                                 "a nested WITH or subquery) is not supported")
    if isinstance(e, sqlite3.IntegrityError):
        return integrity_error(msg, engine)
    if "integer overflow" in msg:
        return SqlError("22003", "bigint out of range")
    if "too many terms in compound SELECT" in msg or "too many columns" in msg:
        return SqlError("54000", msg)
    if "not authorized" in msg:
        return SqlError("42501", "permission denied")
    return SqlError("XX000", f"internal error: {msg}")


# SQLite's built-in window functions check their count argument themselves
_WINDOW_ARGUMENT_ERRORS = {
    "argument of ntile must be a positive integer": ("22014", "argument of ntile must be greater than zero"),
    "second argument to nth_value must be a positive integer":
        ("22016", "argument of nth_value must be greater than zero"),
    "frame starting offset must be a non-negative integer": ("22013", "frame starting offset must not be negative"),
    "frame ending offset must be a non-negative integer": ("22013", "frame ending offset must not be negative"),
    # (RANGE's: PostgreSQL's in_range functions say it so)
    "frame starting offset must be a non-negative number": ("22013", "invalid preceding or following size in "
                                                                     "window function"),
    "frame ending offset must be a non-negative number": ("22013", "invalid preceding or following size in "
                                                                   "window function"),
}


def stale_snapshot(engine) -> bool:
    """SQLITE_BUSY while this backend holds the writer lock inside a transaction: no other
    pgsvc writer can hold SQLite's write lock (the writer lock serialises them), so SQLite
    refused to upgrade a read snapshot that another writer's commit made stale
    (SQLITE_BUSY_SNAPSHOT, which pgsvc.sqlite's module reports by its primary code)."""
    lock = getattr(engine, "lock", None)
    conn = getattr(engine, "conn", None)
    return bool(lock is not None and lock.held and conn is not None and conn.in_transaction)


_UNIQUE = re.compile(r"UNIQUE constraint failed: (.*)")
_UNIQUE_INDEX = re.compile(r"UNIQUE constraint failed: index '(.*)'$")
_NOTNULL = re.compile(r"NOT NULL constraint failed: (.*)\.(.*)")
_CHECK = re.compile(r"CHECK constraint failed: (.*)")


def integrity_error(msg: str, engine) -> SqlError:
    cat = engine.catalog
    m = _UNIQUE_INDEX.match(msg)
    if m:  # an index of expressions or a partial one: SQLite names the index
        for r in cat.by_oid.values():
            for ix in r.indexes:
                if ix.sqlite_name == m.group(1):
                    return SqlError("23505", f'duplicate key value violates unique constraint "{ix.name}"',
                                    schema=r.schema, table=r.name, constraint=ix.name)
    m = _UNIQUE.match(msg)
    if m:
        cols = [c.strip() for c in m.group(1).split(",")]
        table = cols[0].rsplit(".", 1)[0]
        names = [c.rsplit(".", 1)[1] for c in cols]
        rel = _rel_by_sqlite(cat, table)
        con_name = None
        if rel is not None:
            for ix in rel.indexes:
                if ix.unique and [rel.attr_by_num(k).name for k in ix.keys if isinstance(k, int)] == names:
                    con_name = ix.name
                    break
        return SqlError("23505", f'duplicate key value violates unique constraint "{con_name or names[0]}"',
                        schema=rel.schema if rel else None,
                        table=rel.name if rel else None, constraint=con_name)
    m = _NOTNULL.match(msg)
    if m:
        rel = _rel_by_sqlite(cat, m.group(1))
        col = m.group(2)
        return SqlError("23502", f'null value in column "{col}" of relation "{rel.name if rel else m.group(1)}" '
                        "violates not-null constraint",
                        schema=rel.schema if rel else None, table=rel.name if rel else None, column=col)
    m = _CHECK.match(msg)
    if m:
        name = m.group(1)
        domain_error = domain_violation(name, engine)
        if domain_error is not None:
            return domain_error
        if name.startswith("pgsvc$part$") and name[11:].isdigit():  # a partition's constraint (ddl.sqlite_schema)
            rel = cat.by_oid.get(int(name[11:]))
            return SqlError("23514", f'new row for relation "{rel.name if rel else "?"}" violates partition '
                            "constraint", constraint=name, schema=rel.schema if rel else None,
                            table=rel.name if rel else None)
        rel = None
        for r in cat.by_oid.values():
            if any(c.name == name and c.contype == "c" for c in r.constraints):
                rel = r
                break
        return SqlError("23514", f'new row for relation "{rel.name if rel else "?"}" violates check constraint '
                        f'"{name}"', constraint=name, schema=rel.schema if rel else None,
                        table=rel.name if rel else None)
    if "FOREIGN KEY constraint failed" in msg:
        return SqlError("23503", "insert or update on table violates foreign key constraint")
    return SqlError("23000", msg)


def domain_violation(name: str, engine) -> SqlError | None:
    """The SQLite CHECK named by translate.domains' column_check_clauses as PostgreSQL's error."""
    parts = name.split("$")
    if len(parts) < 3 or parts[0] != "pgsvc" or parts[1] not in ("dom", "domnn"):
        return None
    ut = U.find(int(parts[2]))
    label = U.display_name(ut.oid) if ut else parts[2]
    schema = ut.schema if ut else None
    datatype = ut.name if ut else None
    if parts[1] == "domnn":
        return SqlError("23502", f"domain {label} does not allow null values", schema=schema, datatype=datatype)
    conname = "$".join(parts[3:])
    return SqlError("23514", f'value for domain {label} violates check constraint "{conname}"',
                    schema=schema, constraint=conname, datatype=datatype)


def _rel_by_sqlite(cat, sqlite_name: str):
    for rel in cat.by_oid.values():
        if rel.sqlite_name == sqlite_name:
            return rel
    return None
