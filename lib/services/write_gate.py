"""The one write gate: every write csp-guard makes to Partner Center passes here (DESIGN.md, "One write gate").

`decide` is the table, as a pure function of who asks, the mode, the kill switch and the kind of write:

| who asks                         | shadow      | review    | enforce | ENFORCEMENT_PAUSED=true |
|----------------------------------|-------------|-----------|---------|-------------------------|
| automatic (scan, poll, webhook,  | record only | propose   | write   | record only             |
|   reconcile retries)             |             |           |         |                         |
| an operator, explicitly          | record only | write     | write   | write                   |
| restoring what csp-guard itself  | write       | write     | write   | write                   |
|   suspended                      |             |           |         |                         |

A customer notice (an e-mail to a customer's inbox) is the fourth kind of write; DESIGN.md's table leaves it to
NOTICES_MODE instead ("Customer notices follow NOTICES_MODE instead"), so `decide_notice` answers for it: `send`
writes, `record` records, whatever ENFORCEMENT_MODE or the kill switch say (a notice is what makes a later
suspension fair, so shadow mode must not silence it). The outbox and the sender ask it before anything is queued
or mailed.

`WriteGate` is what services hold instead of the client's write methods. Each of its writes decides again and
refuses (WriteRefused) anything the table does not allow, so a caller that forgot to ask cannot write anyway, and
checks that the customer's lock, when the caller holds it, is still held (LeaseLost otherwise: two writers never
act on one customer at once). A unit test scans the code base and fails if anything but this module calls the
client's write methods.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Protocol

from lib.partner_center.models import CallResult, ServiceRequest, Subscription
from lib.partner_center.webhook_models import WebhookRegistration, WebhookValidation
from lib.services.proposal_recording import ProposalRecorder
from lib.store.actions import Action
from lib.store.leases import ensure_customer_lock


class Asker(enum.Enum):
    AUTOMATIC = "automatic"  # the scan, the fraud poll, Partner Center's webhook, reconcile's retries
    OPERATOR = "operator"  # a person, explicitly: HTTP, CLI, approving a proposal
    RESTORE_OWN = "restore_own"  # reactivating what csp-guard itself suspended


class WriteKind(enum.Enum):
    SUBSCRIPTION_STATUS = "subscription_status"  # PATCH /v1/customers/{id}/subscriptions/{sub}
    USAGE_BUDGET = "usage_budget"  # PATCH /v1/customers/{id}/usagebudget
    SERVICE_REQUEST = "service_request"  # POST /v1/servicerequests/{locale} (and the queue message before it)


class Verdict(enum.Enum):
    WRITE = "write"
    RECORD = "record"  # decide and record; call nothing
    PROPOSE = "propose"  # record a proposal an operator may approve


MODES = ("shadow", "review", "enforce")


class WriteRefused(RuntimeError):
    """A write the gate does not allow reached it (a caller that did not ask first)."""


def decide(asker: Asker, kind: WriteKind, *, mode: str, paused: bool) -> Verdict:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if asker is Asker.RESTORE_OWN:
        if kind is not WriteKind.SUBSCRIPTION_STATUS:
            raise ValueError("only a subscription's status can be restored")
        # Never strands a customer behind csp-guard's own earlier suspension, whatever the mode or switch.
        return Verdict.WRITE
    if asker is Asker.OPERATOR:
        return Verdict.RECORD if mode == "shadow" else Verdict.WRITE
    if paused:
        return Verdict.RECORD
    return {"shadow": Verdict.RECORD, "review": Verdict.PROPOSE, "enforce": Verdict.WRITE}[mode]


def decide_notice(notices_mode: str) -> Verdict:
    """May a customer notice leave csp-guard? NOTICES_MODE decides: `send` writes, anything else records."""
    return Verdict.WRITE if notices_mode == "send" else Verdict.RECORD


class PartnerCenterWriter(Protocol):
    """The client's write methods; only the gate holds them."""

    def set_subscription_status(self, customer_id: str, subscription: Subscription, status: str, *,
                                correlation_id: str | None = None) -> CallResult[Subscription]:
        ...

    def set_usage_budget(self, customer_id: str, amount_minor: int, *,
                         correlation_id: str | None = None) -> CallResult[dict[str, Any]]:
        ...

    def create_service_request(self, *, title: str, description: str, severity: str, support_topic_id: str,
                               agent_locale: str | None = None,
                               correlation_id: str | None = None) -> CallResult[ServiceRequest]:
        ...

    def register_webhooks(self, url: str, events: list[str], *, signature_in_ms_signature_header: bool = False,
                          correlation_id: str | None = None) -> WebhookRegistration:
        ...

    def request_test_event(self, *, correlation_id: str | None = None) -> WebhookValidation:
        ...


class WriteGate:
    def __init__(self, writer: PartnerCenterWriter, proposals: ProposalRecorder, *, mode: str,
                 paused: bool) -> None:
        decide(Asker.AUTOMATIC, WriteKind.USAGE_BUDGET, mode=mode, paused=paused)  # refuses an unknown mode now
        self._writer = writer
        self._proposals = proposals
        self.mode = mode
        self.paused = paused

    def verdict(self, asker: Asker, kind: WriteKind) -> Verdict:
        return decide(asker, kind, mode=self.mode, paused=self.paused)

    def why_not(self, asker: Asker, kind: WriteKind) -> dict[str, str]:
        """What an action row records when the gate held a write back: the mode, and the switch if it decided."""
        held_by = "kill_switch" if self.paused and asker is Asker.AUTOMATIC else f"{self.mode}_mode"
        return {"gate": self.verdict(asker, kind).value, "asker": asker.value, "mode": self.mode,
                "withheld_by": held_by}

    def record_status(self, asker: Asker, kind: WriteKind) -> str:
        """The action status for a write recorded and not made: `withheld` by the kill switch, else `shadow`."""
        return "withheld" if self.paused and asker is Asker.AUTOMATIC else "shadow"

    def propose(self, customer_id: str, kind: WriteKind, *, reason: str, actor: str, evidence: str,
                details: Mapping[str, Any] | None = None, correlation_id: str | None = None) -> Action:
        return self._proposals.propose(customer_id, kind=kind.value, reason=reason, actor=actor, evidence=evidence,
                                       details=details or {}, correlation_id=correlation_id)

    # --- the writes themselves ---

    def write_subscription_status(self, asker: Asker, customer_id: str, subscription: Subscription, status: str,
                                  *, correlation_id: str | None = None) -> CallResult[Subscription]:
        if asker is Asker.RESTORE_OWN and status == "suspended":
            raise WriteRefused("a restore cannot suspend")
        self._allow(asker, WriteKind.SUBSCRIPTION_STATUS, customer_id)
        return self._writer.set_subscription_status(customer_id, subscription, status, correlation_id=correlation_id)

    def write_usage_budget(self, asker: Asker, customer_id: str, amount_minor: int, *,
                           correlation_id: str | None = None) -> CallResult[dict[str, Any]]:
        self._allow(asker, WriteKind.USAGE_BUDGET, customer_id)
        return self._writer.set_usage_budget(customer_id, amount_minor, correlation_id=correlation_id)

    def file_service_request(self, asker: Asker, *, customer_id: str, title: str, description: str, severity: str,
                             support_topic_id: str, agent_locale: str | None = None,
                             correlation_id: str | None = None) -> CallResult[ServiceRequest]:
        self._allow(asker, WriteKind.SERVICE_REQUEST, customer_id)
        return self._writer.create_service_request(title=title, description=description, severity=severity,
                                                   support_topic_id=support_topic_id, agent_locale=agent_locale,
                                                   correlation_id=correlation_id)

    # --- the partner's own configuration: Partner Center's webhook registration ---

    def configure_webhooks(self, asker: Asker, url: str, events: list[str], *,
                          signature_in_ms_signature_header: bool = False) -> WebhookRegistration:
        self._allow_configuration(asker, "webhook registration")
        return self._writer.register_webhooks(url, events,
                                              signature_in_ms_signature_header=signature_in_ms_signature_header)

    def ask_for_test_event(self, asker: Asker) -> WebhookValidation:
        self._allow_configuration(asker, "webhook test event")
        return self._writer.request_test_event()

    @staticmethod
    def _allow_configuration(asker: Asker, what: str) -> None:
        """Configuration changes no customer, so neither the mode nor the kill switch holds it back (shadow mode
        needs Partner Center's events to decide anything); but only an operator, explicitly, ever makes it."""
        if asker is not Asker.OPERATOR:
            raise WriteRefused(f"{what} asked by {asker.value}: only an operator configures Partner Center")

    def _allow(self, asker: Asker, kind: WriteKind, customer_id: str) -> None:
        verdict = self.verdict(asker, kind)
        if verdict is not Verdict.WRITE:
            raise WriteRefused(f"{kind.value} asked by {asker.value} in {self.mode} mode"
                               f"{' with ENFORCEMENT_PAUSED' if self.paused else ''}: {verdict.value}, not write")
        ensure_customer_lock(customer_id)
