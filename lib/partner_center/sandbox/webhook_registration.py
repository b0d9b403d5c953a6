"""The sandbox's `/webhooks/v1/registration`, as partner-center-webhooks documents it: POST registers, PUT updates
(both answer `SubscriberId`, `WebhookUrl`, `WebhookEvents`), GET answers `WebhookUrl` and `WebhookEvents`, DELETE
removes it; `/webhooks/v1/registration/events` lists the events one may register for. Bodies are read
case-insensitively, like Partner Center's; `SignatureTokenToMsSignatureHeader: true` makes the sandbox's deliveries
carry the signature in `x-ms-signature` instead of `Authorization`."""

from __future__ import annotations

import uuid
from typing import Any

from lib.partner_center.sandbox.errors import INVALID_INPUT, INVALID_PROPERTY, NOT_FOUND, ApiError
from lib.partner_center.sandbox.state import SandboxState

PATH = "/webhooks/v1/registration"
EVENTS_PATH = "/webhooks/v1/registration/events"
SUPPORTED_EVENTS = ["azure-fraud-event-detected", "subscription-updated", "subscription-renewed", "test-created",
                    "usagerecords-thresholdExceeded"]


def handle(state: SandboxState, method: str, path: str, body: Any) -> tuple[int, Any]:
    if path == EVENTS_PATH:
        if method != "GET":
            raise ApiError(405, INVALID_INPUT, f"{method} is not allowed on {EVENTS_PATH}")
        return 200, list(SUPPORTED_EVENTS)
    registration = state.webhook_registration
    if method == "GET":
        if registration is None:
            raise ApiError(404, NOT_FOUND, "No webhook registration")
        return 200, {"WebhookUrl": registration["WebhookUrl"], "WebhookEvents": registration["WebhookEvents"]}
    if method in ("POST", "PUT"):
        fields = {str(k).lower(): v for k, v in body.items()} if isinstance(body, dict) else {}
        url, events = fields.get("webhookurl"), fields.get("webhookevents")
        if not isinstance(url, str) or not url:
            raise ApiError(400, INVALID_PROPERTY, "Invalid property: WebhookUrl is required")
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise ApiError(400, INVALID_PROPERTY, "Invalid property: WebhookEvents must be a list of event names")
        unknown = sorted(set(events) - set(SUPPORTED_EVENTS))
        if unknown:
            raise ApiError(400, INVALID_PROPERTY, f"Invalid property: unsupported event(s) {', '.join(unknown)}")
        if method == "PUT" and registration is None:
            raise ApiError(404, NOT_FOUND, "No webhook registration to update")
        subscriber = registration["SubscriberId"] if registration else str(uuid.uuid4())
        state.webhook_registration = {"SubscriberId": subscriber, "WebhookUrl": url, "WebhookEvents": list(events),
                                      "SignatureTokenToMsSignatureHeader":
                                          fields.get("signaturetokentomssignatureheader") is True}
        return 200, {"SubscriberId": subscriber, "WebhookUrl": url, "WebhookEvents": list(events)}
    if method == "DELETE":
        state.webhook_registration = None
        return 204, None
    raise ApiError(405, INVALID_INPUT, f"{method} is not allowed on {PATH}")
