"""Interval input in ISO 8601 (designators, basic and extended alternative formats, numbers as
strtod reads them, field overflow), interval arithmetic as timestamp.c computes it (fractions
cascading in * and /, 22008 interval out of range from + - * / and justify_*), make_interval
(defaults, named arguments, NULLs, wraparound) and make_time, side by side with PostgreSQL 15:
each psql script must print the same on both servers."""

from __future__ import annotations

import pytest

from test_compare_pg15 import run_script_in_fresh_database

CASES = {
    "iso8601_input": """
        SET IntervalStyle = postgres_verbose;
        SELECT interval 'P3Y4M5DT6H7M8.25S', interval 'P1.5W', interval 'P0.25M', interval 'P2.5Y', interval 'PT2.5H';
        SELECT interval 'P00031120', interval 'P00031120T080910', interval 'PT070809', interval 'PT0708',
               interval 'P00031120.25T1';
        SELECT interval 'P0003-11-20T08:09:10.5', interval 'P0004-05', interval 'P0007', interval 'PT-3:-4',
               interval 'P-2-3', interval 'P3--1', interval 'P1.5-1', interval 'PT0.5:10:30.5';
        SELECT interval 'P2.5e3D', interval 'PT3e1S', interval 'P0x1FD', interval 'PT', interval 'P4Y4Y', interval 'PT2M2M';
        SELECT interval 'PT1000000000.0123456', interval 'PT080910.7', interval 'PT0.0000025S';
        SELECT interval 'p2y';
        SELECT interval ' P2Y';
        SELECT interval 'P';
        SELECT interval 'P+3D';
        SELECT interval 'P3D4';
        SELECT interval 'P1-2-3-4';
        SELECT interval 'PT1:2:3:4';
        SELECT interval 'P3Y-4';
        SELECT interval 'P1e500D';
        SELECT interval 'P-infinity';
        SELECT interval 'P3000000000D';
        SELECT interval 'P300000000Y';
        SELECT interval 'PT3000000000';
        SELECT interval 'P2000000000D2000000000D';
        SELECT interval 'P0.5-2147483647';
        SELECT interval 'P2000000000-11';
    """,
    "multiply_divide": """
        CREATE TABLE spans (s interval);
        INSERT INTO spans VALUES ('7 mons 3 days 5:00:01.5'), ('-5 mons 2 days -3:00'), ('1 mon 1 day'),
            ('11 years 7 mons 13 days 0.000123 secs'), ('-17 days 48:00');
        SELECT s, s * 0.37 AS a, s * 2.6 AS b, s / 7 AS c, s / 3.3 AS d, s * -1.7 AS e, 4.1 * s AS f FROM spans;
        SELECT interval '2000000000 months' * 2;
        SELECT interval '2000000000 days' / 0.5;
        SELECT interval '1 mon 2000000000 days' * 1.07;
        SELECT interval '5000000000000000000 usec' * 2;
        SELECT interval '3 hours' * 'nan'::float8;
        SELECT interval '3 hours' / 'infinity'::float8, interval '3 hours' / 0.0000001;
        SELECT interval '3 hours' / 0;
    """,
    "add_subtract_justify": """
        SELECT interval '2147483000 days' + interval '647 days';
        SELECT interval '2147483000 days' + interval '648 days';
        SELECT interval '-2147483000 months' - interval '649 months';
        SELECT -interval '-2147483648 days';
        SELECT -interval '-2147483647 days', interval '9223372036854 msec' + interval '1 day';
        SELECT justify_hours(interval '2147483647 days 26 hours');
        SELECT justify_days(interval '2147483647 months 35 days');
        SELECT justify_interval(interval '2147483647 months 29 days 30 hours');
        SELECT justify_interval(interval '-2147483648 months -29 days -30 hours');
        SELECT justify_hours(interval '-4 days 50 hours'), justify_days(interval '2 months -45 days'),
               justify_interval(interval '6 months -70 days 5 hours'), justify_interval(interval '-1 month 50 hours');
    """,
    "make_interval_and_time": """
        SELECT make_interval(), make_interval(2), make_interval(2, 3, 4), make_interval(1, 2, 3, 4, 5, 6, 7.5);
        SELECT make_interval(days => 3, hours => 4), make_interval(1, secs := 2.25), make_interval(weeks := 2, years := 1);
        SELECT make_interval(mins => NULL) IS NULL, make_interval(2, NULL) IS NULL;
        SELECT make_interval(years := 300000000), make_interval(days := 2147483647, weeks := 2);
        SELECT make_interval(secs := 'infinity');
        SELECT make_interval(secs := '-infinity');
        SELECT make_interval(secs := 'nan');
        SELECT make_interval(bogus := 1);
        SELECT make_interval(hours := 1, hours := 2);
        SELECT make_date(month => 7, day => 14, year => 1999), make_timestamp(1999, 7, 14, sec => 1.5, min => 2, hour => 3);
        SELECT make_time(7, 8, 9.5), make_time(24, 0, 0), make_time(23, 59, 59.9999996), make_time(5, 6, 60);
        SELECT make_time(hour := 1, min := 2, sec := 3), make_time(1, 2, NULL) IS NULL;
        SELECT make_time(24, 0, 0.5);
        SELECT make_time(-2, 0, 0);
        SELECT make_time(3, 61, 0);
        SELECT make_time(3, 4, -1.25);
        SELECT make_time(3, 4, 'nan');
    """,
    "overlaps_and_timetz": """
        SET TimeZone = 'America/Sao_Paulo';
        CREATE TABLE periods (a timestamptz, b timestamptz, c timestamptz, d interval);
        INSERT INTO periods VALUES ('2021-03-01 08:00+00', '2021-03-01 10:00+00', '2021-03-01 09:59+00', '5 minutes'),
            ('2021-03-01 10:00+00', '2021-03-01 08:00+00', '2021-03-01 10:00+00', '1 hour'),
            ('2021-03-01 08:00+00', NULL, '2021-03-01 08:00+00', '-1 hour'), (NULL, '2021-03-02 00:00+00', '2021-03-01 12:00+00', NULL),
            ('2021-03-01 08:00+00', NULL, '2021-03-01 09:00+00', '2 days');
        SELECT (a, b) OVERLAPS (c, d) AS ti, (a, b) OVERLAPS (c, c + d) AS tt, (a, d) OVERLAPS (c, b) AS it,
               (a, interval '3 hours') OVERLAPS (c, d) AS ii, (a::timestamp, b::timestamp) OVERLAPS (c::timestamp, d) AS plain
          FROM periods ORDER BY a, c;
        SELECT (time '22:00', time '23:00') OVERLAPS (time '22:30', interval '2 minutes'),
               (time '22:00', interval '90 minutes') OVERLAPS (time '23:00', time '23:45'),
               (date '2021-01-01', date '2021-01-31') OVERLAPS (date '2021-01-31', date '2021-02-28'),
               overlaps(date '2021-01-01', date '2021-01-31', date '2021-01-30', NULL::date);
        SELECT date '2019-06-30' + timetz '21:45:30-03', timetz '04:05:06+09:30' + date '2019-12-31',
               timestamptz(date '2019-06-30', time '21:45:30.25'), timestamptz(date '2019-06-30', timetz '21:45+05'),
               date '-infinity' + timetz '01:00+00';
        SELECT timetz '23:50:00-01' + interval '25 minutes', interval '1 day 30 minutes' + timetz '12:00+04',
               timetz '00:10+00' - interval '20 minutes', pg_typeof(timetz '01:00+00' - interval '1 minute');
    """,
    "decode_interval_fields": """
        SELECT interval '4:05.25', interval '-4:05.5', interval '4:05.25' hour to minute, interval '2 days - 3 hours',
               interval '+ 6:30', interval '- 2 weeks', interval '1 mon -  3 days';
        SELECT interval '7 3' hour, interval '40 23' day to hour, interval '2 hours 5' hour to minute,
               interval '4 days 9' day to second, interval '3 years 2' year to month,
               interval '2 3:04.5678' day to second(1), interval '2 3:04.5' minute to second;
        SELECT interval '5 - 6';
        SELECT interval '4:05.2:01';
        SELECT justify_interval(interval '2147483640 days 30 hours'), justify_interval(interval '-2147483640 days -30 hours'),
               justify_interval(interval '50 days 30 hours'), justify_interval(interval '2 mons -50 days 30 hours');
    """,
    "timestamp_series": """
        SET TimeZone = 'Europe/London';
        SELECT * FROM generate_series('2021-03-27'::timestamptz, '2021-03-30 02:00'::timestamptz, '1 day 7 hours'::interval);
        SELECT * FROM generate_series(timestamp '2021-01-30', timestamp '2021-07-01', interval '1 month') AS s(t);
        SELECT generate_series(timestamp '2021-05-01 03:00', timestamp '2021-05-01', interval '-50 min');
        SELECT generate_series('2021-01-01'::timestamptz, 'infinity'::timestamptz, '2 months'::interval) LIMIT 3;
        SELECT s, pg_typeof(s) FROM generate_series(date '2021-02-27', date '2021-03-01', interval '1 day') s;
        SELECT * FROM generate_series('2021-01-01', '2021-01-02', interval '8 hours');
        SELECT count(*) FROM generate_series(timestamp '2021-01-01', NULL, '1 day');
        SELECT * FROM generate_series(timestamp '2021-01-01', timestamp '2021-01-02', '0 hours');
    """,
    "interval_aggregates": """
        CREATE TABLE waits (k int, w interval);
        INSERT INTO waits VALUES (1, '2 days 4 hours'), (1, '3 mons 11 min'), (1, NULL), (2, '-6 days 0.7 sec'),
            (2, '1 year'), (3, NULL);
        SELECT k, avg(w), sum(w), count(w) FROM waits GROUP BY k ORDER BY k;
        SELECT avg(w) OVER (ORDER BY k, w), sum(w) OVER (ORDER BY k, w) FROM waits ORDER BY k, w;
        SELECT avg(w) FROM waits WHERE false;
        SELECT sum(w) FROM (VALUES (interval '2147483000 days'), (interval '700 days')) v(w);
        SELECT avg(w) FROM (VALUES (interval '-2147483000 months'), (interval '-700 months')) v(w);
        SELECT round('infinity'::float8), round('-infinity'::float8), round('nan'::float8), round(4.5::float8),
               round(date_part('julian', timestamp '-infinity'));
    """,
    "zone_gaps_folds_dynamic_abbrevs": """
        SET TimeZone = 'America/Chicago';
        SELECT '2019-11-03 01:20'::timestamptz, '2019-03-10 02:40'::timestamptz, '2019-11-03 00:59:59'::timestamptz,
               '2019-11-03 01:20'::timestamp AT TIME ZONE 'Australia/Sydney', '2019-04-07 02:20'::timestamp AT TIME ZONE 'Australia/Sydney',
               make_timestamptz(2019, 11, 3, 1, 20, 0), '30000-07-04 12:00'::timestamptz, '30000-12-25 12:00 Europe/Paris'::timestamptz;
        SET TimeZone = 'UTC';
        SELECT '2011-03-27 02:15 MSK'::timestamptz, '2014-10-26 01:45 MSK'::timestamptz, '2003-08-01 09:00 MSK'::timestamptz,
               '1926-06-01 09:00 MSK'::timestamptz, '2022-02-02 09:00 msk'::timestamptz;
        SELECT '2011-03-27 02:15'::timestamp AT TIME ZONE 'MSK', '2003-08-01 09:00'::timestamp AT TIME ZONE 'Msk',
               '2003-08-01 09:00+00'::timestamptz AT TIME ZONE 'MSK', '2012-08-01 09:00+00'::timestamptz AT TIME ZONE 'MSK',
               make_timestamptz(2003, 8, 1, 9, 0, 0, 'MSK');
        SELECT '2015-06-01 12:00 VOLT'::timestamptz, '2015-06-01 12:00 SGT'::timestamptz, '2015-06-01 12:00 YEKT'::timestamptz;
    """,
    "time_input_zones_and_errors": """
        SELECT '08:09:10 CET'::time, '08:09:10-05'::time, '2021-01-05 08:09:10 Asia/Tokyo'::time, '08:09:10 UTC-4'::time,
               '08:09:10 MSK'::time, ('08:09:10 MSK'::timetz)::text LIKE '08:09:10+0%';
        SELECT '08:09:10 Asia/Tokyo'::time;
        SELECT 'now please'::time;
        SELECT 'later'::timestamp;
        SELECT 'Mar 3 08:09:10 4800 BC'::timestamp;
        SELECT 'Mar 3 08:09:10 4800 BC'::timestamptz;
        SELECT 'Mar 3 08:09:10 4800 BC'::date;
        SELECT '2021-03-03 08:09:10 +0275'::timestamptz;
        SELECT '2021-03-03 08:09:10-02:61'::timestamptz;
        SELECT '2021-03-03 08:09:10 +17'::timestamptz;
    """,
    "make_date_and_field_hints": """
        SELECT make_date(-12, 6, 30), make_date(1996, 2, 29), make_date(-4713, 11, 24), make_date(5874897, 12, 31);
        SELECT make_date(0, 1, 1);
        SELECT make_date(2019, 6, -3);
        SELECT make_date(2019, 2, 29);
        SELECT make_date(2019, 0, 10);
        SELECT make_date(-4800, 2, 2);
        SELECT make_date(5874898, 2, 2);
        SELECT make_date(2019, 6, NULL) IS NULL;
        SELECT isfinite('-infinity'::date), isfinite('infinity'::date), isfinite(date '2019-01-01'),
               isfinite('-infinity'::timestamp), isfinite('infinity'::timestamptz), isfinite(timestamp '2019-01-01'), isfinite(NULL::date);
        SELECT date '2019-14-02';
        SELECT date '2019-04-31';
        SELECT date '2019-04-00';
        SET DateStyle = 'ISO, DMY';
        SELECT date '7/25/2019';
        SELECT timestamp '2019-03-32 10:00';
    """,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_postgres(name, shared_server, pg15):
    script = "\n".join(line.strip() for line in CASES[name].strip().splitlines())
    expected = run_script_in_fresh_database(pg15, script, "interval_arith_pg15")
    got = run_script_in_fresh_database(shared_server, script, "interval_arith_pg15")
    assert got == expected
