"""The typed nodes of pgsvc's deparser: what pgsvc.sql.deparse.analyze makes of a raw
pglast tree (the shapes of PostgreSQL's analysed nodes that matter to ruleutils.c's
output) and what pgsvc.sql.deparse.printing prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from pgsvc.sql.types import oids as O



class Unsupported(Exception):
    """A construct the deparser does not model (the caller uses the stored text)."""


# --- typed nodes ---------------------------------------------------------------------

@dataclass(eq=False)
class Node:
    typ: int = O.UNKNOWN
    typmod: int = -1


@dataclass(eq=False)
class Var(Node):
    rte: object = None  # RangeEntry; None: a merged JOIN USING column (printed unqualified)
    name: str = ""
    param: bool = False  # a routine's parameter (PostgreSQL's Param)


@dataclass(eq=False)
class Const(Node):
    text: str | None = None  # the type's output text; None is NULL


@dataclass(eq=False)
class Op(Node):
    name: str = ""
    left: Node | None = None  # None: prefix operator
    right: Node | None = None


@dataclass(eq=False)
class Func(Node):
    name: str = ""
    args: list = field(default_factory=list)
    agg: bool = False
    star: bool = False
    distinct: bool = False
    order: list = field(default_factory=list)  # [(expr, desc, nulls_first)]
    filter: Node | None = None
    within: list | None = None  # an ordered-set aggregate's WITHIN GROUP (ORDER BY ...): [(expr, desc, nulls_first)]
    over: tuple | None = None  # window function: (PARTITION BY exprs, ORDER BY items)
    syntax: bool = False  # written in SQL syntax: POSITION(a IN b), EXTRACT(f FROM x), ...
    schema: str = ""  # a user function the search path does not find by its bare name
    oid: int = 0  # a user function's (pg_depend's references)


@dataclass(eq=False)
class Cast(Node):
    arg: Node | None = None
    implicit: bool = False


@dataclass(eq=False)
class BoolX(Node):
    op: str = "AND"  # AND OR NOT
    args: list = field(default_factory=list)


@dataclass(eq=False)
class NullTest(Node):
    arg: Node | None = None
    negated: bool = False


@dataclass(eq=False)
class BoolTest(Node):
    arg: Node | None = None
    test: str = "IS TRUE"


@dataclass(eq=False)
class CaseX(Node):
    arg: Node | None = None
    whens: list = field(default_factory=list)  # [(cond_or_value, result)]
    default: Node | None = None


@dataclass(eq=False)
class FuncLike(Node):
    """COALESCE / GREATEST / LEAST / NULLIF: keyword(args)."""
    keyword: str = ""
    args: list = field(default_factory=list)


@dataclass(eq=False)
class Keyword(Node):
    """SQLValueFunction: CURRENT_DATE, CURRENT_USER, ..."""
    word: str = ""


@dataclass(eq=False)
class ArrayX(Node):
    elems: list = field(default_factory=list)


@dataclass(eq=False)
class ScalarArrayOp(Node):
    name: str = "="
    use_or: bool = True
    left: Node | None = None
    right: Node | None = None


@dataclass(eq=False)
class Distinct(Node):
    left: Node | None = None
    right: Node | None = None


@dataclass(eq=False)
class Subscript(Node):
    """array[i] (SubscriptingRef)."""
    base: Node | None = None
    index: Node | None = None


@dataclass(eq=False)
class SubLink(Node):
    kind: str = "EXPR"  # EXISTS ANY ALL EXPR ARRAY
    test: Node | None = None
    opname: str = ""
    query: object = None


@dataclass(eq=False)
class GroupingSetX:
    """A GROUP BY grouping set as parse analysis leaves it (flatten_grouping_sets)."""
    kind: str = "SIMPLE"  # EMPTY SIMPLE ROLLUP CUBE SETS
    content: list = field(default_factory=list)  # expressions (SIMPLE) or GroupingSetX


# --- range entries and queries ------------------------------------------------------------

@dataclass(eq=False)
class RangeEntry:
    refname: str | None  # the name printed (unique among the query and its ancestors)
    cols: list  # [(name, typ, typmod)]
    relation: object = None  # catalog Relation (kind 'r'/'v'/...) for a FROM relation
    alias_given: bool = False
    subquery: object = None
    hidden: set = field(default_factory=set)
    name: str | None = None  # the name the query refers to it by (alias or relation name)
    merged: dict = field(default_factory=dict)  # JOIN USING: column -> (printed entry or None)
    cte: str | None = None  # a reference to a WITH query of this name
    colaliases: bool = False  # FROM t AS x(a, b): the column names are printed after the name
    function: Node | None = None  # FROM f(...) [WITH ORDINALITY]
    ordinality: bool = False
    lateral: bool = False
    params: bool = False  # a routine's parameters (a Var of it is a Param to the printer)

    def col(self, name: str):
        for c in self.cols:
            if c[0] == name:
                return c
        return None


@dataclass(eq=False)
class JoinItem:
    kind: str  # JOIN LEFT JOIN RIGHT JOIN FULL JOIN CROSS JOIN
    left: object
    right: object
    quals: Node | None = None
    using: list | None = None
    natural: bool = False
    merged: RangeEntry | None = None  # the merged USING columns


@dataclass(eq=False)
class Query:
    targets: list = field(default_factory=list)  # [(expr, name, junk)]
    from_items: list = field(default_factory=list)  # RangeEntry | JoinItem
    where: Node | None = None
    group: list = field(default_factory=list)  # expressions, or GroupingSetX items (grouping sets)
    group_distinct: bool = False
    having: Node | None = None
    order: list = field(default_factory=list)  # [(expr, desc, nulls_first)]
    limit: Node | None = None
    offset: Node | None = None
    distinct: list | None = None  # [] plain DISTINCT, [exprs] DISTINCT ON
    setop: tuple | None = None  # (op, all, left Query, right Query)
    entries: list = field(default_factory=list)
    ctes: list = field(default_factory=list)  # WITH: [(name, column aliases, Query, materialized)]
    values: list | None = None  # VALUES (...), (...): rows of expressions
    recursive: bool = False
