"""PostgreSQL's grouping rule (parse_agg.c's check_ungrouped_columns), checked on the parse
tree of a grouped SELECT: outside aggregate calls, every column of this query level in the
select list, HAVING, ORDER BY, DISTINCT ON and window definitions must be a GROUP BY
expression, lie inside a subexpression equal to one (GROUP BY x + 1 allows (x + 1) * 2), or
belong to a table whose primary key is grouped (functional dependency). Otherwise 42803
`column "t.x" must appear in the GROUP BY clause or be used in an aggregate function`, at
the column's position.

Expressions are compared as trees without their positions, each column reference as the
column it resolves to, each lifted literal as its text; a match that relied on a lifted
literal's value makes the translation uncacheable (another literal may not match).
Subqueries are not looked into; FROM items pgsvc adds itself (aliases "pgsvc$...") are
not checked.
"""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.functions.session_sigs import EXTRA_FUNCTIONS
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.ex import location

_SKIP = (ast.SubLink, ast.RangeSubselect, ast.SelectStmt, ast.GroupingFunc)


def is_aggregate_call(node, catalog) -> bool:
    """A call of an aggregate (built-in or CREATE AGGREGATE's, prokind 'a'), not as a window function."""
    if not isinstance(node, ast.FuncCall) or node.over is not None:
        return False
    if node.agg_star or node.agg_within_group or node.agg_distinct or node.agg_order \
            or node.agg_filter is not None:
        return True
    name = node.funcname[-1].sval
    if any(getattr(r, "kind", "f") == "a" for r in catalog.routines_named.get(name, ())):
        return True
    return any(s.kind == "aggregate" for s in R.function_candidates(name) or EXTRA_FUNCTIONS.get(name, ()))


def has_aggregate(node, catalog, outer=frozenset()) -> bool:
    """An aggregate call of this query level in the tree (not in a subquery, not a window call,
    not one whose node is in `outer`: of only outer columns, it belongs to an enclosing query).
    Run for every SELECT translated: only the fields that can hold nodes are visited."""
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is tuple or type(n) is list:
            stack.extend(n)
        elif isinstance(n, ast.Node) and not isinstance(n, _SKIP):
            if type(n) is ast.FuncCall and id(n) not in outer and is_aggregate_call(n, catalog):
                return True
            for f in _node_fields(type(n)):
                v = getattr(n, f)
                if v is not None:
                    stack.append(v)
    return False


def contains_grouping_func(node) -> bool:
    """A GROUPING(...) call anywhere in the tree (subqueries included)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is tuple or type(n) is list:
            stack.extend(n)
        elif isinstance(n, ast.Node):
            if type(n) is ast.GroupingFunc:
                return True
            for f in _node_fields(type(n)):
                v = getattr(n, f)
                if v is not None:
                    stack.append(v)
    return False


_NODE_FIELDS: dict[type, tuple[str, ...]] = {}
_LEAF_TYPES = frozenset({"char*", "Bitmapset*", "TypeName*", "String*", "Alias*", "RangeVar*"})


def _node_fields(cls) -> tuple[str, ...]:
    """The fields of a node class that may hold expressions (pointers to nodes and lists)."""
    found = _NODE_FIELDS.get(cls)
    if found is None:
        found = _NODE_FIELDS[cls] = tuple(k for k, info in cls.__slots__.items()
                                          if info.c_type.endswith("*") and info.c_type not in _LEAF_TYPES)
    return found


class GroupingChecker:
    """The check, and expressions as comparable keys (translate.grouping_sets matches grouping
    expressions with them). `grouped`: the grouping expressions' keys given already (a query
    with grouping sets: key -> whether it holds a lifted literal), with `common` the keys in
    every set (only those make a table's other columns functionally dependent)."""

    def __init__(self, tr, stmt: ast.SelectStmt, names: list[str], grouped: dict | None = None,
                 common: set | None = None) -> None:
        self.tr = tr
        self.scope = tr.scope
        # an SQL function body's parameters (translate.routines' param_scope) share the root
        # scope with its FROM items: values from outside, not columns
        params = {p.sql for p in getattr(tr, "routine_params", None) or ()}
        self.param_entries = {id(e) for e in self.scope.entries
                              if params and e.relation is None and e.cols and all(c.sql in params for c in e.cols)}
        self.literal_used = False
        self.detail: str | None = None
        self.grouped: set = set()
        self.grouped_literal: set = set()
        self.common = common
        if grouped is not None:
            for key, lit in grouped.items():
                (self.grouped_literal if lit else self.grouped).add(key)
            return
        targets = self.target_keys(stmt.targetList or ())
        for g in stmt.groupClause or ():
            key, lit = self.key_of(g)
            pos = tr.positional(g) if not isinstance(g, ast.ColumnRef) else None
            if pos is not None and 1 <= pos <= len(targets):
                key, lit = targets[pos - 1]
            elif isinstance(g, ast.ColumnRef) and key[0] == "name" and len(g.fields) == 1 \
                    and g.fields[0].sval in names:
                key, lit = targets[names.index(g.fields[0].sval)]
            (self.grouped_literal if lit else self.grouped).add(key)

    # --- keys: an expression as a comparable value ---------------------------------

    def locate(self, fields) -> tuple | None:
        """(entry, column) of a column reference resolved at this query level, else None."""
        if not all(isinstance(f, ast.String) for f in fields):
            return None
        names = [f.sval for f in fields]
        col = names[-1]
        for e in self.scope.entries:
            if id(e) in self.param_entries:
                continue
            if len(names) >= 2:
                if e.alias != names[-2]:
                    continue
            elif col in e.hidden:
                continue
            for c in e.cols:
                if c.name == col:
                    return e, c
        return None

    def key_of(self, node) -> tuple:
        """(key, whether it holds a lifted literal)."""
        if isinstance(node, (tuple, list)):
            parts = [self.key_of(n) for n in node]
            return tuple(k for k, _ in parts), any(lit for _, lit in parts)
        if not isinstance(node, ast.Node):
            return node, False
        if isinstance(node, ast.ColumnRef):
            found = self.locate(node.fields)
            if found is not None:
                return self.col_key(*found), False
            return self.outer_key(node, ("name",) + tuple(getattr(f, "sval", "*") for f in node.fields)), False
        if isinstance(node, ast.ParamRef):
            if self.tr.is_literal_param(node.number):
                return ("lit",) + tuple(self.tr.literals[node.number - 1][:2]), True
            return self.outer_key(node, ("param", node.number)), False
        parts = [(f, self.key_of(getattr(node, f))) for f in node.__slots__ if f != "location"]
        return (type(node).__name__,) + tuple((f, k) for f, (k, _) in parts), any(lit for _, (_, lit) in parts)

    def outer_key(self, node, fallback: tuple) -> tuple:
        """A value from outside this level (an outer column, a parameter, a PL/pgSQL variable:
        p1 and $1 are the same one) as what it translates to."""
        try:
            return ("ext", self.tr.expr(node).sql)
        except SqlError:
            return fallback

    def target_keys(self, items) -> list:
        out = []
        for rt in items:
            val = rt.val
            if isinstance(val, ast.ColumnRef) and isinstance(val.fields[-1], ast.A_Star):
                out.extend((("col", c.sql or id(c)), False) for _, c in self.star_columns(val))
            else:
                out.append(self.key_of(val))
        return out

    def star_columns(self, node: ast.ColumnRef) -> list:
        alias = node.fields[-2].sval if len(node.fields) > 1 else None
        return [(e, c) for e in self.scope.entries if (alias is None or e.alias == alias) and id(e) not in self.param_entries
                for c in (e.star_cols if e.star_cols is not None and alias is None else e.cols)]

    def is_grouped(self, key) -> bool:
        if key in self.grouped:
            return True
        if key in self.grouped_literal:
            self.literal_used = True
            return True
        return False

    # --- the check -----------------------------------------------------------------

    def col_key(self, entry, col) -> tuple:
        """A column as a key. A JOIN USING column of a type its left side's column is cast to
        (t1.f1 int, t2.f1 bigint) is that cast, not the column: GROUP BY f1 groups no t1.f1."""
        if entry.alias is None and any(c.sql == col.sql and c.oid != col.oid for e in self.scope.entries
                                       if e.alias is not None for c in e.cols):
            return ("using", col.oid, col.sql)
        return ("col", col.sql or id(col))

    def column_ok(self, entry, col) -> bool:
        if entry.alias is not None and entry.alias.startswith("pgsvc$"):
            return True
        key = self.col_key(entry, col)
        if self.is_grouped(key) or key[0] == "using" and self.is_grouped(("col", col.sql)):
            return True  # (the cast of a grouped column is grouped)
        if entry.alias is None:
            return True
        rel = entry.relation
        for c in getattr(rel, "constraints", None) or ():
            if c.contype == "p":
                by_name = {x.name: x for x in entry.cols}
                keys = [by_name.get(rel.attr_by_num(k).name) for k in c.keys]
                if self.common is not None:
                    return all(k is not None and ("col", k.sql or id(k)) in self.common for k in keys)
                return all(k is not None and self.is_grouped(("col", k.sql or id(k))) for k in keys)
        return False

    def check(self, node) -> None:
        if isinstance(node, (tuple, list)):
            for n in node:
                self.check(n)
            return
        if isinstance(node, ast.FuncCall) and node.agg_within_group and node.over is None:
            saved, self.detail = self.detail, "Direct arguments of an ordered-set aggregate must use only grouped columns."
            try:
                self.check(node.args)
            finally:
                self.detail = saved
            return
        if isinstance(node, ast.SubLink):
            self.check(node.testexpr)  # x IN (SELECT ...): x is of this level
            self.check_sub(node.subselect, frozenset(), True)
            return
        if not isinstance(node, ast.Node) or isinstance(node, _SKIP) or is_aggregate_call(node, self.tr.catalog):
            return
        if isinstance(node, ast.ColumnRef):
            if isinstance(node.fields[-1], ast.A_Star):
                for e, c in self.star_columns(node):
                    self.need(e, c, node)
                return
            found = self.locate(node.fields)
            if found is not None:
                self.need(found[0], found[1], node)
            elif len(node.fields) == 1 and isinstance(node.fields[0], ast.String):
                self.need_row(node)
            return
        if not isinstance(node, (ast.A_Const, ast.ParamRef)) and self.is_grouped(self.key_of(node)[0]):
            return
        for f in node.__slots__:
            if f != "location":
                self.check(getattr(node, f))

    def need_row(self, node: ast.ColumnRef, sub: bool = False) -> None:
        """A FROM item's whole row (to_jsonb(t)): grouped itself, or by its table's primary key
        (a join alias's: each of its columns)."""
        e = next((e for e in self.scope.entries if e.alias == node.fields[0].sval and id(e) not in self.param_entries),
                 None)
        if e is None or self.is_grouped(self.key_of(node)[0]):
            return
        if e.joined:
            bad = next((c for c in e.cols if not self.column_ok(e, c)), None)
            name = None if bad is None else f"{e.alias}.{bad.name}"
        else:
            name = None if self.column_ok(e, _WHOLE_ROW) else f"{e.alias}.*"
        if name is not None:
            raise SqlError("42803", f'subquery uses ungrouped column "{name}" from outer query' if sub else
                           f'column "{name}" must appear in the GROUP BY clause or be used in an aggregate function',
                           position=location(node), detail=None if sub else self.detail)

    def need(self, entry, col, node) -> None:
        if not self.column_ok(entry, col):
            raise SqlError("42803", f'column "{entry.alias}.{col.name}" must appear in the GROUP BY clause or be '
                           "used in an aggregate function", position=location(node), detail=self.detail)

    def check_sub(self, node, shadow: frozenset, bare: bool) -> None:
        """This level's columns a subquery reads must be grouped themselves (PostgreSQL matches
        no expression inside a subquery). Seen only where no FROM item of the subquery can
        claim the name: qualified by an alias none of them has, or unqualified in
        subqueries without FROM. Aggregate calls in it are not looked into."""
        if isinstance(node, (tuple, list)):
            for n in node:
                self.check_sub(n, shadow, bare)
            return
        if not isinstance(node, ast.Node) or isinstance(node, ast.GroupingFunc) \
                or is_aggregate_call(node, self.tr.catalog):
            return
        if isinstance(node, ast.SelectStmt):
            names = _from_names(node.fromClause or ())
            if names is None:
                return  # a FROM item whose names are not known here
            shadow = shadow | names
            bare = bare and not node.fromClause
            if node.withClause is not None:
                shadow = shadow | {c.ctename for c in node.withClause.ctes}
        if isinstance(node, ast.ColumnRef):
            fields = node.fields
            if not all(isinstance(f, ast.String) for f in fields):
                return
            if len(fields) == 1 and not bare or len(fields) >= 2 and fields[-2].sval in shadow:
                return
            found = self.locate(fields)
            if found is None and len(fields) == 1:
                self.need_row(node, sub=True)
            if found is not None and not self.column_ok(*found):
                raise SqlError("42803", f'subquery uses ungrouped column "{found[0].alias}.{found[1].name}" '
                               "from outer query", position=location(node))
            return
        for f in node.__slots__:
            if f != "location":
                self.check_sub(getattr(node, f), shadow, bare)


class _WholeRow:
    sql = "pgsvc$whole_row"  # no grouping key: column_ok then asks the primary key


_WHOLE_ROW = _WholeRow()


def _from_names(items) -> frozenset | None:
    """The names FROM items make visible (None: an item of a kind not known here)."""
    out: set[str] = set()
    for it in items:
        if isinstance(it, ast.RangeVar):
            out.add(it.alias.aliasname if it.alias is not None else it.relname)
        elif isinstance(it, (ast.RangeSubselect, ast.RangeFunction)):
            if it.alias is None:
                if not isinstance(it, ast.RangeFunction):
                    return None
                for fn in it.functions or ():
                    call = fn[0] if isinstance(fn, (tuple, list)) else None
                    if isinstance(call, ast.FuncCall):
                        out.add(call.funcname[-1].sval)
            else:
                out.add(it.alias.aliasname)
        elif isinstance(it, ast.JoinExpr):
            inner = _from_names((it.larg, it.rarg))
            if inner is None:
                return None
            out |= inner
            if it.alias is not None:
                out.add(it.alias.aliasname)
        else:
            return None
    return frozenset(out)


def outer_only(scope, node) -> bool:
    """A GROUP BY expression of only columns of enclosing queries (o.a, sum(o.a)): one value
    for the whole subquery, grouping nothing. SQLite cannot name an outer column in GROUP BY
    ("no such column"); it is grouped as a constant."""
    refs: list = []
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is tuple or type(n) is list:
            stack.extend(n)
        elif isinstance(n, ast.ColumnRef):
            refs.append(n)
        elif isinstance(n, ast.Node) and not isinstance(n, _SKIP):
            stack.extend(getattr(n, f) for f in _node_fields(type(n)))
    if not refs:
        return False
    for ref in refs:
        names = [getattr(f, "sval", "*") for f in ref.fields]
        if isinstance(ref.fields[-1], ast.A_Star):
            names = names[:-1]
        level = scope.column_level(names)
        if level is None or level == 0:
            return False
    return True


def check_grouping(tr, stmt: ast.SelectStmt, names: list[str], checker: GroupingChecker | None = None) -> None:
    """Raise 42803 for the first ungrouped column of a grouped SELECT (see the module docstring);
    `checker`: one made for the query's grouping sets."""
    ck = checker or GroupingChecker(tr, stmt, names)
    for rt in stmt.targetList or ():
        ck.check(rt.val)
    ck.check(stmt.havingClause)
    for d in stmt.distinctClause or ():
        if d is not None and not _output_ref(tr, d, names):
            ck.check(d)
    for w in stmt.windowClause or ():
        ck.check((w.partitionClause, w.orderClause))
    for s in stmt.sortClause or ():
        if not _output_ref(tr, s.node, names):
            ck.check(s.node)
    if ck.literal_used:
        tr.cacheable = False


def _output_ref(tr, node, names: list[str]) -> bool:
    """An ORDER BY / DISTINCT ON item naming an output column (by position or bare name)."""
    if isinstance(node, ast.ColumnRef) and len(node.fields) == 1 and isinstance(node.fields[0], ast.String):
        return node.fields[0].sval in names
    return isinstance(node, (ast.A_Const, ast.ParamRef)) and tr.positional(node) is not None
