"""The settings of issue 16: the full sweep's schedule and the fraud poll's call budget."""

import pytest

from lib.settings import SettingsError, load_settings


def test_the_sweep_is_weekly_and_the_poll_budget_is_300_calls_by_default():
    s = load_settings({})
    assert s.full_sweep_schedule == "0 0 2 * * 0"
    assert (s.fraud_poll_call_budget, s.fraud_usage_max_age_hours) == (300, 24)


def test_they_are_read_from_the_environment():
    s = load_settings({"FULL_SWEEP_SCHEDULE": "0 30 3 * * 6", "FRAUD_POLL_CALL_BUDGET": "50",
                       "FRAUD_USAGE_MAX_AGE_HOURS": "12"})
    assert (s.full_sweep_schedule, s.fraud_poll_call_budget, s.fraud_usage_max_age_hours) == (
        "0 30 3 * * 6", 50, 12)


@pytest.mark.parametrize(("name", "value"), [
    ("FULL_SWEEP_SCHEDULE", "0 2 * * 0"),
    ("FRAUD_POLL_CALL_BUDGET", "0"),
    ("FRAUD_POLL_CALL_BUDGET", "lots"),
    ("FRAUD_USAGE_MAX_AGE_HOURS", "0"),
])
def test_a_malformed_one_fails_with_one_line_naming_it(name, value):
    with pytest.raises(SettingsError) as raised:
        load_settings({name: value})
    assert str(raised.value).startswith(f"{name}:") and "\n" not in str(raised.value)
