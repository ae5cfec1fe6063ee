"""numeric functions side by side with PostgreSQL 15: sqrt, exp, ln, log and log10 over
numeric (numeric results at the scale numeric.c picks from the result's estimated weight),
scale / min_scale / trim_scale, div(), and arithmetic and power() with infinities, NaN and
zero (NaN where PostgreSQL answers NaN: inf - inf, 0 * inf, inf / inf, instead of an internal
error). Each psql script must print the same on both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "roots_logs_exponentials": """
        SELECT sqrt(7::numeric), sqrt(0.000049::numeric), sqrt(6.25e30::numeric), sqrt(2.0000::numeric), sqrt(0::numeric);
        SELECT exp(2::numeric), exp(-3.25::numeric), exp(45.5::numeric), exp(0.000001::numeric), exp(-5000::numeric) = 0;
        SELECT ln(10::numeric), ln(0.999999::numeric), ln(1e-30::numeric), ln(12345678901234567890::numeric);
        SELECT log(3::numeric), log(7, 49.000::numeric), log(0.25, 1024::numeric), log10(0.001::numeric);
        SELECT sqrt(2), pg_typeof(sqrt(2)), pg_typeof(sqrt(2.0)), pg_typeof(ln(3)), pg_typeof(exp(1.5)), pg_typeof(log(5));
        SELECT sqrt('inf'::numeric), exp('-inf'::numeric), exp('inf'::numeric), ln('inf'::numeric), sqrt('nan'::numeric);
        SELECT log('inf'::numeric, 5), log(5, 'inf'::numeric), log('inf'::numeric, 'inf'::numeric), log('nan'::numeric, 5);
        SELECT sqrt(-4::numeric);
        SELECT ln(-1::numeric);
        SELECT ln(0::numeric);
        SELECT log(1::numeric, 10);
        SELECT log(0::numeric, 10);
        SELECT exp(6500::numeric);
        SELECT sqrt('-inf'::numeric);
    """,
    "scales_and_div": """
        SELECT scale(12.3400), scale(0::numeric), scale(1e5::numeric), scale('nan'::numeric), scale('inf'::numeric);
        SELECT min_scale(12.3400), min_scale(100::numeric), min_scale(-0.00010), min_scale('inf'::numeric);
        SELECT trim_scale(12.3400), trim_scale(100.00), trim_scale(-0.000), trim_scale('nan'::numeric), trim_scale('-inf'::numeric);
        SELECT div(17, 5), div(-17.9, 5), div(17::numeric, -4.5), div('inf'::numeric, -2), div(7, 'inf'::numeric);
        SELECT div('inf'::numeric, 'inf'::numeric), div('nan'::numeric, 1);
        SELECT div(1::numeric, 0);
    """,
    "infinite_arithmetic": """
        SELECT 'inf'::numeric + 'inf', 'inf'::numeric - 'inf', '-inf'::numeric + 'inf', 'inf'::numeric * 0, 0 * '-inf'::numeric;
        SELECT 'inf'::numeric / 'inf', '-inf'::numeric / 3, 3 / '-inf'::numeric, 'inf'::numeric % 5, 5 % 'inf'::numeric;
        SELECT 0 ^ 0.0, 0 ^ 2.5, 0::numeric ^ 0, power(0::numeric, 'inf'), power(1::numeric, 'nan');
        SELECT power(-1::numeric, 'inf'), power(-3::numeric, 'inf'), power(0.5, 'inf'::numeric), power(0.5, '-inf'::numeric);
        SELECT power(4::numeric, '-inf'), power('inf'::numeric, 0), power('inf'::numeric, -2), power('-inf'::numeric, 3),
               power('-inf'::numeric, 2), power('-inf'::numeric, -3);
        SELECT power(0::numeric, '-inf');
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "numeric_functions_pg15")
    got = run_script_in_fresh_database(shared_server, script, "numeric_functions_pg15")
    assert got == expected
