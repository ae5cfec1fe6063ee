"""FETCH FIRST n ROWS WITH TIES side by side with PostgreSQL 15: the rows tying with the
last one kept (ascending, descending, several sort keys, with OFFSET, over DISTINCT and
GROUP BY, in a cursor and a subquery), and the error without ORDER BY. Rows that tie are
ordered by a further column in the outer query where their order is the sort's choice. Each
psql script must print the same on both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

SETUP = """
    CREATE TABLE ft (g int, v text);
    INSERT INTO ft VALUES (5, 'p'), (1, 'q'), (3, 'r'), (3, 's'), (3, 't'), (7, 'u'), (7, 'v'), (9, 'w');
"""

CASES = {
    "ties": """
        SELECT * FROM (SELECT * FROM ft ORDER BY g FETCH FIRST 3 ROWS WITH TIES) s ORDER BY g, v;
        SELECT * FROM (SELECT * FROM ft ORDER BY g DESC FETCH FIRST 2 ROWS WITH TIES) s ORDER BY g, v;
        SELECT * FROM (SELECT * FROM ft ORDER BY g OFFSET 1 ROWS FETCH NEXT 1 ROW WITH TIES) s ORDER BY g, v;
        SELECT * FROM (SELECT * FROM ft ORDER BY g OFFSET 4 FETCH NEXT 2 ROWS WITH TIES) s ORDER BY g, v;
        SELECT * FROM ft ORDER BY g, v FETCH FIRST 2 ROWS WITH TIES;
        SELECT DISTINCT g FROM ft ORDER BY g FETCH FIRST 2 ROWS WITH TIES;
        SELECT g, count(*) FROM ft GROUP BY g ORDER BY count(*) DESC, g FETCH FIRST 1 ROW WITH TIES;
        SELECT count(*) FROM (SELECT g FROM ft ORDER BY g % 2 FETCH FIRST 1 ROW WITH TIES) s;
        SELECT * FROM ft ORDER BY g OFFSET 20 FETCH FIRST 2 ROWS WITH TIES;
        SELECT * FROM ft ORDER BY g FETCH FIRST 0 ROWS WITH TIES;
        SELECT * FROM ft FETCH FIRST 2 ROWS WITH TIES;
    """,
    "cursor": """
        BEGIN;
        DECLARE c CURSOR FOR SELECT g FROM ft ORDER BY g FETCH FIRST 4 ROWS WITH TIES;
        FETCH 2 FROM c;
        FETCH ALL FROM c;
        COMMIT;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in (SETUP + CASES[name]).strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "fetch_with_ties_pg15")
    got = run_script_in_fresh_database(shared_server, script, "fetch_with_ties_pg15")
    assert got == expected
