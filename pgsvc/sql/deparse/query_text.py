"""Printing of analysed queries (pgsvc.sql.deparse.query) the way ruleutils.c's
get_query_def lays them out: clause keywords on their own lines at its indents (8 per
query level, joins 4 more, wrapped target lists 4 more), every column qualified by its
range entry's name, a target's AS name unless it equals the column's own name.
Expressions print through pgsvc.sql.deparse.printing's Printer; QueryPrinter adds the
SELECTs inside them (sublinks), so expr_text, for stored expressions, lives here too.
"""

from __future__ import annotations

from pglast import enums

from pgsvc.sql.deparse.printing import JOIN, STD, VAR, Printer, sort_suffix, relation_name, sort_key
from pgsvc.sql.deparse.nodes import Const, GroupingSetX, JoinItem, Query, RangeEntry, Var
from pgsvc.sql.quoting import quote_ident


def query_text(engine, q: Query, pretty: bool, indent: int, col_names: list[str] | None = None,
               names_visible: bool = True) -> str:
    """get_query_def. names_visible (colNamesVisible): the output column names matter (a
    view, a WITH or FROM subquery), so even "?column?" is written out; not in a sublink."""
    p = QueryPrinter(engine, pretty, varprefix=True, indent=indent)
    p.names_visible = names_visible
    _p_select(p, q, col_names)
    return p.text()


def expr_text(engine, node, pretty: bool) -> str:
    """deparse_expression_pretty for a stored expression (no variable prefixes)."""
    p = QueryPrinter(engine, pretty)
    p.expr(node, False)
    return p.text()


class QueryPrinter(Printer):
    """The Printer for expressions that may hold SELECTs: a sublink prints with get_query_def."""

    def subquery_text(self, q) -> str:
        return query_text(self.engine, q, self.pretty, self.level, names_visible=False)


def _p_with_clause(p: Printer, q: Query) -> None:
    """get_with_clause."""
    p.level += STD
    p.put(" ")
    sep = "WITH RECURSIVE " if q.recursive else "WITH "
    for name, aliases, cq, materialized in q.ctes:
        p.put(sep + quote_ident(name))
        if aliases:
            p.put("(" + ", ".join(quote_ident(a) for a in aliases) + ")")
        p.put(" AS ")
        if materialized == enums.CTEMaterialize.CTEMaterializeAlways:
            p.put("MATERIALIZED ")
        elif materialized == enums.CTEMaterialize.CTEMaterializeNever:
            p.put("NOT MATERIALIZED ")
        p.put("(")
        p.keyword("", 0, 0, 0)
        p.put(query_text(p.engine, cq, p.pretty, p.level))
        p.keyword("", 0, 0, 0)
        p.put(")")
        sep = ", "
    p.level -= STD
    p.keyword("", 0, 0, 0)


def _p_select(p: Printer, q: Query, col_names) -> None:
    if q.ctes:
        _p_with_clause(p, q)
    if q.setop is not None:
        _p_setop(p, q, col_names)
        force_colno = True
    else:
        _p_basic_select(p, q, col_names)
        force_colno = False
    if q.order:
        p.keyword(" ORDER BY ", -STD, STD, 1)
        for i, (e, desc, nulls_first) in enumerate(q.order):
            if i:
                p.put(", ")
            _p_sortgroup(p, q, e, force_colno)
            p.put(sort_suffix(desc, nulls_first))
    if q.offset is not None:
        p.keyword(" OFFSET ", -STD, STD, 0)
        p.expr(q.offset)
    if q.limit is not None:
        p.keyword(" LIMIT ", -STD, STD, 0)
        if isinstance(q.limit, Const) and q.limit.text is None:
            p.put("ALL")
        else:
            p.expr(q.limit)


def _p_setop(p: Printer, q: Query, col_names) -> None:
    word, all_, left, right = q.setop
    need = left.setop is not None and (left.setop[0], left.setop[1]) != (word, all_)
    sub = STD if need else 0
    if need:
        p.put("(")
        p.keyword("", sub, 0, 0)
    _p_setop_leaf(p, left, col_names)
    if need:
        p.keyword(") ", -sub, 0, 0)
    else:
        p.keyword("", -sub, 0, 0)
    p.put(word + " " + ("ALL " if all_ else ""))
    need = right.setop is not None
    sub = STD if need else 0
    if need:
        p.put("(")
    p.keyword("", sub, 0, 0)
    visible, p.names_visible = p.names_visible, False  # the right input's names are never visible
    _p_setop_leaf(p, right, col_names)
    p.names_visible = visible
    p.level -= sub
    if need:
        p.keyword(")", 0, 0, 0)


def _p_setop_leaf(p: Printer, q: Query, col_names) -> None:
    if q.setop is not None:
        _p_setop(p, q, col_names)
        return
    need = bool(q.order or q.limit is not None or q.offset is not None)
    if need:
        p.put("(")
        p.keyword("", 0, 0, 0)
    p.put(query_text(p.engine, q, p.pretty, p.level, col_names, p.names_visible))
    if need:
        p.put(")")


def _p_basic_select(p: Printer, q: Query, col_names) -> None:
    p.level += STD
    if q.values is not None:  # get_values_def
        p.put(" VALUES " + ", ".join(
            "(" + ",".join(p.sub(lambda x=x: p.expr(x, False)) for x in row) + ")" for row in q.values))
        return
    p.put(" SELECT")
    if q.distinct is not None:
        if q.distinct:
            p.put(" DISTINCT ON (")
            for i, e in enumerate(q.distinct):
                if i:
                    p.put(", ")
                _p_sortgroup(p, q, e, False)
            p.put(")")
        else:
            p.put(" DISTINCT")
    _p_target_list(p, q, col_names)
    _p_from_clause(p, q)
    if q.where is not None:
        p.keyword(" WHERE ", -STD, STD, 1)
        p.expr(q.where)
    if q.group:
        p.keyword(" GROUP BY ", -STD, STD, 1)
        if q.group_distinct:
            p.put("DISTINCT ")
        for i, e in enumerate(q.group):
            if i:
                p.put(", ")
            if isinstance(e, GroupingSetX):
                _p_grouping_set(p, q, e, True)
            else:
                _p_sortgroup(p, q, e, False)
    if q.having is not None:
        p.keyword(" HAVING ", -STD, STD, 0)
        p.expr(q.having)


def _p_target_list(p: Printer, q: Query, col_names) -> None:
    sep, colno, last_multiline = " ", 0, False
    for e, name, junk in q.targets:
        if junk:
            continue
        p.put(sep)
        sep = ", "
        colno += 1

        def one(e=e):
            p.expr(e, True)
        field = p.sub(one)
        attname = e.name if isinstance(e, Var) else (None if p.names_visible else "?column?")
        colname = col_names[colno - 1] if col_names and colno <= len(col_names) else name
        if colname and (attname is None or attname != colname):
            field += " AS " + quote_ident(colname)
        if field.startswith("\n"):
            p.strip_trailing_spaces()
        else:
            line = p.text().rsplit("\n", 1)[-1]
            if colno > 1 and (len(line) + len(field) > 0 or last_multiline):
                p.keyword("", -STD, STD, VAR)
        last_multiline = "\n" in field.lstrip("\n") if field.startswith("\n") else "\n" in field
        p.put(field)


def _p_grouping_set(p: Printer, q: Query, g: GroupingSetX, omit_parens: bool) -> None:
    """get_rule_groupingset."""
    if g.kind == "EMPTY":
        p.put("()")
        return
    if g.kind == "SIMPLE":
        parens = not omit_parens or len(g.content) != 1
        p.put("(" if parens else "")
        for i, e in enumerate(g.content):
            p.put(", " if i else "")
            _p_sortgroup(p, q, e, False)
        p.put(")" if parens else "")
        return
    p.put({"ROLLUP": "ROLLUP(", "CUBE": "CUBE("}.get(g.kind, "GROUPING SETS ("))
    for i, c in enumerate(g.content):
        p.put(", " if i else "")
        _p_grouping_set(p, q, c, g.kind != "SETS")
    p.put(")")


def _p_sortgroup(p: Printer, q: Query, e, force_colno: bool) -> None:
    if force_colno:
        live = [t for t in q.targets if not t[2]]
        p.put(str(next(i + 1 for i, t in enumerate(live) if t[0] is e)))
    else:
        sort_key(p, e)


def _p_from_clause(p: Printer, q: Query) -> None:
    for i, item in enumerate(q.from_items):
        if i == 0:
            p.keyword(" FROM ", -STD, STD, 2)
            _p_from_item(p, item)
        else:
            p.put(", ")
            text = p.sub(lambda item=item: _p_from_item(p, item))
            if text.startswith("\n"):
                p.strip_trailing_spaces()
            else:
                p.keyword("", -STD, STD, VAR)
            p.put(text)


def _p_from_item(p: Printer, item) -> None:
    if isinstance(item, RangeEntry):
        if item.function is not None:
            p.put("LATERAL " if item.lateral else "")
            p.expr(item.function, False)
            p.put((" WITH ORDINALITY" if item.ordinality else "") + " " + quote_ident(item.refname)
                  + _column_aliases(item))
            return
        if item.subquery is not None:
            p.put("(")
            p.put(query_text(p.engine, item.subquery, p.pretty, p.level))
            p.put(") " + quote_ident(item.refname) + _column_aliases(item))
            return
        if item.cte is not None:
            p.put(quote_ident(item.cte))
            if item.alias_given or item.refname != item.cte:
                p.put(" " + quote_ident(item.refname))
            return
        p.put(relation_name(p.engine, item.relation))
        if item.alias_given or item.refname != item.relation.name:
            p.put(" " + quote_ident(item.refname) + _column_aliases(item))
        return
    j: JoinItem = item
    need_right = p.pretty and not isinstance(j.right, RangeEntry)
    if not p.pretty:
        p.put("(")
    _p_from_item(p, j.left)
    p.keyword(" " + j.kind + " ", -STD, STD, JOIN)
    if need_right:
        p.put("(")
    _p_from_item(p, j.right)
    if need_right:
        p.put(")")
    if j.using:
        p.put(" USING (" + ", ".join(quote_ident(u) for u in j.using) + ")")
    elif j.quals is not None:
        p.put(" ON ")
        if not p.pretty:
            p.put("(")
        p.expr(j.quals)
        if not p.pretty:
            p.put(")")
    elif j.kind != "CROSS JOIN" and j.kind != "JOIN":
        p.put(" ON TRUE")
    if not p.pretty:
        p.put(")")


def _column_aliases(item: RangeEntry) -> str:
    return "(" + ", ".join(quote_ident(c[0]) for c in item.cols) + ")" if item.colaliases else ""
