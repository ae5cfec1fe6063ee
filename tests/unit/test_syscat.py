"""pg_catalog relations (pgsvc.sql.syscat, syscat_defs) and role-statement helpers, without
a server: every relation's SQLite source yields exactly the declared PostgreSQL columns,
row makers fit their relations, stored forms of special values, option parsing errors."""

from __future__ import annotations

import math
import re
import sqlite3

import pglast
import pytest

from pgsvc.errors import SqlError
from pgsvc.sql import catalog as C
from pgsvc.sql import syscat
from pgsvc.sql.roles import collect_options
from pgsvc.sql.syscat_defs import AM_ROWS, COLUMNS, DEPENDS, DYNAMIC, SHARED, STATIC, VIEWS, q, type_rows
from pgsvc.sql.types import dates as D


@pytest.fixture
def conn():
    c = sqlite3.connect(":memory:", isolation_level=None)
    C.ensure_schema(c)
    for name in SHARED + STATIC + DYNAMIC:
        syscat._create_table(c, name)
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
    authid = syscat._authid_rows(None, ["oid", "rolname", "rolsuper", "rolinherit", "rolcreaterole", "rolcreatedb",
                                        "rolcanlogin", "rolreplication", "rolbypassrls", "rolconnlimit",
                                        "rolpassword", "rolvaliduntil"],
                                 [(10, "postgres", 1, 1, 1, 1, 1, 1, 1, -1, None, math.inf)])
    assert all(len(r) == len(COLUMNS["pg_authid"]) for r in authid)
    assert authid[0][1] == "postgres" and authid[0][-1] == D.NOEND
    assert {"pg_monitor", "pg_database_owner"} <= {r[1] for r in authid}  # predefined roles
    members = syscat._members_rows(None, ["roleid", "member", "grantor", "admin_option"], [])
    assert (3374, 3373, 10, 0) in members


def test_valid_until_stored_form():
    assert syscat.valid_until_stored(None) is None
    assert syscat.valid_until_stored(946684800) == 0  # 2000-01-01 is timestamptz's zero
    assert syscat.valid_until_stored(math.inf) == D.NOEND
    assert syscat.valid_until_stored(-math.inf) == D.NOBEGIN


def test_encodings_and_regtype():
    assert syscat.encoding_name(6) == "UTF8" and syscat.encoding_name(None) is None
    assert syscat.to_regtype("integer") == 23 and syscat.to_regtype("no such type") is None
    assert syscat.find("pg_catalog", "pg_class").oid == 1259 and syscat.find("public", "pg_class") is None


def test_role_options_conflict_like_postgresql():
    node = pglast.parse_sql("CREATE ROLE x LOGIN NOLOGIN")[0].stmt
    with pytest.raises(SqlError) as info:
        collect_options(node.options, {"canlogin"})
    assert (info.value.sqlstate, info.value.message, info.value.position) == (
        "42601", "conflicting or redundant options", 21)
    node = pglast.parse_sql("CREATE ROLE x PASSWORD 'p' CONNECTION LIMIT 2")[0].stmt
    assert collect_options(node.options, {"password", "connectionlimit"}) == {"password": "p", "connectionlimit": 2}
