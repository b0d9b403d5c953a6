"""What the demo book adds so that every list of the console has something to show under `make run`: two bank
transfers no payer record identifies (the unmatched list), one misuse case (the cases list) and one proposal to
suspend the demo customer furthest past due (the proposals page, as review mode would make it).

Fixed ids, and nothing is added twice, so running `csp-guard seed-demo` again never reopens what an operator did.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from lib.domain.events import BillingEvent, PaymentSucceeded
from lib.domain.policy import SUSPEND, AccountState, CollectionsPolicy, evaluate
from lib.partner_center.sandbox.seed import demo_customer_id
from lib.services.collections import NON_PAYMENT, stage_facts
from lib.services.ingest_event import LedgerIngestion
from lib.services.proposal_recording import FACTS, ProposalRecorder
from lib.store.cases import Cases
from lib.store.ledger import LedgerBook
from lib.store.proposals import Proposals
from lib.store.unmatched import UnmatchedEvents

# (event id, amount in fen, the payer as the bank statement names them, days ago)
# (the amounts of demo customers 6 and 7's overdue invoices, so assigning one settles that customer)
_TRANSFERS = [("demo-transfer-1", 1_680_000, "南京紫金医疗", 2), ("demo-transfer-2", 95_000, "WUHAN OPTICS VALLEY", 1)]
DEMO_CASE_CUSTOMER = 0
DEMO_PROPOSAL_CUSTOMER = 8  # a paid-up demo customer: the case is about misuse, not money


def seed_console_demo(ingestion: LedgerIngestion, unmatched: UnmatchedEvents, cases: Cases, *,
                      today: datetime, proposal: DemoProposal | None = None) -> int:
    added = int(proposal.seed(today)) if proposal is not None else 0
    for event_id, amount, payer, days_ago in _TRANSFERS:
        if unmatched.get("bank", event_id) is not None:
            continue
        paid_at = today - timedelta(days=days_ago)
        body = json.dumps({"payer_name": payer, "amount": amount, "memo": "货款"}, ensure_ascii=False).encode()
        ingestion.ingest(BillingEvent("bank", event_id, "payment.succeeded", paid_at, None,
                                      PaymentSucceeded(f"PAY-{event_id}", amount, "CNY", paid_at)), body)
        added += 1
    customer = demo_customer_id(DEMO_CASE_CUSTOMER)
    if not cases.for_customer(customer):
        cases.open(customer, reason="misuse", title="Outbound mail volume 40x the trailing average",
                   description="Exchange Online sent 120,000 messages in a day; the customer's average is 3,000.",
                   severity="Moderate", source="demo",
                   findings=[{"rule": "usage_spike", "severity": "medium",
                              "evidence": "this month's usage is 40x the trailing monthly average"}])
        added += 1
    return added


class DemoProposal:
    """Demo customer 8 (40 days past due) proposed for suspension, with the stage facts the scan would record."""

    def __init__(self, policy: CollectionsPolicy, ledger: LedgerBook, proposals: Proposals,
                 recorder: ProposalRecorder) -> None:
        self._policy = policy
        self._ledger = ledger
        self._proposals = proposals
        self._recorder = recorder

    def seed(self, today: datetime) -> bool:
        customer = demo_customer_id(DEMO_PROPOSAL_CUSTOMER)
        if self._proposals.for_customer(customer):
            return False  # made before (and maybe decided by an operator since)
        summary = self._ledger.load(customer).summary
        decision = evaluate(self._policy, AccountState(customer, summary), today)
        if SUSPEND not in decision.actions:
            return False
        self._recorder.propose(customer, kind="subscription_status", reason=NON_PAYMENT, actor="demo",
                               evidence=decision.reason, correlation_id=None,
                               details={FACTS: stage_facts(decision, summary, today, self._policy),
                                        "gate": "propose", "mode": "review"})
        return True
