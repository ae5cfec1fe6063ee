"""PostgreSQL 15's ruleutils.c for pgsvc: typed nodes (pgsvc.sql.deparse.analyze) back to
the text PostgreSQL prints for pg_get_expr, pg_get_constraintdef, pg_get_indexdef and
pg_get_viewdef. This module prints expressions; pgsvc.sql.deparse.query_text prints queries
(and so the sublinks inside expressions) with QueryPrinter, a subclass of this Printer.

The rules reproduced (ruleutils.c's, in its own terms):
  - `pretty` sets PRETTY_PAREN: without it every operator, boolean and test expression
    is parenthesised and casts print as (arg)::type; with it parentheses appear only
    where precedence needs them (isSimpleNode). Indentation (PRETTY_INDENT) is always on,
    as in PostgreSQL, so a view or a CASE spans lines either way.
  - implicit casts print where ruleutils "shows implicit" ones (operator and function
    arguments, target-list entries) and are hidden at the top of an expression (so a
    default's assignment cast does not show);
  - constants: integers and float-looking numerics bare, other types as 'text'::type,
    NULL as NULL::type, booleans true/false;
  - clause keywords (and CASE's) go on new lines at ruleutils' indents (appendContextKeyword:
    8 per query level, joins 4 more, wrapped target lists 4 more).
"""

from __future__ import annotations

from pgsvc.sql.deparse.nodes import (ArrayX, BoolTest, BoolX, CaseX, Cast, Const, Distinct, Func, FuncLike, Keyword,
                                     NullTest, Op, ScalarArrayOp, SubLink, Subscript, Unsupported, Var)
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import format_type

STD, JOIN, VAR = 8, 4, 4
INDENT_LIMIT = 40
_SIMPLE = (Var, Const, Func, FuncLike, Keyword, ArrayX, CaseX, Subscript)


class Printer:
    def __init__(self, engine, pretty: bool, varprefix: bool = False, indent: int = 0) -> None:
        self.engine = engine
        self.pretty = pretty
        self.names_visible = True
        self.varprefix = varprefix
        self.level = indent
        self.buf: list[str] = []

    # -- buffer --

    def put(self, s: str) -> None:
        self.buf.append(s)

    def text(self) -> str:
        return "".join(self.buf)

    def strip_trailing_spaces(self) -> None:
        s = self.text().rstrip(" ")
        self.buf = [s]

    def keyword(self, word: str, before: int, after: int, plus: int) -> None:
        """appendContextKeyword: a new line at the current indent for a clause keyword."""
        self.level += before
        self.strip_trailing_spaces()
        self.put("\n")
        if self.level < INDENT_LIMIT:
            amount = max(self.level, 0) + plus
        else:
            amount = (INDENT_LIMIT + (self.level - INDENT_LIMIT) // (STD // 2)) % INDENT_LIMIT + plus
        self.put(" " * amount)
        self.put(word)
        self.level = max(self.level + after, 0)

    def sub(self, fn) -> str:
        """Print into a separate buffer (for line-wrapping decisions)."""
        saved = self.buf
        self.buf = []
        fn()
        out = self.text()
        self.buf = saved
        return out

    # -- expressions --

    def expr(self, n, show_implicit: bool = False) -> None:
        getattr(self, "p_" + type(n).__name__)(n, show_implicit)

    def paren_expr(self, n, show_implicit: bool, parent) -> None:
        need = self.pretty and not _is_simple(n, parent)
        if need:
            self.put("(")
        self.expr(n, show_implicit)
        if need:
            self.put(")")

    def p_Var(self, n: Var, _si) -> None:
        if self.varprefix and n.rte is not None and n.rte.refname:
            self.put(quote_ident(n.rte.refname) + ".")
        self.put(quote_ident(n.name))

    def p_Const(self, n: Const, _si, showtype: int = 0) -> None:
        self.put(const_text(n, showtype))

    def p_Op(self, n: Op, _si) -> None:
        if not self.pretty:
            self.put("(")
        if n.left is not None:
            self.paren_expr(n.left, True, n)
            self.put(f" {n.name} ")
        else:
            self.put(f"{n.name} ")
        self.paren_expr(n.right, True, n)
        if not self.pretty:
            self.put(")")

    def p_Cast(self, n: Cast, show_implicit: bool) -> None:
        if n.implicit and not show_implicit:
            self.paren_expr(n.arg, False, n)
            return
        arg = n.arg
        if isinstance(arg, Const) and arg.typ == n.typ and arg.typmod == -1:
            self.p_Const(arg, False, showtype=-1)
        else:
            if not self.pretty:
                self.put("(")
            self.paren_expr(arg, False, n)
            if not self.pretty:
                self.put(")")
        self.put("::" + format_type(n.typ, n.typmod))

    def p_BoolX(self, n: BoolX, _si) -> None:
        if not self.pretty:
            self.put("(")
        if n.op == "NOT":
            self.put("NOT ")
            self.paren_expr(n.args[0], False, n)
        else:
            for i, a in enumerate(n.args):
                if i:
                    self.put(f" {n.op} ")
                self.paren_expr(a, False, n)
        if not self.pretty:
            self.put(")")

    def p_NullTest(self, n: NullTest, _si) -> None:
        if not self.pretty:
            self.put("(")
        self.paren_expr(n.arg, True, n)
        self.put(" IS NOT NULL" if n.negated else " IS NULL")
        if not self.pretty:
            self.put(")")

    def p_BoolTest(self, n: BoolTest, _si) -> None:
        if not self.pretty:
            self.put("(")
        self.paren_expr(n.arg, False, n)
        self.put(" " + n.test)
        if not self.pretty:
            self.put(")")

    def p_Distinct(self, n: Distinct, _si) -> None:
        if not self.pretty:
            self.put("(")
        self.paren_expr(n.left, True, n)
        self.put(" IS DISTINCT FROM ")
        self.paren_expr(n.right, True, n)
        if not self.pretty:
            self.put(")")

    def p_ScalarArrayOp(self, n: ScalarArrayOp, _si) -> None:
        if not self.pretty:
            self.put("(")
        self.paren_expr(n.left, True, n)
        self.put(f" {n.name} {'ANY' if n.use_or else 'ALL'} (")
        self.paren_expr(n.right, True, n)
        self.put(")")
        if not self.pretty:
            self.put(")")

    def p_ArrayX(self, n: ArrayX, _si) -> None:
        self.put("ARRAY[")
        for i, e in enumerate(n.elems):
            if i:
                self.put(", ")
            self.expr(e, True)
        self.put("]")

    def p_Subscript(self, n: Subscript, _si) -> None:
        # PostgreSQL parenthesizes anything but a Var (a routine's parameter is a Param)
        need = not isinstance(n.base, (Var, Subscript)) or isinstance(n.base, Var) and n.base.param
        if need:
            self.put("(")
        self.expr(n.base, False)
        if need:
            self.put(")")
        self.put("[")
        self.expr(n.index, False)
        self.put("]")

    def p_FuncLike(self, n: FuncLike, _si) -> None:
        self.put(n.keyword + "(")
        for i, a in enumerate(n.args):
            if i:
                self.put(", ")
            self.expr(a, True)
        self.put(")")

    def p_Keyword(self, n: Keyword, _si) -> None:
        self.put(n.word)

    def p_Func(self, n: Func, _si) -> None:
        if n.syntax:
            self.sql_syntax(n)
            return
        self.put((quote_ident(n.schema) + "." if n.schema else "") + quote_ident(n.name) + "(")
        if n.star:
            self.put("*")
        if n.distinct:
            self.put("DISTINCT ")
        for i, a in enumerate(n.args):
            if i:
                self.put(", ")
            self.expr(a, True)
        if n.order:
            self.put(" ORDER BY ")
            for i, (e, desc, nulls_first) in enumerate(n.order):
                if i:
                    self.put(", ")
                self.expr(e, True)
                self.put(sort_suffix(desc, nulls_first))
        self.put(")")
        if n.within is not None:
            self.put(" WITHIN GROUP (ORDER BY ")
            for i, (e, desc, nulls_first) in enumerate(n.within):
                self.put(", " if i else "")
                if isinstance(e, Cast):  # (a coercion to the aggregate's type is a function call: parenthesised)
                    self.put("(")
                    self.expr(e, True)
                    self.put(")")
                else:
                    sort_key(self, e)
                self.put(sort_suffix(desc, nulls_first))
            self.put(")")
        if n.filter is not None:
            self.put(" FILTER (WHERE ")
            self.expr(n.filter, False)
            self.put(")")
        if n.over is not None:
            self.window(*n.over)

    def sql_syntax(self, n: Func) -> None:
        """get_func_sql_syntax: functions the grammar spells as SQL syntax."""
        a = n.args
        arg = lambda i: self.sub(lambda: self.expr(a[i], False))  # noqa: E731
        name = n.name
        if name == "position":
            self.put(f"POSITION(({arg(1)}) IN ({arg(0)}))")
        elif name == "substring":
            if len(a) == 3 and a[1].typ != O.INT4:
                self.put(f"SUBSTRING({arg(0)} SIMILAR {arg(1)} ESCAPE {arg(2)})")
            else:
                self.put(f"SUBSTRING({arg(0)} FROM {arg(1)}" + (f" FOR {arg(2)}" if len(a) == 3 else "") + ")")
        elif name in ("btrim", "ltrim", "rtrim"):
            where = {"btrim": "BOTH", "ltrim": "LEADING", "rtrim": "TRAILING"}[name]
            self.put(f"TRIM({where}" + (f" {arg(1)}" if len(a) == 2 else "") + f" FROM {arg(0)})")
        elif name == "overlay":
            self.put(f"OVERLAY({arg(0)} PLACING {arg(1)} FROM {arg(2)}" + (f" FOR {arg(3)}" if len(a) == 4 else "")
                     + ")")
        elif name == "extract":
            self.put(f"EXTRACT({a[0].text} FROM {arg(1)})")
        elif name == "timezone":
            zone = self.sub(lambda: self.paren_expr(a[0], False, n))
            value = self.sub(lambda: self.paren_expr(a[1], False, n))
            self.put(f"({value} AT TIME ZONE {zone})")
        elif name == "pg_collation_for":
            self.put(f"COLLATION FOR ({arg(0)})")

    def window(self, partition: list, order: list) -> None:
        """get_rule_windowspec of an inline window (no name, default frame)."""
        self.put(" OVER (")
        if partition:
            self.put("PARTITION BY ")
            for i, e in enumerate(partition):
                if i:
                    self.put(", ")
                sort_key(self, e)
        if order:
            self.put(" ORDER BY " if partition else "ORDER BY ")
            for i, (e, desc, nulls_first) in enumerate(order):
                if i:
                    self.put(", ")
                sort_key(self, e)
                self.put(sort_suffix(desc, nulls_first))
        self.put(")")

    def p_CaseX(self, n: CaseX, _si) -> None:
        self.keyword("CASE", 0, VAR, 0)
        if n.arg is not None:
            self.put(" ")
            self.expr(n.arg, True)
        for cond, result in n.whens:
            self.keyword("WHEN ", 0, 0, 0)
            self.expr(cond, False)
            self.put(" THEN ")
            self.expr(result, True)
        self.keyword("ELSE ", 0, 0, 0)
        self.expr(n.default, True)
        self.keyword("END", -VAR, 0, 0)

    def p_SubLink(self, n: SubLink, _si) -> None:
        self.put("ARRAY(" if n.kind == "ARRAY" else "(")
        need = True
        if n.test is not None:
            self.expr(n.test, True)
        if n.kind == "EXISTS":
            self.put("EXISTS ")
        elif n.kind == "ANY":
            self.put(" IN " if n.opname == "=" else f" {n.opname} ANY ")
        elif n.kind == "ALL":
            self.put(f" {n.opname} ALL ")
        else:
            need = False
        if need:
            self.put("(")
        self.put(self.subquery_text(n.query))
        self.put("))" if need else ")")

    def subquery_text(self, q) -> str:
        """A sublink's SELECT as text: pgsvc.sql.deparse.query_text.QueryPrinter prints it (an
        expression printer alone cannot: its caller prints the stored text instead)."""
        raise Unsupported("subquery")


def sort_suffix(desc: bool, nulls_first: bool) -> str:
    if desc:
        return " DESC" + ("" if nulls_first else " NULLS LAST")
    return " NULLS FIRST" if nulls_first else ""


def _is_simple(n, parent) -> bool:
    """ruleutils' isSimpleNode (PRETTY_PAREN): may n print without parentheses under parent?"""
    if isinstance(n, _SIMPLE):
        return True
    if isinstance(n, Cast):
        return _is_simple(n.arg, n)
    if isinstance(n, Op):
        if isinstance(parent, Op):
            op, pop = _simple_binop(n), _simple_binop(parent)
            if op is None or pop is None:
                return False
            lo, hi = op in "+-", op in "*/%"
            plo, phi = pop in "+-", pop in "*/%"
            if not (lo or hi) or not (plo or phi):
                return False
            if hi and plo:
                return True
            if lo and phi:
                return False
            return parent.left is n
        return _under_parent(parent)
    if isinstance(n, (SubLink, NullTest, BoolTest, Distinct)):
        return _under_parent(parent)
    if isinstance(n, BoolX):
        if isinstance(parent, BoolX):
            if n.op in ("NOT", "AND"):
                return parent.op in ("AND", "OR")
            return parent.op == "OR"
        if isinstance(parent, Cast):
            return False
        return isinstance(parent, (Func, FuncLike, ArrayX, CaseX))
    return False


def _under_parent(parent) -> bool:
    if isinstance(parent, Cast):
        return False
    return isinstance(parent, (Func, BoolX, ArrayX, FuncLike, CaseX))


def _simple_binop(n: Op) -> str | None:
    return n.name if n.left is not None and len(n.name) == 1 else None


def const_text(n: Const, showtype: int = 0) -> str:
    """get_const_expr: showtype -1 never labels, 0 labels unless implied, 1 always labels."""
    label = "::" + format_type(n.typ, n.typmod)
    if n.text is None:
        return "NULL" + (label if showtype >= 0 else "")
    text, need = n.text, False
    if n.typ == O.INT4:
        if text.startswith("-"):
            text, need = f"'{text}'", True
    elif n.typ == O.NUMERIC:
        if not (text[:1].isdigit() and any(c in text for c in ".eE")):
            text, need = f"'{text}'", True
        need = need or n.typmod >= 0
    elif n.typ == O.BOOL:
        text = "true" if text == "t" else "false"
    elif n.typ == O.UNKNOWN:
        text = _quote_literal(text)
    else:
        text, need = _quote_literal(text), True
    if showtype < 0:
        return text
    return text + label if need or showtype > 0 else text


def _quote_literal(s: str) -> str:
    """simple_quote_literal: E'' only for backslashes (standard_conforming_strings on)."""
    return "'" + s.replace("'", "''") + "'"


def sort_key(p: Printer, e) -> None:
    """get_rule_sortgroupclause: constants labelled, function-like keys parenthesised."""
    if isinstance(e, Const):
        p.p_Const(e, False, showtype=1)
    elif isinstance(e, Var):
        p.expr(e, True)
    else:
        need = p.pretty or isinstance(e, Func)
        if need:
            p.put("(")
        p.expr(e, True)
        if need:
            p.put(")")


def relation_name(engine, rel) -> str:
    """generate_relation_name: qualified only when the bare name would not find it."""
    if rel.schema == "pg_catalog" or engine.catalog.lookup(None, rel.name, engine.search_path()) is rel:
        return quote_ident(rel.name)
    return quote_ident(rel.schema) + "." + quote_ident(rel.name)

