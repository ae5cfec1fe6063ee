"""PL/pgSQL's SQL statements (pl_exec.c's exec_stmt_execsql, exec_stmt_perform,
exec_stmt_dynexecute, exec_stmt_getdiag, exec_stmt_call, exec_stmt_commit/rollback):
a SELECT / INSERT / UPDATE / DELETE of the body (variables as parameters, INTO [STRICT]
with PostgreSQL's NO_DATA_FOUND / TOO_MANY_ROWS), a utility statement (run as a statement
of its own), PERFORM, EXECUTE ... [INTO] [USING], GET [STACKED] DIAGNOSTICS, CALL, and
COMMIT / ROLLBACK in a procedure called outside a transaction block.

Every statement sets FOUND and ROW_COUNT as PostgreSQL does; a run-time error in one gets
the CONTEXT line `SQL statement "..."` under the lines of what it called.
"""

from __future__ import annotations

import re

import pglast
from pglast import ast

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.catalog.system import relations as pg_relations
from pgsvc.sql.commands.in_function import check_in_function
from pgsvc.sql.exec.plpgsql import assign
from pgsvc.sql.exec.plpgsql.control import Stmt
from pgsvc.sql.exec.plpgsql.exprs import Expr, Plan
from pgsvc.sql.exec.plpgsql.frame import add_context
from pgsvc.sql.exec.plpgsql.misc import to_text
from pgsvc.sql.statement import Statement
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sqlite import sqlite3

_PARAM_RE = re.compile(r"\?(\d+)")
_DML = {ast.InsertStmt: "insert", ast.UpdateStmt: "update", ast.DeleteStmt: "delete", ast.MergeStmt: "merge"}


class SqlPlan:
    """A translated statement of the body."""

    __slots__ = ("kind", "sql", "command", "types", "names", "typmods", "privs", "syscat", "writes", "relid",
                 "stmt", "trigger_spec")

    def __init__(self, kind: str) -> None:
        self.kind = kind  # select / dml / utility
        self.sql = ""
        self.command = "SELECT"
        self.types: list[int] = []
        self.names: list[str] = []
        self.typmods: list[int] = []
        self.privs = ()
        self.syscat: set = set()
        self.writes = False
        self.relid = 0
        self.stmt: Statement | None = None  # a utility statement
        self.trigger_spec = None  # DML on a relation with triggers (exec.trigger_dml)


def set_found(fr, found: bool) -> None:
    fr.values[fr.func.found_dno] = 1 if found else 0


def plan_statement(expr: Expr, fr, node=None) -> Plan:
    """Translate expr (a statement) with the frame's variables; cached on the Expr."""
    plan = expr.plan
    if plan is not None and expr.valid(fr, plan):
        return plan
    engine = fr.engine
    plan = Plan("", engine.catalog.version)
    node = node if node is not None else expr.statement_node()
    sp = SqlPlan("utility")
    try:
        if isinstance(node, ast.SelectStmt) and node.intoClause is None:
            tr = expr.translator(fr, plan)
            q = tr.select(node)
            sp.kind, sp.sql = "select", q.sql
            sp.types = [c.oid for c in q.columns]
            sp.typmods = [c.typmod for c in q.columns]
            sp.names = [c.name for c in q.columns]
        elif type(node) in _DML:
            tr = expr.translator(fr, plan)
            d = getattr(tr, _DML[type(node)])(node)
            sp.kind, sp.sql, sp.command = "dml", d.sql, d.command
            sp.relid = d.relation.oid
            sp.trigger_spec = d.trigger_spec
            if d.returning is not None:
                sp.types = [c.oid for c in d.returning]
                sp.typmods = [c.typmod for c in d.returning]
                sp.names = [c.name for c in d.returning]
            sp.writes = True
        else:
            if isinstance(node, ast.TransactionStmt):
                raise SqlError("0A000", "unsupported transaction command in PL/pgSQL")
            sp.stmt = engine.translate_stmt(expr.text, node, [], None)
            sp.command = sp.stmt.command
            plan.sql = ""
            plan.extra = sp
            expr.plan = plan
            return plan
    except SqlError as err:
        raise expr.analysis_error(fr, err, 0, plan) from None
    sp.privs = tuple(tr.privs_needed)
    sp.syscat = set(tr.syscat_used)
    sp.writes = sp.writes or tr.writes
    plan.sql = sp.sql
    plan.extra = sp
    expr.finish(fr, plan)
    expr.plan = plan
    return plan


def run_plan(fr, expr: Expr, plan: Plan, limit: int | None = None) -> tuple[list, int]:
    """Run a planned SELECT / DML: (rows, processed count)."""
    engine = fr.engine
    sp: SqlPlan = plan.extra
    if sp.kind == "utility":
        return run_utility(fr, expr, sp)
    if sp.privs:
        authz(engine).check_statement(sp.privs)
    if sp.writes and engine.read_only_now():
        raise add_context(SqlError("25006", f"cannot execute {sp.command} in a read-only transaction"),
                          expr.context_line())
    if sp.syscat:
        pg_relations.refresh(engine, sp.syscat)
    if plan.fills:
        expr.fill(fr, plan)
    values = fr.values[:plan.n]
    fr.sql_ctx = expr.context_line()
    try:
        if sp.trigger_spec is not None:
            engine.tg_failed = None
            return engine.run_trigger_dml(sp.trigger_spec, values)
        cur = engine.conn.execute(plan.sql, values)
        if sp.kind == "select":
            rows = cur.fetchall() if limit is None else cur.fetchmany(limit)
            return rows, len(rows)
        if sp.types:
            rows = cur.fetchall()
            return rows, len(rows)
        return [], max(cur.rowcount, 0)
    except (sqlite3.Error, SqlError) as e:
        err = e if isinstance(e, SqlError) else map_error(e, engine)
        if err.sqlstate.startswith("23") and sp.trigger_spec is not None and engine.tg_failed is not None \
                and not err.detail:
            err = engine.explain_failed_write(err)
        elif err.sqlstate.startswith("23") and sp.relid:
            stmt = Statement(expr.text, sp.command)
            stmt.sqlite_sql, stmt.extra["relid"] = plan.sql, sp.relid
            err = engine.explain_violation(err, stmt, values)
        if engine.sequences.advanced and engine.conn.in_transaction:
            engine.sequences.reapply()
        raise add_context(err, expr.context_line()) from None
    finally:
        fr.sql_ctx = None


def run_utility(fr, expr: Expr, sp: SqlPlan) -> tuple[list, int]:
    engine = fr.engine
    fr.sql_ctx = expr.context_line()
    try:
        check_in_function(sp.stmt.node)
        result = engine.execute(sp.stmt, [])
        rows = list(result.rows) if result.columns is not None else []
    except SqlError as err:
        raise add_context(err, expr.context_line()) from None
    finally:
        fr.sql_ctx = None
    if result.columns is not None:
        return rows, len(rows)
    return [], processed(result)


def processed(result) -> int:
    """The row count of a statement's result, from its command tag (INSERT 0 5, UPDATE 3)."""
    last = result.tag(0).rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def no_destination(command: str) -> SqlError:
    return SqlError("42601", "query has no destination for result data",
                    hint="If you want to discard the results of a SELECT, use PERFORM instead."
                    if command == "SELECT" else None)


def into_rows(fr, rows: list, strict: bool, mod: bool, target: int, types, names, typmods,
              dynamic: bool = False, params=None) -> None:
    """SELECT / RETURNING ... INTO [STRICT] target (EXECUTE's TOO_MANY_ROWS has no hint).
    params: the query's parameters as print_strict_params shows them, made when needed."""
    detail = None
    if not rows:
        if strict:
            if fr.func.print_strict_params and params is not None:
                detail = params()
            raise SqlError("P0002", "query returned no rows", detail=detail)
        assign.move_row(fr, target, None, types, names, typmods)
        return
    extra = fr.func.too_many_rows if not dynamic else None
    if len(rows) > 1 and (strict or mod or extra):
        if fr.func.print_strict_params and params is not None:
            detail = params()
        hint = None if dynamic else "Make sure the query returns a single row, or use LIMIT 1."
        if strict or mod or extra == "ERROR":
            raise SqlError("P0003", "query returned more than one row", detail=detail, hint=hint)
        fr.engine.session.notice(SqlNotice("query returned more than one row", sqlstate="P0003", severity="WARNING",
                                           detail=detail, hint=hint, context=fr.stack_context()))
    assign.move_row(fr, target, rows[0], types, names, typmods)


def params_detail(fr, plan: Plan):
    """print_strict_params' DETAIL: the variables a query uses, in their order."""
    def make():
        func = fr.func
        shown = []
        for p in sorted({int(n) for n in _PARAM_RE.findall(plan.sql)}):
            dno = p - 1
            if dno < len(func.datums) and func.datums[dno].kind == "var":
                d = func.datums[dno]
                shown.append(f"{d.name} = {quoted(to_text(fr, fr.values[dno], d.oid))}")
        return "parameters: " + ", ".join(shown) if shown else None
    return make


def quoted(text: str | None) -> str:
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"


class ExecSql(Stmt):
    __slots__ = ("expr", "into", "strict", "target")
    typename = "SQL statement"

    def __init__(self, lineno, expr, into, strict, target) -> None:
        super().__init__(lineno)
        self.expr = expr
        self.into = into
        self.strict = strict
        self.target = target

    def run(self, fr):
        expr = self.expr
        plan = plan_statement(expr, fr)
        sp = plan.extra
        limit = None
        if self.into and sp.kind == "select":
            limit = 2 if self.strict or fr.func.too_many_rows else 1
        rows, count = run_plan(fr, expr, plan, limit)
        fr.row_count = count
        if self.into:
            if not sp.types and sp.kind != "select":
                raise SqlError("42601", "INTO used with a command that cannot return data")
            into_rows(fr, rows, self.strict, sp.kind == "dml", self.target, sp.types, sp.names, sp.typmods,
                      params=params_detail(fr, plan))
            set_found(fr, bool(rows))
            return None
        if sp.kind == "select" or sp.kind == "dml" and sp.types:
            raise no_destination(sp.command if sp.kind == "select" else "")
        if sp.kind == "dml":
            set_found(fr, count > 0)
        return None


def build_execsql(c, body: dict):
    lineno = body.get("lineno", 0)
    expr = c.expr(body.get("sqlstmt"), lineno)
    special = c.cursor_statement(expr, lineno, body)
    if special is not None:
        return special
    return ExecSql(lineno, expr, bool(body.get("into")), bool(body.get("strict")), c.target(body.get("target")))


class Perform(Stmt):
    __slots__ = ("expr",)
    typename = "PERFORM"

    def __init__(self, lineno, expr) -> None:
        super().__init__(lineno)
        self.expr = expr

    def run(self, fr):
        plan = plan_statement(self.expr, fr)
        rows, count = run_plan(fr, self.expr, plan)
        fr.row_count = count
        set_found(fr, count > 0)
        return None


def build_perform(c, body: dict):
    lineno = body.get("lineno", 0)
    expr = c.expr(body.get("expr"), lineno)
    special = c.cursor_marker(expr, lineno)
    if special is not None:
        return special
    return Perform(lineno, expr)


# --- EXECUTE ---------------------------------------------------------------------------------

def dynamic_statement(fr, query: Expr, params: list[Expr]):
    """EXECUTE's string parsed and translated with the USING values' types: (Statement,
    stored values)."""
    text = query.value(fr, (O.TEXT, -1, 0))
    if text is None:
        raise SqlError("22004", "query string argument of EXECUTE is null")
    values, oids = [], []
    for p in params:
        values.append(p.value(fr))
        oids.append(p.plan.types[0] if p.plan.types else O.TEXT)
    engine = fr.engine
    try:
        raws = pglast.parse_sql(text)
    except pglast.parser.ParseError as e:
        loc = e.args[1] if len(e.args) > 1 and isinstance(e.args[1], int) else len(text)
        err = SqlError("42601", e.args[0])
        err.internal_query, err.internal_position = text, loc + 1
        raise err from None
    if len(raws) != 1:
        raise SqlError("0A000", "EXECUTE of several statements in one string is not supported")
    try:
        stmt = engine.translate_stmt(text, raws[0].stmt, oids, None)
    except SqlError as err:
        if err.position is not None:
            err.internal_query, err.internal_position, err.position = text, err.position, None
        raise
    return text, stmt, values


def run_dynamic(fr, text: str, stmt: Statement, values: list) -> tuple[list, int, list]:
    """(stored rows, processed, column types)."""
    engine = fr.engine
    fr.sql_ctx = f'SQL statement "{text}"'
    try:
        check_in_function(stmt.node)
        if stmt.sqlite_sql is not None and stmt.handler is None:
            if "privs" in stmt.extra:
                authz(engine).check_statement(stmt.extra["privs"])
            if stmt.writes and engine.read_only_now():
                raise SqlError("25006", f"cannot execute {stmt.command} in a read-only transaction")
            if stmt.extra.get("syscat"):
                pg_relations.refresh(engine, stmt.extra["syscat"])
            try:
                cur = engine.conn.execute(stmt.sqlite_sql, values[:stmt.max_param])
                if stmt.columns is not None:
                    rows = cur.fetchall()
                    return rows, len(rows), [c.type_oid for c in stmt.columns]
                return [], max(cur.rowcount, 0), []
            except (sqlite3.Error, SqlError) as e:
                err = map_error(e, engine)
                if err.sqlstate.startswith("23") and stmt.extra.get("relid"):  # PostgreSQL's names and DETAIL
                    err = engine.explain_violation(err, stmt, values[:stmt.max_param])
                raise err from None
        py = []
        for v, oid in zip(values, stmt.param_oids):
            conv = sqlite_adapter(oid)[1]
            py.append(conv(v) if conv is not None and v is not None else v)
        result = engine.execute(stmt, py)
        if result.columns is None:
            return [], processed(result), []
        rows = []
        convs = [sqlite_adapter(c.type_oid)[0] for c in result.columns]
        for row in result.rows:
            rows.append(tuple(cv(v) if cv is not None and v is not None else v for cv, v in zip(convs, row)))
        return rows, len(rows), [c.type_oid for c in result.columns]
    except SqlError as err:
        raise add_context(err, f'SQL statement "{text}"') from None
    finally:
        fr.sql_ctx = None


class DynExecute(Stmt):
    __slots__ = ("query", "into", "strict", "target", "params")
    typename = "EXECUTE"

    def __init__(self, lineno, query, into, strict, target, params) -> None:
        super().__init__(lineno)
        self.query = query
        self.into = into
        self.strict = strict
        self.target = target
        self.params = params

    def run(self, fr):
        text, stmt, values = dynamic_statement(fr, self.query, self.params)
        if stmt.command in ("BEGIN", "START TRANSACTION", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"):
            raise SqlError("0A000", "EXECUTE of transaction commands is not implemented")
        rows, count, types = run_dynamic(fr, text, stmt, values)
        fr.row_count = count
        if self.into:
            if stmt.columns is None:
                raise SqlError("42601", "INTO used with a command that cannot return data")
            names = [c.name for c in stmt.columns]

            def shown():
                return "parameters: " + ", ".join(
                    f"${i} = {quoted(to_text(fr, v, t))}" for i, (v, t) in
                    enumerate(zip(values, stmt.param_oids), 1)) if values else None
            into_rows(fr, rows, self.strict, False, self.target, types, names, None, dynamic=True, params=shown)
        return None  # (EXECUTE sets GET DIAGNOSTICS' ROW_COUNT, not FOUND)


def build_dynexecute(c, body: dict):
    lineno = body.get("lineno", 0)
    special = c.cursor_dynamic(body, lineno)
    if special is not None:
        return special
    params = [c.expr(p, lineno) for p in body.get("params", ())]
    return DynExecute(lineno, c.expr(body.get("query"), lineno), bool(body.get("into")),
                      bool(body.get("strict")), c.target(body.get("target")), params)


# --- GET DIAGNOSTICS -------------------------------------------------------------------------

class GetDiag(Stmt):
    __slots__ = ("stacked", "items")

    def __init__(self, lineno, stacked, items) -> None:
        super().__init__(lineno)
        self.stacked = stacked
        self.items = items

    @property
    def typename(self) -> str:
        return "GET STACKED DIAGNOSTICS" if self.stacked else "GET DIAGNOSTICS"

    def run(self, fr):
        err = None
        if self.stacked:
            if not fr.handled:
                raise SqlError("0Z002", "GET STACKED DIAGNOSTICS cannot be used outside an exception handler")
            err = fr.handled[-1]
        for kind, dno in self.items:
            value, oid = self.item(fr, kind, err)
            assign.VarTarget(fr.func.datums[dno]).assign(fr, value, oid)
        return None

    def item(self, fr, kind: str, err):
        if kind == "ROW_COUNT":
            return fr.row_count, O.INT8
        if kind == "PG_CONTEXT":
            return fr.stack_context(), O.TEXT
        fields = {"RETURNED_SQLSTATE": "sqlstate", "MESSAGE_TEXT": "message", "PG_EXCEPTION_DETAIL": "detail",
                  "PG_EXCEPTION_HINT": "hint", "COLUMN_NAME": "column", "CONSTRAINT_NAME": "constraint",
                  "PG_DATATYPE_NAME": "datatype", "TABLE_NAME": "table", "SCHEMA_NAME": "schema"}
        if kind == "PG_EXCEPTION_CONTEXT":
            stack = None if getattr(err, "pl_complete", False) else getattr(err, "pl_stack", None)
            parts = [p for p in (err.context, stack) if p]
            return "\n".join(parts), O.TEXT
        value = getattr(err, fields.get(kind, ""), None)
        return (value if value is not None else ""), O.TEXT


def build_getdiag(c, body: dict):
    items = [(i["PLpgSQL_diag_item"].get("kind"), i["PLpgSQL_diag_item"].get("target", 0))
             for i in body.get("diag_items", ())]
    lineno = body.get("lineno", 0)
    for _, dno in items:
        d = c.func.datums[dno]
        if d.kind in ("row", "rec") or d.kind == "var" and d.oid != O.RECORD and assign.is_row_type(d.oid):
            raise c.positioned(SqlError("42601", f'"{d.name}" is not a scalar variable'), lineno, "diagnostics",
                               d.name)
    return GetDiag(lineno, bool(body.get("is_stacked")), items)


# --- transaction control ---------------------------------------------------------------------

class TxnEnd(Stmt):
    __slots__ = ("commit", "chain")

    def __init__(self, lineno, commit, chain) -> None:
        super().__init__(lineno)
        self.commit = commit
        self.chain = chain

    @property
    def typename(self) -> str:
        return "COMMIT" if self.commit else "ROLLBACK"

    def run(self, fr):
        engine = fr.engine
        if fr.atomic:
            raise SqlError("2D000", "invalid transaction termination")
        if engine.txn.savepoints:
            raise SqlError("2D000", "cannot commit while a subtransaction is active" if self.commit
                           else "cannot roll back while a subtransaction is active")
        if self.commit:
            engine.sqlite_commit()
        else:
            engine.sqlite_rollback()
        engine.acquire_writer()
        engine.ensure_open()
        return None


def build_commit(c, body: dict):
    return TxnEnd(body.get("lineno", 0), True, bool(body.get("chain")))


def build_rollback(c, body: dict):
    return TxnEnd(body.get("lineno", 0), False, bool(body.get("chain")))


BUILDERS = {
    "PLpgSQL_stmt_execsql": build_execsql,
    "PLpgSQL_stmt_perform": build_perform,
    "PLpgSQL_stmt_dynexecute": build_dynexecute,
    "PLpgSQL_stmt_getdiag": build_getdiag,
    "PLpgSQL_stmt_commit": build_commit,
    "PLpgSQL_stmt_rollback": build_rollback,
}

__all__ = ["BUILDERS", "plan_statement", "run_plan", "dynamic_statement", "run_dynamic", "set_found",
           "into_rows", "SqlPlan"]
