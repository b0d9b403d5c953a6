"""The Partner Center REST client, for Partner Center operated by 21Vianet or a local sandbox: one typed method per
documented call, each answer read case-insensitively into a model (models.py) or raised as a named error
(errors.py); transport.py carries the calls, their ids and their retries."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any, TypeVar
from urllib.parse import quote

from lib.partner_center.errors import NotFoundError, UnreadableAnswerError
from lib.partner_center.models import (
    BillingProfile,
    CallResult,
    Customer,
    FraudEvent,
    ServiceRequest,
    Subscription,
    SupportTopic,
    UsageSummary,
)
from lib.partner_center.transport import CONTRACT_VERSION, PartnerCenterTransport, read_answer, segment
from lib.partner_center.webhook_models import WebhookRegistration, WebhookValidation

__all__ = ["CONTRACT_VERSION", "PartnerCenterClient"]
# Documented at partner-center-webhooks: the registration lives under /webhooks/v1, not under /v1.
WEBHOOK_REGISTRATION = "/webhooks/v1/registration"
R = TypeVar("R")


class PartnerCenterClient(PartnerCenterTransport):
    # --- customers and subscriptions ---

    def list_customers(self, *, correlation_id: str | None = None) -> Iterator[Customer]:
        for item in self._pages(f"/v1/customers?size={self.page_size}", correlation_id):
            yield read_answer(Customer.from_json, item)

    def get_customer(self, customer_id: str, *, correlation_id: str | None = None) -> Customer:
        result = self._resource("GET", f"/v1/customers/{segment(customer_id)}", correlation_id)
        return read_answer(Customer.from_json, result.value, result)

    def get_billing_profile(self, customer_id: str, *, correlation_id: str | None = None) -> BillingProfile:
        """The customer's billing profile: the e-mail and culture notices fall back to."""
        path = f"/v1/customers/{segment(customer_id)}/profiles/billing"
        return BillingProfile.from_json(self._resource("GET", path, correlation_id).value)

    def list_subscriptions(self, customer_id: str, *, correlation_id: str | None = None) -> Iterator[Subscription]:
        for item in self._pages(f"/v1/customers/{segment(customer_id)}/subscriptions", correlation_id):
            yield read_answer(Subscription.from_json, item)

    def get_subscription(self, customer_id: str, subscription_id: str, *,
                         correlation_id: str | None = None) -> Subscription:
        path = f"/v1/customers/{segment(customer_id)}/subscriptions/{segment(subscription_id)}"
        result = self._resource("GET", path, correlation_id)
        return read_answer(Subscription.from_json, result.value, result)

    def set_subscription_status(self, customer_id: str, subscription: Subscription, status: str, *,
                                correlation_id: str | None = None) -> CallResult[Subscription]:
        """Suspend (`suspended`) or reactivate (`active`): PATCH of the full resource with only the status changed,
        as Partner Center requires, with `If-Match: <etag>` of the resource as read (the documented request
        carries it), so a subscription changed meanwhile answers 412 (PreconditionFailedError) instead of being
        overwritten. Partner Center itself refuses other transitions (BadRequestError). The documented answer is
        the resource in PascalCase (`Id`, `Status`); one that cannot be read is UnreadableAnswerError carrying the
        request ids and the 2xx status, since Partner Center did accept the change."""
        path = f"/v1/customers/{segment(customer_id)}/subscriptions/{segment(subscription.id)}"
        headers = {"If-Match": subscription.etag} if subscription.etag else None
        result = self._resource("PATCH", path, correlation_id, body=subscription.with_status(status),
                                extra_headers=headers)
        return CallResult(read_answer(Subscription.from_json, result.value, result), result.request_id,
                          result.correlation_id)

    def get_usage_summary(self, customer_id: str, *, correlation_id: str | None = None) -> UsageSummary:
        result = self._resource("GET", f"/v1/customers/{segment(customer_id)}/usagesummary", correlation_id)
        return read_answer(lambda value: UsageSummary.from_json(customer_id, value), result.value, result)

    def set_usage_budget(self, customer_id: str, amount_minor: int, *,
                         correlation_id: str | None = None) -> CallResult[dict[str, Any]]:
        """Sets the customer's Azure spending budget (Partner Center warns the customer as it is used)."""
        amount = f"{amount_minor // 100}.{amount_minor % 100:02d}"
        return self._resource("PATCH", f"/v1/customers/{segment(customer_id)}/usagebudget", correlation_id,
                              body={"amount": amount})

    # --- webhook registration ---

    def register_webhooks(self, url: str, events: list[str], *, signature_in_ms_signature_header: bool = False,
                          correlation_id: str | None = None) -> WebhookRegistration:
        """POST (first time) or PUT (an update) of `/webhooks/v1/registration` with the documented body
        `{"WebhookUrl", "WebhookEvents"}`; `SignatureTokenToMsSignatureHeader: true` only when asked, which makes
        Partner Center send the signature in `x-ms-signature` instead of `Authorization`."""
        body: dict[str, Any] = {"WebhookUrl": url, "WebhookEvents": events}
        if signature_in_ms_signature_header:
            body["SignatureTokenToMsSignatureHeader"] = True
        method = "PUT" if self.webhook_registration(correlation_id=correlation_id) is not None else "POST"
        result = self._resource(method, WEBHOOK_REGISTRATION, correlation_id, body=body)
        return read_answer(WebhookRegistration.from_json, result.value, result)

    def webhook_registration(self, *, correlation_id: str | None = None) -> WebhookRegistration | None:
        try:
            result = self._resource("GET", WEBHOOK_REGISTRATION, correlation_id)
        except NotFoundError:
            return None
        return read_answer(WebhookRegistration.from_json, result.value, result)

    def request_test_event(self, *, correlation_id: str | None = None) -> WebhookValidation:
        """`POST /webhooks/v1/registration/validationEvents`: Partner Center sends a signed `test-created` event to
        the registered callback (registered for `test-created` first; Partner Center allows 2 a minute)."""
        result = self._resource("POST", f"{WEBHOOK_REGISTRATION}/validationEvents", correlation_id)
        return read_answer(WebhookValidation.from_json, result.value, result)

    def test_event_result(self, validation_id: str, *, correlation_id: str | None = None) -> WebhookValidation:
        """`GET /webhooks/v1/registration/validationEvents/{correlationId}`: each delivery attempt's result."""
        result = self._resource("GET", f"{WEBHOOK_REGISTRATION}/validationEvents/{segment(validation_id)}",
                                correlation_id)
        return read_answer(WebhookValidation.from_json, result.value, result)

    # --- fraud events and service requests ---

    def list_fraud_events(self, *, status: str | None = None, subscription_id: str | None = None,
                          event_type: str | None = None,
                          correlation_id: str | None = None) -> Iterator[FraudEvent]:
        """`GET /v1/fraudEvents` in the new events model (X-NewEventsModel: true), which carries every alert type
        (usage anomalies, deployment anomalies, crypto-mining pools, ...) where the old model knew only crypto
        mining. Optional filters as documented: EventStatus (Active, Investigating, Resolved), SubscriptionId,
        EventType. The answer is a bare array; pages are asked for with PageSize and PageNumber until one comes back
        short. A server that ignores the paging parameters answers every page with the same events: the first page
        that brings nothing new ends the listing, so it cannot loop."""
        filters = {"EventStatus": status, "SubscriptionId": subscription_id, "EventType": event_type}
        base = "&".join(f"{name}={quote(value, safe='')}" for name, value in filters.items() if value)
        correlation = correlation_id or str(uuid.uuid4())
        seen: set[str] = set()
        for number in itertools.count(1):
            query = f"{base}&" if base else ""
            path = f"/v1/fraudEvents?{query}PageSize={self.page_size}&PageNumber={number}"
            page = self._call("GET", path, correlation, extra_headers={"X-NewEventsModel": "true"}).value
            if not isinstance(page, list):
                raise UnreadableAnswerError(f"GET /v1/fraudEvents answered with a {type(page).__name__}, not an array")
            read = (read_answer(FraudEvent.from_json, item) for item in page if isinstance(item, dict))
            fresh = [event for event in read if event.event_id not in seen]
            for event in fresh:
                seen.add(event.event_id)
                yield event
            if len(page) < self.page_size or not fresh:
                return

    def list_support_topics(self, *, correlation_id: str | None = None) -> list[SupportTopic]:
        return [read_answer(SupportTopic.from_json, item)
                for item in self._pages("/v1/servicerequests/supporttopics", correlation_id)]

    def create_service_request(self, *, title: str, description: str, severity: str, support_topic_id: str,
                               agent_locale: str | None = None,
                               correlation_id: str | None = None) -> CallResult[ServiceRequest]:
        """`POST /v1/servicerequests/{agent-locale}` with the documented body (PascalCase `Title`, `Description`,
        `Severity`, `SupportTopicId`); severity as documented, lower case: minimal, moderate or critical. A new
        request's status is `none`."""
        body = {"Title": title, "Description": description, "Severity": severity.lower(),
                "SupportTopicId": support_topic_id, "Attributes": {"ObjectType": "ServiceRequest"}}
        path = f"/v1/servicerequests/{segment(agent_locale or self._locale)}"
        result = self._resource("POST", path, correlation_id, body=body)
        return CallResult(read_answer(ServiceRequest.from_json, result.value, result), result.request_id,
                          result.correlation_id)

    def list_service_requests(self, *, correlation_id: str | None = None) -> Iterator[ServiceRequest]:
        for item in self._pages("/v1/servicerequests", correlation_id):
            yield read_answer(ServiceRequest.from_json, item)

    def get_service_request(self, request_id: str, *, correlation_id: str | None = None) -> ServiceRequest:
        result = self._resource("GET", f"/v1/servicerequests/{segment(request_id)}", correlation_id)
        return read_answer(ServiceRequest.from_json, result.value, result)

    def ping(self) -> float:
        """A cheap authenticated call (one customer); returns its latency in seconds."""
        started = self._monotonic()
        self._call("GET", "/v1/customers?size=1", None)
        return self._monotonic() - started
