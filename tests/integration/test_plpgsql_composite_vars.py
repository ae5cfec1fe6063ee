"""PL/pgSQL variables of a composite type made by CREATE TYPE ... AS (...), side by side with
PostgreSQL 15: they are records of the type's shape (a field assigned with `v.f := x`, the
whole variable from ROW(...), printed by RAISE under the session's DateStyle, returned as the
type). Expected output comes from PostgreSQL at run time.
"""

from __future__ import annotations

from test_compare_pg15 import run_script  # psql side by side, as its cases run

SCRIPT = r"""
CREATE TYPE pcv_state AS (total bigint, count bigint);
CREATE TYPE pcv_d AS (d date, n int);
CREATE FUNCTION pcv_step(n int) RETURNS pcv_state LANGUAGE plpgsql AS $$
DECLARE s pcv_state;
BEGIN
  s.total := n;
  s.count := 1;
  s.total := s.total + 10;
  RETURN s;
END $$;
SELECT pcv_step(5), pg_typeof(pcv_step(5));
CREATE FUNCTION pcv_row(n int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r pcv_state; t record;
BEGIN
  r := ROW(1, 2);
  r.count := r.count + n;
  SELECT 5 AS a, 6 AS b INTO t;
  RETURN r::text || t::text || coalesce(r.total::text, 'null');
END $$;
SELECT pcv_row(3);
SET DateStyle = 'SQL, DMY';
DO $$ DECLARE e pcv_d; BEGIN e := ROW('2020-05-06', 2); RAISE NOTICE 'e=% et=% ed=%', e, e::text, e.d; END $$;
DO $$ DECLARE e pcv_d; BEGIN e.d := '2020-05-06'; RAISE NOTICE 'e=% n=%', e, e.n; END $$;
RESET DateStyle;
DROP FUNCTION pcv_step(int);
DROP FUNCTION pcv_row(int);
DROP TYPE pcv_state;
DROP TYPE pcv_d;
"""


def test_composite_variables_as_postgres(shared_server, pg15):
    script = "\n".join(line.strip() for line in SCRIPT.strip().splitlines())
    expected = run_script(pg15, script)
    got = run_script(shared_server, script)
    assert got == expected
