"""WITH RECURSIVE ... SEARCH / CYCLE: the CTE rewritten into a plain recursive CTE.

PostgreSQL checks the clauses in parse_cte.c (analyzeCTE) and then rewrites the CTE in
rewriteSearchCycle.c; this module does both on the parse tree, before the CTE is translated,
so that the rest of the translator sees an ordinary `non-recursive UNION [ALL] recursive`
query with extra output columns:

    SEARCH DEPTH FIRST BY c1, c2 SET seq     seq = ARRAY[ROW(c1, c2)], then seq || ARRAY[ROW(c1, c2)]
    SEARCH BREADTH FIRST BY c1, c2 SET seq   seq = ROW(0::int8, c1, c2), then ROW((seq).f1 + 1, c1, c2)
    CYCLE c1, c2 SET mark [TO v DEFAULT d] USING path
        mark = d, path = ARRAY[ROW(c1, c2)]; then
        mark = CASE WHEN ROW(c1, c2) = ANY (path) THEN v ELSE d END, path = path || ARRAY[ROW(c1, c2)]
        over the rows of the previous step whose mark <> v

Each term keeps its own query as a subquery whose columns are named as the CTE's columns
(the recursive term adds the previous step's seq / mark / path columns, read through the
recursive reference), exactly the shape rewriteSearchCycle.c builds. Without this the
recursive query of a cyclic graph would never end.
"""

from __future__ import annotations

import copy

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.names import ColInfo
from pgsvc.sql.translate.resolve import common_type
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import format_type

_RECORD_ARRAY = 2287  # record[] (pg_type: _record)
_LEFT = "*TLOCRN*"
_RIGHT = "*TROCRN*"


def _col(*names: str) -> ast.ColumnRef:
    return ast.ColumnRef(fields=tuple(ast.String(sval=n) for n in names))


def _row(names: list[str], first=None) -> ast.RowExpr:
    args = ([first] if first is not None else []) + [_col(n) for n in names]
    return ast.RowExpr(args=tuple(args), row_format=enums.CoercionForm.COERCE_EXPLICIT_CALL)


def _array_of_row(names: list[str]) -> ast.A_ArrayExpr:
    return ast.A_ArrayExpr(elements=(_row(names),))


def _op(name: str, left, right) -> ast.A_Expr:
    return ast.A_Expr(kind=enums.A_Expr_Kind.AEXPR_OP, name=(ast.String(sval=name),), lexpr=left, rexpr=right)


def _target(val, name: str | None = None) -> ast.ResTarget:
    return ast.ResTarget(val=val, name=name)


def _bool(value: bool) -> ast.A_Const:
    return ast.A_Const(val=ast.Boolean(boolval=value))


def _is_plain_select(node) -> bool:
    return isinstance(node, ast.SelectStmt) and node.op == enums.SetOperation.SETOP_NONE


def _refers_to(node, name: str) -> bool:
    """Does the query mention a relation called `name` anywhere (a self-reference)?"""
    if isinstance(node, ast.RangeVar):
        return node.schemaname is None and node.relname == name
    if isinstance(node, ast.Node):
        return any(_refers_to(getattr(node, attr), name) for attr in node if getattr(node, attr) is not None)
    if isinstance(node, (tuple, list)):
        return any(_refers_to(n, name) for n in node)
    return False


def _top_level_reference(from_items, name: str) -> str | None:
    """The name the recursive reference is visible under in the right-hand SELECT's FROM
    (its alias), or None when it is not there at the top level (inside a sub-SELECT, say)."""
    for item in from_items or ():
        if isinstance(item, ast.RangeVar) and item.schemaname is None and item.relname == name:
            return item.alias.aliasname if item.alias else name
        if isinstance(item, ast.JoinExpr):
            found = _top_level_reference((item.larg, item.rarg), name)
            if found is not None:
                return found
    return None


def _substitute(node, subst: dict):
    """A copy of `node` where each one-name column reference in `subst` is replaced."""
    if isinstance(node, ast.ColumnRef) and len(node.fields) == 1 and isinstance(node.fields[0], ast.String) \
            and node.fields[0].sval in subst:
        return copy.deepcopy(subst[node.fields[0].sval])
    if isinstance(node, ast.Node):
        out = copy.copy(node)
        for attr in node:
            value = getattr(node, attr)
            if isinstance(value, (ast.Node, tuple)):
                setattr(out, attr, _substitute(value, subst))
        return out
    if isinstance(node, tuple):
        return tuple(_substitute(n, subst) for n in node)
    return node


def _item_name(item) -> str | None:
    if isinstance(item, ast.RangeVar):
        return item.alias.aliasname if item.alias else item.relname
    if isinstance(item, (ast.RangeSubselect, ast.RangeFunction)) and item.alias is not None:
        return item.alias.aliasname
    return None


def _visible_items(from_items) -> list[str]:
    names = []
    for item in from_items or ():
        if isinstance(item, ast.JoinExpr):
            if item.usingClause or item.isNatural or item.alias is not None:
                raise SqlError("0A000", "SEARCH and CYCLE over a recursive term with a JOIN ... USING, NATURAL "
                                        "JOIN or an aliased join are not supported")
            names += _visible_items((item.larg, item.rarg))
            continue
        name = _item_name(item)
        if name is None:
            raise SqlError("0A000", "SEARCH and CYCLE over a recursive term reading an unnamed FROM item "
                                    "are not supported")
        names.append(name)
    return names


def _star_columns(tr, rarg, qualifier: str) -> list:
    probe = ast.SelectStmt(targetList=(_target(ast.ColumnRef(fields=(ast.String(sval=qualifier), ast.A_Star()))),),
                           fromClause=rarg.fromClause, op=enums.SetOperation.SETOP_NONE)
    return [_col(qualifier, c.name) for c in tr.subquery(probe).columns]


def _added_types(tr, cte, marks) -> list[tuple[str, int]]:
    out = []
    if cte.search_clause is not None:
        out.append((cte.search_clause.search_seq_column,
                    O.RECORD if cte.search_clause.search_breadth_first else _RECORD_ARRAY))
    if cte.cycle_clause is not None:
        out += [(cte.cycle_clause.cycle_mark_column, tr.expr(marks[0]).oid),
                (cte.cycle_clause.cycle_path_column, _RECORD_ARRAY)]
    return out


def _expanded_targets(tr, rarg, ref: str, own: int) -> list:
    """The recursive term's output expressions, `*` and `x.*` spelled out column by column
    (over the recursive reference `ref`, only the CTE's `own` columns)."""
    out = []
    for t in rarg.targetList or ():
        val = t.val
        if isinstance(val, ast.ColumnRef) and isinstance(val.fields[-1], ast.A_Star):
            if len(val.fields) == 1:
                for name in _visible_items(rarg.fromClause):
                    cols = _star_columns(tr, rarg, name)
                    out += cols[:own] if name == ref else cols
            elif len(val.fields) == 2:
                cols = _star_columns(tr, rarg, val.fields[0].sval)
                out += cols[:own] if val.fields[0].sval == ref else cols
            else:
                raise SqlError("0A000", "SEARCH and CYCLE over a schema-qualified star are not supported")
        else:
            out.append(val)
    return out


def _check_names(cte, columns: list[str]) -> None:
    search, cycle = cte.search_clause, cte.cycle_clause
    if search is not None:
        pos = location(search)
        seen: list[str] = []
        for c in (s.sval for s in search.search_col_list):
            if c not in columns:
                raise SqlError("42601", f'search column "{c}" not in WITH query column list', position=pos)
            if c in seen:
                raise SqlError("42701", f'search column "{c}" specified more than once', position=pos)
            seen.append(c)
        if search.search_seq_column in columns:
            raise SqlError("42601", f'search sequence column name "{search.search_seq_column}" already used in '
                                    "WITH query column list", position=pos)
    if cycle is not None:
        pos = location(cycle)
        seen = []
        for c in (s.sval for s in cycle.cycle_col_list):
            if c not in columns:
                raise SqlError("42601", f'cycle column "{c}" not in WITH query column list', position=pos)
            if c in seen:
                raise SqlError("42701", f'cycle column "{c}" specified more than once', position=pos)
            seen.append(c)
        for what, col in (("mark", cycle.cycle_mark_column), ("path", cycle.cycle_path_column)):
            if col in columns:
                raise SqlError("42601", f'cycle {what} column name "{col}" already used in WITH query column list',
                               position=pos)
        if cycle.cycle_mark_column == cycle.cycle_path_column:
            raise SqlError("42601", "cycle mark column name and cycle path column name are the same", position=pos)
    if search is not None and cycle is not None:
        for what, col in (("mark", cycle.cycle_mark_column), ("path", cycle.cycle_path_column)):
            if search.search_seq_column == col:
                raise SqlError("42601", f"search sequence column name and cycle {what} column name are the same",
                               position=location(search))


def _mark_values(tr, cycle):
    """The cycle mark's TO and DEFAULT values (true/false when omitted), cast to their common
    type as parse_cte.c does before the query is analysed (an error names CYCLE)."""
    value = cycle.cycle_mark_value if cycle.cycle_mark_value is not None else _bool(True)
    default = cycle.cycle_mark_default if cycle.cycle_mark_default is not None else _bool(False)
    oids = [tr.expr(value).oid, tr.expr(default).oid]
    other = default if oids[1] != oids[0] else value
    oid = common_type(oids, "CYCLE", location(other))
    if oid in (O.POINT, O.JSON, O.XML):  # no default btree or hash opclass: the mark cannot be compared
        raise SqlError("42883", f"could not identify an equality operator for type {format_type(oid, -1)}")
    if oid == O.TEXT and O.UNKNOWN in oids:  # 'Y' / 'N': unknown literals resolve to text
        text = ast.TypeName(names=(ast.String(sval="pg_catalog"), ast.String(sval="text")))
        return (ast.TypeCast(arg=value, typeName=text), ast.TypeCast(arg=default, typeName=text))
    return value, default


def expand_search_cycle(tr, cte, recursive: bool):
    """A copy of `cte` whose query carries the SEARCH / CYCLE columns, or an error as
    PostgreSQL gives it. `tr` is the statement's translator (for the columns' names)."""
    q = cte.ctequery
    marks = _mark_values(tr, cte.cycle_clause) if cte.cycle_clause is not None else None
    if not recursive or not isinstance(q, ast.SelectStmt) or not _refers_to(q, cte.ctename):
        raise SqlError("42601", "WITH query is not recursive", position=location(cte))
    if q.op != enums.SetOperation.SETOP_UNION:
        return None  # not `x UNION [ALL] y`: the ordinary path reports the form error
    if not _is_plain_select(q.larg):
        raise SqlError("0A000", "with a SEARCH or CYCLE clause, the left side of the UNION must be a SELECT")
    if not _is_plain_select(q.rarg):
        raise SqlError("42601", "with a SEARCH or CYCLE clause, the right side of the UNION must be a SELECT")
    names = [n.sval for n in cte.aliascolnames or ()]
    seed_cols = tr.subquery(q.larg).columns
    columns = names + [c.name for c in seed_cols[len(names):]]
    _check_names(cte, columns)
    shadowed = q.rarg.withClause is not None and any(c.ctename == cte.ctename for c in q.rarg.withClause.ctes)
    ref = None if shadowed else _top_level_reference(q.rarg.fromClause, cte.ctename)
    if ref is None:
        raise SqlError("0A000", "with a SEARCH or CYCLE clause, the recursive reference to WITH query "
                                f'"{cte.ctename}" must be at the top level of its right-hand SELECT')
    added, left_extra, right_extra, prev = [], [], [], []
    where = None
    search, cycle = cte.search_clause, cte.cycle_clause
    if search is not None:
        by = [s.sval for s in search.search_col_list]
        seq = search.search_seq_column
        added.append(seq)
        prev.append(seq)
        if search.search_breadth_first:
            zero = ast.TypeCast(arg=ast.A_Const(val=ast.Integer(ival=0)),
                                typeName=ast.TypeName(names=(ast.String(sval="pg_catalog"), ast.String(sval="int8"))))
            left_extra.append(_row(by, zero))
            depth = ast.A_Indirection(arg=_col(seq), indirection=(ast.String(sval="f1"),))
            right_extra.append(_row(by, _op("+", depth, ast.A_Const(val=ast.Integer(ival=1)))))
        else:
            left_extra.append(_array_of_row(by))
            right_extra.append(_op("||", _col(seq), _array_of_row(by)))
    if cycle is not None:
        value, default = marks
        cols = [s.sval for s in cycle.cycle_col_list]
        mark, path = cycle.cycle_mark_column, cycle.cycle_path_column
        added += [mark, path]
        prev += [mark, path]
        left_extra += [default, _array_of_row(cols)]
        seen = ast.A_Expr(kind=enums.A_Expr_Kind.AEXPR_OP_ANY, name=(ast.String(sval="="),),
                          lexpr=_row(cols), rexpr=_col(path))
        right_extra += [ast.CaseExpr(args=(ast.CaseWhen(expr=seen, result=copy.deepcopy(value)),),
                                     defresult=copy.deepcopy(default)),
                        _op("||", _col(path), _array_of_row(cols))]
        where = _op("<>", _col(mark), copy.deepcopy(value))
    alias_cols = tuple(ast.String(sval=c) for c in columns)
    left = ast.SelectStmt(
        targetList=tuple(_target(_col(c)) for c in columns) + tuple(_target(e) for e in left_extra),
        fromClause=(ast.RangeSubselect(subquery=q.larg, alias=ast.Alias(aliasname=_LEFT, colnames=alias_cols)),),
        op=enums.SetOperation.SETOP_NONE)
    # SQLite allows the recursive reference only at the top level of the recursive SELECT,
    # so rewriteSearchCycle.c's sub-SELECT is folded in: the recursive term's own output
    # expressions (its stars expanded) stand where the rewritten query reads its columns.
    # The recursive term is analysed as PostgreSQL does before its rewrite: its reference to the
    # CTE has the SEARCH / CYCLE columns too (so a name clash is ambiguous), but `*` over it
    # expands to the CTE's own columns only.
    own = tr.cte_columns(cte, seed_cols)
    tr.ctes[cte.ctename] = own + [ColInfo(c, oid) for c, oid in _added_types(tr, cte, marks)]
    tr.subquery(q.rarg)
    outputs = _expanded_targets(tr, q.rarg, ref, len(own))
    if len(outputs) != len(columns):
        raise SqlError("42601", "each UNION query must have the same number of columns", position=location(q.rarg))
    by_name = dict(zip(columns, outputs))
    right = copy.copy(q.rarg)
    subst = {c: by_name[c] for c in columns}
    for name_ in prev:
        subst[name_] = _col(ref, name_)
    right.targetList = tuple(_target(e, c) for e, c in zip(outputs, columns)) + \
        tuple(_target(_substitute(e, subst)) for e in right_extra)
    if where is not None:
        where = _substitute(where, subst)
        right.whereClause = where if right.whereClause is None else ast.BoolExpr(
            boolop=enums.BoolExprType.AND_EXPR, args=(right.whereClause, where))
    query = copy.copy(q)
    query.larg, query.rarg = left, right
    out = copy.copy(cte)
    out.ctequery = query
    out.aliascolnames = alias_cols + tuple(ast.String(sval=c) for c in added)
    out.search_clause = out.cycle_clause = None
    return out
