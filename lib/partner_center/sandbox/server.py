"""A local Partner Center: the real paths, payloads, paging, status codes and throttling, plus an admin API.

Partner Center API (bearer token required; any non-empty token is accepted):
  GET  /v1/customers[?size=N]            GET /v1/customers/{id}
  GET  /v1/customers/{id}/subscriptions  GET|PATCH /v1/customers/{id}/subscriptions/{sub}
  GET  /v1/fraudEvents[?eventStatus=]    GET /v1/servicerequests/supporttopics
  POST /v1/servicerequests/{locale}      GET /v1/servicerequests   GET /v1/servicerequests/{id}
Admin API (no token): /_sandbox/calls (GET, DELETE), /_sandbox/faults (POST, DELETE), /_sandbox/customers (POST),
  /_sandbox/reset (POST), /_sandbox/config (POST page_size, rate_limit), /_sandbox/servicerequests/{id}/status (POST)
"""

from __future__ import annotations

import base64
import json
import re
import signal
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lib.partner_center.sandbox.seed import demo_customers
from lib.partner_center.sandbox.signing import new_identity
from lib.partner_center.sandbox.state import (
    SERVICE_REQUEST_STATUSES,
    SEVERITIES,
    Fault,
    SandboxState,
    new_etag,
    now_iso,
)

_SUB = re.compile(r"^/v1/customers/([^/]+)/subscriptions/([^/]+)$")
_SUBS = re.compile(r"^/v1/customers/([^/]+)/subscriptions$")
_CUSTOMER = re.compile(r"^/v1/customers/([^/]+)$")
_SR = re.compile(r"^/v1/servicerequests/([^/]+)$")
_USAGE = re.compile(r"^/v1/customers/([^/]+)/usagesummary$")
_BUDGET = re.compile(r"^/v1/customers/([^/]+)/usagebudget$")
_ADMIN_SR = re.compile(r"^/_sandbox/servicerequests/([^/]+)/status$")
_TRANSITIONS = {("active", "suspended"), ("suspended", "active"), ("active", "active"), ("suspended", "suspended")}


class ApiError(Exception):
    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default listen backlog (5) resets bursts of concurrent connections

    def __init__(self, address: tuple[str, int], state: SandboxState) -> None:
        super().__init__(address, _Handler)
        self.state = state
        self.identity = new_identity()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        body = _parse(raw)
        state = self.server.state
        if parts.path == "/_sandbox/cert/sandbox.cer":
            return self._send_bytes(200, self.server.identity.certificate_der, "application/pkix-cert")
        if parts.path == "/_sandbox/webhooks/deliver" and self.command == "POST":
            return self._send(*_deliver(self.server, body))
        if parts.path.startswith("/_sandbox/"):
            status, payload = _admin(state, self.command, parts.path, body)
            return self._send(status, payload)
        state.calls.append({"method": self.command, "path": parts.path, "query": query,
                            "headers": dict(self.headers.items()), "body": body, "at": now_iso()})
        fault = state.take_fault(self.command, parts.path)
        if fault is not None and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
        if fault is not None and fault.status:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return self._send(fault.status, fault.body or _error_body(str(fault.status), "injected fault"), headers)
        if state.throttled():
            return self._send(429, _error_body("429", "Too many requests"), {"Retry-After": "1"})
        if not (self.headers.get("Authorization") or "").startswith("Bearer ") or \
                not (self.headers.get("Authorization") or "")[7:].strip():
            return self._send(401, _error_body("400", "Access denied: a bearer token is required"),
                              {"WWW-Authenticate": "Bearer"})
        try:
            status, payload = _api(state, self.command, parts.path, query, dict(self.headers.items()), body)
        except ApiError as exc:
            return self._send(exc.status, _error_body(exc.code, exc.description))
        self._send(status, payload, {"MS-RequestId": self.headers.get("MS-RequestId") or "",
                                     "MS-CorrelationId": self.headers.get("MS-CorrelationId") or ""})

    def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _api(state: SandboxState, method: str, path: str, query: dict[str, str], headers: dict[str, str],
         body: Any) -> tuple[int, Any]:
    with state.lock:
        if method == "GET" and path == "/v1/customers":
            return 200, _collection(state, list(state.customers.values()), path, query, headers)
        if (match := _CUSTOMER.match(path)) and method == "GET":
            return 200, _customer(state, match.group(1))
        if (match := _SUBS.match(path)) and method == "GET":
            _customer(state, match.group(1))
            subs = list(state.subscriptions.get(match.group(1).lower(), {}).values())
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
        if (match := _BUDGET.match(path)) and method == "PATCH":
            customer = _customer(state, match.group(1))
            if not isinstance(body, dict) or "amount" not in body:
                raise ApiError(400, "400056", "Invalid input: amount is required")
            state.usage.setdefault(customer["id"], {})["budget"] = body["amount"]
            return 200, {"amount": body["amount"], "attributes": {"objectType": "SpendingBudget"}}
        if path == "/v1/webhooks/registration":
            if method == "GET":
                if state.webhook_registration is None:
                    raise ApiError(404, "1000", "No webhook registration")
                return 200, state.webhook_registration
            if method in ("POST", "PUT"):
                if not isinstance(body, dict) or not body.get("WebhookUrl"):
                    raise ApiError(400, "3000", "Invalid property: WebhookUrl is required")
                state.webhook_registration = {"SubscriberUrl": body["WebhookUrl"], "WebhookUrl": body["WebhookUrl"],
                                              "WebhookEvents": list(body.get("WebhookEvents") or [])}
                return 200, state.webhook_registration
            if method == "DELETE":
                state.webhook_registration = None
                return 204, None
        if method == "GET" and path == "/v1/fraudEvents":
            lowered = {k.lower(): v for k, v in query.items()}
            wanted = lowered.get("eventstatus")
            subscription = lowered.get("subscriptionid")
            events = [e for e in state.fraud_events if (not wanted or e["eventStatus"].lower() == wanted.lower())
                      and (not subscription or e["subscriptionId"] == subscription)]
            return 200, _collection(state, events, path, query, headers)
        if method == "GET" and path == "/v1/servicerequests/supporttopics":
            return 200, _collection(state, state.support_topics, path, query, headers)
        if method == "GET" and path == "/v1/servicerequests":
            return 200, _collection(state, list(state.service_requests.values()), path, query, headers)
        if match := _SR.match(path):
            if method == "POST":
                # Partner Center makes a retried request (same MS-RequestId) idempotent; so does the sandbox.
                request_id = next((v for k, v in headers.items() if k.lower() == "ms-requestid"), "")
                if request_id and request_id in state.created_by_request:
                    return 201, state.service_requests[state.created_by_request[request_id]]
                created = _create_service_request(state, match.group(1), body)
                if request_id:
                    state.created_by_request[request_id] = created["id"]
                return 201, created
            if method == "GET":
                found = state.service_requests.get(match.group(1))
                if found is None:
                    raise ApiError(404, "1000", f"Service request {match.group(1)} not found")
                return 200, found
    raise ApiError(404, "1000", f"No resource at {method} {path}")


def _customer(state: SandboxState, cid: str) -> dict[str, Any]:
    found = state.customers.get(cid.lower())
    if found is None:
        raise ApiError(404, "1000", f"Customer {cid} not found")
    return found


def _subscription(state: SandboxState, cid: str, sid: str) -> dict[str, Any]:
    _customer(state, cid)
    found = state.subscriptions.get(cid.lower(), {}).get(sid)
    if found is None:
        raise ApiError(404, "1000", f"Subscription {sid} not found")
    return found


def _patch_subscription(sub: dict[str, Any], body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or "status" not in body:
        raise ApiError(400, "400056", "Invalid input: the body must be the subscription resource with a status")
    if body.get("id") not in (None, sub["id"]):
        raise ApiError(400, "3000", "Invalid property: id does not match the subscription")
    wanted = str(body["status"]).lower()
    if wanted not in ("active", "suspended"):
        raise ApiError(400, "3000", f"Invalid property: status {body['status']!r}")
    if (sub["status"], wanted) not in _TRANSITIONS:
        raise ApiError(400, "3000", f"A {sub['status']} subscription cannot be made {wanted}")
    sub["status"] = wanted
    sub["attributes"]["etag"] = new_etag()
    return sub


def _create_service_request(state: SandboxState, locale: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "400056", "Invalid input: the body must be a service request")
    for name in ("title", "description", "severity", "supportTopicId"):
        if not body.get(name):
            raise ApiError(400, "3000", f"Invalid property: {name} is required")
    if body["severity"] not in SEVERITIES:
        raise ApiError(400, "3000", f"Invalid property: severity must be one of {', '.join(SEVERITIES)}")
    topic = next((t for t in state.support_topics if t["id"] == str(body["supportTopicId"])), None)
    if topic is None:
        raise ApiError(400, "3000", f"Invalid property: unknown supportTopicId {body['supportTopicId']}")
    sr_id = f"{int(time.time())}{uuid.uuid4().int % 10**6:06d}"
    created = {"id": sr_id, "title": body["title"], "description": body["description"], "severity": body["severity"],
               "supportTopicId": topic["id"], "supportTopicName": topic["name"], "status": "open",
               "organization": {"name": "sandbox partner"}, "productName": "Partner Center", "countryCode": "CN",
               "locale": locale, "createdDate": now_iso(), "lastModifiedDate": now_iso(), "lastClosedDate": None,
               "notes": [], "attributes": {"objectType": "ServiceRequest"}}
    state.service_requests[sr_id] = created
    return created


def _collection(state: SandboxState, items: list[dict[str, Any]], path: str, query: dict[str, str],
                headers: dict[str, str]) -> dict[str, Any]:
    size = int(query["size"]) if query.get("size", "").isdigit() and int(query["size"]) > 0 else state.page_size
    token = next((v for k, v in headers.items() if k.lower() == "ms-continuationtoken"), None)
    offset = 0
    if token:
        try:
            offset = int(base64.b64decode(token).decode().removeprefix("offset:"))
        except ValueError:
            raise ApiError(400, "400056", "Invalid input: bad continuation token") from None
    page = items[offset:offset + size]
    links: dict[str, Any] = {"self": {"uri": path.removeprefix("/v1"), "method": "GET", "headers": []}}
    if offset + size < len(items):
        next_token = base64.b64encode(f"offset:{offset + size}".encode()).decode()
        links["next"] = {"uri": f"{path.removeprefix('/v1')}?size={size}&seekOperation=Next", "method": "GET",
                         "headers": [{"key": "MS-ContinuationToken", "value": next_token}]}
    return {"totalCount": len(items), "items": page, "links": links, "attributes": {"objectType": "Collection"}}


def _admin(state: SandboxState, method: str, path: str, body: Any) -> tuple[int, Any]:
    if path == "/_sandbox/calls" and method == "GET":
        with state.lock:
            return 200, {"calls": list(state.calls)}
    if path == "/_sandbox/calls" and method == "DELETE":
        state.calls.clear()
        return 200, {"cleared": True}
    if path == "/_sandbox/faults" and method == "POST" and isinstance(body, dict) and body.get("path"):
        with state.lock:
            state.faults.append(Fault(re.compile(body["path"]), (body.get("method") or "").upper() or None,
                                      body.get("status"), int(body.get("times", 1)),
                                      str(body["retry_after"]) if body.get("retry_after") is not None else None,
                                      int(body.get("delay_ms", 0)), body.get("body")))
        return 201, {"faults": len(state.faults)}
    if path == "/_sandbox/faults" and method == "DELETE":
        state.faults.clear()
        return 200, {"cleared": True}
    if path == "/_sandbox/customers" and method == "POST" and isinstance(body, dict):
        return 201, {"added": state.add_customers(body)}
    if path == "/_sandbox/reset" and method == "POST":
        state.reset()
        if isinstance(body, dict) and body.get("demo"):
            state.add_customers(demo_customers())
        return 200, {"reset": True}
    if path == "/_sandbox/config" and method == "POST" and isinstance(body, dict):
        with state.lock:
            state.page_size = int(body.get("page_size", state.page_size))
            state.rate_limit = float(body.get("rate_limit", state.rate_limit))
        return 200, {"page_size": state.page_size, "rate_limit": state.rate_limit}
    if (match := _ADMIN_SR.match(path)) and method == "POST" and isinstance(body, dict):
        found = state.service_requests.get(match.group(1))
        if found is None or body.get("status") not in SERVICE_REQUEST_STATUSES:
            return 400, _error_body("3000", "unknown service request or status")
        found["status"] = body["status"]
        found["lastModifiedDate"] = now_iso()
        return 200, found
    return 404, _error_body("1000", f"No admin resource at {method} {path}")


def _deliver(server: SandboxServer, body: Any) -> tuple[int, Any]:
    """Signs an event like Partner Center and POSTs it to the given (or registered) webhook URL."""
    import requests

    if not isinstance(body, dict) or not body.get("eventName"):
        return 400, _error_body("3000", "eventName is required")
    url = body.get("url") or (server.state.webhook_registration or {}).get("WebhookUrl")
    if not url:
        return 400, _error_body("3000", "no url given and no webhook registered")
    event = {"EventName": body["eventName"], "ResourceUri": body.get("resourceUri", ""),
             "ResourceName": body.get("resourceName", ""), "AuditUri": None, "ResourceChangeUtcDate": now_iso()}
    raw = json.dumps(event).encode("utf-8")
    signature = server.identity.sign(raw)
    if body.get("tamper"):
        raw = raw.replace(b"}", b', "tampered": true}', 1)
    cert_url = body.get("certificateUrl") or f"{server.url}/_sandbox/cert/sandbox.cer"
    headers = {"Content-Type": "application/json", "Authorization": f"Signature {signature}",
               "X-MS-Certificate-Url": cert_url, "X-MS-Signature-Algorithm": "rsa-sha256",
               **(body.get("headers") or {})}
    response = requests.post(url, data=raw, headers=headers, timeout=60)
    try:
        answer: Any = response.json()
    except ValueError:
        answer = response.text
    return 200, {"status": response.status_code, "body": answer, "event": event}


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw.decode("utf-8", errors="replace")


def _error_body(code: str, description: str) -> dict[str, Any]:
    return {"code": code, "description": description, "data": [], "source": "PartnerFD"}


@dataclass
class SandboxHandle:
    server: SandboxServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def state(self) -> SandboxState:
        return self.server.state

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_background(host: str = "127.0.0.1", port: int = 0, *, demo: bool = False) -> SandboxHandle:
    state = SandboxState()
    state.reset()
    if demo:
        state.add_customers(demo_customers())
    server = SandboxServer((host, port), state)
    thread = threading.Thread(target=server.serve_forever, name="pc-sandbox", daemon=True)
    thread.start()
    return SandboxHandle(server, thread)


def serve(host: str, port: int, seed: str | None, demo: bool) -> None:
    handle = start_background(host, port, demo=demo and seed is None)
    if seed is not None:
        handle.state.add_customers(json.loads(Path(seed).read_text(encoding="utf-8")))
    print(f"Partner Center sandbox on {handle.url} ({len(handle.state.customers)} customers)", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    handle.stop()
