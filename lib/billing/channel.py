"""Payment channels that answer in their own words (WeChat Pay, Alipay), and the steps they share.

Standard Webhooks and Stripe refuse with our problem+json; a channel's sender reads only its own reply format
(WeChat Pay: 204, or `{"code": "FAIL", ...}`; Alipay: `success` or `failure`) and retries until it gets the
acknowledgement. So a channel verifies, parses and shapes both replies itself, and each channel has one named
refusal. What is the same for every channel lives here once: a signature problem or a timestamp outside
WEBHOOK_TOLERANCE_SECONDS is a 401, a body we cannot map is a 400, and the age checked is that of the timestamp
the signature covered.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from lib.billing.provider import WebhookAuthError, check_tolerance
from lib.domain.event_fields import EventValidationError, customer_id_or_none, id_field
from lib.domain.events import BillingEvent


@dataclass(frozen=True)
class WebhookReply:
    status: int
    body: bytes = b""
    mimetype: str | None = None

    @classmethod
    def json(cls, status: int, data: object) -> WebhookReply:
        return cls(status, json.dumps(data, ensure_ascii=False, default=str).encode("utf-8"), "application/json")


class ChannelRefusal(Exception):
    """A notification the channel refuses: 401 when it is not proven to come from the channel now, 400 when it
    does but is not something we can record (foreign merchant, undecryptable, malformed amount)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def attach_of(value: object) -> tuple[str | None, str | None]:
    """(customer id, invoice id) from `attach` / `passback_params`, a JSON object we put on the order. Unusable
    means unmatched (kept for an operator), never refused: refusing would lose the payment after the retries."""
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None, None
    if not isinstance(parsed, dict):
        return None, None
    invoice = parsed.get("invoice_id")
    try:
        invoice_id = None if invoice is None else id_field(invoice, "attach.invoice_id")
    except EventValidationError:
        invoice_id = None
    return customer_id_or_none(parsed.get("customer_id")), invoice_id


class PaymentChannel(ABC):
    name: ClassVar[str]
    refusal: ClassVar[type[ChannelRefusal]]

    def __init__(self, tolerance_seconds: int) -> None:
        self._tolerance_seconds = tolerance_seconds

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        try:
            signed_at = self._verify_signature(headers, body)
            if signed_at is not None:
                check_tolerance(signed_at, now, self._tolerance_seconds)
        except WebhookAuthError as exc:
            raise self.refusal(401, str(exc)) from None

    def parse(self, headers: Mapping[str, str], body: bytes) -> BillingEvent:
        try:
            return self._parse(headers, body)
        except EventValidationError as exc:
            raise self.refusal(400, str(exc)) from None

    @abstractmethod
    def _verify_signature(self, headers: Mapping[str, str], body: bytes) -> datetime | None:
        """Raise SignatureError unless a configured key verifies the delivery; return the timestamp that the
        signature covers (None for a channel that signs none)."""

    @abstractmethod
    def _parse(self, headers: Mapping[str, str], body: bytes) -> BillingEvent:
        """The canonical event of a verified notification; raises EventValidationError or the channel's refusal."""

    @abstractmethod
    def acknowledge(self) -> WebhookReply:
        """Handled (recorded, a duplicate, unmatched or ignored): the channel stops retrying."""

    @abstractmethod
    def refuse(self, refusal: ChannelRefusal) -> WebhookReply:
        """Refused: nothing was stored."""
