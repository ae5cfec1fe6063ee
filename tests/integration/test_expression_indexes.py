"""Expression, partial and INCLUDE indexes side by side with PostgreSQL 15: the same psql
script against both servers must print the same thing (pg_get_indexdef, pg_index's
indexprs / indpred / indkey, the index's pg_attribute rows, psql's \\d of the table and of
the index, uniqueness errors with their DETAIL, 42P17 for functions not IMMUTABLE, ON
CONFLICT with a partial unique index's predicate). Expected output comes from PostgreSQL at
run time.
"""

from __future__ import annotations


import pytest
from test_compare_pg15 import run_script  # psql side by side, as its cases run

CASES = {
    "expression_index": r"""
        CREATE TABLE xi (id int, x text, a int);
        CREATE INDEX ON xi (lower(x));
        CREATE INDEX xi_multi ON xi ((a + 1), (x || 'z'), lower(x) DESC, id);
        CREATE INDEX xi_names ON xi ((a::text), (lower(x)::varchar), (coalesce(a, 0)), (CASE WHEN a > 0 THEN 1 END),
                                     ((a + 1)::bigint), (x || ''), lower(x));
        SELECT pg_get_indexdef(indexrelid), indkey, indnatts, indnkeyatts, pg_get_expr(indexprs, indrelid)
          FROM pg_index WHERE indrelid = 'xi'::regclass ORDER BY 1;
        SELECT attrelid::regclass, attnum, attname, atttypid::regtype FROM pg_attribute
          WHERE attrelid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'xi'::regclass) ORDER BY 1, 2;
        SELECT pg_get_indexdef('xi_multi'::regclass, 1, true), pg_get_indexdef('xi_multi'::regclass, 3, false);
        INSERT INTO xi VALUES (1, 'Abc', 1), (2, 'ABC', 2);
        SELECT id FROM xi WHERE lower(x) = 'abc' ORDER BY id;
        \d xi
        \d xi_multi
        DROP TABLE xi;
    """,
    "unique_expression_and_partial": r"""
        CREATE TABLE ux (id int, x text, a int);
        CREATE UNIQUE INDEX ux_lower ON ux (lower(x));
        CREATE UNIQUE INDEX ux_part ON ux (id) WHERE a > 0;
        INSERT INTO ux VALUES (1, 'abc', 1);
        INSERT INTO ux VALUES (2, 'ABC', 1);
        INSERT INTO ux VALUES (1, 'def', 0), (1, 'ghi', 0);
        INSERT INTO ux VALUES (1, 'jkl', 5);
        UPDATE ux SET x = 'Abc' WHERE x = 'def';
        INSERT INTO ux VALUES (1, 'mno', 1) ON CONFLICT (id) WHERE a > 0 DO NOTHING;
        INSERT INTO ux VALUES (1, 'pqr', 7) ON CONFLICT (id) WHERE a > 0 DO UPDATE SET a = excluded.a;
        INSERT INTO ux VALUES (1, 'stu', 1) ON CONFLICT (id) DO NOTHING;
        SELECT * FROM ux ORDER BY id, x;
        SELECT pg_get_expr(indpred, indrelid), pg_get_indexdef(indexrelid, 0, true) FROM pg_index
          WHERE indrelid = 'ux'::regclass ORDER BY 2;
        ALTER TABLE ux ADD CONSTRAINT ux_chk CHECK (id > 0);
        INSERT INTO ux VALUES (3, 'ABC', 0);
        INSERT INTO ux VALUES (1, 'vwx', 2);
        CREATE UNIQUE INDEX ux_dup ON ux (lower(x) || '');
        \d ux
        \d ux_part
        DROP TABLE ux;
    """,
    "include_index": r"""
        CREATE TABLE ic (a int, b text, c int);
        CREATE INDEX ON ic (a) INCLUDE (b);
        CREATE UNIQUE INDEX ic_u ON ic (c) INCLUDE (a, b);
        SELECT pg_get_indexdef(indexrelid), indkey, indnatts, indnkeyatts FROM pg_index
          WHERE indrelid = 'ic'::regclass ORDER BY 1;
        SELECT pg_get_indexdef('ic_u'::regclass, 2, true), pg_get_indexdef('ic_u'::regclass, 1, true);
        INSERT INTO ic VALUES (1, 'x', 1);
        INSERT INTO ic VALUES (2, 'y', 1);
        \d ic
        \d ic_u
        DROP TABLE ic;
    """,
    "rename_and_drop_column": r"""
        CREATE TABLE rc (id int, x text, a int, c int);
        CREATE UNIQUE INDEX rc_l ON rc (lower(x)) WHERE a > 0;
        CREATE INDEX rc_i ON rc (id) INCLUDE (a);
        CREATE INDEX rc_c ON rc (id) WHERE c > 0;
        INSERT INTO rc VALUES (1, 'a', 1);
        ALTER TABLE rc RENAME COLUMN x TO y;
        ALTER TABLE rc RENAME COLUMN a TO b;
        \d rc
        \d rc_i
        INSERT INTO rc VALUES (2, 'A', 1);
        ALTER TABLE rc ADD COLUMN d int;
        INSERT INTO rc VALUES (2, 'A', 1);
        ALTER TABLE rc DROP COLUMN b;
        ALTER TABLE rc DROP COLUMN c;
        \d rc
        DROP TABLE rc;
    """,
    "drop_function_used_by_index": r"""
        CREATE TABLE df (a int, b int);
        CREATE FUNCTION df_f(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS 'BEGIN RETURN $1 * 2; END';
        CREATE INDEX df_x ON df (df_f(a));
        CREATE INDEX df_p ON df (b) WHERE df_f(b) > 0;
        CREATE INDEX df_n ON df (a);
        DROP FUNCTION df_f(int);
        DROP FUNCTION df_f(int) CASCADE;
        INSERT INTO df VALUES (1, 2);
        \d df
        DROP TABLE df;
    """,
    "not_immutable": r"""
        CREATE TABLE ni (a int, t timestamptz);
        CREATE INDEX ON ni (random());
        CREATE INDEX ON ni (a) WHERE random() > 0.5;
        CREATE INDEX ON ni (now());
        CREATE INDEX ON ni (a) WHERE t < now();
        CREATE FUNCTION ni_vol(int) RETURNS int LANGUAGE plpgsql VOLATILE AS 'BEGIN RETURN $1; END';
        CREATE INDEX ON ni (ni_vol(a));
        CREATE INDEX ON ni (nosuch(a));
        CREATE INDEX ON ni (a) WHERE nosuch > 0;
        CREATE INDEX ON ni (abs(a)) WHERE a > 0;
        SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'ni'::regclass;
        DROP FUNCTION ni_vol(int);
        DROP TABLE ni;
        CREATE TABLE ni2 (a int);
        CREATE FUNCTION ni_imm(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS 'BEGIN RETURN $1 * 2; END';
        CREATE UNIQUE INDEX ni2_u ON ni2 (ni_imm(a)) WHERE ni_imm(a) > 0;
        INSERT INTO ni2 VALUES (1), (1);
        INSERT INTO ni2 VALUES (-1), (-1);
        SELECT pg_get_indexdef('ni2_u'::regclass);
        DROP TABLE ni2;
        DROP FUNCTION ni_imm(int);
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script(pg15, script)
    got = run_script(shared_server, script)
    assert got == expected
