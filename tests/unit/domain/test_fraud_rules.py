from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.domain.fraud_rules import (
    FraudSignals,
    PartnerCenterFraudEvent,
    actions_for,
    evaluate_fraud,
    request_severity,
)
from lib.domain.policy import FraudThresholds
from lib.domain.summary import LedgerSummary

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
T = FraudThresholds(usage_spike_multiplier=3.0, new_customer_days=30, new_customer_spend_limit=5_000_000,
                    failed_payments_before_spend_jump=3, suspend_on=("high",), service_request_on=("high",))
CUSTOMER = "0f8fad5b-d9cb-469f-a165-70867728950e"


def signals(**changes):
    return FraudSignals(customer_id=CUSTOMER, as_of=NOW, **changes)


def rules(found):
    return [(f.rule_id, f.severity) for f in found]


def test_an_active_crypto_mining_event_is_a_high_finding_with_its_subscription():
    event = PartnerCenterFraudEvent("e1", "sub-1", "CryptoMining", "Active", NOW, "Medium")
    found = evaluate_fraud(signals(partner_center_events=(event,)), T)
    assert rules(found) == [("pc_fraud_event", "high")]
    assert found[0].subscription_id == "sub-1" and found[0].source_event_id == "e1"
    assert "CryptoMining" in found[0].evidence


def test_resolved_partner_center_events_are_ignored():
    event = PartnerCenterFraudEvent("e1", "sub-1", "CryptoMining", "Resolved", NOW)
    assert evaluate_fraud(signals(partner_center_events=(event,)), T) == []


def test_usage_at_exactly_the_multiplier_is_not_a_spike_but_one_fen_more_is():
    assert evaluate_fraud(signals(current_month_cost=300_000, trailing_monthly_costs=(100_000,)), T) == []
    found = evaluate_fraud(signals(current_month_cost=300_001, trailing_monthly_costs=(100_000,)), T)
    assert rules(found) == [("usage_spike", "medium")] and "3,000.01 CNY" in found[0].evidence


def test_usage_above_the_credit_limit_is_high():
    found = evaluate_fraud(signals(current_month_cost=1_000_001, credit_limit=1_000_000), T)
    assert rules(found) == [("usage_spike", "high")]


def test_a_new_customer_spending_over_the_limit_is_high_but_an_older_one_is_not():
    new = signals(onboarded_at=NOW - timedelta(days=30), current_month_cost=5_000_001)
    old = signals(onboarded_at=NOW - timedelta(days=31), current_month_cost=5_000_001)
    at_limit = signals(onboarded_at=NOW - timedelta(days=3), current_month_cost=5_000_000)
    assert rules(evaluate_fraud(new, T)) == [("new_customer_high_spend", "high")]
    assert evaluate_fraud(old, T) == [] and evaluate_fraud(at_limit, T) == []


def test_an_open_dispute_is_a_chargeback_finding():
    found = evaluate_fraud(signals(summary=LedgerSummary(currency="CNY", open_disputes=1, disputed_amount=880_000)), T)
    assert rules(found) == [("chargeback", "medium")] and "8,800.00 CNY" in found[0].evidence


def test_failed_payments_followed_by_a_spend_jump_is_high():
    summary = LedgerSummary(currency="CNY", failed_payments=3)
    assert rules(evaluate_fraud(signals(summary=summary, previous_month_cost=100_000, current_month_cost=200_001),
                                T)) == [("failed_payments_then_spend_jump", "high")]
    assert evaluate_fraud(signals(summary=summary, previous_month_cost=100_000, current_month_cost=200_000), T) == []
    fewer = LedgerSummary(currency="CNY", failed_payments=2)
    assert evaluate_fraud(signals(summary=fewer, previous_month_cost=100_000, current_month_cost=900_000), T) == []


def test_actions_follow_the_policys_severities():
    high = evaluate_fraud(signals(current_month_cost=2, credit_limit=1), T)
    medium = evaluate_fraud(signals(summary=LedgerSummary(open_disputes=1)), T)
    assert actions_for(high, T) == (True, True) and actions_for(medium, T) == (False, False)
    assert request_severity(high) == "Critical" and request_severity(medium) == "Moderate"


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        FraudSignals(customer_id=CUSTOMER, as_of=datetime(2026, 11, 22))


@given(cost=st.integers(0, 10**9), trailing=st.lists(st.integers(0, 10**8), max_size=4),
       failed=st.integers(0, 5), disputes=st.integers(0, 2))
def test_findings_are_a_pure_function_of_the_signals_and_name_only_that_customer(cost, trailing, failed, disputes):
    given_signals = signals(current_month_cost=cost, trailing_monthly_costs=tuple(trailing),
                            previous_month_cost=trailing[-1] if trailing else None,
                            summary=LedgerSummary(failed_payments=failed, open_disputes=disputes))
    first, second = evaluate_fraud(given_signals, T), evaluate_fraud(given_signals, T)
    assert first == second
    assert all(f.customer_id == CUSTOMER for f in first)
