"""The write gate's whole table (who asks x mode x kill switch x write kind), driven through the services against
Azurite and the Partner Center sandbox: what the sandbox received, and what csp-guard recorded instead."""

from datetime import UTC, datetime, timedelta

import pytest

from lib.app_context import get_context, reset_context
from lib.domain.events import parse_canonical
from lib.partner_center.models import UsageSummary
from lib.services.delinquency_scan import as_of_date
from lib.services.fraud_detection import FraudReport
from lib.services.write_gate import Asker, Verdict, WriteKind, decide
from tests.fixtures.sandbox import sandbox_calls, seed
from tests.support.billing_events import invoice_issued
from tests.support.notice_period import notice_day
from tests.support.suspension_world import pc_status, seeded_customer

pytestmark = pytest.mark.integration
CUSTOMER = "3a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
SETTINGS = [("shadow", False), ("review", False), ("enforce", False), ("shadow", True), ("review", True),
            ("enforce", True)]


def use(monkeypatch, mode, paused):
    monkeypatch.setenv("ENFORCEMENT_MODE", mode)
    monkeypatch.setenv("ENFORCEMENT_PAUSED", "true" if paused else "false")
    reset_context()
    return get_context()


def writes(sandbox):
    return [(c["method"], c["path"]) for c in sandbox_calls(sandbox) if c["method"] in ("PATCH", "POST", "PUT")]


def drain_queue(context):
    service = context.service_requests_service()
    for message in context.service_requests.receive(max_messages=16):
        service.handle(message.body)
        context.service_requests.delete(message)


def suspend_automatically(context):
    context.suspension().suspend(CUSTOMER, reason="fraud", actor="fraud_events_poll", asker=Asker.AUTOMATIC,
                                 note="case X: crypto-mining")
    return "fraud"


def suspend_by_operator(context):
    context.suspension().suspend(CUSTOMER, reason="manual", actor="ops:alice", asker=Asker.OPERATOR, note="called")
    return "manual"


def budget_automatically(context):
    context.default_budgets().apply(UsageSummary(CUSTOMER, 0, "CNY", None), FraudReport())
    return "prevention"


def request_automatically(context):
    case = context.cases.open(CUSTOMER, reason="fraud", title="Suspected fraud: Partner Center fraud alert",
                              description="[high] crypto-mining", severity="Critical", source="fraud_events_poll")
    context.service_requests_service().request(case, asker=Asker.AUTOMATIC, actor="fraud_events_poll")
    drain_queue(context)
    return "fraud"


def request_by_operator(context):
    context.service_requests_service().operator_request(CUSTOMER, title="Resale of licences", description="audit",
                                                        severity="Moderate", reason="misuse", case_id=None,
                                                        actor="ops:alice")
    drain_queue(context)
    return "misuse"


PATHS = {  # name -> (who asks, write kind, the service call, the write Partner Center would receive)
    "suspend/automatic": (Asker.AUTOMATIC, WriteKind.SUBSCRIPTION_STATUS, suspend_automatically, "PATCH"),
    "suspend/operator": (Asker.OPERATOR, WriteKind.SUBSCRIPTION_STATUS, suspend_by_operator, "PATCH"),
    "budget/automatic": (Asker.AUTOMATIC, WriteKind.USAGE_BUDGET, budget_automatically, "PATCH"),
    "service_request/automatic": (Asker.AUTOMATIC, WriteKind.SERVICE_REQUEST, request_automatically, "POST"),
    "service_request/operator": (Asker.OPERATOR, WriteKind.SERVICE_REQUEST, request_by_operator, "POST"),
}


@pytest.fixture
def customer(app_env, pc_sandbox):
    created = (datetime.now(UTC) - timedelta(days=2)).isoformat()  # new, so the default budget applies to it
    seed(pc_sandbox, [{"id": CUSTOMER, "companyName": "闸门测试有限公司", "usage": {"totalCost": "10.00", "budget": 0},
                       "subscriptions": [{"id": "az-1", "creationDate": created}]}])
    return CUSTOMER


@pytest.mark.parametrize(("mode", "paused"), SETTINGS)
@pytest.mark.parametrize("path", sorted(PATHS))
def test_each_write_is_made_recorded_or_proposed_exactly_as_the_table_says(customer, pc_sandbox, monkeypatch, path,
                                                                          mode, paused):
    asker, kind, call, method = PATHS[path]
    context = use(monkeypatch, mode, paused)
    reason = call(context)
    verdict = decide(asker, kind, mode=mode, paused=paused)
    made = writes(pc_sandbox)
    rows = [a for a in context.actions.for_customer(customer) if a.reason == reason]
    if verdict is Verdict.WRITE:
        assert len(made) == 1 and made[0][0] == method, made
        assert not any(a.status in ("shadow", "withheld", "proposed") for a in rows)
        return
    assert made == []  # nothing reached Partner Center
    if verdict is Verdict.PROPOSE:
        assert [(a.status, a.actor) for a in rows] == [("proposed", "fraud_events_poll")]
        assert rows[0].details["write"] == kind.value and rows[0].note  # the evidence travels with it
    else:
        expected = "withheld" if asker is Asker.AUTOMATIC and paused else "shadow"
        assert [a.status for a in rows] == [expected]
        assert rows[0].details["withheld_by"] == ("kill_switch" if expected == "withheld" else f"{mode}_mode")
    assert context.service_requests.receive(max_messages=16) == []  # and nothing was queued for later


@pytest.mark.parametrize(("mode", "paused"), SETTINGS)
def test_restoring_what_csp_guard_suspended_is_written_in_every_mode(customer, pc_sandbox, monkeypatch, mode,
                                                                     paused):
    use(monkeypatch, "enforce", False).suspension().suspend(customer, reason="non_payment", actor="scan",
                                                            asker=Asker.AUTOMATIC)
    assert pc_status(pc_sandbox, customer, "az-1") == "suspended"
    action = use(monkeypatch, mode, paused).suspension().restore(customer, reason="non_payment", actor="payment")
    assert action.status == "confirmed" and pc_status(pc_sandbox, customer, "az-1") == "active"
    assert [m for m, _ in writes(pc_sandbox)] == ["PATCH", "PATCH"]


def test_a_proposal_is_recorded_once_however_often_the_scan_asks(customer, pc_sandbox, monkeypatch):
    context = use(monkeypatch, "review", False)
    for _ in range(3):
        suspend_automatically(context)
    assert [a.status for a in context.actions.for_customer(customer)] == ["proposed"]


def test_a_message_queued_while_enforcing_is_held_back_if_the_mode_changed_before_the_post(customer, pc_sandbox,
                                                                                          monkeypatch):
    context = use(monkeypatch, "enforce", False)
    case = context.cases.open(customer, reason="fraud", title="t", description="d", severity="Critical", source="x")
    context.service_requests_service().request(case, asker=Asker.AUTOMATIC, actor="fraud_events_poll")
    drain_queue(use(monkeypatch, "enforce", True))  # the kill switch went on meanwhile
    assert writes(pc_sandbox) == []
    held = [a for a in get_context().actions.for_customer(customer) if a.kind == "service_request"]
    assert [(a.status, a.details["case_id"]) for a in held] == [("withheld", case.case_id)]


def test_a_scan_in_review_mode_proposes_each_suspension_once_and_patches_nothing(app_env, pc_sandbox, monkeypatch):
    context = use(monkeypatch, "review", False)
    debtor, _ = seeded_customer(pc_sandbox, ("active",))
    context.ingestion().ingest(parse_canonical("standard", "inv-r", invoice_issued(debtor, "INV-R", 500_000)))
    days = (notice_day("2026-12-31", context.policy), "2026-12-31", "2027-01-01")
    reports = [context.delinquency_scan().run(as_of_date(day, context.policy)) for day in days]
    assert [r.proposed for r in reports] == [0, 1, 1] and [r.suspended for r in reports] == [0, 0, 0]
    proposals = [a for a in context.actions.for_customer(debtor) if a.status == "proposed"]
    assert [(p.kind, p.reason, p.actor) for p in proposals] == [("suspend", "non_payment", "delinquency_scan")]
    assert "31 days past due" in proposals[0].details["evidence"]
    assert writes(pc_sandbox) == []
