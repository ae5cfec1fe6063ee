"""pg_db_role_setting in the shared catalog (pgsvc.cluster.global_catalog): an older data
directory gets the table when opened; rows per (database, role); what a login reads, most
specific first; DROP ROLE / DROP DATABASE take their rows."""

from __future__ import annotations


from pgsvc.cluster.global_catalog import GlobalCatalog
from pgsvc.cluster.layout import Layout
from pgsvc.sqlite import sqlite3


def old_catalog(tmp_path) -> Layout:
    """A shared catalog as made before pg_db_role_setting existed (roles and databases only)."""
    (tmp_path / "global").mkdir()
    layout = Layout(str(tmp_path))
    conn = sqlite3.connect(layout.global_catalog)
    conn.executescript("CREATE TABLE pg_authid (oid INTEGER PRIMARY KEY, rolname TEXT);"
                       "CREATE TABLE pg_database (oid INTEGER PRIMARY KEY, datname TEXT);"
                       "CREATE TABLE pg_auth_members (roleid INTEGER, member INTEGER);")
    conn.close()
    return layout


def test_older_catalog_gets_the_table_on_open(tmp_path):
    layout = old_catalog(tmp_path)
    cat = GlobalCatalog(layout)
    try:
        assert cat.rows("pg_db_role_setting") == (["setdatabase", "setrole", "setconfig"], [])
        assert cat.login_settings(5, 16384) == []
    finally:
        cat.close()


def test_rows_login_order_and_removal(tmp_path):
    cat = GlobalCatalog(old_catalog(tmp_path))
    try:
        cat.set_db_role_setting(0, 0, ["work_mem=1MB"])
        cat.set_db_role_setting(5, 0, ["search_path=db"])
        cat.set_db_role_setting(0, 16384, ["search_path=role", "DateStyle=SQL, DMY"])
        cat.set_db_role_setting(5, 16384, ["statement_timeout=7s"])
        assert cat.db_role_setting(0, 16384) == ["search_path=role", "DateStyle=SQL, DMY"]
        assert cat.db_role_setting(4, 16384) is None
        assert [source for source, _ in cat.login_settings(5, 16384)] == \
            ["database user", "user", "database", "global"]
        assert cat.login_settings(4, 16385) == [("global", ["work_mem=1MB"])]
        cat.set_db_role_setting(5, 0, [])  # an emptied list is no row, as in PostgreSQL
        assert cat.db_role_setting(5, 0) is None
        cat.delete_role(16384)
        assert cat.db_role_setting(5, 16384) is None and cat.db_role_setting(0, 16384) is None
        cat.set_db_role_setting(5, 0, ["search_path=db"])
        cat.delete_database(5)
        assert cat.rows("pg_db_role_setting")[1] == [(0, 0, '["work_mem=1MB"]')]
    finally:
        cat.close()
