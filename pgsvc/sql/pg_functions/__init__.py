"""The session-aware catalog functions: pg_get_*def, format_type, has_*_privilege, sizes."""
