"""pg_catalog relations served by pgsvc.sql.catalog.system.relations: PostgreSQL 15's columns (name, type)
and how each relation's rows are made in SQLite.

Three kinds of source:
  shared  rows of the shared catalog (global/catalog.db), copied into a TEMP table of the
          backend's connection before each statement that reads the relation;
  view    a TEMP VIEW (SQLite SQL) over the database's hidden "pgsvc$..." tables or over
          other relations here; always current and transactional with the data;
  static  a TEMP table filled once per connection (pg_type from pgsvc.sql.types).

Deviations from PostgreSQL 15 (documented, not silent): aclitem[] columns are text[]
(same text, so array_to_string and psql's display agree), pg_node_tree columns are
text, attmissingval is text; table row types are not in pg_type. Owners and ACLs
of relations and schemas come from pgsvc$acl (pgsvc.sql.commands.grants).
"""

from __future__ import annotations

from pgsvc.cluster.builtin_oids import (BOOTSTRAP_SUPERUSER_OID, INFORMATION_SCHEMA_OID, PG_CATALOG_OID,
                                        PG_DATABASE_OWNER_OID, PG_TOAST_OID, PUBLIC_SCHEMA_OID)
from pgsvc.sql.catalog.system import describe_defs as D
from pgsvc.sql.catalog.system import dump_defs as _dump_defs
from pgsvc.sql.catalog.system import opclass as _opclass
from pgsvc.sql.catalog.system import procs as _procs
from pgsvc.sql.catalog.system import publication_defs as _publication_defs
from pgsvc.sql.catalog.system import replication_views as _replication_views
from pgsvc.sql.catalog.system import session_views as _session_views
from pgsvc.sql.catalog.system import stats as _stats
from pgsvc.sql.types import oids as O
from pgsvc.sql.types.pg_type import all_types, type_delimiter

B, C, N, T, I4, I2, OID, F4, TZ = O.BOOL, O.CHAR, O.NAME, O.TEXT, O.INT4, O.INT2, O.OID, O.FLOAT4, O.TIMESTAMPTZ
XID, REGPROC, TEXTS = O.XID, O.REGPROC, O.ARRAY_TEXT
ACL = TEXTS  # aclitem[] (see the module docstring)
NODE = T  # pg_node_tree

# PostgreSQL 15's relation OIDs of the catalogs (pg_class.oid / regclass).
REL_OIDS = {"pg_type": 1247, "pg_attribute": 1249, "pg_class": 1259, "pg_authid": 1260,
            "pg_auth_members": 1261, "pg_database": 1262, "pg_namespace": 2615,
            "pg_roles": 12001, "pg_user": 12006, "pg_am": 2601, "pg_index": 2610, "pg_range": 3541, "pg_policy": 3256,
            "pg_enum": 3501, "pg_db_role_setting": 2964}
INT2VECTOR, OIDVECTOR = 22, 30

COLUMNS: dict[str, list[tuple[str, int]]] = {
    "pg_database": [("oid", OID), ("datname", N), ("datdba", OID), ("encoding", I4), ("datlocprovider", C),
                    ("datistemplate", B), ("datallowconn", B), ("datconnlimit", I4), ("datfrozenxid", XID),
                    ("datminmxid", XID), ("dattablespace", OID), ("datcollate", T), ("datctype", T),
                    ("daticulocale", T), ("datcollversion", T), ("datacl", ACL)],
    "pg_authid": [("oid", OID), ("rolname", N), ("rolsuper", B), ("rolinherit", B), ("rolcreaterole", B),
                  ("rolcreatedb", B), ("rolcanlogin", B), ("rolreplication", B), ("rolbypassrls", B),
                  ("rolconnlimit", I4), ("rolpassword", T), ("rolvaliduntil", TZ)],
    "pg_auth_members": [("roleid", OID), ("member", OID), ("grantor", OID), ("admin_option", B)],
    "pg_db_role_setting": [("setdatabase", OID), ("setrole", OID), ("setconfig", TEXTS)],
    "pg_roles": [("rolname", N), ("rolsuper", B), ("rolinherit", B), ("rolcreaterole", B), ("rolcreatedb", B),
                 ("rolcanlogin", B), ("rolreplication", B), ("rolconnlimit", I4), ("rolpassword", T),
                 ("rolvaliduntil", TZ), ("rolbypassrls", B), ("rolconfig", TEXTS), ("oid", OID)],
    "pg_user": [("usename", N), ("usesysid", OID), ("usecreatedb", B), ("usesuper", B), ("userepl", B),
                ("usebypassrls", B), ("passwd", T), ("valuntil", TZ), ("useconfig", TEXTS)],
    "pg_namespace": [("oid", OID), ("nspname", N), ("nspowner", OID), ("nspacl", ACL)],
    "pg_policy": [("oid", OID), ("polname", N), ("polrelid", OID), ("polcmd", C), ("polpermissive", B),
                  ("polroles", O.ARRAY_OID), ("polqual", NODE), ("polwithcheck", NODE)],
    "pg_class": [("oid", OID), ("relname", N), ("relnamespace", OID), ("reltype", OID), ("reloftype", OID),
                 ("relowner", OID), ("relam", OID), ("relfilenode", OID), ("reltablespace", OID),
                 ("relpages", I4), ("reltuples", F4), ("relallvisible", I4), ("reltoastrelid", OID),
                 ("relhasindex", B), ("relisshared", B), ("relpersistence", C), ("relkind", C),
                 ("relnatts", I2), ("relchecks", I2), ("relhasrules", B), ("relhastriggers", B),
                 ("relhassubclass", B), ("relrowsecurity", B), ("relforcerowsecurity", B),
                 ("relispopulated", B), ("relreplident", C), ("relispartition", B), ("relrewrite", OID),
                 ("relfrozenxid", XID), ("relminmxid", XID), ("relacl", ACL), ("reloptions", TEXTS),
                 ("relpartbound", NODE)],
    "pg_attribute": [("attrelid", OID), ("attname", N), ("atttypid", OID), ("attstattarget", I4),
                     ("attlen", I2), ("attnum", I2), ("attndims", I4), ("attcacheoff", I4), ("atttypmod", I4),
                     ("attbyval", B), ("attalign", C), ("attstorage", C), ("attcompression", C),
                     ("attnotnull", B), ("atthasdef", B), ("atthasmissing", B), ("attidentity", C),
                     ("attgenerated", C), ("attisdropped", B), ("attislocal", B), ("attinhcount", I4),
                     ("attcollation", OID), ("attacl", ACL), ("attoptions", TEXTS), ("attfdwoptions", TEXTS),
                     ("attmissingval", T)],
    "pg_enum": [("oid", OID), ("enumtypid", OID), ("enumsortorder", F4), ("enumlabel", N)],
    "pg_range": [("rngtypid", OID), ("rngsubtype", OID), ("rngmultitypid", OID), ("rngcollation", OID),
                 ("rngsubopc", OID), ("rngcanonical", REGPROC), ("rngsubdiff", REGPROC)],
    "pg_am": [("oid", OID), ("amname", N), ("amhandler", REGPROC), ("amtype", C)],
    "pg_index": [("indexrelid", OID), ("indrelid", OID), ("indnatts", I2), ("indnkeyatts", I2), ("indisunique", B),
                 ("indnullsnotdistinct", B), ("indisprimary", B), ("indisexclusion", B), ("indimmediate", B),
                 ("indisclustered", B), ("indisvalid", B), ("indcheckxmin", B), ("indisready", B),
                 ("indislive", B), ("indisreplident", B), ("indkey", INT2VECTOR), ("indcollation", OIDVECTOR),
                 ("indclass", OIDVECTOR), ("indoption", INT2VECTOR), ("indexprs", NODE), ("indpred", NODE)],
    "pg_type": [("oid", OID), ("typname", N), ("typnamespace", OID), ("typowner", OID), ("typlen", I2),
                ("typbyval", B), ("typtype", C), ("typcategory", C), ("typispreferred", B),
                ("typisdefined", B), ("typdelim", C), ("typrelid", OID), ("typsubscript", REGPROC),
                ("typelem", OID), ("typarray", OID), ("typinput", REGPROC), ("typoutput", REGPROC),
                ("typreceive", REGPROC), ("typsend", REGPROC), ("typmodin", REGPROC), ("typmodout", REGPROC),
                ("typanalyze", REGPROC), ("typalign", C), ("typstorage", C), ("typnotnull", B),
                ("typbasetype", OID), ("typtypmod", I4), ("typndims", I4), ("typcollation", OID),
                ("typdefaultbin", NODE), ("typdefault", T), ("typacl", ACL)],
}

SHARED = ("pg_database", "pg_authid", "pg_auth_members", "pg_shdescription", "pg_db_role_setting")
STATIC = ("pg_type$builtin", "pg_am")
# TEMP tables refilled before each statement that reads them (rows of the loaded catalog)
DYNAMIC = ("pg_type$user", "pg_enum", "pg_range", "pg_proc$user",  # pg_proc$user: routines (pg_functions.routine_info)
           "pg_aggregate$user")  # CREATE AGGREGATE's (pg_functions.routine_info)
# relations whose columns and rows live in their own modules: functions, operators and
# casts (static, PostgreSQL 15's rows) and the run-time statistics (refilled per statement)
for _mod in (_procs, _stats, _opclass, _session_views, _replication_views):
    COLUMNS.update(_mod.COLUMNS)
    REL_OIDS.update(_mod.REL_OIDS)
STATIC += tuple(_procs.STATIC_ROWS) + tuple(_opclass.STATIC_ROWS)
DYNAMIC += tuple(_stats.ENGINE_ROWS) + tuple(_session_views.ENGINE_ROWS) + tuple(_replication_views.ENGINE_ROWS)
# relations made of parts: "<relation>$<part>" tables have <relation>'s columns and are not
# visible to SQL themselves
SUPERUSER_ONLY = {"pg_authid"}
# a relation's rows are made from these (refreshed first)
DEPENDS = {"pg_roles": ("pg_authid", "pg_db_role_setting"), "pg_user": ("pg_authid", "pg_db_role_setting"),
           "pg_namespace": ("pg_authid",),
           "pg_attribute": ("pg_type",), "pg_index": ("pg_type",), "pg_type": ("pg_type$builtin", "pg_type$user"),
           "pg_proc": ("pg_proc$builtin", "pg_proc$user"), "pg_aggregate": ("pg_aggregate$builtin", "pg_aggregate$user")}


def q(name: str) -> str:
    """The SQLite name of a relation served here (a TEMP object; '.' keeps it apart from
    user relations, stored as "<schema>.<name>" in main)."""
    return f'"pg_catalog.{name}"'


_BOOTSTRAP_NAME = f"(SELECT rolname FROM {q('pg_authid')} WHERE oid = {BOOTSTRAP_SUPERUSER_OID})"
# a role's own settings (ALTER ROLE r SET, in every database): pg_roles.rolconfig
_ROLE_CONFIG = (f"(SELECT s.setconfig FROM {q('pg_db_role_setting')} s"
                f" WHERE s.setrole = {q('pg_authid')}.oid AND s.setdatabase = 0)")

VIEWS = {
    "pg_roles": f"""SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin,
        rolreplication, rolconnlimit, '********' AS rolpassword, rolvaliduntil, rolbypassrls,
        {_ROLE_CONFIG} AS rolconfig, oid FROM {q('pg_authid')}""",
    "pg_user": f"""SELECT rolname AS usename, oid AS usesysid, rolcreatedb AS usecreatedb,
        rolsuper AS usesuper, rolreplication AS userepl, rolbypassrls AS usebypassrls,
        '********' AS passwd, rolvaliduntil AS valuntil, {_ROLE_CONFIG} AS useconfig
        FROM {q('pg_authid')} WHERE rolcanlogin""",
    # owners and ACLs from pgsvc$acl (pgsvc.sql.commands.grants); without a row public belongs to
    # pg_database_owner with PostgreSQL 15's initial ACL, other schemas to the bootstrap
    # superuser with default privileges (NULL); the built-in schemas as in PostgreSQL
    "pg_namespace": f"""SELECT oid, nspname, nspowner, nspacl FROM (
        SELECT n.oid AS oid, n.nspname AS nspname,
          coalesce(a.owner, CASE WHEN n.oid = {PUBLIC_SCHEMA_OID} THEN {PG_DATABASE_OWNER_OID}
                            ELSE {BOOTSTRAP_SUPERUSER_OID} END) AS nspowner,
          pgsvce_nspacl_text(n.oid, a.acl, a.objoid IS NOT NULL) AS nspacl
        FROM main."pgsvc$namespace" n LEFT JOIN main."pgsvc$acl" a ON a.objoid = n.oid
        UNION ALL SELECT {PG_CATALOG_OID}, 'pg_catalog', {BOOTSTRAP_SUPERUSER_OID},
                         json_array({_BOOTSTRAP_NAME} || '=UC/' || {_BOOTSTRAP_NAME}, '=U/' || {_BOOTSTRAP_NAME})
        UNION ALL SELECT {PG_TOAST_OID}, 'pg_toast', {BOOTSTRAP_SUPERUSER_OID}, NULL
        UNION ALL SELECT {INFORMATION_SCHEMA_OID}, 'information_schema', {BOOTSTRAP_SUPERUSER_OID},
                         json_array({_BOOTSTRAP_NAME} || '=UC/' || {_BOOTSTRAP_NAME}, '=U/' || {_BOOTSTRAP_NAME}))""",
    "pg_class": f"""SELECT c.oid AS oid, c.relname AS relname, c.nspoid AS relnamespace,
        CASE WHEN c.relkind = 'c' THEN coalesce((SELECT t.oid FROM main."pgsvc$type" t
                                                 WHERE t.typtype = 'c' AND t.basetype = c.oid), 0)
             WHEN c.relkind IN ('r', 'v', 'p', 'm', 'f') THEN c.oid + 2147483648  -- usertypes.row_type_oid
             ELSE 0 END AS reltype,
        0 AS reloftype,
        coalesce((SELECT o.owner FROM main."pgsvc$acl" o WHERE o.objoid =
                   coalesce((SELECT x.indrelid FROM main."pgsvc$index" x WHERE x.indexrelid = c.oid), c.oid)),
                 {BOOTSTRAP_SUPERUSER_OID}) AS relowner,
        CASE WHEN json_extract(c.options, '$.partkey') IS NOT NULL THEN 0 WHEN c.relkind = 'r' THEN 2
             WHEN c.relkind = 'i' THEN coalesce(json_extract(c.options, '$.relam'), 403)
             WHEN c.relkind = 'm' THEN 2 ELSE 0 END AS relam,
        CASE WHEN c.relkind IN ('v', 'c') THEN 0 ELSE c.oid END AS relfilenode, 0 AS reltablespace,
        0 AS relpages, -1.0 AS reltuples, 0 AS relallvisible, 0 AS reltoastrelid,
        EXISTS (SELECT 1 FROM main."pgsvc$index" i WHERE i.indrelid = c.oid) AS relhasindex,
        0 AS relisshared,
        CASE WHEN n.nspname LIKE 'pg\\_temp\\_%' ESCAPE '\\' THEN 't'
             WHEN c.relkind = 'i' THEN coalesce((SELECT json_extract(ic.options, '$.persistence')
                 FROM main."pgsvc$index" x JOIN main."pgsvc$class" ic ON ic.oid = x.indrelid
                 WHERE x.indexrelid = c.oid), 'p')  -- an index is as its table
             ELSE coalesce(json_extract(c.options, '$.persistence'), 'p') END AS relpersistence,
        CASE WHEN json_extract(c.options, '$.partkey') IS NOT NULL THEN 'p'
             WHEN c.relkind = 'i' AND EXISTS (SELECT 1 FROM main."pgsvc$index" x JOIN main."pgsvc$class" xt
                 ON xt.oid = x.indrelid WHERE x.indexrelid = c.oid AND json_extract(xt.options, '$.partkey') IS NOT NULL)
             THEN 'I' ELSE c.relkind END AS relkind,  -- 'I': an index of a partitioned table
        (SELECT count(*) FROM main."pgsvc$attribute" a WHERE a.relid = c.oid)
          + (SELECT count(*) FROM json_each(c.options, '$.dropped')) AS relnatts,  -- dropped ones count
        (SELECT count(*) FROM main."pgsvc$constraint" k WHERE k.conrelid = c.oid AND k.contype = 'c')
          AS relchecks,
        (c.relkind IN ('v', 'm') OR json_extract(c.options, '$.rules') IS NOT NULL) AS relhasrules,
        EXISTS (SELECT 1 FROM main."pgsvc$constraint" f WHERE f.contype = 'f'
                AND (f.conrelid = c.oid OR f.confrelid = c.oid))
          OR EXISTS (SELECT 1 FROM main."pgsvc$trigger" g WHERE g.tgrelid = c.oid) AS relhastriggers,
        EXISTS (SELECT 1 FROM main."pgsvc$class" ch, json_each(json_extract(ch.options, '$.inherits')) j
                WHERE ch.options IS NOT NULL AND j.value = c.oid)
          OR EXISTS (SELECT 1 FROM main."pgsvc$class" ci WHERE c.relkind = 'i'
                     AND json_extract(ci.options, '$.parent_index') = c.oid) AS relhassubclass,
        coalesce(json_extract(c.options, '$.rls'), 0) AS relrowsecurity,
        coalesce(json_extract(c.options, '$.rls_force'), 0) AS relforcerowsecurity, coalesce(json_extract(c.options, '$.populated'), 1) AS relispopulated,
        CASE WHEN c.relkind IN ('r', 'p', 'm') THEN coalesce(json_extract(c.options, '$.replident'), 'd') ELSE 'n' END
          AS relreplident,
        json_extract(c.options, '$.partbound') IS NOT NULL OR json_extract(c.options, '$.parent_index') IS NOT NULL
          AS relispartition,
        0 AS relrewrite, 0 AS relfrozenxid, 0 AS relminmxid,
        pgsvce_acl_text((SELECT o.acl FROM main."pgsvc$acl" o WHERE o.objoid = c.oid)) AS relacl,
        pgsvce_reloptions(c.options) AS reloptions,
        CASE WHEN json_extract(c.options, '$.partbound') IS NOT NULL THEN pgsvce_relpartbound(c.oid) END
          AS relpartbound  -- (pgsvc.sql.pg_functions.partition_funcs)
        FROM main."pgsvc$class" c LEFT JOIN main."pgsvc$namespace" n ON n.oid = c.nspoid""",
    # table and view columns, and index columns (key attnums; expression keys are not
    # listed); identity columns have no default of their own (pg_attrdef), as in PostgreSQL;
    # a dropped column keeps its attnum (options "dropped": {attnum: [typid, typmod]}) with
    # atttypid 0 and its former type's storage, as PostgreSQL keeps it
    "pg_attribute": f"""SELECT a.relid AS attrelid, a.attname AS attname,
        CASE WHEN a.dropped THEN 0 ELSE a.atttypid END AS atttypid,
        CASE WHEN a.dropped THEN 0 ELSE -1 END AS attstattarget, coalesce(t.typlen, -1) AS attlen,
        a.attnum AS attnum,
        CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 AND t.typlen = -1 THEN 1 ELSE 0 END AS attndims,
        -1 AS attcacheoff, a.atttypmod AS atttypmod, coalesce(t.typbyval, 0) AS attbyval,
        coalesce(t.typalign, 'i') AS attalign, coalesce(t.typstorage, 'p') AS attstorage,
        '' AS attcompression, a.attnotnull AS attnotnull, a.hasdef AS atthasdef,
        0 AS atthasmissing, CASE a.identity WHEN 's' THEN '' ELSE a.identity END AS attidentity,
        CASE a.identity WHEN 's' THEN 's' ELSE '' END AS attgenerated, a.dropped AS attisdropped,
        1 AS attislocal, 0 AS attinhcount,
        coalesce(json_extract(rc.options, '$.collations."' || a.attnum || '"'), t.typcollation, 0) AS attcollation,
        NULL AS attacl,
        NULL AS attoptions, NULL AS attfdwoptions, NULL AS attmissingval
        FROM (SELECT relid, attnum, attname, atttypid, atttypmod, attnotnull,
                     default_expr IS NOT NULL AND identity IN ('', 's') AS hasdef, identity, 0 AS dropped
                FROM main."pgsvc$attribute"
              UNION ALL
              SELECT i.indexrelid, j.key + 1, c.attname, c.atttypid, c.atttypmod, 0, 0, '', 0
                FROM main."pgsvc$index" i, json_each(i.keys) j
                JOIN main."pgsvc$attribute" c ON c.relid = i.indrelid AND c.attnum = j.value
                WHERE j.type = 'integer'
              UNION ALL
              SELECT d.oid, CAST(j.key AS INTEGER), '........pg.dropped.' || j.key || '........',
                     j.value ->> 0, j.value ->> 1, 0, 0, '', 1
                FROM main."pgsvc$class" d, json_each(d.options, '$.dropped') j WHERE d.options IS NOT NULL) a
        LEFT JOIN {q('pg_type')} t ON t.oid = a.atttypid
        LEFT JOIN main."pgsvc$class" rc ON rc.oid = a.relid AND rc.options IS NOT NULL""",
    # built-in types and the database's domains/enums (pgsvc.sql.catalog.system.user_types)
    "pg_type": f"""SELECT * FROM {q('pg_type$builtin')} UNION ALL SELECT * FROM {q('pg_type$user')}""",
    # built-in functions (PostgreSQL 15's rows) and the database's (catalog.routines)
    "pg_proc": f"""SELECT * FROM {q('pg_proc$builtin')} UNION ALL SELECT * FROM {q('pg_proc$user')}""",
    "pg_aggregate": f"""SELECT * FROM {q('pg_aggregate$builtin')} UNION ALL SELECT * FROM {q('pg_aggregate$user')}""",
    # no row-level security: no policies (psql's \\dp reads the relation)
    # row-level security's policies (pgsvc.sql.catalog.policies: the table's options)
    "pg_policy": """SELECT json_extract(p.value, '$.oid') AS oid, json_extract(p.value, '$.name') AS polname,
        c.oid AS polrelid, json_extract(p.value, '$.cmd') AS polcmd,
        json_extract(p.value, '$.permissive') AS polpermissive, json_extract(p.value, '$.roles') AS polroles,
        json_extract(p.value, '$.qual') AS polqual, json_extract(p.value, '$.check') AS polwithcheck
        FROM main."pgsvc$class" c, json_each(c.options, '$.policies') p WHERE c.options IS NOT NULL""",
    "pg_policies": """SELECT n.nspname AS schemaname, c.relname AS tablename, json_extract(p.value, '$.name')
          AS policyname,
        CASE WHEN json_extract(p.value, '$.permissive') THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END AS permissive,
        CASE WHEN json_extract(p.value, '$.roles') = '[0]' THEN '["public"]' ELSE
          (SELECT json_group_array(r.n) FROM (SELECT pgsvce_userbyid(j.value) AS n
           FROM json_each(p.value, '$.roles') j ORDER BY 1) r) END AS roles,
        CASE json_extract(p.value, '$.cmd') WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
          WHEN 'd' THEN 'DELETE' WHEN '*' THEN 'ALL' END AS cmd,
        pgsvce_get_expr(json_extract(p.value, '$.qual'), c.oid, 0) AS qual,
        pgsvce_get_expr(json_extract(p.value, '$.check'), c.oid, 0) AS with_check
        FROM main."pgsvc$class" c, json_each(c.options, '$.policies') p
        LEFT JOIN main."pgsvc$namespace" n ON n.oid = c.nspoid WHERE c.options IS NOT NULL""",
    # keys: attnums, or PostgreSQL source text for expression columns (0 in indkey, and no
    # collation or operator class: the expression's type is not recorded); indoption from
    # the index relation's options (DESC 1, NULLS FIRST 2); the default btree operator class
    "pg_index": f"""SELECT i.indexrelid AS indexrelid, i.indrelid AS indrelid,
        json_array_length(i.keys) + coalesce((SELECT json_array_length(c.options, '$.include')
            FROM main."pgsvc$class" c WHERE c.oid = i.indexrelid), 0) AS indnatts,
        json_array_length(i.keys) AS indnkeyatts,
        i.indisunique AS indisunique, 0 AS indnullsnotdistinct, i.indisprimary AS indisprimary,
        0 AS indisexclusion, 1 AS indimmediate, 0 AS indisclustered,
        coalesce((SELECT json_extract(vc.options, '$.invalid') IS NULL FROM main."pgsvc$class" vc
            WHERE vc.oid = i.indexrelid), 1) AS indisvalid, 0 AS indcheckxmin,
        1 AS indisready, 1 AS indislive, coalesce((SELECT json_extract(rc.options, '$.replident') = 'i'
            AND json_extract(rc.options, '$.replident_index') = i.indexrelid FROM main."pgsvc$class" rc
            WHERE rc.oid = i.indrelid), 0) AS indisreplident,
        (SELECT json_group_array(k) FROM (
           SELECT CASE WHEN j.type = 'integer' THEN j.value ELSE 0 END AS k FROM json_each(i.keys) j
           UNION ALL SELECT n.value FROM main."pgsvc$class" c, json_each(c.options, '$.include') n
            WHERE c.oid = i.indexrelid)) AS indkey,
        (SELECT json_group_array(CASE WHEN j.type = 'integer' THEN coalesce(
            (SELECT ty.typcollation FROM main."pgsvc$attribute" a JOIN {q('pg_type')} ty ON ty.oid = a.atttypid
             WHERE a.relid = i.indrelid AND a.attnum = j.value), 0) ELSE 0 END)
           FROM json_each(i.keys) j) AS indcollation,
        (SELECT json_group_array(CASE WHEN j.type = 'integer' THEN coalesce(
            (SELECT pgsvce_default_opclass(a.atttypid, (SELECT json_extract(ic.options, '$.relam')
                                                        FROM main."pgsvc$class" ic WHERE ic.oid = i.indexrelid))
               FROM main."pgsvc$attribute" a WHERE a.relid = i.indrelid AND a.attnum = j.value), 0) ELSE 0 END)
           FROM json_each(i.keys) j) AS indclass,
        coalesce((SELECT json_extract(c.options, '$.indoption') FROM main."pgsvc$class" c
                  WHERE c.oid = i.indexrelid), (SELECT json_group_array(0) FROM json_each(i.keys))) AS indoption,
        (SELECT group_concat(j.value, ', ') FROM json_each(i.keys) j WHERE j.type = 'text') AS indexprs,
        (SELECT json_extract(c.options, '$.indpred') FROM main."pgsvc$class" c
          WHERE c.oid = i.indexrelid AND c.options IS NOT NULL) AS indpred
        FROM main."pgsvc$index" i""",
}

AM_ROWS = [(2, "heap", 0, "t"), (403, "btree", 0, "i"), (405, "hash", 0, "i"), (783, "gist", 0, "i"),
           (2742, "gin", 0, "i"), (4000, "spgist", 0, "i"), (3580, "brin", 0, "i")]

# PostgreSQL 15's predefined roles (fixed OIDs): in pg_authid for pg_get_userbyid, \\du's
# filter and owners such as public's pg_database_owner; they cannot log in.
PREDEFINED_ROLES = {
    PG_DATABASE_OWNER_OID: "pg_database_owner", 6181: "pg_read_all_data", 6182: "pg_write_all_data", 3373: "pg_monitor",
    3374: "pg_read_all_settings", 3375: "pg_read_all_stats", 3377: "pg_stat_scan_tables",
    4569: "pg_read_server_files", 4570: "pg_write_server_files", 4571: "pg_execute_server_program",
    4200: "pg_signal_backend", 4544: "pg_checkpoint",
}
PREDEFINED_MEMBERS = [(3374, 3373), (3375, 3373), (3377, 3373)]  # (roleid, member): pg_monitor's

_BYVAL = {O.BOOL, O.CHAR, O.INT2, O.INT4, O.INT8, O.OID, O.XID, O.REGPROC, O.FLOAT4, O.FLOAT8, O.DATE,
          O.TIME, O.TIMESTAMP, O.TIMESTAMPTZ, O.MONEY, O.CID if hasattr(O, "CID") else O.OID}
_MAIN_STORAGE = {O.NUMERIC: "m", O.INET: "m", O.CIDR: "m"}  # typstorage 'm' (main), as PostgreSQL 15
_COLLATABLE = {O.TEXT: 100, O.VARCHAR: 100, O.BPCHAR: 100, O.NAME: 950}


def type_rows() -> list[tuple]:
    """pg_type rows (stored forms) for the types pgsvc knows."""
    rows = []
    for t in all_types():
        elem = t.elem_oid
        typtype = "p" if t.category == "P" else "b"
        typtype = "r" if t.oid in O.RANGE_TYPES else "m" if t.oid in O.MULTIRANGE_TYPES else typtype
        align = {1: "c", 2: "s", 4: "i", 8: "d"}.get(t.typlen, "i")
        if t.typlen == -1 and t.category in ("A",):
            align = "d" if elem in (O.INT8, O.FLOAT8, O.TIMESTAMP, O.TIMESTAMPTZ) else "i"
        if t.category == "R" or elem in O.RANGE_TYPES or elem in O.MULTIRANGE_TYPES:
            rng = O.MULTIRANGE_TYPES.get(elem or t.oid, elem or t.oid)
            align = "d" if O.RANGE_TYPES[rng][0] in (O.INT8, O.TIMESTAMP, O.TIMESTAMPTZ) else "i"
        if t.oid in (O.ANYRANGE, O.ANYMULTIRANGE, O.ANYCOMPATIBLERANGE, O.ANYCOMPATIBLEMULTIRANGE):
            align = "d"
        if t.typlen == 64:
            align = "c"
        storage = "p" if t.typlen > 0 or t.typlen == -2 else _MAIN_STORAGE.get(t.oid, "x")
        coll = _COLLATABLE.get(t.oid, _COLLATABLE.get(elem, 0) if t.category == "A" else 0)
        rows.append((t.oid, t.name, PG_CATALOG_OID, BOOTSTRAP_SUPERUSER_OID, t.typlen, int(t.oid in _BYVAL), typtype, t.category,
                     int(t.preferred), 1, type_delimiter(t.oid), 0, 0, elem, t.array_oid,
                     0, 0, 0, 0, 0, 0, 0, align, storage, 0, 0, -1, 0, coll, None, None, None))
    return rows


# pg_range: PostgreSQL 15's built-in range types (rngsubopc, rngcanonical, rngsubdiff as its OIDs)
RANGE_ROWS = [(3904, 23, 4451, 0, 1978, 3914, 3922), (3906, 1700, 4532, 0, 3125, 0, 3924),
              (3908, 1114, 4533, 0, 3128, 0, 3929), (3910, 1184, 4534, 0, 3127, 0, 3930),
              (3912, 1082, 4535, 0, 3122, 3915, 3925), (3926, 20, 4536, 0, 3124, 3928, 3923)]


# psql's \\d family: constraints, defaults, comments, sequences, ... (pgsvc.sql.catalog.system.describe_defs)
def _merge_describe() -> None:
    global STATIC
    for name, cols in D.COLUMNS.items():
        COLUMNS.setdefault(name, cols)
    for name, oid in D.REL_OIDS.items():
        REL_OIDS.setdefault(name, oid)
    for name, sql in D.VIEWS.items():
        VIEWS.setdefault(name, sql)
    for name, deps in D.DEPENDS.items():
        DEPENDS.setdefault(name, deps)
    # the empty relations pg_dump reads (pgsvc.sql.catalog.system.dump_defs)
    for name, cols in _dump_defs.COLUMNS.items():
        COLUMNS.setdefault(name, cols)
        VIEWS.setdefault(name, _dump_defs.VIEWS[name])
    for name, oid in _dump_defs.REL_OIDS.items():
        REL_OIDS.setdefault(name, oid)
    STATIC = STATIC + tuple(n for n in D.STATIC_ROWS if n not in STATIC)


# publications (pgsvc.sql.catalog.system.publication_defs): ahead of describe_defs' empty ones
VIEWS.update(_publication_defs.VIEWS)
COLUMNS.update(_publication_defs.COLUMNS)
REL_OIDS.update(_publication_defs.REL_OIDS)
_merge_describe()
