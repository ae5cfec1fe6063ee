"""FROM items: tables and views (with PostgreSQL's privilege checks and inheritance),
CTE references, subqueries, joins (ON, USING, NATURAL; aliased joins) and functions in
FROM (generate_series, unnest, other set-returning functions materialised or, when their
arguments read other FROM items, LATERAL). Each item is registered in the scope with a
SQLite alias of its own. Mixed into the Translator.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog.system import information_schema as infoschema
from pgsvc.sql.catalog.system import relations as pg_relations
from pgsvc.sql.functions.context import checking_interrupts
from pgsvc.sql.functions.session_sigs import ENGINE_FUNCTIONS, EXTRA_FUNCTIONS, RECORD_OUT
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.json_records import NAMES as JSON_RECORD_FUNCTIONS, json_record_item
from pgsvc.sql.translate.ex import Ex, location, sql_literal, view_owned_by
from pgsvc.sql.translate.lateral import LateralMixin
from pgsvc.sql.translate.names import ColInfo, RangeEntry, Scope
from pgsvc.sql.translate.row_security import RowSecurityMixin
from pgsvc.sql.translate.ts_series import series_sql, series_type
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import sqlite_adapter
from pgsvc.sql.types.pg_type import find_oid
from pgsvc.sql.types.ranges import is_multirange, range_of


class FromMixin(LateralMixin, RowSecurityMixin):
    row_stmt = None  # the SELECT whose FROM is being read (row_marker looks for whole-row references in it)
    defining_view = False  # CREATE VIEW's query: read when the view is (an unpopulated materialized view)

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
        _check_alias_count(name, len(cols), colnames)
        sa = self.new_alias(name)
        entry_cols = [ColInfo(colnames[i] if i < len(colnames) else c.name, c.oid, c.typmod, f"{sa}.c{i}",
                              row_types=c.row_types) for i, c in enumerate(cols)]
        self.scope.add(RangeEntry(name, entry_cols))
        return f"{sql} AS {sa}"

    def new_alias(self, name: str) -> str:
        self.alias_seq += 1
        return quote_sqlite_ident(f"{name}_{self.alias_seq}")

    def range_var(self, rv: ast.RangeVar) -> str:
        owner = view_owned_by(rv)  # a relation of a view's own WHERE: as its owner (translate.view_dml)
        if owner is not None and owner != self.check_as:
            saved, self.check_as = self.check_as, owner
            try:
                return self.range_var(rv)
            finally:
                self.check_as = saved
        name = rv.relname
        alias = rv.alias.aliasname if rv.alias else name
        if rv.schemaname is None and name in self.ctes:
            cols = self.ctes[name]
            self.cte_reference_check(name, cols, rv)  # (translate.wcte: a WITH query without RETURNING)
            sa = self.new_alias(alias)
            colnames = [c.sval for c in rv.alias.colnames or ()] if rv.alias else []
            _check_alias_count(alias, len(cols), colnames)
            entry = [ColInfo(colnames[i] if i < len(colnames) else c.name, c.oid, c.typmod, f"{sa}.c{i}",
                             row_types=c.row_types) for i, c in enumerate(cols)]
            self.scope.add(RangeEntry(alias, entry), location(rv))
            return f"{quote_sqlite_ident('cte_' + name)} AS {sa}"
        # pg_catalog relations first, information_schema's when named (or on the search path)
        # (a trigger's transition table, while its function runs, before them: translate.trigger_dml)
        rel = self.transition_table(rv) or pg_relations.lookup(self, rv) or infoschema.lookup(self, rv) or \
            self.relation(rv)
        if rel.schema not in ("pg_catalog", "information_schema", "pg_temp"):  # PUBLIC reads these
            self.need(rel, "r")
        if rel.kind == "v":
            q = self.view_query(rel)
            out = self.add_derived(rv.alias or ast.Alias(aliasname=name), q.columns, q.sql_paren())
            self.scope.entries[-1].view = rel
            return out
        if rel.kind == "m" and not rel.options.get("populated", True) and not self.defining_view:  # (ddl.matviews)
            raise SqlError("55000", f'materialized view "{rel.name}" has not been populated',
                           hint="Use the REFRESH MATERIALIZED VIEW command.")
        if rel.kind == "S":
            # a sequence reads as its one row, as in PostgreSQL (pg_dump takes last_value
            # and is_called from it); pgsvc caches no values, so log_cnt is always 0
            cols = [ColInfo("last_value", 20), ColInfo("log_cnt", 20), ColInfo("is_called", 16)]
            return self.add_derived(rv.alias or ast.Alias(aliasname=name), cols,
                                    "(SELECT last_value AS c0, 0 AS c1, is_called AS c2 "
                                    f'FROM main."pgsvc$sequence" WHERE relid = {rel.oid})')
        sa = self.new_alias(alias)
        colnames = [c.sval for c in rv.alias.colnames or ()] if rv.alias else []
        _check_alias_count(alias, len(rel.attrs), colnames)
        cols = [ColInfo(colnames[i] if i < len(colnames) else a.name, a.type_oid, a.typmod,
                        f'{sa}.{quote_sqlite_ident(a.name)}', rel.oid, a.attnum, a.notnull)
                for i, a in enumerate(rel.attrs)]
        children = self.descendants(rel) if rv.inh else []
        rowid = next((n for n in ("rowid", "_rowid_", "oid") if rel.attr(n) is None), None) \
            if rel.kind == "r" and not children and rel.schema not in ("pg_catalog", "information_schema") \
            and self.transition_table(rv) is None else None
        # a table the statement's WITH queries changed: read as the statement began (translate.wcte)
        snapshot = self.wcte_read(rel) if self.wcte_changed and not children else None
        rowid = None if snapshot is not None else rowid
        # tableoid (names._system_column): the table's OID, or each row's table's under a parent
        tableoid = f'{sa}."pgsvc$tableoid"' if children else str(rel.oid) if rel.kind == "r" else None
        self.scope.add(RangeEntry(alias, cols, rel, rowid_sql=rowid and f"{sa}.{rowid}", tableoid_sql=tableoid),
                       location(rv))
        if children:
            # parent* (the default): the parent's rows and every descendant's, in the parent's columns
            names = ", ".join(quote_sqlite_ident(a.name) for a in rel.attrs)
            parts = [f'SELECT {names}, {r.oid} AS "pgsvc$tableoid" FROM {quote_sqlite_ident(r.sqlite_name)}'
                     for r in [rel, *children]]
            return f"{self.rls_wrap_read(rel, '(' + ' UNION ALL '.join(parts) + ')', None)} AS {sa}"
        if snapshot is not None:
            return f"{self.rls_wrap_read(rel, snapshot, None)} AS {sa}"
        return f"{self.rls_wrap_read(rel, quote_sqlite_ident(rel.sqlite_name), rowid)} AS {sa}"

    def need_lock_privileges(self, clauses) -> None:
        """FOR UPDATE/SHARE needs UPDATE on the locked tables too (PostgreSQL's
        ACL_SELECT_FOR_UPDATE): those named in OF, else every table of this FROM."""
        named = {rv.relname for c in clauses for rv in c.lockedRels or ()}
        for entry in self.scope.entries:
            if entry.relation is not None and entry.relation.schema != "pg_catalog" and \
                    (not named or entry.alias in named):
                self.need(entry.relation, "w")
            elif entry.view is not None and (not named or entry.alias in named):
                self.need(entry.view, "w")
                self.lock_view_relations(entry.view)  # (translate.view_dml)

    def descendants(self, rel) -> list:
        if P.partkey(rel) is not None:  # partitions in bound order, depth first (catalog.partitions)
            return P.subtree(self.catalog, rel)
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
        # the two sides' names are checked against each other once the right side is done (an
        # aliased join inside it shows only its alias), as checkNameSpaceConflicts does
        saved_floor, self.scope.conflict_floor = self.scope.conflict_floor, mid
        try:
            right = self.from_item(j.rarg)
        finally:
            self.lateral_outer_join = saved_outer
            self.scope.conflict_floor = saved_floor
        self.scope.check_conflicts(max(start, saved_floor), mid)
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
                e.nullable = True
                e.cols = [ColInfo(c.name, c.oid, c.typmod, c.sql, c.table_oid, c.attnum, False) for c in e.cols]
                if e.star_cols is not None:
                    e.star_cols = [ColInfo(c.name, c.oid, c.typmod, c.sql, c.table_oid, c.attnum, False)
                                   for c in e.star_cols]
            if kind != "LEFT JOIN":
                left = self.row_marker(j.larg, left, start, mid)
            if kind != "RIGHT JOIN":
                right = self.row_marker(j.rarg, right, mid, len(self.scope.entries))
        if j.isNatural or j.usingClause:
            sql = self.join_using(j, left, right, kind, start, mid)
        elif j.quals is None:
            sql = f"{left} {'CROSS JOIN' if kind == 'JOIN' else kind} {right}" + ("" if kind == "JOIN" else " ON 1")
        else:
            saved_forbidden, self.agg_forbidden = self.agg_forbidden, "JOIN conditions"
            try:
                cond = self.bool_expr(j.quals, "JOIN/ON")
            finally:
                self.agg_forbidden = saved_forbidden
            sql = f"{left} {kind} {right} ON {cond.sql}"
        if j.alias is not None:
            self.alias_join(start, j.alias)
        return sql

    def row_marker(self, node, sql: str, lo: int, hi: int) -> str:
        """A FROM subquery, VALUES, CTE or view on an outer join's nullable side: a constant
        column beside its own, NULL exactly when the join null-extends it (its whole row is
        then NULL, while a row of NULLs that exists is not: count(t.*))."""
        if hi - lo != 1 or isinstance(node, (ast.JoinExpr, ast.RangeFunction)) or \
                isinstance(node, ast.RangeSubselect) and node.lateral:
            return sql
        e = self.scope.entries[lo]
        if e.rowid_sql is not None or e.relation is not None or not e.cols or e.alias is None or \
                self.row_stmt is None or not _mentions_row(self.row_stmt, e.alias):
            return sql
        sa = e.cols[0].sql.rpartition(".")[0]
        if not sa or not sql.endswith(f" AS {sa}") or any(not c.sql.startswith(sa + ".") for c in e.cols):
            return sql
        e.rowid_sql = f'{sa}."pgsvc$row"'
        return f'(SELECT *, 1 AS "pgsvc$row" FROM {sql}) AS {sa}'

    def alias_join(self, start: int, alias: ast.Alias) -> None:
        """(a JOIN b) AS x (c1, ...): the join's columns under one name; a and b become invisible."""
        ents = self.scope.entries[start:]
        cols = []
        for e in ents:
            cols.extend(c for c in (e.star_cols if e.star_cols is not None else e.cols)
                        if e.alias is None or c.name not in e.hidden)
        names = [c.sval for c in alias.colnames or ()]
        if len(names) > len(cols):
            raise SqlError("42P10", f'join expression "{alias.aliasname}" has {len(cols)} columns available but '
                           f"{len(names)} columns specified")
        cols = [ColInfo(names[i] if i < len(names) else c.name, c.oid, c.typmod, c.sql, c.table_oid, c.attnum,
                        c.notnull) for i, c in enumerate(cols)]
        # a USING alias inside is no FROM-clause entry: naming it outside is a missing entry
        self.scope.hidden_aliases.update(e.alias for e in ents if e.alias is not None and not e.using_alias)
        del self.scope.entries[start:]
        self.scope.add(RangeEntry(alias.aliasname, cols, joined=True))

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
            self.scope.add(RangeEntry(j.join_using_alias.aliasname, list(merged), joined=True,
                                      using_alias=True))
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
        if self.catalog.routines_named:  # a user function (translate.routines)
            user = self.range_user_function(node, call)
            if user is not None:
                return user
        alias = node.alias or ast.Alias(aliasname=name)
        if name in ("json_populate_record", "jsonb_populate_record") and not node.ordinality and not node.coldeflist:
            # FROM f(...) AS a: (SELECT (f(...)).*) AS a, the record's fields as columns
            sub = ast.SelectStmt(targetList=(ast.ResTarget(val=ast.A_Indirection(arg=call, indirection=(
                ast.A_Star(),))),), op=enums.SetOperation.SETOP_NONE, limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT)
            return self.from_item(ast.RangeSubselect(lateral=not self.outer_only(call.args), subquery=sub,
                                                     alias=alias))
        if name in JSON_RECORD_FUNCTIONS and not node.ordinality:  # (translate.json_records)
            return json_record_item(self, node, call, name, alias)
        if name in ("pg_partition_ancestors", "pg_partition_tree"):
            return self.partition_function_item(node, alias, call, name)  # (translate.partitions)
        args = [self.expr(a) for a in call.args or ()]
        if name == "unnest" and len(args) == 1:
            return self.unnest_item(node, alias, unnest_source(args[0]))
        if name == "unnest" and len(args) > 1:
            return self.unnest_zip(node, alias, args)  # pgsvc.sql.translate.tlist_srf
        if name == "string_to_table" and len(args) in (2, 3):  # string_to_array's elements
            return self.unnest_item(node, alias, string_pieces(self, args), name)
        if name == "pg_options_to_table" and len(args) == 1 and not node.ordinality:
            return self.options_item(node, alias, args[0])
        if name == "pg_get_publication_tables" and len(args) == 1 and not node.ordinality:
            return self.publication_tables_item(node, alias, args[0])
        if any('"' in a.sql for a in args) and not (
                name == "generate_series" and not node.ordinality and self.outer_only(call.args)):
            # arguments read other FROM items (implicitly LATERAL) or outer queries
            return self.lateral_function(node, call, name, alias, args)
        if node.ordinality:
            raise SqlError("0A000", f"WITH ORDINALITY on {name}() is not supported", position=location(call))
        stamps = series_type([a.oid for a in args]) if name == "generate_series" else None
        if stamps is not None:  # (translate.ts_series)
            sql = series_sql(self.coerce(args[0], stamps).sql, self.coerce(args[1], stamps).sql,
                             self.coerce(args[2], O.INTERVAL).sql, stamps)
            col_name = alias.aliasname if not alias.colnames else alias.colnames[0].sval
            return self.add_derived(ast.Alias(aliasname=alias.aliasname, colnames=alias.colnames),
                                    [ColInfo(col_name if node.alias else "generate_series", stamps)], sql)
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

    def unnest_item(self, node: ast.RangeFunction, alias: ast.Alias, arg: Ex, fname: str = "unnest") -> str:
        """unnest(array) [WITH ORDINALITY] in FROM. SQLite's json_each is a table-valued
        function, which may read columns of the FROM items before it: that is LATERAL
        (implicit for functions in PostgreSQL), e.g. FROM t CROSS JOIN LATERAL unnest(t.arr)."""
        t = find_oid(arg.oid)
        if t is None or not t.elem_oid or t.category != "A":
            raise SqlError("42804", "unnest() needs an array argument")
        names = [c.sval for c in alias.colnames or ()]
        sa = self.new_alias(alias.aliasname)
        value = f"{sa}.value"
        if t.elem_oid == O.BYTEA:  # hex in the array
            value = f"unhex({sa}.value)"
        elif t.elem_oid == O.NUMERIC:  # its JSON text exactly (1.50 is no REAL 1.5)
            value = f"pgsvc_numeric_elem({sa}.json -> {sa}.fullkey)"
        cols = [ColInfo(names[0] if names else (alias.aliasname if node.alias else fname), t.elem_oid,
                        -1, value)]
        if node.ordinality:  # json_each's key counts from 0 (int2vector's subscripts too: the order is the same)
            cols.append(ColInfo(names[1] if len(names) > 1 else "ordinality", O.INT8, -1, f"({sa}.key + 1)"))
        if len(names) > len(cols):
            raise SqlError("42P10", f'table "{alias.aliasname}" has {len(cols)} columns available but '
                           f"{len(names)} columns specified")
        self.scope.add(RangeEntry(alias.aliasname, cols), location(node))
        return f"json_each({arg.sql}) AS {sa}"

    def options_item(self, node: ast.RangeFunction, alias: ast.Alias, arg) -> str:
        """pg_options_to_table(text[]): each "name=value" item as (option_name, option_value),
        LATERAL like unnest (pg_dump passes a column of the relation on its left)."""
        arg = self.coerce(arg, O.ARRAY_TEXT)
        names = [c.sval for c in alias.colnames or ()]
        sa = self.new_alias(alias.aliasname)
        eq = f"instr({sa}.value, '=')"
        cols = [ColInfo(names[0] if names else "option_name", O.TEXT, -1,
                        f"(CASE WHEN {eq} > 0 THEN substr({sa}.value, 1, {eq} - 1) ELSE {sa}.value END)"),
                ColInfo(names[1] if len(names) > 1 else "option_value", O.TEXT, -1,
                        f"(CASE WHEN {eq} > 0 THEN substr({sa}.value, {eq} + 1) END)")]
        self.scope.add(RangeEntry(alias.aliasname, cols), location(node))
        return f"json_each({arg.sql}) AS {sa}"

    def publication_tables_item(self, node: ast.RangeFunction, alias: ast.Alias, arg) -> str:
        """pg_get_publication_tables(text): (relid, attrs, qual) of each table the publication
        covers, LATERAL like unnest (a subscriber passes pg_publication.pubname); no column
        lists or row filters (pg_functions.publication_funcs)."""
        arg = self.coerce(arg, O.TEXT)
        names = [c.sval for c in alias.colnames or ()]
        sa = self.new_alias(alias.aliasname)
        cols = [ColInfo(n, t, -1, sql) for n, t, sql in zip(
            names + ["relid", "attrs", "qual"][len(names):], (O.OID, O.INT2VECTOR, O.TEXT),
            (f"({sa}.value ->> 0)", "NULL", "NULL"))]
        self.scope.add(RangeEntry(alias.aliasname, cols), location(node))
        return f"json_each(pgsvce_publication_tables({arg.sql})) AS {sa}"

    def materialised_srf(self, node, call, name, alias, args) -> str:
        """Other set-returning functions with constant arguments: run the generator now and
        inline its rows as VALUES (the statement is not cached: its rows depend on the values)."""
        if name in RECORD_OUT and not node.ordinality:
            sig = R.resolve_function(name, [a.oid for a in args], location(call), extra=ENGINE_FUNCTIONS)
            return self.record_out_item(node, alias, name, sig, args)
        sig = R.resolve_function(name, [a.oid for a in args], location(call), extra=EXTRA_FUNCTIONS)
        if sig.kind == "set" and sig.generator is None and sig.emit and not args:
            # rows the session knows only when the statement runs (pg_listening_channels):
            # the emit is a UDF call returning them as a JSON array
            col = alias.colnames[0].sval if alias.colnames else (alias.aliasname if node.alias else name)
            return self.add_derived(alias, [ColInfo(col, sig.ret_oid)],
                                    f"(SELECT value AS c0 FROM json_each({sig.emit}))")
        if sig.kind == "scalar" and sig.ret_oid != O.RECORD and not node.ordinality:
            # a plain function in FROM is a one-row set of its value (SELECT * FROM pg_sleep(0.1),
            # FROM upper('a') AS u): the column named as the alias, else the function
            ex = self.finalize_unknown(self.expr(call))
            col = alias.colnames[0].sval if alias.colnames else (alias.aliasname if node.alias else name)
            return self.add_derived(alias, [ColInfo(col, ex.oid, ex.typmod)], f"(SELECT {ex.sql} AS c0)")
        if sig.kind != "set" or sig.generator is None:
            raise SqlError("0A000", f"function {name}() in FROM is not supported")
        coerced = [self.coerce(a, t) if t not in O.ANY_OIDS else self.finalize_unknown(a)
                   for a, t in zip(args, sig.arg_oids)]
        if any(_refers_to_something(c.sql) for c in coerced):
            raise SqlError("0A000", f"{name}() in FROM with non-constant arguments is not supported")
        self.cacheable = False
        row = self.engine.conn.execute("SELECT " + ", ".join(c.sql for c in coerced)).fetchone()
        values = [sqlite_adapter(c.oid)[1](v) if v is not None and sqlite_adapter(c.oid)[1] else v
                  for c, v in zip(coerced, row)]
        ret = sig.ret_oid
        if ret in O.ANY_OIDS:
            ret = find_oid(coerced[0].oid).elem_oid if ret == O.ANYELEMENT and find_oid(coerced[0].oid) else ret
        to_s = sqlite_adapter(ret)[0]
        rows = [sql_literal(to_s(v) if to_s and v is not None else v)
                for v in checking_interrupts(sig.generator(*values), self.engine.session.cancel_flag)]
        sql = ("(SELECT column1 AS c0 FROM (VALUES " + ", ".join(f"({r})" for r in rows) + "))") if rows \
            else "(SELECT NULL AS c0 WHERE 0)"
        col = alias.colnames[0].sval if alias.colnames else (alias.aliasname if node.alias else name)
        return self.add_derived(alias, [ColInfo(col, ret)], sql)

    def record_out_item(self, node, alias, name, sig, args) -> str:
        """A function returning a record of OUT columns (functions.session_sigs.RECORD_OUT) in
        FROM: its columns, from the rows its JSON-returning UDF gives when the statement runs."""
        udf, out = RECORD_OUT[name]
        coerced = [self.coerce(a, t) for a, t in zip(args, sig.arg_oids)]
        names = [c.sval for c in alias.colnames or ()]
        cols = [ColInfo(names[i] if i < len(names) else col, oid) for i, (col, oid) in enumerate(out)]
        picks = ", ".join(f"json_extract(value, '$[{i}]') AS c{i}" for i in range(len(out)))
        sql = f"(SELECT {picks} FROM json_each({udf}({', '.join(c.sql for c in coerced)})))"
        return self.add_derived(ast.Alias(aliasname=alias.aliasname), cols, sql)


def series_step(step: str) -> str:
    """generate_series' step, refused when zero with PostgreSQL's error."""
    return (f"(CASE WHEN ({step}) = 0 THEN pgsvce_raise('22023', 'step size cannot equal zero') "
            f"ELSE ({step}) END)")


_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")


def _refers_to_something(sql: str) -> bool:
    """An argument that is not a constant: a parameter (?N) or a column ("..."), looked
    for outside string literals (a pattern such as '(b)(c)?' is a constant)."""
    bare = _STRING_LITERAL.sub("", sql)
    return "?" in bare or '"' in bare


def multirange_as_array(arg: Ex) -> Ex:
    """unnest(multirange): its ranges, as the array of its range type they make (a JSON
    array of the ranges' stored forms, as arrays are stored)."""
    if not is_multirange(arg.oid):
        return arg
    return Ex(f"pgsvc_rng_fn('ranges', {arg.sql}, {arg.oid})", find_oid(range_of(arg.oid)).array_oid)


def string_pieces(tr, args: list[Ex]) -> Ex:
    """string_to_table(s, delim [, null]) as the text[] string_to_array makes of it."""
    try:
        a = [tr.coerce(x, O.TEXT).sql for x in args] + ["NULL"] * (3 - len(args))
    except SqlError:
        raise SqlError("42883", f"function string_to_table({', '.join(R.argument_type_name(x.oid) for x in args)})"
                       " does not exist", hint="No function matches the given name and argument types. "
                       "You might need to add explicit type casts.") from None
    return Ex(f"pgsvc_string_to_array({a[0]}, {a[1]}, {a[2]})", O.ARRAY_TEXT)


def unnest_source(arg: Ex) -> Ex:
    """unnest's argument as a flat JSON array: a multirange's ranges (multirange_as_array), a
    multidimensional array's elements in storage order (pgsvc_array_flat)."""
    arg = multirange_as_array(arg)
    s = arg.sql
    return replace(arg, sql=f"(CASE WHEN json_type({s}, '$[0]') = 'array' THEN pgsvc_array_flat({s}) ELSE {s} END)")


def _check_alias_count(name: str, available: int, colnames: list) -> None:
    """tbl AS x (a, b, ...): no more names than columns (PostgreSQL's buildRelationAliases)."""
    if len(colnames) > available:
        raise SqlError("42P10", f'table "{name}" has {available} columns available but {len(colnames)} '
                       "columns specified")


def _mentions_row(node, name: str) -> bool:
    """Whether the statement may name `name`'s whole row (name, name.*) anywhere."""
    if isinstance(node, ast.ColumnRef):
        f = node.fields
        return isinstance(f[0], ast.String) and f[0].sval == name and \
            (len(f) == 1 or len(f) == 2 and isinstance(f[1], ast.A_Star))
    if isinstance(node, ast.Node):
        return any(_mentions_row(getattr(node, a), name) for a in node)
    if isinstance(node, (list, tuple)):
        return any(_mentions_row(v, name) for v in node)
    return False
