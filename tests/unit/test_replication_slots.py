"""Replication slot storage (pgsvc.cluster.slots) and the pgoutput encoder
(pgsvc.replication.pgoutput): bytes and files, no server."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import textwrap

import pytest

from pgsvc.cluster import slots as S
from pgsvc.errors import SqlError
from pgsvc.replication import pgoutput as P


def _slot(name="s1", db=16384, temporary=False):
    return S.Slot(name=name, plugin="pgoutput", database_oid=db, database="app", temporary=temporary,
                  restart_lsn=0x100, confirmed_flush_lsn=0x100)


def test_lsn_text_roundtrip():
    assert S.format_lsn(0) == "0/0"
    assert S.format_lsn((0x16 << 32) | 0xB374D848) == "16/B374D848"
    assert S.parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    with pytest.raises(SqlError) as e:
        S.parse_lsn("16-1")
    assert e.value.sqlstate == "22P02"


@pytest.mark.parametrize("name,msg", [
    ("", 'replication slot name "" is too short'),
    ("x" * 64, f'replication slot name "{"x" * 64}" is too long'),
    ("Bad", 'replication slot name "Bad" contains invalid character'),
])
def test_slot_names_as_postgres(name, msg):
    with pytest.raises(SqlError) as e:
        S.validate_name(name)
    assert e.value.sqlstate == "42602" and e.value.message == msg


def test_create_read_drop_and_errors(tmp_path):
    store = S.SlotStore(str(tmp_path))
    store.create(_slot(), pid=os.getpid())
    assert store.names() == ["s1"]
    with pytest.raises(SqlError) as e:
        store.create(_slot(), pid=os.getpid())
    assert e.value.sqlstate == "42710" and e.value.message == 'replication slot "s1" already exists'
    slot = store.get("s1")
    slot.confirmed_flush_lsn = 0x2000
    store.save(slot)
    store.release("s1")
    again = S.SlotStore(str(tmp_path))  # another process's view: the saved position
    assert again.get("s1").confirmed_flush_lsn == 0x2000
    assert again.activity("s1") is None
    again.drop("s1", pid=os.getpid())
    assert again.names() == []
    with pytest.raises(SqlError) as e:
        again.drop("s1", pid=os.getpid())
    assert e.value.sqlstate == "42704" and e.value.message == 'replication slot "s1" does not exist'


_HOLDER = textwrap.dedent("""
    import sys, time
    from pgsvc.cluster.slots import SlotStore
    store = SlotStore(sys.argv[1])
    store.acquire("s1", 4242)
    print("held", flush=True)
    sys.stdin.readline()
""")


def test_active_slot_is_55006_and_freed_when_holder_dies(tmp_path):
    store = S.SlotStore(str(tmp_path))
    store.create(_slot(), pid=os.getpid())
    store.release("s1")
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert store.activity("s1").pid == 4242
        with pytest.raises(SqlError) as e:
            store.acquire("s1", os.getpid())
        assert e.value.sqlstate == "55006" and e.value.message == 'replication slot "s1" is active for PID 4242'
        with pytest.raises(SqlError) as e:
            store.drop("s1", pid=os.getpid())
        assert e.value.sqlstate == "55006"
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert store.activity("s1") is None  # the kernel dropped the flock
    store.acquire("s1", os.getpid())
    store.drop("s1", pid=os.getpid())


def test_temporary_slot_goes_with_its_owner(tmp_path):
    store = S.SlotStore(str(tmp_path))
    store.create(_slot("t1", temporary=True), pid=os.getpid())
    assert [s.name for s, a in store.slots()] == ["t1"]
    store.release_all()
    assert store.names() == []


def test_max_replication_slots(tmp_path):
    store = S.SlotStore(str(tmp_path))
    for i in range(S.MAX_REPLICATION_SLOTS):
        store.create(_slot(f"s{i}"), pid=os.getpid())
    with pytest.raises(SqlError) as e:
        store.create(_slot("one_more"), pid=os.getpid())
    assert e.value.sqlstate == "53400"
    assert store.min_required_lsn(16384) == 0x100
    assert store.min_required_lsn(1) is None


# ------------------------------------------------------------------ pgoutput
def test_begin_commit_layout():
    b = P.begin(0x1000, 12345, 77)
    assert b[:1] == b"B" and struct.unpack("!QqI", b[1:]) == (0x1000, 12345, 77)
    c = P.commit(0x1000, 0x1010, 12345)
    assert c[:1] == b"C" and struct.unpack("!BQQq", c[1:]) == (0, 0x1000, 0x1010, 12345)


def test_relation_and_tuples():
    rel = P.RelationInfo(16390, "public", "t", "d", (P.Column("id", 23, -1, True), P.Column("v", 25)))
    raw = P.relation(rel)
    assert raw == (b"R" + struct.pack("!I", 16390) + b"public\x00t\x00d" + struct.pack("!H", 2)
                   + b"\x01id\x00" + struct.pack("!Ii", 23, -1) + b"\x00v\x00" + struct.pack("!Ii", 25, -1))
    assert P.insert(16390, ("1", None)) == (b"I" + struct.pack("!I", 16390) + b"N" + struct.pack("!H", 2)
                                            + b"t" + struct.pack("!I", 1) + b"1" + b"n")
    assert P.update(1, ("2",), old=("1",))[5:6] == b"K"
    assert P.update(1, ("2",), old=("1",), old_is_full=True)[5:6] == b"O"
    assert P.update(1, ("2",))[5:6] == b"N"
    assert P.delete(1, ("1",))[5:6] == b"K"
    t = P.truncate([5, 6], cascade=True, restart_identity=True)
    assert t == b"T" + struct.pack("!I", 2) + b"\x03" + struct.pack("!II", 5, 6)


def test_envelope_and_feedback():
    w = P.xlog_data(10, 20, b"xyz", send_time=5)
    assert w == b"w" + struct.pack("!QQq", 10, 20, 5) + b"xyz"
    k = P.keepalive(30, True, send_time=6)
    assert k == b"k" + struct.pack("!Qq?", 30, 6, True)
    fb = P.parse_feedback(b"r" + struct.pack("!QQQq?", 1, 2, 3, 4, False))
    assert (fb.write_lsn, fb.flush_lsn, fb.apply_lsn, fb.reply_requested) == (1, 2, 3, False)
    assert P.parse_feedback(b"h" + b"\x00" * 20) is None
    with pytest.raises(SqlError):
        P.parse_feedback(b"r\x00")


def test_options_as_pgoutput():
    o = P.parse_options([("proto_version", "3"), ("publication_names", '"Pub",other')])
    assert o.proto_version == 3 and o.publication_names == ("Pub", "other")
    for items, state, msg in [
        ([("publication_names", "p")], "22023", "proto_version option missing"),
        ([("proto_version", "1")], "22023", "publication_names parameter missing"),
        ([("proto_version", "9"), ("publication_names", "p")], "0A000",
         "client sent proto_version=9 but we only support protocol 3 or lower"),
        ([("proto_version", "1"), ("publication_names", "p"), ("bogus", "1")], "XX000",
         "unrecognized pgoutput option: bogus"),
    ]:
        with pytest.raises(SqlError) as e:
            P.parse_options(items)
        assert (e.value.sqlstate, e.value.message) == (state, msg)


# ------------------------------------------------------------------ the walsender's commands
def test_replication_commands_parse():
    from pgsvc.replication import commands as C
    c = C.parse('CREATE_REPLICATION_SLOT "pg_16389_sync_16384_7" LOGICAL pgoutput (SNAPSHOT \'use\')')
    assert (c.name, c.temporary, c.kind, c.plugin, c.snapshot) == ("pg_16389_sync_16384_7", False, "logical",
                                                                    "pgoutput", "use")
    c = C.parse("CREATE_REPLICATION_SLOT s TEMPORARY LOGICAL pgoutput USE_SNAPSHOT")
    assert c.temporary and c.snapshot == "use"
    assert C.parse("CREATE_REPLICATION_SLOT s LOGICAL pgoutput NOEXPORT_SNAPSHOT").snapshot == "nothing"
    assert C.parse("CREATE_REPLICATION_SLOT s LOGICAL pgoutput").snapshot == "export"
    assert C.parse("create_replication_slot S logical pgoutput (two_phase, snapshot 'nothing');").two_phase
    d = C.parse('DROP_REPLICATION_SLOT "s" WAIT')
    assert (d.name, d.wait) == ("s", True)
    assert C.parse("READ_REPLICATION_SLOT s").name == "s"
    s = C.parse('START_REPLICATION SLOT "s" LOGICAL 1/A0 (proto_version \'3\', publication_names \'"pub"\')')
    assert (s.slot, s.kind, s.lsn) == ("s", "logical", (1 << 32) | 0xA0)
    assert s.options == [("proto_version", "3"), ("publication_names", '"pub"')]
    assert C.parse("SELECT 1") is None and C.parse("IDENTIFY_SYSTEM") is None
    for bad in ("CREATE_REPLICATION_SLOT", "DROP_REPLICATION_SLOT s NOW", "START_REPLICATION SLOT s LOGICAL x",
                "CREATE_REPLICATION_SLOT s LOGICAL pgoutput (snapshot 'use', snapshot 'use')"):
        with pytest.raises(SqlError) as e:
            C.parse(bad)
        assert e.value.sqlstate == "42601"


# ------------------------------------------------------------------ what a stream sends
def _sent_types(conn) -> list[str]:
    """The pgoutput message types inside the CopyData/XLogData sent so far."""
    out = []
    for raw in conn.out:
        assert raw[:1] == b"d" and raw[5:6] == b"w"
        out.append(raw[5 + 25:5 + 26].decode())
    conn.out.clear()
    return out


def test_stream_filters_skips_and_sends_relations_once():
    import datetime as dt
    from types import SimpleNamespace

    from pgsvc.replication.walsender import Stream
    from pgsvc.sql.catalog import changelog_read as CR

    conn = SimpleNamespace(out=[])
    conn.send = conn.out.append
    ws = SimpleNamespace(session=SimpleNamespace(conn=conn, settings={"wal_sender_timeout": 60000}))
    stream = Stream(ws, _slot(), P.Options(1, ("pub",)), start=0x1000)
    stream.published = {1: {"insert", "update", "delete", "truncate"}, 2: {"insert"}}
    t = CR.RelInfo(1, "public", "t", "d", [("id", 23, -1, True), ("v", 25, -1, False)], 7)
    u = CR.RelInfo(2, "public", "u", "d", [("id", 23, -1, True)], 8)
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

    def txn(first, *changes):
        return CR.Txn(xid=first, first_lsn=first, commit_lsn=first + 8, end_lsn=first + 16, commit_time=when,
                      changes=list(changes))
    stream.send_transaction(txn(0x1010, CR.Change("I", 0x1010, t, new=("1", "a")),
                                CR.Change("D", 0x1011, u, old=("1",), old_kind="K")))
    assert _sent_types(conn) == ["B", "R", "I", "C"]  # u's delete is not published
    stream.send_transaction(txn(0x1030, CR.Change("D", 0x1030, u, old=("1",), old_kind="K")))
    assert _sent_types(conn) == []  # nothing published in it: not sent at all
    stream.send_transaction(txn(0x1050, CR.Change("U", 0x1050, t, new=("1", "b")),
                                CR.Change("T", 0x1051, rels=[t, u])))
    assert _sent_types(conn) == ["B", "U", "T", "C"]  # t's Relation already sent; u not truncated
    t2 = CR.RelInfo(1, "public", "t", "d", t.columns + [("w", 25, -1, False)], 9)
    stream.send_transaction(txn(0x1070, CR.Change("I", 0x1070, t2, new=("2", "c", None))))
    assert _sent_types(conn) == ["B", "R", "I", "C"]  # a new layout: Relation again
