"""Cluster-wide statements run by a backend: roles (CREATE/ALTER/DROP ROLE, GRANT/REVOKE
role, pgsvc.sql.commands.roles) and databases (CREATE/DROP/ALTER DATABASE, pgsvc.sql.commands.databases).

They change the shared catalog (DATADIR/global/catalog.db, pgsvc.cluster.global_catalog), not
the backend's own database file, on the engine's second connection with its transaction
rules (pgsvc.sql.catalog.shared).
"""

from __future__ import annotations

from pgsvc.sql.statement import Result, Statement


def make_statement(text: str, command: str, handler) -> Statement:
    s = Statement(text, command)
    s.handler = handler
    s.cacheable = False
    return s


def done(command: str) -> Result:
    return Result(None, [], command)


def translate(engine, tr, text: str, node) -> Statement | None:
    """The utility dispatcher's hook: a Statement for a cluster-wide statement, else None."""
    from pgsvc.sql.commands import databases
    from pgsvc.sql.commands import roles
    kind = type(node).__name__
    build = roles.HANDLERS.get(kind) or databases.HANDLERS.get(kind)
    if kind == "RenameStmt":
        build = {"OBJECT_ROLE": roles.rename_role,
                 "OBJECT_DATABASE": databases.rename_database}.get(node.renameType.name)
    elif kind == "AlterOwnerStmt":
        build = databases.alter_database_owner if node.objectType.name == "OBJECT_DATABASE" else None
    if build is None:
        return None
    tr.cacheable = False  # their text may hold a password; they re-read the catalog anyway
    return build(engine, tr, text, node)
