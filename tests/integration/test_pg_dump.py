"""PostgreSQL 15's own pg_dump and pg_restore against pgsvc (issue 13).

One application schema (schemas, an enum and a domain, tables with serial / identity /
defaults / NOT NULL / CHECK, primary keys, a unique constraint and index, a foreign key
with actions, a sequence with a position and OWNED BY, a view over a join, comments,
owners and GRANTs, an SQL and a PL/pgSQL function, a trigger, 20,000 rows) is built the
same way in a pgsvc database and in a PostgreSQL 15 database of the same name. Real
`pg_dump` runs against both with the same options: it must exit 0 against pgsvc and
print the same text as against PostgreSQL (header lines aside), and what it writes must
load into a fresh PostgreSQL 15 database with ON_ERROR_STOP (pg_restore --exit-on-error)
with the rows, psql's `\\d` and the sequences' next values of the source.

pgsvc's superuser is called postgres here, as PostgreSQL's, so the owners in both dumps
are the same role.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import require_engine, require_tool
from test_dump import Side, create_database, pgsvc_dump, unique

ROLE = "pgdump_reader"
SCHEMA = r"""
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN app.posint AS integer CHECK (VALUE > 0);
COMMENT ON TYPE app.mood IS 'how a customer feels';
CREATE TABLE app.customers (
    id serial PRIMARY KEY,
    name text NOT NULL,
    email varchar(100) UNIQUE,
    mood app.mood DEFAULT 'ok',
    created date DEFAULT '2020-01-01',
    score numeric(10,2) CHECK (score >= 0),
    note text COLLATE "C"
);
CREATE TABLE app.orders (
    order_no bigint GENERATED ALWAYS AS IDENTITY (START WITH 10) PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES app.customers (id) ON DELETE CASCADE ON UPDATE RESTRICT,
    qty app.posint NOT NULL,
    price numeric(8,2) NOT NULL DEFAULT 0,
    placed timestamp with time zone,
    paid boolean DEFAULT false
);
CREATE INDEX orders_customer_idx ON app.orders (customer_id);
CREATE UNIQUE INDEX customers_name_created ON app.customers (name, created DESC);
CREATE SEQUENCE public.ticket_seq START 100 INCREMENT 5;
CREATE TABLE public.tickets (
    n integer DEFAULT nextval('public.ticket_seq'),
    label text,
    CONSTRAINT label_len CHECK (char_length(label) < 50)
);
ALTER SEQUENCE public.ticket_seq OWNED BY public.tickets.n;
CREATE VIEW app.big_orders AS
    SELECT o.order_no, c.name, o.qty * o.price AS total
    FROM app.orders o JOIN app.customers c ON c.id = o.customer_id
    WHERE o.qty * o.price > 900;
COMMENT ON TABLE app.customers IS 'people who buy';
COMMENT ON COLUMN app.customers.email IS 'the customer''s address';
CREATE FUNCTION app.add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT a + b';
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.note := coalesce(NEW.note, 'auto');
  RETURN NEW;
END;
$$;
CREATE TRIGGER customers_touch BEFORE INSERT ON app.customers FOR EACH ROW EXECUTE FUNCTION app.touch();
GRANT USAGE ON SCHEMA app TO pgdump_reader;
GRANT SELECT ON app.customers TO pgdump_reader;
GRANT SELECT, UPDATE ON app.orders TO pgdump_reader;
INSERT INTO app.customers (name, email, mood, score)
    SELECT 'name ' || g, CASE WHEN g % 4 = 0 THEN NULL ELSE 'c' || g || '@x' END,
           (CASE g % 3 WHEN 0 THEN 'sad' WHEN 1 THEN 'ok' ELSE 'happy' END)::app.mood, (g % 50) * 1.25
    FROM generate_series(1, 300) AS g;
INSERT INTO app.customers (name, email, note) VALUES (E'tab\there', 'q@x', 'it''s "quoted" \N');
INSERT INTO app.orders (customer_id, qty, price, placed, paid)
    SELECT 1 + g % 301, 1 + g % 7, (g * 37 % 100000) / 100.0,
           timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute', g % 3 = 0
    FROM generate_series(1, 20000) AS g;
INSERT INTO public.tickets (label) VALUES ('one'), ('two'), (NULL);
SELECT nextval('public.ticket_seq');
"""

ROWS = ["SELECT * FROM app.customers ORDER BY id", "SELECT * FROM app.orders ORDER BY order_no",
        "SELECT * FROM app.big_orders ORDER BY order_no", "SELECT * FROM public.tickets ORDER BY n"]
DESCRIBE = [r"\d app.customers", r"\d app.orders", r"\d app.big_orders", r"\d public.tickets",
            r"\d public.ticket_seq", r"\dT+ app.*", r"\dD app.*", r"\dp app.*", r"\df app.*", r"\dn+ app",
            "SELECT pg_get_serial_sequence('public.tickets', 'n'), pg_get_serial_sequence('app.customers', 'id')"]
# read, not advanced: the sources are dumped again by the next test
SEQUENCES = ("SELECT last_value, is_called FROM public.ticket_seq", "SELECT last_value, is_called FROM "
             "app.customers_id_seq", "SELECT last_value, is_called FROM app.orders_order_no_seq")
# lines that differ between any two dumps: the random \restrict key, the server's version
_HEADER = re.compile(r"^(\\restrict|\\unrestrict|-- Dumped from database version).*$", re.M)


def pg_dump(side: Side, *args: str) -> subprocess.CompletedProcess:
    cmd = [require_tool("pg_dump"), "-h", side.host, "-p", str(side.port), "-U", side.user, *args, side.dbname]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"pg_dump {' '.join(args)} failed:\n{result.stderr}"
    assert "warning" not in result.stderr.lower(), result.stderr
    return result


def pg_restore(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([require_tool("pg_restore"), *args], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"pg_restore {' '.join(args)} failed:\n{result.stderr}"
    return result


def text(dump: str) -> str:
    return _HEADER.sub("", dump)


@pytest.fixture(scope="module")
def srv(module_server_factory):
    require_engine()
    s = module_server_factory("-U", "postgres", "--auth-local", "trust", "--auth-host", "trust")
    s.superuser = "postgres"
    return s


@pytest.fixture(scope="module")
def sides(srv, pg15):
    """(pgsvc database, PostgreSQL 15 database): the same name, the same schema and rows."""
    name = unique("pgd")
    out = []
    for port in (srv.port, pg15.port):
        admin = Side(port, "postgres", "postgres")
        admin.psql("-c", f"CREATE ROLE {ROLE}", check=False)  # the PostgreSQL cluster is shared
        side = create_database(admin, name)
        side.run(SCHEMA)
        out.append(side)
    return tuple(out)


def fresh_pg(pg15) -> Side:
    return create_database(Side(pg15.port, "postgres", "postgres"), unique("restored"))


def assert_restored(target: Side, source: Side, reference: Side) -> None:
    """Rows and sequences as in the pgsvc source; \\d as of the schema built in PostgreSQL."""
    assert target.out(*ROWS, args=("-A",)) == source.out(*ROWS, args=("-A",))
    assert target.out(*DESCRIBE) == reference.out(*DESCRIBE)
    assert target.out(*SEQUENCES) == source.out(*SEQUENCES)


def test_plain_dump_is_postgres_text_and_restores(sides, pg15, tmp_path):
    svc, ref = sides
    dumped = pg_dump(svc).stdout
    assert text(dumped) == text(pg_dump(ref).stdout)
    script = tmp_path / "plain.sql"
    script.write_text(dumped)
    target = fresh_pg(pg15)
    target.load(script)
    assert_restored(target, svc, ref)


def test_schema_only_same_text_both_ways(sides, pg15, tmp_path):
    """pg_dump -s of pgsvc, of the same schema built in PostgreSQL, and of pgsvc's dump
    restored into PostgreSQL: one text."""
    svc, ref = sides
    schema = pg_dump(svc, "-s").stdout
    assert text(schema) == text(pg_dump(ref, "-s").stdout)
    script = tmp_path / "schema.sql"
    script.write_text(schema)
    target = fresh_pg(pg15)
    target.load(script)
    assert text(pg_dump(target, "-s").stdout) == text(schema)


@pytest.mark.parametrize("fmt", ["c", "t", "d"])
def test_archive_formats_restore_with_exit_on_error(sides, pg15, tmp_path, fmt):
    svc, ref = sides
    out = {}
    for label, side in (("svc", svc), ("ref", ref)):
        path = tmp_path / f"{label}.{fmt}"
        pg_dump(side, f"-F{fmt}", "-f", str(path))
        out[label] = path
        # the archive's table of contents as a script: the same from both servers
    scripts = [text(pg_restore("-f", "-", str(out[k])).stdout) for k in ("svc", "ref")]
    assert scripts[0] == scripts[1]
    target = fresh_pg(pg15)
    pg_restore("--exit-on-error", "-h", "127.0.0.1", "-p", str(pg15.port), "-U", "postgres",
               "-d", target.dbname, str(out["svc"]))
    assert_restored(target, svc, ref)


@pytest.mark.parametrize("options", [["-a"], ["--inserts"], ["--column-inserts", "--rows-per-insert=100"],
                                     ["-t", "app.orders"], ["-n", "app"], ["-N", "app"], ["-O"], ["-x"],
                                     ["-O", "-x", "--no-comments"], ["--clean", "--if-exists"],
                                     ["--quote-all-identifiers"], ["-C", "-s"],
                                     ["-T", "app.orders", "--exclude-table-data",
                                                                   "app.customers"]])
def test_options_same_text_as_postgres(sides, options):
    svc, ref = sides
    assert text(pg_dump(svc, *options).stdout) == text(pg_dump(ref, *options).stdout)


def test_inserts_restore(sides, pg15, tmp_path):
    svc, ref = sides
    script = tmp_path / "inserts.sql"
    script.write_text(pg_dump(svc, "--inserts", "-O").stdout)
    target = fresh_pg(pg15)
    target.load(script)
    assert_restored(target, svc, ref)


def test_clean_if_exists_loads_twice(sides, pg15, tmp_path):
    """--clean --if-exists: a second load over the first drops and recreates everything."""
    svc, ref = sides
    script = tmp_path / "clean.sql"
    script.write_text(pg_dump(svc, "--clean", "--if-exists").stdout)
    target = fresh_pg(pg15)
    target.load(script)
    target.load(script)
    assert_restored(target, svc, ref)


def test_data_only_into_restored_schema(sides, pg15, tmp_path):
    svc, ref = sides
    schema, data = tmp_path / "s.sql", tmp_path / "a.sql"
    schema.write_text(pg_dump(svc, "-s").stdout)
    data.write_text(pg_dump(svc, "-a", "--disable-triggers").stdout)
    target = fresh_pg(pg15)
    target.load(schema)
    target.load(data)
    assert_restored(target, svc, ref)


REGRESSION = """
CREATE TABLE customers (id serial PRIMARY KEY, name text);
CREATE TABLE orders (id serial, customer_id integer REFERENCES customers, amount numeric);
CREATE VIEW big AS SELECT * FROM orders WHERE amount > 10;
INSERT INTO customers (name) VALUES ('a'), ('b');
INSERT INTO orders (customer_id, amount) VALUES (1, 5), (2, 50), (1, 500);
"""


@pytest.mark.parametrize("tool", ["pgsvc dump", "pg_dump"])
def test_serial_and_view_in_public_load_with_empty_search_path(srv, pg15, tmp_path, tool):
    """The scripts run with search_path = '': the serial default names its sequence and the
    view its table schema-qualified (pg_get_expr / pg_get_viewdef under that path), as
    PostgreSQL prints them."""
    side = create_database(Side(srv.port, "postgres", "postgres"), unique("serialview"))
    side.run(REGRESSION)
    script = tmp_path / "regression.sql"
    if tool == "pg_dump":
        script.write_text(pg_dump(side).stdout)
    else:
        pgsvc_dump(side, "-f", str(script))
    dumped = script.read_text()
    assert "nextval('public.customers_id_seq'::regclass)" in dumped
    assert "FROM public.orders" in dumped
    target = fresh_pg(pg15)
    target.load(script)
    queries = ("SELECT * FROM big ORDER BY id", "SELECT nextval('orders_id_seq')", r"\d+ big", r"\d orders")
    assert target.out(*queries) == side.out(*queries)


@pytest.mark.parametrize("fmt", ["c", "p"])
def test_postgres_dump_restores_into_pgsvc(sides, srv, tmp_path, fmt):
    """The way in: PostgreSQL 15's dump of the schema (custom archive through pg_restore
    --exit-on-error, plain script through psql ON_ERROR_STOP) loads into a pgsvc database
    with the rows, \\d and sequence positions of the PostgreSQL source."""
    svc, ref = sides
    path = tmp_path / f"from_pg.{fmt}"
    pg_dump(ref, f"-F{fmt}", "-f", str(path))
    target = create_database(Side(srv.port, "postgres", "postgres"), unique("frompg"))
    if fmt == "c":
        pg_restore("--exit-on-error", "-h", "127.0.0.1", "-p", str(srv.port), "-U", "postgres",
                   "-d", target.dbname, str(path))
    else:
        target.load(path)
    assert target.out(*ROWS, args=("-A",)) == ref.out(*ROWS, args=("-A",))
    assert target.out(*DESCRIBE) == ref.out(*DESCRIBE)
    assert target.out(*SEQUENCES) == ref.out(*SEQUENCES)
