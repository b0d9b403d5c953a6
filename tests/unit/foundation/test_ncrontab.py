from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.ncrontab import CronError, parse_ncrontab


def at(*args):
    return datetime(*args, tzinfo=UTC)


def test_daily_scan_fires_at_one_in_the_morning_utc():
    schedule = parse_ncrontab("0 0 1 * * *")
    assert schedule.next_after(at(2026, 11, 22, 0, 59, 59)) == at(2026, 11, 22, 1, 0, 0)
    assert schedule.next_after(at(2026, 11, 22, 1, 0, 0)) == at(2026, 11, 23, 1, 0, 0)


def test_every_fifteen_minutes():
    schedule = parse_ncrontab("0 */15 * * * *")
    assert schedule.next_after(at(2026, 11, 22, 10, 14, 0)) == at(2026, 11, 22, 10, 15, 0)
    assert schedule.next_after(at(2026, 11, 22, 10, 45, 0)) == at(2026, 11, 22, 11, 0, 0)


def test_names_ranges_and_lists():
    schedule = parse_ncrontab("30 0 9 * Jan-Mar mon,fri")
    # 2027-01-01 is a Friday
    assert schedule.next_after(at(2026, 12, 31, 23, 0, 0)) == at(2027, 1, 1, 9, 0, 30)
    assert schedule.next_after(at(2027, 1, 1, 9, 0, 30)) == at(2027, 1, 4, 9, 0, 30)


def test_leap_day_on_a_monday_is_found_years_ahead():
    schedule = parse_ncrontab("0 0 0 29 2 1")
    assert schedule.next_after(at(2026, 1, 1)) == at(2044, 2, 29)


@pytest.mark.parametrize("bad", ["* * * * *", "60 * * * * *", "* * 24 * * *", "* * * 0 * *",
                                 "* * * * 13 *", "*/0 * * * * *", "5-1 * * * * *", "a * * * * *", "1,,2 * * * * *"])
def test_malformed_expressions_are_refused(bad):
    with pytest.raises(CronError):
        parse_ncrontab(bad)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
       st.sampled_from(["0 */15 * * * *", "0 30 * * * *", "0 0 1 * * *", "*/10 * * * * *", "0 0 0 1 * *"]))
def test_next_occurrence_is_after_the_moment_and_matches_the_schedule(moment, expression):
    schedule = parse_ncrontab(expression)
    nxt = schedule.next_after(moment)
    assert nxt > moment
    assert nxt - moment <= timedelta(days=32)
    assert nxt.second in schedule.seconds and nxt.minute in schedule.minutes and nxt.hour in schedule.hours
