"""A billing provider's webhook, from raw HTTP to a recorded event: size, provider, signature, body, ingest.

`receive_delivery` serves every `POST /api/webhooks/{provider}`: a payment channel (WeChat Pay, Alipay) answers
in its own reply format, the other providers with our JSON (and problem+json for what they refuse).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from lib.billing.channel import ChannelRefusal, WebhookReply
from lib.billing.registry import channel_named, provider_named
from lib.services.ingest_event import IngestResult, LedgerIngestion
from lib.settings import Settings
from lib.telemetry import telemetry

MAX_BODY_BYTES = 256 * 1024
log = logging.getLogger("csp_guard.webhooks")


class PayloadTooLarge(ValueError):
    pass


class WebhookNotConfigured(RuntimeError):
    """We know the provider but hold no secret for it: our fault, so the sender should keep retrying."""


def receive_webhook(provider_name: str, headers: Mapping[str, str], body: bytes, *, settings: Settings,
                    ingestion: LedgerIngestion, now: datetime) -> IngestResult:
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}")
    provider = provider_named(provider_name)
    secrets = settings.webhook_secrets.get(provider_name)
    if not secrets:
        raise WebhookNotConfigured(f"no WEBHOOK_SECRET_{provider_name.upper()} is configured")
    provider.verify(headers, body, secrets, settings.webhook_tolerance_seconds, now)
    event = provider.parse(headers, body)
    result = ingestion.ingest(event, body)
    telemetry.webhook_events.add(1, {"provider": provider_name, "status": result.status})
    return result


def receive_delivery(provider_name: str, headers: Mapping[str, str], body: bytes, *, settings: Settings,
                     ingestion: LedgerIngestion, now: datetime) -> WebhookReply:
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}")
    channel = channel_named(provider_name, settings)
    if channel is None:
        result = receive_webhook(provider_name, headers, body, settings=settings, ingestion=ingestion, now=now)
        return WebhookReply.json(200, result.as_json())
    try:
        channel.verify(headers, body, now)
        event = channel.parse(headers, body)
    except ChannelRefusal as refusal:
        log.warning("%s notification refused (%s): %s", provider_name, refusal.status, refusal)
        telemetry.webhook_events.add(1, {"provider": provider_name, "status": "refused"})
        return channel.refuse(refusal)
    result = ingestion.ingest(event, body)
    telemetry.webhook_events.add(1, {"provider": provider_name, "status": result.status})
    return channel.acknowledge()
