"""Fraud events as `GET /v1/fraudEvents` documents them (get-fraud-events): the old model's fields, and with
`X-NewEventsModel: true` the new model's, down to the sample's spellings (`"IsTest": "false"` as a PascalCase
string, `activityLogs` as a string holding a JSON array, `"resolvedReason": "None"` and
`"resolvedOn": "9999-12-31T23:59:59.9970000"` while unresolved, times without an offset)."""

from __future__ import annotations

import json
from typing import Any

OLD_MODEL_FIELDS = (
    "eventTime", "eventId", "partnerTenantId", "partnerFriendlyName", "customerTenantId", "customerFriendlyName",
    "subscriptionId", "subscriptionType", "entityId", "entityName", "entityUrl", "hitCount", "catalogOfferId",
    "eventStatus", "serviceName", "resourceName", "resourceGroupName", "firstOccurrence", "lastOccurrence",
    "resolvedReason", "resolvedOn", "resolvedBy", "firstObserved", "lastObserved",
)
NEW_MODEL_FIELDS = (
    *OLD_MODEL_FIELDS, "eventType", "severity", "confidenceLevel", "displayName", "description", "country",
    "valueAddedResellerTenantId", "valueAddedResellerFriendlyName", "subscriptionName", "affectedResources",
    "additionalDetails",
)


def fraud_events_view(events: list[dict[str, Any]], new_model: bool) -> list[dict[str, Any]]:
    return [_view(event, new_model) for event in events]


def _view(event: dict[str, Any], new_model: bool) -> dict[str, Any]:
    shown = {name: event.get(name) for name in (NEW_MODEL_FIELDS if new_model else OLD_MODEL_FIELDS)}
    if new_model:
        shown["IsTest"] = "true" if event.get("isTest") else "false"
        shown["activityLogs"] = json.dumps(event.get("activityLogs") or [])
    return shown
