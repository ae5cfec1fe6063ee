"""Writing through a view whose own WHERE reads other tables, side by side with PostgreSQL 15
(issue 14): the relations of the view's condition (and so of its CHECK OPTION) are checked as
the view owner, the caller's for a security_invoker view, while what the statement itself
reads stays checked as the caller. Each psql script runs in a database of its own on both
servers; PostgreSQL's output is the expectation.
"""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "owner_reads": r"""
        create role vow_owner;
        create role vow_user;
        create table t (x int, y text);
        create table allowed (x int);
        insert into allowed values (1), (2);
        insert into t values (1, 'a'), (2, 'b'), (3, 'c');
        grant select, insert, update, delete on t to vow_owner;
        grant select on allowed to vow_owner;
        create view v as select * from t where x in (select x from allowed) with check option;
        alter view v owner to vow_owner;
        create view vi with (security_invoker = true) as select * from t where x in (select x from allowed);
        grant select, insert, update, delete on v, vi to vow_user;
        grant select, insert, update, delete on t to vow_user;
        create view vv as select * from v where exists (select 1 from allowed a where a.x = v.x + 1);
        alter view vv owner to vow_owner;
        grant select, update, delete on vv to vow_user;
        set role vow_user;
        update v set y = y || '!' where x = 1;
        insert into v values (2, 'new');
        delete from v where y = 'new';
        update v set y = 'z' where x in (select x from allowed);
        delete from v where exists (select 1 from allowed);
        update vv set y = y || '?';
        delete from vv where y = 'none';
        update vi set y = 'i' where x = 1;
        insert into vi values (9, 'i');
        delete from vi where x = 1;
        reset role;
        select * from t order by x, y;
        drop view vv, v, vi;
        drop table t, allowed;
        drop role vow_owner;
        drop role vow_user;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "view_owner_case")
    got = run_script_in_fresh_database(shared_server, script, "view_owner_case")
    assert got == expected
