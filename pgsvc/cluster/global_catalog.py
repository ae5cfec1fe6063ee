"""The shared catalog: roles and databases (PostgreSQL's pg_authid, pg_database,
pg_auth_members), one SQLite file in DATADIR/global.

Backends open it to authenticate and to find their database's file; initdb creates
it; the supervisor never opens it (an SQLite handle must not cross a fork).
OIDs follow PostgreSQL: the bootstrap superuser is 10, template1 is 1, template0 4,
postgres 5, and new objects count up from 16384.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from pgsvc.cluster.builtin_oids import BOOTSTRAP_SUPERUSER_OID
from pgsvc.cluster.layout import Layout
from pgsvc.sqlite import keep_wal_files, sqlite3

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
    datconnlimit INTEGER NOT NULL DEFAULT -1,
    datacl TEXT
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
# pg_db_role_setting (ALTER ROLE/DATABASE ... SET): setconfig is a JSON array of
# 'name=value' texts; 0 in setdatabase / setrole means "every database" / "every role".
# Made on open (GlobalCatalog._add_db_role_setting), older data directories included.
_DB_ROLE_SETTING = """
CREATE TABLE IF NOT EXISTS pg_db_role_setting (
    setdatabase INTEGER NOT NULL,
    setrole INTEGER NOT NULL,
    setconfig TEXT NOT NULL,
    PRIMARY KEY (setdatabase, setrole)
)"""


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
    replication: bool = False  # REPLICATION: may open a walsender (replication) connection


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
        keep_wal_files(self.conn, layout.global_catalog)  # opened at every login
        self._dv_cursor = None  # data_version's own cursor
        self._add_db_role_setting()

    def _add_db_role_setting(self) -> None:
        """Data directories made before pg_db_role_setting existed get the (empty) table when
        first opened, so every reader can rely on it; a read-only opener just reads none."""
        if self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'pg_db_role_setting'").fetchone():
            return
        try:
            self.conn.execute(_DB_ROLE_SETTING)
        except sqlite3.OperationalError:
            pass  # a read-only connection (mode=ro) of a tool or test: nothing to read either

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
                 create_role: bool = False, inherit: bool = True, replication: bool | None = None,
                 bypassrls: bool | None = None, conn_limit: int = -1,
                 valid_until: float | None = None) -> int:
        """A new role. The bootstrap superuser (initdb) gets every attribute, as in PostgreSQL;
        CREATE ROLE passes each attribute as the statement gave it."""
        oid = oid if oid is not None else self.next_oid()
        if replication is None:
            replication = superuser
        if bypassrls is None:
            bypassrls = superuser
        if oid == BOOTSTRAP_SUPERUSER_OID:
            create_role = create_db = True
        self.conn.execute(
            "INSERT INTO pg_authid (oid, rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb,"
            " rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, rolpassword, rolvaliduntil)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (oid, name, int(superuser), int(inherit), int(create_role), int(create_db), int(login),
             int(replication), int(bypassrls), conn_limit, password, valid_until))
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
            " rolcreatedb, rolcreaterole, rolreplication FROM pg_authid WHERE rolname = ?", (name,)).fetchone()
        if row is None:
            return None
        return Role(row[0], row[1], bool(row[2]), bool(row[3]), row[4], row[5], row[6],
                    bool(row[7]), bool(row[8]), bool(row[9]))

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

    # -- transactions (CREATE ROLE etc. run in one; see pgsvc.sql.catalog.shared)
    def begin(self) -> None:
        """A write transaction: BEGIN IMMEDIATE takes SQLite's write lock at once, so two
        backends changing roles serialize here instead of failing at COMMIT."""
        self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def data_version(self) -> int:
        """Moves when another connection commits (cheap staleness check for snapshots; every
        statement's privilege check runs it, through one cursor kept for it)."""
        cur = self._dv_cursor
        if cur is None:
            cur = self._dv_cursor = self.conn.cursor()
        cur.execute("PRAGMA data_version")
        return cur.fetchone()[0]

    # -- roles (CREATE/ALTER/DROP ROLE, GRANT/REVOKE role)
    _ROLE_COLUMNS = ("oid, rolname, rolsuper, rolcanlogin, rolpassword, rolvaliduntil, rolconnlimit,"
                     " rolcreatedb, rolcreaterole")

    def find_role_oid(self, oid: int) -> Role | None:
        row = self.conn.execute(f"SELECT {self._ROLE_COLUMNS} FROM pg_authid WHERE oid = ?",
                                (oid,)).fetchone()
        if row is None:
            return None
        return Role(row[0], row[1], bool(row[2]), bool(row[3]), row[4], row[5], row[6],
                    bool(row[7]), bool(row[8]))

    def role_flags(self, oid: int) -> dict:
        """Every pg_authid column of one role, by name."""
        cur = self.conn.execute("SELECT * FROM pg_authid WHERE oid = ?", (oid,))
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row)) if row else {}

    _ROLE_UPDATABLE = {"rolsuper", "rolinherit", "rolcreaterole", "rolcreatedb", "rolcanlogin",
                       "rolreplication", "rolbypassrls", "rolconnlimit", "rolpassword",
                       "rolvaliduntil", "rolname"}

    def update_role(self, oid: int, **columns) -> None:
        if not columns:
            return
        bad = set(columns) - self._ROLE_UPDATABLE
        if bad:
            raise ValueError(f"not a pg_authid column: {sorted(bad)}")
        sets = ", ".join(f"{k} = ?" for k in columns)
        values = [int(v) if isinstance(v, bool) else v for v in columns.values()]
        self.conn.execute(f"UPDATE pg_authid SET {sets} WHERE oid = ?", (*values, oid))

    def delete_role(self, oid: int) -> None:
        self.conn.execute("DELETE FROM pg_authid WHERE oid = ?", (oid,))
        self._forget_description(oid)
        self.conn.execute("DELETE FROM pg_auth_members WHERE roleid = ? OR member = ?", (oid, oid))
        self.conn.execute("DELETE FROM pg_db_role_setting WHERE setrole = ?", (oid,))

    def membership(self, roleid: int, member: int) -> tuple | None:
        """The direct pg_auth_members row (grantor, admin_option), or None."""
        return self.conn.execute("SELECT grantor, admin_option FROM pg_auth_members"
                                 " WHERE roleid = ? AND member = ?", (roleid, member)).fetchone()

    def add_member(self, roleid: int, member: int, grantor: int, admin: bool) -> None:
        self.conn.execute("INSERT INTO pg_auth_members (roleid, member, grantor, admin_option)"
                          " VALUES (?,?,?,?) ON CONFLICT (roleid, member) DO UPDATE SET"
                          " admin_option = max(admin_option, excluded.admin_option)",
                          (roleid, member, grantor, int(admin)))

    def remove_member(self, roleid: int, member: int, admin_only: bool = False) -> None:
        if admin_only:
            self.conn.execute("UPDATE pg_auth_members SET admin_option = 0 WHERE roleid = ? AND member = ?",
                              (roleid, member))
        else:
            self.conn.execute("DELETE FROM pg_auth_members WHERE roleid = ? AND member = ?", (roleid, member))

    def roles_of(self, member: int) -> set[int]:
        """OIDs of the roles `member` belongs to, directly or indirectly, itself included."""
        rows = self.conn.execute(
            "WITH RECURSIVE m(oid) AS (SELECT ? UNION SELECT am.roleid FROM pg_auth_members am"
            " JOIN m ON am.member = m.oid) SELECT oid FROM m", (member,)).fetchall()
        return {r[0] for r in rows}

    def roles_inherited_by(self, member: int) -> set[int]:
        """OIDs of the roles whose privileges `member` has without SET ROLE (PostgreSQL's
        roles_is_member_of(ROLERECURSE_PRIVS)): itself, and the roles granted to it or to
        a role it reaches this way, followed only through members with INHERIT."""
        rows = self.conn.execute(
            "WITH RECURSIVE m(oid) AS (SELECT ? UNION SELECT am.roleid FROM pg_auth_members am"
            " JOIN m ON am.member = m.oid JOIN pg_authid a ON a.oid = m.oid WHERE a.rolinherit)"
            " SELECT oid FROM m", (member,)).fetchall()
        return {r[0] for r in rows}

    def has_admin_option(self, member: int, roleid: int) -> bool:
        """Whether `member` (or a role it belongs to) was granted `roleid` WITH ADMIN OPTION."""
        mine = self.roles_of(member)
        rows = self.conn.execute("SELECT member FROM pg_auth_members WHERE roleid = ? AND admin_option",
                                 (roleid,)).fetchall()
        return any(r[0] in mine for r in rows)

    def rows(self, table: str) -> tuple[list[str], list[tuple]]:
        """All rows of one shared catalog table (for pg_catalog snapshots): (columns, rows)."""
        if table not in ("pg_authid", "pg_database", "pg_auth_members", "pg_shdescription",
                         "pg_db_role_setting"):
            raise ValueError(table)
        if table == "pg_shdescription":
            return ["objoid", "classoid", "description"], self._shared_descriptions()
        cur = self.conn.execute(f"SELECT * FROM {table} ORDER BY 1")
        return [d[0] for d in cur.description], cur.fetchall()

    # -- comments on databases and roles (COMMENT ON DATABASE/ROLE; pg_shdescription). A
    # removed comment of an initdb database is a row with an empty text, so the built-in
    # one does not come back; catalogs made before this get the table on first use.
    _INITDB_DESCRIPTIONS = {(1, 1262): "default template for new databases",
                            (4, 1262): "unmodifiable empty database",
                            (5, 1262): "default administrative connection database"}

    def _has_shdescription(self) -> bool:
        return self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'pg_shdescription'").fetchone() is not None

    def _shared_descriptions(self) -> list[tuple]:
        stored = {}
        if self._has_shdescription():
            stored = {(o, c): d for o, c, d in self.conn.execute("SELECT * FROM pg_shdescription")}
        builtin = {k: v for k, v in self._INITDB_DESCRIPTIONS.items() if k not in stored and
                   self.conn.execute("SELECT 1 FROM pg_database WHERE oid = ?", (k[0],)).fetchone()}
        return sorted((o, c, d) for (o, c), d in {**stored, **builtin}.items() if d)

    def shared_description(self, objoid: int, classoid: int) -> str | None:
        return next((d for o, c, d in self._shared_descriptions() if (o, c) == (objoid, classoid)), None)

    def set_shared_description(self, objoid: int, classoid: int, text: str | None) -> None:
        self.conn.execute("CREATE TABLE IF NOT EXISTS pg_shdescription (objoid INTEGER NOT NULL, "
                          "classoid INTEGER NOT NULL, description TEXT NOT NULL, PRIMARY KEY (objoid, classoid))")
        self.conn.execute("DELETE FROM pg_shdescription WHERE objoid = ? AND classoid = ?", (objoid, classoid))
        if text or (objoid, classoid) in self._INITDB_DESCRIPTIONS:
            self.conn.execute("INSERT INTO pg_shdescription VALUES (?, ?, ?)", (objoid, classoid, text or ""))

    def _forget_description(self, objoid: int) -> None:
        if self._has_shdescription():
            self.conn.execute("DELETE FROM pg_shdescription WHERE objoid = ?", (objoid,))

    # -- database ACLs (GRANT/REVOKE ON DATABASE; pgsvc.sql.commands.grants)
    def _has_datacl(self) -> bool:
        if not getattr(self, "_datacl_seen", False):
            cols = {r[1] for r in self.conn.execute("PRAGMA table_info(pg_database)")}
            self._datacl_seen = "datacl" in cols
        return self._datacl_seen

    def ensure_datacl(self) -> None:
        """Catalogs made before database ACLs existed get the column on first use (NULL:
        PostgreSQL's defaults), so an older data directory keeps working."""
        if not self._has_datacl():
            self.conn.execute("ALTER TABLE pg_database ADD COLUMN datacl TEXT")
            self._datacl_seen = True

    def datacl(self, oid: int) -> str | None:
        """A database's ACL as stored (JSON; pgsvc.sql.catalog.acl reads it), None for the defaults."""
        if not self._has_datacl():
            return None
        row = self.conn.execute("SELECT datacl FROM pg_database WHERE oid = ?", (oid,)).fetchone()
        return row[0] if row else None

    def set_datacl(self, oid: int, stored: str | None) -> None:
        self.ensure_datacl()
        self.conn.execute("UPDATE pg_database SET datacl = ? WHERE oid = ?", (stored, oid))

    # -- databases (CREATE/DROP/ALTER DATABASE)
    def find_database_oid(self, oid: int) -> Database | None:
        row = self.conn.execute(
            "SELECT oid, datname, datdba, datallowconn, datistemplate, datconnlimit"
            " FROM pg_database WHERE oid = ?", (oid,)).fetchone()
        if row is None:
            return None
        return Database(row[0], row[1], row[2], bool(row[3]), bool(row[4]), row[5])

    def databases(self) -> list[Database]:
        """Every database, in name order."""
        return [Database(r[0], r[1], r[2], bool(r[3]), bool(r[4]), r[5]) for r in self.conn.execute(
            "SELECT oid, datname, datdba, datallowconn, datistemplate, datconnlimit"
            " FROM pg_database ORDER BY datname")]

    def databases_owned_by(self, role_oid: int) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT datname FROM pg_database WHERE datdba = ? ORDER BY datname", (role_oid,))]

    def rename_database(self, oid: int, name: str) -> None:
        self.conn.execute("UPDATE pg_database SET datname = ? WHERE oid = ?", (name, oid))

    def delete_database(self, oid: int) -> None:
        self.conn.execute("DELETE FROM pg_database WHERE oid = ?", (oid,))
        self._forget_description(oid)
        self.conn.execute("DELETE FROM pg_db_role_setting WHERE setdatabase = ?", (oid,))

    _DATABASE_UPDATABLE = {"datdba", "datallowconn", "datistemplate", "datconnlimit"}

    def update_database(self, oid: int, **columns) -> None:
        if not columns:
            return
        bad = set(columns) - self._DATABASE_UPDATABLE
        if bad:
            raise ValueError(f"not an updatable pg_database column: {sorted(bad)}")
        sets = ", ".join(f"{k} = ?" for k in columns)
        values = [int(v) if isinstance(v, bool) else v for v in columns.values()]
        self.conn.execute(f"UPDATE pg_database SET {sets} WHERE oid = ?", (*values, oid))

    # -- per-role and per-database settings (ALTER ROLE/DATABASE ... SET; pg_db_role_setting)
    def db_role_setting(self, database_oid: int, role_oid: int) -> list[str] | None:
        """The 'name=value' items of one (database, role) pair (0 = all), None without a row."""
        row = self.conn.execute("SELECT setconfig FROM pg_db_role_setting WHERE setdatabase = ? AND setrole = ?",
                                (database_oid, role_oid)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_db_role_setting(self, database_oid: int, role_oid: int, items: list[str]) -> None:
        """Store the items of one pair; an empty list removes the row (as PostgreSQL does)."""
        if not items:
            self.conn.execute("DELETE FROM pg_db_role_setting WHERE setdatabase = ? AND setrole = ?",
                              (database_oid, role_oid))
            return
        self.conn.execute("INSERT INTO pg_db_role_setting (setdatabase, setrole, setconfig) VALUES (?, ?, ?)"
                          " ON CONFLICT (setdatabase, setrole) DO UPDATE SET setconfig = excluded.setconfig",
                          (database_oid, role_oid, json.dumps(items)))

    def login_settings(self, database_oid: int, role_oid: int) -> list[tuple[str, list[str]]]:
        """What a session of this role in this database starts with, most specific first
        (PostgreSQL's process_settings): (pg_settings source, items) for the role in the
        database, the role, the database, then every role everywhere."""
        rows = {(db, role): json.loads(config) for db, role, config in self.conn.execute(
            "SELECT setdatabase, setrole, setconfig FROM pg_db_role_setting"
            " WHERE setdatabase IN (0, ?) AND setrole IN (0, ?)", (database_oid, role_oid))}
        order = (("database user", database_oid, role_oid), ("user", 0, role_oid),
                 ("database", database_oid, 0), ("global", 0, 0))
        return [(source, rows[(db, role)]) for source, db, role in order if rows.get((db, role))]
