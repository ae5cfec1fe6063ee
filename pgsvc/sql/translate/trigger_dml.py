"""DML on relations with triggers: the translation that routes it through the engine's
trigger machinery (pgsvc.sql.exec.triggers), and trigger WHEN conditions.

A table without triggers (and whose foreign-key actions reach no table with row
triggers) keeps DmlMixin's single SQLite statement: nothing here runs for it (the hooks
in translate.dml are called only when the catalog has triggers at all).

For a routed statement the translation is a *spec* (a dict, `Dml.trigger_spec`) holding
the pieces the engine needs, all SQLite SQL over the statement's own parameters ?1..?n:

  k       'I', 'U' or 'D';  rel: the target's OID;  n: how many parameters the pieces use
  plain   the statement as DmlMixin made it (run as one statement when no BEFORE ROW trigger
          is enabled: AFTER rows are captured by SQLite triggers, exec.trigger_capture)
  src     the rows to process, read before any is written:
            I: the new rows' values of the columns `names` (defaults included)
            U: rowid, the old row (every column), the new row (every column: SET values)
            D: rowid, the old row
  w       the write of one row: I: INSERT ... VALUES (?n+1, ...) [ON CONFLICT] [RETURNING];
          U: UPDATE ... SET every column = ?n+1.. WHERE rowid = ?n+k+1 [RETURNING];
          D: DELETE ... WHERE rowid = ?n+1 [RETURNING]
  cols    U: attnums of the SET targets (UPDATE OF); I with DO UPDATE: those of its SET
  conf    I: '' / 'n' (ON CONFLICT DO NOTHING) / 'u' (DO UPDATE: also UPDATE triggers)
  cu      I with DO UPDATE: {'find': rowid of the row a new row conflicts with (?n+1..: the
          conflict columns' values), 'new': the updated row and the WHERE's verdict (excluded
          = ?n+1..?n+k, rowid ?n+k+1), 'w': the UPDATE of that row (as w of 'U')}
  view    1 for a view made writable by INSTEAD OF triggers; `ret` is then the RETURNING
          list over one row (?n+1..: the row the trigger returned)
  cap     OIDs of the relations whose row changes this statement may cause and capture
  ncol    the RETURNING column count

`sql` becomes an INSERT into a sink over pgsvce_tg_dml('<spec>', ?1, ..., ?n) (spec_sql):
any executor that runs a translated DML (a SQL function's body, PL/pgSQL) gets the trigger
semantics, the RETURNING rows and the count (cursor.rowcount) from it, unchanged; the
runner's own handler calls the engine's run_trigger_dml(spec, values) directly.
"""

from __future__ import annotations

import json
import re

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.ex import Ex, location
from pgsvc.sql.translate.names import ColInfo, RangeEntry, Scope
from pgsvc.sql.types import oids as O
from pgsvc.sql.types import usertypes as U

_PARAM_RE = re.compile(r"\?(\d+)")
SYSTEM_COLUMNS = ("ctid", "xmin", "xmax", "cmin", "cmax", "tableoid", "oid")


def rowid_name(rel) -> str:
    """A name SQLite reads as the rowid of rel's table (one no column of it shadows)."""
    names = {a.name.lower() for a in rel.attrs}
    for n in ("rowid", "_rowid_", "oid"):
        if n not in names:
            return n
    raise SqlError("0A000", f'table "{rel.name}" has columns named rowid, _rowid_ and oid: its triggers cannot run')


def cascade_targets(cat, rel, event: str) -> list[tuple[int, str]]:
    """(relation OID, event) of the tables that foreign-key actions of `event` on rel
    change, transitively (ON DELETE CASCADE deletes, SET NULL / SET DEFAULT and ON UPDATE
    CASCADE update)."""
    out: list[tuple[int, str]] = []
    todo = [(rel.oid, event)]
    while todo:
        oid, ev = todo.pop()
        if ev == "INSERT":
            continue
        for child in cat.by_oid.values():
            for con in child.constraints:
                if con.contype != "f" or con.frelid != oid:
                    continue
                action = con.on_delete if ev == "DELETE" else con.on_update
                if action not in ("c", "n", "d"):
                    continue
                hit = (child.oid, "DELETE" if ev == "DELETE" and action == "c" else "UPDATE")
                if hit not in out:
                    out.append(hit)
                    todo.append(hit)
    return out


def captures(rel, event: str) -> bool:
    """Whether row changes of rel by `event` are wanted by a trigger (row-level, or one with
    transition tables)."""
    return any(t.fires_on(event) and (t.row or t.oldtable or t.newtable) for t in rel.triggers)


def param_count(*sqls) -> int:
    return max((int(n) for s in sqls if s for n in _PARAM_RE.findall(s)), default=0)


def spec_sql(spec: dict, ncols: int) -> str:
    """The statement that runs a routed DML from any SQLite statement runner: an INSERT of
    pgsvce_tg_dml's rows into a temporary sink that keeps nothing (exec.triggers), so that
    its RETURNING gives the statement's RETURNING rows and its change count the statement's
    count (pgsvce_tg_dml returns one dummy element per row when there is no RETURNING)."""
    text = json.dumps(spec, separators=(",", ":")).replace("?", "\\u003f").replace("'", "''")
    args = "".join(f", ?{i}" for i in range(1, spec["n"] + 1))
    sql = f'INSERT INTO temp."pgsvc$tg_sink" (v) SELECT j.value FROM json_each(pgsvce_tg_dml(\'{text}\'{args})) AS j'
    if not ncols:
        return sql
    return sql + " RETURNING " + ", ".join(f"pgsvc_rowcol(v, {i})" for i in range(ncols))


class TriggerDmlMixin:
    """Routing of DML through triggers and trigger WHEN conditions (see the module docstring)."""

    conflict_target: list | None = None  # set by DmlMixin.on_conflict: the arbiter columns

    # --- which statements ------------------------------------------------------------

    def transition_table(self, rv):
        """REFERENCING OLD/NEW TABLE AS <name> of the trigger being run (exec.triggers), or None."""
        tables = getattr(self.engine, "transition_tables", None)
        return tables.get(rv.relname) if tables and rv.schemaname is None else None

    def whole_row_ref(self, name: str):
        """A FROM item named where a column is expected (string_agg(new_table::text, ...)):
        its row as one record value, printed as PostgreSQL's record_out prints it
        (pgsvce_row_text, exec.triggers), or None when no FROM item has that name."""
        scope = self.scope
        while scope is not None:
            e = scope.entry(name)
            if e is not None and e.cols:
                rel = e.relation
                # every column, USING ones too (t.* of a join alias or of a USING alias: its columns;
                # a trigger WHEN's OLD / NEW: without the system column it adds)
                cols = e.cols[:len(rel.attrs)] if rel is not None and hasattr(rel, "attrs") else e.cols
                types = ",".join(str(c.oid) for c in cols)
                # a table's or view's whole row is a value of its row type (types.usertypes)
                oid = U.row_type_oid(rel.oid) if rel is not None and U.find(U.row_type_oid(rel.oid)) is not None \
                    and len(cols) == len(rel.attrs) else O.RECORD
                sql = f"pgsvce_row_text('{types}', {', '.join(c.sql for c in cols)})"
                if e.nullable and cols and not e.joined:
                    # the nullable side of an outer join: NULL (not a row of NULLs) when null-extended
                    absent = f"{e.rowid_sql} IS NULL" if e.rowid_sql else \
                        " AND ".join(f"{c.sql} IS NULL" for c in cols)
                    sql = f"CASE WHEN {absent} THEN NULL ELSE {sql} END"
                ex = Ex(sql, oid, name=name, row_types=tuple(c.oid for c in cols))
                self.remember_row_shape(ex.sql, [c.name for c in cols], ex.row_types)  # (translate.composites)
                return ex
            scope = scope.parent
        return None

    def instead_of_target(self, rel) -> bool:
        return any(t.timing == "INSTEAD OF" and t.fires_on(self.dml_kind) for t in rel.triggers)

    def routed(self, rel, events: tuple) -> list[int] | None:
        """The relations to capture row changes of, when a DML of `events` on rel runs
        through the trigger machinery; None when it need not."""
        own = any(t.fires_on(e) for t in rel.triggers for e in events)
        cap = [rel.oid] if any(captures(rel, e) for e in events) else []
        for e in events:
            for oid, ev in cascade_targets(self.catalog, rel, e):
                child = self.catalog.by_oid.get(oid)
                if child is not None and captures(child, ev) or \
                        child is not None and any((not t.row or t.timing == "BEFORE") and t.fires_on(ev)
                                                  for t in child.triggers):
                    if oid not in cap:
                        cap.append(oid)
        if not own and not cap:
            return None
        return cap

    def finish_route(self, d, spec: dict, returning) -> None:
        """spec["n"]: the statement's own parameters (every piece numbers a row's values after them)."""
        spec["ncol"] = len(returning[1]) if returning else 0
        d.trigger_spec = spec
        d.sql = spec_sql(spec, spec["ncol"])
        self.cacheable = self.cacheable and len(d.sql) < 100_000

    def target_sql(self, rel, sa: str) -> str:
        """The FROM item of the target: its table, or a view's query with its columns' names."""
        if rel.kind != "v":
            return f"{quote_sqlite_ident(rel.sqlite_name)} AS {sa}"
        saved = self.privs_needed[:]
        q = self.view_query(rel)
        self.privs_needed[:] = saved + [p for p in self.privs_needed if p not in saved]
        cols = ", ".join(f"q.c{i} AS {quote_sqlite_ident(a.name)}" for i, a in enumerate(rel.attrs))
        return f"(SELECT {cols} FROM {q.sql_paren()} AS q) AS {sa}"

    def returning_over_row(self, rel, returning, n_at: int) -> str:
        """A view's RETURNING list over one row bound at ?n_at.. (the INSTEAD OF result)."""
        if not returning:
            return ""
        row = ", ".join(f"?{n_at + i} AS {quote_sqlite_ident(a.name)}" for i, a in enumerate(rel.attrs))
        return f"SELECT {returning[0][len(' RETURNING '):]} FROM (SELECT {row})"

    # --- INSERT / UPDATE / DELETE --------------------------------------------------------

    def route_insert(self, d, node, sa: str, with_sql: str, source: str, names: list, conflict: str,
                     returning) -> None:
        rel = d.relation
        oc = node.onConflictClause
        do_update = oc is not None and oc.action == enums.OnConflictAction.ONCONFLICT_UPDATE
        cap = self.routed(rel, ("INSERT", "UPDATE") if do_update else ("INSERT",))
        if cap is None:
            return
        if source == "DEFAULT VALUES":
            source, names = "VALUES (NULL)", []
        spec = {"k": "I", "rel": rel.oid, "src": with_sql + self.wco_unchecked(source, rel), "names": names, "cap": cap,
                "conf": "u" if do_update else "n" if oc is not None else ""}
        n = spec["n"] = param_count(d.sql, spec["src"])
        if rel.kind == "v":
            spec["view"] = 1
            spec["ret"] = self.returning_over_row(rel, returning, n + 1)
            self.finish_route(d, spec, returning)
            return
        spec["plain"] = d.sql
        cols, values = row_insert_source(rel, n)
        # the row as BEFORE triggers left it, under the INSERT policies (translate.row_security)
        values = self.rls_insert_source(rel, values, [a.name for a in rel.attrs if not a.generated],
                                        bool(returning), row=True)[0]
        values = self.wco_row_insert(rel, values)  # and its views' WITH CHECK OPTIONs (translate.view_dml)
        ret = returning[0] if returning else ""
        table = quote_sqlite_ident(rel.sqlite_name)
        spec["w"] = f"{with_sql}INSERT INTO {table} AS {sa} ({cols}) {values}{conflict}{ret}"
        if do_update:
            items = self.set_items(oc.targetList, rel)
            spec["cols"] = [a.attnum for a, _ in items]
            spec["cu"] = self.conflict_update(rel, sa, with_sql, dict((a.name, sql) for a, sql in items),
                                              oc, n, ret)
        self.finish_route(d, spec, returning)

    def conflict_update(self, rel, sa: str, with_sql: str, sets: dict, oc, n: int, ret: str) -> dict:
        """The pieces of ON CONFLICT DO UPDATE done row by row (BEFORE UPDATE triggers)."""
        rid = rowid_name(rel)
        table = quote_sqlite_ident(rel.sqlite_name)
        k = len(rel.attrs)
        target = self.conflict_target or []
        find = " AND ".join(f"{quote_sqlite_ident(c)} = ?{n + i + 1}" for i, c in enumerate(target))
        where = self.bool_expr(oc.whereClause, "WHERE").sql if oc.whereClause is not None else "1"
        excluded = ", ".join(f"?{n + i + 1} AS {quote_sqlite_ident(a.name)}" for i, a in enumerate(rel.attrs))
        new = ", ".join(sets.get(a.name, f"{sa}.{quote_sqlite_ident(a.name)}") for a in rel.attrs)
        sets_sql = ", ".join(f"{quote_sqlite_ident(a.name)} = ?{n + i + 1}" for i, a in enumerate(rel.attrs)
                             if not a.generated)
        return {"target": list(target), "find": f"SELECT {rid} FROM {table} WHERE {find or '0'}",
                "new": f"{with_sql}SELECT {new}, ({where}) FROM {table} AS {sa}, (SELECT {excluded}) AS excluded "
                       f"WHERE {sa}.{rid} = ?{n + k + 1}",
                "w": f"{with_sql}UPDATE {table} AS {sa} SET {sets_sql} WHERE {sa}.{rid} = ?{n + k + 1}{ret}"}

    def route_update(self, d, sa: str, with_sql: str, from_sql: str, items: list, where: str, returning) -> None:
        rel = d.relation
        cap = self.routed(rel, ("UPDATE",))
        if cap is None:
            return
        sets = {a.name: sql for a, sql in items}
        rid = f"{sa}.{rowid_name(rel)}" if rel.kind != "v" else "0"
        old = ", ".join(f"{sa}.{quote_sqlite_ident(a.name)}" for a in rel.attrs)
        new = ", ".join(sets.get(a.name, f"{sa}.{quote_sqlite_ident(a.name)}") for a in rel.attrs)
        more = ", " + from_sql[len(" FROM "):] if from_sql else ""
        src = f"{with_sql}SELECT {rid}, {old}, {new} FROM {self.target_sql(rel, sa)}{more}{self.wco_unchecked(where, rel)}"
        spec = {"k": "U", "rel": rel.oid, "src": src, "cols": [a.attnum for a, _ in items], "cap": cap}
        n = spec["n"] = param_count(d.sql, src)
        if rel.kind == "v":
            spec["view"] = 1
            spec["ret"] = self.returning_over_row(rel, returning, n + 1)
        else:
            k = len(rel.attrs)
            sets_sql = ", ".join(f"{quote_sqlite_ident(a.name)} = ?{n + i + 1}" for i, a in enumerate(rel.attrs)
                                 if not a.generated)  # SQLite computes generated columns
            spec["plain"] = d.sql
            # the row as BEFORE triggers left it, under the policies (translate.row_security)
            check = self.rls_update_row_check(rel, {a.name: f"?{n + i + 1}" for i, a in enumerate(rel.attrs)
                                                    if not a.generated})
            check += self.wco_row_update(rel, {a.name: f"?{n + i + 1}" for i, a in enumerate(rel.attrs)})
            spec["w"] = (f"{with_sql}UPDATE {quote_sqlite_ident(rel.sqlite_name)} AS {sa} SET {sets_sql} "
                         f"WHERE {sa}.{rowid_name(rel)} = ?{n + k + 1}{check}{returning[0] if returning else ''}")
        self.finish_route(d, spec, returning)

    def route_delete(self, d, sa: str, with_sql: str, where: str, returning) -> None:
        rel = d.relation
        cap = self.routed(rel, ("DELETE",))
        if cap is None:
            return
        rid = f"{sa}.{rowid_name(rel)}" if rel.kind != "v" else "0"
        old = ", ".join(f"{sa}.{quote_sqlite_ident(a.name)}" for a in rel.attrs)
        src = f"{with_sql}SELECT {rid}, {old} FROM {self.target_sql(rel, sa)}{where}"
        spec = {"k": "D", "rel": rel.oid, "src": src, "cap": cap}
        n = spec["n"] = param_count(d.sql, src)
        if rel.kind == "v":
            spec["view"] = 1
            spec["ret"] = self.returning_over_row(rel, returning, n + 1)
        else:
            spec["plain"] = d.sql
            spec["w"] = (f"{with_sql}DELETE FROM {quote_sqlite_ident(rel.sqlite_name)} AS {sa} "
                         f"WHERE {sa}.{rowid_name(rel)} = ?{n + 1}{returning[0] if returning else ''}")
        self.finish_route(d, spec, returning)

    # --- WHEN conditions ----------------------------------------------------------------

    def trigger_when(self, rel, node, row: bool = True) -> str:
        """A trigger's WHEN condition as SQLite SQL over OLD = ?1..?k and NEW = ?k+1..?2k
        (k columns), with PostgreSQL's parse-time errors (CreateTrigger's are the caller's)."""
        _check_when_tree(node)
        node = _expand_rows(node, rel)
        k = len(rel.attrs)
        self.scope = Scope()
        for name, base in (("old", 0), ("new", k)):
            cols = [ColInfo(a.name, a.type_oid, a.typmod, f"?{base + i + 1}", rel.oid, a.attnum)
                    for i, a in enumerate(rel.attrs)]
            if rel.attr("tableoid") is None:  # the one system column a WHEN can have here
                cols.append(ColInfo("tableoid", O.OID, -1, str(rel.oid)))
            self.scope.add(RangeEntry(name, cols, rel, star_cols=list(cols[:len(rel.attrs)])))
        self.agg_forbidden = "trigger WHEN conditions"
        try:
            return self.bool_expr(node, "WHEN").sql
        finally:
            self.agg_forbidden = None


def _check_when_tree(node) -> None:
    """transformExpr's refusals inside a trigger's WHEN: subqueries and window functions."""
    def visit(n):
        if isinstance(n, ast.SubLink):
            raise SqlError("0A000", "cannot use subquery in trigger WHEN condition", position=location(n))
        if isinstance(n, ast.FuncCall) and n.over is not None:
            raise SqlError("42P20", "window functions are not allowed in trigger WHEN conditions",
                           position=location(n))
        if isinstance(n, ast.Node):
            for attr in n:
                visit(getattr(n, attr))
        elif isinstance(n, (list, tuple)):
            for x in n:
                visit(x)
    visit(node)


def _whole_row(node) -> str | None:
    """'old' / 'new' for OLD, NEW, OLD.*, NEW.* (a whole row), else None."""
    if isinstance(node, ast.ColumnRef):
        f = node.fields
        if f and isinstance(f[0], ast.String) and f[0].sval in ("old", "new") and \
                (len(f) == 1 or len(f) == 2 and isinstance(f[1], ast.A_Star)):
            return f[0].sval
    return None


def _columns(which: str, rel, location) -> list:
    return [ast.ColumnRef(fields=(ast.String(sval=which), ast.String(sval=a.name)), location=location)
            for a in rel.attrs]


def stored_when(node):
    """A WHEN condition as tgqual keeps it: a bare OLD / NEW written OLD.* / NEW.*."""
    return _rewrite(node, lambda n: ast.ColumnRef(fields=(ast.String(sval=_whole_row(n)), ast.A_Star()),
                                                  location=n.location)
                    if _whole_row(n) and len(n.fields) == 1 else None)


def _expand_rows(node, rel):
    """OLD / NEW / OLD.* / NEW.* as values (a copy of the tree): compared with IS [NOT]
    DISTINCT FROM, column by column; elsewhere ROW(old.a, old.b, ...)."""
    K = enums.A_Expr_Kind

    def one(n):
        which = _whole_row(n)
        if which is not None:
            return ast.RowExpr(args=tuple(_columns(which, rel, n.location)),
                               row_format=enums.CoercionForm.COERCE_EXPLICIT_CALL, location=n.location)
        if isinstance(n, ast.A_Expr) and n.kind in (K.AEXPR_DISTINCT, K.AEXPR_NOT_DISTINCT) and \
                _whole_row(n.lexpr) and _whole_row(n.rexpr):
            pairs = zip(_columns(_whole_row(n.lexpr), rel, n.location), _columns(_whole_row(n.rexpr), rel, n.location))
            parts = tuple(ast.A_Expr(kind=n.kind, name=n.name, lexpr=a, rexpr=b, location=n.location)
                          for a, b in pairs)
            if len(parts) == 1:
                return parts[0]
            op = enums.BoolExprType.OR_EXPR if n.kind == K.AEXPR_DISTINCT else enums.BoolExprType.AND_EXPR
            return ast.BoolExpr(boolop=op, args=parts, location=n.location)
        return None
    return _rewrite(node, one)


def _rewrite(node, fn):
    """A copy of the tree where fn(n) (when not None) replaces n, outermost first."""
    new = fn(node)
    if new is not None:
        return new
    if isinstance(node, ast.Node):
        changes = {}
        for attr in node:
            value = getattr(node, attr)
            got = _rewrite(value, fn)
            if got is not value:
                changes[attr] = got
        if not changes:
            return node
        copy = type(node)(**{a: getattr(node, a) for a in node})
        for attr, value in changes.items():
            setattr(copy, attr, value)
        return copy
    if isinstance(node, tuple):
        items = tuple(_rewrite(x, fn) for x in node)
        return node if all(a is b for a, b in zip(items, node)) else items
    return node


def when_references(node) -> list[tuple[str, str, int | None]]:
    """(old|new, column or '*', position) of each OLD./NEW. reference in a WHEN condition."""
    out = []

    def visit(n):
        if isinstance(n, ast.ColumnRef):
            f = n.fields
            if len(f) >= 1 and isinstance(f[0], ast.String) and f[0].sval in ("old", "new"):
                col = f[1].sval if len(f) > 1 and isinstance(f[1], ast.String) else "*"
                out.append((f[0].sval, col, location(n)))
            return
        if isinstance(n, ast.Node):
            for attr in n:
                visit(getattr(n, attr))
        elif isinstance(n, (list, tuple)):
            for x in n:
                visit(x)
    visit(node)
    return out


__all__ = ["TriggerDmlMixin", "rowid_name", "cascade_targets", "captures", "when_references", "stored_when", "spec_sql",
           "SYSTEM_COLUMNS"]


def row_insert_source(rel, n: int) -> tuple[str, str]:
    """The columns and source of an INSERT writing one whole row of rel from parameters
    ?n+1.. (one per column): generated columns are left out for SQLite to compute, their
    parameters still named (a WHERE that is always true) so that the row binds as a whole."""
    cols = ", ".join(quote_sqlite_ident(a.name) for a in rel.attrs if not a.generated)
    values = ", ".join(f"?{n + i + 1}" for i, a in enumerate(rel.attrs) if not a.generated)
    skipped = [f"?{n + i + 1} IS NULL" for i, a in enumerate(rel.attrs) if a.generated]
    if not skipped:
        return cols, f"VALUES ({values})"
    return cols, f"SELECT {values} WHERE ({' OR '.join(skipped)} OR 1)"
