"""The Partner Center REST client (requests), for Partner Center operated by 21Vianet or a local sandbox.

Every logical call carries one MS-RequestId, reused on each of its retries because Partner Center uses it to make
a repeated request idempotent, and an MS-CorrelationId tying it to the run that made it (the caller's, or a new
one). Throttling, server errors, connection errors and timeouts are retried per RetryPolicy; 401/403 are raised at
once; other 4xx are raised as named errors with Partner Center's error code.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from azure.core.exceptions import ClientAuthenticationError

from lib.partner_center.errors import (
    AuthenticationError,
    NotFoundError,
    PartnerCenterError,
    RetriesExhaustedError,
    error_from_response,
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
from lib.partner_center.tokens import StaticTokenProvider, TokenProvider, check_static_token_allowed
from lib.telemetry import telemetry
from lib.version import version

log = logging.getLogger("csp_guard.partner_center")
CONTRACT_VERSION = "v1"


class PartnerCenterClient:
    def __init__(self, base_url: str, tokens: TokenProvider, *, locale: str = "zh-CN",
                 session: requests.Session | None = None, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic,
                 page_size: int = 100, user_agent: str | None = None) -> None:
        if isinstance(tokens, StaticTokenProvider):
            check_static_token_allowed(base_url)
        self.base_url = base_url.rstrip("/")
        self._tokens = tokens
        self._locale = locale
        self._session = session or requests.Session()
        self._session.trust_env = False  # never route Partner Center traffic through an ambient proxy
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._monotonic = monotonic
        self.page_size = page_size
        self.user_agent = user_agent or f"csp-guard/{version()}"
        self.calls = 0  # requests sent, retries included: the fraud poll's call budget counts them

    # --- customers and subscriptions ---

    def list_customers(self, *, correlation_id: str | None = None) -> Iterator[Customer]:
        for item in self._pages(f"/v1/customers?size={self.page_size}", correlation_id):
            yield Customer.from_json(item)

    def get_customer(self, customer_id: str, *, correlation_id: str | None = None) -> Customer:
        return Customer.from_json(self._resource("GET", f"/v1/customers/{_seg(customer_id)}", correlation_id).value)

    def list_subscriptions(self, customer_id: str, *, correlation_id: str | None = None) -> Iterator[Subscription]:
        for item in self._pages(f"/v1/customers/{_seg(customer_id)}/subscriptions", correlation_id):
            yield Subscription.from_json(item)

    def get_subscription(self, customer_id: str, subscription_id: str, *,
                         correlation_id: str | None = None) -> Subscription:
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription_id)}"
        return Subscription.from_json(self._resource("GET", path, correlation_id).value)

    def set_subscription_status(self, customer_id: str, subscription: Subscription, status: str, *,
                                correlation_id: str | None = None) -> CallResult[Subscription]:
        """Suspend (`suspended`) or reactivate (`active`): PATCH of the full resource with only the status changed,
        as Partner Center requires. Partner Center itself refuses other transitions (BadRequestError)."""
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription.id)}"
        result = self._resource("PATCH", path, correlation_id, body=subscription.with_status(status))
        return CallResult(Subscription.from_json(result.value), result.request_id, result.correlation_id)

    def get_usage_summary(self, customer_id: str, *, correlation_id: str | None = None) -> UsageSummary:
        result = self._resource("GET", f"/v1/customers/{_seg(customer_id)}/usagesummary", correlation_id)
        return UsageSummary.from_json(customer_id, result.value)

    def set_usage_budget(self, customer_id: str, amount_minor: int, *,
                         correlation_id: str | None = None) -> CallResult[dict[str, Any]]:
        """Sets the customer's Azure spending budget (Partner Center warns the customer as it is used)."""
        amount = f"{amount_minor // 100}.{amount_minor % 100:02d}"
        return self._resource("PATCH", f"/v1/customers/{_seg(customer_id)}/usagebudget", correlation_id,
                              body={"amount": amount})

    # --- webhook registration ---

    def register_webhooks(self, url: str, events: list[str], *,
                          correlation_id: str | None = None) -> dict[str, Any]:
        body = {"WebhookUrl": url, "WebhookEvents": events}
        method = "PUT" if self.webhook_registration(correlation_id=correlation_id) is not None else "POST"
        return self._resource(method, "/v1/webhooks/registration", correlation_id, body=body).value

    def webhook_registration(self, *, correlation_id: str | None = None) -> dict[str, Any] | None:
        try:
            return self._resource("GET", "/v1/webhooks/registration", correlation_id).value
        except NotFoundError:
            return None

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
                raise PartnerCenterError(f"GET /v1/fraudEvents answered with a {type(page).__name__}, not an array")
            fresh = [event for event in (FraudEvent.from_json(item) for item in page if isinstance(item, dict))
                     if event.event_id not in seen]
            for event in fresh:
                seen.add(event.event_id)
                yield event
            if len(page) < self.page_size or not fresh:
                return

    def list_support_topics(self, *, correlation_id: str | None = None) -> list[SupportTopic]:
        return [SupportTopic.from_json(item)
                for item in self._pages("/v1/servicerequests/supporttopics", correlation_id)]

    def create_service_request(self, *, title: str, description: str, severity: str, support_topic_id: str,
                               agent_locale: str | None = None,
                               correlation_id: str | None = None) -> CallResult[ServiceRequest]:
        """`POST /v1/servicerequests/{agent-locale}`; severity is Minimal, Moderate or Critical."""
        body = {"title": title, "description": description, "severity": severity, "supportTopicId": support_topic_id}
        path = f"/v1/servicerequests/{_seg(agent_locale or self._locale)}"
        result = self._resource("POST", path, correlation_id, body=body)
        return CallResult(ServiceRequest.from_json(result.value), result.request_id, result.correlation_id)

    def list_service_requests(self, *, correlation_id: str | None = None) -> Iterator[ServiceRequest]:
        for item in self._pages("/v1/servicerequests", correlation_id):
            yield ServiceRequest.from_json(item)

    def get_service_request(self, request_id: str, *, correlation_id: str | None = None) -> ServiceRequest:
        return ServiceRequest.from_json(self._resource("GET", f"/v1/servicerequests/{_seg(request_id)}",
                                                       correlation_id).value)

    def ping(self) -> float:
        """A cheap authenticated call (one customer); returns its latency in seconds."""
        started = self._monotonic()
        self._call("GET", "/v1/customers?size=1", None)
        return self._monotonic() - started

    # --- transport ---

    def _pages(self, path: str, correlation_id: str | None, *,
               extra_headers: Mapping[str, str] | None = None) -> Iterator[Mapping[str, Any]]:
        """Every item of a collection, page after page: each page is one logical call (its own MS-RequestId) under
        one correlation id, and follows `links.next` with the headers it names (MS-ContinuationToken)."""
        correlation = correlation_id or str(uuid.uuid4())
        headers = dict(extra_headers or {})
        next_path, seen = path, set()
        while True:
            page = self._call("GET", next_path, correlation, extra_headers=headers).value
            if not isinstance(page, dict):
                raise PartnerCenterError(f"GET {path.split('?')[0]} answered with a {type(page).__name__}, "
                                         "not a collection")
            yield from page.get("items") or []
            link = (page.get("links") or {}).get("next")
            if not link or not link.get("uri"):
                return
            next_path = self._relative(str(link["uri"]))
            headers = {**(extra_headers or {}),
                       **{str(h["key"]): str(h["value"]) for h in link.get("headers") or [] if "key" in h}}
            marker = (next_path, tuple(sorted(headers.items())))
            if marker in seen:
                raise PartnerCenterError(f"paging of {path.split('?')[0]} loops on {next_path}")
            seen.add(marker)

    def _resource(self, method: str, path: str, correlation_id: str | None, *,
                  body: Any = None) -> CallResult[dict[str, Any]]:
        """A call whose answer must be one JSON object (a resource)."""
        result = self._call(method, path, correlation_id, body=body)
        if not isinstance(result.value, dict):
            raise PartnerCenterError(f"{method} {path.split('?')[0]} answered with a {type(result.value).__name__}, "
                                     "not a JSON object", request_id=result.request_id,
                                     correlation_id=result.correlation_id)
        return CallResult(result.value, result.request_id, result.correlation_id)

    def _relative(self, uri: str) -> str:
        """A next link as a path under the base URL. Partner Center writes them relative, with or without /v1;
        an absolute link is followed only to the base URL's own origin, so the bearer token goes nowhere else."""
        parts = urlsplit(uri)
        if parts.scheme or parts.netloc:
            base = urlsplit(self.base_url)
            if (parts.scheme, parts.netloc.lower()) != (base.scheme, base.netloc.lower()):
                raise PartnerCenterError(f"refusing a next link off Partner Center: {parts.scheme}://{parts.netloc}")
            uri = parts.path + (f"?{parts.query}" if parts.query else "")
        uri = uri if uri.startswith("/") else "/" + uri
        return uri if uri.startswith("/v1/") else "/v1" + uri

    def _headers(self, request_id: str, correlation_id: str, extra: Mapping[str, str] | None) -> dict[str, str]:
        try:
            token = self._tokens.get_token()
        except (ValueError, ClientAuthenticationError) as exc:
            raise AuthenticationError(f"no Partner Center token: {exc}", request_id=request_id,
                                      correlation_id=correlation_id) from exc
        return {"Authorization": f"Bearer {token}", "Accept": "application/json", "MS-RequestId": request_id,
                "MS-CorrelationId": correlation_id, "MS-Contract-Version": CONTRACT_VERSION, "X-Locale": self._locale,
                "User-Agent": self.user_agent, **(extra or {})}

    def _call(self, method: str, path: str, correlation_id: str | None, *, body: Any = None,
              extra_headers: Mapping[str, str] | None = None) -> CallResult[Any]:
        request_id = str(uuid.uuid4())  # one per logical call, the same on every retry
        correlation = correlation_id or str(uuid.uuid4())
        route = path.split("?")[0]
        deadline = self._monotonic() + self.retry.timeout
        attempt = 0
        while True:
            attempt += 1
            headers = self._headers(request_id, correlation, extra_headers)  # a token refreshed between retries
            started = self._monotonic()
            response: requests.Response | None = None
            failure: requests.RequestException | None = None
            self.calls += 1
            try:
                response = self._session.request(method, self.base_url + path, json=body, headers=headers,
                                                 timeout=self.retry.attempt_timeout(deadline - started))
            except requests.Timeout as exc:
                # After a read timeout the request may already have been applied. Retrying it, POST and PATCH
                # included, is safe only because the retry carries the same MS-RequestId, which Partner Center
                # uses to recognise a repeat of a request it has seen.
                failure = exc
            except requests.ConnectionError as exc:
                failure = exc  # nothing was answered; the same MS-RequestId keeps a retry idempotent here too
            duration_ms = round((self._monotonic() - started) * 1000, 1)
            status = response.status_code if response is not None else None
            log.info("partner center %s %s -> %s in %.1f ms", method, route, status or type(failure).__name__,
                     duration_ms, extra={"ms_request_id": request_id, "ms_correlation_id": correlation,
                                         "attempt": attempt, "duration_ms": duration_ms, "http_status": status})
            if response is not None:
                telemetry.partner_center_latency.record(duration_ms, {"method": method, "status": response.status_code})
                if response.status_code == 429:
                    telemetry.partner_center_throttles.add(1)
                if response.status_code < 300:
                    return CallResult(_body(response, request_id, correlation), request_id, correlation)
                if response.status_code not in RETRY_STATUSES:
                    raise error_from_response(response, request_id, correlation)
            retry_after = retry_after_seconds(response.headers.get("Retry-After")) if response is not None else None
            pause = self.retry.pause(attempt, retry_after)
            if attempt > self.retry.total or self._monotonic() + pause >= deadline:
                last = error_from_response(response, request_id, correlation) if response is not None else None
                raise RetriesExhaustedError(
                    f"{method} {route} failed after {attempt} attempt(s): {f'HTTP {status}' if status else failure}",
                    status=status, code=last.code if last else None, description=last.description if last else None,
                    request_id=request_id, correlation_id=correlation, attempts=attempt,
                    last_exception=failure) from failure
            log.warning("partner center %s %s: %s; retry %d in %.1f s", method, route, status or failure, attempt,
                        pause, extra={"ms_request_id": request_id, "ms_correlation_id": correlation})
            self._sleep(pause)


def _seg(value: str) -> str:
    return quote(value, safe="")


def _body(response: requests.Response, request_id: str, correlation_id: str) -> Any:
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        raise PartnerCenterError(f"Partner Center answered {response.status_code} with a body that is not JSON",
                                 status=response.status_code, request_id=request_id,
                                 correlation_id=correlation_id) from None
