"""LATERAL: FROM items that read the FROM items before them.

    FROM t, LATERAL (SELECT ... WHERE u.a = t.a LIMIT 1) s
    FROM t LEFT JOIN LATERAL (...) s ON true
    FROM t, generate_series(1, t.n) g          (functions in FROM are implicitly LATERAL)

SQLite's FROM subqueries cannot see their left siblings, but its table-valued json_each
may take an argument that does — including a correlated scalar subquery. So the
subquery (or function) becomes json_each over a JSON array of its rows, evaluated again
for each row on its left, which is exactly LATERAL's meaning; each output column reads
its value back from the packed row (pgsvc.sql.functions.rowsets keeps stored values
exact). Row order is the subquery's own (its ORDER BY keeps SQLite from flattening it
into the aggregate). A LATERAL reference across RIGHT or FULL JOIN is PostgreSQL's
error 42P10.
"""

from __future__ import annotations

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.functions.session_sigs import EXTRA_FUNCTIONS
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.ex import location, sql_literal
from pgsvc.sql.translate.names import ColInfo, RangeEntry, Scope
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import find_oid


class LateralMixin:
    lateral_outer_join = False  # set by join() while translating a RIGHT/FULL join's right side

    def lateral_subquery(self, node: ast.RangeSubselect) -> str:
        if self.lateral_outer_join:
            return self.lateral_under_outer_join(node)
        # the current scope: the items on its left; an aggregate of only their columns would
        # be this query's, in its own FROM clause: PostgreSQL's EXPR_KIND_FROM_SUBSELECT error
        saved, self.agg_forbidden = self.agg_forbidden, "FROM clause of their own query level"
        try:
            q = self.subquery(node.subquery, parent=True)
        finally:
            self.agg_forbidden = saved
        cols = ", ".join(f"c{i}" for i in range(len(q.columns)))
        rows = (f"(SELECT json_group_array(json(pgsvc_rowpack({cols}))) FROM {q.sql_paren()})")
        return self.add_packed(node.alias, [(c.name, c.oid, c.typmod) for c in q.columns], rows, location(node))

    def plain_subquery(self, node: ast.RangeSubselect):
        """A FROM subquery without LATERAL sees only the enclosing queries' scopes; naming an
        item on its left is PostgreSQL's 'invalid reference' (with the LATERAL hint)."""
        try:
            return self.subquery(node.subquery, parent=self.scope.parent)
        except SqlError as err:
            raise self.explain_left_reference(err) from None

    def explain_left_reference(self, err: SqlError) -> SqlError:
        """A name that failed to resolve because it belongs to a FROM item on the left:
        PostgreSQL's hint that it exists but cannot be referenced from there."""
        name = err.message.split('"')[1] if '"' in err.message else None
        if name is None:
            return err
        entries = self.scope.entries + self.scope.unreachable  # (UPDATE's target while its FROM is read)
        if err.sqlstate == "42P01" and err.message.startswith("missing FROM-clause") and not err.hint \
                and any(e.alias == name for e in entries):
            return SqlError("42P01", f'invalid reference to FROM-clause entry for table "{name}"',
                            hint=f'There is an entry for table "{name}", but it cannot be referenced '
                                 "from this part of the query.", position=err.position)
        if err.sqlstate == "42703" and err.message.startswith("column"):
            # an exact name out of reach is the hint, before any near miss (errorMissingColumn)
            for e in entries:
                if e.alias is not None and any(c.name == name for c in e.cols):
                    return SqlError("42703", err.message, position=err.position,
                                    hint=f'There is a column named "{name}" in table "{e.alias}", but it '
                                         "cannot be referenced from this part of the query.")
        return err

    def refuse_outer_join_reference(self, err: SqlError) -> SqlError:
        """A LATERAL reference across RIGHT/FULL JOIN (PostgreSQL's 42P10)."""
        if err.sqlstate != "42P01" or not err.message.startswith("missing FROM-clause"):
            return err
        table = err.message.split('"')[1]
        return SqlError("42P10", f'invalid reference to FROM-clause entry for table "{table}"',
                        detail="The combining JOIN type must be INNER or LEFT for a LATERAL reference.",
                        position=err.position)

    def lateral_under_outer_join(self, node: ast.RangeSubselect) -> str:
        """RIGHT/FULL JOIN LATERAL: fine while the subquery reads nothing on its left."""
        try:
            q = self.subquery(node.subquery, parent=self.scope.parent)
        except SqlError as err:
            raise self.refuse_outer_join_reference(err) from None
        return self.add_derived(node.alias, q.columns, q.sql_paren())

    def lateral_function(self, node: ast.RangeFunction, call, name: str, alias: ast.Alias, args) -> str:
        """A set-returning function whose arguments read other FROM items (or outer queries):
        its generator runs per row inside pgsvc_srf_rows."""
        if self.lateral_outer_join:
            self.check_outer_join_arguments(call)
        sig = R.resolve_function(name, [a.oid for a in args], location(call), extra=EXTRA_FUNCTIONS)
        if sig.kind != "set" or sig.generator is None:
            raise SqlError("0A000", f"{name}() in FROM with arguments from other FROM items (LATERAL) "
                           "is not supported", position=location(call))
        coerced = [self.coerce(a, t) if t not in O.ANY_OIDS else self.finalize_unknown(a)
                   for a, t in zip(args, sig.arg_oids)]
        ret = sig.ret_oid
        if ret in O.ANY_OIDS:
            t = find_oid(coerced[0].oid) if coerced else None
            ret = t.elem_oid if t is not None and t.elem_oid else ret
        oids = ",".join(str(c.oid) for c in coerced)
        rows = f"pgsvc_srf_rows({sql_literal(name)}, {sql_literal(oids)}" + "".join(
            f", {c.sql}" for c in coerced) + ")"
        col = alias.colnames[0].sval if alias.colnames else (alias.aliasname if node.alias else name)
        cols = [(col, ret, -1)]
        if node.ordinality:
            cols.append(("ordinality", 20, -1))
        return self.add_packed(ast.Alias(aliasname=alias.aliasname, colnames=alias.colnames[1:]
                                         if alias.colnames else None),
                               cols, rows, location(node), ordinality=node.ordinality, first_named=True)

    def check_outer_join_arguments(self, call) -> None:
        """Function arguments under RIGHT/FULL JOIN may read only enclosing queries."""
        inner, self.scope = self.scope, Scope(parent=self.scope.parent)
        try:
            for a in call.args or ():
                self.expr(a)
        except SqlError as err:
            self.scope = inner
            raise self.refuse_outer_join_reference(err) from None
        finally:
            self.scope = inner

    def add_packed(self, alias: ast.Alias, cols, rows_sql: str, position, ordinality: bool = False,
                   first_named: bool = False) -> str:
        """Register a FROM item whose rows are the packed JSON array `rows_sql`."""
        sa = self.new_alias(alias.aliasname)
        names = [c.sval for c in alias.colnames or ()]
        if first_named:
            names = [cols[0][0]] + names
        if len(names) > len(cols):
            raise SqlError("42P10", f'table "{alias.aliasname}" has {len(cols)} columns available but '
                           f"{len(names)} columns specified", position=position)
        entry = []
        for i, (name, oid, typmod) in enumerate(cols):
            sql = f"({sa}.key + 1)" if ordinality and i == len(cols) - 1 else f"pgsvc_rowcol({sa}.value, {i})"
            entry.append(ColInfo(names[i] if i < len(names) else name, oid, typmod, sql))
        # (json_each's key: NULL exactly when an outer join null-extends the row)
        self.scope.add(RangeEntry(alias.aliasname, entry, rowid_sql=f"{sa}.key"), position)
        return f"json_each({rows_sql}) AS {sa}"
