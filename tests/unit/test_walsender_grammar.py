"""The walsender command language (pgsvc.backend.walsender.grammar) and the start-up
packet's `replication` value, against what PostgreSQL 15's repl_gram.y / repl_scanner.l and
ProcessStartupPacket accept (the integration tests compare the same with a live server)."""

import pytest

from pgsvc.backend.main import LOGICAL, PHYSICAL, replication_mode
from pgsvc.backend.walsender import grammar as G
from pgsvc.errors import FatalError, SqlError


@pytest.mark.parametrize("text,expected", [
    ("IDENTIFY_SYSTEM", True), ("  SHOW x", True), ("BASE_BACKUP", True), ("identify_system", False),
    ("show all", False), ("", False), ("SELECT 1", False), ("IDENTIFY_SYSTEMX", False),
    ("TIMELINE_HISTORY 1", True), ("START_REPLICATION 0/0", True), ("SLOT", False),
])
def test_first_token_decides(text, expected):
    assert G.is_replication_command(text) is expected


def test_unterminated_quote_in_first_token_is_the_scanners_error():
    with pytest.raises(SqlError) as e:
        G.is_replication_command("'abc")
    assert (e.value.sqlstate, e.value.message) == ("42601", "unterminated quoted string")


def test_commands():
    assert isinstance(G.parse("IDENTIFY_SYSTEM;"), G.IdentifySystem)
    assert G.parse('SHOW "Wal_Segment_Size"').name == "Wal_Segment_Size"
    assert G.parse("SHOW WAL_SEGMENT_SIZE").name == "wal_segment_size"
    assert G.parse("SHOW a.b").name == "a.b"
    assert G.parse("TIMELINE_HISTORY 99999999999999999999").timeline == 0xFFFFFFFF
    bb = G.parse("BASE_BACKUP (LABEL 'it''s', PROGRESS, CHECKPOINT 'fast', WAIT 0, MANIFEST 'yes', TARGET 'client')")
    assert bb.options == (("label", "it's"), ("progress", None), ("checkpoint", "fast"), ("wait", 0),
                          ("manifest", "yes"), ("target", "client"))
    slot = G.parse("CREATE_REPLICATION_SLOT s TEMPORARY LOGICAL pgoutput (SNAPSHOT 'use')")
    assert (slot.slot, slot.temporary, slot.kind, slot.plugin, slot.options) == \
        ("s", True, "logical", "pgoutput", (("snapshot", "use"),))
    legacy = G.parse("CREATE_REPLICATION_SLOT s LOGICAL pgoutput NOEXPORT_SNAPSHOT")
    assert legacy.options == (("snapshot", "nothing"),)
    assert G.parse("CREATE_REPLICATION_SLOT p PHYSICAL RESERVE_WAL").options == (("reserve_wal", True),)
    drop = G.parse("DROP_REPLICATION_SLOT s WAIT")
    assert (drop.slot, drop.wait) == ("s", True)
    start = G.parse("START_REPLICATION SLOT s LOGICAL 1/AB (proto_version '1', publication_names 'p')")
    assert (start.kind, start.slot, start.startpoint) == ("logical", "s", 0x1000000AB)
    assert start.options == (("proto_version", "1"), ("publication_names", "p"))
    phys = G.parse("START_REPLICATION PHYSICAL 0/3000000 TIMELINE 1")
    assert (phys.kind, phys.slot, phys.timeline) == ("physical", None, 1)


@pytest.mark.parametrize("text,message", [
    ("IDENTIFY_SYSTEM x", "syntax error"), ("IDENTIFY_SYSTEM;;", "syntax error"),
    ("IDENTIFY_SYSTEM; IDENTIFY_SYSTEM", "syntax error"), ("TIMELINE_HISTORY", "syntax error"),
    ("TIMELINE_HISTORY 0", "invalid timeline 0"), ("TIMELINE_HISTORY 4294967296", "invalid timeline 0"),
    ("SHOW 'x'", "syntax error"), ("BASE_BACKUP LABEL 'x'", "syntax error"),
    ("CREATE_REPLICATION_SLOT 'x' PHYSICAL", "syntax error"), ("IDENTIFY_SYSTEM 'abc", "unterminated quoted string"),
    ("START_REPLICATION SLOT s LOGICAL 0/0 (a 1)", "syntax error"),
])
def test_errors(text, message):
    with pytest.raises(SqlError) as e:
        G.parse(text)
    assert (e.value.sqlstate, e.value.message) == ("42601", message)


@pytest.mark.parametrize("value,mode", [
    (None, None), ("database", LOGICAL), ("true", PHYSICAL), ("T", PHYSICAL), ("tr", PHYSICAL), ("on", PHYSICAL),
    ("YES", PHYSICAL), ("1", PHYSICAL), ("false", None), ("0", None), ("off", None), ("of", None), ("n", None),
])
def test_replication_values(value, mode):
    assert replication_mode(value) == mode


@pytest.mark.parametrize("value", ["maybe", "o", "Database", "", "2", "truex"])
def test_invalid_replication_values(value):
    with pytest.raises(FatalError) as e:
        replication_mode(value)
    assert e.value.sqlstate == "22023"
    assert e.value.message == f'invalid value for parameter "replication": "{value}"'


def test_hba_replication_keyword():
    from pgsvc.cluster.hba import ClientInfo, match, parse_hba
    records = parse_hba('local replication all trust\nlocal "replication" all md5\nlocal all all reject\n')

    def method(database, physical):
        rec = match(records, ClientInfo(local=True, address=None, ssl=False, database=database, user="u",
                                        physical_replication=physical))
        return rec and rec.method
    assert method("", True) == "trust"  # physical: only the keyword matches
    assert method("postgres", False) == "reject"  # logical (and ordinary): by database name
    assert method("replication", False) == "md5"  # a database named "replication" quoted
    assert match(parse_hba("local all all trust\n"), ClientInfo(True, None, False, "", "u", True)) is None


def test_dispatch_by_kind():
    from pgsvc.backend.walsender import dispatch
    saved = dict(dispatch._HANDLERS)  # noqa: SLF001  restored below
    try:
        dispatch.register("START_REPLICATION", lambda s, c: "any")
        dispatch.register("START_REPLICATION", lambda s, c: "physical", kind="physical")
        assert dispatch.handler_for("START_REPLICATION", "physical")(None, None) == "physical"
        assert dispatch.handler_for("START_REPLICATION", "logical")(None, None) == "any"
        assert dispatch.handler_for("IDENTIFY_SYSTEM_X") is None
    finally:
        dispatch._HANDLERS.clear()  # noqa: SLF001
        dispatch._HANDLERS.update(saved)  # noqa: SLF001


def test_no_input_escapes_as_anything_but_sqlerror():
    """Random command texts from the grammar's own pieces: a Command or 42601, never another
    exception (a backend must not see a traceback). Bounded: 3000 texts, fixed seed."""
    import random
    rng = random.Random(16)
    pieces = ["IDENTIFY_SYSTEM", "SHOW", "BASE_BACKUP", "START_REPLICATION", "CREATE_REPLICATION_SLOT",
              "DROP_REPLICATION_SLOT", "READ_REPLICATION_SLOT", "TIMELINE_HISTORY", "SLOT", "LOGICAL", "PHYSICAL",
              "TEMPORARY", "TIMELINE", "WAIT", "USE_SNAPSHOT", "RESERVE_WAL", "(", ")", ",", ";", ".", "'x'", "'",
              '"Q"', '"', "0/0", "FF/1", "1", "0", "99999999999999999999", "abc", "é", "\x00", " ", "\n", "$", "-"]
    for _ in range(3000):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
        try:
            if G.is_replication_command(text):
                assert isinstance(G.parse(text), G.Command)
        except SqlError as e:
            assert e.sqlstate == "42601"


def test_base_backup_options_errors_only_as_sqlerror():
    import random

    from pgsvc.backend.walsender.basebackup import Options, parse_options
    rng = random.Random(15)
    names = ["label", "progress", "checkpoint", "wait", "wal", "max_rate", "tablespace_map", "verify_checksums",
             "manifest", "manifest_checksums", "target", "target_detail", "compression", "compression_detail", "x"]
    values = [None, "fast", "spread", "on", "off", "yes", "force-encode", "SHA256", "crc32c", "client", "blackhole",
              "server", "gzip", "lz4", "level=3", "9", 0, 1, 2, 32, 1048577, "", "é"]
    for _ in range(3000):
        items = [(rng.choice(names), rng.choice(values)) for _ in range(rng.randint(0, 4))]
        try:
            assert isinstance(parse_options(items), Options)
        except SqlError as e:
            assert e.sqlstate in ("42601", "22003", "0A000"), (items, e)
