"""WITH RECURSIVE ... SEARCH / CYCLE side by side with PostgreSQL 15: the sequence column
(depth first: an array of rows; breadth first: a row led by the depth), the cycle mark and
path columns, a cyclic graph that ends because of CYCLE, custom mark values and their common
type, the clauses' validity errors, a recursive term after a VALUES seed (SQLite refuses the
recursive term inside a sub-SELECT), and views and subqueries over such a CTE. Each psql
script must print the same on both servers; results are ordered where the order of a
recursive step's rows is the planner's choice."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

SETUP = """
    CREATE TABLE sc_edges (src int, dst int, note text);
    INSERT INTO sc_edges VALUES (10, 20, 'x'), (20, 30, 'y'), (30, 10, 'z'), (20, 40, 'w'), (40, 50, 'v');
"""

CASES = {
    "cycle_ends_a_cyclic_walk": """
        WITH RECURSIVE walk(src, dst, note) AS (
            SELECT * FROM sc_edges WHERE src = 10
            UNION ALL
            SELECT e.* FROM sc_edges e, walk w WHERE e.src = w.dst
        ) CYCLE src, dst SET looped USING trail
        SELECT src, dst, note, looped, trail FROM walk ORDER BY trail;
        WITH RECURSIVE walk(src, dst) AS (
            SELECT src, dst FROM sc_edges WHERE src = 30
            UNION
            SELECT e.src, e.dst FROM walk w JOIN sc_edges e ON e.src = w.dst
        ) CYCLE dst SET seen TO 'yes' DEFAULT 'no' USING route
        SELECT *, pg_typeof(seen) FROM walk ORDER BY route;
        WITH RECURSIVE n AS (SELECT 1 AS k UNION ALL SELECT (k % 3) + 1 FROM n) CYCLE k SET c TO 9 DEFAULT 0 USING p
        SELECT k, c, p, pg_typeof(c) FROM n ORDER BY p;
        WITH RECURSIVE same AS (SELECT 7 AS v UNION ALL SELECT * FROM same) CYCLE v SET c USING p SELECT * FROM same;
    """,
    "search_depth_and_breadth": """
        WITH RECURSIVE walk(src, dst, note) AS (
            SELECT * FROM sc_edges WHERE src = 10
            UNION ALL
            SELECT e.* FROM sc_edges e, walk w WHERE e.src = w.dst
        ) SEARCH DEPTH FIRST BY src, dst SET ord CYCLE src, dst SET looped USING trail
        SELECT src, dst, ord, looped FROM walk ORDER BY ord;
        WITH RECURSIVE walk(src, dst, note) AS (
            SELECT * FROM sc_edges WHERE src = 10
            UNION ALL
            SELECT e.* FROM sc_edges e, walk w WHERE e.src = w.dst AND w.src <> 30
        ) SEARCH BREADTH FIRST BY dst SET ord
        SELECT dst, note, ord, pg_typeof(ord) FROM walk ORDER BY ord;
        WITH RECURSIVE cnt AS (SELECT 1 AS i UNION SELECT i + 1 FROM cnt WHERE i < 4) SEARCH DEPTH FIRST BY i SET o
        SELECT * FROM cnt ORDER BY o DESC;
    """,
    "validity_errors": """
        WITH RECURSIVE w(a, b) AS (SELECT 1, 2 UNION ALL SELECT a, b FROM w WHERE a < 3) SEARCH DEPTH FIRST BY zz SET s
        SELECT * FROM w;
        WITH RECURSIVE w(a, b) AS (SELECT 1, 2 UNION ALL SELECT a, b FROM w WHERE a < 3) SEARCH DEPTH FIRST BY a, a SET s
        SELECT * FROM w;
        WITH RECURSIVE w(a, b) AS (SELECT 1, 2 UNION ALL SELECT a, b FROM w WHERE a < 3) CYCLE a SET m USING m
        SELECT * FROM w;
        WITH RECURSIVE w(a, b) AS (SELECT 1, 2 UNION ALL SELECT a, b FROM w WHERE a < 3) CYCLE b, b SET m USING p
        SELECT * FROM w;
        WITH RECURSIVE w(a, b) AS (SELECT 1, 2 UNION ALL SELECT a, b FROM w WHERE a < 3)
            SEARCH BREADTH FIRST BY a SET m CYCLE a SET m USING p SELECT * FROM w;
        WITH RECURSIVE w(a, b) AS (SELECT 1, 2 UNION ALL SELECT a, b FROM w WHERE a < 3)
            SEARCH BREADTH FIRST BY a SET p CYCLE a SET m USING p SELECT * FROM w;
        WITH w(a) AS (SELECT 1) CYCLE a SET m USING p SELECT * FROM w;
        WITH RECURSIVE w(a) AS (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT a FROM w) CYCLE a SET m USING p
        SELECT * FROM w;
        WITH RECURSIVE w(a) AS (SELECT 1 UNION ALL (SELECT 2 UNION ALL SELECT a FROM w)) CYCLE a SET m USING p
        SELECT * FROM w;
        WITH RECURSIVE w(a) AS (SELECT 1 UNION (WITH w AS (SELECT * FROM w) SELECT * FROM w)) CYCLE a SET m USING p
        SELECT * FROM w;
    """,
    "recursive_term_after_a_values_seed": """
        WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT sum(n), count(*) FROM t;
        WITH RECURSIVE t(n) AS (VALUES (1.5), (2) UNION SELECT n * 2 FROM t WHERE n < 20) SELECT * FROM t ORDER BY n;
        WITH RECURSIVE t(s, k) AS (VALUES ('a'::text, 0) UNION ALL SELECT s || 'b', k + 1 FROM t WHERE k < 3)
        SELECT * FROM t ORDER BY k;
        WITH RECURSIVE t(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM t WHERE n < 3) CYCLE n SET c USING p
        SELECT * FROM t ORDER BY p;
    """,
    "inside_other_queries": """
        CREATE TEMP VIEW sc_v AS
            WITH RECURSIVE walk(src, dst) AS (
                SELECT src, dst FROM sc_edges WHERE src = 20
                UNION ALL
                SELECT e.src, e.dst FROM sc_edges e, walk w WHERE e.src = w.dst
            ) CYCLE src SET hit USING trail
            SELECT src, dst, hit FROM walk;
        SELECT * FROM sc_v ORDER BY src, dst, hit;
        SELECT count(*), count(*) FILTER (WHERE hit) FROM sc_v;
        SELECT s.src, (SELECT max(cardinality(trail)) FROM (
            WITH RECURSIVE walk(src, dst) AS (
                SELECT src, dst FROM sc_edges WHERE src = s.src
                UNION ALL
                SELECT e.src, e.dst FROM sc_edges e, walk w WHERE e.src = w.dst
            ) CYCLE src SET hit USING trail SELECT trail FROM walk) q) AS longest
        FROM sc_edges s ORDER BY 1;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in (SETUP + CASES[name]).strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "search_cycle_pg15")
    got = run_script_in_fresh_database(shared_server, script, "search_cycle_pg15")
    assert got == expected
