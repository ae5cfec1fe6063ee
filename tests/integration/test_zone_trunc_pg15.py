"""date_trunc in a named zone, make_timestamptz and date_bin side by side with PostgreSQL 15:
truncation as a wall-clock time in the zone (across a daylight-saving change too), the
fields of make_timestamptz read in the session's zone or the one given, date_bin's bins for
timestamp and timestamptz with origins before and after the value, and their errors
(months in the stride, a zero stride, an unknown zone). Each psql script must print the same
on both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "trunc_and_make": """
        SET TimeZone = 'America/New_York';
        SELECT date_trunc('day', timestamptz '2021-03-14 12:30:00+00', 'Europe/Berlin'),
               date_trunc('hour', timestamptz '2021-03-14 07:45:10+00', 'America/Chicago'),
               date_trunc('month', timestamptz '2020-02-29 23:59:59-05', 'Asia/Tokyo'),
               date_trunc('week', timestamptz '2022-01-01 03:00:00+00', 'UTC');
        SELECT date_trunc('day', timestamptz 'infinity', 'UTC'), date_trunc('year', NULL::timestamptz, 'UTC');
        SELECT make_timestamptz(2021, 7, 4, 18, 30, 15.5), make_timestamptz(2021, 1, 2, 3, 4, 5, 'Asia/Kolkata'),
               make_timestamptz(1999, 12, 31, 23, 59, 59.999999, 'UTC'), make_timestamptz(2014, 12, 10, 0, 0, 0, 'EST');
        SELECT make_timestamptz(2021, 3, 14, 2, 30, 0) = timestamptz '2021-03-14 02:30:00';
        SELECT date_trunc('day', now(), 'Nowhere/Zone');
        SELECT date_trunc('fortnight', timestamptz '2021-01-01 00:00:00+00', 'UTC');
    """,
    "date_bin": """
        SET TimeZone = 'UTC';
        SELECT date_bin('15 minutes', timestamp '2020-02-11 15:44:17', timestamp '2001-01-01'),
               date_bin('15 minutes', timestamp '2020-02-11 15:44:17', timestamp '2001-01-01 00:02:30'),
               date_bin('1 day 2 hours', timestamp '2020-02-11 15:44:17', timestamp '2030-01-01'),
               date_bin('1 second', timestamp '2020-02-11 15:44:17.71393', timestamp '2001-01-01');
        SELECT date_bin('30 minutes', timestamptz '2020-02-11 15:44:17+03', timestamptz '2001-01-01 00:00:00+00'),
               date_bin('1 week', timestamptz '2022-06-15 10:00:00+00', timestamptz '2022-06-13 00:00:00+00');
        SELECT date_bin('1 hour', timestamp 'infinity', timestamp '2001-01-01');
        SELECT date_bin('1 month', timestamp '2020-02-11 15:44:17', timestamp '2001-01-01');
        SELECT date_bin('0 days', timestamp '2020-02-11 15:44:17', timestamp '2001-01-01');
        SELECT date_bin('-2 hours', timestamptz '2020-02-11 15:44:17+00', timestamptz '2001-01-01');
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "zone_trunc_pg15")
    got = run_script_in_fresh_database(shared_server, script, "zone_trunc_pg15")
    assert got == expected
