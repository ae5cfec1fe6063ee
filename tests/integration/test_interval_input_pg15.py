"""interval input side by side with PostgreSQL 15, as DecodeInterval reads it: every field
added with its overflow check (years, months and days in 32 bits, microseconds in 64) and
the error 'interval field value out of range' when one overflows, months of years past
32 bits as 'interval out of range', a unit given twice as invalid input, fractions of
years kept as whole months and fractions of months and weeks spilled into days and time,
a bare number before a (signed) time counted in days, and 'ago' negating every field.
Each psql script must print the same on both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "field_overflow": """
        SELECT '2147483647 days'::interval, '-2147483648 mons'::interval, '9223372036854775807 us'::interval;
        SELECT '2147483648 days'::interval;
        SELECT '-2147483649 months'::interval;
        SELECT '3 weeks 2147483640 days'::interval;
        SELECT '2147483647 days 0.5 months'::interval;
        SELECT '-2147483648 days -1 day'::interval;
        SELECT '178956970 years 7 months'::interval, '-178956970 years -8 months'::interval;
        SELECT '178956971 years'::interval;
        SELECT '3 centuries 2147483000 years'::interval;
        SELECT '214748365 decades'::interval;
        SELECT '2562047788 hours'::interval;
        SELECT '2562047787 hours 59 minutes'::interval;
        SELECT '9223372036854775808 microseconds'::interval;
        SELECT '-9223372036854775808 microseconds'::interval;
        SELECT '-9223372036854775808 microseconds ago'::interval;
        SELECT '-2147483648 days ago'::interval;
        SELECT '99999999999999999999 days'::interval;
    """,
    "fractions_and_units": """
        SELECT '1.5 years'::interval, '0.1 yrs'::interval, '0.7 decades'::interval, '1.25 months'::interval;
        SELECT '1.5 weeks'::interval, '0.3 days'::interval, '2.5 hours'::interval, '1.0000005 seconds'::interval;
        SELECT '1.5 millennium 3.7 centuries'::interval, '-0.5 months -0.5 days'::interval;
        SELECT '4 seconds 5 seconds'::interval;
        SELECT '1 day 2 days'::interval;
        SELECT '1.5 seconds 3 milliseconds'::interval;
        SELECT '1 hour 02:03'::interval;
        SELECT '3 days 4 hours 5 minutes 6.25 seconds ago'::interval;
    """,
    "bare_numbers_and_times": """
        SELECT '-1 +02:03'::interval, '2 -03:04:05'::interval, '7 10:00'::interval, '@ 3 1:00:00 ago'::interval;
        SELECT '1-2'::interval, '-1-11'::interval, '1-12'::interval;
        SELECT '45'::interval, '4.5'::interval, '-1.25 ago'::interval;
        SELECT '-1.25 sec ago'::interval, '2 ago'::interval;
        CREATE TABLE iv_in (v interval);
        INSERT INTO iv_in VALUES ('1 mon 2 days'), ('2147483647 days'), ('2147483648 days'), ('-7 -02:00');
        SELECT v FROM iv_in ORDER BY v;
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "interval_input_pg15")
    got = run_script_in_fresh_database(shared_server, script, "interval_input_pg15")
    assert got == expected
