"""Suspend and restore a customer's subscriptions in Partner Center, safely and on the record.

Rules (DESIGN.md, Partner Center):
- each subscription carries a set of reasons (non_payment, fraud, misuse, manual); suspending adds one, restoring
  removes one;
- only an `active` subscription is suspended, and the status before is recorded;
- a subscription is restored only when its reason set is empty, csp-guard suspended it, and it is still suspended;
  one suspended by hand or by anyone else is never restored;
- the action row (intent) is written before any call, and updated with the request ids of what was done, so a
  crash leaves an intent that reconcile finishes without ever sending a second PATCH for a done change;
- every PATCH goes through the write gate: who asks (automatic, an operator, a restore of our own) and the mode
  decide whether it is made, recorded only, or proposed; a restore always reactivates what csp-guard itself
  suspended, since keeping that would harm a customer for nothing;
- a failed suspension is not a suspension: after a definite refusal (4xx, or retries exhausted on 429/5xx) the
  reason is not held and the account is not marked, so the next scan tries again; after a PATCH that ended without
  an answer the reason is held with the PATCH's request id, and a `suspended` found later is taken as ours.
All operations on one customer are serialised by a customer lock.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lib.partner_center.errors import NotFoundError, PartnerCenterError
from lib.partner_center.models import Subscription
from lib.services.partner_center_port import SubscriptionsPort
from lib.services.subscription_writes import SubscriptionWrites
from lib.services.write_gate import Asker, Verdict, WriteGate, WriteKind
from lib.store.actions import Action, Actions
from lib.store.leases import CustomerLocks
from lib.store.subscriptions import Subscriptions, SubscriptionState

REASONS = ("non_payment", "fraud", "misuse", "manual")
IN_FORCE = ("confirmed", "already_suspended", "already")  # target outcomes that leave the reason in force
PATCH = WriteKind.SUBSCRIPTION_STATUS


class UnknownReason(ValueError):
    def __init__(self, reason: object) -> None:
        super().__init__(f"reason must be one of {', '.join(REASONS)}, got {reason!r}")


class UnknownSubscriptions(ValueError):
    pass


class CustomerNotInPartnerCenter(LookupError):
    pass


def check_reason(reason: object) -> str:
    if not isinstance(reason, str) or reason not in REASONS:
        raise UnknownReason(reason)
    return reason


def in_force(action: Action) -> bool:
    """The action left its reason in force on at least one subscription (a failed PATCH is not a suspension)."""
    return any(t.get("outcome") in IN_FORCE for t in action.targets)


class SuspensionService:
    def __init__(self, partner_center: SubscriptionsPort, gate: WriteGate, subscriptions: Subscriptions,
                 actions: Actions, locks: CustomerLocks,
                 on_reason_change: Callable[[str, str, bool], None] | None = None) -> None:
        # Told (customer, reason, held) whenever a reason is taken up or lifted, whoever asked: the collections
        # index keeps its non-payment flag from it, so a payment lifts an operator's non_payment suspension too.
        self._on_reason_change = on_reason_change
        self._pc = partner_center
        self._one = SubscriptionWrites(partner_center, gate, subscriptions)
        self.gate = gate
        self._subscriptions = subscriptions
        self._actions = actions
        self.locks = locks

    # --- public operations, each under the customer's lock ---

    def suspend(self, customer_id: str, *, reason: str, actor: str, asker: Asker, note: str = "",
                subscription_ids: Sequence[str] | None = None, correlation_id: str | None = None,
                context: Mapping[str, Any] | None = None) -> Action:
        check_reason(reason)
        with self.locks.hold(customer_id):
            return self.suspend_locked(customer_id, reason=reason, actor=actor, asker=asker, note=note,
                                       subscription_ids=subscription_ids, correlation_id=correlation_id,
                                       context=context)

    def restore(self, customer_id: str, *, reason: str, actor: str, note: str = "",
                correlation_id: str | None = None) -> Action:
        check_reason(reason)
        with self.locks.hold(customer_id):
            return self.restore_locked(customer_id, reason=reason, actor=actor, note=note,
                                       correlation_id=correlation_id)

    # --- the same, for callers that already hold the customer's lock (the scan, the payment hook) ---

    def suspend_locked(self, customer_id: str, *, reason: str, actor: str, asker: Asker, note: str = "",
                       subscription_ids: Sequence[str] | None = None, correlation_id: str | None = None,
                       context: Mapping[str, Any] | None = None) -> Action:
        """`context`: what a proposal or a held-back record should carry besides (the stage facts, the case)."""
        known = self._subscriptions.for_customer(customer_id)
        wanted = set(subscription_ids) if subscription_ids else None
        record = functools.partial(self._actions.record, customer_id, kind="suspend", reason=reason, actor=actor,
                                   note=note, correlation_id=correlation_id)
        verdict = self.gate.verdict(asker, PATCH)
        if verdict is not Verdict.WRITE:
            return self._held_back(customer_id, verdict, asker, known, wanted, reason=reason, actor=actor, note=note,
                                   correlation_id=correlation_id, context=context or {})
        scope = [s for s in known.values() if wanted is None or s.subscription_id in wanted]
        if scope and (wanted is None or len(scope) == len(wanted)) and all(
                reason in s.reasons and not s.unanswered_request_id for s in scope):
            # Asked again for what is already in force: an audit line, and no calls at all.
            return record(status="noop",
                          targets=[{"subscription_id": s.subscription_id, "outcome": "already"} for s in scope])
        live = self._list(customer_id)
        if wanted is not None:
            missing = sorted(wanted - {s.id for s in live})
            if missing:
                raise UnknownSubscriptions(f"customer {customer_id} has no subscription(s) {', '.join(missing)}")
            live = [s for s in live if s.id in wanted]
        targets = [{"subscription_id": s.id, "from": s.status, "to": "suspended" if s.status == "active" else s.status,
                    "outcome": "pending"} for s in live]
        action = record(status="intent", targets=targets, details={"asker": asker.value})
        results = [self._one.suspend(customer_id, sub, known.get(sub.id), reason, asker, correlation_id)
                   for sub in live]
        finished = self._finish(action, results)
        if in_force(finished):
            self._reason_changed(customer_id, reason, held=True)
        return finished

    def restore_locked(self, customer_id: str, *, reason: str, actor: str, note: str = "",
                       correlation_id: str | None = None) -> Action:
        known = self._subscriptions.for_customer(customer_id)
        affected = [s for s in known.values() if reason in s.reasons]
        record = functools.partial(self._actions.record, customer_id, kind="restore", reason=reason, actor=actor,
                                   note=note, correlation_id=correlation_id)
        # Lifting a reason is our own bookkeeping, and reactivating what csp-guard itself suspended is a write the
        # gate always allows: otherwise a customer who pays after a switch to shadow would stay locked out by
        # csp-guard's own earlier decision.
        if not affected:
            return record(status="noop", targets=[])
        targets = [{"subscription_id": s.subscription_id, "outcome": "pending"} for s in affected]
        action = record(status="intent", targets=targets, details={"mode": self.gate.mode})
        results = [self._one.restore(state, reason, correlation_id) for state in affected]
        self._reason_changed(customer_id, reason, held=False)
        return self._finish(action, results)

    def complete(self, action: Action) -> Action:
        """Finishes an intent or failed action (reconcile's retry, an automatic write): re-checks each unfinished
        subscription in Partner Center first, so a PATCH that did land before a crash or a lost answer is never
        sent again and is taken as ours; a new PATCH is sent only where the gate allows it now."""
        with self.locks.hold(action.customer_id):
            latest = self._actions.get(action.customer_id, action.action_id) or action
            if latest.status not in ("intent", "sent", "failed"):
                return latest
            if self._superseded(latest):
                return self._actions.update(latest, status="superseded")
            # A restore of our own is always allowed; a suspension is re-sent only where the gate allows an
            # automatic write now. Held back, only what needs no write is done (taking a landed PATCH as ours),
            # and the attempt is not counted.
            may_write = latest.kind == "restore" or self.gate.verdict(Asker.AUTOMATIC, PATCH) is Verdict.WRITE
            results = [self._retry_target(latest, dict(t), may_write) if t.get("outcome") in ("pending", "failed")
                       else dict(t) for t in latest.targets]
            if not may_write and [r.get("outcome") for r in results] == [t.get("outcome") for t in latest.targets]:
                return dataclasses.replace(latest, targets=tuple(results))  # held, and nothing learnt: no write
            finished = self._finish(latest, results, attempted=may_write)
            if latest.kind == "suspend" and in_force(finished) and not in_force(latest):
                self._reason_changed(latest.customer_id, latest.reason, held=True)
            return finished

    # --- one subscription ---

    def _held_back(self, customer_id: str, verdict: Verdict, asker: Asker, known: dict[str, SubscriptionState],
                   wanted: set[str] | None, *, reason: str, actor: str, note: str,
                   correlation_id: str | None, context: Mapping[str, Any]) -> Action:
        """Shadow mode, the kill switch or review mode: decided and recorded (or proposed); nothing called."""
        scope = [s for s in known.values() if wanted is None or s.subscription_id in wanted]
        details = {**context, **self.gate.why_not(asker, PATCH),
                   "subscription_ids": sorted(wanted) if wanted else None}
        if verdict is Verdict.PROPOSE:
            return self.gate.propose(customer_id, PATCH, reason=reason, actor=actor, evidence=note, details=details,
                                     correlation_id=correlation_id)
        status = self.gate.record_status(asker, PATCH)
        targets = [{"subscription_id": s.subscription_id, "from": s.pc_status, "outcome": status} for s in scope]
        return self._actions.record(customer_id, kind="suspend", reason=reason, actor=actor, note=note,
                                    status=status, targets=targets, details=details, correlation_id=correlation_id)

    def _retry_target(self, action: Action, target: dict[str, Any], may_write: bool) -> dict[str, Any]:
        customer_id, sub_id = action.customer_id, str(target["subscription_id"])
        state = self._subscriptions.get(customer_id, sub_id)
        if action.kind == "restore":
            if state is None or state.reasons or not state.suspended_by_us:
                return {**target, "outcome": "superseded"}
            return self._one.reactivate(state, {"subscription_id": sub_id, "remaining": []}, action.correlation_id)
        no_answer = target.get("outcome") == "pending" or target.get("answer") == "none"
        if no_answer and (state is None or action.reason not in state.reasons):
            return {**target, "outcome": "superseded"}  # restored since: nothing left to do
        try:
            sub = self._pc.get_subscription(customer_id, sub_id, correlation_id=action.correlation_id)
        except PartnerCenterError as exc:
            return {**target, "outcome": "failed", "error": exc.code_text, "request_id": exc.request_id}
        if no_answer and state is not None:
            # A crash or a lost answer: the PATCH may have landed, and if so it is ours (recorded as an intent).
            state = dataclasses.replace(state, unanswered_request_id=state.unanswered_request_id
                                        or str(target.get("request_id") or "?"))
            if sub.status == "suspended":
                return {**target, **self._one.suspend(customer_id, sub, state, action.reason, Asker.AUTOMATIC,
                                                      action.correlation_id)}
        if not may_write:
            return {**target, "held_by": self.gate.why_not(Asker.AUTOMATIC, PATCH)["withheld_by"]}
        return self._one.suspend(customer_id, sub, state, action.reason, Asker.AUTOMATIC, action.correlation_id)

    def _superseded(self, action: Action) -> bool:
        """A later decision on the same reason (a new suspension, a restore) replaces an unfinished one."""
        return any(later.action_id > action.action_id and later.kind in ("suspend", "restore")
                   and later.reason == action.reason and later.status not in ("shadow", "withheld", "proposed")
                   for later in self._actions.for_customer(action.customer_id))

    def _reason_changed(self, customer_id: str, reason: str, *, held: bool) -> None:
        if self._on_reason_change is not None:
            self._on_reason_change(customer_id, reason, held)

    def _list(self, customer_id: str) -> list[Subscription]:
        try:
            return list(self._pc.list_subscriptions(customer_id))
        except NotFoundError as exc:
            raise CustomerNotInPartnerCenter(f"Partner Center has no customer {customer_id}") from exc

    def _finish(self, action: Action, results: list[dict[str, Any]], *, attempted: bool = True) -> Action:
        unfinished = any(r.get("outcome") in ("failed", "pending") for r in results)
        return self._actions.update(action, status="failed" if unfinished else "confirmed", targets=results,
                                    attempted=attempted)
