"""The fraud poll against the sandbox and Azurite: cases, fraud suspensions, service requests, the watermark."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from lib.app_context import get_context, reset_context
from lib.services.write_gate import Asker
from tests.fixtures.sandbox import sandbox_calls, seed
from tests.support.suspension_world import pc_status

pytestmark = pytest.mark.integration
MINER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


def seed_miner(sandbox, *, budget=0, created="2026-01-01T00:00:00Z"):
    seed(sandbox, [{"id": MINER, "companyName": "可疑挖矿有限公司",
                    "subscriptions": [{"id": "az-1", "offerName": "Azure plan", "creationDate": created},
                                      {"id": "m365-1", "creationDate": created}],
                    "usage": {"totalCost": "1234.56", "budget": budget},
                    "fraudEvents": [{"eventId": "fe-1", "subscriptionId": "az-1", "eventType": "CryptoMining",
                                     "eventTime": "2026-11-20T03:14:00Z", "severity": "High"}]}])


def test_a_crypto_mining_event_opens_a_case_suspends_for_fraud_and_reports_once(app_env, pc_sandbox):
    seed_miner(pc_sandbox)
    context = get_context()
    report = context.fraud_poll().run()
    assert report.cases_opened == 1 and report.suspended == 1 and report.service_requests_queued == 1
    assert pc_status(pc_sandbox, MINER, "az-1") == "suspended" and pc_status(pc_sandbox, MINER, "m365-1") == "suspended"
    case = context.cases.for_customer(MINER)[0]
    assert case.reason == "fraud" and case.event_ids == {"fe-1"} and case.severity == "Critical"
    assert {s.subscription_id: s.reasons for s in context.subscriptions.for_customer(MINER).values()} == {
        "az-1": {"fraud"}, "m365-1": {"fraud"}}
    # the queued message, delivered twice: one service request
    messages = context.service_requests.receive(max_messages=5)
    assert len(messages) == 1
    service = context.service_requests_service()
    service.handle(messages[0].body)
    service.handle(messages[0].body)
    created = [c for c in sandbox_calls(pc_sandbox, method="POST") if c["path"].startswith("/v1/servicerequests/")]
    assert len(created) == 1 and created[0]["body"]["Title"].startswith(f"[{case.case_id}]")
    assert context.cases.get(MINER, case.case_id).status == "reported"


def test_the_watermark_survives_a_restart_and_no_event_is_handled_twice(app_env, pc_sandbox):
    seed_miner(pc_sandbox)
    get_context().fraud_poll().run()
    reset_context()  # a new process
    again = get_context().fraud_poll().run()
    assert again.events_new == 0 and again.cases_opened == 0 and again.service_requests_queued == 0
    assert len(get_context().cases.for_customer(MINER)) == 1
    assert get_context().runs.last("fraud_events_poll").status == "succeeded"


def budget_patches(sandbox):
    return [c for c in sandbox_calls(sandbox, method="PATCH") if c["path"].endswith("/usagebudget")]


def test_a_new_customer_without_a_budget_gets_the_policys_default(app_env, pc_sandbox):
    seed_miner(pc_sandbox, budget=0, created=(datetime.now(UTC) - timedelta(days=5)).isoformat())
    report = get_context().fraud_poll().run()
    assert report.budgets_set == 1
    assert [c["body"] for c in budget_patches(pc_sandbox)] == [{"amount": "10000.00"}]
    budget = [a for a in get_context().actions.for_customer(MINER) if a.kind == "usage_budget"]
    assert [(a.status, a.details["amount"]) for a in budget] == [("confirmed", 1_000_000)]


def test_a_customer_onboarded_long_ago_without_a_budget_gets_none(app_env, pc_sandbox):
    seed_miner(pc_sandbox, budget=0, created=(datetime.now(UTC) - timedelta(days=31)).isoformat())
    report = get_context().fraud_poll().run()
    assert report.budgets_set == 0 and report.budgets_held == 0
    assert budget_patches(pc_sandbox) == []


def test_the_kill_switch_withholds_fraud_suspension_but_the_case_is_opened(app_env, pc_sandbox, monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_PAUSED", "true")
    reset_context()
    seed_miner(pc_sandbox)
    report = get_context().fraud_poll().run()
    assert report.withheld == 1 and report.cases_opened == 1
    assert pc_status(pc_sandbox, MINER, "az-1") == "active"


def test_clearing_the_case_restores_unless_non_payment_still_applies(app_env, pc_sandbox):
    seed_miner(pc_sandbox)
    context = get_context()
    context.fraud_poll().run()
    context.suspension().suspend(MINER, asker=Asker.AUTOMATIC, reason="non_payment", actor="scan",
                                 subscription_ids=["m365-1"])
    context.suspension().restore(MINER, reason="fraud", actor="ops")
    assert pc_status(pc_sandbox, MINER, "az-1") == "active"
    assert pc_status(pc_sandbox, MINER, "m365-1") == "suspended"


def test_a_partner_center_outage_fails_the_run_and_keeps_the_watermark(app_env, pc_sandbox):
    seed_miner(pc_sandbox)
    requests.post(f"{pc_sandbox.url}/_sandbox/faults", timeout=10,
                  json={"path": "/usagesummary$", "status": 500, "times": -1})
    context = get_context()
    context.partner_center.retry = type(context.partner_center.retry)(total=0)
    report = context.fraud_poll().run()
    assert report.errors and context.runs.last("fraud_events_poll").status == "failed"
    requests.delete(f"{pc_sandbox.url}/_sandbox/faults", timeout=10)
    assert context.fraud_poll().run().cases_opened == 1


def test_usage_far_above_the_trailing_months_opens_a_case_without_suspending(app_env, pc_sandbox):
    from lib.store.usage_history import UsageHistory

    spender = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    seed(pc_sandbox, [{"id": spender, "companyName": "用量激增公司",
                       "subscriptions": [{"id": "az-2", "creationDate": "2025-01-01T00:00:00Z"}],
                       "usage": {"totalCost": "4000.00", "budget": 100000}}])
    context = get_context()
    history = UsageHistory(context.tables.table("accounts"))
    for month in ("2026-08", "2026-09", "2026-10"):
        history.record(spender, month, 100_000)
    report = context.fraud_poll().run()
    case = context.cases.for_customer(spender)[0]
    assert [f["rule_id"] for f in case.findings] == ["usage_spike"]
    assert report.suspended == 0 and pc_status(pc_sandbox, spender, "az-2") == "active"
    assert get_context().fraud_poll().run().cases_opened == 0  # the same finding is not reported every poll


def test_a_brand_new_customer_running_up_a_large_bill_is_suspended(app_env, pc_sandbox):
    newcomer = "6b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
    created = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    seed(pc_sandbox, [{"id": newcomer, "companyName": "新客户", "subscriptions": [
        {"id": "az-3", "creationDate": created}], "usage": {"totalCost": "60000.00", "budget": 100000}}])
    report = get_context().fraud_poll().run()
    assert report.suspended == 1 and pc_status(pc_sandbox, newcomer, "az-3") == "suspended"
    assert [f["rule_id"] for f in get_context().cases.for_customer(newcomer)[0].findings] == [
        "new_customer_high_spend"]
