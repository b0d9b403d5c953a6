"""Review mode end to end against Azurite and the Partner Center sandbox: the scan proposes once, an operator
approves (the sandbox receives the PATCH) or rejects; a stale proposal lapses on approval; a payment, a hold or a
dispute lapses an open one; two scans racing make one proposal."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lib.app_context import get_context, reset_context
from lib.domain.events import parse_canonical
from lib.domain.hold_request import parse_hold
from lib.partner_center.models import UsageSummary
from lib.services.delinquency_scan import as_of_date
from lib.services.fraud_detection import FraudReport
from lib.services.health_check import check_status
from lib.services.ingest_event import LedgerIngestion
from lib.services.proposals import ProposalClosed, StaleProposal, UnknownProposal
from lib.services.write_gate import Asker
from lib.store.proposals import Proposal, new_proposal_id
from tests.fixtures.sandbox import sandbox_calls, seed
from tests.support.billing_events import canonical, invoice_issued, payment_succeeded
from tests.support.notice_period import notice_day
from tests.support.suspension_world import pc_status, seeded_customer

pytestmark = pytest.mark.integration
SUSPEND_DAY = "2026-12-31"  # the invoice (due 2026-11-30) is 31 days past due: the suspension stage


def review(monkeypatch):
    monkeypatch.setenv("ENFORCEMENT_MODE", "review")
    monkeypatch.setenv("ENFORCEMENT_PAUSED", "false")
    reset_context()
    return get_context()


def patches(sandbox):
    return [c["path"] for c in sandbox_calls(sandbox) if c["method"] == "PATCH"]


def ingest(context, body, event_id):
    return context.ingestion().ingest(parse_canonical("standard", event_id, body))


@pytest.fixture
def proposed(app_env, pc_sandbox, monkeypatch):
    """A debtor the scan has proposed to suspend (notice given a week before), the clock at the scan's day."""
    context = review(monkeypatch)
    debtor, subs = seeded_customer(pc_sandbox, ("active",))
    ingest(context, invoice_issued(debtor, "INV-P", 500_000), "inv-p")
    for day in (notice_day(SUSPEND_DAY, context.policy), SUSPEND_DAY):
        context.delinquency_scan().run(as_of_date(day, context.policy))
    context.clock = lambda: as_of_date(SUSPEND_DAY, context.policy) + timedelta(hours=1)
    [proposal] = context.proposal_desk().listed("open")
    return context, debtor, subs[0], proposal


def test_the_scan_proposes_once_with_the_stage_facts_and_patches_nothing(proposed, pc_sandbox):
    context, debtor, sub, proposal = proposed
    context.delinquency_scan().run(as_of_date("2027-01-01", context.policy))  # asks again the next day
    assert [p.proposal_id for p in context.proposal_desk().listed("all")] == [proposal.proposal_id]
    assert (proposal.customer_id, proposal.reason, proposal.write, proposal.created_by) == (
        debtor, "non_payment", "subscription_status", "delinquency_scan")
    assert proposal.facts["stage"] == "suspension" and proposal.facts["overdue_amount"] == 500_000
    assert proposal.facts["days_past_due"] == 31 and proposal.facts["oldest_due_date"] == "2026-11-30"
    assert "31 days past due" in proposal.evidence
    trail = [a for a in context.actions.for_customer(debtor) if a.status == "proposed"]
    assert [(a.action_id, a.details["proposal_id"]) for a in trail] == [(proposal.action_id, proposal.proposal_id)]
    assert patches(pc_sandbox) == [] and pc_status(pc_sandbox, debtor, sub) == "active"
    waiting = check_status(context.settings).components["proposals"]  # GET /api/status shows what waits
    assert waiting.details == {"open": 1, "oldest": proposal.created_at.isoformat()}


def test_approving_suspends_at_once_as_the_operator(proposed, pc_sandbox):
    context, debtor, sub, proposal = proposed
    decided = context.proposal_desk().approve(debtor, proposal.proposal_id, actor="ops:alice", note="called them")
    assert decided.proposal.status == "approved" and decided.proposal.decided_by == "ops:alice"
    assert pc_status(pc_sandbox, debtor, sub) == "suspended"
    assert patches(pc_sandbox) == [f"/v1/customers/{debtor}/subscriptions/{sub}"]
    assert decided.write is not None and decided.write.actor == "ops:alice" and decided.write.status == "confirmed"
    audit = context.actions.get(debtor, decided.audit.action_id)
    assert audit is not None and (audit.kind, audit.status, audit.actor) == ("proposal", "approved", "ops:alice")
    assert context.accounts.get(debtor).suspended_for_non_payment
    with pytest.raises(ProposalClosed):
        context.proposal_desk().approve(debtor, proposal.proposal_id, actor="ops:bob")
    assert len(patches(pc_sandbox)) == 1


def test_a_proposal_the_book_no_longer_calls_for_lapses_on_approval(proposed, pc_sandbox):
    context, debtor, sub, proposal = proposed
    # Paid in full, recorded where the payment hook did not run (it failed, say): approval reads the fresh book.
    hookless = LedgerIngestion(context.ledger, context.accounts, context.unmatched)
    hookless.ingest(parse_canonical("standard", "pay-all", payment_succeeded(
        debtor, "PAY-ALL", 500_000, invoice_id="INV-P", paid_at="2026-12-31T08:00:00+08:00")))
    assert context.proposals.get(debtor, proposal.proposal_id).status == "open"
    with pytest.raises(StaleProposal):
        context.proposal_desk().approve(debtor, proposal.proposal_id, actor="ops:alice")
    lapsed = context.proposals.get(debtor, proposal.proposal_id)
    assert lapsed is not None and lapsed.status == "lapsed" and "stale" in lapsed.decision_note
    assert patches(pc_sandbox) == [] and pc_status(pc_sandbox, debtor, sub) == "active"


def test_rejecting_records_the_note_and_needs_one(proposed, pc_sandbox):
    context, debtor, _, proposal = proposed
    desk = context.proposal_desk()
    with pytest.raises(ValueError, match="note is required"):
        desk.reject(debtor, proposal.proposal_id, actor="ops:alice", note=" ")
    decided = desk.reject(debtor, proposal.proposal_id, actor="ops:alice", note="paying next week, per phone call")
    assert (decided.proposal.status, decided.proposal.decision_note) == ("rejected", "paying next week, per phone call")
    assert (decided.audit.status, decided.audit.actor) == ("rejected", "ops:alice")
    assert patches(pc_sandbox) == []
    with pytest.raises(UnknownProposal):
        desk.reject(debtor, "p-0000000000000-00000000", actor="ops:alice", note="x")


def test_a_payment_lapses_the_open_proposal(proposed, pc_sandbox):
    context, debtor, _, proposal = proposed
    ingest(context, payment_succeeded(debtor, "PAY-1", 100_000, paid_at="2026-12-31T09:00:00+08:00"), "pay-1")
    lapsed = context.proposals.get(debtor, proposal.proposal_id)
    assert lapsed.status == "lapsed" and lapsed.decided_by == "payment" and "paid" in lapsed.decision_note
    assert context.proposal_desk().listed("open") == []
    assert any(a.kind == "proposal" and a.status == "lapsed" for a in context.actions.for_customer(debtor))
    # The next scan, the debt still large enough, proposes afresh: the guard was freed with the decision.
    context.delinquency_scan().run(as_of_date("2027-01-01", context.policy))
    assert len(context.proposal_desk().listed("open")) == 1


def test_a_new_invoice_does_not_lapse_it_but_a_dispute_does(proposed):
    context, debtor, _, proposal = proposed
    ingest(context, invoice_issued(debtor, "INV-Q", 10_000, due_at="2027-01-30T23:59:59+08:00"), "inv-q")
    assert context.proposals.get(debtor, proposal.proposal_id).status == "open"
    ingest(context, canonical("dispute.opened", customer_id=debtor, dispute_id="DSP-1", payment_id="PAY-X",
                              amount=1000, currency="CNY", opened_at="2026-12-31T09:00:00+08:00"), "dsp-1")
    lapsed = context.proposals.get(debtor, proposal.proposal_id)
    assert lapsed.status == "lapsed" and "dispute" in lapsed.decision_note


@pytest.mark.parametrize("change", ["set", "end"])
def test_a_hold_change_lapses_the_open_proposal(proposed, change):
    context, debtor, _, proposal = proposed
    desk = context.desk_actions()
    if change == "set":
        desk.set_hold(debtor, {"kind": "promise_to_pay", "until": "2027-01-10", "note": "will pay"},
                      actor="ops:carol", as_of=context.clock())
    else:
        desk.end_hold(debtor, actor="ops:carol")
    lapsed = context.proposals.get(debtor, proposal.proposal_id)
    assert (lapsed.status, lapsed.decided_by) == ("lapsed", "ops:carol") and "hold" in lapsed.decision_note


def test_approval_re_checks_the_hold(proposed, pc_sandbox):
    context, debtor, sub, proposal = proposed
    # A hold set behind the desk's back (no lapse hook): approval still finds it and refuses.
    context.accounts.set_hold(debtor, parse_hold({"kind": "exemption", "until": "2027-02-01"}, context.policy,
                                                 context.clock()), actor="ops:x")
    with pytest.raises(StaleProposal, match=r"exemption|hold"):
        context.proposal_desk().approve(debtor, proposal.proposal_id, actor="ops:alice")
    assert pc_status(pc_sandbox, debtor, sub) == "active"


def test_two_racing_scans_make_one_proposal(app_env, pc_sandbox, monkeypatch):
    context = review(monkeypatch)
    debtor, _ = seeded_customer(pc_sandbox, ("active",))
    barrier = threading.Barrier(8)
    results = []

    def propose():
        wanted = Proposal(customer_id=debtor, proposal_id=new_proposal_id(), reason="non_payment",
                          write="subscription_status", evidence="31 days past due", facts={}, details={},
                          created_by="delinquency_scan", action_id="a")
        barrier.wait()
        results.append(context.proposals.open(wanted))

    threads = [threading.Thread(target=propose) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created for _, created in results) == [False] * 7 + [True]
    assert len({p.proposal_id for p, _ in results}) == 1
    assert len(context.proposals.for_customer(debtor)) == 1


def test_a_fraud_proposal_is_approved_only_while_its_case_is_open(app_env, pc_sandbox, monkeypatch):
    context = review(monkeypatch)
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    made = []
    for title in ("crypto-mining", "resale"):
        case = context.cases.open(customer, reason="fraud", title=title, description="d", severity="Critical",
                                  source="fraud_events_poll")
        # As the fraud rules ask: automatically, about this case.
        context.suspension().suspend(customer, reason="fraud", actor="fraud_events_poll", asker=Asker.AUTOMATIC,
                                     note=f"case {case.case_id}: {title}", context={"case_id": case.case_id})
        made.append((case, context.proposals.open_for(customer, "subscription_status", "fraud", case.case_id)))
    assert [p.subject for _, p in made] == [c.case_id for c, _ in made]  # one open proposal per case
    (cleared, first), (_, second) = made
    context.cases.save(dataclasses.replace(cleared, status="resolved", outcome="cleared"))
    desk = context.proposal_desk()
    with pytest.raises(StaleProposal, match="resolved"):
        desk.approve(customer, first.proposal_id, actor="ops:alice")
    assert patches(pc_sandbox) == []
    decided = desk.approve(customer, second.proposal_id, actor="ops:alice")
    assert decided.write is not None and decided.write.reason == "fraud"
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended"


def test_approving_a_budget_or_a_service_request_proposal_makes_that_write(app_env, pc_sandbox, monkeypatch):
    context = review(monkeypatch)
    customer = str(uuid.uuid4())
    created = (datetime.now(UTC) - timedelta(days=2)).isoformat()  # a new customer: the default budget applies
    seed(pc_sandbox, [{"id": customer, "companyName": "预算审批测试", "usage": {"totalCost": "10.00", "budget": 0},
                       "subscriptions": [{"id": "az-9", "creationDate": created}]}])
    context.default_budgets().apply(UsageSummary(customer, 0, "CNY", None), FraudReport())
    case = context.cases.open(customer, reason="fraud", title="Suspected fraud", description="[high] mining",
                              severity="Critical", source="fraud_events_poll")
    context.service_requests_service().request(case, asker=Asker.AUTOMATIC, actor="fraud_events_poll")
    by_write = {p.write: p for p in context.proposal_desk().listed("open")}
    assert set(by_write) == {"usage_budget", "service_request"}
    assert [c for c in sandbox_calls(pc_sandbox) if c["method"] in ("PATCH", "POST")] == []

    desk = context.proposal_desk()
    desk.approve(customer, by_write["usage_budget"].proposal_id, actor="ops:alice")
    assert [(c["method"], c["path"]) for c in sandbox_calls(pc_sandbox) if c["method"] == "PATCH"] == [
        ("PATCH", f"/v1/customers/{customer}/usagebudget")]
    desk.approve(customer, by_write["service_request"].proposal_id, actor="ops:alice")
    [message] = context.service_requests.receive(max_messages=16)  # queued now, as the operator asked
    context.service_requests_service().handle(message.body)
    assert [c["method"] for c in sandbox_calls(pc_sandbox)
            if "/servicerequests/" in c["path"] and c["method"] == "POST"] == ["POST"]
    assert context.cases.get(customer, case.case_id).service_request_id
