"""SELECT for deparsing: parse analysis (pgsvc.sql.deparse.analyze does expressions).

Analysis: FROM items become range entries with PostgreSQL's reference names (unique
among a query and its ancestors, as ruleutils' set_rtable_names makes them; WITH queries
after the main query), `*` expands to qualified columns (JOIN USING's merged columns
first), ORDER BY / GROUP BY name or number targets.
Printing: pgsvc.sql.deparse.query_text (query_text is re-exported here).
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.sql.catalog.system import relations as pg_relations
from pgsvc.sql.deparse.analyze import ExprAnalyzer, nulls_first
from pgsvc.sql.deparse.nodes import GroupingSetX, JoinItem, Query, RangeEntry, Unsupported, Var
from pgsvc.sql.deparse.query_text import query_text  # noqa: F401 (printing, for callers of the analysis)
from pgsvc.sql.types import oids as O

_JOIN_WORDS = {enums.JoinType.JOIN_INNER: "JOIN", enums.JoinType.JOIN_LEFT: "LEFT JOIN",
               enums.JoinType.JOIN_RIGHT: "RIGHT JOIN", enums.JoinType.JOIN_FULL: "FULL JOIN"}


class Analyzer(ExprAnalyzer):
    """The deparser's analyser: expressions (ExprAnalyzer) and the SELECTs in them and around them."""

    def query(self, node) -> Query:
        if not isinstance(node, ast.SelectStmt):
            raise Unsupported(type(node).__name__)
        return analyze_select(self, node)


def analyze_select(an: Analyzer, node: ast.SelectStmt) -> Query:
    if node.intoClause is not None or node.lockingClause:
        raise Unsupported("INTO / FOR UPDATE")
    if node.withClause is not None:
        return _with(an, node)
    if node.valuesLists:
        return _values(an, node)
    if node.op != enums.SetOperation.SETOP_NONE:
        return _setop(an, node)
    q = Query()
    an.levels.append([])
    an.refnames.append(set())
    try:
        for item in node.fromClause or ():
            q.from_items.append(_from_item(an, q, item))
        _targets(an, q, node.targetList or ())
        if node.whereClause is not None:
            q.where = an.coerce(an.expr(node.whereClause), O.BOOL)
        q.group = _group_by(an, q, node.groupClause or ())
        q.group_distinct = bool(node.groupDistinct)
        if node.havingClause is not None:
            q.having = an.coerce(an.expr(node.havingClause), O.BOOL)
        if node.distinctClause is not None:
            q.distinct = [_sort_target(an, q, d) for d in node.distinctClause if d is not None]
        _order_limit(an, q, node)
    finally:
        an.levels.pop()
        an.refnames.pop()
    return q


def _with(an: Analyzer, node: ast.SelectStmt) -> Query:
    """WITH [RECURSIVE] name [(cols)] AS ([NOT] MATERIALIZED (query)) ..."""
    w = node.withClause
    visible: dict = {}
    an.ctes.append(visible)
    try:
        saved = [set(names) for names in an.refnames]
        _with_queries(an, w, visible)  # the columns of each WITH query, for the main query
        an.refnames = saved
        body = ast.SelectStmt(**{k: getattr(node, k) for k in node.__slots__ if k != "withClause"})
        out = analyze_select(an, body)
        # PostgreSQL names the main query's range entries first: the WITH queries' names
        # avoid them (a self-reference of a recursive one becomes r_1)
        an.refnames.append({e.refname for e in out.entries if e.refname})
        try:
            out.ctes = _with_queries(an, w, visible)
        finally:
            an.refnames.pop()
    finally:
        an.ctes.pop()
    out.recursive = bool(w.recursive)
    return out


def _with_queries(an: Analyzer, w, visible: dict) -> list:
    ctes = []
    for cte in w.ctes:
        query = cte.ctequery
        aliases = [c.sval for c in cte.aliascolnames or ()]
        if w.recursive and isinstance(query, ast.SelectStmt) and query.op != enums.SetOperation.SETOP_NONE:
            first = analyze_select(an, query.larg)  # the non-recursive term names the columns
            visible[cte.ctename] = _cte_columns(first, aliases)
        q = analyze_select(an, query)
        visible[cte.ctename] = _cte_columns(q, aliases)
        ctes.append((cte.ctename, aliases, q, cte.ctematerialized))
    return ctes


def _values(an: Analyzer, node: ast.SelectStmt) -> Query:
    """VALUES (...), ...: each column coerced to the rows' common type; columns column1, ..."""
    if node.sortClause or node.limitCount is not None or node.limitOffset is not None:
        raise Unsupported("VALUES with ORDER BY / LIMIT")
    rows = [[an.expr(e) for e in row] for row in node.valuesLists]
    if len({len(r) for r in rows}) != 1:
        raise Unsupported("VALUES rows of different lengths")
    types = []
    for i in range(len(rows[0])):
        t = an.common([r[i] for r in rows])
        types.append(O.TEXT if t == O.UNKNOWN else t)
    rows = [[an.coerce(x, t) for x, t in zip(r, types)] for r in rows]
    return Query(values=rows, targets=[(x, f"column{i + 1}", False) for i, x in enumerate(rows[0])])


def _cte_columns(q: Query, aliases: list[str]) -> list:
    live = [(n, e.typ, e.typmod) for e, n, junk in _leaf_targets(q) if not junk]
    return [(aliases[i] if i < len(aliases) else c[0], c[1], c[2]) for i, c in enumerate(live)]


def _leaf_targets(q: Query) -> list:
    return q.targets if q.setop is None else _leaf(q).targets


def _setop(an: Analyzer, node: ast.SelectStmt) -> Query:
    word = {enums.SetOperation.SETOP_UNION: "UNION", enums.SetOperation.SETOP_INTERSECT: "INTERSECT",
            enums.SetOperation.SETOP_EXCEPT: "EXCEPT"}[node.op]
    left = analyze_select(an, node.larg)
    right = analyze_select(an, node.rarg)
    q = Query(setop=(word, bool(node.all), left, right))
    lt = [t for t in _leaf(left).targets if not t[2]]
    q.targets = [(Var(e.typ, e.typmod, rte=None, name=n), n, False) for e, n, _ in lt]
    an.levels.append([RangeEntry(None, [(n, e.typ, e.typmod) for e, n, _ in lt])])
    try:
        _order_limit(an, q, node)
    finally:
        an.levels.pop()
    return q


def _leaf(q: Query) -> Query:
    while q.setop is not None:
        q = q.setop[2]
    return q


def _order_limit(an: Analyzer, q: Query, node: ast.SelectStmt) -> None:
    for s in node.sortClause or ():
        q.order.append((_sort_target(an, q, s.node), s.sortby_dir == enums.SortByDir.SORTBY_DESC,
                        nulls_first(s)))
    if node.limitCount is not None:
        q.limit = an.coerce(an.expr(node.limitCount), O.INT8)
    if node.limitOffset is not None:
        q.offset = an.coerce(an.expr(node.limitOffset), O.INT8)


def _sort_target(an: Analyzer, q: Query, node):
    """ORDER BY / GROUP BY item: an output column by number or name, else an expression
    (added as a junk target when not in the list, as PostgreSQL does)."""
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Integer):
        live = [t for t in q.targets if not t[2]]
        return live[node.val.ival - 1][0]
    if isinstance(node, ast.ColumnRef) and len(node.fields) == 1 and isinstance(node.fields[0], ast.String):
        name = node.fields[0].sval
        try:
            return an.expr(node)
        except Unsupported:
            for e, n, junk in q.targets:
                if n == name and not junk:
                    return e
            raise
    return an.finalize(an.expr(node))


def _group_by(an: Analyzer, q: Query, items) -> list:
    """GROUP BY items; with grouping sets each one a GroupingSetX (PostgreSQL's flattened form:
    nested GROUPING SETS merged into their parent, empty sets dropped at the top level and
    GROUP BY () kept for none left, (a, b) a list of expressions)."""
    if not any(isinstance(g, ast.GroupingSet) for g in items):
        return [_sort_target(an, q, g) for g in _flat_rows(items)]

    def flatten(node, top: bool):
        if isinstance(node, ast.RowExpr) and node.row_format == enums.CoercionForm.COERCE_IMPLICIT_CAST:
            return [flatten(a, False) for a in node.args or ()]
        if not isinstance(node, ast.GroupingSet):
            return _sort_target(an, q, node)
        kind = node.kind.name.removeprefix("GROUPING_SET_")
        if top and kind == "EMPTY":
            return None
        content = []
        for c in node.content or ():
            f = flatten(c, False)
            if isinstance(c, ast.GroupingSet) and c.kind == enums.GroupingSetKind.GROUPING_SET_SETS:
                content.extend(f)
            else:
                content.append(f)
        if top or kind != "SETS":
            return GroupingSetX(kind, [_as_set(c) for c in content] if kind != "SIMPLE" else content)
        return content

    out = []
    for g in items:
        f = flatten(g, True)
        if f is None:
            continue
        for one in (f if isinstance(f, list) else [f]):
            out.append(one if isinstance(one, GroupingSetX) else GroupingSetX("SIMPLE", [one]))
    return out or [GroupingSetX("EMPTY")]


def _as_set(item):
    """An element of ROLLUP/CUBE/GROUPING SETS: a set (a list of expressions is one)."""
    if isinstance(item, GroupingSetX):
        return item
    return GroupingSetX("SIMPLE", item if isinstance(item, list) else [item])


def _flat_rows(items) -> list:
    """GROUP BY (a, b): the row's expressions, each an item."""
    out = []
    for g in items:
        if isinstance(g, ast.RowExpr) and g.row_format == enums.CoercionForm.COERCE_IMPLICIT_CAST:
            out.extend(_flat_rows(g.args or ()))
        else:
            out.append(g)
    return out


def _targets(an: Analyzer, q: Query, items) -> None:
    for rt in items:
        val = rt.val
        if isinstance(val, ast.ColumnRef) and isinstance(val.fields[-1], ast.A_Star):
            qual = val.fields[-2].sval if len(val.fields) > 1 else None
            if qual is not None:
                e = next((e for e in an.levels[-1] if (e.name or e.refname) == qual and e.refname), None)
                if e is None:
                    raise Unsupported(f"{qual}.*")
                q.targets += [(Var(t, m, rte=e, name=n), n, False) for n, t, m in e.cols]
                continue
            for item in q.from_items:
                q.targets += [(v, v.name, False) for v in _star(item)]
            continue
        ex = an.finalize(an.expr(val))
        q.targets.append((ex, rt.name or _default_name(val, ex), False))


def _default_name(raw, ex) -> str:
    """The name PostgreSQL's FigureColname gives an unnamed target."""
    if isinstance(raw, ast.ColumnRef):
        return raw.fields[-1].sval
    if isinstance(raw, ast.FuncCall):
        return raw.funcname[-1].sval
    if isinstance(raw, ast.TypeCast):
        inner = _default_name(raw.arg, ex)
        if inner != "?column?":
            return inner
        return raw.typeName.names[-1].sval
    if isinstance(raw, ast.CaseExpr):
        return "case"
    if isinstance(raw, ast.GroupingFunc):
        return "grouping"
    if isinstance(raw, ast.CoalesceExpr):
        return "coalesce"
    if isinstance(raw, ast.MinMaxExpr):
        return "greatest" if raw.op == enums.MinMaxOp.IS_GREATEST else "least"
    if isinstance(raw, ast.A_ArrayExpr):
        return "array"
    if isinstance(raw, ast.SubLink) and raw.subLinkType == enums.SubLinkType.EXISTS_SUBLINK:
        return "exists"
    if isinstance(raw, ast.SQLValueFunction):
        return ex.word.lower() if hasattr(ex, "word") else "?column?"
    return "?column?"


def _unique_refname(an: Analyzer, name: str) -> str:
    """set_rtable_names: unique among this query's names and its ancestors' (siblings may
    repeat a name), by appending _1, _2, ..."""
    out, n = name, 0
    while any(out in used for used in an.refnames):
        n += 1
        out = f"{name}_{n}"
    an.refnames[-1].add(out)
    return out


def _from_item(an: Analyzer, q: Query, item):
    if isinstance(item, ast.RangeVar):
        return _range_var(an, q, item)
    if isinstance(item, ast.JoinExpr):
        if item.alias is not None:
            raise Unsupported("join alias")
        left = _from_item(an, q, item.larg)
        right = _from_item(an, q, item.rarg)
        if item.jointype not in _JOIN_WORDS:
            raise Unsupported("join type")
        kind = _JOIN_WORDS[item.jointype]
        using = [u.sval for u in item.usingClause or ()]
        if item.isNatural:
            lcols = {c[0] for c in _entries_cols(left)}
            using = [c[0] for c in _entries_cols(right) if c[0] in lcols]
        j = JoinItem(kind, left, right, using=using or None, natural=bool(item.isNatural))
        if using:
            j.merged = _merge_using(an, left, right, using, kind)
        elif item.quals is not None:
            j.quals = an.coerce(an.expr(item.quals), O.BOOL)
        elif kind == "JOIN":
            j.kind = "CROSS JOIN"
        return j
    if isinstance(item, ast.RangeSubselect):
        if item.lateral or item.alias is None:
            raise Unsupported("subquery in FROM")
        sub = analyze_select(an, item.subquery)
        cols = _aliased([(n, e.typ, e.typmod) for e, n, junk in _leaf_targets(sub) if not junk], item.alias)
        e = RangeEntry(_unique_refname(an, item.alias.aliasname), cols, alias_given=True, subquery=sub,
                       name=item.alias.aliasname, colaliases=bool(item.alias.colnames))
        an.levels[-1].append(e)
        q.entries.append(e)
        return e
    if isinstance(item, ast.RangeFunction):
        return _range_function(an, q, item)
    raise Unsupported(type(item).__name__)


def _range_function(an: Analyzer, q: Query, item: ast.RangeFunction) -> RangeEntry:
    """FROM f(args) [WITH ORDINALITY] [AS] a(c ...): a function range entry (LATERAL when its
    arguments read earlier FROM items)."""
    if item.is_rowsfrom or len(item.functions) != 1 or not isinstance(item.functions[0][0], ast.FuncCall):
        raise Unsupported("ROWS FROM")
    call = item.functions[0][0]
    earlier = list(an.levels[-1])
    fn = an.expr(call)
    name = call.funcname[-1].sval
    alias = item.alias.aliasname if item.alias else name
    cols = [(alias, fn.typ, -1)] + ([("ordinality", O.INT8, -1)] if item.ordinality else [])
    cols = _aliased(cols, item.alias)
    reads = []
    _vars(fn, reads)
    e = RangeEntry(_unique_refname(an, alias), cols, alias_given=True, name=alias, colaliases=True,
                   function=fn, ordinality=bool(item.ordinality),
                   lateral=bool(item.lateral) or any(v.rte in earlier for v in reads))
    an.levels[-1].append(e)
    q.entries.append(e)
    return e


def _vars(node, out: list) -> None:
    if isinstance(node, Var):
        out.append(node)
    for value in vars(node).values():
        for x in value if isinstance(value, list) else (value,):
            if hasattr(x, "typ") and x is not node:
                _vars(x, out)


def _aliased(cols: list, alias) -> list:
    """FROM x AS a(c1, c2): the first columns take the alias names."""
    names = [c.sval for c in (alias.colnames if alias is not None else None) or ()]
    if len(names) > len(cols):
        raise Unsupported("too many column aliases")
    return [(names[i] if i < len(names) else c[0], c[1], c[2]) for i, c in enumerate(cols)]


def _star(item) -> list:
    """`*` over a FROM item: a join's merged USING columns first, then each side's others."""
    if isinstance(item, RangeEntry):
        return [Var(t, m, rte=item, name=n) for n, t, m in item.cols if n not in item.hidden]
    out = []
    if item.merged is not None:
        m = item.merged
        out += [Var(t, tm, rte=m.merged.get(n), name=n) for n, t, tm in m.cols]
    return out + _star(item.left) + _star(item.right)


def _entries_cols(item) -> list:
    if isinstance(item, RangeEntry):
        return [c for c in item.cols if c[0] not in item.hidden]
    return _entries_cols(item.left) + _entries_cols(item.right)


def _merge_using(an: Analyzer, left, right, using: list[str], kind: str) -> RangeEntry:
    """JOIN USING: a merged column is visible once, unqualified. It prints as the input
    column it stands for (the left one; the right one for RIGHT JOIN), or unqualified for
    FULL JOIN, where it is COALESCE(left, right) (ruleutils' get_variable)."""
    cols, merged = [], {}
    for name in using:
        c = next((c for c in _entries_cols(left) if c[0] == name), None)
        if c is None:
            raise Unsupported("USING column")
        cols.append(c)
        side = right if kind == "RIGHT JOIN" else left
        merged[name] = None if kind == "FULL JOIN" else _owner(side, name)
    for side in (left, right):
        for e in _flatten(side):
            e.hidden |= set(using)
    entry = RangeEntry(None, cols, merged=merged)
    an.levels[-1].append(entry)
    return entry


def _owner(item, name: str):
    """The range entry of a join input that supplies column `name`."""
    for e in _flatten(item):
        if e.refname is None:
            continue
        if e.col(name) is not None:
            return e
    return None


def _flatten(item) -> list:
    if isinstance(item, RangeEntry):
        return [item]
    return _flatten(item.left) + _flatten(item.right)


def _range_var(an: Analyzer, q: Query, rv: ast.RangeVar) -> RangeEntry:
    cat = an.engine.catalog
    if rv.catalogname:
        raise Unsupported("cross-database")
    cte_cols = next((level[rv.relname] for level in reversed(an.ctes) if rv.relname in level), None) \
        if rv.schemaname is None else None
    if cte_cols is not None:
        if rv.alias is not None and rv.alias.colnames:
            raise Unsupported("column aliases")
        alias = rv.alias.aliasname if rv.alias else None
        e = RangeEntry(_unique_refname(an, alias or rv.relname), list(cte_cols), alias_given=alias is not None,
                       name=alias or rv.relname, cte=rv.relname)
        an.levels[-1].append(e)
        q.entries.append(e)
        return e
    in_pg_catalog = rv.schemaname in (None, "pg_catalog")
    rel = pg_relations.find(rv.schemaname, rv.relname) if in_pg_catalog else None
    if rel is None or (rv.schemaname is None and cat.lookup(None, rv.relname, an.engine.search_path())):
        rel = cat.lookup(rv.schemaname, rv.relname, an.engine.search_path()) or rel
    if rel is None:
        raise Unsupported(f"relation {rv.relname}")
    alias = rv.alias.aliasname if rv.alias else None
    cols = _aliased([(a.name, a.type_oid, a.typmod) for a in rel.attrs], rv.alias)
    e = RangeEntry(_unique_refname(an, alias or rel.name), cols, rel, alias_given=alias is not None,
                   name=alias or rel.name, colaliases=bool(rv.alias and rv.alias.colnames))
    an.levels[-1].append(e)
    q.entries.append(e)
    return e
