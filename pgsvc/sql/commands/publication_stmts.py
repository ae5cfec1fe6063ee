"""The dispatcher's entries for publications (pgsvc.sql.commands.utility): CREATE / ALTER
PUBLICATION, and DROP / ALTER ... RENAME TO / ALTER ... OWNER TO of a publication, each a
DDL statement (pgsvc.sql.commands.ddl.publications) after which the change log's
triggers follow the publications (pgsvc.sql.catalog.changelog.sync).
"""

from __future__ import annotations

from pglast import enums

from pgsvc.sql.catalog import changelog
from pgsvc.sql.commands.ddl import Ddl
from pgsvc.sql.commands.ddl import publications as P
from pgsvc.sql.statement import Result, utility_statement


def _statement(method, tag: str):
    def build(engine, tr, text, node):
        def run(e, s, p):
            e.run_atomic(lambda: (method(Ddl(e), node), changelog.sync(e.conn, e.catalog)))
            return Result(None, [], tag)
        return utility_statement(text, tag, run, writes=True)
    return build


_BY_KIND = {
    "CreatePublicationStmt": _statement(P.create_publication, "CREATE PUBLICATION"),
    "AlterPublicationStmt": _statement(P.alter_publication, "ALTER PUBLICATION"),
    "DropStmt": _statement(P.drop_publications, "DROP PUBLICATION"),
    "RenameStmt": _statement(P.rename_publication, "ALTER PUBLICATION"),
    "AlterOwnerStmt": _statement(P.alter_publication_owner, "ALTER PUBLICATION"),
}


def handler_for(kind: str, node):
    """The builder of a publication statement, or None for any other statement."""
    if kind in ("CreatePublicationStmt", "AlterPublicationStmt"):
        return _BY_KIND[kind]
    obj = {"DropStmt": "removeType", "RenameStmt": "renameType", "AlterOwnerStmt": "objectType"}.get(kind)
    if obj is not None and getattr(node, obj) == enums.ObjectType.OBJECT_PUBLICATION:
        return _BY_KIND[kind]
    return None


__all__ = ["handler_for"]
