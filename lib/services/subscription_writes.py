"""One subscription's PATCH, suspending or restoring it, and the bookkeeping of whose suspension it is.

A suspension is csp-guard's own when its PATCH succeeded, or ended without an answer (timeout, lost connection:
the request id is kept on the subscription) and Partner Center then shows it `suspended`. After a definite refusal
(a 4xx, or 429/5xx that outlasted the retries) the PATCH is not a suspension: the reason is not held, and a
`suspended` found later belongs to whoever made it. Every PATCH goes through the write gate.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import Any

from lib.partner_center.errors import AuthenticationError, PartnerCenterError, PreconditionFailedError
from lib.partner_center.models import CallResult, Subscription
from lib.services.partner_center_port import SubscriptionsPort
from lib.services.write_gate import Asker, WriteGate
from lib.store.subscriptions import Subscriptions, SubscriptionState
from lib.telemetry import telemetry

log = logging.getLogger("csp_guard.suspension")


def unanswered(exc: PartnerCenterError) -> bool:
    """The PATCH ended without an answer (timeout, lost connection), so it may have been applied. Anything
    Partner Center answered, a 4xx or a 429/5xx that outlasted the retries, is a definite refusal; so is a call
    that never left for want of a token."""
    if isinstance(exc, AuthenticationError):
        return False
    return exc.status is None or exc.status < 300



class SubscriptionWrites:
    def __init__(self, partner_center: SubscriptionsPort, gate: WriteGate, subscriptions: Subscriptions) -> None:
        self._pc = partner_center
        self._gate = gate
        self._subscriptions = subscriptions

    def suspend(self, customer_id: str, sub: Subscription, before: SubscriptionState | None, reason: str,
                     asker: Asker, correlation_id: str | None) -> dict[str, Any]:
        before = before or SubscriptionState(customer_id, sub.id)
        state = dataclasses.replace(before.with_reason(reason), pc_status=sub.status, offer_name=sub.offer_name,
                                    commitment_end=sub.commitment_end_date)
        result: dict[str, Any] = {"subscription_id": sub.id, "from": sub.status}
        if sub.status == "suspended" and state.unanswered_request_id:
            # Our own PATCH ended without an answer, and Partner Center shows it applied: the suspension is ours.
            self._subscriptions.save(dataclasses.replace(
                state, suspended_by_us=True, status_before=state.status_before or "active", unanswered_request_id=None,
                suspended_at=state.suspended_at or datetime.now(UTC)))
            return {**result, "to": "suspended", "outcome": "confirmed", "note": "found applied after no answer",
                    "request_id": state.unanswered_request_id}
        if sub.status != "active":
            # Suspended by hand, or in another state: hold our reason, but this suspension is not ours.
            self._subscriptions.save(dataclasses.replace(state, unanswered_request_id=None))
            return {**result, "to": sub.status, "outcome": "already_suspended" if sub.status == "suspended"
                    else f"not_active:{sub.status}"}
        state = self._subscriptions.save(dataclasses.replace(state, status_before="active"))
        try:
            call = self._patch(asker, customer_id, sub, "suspended", correlation_id)
        except PartnerCenterError as exc:
            log.warning("suspend %s/%s failed: %s", customer_id, sub.id, exc)
            failed = {**result, "to": "suspended", "outcome": "failed", "error": exc.code_text,
                      "request_id": exc.request_id}
            if unanswered(exc):
                self._subscriptions.save(dataclasses.replace(state, unanswered_request_id=exc.request_id or "?"))
                return {**failed, "answer": "none"}
            # Refused: nothing is in force, so the reason is not held and the next scan tries again.
            self._subscriptions.save(dataclasses.replace(before, pc_status=sub.status, unanswered_request_id=None,
                                                         etag=state.etag))
            return {**failed, "answer": "refused"}
        if isinstance(call, Subscription):
            # Changed in Partner Center since we read it (412), and no longer active: not ours to suspend.
            # Like any subscription found not active: our reason is held, the suspension is not ours.
            self._subscriptions.save(dataclasses.replace(state, pc_status=call.status, status_before=None,
                                                         unanswered_request_id=None))
            return {**result, "to": call.status, "outcome": "already_suspended" if call.status == "suspended"
                    else f"not_active:{call.status}", "note": "changed in Partner Center meanwhile"}
        self._subscriptions.save(dataclasses.replace(state, pc_status=call.value.status, suspended_by_us=True,
                                                     unanswered_request_id=None, suspended_at=datetime.now(UTC)))
        telemetry.suspensions.add(1, {"reason": reason})
        return {**result, "to": call.value.status, "outcome": "confirmed", "request_id": call.request_id}

    def restore(self, state: SubscriptionState, reason: str, correlation_id: str | None) -> dict[str, Any]:
        state = self._subscriptions.save(state.without_reason(reason))
        result: dict[str, Any] = {"subscription_id": state.subscription_id, "remaining": sorted(state.reasons)}
        if state.reasons:
            return {**result, "outcome": "still_suspended"}
        if state.unanswered_request_id and not state.suspended_by_us:
            return self._restore_unanswered(state, result, correlation_id)
        if not state.suspended_by_us:
            return {**result, "outcome": "not_ours"}  # suspended by hand or by someone else: left alone
        return self.reactivate(state, result, correlation_id)

    def _restore_unanswered(self, state: SubscriptionState, result: dict[str, Any],
                            correlation_id: str | None) -> dict[str, Any]:
        """Our suspending PATCH ended without an answer and nothing settled it since: if it landed, the suspension
        is ours and is undone; if not, there is nothing to undo."""
        try:
            sub = self._pc.get_subscription(state.customer_id, state.subscription_id, correlation_id=correlation_id)
        except PartnerCenterError as exc:
            return {**result, "outcome": "failed", "error": exc.code_text, "request_id": exc.request_id}
        if sub.status != "suspended":
            self._subscriptions.save(dataclasses.replace(state, pc_status=sub.status, unanswered_request_id=None))
            return {**result, "outcome": "never_applied"}
        ours = self._subscriptions.save(dataclasses.replace(
            state, pc_status="suspended", suspended_by_us=True, status_before=state.status_before or "active",
            unanswered_request_id=None))
        return self.reactivate(ours, result, correlation_id)

    def reactivate(self, state: SubscriptionState, result: dict[str, Any],
                    correlation_id: str | None) -> dict[str, Any]:
        try:
            sub = self._pc.get_subscription(state.customer_id, state.subscription_id, correlation_id=correlation_id)
            if sub.status != "suspended":
                # Reactivated (or changed) outside csp-guard meanwhile: record it, do not touch it.
                self._subscriptions.save(dataclasses.replace(state, pc_status=sub.status, suspended_by_us=False,
                                                             drift=f"found {sub.status} when restoring"))
                return {**result, "outcome": f"already_{sub.status}"}
            call = self._patch(Asker.RESTORE_OWN, state.customer_id, sub, state.status_before or "active",
                               correlation_id)
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

    def _patch(self, asker: Asker, customer_id: str, sub: Subscription, status: str,
               correlation_id: str | None) -> CallResult[Subscription] | Subscription:
        """The status PATCH through the gate, sent with the etag read (If-Match). A 412 means the subscription
        changed since: read it again and decide again. Still in the state we read: PATCH once more with the new
        etag. Otherwise the fresh subscription is returned, untouched, for the caller to record."""
        try:
            return self._gate.write_subscription_status(asker, customer_id, sub, status, correlation_id=correlation_id)
        except PreconditionFailedError:
            fresh = self._pc.get_subscription(customer_id, sub.id, correlation_id=correlation_id)
            if fresh.status != sub.status:
                return fresh
            return self._gate.write_subscription_status(asker, customer_id, fresh, status,
                                                       correlation_id=correlation_id)
