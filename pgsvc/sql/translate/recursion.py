"""WITH RECURSIVE's well-formedness checks, PostgreSQL's parse_cte.c checkWellFormedRecursion.

A WITH query of a WITH RECURSIVE list that names itself must have the form
`non-recursive-term UNION [ALL] recursive-term`, without ORDER BY / LIMIT / OFFSET / FOR UPDATE
atop the UNION, no self-reference in its own WITH or its non-recursive term, and exactly one
self-reference in the recursive term, outside subqueries (sub-links), the nullable side of an
outer join, INTERSECT ALL and EXCEPT. Checked on the raw parse tree before translation, with
PostgreSQL's texts, SQLSTATEs and positions; SQLite would otherwise refuse such a query with
its own messages ("circular reference", "multiple recursive references") or run it.
"""

from __future__ import annotations

import copy

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.grouping import is_aggregate_call
from pgsvc.sql.types.pg_type import format_type

_OK, _NONRECURSIVE, _SUBLINK, _OUTERJOIN, _INTERSECT, _EXCEPT = range(6)
_MESSAGES = {
    _NONRECURSIVE: "recursive reference to query \"%s\" must not appear within its non-recursive term",
    _SUBLINK: "recursive reference to query \"%s\" must not appear within a subquery",
    _OUTERJOIN: "recursive reference to query \"%s\" must not appear within an outer join",
    _INTERSECT: "recursive reference to query \"%s\" must not appear within INTERSECT",
    _EXCEPT: "recursive reference to query \"%s\" must not appear within EXCEPT",
}
_J = enums.JoinType


def expr_location(node) -> int | None:
    """PostgreSQL's exprLocation for the raw nodes that decorate a query (1-based, or None)."""
    if isinstance(node, (list, tuple)):
        return expr_location(node[0]) if node else None
    if isinstance(node, ast.SortBy):
        return expr_location(node.node)
    own = location(node)
    inner = None
    if isinstance(node, ast.A_Expr):
        inner = expr_location(node.lexpr)
    elif isinstance(node, ast.TypeCast):
        inner = expr_location(node.arg)
    if own is None or (inner is not None and inner < own):
        return inner
    return own


def _children(node):
    if isinstance(node, (list, tuple)):
        yield from node
    elif isinstance(node, ast.Node):
        for attr in node.__slots__:
            yield getattr(node, attr, None)


def _count(node, name: str) -> int:
    """How many times `node` names the WITH query `name` (not hidden by an inner WITH of that name)."""
    if isinstance(node, ast.RangeVar):
        return 1 if node.schemaname is None and node.relname == name else 0
    if isinstance(node, ast.SelectStmt) and node.withClause is not None:
        ctes = node.withClause.ctes or ()
        if node.withClause.recursive and any(c.ctename == name for c in ctes):
            return 0
        n = 0
        for c in ctes:
            n += _count(c.ctequery, name)
            if c.ctename == name:
                return n
        return n + sum(_count(getattr(node, a, None), name) for a in node.__slots__ if a != "withClause")
    if isinstance(node, ast.Node) and not isinstance(node, ast.WithClause) or isinstance(node, (list, tuple)):
        return sum(_count(c, name) for c in _children(node))
    return 0


def _refers(node, name: str) -> bool:
    return _count(node, name) > 0


def _volatile(node, catalog) -> bool:
    """Whether the tree calls a volatile function (contain_volatile_functions, by name: a name
    with any volatile built-in or user-defined candidate counts)."""
    if isinstance(node, ast.FuncCall):
        name = node.funcname[-1].sval
        if any(getattr(r, "volatility", "v") == "v" for r in catalog.routines_named.get(name, ())) \
                or any(getattr(f, "volatility", "") == "v" for f in R.function_candidates(name) or ()):
            return True
    if isinstance(node, (ast.Node, list, tuple)):
        return any(_volatile(c, catalog) for c in _children(node))
    return False


def materialized(cte, w: ast.WithClause, owner, catalog) -> str:
    """SQLite's hint for a WITH query, as PostgreSQL decides (SS_process_ctes): computed once
    when written MATERIALIZED, when it calls a volatile function, or (unless written NOT
    MATERIALIZED) when its statement names it more than once; otherwise inlined."""
    m = cte.ctematerialized
    if m == enums.CTEMaterialize.CTEMaterializeAlways:
        return "MATERIALIZED "
    if owner is None or w.recursive and _refers(cte.ctequery, cte.ctename):
        return ""
    if _volatile(cte.ctequery, catalog):
        return "MATERIALIZED "
    if m == enums.CTEMaterialize.CTEMaterializeNever:
        return "NOT MATERIALIZED "
    ctes = list(w.ctes or ())
    if not any(c is cte for c in ctes):
        return ""
    readers = [c for c in ctes if c is not cte] if w.recursive else ctes[ctes.index(cte) + 1:]
    n = sum(_count(c.ctequery, cte.ctename) for c in readers)
    n += sum(_count(getattr(owner, a, None), cte.ctename) for a in owner.__slots__ if a != "withClause")
    return "MATERIALIZED " if n > 1 else ""


class _Walker:
    def __init__(self, name: str, context: int, catalog=None):
        self.name = name
        self.context = context
        self.innerwiths: list[list[str]] = []
        self.refs = 0
        self.catalog = catalog
        self.aggregate = None  # an aggregate call of a query level reading the recursive reference

    def walk(self, node) -> None:
        if node is None:
            return
        save = self.context
        if isinstance(node, ast.RangeVar):
            if node.schemaname is None and not any(node.relname in w for w in self.innerwiths) \
                    and node.relname == self.name:
                if self.context != _OK:
                    raise SqlError("42P19", _MESSAGES[self.context] % self.name, position=location(node))
                self.refs += 1
                if self.refs > 1:
                    raise SqlError("42P19", f'recursive reference to query "{self.name}" must not appear more '
                                            "than once", position=location(node))
            return
        if isinstance(node, ast.SelectStmt):
            w = node.withClause
            if w is None:
                self.select(node)
                return
            if w.recursive:
                self.innerwiths.insert(0, [c.ctename for c in w.ctes])
                for c in w.ctes:
                    self.walk(c.ctequery)
            else:
                self.innerwiths.insert(0, [])
                for c in w.ctes:
                    self.walk(c.ctequery)
                    self.innerwiths[0].append(c.ctename)
            self.select(node)
            self.innerwiths.pop(0)
            return
        if isinstance(node, ast.WithClause):
            return
        if isinstance(node, ast.JoinExpr):
            outer = _OUTERJOIN if save == _OK else save
            jt = node.jointype
            self.context = outer if jt in (_J.JOIN_RIGHT, _J.JOIN_FULL) else save
            self.walk(node.larg)
            self.context = outer if jt in (_J.JOIN_LEFT, _J.JOIN_FULL) else save
            self.walk(node.rarg)
            self.context = save
            self.walk(node.quals)
            return
        if isinstance(node, ast.SubLink):
            self.context = _SUBLINK
            self.walk(node.subselect)
            self.context = save
            self.walk(node.testexpr)
            return
        if isinstance(node, (list, tuple)) or isinstance(node, ast.Node):
            for c in _children(node):
                self.walk(c)

    def direct(self, node) -> bool:
        """Whether this FROM list (its joins, not its subqueries) reads the recursive reference."""
        if isinstance(node, (list, tuple)):
            return any(self.direct(n) for n in node)
        if isinstance(node, ast.JoinExpr):
            return self.direct(node.larg) or self.direct(node.rarg)
        return isinstance(node, ast.RangeVar) and node.schemaname is None and node.relname == self.name \
            and not any(node.relname in w for w in self.innerwiths)

    def select(self, s: ast.SelectStmt) -> None:
        save = self.context
        op = s.op
        if save != _OK or op in (enums.SetOperation.SETOP_NONE, enums.SetOperation.SETOP_UNION):
            if save == _OK and self.catalog is not None and self.aggregate is None and self.direct(s.fromClause):
                self.aggregate = _first_aggregate((s.targetList, s.havingClause, s.sortClause), self.catalog)
            for a in s.__slots__:
                if a != "withClause":
                    self.walk(getattr(s, a, None))
            return
        if op == enums.SetOperation.SETOP_INTERSECT:
            if s.all:
                self.context = _INTERSECT
            self.walk(s.larg)
            self.walk(s.rarg)
        else:
            if s.all:
                self.context = _EXCEPT
            self.walk(s.larg)
            self.context = _EXCEPT
            self.walk(s.rarg)
        self.context = save
        for part in (s.sortClause, s.limitOffset, s.limitCount, s.lockingClause):
            self.walk(part)


def _first_aggregate(node, catalog):
    """The first aggregate call of this query level (locate_agg_of_level), or None."""
    if isinstance(node, (list, tuple)):
        for n in node:
            found = _first_aggregate(n, catalog)
            if found is not None:
                return found
        return None
    if not isinstance(node, ast.Node) or isinstance(node, (ast.SubLink, ast.RangeSubselect, ast.SelectStmt)):
        return None
    if isinstance(node, ast.FuncCall) and is_aggregate_call(node, catalog):
        return node
    return _first_aggregate([getattr(node, a, None) for a in node.__slots__], catalog)


def _decoration(what: str, node) -> SqlError:
    return SqlError("0A000", f"{what} in a recursive query is not implemented", position=expr_location(node))


def check_recursion(w: ast.WithClause, catalog=None) -> None:
    """PostgreSQL's checks of a WITH RECURSIVE list's self-referencing queries (42P19, 0A000),
    then (parse analysis of the recursive terms) aggregates of a level reading the reference."""
    aggregates = []
    for cte in w.ctes or ():
        q = cte.ctequery
        if not isinstance(q, ast.SelectStmt) or not _refers(q, cte.ctename):
            continue  # (data-modifying ones: translate.wcte)
        name = cte.ctename
        if q.op != enums.SetOperation.SETOP_UNION:
            raise SqlError("42P19", f'recursive query "{name}" does not have the form non-recursive-term '
                                    "UNION [ALL] recursive-term", position=location(cte))
        if q.withClause is not None:
            _Walker(name, _SUBLINK).walk(list(c.ctequery for c in q.withClause.ctes))
        if q.sortClause:
            raise _decoration("ORDER BY", q.sortClause)
        if q.limitOffset is not None:
            raise _decoration("OFFSET", q.limitOffset)
        if q.limitCount is not None:
            raise _decoration("LIMIT", q.limitCount)
        if q.lockingClause:
            raise SqlError("0A000", "FOR UPDATE/SHARE in a recursive query is not implemented")
        _Walker(name, _NONRECURSIVE).walk(q.larg)
        walker = _Walker(name, _OK, catalog)
        walker.walk(q.rarg)
        if walker.aggregate is not None:
            aggregates.append(walker.aggregate)
    if aggregates:
        raise SqlError("42P19", "aggregate functions are not allowed in a recursive query's recursive term",
                       position=location(aggregates[0]))


def check_recursive_types(cte, seed, whole) -> None:
    """A self-referencing WITH query's non-recursive term must already have the UNION's
    column types and typmods (analyzeCTE: 42804 with PostgreSQL's hint). `seed` and `whole`
    are the translated non-recursive term and the whole UNION."""
    if not _refers(cte.ctequery, cte.ctename):
        return
    locs = seed.extra.get("locs", ()) if isinstance(seed.extra, dict) else ()
    for i, (s, o) in enumerate(zip(seed.columns, whole.columns)):
        if s.oid != o.oid or (s.typmod != o.typmod and s.typmod >= 0):
            raise SqlError("42804", f'recursive query "{cte.ctename}" column {i + 1} has type '
                                    f"{format_type(s.oid, s.typmod)} in non-recursive term but type "
                                    f"{format_type(o.oid, o.typmod)} overall",
                           hint="Cast the output of the non-recursive term to the correct type.",
                           position=locs[i] if i < len(locs) else None)


def seed_query(q: ast.SelectStmt):
    """The non-recursive term of `q` (a UNION) with the WITH written atop the UNION, which
    PostgreSQL lets both terms read: `WITH s AS (...) SELECT ... FROM s UNION ALL SELECT ...`."""
    left = q.larg
    if q.withClause is None or not isinstance(left, ast.SelectStmt) or left.withClause is not None:
        return left
    left = copy.copy(left)
    left.withClause = q.withClause
    return left


def future_cte_error(err: SqlError, w: ast.WithClause, started: int) -> SqlError:
    """A missing relation named as a WITH query of a plain WITH that is not visible where it
    is named (the query itself or a later one: parserOpenTable's isFutureCTE) gets
    PostgreSQL's detail and hint."""
    if w.recursive or err.sqlstate != "42P01" or err.detail or started < 1:
        return err
    future = {c.ctename for c in (w.ctes or ())[started - 1:]}
    for name in future:
        if err.message == f'relation "{name}" does not exist':
            err.detail = f'There is a WITH item named "{name}", but it cannot be referenced from this part of ' \
                         "the query."
            err.hint = "Use WITH RECURSIVE, or re-order the WITH items to remove forward references."
            break
    return err
