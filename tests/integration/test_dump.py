"""`pgsvc dump` and `pgsvc dumpall` (issue 4): the way from pgsvc to PostgreSQL.

A schema with a primary key, a unique constraint and a unique index, a foreign key, check
constraints, views, a sequence, a serial column, an enum, a domain, comments and 10,000
rows is built in
pgsvc, dumped with `pgsvc dump`, and loaded with `psql -v ON_ERROR_STOP=1` into a fresh
PostgreSQL 15 database and into a fresh pgsvc database; every table and the view are then
SELECTed (ordered) on both sides and must print the same, as must psql's `\\d` of each
relation and the next value of each sequence. The same dumper reads PostgreSQL 15 too:
its dump of the same schema loads into pgsvc. `pgsvc dumpall` carries roles (attributes,
SCRAM verifiers, memberships), owners and GRANTs, and whole databases.

One pgsvc server for the module (its superuser is called postgres, as PostgreSQL's, so
owners in a dump exist on both sides), one PostgreSQL 15 for the session.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from conftest import PGSVC, ROOT, require_engine, require_tool

SCHEMA = r"""
CREATE SCHEMA sales;
CREATE SEQUENCE sales.invoice_no START 1000 INCREMENT 10;
CREATE TYPE sales.state AS ENUM ('new', 'paid', 'it''s shipped');
CREATE DOMAIN sales.qty AS integer NOT NULL DEFAULT 1 CHECK (VALUE > 0);
COMMENT ON TYPE sales.state IS 'where an order is';
CREATE TABLE sales.customer (
    id serial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name varchar(60),
    joined date DEFAULT '2024-01-01',
    CONSTRAINT email_has_at CHECK (position('@' in email) > 0)
);
CREATE TABLE sales.orders (
    id bigint PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES sales.customer (id) ON DELETE CASCADE,
    invoice integer DEFAULT nextval('sales.invoice_no'),
    amount numeric(12,2) NOT NULL CHECK (amount >= 0),
    note text,
    paid boolean DEFAULT false,
    placed timestamptz,
    state sales.state DEFAULT 'new',
    qty sales.qty
);
CREATE UNIQUE INDEX orders_invoice_idx ON sales.orders (invoice);
CREATE INDEX orders_customer_idx ON sales.orders (customer_id, amount DESC);
CREATE VIEW sales.big_orders AS
    SELECT o.id, c.email, o.amount FROM sales.orders o JOIN sales.customer c ON c.id = o.customer_id
    WHERE o.amount > 900;
-- named to sort before the view it reads: the dump must order views by dependency
CREATE VIEW sales.a_top_orders AS SELECT id, amount FROM sales.big_orders WHERE amount > 990;
COMMENT ON TABLE sales.orders IS 'one row per order';
COMMENT ON COLUMN sales.customer.email IS 'the customer''s address';
INSERT INTO sales.customer (email, name)
    SELECT 'user' || g || '@example.com', CASE WHEN g % 7 = 0 THEN NULL ELSE 'Name ' || g END
    FROM generate_series(1, 500) AS g;
INSERT INTO sales.customer (email, name) VALUES
    ('tab@x', E'tab\there'), ('nl@x', E'two\nlines'), ('bs@x', 'back\slash \N'),
    ('q@x', 'it''s "quoted"'), ('u@x', 'ünïcødé ✓'), ('cr@x', E'cr\rhere'), ('dot@x', '\.');
INSERT INTO sales.orders (id, customer_id, amount, note, paid, placed, state, qty)
    SELECT g, 1 + g % 507, (g * 37 % 100000) / 100.0,
           CASE WHEN g % 5 = 0 THEN NULL WHEN g % 5 = 1 THEN E'note\t' || g ELSE 'order ' || g END,
           g % 3 = 0, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute',
           (CASE g % 3 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' ELSE 'it''s shipped' END)::sales.state,
           1 + g % 9
    FROM generate_series(1, 10000) AS g;
"""

ROWS = ["SELECT * FROM sales.customer ORDER BY id",
        "SELECT * FROM sales.orders ORDER BY id",
        "SELECT * FROM sales.big_orders ORDER BY id",
        "SELECT * FROM sales.a_top_orders ORDER BY id"]
DESCRIBE = [r"\d sales.customer", r"\d sales.orders", r"\d sales.big_orders", r"\d sales.invoice_no",
            r"\dT+ sales.*", r"\dD sales.*"]
# advancing the sequences on both sides shows they were restored where the source was
NEXT_VALUES = "SELECT nextval('sales.invoice_no'), nextval('sales.customer_id_seq')"
SUPERUSER_PASSWORD = "dump-secret"


class Side:
    """One database on one server, driven with psql."""

    def __init__(self, port: int, user: str, dbname: str, host: str = "127.0.0.1") -> None:
        self.port, self.user, self.dbname, self.host = port, user, dbname, host

    def conn_args(self) -> list[str]:
        return ["-h", self.host, "-p", str(self.port), "-U", self.user, "-d", self.dbname]

    def psql(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [require_tool("psql"), "-X", "-v", "ON_ERROR_STOP=1", *self.conn_args(), *args]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                                env={**os.environ, "PGCONNECT_TIMEOUT": "10"})
        if check and result.returncode != 0:
            raise AssertionError(f"psql {' '.join(args)[:200]} failed ({result.returncode}):\n"
                                 f"{result.stderr}")
        return result

    def out(self, *commands: str, args: tuple[str, ...] = ()) -> str:
        """What psql prints for these commands, run in one session (-c each)."""
        return self.psql(*args, *[part for c in commands for part in ("-c", c)]).stdout

    def run(self, sql: str) -> None:
        """A script of several statements, sent one by one as psql -f sends them."""
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as f:
            f.write(sql)
            f.flush()
            self.load(Path(f.name))

    def load(self, path: Path) -> float:
        started = time.monotonic()
        self.psql("-q", "-f", str(path))
        return time.monotonic() - started

    def other(self, dbname: str) -> Side:
        return Side(self.port, self.user, dbname, self.host)


def pgsvc_dump(side: Side, *args: str, command: str = "dump", timeout: float = 120,
               check: bool = True) -> subprocess.CompletedProcess:
    cmd = PGSVC + [command, "-h", side.host, "-p", str(side.port), "-U", side.user, *args]
    if command == "dump":
        cmd += ["-d", side.dbname]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))
    if check and result.returncode != 0:
        raise AssertionError(f"pgsvc {command} failed ({result.returncode}):\n{result.stderr}")
    return result


def create_database(side: Side, name: str) -> Side:
    side.other("postgres").psql("-c", f'CREATE DATABASE "{name}"')
    return side.other(name)


def assert_same(source: Side, restored: Side) -> None:
    """Every row (unaligned), every \\d, the next sequence values: printed alike."""
    assert restored.out(*ROWS, args=("-A",)) == source.out(*ROWS, args=("-A",))
    assert restored.out(*DESCRIBE, NEXT_VALUES) == source.out(*DESCRIBE, NEXT_VALUES)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def srv(module_server_factory, tmp_path_factory):
    """Unix-socket connections trust (the dumps and loads use them), TCP ones need the
    superuser's password by SCRAM (the client's authentication is checked there)."""
    require_engine()
    pwfile = tmp_path_factory.mktemp("pw") / "pw"
    pwfile.write_text(SUPERUSER_PASSWORD + "\n")
    s = module_server_factory("-U", "postgres", "--auth-local", "trust", "--auth-host", "scram-sha-256",
                              "--pwfile", str(pwfile))
    s.superuser = "postgres"
    return s


def local_side(srv, dbname: str = "postgres") -> Side:
    return Side(srv.port, "postgres", dbname, host=str(srv.sockdir))


@pytest.fixture(scope="module")
def shop(srv) -> Side:
    """The source: the schema above in a pgsvc database."""
    side = create_database(local_side(srv), unique("shop"))
    side.run(SCHEMA)
    return side


@pytest.fixture(scope="module")
def pg_shop(pg15) -> Side:
    """The same schema built in PostgreSQL 15 (a source for the pgsvc-bound direction)."""
    side = create_database(Side(pg15.port, "postgres", "postgres"), unique("pgshop"))
    side.run(SCHEMA)
    return side


def test_dump_restores_into_postgres(shop, pg_shop, pg15, tmp_path):
    """...and the restored tables are described as PostgreSQL describes the same schema
    built by hand (pg_shop): nothing of the definitions was lost on the way."""
    script = tmp_path / "shop.sql"
    started = time.monotonic()
    pgsvc_dump(shop, "-f", str(script))
    dumped = time.monotonic() - started
    text = script.read_text()
    assert ("COPY sales.orders (id, customer_id, invoice, amount, note, paid, placed, state, qty) FROM stdin;"
            in text)
    target = create_database(Side(pg15.port, "postgres", "postgres"), unique("restored"))
    loaded = target.load(script)
    print(f"\n10,000-row dump: pgsvc dump {dumped:.2f} s, psql load into PostgreSQL 15 {loaded:.2f} s")
    assert_same(shop, target)
    assert target.out(*DESCRIBE) == pg_shop.out(*DESCRIBE)


def test_dump_restores_into_pgsvc(shop, tmp_path):
    script = tmp_path / "shop.sql"
    pgsvc_dump(shop, "-f", str(script))
    target = create_database(shop, unique("restored"))
    loaded = target.load(script)
    print(f"\n10,000-row dump: psql load into pgsvc {loaded:.2f} s")
    assert_same(shop, target)


def test_postgres_dump_restores_into_pgsvc(pg_shop, srv, tmp_path):
    """The dumper reads PostgreSQL 15 as well: its script of the same schema loads into
    pgsvc and SELECTs print the same there."""
    script = tmp_path / "pgshop.sql"
    pgsvc_dump(pg_shop, "-f", str(script))
    target = create_database(local_side(srv), unique("frompg"))
    target.load(script)
    assert_same(pg_shop, target)


def test_schema_only_data_only_inserts_and_table(shop, pg15, tmp_path):
    """-s then -a (data in foreign-key order) rebuild the same tables in PostgreSQL 15;
    -a --inserts -t (INSERTs made from COPY rows) refills one of them."""
    schema, data, inserts = tmp_path / "schema.sql", tmp_path / "data.sql", tmp_path / "inserts.sql"
    pgsvc_dump(shop, "-s", "-f", str(schema))
    assert "COPY " not in schema.read_text() and "setval" not in schema.read_text()
    pgsvc_dump(shop, "-a", "-f", str(data))
    text = data.read_text()
    assert "CREATE " not in text
    assert text.index("COPY sales.customer") < text.index("COPY sales.orders")
    target = create_database(Side(pg15.port, "postgres", "postgres"), unique("split"))
    target.load(schema)
    target.load(data)
    assert target.out(*ROWS, args=("-A",)) == shop.out(*ROWS, args=("-A",))

    pgsvc_dump(shop, "-a", "--column-inserts", "-t", "sales.customer", "-f", str(inserts))
    text = inserts.read_text()
    assert "COPY " not in text and "INSERT INTO sales.orders" not in text
    assert "INSERT INTO sales.customer (id, email, name, joined) VALUES (" in text
    refill = create_database(Side(pg15.port, "postgres", "postgres"), unique("inserts"))
    refill.load(schema)
    refill.load(inserts)
    # -t brings the sequence the table owns (its serial), not others
    owned = "SELECT nextval('sales.customer_id_seq')"
    assert refill.out(ROWS[0], owned, args=("-A",)) == shop.out(ROWS[0], owned, args=("-A",))


def test_clean_if_exists_reloads_over_itself(shop, pg15, tmp_path):
    script = tmp_path / "clean.sql"
    pgsvc_dump(shop, "-c", "--if-exists", "-f", str(script))
    target = create_database(Side(pg15.port, "postgres", "postgres"), unique("clean"))
    target.load(script)
    target.load(script)  # the second load drops what the first made
    assert target.out(*ROWS, args=("-A",)) == shop.out(*ROWS, args=("-A",))


def test_create_clean_recreates_the_database(shop, pg15, tmp_path):
    """-C -c --if-exists: loaded from another database, the script drops and creates the
    database (same name, owner, encoding, locale) and makes its objects; twice in a row
    too. (-s: the tests above load the 10,000 rows.)"""
    script = tmp_path / "create.sql"
    pgsvc_dump(shop, "-C", "-c", "--if-exists", "-s", "-f", str(script))
    server = Side(pg15.port, "postgres", "postgres")
    server.load(script)
    server.load(script)
    created = server.other(shop.dbname)
    try:
        assert created.out(*DESCRIBE[:4]) == shop.out(*DESCRIBE[:4])
        owner = ("SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate, datctype "
                 f"FROM pg_database WHERE datname = '{shop.dbname}'")
        assert created.out(owner, args=("-A",)) == shop.out(owner, args=("-A",))
    finally:
        server.psql("-c", f'DROP DATABASE "{shop.dbname}"')


def test_dumpall_roles_owners_and_grants(pg15, server_factory, tmp_path):
    """Roles (attributes, SCRAM verifiers, memberships), a database owned by one of them
    with a GRANT: `pgsvc dumpall` loads into PostgreSQL 15 and into a new pgsvc cluster,
    and the catalogs say the same there. (A cluster of its own: dumpall takes every
    database.)"""
    require_engine()
    srv = server_factory("-U", "postgres")
    tag = uuid.uuid4().hex[:6]
    alice, bob, grp = f"dump_alice_{tag}", f"dump_bob_{tag}", f"dump_grp_{tag}"
    admin = Side(srv.port, "postgres", "postgres")
    admin.run(f"""
        CREATE ROLE {alice} LOGIN PASSWORD 'pw-alice' CONNECTION LIMIT 5 VALID UNTIL '2031-05-01 00:00:00+00';
        CREATE ROLE {bob} NOLOGIN CREATEDB;
        CREATE ROLE {grp};
        GRANT {grp} TO {alice} WITH ADMIN OPTION;
        GRANT {grp} TO {bob};""")
    dbname = unique("acl")
    db = create_database(admin, dbname)
    db.run(f"""
        CREATE TABLE notes (id int PRIMARY KEY, body text);
        INSERT INTO notes VALUES (1, 'one'), (2, 'two');
        ALTER TABLE notes OWNER TO {alice};
        GRANT SELECT, INSERT ON notes TO {bob};
        CREATE SCHEMA box AUTHORIZATION {bob};
        GRANT USAGE ON SCHEMA box TO {alice};
        CREATE TABLE box.item (id int GENERATED ALWAYS AS IDENTITY (START WITH 5), label text);
        INSERT INTO box.item (label) VALUES ('a'), ('b');""")
    roles_query = (
        "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, "
        "rolbypassrls, rolconnlimit, rolpassword, rolvaliduntil FROM pg_authid "
        f"WHERE rolname LIKE 'dump%{tag}' ORDER BY rolname")
    members_query = (
        "SELECT r.rolname, m.rolname, a.admin_option FROM pg_auth_members a "
        "JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member "
        f"WHERE m.rolname LIKE 'dump%{tag}' ORDER BY 1, 2")
    acl_query = ("SELECT c.relname, pg_get_userbyid(c.relowner), c.relacl FROM pg_class c "
                 "WHERE c.relname IN ('notes', 'item', 'item_id_seq') ORDER BY 1")
    schema_query = "SELECT nspname, pg_get_userbyid(nspowner), nspacl FROM pg_namespace WHERE nspname = 'box'"
    # the identity sequence goes on where it stood
    next_item = "INSERT INTO box.item (label) VALUES ('c') RETURNING *"

    globals_script = tmp_path / "globals.sql"
    pgsvc_dump(admin, "-g", "-f", str(globals_script), command="dumpall")
    pg = Side(pg15.port, "postgres", "postgres")
    pg.load(globals_script)
    try:
        assert pg.out(roles_query, members_query, args=("-A",)) == \
            admin.out(roles_query, members_query, args=("-A",))
    finally:
        pg.run(f"DROP ROLE {alice}; DROP ROLE {bob}; DROP ROLE {grp};")

    everything = tmp_path / "all.sql"
    pgsvc_dump(admin, "-f", str(everything), command="dumpall")
    pwfile = tmp_path / "pw"
    pwfile.write_text(SUPERUSER_PASSWORD + "\n")
    fresh = server_factory("-U", "postgres", "--auth-local", "trust", "--auth-host", "scram-sha-256",
                           "--pwfile", str(pwfile))
    copy = Side(fresh.port, "postgres", "postgres", host=str(fresh.sockdir))
    copy.load(everything)
    assert copy.out(roles_query, members_query, args=("-A",)) == \
        admin.out(roles_query, members_query, args=("-A",))
    restored = copy.other(dbname)
    checks = ("SELECT * FROM notes ORDER BY id", acl_query, schema_query, next_item, r"\l " + dbname)
    assert restored.out(*checks) == db.out(*checks)
    # the SCRAM verifier came along: the password logs in over TCP
    login = subprocess.run([require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(fresh.port), "-U", alice,
                            "-d", dbname, "-tA", "-c", "SELECT current_user"], capture_output=True, text=True,
                           timeout=30, env={**os.environ, "PGPASSWORD": "pw-alice"})
    assert (login.returncode, login.stdout.strip()) == (0, alice), login.stderr


def test_password_authentication(srv, tmp_path):
    """Over TCP the server asks for the password (SCRAM-SHA-256): PGPASSWORD or ~/.pgpass
    (PGPASSFILE) answer it."""
    tcp = ["-h", "127.0.0.1", "-p", str(srv.port), "-U", "postgres", "-d", "postgres", "-s"]
    env = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "PGPASSFILE")}
    ok = subprocess.run(PGSVC + ["dump", *tcp], capture_output=True, text=True, timeout=30, cwd=str(ROOT),
                        env={**env, "PGPASSWORD": SUPERUSER_PASSWORD})
    assert ok.returncode == 0, ok.stderr
    assert "PostgreSQL database dump complete" in ok.stdout
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{srv.port}:*:postgres:{SUPERUSER_PASSWORD}\n")
    pgpass.chmod(0o600)
    ok = subprocess.run(PGSVC + ["dump", "-w", *tcp], capture_output=True, text=True, timeout=30,
                        cwd=str(ROOT), env={**env, "PGPASSFILE": str(pgpass)})
    assert ok.returncode == 0, ok.stderr


def test_errors_are_worded_as_pg_dump(srv, pg15, tmp_path):
    """Connection and authentication failures, refused option combinations: exit 1 and
    pg_dump's message."""
    pg_dump = require_tool("pg_dump")
    tcp = ["-h", "127.0.0.1", "-p", str(srv.port)]
    cases = [
        [*tcp, "-U", "postgres", "-w", "-d", "postgres"],  # no password to give
        [*tcp, "-U", "postgres", "-d", "postgres", "PGPASSWORD=wrong"],
        ["-h", "127.0.0.1", "-p", "1", "-U", "postgres", "-d", "postgres"],
        ["-h", str(tmp_path), "-p", "5999", "-U", "postgres", "-d", "postgres"],
        ["-h", str(srv.sockdir), "-p", str(srv.port), "-U", "postgres", "-d", "no_such_db"],
        ["-h", str(srv.sockdir), "-p", str(srv.port), "-U", "no_such_role", "-d", "postgres"],
        # (PostgreSQL's server here: pg_dump itself cannot dump pgsvc, see its SET lines)
        ["-h", "127.0.0.1", "-p", str(pg15.port), "-U", "postgres", "-d", "postgres",
         "-f", str(tmp_path / "no_such_dir" / "out.sql")],
        ["-s", "-a", "-d", "postgres"],
        ["-a", "-c", "-d", "postgres"],
        ["--if-exists", "-d", "postgres"],
    ]
    base_env = {k: v for k, v in os.environ.items() if k not in ("PGPASSWORD", "PGPASSFILE")}
    for case in cases:
        args = [a for a in case if "=" not in a]
        env = {**base_env, **dict(a.split("=", 1) for a in case if "=" in a)}
        ours = subprocess.run(PGSVC + ["dump", *args], capture_output=True, text=True, timeout=30,
                              cwd=str(ROOT), env=env, stdin=subprocess.DEVNULL)
        theirs = subprocess.run([pg_dump, *args], capture_output=True, text=True, timeout=30, env=env,
                                stdin=subprocess.DEVNULL)
        assert ours.returncode == theirs.returncode == 1, args
        assert ours.stderr.replace("pgsvc dump:", "pg_dump:") == theirs.stderr, args
        assert ours.stdout == ""
