"""Role names as the catalogs print them: pg_get_userbyid's rule (a role of the shared
catalog, else one of PostgreSQL's predefined roles, else 'unknown (OID=n)'), and stored
ACLs as the text[] of their aclitem texts with those names (pg_database.datacl, relacl, ...)."""

from __future__ import annotations

import json

from pgsvc.sql.catalog import acl as A
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.catalog.system.pg_catalog_defs import PREDEFINED_ROLES


def role_name_by_oid(engine, oid) -> str | None:
    """pg_get_userbyid: the role's name, or PostgreSQL's 'unknown (OID=n)'."""
    if oid is None:
        return None
    role = shared(engine).cat.find_role_oid(int(oid))
    if role is not None:
        return role.name
    if int(oid) in PREDEFINED_ROLES:
        return PREDEFINED_ROLES[int(oid)]
    return f"unknown (OID={int(oid)})"


def acl_text(engine, stored) -> str | None:
    """A stored ACL -> the text[] stored form of its aclitem texts (NULL stays NULL)."""
    items = A.load(stored) if isinstance(stored, str) else stored
    if items is None:
        return None
    return json.dumps(A.texts(items, lambda oid: role_name_by_oid(engine, oid)))
