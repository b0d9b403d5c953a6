"""Suspend and restore a customer's subscriptions in Partner Center, safely and on the record.

Rules (DESIGN.md, Partner Center):
- each subscription carries a set of reasons (non_payment, fraud, misuse, manual); suspending adds one, restoring
  removes one;
- only an `active` subscription is suspended, and the status before is recorded;
- a subscription is restored only when its reason set is empty, csp-guard suspended it, and it is still suspended;
  one suspended by hand or by anyone else is never restored;
- the action row (intent) is written before any call, and updated with the request ids of what was done, so a
  crash leaves an intent that reconcile finishes without ever sending a second PATCH for a done change;
- in shadow mode a suspension is decided and recorded and nothing is called; a restore still lifts its reason and
  reactivates what csp-guard itself suspended earlier, since keeping that would harm a customer for nothing.
All operations on one customer are serialised by a customer lock.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from lib.partner_center.errors import NotFoundError, PartnerCenterError, PreconditionFailedError
from lib.partner_center.models import CallResult, Subscription
from lib.services.partner_center_port import SubscriptionsPort
from lib.store.actions import Action, Actions
from lib.store.leases import CustomerLocks
from lib.store.subscriptions import Subscriptions, SubscriptionState
from lib.telemetry import telemetry

log = logging.getLogger("csp_guard.suspension")
REASONS = ("non_payment", "fraud", "misuse", "manual")


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


class SuspensionService:
    def __init__(self, partner_center: SubscriptionsPort, subscriptions: Subscriptions, actions: Actions,
                 locks: CustomerLocks, *, enforcing: bool,
                 on_reason_change: Callable[[str, str, bool], None] | None = None) -> None:
        # Told (customer, reason, held) whenever a reason is taken up or lifted, whoever asked: the collections
        # index keeps its non-payment flag from it, so a payment lifts an operator's non_payment suspension too.
        self._on_reason_change = on_reason_change
        self._pc = partner_center
        self._subscriptions = subscriptions
        self._actions = actions
        self.locks = locks
        self.enforcing = enforcing

    # --- public operations, each under the customer's lock ---

    def suspend(self, customer_id: str, *, reason: str, actor: str, note: str = "",
                subscription_ids: Sequence[str] | None = None, correlation_id: str | None = None) -> Action:
        check_reason(reason)
        with self.locks.hold(customer_id):
            return self.suspend_locked(customer_id, reason=reason, actor=actor, note=note,
                                       subscription_ids=subscription_ids, correlation_id=correlation_id)

    def restore(self, customer_id: str, *, reason: str, actor: str, note: str = "",
                correlation_id: str | None = None) -> Action:
        check_reason(reason)
        with self.locks.hold(customer_id):
            return self.restore_locked(customer_id, reason=reason, actor=actor, note=note,
                                       correlation_id=correlation_id)

    # --- the same, for callers that already hold the customer's lock (the scan, the payment hook) ---

    def suspend_locked(self, customer_id: str, *, reason: str, actor: str, note: str = "",
                       subscription_ids: Sequence[str] | None = None, correlation_id: str | None = None) -> Action:
        known = self._subscriptions.for_customer(customer_id)
        wanted = set(subscription_ids) if subscription_ids else None
        record = functools.partial(self._actions.record, customer_id, kind="suspend", reason=reason, actor=actor,
                                   note=note, correlation_id=correlation_id)
        if not self.enforcing:
            targets = [{"subscription_id": s.subscription_id, "from": s.pc_status, "outcome": "shadow"}
                       for s in known.values() if wanted is None or s.subscription_id in wanted]
            return record(status="shadow", targets=targets,
                                        details={"mode": "shadow", "note": "decided and recorded; nothing called"})
        scope = [s for s in known.values() if wanted is None or s.subscription_id in wanted]
        if scope and (wanted is None or len(scope) == len(wanted)) and all(reason in s.reasons for s in scope):
            # Asked again for what is already in force: an audit line, and no calls at all.
            return record(status="noop",
                                        targets=[{"subscription_id": s.subscription_id, "outcome": "already"}
                                                 for s in scope])
        live = self._list(customer_id)
        if wanted is not None:
            missing = sorted(wanted - {s.id for s in live})
            if missing:
                raise UnknownSubscriptions(f"customer {customer_id} has no subscription(s) {', '.join(missing)}")
            live = [s for s in live if s.id in wanted]
        targets = [{"subscription_id": s.id, "from": s.status, "to": "suspended" if s.status == "active" else s.status,
                    "outcome": "pending"} for s in live]
        action = record(status="intent", targets=targets)
        results = [self._suspend_one(customer_id, sub, known.get(sub.id), reason, correlation_id) for sub in live]
        self._reason_changed(customer_id, reason, held=True)
        return self._finish(action, results)

    def restore_locked(self, customer_id: str, *, reason: str, actor: str, note: str = "",
                       correlation_id: str | None = None) -> Action:
        known = self._subscriptions.for_customer(customer_id)
        affected = [s for s in known.values() if reason in s.reasons]
        record = functools.partial(self._actions.record, customer_id, kind="restore", reason=reason, actor=actor,
                                   note=note, correlation_id=correlation_id)
        # Shadow mode holds back new suspensions only. Lifting a reason, and reactivating what csp-guard itself
        # suspended while it was enforcing, always goes ahead: otherwise a customer who pays after a switch back
        # to shadow would stay locked out by csp-guard's own earlier decision.
        if not affected:
            return record(status="noop", targets=[])
        targets = [{"subscription_id": s.subscription_id, "outcome": "pending"} for s in affected]
        action = record(status="intent", targets=targets,
                        details={} if self.enforcing else {"mode": "shadow: undoing csp-guard's own suspension"})
        results = [self._restore_one(state, reason, correlation_id) for state in affected]
        self._reason_changed(customer_id, reason, held=False)
        return self._finish(action, results)

    def complete(self, action: Action) -> Action:
        """Finishes an intent or failed action (reconcile): re-checks each unfinished subscription in Partner
        Center first, so a PATCH that did land before a crash or a lost response is never sent again."""
        with self.locks.hold(action.customer_id):
            latest = self._actions.get(action.customer_id, action.action_id) or action
            if latest.status not in ("intent", "sent", "failed"):
                return latest
            results: list[dict[str, Any]] = []
            for target in latest.targets:
                if target.get("outcome") not in ("pending", "failed"):
                    results.append(dict(target))
                    continue
                results.append(self._retry_target(latest, dict(target)))
            return self._finish(latest, results)

    # --- one subscription ---

    def _suspend_one(self, customer_id: str, sub: Subscription, state: SubscriptionState | None, reason: str,
                     correlation_id: str | None) -> dict[str, Any]:
        state = (state or SubscriptionState(customer_id, sub.id)).with_reason(reason)
        state = dataclasses.replace(state, pc_status=sub.status, offer_name=sub.offer_name,
                                    commitment_end=sub.commitment_end_date)
        result: dict[str, Any] = {"subscription_id": sub.id, "from": sub.status}
        if sub.status != "active":
            # Suspended by hand, or in another state: hold our reason, but this suspension is not ours.
            self._subscriptions.save(state)
            return {**result, "to": sub.status, "outcome": "already_suspended" if sub.status == "suspended"
                    else f"not_active:{sub.status}"}
        state = self._subscriptions.save(dataclasses.replace(state, status_before="active"))
        try:
            call = self._patch(customer_id, sub, "suspended", correlation_id)
        except PartnerCenterError as exc:
            log.warning("suspend %s/%s failed: %s", customer_id, sub.id, exc)
            return {**result, "to": "suspended", "outcome": "failed", "error": exc.code_text,
                    "request_id": exc.request_id}
        if isinstance(call, Subscription):
            # Changed in Partner Center since we read it (412), and no longer active: not ours to suspend.
            self._subscriptions.save(dataclasses.replace(state, pc_status=call.status, status_before=None))
            return {**result, "to": call.status, "outcome": "already_suspended" if call.status == "suspended"
                    else f"not_active:{call.status}", "note": "changed in Partner Center meanwhile"}
        self._subscriptions.save(dataclasses.replace(state, pc_status=call.value.status, suspended_by_us=True,
                                                     suspended_at=datetime.now(UTC)))
        telemetry.suspensions.add(1, {"reason": reason})
        return {**result, "to": call.value.status, "outcome": "confirmed", "request_id": call.request_id}

    def _restore_one(self, state: SubscriptionState, reason: str, correlation_id: str | None) -> dict[str, Any]:
        state = self._subscriptions.save(state.without_reason(reason))
        result: dict[str, Any] = {"subscription_id": state.subscription_id, "remaining": sorted(state.reasons)}
        if state.reasons:
            return {**result, "outcome": "still_suspended"}
        if not state.suspended_by_us:
            return {**result, "outcome": "not_ours"}  # suspended by hand or by someone else: left alone
        return self._reactivate(state, result, correlation_id)

    def _reactivate(self, state: SubscriptionState, result: dict[str, Any],
                    correlation_id: str | None) -> dict[str, Any]:
        try:
            sub = self._pc.get_subscription(state.customer_id, state.subscription_id, correlation_id=correlation_id)
            if sub.status != "suspended":
                # Reactivated (or changed) outside csp-guard meanwhile: record it, do not touch it.
                self._subscriptions.save(dataclasses.replace(state, pc_status=sub.status, suspended_by_us=False,
                                                             drift=f"found {sub.status} when restoring"))
                return {**result, "outcome": f"already_{sub.status}"}
            call = self._patch(state.customer_id, sub, state.status_before or "active", correlation_id)
        except PartnerCenterError as exc:
            log.warning("restore %s/%s failed: %s", state.customer_id, state.subscription_id, exc)
            return {**result, "outcome": "failed", "error": exc.code_text, "request_id": exc.request_id}
        if isinstance(call, Subscription):  # reactivated or changed outside csp-guard meanwhile (412): left alone
            self._subscriptions.save(dataclasses.replace(state, pc_status=call.status, suspended_by_us=False,
                                                         drift=f"found {call.status} when restoring"))
            return {**result, "outcome": f"already_{call.status}"}
        self._subscriptions.save(dataclasses.replace(state, pc_status=call.value.status, suspended_by_us=False,
                                                     status_before=None, suspended_at=None))
        telemetry.restores.add(1)
        return {**result, "to": call.value.status, "outcome": "confirmed", "request_id": call.request_id}

    def _retry_target(self, action: Action, target: dict[str, Any]) -> dict[str, Any]:
        customer_id, sub_id = action.customer_id, str(target["subscription_id"])
        state = self._subscriptions.get(customer_id, sub_id)
        if action.kind == "restore":
            if state is None or state.reasons or not state.suspended_by_us:
                return {**target, "outcome": "superseded"}
            return self._reactivate(state, {"subscription_id": sub_id, "remaining": []}, action.correlation_id)
        if state is None or action.reason not in state.reasons:
            return {**target, "outcome": "superseded"}  # restored since: nothing left to do
        try:
            sub = self._pc.get_subscription(customer_id, sub_id, correlation_id=action.correlation_id)
        except PartnerCenterError as exc:
            return {**target, "outcome": "failed", "error": exc.code_text, "request_id": exc.request_id}
        if sub.status == "suspended":
            # Our PATCH landed although we never heard back; we recorded the intent, so the suspension is ours.
            self._subscriptions.save(dataclasses.replace(state, pc_status="suspended", suspended_by_us=True,
                                                         suspended_at=state.suspended_at or datetime.now(UTC)))
            return {**target, "outcome": "confirmed", "to": "suspended", "note": "found already applied"}
        return self._suspend_one(customer_id, sub, state, action.reason, action.correlation_id)

    def _patch(self, customer_id: str, sub: Subscription, status: str,
               correlation_id: str | None) -> CallResult[Subscription] | Subscription:
        """The status PATCH, sent with the etag read (If-Match). A 412 means the subscription changed since: read
        it again and decide again. Still in the state we read: PATCH once more with the new etag. Otherwise the
        fresh subscription is returned, untouched, for the caller to record."""
        try:
            return self._pc.set_subscription_status(customer_id, sub, status, correlation_id=correlation_id)
        except PreconditionFailedError:
            fresh = self._pc.get_subscription(customer_id, sub.id, correlation_id=correlation_id)
            if fresh.status != sub.status:
                return fresh
            return self._pc.set_subscription_status(customer_id, fresh, status, correlation_id=correlation_id)

    def _reason_changed(self, customer_id: str, reason: str, *, held: bool) -> None:
        if self._on_reason_change is not None:
            self._on_reason_change(customer_id, reason, held)

    def _list(self, customer_id: str) -> list[Subscription]:
        try:
            return list(self._pc.list_subscriptions(customer_id))
        except NotFoundError as exc:
            raise CustomerNotInPartnerCenter(f"Partner Center has no customer {customer_id}") from exc

    def _finish(self, action: Action, results: list[dict[str, Any]]) -> Action:
        failed = any(r.get("outcome") == "failed" for r in results)
        return self._actions.update(action, status="failed" if failed else "confirmed", targets=results,
                                    attempted=True)
