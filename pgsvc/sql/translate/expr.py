"""Expressions: the dispatch from a pglast node to its translation (an Ex, see
pgsvc.sql.translate.ex) and the scalar node kinds themselves: constants, parameters,
column references, casts, boolean and NULL tests, CASE, COALESCE, GREATEST/LEAST, SQL
value functions, ARRAY[...], COLLATE and subscripts. Operators are
pgsvc.sql.translate.operators', coercion pgsvc.sql.translate.coerce's, function calls
pgsvc.sql.translate.funcs'; all are mixed into the Translator.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.domains import cast_check_sql
from pgsvc.sql.translate.ex import Ex, array_element_json, collate_clause, location, sql_literal
from pgsvc.sql.translate.jsonb_subscript import jsonb_fetch
from pgsvc.sql.translate.typenames import typename_with_domain
from pgsvc.sql.functions.array_build import MAX_ARGS
from pgsvc.sql.types.bits import bit_in
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes
from pgsvc.sql.types.numeric import format_numeric
from pgsvc.sql.types.pg_type import find_oid, format_type



class ExprMixin:
    """Expression translation; mixed into the Translator (which provides scope and params)."""

    # --- dispatch ------------------------------------------------------------------

    def expr(self, node) -> Ex:
        method = getattr(self, "x_" + type(node).__name__, None)
        if method is None:
            raise SqlError("0A000", f"{type(node).__name__} expressions are not supported",
                           position=location(node))
        return method(node)

    def x_A_Const(self, node: ast.A_Const) -> Ex:
        if node.isnull:
            return Ex("NULL", O.UNKNOWN, is_null=True)
        v = node.val
        if isinstance(v, ast.Integer):
            return Ex(str(v.ival), O.INT4)
        if isinstance(v, ast.Float):
            return self.float_const(v.fval)
        if isinstance(v, ast.Boolean):
            return Ex("1" if v.boolval else "0", O.BOOL)
        if isinstance(v, ast.String):
            return Ex(sql_literal(v.sval), O.UNKNOWN, lit=v.sval)
        if isinstance(v, ast.BitString):  # B'101', X'1F': bit, of the length written
            return Ex(sql_literal(bit_in(v.bsval)), O.BIT)
        raise SqlError("0A000", f"{type(v).__name__} constants are not supported")

    def float_const(self, text: str) -> Ex:
        """A Float constant (parse_node.c's make_const): an integer that fits int4 (only
        -2147483648, which the grammar folds from a negated literal) or int8, else numeric."""
        if text.lstrip("-").isdigit():
            n = int(text)
            if -2**31 <= n < 2**31:
                return Ex(str(n), O.INT4)
            if -2**63 <= n < 2**63:
                return Ex(str(n), O.INT8)
        return Ex(sql_literal(format_numeric(Decimal(text))), O.NUMERIC)

    def x_ParamRef(self, node: ast.ParamRef) -> Ex:
        if self.routine_params is not None:  # inside a function's body (translate.routines)
            return self.routine_param(node)
        n = node.number
        if self.fixed_params and not self.is_literal_param(n):  # (parse_analyze_fixedparams)
            raise SqlError("42P02", f"there is no parameter ${n}", position=location(node))
        oid = self.param_type(n, node)
        if oid == O.UNKNOWN:
            return Ex(f"?{n}", O.UNKNOWN, param=n)
        return Ex(f"?{n}", oid)

    def x_ColumnRef(self, node: ast.ColumnRef) -> Ex:
        fields = node.fields
        if isinstance(fields[-1], ast.A_Star):
            whole = self.whole_record(node)
            if whole is None and len(fields) == 2 and isinstance(fields[0], ast.String):
                whole = self.whole_row_ref(fields[0].sval)  # t.* where a value is wanted: the whole row
            if whole is not None:
                return whole
            raise SqlError("0A000", "row expansion (*) in this position is not supported", position=location(node))
        names = [f.sval for f in fields]
        try:
            return self.scope.resolve_column(names, location(node))
        except SqlError as err:
            whole = self.whole_row_ref(names[0]) if len(names) == 1 and err.sqlstate == "42703" else None
            if whole is None:
                raise
            return whole

    def whole_record(self, node) -> Ex | None:
        """rec.* (or ROW(rec.*)) of a record value in scope (a PL/pgSQL record: NEW.*::text,
        ROW(OLD.*) IS DISTINCT FROM ROW(NEW.*)): the record itself."""
        if isinstance(node, ast.RowExpr) and node.args and len(node.args) == 1:
            node = node.args[0]
        if not isinstance(node, ast.ColumnRef) or len(node.fields) != 2 or not isinstance(node.fields[1], ast.A_Star) \
                or not isinstance(node.fields[0], ast.String):
            return None
        try:
            ex = self.scope.resolve_column([node.fields[0].sval], location(node))
        except SqlError:
            return None
        return ex if ex.oid == O.RECORD else None

    def row_items(self, args) -> list[Ex]:
        """A row constructor's items, rec.* expanded into its fields: ROW(OLD.*) = ROW(NEW.*)
        compares field by field (a NULL field makes it NULL), as PostgreSQL's row comparison."""
        out: list[Ex] = []
        for a in args:
            f = a.fields if isinstance(a, ast.ColumnRef) else ()
            if len(f) == 2 and isinstance(f[0], ast.String) and isinstance(f[1], ast.A_Star):
                out += [Ex(c.sql, c.oid, c.typmod, name=c.name) for c in self.scope.star(f[0].sval, location(a))]
            else:
                out.append(self.expr(a))
        return out

    def x_RowExpr(self, node: ast.RowExpr) -> Ex:
        whole = self.whole_record(node)
        if whole is None:
            return self.row_constructor(node)  # translate.composites
        return whole

    def x_TypeCast(self, node: ast.TypeCast) -> Ex:
        try:
            oid, typmod, domain = typename_with_domain(node.typeName, self)
        except SqlError as err:
            if err.position is None and err.sqlstate == "22023":  # typmodin's: at the type name
                err.position = location(node.typeName)
            raise
        arg = node.arg
        if isinstance(arg, ast.A_ArrayExpr) and find_oid(oid) and find_oid(oid).category == "A":
            ex = self.array_expr(arg, find_oid(oid).elem_oid, "e")
        else:
            ex = self.expr(arg)
        out = self.coerce(ex, oid, typmod, "e", position=location(node))
        if domain:
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
        if arg.oid == O.RECORD or R.category(arg.oid) == "C":  # a row: each field (translate.composites)
            return Ex(f"pgsvc_row_nulltest({arg.sql}, {int(neg)})", O.BOOL, has_agg=arg.has_agg)
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
                conds.append(self.compare("=", base, self.expr(w.expr), location(w)))
            else:
                conds.append(self.bool_expr(w.expr, "CASE/WHEN"))
            results.append(self.expr(w.result))
        default = self.expr(node.defresult) if node.defresult is not None else Ex("NULL", O.UNKNOWN, is_null=True)
        # the ELSE first: PostgreSQL's transformCaseExpr makes it the most significant type
        rtype = R.common_type([r.oid for r in [default] + results], "CASE", location(node))
        results = [self.coerce(r, rtype) for r in results]
        default = self.coerce(default, rtype)
        parts = ["CASE"] + [f"WHEN {c.sql} THEN {r.sql}" for c, r in zip(conds, results)]
        parts.append(f"ELSE {default.sql} END")
        agg = any(x.has_agg for x in conds + results + [default])
        # FigureColname: the ELSE's name when it has one of its own, else "case"
        name = default.name if _names_itself(node.defresult) else "case"
        sql = " ".join(parts)
        if "COLLATE" in sql:  # a WHEN's comparison's COLLATE would be SQLite's choice for the result's
            sql = f"({sql}){collate_clause(rtype) or ' COLLATE BINARY'}"
        return Ex(sql, rtype, name=name, has_agg=agg)

    def x_CoalesceExpr(self, node: ast.CoalesceExpr) -> Ex:
        args = [self.expr(a) for a in node.args]
        t = R.common_type([a.oid for a in args], "COALESCE", location(node))
        args = [self.coerce(a, t) for a in args]
        sql = f"coalesce({', '.join(a.sql for a in args)})" if len(args) > 1 else args[0].sql
        return Ex(sql, t, name="coalesce", has_agg=any(a.has_agg for a in args))

    def x_MinMaxExpr(self, node: ast.MinMaxExpr) -> Ex:
        name = "greatest" if node.op == enums.MinMaxOp.IS_GREATEST else "least"
        args = [self.expr(a) for a in node.args]
        t = R.common_type([a.oid for a in args], name.upper(), location(node))
        args = [self.coerce(a, t) for a in args]
        # PostgreSQL ignores NULLs in GREATEST/LEAST; SQLite's max()/min() return NULL.
        fn = "max" if name == "greatest" else "min"
        coll = collate_clause(t)
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
        raise SqlError("0A000", "CURRENT_TIME/LOCALTIME are not supported", position=location(node))

    def x_A_ArrayExpr(self, node: ast.A_ArrayExpr) -> Ex:
        return self.array_expr(node, None)

    def array_expr(self, node: ast.A_ArrayExpr, elem: int | None, context: str = "i") -> Ex:
        """ARRAY[...] (of elem: ARRAY[...]::elem[], whose elements are cast explicitly, context "e")."""
        elements = list(node.elements or ())
        if elements and all(isinstance(e, ast.A_ArrayExpr) for e in elements):
            return self.multidimensional_array(node, elements, elem, context)
        items = [self.expr(e) for e in elements]
        if any(R.category(i.oid) == "A" for i in items) and \
                all(R.category(i.oid) == "A" or i.oid == O.UNKNOWN for i in items):
            return self.multidimensional_array(node, items, elem, context)
        if elem is None:
            if not items:
                raise SqlError("42P18", "cannot determine type of empty array", position=location(node),
                               hint="Explicitly cast to the desired type, for example ARRAY[]::integer[].")
            elem = R.common_type([i.oid for i in items], "ARRAY", location(node))
        arr = self.array_of([self.coerce(i, elem, context=context) for i in items], elem)
        if elem == O.RECORD:  # records of one known shape: to_json names and types their fields
            self.remember_array_row_shape(arr.sql, [i.sql for i in items])
        return arr

    def multidimensional_array(self, node: ast.A_ArrayExpr, elements: list, elem: int | None, context: str) -> Ex:
        """ARRAY[[1, 2], [3, 4]], ARRAY[ARRAY[..], ..], ARRAY[arr1, arr2]: the sub-arrays one
        dimension down, of one array type (transformArrayExpr's multidimensional case)."""
        subs = [self.array_expr(e, elem, context) if isinstance(e, ast.A_ArrayExpr) else e for e in elements]
        if elem is None:
            arr = R.common_type([s.oid for s in subs], "ARRAY", location(node))
        else:
            arr = find_oid(elem).array_oid if find_oid(elem) else 0
        if not arr or R.category(arr) != "A":
            raise SqlError("0A000", "arrays of this type are not supported", position=location(node))
        shapes = {_literal_shape(e) for e in elements if isinstance(e, ast.A_ArrayExpr)}
        if len(shapes) > 1:
            raise SqlError("2202E", "multidimensional arrays must have array expressions with matching dimensions")
        subs = [self.coerce(s, arr, context=context) for s in subs]
        if not all(isinstance(e, ast.A_ArrayExpr) for e in elements):  # arrays known at run time:
            # their shapes and lower bounds checked, kept inside (functions.array_bounds)
            return Ex(f"pgsvc_array_build({', '.join(s.sql for s in subs)})", arr, name="array",
                      has_agg=any(s.has_agg for s in subs))
        return Ex(_json_array([f"json({s.sql})" for s in subs]), arr, name="array",
                  has_agg=any(s.has_agg for s in subs))

    def array_of(self, items: list[Ex], elem: int) -> Ex:
        """ARRAY[...] of expressions already of type `elem` (VARIADIC arguments too)."""
        arr = find_oid(elem).array_oid if find_oid(elem) else 0
        if not arr:
            raise SqlError("0A000", "arrays of this type are not supported")
        return Ex(_json_array([array_element_json(i.sql, elem) for i in items]), arr, name="array")

    def x_CollateClause(self, node: ast.CollateClause) -> Ex:
        """COLLATE "C" / "POSIX" / ucs_basic / default (pg_catalog's; all of them byte order
        in pgsvc's UTF8 databases, as "C" is): on a collatable type only."""
        names = [n.sval for n in node.collname]
        ex = self.expr(node.arg)
        known = len(names) == 1 or (len(names) == 2 and names[0] == "pg_catalog")
        if len(names) == 2 and names[0] != "pg_catalog":
            self.require_schema(names[0], location(node))
        if not known or names[-1] not in ("C", "POSIX", "default", "ucs_basic"):
            raise SqlError("42704", f'collation "{".".join(names)}" for encoding "UTF8" does not exist',
                           position=location(node))
        if not _collatable(ex.oid):
            raise SqlError("42804", f"collations are not supported by type {format_type(ex.oid, -1)}",
                           position=location(node))
        return replace(ex, sql=f"({ex.sql} COLLATE BINARY)")

    def require_schema(self, schema: str, position) -> None:
        if schema not in ("pg_catalog", "information_schema", "pg_toast") and schema not in self.catalog.schemas:
            raise SqlError("3F000", f'schema "{schema}" does not exist', position=position)

    def x_A_Indirection(self, node: ast.A_Indirection) -> Ex:
        if isinstance(node.arg, ast.FuncCall) and isinstance(node.indirection[0], ast.String) \
                and self.catalog.routines_named:  # (f(x)).col of a user function (translate.routines)
            field = self.routine_field(node)
            if field is not None:
                return field
        base = self.expr(node.arg)
        inds = list(node.indirection)
        k = 0
        while k < len(inds):
            ind = inds[k]
            k += 1
            if isinstance(ind, ast.String):  # (c).f (translate.composites)
                base = self.select_field(base, ind.sval, location(node.arg))
                continue
            if base.oid == O.NAME and isinstance(ind, ast.A_Indices) and not ind.is_slice:
                # name is a fixed array of 64 "char"s counted from 0 (pg_dump: typname[0] = '_')
                idx = self.coerce(self.expr(ind.uidx), O.INT4)
                base = Ex(f"(CASE WHEN {idx.sql} BETWEEN 0 AND 63 THEN substr({base.sql}, {idx.sql} + 1, 1) END)",
                          O.CHAR, name=base.name, has_agg=base.has_agg)
                continue
            if base.oid == O.JSONB and isinstance(ind, ast.A_Indices):  # j['a'][0] (translate.jsonb_subscript)
                run = [ind]
                while k < len(inds) and isinstance(inds[k], ast.A_Indices):
                    run.append(inds[k])
                    k += 1
                base = jsonb_fetch(self, base, run)
                continue
            t = find_oid(base.oid)
            if not isinstance(ind, ast.A_Indices) or t is None or not t.elem_oid or t.category != "A":
                raise SqlError("0A000", "this subscript or field selection is not supported", position=location(node))
            run = [ind]  # a[i][j]...: one access, every dimension's subscript
            while k < len(inds) and isinstance(inds[k], ast.A_Indices):
                run.append(inds[k])
                k += 1
            lower = 0 if base.oid in O.VECTOR_OIDS else 1  # int2vector/oidvector count from 0
            if any(r.is_slice for r in run):
                base = self.array_slice(base, run, lower)
                continue
            idxs = [self.subscript(r.uidx) for r in run]
            path = "('$' || " + " || ".join(f"'[' || ({i.sql} - {lower}) || ']'" for i in idxs) + ")"
            conds = " AND ".join(f"{i.sql} >= {lower}" for i in idxs)
            # fewer subscripts than dimensions is NULL in PostgreSQL (not a row of it)
            sql = (f"(CASE WHEN {conds} AND json_type({base.sql}, {path}) IS NOT 'array' "
                   f"THEN {_element_sql(base.sql, path, t.elem_oid)} END)")
            if lower == 1:  # an array with other lower bounds (its '/*' prefix): the path by UDF
                path = f"pgsvc_array_path({base.sql}, {', '.join(i.sql for i in idxs)})"
                sql = (f"(CASE WHEN substr({base.sql}, 1, 1) = '/' THEN (CASE WHEN json_type({base.sql}, {path}) "
                       f"IS NOT 'array' THEN {_element_sql(base.sql, path, t.elem_oid)} END) ELSE {sql} END)")
            base = Ex(sql, t.elem_oid, name=base.name, has_agg=base.has_agg or any(i.has_agg for i in idxs))
        return base

    def subscript(self, node) -> Ex:
        """A subscript as an integer: coerced as an assignment is (a numeric rounds), else
        PostgreSQL's 42804."""
        ex = self.expr(node)
        try:
            return self.coerce(ex, O.INT4, context="a")
        except SqlError as e:
            if e.sqlstate not in ("42804", "42846", "42883"):
                raise
            pos = location(node)
            if isinstance(node, ast.TypeCast):  # exprLocation: the leftmost of the cast and its operand
                pos = min(p for p in (pos, location(node.arg)) if p is not None)
            raise SqlError("42804", "array subscript must have type integer", position=pos) from None

    def array_slice(self, base: Ex, run: list, lower: int) -> Ex:
        """a[l:u][..]: a subscript without a colon is 1:i then; an omitted bound is the
        array's own; a NULL bound makes the result NULL (pgsvc_array_slice)."""
        def bound(node) -> str:
            return "'*'" if node is None else self.subscript(node).sql
        pairs = [f"json_array({bound(r.lidx) if r.is_slice else str(lower)}, {bound(r.uidx)})" for r in run]
        return Ex(f"pgsvc_array_slice({base.sql}, json_array({', '.join(pairs)}), {lower})", base.oid,
                  name=base.name, has_agg=base.has_agg)


def _element_sql(array_sql: str, path: str, elem: int) -> str:
    """An array element out of its JSON text in its own stored form: numeric's text exactly
    (not read as a REAL; its 'NaN'/'Infinity' strings unquoted, a JSON null as NULL), float's
    infinities as REALs (they are strings in the array)."""
    if elem == O.NUMERIC:
        return f"pgsvc_numeric_elem({array_sql} -> {path})"
    if elem in (O.FLOAT4, O.FLOAT8):
        return f"pgsvc_float_elem({array_sql} ->> {path})"
    if elem == O.BYTEA:  # stored as hex in the array
        return f"unhex({array_sql} ->> {path})"
    return f"({array_sql} ->> {path})"


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
    if isinstance(node, ast.CaseExpr):
        return 2 if _name_strength(node.defresult) == 2 else 1
    if isinstance(node, ast.TypeCast):
        return 2 if _name_strength(node.arg) == 2 else 1
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
    return usertypes.base_of(oid) in (O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME, O.UNKNOWN)


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


def _literal_shape(node: ast.A_ArrayExpr) -> tuple:
    """The dimensions of an ARRAY[...] written out (its sub-arrays' too)."""
    elements = list(node.elements or ())
    inner = {_literal_shape(e) for e in elements if isinstance(e, ast.A_ArrayExpr)}
    return (len(elements),) + (next(iter(inner)) if len(inner) == 1 else ())


def _json_array(parts: list[str]) -> str:
    """json_array(...) of the elements; over MAX_ARGS of them, pieces joined by
    pgsvc_json_concat (SQLite takes at most 127 arguments to a function)."""
    if len(parts) <= MAX_ARGS:
        return f"json_array({', '.join(parts)})"
    pieces = [f"json_array({', '.join(parts[i:i + MAX_ARGS])})" for i in range(0, len(parts), MAX_ARGS)]
    while len(pieces) > MAX_ARGS:
        pieces = [f"pgsvc_json_concat({', '.join(pieces[i:i + MAX_ARGS])})" for i in range(0, len(pieces), MAX_ARGS)]
    return f"json(pgsvc_json_concat({', '.join(pieces)}))"  # json(): a JSON value inside another
