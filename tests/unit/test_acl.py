"""pgsvc.sql.catalog.acl: aclitem semantics without a server (the integration tests compare the
same behaviour with PostgreSQL 15 through real clients)."""

from __future__ import annotations

import pytest

from pgsvc.errors import SqlError
from pgsvc.sql.catalog import acl as A

NAMES = {10: "postgres", 20: "alice", 30: "bob", 40: "carol", 50: "we ird"}


def text(items):
    return A.texts(items, NAMES.__getitem__)


def test_defaults_and_text_form_follow_postgresql():
    assert text(A.default_acl("table", 20)) == ["alice=arwdDxt/alice"]
    assert text(A.default_acl("sequence", 20)) == ["alice=rwU/alice"]
    assert text(A.default_acl("database", 10)) == ["=Tc/postgres", "postgres=CTc/postgres"]
    assert text(A.default_acl("schema", 20)) == ["alice=UC/alice"]
    item = A.AclItem(50, 20, "wr", "r")
    assert A.item_text(item, NAMES.__getitem__) == '"we ird"=r*w/alice'
    assert A.load(A.dump(None)) is None
    assert A.load(A.dump([item])) == [item]


def test_grant_merges_and_revoke_cascades_through_grant_options():
    acl = A.default_acl("table", 20)
    acl = A.grant(acl, 30, 20, "a", True)   # alice -> bob WITH GRANT OPTION
    acl = A.grant(acl, 40, 30, "a", False)  # bob -> carol
    acl = A.grant(acl, 30, 20, "r", False)
    assert text(acl) == ["alice=arwdDxt/alice", "bob=a*r/alice", "carol=a/bob"]
    with pytest.raises(SqlError) as info:
        A.revoke(acl, 30, 20, "a", False, False, 20)
    assert (info.value.sqlstate, info.value.message) == ("2BP01", "dependent privileges exist")
    assert text(A.revoke(acl, 30, 20, "a", False, True, 20)) == ["alice=arwdDxt/alice", "bob=r/alice"]
    assert text(A.revoke(acl, 30, 20, "a", True, True, 20)) == ["alice=arwdDxt/alice", "bob=ar/alice"]


def test_owner_change_rewrites_grantee_and_grantor():
    acl = A.grant(A.default_acl("table", 20), 30, 20, "r", False)
    assert text(A.change_owner(acl, 20, 40)) == ["carol=arwdDxt/carol", "bob=r/carol"]
    assert text(A.change_owner(A.grant(acl, 40, 20, "r", False), 20, 40)) == ["carol=arwdDxt/carol",
                                                                              "bob=r/carol"]
    assert A.change_owner(None, 20, 40) is None


def test_privilege_lists_of_the_inquiry_functions():
    table = {"select": "r", "insert": "a"}
    assert A.parse_privilege_list(" SELECT ,insert WITH GRANT OPTION", table) == [("r", False), ("a", True)]
    with pytest.raises(SqlError) as info:
        A.parse_privilege_list("select, frob", table)
    assert (info.value.sqlstate, info.value.message) == ("22023", 'unrecognized privilege type: "frob"')
