"""PL/pgSQL's control statements (pl_exec.c's exec_stmt_block ... exec_stmt_exit): blocks
with their DECLARE initialisation and EXCEPTION handlers, assignment, IF, CASE, the loops
(LOOP, WHILE, integer FOR, FOR over query rows, FOREACH over arrays), EXIT / CONTINUE.

A statement object has `lineno`, `typename` (the CONTEXT line's "at ...") and run(fr),
which returns None to go on or a frame.Signal (EXIT/CONTINUE with its label, RETURN).
BUILDERS maps libpg_query's node names to the functions that build them (compiler.py).
"""

from __future__ import annotations

import re

from pgsvc.errors import SqlError
from pgsvc.sql.exec.plpgsql import assign, subxact
from pgsvc.sql.exec.plpgsql.conditions import BY_NAME
from pgsvc.sql.exec.plpgsql.frame import RETURN, Rec, Signal
from pgsvc.sql.types import oids as O

_SQLSTATE = re.compile(r"^[0-9A-Z]{5}$")


def run_list(fr, stmts) -> Signal | None:
    for s in stmts:
        fr.err_stmt = s
        sig = s.run(fr)
        if sig is not None:
            return sig
    return None


def check_interrupts(fr) -> None:
    """A cancel request or statement_timeout ends a loop that runs no SQL."""
    if fr.engine.session.cancel_flag():
        raise fr.engine.cancel_error()


def loop_signal(sig: Signal, label: str | None):
    """LOOP_RC_PROCESSING: (stop the loop?, signal to return)."""
    if sig is RETURN:
        return True, sig
    if sig.kind == "exit":
        if sig.label is None or sig.label == label:
            return True, None
        return True, sig
    if sig.label is None or sig.label == label:  # continue
        return False, None
    return True, sig


class Stmt:
    __slots__ = ("lineno",)
    typename = "?"

    def __init__(self, lineno: int) -> None:
        self.lineno = lineno


# --- blocks -----------------------------------------------------------------------------

class Handler:
    __slots__ = ("codes", "categories", "others", "body", "state_dno", "errm_dno")

    def __init__(self, conditions: list[str], body: list, state_dno: int, errm_dno: int) -> None:
        self.codes: set[str] = set()
        self.categories: set[str] = set()
        self.others = False
        for cond in conditions:
            if cond == "others":
                self.others = True
                continue
            codes = [cond] if _SQLSTATE.match(cond) else BY_NAME.get(cond, [])
            for code in codes:
                (self.categories if code.endswith("000") else self.codes).add(code)
                if code.endswith("000"):
                    self.codes.add(code)
        self.body = body
        self.state_dno = state_dno
        self.errm_dno = errm_dno

    def matches(self, code: str) -> bool:
        if self.others and code not in ("57014", "P0004"):
            return True
        return code in self.codes or code[:2] + "000" in self.categories


class Block(Stmt):
    __slots__ = ("label", "decls", "body", "handlers")
    typename = "statement block"

    def __init__(self, lineno, label, decls, body, handlers) -> None:
        super().__init__(lineno)
        self.label = label
        self.decls = decls
        self.body = body
        self.handlers = handlers

    def run(self, fr):
        if self.decls:
            fr.err_text = "during statement block local variable initialization"
            for dno in self.decls:
                init_datum(fr, dno)
            fr.err_text = None
        if not self.handlers:
            sig = run_list(fr, self.body)
        else:
            sig = self.run_protected(fr)
        if sig is not None and sig is not RETURN and sig.kind == "exit" and sig.label is not None \
                and sig.label == self.label:
            return None
        return sig

    def run_protected(self, fr):
        engine = fr.engine
        fr.err_text = "during statement block entry"
        depth = subxact.begin(engine)
        fr.err_text = None
        try:
            sig = run_list(fr, self.body)
        except SqlError as err:
            handler = next((h for h in self.handlers if h.matches(err.sqlstate)), None)
            fr.err_text = "during exception cleanup"
            subxact.rollback(engine, depth)
            fr.err_text = None
            if handler is None:
                raise
            return self.handle(fr, handler, err)
        fr.err_text = "during statement block exit"
        subxact.release(engine, depth)
        fr.err_text = None
        return sig

    def handle(self, fr, handler: Handler, err: SqlError):
        if not getattr(err, "pl_complete", False):
            err.pl_stack = fr.stack_context()  # PG_EXCEPTION_CONTEXT: where it was raised
        fr.values[handler.state_dno] = err.sqlstate
        fr.values[handler.errm_dno] = err.message
        fr.handled.append(err)
        try:
            return run_list(fr, handler.body)
        finally:
            fr.handled.pop()


def init_datum(fr, dno: int) -> None:
    d = fr.func.datums[dno]
    if d.kind == "rec":
        fr.recs[dno] = Rec(d.shape, None, declared=d.shape is not None)
        return
    if d.kind != "var":
        return
    value = None
    if d.default is not None:
        value = d.default.value(fr, (d.oid, d.typmod, d.domain))
    if value is None and d.notnull:
        raise SqlError("22004", f'null value cannot be assigned to variable "{d.name}" declared NOT NULL')
    fr.values[dno] = value


def build_block(c, body: dict) -> Block:
    label = body.get("label")
    c.push(label)
    try:
        decls, lineno = c.block_decls(body)
        stmts = c.stmts(body.get("body"))
        handlers = []
        exc = (body.get("exceptions") or {}).get("PLpgSQL_exception_block")
        if exc:
            state_dno = c.claim_any("sqlstate")
            errm_dno = c.claim_any("sqlerrm")
            c.push(None)
            c.ns.names["sqlstate"] = state_dno
            c.ns.names["sqlerrm"] = errm_dno
            for d in (state_dno, errm_dno):
                c.func.datums[d].oid = O.TEXT
            for item in exc.get("exc_list", ()):
                e = item["PLpgSQL_exception"]
                conds = [cond["PLpgSQL_condition"].get("condname", "") for cond in e.get("conditions", ())]
                handlers.append(Handler(conds, c.stmts(e.get("action")), state_dno, errm_dno))
            c.pop()
    finally:
        c.pop()
    return Block(lineno, label, decls, stmts, handlers)


# --- assignment, IF, CASE ------------------------------------------------------------------

class Assign(Stmt):
    __slots__ = ("target", "expr")
    typename = "assignment"

    def __init__(self, lineno, target, expr) -> None:
        super().__init__(lineno)
        self.target = target
        self.expr = expr

    def run(self, fr):
        self.target.assign_expr(fr, self.expr)
        return None


def build_assign(c, body: dict) -> Assign:
    lineno = body.get("lineno", 0)
    expr = c.expr(body.get("expr"), lineno)
    return Assign(lineno, assign.target_for(c, body.get("varno", 0), expr), expr)


class If(Stmt):
    __slots__ = ("cond", "then", "elsifs", "else_")
    typename = "IF"

    def __init__(self, lineno, cond, then, elsifs, else_) -> None:
        super().__init__(lineno)
        self.cond = cond
        self.then = then
        self.elsifs = elsifs
        self.else_ = else_

    def run(self, fr):
        if self.cond.boolean(fr):
            return run_list(fr, self.then)
        for cond, stmts in self.elsifs:
            if cond.boolean(fr):
                return run_list(fr, stmts)
        return run_list(fr, self.else_)


def build_if(c, body: dict) -> If:
    lineno = body.get("lineno", 0)
    elsifs = []
    for e in body.get("elsif_list", ()):
        e = e["PLpgSQL_if_elsif"]
        elsifs.append((c.expr(e.get("cond"), e.get("lineno", lineno)), c.stmts(e.get("stmts"))))
    return If(lineno, c.expr(body.get("cond"), lineno), c.stmts(body.get("then_body")), elsifs,
              c.stmts(body.get("else_body")))


class Case(Stmt):
    __slots__ = ("t_expr", "t_dno", "whens", "have_else", "else_")
    typename = "CASE"

    def __init__(self, lineno, t_expr, t_dno, whens, have_else, else_) -> None:
        super().__init__(lineno)
        self.t_expr = t_expr
        self.t_dno = t_dno
        self.whens = whens
        self.have_else = have_else
        self.else_ = else_

    def run(self, fr):
        if self.t_expr is not None:
            d = fr.func.datums[self.t_dno]
            value = self.t_expr.value(fr)
            if d.oid == O.UNKNOWN:
                d.oid = self.t_expr.plan.types[0] if self.t_expr.plan.types else O.TEXT
            fr.values[self.t_dno] = value
        for expr, stmts in self.whens:
            if expr.boolean(fr):
                return run_list(fr, stmts)
        if self.have_else:
            return run_list(fr, self.else_)
        raise SqlError("20000", "case not found", hint="CASE statement is missing ELSE part.")


def build_case(c, body: dict) -> Case:
    lineno = body.get("lineno", 0)
    t_expr = c.expr(body.get("t_expr"), lineno)
    t_dno = body.get("t_varno", 0)
    if t_expr is not None:
        c.claimed.add(t_dno)
        c.push(None)
        c.ns.names[c.func.datums[t_dno].name] = t_dno
    whens = []
    for w in body.get("case_when_list", ()):
        w = w["PLpgSQL_case_when"]
        whens.append((c.expr(w.get("expr"), w.get("lineno", lineno)), c.stmts(w.get("stmts"))))
    if t_expr is not None:
        c.pop()
    return Case(lineno, t_expr, t_dno, whens, bool(body.get("have_else")), c.stmts(body.get("else_stmts")))


# --- loops ---------------------------------------------------------------------------------

class Loop(Stmt):
    __slots__ = ("label", "body")
    typename = "LOOP"

    def __init__(self, lineno, label, body) -> None:
        super().__init__(lineno)
        self.label = label
        self.body = body

    def run(self, fr):
        while True:
            check_interrupts(fr)
            sig = run_list(fr, self.body)
            if sig is not None:
                stop, out = loop_signal(sig, self.label)
                if stop:
                    return out


class While(Stmt):
    __slots__ = ("label", "cond", "body")
    typename = "WHILE"

    def __init__(self, lineno, label, cond, body) -> None:
        super().__init__(lineno)
        self.label = label
        self.cond = cond
        self.body = body

    def run(self, fr):
        while True:
            check_interrupts(fr)
            if not self.cond.boolean(fr):
                return None
            sig = run_list(fr, self.body)
            if sig is not None:
                stop, out = loop_signal(sig, self.label)
                if stop:
                    return out


class ForI(Stmt):
    __slots__ = ("label", "dno", "lower", "upper", "step", "reverse", "body")
    typename = "FOR with integer loop variable"

    def __init__(self, lineno, label, dno, lower, upper, step, reverse, body) -> None:
        super().__init__(lineno)
        self.label = label
        self.dno = dno
        self.lower = lower
        self.upper = upper
        self.step = step
        self.reverse = reverse
        self.body = body

    def run(self, fr):
        d = fr.func.datums[self.dno]
        target = (d.oid, d.typmod, d.domain)
        lo = self.lower.value(fr, target)
        if lo is None:
            raise SqlError("22004", "lower bound of FOR loop cannot be null")
        hi = self.upper.value(fr, target)
        if hi is None:
            raise SqlError("22004", "upper bound of FOR loop cannot be null")
        step = 1
        if self.step is not None:
            step = self.step.value(fr, target)
            if step is None:
                raise SqlError("22004", "BY value of FOR loop cannot be null")
            if step <= 0:
                raise SqlError("22023", "BY value of FOR loop must be greater than zero")
        limit = 2**31 - 1 if d.oid != O.INT8 else 2**63 - 1
        values, dno, body, label = fr.values, self.dno, self.body, self.label
        found = False
        i = lo
        out = None
        while (i >= hi) if self.reverse else (i <= hi):
            found = True
            values[dno] = i
            check_interrupts(fr)
            sig = run_list(fr, body)
            if sig is not None:
                stop, out = loop_signal(sig, label)
                if stop:
                    break
            i = i - step if self.reverse else i + step
            if not -limit - 1 <= i <= limit:
                break
        fr.values[fr.func.found_dno] = 1 if found else 0
        return out


def build_loop(c, body: dict) -> Loop:
    label = body.get("label")
    c.push(label, "loop")
    try:
        return Loop(body.get("lineno", 0), label, c.stmts(body.get("body")))
    finally:
        c.pop()


def build_while(c, body: dict) -> While:
    label = body.get("label")
    lineno = body.get("lineno", 0)
    cond = c.expr(body.get("cond"), lineno)
    c.push(label, "loop")
    try:
        return While(lineno, label, cond, c.stmts(body.get("body")))
    finally:
        c.pop()


def build_fori(c, body: dict):
    label = body.get("label")
    lineno = body.get("lineno", 0)
    lower = c.expr(body.get("lower"), lineno)
    upper = c.expr(body.get("upper"), lineno)
    step = c.expr(body.get("step"), lineno)
    if lower is not None and lower.text == "pgsvc$cursor":
        return c.cursor_loop(body, label, lineno, upper)
    dno = c.loop_var(body["var"])
    c.push(label, "loop")
    c.ns.names[c.func.datums[dno].name] = dno
    try:
        return ForI(lineno, label, dno, lower, upper, step, bool(body.get("reverse")), c.stmts(body.get("body")))
    finally:
        c.pop()


class Exit(Stmt):
    __slots__ = ("signal", "cond", "is_exit")

    def __init__(self, lineno, is_exit, label, cond) -> None:
        super().__init__(lineno)
        self.is_exit = is_exit
        self.signal = Signal("exit" if is_exit else "continue", label)
        self.cond = cond

    @property
    def typename(self) -> str:
        return "EXIT" if self.is_exit else "CONTINUE"

    def run(self, fr):
        if self.cond is None or self.cond.boolean(fr):
            return self.signal
        return None


def build_exit(c, body: dict) -> Exit:
    lineno = body.get("lineno", 0)
    return Exit(lineno, bool(body.get("is_exit")), body.get("label"), c.expr(body.get("cond"), lineno))


BUILDERS = {
    "PLpgSQL_stmt_block": build_block,
    "PLpgSQL_stmt_assign": build_assign,
    "PLpgSQL_stmt_if": build_if,
    "PLpgSQL_stmt_case": build_case,
    "PLpgSQL_stmt_loop": build_loop,
    "PLpgSQL_stmt_while": build_while,
    "PLpgSQL_stmt_fori": build_fori,
    "PLpgSQL_stmt_exit": build_exit,
}

__all__ = ["BUILDERS", "run_list", "loop_signal", "check_interrupts", "Stmt", "init_datum", "Block"]
