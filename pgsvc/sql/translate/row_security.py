"""Row-level security: a table's policies added to the statements that read or write it, as
PostgreSQL 15's rewriter adds them (rowsecurity.c's get_row_security_policies).

  * Whether RLS applies (check_enable_rls): the table has ROW LEVEL SECURITY enabled, and
    the role the table is read as (the current role, or a view's owner inside a view) is
    not a superuser, has no BYPASSRLS, and is not the table's owner unless FORCE.
  * The policies that apply: those FOR ALL or for the command, TO PUBLIC or to a role whose
    privileges the role has. USING quals of permissive ones are OR'ed (none: no row at
    all), restrictive ones AND'ed to that. New rows (INSERT, UPDATE) must pass the WITH
    CHECK expressions (a policy without one: its USING) combined the same way, or fail
    with 42501.
  * SELECT (and UPDATE ... FROM, subqueries, views): the table reads as a subquery of the
    rows the SELECT policies let through. UPDATE / DELETE: the UPDATE / DELETE policies'
    quals join the WHERE, and the SELECT ones too when the statement reads the table's
    columns.
  * row_security = off: a statement RLS applies to fails (42501) at each execution: the
    translation records ("s", table OID) among the statement's needs and
    pgsvc.sql.catalog.authz.check_statement refuses it.

The decision depends on the current role and the catalog only, which translations are
cached by already (pgsvc.sql.catalog.authz drops them on SET ROLE and role changes), and a
table without RLS costs one dictionary lookup.
"""

from __future__ import annotations

from functools import lru_cache

import pglast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import partitions as P
from pgsvc.sql.catalog import policies as POL
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.names import ColInfo, RangeEntry, Scope


@lru_cache(maxsize=256)
def _parse_expr(text: str):
    return pglast.parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val


class RowSecurityMixin:
    rls_active: tuple = ()  # tables whose policies are being expanded (recursion)
    rls_row_update = None  # an UPDATE's new-row checks left to its row-by-row statement

    def rls_policies(self, rel, cmd: str, target: bool = False) -> list | None:
        """The policies of `rel` for `cmd` ('r', 'a', 'w', 'd') that apply to this statement's
        role, or None when row-level security does not apply. `target`: rel is the written
        relation, whose policies are those of the view owner when the statement was written
        through a view (translate.view_dml's view_target_as; the caller for security_invoker)."""
        if not rel.options.get("rls") or rel.kind != "r":
            return None
        az = authz(self.engine)
        az.fresh()
        check_as = self.check_as
        if target and getattr(self, "view_target_as", None) is not None:
            check_as = self.view_target_as
        rule_as = self.engine.__dict__.get("rule_rls_as")  # a rule action's (exec.rule_dml)
        if not check_as and rule_as is not None and rel.oid not in rule_as[1]:
            check_as = rule_as[0]
        role = check_as or az.current_oid()
        if az.bypasses_rls(role) or (not POL.forced(rel) and az.has_privs_of(role, rel.owner)):
            return None
        item = ("s", rel.oid, "", check_as, False)
        if item not in self.privs_needed:
            self.privs_needed.append(item)
        roles = az.privs_of(role)
        return [p for p in POL.policies(rel) if p.cmd in ("*", cmd) and (0 in p.roles or roles & set(p.roles))]

    def rls_combined(self, rel, pols: list, cols: dict, check: bool) -> str | None:
        """The policies' USING (check=False) or WITH CHECK quals as one SQLite condition over
        the table's columns as `cols` gives them (name -> SQLite expression)."""
        def text(p):
            return (p.check or p.qual) if check else p.qual
        perm = [text(p) for p in pols if p.permissive and text(p) is not None]
        restr = [text(p) for p in pols if not p.permissive and text(p) is not None]
        if not perm:
            return "0"
        parts = ["(" + " OR ".join(self.rls_qual(rel, t, cols) for t in perm) + ")"]
        parts += [self.rls_qual(rel, t, cols) for t in restr]
        return " AND ".join(parts)

    def rls_qual(self, rel, text: str, cols: dict, node=None) -> str:
        """One policy expression (stored text, or `node` while CREATE POLICY checks it) over
        the table's columns."""
        if rel.oid in self.rls_active:
            raise SqlError("42P17", f'infinite recursion detected in policy for relation "{rel.name}"')
        scope = Scope()
        scope.add(RangeEntry(rel.name, [ColInfo(a.name, a.type_oid, a.typmod, cols[a.name], rel.oid, a.attnum,
                                                a.notnull) for a in rel.attrs], rel))
        saved = (self.scope, self.ctes, self.agg_forbidden, self.rls_active)
        self.scope, self.ctes, self.agg_forbidden = scope, {}, "policy expressions"
        self.rls_active = self.rls_active + (rel.oid,)
        try:
            if node is not None:
                return self.bool_expr(node, "POLICY").sql
            try:
                return f"({self.bool_expr(_parse_expr(text), 'POLICY').sql})"
            except SqlError as err:
                err.position = None  # (a position in the stored text, not in the statement)
                raise
        finally:
            self.scope, self.ctes, self.agg_forbidden, self.rls_active = saved

    # --- SELECT ---------------------------------------------------------------------

    def rls_wrap_read(self, rel, source: str, rowid: str | None) -> str:
        """A table read under its SELECT policies: the rows they let through (and its rowid
        under the same name), or `source` unchanged when RLS does not apply."""
        pols = self.rls_policies(rel, "r")
        if pols is None:
            return source
        inner = self.new_alias(rel.name)
        cond = self.rls_combined(rel, pols, {a.name: f"{inner}.{quote_sqlite_ident(a.name)}" for a in rel.attrs},
                                 False)
        keep = f"{inner}.{rowid} AS {rowid}, " if rowid else ""
        return f"(SELECT {keep}{inner}.* FROM {source} AS {inner} WHERE {cond})"

    def rls_lock_where(self, clauses, where: str) -> str:
        """SELECT ... FOR UPDATE / SHARE: the locked tables' UPDATE policies filter the rows
        too (those named in OF, else every table of this FROM)."""
        named = {rv.relname for c in clauses for rv in c.lockedRels or ()}
        conds = []
        for entry in self.scope.entries:
            rel = entry.relation
            if rel is None or (named and entry.alias not in named) or len(entry.cols) != len(rel.attrs):
                continue
            pols = self.rls_policies(rel, "w")
            if pols is not None:
                conds.append(self.rls_combined(rel, pols, {a.name: c.sql for a, c in zip(rel.attrs, entry.cols)},
                                               False))
        if not conds:
            return where
        return " WHERE " + " AND ".join(([f"({where[len(' WHERE '):]})"] if where else []) + conds)

    # --- UPDATE / DELETE / INSERT -----------------------------------------------------

    def rls_where(self, rel, sa: str, where: str, cmd: str, reads: bool, new_cols: dict | None = None) -> str:
        """UPDATE / DELETE: the WHERE clause (" WHERE ..." or "") with the target's policies:
        the command's USING quals (and SELECT's when the statement reads the table), and for
        UPDATE the new row's WITH CHECK, raising 42501 for a row that fails it."""
        pols = self.rls_policies(rel, cmd, target=True)
        if pols is None:
            return where
        old = {a.name: f"{sa}.{quote_sqlite_ident(a.name)}" for a in rel.attrs}
        conds = [self.rls_combined(rel, pols, old, False)]
        if reads:
            conds.append(self.rls_combined(rel, self.rls_policies(rel, "r", target=True), old, False))
        base = where[len(" WHERE "):] if where else ""
        gate = " AND ".join(([f"({base})"] if base else []) + conds)
        if new_cols is None:
            return f" WHERE {gate}"
        if self.catalog.triggers and P.partkey(rel) is None and self.routed(rel, ("UPDATE",)) is not None:
            self.rls_row_update = (pols, reads)  # checked row by row after BEFORE triggers (rls_update_row_check)
            return f" WHERE {gate}"
        new = {a.name: new_cols.get(a.name, old[a.name]) for a in rel.attrs}
        test = self.rls_check_case(rel, pols, new)
        if reads:  # the new row must stay visible too (the SELECT policies as a check)
            test += " AND " + self.rls_check_case(rel, self.rls_policies(rel, "r", target=True), new)
        return f" WHERE {gate} AND CASE WHEN {gate} THEN {test} ELSE 0 END"

    def rls_update_row_check(self, rel, new: dict) -> str:
        """An UPDATE done row by row (translate.trigger_dml): " AND " the new row's checks
        over `new` (name -> SQLite expression), or ""."""
        got = self.rls_row_update
        if got is None:
            return ""
        pols, reads = got
        test = self.rls_check_case(rel, pols, new)
        if reads:
            test += " AND " + self.rls_check_case(rel, self.rls_policies(rel, "r", target=True), new)
        return f" AND {test}"

    def rls_check_case(self, rel, pols: list, cols: dict) -> str:
        """The new row's test, raising PostgreSQL's 42501: the permissive policies' checks
        together (the message names none), then each restrictive one's (it names that one)."""
        def text(p):
            return p.check or p.qual
        perm = [text(p) for p in pols if p.permissive and text(p) is not None]
        tests = [("(" + " OR ".join(self.rls_qual(rel, t, cols) for t in perm) + ")" if perm else "0", None)]
        tests += [(self.rls_qual(rel, text(p), cols), p.name) for p in pols
                  if not p.permissive and text(p) is not None]
        out = []
        for cond, name in tests:
            named = f' "{name}"' if name else ""
            msg = f'new row violates row-level security policy{named} for table "{rel.name}"'.replace("'", "''")
            out.append(f"WHEN NOT coalesce({cond}, 0) THEN pgsvce_raise('42501', '{msg}')")
        return f"CASE {' '.join(out)} ELSE 1 END"

    def rls_insert_source(self, rel, source: str, names: list[str], returning: bool,
                          conflict_update: bool = False, row: bool = False) -> tuple[str, list]:
        """INSERT: the rows to insert (`source`, VALUES or SELECT, in `names`' order) kept
        only when they pass the INSERT policies' WITH CHECK (42501 otherwise)."""
        pols = self.rls_policies(rel, "a", target=True)
        if pols is None:
            return source, names
        if conflict_update:
            raise SqlError("0A000", "INSERT ... ON CONFLICT DO UPDATE is not supported on a table with row-level "
                           "security")
        if not row and self.catalog.triggers and P.partkey(rel) is None and self.routed(rel, ("INSERT",)) is not None:
            return source, names  # checked row by row, after BEFORE triggers (translate.trigger_dml)
        inner = self.new_alias(rel.name)
        if not rel.attrs:
            return source, names
        if not names:  # DEFAULT VALUES of a table without defaults: every column NULL
            source, names = "VALUES (NULL)", [rel.attrs[0].name]
        cols = {a.name: "NULL" for a in rel.attrs}
        cols.update({n: f"{inner}.c{i}" for i, n in enumerate(names)})
        test = self.rls_check_case(rel, pols, cols)
        if returning:  # rows returned must be visible too (SELECT's policies, as a check)
            sel = self.rls_policies(rel, "r", target=True)
            test += " AND " + self.rls_check_case(rel, sel, cols)
        cn = ", ".join(f"c{i}" for i in range(len(names)))
        return f"SELECT {cn} FROM (WITH {inner}({cn}) AS ({source}) SELECT * FROM {inner}) AS {inner} " \
               f"WHERE {test}", names


__all__ = ["RowSecurityMixin"]
