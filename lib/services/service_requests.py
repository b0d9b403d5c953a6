"""21Vianet service requests about suspicious activity, created exactly once per case.

Operators, the fraud rules and the policy's `service_request` stage action open a case and ask for a request. The
write gate decides first: allowed, a message goes on the queue (carrying who asked); recorded only or proposed, an
action row says so and nothing is queued. The queue function asks the gate again (the mode may have changed while
the message waited), then creates the service request through Partner Center with a title and description
21Vianet can act on (service_request_text.py). Exactly once, even when the message is delivered twice or the
function crashes after the POST: the request's title carries the case id, the case row keeps the created id, and
before creating anything the function checks the case row and then Partner Center's own list of service requests
for that case id. Everything for one customer runs under the customer's lock.

Partner Center's service-request API is documented for Partner Center and US Gov, not for the Partner Center
operated by 21Vianet (create-a-service-request, "Applies to"). Where it answers 404 or 403, the case is recorded as
`needs_manual_report`, with the text an operator can paste into 21Vianet's portal, and an alert is raised: never a
crash, never silence.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lib.domain.event_fields import EventValidationError, customer_id_field
from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.errors import NotFoundError, PartnerCenterError
from lib.services.ops_alerts import LoggingOpsAlerts, OpsAlerts
from lib.services.queue_delivery import deliver
from lib.services.service_request_text import (
    RequestFacts,
    concerned_subscriptions,
    plain_title,
    request_description,
    request_title,
)
from lib.services.write_gate import Asker, Verdict, WriteGate, WriteKind
from lib.store.actions import Actions
from lib.store.cases import Case, Cases
from lib.store.errors import ConcurrencyConflict
from lib.store.leases import CustomerLocks
from lib.store.queues import MessageQueue
from lib.store.subscriptions import Subscriptions

log = logging.getLogger("csp_guard.service_requests")
# As create-a-service-request documents them (lower case); a message may spell them in any case.
SEVERITIES = ("minimal", "moderate", "critical")
NEEDS_MANUAL_REPORT = "needs_manual_report"
UNAVAILABLE_STATUSES = (403, 404)
TOPIC_NAME_HINTS = ("fraud", "suspicious", "欺诈", "可疑")
REQUEST = WriteKind.SERVICE_REQUEST
__all__ = ["InvalidMessage", "NoSupportTopic", "ServiceRequestMessage", "ServiceRequestService", "UnknownCase",
           "parse_message", "request_title"]


class InvalidMessage(ValueError):
    """A queue message that can never succeed: it goes straight to the poison queue with this reason."""


class NoSupportTopic(RuntimeError):
    pass


class UnknownCase(LookupError):
    """An operator named a case the customer does not have."""


@dataclass(frozen=True)
class ServiceRequestMessage:
    case_id: str
    customer_id: str
    title: str
    description: str
    severity: str
    support_topic_id: str | None = None
    asker: str = Asker.AUTOMATIC.value  # who asked; a message from before this field is taken as automatic

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


def parse_message(body: bytes) -> ServiceRequestMessage:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidMessage(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidMessage("not a JSON object")
    for name in ("case_id", "customer_id", "title", "description", "severity"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise InvalidMessage(f"{name} is missing or empty")
    try:
        customer = customer_id_field(data["customer_id"], "customer_id")
    except EventValidationError as exc:
        raise InvalidMessage(str(exc)) from None
    if data["severity"].lower() not in SEVERITIES:
        raise InvalidMessage(f"severity must be one of {', '.join(SEVERITIES)}, got {data['severity']!r}")
    topic = data.get("support_topic_id")
    if topic is not None and (not isinstance(topic, str) or not topic):
        raise InvalidMessage("support_topic_id must be a non-empty string when given")
    asker = data.get("asker", Asker.AUTOMATIC.value)
    if asker not in (Asker.AUTOMATIC.value, Asker.OPERATOR.value):
        raise InvalidMessage(f"asker must be automatic or operator, got {asker!r}")
    return ServiceRequestMessage(data["case_id"], customer, data["title"].strip(), data["description"],
                                 data["severity"].lower(), topic, asker)


class ServiceRequestService:
    def __init__(self, partner_center: PartnerCenterClient, gate: WriteGate, cases: Cases, queue: MessageQueue,
                 locks: CustomerLocks, actions: Actions, subscriptions: Subscriptions, *, topic_id: str | None,
                 agent_locale: str, after_post: Callable[[str], None] | None = None,
                 alerts: OpsAlerts | None = None) -> None:
        self._pc = partner_center
        self._alerts = alerts or LoggingOpsAlerts()
        self._gate = gate
        self._cases = cases
        self._queue = queue
        self._locks = locks
        self._actions = actions
        self._subscriptions = subscriptions
        self._topic_id = topic_id
        self._locale = agent_locale
        self._after_post = after_post  # tests inject a crash here
        self._topic_lock = threading.Lock()

    def request(self, case: Case, *, asker: Asker, actor: str, correlation_id: str | None = None) -> Verdict:
        """Asks for a service request about `case`: queued when the gate allows the write, else recorded as an
        action (or a proposal) and not queued. Returns the gate's verdict."""
        verdict = self._gate.verdict(asker, REQUEST)
        if verdict is Verdict.WRITE:
            message = ServiceRequestMessage(case.case_id, case.customer_id, case.title, case.description,
                                            case.severity.lower(), asker=asker.value)
            self._queue.send_json(message.as_json())
        else:
            self._held_back(case, verdict, asker, actor, correlation_id)
        return verdict

    def operator_request(self, customer_id: str, *, title: str, description: str, severity: str, reason: str,
                         case_id: str | None, actor: str) -> tuple[Case, Verdict]:
        """`POST /api/customers/{id}/service-requests`: a new case in the operator's words (or new words for one of
        the customer's cases), then a request asked for by an operator."""
        if case_id is not None:
            found = self._cases.get(customer_id, case_id)
            if found is None:
                raise UnknownCase(f"no case {case_id} for this customer")
            case = self._cases.save(dataclasses.replace(found, title=title, description=description,
                                                        severity=severity))
        else:
            case = self._cases.open(customer_id, reason=reason, title=title, description=description,
                                    severity=severity, source=f"operator:{actor}")
        return case, self.request(case, asker=Asker.OPERATOR, actor=actor)

    def handle(self, body: bytes, *, correlation_id: str | None = None, message_id: str | None = None,
               delivery: int = 1) -> Case | None:
        """The queue function's work, under the queues' one delivery rule (lib/services/queue_delivery.py): an
        invalid message is poisoned at once, with its reason recorded on the case; Partner Center and storage
        failures raise, so the host retries and finally poisons the message."""
        return deliver(lambda raw: self._create(raw, correlation_id), body, what="service request",
                       never_valid=InvalidMessage, queue=self._queue, message_id=message_id, delivery=delivery,
                       alert=self._alerts.raise_alert, on_poison=self._note_poisoned)

    def _create(self, body: bytes, correlation_id: str | None) -> Case:
        message = parse_message(body)
        with self._locks.hold(message.customer_id):
            return self._create_once(message, correlation_id)

    def _create_once(self, message: ServiceRequestMessage, correlation_id: str | None) -> Case:
        case = self._cases.get(message.customer_id, message.case_id)
        if case is None:
            raise InvalidMessage(f"no case {message.case_id} for customer {message.customer_id}")
        if case.service_request_id or case.status == NEEDS_MANUAL_REPORT:
            log.info("case %s already has service request %s", case.case_id, case.service_request_id or "(manual)")
            return case
        asker = Asker(message.asker)
        verdict = self._gate.verdict(asker, REQUEST)
        if verdict is not Verdict.WRITE:
            # The mode changed while the message waited: the gate's answer now is what counts.
            self._held_back(case, verdict, asker, "create_service_request", correlation_id)
            return case
        try:
            return self._file(case, message, asker, correlation_id)
        except PartnerCenterError as exc:
            if exc.status not in UNAVAILABLE_STATUSES:
                raise  # throttling, outages: the host retries the message
            return self._needs_manual_report(case, message, exc)

    def _file(self, case: Case, message: ServiceRequestMessage, asker: Asker, correlation_id: str | None) -> Case:
        marker = f"[{case.case_id}]"
        existing = next((sr for sr in self._pc.list_service_requests(correlation_id=correlation_id)
                         if sr.title.startswith(marker)), None)
        if existing is not None:
            # Created before a crash (or by a concurrent delivery) and never recorded: adopt it.
            return self._record(case, existing.id, existing.status)
        facts = self._facts(case, correlation_id)
        topic = message.support_topic_id or self._support_topic(correlation_id)
        created = self._gate.file_service_request(asker, customer_id=case.customer_id, title=plain_title(facts),
                                                  description=request_description(facts), severity=case.severity,
                                                  support_topic_id=topic, agent_locale=self._locale,
                                                  correlation_id=correlation_id)
        if self._after_post is not None:
            self._after_post(created.value.id)
        log.info("service request %s created for case %s", created.value.id, case.case_id,
                 extra={"ms_request_id": created.request_id})
        return self._record(case, created.value.id, created.value.status)

    def _facts(self, case: Case, correlation_id: str | None) -> RequestFacts:
        """Who the customer is and which subscriptions the case concerns, read fresh from Partner Center."""
        try:
            company = self._pc.get_customer(case.customer_id, correlation_id=correlation_id).company_name
            every = [s.id for s in self._pc.list_subscriptions(case.customer_id, correlation_id=correlation_id)]
        except NotFoundError:
            company, every = "", []
        held = [s.subscription_id for s in self._subscriptions.for_customer(case.customer_id).values()
                if case.reason in s.reasons]
        return RequestFacts(case, company, concerned_subscriptions(case, held, every), self._locale)

    def _held_back(self, case: Case, verdict: Verdict, asker: Asker, actor: str, correlation_id: str | None) -> None:
        details = {**self._gate.why_not(asker, REQUEST), "case_id": case.case_id, "severity": case.severity}
        if verdict is Verdict.PROPOSE:
            self._gate.propose(case.customer_id, REQUEST, reason=case.reason, actor=actor,
                               evidence=f"case {case.case_id}: {case.title}", details=details,
                               correlation_id=correlation_id)
            return
        self._actions.record(case.customer_id, kind="service_request", reason=case.reason, actor=actor,
                             note=f"case {case.case_id}: {case.title}", status=self._gate.record_status(asker, REQUEST),
                             details=details, correlation_id=correlation_id)

    def _needs_manual_report(self, case: Case, message: ServiceRequestMessage, exc: PartnerCenterError) -> Case:
        text = manual_report_text(case, message, exc)
        for _ in range(5):
            try:
                saved = self._cases.save(dataclasses.replace(
                    case, status=NEEDS_MANUAL_REPORT, notes=(*case.notes, text),
                    service_request_error=f"Partner Center answered {exc.status}: file it by hand in 21Vianet's "
                                          "portal (the case's last note is the text to paste)"))
                break
            except ConcurrencyConflict:
                fresh = self._cases.get(case.customer_id, case.case_id)
                if fresh is None:
                    raise
                case = fresh
        else:
            raise ConcurrencyConflict(f"case {case.case_id} kept changing while recording its manual report")
        # An operator must act: an alert, not a quiet log line.
        self._alerts.raise_alert(NEEDS_MANUAL_REPORT, f"service request for case {case.case_id} of customer "
                                 f"{case.customer_id} needs a manual report to 21Vianet (Partner Center answered "
                                 f"{exc.status})", {"case_id": case.case_id, "customer_id": case.customer_id,
                                                    "ms_request_id": exc.request_id})
        return saved

    def _record(self, case: Case, request_id: str, status: str) -> Case:
        for _ in range(5):
            try:
                return self._cases.save(dataclasses.replace(
                    case, service_request_id=request_id, service_request_status=status,
                    status="reported" if case.status == "open" else case.status, service_request_error=None))
            except ConcurrencyConflict:
                fresh = self._cases.get(case.customer_id, case.case_id)
                if fresh is None:
                    raise
                case = fresh
        raise ConcurrencyConflict(f"case {case.case_id} kept changing while recording its service request")

    def _support_topic(self, correlation_id: str | None) -> str:
        with self._topic_lock:
            if self._topic_id:
                return self._topic_id
            topics = self._pc.list_support_topics(correlation_id=correlation_id)
            chosen = next((t for t in topics if any(h in t.name.lower() for h in TOPIC_NAME_HINTS)), None)
            if chosen is None:
                raise NoSupportTopic("no support topic about fraud found; set SERVICE_REQUEST_TOPIC_ID")
            self._topic_id = chosen.id  # cached for the life of the process
            return chosen.id

    def _note_poisoned(self, body: bytes, reason: str) -> None:
        identifiers = _identifiers(body)
        if identifiers is None:
            return
        case = self._cases.get(*identifiers)
        if case is not None:
            with_note = dataclasses.replace(case, service_request_error=f"message poisoned: {reason}")
            try:
                self._cases.save(with_note)
            except ConcurrencyConflict:
                log.warning("could not record the poison reason on case %s", case.case_id)


def manual_report_text(case: Case, message: ServiceRequestMessage, exc: PartnerCenterError) -> str:
    """What an operator pastes into the support portal of Partner Center operated by 21Vianet."""
    return "\n".join([
        "Service request to file by hand (Partner Center operated by 21Vianet: Support, new request)",
        f"Title: {request_title(case.case_id, message.title)}",
        f"Severity: {message.severity}",
        f"Customer tenant id: {case.customer_id}",
        f"csp-guard case: {case.case_id}",
        "Description:",
        message.description,
        f"(Not filed through the API: Partner Center answered {exc.status}"
        + (f", MS-RequestId {exc.request_id}" if exc.request_id else "") + ")",
    ])


def _identifiers(body: bytes) -> tuple[str, str] | None:
    try:
        data: Mapping[str, Any] = json.loads(body)
        customer = customer_id_field(data.get("customer_id"), "customer_id")
        case_id = data.get("case_id")
    except (ValueError, TypeError, AttributeError, EventValidationError):
        return None
    return (customer, case_id) if isinstance(case_id, str) and case_id else None
