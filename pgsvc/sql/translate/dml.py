"""INSERT (VALUES / SELECT / DEFAULT VALUES, ON CONFLICT, RETURNING), UPDATE (FROM,
RETURNING) and DELETE (USING, RETURNING) in SQLite's dialect.

Column defaults are PostgreSQL expressions kept in the catalog; the translator
inserts them explicitly for every omitted column (so nextval() and now() behave as in
PostgreSQL), and every assigned value is coerced to the column's type and typmod with
assignment-cast rules (varchar(n) length errors, numeric(p,s) rounding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pglast
from pglast import ast, enums
from pglast.stream import RawStream

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog.database import Attr, Relation
from pgsvc.sql.catalog.publications import check_replica_identity
from pgsvc.sql.translate.conflict_once import conflict_once_source
from pgsvc.sql.translate.domains import domain_chain
from pgsvc.sql.translate.ex import Ex, location
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.names import ColInfo, RangeEntry, Scope
from pgsvc.sql.translate.partitions import TABLEOID_MARK
from pgsvc.sql.translate.tlist_srf import target_srfs
from pgsvc.sql.translate.trigger_dml import rowid_name
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import format_type


@dataclass
class Dml:
    sql: str
    command: str
    returning: list[ColInfo] | None
    relation: Relation
    # set when the statement runs through the trigger machinery (translate.trigger_dml): `sql`
    # then runs it through pgsvce_tg_dml(spec, ...) with the same RETURNING rows and count,
    # and the engine's run_trigger_dml(trigger_spec, values) gives them directly
    trigger_spec: dict | None = None


class DmlMixin:
    dml_kind = ""
    inherited_dml = False  # an UPDATE/DELETE of a parent with descendants (translate.partitions)

    def not_transition_table(self, rv: ast.RangeVar) -> None:
        """A running trigger's transition table (translate.trigger_dml) is read-only."""
        if self.catalog.triggers and self.transition_table(rv) is not None:
            raise SqlError("42809", f'relation "{rv.relname}" cannot be the target of a modifying statement')

    def target_relation(self, rv: ast.RangeVar) -> Relation:
        rel = self.relation(rv)
        if rel.kind == "v" and self.catalog.triggers and self.instead_of_target(rel):
            self.writes = True  # a view made writable by INSTEAD OF triggers (translate.trigger_dml)
            return rel
        if rel.kind == "v":
            verb, doing = {"UPDATE": ("update", "updating"), "DELETE": ("delete from", "deleting from")}.get(
                self.dml_kind, ("insert into", "inserting into"))
            raise SqlError("0A000", f'cannot {verb} view "{rel.name}"',
                           hint=f"To enable {doing} the view, provide an INSTEAD OF {self.dml_kind or 'INSERT'} "
                                f"trigger or an unconditional ON {self.dml_kind or 'INSERT'} DO INSTEAD rule.")
        if rel.kind != "r":
            kind = {"S": "sequence", "i": "index", "m": "materialized view"}.get(rel.kind, "relation")
            raise SqlError("42809", f'cannot change {kind} "{rel.name}"', position=location(rv) if rel.kind != "m" else None)
        # UPDATE/DELETE of a parent: its descendants' rows too (translate.partitions)
        self.inherited_dml = bool(rv.inh and self.dml_kind != "INSERT" and self.descendants(rel))
        if rel.schema.startswith("pg_temp_"):
            # a temp table lives in this connection's own SQLite temp database: no writer lock,
            # and PostgreSQL allows writing it in a read-only transaction
            self.writes_temp = True
        else:
            self.writes = True
            if self.catalog.publications and self.dml_kind in ("UPDATE", "DELETE"):
                check_replica_identity(self.catalog, rel, self.dml_kind)  # catalog.publications
        return rel

    def values_stars(self, row) -> tuple:
        """INSERT ... VALUES (rec.*): a record's fields, one value each (a trigger's NEW.*)."""
        out: list = []
        for item in row:
            f = item.fields if isinstance(item, ast.ColumnRef) else ()
            if len(f) == 2 and isinstance(f[0], ast.String) and isinstance(f[1], ast.A_Star):
                out += [ast.ColumnRef(fields=(f[0], ast.String(sval=c.name)), location=item.location)
                        for c in self.scope.star(f[0].sval, location(item))]
            else:
                out.append(item)
        return tuple(out)

    def need_target(self, rel: Relation, node, letters: str) -> None:
        """The target's privileges: INSERT 'a' / UPDATE 'w' / DELETE 'd', plus SELECT when the
        statement reads the target's columns (WHERE, RETURNING, SET expressions) and UPDATE
        for ON CONFLICT DO UPDATE, as PostgreSQL's per-column checks work out for them."""
        # (RETURNING 1 reads no column: no SELECT needed, as PostgreSQL's per-column checks)
        reads = bool(getattr(node, "whereClause", None) or _reads_columns(getattr(node, "returningList", None)))
        if isinstance(node, ast.UpdateStmt):
            reads = reads or any(_reads_columns(t.val) for t in node.targetList)
        conflict = getattr(node, "onConflictClause", None)
        if conflict is not None and conflict.action == enums.OnConflictAction.ONCONFLICT_UPDATE:
            letters += "w"
            reads = reads or conflict.whereClause is not None or \
                any(_reads_columns(t.val) for t in conflict.targetList or ())
        if reads:
            letters += "r"
        self.need(rel, letters)

    def table_entry(self, rel: Relation, alias: str, sql_alias: str | None) -> RangeEntry:
        prefix = f"{sql_alias}." if sql_alias else ""
        cols = [ColInfo(a.name, a.type_oid, a.typmod, f"{prefix}{quote_sqlite_ident(a.name)}", rel.oid, a.attnum,
                        a.notnull) for a in rel.attrs]
        tableoid = str(rel.oid) if rel.kind == "r" else None
        if tableoid and (self.inherited_dml or P.partkey(rel) is not None):
            # rows of several tables (translate.partitions): each row's own
            tableoid = f'{prefix}"pgsvc$tableoid"' if self.inherited_dml and self.dml_kind != "INSERT" and \
                sql_alias != quote_sqlite_ident(rel.sqlite_name) else f"{TABLEOID_MARK}{rel.oid}"
        rowid = f"{prefix}{rowid_name(rel)}" if self.merge_rowid and prefix else None  # (translate.merge)
        return RangeEntry(alias, cols, rel, tableoid_sql=tableoid, rowid_sql=rowid)

    def default_expr(self, rel: Relation, attr: Attr) -> Ex:
        default = column_default(attr)
        if default is None:
            return self.coerce(Ex("NULL", O.UNKNOWN, is_null=True), attr.type_oid)
        node = pglast.parse_sql(f"SELECT {default}")[0].stmt.targetList[0].val
        saved = self.scope
        self.scope = Scope()
        try:
            ex = self.expr(node)
        finally:
            self.scope = saved
        return self.assign(ex, attr)

    def assign(self, ex: Ex, attr: Attr, position=None) -> Ex:
        out = self.coerce(ex, attr.type_oid, attr.typmod, "a", position=position, what=f'column "{attr.name}"')
        if ex.param and attr.domain_oid:
            self.set_param_domain(ex.param, attr.domain_oid)
        return out

    # --- INSERT -------------------------------------------------------------------

    def insert(self, node: ast.InsertStmt) -> Dml:
        self.dml_kind = "INSERT"
        top = self.enter_statement()  # (translate.wcte: data-modifying WITH queries)
        with_sql = self.dml_with(node, top)
        self.not_transition_table(node.relation)
        node = self.through_views(node)  # an automatically updatable view's base (translate.view_dml)
        rel = self.target_relation(node.relation)
        self.need_target(rel, node, "a")
        alias = node.relation.alias.aliasname if node.relation.alias else rel.name
        if node.cols:
            attrs = []
            for rt in node.cols:
                a = rel.attr(rt.name)
                if a is None:
                    raise SqlError("42703", f'column "{rt.name}" of relation "{rel.name}" does not exist',
                                   position=location(rt))
                if rt.indirection:  # c.f: a field of a composite column (translate.composites)
                    attrs.append(self.field_target(a, rt.indirection, location(rt)))
                    continue
                if a in attrs:
                    raise SqlError("42701", f'column "{a.name}" specified more than once', position=location(rt))
                attrs.append(a)
        else:
            attrs = list(rel.attrs)
        sel = node.selectStmt
        if isinstance(sel, ast.SelectStmt) and sel.valuesLists and len(sel.valuesLists) == 1 and \
                not any(isinstance(x, ast.SetToDefault) for x in sel.valuesLists[0]):
            one = ast.SelectStmt(targetList=tuple(ast.ResTarget(val=x) for x in sel.valuesLists[0]),
                                 op=enums.SetOperation.SETOP_NONE, limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT)
            if target_srfs(one):  # VALUES (srf(...)): a row per element, as a SELECT list's SRF gives
                sel = one
        if isinstance(sel, ast.SelectStmt) and sel.valuesLists:
            sel.valuesLists = tuple(self.values_stars(row) for row in sel.valuesLists)
        if sel is None:
            attrs = []  # DEFAULT VALUES: every column takes its default (identity, serial, ...)
        elif node.cols is None and isinstance(sel, ast.SelectStmt) and sel.valuesLists:
            attrs = attrs[:max(len(r) for r in sel.valuesLists)]
        if any(getattr(a, "generated", "") for a in attrs):
            attrs = self.drop_generated(attrs, sel)
        rest = [a for a in rel.attrs if a not in attrs and column_default(a) is not None
                and not any(x.name == a.name for x in attrs)]
        for a in attrs:
            if a.identity == "a" and node.override != enums.OverridingKind.OVERRIDING_SYSTEM_VALUE:
                self.identity_always(node, a)
        if sel is None:
            values = [self.default_expr(rel, a).sql for a in rest]
            names = [a.name for a in rest]
            source = f"VALUES ({', '.join(values)})" if names else "DEFAULT VALUES"
        elif isinstance(sel, ast.SelectStmt) and sel.valuesLists and not sel.sortClause and sel.limitCount is None:
            source = self.insert_values(rel, attrs, rest, sel.valuesLists, node.cols)
            names = [a.name for a in self.merge_field_targets(attrs, attrs)[0] + rest]
        else:
            q = self.subquery(sel)
            if len(q.columns) > len(attrs):
                raise SqlError("42601", "INSERT has more expressions than target columns")
            if node.cols is None and len(q.columns) < len(attrs):  # the columns left take their defaults
                attrs = attrs[:len(q.columns)]
                rest = [a for a in rel.attrs if a not in attrs and column_default(a) is not None]
            if len(q.columns) < len(attrs):
                raise SqlError("42601", "INSERT has more target columns than expressions")
            exprs = [self.assign(self.select_item(q, i, c), a).sql for i, (c, a) in enumerate(zip(q.columns, attrs))]
            merged, exprs = self.merge_field_targets(attrs, exprs)
            exprs += [self.default_expr(rel, a).sql for a in rest]
            names = [a.name for a in merged + rest]
            source = f"SELECT {', '.join(exprs)} FROM {q.sql_paren()} AS s WHERE 1"
        if _conflict_update(node) and sel is not None and not (isinstance(sel, ast.SelectStmt) and sel.valuesLists
                                                               and len(sel.valuesLists) == 1):
            source = conflict_once_source(rel, node.onConflictClause, source, names, self.new_alias(rel.name))
        source, names = self.rls_insert_source(rel, source, names, bool(node.returningList),  # translate.row_security
                                               _conflict_update(node))
        source, names = self.wco_insert_source(rel, alias, source, names)  # (translate.view_dml)
        cols_sql = f" ({', '.join(quote_sqlite_ident(n) for n in names)})" if names else ""
        sa = self.new_alias(alias)
        self.scope = Scope()
        self.scope.add(self.table_entry(rel, alias, sa))
        conflict = self.on_conflict(node.onConflictClause, rel, sa) if node.onConflictClause else ""
        returning = self.returning(node.returningList, rel, alias, sa)
        sql = f"{with_sql}INSERT INTO {quote_sqlite_ident(rel.sqlite_name)} AS {sa}{cols_sql} {source}{conflict}"
        d = Dml(sql + (returning[0] if returning else ""), "INSERT", returning[1] if returning else None, rel)
        if P.partkey(rel) is not None:  # rows routed to the partitions (translate.partitions)
            self.route_partitioned_insert(d, node, sa, with_sql, source, names, conflict, returning)
        elif self.catalog.triggers:
            self.route_insert(d, node, sa, with_sql, source, names, conflict, returning)
        return self.wcte_dml(d) if top and self.wcte_steps is not None else d

    def select_item(self, q, i: int, c) -> Ex:
        """Column i of INSERT's SELECT: an untyped literal or NULL of a plain SELECT stays
        untyped, for the column's type to take (INSERT ... SELECT '5' into an integer)."""
        if i in q.extra.get("unknown", ()):
            return Ex("NULL", O.UNKNOWN, is_null=True)
        lit = q.extra.get("lits", {}).get(i)
        if lit is None:
            return Ex(f"s.c{i}", c.oid, c.typmod)
        if lit.param and self.param_oids[lit.param - 1] == O.TEXT:
            self.param_oids[lit.param - 1] = O.UNKNOWN  # (finalize_unknown took it as text)
        return lit

    def drop_generated(self, attrs: list, sel) -> list:
        """The target list without its generated columns, whose values can only be DEFAULT
        (428C9 as PostgreSQL's rewriter); SQLite computes them."""
        keep = [i for i, a in enumerate(attrs) if not getattr(a, "generated", "")]
        rows = sel.valuesLists if isinstance(sel, ast.SelectStmt) and sel.valuesLists else None
        for i, a in enumerate(attrs):
            if i not in keep and (rows is None or not all(
                    i >= len(r) or isinstance(r[i], ast.SetToDefault) for r in rows)):
                raise SqlError("428C9", f'cannot insert a non-DEFAULT value into column "{a.name}"',
                               detail=f'Column "{a.name}" is a generated column.')
        if rows is not None:
            sel.valuesLists = tuple(tuple(x for i, x in enumerate(r) if i in keep or i >= len(attrs)) for r in rows)
        return [attrs[i] for i in keep]

    def identity_always(self, node, a: Attr) -> None:
        raise SqlError("428C9", f'cannot insert a non-DEFAULT value into column "{a.name}"',
                       detail=f'Column "{a.name}" is an identity column defined as GENERATED ALWAYS.',
                       hint="Use OVERRIDING SYSTEM VALUE to override.")

    def insert_values(self, rel: Relation, attrs: list[Attr], rest: list[Attr], rows, cols=None) -> str:
        out = []
        defaults = [self.default_expr(rel, a).sql for a in rest]
        for row in rows:
            items = list(row)
            if len(items) > len(attrs):
                raise SqlError("42601", "INSERT has more expressions than target columns",
                               position=_expr_loc(items[len(attrs)]))
            if len(items) < len(attrs):
                raise SqlError("42601", "INSERT has more target columns than expressions",
                               position=location(cols[len(items)]) if cols else None)
            vals = []
            for item, a in zip(items, attrs):
                if isinstance(item, ast.SetToDefault):
                    self.check_target_default(a)  # c.f / a[1] (translate.composites)
                    vals.append(self.default_expr(rel, a).sql)
                else:
                    vals.append(self.assign(self.expr(item), a, location(item)).sql)
            vals = self.merge_field_targets(attrs, vals)[1]
            out.append("(" + ", ".join(vals + defaults) + ")")
        return "VALUES " + ", ".join(out)

    def on_conflict(self, oc: ast.OnConflictClause, rel: Relation, sa: str) -> str:
        if self.catalog.publications and oc.action == enums.OnConflictAction.ONCONFLICT_UPDATE:
            check_replica_identity(self.catalog, rel, "UPDATE")  # as PostgreSQL: whether or not a row conflicts
        target = ""
        if oc.infer is not None:
            if oc.infer.conname:
                con = next((c for c in rel.constraints if c.name == oc.infer.conname), None)
                if con is None:
                    raise SqlError("42704", f'constraint "{oc.infer.conname}" for table "{rel.name}" does not exist')
                cols = [rel.attr_by_num(k).name for k in con.keys]
            else:
                cols = []
                for e in oc.infer.indexElems:
                    if e.name is None:
                        raise SqlError("0A000", "ON CONFLICT on expressions is not supported")
                    cols.append(e.name)
            self.conflict_target = cols
            pred = oc.infer.whereClause
            if not self.has_unique(rel, cols, pred is not None):
                raise SqlError("42P10", "there is no unique or exclusion constraint matching the ON CONFLICT "
                               "specification")
            target = f" ({', '.join(quote_sqlite_ident(c) for c in cols)})"
            if pred is not None:  # a partial unique index's predicate (SQLite matches it to the index's)
                tr = type(self)(self.engine, self.catalog, [])
                tr.scope.add(RangeEntry(rel.name, [ColInfo(a.name, a.type_oid, a.typmod, quote_sqlite_ident(a.name))
                                                   for a in rel.attrs]))
                target += f" WHERE {tr.bool_expr(self.literals_inlined(pred), 'WHERE').sql}"
        if oc.action == enums.OnConflictAction.ONCONFLICT_NOTHING:
            return f" ON CONFLICT{target} DO NOTHING"
        if not target:
            raise SqlError("42601", "ON CONFLICT DO UPDATE requires inference specification or constraint name",
                           hint="For example, ON CONFLICT (column_name).")
        excluded = [ColInfo(a.name, a.type_oid, a.typmod, f"excluded.{quote_sqlite_ident(a.name)}", rel.oid, a.attnum)
                    for a in rel.attrs]
        self.scope.add(RangeEntry("excluded", excluded))
        sets = self.set_list(oc.targetList, rel)
        where = f" WHERE {self.bool_expr(oc.whereClause, 'WHERE').sql}" if oc.whereClause is not None else ""
        return f" ON CONFLICT{target} DO UPDATE SET {sets}{where}"

    def literals_inlined(self, node):
        """node with the statement's lifted literals written back as constants: SQLite matches
        an ON CONFLICT predicate to a partial index's by its text, so no parameter may stand in it."""
        self.cacheable = False

        def literal(m):
            n = int(m.group(1))
            if not self.is_literal_param(n):
                return m.group(0)
            kind, text = self.literals[n - 1][0], self.literals[n - 1][1]
            return "'" + text.replace("'", "''") + "'" if kind == "s" else text
        text = re.sub(r"\$(\d+)", literal, RawStream()(node))
        return pglast.parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val

    def has_unique(self, rel: Relation, cols: list[str], partial: bool = False) -> bool:
        """A unique index on cols (a partial one only when the inference gives a predicate)."""
        want = sorted(cols)
        for ix in rel.indexes:
            irel = self.catalog.by_oid.get(ix.oid)
            if irel is not None and irel.options.get("indpred") and not partial:
                continue
            if ix.unique and all(isinstance(k, int) for k in ix.keys) and \
                    sorted(rel.attr_by_num(k).name for k in ix.keys) == want:
                return True
        return False

    def set_list(self, targets, rel: Relation) -> str:
        return ", ".join(f"{quote_sqlite_ident(a.name)} = {sql}" for a, sql in self.set_items(targets, rel))

    def set_items(self, targets, rel: Relation) -> list[tuple[Attr, str]]:
        """SET's (column, value SQL) pairs, in the order written."""
        parts = []
        seen: set[str] = set()
        multi_sources: dict[int, object] = {}
        for rt in targets:
            if rt.name in seen and not rt.indirection:  # (the rewriter's error: no position)
                raise SqlError("42601", f'multiple assignments to same column "{rt.name}"')
            seen.add(rt.name)
            if isinstance(rt.val, ast.MultiAssignRef):
                a, sql = self.multi_assign(rt, rel, multi_sources)
                if a.generated:  # SET (a, b) = (1, DEFAULT): SQLite computes it
                    src = rt.val.source
                    if not (isinstance(src, ast.RowExpr) and isinstance(src.args[rt.val.colno - 1], ast.SetToDefault)):
                        raise SqlError("428C9", f'column "{a.name}" can only be updated to DEFAULT',
                                       detail=f'Column "{a.name}" is a generated column.')
                    continue
                parts.append((a, sql))
                continue
            a = rel.attr(rt.name)
            if a is None:
                raise SqlError("42703", f'column "{rt.name}" of relation "{rel.name}" does not exist',
                               position=location(rt))
            if rt.indirection:  # SET c.f = ...: a field of a composite column (translate.composites)
                a = self.field_target(a, rt.indirection, location(rt))
            if getattr(a, "generated", ""):  # SQLite computes it; only DEFAULT may be written
                if not isinstance(rt.val, ast.SetToDefault):
                    raise SqlError("428C9", f'column "{a.name}" can only be updated to DEFAULT',
                                   detail=f'Column "{a.name}" is a generated column.')
                continue
            if isinstance(rt.val, ast.SetToDefault):
                self.check_target_default(a)
                val = self.default_expr(rel, a)
            else:
                val = self.assign(self.expr(rt.val), a, location(rt.val))
            parts.append((a, val.sql))
        if not parts and targets:  # only generated columns SET to DEFAULT: a row still updated
            a = next((a for a in rel.attrs if not a.generated), rel.attrs[0])
            parts.append((a, quote_sqlite_ident(a.name)))
        if any(self.is_field_target(a) for a, _ in parts):
            attrs, vals = self.merge_field_targets([a for a, _ in parts], [v for _, v in parts],
                                                   {a.name: quote_sqlite_ident(a.name) for a in rel.attrs})
            parts = list(zip(attrs, vals))
        return parts

    def multi_assign(self, rt, rel: Relation, sources: dict) -> tuple[Attr, str]:
        """SET (a, b) = (x, y) / = (SELECT ...): one column of the row source."""
        m = rt.val
        a = rel.attr(rt.name)
        if a is None:
            raise SqlError("42703", f'column "{rt.name}" of relation "{rel.name}" does not exist', position=location(rt))
        src = m.source
        if isinstance(src, ast.RowExpr) and any(isinstance(a, ast.ColumnRef) and isinstance(a.fields[-1], ast.A_Star)
                                                for a in src.args or ()):
            items = self.row_items(src.args)  # ROW(v.*): the row's columns
            if len(items) != m.ncolumns:
                raise SqlError("42601", "number of columns does not match number of values", position=location(rt))
            return a, self.assign(items[m.colno - 1], a).sql
        if isinstance(src, ast.RowExpr):
            if len(src.args) != m.ncolumns:
                raise SqlError("42601", "number of columns does not match number of values", position=location(rt))
            item = src.args[m.colno - 1]
            val = self.default_expr(rel, a) if isinstance(item, ast.SetToDefault) else \
                self.assign(self.expr(item), a, location(item))
            return a, val.sql
        if isinstance(src, ast.SubLink):
            key = id(src)
            if key not in sources:
                sources[key] = self.subquery(src.subselect)
            sub = sources[key]
            if len(sub.columns) != m.ncolumns:
                raise SqlError("42601", "number of columns does not match number of values", position=location(rt))
            c = sub.columns[m.colno - 1]
            val = self.assign(Ex(self.scalar_subquery_sql(sub, m.colno - 1), c.oid, c.typmod), a)
            return a, val.sql
        raise SqlError("42601", "source for a multiple-column UPDATE item must be a sub-SELECT or ROW() expression",
                       position=location(src))

    def returning(self, items, rel: Relation, alias: str, sa: str, others: bool = False):
        if not items:
            return None
        if others and any(isinstance(rt.val, ast.ColumnRef) and isinstance(rt.val.fields[-1], ast.A_Star)
                          and len(rt.val.fields) == 1 for rt in items):
            # PostgreSQL's * would include the FROM/USING tables' columns
            raise SqlError("0A000", "RETURNING * with FROM or USING tables is not supported")
        saved = self.scope
        self.scope = Scope()
        # SQLite's RETURNING sees the target table's columns by their bare names, and by the
        # table's own name (never its alias). Qualified by that name, so that a subquery in
        # RETURNING whose FROM has a column of the same name does not take it instead (SQLite:
        # "ambiguous column name", or silently the subquery's column). A view's RETURNING runs
        # over the INSTEAD OF row (trigger_dml.returning_over_row): bare names there.
        qualifier = quote_sqlite_ident(rel.sqlite_name) if rel.kind != "v" and rel.sqlite_name else None
        self.scope.add(self.table_entry(rel, alias, qualifier))
        try:
            targets, names = self.target_list(items)
        finally:
            self.scope = saved
        targets = [self.finalize_unknown(t) for t in targets]
        cols = [ColInfo(n, t.oid, t.typmod, "", t.table_oid, t.attnum) for t, n in zip(targets, names)]
        return " RETURNING " + ", ".join(t.sql for t in targets), cols

    # --- UPDATE / DELETE ------------------------------------------------------------

    def update(self, node: ast.UpdateStmt) -> Dml:
        self.dml_kind = "UPDATE"
        top = self.enter_statement()  # (translate.wcte: data-modifying WITH queries)
        if top and node.fromClause and self.returning_reads_others(node):  # (translate.returning_from)
            done = self.returning_from(node)
            if done is not None:
                return done
        with_sql = self.dml_with(node, top)
        self.not_transition_table(node.relation)
        node = self.through_views(node)  # (translate.view_dml)
        rel = self.target_relation(node.relation)
        self.need_target(rel, node, "w")
        alias = node.relation.alias.aliasname if node.relation.alias else rel.name
        sa = self.new_alias(alias)
        self.scope.add(self.table_entry(rel, alias, sa))
        from_sql = self.out_of_reach(lambda: self.from_clause(node.fromClause or []))
        self.agg_forbidden = "UPDATE"
        try:
            items = self.set_items(node.targetList, rel)
        finally:
            self.agg_forbidden = None
        sets = ", ".join(f"{quote_sqlite_ident(a.name)} = {sql}" for a, sql in items)
        where = ""
        if node.whereClause is not None:
            self.agg_forbidden = "WHERE"
            where = f" WHERE {self.bool_expr(node.whereClause, 'WHERE').sql}"
            self.agg_forbidden = None
        reads = bool(node.whereClause or node.returningList or any(_reads_columns(t.val) for t in node.targetList))
        where = self.rls_where(rel, sa, where, "w", reads, {a.name: f"({sql})" for a, sql in items})
        where = self.wco_where(rel, alias, sa, where, items)  # WITH CHECK OPTION (translate.view_dml)
        returning = self.returning(node.returningList, rel, alias, sa, others=bool(node.fromClause))
        sql = f"{with_sql}UPDATE {quote_sqlite_ident(rel.sqlite_name)} AS {sa} SET {sets}{from_sql}{where}"
        d = Dml(sql + (returning[0] if returning else ""), "UPDATE", returning[1] if returning else None, rel)
        if self.inherited_dml:
            self.route_inherited_update(d, sa, with_sql, from_sql, items, where, returning)
        elif self.catalog.triggers:
            self.route_update(d, sa, with_sql, from_sql, items, where, returning)
        return self.wcte_dml(d) if top and self.wcte_steps is not None else d

    def out_of_reach(self, read_from):
        """UPDATE ... FROM / DELETE ... USING: the target (the scope's last entry) cannot be
        referred to from those items (a LATERAL one naming it is PostgreSQL's "invalid
        reference to FROM-clause entry")."""
        scope = self.scope
        at = len(scope.entries) - 1
        target = scope.entries.pop()
        hidden = target.alias not in scope.hidden_aliases
        scope.unreachable.append(target)
        if hidden:
            scope.hidden_aliases.add(target.alias)
        try:
            out = read_from()
        finally:
            scope.unreachable.remove(target)
            if hidden:
                scope.hidden_aliases.discard(target.alias)
            scope.entries.insert(at, target)
        scope.check_conflicts(at, at + 1)  # UPDATE t ... FROM t: "specified more than once"
        return out

    def delete(self, node: ast.DeleteStmt) -> Dml:
        self.dml_kind = "DELETE"
        top = self.enter_statement()  # (translate.wcte: data-modifying WITH queries)
        if top and node.usingClause and self.returning_reads_others(node):  # (translate.returning_from)
            done = self.returning_from(node)
            if done is not None:
                return done
        with_sql = self.dml_with(node, top)
        self.not_transition_table(node.relation)
        node = self.through_views(node)  # (translate.view_dml)
        rel = self.target_relation(node.relation)
        self.need_target(rel, node, "d")
        alias = node.relation.alias.aliasname if node.relation.alias else rel.name
        sa = self.new_alias(alias)
        self.scope.add(self.table_entry(rel, alias, sa))
        cond = None
        if node.whereClause is not None:
            self.agg_forbidden = "WHERE"
            cond = self.bool_expr
        using = self.out_of_reach(lambda: self.from_clause(node.usingClause or [])) if node.usingClause else ""
        where = ""
        if node.whereClause is not None:
            where_sql = cond(node.whereClause, "WHERE").sql
            self.agg_forbidden = None
            where = f" WHERE {where_sql}"
        if using:
            # SQLite has no DELETE ... USING: the same rows are those with a matching USING row
            where = f" WHERE EXISTS (SELECT 1{using}{where})"
        where = self.rls_where(rel, sa, where, "d", bool(node.whereClause or node.returningList))
        returning = self.returning(node.returningList, rel, alias, sa, others=bool(node.usingClause))
        sql = f"{with_sql}DELETE FROM {quote_sqlite_ident(rel.sqlite_name)} AS {sa}{where}"
        d = Dml(sql + (returning[0] if returning else ""), "DELETE", returning[1] if returning else None, rel)
        if self.inherited_dml:
            self.route_inherited_delete(d, sa, with_sql, where, returning)
        elif self.catalog.triggers:
            self.route_delete(d, sa, with_sql, where, returning)
        return self.wcte_dml(d) if top and self.wcte_steps is not None else d


def _conflict_update(node) -> bool:
    oc = node.onConflictClause
    return oc is not None and oc.action == enums.OnConflictAction.ONCONFLICT_UPDATE


def _expr_loc(node) -> int | None:
    """Position of an expression; constants carry none in pglast, so look one level down."""
    loc = location(node)
    if loc is None and isinstance(node, ast.TypeCast):
        loc = location(node)
    return loc


def type_label(oid: int, typmod: int) -> str:
    return format_type(oid, typmod)


def _reads_columns(node) -> bool:
    """Whether an expression mentions a column (EXCLUDED.x aside, which is the new row)."""
    if isinstance(node, ast.ColumnRef):
        names = [f.sval for f in node.fields if isinstance(f, ast.String)]
        return not (len(names) == 2 and names[0] == "excluded")
    if isinstance(node, ast.Node):
        return any(_reads_columns(getattr(node, k)) for k in node.__slots__)
    if isinstance(node, (list, tuple)):
        return any(_reads_columns(x) for x in node)
    return False


def column_default(attr: Attr) -> str | None:
    """The column's default, else its domain's (the nearest in a chain of domains)."""
    if attr.generated:  # its expression is no default: SQLite computes the column
        return None
    if attr.default is not None or not attr.domain_oid:
        return attr.default
    return next((d.default for d in domain_chain(attr.domain_oid) if d.default is not None), None)
