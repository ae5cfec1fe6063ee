"""SET CONSTRAINTS { ALL | name [, ...] } { DEFERRED | IMMEDIATE }: when the deferrable
constraints of the transaction are checked. pgsvc's deferrable constraints are constraint
triggers and foreign keys (deferrable unique constraints are refused at CREATE): this sets
when DEFERRABLE constraint triggers fire and deferrable foreign keys are checked
(exec.trigger_deferred.set_constraints, catalog.deferrable): at COMMIT or at the end of each
statement; IMMEDIATE fires the events already queued, and checks the keys' rows, now."""

from __future__ import annotations

from pglast import ast

from pgsvc.sql.api import EngineContext
from pgsvc.sql.commands.transactions import warn
from pgsvc.sql.statement import Result, Statement, utility_statement


def translate_set_constraints(engine: EngineContext, tr, text: str, node: ast.ConstraintsSetStmt) -> Statement:
    names = None if node.constraints is None else [(rv.schemaname, rv.relname) for rv in node.constraints]
    deferred = bool(node.deferred)

    def run(e, s, p) -> Result:
        if not e.txn.block:
            warn(e, "25P01", "SET CONSTRAINTS can only be used in transaction blocks")
            return Result(None, [], "SET CONSTRAINTS")
        e.set_constraints(names, deferred)
        return Result(None, [], "SET CONSTRAINTS")
    return utility_statement(text, "SET CONSTRAINTS", run)


HANDLERS = {"ConstraintsSetStmt": translate_set_constraints}

__all__ = ["HANDLERS", "translate_set_constraints"]
