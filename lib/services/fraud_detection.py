"""Fraud and misuse detection: signals in, cases out, then the policy's fraud actions.

Fed by the `fraud_events_poll` timer (Partner Center fraud events since a watermark, and usage summaries) and at
once by Partner Center's `azure-fraud-event-detected` webhook; both go through `review_customer`, so a missed
webhook is caught by the poll and an event seen by both is handled once (each case remembers its event ids).
A customer has at most one open case; new findings join it. Each review runs under the customer's lock, so the
webhook, the poll and duplicate deliveries of one event open one case and ask for one service request. Suspension
for `fraud`, service requests and default budgets are automatic writes: the write gate decides (shadow and the
kill switch record only, review mode proposes); the non-payment cap does not apply: a fraudster is stopped however
many there are. The poll also hands each customer's usage to `DefaultBudgets` (prevention_budgets.py).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lib.domain.fraud_rules import (
    Finding,
    FraudSignals,
    PartnerCenterFraudEvent,
    actions_for,
    evaluate_fraud,
    request_severity,
)
from lib.domain.policy import CollectionsPolicy
from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.errors import NotFoundError, PartnerCenterError
from lib.partner_center.models import FraudEvent, UsageSummary
from lib.services.ops_alerts import LoggingOpsAlerts, OpsAlerts
from lib.services.prevention_budgets import onboarded_at
from lib.services.service_request_text import rule_phrase
from lib.services.service_requests import ServiceRequestService
from lib.services.suspension import SuspensionService, in_force
from lib.services.write_gate import Asker, Verdict
from lib.store.cases import Case, Cases
from lib.store.ledger import LedgerBook
from lib.store.usage_history import UsageHistory

log = logging.getLogger("csp_guard.fraud")
JOB = "fraud_events_poll"
WATERMARK_KEY = ("watermark", "fraud_events")


@dataclass
class FraudReport:
    events_seen: int = 0
    events_new: int = 0
    customers_reviewed: int = 0
    findings: int = 0
    cases_opened: int = 0
    suspended: int = 0
    withheld: int = 0  # held back by the kill switch
    shadow: int = 0  # decided and recorded in shadow mode
    proposed: int = 0  # review mode: waiting for an operator
    service_requests_queued: int = 0
    budgets_set: int = 0
    budgets_held: int = 0  # a new customer's default budget the gate recorded or proposed instead
    test_events: int = 0  # Partner Center test alerts (isTest): recorded on a `test` case, never acted on
    errors: list[str] = field(default_factory=list)
    budget: dict[str, int] = field(default_factory=dict)  # the call budget's figures (fraud_poll_budget.py)
    stopped: str | None = None  # why the run read fewer customers than planned

    def counts(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "errors"} | {"errors": len(self.errors)}


class FraudDetection:
    def __init__(self, policy: CollectionsPolicy, partner_center: PartnerCenterClient, cases: Cases,
                 ledger: LedgerBook, suspension: SuspensionService, service_requests: ServiceRequestService,
                 *, usage_history: UsageHistory | None = None, alerts: OpsAlerts | None = None) -> None:
        self._usage_history = usage_history
        self._alerts = alerts or LoggingOpsAlerts()
        self._policy = policy
        self._pc = partner_center
        self._cases = cases
        self._ledger = ledger
        self._suspension = suspension
        self._service_requests = service_requests

    def review_events(self, events: Iterable[FraudEvent], report: FraudReport, *, source: str,
                      correlation_id: str | None = None, now: datetime | None = None) -> None:
        by_customer: dict[str, list[FraudEvent]] = defaultdict(list)
        for event in events:
            report.events_seen += 1
            if event.customer_id:
                by_customer[event.customer_id].append(event)
        for customer_id, customer_events in by_customer.items():
            try:
                self.review_customer(customer_id, customer_events, report, source=source,
                                     correlation_id=correlation_id, now=now)
            except (PartnerCenterError, OSError) as exc:
                report.errors.append(f"{customer_id}: {exc}")

    def review_customer(self, customer_id: str, events: list[FraudEvent], report: FraudReport, *, source: str,
                        correlation_id: str | None = None, now: datetime | None = None,
                        usage: UsageSummary | None = None) -> Case | None:
        with self._suspension.locks.hold(customer_id):
            return self._review_locked(customer_id, events, report, source=source, correlation_id=correlation_id,
                                       now=now or datetime.now(UTC), usage=usage)

    def _review_locked(self, customer_id: str, events: list[FraudEvent], report: FraudReport, *, source: str,
                       correlation_id: str | None, now: datetime, usage: UsageSummary | None) -> Case | None:
        cases = self._cases.for_customer(customer_id)
        handled = {event_id for case in cases for event_id in case.event_ids}
        fresh = [e for e in events if e.event_id and e.event_id not in handled]
        report.events_new += len(fresh)
        tests = [e for e in fresh if e.is_test]
        if tests:
            self._record_tests(customer_id, tests, source, report)
            fresh = [e for e in fresh if not e.is_test]
        report.customers_reviewed += 1
        cost = usage.total_cost if usage is not None else self._usage(customer_id, correlation_id)
        history = self._usage_history.record(customer_id, self._month(now), cost) if self._usage_history else {}
        months = sorted(m for m in history if m < self._month(now))
        onboarded = (onboarded_at(self._pc, customer_id, correlation_id)
                     if cost > self._policy.fraud.new_customer_spend_limit else None)
        signals = FraudSignals(
            customer_id=customer_id, as_of=now, currency=self._policy.currency,
            partner_center_events=tuple(_event(e) for e in fresh),
            current_month_cost=cost,
            trailing_monthly_costs=tuple(history[m] for m in months[-3:]),
            previous_month_cost=history[months[-1]] if months else None,
            onboarded_at=onboarded,
            summary=self._ledger.load(customer_id).summary,
        )
        findings = [f for f in evaluate_fraud(signals, self._policy.fraud)
                    if f.rule_id == "pc_fraud_event" or not _already_found(cases, f)]
        if not findings:
            return None
        report.findings += len(findings)
        case = self._record(customer_id, cases, findings, [e.event_id for e in fresh], source, report,
                            payload=_with_event_evidence(findings, fresh))
        suspend, request = actions_for(findings, self._policy.fraud)
        if suspend:
            action = self._suspension.suspend_locked(
                customer_id, reason="fraud", actor=source, asker=Asker.AUTOMATIC,
                note=f"case {case.case_id}: " + "; ".join(f.evidence for f in findings), correlation_id=correlation_id,
                context={"case_id": case.case_id})
            report.suspended += int(in_force(action))
            report.withheld += int(action.status == "withheld")
            report.shadow += int(action.status == "shadow")
            report.proposed += int(action.status == "proposed")
            if action.status == "withheld":
                log.warning("fraud suspension of %s withheld by ENFORCEMENT_PAUSED", customer_id)
                self._alerts.raise_alert("suspension_withheld", f"fraud suspension of {customer_id} withheld by "
                                         "the kill switch (ENFORCEMENT_PAUSED)",
                                         {"customer_id": customer_id, "case_id": case.case_id, "reason": "fraud"})
            elif action.status == "confirmed":
                self._alerts.raise_alert("suspension_made", f"{customer_id} suspended for fraud (case {case.case_id})",
                                         {"customer_id": customer_id, "case_id": case.case_id, "reason": "fraud",
                                          "action_id": action.action_id})
        if request and case.service_request_id is None:
            verdict = self._service_requests.request(case, asker=Asker.AUTOMATIC, actor=source,
                                                     correlation_id=correlation_id)
            report.service_requests_queued += int(verdict is Verdict.WRITE)
        return case

    def _month(self, now: datetime) -> str:
        return now.astimezone(self._policy.zone).strftime("%Y-%m")

    def _usage(self, customer_id: str, correlation_id: str | None) -> int:
        try:
            return self._pc.get_usage_summary(customer_id, correlation_id=correlation_id).total_cost
        except NotFoundError:
            return 0

    def _record_tests(self, customer_id: str, events: list[FraudEvent], source: str, report: FraudReport) -> None:
        """Partner Center's test alerts (isTest true) are kept where operators see them, a case in status `test`
        holding their event ids (so each is recorded once), and nothing else happens: no rule, no suspension, no
        service request."""
        report.test_events += len(events)
        log.info("fraud: %d Partner Center test alert(s) for %s recorded, not acted on", len(events), customer_id)
        case = self._cases.open(
            customer_id, reason="fraud", title="Partner Center test alert (not acted on)",
            description="\n".join(f"test alert {e.event_type or 'fraud event'} on subscription {e.subscription_id}"
                                  for e in events),
            severity="Minimal", source=source, findings=[{"rule_id": "pc_test_event", "event": e.evidence()}
                                                         for e in events],
            event_ids=[e.event_id for e in events])
        self._cases.save(dataclasses.replace(case, status="test"))

    def _record(self, customer_id: str, cases: list[Case], findings: list[Finding], event_ids: list[str],
                source: str, report: FraudReport, *, payload: list[dict[str, Any]]) -> Case:
        open_case = next((c for c in cases if c.status in ("open", "reported") and c.reason == "fraud"), None)
        if open_case is None:
            report.cases_opened += 1
            top = max(findings, key=lambda f: {"low": 1, "medium": 2, "high": 3}[f.severity])
            opened = self._cases.open(
                customer_id, reason="fraud", title=f"Suspected fraud: {rule_phrase(top.rule_id)}",
                description="\n".join(f"[{f.severity}] {f.evidence}" for f in findings),
                severity=request_severity(findings), source=source, findings=payload, event_ids=event_ids)
            self._alerts.raise_alert("fraud_case_opened", f"fraud case {opened.case_id} opened for {customer_id}: "
                                     f"{rule_phrase(top.rule_id)}",
                                     {"customer_id": customer_id, "case_id": opened.case_id, "source": source,
                                      "rules": sorted({f.rule_id for f in findings})})
            return opened
        updated = dataclasses.replace(
            open_case, findings=(*open_case.findings, *payload), event_ids=open_case.event_ids | set(event_ids),
            description=open_case.description + "\n" + "\n".join(f"[{f.severity}] {f.evidence}" for f in findings))
        return self._cases.save(updated)


def _with_event_evidence(findings: list[Finding], events: list[FraudEvent]) -> list[dict[str, Any]]:
    """Each finding as the case keeps it; one from a Partner Center alert also keeps the alert's own words:
    confidenceLevel, affectedResources, displayName, description (the new events model's fields)."""
    by_id = {e.event_id: e for e in events}
    return [{**f.as_json(), **({"event": by_id[f.source_event_id].evidence()}
                               if f.source_event_id in by_id else {})} for f in findings]


def _event(event: FraudEvent) -> PartnerCenterFraudEvent:
    when = event.event_at or datetime.now(UTC)
    return PartnerCenterFraudEvent(event.event_id, event.subscription_id, event.event_type, event.event_status,
                                   when, event.severity)


def _already_found(cases: list[Case], finding: Finding) -> bool:
    """A usage or payment rule that already produced an open case is not reported again every poll."""
    return any(c.status in ("open", "reported") and any(f.get("rule_id") == finding.rule_id for f in c.findings)
               for c in cases)
