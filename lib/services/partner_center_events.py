"""Partner Center's own webhook events, once their signature is verified.

- `azure-fraud-event-detected`: the fraud events named by the event are read from Partner Center and reviewed at
  once by the same rules as the poll (a case remembers its event ids, so poll and webhook never handle one twice).
- `subscription-*` events: that subscription is compared with what csp-guard holds (drift recorded, never undone).
- anything else is acknowledged and ignored.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lib.partner_center.client import PartnerCenterClient
from lib.partner_center.errors import NotFoundError
from lib.partner_center.json_fields import Fields
from lib.services.fraud_detection import FraudDetection, FraudReport
from lib.services.reconcile import Reconciler

log = logging.getLogger("csp_guard.partner_center_events")
_SUBSCRIPTION = re.compile(r"/customers/([^/]+)/subscriptions/([^/?]+)")


class InvalidPartnerCenterEvent(ValueError):
    pass


@dataclass(frozen=True)
class PartnerCenterEvent:
    name: str
    resource_uri: str
    resource_name: str
    changed_at: str


def parse_event(body: bytes) -> PartnerCenterEvent:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # ValueError: a number over 4300 digits too
        raise InvalidPartnerCenterEvent(f"not JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise InvalidPartnerCenterEvent("the event is not a JSON object")
    fields = Fields(data, "event")  # property names are case-insensitive, as everywhere in Partner Center's JSON
    if not isinstance(fields.get("EventName"), str) or not fields.text("EventName"):
        raise InvalidPartnerCenterEvent("EventName is missing")
    return PartnerCenterEvent(fields.text("EventName"), fields.text("ResourceUri"), fields.text("ResourceName"),
                              fields.text("ResourceChangeUtcDate"))


class PartnerCenterEvents:
    def __init__(self, partner_center: PartnerCenterClient, detection: FraudDetection,
                 reconciler: Reconciler) -> None:
        self._pc = partner_center
        self._detection = detection
        self._reconciler = reconciler

    def handle(self, event: PartnerCenterEvent, *, correlation_id: str | None = None) -> dict[str, Any]:
        name = event.name.lower()
        if name == "azure-fraud-event-detected":
            report = FraudReport()
            events = self._fraud_events(event, correlation_id)
            self._detection.review_events(events, report, source="partner_center_webhook",
                                          correlation_id=correlation_id)
            return {"status": "processed", **report.counts()}
        if name.startswith("subscription-"):
            found = _SUBSCRIPTION.search(urlsplit(event.resource_uri).path)
            if found is None:
                return {"status": "ignored", "why": "no subscription in ResourceUri"}
            drift = self._reconciler.check_subscription(found.group(1).lower(), found.group(2))
            return {"status": "processed", "drift": drift}
        log.info("Partner Center event %s acknowledged and ignored", event.name)
        return {"status": "ignored"}

    def _fraud_events(self, event: PartnerCenterEvent, correlation_id: str | None) -> list[Any]:
        """The events the notification is about: those of the subscription its ResourceUri names, else every
        active one (already-handled events are skipped by their case)."""
        subscription = re.search(r"(?i)subscriptionid=([0-9a-zA-Z-]+)", event.resource_uri)
        try:
            if subscription:
                return list(self._pc.list_fraud_events(subscription_id=subscription.group(1),
                                                       correlation_id=correlation_id))
            return list(self._pc.list_fraud_events(status="Active", correlation_id=correlation_id))
        except NotFoundError:
            return []
