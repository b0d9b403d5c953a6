"""Service requests 21Vianet can act on (issue 12.7): who the customer is, which subscriptions, the evidence and the
case id in every description; plain-word titles in the agent locale; and the policy stage action that files one per
stage episode with the ledger's evidence, through the write gate."""

import re
from pathlib import Path

import pytest

from lib.app_context import get_context, reset_context
from lib.domain.events import parse_canonical
from lib.services.delinquency_scan import as_of_date
from tests.fixtures.sandbox import sandbox_calls, seed
from tests.support.billing_events import invoice_issued
from tests.support.suspension_world import seeded_customer

pytestmark = pytest.mark.integration
MINER = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
POLICY = Path(__file__).resolve().parents[3] / "policy" / "collections.toml"


def posted(sandbox):
    return [c for c in sandbox_calls(sandbox, method="POST") if c["path"].startswith("/v1/servicerequests/")]


def drain(context):
    messages = context.service_requests.receive(max_messages=16)
    for message in messages:
        context.service_requests_service().handle(message.body)
        context.service_requests.delete(message)
    return len(messages)


def test_an_operators_request_names_the_customer_its_subscriptions_the_evidence_and_the_case(app_env, pc_sandbox):
    customer, subs = seeded_customer(pc_sandbox, ("active", "active"))
    context = get_context()
    case, _ = context.service_requests_service().operator_request(
        customer, title="Licences resold to a third party", description="Seen in our reseller audit of 2026-11",
        severity="Moderate", reason="misuse", case_id=None, actor="ops:alice")
    assert drain(context) == 1
    body = posted(pc_sandbox)[0]["body"]
    assert body["Title"] == f"[{case.case_id}] Licences resold to a third party（测试客户有限公司）"
    for fact in (customer, "测试客户有限公司", *subs, "Seen in our reseller audit of 2026-11", case.case_id):
        assert fact in body["Description"]


@pytest.mark.parametrize(("locale", "title"), [
    ("zh-CN", "疑似欺诈：Partner Center 欺诈警报（可疑挖矿有限公司）"),
    ("en-US", "Suspected fraud: Partner Center fraud alert (可疑挖矿有限公司)")])
def test_a_fraud_request_has_a_plain_title_in_the_agent_locale(app_env, pc_sandbox, monkeypatch, locale, title):
    monkeypatch.setenv("PARTNER_CENTER_AGENT_LOCALE", locale)
    reset_context()
    seed(pc_sandbox, [{"id": MINER, "companyName": "可疑挖矿有限公司",
                       "subscriptions": [{"id": "az-1"}, {"id": "m365-1"}],
                       "fraudEvents": [{"eventId": "fe-1", "subscriptionId": "az-1", "eventType": "CryptoMining"}]}])
    context = get_context()
    context.fraud_poll().run()
    assert drain(context) == 1
    call = posted(pc_sandbox)[0]
    case = context.cases.for_customer(MINER)[0]
    assert call["path"] == f"/v1/servicerequests/{locale}"
    assert call["body"]["Title"] == f"[{case.case_id}] {title}"
    assert "pc fraud event" not in call["body"]["Title"] and "pc_fraud_event" not in call["body"]["Title"]
    description = call["body"]["Description"]
    for fact in (MINER, "可疑挖矿有限公司", "az-1", "CryptoMining", case.case_id):
        assert fact in description
    assert ("租户 ID" if locale == "zh-CN" else "tenant id") in description


@pytest.fixture
def escalating_policy(tmp_path, monkeypatch):
    text = POLICY.read_text(encoding="utf-8").replace("[holds]", '''[[stages]]
name = "escalation"
days_past_due = 45
min_overdue = 100000
actions = ["suspend", "service_request"]

[holds]''', 1)
    path = tmp_path / "collections.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("COLLECTIONS_POLICY", str(path))
    reset_context()


def owing(pc_sandbox):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    get_context().ingestion().ingest(parse_canonical("standard", f"inv-{customer}", invoice_issued(
        customer, "INV-2026-11-0042", 1_250_000, due_at="2026-11-30T23:59:59+08:00")))
    return customer, subs


def scan(day):
    context = get_context()
    return context.delinquency_scan().run(as_of_date(day, context.policy))


def test_the_stage_action_files_one_request_per_episode_with_the_ledgers_evidence(app_env, pc_sandbox,
                                                                                 escalating_policy):
    customer, subs = owing(pc_sandbox)
    assert scan("2027-01-13").service_requests == 0  # 44 days: the suspension stage, no request yet
    first = scan("2027-01-14")
    assert first.service_requests == 1
    for day in ("2027-01-14", "2027-01-20"):  # a re-run and later scans: the same episode
        assert scan(day).service_requests == 0
    context = get_context()
    assert drain(context) == 1
    body = posted(pc_sandbox)[0]["body"]
    expected = r"^\[CASE-20261130-[0-9A-F]{8}\] 客户严重逾期：逾期天数 45，逾期金额 12,500.00 CNY（测试客户有限公司）$"
    assert re.match(expected, body["Title"])
    for fact in (customer, subs[0], "INV-2026-11-0042", "2026-11-30", "12,500.00 CNY", "45"):
        assert fact in body["Description"]
    case = next(c for c in context.cases.for_customer(customer))
    assert case.reason == "non_payment" and case.status == "reported"


def test_in_shadow_mode_the_stage_action_is_recorded_and_nothing_is_queued(app_env, pc_sandbox, escalating_policy,
                                                                           monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_MODE", "shadow")
    reset_context()
    customer, _ = owing(pc_sandbox)
    assert scan("2027-01-14").service_requests == 0
    context = get_context()
    assert drain(context) == 0 and posted(pc_sandbox) == []
    recorded = [a for a in context.actions.for_customer(customer) if a.kind == "service_request"]
    assert [a.status for a in recorded] == ["shadow"]
