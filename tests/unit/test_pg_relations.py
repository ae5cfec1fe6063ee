"""pg_catalog relations (pgsvc.sql.catalog.system.relations, pg_catalog_defs) and
role-statement helpers, without a server: every relation's SQLite source yields exactly the declared PostgreSQL columns,
row makers fit their relations, stored forms of special values, option parsing errors."""

from __future__ import annotations

import math
import re

import pglast
import pytest

from pgsvc.cluster.builtin_oids import PUBLIC_SCHEMA_OID
from pgsvc.errors import SqlError
from pgsvc.sql.catalog import database as C
from pgsvc.sql.catalog.system import relations as pg_relations
from pgsvc.sql.commands.roles import collect_options
from pgsvc.sql.pg_functions.catalog_funcs import encoding_name
from pgsvc.sql.catalog.system.pg_catalog_defs import AM_ROWS, COLUMNS, DEPENDS, DYNAMIC, SHARED, STATIC, VIEWS, q, type_rows
from pgsvc.sql.types import dates as D
from pgsvc.sqlite import sqlite3


@pytest.fixture
def conn():
    c = sqlite3.connect(":memory:", isolation_level=None)
    C.ensure_schema(c)
    for name in SHARED + STATIC + DYNAMIC:
        pg_relations._create_table(c, name)
    # the engine's UDFs the views call (their results are not what these tests check)
    for fn in set(re.findall(r"\b(pgsvce_\w+)\(", " ".join(VIEWS.values()))):
        c.create_function(fn, -1, lambda *args: None)
    yield c
    c.close()


def _create_view(conn, name: str) -> None:
    for dep in DEPENDS.get(name, ()):
        if dep in VIEWS:
            _create_view(conn, dep)
    conn.execute(f"CREATE TEMP VIEW IF NOT EXISTS {q(name)} AS {VIEWS[name]}")


def test_every_relation_has_a_source():
    # (DYNAMIC and STATIC also name parts such as "pg_type$user", which are not relations)
    assert set(COLUMNS) <= set(VIEWS) | set(SHARED) | set(STATIC) | set(DYNAMIC)


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_columns_are_postgresql_columns(conn, name):
    _create_view(conn, name)
    cur = conn.execute(f"SELECT * FROM {q(name)}")
    assert [d[0] for d in cur.description] == [c for c, _ in COLUMNS[name]]


def test_static_rows_fit():
    width = len(COLUMNS["pg_type"])
    rows = type_rows()
    assert rows and all(len(r) == width for r in rows)
    assert len({r[0] for r in rows}) == len(rows)
    int4 = next(r for r in rows if r[0] == 23)
    assert int4[1:8] == ("int4", 11, 10, 4, 1, "b", "N")
    assert all(len(r) == len(COLUMNS["pg_am"]) for r in AM_ROWS)


def test_shared_rows_fit():
    authid = pg_relations._authid_rows(None, ["oid", "rolname", "rolsuper", "rolinherit", "rolcreaterole", "rolcreatedb",
                                        "rolcanlogin", "rolreplication", "rolbypassrls", "rolconnlimit",
                                        "rolpassword", "rolvaliduntil"],
                                 [(10, "postgres", 1, 1, 1, 1, 1, 1, 1, -1, None, math.inf)])
    assert all(len(r) == len(COLUMNS["pg_authid"]) for r in authid)
    assert authid[0][1] == "postgres" and authid[0][-1] == D.NOEND
    assert {"pg_monitor", "pg_database_owner"} <= {r[1] for r in authid}  # predefined roles
    members = pg_relations._members_rows(None, ["roleid", "member", "grantor", "admin_option"], [])
    assert (3374, 3373, 10, 0) in members


def test_valid_until_stored_form():
    assert pg_relations.valid_until_stored(None) is None
    assert pg_relations.valid_until_stored(946684800) == 0  # 2000-01-01 is timestamptz's zero
    assert pg_relations.valid_until_stored(math.inf) == D.NOEND
    assert pg_relations.valid_until_stored(-math.inf) == D.NOBEGIN


def test_encodings_and_catalog_relations():
    # (to_regtype & co. are pgsvc.sql.pg_functions.catalog_funcs', tested in test_catalog_functions)
    assert encoding_name(6) == "UTF8" and encoding_name(None) is None
    assert pg_relations.find("pg_catalog", "pg_class").oid == 1259 and pg_relations.find("public", "pg_class") is None


def test_role_options_conflict_like_postgresql():
    node = pglast.parse_sql("CREATE ROLE x LOGIN NOLOGIN")[0].stmt
    with pytest.raises(SqlError) as info:
        collect_options(node.options, {"canlogin"})
    assert (info.value.sqlstate, info.value.message, info.value.position) == (
        "42601", "conflicting or redundant options", 21)
    node = pglast.parse_sql("CREATE ROLE x PASSWORD 'p' CONNECTION LIMIT 2")[0].stmt
    assert collect_options(node.options, {"password", "connectionlimit"}) == {"password": "p", "connectionlimit": 2}


# --- deparsing (pgsvc.sql.deparse.printing*): stored expressions and views as PostgreSQL 15 prints them

class _Engine:
    """What the deparser reads of an engine: the catalog snapshot and the search path."""

    def __init__(self, *relations) -> None:
        self.catalog = C.Catalog(1)
        self.catalog.schemas = {"public": PUBLIC_SCHEMA_OID, "shop": 16999}
        for rel in relations:
            self.catalog.relations[(rel.schema, rel.name)] = rel
            self.catalog.by_oid[rel.oid] = rel

    def search_path(self):
        return ["public"]


def _table(oid, name, *cols, schema="public"):
    from pgsvc.sql.types import oids as O
    types = {"int": (O.INT4, -1), "numeric": (O.NUMERIC, -1), "varchar": (O.VARCHAR, 54), "text": (O.TEXT, -1),
             "char": (O.BPCHAR, 12), "bool": (O.BOOL, -1), "date": (O.DATE, -1), "int8": (O.INT8, -1)}
    return C.Relation(oid, schema, name, "r", f"{schema}.{name}",
                      attrs=[C.Attr(i + 1, n, *types[t]) for i, (n, t) in enumerate(c.split() for c in cols)])


@pytest.fixture
def engine():
    return _Engine(_table(16400, "t", "id int", "price numeric", "name varchar", "note text", "code char",
                          "ok bool", "day date", "big int8"),
                   _table(16401, "u", "id int", "t_id int", "label text"),
                   _table(16402, "v", "id int", schema="shop"))


@pytest.mark.parametrize("source, target, plain, pretty", [
    ("price > 0", None, "(price > (0)::numeric)", "price > 0::numeric"),
    ("price >= 0 AND price < 100000", None, "((price >= (0)::numeric) AND (price < (100000)::numeric))",
     "price >= 0::numeric AND price < 100000::numeric"),
    ("length(name) > 2 OR name = 'x'", None, "((length((name)::text) > 2) OR ((name)::text = 'x'::text))",
     "length(name::text) > 2 OR name::text = 'x'::text"),
    ("code IN ('a', 'b')", None, "(code = ANY (ARRAY['a'::bpchar, 'b'::bpchar]))",
     "code = ANY (ARRAY['a'::bpchar, 'b'::bpchar])"),
    ("name IN ('a', 'b')", None,
     "((name)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
     "name::text = ANY (ARRAY['a'::character varying, 'b'::character varying]::text[])"),
    ("id BETWEEN 1 AND 10", None, "((id >= 1) AND (id <= 10))", "id >= 1 AND id <= 10"),
    ("(id + 1) * 2 > id - (1 - 2)", None, "(((id + 1) * 2) > (id - (1 - 2)))", "((id + 1) * 2) > (id - (1 - 2))"),
    ("note IS NOT NULL AND NOT ok", None, "((note IS NOT NULL) AND (NOT ok))", "note IS NOT NULL AND NOT ok"),
    ("CASE WHEN id > 0 THEN note END IS NULL", None,
     "(\nCASE\n    WHEN (id > 0) THEN note\n    ELSE NULL::text\nEND IS NULL)",
     "\nCASE\n    WHEN id > 0 THEN note\n    ELSE NULL::text\nEND IS NULL"),
    ("'anon'", ("varchar", 54), "'anon'::character varying", "'anon'::character varying"),
    ("-1", ("int", -1), "'-1'::integer", "'-1'::integer"),
    ("9.99", ("numeric", -1), "9.99", "9.99"),
    ("0", ("numeric", -1), "0", "0"),
    ("1e3", ("numeric", -1), "'1000'::numeric", "'1000'::numeric"),
    ("'t'", ("bool", -1), "true", "true"),
    ("now()", ("date", -1), "now()", "now()"),
    ("CURRENT_DATE", ("date", -1), "CURRENT_DATE", "CURRENT_DATE"),
    ("'2020-1-2'", ("date", -1), "'2020-01-02'::date", "'2020-01-02'::date"),
    ("nextval('t_id_seq'::regclass)", ("int8", -1), "nextval('t_id_seq'::regclass)",
     "nextval('t_id_seq'::regclass)"),
    ("10000000000", ("int8", -1), "'10000000000'::bigint", "'10000000000'::bigint"),
])
def test_stored_expressions_print_as_postgresql(engine, source, target, plain, pretty):
    from pgsvc.sql.pg_functions import describe as SD
    from pgsvc.sql.types import oids as O
    if target is None:
        stored = SD.node_check(engine, source, 16400)
    else:
        oid = {"varchar": O.VARCHAR, "int": O.INT4, "numeric": O.NUMERIC, "bool": O.BOOL, "date": O.DATE,
               "int8": O.INT8}[target[0]]
        stored = SD.node_default(engine, source, 16400, oid, target[1])
    assert stored == plain
    # pg_get_expr reads the stored (normalised) text back: the same text, or its pretty form
    assert SD.get_expr(engine, stored, 16400, False) == plain
    assert SD.get_expr(engine, stored, 16400, True) == pretty


def test_check_keys_are_the_columns_read(engine):
    from pgsvc.sql.pg_functions import describe as SD
    assert SD.check_keys(engine, "price > 0 AND length(note) < id", 16400) == "[1, 2, 4]"
    assert SD.check_keys(engine, "unparsable (", 16400) == "[]"


def test_view_queries_print_as_postgresql(engine):
    import pglast

    from pgsvc.sql.deparse.query import analyze_select, query_text
    from pgsvc.sql.pg_functions.describe import analyzer_for

    def viewdef(sql, pretty=True, names=None):
        q = analyze_select(analyzer_for(engine), pglast.parse_sql(sql)[0].stmt)
        return query_text(engine, q, pretty, 0, names) + ";"
    assert viewdef("SELECT o.id, u.label FROM t o JOIN u ON u.t_id = o.id WHERE o.price > 10") == (
        " SELECT o.id,\n    u.label\n   FROM t o\n     JOIN u ON u.t_id = o.id\n  WHERE o.price > 10::numeric;")
    assert viewdef("SELECT o.id, u.label FROM t o JOIN u ON u.t_id = o.id WHERE o.price > 10", False) == (
        " SELECT o.id,\n    u.label\n   FROM (t o\n     JOIN u ON ((u.t_id = o.id)))\n"
        "  WHERE (o.price > (10)::numeric);")
    assert viewdef("SELECT * FROM shop.v") == " SELECT v.id\n   FROM shop.v;"
    assert viewdef("SELECT id FROM t", names=["ident"]) == " SELECT t.id AS ident\n   FROM t;"
    assert viewdef("SELECT code, count(*) FROM t GROUP BY code ORDER BY count(*) DESC") == (
        " SELECT t.code,\n    count(*) AS count\n   FROM t\n  GROUP BY t.code\n  ORDER BY (count(*)) DESC;")
    assert viewdef("SELECT id FROM t WHERE EXISTS (SELECT 1 FROM t WHERE id = 2)") == (
        " SELECT t.id\n   FROM t\n  WHERE (EXISTS ( SELECT 1\n           FROM t t_1\n          WHERE t_1.id = 2));")
    assert viewdef("SELECT id FROM t UNION SELECT id FROM u") == (
        " SELECT t.id\n   FROM t\nUNION\n SELECT u.id\n   FROM u;")
    assert viewdef("SELECT id, label FROM t JOIN u USING (id)") == (
        " SELECT t.id,\n    u.label\n   FROM t\n     JOIN u USING (id);")
    assert viewdef("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r") == (
        " WITH RECURSIVE r(n) AS (\n         SELECT 1 AS \"?column?\"\n        UNION ALL\n         SELECT r_1.n + 1\n"
        "           FROM r r_1\n          WHERE r_1.n < 3\n        )\n SELECT r.n\n   FROM r;")
    assert viewdef("SELECT id, rank() OVER (PARTITION BY code ORDER BY price DESC) FROM t") == (
        " SELECT t.id,\n    rank() OVER (PARTITION BY t.code ORDER BY t.price DESC) AS rank\n   FROM t;")
    assert viewdef("VALUES (1, 'a'), (2, NULL)") == " VALUES (1,'a'::text), (2,NULL::text);"
    assert viewdef("SELECT x.p FROM u AS x(p)") == " SELECT x.p\n   FROM u x(p, t_id, label);"
