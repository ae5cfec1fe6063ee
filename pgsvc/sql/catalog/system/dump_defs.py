"""pg_catalog relations pg_dump and pg_dumpall read that pgsvc has no objects for (merged into
pgsvc.sql.catalog.system.pg_catalog_defs): PostgreSQL 15's columns, no rows.

pgsvc has no operator families of its own, text search objects, conversions, transforms,
large objects, security labels, foreign-data wrappers, user mappings, subscriptions,
replication origins, parameter ACLs, default privileges (ALTER DEFAULT PRIVILEGES is 0A000),
rules other than views' _RETURN, materialized views or row-level security policies. pg_dump
reads these relations whatever the database holds (to find objects an extension or a user
made), so they exist and are empty. Deviation: PostgreSQL lists its built-in operator
families, text search parsers/templates/dictionaries/configurations and conversions here
(all in pg_catalog, which pg_dump never dumps); pgsvc lists none. pg_lsn columns are text.
"""

from __future__ import annotations

from pgsvc.sql.types import oids as O

B, C, N, T, I2, I4, OID = O.BOOL, O.CHAR, O.NAME, O.TEXT, O.INT2, O.INT4, O.OID
TEXTS, NAMES, BYTEA, REGPROC = O.ARRAY_TEXT, O.ARRAY_NAME, O.BYTEA, O.REGPROC
ACL = TEXTS  # aclitem[] (see pg_catalog_defs)
LSN = T  # pg_lsn

REL_OIDS = {"pg_amop": 2602, "pg_amproc": 2603, "pg_conversion": 2607, "pg_default_acl": 826,
            "pg_foreign_data_wrapper": 2328, "pg_largeobject": 2613, "pg_largeobject_metadata": 2995,
            "pg_matviews": 12038, "pg_opfamily": 2753, "pg_parameter_acl": 6243, "pg_policies": 12018,
            "pg_replication_origin": 6000, "pg_rules": 12023, "pg_seclabel": 3596, "pg_seclabels": 12099,
            "pg_shdepend": 1214, "pg_shseclabel": 3592, "pg_subscription": 6100, "pg_subscription_rel": 6102,
            "pg_transform": 3576, "pg_ts_config": 3602, "pg_ts_config_map": 3603, "pg_ts_dict": 3600,
            "pg_ts_parser": 3601, "pg_ts_template": 3764, "pg_user_mapping": 1418, "pg_user_mappings": 12327}

COLUMNS: dict[str, list[tuple[str, int]]] = {
    "pg_amop": [("oid", OID), ("amopfamily", OID), ("amoplefttype", OID), ("amoprighttype", OID),
                ("amopstrategy", I2), ("amoppurpose", C), ("amopopr", OID), ("amopmethod", OID),
                ("amopsortfamily", OID)],
    "pg_amproc": [("oid", OID), ("amprocfamily", OID), ("amproclefttype", OID), ("amprocrighttype", OID),
                  ("amprocnum", I2), ("amproc", REGPROC)],
    "pg_conversion": [("oid", OID), ("conname", N), ("connamespace", OID), ("conowner", OID),
                      ("conforencoding", I4), ("contoencoding", I4), ("conproc", REGPROC), ("condefault", B)],
    "pg_default_acl": [("oid", OID), ("defaclrole", OID), ("defaclnamespace", OID), ("defaclobjtype", C),
                       ("defaclacl", ACL)],
    "pg_foreign_data_wrapper": [("oid", OID), ("fdwname", N), ("fdwowner", OID), ("fdwhandler", OID),
                                ("fdwvalidator", OID), ("fdwacl", ACL), ("fdwoptions", TEXTS)],
    "pg_largeobject": [("loid", OID), ("pageno", I4), ("data", BYTEA)],
    "pg_largeobject_metadata": [("oid", OID), ("lomowner", OID), ("lomacl", ACL)],
    "pg_matviews": [("schemaname", N), ("matviewname", N), ("matviewowner", N), ("tablespace", N),
                    ("hasindexes", B), ("ispopulated", B), ("definition", T)],
    "pg_opfamily": [("oid", OID), ("opfmethod", OID), ("opfname", N), ("opfnamespace", OID), ("opfowner", OID)],
    "pg_parameter_acl": [("oid", OID), ("parname", T), ("paracl", ACL)],
    "pg_policies": [("schemaname", N), ("tablename", N), ("policyname", N), ("permissive", T),
                    ("roles", NAMES), ("cmd", T), ("qual", T), ("with_check", T)],
    "pg_replication_origin": [("roident", OID), ("roname", T)],
    "pg_rules": [("schemaname", N), ("tablename", N), ("rulename", N), ("definition", T)],
    "pg_seclabel": [("objoid", OID), ("classoid", OID), ("objsubid", I4), ("provider", T), ("label", T)],
    "pg_seclabels": [("objoid", OID), ("classoid", OID), ("objsubid", I4), ("objtype", T),
                     ("objnamespace", OID), ("objname", T), ("provider", T), ("label", T)],
    "pg_shdepend": [("dbid", OID), ("classid", OID), ("objid", OID), ("objsubid", I4), ("refclassid", OID),
                    ("refobjid", OID), ("deptype", C)],
    "pg_shseclabel": [("objoid", OID), ("classoid", OID), ("provider", T), ("label", T)],
    "pg_subscription": [("oid", OID), ("subdbid", OID), ("subskiplsn", LSN), ("subname", N), ("subowner", OID),
                        ("subenabled", B), ("subbinary", B), ("substream", B), ("subtwophasestate", C),
                        ("subdisableonerr", B), ("subconninfo", T), ("subslotname", N), ("subsynccommit", T),
                        ("subpublications", TEXTS)],
    "pg_subscription_rel": [("srsubid", OID), ("srrelid", OID), ("srsubstate", C), ("srsublsn", LSN)],
    "pg_transform": [("oid", OID), ("trftype", OID), ("trflang", OID), ("trffromsql", REGPROC),
                     ("trftosql", REGPROC)],
    "pg_ts_config": [("oid", OID), ("cfgname", N), ("cfgnamespace", OID), ("cfgowner", OID),
                     ("cfgparser", OID)],
    "pg_ts_config_map": [("mapcfg", OID), ("maptokentype", I4), ("mapseqno", I4), ("mapdict", OID)],
    "pg_ts_dict": [("oid", OID), ("dictname", N), ("dictnamespace", OID), ("dictowner", OID),
                   ("dicttemplate", OID), ("dictinitoption", T)],
    "pg_ts_parser": [("oid", OID), ("prsname", N), ("prsnamespace", OID), ("prsstart", REGPROC),
                     ("prstoken", REGPROC), ("prsend", REGPROC), ("prsheadline", REGPROC),
                     ("prslextype", REGPROC)],
    "pg_ts_template": [("oid", OID), ("tmplname", N), ("tmplnamespace", OID), ("tmplinit", REGPROC),
                       ("tmpllexize", REGPROC)],
    "pg_user_mapping": [("oid", OID), ("umuser", OID), ("umserver", OID), ("umoptions", TEXTS)],
    "pg_user_mappings": [("umid", OID), ("srvid", OID), ("srvname", N), ("umuser", OID), ("usename", N),
                         ("umoptions", TEXTS)],
}


def _empty(name: str) -> str:
    cols = ", ".join(f"NULL AS {c}" for c, _ in COLUMNS[name])
    return f"SELECT {cols} WHERE 0"


VIEWS = {name: _empty(name) for name in COLUMNS}
