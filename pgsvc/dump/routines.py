"""Functions and procedures in a dump: read from pg_proc with the server's own printers
(pg_get_functiondef, pg_get_function_identity_arguments), so the same queries read pgsvc
and PostgreSQL 15, and written as CREATE FUNCTION / PROCEDURE, OWNER TO, COMMENT and
GRANTs that PostgreSQL 15 (and pgsvc) load. The script sets check_function_bodies off, as
pg_dump's does, so a body may name a table created later in the script; a SQL-standard
body (BEGIN ATOMIC / RETURN), which PostgreSQL analyses anyway, is written after the
tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import pglast
from pglast import ast

from pgsvc.client import Connection
from pgsvc.dump.introspect import USER_SCHEMAS
from pgsvc.sql.quoting import quote_ident

PG_PROC = 1255


@dataclass
class Routine:
    oid: int
    schema: str
    name: str
    kind: str  # f function, p procedure
    identity: str  # pg_get_function_identity_arguments
    definition: str  # pg_get_functiondef
    owner: str
    acl: str | None
    sqlbody: bool  # a SQL-standard body that reads relations (written after the tables)
    rowtype_of: str = ""  # the relkind whose row type it returns ('r' / 'v': after the tables / views)

    @property
    def keyword(self) -> str:
        return "PROCEDURE" if self.kind == "p" else "FUNCTION"

    @property
    def signature(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}({self.identity})"

    @property
    def label(self) -> str:
        """pg_dump's entry name: name(identity arguments)."""
        return f"{self.name}({self.identity})"


def read_routines(conn: Connection) -> list[Routine]:
    """The user schemas' functions and procedures (not aggregates), in creation order."""
    rows = conn.query(
        "SELECT p.oid, n.nspname, p.proname, p.prokind, pg_catalog.pg_get_function_identity_arguments(p.oid), "
        "pg_catalog.pg_get_functiondef(p.oid), pg_catalog.pg_get_userbyid(p.proowner), p.proacl, "
        "p.prosqlbody IS NOT NULL, "
        # RETURNS [SETOF] tbl: the row type's relation (PostgreSQL: pg_type.typrelid; pgsvc
        # gives a table's row type the table's own OID and has no pg_type row for it)
        "COALESCE((SELECT c.relkind FROM pg_catalog.pg_type t JOIN pg_catalog.pg_class c ON c.oid = t.typrelid "
        "WHERE t.oid = p.prorettype), (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = p.prorettype "
        "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type t WHERE t.oid = p.prorettype)), '') "
        "FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
        f"WHERE {USER_SCHEMAS} AND p.prokind IN ('f', 'p') ORDER BY p.oid").rows
    return [Routine(int(r[0]), r[1], r[2], r[3], r[4] or "", r[5], r[6], r[7], r[8] == "t" and _reads_tables(r[5]),
                    r[9] if r[9] in ("r", "v") else "")
            for r in rows]


def _reads_tables(definition: str) -> bool:
    """Does a SQL-standard body name a relation (then it goes after the tables)?"""
    try:
        tree = pglast.parse_sql(definition)
    except pglast.parser.ParseError:
        return True
    return _has_range_var(tree)


def _has_range_var(node) -> bool:
    if isinstance(node, ast.RangeVar):
        return True
    if isinstance(node, ast.Node):
        return any(_has_range_var(getattr(node, attr)) for attr in node)
    if isinstance(node, (list, tuple)):
        return any(_has_range_var(x) for x in node)
    return False


def create_routine(r: Routine) -> str:
    """pg_get_functiondef's text as a CREATE statement."""
    text = r.definition.rstrip("\n")
    if text.startswith("CREATE OR REPLACE "):
        text = "CREATE " + text[len("CREATE OR REPLACE "):]
    return text + ";"


def owner_to(r: Routine) -> str:
    return f"ALTER {r.keyword} {r.signature} OWNER TO {quote_ident(r.owner)};"


def drop_routine(r: Routine, if_exists: bool) -> str:
    return f"DROP {r.keyword} {'IF EXISTS ' if if_exists else ''}{r.signature};"
