"""Binary send/recv formats against PostgreSQL 15's *_send output (hex literals below
were produced by PostgreSQL: SELECT numeric_send('-1234.5678'), ...)."""

import pytest

from pgsvc.sql import types as T

CASES = [
    (T.NUMERIC, "-1234.5678", "000200004000000404d2162e"),
    (T.NUMERIC, "0.00012", "0002ffff00000005000107d0"),
    (T.NUMERIC, "NaN", "00000000c0000000"),
    (T.NUMERIC, "10000", "00010001000000000001"),
    (T.NUMERIC, "0", "0000000000000000"),
    (T.NUMERIC, "0.10", "0001ffff0000000203e8"),
    (T.DATE, "2024-01-02", "0000223f"),
    (T.DATE, "infinity", "7fffffff"),
    (T.TIMESTAMPTZ, "2024-01-02 03:04:05+02", "0002b0ead7eeab40"),
    (T.TIMESTAMP, "1999-12-31 23:59:59.5", "fffffffffff85ee0"),
    (T.INTERVAL, "1 year 2 days 03:00:01", "0000000283ca2e40000000020000000c"),
    (T.ARRAY_INT4, "{{1,2},{3,NULL}}",
     "00000002000000010000001700000002000000010000000200000001000000040000000100000004"
     "000000020000000400000003ffffffff"),
    (T.ARRAY_TEXT, "{}", "000000000000000000000019"),
    (T.ARRAY_TEXT, "{a,NULL}", "00000001000000010000001900000002000000010000000161ffffffff"),
    (T.JSONB, '{"a":1}', "017b2261223a20317d"),
    (T.UUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc999c0b4ef8bb6d6bb9bd380a11"),
    (T.FLOAT8, "0.1", "3fb999999999999a"),
    (T.FLOAT4, "0.1", "3dcccccd"),
    (T.BOOL, "true", "01"),
    (T.TIME, "04:05:06.5", "000000036c9361a0"),
    (T.INT2, "-2", "fffe"),
    (T.INT8, "-2", "fffffffffffffffe"),
]


@pytest.mark.parametrize("oid,text,hexdata", CASES)
def test_binary_send_matches_postgresql(oid, text, hexdata):
    value = T.text_decoder(oid)(text, -1)
    assert T.binary_encoder(oid)(value).hex() == hexdata


@pytest.mark.parametrize("oid,text,hexdata", CASES)
def test_binary_recv_round_trips(oid, text, hexdata):
    value = T.binary_decoder(oid)(bytes.fromhex(hexdata), -1)
    encode = T.text_encoder(oid)
    assert encode(value) == encode(T.text_decoder(oid)(text, -1))
