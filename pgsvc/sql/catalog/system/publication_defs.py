"""pg_catalog relations of publications (merged into pgsvc.sql.catalog.system.pg_catalog_defs
ahead of describe_defs' empty defaults): pg_publication, pg_publication_rel,
pg_publication_namespace over the stored catalog (pgsvc.sql.catalog.publications), and the
view pg_publication_tables (PostgreSQL 15's system_views.sql: every table a publication
covers, with all its columns; no row filters or column lists here).
"""

from __future__ import annotations

from pgsvc.sql.catalog.system import describe_defs as D
from pgsvc.sql.types import oids as O

REL_OIDS = {"pg_publication_tables": 12068}

COLUMNS = {"pg_publication_tables": [("pubname", O.NAME), ("schemaname", O.NAME), ("tablename", O.NAME),
                                     ("attnames", O.ARRAY_NAME), ("rowfilter", O.TEXT)]}

VIEWS = {
    "pg_publication": """SELECT p.oid AS oid, p.pubname AS pubname, p.pubowner AS pubowner,
        p.puballtables AS puballtables, p.pubinsert AS pubinsert, p.pubupdate AS pubupdate,
        p.pubdelete AS pubdelete, p.pubtruncate AS pubtruncate, p.pubviaroot AS pubviaroot
        FROM main."pgsvc$publication" p""",
    "pg_publication_rel": """SELECT r.oid AS oid, r.prpubid AS prpubid, r.prrelid AS prrelid,
        NULL AS prqual, NULL AS prattrs FROM main."pgsvc$publication_rel" r""",
    "pg_publication_namespace": """SELECT s.oid AS oid, s.pnpubid AS pnpubid, s.pnnspid AS pnnspid
        FROM main."pgsvc$publication_namespace" s""",
    # the tables pg_get_publication_tables lists (pg_functions.publication_funcs), with all
    # their columns
    "pg_publication_tables": """SELECT p.pubname AS pubname, n.nspname AS schemaname, c.relname AS tablename,
        (SELECT json_group_array(a.attname) FROM (SELECT attname FROM main."pgsvc$attribute" x
           WHERE x.relid = c.oid ORDER BY x.attnum) a) AS attnames,
        NULL AS rowfilter
        FROM main."pgsvc$publication" p, json_each(pgsvce_publication_tables(p.pubname)) g
        JOIN main."pgsvc$class" c ON c.oid = g.value ->> 0
        JOIN main."pgsvc$namespace" n ON n.oid = c.nspoid""",
}

for _name in ("pg_publication", "pg_publication_rel", "pg_publication_namespace"):
    COLUMNS[_name] = D.COLUMNS[_name]
    REL_OIDS[_name] = D.REL_OIDS[_name]
