"""Rules (PostgreSQL's pg_rewrite for CREATE RULE ... ON INSERT / UPDATE / DELETE): stored as
the relation's options (pgsvc$class.options, a JSON object) under "rules", a list of objects
{oid, name, event, instead, qual, actions, enabled} in name order: event is pg_rewrite.ev_type
('2' UPDATE, '3' INSERT, '4' DELETE), qual the WHERE condition and actions the action
statements as PostgreSQL source text (no actions: DO NOTHING), enabled pg_rewrite.ev_enabled.
A change bumps the catalog version, so every backend's cached translations are dropped.
The rewrite itself is pgsvc.sql.translate.rule_rewrite; the statements' runner
pgsvc.sql.exec.rule_dml.
"""

from __future__ import annotations

from dataclasses import dataclass

import pglast
import pglast.ast
import pglast.visitors
from pglast.stream import RawStream

from pgsvc.sql.catalog import database as C

EVENT_CODE = {"INSERT": "3", "UPDATE": "2", "DELETE": "4", "SELECT": "1"}
EVENT_WORD = {v: k for k, v in EVENT_CODE.items()}


@dataclass(frozen=True)
class Rule:
    oid: int
    name: str
    event: str  # 'INSERT' / 'UPDATE' / 'DELETE'
    instead: bool
    qual: str | None
    actions: tuple[str, ...]
    enabled: str = "O"

    def as_json(self) -> dict:
        return {"oid": self.oid, "name": self.name, "event": EVENT_CODE[self.event], "instead": self.instead,
                "qual": self.qual, "actions": list(self.actions), "enabled": self.enabled}


def rules(rel) -> list[Rule]:
    return [Rule(r["oid"], r["name"], EVENT_WORD[r["event"]], bool(r["instead"]), r.get("qual"),
                 tuple(r.get("actions") or ()), r.get("enabled", "O")) for r in rel.options.get("rules") or ()]


def find(rel, name: str) -> Rule | None:
    return next((r for r in rules(rel) if r.name == name), None)


def for_event(rel, event: str, replica: bool = False) -> list[Rule]:
    """The rules of one event that fire, in name order (the order PostgreSQL applies them):
    ev_enabled 'O' unless session_replication_role is replica, 'R' only then, 'A' always."""
    return [r for r in rules(rel) if r.event == event and
            (r.enabled == "A" or r.enabled == ("R" if replica else "O"))]


def has_rules(catalog) -> bool:
    """Whether any relation of the database has rules (one look per loaded catalog)."""
    found = catalog.__dict__.get("has_rules")
    if found is None:
        found = catalog.__dict__["has_rules"] = any(rel.options.get("rules") for rel in catalog.by_oid.values())
    return found


def save(conn, rel, items: list[Rule]) -> None:
    items = sorted(items, key=lambda r: r.name)
    C.set_relation_option(conn, rel.oid, "rules", [r.as_json() for r in items] or None)
    C.bump_version(conn)


def new_oid(conn) -> int:
    return C.new_oid(conn)


def relation_names(rule: Rule) -> list[tuple[str | None, str]]:
    """(schema, name) of every relation the rule's actions and condition name (DROP's
    dependency check: a rule depends on the relations it reads and writes)."""
    out: list[tuple[str | None, str]] = []

    class Names(pglast.visitors.Visitor):
        def visit_RangeVar(self, ancestors, node):
            out.append((node.schemaname, node.relname))

    for text in rule.actions:
        Names()(pglast.parse_sql(text))
    if rule.qual:
        Names()(pglast.parse_sql(f"SELECT {rule.qual}"))
    return out


def rules_naming(catalog, rel, path: list[str]) -> list[tuple[object, Rule]]:
    """(relation, rule) of the other relations' rules that name rel."""
    out = []
    for other in catalog.by_oid.values():
        if other.oid == rel.oid or not other.options.get("rules"):
            continue
        for r in rules(other):
            if any(catalog.lookup(s, n, path) is rel for s, n in relation_names(r)):
                out.append((other, r))
    return out


def _edited(node, edit) -> bool:
    """edit(n) on every node of the tree (it changes n in place, True if it did); True if
    any changed."""
    changed = False

    def visit(n):
        nonlocal changed
        changed = edit(n) or changed
        if isinstance(n, pglast.ast.Node):
            for name in n:
                visit(getattr(n, name))
        elif isinstance(n, tuple):
            for x in n:
                visit(x)
    visit(node)
    return changed


def _edited_actions(rule: Rule, edit) -> tuple[str, ...]:
    """The rule's action texts, each deparsed again only where edit changed it."""
    out = []
    for text in rule.actions:
        node = pglast.parse_sql(text)[0].stmt
        out.append(RawStream()(node) if _edited(node, edit) else text)
    return tuple(out)


def renamed_column(rule: Rule, old: str, new: str) -> Rule:
    """The rule after its relation's column old became new: NEW.old / OLD.old in its
    condition and actions (PostgreSQL's rule keeps the column by number)."""
    def edit(n) -> bool:
        if isinstance(n, pglast.ast.ColumnRef):
            f = n.fields
            if len(f) == 2 and isinstance(f[0], pglast.ast.String) and f[0].sval in ("new", "old") and \
                    isinstance(f[1], pglast.ast.String) and f[1].sval == old:
                n.fields = (f[0], pglast.ast.String(sval=new))
                return True
        return False

    qual = rule.qual
    if qual:
        node = pglast.parse_sql(f"SELECT {qual}")[0].stmt.targetList[0].val
        qual = RawStream()(node) if _edited(node, edit) else qual
    return Rule(rule.oid, rule.name, rule.event, rule.instead, qual, _edited_actions(rule, edit), rule.enabled)


def renamed_relation(rule: Rule, schema: str, old: str, new: str) -> Rule:
    """The rule after relation schema.old became schema.new (the relations its actions name
    are kept with their schemas: catalog.rules' callers qualify them at CREATE RULE)."""
    def edit(n) -> bool:
        if isinstance(n, pglast.ast.RangeVar) and n.relname == old and n.schemaname in (None, schema):
            n.relname = new
            return True
        if isinstance(n, pglast.ast.ColumnRef) and len(n.fields) in (2, 3) and \
                isinstance(n.fields[-2], pglast.ast.String) and n.fields[-2].sval == old:
            n.fields = n.fields[:-2] + (pglast.ast.String(sval=new), n.fields[-1])  # old.col in its actions
            return True
        return False

    return Rule(rule.oid, rule.name, rule.event, rule.instead, rule.qual, _edited_actions(rule, edit), rule.enabled)
