"""GROUPING SETS, ROLLUP, CUBE, GROUP BY DISTINCT and GROUPING() side by side with PostgreSQL
15: the same psql script against both servers must print the same thing (rows, column names
and types, errors with their SQLSTATE and position). Expected output comes from PostgreSQL at
run time. Every query orders its rows completely: the order of rows tied in ORDER BY is the
plan's in PostgreSQL.
"""

from __future__ import annotations

import pytest
from test_compare_pg15 import run_script_in_fresh_database  # psql side by side, as its cases run

SETUP = """
    CREATE TABLE {t} (a int, b text, c int PRIMARY KEY, v numeric);
    INSERT INTO {t} VALUES (1, 'x', 1, 1.5), (1, 'y', 2, 2.5), (2, 'x', 3, 3), (NULL, 'x', 4, 4), (2, NULL, 5, NULL);
    CREATE TABLE {t}_empty (a int, v int);
"""

CASES = {
    "expansion": """
        SELECT a, b, sum(v), count(*), grouping(a, b) FROM {t} GROUP BY ROLLUP (a, b) ORDER BY 5, 1, 2;
        SELECT a, b, sum(v), grouping(a), grouping(b) FROM {t} GROUP BY CUBE (a, b) ORDER BY 4, 5, 1, 2;
        SELECT a, b, count(*) FROM {t} GROUP BY GROUPING SETS ((a, b), (a), ()) ORDER BY 1, 2, 3;
        SELECT a, b, count(*) FROM {t} GROUP BY GROUPING SETS (a, ROLLUP (b), ()) ORDER BY 1, 2, 3;
        SELECT a, b, count(*), grouping(a, b) FROM {t} GROUP BY a, ROLLUP (b) ORDER BY 1, 2, 3;
        SELECT a, b, count(*), grouping(a, b) FROM {t} GROUP BY ROLLUP ((a, b)) ORDER BY 4, 1, 2;
        SELECT a, count(*) FROM {t} GROUP BY ROLLUP (a), ROLLUP (a) ORDER BY 1, 2;
        SELECT a, count(*) FROM {t} GROUP BY DISTINCT ROLLUP (a), ROLLUP (a) ORDER BY 1, 2;
        SELECT a, b, count(*) FROM {t} GROUP BY DISTINCT CUBE (a), CUBE (b) ORDER BY 1, 2, 3;
        SELECT count(*), grouping(a) FROM {t} GROUP BY GROUPING SETS ((), (), a) ORDER BY 2, 1;
        SELECT 1 AS one FROM {t} GROUP BY ();
    """,
    "expressions_and_references": """
        SELECT a + 1, sum(v) FROM {t} GROUP BY ROLLUP (a + 1) ORDER BY 1, 2;
        SELECT (a + 1) * 2 AS d, grouping(a + 1) FROM {t} GROUP BY ROLLUP (a + 1) ORDER BY 2, 1;
        SELECT a % 2 AS m, sum(v) FROM {t} GROUP BY ROLLUP (m) ORDER BY 1, 2;
        SELECT a, sum(v) FROM {t} GROUP BY ROLLUP (1) ORDER BY 1, 2;
        SELECT c, a, b FROM {t} GROUP BY ROLLUP (c) ORDER BY 1, 2, 3;
        SELECT * FROM {t} GROUP BY ROLLUP (c) ORDER BY c;
        SELECT a::text || 'z' AS s, count(*) FROM {t} GROUP BY ROLLUP (a::text) ORDER BY 1, 2;
        SELECT a IS NULL AS isnull, grouping(a) AS g, count(*) FROM {t} GROUP BY ROLLUP (a) ORDER BY 2, 1;
        SELECT a, count(*) FROM {t} GROUP BY ROLLUP (a, a) ORDER BY 1, 2;
        SELECT grouping(c) FROM {t} GROUP BY c, a ORDER BY 1 LIMIT 1;
        SELECT * FROM (SELECT c AS c1, c AS c2, count(*) FROM {t} GROUP BY c1, ROLLUP (c2)) q ORDER BY 1, 2;
        SELECT a, a + 0 AS z, count(*) FROM {t} GROUP BY ROLLUP (2), a ORDER BY 1, 2, 3;
        SELECT 'x' AS k, 1 AS one, count(*) FROM {t} GROUP BY ROLLUP (1, 2) ORDER BY 1, 2, 3;
        SELECT CASE WHEN grouping(a) = 1 THEN 'total' ELSE a::text END AS label, sum(v) FROM {t}
          GROUP BY ROLLUP (a) ORDER BY 1;
        SELECT x.a, y.b, count(*) FROM {t} x JOIN {t} y USING (a) GROUP BY ROLLUP (x.a, y.b) ORDER BY 1, 2, 3;
    """,
    "having_order_window_distinct": """
        SELECT a, b, sum(v) FROM {t} GROUP BY GROUPING SETS ((a, b), (a), ()) HAVING sum(v) > 2 ORDER BY 1, 2, 3;
        SELECT a FROM {t} GROUP BY ROLLUP (a) HAVING grouping(a) = 1 OR a IS NULL ORDER BY 1;
        SELECT sum(c) FROM {t} GROUP BY ROLLUP (a) ORDER BY grouping(a), 1;
        SELECT a, max(b) FROM {t} GROUP BY ROLLUP (a) ORDER BY max(b), a NULLS FIRST;
        SELECT a, rank() OVER (ORDER BY sum(v) DESC NULLS LAST), sum(sum(v)) OVER (PARTITION BY grouping(a))
          FROM {t} GROUP BY ROLLUP (a) ORDER BY 1, 2;
        SELECT a, b, row_number() OVER w FROM {t} GROUP BY CUBE (a, b) WINDOW w AS (ORDER BY grouping(a, b), a, b)
          ORDER BY 3;
        SELECT DISTINCT grouping(a), count(*) > 0 FROM {t} GROUP BY ROLLUP (a) ORDER BY 1;
        SELECT DISTINCT ON (a) a, b FROM {t} GROUP BY GROUPING SETS ((a, b), (a)) ORDER BY a, b DESC;
        SELECT grouping(a) FROM {t} GROUP BY ROLLUP (a) ORDER BY 1 LIMIT 2 OFFSET 1;
        SELECT a, sum(v) FROM {t} GROUP BY ROLLUP (a) ORDER BY 2 DESC LIMIT 2;
    """,
    "aggregates_inside": """
        SELECT a, sum(v) FILTER (WHERE b = 'x'), string_agg(b, ',' ORDER BY b), count(DISTINCT b), avg(c)
          FROM {t} GROUP BY ROLLUP (a) ORDER BY 1 NULLS FIRST, 2;
        SELECT b, array_agg(c ORDER BY c DESC), count(*) FILTER (WHERE a > 1) FROM {t} GROUP BY CUBE (b) ORDER BY 1, 2;
        SELECT a, sum(a), count(a), min(b) FROM {t} GROUP BY ROLLUP (a) ORDER BY 1, 2;
        SELECT a, rank(a) WITHIN GROUP (ORDER BY c), percentile_disc(0.5) WITHIN GROUP (ORDER BY c)
          FROM {t} GROUP BY ROLLUP (a) ORDER BY 1, 2;
    """,
    "nulls_and_types": """
        SELECT a, grouping(a), count(*) FROM {t} GROUP BY ROLLUP (a) ORDER BY 2, 1;
        SELECT pg_typeof(grouping(a)), pg_typeof(a), pg_typeof(b) FROM {t} GROUP BY CUBE (a, b) LIMIT 1;
        SELECT c, a FROM {t} GROUP BY ROLLUP (c, a) ORDER BY 1 DESC, 2 LIMIT 3;
        SELECT a, b, grouping(a, b) AS g FROM {t} GROUP BY ROLLUP (a, b) ORDER BY 1, 2, 3 \\gdesc
    """,
    "empty_input": """
        SELECT a, count(*), sum(v), grouping(a) FROM {t}_empty GROUP BY ROLLUP (a);
        SELECT count(*), array_agg(v) FROM {t}_empty GROUP BY GROUPING SETS ((), ());
        SELECT sum(v) FROM {t}_empty GROUP BY ();
        SELECT 1 AS one FROM {t}_empty GROUP BY ();
        SELECT a, count(*) FROM {t}_empty GROUP BY ROLLUP (a) HAVING count(*) > 0;
        SELECT a, count(*) FROM {t}_empty GROUP BY GROUPING SETS ((a));
        SELECT a, count(*) FROM {t} WHERE false GROUP BY CUBE (a) ORDER BY 1 LIMIT 1;
        SELECT a, count(*) FROM {t} WHERE c > 3 GROUP BY ROLLUP (a) ORDER BY 1, 2;
        SELECT x, (SELECT count(*) FROM {t}_empty e WHERE e.a = s.x GROUP BY ROLLUP (e.a)) FROM (VALUES (1), (2)) s(x)
          ORDER BY 1;
    """,
    "subqueries": """
        SELECT a, (SELECT a) AS sub, (SELECT count(*) FROM {t} x WHERE x.a = {t}.a) AS n
          FROM {t} GROUP BY ROLLUP (a) ORDER BY 1, 2, 3;
        SELECT a, (SELECT sum(a)) FROM {t} GROUP BY ROLLUP (a) ORDER BY 1, 2;
        SELECT a, (SELECT count(*) FROM {t} x GROUP BY ROLLUP (x.a) HAVING grouping(x.a) = 1 AND {t}.a IS NULL)
          FROM {t} GROUP BY ROLLUP (a) ORDER BY 1, 2;
        SELECT a, s FROM (SELECT a, sum(v) AS s FROM {t} GROUP BY ROLLUP (a)) q ORDER BY 1, 2;
        WITH w AS (SELECT b, count(*) AS n FROM {t} GROUP BY CUBE (b)) SELECT * FROM w ORDER BY 1, 2;
        SELECT a, count(*) FROM {t} WHERE random() >= 0 GROUP BY ROLLUP (a) ORDER BY 1, 2;
        SELECT count(*) FROM (SELECT a FROM {t} GROUP BY ROLLUP (a, b)) q;
        SELECT a, count(*) FROM {t} GROUP BY ROLLUP (a) UNION ALL SELECT 9, 9 ORDER BY 1, 2;
        PREPARE {t}_p(int) AS SELECT a, sum(v) + $1 FROM {t} GROUP BY ROLLUP (a) ORDER BY 1, 2;
        EXECUTE {t}_p(10);
    """,
    "views": """
        CREATE VIEW {t}_v1 AS SELECT a, b, grouping(a, b), sum(c), count(*) FROM {t} GROUP BY ROLLUP ((a, b, c), (c, v));
        CREATE VIEW {t}_v2 AS SELECT a, b, sum(c) FROM {t}
          GROUP BY a, CUBE (b, (c, v)), GROUPING SETS ((), a, (a, b), GROUPING SETS (b, ()));
        CREATE VIEW {t}_v3 AS SELECT a, sum(c) FROM {t} GROUP BY DISTINCT a, (), ROLLUP (b);
        CREATE VIEW {t}_v4 AS SELECT a, b, sum(c) FROM {t} GROUP BY (a, b);
        CREATE VIEW {t}_v5 AS SELECT a + 1 AS x, grouping(a + 1) FROM {t} GROUP BY ROLLUP (a + 1, 1);
        SELECT pg_get_viewdef('{t}_v1'::regclass, true);
        SELECT pg_get_viewdef('{t}_v2'::regclass, true);
        SELECT pg_get_viewdef('{t}_v3'::regclass, true);
        SELECT pg_get_viewdef('{t}_v4'::regclass, true);
        SELECT pg_get_viewdef('{t}_v5'::regclass);
        SELECT * FROM {t}_v1 ORDER BY 3, 1, 2, 4;
        SELECT * FROM {t}_v4 ORDER BY 1, 2;
        \\d+ {t}_v1
        DROP VIEW {t}_v1, {t}_v2, {t}_v3, {t}_v4, {t}_v5;
    """,
    # set-returning functions of the select list run after grouping (PostgreSQL's ProjectSet)
    "select_list_srfs_after_grouping": """
        SELECT max(c), generate_series(1, 3) AS g FROM {t} ORDER BY g DESC;
        SELECT a, count(*), generate_series(1, count(*)::int) FROM {t} GROUP BY a ORDER BY 1, 3;
        SELECT count(*), unnest(ARRAY[1, 2]) FROM {t};
        SELECT count(*), generate_series(1, 2);
        SELECT a, unnest(ARRAY[a, sum(c)::int]) FROM {t} GROUP BY a ORDER BY a, 2;
        SELECT a, generate_series(1, 2) g FROM {t} GROUP BY a HAVING a > 1 ORDER BY sum(c), g;
        SELECT DISTINCT count(*) > 0, generate_series(1, 2) FROM {t} ORDER BY 2;
        SELECT a, generate_series(1, 2) g FROM {t} GROUP BY 1 ORDER BY 1, 2 LIMIT 3;
        SELECT a, generate_series(1, c) FROM {t} GROUP BY a;
        SELECT a x, generate_series(1, 2) FROM {t} GROUP BY x ORDER BY x, 2;
        SELECT sum(c) OVER (), generate_series(1, 2) FROM {t} GROUP BY a, c ORDER BY 1, 2;
        SELECT a, generate_series(1, 2) FROM {t} GROUP BY ROLLUP (a) ORDER BY 1, 2;
    """,
    # GROUP BY of a JOIN USING column cast to the other side's type groups the cast, not the column
    "join_using_cast_columns": """
        CREATE TABLE {t}_a (f1 int, f2 bigint);
        CREATE TABLE {t}_b (f1 bigint, f22 bigint);
        CREATE TABLE {t}_c (f1 int, f3 int);
        SELECT f1 FROM {t}_a LEFT JOIN {t}_b USING (f1) GROUP BY f1;
        SELECT f1 FROM {t}_a LEFT JOIN {t}_b USING (f1) GROUP BY {t}_a.f1;
        SELECT {t}_a.f1 FROM {t}_a LEFT JOIN {t}_b USING (f1) GROUP BY {t}_a.f1;
        SELECT {t}_a.f1 FROM {t}_a LEFT JOIN {t}_b USING (f1) GROUP BY f1;
        SELECT {t}_a.f1 FROM {t}_a JOIN {t}_c USING (f1) GROUP BY f1;
        SELECT {t}_a.f1 FROM {t}_a LEFT JOIN {t}_b USING (f1) GROUP BY ROLLUP (f1);
        DROP TABLE {t}_a, {t}_b, {t}_c;
    """,
    "errors": """
        SELECT a, b FROM {t} GROUP BY ROLLUP (a);
        SELECT a FROM {t} GROUP BY ROLLUP (a) HAVING b = 'x';
        SELECT a, sum(v) OVER (ORDER BY v) FROM {t} GROUP BY ROLLUP (a);
        SELECT grouping(v) FROM {t} GROUP BY ROLLUP (a);
        SELECT grouping(a) FROM {t};
        SELECT a FROM {t} WHERE grouping(a) = 0 GROUP BY ROLLUP (a);
        SELECT a FROM {t} GROUP BY ROLLUP (a) ORDER BY grouping(v);
        SELECT (SELECT grouping(a) FROM {t}_empty) FROM {t} GROUP BY a;
        SELECT sum(grouping(a)) FROM {t} GROUP BY ROLLUP (a);
        SELECT grouping(a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a) FROM {t} GROUP BY a;
        SELECT a FROM {t} GROUP BY CUBE (a, b, c, v, a, b, c, v, a, b, c, v, a);
        SELECT 1 FROM {t} GROUP BY CUBE (a, b, c, v, a, b), CUBE (a, b, c, v, a, b, c);
        SELECT 1 FROM {t} GROUP BY ROLLUP (z);
        SELECT 1 FROM {t} GROUP BY ROLLUP (a) FOR UPDATE;
        SELECT a FROM {t} GROUP BY sum(v);
        SELECT a FROM {t} GROUP BY a, count(*) OVER ();
        SELECT a FROM {t} GROUP BY GROUPING SETS (a, sum(v));
        SELECT a FROM {t} GROUP BY ROLLUP (a, row_number() OVER ());
        SELECT a FROM {t} GROUP BY a, (SELECT count(*) OVER () FROM {t} LIMIT 1) ORDER BY 1;
        SELECT a FROM {t} GROUP BY a, (SELECT sum(v) FROM {t} g2) ORDER BY 1;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_grouping_sets_as_postgres(name, shared_server, pg15):
    t = f"gs_{name}"
    script = "\n".join(line.strip() for line in (SETUP + CASES[name] + "DROP TABLE {t}, {t}_empty;")
                       .replace("{t}", t).strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "grouping_sets_case")
    got = run_script_in_fresh_database(shared_server, script, "grouping_sets_case")
    assert got == expected
