"""Replication connections (issue 16), side by side with PostgreSQL 15: the start-up packet's
`replication` value, who may open one, what a physical and a logical (replication=database)
walsender accept, and the walsender commands every replication connection has
(IDENTIFY_SYSTEM, SHOW, TIMELINE_HISTORY, BASE_BACKUP's option errors).

The same psql invocations run against both servers and their output is compared after
masking what differs by nature (the system identifier and the WAL position, whose shape
is still compared). pg_hba.conf's `replication` keyword is checked on pgsvc alone (the shared
PostgreSQL 15 of the test session keeps its default file); the messages expected there are
PostgreSQL 15's (hba.c / auth.c), written out.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_engine, require_tool

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pgwire as W  # noqa: E402


def replication_server(module_server_factory, *start_args: str):
    """A pgsvc whose superuser is postgres and whose pg_hba lets replication connections
    in over loopback (restarted to read it, with start_args)."""
    require_engine()
    s = module_server_factory("-U", "postgres", "--auth-local", "trust", "--auth-host", "trust")
    s.superuser = "postgres"
    with open(s.datadir / "pg_hba.conf", "a", encoding="utf-8") as f:
        f.write("host replication all 127.0.0.1/32 trust\n")
    s.stop()
    s.start(*start_args)
    return s


@pytest.fixture(scope="module")
def pgsvc(module_server_factory):
    return replication_server(module_server_factory)


def run_psql(port: int, conninfo: str, *commands: str) -> tuple[int, str, str]:
    args = [require_tool("psql"), "-X", f"host=127.0.0.1 port={port} user=postgres {conninfo}",
            "-v", "VERBOSITY=verbose"]
    for c in commands:
        args += ["-c", c]
    r = subprocess.run(args, capture_output=True, text=True, timeout=30)
    return r.returncode, _mask(r.stdout), _mask(r.stderr)


def _mask(text: str) -> str:
    text = re.sub(r"^LOCATION:.*\n?", "", text, flags=re.M)
    text = re.sub(r"\b\d{15,20}\b", "<systemid>", text)  # the system identifier
    text = re.sub(r"\b[0-9A-F]{1,8}/[0-9A-F]{1,8}\b", "<lsn>", text)  # WAL positions
    text = re.sub(r"connection to server at \"127.0.0.1\", port \d+", "connection to server", text)
    return re.sub(r"-+\+", "", re.sub(r"^[ -]+\+[-+ ]*$", "", text, flags=re.M))


def same(pgsvc, pg15, conninfo: str, *commands: str) -> tuple[int, str, str]:
    mine = run_psql(pgsvc.port, conninfo, *commands)
    theirs = run_psql(pg15.port, conninfo, *commands)
    assert _columns_only(mine) == _columns_only(theirs), (conninfo, commands)
    return mine


def _columns_only(result):
    """Column widths follow the values' lengths, which differ with the masked values."""
    code, out, err = result
    return code, [re.sub(r"\s+", " ", line).strip() for line in out.splitlines()], err


@pytest.mark.parametrize("value", ["true", "on", "yes", "1", "TRUE", "tr", "database", "false", "off", "0",
                                   "maybe", "Database", "o", "2"])
def test_replication_values(pgsvc, pg15, value):
    code, out, err = same(pgsvc, pg15, f"dbname=postgres replication={value}", "IDENTIFY_SYSTEM")
    if value in ("false", "off", "0"):
        assert "syntax error" in err  # an ordinary backend: IDENTIFY_SYSTEM is SQL there
    elif value in ("database",):
        assert "postgres" in out and code == 0
    elif value in ("maybe", "Database", "o", "2"):
        assert 'invalid value for parameter "replication"' in err


PHYSICAL_CASES = [
    "IDENTIFY_SYSTEM", "IDENTIFY_SYSTEM;", "IDENTIFY_SYSTEM x", "IDENTIFY_SYSTEM;;", "identify_system", "SELECT 1",
    "", "SHOW wal_segment_size", "SHOW WAL_SEGMENT_SIZE", 'SHOW "wal_segment_size"', "SHOW nosuch", "SHOW a.b",
    "SHOW 'x'", "show wal_segment_size", "SHOW integer_datetimes", "SHOW DateStyle", "TIMELINE_HISTORY 1", "TIMELINE_HISTORY 2",
    "TIMELINE_HISTORY 0", "TIMELINE_HISTORY", "TIMELINE_HISTORY 4294967296", "IDENTIFY_SYSTEM 'abc",
    "BASE_BACKUP (FOO)", "BASE_BACKUP (LABEL 'a', LABEL 'b')", "BASE_BACKUP (MAX_RATE 1)",
    "BASE_BACKUP (MAX_RATE 'x')", "BASE_BACKUP (CHECKPOINT 'slow2')", "BASE_BACKUP (MANIFEST 'maybe')",
    "BASE_BACKUP (WAIT 'x')", "BASE_BACKUP (PROGRESS 2)", "BASE_BACKUP (TARGET 'x')",
    "BASE_BACKUP (TARGET 'client', TARGET_DETAIL 'x')", "BASE_BACKUP (TARGET_DETAIL 'x')",
    "BASE_BACKUP (MANIFEST 'no', MANIFEST_CHECKSUMS 'SHA256')", "BASE_BACKUP (MANIFEST_CHECKSUMS 'MD5')",
    "BASE_BACKUP (TARGET 'server')", "BASE_BACKUP (TARGET 'server', TARGET_DETAIL 'rel/path')",
    "BASE_BACKUP (TARGET 'server', TARGET_DETAIL '/tmp')", "BASE_BACKUP LABEL 'x'", "CREATE_REPLICATION_SLOT 'x' PHYSICAL", "START_REPLICATION SLOT",
]


@pytest.mark.parametrize("command", PHYSICAL_CASES)
def test_physical_walsender_commands(pgsvc, pg15, command):
    same(pgsvc, pg15, "replication=true", command)


@pytest.mark.parametrize("command", ["IDENTIFY_SYSTEM", "SELECT 1", "identify_system", "", "SHOW wal_segment_size",
                                     "SHOW nosuch", "TIMELINE_HISTORY 1", "IDENTIFY_SYSTEM x",
                                     "BASE_BACKUP (FOO)", "SELECT current_database()"])
def test_logical_walsender_commands(pgsvc, pg15, command):
    same(pgsvc, pg15, "dbname=postgres replication=database", command)


def test_transaction_blocks_on_a_logical_walsender(pgsvc, pg15):
    same(pgsvc, pg15, "dbname=postgres replication=database",
         "BEGIN", "TIMELINE_HISTORY 1", "SELECT 1", "ROLLBACK",
         "BEGIN", "BASE_BACKUP", "ROLLBACK",
         "BEGIN", "SHOW nosuch", "IDENTIFY_SYSTEM", "ROLLBACK",
         "BEGIN", "IDENTIFY_SYSTEM", "SHOW wal_segment_size", "COMMIT")


def test_role_needs_replication(pgsvc, pg15):
    for run in (pgsvc.psql, pg15.psql):
        run("DROP ROLE IF EXISTS bk_norepl; DROP ROLE IF EXISTS bk_repl; "
            "CREATE ROLE bk_norepl LOGIN; CREATE ROLE bk_repl LOGIN REPLICATION")
    try:
        for user in ("bk_norepl", "bk_repl"):
            for conninfo, command in (("replication=true", "SELECT 1"),
                                      ("replication=true", "BASE_BACKUP (TARGET 'server', TARGET_DETAIL '/tmp/x')"),
                                      ("dbname=postgres replication=database", "SELECT 1"),
                                      ("dbname=postgres", "SELECT 1")):
                args = (f"user={user} {conninfo}", command)
                mine = run_psql(pgsvc.port, *args)
                theirs = run_psql(pg15.port, *args)
                assert mine[0] == theirs[0] and mine[2].replace(f"user={user}", "") == \
                    theirs[2].replace(f"user={user}", ""), (user, conninfo, mine, theirs)
    finally:
        pgsvc.psql("DROP ROLE bk_norepl; DROP ROLE bk_repl")
        pg15.psql("DROP ROLE bk_norepl; DROP ROLE bk_repl")


def _wire(port: int, params: dict, messages: list[bytes]) -> list[tuple[bytes, dict | bytes]]:
    sock = W.open_socket(("127.0.0.1", port))
    try:
        sock.sendall(W.startup_packet({"user": "postgres", **params}))
        while W.read_message(sock)[0] != b"Z":
            pass
        out = []
        for msg in messages:
            sock.sendall(msg)
            while True:
                mtype, body = W.read_message(sock)
                if mtype == b"E":
                    fields = W.parse_error(body)
                    out.append((mtype, {k: fields[k] for k in "SCM"}))
                elif mtype in (b"T", b"C", b"Z", b"I"):
                    out.append((mtype, body))
                if mtype == b"Z":
                    break
        return out
    finally:
        sock.close()


def test_extended_protocol_and_fastpath_are_refused(pgsvc, pg15):
    messages = [W.message(b"P", b"\x00SELECT 1\x00\x00\x00") + W.message(b"B", b"\x00\x00" + b"\x00" * 6)
                + W.message(b"E", b"\x00\x00\x00\x00\x00") + W.message(b"S", b""),
                W.message(b"F", struct.pack("!IhhIh", 1, 0, 0, 0, 0)),
                W.message(b"Q", b"IDENTIFY_SYSTEM\x00")]
    for params in ({"replication": "true"}, {"replication": "database", "database": "postgres"}):
        mine = _wire(pgsvc.port, params, messages)
        theirs = _wire(pg15.port, params, messages)
        # the RowDescription of IDENTIFY_SYSTEM byte for byte (names, types, lengths)
        assert mine == theirs


def test_hba_replication_keyword(server_factory):
    """Physical walsenders match only `replication` in the database column; logical ones match
    by their database's name, never by `replication` (PostgreSQL 15's check_db)."""
    require_engine()
    s = server_factory("-U", "postgres", "--auth-local", "trust", "--auth-host", "trust")
    s.superuser = "postgres"
    hba = s.datadir / "pg_hba.conf"
    hba.write_text("host replication all 127.0.0.1/32 reject\nhost postgres all 127.0.0.1/32 trust\n")
    s.stop()
    s.start()
    code, _, err = run_psql(s.port, "replication=true", "IDENTIFY_SYSTEM")
    assert code == 2 and 'pg_hba.conf rejects replication connection for host "127.0.0.1", user "postgres", ' \
                          'no encryption' in err
    code, out, _ = run_psql(s.port, "dbname=postgres replication=database", "IDENTIFY_SYSTEM")
    assert code == 0 and "postgres" in out
    hba.write_text("host all all 127.0.0.1/32 trust\n")
    s.stop()
    s.start()
    code, _, err = run_psql(s.port, "replication=true", "IDENTIFY_SYSTEM")
    assert code == 2 and 'no pg_hba.conf entry for replication connection from host "127.0.0.1", user "postgres", ' \
                          'no encryption' in err
    code, out, _ = run_psql(s.port, "dbname=postgres replication=database", "IDENTIFY_SYSTEM")
    assert code == 0  # "all" covers a logical walsender's database
