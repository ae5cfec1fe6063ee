"""INTERSECT ALL and EXCEPT ALL side by side with PostgreSQL 15: duplicates kept min(m, n)
and max(m - n, 0) times, NULLs equal to each other, several columns, literals of the leaves
typed by the other side, rows of no columns, chains with UNION, ORDER BY and LIMIT over the result, and the
column-count error. Each psql script must print the same on both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

SETUP = """
    CREATE TABLE so_a (k int, t text);
    CREATE TABLE so_b (k int, t text);
    INSERT INTO so_a VALUES (1, 'x'), (1, 'x'), (1, 'x'), (2, 'y'), (NULL, 'z'), (NULL, 'z'), (3, NULL);
    INSERT INTO so_b VALUES (1, 'x'), (1, 'x'), (2, 'q'), (NULL, 'z'), (3, NULL), (3, NULL), (4, 'w');
"""

CASES = {
    "intersect_all": """
        SELECT k, t FROM so_a INTERSECT ALL SELECT k, t FROM so_b ORDER BY k, t;
        SELECT k FROM so_a INTERSECT ALL SELECT k FROM so_b ORDER BY k NULLS FIRST;
        SELECT t FROM so_b INTERSECT ALL SELECT t FROM so_a ORDER BY 1 DESC LIMIT 3;
        SELECT count(*) FROM (SELECT k FROM so_a INTERSECT ALL SELECT k FROM so_a) s;
        SELECT 1, 'one' INTERSECT ALL SELECT 1, 'one';
        SELECT k FROM so_a INTERSECT ALL SELECT k, t FROM so_b;
    """,
    "except_all": """
        SELECT k, t FROM so_a EXCEPT ALL SELECT k, t FROM so_b ORDER BY k, t;
        SELECT k FROM so_b EXCEPT ALL SELECT k FROM so_a ORDER BY k;
        SELECT t FROM so_a EXCEPT ALL SELECT t FROM so_b WHERE k = 1 ORDER BY t NULLS LAST;
        SELECT k FROM so_a EXCEPT ALL SELECT k FROM so_b UNION ALL SELECT 100 ORDER BY 1;
        SELECT k FROM so_a UNION ALL SELECT k FROM so_b EXCEPT ALL SELECT k FROM so_a ORDER BY 1;
        SELECT 'a' EXCEPT ALL SELECT 'b' INTERSECT ALL SELECT 'a';
        SELECT FROM so_a INTERSECT ALL SELECT FROM so_b WHERE k > 1;
        SELECT count(*) FROM (SELECT FROM so_a EXCEPT ALL SELECT FROM so_b WHERE k = 1) s;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in (SETUP + CASES[name]).strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "set_operations_all_pg15")
    got = run_script_in_fresh_database(shared_server, script, "set_operations_all_pg15")
    assert got == expected
