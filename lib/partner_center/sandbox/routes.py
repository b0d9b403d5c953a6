"""The sandbox's Partner Center API: the real paths under /v1 (and /webhooks/v1), the documented payloads, paging
with `size` and `links.next` + MS-ContinuationToken, and errors in Partner Center's shape ({"code", "description",
"data", "source"}). It follows Microsoft's published samples (tests/fixtures/partner_center/), not the client:
request bodies are read case-insensitively (the documented PATCH and service-request bodies are PascalCase), the
suspend/reactivate answer is PascalCase as documented, and a PATCH whose `If-Match` is not the subscription's
current etag answers 412. The caller (server.py) has already checked the bearer token."""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from lib.partner_center.sandbox import webhook_registration
from lib.partner_center.sandbox.errors import (
    INVALID_INPUT,
    INVALID_PROPERTY,
    NOT_FOUND,
    PRECONDITION_FAILED,
    ApiError,
    error_body,
)
from lib.partner_center.sandbox.fraud_views import fraud_events_view
from lib.partner_center.sandbox.state import SEVERITIES, SandboxState, new_etag, now_iso

_CUSTOMER = re.compile(r"^/v1/customers/([^/]+)$")
_SUBS = re.compile(r"^/v1/customers/([^/]+)/subscriptions$")
_SUB = re.compile(r"^/v1/customers/([^/]+)/subscriptions/([^/]+)$")
_USAGE = re.compile(r"^/v1/customers/([^/]+)/usagesummary$")
_BUDGET = re.compile(r"^/v1/customers/([^/]+)/usagebudget$")
_BILLING_PROFILE = re.compile(r"^/v1/customers/([^/]+)/profiles/billing$")
_SR = re.compile(r"^/v1/servicerequests/([^/]+)$")
# Only suspend and reactivate; asking for the status a subscription already has is accepted as a no-op.
_TRANSITIONS = {("active", "suspended"), ("suspended", "active"), ("active", "active"), ("suspended", "suspended")}

__all__ = ["INVALID_INPUT", "INVALID_PROPERTY", "NOT_FOUND", "ApiError", "error_body", "handle"]


def handle(state: SandboxState, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str],
           body: Any) -> tuple[int, Any]:
    with state.lock:
        if method == "GET" and path == "/v1/customers":
            return 200, _collection(state, list(state.customers.values()), path, query, headers)
        if (match := _CUSTOMER.match(path)) and method == "GET":
            return 200, _customer(state, match.group(1))
        if (match := _SUBS.match(path)) and method == "GET":
            customer = _customer(state, match.group(1))
            subs = list(state.subscriptions.get(customer["id"], {}).values())
            return 200, _collection(state, subs, path, query, headers)
        if match := _SUB.match(path):
            sub = _subscription(state, match.group(1), match.group(2))
            if method == "GET":
                return 200, sub
            if method == "PATCH":
                return 200, pascal_case(_patch_subscription(sub, headers, body))
        if (match := _USAGE.match(path)) and method == "GET":
            customer = _customer(state, match.group(1))
            return 200, _usage_summary(customer, state.usage.get(customer["id"], {}))
        if (match := _BILLING_PROFILE.match(path)) and method == "GET":
            customer = _customer(state, match.group(1))
            return 200, state.billing_profiles[customer["id"]]
        if (match := _BUDGET.match(path)) and method == "PATCH":
            customer = _customer(state, match.group(1))
            amount = _fields(body).get("amount")
            if amount is None:
                raise ApiError(400, INVALID_INPUT, "Invalid input: amount is required")
            state.usage.setdefault(customer["id"], {})["budget"] = amount
            return 200, {"amount": amount, "usageSpendingBudget": amount,
                         "attributes": {"objectType": "SpendingBudget"},
                         "links": {"self": {"uri": path, "method": "PATCH", "headers": []}}}
        if path == webhook_registration.PATH or path.startswith(webhook_registration.PATH + "/"):
            return webhook_registration.handle(state, method, path, body)
        if method == "GET" and path == "/v1/fraudEvents":
            return 200, _fraud_events(state, query, headers)
        if method == "GET" and path == "/v1/servicerequests/supporttopics":
            return 200, _collection(state, state.support_topics, path, query, headers)
        if method == "GET" and path == "/v1/servicerequests":
            return 200, _collection(state, list(state.service_requests.values()), path, query, headers)
        if match := _SR.match(path):
            if method == "POST":
                return 201, _create_service_request_once(state, match.group(1), headers, body)
            if method == "GET":
                found = state.service_requests.get(match.group(1))
                if found is None:
                    raise ApiError(404, NOT_FOUND, f"Service request {match.group(1)} not found")
                return 200, found
    raise ApiError(404, NOT_FOUND, f"No resource at {method} {path}")


def _usage_summary(customer: dict[str, Any], usage: dict[str, Any]) -> dict[str, Any]:
    """As get-a-customer-usage-summary documents it for an Azure plan (currencyCode, usdTotalCost, the billing
    period); amounts as the seed gave them (text or number)."""
    now = datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return {"budget": {"amount": usage.get("budget", 0), "attributes": {"objectType": "SpendingBudget"}},
            "resourceId": customer["id"], "resourceName": customer["companyProfile"]["companyName"],
            "billingStartDate": start.isoformat(), "billingEndDate": end.isoformat(),
            "totalCost": usage.get("totalCost", "0.00"), "currencyCode": "CNY",
            "usdTotalCost": usage.get("usdTotalCost", "0.00"), "lastModifiedDate": now_iso(),
            "attributes": {"objectType": "CustomerUsageSummary"}}


def _customer(state: SandboxState, cid: str) -> dict[str, Any]:
    found = state.customers.get(cid.lower())
    if found is None:
        raise ApiError(404, NOT_FOUND, f"Customer {cid} not found")
    return found


def _subscription(state: SandboxState, cid: str, sid: str) -> dict[str, Any]:
    customer = _customer(state, cid)
    found = state.subscriptions.get(customer["id"], {}).get(sid)
    if found is None:
        raise ApiError(404, NOT_FOUND, f"Subscription {sid} not found")
    return found


def _fields(body: Any) -> dict[str, Any]:
    """A request body's properties by lower-case name: Partner Center reads `Status` and `status` alike."""
    return {str(k).lower(): v for k, v in body.items()} if isinstance(body, dict) else {}


def pascal_case(value: Any) -> Any:
    """The resource as the documented suspend/reactivate answer writes it: every property name PascalCase."""
    if isinstance(value, dict):
        return {(k[:1].upper() + k[1:]): pascal_case(v) for k, v in value.items()}
    if isinstance(value, list):
        return [pascal_case(v) for v in value]
    return value


def _patch_subscription(sub: dict[str, Any], headers: Mapping[str, str], body: Any) -> dict[str, Any]:
    """Suspend or reactivate. The body must be the subscription resource; only its status is applied. `If-Match`,
    when sent (the documented request sends the etag read), must be the current etag or `*`: otherwise 412."""
    if_match = next((v for k, v in headers.items() if k.lower() == "if-match"), None)
    if if_match is not None and if_match.strip() not in ("*", sub["attributes"]["etag"]):
        raise ApiError(412, PRECONDITION_FAILED,
                       "Precondition failed: the subscription has changed since it was read (etag mismatch)")
    fields = _fields(body)
    if not isinstance(body, dict) or "status" not in fields:
        raise ApiError(400, INVALID_INPUT, "Invalid input: the body must be the subscription resource with a status")
    if fields.get("id") not in (None, sub["id"]) and str(fields.get("id")).lower() != sub["id"].lower():
        raise ApiError(400, INVALID_PROPERTY, "Invalid property: id does not match the subscription")
    wanted = str(fields["status"]).lower()
    if wanted not in ("active", "suspended"):
        raise ApiError(400, INVALID_PROPERTY, f"Invalid property: status {fields['status']!r} cannot be set")
    if (sub["status"], wanted) not in _TRANSITIONS:
        raise ApiError(400, INVALID_PROPERTY, f"A {sub['status']} subscription cannot be made {wanted}")
    sub["status"] = wanted
    sub["attributes"]["etag"] = new_etag()
    return sub


# The old events model knew only crypto-mining alerts; every other type needs X-NewEventsModel: true.
OLD_MODEL_EVENT_TYPES = frozenset({"cryptomining", "networkconnectionstocryptominingpools"})


def _fraud_events(state: SandboxState, query: Mapping[str, str],
                  headers: Mapping[str, str]) -> list[dict[str, Any]]:
    return fraud_events_view(_matching_fraud_events(state, query, headers), _new_model(headers))


def _new_model(headers: Mapping[str, str]) -> bool:
    return any(k.lower() == "x-neweventsmodel" and v.lower() == "true" for k, v in headers.items())


def _matching_fraud_events(state: SandboxState, query: Mapping[str, str],
                           headers: Mapping[str, str]) -> list[dict[str, Any]]:
    """As documented: a bare JSON array, filtered by the optional EventStatus and SubscriptionId; in the new events
    model also by EventType, and paged by PageSize and PageNumber when both are positive integers."""
    wanted = {k.lower(): v for k, v in query.items()}
    new_model = _new_model(headers)
    status, subscription = wanted.get("eventstatus"), wanted.get("subscriptionid")
    kind = wanted.get("eventtype") if new_model else None
    found = [e for e in state.fraud_events
             if (new_model or e["eventType"].lower() in OLD_MODEL_EVENT_TYPES)
             and (not status or e["eventStatus"].lower() == status.lower())
             and (not subscription or e["subscriptionId"] == subscription)
             and (not kind or e["eventType"].lower() == kind.lower())]
    if not new_model or "pagesize" not in wanted or "pagenumber" not in wanted:
        return found
    size, number = _positive(wanted["pagesize"], "PageSize"), _positive(wanted["pagenumber"], "PageNumber")
    return found[(number - 1) * size:number * size]


def _positive(value: str, name: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise ApiError(400, INVALID_INPUT, f"Invalid input: {name} must be a positive integer")
    return int(value)


def _create_service_request_once(state: SandboxState, locale: str, headers: Mapping[str, str],
                                 body: Any) -> dict[str, Any]:
    # Partner Center makes a repeated request (same MS-RequestId) idempotent; so does the sandbox.
    request_id = next((v for k, v in headers.items() if k.lower() == "ms-requestid"), "")
    if request_id and request_id in state.created_by_request:
        return state.service_requests[state.created_by_request[request_id]]
    created = _create_service_request(state, locale, body)
    if request_id:
        state.created_by_request[request_id] = created["id"]
    return created


def _create_service_request(state: SandboxState, locale: str, body: Any) -> dict[str, Any]:
    """As create-a-service-request documents: a PascalCase body (read case-insensitively), a severity of
    critical, moderate or minimal (any case accepted), and an answer whose status is `none`."""
    if not isinstance(body, dict):
        raise ApiError(400, INVALID_INPUT, "Invalid input: the body must be a service request")
    fields = _fields(body)
    for name in ("Title", "Description", "Severity", "SupportTopicId"):
        if fields.get(name.lower()) in (None, ""):
            raise ApiError(400, INVALID_PROPERTY, f"Invalid property: {name} is required")
    severity = str(fields["severity"]).lower()
    if severity not in SEVERITIES:
        raise ApiError(400, INVALID_PROPERTY, f"Invalid property: Severity must be one of {', '.join(SEVERITIES)}")
    topic = next((t for t in state.support_topics if str(t["id"]) == str(fields["supporttopicid"])), None)
    if topic is None:
        raise ApiError(400, INVALID_PROPERTY, f"Invalid property: unknown SupportTopicId {fields['supporttopicid']}")
    sr_id = f"{int(time.time())}{uuid.uuid4().int % 10**6:06d}"
    created = {"title": fields["title"], "description": fields["description"], "severity": severity,
               "supportTopicId": str(topic["id"]), "supportTopicName": topic["name"], "id": sr_id, "status": "none",
               "organization": {"id": "00000000-0000-0000-0000-00000000c5b0", "name": "沙箱合作伙伴",
                                "phoneNumber": "4008205959"},
               "primaryContact": {"organization": {"id": "00000000-0000-0000-0000-00000000c5b0",
                                                   "name": "沙箱合作伙伴", "phoneNumber": "4008205959"},
                                  "contactId": "00000000-0000-0000-0000-0000000c0a11", "lastName": "管理员",
                                  "firstName": "沙箱", "email": "admin@sandbox.partner.onmschina.cn",
                                  "phoneNumber": "4008205959"},
               "productName": "Partner Center", "productId": "15960", "countryCode": "CN", "locale": locale,
               "createdDate": now_iso(), "lastModifiedDate": now_iso(), "lastClosedDate": "0001-01-01T00:00:00",
               "notes": [], "attributes": {"objectType": "ServiceRequest"}}
    state.service_requests[sr_id] = created
    return created


def _collection(state: SandboxState, items: list[dict[str, Any]], path: str, query: Mapping[str, str],
                headers: Mapping[str, str]) -> dict[str, Any]:
    """One page: `size` from the query (else the sandbox's page size), the position from MS-ContinuationToken,
    and a `links.next` (relative, without /v1, as Partner Center writes them) naming the next token."""
    raw_size = query.get("size", "")
    size = int(raw_size) if raw_size.isascii() and raw_size.isdigit() and int(raw_size) > 0 else state.page_size
    token = next((v for k, v in headers.items() if k.lower() == "ms-continuationtoken"), None)
    offset = 0
    if token:
        try:
            offset = int(base64.b64decode(token, validate=True).decode().removeprefix("offset:"))
        except ValueError:
            raise ApiError(400, INVALID_INPUT, "Invalid input: bad continuation token") from None
    page = items[offset:offset + size]
    relative = path.removeprefix("/v1")
    # links.self as documented (get-a-list-of-customers): the request's own path, /v1 and query included.
    own = f"{path}?{urlencode(query)}" if query else path
    links: dict[str, Any] = {"self": {"uri": own, "method": "GET", "headers": []}}
    if offset + size < len(items):
        next_token = base64.b64encode(f"offset:{offset + size}".encode()).decode()
        links["next"] = {"uri": f"{relative}?size={size}&seekOperation=Next", "method": "GET",
                         "headers": [{"key": "MS-ContinuationToken", "value": next_token}]}
    return {"totalCount": len(page), "items": page, "links": links, "attributes": {"objectType": "Collection"}}
