"""Window frames side by side with PostgreSQL 15: ROWS / GROUPS / RANGE offsets written as
literals, casts and negated constants (folded, since SQLite evaluates no function in a frame
offset), offsets cast as PostgreSQL assigns them (2.5 rows is 3), RANGE over integer and float
columns (infinite offsets included), the errors PostgreSQL gives for negative and NaN
offsets, for an offset type without an in_range function, for RANGE with several ORDER BY
columns and for GROUPS without ORDER BY, and lag/lead whose default widens the result type
(anycompatible: lag(int, 1, 0.5) is numeric). Each psql script must print the same on both
servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

SETUP = """
    CREATE TABLE wf (id int, g int, f float8, r real);
    INSERT INTO wf SELECT i, i % 3, i * 0.75, i / 4.0 FROM generate_series(1, 9) i;
"""

CASES = {
    "rows_and_groups_offsets": """
        SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING) FROM wf ORDER BY id;
        SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN 1::int2 PRECEDING AND 3::int8 FOLLOWING) FROM wf ORDER BY id;
        SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN 2.5 PRECEDING AND 0.4 FOLLOWING) FROM wf ORDER BY id;
        SELECT id, g, sum(id) OVER (ORDER BY g GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE TIES)
          FROM wf ORDER BY g, id;
        SELECT id, count(*) OVER (ORDER BY id ROWS '2' PRECEDING) FROM wf ORDER BY id;
        SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM wf;
        SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND -(2) FOLLOWING) FROM wf;
        SELECT id, sum(id) OVER (ORDER BY g GROUPS BETWEEN 1 PRECEDING AND -1::int8 FOLLOWING) FROM wf;
        SELECT id, sum(id) OVER (PARTITION BY g GROUPS 1 PRECEDING) FROM wf;
    """,
    "range_offsets": """
        SELECT id, sum(id) OVER (ORDER BY id RANGE BETWEEN 2 PRECEDING AND 1 PRECEDING) FROM wf ORDER BY id;
        SELECT g, id, count(*) OVER (ORDER BY g DESC RANGE BETWEEN 1 PRECEDING AND 0 FOLLOWING) FROM wf ORDER BY g DESC, id;
        SELECT f, sum(id) OVER (ORDER BY f RANGE BETWEEN 1.5 PRECEDING AND 0.5::float8 FOLLOWING) FROM wf ORDER BY f;
        SELECT r, count(*) OVER (ORDER BY r RANGE BETWEEN 'infinity' PRECEDING AND 0.25 FOLLOWING) FROM wf ORDER BY r;
        SELECT f, count(*) OVER (ORDER BY f DESC RANGE BETWEEN CURRENT ROW AND 'inf' FOLLOWING) FROM wf ORDER BY f DESC;
        SELECT id, count(*) OVER (ORDER BY id, id RANGE 1 PRECEDING) FROM wf ORDER BY id;
        SELECT id, sum(id) OVER (ORDER BY id RANGE BETWEEN -1 PRECEDING AND CURRENT ROW) FROM wf;
        SELECT f, sum(id) OVER (ORDER BY f RANGE BETWEEN 'nan' PRECEDING AND CURRENT ROW) FROM wf;
        SELECT id, count(*) OVER (ORDER BY id, g RANGE 1 PRECEDING) FROM wf;
        SELECT id, count(*) OVER (RANGE 1 PRECEDING) FROM wf;
    """,
    "lag_lead_default_type": """
        SELECT id, lag(id, 1, 0.5) OVER (ORDER BY id), pg_typeof(lag(id, 1, 0.5) OVER (ORDER BY id)) FROM wf
          ORDER BY id LIMIT 3;
        SELECT id, lead(g * 2, 2, -1.25) OVER (PARTITION BY g ORDER BY id) FROM wf ORDER BY g, id;
        SELECT id, lag(f, 1, 7) OVER (ORDER BY id), lead(id, 1, 99::bigint) OVER (ORDER BY id) FROM wf ORDER BY id;
        SELECT lag(id, 1, 'none'::text) OVER (ORDER BY id) FROM wf;
        SELECT lag(id, 1, '5') OVER (ORDER BY id) FROM wf ORDER BY id LIMIT 2;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in (SETUP + CASES[name]).strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "window_frames_pg15")
    got = run_script_in_fresh_database(shared_server, script, "window_frames_pg15")
    assert got == expected
