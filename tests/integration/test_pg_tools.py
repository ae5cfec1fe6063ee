"""PostgreSQL 15's client programs against pgsvc (issue 13): createdb, dropdb, createuser,
dropuser, vacuumdb, reindexdb, clusterdb, pg_isready exit 0 and do what they say; REINDEX
and CLUSTER answer as PostgreSQL 15 does, side by side; pg_dumpall of a pgsvc cluster
(roles with passwords, memberships and settings, database settings, every database) loads
into a fresh PostgreSQL 15 with no error but the superuser's own CREATE ROLE.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time

import pytest

from conftest import Postgres, require_tool
from test_dump import Side, create_database, unique

ENV = {**os.environ, "PGCONNECT_TIMEOUT": "10"}


def tool(name: str, srv, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [require_tool(name), "-h", "127.0.0.1", "-p", str(srv.port), "-U", "postgres", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=ENV)
    if check:
        assert result.returncode == 0, f"{name} {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


@pytest.fixture(scope="module")
def srv(postgres_superuser_server):
    return postgres_superuser_server


SCHEMA = """
CREATE SCHEMA s;
CREATE TABLE s.t (id integer PRIMARY KEY, v text UNIQUE);
CREATE INDEX t_v ON s.t (v);
INSERT INTO s.t SELECT g, 'v' || g FROM generate_series(1, 500) g;
"""


def test_client_scripts(srv):
    db, user = unique("scripts"), unique("scriptuser")
    tool("pg_isready", srv)
    tool("createdb", srv, db)
    tool("createuser", srv, "--createdb", user)
    admin = Side(srv.port, "postgres", "postgres")
    assert admin.out(f"SELECT datname FROM pg_database WHERE datname = '{db}'", args=("-At",)).strip() == db
    assert admin.out(f"SELECT rolcreatedb FROM pg_roles WHERE rolname = '{user}'", args=("-At",)).strip() == "t"
    side = admin.other(db)
    side.run(SCHEMA)
    probe = "SELECT count(*), max(v), min(id) FROM s.t WHERE v > 'v4'"
    before = side.out(probe)
    for args in (["--analyze", db], ["--all"], ["-j", "2", "--analyze-only", db], ["-t", "s.t", db]):
        tool("vacuumdb", srv, *args)
    for args in ([db], ["-a"], ["-j", "2", db], ["-t", "s.t", "-i", "s.t_v", db], ["-S", "s", db], ["-s", db]):
        tool("reindexdb", srv, *args)
    for args in ([db], ["-a"]):
        tool("clusterdb", srv, *args)
    # the index answers after its rebuild as before
    assert side.out(probe) == before
    tool("dropuser", srv, user)
    tool("dropdb", srv, db)
    assert admin.out(f"SELECT count(*) FROM pg_database WHERE datname = '{db}'", args=("-At",)).strip() == "0"
    assert admin.out(f"SELECT count(*) FROM pg_roles WHERE rolname = '{user}'", args=("-At",)).strip() == "0"


STATEMENTS = [
    "REINDEX TABLE s.t", "REINDEX INDEX s.t_v", "REINDEX INDEX s.t_pkey", "REINDEX TABLE s.missing",
    "REINDEX INDEX s.t", "REINDEX TABLE s.vw", "REINDEX SCHEMA s", "REINDEX SCHEMA missing",
    "REINDEX DATABASE elsewhere", "REINDEX (VERBOSE) INDEX s.t_v", "BEGIN", "REINDEX TABLE s.t",
    "REINDEX SCHEMA s", "ROLLBACK", "BEGIN", "CLUSTER", "ROLLBACK", "CLUSTER", "CLUSTER s.t",
    "REINDEX (FOO) TABLE s.t", "REINDEX (CONCURRENTLY) SYSTEM", "SELECT count(*) FROM s.t",
]


def test_reindex_and_cluster_as_postgres(srv, pg15):
    name = unique("maint")
    out = []
    for port in (srv.port, pg15.port):
        side = create_database(Side(port, "postgres", "postgres"), name)
        side.run(SCHEMA + "CREATE VIEW s.vw AS SELECT * FROM s.t;")
        args = [a for s in STATEMENTS + [f"REINDEX DATABASE {name}", f"REINDEX SYSTEM {name}"] for a in ("-c", s)]
        result = side.psql(*args, check=False)
        out.append(result.stdout + result.stderr)
    assert out[0] == out[1]


def test_pg_dumpall_loads_into_fresh_postgres(srv, tmp_path):
    admin = Side(srv.port, "postgres", "postgres")
    role, member, db = unique("owner"), unique("member"), unique("alldb")
    admin.run(f"""
CREATE ROLE {role} LOGIN PASSWORD 'secret-1' CREATEDB CONNECTION LIMIT 5;
CREATE ROLE {member} NOLOGIN;
GRANT {member} TO {role};
ALTER ROLE {role} SET search_path = s, public;
CREATE DATABASE {db} OWNER {role};
ALTER DATABASE {db} SET work_mem = '8MB';
""")
    side = admin.other(db)
    side.run(SCHEMA + f"ALTER TABLE s.t OWNER TO {role}; GRANT SELECT ON s.t TO {member};")
    script = tmp_path / "all.sql"
    result = tool("pg_dumpall", srv, "-f", str(script))
    assert "warning" not in result.stderr.lower(), result.stderr
    fresh = Postgres()
    try:
        load = subprocess.run([require_tool("psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(fresh.port),
                               "-U", "postgres", "-d", "postgres", "-f", str(script)],
                              capture_output=True, text=True, timeout=300, env=ENV)
        errors = [line for line in load.stderr.splitlines() if "ERROR" in line]
        assert len(errors) == 1 and 'role "postgres" already exists' in errors[0], load.stderr
        restored = Side(fresh.port, "postgres", db)
        queries = ["SELECT * FROM s.t ORDER BY id", r"\dp s.t", r"\d s.t",
                   f"SELECT rolname, rolcanlogin, rolcreatedb, rolconnlimit, rolconfig FROM pg_roles "
                   f"WHERE rolname IN ('{role}', '{member}') ORDER BY 1",
                   f"SELECT r.rolname, m.rolname FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid "
                   f"JOIN pg_roles m ON m.oid = a.member WHERE m.rolname = '{role}'",
                   f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{db}'",
                   f"SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
                   f"WHERE d.datname = '{db}'"]
        assert restored.out(*queries) == side.out(*queries)
        # the password came along as its SCRAM verifier, the same bytes
        verifier = f"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'"
        assert restored.out(verifier, args=("-At",)) == side.out(verifier, args=("-At",))
        assert restored.out(verifier, args=("-At",)).startswith("SCRAM-SHA-256$")
    finally:
        fresh.stop()


COMPLETIONS = ["SELECT * FROM s.", "\\d s.", "\\d s.t", "INSERT INTO s.t (", "SELECT * FROM s.t WHERE ",
               "ALTER TABLE s.t ALTER COLUMN ", "DROP INDEX s.", "GRANT SELECT ON TABLE s.", "\\dn ",
               "UPDATE s.t SET ", "DROP VIEW s.", "TRUNCATE s."]


def complete(port: int, dbname: str, text: str) -> str:
    """What psql's readline shows after `text` and two TABs (its completion queries ran)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: psql on the terminal
        os.execvpe(require_tool("psql"), ["psql", "-X", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                          dbname], {**ENV, "TERM": "dumb", "PAGER": "cat"})
    out = b""

    def drain(seconds: float, until: bytes | None = None) -> None:
        nonlocal out
        end = time.monotonic() + seconds
        while time.monotonic() < end and not (until and out.endswith(until)):
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    return
    try:
        drain(10.0, until=b"=# ")  # the prompt
        start = len(out)
        os.write(fd, text.encode() + b"\t\t")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until the terminal has been quiet for 0.7 s
            seen = len(out)
            drain(0.7)
            if len(out) == seen and seen > start + len(text):
                break
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)
    return out[start:].decode(errors="replace")


def test_psql_tab_completion_as_postgres(srv, pg15):
    """psql 15's completion queries (relations, columns, schemas, indexes) answer on pgsvc and
    complete what they complete on PostgreSQL for the same schema."""
    name = unique("tabs")
    for port in (srv.port, pg15.port):
        create_database(Side(port, "postgres", "postgres"), name).run(
            SCHEMA + "CREATE VIEW s.vw AS SELECT * FROM s.t; CREATE SEQUENCE s.sq;")
    for text in COMPLETIONS:
        assert complete(srv.port, name, text) == complete(pg15.port, name, text), text
