"""Holds as operators ask for them (PUT /api/customers/{id}/hold), checked against the policy's limits."""

from datetime import UTC, date, datetime

import pytest

from lib.domain.hold_request import HoldError, parse_hold
from lib.domain.policy import Hold, NaiveDatetimeError
from lib.domain.policy_file import parse_policy
from tests.unit.domain.test_policy import DESIGN_POLICY

POLICY = parse_policy(DESIGN_POLICY + "\n[holds]\npromise_to_pay_max_days = 14\n", "t")
# 1 Dec 2026 in Shanghai already, though still 30 Nov in UTC
AS_OF = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)


def test_a_promise_to_pay_within_the_limit_is_accepted():
    hold = parse_hold({"kind": "promise_to_pay", "until": "2026-12-15", "note": "wire on the 14th"}, POLICY, AS_OF)
    assert hold == Hold("promise_to_pay", date(2026, 12, 15), "wire on the 14th")


def test_a_promise_to_pay_beyond_the_limit_is_refused():
    with pytest.raises(HoldError, match="at most 14 days from today \\(2026-12-01\\)"):
        parse_hold({"kind": "promise_to_pay", "until": "2026-12-16"}, POLICY, AS_OF)


def test_an_exemption_uses_its_own_limit():
    hold = parse_hold({"kind": "exemption", "until": "2027-06-01"}, POLICY, AS_OF)
    assert (hold.kind, hold.note) == ("exemption", "")


def test_a_hold_that_ends_before_today_in_the_policys_zone_is_refused():
    with pytest.raises(HoldError, match="in the past \\(today is 2026-12-01 local time\\)"):
        parse_hold({"kind": "exemption", "until": "2026-11-30"}, POLICY, AS_OF)


@pytest.mark.parametrize(("body", "message"), [
    ({"kind": "forever", "until": "2026-12-05"}, "kind must be one of exemption, promise_to_pay"),
    ({"kind": "exemption", "until": "5 Dec"}, "until must be a date as YYYY-MM-DD"),
    ({"kind": "exemption", "until": "2026-12-05T00:00:00"}, "until must be a date"),
    ({"kind": "exemption"}, "until must be a date"),
    ({"kind": "exemption", "until": "2026-12-05", "note": 5}, "note must be a string"),
    ({"kind": "exemption", "until": "2026-12-05", "reason": "x"}, "unknown field\\(s\\) reason"),
])
def test_a_malformed_hold_is_refused_with_a_reason(body, message):
    with pytest.raises(HoldError, match=message):
        parse_hold(body, POLICY, AS_OF)


def test_a_naive_clock_is_refused_for_holds():
    with pytest.raises(NaiveDatetimeError):
        parse_hold({"kind": "exemption", "until": "2026-12-05"}, POLICY, datetime(2026, 12, 1))
