"""The `[prevention]` default spending budget, for NEW customers only (the policy: "a default spending budget for new
customers"), never for every customer that has none.

New means onboarded within the `[fraud]` section's `new_customer_days`, judged by the creation date of the
customer's first subscription, the same onboarding date the `new_customer_high_spend` rule uses. A customer whose
age is unknown is not new. The budget PATCH is an automatic write: the gate decides (shadow and the kill switch
record it once, review mode proposes it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from lib.domain.policy import CollectionsPolicy
from lib.partner_center.errors import PartnerCenterError
from lib.partner_center.json_fields import parse_time
from lib.partner_center.models import Subscription, UsageSummary
from lib.services.write_gate import Asker, Verdict, WriteGate, WriteKind
from lib.store.actions import Actions

ACTOR = "fraud_events_poll"


class SubscriptionLister(Protocol):
    def list_subscriptions(self, customer_id: str, *, correlation_id: str | None = None) -> Iterable[Subscription]:
        ...


class BudgetCounts(Protocol):
    budgets_set: int
    budgets_held: int
    errors: list[str]


def onboarded_at(partner_center: SubscriptionLister, customer_id: str, correlation_id: str | None) -> datetime | None:
    """When the customer's first subscription was created: the onboarding date "new" is judged by."""
    try:
        starts = [s.creation_date for s in partner_center.list_subscriptions(customer_id, correlation_id=correlation_id)
                  if s.creation_date]
    except PartnerCenterError:
        return None
    parsed = [parse_time(text) for text in starts]
    return min((p for p in parsed if p is not None), default=None)


class DefaultBudgets:
    def __init__(self, policy: CollectionsPolicy, partner_center: SubscriptionLister, gate: WriteGate,
                 actions: Actions) -> None:
        self._policy = policy
        self._pc = partner_center
        self._gate = gate
        self._actions = actions

    def apply(self, usage: UsageSummary, report: BudgetCounts, correlation_id: str | None = None, *,
              now: datetime | None = None) -> None:
        """Gives a NEW customer without a spending budget the policy's default, so overspend is warned early."""
        budget = self._policy.prevention.new_customer_budget
        if budget <= 0 or usage.budget is not None:
            return
        onboarded = onboarded_at(self._pc, usage.customer_id, correlation_id)
        if onboarded is None or ((now or datetime.now(UTC)) - onboarded).days > self._policy.fraud.new_customer_days:
            return  # not a new customer (or its age is unknown): its budget is the partner's business, not ours
        cid, gate, kind = usage.customer_id, self._gate, WriteKind.USAGE_BUDGET
        note = f"default budget {budget} for a customer onboarded {onboarded.date().isoformat()}"
        details = {"amount": budget, "onboarded_at": onboarded.isoformat()}
        verdict = gate.verdict(Asker.AUTOMATIC, kind)
        if verdict is Verdict.PROPOSE:
            gate.propose(cid, kind, reason="prevention", actor=ACTOR, evidence=note, details=details,
                         correlation_id=correlation_id)
            report.budgets_held += 1
            return
        if verdict is Verdict.RECORD:
            status = gate.record_status(Asker.AUTOMATIC, kind)
            if not any(a.kind == "usage_budget" and a.status == status for a in self._actions.for_customer(cid)):
                self._actions.record(cid, kind="usage_budget", reason="prevention", actor=ACTOR, note=note,
                                     status=status, details={**details, **gate.why_not(Asker.AUTOMATIC, kind)},
                                     correlation_id=correlation_id)
            report.budgets_held += 1
            return
        try:
            call = gate.write_usage_budget(Asker.AUTOMATIC, cid, budget, correlation_id=correlation_id)
        except PartnerCenterError as exc:
            report.errors.append(f"{cid}: budget: {exc}")
            return
        self._actions.record(cid, kind="usage_budget", reason="prevention", actor=ACTOR, note=note, status="confirmed",
                             details={**details, "request_id": call.request_id}, correlation_id=correlation_id)
        report.budgets_set += 1

