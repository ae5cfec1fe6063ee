"""CREATE TYPE's shell and base forms (commands.ddl.user_types.define_base_type): pgsvc has
no base types (their I/O functions are C or internal functions), but gives PostgreSQL 15's own
errors wherever PostgreSQL has one — a role that is not superuser, a schema that does not
exist, a name taken by a type or a table's row type, a base form without its shell type
(42704 with PostgreSQL's hint) — compared with PostgreSQL at run time. The shell form itself,
which PostgreSQL accepts, is refused with 0A000 and creates nothing.
"""

from __future__ import annotations

import psycopg
import pytest
from test_compare_pg15 import run_script  # psql side by side, as its cases run

SCRIPT = r"""
CREATE ROLE bt_nosu;
SET ROLE bt_nosu;
CREATE TYPE bt_x;
CREATE TYPE bt_x (INPUT = a, OUTPUT = b);
RESET ROLE;
DROP ROLE bt_nosu;
CREATE TYPE int4 (INPUT = a, OUTPUT = b);
CREATE TYPE pg_catalog.text (INPUT = a, OUTPUT = b);
CREATE TYPE nosuchschema.bt_y (INPUT = a, OUTPUT = b);
CREATE TABLE bt_t (a int);
CREATE TYPE bt_t;
CREATE TYPE bt_t (INPUT = a, OUTPUT = b);
CREATE TYPE _bt_t (INPUT = a, OUTPUT = b);
CREATE TYPE bt_mood AS ENUM ('a');
CREATE TYPE bt_mood;
CREATE TYPE bt_z (INPUT = a, OUTPUT = b, LIKE = text);
CREATE TYPE bt_z (INTERNALLENGTH = 4);
CREATE TYPE "Bt Z" (foo = 4);
BEGIN READ ONLY;
CREATE TYPE bt_z (INPUT = a, OUTPUT = b);
ROLLBACK;
DROP TABLE bt_t;
DROP TYPE bt_mood;
"""


def test_errors_as_postgres(shared_server, pg15):
    script = "\n".join(line.strip() for line in SCRIPT.strip().splitlines())
    assert run_script(shared_server, script) == run_script(pg15, script)


def test_shell_type_refused(shared_server):
    dsn = f"host=127.0.0.1 port={shared_server.port} user={shared_server.superuser} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            conn.execute("create type bt_shell")
        assert conn.execute("select count(*) from pg_type where typname = 'bt_shell'").fetchone() == (0,)
