"""Answers that were wrong or differed from PostgreSQL (issue 14), side by side with
PostgreSQL 15: set-operation type resolution (unknown literals of a leaf take the other
side's type, the errors when types cannot be matched, with their positions), row_to_json /
to_json / json_agg of records with a NULL single field, the foreign key checks PostgreSQL
makes when a key is declared (42830, 42704, 42703, 42804 instead of an internal error), and
the foreign keys that depend on a primary key, unique constraint, unique index or referenced
column being dropped (2BP01 without CASCADE, a NOTICE and the keys dropped with it).

Every expected value comes from the pg15 fixture at run time: each case runs the same
statements on both servers over psycopg, each in a schema of its own, and compares for each
statement its rows with their type OIDs (as the text the server sent) or its error
(SQLSTATE, message, detail, hint, position), and the notices it raised.
"""

from __future__ import annotations

import pytest

psycopg = pytest.importorskip("psycopg")
TextLoader = pytest.importorskip("psycopg.types.string").TextLoader


@pytest.fixture(scope="module")
def conns(shared_server, pg15):
    ours = psycopg.connect(shared_server.dsn(), autocommit=True)
    ref = psycopg.connect(pg15.dsn(), autocommit=True)
    for conn in (ours, ref):
        for oid in range(1, 10000):
            conn.adapters.register_loader(oid, TextLoader)
    yield ours, ref
    ours.close()
    ref.close()


def _outcomes(conn, schema: str, statements: list[str], params: dict) -> list:
    notices: list = []
    conn.add_notice_handler(lambda d: notices.append((d.sqlstate, d.message_primary, d.message_detail)))
    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"SET search_path = {schema}")
    out = []
    try:
        for sql in statements:
            notices.clear()
            try:
                with conn.cursor() as cur:
                    cur.execute(sql, params.get(sql))
                    # (a type of the test's own has an OID of each server's choosing)
                    got = (cur.fetchall(), [min(d.type_code, 16384) for d in cur.description]) if cur.description \
                        else cur.statusmessage
                out.append(("ok", got, list(notices)))
            except psycopg.Error as e:
                d = e.diag
                out.append(("error", e.sqlstate, d.message_primary, d.message_detail, d.message_hint,
                            d.statement_position, list(notices)))
    finally:
        conn._notice_handlers.clear()
        conn.execute("RESET search_path")
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
    return out


def same(conns, name: str, statements: list[str], params: dict | None = None) -> None:
    ours, ref = conns
    schema = f"wa_{name}"
    expected = _outcomes(ref, schema, statements, params or {})
    got = _outcomes(ours, schema, statements, params or {})
    for sql, g, e in zip(statements, got, expected, strict=True):
        assert g == e, sql


SETOPS = [
    "SELECT 1 UNION SELECT '2' ORDER BY 1", "SELECT '1' UNION SELECT 2 ORDER BY 1",
    "SELECT 1 UNION ALL SELECT '2' UNION ALL SELECT 3.5", "SELECT 1 UNION SELECT 'a'",
    "SELECT 1 UNION SELECT true", "SELECT 1 INTERSECT SELECT '1'", "SELECT 1 EXCEPT SELECT '2'",
    "SELECT 1, 'a' UNION SELECT '2', 'b' ORDER BY 1", "SELECT pg_typeof(x) FROM (SELECT '1' x UNION SELECT '2') s",
    "SELECT x, pg_typeof(x) FROM (SELECT '1' x UNION ALL SELECT 1) s ORDER BY 1",
    "SELECT 1 UNION SELECT 2 UNION SELECT '3' ORDER BY 1", "SELECT '3' UNION SELECT 1 UNION SELECT 2 ORDER BY 1",
    "SELECT '3' UNION (SELECT 1 UNION SELECT 2) ORDER BY 1", "SELECT '1' UNION SELECT '2' UNION SELECT 3",
    "SELECT 'x' UNION SELECT 1 UNION SELECT 2", "SELECT 1 UNION SELECT 2 UNION SELECT true",
    "SELECT '1'::int UNION SELECT '2' INTERSECT SELECT '2'", "SELECT 'a' UNION SELECT 'b' EXCEPT SELECT 1",
    "SELECT DISTINCT '2' UNION SELECT 1", "SELECT 1 UNION SELECT 1, 2", "SELECT 1, 2 UNION SELECT 1",
    "SELECT 1 UNION (SELECT 2 UNION SELECT 3, 4)", "SELECT now()::date UNION SELECT '2020-01-01' ORDER BY 1",
    "SELECT array[1] UNION SELECT '{2}' ORDER BY 1", "SELECT 1 UNION SELECT now()",
    "SELECT '{\"a\":1}'::json UNION SELECT '{\"a\":1}'::json", "SELECT '{\"a\":1}'::json UNION ALL SELECT '{}'",
    "SELECT (SELECT 1 UNION SELECT '2' ORDER BY 1 DESC LIMIT 1)",
    "CREATE TABLE u1(a int, b text)", "INSERT INTO u1 SELECT 1, 'x' UNION SELECT '2', 'y'",
    "INSERT INTO u1 SELECT '3', 'z' UNION ALL SELECT 4, 5", "SELECT * FROM u1 ORDER BY 1",
    "SELECT 1 UNION SELECT %s ORDER BY 1", "SELECT 1 UNION SELECT 'q' UNION SELECT %s",
]


def test_set_operation_types(conns):
    same(conns, "setops", SETOPS, {"SELECT 1 UNION SELECT %s ORDER BY 1": ["2"],
                                   "SELECT 1 UNION SELECT 'q' UNION SELECT %s": ["5"]})


def test_record_json_with_null_fields(conns):
    same(conns, "recjson", [
        "CREATE TYPE onef AS (a int)",
        "SELECT row_to_json(row(null)::onef), to_json(row(null)::onef), row(null)::onef",
        "SELECT row_to_json(s) FROM (SELECT * FROM (VALUES (null), (2)) v(a)) s",
        "SELECT row_to_json(s) FROM (SELECT * FROM (VALUES (null, 'x'), (2, null)) v(a, b)) s",
        "SELECT json_agg(s) FROM (VALUES (null), ('1')) s", "SELECT to_json(s) FROM (VALUES (null)) s",
        "SELECT jsonb_agg(t) FROM (VALUES (1, '2'::text), (3, '4')) t",
        "SELECT row_to_json(s) FROM (SELECT 1 AS a, '2' AS b, 2.0::float8 AS c, '3'::numeric AS d) s",
        "SELECT to_json(array_agg(s)) FROM (SELECT 1 a, 'x' b) s",
        "SELECT array_to_json(array_agg(s)) FROM (SELECT 1 a, 'x' b UNION ALL SELECT 2, '3' ORDER BY 1) s",
        "SELECT to_json(array_agg(s)), array_to_json(array_agg(s), true) FROM (VALUES (1, null), (2, 2.5)) s",
    ])


def test_foreign_key_declaration_errors(conns):
    same(conns, "fkdecl", [
        "CREATE TABLE q1(a int PRIMARY KEY, b text UNIQUE, c int, d int, UNIQUE (c, d))",
        "CREATE UNIQUE INDEX q1_ci ON q1(d)", "CREATE TABLE p1(a int, b int)",
        "CREATE TABLE r0(x int REFERENCES p1(a))", "CREATE TABLE r00(x int REFERENCES p1)",
        "CREATE TABLE r1(x int REFERENCES q1(zz))", "CREATE TABLE r2(zz int, FOREIGN KEY (x) REFERENCES q1(a))",
        "CREATE TABLE r3(x int, FOREIGN KEY (x) REFERENCES q1(a, a))",
        "CREATE TABLE r4(x int, y int, FOREIGN KEY (x, y) REFERENCES q1(d, c))",
        "CREATE TABLE r5(x int, y int, FOREIGN KEY (x, y) REFERENCES q1(c))",
        "CREATE TABLE r7(x text REFERENCES q1(a))", "CREATE TABLE r8(x int REFERENCES q1(d))",
        "CREATE TABLE r9(x int REFERENCES q1(b))", "CREATE TABLE r11(x int, y int, FOREIGN KEY (x, y) REFERENCES q1)",
        "CREATE TABLE r12(x int, FOREIGN KEY (x) REFERENCES q1(a, c))", "CREATE TABLE r13(x bigint REFERENCES q1(a))",
        "CREATE TABLE r14(x numeric REFERENCES q1(a))", "CREATE TABLE r15(x varchar REFERENCES q1(b))",
        "CREATE TABLE r16(x int)", "ALTER TABLE r16 ADD FOREIGN KEY (x) REFERENCES p1(b)",
        "ALTER TABLE r16 ADD FOREIGN KEY (x) REFERENCES q1(d)", "INSERT INTO r16 VALUES (1)",
    ])


def test_dropping_keys_that_foreign_keys_use(conns):
    same(conns, "fkdrop", [
        "CREATE TABLE p2(a int PRIMARY KEY, b int UNIQUE)",
        "CREATE TABLE c6(x int REFERENCES p2(a), y int REFERENCES p2(a))", "CREATE TABLE c4(x int REFERENCES p2(b))",
        "INSERT INTO p2 VALUES (1, 1)", "INSERT INTO c6 VALUES (1, 1)",
        "ALTER TABLE p2 DROP CONSTRAINT p2_pkey", "ALTER TABLE p2 DROP CONSTRAINT p2_pkey CASCADE",
        "INSERT INTO c6 VALUES (5, 5)",
        "SELECT conname FROM pg_constraint WHERE conrelid IN ('c6'::regclass, 'c4'::regclass) ORDER BY 1",
        "ALTER TABLE p2 DROP CONSTRAINT p2_b_key CASCADE", "INSERT INTO c4 VALUES (7)",
        "CREATE TABLE pp(a int)", "CREATE UNIQUE INDEX pp_a ON pp(a)", "CREATE TABLE cc(x int REFERENCES pp(a))",
        "DROP INDEX pp_a", "DROP INDEX pp_a CASCADE", "INSERT INTO cc VALUES (3)",
        "CREATE TABLE pq(a int PRIMARY KEY, b int)", "CREATE TABLE cq(x int REFERENCES pq)",
        "ALTER TABLE pq DROP COLUMN a", "ALTER TABLE pq DROP COLUMN a CASCADE", "INSERT INTO cq VALUES (5)",
        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'cq'::regclass",
        "CREATE TABLE pu(a int PRIMARY KEY, u int UNIQUE)", "CREATE TABLE cu(x int REFERENCES pu(u))",
        "CREATE UNIQUE INDEX pu_u2 ON pu(u)", "DROP INDEX pu_u2", "INSERT INTO cu VALUES (9)",
    ])


def test_plpgsql_record_against_column_definition_list(conns):
    same(conns, "recret", [
        "CREATE FUNCTION fr1() RETURNS record LANGUAGE plpgsql AS $$ DECLARE r record; "
        "BEGIN SELECT 1, 'a'::text INTO r; RETURN r; END $$",
        "SELECT * FROM fr1() AS t(a int, b text)", "SELECT * FROM fr1() AS t(a text, b text)",
        "SELECT * FROM fr1() AS t(a int)", "SELECT * FROM fr1() AS t(a bigint, b text)",
        "SELECT * FROM fr1() AS t(a int, b varchar)",
        "CREATE FUNCTION fr3() RETURNS SETOF record LANGUAGE plpgsql AS $$ DECLARE r record; "
        "BEGIN SELECT 1, 'x'::text INTO r; RETURN NEXT r; RETURN NEXT r; END $$",
        "SELECT * FROM fr3() AS t(a int, b text)", "SELECT * FROM fr3() AS t(a int, b int)",
        "CREATE FUNCTION fr2() RETURNS record LANGUAGE plpgsql AS $$ BEGIN RETURN row(1, 2.5); END $$",
        "SELECT * FROM fr2() AS t(a int, b numeric)",
    ])


def test_plpgsql_anonymous_row_fields_that_do_not_fit(conns):
    """RETURN row(...) / RETURN NEXT row(...) whose field does not fit the column definition
    list: an error, as in PostgreSQL (its SQLSTATE differs: PostgreSQL knows the row's field
    types, pgsvc reads the field's text into the column's type: 22P02, never an internal error)."""
    ours, _ = conns
    ours.execute("CREATE OR REPLACE FUNCTION pg_temp.fr9() RETURNS SETOF record LANGUAGE plpgsql AS "
                 "$$ BEGIN RETURN NEXT row(1, 'x'::text); END $$")
    for sql in ("SELECT * FROM pg_temp.fr9() AS t(a int, b int)",):
        with pytest.raises(psycopg.Error) as err:
            ours.execute(sql)
        assert err.value.sqlstate in ("42804", "22P02"), err.value


def test_on_delete_set_default(conns):
    same(conns, "setdef", [
        "CREATE TABLE sd_p(id int PRIMARY KEY, t text UNIQUE)",
        "INSERT INTO sd_p VALUES (0, 'dflt'), (8, 'x'), (9, 'y')",
        "CREATE TABLE sd_c(id int DEFAULT 0 REFERENCES sd_p ON DELETE SET DEFAULT, t text DEFAULT 'dflt' "
        "REFERENCES sd_p(t) ON UPDATE SET DEFAULT ON DELETE SET DEFAULT, n int)",
        "INSERT INTO sd_c VALUES (8, 'x', 1), (9, 'y', 2)", "DELETE FROM sd_p WHERE id = 8",
        "SELECT * FROM sd_c ORDER BY n", "UPDATE sd_p SET t = 'z' WHERE id = 9", "SELECT * FROM sd_c ORDER BY n",
        "CREATE TABLE sd_c3(id int REFERENCES sd_p ON DELETE SET DEFAULT)",
        "INSERT INTO sd_p VALUES (4)", "INSERT INTO sd_c3 VALUES (4)", "DELETE FROM sd_p WHERE id = 4",
        "SELECT * FROM sd_c3",
    ])


def test_numeric_power_scale_and_overflow(conns):
    same(conns, "numpow", [
        "SELECT 1.5 ^ 10000", "SELECT 1.5::numeric ^ 3, 2.0 ^ (-3), 100.5 ^ 1.5, 2::numeric ^ 0.5, 0.1 ^ 20",
        "SELECT 12345678901234567890.5 ^ 3, 1.123456789012345678 ^ 2, (-2)::numeric ^ 3, 1::numeric ^ 1e10",
        "SELECT power(1.000001::numeric, 100000000)", "SELECT 10.0 ^ (-200000)", "SELECT 9.99 ^ 1000000",
        "SELECT 10.0 ^ 131072", "SELECT 0::numeric ^ (-1)", "SELECT (-8)::numeric ^ 0.5",
        "SELECT 'NaN'::numeric ^ 2, 2::numeric ^ 'NaN', 'NaN'::numeric ^ 0, 1.0 ^ 'NaN'::numeric",
    ])


def test_money_assignment_casts(conns):
    same(conns, "money", [
        "CREATE TABLE mm(m money, n numeric)", "INSERT INTO mm SELECT 1.5 * 2, '$4.25'::money",
        "INSERT INTO mm VALUES (2.5::numeric), (3::int), (4::bigint)", "SELECT * FROM mm ORDER BY m",
    ])


def test_satisfies_hash_partition_arguments(conns):
    same(conns, "hashpart", [
        "SELECT satisfies_hash_partition(NULL, 0, 0, 1)", "SELECT satisfies_hash_partition('pg_class'::regclass, 0, 0, 1)",
        "SELECT satisfies_hash_partition('pg_class'::regclass, 2, -1, 1)",
        "SELECT satisfies_hash_partition('pg_class'::regclass, 2, 5, 1)",
    ])


def test_cascaded_foreign_key_errors(conns):
    same(conns, "fkcascade", [
        "CREATE TABLE od_p(id int PRIMARY KEY)", "CREATE TABLE od_c1(id int REFERENCES od_p ON DELETE CASCADE)",
        "CREATE TABLE od_c2(id int REFERENCES od_p ON DELETE NO ACTION)", "INSERT INTO od_p VALUES (1), (2)",
        "INSERT INTO od_c1 VALUES (1), (2)", "INSERT INTO od_c2 VALUES (2)", "DELETE FROM od_p WHERE id = 1",
        "DELETE FROM od_p WHERE id = 2", "SELECT * FROM od_c1 ORDER BY 1",
        "CREATE TABLE od_g(id int PRIMARY KEY)",
        "CREATE TABLE od_m(id int PRIMARY KEY, g int REFERENCES od_g ON DELETE CASCADE)",
        "CREATE TABLE od_l(m int REFERENCES od_m ON DELETE NO ACTION)", "INSERT INTO od_g VALUES (1)",
        "INSERT INTO od_m VALUES (10, 1)", "INSERT INTO od_l VALUES (10)", "DELETE FROM od_g",
        "SELECT * FROM od_m",
        "CREATE TABLE od_sd(id int DEFAULT 0 REFERENCES od_p ON DELETE SET DEFAULT)",
        "INSERT INTO od_p VALUES (0), (8)", "INSERT INTO od_sd VALUES (8)", "DELETE FROM od_p WHERE id = 8",
        "SELECT * FROM od_sd", "DELETE FROM od_p WHERE id = 0",
        "CREATE TABLE od_sd5(id int DEFAULT 5 REFERENCES od_p ON DELETE SET DEFAULT)",
        "INSERT INTO od_p VALUES (9)", "INSERT INTO od_sd5 VALUES (9)", "DELETE FROM od_p WHERE id = 9",
    ])


def test_collation_of_a_case_does_not_come_from_its_conditions(conns):
    """SQLite takes a comparison's collating sequence from any COLLATE inside its operands
    (a CASE WHEN n < 1.5, compared under pg_numeric): text compared as numbers or intervals."""
    same(conns, "caseleak", [
        "CREATE TABLE cl_n(t text, n numeric, iv interval, j jsonb)",
        "INSERT INTO cl_n VALUES ('10', 1, '1 day', '{\"k\": 1}'), ('9', 2, '2 days', '{\"k\": 10}'), "
        "('100', 3, '3 days', '{\"k\": 9}'), ('2 days', 4, '4 days', '[1]'), ('30 hours', 5, '5 days', '\"x\"')",
        "SELECT t FROM cl_n WHERE t > CASE WHEN n < 1.5 THEN '9' ELSE '9' END ORDER BY t",
        "SELECT t FROM cl_n WHERE t < CASE WHEN iv > '1 day' THEN '2 days' ELSE '2 days' END ORDER BY t",
        "SELECT t FROM cl_n ORDER BY CASE WHEN n > 0 THEN t END",
        "SELECT max(CASE WHEN n > 0 THEN t END), min(CASE WHEN iv > '0 days' THEN t END) FROM cl_n",
        "SELECT DISTINCT CASE WHEN iv > '2 days' THEN '10' ELSE t END c FROM cl_n ORDER BY 1",
        "SELECT n FROM cl_n WHERE n * 10 < CASE WHEN t > '5' THEN 95 ELSE 25.5 END ORDER BY n",
        "SELECT iv FROM cl_n WHERE iv > CASE WHEN n > 2 THEN interval '36 hours' ELSE interval '25 hours' END ORDER BY iv",
    ])


def test_operators_of_typed_nulls(conns):
    same(conns, "typednull", [
        "SELECT cast(null AS macaddr8) < cast(null AS macaddr8)",
        "SELECT cast(null AS timetz) > cast(null AS timetz), null::varbit = null::varbit, null::oid <> null::oid",
        "SELECT null::int = null::text", "SELECT null::int + null::int, null::text || null::text, "
        "null::numeric < null::numeric, null::interval = null::interval",
        "SELECT null = null, null::int < null, null < null::date",
    ])


def test_restrict_is_checked_when_the_statement_ends(conns):
    same(conns, "restrict", [
        "CREATE TABLE fo_t(id int PRIMARY KEY, parent int REFERENCES fo_t ON DELETE NO ACTION)",
        "INSERT INTO fo_t VALUES (1, NULL), (2, 1), (3, 2)", "DELETE FROM fo_t", "SELECT count(*) FROM fo_t",
        "CREATE TABLE fo_r(id int PRIMARY KEY, parent int REFERENCES fo_r ON DELETE RESTRICT ON UPDATE RESTRICT)",
        "INSERT INTO fo_r VALUES (1, NULL), (2, 1)", "DELETE FROM fo_r WHERE id = 1", "DELETE FROM fo_r",
        "INSERT INTO fo_r VALUES (1, NULL), (2, 1)", "UPDATE fo_r SET id = 5 WHERE id = 1",
        "DROP TABLE fo_r", "CREATE TABLE fo_p(id int PRIMARY KEY)",
        "CREATE TABLE fo_c(id int PRIMARY KEY, p int REFERENCES fo_p ON DELETE RESTRICT)",
        "INSERT INTO fo_p VALUES (1)", "INSERT INTO fo_c VALUES (1, 1)", "DELETE FROM fo_p",
        "DELETE FROM fo_c", "DELETE FROM fo_p",
    ])
