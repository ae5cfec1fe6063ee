"""PL/pgSQL variables and parameters of a composite type made by CREATE TYPE ... AS (...), side by side with
PostgreSQL 15: they are records of the type's shape (a field assigned with `v.f := x`, the
whole variable from ROW(...), printed by RAISE under the session's DateStyle, returned as the
type). Expected output comes from PostgreSQL at run time.
"""

from __future__ import annotations

from test_compare_pg15 import run_script_in_fresh_database  # psql side by side, as its cases run

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
    expected = run_script_in_fresh_database(pg15, script, "plpgsql_composite_va_case")
    got = run_script_in_fresh_database(shared_server, script, "plpgsql_composite_va_case")
    assert got == expected


PARAM_SCRIPT = r"""
CREATE TYPE pcv_avg AS (total bigint, count bigint);
CREATE FUNCTION pcv_transfn(state pcv_avg, n int) RETURNS pcv_avg AS $$
DECLARE new_state pcv_avg;
BEGIN
  RAISE NOTICE 'pcv_transfn called with %', n;
  IF state IS NULL THEN
    IF n IS NOT NULL THEN
      new_state.total := n;
      new_state.count := 1;
      RETURN new_state;
    END IF;
    RETURN NULL;
  ELSIF n IS NOT NULL THEN
    state.total := state.total + n;
    state.count := state.count + 1;
    RETURN state;
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE FUNCTION pcv_finalfn(state pcv_avg) RETURNS int4 AS $$
BEGIN
  IF state IS NULL THEN RETURN NULL; ELSE RETURN state.total / state.count; END IF;
END
$$ LANGUAGE plpgsql;
CREATE AGGREGATE pcv_my_avg(int4) (stype = pcv_avg, sfunc = pcv_transfn, finalfunc = pcv_finalfn);
SELECT pcv_my_avg(one), pcv_my_avg(one) FROM (VALUES (1), (3)) t(one);
SELECT pcv_my_avg(one) FILTER (WHERE one > 1) FROM (VALUES (1), (3)) t(one);
SELECT pcv_transfn(ROW(1, 1)::pcv_avg, 5), pcv_transfn(NULL, 2);
CREATE FUNCTION pcv_line(state pcv_avg) RETURNS int AS $$
BEGIN
  state.total := 1;
  PERFORM 1/0;
  RETURN 1;
END $$ LANGUAGE plpgsql;
SELECT pcv_line(ROW(1, 1)::pcv_avg);
DROP AGGREGATE pcv_my_avg(int4);
DROP FUNCTION pcv_transfn(pcv_avg, int);
DROP FUNCTION pcv_finalfn(pcv_avg);
DROP FUNCTION pcv_line(pcv_avg);
DROP TYPE pcv_avg;
"""


def test_composite_parameter_fields_as_postgres(shared_server, pg15):
    """A composite-typed parameter's field assigned (state.total := ...), as a user
    aggregate's transition function does."""
    script = "\n".join(line.strip() for line in PARAM_SCRIPT.strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "plpgsql_composite_va_case")
    got = run_script_in_fresh_database(shared_server, script, "plpgsql_composite_va_case")
    assert got == expected
