"""How the Partner Center client talks to Partner Center (requests): one logical call per MS-RequestId, reused on each
of its retries because Partner Center uses it to make a repeated request idempotent, and an MS-CorrelationId tying
it to the run that made it (the caller's, or a new one). Throttling, server errors, connection errors and timeouts
are retried per RetryPolicy; 401/403 are raised at once; other 4xx are raised as named errors with Partner Center's
error code; an answer that is not what was asked for is UnreadableAnswerError. client.py builds the resources on
this."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
from azure.core.exceptions import ClientAuthenticationError

from lib.partner_center.errors import (
    AuthenticationError,
    PartnerCenterError,
    RetriesExhaustedError,
    UnreadableAnswerError,
    error_from_response,
)
from lib.partner_center.json_fields import Fields
from lib.partner_center.models import CallResult
from lib.partner_center.retry import RETRY_STATUSES, RetryPolicy, retry_after_seconds
from lib.partner_center.tokens import StaticTokenProvider, TokenProvider, check_static_token_allowed
from lib.telemetry import telemetry
from lib.version import version

log = logging.getLogger("csp_guard.partner_center")
CONTRACT_VERSION = "v1"
R = TypeVar("R")


class PartnerCenterTransport:
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
        self.calls = 0  # requests sent, retries included: the fraud poll's call budget counts them
        self.user_agent = user_agent or f"csp-guard/{version()}"

    def _pages(self, path: str, correlation_id: str | None, *,
               extra_headers: Mapping[str, str] | None = None) -> Iterator[Mapping[str, Any]]:
        """Every item of a collection, page after page: each page is one logical call (its own MS-RequestId) under
        one correlation id, and follows `links.next` with the headers it names (MS-ContinuationToken)."""
        correlation = correlation_id or str(uuid.uuid4())
        headers = dict(extra_headers or {})
        next_path, seen = path, set()
        while True:
            answer = self._call("GET", next_path, correlation, extra_headers=headers)
            page = read_answer(lambda value: Fields(value, "collection"), answer.value, answer)
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



def segment(value: str) -> str:
    return quote(value, safe="")


def _body(response: requests.Response, request_id: str, correlation_id: str) -> Any:
    if not response.content:
        return {}
    try:
        # Amounts (totalCost, budget) stay exact: JSON numbers with a fraction are read as Decimal, never float.
        return json.loads(response.content, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise UnreadableAnswerError(f"Partner Center answered {response.status_code} with a body that is not JSON",
                                    status=response.status_code, request_id=request_id,
                                    correlation_id=correlation_id) from None


def read_answer(parser: Callable[[Any], R], value: Any, call: CallResult[Any] | None = None) -> R:
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
