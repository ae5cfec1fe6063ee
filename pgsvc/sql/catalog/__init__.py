"""The catalog stage: the stored per-database and shared catalogs, identity, ACLs and privilege checks, sequences, reg* types."""
