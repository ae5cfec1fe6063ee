"""SELECT: WITH, the target list, WHERE, GROUP BY/HAVING, DISTINCT [ON], window definitions, ORDER BY with PostgreSQL's
NULL ordering (NULLS LAST for ASC, FIRST for DESC: SQLite's default is the opposite),
LIMIT/OFFSET/FETCH, set operations and VALUES. FROM items are
pgsvc.sql.translate.from_items'; both are mixed into the Translator.

Output columns are emitted as "c0", "c1", ...; `Query.columns` carries the PostgreSQL
names and types.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.ex import Ex, collate_clause, location
from pgsvc.sql.translate.grouping import check_grouping, has_aggregate, outer_only
from pgsvc.sql.translate.grouping_sets import needs_grouping_sets
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.names import ColInfo, RangeEntry, Scope
from pgsvc.sql.translate.tlist_srf import SRF_NAMES, lockstep_only
from pgsvc.sql.translate.wcte import recursive_order
from pgsvc.sql.translate.ordered_set import inner_window_position
from pgsvc.sql.translate.locking import check_locked_relations, check_select_locking
from pgsvc.sql.translate.search_cycle import expand_search_cycle
from pgsvc.sql.translate.recursion import check_recursion, check_recursive_types, future_cte_error, \
    materialized, seed_query
from pgsvc.sql.translate.with_ties import with_ties
from pgsvc.sql.types import oids as O


@dataclass
class Query:
    sql: str
    columns: list[ColInfo]
    order_free: bool = True
    extra: dict = field(default_factory=dict)

    def sql_paren(self) -> str:
        return f"({self.sql})"


def _counted_set_operation(op: str, left: str, right: str, width: int) -> str:
    """INTERSECT ALL / EXCEPT ALL, which SQLite lacks: each row numbered among its equals on
    its side, so that the distinct operation over (row, number) keeps min(m, n) copies of a
    row (INTERSECT) or max(m - n, 0) (EXCEPT), as PostgreSQL's SetOp counts them."""
    cols = ", ".join(f"c{i}" for i in range(max(width, 1)))  # (no columns: each side has its NULL AS c0)

    def numbered(sql: str) -> str:
        return f"SELECT {cols}, row_number() OVER (PARTITION BY {cols}) AS n FROM ({sql})"
    return f"SELECT {cols} FROM ({numbered(left)} {op} {numbered(right)})"


class SelectMixin:
    def subquery(self, node, parent: Scope | None | bool = True) -> Query:
        """parent: the scope the subquery may reference (True: the current one)."""
        saved = (self.scope, self.agg_forbidden, self.windows)
        self.scope = Scope(parent=self.scope if parent is True else parent)
        if parent is True:
            self.scope.outer_clause = self.agg_forbidden
        self.agg_forbidden = None
        try:
            return self.select(node)
        finally:
            self.scope, self.agg_forbidden, self.windows = saved

    def select(self, node: ast.SelectStmt) -> Query:
        top = self.enter_statement()  # (translate.wcte: data-modifying WITH queries)
        with_sql = self.with_clause(node.withClause, top, node) if node.withClause else ""
        if node.op != enums.SetOperation.SETOP_NONE:
            q = self.set_operation(node)
        elif node.valuesLists:
            q = self.values(node.valuesLists)
        else:
            q = self.simple_select(node)
            q = Query(with_sql + q.sql, q.columns) if with_sql else q
            return self.wcte_query(q) if top and self.wcte_steps is not None else q
        if node.sortClause or node.limitCount is not None or node.limitOffset is not None:
            q.extra = {}
        locs = q.extra.get("locs", ())
        q = self.order_limit_outer(q, node)
        q = Query(with_sql + q.sql, q.columns, extra={"locs": locs})
        return self.wcte_query(q) if top and self.wcte_steps is not None else q

    # --- WITH ---------------------------------------------------------------------

    def with_clause(self, w: ast.WithClause, top: bool = False, owner=None) -> str:
        parts, recursive = self.with_parts(w, top, owner)
        if not parts:
            return ""
        return ("WITH RECURSIVE " if recursive else "WITH ") + ", ".join(parts) + " "

    def with_parts(self, w: ast.WithClause, top: bool, owner=None) -> tuple[list[str], bool]:
        started: list[str] = []
        try:
            return self.with_parts_of(w, top, started, owner)
        except SqlError as err:
            future_cte_error(err, w, len(started))  # its detail and hint (translate.recursion)
            raise

    def with_parts_of(self, w: ast.WithClause, top: bool, started: list, owner) -> tuple[list[str], bool]:
        self.check_dml_ctes(w, top)  # translate.wcte
        if w.recursive:
            check_recursion(w, self.catalog)  # translate.recursion
        parts: list[str] = []
        for cte in recursive_order(w) if w.recursive else w.ctes:  # (translate.wcte)
            name = cte.ctename
            started.append(name)
            q = cte.ctequery
            if not isinstance(q, ast.SelectStmt):  # INSERT / UPDATE / DELETE (translate.wcte)
                cols, part = self.dml_cte(cte, parts, bool(w.recursive))
                self.ctes[name] = cols
                if part is not None:
                    parts.append(part)
                continue
            if cte.search_clause is not None or cte.cycle_clause is not None:  # translate.search_cycle
                cte = expand_search_cycle(self, cte, bool(w.recursive)) or cte
                q = cte.ctequery
            if w.recursive and q.op == enums.SetOperation.SETOP_UNION:
                seed = self.subquery(seed_query(q))  # (translate.recursion)
                self.ctes[name] = self.cte_columns(cte, seed.columns)
            sub = self.subquery(q)
            if w.recursive and q.op == enums.SetOperation.SETOP_UNION:
                check_recursive_types(cte, seed, sub)  # translate.recursion
            cols = self.cte_columns(cte, sub.columns)
            self.ctes[name] = cols
            parts.append(f"{quote_sqlite_ident('cte_' + name)}({', '.join('c%d' % i for i in range(len(cols)))}) "
                         f"AS {materialized(cte, w, owner, self.catalog)}({sub.sql})")  # (translate.recursion)
        return parts, bool(w.recursive)

    def cte_columns(self, cte, cols: list[ColInfo]) -> list[ColInfo]:
        names = [n.sval for n in cte.aliascolnames or ()]
        if len(names) > len(cols):
            raise SqlError("42P10", f'WITH query "{cte.ctename}" has {len(cols)} columns available but '
                                    f"{len(names)} columns specified", position=location(cte))
        out = []
        for i, c in enumerate(cols):
            out.append(ColInfo(names[i] if i < len(names) else c.name, c.oid, c.typmod, row_types=c.row_types))
        return out

    # --- set operations and VALUES --------------------------------------------------

    def set_operation(self, node: ast.SelectStmt) -> Query:
        check_select_locking(node, False)
        op = {enums.SetOperation.SETOP_UNION: "UNION", enums.SetOperation.SETOP_INTERSECT: "INTERSECT",
              enums.SetOperation.SETOP_EXCEPT: "EXCEPT"}[node.op]
        left = self.subquery(node.larg)
        right = self.subquery(node.rarg)
        if len(left.columns) != len(right.columns):
            raise SqlError("42601", f"each {op} query must have the same number of columns",
                           position=next(iter(right.extra.get("locs", ())), None))
        cols = []
        lparts, rparts = [], []
        plain = left.extra.get("simple") and right.extra.get("simple") and not right.extra.get("compound")
        llits, rlits = left.extra.get("lits", {}), right.extra.get("lits", {})
        llocs, rlocs = left.extra.get("locs", ()), right.extra.get("locs", ())
        locs = []
        for i, (lc, rc) in enumerate(zip(left.columns, right.columns)):
            # an untyped NULL or string literal of a plain SELECT (a leaf) takes the other side's
            # type (transformSetOperationTree's select_common_type sees its unknown)
            lo, ro = (O.UNKNOWN if i in q.extra.get("unknown", ()) or i in lits else c.oid
                      for q, c, lits in ((left, lc, llits), (right, rc, rlits)))
            lpos, rpos = (ls[i] if i < len(ls) else None for ls in (llocs, rlocs))
            t = R.common_type([lo, ro], op, rpos if lo != O.UNKNOWN else lpos)
            if t not in (lc.oid, rc.oid) or lc.oid != rc.oid:
                plain = False
            if not node.all and t in _NO_EQUALITY:
                raise SqlError("42883", f"could not identify an equality operator for type {R.format_type(t, -1)}",
                               position=lpos)
            locs.append(lpos if lo != O.UNKNOWN or ro == O.UNKNOWN else rpos)
            cols.append(ColInfo(lc.name, t, lc.typmod if lc.typmod == rc.typmod else -1))
            for parts, c, o, lit, pos in ((lparts, lc, lo, llits.get(i), lpos), (rparts, rc, ro, rlits.get(i), rpos)):
                if lit is not None and t != O.TEXT:  # the leaf's literal, the same in each of its rows
                    if lit.param and self.param_oids[lit.param - 1] == O.TEXT:
                        self.param_oids[lit.param - 1] = O.UNKNOWN  # (finalize_unknown took it as text)
                    try:
                        parts.append(self.coerce(lit, t, position=pos).sql + f" AS c{i}")
                    except SqlError as err:
                        err.position = err.position or pos
                        raise
                else:
                    parts.append(self.coerce(Ex(f"c{i}", c.oid if o != O.UNKNOWN or t == O.TEXT else o), t).sql
                                 + f" AS c{i}")
        word = f"{op}{' ALL' if node.all else ''}"
        extra = {"simple": True, "compound": True, "locs": tuple(locs)}
        if node.all and op != "UNION":
            return Query(_counted_set_operation(op, f"SELECT {', '.join(lparts) or 'c0'} FROM {left.sql_paren()}",
                                                f"SELECT {', '.join(rparts) or 'c0'} FROM {right.sql_paren()}",
                                                len(cols)),
                         cols, extra={"locs": tuple(locs)})
        if plain:
            # SQLite evaluates a compound left to right, as PostgreSQL's left-deep tree does; the
            # recursive term of a WITH RECURSIVE must not be wrapped in a subquery.
            return Query(f"{left.sql} {word} {right.sql}", cols, extra=extra)
        # a right side that needs no cast stays unwrapped: it may be the recursive term of a
        # WITH RECURSIVE, which SQLite refuses inside a subquery ("circular reference")
        bare = right.extra.get("simple") and not right.extra.get("compound") and \
            all(p == f"c{i} AS c{i}" for i, p in enumerate(rparts))
        rsql = right.sql if bare else f"SELECT {', '.join(rparts)} FROM {right.sql_paren()}"
        sql = f"SELECT {', '.join(lparts)} FROM {left.sql_paren()} {word} {rsql}"
        return Query(sql, cols, extra=extra)

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
        if node.targetList:
            outer = self.grouped_target_srfs(node)  # translate.tlist_srf: SRFs after grouping
            if outer is not None:
                return self.simple_select(outer)
        if not node.fromClause and node.targetList:
            self.lift_target_srf(node)
        saved_stmt, self.row_stmt = self.row_stmt, node  # (translate.from_items: row_marker)
        try:
            from_sql = self.from_clause(node.fromClause or [])
        finally:
            self.row_stmt = saved_stmt
        if self.catalog.routines_named:  # set-returning user functions (translate.routines)
            from_sql = self.user_target_srfs(node, from_sql)
        from_sql = self.lockstep_target_srfs(node, from_sql)  # SRFs left in the select list
        self.windows = {w.name: w for w in node.windowClause or ()}
        where = ""
        if node.whereClause is not None:
            self.agg_forbidden = "WHERE"
            cond = self.bool_expr(node.whereClause, "WHERE")
            self.agg_forbidden = None
            where = f" WHERE {cond.sql}"
        if node.groupClause and needs_grouping_sets(node):
            gs = self.grouping_sets_begin(node)  # translate.grouping_sets
            try:
                return self.grouped_by_sets(node, gs, from_sql, where)
            finally:
                self.grouping_sets_end(gs)
        targets, names = self.target_list(node.targetList or [])
        group = self.group_by(node.groupClause or [], targets, names)
        having = ""
        if node.havingClause is not None:
            having = f" HAVING {self.bool_expr(node.havingClause, 'HAVING').sql}"
        having = self.hold_outer_aggregates(having)
        aggregated = bool(group) or bool(having) or any(t.has_agg for t in targets) or self.scope.outer_aggregated \
            or has_aggregate((node.targetList, node.sortClause), self.catalog, self.outer_aggregates)
        if aggregated:
            check_grouping(self, node, names)
        if node.lockingClause:
            self.writes = True  # FOR UPDATE/SHARE: take the writer lock (rows cannot change under us)
            check_select_locking(node, any(t.has_agg for t in targets))
            check_locked_relations(node, self.ctes)
            self.need_lock_privileges(node.lockingClause)
            where = self.rls_lock_where(node.lockingClause, where)  # translate.row_security
        distinct = ""
        if node.distinctClause is not None:
            if node.distinctClause and node.distinctClause[0] is not None:
                return self.distinct_on(node, targets, names, from_sql, where, group, having)
            distinct = "DISTINCT "
        unknown = frozenset(i for i, t in enumerate(targets) if t.oid == O.UNKNOWN and t.is_null)  # (set_operation)
        lits = {} if distinct or node.groupClause else {  # (DISTINCT, GROUP BY resolve them to text first)
            i: t for i, t in enumerate(targets) if t.oid == O.UNKNOWN and not t.is_null and (t.lit is not None or t.param)}
        locs = tuple(location(rt) for rt in node.targetList) \
            if node.targetList and len(node.targetList) == len(targets) else ()
        targets = [self.finalize_unknown(t) for t in targets]
        order = self.order_by(node.sortClause or [], targets, names)
        group_sql = f" GROUP BY {', '.join(g.sql for g in group)}" if group else ""
        if node.limitOption == enums.LimitOption.LIMIT_OPTION_WITH_TIES:  # translate.with_ties
            sql = with_ties(self, node, targets, names, f"SELECT {distinct}", f"{from_sql}{where}{group_sql}{having}")
            cols = [ColInfo(n, t.oid, t.typmod, "", t.table_oid, t.attnum, row_types=t.row_types)
                    for t, n in zip(targets, names)]
            return Query(sql, cols, extra={"locs": locs})
        limit = self.limit(node)
        sel = ", ".join(f"{t.sql} AS c{i}" for i, t in enumerate(targets)) or "NULL AS c0"
        sql = f"SELECT {distinct}{sel}{from_sql}{where}{group_sql}{having}{order}{limit}"
        if having and not group and not any(t.has_agg for t in targets):
            # HAVING alone makes one group, aggregates or not: SQLite wants one in the select list
            outer = ", ".join(f"c{i}" for i in range(len(targets))) or "c0"
            sql = (f"SELECT {outer} FROM (SELECT {distinct}{sel}, count(*) AS pgsvc_n"
                   f"{from_sql}{where}{having}{order}{limit})")
        cols = [ColInfo(n, t.oid, t.typmod, "", t.table_oid, t.attnum, row_types=t.row_types)
                for t, n in zip(targets, names)]
        one_row = aggregated and not group and not node.havingClause and not distinct
        return Query(sql, cols, extra={"simple": not order and not limit, "one_row": one_row, "unknown": unknown,
                                       "lits": lits, "locs": locs})

    def hold_outer_aggregates(self, having: str) -> str:
        """GROUP BY items that are aggregates of an enclosing query (grouped as constants:
        grouping.outer_only) still make that query aggregated: HAVING holds them."""
        held = self.__dict__.pop("held_outer_aggregates", None)
        if not held:
            return having
        return (having or " HAVING 1") + "".join(f" AND (({h}) IS NULL OR 1)" for h in held)

    def grouped_by_sets(self, node: ast.SelectStmt, gs, from_sql: str, where: str) -> Query:
        """The rest of simple_select for a query with grouping sets (translate.grouping_sets)."""
        targets, names = self.target_list(node.targetList or [])
        targets = self.gs_targets(gs, targets)
        having = ""
        if node.havingClause is not None:
            having = f" HAVING {self.bool_expr(node.havingClause, 'HAVING').sql}"
        having = self.hold_outer_aggregates(having)
        check_grouping(self, node, names, gs.checker)
        if node.lockingClause:
            check_select_locking(node, True)
        if node.distinctClause and node.distinctClause[0] is not None:
            if any(not s for s in gs.sets):
                raise SqlError("0A000", "DISTINCT ON with an empty grouping set is not supported",
                               position=location(node.distinctClause[0]))
            group = [Ex(g, O.UNKNOWN) for g in gs.group_sql()]
            q = self.distinct_on(node, targets, names, gs.source(from_sql), where, group, having)
            return Query(q.sql.replace(gs.ref, "0") if len(gs.sets) == 1 else q.sql, q.columns)
        distinct = "DISTINCT " if node.distinctClause is not None else ""
        targets = [self.finalize_unknown(t) for t in targets]
        order = self.order_by(node.sortClause or [], targets, names)
        limit = self.limit(node)
        sel = ", ".join(f"{t.sql} AS c{i}" for i, t in enumerate(targets)) or "NULL AS c0"
        sql = self.gs_statement(gs, f"SELECT {distinct}{sel}", from_sql, where, having, f"{order}{limit}",
                                len(targets))
        cols = [ColInfo(n, t.oid, t.typmod, "", t.table_oid, t.attnum, row_types=t.row_types)
                for t, n in zip(targets, names)]
        return Query(sql, cols, extra={"simple": False})

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
        cols = [ColInfo(n, t.oid, t.typmod, "", t.table_oid, t.attnum, row_types=t.row_types)
                for t, n in zip(targets, names)]
        return Query(f"SELECT {outer_cols} FROM ({inner}) AS d WHERE d.rn = 1{outer_order}{limit}", cols)

    def lift_target_srf(self, node: ast.SelectStmt) -> None:
        """SELECT generate_series(1, 3) (no FROM): the set-returning call becomes the FROM item
        (under a cast too: SELECT generate_series(1, 3)::int4, named generate_series)."""
        srfs = [i for i, rt in enumerate(node.targetList) if _srf_call(rt.val) is not None]
        if len(srfs) != 1 or lockstep_only(node):
            return
        i = srfs[0]
        rt = node.targetList[i]
        call = _srf_call(rt.val)
        name = call.funcname[-1].sval
        alias = ast.Alias(aliasname="pgsvc$srf", colnames=(ast.String(sval=name),))
        node.fromClause = (ast.RangeFunction(lateral=False, ordinality=False, is_rowsfrom=False,
                                             functions=((call, None),), alias=alias),)
        targets = list(node.targetList)
        column = ast.ColumnRef(fields=(ast.String(sval="pgsvc$srf"), ast.String(sval=name)))
        if isinstance(rt.val, ast.TypeCast):
            column = ast.TypeCast(arg=column, typeName=rt.val.typeName, location=rt.val.location)
        targets[i] = ast.ResTarget(name=rt.name or name, val=column)
        node.targetList = tuple(targets)

    def target_list(self, items) -> tuple[list[Ex], list[str]]:
        targets, names = [], []
        for rt in items:
            val = rt.val
            if isinstance(val, ast.ColumnRef) and isinstance(val.fields[-1], ast.A_Star):
                alias = val.fields[-2].sval if len(val.fields) > 1 else None
                for c in self.scope.star(alias, location(val)):
                    targets.append(Ex(c.sql, c.oid, c.typmod, name=c.name, table_oid=c.table_oid,
                                      attnum=c.attnum))
                    names.append(c.name)
                continue
            star = self.routine_star(val) if isinstance(val, ast.A_Indirection) else None
            if star is None and isinstance(val, ast.A_Indirection):
                star = self.composite_star(val)  # (c).* of a row value (translate.composites)
            if star is not None:
                for col in star:
                    targets.append(self.expr(ast.A_Indirection(arg=val.arg, indirection=tuple(val.indirection[:-1])
                                                               + (ast.String(sval=col),))))
                    names.append(col)
                continue
            ex = self.expr(val)
            targets.append(ex)
            names.append(rt.name or ex.name)
        return targets, names

    def group_by(self, items, targets: list[Ex], names: list[str]) -> list[Ex]:
        window_at = inner_window_position(items) if items else None
        if window_at is not None:
            raise SqlError("42P20", "window functions are not allowed in GROUP BY", position=window_at)
        saved, self.agg_forbidden = self.agg_forbidden, "GROUP BY"
        try:
            return self.group_by_items(items, targets, names)
        finally:
            self.agg_forbidden = saved

    def group_by_items(self, items, targets: list[Ex], names: list[str]) -> list[Ex]:
        out = []
        for g in items:
            if isinstance(g, ast.GroupingSet):
                raise SqlError("0A000", "GROUPING SETS, ROLLUP and CUBE are not supported", position=location(g))
            pos = self.positional(g)
            if pos is not None:
                if not 1 <= pos <= len(targets):
                    raise SqlError("42P10", f"GROUP BY position {pos} is not in select list", position=location(g))
                out.append(targets[pos - 1])
                continue
            if isinstance(g, ast.ColumnRef) and len(g.fields) == 1 and isinstance(g.fields[0], ast.String):
                try:
                    out.append(self.expr(g))
                    continue
                except SqlError:
                    if g.fields[0].sval in names:
                        out.append(targets[_by_name(g, targets, names, "GROUP BY")])
                        continue
                    raise
            ex = self.expr(g)
            if self.scope.parent is not None and outer_only(self.scope, g):
                if has_aggregate(g, self.catalog):  # sum(o.a): SQLite makes it the outer query's where HAVING has it
                    self.held_outer_aggregates = getattr(self, "held_outer_aggregates", []) + [ex.sql]
                ex = replace(ex, sql="''")
            out.append(ex)
        # SQLite reads an integer literal in GROUP BY as a column position: a constant
        # (SELECT 5 ... GROUP BY 1, a regtype's OID) is grouped as the value it is
        return [replace(e, sql=f"CAST({e.sql} AS INTEGER)") if e.sql.lstrip("+-").isdigit() else e for e in out]

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
                    raise SqlError("42P10", f"ORDER BY position {pos} is not in select list", position=location(node))
                t = targets[pos - 1]
                ex = Ex(t.sql if inline else f"c{pos - 1}", t.oid, notnull=t.notnull, row_types=t.row_types)
            elif isinstance(node, ast.ColumnRef) and len(node.fields) == 1 and \
                    isinstance(node.fields[0], ast.String) and node.fields[0].sval in names:
                i = _by_name(node, targets, names, "ORDER BY")
                t = targets[i]
                ex = Ex(t.sql if inline else f"c{i}", t.oid, notnull=t.notnull, row_types=t.row_types)
        if ex is None:
            ex = self.finalize_unknown(self.expr(node))
        d = enums.SortByDir
        desc = s.sortby_dir == d.SORTBY_DESC
        if s.sortby_dir == d.SORTBY_USING:
            op = s.useOp[-1].sval
            if op not in ("<", ">", "~<~", "~>~"):
                raise SqlError("0A000", f"ORDER BY USING {op} is not supported", position=location(s))
            desc = op in (">", "~>~")
        n = enums.SortByNulls
        nulls_first = desc if s.sortby_nulls == n.SORTBY_NULLS_DEFAULT else s.sortby_nulls == n.SORTBY_NULLS_FIRST
        nulls_sql = "" if ex.notnull else (" NULLS FIRST" if nulls_first else " NULLS LAST")
        key, coll = ex.sql, collate_clause(ex.oid)
        if ex.oid == O.RECORD and ex.row_types:  # ROW(...): record_cmp by its fields' types
            types = ",".join(str(O.TEXT if t == O.UNKNOWN else t) for t in ex.row_types)
            key, coll = f"pgsvc_record_key({ex.sql}, '{types}')", " COLLATE pg_record_typed"
        return key, f"{coll}{' DESC' if desc else ''}{nulls_sql}"

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


_NO_EQUALITY = (O.JSON, O.XML, O.POINT)  # types without a default btree or hash opclass (UNION needs one)


def _by_name(node: ast.ColumnRef, targets: list[Ex], names: list[str], clause: str) -> int:
    """findTargetlistEntrySQL92: the output column a bare name in ORDER BY / GROUP BY means;
    two of that name computing different things make it 42702 ambiguous."""
    name = node.fields[0].sval
    found = [i for i, n in enumerate(names) if n == name]
    if any(targets[i].sql != targets[found[0]].sql for i in found[1:]):
        raise SqlError("42702", f'{clause} "{name}" is ambiguous', position=location(node))
    return found[0]


def _srf_call(val):
    """The set-returning call lift_target_srf lifts: the item itself, or under one cast."""
    if isinstance(val, ast.TypeCast):
        val = val.arg
    if isinstance(val, ast.FuncCall) and val.funcname[-1].sval in SRF_NAMES and not val.over:
        return val
    return None
