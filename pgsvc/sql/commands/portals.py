"""SQL-level prepared statements (PREPARE / EXECUTE / DEALLOCATE) and cursors
(DECLARE / FETCH / MOVE / CLOSE).

Cursors (pgsvc.sql.commands.cursors) read the lazily iterated SQLite cursor of their
query; they live until CLOSE or the end of their transaction (WITH HOLD cursors are
materialised at commit, as PostgreSQL does). Protocol-level prepared statements and
portals are the backend's; these are the SQL commands of the same names, and a cursor's
name is also a portal's for the protocol (the engine's cursor_* methods).
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.api import EngineContext
from pgsvc.sql.catalog.system.session_views import count_plan
from pgsvc.sql.commands.cursors import (FETCH_ALL, OPT_HOLD, OPT_NO_SCROLL, OPT_SCROLL, Cursor, backward_capable,
                                        fetch_from, raising, settle)
from pgsvc.sql.statement import Result, Statement, utility_statement
from pgsvc.sql.translate.typenames import type_from_typename
from pgsvc.sql.translate.wcte import has_dml_cte
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sqlite import sqlite3

# --- PREPARE / EXECUTE / DEALLOCATE --------------------------------------------------

def prepare_stmt(engine: EngineContext, tr, text, node: ast.PrepareStmt) -> Statement:
    oids = [type_from_typename(t, tr)[0] for t in node.argtypes or ()]
    inner = engine.translate_stmt(text, node.query, oids, None)

    def run(e, s, p):
        if node.name in e.sql_prepared or node.name in e.protocol_statements:
            raise SqlError("42P05", f'prepared statement "{node.name}" already exists')
        e.sql_prepared[node.name] = inner
        inner.extra["prepared_as"] = (e.source_text(s), e.fctx.statement_start, [0, 0])  # pg_prepared_statements
        return Result(None, [], "PREPARE")
    return utility_statement(text, "PREPARE", run, cacheable=False)


def execute_stmt(engine: EngineContext, tr, text, node: ast.ExecuteStmt) -> Statement:
    tr.cacheable = False  # it holds the statement now PREPAREd under the name (DEALLOCATE, PREPARE again)
    inner = engine.sql_prepared.get(node.name)
    if inner is None and node.name in engine.protocol_statements:  # one namespace with Parse's
        inner = engine.protocol_statements[node.name].stmt
    if inner is None:
        raise SqlError("26000", f'prepared statement "{node.name}" does not exist')
    args = list(node.params or ())
    if len(args) != len(inner.param_oids):
        raise SqlError("42601", f"wrong number of parameters for prepared statement \"{node.name}\"",
                       detail=f"Expected {len(inner.param_oids)} parameters but got {len(args)}.")
    exprs = [tr.coerce(tr.expr(a), oid, context="a") for a, oid in zip(args, inner.param_oids)]
    select = "SELECT " + ", ".join(x.sql for x in exprs) if exprs else None

    def run(e, s, p):
        plans = inner.extra.get("prepared_as", (None, None, [0, 0]))[2]
        count_plan(plans, inner.command, len(inner.param_oids), e.planner_settings.get("plan_cache_mode", "auto"))
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


def deallocate_all(engine: EngineContext) -> None:
    """DEALLOCATE ALL (and DISCARD ALL): SQL's prepared statements and the protocol's named
    ones, one namespace in PostgreSQL (the unnamed statement is not among them)."""
    engine.sql_prepared.clear()
    unnamed = engine.protocol_statements.get("")
    engine.protocol_statements.clear()
    if unnamed is not None:
        engine.protocol_statements[""] = unnamed


def deallocate_stmt(engine: EngineContext, tr, text, node: ast.DeallocateStmt) -> Statement:
    def run(e, s, p):
        if node.name is None:
            deallocate_all(e)
            return Result(None, [], "DEALLOCATE ALL")
        if e.sql_prepared.pop(node.name, None) is None and \
                (not node.name or e.protocol_statements.pop(node.name, None) is None):
            raise SqlError("26000", f'prepared statement "{node.name}" does not exist')
        return Result(None, [], "DEALLOCATE")
    return utility_statement(text, "DEALLOCATE" + (" ALL" if node.name is None else ""), run, cacheable=False)


# --- cursors ---------------------------------------------------------------------

def declare_stmt(engine: EngineContext, tr, text, node: ast.DeclareCursorStmt) -> Statement:
    options = node.options
    if options & OPT_SCROLL and options & OPT_NO_SCROLL:
        raise SqlError("42P11", "cannot specify both SCROLL and NO SCROLL")
    # before translating: the translator may rewrite the tree (set-returning functions moved)
    scroll = bool(options & OPT_SCROLL) or not options & OPT_NO_SCROLL and backward_capable(node.query)
    inner = engine.translate_stmt(text, node.query, list(tr.param_oids), None)
    if has_dml_cte(node.query):
        raise SqlError("0A000", "DECLARE CURSOR must not contain data-modifying statements in WITH")
    if inner.sqlite_sql is None or inner.command != "SELECT":
        raise SqlError("42P11", "cannot open this query as a cursor")
    tr.privs_needed.extend(inner.extra.get("privs", ()))  # checked when DECLARE runs

    def run(e, s, p):
        if not options & OPT_HOLD and not e.txn.block:
            raise SqlError("25P01", "DECLARE CURSOR can only be used in transaction blocks")
        if node.portalname in e.cursors or node.portalname in e.protocol_portals:
            raise SqlError("42P03", f'cursor "{node.portalname}" already exists')
        values = e.bind_values(inner, p)
        if e.txn.block:
            result = _run_deferring_errors(e, inner, values)
        else:
            result = e.run_sql(inner, values)
        c = Cursor(node.portalname, inner, result, options, scroll, len(e.txn.savepoints),
                   e.source_text(s), e.fctx.statement_start)
        if not e.txn.block:
            c.materialise()  # WITH HOLD outside a block: materialised now, and held
            c.held = not e.txn.implicit  # (a multi-statement query's: once it commits)
        e.cursors[node.portalname] = c
        return Result(None, [], "DECLARE CURSOR")
    out = utility_statement(text, "DECLARE CURSOR", run, cacheable=False)
    tr.param_oids = inner.param_oids
    return out


def _run_deferring_errors(e, inner, values) -> Result:
    """Start a cursor's query (SQLite runs it up to its first row: a sort reads everything)
    as PostgreSQL opens a portal, which runs nothing: an error on the way is the first
    FETCH's (the cursor fails there and "cannot be run" after), and what the query did
    before it is undone now, as the aborted transaction would undo it."""
    if inner.writes:
        e.acquire_writer()  # first: taking it may renew a read-committed snapshot, savepoints and all
    e.ensure_open()
    e.conn.execute('SAVEPOINT "pgsvc$declare"')
    try:
        result = e.run_sql(inner, values)
    except SqlError as err:
        if err.sqlstate.startswith("57"):  # cancel, timeout, shutdown: not the query's own error
            raise
        for other in list(e.cursors.values()):
            settle(other)  # their rows read now: ROLLBACK TO aborts every statement still reading
        try:
            e.conn.execute('ROLLBACK TO "pgsvc$declare"')
            e.conn.execute('RELEASE "pgsvc$declare"')
        except sqlite3.OperationalError:
            # the savepoint went with the read snapshot a first write renews (read committed):
            # what the query did cannot be undone alone, so its error is DECLARE's
            raise err from None
        e.reload_catalog()
        return Result(inner.columns, raising(err), "SELECT")
    try:
        e.conn.execute('RELEASE "pgsvc$declare"')
    except sqlite3.OperationalError:
        pass  # gone with a renewed read snapshot, as above
    return result


def fetch_stmt(engine: EngineContext, tr, text, node: ast.FetchStmt) -> Statement:
    tr.cacheable = False  # its columns are those of the cursor now open under the name
    word = "MOVE" if node.ismove else "FETCH"
    cur = engine.cursors.get(node.portalname)
    columns = None
    if not node.ismove:
        columns = cur.stmt.columns if cur is not None else engine.protocol_portals.columns(node.portalname)

    def run(e, s, p):
        c = e.cursors.get(node.portalname)
        if c is None and node.portalname in e.protocol_portals:  # a portal made by Bind
            rows = _fetch_protocol_portal(e.protocol_portals, node)
            if node.ismove:
                return Result(None, [], "MOVE", len(rows))
            return Result(columns, rows, "FETCH", len(rows))
        if c is None:
            raise SqlError("34000", f'cursor "{node.portalname}" does not exist')
        rows, n = fetch_from(c, node.direction, node.howMany, keep=not node.ismove)
        if node.ismove:
            return Result(None, [], "MOVE", n)
        out = Result(c.stmt.columns, rows, "FETCH", n)
        if getattr(c, "binary", False):
            out.formats = (1,)  # a simple query's FETCH from a BINARY cursor (postgres.c)
        return out
    out = utility_statement(text, word, run, columns, cacheable=False)
    return out


def _fetch_protocol_portal(portals, node: ast.FetchStmt) -> list:
    """FETCH/MOVE on a protocol portal: forward only (see pgsvc.backend's PortalsForSql)."""
    d = enums.FetchDirection
    direction, n = node.direction, node.howMany
    if direction == d.FETCH_BACKWARD:
        direction, n = d.FETCH_FORWARD, -n
    if direction == d.FETCH_FORWARD and n > 0:
        return portals.fetch(node.portalname, True, -1 if n == FETCH_ALL else n)
    if direction == d.FETCH_RELATIVE and n > 0:
        return portals.fetch(node.portalname, True, 1, n - 1)
    return portals.fetch(node.portalname, False, 0)  # backward, or a re-fetch of the current row


def close_stmt(engine: EngineContext, tr, text, node: ast.ClosePortalStmt) -> Statement:
    def run(e, s, p):
        if node.portalname is None:
            for c in e.cursors.values():
                c.result.close()
            e.cursors.clear()
        else:
            c = e.cursors.pop(node.portalname, None)
            if c is not None:
                c.result.close()
            elif not e.protocol_portals.close(node.portalname):
                raise SqlError("34000", f'cursor "{node.portalname}" does not exist')
        return Result(None, [], "CLOSE CURSOR" if node.portalname else "CLOSE CURSOR ALL")
    return utility_statement(text, "CLOSE CURSOR", run, cacheable=False)


def before_rollback_to(engine: EngineContext, index: int) -> None:
    """ROLLBACK TO the savepoint at `index`: the cursors declared after it are gone, as in
    PostgreSQL; those declared before it keep their place, their remaining rows read now
    (SQLite aborts every statement still reading when a savepoint is rolled back)."""
    for name, c in list(engine.cursors.items()):
        if getattr(c, "depth", 0) > index:
            c.result.close()
            del engine.cursors[name]
        else:
            settle(c)


def end_of_transaction(engine: EngineContext, committed: bool) -> None:
    """Close the transaction's cursors; WITH HOLD cursors survive a commit, materialised, and
    once held they survive later transactions' rollbacks too (where they moved stays moved)."""
    for name, c in list(engine.cursors.items()):
        if c.hold and (committed or getattr(c, "held", False)) and not c.failed:
            settle(c)
            c.depth = 0
            c.held = True
            continue
        c.result.close()
        del engine.cursors[name]
