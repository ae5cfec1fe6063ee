"""pg_get_ruledef of the rules CREATE RULE made (pgsvc.sql.catalog.rules), laid out as
PostgreSQL 15's ruleutils.c make_ruledef lays them out: `CREATE RULE name AS` / `ON event
TO table` / `WHERE condition` / `DO [INSTEAD] action(s)`. The actions and the condition are
printed from their stored source text (pgsvc has no deparser of INSERT / UPDATE / DELETE
yet): the words are PostgreSQL's, the expressions as written (PostgreSQL adds casts such as
'x'::text and qualifies column names). The text loads back into PostgreSQL (pg_dump).
"""

from __future__ import annotations

import copy

import pglast
import pglast.visitors
from pglast import ast, enums
from pglast.stream import RawStream

from pgsvc.sql.catalog import rules as RU
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import format_type


def find_rule(engine, oid: int):
    """(relation, rule) of a rule OID, or None."""
    for rel in engine.catalog.by_oid.values():
        if rel.options.get("rules"):
            for r in RU.rules(rel):
                if r.oid == oid:
                    return rel, r
    return None


class _Unqualify(pglast.visitors.Visitor):
    """schema.table -> table where the session's search_path finds that very relation (as
    ruleutils' generate_relation_name prints names)."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def visit_RangeVar(self, ancestors, node):
        if node.schemaname is not None:
            cat, path = self.engine.catalog, self.engine.search_path()
            rel = cat.lookup(node.schemaname, node.relname, path)
            if rel is not None and cat.lookup(None, node.relname, path) is rel:
                node.schemaname = None


def _text(node) -> str:
    return RawStream()(node)


def _values_item(v, attr=None) -> str:
    """An item of a multi-row VALUES: a string constant is its column's (text), a NULL the
    type of the column it goes to."""
    if isinstance(v, ast.A_Const) and isinstance(v.val, ast.String):
        return f"{_text(v)}::text"
    if isinstance(v, ast.A_Const) and v.isnull and attr is not None:
        return f"NULL::{format_type(attr.domain_oid or attr.type_oid, -1)}"
    return _text(v)


def _indirection(item) -> str:
    if isinstance(item, ast.A_Indices):
        return f"[{_text(item.uidx)}]" if not item.is_slice else \
            f"[{_text(item.lidx) if item.lidx else ''}:{_text(item.uidx) if item.uidx else ''}]"
    return "." + quote_ident(item.sval)


def _target(engine, rv):
    return engine.catalog.lookup(rv.schemaname, rv.relname, engine.search_path())



def _returning(engine, rv, items) -> str:
    if not items:
        return ""
    target = _target(engine, rv)
    out = []
    for rt in items:
        v = rt.val
        if isinstance(v, ast.ColumnRef) and isinstance(v.fields[-1], ast.A_Star) and target is not None:
            out += [f"{quote_ident(rv.relname)}.{quote_ident(a.name)}" for a in target.attrs]
        else:
            out.append(_text(_qualified(engine, rv, rt)))
    return "\n  RETURNING " + ",\n    ".join(out)


class _Qualify(pglast.visitors.Visitor):
    """a -> t.a for the action target's columns (as ruleutils prints a Var)."""

    def __init__(self, name: str, cols: set) -> None:
        self.name, self.cols = name, cols

    def visit_ColumnRef(self, ancestors, node):
        f = node.fields
        if len(f) == 1 and isinstance(f[0], ast.String) and f[0].sval in self.cols:
            return ast.ColumnRef(fields=(ast.String(sval=self.name), f[0]))
        return None

    def visit_SubLink(self, ancestors, node):
        return pglast.visitors.Skip  # names inside resolve against the subquery first


def _qualified(engine, rv, node):
    target = _target(engine, rv)
    if target is None or node is None:
        return node
    node = copy.deepcopy(node)
    out = _Qualify(rv.alias.aliasname if rv.alias else rv.relname, {a.name for a in target.attrs})(node)
    return node if out is None else out


def expr_text(node, pretty: bool, attr_of=None) -> str:
    """An expression as ruleutils prints it: not pretty, each operator and AND / OR / NOT in
    parentheses; a string constant compared with a column shows the column's type
    (attr_of(column reference) -> its Attr, or None)."""
    if isinstance(node, ast.A_Expr) and node.kind == enums.A_Expr_Kind.AEXPR_OP and len(node.name) == 1 \
            and node.lexpr is not None and node.rexpr is not None:
        left, right = _side(node.lexpr, node.rexpr, pretty, attr_of), _side(node.rexpr, node.lexpr, pretty, attr_of)
        inner = f"{left} {node.name[0].sval} {right}"
        return inner if pretty else f"({inner})"
    if isinstance(node, ast.BoolExpr) and (not pretty or attr_of is not None):
        if node.boolop == enums.BoolExprType.NOT_EXPR:
            inner = f"NOT {expr_text(node.args[0], pretty, attr_of)}"
            return inner if pretty else f"({inner})"
        word = " AND " if node.boolop == enums.BoolExprType.AND_EXPR else " OR "
        inner = word.join(expr_text(a, pretty, attr_of) for a in node.args)
        return inner if pretty else f"({inner})"
    return _text(node)


def _side(node, other, pretty: bool, attr_of) -> str:
    """One operand: 'x' against a column of a non-numeric type prints as 'x'::type."""
    if attr_of is not None and isinstance(node, ast.A_Const) and isinstance(node.val, ast.String) and \
            isinstance(other, ast.ColumnRef):
        a = attr_of(other)
        if a is not None and a.type_oid not in _NUMERIC:
            return f"{_text(node)}::{format_type(a.domain_oid or a.type_oid, -1)}"
    if pretty and isinstance(node, (ast.A_Expr, ast.BoolExpr)):
        return f"({expr_text(node, pretty, attr_of)})" if isinstance(node, ast.BoolExpr) else \
            expr_text(node, pretty, attr_of)
    return expr_text(node, pretty, attr_of)


_NUMERIC = frozenset((O.INT2, O.INT4, O.INT8, O.NUMERIC, O.FLOAT4, O.FLOAT8, O.OID))


def _attr_lookup(rel, words=("new", "old"), alias: str | None = None):
    """attr_of for expressions naming rel's columns as new.x / old.x (a rule condition) or by
    its alias / bare names (an action on rel)."""
    def attr_of(ref):
        f = [x.sval if isinstance(x, ast.String) else None for x in ref.fields]
        if rel is None or None in f:
            return None
        if len(f) == 2 and (f[0] in words or f[0] == alias):
            return rel.attr(f[1])
        return rel.attr(f[0]) if len(f) == 1 and alias is not None else None
    return attr_of


def _where(engine, rv, node, pretty: bool) -> str:
    if node is None:
        return ""
    target = _target(engine, rv)
    alias = rv.alias.aliasname if rv.alias else rv.relname
    return "\n  WHERE " + expr_text(_qualified(engine, rv, node), pretty, _attr_lookup(target, (), alias))


def _rel_alias(rv) -> str:
    """UPDATE / DELETE's target as ruleutils prints it: name, then its alias without AS."""
    out = _text(ast.RangeVar(schemaname=rv.schemaname, relname=rv.relname, inh=rv.inh,
                             relpersistence=rv.relpersistence))
    return out + (f" {quote_ident(rv.alias.aliasname)}" if rv.alias else "")


def _on_conflict(engine, node, pretty: bool) -> str:
    oc = node.onConflictClause
    out = " ON CONFLICT"
    if oc.infer is not None:
        if oc.infer.conname:
            out += f" ON CONSTRAINT {quote_ident(oc.infer.conname)}"
        if oc.infer.indexElems:
            out += "(" + ", ".join(_text(e) for e in oc.infer.indexElems) + ")"
        if oc.infer.whereClause is not None:
            out += "\n  WHERE " + expr_text(oc.infer.whereClause, pretty,
                                            _attr_lookup(_target(engine, node.relation), (), node.relation.relname))
    if oc.action == enums.OnConflictAction.ONCONFLICT_NOTHING:
        return out + " DO NOTHING"
    target = _target(engine, node.relation)
    sets = ", ".join(f"{quote_ident(rt.name)} = {_value(rt.val, target.attr(rt.name) if target else None)}"
                     for rt in oc.targetList)
    out += f" DO UPDATE SET {sets}"
    if oc.whereClause is not None:
        out += "\n  WHERE " + expr_text(oc.whereClause, pretty, _attr_lookup(target, ("excluded",), node.relation.relname))
    return out


_TEXTUAL = frozenset((O.TEXT, O.VARCHAR, O.BPCHAR, O.NAME))


def _value(v, attr) -> str:
    """A VALUES item; a string constant for a text column shows its type, as ruleutils does."""
    if attr is not None and attr.type_oid in _TEXTUAL and not attr.domain_oid and isinstance(v, ast.A_Const) \
            and isinstance(v.val, ast.String):
        return f"{_text(v)}::{format_type(attr.type_oid, attr.typmod)}"
    return _text(v)


def action_text(engine, node, pretty: bool) -> str:
    """One action, as get_query_def prints it with PRETTYFLAG_INDENT (a leading space)."""
    with_clause = getattr(node, "withClause", None)
    if with_clause is not None and not isinstance(node, ast.SelectStmt):
        node.withClause = None  # (its WITH first, as written)
        _Unqualify(engine)(with_clause)
        word = "WITH RECURSIVE " if with_clause.recursive else "WITH "
        return " " + word + _text(with_clause) + "\n" + action_text(engine, node, pretty)
    _Unqualify(engine)(node)
    if isinstance(node, ast.InsertStmt):
        rel = _text(node.relation)
        cols = [c.name for c in node.cols or ()]
        shown = [quote_ident(c.name) + "".join(_indirection(i) for i in c.indirection or ()) for c in node.cols or ()]
        sel = node.selectStmt
        target = _target(engine, node.relation)
        if not cols and sel is not None:
            width = len(sel.valuesLists[0]) if sel.valuesLists else len(sel.targetList or ())
            if target is not None:
                cols = [a.name for a in target.attrs][:width]
        attrs = [target.attr(c) if target is not None else None for c in cols]
        shown = shown or [quote_ident(c) for c in cols]
        head = f" INSERT INTO {rel}" + (f" ({', '.join(shown)})" if shown else "")
        if sel is None:
            body = " DEFAULT VALUES"
        elif sel.valuesLists and len(sel.valuesLists) == 1:
            row = sel.valuesLists[0]
            body = "\n  VALUES (" + ", ".join(_value(v, attrs[i] if i < len(attrs) else None)
                                             for i, v in enumerate(row)) + ")"
        elif sel.valuesLists:  # a VALUES list of its own: on the line, as ruleutils prints an RTE_VALUES
            body = " VALUES " + ", ".join("(" + ",".join(_values_item(v, attrs[i] if i < len(attrs) else None)
                                                         for i, v in enumerate(row)) + ")"
                                          for row in sel.valuesLists)
        elif not sel.fromClause and sel.op == enums.SetOperation.SETOP_NONE and sel.targetList:
            body = "  SELECT " + ",\n            ".join(_text(rt) for rt in sel.targetList)
        else:
            body = "\n  " + _text(sel)
        if node.onConflictClause is not None:
            body += _on_conflict(engine, node, pretty)
        return head + body + _returning(engine, node.relation, node.returningList)
    if isinstance(node, ast.UpdateStmt):
        target = _target(engine, node.relation)
        sets = ", ".join(f"{quote_ident(rt.name)} = {_value(rt.val, target.attr(rt.name) if target else None)}"
                         for rt in node.targetList)
        out = f" UPDATE {_rel_alias(node.relation)} SET {sets}"
        if node.fromClause:
            out += "\n  FROM " + ", ".join(_text(f) for f in node.fromClause)
        return out + _where(engine, node.relation, node.whereClause, pretty) + \
            _returning(engine, node.relation, node.returningList)
    if isinstance(node, ast.DeleteStmt):
        out = f" DELETE FROM {_rel_alias(node.relation)}"
        if node.usingClause:
            out += "\n  USING " + ", ".join(_text(f) for f in node.usingClause)
        return out + _where(engine, node.relation, node.whereClause, pretty) + \
            _returning(engine, node.relation, node.returningList)
    if isinstance(node, ast.NotifyStmt):
        return "\n " + _text(node)
    if isinstance(node, ast.SelectStmt) and node.valuesLists:
        return " VALUES " + ", ".join("(" + ",".join(_values_item(v) for v in row) + ")" for row in node.valuesLists)
    return " " + _text(node)


def rule_text(engine, rel, rule, pretty: bool, target: str) -> str:
    out = f"CREATE RULE {quote_ident(rule.name)} AS\n    ON {rule.event} TO {target}"
    if rule.qual:
        out += "\n   WHERE " + expr_text(pglast.parse_sql(f"SELECT {rule.qual}")[0].stmt.targetList[0].val, pretty,
                                        _attr_lookup(rel))
    out += " DO " + ("INSTEAD " if rule.instead else "")
    nodes = [pglast.parse_sql(t)[0].stmt for t in rule.actions]
    if not nodes:
        out += "NOTHING"
    elif len(nodes) == 1:
        text = action_text(engine, nodes[0], pretty)
        out = (out.rstrip(" ") if text.startswith("\n") else out) + text
    else:
        out += "(" + "".join(action_text(engine, n, pretty) + ";\n" for n in nodes) + ")"
    return out + ";"
