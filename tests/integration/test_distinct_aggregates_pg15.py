"""Aggregates with DISTINCT side by side with PostgreSQL 15: several arguments
(string_agg(DISTINCT x, ','), json[b]_object_agg(DISTINCT k, v): SQLite's DISTINCT takes
one, and these were internal errors), PostgreSQL's order (a DISTINCT aggregate's input is
sorted by its arguments), FILTER together with DISTINCT or ORDER BY, NULLs, grouping, and
the order-insensitive ones left to SQLite. Each psql script must print the same on both."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

SETUP = """
    CREATE TABLE da (x text, n int, f float8, g int);
    INSERT INTO da VALUES ('b', 2, 1.5, 1), ('a', 10, 2.5, 1), ('c', 1, NULL, 2), ('a', 10, 2.5, 2),
        (NULL, NULL, NULL, 1), ('B', 3, -1, 2), ('b', 2, 0, 2);
"""

CASES = {
    "several_arguments": """
        SELECT string_agg(DISTINCT x, ',') FROM da;
        SELECT g, string_agg(DISTINCT x, '-') FROM da GROUP BY g ORDER BY g;
        SELECT string_agg(DISTINCT n::text, ';') FROM da;
        SELECT json_object_agg(DISTINCT x, n) FROM da WHERE x IS NOT NULL AND x <> 'b';
        SELECT jsonb_object_agg(DISTINCT x, n) FROM da WHERE x IS NOT NULL;
        SELECT string_agg(DISTINCT x, ',' ORDER BY x) FROM da;
        SELECT string_agg(DISTINCT x, ',' ORDER BY n) FROM da;
        SELECT string_agg(DISTINCT x, ',') FROM da WHERE false;
    """,
    "sorted_like_postgres": """
        SELECT array_agg(DISTINCT n), array_agg(DISTINCT f), array_agg(DISTINCT x) FROM da;
        SELECT g, array_agg(DISTINCT n) FROM da GROUP BY g ORDER BY g;
        SELECT count(DISTINCT x), sum(DISTINCT n), avg(DISTINCT f), max(DISTINCT x) FROM da;
    """,
    "with_filter": """
        SELECT string_agg(DISTINCT x, ',') FILTER (WHERE n > 1) FROM da;
        SELECT array_agg(DISTINCT x) FILTER (WHERE n < 5), array_agg(x ORDER BY n, x) FILTER (WHERE g = 1) FROM da;
        SELECT g, array_agg(DISTINCT n ORDER BY n DESC) FILTER (WHERE x <> 'a') FROM da GROUP BY g ORDER BY g;
        SELECT string_agg(x, ',' ORDER BY x) FILTER (WHERE sum(n) > 0) FROM da;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in (SETUP + CASES[name]).strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "distinct_aggregates_pg15")
    got = run_script_in_fresh_database(shared_server, script, "distinct_aggregates_pg15")
    assert got == expected
