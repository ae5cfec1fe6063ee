"""Operator, aggregate and GROUP BY resolution that once answered where PostgreSQL 15 does not
(or the other way round), side by side with PostgreSQL 15: the same psql script against both
servers must print the same thing. Expected output comes from PostgreSQL at run time.

- anyrange @> anyelement takes the range's own subtype: numrange @> integer is 42883;
- min/max exist for PostgreSQL's types only (none for ranges, bit, bool, bytea, uuid, jsonb,
  records), and order timetz and inet as those types do;
- row comparisons of numerics of different scales;
- a subquery's GROUP BY of only outer columns, or of an outer query's aggregate; an outer
  query's aggregate in a LATERAL subquery of its own FROM (42803);
- the range and multirange constructors listed in pg_proc (\\df);
- bit_and/bit_or/bit_xor of bit strings;
- a hypothetical-set aggregate's argument types unified as PostgreSQL's (the ordering
  column's type named first, the error at the direct argument);
- an ordered-set aggregate whose ORDER BY reads only outer columns is the outer query's;
- percentile_disc/cont of an array of fractions of several dimensions keeps them;
- sum's and count's transition functions (int4_sum, int8inc) callable and usable as SFUNC;
- ordered-set aggregates printed back by pg_get_viewdef (WITHIN GROUP, their arguments' casts).
"""

from __future__ import annotations

import pytest
from test_compare_pg15 import run_script_in_fresh_database  # psql side by side, as its cases run

CASES = {
    "range_element_operators": """
        SELECT numrange(1, 5) @> 3;
        SELECT numrange(1, 5) @> 3::numeric, numrange(1, 5) @> 3.5, int4range(1, 5) @> 3, int4range(1, 5) @> '4';
        SELECT int8range(1, 5) @> 3;
        SELECT int8range(1, 5) @> 3::int8, 3::int8 <@ int8range(1, 5);
        SELECT 3 <@ numrange(1, 5);
        SELECT int4range(1, 5) @> 3::int2;
        SELECT int4multirange(int4range(1, 5)) @> 3, 7 <@ int4multirange(int4range(1, 5));
        SELECT nummultirange(numrange(1, 5)) @> 3;
        SELECT daterange('2020-01-01', '2020-02-01') @> '2020-01-15'::date;
        SELECT daterange('2020-01-01', '2020-02-01') @> '2020-01-15'::timestamp;
    """,
    "min_max_types": """
        SELECT max(int4range(1, 2));
        SELECT min(numrange(1, 2));
        SELECT max(b'101'::bit(3));
        SELECT max(x) FROM (VALUES (b'1'::varbit), (b'0'::varbit)) v(x);
        SELECT max(true);
        SELECT min('ab'::bytea);
        SELECT max(gen_random_uuid());
        SELECT max('{}'::jsonb);
        SELECT max(ROW(1));
        SELECT max(x), min(x) FROM (VALUES ('10:00+02'::timetz), ('09:30+00'::timetz), ('11:00+05'::timetz)) v(x);
        SELECT max(x), min(x) FROM (VALUES ('10.0.0.1'::inet), ('9.255.0.1'::inet), ('10.0.0.0/8'::inet)) v(x);
        SELECT max(x) FROM (VALUES ('10.0.0.0/8'::cidr), ('9.0.0.0/8'::cidr)) v(x);
        SELECT max(x), min(x) FROM (VALUES ('9'::xid8), ('10'::xid8)) v(x);
        SELECT max(x), min(x) FROM (VALUES (ARRAY[1, 2]), (ARRAY[1, 10])) v(x);
        SELECT max('a'::varchar), min('b'::name), max(1::int2), min('1'::money);
    """,
    "bit_string_aggregates": """
        SELECT bit_and(x), bit_or(x), bit_xor(x) FROM (VALUES (b'1100'), (b'1010'), (NULL)) v(x);
        SELECT bit_and(x) FROM (VALUES (b'1100'::bit(4))) v(x) WHERE false;
        SELECT bit_or(x) FROM (VALUES (b'1100'), (b'10')) v(x);
        SELECT bit_xor(x::varbit) FROM (VALUES (b'1100'), (b'0110')) v(x);
        SELECT bit_and(x) OVER (ORDER BY x), x FROM (VALUES (b'1100'), (b'1010')) v(x);
        SELECT pg_typeof(bit_and(b'101'));
        \\df bit_xor
    """,
    "hypothetical_set_types": """
        SELECT rank(length('abc')) WITHIN GROUP (ORDER BY x) FROM (VALUES ('fred'), ('jim')) v(x);
        SELECT rank(x, length(x)) WITHIN GROUP (ORDER BY x, x) FROM (VALUES ('fred'), ('jim')) v(x);
        SELECT rank('adam'::text COLLATE "C") WITHIN GROUP (ORDER BY x COLLATE "POSIX") FROM (VALUES ('fred'), ('jim')) v(x);
        SELECT rank('adam'::text COLLATE "C") WITHIN GROUP (ORDER BY x COLLATE "C") FROM (VALUES ('fred'), ('jim')) v(x);
        SELECT rank(2.5) WITHIN GROUP (ORDER BY a), dense_rank(2::int8) WITHIN GROUP (ORDER BY a),
               percent_rank(1) WITHIN GROUP (ORDER BY a::numeric) FROM (VALUES (1), (4)) v(a);
    """,
    "outer_level_ordered_set_aggregates": """
        SELECT array(SELECT percentile_disc(a) WITHIN GROUP (ORDER BY x) FROM (VALUES (0.3), (0.7)) v(a) GROUP BY a)
          FROM generate_series(1, 5) g(x);
        SELECT array(SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM (VALUES (0.3), (0.7)) v(a) GROUP BY a)
          FROM generate_series(1, 5) g(x);
        SELECT (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x)) FROM generate_series(1, 5) g(x);
        SELECT (SELECT rank(3) WITHIN GROUP (ORDER BY x) FROM (VALUES (1)) v(a)) FROM generate_series(1, 5) g(x);
        SELECT a, (SELECT mode() WITHIN GROUP (ORDER BY a) FROM generate_series(1, 2)) FROM (VALUES (1), (2)) v(a)
          GROUP BY a ORDER BY 1;
        SELECT x FROM generate_series(1, 3) g(x) WHERE (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x)) > 1;
    """,
    "percentiles_of_fraction_arrays": """
        SELECT percentile_disc(ARRAY[[NULL, 1, 0.5], [0.75, 0.25, NULL]]) WITHIN GROUP (ORDER BY x)
          FROM generate_series(1, 1000) x;
        SELECT percentile_cont(ARRAY[[0.5], [0.25]]) WITHIN GROUP (ORDER BY x) FROM generate_series(1, 10) x;
        SELECT percentile_disc(ARRAY[0.5, NULL]) WITHIN GROUP (ORDER BY x) FROM generate_series(1, 10) x;
        SELECT percentile_cont(ARRAY[[0.5, 1]]::float8[]) WITHIN GROUP (ORDER BY x::float8) FROM generate_series(1, 10) x;
        SELECT percentile_disc(ARRAY[]::float8[]) WITHIN GROUP (ORDER BY x) FROM generate_series(1, 10) x;
    """,
    "transition_functions_as_sfunc": """
        SELECT int4_sum(NULL, 5), int4_sum(10, NULL), int4_sum(10, 5), int2_sum(1, 2::int2), int8inc(41),
               int4_sum(NULL, NULL);
        SELECT int8inc(9223372036854775807);
        CREATE AGGREGATE rp_sum4(int4) (sfunc = int4_sum, stype = int8);
        SELECT rp_sum4(x), rp_sum4(x) FILTER (WHERE false) FROM generate_series(1, 10) x;
        DROP AGGREGATE rp_sum4(int4);
        \\df int4_sum
    """,
    "row_comparison_numeric_scale": """
        SELECT ROW(1.0) IS DISTINCT FROM ROW(1.00), ROW(1.0) IS NOT DISTINCT FROM ROW(1.00);
        SELECT ROW(1.0, 2) = ROW(1.00, 2), ROW(1.0, NULL) IS DISTINCT FROM ROW(1.00, NULL);
        SELECT (1.0, 'a') < (1.00, 'b'), (2.50, 1) > (2.5, 0), 1.0 IS DISTINCT FROM 1.00;
        SELECT ROW(1.0::numeric(5, 1)) = ROW(1.000::numeric(6, 3)), (1.10, 2.0) <= (1.1, 2);
    """,
    "outer_columns_in_group_by": """
        CREATE TABLE rp_ob (a int, b int);
        INSERT INTO rp_ob VALUES (1, 2), (3, 4);
        SELECT (SELECT 1 FROM rp_ob o2 GROUP BY o1.a) FROM rp_ob o1;
        SELECT (SELECT count(*) FROM rp_ob o2 GROUP BY o1.a, o2.b ORDER BY 1 LIMIT 1) FROM rp_ob o1;
        SELECT (SELECT count(*) FROM rp_ob o2 WHERE false GROUP BY o1.a) FROM rp_ob o1;
        SELECT (SELECT o1.a FROM rp_ob o2 GROUP BY o1.a) FROM rp_ob o1 ORDER BY 1;
        SELECT (SELECT 1 FROM rp_ob o2 GROUP BY sum(o1.a)) FROM rp_ob o1;
        SELECT (SELECT count(*) FROM rp_ob o2 GROUP BY max(o1.b)) FROM rp_ob o1;
        SELECT (SELECT max(o1.b) FROM rp_ob o2 GROUP BY max(o1.b) LIMIT 1) FROM rp_ob o1;
        SELECT (SELECT count(*) FROM rp_ob o2 GROUP BY sum(o1.a) HAVING count(*) > 5) FROM rp_ob o1;
        SELECT (SELECT a FROM rp_ob o2 GROUP BY max(o1.b)) FROM rp_ob o1;
        SELECT a, (SELECT count(*) FROM rp_ob o2 GROUP BY ROLLUP (o1.a) ORDER BY 1 LIMIT 1) FROM rp_ob o1 ORDER BY 1;
        DROP TABLE rp_ob;
    """,
    "outer_aggregates_in_lateral_from": """
        SELECT * FROM (VALUES (1), (2)) v(x), LATERAL (SELECT a, sum(v.x) FROM (VALUES (1)) t(a) GROUP BY a) s;
        SELECT * FROM (VALUES (1), (2)) v(x), LATERAL (SELECT sum(t.a + v.x) FROM (VALUES (1)) t(a)) s ORDER BY 1;
        SELECT * FROM (VALUES (1), (2)) v(x), LATERAL (SELECT (SELECT sum(v.x))) s;
        SELECT * FROM (VALUES (1), (2)) v(x), LATERAL (SELECT max(x) FROM (VALUES (5)) w(y)) s;
    """,
    "ordered_set_aggregates_in_views": """
        CREATE TABLE rp_ow (ten int, thousand int, hundred int, string4 name, d interval);
        INSERT INTO rp_ow VALUES (1, 10, 1, 'AAAA', '1 day'), (1, 20, 2, 'ZZZZ', '2 days'), (2, 30, 1, 'BBBB', '3 days');
        CREATE VIEW rp_ov1 AS SELECT ten, percentile_disc(0.5) WITHIN GROUP (ORDER BY thousand) AS p50,
          percentile_disc(0.5) WITHIN GROUP (ORDER BY thousand) FILTER (WHERE hundred = 1) AS px,
          rank(5, 'AZZZZ', 50) WITHIN GROUP (ORDER BY hundred, string4 DESC, hundred)
          FROM rp_ow GROUP BY ten ORDER BY ten;
        SELECT pg_get_viewdef('rp_ov1');
        SELECT * FROM rp_ov1;
        CREATE VIEW rp_ov2 AS SELECT mode() WITHIN GROUP (ORDER BY ten DESC NULLS LAST),
          percentile_cont(ARRAY[0.1, 0.9]) WITHIN GROUP (ORDER BY d), cume_dist(3) WITHIN GROUP (ORDER BY ten),
          percentile_cont(0.5) WITHIN GROUP (ORDER BY ten) AS pc FROM rp_ow;
        SELECT pg_get_viewdef('rp_ov2', true);
        \\d+ rp_ov2
        SELECT * FROM rp_ov2;
        DROP TABLE rp_ow CASCADE;
    """,
    "range_constructors_in_pg_proc": """
        \\df int4range
        \\df numrange
        \\df tstzrange
        \\df int4multirange
        \\df datemultirange
        SELECT proname, proisstrict, provolatile, pronargs, prosrc FROM pg_proc
          WHERE proname IN ('int4range', 'int8range', 'numrange', 'tsrange', 'tstzrange', 'daterange',
                            'int4multirange', 'nummultirange')
          ORDER BY 1, 4, 5;
        SELECT 'int4range(int4, int4)'::regprocedure, 'numrange(numeric, numeric, text)'::regprocedure;
        SELECT int4multirange(NULL::int4range), int4multirange(int4range(1, 3)), int4multirange();
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_resolution_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "resolution_pg15_case")
    got = run_script_in_fresh_database(shared_server, script, "resolution_pg15_case")
    assert got == expected
