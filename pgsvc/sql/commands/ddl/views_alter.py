"""A view's options and column defaults: WITH (check_option, security_barrier,
security_invoker) of CREATE VIEW and ALTER VIEW ... SET / RESET (...), WITH [LOCAL |
CASCADED] CHECK OPTION, and ALTER VIEW ... ALTER COLUMN ... SET / DROP DEFAULT (the value an
INSERT through the view gives a column it omits: translate.view_dml). Options are checked as
PostgreSQL's reloptions are (22023), and a check option only on an automatically updatable
view (0A000, with the reason as the hint).
"""

from __future__ import annotations

import copy
from types import SimpleNamespace

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.commands.ddl.node_text import default_source, option_value
from pgsvc.sql.translate import Translator
from pgsvc.sql.translate.view_dml import shape_of

A = enums.AlterTableType
_BOOL_WORDS = {"true": True, "on": True, "yes": True, "1": True, "t": True, "y": True,
               "false": False, "off": False, "no": False, "0": False, "f": False, "n": False}


def view_options(defs, check: int | None = None) -> dict:
    """WITH (...) of a view as stored options (PostgreSQL's view reloptions, checked)."""
    out: dict = {}
    for d in defs or ():
        name = d.defname
        value = option_value(d.arg) if d.arg is not None else True
        if name == "check_option":
            word = str(value).lower() if d.arg is not None else ""
            if word not in ("local", "cascaded"):
                raise SqlError("22023", f'invalid value for enum option "check_option": {value if d.arg else ""}',
                               detail='Valid values are "local" and "cascaded".')
            out[name] = word
        elif name in ("security_barrier", "security_invoker"):
            word = str(value).lower() if not isinstance(value, bool) else ("true" if value else "false")
            if word not in _BOOL_WORDS:
                raise SqlError("22023", f'invalid value for boolean option "{name}": {value}')
            out[name] = _BOOL_WORDS[word]
        else:
            raise SqlError("22023", f'unrecognized parameter "{name}"')
    if check is not None and check != enums.ViewCheckOption.NO_CHECK_OPTION:
        out["check_option"] = "local" if check == enums.ViewCheckOption.LOCAL_CHECK_OPTION else "cascaded"
    return out


def check_option_allowed(engine, cat, viewdef: str, names: list[str], options: dict) -> None:
    """A check option needs an automatically updatable view (DefineView's check)."""
    if not options.get("check_option"):
        return
    view = SimpleNamespace(viewdef=viewdef, attrs=[SimpleNamespace(name=n) for n in names], options=options)
    shape = shape_of(Translator(engine, cat, []), view, True)
    if shape.detail is not None:
        raise SqlError("0A000", "WITH CHECK OPTION is supported only on automatically updatable views",
                       hint=shape.detail)


def temp_view_check(ddl, node: ast.ViewStmt) -> None:
    """CREATE VIEW over a temporary relation makes a temporary view (DefineView's NOTICE), which
    cannot go in a schema named that is not the temporary one."""
    rv = node.view
    if rv.relpersistence != "p" or not uses_temp_relation(Translator(ddl.engine, ddl.cat, []), node.query):
        return
    ddl.notice(f'view "{rv.relname}" will be a temporary view')
    if rv.schemaname is not None and rv.schemaname != "pg_temp" and not rv.schemaname.startswith("pg_temp_"):
        raise SqlError("42P16", "cannot create temporary relation in non-temporary schema")
    rv.relpersistence = "t"


def uses_temp_relation(tr, node, ctes: frozenset = frozenset()) -> bool:
    """Whether a query reads a temporary relation (isQueryUsingTempRelation), subqueries too."""
    if isinstance(node, ast.SelectStmt) and node.withClause is not None:
        ctes = ctes | {c.ctename for c in node.withClause.ctes}
    if isinstance(node, ast.RangeVar):
        if node.schemaname is None and node.relname in ctes:
            return False
        try:
            rel = tr.relation(copy.deepcopy(node))
        except SqlError:
            return False
        return rel.schema.startswith("pg_temp")
    if isinstance(node, ast.Node):
        return any(uses_temp_relation(tr, getattr(node, k), ctes) for k in node.__slots__)
    if isinstance(node, tuple):
        return any(uses_temp_relation(tr, x, ctes) for x in node)
    return False


def alter_view(ddl, node: ast.AlterTableStmt) -> None:
    """ALTER VIEW ... SET / RESET (options), ALTER COLUMN ... SET / DROP DEFAULT."""
    rv = node.relation
    rel = ddl.cat.lookup(rv.schemaname, rv.relname, ddl.engine.search_path())
    if rel is None:
        if node.missing_ok:
            ddl.notice(f'relation "{rv.relname}" does not exist, skipping')
            return
        raise SqlError("42P01", f'relation "{rv.relname}" does not exist')
    if rel.kind != "v":
        raise SqlError("42809", f'"{rel.name}" is not a view')
    authz(ddl.engine).check_owner(rel)
    for cmd in node.cmds:
        rel = ddl.cat.by_oid[rel.oid]
        if cmd.subtype == A.AT_ColumnDefault:
            a = rel.attr(cmd.name)
            if a is None:
                raise SqlError("42703", f'column "{cmd.name}" of relation "{rel.name}" does not exist')
            a.default = default_source(cmd.def_, a.domain_oid) if cmd.def_ is not None else None
            C.update_attr(ddl.conn, rel.oid, a)
        elif cmd.subtype in (A.AT_SetRelOptions, A.AT_ResetRelOptions):
            options = dict(rel.options)
            if cmd.subtype == A.AT_SetRelOptions:
                options.update(view_options(cmd.def_))
            else:
                for d in cmd.def_ or ():
                    options.pop(d.defname, None)
            check_option_allowed(ddl.engine, ddl.cat, rel.viewdef, [a.name for a in rel.attrs], options)
            C.replace_view_definition(ddl.conn, rel.oid, rel.viewdef, options or None)
        else:
            raise SqlError("0A000", "this form of ALTER VIEW is not supported")
        ddl.refresh()
