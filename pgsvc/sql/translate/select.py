"""SELECT: FROM items (tables, views, subqueries, joins, CTEs, generate_series/unnest),
WHERE, GROUP BY/HAVING, DISTINCT [ON], window definitions, ORDER BY with PostgreSQL's
NULL ordering (NULLS LAST for ASC, FIRST for DESC: SQLite's default is the opposite),
LIMIT/OFFSET/FETCH, set operations and VALUES.

Output columns are emitted as "c0", "c1", ...; `Query.columns` carries the PostgreSQL
names and types.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.catalog.system import information_schema as infoschema
from pgsvc.sql.catalog.system import relations as syscat
from pgsvc.sql.translate.expr import Ex, _collate, _loc
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.lateral import LateralMixin
from pgsvc.sql.translate.names import ColInfo, RangeEntry, Scope
from pgsvc.sql.types import oids as O


@dataclass
class Query:
    sql: str
    columns: list[ColInfo]
    order_free: bool = True
    extra: dict = field(default_factory=dict)

    def sql_paren(self) -> str:
        return f"({self.sql})"


class SelectMixin(LateralMixin):
    def subquery(self, node, parent: Scope | None | bool = True) -> Query:
        """parent: the scope the subquery may reference (True: the current one)."""
        saved = (self.scope, self.agg_forbidden, self.windows)
        self.scope = Scope(parent=self.scope if parent is True else parent)
        self.agg_forbidden = None
        try:
            return self.select(node)
        finally:
            self.scope, self.agg_forbidden, self.windows = saved

    def select(self, node: ast.SelectStmt) -> Query:
        with_sql = self.with_clause(node.withClause) if node.withClause else ""
        if node.op != enums.SetOperation.SETOP_NONE:
            q = self.set_operation(node)
        elif node.valuesLists:
            q = self.values(node.valuesLists)
        else:
            q = self.simple_select(node)
            return Query(with_sql + q.sql, q.columns) if with_sql else q
        if node.sortClause or node.limitCount is not None or node.limitOffset is not None:
            q.extra = {}
        q = self.order_limit_outer(q, node)
        return Query(with_sql + q.sql, q.columns)

    # --- WITH ---------------------------------------------------------------------

    def with_clause(self, w: ast.WithClause) -> str:
        parts = []
        for cte in w.ctes:
            name = cte.ctename
            q = cte.ctequery
            if not isinstance(q, ast.SelectStmt):
                raise SqlError("0A000", "data-modifying statements in WITH are not supported", position=_loc(cte))
            if w.recursive and q.op == enums.SetOperation.SETOP_UNION:
                seed = self.subquery(q.larg)
                self.ctes[name] = self._cte_cols(cte, seed.columns)
            sub = self.subquery(q)
            cols = self._cte_cols(cte, sub.columns)
            self.ctes[name] = cols
            parts.append(f"{quote_sqlite_ident('cte_' + name)}({', '.join('c%d' % i for i in range(len(cols)))}) "
                         f"AS ({sub.sql})")
        return ("WITH RECURSIVE " if w.recursive else "WITH ") + ", ".join(parts) + " "

    def _cte_cols(self, cte, cols: list[ColInfo]) -> list[ColInfo]:
        names = [n.sval for n in cte.aliascolnames or ()]
        out = []
        for i, c in enumerate(cols):
            out.append(ColInfo(names[i] if i < len(names) else c.name, c.oid, c.typmod))
        return out

    # --- set operations and VALUES --------------------------------------------------

    def set_operation(self, node: ast.SelectStmt) -> Query:
        op = {enums.SetOperation.SETOP_UNION: "UNION", enums.SetOperation.SETOP_INTERSECT: "INTERSECT",
              enums.SetOperation.SETOP_EXCEPT: "EXCEPT"}[node.op]
        if node.all and op != "UNION":
            raise SqlError("0A000", f"{op} ALL is not supported")
        left = self.subquery(node.larg)
        right = self.subquery(node.rarg)
        if len(left.columns) != len(right.columns):
            raise SqlError("42601", f"each {op} query must have the same number of columns")
        cols = []
        lparts, rparts = [], []
        plain = left.extra.get("simple") and right.extra.get("simple") and not right.extra.get("compound")
        for i, (lc, rc) in enumerate(zip(left.columns, right.columns)):
            t = R.common_type([lc.oid, rc.oid], op)
            if t not in (lc.oid, rc.oid) or lc.oid != rc.oid:
                plain = False
            cols.append(ColInfo(lc.name, t, lc.typmod if lc.typmod == rc.typmod else -1))
            lparts.append(self.coerce(Ex(f"c{i}", lc.oid), t).sql + f" AS c{i}")
            rparts.append(self.coerce(Ex(f"c{i}", rc.oid), t).sql + f" AS c{i}")
        word = f"{op}{' ALL' if node.all else ''}"
        if plain:
            # SQLite evaluates a compound left to right, as PostgreSQL's left-deep tree does; the
            # recursive term of a WITH RECURSIVE must not be wrapped in a subquery.
            return Query(f"{left.sql} {word} {right.sql}", cols, extra={"simple": True, "compound": True})
        sql = (f"SELECT {', '.join(lparts)} FROM {left.sql_paren()} {word} "
               f"SELECT {', '.join(rparts)} FROM {right.sql_paren()}")
        return Query(sql, cols, extra={"simple": True, "compound": True})

    def values(self, rows) -> Query:
        exprs = [[self.expr(v) for v in row] for row in rows]
        width = len(exprs[0])
        if any(len(r) != width for r in exprs):
            raise SqlError("42601", "VALUES lists must all be the same length")
        types = [R.common_type([r[i].oid for r in exprs], "VALUES") for i in range(width)]
        body = ", ".join("(" + ", ".join(self.coerce(r[i], types[i]).sql for i in range(width)) + ")"
                         for r in exprs)
        cols = [ColInfo(f"column{i + 1}", types[i]) for i in range(width)]
        if len(rows) <= 500 and any('"' in e.sql for r in exprs for e in r):
            # rows reading columns of outer queries (LATERAL (VALUES (t.a))): SQLite cannot
            # correlate a VALUES clause, but a compound SELECT it can (up to 500 terms)
            return Query(" UNION ALL ".join(
                "SELECT " + ", ".join(f"{self.coerce(r[i], types[i]).sql} AS c{i}" for i in range(width))
                for r in exprs), cols)
        sel = ", ".join(f"column{i + 1} AS c{i}" for i in range(width))
        return Query(f"SELECT {sel} FROM (VALUES {body})", cols)

    def order_limit_outer(self, q: Query, node: ast.SelectStmt) -> Query:
        if not node.sortClause and node.limitCount is None and node.limitOffset is None:
            return q
        scope = Scope(parent=self.scope.parent if self.scope else None)
        scope.add(RangeEntry("q", [ColInfo(c.name, c.oid, c.typmod, f"q.c{i}") for i, c in enumerate(q.columns)]))
        saved = self.scope
        self.scope = scope
        try:
            order = self.order_by(node.sortClause or [], [Ex(f"q.c{i}", c.oid, name=c.name)
                                                          for i, c in enumerate(q.columns)],
                                  [c.name for c in q.columns])
            limit = self.limit(node)
        finally:
            self.scope = saved
        cols = ", ".join(f"q.c{i} AS c{i}" for i in range(len(q.columns)))
        return Query(f"SELECT {cols} FROM ({q.sql}) AS q{order}{limit}", q.columns)

    # --- plain SELECT -----------------------------------------------------------------

    def simple_select(self, node: ast.SelectStmt) -> Query:
        if not node.fromClause and node.targetList:
            self.lift_target_srf(node)
        from_sql = self.from_clause(node.fromClause or [])
        from_sql = self.lockstep_target_srfs(node, from_sql)  # SRFs left in the select list
        self.windows = {w.name: w for w in node.windowClause or ()}
        where = ""
        if node.whereClause is not None:
            self.agg_forbidden = "WHERE"
            cond = self.bool_expr(node.whereClause, "WHERE")
            self.agg_forbidden = None
            where = f" WHERE {cond.sql}"
        targets, names = self.target_list(node.targetList or [])
        group = self.group_by(node.groupClause or [], targets, names)
        having = ""
        if node.havingClause is not None:
            having = f" HAVING {self.bool_expr(node.havingClause, 'HAVING').sql}"
        aggregated = bool(group) or bool(having) or any(t.has_agg for t in targets)
        if aggregated:
            self.check_grouping(targets, group)
        if node.lockingClause:
            self.writes = True  # FOR UPDATE/SHARE: take the writer lock (rows cannot change under us)
            self.need_lock_privileges(node.lockingClause)
        distinct = ""
        if node.distinctClause is not None:
            if node.distinctClause and node.distinctClause[0] is not None:
                return self.distinct_on(node, targets, names, from_sql, where, group, having)
            distinct = "DISTINCT "
        targets = [self.finalize_unknown(t) for t in targets]
        order = self.order_by(node.sortClause or [], targets, names)
        limit = self.limit(node)
        sel = ", ".join(f"{t.sql} AS c{i}" for i, t in enumerate(targets)) or "NULL AS c0"
        group_sql = f" GROUP BY {', '.join(g.sql for g in group)}" if group else ""
        sql = f"SELECT {distinct}{sel}{from_sql}{where}{group_sql}{having}{order}{limit}"
        cols = [ColInfo(n, t.oid, t.typmod, "", t.table_oid, t.attnum) for t, n in zip(targets, names)]
        one_row = aggregated and not group and not node.havingClause and not distinct
        return Query(sql, cols, extra={"simple": not order and not limit, "one_row": one_row})

    def distinct_on(self, node, targets, names, from_sql, where, group, having) -> Query:
        keys = [self.finalize_unknown(self.expr(e)) for e in node.distinctClause]
        targets = [self.finalize_unknown(t) for t in targets]
        items = [self.sort_parts(s, targets, names, inline=True) for s in node.sortClause or ()]
        part = ", ".join(k.sql for k in keys)
        inner_order = ("ORDER BY " + ", ".join(e + sfx for e, sfx in items)) if items else ""
        sel = ", ".join(f"{t.sql} AS c{i}" for i, t in enumerate(targets))
        extra = "".join(f", {e} AS o{i}" for i, (e, _) in enumerate(items))
        group_sql = f" GROUP BY {', '.join(g.sql for g in group)}" if group else ""
        inner = (f"SELECT {sel}{extra}, row_number() OVER (PARTITION BY {part} {inner_order}) AS rn"
                 f"{from_sql}{where}{group_sql}{having}")
        outer_cols = ", ".join(f"d.c{i} AS c{i}" for i in range(len(targets)))
        outer_order = (" ORDER BY " + ", ".join(f"d.o{i}{sfx}" for i, (_, sfx) in enumerate(items))) if items else ""
        limit = self.limit(node)
        cols = [ColInfo(n, t.oid, t.typmod, "", t.table_oid, t.attnum) for t, n in zip(targets, names)]
        return Query(f"SELECT {outer_cols} FROM ({inner}) AS d WHERE d.rn = 1{outer_order}{limit}", cols)

    def lift_target_srf(self, node: ast.SelectStmt) -> None:
        """SELECT generate_series(1, 3) (no FROM): the set-returning call becomes the FROM item."""
        srfs = [i for i, rt in enumerate(node.targetList)
                if isinstance(rt.val, ast.FuncCall) and rt.val.funcname[-1].sval in _SRF_NAMES and not rt.val.over]
        if len(srfs) != 1:
            return
        i = srfs[0]
        rt = node.targetList[i]
        name = rt.val.funcname[-1].sval
        alias = ast.Alias(aliasname="pgsvc$srf", colnames=(ast.String(sval=name),))
        node.fromClause = (ast.RangeFunction(lateral=False, ordinality=False, is_rowsfrom=False,
                                             functions=((rt.val, None),), alias=alias),)
        targets = list(node.targetList)
        targets[i] = ast.ResTarget(name=rt.name or name, val=ast.ColumnRef(
            fields=(ast.String(sval="pgsvc$srf"), ast.String(sval=name))))
        node.targetList = tuple(targets)

    def target_list(self, items) -> tuple[list[Ex], list[str]]:
        targets, names = [], []
        for rt in items:
            val = rt.val
            if isinstance(val, ast.ColumnRef) and isinstance(val.fields[-1], ast.A_Star):
                alias = val.fields[-2].sval if len(val.fields) > 1 else None
                for c in self.scope.star(alias, _loc(val)):
                    targets.append(Ex(c.sql, c.oid, c.typmod, name=c.name, table_oid=c.table_oid,
                                      attnum=c.attnum))
                    names.append(c.name)
                continue
            ex = self.expr(val)
            targets.append(ex)
            names.append(rt.name or ex.name)
        return targets, names

    def group_by(self, items, targets: list[Ex], names: list[str]) -> list[Ex]:
        out = []
        for g in items:
            if isinstance(g, ast.GroupingSet):
                raise SqlError("0A000", "GROUPING SETS, ROLLUP and CUBE are not supported", position=_loc(g))
            pos = self.positional(g)
            if pos is not None:
                if not 1 <= pos <= len(targets):
                    raise SqlError("42P10", f"GROUP BY position {pos} is not in select list", position=_loc(g))
                out.append(targets[pos - 1])
                continue
            if isinstance(g, ast.ColumnRef) and len(g.fields) == 1 and isinstance(g.fields[0], ast.String):
                try:
                    out.append(self.expr(g))
                    continue
                except SqlError:
                    if g.fields[0].sval in names:
                        out.append(targets[names.index(g.fields[0].sval)])
                        continue
                    raise
            out.append(self.expr(g))
        return out

    def check_grouping(self, targets: list[Ex], group: list[Ex]) -> None:
        grouped = {g.sql for g in group}
        for t in targets:
            if t.has_agg or t.sql in grouped or not t.table_oid and not t.attnum and t.name != "?column?" \
                    and not _is_colref_sql(t.sql):
                continue
            if _is_colref_sql(t.sql) and t.sql not in grouped:
                rel = self.catalog.by_oid.get(t.table_oid) if t.table_oid else None
                if rel is not None and self.pk_grouped(rel, grouped, t.sql):
                    continue
                qual = t.sql.split(".")[0].strip('"')
                raise SqlError("42803", f'column "{qual}.{t.name}" must appear in the GROUP BY clause or be '
                               "used in an aggregate function")

    def pk_grouped(self, rel, grouped: set[str], colsql: str) -> bool:
        alias = colsql.split(".")[0]
        for c in rel.constraints:
            if c.contype == "p":
                return all(f'{alias}."{rel.attr_by_num(k).name}"' in grouped for k in c.keys)
        return False

    def positional(self, node) -> int | None:
        if isinstance(node, ast.A_Const) and isinstance(node.val, ast.Integer):
            return node.val.ival
        if isinstance(node, ast.ParamRef) and self.is_literal_param(node.number):
            v = self.structural_literal(node)
            return int(v) if v is not None and str(v).lstrip("-").isdigit() else None
        return None

    def order_by(self, items, targets: list[Ex], names: list[str]) -> str:
        if not items:
            return ""
        return " ORDER BY " + ", ".join(self.sort_item(s, targets, names) for s in items)

    def sort_item(self, s: ast.SortBy, targets: list[Ex] | None = None, names: list[str] | None = None) -> str:
        expr, suffix = self.sort_parts(s, targets, names)
        return expr + suffix

    def sort_parts(self, s: ast.SortBy, targets=None, names=None, inline: bool = False) -> tuple[str, str]:
        """(expression, ' COLLATE .. DESC NULLS ..'); inline: output columns as their expressions."""
        node = s.node
        ex = None
        if targets is not None:
            pos = self.positional(node)
            if pos is not None:
                if not 1 <= pos <= len(targets):
                    raise SqlError("42P10", f"ORDER BY position {pos} is not in select list", position=_loc(node))
                t = targets[pos - 1]
                ex = Ex(t.sql if inline else f"c{pos - 1}", t.oid, notnull=t.notnull)
            elif isinstance(node, ast.ColumnRef) and len(node.fields) == 1 and \
                    isinstance(node.fields[0], ast.String) and node.fields[0].sval in names:
                i = names.index(node.fields[0].sval)
                t = targets[i]
                ex = Ex(t.sql if inline else f"c{i}", t.oid, notnull=t.notnull)
        if ex is None:
            ex = self.finalize_unknown(self.expr(node))
        d = enums.SortByDir
        desc = s.sortby_dir == d.SORTBY_DESC
        if s.sortby_dir == d.SORTBY_USING:
            op = s.useOp[-1].sval
            if op not in ("<", ">", "~<~", "~>~"):
                raise SqlError("0A000", f"ORDER BY USING {op} is not supported", position=_loc(s))
            desc = op in (">", "~>~")
        n = enums.SortByNulls
        nulls_first = desc if s.sortby_nulls == n.SORTBY_NULLS_DEFAULT else s.sortby_nulls == n.SORTBY_NULLS_FIRST
        nulls_sql = "" if ex.notnull else (" NULLS FIRST" if nulls_first else " NULLS LAST")
        return ex.sql, f"{_collate(ex.oid)}{' DESC' if desc else ''}{nulls_sql}"

    def limit(self, node: ast.SelectStmt) -> str:
        if node.limitOption == enums.LimitOption.LIMIT_OPTION_WITH_TIES:
            raise SqlError("0A000", "FETCH ... WITH TIES is not supported")
        out = ""
        if node.limitCount is not None:
            c = self.coerce(self.expr(node.limitCount), O.INT8)
            out = f" LIMIT coalesce({c.sql}, -1)" if not c.is_null else " LIMIT -1"
        if node.limitOffset is not None:
            o = self.coerce(self.expr(node.limitOffset), O.INT8)
            out = (out or " LIMIT -1") + f" OFFSET {o.sql}"
        return out

    # --- FROM ---------------------------------------------------------------------

    def from_clause(self, items) -> str:
        if not items:
            return ""
        return " FROM " + ", ".join(self.from_item(i) for i in items)

    def from_item(self, node) -> str:
        if isinstance(node, ast.RangeVar):
            return self.range_var(node)
        if isinstance(node, ast.JoinExpr):
            return self.join(node)
        if isinstance(node, ast.RangeSubselect):
            if node.alias is None:
                raise SqlError("42601", "subquery in FROM must have an alias")
            if node.lateral:
                return self.lateral_subquery(node)
            q = self.plain_subquery(node)
            return self.add_derived(node.alias, q.columns, q.sql_paren())
        if isinstance(node, ast.RangeFunction):
            return self.range_function(node)
        raise SqlError("0A000", f"{type(node).__name__} in FROM is not supported")

    def add_derived(self, alias: ast.Alias, cols: list[ColInfo], sql: str) -> str:
        name = alias.aliasname
        colnames = [c.sval for c in alias.colnames or ()]
        sa = self.new_alias(name)
        entry_cols = [ColInfo(colnames[i] if i < len(colnames) else c.name, c.oid, c.typmod, f"{sa}.c{i}")
                      for i, c in enumerate(cols)]
        self.scope.add(RangeEntry(name, entry_cols))
        return f"{sql} AS {sa}"

    def new_alias(self, name: str) -> str:
        self.alias_seq += 1
        return quote_sqlite_ident(f"{name}_{self.alias_seq}")

    def range_var(self, rv: ast.RangeVar) -> str:
        name = rv.relname
        alias = rv.alias.aliasname if rv.alias else name
        if rv.schemaname is None and name in self.ctes:
            cols = self.ctes[name]
            sa = self.new_alias(alias)
            colnames = [c.sval for c in rv.alias.colnames or ()] if rv.alias else []
            entry = [ColInfo(colnames[i] if i < len(colnames) else c.name, c.oid, c.typmod, f"{sa}.c{i}")
                     for i, c in enumerate(cols)]
            self.scope.add(RangeEntry(alias, entry), _loc(rv))
            return f"{quote_sqlite_ident('cte_' + name)} AS {sa}"
        # pg_catalog relations first, information_schema's when named (or on the search path)
        rel = syscat.lookup(self, rv) or infoschema.lookup(self, rv) or self.relation(rv)
        if rel.schema not in ("pg_catalog", "information_schema"):  # both readable by PUBLIC
            self.need(rel, "r")
        if rel.kind == "v":
            q = self.view_query(rel)
            return self.add_derived(rv.alias or ast.Alias(aliasname=name), q.columns, q.sql_paren())
        if rel.kind == "S":
            # a sequence reads as its one row, as in PostgreSQL (pg_dump takes last_value
            # and is_called from it); pgsvc caches no values, so log_cnt is always 0
            cols = [ColInfo("last_value", 20), ColInfo("log_cnt", 20), ColInfo("is_called", 16)]
            return self.add_derived(rv.alias or ast.Alias(aliasname=name), cols,
                                    "(SELECT last_value AS c0, 0 AS c1, is_called AS c2 "
                                    f'FROM main."pgsvc$sequence" WHERE relid = {rel.oid})')
        sa = self.new_alias(alias)
        colnames = [c.sval for c in rv.alias.colnames or ()] if rv.alias else []
        cols = [ColInfo(colnames[i] if i < len(colnames) else a.name, a.type_oid, a.typmod,
                        f'{sa}.{quote_sqlite_ident(a.name)}', rel.oid, a.attnum, a.notnull)
                for i, a in enumerate(rel.attrs)]
        self.scope.add(RangeEntry(alias, cols, rel), _loc(rv))
        children = self.descendants(rel) if rv.inh else []
        if children:
            # parent* (the default): the parent's rows and every descendant's, in the parent's columns
            names = ", ".join(quote_sqlite_ident(a.name) for a in rel.attrs)
            parts = [f"SELECT {names} FROM {quote_sqlite_ident(rel.sqlite_name)}"]
            parts += [f"SELECT {names} FROM {quote_sqlite_ident(c.sqlite_name)}" for c in children]
            return f"({' UNION ALL '.join(parts)}) AS {sa}"
        return f"{quote_sqlite_ident(rel.sqlite_name)} AS {sa}"

    def need_lock_privileges(self, clauses) -> None:
        """FOR UPDATE/SHARE needs UPDATE on the locked tables too (PostgreSQL's
        ACL_SELECT_FOR_UPDATE): those named in OF, else every table of this FROM."""
        named = {rv.relname for c in clauses for rv in c.lockedRels or ()}
        for entry in self.scope.entries:
            if entry.relation is not None and entry.relation.schema != "pg_catalog" and \
                    (not named or entry.alias in named):
                self.need(entry.relation, "w")

    def descendants(self, rel) -> list:
        out, todo = [], [rel.oid]
        while todo:
            oid = todo.pop(0)
            for r in self.catalog.by_oid.values():
                if r.kind == "r" and oid in r.options.get("inherits", ()) and r not in out:
                    out.append(r)
                    todo.append(r.oid)
        return out

    def join(self, j: ast.JoinExpr) -> str:
        jt = enums.JoinType
        start = len(self.scope.entries)
        left = self.from_item(j.larg)
        mid = len(self.scope.entries)
        saved_outer, self.lateral_outer_join = (self.lateral_outer_join,
                                                j.jointype in (jt.JOIN_RIGHT, jt.JOIN_FULL))
        try:
            right = self.from_item(j.rarg)
        finally:
            self.lateral_outer_join = saved_outer
        if isinstance(j.rarg, ast.JoinExpr):
            right = f"({right})"  # a JOIN (b JOIN c ON ..) ON ..: SQLite needs the parentheses
        kind = {jt.JOIN_INNER: "JOIN", jt.JOIN_LEFT: "LEFT JOIN", jt.JOIN_FULL: "FULL JOIN",
                jt.JOIN_RIGHT: "RIGHT JOIN"}.get(j.jointype)
        if kind is None:
            raise SqlError("0A000", "this join type is not supported")
        nullable = {"LEFT JOIN": (mid, None), "RIGHT JOIN": (start, mid), "FULL JOIN": (start, None)}.get(kind)
        if nullable is not None:
            # the outer join's nullable side: its NOT NULL columns can be NULL here
            for e in self.scope.entries[nullable[0]:nullable[1]]:
                e.cols = [ColInfo(c.name, c.oid, c.typmod, c.sql, c.table_oid, c.attnum, False) for c in e.cols]
                if e.star_cols is not None:
                    e.star_cols = [ColInfo(c.name, c.oid, c.typmod, c.sql, c.table_oid, c.attnum, False)
                                   for c in e.star_cols]
        if j.isNatural or j.usingClause:
            sql = self.join_using(j, left, right, kind, start, mid)
        elif j.quals is None:
            sql = f"{left} {'CROSS JOIN' if kind == 'JOIN' else kind} {right}" + ("" if kind == "JOIN" else " ON 1")
        else:
            cond = self.bool_expr(j.quals, "JOIN/ON")
            sql = f"{left} {kind} {right} ON {cond.sql}"
        if j.alias is not None:
            self.alias_join(start, j.alias)
        return sql

    def alias_join(self, start: int, alias: ast.Alias) -> None:
        """(a JOIN b) AS x (c1, ...): the join's columns under one name; a and b become invisible."""
        ents = self.scope.entries[start:]
        cols = []
        for e in ents:
            cols.extend(c for c in (e.star_cols if e.star_cols is not None else e.cols)
                        if e.alias is None or c.name not in e.hidden)
        names = [c.sval for c in alias.colnames or ()]
        if len(names) > len(cols):
            raise SqlError("42P10", f'table "{alias.aliasname}" has {len(cols)} columns available but '
                           f"{len(names)} columns specified")
        cols = [ColInfo(names[i] if i < len(names) else c.name, c.oid, c.typmod, c.sql, c.table_oid, c.attnum,
                        c.notnull) for i, c in enumerate(cols)]
        self.scope.hidden_aliases.update(e.alias for e in ents if e.alias is not None)
        del self.scope.entries[start:]
        self.scope.add(RangeEntry(alias.aliasname, cols))

    def join_using(self, j, left, right, kind, start, mid) -> str:
        lents, rents = self.scope.entries[start:mid], self.scope.entries[mid:]

        def visible(ents):
            out = {}
            for e in ents:
                for c in (e.star_cols if e.star_cols is not None else e.cols):
                    if c.name not in e.hidden:
                        out.setdefault(c.name, (e, c))
            return out
        lv, rv = visible(lents), visible(rents)
        if j.isNatural:
            names = [n for n in lv if n in rv]
        else:
            names = [n.sval for n in j.usingClause]
        conds, merged = [], []
        for n in names:
            if n not in lv:
                raise SqlError("42703", f'column "{n}" specified in USING clause does not exist in left table')
            if n not in rv:
                raise SqlError("42703", f'column "{n}" specified in USING clause does not exist in right table')
            (le, lc), (re_, rc) = lv[n], rv[n]
            cmp = self.compare("=", Ex(lc.sql, lc.oid), Ex(rc.sql, rc.oid), None)
            conds.append(cmp.sql)
            t = R.common_type([lc.oid, rc.oid], "JOIN/USING")
            sql = {"RIGHT JOIN": rc.sql, "FULL JOIN": f"coalesce({lc.sql}, {rc.sql})"}.get(kind, lc.sql)
            merged.append(ColInfo(n, t, -1, sql))
            for e in (le, re_):
                e.hidden = set(e.hidden) | {n}
                base = e.star_cols if e.star_cols is not None else e.cols
                e.star_cols = [c for c in base if c.name != n]
        self.scope.entries.insert(start, RangeEntry(None, merged))
        if j.join_using_alias is not None:
            self.scope.add(RangeEntry(j.join_using_alias.aliasname, list(merged)))
            self.scope.entries[-1].hidden = {c.name for c in merged}
            self.scope.entries[-1].star_cols = []
        on = " AND ".join(conds) if conds else "1"
        return f"{left} {kind} {right} ON {on}"

    def range_function(self, node: ast.RangeFunction) -> str:
        if node.is_rowsfrom or len(node.functions) != 1:
            raise SqlError("0A000", "this function in FROM is not supported")
        call = node.functions[0][0]
        if not isinstance(call, ast.FuncCall):
            raise SqlError("0A000", "this function in FROM is not supported")
        name = call.funcname[-1].sval
        alias = node.alias or ast.Alias(aliasname=name)
        if name == "pg_partition_ancestors":
            return self.no_partitions(node, alias, call)
        args = [self.expr(a) for a in call.args or ()]
        if name == "unnest" and len(args) == 1:
            return self.unnest_item(node, alias, args[0])
        if name == "unnest" and len(args) > 1:
            return self.unnest_zip(node, alias, args)  # pgsvc.sql.translate.tlist_srf
        if any('"' in a.sql for a in args) and not (
                name == "generate_series" and not node.ordinality and self.outer_only(call.args)):
            # arguments read other FROM items (implicitly LATERAL) or outer queries
            return self.lateral_function(node, call, name, alias, args)
        if node.ordinality:
            raise SqlError("0A000", f"WITH ORDINALITY on {name}() is not supported", position=_loc(call))
        if name == "generate_series" and len(args) in (2, 3):
            t = R.common_type([a.oid for a in args], "generate_series")
            if t not in (O.INT4, O.INT8, O.INT2, O.UNKNOWN):
                return self.materialised_srf(node, call, name, alias, args)
            t = O.INT8 if t == O.INT8 else O.INT4
            a, b = self.coerce(args[0], t), self.coerce(args[1], t)
            step = self.coerce(args[2], t).sql if len(args) == 3 else "1"
            sql = (f"(WITH RECURSIVE g(v, b, s) AS (SELECT {a.sql}, {b.sql}, {series_step(step)} "
                   f"UNION ALL SELECT v + s, b, s FROM g WHERE (s > 0 AND v + s <= b) OR (s < 0 AND v + s >= b)) "
                   f"SELECT v AS c0 FROM g WHERE (s > 0 AND v <= b) OR (s < 0 AND v >= b))")
            col_name = alias.aliasname if not alias.colnames else alias.colnames[0].sval
            return self.add_derived(ast.Alias(aliasname=alias.aliasname, colnames=alias.colnames),
                                    [ColInfo(col_name if node.alias else "generate_series", t)], sql)
        return self.materialised_srf(node, call, name, alias, args)

    def outer_only(self, args) -> bool:
        """Do these expressions read no column of this query's own FROM items?"""
        inner = self.scope
        self.scope = Scope(parent=inner.parent)
        try:
            for a in args:
                self.expr(a)
            return True
        except SqlError:
            return False
        finally:
            self.scope = inner

    def no_partitions(self, node: ast.RangeFunction, alias: ast.Alias, call) -> str:
        """pg_partition_ancestors(rel) [WITH ORDINALITY]: pgsvc has no partitioned tables, so
        no relation is a partition and the set is empty (as PostgreSQL's for a plain table)."""
        for a in call.args or ():
            self.expr(a)
        names = [c.sval for c in alias.colnames or ()]
        cols = [ColInfo(names[0] if names else (alias.aliasname if node.alias else "pg_partition_ancestors"),
                        O.REGCLASS)]
        if node.ordinality:
            cols.append(ColInfo(names[1] if len(names) > 1 else "ordinality", O.INT8))
        sql = "(SELECT " + ", ".join(f"NULL AS c{i}" for i in range(len(cols))) + " WHERE 0)"
        return self.add_derived(ast.Alias(aliasname=alias.aliasname), cols, sql)

    def unnest_item(self, node: ast.RangeFunction, alias: ast.Alias, arg) -> str:
        """unnest(array) [WITH ORDINALITY] in FROM. SQLite's json_each is a table-valued
        function, which may read columns of the FROM items before it: that is LATERAL
        (implicit for functions in PostgreSQL), e.g. FROM t CROSS JOIN LATERAL unnest(t.arr)."""
        from pgsvc.sql.types.pg_type import find_oid
        t = find_oid(arg.oid)
        if t is None or not t.elem_oid or t.category != "A":
            raise SqlError("42804", "unnest() needs an array argument")
        names = [c.sval for c in alias.colnames or ()]
        sa = self.new_alias(alias.aliasname)
        cols = [ColInfo(names[0] if names else (alias.aliasname if node.alias else "unnest"), t.elem_oid,
                        -1, f"{sa}.value")]
        if node.ordinality:  # json_each's key counts from 0 (int2vector's subscripts too: the order is the same)
            cols.append(ColInfo(names[1] if len(names) > 1 else "ordinality", O.INT8, -1, f"({sa}.key + 1)"))
        if len(names) > len(cols):
            raise SqlError("42P10", f'table "{alias.aliasname}" has {len(cols)} columns available but '
                           f"{len(names)} columns specified")
        self.scope.add(RangeEntry(alias.aliasname, cols), _loc(node))
        return f"json_each({arg.sql}) AS {sa}"

    def materialised_srf(self, node, call, name, alias, args) -> str:
        """Other set-returning functions with constant arguments: run the generator now and
        inline its rows as VALUES (the statement is not cached: its rows depend on the values)."""
        from pgsvc.sql.translate import resolve as Rs
        from pgsvc.sql.functions.session_sigs import EXTRA_FUNCTIONS
        sig = Rs.resolve_function(name, [a.oid for a in args], _loc(call), extra=EXTRA_FUNCTIONS)
        if sig.kind != "set" or sig.generator is None:
            raise SqlError("0A000", f"function {name}() in FROM is not supported")
        coerced = [self.coerce(a, t) if t not in O.ANY_OIDS else self.finalize_unknown(a)
                   for a, t in zip(args, sig.arg_oids)]
        if any(_refers_to_something(c.sql) for c in coerced):
            raise SqlError("0A000", f"{name}() in FROM with non-constant arguments is not supported")
        self.cacheable = False
        from pgsvc.sql.types import sqlite_adapter
        row = self.engine.conn.execute("SELECT " + ", ".join(c.sql for c in coerced)).fetchone()
        values = [sqlite_adapter(c.oid)[1](v) if v is not None and sqlite_adapter(c.oid)[1] else v
                  for c, v in zip(coerced, row)]
        ret = sig.ret_oid
        if ret in O.ANY_OIDS:
            from pgsvc.sql.types.pg_type import find_oid
            ret = find_oid(coerced[0].oid).elem_oid if ret == O.ANYELEMENT and find_oid(coerced[0].oid) else ret
        to_s = sqlite_adapter(ret)[0]
        from pgsvc.sql.translate.expr import sql_literal
        rows = [sql_literal(to_s(v) if to_s and v is not None else v) for v in sig.generator(*values)]
        sql = ("(SELECT column1 AS c0 FROM (VALUES " + ", ".join(f"({r})" for r in rows) + "))") if rows \
            else "(SELECT NULL AS c0 WHERE 0)"
        col = alias.colnames[0].sval if alias.colnames else (alias.aliasname if node.alias else name)
        return self.add_derived(alias, [ColInfo(col, ret)], sql)


def series_step(step: str) -> str:
    """generate_series' step, refused when zero with PostgreSQL's error."""
    return (f"(CASE WHEN ({step}) = 0 THEN pgsvce_raise('22023', 'step size cannot equal zero') "
            f"ELSE ({step}) END)")


_SRF_NAMES = {"generate_series", "unnest", "regexp_matches", "pg_partition_ancestors"}
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")


def _refers_to_something(sql: str) -> bool:
    """An argument that is not a constant: a parameter (?N) or a column ("..."), looked
    for outside string literals (a pattern such as '(b)(c)?' is a constant)."""
    bare = _STRING_LITERAL.sub("", sql)
    return "?" in bare or '"' in bare


def _is_colref_sql(sql: str) -> bool:
    parts = sql.split(".")
    return len(parts) == 2 and parts[0].startswith('"') and parts[1].startswith('"') and " " not in sql
