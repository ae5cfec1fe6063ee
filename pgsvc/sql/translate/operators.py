"""Operators: A_Expr in all its kinds (binary and prefix operators, LIKE, SIMILAR TO,
IS [NOT] DISTINCT FROM, NULLIF, IN lists, BETWEEN, op ANY/ALL (array), row comparisons),
resolved PostgreSQL-style over pgsvc.sql.functions' pg_operator. Mixed into the Translator."""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.ex import Ex, location, sql_literal
from pgsvc.sql.translate.patterns import similar_to_regex
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import find_oid, format_type



_CMP = frozenset(("=", "<>", "<", ">", "<=", ">="))


class OperatorMixin:
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

    def x_A_Expr(self, node: ast.A_Expr) -> Ex:
        k = enums.A_Expr_Kind
        kind = node.kind
        pos = location(node)
        if kind == k.AEXPR_OP:
            self.check_operator_schema(node, pos)
            name = node.name[-1].sval
            if isinstance(node.lexpr, ast.RowExpr) and isinstance(node.rexpr, ast.RowExpr):
                if not node.lexpr.args and not node.rexpr.args:
                    raise SqlError("0A000", "cannot compare rows of zero length", position=pos)
                return self.row_compare(name, self.row_items(node.lexpr.args or ()),
                                        self.row_items(node.rexpr.args or ()), pos)
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

    def operator(self, name: str, left: Ex, right: Ex, pos: int | None) -> Ex:
        if left.oid == O.UNKNOWN and right.oid == O.UNKNOWN and not (left.is_null or right.is_null) \
                and name in ("=", "<>", "<", ">", "<=", ">=", "||", "~~", "!~~"):
            left, right = self.resolve_unknown(left, O.TEXT), self.resolve_unknown(right, O.TEXT)
        # a bare NULL is unknown; NULL::macaddr8 has its type (and its operators: j -> NULL::int
        # is jsonb -> integer)
        lo, ro = left.oid, right.oid
        if (lo == O.RECORD or ro == O.RECORD or R.category(lo) == "C" or R.category(ro) == "C") \
                and name in ("=", "<>", "<", ">", "<=", ">=", "*=", "*<>", "*<", "*<=", "*>", "*>="):
            rec = self.record_compare(name, left, right, pos)  # row values (translate.composites)
            if rec is not None:
                return rec
        if name == "||" and lo != O.UNKNOWN and ro != O.UNKNOWN and (lo in R.STRINGS) != (ro in R.STRINGS):
            array = lo if R.category(lo) == "A" else ro if R.category(ro) == "A" else 0
            if not array:
                # anynonarray || text: the non-text side goes through its output function
                left = self.coerce(left, O.TEXT, context="e") if lo not in R.STRINGS else left
                right = self.coerce(right, O.TEXT, context="e") if ro not in R.STRINGS else right
                lo, ro = left.oid, right.oid
            elif (find_oid(array).elem_oid in R.STRINGS) != ((ro if array == lo else lo) in R.STRINGS):
                # an array and an element: anycompatiblearray || anycompatible, no common type
                raise SqlError("42883", f"operator does not exist: {format_type(lo, None)} || "
                               f"{format_type(ro, None)}", position=pos,
                               hint="No operator matches the given name and argument types. "
                                    "You might need to add explicit type casts.")
        sig = R.resolve_operator(name, lo, ro, pos)
        if sig.left_oid in O.ANY_OIDS or sig.right_oid in O.ANY_OIDS:
            ls, rs, ret = self.polymorphic_operands(sig, left, right)
        else:
            ls = self.coerce(left, sig.left_oid)
            rs = self.coerce(right, sig.right_oid)
            ret = sig.ret_oid
        self._last_operands = (ls, rs)
        lsql = ls.sql
        if name in _CMP and "COLLATE" not in sig.emit and ("COLLATE" in lsql or "COLLATE" in rs.sql):
            # an operand's inner COLLATE (a comparison in a CASE WHEN) would be SQLite's choice
            # for this comparison too: its own (BINARY) stated, on the left, which wins
            lsql = f"({lsql}) COLLATE BINARY"
        return Ex(sig.emit.format(lsql, rs.sql), ret, has_agg=ls.has_agg or rs.has_agg)

    def polymorphic_operands(self, sig, left: Ex, right: Ex) -> tuple[Ex, Ex, int]:
        """anyarray || anyarray, anyarray @> anyarray, ...: the operands keep their types
        (an untyped literal takes the other side's), the result is the array type."""
        def array_of(ex: Ex, poly: int) -> int:
            t = find_oid(ex.oid)
            if poly in (O.ANYARRAY, O.ANYCOMPATIBLEARRAY):
                return ex.oid
            return t.array_oid if t is not None and t.array_oid else O.UNKNOWN
        known = [array_of(e, p) for e, p in ((left, sig.left_oid), (right, sig.right_oid)) if e.oid != O.UNKNOWN]
        arr = known[0] if known else O.ARRAY_TEXT
        elem = find_oid(arr).elem_oid if find_oid(arr) is not None else O.UNKNOWN

        def fit(ex: Ex, poly: int) -> Ex:
            if poly not in O.ANY_OIDS:
                return self.coerce(ex, poly)
            if ex.oid != O.UNKNOWN:
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
        if arr.oid == O.UNKNOWN:
            arr = self.coerce(arr, find_oid(left.oid).array_oid if find_oid(left.oid) else O.ARRAY_TEXT)
        elem = find_oid(arr.oid).elem_oid if find_oid(arr.oid) else 0
        if not elem:
            raise SqlError("42809", "op ANY/ALL (array) requires array on right side", position=pos)
        # each element in its own stored form (as translate.expr's _element_sql reads one)
        probe = Ex("pgsvc_numeric_elem(je.json -> je.fullkey)" if elem == O.NUMERIC else
                   "pgsvc_float_elem(je.value)" if elem in (O.FLOAT4, O.FLOAT8) else
                   "unhex(je.value)" if elem == O.BYTEA else "je.value", elem)
        cmp = self.compare(name, left, probe, pos)
        # a multidimensional array's elements in storage order (translate.from_items.unnest_source)
        flat = f"(CASE WHEN json_type({arr.sql}, '$[0]') = 'array' THEN pgsvc_array_flat({arr.sql}) ELSE {arr.sql} END)"
        if is_all:
            return Ex(f"(CASE WHEN {arr.sql} IS NULL THEN NULL ELSE (SELECT CASE WHEN sum(NOT ({cmp.sql})) > 0 "
                      f"THEN 0 WHEN count(*) = count({cmp.sql}) THEN 1 END FROM json_each({flat}) AS je) "
                      f"END)", O.BOOL)
        return Ex(f"(CASE WHEN {arr.sql} IS NULL THEN NULL ELSE (SELECT CASE WHEN max({cmp.sql}) = 1 THEN 1 "
                  f"WHEN count(*) = count({cmp.sql}) THEN 0 END FROM json_each({flat}) AS je) END)", O.BOOL)


def _identity_equality(oid: int) -> bool:
    return oid in (O.INT2, O.INT4, O.INT8, O.TEXT, O.VARCHAR, O.NAME, O.BOOL, O.DATE, O.TIMESTAMP,
                   O.TIMESTAMPTZ, O.TIME, O.UUID, O.BYTEA, O.OID, O.CHAR, O.JSONB, O.FLOAT8, O.FLOAT4)
