"""The fraud poll (timer): Partner Center's fraud events since the stored watermark, and usage for customers with
Azure plans, within the run's call budget; each customer's findings go to FraudDetection."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.errors import NotFoundError, PartnerCenterError
from lib.partner_center.json_fields import parse_time
from lib.partner_center.models import FraudEvent, UsageSummary
from lib.services.fraud_detection import JOB, WATERMARK_KEY, FraudDetection, FraudReport
from lib.services.fraud_poll_budget import FraudPollBudget, is_throttled
from lib.services.prevention_budgets import DefaultBudgets
from lib.store.leases import LeaseHeld, LeaseLost
from lib.store.runs import RunLog
from lib.store.watermarks import Watermarks


class FraudPoll:
    """The timer's work: fraud events since the stored watermark, and usage for customers with Azure plans."""

    def __init__(self, detection: FraudDetection, budgets: DefaultBudgets, partner_center: PartnerCenterClient,
                 runs: RunLog, watermarks: Watermarks, budget: FraudPollBudget | None = None) -> None:
        self._budget = budget  # None: every customer, every run
        self._detection = detection
        self._budgets = budgets
        self._pc = partner_center
        self._runs = runs
        self._watermarks = watermarks

    def run(self, *, correlation_id: str | None = None) -> FraudReport:
        report = FraudReport()
        run_id = self._runs.start(JOB, correlation_id=correlation_id)
        status = "succeeded"
        reviewed: set[str] = set()
        if self._budget is not None:
            self._budget.begin()
        try:
            # Instants, not text: "…45.69" and "…45Z" order wrongly as strings. No offset means UTC.
            since = parse_time(self._watermarks.get(*WATERMARK_KEY))
            events: dict[str, list[FraudEvent]] = defaultdict(list)
            for event in self._pc.list_fraud_events(correlation_id=correlation_id):
                report.events_seen += 1
                at = event.event_at
                if event.customer_id and (since is None or at is None or at >= since):
                    events[event.customer_id].append(event)
            customers = self._customers(correlation_id)
            for customer_id in self._order(customers, events):
                if self._budget is not None and not self._budget.affordable():
                    report.stopped = "call budget spent"
                    break
                self._review(customer_id, events.get(customer_id, []), report, correlation_id)
                reviewed.add(customer_id)
            seen = [at for batch in events.values() for e in batch if (at := e.event_at) is not None]
            if not report.errors and seen and reviewed.issuperset(events):
                # Moved forward only when every customer was reviewed, so a failure is retried next poll.
                self._watermarks.set(*WATERMARK_KEY, max(seen).isoformat())
        except PartnerCenterError as exc:
            report.errors.append(f"partner center: {exc}")
            report.stopped = "throttled by Partner Center (429)" if is_throttled(exc) else report.stopped
        finally:
            if self._budget is not None:
                self._budget.flush()
                report.budget = self._budget.counts()
            if report.errors:
                status = "failed"
            self._runs.finish(JOB, run_id, status=status, counts=report.counts(), errors=report.errors)
        return report

    def _customers(self, correlation_id: str | None) -> list[str]:
        def listing() -> list[str]:
            return [c.id for c in self._pc.list_customers(correlation_id=correlation_id)]

        return listing() if self._budget is None else self._budget.customers(listing)

    def _order(self, customers: list[str], events: dict[str, list[FraudEvent]]) -> Iterable[str]:
        if self._budget is None:
            return dict.fromkeys([*events, *customers])
        return self._budget.order(customers, urgent=list(events))

    def _review(self, customer_id: str, events: list[FraudEvent], report: FraudReport,
                correlation_id: str | None) -> None:
        errors, findings = len(report.errors), report.findings
        self._review_one(customer_id, events, report, correlation_id)  # a 429 propagates: not recorded as read
        if self._budget is not None and len(report.errors) == errors:
            self._budget.read(customer_id, finding=report.findings > findings)

    def _review_one(self, customer_id: str, events: list[FraudEvent], report: FraudReport,
                    correlation_id: str | None) -> None:
        try:
            usage = self._pc.get_usage_summary(customer_id, correlation_id=correlation_id)
        except NotFoundError:
            usage = None  # no Azure plan: nothing to measure or budget
        except PartnerCenterError as exc:
            if is_throttled(exc):
                raise  # stops the run; the next one resumes with this customer
            report.errors.append(f"{customer_id}: usage: {exc}")
            return
        try:
            if usage is not None:
                self._budgets.apply(usage, report, correlation_id)
            if events or usage is not None:
                self._detection.review_customer(customer_id, events, report, source=JOB,
                                                correlation_id=correlation_id,
                                                usage=usage or UsageSummary(customer_id, 0, "CNY"))
        except PartnerCenterError as exc:
            if is_throttled(exc):
                raise
            report.errors.append(f"{customer_id}: {exc}")
        except (LeaseHeld, LeaseLost) as exc:  # the watermark stays: the next poll retries
            report.errors.append(f"{customer_id}: {exc}")
