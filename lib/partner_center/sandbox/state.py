"""The sandbox's world: customers, subscriptions, fraud events, support topics, service requests, the log of
calls received and the faults to inject. Thread-safe; nothing here imports the client."""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SEVERITIES = ("Minimal", "Moderate", "Critical")
SERVICE_REQUEST_STATUSES = ("none", "open", "closed", "attention_needed")


@dataclass
class Fault:
    path: re.Pattern[str]
    method: str | None
    status: int | None
    times: int
    retry_after: str | None
    delay_ms: int
    body: Any = None


@dataclass
class SandboxState:
    lock: threading.RLock = field(default_factory=threading.RLock)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    fraud_events: list[dict[str, Any]] = field(default_factory=list)
    support_topics: list[dict[str, Any]] = field(default_factory=list)
    service_requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    usage: dict[str, dict[str, Any]] = field(default_factory=dict)  # customer -> totalCost, budget (yuan text)
    webhook_registration: dict[str, Any] | None = None
    created_by_request: dict[str, str] = field(default_factory=dict)  # MS-RequestId -> service request id
    calls: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    page_size: int = 100
    rate_limit: float = 0.0  # requests per second; 0 = unlimited
    _window: list[float] = field(default_factory=list)

    def reset(self) -> None:
        with self.lock:
            self.customers.clear()
            self.subscriptions.clear()
            self.fraud_events.clear()
            self.service_requests.clear()
            self.usage.clear()
            self.webhook_registration = None
            self.created_by_request.clear()
            self.calls.clear()
            self.faults.clear()
            self.support_topics[:] = default_support_topics()
            self.page_size = 100
            self.rate_limit = 0.0

    def add_customers(self, payload: dict[str, Any]) -> int:
        added = 0
        with self.lock:
            for entry in payload.get("customers") or []:
                cid = str(entry["id"]).lower()
                self.customers[cid] = customer_resource(cid, entry.get("companyName") or cid, entry.get("domain"))
                subs = self.subscriptions.setdefault(cid, {})
                for sub in entry.get("subscriptions") or []:
                    resource = subscription_resource(cid, sub)
                    subs[resource["id"]] = resource
                if entry.get("usage"):
                    self.usage[cid] = dict(entry["usage"])
                for event in entry.get("fraudEvents") or []:
                    self.fraud_events.append(fraud_event_resource(cid, entry.get("companyName") or cid, event))
                added += 1
        return added

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times != 0 and (fault.method is None or fault.method == method) and fault.path.search(path):
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def throttled(self) -> bool:
        """A sliding one-second window, answered like Partner Center's throttling (429 + Retry-After)."""
        if not self.rate_limit:
            return False
        with self.lock:
            now = time.monotonic()
            self._window = [t for t in self._window if now - t < 1.0]
            if len(self._window) >= self.rate_limit:
                return True
            self._window.append(now)
            return False


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def new_etag() -> str:
    return uuid.uuid4().hex


def customer_resource(cid: str, company: str, domain: str | None = None) -> dict[str, Any]:
    profile = {"tenantId": cid, "domain": domain or f"{cid[:8]}.partner.onmschina.cn", "companyName": company,
               "attributes": {"objectType": "CustomerCompanyProfile"}}
    return {"id": cid, "companyProfile": profile, "relationshipToPartner": "reseller",
            "attributes": {"objectType": "Customer"}}


def subscription_resource(cid: str, sub: dict[str, Any]) -> dict[str, Any]:
    sid = str(sub.get("id") or uuid.uuid4())
    offer_id = str(sub.get("offerId") or uuid.uuid4()).upper()
    return {
        "id": sid, "entitlementId": sid, "offerId": offer_id, "offerName": sub.get("offerName", "Azure plan"),
        "friendlyName": sub.get("friendlyName", sub.get("offerName", "Azure plan")),
        "quantity": int(sub.get("quantity", 1)), "unitType": sub.get("unitType", "Licenses"),
        "hasPurchasableAddons": False, "creationDate": sub.get("creationDate", "2026-01-01T00:00:00Z"),
        "effectiveStartDate": sub.get("effectiveStartDate", "2026-01-01T00:00:00Z"),
        "commitmentEndDate": sub.get("commitmentEndDate", "2027-01-01T00:00:00Z"),
        "status": sub.get("status", "active"), "autoRenewEnabled": bool(sub.get("autoRenewEnabled", True)),
        "isTrial": False, "billingType": sub.get("billingType", "license"),
        "billingCycle": sub.get("billingCycle", "monthly"), "termDuration": sub.get("termDuration", "P1M"),
        "contractType": "subscription", "orderId": sub.get("orderId", uuid.uuid4().hex),
        "links": {
            "offer": {"uri": f"/offers/{offer_id}?country=CN", "method": "GET", "headers": []},
            "entitlement": {"uri": f"/customers/{cid}/entitlements/{sid}", "method": "GET", "headers": []},
            "self": {"uri": f"/customers/{cid}/subscriptions/{sid}", "method": "GET", "headers": []},
        },
        "attributes": {"etag": new_etag(), "objectType": "Subscription"},
    }


def fraud_event_resource(cid: str, company: str, event: dict[str, Any]) -> dict[str, Any]:
    event_type = event.get("eventType", "CryptoMining")
    return {"eventId": event.get("eventId") or str(uuid.uuid4()), "partnerId": "sandbox-partner",
            "customerTenantId": cid, "customerName": company, "subscriptionId": event.get("subscriptionId", ""),
            "subscriptionType": "Azure", "entityId": event.get("entityId", ""),
            "entityName": event.get("entityName", "vm-miner-01"), "entityUrl": "", "hitCount": event.get("hitCount", 1),
            "eventName": event.get("eventName", event_type), "eventType": event_type,
            "eventStatus": event.get("eventStatus", "Active"), "severity": event.get("severity", "High"),
            "eventTime": event.get("eventTime", now_iso()), "firstOccurrence": event.get("eventTime", now_iso()),
            "lastOccurrence": event.get("eventTime", now_iso()), "resolvedOn": None, "resolvedReason": None,
            "resolvedBy": None, "attributes": {"objectType": "FraudEvent"}}


def default_support_topics() -> list[dict[str, Any]]:
    return [
        {"id": "32444671", "name": "Fraud or suspicious activity", "description": "Report suspected fraud or misuse",
         "attributes": {"objectType": "SupportTopic"}},
        {"id": "32444672", "name": "Billing", "description": "Invoices, payments and credits",
         "attributes": {"objectType": "SupportTopic"}},
        {"id": "32444673", "name": "Subscription management", "description": "Suspend, reactivate, cancel",
         "attributes": {"objectType": "SupportTopic"}},
    ]
