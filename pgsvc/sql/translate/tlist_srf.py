"""Set-returning functions in a select list that has a FROM clause:

    SELECT i.indexrelid, unnest(i.indkey) AS attnum, generate_subscripts(i.indkey, 1) AS ord
    FROM pg_index i

PostgreSQL (10 and later) runs the select list's SRFs in lockstep for each row of the FROM
clause: as many output rows as the longest of them produces, the shorter ones giving NULL,
and no row at all where every one of them is empty. Catalog queries of drivers and ORMs
(SQLAlchemy's index and constraint reflection) rely on it.

Translation: each SRF becomes a length and an element-at-position expression over its
(already translated) arguments; the FROM clause gains a counter — SQLite's table-valued
json_each over a JSON array of as many zeros as the longest SRF has rows, which may read
the columns of the FROM items before it — and each SRF's select-list item becomes its
element at the counter's position. Supported: unnest(array), generate_subscripts(array,
dim [, reverse]) and generate_series over integers; another SRF there is refused (0A000).

The same counter zips the arrays of unnest(a1, a2, ...) in FROM (`unnest_zip`).
"""

from __future__ import annotations

from copy import copy

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.translate import resolve as R
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.grouping import has_aggregate
from pgsvc.sql.translate.from_items import series_step, string_pieces, unnest_source
from pgsvc.sql.translate.names import ColInfo, RangeEntry
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import find_oid

ENTRY = "pgsvc$tsrf"
GROUPED = "pgsvc$grouped"  # grouped_target_srfs: the grouped query under its select list's SRFs
LIFTED = "pgsvc$srf"  # select.py's lift_target_srf: SELECT srf(...) without FROM
# json's set-returning functions: (argument types, result type); pgsvc_json_srf_texts gives
# their rows' texts as a JSON array of strings
_JSON_SRFS = {"jsonb_path_query": ((O.JSONB, O.JSONPATH, O.JSONB, O.BOOL), O.JSONB),
              "jsonb_path_query_tz": ((O.JSONB, O.JSONPATH, O.JSONB, O.BOOL), O.JSONB),
              "json_array_elements": ((O.JSON,), O.JSON), "jsonb_array_elements": ((O.JSONB,), O.JSONB),
              "json_array_elements_text": ((O.JSON,), O.TEXT), "jsonb_array_elements_text": ((O.JSONB,), O.TEXT),
              "json_object_keys": ((O.JSON,), O.TEXT), "jsonb_object_keys": ((O.JSONB,), O.TEXT)}
_KNOWN = ("unnest", "generate_subscripts", "generate_series", "string_to_table", *_JSON_SRFS)
# set-returning calls select.py's lift_target_srf turns into the FROM item
SRF_NAMES = {"generate_series", "unnest", "regexp_matches", "pg_partition_ancestors", "pg_listening_channels",
             "string_to_table", *_JSON_SRFS}


def target_srfs(node: ast.SelectStmt) -> list[int]:
    """Positions of the select-list items that are a set-returning call at top level."""
    names = set(SRF_NAMES) | set(_KNOWN)
    return [i for i, rt in enumerate(node.targetList or ())
            if isinstance(rt.val, ast.FuncCall) and rt.val.funcname[-1].sval in names and rt.val.over is None]


def lockstep_only(node: ast.SelectStmt) -> bool:
    """Several set-returning calls in the select list, all of kinds lockstep_target_srfs
    runs side by side (SELECT unnest(a), generate_subscripts(a, 1)): none is lifted to FROM."""
    positions = target_srfs(node)
    return len(positions) > 1 and all(node.targetList[i].val.funcname[-1].sval in _KNOWN for i in positions)


class TargetSrfMixin:
    def grouped_target_srfs(self, node: ast.SelectStmt) -> ast.SelectStmt | None:
        """SELECT max(x), generate_series(1, 3) FROM t [GROUP BY ...]: PostgreSQL runs the
        select list's SRFs after grouping (ProjectSet over the Agg). The grouped query becomes
        a FROM item with the SRFs' arguments as its columns (ORDER BY expressions too), and
        the SRFs, ORDER BY, DISTINCT and LIMIT are the outer query's. None: not such a query."""
        positions = target_srfs(node)
        if not positions or node.distinctClause and node.distinctClause[0] is not None or node.lockingClause:
            return None
        if not node.groupClause and node.havingClause is None \
                and not has_aggregate(node.targetList, self.catalog, self.outer_aggregates):
            return None
        inner_targets = [ast.ResTarget(val=ast.A_Const(isnull=True)) if i in positions else rt
                         for i, rt in enumerate(node.targetList)]  # (positions kept for GROUP BY n)
        names = [c.name for c in self.subquery(_copy_select(node, targetList=tuple(inner_targets),
                                                            sortClause=None, limitCount=None, limitOffset=None,
                                                            distinctClause=None)).columns]

        def column(n: int) -> ast.ColumnRef:
            return ast.ColumnRef(fields=(ast.String(sval=GROUPED), ast.String(sval=f"c{n}")))

        def extra(val) -> ast.ColumnRef:
            inner_targets.append(ast.ResTarget(val=val))
            return column(len(inner_targets) - 1)
        outer_targets = []
        for i, rt in enumerate(node.targetList):
            if i in positions:
                call = copy(rt.val)
                call.args = tuple(extra(a) for a in rt.val.args or ())
                outer_targets.append(ast.ResTarget(name=rt.name or call.funcname[-1].sval, val=call))
            else:
                outer_targets.append(ast.ResTarget(name=rt.name or names[i], val=column(i)))
        out_names = {rt.name for rt in outer_targets}
        sort = []
        for sb in node.sortClause or ():
            n = sb.node
            if isinstance(n, ast.ColumnRef) and len(n.fields) == 1 and isinstance(n.fields[0], ast.String) \
                    and n.fields[0].sval in out_names or self.positional(n) is not None:
                sort.append(sb)
            else:
                sort.append(ast.SortBy(node=extra(n), sortby_dir=sb.sortby_dir, sortby_nulls=sb.sortby_nulls,
                                       useOp=sb.useOp, location=sb.location))
        inner = _copy_select(node, targetList=tuple(inner_targets), sortClause=None, limitCount=None,
                             limitOffset=None, distinctClause=None)
        alias = ast.Alias(aliasname=GROUPED, colnames=tuple(ast.String(sval=f"c{n}")
                                                            for n in range(len(inner_targets))))
        return _copy_select(node, targetList=tuple(outer_targets), withClause=None, whereClause=None,
                            groupClause=None, groupDistinct=False, havingClause=None, windowClause=None,
                            sortClause=tuple(sort) or None,
                            fromClause=(ast.RangeSubselect(lateral=False, subquery=inner, alias=alias),))

    def lockstep_target_srfs(self, node: ast.SelectStmt, from_sql: str) -> str:
        """Rewrite the select list's SRFs (see the module docstring); returns the FROM SQL
        with the counter joined."""
        positions = target_srfs(node)
        if not positions:
            return from_sql
        sa = self.new_alias("srf")
        k = f"{sa}.key"
        lengths, cols = [], []
        targets = list(node.targetList)
        for n, i in enumerate(positions):
            rt = targets[i]
            call = rt.val
            name = call.funcname[-1].sval
            length, element, oid = self.srf_parts(call, name, k)
            lengths.append(length)
            cols.append(ColInfo(name, oid, -1, f"(CASE WHEN {k} < {length} THEN {element} END)"))
            targets[i] = ast.ResTarget(name=rt.name or name, val=ast.ColumnRef(
                fields=(ast.String(sval=ENTRY), ast.String(sval=f"c{n}"))), location=rt.location)
        self.scope.add(RangeEntry(ENTRY, [ColInfo(f"c{n}", c.oid, -1, c.sql) for n, c in enumerate(cols)]))
        node.targetList = tuple(targets)
        join = f"{counter(lengths)} AS {sa}"
        return f"{from_sql} CROSS JOIN {join}" if from_sql else f" FROM {join}"

    def unnest_zip(self, node: ast.RangeFunction, alias: ast.Alias, args) -> str:
        """unnest(a1, a2, ...) [WITH ORDINALITY] in FROM: the arrays side by side, as many
        rows as the longest, NULLs for the shorter (Django reads pg_index this way:
        unnest(indkey, indoption) WITH ORDINALITY)."""
        if alias.aliasname == LIFTED:  # SELECT unnest(a, b): PostgreSQL has it in FROM only
            raise _no_function("unnest", args, location(node.functions[0][0]))
        sa = self.new_alias(alias.aliasname)
        k = f"{sa}.key"
        names = [c.sval for c in alias.colnames or ()]
        lengths, cols = [], []
        for i, arg in enumerate(args):
            t = self.array_type(arg, "unnest", location(node))
            arg = unnest_source(arg)
            length = f"coalesce(json_array_length({arg.sql}), 0)"
            op = "->" if t.elem_oid == O.NUMERIC else "->>"
            lengths.append(length)
            cols.append(ColInfo(names[i] if i < len(names) else "unnest", t.elem_oid, -1,
                                f"(CASE WHEN {k} < {length} THEN ({arg.sql} {op} ('$[' || {k} || ']')) END)"))
        if node.ordinality:
            cols.append(ColInfo(names[len(cols)] if len(names) > len(cols) else "ordinality", O.INT8, -1,
                                f"({k} + 1)"))
        if len(names) > len(cols):
            raise SqlError("42P10", f'table "{alias.aliasname}" has {len(cols)} columns available but '
                           f"{len(names)} columns specified")
        self.scope.add(RangeEntry(alias.aliasname, cols), location(node))
        return f"{counter(lengths)} AS {sa}"


    def srf_parts(self, call: ast.FuncCall, name: str, k: str) -> tuple[str, str, int]:
        """(row count, element at 0-based position k, element type) of one SRF call."""
        args = [self.expr(a) for a in call.args or ()]
        pos = location(call)
        if name == "unnest" and len(args) == 1:
            args = [unnest_source(args[0])]
            t = self.array_type(args[0], name, pos)
            op = "->" if t.elem_oid == O.NUMERIC else "->>"
            return (f"coalesce(json_array_length({args[0].sql}), 0)",
                    f"({args[0].sql} {op} ('$[' || {k} || ']'))", t.elem_oid)
        if name == "unnest" and len(args) > 1:
            raise _no_function(name, args, pos)
        if name == "string_to_table" and len(args) in (2, 3):
            arr = string_pieces(self, args).sql
            return f"coalesce(json_array_length({arr}), 0)", f"({arr} ->> ('$[' || {k} || ']'))", O.TEXT
        if name == "generate_subscripts" and len(args) in (2, 3):
            t = self.array_type(args[0], name, pos)
            dim = self.coerce(args[1], O.INT4).sql
            arr = args[0].sql
            # PostgreSQL's arrays are rectangular: dimension d's length is that of the first
            # element's (d-1)-th nesting; 0 rows past the last dimension or for NULL
            path = f"('$' || replace(hex(zeroblob(({dim}) - 1)), '00', '[0]'))"
            length = (f"(CASE WHEN {dim} >= 1 AND json_type({arr}, {path}) = 'array' "
                      f"THEN json_array_length({arr}, {path}) ELSE 0 END)")
            lower = "0" if args[0].oid in O.VECTOR_OIDS else \
                f"(CASE WHEN substr({arr}, 1, 2) = '/*' THEN pgsvce_array_lower({arr}, {dim}) ELSE 1 END)"
            reverse = self.coerce(args[2], O.BOOL).sql if len(args) == 3 else "0"
            element = f"(CASE WHEN {reverse} THEN {lower} + {length} - 1 - {k} ELSE {lower} + {k} END)"
            return length, element, O.INT4
        if name == "generate_series" and len(args) in (2, 3):
            t = R.common_type([a.oid for a in args], "generate_series")
            if t not in (O.INT2, O.INT4, O.INT8, O.UNKNOWN):
                raise SqlError("0A000", "generate_series() over non-integers in the select list with FROM "
                               "is not supported", position=pos)
            t = O.INT8 if t == O.INT8 else O.INT4
            a, b = self.coerce(args[0], t).sql, self.coerce(args[1], t).sql
            step = series_step(self.coerce(args[2], t).sql) if len(args) == 3 else "1"
            length = (f"(CASE WHEN {step} > 0 AND {b} >= {a} THEN ({b} - {a}) / {step} + 1 "
                      f"WHEN {step} < 0 AND {a} >= {b} THEN ({a} - {b}) / -({step}) + 1 ELSE 0 END)")
            return f"coalesce({length}, 0)", f"({a} + {k} * {step})", t
        if name in _JSON_SRFS and len(args) <= len(_JSON_SRFS[name][0]) and \
                len(args) >= min(len(_JSON_SRFS[name][0]), 2):
            types, ret = _JSON_SRFS[name]
            sql = ", ".join(self.coerce(a, t).sql for a, t in zip(args, types))
            arr = f"pgsvc_json_srf_texts('{name}', {sql})"
            return f"coalesce(json_array_length({arr}), 0)", f"({arr} ->> ('$[' || {k} || ']'))", ret
        raise SqlError("0A000", f"set-returning function {name}() in a select list with FROM is not "
                       "supported (put it in FROM)", position=pos)

    def array_type(self, arg, name: str, pos):
        t = find_oid(arg.oid)
        if t is None or t.category != "A" or not t.elem_oid:
            raise _no_function(name, [arg], pos)
        return t


def _copy_select(node: ast.SelectStmt, **changes) -> ast.SelectStmt:
    out = copy(node)
    for k, v in changes.items():
        setattr(out, k, v)
    return out


def _no_function(name: str, args, pos) -> SqlError:
    types = ", ".join(R.argument_type_name(a.oid) for a in args)
    return SqlError("42883", f"function {name}({types}) does not exist", position=pos,
                    hint="No function matches the given name and argument types. "
                         "You might need to add explicit type casts.")


def counter(lengths: list[str]) -> str:
    """A table-valued json_each with as many rows as the largest of `lengths` (SQL
    expressions); its key column numbers them 0, 1, ... It may read the columns of the FROM
    items before it. (A JSON array of that many zeros, made from a zero-filled blob.)"""
    rows = lengths[0] if len(lengths) == 1 else f"max({', '.join(lengths)})"
    return f"json_each('[' || substr(replace(hex(zeroblob({rows})), '00', '0,'), 1, 2 * ({rows}) - 1) || ']')"
