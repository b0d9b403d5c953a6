"""Applies the collections policy to one customer: the scan's per-customer step and the payment hook.

Both run under the customer's lock and decide from a fresh read of the ledger, so a payment that lands while a
scan is deciding is either seen by the scan or, through the scan's enforcing mark on the accounts row, restores
access within the payment's own request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from lib.domain.collections_plan import PlannedChange, plan_change
from lib.domain.policy import CURRENT, CollectionsPolicy, Decision
from lib.domain.summary import LedgerSummary
from lib.services.notice_outbox import NoticeOutbox
from lib.services.ops_alerts import LoggingOpsAlerts, OpsAlerts
from lib.services.stage_service_request import StageServiceRequests
from lib.services.suspension import SuspensionService, in_force
from lib.services.write_gate import Asker, Verdict
from lib.store.accounts import AccountRow, Accounts
from lib.store.actions import Action, Actions
from lib.store.ledger import LedgerBook

log = logging.getLogger("csp_guard.collections")
NON_PAYMENT = "non_payment"
_MARK_FOR = timedelta(minutes=5)


class CapBudget(Protocol):
    """The blast-radius cap of one scan run: `take` before each non-payment suspension; False means the cap is
    reached and the suspension is withheld."""

    limit: int
    used: int  # suspensions the run has taken, as last seen here
    refused: int  # suspensions the run has refused, as last seen here

    def take(self) -> bool: ...

    @property
    def exhausted(self) -> bool:
        """A suspension was refused here: the work holding this budget stopped suspending."""
        ...

    @property
    def announces(self) -> bool:
        """The run's first refusal was made here: the cap alert is this holder's to raise (once per run)."""
        ...


@dataclass
class SuspensionBudget:
    """The blast-radius cap: at most `limit` non-payment suspensions in one run, in one process."""

    limit: int
    used: int = 0
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self) -> bool:
        with self._lock:
            if self.used >= self.limit:
                self.refused += 1
                return False
            self.used += 1
            return True

    @property
    def exhausted(self) -> bool:
        return self.refused > 0

    @property
    def announces(self) -> bool:
        return self.exhausted


@dataclass(frozen=True)
class Applied:
    change: PlannedChange | None
    suspended: bool = False
    restored: bool = False
    withheld: str | None = None  # notice_period | kill_switch | cap
    shadow: bool = False  # shadow mode decided a suspension and called nothing
    proposed: bool = False  # review mode: the suspension waits for an operator
    service_request: bool = False  # the stage's service_request action queued a 21Vianet request


def stage_facts(decision: Decision, summary: LedgerSummary, as_of: datetime,
                policy: CollectionsPolicy) -> dict[str, object]:
    """What a review-mode proposal shows of the customer's standing when the scan made it, and the marks of the book
    that a later payment or dispute changes (a proposal lapses then: lib/services/proposals.py)."""
    oldest = summary.overdue(as_of, policy.zone).oldest_due
    return {"stage": decision.stage, "overdue_amount": decision.overdue_amount,
            "currency": summary.currency or policy.currency, "days_past_due": decision.days_past_due,
            "oldest_due_date": oldest.isoformat() if oldest else None, "as_of": as_of.isoformat(),
            "book": book_marks(summary)}


def book_marks(summary: LedgerSummary) -> dict[str, object]:
    return {"last_payment_at": summary.last_payment_at.isoformat() if summary.last_payment_at else None,
            "open_disputes": summary.open_disputes, "balance": summary.balance}


class CollectionsEnforcer:
    def __init__(self, policy: CollectionsPolicy, ledger: LedgerBook, accounts: Accounts, actions: Actions,
                 suspension: SuspensionService, *, stage_requests: StageServiceRequests | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 notices: NoticeOutbox | None = None, alerts: OpsAlerts | None = None) -> None:
        self._stage_requests = stage_requests
        self._alerts = alerts or LoggingOpsAlerts()
        self._clock = clock
        self._notices = notices
        self._policy = policy
        self._ledger = ledger
        self._accounts = accounts
        self._actions = actions
        self._suspension = suspension

    def apply(self, row: AccountRow, as_of: datetime, budget: CapBudget, *, actor: str,
              correlation_id: str | None = None) -> Applied:
        """Acts on one customer the scan found changed. The fresh ledger read decides, not the index row."""
        cid = row.customer_id
        self._accounts.mark_enforcing(cid, until=datetime.now(UTC) + _MARK_FOR)
        with self._suspension.locks.hold(cid):
            fresh = self._accounts.get(cid) or row
            summary = self._ledger.load(cid, fresh=True).summary
            change = plan_change(self._policy, cid, summary, hold=fresh.hold, previous_stage=fresh.stage,
                                 suspended_for_non_payment=fresh.suspended_for_non_payment, as_of=as_of)
            if change is None:
                self._accounts.set_stage(cid, fresh.stage or "current", since=fresh.stage_since or as_of)
                return Applied(None)
            return self._act(change, fresh, summary, as_of, budget, actor, correlation_id)

    def after_payment(self, customer_id: str, summary: LedgerSummary, row: AccountRow, *, actor: str) -> Applied:
        """Within a webhook's request: lifts a non-payment suspension the moment the book no longer calls for
        one. Costs nothing unless the customer is suspended by us or a scan is deciding it right now."""
        now = self._clock()
        if not (row.suspended_for_non_payment or row.enforcing(now)):
            return Applied(None)
        change = plan_change(self._policy, customer_id, summary, hold=row.hold, previous_stage=row.stage,
                             suspended_for_non_payment=True, as_of=now)
        if change is None or not change.restore:
            return Applied(None)  # still owes enough to stay suspended
        with self._suspension.locks.hold(customer_id):
            fresh = self._accounts.get(customer_id) or row
            latest = self._ledger.load(customer_id, fresh=True).summary
            change = plan_change(self._policy, customer_id, latest, hold=fresh.hold, previous_stage=fresh.stage,
                                 suspended_for_non_payment=fresh.suspended_for_non_payment, as_of=now)
            if change is None or not change.restore:
                return Applied(change)
            return self._act(change, fresh, latest, now, SuspensionBudget(0), actor, None)

    def _act(self, change: PlannedChange, row: AccountRow, summary: LedgerSummary, as_of: datetime,
             budget: CapBudget, actor: str, correlation_id: str | None) -> Applied:
        cid = change.customer_id
        awaits_notice = self._notice_step(change, row, summary, as_of)
        decision = change.decision
        suspended_flag = row.suspended_for_non_payment
        withheld: str | None = None
        suspended = restored = shadow = proposed = False
        if change.notify:
            self._actions.record(cid, kind="notify", reason=NON_PAYMENT, actor=actor, note=decision.reason,
                                 status="recorded", details={"stage": decision.stage, "from": change.from_stage},
                                 correlation_id=correlation_id)
        if change.suspend:
            # The cap counts what would be suspended in shadow and review mode too, so a trial run shows it; the
            # kill switch is the gate's to apply (it records the suspension as withheld). No suspension without
            # notice: until the notice period has run, the suspension waits whatever the mode.
            if awaits_notice or (not self._suspension.gate.paused and not budget.take()):
                withheld = "notice_period" if awaits_notice else "cap"
                self._actions.record(cid, kind="suspend", reason=NON_PAYMENT, actor=actor, note=decision.reason,
                                     status="withheld", details={"withheld_by": withheld},
                                     correlation_id=correlation_id)
            else:
                action = self._suspension.suspend_locked(cid, reason=NON_PAYMENT, actor=actor, asker=Asker.AUTOMATIC,
                                                         note=decision.reason, correlation_id=correlation_id,
                                                         context={"facts": stage_facts(decision, summary, as_of,
                                                                                       self._policy)})
                shadow, proposed = action.status == "shadow", action.status == "proposed"
                withheld = "kill_switch" if action.status == "withheld" else None
                self._alert_suspension(cid, action, decision.reason)
                # A failed PATCH is not a suspension: the account stays unmarked and the next scan tries again.
                suspended = in_force(action)
                suspended_flag = suspended_flag or suspended
        requested = False
        if self._stage_requests is not None:
            verdict = self._stage_requests.file(change, summary, as_of, actor=actor, correlation_id=correlation_id)
            requested = verdict is Verdict.WRITE
        if change.restore:
            self._suspension.restore_locked(cid, reason=NON_PAYMENT, actor=actor, note=decision.reason,
                                            correlation_id=correlation_id)
            restored, suspended_flag = True, False
        since = as_of if change.to_stage != change.from_stage else (row.stage_since or as_of)
        self._accounts.set_stage(cid, change.to_stage, since=since, suspended_for_non_payment=suspended_flag)
        return Applied(change, suspended, restored, withheld, shadow, proposed, requested)

    def _alert_suspension(self, customer_id: str, action: Action, why: str) -> None:
        """Operators hear of every suspension for non-payment the scan made, and of every one the kill switch held."""
        if action.status == "confirmed":
            self._alerts.raise_alert("suspension_made", f"{customer_id} suspended for non-payment: {why}",
                                     {"customer_id": customer_id, "reason": NON_PAYMENT, "action_id": action.action_id})
        elif action.status == "withheld":
            self._alerts.raise_alert("suspension_withheld", f"suspension of {customer_id} for non-payment withheld by "
                                     "the kill switch (ENFORCEMENT_PAUSED)",
                                     {"customer_id": customer_id, "reason": NON_PAYMENT, "action_id": action.action_id})

    def _notice_step(self, change: PlannedChange, row: AccountRow, summary: LedgerSummary | None,
                     as_of: datetime) -> bool:
        """Customer notices for this change: a new stage episode when the customer leaves "current", the stage's
        notice when it notifies, and the notice period before a suspension. True when the suspension must wait
        for it. Notices follow NOTICES_MODE, not the enforcement mode or the kill switch."""
        if self._notices is None or summary is None:
            return False
        cid = change.customer_id
        episode = None
        if change.from_stage == CURRENT and change.to_stage != CURRENT:
            episode = self._notices.begin_episode(cid, summary)
        if change.notify:
            self._notices.stage_reached(cid, change.to_stage, summary, hold=row.hold, as_of=as_of, episode=episode)
        if not change.suspend:
            return False
        verdict = self._notices.before_suspension(cid, change.to_stage, summary, hold=row.hold, as_of=as_of)
        return not verdict.allowed
