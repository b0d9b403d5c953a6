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
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
from azure.core.exceptions import ClientAuthenticationError

from lib.partner_center.errors import (
    AuthenticationError,
    NotFoundError,
    PartnerCenterError,
    RetriesExhaustedError,
    UnreadableAnswerError,
    error_from_response,
)
from lib.partner_center.json_fields import Fields
from lib.partner_center.models import (
    CallResult,
    Customer,
    FraudEvent,
    ServiceRequest,
    Subscription,
    SupportTopic,
    UsageSummary,
    WebhookRegistration,
)
from lib.partner_center.retry import RETRY_STATUSES, RetryPolicy, retry_after_seconds
from lib.partner_center.tokens import StaticTokenProvider, TokenProvider, check_static_token_allowed
from lib.telemetry import telemetry
from lib.version import version

log = logging.getLogger("csp_guard.partner_center")
CONTRACT_VERSION = "v1"
# Documented at partner-center-webhooks: the registration lives under /webhooks/v1, not under /v1.
WEBHOOK_REGISTRATION = "/webhooks/v1/registration"
R = TypeVar("R")


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

    # --- customers and subscriptions ---

    def list_customers(self, *, correlation_id: str | None = None) -> Iterator[Customer]:
        for item in self._pages(f"/v1/customers?size={self.page_size}", correlation_id):
            yield _read(Customer.from_json, item)

    def get_customer(self, customer_id: str, *, correlation_id: str | None = None) -> Customer:
        result = self._resource("GET", f"/v1/customers/{_seg(customer_id)}", correlation_id)
        return _read(Customer.from_json, result.value, result)

    def list_subscriptions(self, customer_id: str, *, correlation_id: str | None = None) -> Iterator[Subscription]:
        for item in self._pages(f"/v1/customers/{_seg(customer_id)}/subscriptions", correlation_id):
            yield _read(Subscription.from_json, item)

    def get_subscription(self, customer_id: str, subscription_id: str, *,
                         correlation_id: str | None = None) -> Subscription:
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription_id)}"
        result = self._resource("GET", path, correlation_id)
        return _read(Subscription.from_json, result.value, result)

    def set_subscription_status(self, customer_id: str, subscription: Subscription, status: str, *,
                                correlation_id: str | None = None) -> CallResult[Subscription]:
        """Suspend (`suspended`) or reactivate (`active`): PATCH of the full resource with only the status changed,
        as Partner Center requires, with `If-Match: <etag>` of the resource as read (the documented request
        carries it), so a subscription changed meanwhile answers 412 (PreconditionFailedError) instead of being
        overwritten. Partner Center itself refuses other transitions (BadRequestError). The documented answer is
        the resource in PascalCase (`Id`, `Status`); one that cannot be read is UnreadableAnswerError carrying the
        request ids and the 2xx status, since Partner Center did accept the change."""
        path = f"/v1/customers/{_seg(customer_id)}/subscriptions/{_seg(subscription.id)}"
        headers = {"If-Match": subscription.etag} if subscription.etag else None
        result = self._resource("PATCH", path, correlation_id, body=subscription.with_status(status),
                                extra_headers=headers)
        return CallResult(_read(Subscription.from_json, result.value, result), result.request_id,
                          result.correlation_id)

    def get_usage_summary(self, customer_id: str, *, correlation_id: str | None = None) -> UsageSummary:
        result = self._resource("GET", f"/v1/customers/{_seg(customer_id)}/usagesummary", correlation_id)
        return _read(lambda value: UsageSummary.from_json(customer_id, value), result.value, result)

    def set_usage_budget(self, customer_id: str, amount_minor: int, *,
                         correlation_id: str | None = None) -> CallResult[dict[str, Any]]:
        """Sets the customer's Azure spending budget (Partner Center warns the customer as it is used)."""
        amount = f"{amount_minor // 100}.{amount_minor % 100:02d}"
        return self._resource("PATCH", f"/v1/customers/{_seg(customer_id)}/usagebudget", correlation_id,
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
        return _read(WebhookRegistration.from_json, result.value, result)

    def webhook_registration(self, *, correlation_id: str | None = None) -> WebhookRegistration | None:
        try:
            result = self._resource("GET", WEBHOOK_REGISTRATION, correlation_id)
        except NotFoundError:
            return None
        return _read(WebhookRegistration.from_json, result.value, result)

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
            fresh = [event for event in (_read(FraudEvent.from_json, item) for item in page if isinstance(item, dict))
                     if event.event_id not in seen]
            for event in fresh:
                seen.add(event.event_id)
                yield event
            if len(page) < self.page_size or not fresh:
                return

    def list_support_topics(self, *, correlation_id: str | None = None) -> list[SupportTopic]:
        return [_read(SupportTopic.from_json, item)
                for item in self._pages("/v1/servicerequests/supporttopics", correlation_id)]

    def create_service_request(self, *, title: str, description: str, severity: str, support_topic_id: str,
                               agent_locale: str | None = None,
                               correlation_id: str | None = None) -> CallResult[ServiceRequest]:
        """`POST /v1/servicerequests/{agent-locale}` with the documented body (PascalCase `Title`, `Description`,
        `Severity`, `SupportTopicId`); severity as documented, lower case: minimal, moderate or critical. A new
        request's status is `none`."""
        body = {"Title": title, "Description": description, "Severity": severity.lower(),
                "SupportTopicId": support_topic_id, "Attributes": {"ObjectType": "ServiceRequest"}}
        path = f"/v1/servicerequests/{_seg(agent_locale or self._locale)}"
        result = self._resource("POST", path, correlation_id, body=body)
        return CallResult(_read(ServiceRequest.from_json, result.value, result), result.request_id,
                          result.correlation_id)

    def list_service_requests(self, *, correlation_id: str | None = None) -> Iterator[ServiceRequest]:
        for item in self._pages("/v1/servicerequests", correlation_id):
            yield _read(ServiceRequest.from_json, item)

    def get_service_request(self, request_id: str, *, correlation_id: str | None = None) -> ServiceRequest:
        result = self._resource("GET", f"/v1/servicerequests/{_seg(request_id)}", correlation_id)
        return _read(ServiceRequest.from_json, result.value, result)

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
            answer = self._call("GET", next_path, correlation, extra_headers=headers)
            page = _read(lambda value: Fields(value, "collection"), answer.value, answer)
            items = page.get("items") or []
            if not isinstance(items, list):
                raise UnreadableAnswerError(f"GET {path.split('?')[0]} answered items that are not a list",
                                            request_id=answer.request_id, correlation_id=answer.correlation_id)
            yield from items
            link = page.child("links").child("next")
            if not link.text("uri"):
                return
            next_path = self._relative(link.text("uri"))
            pairs = [Fields(h, "header") for h in link.objects("headers")]
            headers = {**(extra_headers or {}), **{h.text("key"): h.text("value") for h in pairs if h.text("key")}}
            marker = (next_path, tuple(sorted(headers.items())))
            if marker in seen:
                raise PartnerCenterError(f"paging of {path.split('?')[0]} loops on {next_path}")
            seen.add(marker)

    def _resource(self, method: str, path: str, correlation_id: str | None, *, body: Any = None,
                  extra_headers: Mapping[str, str] | None = None) -> CallResult[dict[str, Any]]:
        """A call whose answer must be one JSON object (a resource)."""
        result = self._call(method, path, correlation_id, body=body, extra_headers=extra_headers)
        if not isinstance(result.value, dict):
            raise UnreadableAnswerError(f"{method} {path.split('?')[0]} answered with a "
                                        f"{type(result.value).__name__}, not a JSON object", status=result.status,
                                        request_id=result.request_id, correlation_id=result.correlation_id)
        return CallResult(result.value, result.request_id, result.correlation_id, result.status)

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
                    return CallResult(_body(response, request_id, correlation), request_id, correlation,
                                      response.status_code)
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
        raise UnreadableAnswerError(f"Partner Center answered {response.status_code} with a body that is not JSON",
                                    status=response.status_code, request_id=request_id,
                                    correlation_id=correlation_id) from None


def _read(parser: Callable[[Any], R], value: Any, call: CallResult[Any] | None = None) -> R:
    """One resource parsed from an answer; whatever cannot be read becomes UnreadableAnswerError with the ids of
    the call that brought it, so the caller records it like any other Partner Center failure."""
    try:
        return parser(value)
    except UnreadableAnswerError as exc:
        message = str(exc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a parser's slip is still a named error
        message = f"unreadable answer: {type(exc).__name__}: {exc}"
    raise UnreadableAnswerError(message, status=call.status if call is not None else None,
                                request_id=call.request_id if call else None,
                                correlation_id=call.correlation_id if call else None)
