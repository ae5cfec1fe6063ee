"""Running an INSERT / UPDATE / DELETE that rules rewrite (pgsvc.sql.translate.rule_rewrite):
its statements are translated together with it (each through the runner, so that their own
targets' rules, triggers and constraints apply) and run one after another as one atomic
statement. The command tag is PostgreSQL's: the original statement's when it ran, else the
count of the last statement an INSTEAD rule added of the original's command (0 if none);
RETURNING rows come from the original or from the INSTEAD rule's RETURNING action.
"""

from __future__ import annotations

import copy

from pglast import ast

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import rules as RU
from pgsvc.sql.quoting import quote_ident
from pgsvc.sql.statement import Result, Statement
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate import rule_rewrite as RW


def rule_statement(engine, tr, text: str, node) -> Statement | None:
    """The Statement of a DML node whose target has rules for its event, else None."""
    if engine.__dict__.get("rules_bypass") is node:
        return None  # the original statement itself, kept by the rewrite
    rv = node.relation
    if isinstance(node, ast.UpdateStmt) and rv.relname == "pg_settings" and rv.schemaname in (None, "pg_catalog") \
            and engine.catalog.lookup(rv.schemaname, rv.relname, tr.search_path()) is None:
        return settings_update(engine, tr, text, node)
    rel = tr.relation(node.relation)
    event = RW.EVENTS[type(node)]
    replica = engine.session.settings.get("session_replication_role") == "replica"
    if rel.options.get("rules"):
        tr.cacheable = False  # which rules fire depends on session_replication_role at the time
    if not RU.for_event(rel, event, replica):
        return None
    check_recursion(engine, tr, rel, event, [(rel.oid, event)])

    def catalog_cols(rv) -> list[str]:
        return [a.name for a in tr.relation(rv).attrs]

    def width_of(sel) -> int:
        return len(Translator(engine, engine.catalog, list(tr.param_oids)).select(copy.deepcopy(sel)).columns)

    def column_default_text(rv, name: str) -> str:
        target = tr.relation(rv)
        a = target.attr(name)
        return RW.default_text(a) if a is not None else "NULL"

    plan = RW.rewrite(rel, node, catalog_cols, width_of, column_default_text=column_default_text, replica=replica)
    tr.need(rel, {"INSERT": "a", "UPDATE": "w", "DELETE": "d"}[event])  # the user's own, as on any target
    if node.returningList:
        tr.need(rel, "r")  # RETURNING reads the target, also where an INSTEAD rule's action returns
    tr.cacheable = False
    callers = caller_reads(engine, tr, rel, node, event, width_of)
    subs = []
    param_oids = list(tr.param_oids)
    for step in plan.steps:
        sub_text = RW.text(step.node)
        if step.original:
            engine.__dict__["rules_bypass"] = step.node
        # an action's relations are under their row security as the rule owner sees them, what
        # the statement itself reads as the caller does (translate.row_security)
        outer_rls = engine.__dict__.get("rule_rls_as")
        engine.__dict__["rule_rls_as"] = outer_rls if step.original or callers is None else (rel.owner, callers)
        try:
            sub = engine.translate_stmt(sub_text, step.node, list(param_oids), None)
        except SqlError as err:
            if not step.original:
                err.position = None  # a position in the rewritten text would mislead
            raise
        finally:
            engine.__dict__["rules_bypass"] = None
            engine.__dict__["rule_rls_as"] = outer_rls
        if step.original:
            sub.node = None  # never translated again on its own: rules would rewrite it again
        elif "privs" in sub.extra:  # an action runs with the rights of the relation's owner (the rule's),
            # what the statement itself reads (through NEW / OLD) with the caller's
            sub.extra["privs"] = tuple((p[0], p[1], p[2], p[3] or (p[3] if callers is None or p[1] in callers
                                                                    else rel.owner),
                                        *p[4:]) if p[0] == "r" else p for p in sub.extra["privs"])
        for i, o in enumerate(sub.param_oids):
            if i >= len(param_oids):
                param_oids.append(o)
            elif not param_oids[i]:
                param_oids[i] = o
        subs.append((sub, step))
    tr.param_oids[:] = param_oids
    cols = None
    for sub, step in subs:
        if (step.original and plan.returning) or step.returns or (step.select and not plan.returning):
            cols = sub.columns
    stmt = Statement(text, event, cols)
    stmt.returning = cols is not None
    stmt.extra["relid"] = rel.oid
    stmt.extra["rule_steps"] = subs
    stmt.extra["rule_returning"] = plan.returning
    stmt.writes = True
    stmt.handler = run_rule_statement
    return stmt


def caller_reads(engine, tr, rel, node, event: str, width_of) -> frozenset | None:
    """The relations the statement's own parts read (its VALUES or query, FROM / USING,
    WHERE, SET values, WITH), other than its target: the rules' actions read them through
    NEW / OLD, and they stay the caller's to read, as PostgreSQL checks the original query's
    range table entries as the user in the rewritten actions (rewriteRuleAction). Were they
    checked as the rule owner, anyone allowed to write a relation with rules could read
    what its owner may read (INSERT INTO logged SELECT * FROM owners_secret). None when
    they cannot be told apart: every relation the actions read is then the caller's."""
    try:
        src = RW.insert_source(rel, node, width_of)[0] if event == "INSERT" else RW.old_new_source(rel, node, event)
        sel = RW.parse_one(f"SELECT * FROM {src}")
        sel.withClause = copy.deepcopy(getattr(node, "withClause", None))
        readers = [Translator(engine, engine.catalog, list(tr.param_oids))]
        readers[0].select(sel)
        if node.returningList:  # its RETURNING (an INSTEAD rule's RETURNING action computes it)
            ret = RW.parse_one(f"SELECT {', '.join(RW.text(rt) for rt in node.returningList)} "
                               f"FROM {RW.target_text(node)[0]}")
            readers.append(Translator(engine, engine.catalog, list(tr.param_oids)))
            readers[1].select(ret)
    except SqlError:
        return None  # (the actions' translation reports what is wrong with it)
    return frozenset(p[1] for r in readers for p in r.privs_needed if p[0] == "r" and p[1] != rel.oid)


def settings_target(node) -> bool:
    """UPDATE pg_settings (PostgreSQL's built-in rules on it: settings_update)."""
    return isinstance(node, ast.UpdateStmt) and node.relation.relname == "pg_settings"


def settings_update(engine, tr, text: str, node) -> Statement:
    """UPDATE pg_settings: PostgreSQL's two rules on the view, pg_settings_u (ON UPDATE WHERE
    new.name = old.name DO SELECT set_config(old.name, new.setting, false)) and pg_settings_n
    (DO INSTEAD NOTHING): the set_config rows are the answer, the tag UPDATE 0."""
    if node.returningList:
        raise SqlError("0A000", 'cannot perform UPDATE RETURNING on relation "pg_settings"',
                       hint="You need an unconditional ON UPDATE DO INSTEAD rule with a RETURNING clause.")
    alias = quote_ident(node.relation.alias.aliasname if node.relation.alias else "pg_settings")
    sets = {rt.name: RW.text(rt.val) for rt in node.targetList if not rt.indirection and
            not isinstance(rt.val, (ast.MultiAssignRef, ast.SetToDefault))}
    setting = sets.get("setting", f"{alias}.setting")
    name = sets.get("name", f"{alias}.name")
    frm = ", ".join([f"pg_catalog.pg_settings AS {alias}"] + [RW.text(f) for f in node.fromClause or ()])
    where = f"({RW.text(node.whereClause)}) AND " if node.whereClause is not None else ""
    sql = (f"SELECT pg_catalog.set_config({alias}.name, CAST(({setting}) AS text), false) AS set_config "
           f"FROM {frm} WHERE {where}({name}) = {alias}.name")
    sel = RW.parse_one(sql)
    tr.cacheable = False
    sub = engine.translate_stmt(sql, sel, list(tr.param_oids), None)
    stmt = Statement(text, "UPDATE", sub.columns)
    stmt.returning = True
    stmt.extra["rule_steps"] = [(sub, RW.Step(sel, select=True))]
    stmt.extra["rule_returning"] = False
    stmt.handler = run_rule_statement
    return stmt


def check_recursion(engine, tr, rel, event: str, stack: list) -> None:
    """PostgreSQL's check at rewrite time: a rule's action reaching a relation and event already
    being rewritten is 42P17, whether or not its conditions would ever hold."""
    for r in RU.for_event(rel, event):
        for rv, ev in RW.action_targets(r):
            try:
                target = tr.relation(rv)
            except SqlError:
                continue  # reported when the action is translated
            if (target.oid, ev) in stack:
                raise SqlError("42P17", f'infinite recursion detected in rules for relation "{target.name}"')
            if RU.for_event(target, ev):
                check_recursion(engine, tr, target, ev, stack + [(target.oid, ev)])


def run_rule_statement(engine, stmt: Statement, params) -> Result:
    steps = stmt.extra["rule_steps"]

    def run():
        rows: list = []
        count = 0
        has_original = any(step.original for _, step in steps)
        returning = stmt.extra.get("rule_returning", False)
        for sub, step in steps:
            res = engine.execute(sub, params)
            got = list(res.rows)
            word = res.tag(len(got)).split()[-1]
            n = int(word) if word.isdigit() else 0  # the sub-statement's own count (NOTIFY has none)
            if step.original or (step.counts and not has_original):
                count = n  # the original's count, else the last INSTEAD action's of its command
            if (step.original and returning) or step.returns or (step.select and not returning):
                rows = got
        return rows, count

    # the statements run inside this one: none commits on its own (a NOTIFY action's queue
    # goes with this statement's commit, as a statement a routine runs)
    engine.call_depth += 1
    try:
        rows, count = engine.run_atomic(run)
    finally:
        engine.call_depth -= 1
    return Result(stmt.columns, rows, stmt.command, count)


def is_dml(node) -> bool:
    return isinstance(node, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt))
