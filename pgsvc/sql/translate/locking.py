"""FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE OF name, ...: the names checked against
the query's FROM items as PostgreSQL's transformLockingClause checks them (the range table
in order: a join's tables before the join, a join visible by its alias or its USING alias,
a subquery or VALUES only by an alias), with its errors.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.ordered_set import inner_window_position

_STRENGTH = {enums.LockClauseStrength.LCS_FORKEYSHARE: "FOR KEY SHARE",
             enums.LockClauseStrength.LCS_FORSHARE: "FOR SHARE",
             enums.LockClauseStrength.LCS_FORNOKEYUPDATE: "FOR NO KEY UPDATE",
             enums.LockClauseStrength.LCS_FORUPDATE: "FOR UPDATE"}
_REFUSED = {"join": "a join", "function": "a function", "tablefunc": "a table function", "cte": "a WITH query"}


def _entries(items, ctes):
    """(visible name, kind) of each range table entry the FROM items make, in order."""
    for item in items:
        if isinstance(item, ast.RangeVar):
            cte = item.schemaname is None and item.relname in ctes
            yield (item.alias.aliasname if item.alias else item.relname), "cte" if cte else "relation"
        elif isinstance(item, ast.RangeSubselect):
            if item.alias is not None:
                yield item.alias.aliasname, "subquery"
        elif isinstance(item, ast.RangeFunction):
            if item.alias is not None:
                yield item.alias.aliasname, "function"
            elif len(item.functions or ()) == 1 and isinstance(item.functions[0][0], ast.FuncCall):
                yield item.functions[0][0].funcname[-1].sval, "function"
        elif isinstance(item, ast.RangeTableFunc):
            if item.alias is not None:
                yield item.alias.aliasname, "tablefunc"
        elif isinstance(item, ast.JoinExpr):
            yield from _entries((item.larg, item.rarg), ctes)
            if item.alias is not None:
                yield item.alias.aliasname, "join"
            elif item.join_using_alias is not None:
                yield item.join_using_alias.aliasname, "join"


def check_select_locking(node: ast.SelectStmt, aggregates: bool) -> None:
    """CheckSelectLocking: what a locking clause cannot go with."""
    if node.op != enums.SetOperation.SETOP_NONE and not node.lockingClause:
        leaf = _locking_leaf(node)  # a branch's own locking clause: transformSetOperationTree's error
        if leaf is not None:
            word = _STRENGTH.get(leaf.lockingClause[0].strength, "FOR UPDATE")
            raise SqlError("0A000", f"{word} is not allowed with UNION/INTERSECT/EXCEPT")
    if not node.lockingClause:
        return
    word = _STRENGTH.get(node.lockingClause[0].strength, "FOR UPDATE")
    what = ("UNION/INTERSECT/EXCEPT" if node.op != enums.SetOperation.SETOP_NONE
            else "DISTINCT clause" if node.distinctClause is not None
            else "GROUP BY clause" if node.groupClause
            else "HAVING clause" if node.havingClause is not None
            else "aggregate functions" if aggregates
            else "window functions" if inner_window_position([node.targetList, node.sortClause]) is not None
            else None)
    if what is not None:
        raise SqlError("0A000", f"{word} is not allowed with {what}")


def _locking_leaf(node: ast.SelectStmt) -> ast.SelectStmt | None:
    if node.op == enums.SetOperation.SETOP_NONE:
        return node if node.lockingClause else None
    return _locking_leaf(node.larg) or _locking_leaf(node.rarg)


def check_locked_relations(node: ast.SelectStmt, ctes) -> None:
    entries = list(_entries(node.fromClause or (), set(ctes) | {
        c.ctename for c in (node.withClause.ctes if node.withClause else ())}))
    for clause in node.lockingClause or ():
        word = _STRENGTH.get(clause.strength, "FOR UPDATE")
        for rv in clause.lockedRels or ():
            pos = location(rv)
            if rv.schemaname or rv.catalogname:
                raise SqlError("42601", f"{word} must specify unqualified relation names", position=pos)
            kind = next((k for name, k in entries if name == rv.relname), None)
            if kind is None:
                raise SqlError("42P01", f'relation "{rv.relname}" in {word} clause not found in FROM clause',
                               position=pos)
            if kind in _REFUSED:
                raise SqlError("0A000", f"{word} cannot be applied to {_REFUSED[kind]}", position=pos)
