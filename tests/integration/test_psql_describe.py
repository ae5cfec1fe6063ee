"""psql 15's describe commands side by side with PostgreSQL 15 (issue 4, "Catalogs").

The same schema (primary keys, unique constraints and indexes, foreign keys both ways,
check constraints, defaults of many types, serial and bigserial columns, sequences,
views with joins, aggregates, CASE and column aliases, comments on every kind of object)
is created in a fresh database on pgsvc and on the PostgreSQL 15 fixture; then every
command's output must be identical. The size columns of \\dt+ \\di+ \\dv+ \\ds+ measure
different storage engines: those commands are compared cell by cell with the Size
column left out (and so without the alignment that depends on it), nothing else.

The catalog relations and functions behind the commands (pg_get_expr, pg_get_constraintdef,
pg_get_indexdef, pg_views, pg_indexes, pg_sequences, pg_tables, pg_description, ...) are
compared directly too, by object name (OIDs differ between the servers).
"""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest
from conftest import require_engine, require_tool, wait_until

SCHEMA = """
CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name varchar(50) DEFAULT 'anon',
  created date);
CREATE TABLE products (id integer PRIMARY KEY, code char(8) NOT NULL, price numeric(10,2) CHECK (price > 0),
  stock int NOT NULL DEFAULT 0, active boolean DEFAULT true, CONSTRAINT code_len CHECK (length(code) = 8));
CREATE UNIQUE INDEX products_code_idx ON products (code);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  product_id int REFERENCES products, qty int DEFAULT 1 CHECK (qty > 0), note text);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE VIEW big_orders AS SELECT o.id, c.email, o.qty FROM orders o JOIN customers c ON c.id = o.customer_id
  WHERE o.qty > 10;
CREATE SEQUENCE invoice_seq START 100 INCREMENT 10;
CREATE SCHEMA shop;
CREATE TABLE shop.vendors (id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE items (
  id bigserial PRIMARY KEY,
  sku varchar(20) NOT NULL UNIQUE,
  title text DEFAULT 'untitled',
  price numeric(8,2) DEFAULT 9.99 CHECK (price >= 0 AND price < 100000),
  weight real DEFAULT 0,
  qty integer DEFAULT -1 NOT NULL,
  ratio double precision,
  added date DEFAULT CURRENT_DATE,
  stamp timestamp with time zone DEFAULT now(),
  flag boolean DEFAULT false,
  kind char(1) DEFAULT 'a' CHECK (kind IN ('a', 'b', 'c')),
  vendor_id integer REFERENCES shop.vendors ON UPDATE CASCADE ON DELETE SET NULL,
  CONSTRAINT sku_len CHECK (length(sku) > 2 OR sku = 'x'),
  CONSTRAINT title_ok CHECK (title IS NOT NULL AND title <> '')
);
CREATE INDEX items_title_idx ON items (title, added);
CREATE SEQUENCE ticket_seq AS integer START 5 INCREMENT BY -1 MINVALUE -100 MAXVALUE 10 CYCLE;
CREATE VIEW item_summary AS
  SELECT kind, count(*) AS n, sum(price) AS total, max(added) AS latest
  FROM items WHERE qty > 0 GROUP BY kind HAVING count(*) > 1 ORDER BY kind;
CREATE VIEW item_vendors (item, vendor) AS
  SELECT i.title, v.name FROM items i LEFT JOIN shop.vendors v ON v.id = i.vendor_id
  WHERE i.kind IN ('a', 'b') AND i.sku LIKE 'A%';
CREATE VIEW cheap AS SELECT id, title,
  CASE WHEN price < 10 THEN 'cheap' WHEN price < 100 THEN 'fair' ELSE 'dear' END AS band,
  price * 2 + 1 AS dbl, coalesce(title, 'none') AS t2
  FROM items WHERE price IS NOT NULL AND NOT flag;
COMMENT ON SCHEMA shop IS 'vendor data';
COMMENT ON TABLE customers IS 'people who buy';
COMMENT ON COLUMN customers.email IS 'contact address';
COMMENT ON VIEW big_orders IS 'orders over ten';
COMMENT ON SEQUENCE invoice_seq IS 'invoice numbers';
COMMENT ON INDEX products_code_idx IS 'one code per product';
COMMENT ON CONSTRAINT code_len ON products IS 'codes are eight characters';
COMMENT ON TABLE items IS 'stock items';
COMMENT ON COLUMN items.sku IS 'stock keeping unit';
COMMENT ON VIEW cheap IS 'cheap things';
COMMENT ON SEQUENCE ticket_seq IS 'tickets';
COMMENT ON INDEX items_title_idx IS 'by title';
COMMENT ON CONSTRAINT sku_len ON items IS 'sku rule';
"""

COMMANDS = [
    r"\d",
    r"\d customers", r"\d products", r"\d orders", r"\d items", r"\d shop.vendors",
    r"\d+ customers", r"\d+ products", r"\d+ items",
    r"\d big_orders", r"\d+ big_orders", r"\d item_summary", r"\d+ item_summary", r"\d+ item_vendors",
    r"\d+ cheap",
    r"\d invoice_seq", r"\d+ invoice_seq", r"\d customers_id_seq", r"\d items_id_seq", r"\d ticket_seq",
    r"\d products_code_idx", r"\d+ products_code_idx", r"\d orders_pkey", r"\d customers_email_key",
    r"\d items_title_idx",
    r"\dt", r"\di", r"\dv", r"\ds", r"\dn+", r"\dx",
    r"\d nosuch",
]
SIZED_COMMANDS = [r"\dt+", r"\di+", r"\dv+", r"\ds+", r"\dt+ shop.*"]

# catalog relations and functions, by object name
QUERIES = [
    """SELECT c.relname, r.conname, r.contype, pg_get_constraintdef(r.oid), pg_get_constraintdef(r.oid, true),
              r.conkey, r.confkey, r.confupdtype, r.confdeltype, r.confmatchtype, r.convalidated,
              (SELECT relname FROM pg_class WHERE oid = r.conindid) AS conindex,
              (SELECT relname FROM pg_class WHERE oid = r.confrelid) AS confrel,
              pg_get_expr(r.conbin, r.conrelid), pg_get_expr(r.conbin, r.conrelid, true)
       FROM pg_constraint r JOIN pg_class c ON c.oid = r.conrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'shop') ORDER BY 1, 2""",
    """SELECT c.relname, a.attname, a.atthasdef, pg_get_expr(d.adbin, d.adrelid),
              pg_get_expr(d.adbin, d.adrelid, true)
       FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
       JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum ORDER BY 1, 2""",
    "SELECT schemaname, viewname, viewowner, definition FROM pg_views "
    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 2",
    "SELECT c.relname, pg_get_viewdef(c.oid), pg_get_viewdef(c.oid, true), pg_get_viewdef(c.relname::text, true) "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'v' AND n.nspname = 'public' ORDER BY 1",
    "SELECT * FROM pg_indexes WHERE schemaname IN ('public', 'shop') ORDER BY indexname",
    """SELECT c.relname, pg_get_indexdef(i.indexrelid), pg_get_indexdef(i.indexrelid, 0, true),
              pg_get_indexdef(i.indexrelid, 1, true), pg_get_indexdef(i.indexrelid, 2, false)
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname IN ('public', 'shop') ORDER BY 1""",
    "SELECT * FROM pg_sequences ORDER BY sequencename",
    """SELECT c.relname, s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache,
              s.seqcycle FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid ORDER BY 1""",
    "SELECT * FROM pg_tables WHERE schemaname IN ('public', 'shop') ORDER BY tablename",
    "SELECT pg_get_serial_sequence('customers', 'id'), pg_get_serial_sequence('public.items', 'id'), "
    "pg_get_serial_sequence('customers', 'email'), pg_get_serial_sequence('\"orders\"', 'id')",
    """SELECT coalesce(c.relname, n.nspname, k.conname) AS object, d.objsubid, d.description,
              d.classoid = 'pg_class'::regclass AS on_class
       FROM pg_description d LEFT JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
       LEFT JOIN pg_namespace n ON n.oid = d.objoid AND d.classoid = 'pg_namespace'::regclass
       LEFT JOIN pg_constraint k ON k.oid = d.objoid AND d.classoid = 'pg_constraint'::regclass
       WHERE coalesce(c.relname, n.nspname, k.conname) IS NOT NULL ORDER BY 1, 2""",
    """SELECT c.relname, obj_description(c.oid, 'pg_class'), obj_description(c.oid), col_description(c.oid, 2)
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname IN ('public', 'shop') ORDER BY 1""",
    "SELECT obj_description(n.oid, 'pg_namespace'), n.nspname FROM pg_namespace n "
    "WHERE nspname IN ('public', 'shop') ORDER BY 2",
    """SELECT c.relname AS seq, r.relname AS tab, a.attname, d.deptype
       FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
       JOIN pg_class r ON r.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum = d.refobjsubid
       WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND c.relkind = 'S'
       ORDER BY 1""",
    """SELECT c.relname, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), a.attstorage
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'i' AND n.nspname IN ('public', 'shop') ORDER BY 1, 3""",
    "SELECT c.relname, r.rulename, r.ev_type, r.is_instead FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1",
    "SELECT c.relname, c.relhastriggers, c.relchecks, c.relhasindex, c.relhasrules FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'shop') ORDER BY 1",
    "SELECT count(*) FROM pg_inherits",
    "SELECT spcname FROM pg_tablespace ORDER BY 1",
    "SELECT extname, extversion FROM pg_extension",
    "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal",
]

# the environment both psql runs share (no user settings, a fixed locale and time zone)
ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "PGTZ": "UTC", "PGDATESTYLE": "ISO, MDY"}


@pytest.fixture(scope="module")
def srv(module_server_factory):
    require_engine()
    s = module_server_factory("-U", "postgres")  # named as in the PostgreSQL 15 it is compared with
    s.superuser = "postgres"
    return s


def _psql(target, db: str, *args: str, sql_input: str | None = None) -> subprocess.CompletedProcess:
    cmd = [require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(target.port), "-U", "postgres", "-d", db,
           *args]
    return subprocess.run(cmd, input=sql_input, capture_output=True, text=True, timeout=60,
                          env={**ENV, "HOME": os.environ.get("HOME", "/root")})


@pytest.fixture(scope="module")
def databases(srv, pg15):
    """The schema in a fresh database on both servers: yields the database name."""
    db = f"describe_{uuid.uuid4().hex[:8]}"
    for target in (srv, pg15):
        r = _psql(target, "postgres", "-c", f"CREATE DATABASE {db}")
        assert r.returncode == 0, r.stderr
        r = _psql(target, db, "-q", "-v", "ON_ERROR_STOP=1", "-f", "-", sql_input=SCHEMA)
        assert r.returncode == 0, f"{target}: {r.stderr}"
    yield db
    for target in (srv, pg15):
        wait_until(lambda t=target: _psql(t, "postgres", "-c", f"DROP DATABASE {db}").returncode == 0,
                   what="drop database")


def _output(target, db: str, *args: str) -> str:
    r = _psql(target, db, *args)
    return r.stdout + "--stderr--\n" + r.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_describe_matches_postgresql_15(command, srv, pg15, databases):
    expected = _output(pg15, databases, "-c", command)
    got = _output(srv, databases, "-c", command)
    assert got == expected, f"--- pgsvc\n{got}\n--- PostgreSQL 15\n{expected}"


def without_size(output: str) -> list:
    """A psql table's cells, stripped, without the Size column (rule lines dropped)."""
    rows, size_col = [], None
    for line in output.splitlines():
        if set(line) <= set("-+"):
            continue
        if "|" not in line:
            rows.append(line.strip())
            continue
        cells = [c.strip() for c in line.split("|")]
        if size_col is None and "Size" in cells:
            size_col = cells.index("Size")
        if size_col is not None and len(cells) > size_col:
            del cells[size_col]
        rows.append(cells)
    return rows


@pytest.mark.parametrize("command", SIZED_COMMANDS)
def test_sized_lists_match_postgresql_15_but_for_sizes(command, srv, pg15, databases):
    expected = _output(pg15, databases, "-c", command)
    got = _output(srv, databases, "-c", command)
    assert "Size" in expected
    assert without_size(got) == without_size(expected), f"--- pgsvc\n{got}\n--- PostgreSQL 15\n{expected}"


@pytest.mark.parametrize("number", range(len(QUERIES)))
def test_catalog_content_matches_postgresql_15(number, srv, pg15, databases):
    sql = QUERIES[number]
    expected = _output(pg15, databases, "-c", sql)
    got = _output(srv, databases, "-c", sql)
    assert got == expected, f"{sql}\n--- pgsvc\n{got}\n--- PostgreSQL 15\n{expected}"


def test_comment_removal_and_errors_match_postgresql_15(srv, pg15):
    """COMMENT ... IS NULL / '' removes a comment (public's built-in one too); errors as PostgreSQL's."""
    script = """
        CREATE TABLE cm (a int CONSTRAINT cm_a CHECK (a > 0));
        CREATE VIEW cmv AS SELECT a FROM cm;
        COMMENT ON TABLE cm IS 'x';
        COMMENT ON TABLE cm IS '';
        COMMENT ON SCHEMA public IS NULL;
        SELECT obj_description('cm'::regclass, 'pg_class'), obj_description('public'::regnamespace, 'pg_namespace');
        COMMENT ON TABLE cmv IS 'no';
        COMMENT ON VIEW cm IS 'no';
        COMMENT ON INDEX cm IS 'no';
        COMMENT ON SEQUENCE cmv IS 'no';
        COMMENT ON TABLE nosuch IS 'no';
        COMMENT ON COLUMN cm.nosuch IS 'no';
        COMMENT ON CONSTRAINT nosuch ON cm IS 'no';
        COMMENT ON SCHEMA nosuch IS 'no';
        COMMENT ON CONSTRAINT cm_a ON cm IS 'positive';
        ALTER TABLE cm DROP CONSTRAINT cm_a;
        SELECT count(*) FROM pg_description WHERE description = 'positive';
    """
    db = f"comments_{uuid.uuid4().hex[:8]}"
    outputs = []
    for target in (pg15, srv):
        assert _psql(target, "postgres", "-c", f"CREATE DATABASE {db}").returncode == 0
        try:
            outputs.append(_psql(target, db, "-v", "ON_ERROR_STOP=0", "-f", "-",
                                 sql_input="\n".join(x.strip() for x in script.splitlines())))
        finally:
            wait_until(lambda t=target: _psql(t, "postgres", "-c", f"DROP DATABASE {db}").returncode == 0,
                       what="drop database")
    expected, got = (o.stdout + o.stderr for o in outputs)
    assert got == expected, f"--- pgsvc\n{got}\n--- PostgreSQL 15\n{expected}"
