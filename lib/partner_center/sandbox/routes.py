"""The sandbox's Partner Center API: the real paths under /v1, the documented payloads, paging with `size` and
`links.next` + MS-ContinuationToken, and errors in Partner Center's shape ({"code", "description", "data",
"source"}). The caller (server.py) has already checked the bearer token."""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any

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

NOT_FOUND, INVALID_INPUT, INVALID_PROPERTY = 1000, 2000, 3000


class ApiError(Exception):
    def __init__(self, status: int, code: int, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


def error_body(code: int, description: str) -> dict[str, Any]:
    return {"code": code, "description": description, "data": [], "source": "PartnerFD"}


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
                return 200, _patch_subscription(sub, body)
        if (match := _USAGE.match(path)) and method == "GET":
            customer = _customer(state, match.group(1))
            usage = state.usage.get(customer["id"], {})
            return 200, {"totalCost": usage.get("totalCost", "0.00"), "currencyCode": "CNY", "currencyLocale": "zh-CN",
                         "budget": {"amount": usage.get("budget", 0)}, "usageStartTime": now_iso(),
                         "attributes": {"objectType": "CustomerUsageSummary"}}
        if (match := _BILLING_PROFILE.match(path)) and method == "GET":
            customer = _customer(state, match.group(1))
            return 200, state.billing_profiles[customer["id"]]
        if (match := _BUDGET.match(path)) and method == "PATCH":
            customer = _customer(state, match.group(1))
            if not isinstance(body, dict) or "amount" not in body:
                raise ApiError(400, INVALID_INPUT, "Invalid input: amount is required")
            state.usage.setdefault(customer["id"], {})["budget"] = body["amount"]
            return 200, {"amount": body["amount"], "attributes": {"objectType": "SpendingBudget"}}
        if path == "/v1/webhooks/registration":
            return _webhook_registration(state, method, body)
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


def _patch_subscription(sub: dict[str, Any], body: Any) -> dict[str, Any]:
    """Suspend or reactivate. The body must be the subscription resource; only its status is applied."""
    if not isinstance(body, dict) or "status" not in body:
        raise ApiError(400, INVALID_INPUT, "Invalid input: the body must be the subscription resource with a status")
    if body.get("id") not in (None, sub["id"]):
        raise ApiError(400, INVALID_PROPERTY, "Invalid property: id does not match the subscription")
    wanted = str(body["status"]).lower()
    if wanted not in ("active", "suspended"):
        raise ApiError(400, INVALID_PROPERTY, f"Invalid property: status {body['status']!r} cannot be set")
    if (sub["status"], wanted) not in _TRANSITIONS:
        raise ApiError(400, INVALID_PROPERTY, f"A {sub['status']} subscription cannot be made {wanted}")
    sub["status"] = wanted
    sub["attributes"]["etag"] = new_etag()
    return sub


def _webhook_registration(state: SandboxState, method: str, body: Any) -> tuple[int, Any]:
    if method == "GET":
        if state.webhook_registration is None:
            raise ApiError(404, NOT_FOUND, "No webhook registration")
        return 200, state.webhook_registration
    if method in ("POST", "PUT"):
        if not isinstance(body, dict) or not body.get("WebhookUrl"):
            raise ApiError(400, INVALID_PROPERTY, "Invalid property: WebhookUrl is required")
        state.webhook_registration = {"SubscriberUrl": body["WebhookUrl"], "WebhookUrl": body["WebhookUrl"],
                                      "WebhookEvents": list(body.get("WebhookEvents") or [])}
        return 200, state.webhook_registration
    if method == "DELETE":
        state.webhook_registration = None
        return 204, None
    raise ApiError(405, INVALID_INPUT, f"{method} is not allowed on /v1/webhooks/registration")


# The old events model knew only crypto-mining alerts; every other type needs X-NewEventsModel: true.
OLD_MODEL_EVENT_TYPES = frozenset({"cryptomining", "networkconnectionstocryptominingpools"})


def _fraud_events(state: SandboxState, query: Mapping[str, str],
                  headers: Mapping[str, str]) -> list[dict[str, Any]]:
    """As documented: a bare JSON array, filtered by the optional EventStatus and SubscriptionId; in the new events
    model also by EventType, and paged by PageSize and PageNumber when both are positive integers."""
    wanted = {k.lower(): v for k, v in query.items()}
    new_model = any(k.lower() == "x-neweventsmodel" and v.lower() == "true" for k, v in headers.items())
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
    if not isinstance(body, dict):
        raise ApiError(400, INVALID_INPUT, "Invalid input: the body must be a service request")
    for name in ("title", "description", "severity", "supportTopicId"):
        if not body.get(name):
            raise ApiError(400, INVALID_PROPERTY, f"Invalid property: {name} is required")
    severity = next((s for s in SEVERITIES if s.lower() == str(body["severity"]).lower()), None)
    if severity is None:
        raise ApiError(400, INVALID_PROPERTY, f"Invalid property: severity must be one of {', '.join(SEVERITIES)}")
    topic = next((t for t in state.support_topics if t["id"] == str(body["supportTopicId"])), None)
    if topic is None:
        raise ApiError(400, INVALID_PROPERTY, f"Invalid property: unknown supportTopicId {body['supportTopicId']}")
    sr_id = f"{int(time.time())}{uuid.uuid4().int % 10**6:06d}"
    created = {"id": sr_id, "title": body["title"], "description": body["description"], "severity": severity,
               "supportTopicId": topic["id"], "supportTopicName": topic["name"], "status": "open",
               "organization": {"name": "沙箱合作伙伴"}, "productName": "Partner Center", "countryCode": "CN",
               "locale": locale, "createdDate": now_iso(), "lastModifiedDate": now_iso(), "lastClosedDate": None,
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
    links: dict[str, Any] = {"self": {"uri": relative, "method": "GET", "headers": []}}
    if offset + size < len(items):
        next_token = base64.b64encode(f"offset:{offset + size}".encode()).decode()
        links["next"] = {"uri": f"{relative}?size={size}&seekOperation=Next", "method": "GET",
                         "headers": [{"key": "MS-ContinuationToken", "value": next_token}]}
    return {"totalCount": len(page), "items": page, "links": links, "attributes": {"objectType": "Collection"}}
