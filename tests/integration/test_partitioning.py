"""Declarative partitioning side by side with PostgreSQL 15: the same psql script against both
servers must print the same thing — CREATE TABLE ... PARTITION BY / PARTITION OF (range,
list, hash, default, sub-partitions, expression keys) and every bound error, rows routed on
INSERT and COPY (PostgreSQL's error and detail for a row no partition takes; hash partitions
placing rows where PostgreSQL's hash functions put them), UPDATE moving rows between
partitions, DELETE, ON CONFLICT, ATTACH / DETACH PARTITION, keys and indexes made on the
partitions, TRUNCATE and DROP, UPDATE/DELETE through an inheritance parent, tableoid, the
catalogs (pg_class, pg_partitioned_table, pg_inherits) and functions (pg_get_partkeydef,
pg_get_partition_constraintdef, pg_get_expr of relpartbound, pg_partition_tree /
ancestors / root), and psql's \\d / \\d+ of partitioned tables and partitions. Expected
output comes from PostgreSQL at run time.

Then the way out: `pgsvc dump` and PostgreSQL's own pg_dump of a partitioned schema load
into a fresh PostgreSQL 15 database, which then dumps as PostgreSQL's own build of the same
schema does.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_compare_pg15 import run_script, run_script_in_fresh_database  # psql side by side, as its cases run
from test_dump import Side, create_database, pgsvc_dump, unique

CASES = {
    "range_list_default": r"""
        CREATE TABLE pr (a int, b text) PARTITION BY RANGE (a);
        CREATE TABLE pr1 PARTITION OF pr FOR VALUES FROM (1) TO (10);
        CREATE TABLE pr2 PARTITION OF pr FOR VALUES FROM (10) TO (20);
        CREATE TABLE prd PARTITION OF pr DEFAULT;
        CREATE TABLE pl (a int, b text) PARTITION BY LIST (b);
        CREATE TABLE pl1 PARTITION OF pl FOR VALUES IN ('a', 'b');
        CREATE TABLE pl2 PARTITION OF pl FOR VALUES IN (NULL, 'c');
        INSERT INTO pr VALUES (100, 'x'), (5, 'y'), (10, 'z'), (NULL, 'n');
        INSERT INTO pl VALUES (1, 'a'), (2, NULL), (3, 'c');
        INSERT INTO pl VALUES (4, 'zz');
        SELECT tableoid::regclass, * FROM pr ORDER BY a;
        SELECT tableoid::regclass, * FROM pl;
        SELECT * FROM ONLY pr;
        INSERT INTO pr1 VALUES (50, 'bad');
        INSERT INTO pr1 VALUES (5, 'ok') RETURNING tableoid::regclass, *;
        SELECT c.relname, c.relkind, c.relispartition, pg_get_expr(c.relpartbound, c.oid),
               pg_get_partkeydef(c.oid), pg_get_partition_constraintdef(c.oid)
          FROM pg_class c WHERE c.relname IN ('pr', 'pr1', 'pr2', 'prd', 'pl', 'pl1', 'pl2') ORDER BY 1;
        SELECT partrelid::regclass, partstrat, partnatts, partdefid::regclass, partattrs
          FROM pg_partitioned_table WHERE partrelid IN ('pr'::regclass, 'pl'::regclass) ORDER BY 1;
        SELECT inhrelid::regclass, inhparent::regclass, inhseqno FROM pg_inherits
          WHERE inhparent IN ('pr'::regclass, 'pl'::regclass) ORDER BY 1;
        DROP TABLE pr, pl;
    """,
    "bound_errors": r"""
        CREATE TABLE be (a int, b int) PARTITION BY RANGE (a);
        CREATE TABLE be1 PARTITION OF be FOR VALUES FROM (1) TO (10);
        CREATE TABLE be2 PARTITION OF be FOR VALUES FROM (5) TO (15);
        CREATE TABLE be3 PARTITION OF be FOR VALUES FROM (20) TO (10);
        CREATE TABLE be3 PARTITION OF be FOR VALUES IN (1);
        CREATE TABLE be3 PARTITION OF be FOR VALUES FROM (1, 2) TO (3, 4);
        CREATE TABLE be3 PARTITION OF be FOR VALUES FROM ('x') TO (30);
        CREATE TABLE bed PARTITION OF be DEFAULT;
        CREATE TABLE bed2 PARTITION OF be DEFAULT;
        INSERT INTO be VALUES (50, 1);
        CREATE TABLE be4 PARTITION OF be FOR VALUES FROM (40) TO (60);
        CREATE TABLE be5 (a int) PARTITION BY LIST (a, a);
        CREATE TABLE be5 (a int) PARTITION BY RANGE (zz);
        CREATE TABLE be5 (a point) PARTITION BY RANGE (a);
        CREATE TABLE be6 PARTITION OF be1 FOR VALUES FROM (1) TO (2);
        CREATE TABLE bm (a int, b int, c int) PARTITION BY RANGE (a, b, c);
        CREATE TABLE bm1 PARTITION OF bm FOR VALUES FROM (MINVALUE, 0, 0) TO (1, MAXVALUE, MAXVALUE);
        CREATE TABLE bm1 PARTITION OF bm FOR VALUES FROM (MINVALUE, MINVALUE, MINVALUE) TO (1, MAXVALUE, MAXVALUE);
        CREATE TABLE bm2 PARTITION OF bm FOR VALUES FROM (1, 5, MINVALUE) TO (1, 10, MAXVALUE);
        SELECT pg_get_expr(relpartbound, oid), pg_get_partition_constraintdef(oid) FROM pg_class
          WHERE relname IN ('bm1', 'bm2') ORDER BY relname;
        INSERT INTO bm VALUES (1, 7, NULL);
        ALTER TABLE be ADD PRIMARY KEY (b);
        DROP TABLE be, bm;
    """,
    "hash": r"""
        CREATE TABLE ph (a int, b text) PARTITION BY HASH (a, b);
        CREATE TABLE ph0 PARTITION OF ph FOR VALUES WITH (MODULUS 4, REMAINDER 0);
        CREATE TABLE ph1 PARTITION OF ph FOR VALUES WITH (MODULUS 4, REMAINDER 1);
        CREATE TABLE ph2 PARTITION OF ph FOR VALUES WITH (MODULUS 4, REMAINDER 2);
        CREATE TABLE ph3 PARTITION OF ph FOR VALUES WITH (MODULUS 4, REMAINDER 3);
        CREATE TABLE ph4 PARTITION OF ph FOR VALUES WITH (MODULUS 3, REMAINDER 1);
        CREATE TABLE ph4 PARTITION OF ph FOR VALUES WITH (MODULUS 8, REMAINDER 1);
        CREATE TABLE ph4 PARTITION OF ph DEFAULT;
        INSERT INTO ph SELECT g, 'v' || g FROM generate_series(-20, 40) g;
        INSERT INTO ph VALUES (NULL, NULL), (7, NULL), (NULL, 'x');
        SELECT tableoid::regclass, count(*), sum(a), string_agg(b, ',' ORDER BY b) FROM ph GROUP BY 1 ORDER BY 1;
        INSERT INTO ph0 VALUES (2, 'v2');
        \d ph1
        UPDATE ph SET a = a + 1000 WHERE a BETWEEN 1 AND 6 RETURNING tableoid::regclass, *;
        DELETE FROM ph WHERE a > 1000 RETURNING tableoid::regclass, *;
        DROP TABLE ph;
    """,
    "subpartitions_and_routing_errors": r"""
        CREATE TABLE ps (a int, b text, c date) PARTITION BY RANGE (a);
        CREATE TABLE ps1 PARTITION OF ps FOR VALUES FROM (1) TO (100) PARTITION BY LIST (b);
        CREATE TABLE ps1a PARTITION OF ps1 FOR VALUES IN ('a');
        CREATE TABLE ps1b PARTITION OF ps1 FOR VALUES IN ('b') PARTITION BY RANGE (c);
        CREATE TABLE ps1b1 PARTITION OF ps1b FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
        CREATE TABLE ps2 PARTITION OF ps FOR VALUES FROM (100) TO (200);
        CREATE TABLE pe (a int, b text) PARTITION BY RANGE (lower(b), (a + 1));
        CREATE TABLE pe1 PARTITION OF pe FOR VALUES FROM ('a', -5) TO ('b', 1.5);
        INSERT INTO ps VALUES (1, 'a', NULL), (2, 'b', '2020-06-01'), (150, 'q', NULL);
        INSERT INTO ps VALUES (3, 'z', NULL);
        INSERT INTO ps VALUES (3, 'b', '2022-01-01');
        INSERT INTO ps VALUES (300, 'a', NULL);
        INSERT INTO ps1 VALUES (150, 'a', NULL);
        INSERT INTO pe VALUES (1, 'zz');
        INSERT INTO pe VALUES (-6, 'A') RETURNING tableoid::regclass;
        SELECT tableoid::regclass, * FROM ps ORDER BY a;
        SELECT * FROM pg_partition_tree('ps');
        SELECT * FROM pg_partition_ancestors('ps1b1');
        SELECT pg_partition_root('ps1b1'), pg_partition_root('ps'), pg_partition_root('pg_class');
        SELECT pg_get_partition_constraintdef('ps1b1'::regclass);
        \d ps
        \d+ ps1
        \d+ ps1b1
        \d pe
        DROP TABLE ps, pe;
    """,
    "update_delete_move": r"""
        CREATE TABLE pu (a int, b text, c int DEFAULT 7) PARTITION BY RANGE (a);
        CREATE TABLE pu1 PARTITION OF pu FOR VALUES FROM (1) TO (10);
        CREATE TABLE pu2 PARTITION OF pu FOR VALUES FROM (10) TO (20);
        INSERT INTO pu (a, b) VALUES (1, 'a'), (2, 'b'), (11, 'c'), (12, 'd');
        UPDATE pu SET b = b || '!' WHERE a < 12 RETURNING tableoid::regclass, *;
        UPDATE pu SET a = a + 10 WHERE a = 2 RETURNING tableoid::regclass, *;
        UPDATE pu SET a = 100 WHERE a = 1;
        UPDATE pu1 SET a = 15;
        UPDATE pu SET c = c + 1 WHERE tableoid = 'pu2'::regclass AND b = 'd' RETURNING tableoid::regclass, *;
        SELECT tableoid::regclass, * FROM pu ORDER BY a, b;
        DELETE FROM pu WHERE b LIKE 'c%' RETURNING tableoid::regclass, *;
        DELETE FROM pu USING (VALUES (12)) v(x) WHERE pu.a = v.x;
        SELECT tableoid::regclass, * FROM pu ORDER BY a, b;
        BEGIN;
        UPDATE pu SET a = a + 1;
        SELECT tableoid::regclass, * FROM pu ORDER BY a, b;
        ROLLBACK;
        SELECT tableoid::regclass, * FROM pu ORDER BY a, b;
        DROP TABLE pu;
    """,
    "keys_indexes_on_conflict": r"""
        CREATE TABLE pk (a int, b text, c int CHECK (c > 0)) PARTITION BY LIST (a);
        CREATE TABLE pk1 PARTITION OF pk FOR VALUES IN (1, 2);
        ALTER TABLE pk ADD PRIMARY KEY (a);
        ALTER TABLE pk ADD UNIQUE (b);
        CREATE INDEX ON pk (c);
        CREATE TABLE pk2 PARTITION OF pk FOR VALUES IN (3, 4);
        INSERT INTO pk VALUES (1, 'x', 1), (3, 'y', 2);
        INSERT INTO pk VALUES (1, 'z', 1);
        INSERT INTO pk VALUES (4, 'w', 0);
        INSERT INTO pk VALUES (1, 'q', 5) ON CONFLICT (a) DO UPDATE SET c = excluded.c + 100
          RETURNING tableoid::regclass, *;
        INSERT INTO pk VALUES (1, 'q', 5) ON CONFLICT (a) DO UPDATE SET a = 3;
        INSERT INTO pk VALUES (3, 'r', 5) ON CONFLICT DO NOTHING RETURNING *;
        INSERT INTO pk VALUES (4, 'r', 5) ON CONFLICT DO NOTHING RETURNING *;
        SELECT tableoid::regclass, * FROM pk ORDER BY a;
        \d pk
        \d pk1
        \d+ pk2
        SELECT c.relname, c.relkind, c.relispartition FROM pg_class c
          WHERE c.relname LIKE 'pk%' ORDER BY 1;
        SELECT inhrelid::regclass, inhparent::regclass FROM pg_inherits WHERE inhrelid::regclass::text LIKE 'pk%'
          ORDER BY inhrelid::regclass::text;
        CREATE INDEX CONCURRENTLY ON pk (b);
        DROP INDEX pk1_c_idx;
        DROP INDEX pk_c_idx;
        SELECT relname FROM pg_class WHERE relname LIKE 'pk%idx' ORDER BY 1;
        DROP TABLE pk;
    """,
    "attach_detach": r"""
        CREATE TABLE pa (a int, b text) PARTITION BY RANGE (a);
        CREATE TABLE plainpa (a int);
        ALTER TABLE plainpa ATTACH PARTITION pa FOR VALUES FROM (1) TO (2);
        CREATE TABLE pa1 (a int, b text, c int);
        ALTER TABLE pa ATTACH PARTITION pa1 FOR VALUES FROM (1) TO (10);
        CREATE TABLE pa2 (a int);
        ALTER TABLE pa ATTACH PARTITION pa2 FOR VALUES FROM (1) TO (10);
        CREATE TABLE pa3 (a int, b int);
        ALTER TABLE pa ATTACH PARTITION pa3 FOR VALUES FROM (1) TO (10);
        CREATE TABLE pa4 (b text, a int);
        INSERT INTO pa4 VALUES ('x', 50);
        ALTER TABLE pa ATTACH PARTITION pa4 FOR VALUES FROM (1) TO (10);
        DELETE FROM pa4;
        INSERT INTO pa4 VALUES ('y', 5);
        ALTER TABLE pa ATTACH PARTITION pa4 FOR VALUES FROM (1) TO (10);
        ALTER TABLE pa ATTACH PARTITION pa4 FOR VALUES FROM (1) TO (10);
        INSERT INTO pa VALUES (6, 'z');
        SELECT tableoid::regclass, * FROM pa ORDER BY a;
        \d+ pa4
        INSERT INTO pa4 VALUES ('w', 60);
        BEGIN;
        ALTER TABLE pa DETACH PARTITION pa4 CONCURRENTLY;
        ROLLBACK;
        ALTER TABLE pa DETACH PARTITION plainpa;
        ALTER TABLE pa DETACH PARTITION pa4;
        INSERT INTO pa4 VALUES ('w', 60);
        SELECT * FROM pa;
        SELECT count(*) FROM pa4;
        ALTER TABLE pa DROP COLUMN a;
        ALTER TABLE pa ATTACH PARTITION pa4 FOR VALUES FROM (1) TO (100);
        ALTER TABLE pa4 DROP COLUMN b;
        ALTER TABLE pa ADD COLUMN c int DEFAULT 3;
        ALTER TABLE pa ATTACH PARTITION pa4 FOR VALUES FROM (100) TO (200);
        DROP TABLE pa4;
        CREATE TABLE pa5 (a int, b text) PARTITION BY RANGE (a);
        SELECT * FROM pa;
        \d pa
        DROP TABLE pa, pa5, plainpa, pa1, pa2, pa3;
    """,
    "copy_truncate_drop": r"""
        CREATE TABLE pc (a int, b text DEFAULT 'dflt') PARTITION BY RANGE (a);
        CREATE TABLE pc1 PARTITION OF pc FOR VALUES FROM (1) TO (10);
        CREATE TABLE pc2 PARTITION OF pc FOR VALUES FROM (10) TO (20);
        COPY pc (a) FROM stdin;
        3
        13
        \.
        COPY pc FROM stdin;
        4	four
        \.
        SELECT tableoid::regclass, * FROM pc ORDER BY a;
        TRUNCATE ONLY pc;
        TRUNCATE pc;
        SELECT count(*) FROM pc;
        CREATE VIEW pcv AS SELECT * FROM pc1;
        DROP TABLE pc;
        DROP TABLE pc CASCADE;
        SELECT count(*) FROM pg_class WHERE relname LIKE 'pc%';
    """,
    "partition_triggers_and_key_privileges": r"""
        CREATE TABLE bt (a int, b text) PARTITION BY LIST (a);
        CREATE TABLE bt1 PARTITION OF bt FOR VALUES IN (1);
        CREATE TABLE bt2 PARTITION OF bt FOR VALUES IN (2);
        CREATE FUNCTION btf() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN new.a := new.a + 1; RETURN new; END $$;
        CREATE TRIGGER btt BEFORE INSERT ON bt1 FOR EACH ROW EXECUTE FUNCTION btf();
        INSERT INTO bt VALUES (1, 'moved out by its trigger');
        CREATE FUNCTION btn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'b: %', new.b; RETURN NULL; END $$;
        CREATE TRIGGER btn BEFORE INSERT ON bt2 FOR EACH ROW EXECUTE FUNCTION btn();
        INSERT INTO bt VALUES (2, 'foo'), (2, 'bar');
        COPY bt FROM stdin;
        2	baz
        \.
        SELECT tableoid::regclass, * FROM bt;
        DROP TRIGGER btt ON bt1;
        CREATE FUNCTION bta() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'after: % %', tg_table_name, new; RETURN NULL; END $$;
        CREATE TRIGGER bta AFTER INSERT ON bt1 FOR EACH ROW EXECUTE FUNCTION bta();
        INSERT INTO bt VALUES (1, 'x') RETURNING *;
        CREATE TABLE kd (a int, b int) PARTITION BY RANGE ((a + 0));
        CREATE TABLE kd1 PARTITION OF kd FOR VALUES FROM (0) TO (10);
        CREATE ROLE part_kd_user;
        GRANT INSERT ON kd TO part_kd_user;
        SET ROLE part_kd_user;
        INSERT INTO kd VALUES (100, 1);
        RESET ROLE;
        INSERT INTO kd VALUES (100, 1);
        DROP TABLE kd, bt;
        DROP FUNCTION btf(), btn(), bta();
        DROP ROLE part_kd_user;
    """,
    "update_triggers_and_transition_tables": r"""
        CREATE TABLE ut (a int, b int, c text) PARTITION BY RANGE (a);
        CREATE TABLE ut1 PARTITION OF ut FOR VALUES FROM (0) TO (10);
        CREATE TABLE ut2 (c text, b int, a int);
        ALTER TABLE ut ATTACH PARTITION ut2 FOR VALUES FROM (10) TO (20);
        INSERT INTO ut VALUES (1, 1, 'x'), (2, 2, 'y'), (11, 11, 'z');
        CREATE FUNCTION utb() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE NOTICE '% % on %: % -> %', tg_when, tg_op, tg_table_name, old, new;
            IF tg_op = 'UPDATE' AND new.b = 2 THEN new.b := 20; END IF;
            IF tg_op = 'DELETE' AND old.c = 'keep' THEN RETURN NULL; END IF;
            RETURN CASE WHEN tg_op = 'DELETE' THEN old ELSE new END; END $$;
        CREATE TRIGGER utb1 BEFORE UPDATE OR DELETE ON ut1 FOR EACH ROW EXECUTE FUNCTION utb();
        CREATE TRIGGER utb2 BEFORE INSERT ON ut2 FOR EACH ROW EXECUTE FUNCTION utb();
        CREATE FUNCTION uts() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE NOTICE 'old: %, new: %', (SELECT string_agg(o::text, ', ' ORDER BY o.a) FROM oldt o),
                                                (SELECT string_agg(n::text, ', ' ORDER BY n.a) FROM newt n);
            RETURN NULL; END $$;
        CREATE TRIGGER uts AFTER UPDATE ON ut REFERENCING OLD TABLE AS oldt NEW TABLE AS newt
          FOR EACH STATEMENT EXECUTE FUNCTION uts();
        UPDATE ut SET a = a + 10 WHERE a = 2 RETURNING tableoid::regclass, *;
        UPDATE ut SET c = c || '!' WHERE a < 20;
        SELECT tableoid::regclass, * FROM ut ORDER BY a, b;
        UPDATE ut SET c = 'keep' WHERE a = 1;
        DELETE FROM ut WHERE a = 1;
        DELETE FROM ut WHERE a > 5 RETURNING tableoid::regclass, *;
        SELECT tableoid::regclass, * FROM ut ORDER BY a, b;
        DROP TABLE ut;
        DROP FUNCTION utb(), uts();
    """,
    "foreign_keys_of_partitions": r"""
        CREATE TABLE fcust (id int PRIMARY KEY);
        INSERT INTO fcust VALUES (1), (2);
        CREATE TABLE ford (id int, cid int REFERENCES fcust, amount int) PARTITION BY RANGE (id);
        CREATE TABLE ford1 PARTITION OF ford FOR VALUES FROM (0) TO (100);
        INSERT INTO ford VALUES (1, 1, 10);
        INSERT INTO ford VALUES (2, 5, 10);
        CREATE TABLE ford2 PARTITION OF ford FOR VALUES FROM (100) TO (200);
        INSERT INTO ford VALUES (150, 7, 10);
        DELETE FROM fcust WHERE id = 2;
        DELETE FROM fcust WHERE id = 1;
        SELECT tableoid::regclass, * FROM ford;
        \d ford1
        SELECT conname, conrelid::regclass, conparentid <> 0 AS has_parent FROM pg_constraint
          WHERE conrelid::regclass::text LIKE 'ford%' ORDER BY 2::text, 1;
        DROP TABLE ford, fcust;
    """,
    "temporary_and_generated": r"""
        CREATE TEMP TABLE tp (a int, b text) PARTITION BY RANGE (a);
        CREATE TEMP TABLE tp1 PARTITION OF tp FOR VALUES FROM (1) TO (10);
        CREATE TABLE tpp PARTITION OF tp FOR VALUES FROM (10) TO (20);
        CREATE TABLE tpq (a int, b text);
        ALTER TABLE tp ATTACH PARTITION tpq FOR VALUES FROM (10) TO (20);
        INSERT INTO tp VALUES (5, 'x');
        UPDATE tp SET a = 6 RETURNING tableoid::regclass, *;
        CREATE TABLE gp (a int, b int GENERATED ALWAYS AS (a * 2) STORED) PARTITION BY RANGE (b);
        CREATE TABLE gp (a int, b int GENERATED ALWAYS AS (a * 2) STORED) PARTITION BY RANGE (a);
        CREATE TABLE gp1 PARTITION OF gp FOR VALUES FROM (0) TO (10);
        CREATE TABLE IF NOT EXISTS gp1 PARTITION OF gp FOR VALUES FROM (0) TO (10);
        INSERT INTO gp (a) VALUES (3);
        UPDATE gp SET a = 4 RETURNING *;
        SELECT tableoid::regclass, * FROM gp;
        DROP TABLE tp, gp, tpq;
    """,
    "batched_rows_errors": r"""
        CREATE TABLE ub (a int PRIMARY KEY, b int CHECK (b > 0)) PARTITION BY RANGE (a);
        CREATE TABLE ub1 PARTITION OF ub FOR VALUES FROM (0) TO (100);
        CREATE TABLE ub2 PARTITION OF ub FOR VALUES FROM (100) TO (200);
        INSERT INTO ub SELECT g, 1 FROM generate_series(1, 150) g;
        INSERT INTO ub VALUES (5, 1), (6, 1), (6, 2), (150, 1);
        INSERT INTO ub VALUES (7, 1), (8, 0), (9, 1);
        INSERT INTO ub SELECT g, g - 160 FROM generate_series(151, 170) g;
        INSERT INTO ub SELECT g, 1 FROM generate_series(190, 210) g;
        SELECT count(*), sum(a) FROM ub;
        BEGIN;
        INSERT INTO ub VALUES (160, 1), (161, 1);
        INSERT INTO ub VALUES (162, 1), (162, 1);
        ROLLBACK;
        SELECT tableoid::regclass, count(*) FROM ub GROUP BY 1 ORDER BY 1;
        DROP TABLE ub;
    """,
    "failing_rows_in_the_targets_column_order": r"""
        CREATE TABLE mp (a int, b int, c text) PARTITION BY RANGE (a, b);
        CREATE TABLE mp5 (c text, a int NOT NULL, b int NOT NULL) PARTITION BY LIST (c);
        CREATE TABLE mp5a (b int NOT NULL, c text, a int NOT NULL);
        ALTER TABLE mp5 ATTACH PARTITION mp5a FOR VALUES IN ('a');
        ALTER TABLE mp ATTACH PARTITION mp5 FOR VALUES FROM (1, 40) TO (1, 50);
        ALTER TABLE mp5a ADD CONSTRAINT check_b CHECK (b <> 45);
        INSERT INTO mp VALUES (1, 45, 'a');
        CREATE FUNCTION mpf() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN new.c = 'b'; RETURN new; END $$;
        CREATE TRIGGER mpt BEFORE INSERT ON mp5a FOR EACH ROW EXECUTE PROCEDURE mpf();
        INSERT INTO mp5 (a, b, c) VALUES (1, 40, 'a');
        INSERT INTO mp VALUES (1, 41, NULL);
        CREATE TABLE nn (a int, b int NOT NULL) PARTITION BY RANGE (a);
        CREATE TABLE nn1 (b int NOT NULL, a int);
        ALTER TABLE nn ATTACH PARTITION nn1 FOR VALUES FROM (0) TO (10);
        INSERT INTO nn VALUES (1, NULL);
        UPDATE nn SET b = NULL;
        DROP TABLE mp, nn;
        DROP FUNCTION mpf();
    """,
    "drop_constraint_reaches_partitions": r"""
        CREATE TABLE dc2 (id int PRIMARY KEY);
        CREATE TABLE dc (a int PRIMARY KEY, b int CONSTRAINT bpos CHECK (b > 0), c int REFERENCES dc2)
          PARTITION BY RANGE (a);
        CREATE TABLE dc1 PARTITION OF dc FOR VALUES FROM (0) TO (10) PARTITION BY RANGE (a);
        CREATE TABLE dc11 PARTITION OF dc1 FOR VALUES FROM (0) TO (5);
        \d dc11
        ALTER TABLE dc DROP CONSTRAINT dc_pkey;
        ALTER TABLE dc DROP CONSTRAINT bpos;
        ALTER TABLE dc DROP CONSTRAINT dc_c_fkey;
        \d dc11
        INSERT INTO dc VALUES (1, -1, 99), (1, -2, 98);
        SELECT * FROM dc;
        DROP TABLE dc, dc2;
    """,
    "rename_column_reaches_children": r"""
        CREATE TABLE rn (a int, b text) PARTITION BY LIST (a);
        CREATE TABLE rn1 PARTITION OF rn FOR VALUES IN (1);
        INSERT INTO rn VALUES (1, 'x');
        ALTER TABLE rn RENAME COLUMN b TO c;
        SELECT * FROM rn;
        \d rn1
        ALTER TABLE rn1 RENAME COLUMN c TO d;
        ALTER TABLE rn RENAME TO rn_new;
        \d+ rn_new
        DROP TABLE rn_new;
        CREATE TABLE ri (a int, b int);
        CREATE TABLE ric () INHERITS (ri);
        INSERT INTO ric VALUES (1, 2);
        ALTER TABLE ONLY ri RENAME COLUMN b TO c;
        ALTER TABLE ri RENAME COLUMN b TO c;
        SELECT * FROM ri;
        ALTER TABLE ric RENAME COLUMN c TO d;
        ALTER TABLE ric DROP COLUMN c;
        ALTER TABLE ri DROP COLUMN c;
        SELECT * FROM ric;
        DROP TABLE ri CASCADE;
    """,
    "inheritance_update_delete": r"""
        CREATE TABLE ih (a int, b text);
        CREATE TABLE ihc (c int) INHERITS (ih);
        CREATE TABLE ihp (a int) PARTITION BY RANGE (a);
        CREATE TABLE ihp1 PARTITION OF ihp FOR VALUES FROM (1) TO (2);
        CREATE TABLE ihx () INHERITS (ihp);
        CREATE TABLE ihx () INHERITS (ihp1);
        ALTER TABLE ihp ATTACH PARTITION ihc FOR VALUES FROM (5) TO (6);
        DROP TABLE ihp;
        INSERT INTO ih VALUES (1, 'p');
        INSERT INTO ihc VALUES (2, 'c', 20), (3, 'd', 30);
        UPDATE ih SET b = b || '!' WHERE a > 1 RETURNING tableoid::regclass, *;
        SELECT tableoid::regclass, * FROM ih ORDER BY a;
        DELETE FROM ih WHERE a = 3 RETURNING tableoid::regclass, *;
        UPDATE ONLY ih SET b = 'only';
        SELECT tableoid::regclass, * FROM ih ORDER BY a;
        SELECT * FROM ihc;
        ALTER TABLE ih ADD COLUMN d int DEFAULT 5;
        SELECT * FROM ihc;
        TRUNCATE ih;
        SELECT count(*) FROM ihc;
        DROP TABLE ih CASCADE;
    """,
    "alter_index_attach_partition": r"""
        CREATE TABLE ai (a int, b int, c text) PARTITION BY RANGE (a);
        CREATE TABLE ai1 PARTITION OF ai FOR VALUES FROM (0) TO (10);
        CREATE TABLE ai2 PARTITION OF ai FOR VALUES FROM (10) TO (20) PARTITION BY LIST (b);
        CREATE TABLE ai2a PARTITION OF ai2 FOR VALUES IN (1);
        CREATE TABLE other (a int, b int);
        CREATE INDEX ai_b ON ONLY ai (b);
        CREATE INDEX ai1_b ON ai1 (b);
        CREATE INDEX ai1_c ON ai1 (c);
        CREATE INDEX ai1_b2 ON ai1 (b);
        CREATE INDEX ai1_bp ON ai1 (b) WHERE a > 1;
        CREATE INDEX other_b ON other (b);
        CREATE INDEX ai2_b ON ONLY ai2 (b);
        CREATE INDEX ai2a_b ON ai2a (b);
        SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE c.relname LIKE 'ai%' ORDER BY 1;
        ALTER INDEX ai_b ATTACH PARTITION nosuch;
        ALTER INDEX nosuch ATTACH PARTITION ai1_b;
        ALTER INDEX ai_b ATTACH PARTITION ai1;
        ALTER INDEX ai_b ATTACH PARTITION other_b;
        ALTER INDEX ai_b ATTACH PARTITION ai1_c;
        ALTER INDEX ai_b ATTACH PARTITION ai1_bp;
        ALTER INDEX ai1_b ATTACH PARTITION ai1_c;
        ALTER INDEX ai_b ATTACH PARTITION ai1_b;
        ALTER INDEX ai_b ATTACH PARTITION ai1_b;
        ALTER INDEX ai_b ATTACH PARTITION ai1_b2;
        ALTER INDEX ai2_b ATTACH PARTITION ai1_b;
        ALTER INDEX ai_b ATTACH PARTITION ai2_b;
        SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE c.relname LIKE 'ai%' ORDER BY 1;
        \d ai
        ALTER INDEX ai2_b ATTACH PARTITION ai2a_b;
        SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE c.relname LIKE 'ai%' ORDER BY 1;
        SELECT inhrelid::regclass, inhparent::regclass FROM pg_inherits
          WHERE inhparent IN ('ai_b'::regclass, 'ai2_b'::regclass) ORDER BY 1::text;
        \d ai1
        DROP INDEX ai1_b;
        CREATE TABLE aj (a int NOT NULL, b int NOT NULL) PARTITION BY RANGE (a);
        CREATE TABLE aj1 PARTITION OF aj FOR VALUES FROM (0) TO (10);
        CREATE TABLE aj2 (a int, b int);
        CREATE TABLE am (a int, b int) PARTITION BY RANGE (a);
        CREATE TABLE am1 PARTITION OF am FOR VALUES FROM (0) TO (10);
        ALTER TABLE ONLY am ADD CONSTRAINT am_pk PRIMARY KEY (a);
        ALTER TABLE ONLY am ADD CONSTRAINT am_u UNIQUE (a);
        ALTER TABLE ONLY aj ADD CONSTRAINT aj_pk PRIMARY KEY (a, b);
        ALTER TABLE ONLY aj2 ADD CONSTRAINT aj2_pk PRIMARY KEY (a, b);
        CREATE UNIQUE INDEX aj1_ab ON aj1 (a, b);
        ALTER INDEX aj_pk ATTACH PARTITION aj1_ab;
        \d aj
        ALTER TABLE aj1 ADD CONSTRAINT aj1_ab2 UNIQUE (a, b);
        ALTER INDEX aj_pk ATTACH PARTITION aj1_ab2;
        ALTER TABLE aj1 ADD CONSTRAINT aj1_pk PRIMARY KEY (a, b);
        ALTER INDEX aj_pk ATTACH PARTITION aj1_pk;
        ALTER TABLE aj ATTACH PARTITION aj2 FOR VALUES FROM (10) TO (20);
        \d aj
        \d aj2
        \d am
        SELECT conname, conparentid <> 0 FROM pg_constraint WHERE conrelid IN
          ('aj'::regclass, 'aj1'::regclass, 'aj2'::regclass) ORDER BY 1;
        INSERT INTO aj VALUES (1, 1), (1, 1);
        DROP TABLE ai, other, aj, am;
    """,
    "row_triggers_cloned_to_partitions": r"""
        CREATE TABLE tp (a int, b text, c int) PARTITION BY RANGE (a);
        CREATE TABLE tp1 PARTITION OF tp FOR VALUES FROM (0) TO (10);
        CREATE FUNCTION tpf() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE NOTICE '% % % % % old=% new=%', tg_name, tg_when, tg_level, tg_op, tg_table_name, old, new;
          RETURN coalesce(new, old);
        END $$;
        CREATE TRIGGER t_after AFTER INSERT OR UPDATE OR DELETE ON tp FOR EACH ROW EXECUTE FUNCTION tpf();
        CREATE TRIGGER t_before BEFORE INSERT OR UPDATE ON tp FOR EACH ROW EXECUTE FUNCTION tpf();
        CREATE TRIGGER t_stmt AFTER INSERT OR UPDATE OR DELETE ON tp FOR EACH STATEMENT EXECUTE FUNCTION tpf();
        CREATE TRIGGER t_when AFTER UPDATE OF c ON tp FOR EACH ROW WHEN (new.c > 5) EXECUTE FUNCTION tpf();
        CREATE TABLE tp2 PARTITION OF tp FOR VALUES FROM (10) TO (20) PARTITION BY LIST (b);
        CREATE TABLE tp2a PARTITION OF tp2 FOR VALUES IN ('x', 'y');
        CREATE TABLE tp3 (c int, b text, a int);
        ALTER TABLE tp ATTACH PARTITION tp3 FOR VALUES FROM (20) TO (30);
        SELECT tgrelid::regclass, tgname, tgparentid = 0 AS own,
               (SELECT p.tgrelid::regclass FROM pg_trigger p WHERE p.oid = t.tgparentid) AS parent
          FROM pg_trigger t WHERE tgname LIKE 't\_%' ORDER BY tgrelid::regclass::text COLLATE "C", 2;
        INSERT INTO tp VALUES (1, 'x', 1), (15, 'x', 2), (25, 'x', 3);
        UPDATE tp SET c = c + 5 WHERE a IN (1, 25);
        UPDATE tp SET a = 12 WHERE a = 1;
        DELETE FROM tp WHERE a = 15;
        COPY tp FROM stdin;
        2	y	9
        \.
        INSERT INTO tp1 VALUES (3, 'y', 0);
        DROP TRIGGER t_after ON tp1;
        DROP TRIGGER t_after ON tp2a;
        ALTER TRIGGER t_after ON tp1 RENAME TO u;
        CREATE OR REPLACE TRIGGER t_after AFTER INSERT ON tp1 FOR EACH ROW EXECUTE FUNCTION tpf();
        CREATE TRIGGER tt AFTER INSERT ON tp REFERENCING NEW TABLE AS nt FOR EACH ROW EXECUTE FUNCTION tpf();
        CREATE TRIGGER tt AFTER INSERT ON tp1 REFERENCING NEW TABLE AS nt FOR EACH ROW EXECUTE FUNCTION tpf();
        \d tp1
        ALTER TRIGGER t_after ON tp RENAME TO t_after2;
        ALTER TABLE tp DISABLE TRIGGER t_after2;
        SELECT tgrelid::regclass, tgname, tgenabled FROM pg_trigger WHERE tgname = 't_after2' ORDER BY tgrelid::regclass::text COLLATE "C";
        ALTER TABLE tp ENABLE TRIGGER ALL;
        ALTER TABLE tp DETACH PARTITION tp3;
        SELECT tgrelid::regclass, tgname FROM pg_trigger WHERE tgname LIKE 't\_%' ORDER BY tgrelid::regclass::text COLLATE "C", 2;
        CREATE TRIGGER t_before AFTER INSERT ON tp3 FOR EACH ROW EXECUTE FUNCTION tpf();
        ALTER TABLE tp ATTACH PARTITION tp3 FOR VALUES FROM (20) TO (30);
        DROP TRIGGER t_after2 ON tp;
        SELECT tgrelid::regclass, tgname FROM pg_trigger WHERE tgname LIKE 't\_%' ORDER BY tgrelid::regclass::text COLLATE "C", 2;
        DROP FUNCTION tpf();
        DROP FUNCTION tpf() CASCADE;
        SELECT count(*) FROM pg_trigger WHERE tgrelid IN ('tp'::regclass, 'tp1'::regclass, 'tp2'::regclass,
          'tp2a'::regclass, 'tp3'::regclass);
        DROP TABLE tp, tp3;
    """,
    "update_of_triggers_on_partitions_in_another_column_order": r"""
        CREATE TABLE up (a int, b text, c int) PARTITION BY RANGE (a);
        CREATE TABLE up1 (c int, b text, a int);
        ALTER TABLE up ATTACH PARTITION up1 FOR VALUES FROM (0) TO (10);
        CREATE FUNCTION upf() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE NOTICE '% % % %', tg_name, tg_when, tg_table_name, new; RETURN new; END $$;
        CREATE TRIGGER u_c AFTER UPDATE OF c ON up FOR EACH ROW EXECUTE FUNCTION upf();
        CREATE TRIGGER u_a BEFORE UPDATE OF a ON up FOR EACH ROW EXECUTE FUNCTION upf();
        INSERT INTO up VALUES (1, 'x', 1);
        UPDATE up SET c = c;
        UPDATE up SET a = a;
        UPDATE up SET b = b;
        UPDATE up1 SET c = c;
        DROP TABLE up;
        DROP FUNCTION upf();
    """,
    "or_replace_and_constraint_triggers_on_partitions": r"""
        CREATE TABLE rp (a int) PARTITION BY LIST (a);
        CREATE TABLE rp1 PARTITION OF rp FOR VALUES IN (1);
        CREATE FUNCTION rpa() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE NOTICE 'A % on %', tg_name, tg_table_name; RETURN NULL; END $$;
        CREATE FUNCTION rpb() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE NOTICE 'B % on %', tg_name, tg_table_name; RETURN NULL; END $$;
        CREATE TRIGGER m AFTER INSERT ON rp1 FOR EACH ROW EXECUTE FUNCTION rpa();
        CREATE TRIGGER m AFTER INSERT ON rp FOR EACH ROW EXECUTE FUNCTION rpb();
        INSERT INTO rp VALUES (1);
        CREATE OR REPLACE TRIGGER m AFTER INSERT ON rp FOR EACH ROW EXECUTE FUNCTION rpb();
        INSERT INTO rp VALUES (1);
        CREATE OR REPLACE TRIGGER m AFTER INSERT ON rp1 FOR EACH ROW EXECUTE FUNCTION rpa();
        SELECT tgrelid::regclass, tgparentid <> 0 FROM pg_trigger WHERE tgname = 'm' ORDER BY tgrelid::regclass::text COLLATE "C";
        DROP TRIGGER m ON rp;
        CREATE CONSTRAINT TRIGGER c AFTER INSERT ON rp DEFERRABLE INITIALLY DEFERRED
          FOR EACH ROW EXECUTE FUNCTION rpa();
        BEGIN;
        INSERT INTO rp VALUES (1);
        SELECT 'before commit';
        COMMIT;
        DROP TABLE rp;
        DROP FUNCTION rpa(), rpb();
    """,
    "expression_key_follows_rename_column": r"""
        CREATE TABLE ek (a int, b text) PARTITION BY RANGE ((a + 1), (ek.a * 2));
        CREATE TABLE ek1 PARTITION OF ek FOR VALUES FROM (0, 0) TO (10, 100);
        CREATE TABLE el (a int, "B x" text) PARTITION BY LIST (lower("B x"));
        CREATE TABLE el1 PARTITION OF el FOR VALUES IN ('x');
        ALTER TABLE ek RENAME COLUMN a TO z;
        ALTER TABLE el RENAME COLUMN "B x" TO "Y y";
        SELECT pg_get_partkeydef('ek'::regclass), pg_get_partkeydef('el'::regclass);
        SELECT pg_get_partition_constraintdef('ek1'::regclass), pg_get_partition_constraintdef('el1'::regclass);
        INSERT INTO ek VALUES (3, 'q');
        INSERT INTO el VALUES (1, 'X');
        INSERT INTO ek VALUES (30, 'q');
        INSERT INTO el VALUES (1, 'Y');
        UPDATE ek SET z = 5 RETURNING tableoid::regclass, *;
        SELECT * FROM el1;
        \d ek
        DROP TABLE ek, el;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "part_case")
    got = run_script_in_fresh_database(shared_server, script, "part_case")
    assert got == expected


def test_foreign_key_to_a_partitioned_table_is_refused(shared_server):
    """SQLite's key would look in the partitioned table's own (always empty) table: a clean
    0A000 rather than keys that could never match."""
    out = run_script(shared_server, "CREATE TABLE fkp (a int PRIMARY KEY) PARTITION BY RANGE (a);\n"
                                    "CREATE TABLE fkc (x int REFERENCES fkp);\nDROP TABLE fkp;\n")
    assert "ERROR:  foreign keys referencing partitioned tables are not supported" in out
    assert "DROP TABLE" in out


# --- dumps ------------------------------------------------------------------------------------

SCHEMA = r"""
CREATE SCHEMA parts;
CREATE TABLE parts.events (id int NOT NULL, kind text DEFAULT 'x', at date, qty int CHECK (qty > 0))
    PARTITION BY RANGE (at);
CREATE TABLE parts.events_2020 PARTITION OF parts.events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE parts.events_2021 PARTITION OF parts.events (kind DEFAULT 'y')
    FOR VALUES FROM ('2021-01-01') TO ('2022-01-01') PARTITION BY LIST (kind);
CREATE TABLE parts.events_2021_a PARTITION OF parts.events_2021 FOR VALUES IN ('a', 'y');
CREATE TABLE parts.events_rest PARTITION OF parts.events DEFAULT;
CREATE TABLE parts.users (id int PRIMARY KEY, name text) PARTITION BY HASH (id);
CREATE TABLE parts.users_0 PARTITION OF parts.users FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE parts.users_1 PARTITION OF parts.users FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE INDEX ON parts.users (name);
INSERT INTO parts.events SELECT g, CASE WHEN g % 2 = 0 THEN 'a' ELSE 'y' END,
    date '2020-06-01' + g * 3, 1 + g % 5 FROM generate_series(1, 300) g;
INSERT INTO parts.users SELECT g, 'user ' || g FROM generate_series(1, 50) g;
"""
ROWS = ["SELECT tableoid::regclass, * FROM parts.events ORDER BY id",
        "SELECT tableoid::regclass, * FROM parts.users ORDER BY id"]
DESCRIBE = [r"\d+ parts.events", r"\d+ parts.events_2021", r"\d+ parts.events_2021_a", r"\d parts.users",
            r"\d parts.users_1"]


def pg15_tool(name: str) -> str:
    path = Path("/usr/lib/postgresql/15/bin") / name
    if not path.exists():
        pytest.skip(f"PostgreSQL 15's {name} is not installed")
    return str(path)


@pytest.fixture(scope="module")
def schema_sides(shared_server, pg15):
    svc = create_database(Side(shared_server.port, shared_server.superuser, "postgres"), unique("parts"))
    svc.run(SCHEMA)
    ref = create_database(Side(pg15.port, "postgres", "postgres"), unique("parts"))
    ref.run(SCHEMA)
    return svc, ref


def assert_restored(target: Side, reference: Side) -> None:
    assert target.out(*ROWS, args=("-A",)) == reference.out(*ROWS, args=("-A",))
    assert target.out(*DESCRIBE) == reference.out(*DESCRIBE)


def test_schema_is_built_alike(schema_sides):
    svc, ref = schema_sides
    assert_restored(svc, ref)


def test_pgsvc_dump_restores_into_postgres(schema_sides, pg15, tmp_path):
    svc, ref = schema_sides
    script = tmp_path / "parts.sql"
    pgsvc_dump(svc, "-O", "-f", str(script))
    target = create_database(Side(pg15.port, "postgres", "postgres"), unique("restored"))
    target.load(script)
    assert_restored(target, ref)


def test_pgsvc_dump_clean_reloads_over_itself(schema_sides, tmp_path):
    svc, _ = schema_sides
    script = tmp_path / "parts-clean.sql"
    pgsvc_dump(svc, "--clean", "--if-exists", "-f", str(script))
    target = create_database(svc, unique("again"))
    target.load(script)
    target.load(script)  # DROP ... IF EXISTS of partitions before their parents, then the rest
    assert target.out(*ROWS, args=("-A",)) == svc.out(*ROWS, args=("-A",))


INDEX_SCHEMA = r"""
CREATE SCHEMA parts;
CREATE TABLE parts.users (id int PRIMARY KEY, name text, UNIQUE (id, name)) PARTITION BY HASH (id);
CREATE TABLE parts.users_0 PARTITION OF parts.users FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE parts.users_1 PARTITION OF parts.users FOR VALUES WITH (MODULUS 2, REMAINDER 1) PARTITION BY RANGE (id);
CREATE TABLE parts.users_1a PARTITION OF parts.users_1 FOR VALUES FROM (0) TO (1000);
CREATE INDEX ON parts.users (name);
CREATE INDEX ON parts.users (lower(name)) WHERE id > 3;
INSERT INTO parts.users SELECT g, 'user ' || g FROM generate_series(1, 50) g;
"""
INDEX_CHECKS = [r"\d parts.users", r"\d parts.users_1", r"\d parts.users_1a",
                "SELECT tableoid::regclass, * FROM parts.users ORDER BY id",
                "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relnamespace = 'parts'::regnamespace ORDER BY 1",
                "SELECT i.inhrelid::regclass::text, i.inhparent::regclass::text FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relkind IN ('i', 'I') ORDER BY 1",
                "SELECT conname, conparentid <> 0 FROM pg_constraint "
                "WHERE connamespace = 'parts'::regnamespace ORDER BY 1"]


def test_postgres_pg_dump_with_partitioned_indexes_restores_into_pgsvc(shared_server, pg15, tmp_path):
    """PostgreSQL's pg_dump of a PostgreSQL database with partitioned keys and indexes writes
    ALTER TABLE ONLY ... ADD CONSTRAINT, CREATE INDEX ... ON ONLY and ALTER INDEX ... ATTACH
    PARTITION: the script loads into pgsvc with ON_ERROR_STOP and the result reads as the
    original does (\\d, rows, validity, the index tree, constraint parents)."""
    ref = create_database(Side(pg15.port, "postgres", "postgres"), unique("pidx"))
    ref.run(INDEX_SCHEMA)
    dump = tmp_path / "pidx.sql"
    res = subprocess.run([pg15_tool("pg_dump"), "-O", "-h", ref.host, "-p", str(ref.port), "-U", ref.user,
                          "-f", str(dump), ref.dbname], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "ATTACH PARTITION parts.users_0_pkey" in dump.read_text()
    target = create_database(Side(shared_server.port, shared_server.superuser, "postgres"), unique("pidx"))
    target.load(dump)
    for check in INDEX_CHECKS:
        assert target.out(check) == ref.out(check), check


def test_postgres_pg_dump_of_pgsvc_restores_into_postgres(schema_sides, pg15, tmp_path):
    """PostgreSQL's pg_dump reads pgsvc's partitions (CREATE TABLE, ATTACH PARTITION, the
    partitions' data, INDEX ATTACH) and its script loads into PostgreSQL 15 with
    ON_ERROR_STOP; the restored database dumps as PostgreSQL's own build of the schema."""
    svc, ref = schema_sides
    dump = tmp_path / "pgdump.sql"
    cmd = [pg15_tool("pg_dump"), "-O", "-h", svc.host, "-p", str(svc.port), "-U", svc.user, "-f", str(dump),
           svc.dbname]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    target = create_database(Side(pg15.port, "postgres", "postgres"), unique("pgrestored"))
    target.load(dump)
    assert_restored(target, ref)
    schema = []
    for side in (target, ref):
        out = subprocess.run([pg15_tool("pg_dump"), "-s", "-h", side.host, "-p", str(side.port), "-U", side.user,
                              side.dbname], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        schema.append("\n".join(line for line in out.stdout.splitlines() if not line.startswith("\\")))
    assert schema[0] == schema[1]
