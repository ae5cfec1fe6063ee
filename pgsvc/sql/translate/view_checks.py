"""WITH CHECK OPTION of the views an INSERT or UPDATE writes through (PostgreSQL's
WithCheckOptions of rewriteTargetView, checked as ExecWithCheckOptions does): each new row of
the base relation must satisfy the collected view conditions (translate.view_dml gathers
them, innermost view first), else 44000 new row violates check option for view ... with the
failing row. A statement that runs in one SQLite statement checks its source rows (INSERT)
or its SET values (UPDATE); one run row by row for BEFORE triggers (translate.trigger_dml)
checks each row as the triggers leave it. The relations a view's own condition names are
checked as the view owner (the caller for security_invoker), marked by mark_view_owned.
"""

from __future__ import annotations

import copy

from pglast import ast

from pgsvc.sql.quoting import quote_sqlite_ident
from pgsvc.sql.translate.ex import Ex, view_owned_location
from pgsvc.sql.translate.names import ColInfo, RangeEntry, Scope
from pgsvc.sql.types import oids as O


def mark_view_owned(node, role: int):
    """node (a view's own WHERE, a copy) with each relation it names marked to be checked as
    `role` (translate.from_items.range_var; ex.view_owned_by)."""
    if isinstance(node, ast.RangeVar):
        node.location = view_owned_location(role)
    elif isinstance(node, ast.Node):
        for k in node.__slots__:
            v = getattr(node, k)
            if isinstance(v, (ast.Node, tuple)):
                mark_view_owned(v, role)
    elif isinstance(node, tuple):
        for x in node:
            mark_view_owned(x, role)
    return node


class ViewCheckMixin:
    view_checks: list = []  # (view name, condition node over the base named wco_alias)
    wco_alias = ""
    wco_plain: dict = {}

    def wco_test(self, rel, alias: str, cols: dict) -> str | None:
        """The new row's WITH CHECK OPTION tests over `cols` (base column -> SQLite expression),
        raising PostgreSQL's 44000 with the failing row; None without any."""
        checks = getattr(self, "view_checks", None)
        if not checks:
            return None
        scope = Scope()
        scope.add(RangeEntry(alias, [ColInfo(a.name, a.type_oid, a.typmod, cols[a.name], rel.oid, a.attnum)
                                     for a in rel.attrs], rel))
        saved = (self.scope, self.ctes)
        self.scope, self.ctes = scope, {}
        try:
            texts = [f"coalesce({self.coerce(Ex(cols[a.name], a.type_oid, a.typmod), O.TEXT, -1, 'e').sql}, 'null')"
                     for a in rel.attrs]
            detail = "'Failing row contains (' || " + " || ', ' || ".join(texts or ["''"]) + " || ').'"
            out = []
            for name, cond in checks:
                test = self.bool_expr(copy.deepcopy(cond), "WHERE").sql
                msg = f'new row violates check option for view "{name}"'.replace("'", "''")
                out.append(f"WHEN NOT coalesce({test}, 0) THEN pgsvce_raise_detail('44000', '{msg}', {detail})")
        finally:
            self.scope, self.ctes = saved
        return f"CASE {' '.join(out)} ELSE 1 END"

    def wco_insert_source(self, rel, alias: str, source: str, names: list) -> tuple[str, list]:
        """INSERT through a view WITH CHECK OPTION: the new rows, each checked."""
        if not getattr(self, "view_checks", None) or not rel.attrs:
            return source, names
        if source == "DEFAULT VALUES" or not names:
            source, names = "VALUES (NULL)", [rel.attrs[0].name]
        inner = self.new_alias(rel.name)
        cols = {a.name: "NULL" for a in rel.attrs}
        cols.update({n: f"{inner}.c{i}" for i, n in enumerate(names)})
        test = self.wco_test(rel, alias, cols)
        cn = ", ".join(f"c{i}" for i in range(len(names)))
        out = f"SELECT {cn} FROM (WITH {inner}({cn}) AS ({source}) SELECT * FROM {inner}) AS {inner} WHERE {test}"
        self.wco_plain[out] = source
        return out, names

    def wco_unchecked(self, sql: str, rel=None) -> str:
        """A source or WHERE without its WITH CHECK OPTION test: a statement run row by row
        (translate.trigger_dml) checks each row as its BEFORE triggers leave it instead (a
        view's INSTEAD OF triggers get rows already checked)."""
        if not getattr(self, "view_checks", None) or (rel is not None and rel.kind == "v"):
            return sql
        return self.wco_plain.get(sql, sql)

    def wco_row_insert(self, rel, values: str) -> str:
        """The one-row VALUES of a row-by-row INSERT, checked (translate.trigger_dml)."""
        if not getattr(self, "view_checks", None):
            return values
        return self.wco_insert_source(rel, self.wco_alias, values, [a.name for a in rel.attrs if not a.generated])[0]

    def wco_row_update(self, rel, new: dict) -> str:
        """' AND ' the new row's checks in a row-by-row UPDATE (translate.trigger_dml), or ''."""
        if not getattr(self, "view_checks", None):
            return ""
        cols = {a.name: new.get(a.name, "NULL") for a in rel.attrs}
        return f" AND {self.wco_test(rel, self.wco_alias, cols)}"

    def wco_where(self, rel, alias: str, sa: str, where: str, items) -> str:
        """UPDATE through a view WITH CHECK OPTION: each updated row's new values checked."""
        if not getattr(self, "view_checks", None):
            return where
        new = {a.name: f"{sa}.{quote_sqlite_ident(a.name)}" for a in rel.attrs}
        new.update({a.name: f"({sql})" for a, sql in items})
        test = self.wco_test(rel, alias, new)
        gate = where[len(" WHERE "):] if where else "1"
        out = f" WHERE ({gate}) AND CASE WHEN ({gate}) THEN {test} ELSE 0 END"
        self.wco_plain[out] = where
        return out

