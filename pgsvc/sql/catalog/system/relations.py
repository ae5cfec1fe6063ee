"""Virtual pg_catalog relations: the extension point through which SQL reads catalogs
that are not user tables (pg_database, pg_roles, pg_class, ...; definitions in
pgsvc.sql.catalog.system.pg_catalog_defs).

How a query reaches them:
  1. translation — the translator's range_var (translate/from_items.py,
     FromMixin.range_var) asks `lookup(tr, rv)` before the user catalog (pg_catalog is
     searched first, as PostgreSQL does implicitly). A known name gives a
     Relation (kind 'r', schema pg_catalog, PostgreSQL 15's columns and types) whose
     SQLite name is a TEMP object "pg_catalog.<name>"; the translator records the name
     (tr.syscat_used) and the runner copies it to the Statement (extra["syscat"]).
  2. execution — before the statement runs, the runner calls `refresh(engine, names)`,
     which (re)creates the TEMP objects if missing (a rolled-back transaction may have
     taken them) and copies the shared catalog's current rows for shared relations.

Why TEMP objects on the backend's own connection: the translated SQL stays plain SQLite
(joins, subqueries, ORDER BY, ARRAY(...) work unchanged), nothing reaches another file
(no ATTACH; the authorizer keeps denying it), per-database catalogs are SQLite views over
the hidden "pgsvc$..." tables (always current, transactional with the data), and the
shared catalog — a different file — is copied, a few rows, per statement that reads it.
Only reads reach this: INSERT/UPDATE/DELETE/DDL on these names find no relation.

To add a relation: its columns in pg_catalog_defs.COLUMNS, and a VIEWS entry (SQLite SQL
producing the stored forms) or a SHARED/STATIC/DYNAMIC row source here. The SQL functions
the views call (pgsvce_*) are registered on the connection by pgsvc.sql.pg_functions.
"""

from __future__ import annotations

import json
import math

from pgsvc.cluster.builtin_oids import BOOTSTRAP_SUPERUSER_OID
from pgsvc.errors import SqlError
from pgsvc.sql.catalog.database import Attr, Relation
from pgsvc.sql.catalog.shared import shared
from pgsvc.sql.catalog.system import infoschema_defs
from pgsvc.sql.catalog.system import opclass, procs, replication_views, session_views, stats, user_types
from pgsvc.sql.catalog.system.describe_defs import STATIC_ROWS as DESCRIBE_STATIC_ROWS
from pgsvc.sql.catalog.system.pg_catalog_defs import (AM_ROWS, COLUMNS, DEPENDS, DYNAMIC, PREDEFINED_MEMBERS,
                                                     PREDEFINED_ROLES, REL_OIDS, SHARED, STATIC, SUPERUSER_ONLY,
                                                     VIEWS, q, type_rows)
from pgsvc.sql.catalog.system.role_names import acl_text, role_name_by_oid
from pgsvc.sql.types import dates as D

_RELATIONS: dict[str, Relation] = {}


def relation(name: str) -> Relation:
    rel = _RELATIONS.get(name)
    if rel is None:
        rel = Relation(REL_OIDS.get(name, 0), "pg_catalog", name, "r", f"pg_catalog.{name}",
                       attrs=[Attr(i + 1, col, typ) for i, (col, typ) in enumerate(COLUMNS[name])])
        _RELATIONS[name] = rel
    return rel


def find(schema: str | None, name: str) -> Relation | None:
    """A virtual relation by (optional schema, name), for 'name'::regclass."""
    if schema in (None, "pg_catalog") and name in COLUMNS:
        return relation(name)
    return None


def lookup(tr, rv) -> Relation | None:
    """range_var's hook: the virtual relation `rv` names, or None (then the user catalog)."""
    if rv.schemaname not in (None, "pg_catalog") or rv.relname not in COLUMNS:
        return None
    if rv.catalogname and rv.catalogname != tr.session.database:
        return None  # the translator reports the cross-database reference
    name = rv.relname
    if name in SUPERUSER_ONLY:
        if not shared(tr.engine).is_superuser():  # as the role is now, not as it logged in
            raise SqlError("42501", f"permission denied for table {name}")
    tr.syscat_used.add(name)
    # made now too: statements that run an inner translation (DECLARE, EXPLAIN) do not
    # pass through the runner's refresh; a cached plain SELECT is refreshed again there
    refresh(tr.engine, {name})
    return relation(name)


# --- execution ---------------------------------------------------------------------------

def refresh(engine, names) -> None:
    """Make the TEMP objects of `names` (and what they are built from) exist and current."""
    order: list[str] = []

    def want(n: str) -> None:
        for dep in infoschema_defs.depends(n) if n.startswith(infoschema_defs.PREFIX) else DEPENDS.get(n, ()):
            want(dep)
        if n not in order:
            order.append(n)
    for n in sorted(names):
        want(n)
    conn = engine.conn
    outer = conn.in_transaction
    conn.execute('SAVEPOINT "pgsvc$syscat"') if outer else conn.execute("BEGIN")
    try:
        for n in order:
            if n in SHARED:
                _fill_shared(engine, n)
            elif n in STATIC:
                _fill_static(engine, n)
            elif n.startswith(infoschema_defs.PREFIX):
                infoschema_defs.create(conn, n)
            elif n in DYNAMIC:
                _fill_dynamic(engine, n)
            else:
                conn.execute(f"CREATE TEMP VIEW IF NOT EXISTS {q(n)} AS {VIEWS[n]}")
    except BaseException:
        conn.execute('ROLLBACK TO "pgsvc$syscat"') if outer else conn.execute("ROLLBACK")
        if outer:
            conn.execute('RELEASE "pgsvc$syscat"')
        raise
    conn.execute('RELEASE "pgsvc$syscat"') if outer else conn.execute("COMMIT")


def _columns(name: str) -> list[tuple[str, int]]:
    return COLUMNS[name.split("$")[0]]  # "pg_type$user" has pg_type's columns


def _create_table(conn, name: str) -> None:
    cols = ", ".join(f'"{c}"' for c, _ in _columns(name))
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {q(name)} ({cols})")


def _insert(conn, name: str, rows: list[tuple]) -> None:
    marks = ", ".join("?" for _ in _columns(name))
    conn.executemany(f"INSERT INTO {q(name)} VALUES ({marks})", rows)


# Row sources: name -> rows() (STATIC) or rows(engine) (DYNAMIC). Sources that need a higher
# layer are registered by it: "pg_type$user" (typdefault is deparsed) by pgsvc.sql.pg_functions.
STATIC_ROWS = {"pg_type$builtin": type_rows, "pg_am": lambda: AM_ROWS,
               **{n: (lambda rows=rows: rows) for n, rows in DESCRIBE_STATIC_ROWS.items()}}
DYNAMIC_ROWS = {"pg_enum": user_types.enum_rows, "pg_range": user_types.range_rows, **session_views.ENGINE_ROWS,
                **replication_views.ENGINE_ROWS}


STATIC_ROWS.update(procs.STATIC_ROWS)
STATIC_ROWS.update(opclass.STATIC_ROWS)


def _fill_dynamic(engine, name: str) -> None:
    conn = engine.conn
    _create_table(conn, name)
    conn.execute(f"DELETE FROM {q(name)}")
    maker = stats.ENGINE_ROWS.get(name)  # rows of the session (settings, registry, catalog)
    _insert(conn, name, maker(engine) if maker else DYNAMIC_ROWS[name](engine))


def _fill_static(engine, name: str) -> None:
    conn = engine.conn
    _create_table(conn, name)
    if conn.execute(f"SELECT 1 FROM {q(name)} LIMIT 1").fetchone() is None:
        _insert(conn, name, STATIC_ROWS[name]())  # (an empty relation costs nothing to refill)


def _fill_shared(engine, name: str) -> None:
    conn = engine.conn
    _create_table(conn, name)
    conn.execute(f"DELETE FROM {q(name)}")
    cols, rows = shared(engine).cat.rows(name)
    _insert(conn, name, _SHARED_ROWS[name](engine, cols, rows))


def valid_until_stored(seconds) -> int | None:
    """pg_authid.rolvaliduntil (Unix seconds in the shared catalog) -> timestamptz's stored form."""
    if seconds is None:
        return None
    if math.isinf(seconds):
        return D.NOEND if seconds > 0 else D.NOBEGIN
    return round((seconds - D.POSTGRES_EPOCH_UNIX) * 1_000_000)


def _authid_rows(engine, cols: list[str], rows: list[tuple]) -> list[tuple]:
    out = []
    for row in rows:
        r = dict(zip(cols, row))
        out.append((r["oid"], r["rolname"], r["rolsuper"], r["rolinherit"], r["rolcreaterole"],
                    r["rolcreatedb"], r["rolcanlogin"], r["rolreplication"], r["rolbypassrls"],
                    r["rolconnlimit"], r["rolpassword"], valid_until_stored(r["rolvaliduntil"])))
    taken = {r[0] for r in out}
    for oid, name in PREDEFINED_ROLES.items():
        if oid not in taken:
            out.append((oid, name, 0, 1, 0, 0, 0, 0, 0, -1, None, None))
    return sorted(out)


def _database_rows(engine, cols: list[str], rows: list[tuple]) -> list[tuple]:
    out = []
    for row in rows:
        r = dict(zip(cols, row))
        acl = None
        if r.get("datacl") is not None:
            acl = acl_text(engine, r["datacl"])
        elif r["oid"] in (1, 4):  # initdb's templates: PostgreSQL revokes CREATE/TEMP from PUBLIC
            owner = role_name_by_oid(engine, r["datdba"])
            acl = json.dumps([f"=c/{owner}", f"{owner}=CTc/{owner}"])
        out.append((r["oid"], r["datname"], r["datdba"], r["encoding"], "c", r["datistemplate"],
                    r["datallowconn"], r["datconnlimit"], 716, 1, 1663, r["datcollate"], r["datctype"],
                    None, None, acl))
    return out


def _members_rows(engine, cols: list[str], rows: list[tuple]) -> list[tuple]:
    out = [tuple(row[cols.index(c)] for c in ("roleid", "member", "grantor", "admin_option")) for row in rows]
    have = {(r[0], r[1]) for r in out}
    out += [(role, member, BOOTSTRAP_SUPERUSER_OID, 0) for role, member in PREDEFINED_MEMBERS if (role, member) not in have]
    return sorted(out)


_SHARED_ROWS = {"pg_authid": _authid_rows, "pg_database": _database_rows, "pg_auth_members": _members_rows,
                "pg_shdescription": lambda engine, cols, rows: rows,
                "pg_db_role_setting": lambda engine, cols, rows: rows}  # setconfig: JSON, text[]'s stored form
