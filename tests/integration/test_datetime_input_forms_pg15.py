"""Date/time input forms side by side with PostgreSQL 15: concatenated YYYYMMDD dates (longer
years too) with an HHMMSS[.fff] time after a space or a T and a zone or offset, year and day of
year (YYYY.DDD, and its range error), and today / tomorrow / yesterday together with a time or
a zone. Each psql script must print the same on both servers (values compared where they
depend on today's date)."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "concatenated_and_day_of_year": """
        SET TimeZone = 'Europe/Paris';
        SELECT timestamp '20230415 081530', timestamptz '20230415 081530 +0200', timestamptz '20231101 081530 EST',
               timestamptz '20230415T081530.25-03', timestamptz '20230715 081530 Asia/Tokyo';
        SELECT timestamp '120230415 10:00:00', date '20240229', timestamp '20230415';
        SELECT date '2023.045', date '2024.366', timestamptz '2023.200 12:00:00 UTC', timestamp '1999.001 23:59';
        SELECT date '2023.366';
        SELECT date '2023.000';
        SELECT timestamp '20230230 101010';
    """,
    "relative_days": """
        SET TimeZone = 'Pacific/Auckland';
        SELECT timestamp 'today 06:15' = date_trunc('day', localtimestamp) + interval '6 hours 15 minutes',
               timestamp '23:00 yesterday' = timestamp 'yesterday' + interval '23 hours',
               timestamp 'tomorrow 00:00:01' - timestamp 'today' = interval '1 day 1 second';
        SELECT timestamptz 'tomorrow UTC' = (timestamp 'tomorrow' AT TIME ZONE 'UTC'),
               timestamptz 'today America/Denver' = (timestamp 'today' AT TIME ZONE 'America/Denver'),
               timestamptz 'yesterday -05' = (timestamp 'yesterday' AT TIME ZONE '-05');
        SELECT date 'yesterday 12:00' = current_date - 1, date 'tomorrow' - date 'yesterday';
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "datetime_input_forms_pg15")
    got = run_script_in_fresh_database(shared_server, script, "datetime_input_forms_pg15")
    assert got == expected
