"""Parse analysis for deparsing: a pglast raw tree (a stored default, CHECK expression,
index expression or view query) -> typed nodes shaped like PostgreSQL's analysed tree,
so pgsvc.sql.deparse.printing can print them the way PostgreSQL 15's ruleutils.c does.

What matters for the printed text, and is reproduced here:
  - constants get their type: integers int4 (int8/numeric when larger), other numbers
    numeric, string literals `unknown` until context gives them a type, at which point
    they become constants of that type (printed 'x'::text);
  - operators and functions resolve over pgsvc's catalogue (pgsvc.sql.translate.resolve, the same
    resolution the translator uses), and an argument whose type differs from the chosen
    signature gets an implicit cast node (printed (0)::numeric where PostgreSQL shows
    implicit casts: operator and function arguments);
  - column references resolve to (range entry, column) with the column's type;
  - IN lists become `= ANY (ARRAY[...])`, BETWEEN becomes two comparisons, as the
    PostgreSQL parser transforms them.
Anything this module does not model raises Unsupported; callers fall back to the stored
source text. The SELECTs inside expressions (sublinks) are analysed by the subclass
pgsvc.sql.deparse.query.Analyzer, the analyser callers use.
"""

from __future__ import annotations

from decimal import Decimal

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.functions.ordered_set import HYPOTHETICAL
from pgsvc.sql.functions.session_sigs import EXTRA_FUNCTIONS
from pgsvc.sql.catalog import routines as CR
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate import routine_match as M
from pgsvc.sql.translate.ordered_set import ORDERED_SET_SIGS
from pgsvc.sql.translate.typenames import type_from_typename
from pgsvc.sql.deparse.nodes import (
    ArrayX, BoolTest, BoolX, CaseX, Cast, Const, Distinct, Func, FuncLike, Keyword, Node, NullTest, Op,
    Query, RangeEntry, ScalarArrayOp, SubLink, Subscript, Unsupported, Var)
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import text_decoder, text_encoder
from pgsvc.sql.types.numeric import format_numeric
from pgsvc.sql.types.pg_type import find_oid

_SEQUENCE_FUNCS = {"nextval", "currval", "setval"}
SQL_SYNTAX_FUNCS = {"position", "substring", "btrim", "ltrim", "rtrim", "overlay", "extract", "timezone",
                    "pg_collation_for"}
_BPCHAR_FUNCS = {"length", "char_length", "character_length", "octet_length"}


def _is_array(typ: int) -> bool:
    t = find_oid(typ)
    return t is not None and t.category == "A"


def literal_text(typ: int, text: str, ctx=None) -> str:
    """The output text of a constant of type `typ` given as `text` (its input), printed
    under the session's settings (ctx: DateStyle, ...) as PostgreSQL prints a stored
    constant with the output function of the moment."""
    if typ in (O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME, O.UNKNOWN, O.CHAR):
        return text
    if typ == O.BOOL:
        low = text.strip().lower()
        if low in ("t", "true", "y", "yes", "on", "1"):
            return "t"
        if low in ("f", "false", "n", "no", "off", "0"):
            return "f"
    try:
        return text_encoder(typ, ctx)(text_decoder(typ, ctx)(text))
    except Exception:  # noqa: BLE001 - keep what was written (the input was accepted at DDL time)
        return text


def nulls_first(s: ast.SortBy) -> bool:
    n = s.sortby_nulls
    if n == enums.SortByNulls.SORTBY_NULLS_DEFAULT:
        return s.sortby_dir == enums.SortByDir.SORTBY_DESC
    return n == enums.SortByNulls.SORTBY_NULLS_FIRST


class ExprAnalyzer:
    """Types a raw expression against a scope of range entries (`query`, for the SELECTs
    inside it, comes from pgsvc.sql.deparse.query.Analyzer)."""

    def __init__(self, engine, regclass_name=None) -> None:
        self.engine = engine
        self.regclass_name = regclass_name  # oid/text -> the relation's printed name
        self.levels: list[list] = []  # innermost last: lists of RangeEntry visible
        self.refnames: list[set] = [set()]  # printed range names of the query and its ancestors
        self.ctes: list[dict] = []  # WITH queries visible: name -> columns

    def format_context(self):
        fctx = getattr(self.engine, "fctx", None)
        return fctx.format_context() if fctx is not None else None

    # -- scope --

    def with_relation(self, rel) -> RangeEntry:
        entry = RangeEntry(rel.name, [(a.name, a.type_oid, a.typmod) for a in rel.attrs], rel)
        self.levels.append([entry])
        return entry

    def resolve_column(self, names: list[str]) -> Node:
        for level in reversed(self.levels):
            hit = self._find(level, names)
            if hit is not None:
                return hit
        raise Unsupported(f"column {'.'.join(names)}")

    @staticmethod
    def _find(level, names) -> Node | None:
        col = names[-1]
        if len(names) >= 2:
            for e in level:
                if (e.name or e.refname) == names[-2] and e.refname is not None:
                    c = e.col(col)
                    if c is not None:
                        return Var(c[1], c[2], rte=e, name=c[0], param=e.params)
            return None
        for e in level:
            if col in e.hidden:
                continue
            c = e.col(col)
            if c is not None:
                return Var(c[1], c[2], rte=e.merged.get(col) if e.refname is None else e, name=c[0],
                           param=e.params)
        return None

    # -- coercion --

    def coerce(self, node: Node, target: int, typmod: int = -1, implicit: bool = True) -> Node:
        if target in (O.UNKNOWN, 0) or target in O.ANY_OIDS:
            return self.finalize(node) if target in O.ANY_OIDS else node
        if isinstance(node, Const) and node.typ == O.UNKNOWN:
            text = node.text
            if text is not None:
                text = self.regclass_name(text) if target == O.REGCLASS and self.regclass_name else \
                    literal_text(target, text, self.format_context())
            return Const(target, typmod if not implicit else -1, text=text)
        if node.typ == target and _domain_column(node):
            # a domain column where its base type is wanted: PostgreSQL's RelabelType, printed
            return Cast(target, -1, arg=node, implicit=False)
        if node.typ == target:
            if typmod >= 0 and typmod != node.typmod and not implicit:
                return Cast(target, typmod, arg=node, implicit=False)
            return node
        return Cast(target, typmod, arg=node, implicit=implicit)

    def finalize(self, node: Node) -> Node:
        """An unresolved unknown literal is text (PostgreSQL's resolution of unknown)."""
        if isinstance(node, Const) and node.typ == O.UNKNOWN:
            return self.coerce(node, O.TEXT)
        return node

    # -- expressions --

    def expr(self, node) -> Node:
        method = getattr(self, "x_" + type(node).__name__, None)
        if method is None:
            raise Unsupported(type(node).__name__)
        return method(node)

    def x_A_Const(self, node: ast.A_Const) -> Node:
        if node.isnull:
            return Const(O.UNKNOWN, text=None)
        v = node.val
        if isinstance(v, ast.Integer):
            return Const(O.INT4, text=str(v.ival))
        if isinstance(v, ast.Float):
            text = v.fval
            if text.lstrip("-").isdigit():
                n = int(text)
                return Const(O.INT8 if -2**63 <= n < 2**63 else O.NUMERIC, text=str(n))
            return Const(O.NUMERIC, text=format_numeric(Decimal(text)))
        if isinstance(v, ast.Boolean):
            return Const(O.BOOL, text="t" if v.boolval else "f")
        if isinstance(v, ast.String):
            return Const(O.UNKNOWN, text=v.sval)
        raise Unsupported("bit string constant")

    def x_ColumnRef(self, node: ast.ColumnRef) -> Node:
        if isinstance(node.fields[-1], ast.A_Star):
            raise Unsupported("* in an expression")
        return self.resolve_column([f.sval for f in node.fields])

    def x_TypeCast(self, node: ast.TypeCast) -> Node:
        try:
            typ, typmod = type_from_typename(node.typeName)
        except SqlError as e:
            raise Unsupported(str(e)) from None
        arg = node.arg
        if isinstance(arg, ast.A_ArrayExpr):
            t = find_oid(typ)
            elems = [self.expr(e) for e in arg.elements or ()]
            if elems and all(e.typ != O.UNKNOWN for e in elems):
                # typed elements: one array coercion (what an implicit ::text[] of a stored
                # expression reads back as, so normalised text deparses the same again)
                return self.coerce(self.array(arg, None), typ, typmod, implicit=False)
            return self.coerce(self.array(arg, t.elem_oid if t is not None and t.elem_oid else None), typ,
                               typmod, implicit=False)
        inner = self.expr(arg)
        if isinstance(inner, Const) and inner.typ == O.UNKNOWN:
            out = self.coerce(inner, typ, typmod, implicit=False)
            out.typmod = typmod
            return out
        return self.coerce(inner, typ, typmod, implicit=False) if inner.typ != typ or typmod >= 0 \
            else inner

    def x_A_Expr(self, node: ast.A_Expr) -> Node:
        k = enums.A_Expr_Kind
        kind = node.kind
        if kind in (k.AEXPR_OP, k.AEXPR_LIKE, k.AEXPR_ILIKE):
            name = node.name[-1].sval
            if node.lexpr is None:
                return self.prefix_op(name, self.expr(node.rexpr))
            return self.operator(name, self.expr(node.lexpr), self.expr(node.rexpr))
        if kind == k.AEXPR_IN:
            return self.in_list(node)
        if kind in (k.AEXPR_BETWEEN, k.AEXPR_NOT_BETWEEN):
            lo, hi = node.rexpr
            x = node.lexpr
            if kind == k.AEXPR_BETWEEN:
                return BoolX(O.BOOL, op="AND", args=[self.operator(">=", self.expr(x), self.expr(lo)),
                                                     self.operator("<=", self.expr(x), self.expr(hi))])
            return BoolX(O.BOOL, op="OR", args=[self.operator("<", self.expr(x), self.expr(lo)),
                                                self.operator(">", self.expr(x), self.expr(hi))])
        if kind in (k.AEXPR_DISTINCT, k.AEXPR_NOT_DISTINCT):
            eq = self.operator("=", self.expr(node.lexpr), self.expr(node.rexpr))
            d = Distinct(O.BOOL, left=eq.left, right=eq.right)
            return d if kind == k.AEXPR_DISTINCT else BoolX(O.BOOL, op="NOT", args=[d])
        if kind == k.AEXPR_NULLIF:
            eq = self.operator("=", self.expr(node.lexpr), self.expr(node.rexpr))
            return FuncLike(eq.left.typ, keyword="NULLIF", args=[eq.left, eq.right])
        if kind in (k.AEXPR_OP_ANY, k.AEXPR_OP_ALL):
            left = self.expr(node.lexpr)
            right = self.expr(node.rexpr)
            return self.scalar_array_op(node.name[-1].sval, kind == k.AEXPR_OP_ANY, left, right)
        raise Unsupported(kind.name)

    def operator(self, name: str, left: Node, right: Node) -> Op:
        lo, ro = left.typ, right.typ
        if lo == O.UNKNOWN and ro == O.UNKNOWN and name in ("=", "<>", "<", ">", "<=", ">=", "||", "~~", "!~~"):
            left, right = self.finalize(left), self.finalize(right)
            lo = ro = O.TEXT
        if name == "||" and O.UNKNOWN not in (lo, ro) and (lo in R.STRINGS) != (ro in R.STRINGS) \
                and O.ARRAY_TEXT not in (lo, ro) and not any(_is_array(t) for t in (lo, ro)):
            # textanycat / anytextcat: the string side is text, the other keeps its type
            ls = self.coerce(left, O.TEXT) if lo in R.STRINGS else left
            rs = self.coerce(right, O.TEXT) if ro in R.STRINGS else right
            return Op(O.TEXT, name=name, left=ls, right=rs)
        if name == "||" and (lo == O.UNKNOWN) != (ro == O.UNKNOWN) and not _is_array(lo) and not _is_array(ro) \
                and (lo if ro == O.UNKNOWN else ro) not in R.STRINGS:
            # 'a' || 1: the literal is text (textanycat)
            ls = self.coerce(left, O.TEXT) if lo == O.UNKNOWN else left
            rs = self.coerce(right, O.TEXT) if ro == O.UNKNOWN else right
            return Op(O.TEXT, name=name, left=ls, right=rs)
        try:
            sig = R.resolve_operator(name, lo, ro)
        except SqlError as e:
            raise Unsupported(str(e)) from None
        ret = sig.ret_oid
        ls = self.coerce(left, sig.left_oid)
        rs = self.coerce(right, sig.right_oid)
        if ret in O.ANY_OIDS:
            ret = ls.typ
        return Op(ret, name=name, left=ls, right=rs)

    def prefix_op(self, name: str, arg: Node) -> Op:
        try:
            sig = R.resolve_operator(name, 0, arg.typ)
        except SqlError as e:
            raise Unsupported(str(e)) from None
        return Op(sig.ret_oid, name=name, left=None, right=self.coerce(arg, sig.right_oid))

    def scalar_array_op(self, name: str, use_or: bool, left: Node, right: Node) -> ScalarArrayOp:
        t = find_oid(right.typ)
        elem = t.elem_oid if t is not None and t.category == "A" else 0
        if right.typ == O.UNKNOWN:
            lt = find_oid(left.typ)
            right = self.coerce(right, lt.array_oid if lt is not None and lt.array_oid else O.ARRAY_TEXT)
            elem = find_oid(right.typ).elem_oid
        if not elem:
            raise Unsupported("ANY over a non-array")
        op = self.operator(name, left, Const(elem, text=""))
        if op.right.typ != elem:  # the array is coerced to the operator's element type's array
            et = find_oid(op.right.typ)
            if et is None or not et.array_oid:
                raise Unsupported("array coercion")
            right = self.coerce(right, et.array_oid)
        return ScalarArrayOp(O.BOOL, name=name, use_or=use_or, left=op.left, right=right)

    def in_list(self, node: ast.A_Expr) -> Node:
        neg = node.name[-1].sval == "<>"
        if isinstance(node.lexpr, ast.RowExpr):
            raise Unsupported("row IN")
        left = self.expr(node.lexpr)
        items = [self.expr(e) for e in node.rexpr]
        t = self.common([left] + items)
        items = [self.coerce(i, t) for i in items]
        left = self.coerce(left, t)
        if len(items) == 1:
            return self.operator("<>" if neg else "=", left, items[0])
        arr = ArrayX(find_oid(t).array_oid if find_oid(t) else O.ARRAY_TEXT, elems=items)
        return self.scalar_array_op("<>" if neg else "=", not neg, left, arr)

    def common(self, nodes: list[Node]) -> int:
        try:
            return R.common_type([n.typ for n in nodes], "CASE")
        except SqlError as e:
            raise Unsupported(str(e)) from None

    def x_A_Indirection(self, node: ast.A_Indirection) -> Node:
        base = self.expr(node.arg)
        for ind in node.indirection:
            t = find_oid(base.typ)
            if not isinstance(ind, ast.A_Indices) or ind.is_slice or t is None or not t.elem_oid:
                raise Unsupported("slice or field selection")
            base = Subscript(t.elem_oid, base=base, index=self.coerce(self.expr(ind.uidx), O.INT4))
        return base

    def x_BoolExpr(self, node: ast.BoolExpr) -> Node:
        op = {enums.BoolExprType.AND_EXPR: "AND", enums.BoolExprType.OR_EXPR: "OR",
              enums.BoolExprType.NOT_EXPR: "NOT"}[node.boolop]
        return BoolX(O.BOOL, op=op, args=[self.coerce(self.expr(a), O.BOOL) for a in node.args])

    def x_NullTest(self, node: ast.NullTest) -> Node:
        return NullTest(O.BOOL, arg=self.finalize(self.expr(node.arg)),
                        negated=node.nulltesttype == enums.NullTestType.IS_NOT_NULL)

    def x_BooleanTest(self, node: ast.BooleanTest) -> Node:
        t = enums.BoolTestType
        word = {t.IS_TRUE: "IS TRUE", t.IS_NOT_TRUE: "IS NOT TRUE", t.IS_FALSE: "IS FALSE",
                t.IS_NOT_FALSE: "IS NOT FALSE", t.IS_UNKNOWN: "IS UNKNOWN",
                t.IS_NOT_UNKNOWN: "IS NOT UNKNOWN"}[node.booltesttype]
        return BoolTest(O.BOOL, arg=self.coerce(self.expr(node.arg), O.BOOL), test=word)

    def x_CaseExpr(self, node: ast.CaseExpr) -> Node:
        base = self.expr(node.arg) if node.arg is not None else None
        conds, results = [], []
        for w in node.args:
            if base is not None:
                op = self.operator("=", base, self.expr(w.expr))
                base = op.left
                conds.append(op.right)
            else:
                conds.append(self.coerce(self.expr(w.expr), O.BOOL))
            results.append(self.expr(w.result))
        default = self.expr(node.defresult) if node.defresult is not None else Const(O.UNKNOWN, text=None)
        t = self.common([default] + results)  # the ELSE first, as transformCaseExpr
        if t == O.UNKNOWN:
            t = O.TEXT
        results = [self.coerce(r, t) for r in results]
        return CaseX(t, arg=base, whens=list(zip(conds, results)), default=self.coerce(default, t))

    def x_GroupingFunc(self, node: ast.GroupingFunc) -> Node:
        return FuncLike(O.INT4, keyword="GROUPING", args=[self.expr(a) for a in node.args or ()])

    def x_CoalesceExpr(self, node: ast.CoalesceExpr) -> Node:
        args = [self.expr(a) for a in node.args]
        t = self.common(args)
        t = O.TEXT if t == O.UNKNOWN else t
        return FuncLike(t, keyword="COALESCE", args=[self.coerce(a, t) for a in args])

    def x_MinMaxExpr(self, node: ast.MinMaxExpr) -> Node:
        args = [self.expr(a) for a in node.args]
        t = self.common(args)
        t = O.TEXT if t == O.UNKNOWN else t
        word = "GREATEST" if node.op == enums.MinMaxOp.IS_GREATEST else "LEAST"
        return FuncLike(t, keyword=word, args=[self.coerce(a, t) for a in args])

    def x_SQLValueFunction(self, node: ast.SQLValueFunction) -> Node:
        op = enums.SQLValueFunctionOp
        words = {op.SVFOP_CURRENT_DATE: ("CURRENT_DATE", O.DATE),
                 op.SVFOP_CURRENT_TIMESTAMP: ("CURRENT_TIMESTAMP", O.TIMESTAMPTZ),
                 op.SVFOP_LOCALTIMESTAMP: ("LOCALTIMESTAMP", O.TIMESTAMP),
                 op.SVFOP_CURRENT_TIME: ("CURRENT_TIME", O.TIMETZ), op.SVFOP_LOCALTIME: ("LOCALTIME", O.TIME),
                 op.SVFOP_CURRENT_ROLE: ("CURRENT_ROLE", O.NAME), op.SVFOP_CURRENT_USER: ("CURRENT_USER", O.NAME),
                 op.SVFOP_USER: ("USER", O.NAME), op.SVFOP_SESSION_USER: ("SESSION_USER", O.NAME),
                 op.SVFOP_CURRENT_CATALOG: ("CURRENT_CATALOG", O.NAME),
                 op.SVFOP_CURRENT_SCHEMA: ("CURRENT_SCHEMA", O.NAME)}
        if node.op not in words:
            raise Unsupported("SQL value function with precision")
        word, typ = words[node.op]
        return Keyword(typ, word=word)

    def x_A_ArrayExpr(self, node: ast.A_ArrayExpr) -> Node:
        return self.array(node, None)

    def array(self, node: ast.A_ArrayExpr, elem: int | None) -> Node:
        items = [self.expr(e) for e in node.elements or ()]
        if elem is None:
            if not items:
                raise Unsupported("empty ARRAY[]")
            elem = self.common(items)
            elem = O.TEXT if elem == O.UNKNOWN else elem
        t = find_oid(elem)
        if t is None or not t.array_oid:
            raise Unsupported("array type")
        return ArrayX(t.array_oid, elems=[self.coerce(i, elem) for i in items])

    def x_FuncCall(self, node: ast.FuncCall) -> Node:
        names = [n.sval for n in node.funcname]
        # SQL-syntax calls (POSITION(a IN b), ...): the grammar's pg_catalog.f(...), also as
        # pglast prints them back into the stored source text
        syntax = node.funcformat == enums.CoercionForm.COERCE_SQL_SYNTAX or (
            len(names) == 2 and names[0] == "pg_catalog" and names[1] in SQL_SYNTAX_FUNCS)
        if names[0] == "pg_catalog" and len(names) == 2:
            names = names[1:]
        elif not syntax:
            user = self.user_call(names, node)
            if user is not None:
                return user
        if len(names) != 1 or node.func_variadic:
            raise Unsupported("qualified or variadic function")
        name = names[0]
        if syntax:
            return self.sql_syntax_call(name, node)
        if node.agg_star:
            return Func(O.INT8, name=name, agg=True, star=True, filter=self._filter(node),
                        over=self.window(node.over))
        if node.agg_within_group:
            return self.within_group_call(name, node)
        args = [self.expr(a) for a in node.args or ()]
        if name in _BPCHAR_FUNCS and len(args) == 1 and args[0].typ == O.BPCHAR:
            return Func(O.INT4, name=name, args=args)  # length(character) etc.: PostgreSQL's own
        if name in _SEQUENCE_FUNCS and 1 <= len(args) <= 3:  # resolved by the translator itself
            types = (O.REGCLASS, O.INT8, O.BOOL)
            return Func(O.INT8, name=name, args=[self.coerce(a, t) for a, t in zip(args, types)])
        try:
            sig = R.resolve_function(name, [a.typ for a in args], extra=EXTRA_FUNCTIONS)
        except SqlError as e:
            raise Unsupported(str(e)) from None
        types = list(sig.arg_oids)
        if sig.variadic_oid:
            types = types[:-1] + [sig.variadic_oid] * (len(args) - len(types) + 1)
        args = [self.coerce(a, t) for a, t in zip(args, types)]
        ret = sig.ret_oid
        if ret in O.ANY_OIDS:
            poly = next((a.typ for a, t in zip(args, sig.arg_oids) if t in O.ANY_OIDS), O.TEXT)
            pt = find_oid(poly)
            if ret in (O.ANYARRAY, O.ANYCOMPATIBLEARRAY):
                ret = poly if pt is not None and pt.category == "A" else (pt.array_oid if pt else poly)
            else:
                ret = pt.elem_oid if pt is not None and pt.category == "A" and sig.arg_oids and \
                    sig.arg_oids[0] in (O.ANYARRAY, O.ANYCOMPATIBLEARRAY) else poly
        agg = sig.kind in ("aggregate", "window")
        order = [(self.finalize(self.expr(s.node)), s.sortby_dir == enums.SortByDir.SORTBY_DESC, nulls_first(s))
                 for s in node.agg_order or ()]
        return Func(ret, name=name, args=args, agg=agg, distinct=bool(node.agg_distinct), order=order,
                    filter=self._filter(node), over=self.window(node.over))

    def within_group_call(self, name: str, node: ast.FuncCall) -> Func:
        """An ordered-set or hypothetical-set aggregate: direct arguments coerced as the
        translator's ordered_set does (hypothetical ones to their ordering column's type)."""
        direct = [self.expr(a) for a in node.args or ()]
        keys = [self.finalize(self.expr(s.node)) for s in node.agg_order]
        if name in HYPOTHETICAL:
            if len(direct) != len(keys):
                raise Unsupported("hypothetical-set arguments")
            types = [self.common([k, d]) for d, k in zip(direct, keys)]
            direct = [self.coerce(d, t) for d, t in zip(direct, types)]
            keys = [self.coerce(k, t) for k, t in zip(keys, types)]
            ret = O.FLOAT8 if name in ("percent_rank", "cume_dist") else O.INT8
        else:
            try:
                sig = R.resolve_function(name, [e.typ for e in direct + keys], extra=ORDERED_SET_SIGS,
                                         only_extra=True)
            except SqlError as e:
                raise Unsupported(str(e)) from None
            coerced = [e if t in O.ANY_OIDS else self.coerce(e, t) for e, t in zip(direct + keys, sig.arg_oids)]
            direct, keys = coerced[:len(direct)], coerced[len(direct):]
            ret = sig.ret_oid
            if ret in (O.ANYELEMENT, O.ANYARRAY):
                kt = find_oid(keys[-1].typ) if keys else None
                ret = (kt.array_oid if kt else O.UNKNOWN) if ret == O.ANYARRAY else (keys[-1].typ if keys else ret)
        within = [(k, s.sortby_dir == enums.SortByDir.SORTBY_DESC, nulls_first(s)) for k, s in zip(keys, node.agg_order)]
        return Func(ret, name=name, args=direct, agg=True, within=within, filter=self._filter(node))

    def user_call(self, names: list[str], node: ast.FuncCall) -> Func | None:
        """A call of a user function (catalog.routines), its arguments coerced to the
        declared types and its name schema-qualified unless the search path finds it by
        its bare name, as ruleutils' generate_function_name prints it."""
        cat = getattr(self.engine, "catalog", None)
        schema, name = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        if cat is None or len(names) > 2 or name not in getattr(cat, "routines_named", {}):
            return None
        if node.agg_star or node.func_variadic or any(isinstance(a, ast.NamedArgExpr) for a in node.args or ()):
            raise Unsupported("user function call form")
        path = self.engine.search_path() if hasattr(self.engine, "search_path") else ["public"]
        args = [self.expr(a) for a in node.args or ()]
        oids = [a.typ for a in args]

        def best(cands):
            bindings = M.prefer_unexpanded([b for b in (M.bind(r, [None] * len(args), False) for r in cands) if b])
            found = M.choose(bindings, oids)
            return found[0] if len(found) == 1 else None
        b = best(CR.visible(cat, name, schema, path))
        if b is None:
            return None  # a built-in function of that name, or none
        r = b.routine
        agg = r.kind == "a"  # CREATE AGGREGATE's: DISTINCT, ORDER BY, FILTER, OVER as a built-in's
        if node.over is not None and not agg:
            raise Unsupported("user function call form")
        declared, ret = list(b.declared), r.rettype
        if agg and not r.retset and (ret in O.ANY_OIDS or any(t in O.ANY_OIDS for t in declared)):
            declared, ret = _polymorphic_aggregate(args, declared, ret)
        if r.retset or ret in O.ANY_OIDS or any(t in O.ANY_OIDS for t in declared):
            raise Unsupported("polymorphic or set-returning user function")
        bare = best(CR.visible(cat, name, None, path))
        args = [self.coerce(a, t) for a, t in zip(args, declared)]
        schema = "" if bare is not None and bare.routine is r else r.schema
        if not agg:
            return Func(ret, name=name, schema=schema, args=args, oid=r.oid)
        order = [(self.finalize(self.expr(s.node)), s.sortby_dir == enums.SortByDir.SORTBY_DESC, nulls_first(s))
                 for s in node.agg_order or ()]
        return Func(ret, name=name, schema=schema, args=args, oid=r.oid, agg=True, distinct=bool(node.agg_distinct),
                    order=order, filter=self._filter(node), over=self.window(node.over))

    def sql_syntax_call(self, name: str, node: ast.FuncCall) -> Func:
        args = [self.expr(a) for a in node.args or ()]
        if name not in SQL_SYNTAX_FUNCS:
            raise Unsupported(f"SQL-syntax {name}")
        if name == "extract":
            if len(args) != 2 or not isinstance(args[0], Const) or args[0].text is None:
                raise Unsupported("EXTRACT")
            return Func(O.NUMERIC, name=name, args=[Const(O.TEXT, text=args[0].text.lower()), args[1]],
                        syntax=True)
        if name == "pg_collation_for":
            return Func(O.TEXT, name=name, args=[self.finalize(a) for a in args], syntax=True)
        try:
            sig = R.resolve_function(name, [a.typ for a in args], extra=EXTRA_FUNCTIONS)
        except SqlError as e:
            raise Unsupported(str(e)) from None
        args = [self.coerce(a, t) for a, t in zip(args, sig.arg_oids)]
        if name == "substring" and (len(args) < 2 or args[1].typ != O.INT4) and len(args) != 3:
            # substring(x FROM 'regex'): an ordinary call in PostgreSQL's output
            return Func(sig.ret_oid, name=name, args=args)
        return Func(sig.ret_oid, name=name, args=args, syntax=True)

    def window(self, over):
        """OVER (PARTITION BY ... ORDER BY ...): (partition exprs, [(expr, desc, nulls_first)])."""
        if over is None:
            return None
        if over.name or over.refname or over.frameOptions & 1:  # named windows, explicit frames
            raise Unsupported("window name or frame")
        parts = [self.finalize(self.expr(e)) for e in over.partitionClause or ()]
        order = [(self.finalize(self.expr(s.node)), s.sortby_dir == enums.SortByDir.SORTBY_DESC, nulls_first(s))
                 for s in over.orderClause or ()]
        return parts, order

    def _filter(self, node):
        return self.coerce(self.expr(node.agg_filter), O.BOOL) if node.agg_filter is not None else None

    def x_SubLink(self, node: ast.SubLink) -> Node:
        t = enums.SubLinkType
        q = self.query(node.subselect)
        kind = node.subLinkType
        if kind == t.EXISTS_SUBLINK:
            return SubLink(O.BOOL, kind="EXISTS", query=q)
        first = next((e for e, _, junk in q.targets if not junk), None)
        if kind == t.EXPR_SUBLINK:
            return SubLink(first.typ if first is not None else O.UNKNOWN, kind="EXPR", query=q)
        if kind == t.ARRAY_SUBLINK:
            ft = find_oid(first.typ) if first is not None else None
            return SubLink(ft.array_oid if ft is not None else O.UNKNOWN, kind="ARRAY", query=q)
        if kind in (t.ANY_SUBLINK, t.ALL_SUBLINK):
            opname = node.operName[-1].sval if node.operName else "="
            op = self.operator(opname, self.expr(node.testexpr), first)
            return SubLink(O.BOOL, kind="ANY" if kind == t.ANY_SUBLINK else "ALL", test=op.left, opname=opname,
                           query=q)
        raise Unsupported("sublink")

    # -- queries --

    def query(self, node) -> Query:
        """A subquery, analysed: pgsvc.sql.deparse.query.Analyzer supplies it (an
        expression analyser alone cannot: its caller prints the stored text instead)."""
        raise Unsupported("subquery")


def _domain_column(node: Node) -> bool:
    """Is this a column of a relation whose type is a domain (pgsvc's Var carries the
    domain's base type; the catalog's attribute names the domain)?"""
    if not isinstance(node, Var) or node.rte is None or getattr(node.rte, "relation", None) is None:
        return False
    attr = node.rte.relation.attr(node.name) if hasattr(node.rte.relation, "attr") else None
    return bool(attr is not None and getattr(attr, "domain_oid", 0))


def _polymorphic_aggregate(args, declared: list, ret: int) -> tuple[list, int]:
    """A polymorphic user aggregate's argument and result types at a call: anyelement /
    anycompatible the first such argument's type, anyarray / anycompatiblearray its array
    (other polymorphic forms: Unsupported)."""
    poly = next((a.typ for a, t in zip(args, declared) if t in (O.ANYELEMENT, O.ANYCOMPATIBLE)), None)
    if poly is None or poly == O.UNKNOWN:
        raise Unsupported("polymorphic user aggregate")
    t = find_oid(poly)
    arr = t.array_oid if t is not None else 0
    pick = {O.ANYELEMENT: poly, O.ANYCOMPATIBLE: poly, O.ANYARRAY: arr, O.ANYCOMPATIBLEARRAY: arr}
    if not arr or ret not in pick and ret in O.ANY_OIDS or any(d in O.ANY_OIDS and d not in pick for d in declared):
        raise Unsupported("polymorphic user aggregate")
    return [pick.get(d, d) for d in declared], pick.get(ret, ret)
