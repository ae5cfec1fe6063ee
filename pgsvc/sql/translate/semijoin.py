"""EXISTS (correlated subquery) as a semi-join SQLite can run fast.

SQLite runs a correlated subquery once per outer row and never builds an index for it:
`WHERE EXISTS (SELECT 1 FROM big c WHERE c.k = outer.k)` scans `big` for every outer row
(PostgreSQL plans a hashed semi-join). An uncorrelated `x IN (SELECT ...)` SQLite builds
once into an ephemeral index. So an EXISTS whose subquery is correlated only through

- one equality `outer_expr = inner_expr`, and / or
- conjuncts that read no column of the subquery's own relations (they move out of it),

is rewritten, on the raw parse tree, to the exact equivalent

    (conjunct IS TRUE) AND ... AND coalesce(outer_expr IN (SELECT inner_expr FROM ... WHERE rest), false)

(EXISTS is never NULL: coalesce makes a NULL outer_expr, or a NULL among the inner values
with no match, false, as EXISTS is). The rewrite is taken only when the remaining subquery
provably reads nothing of the outer query, and only for plain subqueries (relations in
FROM, no grouping, aggregates, LIMIT, set operations, functions in the moved conjuncts);
anything else keeps PostgreSQL's EXISTS as written.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog.system import information_schema as infoschema
from pgsvc.sql.catalog.system import relations as pg_relations
from pgsvc.sql.translate.ex import Ex
from pgsvc.sql.types import oids as O

_SYSTEM_COLUMNS = frozenset({"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid", "oid"})
_OPERATORS = frozenset({"=", "<>", "!=", "<", ">", "<=", ">=", "+", "-", "*"})
INNER, OUTER, UNKNOWN = "inner", "outer", "unknown"


def exists_semijoin(tr, node: ast.SubLink) -> Ex | None:
    """A correlated EXISTS as an uncorrelated IN SQLite runs once, when the IN comes out as
    SQLite's own IN (translate.funcs makes the slower CASE form for other comparisons);
    else None (EXISTS as written). A translation error falls back too: the EXISTS as
    written reports it."""
    alt = exists_as_in(tr, node)
    if alt is None:
        return None
    saved = (tr.alias_seq, len(tr.privs_needed))
    try:
        ex = tr.expr(alt)
    except SqlError:
        ex = None
    core = alt.args[-1] if isinstance(alt, ast.BoolExpr) else alt
    if ex is None or isinstance(core, ast.CoalesceExpr) and " IN (SELECT c0 FROM " not in ex.sql:
        tr.alias_seq = saved[0]
        del tr.privs_needed[saved[1]:]
        return None
    return Ex(ex.sql, O.BOOL, name="exists")


def exists_as_in(tr, node: ast.SubLink):
    """The raw expression replacing an EXISTS sublink, or None to keep it."""
    sel = node.subselect
    if not _plain(sel):
        return None
    level = _from_scope(tr, sel.fromClause)
    if level is None:
        return None
    scopes = [level]
    conjuncts = _conjuncts(sel.whereClause)
    kept, pulled, eq = [], [], None
    for c in conjuncts:
        flags = _refs(tr, c, scopes)
        if flags <= {INNER}:
            kept.append(c)
        elif flags == {OUTER} and _movable(c):
            pulled.append(c)
        elif eq is None and _equality(tr, c, scopes) is not None:
            eq = _equality(tr, c, scopes)
        else:
            return None
    if eq is None and not pulled:
        return None
    loc = node.location
    where = None if not kept else kept[0] if len(kept) == 1 else ast.BoolExpr(
        boolop=enums.BoolExprType.AND_EXPR, args=tuple(kept), location=loc)
    if eq is not None:
        outer, inner = eq
        sub = ast.SelectStmt(targetList=(ast.ResTarget(val=inner, location=loc),), fromClause=sel.fromClause,
                             whereClause=where, limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT,
                             op=enums.SetOperation.SETOP_NONE, all=False, groupDistinct=False)
        test = ast.SubLink(subLinkType=enums.SubLinkType.ANY_SUBLINK, subLinkId=0, testexpr=outer,
                           operName=(ast.String(sval="="),), subselect=sub, location=loc)
        core = ast.CoalesceExpr(args=(test, ast.A_Const(isnull=False, val=ast.Boolean(boolval=False))),
                              location=loc)
    else:
        sub = ast.SelectStmt(targetList=sel.targetList, fromClause=sel.fromClause, whereClause=where,
                             limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT,
                             op=enums.SetOperation.SETOP_NONE, all=False, groupDistinct=False)
        core = ast.SubLink(subLinkType=enums.SubLinkType.EXISTS_SUBLINK, subLinkId=0, subselect=sub, location=loc)
    parts = [ast.BooleanTest(arg=c, booltesttype=enums.BoolTestType.IS_TRUE, location=loc) for c in pulled]
    return core if not parts else ast.BoolExpr(boolop=enums.BoolExprType.AND_EXPR, args=(*parts, core),
                                               location=loc)


def _plain(sel) -> bool:
    if not isinstance(sel, ast.SelectStmt) or sel.op != enums.SetOperation.SETOP_NONE:
        return False
    if sel.distinctClause or sel.intoClause or sel.groupClause or sel.havingClause or sel.windowClause \
            or sel.valuesLists or sel.sortClause or sel.limitOffset or sel.limitCount or sel.lockingClause \
            or sel.withClause or not sel.fromClause or sel.groupDistinct:
        return False
    for t in sel.targetList or ():
        if not isinstance(t, ast.ResTarget) or not isinstance(t.val, (ast.ColumnRef, ast.A_Const, ast.ParamRef)):
            return False
    return all(isinstance(f, ast.RangeVar) for f in sel.fromClause)


def _from_scope(tr, items) -> tuple[set, set] | None:
    """(aliases, column names) of a FROM list of plain relations, None when not known."""
    aliases, columns = set(), set()
    for rv in items:
        if not isinstance(rv, ast.RangeVar) or rv.catalogname:
            return None
        if rv.alias is not None and rv.alias.colnames:
            return None
        name = rv.relname
        if rv.schemaname is None and name in tr.ctes:
            cols = {c.name for c in tr.ctes[name]}
        else:
            if pg_relations.find(rv.schemaname, name) or infoschema.find(rv.schemaname, name):
                return None
            schema = tr.engine.temp_schema if rv.schemaname == "pg_temp" else rv.schemaname
            rel = tr.catalog.lookup(schema, name, tr.search_path())
            if rel is None or not rel.attrs:
                return None
            cols = {a.name for a in rel.attrs}
        alias = rv.alias.aliasname if rv.alias else name
        if alias in aliases:
            return None
        aliases.add(alias)
        columns |= cols
    return aliases, columns


def _conjuncts(node) -> list:
    if node is None:
        return []
    if isinstance(node, ast.BoolExpr) and node.boolop == enums.BoolExprType.AND_EXPR:
        return [c for a in node.args for c in _conjuncts(a)]
    return [node]


def _refs(tr, node, scopes: list) -> set:
    """Which levels the column references in node read: INNER (the EXISTS's own relations),
    OUTER (anything above it), UNKNOWN (not decidable here)."""
    out: set = set()
    if isinstance(node, ast.ColumnRef):
        out.add(_column_level(node, scopes))
        return out
    if isinstance(node, ast.SelectStmt):
        if node.op != enums.SetOperation.SETOP_NONE or node.withClause:
            return {UNKNOWN}
        level = _from_scope(tr, node.fromClause or ())
        if level is None:
            return {UNKNOWN}
        inner = [level] + scopes
        for name in node.__slots__:
            if name != "fromClause":
                out |= _walk(tr, getattr(node, name), inner)
        return out - {"local"}  # (references to the nested query's own relations)
    for name in node.__slots__:
        out |= _walk(tr, getattr(node, name), scopes)
    return out


def _walk(tr, value, scopes) -> set:
    if isinstance(value, ast.Node):
        return _refs(tr, value, scopes)
    if isinstance(value, (list, tuple)):
        out: set = set()
        for v in value:
            out |= _walk(tr, v, scopes)
        return out
    return set()


def _column_level(ref: ast.ColumnRef, scopes: list) -> str:
    """INNER when the reference is to the outermost scope given (the EXISTS's relations) or
    a nested one ('local', counted as INNER by the caller), OUTER when it is to neither."""
    fields = ref.fields
    names = [f.sval if isinstance(f, ast.String) else None for f in fields]
    if len(names) == 1 and names[0] is not None:
        name = names[0]
        if name in _SYSTEM_COLUMNS:
            return UNKNOWN
        for i, (aliases, columns) in enumerate(scopes):
            if name in columns or name in aliases:
                return "local" if i < len(scopes) - 1 else INNER
        return OUTER
    if len(names) == 2 and names[0] is not None:
        for i, (aliases, _columns) in enumerate(scopes):
            if names[0] in aliases:
                return "local" if i < len(scopes) - 1 else INNER
        return OUTER
    return UNKNOWN


def _movable(node) -> bool:
    """A conjunct that may leave the subquery: no function calls (volatile ones would run a
    different number of times), only comparisons, + - *, boolean logic, NULL tests and subqueries."""
    if isinstance(node, ast.FuncCall):
        return False
    if isinstance(node, ast.A_Expr) and (node.kind != enums.A_Expr_Kind.AEXPR_OP or len(node.name) != 1
                                          or node.name[0].sval not in _OPERATORS):
        return False
    if not isinstance(node, (ast.A_Expr, ast.BoolExpr, ast.NullTest, ast.BooleanTest, ast.ColumnRef, ast.A_Const,
                             ast.TypeCast, ast.SubLink, ast.SelectStmt, ast.ResTarget, ast.RangeVar, ast.Alias,
                             ast.String, ast.Integer, ast.TypeName, ast.A_Star, ast.Float, ast.Boolean, ast.ParamRef)):
        return False
    for name in node.__slots__:
        value = getattr(node, name)
        values = value if isinstance(value, (list, tuple)) else (value,)
        for v in values:
            if isinstance(v, ast.Node) and not _movable(v):
                return False
    return True


def _equality(tr, node, scopes):
    """(outer expression, inner expression) of `outer = inner` (either way round), else None."""
    if not (isinstance(node, ast.A_Expr) and node.kind == enums.A_Expr_Kind.AEXPR_OP and len(node.name) == 1
            and node.name[0].sval == "=" and node.lexpr is not None):
        return None
    for inner, outer in ((node.rexpr, node.lexpr), (node.lexpr, node.rexpr)):
        if _refs(tr, inner, scopes) == {INNER} and _movable(inner) \
                and _refs(tr, outer, scopes) == {OUTER} and _movable(outer):
            return outer, inner
    return None
