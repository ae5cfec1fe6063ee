"""Name resolution: the range entries visible to an expression (FROM items, their
aliases and columns with PostgreSQL types), nested for correlated subqueries, and
PostgreSQL's errors for missing or ambiguous names.

Every range entry is emitted with a SQLite alias of its own (`"t"`, or a generated one
for subqueries); columns of subqueries and CTEs are carried positionally as "c0", "c1",
... so PostgreSQL's duplicate or odd output names ("?column?") never reach SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.translate.ex import Ex
from pgsvc.sql.translate.fuzzy import column_hint
from pgsvc.sql.types import oids as O


@dataclass(slots=True)
class ColInfo:
    name: str
    oid: int
    typmod: int = -1
    sql: str = ""  # SQLite expression referring to it
    table_oid: int = 0
    attnum: int = 0
    notnull: bool = False
    row_types: tuple | None = None  # a ROW(...) column's fields' types (translate.composites)


@dataclass
class RangeEntry:
    alias: str | None  # None: merged USING/NATURAL columns (unqualified access only)
    cols: list[ColInfo]
    relation: object = None  # catalog Relation for plain tables
    hidden: set = field(default_factory=set)  # names hidden from unqualified lookup (merged by USING)
    star_cols: list | None = None  # explicit '*' order when different from cols
    rowid_sql: str | None = None  # a plain table's rowid: NULL exactly when an outer join null-extends it
    nullable: bool = False  # on the nullable side of an outer join (its whole row can be NULL)
    joined: bool = False  # a join's alias: its whole row is a ROW(...) of its columns, never NULL
    tableoid_sql: str | None = None  # a table's system column tableoid (from_items.range_var)
    view: object = None  # the view a derived entry reads (FOR UPDATE reaches its relations: translate.view_dml)
    using_alias: bool = False  # JOIN ... USING (...) AS x: not a FROM-clause entry's name (errors)


class Scope:
    # PL/pgSQL marks the scopes of its variables (exec.plpgsql.exprs): a column name that is
    # also a variable is then PostgreSQL's variable_conflict ('error': ambiguous;
    # 'use_variable': the variable; 'use_column': the column)
    variables: str | None = None
    # a sublink's query: the clause its enclosing query was reading when the sublink began
    # (an aggregate of only outer columns belongs there: not allowed in WHERE, ...)
    outer_clause: str | None = None
    outer_aggregated = False  # an aggregate of a sublink belongs to this query level (translate.funcs)

    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.entries: list[RangeEntry] = []
        self.output_aliases: dict[str, object] = {}  # SELECT-list aliases (ORDER BY / GROUP BY)
        self.hidden_aliases: set[str] = set()  # tables inside an aliased join: (a JOIN b) AS x
        self.conflict_floor = 0  # entries before it: a join's left side, checked when the join ends
        self.unreachable: list[RangeEntry] = []  # UPDATE/DELETE's target while its FROM is read

    def add(self, entry: RangeEntry, position: int | None = None) -> None:
        """A FROM item's names (PostgreSQL's error names no position)."""
        if entry.alias is not None:
            for e in self.entries[self.conflict_floor:]:
                if e.alias == entry.alias:
                    raise SqlError("42712", f'table name "{entry.alias}" specified more than once')
        self.entries.append(entry)

    def check_conflicts(self, start: int, mid: int) -> None:
        """A join's right side (entries from mid) against its left side (start to mid)."""
        left = {e.alias for e in self.entries[start:mid] if e.alias is not None}
        for e in self.entries[mid:]:
            if e.alias in left:
                raise SqlError("42712", f'table name "{e.alias}" specified more than once')

    def resolve_column(self, names: list[str], position: int | None):
        scope: Scope | None = self
        while scope is not None:
            try:
                found = scope._find(names, position)
            except SqlError as err:
                if err.sqlstate == "42703" and err.hint is None:
                    err.hint = column_hint(self, names[-1], names[-2])
                raise
            if found is not None:
                c = found
                if len(names) == 1 and scope.variables is None and scope.parent is not None:
                    c = scope.variable_conflict(names[0], position) or c
                return Ex(c.sql, c.oid, c.typmod, name=c.name, table_oid=c.table_oid, attnum=c.attnum,
                          notnull=c.notnull, row_types=c.row_types)
            scope = scope.parent
        if len(names) == 1:
            scope = self
            while scope is not None:  # a LATERAL item of UPDATE ... FROM naming the target's column
                for e in scope.unreachable:
                    if any(c.name == names[0] for c in e.cols):
                        raise SqlError("42P01", f'invalid reference to FROM-clause entry for table "{e.alias}"',
                                       position=position, hint=f'There is an entry for table "{e.alias}", but '
                                                               "it cannot be referenced from this part of the query.")
                scope = scope.parent
            raise SqlError("42703", f'column "{names[0]}" does not exist', position=position,
                           hint=column_hint(self, names[0], None))
        qual = names[-2]
        if not self._has_alias(qual):
            raise self.missing_entry(qual, position)
        raise SqlError("42703", f"column {'.'.join(names[-2:])} does not exist", position=position,
                       hint=column_hint(self, names[-1], qual))

    def variable_conflict(self, name: str, position) -> ColInfo | None:
        """A column `name` was found here; a PL/pgSQL variable of that name further out is an
        error, or wins ('use_variable')."""
        scope = self.parent
        while scope is not None:
            if scope.variables is not None and scope.variables != "use_column":
                found = scope._find([name], position)
                if found is not None:
                    if scope.variables == "use_variable":
                        return found
                    raise SqlError("42702", f'column reference "{name}" is ambiguous', position=position,
                                   detail="It could refer to either a PL/pgSQL variable or a table column.")
            scope = scope.parent
        return None

    def missing_entry(self, qual: str, position) -> SqlError:
        """PostgreSQL's errorMissingRTE: a table there under an alias of its own, a table
        there but out of reach (inside an aliased join), or no such entry."""
        scope: Scope | None = self
        while scope is not None:
            for e in scope.entries:
                if e.relation is not None and getattr(e.relation, "name", None) == qual and e.alias != qual:
                    return SqlError("42P01", f'invalid reference to FROM-clause entry for table "{qual}"',
                                    position=position, hint=f'Perhaps you meant to reference the table alias '
                                                            f'"{e.alias}".')
            scope = scope.parent
        if self._hides(qual):
            return SqlError("42P01", f'invalid reference to FROM-clause entry for table "{qual}"',
                            position=position, hint=f'There is an entry for table "{qual}", but it '
                                                    "cannot be referenced from this part of the query.")
        return SqlError("42P01", f'missing FROM-clause entry for table "{qual}"', position=position)

    def _hides(self, alias: str) -> bool:
        scope: Scope | None = self
        while scope is not None:
            if alias in scope.hidden_aliases:
                return True
            scope = scope.parent
        return False

    def _has_alias(self, alias: str) -> bool:
        scope: Scope | None = self
        while scope is not None:
            if any(e.alias == alias for e in scope.entries):
                return True
            scope = scope.parent
        return False

    def _find(self, names: list[str], position) -> ColInfo | None:
        col = names[-1]
        if len(names) >= 2:
            qual = names[-2]
            if sum(e.alias == qual for e in self.entries) > 1:  # a join's two sides, seen from a LATERAL item
                raise SqlError("42P09", f'table reference "{qual}" is ambiguous', position=position)
            for e in self.entries:
                if e.alias == qual:
                    for c in e.cols:
                        if c.name == col:
                            return c
                    system = _system_column(e, col)
                    if system is not None:
                        return system
                    if len(names) == 2:
                        raise SqlError("42703", f"column {qual}.{col} does not exist", position=position)
            return None
        hits = []
        for e in self.entries:
            if col in e.hidden:
                continue
            hits.extend(c for c in e.cols if c.name == col)  # an aliased join may have it twice
        if len(hits) > 1:
            raise SqlError("42702", f'column reference "{col}" is ambiguous', position=position)
        if not hits and len(self.entries) == 1:
            return _system_column(self.entries[0], col)
        return hits[0] if hits else None

    def column_level(self, names: list[str]) -> int | None:
        """How many query levels out a column reference (or a FROM item's whole row) resolves:
        0 here, 1 the enclosing query, ...; None: not a column (a variable, unknown, ambiguous)."""
        scope: Scope | None = self
        level = 0
        while scope is not None:
            try:
                found = scope._find(names, None)
            except SqlError:
                return None
            if found is not None or len(names) == 1 and scope.entry(names[0]) is not None:
                return None if scope.variables is not None else level
            scope = scope.parent
            level += 1
        return None

    def entry(self, alias: str) -> RangeEntry | None:
        for e in self.entries:
            if e.alias == alias:
                return e
        return None

    def star(self, alias: str | None, position) -> list[ColInfo]:
        if alias is not None:
            scope: Scope | None = self
            while scope is not None:  # alias.* may name an entry of an enclosing query (LATERAL)
                e = scope.entry(alias)
                if e is not None:
                    return list(e.cols)
                scope = scope.parent
            raise self.missing_entry(alias, position)
        out: list[ColInfo] = []
        if not self.entries:
            raise SqlError("42601", "SELECT * with no tables specified is not valid", position=position)
        for e in self.entries:
            out.extend(e.star_cols if e.star_cols is not None else e.cols)
        return out


def _system_column(e: RangeEntry, col: str) -> ColInfo | None:
    """The system column tableoid of a pg_catalog relation (a constant: the catalog's OID;
    psql's \\dD+ joins pg_description on it). Other system columns are not provided."""
    rel = e.relation
    if col == "tableoid" and rel is not None and getattr(rel, "schema", None) == "pg_catalog" and rel.oid:
        return ColInfo("tableoid", O.OID, -1, str(rel.oid))
    if col == "tableoid" and e.tableoid_sql is not None:
        return ColInfo("tableoid", O.OID, -1, e.tableoid_sql)
    if col == "pgsvc$rowid" and e.rowid_sql is not None and rel is not None:  # (a MERGE's actions: translate.merge)
        return ColInfo(col, O.INT8, -1, e.rowid_sql)
    return None


def aggregate_level(scope: Scope, node) -> int:
    """PostgreSQL's level of an aggregate call: the nearest query level whose columns its
    arguments name (0: this one; also when they name none)."""
    levels = [scope.column_level([getattr(f, "sval", "*") for f in ref.fields[:-1]] +
                                 ([] if isinstance(ref.fields[-1], ast.A_Star) else [ref.fields[-1].sval]))
              for ref in _column_refs((node.args, node.agg_filter, node.agg_order))]
    levels = [lv for lv in levels if lv is not None]
    return min(levels) if levels else 0


def _column_refs(node):
    """The column references in an expression tree, not those of its subqueries."""
    if isinstance(node, ast.ColumnRef):
        yield node
    elif isinstance(node, (ast.SubLink, ast.SelectStmt, ast.RangeSubselect)):
        return
    elif isinstance(node, ast.Node):
        for a in node:
            yield from _column_refs(getattr(node, a))
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _column_refs(v)
