"""The Partner Center REST client (requests), for Partner Center operated by 21Vianet or a local sandbox.

Every logical call carries one MS-RequestId, reused on each of its retries because Partner Center uses it to make
a repeated request idempotent, and an MS-CorrelationId tying it to the run that made it. Throttling, server
errors, connection errors and timeouts are retried per RetryPolicy; 401/403 are raised at once; other 4xx are
raised with Partner Center's error code.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import requests
from azure.core.exceptions import ClientAuthenticationError

from lib.partner_center.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PartnerCenterError,
    RetriesExhaustedError,
)
from lib.partner_center.models import (
    CallResult,
    Customer,
    FraudEvent,
    ServiceRequest,
    Subscription,
    SupportTopic,
    UsageSummary,
)
from lib.partner_center.retry import RETRY_STATUSES, RetryPolicy, retry_after_seconds
from lib.partner_center.tokens import TokenProvider
from lib.telemetry import telemetry

log = logging.getLogger("csp_guard.partner_center")
CONTRACT_VERSION = "v1"


class PartnerCenterClient:
    def __init__(self, base_url: str, tokens: TokenProvider, *, locale: str = "zh-CN",
                 session: requests.Session | None = None, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic,
                 page_size: int = 100) -> None:
        self.base_url = base_url.rstrip("/")
        self._tokens = tokens
        self._locale = locale
        self._session = session or requests.Session()
        self._session.trust_env = False  # never route Partner Center traffic through an ambient proxy
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._monotonic = monotonic
        self.page_size = page_size

    # --- customers and subscriptions ---

    def list_customers(self, *, correlation_id: str | None = None) -> Iterator[Customer]:
        for item in self._pages(f"/v1/customers?size={self.page_size}", correlation_id):
            yield Customer.from_json(item)

    def get_customer(self, customer_id: str, *, correlation_id: str | None = None) -> Customer:
        return Customer.from_json(self._json("GET", f"/v1/customers/{_seg(customer_id)}", correlation_id).value)

    def list_subscriptions(self, customer_id: str, *, correlation_id: str | None = None) -> Iterator[Subscription]:
        for item in self._pages(f"/v1/customers/{_seg(customer_id)}/subscriptions", correlation_id):
            yield Subscription.from_json(item)

    def get_subscription(self, customer_id: str, subscription_id: str, *,
                         correlation_id: str | None = None) -> Subscription:
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription_id)}"
        return Subscription.from_json(self._json("GET", path, correlation_id).value)

    def set_subscription_status(self, customer_id: str, subscription: Subscription, status: str, *,
                                correlation_id: str | None = None) -> CallResult[Subscription]:
        """Suspend (`suspended`) or reactivate (`active`): PATCH of the full resource with the status changed."""
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription.id)}"
        result = self._json("PATCH", path, correlation_id, body=subscription.with_status(status))
        return CallResult(Subscription.from_json(result.value), result.request_id, result.correlation_id)

    def get_usage_summary(self, customer_id: str, *, correlation_id: str | None = None) -> UsageSummary:
        result = self._json("GET", f"/v1/customers/{_seg(customer_id)}/usagesummary", correlation_id)
        return UsageSummary.from_json(customer_id, result.value)

    def set_usage_budget(self, customer_id: str, amount_minor: int, *,
                         correlation_id: str | None = None) -> CallResult[dict[str, Any]]:
        """Sets the customer's Azure spending budget (Partner Center warns the customer as it is used)."""
        amount = f"{amount_minor // 100}.{amount_minor % 100:02d}"
        return self._json("PATCH", f"/v1/customers/{_seg(customer_id)}/usagebudget", correlation_id,
                          body={"amount": amount})

    # --- webhook registration ---

    def register_webhooks(self, url: str, events: list[str], *,
                          correlation_id: str | None = None) -> dict[str, Any]:
        body = {"WebhookUrl": url, "WebhookEvents": events}
        try:
            self._json("GET", "/v1/webhooks/registration", correlation_id)
            method = "PUT"  # already registered: update it
        except NotFoundError:
            method = "POST"
        return self._json(method, "/v1/webhooks/registration", correlation_id, body=body).value

    def webhook_registration(self, *, correlation_id: str | None = None) -> dict[str, Any] | None:
        try:
            return self._json("GET", "/v1/webhooks/registration", correlation_id).value
        except NotFoundError:
            return None

    # --- fraud events and service requests ---

    def list_fraud_events(self, *, status: str | None = None, subscription_id: str | None = None,
                          correlation_id: str | None = None) -> Iterator[FraudEvent]:
        """`GET /v1/fraudEvents`, with the documented optional filters EventStatus and SubscriptionId."""
        params = [f"EventStatus={quote(status)}"] if status else []
        if subscription_id:
            params.append(f"SubscriptionId={quote(subscription_id)}")
        query = "?" + "&".join(params) if params else ""
        for item in self._pages(f"/v1/fraudEvents{query}", correlation_id):
            yield FraudEvent.from_json(item)

    def list_support_topics(self, *, correlation_id: str | None = None) -> list[SupportTopic]:
        return [SupportTopic.from_json(item)
                for item in self._pages("/v1/servicerequests/supporttopics", correlation_id)]

    def create_service_request(self, *, title: str, description: str, severity: str, support_topic_id: str,
                               agent_locale: str | None = None,
                               correlation_id: str | None = None) -> CallResult[ServiceRequest]:
        body = {"title": title, "description": description, "severity": severity, "supportTopicId": support_topic_id}
        path = f"/v1/servicerequests/{_seg(agent_locale or self._locale)}"
        result = self._json("POST", path, correlation_id, body=body)
        return CallResult(ServiceRequest.from_json(result.value), result.request_id, result.correlation_id)

    def list_service_requests(self, *, correlation_id: str | None = None) -> Iterator[ServiceRequest]:
        for item in self._pages("/v1/servicerequests", correlation_id):
            yield ServiceRequest.from_json(item)

    def get_service_request(self, request_id: str, *, correlation_id: str | None = None) -> ServiceRequest:
        return ServiceRequest.from_json(self._json("GET", f"/v1/servicerequests/{_seg(request_id)}",
                                                   correlation_id).value)

    def ping(self) -> float:
        """A cheap authenticated call (one customer); returns its latency in seconds."""
        started = self._monotonic()
        self._json("GET", "/v1/customers?size=1", None)
        return self._monotonic() - started

    # --- transport ---

    def _pages(self, path: str, correlation_id: str | None) -> Iterator[Mapping[str, Any]]:
        headers: dict[str, str] = {}
        next_path: str | None = path
        while next_path:
            page = self._json("GET", next_path, correlation_id, extra_headers=headers).value
            yield from page.get("items") or []
            link = (page.get("links") or {}).get("next")
            if not link or not link.get("uri"):
                return
            uri = str(link["uri"])
            next_path = uri if uri.startswith("/v1/") else "/v1" + (uri if uri.startswith("/") else "/" + uri)
            headers = {h["key"]: h["value"] for h in link.get("headers") or [] if "key" in h}

    def _json(self, method: str, path: str, correlation_id: str | None, *, body: Any = None,
              extra_headers: Mapping[str, str] | None = None) -> CallResult[dict[str, Any]]:
        request_id = str(uuid.uuid4())  # one per logical call, the same on every retry
        correlation = correlation_id or str(uuid.uuid4())
        started = self._monotonic()
        attempt = 0
        last_response: requests.Response | None = None
        while True:
            attempt += 1
            try:
                token = self._tokens.get_token()
            except (ValueError, ClientAuthenticationError) as exc:
                raise AuthenticationError(f"no Partner Center token: {exc}", request_id=request_id,
                                          correlation_id=correlation) from exc
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
                       "MS-RequestId": request_id, "MS-CorrelationId": correlation,
                       "MS-Contract-Version": CONTRACT_VERSION, "X-Locale": self._locale, **(extra_headers or {})}
            failure: str
            wait: float | None = None
            try:
                response = self._session.request(method, self.base_url + path, json=body, headers=headers,
                                                 timeout=(self.retry.connect_timeout, self.retry.read_timeout))
            except requests.ConnectionError as exc:
                failure = f"connection error: {exc}"
            except requests.Timeout as exc:
                # The request may have been applied; retrying is safe only because MS-RequestId is reused.
                failure = f"timeout: {exc}"
            else:
                telemetry.partner_center_latency.record((self._monotonic() - started) * 1000,
                                                        {"method": method, "status": response.status_code})
                if response.status_code == 429:
                    telemetry.partner_center_throttles.add(1)
                log.info("partner center %s %s -> %d", method, path.split("?")[0], response.status_code,
                         extra={"ms_request_id": request_id, "ms_correlation_id": correlation, "attempt": attempt,
                                "duration_ms": round((self._monotonic() - started) * 1000, 1)})
                if response.status_code < 400:
                    data = response.json() if response.content else {}
                    return CallResult(data, request_id, correlation)
                if response.status_code not in RETRY_STATUSES:
                    raise _error(response, request_id, correlation)
                failure = f"HTTP {response.status_code}"
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                last_response = response
            elapsed = self._monotonic() - started
            pause = wait if wait is not None else self.retry.backoff(attempt)
            if attempt > self.retry.total or elapsed + pause > self.retry.timeout:
                status = last_response.status_code if last_response is not None else None
                raise RetriesExhaustedError(
                    f"{method} {path.split('?')[0]} failed after {attempt} attempt(s): {failure}", status=status,
                    request_id=request_id, correlation_id=correlation)
            log.warning("partner center %s %s: %s; retry %d in %.1fs", method, path.split("?")[0], failure,
                        attempt, pause, extra={"ms_request_id": request_id})
            self._sleep(pause)


def _seg(value: str) -> str:
    return quote(value, safe="")


def _error(response: requests.Response, request_id: str, correlation_id: str) -> PartnerCenterError:
    code = description = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):  # a gateway in front of Partner Center may answer with anything
        code = str(body["code"]) if body.get("code") is not None else None
        description = body.get("description")
    status = response.status_code
    cls: type[PartnerCenterError] = PartnerCenterError
    if status in (401, 403):
        cls = AuthenticationError
    elif status == 404:
        cls = NotFoundError
    elif status in (409, 412):
        cls = ConflictError
    elif status == 400:
        cls = BadRequestError
    message = f"Partner Center answered {status}" + (f" ({code}: {description})" if code else "")
    return cls(message, status=status, code=code, description=description, request_id=request_id,
               correlation_id=correlation_id)
