"""The commands stage: utility statements, DDL by family, GRANT, roles, databases, settings, portals, COPY."""
