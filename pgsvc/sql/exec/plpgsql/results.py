"""What a PL/pgSQL function gives back and the loops over rows (pl_exec.c's
exec_stmt_return, exec_stmt_return_next, exec_stmt_return_query, exec_stmt_fors,
exec_stmt_dynfors, exec_stmt_foreach_a).

RETURN keeps (value, type) in the frame; the handler casts it to the result type when the
function ends ("while casting return value to function's return type"). RETURN NEXT and
RETURN QUERY append rows to the frame's result set; RETURN QUERY's columns must have the
result's types exactly, as PostgreSQL requires.
"""

from __future__ import annotations

import pglast
from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.exec.plpgsql import assign
from pgsvc.sql.exec.plpgsql.control import Stmt, check_interrupts, loop_signal, run_list
from pgsvc.sql.exec.plpgsql.exprs import Expr
from pgsvc.sql.exec.plpgsql.frame import RETURN, add_context, need_rec
from pgsvc.sql.exec.plpgsql.source import OUTROW, normalize_ident
from pgsvc.sql.exec.plpgsql.sqlstmts import dynamic_statement, plan_statement, run_dynamic, run_plan, set_found
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types.arrays import dimensions, flatten
from pgsvc.sql.types.pg_type import element_of, format_type


def rec_of(c, expr) -> int | None:
    """The record variable an expression names, if it is just one (RETURN r, RETURN NEXT r)."""
    if expr is None:
        return None
    text = expr.text.strip()
    if not text or any(ch in text for ch in " ()+-*/,'|:[]\t\n"):
        return None
    dno = c.ns.lookup(normalize_ident(text))
    if dno is not None and c.func.datums[dno].kind in ("rec", "row"):
        return dno
    return None


class Return(Stmt):
    __slots__ = ("expr", "rec", "kind")
    typename = "RETURN"

    def __init__(self, lineno, expr, rec, kind) -> None:
        super().__init__(lineno)
        self.expr = expr
        self.rec = rec
        self.kind = kind  # value / rec / out / none / missing

    def run(self, fr):
        kind = self.kind
        if kind == "value":
            value = self.expr.value(fr)
            plan = self.expr.plan
            src = plan.types[0] if plan.types else O.UNKNOWN
            func = fr.func
            if value is not None and func.columns and not func.out_dnos and not func.is_trigger:
                row = assign.composite_row(fr, value, src)
                if row is not None:  # a row value: its fields are the result's columns
                    fr.result = ("rec", tuple(row[0]), row[1])
                    return RETURN
            if value is not None and (func.is_trigger and src != O.RECORD
                                      or func.rettype == O.RECORD and not assign.is_row_type(src)
                                      or func.columns and not func.out_dnos):
                raise SqlError("42804", "cannot return non-composite value from function returning composite type")
            fr.result = ("value", value, src)
        elif kind == "rec":
            d = fr.func.datums[self.rec]
            if d.kind == "row":
                fr.result = ("row", tuple(fr.values[f] for f in d.fields), None)
            else:
                rec = fr.recs[self.rec]
                if rec is None or rec.shape is None:
                    fr.result = ("value", None, O.UNKNOWN)
                else:
                    fr.result = ("rec", None if rec.values is None else tuple(rec.values), rec.shape)
        elif kind == "out":
            fr.result = ("row", tuple(fr.values[d] for d in fr.func.out_dnos), None)
        elif kind == "missing":
            fr.err_stmt = None
            fr.err_text = None
            raise SqlError("2F005", "control reached end of trigger procedure without RETURN" if fr.func.is_trigger
                           else "control reached end of function without RETURN")
        return RETURN


def build_return(c, body: dict):
    lineno = body.get("lineno", 0)
    f = c.func
    expr = c.expr(body.get("expr"), lineno)
    if expr is not None and (f.retset or f.kind != "f" or f.rettype == O.VOID or f.out_dnos):
        what = ("function returning set" if f.retset else "a procedure" if f.kind == "p"
                else "function with OUT parameters" if f.out_dnos else "function returning void")
        err = SqlError("42804", f"RETURN cannot have a parameter in {what}",
                       hint="Use RETURN NEXT or RETURN QUERY." if f.retset else None)
        raise c.positioned(err, lineno, expr.text)
    if expr is not None:
        dno = rec_of(c, expr)
        if dno is not None:
            return Return(lineno, expr, dno, "rec")
        return Return(lineno, expr, None, "value")
    if f.out_dnos and not f.retset:
        return Return(lineno, None, None, "out")
    if not lineno and f.kind == "f" and not f.retset and f.rettype != O.VOID:
        return Return(lineno, None, None, "missing")
    if f.kind == "f" and not f.retset and f.rettype not in (O.VOID, O.TRIGGER) and lineno:
        raise c.positioned(SqlError("42601", "missing expression at or near \";\""), lineno, "RETURN", ";")
    return Return(lineno, None, None, "none")


class ReturnNext(Stmt):
    __slots__ = ("expr", "rec", "out")
    typename = "RETURN NEXT"

    def __init__(self, lineno, expr, rec, out) -> None:
        super().__init__(lineno)
        self.expr = expr
        self.rec = rec
        self.out = out

    def run(self, fr):
        func = fr.func
        cols = func.columns
        if self.out:
            row = tuple(fr.values[d] for d in func.out_dnos)
        elif self.rec is not None:
            d = func.datums[self.rec]
            if d.kind == "row":
                row = tuple(fr.values[f] for f in d.fields)
            else:
                rec = need_rec(fr, self.rec)
                if cols and len(rec.shape) != len(cols):
                    raise SqlError("42804", "wrong record type supplied in RETURN NEXT",
                                   detail=f"Number of returned columns ({len(rec.shape)}) does not match "
                                          f"expected column count ({len(cols)}).")
                vals = rec.values or [None] * len(rec.shape)
                assign.check_row_type(rec.shape, func.routine, "wrong record type supplied in RETURN NEXT")
                if cols and (func.routine is None or func.routine.rowtype is None):
                    assign.check_column_types(rec.shape, cols, "wrong record type supplied in RETURN NEXT")
                if cols:
                    row = tuple(assign.cast_value(fr, v, t, (ct, -1, 0))
                                for v, (_, t, _), (_, ct) in zip(vals, rec.shape, cols))
                else:
                    row = (fr.engine.record_text(tuple(vals), [t for _, t, _ in rec.shape]),)
        elif cols:
            value = self.expr.value(fr)
            plan = self.expr.plan
            got = assign.composite_row(fr, value, plan.types[0] if plan.types else O.UNKNOWN)
            if got is None:
                raise SqlError("42804", "cannot return non-composite value from function returning composite type")
            vals, shape = got
            if shape is None:  # NULL::record
                row = (None,) * len(cols)
            else:
                if len(shape) != len(cols):
                    raise SqlError("42804", "returned record type does not match expected record type",
                                   detail=f"Number of returned columns ({len(shape)}) does not match "
                                          f"expected column count ({len(cols)}).")
                assign.check_row_type(shape, func.routine, "returned record type does not match expected record type")
                if func.routine is None or func.routine.rowtype is None:  # a column definition list's
                    assign.check_column_types(shape, cols, "returned record type does not match expected record type")
                row = tuple(assign.cast_value(fr, v, t, (ct, -1, 0)) for v, (_, t, _), (_, ct) in zip(vals, shape, cols))
        else:  # the value as computed, then cast as PL/pgSQL casts (exec_cast_value: no query position)
            value = self.expr.value(fr)
            plan = self.expr.plan
            row = (assign.cast_value(fr, value, plan.types[0] if plan.types else O.UNKNOWN, (func.rettype, -1, 0)),)
        fr.rows.append(row)
        return None


def build_return_next(c, body: dict):
    lineno = body.get("lineno", 0)
    f = c.func
    if not f.retset:
        raise c.positioned(SqlError("42804", "cannot use RETURN NEXT in a non-SETOF function"), lineno, "RETURN")
    expr = c.expr(body.get("expr"), lineno)
    if expr is not None and expr.text.strip() == OUTROW:
        return ReturnNext(lineno, None, None, True)
    if expr is not None and f.out_dnos:
        raise c.positioned(SqlError("42804", "RETURN NEXT cannot have a parameter in function with OUT "
                                             "parameters"), lineno, expr.text)
    if expr is None:
        name = c.take_return_next_target(lineno)
        dno = c.ns.lookup(name) if name else None
        if dno is None:
            raise c.positioned(SqlError("42601", "missing expression"), lineno, "RETURN")
        if f.out_dnos:
            raise c.positioned(SqlError("42804", "RETURN NEXT cannot have a parameter in function with OUT "
                                                 "parameters"), lineno, "next ", name)
        if c.func.datums[dno].kind == "var":  # RETURN NEXT of a plain variable: its value
            return ReturnNext(lineno, Expr(name, 2, c.ns, c.func, lineno), None, False)
        return ReturnNext(lineno, None, dno, False)
    return ReturnNext(lineno, expr, rec_of(c, expr), False)


class ReturnQuery(Stmt):
    __slots__ = ("query", "dynquery", "params")
    typename = "RETURN QUERY"

    def __init__(self, lineno, query, dynquery, params) -> None:
        super().__init__(lineno)
        self.query = query
        self.dynquery = dynquery
        self.params = params

    def run(self, fr):
        if self.query is not None:
            plan = plan_statement(self.query, fr)
            sp = plan.extra
            if sp.kind == "utility" or sp.kind == "dml" and not sp.types:
                raise add_context(no_tuples(self.query.statement_node(), sp.command), self.query.context_line())
            rows, count = run_plan(fr, self.query, plan)
            types = sp.types
            try:
                check_result_types(fr.func, types)
            except SqlError as err:
                raise add_context(err, self.query.context_line()) from None
        else:
            text, stmt, values = dynamic_statement(fr, self.dynquery, self.params)
            if stmt.columns is None:
                raise add_context(no_tuples(pglast.parse_sql(text)[0].stmt, stmt.command), f'SQL statement "{text}"')
            rows, count, types = run_dynamic(fr, text, stmt, values)
        check_result_types(fr.func, types)
        fr.rows.extend(rows)
        fr.row_count = count
        set_found(fr, count > 0)
        return None


def no_tuples(node, command: str | None) -> SqlError:
    """RETURN QUERY of a statement that gives no rows (SPI's must_return_tuples): its
    command tag names it."""
    if isinstance(node, ast.SelectStmt) and node.intoClause is not None or \
            isinstance(node, ast.CreateTableAsStmt) and node.is_select_into:
        name = "SELECT INTO"
    elif isinstance(node, ast.CreateTableAsStmt):
        name = "CREATE MATERIALIZED VIEW" if node.objtype == enums.ObjectType.OBJECT_MATVIEW else "CREATE TABLE AS"
    else:
        name = command or "???"
    return SqlError("42601", f"{name} query does not return tuples")


def check_result_types(func, types: list[int]) -> None:
    want = [t for _, t in func.columns] if func.columns else [func.rettype]
    if len(types) != len(want):
        raise SqlError("42804", "structure of query does not match function result type",
                       detail=f"Number of returned columns ({len(types)}) does not match expected column count "
                              f"({len(want)}).")
    for i, (got, exp) in enumerate(zip(types, want), 1):
        if got != exp and exp not in (O.RECORD, O.ANYELEMENT):
            raise SqlError("42804", "structure of query does not match function result type",
                           detail=f"Returned type {format_type(got, None)} does not match expected type "
                                  f"{format_type(exp, None)} in column {i}.")


def build_return_query(c, body: dict):
    lineno = body.get("lineno", 0)
    if not c.func.retset:
        raise c.positioned(SqlError("42804", "cannot use RETURN QUERY in a non-SETOF function"), lineno, "RETURN")
    params = [c.expr(p, lineno) for p in body.get("params", ())]
    return ReturnQuery(lineno, c.expr(body.get("query"), lineno), c.expr(body.get("dynquery"), lineno), params)


# --- loops over rows -----------------------------------------------------------------------

def loop_rows(fr, stmt, rows, types, names, typmods) -> object:
    found = False
    out = None
    for row in rows:
        found = True
        assign.move_row(fr, stmt.target, row, types, names, typmods)
        check_interrupts(fr)
        sig = run_list(fr, stmt.body)
        if sig is not None:
            stop, out = loop_signal(sig, stmt.label)
            if stop:
                break
    set_found(fr, found)
    return out


class ForS(Stmt):
    __slots__ = ("label", "target", "query", "body")
    typename = "FOR over SELECT rows"

    def __init__(self, lineno, label, target, query, body) -> None:
        super().__init__(lineno)
        self.label = label
        self.target = target
        self.query = query
        self.body = body

    def run(self, fr):
        plan = plan_statement(self.query, fr)
        sp = plan.extra
        rows, _ = run_plan(fr, self.query, plan)
        return loop_rows(fr, self, rows, sp.types, sp.names, sp.typmods)


class DynFors(Stmt):
    __slots__ = ("label", "target", "query", "params", "body")
    typename = "FOR over EXECUTE statement"

    def __init__(self, lineno, label, target, query, params, body) -> None:
        super().__init__(lineno)
        self.label = label
        self.target = target
        self.query = query
        self.params = params
        self.body = body

    def run(self, fr):
        text, stmt, values = dynamic_statement(fr, self.query, self.params)
        if stmt.columns is None:
            raise SqlError("42601", "cannot open a query that returns no rows")
        rows, _, types = run_dynamic(fr, text, stmt, values)
        return loop_rows(fr, self, rows, types, [c.name for c in stmt.columns], None)


def build_fors(c, body: dict):
    label = body.get("label")
    lineno = body.get("lineno", 0)
    query = c.expr(body.get("query"), lineno)
    target = c.target(body.get("var"))
    c.push(label, "loop")
    try:
        return ForS(lineno, label, target, query, c.stmts(body.get("body")))
    finally:
        c.pop()


def build_dynfors(c, body: dict):
    label = body.get("label")
    lineno = body.get("lineno", 0)
    query = c.expr(body.get("query"), lineno)
    params = [c.expr(p, lineno) for p in body.get("params", ())]
    target = c.target(body.get("var"))
    c.push(label, "loop")
    try:
        return DynFors(lineno, label, target, query, params, c.stmts(body.get("body")))
    finally:
        c.pop()


class ForEachA(Stmt):
    __slots__ = ("label", "target", "slice", "expr", "body")
    typename = "FOREACH over array"

    def __init__(self, lineno, label, target, slice_, expr, body) -> None:
        super().__init__(lineno)
        self.label = label
        self.target = target
        self.slice = slice_
        self.expr = expr
        self.body = body

    def run(self, fr):
        value = self.expr.value(fr)
        oid = self.expr.plan.types[0] if self.expr.plan.types else O.UNKNOWN
        elem = element_of(oid)
        if not elem:
            raise SqlError("42804", f"FOREACH expression must yield an array, not type {format_type(oid, None)}")
        if value is None:
            raise SqlError("22004", "FOREACH expression must not be null")
        from_stored = sqlite_adapter(oid)[1]
        items = from_stored(value) if from_stored else value
        ndims = len(dimensions(items)) if items else 0
        if self.slice < 0 or self.slice > ndims:
            raise SqlError("2202E", f"slice dimension ({self.slice}) is out of the valid range 0..{ndims}")
        d = fr.func.datums[self.target]
        if self.slice > 0 and not element_of(d.oid):
            raise SqlError("42804", "FOREACH ... SLICE loop variable must be of an array type")
        if self.slice == 0 and d.kind == "var" and element_of(d.oid) and not element_of(elem):
            raise SqlError("42804", "FOREACH loop variable must not be of an array type")
        to_elem = sqlite_adapter(elem)[0]
        to_arr = sqlite_adapter(oid)[0]
        if self.slice == 0 and d.kind != "var" and assign.is_row_type(elem):
            pieces = [(to_elem(v) if to_elem and v is not None else v, None) for v in flatten(items)]
        elif self.slice == 0:
            pieces = [(to_elem(v) if to_elem and v is not None else v, elem) for v in flatten(items)]
        else:
            pieces = [(to_arr(p) if to_arr else p, oid) for p in slices(items, ndims - self.slice - 1)]
        out = None
        found = False
        for v, t in pieces:
            found = True
            if t is None:  # a composite element into a record or a list of variables: its fields
                vals, shape = assign.composite_row(fr, v, elem)
                assign.move_row(fr, self.target, vals if v is not None else None, [x for _, x, _ in shape or ()],
                                [n for n, _, _ in shape or ()], [tm for _, _, tm in shape or ()])
            else:
                assign.move_row(fr, self.target, (v,), [t], [""])
            check_interrupts(fr)
            sig = run_list(fr, self.body)
            if sig is not None:
                stop, out = loop_signal(sig, self.label)
                if stop:
                    break
        set_found(fr, found)  # whether it looped at least once, as FOR loops say
        return out


def slices(items: list, depth: int) -> list:
    """The sub-arrays `depth` levels down (each a slice of the remaining dimensions); the
    whole array when depth is -1 (SLICE of all its dimensions)."""
    if depth < 0:
        return [items]
    level = items
    for _ in range(depth):
        level = [x for sub in level for x in sub]
    return level


def build_foreach(c, body: dict):
    label = body.get("label")
    lineno = body.get("lineno", 0)
    c.push(label, "loop")
    try:
        return ForEachA(lineno, label, body.get("varno", 0), body.get("slice", 0), c.expr(body.get("expr"), lineno),
                        c.stmts(body.get("body")))
    finally:
        c.pop()


BUILDERS = {
    "PLpgSQL_stmt_return": build_return,
    "PLpgSQL_stmt_return_next": build_return_next,
    "PLpgSQL_stmt_return_query": build_return_query,
    "PLpgSQL_stmt_fors": build_fors,
    "PLpgSQL_stmt_dynfors": build_dynfors,
    "PLpgSQL_stmt_foreach_a": build_foreach,
}

__all__ = ["BUILDERS", "check_result_types"]
