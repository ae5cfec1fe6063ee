"""Owners: ALTER TABLE/VIEW/SEQUENCE ... OWNER TO and PostgreSQL 15's rule for giving an
object away, the owner a role specification names, the owner of a new schema, and DROP
ROLE's report of what a role owns or holds privileges on (in this database, its user
types, and the other databases' files). The statements GRANT, REVOKE, ALTER SCHEMA/TYPE
... OWNER TO, REASSIGN OWNED and DROP OWNED are pgsvc.sql.commands.grants.
"""

from __future__ import annotations

import os
import urllib.parse

from pglast import enums

from pgsvc.cluster.layout import Layout
from pgsvc.errors import SqlError, SqlNotice
from pgsvc.sql.catalog import acl as A
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog import policies as POL
from pgsvc.sql.catalog.authz import KIND_WORD, authz, denied, not_owner
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.pg_functions.catalog_funcs import table_is_visible
from pgsvc.sql.translate.routine_match import signature_text
from pgsvc.sql.types import usertypes as U
from pgsvc.sqlite import sqlite3

RS = enums.RoleSpecType


def new_owner_oid(engine, spec) -> int:
    sc = shared(engine)
    if spec.roletype == RS.ROLESPEC_CSTRING:
        return sc.role(spec.rolename).oid
    if spec.roletype == RS.ROLESPEC_SESSION_USER:
        return sc.session_role().oid
    if spec.roletype == RS.ROLESPEC_PUBLIC:
        raise SqlError("42704", 'role "public" does not exist')
    return sc.me().oid


def check_may_give(engine, word: str, name: str, old: int, new: int) -> None:
    """PostgreSQL 15's ALTER OWNER rule: owner (or member) of the object, member of the new
    owning role; superusers skip both."""
    az = authz(engine)
    az.fresh()
    me = az.current_oid()
    if az.is_superuser(me):
        return
    if not az.has_privs_of(me, old):
        raise not_owner(word, name)
    if not az.is_member_of(me, new):
        role = shared(engine).cat.find_role_oid(new)
        raise SqlError("42501", f'must be member of role "{role.name if role else new}"')


def alter_relation_owner(ddl, rel, spec) -> None:
    """ALTER TABLE/VIEW/SEQUENCE/INDEX ... OWNER TO (run inside the DDL's transaction)."""
    engine = ddl.engine
    new = new_owner_oid(engine, spec)
    if rel.kind == "i":
        engine.session.notice(SqlNotice(f'cannot change owner of index "{rel.name}"', severity="WARNING",
                                        sqlstate="01000",
                                        hint="Change the ownership of the index's table instead."))
        return
    authz(engine).check_owner(rel)  # PostgreSQL checks ownership at lookup, before anything else
    if new == rel.owner:
        return
    check_may_give(engine, KIND_WORD.get(rel.kind, "table"), rel.name, rel.owner, new)
    az = authz(engine)
    if not az.is_superuser(az.current_oid()) and not az.schema_allows(az.current_oid(), rel.schema, "C"):
        raise denied("schema", rel.schema)
    give_relation(engine, rel, new)
    if rel.kind == "r":  # sequences owned by its columns follow the table (PostgreSQL does the same)
        for seq_oid in C.owned_sequences(engine.conn, rel.oid):
            seq = engine.catalog.by_oid.get(seq_oid)
            if seq is not None:
                give_relation(engine, seq, new)
    ddl.refresh()


def give_relation(engine, rel, new: int) -> None:
    C.set_owner_acl(engine.conn, rel.oid, new, A.change_owner(rel.acl, rel.owner, new))


def schema_created(engine, name: str, owner: int) -> None:
    """CREATE SCHEMA: record its owner (default privileges)."""
    C.set_owner_acl(engine.conn, engine.catalog.schemas[name], owner, None)


# --- DROP ROLE's report of what the role owns or may use ---------------------------------------

def owned_objects(engine, role: int) -> list[tuple[int, str]]:
    """DROP ROLE's detail lines for this database (PostgreSQL's checkSharedDependencies)
    as (OID, line): PostgreSQL lists them in OID order, databases included."""
    cat = engine.catalog
    lines: list[tuple[int, str]] = []
    for name, oid in cat.schemas.items():
        owner, acl_items = authz(engine).schema_owner_acl(name)
        if owner == role:
            lines.append((oid, f"owner of schema {name}"))
        elif A.mentions(acl_items, role):
            lines.append((oid, f"privileges for schema {name}"))
    for rel in cat.by_oid.values():
        if rel.kind == "i" or rel.schema.startswith("pg_temp_"):
            continue
        word = KIND_WORD.get(rel.kind, "table")
        if rel.owner == role:
            lines.append((rel.oid, f"owner of {word} {qualified(engine, rel)}"))
        elif A.mentions(rel.acl, role):
            lines.append((rel.oid, f"privileges for {word} {qualified(engine, rel)}"))
    for r in cat.routines.values():  # functions and procedures ("function" for both, as PostgreSQL 15)
        if r.owner == role:
            lines.append((r.oid, f"owner of function {signature_text(r)}"))
        elif A.mentions(r.acl, role):
            lines.append((r.oid, f"privileges for function {signature_text(r)}"))
    lines += [(p.oid, f"owner of publication {p.name}") for p in cat.publications.values() if p.owner == role]
    lines += [(p.oid, f"target of policy {p.name} on table {qualified(engine, rel)}")  # (catalog.policies)
              for rel in cat.by_oid.values() for p in POL.policies(rel) if role in p.roles]
    return lines + owned_type_lines(role)


def objects_elsewhere(engine, role: int) -> list[tuple[str, int]]:
    """DROP ROLE's "n objects in database d" for the other databases: their files are read
    (read-only) for objects the role owns or holds privileges on, as PostgreSQL's shared
    dependency catalog would tell it."""
    sc = shared(engine)
    layout = Layout(engine.session.datadir)
    out = []
    for db in sc.cat.databases():
        path = layout.database_file(db.oid)
        if db.name == engine.session.database or not os.path.exists(path):
            continue
        try:
            conn = sqlite3.connect("file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro", uri=True)
        except sqlite3.Error:
            continue
        try:
            rows = C.owner_acl_rows_but_indexes(conn)
        except sqlite3.Error:
            rows = []  # a file from before privileges: everything is the bootstrap superuser's
        finally:
            conn.close()
        n = sum(1 for owner, text in rows if owner == role or A.mentions(A.load(text), role))
        if n:
            out.append((db.name, n))
    return out


def qualified(engine, rel) -> str:
    """Object names in dependency messages: schema-qualified unless visible (PostgreSQL's
    getObjectDescription)."""
    return rel.name if table_is_visible(engine, rel.oid) else f"{rel.schema}.{rel.name}"


def owned_type_lines(role: int) -> list[tuple[int, str]]:
    """DROP ROLE's detail lines for the domains and enums the role owns (OID, line)."""
    return [(ut.oid, f"owner of type {U.display_name(ut.oid)}") for ut in U.all_user_types() if ut.owner == role]
