"""The sandbox's admin API, for tests and demos (no token; never recorded in the call log):

  GET    /_sandbox/calls                      every Partner Center request received: method, path, query, headers,
                                              body (parsed when JSON), at
  DELETE /_sandbox/calls                      forget them
  POST   /_sandbox/faults                     {"path": regex, "method", "status", "times", "retry_after", "delay_ms",
                                              "body"}: the next `times` matching requests (negative: all) get that
                                              status/body (and Retry-After), after delay_ms; delay_ms alone = latency
  DELETE /_sandbox/faults                     remove them all
  POST   /_sandbox/customers                  add customers, subscriptions and fraud events (the seed format)
  POST   /_sandbox/reset                      empty everything; {"demo": true} reloads the demo data
  POST   /_sandbox/config                     {"page_size": N, "rate_limit": requests per second, 0 = off}
  POST   /_sandbox/servicerequests/{id}/status  {"status": none|open|closed|attention_needed}
  POST   /_sandbox/webhooks/deliver           sign an event like Partner Center and POST it to a webhook URL:
                                              {"eventName", "url" (else the registered WebhookUrl), "resourceUri",
                                              "signatureHeader": "authorization" | "x-ms-signature" (else as
                                              registered: SignatureTokenToMsSignatureHeader), "signer":
                                              "self-signed" (a certificate no CA issued), "certificateUrl",
                                              "tamper", "headers"}
  GET    /_sandbox/cert/sandbox.cer           the certificate those deliveries are signed with (issued by ca.pem)
  GET    /_sandbox/cert/ca.pem                the sandbox's test CA (PARTNER_CENTER_WEBHOOK_CA_BUNDLE for local runs)
  GET    /_sandbox/cert/self-signed.cer       the self-signed certificate of "signer": "self-signed"
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lib.partner_center.sandbox.delivery import Delivery, deliver
from lib.partner_center.sandbox.errors import INVALID_INPUT, INVALID_PROPERTY, NOT_FOUND, error_body
from lib.partner_center.sandbox.seed import demo_customers
from lib.partner_center.sandbox.state import SERVICE_REQUEST_STATUSES, Fault, SandboxState, SeedError, now_iso

if TYPE_CHECKING:
    from lib.partner_center.sandbox.server import SandboxServer

_ADMIN_SR = re.compile(r"^/_sandbox/servicerequests/([^/]+)/status$")


def handle(server: SandboxServer, method: str, path: str, body: Any) -> tuple[int, Any]:
    state = server.state
    try:
        return _handle(server, state, method, path, body)
    except SeedError as exc:
        return 400, error_body(INVALID_INPUT, str(exc))


def _handle(server: SandboxServer, state: SandboxState, method: str, path: str, body: Any) -> tuple[int, Any]:
    if path == "/_sandbox/calls" and method == "GET":
        with state.lock:
            return 200, {"calls": list(state.calls)}
    if path == "/_sandbox/calls" and method == "DELETE":
        with state.lock:
            state.calls.clear()
        return 200, {"cleared": True}
    if path == "/_sandbox/faults" and method == "POST":
        fault = Fault.from_json(body)
        with state.lock:
            state.faults.append(fault)
            return 201, {"faults": len(state.faults)}
    if path == "/_sandbox/faults" and method == "DELETE":
        with state.lock:
            state.faults.clear()
        return 200, {"cleared": True}
    if path == "/_sandbox/customers" and method == "POST":
        return 201, {"added": state.add_customers(body)}
    if path == "/_sandbox/reset" and method == "POST":
        with state.lock:
            state.reset()
            if isinstance(body, dict) and body.get("demo"):
                state.add_customers(demo_customers())
        return 200, {"reset": True, "customers": len(state.customers)}
    if path == "/_sandbox/config" and method == "POST":
        return _config(state, body)
    if (match := _ADMIN_SR.match(path)) and method == "POST":
        with state.lock:
            found = state.service_requests.get(match.group(1))
            if found is None:
                return 404, error_body(NOT_FOUND, f"Service request {match.group(1)} not found")
            if not isinstance(body, dict) or body.get("status") not in SERVICE_REQUEST_STATUSES:
                return 400, error_body(INVALID_PROPERTY, f"status must be one of {', '.join(SERVICE_REQUEST_STATUSES)}")
            found["status"] = body["status"]
            found["lastModifiedDate"] = now_iso()
            if body["status"] == "closed":
                found["lastClosedDate"] = found["lastModifiedDate"]
            return 200, found
    if path == "/_sandbox/webhooks/deliver" and method == "POST":
        return _deliver(server, body)
    return 404, error_body(NOT_FOUND, f"No admin resource at {method} {path}")


def _config(state: SandboxState, body: Any) -> tuple[int, Any]:
    if not isinstance(body, dict):
        raise SeedError('config must be {"page_size": N, "rate_limit": N}')
    try:
        page_size = int(body.get("page_size", state.page_size))
        rate_limit = float(body.get("rate_limit", state.rate_limit))
    except (TypeError, ValueError):
        raise SeedError("page_size and rate_limit must be numbers") from None
    if page_size < 1 or rate_limit < 0:
        raise SeedError("page_size must be at least 1 and rate_limit not negative")
    with state.lock:
        state.page_size, state.rate_limit = page_size, rate_limit
    return 200, {"page_size": page_size, "rate_limit": rate_limit}


def _deliver(server: SandboxServer, body: Any) -> tuple[int, Any]:
    """Signs an event like Partner Center and POSTs it to the given (or registered) webhook URL."""
    if not isinstance(body, dict) or not body.get("eventName"):
        return 400, error_body(INVALID_PROPERTY, "eventName is required")
    registration = server.state.webhook_registration or {}
    url = body.get("url") or registration.get("WebhookUrl")
    if not url:
        return 400, error_body(INVALID_PROPERTY, "no url given and no webhook registered")
    in_ms_header = body.get("signatureHeader", "x-ms-signature" if registration.get(
        "SignatureTokenToMsSignatureHeader") else "authorization") == "x-ms-signature"
    return 200, deliver(server, Delivery(
        url, str(body["eventName"]), str(body.get("resourceUri", "")), str(body.get("resourceName", "")),
        in_ms_signature_header=in_ms_header, self_signed=body.get("signer") == "self-signed",
        certificate_url=body.get("certificateUrl"), tamper=bool(body.get("tamper")),
        headers=dict(body.get("headers") or {})))
