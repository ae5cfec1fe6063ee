"""GROUP BY GROUPING SETS / ROLLUP / CUBE (and GROUP BY DISTINCT) and GROUPING(), as
PostgreSQL 15's parse_agg.c and nodeAgg.c have them.

The GROUP BY items expand into a list of grouping sets (expand_grouping_sets: ROLLUP's
prefixes, CUBE's subsets, nested GROUPING SETS flattened, the items' sets multiplied; more
than 4096 is 54001, a CUBE of more than 12 elements 54011; DISTINCT drops repeated sets).
Every expression named in any set is a grouping expression, translated once.

One SELECT computes every set: the FROM items are CROSS JOINed (the sets' table as the
inner loop, so WHERE and the FROM items' own functions run once per input row) with a
table of set numbers `"pgsvc$gs<n>".g` (each level its own), and the rows are grouped by g and, for each grouping
expression e, `CASE WHEN g IN (sets holding e) THEN e END`: in a set without e, e is
grouped away and reads NULL. While the select list, HAVING, ORDER BY, DISTINCT ON and window
definitions are translated, `expr` is this module's `gs_expr`: an expression equal to a
grouping expression (outside aggregate arguments of its level; a column also from inside a
subquery) becomes that grouping key, and GROUPING(args) the bitmask of the args grouped away
in the row's set (a constant per set). Window functions, DISTINCT, ORDER BY and LIMIT
then work on the grouped rows of all sets together, as PostgreSQL's do.

A set with no expressions (`()`, ROLLUP's last) yields a row even when no input row
reaches it: a second SELECT computes that row (its aggregates over no rows) only when the
FROM/WHERE yields nothing, the two never both returning rows.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import product

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.translate.ex import Ex, location
from pgsvc.sql.translate.grouping import (GroupingChecker, contains_grouping_func, has_aggregate, is_aggregate_call,
                                          outer_only)
from pgsvc.sql.translate.names import Scope, aggregate_level
from pgsvc.sql.translate.ordered_set import inner_window_position
from pgsvc.sql.types import oids as O

MAX_SETS = 4096
_K = enums.GroupingSetKind


def needs_grouping_sets(node: ast.SelectStmt) -> bool:
    """A grouped SELECT that goes through this module: grouping sets, GROUP BY DISTINCT,
    GROUP BY (a, b) (a list of items, not a row) or GROUPING() calls."""
    if node.groupDistinct or any(isinstance(g, ast.GroupingSet) or _implicit_row(g) for g in node.groupClause):
        return True
    return contains_grouping_func((node.targetList, node.havingClause, node.sortClause, node.windowClause))


def _implicit_row(node) -> bool:
    return isinstance(node, ast.RowExpr) and node.row_format == enums.CoercionForm.COERCE_IMPLICIT_CAST


def _group_of(node) -> list:
    """An element of ROLLUP/CUBE: (a, b) is one element of two expressions."""
    return list(node.args or ()) if _implicit_row(node) else [node]


def _expand(item) -> list[list]:
    if _implicit_row(item):
        return [list(item.args or ())]
    if not isinstance(item, ast.GroupingSet):
        return [[item]]
    content = list(item.content or ())
    if item.kind == _K.GROUPING_SET_EMPTY:
        return [[]]
    if item.kind == _K.GROUPING_SET_SIMPLE:
        return [[x for c in content for x in _group_of(c)]]
    if item.kind == _K.GROUPING_SET_ROLLUP:
        parts = [_group_of(c) for c in content]
        return [[x for p in parts[:n] for x in p] for n in range(len(parts), -1, -1)]
    if item.kind == _K.GROUPING_SET_CUBE:
        if len(content) > 12:
            raise SqlError("54011", "CUBE is limited to 12 elements", position=location(item))
        parts = [_group_of(c) for c in content]
        return [[x for p, on in zip(parts, mask) if on for x in p]
                for mask in product((True, False), repeat=len(parts))]
    out: list[list] = []
    for c in content:  # GROUPING SETS (...): each element's sets, nested ones flattened
        out.extend(_expand(c))
    return out


def expand_grouping_sets(items) -> list[list]:
    """The grouping sets of a GROUP BY list: the product of its items' sets."""
    expanded = [_expand(g) for g in items]
    count = 1
    for e in expanded:
        count *= len(e)
    if count > MAX_SETS:
        raise SqlError("54001", f"too many grouping sets present (maximum {MAX_SETS})")
    return [[x for part in combo for x in part] for combo in product(*expanded)]


class GsFrame:
    """One query level's grouping sets while its clauses are translated."""

    def __init__(self, scope: Scope, checker: GroupingChecker, exprs: list[Ex], keys: list,
                 sets: list[frozenset], seq: int) -> None:
        self.scope = scope
        self.alias = f'"pgsvc$gs{seq}"'
        self.ref = f"{self.alias}.g"
        self.checker = checker
        self.exprs = exprs
        self.index: dict = {}
        for i, k in enumerate(keys):
            self.index.setdefault(k, i)
        self.tied: dict[int, int] = {}
        self.outer: set[int] = set()  # items of only outer columns: constants, not in GROUP BY
        self.direct: set[int] = set()  # an ordered-set aggregate's direct arguments (per group)
        self.sets = sets
        self.has_exprs = any(k[0] != "col" for k in keys)
        self.suppressed = 0  # inside an aggregate's arguments of this level
        n = len(sets)
        self.sql = []
        for i, e in enumerate(exprs):
            ids = [s for s in range(n) if i in sets[s]]
            if len(ids) == n:
                self.sql.append(e.sql)
            else:
                self.sql.append(f"(CASE WHEN {self.ref} IN ({', '.join(map(str, ids))}) THEN {e.sql} END)")

    def ex(self, i: int, like: Ex | None = None) -> Ex:
        """Grouping item i where an expression equal to it (`like`: its name and origin) was."""
        e = self.exprs[i]
        if like is not None:
            e = replace(e, name=like.name, table_oid=like.table_oid, attnum=like.attnum)
        return replace(e, sql=self.sql[i], notnull=False, has_agg=False)

    def source(self, from_sql: str) -> str:
        """The FROM items joined with the table of set numbers (none for one set)."""
        if len(self.sets) == 1:
            return from_sql
        ids = ", ".join(f"({n})" for n in range(len(self.sets)))
        table = f"(SELECT column1 AS g FROM (VALUES {ids})) AS {self.alias}"
        return f"{from_sql} CROSS JOIN {table}" if from_sql else f" FROM {table}"

    def group_sql(self) -> list[str]:
        keys = [f"CAST({s} AS INTEGER)" if s.lstrip("+-").isdigit() else s
                for i, s in enumerate(self.sql) if i not in self.outer]
        return ([self.ref] if len(self.sets) > 1 else []) + keys or ["NULL"]


class GroupingSetsMixin:
    gs_frames: list = []  # the levels being translated with grouping sets (innermost last)

    def grouping_sets_begin(self, node: ast.SelectStmt) -> GsFrame:
        """Expand and translate the GROUP BY of `node` (its FROM and WHERE done) and make
        `expr` substitute the grouping keys until grouping_sets_end."""
        checker = GroupingChecker(self, node, [], grouped={})
        aliases = {rt.name: rt.val for rt in node.targetList or () if rt.name}
        flat: list = []  # the select list with * expanded: nodes, or (entry, column)
        for rt in node.targetList or ():
            if isinstance(rt.val, ast.ColumnRef) and isinstance(rt.val.fields[-1], ast.A_Star):
                flat.extend(checker.star_columns(rt.val))
            else:
                flat.append(rt.val)
        keys: list = []
        idents: list = []  # a grouping item is a select-list entry (by position, name or equal expression)
        exprs: list[Ex] = []
        lits: dict = {}
        resolved: dict[int, int] = {}
        tied: dict[int, int] = {}  # select-list entry -> its grouping item
        outer: set[int] = set()  # items of only outer columns (grouping.outer_only)
        target_keys: list = []

        def index_of(g) -> int:
            if id(g) in resolved:
                return resolved[id(g)]
            target = g
            tle = None
            pos = self.positional(g) if not isinstance(g, ast.ColumnRef) else None
            if pos is not None:
                if not 1 <= pos <= len(flat):
                    raise SqlError("42P10", f"GROUP BY position {pos} is not in select list", position=location(g))
                target = flat[pos - 1]
                tle = pos - 1
            if isinstance(target, tuple):
                col = target[1]
                key, lit = ("col", col.sql or id(col)), False
                ex = Ex(col.sql, col.oid, col.typmod, name=col.name, table_oid=col.table_oid, attnum=col.attnum)
            else:
                try:
                    ex = self.expr(target)
                except SqlError:
                    name = target.fields[0].sval if isinstance(target, ast.ColumnRef) and len(target.fields) == 1 \
                        and isinstance(target.fields[0], ast.String) else None
                    if name not in aliases:
                        raise
                    tle = next(i for i, n in enumerate(flat) if n is aliases[name])
                    target = aliases[name]
                    ex = self.expr(target)
                key, lit = checker.key_of(target)
            if tle is None:
                if not target_keys:
                    target_keys.extend(k for k, _ in checker.target_keys(node.targetList or ()))
                tle = next((i for i, k in enumerate(target_keys) if k == key), None)
            ident = key if tle is None else ("tle", tle)
            lits[key] = lits.get(key, False) or lit
            if ident not in idents:
                idents.append(ident)
                keys.append(key)
                exprs.append(ex)
                if self.scope.parent is not None and not isinstance(target, tuple) and outer_only(self.scope, target):
                    outer.add(len(exprs) - 1)
                    if has_aggregate(target, self.catalog):  # (select.py's hold_outer_aggregates)
                        self.held_outer_aggregates = getattr(self, "held_outer_aggregates", []) + [ex.sql]
            resolved[id(g)] = idents.index(ident)
            if tle is not None:
                tied[tle] = resolved[id(g)]
            return resolved[id(g)]

        window_at = inner_window_position(node.groupClause)
        if window_at is not None:
            raise SqlError("42P20", "window functions are not allowed in GROUP BY", position=window_at)
        saved, self.agg_forbidden = self.agg_forbidden, "GROUP BY"
        try:
            sets = [frozenset(index_of(g) for g in s) for s in expand_grouping_sets(node.groupClause)]
        finally:
            self.agg_forbidden = saved
        if node.groupDistinct:
            sets = list(dict.fromkeys(sets))
        sets.sort(key=len)  # as expand_grouping_sets orders them (rows tied in ORDER BY come out so)
        common = set.intersection(*(set(s) for s in sets)) if sets else set()
        checker = GroupingChecker(self, node, [], grouped=lits, common={keys[i] for i in common})
        self.alias_seq += 1
        frame = GsFrame(self.scope, checker, [self.finalize_unknown(e) for e in exprs], keys, sets, self.alias_seq)
        frame.tied = tied
        frame.outer = outer
        if not self.gs_frames:
            self.expr = self.gs_expr  # (an instance attribute: no cost to queries without grouping sets)
        self.gs_frames = self.gs_frames + [frame]
        return frame

    def grouping_sets_end(self, frame: GsFrame) -> None:
        self.gs_frames = [f for f in self.gs_frames if f is not frame]
        if not self.gs_frames:
            self.__dict__.pop("expr", None)

    def gs_frame_at(self, level: int) -> GsFrame | None:
        scope = self.scope
        for _ in range(level):
            scope = scope.parent if scope is not None else None
        for f in reversed(self.gs_frames):
            if f.scope is scope:
                return f
        return None

    def gs_expr(self, node) -> Ex:
        base = type(self).expr
        t = type(node)
        for f in self.gs_frames:
            if f.suppressed and id(node) in f.direct:  # evaluated per group: grouping keys apply
                saved, f.suppressed = f.suppressed, 0
                try:
                    return self.gs_expr(node)
                finally:
                    f.suppressed = saved
        if t is ast.ColumnRef:
            return self.gs_column(node, base(self, node))
        if t is ast.FuncCall and node.over is None and is_aggregate_call(node, self.catalog):
            frame = self.gs_frame_at(aggregate_level(self.scope, node))
            if frame is None:
                return base(self, node)
            frame.suppressed += 1  # its arguments read the input rows
            if node.agg_within_group:
                frame.direct.update(id(a) for a in node.args or ())
            try:
                return base(self, node)
            finally:
                frame.suppressed -= 1
        if t not in (ast.A_Const, ast.ParamRef, ast.SubLink, ast.GroupingFunc):
            frame = self.gs_frame_at(0)
            if frame is not None and frame.has_exprs and not frame.suppressed:
                key, lit = frame.checker.key_of(node)
                i = frame.index.get(key)
                if i is not None:
                    if lit:
                        self.cacheable = False
                    return frame.ex(i)
        return base(self, node)

    def gs_column(self, node: ast.ColumnRef, ex: Ex) -> Ex:
        fields = node.fields
        if not all(isinstance(f, ast.String) for f in fields):
            return ex
        level = self.scope.column_level([f.sval for f in fields])
        frame = self.gs_frame_at(level) if level is not None else None
        if frame is None or frame.suppressed:
            return ex
        found = frame.checker.locate(fields)
        i = frame.index.get(frame.checker.col_key(*found)) if found is not None else None
        return ex if i is None else frame.ex(i, ex)

    def gs_targets(self, frame: GsFrame, targets: list[Ex]) -> list[Ex]:
        """Columns of * in the select list (made without `expr`) as their grouping keys."""
        out = []
        for n, t in enumerate(targets):
            i = frame.tied.get(n, frame.index.get(("col", t.sql)))
            out.append(t if i is None else frame.ex(i, t))
        return out

    def x_GroupingFunc(self, node: ast.GroupingFunc) -> Ex:
        if self.agg_forbidden:
            raise SqlError("42803", f"grouping operations are not allowed in {self.agg_forbidden}",
                           position=location(node))
        args = list(node.args or ())
        if len(args) > 31:
            raise SqlError("54023", "GROUPING must have fewer than 32 arguments", position=location(node))
        frame = self.gs_frame_at(aggregate_level(self.scope, ast.FuncCall(args=tuple(args))))
        if frame is not None and frame.suppressed:
            raise SqlError("42803", "aggregate function calls cannot be nested", position=location(node))
        idx = []
        for a in args:
            i = frame.index.get(frame.checker.key_of(a)[0]) if frame is not None else None
            if i is None:
                raise SqlError("42803", "arguments to GROUPING must be grouping expressions of the associated "
                               "query level", position=location(a))
            idx.append(i)
        values = []
        for s in frame.sets:
            v = 0
            for i in idx:
                v = (v << 1) | (0 if i in s else 1)
            values.append(v)
        if len(set(values)) == 1:
            return Ex(str(values[0]), O.INT4, name="grouping")
        whens = " ".join(f"WHEN {n} THEN {v}" for n, v in enumerate(values))
        return Ex(f"(CASE {frame.ref} {whens} END)", O.INT4, name="grouping")

    def gs_statement(self, frame: GsFrame, head: str, from_sql: str, where: str, having: str, tail: str,
                     width: int) -> str:
        """The SELECT of all sets (head: 'SELECT [DISTINCT] targets'; tail: ORDER BY and LIMIT),
        and for each empty set the row it has when no input row reaches it."""
        main = f"{head}{frame.source(from_sql)}{where} GROUP BY {', '.join(frame.group_sql())}{having}{tail}"
        if len(frame.sets) == 1:
            main = main.replace(frame.ref, "0")
        empties = [n for n, s in enumerate(frame.sets) if not s]
        if not empties:
            return main
        exists = f"EXISTS (SELECT 1{from_sql}{where})"
        cond = f" WHERE ({where[len(' WHERE '):]}) AND NOT {exists}" if where else f" WHERE NOT {exists}"
        keep = f" HAVING NOT {exists}" + (f" AND ({having[len(' HAVING '):]})" if having else "")
        cols = ", ".join(f"c{i}" for i in range(width)) or "c0"
        parts = [main] + [f"SELECT {cols} FROM ({head}, count(*) AS \"pgsvc$n\"{from_sql}{cond}{keep}{tail})"
                          .replace(frame.ref, str(n)) for n in empties]
        return " UNION ALL ".join(f"SELECT * FROM ({p})" for p in parts)
