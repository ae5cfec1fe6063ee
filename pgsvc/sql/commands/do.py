"""DO [LANGUAGE name] 'code' (PostgreSQL's ExecuteDoStmt): an anonymous code block, run by
its language's handler (catalog.routines' registry) as a routine of OID 0 named
inline_code_block that takes no arguments and returns nothing. Outside a transaction
block and any function it may end the transaction (PL/pgSQL's COMMIT / ROLLBACK), as a
procedure CALLed there may. Command tag DO.
"""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.api import EngineContext
from pgsvc.sql.catalog import routines as CR
from pgsvc.sql.statement import Result, Statement, utility_statement
from pgsvc.sql.types import oids as O

PG_CATALOG_OID = 11


def translate_do(engine: EngineContext, tr, text: str, node: ast.DoStmt) -> Statement:
    source, lang = None, "plpgsql"
    for arg in node.args or ():
        if arg.defname == "as":
            source = arg.arg.sval
        elif arg.defname == "language":
            lang = arg.arg.sval
    if source is None:
        raise SqlError("42601", "no inline code specified")
    if lang not in CR.LANGUAGE_OIDS:
        raise SqlError("42704", f'language "{lang}" does not exist')
    if lang != "plpgsql" or not CR.has_language(lang):
        raise SqlError("0A000", f'language "{lang}" does not support inline code execution')

    def run(e, s, p):
        routine = CR.Routine(0, "pg_catalog", PG_CATALOG_OID, "inline_code_block", kind="p", lang=lang,
                             src=source, rettype=O.VOID)
        handler = CR.language_handler(lang)
        atomic = e.call_depth > 0 or e.txn.block or e.txn.implicit
        try:
            e.run_atomic(lambda: e.call_routine(routine, (), 0, [], atomic=atomic),
                         writes=handler.may_write(e, routine))
        except SqlError as err:
            if getattr(err, "pl_compile", False) and err.position is not None:
                raise transposed(err, text, source) from None
            raise
        return Result(None, [], "DO")
    tr.cacheable = False
    return utility_statement(text, "DO", run, None, writes=False, cacheable=False)


def transposed(err: SqlError, text: str, source: str) -> SqlError:
    """A compilation error's position in the block moved into the DO statement, as
    PostgreSQL's function_parse_error_transpose does (its place in the source text)."""
    at = text.find(source)
    if at >= 0:
        err.position = at + err.position
        err.context = None
    else:
        err.internal_position, err.internal_query, err.position = err.position, source, None
    return err


__all__ = ["translate_do"]
