"""UPDATE ... FROM item ... RETURNING and DELETE ... USING item ... RETURNING whose RETURNING
reads the FROM / USING item (its columns, or * meaning the target's and then the item's):
SQLite's RETURNING sees only the target table, so the statement runs as the kind data-modifying
WITH queries use (translate.wcte, run by exec.wcte):

  step 0   the target rows the statement will change, by rowid, with the FROM / USING item's
           row each is joined to (captured before anything changes);
  step 1   the UPDATE / DELETE itself as pgsvc runs it (triggers, constraints, row security),
           returning each changed row's rowid and its columns (new ones for UPDATE, the
           deleted ones for DELETE);
  main     RETURNING's expressions over those rows joined by rowid (one FROM row per target
           row, as PostgreSQL's join picks one).
The command tag counts the rows changed. One FROM / USING item (not a join of several) is
handled; anything else keeps the earlier refusal.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.dml import Dml
from pgsvc.sql.translate.merge import source_alias
from pgsvc.sql.translate.names import Scope
from pgsvc.sql.translate.trigger_dml import spec_sql
from pgsvc.sql.translate.wcte import rows_source

_RID = "pgsvc$rid"
_NEW, _SRC = "pgsvc$ret_new", "pgsvc$ret_src"


def _ref(*names) -> ast.ColumnRef:
    return ast.ColumnRef(fields=tuple(ast.String(sval=n) if isinstance(n, str) else n for n in names))


def _star(rt) -> str | None:
    """'' for RETURNING *, the qualifier for q.*, None otherwise."""
    v = rt.val
    if isinstance(v, ast.ColumnRef) and isinstance(v.fields[-1], ast.A_Star):
        return v.fields[-2].sval if len(v.fields) == 2 and isinstance(v.fields[-2], ast.String) else ""
    return None


def _qualifiers(node, out: set) -> set:
    if isinstance(node, ast.ColumnRef):
        if len(node.fields) >= 2 and isinstance(node.fields[0], ast.String):
            out.add(node.fields[0].sval)
    elif isinstance(node, (ast.SelectStmt, ast.SubLink)):
        return out  # a subquery's own names
    elif isinstance(node, ast.Node):
        for attr in node.__slots__:
            _qualifiers(getattr(node, attr, None), out)
    elif isinstance(node, (list, tuple)):
        for x in node:
            _qualifiers(x, out)
    return out


def _bare_names(node, out: set) -> set:
    """Unqualified column names an expression reads (not inside subqueries)."""
    if isinstance(node, ast.ColumnRef):
        if len(node.fields) == 1 and isinstance(node.fields[0], ast.String):
            out.add(node.fields[0].sval)
    elif isinstance(node, (ast.SelectStmt, ast.SubLink)):
        return out
    elif isinstance(node, ast.Node):
        for attr in node.__slots__:
            _bare_names(getattr(node, attr, None), out)
    elif isinstance(node, (list, tuple)):
        for x in node:
            _bare_names(x, out)
    return out


class ReturningFromMixin:
    def returning_reads_others(self, node) -> bool:
        """Whether a top-level UPDATE ... FROM / DELETE ... USING with one item has a
        RETURNING that reads that item (see the module docstring)."""
        items = node.fromClause if isinstance(node, ast.UpdateStmt) else node.usingClause
        if not node.returningList or not items or len(items) != 1 or node.withClause is not None or \
                not isinstance(items[0], (ast.RangeVar, ast.RangeSubselect, ast.RangeFunction)):
            return False
        if isinstance(items[0], ast.RangeSubselect) and items[0].alias is None:
            return False
        target = node.relation.alias.aliasname if node.relation.alias else node.relation.relname
        other = source_alias(items[0])
        if other == target:
            return False
        if any(_star(rt) in ("", other) for rt in node.returningList) or other in _qualifiers(node.returningList, set()):
            return True
        bare = _bare_names(node.returningList, set())
        if not bare:
            return False
        rel = self.catalog.lookup(node.relation.schemaname, node.relation.relname, self.search_path())
        return rel is not None and any(rel.attr(n) is None for n in bare)

    def returning_from(self, node) -> Dml:
        update = isinstance(node, ast.UpdateStmt)
        item = (node.fromClause if update else node.usingClause)[0]
        rel = self.relation(node.relation)
        if rel.kind != "r" or self.descendants(rel):
            return None
        alias = node.relation.alias.aliasname if node.relation.alias else rel.name
        other = source_alias(item)
        target = ast.RangeVar(relname=rel.name, schemaname=rel.schema, inh=False, relpersistence="p",
                              alias=ast.Alias(aliasname=alias), location=node.relation.location)
        capture = ast.SelectStmt(targetList=(ast.ResTarget(name=_RID, val=_ref(alias, "pgsvc$rowid")),
                                             ast.ResTarget(val=_ref(other, ast.A_Star()))),
                                 fromClause=(target, item), whereClause=node.whereClause,
                                 op=enums.SetOperation.SETOP_NONE, limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT)
        q0 = self.subquery(capture, self.outer_scope)
        ret = (ast.ResTarget(name=_RID, val=_ref(alias, "pgsvc$rowid")), ast.ResTarget(val=_ref(alias, ast.A_Star())))
        if update:
            stmt = ast.UpdateStmt(relation=node.relation, targetList=node.targetList, whereClause=node.whereClause,
                                  fromClause=node.fromClause, returningList=ret)
        else:
            stmt = ast.DeleteStmt(relation=node.relation, usingClause=node.usingClause,
                                  whereClause=node.whereClause, returningList=ret)
        saved = (self.scope, self.dml_kind, self.inherited_dml, self.agg_forbidden)
        self.scope = Scope(parent=self.outer_scope)
        self.merge_rowid = True  # (translate.merge: the target's rowid in RETURNING)
        try:
            d = self.update(stmt) if update else self.delete(stmt)
        finally:
            (self.scope, self.dml_kind, self.inherited_dml, self.agg_forbidden) = saved
            self.merge_rowid = False
        w0, w1 = len(q0.columns), len(d.returning)
        step = {"tg": d.trigger_spec} if d.trigger_spec is not None else {"sql": d.sql}
        step.update(ncol=w1, rel=rel.oid)
        self.wcte_steps = [{"sql": q0.sql, "sel": 1, "ncol": w0, "rel": rel.oid}, step]
        self.wcte_snap = {}
        self.ctes[_NEW], self.ctes[_SRC] = list(d.returning), list(q0.columns)
        mine, theirs = [c.name for c in d.returning[1:]], [c.name for c in q0.columns[1:]]
        targets = []
        for rt in node.returningList:
            star = _star(rt)
            names = {"": [(alias, n) for n in mine] + [(other, n) for n in theirs], alias: [(alias, n) for n in mine],
                     other: [(other, n) for n in theirs]}.get(star) if star is not None else None
            targets += [ast.ResTarget(val=_ref(q, n)) for q, n in names] if names is not None else [rt]
        main = ast.SelectStmt(
            targetList=tuple(targets),
            fromClause=(ast.RangeVar(relname=_NEW, inh=True, relpersistence="p", alias=ast.Alias(aliasname=alias)),
                        ast.RangeVar(relname=_SRC, inh=True, relpersistence="p", alias=ast.Alias(aliasname=other))),
            whereClause=ast.A_Expr(kind=enums.A_Expr_Kind.AEXPR_OP, name=(ast.String(sval="="),),
                                   lexpr=_ref(alias, _RID), rexpr=_ref(other, _RID)),
            op=enums.SetOperation.SETOP_NONE, limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT)
        q = self.subquery(main, self.outer_scope)
        cols = lambda n: ", ".join(f"c{i}" for i in range(n))  # noqa: E731
        with_sql = (f"WITH {quote_sqlite_ident('cte_' + _NEW)}({cols(w1)}) AS ({rows_source('1', w1)}), "
                    f"{quote_sqlite_ident('cte_' + _SRC)}({cols(w0)}) AS "
                    f"(SELECT * FROM ({rows_source('0', w0)}) GROUP BY c0) ")
        width = len(q.columns)
        spec = self.wcte_spec({"sql": with_sql + q.sql, "sel": 1, "ncol": width}, width)
        return Dml(spec_sql(spec, width), "UPDATE" if update else "DELETE", list(q.columns), rel, trigger_spec=spec)
