"""The shared catalog: roles and databases (PostgreSQL's pg_authid, pg_database,
pg_auth_members), one SQLite file in DATADIR/global.

Backends open it to authenticate and to find their database's file; initdb creates
it; the supervisor never opens it (an SQLite handle must not cross a fork).
OIDs follow PostgreSQL: the bootstrap superuser is 10, template1 is 1, template0 4,
postgres 5, and new objects count up from 16384.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from pgsvc.cluster.layout import Layout

BOOTSTRAP_SUPERUSER_OID = 10
FIRST_NORMAL_OID = 16384

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pg_authid (
    oid INTEGER PRIMARY KEY,
    rolname TEXT NOT NULL UNIQUE,
    rolsuper INTEGER NOT NULL DEFAULT 0,
    rolinherit INTEGER NOT NULL DEFAULT 1,
    rolcreaterole INTEGER NOT NULL DEFAULT 0,
    rolcreatedb INTEGER NOT NULL DEFAULT 0,
    rolcanlogin INTEGER NOT NULL DEFAULT 0,
    rolreplication INTEGER NOT NULL DEFAULT 0,
    rolbypassrls INTEGER NOT NULL DEFAULT 0,
    rolconnlimit INTEGER NOT NULL DEFAULT -1,
    rolpassword TEXT,
    rolvaliduntil REAL
);
CREATE TABLE IF NOT EXISTS pg_database (
    oid INTEGER PRIMARY KEY,
    datname TEXT NOT NULL UNIQUE,
    datdba INTEGER NOT NULL,
    encoding INTEGER NOT NULL DEFAULT 6,
    datcollate TEXT NOT NULL DEFAULT 'C.UTF-8',
    datctype TEXT NOT NULL DEFAULT 'C.UTF-8',
    datistemplate INTEGER NOT NULL DEFAULT 0,
    datallowconn INTEGER NOT NULL DEFAULT 1,
    datconnlimit INTEGER NOT NULL DEFAULT -1
);
CREATE TABLE IF NOT EXISTS pg_auth_members (
    roleid INTEGER NOT NULL,
    member INTEGER NOT NULL,
    grantor INTEGER NOT NULL,
    admin_option INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (roleid, member)
);
CREATE TABLE IF NOT EXISTS pgsvc_oid_counter (next_oid INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class Role:
    oid: int
    name: str
    superuser: bool
    can_login: bool
    password: str | None
    valid_until: float | None
    conn_limit: int
    create_db: bool = False
    create_role: bool = False


@dataclass(frozen=True)
class Database:
    oid: int
    name: str
    owner: int
    allow_conn: bool
    is_template: bool
    conn_limit: int


class GlobalCatalog:
    """Open the shared catalog of a cluster (read-mostly; short transactions)."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.conn = sqlite3.connect(layout.global_catalog, timeout=30, isolation_level=None)
        self.conn.execute("PRAGMA busy_timeout = 30000")

    def close(self) -> None:
        self.conn.close()

    # -- creation (initdb)
    def create_schema(self) -> None:
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.executescript(_SCHEMA)
        self.conn.execute("INSERT INTO pgsvc_oid_counter VALUES (?)", (FIRST_NORMAL_OID,))

    def next_oid(self) -> int:
        cur = self.conn.execute("UPDATE pgsvc_oid_counter SET next_oid = next_oid + 1 RETURNING next_oid - 1")
        return cur.fetchone()[0]

    def add_role(self, name: str, *, oid: int | None = None, superuser: bool = False,
                 login: bool = False, password: str | None = None, create_db: bool = False,
                 create_role: bool = False) -> int:
        oid = oid if oid is not None else self.next_oid()
        self.conn.execute(
            "INSERT INTO pg_authid (oid, rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin,"
            " rolreplication, rolbypassrls, rolpassword) VALUES (?,?,?,?,?,?,?,?,?)",
            (oid, name, int(superuser), int(create_role or superuser), int(create_db or superuser),
             int(login), int(superuser), int(superuser), password))
        return oid

    def add_database(self, name: str, owner: int, *, oid: int | None = None,
                     is_template: bool = False, allow_conn: bool = True) -> int:
        oid = oid if oid is not None else self.next_oid()
        self.conn.execute(
            "INSERT INTO pg_database (oid, datname, datdba, datistemplate, datallowconn)"
            " VALUES (?,?,?,?,?)", (oid, name, owner, int(is_template), int(allow_conn)))
        return oid

    # -- look-ups (authentication, connecting)
    def find_role(self, name: str) -> Role | None:
        row = self.conn.execute(
            "SELECT oid, rolname, rolsuper, rolcanlogin, rolpassword, rolvaliduntil, rolconnlimit,"
            " rolcreatedb, rolcreaterole FROM pg_authid WHERE rolname = ?", (name,)).fetchone()
        if row is None:
            return None
        return Role(row[0], row[1], bool(row[2]), bool(row[3]), row[4], row[5], row[6],
                    bool(row[7]), bool(row[8]))

    def find_database(self, name: str) -> Database | None:
        row = self.conn.execute(
            "SELECT oid, datname, datdba, datallowconn, datistemplate, datconnlimit"
            " FROM pg_database WHERE datname = ?", (name,)).fetchone()
        if row is None:
            return None
        return Database(row[0], row[1], row[2], bool(row[3]), bool(row[4]), row[5])

    def members_of(self, group: str) -> set[str]:
        """Names of roles that are (directly or indirectly) members of `group`."""
        rows = self.conn.execute(
            "WITH RECURSIVE m(oid) AS (SELECT oid FROM pg_authid WHERE rolname = ?"
            " UNION SELECT am.member FROM pg_auth_members am JOIN m ON am.roleid = m.oid)"
            " SELECT a.rolname FROM pg_authid a JOIN m ON a.oid = m.oid", (group,)).fetchall()
        return {r[0] for r in rows}

    def role_valid(self, role: Role) -> bool:
        return role.valid_until is None or role.valid_until > time.time()
