"""The sandbox's world: customers, subscriptions, fraud events, support topics, service requests, the log of
calls received, the faults to inject and an optional rate limit. Thread-safe (one re-entrant lock); nothing here
imports the client."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SEVERITIES = ("minimal", "moderate", "critical")  # as create-a-service-request documents them
SERVICE_REQUEST_STATUSES = ("none", "open", "closed", "attention_needed")
CALL_LOG_LIMIT = 10_000  # a long `make run` must not grow without bound; tests stay far below this


class SeedError(ValueError):
    """The admin seed or fault payload is malformed (answered 400)."""


@dataclass
class Fault:
    path: re.Pattern[str]
    method: str | None
    status: int | None
    times: int  # how many more requests it applies to; negative = forever
    retry_after: str | None
    delay_ms: int
    body: Any = None

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        if not isinstance(data, dict) or not isinstance(data.get("path"), str):
            raise SeedError('a fault needs "path" (a regular expression)')
        try:
            pattern = re.compile(data["path"])
            status = int(data["status"]) if data.get("status") is not None else None
            times, delay = int(data.get("times", 1)), int(data.get("delay_ms", 0))
        except (re.error, TypeError, ValueError) as exc:
            raise SeedError(f"bad fault: {exc}") from None
        if status is not None and not 100 <= status <= 599:
            raise SeedError(f"bad fault: status {status}")
        if status is None and not delay:
            raise SeedError('a fault needs "status", "delay_ms" or both')
        retry_after = str(data["retry_after"]) if data.get("retry_after") is not None else None
        return cls(pattern, str(data.get("method") or "").upper() or None, status, times, retry_after, delay,
                   data.get("body"))


@dataclass
class SandboxState:
    lock: threading.RLock = field(default_factory=threading.RLock)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    fraud_events: list[dict[str, Any]] = field(default_factory=list)
    support_topics: list[dict[str, Any]] = field(default_factory=list)
    service_requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    usage: dict[str, dict[str, Any]] = field(default_factory=dict)  # customer -> totalCost, budget (yuan text)
    billing_profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # customer -> CustomerBillingProfile
    webhook_registration: dict[str, Any] | None = None
    validation_events: dict[str, dict[str, Any]] = field(default_factory=dict)  # correlationId -> its result
    # Set by the server: delivers a signed event (delivery.Delivery) and returns the callback's answer.
    sender: Callable[[Any], dict[str, Any]] | None = None
    base_url: str = ""
    created_by_request: dict[str, str] = field(default_factory=dict)  # MS-RequestId -> service request id
    calls: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=CALL_LOG_LIMIT))
    faults: list[Fault] = field(default_factory=list)
    page_size: int = 100
    rate_limit: float = 0.0  # requests per second; 0 = unlimited
    generation: int = 0  # bumped by reset(), so a request delayed across a reset cannot touch the new world
    _window: deque[float] = field(default_factory=deque)

    def reset(self) -> None:
        with self.lock:
            self.customers.clear()
            self.subscriptions.clear()
            self.fraud_events.clear()
            self.service_requests.clear()
            self.usage.clear()
            self.billing_profiles.clear()
            self.webhook_registration = None
            self.validation_events.clear()
            self.created_by_request.clear()
            self.calls.clear()
            self.faults.clear()
            self.support_topics[:] = default_support_topics()
            self.page_size = 100
            self.rate_limit = 0.0
            self._window.clear()
            self.generation += 1

    def add_customers(self, payload: Any) -> int:
        """Adds (or replaces, by id) the customers of an admin seed: {"customers": [{"id", "companyName",
        "subscriptions": [...], "fraudEvents": [...]}]}. Checked whole before anything is added."""
        entries = payload.get("customers") if isinstance(payload, dict) else None
        if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("id") for e in entries):
            raise SeedError('the seed must be {"customers": [{"id": ..., ...}]}')
        for entry in entries:
            for name in ("subscriptions", "fraudEvents"):
                if not isinstance(entry.get(name) or [], list) or \
                        not all(isinstance(item, dict) for item in entry.get(name) or []):
                    raise SeedError(f"customer {entry['id']}: {name} must be a list of objects")
            if not isinstance(entry.get("billingProfile") or {}, dict):
                raise SeedError(f"customer {entry['id']}: billingProfile must be an object")
        with self.lock:
            for entry in entries:
                cid = str(entry["id"]).lower()
                company = str(entry.get("companyName") or cid)
                self.customers[cid] = customer_resource(cid, company, entry.get("domain"))
                subs = self.subscriptions.setdefault(cid, {})
                for sub in entry.get("subscriptions") or []:
                    resource = subscription_resource(cid, sub)
                    subs[resource["id"]] = resource
                self.billing_profiles[cid] = billing_profile_resource(cid, company, entry.get("billingProfile") or {})
                if isinstance(entry.get("usage"), dict):
                    self.usage[cid] = dict(entry["usage"])
                for event in entry.get("fraudEvents") or []:
                    self.fraud_events.append(fraud_event_resource(cid, company, event))
        return len(entries)

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times != 0 and (fault.method is None or fault.method == method) and fault.path.search(path):
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def throttled(self) -> float | None:
        """With a rate limit set, a sliding one-second window: None when the request may go ahead, else the
        seconds until it could (for Retry-After), like Partner Center's throttling."""
        if not self.rate_limit:
            return None
        with self.lock:
            now = time.monotonic()
            while self._window and now - self._window[0] >= 1.0:
                self._window.popleft()
            if len(self._window) >= self.rate_limit:
                return 1.0 - (now - self._window[0])
            self._window.append(now)
            return None


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def new_etag() -> str:
    return uuid.uuid4().hex


def customer_resource(cid: str, company: str, domain: str | None = None) -> dict[str, Any]:
    profile = {"tenantId": cid, "domain": domain or f"{cid[:8]}.partner.onmschina.cn", "companyName": company,
               "attributes": {"objectType": "CustomerCompanyProfile"}}
    return {"id": cid, "companyProfile": profile, "relationshipToPartner": "reseller",
            "links": {"self": {"uri": f"/customers/{cid}", "method": "GET", "headers": []}},
            "attributes": {"objectType": "Customer"}}


def billing_profile_resource(cid: str, company: str, seed: dict[str, Any]) -> dict[str, Any]:
    """A CustomerBillingProfile as `GET /v1/customers/{id}/profiles/billing` returns it (shape as in
    tests/fixtures/partner_center/billing_profile.json). Unseeded fields stay empty, as for a customer whose
    profile was never completed: no e-mail means no recipient."""
    return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"billing-profile/{cid}")),
            "firstName": str(seed.get("firstName", "")), "lastName": str(seed.get("lastName", "")),
            "email": str(seed.get("email", "")), "culture": str(seed.get("culture", "zh-CN")),
            "language": str(seed.get("language", "zh-Hans" if str(seed.get("culture", "zh-CN")).startswith("zh")
                                      else "en")),
            "companyName": company,
            "defaultAddress": {"country": "CN", "city": "", "state": "", "addressLine1": "", "postalCode": "",
                               "firstName": str(seed.get("firstName", "")), "lastName": str(seed.get("lastName", "")),
                               "phoneNumber": ""},
            "links": {"self": {"uri": f"/customers/{cid}/profiles/billing", "method": "GET", "headers": []}},
            "attributes": {"etag": new_etag(), "objectType": "CustomerBillingProfile"}}


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
        "status": str(sub.get("status", "active")).lower(), "autoRenewEnabled": bool(sub.get("autoRenewEnabled", True)),
        "isTrial": False, "billingType": sub.get("billingType", "license"),
        "billingCycle": sub.get("billingCycle", "monthly"), "termDuration": sub.get("termDuration", "P1M"),
        "contractType": "subscription", "orderId": sub.get("orderId", uuid.uuid4().hex),
        "parentSubscriptionId": sub.get("parentSubscriptionId"), "partnerId": None,
        "links": {
            "offer": {"uri": f"/offers/{offer_id}?country=CN", "method": "GET", "headers": []},
            "entitlement": {"uri": f"/customers/{cid}/entitlements/{sid}", "method": "GET", "headers": []},
            "self": {"uri": f"/customers/{cid}/subscriptions/{sid}", "method": "GET", "headers": []},
        },
        "attributes": {"etag": new_etag(), "objectType": "Subscription"},
    }


def documented_time(text: str | None) -> str:
    """A time as the fraud-events sample writes it: UTC without an offset, two decimals ("2021-12-08T00:25:45.69").
    A seed may give any ISO time; one without an offset is taken as UTC."""
    when = datetime.now(UTC)
    if text:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        when = parsed.astimezone(UTC) if parsed.tzinfo else parsed
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 10000:02d}"


UNRESOLVED_ON = "9999-12-31T23:59:59.9970000"  # the documented sample's resolvedOn of an unresolved alert


def fraud_event_resource(cid: str, company: str, event: dict[str, Any]) -> dict[str, Any]:
    """A fraud alert with every documented field of `GET /v1/fraudEvents` in the new events model (fraud_views.py
    shows each model its own fields). A seed's `isTest: true` makes a test alert."""
    try:
        when = documented_time(event.get("eventTime"))
    except ValueError:
        raise SeedError(f"customer {cid}: eventTime {event.get('eventTime')!r} is not an ISO time") from None
    kind = event.get("eventType", "NetworkConnectionsToCryptoMiningPools")
    resource = event.get("resourceName", event.get("entityName", "vm-miner-01"))
    return {"eventTime": when, "eventId": event.get("eventId") or str(uuid.uuid4()),
            "partnerTenantId": "00000000-0000-0000-0000-00000000c5b0", "partnerFriendlyName": "沙箱合作伙伴",
            "customerTenantId": cid, "customerFriendlyName": company,
            "subscriptionId": event.get("subscriptionId", ""), "subscriptionType": "modern",
            "entityId": event.get("entityId") or str(uuid.uuid4()),
            "entityName": event.get("entityName", "vm-miner-01"),
            "entityUrl": "", "hitCount": str(event.get("hitCount", 1)), "catalogOfferId": "ms-azr-0017g",
            "eventStatus": event.get("eventStatus", "Active"), "serviceName": "Microsoft.Compute",
            "resourceName": event.get("resourceName", event.get("entityName", "vm-miner-01")),
            "resourceGroupName": event.get("resourceGroupName", "rg-prod"), "firstOccurrence": when,
            "lastOccurrence": event.get("lastOccurrence", when), "resolvedReason": "None",
            "resolvedOn": UNRESOLVED_ON, "resolvedBy": "", "firstObserved": when, "lastObserved": when,
            "eventType": kind, "severity": event.get("severity", "High"),
            "confidenceLevel": event.get("confidenceLevel", "high"),
            "displayName": event.get("displayName", f"{kind} on {resource}"),
            "description": event.get("description", f"Partner Center detected {kind} on {resource}."),
            "country": "CN", "valueAddedResellerTenantId": "", "valueAddedResellerFriendlyName": "",
            "subscriptionName": event.get("subscriptionName", "Azure plan"),
            "affectedResources": event.get("affectedResources", [
                {"azureResourceId": f"/subscriptions/{event.get('subscriptionId', '')}/resourceGroups/"
                                    f"{event.get('resourceGroupName', 'rg-prod')}/providers/Microsoft.Compute/"
                                    f"virtualMachines/{resource}", "type": "Microsoft.Compute/virtualMachines"}]),
            "additionalDetails": event.get("additionalDetails", _additional_details(kind, resource)),
            "isTest": bool(event.get("isTest", False)),
            "activityLogs": []}


def _additional_details(kind: str, resource: str) -> dict[str, str]:
    """The per-type details of an alert; for crypto-mining, the keys of the documented sample."""
    if "crypto" not in kind.lower():
        return {}
    return {"resourceid": resource, "resourcetype": "Microsoft.Compute/virtualMachines",
            "vM_IP": '[\r\n "10.0.0.4"\r\n]', "miningPool_IP": '[\r\n "203.0.113.7"\r\n]',
            "connectionCount": "31", "cryptoCurrencyMiningPoolDomainName": "pool.example.org"}


def default_support_topics() -> list[dict[str, Any]]:
    return [
        # ids as numbers, as the documented support-topics sample writes them
        {"id": 32444671, "name": "Fraud or suspicious activity", "description": "Report suspected fraud or misuse",
         "attributes": {"objectType": "SupportTopic"}},
        {"id": 32444672, "name": "Billing", "description": "Invoices, payments and credits",
         "attributes": {"objectType": "SupportTopic"}},
        {"id": 32444673, "name": "Subscription management", "description": "Suspend, reactivate, cancel",
         "attributes": {"objectType": "SupportTopic"}},
    ]
