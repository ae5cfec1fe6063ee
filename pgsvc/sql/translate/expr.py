"""Expressions: name resolution against the scope, type inference, coercion and the
SQLite text of every scalar expression (pglast node -> Ex).

An Ex carries the SQLite SQL of the value in its *stored form* (pgsvc.sql.types'
storage conventions), its PostgreSQL type and typmod, and the name PostgreSQL would
give it as a result column. Untyped literals and parameters ($n sent with OID 0) have
type `unknown` until context resolves them (coerce_to), as in PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.names import fold_names
from pgsvc.sql.translate.patterns import similar_to_regex
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types.pg_type import by_name, find_oid, format_type, typmod_from_modifiers
from pgsvc.sql.types.textio import decode_text

UNKNOWN = O.UNKNOWN
REG_OIDS = frozenset({O.REGCLASS, O.REGTYPE, O.REGPROC, O.REGPROCEDURE, O.REGOPER, O.REGOPERATOR,
                      O.REGNAMESPACE, O.REGROLE, O.ARRAY_REGCLASS, O.ARRAY_REGTYPE, O.ARRAY_REGPROC,
                      O.ARRAY_REGPROCEDURE, O.ARRAY_REGOPER, O.ARRAY_REGOPERATOR, O.ARRAY_REGNAMESPACE,
                      O.ARRAY_REGROLE})


@dataclass(slots=True)
class Ex:
    sql: str
    oid: int
    typmod: int = -1
    name: str = "?column?"
    lit: str | None = None  # text of an untyped string literal (oid UNKNOWN)
    param: int = 0  # number of an untyped parameter (oid UNKNOWN)
    table_oid: int = 0
    attnum: int = 0
    notnull: bool = False
    has_agg: bool = False
    is_null: bool = False


def sql_literal(value) -> str:
    """A stored-form Python value as an SQLite literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "'NaN'"
        if value in (float("inf"), float("-inf")):
            return "9e999" if value > 0 else "-9e999"
        return repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "X'" + bytes(value).hex() + "'"
    return "'" + str(value).replace("'", "''") + "'"


def type_from_typename(tn: ast.TypeName, tx=None) -> tuple[int, int]:
    """(oid, typmod) of a TypeName node; a domain gives its base type and typmod."""
    oid, typmod, _ = typename_with_domain(tn, tx)
    return oid, typmod


def typename_with_domain(tn: ast.TypeName, tx=None) -> tuple[int, int, int]:
    """(oid, typmod, domain oid or 0) of a TypeName node."""
    names = [n.sval for n in tn.names]
    if len(names) == 2 and names[0] == "pg_catalog":
        names = names[1:]
    if len(names) == 2 or usertypes.lookup(None, names[-1]) is not None:
        return _user_type(tn, names)
    if len(names) != 1:
        raise SqlError("42704", f'type "{".".join(names)}" does not exist', position=_loc(tn))
    oid, typmod = _builtin_type(tn, tx, names[0])
    return oid, typmod, 0


def _user_type(tn: ast.TypeName, names: list[str]) -> tuple[int, int, int]:
    ut = usertypes.lookup(names[0] if len(names) == 2 else None, names[-1])
    if ut is None or len(names) > 2:
        raise SqlError("42704", f'type "{".".join(names)}" does not exist', position=_loc(tn))
    if tn.typmods:
        raise SqlError("42601", f'type modifier is not allowed for type "{ut.name}"', position=_loc(tn))
    if tn.pct_type:
        raise SqlError("0A000", "%TYPE is not supported")
    if ut.typtype == "e":
        return (ut.array_oid if tn.arrayBounds else ut.oid), -1, 0
    if tn.arrayBounds:
        raise SqlError("0A000", "arrays of domains are not supported", position=_loc(tn))
    dom, typmod = ut, -1
    while dom is not None and dom.typtype == "d":
        typmod = typmod if typmod >= 0 else dom.typmod
        dom = usertypes.find(dom.basetype)
    return usertypes.base_of(ut.oid), typmod, ut.oid


def _builtin_type(tn: ast.TypeName, tx, name: str) -> tuple[int, int]:
    try:
        t = by_name(name if name != "char" else '"char"') if name != "bpchar" else by_name("bpchar")
    except SqlError as e:
        e.position = _loc(tn)
        raise
    if tn.pct_type:
        raise SqlError("0A000", "%TYPE is not supported")
    mods = []
    for m in tn.typmods or ():
        if isinstance(m, ast.A_Const) and isinstance(m.val, ast.Integer):
            mods.append(m.val.ival)
        elif isinstance(m, ast.ParamRef) and tx is not None:
            mods.append(int(tx.structural_literal(m)))
        else:
            raise SqlError("42601", "type modifiers must be simple constants or identifiers",
                           position=_loc(tn))
    oid = t.oid
    if name == "bpchar" and not mods and tn.typmods is None and tx is not None and getattr(tn, "location", -1) >= 0:
        pass
    typmod = typmod_from_modifiers(oid, mods) if mods else -1
    if oid == O.BPCHAR and typmod < 0 and _is_sql_char(tn):
        typmod = 5  # CHAR without length means CHAR(1)
    if tn.arrayBounds:
        arr = t.array_oid
        if not arr:
            raise SqlError("42704", f"could not find array type for data type {t.sql_name}")
        oid = arr
    return oid, typmod


def _is_sql_char(tn: ast.TypeName) -> bool:
    names = [n.sval for n in tn.names]
    return names == ["pg_catalog", "bpchar"]


def _loc(node) -> int | None:
    loc = getattr(node, "location", None)
    return loc + 1 if isinstance(loc, int) and loc >= 0 else None


class ExprMixin:
    """Expression translation; mixed into the Translator (which provides scope and params)."""

    # --- coercion ------------------------------------------------------------------

    def coerce(self, ex: Ex, target: int, typmod: int = -1, context: str = "i",
               position: int | None = None, what: str | None = None) -> Ex:
        """Coerce ex to target type: context 'i' implicit, 'a' assignment, 'e' explicit."""
        if target == UNKNOWN:
            return ex
        if ex.oid == UNKNOWN:
            out = self.resolve_unknown(ex, target)
        elif ex.oid == target:
            out = ex
        else:
            if not R.can_coerce(ex.oid, target, context):
                raise self.mismatch(ex, target, context, position, what)
            out = replace(ex, sql=R.cast_template(ex.oid, target).format(ex.sql), oid=target,
                          typmod=-1, table_oid=0, attnum=0)
        if typmod >= 0 and (out.typmod != typmod or context == "e"):
            out = replace(out, sql=f"pgsvce_typmod({out.sql}, {target}, {typmod}, {int(context == 'e')})",
                          typmod=typmod)
        return out

    def mismatch(self, ex: Ex, target: int, context: str, position, what) -> SqlError:
        if context == "e":
            return SqlError("42846", f"cannot cast type {format_type(ex.oid, -1)} to {format_type(target, -1)}",
                            position=position)
        if what:
            return SqlError("42804", f'{what} is of type {format_type(target, -1)} but expression is of type '
                            f'{format_type(ex.oid, -1)}', position=position,
                            hint="You will need to rewrite or cast the expression.")
        return SqlError("42804", f"argument of type {format_type(ex.oid, -1)} cannot be coerced to "
                        f"{format_type(target, -1)}", position=position)

    def resolve_unknown(self, ex: Ex, target: int) -> Ex:
        """An untyped literal or parameter takes the type its context wants."""
        if ex.is_null:
            return replace(ex, oid=target)
        if target in REG_OIDS:
            return self.resolve_unknown_reg(ex, target)
        if ex.param:
            self.set_param_type(ex.param, target)
            return replace(ex, oid=target)
        if ex.lit is not None:
            return replace(ex, sql=sql_literal(self.convert_literal(ex.lit, target)), oid=target, lit=None)
        return replace(ex, oid=target)

    def resolve_unknown_reg(self, ex: Ex, target: int) -> Ex:
        """'name'::regclass (regtype, regproc, ...) finds the object now, as PostgreSQL folds
        the constant at planning; a parameter is read as text and looked up when it runs."""
        from pgsvc.sql.catalog.regtypes import reg_in
        if ex.param and self.is_literal_param(ex.param):
            # a lifted literal: the runner looks the name up when it binds the value (and
            # points an error at the literal); the translation stays cacheable
            self.set_param_type(ex.param, target)
            return replace(ex, oid=target)
        if ex.lit is not None:
            value = reg_in(self.engine, target, ex.lit)
            to_s = sqlite_adapter(target)[0] if isinstance(value, list) else None
            return replace(ex, sql=sql_literal(to_s(value) if to_s else value), oid=target, lit=None, param=0)
        if ex.param:
            self.set_param_type(ex.param, O.TEXT)
        return replace(ex, sql=f"pgsvce_regin({ex.sql}, {target})", oid=target, lit=None, param=0)

    def convert_literal(self, text: str, target: int):
        if target in (O.TEXT, O.VARCHAR, O.NAME, UNKNOWN):
            return text
        value = decode_text(target, text, self.format_context())
        to_s = sqlite_adapter(target)[0]
        return to_s(value) if to_s else value

    def finalize_unknown(self, ex: Ex) -> Ex:
        """Output of an unresolved unknown: text (PostgreSQL resolves unknown to text)."""
        if ex.oid == UNKNOWN:
            return self.resolve_unknown(ex, O.TEXT)
        return ex

    def bool_expr(self, node, what: str) -> Ex:
        ex = self.expr(node)
        if ex.oid == O.BOOL:
            return ex
        if ex.oid == UNKNOWN:
            if ex.lit is not None:
                return self.coerce(ex, O.BOOL)
            return self.coerce(ex, O.BOOL)
        raise SqlError("42804", f"argument of {what} must be type boolean, not type {format_type(ex.oid, -1)}",
                       position=_loc(node))

    # --- dispatch ------------------------------------------------------------------

    def expr(self, node) -> Ex:
        method = getattr(self, "x_" + type(node).__name__, None)
        if method is None:
            raise SqlError("0A000", f"{type(node).__name__} expressions are not supported",
                           position=_loc(node))
        return method(node)

    def x_A_Const(self, node: ast.A_Const) -> Ex:
        if node.isnull:
            return Ex("NULL", UNKNOWN, is_null=True)
        v = node.val
        if isinstance(v, ast.Integer):
            return Ex(str(v.ival), O.INT4)
        if isinstance(v, ast.Float):
            return self.float_const(v.fval)
        if isinstance(v, ast.Boolean):
            return Ex("1" if v.boolval else "0", O.BOOL)
        if isinstance(v, ast.String):
            return Ex(sql_literal(v.sval), UNKNOWN, lit=v.sval)
        raise SqlError("0A000", "bit string constants are not supported")

    def float_const(self, text: str) -> Ex:
        if text.lstrip("-").isdigit():
            n = int(text)
            if -2**63 <= n < 2**63:
                return Ex(str(n), O.INT8)
        from decimal import Decimal

        from pgsvc.sql.types.numeric import format_numeric
        return Ex(sql_literal(format_numeric(Decimal(text))), O.NUMERIC)

    def x_ParamRef(self, node: ast.ParamRef) -> Ex:
        n = node.number
        oid = self.param_type(n, node)
        if oid == UNKNOWN:
            return Ex(f"?{n}", UNKNOWN, param=n)
        return Ex(f"?{n}", oid)

    def x_ColumnRef(self, node: ast.ColumnRef) -> Ex:
        fields = node.fields
        if isinstance(fields[-1], ast.A_Star):
            raise SqlError("0A000", "row expansion (*) in this position is not supported", position=_loc(node))
        names = [f.sval for f in fields]
        return self.scope.resolve_column(names, _loc(node))

    def x_TypeCast(self, node: ast.TypeCast) -> Ex:
        oid, typmod, domain = typename_with_domain(node.typeName, self)
        arg = node.arg
        if isinstance(arg, ast.A_ArrayExpr) and find_oid(oid) and find_oid(oid).category == "A":
            ex = self.array_expr(arg, find_oid(oid).elem_oid)
        else:
            ex = self.expr(arg)
        out = self.coerce(ex, oid, typmod, "e", position=_loc(node))
        if domain:
            from pgsvc.sql.translate.domains import cast_check_sql
            if ex.param:
                self.set_param_domain(ex.param, domain)
            out = replace(out, sql=cast_check_sql(self.engine, domain, oid, typmod, out.sql), lit=None, param=0)
        name = ex.name if _names_itself(arg) and not (ex.lit is not None or ex.is_null) \
            else _cast_name(domain or oid)
        if isinstance(arg, ast.A_Const) or isinstance(arg, ast.ParamRef):
            name = _cast_name(domain or oid)
        return replace(out, name=name, table_oid=0, attnum=0)

    def x_BoolExpr(self, node: ast.BoolExpr) -> Ex:
        op = node.boolop
        what = {enums.BoolExprType.AND_EXPR: "AND", enums.BoolExprType.OR_EXPR: "OR",
                enums.BoolExprType.NOT_EXPR: "NOT"}[op]
        args = [self.bool_expr(a, what) for a in node.args]
        agg = any(a.has_agg for a in args)
        if what == "NOT":
            return Ex(f"(NOT {args[0].sql})", O.BOOL, has_agg=agg)
        return Ex("(" + f" {what} ".join(a.sql for a in args) + ")", O.BOOL, has_agg=agg)

    def x_NullTest(self, node: ast.NullTest) -> Ex:
        arg = self.finalize_unknown(self.expr(node.arg))
        neg = node.nulltesttype == enums.NullTestType.IS_NOT_NULL
        return Ex(f"({arg.sql} IS {'NOT ' if neg else ''}NULL)", O.BOOL, has_agg=arg.has_agg)

    def x_BooleanTest(self, node: ast.BooleanTest) -> Ex:
        arg = self.bool_expr(node.arg, "IS TRUE")
        t = enums.BoolTestType
        sql = {t.IS_TRUE: "({0} IS 1)", t.IS_NOT_TRUE: "({0} IS NOT 1)", t.IS_FALSE: "({0} IS 0)",
               t.IS_NOT_FALSE: "({0} IS NOT 0)", t.IS_UNKNOWN: "({0} IS NULL)",
               t.IS_NOT_UNKNOWN: "({0} IS NOT NULL)"}[node.booltesttype]
        return Ex(sql.format(arg.sql), O.BOOL, has_agg=arg.has_agg)

    def x_CaseExpr(self, node: ast.CaseExpr) -> Ex:
        base = self.expr(node.arg) if node.arg is not None else None
        conds, results = [], []
        for w in node.args:
            if base is not None:
                # CASE x WHEN v: PostgreSQL applies the "=" operator of x's and v's types
                conds.append(self.compare("=", base, self.expr(w.expr), _loc(w)))
            else:
                conds.append(self.bool_expr(w.expr, "CASE/WHEN"))
            results.append(self.expr(w.result))
        default = self.expr(node.defresult) if node.defresult is not None else Ex("NULL", UNKNOWN, is_null=True)
        rtype = R.common_type([r.oid for r in results + [default]], "CASE", _loc(node))
        results = [self.coerce(r, rtype) for r in results]
        default = self.coerce(default, rtype)
        parts = ["CASE"] + [f"WHEN {c.sql} THEN {r.sql}" for c, r in zip(conds, results)]
        parts.append(f"ELSE {default.sql} END")
        agg = any(x.has_agg for x in conds + results + [default])
        return Ex(" ".join(parts), rtype, name="case", has_agg=agg)

    def x_CoalesceExpr(self, node: ast.CoalesceExpr) -> Ex:
        args = [self.expr(a) for a in node.args]
        t = R.common_type([a.oid for a in args], "COALESCE", _loc(node))
        args = [self.coerce(a, t) for a in args]
        sql = f"coalesce({', '.join(a.sql for a in args)})" if len(args) > 1 else args[0].sql
        return Ex(sql, t, name="coalesce", has_agg=any(a.has_agg for a in args))

    def x_MinMaxExpr(self, node: ast.MinMaxExpr) -> Ex:
        name = "greatest" if node.op == enums.MinMaxOp.IS_GREATEST else "least"
        args = [self.expr(a) for a in node.args]
        t = R.common_type([a.oid for a in args], name.upper(), _loc(node))
        args = [self.coerce(a, t) for a in args]
        # PostgreSQL ignores NULLs in GREATEST/LEAST; SQLite's max()/min() return NULL.
        fn = "max" if name == "greatest" else "min"
        coll = _collate(t)
        inner = ", ".join(f"({a.sql})" for a in args)
        sql = f"(SELECT {fn}(v{coll}) FROM (SELECT value AS v FROM json_each(json_array({inner}))))" \
            if False else _nullskip_minmax(fn, [a.sql for a in args], coll)
        return Ex(sql, t, name=name, has_agg=any(a.has_agg for a in args))

    def x_SQLValueFunction(self, node: ast.SQLValueFunction) -> Ex:
        op = enums.SQLValueFunctionOp
        k = node.op
        if k in (op.SVFOP_CURRENT_TIMESTAMP, op.SVFOP_CURRENT_TIMESTAMP_N):
            return Ex("pgsvce_txn_ts()", O.TIMESTAMPTZ, name="current_timestamp")
        if k in (op.SVFOP_LOCALTIMESTAMP, op.SVFOP_LOCALTIMESTAMP_N):
            return Ex(f"pgsvce_cast(pgsvce_txn_ts(), {O.TIMESTAMPTZ}, {O.TIMESTAMP})", O.TIMESTAMP,
                      name="localtimestamp")
        if k == op.SVFOP_CURRENT_DATE:
            return Ex(f"pgsvce_cast(pgsvce_txn_ts(), {O.TIMESTAMPTZ}, {O.DATE})", O.DATE, name="current_date")
        if k in (op.SVFOP_CURRENT_USER, op.SVFOP_USER, op.SVFOP_SESSION_USER, op.SVFOP_CURRENT_ROLE):
            label = {op.SVFOP_CURRENT_USER: "current_user", op.SVFOP_USER: "current_user",
                     op.SVFOP_SESSION_USER: "session_user", op.SVFOP_CURRENT_ROLE: "current_role"}[k]
            # evaluated at run time: SET ROLE changes current_user without re-translation
            fn = "pgsvce_session_user()" if label == "session_user" else "pgsvce_current_user()"
            return Ex(fn, O.NAME, name=label)
        if k == op.SVFOP_CURRENT_CATALOG:
            return Ex(sql_literal(self.session.database), O.NAME, name="current_catalog")
        if k == op.SVFOP_CURRENT_SCHEMA:
            return Ex(sql_literal(self.search_path()[0] if self.search_path() else None), O.NAME,
                      name="current_schema")
        raise SqlError("0A000", "CURRENT_TIME/LOCALTIME are not supported", position=_loc(node))

    def x_A_ArrayExpr(self, node: ast.A_ArrayExpr) -> Ex:
        return self.array_expr(node, None)

    def array_expr(self, node: ast.A_ArrayExpr, elem: int | None) -> Ex:
        items = [self.expr(e) for e in node.elements or ()]
        if elem is None:
            if not items:
                raise SqlError("42P18", "cannot determine type of empty array", position=_loc(node),
                               hint="Explicitly cast to the desired type, for example ARRAY[]::integer[].")
            elem = R.common_type([i.oid for i in items], "ARRAY", _loc(node))
        items = [self.coerce(i, elem) for i in items]
        arr = find_oid(elem).array_oid if find_oid(elem) else 0
        if not arr:
            raise SqlError("0A000", "arrays of this type are not supported")
        if elem in (O.NUMERIC,):
            inner = ", ".join(f"json(CASE WHEN {i.sql} IN ('NaN','Infinity','-Infinity') THEN json_quote({i.sql}) "
                              f"ELSE {i.sql} END)" for i in items)
        elif elem == O.BYTEA:
            inner = ", ".join(f"hex({i.sql})" for i in items)
        else:
            inner = ", ".join(i.sql for i in items)
        return Ex(f"json_array({inner})", arr, name="array")

    def x_CollateClause(self, node: ast.CollateClause) -> Ex:
        """COLLATE "C" / "POSIX" / ucs_basic / default (pg_catalog's; all of them byte order
        in pgsvc's UTF8 databases, as "C" is): on a collatable type only."""
        names = [n.sval for n in node.collname]
        ex = self.expr(node.arg)
        known = len(names) == 1 or (len(names) == 2 and names[0] == "pg_catalog")
        if len(names) == 2 and names[0] != "pg_catalog":
            self.require_schema(names[0], _loc(node))
        if not known or names[-1] not in ("C", "POSIX", "default", "ucs_basic"):
            raise SqlError("42704", f'collation "{".".join(names)}" for encoding "UTF8" does not exist',
                           position=_loc(node))
        if not _collatable(ex.oid):
            raise SqlError("42804", f"collations are not supported by type {format_type(ex.oid, -1)}",
                           position=_loc(node))
        return replace(ex, sql=f"({ex.sql} COLLATE BINARY)")

    def require_schema(self, schema: str, position) -> None:
        if schema not in ("pg_catalog", "information_schema", "pg_toast") and schema not in self.catalog.schemas:
            raise SqlError("3F000", f'schema "{schema}" does not exist', position=position)

    def check_operator_schema(self, node: ast.A_Expr, pos) -> None:
        """OPERATOR(schema.op): pgsvc's operators are all pg_catalog's; another existing
        schema has none (42883, as PostgreSQL says it), an unknown one is 3F000."""
        if len(node.name) < 2 or node.name[0].sval == "pg_catalog":
            return
        schema, op = node.name[0].sval, node.name[-1].sval
        self.require_schema(schema, pos)
        left = format_type(self.expr(node.lexpr).oid, -1) + " " if node.lexpr is not None else ""
        right = " " + format_type(self.expr(node.rexpr).oid, -1) if node.rexpr is not None else ""
        raise SqlError("42883", f"operator does not exist: {left}{schema}.{op}{right}", position=pos,
                       hint="No operator matches the given name and argument types. You might need to add "
                       "explicit type casts.")

    # --- operators -----------------------------------------------------------------

    def x_A_Expr(self, node: ast.A_Expr) -> Ex:
        k = enums.A_Expr_Kind
        kind = node.kind
        pos = _loc(node)
        if kind == k.AEXPR_OP:
            self.check_operator_schema(node, pos)
            name = node.name[-1].sval
            if isinstance(node.lexpr, ast.RowExpr) and isinstance(node.rexpr, ast.RowExpr):
                return self.row_compare(name, [self.expr(a) for a in node.lexpr.args],
                                        [self.expr(a) for a in node.rexpr.args], pos)
            if node.lexpr is None:
                return self.prefix_op(name, self.expr(node.rexpr), pos)
            return self.operator(name, self.expr(node.lexpr), self.expr(node.rexpr), pos)
        if kind in (k.AEXPR_LIKE, k.AEXPR_ILIKE):
            name = node.name[-1].sval
            return self.operator(name, self.expr(node.lexpr), self.expr(node.rexpr), pos)
        if kind == k.AEXPR_SIMILAR:
            return self.similar_to(node, pos)
        if kind in (k.AEXPR_DISTINCT, k.AEXPR_NOT_DISTINCT):
            left, right = self.expr(node.lexpr), self.expr(node.rexpr)
            eq = self.operator("=", left, right, pos)
            ls, rs = self._last_operands
            op = "IS NOT" if kind == k.AEXPR_DISTINCT else "IS"
            # SQLite's IS compares stored forms; equal stored forms are equal values for
            # the types whose equality is identity; otherwise go through the operator.
            if _identity_equality(ls.oid):
                return Ex(f"({ls.sql} {op} {rs.sql})", O.BOOL, has_agg=ls.has_agg or rs.has_agg)
            neg = "NOT " if kind == k.AEXPR_DISTINCT else ""
            return Ex(f"({neg}CASE WHEN {ls.sql} IS NULL OR {rs.sql} IS NULL THEN ({ls.sql} IS NULL AND "
                      f"{rs.sql} IS NULL) ELSE coalesce({eq.sql}, 0) END)", O.BOOL)
        if kind == k.AEXPR_NULLIF:
            left, right = self.expr(node.lexpr), self.expr(node.rexpr)
            eq = self.operator("=", left, right, pos)
            ls, _ = self._last_operands
            return Ex(f"(CASE WHEN {eq.sql} THEN NULL ELSE {ls.sql} END)", ls.oid, name="nullif")
        if kind == k.AEXPR_IN:
            return self.in_list(node, pos)
        if kind in (k.AEXPR_BETWEEN, k.AEXPR_NOT_BETWEEN, k.AEXPR_BETWEEN_SYM, k.AEXPR_NOT_BETWEEN_SYM):
            return self.between(node, pos)
        if kind in (k.AEXPR_OP_ANY, k.AEXPR_OP_ALL):
            return self.op_any_array(node, kind == k.AEXPR_OP_ALL, pos)
        raise SqlError("0A000", f"{kind.name} is not supported", position=pos)

    def similar_to(self, node: ast.A_Expr, pos) -> Ex:
        """x SIMILAR TO 'pattern' [ESCAPE e]: PostgreSQL's similar_to_escape() into a POSIX regex."""
        neg = node.name[-1].sval == "!~"
        pat = node.rexpr
        escape = "\\"
        if isinstance(pat, ast.FuncCall) and pat.funcname[-1].sval in ("similar_to_escape", "similar_escape"):
            args = pat.args or ()
            pat = args[0]
            if len(args) > 1:
                escape = self.structural_literal(args[1])
        text = self.structural_literal(pat)
        if not isinstance(text, str) or not isinstance(escape, str):
            raise SqlError("0A000", "SIMILAR TO with a non-constant pattern is not supported", position=pos)
        regex = Ex(sql_literal(similar_to_regex(text, escape)), O.TEXT)
        return self.operator("!~" if neg else "~", self.expr(node.lexpr), regex, pos)

    def x_A_Indirection(self, node: ast.A_Indirection) -> Ex:
        base = self.expr(node.arg)
        for ind in node.indirection:
            t = find_oid(base.oid)
            if not isinstance(ind, ast.A_Indices) or ind.is_slice or t is None or not t.elem_oid \
                    or t.category != "A":
                raise SqlError("0A000", "this subscript or field selection is not supported", position=_loc(node))
            idx = self.coerce(self.expr(ind.uidx), O.INT4)
            elem = t.elem_oid
            lower = 0 if base.oid in O.VECTOR_OIDS else 1  # int2vector/oidvector count from 0
            path = f"('$[' || ({idx.sql} - {lower}) || ']')"
            op = "->" if elem == O.NUMERIC else "->>"
            base = Ex(f"(CASE WHEN {idx.sql} >= {lower} THEN ({base.sql} {op} {path}) END)", elem,
                      name=base.name, has_agg=base.has_agg)
        return base

    def operator(self, name: str, left: Ex, right: Ex, pos: int | None) -> Ex:
        if left.oid == UNKNOWN and right.oid == UNKNOWN and not (left.is_null or right.is_null) \
                and name in ("=", "<>", "<", ">", "<=", ">=", "||", "~~", "!~~"):
            left, right = self.resolve_unknown(left, O.TEXT), self.resolve_unknown(right, O.TEXT)
        lo = left.oid if not left.is_null else UNKNOWN
        ro = right.oid if not right.is_null else UNKNOWN
        if name == "||" and lo != UNKNOWN and ro != UNKNOWN and (lo in R.STRINGS) != (ro in R.STRINGS):
            # anynonarray || text: the non-text side goes through its output function
            left = self.coerce(left, O.TEXT, context="e") if lo not in R.STRINGS else left
            right = self.coerce(right, O.TEXT, context="e") if ro not in R.STRINGS else right
            lo, ro = left.oid, right.oid
        sig = R.resolve_operator(name, lo, ro, pos)
        if sig.left_oid in O.ANY_OIDS or sig.right_oid in O.ANY_OIDS:
            ls, rs, ret = self.polymorphic_operands(sig, left, right)
        else:
            ls = self.coerce(left, sig.left_oid)
            rs = self.coerce(right, sig.right_oid)
            ret = sig.ret_oid
        self._last_operands = (ls, rs)
        return Ex(sig.emit.format(ls.sql, rs.sql), ret, has_agg=ls.has_agg or rs.has_agg)

    def polymorphic_operands(self, sig, left: Ex, right: Ex) -> tuple[Ex, Ex, int]:
        """anyarray || anyarray, anyarray @> anyarray, ...: the operands keep their types
        (an untyped literal takes the other side's), the result is the array type."""
        def array_of(ex: Ex, poly: int) -> int:
            t = find_oid(ex.oid)
            if poly in (O.ANYARRAY, O.ANYCOMPATIBLEARRAY):
                return ex.oid
            return t.array_oid if t is not None and t.array_oid else UNKNOWN
        known = [array_of(e, p) for e, p in ((left, sig.left_oid), (right, sig.right_oid)) if e.oid != UNKNOWN]
        arr = known[0] if known else O.ARRAY_TEXT
        elem = find_oid(arr).elem_oid if find_oid(arr) is not None else UNKNOWN

        def fit(ex: Ex, poly: int) -> Ex:
            if poly not in O.ANY_OIDS:
                return self.coerce(ex, poly)
            if ex.oid != UNKNOWN:
                return ex
            return self.coerce(ex, arr if poly in (O.ANYARRAY, O.ANYCOMPATIBLEARRAY) else elem)
        ret = sig.ret_oid
        if ret in (O.ANYARRAY, O.ANYCOMPATIBLEARRAY):
            ret = arr
        elif ret in O.ANY_OIDS:
            ret = elem
        return fit(left, sig.left_oid), fit(right, sig.right_oid), ret

    def compare(self, name: str, left: Ex, right: Ex, pos) -> Ex:
        out = self.operator(name, left, right, pos)
        if out.oid != O.BOOL:
            raise SqlError("42804", "operator must return boolean", position=pos)
        return out

    def prefix_op(self, name: str, arg: Ex, pos) -> Ex:
        if name == "-" and arg.lit is None and arg.sql.lstrip("-").isdigit() and arg.oid in (O.INT4, O.INT8):
            return Ex(str(-int(arg.sql)), arg.oid)
        sig = R.resolve_operator(name, 0, arg.oid, pos)
        a = self.coerce(arg, sig.right_oid)
        return Ex(sig.emit.format(a.sql), sig.ret_oid, has_agg=a.has_agg)

    def row_compare(self, name: str, left: list[Ex], right: list[Ex], pos) -> Ex:
        """(a, b) op (c, d), expanded as PostgreSQL defines row comparison."""
        if len(left) != len(right):
            raise SqlError("42601", "unequal number of entries in row expressions", position=pos)
        eqs = [self.compare("=", lft, rgt, pos).sql for lft, rgt in zip(left, right)]
        if name == "=":
            return Ex("(" + " AND ".join(eqs) + ")", O.BOOL)
        if name == "<>":
            return Ex("(NOT (" + " AND ".join(eqs) + "))", O.BOOL)
        if name not in ("<", "<=", ">", ">="):
            raise SqlError("0A000", f"row comparison with {name} is not supported", position=pos)
        strict = name[0]
        last = self.compare(name, left[-1], right[-1], pos).sql
        sql = last
        for i in range(len(left) - 2, -1, -1):
            lt = self.compare(strict, left[i], right[i], pos).sql
            sql = f"({lt} OR ({eqs[i]} AND {sql}))"
        return Ex(sql, O.BOOL)

    def in_list(self, node: ast.A_Expr, pos) -> Ex:
        neg = node.name[-1].sval == "<>"
        if isinstance(node.lexpr, ast.RowExpr):
            left_row = [self.expr(a) for a in node.lexpr.args]
            parts = []
            for item in node.rexpr:
                if not isinstance(item, ast.RowExpr):
                    raise SqlError("42601", "row expression expected in IN list", position=pos)
                parts.append(self.row_compare("=", left_row, [self.expr(a) for a in item.args], pos).sql)
            sql = "(" + " OR ".join(parts) + ")"
            return Ex(f"(NOT {sql})" if neg else sql, O.BOOL)
        left = self.expr(node.lexpr)
        items = [self.expr(e) for e in node.rexpr]
        t = R.common_type([left.oid] + [i.oid for i in items], "IN", pos)
        left = self.coerce(left, t)
        items = [self.coerce(i, t) for i in items]
        probe = self.compare("=", left, items[0], pos)
        if not _identity_equality(t) or "COLLATE" in probe.sql:
            parts = [self.compare("=", left, i, pos).sql for i in items]
            sql = "(" + " OR ".join(parts) + ")"
            return Ex(f"(NOT {sql})" if neg else sql, O.BOOL)
        return Ex(f"({left.sql} {'NOT IN' if neg else 'IN'} ({', '.join(i.sql for i in items)}))", O.BOOL,
                  has_agg=left.has_agg or any(i.has_agg for i in items))

    def between(self, node: ast.A_Expr, pos) -> Ex:
        k = enums.A_Expr_Kind
        x = self.expr(node.lexpr)
        lo, hi = (self.expr(e) for e in node.rexpr)
        a = self.compare(">=", x, lo, pos).sql
        b = self.compare("<=", x, hi, pos).sql
        sql = f"({a} AND {b})"
        if node.kind in (k.AEXPR_BETWEEN_SYM, k.AEXPR_NOT_BETWEEN_SYM):
            c = self.compare(">=", x, hi, pos).sql
            d = self.compare("<=", x, lo, pos).sql
            sql = f"({sql} OR ({c} AND {d}))"
        if node.kind in (k.AEXPR_NOT_BETWEEN, k.AEXPR_NOT_BETWEEN_SYM):
            sql = f"(NOT {sql})"
        return Ex(sql, O.BOOL)

    def op_any_array(self, node: ast.A_Expr, is_all: bool, pos) -> Ex:
        left = self.expr(node.lexpr)
        arr = self.expr(node.rexpr)
        name = node.name[-1].sval
        if arr.oid == UNKNOWN:
            arr = self.coerce(arr, find_oid(left.oid).array_oid if find_oid(left.oid) else O.ARRAY_TEXT)
        elem = find_oid(arr.oid).elem_oid if find_oid(arr.oid) else 0
        if not elem:
            raise SqlError("42809", "op ANY/ALL (array) requires array on right side", position=pos)
        probe = Ex("je.value", elem)
        cmp = self.compare(name, left, probe, pos)
        if is_all:
            return Ex(f"(CASE WHEN {arr.sql} IS NULL THEN NULL ELSE (SELECT CASE WHEN sum(NOT ({cmp.sql})) > 0 "
                      f"THEN 0 WHEN count(*) = count({cmp.sql}) THEN 1 END FROM json_each({arr.sql}) AS je) "
                      f"END)", O.BOOL)
        return Ex(f"(CASE WHEN {arr.sql} IS NULL THEN NULL ELSE (SELECT CASE WHEN max({cmp.sql}) = 1 THEN 1 "
                  f"WHEN count(*) = count({cmp.sql}) THEN 0 END FROM json_each({arr.sql}) AS je) END)", O.BOOL)


def _name_strength(node) -> int:
    """PostgreSQL's FigureColname strength of an expression's name: 2 for a name of its own
    (a column, a function, ARRAY[...], a subquery's column...), 1 for a weak one (CASE, a
    cast's type), 0 for none. A cast keeps its operand's name only if that is strong."""
    if isinstance(node, (ast.ColumnRef, ast.FuncCall, ast.A_ArrayExpr, ast.RowExpr, ast.CoalesceExpr,
                         ast.MinMaxExpr, ast.SQLValueFunction, ast.GroupingFunc)):
        return 2
    if isinstance(node, ast.SubLink):
        return 2 if node.subLinkType in (enums.SubLinkType.EXISTS_SUBLINK, enums.SubLinkType.ARRAY_SUBLINK,
                                         enums.SubLinkType.EXPR_SUBLINK) else 0
    if isinstance(node, ast.A_Expr):
        return 2 if node.kind == enums.A_Expr_Kind.AEXPR_NULLIF else 0
    if isinstance(node, (ast.CaseExpr, ast.TypeCast)):
        return 1
    if isinstance(node, (ast.CollateClause, ast.A_Indirection)):
        return _name_strength(node.arg)
    return 0


def _names_itself(node) -> bool:
    return _name_strength(node) == 2


def _collatable(oid: int) -> bool:
    """Types COLLATE applies to: the string types (and domains/arrays of them, unknown)."""
    t = find_oid(oid)
    if t is not None and t.category == "A" and t.elem_oid:
        oid = t.elem_oid
    return usertypes.base_of(oid) in (O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME, UNKNOWN)


def _identity_equality(oid: int) -> bool:
    return oid in (O.INT2, O.INT4, O.INT8, O.TEXT, O.VARCHAR, O.NAME, O.BOOL, O.DATE, O.TIMESTAMP,
                   O.TIMESTAMPTZ, O.TIME, O.UUID, O.BYTEA, O.OID, O.CHAR, O.JSONB, O.FLOAT8, O.FLOAT4)


def _collate(oid: int) -> str:
    from pgsvc.sql.types.storage import collation_for
    c = collation_for(oid)
    return f" COLLATE {c}" if c else ""


def _nullskip_minmax(fn: str, args: list[str], coll: str) -> str:
    # SQLite's multi-argument max()/min() return NULL if any argument is NULL.
    vals = " UNION ALL ".join(f"SELECT {a} AS v" for a in args)
    return f"(SELECT {fn}(v{coll}) FROM ({vals}))"


def _cast_name(oid: int) -> str:
    t = find_oid(oid)
    if t is None:
        return "?column?"
    if t.category == "A":
        return find_oid(t.elem_oid).name if find_oid(t.elem_oid) else t.name
    return t.name


__all__ = ["Ex", "ExprMixin", "sql_literal", "type_from_typename", "fold_names"]
