"""WITH RECURSIVE's well-formedness checks side by side with PostgreSQL 15 (parse_cte.c's
checkWellFormedRecursion and analyzeCTE): a self-reference inside a sub-link, in the
non-recursive term, in the recursive term's own WITH, on the nullable side of an outer join,
under INTERSECT ALL / EXCEPT, more than once; a recursive query that is not a UNION; ORDER BY /
FOR UPDATE atop the UNION; aggregates over the recursive reference; column types of the
non-recursive term that differ from the UNION's (42804 and its hint); a WITH atop the UNION read
by the non-recursive term; a plain WITH's forward or self reference (42P01 with PostgreSQL's
detail and hint); WITH queries computed once where PostgreSQL materializes them (named
twice, volatile, MATERIALIZED). Each psql script must print the same on both servers, errors
with their SQLSTATE text, LINE and caret. Also: a
recursive term that PostgreSQL runs but SQLite cannot (its reference under a nested WITH) is
refused with 0A000, never an internal error."""

from __future__ import annotations

import psycopg
import pytest

from test_compare_pg15 import run_script_in_fresh_database

SETUP = """
    CREATE TABLE rc_nodes (id int, up int);
    INSERT INTO rc_nodes VALUES (1, NULL), (2, 1), (3, 1), (4, 2);
"""

CASES = {
    "misplaced_references": """
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            SELECT n.id FROM rc_nodes n WHERE n.up IN (SELECT id FROM tree)) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            SELECT (SELECT max(id) FROM tree) FROM rc_nodes) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT id FROM tree UNION ALL SELECT 1) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (
            WITH inner_q AS (SELECT id + 1 FROM tree) SELECT 1 UNION ALL SELECT * FROM inner_q) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            SELECT n.id FROM rc_nodes n LEFT JOIN tree t ON n.up = t.id) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            SELECT n.id FROM tree t RIGHT JOIN rc_nodes n ON n.up = t.id) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            SELECT n.id FROM tree t FULL JOIN rc_nodes n ON n.up = t.id) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            SELECT n.id FROM tree t JOIN rc_nodes n ON n.up = t.id, tree t2) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            (SELECT n.id FROM rc_nodes n EXCEPT SELECT id + 1 FROM tree)) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            (SELECT id + 1 FROM tree INTERSECT ALL SELECT id FROM rc_nodes)) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            (SELECT id + 1 FROM tree WHERE id < 2 INTERSECT SELECT id + 2 FROM tree)) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            SELECT s.v FROM (SELECT id + 1 FROM tree UNION ALL SELECT id + 2 FROM tree) s(v)) SELECT * FROM tree;
    """,
    "not_a_union_and_decorations": """
        WITH RECURSIVE tree(id) AS (SELECT id FROM tree) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 INTERSECT SELECT id FROM tree) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 EXCEPT ALL SELECT id FROM tree) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM tree WHERE id < 3 ORDER BY id)
        SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM tree WHERE id < 3 FOR UPDATE)
        SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL SELECT max(id) + 1 FROM tree) SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            SELECT n.id FROM rc_nodes n, tree t WHERE n.up = t.id GROUP BY n.id HAVING count(*) > 0) SELECT * FROM tree;
    """,
    "types_of_the_terms": """
        WITH RECURSIVE c(v) AS (SELECT 1 UNION ALL SELECT v + 0.5 FROM c WHERE v < 3) SELECT * FROM c;
        WITH RECURSIVE c(v) AS (SELECT 1.5::numeric(4,1) UNION ALL SELECT (v + 1)::numeric(6,2) FROM c WHERE v < 3)
        SELECT * FROM c;
        WITH RECURSIVE c(v) AS (SELECT 1::bigint UNION ALL SELECT v + 1 FROM c WHERE v < 3) SELECT v, pg_typeof(v) FROM c;
        WITH RECURSIVE c(v, w) AS (SELECT 1, 'a'::varchar(3) UNION ALL SELECT v + 1, w FROM c WHERE v < 3)
        SELECT * FROM c;
    """,
    "valid_forms_still_run": """
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            SELECT n.id FROM rc_nodes n JOIN tree t ON n.up = t.id) SELECT * FROM tree ORDER BY id;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            SELECT n.id FROM tree t LEFT JOIN rc_nodes n ON n.up = t.id WHERE n.id IS NOT NULL) SELECT * FROM tree ORDER BY id;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION
            SELECT n.id FROM rc_nodes n, tree t WHERE n.up = t.id AND EXISTS (SELECT 1 FROM rc_nodes m WHERE m.id = t.id))
        SELECT * FROM tree ORDER BY id;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL
            SELECT id + 1 FROM tree WHERE id < 3), other AS (SELECT * FROM tree) SELECT * FROM other ORDER BY id;
        WITH RECURSIVE a(x) AS (WITH RECURSIVE a(x) AS (SELECT 5) SELECT * FROM a) SELECT * FROM a;
        WITH RECURSIVE walk(k) AS (WITH RECURSIVE base(b) AS (SELECT 1 UNION ALL SELECT b + 1 FROM base WHERE b < 3)
            SELECT b FROM base UNION ALL SELECT k + 10 FROM walk WHERE k < 20) SELECT k FROM walk ORDER BY k;
    """,
    "cycle_mark_without_equality": """
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL SELECT n.id FROM rc_nodes n, tree t WHERE n.up = t.id)
        CYCLE id SET seen TO point '(1,2)' DEFAULT point '(3,4)' USING trail SELECT * FROM tree;
        WITH RECURSIVE tree(id) AS (SELECT 1 UNION ALL SELECT n.id FROM rc_nodes n, tree t WHERE n.up = t.id)
        CYCLE id SET seen TO 7 DEFAULT 0 USING trail SELECT * FROM tree ORDER BY id;
    """,
    "materialization": """
        WITH r AS (SELECT random() AS v FROM generate_series(1, 4)) SELECT count(DISTINCT v) FROM (SELECT v FROM r UNION ALL SELECT v FROM r) s;
        WITH r AS NOT MATERIALIZED (SELECT random() AS v FROM generate_series(1, 4))
        SELECT count(DISTINCT v) FROM (SELECT v FROM r UNION ALL SELECT v FROM r) s;
        WITH r AS (SELECT random() AS v FROM generate_series(1, 4)), t AS (SELECT * FROM r)
        SELECT count(DISTINCT v) FROM (SELECT v FROM r UNION ALL SELECT v FROM t) s;
        WITH r AS MATERIALIZED (SELECT id FROM rc_nodes), q AS NOT MATERIALIZED (SELECT id FROM rc_nodes)
        SELECT count(*) FROM r, q WHERE r.id = q.id;
        SELECT (WITH r AS (SELECT random() AS v) SELECT count(*) FROM r a, r b WHERE a.v = b.v) AS same;
    """,
    "forward_references_in_a_plain_with": """
        WITH first_q AS (SELECT * FROM second_q), second_q AS (SELECT 1) SELECT * FROM first_q;
        WITH self_q AS (SELECT 1 UNION ALL SELECT * FROM self_q) SELECT * FROM self_q;
        SELECT * FROM (WITH deep AS (SELECT * FROM (SELECT * FROM deep) s) SELECT * FROM deep) z;
        WITH fine AS (SELECT 1 AS v), later AS (SELECT v + 1 FROM fine) SELECT * FROM later;
        WITH missing_q AS (SELECT * FROM rc_no_such_table) SELECT * FROM missing_q;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in (SETUP + CASES[name]).strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "recursive_checks_pg15")
    got = run_script_in_fresh_database(shared_server, script, "recursive_checks_pg15")
    assert got == expected


def test_unrunnable_recursive_term_is_refused_not_internal(shared_server, pg15):
    """PostgreSQL runs a recursive term whose reference sits under a WITH of its own; SQLite
    cannot, and pgsvc says so with 0A000 (the statement fails cleanly, the session goes on)."""
    sql = ("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL (WITH w AS (SELECT n + 1 AS m FROM t WHERE n < 3) "
           "SELECT m FROM w)) SELECT * FROM t ORDER BY n")
    with psycopg.connect(host="127.0.0.1", port=pg15.port, user=pg15.superuser, dbname="postgres") as conn:
        assert conn.execute(sql).fetchall() == [(1,), (2,), (3,)]
    with psycopg.connect(host="127.0.0.1", port=shared_server.port, user=shared_server.superuser,
                         dbname="postgres", autocommit=True) as conn:
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            conn.execute(sql)
        assert conn.execute("SELECT 1").fetchone() == (1,)
