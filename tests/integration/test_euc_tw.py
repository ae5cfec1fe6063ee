"""client_encoding EUC_TW and convert_from/convert_to(..., 'EUC_TW') side by side with PostgreSQL
15 (pgsvc.euc_tw: Python has no codec for it; pgsvc's is PostgreSQL's table). Which byte
sequences and code points PostgreSQL converts is asked of PostgreSQL at run time; then both
servers convert all of them at once and must answer the same, and both refuse a sample of the
rest with the same SQLSTATE and message. psql with PGCLIENTENCODING=EUC_TW sends and receives
EUC_TW text through the protocol.
"""

from __future__ import annotations

import subprocess

import psycopg
import pytest
from conftest import require_tool

FN = """create or replace function pg_temp.ok_dec(b bytea) returns bool language plpgsql as $$
begin perform convert_from(b, 'EUC_TW'); return true; exception when others then return false; end $$;
create or replace function pg_temp.ok_enc(t text) returns bool language plpgsql as $$
begin perform convert_to(t, 'EUC_TW'); return true; exception when others then return false; end $$"""


def _dsn(srv) -> str:
    return f"host=127.0.0.1 port={srv.port} user={srv.superuser} dbname=postgres"


def _cells():
    return [bytes([a, b]) for a in range(0xA1, 0xFF) for b in range(0xA1, 0xFF)]


@pytest.fixture(scope="module")
def pg_sets(pg15):
    """What PostgreSQL converts: byte sequences (two bytes, and four for planes 1-7) and code
    points (BMP and plane 2), and some it refuses."""
    seqs = _cells() + [bytes([0x8E, 0xA0 + p]) + c for p in range(1, 8) for c in _cells()[::3]]
    points = [chr(c) for c in range(0x80, 0x2B000) if not 0xD800 <= c < 0xE000][::2]
    with psycopg.connect(_dsn(pg15), autocommit=True) as conn:
        conn.execute(FN)
        ok = conn.execute("select array_agg(b) filter (where pg_temp.ok_dec(b)), array_agg(b) filter (where not "
                          "pg_temp.ok_dec(b)) from unnest(%s::bytea[]) b", (seqs,)).fetchone()
        enc = conn.execute("select array_agg(t) filter (where pg_temp.ok_enc(t)), array_agg(t) filter (where not "
                           "pg_temp.ok_enc(t)) from unnest(%s::text[]) t", (points,)).fetchone()
    return ok[0], ok[1], enc[0], enc[1]


def _answers(srv, calls) -> list:
    out = []
    with psycopg.connect(_dsn(srv), autocommit=True) as conn:
        for sql, args in calls:
            try:
                out.append(conn.execute(sql, args).fetchone()[0])
            except psycopg.Error as e:
                out.append((e.sqlstate, e.diag.message_primary))
    return out


def test_conversions_as_postgres(shared_server, pg15, pg_sets):
    good, bad, encodable, unencodable = pg_sets
    assert len(good) > 10000 and len(encodable) > 8000  # (PostgreSQL's table is there)
    calls = [("select convert_from(%s::bytea, 'EUC_TW')", (b"".join(good),)),
             ("select encode(convert_to(%s, 'EUC_TW'), 'hex')", ("".join(encodable),))]
    calls += [("select convert_from(%s::bytea, 'EUC_TW')", (b,)) for b in bad[::97]]
    calls += [("select convert_to(%s, 'EUC_TW')", (t,)) for t in unencodable[::401]]
    odd = [b"\x8e\xae\xa1\xa6", b"\x8e\xa8\xa1\xa1", b"\x8f\xa1\xa1", b"\x81\xa1", b"\xa1", b"\x8e\xa1",
           b"a\xa4\x00", b"\xa4\xa4\x00\xa4", b"\x00\xff", b"\xff\xa1\x00"]
    calls += [("select convert_from(%s::bytea, 'EUC_TW')", (b,)) for b in odd]
    calls += [("select convert(%s::bytea, 'EUC_TW', 'EUC_TW')", (b"\xa4\xa4\xff",))]
    assert _answers(shared_server, calls) == _answers(pg15, calls)


def _psql(srv, script: bytes) -> bytes:
    cmd = [require_tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(srv.port), "-U", srv.superuser, "-d",
           "postgres", "-f", "-"]
    res = subprocess.run(cmd, input=script, capture_output=True, timeout=60,
                         env={"PGCLIENTENCODING": "EUC_TW", "LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    return res.stdout + b"\n--stderr--\n" + res.stderr


def test_client_encoding_euc_tw(shared_server, pg15):
    script = b"\n".join([
        b"SHOW client_encoding;",
        b"SELECT 'plain ascii' AS ascii;",
        b"SELECT '" + bytes.fromhex("c4e3c5c620a4a4a4e5") + b"' AS t, length('" + bytes.fromhex("c4e3c5c6") + b"');",
        b"SELECT U&'\\4E04' AS plane14;",
        b"SELECT U&'\\00E9' AS none;",
        b"SELECT '" + bytes.fromhex("8ea3a1a6") + b"';",
        b"CREATE TEMP TABLE tw (v text);",
        b"COPY tw FROM STDIN;",
        bytes.fromhex("c4e3c5c6"),
        bytes.fromhex("8ea2a1a1"),
        b"\\.",
        b"SELECT v, length(v), encode(convert_to(v, 'UTF8'), 'hex') FROM tw;",
        b"COPY tw TO STDOUT;",
        b"SET client_encoding TO MULE_INTERNAL;",
    ]) + b"\n"
    assert _psql(shared_server, script) == _psql(pg15, script)
