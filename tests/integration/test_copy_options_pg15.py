"""COPY's options, WHERE and line errors side by side with PostgreSQL 15 (psql scripts with
inline data): options given twice, unknown or with a bad argument (each at its position, and
refused before any data is read, so the lines after stay statements), FORCE_* columns that
are not the table's or not copied, force options in the wrong direction, a column listed
twice; COPY FROM ... WHERE (defaults visible to the condition, rows left out, with BEFORE ROW
triggers, its refusals); the CONTEXT line of a short, long or unconvertible line
(COPY t, line N: "..." / COPY t, line N, column c: "..."). Each script must print the same
on both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

SETUP = """
    CREATE TABLE ct (a int, b text, c int DEFAULT 7, d text);
"""

CASES = {
    "option_errors": """
        COPY ct FROM stdin (format csv, format text);
        COPY ct FROM stdin (delimiter ';', null 'x', delimiter ';');
        COPY ct FROM stdin (header true, header false);
        COPY ct TO stdout (format csv, force_quote *, force_quote (a));
        COPY ct FROM stdin (format csv, force_not_null *);
        COPY ct FROM stdin (encoding 'utf8', encoding 'latin1');
        COPY ct FROM stdin (encoding 'no_such_encoding');
        COPY ct FROM stdin (format 'xml');
        COPY ct FROM stdin (frobnicate true);
        COPY ct FROM stdin (format csv, force_quote (a));
        COPY ct TO stdout (format csv, force_null (a));
        COPY ct TO stdout (format csv, force_not_null (a));
        COPY ct (a, b) FROM stdin (format csv, force_not_null (d));
        COPY ct (a, b) FROM stdin (format csv, force_null (zz));
        COPY ct (a) TO stdout (format csv, force_quote (b));
        COPY ct (a, b, a) FROM stdin;
        SELECT count(*) FROM ct;
    """,
    "where": """
        COPY ct FROM stdin (format csv) WHERE a > 2;
        1,one,1,x
        3,three,,y
        5,five,5,z
        \\.
        COPY ct (a, b) FROM stdin (format csv) WHERE c = 7 AND b <> 'skip';
        10,ten
        11,skip
        \\.
        COPY ct (a) FROM stdin WHERE ct.c + a > 30;
        20
        30
        \\.
        SELECT * FROM ct ORDER BY a;
        COPY ct FROM stdin WHERE nosuch > 1;
        COPY ct FROM stdin WHERE a = max(c);
        COPY ct FROM stdin WHERE a IN (SELECT 1);
        COPY ct FROM stdin WHERE a = rank() OVER ();
        COPY ct FROM stdin WHERE b;
    """,
    "where_triggers": """
        CREATE FUNCTION ct_mark() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.d := 'seen ' || NEW.a; RETURN NEW; END $$;
        CREATE TRIGGER ct_mark BEFORE INSERT ON ct FOR EACH ROW EXECUTE FUNCTION ct_mark();
        COPY ct (a, b) FROM stdin (format csv) WHERE a % 2 = 0;
        1,p
        2,q
        4,r
        \\.
        SELECT * FROM ct ORDER BY a;
    """,
    "line_context": """
        COPY ct FROM stdin (format csv);
        1,x
        \\.
        COPY ct FROM stdin (format csv);
        1,x,2,y,extra
        \\.
        COPY ct FROM stdin (format csv);
        1,x,2,y
        notanumber,x,2,y
        \\.
        COPY ct (c, b) FROM stdin (format csv);
        4,ok
        4x,
        \\.
        COPY ct FROM stdin (format csv);
        1,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        \\.
        COPY ct FROM stdin (format csv, header true);
        a,b,c,d
        1,x,2,y
        ,x
        \\.
        SELECT count(*) FROM ct;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in (SETUP + CASES[name]).strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "copy_options_pg15")
    got = run_script_in_fresh_database(shared_server, script, "copy_options_pg15")
    assert got == expected


def test_copy_views_pg15(shared_server, pg15):
    """COPY to / from a view without INSTEAD OF triggers: PostgreSQL's 42809 and hints."""
    script = "\n".join(line.strip() for line in """
        CREATE TABLE cvb (a int);
        CREATE VIEW cvv AS SELECT * FROM cvb;
        COPY cvv TO stdout;
        COPY cvv (a) TO stdout (format csv);
        COPY (SELECT * FROM cvv) TO stdout;
    """.strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "copy_options_pg15")
    got = run_script_in_fresh_database(shared_server, script, "copy_options_pg15")
    assert got == expected
