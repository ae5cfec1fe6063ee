"""pgsvc dump's pure parts: quoting of names and literals, COPY text rows, ACLs to GRANTs,
role settings, ordering, -t patterns, sequence clauses, the client's message decoding
and ~/.pgpass lines. (The round trips through real servers are in
tests/integration/test_dump.py.)"""

from __future__ import annotations

import os
import struct

import pytest

from pgsvc.client import messages as m
from pgsvc.client.conninfo import ConnInfoError, ConnParams, password_from_file, resolve, split_pgpass_line
from pgsvc.client.connection import md5_response
from pgsvc.dump.acl import grant_statements, parse_aclitem
from pgsvc.dump.introspect import Sequence, parse_text_array
from pgsvc.dump.ddl import sequence_options
from pgsvc.dump.options import DumpOptions, matches
from pgsvc.dump.order import dependency_order
from pgsvc.dump.quoting import parse_copy_row, quote_literal
from pgsvc.dump.roles import set_clause, split_list
from pgsvc.dump.script import connect_name


def test_literals():
    assert quote_literal("it's") == "'it''s'"
    # standard_conforming_strings is on in the script: a backslash is just a character
    assert quote_literal("back\\slash") == "'back\\slash'"


def test_copy_rows_decode_as_copy_from_reads_them():
    # the bytes PostgreSQL 15's COPY TO writes for: tab, newline, CR, backslash, NULL,
    # empty string, a literal "\N" string, backspace/form feed/vertical tab
    line = "a\\tb\t\\n\\r\t\\\\\t\\N\t\t\\\\N\t\\b\\f\\v\tünï"
    assert parse_copy_row(line) == ["a\tb", "\n\r", "\\", None, "", "\\N", "\b\f\v", "ünï"]
    # any other backslash pair is its second character
    assert parse_copy_row("\\q\\.") == ["q."]


def test_text_arrays():
    assert parse_text_array(None) == []
    assert parse_text_array("{}") == []
    assert parse_text_array('{fillfactor=70,"a b=c","q\\"x"}') == ["fillfactor=70", "a b=c", 'q"x']


def test_aclitems():
    item = parse_aclitem('"Bob Smith"=r*w/alice')
    assert (item.grantee, item.privileges, item.grantable, item.grantor) == ("Bob Smith", "rw", "r", "alice")
    assert parse_aclitem("=r/alice").grantee == ""


def test_grants_state_the_difference_from_the_default():
    table = "public.t"
    assert grant_statements("TABLE", table, "alice", None) == []
    assert grant_statements("TABLE", table, "alice", "{alice=arwdDxt/alice}") == []
    assert grant_statements("TABLE", table, "alice", "{alice=arwdDxt/alice,bob=r/alice,=ar/alice}") == [
        "GRANT SELECT ON TABLE public.t TO bob;", "GRANT SELECT,INSERT ON TABLE public.t TO PUBLIC;"]
    assert grant_statements("TABLE", table, "alice", "{alice=r/alice,bob=arwdDxt*/alice}") == [
        "REVOKE ALL ON TABLE public.t FROM alice;", "GRANT SELECT ON TABLE public.t TO alice;",
        "GRANT SELECT,INSERT,REFERENCES,DELETE,TRUNCATE,UPDATE ON TABLE public.t TO bob;",  # pg_dump's order
        "GRANT TRIGGER ON TABLE public.t TO bob WITH GRANT OPTION;"]
    assert grant_statements("TABLE", table, "alice", "{}") == ["REVOKE ALL ON TABLE public.t FROM alice;"]
    assert grant_statements("SEQUENCE", "s", "alice", "{alice=rwU/alice,bob=U/alice}") == [
        "GRANT USAGE ON SEQUENCE s TO bob;"]
    # a database's default includes PUBLIC's CONNECT and TEMPORARY
    assert grant_statements("DATABASE", "d", "alice", "{=Tc/alice,alice=CTc/alice,bob=C/alice}") == [
        "GRANT CREATE ON DATABASE d TO bob;"]
    assert grant_statements("DATABASE", "d", "alice", "{alice=CTc/alice}") == [
        "REVOKE ALL ON DATABASE d FROM PUBLIC;"]


def test_role_settings():
    assert set_clause("search_path=a, \"B c\", public") == "search_path TO 'a', 'B c', 'public'"
    assert set_clause("work_mem=4MB") == "work_mem TO '4MB'"
    assert split_list('"x,y", z') == ["x,y", "z"]


def test_dependency_order_keeps_order_and_breaks_cycles():
    deps = {1: {3}, 2: set(), 3: {2}, 4: {5}, 5: {4}}
    assert dependency_order([1, 2, 3], deps.get) == [2, 3, 1]
    assert sorted(dependency_order([4, 5], deps.get)) == [4, 5]
    assert dependency_order([1], deps.get) == [1]  # needs outside the list are not added


def test_table_patterns():
    assert matches("orders", "sales", "orders")
    assert matches("sales.ord*", "sales", "orders")
    assert matches("Orders", "sales", "orders")  # unquoted: folded to lower case
    assert not matches('"Orders"', "sales", "orders")
    assert matches('"Orders"', "sales", "Orders")
    assert not matches("public.orders", "sales", "orders")
    assert matches("*.o?ders", "x", "orders")
    only_sales = DumpOptions(schemas=["sal*"])
    assert only_sales.wants_schema("sales") and not only_sales.wants_schema("public")
    assert only_sales.wants_table("sales", "x") and not only_sales.wants_table("public", "x")
    both = DumpOptions(schemas=["sales"], tables=["orders"])
    assert both.wants_table("sales", "orders") and not both.wants_table("sales", "customer")
    assert not both.wants_table("other", "orders")


def test_sequence_clauses_name_only_non_default_bounds():
    up = Sequence("integer", 1, 1, 2147483647, 1, 1, False)
    assert sequence_options(up, "", True) == ["AS integer", "START WITH 1", "INCREMENT BY 1",
                                              "NO MINVALUE", "NO MAXVALUE", "CACHE 1"]
    down = Sequence("bigint", -1, -1, -1, -9223372036854775808, 5, True)
    assert sequence_options(down, "", True) == ["START WITH -1", "INCREMENT BY -1", "NO MINVALUE",
                                                "NO MAXVALUE", "CACHE 5", "CYCLE"]
    bounded = Sequence("smallint", 10, 2, 100, 10, 1, False)
    assert "MINVALUE 10" in sequence_options(bounded, "", True)
    assert "MAXVALUE 100" in sequence_options(bounded, "", True)


def test_connect_names():
    assert connect_name("shop") == "shop"
    assert connect_name("my db") == '-reuse-previous=on "dbname=\'my db\'"'
    assert connect_name("it's \"x\"") == '-reuse-previous=on "dbname=\'it\\\'s ""x""\'"'


def test_client_messages():
    assert m.startup_message({"user": "u"}) == struct.pack("!ii", 16, 196608) + b"user\x00u\x00\x00"
    assert m.query_message("SELECT 1") == b"Q\x00\x00\x00\x0dSELECT 1\x00"
    row = struct.pack("!h", 3) + struct.pack("!i", 1) + b"7" + struct.pack("!i", -1) + struct.pack("!i", 2) + "ü".encode()
    assert m.data_row(row) == ["7", None, "ü"]
    desc = struct.pack("!h", 1) + b"id\x00" + struct.pack("!ihihih", 0, 0, 23, 4, -1, 0)
    assert m.row_description(desc) == [m.Column("id", 23)]
    assert m.notice_fields(b"SERROR\x00C42P01\x00Mno\x00\x00") == {
        "severity": "ERROR", "sqlstate": "42P01", "message": "no"}
    # PostgreSQL's md5 method: "md5" + md5(md5(password || user) || salt)
    assert md5_response("u", "p", b"abcd") == "md5" + __import__("hashlib").md5(
        __import__("hashlib").md5(b"pu").hexdigest().encode() + b"abcd").hexdigest()


def test_conninfo_resolution():
    env = {"PGHOST": "/run/x", "PGPORT": "5999", "PGUSER": "alice", "PGPASSWORD": "pw"}
    p = resolve(env=env)
    assert (p.host, p.port, p.user, p.dbname, p.password) == ("/run/x", 5999, "alice", "alice", "pw")
    assert p.socket_path() == "/run/x/.s.PGSQL.5999"
    p = resolve("db.example", "6000", "bob", "shop", env=env)
    assert (p.host, p.port, p.user, p.dbname, p.is_socket()) == ("db.example", 6000, "bob", "shop", False)
    with pytest.raises(ConnInfoError, match='invalid port number: "x"'):
        resolve(port="x", env={})


def test_pgpass(tmp_path):
    assert split_pgpass_line(r"h:5432:db:u\:x:pa\\ss:word") == ["h", "5432", "db", "u:x", "pa\\ss:word"]
    path = tmp_path / "pgpass"
    path.write_text("# comment\nother:*:*:*:nope\nlocalhost:5432:*:alice:secret\n*:*:*:*:fallback\n")
    os.chmod(path, 0o600)
    env = {"PGPASSFILE": str(path)}
    assert password_from_file(ConnParams(None, 5432, "alice", "db"), env) == "secret"
    assert password_from_file(ConnParams("10.0.0.1", 5432, "alice", "db"), env) == "fallback"
    os.chmod(path, 0o644)  # readable by others: ignored, as libpq ignores it
    assert password_from_file(ConnParams(None, 5432, "alice", "db"), env) is None
