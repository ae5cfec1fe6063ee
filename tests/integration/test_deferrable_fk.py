"""DEFERRABLE foreign keys side by side with PostgreSQL 15 (catalog.deferrable): the same psql
script against both servers must print the same thing — INITIALLY DEFERRED keys checked at
COMMIT (23503 with PostgreSQL's message, detail and fields, the "update or delete" form when
the referenced row went away), SET CONSTRAINTS ... IMMEDIATE / DEFERRED on deferrable keys
while NOT DEFERRABLE ones stay immediate, savepoints, ALTER TABLE ... ADD of a deferred key
over bad rows, the clause's errors, pg_constraint / information_schema / \\d. And psycopg's
view: a failed commit raises ForeignKeyViolation and leaves the connection idle. Expected
output comes from PostgreSQL at run time.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors as e
from test_compare_pg15 import run_script  # psql side by side, as its cases run

CASES = {
    "initially_deferred": r"""
        CREATE TABLE dp (id int PRIMARY KEY);
        CREATE TABLE dc (id int PRIMARY KEY, pid int REFERENCES dp DEFERRABLE INITIALLY DEFERRED,
                         qid int CONSTRAINT dc_q REFERENCES dp DEFERRABLE, rid int REFERENCES dp);
        SELECT conname, condeferrable, condeferred, pg_get_constraintdef(oid) FROM pg_constraint
          WHERE conrelid = 'dc'::regclass ORDER BY conname;
        SELECT constraint_name, is_deferrable, initially_deferred FROM information_schema.table_constraints
          WHERE table_name = 'dc' AND constraint_type <> 'CHECK' ORDER BY 1;
        INSERT INTO dc VALUES (1, 5);
        BEGIN;
        INSERT INTO dc VALUES (2, 6);
        SELECT count(*) FROM dc;
        COMMIT;
        SELECT count(*) FROM dc;
        BEGIN;
        INSERT INTO dc VALUES (3, 7);
        INSERT INTO dp VALUES (7);
        COMMIT;
        BEGIN;
        DELETE FROM dp WHERE id = 7;
        COMMIT;
        BEGIN;
        DELETE FROM dc;
        DELETE FROM dp WHERE id = 7;
        COMMIT;
        SELECT * FROM dc;
        \d dc
        DROP TABLE dc, dp;
    """,
    "set_constraints": r"""
        CREATE TABLE sp (id int PRIMARY KEY);
        CREATE TABLE sc (id int PRIMARY KEY, pid int REFERENCES sp DEFERRABLE INITIALLY DEFERRED,
                         qid int CONSTRAINT sc_q REFERENCES sp DEFERRABLE, rid int REFERENCES sp);
        BEGIN;
        INSERT INTO sc (id, pid) VALUES (1, 6);
        SET CONSTRAINTS ALL IMMEDIATE;
        ROLLBACK;
        BEGIN;
        SET CONSTRAINTS sc_pid_fkey IMMEDIATE;
        INSERT INTO sc (id, pid) VALUES (1, 8);
        ROLLBACK;
        BEGIN;
        SET CONSTRAINTS sc_pid_fkey IMMEDIATE;
        SET CONSTRAINTS sc_pid_fkey DEFERRED;
        INSERT INTO sc (id, pid) VALUES (1, 8);
        INSERT INTO sp VALUES (8);
        COMMIT;
        BEGIN;
        SET CONSTRAINTS sc_q DEFERRED;
        INSERT INTO sc (id, qid) VALUES (2, 9);
        INSERT INTO sc (id, rid) VALUES (3, 9);
        ROLLBACK;
        BEGIN;
        SET CONSTRAINTS ALL DEFERRED;
        INSERT INTO sc (id, qid) VALUES (2, 9);
        UPDATE sc SET pid = 10 WHERE id = 1;
        INSERT INTO sp VALUES (9), (10);
        SET CONSTRAINTS ALL IMMEDIATE;
        COMMIT;
        BEGIN;
        SET CONSTRAINTS ALL DEFERRED;
        INSERT INTO sc (id, qid) VALUES (4, 11);
        COMMIT;
        BEGIN;
        SET CONSTRAINTS sc_rid_fkey DEFERRED;
        ROLLBACK;
        BEGIN;
        SET CONSTRAINTS nosuch IMMEDIATE;
        ROLLBACK;
        BEGIN;
        SET CONSTRAINTS sc_pkey DEFERRED;
        ROLLBACK;
        SET CONSTRAINTS ALL DEFERRED;
        SELECT * FROM sc ORDER BY id;
        BEGIN;
        SAVEPOINT s;
        SET CONSTRAINTS ALL IMMEDIATE;
        ROLLBACK TO s;
        INSERT INTO sc (id, pid) VALUES (20, 21);
        SELECT 'after insert';
        SAVEPOINT t;
        SET CONSTRAINTS sc_q DEFERRED;
        INSERT INTO sc (id, qid) VALUES (22, 23);
        ROLLBACK TO t;
        INSERT INTO sc (id, qid) VALUES (22, 23);
        ROLLBACK;
        BEGIN;
        SAVEPOINT s;
        SET CONSTRAINTS ALL IMMEDIATE;
        RELEASE s;
        INSERT INTO sc (id, pid) VALUES (20, 21);
        ROLLBACK;
        DROP TABLE sc, sp;
    """,
    "savepoints_and_alter": r"""
        CREATE TABLE ap (id int PRIMARY KEY);
        CREATE TABLE ac (id int PRIMARY KEY, pid int);
        INSERT INTO ap VALUES (1);
        INSERT INTO ac VALUES (1, 1), (2, 2);
        ALTER TABLE ac ADD CONSTRAINT ac_pid FOREIGN KEY (pid) REFERENCES ap DEFERRABLE INITIALLY DEFERRED;
        DELETE FROM ac WHERE id = 2;
        ALTER TABLE ac ADD CONSTRAINT ac_pid FOREIGN KEY (pid) REFERENCES ap DEFERRABLE INITIALLY DEFERRED;
        BEGIN;
        INSERT INTO ac VALUES (3, 1);
        SAVEPOINT s1;
        INSERT INTO ac VALUES (4, 40);
        ROLLBACK TO s1;
        COMMIT;
        BEGIN;
        SAVEPOINT s1;
        INSERT INTO ac VALUES (5, 50);
        RELEASE s1;
        COMMIT;
        SELECT * FROM ac ORDER BY id;
        SELECT pg_get_constraintdef('ac_pid'::regconstraint::oid);
        DROP TABLE ac, ap;
    """,
    "clause_errors": r"""
        CREATE TABLE ep (id int PRIMARY KEY);
        CREATE TABLE ec (a int NOT NULL DEFERRABLE);
        CREATE TABLE ec (a int REFERENCES ep DEFERRABLE NOT DEFERRABLE);
        CREATE TABLE ec (a int REFERENCES ep INITIALLY DEFERRED INITIALLY IMMEDIATE);
        CREATE TABLE ec (a int REFERENCES ep NOT DEFERRABLE INITIALLY DEFERRED);
        CREATE TABLE ec (a int INITIALLY DEFERRED);
        CREATE TABLE ec (a int REFERENCES ep INITIALLY DEFERRED, b int REFERENCES ep NOT DEFERRABLE INITIALLY IMMEDIATE);
        SELECT conname, condeferrable, condeferred FROM pg_constraint WHERE conrelid = 'ec'::regclass ORDER BY 1;
        DROP TABLE ec, ep;
    """,
    "alter_constraint": r"""
        CREATE TABLE ap4 (id int PRIMARY KEY);
        CREATE TABLE ac4 (id int UNIQUE, pid int CONSTRAINT ac4_fk REFERENCES ap4, qid int CONSTRAINT ac4_q REFERENCES ap4
                          DEFERRABLE);
        ALTER TABLE ac4 ALTER CONSTRAINT ac4_fk DEFERRABLE INITIALLY DEFERRED;
        SELECT conname, condeferrable, condeferred FROM pg_constraint WHERE conrelid = 'ac4'::regclass ORDER BY 1;
        BEGIN;
        INSERT INTO ac4 VALUES (1, 5);
        COMMIT;
        ALTER TABLE ac4 ALTER CONSTRAINT ac4_q DEFERRABLE INITIALLY DEFERRED;
        ALTER TABLE ac4 ALTER CONSTRAINT ac4_fk NOT DEFERRABLE;
        SELECT conname, condeferrable, condeferred, pg_get_constraintdef(oid) FROM pg_constraint
          WHERE conrelid = 'ac4'::regclass ORDER BY 1;
        INSERT INTO ac4 VALUES (1, 5);
        BEGIN;
        INSERT INTO ac4 VALUES (2, NULL, 6);
        UPDATE ac4 SET qid = NULL;
        COMMIT;
        ALTER TABLE ac4 ALTER CONSTRAINT ac4_id_key DEFERRABLE;
        ALTER TABLE ac4 ALTER CONSTRAINT nosuch DEFERRABLE;
        SELECT * FROM ac4;
        DROP TABLE ac4, ap4;
    """,
    # (not deferrable, but an internal error before: SQLite cannot reach across databases)
    "persistence": r"""
        CREATE TABLE pp1 (id int PRIMARY KEY);
        CREATE UNLOGGED TABLE pu1 (id int PRIMARY KEY);
        CREATE TEMP TABLE pt1 (id int PRIMARY KEY);
        CREATE TABLE c_p_u (a int REFERENCES pu1);
        CREATE TABLE c_p_t (a int REFERENCES pt1);
        CREATE UNLOGGED TABLE c_u_p (a int REFERENCES pp1);
        CREATE UNLOGGED TABLE c_u_t (a int REFERENCES pt1);
        CREATE TEMP TABLE c_t_p (a int REFERENCES pp1 DEFERRABLE);
        CREATE TEMP TABLE c_t_t (a int REFERENCES pt1 DEFERRABLE INITIALLY DEFERRED);
        CREATE TABLE c_p_p (a int);
        ALTER TABLE c_p_p ADD FOREIGN KEY (a) REFERENCES pt1;
        BEGIN;
        INSERT INTO c_t_t VALUES (3);
        COMMIT;
        DROP TABLE c_u_p, c_t_t, c_p_p, pp1, pu1, pt1;
    """,
}


def _script(name: str) -> str:
    return "\n".join(line.strip() for line in CASES[name].strip().splitlines())


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = _script(name)
    assert run_script(shared_server, script) == run_script(pg15, script)


def _commit_error(dsn: str) -> tuple:
    with psycopg.connect(dsn) as conn:
        conn.execute("drop table if exists selfref")
        conn.execute("create temp table selfref (x int primary key, "
                     "y int references selfref (x) deferrable initially deferred)")
        conn.commit()
        conn.execute("insert into selfref values (1, -1)")
        with pytest.raises(e.ForeignKeyViolation) as info:
            conn.commit()
        d = info.value.diag
        after = conn.pgconn.transaction_status, conn.execute("select 1").fetchone()
        return (d.sqlstate, d.message_primary, d.message_detail, d.schema_name is not None, d.table_name,
                d.constraint_name, after)


def test_commit_error_as_psycopg_sees_it(shared_server, pg15):
    def dsn(srv):
        return f"host=127.0.0.1 port={srv.port} user={srv.superuser} dbname=postgres"
    assert _commit_error(dsn(shared_server)) == _commit_error(dsn(pg15))
