"""pg_hba.conf: PostgreSQL's syntax and first-match rules."""

from __future__ import annotations

import ipaddress

import pytest

from pgsvc.cluster.hba import ClientInfo, HbaError, default_hba, match, parse_hba


def tcp(addr: str, user: str = "alice", db: str = "app", ssl: bool = False) -> ClientInfo:
    return ClientInfo(local=False, address=addr, ssl=ssl, database=db, user=user)


def local(user: str = "alice", db: str = "app") -> ClientInfo:
    return ClientInfo(local=True, address=None, ssl=False, database=db, user=user)


def method(text: str, client: ClientInfo, members=None) -> str | None:
    rec = match(parse_hba(text), client, members)
    return rec.method if rec else None


def test_default_file_parses_and_matches():
    recs = parse_hba(default_hba("peer", "scram-sha-256"))
    assert [r.conn_type for r in recs] == ["local", "host", "host"]
    assert match(recs, local()).method == "peer"
    assert match(recs, tcp("127.0.0.1")).method == "scram-sha-256"
    assert match(recs, tcp("::1")).method == "scram-sha-256"
    assert match(recs, tcp("10.0.0.1")) is None


def test_fields_comments_quotes_continuation():
    text = ('# comment\n\n  host  "all"  alice,bob  10.0.0.0/8  md5  # trailing\n'
            'host app \\\n  carol 192.168.0.0 255.255.0.0 trust\n'
            'local "my db" all password\n')
    recs = parse_hba(text)
    assert recs[0].users == ("alice", "bob")
    assert recs[0].line == 3
    assert recs[1].network == ipaddress.ip_network("192.168.0.0/16")
    assert recs[1].users == ("carol",)
    assert recs[2].databases == ("my db",)
    assert recs[2].method == "password"


def test_cidr_matching():
    text = "host all all 10.1.0.0/16 md5\nhost all all 0.0.0.0/0 reject\n"
    assert method(text, tcp("10.1.200.3")) == "md5"
    assert method(text, tcp("10.2.0.1")) == "reject"
    # host bits set in the address are masked, as PostgreSQL does
    assert method("host all all 10.1.2.3/16 trust\n", tcp("10.1.9.9")) == "trust"


def test_ipv6_and_mapped_ipv4():
    text = "host all all ::1/128 trust\nhost all all fe80::/10 md5\nhost all all 127.0.0.1/32 password\n"
    assert method(text, tcp("::1")) == "trust"
    assert method(text, tcp("fe80::1234")) == "md5"
    assert method(text, tcp("::ffff:127.0.0.1")) == "password"
    assert method("host all all 10.0.0.0/8 trust\n", tcp("::1")) is None
    assert method("host all all ::/0 trust\n", tcp("10.0.0.1")) is None


def test_all_samehost_samenet():
    assert method("host all all all trust\n", tcp("8.8.8.8")) == "trust"
    assert method("host all all samehost trust\n", tcp("127.0.0.1")) == "trust"
    assert method("host all all samehost trust\n", tcp("::1")) == "trust"
    assert method("host all all samehost trust\n", tcp("8.8.8.8")) is None


def test_connection_types():
    text = "hostssl all all all md5\nhostnossl all all all reject\nlocal all all trust\n"
    assert method(text, tcp("1.2.3.4", ssl=True)) == "md5"
    assert method(text, tcp("1.2.3.4", ssl=False)) == "reject"
    assert method(text, local()) == "trust"
    assert method("host all all all trust\n", local()) is None
    assert method("local all all trust\n", tcp("127.0.0.1")) is None
    assert method("hostgssenc all all all trust\n", tcp("127.0.0.1")) is None
    assert method("hostnogssenc all all all trust\n", tcp("127.0.0.1")) == "trust"


def test_database_keywords():
    assert method("local sameuser all trust\n", local("bob", "bob")) == "trust"
    assert method("local sameuser all trust\n", local("bob", "app")) is None
    assert method("local replication all trust\n", local(db="replication")) is None
    assert method("local app,other all trust\n", local(db="other")) == "trust"
    # PostgreSQL: a quoted keyword is a plain name
    assert method('local "all" all trust\n', local(db="x")) is None
    assert method('local "all" all trust\n', local(db="all")) == "trust"
    assert method('local all "all" trust\n', local(user="bob")) is None
    assert method('local all "+admins" trust\n', local(user="alice"), lambda g: {"alice"}) is None
    assert method('local all "+admins" trust\n', local(user="+admins")) == "trust"
    assert method('local all all,"x,y" trust\n', local(user="x,y")) == "trust"


def test_group_membership():
    members = {"admins": {"alice"}}.get
    text = "local all +admins trust\nlocal all all reject\n"
    assert method(text, local("alice"), lambda g: members(g) or set()) == "trust"
    assert method(text, local("bob"), lambda g: members(g) or set()) == "reject"


def test_first_match_wins_reject_before_trust():
    text = "host all mallory all reject\nhost all all 127.0.0.1/32 trust\n"
    assert method(text, tcp("127.0.0.1", user="mallory")) == "reject"
    assert method(text, tcp("127.0.0.1", user="alice")) == "trust"
    text2 = "host all all 127.0.0.1/32 trust\nhost all mallory all reject\n"
    assert method(text2, tcp("127.0.0.1", user="mallory")) == "trust"


def test_include_file_lists(tmp_path):
    (tmp_path / "admins").write_text("alice\nbob # comment\n")
    recs = parse_hba("local all @admins trust\n", str(tmp_path))
    assert recs[0].users == ("alice", "bob")


def test_options():
    rec = parse_hba("host all all all scram-sha-256 clientcert=verify-ca\n")[0]
    assert rec.options == (("clientcert", "verify-ca"),)


@pytest.mark.parametrize("line, needle", [
    ("hots all all all trust", 'invalid connection type "hots"'),
    ("host all all", "end-of-line before authentication method"),
    ("host all all 10.0.0.0/8", "end-of-line before authentication method"),
    ("local all all", "end-of-line before authentication method"),
    ("host all all 10.0.0.0/8 magic", 'invalid authentication method "magic"'),
    ("host all all 10.0.0.0/8 ident", "not supported"),
    ("host all all 999.0.0.0/8 trust", 'invalid IP address "999.0.0.0/8"'),
    ("host all all example.com trust", "host names are not supported"),
    ("host all all 10.0.0.0/33 trust", "invalid IP address"),
    ("host all all 10.0.0.0/8 peer", "peer authentication is only supported on local sockets"),
    ("host all all all md5 noequals", "name=value"),
    ('host "all all 10.0.0.0/8 trust', "invalid line"),
])
def test_errors_name_the_line(line, needle):
    with pytest.raises(HbaError) as e:
        parse_hba("# first\n" + line + "\n", source="/d/pg_hba.conf")
    assert needle in str(e.value)
    if "invalid line" not in needle:
        assert "line 2" in str(e.value)
