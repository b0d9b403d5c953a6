"""What a scan (or a payment) should change for one customer, given the policy's decision and what is in force.

Pure: the caller supplies the customer's summary, hold, last stage and whether csp-guard holds it suspended for
non-payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lib.domain.policy import (
    CURRENT,
    SUSPEND,
    AccountState,
    CollectionsPolicy,
    Decision,
    Hold,
    evaluate,
    is_suspend_stage,
)
from lib.domain.summary import LedgerSummary


@dataclass(frozen=True)
class PlannedChange:
    customer_id: str
    from_stage: str
    decision: Decision
    suspend: bool  # suspend for non-payment now
    restore: bool  # lift our non-payment suspension now
    notify: bool  # the stage moved up to one that notifies

    @property
    def to_stage(self) -> str:
        return self.decision.stage

    def as_json(self) -> dict[str, object]:
        return {"customer_id": self.customer_id, "from_stage": self.from_stage, "to_stage": self.to_stage,
                "suspend": self.suspend, "restore": self.restore, "notify": self.notify,
                "withheld": [{"action": w.action, "why": w.why} for w in self.decision.withheld],
                "days_past_due": self.decision.days_past_due, "overdue_amount": self.decision.overdue_amount,
                "unpaid_invoices": self.decision.unpaid_invoices, "reason": self.decision.reason}


def plan_change(policy: CollectionsPolicy, customer_id: str, summary: LedgerSummary, *, hold: Hold | None,
                previous_stage: str | None, suspended_for_non_payment: bool, as_of: datetime) -> PlannedChange | None:
    decision = evaluate(policy, AccountState(customer_id, summary, hold, previous_stage), as_of)
    before = previous_stage or CURRENT
    suspend = SUSPEND in decision.actions and not suspended_for_non_payment
    # A withheld suspend (promise to pay, dispute) keeps an existing suspension; only leaving the stage lifts it.
    restore = suspended_for_non_payment and not is_suspend_stage(decision)
    moved = decision.stage != before
    if not (moved or suspend or restore):
        return None
    notify = moved and "notify" in decision.actions and _rank(policy, decision.stage) > _rank(policy, before)
    return PlannedChange(customer_id, before, decision, suspend, restore, notify)


def _rank(policy: CollectionsPolicy, stage: str) -> int:
    names = [CURRENT, *(s.name for s in policy.stages)]
    return names.index(stage) if stage in names else 0
