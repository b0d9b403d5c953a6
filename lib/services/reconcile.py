"""Reconcile: finish what was left pending, and compare what we believe with what Partner Center says.

- Every open action (an intent a crash interrupted, or a failure) is completed through the suspension service,
  which re-reads Partner Center first and so never repeats a change that already landed, and sends a new PATCH
  only where the write gate allows an automatic write now. Retries are bounded by the attempts counted on the
  action: after MAX_ATTEMPTS the action is `abandoned` and an alert is raised.
- Every subscription csp-guard holds a reason for, or suspended, is compared with Partner Center. A subscription
  reactivated or suspended by hand is recorded as drift and left alone: csp-guard never overrides an operator's
  change made in Partner Center.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from lib.partner_center.errors import NotFoundError, PartnerCenterError
from lib.partner_center.models import ServiceRequest, Subscription
from lib.services.ops_alerts import LoggingOpsAlerts, OpsAlerts
from lib.services.partner_center_port import SubscriptionsPort
from lib.services.suspension import SuspensionService
from lib.store.actions import Action, Actions
from lib.store.cases import Cases
from lib.store.leases import LeaseHeld, LeaseLost
from lib.store.runs import RunLog
from lib.store.subscriptions import Subscriptions, SubscriptionState

log = logging.getLogger("csp_guard.reconcile")


class ServiceRequestReader(Protocol):
    def get_service_request(self, request_id: str, *, correlation_id: str | None = None) -> ServiceRequest:
        ...


JOB = "reconcile"
MAX_ATTEMPTS = 4  # the first try and three retries by reconcile
SETTLE = timedelta(seconds=60)  # leave actions this young to the request still working on them


@dataclass
class ReconcileReport:
    completed: int = 0
    still_failing: int = 0
    held: int = 0  # left open: the gate does not allow an automatic write now
    abandoned: int = 0
    service_requests_updated: int = 0
    drift: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        return {"completed": self.completed, "still_failing": self.still_failing, "held": self.held,
                "abandoned": self.abandoned, "drift": len(self.drift),
                "service_requests_updated": self.service_requests_updated, "errors": len(self.errors)}


class Reconciler:
    def __init__(self, partner_center: SubscriptionsPort, suspension: SuspensionService, actions: Actions,
                 subscriptions: Subscriptions, runs: RunLog, cases: Cases | None = None,
                 service_requests: ServiceRequestReader | None = None, alerts: OpsAlerts | None = None,
                 refresh_names: Callable[[], list[str]] | None = None) -> None:
        self._alerts = alerts or LoggingOpsAlerts()
        self._refresh_names = refresh_names  # company names and at-risk subscriptions (customer_names.py)
        self._cases = cases
        self._service_requests = service_requests
        self._pc = partner_center
        self._suspension = suspension
        self._actions = actions
        self._subscriptions = subscriptions
        self._runs = runs

    def run(self, *, correlation_id: str | None = None, now: datetime | None = None) -> ReconcileReport:
        now = now or datetime.now(UTC)
        report = ReconcileReport()
        run_id = self._runs.start(JOB, correlation_id=correlation_id)
        status = "succeeded"
        try:
            self._complete_open_actions(report, now)
            if self._suspension.gate.mode != "shadow":
                self._compare_with_partner_center(report)
            if self._cases is not None:
                self._sync_service_requests(report)
            report.errors.extend(self._refresh_names() if self._refresh_names is not None else [])
        except Exception as exc:
            report.errors.append(f"reconcile aborted: {type(exc).__name__}: {exc}")
            status = "failed"
            raise
        finally:
            if report.errors or report.still_failing or report.abandoned:
                status = "failed"
            self._runs.finish(JOB, run_id, status=status, counts=report.counts(), errors=report.errors)
        return report

    def _complete_open_actions(self, report: ReconcileReport, now: datetime) -> None:
        for action in list(self._actions.open_actions()):
            if action.kind not in ("suspend", "restore"):
                continue
            if action.updated_at is not None and now - action.updated_at < SETTLE:
                continue
            try:
                done = self._suspension.complete(action)
            except (PartnerCenterError, LeaseHeld, LeaseLost) as exc:  # left open: the next run tries again
                report.errors.append(f"{action.customer_id}/{action.action_id}: {exc}")
                continue
            if done.status in ("confirmed", "superseded"):
                report.completed += 1
            elif any("held_by" in t for t in done.targets):
                report.held += 1
            elif done.attempts >= MAX_ATTEMPTS:
                self._abandon(done, report)
            else:
                report.still_failing += 1

    def _abandon(self, action: Action, report: ReconcileReport) -> None:
        self._actions.update(action, status="abandoned")
        report.abandoned += 1
        failed = [t for t in action.targets if t.get("outcome") in ("failed", "pending")]
        self._alerts.raise_alert(
            "reconcile_gave_up",
            f"{action.kind} of customer {action.customer_id} ({action.reason}) still failing after "
            f"{action.attempts} attempts; left for an operator",
            {"customer_id": action.customer_id, "action_id": action.action_id, "kind": action.kind,
             "reason": action.reason, "attempts": action.attempts,
             "subscriptions": [{"subscription_id": t.get("subscription_id"), "error": t.get("error")}
                               for t in failed]})

    def _compare_with_partner_center(self, report: ReconcileReport) -> None:
        by_customer: dict[str, list[SubscriptionState]] = {}
        for state in self._subscriptions.all():
            if state.reasons or state.suspended_by_us:
                by_customer.setdefault(state.customer_id, []).append(state)
        for customer_id, states in by_customer.items():
            try:
                live = {s.id: s for s in self._pc.list_subscriptions(customer_id)}
            except NotFoundError:
                report.drift.append({"customer_id": customer_id, "drift": "customer no longer in Partner Center"})
                continue
            except PartnerCenterError as exc:
                report.errors.append(f"{customer_id}: {exc}")
                continue
            for state in states:
                self._compare(report, state, live.get(state.subscription_id))

    def _sync_service_requests(self, report: ReconcileReport) -> None:
        """Copies each reported case's service request status (open, closed, attention_needed) from Partner
        Center, so operators see when 21Vianet needs something from them."""
        if self._cases is None or self._service_requests is None:
            return
        for case in list(self._cases.list(status="reported")):
            if not case.service_request_id:
                continue
            try:
                request = self._service_requests.get_service_request(case.service_request_id)
            except PartnerCenterError as exc:
                report.errors.append(f"{case.case_id}: service request: {exc}")
                continue
            if request.status != case.service_request_status:
                self._cases.save(dataclasses.replace(case, service_request_status=request.status))
                report.service_requests_updated += 1

    def check_subscription(self, customer_id: str, subscription_id: str) -> str | None:
        """One subscription, now (a Partner Center subscription event): returns the drift found, if any."""
        state = self._subscriptions.get(customer_id, subscription_id)
        if state is None:
            return None
        try:
            sub = self._pc.get_subscription(customer_id, subscription_id)
        except NotFoundError:
            sub = None
        report = ReconcileReport()
        self._compare(report, state, sub)
        return report.drift[0]["drift"] if report.drift else None

    def _compare(self, report: ReconcileReport, state: SubscriptionState, sub: Subscription | None) -> None:
        found = "deleted" if sub is None else sub.status
        if state.unanswered_request_id and found == "suspended":
            return  # our own PATCH that ended without an answer, and landed: completing its action adopts it
        drift = None
        if state.suspended_by_us and found == "active":
            drift = "reactivated outside csp-guard"
        elif state.reasons and not state.suspended_by_us and found == "active" and state.pc_status == "suspended":
            drift = "reactivated outside csp-guard (it had been suspended by hand)"
        elif not state.suspended_by_us and state.pc_status == "active" and found == "suspended":
            drift = "suspended outside csp-guard"
        elif found not in ("active", "suspended"):
            drift = f"now {found}"
        if drift is None:
            return
        # Recorded, never overridden: an operator's change in Partner Center wins.
        self._subscriptions.save(dataclasses.replace(state, pc_status=found, drift=drift,
                                                     suspended_by_us=state.suspended_by_us and found == "suspended"))
        self._actions.record(state.customer_id, kind="drift", reason=",".join(sorted(state.reasons)),
                             actor=JOB, status="recorded", note=drift,
                             details={"subscription_id": state.subscription_id, "was": state.pc_status,
                                      "now": found})
        report.drift.append({"customer_id": state.customer_id, "subscription_id": state.subscription_id,
                             "drift": drift})
        log.warning("drift on %s/%s: %s", state.customer_id, state.subscription_id, drift)
