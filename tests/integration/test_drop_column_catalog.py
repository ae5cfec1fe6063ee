"""Columns dropped with ALTER TABLE ... DROP COLUMN, side by side with PostgreSQL 15.

PostgreSQL keeps a dropped column's pg_attribute row (attisdropped, named
........pg.dropped.N........, atttypid 0) and never reuses its attnum: a later ADD COLUMN
takes the next number. pg_dump 15 requires attnums 1..N ("invalid column numbering in
table" otherwise). The same history is built in a pgsvc database and a PostgreSQL 15 one;
pg_attribute, pg_class.relnatts, the readers of attnums (pg_index.indkey,
pg_constraint.conkey, pg_attrdef.adnum, information_schema.columns.ordinal_position),
psql's \\d, COPY and both dumps (pg_dump 15 and pgsvc dump) must print the same, and the
dump must restore into PostgreSQL 15 as the source was. The queries run under
search_path = '' too, as pg_dump's scripts do. A column dropped from a table that a
foreign key with ON DELETE CASCADE references leaves the referencing rows alone.
"""

from __future__ import annotations

import pytest

from test_dump import Side, create_database, pgsvc_dump, unique
from test_pg_dump import fresh_pg, pg_dump, same_script, text

HISTORY = r"""
CREATE SCHEMA dc;
CREATE TABLE dc.parent (id integer PRIMARY KEY, label text UNIQUE);
CREATE TABLE dc.t (
    a integer PRIMARY KEY,
    gone text DEFAULT 'x',
    c numeric(5,2) NOT NULL CHECK (c > 0),
    also_gone integer,
    d text DEFAULT 'dflt',
    p integer REFERENCES dc.parent (id) ON DELETE CASCADE
);
INSERT INTO dc.parent VALUES (1, 'one'), (2, 'two');
INSERT INTO dc.t VALUES (1, 'g', 1.5, 10, 'one', 1), (2, NULL, 2.25, 20, DEFAULT, 2);
ALTER TABLE dc.t DROP COLUMN gone;
ALTER TABLE dc.t DROP COLUMN also_gone;
CREATE INDEX t_d_idx ON dc.t (d, c);
ALTER TABLE dc.t ADD COLUMN e integer DEFAULT 7;
ALTER TABLE dc.t ADD COLUMN f serial;
ALTER TABLE dc.t DROP COLUMN f;
ALTER TABLE dc.t ADD COLUMN g varchar(10) NOT NULL DEFAULT 'g';
ALTER TABLE dc.t ADD COLUMN h integer GENERATED ALWAYS AS IDENTITY;
ALTER TABLE dc.t ADD CONSTRAINT t_g_h UNIQUE (g, h);
COPY dc.t (a, c, d, p, e, g) FROM stdin;
3	3.75	three	2	30	gg
\.
CREATE TABLE dc.other (x integer, y text, z integer);
ALTER TABLE dc.other DROP COLUMN x;
ALTER TABLE dc.other ADD COLUMN x text;
INSERT INTO dc.other VALUES ('y', 1, 'x');
ALTER TABLE dc.parent DROP COLUMN label;
ALTER TABLE dc.parent ADD COLUMN label text;
"""

CATALOG = [
    "SELECT attname, attnum, atttypid, attlen, attbyval, attalign, attstorage, attnotnull, atthasdef, "
    "attisdropped, attstattarget, attidentity, attgenerated FROM pg_catalog.pg_attribute "
    "WHERE attrelid IN ('dc.t'::pg_catalog.regclass, 'dc.other'::pg_catalog.regclass, "
    "'dc.parent'::pg_catalog.regclass) AND attnum > 0 "
    "ORDER BY attrelid::pg_catalog.regclass::text, attnum",
    "SELECT relname, relnatts FROM pg_catalog.pg_class WHERE relnamespace = 'dc'::pg_catalog.regnamespace "
    "AND relkind = 'r' ORDER BY relname",
    "SELECT c.relname, i.indkey::text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c "
    "ON c.oid = i.indexrelid WHERE i.indrelid = 'dc.t'::pg_catalog.regclass ORDER BY c.relname",
    "SELECT conname, conkey::text, confkey::text FROM pg_catalog.pg_constraint "
    "WHERE conrelid = 'dc.t'::pg_catalog.regclass ORDER BY conname",
    "SELECT adnum, pg_catalog.pg_get_expr(adbin, adrelid) FROM pg_catalog.pg_attrdef "
    "WHERE adrelid = 'dc.t'::pg_catalog.regclass ORDER BY adnum",
    "SELECT column_name, ordinal_position, column_default, is_nullable FROM information_schema.columns "
    "WHERE table_schema = 'dc' ORDER BY table_name, ordinal_position",
    r"\d dc.t",
    r"\d dc.other",
    "COPY dc.t TO stdout",
    "COPY dc.other TO stdout",
    "SELECT * FROM dc.t ORDER BY a",
    "SELECT * FROM dc.parent ORDER BY id",
]


@pytest.fixture(scope="module")
def srv(postgres_superuser_server):
    return postgres_superuser_server


@pytest.fixture(scope="module")
def sides(srv, pg15):
    """(pgsvc database, PostgreSQL 15 database): the same name and the same history."""
    name = unique("dropcol")
    out = []
    for port in (srv.port, pg15.port):
        side = create_database(Side(port, "postgres", "postgres"), name)
        side.run(HISTORY)
        out.append(side)
    return tuple(out)


@pytest.mark.parametrize("search_path", ["public", "''"])
def test_catalog_after_drop_and_add_column_as_postgres(sides, search_path):
    svc, ref = sides
    queries = [f"SET search_path = {search_path}", *CATALOG]
    assert svc.out(*queries) == ref.out(*queries)


def test_added_column_takes_the_next_attnum_after_a_dropped_last_one(sides):
    """DROP of the last column, then ADD: the new column's attnum is past the dropped one."""
    for side in sides:
        side.run("CREATE TABLE dc.lastdrop (a int, b int); ALTER TABLE dc.lastdrop DROP COLUMN b; "
                 "ALTER TABLE dc.lastdrop ADD COLUMN c int;")
    query = ("SELECT attnum, attname, attisdropped FROM pg_catalog.pg_attribute "
             "WHERE attrelid = 'dc.lastdrop'::pg_catalog.regclass AND attnum > 0 ORDER BY attnum")
    svc, ref = sides
    assert svc.out(query) == ref.out(query)
    assert "pg.dropped.2" in svc.out(query)
    for side in sides:
        side.run("DROP TABLE dc.lastdrop;")


@pytest.mark.parametrize("options", [[], ["-s"], ["-a"], ["--column-inserts"]])
def test_pg_dump_of_a_table_with_dropped_columns_as_postgres(sides, options):
    svc, ref = sides
    assert text(pg_dump(svc, *options).stdout) == text(pg_dump(ref, *options).stdout)


def test_dump_restores_into_postgres_as_the_source(sides, pg15, tmp_path):
    """pg_dump 15 of pgsvc and pgsvc dump: one script; restored into PostgreSQL 15 (the
    script sets search_path = ''), the tables print as the source's; rows, \\d and the
    identity's next value."""
    svc, ref = sides
    dumped = pg_dump(svc).stdout
    script = tmp_path / "pgsvc.sql"
    pgsvc_dump(svc, "-f", str(script))
    assert same_script(script.read_text()) == same_script(dumped)
    target = fresh_pg(pg15)
    target.load(script)
    restored = ["SELECT * FROM dc.t ORDER BY a", "COPY dc.t TO stdout", r"\d dc.t", r"\d dc.other",
                "COPY dc.other TO stdout",
                "INSERT INTO dc.t (a, c, p) VALUES (9, 9, 1) RETURNING *"]
    assert target.out(*restored) == ref.out(*restored)
    ref.run("DELETE FROM dc.t WHERE a = 9;")
