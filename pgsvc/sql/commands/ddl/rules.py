"""CREATE [OR REPLACE] RULE ... ON INSERT / UPDATE / DELETE, DROP RULE, ALTER RULE ... RENAME
with PostgreSQL 15's checks and messages (rewrite/rewriteDefine.c, parser/parse_utilcmd.c's
transformRuleStmt). The catalog is pgsvc.sql.catalog.rules; the rewrite that applies the
rules pgsvc.sql.translate.rule_rewrite. ON SELECT rules (a table made a view) are refused
with 0A000.

Each action is checked when the rule is made by translating it as it would run for a row of
the relation (so a missing table or column is reported then, as PostgreSQL does), and an
INSTEAD rule's RETURNING list must match the relation's columns.
"""

from __future__ import annotations

import re

import pglast.visitors
from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import rules as RU
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate import rule_rewrite as RW
from pgsvc.sql.translate.ex import location
from pgsvc.sql.types.pg_type import format_type

CMD = enums.CmdType
A = enums.AlterTableType
_ENABLE = {A.AT_EnableRule: "O", A.AT_EnableAlwaysRule: "A", A.AT_EnableReplicaRule: "R", A.AT_DisableRule: "D"}
RULE_SUBTYPES = frozenset(_ENABLE)
_LOCK_WORD = {enums.LockClauseStrength.LCS_FORUPDATE: "FOR UPDATE", enums.LockClauseStrength.LCS_FORSHARE: "FOR SHARE",
              enums.LockClauseStrength.LCS_FORNOKEYUPDATE: "FOR NO KEY UPDATE",
              enums.LockClauseStrength.LCS_FORKEYSHARE: "FOR KEY SHARE"}
EVENT = {CMD.CMD_INSERT: "INSERT", CMD.CMD_UPDATE: "UPDATE", CMD.CMD_DELETE: "DELETE", CMD.CMD_SELECT: "SELECT"}


class _Words(pglast.visitors.Visitor):
    """Which of new / old a tree names, and whether it reads a relation."""

    def __init__(self) -> None:
        self.words: set[str] = set()
        self.relations = False

    def visit_ColumnRef(self, ancestors, node):
        f = node.fields
        if len(f) >= 2 and isinstance(f[0], ast.String) and f[0].sval in ("new", "old"):
            self.words.add(f[0].sval)

    def visit_RangeVar(self, ancestors, node):
        self.relations = True


def _first_word_ref(node):
    """The first column reference to new / old in a tree, or None."""
    found = []

    class Find(pglast.visitors.Visitor):
        def visit_ColumnRef(self, ancestors, n):
            f = n.fields
            if not found and len(f) >= 2 and isinstance(f[0], ast.String) and f[0].sval in ("new", "old"):
                found.append(n)

    Find()(node)
    return found[0] if found else None


def _first_param(node):
    """The first $n of a tree, or None (a rule's text has no parameters)."""
    found = []

    class Find(pglast.visitors.Visitor):
        def visit_ParamRef(self, ancestors, n):
            if not found:
                found.append(n)

    Find()(node)
    return found[0] if found else None


def _words(node) -> _Words:
    w = _Words()
    w(node)
    return w


class _Qualify(pglast.visitors.Visitor):
    """Each relation an action names, with its schema: the rule keeps the relations it was
    made with whatever the search_path of a later session (PostgreSQL binds them by OID)."""

    def __init__(self, find) -> None:
        self.find = find

    def visit_RangeVar(self, ancestors, node):
        if node.schemaname is None:
            rel = self.find(node.relname)
            if rel is not None:
                node.schemaname = rel.schema


class _QualWords(pglast.visitors.Visitor):
    """A rule condition's bare column names: NEW's in ON INSERT, OLD's in ON DELETE (the
    condition sees both as its relations); in ON UPDATE such a name is ambiguous."""

    def __init__(self, cols: set, event: str) -> None:
        self.cols, self.event = cols, event

    def visit_ColumnRef(self, ancestors, node):
        f = node.fields
        if len(f) == 1 and isinstance(f[0], ast.String) and f[0].sval in self.cols:
            if self.event == "UPDATE":
                raise SqlError("42702", f'column reference "{f[0].sval}" is ambiguous', position=location(node))
            word = "new" if self.event == "INSERT" else "old"
            return ast.ColumnRef(fields=(ast.String(sval=word), f[0]), location=node.location)
        return None

    def visit_SubLink(self, ancestors, node):
        return pglast.visitors.Skip  # its own FROM comes first there


class RuleDdl:
    """Methods of pgsvc.sql.commands.ddl.Ddl."""

    def rule_table(self, rv, missing_ok: bool = False):
        rel = self.find([x for x in (rv.schemaname, rv.relname) if x])
        if rel is None:
            if missing_ok:
                self.notice(f'relation "{rv.relname}" does not exist, skipping')
                return None
            raise SqlError("42P01", f'relation "{rv.relname}" does not exist')
        if rel.kind not in ("r", "v"):
            kind = {"S": "sequences", "i": "indexes"}.get(rel.kind, "this relation")
            raise SqlError("42809", f'relation "{rel.name}" cannot have rules',
                           detail=f"This operation is not supported for {kind}.")
        if rel.schema == "pg_catalog":
            raise SqlError("42501", f'permission denied: "{rel.name}" is a system catalog')
        authz(self.engine).check_owner(rel)
        return rel

    def create_rule(self, node: ast.RuleStmt) -> None:
        rel = self.rule_table(node.relation)
        event = EVENT[node.event]
        if event == "SELECT":
            raise SqlError("0A000", "rules ON SELECT are not supported")
        old = RU.find(rel, node.rulename)
        if old is not None and not node.replace:
            raise SqlError("42710", f'rule "{node.rulename}" for relation "{rel.name}" already exists')
        actions = list(node.actions or ())
        path = self.engine.search_path()
        qualify = _Qualify(lambda name: self.cat.lookup(None, name, path))
        for a in actions:
            qualify(a)
            RW.expand_stars(a, [x.name for x in rel.attrs])  # stored expanded, as PostgreSQL keeps them
        for a in actions:
            if not isinstance(a, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.NotifyStmt, ast.SelectStmt)):
                raise SqlError("0A000", "rule actions of this kind are not supported")
            for lc in getattr(a, "lockingClause", None) or ():
                for rv in lc.lockedRels or ():
                    if rv.relname in ("old", "new") and rv.schemaname is None:
                        raise SqlError("42P01", f'relation "{rv.relname}" in {_LOCK_WORD.get(lc.strength, "FOR UPDATE")} '
                                                "clause not found in FROM clause", position=location(rv))
            for cte in getattr(getattr(a, "withClause", None), "ctes", None) or ():
                ref = _first_word_ref(cte.ctequery)
                if ref is not None:  # (PostgreSQL: the WITH queries are planned apart from NEW / OLD)
                    raise SqlError("0A000", f"cannot refer to {ref.fields[0].sval.upper()} within WITH query")
        if node.whereClause is not None:
            qualified = _QualWords({a.name for a in rel.attrs}, event)(node.whereClause)
            if qualified is not None:
                node.whereClause = qualified
            if any(isinstance(a, ast.NotifyStmt) for a in actions):
                raise SqlError("0A000", "rules with WHERE conditions can only have SELECT, INSERT, UPDATE, or "
                                        "DELETE actions")
        for part in actions + ([node.whereClause] if node.whereClause is not None else []):
            words = _words(part).words
            if event == "INSERT" and "old" in words:
                raise SqlError("42P17", "ON INSERT rule cannot use OLD")
            if event == "DELETE" and "new" in words:
                raise SqlError("42P17", "ON DELETE rule cannot use NEW")
        for part in actions + ([node.whereClause] if node.whereClause is not None else []):
            param = _first_param(part)
            if param is not None:
                raise SqlError("42P02", f"there is no parameter ${param.number}", position=location(param))
        returning = [a for a in actions if getattr(a, "returningList", None)]
        for a in returning:
            self.check_returning_words(a)
        if returning:
            if not node.instead:
                raise SqlError("0A000", "RETURNING lists are not supported in non-INSTEAD rules")
            if node.whereClause is not None:
                raise SqlError("0A000", "RETURNING lists are not supported in conditional rules")
            if len(returning) > 1:
                raise SqlError("0A000", "cannot have multiple RETURNING lists in a rule")
        rule = RU.Rule(old.oid if old is not None else RU.new_oid(self.conn), node.rulename, event,
                       bool(node.instead), RW.text(node.whereClause) if node.whereClause is not None else None,
                       tuple(RW.text(a) for a in actions))
        self.check_rule_actions(rel, rule, actions)
        RU.save(self.conn, rel, [r for r in RU.rules(rel) if r.name != rule.name] + [rule])
        self.refresh()

    def check_rule_actions(self, rel, rule: RU.Rule, nodes: list) -> None:
        """Translate the rule's actions as they would run for a row of rel (nothing runs)."""
        probe = RU.Rule(rule.oid, rule.name, rule.event, rule.instead, rule.qual, rule.actions)
        saved = rel.options.get("rules")
        rel.options["rules"] = [probe.as_json()]
        cols = ", ".join(f'"{a.name}"' for a in rel.attrs[:1])
        target = f"{quote_ident(rel.schema)}.{quote_ident(rel.name)}"
        sample = {"INSERT": f"INSERT INTO {target} DEFAULT VALUES",
                  "UPDATE": f"UPDATE {target} SET {cols} = {cols}",
                  "DELETE": f"DELETE FROM {target}"}[rule.event]
        tr = Translator(self.engine, self.cat, [])
        try:
            plan = RW.rewrite(rel, RW.parse_one(sample), lambda rv: [a.name for a in tr.relation(rv).attrs],
                              lambda sel: 0, keep_returning=True, parsed=nodes,
                              column_default_text=lambda rv, name: RW.default_text(tr.relation(rv).attr(name)))
            for step in plan.steps if plan is not None else ():
                if step.original:
                    continue
                sub = Translator(self.engine, self.cat, [])
                node = step.node
                if isinstance(node, ast.SelectStmt):
                    sub.select(node)
                    continue
                d = {ast.InsertStmt: sub.insert, ast.UpdateStmt: sub.update,
                     ast.DeleteStmt: sub.delete}.get(type(node))
                if d is None:
                    continue
                target = tr.relation(node.relation)
                if RU.for_event(target, RW.EVENTS[type(node)]):
                    continue  # rewritten by its own rules when it runs (a view made writable by them)
                out = d(node)
                if node.returningList and out.returning is not None:
                    self.check_rule_returning(rel, out.returning)
        except SqlError as err:
            m = re.fullmatch(r'column "(.+)" does not exist', err.message)
            if err.sqlstate == "42703" and err.hint is None and m and rel.attr(m.group(1)) is not None:
                # a bare name of the relation's columns: OLD / NEW are not in an action's namespace
                err.hint = (f'There is a column named "{m.group(1)}" in table "old", but it cannot be referenced '
                            "from this part of the query.")
            raise
        finally:
            if saved is None:
                rel.options.pop("rules", None)
            else:
                rel.options["rules"] = saved

    def check_returning_words(self, action) -> None:
        """NEW / OLD in an action's RETURNING: PostgreSQL's error for an INSERT (its new row is
        no FROM item of the action); pgsvc cannot read them in UPDATE / DELETE RETURNING."""
        for rt in action.returningList:
            ref = _first_word_ref(rt.val)
            if ref is None:
                continue
            word = ref.fields[0].sval
            if isinstance(action, ast.InsertStmt):
                raise SqlError("42P01", f'invalid reference to FROM-clause entry for table "{word}"',
                               position=location(ref),
                               hint=f'There is an entry for table "{word}", but it cannot be referenced from '
                                    "this part of the query.")
            raise SqlError("0A000", f"{word.upper()} in the RETURNING list of a rule action is not supported")

    def check_rule_returning(self, rel, cols) -> None:
        """PostgreSQL's checkRuleResultList, in its order."""
        attrs = rel.attrs
        for i, c in enumerate(cols, 1):
            if i > len(attrs):
                raise SqlError("42P17", "RETURNING list has too many entries")
            a = attrs[i - 1]
            if c.oid != a.type_oid:
                raise SqlError("42P17", f'RETURNING list\'s entry {i} has different type from column "{a.name}"',
                               detail=f"RETURNING list entry has type {format_type(c.oid, -1)}, but column has "
                                      f"type {format_type(a.type_oid, -1)}.")
        if len(cols) < len(attrs):
            raise SqlError("42P17", "RETURNING list has too few entries")

    def drop_rules(self, node: ast.DropStmt) -> None:
        for obj in node.objects:
            names = [n.sval for n in obj]
            rv = ast.RangeVar(schemaname=names[-3] if len(names) > 2 else None, relname=names[-2])
            rel = self.rule_table(rv, node.missing_ok)
            if rel is None:
                continue
            if rel.kind == "v" and names[-1] == "_RETURN":
                raise SqlError("2BP01", f"cannot drop rule _RETURN on view {rel.name} because view {rel.name} "
                                        "requires it", hint=f"You can drop view {rel.name} instead.")
            if RU.find(rel, names[-1]) is None:
                if node.missing_ok:
                    self.notice(f'rule "{names[-1]}" for relation "{rel.name}" does not exist, skipping')
                    continue
                raise SqlError("42704", f'rule "{names[-1]}" for relation "{rel.name}" does not exist')
            gone = RU.find(rel, names[-1])
            RU.save(self.conn, rel, [r for r in RU.rules(rel) if r.name != names[-1]])
            C.delete_description(self.conn, gone.oid, 0)
        self.refresh()

    def comment_rule(self, names: list[str]) -> int:
        """COMMENT ON RULE name ON table: the rule's OID."""
        rv = ast.RangeVar(schemaname=names[-3] if len(names) > 2 else None, relname=names[-2])
        rel = self.rule_table(rv)
        r = RU.find(rel, names[-1])
        if r is None:
            raise SqlError("42704", f'rule "{names[-1]}" for relation "{rel.name}" does not exist')
        return r.oid

    def enable_rule(self, rel, cmd) -> None:
        """ALTER TABLE ... ENABLE [REPLICA | ALWAYS] / DISABLE RULE name (pg_rewrite.ev_enabled)."""
        if rel.kind != "r":
            word = {A.AT_EnableRule: "ENABLE RULE", A.AT_EnableAlwaysRule: "ENABLE ALWAYS RULE",
                    A.AT_EnableReplicaRule: "ENABLE REPLICA RULE", A.AT_DisableRule: "DISABLE RULE"}[cmd.subtype]
            kind = {"v": "views", "S": "sequences", "i": "indexes"}.get(rel.kind, "this relation")
            raise SqlError("42809", f'ALTER action {word} cannot be performed on relation "{rel.name}"',
                           detail=f"This operation is not supported for {kind}.")
        authz(self.engine).check_owner(rel)
        r = RU.find(rel, cmd.name)
        if r is None:
            raise SqlError("42704", f'rule "{cmd.name}" for relation "{rel.name}" does not exist')
        changed = RU.Rule(r.oid, r.name, r.event, r.instead, r.qual, r.actions, _ENABLE[cmd.subtype])
        RU.save(self.conn, rel, [x for x in RU.rules(rel) if x.name != r.name] + [changed])
        self.refresh()

    def rename_rule(self, node: ast.RenameStmt) -> None:
        rel = self.rule_table(node.relation)
        if rel.kind == "v" and node.newname == "_RETURN":
            raise SqlError("42710", f'rule "_RETURN" for relation "{rel.name}" already exists')
        if rel.kind == "v" and node.subname == "_RETURN":
            raise SqlError("42809", "renaming an ON SELECT rule is not allowed")
        r = RU.find(rel, node.subname)
        if r is None:
            raise SqlError("42704", f'rule "{node.subname}" for relation "{rel.name}" does not exist')
        if RU.find(rel, node.newname) is not None:
            raise SqlError("42710", f'rule "{node.newname}" for relation "{rel.name}" already exists')
        renamed = RU.Rule(r.oid, node.newname, r.event, r.instead, r.qual, r.actions, r.enabled)
        RU.save(self.conn, rel, [x for x in RU.rules(rel) if x.name != r.name] + [renamed])
        self.refresh()
