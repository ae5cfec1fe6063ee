"""Utility statements' dispatch (PostgreSQL's tcop/utility.c ProcessUtility): every
statement that is not a query or DML becomes a Statement whose handler runs at execute
time (DDL reads the catalog as it is then), built by the module of its family: roles,
databases and their settings (the shared catalog), transactions, SET/SHOW/RESET,
DDL (pgsvc.sql.commands.ddl), GRANT, portals, COPY. The small statements without a
family of their own are here: VACUUM/ANALYZE, EXPLAIN, LOCK, DISCARD, CHECKPOINT, and
the refusals of LOAD and CREATE EXTENSION.
"""

from __future__ import annotations

import re

from pglast import ast, enums

from pgsvc.errors import SqlError
from pgsvc.sql.api import Column, EngineContext
from pgsvc.sql.catalog import changelog
from pgsvc.sql.catalog.authz import authz
from pgsvc.sql.catalog.sqlite_errors import map_error
from pgsvc.sql.commands import (constraints_set, databases, grants, listen, maintenance, portals, publication_stmts,
                                role_settings, roles)
from pgsvc.sql.commands.copy import translate_copy
from pgsvc.sql.commands.ddl import Ddl, trigger_capture
from pgsvc.sql.commands.ddl.aggregates import create_aggregate
from pgsvc.sql.commands.ddl.matviews import create_matview, refresh_matview
from pgsvc.sql.commands.call import translate_call
from pgsvc.sql.commands.do import translate_do
from pgsvc.sql.commands.transactions import translate_transaction
from pgsvc.sql.commands.variables import apply_reset, translate_set, translate_show
from pgsvc.sql.statement import Result, Statement, utility_statement
from pgsvc.sql.types import oids as O


def translate_utility(engine: EngineContext, tr, text: str, node) -> Statement:
    kind = type(node).__name__
    build = _cluster_handler(kind, node)
    if build is not None:
        tr.cacheable = False  # their text may hold a password; they re-read the catalog anyway
        return build(engine, tr, text, node)
    fn = publication_stmts.handler_for(kind, node) or _HANDLERS.get(kind)
    if fn is None:
        raise SqlError("0A000", f"{_command_name(kind)} is not supported")
    return fn(engine, tr, text, node)


# Roles, databases and their settings live in the shared catalog (DATADIR/global/catalog.db,
# pgsvc.cluster.global_catalog), changed on the engine's second connection inside its
# transaction (pgsvc.sql.catalog.shared).
_CLUSTER_HANDLERS = {**roles.HANDLERS, **databases.HANDLERS, **role_settings.HANDLERS}


def _cluster_handler(kind: str, node):
    """The builder of a cluster-wide statement (roles, databases), or None."""
    if kind == "RenameStmt":
        return {"OBJECT_ROLE": roles.rename_role,
                "OBJECT_DATABASE": databases.rename_database}.get(node.renameType.name)
    if kind == "AlterOwnerStmt":
        return databases.alter_database_owner if node.objectType.name == "OBJECT_DATABASE" else None
    return _CLUSTER_HANDLERS.get(kind)


def _command_name(kind: str) -> str:
    """CreateExtensionStmt -> CREATE EXTENSION (the words a user typed)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind.removesuffix("Stmt")).upper()


# --- DDL dispatch ------------------------------------------------------------------------

def _after_ddl(e) -> None:
    """A DDL statement may have changed a table with triggers (or its triggers): the SQLite
    triggers that report its row changes follow the catalog (commands.ddl.trigger_capture)."""
    if e.catalog.triggers:
        trigger_capture.sync(e.conn, e.catalog, e.temp_schema)
    if e.catalog.publications:  # and the change log's, published tables' (catalog.changelog)
        changelog.sync(e.conn, e.catalog)


def _ddl(command: str, method: str, with_text: bool = False):
    def build(engine, tr, text, node):
        def run(e, s, p):
            d = Ddl(e)
            fn = getattr(d, method)
            e.run_atomic(lambda: (fn(node, text) if with_text else fn(node), _after_ddl(e)))
            return Result(None, [], command if callable(command) is False else command(node))
        return utility_statement(text, command if isinstance(command, str) else command(node), run, writes=True)
    return build


def _type_ddl(command: str, method: str):
    """CREATE/ALTER/DROP of domains and enums (pgsvc.sql.commands.ddl.user_types)."""
    def build(engine, tr, text, node):
        def run(e, s, p):
            e.run_atomic(lambda: (getattr(Ddl(e), method)(node), _after_ddl(e)))
            return Result(None, [], command)
        return utility_statement(text, command, run, writes=True)
    return build


def _create_table_as(engine, tr, text, node):
    if node.objtype == enums.ObjectType.OBJECT_MATVIEW:  # (ddl.matviews)
        def run(e, s, p):
            n = e.run_atomic(lambda: (create_matview(Ddl(e), node), _after_ddl(e))[0])
            return Result(None, [], "SELECT" if n is not None else "CREATE MATERIALIZED VIEW", n)
        return utility_statement(text, "CREATE MATERIALIZED VIEW", run, writes=True)
    return _table_from_query(text, node.into, node.query, node.if_not_exists, "CREATE TABLE AS")


def _refresh_matview(engine, tr, text, node):
    def run(e, s, p):
        e.run_atomic(lambda: refresh_matview(Ddl(e), node))
        return Result(None, [], "REFRESH MATERIALIZED VIEW")
    return utility_statement(text, "REFRESH MATERIALIZED VIEW", run, writes=True)


def _select_into(engine, tr, text, node: ast.SelectStmt):
    into = node.intoClause
    node.intoClause = None
    return _table_from_query(text, into, node, False, "SELECT INTO")


def _table_from_query(text, into, query, if_not_exists, command):
    def run(e, s, p):
        n = e.run_atomic(lambda: Ddl(e).create_table_as(into, query, if_not_exists))
        if e.catalog.publications:  # FOR ALL TABLES / TABLES IN SCHEMA cover the new table
            e.run_atomic(lambda: _after_ddl(e))
        return Result(None, [], "SELECT" if n is not None else "CREATE TABLE AS", n)
    return utility_statement(text, command, run, writes=True)


def _define(engine, tr, text, node: ast.DefineStmt):
    """CREATE AGGREGATE (pgsvc.sql.commands.ddl.aggregates); CREATE OPERATOR, COLLATION,
    TEXT SEARCH ... and base types are refused."""
    if node.kind == enums.ObjectType.OBJECT_TYPE:  # shell and base types (ddl.user_types)
        return utility_statement(text, "CREATE TYPE", lambda e, s, p: Ddl(e).define_base_type(node), writes=True)
    if node.kind != enums.ObjectType.OBJECT_AGGREGATE:
        kind = node.kind.name[len("OBJECT_"):].replace("TS", "TEXT SEARCH ").replace("_", " ")
        raise SqlError("0A000", f"CREATE {kind.strip()} is not supported")

    def run(e, s, p):
        e.run_atomic(lambda: create_aggregate(Ddl(e), node))
        return Result(None, [], "CREATE AGGREGATE")
    return utility_statement(text, "CREATE AGGREGATE", run, writes=True)


def _drop_tag(node: ast.DropStmt) -> str:
    return "DROP " + node.removeType.name[len("OBJECT_"):].replace("_", " ").replace("MATVIEW", "MATERIALIZED VIEW")


def _drop(engine, tr, text, node):
    tag = _drop_tag(node).replace("OPCLASS", "OPERATOR CLASS")

    def run(e, s, p):
        e.run_atomic(lambda: (Ddl(e).drop(node), _after_ddl(e)))
        return Result(None, [], tag)
    return utility_statement(text, tag, run, writes=True)


def _truncate(engine, tr, text, node):
    def run(e, s, p):
        e.run_atomic(lambda: Ddl(e).truncate(node))
        return Result(None, [], "TRUNCATE TABLE")
    return utility_statement(text, "TRUNCATE TABLE", run, writes=True)


def _alter_object_schema(engine, tr, text, node: ast.AlterObjectSchemaStmt):
    """ALTER FUNCTION / PROCEDURE / ROUTINE ... SET SCHEMA (other objects: not supported)."""
    if node.objectType not in (enums.ObjectType.OBJECT_FUNCTION, enums.ObjectType.OBJECT_PROCEDURE,
                               enums.ObjectType.OBJECT_ROUTINE):
        raise SqlError("0A000", f"ALTER {node.objectType.name[len('OBJECT_'):]} ... SET SCHEMA is not supported")
    return _ddl("ALTER " + node.objectType.name[len("OBJECT_"):], "alter_routine_schema")(engine, tr, text, node)


def _vacuum(engine, tr, text, node: ast.VacuumStmt):
    opts = {d.defname for d in node.options or ()}
    tag = "VACUUM" if node.is_vacuumcmd else "ANALYZE"
    rels = [r.relation for r in node.rels or ()]
    for rv in rels:
        tr.relation(rv)

    def run(e, s, p):
        if node.is_vacuumcmd and e.in_transaction_block():  # a BEGIN block or a multi-statement query
            raise SqlError("25001", "VACUUM cannot run inside a transaction block")
        if "analyze" in opts or not node.is_vacuumcmd:
            names = [tr.relation(rv).sqlite_name for rv in rels] or [None]
            for n in names:
                e.conn.execute("ANALYZE" if n is None else f'ANALYZE "{n}"')
        if "full" in opts and not e.txn.open:
            e.conn.execute("VACUUM")
        return Result(None, [], tag)
    return utility_statement(text, tag, run)


def _explain(engine, tr, text, node: ast.ExplainStmt):
    opts = {d.defname for d in node.options or ()}
    if "analyze" in opts:
        raise SqlError("0A000", "EXPLAIN ANALYZE is not supported")
    inner = engine.translate_stmt(text, node.query, list(tr.param_oids), None)
    if inner.sqlite_sql is None:
        raise SqlError("0A000", "EXPLAIN of this statement is not supported")
    tr.privs_needed.extend(inner.extra.get("privs", ()))  # PostgreSQL checks them for EXPLAIN too

    def run(e, s, p):
        values = e.bind_values(inner, p)
        rows = [("SQLite query plan (pgsvc):",)]
        try:
            plan = e.conn.execute("EXPLAIN QUERY PLAN " + inner.sqlite_sql, values).fetchall()
        except Exception as err:  # SQLite refusing to plan it: the error running it would give
            raise map_error(err, e) from None
        for _id, _parent, _n, detail in plan:
            rows.append(("  " + detail,))
        return Result(s.columns, rows, "EXPLAIN")
    s = utility_statement(text, "EXPLAIN", run, [Column("QUERY PLAN", O.TEXT)])
    tr.param_oids = inner.param_oids
    return s


def _lock(engine, tr, text, node):
    rels = [tr.relation(rv) for rv in node.relations]
    # PostgreSQL's LockTableAclCheck: ACCESS SHARE needs SELECT, ROW EXCLUSIVE any of
    # INSERT/UPDATE/DELETE/TRUNCATE, stronger modes any of UPDATE/DELETE/TRUNCATE
    letters = {1: "r", 3: "awdD"}.get(node.mode, "wdD")
    needs = [("r", rel.oid, letters, 0, True) for rel in rels]

    def run(e, s, p):
        if not e.txn.block:
            raise SqlError("25P01", "LOCK TABLE can only be used in transaction blocks")
        authz(e).check_statement(needs)
        # ACCESS SHARE and ROW SHARE conflict with no writer (only with DDL, which waits for
        # nobody here: the holder's snapshot keeps what it reads): no writer lock, so pg_dump
        # -j's workers lock their tables while the leader holds the lock. The other modes
        # keep writers out: the database's writer lock, which NOWAIT does not wait for.
        if node.mode > 2:
            if node.nowait and not e.lock.held and not e.lock.try_acquire():
                raise SqlError("55P03", f'could not obtain lock on relation "{rels[0].name}"')
            e.acquire_writer()
        return Result(None, [], "LOCK TABLE")
    return utility_statement(text, "LOCK TABLE", run)


def _discard(engine, tr, text, node):
    target = node.target.name[len("DISCARD_"):]

    def run(e, s, p):
        if target == "ALL":
            if e.in_transaction_block():
                raise SqlError("25001", "DISCARD ALL cannot run inside a transaction block")
            for c in e.cursors.values():
                c.result.close()
            e.cursors.clear()
            portals.deallocate_all(e)  # the protocol's named statements too
            apply_reset(e, None)
            e.sequences.current.clear()
            e.async_notify.unlisten_all()  # DISCARD ALL includes UNLISTEN *
            e.async_notify.commit_if_autocommit()
        elif target == "PLANS":
            e.prepare_cache.clear()
        elif target == "SEQUENCES":
            e.sequences.current.clear()
        return Result(None, [], s.command)
    return utility_statement(text, "DISCARD " + target, run)


def _checkpoint(engine, tr, text, node):
    return utility_statement(text, "CHECKPOINT", lambda e, s, p: Result(None, [], "CHECKPOINT"))


def _load(engine, tr, text, node: ast.LoadStmt):
    # Host isolation: no statement may bring native code into a backend (nor can SQL
    # reach SQLite's load_extension; the engine's authorizer denies it as well).
    raise SqlError("42501", f'access to library "{node.filename}" is not allowed',
                   detail="pgsvc does not load shared libraries.")


def _create_extension(engine, tr, text, node: ast.CreateExtensionStmt):
    raise SqlError("0A000", f'extension "{node.extname}" is not available',
                   hint="pgsvc does not support extensions.")


def _grants(fn_name):
    def build(engine, tr, text, node):
        tr.cacheable = False
        return getattr(grants, fn_name)(engine, tr, text, node)
    return build


_HANDLERS = {
    "TransactionStmt": translate_transaction,
    "VariableSetStmt": translate_set,
    "CreateTableAsStmt": _create_table_as,
    "RefreshMatViewStmt": _refresh_matview,
    "SelectStmt": _select_into,
    "VariableShowStmt": translate_show,
    "CreateStmt": _ddl("CREATE TABLE", "create_table", with_text=True),
    "DropStmt": _drop,
    "DefineStmt": _define,
    "TruncateStmt": _truncate,
    "IndexStmt": _ddl("CREATE INDEX", "create_index"),
    "ViewStmt": _ddl("CREATE VIEW", "create_view", with_text=True),
    "CreateSeqStmt": _ddl("CREATE SEQUENCE", "create_sequence"),
    "AlterSeqStmt": _ddl("ALTER SEQUENCE", "alter_sequence"),
    "CreateSchemaStmt": _ddl("CREATE SCHEMA", "create_schema"),
    "AlterTableStmt": _ddl(lambda n: "ALTER " + n.objtype.name[len("OBJECT_"):], "alter_table", with_text=True),
    "RenameStmt": _ddl(lambda n: "ALTER " + n.renameType.name[len("OBJECT_"):].replace("COLUMN", "TABLE")
                       .replace("ATTRIBUTE", "TYPE").replace("TABCONSTRAINT", "TABLE").replace("DOMCONSTRAINT", "DOMAIN"), "rename"),
    "CommentStmt": lambda engine, tr, text, node: (
        _type_ddl("COMMENT", "comment_type") if node.objtype in (enums.ObjectType.OBJECT_TYPE,
                                                                 enums.ObjectType.OBJECT_DOMAIN)
        else _ddl("COMMENT", "comment"))(engine, tr, text, node),
    "VacuumStmt": _vacuum,
    "ExplainStmt": _explain,
    "LockStmt": _lock,
    "DiscardStmt": _discard,
    "DeallocateStmt": portals.deallocate_stmt,
    "PrepareStmt": portals.prepare_stmt,
    "ExecuteStmt": portals.execute_stmt,
    "DeclareCursorStmt": portals.declare_stmt,
    "FetchStmt": portals.fetch_stmt,
    "ClosePortalStmt": portals.close_stmt,
    "CheckPointStmt": _checkpoint,
    "CreateDomainStmt": _type_ddl("CREATE DOMAIN", "create_domain"),
    "AlterDomainStmt": _type_ddl("ALTER DOMAIN", "alter_domain"),
    "CreateEnumStmt": _type_ddl("CREATE TYPE", "create_enum"),
    "AlterEnumStmt": _type_ddl("ALTER TYPE", "alter_enum"),
    "CompositeTypeStmt": _type_ddl("CREATE TYPE", "create_composite"),  # commands.ddl.composite_types
    "CreateRangeStmt": _type_ddl("CREATE TYPE", "create_range"),
    "CopyStmt": translate_copy,
    "GrantStmt": _grants("translate_grant"),
    "AlterOwnerStmt": _grants("alter_owner_stmt"),
    "ReassignOwnedStmt": _grants("translate_reassign"),
    "DropOwnedStmt": _grants("translate_drop_owned"),
    "LoadStmt": _load,
    "CreateExtensionStmt": _create_extension,
    # functions and procedures (pgsvc.sql.commands.ddl.routines, commands.call)
    "CreateFunctionStmt": _ddl(lambda n: "CREATE PROCEDURE" if n.is_procedure else "CREATE FUNCTION",
                               "create_routine", with_text=True),
    "AlterFunctionStmt": _ddl(lambda n: "ALTER " + n.objtype.name[len("OBJECT_"):], "alter_routine"),
    "AlterObjectSchemaStmt": _alter_object_schema,
    "CallStmt": translate_call,
    "DoStmt": translate_do,  # anonymous code blocks (commands.do)
    "CreateTrigStmt": _ddl("CREATE TRIGGER", "create_trigger"),  # pgsvc.sql.commands.ddl.triggers
    "CreateOpClassStmt": _ddl("CREATE OPERATOR CLASS", "create_opclass"),  # pgsvc.sql.commands.ddl.opclasses
    "CreatePolicyStmt": _ddl("CREATE POLICY", "create_policy"),  # pgsvc.sql.commands.ddl.policies
    "AlterPolicyStmt": _ddl("ALTER POLICY", "alter_policy"),
    "RuleStmt": _ddl("CREATE RULE", "create_rule"),  # pgsvc.sql.commands.ddl.rules
    "ReindexStmt": maintenance.translate_reindex,  # reindexdb (pgsvc.sql.commands.maintenance)
    "ClusterStmt": maintenance.translate_cluster,  # clusterdb
    **listen.HANDLERS,  # LISTEN, UNLISTEN, NOTIFY
    **constraints_set.HANDLERS,  # SET CONSTRAINTS (constraint triggers)
}

__all__ = ["translate_utility"]
