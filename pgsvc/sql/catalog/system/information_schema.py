"""The information_schema schema: SQL-standard views of the database's catalog
(schemata, tables, columns, views, constraints, sequences, ...), served the way
pgsvc.sql.catalog.system.relations serves pg_catalog: each relation is a SQLite TEMP view on the backend's
own connection, named "information_schema.<name>", over the hidden catalog tables and
the pg_catalog relations (definitions and column types in pgsvc.sql.catalog.system.infoschema_defs).

How a query reaches them:
  1. translation — the translator's range_var (translate/from_items.py,
     FromMixin.range_var) asks `lookup(tr, rv)` after pg_catalog's hook:
     `information_schema.tables` (or a bare name when information_schema is on the
     search_path and no user relation of that name comes first) gives a Relation whose
     SQLite name is the TEMP view; the translator records "information_schema.<name>" in
     tr.syscat_used, so the runner refreshes it with the pg_catalog relations.
  2. execution — relations.refresh makes the view (infoschema_defs.create), after making
     the pg_catalog relations it reads (DEPENDS).

The views call SQLite functions (the current database, type facts, the visibility rule,
ACL rows, deparsed texts) that pgsvc.sql.pg_functions.information_schema registers.

Relations: information_schema_catalog_name, schemata, tables, columns, views,
table_constraints, key_column_usage, constraint_column_usage, constraint_table_usage,
referential_constraints, check_constraints, domains, domain_constraints, sequences,
column_udt_usage, element_types, table_privileges, role_table_grants, column_privileges,
enabled_roles, applicable_roles, routines (over pg_proc).

Where pgsvc differs from PostgreSQL, the rows say what pgsvc does: only foreign keys can be
deferrable, foreign
keys are MATCH SIMPLE (match_option NONE), no column-level GRANT (column_privileges repeat
the table's). The relations of pg_catalog and information_schema themselves are not rows
of tables/columns (pgsvc's pg_class does not list them either).
"""

from __future__ import annotations

from pgsvc.sql.catalog.database import Attr, Relation
from pgsvc.sql.catalog.system.infoschema_defs import COLUMNS, PREFIX, REL_OIDS, SCHEMA
from pgsvc.sql.catalog.system.relations import refresh

_RELATIONS: dict[str, Relation] = {}


def relation(name: str) -> Relation:
    rel = _RELATIONS.get(name)
    if rel is None:
        rel = Relation(REL_OIDS[name], SCHEMA, name, "r", PREFIX + name,
                       attrs=[Attr(i + 1, col, typ, typmod) for i, (col, typ, typmod) in enumerate(COLUMNS[name])])
        _RELATIONS[name] = rel
    return rel


def by_oid(oid: int) -> Relation | None:
    """The information_schema relation with this OID (regclass output)."""
    for name, roid in REL_OIDS.items():
        if roid == oid:
            return relation(name)
    return None


def find(schema: str | None, name: str, search_path=()) -> Relation | None:
    """The information_schema relation that (schema, name) names, for 'x'::regclass too."""
    if name not in COLUMNS:
        return None
    if schema == SCHEMA or (schema is None and SCHEMA in search_path):
        return relation(name)
    return None


def lookup(tr, rv) -> Relation | None:
    """range_var's hook: the information_schema relation `rv` names, or None."""
    if rv.relname not in COLUMNS or rv.schemaname not in (None, SCHEMA):
        return None
    if rv.catalogname and rv.catalogname != tr.session.database:
        return None  # the translator reports the cross-database reference
    if rv.schemaname is None:
        path = tr.search_path()
        if SCHEMA not in path:
            return None
        # a user relation of the same name in a schema searched before it wins
        for schema in path[:path.index(SCHEMA)]:
            if tr.catalog.lookup(schema, rv.relname, []) is not None:
                return None
    tr.syscat_used.add(PREFIX + rv.relname)
    refresh(tr.engine, {PREFIX + rv.relname})  # made now too, as relations.lookup does
    return relation(rv.relname)
