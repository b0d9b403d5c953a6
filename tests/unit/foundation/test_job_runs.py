"""Which days a real scan may run for: the policy's local dates decide, not UTC's."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.domain.policy_file import load_policy
from lib.services.job_runs import FutureScanRefused, check_scan_day
from lib.settings import APP_ROOT

POLICY = load_policy(APP_ROOT / "policy" / "collections.toml")  # Asia/Shanghai, UTC+8


def test_the_next_local_day_is_future_even_when_utc_is_still_on_the_previous_day():
    now = datetime(2026, 11, 29, 15, 30, tzinfo=UTC)  # 23:30 on the 29th in Shanghai
    with pytest.raises(FutureScanRefused, match=r"as_of 2026-11-30 is after today \(2026-11-29 in Asia/Shanghai\)"):
        check_scan_day(datetime(2026, 11, 30, 4, 0, tzinfo=UTC), now=now, policy=POLICY, allow_future=False)


def test_the_local_today_is_not_future_even_when_utc_is_still_yesterday():
    now = datetime(2026, 11, 29, 16, 30, tzinfo=UTC)  # 00:30 on the 30th in Shanghai
    check_scan_day(datetime(2026, 11, 30, 4, 0, tzinfo=UTC), now=now, policy=POLICY, allow_future=False)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
       st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_only_a_later_local_day_is_refused_and_allowing_it_lets_any_day_through(as_of, now):
    later = as_of.astimezone(POLICY.zone).date() > now.astimezone(POLICY.zone).date()
    check_scan_day(as_of, now=now, policy=POLICY, allow_future=True)
    if later:
        with pytest.raises(FutureScanRefused):
            check_scan_day(as_of, now=now, policy=POLICY, allow_future=False)
    else:
        check_scan_day(as_of, now=now, policy=POLICY, allow_future=False)
