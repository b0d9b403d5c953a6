"""The collections policy's stage action `service_request`: one 21Vianet service request per stage episode.

A stage episode is the customer entering a stage that carries the action, for one delinquency: keyed by the stage and
the local due date of the oldest overdue invoice, so a scan re-run, a redelivered payment or the customer slipping
back into the stage for the same debt never asks twice (the case id is derived from that key, and a case is created
once). The case carries the ledger evidence (overdue amount, each overdue invoice, days past due), and the request
goes through the write gate like every other automatic write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from lib.domain.collections_plan import PlannedChange
from lib.domain.money import format_amount
from lib.domain.policy import CollectionsPolicy, stage_rank
from lib.domain.summary import LedgerSummary
from lib.services.service_request_text import STAGE_RULE
from lib.services.service_requests import ServiceRequestService
from lib.services.write_gate import Asker, Verdict
from lib.store.cases import Cases
from lib.store.errors import ConcurrencyConflict

STAGE_ACTION = "service_request"


def wants_request(policy: CollectionsPolicy, change: PlannedChange) -> bool:
    """The customer has just moved up into a stage whose (not withheld) actions include `service_request`."""
    return (STAGE_ACTION in change.decision.actions and change.to_stage != change.from_stage
            and stage_rank(policy, change.to_stage) > stage_rank(policy, change.from_stage))


def stage_evidence(policy: CollectionsPolicy, change: PlannedChange, summary: LedgerSummary,
                   as_of: datetime) -> dict[str, Any]:
    zone = policy.zone
    today = as_of.astimezone(zone).date()
    currency = summary.currency or policy.currency
    late = sorted(inv for inv in summary.open_invoices if inv.local_due_date(zone) < today)
    decision = change.decision
    return {"rule_id": STAGE_RULE, "stage": decision.stage, "days_past_due": decision.days_past_due,
            "overdue_amount": decision.overdue_amount, "currency": currency,
            "overdue_text": format_amount(decision.overdue_amount, currency),
            "invoices": [{"invoice_id": inv.invoice_id, "due_date": inv.local_due_date(zone).isoformat(),
                          "remaining": inv.remaining, "remaining_text": format_amount(inv.remaining, currency)}
                         for inv in late],
            "severity": "medium", "evidence": decision.reason}


def episode_case_id(customer_id: str, stage: str, oldest_due: str) -> str:
    digest = hashlib.sha256(f"{customer_id}|{stage}|{oldest_due}".encode()).hexdigest()[:8].upper()
    return f"CASE-{oldest_due.replace('-', '')}-{digest}"


class StageServiceRequests:
    def __init__(self, policy: CollectionsPolicy, cases: Cases,
                 service_requests: Callable[[], ServiceRequestService]) -> None:
        # Built only when a request is due, so a webhook's re-evaluation never depends on the queue being there.
        self._policy = policy
        self._cases = cases
        self._service_requests = service_requests

    def file(self, change: PlannedChange, summary: LedgerSummary, as_of: datetime, *, actor: str,
             correlation_id: str | None = None) -> Verdict | None:
        """Opens the episode's case and asks for its request; None when the change calls for none, or this
        episode already has one."""
        if not wants_request(self._policy, change):
            return None
        evidence = stage_evidence(self._policy, change, summary, as_of)
        oldest = min((inv["due_date"] for inv in evidence["invoices"]), default=as_of.date().isoformat())
        try:
            case = self._cases.open(
                change.customer_id, reason="non_payment", case_id=episode_case_id(change.customer_id, change.to_stage,
                                                                                  oldest),
                title=f"Seriously overdue: {evidence['days_past_due']} days past due, {evidence['overdue_text']}",
                description=change.decision.reason, severity="Moderate", source=f"policy:{change.to_stage}",
                findings=[evidence])
        except ConcurrencyConflict:
            return None  # this episode's request was asked for already
        return self._service_requests().request(case, asker=Asker.AUTOMATIC, actor=actor,
                                              correlation_id=correlation_id)
