"""Partner Center's webhook registration resources (partner-center-webhooks), read case-insensitively."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lib.partner_center.errors import UnreadableAnswerError
from lib.partner_center.json_fields import Fields


@dataclass(frozen=True)
class WebhookRegistration:
    """`/webhooks/v1/registration`: the partner's one registration (SubscriberId, WebhookUrl, WebhookEvents), and
    whether Partner Center puts the signature in `x-ms-signature` instead of `Authorization`."""

    webhook_url: str
    events: tuple[str, ...]
    subscriber_id: str | None = None
    signature_in_ms_signature_header: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WebhookRegistration:
        f = Fields(data, "webhook registration")
        events = f.get("webhookEvents")
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise UnreadableAnswerError("a webhook registration's WebhookEvents must be a list of names")
        return cls(webhook_url=f.required("webhookUrl"), events=tuple(events),
                   subscriber_id=f.optional("subscriberId"),
                   signature_in_ms_signature_header=f.boolean("signatureTokenToMsSignatureHeader"))

    def to_json(self) -> dict[str, Any]:
        return {"SubscriberId": self.subscriber_id, "WebhookUrl": self.webhook_url,
                "WebhookEvents": list(self.events),
                "SignatureTokenToMsSignatureHeader": self.signature_in_ms_signature_header}


@dataclass(frozen=True)
class WebhookValidation:
    """A test event (`test-created`) Partner Center was asked to send, and the result of each delivery attempt:
    `GET /webhooks/v1/registration/validationEvents/{correlationId}` (`status`, `callbackUrl`, `results` with
    `responseCode`, `responseMessage`, `systemError`, `dateTimeUtc`)."""

    correlation_id: str
    status: str = ""
    callback_url: str = ""
    results: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WebhookValidation:
        f = Fields(data, "validation event")
        return cls(correlation_id=f.required("correlationId"), status=f.text("status"),
                   callback_url=f.text("callbackUrl"), results=f.objects("results"))

    def to_json(self) -> dict[str, Any]:
        return {"correlationId": self.correlation_id, "status": self.status, "callbackUrl": self.callback_url,
                "results": list(self.results)}
