"""How long the Partner Center client waits before a retry, and which answers it retries at all."""

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from lib.partner_center.retry import RETRY_STATUSES, RetryPolicy, retry_after_seconds

NOW = datetime(2026, 11, 20, 3, 14, tzinfo=UTC)


class EdgeRandom(random.Random):
    """Always picks one end of the jitter range, so the bounds of backoff can be checked exactly."""

    def __init__(self, pick_high: bool) -> None:
        super().__init__(0)
        self.pick_high = pick_high

    def uniform(self, a: float, b: float) -> float:
        return b if self.pick_high else a


def test_retryable_statuses_are_exactly_timeout_throttling_and_server_errors():
    assert frozenset({408, 429, 500, 502, 503, 504}) == RETRY_STATUSES


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412, 501])
def test_client_errors_auth_failures_and_not_implemented_are_not_retried(status):
    assert status not in RETRY_STATUSES


@pytest.mark.parametrize(("header", "seconds"), [("0", 0.0), ("7", 7.0), ("120", 120.0), (" 30 ", 30.0)])
def test_retry_after_in_seconds_is_read_as_seconds(header, seconds):
    assert retry_after_seconds(header, now=NOW) == seconds


def test_retry_after_as_a_future_http_date_is_the_seconds_until_that_date():
    header = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(header, now=NOW) == 90.0


def test_retry_after_as_a_past_http_date_means_retry_now():
    header = format_datetime(NOW - timedelta(hours=1), usegmt=True)
    assert retry_after_seconds(header, now=NOW) == 0.0


def test_retry_after_as_an_http_date_without_a_zone_is_read_as_utc():
    assert retry_after_seconds("Fri, 20 Nov 2026 03:15:00 -0000", now=NOW) == 60.0


@pytest.mark.parametrize("header", [None, "", "   ", "soon", "7.5", "-3", "Friday at noon", "Wed, 99 Foo 2026"])
def test_retry_after_that_is_absent_or_garbage_is_ignored(header):
    assert retry_after_seconds(header, now=NOW) is None


def test_retry_after_with_a_non_ascii_digit_is_ignored_rather_than_crashing():
    assert retry_after_seconds("²", now=NOW) is None


def test_backoff_stays_within_half_and_all_of_its_ceiling():
    policy = RetryPolicy(backoff_factor=0.5, backoff_max=30.0)
    for retry in range(1, 6):
        ceiling = 0.5 * 2 ** (retry - 1)
        assert policy.backoff(retry, EdgeRandom(pick_high=False)) == ceiling / 2
        assert policy.backoff(retry, EdgeRandom(pick_high=True)) == ceiling


def test_backoff_grows_with_each_retry_until_the_cap():
    policy = RetryPolicy(backoff_factor=0.5, backoff_max=30.0)
    highs = [policy.backoff(n, EdgeRandom(pick_high=True)) for n in range(1, 9)]
    lows = [policy.backoff(n, EdgeRandom(pick_high=False)) for n in range(1, 9)]
    assert highs == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    # below the cap, even the shortest wait of a retry is no shorter than the longest wait of the one before
    assert all(low_next >= high for high, low_next in zip(highs[:5], lows[1:6], strict=True))
    assert lows[6:] == [15.0, 15.0]


def test_backoff_never_exceeds_backoff_max_whatever_the_retry_number():
    policy = RetryPolicy(backoff_factor=10, backoff_max=12.5)
    rng = random.Random(42)
    waits = [policy.backoff(n, rng) for n in range(1, 40) for _ in range(20)]
    assert max(waits) <= 12.5
    assert min(waits) >= 5.0


def test_the_default_policy_has_named_settings():
    policy = RetryPolicy()
    assert (policy.total, policy.backoff_factor, policy.backoff_max, policy.timeout) == (5, 0.5, 30.0, 120.0)


def test_a_retry_after_is_waited_as_given_when_within_backoff_max():
    assert RetryPolicy(backoff_max=30).pause(1, 7.0) == 7.0
    assert RetryPolicy(backoff_max=30).pause(4, 0.0) == 0.0


def test_a_retry_after_longer_than_backoff_max_is_capped_at_backoff_max():
    assert RetryPolicy(backoff_max=30).pause(1, 3600.0) == 30.0


def test_without_a_retry_after_the_pause_is_the_backoff():
    policy = RetryPolicy(backoff_factor=0.5, backoff_max=30.0)
    assert policy.pause(3, None, EdgeRandom(pick_high=True)) == 2.0
    assert policy.pause(3, None, EdgeRandom(pick_high=False)) == 1.0


def test_an_attempts_timeouts_never_outlive_the_remaining_budget():
    policy = RetryPolicy(connect_timeout=5, read_timeout=60)
    assert policy.attempt_timeout(120) == (5, 60)
    assert policy.attempt_timeout(2.5) == (2.5, 2.5)
    assert all(t > 0 for t in policy.attempt_timeout(0))  # 0 would mean "no timeout" to requests
