"""Roles and databases (issue 4): CREATE/ALTER/DROP ROLE, GRANT/REVOKE role, CREATE/DROP/
ALTER DATABASE, with PostgreSQL 15's checks and messages (a script run side by side on
pgsvc and a throwaway PostgreSQL 15 must print the same), passwords stored as SCRAM
verifiers that authenticate at once (psql's \\password form too), and the process-level
rules of databases: a template in use, DROP DATABASE with sessions (refused, or FORCE),
3D000 after a drop, path-like names; and the pg_catalog relations psql's \\l and \\du read
(their output is compared with PostgreSQL 15's).

One pgsvc cluster for the module: local (Unix socket) connections trust, TCP ones need
scram-sha-256, so the same server checks permissions and passwords.
"""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from conftest import require_engine, require_tool, wait_until


def _cmdline(proc) -> str:
    """A child's command line; "" once it has exited (it may turn into a zombie between
    srv.children() listing it and this read, on a busy machine)."""
    import psutil

    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


SUPERUSER_PASSWORD = "su-secret"


@pytest.fixture(scope="module")
def srv(module_server_factory, tmp_path_factory):
    require_engine()
    pwfile = tmp_path_factory.mktemp("pw") / "pw"
    pwfile.write_text(SUPERUSER_PASSWORD + "\n")
    # the superuser is called postgres, as in the PostgreSQL 15 it is compared with
    s = module_server_factory("-U", "postgres", "--auth-local", "trust", "--auth-host", "scram-sha-256",
                              "--pwfile", str(pwfile))
    s.superuser = "postgres"
    return s


def local(srv, user=None, dbname="postgres", **kw) -> psycopg.Connection:
    """A Unix-socket connection (trust)."""
    return psycopg.connect(srv.dsn(user=user, dbname=dbname, host=str(srv.sockdir)), autocommit=True,
                           connect_timeout=10, **kw)


def tcp(srv, user, password, dbname="postgres") -> psycopg.Connection:
    """A TCP connection (scram-sha-256)."""
    return psycopg.connect(srv.dsn(user=user, dbname=dbname, password=password), autocommit=True,
                           connect_timeout=10)


def sqlstate_of(fn) -> tuple[str, str]:
    with pytest.raises(psycopg.Error) as info:
        fn()
    return info.value.sqlstate, info.value.diag.message_primary


def stored_password(srv, role: str) -> str | None:
    # pg_authid is not a relation of pgsvc's SQL yet everywhere: read the shared catalog file
    import sqlite3
    conn = sqlite3.connect(f"file:{srv.datadir}/global/catalog.db?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = ?", (role,)).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def connect_error(fn) -> str:
    """A refused connection: libpq reports no SQLSTATE, only the server's message."""
    with pytest.raises(psycopg.OperationalError) as info:
        fn()
    return str(info.value)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


# --- passwords and log-in ----------------------------------------------------------------------

def test_new_role_logs_in_with_scram_verifier(srv):
    name = unique("login")
    with local(srv) as su:
        su.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'pw-1'")
    assert stored_password(srv, name).startswith("SCRAM-SHA-256$4096:")
    with tcp(srv, name, "pw-1") as c:
        assert c.execute("SELECT 1").fetchone() == (1,)
    assert f'password authentication failed for user "{name}"' in connect_error(lambda: tcp(srv, name, "wrong"))


def test_password_as_psql_password_sends_it(srv):
    """psql's \\password encrypts on the client (PQencryptPasswordConn) and sends
    ALTER USER ... PASSWORD 'SCRAM-SHA-256$...': stored as given, usable at once."""
    name = unique("pw")
    with local(srv) as su:
        su.execute(f"CREATE USER {name} PASSWORD 'old'")
    with tcp(srv, name, "old") as me:
        verifier = me.pgconn.encrypt_password(b"new-pass", name.encode(), b"scram-sha-256").decode()
        assert verifier.startswith("SCRAM-SHA-256$")
        me.execute(f"ALTER USER {name} PASSWORD '{verifier}'")  # own password: no CREATEROLE needed
    assert stored_password(srv, name) == verifier
    with tcp(srv, name, "new-pass"):
        pass
    assert "password authentication failed" in connect_error(lambda: tcp(srv, name, "old"))


def test_md5_password_encryption_and_null_password(srv):
    name = unique("md5")
    with local(srv) as su:
        su.execute("SET password_encryption = 'md5'")
        su.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'pw-md5'")
        su.execute("RESET password_encryption")
        assert stored_password(srv, name).startswith("md5") and len(stored_password(srv, name)) == 35
        # as in PostgreSQL, an md5 hash cannot answer a scram-sha-256 pg_hba.conf line
        assert "password authentication failed" in connect_error(lambda: tcp(srv, name, "pw-md5"))
        su.execute(f"ALTER ROLE {name} PASSWORD 'pw-scram'")  # password_encryption is back to scram
        with tcp(srv, name, "pw-scram"):
            pass
        su.execute(f"ALTER ROLE {name} PASSWORD NULL")
    assert stored_password(srv, name) is None
    assert "password authentication failed" in connect_error(lambda: tcp(srv, name, "pw-md5"))


def test_valid_until_and_connection_limit(srv):
    expired, limited = unique("exp"), unique("lim")
    with local(srv) as su:
        su.execute(f"CREATE ROLE {expired} LOGIN PASSWORD 'x' VALID UNTIL '2001-01-01 00:00:00+00'")
        su.execute(f"CREATE ROLE {limited} LOGIN CONNECTION LIMIT 1")
        assert "password authentication failed" in connect_error(lambda: tcp(srv, expired, "x"))
        su.execute(f"ALTER ROLE {expired} VALID UNTIL 'infinity'")
        with tcp(srv, expired, "x"):
            pass
        with local(srv, user=limited):
            assert f'too many connections for role "{limited}"' in connect_error(lambda: local(srv, user=limited))
        su.execute(f"ALTER ROLE {limited} NOLOGIN")
        assert f'role "{limited}" is not permitted to log in' in connect_error(lambda: local(srv, user=limited))


def test_role_ddl_in_a_transaction_block_follows_the_block(srv):
    kept, dropped = unique("kept"), unique("gone")
    with local(srv) as su:
        with su.transaction():
            su.execute(f"CREATE ROLE {kept} LOGIN")
        try:
            with su.transaction():
                su.execute(f"CREATE ROLE {dropped} LOGIN")
                su.execute("SELECT 1/0")
        except psycopg.errors.DivisionByZero:
            pass
        with local(srv, user=kept):
            pass
        assert f'role "{dropped}" does not exist' in connect_error(lambda: local(srv, user=dropped))


# --- side by side with PostgreSQL 15 -----------------------------------------------------------

SCRIPT = r"""
\set VERBOSITY verbose
CREATE ROLE rd_alice LOGIN;
CREATE ROLE rd_alice;
CREATE ROLE pg_rd;
CREATE ROLE rd_bob CREATEROLE LOGIN;
CREATE ROLE rd_carol LOGIN PASSWORD '';
CREATE ROLE rd_dave PASSWORD 'md5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' CONNECTION LIMIT 3 CREATEDB;
CREATE ROLE rd_s SUPERUSER;
CREATE ROLE rd_x LOGIN NOLOGIN;
CREATE ROLE rd_x SYSID 7;
DROP ROLE rd_x;
ALTER ROLE rd_nosuch LOGIN;
ALTER ROLE rd_alice WITH CONNECTION LIMIT -5;
DROP ROLE rd_nosuch;
DROP ROLE IF EXISTS rd_nosuch, rd_nosuch2;
ALTER ROLE rd_alice RENAME TO rd_bob;
ALTER ROLE rd_alice RENAME TO pg_rd;
ALTER ROLE rd_dave RENAME TO rd_dave2;
ALTER ROLE rd_nosuch RENAME TO rd_other;
GRANT rd_alice TO rd_bob;
GRANT rd_alice TO rd_bob;
GRANT rd_bob TO rd_alice;
GRANT rd_alice TO rd_alice;
REVOKE rd_carol FROM rd_bob;
GRANT rd_nosuch TO rd_bob;
GRANT rd_bob TO rd_nosuch;
CREATE GROUP rd_g;
ALTER GROUP rd_g ADD USER rd_carol;
ALTER GROUP rd_g DROP USER rd_carol, rd_alice;
CREATE DATABASE rd_db OWNER rd_alice;
CREATE DATABASE rd_db;
ALTER DATABASE rd_db CONNECTION LIMIT 3;
ALTER DATABASE rd_db WITH ALLOW_CONNECTIONS true IS_TEMPLATE false;
ALTER DATABASE postgres ALLOW_CONNECTIONS false;
ALTER DATABASE rd_db CONNECTION LIMIT -7;
ALTER DATABASE rd_db CONNECTION LIMIT 1 CONNECTION LIMIT 2;
ALTER DATABASE rd_db WITH foo 1;
ALTER DATABASE rd_nosuch OWNER TO rd_alice;
ALTER DATABASE rd_db OWNER TO rd_nosuch;
CREATE DATABASE rd_x TEMPLATE rd_nosuch;
CREATE DATABASE rd_x OWNER rd_nosuch;
BEGIN;
CREATE DATABASE rd_y;
ROLLBACK;
BEGIN;
DROP DATABASE rd_db;
ROLLBACK;
DROP DATABASE rd_nosuch;
DROP DATABASE IF EXISTS rd_nosuch;
DROP DATABASE template1;
ALTER DATABASE rd_nosuch RENAME TO rd_z;
ALTER DATABASE rd_db RENAME TO template1;
DROP ROLE rd_alice;
DROP ROLE rd_carol, rd_alice;
BEGIN;
CREATE ROLE rd_rolled;
ROLLBACK;
DROP ROLE rd_rolled;
BEGIN;
CREATE ROLE rd_sp1;
SAVEPOINT s1;
CREATE ROLE rd_sp2;
SAVEPOINT s2;
ALTER ROLE rd_sp1 RENAME TO rd_sp1x;
ROLLBACK TO s1;
SAVEPOINT s3;
CREATE ROLE rd_sp3;
RELEASE s3;
COMMIT;
DROP ROLE rd_sp2;
DROP ROLE rd_sp1x;
DROP ROLE rd_sp1, rd_sp3;
\c - rd_bob
CREATE ROLE rd_kid;
CREATE ROLE rd_sup SUPERUSER;
ALTER ROLE rd_s NOLOGIN;
ALTER ROLE rd_s RENAME TO rd_s2;
DROP ROLE rd_s;
CREATE DATABASE rd_nope;
GRANT rd_s TO rd_kid;
GRANT rd_kid TO rd_alice;
ALTER ROLE rd_kid RENAME TO rd_kid2;
\c - rd_alice
CREATE ROLE rd_nope;
DROP ROLE rd_kid2;
DROP ROLE IF EXISTS rd_nosuch;
ALTER ROLE rd_kid2 LOGIN;
ALTER ROLE rd_alice PASSWORD 'x';
ALTER ROLE rd_alice LOGIN;
GRANT rd_bob TO rd_alice;
REVOKE rd_kid2 FROM rd_alice;
CREATE DATABASE rd_nope;
DROP DATABASE postgres;
ALTER DATABASE postgres RENAME TO rd_q;
ALTER DATABASE rd_db RENAME TO rd_db2;
ALTER DATABASE rd_db OWNER TO rd_bob;
ALTER DATABASE postgres CONNECTION LIMIT 3;
ALTER DATABASE rd_db CONNECTION LIMIT 4;
DROP DATABASE rd_db;
\c - :su
DROP ROLE rd_kid2, rd_alice, rd_bob, rd_carol, rd_dave2, rd_s, rd_g;
"""


def _run_script(cmd: list[str]) -> tuple[str, str]:
    r = subprocess.run(cmd + ["-f", "-"], input=SCRIPT, capture_output=True, text=True, timeout=60)
    drop = re.compile(r"^(LOCATION:|You are now connected)")
    clean = lambda text: "\n".join(line for line in text.splitlines() if not drop.match(line))
    return clean(r.stdout), clean(r.stderr)


def test_role_and_database_statements_match_postgresql_15(srv, pg15):
    psql = require_tool("psql")
    ours = _run_script([psql, "-X", "-h", str(srv.sockdir), "-p", str(srv.port), "-U", srv.superuser,
                        "-d", "postgres", "-v", f"su={srv.superuser}"])
    theirs = _run_script([psql, "-X", "-h", "127.0.0.1", "-p", str(pg15.port), "-U", "postgres",
                          "-d", "postgres", "-v", "su=postgres"])
    assert ours[1] == theirs[1]  # errors, notices: message, SQLSTATE, detail, position
    assert ours[0] == theirs[0]  # command tags


# --- databases -----------------------------------------------------------------------------------

def test_create_database_copies_template_and_is_connectable(srv):
    tpl, db = unique("tpl"), unique("db")
    with local(srv) as su:
        su.execute(f"CREATE DATABASE {tpl}")
    with local(srv, dbname=tpl) as c:
        c.execute("CREATE TABLE t (id integer PRIMARY KEY, s text)")
        c.execute("INSERT INTO t VALUES (1, 'from template')")
        with local(srv) as su:  # the template is in use: PostgreSQL refuses (after 5 s)
            start = time.monotonic()
            state, message = sqlstate_of(lambda: su.execute(f"CREATE DATABASE {db} TEMPLATE {tpl}"))
            assert (state, message) == ("55006", f'source database "{tpl}" is being accessed by other users')
            assert time.monotonic() - start >= 4
    with local(srv) as su:
        su.execute(f"CREATE DATABASE {db} TEMPLATE {tpl}")
    with local(srv, dbname=db) as c:
        assert c.execute("SELECT s FROM t").fetchall() == [("from template",)]
        c.execute("INSERT INTO t VALUES (2, 'only in the copy')")
    with local(srv, dbname=tpl) as c:
        assert c.execute("SELECT count(*) FROM t").fetchone() == (1,)
    files = sorted(p.name for p in (srv.datadir / "base").iterdir() if p.suffix == ".db")
    assert all(re.fullmatch(r"\d+\.db", f) for f in files)


def test_drop_database_with_sessions_refused_then_forced(srv):
    db = unique("busy")
    with local(srv) as su:
        su.execute(f"CREATE DATABASE {db}")
        victim = local(srv, dbname=db)
        try:
            start = time.monotonic()
            err = pytest.raises(psycopg.Error, su.execute, f"DROP DATABASE {db}").value
            assert time.monotonic() - start >= 4
            assert (err.sqlstate, err.diag.message_primary, err.diag.message_detail) == (
                "55006", f'database "{db}" is being accessed by other users',
                "There is 1 other session using the database.")
            su.execute(f"DROP DATABASE {db} WITH (FORCE)")
            err = pytest.raises(psycopg.Error, victim.execute, "SELECT 1").value
            assert isinstance(err, psycopg.OperationalError)
        finally:
            victim.close()
    assert f'database "{db}" does not exist' in connect_error(lambda: local(srv, dbname=db))


def test_connection_racing_drop_database_does_not_recreate_its_file(srv):
    """The window of the race: the catalog still names the database, its file is gone
    (DROP DATABASE unlinks, then commits). A backend arriving then must fail with 3D000
    and must not leave a fresh empty file behind."""
    db = unique("gone")
    with local(srv) as su:
        su.execute(f"CREATE DATABASE {db}")
        oid = su.execute("SELECT oid FROM pg_database WHERE datname = %s", (db,)).fetchone()[0]
    path = srv.datadir / "base" / f"{oid}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert f'database "{db}" does not exist' in connect_error(lambda: local(srv, dbname=db))
    assert not path.exists()


def test_rename_and_path_like_names(srv):
    odd = "a/../../b\\c"
    with local(srv) as su:
        su.execute('CREATE DATABASE "a/../../b\\c"')
        with local(srv, dbname=odd) as c:
            assert c.execute("SELECT current_database()").fetchone() == (odd,)
        su.execute('ALTER DATABASE "a/../../b\\c" RENAME TO "renamed/.."')
        assert "does not exist" in connect_error(lambda: local(srv, dbname=odd))
        with local(srv, dbname="renamed/.."):
            pass
        wait_until(lambda: not [p for p in srv.children() if "renamed/.." in _cmdline(p)],
                   what="the backend to exit")
        su.execute('DROP DATABASE "renamed/.."')
    stray = [p for p in srv.base.rglob("*") if "b\\c" in p.name or p.name in ("a", "renamed")]
    assert stray == []


def test_database_owner_and_createdb_privilege(srv):
    owner, db = unique("own"), unique("owned")
    with local(srv) as su:
        su.execute(f"CREATE ROLE {owner} LOGIN CREATEDB")
    with local(srv, user=owner) as c:
        c.execute(f"CREATE DATABASE {db}")
    with local(srv) as su:
        state, message = sqlstate_of(lambda: su.execute(f"DROP ROLE {owner}"))
        assert (state, message) == ("2BP01", f'role "{owner}" cannot be dropped because some objects depend on it')
    with local(srv, user=owner) as c:
        c.execute(f"DROP DATABASE {db}")
    with local(srv) as su:
        su.execute(f"DROP ROLE {owner}")


# --- pg_catalog: \l, \du and the relations drivers read ------------------------------------------

CATALOG_SETUP = """
CREATE ROLE cat_alice LOGIN CREATEDB VALID UNTIL '2030-01-01 00:00:00+00' CONNECTION LIMIT 5;
CREATE ROLE cat_grp;
CREATE ROLE cat_boss SUPERUSER NOINHERIT;
CREATE ROLE cat_repl REPLICATION BYPASSRLS LOGIN;
GRANT cat_grp TO cat_alice;
GRANT cat_grp TO cat_boss WITH ADMIN OPTION;
CREATE DATABASE cat_db OWNER cat_alice;
CREATE DATABASE cat_db2 TEMPLATE template0;
"""
CATALOG_TEARDOWN = """
DROP DATABASE cat_db;
DROP DATABASE cat_db2;
DROP ROLE cat_alice, cat_grp, cat_boss, cat_repl;
"""
CATALOG_QUERIES = [
    r"\l (cat_*|template*)",
    r"\du cat_*",
    "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,"
    " rolconnlimit, rolpassword, rolvaliduntil, rolbypassrls, rolconfig FROM pg_catalog.pg_roles"
    " WHERE rolname LIKE 'cat%' ORDER BY 1",
    "SELECT usename, usecreatedb, usesuper, userepl, usebypassrls, passwd, valuntil, useconfig FROM pg_user"
    " WHERE usename LIKE 'cat%' ORDER BY 1",
    "SELECT r.rolname, m.rolname, admin_option FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid"
    " JOIN pg_roles m ON m.oid = a.member ORDER BY 1, 2",
    "SELECT datname, pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datlocprovider, datistemplate,"
    " datallowconn, datconnlimit, datcollate, datctype, daticulocale, datacl FROM pg_database"
    " WHERE datname LIKE 'cat%' OR datname LIKE 'template%' OR datname = 'postgres' ORDER BY 1",
    "SELECT rolname, rolpassword IS NULL FROM pg_authid WHERE rolname LIKE 'cat%' ORDER BY 1",
    "SELECT nspname, pg_get_userbyid(nspowner), nspacl FROM pg_namespace"
    " WHERE nspname IN ('public', 'pg_catalog') ORDER BY 1",
    "SELECT typname, typlen, typbyval, typtype, typcategory, typelem, typarray FROM pg_type"
    " WHERE oid IN (16, 20, 23, 25, 1043, 1007, 1184) ORDER BY oid",
]


def _describe(cmd: list[str]) -> list[str]:
    outs = []
    for query in CATALOG_QUERIES:
        r = subprocess.run(cmd + ["-c", query], capture_output=True, text=True, timeout=30)
        outs.append(r.stdout + r.stderr)
    return outs


def test_psql_l_du_and_role_relations_match_postgresql_15(srv, pg15):
    psql = require_tool("psql")
    ours = [psql, "-X", "-h", str(srv.sockdir), "-p", str(srv.port), "-U", "postgres", "-d", "postgres"]
    theirs = [psql, "-X", "-h", "127.0.0.1", "-p", str(pg15.port), "-U", "postgres", "-d", "postgres"]
    for cmd in (ours, theirs):
        subprocess.run(cmd + ["-v", "ON_ERROR_STOP=1", "-q", "-f", "-"], input=CATALOG_SETUP, text=True,
                       check=True, capture_output=True, timeout=60)
    try:
        mine, reference = _describe(ours), _describe(theirs)
    finally:
        for cmd in (ours, theirs):
            subprocess.run(cmd + ["-q", "-f", "-"], input=CATALOG_TEARDOWN, text=True, capture_output=True,
                           timeout=60)
    for query, a, b in zip(CATALOG_QUERIES, mine, reference):
        assert a == b, f"{query}\n--- pgsvc\n{a}\n--- PostgreSQL 15\n{b}"


def test_catalog_relations_follow_ddl_and_permissions(srv):
    table, role = unique("cat_t"), unique("cat_plain")
    with local(srv) as su:
        su.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, name varchar(20) NOT NULL, tags text[])")
        rel = su.execute("SELECT c.oid, c.relkind, n.nspname, c.relnatts, c.relhasindex FROM pg_catalog.pg_class c"
                         " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = %s",
                         (table,)).fetchone()
        assert rel[1:] == ("r", "public", 3, True)
        cols = su.execute("SELECT a.attname, t.typname, a.attnum, a.attnotnull, a.atttypmod, a.attndims"
                          " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                          " WHERE a.attrelid = %s ORDER BY a.attnum", (rel[0],)).fetchall()
        assert cols == [("id", "int4", 1, True, -1, 0), ("name", "varchar", 2, True, 24, 0),
                        ("tags", "_text", 3, False, -1, 1)]
        with su.transaction():  # a catalog read inside a block sees the block's own role changes
            su.execute(f"CREATE ROLE {role} LOGIN")
            assert su.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)).fetchone() == (1,)
            su.execute(f"DROP TABLE {table}")
            assert su.execute("SELECT count(*) FROM pg_class WHERE relname = %s", (table,)).fetchone() == (0,)
        prepared = "SELECT rolname FROM pg_roles WHERE rolname LIKE 'cat_plain%%' ORDER BY 1"
        first = su.execute(prepared, prepare=True).fetchall()
        su.execute(f"ALTER ROLE {role} RENAME TO {role}_x")
        assert su.execute(prepared, prepare=True).fetchall() != first  # a prepared read is not stale
        su.execute(f"ALTER ROLE {role}_x RENAME TO {role}")
    with local(srv, user=role) as plain:
        assert plain.execute("SELECT count(*) > 0 FROM pg_roles").fetchone() == (True,)
        state, message = sqlstate_of(lambda: plain.execute("SELECT * FROM pg_authid"))
        assert (state, message) == ("42501", "permission denied for table pg_authid")
        state, _ = sqlstate_of(lambda: plain.execute("INSERT INTO pg_catalog.pg_database (oid) VALUES (1)"))
        assert state != "00000"
    with local(srv) as su:
        su.execute(f"DROP ROLE {role}")


RELATIONS_SETUP = """
CREATE TABLE items (id serial PRIMARY KEY, code text UNIQUE, qty integer CHECK (qty >= 0));
CREATE TABLE notes (id integer PRIMARY KEY, item_id integer REFERENCES items (id), body text);
CREATE INDEX notes_body_idx ON notes (body);
CREATE VIEW item_codes AS SELECT id, code FROM items;
CREATE SEQUENCE tickets;
"""


def test_psql_relation_lists_match_postgresql_15(srv, pg15):
    """\\dn, \\dt, \\di, \\dv, \\ds and \\d (lists; \\d TABLE is not done yet) in a fresh database."""
    psql = require_tool("psql")
    db = unique("cat_rel")
    ours = [psql, "-X", "-h", str(srv.sockdir), "-p", str(srv.port), "-U", "postgres"]
    theirs = [psql, "-X", "-h", "127.0.0.1", "-p", str(pg15.port), "-U", "postgres"]
    outputs = []
    for cmd in (ours, theirs):
        subprocess.run(cmd + ["-d", "postgres", "-c", f"CREATE DATABASE {db}"], check=True, capture_output=True)
        try:
            subprocess.run(cmd + ["-d", db, "-v", "ON_ERROR_STOP=1", "-q", "-f", "-"], input=RELATIONS_SETUP,
                           text=True, check=True, capture_output=True, timeout=60)
            r = subprocess.run(cmd + ["-d", db] + [a for m in (r"\dn", r"\dt", r"\di", r"\dv", r"\ds", r"\d")
                                                   for a in ("-c", m)],
                               capture_output=True, text=True, timeout=60)
            outputs.append(r.stdout + r.stderr)
        finally:
            drop = cmd + ["-d", "postgres", "-c", f"DROP DATABASE {db}"]
            wait_until(lambda drop=drop: subprocess.run(drop, capture_output=True).returncode == 0,
                       what="drop database")
    assert outputs[0] == outputs[1], f"--- pgsvc\n{outputs[0]}\n--- PostgreSQL 15\n{outputs[1]}"


def test_catalog_relations_in_cursors_explain_prepare_and_regclass(srv):
    with local(srv) as su:
        with su.transaction():
            su.execute("DECLARE c CURSOR FOR SELECT datname FROM pg_database ORDER BY 1")
            names = [r[0] for r in su.execute("FETCH ALL FROM c")]
            assert {"postgres", "template0", "template1"} <= set(names) and names == sorted(names)
        assert "pg_catalog.pg_authid" in "\n".join(r[0] for r in su.execute("EXPLAIN SELECT * FROM pg_roles"))
        su.execute("PREPARE p AS SELECT rolname FROM pg_roles WHERE oid = 10")
        assert su.execute("EXECUTE p").fetchall() == [("postgres",)]
        assert su.execute("SELECT 'pg_class'::regclass::oid, 'pg_catalog.pg_type'::regclass::oid").fetchone() == \
            (1259, 1247)


def test_driver_type_introspection(srv):
    """psycopg's TypeInfo.fetch (to_regtype + pg_type) and to_regclass; asyncpg's array-codec
    introspection (pg_type, pg_namespace, pg_range) is covered in test_drivers."""
    from psycopg.types import TypeInfo
    with local(srv) as c:
        info = TypeInfo.fetch(c, "int4")
        assert (info.name, info.oid, info.array_oid) == ("int4", 23, 1007)
        assert TypeInfo.fetch(c, "no_such_type") is None
        assert c.execute("SELECT to_regclass('pg_catalog.pg_class')::oid, to_regclass('no_such_table'),"
                         " to_regtype('character varying')::oid").fetchone() == (1259, None, 1043)
