"""RAISE, ASSERT and CALL in PL/pgSQL (pl_exec.c's exec_stmt_raise, exec_stmt_assert,
exec_stmt_call).

RAISE: levels DEBUG / LOG / INFO / NOTICE / WARNING are notices (the session's
client_min_messages decides which reach the client; INFO always does), EXCEPTION an
error. The message's `%` take the parameters' text forms (`%%` is a percent sign, NULL
prints <NULL>); USING ERRCODE (a condition name or five-character SQLSTATE), MESSAGE,
DETAIL, HINT, COLUMN, CONSTRAINT, DATATYPE, TABLE, SCHEMA; `RAISE condition` and `RAISE
SQLSTATE 'xxxxx'` without a message say the name or the code; a bare `RAISE;` in a handler
throws the caught error again with its original CONTEXT.
"""

from __future__ import annotations

import re

from pglast import ast

from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.exec.plpgsql import assign
from pgsvc.sql.exec.plpgsql.conditions import BY_NAME
from pgsvc.sql.exec.plpgsql.control import Stmt
from pgsvc.sql.catalog.regtypes import reg_out
from pgsvc.sql.catalog.routines import INPUT_MODES
from pgsvc.sql.exec.plpgsql.exprs import Plan
from pgsvc.sql.exec.plpgsql.frame import add_context
from pgsvc.sql.exec.plpgsql.source import normalize_ident
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types.oids import REG_ARRAYS, REG_OIDS
from pgsvc.sql.types.pg_type import find_oid
from pgsvc.sql.types.composite import is_composite, with_types
from pgsvc.sql.types.usertypes import row_type_oid
from pgsvc.sql.types.textio import text_encoder

_SQLSTATE = re.compile(r"^[0-9A-Z]{5}$")
_LEVELS = {10: "DEBUG", 11: "DEBUG", 12: "DEBUG", 13: "DEBUG", 14: "DEBUG", 15: "LOG", 16: "LOG", 17: "INFO",
           18: "NOTICE", 19: "WARNING", 20: "WARNING"}
_OPTIONS = ("ERRCODE", "MESSAGE", "DETAIL", "HINT", "COLUMN", "CONSTRAINT", "DATATYPE", "TABLE", "SCHEMA")


def record_types(plan) -> tuple | None:
    """The fields' types of a plan that is one record variable (RAISE NOTICE '%', r)."""
    if plan.types and plan.types[0] == O.RECORD and len(plan.fills) == 1 and plan.fills[0][2] is None:
        shape = plan.shapes.get(plan.fills[0][1])
        return tuple(c[1] for c in shape) if shape else None
    return None


def to_text(fr, value, oid: int, types: tuple | None = None) -> str | None:
    """A stored value as its type's output function prints it (convert_value_to_string);
    types: a record's fields' types (its fields are kept in canonical settings)."""
    if value is None:
        return None
    if types and isinstance(value, str):
        return text_encoder(O.RECORD, fr.engine.fctx.format_context())(with_types(value, types))
    if isinstance(value, str) and find_oid(oid) is None and is_composite(row_type_oid(oid)):
        oid = row_type_oid(oid)  # a %ROWTYPE record (typed by its relation): its fields in the session's settings
    if isinstance(value, str) and (oid in (O.TEXT, O.VARCHAR, O.NAME, O.UNKNOWN, O.BPCHAR, O.RECORD)
                                   or find_oid(oid) is None):
        return value
    if find_oid(oid) is None:
        return str(value)
    if oid in REG_OIDS or oid in REG_ARRAYS:  # regclass & co. print names (RAISE NOTICE '%', TG_RELID::regclass)
        return reg_out(fr.engine, oid, value)
    conv = sqlite_adapter(oid)[1]
    py = conv(value) if conv is not None else value
    return text_encoder(oid, fr.engine.fctx.format_context())(py)


def recognize_condition(name: str) -> str:
    """plpgsql_recognize_err_condition: a SQLSTATE or a condition name's (first) code."""
    if len(name) == 5 and _SQLSTATE.match(name):
        return name
    codes = BY_NAME.get(name)
    if not codes:
        raise SqlError("42704", f'unrecognized exception condition "{name}"')
    return codes[0]


class Raise(Stmt):
    __slots__ = ("level", "condname", "message", "params", "options")
    typename = "RAISE"

    def __init__(self, lineno, level, condname, message, params, options) -> None:
        super().__init__(lineno)
        self.level = level
        self.condname = condname
        self.message = message
        self.params = params
        self.options = options

    def run(self, fr):
        if self.condname is None and self.message is None and not self.options:
            if fr.handled:
                err = fr.handled[-1]
                complete(err)
                raise err
            raise SqlError("0Z002", "RAISE without parameters cannot be used outside an exception handler")
        code = None
        condname = self.condname
        if condname is not None:
            code = recognize_condition(condname)
        message = self.format_message(fr) if self.message is not None else None
        fields: dict[str, str] = {}
        for kind, expr in self.options:
            value = expr.value(fr)
            if value is None:
                raise SqlError("22004", "RAISE statement option cannot be null")
            text = to_text(fr, value, expr.plan.types[0] if expr.plan.types else O.TEXT)
            name = _OPTIONS[kind]
            if kind == 0:
                if code is not None:
                    raise SqlError("42601", "RAISE option already specified: ERRCODE")
                code = recognize_condition(text)
                condname = text
            elif kind == 1:
                if message is not None:
                    raise SqlError("42601", "RAISE option already specified: MESSAGE")
                message = text
            else:
                if name in fields:
                    raise SqlError("42601", f"RAISE option already specified: {name}")
                fields[name] = text
        error = self.level >= 21
        if code is None and error:
            code = "P0001"
        if message is None:
            message = condname if condname is not None else (code or "00000")
        if error:
            err = SqlError(code, message, detail=fields.get("DETAIL"), hint=fields.get("HINT"),
                           column=fields.get("COLUMN"), constraint=fields.get("CONSTRAINT"),
                           table=fields.get("TABLE"), schema=fields.get("SCHEMA"))
            err.datatype = fields.get("DATATYPE")
            raise err
        severity = _LEVELS.get(self.level, "NOTICE")
        fr.engine.session.notice(SqlNotice(message, sqlstate=code or ("01000" if severity == "WARNING" else "00000"),
                                           severity=severity, detail=fields.get("DETAIL"), hint=fields.get("HINT"),
                                           context=fr.stack_context()))
        return None

    def format_message(self, fr) -> str:
        out = []
        params = iter(self.params)
        text = self.message
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch == "%":
                if i + 1 < n and text[i + 1] == "%":
                    out.append("%")
                    i += 2
                    continue
                expr = next(params, None)
                if expr is None:
                    raise SqlError("XX000", "unexpected RAISE parameter list length")
                value = expr.value(fr)
                out.append("<NULL>" if value is None else
                           to_text(fr, value, expr.plan.types[0] if expr.plan.types else O.TEXT, record_types(expr.plan)))
            else:
                out.append(ch)
            i += 1
        return "".join(out)


def complete(err: SqlError) -> None:
    """A caught error thrown again keeps the CONTEXT it had when first raised."""
    if not getattr(err, "pl_complete", False):
        stack = getattr(err, "pl_stack", None)
        if stack:
            err.context = f"{err.context}\n{stack}" if err.context else stack
        err.pl_complete = True


def build_raise(c, body: dict):
    lineno = body.get("lineno", 0)
    params = [c.expr(p, lineno) for p in body.get("params", ())]
    options = [(o["PLpgSQL_raise_option"].get("opt_type", 0), c.expr(o["PLpgSQL_raise_option"].get("expr"), lineno))
               for o in body.get("options", ())]
    return Raise(lineno, body.get("elog_level", 21), body.get("condname"), body.get("message"), params, options)


class Assert(Stmt):
    __slots__ = ("cond", "message")
    typename = "ASSERT"

    def __init__(self, lineno, cond, message) -> None:
        super().__init__(lineno)
        self.cond = cond
        self.message = message

    def run(self, fr):
        if not check_asserts(fr.engine):
            return None
        if self.cond.boolean(fr):
            return None
        message = None
        if self.message is not None:
            value = self.message.value(fr)
            if value is not None:
                message = to_text(fr, value, self.message.plan.types[0] if self.message.plan.types else O.TEXT)
        raise SqlError("P0004", message if message is not None else "assertion failed")


def check_asserts(engine) -> bool:
    try:
        value = engine.session.settings.get("plpgsql.check_asserts")
    except SqlError:
        return True
    return value if isinstance(value, bool) else str(value).lower() not in ("off", "false", "0", "no", "f", "n")


def build_assert(c, body: dict):
    lineno = body.get("lineno", 0)
    return Assert(lineno, c.expr(body.get("cond"), lineno), c.expr(body.get("message"), lineno))


# --- CALL ------------------------------------------------------------------------------------

class Call(Stmt):
    """CALL p(args) inside a body: INOUT / OUT arguments are written back to the variables
    given for them."""

    __slots__ = ("expr", "cache")
    typename = "CALL"

    def __init__(self, lineno, expr) -> None:
        super().__init__(lineno)
        self.expr = expr
        self.cache = None

    def prepare(self, fr):
        expr = self.expr
        if self.cache is not None and self.cache[0] == fr.engine.catalog.version:
            return self.cache
        node = expr.statement_node()
        if not isinstance(node, ast.CallStmt):
            raise SqlError("42601", "CALL expected")
        plan = Plan("", fr.engine.catalog.version)
        tr = expr.translator(fr, plan)
        call = node.funccall
        names = [n.sval for n in call.funcname]
        try:
            binding, inputs, arg_oids, ret, _ = tr.find_user_routine(call, names, procedure=True)
        except SqlError as err:
            raise expr.analysis_error(fr, err, 0, plan) from None
        r = binding.routine
        modes = r.modes()
        in_idx = [i for i, m in enumerate(modes) if m in INPUT_MODES]
        outs = [(n, arg_oids[i]) for i, (n, m) in enumerate(zip(r.names(), modes)) if m in ("o", "b")]
        writeback = []
        args = list(call.args or ())
        for i, m in enumerate(modes):
            if m not in ("o", "b"):
                continue
            dno = None
            slot = binding.slots.index(i) if i in binding.slots else None
            node_i = args[slot] if slot is not None and slot < len(args) else None
            if isinstance(node_i, ast.NamedArgExpr):
                node_i = node_i.arg
            if isinstance(node_i, ast.ColumnRef) and all(isinstance(f, ast.String) for f in node_i.fields):
                dno = expr.ns.lookup(normalize_ident(node_i.fields[-1].sval))
            if dno is None or fr.func.datums[dno].kind not in ("var",):
                raise SqlError("42601", f'procedure parameter "{r.names()[i]}" is an output parameter but '
                                        "corresponding argument is not writable")
            writeback.append(dno)
        plan.sql = "SELECT " + (", ".join(inputs[i].sql for i in in_idx) or "NULL")
        expr.finish(fr, plan)
        self.cache = (fr.engine.catalog.version, r.oid, plan, [arg_oids[i] for i in in_idx], ret, outs, writeback)
        return self.cache

    def run(self, fr):
        _, oid, plan, in_oids, ret, outs, writeback = self.prepare(fr)
        engine = fr.engine
        routine = engine.catalog.routines[oid]
        if plan.fills:
            self.expr.fill(fr, plan)
        row = engine.conn.execute(plan.sql, fr.values[:plan.n]).fetchone()
        args = list(row)[:len(in_oids)]
        try:
            out = engine.call_routine(routine, in_oids, ret, args, outs, atomic=fr.atomic)
        except SqlError as err:
            raise add_context(err, f'SQL statement "{self.expr.text}"') from None
        if outs and isinstance(out, tuple):
            for dno, v, (_, t) in zip(writeback, out, outs):
                assign.VarTarget(fr.func.datums[dno]).assign(fr, v, t)
        return None


def build_call(c, body: dict):
    lineno = body.get("lineno", 0)
    return Call(lineno, c.expr(body.get("expr"), lineno))


BUILDERS = {
    "PLpgSQL_stmt_raise": build_raise,
    "PLpgSQL_stmt_assert": build_assert,
    "PLpgSQL_stmt_call": build_call,
}

__all__ = ["BUILDERS", "to_text", "recognize_condition", "complete"]
