"""MERGE (PostgreSQL 15): WHEN MATCHED [AND cond] THEN UPDATE / DELETE / DO NOTHING, WHEN NOT
MATCHED [AND cond] THEN INSERT / DO NOTHING, over a plain table.

Translated into the statement kind data-modifying WITH queries use (translate.wcte, run by
exec.wcte), so that every action goes through INSERT / UPDATE / DELETE as they already run
(defaults, assignment casts, constraints, triggers, row security, privileges):

  step 0   the source LEFT JOIN the target ON the join condition, one row per source row
           and matching target row: the source's columns, the target row's rowid (NULL: not
           matched) and the number of the first WHEN clause whose condition holds (0: none).
           Captured once, before any action runs: every action sees the rows as they were.
  step n   one statement per acting WHEN clause, in order, over the captured rows of its
           number: UPDATE target ... FROM rows WHERE rowid = rows.rid, DELETE ... USING
           rows, INSERT ... SELECT values FROM rows. The source's alias names those rows,
           with the source's columns.
The engine refuses a target row that two source rows would change (21000) before any action
runs, and the command tag counts the rows the actions changed.
"""

from __future__ import annotations

import pglast
from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.dml import Dml, column_default
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.names import Scope
from pgsvc.sql.translate.trigger_dml import spec_sql
from pgsvc.sql.translate.wcte import rows_source

_CMD = enums.CmdType
_SRC = "pgsvc$merge_src"
_RID, _K = "pgsvc$rid", "pgsvc$k"


def _ref(*names) -> ast.ColumnRef:
    return ast.ColumnRef(fields=tuple(ast.String(sval=n) if isinstance(n, str) else n for n in names))


def _const(v: int) -> ast.A_Const:
    return ast.A_Const(isnull=False, val=ast.Integer(ival=v))


def _eq(left, right) -> ast.A_Expr:
    return ast.A_Expr(kind=enums.A_Expr_Kind.AEXPR_OP, name=(ast.String(sval="="),), lexpr=left, rexpr=right)


def _and(*args) -> ast.BoolExpr:
    return ast.BoolExpr(boolop=enums.BoolExprType.AND_EXPR, args=args)


def _case(clauses) -> ast.CaseExpr:
    """CASE WHEN cond THEN n ... ELSE 0 END over (number, clause) pairs."""
    whens = tuple(ast.CaseWhen(expr=c.condition if c.condition is not None else
                               ast.A_Const(isnull=False, val=ast.Boolean(boolval=True)), result=_const(n))
                  for n, c in clauses)
    if not whens:
        return _const(0)
    return ast.CaseExpr(args=whens, defresult=_const(0))


def source_alias(src) -> str:
    if isinstance(src, ast.RangeVar):
        return src.alias.aliasname if src.alias else src.relname
    if isinstance(src, (ast.RangeSubselect, ast.RangeFunction)) and src.alias is not None:
        return src.alias.aliasname
    if isinstance(src, ast.RangeFunction):
        call = src.functions[0][0]
        return call.funcname[-1].sval if isinstance(call, ast.FuncCall) else "f"
    if isinstance(src, ast.RangeSubselect):
        raise SqlError("42601", "subquery in FROM must have an alias")
    raise SqlError("0A000", "MERGE with a join as its data source is not supported")


class MergeMixin:
    merge_rowid = False  # (translate.dml.table_entry: the target's rowid, for an action's WHERE)

    def merge(self, node: ast.MergeStmt):
        top = self.enter_statement()
        self.dml_kind = "MERGE"
        if node.withClause is not None and node.withClause.recursive:
            raise SqlError("0A000", "WITH RECURSIVE is not supported for MERGE statement")
        parts, recursive = self.with_parts(node.withClause, top) if node.withClause else ([], False)
        rel = self.relation(node.relation)
        if rel.kind != "r":
            what = {"v": "views", "S": "sequences", "i": "indexes"}.get(rel.kind, "this kind of relation")
            raise SqlError("42809", f'cannot execute MERGE on relation "{rel.name}"',
                           detail=f"This operation is not supported for {what}.")
        if rel.options.get("rules"):  # (catalog.rules: a rule of any event)
            raise SqlError("0A000", f'cannot execute MERGE on relation "{rel.name}"',
                           detail="MERGE is not supported for relations with rules.")
        if self.descendants(rel):
            raise SqlError("0A000", "MERGE into a partitioned table or an inheritance parent is not supported",
                           position=location(node.relation))
        clauses = list(enumerate(node.mergeWhenClauses or (), 1))
        for kind in (True, False):
            mine = [c for _, c in clauses if bool(c.matched) == kind]
            for c in mine[:-1]:
                if c.condition is None:
                    raise SqlError("42601", "unreachable WHEN clause specified after unconditional WHEN clause",
                                   position=location(mine[mine.index(c) + 1]))
        alias = node.relation.alias.aliasname if node.relation.alias else rel.name
        src_alias = source_alias(node.sourceRelation)
        if src_alias == alias:
            raise SqlError("42712", f'name "{alias}" specified more than once',
                           detail="The name is used both as MERGE target table and data source.")
        target = ast.RangeVar(relname=rel.name, schemaname=rel.schema, inh=False, relpersistence="p",
                              alias=ast.Alias(aliasname=alias), location=node.relation.location)
        matched = _case([(n, c) for n, c in clauses if c.matched])
        unmatched = _case([(n, c) for n, c in clauses if not c.matched])
        rid = _ref(alias, "pgsvc$rowid")
        k = ast.CaseExpr(args=(ast.CaseWhen(expr=ast.NullTest(arg=rid, nulltesttype=enums.NullTestType.IS_NOT_NULL),
                                            result=matched),), defresult=unmatched)
        classify = ast.SelectStmt(
            targetList=(ast.ResTarget(val=_ref(src_alias, ast.A_Star())),
                        ast.ResTarget(name=_RID, val=rid), ast.ResTarget(name=_K, val=k)),
            fromClause=(ast.JoinExpr(jointype=enums.JoinType.JOIN_LEFT, larg=node.sourceRelation, rarg=target,
                                     quals=node.joinCondition),),
            op=enums.SetOperation.SETOP_NONE, limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT)
        self.need(rel, "r")
        changed, self.wcte_changed = self.wcte_changed, self.wcte_changed - {rel.oid}  # (its rowids: the table's)
        try:
            q = self.subquery(classify, self.outer_scope)
        finally:
            self.wcte_changed = changed
        with_sql = ("WITH RECURSIVE " if recursive else "WITH ") + ", ".join(parts) + " " if parts else ""
        width = len(q.columns)
        self.wcte_steps = self.wcte_steps or []  # (after those of data-modifying WITH queries)
        at = len(self.wcte_steps)
        self.wcte_steps.append({"sql": with_sql + q.sql, "sel": 1, "ncol": width, "rel": rel.oid})
        self.wcte_snap = self.wcte_snap or {}
        self.ctes[_SRC] = list(q.columns)
        names = ", ".join(f"c{i}" for i in range(width))
        parts = parts + [f"{quote_sqlite_ident('cte_' + _SRC)}({names}) AS ({rows_source(str(at), width)})"]
        acts = []
        for n, c in clauses:
            if c.commandType == _CMD.CMD_NOTHING:
                continue
            stmt = self.merge_action(c, n, node.relation, alias, src_alias, rel)
            saved = (self.scope, self.dml_kind, self.inherited_dml, self.conflict_target, self.agg_forbidden)
            self.scope = Scope(parent=self.outer_scope)
            self.wcte_prefix = (list(parts), recursive)
            self.merge_rowid = True
            try:
                d = {ast.InsertStmt: self.insert, ast.UpdateStmt: self.update,
                     ast.DeleteStmt: self.delete}[type(stmt)](stmt)
            finally:
                (self.scope, self.dml_kind, self.inherited_dml, self.conflict_target, self.agg_forbidden) = saved
                self.wcte_prefix = None
                self.merge_rowid = False
            if d.trigger_spec is not None:
                d.trigger_spec["merge"] = 1  # (its errors name MERGE: exec.trigger_dml)
            step = {"tg": d.trigger_spec} if d.trigger_spec is not None else {"sql": d.sql}
            step.update(ncol=0, rel=rel.oid)
            self.wcte_steps.append(step)
            if c.matched:
                acts.append(n)
        spec = self.wcte_spec(None, 0)
        spec["merge"] = {"step": at, "rid": width - 2, "k": width - 1, "acts": acts}
        return Dml(spec_sql(spec, 0), "MERGE", None, rel, trigger_spec=spec)

    def merge_action(self, c, n: int, rv: ast.RangeVar, alias: str, src_alias: str, rel):
        """The INSERT / UPDATE / DELETE of one WHEN clause over the captured rows numbered n."""
        rows = ast.RangeVar(relname=_SRC, inh=True, relpersistence="p", alias=ast.Alias(aliasname=src_alias))
        mine = _eq(_ref(src_alias, _K), _const(n))
        target = ast.RangeVar(relname=rel.name, schemaname=rel.schema, inh=False, relpersistence="p",
                              alias=ast.Alias(aliasname=alias), location=rv.location)
        if c.commandType == _CMD.CMD_UPDATE:
            return ast.UpdateStmt(relation=target, targetList=c.targetList, fromClause=(rows,),
                                  whereClause=_and(_eq(_ref(alias, "pgsvc$rowid"), _ref(src_alias, _RID)), mine))
        if c.commandType == _CMD.CMD_DELETE:
            return ast.DeleteStmt(relation=target, usingClause=(rows,),
                                  whereClause=_and(_eq(_ref(alias, "pgsvc$rowid"), _ref(src_alias, _RID)), mine))
        cols = list(c.targetList or ())
        values = list(c.values or ())
        if values and not cols:
            if len(values) > len(rel.attrs):
                raise SqlError("42601", "INSERT has more expressions than target columns",
                               position=location(values[len(rel.attrs)]))
            cols = [ast.ResTarget(name=a.name) for a in rel.attrs[:len(values)]]
        if cols and len(values) != len(cols):
            raise SqlError("42601", "INSERT has more target columns than expressions" if len(cols) > len(values)
                           else "INSERT has more expressions than target columns")
        keep = [i for i, v in enumerate(values) if not isinstance(v, ast.SetToDefault)]  # DEFAULT: left out
        if not keep:  # DEFAULT VALUES (or only DEFAULTs): a column given its default, the others take theirs
            a = next((a for a in rel.attrs if not a.generated and a.identity != "a"), None)
            if a is None:
                raise SqlError("0A000", "MERGE ... INSERT DEFAULT VALUES into this table is not supported")
            default = column_default(a)
            cols, keep = [ast.ResTarget(name=a.name)], [0]
            values = [pglast.parse_sql(f"SELECT {default}")[0].stmt.targetList[0].val if default is not None
                      else ast.A_Const(isnull=True)]
        select = ast.SelectStmt(targetList=tuple(ast.ResTarget(val=values[i]) for i in keep), fromClause=(rows,),
                                whereClause=mine, op=enums.SetOperation.SETOP_NONE,
                                limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT)
        ins = ast.InsertStmt(relation=ast.RangeVar(relname=rel.name, schemaname=rel.schema, inh=False,
                                                   relpersistence="p", location=rv.location),
                             cols=tuple(cols[i] for i in keep) or None, selectStmt=select, override=c.override)
        return ins
