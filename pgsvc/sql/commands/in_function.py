"""Statements PostgreSQL refuses inside a function (PreventInTransactionBlock with
isTopLevel false: "VACUUM cannot be executed from a function", 25001) and the transaction
commands a SQL function may not run ("COMMIT is not allowed in an SQL function", 0A000).
Asked by PL/pgSQL (static and dynamic SQL) and by LANGUAGE sql bodies before they run one.
"""

from __future__ import annotations

from pglast import ast, enums

from pgsvc.errors import SqlError

_TXN_WORDS = {
    enums.TransactionStmtKind.TRANS_STMT_BEGIN: "BEGIN",
    enums.TransactionStmtKind.TRANS_STMT_START: "START TRANSACTION",
    enums.TransactionStmtKind.TRANS_STMT_COMMIT: "COMMIT",
    enums.TransactionStmtKind.TRANS_STMT_ROLLBACK: "ROLLBACK",
    enums.TransactionStmtKind.TRANS_STMT_SAVEPOINT: "SAVEPOINT",
    enums.TransactionStmtKind.TRANS_STMT_RELEASE: "RELEASE",
    enums.TransactionStmtKind.TRANS_STMT_ROLLBACK_TO: "ROLLBACK",
    enums.TransactionStmtKind.TRANS_STMT_PREPARE: "PREPARE TRANSACTION",
    enums.TransactionStmtKind.TRANS_STMT_COMMIT_PREPARED: "COMMIT PREPARED",
    enums.TransactionStmtKind.TRANS_STMT_ROLLBACK_PREPARED: "ROLLBACK PREPARED",
}


def refused_in_function(node) -> str | None:
    """The command name of a statement that cannot run inside a function, else None."""
    if isinstance(node, ast.VacuumStmt):
        return "VACUUM" if node.is_vacuumcmd else None
    if isinstance(node, ast.CreatedbStmt):
        return "CREATE DATABASE"
    if isinstance(node, ast.DropdbStmt):
        return "DROP DATABASE"
    if isinstance(node, ast.CreateTableSpaceStmt):
        return "CREATE TABLESPACE"
    if isinstance(node, ast.DropTableSpaceStmt):
        return "DROP TABLESPACE"
    if isinstance(node, ast.AlterSystemStmt):
        return "ALTER SYSTEM"
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.ReindexStmt):
        if any(getattr(p, "defname", "") == "concurrently" for p in node.params or ()):
            return "REINDEX CONCURRENTLY"
        kind = enums.ReindexObjectType
        return {kind.REINDEX_OBJECT_DATABASE: "REINDEX DATABASE",
                kind.REINDEX_OBJECT_SYSTEM: "REINDEX SYSTEM"}.get(node.kind)
    if isinstance(node, ast.ClusterStmt) and node.relation is None:
        return "CLUSTER"
    if isinstance(node, ast.DiscardStmt) and node.target == enums.DiscardMode.DISCARD_ALL:
        return "DISCARD ALL"
    return None


def check_in_function(node) -> None:
    """25001 for a statement that cannot be executed from a function."""
    word = refused_in_function(node)
    if word is not None:
        raise SqlError("25001", f"{word} cannot be executed from a function")


def sql_function_transaction_error(node) -> SqlError | None:
    """A transaction command in a SQL function's body (refused when the function runs)."""
    if isinstance(node, ast.TransactionStmt):
        word = _TXN_WORDS.get(node.kind, "COMMIT")
        return SqlError("0A000", f"{word} is not allowed in an SQL function")
    return None
