"""OIDs of the objects every cluster starts with, the same as PostgreSQL 15's initdb gives them.

The bootstrap superuser, the built-in schemas and the pg_database_owner role have fixed
OIDs in PostgreSQL (its catalog headers name them BOOTSTRAP_SUPERUSERID,
PG_CATALOG_NAMESPACE, PG_TOAST_NAMESPACE, PG_PUBLIC_NAMESPACE, ROLE_PG_DATABASE_OWNER);
information_schema's is assigned while initdb runs, and pgsvc fixes it at 13000. One
definition for the cluster (the shared catalog initdb writes) and the SQL layer above it
(per-database catalogs, privileges, reg* types, pg_catalog rows).
"""

BOOTSTRAP_SUPERUSER_OID = 10
PG_CATALOG_OID = 11
PG_TOAST_OID = 99
PUBLIC_SCHEMA_OID = 2200
PG_DATABASE_OWNER_OID = 6171
INFORMATION_SCHEMA_OID = 13000

# the schemas every database has besides public, by name
BUILTIN_SCHEMAS = {"pg_catalog": PG_CATALOG_OID, "pg_toast": PG_TOAST_OID, "information_schema": INFORMATION_SCHEMA_OID}
