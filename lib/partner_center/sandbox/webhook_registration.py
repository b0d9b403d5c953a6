"""The sandbox's `/webhooks/v1/registration`, as partner-center-webhooks documents it: POST registers, PUT updates
(both answer `SubscriberId`, `WebhookUrl`, `WebhookEvents`), GET answers `WebhookUrl` and `WebhookEvents`, DELETE
removes it; `/webhooks/v1/registration/events` lists the events one may register for;
`POST /webhooks/v1/registration/validationEvents` sends a signed `test-created` event to the registered callback
(only when registered for it) and answers its `correlationId`, whose delivery result
`GET /webhooks/v1/registration/validationEvents/{correlationId}` answers. Bodies are read
case-insensitively, like Partner Center's; `SignatureTokenToMsSignatureHeader: true` makes the sandbox's deliveries
carry the signature in `x-ms-signature` instead of `Authorization`."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from lib.partner_center.sandbox.delivery import Delivery
from lib.partner_center.sandbox.errors import INVALID_INPUT, INVALID_PROPERTY, NOT_FOUND, ApiError
from lib.partner_center.sandbox.state import SandboxState

PATH = "/webhooks/v1/registration"
EVENTS_PATH = "/webhooks/v1/registration/events"
VALIDATION_PATH = "/webhooks/v1/registration/validationEvents"
PARTNER_ID = "00000000-0000-0000-0000-00000000c5b0"
SUPPORTED_EVENTS = ["azure-fraud-event-detected", "subscription-updated", "subscription-renewed", "test-created",
                    "usagerecords-thresholdExceeded"]


def handle(state: SandboxState, method: str, path: str, body: Any) -> tuple[int, Any]:
    if path == VALIDATION_PATH or path.startswith(VALIDATION_PATH + "/"):
        return _validation(state, method, path)
    if path == EVENTS_PATH:
        if method != "GET":
            raise ApiError(405, INVALID_INPUT, f"{method} is not allowed on {EVENTS_PATH}")
        return 200, list(SUPPORTED_EVENTS)
    if path != PATH:
        raise ApiError(404, NOT_FOUND, f"No resource at {method} {path}")
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


def _validation(state: SandboxState, method: str, path: str) -> tuple[int, Any]:
    if method == "GET" and path.startswith(VALIDATION_PATH + "/"):
        found = state.validation_events.get(path.removeprefix(VALIDATION_PATH + "/"))
        if found is None:
            raise ApiError(404, NOT_FOUND, "No validation event with that correlation id")
        return 200, found
    if method != "POST" or path != VALIDATION_PATH:
        raise ApiError(405, INVALID_INPUT, f"{method} is not allowed on {path}")
    registration = state.webhook_registration
    if registration is None or "test-created" not in registration["WebhookEvents"]:
        raise ApiError(400, INVALID_INPUT, "Register for the test-created event before sending a validation event")
    correlation = str(uuid.uuid4())
    state.validation_events[correlation] = {"correlationId": correlation, "partnerId": PARTNER_ID,
                                            "status": "inProgress", "callbackUrl": registration["WebhookUrl"],
                                            "results": []}
    delivery = Delivery(registration["WebhookUrl"], "test-created",
                        f"{state.base_url}{VALIDATION_PATH}/{correlation}", "test",
                        in_ms_signature_header=registration["SignatureTokenToMsSignatureHeader"])
    # Delivered after this answer, as Partner Center does, without holding the sandbox's lock during the POST.
    threading.Thread(target=_send, args=(state, correlation, delivery), name="pc-validation", daemon=True).start()
    return 200, {"correlationId": correlation}


def _send(state: SandboxState, correlation: str, delivery: Delivery) -> None:
    assert state.sender is not None
    try:
        answer = state.sender(delivery)
        result = {"responseCode": _phrase(answer["status"]), "responseMessage": "" if answer["status"] < 300
                  else str(answer["body"])[:1000], "systemError": False}
    except Exception as exc:  # the callback could not be reached: recorded, as Partner Center records it
        result = {"responseCode": "ServiceUnavailable", "responseMessage": f"{type(exc).__name__}: {exc}"[:1000],
                  "systemError": True}
    now = datetime.now(UTC)
    result["dateTimeUtc"] = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond * 10:07d}"
    with state.lock:
        found = state.validation_events.get(correlation)
        if found is not None:
            found["results"].append(result)
            found["status"] = "completed"


def _phrase(status: int) -> str:
    """The result's responseCode as the documented sample writes it: "OK", i.e. the status's name in PascalCase."""
    try:
        return "".join(part.capitalize() for part in HTTPStatus(status).name.split("_")).replace("Ok", "OK")
    except ValueError:
        return str(status)
