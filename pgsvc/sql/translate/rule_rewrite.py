"""The rule system's rewrite (PostgreSQL's rewriteHandler.c for ON INSERT / UPDATE / DELETE
rules): an INSERT, UPDATE or DELETE of a relation with rules becomes a list of statements,
each of which then runs as an ordinary statement (pgsvc.sql.exec.rule_dml).

How NEW and OLD reach a rule's actions: the original statement's rows are one derived table,
"pgsvc$rule", with a column per relation column for OLD (the target row: "pgsvc$oN") and
NEW (the new row: "pgsvc$nN", each cast to the column's type; an INSERT's omitted columns
take their defaults). It is built from the original statement's own text, so its names
resolve as they did there:
  INSERT ... VALUES (...)    (VALUES (cast(v) ...), ...) AS "pgsvc$rule"(...)
  INSERT ... SELECT          (SELECT cast(s.c1) ... FROM (<query>) AS s(c1, ...)) AS ...
  UPDATE t AS a SET ... FROM f WHERE w
                             (SELECT a.x AS "pgsvc$o1", ..., cast(<SET value>) AS "pgsvc$n1", ...
                              FROM t AS a, f WHERE w) AS "pgsvc$rule"
  DELETE FROM t AS a USING u WHERE w     likewise, OLD only.
Each action names old.x / new.x as "pgsvc$rule"."pgsvc$oN" / "pgsvc$nN" and reads the
derived table in its FROM (UPDATE ... FROM, DELETE ... USING, INSERT ... SELECT), with the
rule's WHERE added to its own: so an action runs once per row of the original statement
whose condition holds, as PostgreSQL's rewritten action does.

The original statement runs unless an unconditional INSTEAD rule applies; a conditional
INSTEAD rule adds `(condition) IS NOT TRUE` to it. An INSERT runs before the actions, an
UPDATE or DELETE after them (PostgreSQL's order). An original RETURNING is answered by the
RETURNING of an unconditional INSTEAD rule's action, with the relation's columns read from
that action's RETURNING entries.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import pglast
import pglast.visitors
from pglast import ast, enums
from pglast.stream import RawStream

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import rules as RU
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.translate.dml import column_default
from pgsvc.sql.translate.ex import location
from pgsvc.sql.types.pg_type import format_type

ITEM = "pgsvc$rule"
EVENTS = {ast.InsertStmt: "INSERT", ast.UpdateStmt: "UPDATE", ast.DeleteStmt: "DELETE"}


@dataclass
class Step:
    node: object  # a statement's pglast node
    original: bool = False  # the original statement (maybe with conditions added)
    select: bool = False  # a SELECT action: its rows are the statement's rows
    counts: bool = False  # an INSTEAD rule's action of the original's command: the count shown
    returns: bool = False  # answers the original's RETURNING


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    returning: bool = False  # the original has RETURNING


def text(node) -> str:
    return RawStream()(node)


def parse_one(sql: str):
    return pglast.parse_sql(sql)[0].stmt


def type_text(a) -> str:
    return format_type(a.domain_oid, -1) if a.domain_oid else format_type(a.type_oid, a.typmod)


def cast(expr: str, a) -> str:
    return f"CAST(({expr}) AS {type_text(a)})"


def default_text(a) -> str:
    d = column_default(a)
    return cast(d, a) if d is not None else cast("NULL", a)


def live_attrs(rel) -> list:
    return list(rel.attrs)


# --- the derived table of NEW / OLD ------------------------------------------------------

def insert_source(rel, node: ast.InsertStmt, width_of) -> tuple[str, list]:
    """The derived table of an INSERT's new rows, and the attributes the INSERT names."""
    attrs = live_attrs(rel)
    sel = node.selectStmt
    if node.cols:
        named = []
        for rt in node.cols:
            a = rel.attr(rt.name)
            if a is None:
                raise SqlError("42703", f'column "{rt.name}" of relation "{rel.name}" does not exist')
            if rt.indirection:
                raise SqlError("0A000", "INSERT into fields of a composite column of a relation with rules "
                                        "is not supported")
            named.append(a)
    else:
        width = len(attrs)
        if isinstance(sel, ast.SelectStmt) and sel.valuesLists:
            width = len(sel.valuesLists[0])
        elif sel is not None:
            width = width_of(_with_of(node, sel))
        if width > len(attrs):
            raise SqlError("42601", "INSERT has more expressions than target columns")
        named = attrs[:width]
    if isinstance(sel, ast.SelectStmt) and sel.valuesLists:
        for row in sel.valuesLists[1:]:
            if len(row) != len(sel.valuesLists[0]):
                raise SqlError("42601", "VALUES lists must all be the same length", position=location(row[0]))
    elif sel is not None and node.cols:
        width = width_of(_with_of(node, sel))
        if width != len(named):
            raise SqlError("42601", "INSERT has more expressions than target columns" if width > len(named)
                           else "INSERT has more target columns than expressions")
    cols = ", ".join(f'"pgsvc$n{i}"' for i in range(1, len(attrs) + 1))
    if sel is None:
        body = "SELECT " + ", ".join(default_text(a) for a in attrs)
    elif isinstance(sel, ast.SelectStmt) and sel.valuesLists and not sel.sortClause and sel.limitCount is None:
        rows = []
        for row in sel.valuesLists:
            if len(row) > len(named):
                raise SqlError("42601", "INSERT has more expressions than target columns")
            if len(row) < len(named):
                raise SqlError("42601", "INSERT has more target columns than expressions")
            given = {a.name: item for a, item in zip(named, row)}
            vals = []
            for a in attrs:
                item = given.get(a.name)
                vals.append(default_text(a) if item is None or isinstance(item, ast.SetToDefault)
                            else cast(text(item), a))
            rows.append("(" + ", ".join(vals) + ")")
        body = "VALUES " + ", ".join(rows)
    else:
        given = {a.name: i for i, a in enumerate(named, 1)}
        vals = [cast(f's."c{given[a.name]}"', a) if a.name in given else default_text(a) for a in attrs]
        names = ", ".join(f'"c{i}"' for i in range(1, len(named) + 1))
        body = f"SELECT {', '.join(vals)} FROM ({text(sel)}) AS s({names})"
    return f"({body}) AS {ITEM}({cols})", named


def _with_of(node, sel):
    """The INSERT's query with the statement's WITH (what its column count is read from)."""
    if node.withClause is None or getattr(sel, "withClause", None) is not None:
        return sel
    sel = copy.deepcopy(sel)
    sel.withClause = node.withClause
    return sel


def target_text(node) -> tuple[str, str]:
    """(the target as the FROM item it was, the name its columns are qualified by)."""
    rv = node.relation
    alias = rv.alias.aliasname if rv.alias else rv.relname
    return text(rv), quote_ident(alias)


def update_sets(rel, node: ast.UpdateStmt) -> dict:
    """column name -> its SET value's text."""
    sets = {}
    for rt in node.targetList:
        if rt.indirection:
            raise SqlError("0A000", "UPDATE of fields or elements of a column of a relation with rules is "
                                    "not supported")
        val = rt.val
        if isinstance(val, ast.MultiAssignRef):
            src = val.source
            if not isinstance(src, ast.RowExpr):
                raise SqlError("0A000", "UPDATE SET (...) = (SELECT ...) of a relation with rules is not supported")
            val = src.args[val.colno - 1]
        if rel.attr(rt.name) is None:
            raise SqlError("42703", f'column "{rt.name}" of relation "{rel.name}" does not exist')
        if isinstance(val, ast.SetToDefault):
            sets[rt.name] = column_default(rel.attr(rt.name)) or "NULL"
        else:
            sets[rt.name] = text(val)
    return sets


def old_new_source(rel, node, event: str) -> str:
    target, q = target_text(node)
    attrs = live_attrs(rel)
    items = [f'{q}.{quote_ident(a.name)} AS "pgsvc$o{i}"' for i, a in enumerate(attrs, 1)]
    if event == "UPDATE":
        sets = update_sets(rel, node)
        items += [(cast(sets[a.name], a) if a.name in sets else f"{q}.{quote_ident(a.name)}") + f' AS "pgsvc$n{i}"'
                  for i, a in enumerate(attrs, 1)]
        extra = node.fromClause
    else:
        extra = node.usingClause
    frm = ", ".join([target] + [text(f) for f in extra or ()])
    where = f" WHERE {text(node.whereClause)}" if node.whereClause is not None else ""
    return f"(SELECT {', '.join(items)} FROM {frm}{where}) AS {ITEM}"


def rule_item(src: str):
    return parse_one(f"SELECT FROM {src}").fromClause[0]


# --- NEW / OLD in a rule's statements ----------------------------------------------------

class _Subst(pglast.visitors.Visitor):
    """new.x / old.x -> a replacement expression (mapping (word, column) -> node factory)."""

    def __init__(self, mapping) -> None:
        self.mapping = mapping

    def visit_ColumnRef(self, ancestors, node):
        f = node.fields
        if len(f) == 2 and isinstance(f[0], ast.String) and f[0].sval in ("new", "old"):
            if isinstance(f[1], ast.A_Star):
                raise SqlError("0A000", f"{f[0].sval.upper()}.* in rules is not supported")
            make = self.mapping.get((f[0].sval, f[1].sval))
            if make is None:
                raise SqlError("42703", f"column {f[0].sval}.{f[1].sval} does not exist")
            return make()
        if len(f) == 1 and isinstance(f[0], ast.String) and f[0].sval in ("new", "old") and \
                (f[0].sval, "") in self.mapping:
            raise SqlError("0A000", "whole-row references to NEW or OLD in rules are not supported")
        return None


def _star_word(item):
    """'new' / 'old' for new.* / old.* (alone or as a target's value), else None."""
    v = item.val if isinstance(item, ast.ResTarget) else item
    if isinstance(v, ast.ColumnRef) and len(v.fields) == 2 and isinstance(v.fields[1], ast.A_Star) and \
            isinstance(v.fields[0], ast.String) and v.fields[0].sval in ("new", "old"):
        return v.fields[0].sval
    return None


def expand_stars(node, cols: list[str]) -> None:
    """new.* / old.* in a target list, RETURNING or VALUES row: one item per column (as
    PostgreSQL expands them when the rule is made)."""
    if not isinstance(node, ast.Node):
        return
    for name in node:
        value = getattr(node, name)
        if isinstance(value, tuple):
            out = []
            for item in value:
                if isinstance(item, tuple):  # a VALUES row
                    row = []
                    for x in item:
                        w = _star_word(x)
                        row += [ast.ColumnRef(fields=(ast.String(sval=w), ast.String(sval=c)),
                                              location=x.location) for c in cols] if w else [x]
                        expand_stars(x, cols)
                    out.append(tuple(row))
                    continue
                w = _star_word(item)
                if w and isinstance(item, ast.ResTarget):
                    out += [ast.ResTarget(val=ast.ColumnRef(fields=(ast.String(sval=w), ast.String(sval=c)),
                                                            location=item.val.location)) for c in cols]
                else:
                    expand_stars(item, cols)
                    out.append(item)
            setattr(node, name, tuple(out))
        elif isinstance(value, ast.Node):
            expand_stars(value, cols)


def _walk_replace(value, repl):
    """value with every node repl(node) answers (not None) replaced, tuples of tuples too
    (VALUES rows, where pglast's visitor leaves all but the last row as they were)."""
    if isinstance(value, tuple):
        return tuple(_walk_replace(v, repl) for v in value)
    if not isinstance(value, ast.Node):
        return value
    new = repl(value)
    if new is not None:
        return new
    for name in value:
        setattr(value, name, _walk_replace(getattr(value, name), repl))
    return value


def _names_rows(node) -> bool:
    """Whether a rule action names new.x / old.x (or new.* / old.*)."""
    found = []

    def look(n):
        if isinstance(n, ast.ColumnRef) and len(n.fields) >= 2 and isinstance(n.fields[0], ast.String) and \
                n.fields[0].sval in ("new", "old"):
            found.append(n)
        return None
    _walk_replace(copy.deepcopy(node), look)
    return bool(found)


def substitute(node, mapping):
    node = copy.deepcopy(node)
    subst = _Subst(mapping)
    return _walk_replace(node, lambda n: subst.visit_ColumnRef((), n) if isinstance(n, ast.ColumnRef) else None)


def item_mapping(rel, event: str) -> dict:
    """new.x / old.x -> "pgsvc$rule"."pgsvc$nN" / "pgsvc$oN"."""
    out = {}
    for i, a in enumerate(live_attrs(rel), 1):
        for word, letter in (("new", "n"), ("old", "o")):
            if (word == "new" and event == "DELETE") or (word == "old" and event == "INSERT"):
                continue
            out[(word, a.name)] = (lambda c=f"pgsvc${letter}{i}": ast.ColumnRef(
                fields=(ast.String(sval=ITEM), ast.String(sval=c))))
    return out


def conjoin(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return ast.BoolExpr(boolop=enums.BoolExprType.AND_EXPR, args=(a, b))


def not_true(cond):
    return ast.BooleanTest(arg=cond, booltesttype=enums.BoolTestType.IS_NOT_TRUE)


def with_item(items, item) -> tuple:
    """A FROM list reading the derived table first: its other subqueries and functions see
    NEW / OLD as LATERAL (PostgreSQL: they are outer references there)."""
    out = [item]
    for f in items or ():
        if isinstance(f, (ast.RangeSubselect, ast.RangeFunction)):
            f.lateral = True
        out.append(f)
    return tuple(out)


def attach(action, item, qual, catalog_cols, column_default_text=None):
    """An action statement reading the derived table (item) under the condition qual."""
    if isinstance(action, ast.NotifyStmt):
        return action
    if isinstance(action, ast.UpdateStmt):
        action.fromClause = with_item(action.fromClause, item)
        action.whereClause = conjoin(action.whereClause, qual)
        return action
    if isinstance(action, ast.DeleteStmt):
        action.usingClause = with_item(action.usingClause, item)
        action.whereClause = conjoin(action.whereClause, qual)
        return action
    if isinstance(action, ast.SelectStmt):  # its rows are the statement's (exec.rule_dml)
        wrapped = ast.InsertStmt(relation=ast.RangeVar(relname="pgsvc$none", inh=True, relpersistence="p"),
                                 selectStmt=action)
        sel = attach(wrapped, item, qual, catalog_cols, column_default_text).selectStmt
        if sel is not action:  # read as a whole: its own ORDER BY / LIMIT / locking stay inside
            sel.sortClause = None
        return sel
    if not isinstance(action, ast.InsertStmt):
        raise SqlError("0A000", f"rule actions of this kind are not supported: {type(action).__name__}")
    sel = action.selectStmt
    if sel is None:
        raise SqlError("0A000", "INSERT ... DEFAULT VALUES as a rule action is not supported")
    if sel.valuesLists and len(sel.valuesLists) == 1 and not sel.sortClause and sel.limitCount is None:
        row = list(sel.valuesLists[0])
        cols = list(action.cols) if action.cols else [ast.ResTarget(name=n) for n in catalog_cols(action.relation)]
        keep = [i for i, v in enumerate(row) if not isinstance(v, ast.SetToDefault)]
        if len(keep) != len(row):
            if len(row) > len(cols):
                raise SqlError("42601", "INSERT has more expressions than target columns")
            cols = [cols[i] for i in keep]
            row = [row[i] for i in keep]
        elif not action.cols:
            cols = None
        action.cols = tuple(cols) if cols else None
        action.selectStmt = ast.SelectStmt(targetList=tuple(ast.ResTarget(val=v) for v in row), fromClause=(item,),
                                           whereClause=qual, limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT,
                                           op=enums.SetOperation.SETOP_NONE)
        return action
    bare_star = any(isinstance(rt.val, ast.ColumnRef) and len(rt.val.fields) == 1 and
                    isinstance(rt.val.fields[0], ast.A_Star) for rt in sel.targetList or ())
    if sel.valuesLists or sel.op != enums.SetOperation.SETOP_NONE or sel.withClause is not None or bare_star:
        # (a bare * would take the derived table's columns too: the query is read as a whole)
        if any(isinstance(v, ast.SetToDefault) for r in sel.valuesLists or () for v in r):
            # DEFAULT of a column: its default expression (the rows are read as a LATERAL VALUES)
            names = [c.name for c in action.cols] if action.cols else catalog_cols(action.relation)
            sel.valuesLists = tuple(tuple(
                parse_one(f"SELECT {column_default_text(action.relation, names[i])}").targetList[0].val
                if isinstance(v, ast.SetToDefault) and i < len(names) else v for i, v in enumerate(r))
                for r in sel.valuesLists)
        sub = ast.RangeSubselect(lateral=True, subquery=sel, alias=ast.Alias(aliasname="pgsvc$act"))
        star = ast.ColumnRef(fields=(ast.String(sval="pgsvc$act"), ast.A_Star()))
        action.selectStmt = ast.SelectStmt(targetList=(ast.ResTarget(val=star),), fromClause=(item, sub),
                                           whereClause=qual, limitOption=enums.LimitOption.LIMIT_OPTION_DEFAULT,
                                           op=enums.SetOperation.SETOP_NONE)
        return action
    sel.fromClause = with_item(sel.fromClause, item)
    sel.whereClause = conjoin(sel.whereClause, qual)
    return action


# --- the plan ----------------------------------------------------------------------------

def original_with_quals(rel, node, event: str, quals: list, width_of):
    """The original statement under `(q) IS NOT TRUE` for each conditional INSTEAD rule's q."""
    node = copy.deepcopy(node)
    if event == "INSERT":
        src, named = insert_source(rel, node, width_of)
        idx = {a.name: i for i, a in enumerate(live_attrs(rel), 1)}
        cond = None
        for q in quals:
            cond = conjoin(cond, not_true(substitute(q, item_mapping(rel, event))))
        sel = parse_one("SELECT " + ", ".join(f'{ITEM}."pgsvc$n{idx[a.name]}"' for a in named) + f" FROM {src}")
        sel.whereClause = cond
        node.cols = tuple(ast.ResTarget(name=a.name) for a in named)
        node.selectStmt = sel
        return node
    _, q = target_text(node)
    qual_name = q.strip('"') if q.startswith('"') else q
    sets = update_sets(rel, node) if event == "UPDATE" else {}
    mapping = {}
    for a in live_attrs(rel):
        ref = (lambda n=a.name: ast.ColumnRef(fields=(ast.String(sval=qual_name), ast.String(sval=n))))
        mapping[("old", a.name)] = ref
        if event == "UPDATE":
            value = sets.get(a.name)
            mapping[("new", a.name)] = (lambda v=value, a=a, r=ref: parse_one(
                f"SELECT {cast(v, a)}").targetList[0].val if v is not None else r())
    cond = node.whereClause
    for q2 in quals:
        cond = conjoin(cond, not_true(substitute(q2, mapping)))
    node.whereClause = cond
    return node


def returning_targets(rel, orig_returning, rule_returning, action_target_cols, qual_name: str):
    """The original's RETURNING with the relation's columns read from the rule's RETURNING."""
    entries = []
    for rt in rule_returning:
        v = rt.val
        if isinstance(v, ast.ColumnRef) and isinstance(v.fields[-1], ast.A_Star):
            entries += [ast.ColumnRef(fields=(ast.String(sval=c),)) for c in action_target_cols]
        else:
            entries.append(v)
    attrs = live_attrs(rel)
    if len(entries) != len(attrs):
        raise SqlError("42P17", "RETURNING list has too few entries" if len(entries) < len(attrs)
                       else "RETURNING list has too many entries")
    by_name = {a.name: e for a, e in zip(attrs, entries)}

    class Repl(pglast.visitors.Visitor):
        def visit_ColumnRef(self, ancestors, node):
            f = node.fields
            if len(f) == 1 and isinstance(f[0], ast.String) and f[0].sval in by_name:
                return copy.deepcopy(by_name[f[0].sval])
            if len(f) == 2 and isinstance(f[0], ast.String) and f[0].sval == qual_name and \
                    isinstance(f[1], ast.String) and f[1].sval in by_name:
                return copy.deepcopy(by_name[f[1].sval])
            return None

    out = []
    for rt in orig_returning:
        v = rt.val
        if isinstance(v, ast.ColumnRef) and isinstance(v.fields[-1], ast.A_Star) and \
                (len(v.fields) == 1 or v.fields[0].sval == qual_name):
            out += [ast.ResTarget(name=a.name, val=copy.deepcopy(by_name[a.name])) for a in attrs]
            continue
        rt = copy.deepcopy(rt)
        if rt.name is None and isinstance(v, ast.ColumnRef) and isinstance(v.fields[-1], ast.String):
            rt.name = v.fields[-1].sval  # the column's name stays the output name
        new = Repl()(rt.val)
        if new is not None:
            rt.val = new
        out.append(rt)
    return tuple(out)


def rewrite(rel, node, catalog_cols, width_of, keep_returning: bool = False, parsed=None,
            column_default_text=None, replica: bool = False) -> Plan | None:
    """The statements an INSERT / UPDATE / DELETE of rel becomes, or None without rules.
    catalog_cols(range_var) lists an action target's column names; keep_returning keeps the
    rules' own RETURNING lists and parsed gives the one rule's actions as parsed (CREATE RULE's
    check of them, with positions in its text); width_of(select) is a query's column count."""
    event = EVENTS[type(node)]
    found = RU.for_event(rel, event, replica)
    if not found:
        return None
    if event == "INSERT" and node.onConflictClause is not None:
        raise SqlError("0A000", "INSERT with ON CONFLICT clause cannot be used with table that has INSERT or "
                                "UPDATE rules")
    if getattr(node, "whereClause", None) is not None and isinstance(node.whereClause, ast.CurrentOfExpr):
        raise SqlError("0A000", "WHERE CURRENT OF on a relation with rules is not supported")
    if event == "INSERT":
        src, _ = insert_source(rel, node, width_of)
    else:
        src = old_new_source(rel, node, event)
    mapping = item_mapping(rel, event)
    plan = Plan(returning=bool(node.returningList))
    actions: list[Step] = []
    instead = False
    cond_quals = []
    returning_step = None
    for r in found:
        qual = parse_one(f"SELECT {r.qual}").targetList[0].val if r.qual else None
        if r.instead and qual is None:
            instead = True
        elif r.instead:
            cond_quals.append(qual)
        q = substitute(qual, mapping) if qual is not None else None
        for act_node in parsed if parsed is not None else [parse_one(t) for t in r.actions]:
            act_node = copy.deepcopy(act_node)
            expand_stars(act_node, [a.name for a in live_attrs(rel)])
            act = substitute(act_node, mapping)
            rule_ret = getattr(act, "returningList", None)
            if rule_ret:
                if returning_step is not None:
                    raise SqlError("0A000", "cannot have RETURNING lists in multiple rules")
                if node.returningList:
                    _, qn = target_text(node)
                    act.returningList = returning_targets(rel, node.returningList, rule_ret,
                                                          catalog_cols(act.relation),
                                                          qn.strip('"') if qn.startswith('"') else qn)
                elif not keep_returning:
                    act.returningList = None
                else:  # the entries as written, * as the target's columns (UPDATE ... FROM refuses *)
                    act.returningList = tuple(
                        x for rt in rule_ret for x in (
                            [ast.ResTarget(val=ast.ColumnRef(fields=(ast.String(sval=c),)))
                             for c in catalog_cols(act.relation)]
                            if isinstance(rt.val, ast.ColumnRef) and isinstance(rt.val.fields[-1], ast.A_Star)
                            else [rt]))
            if isinstance(act, ast.SelectStmt):
                act.lockingClause = None  # FOR UPDATE / SHARE: writers are serialised, no row is locked apart
            if event == "INSERT" or q is not None or _names_rows(act_node) or \
                    node.whereClause is not None or getattr(node, "fromClause", None) or \
                    getattr(node, "usingClause", None):
                act = attach(act, rule_item(src), copy.deepcopy(q), catalog_cols, column_default_text)
            # else (PostgreSQL's rewriteRuleAction): an action that reads neither OLD nor NEW, of a rule
            # without a condition, for an UPDATE / DELETE without WHERE, runs once, not per row
            step = Step(act, counts=r.instead and EVENTS.get(type(act)) == event,
                        select=isinstance(act, ast.SelectStmt))
            if rule_ret and node.returningList:
                step.returns = True
                returning_step = step
            actions.append(step)
    if (instead or cond_quals) and node.returningList and returning_step is None and not keep_returning:
        verb = event
        raise SqlError("0A000", f'cannot perform {verb} RETURNING on relation "{rel.name}"',
                       hint=f"You need an unconditional ON {verb} DO INSTEAD rule with a RETURNING clause.")
    if instead:
        plan.steps = actions
    else:
        orig = original_with_quals(rel, node, event, cond_quals, width_of) if cond_quals else node
        step = Step(orig, original=True)
        plan.steps = [step] + actions if event == "INSERT" else actions + [step]
    with_clause = getattr(node, "withClause", None)
    if with_clause is not None:
        if len(plan.steps) > 1:
            raise SqlError("0A000", "WITH cannot be used in a query that is rewritten by rules into multiple "
                                    "queries")
        for s in plan.steps:  # the one statement left reads the original's WITH queries
            if not s.original and hasattr(s.node, "withClause") and s.node.withClause is None:
                s.node.withClause = with_clause
    return plan


def action_targets(rule) -> list:
    """(range var, event) of each action of a rule: for the recursion check."""
    out = []
    for t in rule.actions:
        node = parse_one(t)
        ev = EVENTS.get(type(node))
        if ev is not None:
            out.append((node.relation, ev))
    return out
