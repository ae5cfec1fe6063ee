"""float8 hyperbolic functions and float4send/float8send side by side with PostgreSQL 15:
sinh, cosh, tanh, asinh, acosh, atanh with NaN, the infinities, overflow (an infinity, not
an error) and their domain errors; the IEEE 754 bytes of float4 and float8 values. Each psql
script must print the same on both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "hyperbolic": """
        SELECT sinh(0.5::float8), cosh(-2::float8), tanh(3::float8), asinh(-4::float8), acosh(1::float8), atanh(-0.25::float8);
        SELECT sinh(800::float8), sinh(-800::float8), cosh(-800::float8), tanh('-inf'::float8), asinh('inf'::float8);
        SELECT cosh('nan'::float8), acosh('inf'::float8), atanh(1::float8), atanh(-1::float8), pg_typeof(asinh(2));
        SELECT acosh(0.999::float8);
        SELECT acosh('-inf'::float8);
        SELECT atanh(1.0001::float8);
        SELECT atanh('inf'::float8);
    """,
    "send_functions": """
        SELECT float8send(2.75::float8), float8send('-inf'::float8), float8send('nan'::float8), float8send(1e-310::float8);
        SELECT float4send(2.75::float4), float4send('inf'::float4), float4send('1e-40'::float4), float4send(NULL);
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "float_functions_pg15")
    got = run_script_in_fresh_database(shared_server, script, "float_functions_pg15")
    assert got == expected
