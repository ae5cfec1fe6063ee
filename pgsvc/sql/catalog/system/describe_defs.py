"""pg_catalog relations behind psql's \\d family (merged into pgsvc.sql.catalog.system.pg_catalog_defs):
constraints, column defaults, comments, sequences, the pg_tables/pg_views/pg_indexes/
pg_sequences views, inheritance, dependencies, view rules, and the relations clients
join against that pgsvc has no objects for (empty, with PostgreSQL 15's columns).

Where the rows come from (the per-database hidden tables, pgsvc.sql.catalog.database):
  pg_constraint    pgsvc$constraint; conkey of a CHECK is the columns its expression
                   reads; conindid of a foreign key is the referenced key's index
  pg_attrdef       pgsvc$attribute.default_expr (identity columns have none, as in
                   PostgreSQL); oid = (adrelid << 11) | adnum: stable and unique within
                   pg_attrdef without stored OIDs (valid while relation OIDs stay below
                   2**21; attnums are below 1600)
  pg_description   pgsvc$description; classoid from the catalog holding objoid (pgsvc's
                   OIDs come from one counter, so objoid alone names the object)
  pg_shdescription the shared catalog's (COMMENT ON DATABASE/ROLE; a shared relation of
                   pgsvc.sql.catalog.system.relations, copied per statement like pg_database)
  pg_sequence      pgsvc$sequence (cache 1: pgsvc does not cache sequence values)
  pg_rewrite       one _RETURN rule per view, oid = the view's OID
  pg_depend        namespace ('n'), owned sequences ('a' / identity 'i'), indexes on their
                   constraints ('i') or columns ('a'), constraints on columns ('a'),
                   defaults on columns ('a'), rules on views ('i'); plpgsql's members ('e');
                   a routine's user types ('n'), a relation's row type and its array ('i')

pg_node_tree columns (conbin, adbin, ev_action) hold PostgreSQL source text in the
normalised form pg_get_expr prints without pretty-printing; pg_get_expr deparses it
again (pgsvc.sql.pg_functions.describe). Normalisation happens at read time, not at DDL time:
the stored source stays what the statement said (what INSERT evaluates), and what
PostgreSQL would have stored is derived from it when a client looks.
"""

from __future__ import annotations

from pgsvc.cluster.builtin_oids import BOOTSTRAP_SUPERUSER_OID, PG_CATALOG_OID, PG_TOAST_OID, PUBLIC_SCHEMA_OID
from pgsvc.sql.types import oids as O

B, C, N, T, I4, I2, I8, OID = O.BOOL, O.CHAR, O.NAME, O.TEXT, O.INT4, O.INT2, O.INT8, O.OID
TEXTS, OIDS, INT2S, CHARS = O.ARRAY_TEXT, O.ARRAY_OID, O.ARRAY_INT2, O.ARRAY_CHAR
NODE, ACL, BYTEA = T, TEXTS, O.BYTEA

REL_OIDS = {"pg_event_trigger": 3466,
            "pg_constraint": 2606, "pg_attrdef": 2604, "pg_description": 2609, "pg_shdescription": 2396,
            "pg_sequence": 2224, "pg_tables": 12033, "pg_views": 12028, "pg_indexes": 12043,
            "pg_sequences": 12048, "pg_inherits": 2611, "pg_trigger": 2620, "pg_rewrite": 2618, "pg_rules": 12023,
            "pg_statistic_ext": 3381, "pg_statistic_ext_data": 3429, "pg_publication": 6104,
            "pg_publication_rel": 6106, "pg_publication_namespace": 6237, "pg_partitioned_table": 3350,
            "pg_depend": 2608, "pg_tablespace": 1213, "pg_extension": 3079, "pg_foreign_table": 3118,
            "pg_foreign_server": 1417, "pg_init_privs": 3394, "pg_policy": 3256}

COLUMNS: dict[str, list[tuple[str, int]]] = {
    "pg_constraint": [("oid", OID), ("conname", N), ("connamespace", OID), ("contype", C), ("condeferrable", B),
                      ("condeferred", B), ("convalidated", B), ("conrelid", OID), ("contypid", OID),
                      ("conindid", OID), ("conparentid", OID), ("confrelid", OID), ("confupdtype", C),
                      ("confdeltype", C), ("confmatchtype", C), ("conislocal", B), ("coninhcount", I4),
                      ("connoinherit", B), ("conkey", INT2S), ("confkey", INT2S), ("conpfeqop", OIDS),
                      ("conppeqop", OIDS), ("conffeqop", OIDS), ("confdelsetcols", INT2S), ("conexclop", OIDS),
                      ("conbin", NODE)],
    "pg_attrdef": [("oid", OID), ("adrelid", OID), ("adnum", I2), ("adbin", NODE)],
    "pg_description": [("objoid", OID), ("classoid", OID), ("objsubid", I4), ("description", T)],
    "pg_shdescription": [("objoid", OID), ("classoid", OID), ("description", T)],
    "pg_sequence": [("seqrelid", OID), ("seqtypid", OID), ("seqstart", I8), ("seqincrement", I8), ("seqmax", I8),
                    ("seqmin", I8), ("seqcache", I8), ("seqcycle", B)],
    "pg_tables": [("schemaname", N), ("tablename", N), ("tableowner", N), ("tablespace", N), ("hasindexes", B),
                  ("hasrules", B), ("hastriggers", B), ("rowsecurity", B)],
    "pg_views": [("schemaname", N), ("viewname", N), ("viewowner", N), ("definition", T)],
    "pg_indexes": [("schemaname", N), ("tablename", N), ("indexname", N), ("tablespace", N), ("indexdef", T)],
    "pg_sequences": [("schemaname", N), ("sequencename", N), ("sequenceowner", N), ("data_type", O.REGTYPE),
                     ("start_value", I8), ("min_value", I8), ("max_value", I8), ("increment_by", I8),
                     ("cycle", B), ("cache_size", I8), ("last_value", I8)],
    "pg_inherits": [("inhrelid", OID), ("inhparent", OID), ("inhseqno", I4), ("inhdetachpending", B)],
    "pg_trigger": [("oid", OID), ("tgrelid", OID), ("tgparentid", OID), ("tgname", N), ("tgfoid", OID),
                   ("tgtype", I2), ("tgenabled", C), ("tgisinternal", B), ("tgconstrrelid", OID),
                   ("tgconstrindid", OID), ("tgconstraint", OID), ("tgdeferrable", B), ("tginitdeferred", B),
                   ("tgnargs", I2), ("tgattr", O.INT2VECTOR), ("tgargs", BYTEA), ("tgqual", NODE),
                   ("tgoldtable", N), ("tgnewtable", N)],
    "pg_rewrite": [("oid", OID), ("rulename", N), ("ev_class", OID), ("ev_type", C), ("ev_enabled", C),
                   ("is_instead", B), ("ev_qual", NODE), ("ev_action", NODE)],
    "pg_rules": [("schemaname", N), ("tablename", N), ("rulename", N), ("definition", T)],
    "pg_statistic_ext": [("oid", OID), ("stxrelid", OID), ("stxname", N), ("stxnamespace", OID),
                         ("stxowner", OID), ("stxstattarget", I4), ("stxkeys", O.INT2VECTOR), ("stxkind", CHARS),
                         ("stxexprs", NODE)],
    # pg_ndistinct / pg_dependencies / pg_mcv_list / pg_statistic[]: bytea (never any rows)
    "pg_statistic_ext_data": [("stxoid", OID), ("stxdinherit", B), ("stxdndistinct", BYTEA),
                              ("stxddependencies", BYTEA), ("stxdmcv", BYTEA), ("stxdexpr", BYTEA)],
    "pg_publication": [("oid", OID), ("pubname", N), ("pubowner", OID), ("puballtables", B), ("pubinsert", B),
                       ("pubupdate", B), ("pubdelete", B), ("pubtruncate", B), ("pubviaroot", B)],
    "pg_publication_rel": [("oid", OID), ("prpubid", OID), ("prrelid", OID), ("prqual", NODE),
                           ("prattrs", O.INT2VECTOR)],
    "pg_publication_namespace": [("oid", OID), ("pnpubid", OID), ("pnnspid", OID)],
    "pg_partitioned_table": [("partrelid", OID), ("partstrat", C), ("partnatts", I2), ("partdefid", OID),
                             ("partattrs", O.INT2VECTOR), ("partclass", O.OIDVECTOR),
                             ("partcollation", O.OIDVECTOR), ("partexprs", NODE)],
    "pg_depend": [("classid", OID), ("objid", OID), ("objsubid", I4), ("refclassid", OID), ("refobjid", OID),
                  ("refobjsubid", I4), ("deptype", C)],
    "pg_tablespace": [("oid", OID), ("spcname", N), ("spcowner", OID), ("spcacl", ACL), ("spcoptions", TEXTS)],
    "pg_extension": [("oid", OID), ("extname", N), ("extowner", OID), ("extnamespace", OID),
                     ("extrelocatable", B), ("extversion", T), ("extconfig", OIDS), ("extcondition", TEXTS)],
    "pg_foreign_table": [("ftrelid", OID), ("ftserver", OID), ("ftoptions", TEXTS)],
    "pg_foreign_server": [("oid", OID), ("srvname", N), ("srvowner", OID), ("srvfdw", OID), ("srvtype", T),
                          ("srvversion", T), ("srvacl", ACL), ("srvoptions", TEXTS)],
    "pg_event_trigger": [("oid", OID), ("evtname", N), ("evtevent", N), ("evtowner", OID), ("evtfoid", OID),
                         ("evtenabled", C), ("evttags", TEXTS)],
    "pg_init_privs": [("objoid", OID), ("classoid", OID), ("objsubid", I4), ("privtype", C),
                      ("initprivs", ACL)],
}

# PostgreSQL 15's plpgsql extension row (what \dx shows) and the two tablespaces.
STATIC_ROWS = {
    "pg_tablespace": [(1663, "pg_default", BOOTSTRAP_SUPERUSER_OID, None, None),
                      (1664, "pg_global", BOOTSTRAP_SUPERUSER_OID, None, None)],
    "pg_extension": [(13559, "plpgsql", BOOTSTRAP_SUPERUSER_OID, PG_CATALOG_OID, 0, "1.0", None, None)],
}


def _empty(name: str) -> str:
    cols = ", ".join(f"NULL AS {c}" for c, _ in COLUMNS[name])
    return f"SELECT {cols} WHERE 0"


def _q(name: str) -> str:
    return f'"pg_catalog.{name}"'


# classoid of a described object: the catalog whose hidden table holds its OID (NULL once
# the object is gone: a comment left behind by a DROP is not listed; OIDs are not reused)
CLASSOID = """CASE WHEN EXISTS (SELECT 1 FROM main."pgsvc$class" c WHERE c.oid = d.objoid) THEN 1259
             WHEN EXISTS (SELECT 1 FROM main."pgsvc$constraint" k WHERE k.oid = d.objoid) THEN 2606
             WHEN EXISTS (SELECT 1 FROM main."pgsvc$domain_constraint" k WHERE k.oid = d.objoid) THEN 2606
             WHEN EXISTS (SELECT 1 FROM main."pgsvc$namespace" n WHERE n.oid = d.objoid) THEN 2615
             WHEN EXISTS (SELECT 1 FROM main."pgsvc$type" t WHERE t.oid = d.objoid) THEN 1247
             WHEN EXISTS (SELECT 1 FROM main."pgsvc$proc" p WHERE p.oid = d.objoid) THEN 1255
             WHEN EXISTS (SELECT 1 FROM main."pgsvc$trigger" g WHERE g.oid = d.objoid) THEN 2620
             WHEN EXISTS (SELECT 1 FROM main."pgsvc$publication" b WHERE b.oid = d.objoid) THEN 6104
             WHEN EXISTS (SELECT 1 FROM main."pgsvc$class" c, json_each(json_extract(c.options, '$.rules')) j
                          WHERE c.options IS NOT NULL AND json_extract(j.value, '$.oid') = d.objoid) THEN 2618 END"""

VIEWS = {
    "pg_constraint": """SELECT k.oid AS oid, k.conname AS conname, c.nspoid AS connamespace,
        k.contype AS contype,
        EXISTS (SELECT 1 FROM json_each(json_extract(c.options, '$.deferrable')) j WHERE j.value = k.oid)
          AS condeferrable,
        EXISTS (SELECT 1 FROM json_each(json_extract(c.options, '$.deferred')) j WHERE j.value = k.oid)
          AS condeferred,
        NOT EXISTS (SELECT 1 FROM json_each(json_extract(c.options, '$.not_valid')) j WHERE j.value = k.oid)
          AS convalidated, k.conrelid AS conrelid,
        0 AS contypid,
        CASE WHEN k.contype IN ('p', 'u') THEN coalesce(k.indexrelid, 0)
             WHEN k.contype = 'f' THEN coalesce((SELECT r.indexrelid FROM main."pgsvc$constraint" r
                 WHERE r.conrelid = k.confrelid AND r.contype IN ('p', 'u') AND r.conkey = k.confkey
                 ORDER BY r.contype LIMIT 1), 0)
             ELSE 0 END AS conindid,
        coalesce(CASE WHEN k.contype = 'f' THEN (SELECT pk.oid FROM main."pgsvc$constraint" pk
                 WHERE json_extract(c.options, '$.partbound') IS NOT NULL AND pk.contype = 'f'
                   AND pk.conrelid = json_extract(c.options, '$.inherits[0]') AND pk.conname = k.conname)
             WHEN k.contype IN ('p', 'u') THEN (SELECT pk.oid FROM main."pgsvc$constraint" pk
                 WHERE pk.indexrelid = (SELECT json_extract(ic.options, '$.parent_index')
                                        FROM main."pgsvc$class" ic WHERE ic.oid = k.indexrelid)) END, 0)
          AS conparentid,  -- a partition's copy of its partitioned table's key (ddl.partitions)
        coalesce(k.confrelid, 0) AS confrelid,
        CASE WHEN k.contype = 'f' THEN k.confupdtype ELSE ' ' END AS confupdtype,
        CASE WHEN k.contype = 'f' THEN k.confdeltype ELSE ' ' END AS confdeltype,
        CASE WHEN k.contype = 'f' THEN 's' ELSE ' ' END AS confmatchtype,
        1 AS conislocal, 0 AS coninhcount, 0 AS connoinherit,
        CASE WHEN k.contype = 'c' THEN pgsvce_check_keys(k.expr, k.conrelid) ELSE k.conkey END AS conkey,
        CASE WHEN k.contype = 'f' THEN k.confkey END AS confkey,
        NULL AS conpfeqop, NULL AS conppeqop, NULL AS conffeqop, NULL AS confdelsetcols, NULL AS conexclop,
        CASE WHEN k.contype = 'c' THEN pgsvce_node_check(k.expr, k.conrelid) END AS conbin
        FROM main."pgsvc$constraint" k JOIN main."pgsvc$class" c ON c.oid = k.conrelid
        UNION ALL
        SELECT d.oid, d.conname, t.nspoid, 'c', 0, 0, 1, 0, d.contypid, 0, 0, 0, ' ', ' ', ' ', 1, 0, 0,
          NULL, NULL, NULL, NULL, NULL, NULL, NULL, pgsvce_domain_conbin(d.oid)
        FROM main."pgsvc$domain_constraint" d JOIN main."pgsvc$type" t ON t.oid = d.contypid
        UNION ALL  -- constraint triggers' (CREATE CONSTRAINT TRIGGER; a partition's clone has its own)
        SELECT g.tgconstraint, g.tgname, c.nspoid, 't', g.tgdeferrable, g.tginitdeferred, 1, g.tgrelid, 0, 0,
          0, 0, ' ', ' ', ' ', 1, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM main."pgsvc$trigger" g JOIN main."pgsvc$class" c ON c.oid = g.tgrelid WHERE g.tgconstraint <> 0""",
    "pg_attrdef": """SELECT (a.relid << 11) | a.attnum AS oid, a.relid AS adrelid, a.attnum AS adnum,
        pgsvce_node_default(a.default_expr, a.relid, a.atttypid, a.atttypmod) AS adbin
        FROM main."pgsvc$attribute" a WHERE a.default_expr IS NOT NULL AND a.identity IN ('', 's')""",
    # initdb's comments: plpgsql's, the built-in schemas', and public's unless replaced (a removed one leaves a row
    # with a NULL description behind, so the default does not come back)
    "pg_description": f"""SELECT objoid, classoid, objsubid, description FROM (
        SELECT d.objoid AS objoid, {CLASSOID} AS classoid, d.objsubid AS objsubid,
          d.description AS description FROM main."pgsvc$description" d)
        WHERE classoid IS NOT NULL AND description IS NOT NULL
        UNION ALL SELECT {PUBLIC_SCHEMA_OID}, 2615, 0, 'standard public schema'
          WHERE NOT EXISTS (SELECT 1 FROM main."pgsvc$description" WHERE objoid = {PUBLIC_SCHEMA_OID} AND objsubid = 0)
        UNION ALL SELECT {PG_CATALOG_OID}, 2615, 0, 'system catalog schema'
        UNION ALL SELECT {PG_TOAST_OID}, 2615, 0, 'reserved schema for TOAST tables'
        UNION ALL SELECT 13559, 3079, 0, 'PL/pgSQL procedural language'""",
    "pg_sequence": """SELECT s.relid AS seqrelid, s.typid AS seqtypid, s.start AS seqstart,
        s.increment AS seqincrement, s.maxvalue AS seqmax, s.minvalue AS seqmin, 1 AS seqcache,
        s.cycle AS seqcycle FROM main."pgsvc$sequence" s""",
    "pg_tables": f"""SELECT n.nspname AS schemaname, c.relname AS tablename,
        pgsvce_userbyid(c.relowner) AS tableowner, NULL AS tablespace, c.relhasindex AS hasindexes,
        c.relhasrules AS hasrules, c.relhastriggers AS hastriggers, c.relrowsecurity AS rowsecurity
        FROM {_q('pg_class')} c LEFT JOIN {_q('pg_namespace')} n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p')""",
    "pg_views": f"""SELECT n.nspname AS schemaname, c.relname AS viewname,
        pgsvce_userbyid(c.relowner) AS viewowner, pgsvce_viewdef(c.oid, 0) AS definition
        FROM {_q('pg_class')} c LEFT JOIN {_q('pg_namespace')} n ON n.oid = c.relnamespace
        WHERE c.relkind = 'v'""",
    "pg_indexes": f"""SELECT n.nspname AS schemaname, c.relname AS tablename, i.relname AS indexname,
        NULL AS tablespace, pgsvce_indexdef(i.oid, 0, 0) AS indexdef
        FROM {_q('pg_index')} x JOIN {_q('pg_class')} c ON c.oid = x.indrelid
        JOIN {_q('pg_class')} i ON i.oid = x.indexrelid
        LEFT JOIN {_q('pg_namespace')} n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm', 'p') AND i.relkind IN ('i', 'I')""",
    "pg_sequences": f"""SELECT n.nspname AS schemaname, c.relname AS sequencename,
        pgsvce_userbyid(c.relowner) AS sequenceowner, s.typid AS data_type, s.start AS start_value,
        s.minvalue AS min_value, s.maxvalue AS max_value, s.increment AS increment_by, s.cycle AS cycle,
        1 AS cache_size, CASE WHEN s.is_called THEN s.last_value END AS last_value
        FROM main."pgsvc$sequence" s JOIN {_q('pg_class')} c ON c.oid = s.relid
        LEFT JOIN {_q('pg_namespace')} n ON n.oid = c.relnamespace""",
    "pg_inherits": """SELECT ch.oid AS inhrelid, j.value AS inhparent, j.key + 1 AS inhseqno,
        0 AS inhdetachpending
        FROM main."pgsvc$class" ch, json_each(json_extract(ch.options, '$.inherits')) j
        WHERE ch.options IS NOT NULL
        UNION ALL SELECT ix.oid, json_extract(ix.options, '$.parent_index'), 1, 0 FROM main."pgsvc$class" ix
        WHERE ix.relkind = 'i' AND json_extract(ix.options, '$.parent_index') IS NOT NULL""",
    "pg_rewrite": """SELECT c.oid AS oid, '_RETURN' AS rulename, c.oid AS ev_class, '1' AS ev_type,
        'O' AS ev_enabled, 1 AS is_instead, NULL AS ev_qual, c.viewdef AS ev_action
        FROM main."pgsvc$class" c WHERE c.relkind IN ('v', 'm')
        UNION ALL SELECT json_extract(j.value, '$.oid'), json_extract(j.value, '$.name'), c.oid,
        json_extract(j.value, '$.event'), json_extract(j.value, '$.enabled'), json_extract(j.value, '$.instead'),
        json_extract(j.value, '$.qual'), json_extract(j.value, '$.actions')
        FROM main."pgsvc$class" c, json_each(json_extract(c.options, '$.rules')) j
        WHERE c.options IS NOT NULL""",
    "pg_rules": f"""SELECT n.nspname AS schemaname, c.relname AS tablename, r.rulename AS rulename,
        pgsvce_ruledef(r.oid, 0) AS definition
        FROM {_q('pg_rewrite')} r JOIN {_q('pg_class')} c ON c.oid = r.ev_class
        LEFT JOIN {_q('pg_namespace')} n ON n.oid = c.relnamespace WHERE r.rulename <> '_RETURN'""",
    "pg_depend": """
        SELECT 1259 AS classid, c.oid AS objid, 0 AS objsubid, 2615 AS refclassid, c.nspoid AS refobjid,
          0 AS refobjsubid, 'n' AS deptype
          FROM main."pgsvc$class" c WHERE c.relkind IN ('r', 'v', 'S', 'm')
        UNION ALL SELECT 1259, s.relid, 0, 1259, s.owner_relid, s.owner_attnum,
          CASE WHEN (SELECT a.identity FROM main."pgsvc$attribute" a
                     WHERE a.relid = s.owner_relid AND a.attnum = s.owner_attnum) IN ('a', 'd') THEN 'i' ELSE 'a' END
          FROM main."pgsvc$sequence" s WHERE s.owner_relid IS NOT NULL
        UNION ALL SELECT 1259, k.indexrelid, 0, 2606, k.oid, 0, 'i'
          FROM main."pgsvc$constraint" k WHERE k.contype IN ('p', 'u') AND k.indexrelid IS NOT NULL
        UNION ALL SELECT 1259, i.indexrelid, 0, 1259, i.indrelid, j.value, 'a'
          FROM main."pgsvc$index" i, json_each(i.keys) j
          WHERE j.type = 'integer'
            AND NOT EXISTS (SELECT 1 FROM main."pgsvc$constraint" k WHERE k.indexrelid = i.indexrelid)
        UNION ALL SELECT 2606, k.oid, 0, 1259, k.conrelid, j.value, 'a'
          FROM main."pgsvc$constraint" k,
               json_each(CASE WHEN k.contype = 'c' THEN pgsvce_check_keys(k.expr, k.conrelid)
                              ELSE k.conkey END) j
        UNION ALL SELECT 2604, (a.relid << 11) | a.attnum, 0, 1259, a.relid, a.attnum,
          CASE a.identity WHEN 's' THEN 'i' ELSE 'a' END
          FROM main."pgsvc$attribute" a WHERE a.default_expr IS NOT NULL AND a.identity IN ('', 's')
        UNION ALL SELECT 2618, c.oid, 0, 1259, c.oid, 0, 'i'
          FROM main."pgsvc$class" c WHERE c.relkind IN ('v', 'm')
        UNION ALL SELECT 1259, c.oid, 0, 1259, json_extract(c.options, '$.inherits[0]'), 0, 'a'
          FROM main."pgsvc$class" c WHERE json_extract(c.options, '$.partbound') IS NOT NULL  -- a partition
        UNION ALL SELECT 1259, ix.oid, 0, 1259, json_extract(ix.options, '$.parent_index'), 0, 'P'
          FROM main."pgsvc$class" ix WHERE json_extract(ix.options, '$.parent_index') IS NOT NULL
        UNION ALL SELECT 1259, ix.oid, 0, 1259, x.indrelid, 0, 'S'
          FROM main."pgsvc$class" ix JOIN main."pgsvc$index" x ON x.indexrelid = ix.oid
          WHERE json_extract(ix.options, '$.parent_index') IS NOT NULL  -- an index's partition
        UNION ALL SELECT 2618, c.oid, 0, j.value ->> 0, j.value ->> 1, j.value ->> 2, 'n'
          FROM main."pgsvc$class" c, json_each(pgsvce_view_refs(c.oid)) j WHERE c.relkind IN ('v', 'm')
        UNION ALL SELECT 2604, (a.relid << 11) | a.attnum, 0, j.value ->> 0, j.value ->> 1, j.value ->> 2, 'n'
          FROM main."pgsvc$attribute" a,
               json_each(pgsvce_default_refs(a.default_expr, a.relid, a.atttypid, a.atttypmod)) j
          WHERE a.default_expr IS NOT NULL AND a.identity IN ('', 's')
        UNION ALL SELECT 1259, a.relid, a.attnum, 1247, a.atttypid, 0, 'n'
          FROM main."pgsvc$attribute" a JOIN main."pgsvc$type" t ON t.oid = a.atttypid
        UNION ALL SELECT 1247, t.oid, 0, 2615, t.nspoid, 0, 'n' FROM main."pgsvc$type" t
        UNION ALL SELECT 1259, t.basetype, 0, 1247, t.oid, 0, 'i' FROM main."pgsvc$type" t
          WHERE t.typtype = 'c'  -- a composite type's relation
        UNION ALL SELECT 1247, t.typarray, 0, 1247, t.oid, 0, 'i' FROM main."pgsvc$type" t
          WHERE t.typarray <> 0  -- an array type on its element
        UNION ALL SELECT 1247, t.oid, 0, 1255, CAST(t.default_expr AS INTEGER), 0, 'n' FROM main."pgsvc$type" t
          WHERE t.typtype = 'r' AND CAST(t.default_expr AS INTEGER) >= 16384  -- a range's subtype_diff
        UNION ALL SELECT 2606, d.oid, 0, 1247, d.contypid, 0, 'a' FROM main."pgsvc$domain_constraint" d
        UNION ALL SELECT 2606, d.oid, 0, j.value ->> 0, j.value ->> 1, j.value ->> 2, 'n'
          FROM main."pgsvc$domain_constraint" d, json_each(pgsvce_domain_check_refs(d.oid)) j
        UNION ALL SELECT 2606, k.oid, 0, 1259, k.confrelid, j.value, 'n'
          FROM main."pgsvc$constraint" k, json_each(k.confkey) j WHERE k.contype = 'f'
        UNION ALL SELECT 2606, k.oid, 0, 1259, r.indexrelid, 0, 'n'
          FROM main."pgsvc$constraint" k JOIN main."pgsvc$constraint" r ON r.oid =
            (SELECT x.oid FROM main."pgsvc$constraint" x WHERE x.conrelid = k.confrelid
             AND x.contype IN ('p', 'u') AND x.conkey = k.confkey ORDER BY x.contype LIMIT 1)
          WHERE k.contype = 'f' AND r.indexrelid IS NOT NULL
        UNION ALL SELECT 2606, k.oid, 0, 1259, j.value ->> 0, j.value ->> 1, 'n'
          FROM main."pgsvc$constraint" k,
               json_each((SELECT json_group_array(json_array(k.conrelid, c.value))
                          FROM json_each(pgsvce_check_keys(k.expr, k.conrelid)) c)) j
          WHERE k.contype = 'c'
        UNION ALL SELECT 2606, k.oid, 0, j.value ->> 0, j.value ->> 1, j.value ->> 2, 'n'
          FROM main."pgsvc$constraint" k, json_each(pgsvce_check_refs(k.expr, k.conrelid)) j
          WHERE k.contype = 'c'
        UNION ALL SELECT 1255, p.oid, 0, j.value ->> 0, j.value ->> 1, j.value ->> 2, 'n'
          FROM main."pgsvc$proc" p, json_each(pgsvce_sqlbody_refs(p.sqlbody)) j WHERE p.sqlbody IS NOT NULL
        UNION ALL SELECT 1255, p.oid, 0, 2615, p.nspoid, 0, 'n' FROM main."pgsvc$proc" p
        UNION ALL SELECT 1255, p.oid, 0, j.value ->> 0, j.value ->> 1, j.value ->> 2, 'n'
          FROM main."pgsvc$proc" p, json_each(pgsvce_proc_type_refs(p.oid)) j
        UNION ALL SELECT 1247, c.oid + 2147483648, 0, 1259, c.oid, 0, 'i'
          FROM main."pgsvc$class" c WHERE c.relkind IN ('r', 'v')  -- a row type (usertypes.row_type_oid)
        UNION ALL SELECT 1247, c.oid + 3221225472, 0, 1247, c.oid + 2147483648, 0, 'i'
          FROM main."pgsvc$class" c WHERE c.relkind IN ('r', 'v')  -- its array type
        UNION ALL SELECT 1255, p.oid, 0, 2612, 13563, 0, 'n' FROM main."pgsvc$proc" p WHERE p.lang = 'plpgsql'
        UNION ALL SELECT 2620, g.oid, 0, 1255, g.tgfoid, 0, 'n' FROM main."pgsvc$trigger" g
        UNION ALL SELECT 2620, g.oid, 0, 1259, g.tgrelid, 0, 'a' FROM main."pgsvc$trigger" g
        UNION ALL SELECT 2620, g.oid, 0, 1259, g.tgrelid, j.value, 'n' FROM main."pgsvc$trigger" g, json_each(g.tgattr) j
        UNION ALL SELECT 1255, 13560, 0, 3079, 13559, 0, 'e'
        UNION ALL SELECT 1255, 13561, 0, 3079, 13559, 0, 'e'
        UNION ALL SELECT 1255, 13562, 0, 3079, 13559, 0, 'e'
        UNION ALL SELECT 2612, 13563, 0, 3079, 13559, 0, 'e'""",
}
# triggers (catalog.triggers): tgargs and tgqual from pgsvc.sql.pg_functions.triggerdef; no
# internal (foreign-key) triggers; a constraint trigger's pg_constraint row is pg_constraint's last branch
VIEWS["pg_trigger"] = """SELECT t.oid AS oid, t.tgrelid AS tgrelid, t.tgparentid AS tgparentid, t.tgname AS tgname,
    t.tgfoid AS tgfoid, t.tgtype AS tgtype, t.tgenabled AS tgenabled, 0 AS tgisinternal,
    t.tgconstrrelid AS tgconstrrelid, 0 AS tgconstrindid, t.tgconstraint AS tgconstraint,
    t.tgdeferrable AS tgdeferrable, t.tginitdeferred AS tginitdeferred,
    json_array_length(t.tgargs) AS tgnargs, t.tgattr AS tgattr, pgsvce_tgargs(t.tgargs) AS tgargs,
    t.tgqual AS tgqual, t.tgoldtable AS tgoldtable, t.tgnewtable AS tgnewtable
    FROM main."pgsvc$trigger" t"""
for _name in ("pg_statistic_ext", "pg_statistic_ext_data", "pg_publication", "pg_publication_rel",
              "pg_publication_namespace", "pg_foreign_table", "pg_foreign_server",
              "pg_init_privs", "pg_event_trigger"):
    VIEWS[_name] = _empty(_name)

# partitioned tables (pgsvc.sql.catalog.partitions: the key in pgsvc$class.options); a key
# expression's partexprs is its source text, as pg_index.indexprs'
VIEWS["pg_partitioned_table"] = f"""SELECT c.oid AS partrelid, json_extract(c.options, '$.partkey.strategy') AS partstrat,
    json_array_length(c.options, '$.partkey.keys') AS partnatts,
    coalesce((SELECT d.oid FROM main."pgsvc$class" d, json_each(json_extract(d.options, '$.inherits')) j
              WHERE j.value = c.oid AND json_extract(d.options, '$.partbound.kind') = 'd'), 0) AS partdefid,
    (SELECT json_group_array(coalesce(json_extract(k.value, '$.attnum'), 0))
       FROM json_each(c.options, '$.partkey.keys') k) AS partattrs,
    (SELECT json_group_array(pgsvce_default_opclass(json_extract(t.value, '$[0]'),
              CASE json_extract(c.options, '$.partkey.strategy') WHEN 'h' THEN 405 ELSE 403 END))
       FROM json_each(c.options, '$.partkey.types') t) AS partclass,
    (SELECT json_group_array(coalesce((SELECT ty.typcollation FROM {_q('pg_type')} ty
                                        WHERE ty.oid = json_extract(t.value, '$[0]')), 0))
       FROM json_each(c.options, '$.partkey.types') t) AS partcollation,
    (SELECT group_concat(json_extract(k.value, '$.expr'), ', ') FROM json_each(c.options, '$.partkey.keys') k
      WHERE json_extract(k.value, '$.expr') IS NOT NULL) AS partexprs
    FROM main."pgsvc$class" c WHERE json_extract(c.options, '$.partkey') IS NOT NULL"""

# initdb's privileges of the built-in schemas (pg_dump dumps only what changed since)
VIEWS["pg_init_privs"] = f"""SELECT {PG_CATALOG_OID} AS objoid, 2615 AS classoid, 0 AS objsubid, 'i' AS privtype,
    json_array(b.rolname || '=UC/' || b.rolname, '=U/' || b.rolname) AS initprivs
    FROM {_q('pg_authid')} b WHERE b.oid = {BOOTSTRAP_SUPERUSER_OID}
    UNION ALL SELECT {PUBLIC_SCHEMA_OID}, 2615, 0, 'i',
    json_array('pg_database_owner=UC/pg_database_owner', '=U/pg_database_owner')"""

DEPENDS = {"pg_rules": ("pg_rewrite", "pg_class", "pg_namespace"), "pg_init_privs": ("pg_authid",), "pg_tables": ("pg_class", "pg_namespace"), "pg_views": ("pg_class", "pg_namespace"),
           "pg_indexes": ("pg_index", "pg_class", "pg_namespace"),
           "pg_sequences": ("pg_class", "pg_namespace"), "pg_partitioned_table": ("pg_type",)}

# materialized views (pgsvc.sql.commands.ddl.matviews); columns and OID: dump_defs'
VIEWS["pg_matviews"] = f"""SELECT n.nspname AS schemaname, c.relname AS matviewname,
    pgsvce_userbyid(c.relowner) AS matviewowner, NULL AS tablespace, c.relhasindex AS hasindexes,
    c.relispopulated AS ispopulated, pgsvce_viewdef(c.oid, 0) AS definition
    FROM {_q('pg_class')} c LEFT JOIN {_q('pg_namespace')} n ON n.oid = c.relnamespace
    WHERE c.relkind = 'm'"""
DEPENDS["pg_matviews"] = ("pg_class", "pg_namespace")
