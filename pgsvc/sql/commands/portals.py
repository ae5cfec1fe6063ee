"""SQL-level prepared statements (PREPARE / EXECUTE / DEALLOCATE) and cursors
(DECLARE / FETCH / MOVE / CLOSE).

Cursors are forward-only over the lazily iterated SQLite cursor of their query; they
live until CLOSE or the end of their transaction (WITH HOLD cursors are materialised
at commit, as PostgreSQL does). Protocol-level prepared statements and portals are the
backend's; these are the SQL commands of the same names.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.api import EngineContext
from pgsvc.sql.statement import Result, Statement, utility_statement
from pgsvc.sql.translate.typenames import type_from_typename
from pgsvc.sql.types import sqlite_adapter

_HOLD = 0x0020
_SCROLL = 0x0002
_MAX = 9223372036854775807


class Cursor:
    def __init__(self, name: str, stmt: Statement, result: Result, hold: bool, depth: int = 0) -> None:
        self.name = name
        self.stmt = stmt
        self.result = result
        self.hold = hold
        self.failed = False
        self.depth = depth  # how many savepoints were open when it was declared


# --- PREPARE / EXECUTE / DEALLOCATE --------------------------------------------------

def prepare_stmt(engine: EngineContext, tr, text, node: ast.PrepareStmt) -> Statement:
    oids = [type_from_typename(t, tr)[0] for t in node.argtypes or ()]
    inner = engine.translate_stmt(text, node.query, oids, None)

    def run(e, s, p):
        if node.name in e.sql_prepared:
            raise SqlError("42P05", f'prepared statement "{node.name}" already exists')
        e.sql_prepared[node.name] = inner
        return Result(None, [], "PREPARE")
    return utility_statement(text, "PREPARE", run, cacheable=False)


def execute_stmt(engine: EngineContext, tr, text, node: ast.ExecuteStmt) -> Statement:
    inner = engine.sql_prepared.get(node.name)
    if inner is None:
        raise SqlError("26000", f'prepared statement "{node.name}" does not exist')
    args = list(node.params or ())
    if len(args) != len(inner.param_oids):
        raise SqlError("42601", f"wrong number of parameters for prepared statement \"{node.name}\"",
                       detail=f"Expected {len(inner.param_oids)} parameters but got {len(args)}.")
    exprs = [tr.coerce(tr.expr(a), oid, context="a") for a, oid in zip(args, inner.param_oids)]
    select = "SELECT " + ", ".join(x.sql for x in exprs) if exprs else None

    def run(e, s, p):
        values = []
        if select is not None:
            row = e.conn.execute(select, e.bind_values(s.extra["args"], p) if p else []).fetchone()
            values = [sqlite_adapter(oid)[1](v) if v is not None and sqlite_adapter(oid)[1] else v
                      for oid, v in zip(inner.param_oids, row)]
        return e.execute(inner, values)
    out = utility_statement(text, inner.command, run, inner.columns, cacheable=False)
    out.writes = inner.writes
    args_stmt = Statement(text, "SELECT")
    args_stmt.param_oids = tr.param_oids
    engine.finish_types(args_stmt)
    out.extra["args"] = args_stmt
    return out


def deallocate_stmt(engine: EngineContext, tr, text, node: ast.DeallocateStmt) -> Statement:
    def run(e, s, p):
        if node.name is None:
            e.sql_prepared.clear()
            return Result(None, [], "DEALLOCATE ALL")
        if e.sql_prepared.pop(node.name, None) is None:
            raise SqlError("26000", f'prepared statement "{node.name}" does not exist')
        return Result(None, [], "DEALLOCATE")
    return utility_statement(text, "DEALLOCATE" + (" ALL" if node.name is None else ""), run, cacheable=False)


# --- cursors ---------------------------------------------------------------------

def declare_stmt(engine: EngineContext, tr, text, node: ast.DeclareCursorStmt) -> Statement:
    inner = engine.translate_stmt(text, node.query, list(tr.param_oids), None)
    if inner.sqlite_sql is None or inner.command != "SELECT":
        raise SqlError("42P11", "cannot open this query as a cursor")
    tr.privs_needed.extend(inner.extra.get("privs", ()))  # checked when DECLARE runs
    hold = bool(node.options & _HOLD)

    def run(e, s, p):
        if not hold and not e.txn.block:
            raise SqlError("25P01", "DECLARE CURSOR can only be used in transaction blocks")
        if node.portalname in e.cursors:
            raise SqlError("42P03", f'cursor "{node.portalname}" already exists')
        result = e.run_sql(inner, e.bind_values(inner, p))
        if not e.txn.block:
            result.rows = iter(list(result.rows))  # WITH HOLD outside a block: materialised now
        e.cursors[node.portalname] = Cursor(node.portalname, inner, result, hold, len(e.txn.savepoints))
        return Result(None, [], "DECLARE CURSOR")
    out = utility_statement(text, "DECLARE CURSOR", run, cacheable=False)
    tr.param_oids = inner.param_oids
    return out


def fetch_stmt(engine: EngineContext, tr, text, node: ast.FetchStmt) -> Statement:
    d = enums.FetchDirection
    if node.direction not in (d.FETCH_FORWARD, d.FETCH_ABSOLUTE, d.FETCH_RELATIVE) or \
            node.direction != d.FETCH_FORWARD and node.howMany != 1:
        raise SqlError("0A000", "only forward FETCH/MOVE is supported")
    word = "MOVE" if node.ismove else "FETCH"
    cur = engine.cursors.get(node.portalname)
    columns = cur.stmt.columns if cur is not None and not node.ismove else None

    def run(e, s, p):
        c = e.cursors.get(node.portalname)
        if c is None:
            raise SqlError("34000", f'cursor "{node.portalname}" does not exist')
        if c.failed:
            raise SqlError("55000", f'portal "{c.name}" cannot be run')
        rows = []
        n = node.howMany if node.howMany != 0 else _MAX
        try:
            for row in c.result.rows:
                rows.append(row)
                if len(rows) >= n:
                    break
        except SqlError:
            c.failed = True
            raise
        if node.ismove:
            return Result(None, [], "MOVE", len(rows))
        return Result(c.stmt.columns, rows, "FETCH", len(rows))
    out = utility_statement(text, word, run, columns, cacheable=False)
    return out


def close_stmt(engine: EngineContext, tr, text, node: ast.ClosePortalStmt) -> Statement:
    def run(e, s, p):
        if node.portalname is None:
            for c in e.cursors.values():
                c.result.close()
            e.cursors.clear()
        else:
            c = e.cursors.pop(node.portalname, None)
            if c is None:
                raise SqlError("34000", f'cursor "{node.portalname}" does not exist')
            c.result.close()
        return Result(None, [], "CLOSE CURSOR" if node.portalname else "CLOSE CURSOR ALL")
    return utility_statement(text, "CLOSE CURSOR", run, cacheable=False)


def before_rollback_to(engine: EngineContext, index: int) -> None:
    """ROLLBACK TO the savepoint at `index`: the cursors declared after it are gone, as in
    PostgreSQL; those declared before it keep their place, their remaining rows read now
    (SQLite aborts every statement still reading when a savepoint is rolled back)."""
    for name, c in list(engine.cursors.items()):
        if c.depth > index:
            c.result.close()
            del engine.cursors[name]
        elif not c.failed:
            try:
                rows = list(c.result.rows)
            except SqlError:
                c.failed = True
                continue
            c.result.close()
            c.result.rows = iter(rows)


def end_of_transaction(engine: EngineContext, committed: bool) -> None:
    """Close the transaction's cursors; WITH HOLD cursors survive a commit, materialised."""
    for name, c in list(engine.cursors.items()):
        if c.hold and committed:
            rows = list(c.result.rows)
            c.result.close()
            c.result.rows = iter(rows)
            continue
        c.result.close()
        del engine.cursors[name]
