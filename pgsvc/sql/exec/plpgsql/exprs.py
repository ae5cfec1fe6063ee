"""The SQL inside a PL/pgSQL body: each expression or query is translated once (when it
first runs, then kept with the statement) by the SQL layer's own translator, with the
variables it can see as typed parameters, as PostgreSQL substitutes them (plpgsql's
parser hooks): a variable is the parameter ?(dno+1) of its type, a record field the slot
Function.field_slot gives it, `$n` the n-th argument. A plan records the catalog version
and the shapes of the records it read; it is made again when either changed.

Evaluation runs the translated SQL on the engine's connection with the frame's values as
parameters. Constants and plain variable copies need no SQL at all.

Errors: an analysis error (unknown column, no such function...) carries PostgreSQL's
internal query and position (the expression's text, psql's QUERY: line); a run-time error
of an expression that is not "simple" (one that reads tables or runs a subquery, which
PostgreSQL runs through SPI) gets the CONTEXT line `SQL expression "..."` (`PL/pgSQL
assignment "..."`, `SQL statement "..."`) under the inner ones.
"""

from __future__ import annotations

import re

import pglast
from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.exec.plpgsql.fastpath import compile_fast
from pgsvc.sql.exec.plpgsql.frame import add_context
from pgsvc.sql.exec.plpgsql.source import tokens_of
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.domains import cast_check_sql
from pgsvc.sql.translate.ex import Ex, location
from pgsvc.sql.translate.names import ColInfo, RangeEntry, Scope
from pgsvc.sql.translate.composites import composite_base
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U
from pgsvc.sql.types.composite import fields_of
from pgsvc.sqlite import sqlite3

_PARAM_RE = re.compile(r"\?(\d+)")
_CONST_RE = re.compile(r"^(-?\d+(\.\d+)?|'(?:[^']|'')*'|NULL)$")
_COPY_RE = re.compile(r"^\?(\d+)$")
PREFIX = "SELECT "


class Plan:
    """One translation of an Expr."""

    __slots__ = ("sql", "n", "fills", "shapes", "version", "simple", "types", "names", "const", "copy",
                 "node", "extra", "fast", "row_types")

    def __init__(self, sql: str, version: int) -> None:
        self.sql = sql
        self.n = 0
        self.fills: list[tuple] = []  # (slot, rec dno, field index or None for the record's text)
        self.shapes: dict[int, tuple] = {}
        self.version = version
        self.simple = False
        self.types: list[int] = []
        self.names: list[str] = []
        self.const = None  # (value,) when the expression is a constant
        self.copy = -1  # the slot of a plain variable copy
        self.node = None
        self.extra = None  # statement kinds keep their own (sqlstmts.py)
        self.fast = None  # integer / boolean expressions computed in Python (fastpath.py)
        self.row_types = None  # an anonymous record's fields' types, when the expression says them


def is_simple_select(node) -> bool:
    """A SELECT of one expression and nothing else (PostgreSQL's "simple expression")."""
    return (isinstance(node, ast.SelectStmt) and node.targetList and len(node.targetList) == 1
            and not node.fromClause and node.whereClause is None and not node.groupClause
            and node.havingClause is None and not node.sortClause and node.limitCount is None
            and node.limitOffset is None and node.distinctClause is None and node.withClause is None
            and not node.windowClause and node.intoClause is None and not node.lockingClause
            and not node.valuesLists and node.op.name == "SETOP_NONE" and not _has(node, ast.SubLink))


def _has(node, cls) -> bool:
    if isinstance(node, cls):
        return True
    if isinstance(node, ast.Node):
        return any(_has(getattr(node, attr), cls) for attr in node)
    if isinstance(node, (list, tuple)):
        return any(_has(x, cls) for x in node)
    return False


def shift_tg_argv(node) -> None:
    """TG_ARGV counts from 0 in PostgreSQL (its lower bound is 0); the SQL layer's arrays
    count from 1: TG_ARGV[i] is read as element i + 1 (the tree is changed in place)."""
    def plus_one(x):
        return ast.A_Expr(kind=enums.A_Expr_Kind.AEXPR_OP, name=(ast.String(sval="+"),), lexpr=x,
                          rexpr=ast.A_Const(isnull=False, val=ast.Integer(ival=1)), location=-1)

    def walk(n):
        if isinstance(n, ast.A_Indirection) and isinstance(n.arg, ast.ColumnRef) and \
                [getattr(f, "sval", None) for f in n.arg.fields] == ["tg_argv"]:
            for ind in n.indirection or ():
                if isinstance(ind, ast.A_Indices):
                    if ind.uidx is not None:
                        ind.uidx = plus_one(ind.uidx)
                    if ind.lidx is not None:
                        ind.lidx = plus_one(ind.lidx)
        if isinstance(n, ast.Node):
            for attr in n:
                walk(getattr(n, attr))
        elif isinstance(n, (list, tuple)):
            for x in n:
                walk(x)
    walk(node)


def split_assignment(text: str) -> tuple[str, int]:
    """'x := expr' / 'a[1] = expr' -> (target text, offset of expr in text)."""
    depth = 0
    for t in tokens_of(text):
        if t.name in ("ASCII_40", "ASCII_91"):
            depth += 1
        elif t.name in ("ASCII_41", "ASCII_93"):
            depth -= 1
        elif depth == 0 and t.name in ("COLON_EQUALS", "ASCII_61"):
            return text[:t.start].strip(), t.end
    return text, len(text)


class Expr:
    """One SQL piece of a body (PLpgSQL_expr): its text, parse mode (0 a statement, 2 an
    expression, 3-5 an assignment) and the names it can see."""

    __slots__ = ("text", "mode", "ns", "func", "lineno", "plan", "body_offset", "_node", "in_use")

    def __init__(self, text: str, mode: int, ns, func, lineno: int = 0) -> None:
        self.text = text
        self.mode = mode
        self.ns = ns
        self.func = func
        self.lineno = lineno
        self.plan: Plan | None = None
        self.body_offset = 0  # where the expression starts inside text (assignments)
        self._node = None
        self.in_use = 0  # evaluations in progress (a recursive function's)

    # --- parsing -----------------------------------------------------------------------

    def expression_text(self) -> str:
        if self.mode >= 3:
            _, off = split_assignment(self.text)
            self.body_offset = off
            return self.text[off:]
        return self.text

    def select_node(self):
        """The expression as `SELECT <text>` (pglast node)."""
        if self._node is None:
            body = self.expression_text()
            try:
                self._node = pglast.parse_sql(PREFIX + body)[0].stmt
            except pglast.parser.ParseError as e:
                raise self.syntax_error(e, len(PREFIX)) from None
            if self.func.is_trigger and "tg_argv" in body.lower():
                shift_tg_argv(self._node)
        return self._node

    def statement_node(self):
        if self._node is None:
            try:
                raws = pglast.parse_sql(self.text)
            except pglast.parser.ParseError as e:
                raise self.syntax_error(e, 0) from None
            self._node = raws[0].stmt if raws else None
            if self.func.is_trigger and "tg_argv" in self.text.lower():
                shift_tg_argv(self._node)
        return self._node

    def syntax_error(self, e, shift: int) -> SqlError:
        loc = e.args[1] if len(e.args) > 1 and isinstance(e.args[1], int) else None
        err = SqlError("42601", e.args[0] if e.args else str(e))
        err.internal_query = self.text
        if loc is not None:
            err.internal_position = max(loc - shift + self.body_offset, 0) + 1
        return err

    # --- names ---------------------------------------------------------------------------

    def scope(self, fr, plan: Plan) -> Scope:
        chain = []
        ns = self.ns
        while ns is not None:
            chain.append(ns)
            ns = ns.parent
        func = self.func
        scope = None
        conflict = func.variable_conflict
        for ns in reversed(chain):
            scope = Scope(parent=scope)
            scope.variables = conflict
            cols, recs = [], []
            for name, dno in ns.names.items():
                d = func.datums[dno]
                if d.kind == "var":
                    cols.append(ColInfo(name, d.oid, d.typmod, f"?{dno + 1}"))
                    comp = composite_base(d.oid)
                    if comp:  # p.f of a composite-typed parameter or variable: its field
                        fields = [ColInfo(fname, U.base_of(ftype), fmod,
                                          f"pgsvc_row_field(?{dno + 1}, {i}, {U.base_of(ftype)})")
                                  for i, (fname, ftype, fmod) in enumerate(fields_of(comp))]
                        recs.append(RangeEntry(name, fields, hidden={c.name for c in fields}))
                elif d.kind == "rec":
                    rec = fr.recs[dno]
                    shape = rec.shape if rec is not None else None
                    plan.shapes[dno] = shape
                    fields = []
                    for fname, ftype, fmod in shape or ():
                        fields.append(ColInfo(fname, ftype, fmod, f"?{func.field_slot(dno, fname) + 1}"))
                    recs.append(RangeEntry(name, fields, hidden={c.name for c in fields}))
                    cols.append(ColInfo(name, d.oid if d.oid else O.RECORD, -1,
                                        f"?{func.field_slot(dno, None) + 1}",
                                        row_types=tuple(U.base_of(c[1]) for c in shape) if shape else None))
            scope.add(RangeEntry(ns.label, cols))
            for entry in recs:
                if scope.entry(entry.alias) is None:
                    scope.add(entry)
        return scope

    def translator(self, fr, plan: Plan) -> Translator:
        engine = fr.engine
        tr = Translator(engine, engine.catalog, [])
        tr.routine_params = self.func.arg_params
        tr.scope = Scope(parent=self.scope(fr, plan))
        return tr

    def finish(self, fr, plan: Plan) -> Plan:
        """Parameters used: how many values to bind, which record fields to fill."""
        used = {int(n) for n in _PARAM_RE.findall(plan.sql)}
        plan.n = max(used, default=0)
        func = self.func
        fills = []
        for p in sorted(used):
            key = func.slot_fields.get(p - 1)
            if key is None:
                continue
            dno, field = key
            shape = plan.shapes.get(dno)
            if shape is None:
                raise self.unassigned(fr, dno)
            idx = None if field is None else next(i for i, c in enumerate(shape) if c[0] == field)
            fills.append((p - 1, dno, idx))
        plan.fills = fills
        plan.shapes = {dno: plan.shapes[dno] for _, dno, _ in fills}
        if len(fr.values) < func.nslots:
            fr.values.extend([None] * (func.nslots - len(fr.values)))
        return plan

    def unassigned(self, fr, dno: int) -> SqlError:
        name = self.func.datums[dno].name
        return SqlError("55000", f'record "{name}" is not assigned yet',
                        detail="The tuple structure of a not-yet-assigned record is indeterminate.")

    def analysis_error(self, fr, err: SqlError, shift: int, plan: Plan | None = None) -> SqlError:
        """A translation error: the expression's text as internal query (its position)."""
        if err.sqlstate == "42703" and err.message.startswith("column ") and plan is not None:
            converted = self.record_field_error(err, plan)
            if converted is not None:  # raised by PostgreSQL's parser hook: no position, a context line
                return add_context(converted, self.context_line())
        if err.position is not None and err.internal_query is None:
            err.internal_position = max(err.position - shift + self.body_offset, 1)
            err.internal_query = self.text
            err.position = None
        elif err.internal_query is None and not err.context:  # no position: SPI's context line instead
            return add_context(err, self.context_line())
        return err

    def record_field_error(self, err: SqlError, plan: Plan) -> SqlError | None:
        """`r.x` of a record: PostgreSQL's record errors rather than a missing column."""
        m = re.match(r'column (\w+)\.(\w+) does not exist', err.message)
        if m is None:
            return None
        name, field = m.group(1), m.group(2)
        dno = self.ns.lookup(name) if self.ns is not None else None
        if dno is None or self.func.datums[dno].kind != "rec":
            return None
        if plan.shapes.get(dno) is None:
            return SqlError("55000", f'record "{name}" is not assigned yet',
                            detail="The tuple structure of a not-yet-assigned record is indeterminate.")
        return SqlError("42703", f'record "{name}" has no field "{field}"')

    # --- scalar expressions ------------------------------------------------------------

    def compile_scalar(self, fr, target) -> Plan:
        engine = fr.engine
        plan = Plan("", engine.catalog.version)
        node = self.select_node()
        tr = self.translator(fr, plan)
        shift = len(PREFIX)
        try:
            ex = None
            if is_simple_select(node) and not _is_star(node.targetList[0].val):
                ex = tr.expr(node.targetList[0].val)
                if ex.has_agg:
                    ex = None
                    tr = self.translator(fr, plan)
            if ex is not None:
                plan.simple = True
                ex = tr.finalize_unknown(ex) if target is None else ex
                plan.fast = compile_fast(node.targetList[0].val, self.fast_lookup, ex.oid, target)
                if target is not None:
                    body = self.expression_text()
                    ex = coerce_at(tr, ex, target, node.targetList[0].val,
                                   len(PREFIX) + len(body) - len(body.lstrip()) + 1)
                plan.sql = "SELECT " + ex.sql
                plan.types = [ex.oid]
                plan.row_types = ex.row_types
            else:
                q = tr.select(node)
                if len(q.columns) != 1:
                    if self.mode >= 3:  # PostgreSQL's parse analysis of the assignment says it
                        raise add_context(SqlError("42601", f"assignment source returned {len(q.columns)} columns"),
                                          self.context_line())
                    raise SqlError("42601", f'query "{self.text}" returned {len(q.columns)} columns')
                col = q.columns[0]
                got = Ex("q.c0", col.oid, col.typmod)
                out = coerce_value(tr, got, target) if target is not None else got
                plan.sql = f"SELECT {out.sql} FROM ({q.sql}) AS q" if out.sql != "q.c0" else q.sql
                plan.types = [out.oid]
        except SqlError as err:
            raise self.analysis_error(fr, err, shift, plan) from None
        self.finish(fr, plan)
        if plan.fills:
            plan.fast = None
        if plan.simple and not plan.fills:
            m = _COPY_RE.match(plan.sql[7:])
            if m is not None:
                plan.copy = int(m.group(1)) - 1
            elif _CONST_RE.match(plan.sql[7:]):
                plan.const = (engine.conn.execute(plan.sql).fetchone()[0],)
        return plan

    def fast_lookup(self, name: str):
        """(slot, type) of a plain variable (or $n) the expression names, for fastpath."""
        func = self.func
        if name.startswith("$"):
            n = int(name[1:])
            dno = func.arg_dnos[n - 1] if 0 < n <= len(func.arg_dnos) else None
        else:
            dno = self.ns.lookup(name) if self.ns is not None else None
        if dno is None:
            return None
        d = func.datums[dno]
        if d.kind != "var" or d.domain:
            return None
        return dno, d.oid

    def valid(self, fr, plan: Plan | None) -> bool:
        if plan is None or plan.version != fr.engine.catalog.version:
            return False
        if plan.shapes:
            recs = fr.recs
            for dno, shape in plan.shapes.items():
                rec = recs[dno]
                if rec is None or rec.shape is not shape and rec.shape != shape:
                    return False
        return True

    def fill(self, fr, plan: Plan) -> None:
        values = fr.values
        if len(values) < plan.n:
            values.extend([None] * (plan.n - len(values)))
        for slot, dno, idx in plan.fills:
            rec = fr.recs[dno]
            if idx is None:
                values[slot] = None if rec.values is None else fr.engine.record_text(
                    tuple(rec.values), [t for _, t, _ in rec.shape])
            else:
                values[slot] = None if rec.values is None else rec.values[idx]

    def value(self, fr, target=None):
        """The expression's value (stored form), coerced to target (oid, typmod, domain)."""
        plan = self.plan
        if plan is None or not self.valid(fr, plan):
            plan = self.plan = self.compile_scalar(fr, target)
        if plan.fast is not None:
            try:
                return plan.fast(fr.values)
            except SqlError as err:
                raise self.runtime_error(fr, err, plan) from None
        if plan.const is not None:
            return plan.const[0]
        if plan.copy >= 0:
            return fr.values[plan.copy]
        if plan.fills:
            self.fill(fr, plan)
        if plan.simple and not self.in_use:
            # a simple expression calling a function runs again, inside that call (recursion),
            # as PostgreSQL's does then: not as a simple expression (SPI: its context line)
            calls = "pgsvce_fcall" in plan.sql
            self.in_use += calls
            try:
                return fr.engine.conn.execute(plan.sql, fr.values[:plan.n]).fetchone()[0]
            except (sqlite3.Error, SqlError) as e:
                raise self.runtime_error(fr, map_error(e, fr.engine), plan) from None
            finally:
                self.in_use -= calls
        fr.sql_ctx = self.context_line()
        try:
            rows = fr.engine.conn.execute(plan.sql, fr.values[:plan.n]).fetchmany(2)
        except (sqlite3.Error, SqlError) as e:
            raise add_context(map_error(e, fr.engine), self.context_line()) from None
        finally:
            fr.sql_ctx = None
        if len(rows) > 1:
            raise SqlError("21000", f'query "{self.text}" returned more than one row')
        return rows[0][0] if rows else None

    def runtime_error(self, fr, err: SqlError, plan: Plan) -> SqlError:
        if plan.simple and (plan.n or "pgsvce_fcall" in plan.sql) and \
                not (err.context or "").rsplit("\n", 1)[-1].endswith("during inlining"):
            # PostgreSQL's simple expressions run without SPI: no line of their own (an
            # inlined SQL function's error comes from planning them, inside SPI: it has one)
            return err
        return add_context(err, self.context_line())

    def context_line(self) -> str:
        if self.mode == 2:
            return f'SQL expression "{self.text}"'
        if self.mode >= 3:
            return f'PL/pgSQL assignment "{self.text}"'
        return f'SQL statement "{self.text}"'

    def row_value(self, fr) -> tuple[tuple, list[int]]:
        """The expression as a one-row query of several columns: (values, types)."""
        plan = self.plan
        if plan is None or not self.valid(fr, plan):
            plan = Plan("", fr.engine.catalog.version)
            tr = self.translator(fr, plan)
            try:
                q = tr.select(self.select_node())
            except SqlError as err:
                raise self.analysis_error(fr, err, len(PREFIX), plan) from None
            plan.sql, plan.types = q.sql, [c.oid for c in q.columns]
            self.plan = plan = self.finish(fr, plan)
        if plan.fills:
            self.fill(fr, plan)
        try:
            row = fr.engine.conn.execute(plan.sql, fr.values[:plan.n]).fetchone()
        except (sqlite3.Error, SqlError) as e:
            raise add_context(map_error(e, fr.engine), self.context_line()) from None
        return tuple(row) if row is not None else (None,) * len(plan.types), plan.types

    def boolean(self, fr):
        v = self.value(fr, (O.BOOL, -1, 0))
        return None if v is None else bool(v)


def run_sql_value(engine, sql: str, params) -> object:
    """The first column of the first row of a piece of SQL the interpreter made itself."""
    try:
        row = engine.conn.execute(sql, params).fetchone()
    except (sqlite3.Error, SqlError) as e:
        raise map_error(e, engine) from None
    return None if row is None else row[0]


def _is_star(node) -> bool:
    return isinstance(node, ast.ColumnRef) and isinstance(node.fields[-1], ast.A_Star)


def coerce_at(tr, ex: Ex, target, node, start: int) -> Ex:
    """coerce_value, an error converting a literal pointing at it (parse analysis's); start:
    where the expression begins (pglast's constants carry no location)."""
    try:
        return coerce_value(tr, ex, target)
    except SqlError as err:
        if err.position is None:
            err.position = location(node) or start
        raise


def coerce_value(tr, ex: Ex, target) -> Ex:
    """A value to a variable's type as PL/pgSQL assigns (COERCION_PLPGSQL: an assignment
    cast, else conversion through the types' text forms)."""
    oid, typmod, domain = target
    if oid in (O.RECORD, O.UNKNOWN) or oid == 0:
        return tr.finalize_unknown(ex)
    if ex.oid == O.UNKNOWN or ex.oid == oid or R.can_coerce(ex.oid, oid, "a"):
        out = tr.coerce(ex, oid, typmod, "a")
    else:
        out = Ex(f"pgsvce_cast({ex.sql}, {ex.oid}, {oid})", oid)
        if typmod >= 0:
            out = Ex(f"pgsvce_typmod({out.sql}, {oid}, {typmod}, 0)", oid, typmod)
    if domain:
        out = Ex(cast_check_sql(tr.engine, domain, oid, typmod, out.sql), oid, typmod)
    return out


__all__ = ["Expr", "Plan", "coerce_value", "run_sql_value", "is_simple_select", "split_assignment", "PREFIX"]
