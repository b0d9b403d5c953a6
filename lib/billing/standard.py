"""Standard Webhooks (https://www.standardwebhooks.com/): the canonical body, signed with `whsec_` secrets.

The signature is computed by the `standardwebhooks` package, but verification is ours: the package hard-codes a
5-minute window on the wall clock and takes one secret, while we need WEBHOOK_TOLERANCE_SECONDS, an injected
`now`, and several secrets during a rotation.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError

from lib.billing.provider import (
    SignatureError,
    WebhookSecretError,
    check_tolerance,
    json_object,
    unix_time,
    verified_by_any,
)
from lib.domain.event_fields import EventValidationError
from lib.domain.events import BillingEvent, parse_canonical
from lib.http_basics import header

_SECRET = re.compile(r"whsec_[A-Za-z0-9+/]+={0,2}")


def _signer(secret: str, index: int) -> Webhook:
    if not _SECRET.fullmatch(secret):
        raise WebhookSecretError(f"webhook secret #{index + 1} is not whsec_ followed by base64")
    try:
        return Webhook(secret)
    except (binascii.Error, ValueError, EmptyWebhookSecretError):
        raise WebhookSecretError(f"webhook secret #{index + 1} is not whsec_ followed by base64") from None


def _presented(signature_header: str) -> list[bytes]:
    """The v1 signatures in a space-delimited `v1,<base64> v1,<base64>` list; other versions are skipped."""
    found = []
    for item in signature_header.split():
        version, _, value = item.partition(",")
        if version != "v1" or not value:
            continue
        try:
            found.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found


class StandardWebhooksProvider:
    name = "standard"

    def verify(
        self,
        headers: Mapping[str, str],
        body: bytes,
        secrets: Sequence[str],
        tolerance_seconds: int,
        now: datetime,
    ) -> None:
        msg_id = header(headers, "webhook-id")
        timestamp = header(headers, "webhook-timestamp")
        signature = header(headers, "webhook-signature")
        for name, value in (("webhook-id", msg_id), ("webhook-timestamp", timestamp),
                            ("webhook-signature", signature)):
            if not value:
                raise SignatureError(f"missing {name} header")
        assert msg_id and timestamp and signature
        if not secrets:
            raise SignatureError("no secret is configured for the standard provider")
        signed_at = unix_time(timestamp, "webhook-timestamp")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureError("body is not UTF-8, so it cannot carry a valid signature") from None
        presented = _presented(signature)
        if not presented:
            raise SignatureError("webhook-signature holds no v1,<base64> signature")

        def verifies(numbered: tuple[int, str]) -> bool:
            index, secret = numbered
            expected = base64.b64decode(_signer(secret, index).sign(msg_id, signed_at, text).partition(",")[2])
            matches = [hmac.compare_digest(expected, candidate) for candidate in presented]
            return any(matches)

        if not verified_by_any(list(enumerate(secrets)), verifies):
            raise SignatureError("no webhook-signature matches a configured secret")
        check_tolerance(signed_at, now, tolerance_seconds)

    def parse(self, headers: Mapping[str, str], body: bytes) -> BillingEvent:
        msg_id = header(headers, "webhook-id")
        if not msg_id:
            raise EventValidationError("webhook-id", "header is missing")
        return parse_canonical(self.name, msg_id, json_object(body))
