"""pg_catalog and information_schema as declared relations over the stored catalogs, and PostgreSQL 15's generated data."""
