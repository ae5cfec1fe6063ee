"""CALL procedure(args): the procedure is resolved at translation (translate.routines,
OUT arguments given as in PostgreSQL 14+), its input arguments are evaluated by one
SQLite SELECT when the statement runs, and the procedure then runs through the engine
(api.EngineContext.call_routine) outside any SQLite statement, so that a language may
end and start transactions inside it. A procedure with INOUT/OUT arguments returns them
as one row, as in PostgreSQL.
"""

from __future__ import annotations

from pglast import ast

from pgsvc.sql.api import Column
from pgsvc.sql.catalog.routines import INPUT_MODES, language_handler
from pgsvc.sql.statement import Result, Statement, utility_statement
from pgsvc.sql.types import sqlite_adapter


def translate_call(engine, tr, text, node: ast.CallStmt) -> Statement:
    call = node.funccall
    names = [n.sval for n in call.funcname]
    binding, inputs, arg_oids, ret, _ = tr.find_user_routine(call, names, procedure=True)
    r = binding.routine
    modes = r.modes()
    in_idx = [i for i, m in enumerate(modes) if m in INPUT_MODES]
    outs = [(n, arg_oids[i]) for i, (n, m) in enumerate(zip(r.names(), modes)) if m in ("o", "b")]
    inner = Statement(text, "SELECT", [])
    inner.sqlite_sql = "SELECT " + (", ".join(inputs[i].sql for i in in_idx) or "NULL")
    inner.param_oids = tr.param_oids
    engine.finish_types(inner)
    in_oids = [arg_oids[i] for i in in_idx]
    columns = [Column(n, t) for n, t in outs] or None
    oid = r.oid

    def run(e, s, p):
        routine = e.catalog.routines.get(oid, r)
        values = e.bind_values(inner, p)

        # outside a transaction block and any function, the procedure may COMMIT/ROLLBACK
        atomic = e.call_depth > 0 or e.txn.block or e.txn.implicit

        def go():
            row = e.conn.execute(inner.sqlite_sql, values).fetchone()
            return e.call_routine(routine, in_oids, ret, list(row)[:len(in_oids)], outs, atomic=atomic)
        out = e.run_atomic(go, writes=language_handler(routine.lang).may_write(e, routine))
        if not outs:
            return Result(None, [], "CALL")
        row = out if isinstance(out, tuple) else (None,) * len(outs)
        py = []
        for v, (_, t) in zip(row, outs):
            conv = sqlite_adapter(t)[1]
            py.append(conv(v) if conv is not None and v is not None else v)
        return Result(columns, [tuple(py)], "CALL")
    stmt = utility_statement(text, "CALL", run, columns, writes=False, cacheable=False)
    tr.cacheable = False
    return stmt
