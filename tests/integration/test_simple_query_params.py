"""$n in a simple query, side by side with PostgreSQL 15: a simple query's statements have no
parameters (PostgreSQL's parse_analyze_fixedparams), so $1 there is 42P02 "there is no
parameter $1" pointing at it (pgsvc said 08P01 "bind message supplies 0 parameters"), also
in a statement translated after the ones before it ran; PREPARE, SQL and PL/pgSQL function
bodies keep theirs. Through the extended protocol (psycopg) parameters are what they were.
Expected output comes from PostgreSQL at run time.
"""

from __future__ import annotations

import psycopg
from test_compare_pg15 import run_script  # psql side by side, as its cases run

SCRIPT = r"""
SELECT $1;
SELECT 1 + $2;
SELECT concat($1, $2);
PREPARE pz(int) AS SELECT $1 + 1;
EXECUTE pz(41);
DEALLOCATE pz;
PREPARE pz2 AS SELECT $1::int + 1;
EXECUTE pz2(1);
DEALLOCATE pz2;
CREATE FUNCTION sq_f(int) RETURNS int LANGUAGE sql AS 'select $1 + 1';
SELECT sq_f(1);
CREATE FUNCTION sq_g(a int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN $1 + 1; END $$;
SELECT sq_g(1);
DO $$ BEGIN PERFORM $1; END $$;
DROP FUNCTION sq_f(int); DROP FUNCTION sq_g(int);
CREATE TABLE sq_t (a int); INSERT INTO sq_t VALUES ($1);
SELECT 'x' WHERE 1 = $1;
DROP TABLE sq_t;
"""


def test_simple_query_as_postgres(shared_server, pg15):
    script = "\n".join(line.strip() for line in SCRIPT.strip().splitlines())
    assert run_script(shared_server, script) == run_script(pg15, script)


def _extended(srv) -> list:
    out = []
    with psycopg.connect(f"host=127.0.0.1 port={srv.port} user={srv.superuser} dbname=postgres",
                         autocommit=True) as conn:
        out.append(conn.execute("select %s::int + 1", [1]).fetchone())
        out.append(conn.execute("select concat(%s::text, %s::text)", ["a", "b"]).fetchone())
        try:
            conn.execute("select $1")
        except psycopg.Error as e:
            out.append((e.sqlstate, e.diag.message_primary))
    return out


def test_extended_protocol_unchanged(shared_server, pg15):
    assert _extended(shared_server) == _extended(pg15)
