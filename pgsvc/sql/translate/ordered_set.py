"""agg(direct args) WITHIN GROUP (ORDER BY keys): resolution and typing of PostgreSQL's
ordered-set aggregates (percentile_cont, percentile_disc, mode) and hypothetical-set
aggregates (rank, dense_rank, percent_rank, cume_dist); the computation is
pgsvc.sql.functions.ordered_set.
"""

from __future__ import annotations

from copy import copy

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.functions.ordered_set import EMPTY_RESULTS, HYPOTHETICAL
from pgsvc.sql.functions.session_sigs import EXTRA_FUNCTIONS
from pgsvc.sql.functions.signatures import FuncSig
from pgsvc.sql.translate.ex import Ex, location, sql_literal
from pgsvc.sql.translate.names import aggregate_level
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import find_oid


def _ordered_set_sigs() -> dict[str, list[FuncSig]]:
    F8, IV, AF8 = O.FLOAT8, O.INTERVAL, O.ARRAY_FLOAT8
    table: dict[str, list[FuncSig]] = {}

    def add(name, args, ret):
        table.setdefault(name, []).append(FuncSig(name, tuple(args), ret, "", kind="aggregate"))

    add("percentile_cont", [F8, F8], F8)
    add("percentile_cont", [F8, IV], IV)
    add("percentile_cont", [AF8, F8], AF8)
    add("percentile_cont", [AF8, IV], O.ARRAY_INTERVAL)
    add("percentile_disc", [F8, O.ANYELEMENT], O.ANYELEMENT)
    add("percentile_disc", [AF8, O.ANYELEMENT], O.ANYARRAY)
    add("mode", [O.ANYELEMENT], O.ANYELEMENT)
    return table


_SIGS = _ordered_set_sigs()
ORDERED_SET_SIGS = _SIGS  # (deparse resolves WITHIN GROUP calls over them too)


def _first_call(nodes, wanted) -> int | None:
    """The position of the first FuncCall among nodes (depth first, subqueries left out)
    for which wanted(call) holds, or None."""
    stack = list(reversed([n for n in nodes if n is not None]))
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(reversed(node))
            continue
        if not isinstance(node, ast.Node) or isinstance(node, ast.SubLink):
            continue
        if isinstance(node, ast.FuncCall) and wanted(node):
            return location(node) or 0
        stack.extend(reversed([v for v in (getattr(node, f) for f in node) if v is not None]))
    return None


def inner_window_position(nodes) -> int | None:
    """Where the first window function call among nodes is, or None."""
    return _first_call(nodes, lambda call: call.over is not None)


def _is_aggregate_call(call: ast.FuncCall) -> bool:
    name = call.funcname[-1].sval
    return call.over is None and bool(call.agg_within_group or call.agg_star or name in _SIGS or any(
        c.kind == "aggregate" for c in R.function_candidates(name)))


def inner_aggregate_position(nodes, default: int | None, user_aggregates=None) -> int | None:
    """Where the first aggregate call among nodes is (not a window call): PostgreSQL points
    "aggregate function calls cannot be nested" at it. user_aggregates: the catalog's
    routines by name, whose kind 'a' ones are aggregates too."""
    def aggregate(call: ast.FuncCall) -> bool:
        return _is_aggregate_call(call) or call.over is None and any(
            r.kind == "a" for r in (user_aggregates or {}).get(call.funcname[-1].sval, ()))
    found = _first_call(nodes, aggregate)
    return default if found is None else found


def _key_kind(oid: int) -> str:
    if oid == O.NUMERIC:
        return "n"
    if oid == O.INTERVAL:
        return "i"
    if oid in (O.FLOAT4, O.FLOAT8):
        return "f"
    return "p"


class OrderedSetMixin:
    def ordered_set_call(self, node: ast.FuncCall, name: str, pos, outer_done: bool = False) -> Ex:
        if node.over is not None:
            raise SqlError("0A000", f"OVER is not supported for ordered-set aggregate {name}", position=pos)
        if name not in _SIGS and name not in HYPOTHETICAL:
            self.not_ordered_set(node, name, pos)
        if self.agg_forbidden:
            raise SqlError("42803", f"aggregate functions are not allowed in {self.agg_forbidden}", position=pos)
        window_at = inner_window_position([node.agg_filter])
        if window_at is not None:
            raise SqlError("42P20", "window functions are not allowed in FILTER", position=window_at)
        window_at = inner_window_position([node.args, [sb.node for sb in node.agg_order]])
        if window_at is not None:
            raise SqlError("42803", "aggregate function calls cannot contain window function calls",
                           position=window_at)
        if not outer_done and self.scope.parent is not None:  # its level: the aggregated arguments'
            level = aggregate_level(self.scope, ast.FuncCall(agg_order=node.agg_order, agg_filter=node.agg_filter))
            if level:
                return self.outer_ordered_set_call(node, name, pos, level)
        direct = [self.expr(a) for a in node.args or ()]
        keys = [self.finalize_unknown(self.expr(sb.node)) if name not in HYPOTHETICAL else self.expr(sb.node)
                for sb in node.agg_order]
        if any(e.has_agg for e in direct + keys):
            raise SqlError("42803", "aggregate function calls cannot be nested",
                           position=inner_aggregate_position([node.args, [sb.node for sb in node.agg_order]], pos))
        if name in HYPOTHETICAL:
            for a, sb in zip(node.args or (), node.agg_order):
                _same_explicit_collation(a, sb.node)
            direct, keys, ret = self.hypothetical_args(name, direct, keys, pos,
                                                       [location(a) for a in node.args or ()])
        else:
            direct, keys, ret = self.ordered_set_args(name, direct, keys, pos)
        spec = "".join(_key_kind(k.oid) + _direction(sb) for k, sb in zip(keys, node.agg_order))
        array_fraction = int(bool(direct) and find_oid(direct[0].oid) is not None
                             and find_oid(direct[0].oid).category == "A" and name not in HYPOTHETICAL)
        args = ", ".join(e.sql for e in direct + keys)
        sql = (f"pgsvce_osa_{name}({sql_literal(spec)}, {ret}, {array_fraction}, {len(direct)}, {args})")
        if node.agg_filter is not None:
            sql += f" FILTER (WHERE {self.bool_expr(node.agg_filter, 'FILTER').sql})"
        if name in HYPOTHETICAL:
            # over no rows SQLite never creates the Python aggregate (its result is NULL), but
            # the hypothetical row alone ranks first; these functions are never NULL otherwise
            sql = f"coalesce({sql}, {EMPTY_RESULTS[name]})"
        return Ex(sql, ret, name=name, has_agg=True)

    def outer_ordered_set_call(self, node: ast.FuncCall, name: str, pos, level: int) -> Ex:
        """An ordered-set aggregate of an enclosing query (its ORDER BY reads only outer
        columns): its direct arguments may not read this level's (check_agg_arguments)."""
        for ref in column_refs(node.args):
            names = [getattr(f, "sval", "*") for f in ref.fields]
            found = self.scope.column_level(names[:-1] if names[-1] == "*" else names)
            if found is not None and found < level:
                raise SqlError("42803", "outer-level aggregate cannot contain a lower-level variable in its "
                               "direct arguments", position=location(ref))
        self.aggregate_outer_level(node, level, pos)
        saved, self.agg_forbidden = self.agg_forbidden, None
        try:
            ex = self.ordered_set_call(node, name, pos, outer_done=True)
        finally:
            self.agg_forbidden = saved
        return Ex(f"(SELECT {ex.sql})", ex.oid, name=ex.name)

    def aggregate_outer_level(self, node: ast.FuncCall, level: int, pos) -> None:
        """An aggregate of the query `level` scopes up: that query becomes aggregated (42803 if
        the aggregate stands in a clause of it where aggregates are not allowed)."""
        scope = self.scope
        for _ in range(level - 1):
            scope = scope.parent
        if scope.outer_clause:
            raise SqlError("42803", f"aggregate functions are not allowed in {scope.outer_clause}", position=pos)
        scope.parent.outer_aggregated = True
        self.outer_aggregates.add(id(node))

    def not_ordered_set(self, node: ast.FuncCall, name: str, pos) -> None:
        """WITHIN GROUP on another function: PostgreSQL looks for name(direct..., keys...)."""
        oids = [self.expr(a).oid for a in node.args or ()] + [self.expr(sb.node).oid for sb in node.agg_order]
        R.resolve_function(name, oids, pos, extra=EXTRA_FUNCTIONS)  # raises 42883 when there is none
        raise SqlError("42809", f"{name} is not an ordered-set aggregate, so it cannot have WITHIN GROUP",
                       position=pos)

    def ordered_set_args(self, name, direct, keys, pos):
        sig = R.resolve_function(name, [e.oid for e in direct + keys], pos, extra=_SIGS, only_extra=True)
        types = list(sig.arg_oids)
        coerced = [self.finalize_unknown(e) if t in O.ANY_OIDS else self.coerce(e, t)
                   for e, t in zip(direct + keys, types)]
        key_oid = coerced[-1].oid
        ret = sig.ret_oid
        if ret == O.ANYELEMENT:
            ret = key_oid
        elif ret == O.ANYARRAY:
            t = find_oid(key_oid)
            ret = t.array_oid if t is not None and t.array_oid else O.UNKNOWN
        return coerced[:len(direct)], coerced[len(direct):], ret

    def hypothetical_args(self, name, direct, keys, pos, direct_pos=()):
        if len(direct) != len(keys):
            argtext = ", ".join(R.argument_type_name(e.oid) for e in direct + keys)
            raise SqlError("42883", f"function {name}({argtext}) does not exist", position=pos,
                           hint=f"To use the hypothetical-set aggregate {name}, the number of hypothetical "
                                f"direct arguments (here {len(direct)}) must match the number of ordering "
                                f"columns (here {len(keys)}).")
        out_direct, out_keys = [], []
        for i, (d, k) in enumerate(zip(direct, keys)):
            # unify_hypothetical_args: the ordering column's type first, the error at the direct argument
            t = R.common_type([k.oid, d.oid], "WITHIN GROUP", direct_pos[i] if i < len(direct_pos) else None)
            out_direct.append(self.coerce(d, t))
            out_keys.append(self.coerce(k, t))
        return out_direct, out_keys, HYPOTHETICAL[name]


def _same_explicit_collation(direct, key) -> None:
    """A hypothetical argument and its ordering column, both with COLLATE: the same one."""
    if isinstance(direct, ast.CollateClause) and isinstance(key, ast.CollateClause):
        a, b = (".".join(n.sval for n in c.collname) for c in (direct, key))
        if a != b:
            raise SqlError("42P21", f'collation mismatch between explicit collations "{a}" and "{b}"',
                           position=location(key))


def column_refs(node) -> list:
    """The column references of an expression tree, not those of its subqueries."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (list, tuple)):
            stack.extend(n)
        elif isinstance(n, ast.ColumnRef):
            out.append(n)
        elif isinstance(n, ast.Node) and not isinstance(n, (ast.SubLink, ast.SelectStmt, ast.RangeSubselect)):
            stack.extend(getattr(n, f) for f in n.__slots__ if f != "location")
    return out


def _direction(sb: ast.SortBy) -> str:
    d, n = enums.SortByDir, enums.SortByNulls
    if sb.sortby_dir == d.SORTBY_USING:
        raise SqlError("0A000", "ORDER BY USING in WITHIN GROUP is not supported", position=location(sb))
    desc = sb.sortby_dir == d.SORTBY_DESC
    nulls_first = desc if sb.sortby_nulls == n.SORTBY_NULLS_DEFAULT else sb.sortby_nulls == n.SORTBY_NULLS_FIRST
    return ("d" if desc else "a") + ("f" if nulls_first else "l")


# one-argument DISTINCT aggregates sorted as PostgreSQL sorts them (by the ordered path)
SORTED_DISTINCT = {O.INT2, O.INT4, O.INT8, O.NUMERIC, O.FLOAT4, O.FLOAT8, O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME}


def ordered_by_arguments(node: ast.FuncCall) -> ast.FuncCall:
    """agg(DISTINCT a, b) as agg(DISTINCT a, b ORDER BY a, b): PostgreSQL sorts a DISTINCT
    aggregate's input by its arguments, so the ordered path gives its answer and order
    (and SQLite's DISTINCT takes one argument only)."""
    n = copy(node)
    n.agg_order = tuple(ast.SortBy(node=a, sortby_dir=enums.SortByDir.SORTBY_DEFAULT,
                                   sortby_nulls=enums.SortByNulls.SORTBY_NULLS_DEFAULT, location=-1)
                        for a in node.args)
    return n
