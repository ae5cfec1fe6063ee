"""Calls of user-defined functions (catalog.routines) in expressions and in FROM.

Resolution (translate.routine_match) picks the routine and fills in its inputs: named and
mixed notation, DEFAULTs (their stored source translated here), VARIADIC arrays,
polymorphic types. The call then becomes, in the SQLite SQL:

  - the body itself, for a LANGUAGE sql function PostgreSQL would inline (one `SELECT
    expr` / `RETURN expr`, not SECURITY DEFINER, no SET, not set-returning): the
    expression translated with the parameters bound to the argument expressions, so a
    trivial function costs nothing per row;
  - else `pgsvce_fcall('<spec>', args...)`, the engine's UDF (pgsvc.sql.exec.routines),
    which runs the routine through its language's handler on the same connection; spec
    is "oid:mode:argtype,...:rettype" with mode s (scalar), r (a row: its text),
    i (scalar, errors in PostgreSQL's "during inlining" context: constant arguments of an
    inlinable function, which PostgreSQL folds while inlining), x (a set: packed rows, see
    functions.rowsets);
  - in FROM, json_each over `pgsvce_fcall('...:x:...', ...)`: one row per result row,
    columns read back with pgsvc_rowcol (implicitly LATERAL: arguments may read the FROM
    items on the left).

Parameters inside a body being translated (inlined here, or executed by
exec.sql_language): `$n` and the parameters' names resolve through `routine_params`
(a list of Ex, or None outside a body) and a range entry named after the function whose
columns are the named parameters, at the root of the scope: a column of the body's own
FROM items takes precedence over a parameter of the same name, as in PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import routines as CR
from pgsvc.sql.functions.session_sigs import EXTRA_FUNCTIONS
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate import routine_match as M
from pgsvc.sql.translate.builtin_named import has_named_parameters, positional_call
from pgsvc.sql.translate.ex import Ex, location, sql_literal
from pgsvc.sql.translate.names import ColInfo, RangeEntry, Scope
from pgsvc.sql.translate.tlist_srf import target_srfs
from pgsvc.sql.translate.typenames import type_from_typename
from pgsvc.sql.translate.user_aggregates import user_aggregate_call
from pgsvc.sql.translate.domains import cast_check_sql
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import format_type
from pgsvc.sql.types.composite import is_composite
from pgsvc.sql.types.usertypes import base_of, row_type_oid

_NO_INLINE_TYPES = (O.VOID, O.RECORD, O.TRIGGER)


def param_scope(routine: CR.Routine, params: list[Ex]) -> Scope:
    """The scope at the root of a body: the named input parameters, under the function's name."""
    scope = Scope()
    cols = [ColInfo(n, p.oid, -1, p.sql) for n, p in zip(routine.input_names(), params) if n]
    scope.add(RangeEntry(routine.name, cols))
    return scope


def call_spec(routine: CR.Routine, mode: str, arg_oids, ret_oid: int) -> str:
    return f"{routine.oid}:{mode}:{','.join(str(o) for o in arg_oids)}:{ret_oid}"


class RoutineMixin:
    routine_params: list | None = None  # inside a body: the Ex of $1, $2, ...
    fn_writes = False  # a called routine may write (the statement runs as a writer)
    srf_columns: dict = {}  # id(FuncCall) -> Ex: select-list set-returning calls (user_target_srfs)
    srf_fields: dict = {}  # id(FuncCall) -> (alias, offset, columns): (srf(x)).col / .* of those
    inlining: frozenset = frozenset()  # the routines whose bodies are being inlined

    # --- parameters inside a body ------------------------------------------------------

    def routine_param(self, node: ast.ParamRef) -> Ex:
        n = node.number
        if n < 1 or n > len(self.routine_params):
            raise SqlError("42P02", f"there is no parameter ${n}", position=location(node))
        return self.routine_params[n - 1]

    # --- calls in expressions -----------------------------------------------------------

    def user_function_call(self, node: ast.FuncCall, names: list[str]) -> Ex | None:
        """The call as a user routine, or None when it means a built-in function."""
        if id(node) in self.srf_columns:  # a select-list SRF made a FROM item (user_target_srfs)
            return self.srf_columns[id(node)]
        found = self.find_user_routine(node, names)
        if found is None:
            return self.builtin_named_call(node, names) if _has_named_args(node) else None
        binding, inputs, arg_oids, ret, consts = found
        r = binding.routine
        pos = location(node)
        if r.kind == "a":
            return user_aggregate_call(self, node, r, inputs, arg_oids, ret, pos)
        if r.kind == "p":
            raise SqlError("42809", f"{M.signature_text(r)} is a procedure", position=pos,
                           hint="To call a procedure, use CALL.")
        if r.retset:
            if self.agg_forbidden == "WHERE":  # PostgreSQL's check_srf_call_placement
                raise SqlError("0A000", "set-returning functions are not allowed in WHERE", position=pos)
            raise SqlError("0A000", f"set-returning function {r.name}() in this position is not supported",
                           position=pos)
        return self.routine_expr(r, inputs, arg_oids, ret, consts, pos)

    def builtin_named_call(self, node: ast.FuncCall, names: list[str]) -> Ex | None:
        """A built-in function called with named arguments (translate.builtin_named)."""
        if not has_named_parameters(names):
            return None
        call = positional_call(node, names)
        if call is not None:
            return self.expr(call)
        arg_names, args, _ = self.call_arguments(node)
        raise M.no_such_function(names[-1], arg_names, [a.oid for a in args], location(node))

    def find_user_routine(self, node: ast.FuncCall, names: list[str], procedure: bool = False):
        """(binding, input Ex list, input types, result type, constant arguments?) of the user
        routine a call means, or None for a built-in function."""
        schema, name = (names[0], names[-1]) if len(names) == 2 else (None, names[-1])
        if schema == "pg_catalog" or len(names) > 2:
            return None
        qualifier = schema
        if schema == "pg_temp":  # the session's own temporary schema (found only when qualified)
            schema = self.engine.temp_schema
        # named arguments to a name no function has: PostgreSQL's "does not exist" (below)
        unknown_named = _has_named_args(node) and not R.function_candidates(name) and name not in EXTRA_FUNCTIONS
        if not procedure and name not in self.catalog.routines_named and \
                (schema is None or schema not in self.catalog.schemas) and not unknown_named:
            return None  # no routine of that name anywhere (the common case: no cost)
        if schema is not None and schema not in self.catalog.schemas and not procedure:
            return None
        cands = CR.visible(self.catalog, name, schema, self.search_path())
        if not cands and schema is None and not procedure and not unknown_named:
            return None
        pos = location(node)
        aggregates = any(r.kind == "a" for r in cands)
        if cands and not aggregates and (node.agg_star or node.agg_distinct or node.agg_order or node.agg_filter is not None
                      or node.agg_within_group):
            word = "DISTINCT" if node.agg_distinct else "ORDER BY" if node.agg_order else \
                "FILTER" if node.agg_filter is not None else "WITHIN GROUP" if node.agg_within_group else f"{name}(*)"
            raise SqlError("42809", f"{word} specified, but {name} is not an aggregate function", position=pos)
        if cands and not aggregates and node.over is not None:
            raise SqlError("42809", f"OVER specified, but {name} is not a window function nor an aggregate "
                           "function", position=pos)
        arg_names, args, nodes = self.call_arguments(node)
        oids = [a.oid for a in args]
        shown = f"{qualifier}.{name}" if qualifier else name
        bindings = M.prefer_unexpanded([b for b in (M.bind(r, arg_names, node.func_variadic, procedure)
                                                    for r in cands) if b])
        if procedure:
            bindings = [b for b in bindings if b.routine.kind == "p"] or bindings
        best = M.choose(bindings, oids)
        if not best:
            if schema is None and not procedure and (R.function_candidates(name) or name in EXTRA_FUNCTIONS):
                return None  # a built-in function of that name may fit
            raise M.no_such_function(shown, arg_names, oids, pos, procedure)
        if len(best) > 1:
            raise M.not_unique(shown, arg_names, oids, pos, procedure)
        b = best[0]
        if procedure and b.routine.kind != "p":
            raise SqlError("42809", f"{M.signature_text(b.routine)} is not a procedure", position=pos,
                           hint="To call a function, use SELECT.")
        inputs, arg_oids, ret = self.bind_inputs(b, args, oids, pos, procedure)
        self.need_execute(b.routine)
        consts = all(self.constant_node(n) for n in nodes)
        return b, inputs, arg_oids, ret, consts

    def unknown_qualified_function(self, node: ast.FuncCall, names: list[str]) -> SqlError:
        """schema.f(...) that names no function: PostgreSQL's errors (the schema missing, a
        cross-database reference, or no function of that signature there)."""
        pos = location(node)
        if len(names) == 3:
            return SqlError("0A000", f"cross-database references are not implemented: {'.'.join(names)}",
                            position=pos)
        if len(names) > 3:
            return SqlError("42601", f"improper qualified name (too many dotted names): {'.'.join(names)}",
                            position=pos)
        schema = self.engine.temp_schema if names[0] == "pg_temp" else names[0]
        if schema not in self.catalog.schemas and schema not in ("information_schema", "pg_toast"):
            return SqlError("3F000", f'schema "{names[0]}" does not exist', position=pos)
        arg_names, args, _ = self.call_arguments(node)
        return M.no_such_function(".".join(names), arg_names, [a.oid for a in args], pos)

    def call_arguments(self, node: ast.FuncCall):
        names, args, nodes = [], [], []
        for a in node.args or ():
            if isinstance(a, ast.NamedArgExpr):
                if a.name in names:
                    raise SqlError("42601", f'argument name "{a.name}" used more than once', position=location(a))
                names.append(a.name)
                nodes.append(a.arg)
            else:
                if any(n is not None for n in names):
                    raise SqlError("42601", "positional argument cannot follow named argument",
                                   position=location(a))
                names.append(None)
                nodes.append(a)
            args.append(self.expr(nodes[-1]))
        return names, args, nodes

    def bind_inputs(self, b: M.Binding, args: list[Ex], oids: list[int], pos, procedure: bool = False):
        """The routine's inputs in order (coerced arguments, defaults, the VARIADIC array),
        their actual types and the actual result type."""
        r = b.routine
        poly = M.resolve_polymorphic(b.declared, oids) or (0, 0)
        domains = list(r.all_types()) if procedure else list(r.argtypes)
        declared = [base_of(t) for t in domains]
        n_in = len(declared)
        inputs: list[Ex | None] = [None] * n_in
        extras = []
        for slot, a, d in zip(b.slots, args, b.declared):
            t = M.actual_type(d, poly)
            if t == O.UNKNOWN:
                raise SqlError("42804", "could not determine polymorphic type because input has type unknown")
            c = self.coerce(a, t) if t != O.ANY_ else self.finalize_unknown(a)
            if domains[slot] != declared[slot] and not (b.expanded and slot == n_in - 1):
                c = replace(c, sql=cast_check_sql(self.engine, domains[slot], t, -1, c.sql))
            if b.expanded and slot == n_in - 1:
                extras.append(c)
            else:
                inputs[slot] = c
        if b.expanded:
            inputs[n_in - 1] = self.array_of(extras, M.actual_type(r.variadic, poly)
                                             if r.variadic in M.POLYMORPHIC else r.variadic)
        first_default = len(r.argtypes) - len(r.argdefaults)
        for i in b.defaults:
            inputs[i] = self.routine_default(r, i - first_default, M.actual_type(declared[i], poly))
        arg_oids = [M.actual_type(d, poly) for d in declared]
        for i, t in enumerate(arg_oids):
            if t == O.UNKNOWN:
                arg_oids[i] = inputs[i].oid
        ret = base_of(r.rettype)
        if ret in M.POLYMORPHIC:
            ret = M.actual_type(ret, poly)
            if ret == O.UNKNOWN:
                raise SqlError("42804", "could not determine polymorphic type because input has type unknown")
        return inputs, arg_oids, ret

    def routine_default(self, r: CR.Routine, k: int, oid: int) -> Ex:
        text = r.argdefaults[k]
        node = CR.parse(f"SELECT {text}")[0].stmt.targetList[0].val
        saved_scope, saved_params = self.scope, self.routine_params
        self.scope, self.routine_params = Scope(), None
        try:
            return self.coerce(self.expr(node), oid, context="a") if oid not in M.POLYMORPHIC else self.expr(node)
        finally:
            self.scope, self.routine_params = saved_scope, saved_params

    def need_execute(self, r: CR.Routine) -> None:
        """EXECUTE on the routine, checked at each execution (PUBLIC holds it by default)."""
        item = ("f", r.oid, "X", self.check_as, False)
        if item not in self.privs_needed:
            self.privs_needed.append(item)
        handler = CR.language_handler(r.lang) if CR.has_language(r.lang) else None
        if handler is not None and handler.may_write(self.engine, r):
            self.fn_writes = True
        if r.volatile == "v":
            self.volatile = True
        if r.volatile != "i":
            self.mutable_call = True

    def constant_node(self, node) -> bool:
        """An argument PostgreSQL's planner folds to a constant (literals, casts of them)."""
        if isinstance(node, ast.A_Const):
            return True
        if isinstance(node, ast.TypeCast):
            return self.constant_node(node.arg)
        if isinstance(node, ast.ParamRef):
            return self.routine_params is None and self.is_literal_param(node.number)
        if isinstance(node, ast.A_Expr) and node.lexpr is not None and not isinstance(node.lexpr, list):
            return self.constant_node(node.lexpr) and self.constant_node(node.rexpr)
        return False

    def routine_expr(self, r: CR.Routine, inputs: list[Ex], arg_oids, ret: int, consts: bool, pos) -> Ex:
        cols = r.output_columns()
        if cols and (r.rettype == O.RECORD or r.rowtype is not None):
            sql = self.fcall_sql(r, "r", arg_oids, O.RECORD, inputs)
            if r.rowtype is not None and is_composite(r.rettype):  # RETURNS a CREATE TYPE composite
                return Ex(sql, r.rettype, name=r.name)
            if r.rowtype is not None and is_composite(row_type_oid(r.rettype)):  # RETURNS tbl: its row type
                return Ex(sql, row_type_oid(r.rettype), name=r.name)
            return Ex(sql, O.RECORD, name=r.name, row_types=tuple(t for _, t in cols))  # printed by its fields' types
        if self.inline_candidate(r) and not (consts and r.volatile == "i"):
            inlined = self.inline_sql_function(r, inputs, ret, consts)
            if inlined is not None:
                return inlined
            if consts and self.inlinable_shape(CR.body_statements(r)[0]):
                # PostgreSQL inlines, then folds the constants: errors say "during inlining"
                return Ex(self.fcall_sql(r, "i", arg_oids, ret, inputs), ret, name=r.name)
        return Ex(self.fcall_sql(r, "s", arg_oids, ret, inputs), ret, name=r.name)

    def fcall_sql(self, r: CR.Routine, mode: str, arg_oids, ret: int, inputs: list[Ex]) -> str:
        spec = call_spec(r, mode, arg_oids, ret)
        # in an index expression SQLite accepts only a deterministic function: an IMMUTABLE one's call
        fn = "pgsvce_fcall_i" if self.index_expr and r.volatile == "i" else "pgsvce_fcall"
        return f"{fn}({sql_literal(spec)}" + "".join(f", {a.sql}" for a in inputs) + ")"

    def routine_star(self, node: ast.A_Indirection) -> list[str] | None:
        """(f(x)).* in a select list: the names of the columns of a user function returning a
        row (each becomes (f(x)).col, calling f once per column, as in PostgreSQL), or None."""
        if not isinstance(node.arg, ast.FuncCall) or len(node.indirection) != 1 or \
                not isinstance(node.indirection[0], ast.A_Star) or not self.catalog.routines_named:
            return None
        found = self.find_user_routine(node.arg, [n.sval for n in node.arg.funcname])
        if found is None:
            return None
        b, _, arg_oids, ret, _ = found
        cols = M.output_columns_for(b.routine, arg_oids)
        if b.routine.retset and id(node.arg) in self.srf_fields:
            return [n for n, _ in self.srf_fields[id(node.arg)][2]]
        if not cols and not b.routine.retset and b.routine.kind == "f":
            raise SqlError("42809", f"type {format_type(ret, None)} is not composite")
        if b.routine.retset or not cols:
            return None
        return [n or f"column{i + 1}" for i, (n, _) in enumerate(cols)]

    def routine_field(self, node: ast.A_Indirection) -> Ex | None:
        """(f(x)).col of a user function returning a row (OUT arguments), or None."""
        call = node.arg
        if id(call) in self.srf_fields and len(node.indirection) == 1:  # a select-list SRF's field
            sa, offset, outs = self.srf_fields[id(call)]
            field = node.indirection[0].sval
            names = [n for n, _ in outs]
            if field not in names:
                raise SqlError("42703", f'could not identify column "{field}" in record data type',
                               position=location(call))
            i = names.index(field)
            return Ex(f"pgsvc_rowcol({sa}.value, {offset + i})", outs[i][1], name=field)
        found = self.find_user_routine(call, [n.sval for n in call.funcname])
        if found is None:
            return None
        b, inputs, arg_oids, ret, _ = found
        r = b.routine
        cols = M.output_columns_for(r, arg_oids)
        field = node.indirection[0].sval
        if not cols and not r.retset and r.kind == "f":
            raise SqlError("42809", f"column notation .{field} applied to type {format_type(ret, None)}, which is "
                           "not a composite type", position=location(call))
        if r.retset or not cols or len(node.indirection) != 1:
            raise SqlError("0A000", "this subscript or field selection is not supported", position=location(node))
        names = [n for n, _ in cols]
        if field not in names:
            if r.rowtype is not None:  # a named row type (a table's or a CREATE TYPE composite)
                rt = r.rettype if is_composite(r.rettype) else row_type_oid(r.rettype)
                raise SqlError("42703", f'column "{field}" not found in data type {format_type(rt, None)}',
                               position=location(call))
            raise SqlError("42703", f'could not identify column "{field}" in record data type',
                           position=location(call))
        i = names.index(field)
        row = self.fcall_sql(r, "p", arg_oids, ret, inputs)
        return Ex(f"pgsvc_rowcol({row}, {i})", cols[i][1], name=field)

    # --- inlining (PostgreSQL's inline_function) ---------------------------------------

    def inline_candidate(self, r: CR.Routine) -> bool:
        """PostgreSQL's inline_function tries this call (its body is analysed now)."""
        if r.lang != "sql" or r.kind != "f" or r.retset or r.secdef or r.config or r.rettype in _NO_INLINE_TYPES \
                or r.oid in self.inlining:  # (a recursive call)
            return False
        try:
            return len(CR.body_statements(r)) == 1
        except SqlError:
            return False

    @staticmethod
    def inlinable_shape(s) -> bool:
        if isinstance(s, ast.ReturnStmt):
            return True
        return (isinstance(s, ast.SelectStmt) and len(s.targetList or ()) == 1 and not s.fromClause
                and s.whereClause is None and not s.groupClause and s.havingClause is None
                and not s.sortClause and s.limitCount is None and s.limitOffset is None
                and s.distinctClause is None and s.withClause is None and not s.windowClause
                and s.intoClause is None and not s.lockingClause and not s.valuesLists
                and s.op.name == "SETOP_NONE" and not _has_sublink(s.targetList))

    def inline_sql_function(self, r: CR.Routine, inputs: list[Ex], ret: int, consts: bool) -> Ex | None:
        """The body analysed as PostgreSQL's inline_function does (its errors in the context
        'SQL function "f" during inlining'); the expression with the arguments put in for
        its parameters when it can stand for the call, else None (the call runs the body)."""
        s = CR.body_statements(r)[0]
        marks = [f"\x01{i}\x01" for i in range(len(inputs))]
        params = [Ex(m, a.oid, a.typmod) for m, a in zip(marks, inputs)]
        sub = type(self)(self.engine, self.catalog, [])
        sub.routine_params, sub.scope = params, param_scope(r, params)
        sub.inlining = self.inlining | {r.oid}
        shape = self.inlinable_shape(s)
        try:
            if not shape:
                self.analyse_statement(sub, s)
                return None
            node = s.returnval if isinstance(s, ast.ReturnStmt) else s.targetList[0].val
            body = sub.finalize_unknown(sub.expr(node))
        except SqlError as err:
            raise CR.body_error(r, err, "during inlining") from None
        self.privs_needed.extend(p for p in sub.privs_needed if p not in self.privs_needed)
        self.syscat_used |= sub.syscat_used
        self.cacheable = self.cacheable and sub.cacheable
        self.writes, self.fn_writes = self.writes or sub.writes, self.fn_writes or sub.fn_writes
        self.volatile = self.volatile or sub.volatile
        if body.has_agg or consts or body.oid != ret and not R.can_coerce(body.oid, ret, "a"):
            return None
        body = sub.coerce(body, ret, context="a")
        sql = body.sql
        for m, a in zip(marks, inputs):
            uses = sql.count(m) + (1 if r.strict else 0)
            if uses != 1 and not _simple(a.sql):
                return None
        if r.strict and inputs:
            test = " OR ".join(f"{m} IS NULL" for m in marks)
            sql = f"(CASE WHEN {test} THEN NULL ELSE {sql} END)"
        for m, a in zip(marks, inputs):
            sql = sql.replace(m, f"({a.sql})" if not _simple(a.sql) else a.sql)
        return Ex(sql, ret, body.typmod if body.oid == ret else -1, name=r.name)

    @staticmethod
    def analyse_statement(sub, s) -> None:
        if isinstance(s, ast.SelectStmt):
            sub.select(s)
        elif isinstance(s, ast.InsertStmt):
            sub.insert(s)
        elif isinstance(s, ast.UpdateStmt):
            sub.update(s)
        elif isinstance(s, ast.DeleteStmt):
            sub.delete(s)

    # --- set-returning functions in the select list -----------------------------------

    def user_target_srfs(self, node: ast.SelectStmt, from_sql: str) -> str:
        """SELECT f(x), ... with f a set-returning user function: PostgreSQL's ProjectSet.
        Each such call is run once per row of the FROM clause (json_each over its packed
        rows, joined to the right: implicitly LATERAL); several run in lockstep
        (pgsvce_srf_zip: as many rows as the longest, NULLs for the shorter). The calls'
        nodes then translate to the joined columns (srf_columns)."""
        if not self.catalog.set_returning_names:
            return from_sql  # no set-returning routine in the database: nothing to look for
        calls = []
        for rt in node.targetList or ():
            _set_returning_calls(rt.val, calls, self.catalog.set_returning_names)
        found = []
        for call in calls:
            names = [n.sval for n in call.funcname]
            res = self.find_user_routine(call, names)
            if res is not None and res[0].routine.retset:
                found.append((call, res))
        if not found:
            return from_sql
        if target_srfs(node):
            raise SqlError("0A000", "set-returning user functions together with built-in ones in a select "
                           "list are not supported", position=location(found[0][0]))
        sa = self.new_alias("usrf")
        fielded: set[int] = set()
        for rt in node.targetList or ():
            _field_calls(rt.val, fielded)
        rows, widths, cols = [], [], []
        self.srf_columns, self.srf_fields = dict(self.srf_columns), dict(self.srf_fields)
        offset = 0
        for call, (b, inputs, arg_oids, ret, _) in found:
            r = b.routine
            outs = M.output_columns_for(r, arg_oids)
            record = bool(outs) and (r.rettype == O.RECORD or r.rowtype is not None)  # (one OUT column: its value)
            if record and id(call) in fielded:  # its rows' fields, side by side (FROM's packed rows)
                rows.append(self.fcall_sql(r, "x", arg_oids, ret, inputs))
                widths.append(len(outs))
                self.srf_fields[id(call)] = (sa, offset, outs)
            else:
                rows.append(self.fcall_sql(r, "y" if record else "x", arg_oids, ret, inputs))
                widths.append(1)
                cols.append((call, O.RECORD if record else ret, r.name, offset))
            offset += widths[-1]
        src = rows[0] if len(rows) == 1 else \
            f"pgsvce_srf_zip({sql_literal(','.join(map(str, widths)))}, {', '.join(rows)})"
        for call, oid, name, at in cols:
            self.srf_columns[id(call)] = Ex(f"pgsvc_rowcol({sa}.value, {at})", oid, name=name)
        item = f"json_each({src}) AS {sa}"
        return f"{from_sql} CROSS JOIN {item}" if from_sql else f" FROM {item}"

    # --- functions in FROM ----------------------------------------------------------------

    def range_user_function(self, node: ast.RangeFunction, call: ast.FuncCall) -> str | None:
        """A user routine in FROM (rows through json_each), or None for a built-in function."""
        names = [n.sval for n in call.funcname]
        found = self.find_user_routine(call, names)
        if found is None:
            return None
        b, inputs, arg_oids, ret, _ = found
        r = b.routine
        pos = location(call)
        if r.kind == "a":
            raise SqlError("42803", "aggregate functions are not allowed in functions in FROM", position=pos)
        if r.kind == "p":
            raise SqlError("42809", f"{M.signature_text(r)} is a procedure", position=pos,
                           hint="To call a procedure, use CALL.")
        alias = node.alias or ast.Alias(aliasname=r.name)
        cols = self.result_columns(r, ret, node, alias, pos, arg_oids)
        spec = call_spec(r, "x", arg_oids, ret)
        if node.coldeflist:  # the columns' types: what the body's rows are coerced to
            spec += ":" + ",".join(str(c[1]) for c in cols)
        rows = f"pgsvce_fcall({sql_literal(spec)}" + "".join(f", {a.sql}" for a in inputs) + ")"
        if node.ordinality:
            cols = cols + [("ordinality", O.INT8, -1)]
        named = ast.Alias(aliasname=alias.aliasname, colnames=None if node.coldeflist else alias.colnames)
        return self.add_packed(named, cols, rows, location(node), ordinality=node.ordinality)

    def result_columns(self, r: CR.Routine, ret: int, node: ast.RangeFunction, alias: ast.Alias, pos,
                       arg_oids) -> list:
        """(name, type, typmod) of the rows a routine gives in FROM."""
        outs = M.output_columns_for(r, arg_oids)
        if node.coldeflist:
            if r.rettype != O.RECORD or outs:
                raise SqlError("42601", "a column definition list is only allowed for functions returning "
                               '"record"', position=location(node.coldeflist[0]))
            return [(c.colname, *self.column_def_type(c)) for c in node.coldeflist]
        if r.rettype == O.RECORD and not outs:
            raise SqlError("42601", "a column definition list is required for functions returning \"record\"",
                           position=pos)
        if outs:
            return [(n or f"column{i + 1}", t, -1) for i, (n, t) in enumerate(outs)]
        name = alias.colnames[0].sval if alias.colnames else (alias.aliasname if node.alias else r.name)
        if alias.colnames:
            return [(name, ret, -1)]
        return [(name, ret, -1)]

    def column_def_type(self, c: ast.ColumnDef) -> tuple[int, int]:
        return type_from_typename(c.typeName, self)


_LEAVES = (ast.A_Const, ast.ColumnRef, ast.ParamRef, ast.SubLink, ast.String, ast.Integer, ast.TypeName)


def _has_named_args(node: ast.FuncCall) -> bool:
    return any(isinstance(a, ast.NamedArgExpr) for a in node.args or ())


def _set_returning_calls(node, out: list, names: frozenset) -> None:
    """The calls of a select-list expression (outside subqueries) that may be of a
    set-returning routine (by name: candidates)."""
    if isinstance(node, _LEAVES):
        return
    if isinstance(node, ast.FuncCall):
        if node.funcname[-1].sval in names:
            out.append(node)
        for a in node.args or ():
            _set_returning_calls(a, out, names)
        return
    if isinstance(node, ast.Node):
        for attr in node:
            _set_returning_calls(getattr(node, attr), out, names)
    elif isinstance(node, (list, tuple)):
        for x in node:
            _set_returning_calls(x, out, names)


def _field_calls(node, out: set) -> None:
    """The calls a select-list expression selects fields of ((f(x)).col, (f(x)).*), outside
    subqueries."""
    if isinstance(node, ast.A_Indirection) and isinstance(node.arg, ast.FuncCall) and len(node.indirection) == 1 \
            and isinstance(node.indirection[0], (ast.String, ast.A_Star)):
        out.add(id(node.arg))
    if isinstance(node, (ast.SubLink, ast.SelectStmt)) or isinstance(node, _LEAVES):
        return
    if isinstance(node, ast.Node):
        for attr in node:
            _field_calls(getattr(node, attr), out)
    elif isinstance(node, (list, tuple)):
        for x in node:
            _field_calls(x, out)


def _simple(sql: str) -> bool:
    """An argument that may be evaluated more than once (a column, a literal, a parameter)."""
    s = sql.strip()
    if s.startswith("'") and s.endswith("'") and s.count("'") % 2 == 0:
        return True
    return all(ch.isalnum() or ch in '._"?$-' for ch in s) and s.count('"') in (0, 2, 4)


def _has_sublink(node) -> bool:
    if isinstance(node, ast.SubLink):
        return True
    if isinstance(node, ast.Node):
        return any(_has_sublink(getattr(node, attr)) for attr in node)
    if isinstance(node, (list, tuple)):
        return any(_has_sublink(x) for x in node)
    return False


__all__ = ["RoutineMixin", "param_scope", "call_spec", "replace"]
