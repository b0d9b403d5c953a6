"""No suspension without notice: the notice period rule and the [notices] policy table."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.domain.notice_period import GivenNotice, counts_as_given, judge
from lib.domain.policy_file import PolicyError, parse_policy
from lib.domain.policy_text import render_policy
from tests.unit.domain.test_notice_facts import SHIPPED, SHIPPED_TEXT

D = date(2026, 12, 30)


def test_a_notice_sent_long_enough_before_and_naming_a_date_allows_the_suspension_on_that_date():
    verdict = judge([GivenNotice(D, date(2026, 12, 15))], D, 7)
    assert verdict.allowed and verdict.earliest == D and not verdict.needs_notice


def test_a_notice_sent_too_late_holds_the_suspension_until_the_period_is_over():
    verdict = judge([GivenNotice(D, date(2026, 12, 27))], D, 7)
    assert not verdict.allowed and verdict.earliest == date(2027, 1, 3) and not verdict.needs_notice


def test_a_notice_that_named_no_date_does_not_count_and_a_pre_suspension_notice_is_needed():
    verdict = judge([GivenNotice(None, date(2026, 12, 1))], D, 7)
    assert not verdict.allowed and verdict.needs_notice


def test_a_failed_notice_does_not_count():
    assert judge([GivenNotice(D, None, failed=True)], D, 7).needs_notice


def test_a_queued_notice_is_not_yet_given_but_is_waited_for():
    verdict = judge([GivenNotice(D, None)], D, 7)
    assert not verdict.allowed and not verdict.needs_notice and verdict.earliest is None


def test_with_no_period_the_notice_of_the_same_scan_suffices_but_not_with_one():
    assert judge([GivenNotice(D, None, made_now=True)], D, 0).allowed
    assert not judge([GivenNotice(D, None, made_now=True)], D, 1).allowed


def test_recorded_counts_only_in_record_mode_and_sent_always():
    assert counts_as_given("recorded", record_mode=True) and not counts_as_given("recorded", record_mode=False)
    assert counts_as_given("sent", record_mode=False) and not counts_as_given("queued", record_mode=True)


@given(st.integers(0, 30), st.integers(-40, 40), st.integers(-40, 40))
def test_a_suspension_is_never_allowed_before_the_period_or_the_named_date(days, sent_offset, named_offset):
    sent, named = D + timedelta(days=sent_offset), D + timedelta(days=named_offset)
    verdict = judge([GivenNotice(named, sent)], D, days)
    assert verdict.allowed == (sent + timedelta(days=days) <= D and named <= D)


def test_the_shipped_policy_gives_seven_days_and_the_key_is_optional():
    assert SHIPPED.notices.notice_days_before_suspension == 7
    without = SHIPPED_TEXT.replace("[notices]\nnotice_days_before_suspension = 7\n", "")
    assert parse_policy(without, "p").notices.notice_days_before_suspension == 0


@pytest.mark.parametrize(("value", "message"), [("-1", "between 0 and 90"), ("\"7\"", "whole number"),
                                                ("400", "between 0 and 90")])
def test_a_bad_notice_period_is_a_problem_naming_the_key(value, message):
    text = SHIPPED_TEXT.replace("notice_days_before_suspension = 7", f"notice_days_before_suspension = {value}")
    with pytest.raises(PolicyError, match=rf"notices\.notice_days_before_suspension: .*{message}"):
        parse_policy(text, "p")


def test_an_unknown_key_in_notices_is_a_problem():
    text = SHIPPED_TEXT.replace("notice_days_before_suspension = 7", "notice_days = 7")
    with pytest.raises(PolicyError, match="notice_days"):
        parse_policy(text, "p")


def test_the_published_text_states_the_period_in_both_languages():
    assert "at least 7 days before that date" in render_policy(SHIPPED, "en")
    assert "至少提前 7 天" in render_policy(SHIPPED, "zh-CN")
    without = parse_policy(SHIPPED_TEXT.replace("notice_days_before_suspension = 7", ""), "p")
    assert "no later than that day" in render_policy(without, "en")
