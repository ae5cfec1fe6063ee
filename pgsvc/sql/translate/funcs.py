"""Function calls, aggregates, window functions and subquery expressions.

Functions resolve over pgsvc.sql.functions.FUNCTIONS (PostgreSQL-style, with implicit
casts); a few need the engine itself (nextval/currval/setval resolve their regclass
argument in the catalog; pg_sleep polls for cancel). pgsvc.sql.functions.session_sigs
holds the window and session functions the functions catalogue does not carry.
"""

from __future__ import annotations

import re
from copy import copy
from dataclasses import replace

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.system.procs import operators_of_function
from pgsvc.sql.quoting import split_top_level
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.functions.engine_udfs import ORDERED_TARGETS, python_aggregates
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS, EXTRA_FUNCTIONS, TRANSACTION_SCOPED
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.functions.window_aggs import window_call
from pgsvc.sql.types.ranges import is_multirange, is_range
from pgsvc.sql.translate.composites import composite_base
from pgsvc.sql.translate.window_frames import frame_clause
from pgsvc.sql.translate.ex import Ex, array_element_json, collate_clause, location
from pgsvc.sql.translate.names import aggregate_level
from pgsvc.sql.translate.variadic import VARIADIC_ANY, VariadicMixin
from pgsvc.sql.translate.semijoin import exists_semijoin
from pgsvc.sql.translate.ordered_set import (SORTED_DISTINCT, OrderedSetMixin, inner_aggregate_position,
                                              inner_window_position, ordered_by_arguments)
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import find_oid


_SEQ_FUNCS = {"nextval", "currval", "setval", "lastval"}


# func_get_detail: a row (record or composite) to a string type is no function-style cast
_STRING_TYPE_NAMES = ("text", "varchar", "bpchar", "name", "char", "character", "varchar")

class _ScalarMixin:
    def scalar_subquery_sql(self, sub, col: int) -> str:
        """A scalar subquery that fails like PostgreSQL on a second row (SQLite takes the first)."""
        if sub.extra.get("one_row"):
            return f"(SELECT c{col} FROM {sub.sql_paren()})"
        return (f"(SELECT CASE WHEN count(*) > 1 THEN pgsvce_raise('21000', 'more than one row returned by a "
                f"subquery used as an expression') ELSE min(c{col}) END FROM (SELECT c{col} FROM "
                f"{sub.sql_paren()} LIMIT 2))")


class FuncMixin(_ScalarMixin, OrderedSetMixin, VariadicMixin):
    def x_FuncCall(self, node: ast.FuncCall) -> Ex:
        try:
            return self.function_call(node)
        except SqlError as err:
            if (err.sqlstate == "42883" and len(node.agg_order or ()) > 1 and not node.agg_within_group
                    and err.position == location(node) and (err.hint or "").startswith("No function matches")):
                # agg(x, ORDER BY y, z): ParseFuncOrColumn's guess of a misplaced ORDER BY
                err.hint = ("No aggregate function matches the given name and argument types. Perhaps you "
                            "misplaced ORDER BY; ORDER BY must appear after all regular arguments of the "
                            "aggregate.")
            raise

    def function_call(self, node: ast.FuncCall) -> Ex:
        names = [n.sval for n in node.funcname]
        if self.catalog.routines_named or node.args and isinstance(node.args[-1], ast.NamedArgExpr):
            # user functions (translate.routines; none: no cost), or named arguments to a name
            # without one (PostgreSQL's "function f(b => integer) does not exist")
            user = self.user_function_call(node, names)
            if user is not None:
                return user
        if len(names) == 2 and names[0] == "pg_catalog":
            names = names[1:]
        if len(names) != 1:
            raise self.unknown_qualified_function(node, names)  # (translate.routines)
        name = names[0]
        pos = location(node)
        if name == "row_to_json" and node.args and len(node.args) <= 2 and not node.agg_star:
            args = [self.expr(a) for a in node.args]  # of a record or composite only (not anyelement)
            if args[0].oid not in (O.RECORD, O.UNKNOWN) and not composite_base(args[0].oid):
                raise SqlError("42883", f"function row_to_json({', '.join(R.argument_type_name(a.oid) for a in args)})"
                               " does not exist", position=pos, hint="No function matches the given name and "
                               "argument types. You might need to add explicit type casts.")
        if name == "to_jsonb" and len(node.args or ()) == 1 and not node.agg_star and node.over is None:
            as_json = copy(node)  # to_json's value as jsonb (its objects' keys sorted, its spacing)
            as_json.funcname = (ast.String(sval="to_json"),)
            js = self.expr(as_json)
            return replace(self.coerce(js, O.JSONB, -1, "e"), name=name)
        if name in ("row_to_json", "to_json", "array_to_json"):
            js = self.record_json_call(node, name)  # an anonymous record's fields (translate.composites)
            if js is not None:
                return js
        if node.agg_within_group:
            return self.ordered_set_call(node, name, pos)
        if name in ("percentile_cont", "percentile_disc", "mode"):
            raise SqlError("42809", f"WITHIN GROUP is required for ordered-set aggregate {name}", position=pos)
        if name in _SEQ_FUNCS:
            return self.sequence_call(name, node, pos)
        if name == "pg_typeof" and len(node.args or ()) == 1:
            arg = self.expr(node.args[0])  # regtype: the OID, printed by regtypeout
            if arg.param and arg.oid == O.UNKNOWN and not self.is_literal_param(arg.param):
                raise SqlError("42P18", f"could not determine data type of parameter ${arg.param}")
            return Ex(str(arg.oid), O.REGTYPE, name="pg_typeof")
        if name in ("generate_series", "unnest", "regexp_matches"):
            raise SqlError("0A000", f"{name}() in the select list is not supported here (use it in FROM)",
                           position=pos)
        if node.agg_star:
            if not R.function_candidates(name) and name not in EXTRA_FUNCTIONS:
                raise SqlError("42883", f"function {name}() does not exist", position=pos,
                               hint="No function matches the given name and argument types. "
                                    "You might need to add explicit type casts.")
            if name != "count":
                raise SqlError("42809", f"{name}(*) specified, but {name} is not an aggregate function",
                               position=pos)
            return self.finish_call(node, FuncSig("count", (), O.INT8, "count(*)", "aggregate"), [], "count", pos)
        if node.func_variadic and name in VARIADIC_ANY:
            return self.variadic_any_call(node, name, pos)
        args = [self.expr(a) for a in node.args or ()]
        # a bare NULL is unknown; NULL::type has that type (to_char(NULL::timestamptz, ..))
        arg_oids = [a.oid for a in args]
        if name in ENGINE_FUNCTIONS:
            sig = R.resolve_function(name, arg_oids, pos, extra=ENGINE_FUNCTIONS, only_extra=True)
        else:
            try:
                sig = R.resolve_function(name, arg_oids, pos, extra=EXTRA_FUNCTIONS)
            except SqlError as err:
                cast = self.function_style_cast(node, name, err) or self.operator_function(node, name, args, err)
                if cast is None:
                    raise
                return cast
        return self.finish_call(node, sig, args, name, pos)

    def operator_function(self, node: ast.FuncCall, name: str, args: list[Ex], err: SqlError) -> Ex | None:
        """int4pl(a, b), booleq(a, b), textcat(a, b), int4um(a): an operator's own function
        (pg_operator.oprcode) called by name is that operator, when no other function fits."""
        if err.sqlstate != "42883" or node.agg_star or node.agg_distinct or node.agg_order \
                or node.agg_filter is not None or node.over is not None or len(args) not in (1, 2):
            return None
        ops = [op for op in operators_of_function(name) if (op[1] != 0) == (len(args) == 2)]
        if not ops:
            return None
        cands = {name: [FuncSig(name, (left, right) if left else (right,), ret, "") for _, left, right, ret in ops]}
        try:
            sig = R.resolve_function(name, [a.oid for a in args], location(node), extra=cands, only_extra=True)
        except SqlError:
            return None
        opname = next(op for op, left, right, _ in ops if ((left, right) if left else (right,)) == sig.arg_oids)
        coerced = [self.coerce(a, t) for a, t in zip(args, sig.arg_oids)]
        pos = location(node)
        out = self.operator(opname, *coerced, pos) if len(args) == 2 else self.prefix_op(opname, coerced[0], pos)
        return replace(out, name=name)

    def function_style_cast(self, node: ast.FuncCall, name: str, err: SqlError) -> Ex | None:
        """float8(x), int4(x), text(x): a one-argument call to a type's name is a cast, when
        no function of that name fits (PostgreSQL's func_get_detail coercion case)."""
        if err.sqlstate != "42883" or len(node.args or ()) != 1 or node.agg_star or node.agg_distinct \
                or node.agg_order or node.agg_filter is not None or node.over is not None:
            return None
        cast = ast.TypeCast(arg=node.args[0], typeName=ast.TypeName(names=(ast.String(sval=name),),
                                                                    typemod=-1, location=node.location),
                            location=node.location)
        if name in _STRING_TYPE_NAMES:  # a row to a string type is I/O, not a cast in this syntax
            src = self.expr(node.args[0]).oid
            if src == O.RECORD or R.category(src) == "C":
                return None
        try:
            ex = self.expr(cast)
        except SqlError as cast_err:
            if cast_err.sqlstate in ("42704", "42846"):  # no such type / no such cast: the original error
                return None
            raise
        return replace(ex, name=name)

    def finish_call(self, node: ast.FuncCall, sig: FuncSig, args: list[Ex], name: str, pos) -> Ex:
        arg_types = list(sig.arg_oids)
        if sig.volatility != "i":
            self.mutable_call = True
        if sig.variadic_oid and not (node.func_variadic and sig.variadic_oid != O.ANY_):
            # (f(x, VARIADIC arr): the array is the last argument as declared)
            arg_types = arg_types[:-1] + [sig.variadic_oid] * (len(args) - len(arg_types) + 1)
        poly = _polymorphic_type(arg_types, args)
        coerced = []
        for a, t in zip(args, arg_types):
            if t == O.ANY_ and a.param and a.oid == O.UNKNOWN and not self.is_literal_param(a.param):
                # a client's untyped parameter for an "any" argument has no type to take
                # (concat($1, $2), pg_typeof($1)): parse analysis's 42P18, as PostgreSQL's
                raise SqlError("42P18", f"could not determine data type of parameter ${a.param}")
            if t in (O.ANYELEMENT, O.ANYCOMPATIBLE, O.ANYNONARRAY) and a.oid == O.UNKNOWN and (
                    not a.param or self.is_literal_param(a.param)):
                # an untyped literal takes the type the other polymorphic arguments decided
                # (array_position(bytea[], '\xab'): a bytea, not its text)
                coerced.append(self.coerce(a, poly))
            elif t == O.ANYCOMPATIBLE and a.oid not in (poly, O.UNKNOWN):
                if _anycompatible_type(arg_types, args) is None:  # no common type: no such function
                    argtext = ", ".join(R.argument_type_name(x.oid) for x in args)
                    raise SqlError("42883", f"function {name}({argtext}) does not exist", position=pos,
                                   hint="No function matches the given name and argument types. "
                                        "You might need to add explicit type casts.")
                coerced.append(self.coerce(a, poly))
            elif t in O.ANY_OIDS:
                coerced.append(self.finalize_unknown(a) if t != O.ANY_ or a.oid != O.UNKNOWN else
                               self.finalize_unknown(a))
            else:
                coerced.append(self.coerce(a, t))
        if sig.variadic_oid and sig.variadic_oid != O.ANY_ and "{args}" not in sig.emit and not node.func_variadic:
            # VARIADIC text[] (json_extract_path(j, 'a', 'b')): the spread arguments as the array
            fixed = len(sig.arg_oids) - 1
            coerced = coerced[:fixed] + [self.array_of(coerced[fixed:], sig.variadic_oid)]
        ret = sig.ret_oid
        if ret in (O.ANYELEMENT, O.ANYCOMPATIBLE):
            ret = poly
        elif ret in (O.ANYARRAY, O.ANYCOMPATIBLEARRAY):
            ret = find_oid(poly).array_oid if find_oid(poly) else O.UNKNOWN
        if name in _JSON_OF_ARGS:  # a record's fields by name (translate.composites)
            coerced = [self.record_as_json(c, name == "json_agg") for c in coerced]
        sql_args = [c.sql for c in coerced]
        if name in _TEXT_OUTPUT_ARGS:
            # "any" arguments print with their type's output function (t, 2020-01-01, enum labels),
            # not as the stored forms SQLite holds
            # (a reg* value prints its object's name, which the catalog knows: the cast to text)
            sql_args = [self.coerce(c, O.TEXT, context="e").sql if c.oid in O.REG_OIDS and not c.is_null
                        else _as_text(c) for c in coerced]
        emit = sig.emit
        if name in ("min", "max") and sig.kind == "aggregate" and coerced and emit.startswith(("min(", "max(")):
            sql_args = [f"{coerced[0].sql}{collate_clause(coerced[0].oid)}"]
        if "{jsonargs}" in emit:  # each argument as JSON text, converted by its type (json_build_*)
            sql_args = [f"pgsvc_to_json({c.sql}, {c.oid})" for c in coerced]
            emit = emit.replace("{jsonargs}", "{args}")
        if "{args}" in emit or "{argtype" in emit:
            kw = {f"argtype{i}": c.oid for i, c in enumerate(coerced)}
            emit = emit.replace("{args}", ", ".join(a.replace("{", "{{").replace("}", "}}") for a in sql_args))
            emit = emit.format(*["{%d}" % i for i in range(len(sql_args))], **kw)
        if node.over is not None and sig.kind not in ("aggregate", "window"):
            raise SqlError("42809", f"OVER specified, but {name} is not a window function nor an aggregate "
                           "function", position=pos)
        if sig.kind in ("aggregate", "window") or node.over is not None:
            window_at = inner_window_position([node.agg_filter])
            if window_at is not None:
                raise SqlError("42P20", "window functions are not allowed in FILTER", position=window_at)
            window_at = inner_window_position([node.args])
            if window_at is not None:
                raise (SqlError("42P20", "window function calls cannot be nested", position=window_at)
                       if node.over is not None else
                       SqlError("42803", "aggregate function calls cannot contain window function calls",
                                position=window_at))
            return self.aggregate_call(node, sig, emit, sql_args, ret, name, pos,
                                       nested=any(c.has_agg for c in coerced))
        if sig.kind == "set":
            raise SqlError("0A000", f"set-returning function {name}() in this position is not supported",
                           position=pos)
        for given, what in ((node.agg_distinct, "DISTINCT"), (node.agg_order, "ORDER BY"),
                            (node.agg_filter is not None, "FILTER")):
            if given:
                raise SqlError("42809", f"{what} specified, but {name} is not an aggregate function",
                               position=pos)
        if name == "pg_sleep":
            emit = "pgsvce_sleep({0})"  # maps the cancel reason (user request / statement timeout)
        elif name in TRANSACTION_SCOPED:
            self.xact_scoped = True
        return Ex(emit.format(*sql_args), ret, name=name, has_agg=any(c.has_agg for c in coerced))

    def aggregate_call(self, node: ast.FuncCall, sig: FuncSig, emit: str, sql_args, ret, name, pos,
                       nested: bool = False) -> Ex:
        level = aggregate_level(self.scope, node) if node.over is None and self.scope.parent is not None else 0
        if not level:
            return self.level_aggregate_call(node, sig, emit, sql_args, ret, name, pos, nested)
        # of only outer columns: an aggregate of that outer query (SQLite evaluates it there too)
        at = inner_aggregate_position([node.args, node.agg_filter], None, self.catalog.routines_named)
        if at is not None:  # max(min(outer_col)): both of the outer query
            raise SqlError("42803", "aggregate function calls cannot be nested", position=at)
        self.aggregate_outer_level(node, level, pos)
        saved, self.agg_forbidden = self.agg_forbidden, None
        try:
            ex = self.level_aggregate_call(node, sig, emit, sql_args, ret, name, pos, nested)
        finally:
            self.agg_forbidden = saved
        # (SQLite takes it for the outer query's only as a select-list item of a subquery: not in WHERE)
        return replace(ex, sql=f"(SELECT {ex.sql})", has_agg=False)

    @property
    def outer_aggregates(self) -> set:
        """The aggregate calls (their nodes' ids) that belong to an enclosing query."""
        return self.__dict__.setdefault("_outer_aggregates", set())

    def level_aggregate_call(self, node: ast.FuncCall, sig: FuncSig, emit: str, sql_args, ret, name, pos,
                             nested: bool = False) -> Ex:
        if nested and node.over is None:
            raise SqlError("42803", "aggregate function calls cannot be nested",
                           position=inner_aggregate_position([node.args], pos, self.catalog.routines_named))
        if node.over is not None and node.agg_distinct:
            raise SqlError("0A000", "DISTINCT is not implemented for window functions", position=pos)
        if node.over is not None and node.agg_order:
            raise SqlError("0A000", "aggregate ORDER BY is not implemented for window functions",
                           position=pos)
        if node.agg_order and name in _ORDER_INSENSITIVE:
            node = _without_order(node)
        if node.agg_distinct and not node.agg_order and name not in _ORDER_INSENSITIVE and node.over is None \
                and (len(node.args or ()) > 1 or emit.split("(", 1)[0] in ORDERED_TARGETS
                     and self.expr(node.args[0]).oid in SORTED_DISTINCT):
            node = ordered_by_arguments(node)  # SQLite's DISTINCT: one argument, unsorted
        if node.agg_order:
            return self.ordered_aggregate(node, emit.format(*sql_args), ret, name, pos)
        sql = emit.format(*sql_args)
        if node.agg_distinct:
            if "(" not in sql:
                raise SqlError("0A000", "DISTINCT in this aggregate is not supported", position=pos)
            head, _, tail = sql.partition("(")
            sql = f"{head}(DISTINCT {tail}"
        filter_sql = None
        if node.agg_filter is not None:
            filter_sql = self.filter_condition(node)
            sql += f" FILTER (WHERE {filter_sql})"
        if node.over is not None:
            if self.in_window_ok is False:
                raise SqlError("42P20", "window functions are not allowed in WHERE", position=pos)
            head = sql.split("(", 1)[0]
            if head.startswith("pgsvc_") and head in _PY_AGGREGATES:
                # a Python aggregate over a frame: never a Python window function (window_aggs)
                args = [a.format(*sql_args) for a in _emitted_args(emit)]
                return Ex(window_call(head, args, filter_sql, self.window_def(node.over), pos or 0), ret,
                          name=name)
            over = " OVER " + self.window_def(node.over)
            sql += over
            k = _NULL_COUNT_ARG.get(name)
            if k is not None and len(sql_args) > k and not node.agg_filter:
                # ntile(NULL), nth_value(x, NULL): NULL in PostgreSQL, an error in SQLite
                # (which computes the window function whatever CASE says: given 1 there)
                count = sql_args[k]
                safe = emit.format(*[f"coalesce({a}, 1)" if i == k else a for i, a in enumerate(sql_args)])
                sql = f"(CASE WHEN ({count}) IS NULL THEN NULL ELSE {safe}{over} END)"
            return Ex(sql, ret, name=name)
        if sig.kind == "window":
            raise SqlError("42809", f"window function {name} requires an OVER clause", position=pos)
        if self.agg_forbidden:
            raise SqlError("42803", f"aggregate functions are not allowed in {self.agg_forbidden}", position=pos)
        return Ex(sql, ret, name=name, has_agg=True)

    def ordered_aggregate(self, node, sql: str, ret, name, pos) -> Ex:
        """agg(x ORDER BY k): the ordered wrapper aggregate feeds the real one in sort order."""
        m = re.fullmatch(r"(\w+)\((.*)\)", sql, re.S)
        if m is None or m.group(1) not in ORDERED_TARGETS or node.over is not None:
            raise SqlError("0A000", f"ORDER BY inside {name}() is not supported", position=pos)
        if node.agg_distinct:
            self.check_distinct_order(node)
        keys, spec = [], ""
        for sb in node.agg_order:
            expr, suffix = self.sort_parts(sb)
            k = self.finalize_unknown(self.expr(sb.node))
            keys.append(k.sql)
            desc = " DESC" in suffix
            nulls_first = "NULLS FIRST" in suffix or (desc and "NULLS LAST" not in suffix)
            kind = "n" if k.oid == O.NUMERIC else "f" if k.oid in (O.FLOAT4, O.FLOAT8) else \
                "r" if is_range(k.oid) else "m" if is_multirange(k.oid) else "t"
            spec += kind + ("d" if desc else "a") + ("f" if nulls_first else "l")
        distinct = 1 if node.agg_distinct else 0
        out = (f"pgsvce_ordagg('{m.group(1)}', '{spec}', {distinct}, json_array({', '.join(keys)}), "
               f"{m.group(2)})")
        if node.agg_filter is not None:  # SQLite filters any aggregate's input rows
            out += f" FILTER (WHERE {self.filter_condition(node)})"
        return Ex(out, ret, name=name, has_agg=True)

    def filter_condition(self, node: ast.FuncCall) -> str:
        saved, self.agg_forbidden = self.agg_forbidden, "FILTER"
        try:
            return self.bool_expr(node.agg_filter, "FILTER").sql
        finally:
            self.agg_forbidden = saved

    def check_distinct_order(self, node: ast.FuncCall) -> None:
        """agg(DISTINCT args ORDER BY keys): each key must be one of the arguments."""
        def shape(expr):  # the expression before any coercion to the aggregate's input types
            ex = self.expr(expr)
            return ex.sql, ex.oid
        args = {shape(a) for a in node.args or ()}
        for sb in node.agg_order:
            if shape(sb.node) not in args:
                raise SqlError("42P10", "in an aggregate with DISTINCT, ORDER BY expressions must appear "
                               "in argument list", position=_leftmost(sb.node))

    def window_def(self, w: ast.WindowDef) -> str:
        if w.refname or w.name and not (w.partitionClause or w.orderClause):
            ref = w.refname or w.name
            if ref not in self.windows:
                raise SqlError("42704", f'window "{ref}" does not exist', position=location(w))
            w = self.windows[ref]
        window_at = inner_window_position([w.partitionClause, w.orderClause, w.startOffset, w.endOffset])
        if window_at is not None:
            raise SqlError("42P20", "window functions are not allowed in window definitions", position=window_at)
        parts = []
        if w.partitionClause:
            parts.append("PARTITION BY " + ", ".join(self.finalize_unknown(self.expr(p)).sql
                                                     for p in w.partitionClause))
        if w.orderClause:
            # (a key written twice sorts once, as transformSortClause keeps it: RANGE with an
            # offset over `ORDER BY x, x` has its one column)
            parts.append("ORDER BY " + ", ".join(dict.fromkeys(self.sort_item(s) for s in w.orderClause)))
        frame = frame_clause(self, w)
        if frame is None:
            raise SqlError("0A000", "this window frame clause is not supported", position=location(w))
        if frame:
            parts.append(frame)
        return "(" + " ".join(parts) + ")"

    def sequence_call(self, name: str, node: ast.FuncCall, pos) -> Ex:
        args = node.args or ()
        if name == "lastval":
            raise SqlError("0A000", "lastval() is not supported", position=pos)
        if not args:
            raise SqlError("42883", f"function {name}() does not exist", position=pos)
        first = args[0]
        if isinstance(first, ast.TypeCast):
            first = first.arg
        text = self.structural_literal(first)
        if text is None:
            raise SqlError("0A000", f"{name}() with a non-constant argument is not supported", position=pos)
        rel = self.lookup_relation_text(text, pos)
        if rel.kind != "S":
            raise SqlError("42809", f'"{rel.name}" is not a sequence', position=pos)
        if name != "currval":  # (currval reads: it must not clear the statement's own writes)
            self.writes = True
        self.volatile = True
        if name == "nextval":
            return Ex(f"pgsvce_nextval({rel.oid})", O.INT8, name="nextval")
        if name == "currval":
            return Ex(f"pgsvce_currval({rel.oid})", O.INT8, name="currval")
        value = self.coerce(self.expr(args[1]), O.INT8)
        called = self.coerce(self.expr(args[2]), O.BOOL) if len(args) > 2 else Ex("1", O.BOOL)
        return Ex(f"pgsvce_setval({rel.oid}, {value.sql}, {called.sql})", O.INT8, name="setval")

    # --- subqueries -----------------------------------------------------------------

    def x_SubLink(self, node: ast.SubLink) -> Ex:
        t = enums.SubLinkType
        kind = node.subLinkType
        pos = location(node)
        if kind == t.EXISTS_SUBLINK:
            fast = exists_semijoin(self, node)
            if fast is not None:
                return fast
        sub = self.subquery(node.subselect)
        if kind == t.EXISTS_SUBLINK:
            return Ex(f"(EXISTS {sub.sql_paren()})", O.BOOL, name="exists")
        if kind == t.EXPR_SUBLINK:
            if len(sub.columns) != 1:
                raise SqlError("42601", "subquery must return only one column", position=pos)
            c = sub.columns[0]
            return Ex(self.scalar_subquery_sql(sub, 0), c.oid, c.typmod, name=c.name)
        if kind == t.ARRAY_SUBLINK:
            c = sub.columns[0]
            t = find_oid(c.oid)
            if t is not None and t.category == "A" and t.elem_oid and c.oid not in O.VECTOR_OIDS:
                # ARRAY(SELECT of arrays): one more dimension (array_agg(anyarray)'s rules)
                return Ex(f"(SELECT coalesce(pgsvc_array_agg_arrays(c0), '[]') FROM {sub.sql_paren()})", c.oid,
                          name="array")
            arr = t.array_oid if t else 0
            return Ex(f"(SELECT json_group_array({array_element_json('c0', c.oid)}) FROM {sub.sql_paren()})", arr,
                      name="array")
        if kind in (t.ANY_SUBLINK, t.ALL_SUBLINK) and isinstance(node.testexpr, ast.RowExpr):
            op = node.operName[-1].sval if node.operName else "="
            row = [self.expr(a) for a in node.testexpr.args]
            if len(row) != len(sub.columns):
                raise SqlError("42601", "subquery has too " + ("many" if len(sub.columns) > len(row) else "few")
                               + " columns", position=pos)
            if kind != t.ANY_SUBLINK or op != "=":
                raise SqlError("0A000", "row comparison with ALL or operators other than = is not supported",
                               position=pos)
            cond = self.row_compare("=", row, [Ex(f"s.c{i}", c.oid) for i, c in enumerate(sub.columns)], pos)
            return Ex(f"(SELECT CASE WHEN max({cond.sql}) = 1 THEN 1 WHEN count(*) = count({cond.sql}) "
                      f"THEN 0 END FROM {sub.sql_paren()} AS s)", O.BOOL)
        if kind in (t.ANY_SUBLINK, t.ALL_SUBLINK):
            op = node.operName[-1].sval if node.operName else "="
            left = self.expr(node.testexpr)
            if len(sub.columns) != 1:
                raise SqlError("42601", "subquery has too many columns", position=pos)
            probe = Ex("s.c0", sub.columns[0].oid)
            cmp = self.compare(op, left, probe, pos)
            if kind == t.ANY_SUBLINK and op == "=" and "COLLATE" not in cmp.sql and cmp.sql.count("=") == 1 \
                    and left.oid == sub.columns[0].oid:
                return Ex(f"({left.sql} IN (SELECT c0 FROM {sub.sql_paren()}))", O.BOOL)
            if kind == t.ANY_SUBLINK:
                return Ex(f"(SELECT CASE WHEN max({cmp.sql}) = 1 THEN 1 WHEN count(*) = count({cmp.sql}) "
                          f"THEN 0 END FROM {sub.sql_paren()} AS s)", O.BOOL)
            return Ex(f"(SELECT CASE WHEN min({cmp.sql}) = 0 THEN 0 WHEN count(*) = count({cmp.sql}) "
                      f"THEN 1 END FROM {sub.sql_paren()} AS s)", O.BOOL)
        raise SqlError("0A000", "this kind of subquery is not supported", position=pos)


def _leftmost(node) -> int | None:
    """exprLocation: a cast's position is its operand's (x::text points at x)."""
    while isinstance(node, ast.TypeCast) and location(node.arg) is not None:
        node = node.arg
    return location(node)


def _emitted_args(emit: str) -> list[str]:
    """The argument templates of an emitted call `name(a, b(c, d))`."""
    args = split_top_level(emit[emit.index("(") + 1:emit.rindex(")")])
    return [] if args == [""] else args


def _py_aggregates() -> set:
    return set(python_aggregates())


_PY_AGGREGATES = _py_aggregates()
_NULL_COUNT_ARG = {"ntile": 0, "nth_value": 1}
_ORDER_INSENSITIVE = {"count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every", "bit_and",
                      "bit_or", "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp"}


def _without_order(node):
    n = copy(node)
    n.agg_order = None
    return n


def _polymorphic_type(arg_types, args) -> int:
    compatible = _anycompatible_type(arg_types, args)
    if compatible is not None:
        return compatible
    for t, a in zip(arg_types, args):
        if t in (O.ANYELEMENT, O.ANYCOMPATIBLE, O.ANYNONARRAY) and a.oid != O.UNKNOWN:
            return a.oid
        if t in (O.ANYARRAY, O.ANYCOMPATIBLEARRAY) and a.oid != O.UNKNOWN:
            return find_oid(a.oid).elem_oid if find_oid(a.oid) else O.UNKNOWN
    return O.TEXT


def _anycompatible_type(arg_types, args) -> int | None:
    """The common type of the anycompatible arguments (and of anycompatiblearray arguments'
    elements), as PostgreSQL's enforce_generic_type_consistency picks it: lag(int, 1, 0.7) is
    numeric. None when no such argument has a type (or they have none in common: the caller's
    first-argument rule then stands)."""
    oids = []
    for t, a in zip(arg_types, args):
        if a.oid == O.UNKNOWN:
            continue
        if t == O.ANYCOMPATIBLE:
            oids.append(a.oid)
        elif t == O.ANYCOMPATIBLEARRAY and find_oid(a.oid) is not None and find_oid(a.oid).elem_oid:
            oids.append(find_oid(a.oid).elem_oid)
    if len(set(oids)) < 2:
        return oids[0] if oids else None
    try:
        return R.common_type(oids)
    except SqlError:
        return None


__all__ = ["FuncMixin"]


_TEXT_OUTPUT_ARGS = ("concat", "concat_ws", "format")


def _as_text(ex: Ex) -> str:
    if ex.oid in (O.TEXT, O.VARCHAR, O.NAME, O.UNKNOWN, O.BPCHAR) or ex.is_null:
        return ex.sql
    return f"pgsvc_to_text({ex.sql}, {ex.oid})"


_JSON_OF_ARGS = frozenset({"json_agg", "jsonb_agg", "json_build_object", "jsonb_build_object", "json_build_array",
                           "jsonb_build_array", "json_object_agg", "jsonb_object_agg"})
