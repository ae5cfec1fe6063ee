"""INSERT / UPDATE / DELETE through an automatically updatable view (PostgreSQL's
rewriteTargetView): the statement becomes the same statement on the view's base relation,
which is then translated as any other (a view over a view is rewritten again; the base
table's triggers, row security, partitions and defaults apply as they do to it).

A view is automatically updatable when its query reads one table or view and has no
DISTINCT, GROUP BY, HAVING, set operation, WITH, LIMIT / OFFSET, aggregate, window function
or set-returning function in its select list; its columns that are plain columns of the base
relation can be written, the others only read. Otherwise the statement fails with
PostgreSQL's 0A000 "cannot insert into view" and the reason in its DETAIL, as does writing
a column that is no plain base column ("cannot update column ... of view ...").

How the statement is rewritten: the base relation takes the name the statement gave the
view (its alias, else the view's name); the view's columns named in the statement become
the view's select-list expressions over that name; SET and INSERT column lists name the
base columns; an UPDATE's or DELETE's WHERE gets the view's own WHERE added; an INSERT's
omitted columns with a view default (ALTER VIEW ... ALTER COLUMN ... SET DEFAULT) take it.
Privileges: the view's as the caller, the base relation's as the view owner (the caller for a
security_invoker view), as PostgreSQL checks them.
"""

from __future__ import annotations

import copy

import pglast
from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import rules as RU
from pgsvc.sql.translate.dml import column_default
from pgsvc.sql.translate.ex import location
from pgsvc.sql.translate.grouping import has_aggregate
from pgsvc.sql.translate.tlist_srf import target_srfs
from pgsvc.sql.translate.view_checks import ViewCheckMixin, mark_view_owned

SYSTEM_COLUMNS = ("ctid", "xmin", "xmax", "cmin", "cmax", "tableoid", "oid")
WRITABLE_KINDS = ("r", "v", "p", "f")
NOT_COLUMN = "View columns that are not columns of their base relation are not updatable."
VERBS = {"INSERT": ("insert into", "inserting into"), "UPDATE": ("update", "updating"),
         "DELETE": ("delete from", "deleting from")}


def is_true(v) -> bool:
    return str(v).lower() in ("true", "on", "1", "yes", "t")


class ViewShape:
    """A view's query as the rewrite needs it: its base relation and, per view column, the
    select-list expression (None where the view is not automatically updatable)."""

    def __init__(self, detail: str | None, base_rv=None, base_names=(), exprs=(), where=None,
                 col_detail=None) -> None:
        self.detail = detail  # why the view is not automatically updatable (None: it is)
        self.base_rv = base_rv
        self.base_names = base_names  # the names the view's query gives its base relation
        self.exprs = list(exprs)  # per view column: its expression in the view's query
        self.where = where
        self.col_detail = col_detail or {}  # view column -> why it cannot be written


def _from_range_vars(items) -> list:
    out = []
    for it in items:
        if isinstance(it, ast.RangeVar):
            out.append(it)
        elif isinstance(it, ast.JoinExpr):
            out += _from_range_vars((it.larg, it.rarg))
        elif isinstance(it, ast.RangeSubselect) and isinstance(it.subquery, ast.SelectStmt):
            out += _from_range_vars(it.subquery.fromClause or ())
    return out


def has_views(catalog) -> bool:
    """Whether the catalog snapshot has any view (kept on it: one look per snapshot)."""
    got = catalog.__dict__.get("pgsvc_has_views")
    if got is None or got[0] != catalog.version:
        got = (catalog.version, any(r.kind == "v" for r in catalog.by_oid.values()))
        catalog.__dict__["pgsvc_has_views"] = got
    return got[1]


def parse_view(tr, rel) -> ast.SelectStmt:
    node = pglast.parse_sql(rel.viewdef)[0].stmt
    return node


def unwrap_aliases(node: ast.SelectStmt):
    """CREATE VIEW v (x, y) is kept as SELECT * FROM (query) AS v(x, y): the inner query."""
    if len(node.targetList or ()) == 1 and len(node.fromClause or ()) == 1 and \
            isinstance(node.fromClause[0], ast.RangeSubselect) and node.whereClause is None and \
            isinstance(node.targetList[0].val, ast.ColumnRef) and \
            isinstance(node.targetList[0].val.fields[-1], ast.A_Star) and \
            node.fromClause[0].alias is not None and node.fromClause[0].alias.aliasname == "v" and \
            node.fromClause[0].alias.colnames and isinstance(node.fromClause[0].subquery, ast.SelectStmt):
        return node.fromClause[0].subquery
    return node


def shape_of(tr, rel, check_cols: bool = True) -> ViewShape:
    q = unwrap_aliases(parse_view(tr, rel))
    if q.op != enums.SetOperation.SETOP_NONE:
        return ViewShape("Views containing UNION, INTERSECT, or EXCEPT are not automatically updatable.")
    if q.distinctClause:
        return ViewShape("Views containing DISTINCT are not automatically updatable.")
    if q.groupClause:
        return ViewShape("Views containing GROUP BY are not automatically updatable.")
    if q.havingClause is not None:
        return ViewShape("Views containing HAVING are not automatically updatable.")
    if q.withClause is not None:
        return ViewShape("Views containing WITH are not automatically updatable.")
    if q.limitCount is not None or q.limitOffset is not None:
        return ViewShape("Views containing LIMIT or OFFSET are not automatically updatable.")
    if has_aggregate(q.targetList, tr.catalog):
        return ViewShape("Views that return aggregate functions are not automatically updatable.")
    if any(_has_window(rt.val) for rt in q.targetList or ()):
        return ViewShape("Views that return window functions are not automatically updatable.")
    if target_srfs(q):
        return ViewShape("Views that return set-returning functions are not automatically updatable.")
    single = "Views that do not select from a single table or view are not automatically updatable."
    if len(q.fromClause or ()) != 1 or not isinstance(q.fromClause[0], ast.RangeVar):
        if len(q.fromClause or ()) == 1 and isinstance(q.fromClause[0], ast.RangeTableSample):
            return ViewShape("Views containing TABLESAMPLE are not automatically updatable.")
        return ViewShape(single)
    rv = q.fromClause[0]
    try:
        base = tr.relation(copy.deepcopy(rv))
    except SqlError:
        return ViewShape(single)
    if base.kind not in WRITABLE_KINDS:
        return ViewShape(single)
    names = {rv.alias.aliasname} if rv.alias else {rv.relname}
    base_cols = {a.name for a in base.attrs}
    exprs = []
    for rt in q.targetList or ():
        v = rt.val
        if isinstance(v, ast.ColumnRef) and isinstance(v.fields[-1], ast.A_Star):
            exprs += [ast.ColumnRef(fields=(ast.String(sval=next(iter(names))), ast.String(sval=a.name)))
                      for a in base.attrs]
        else:
            exprs.append(v)
    exprs = exprs[:len(rel.attrs)]
    col_detail = {}
    for a, e in zip(rel.attrs, exprs):
        why = column_verdict(e, names, base_cols)
        if why is not None:
            col_detail[a.name] = why
    shape = ViewShape(None, rv, names, exprs, q.whereClause, col_detail)
    shape.base = base
    if check_cols and len(col_detail) == len(rel.attrs) and rel.attrs:
        shape.detail = "Views that have no updatable columns are not automatically updatable."
    return shape


def _has_window(node) -> bool:
    if isinstance(node, ast.FuncCall) and node.over is not None:
        return True
    if isinstance(node, (ast.SubLink, ast.SelectStmt)):
        return False
    if isinstance(node, ast.Node):
        return any(_has_window(getattr(node, k)) for k in node.__slots__)
    if isinstance(node, tuple):
        return any(_has_window(x) for x in node)
    return False


def base_column(e, names, base_cols) -> str | None:
    """The base column a view expression is, else None."""
    if not isinstance(e, ast.ColumnRef) or not all(isinstance(f, ast.String) for f in e.fields):
        return None
    f = [x.sval for x in e.fields]
    if len(f) == 1 and f[0] in base_cols:
        return f[0]
    if len(f) >= 2 and f[-2] in names and f[-1] in base_cols:
        return f[-1]
    return None


def column_verdict(e, names, base_cols) -> str | None:
    if base_column(e, names, base_cols) is not None:
        return None
    if isinstance(e, ast.ColumnRef) and all(isinstance(f, ast.String) for f in e.fields):
        f = [x.sval for x in e.fields]
        if f[-1] in SYSTEM_COLUMNS:
            return "View columns that refer to system columns are not updatable."
        if len(f) == 1 and f[0] in names:
            return "View columns that return whole-row references are not updatable."
    return NOT_COLUMN


class _Requalify:
    """A view expression over the base relation named `new` (its names: `old`)."""

    def __init__(self, old, new: str, base_cols) -> None:
        self.old, self.new, self.base_cols = old, new, base_cols

    def __call__(self, node, depth: int = 0):
        if isinstance(node, ast.ColumnRef) and all(isinstance(f, ast.String) for f in node.fields):
            f = [x.sval for x in node.fields]
            if len(f) >= 2 and f[-2] in self.old:
                return ast.ColumnRef(fields=(ast.String(sval=self.new), ast.String(sval=f[-1])),
                                     location=node.location)
            if len(f) == 1 and depth == 0 and f[0] in self.base_cols:
                return ast.ColumnRef(fields=(ast.String(sval=self.new), ast.String(sval=f[0])),
                                     location=node.location)
            if len(f) == 1 and depth == 0 and f[0] in self.old:  # the base's whole row
                return ast.ColumnRef(fields=(ast.String(sval=self.new),), location=node.location)
            return node
        if isinstance(node, ast.Node):
            d = depth + 1 if isinstance(node, ast.SelectStmt) else depth
            for k in node.__slots__:
                v = getattr(node, k)
                if isinstance(v, (ast.Node, tuple)):
                    setattr(node, k, self(v, d))
            return node
        if isinstance(node, tuple):
            return tuple(self(x, depth) for x in node)
        return node


class ViewDmlMixin(ViewCheckMixin):
    view_target_as: int | None = None  # the role the rewritten target's privileges are checked as
    view_reads_node = None  # the statement as written (whether it reads the target's columns)

    def need_target(self, rel, node, letters: str) -> None:
        if self.view_target_as is None:
            return super().need_target(rel, node, letters)
        saved = self.check_as
        self.check_as = self.view_target_as
        try:
            return super().need_target(rel, self.view_reads_node or node, letters)
        finally:
            self.check_as = saved

    def lock_view_relations(self, rel, depth: int = 0) -> None:
        """SELECT ... FOR UPDATE / SHARE of a view: UPDATE on the relations its query reads
        too, as the view owner (markQueryForLocking reaching into the view)."""
        if depth > 32:
            return
        saved = self.check_as
        if not is_true(rel.options.get("security_invoker", "")):
            self.check_as = rel.owner
        try:
            for rv in _from_range_vars(parse_view(self, rel).fromClause or ()):
                try:
                    inner = self.relation(copy.deepcopy(rv))
                except SqlError:
                    continue
                if inner.kind == "v":
                    self.need(inner, "w")
                    self.lock_view_relations(inner, depth + 1)
                elif inner.schema != "pg_catalog":
                    self.need(inner, "w")
        finally:
            self.check_as = saved

    def view_rule_target(self, node):
        """A statement on an automatically updatable view whose base (or a view further down)
        has rules for its event: the statement on that relation, for the rules to rewrite
        (exec.runner; PostgreSQL's RewriteQuery recursing on the rewritten query); else None."""
        self.dml_kind = {ast.InsertStmt: "INSERT", ast.UpdateStmt: "UPDATE", ast.DeleteStmt: "DELETE"}[type(node)]
        rel = self.relation(node.relation)
        if rel.kind != "v" or RU.for_event(rel, self.dml_kind) or \
                (self.catalog.triggers and self.instead_of_target(rel)):
            return None
        out, stopped = self.through_views(node, stop_at_rules=True)
        return out if stopped else None

    def through_views(self, node, stop_at_rules: bool = False):
        """node, or the same statement on the base relation of the automatically updatable
        view(s) it writes (stop_at_rules: (node, whether a relation with rules stopped it))."""
        self.view_target_as = self.view_reads_node = None
        self.view_checks = []  # (view name, its WHERE over the base): WITH CHECK OPTION, innermost first
        self.wco_plain: dict = {}  # checked SQL -> the same without the checks
        if not has_views(self.catalog):
            return (node, False) if stop_at_rules else node
        letter = {"INSERT": "a", "UPDATE": "w", "DELETE": "d"}[self.dml_kind]
        cascaded = False
        for depth in range(64):  # a view over a view ...: bounded (a cycle cannot be created)
            rel = self.relation(node.relation)
            if stop_at_rules and depth and RU.for_event(rel, self.dml_kind):
                return node, True
            if rel.kind != "v" or (self.catalog.triggers and self.instead_of_target(rel)):
                return (node, False) if stop_at_rules else node
            verb, doing = VERBS[self.dml_kind]
            if any(r.instead and r.qual for r in RU.for_event(rel, self.dml_kind)):
                raise SqlError("55000", f'cannot {verb} view "{rel.name}"',
                               detail="Views with conditional DO INSTEAD rules are not automatically updatable.",
                               hint=f"To enable {doing} the view, provide an INSTEAD OF {self.dml_kind} trigger "
                                    f"or an unconditional ON {self.dml_kind} DO INSTEAD rule.")
            shape = shape_of(self, rel, self.dml_kind != "DELETE")
            if shape.detail is not None:
                raise SqlError("0A000", f'cannot {verb} view "{rel.name}"', detail=shape.detail,
                               hint=f"To enable {doing} the view, provide an INSTEAD OF {self.dml_kind} trigger "
                                    f"or an unconditional ON {self.dml_kind} DO INSTEAD rule.")
            orig = self.view_reads_node or node
            owner_as = self.view_target_as if self.view_target_as is not None else self.check_as
            saved = self.check_as
            self.check_as = owner_as  # the view's privileges: the caller's, or an outer view owner's
            try:
                super().need_target(rel, orig, letter)
            finally:
                self.check_as = saved
            self.view_reads_node = orig
            if not is_true(rel.options.get("security_invoker", "")):
                owner_as = rel.owner
            node, subst, where = self.rewrite_for_view(node, rel, shape, owner_as)
            self.wco_alias = node.relation.alias.aliasname
            self.view_target_as = owner_as
            if self.dml_kind != "DELETE":  # (rewriteTargetView's WithCheckOptions)
                self.view_checks = [(n, subst.top(c)) for n, c in self.view_checks]
                option = rel.options.get("check_option")
                if option in ("local", "cascaded") or cascaded:
                    cascaded = cascaded or option == "cascaded"
                    if where is not None:
                        self.view_checks.insert(0, (rel.name, where))
        raise SqlError("54001", "views nested too deeply")

    # --- the rewrite --------------------------------------------------------------

    def rewrite_for_view(self, node, rel, shape: ViewShape, owner=None):
        node = copy.deepcopy(node)
        if owner is not None and shape.where is not None:  # its relations: as the view owner (translate.from_items)
            shape = copy.copy(shape)
            shape.where = mark_view_owned(copy.deepcopy(shape.where), owner)
        rv = node.relation
        name = rv.alias.aliasname if rv.alias else rel.name
        base = shape.base
        base_cols = [a.name for a in base.attrs]
        req = _Requalify(shape.base_names, name, set(base_cols))
        mapping = {}  # view column -> expression over the base relation named `name`
        plain = {}  # view column -> base column (the writable ones)
        for a, e in zip(rel.attrs, shape.exprs):
            mapping[a.name] = req(copy.deepcopy(e))
            b = base_column(e, shape.base_names, set(base_cols))
            if b is not None and a.name not in shape.col_detail:
                plain[a.name] = b
        view_cols = [a.name for a in rel.attrs]
        subst = _Subst(self, name, mapping, plain, view_cols, set(base_cols), rel)
        subst.has_from = bool(getattr(node, "fromClause", None) or getattr(node, "usingClause", None))
        new_rv = copy.deepcopy(shape.base_rv)
        new_rv.alias = ast.Alias(aliasname=name)
        new_rv.inh = rv.inh and shape.base_rv.inh
        new_rv.location = rv.location
        node.relation = new_rv
        verb = VERBS[self.dml_kind][0]
        if isinstance(node, ast.InsertStmt):
            self.view_insert(node, rel, subst, plain, shape, verb)
        elif isinstance(node, ast.UpdateStmt):
            targets = []
            for rt in node.targetList:
                if rel.attr(rt.name) is None:
                    raise SqlError("42703", f'column "{rt.name}" of relation "{rel.name}" does not exist',
                                   position=location(rt))
                if rt.name not in plain:
                    raise SqlError("0A000", f'cannot update column "{rt.name}" of view "{rel.name}"',
                                   detail=shape.col_detail.get(rt.name, NOT_COLUMN))
                rt.val = subst.top(rt.val)
                rt.name = plain[rt.name]
                if not rt.indirection and any(t.name == rt.name and not t.indirection for t in targets):
                    raise SqlError("42601", f'multiple assignments to same column "{rt.name}"')
                targets.append(rt)
            node.targetList = tuple(targets)
            node.fromClause = subst.top(node.fromClause) if node.fromClause else node.fromClause
            node.whereClause = self.view_where(node.whereClause, subst, shape, req)
        else:
            node.usingClause = subst.top(node.usingClause) if node.usingClause else node.usingClause
            node.whereClause = self.view_where(node.whereClause, subst, shape, req)
        if node.returningList:
            node.returningList = subst.returning(node.returningList)
        return node, subst, req(copy.deepcopy(shape.where)) if shape.where is not None else None

    def view_where(self, where, subst, shape, req):
        if isinstance(where, ast.CurrentOfExpr):
            raise SqlError("0A000", "WHERE CURRENT OF on a view is not supported")
        mine = subst.top(where) if where is not None else None
        theirs = req(copy.deepcopy(shape.where)) if shape.where is not None else None
        if theirs is None:
            return mine
        if mine is None:
            return theirs
        return ast.BoolExpr(boolop=enums.BoolExprType.AND_EXPR, args=(theirs, mine))

    def view_insert(self, node, rel, subst, plain, shape, verb) -> None:
        sel = node.selectStmt
        if node.cols:
            named, rts = [], []
            for rt in node.cols:
                if rel.attr(rt.name) is None:
                    raise SqlError("42703", f'column "{rt.name}" of relation "{rel.name}" does not exist',
                                   position=location(rt))
                named.append(rt.name)
                rts.append(rt)
        else:
            if sel is None:
                width = 0
            elif isinstance(sel, ast.SelectStmt) and sel.valuesLists:
                width = max(len(r) for r in sel.valuesLists)
            else:
                width = len(type(self)(self.engine, self.catalog, list(self.param_oids)).select(
                    copy.deepcopy(sel)).columns)
            if width > len(rel.attrs):
                raise SqlError("42601", "INSERT has more expressions than target columns")
            named = [a.name for a in rel.attrs[:width]]
            rts = [None] * width
        defaults = {a.name: column_default(a) for a in rel.attrs if column_default(a) is not None}
        single = isinstance(sel, ast.SelectStmt) and sel.valuesLists and len(sel.valuesLists) == 1
        if single:  # DEFAULT: the view's default, else the base column's (the item left out)
            row = list(sel.valuesLists[0])
            keep = []
            for i, n in enumerate(named):
                if i < len(row) and isinstance(row[i], ast.SetToDefault):
                    if n in defaults:
                        row[i] = _parse_expr(defaults[n])
                    else:
                        continue
                keep.append(i)
            sel.valuesLists = (tuple(row[i] for i in keep) + tuple(row[len(named):]),)
            named = [named[i] for i in keep]
            rts = [rts[i] for i in keep]
        elif isinstance(sel, ast.SelectStmt) and sel.valuesLists:  # each DEFAULT: the view's default, if any
            sel.valuesLists = tuple(
                tuple(_parse_expr(defaults[named[i]]) if isinstance(v, ast.SetToDefault) and i < len(named)
                      and named[i] in defaults else v for i, v in enumerate(row)) for row in sel.valuesLists)
        for n in named + [n for n in defaults if n not in named]:
            if n not in plain:
                raise SqlError("0A000", f'cannot insert into column "{n}" of view "{rel.name}"',
                               detail=shape.col_detail.get(n, NOT_COLUMN))
        extra = [n for n in defaults if n not in named]
        if extra:
            vals = [_parse_expr(defaults[n]) for n in extra]
            if sel is None:
                sel = node.selectStmt = ast.SelectStmt(valuesLists=(tuple(vals),),
                                                       limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT,
                                                       op=enums.SetOperation.SETOP_NONE)
            elif sel.valuesLists and not sel.sortClause and sel.limitCount is None:
                sel.valuesLists = tuple(tuple(r) + tuple(copy.deepcopy(vals)) for r in sel.valuesLists)
            else:
                sub = ast.RangeSubselect(subquery=sel, alias=ast.Alias(aliasname="pgsvc$v"))
                items = [ast.ResTarget(val=ast.ColumnRef(fields=(ast.String(sval="pgsvc$v"), ast.A_Star())))]
                items += [ast.ResTarget(val=v) for v in vals]
                sel = node.selectStmt = ast.SelectStmt(targetList=tuple(items), fromClause=(sub,),
                                                       limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT,
                                                       op=enums.SetOperation.SETOP_NONE)
            named += extra
            rts += [None] * len(extra)
        bases = [plain[n] for n, rt in zip(named, rts) if rt is None or not rt.indirection]
        for i, b in enumerate(bases):
            if b in bases[:i]:
                raise SqlError("42601", f'multiple assignments to same column "{b}"')
        node.cols = tuple(ast.ResTarget(name=plain[n], indirection=rt.indirection if rt is not None else None,
                                        location=rt.location if rt is not None else -1)
                          for n, rt in zip(named, rts)) or None
        oc = node.onConflictClause
        if oc is not None:
            if oc.infer is not None:
                for e in oc.infer.indexElems or ():
                    if e.name is not None:
                        if e.name not in plain:
                            raise SqlError("42703", f'column "{e.name}" does not exist')
                        e.name = plain[e.name]
                if oc.infer.whereClause is not None:
                    oc.infer.whereClause = subst.top(oc.infer.whereClause)
            if oc.targetList:
                targets = []
                for rt in oc.targetList:
                    if rt.name not in plain:
                        if rel.attr(rt.name) is None:
                            raise SqlError("42703", f'column "{rt.name}" of relation "{rel.name}" does not exist',
                                           position=location(rt))
                        raise SqlError("0A000", f'cannot insert into column "{rt.name}" of view "{rel.name}"',
                                       detail=shape.col_detail.get(rt.name, NOT_COLUMN))
                    rt.val = subst.top(rt.val, excluded=True)
                    rt.name = plain[rt.name]
                    targets.append(rt)
                oc.targetList = tuple(targets)
            if oc.whereClause is not None:
                oc.whereClause = subst.top(oc.whereClause, excluded=True)


def _parse_expr(text: str):
    return pglast.parse_sql(f"SELECT {text}")[0].stmt.targetList[0].val


class _Subst:
    """The statement's references to the view's columns, as expressions over its base."""

    def __init__(self, tr, name: str, mapping: dict, plain: dict, view_cols: list, base_cols: set, rel) -> None:
        self.tr, self.name, self.mapping, self.plain = tr, name, mapping, plain
        self.view_cols, self.base_cols, self.rel = view_cols, base_cols, rel
        self.identity = {c for c, e in mapping.items() if plain.get(c) == c}
        self.excluded = False
        self.has_from = False

    def top(self, node, excluded: bool = False):
        self.excluded = excluded
        try:
            return self.walk(copy.deepcopy(node), 0, ())
        finally:
            self.excluded = False

    def expr_for(self, col: str, qual: str):
        e = copy.deepcopy(self.mapping[col])
        if qual == self.name:
            return e
        return _Requalify({self.name}, qual, self.base_cols)(e)

    def walk(self, node, depth: int, shadow: tuple):
        if isinstance(node, ast.ColumnRef):
            return self.column(node, depth, shadow)
        if isinstance(node, ast.SelectStmt):
            names = shadow + (self.from_columns(node.fromClause or ()),)
            for k in node.__slots__:
                v = getattr(node, k)
                if isinstance(v, (ast.Node, tuple)):
                    setattr(node, k, self.walk(v, depth + 1, names))
            return node
        if isinstance(node, ast.Node):
            for k in node.__slots__:
                v = getattr(node, k)
                if isinstance(v, (ast.Node, tuple)):
                    setattr(node, k, self.walk(v, depth, shadow))
            return node
        if isinstance(node, tuple):
            return tuple(self.walk(x, depth, shadow) for x in node)
        return node

    def from_columns(self, items) -> set:
        """Column names the FROM items of a subquery give (so that they shadow the view's)."""
        out: set = set()
        for it in items:
            if isinstance(it, ast.RangeVar):
                try:
                    r = self.tr.relation(copy.deepcopy(it))
                except SqlError:
                    continue
                out |= {a.name for a in r.attrs}
                out.add(it.alias.aliasname if it.alias else it.relname)
            elif isinstance(it, ast.JoinExpr):
                out |= self.from_columns((it.larg, it.rarg))
            elif isinstance(it, (ast.RangeSubselect, ast.RangeFunction)) and it.alias is not None:
                out.add(it.alias.aliasname)
                out |= {c.sval for c in it.alias.colnames or ()}
                if isinstance(it, ast.RangeSubselect) and isinstance(it.subquery, ast.SelectStmt):
                    for rt in it.subquery.targetList or ():
                        if rt.name:
                            out.add(rt.name)
                        elif isinstance(rt.val, ast.ColumnRef) and isinstance(rt.val.fields[-1], ast.String):
                            out.add(rt.val.fields[-1].sval)
        return out

    def column(self, node, depth: int, shadow: tuple):
        f = node.fields
        if not all(isinstance(x, (ast.String, ast.A_Star)) for x in f):
            return node
        words = [x.sval if isinstance(x, ast.String) else "*" for x in f]
        shadowed = any(words[0] in s for s in shadow)
        if self.excluded and len(words) == 2 and words[0] == "excluded" and not shadowed:
            if words[1] == "*":  # the view's proposed row
                return ast.RowExpr(args=tuple(self.expr_for(c, "excluded") for c in self.view_cols),
                                   row_format=enums.CoercionForm.COERCE_IMPLICIT_CAST, location=node.location)
            if words[1] in self.mapping:
                return self.expr_for(words[1], "excluded")
            raise SqlError("42703", f"column excluded.{words[1]} does not exist", position=location(node))
        if len(words) == 1 and words[0] != "*":
            c = words[0]
            if shadowed:
                return node
            if c in self.mapping:
                return node if c in self.identity and depth == 0 else self.expr_for(c, self.name)
            if depth == 0 and c in self.base_cols and not self.has_from:
                raise SqlError("42703", f'column "{c}" does not exist', position=location(node))
            return node
        if len(words) == 2 and words[0] == self.name and words[1] != "*" and not shadowed:
            if words[1] in self.mapping:
                return self.expr_for(words[1], self.name)
            raise SqlError("42703", f"column {self.name}.{words[1]} does not exist", position=location(node))
        return node

    def returning(self, items):
        out = []
        for rt in items:
            v = rt.val
            if isinstance(v, ast.ColumnRef) and isinstance(v.fields[-1], ast.A_Star) and \
                    (len(v.fields) == 1 or (isinstance(v.fields[0], ast.String) and v.fields[0].sval == self.name)):
                out += [ast.ResTarget(name=c, val=self.expr_for(c, self.name)) for c in self.view_cols]
                continue
            rt = copy.deepcopy(rt)
            if rt.name is None and isinstance(v, ast.ColumnRef) and isinstance(v.fields[-1], ast.String):
                rt.name = v.fields[-1].sval
            rt.val = self.top(rt.val)
            out.append(rt)
        return tuple(out)
