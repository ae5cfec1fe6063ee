"""Data-modifying statements in WITH: INSERT / UPDATE / DELETE ... RETURNING as WITH queries
of the top-level statement (PostgreSQL's "writable CTEs"; SQLite has none).

PostgreSQL's semantics, as the engine runs them (exec.wcte):
  - every data-modifying WITH query runs exactly once, to completion, whether the main
    query reads it, reads part of it (LIMIT) or never names it; in the order written;
  - the WITH query's name reads its RETURNING rows (a query without RETURNING cannot be
    named: 42P10), captured when it ran;
  - all of the statement's parts see one snapshot: a table that a data-modifying WITH query
    changes is read, by the parts that run after that change (later WITH queries, plain
    WITH queries, the main query), as it was when the statement began.

The translation is a spec (kind 'W') the engine runs through the trigger-DML entry points
(exec.trigger_dml.run_trigger_dml, and pgsvce_tg_dml for any other executor):
  steps   one per data-modifying WITH query, in order: {'sql': SQLite statement} or
          {'tg': a trigger-routed statement's spec}, with 'ncol' (RETURNING width) and 'rel'
  main    the main statement, the same way ('sel': 1 for a SELECT)
  snap    key -> SELECT of a table's rows, captured before the first step: what the
          statement reads of the tables its WITH queries change
  n       parameters used;  ncol: the result's width
While it runs, pgsvce_wcte_rows(key) gives the captured rows (steps by number, snapshots
by 's<oid>') as a JSON array of packed rows, read back with pgsvc_rowcol.
"""

from __future__ import annotations

import json

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import rules as RU
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.names import Scope
from pgsvc.sql.translate.trigger_dml import param_count, spec_sql

DML_NODES = (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt)


class NoReturning(list):
    """The columns of a data-modifying WITH query without RETURNING (none: naming it is an error)."""


def has_dml_cte(node) -> bool:
    w = getattr(node, "withClause", None)
    return w is not None and any(isinstance(c.ctequery, DML_NODES) for c in w.ctes)


def _names_read(node, out: set) -> set:
    """The unqualified relation names a query reads (WITH queries it may name)."""
    if isinstance(node, ast.RangeVar):
        if node.schemaname is None:
            out.add(node.relname)
    elif isinstance(node, ast.Node):
        for attr in node.__slots__:
            _names_read(getattr(node, attr, None), out)
    elif isinstance(node, (list, tuple)):
        for x in node:
            _names_read(x, out)
    return out


def recursive_order(w: ast.WithClause) -> list:
    """WITH RECURSIVE's queries in the order they must be made: each after those it names
    (PostgreSQL's makeDependencyGraph: a query may name a later one), else as written. A
    data-modifying one naming itself is PostgreSQL's 42P19."""
    names = [c.ctename for c in w.ctes]
    needs = {}
    for c in w.ctes:
        read = _names_read(c.ctequery, set())
        if isinstance(c.ctequery, DML_NODES) and c.ctename in read:
            raise SqlError("42P19", f'recursive query "{c.ctename}" must not contain data-modifying statements',
                           position=location(c))
        needs[c.ctename] = {n for n in read if n in names and n != c.ctename}
    if len(names) < 2:
        return list(w.ctes)
    out, done = [], set()
    while len(out) < len(w.ctes):
        ready = [c for c in w.ctes if c.ctename not in done and needs[c.ctename] <= done]
        if not ready:
            raise SqlError("0A000", "mutual recursion between WITH items is not implemented",
                           position=location(next(c for c in w.ctes if c.ctename not in done)))
        out.append(ready[0])
        done.add(ready[0].ctename)
    return out


def rows_source(key: str, width: int, names: list[str] | None = None) -> str:
    """A SELECT of captured rows (pgsvce_wcte_rows) as columns c0.. (or the given names)."""
    cols = ", ".join(f"pgsvc_rowcol(j.value, {i}) AS {quote_sqlite_ident(names[i]) if names else f'c{i}'}"
                     for i in range(width)) or "NULL AS c0"
    return f"SELECT {cols} FROM json_each(pgsvce_wcte_rows('{key}')) AS j"


def check_cte_rules(rel, event: str, settings) -> None:
    """Rules of the event on a data-modifying WITH query's table, as PostgreSQL's RewriteQuery
    refuses them there (only one unconditional single-action DO INSTEAD rule can stand in for
    the query; pgsvc does not rewrite a WITH query: that one is 0A000 too)."""
    found = RU.for_event(rel, event, settings.get("session_replication_role") == "replica")
    if not found:
        return
    what = "data-modifying statements in WITH"
    if len(found) == 1 and found[0].instead and not found[0].qual:
        actions = found[0].actions
        if not actions:
            raise SqlError("0A000", f"DO INSTEAD NOTHING rules are not supported for {what}")
        if len(actions) == 1 and actions[0].lstrip().upper().startswith("NOTIFY"):
            raise SqlError("0A000", f"DO INSTEAD NOTIFY rules are not supported for {what}")
        if len(actions) == 1:
            raise SqlError("0A000", f"DO INSTEAD rules on {what} are not supported")
    for r in found:
        if r.instead and r.qual:
            raise SqlError("0A000", f"conditional DO INSTEAD rules are not supported for {what}")
        if not r.instead:
            raise SqlError("0A000", f"DO ALSO rules are not supported for {what}")
    raise SqlError("0A000", f"multi-statement DO INSTEAD rules are not supported for {what}")


class WcteMixin:
    wcte_top = True  # the next statement translated is the top level (the only one WITH may modify in)
    wcte_prefix: tuple | None = None  # (WITH parts, recursive) before a data-modifying WITH query
    wcte_steps: list | None = None
    wcte_targets: frozenset = frozenset()  # tables the statement's WITH queries change
    wcte_changed: frozenset = frozenset()  # of those, the ones changed before what is translated now runs
    wcte_snap: dict | None = None  # key -> SELECT of the rows a snapshot captures
    outer_scope = None  # (enter_statement)

    def enter_statement(self) -> bool:
        """Whether the statement being translated is the top level (then no longer)."""
        top = self.wcte_top
        if top:
            # the statement's own (still empty) scope, under the names around it (a routine's
            # parameters, PL/pgSQL variables): the parts translated apart (WITH queries, MERGE's,
            # translate.returning_from) are made under it, to see those names
            self.outer_scope = self.scope
        self.wcte_top = False
        return top

    def check_dml_ctes(self, w: ast.WithClause, top: bool) -> None:
        """PostgreSQL's rule: only the top level's WITH may hold data-modifying queries. There,
        the tables they change (read as the statement began by what runs after them)."""
        dml = [c for c in w.ctes if isinstance(c.ctequery, DML_NODES)]
        if not dml:
            return
        if not top:
            raise SqlError("0A000", "WITH clause containing a data-modifying statement must be at the top level",
                           position=location(dml[0]))
        self.wcte_steps = []
        self.wcte_snap = {}
        self.wcte_targets = frozenset(self.relation(c.ctequery.relation).oid for c in dml)
        self.wcte_changed = self.wcte_targets  # (the plain WITH queries and the main statement)

    def dml_with(self, node, top: bool) -> str:
        """The WITH of an INSERT / UPDATE / DELETE: the queries before it when it is itself a
        WITH query, then its own."""
        parts, recursive = self.wcte_prefix or ([], False)
        self.wcte_prefix = None
        if node.withClause is not None:
            own, rec = self.with_parts(node.withClause, top)
            parts, recursive = parts + own, recursive or rec
        if not parts:
            return ""
        return ("WITH RECURSIVE " if recursive else "WITH ") + ", ".join(parts) + " "

    def dml_cte(self, cte, parts: list[str], recursive: bool):
        """Translate one data-modifying WITH query: (its columns, its WITH part or None)."""
        q = cte.ctequery
        if RU.has_rules(self.catalog):
            check_cte_rules(self.relation(q.relation), type(q).__name__[:6].upper(), self.session.settings)
        saved = (self.scope, self.dml_kind, self.inherited_dml, self.conflict_target, self.agg_forbidden,
                 self.windows, self.wcte_changed)
        self.scope = Scope(parent=self.outer_scope)
        self.wcte_prefix = (list(parts), recursive)
        self.wcte_changed = frozenset(s["rel"] for s in self.wcte_steps)  # (the steps before it)
        try:
            d = {ast.InsertStmt: self.insert, ast.UpdateStmt: self.update, ast.DeleteStmt: self.delete}[type(q)](q)
        finally:
            (self.scope, self.dml_kind, self.inherited_dml, self.conflict_target, self.agg_forbidden,
             self.windows, self.wcte_changed) = saved
            self.wcte_prefix = None
        step = {"tg": d.trigger_spec} if d.trigger_spec is not None else {"sql": d.sql}
        step["ncol"] = len(d.returning or ())
        step["rel"] = d.relation.oid
        k = len(self.wcte_steps)
        self.wcte_steps.append(step)
        if d.returning is None:
            return NoReturning(), None
        cols = self.cte_columns(cte, d.returning)
        names = ", ".join(f"c{i}" for i in range(len(cols)))
        return cols, f"{quote_sqlite_ident('cte_' + cte.ctename)}({names}) AS ({rows_source(str(k), len(cols))})"

    def wcte_read(self, rel) -> str | None:
        """A read of a table a WITH query has changed by the time it runs: its snapshot."""
        if rel.oid not in self.wcte_changed:
            return None
        key = f"s{rel.oid}"
        names = [a.name for a in rel.attrs]
        if key not in self.wcte_snap:
            cols = ", ".join(quote_sqlite_ident(n) for n in names) or "NULL"
            self.wcte_snap[key] = f"SELECT {cols} FROM {quote_sqlite_ident(rel.sqlite_name)}"
        return f"({rows_source(key, len(names), names)})"

    def cte_reference_check(self, name: str, cols, node) -> None:
        if isinstance(cols, NoReturning):
            raise SqlError("42P10", f'WITH query "{name}" does not have a RETURNING clause', position=location(node))

    # --- the statement the engine runs -------------------------------------------------------

    def wcte_spec(self, main: dict, ncol: int) -> dict:
        spec = {"k": "W", "steps": self.wcte_steps, "main": main, "snap": self.wcte_snap, "ncol": ncol}
        parts = self.wcte_steps + ([main] if main is not None else [])  # (MERGE: no main, translate.merge)
        n = param_count(*[p.get("sql") for p in parts], *self.wcte_snap.values())
        n = max([n] + [p["tg"]["n"] for p in parts if "tg" in p])
        spec["n"] = n
        self.wcte_steps = None
        return spec

    def wcte_query(self, q):
        """The top-level SELECT with data-modifying WITH queries: its SQL runs the spec through
        pgsvce_tg_dml (any executor); q.extra['wcte'] lets the runner run the spec itself."""
        width = len(q.columns)
        spec = self.wcte_spec({"sql": q.sql, "sel": 1, "ncol": width}, width)
        # (as translate.trigger_dml.spec_sql: no '?' in the text, which counts parameters)
        text = json.dumps(spec, separators=(",", ":")).replace("?", "\\u003f").replace("'", "''")
        args = "".join(f", ?{i}" for i in range(1, spec["n"] + 1))
        cols = ", ".join(f"pgsvc_rowcol(j.value, {i}) AS c{i}" for i in range(width)) or "NULL AS c0"
        q.sql = f"SELECT {cols} FROM json_each(pgsvce_tg_dml('{text}'{args})) AS j"
        q.extra = {"wcte": spec}
        return q

    def wcte_dml(self, d):
        """The top-level INSERT / UPDATE / DELETE with data-modifying WITH queries."""
        main = {"tg": d.trigger_spec} if d.trigger_spec is not None else {"sql": d.sql}
        ncol = len(d.returning or ())
        main["ncol"] = ncol
        main["rel"] = d.relation.oid
        spec = self.wcte_spec(main, ncol)
        d.trigger_spec = spec
        d.sql = spec_sql(spec, ncol)
        return d
