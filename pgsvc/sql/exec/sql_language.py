"""LANGUAGE sql: the handler (catalog.routines' LanguageHandler) that runs SQL function and
procedure bodies, as PostgreSQL's executor/functions.c does.

A body is one or more statements (the string after AS, or a SQL-standard `RETURN expr` /
`BEGIN ATOMIC ... END`). Each is translated once per routine, argument types, search path
and catalog version (a plan cached on the loaded Routine), with `$n` and the parameters'
names bound to SQLite parameters ?n, and run on the engine's connection — from inside the
UDF that the calling statement invoked (SQLite allows nested statements). The statements
run in order; the last one's result is the function's, coerced to the declared result type
(assignment casts, as check_sql_fn_retval): a scalar function takes the first row's first
column (no row: NULL), a SETOF function every row, a function with OUT arguments the first
row's columns, a procedure its INOUT/OUT arguments.

Errors carry PostgreSQL's CONTEXT line: 'SQL function "f" statement 2' (or "during
inlining" / "during startup"), appended after the lines of inner calls.
"""

from __future__ import annotations

import re

from pglast import ast
from pglast.stream import RawStream

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.routines import Routine, RoutineCall, body_error, body_statements, register_language
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.catalog.system import relations as pg_relations
from pgsvc.sql.commands.in_function import check_in_function, sql_function_transaction_error
from pgsvc.sql.statement import Statement
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.domains import cast_check_sql
from pgsvc.sql.translate.ex import Ex
from pgsvc.sql.translate.names import Scope
from pgsvc.sql.translate.routines import param_scope
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import format_type
from pgsvc.sql.types.composite import is_composite
from pgsvc.sql.types.usertypes import base_of, row_type_oid
from pgsvc.sqlite import sqlite3

_PARAM_RE = re.compile(r"\?(\d+)")
_DML = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt)


class Planned:
    """One translated statement of a body."""

    __slots__ = ("sql", "nparams", "rows", "command", "privs", "syscat", "writes", "fn_writes", "coerce", "relid",
                 "utility")

    def __init__(self, sql: str, rows: bool, command: str, tr) -> None:
        self.sql = sql
        self.nparams = max((int(n) for n in _PARAM_RE.findall(sql)), default=0)
        self.rows = rows
        self.command = command
        self.privs = tuple(tr.privs_needed)
        self.syscat = set(tr.syscat_used)
        self.writes = tr.writes  # (a read-only transaction refuses the statement)
        self.fn_writes = tr.fn_writes  # a routine it calls may write
        self.coerce = None  # DML RETURNING's result coercion: SQL over ?1..?n
        self.relid = 0  # DML: its table (a constraint violation's names and DETAIL)
        self.utility = None  # a utility statement (CREATE TABLE, ...): its translated Statement


def context_line(r: Routine, n: int | None, inlined: bool = False) -> str:
    kind = "function"
    where = "during inlining" if inlined else "during startup" if n is None else f"statement {n}"
    return f'SQL {kind} "{r.name}" {where}'


def add_context(err: SqlError, line: str) -> SqlError:
    err.context = f"{err.context}\n{line}" if err.context else line
    return err


def mismatch(declared: str, detail: str) -> SqlError:
    return SqlError("42P13", f"return type mismatch in function declared to return {declared}", detail=detail)


class SqlLanguage:
    """The `sql` language handler (registered at import)."""

    # --- validation at CREATE -----------------------------------------------------------

    def validate(self, engine, r: Routine) -> None:
        if any(t in (O.ANYELEMENT, O.ANYARRAY, O.ANYNONARRAY, O.ANYENUM, O.ANYCOMPATIBLE, O.ANYCOMPATIBLEARRAY,
                     O.ANYCOMPATIBLENONARRAY, O.ANYRANGE, O.ANYMULTIRANGE, O.ANYCOMPATIBLERANGE,
                     O.ANYCOMPATIBLEMULTIRANGE) for t in r.all_types()):
            return  # PostgreSQL checks only the syntax of a polymorphic body (done: parsed)
        cols = r.output_columns() if r.rettype == O.RECORD or r.kind == "p" or r.rowtype is not None else []
        # a record without OUT arguments takes its columns from each call's column
        # definition list: only the statements are checked here
        known = r.rettype != O.RECORD or bool(cols)
        self.plan(engine, r, tuple(base_of(t) for t in r.argtypes), base_of(r.rettype),
                  [(n, base_of(t)) for n, t in cols], validating=True, check_result=known)

    @staticmethod
    def declared_name(engine, r: Routine, ret: int, cols: list) -> str:
        """The result type as the mismatch errors name it (a table's row type by its name)."""
        if r.rowtype is not None:
            rel = engine.catalog.by_oid.get(r.rettype)
            if rel is not None:
                return rel.name if rel.schema in engine.search_path() else f"{rel.schema}.{rel.name}"
        return format_type(ret if not cols or r.rettype != O.RECORD else O.RECORD, None)

    def may_write(self, engine, r: Routine) -> bool:
        cached = r.extra.get("may_write")
        if cached is not None:
            return cached
        r.extra["may_write"] = False  # a recursive call inside the body asks again
        try:
            stmts = body_statements(r)
        except SqlError:
            stmts = []
        if any(not isinstance(s, (ast.SelectStmt, ast.ReturnStmt)) for s in stmts):
            r.extra["may_write"] = True
            return True
        try:
            plan = self.plan(engine, r, tuple(base_of(t) for t in r.argtypes), 0, [], validating=True,
                             check_result=False)
            writes = any(p.writes or p.fn_writes for p in plan)
        except SqlError:
            writes = r.volatile == "v"
        r.extra["may_write"] = writes
        return writes

    # --- planning -------------------------------------------------------------------------

    def plan(self, engine, r: Routine, arg_oids: tuple, ret: int, cols: list, validating: bool = False,
             check_result: bool = True) -> list[Planned]:
        # (the current role too: row-level security's policies are part of a translation)
        key = (engine.catalog.version, arg_oids, ret, tuple(cols), str(engine.session.settings.get("search_path")),
               authz(engine).current_oid())
        plans = r.extra.setdefault("plans", {})
        if not validating and key in plans:
            return plans[key]
        try:
            stmts = body_statements(r)
            out = []
            for i, node in enumerate(stmts):
                last = i == len(stmts) - 1
                out.append(self.plan_statement(engine, r, node, arg_oids, ret, cols, last and check_result,
                                               validating))
        except SqlError as err:
            if validating:  # CREATE moves the position into its own text (ddl.routines.transposed)
                raise add_context(err, f'SQL function "{r.name}"') from None
            raise body_error(r, err, "during startup") from None
        if check_result and not stmts and ret not in (O.VOID, 0) and r.kind == "f":
            err = mismatch(format_type(ret, None), "Function's final statement must be SELECT or "
                                                   "INSERT/UPDATE/DELETE RETURNING.")
            raise add_context(err, f'SQL function "{r.name}"') if validating else err
        if not validating:
            if len(plans) > 50:
                plans.clear()
            plans[key] = out
        return out

    def plan_statement(self, engine, r: Routine, node, arg_oids, ret: int, cols: list, last: bool,
                       validating: bool = False) -> Planned:
        tr = Translator(engine, engine.catalog, [])
        params = [Ex(f"?{i + 1}", t) for i, t in enumerate(arg_oids)]
        tr.routine_params = params
        tr.scope = Scope(parent=param_scope(r, params))
        if isinstance(node, ast.ReturnStmt):
            node = ast.SelectStmt(targetList=(ast.ResTarget(val=node.returnval),), op=0, limitOption=0)
        if isinstance(node, ast.SelectStmt) and node.intoClause is None:
            q = tr.select(node)
            p = Planned(q.sql, True, "SELECT", tr)
            if last:
                p.sql = self.result_sql(tr, r, q.sql, [c.oid for c in q.columns], ret, cols,
                                        self.declared_name(engine, r, ret, cols))
            return p
        if isinstance(node, _DML):
            d = {ast.InsertStmt: tr.insert, ast.UpdateStmt: tr.update, ast.DeleteStmt: tr.delete,
                 ast.MergeStmt: tr.merge}[type(node)](node)
            if d.trigger_spec is not None and d.trigger_spec["k"] == "W":
                engine.ensure_wcte_sink()  # d.sql inserts into it (exec.wcte: data-modifying WITH queries)
            p = Planned(d.sql, d.returning is not None, d.command, tr)
            p.writes = True
            p.relid = d.relation.oid if getattr(d, "trigger_spec", None) is None else 0
            if last and self.returns_value(r, ret, cols):
                if d.returning is None:
                    raise self.final_statement_error(r, ret)
                p.coerce = self.result_coercion(tr, r, [c.oid for c in d.returning], ret, cols,
                                                declared=self.declared_name(engine, r, ret, cols))
            return p
        if last and self.returns_value(r, ret, cols):
            raise self.final_statement_error(r, ret)
        txn = sql_function_transaction_error(node)
        if txn is not None:  # (accepted at CREATE: refused when the function starts)
            if validating:
                return Planned("", False, "", tr)
            raise txn
        # a utility statement (DDL, SET, ...): translated now, run by the engine when its turn comes
        p = Planned("", False, "", tr)
        p.utility = engine.translate_stmt(RawStream()(node), node, [], None)
        p.command, p.writes = p.utility.command, True
        return p

    @staticmethod
    def returns_value(r: Routine, ret: int, cols: list) -> bool:
        return bool(cols) or ret not in (O.VOID, 0)

    def final_statement_error(self, r: Routine, ret: int) -> SqlError:
        return mismatch(format_type(ret or O.RECORD, None), "Function's final statement must be SELECT or "
                                                            "INSERT/UPDATE/DELETE RETURNING.")

    def result_sql(self, tr, r: Routine, sql: str, got: list[int], ret: int, cols: list, declared: str) -> str:
        if not self.returns_value(r, ret, cols):
            return sql
        exprs = self.result_coercion(tr, r, got, ret, cols, prefix="q.c", declared=declared)
        return f"SELECT {', '.join(f'{e} AS c{i}' for i, e in enumerate(exprs))} FROM ({sql}) AS q"

    def result_coercion(self, tr, r: Routine, got: list[int], ret: int, cols: list, prefix: str = "?",
                        declared: str = "") -> list[str]:
        """The final statement's columns coerced to the declared result (check_sql_fn_retval)."""
        want = [t for _, t in cols] if cols else [ret]
        declared = declared or format_type(ret if not cols or r.rettype != O.RECORD else O.RECORD, None)
        whole = self.whole_row(r, got)
        if whole:  # one column of the declared row type: its fields are the result's columns
            ref = f"{prefix}0" if prefix == "q.c" else "?1"
            return [f"pgsvc_row_field({ref}, {i}, {t})" for i, t in enumerate(want)]
        if len(got) > len(want):
            raise mismatch(declared, "Final statement must return exactly one column." if not cols
                           else "Final statement returns too many columns.")
        if len(got) < len(want):
            raise mismatch(declared, "Final statement returns too few columns.")
        out = []
        mods = r.rowtype_mods if r.rowtype is not None and len(r.rowtype_mods) == len(want) else [-1] * len(want)
        doms = r.rowtype_domains if r.rowtype is not None and len(r.rowtype_domains) == len(want) else []
        for i, (g, w) in enumerate(zip(got, want)):
            ref = f"{prefix}{i}" if prefix == "q.c" else f"?{i + 1}"
            if mods[i] >= 0 and R.can_coerce(g, w, "a"):  # a table's column: its typmod too
                out.append(tr.coerce(Ex(ref, g), w, mods[i], context="a").sql)
            elif g == w or g == O.UNKNOWN and w == O.TEXT:
                out.append(ref)
            elif not R.can_coerce(g, w, "a"):
                if cols:
                    raise mismatch(declared, f"Final statement returns {format_type(g, None)} instead of "
                                   f"{format_type(w, None)} at column {i + 1}.")
                raise mismatch(declared, f"Actual return type is {format_type(g, None)}.")
            else:
                out.append(tr.coerce(Ex(ref, g), w, context="a").sql)
            if doms and doms[i] and g != doms[i]:  # a field of a domain type: its constraints
                out[-1] = cast_check_sql(tr.engine, doms[i], w, mods[i], out[-1])
        return out

    @staticmethod
    def whole_row(r: Routine, got: list[int]) -> int:
        """The row type a function returns (a table's or a CREATE TYPE composite) when its
        final statement's one column is a value of it (check_sql_fn_retval), else 0."""
        if r.rowtype is None or len(got) != 1:
            return 0
        rt = r.rettype if is_composite(r.rettype) else row_type_oid(r.rettype)
        return rt if base_of(got[0]) == rt else 0

    # --- calls ------------------------------------------------------------------------------

    def call(self, engine, call: RoutineCall):
        r = call.routine
        plan = self.plan(engine, r, call.arg_oids, call.ret_oid, call.columns)
        values = call.args
        rows: list = []
        for n, p in enumerate(plan, 1):
            try:
                rows = self.run(engine, p, values)
            except SqlError as err:
                raise add_context(err, context_line(r, n, call.inlined)) from None
        if r.kind == "p" and not call.columns:
            return None
        if r.retset:
            return [] if call.ret_oid == O.VOID else rows  # SETOF void: no rows, as PostgreSQL
        if not self.returns_value(r, call.ret_oid, call.columns):
            return None
        if not rows:
            return None
        return rows[0] if call.columns else rows[0][0]

    def run(self, engine, p: Planned, values: list) -> list:
        if p.utility is not None:
            check_in_function(p.utility.node)
            engine.execute(p.utility, [])
            return []
        if p.privs:
            authz(engine).check_statement(p.privs)
        if p.writes and engine.read_only_now():
            raise SqlError("25006", f"cannot execute {p.command} in a read-only transaction")
        if p.syscat:
            pg_relations.refresh(engine, p.syscat)
        try:
            cur = engine.conn.execute(p.sql, values[:p.nparams])
            rows = cur.fetchall() if p.rows else []
        except sqlite3.Error as e:
            err = map_error(e, engine)
            if err.sqlstate.startswith("23") and p.relid:  # PostgreSQL's names and DETAIL
                stmt = Statement(p.sql, p.command)
                stmt.sqlite_sql, stmt.extra["relid"] = p.sql, p.relid
                err = engine.explain_violation(err, stmt, values[:p.nparams])
            raise err from None
        if p.coerce is not None and rows:
            sql = "SELECT " + ", ".join(p.coerce)
            rows = [engine.conn.execute(sql, row).fetchone() for row in rows]
        return rows


register_language("sql", SqlLanguage())
