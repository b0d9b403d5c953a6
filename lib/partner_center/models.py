"""Partner Center resources as csp-guard reads them (frozen, parsed from the documented JSON shapes). Each keeps
its raw JSON: a subscription's PATCH must send the full resource back, and fields not modelled here are not lost.
Amounts are never floats: see UsageSummary and to_minor_units."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class CallResult(Generic[T]):
    """A result with the ids of the call that produced it, for the audit trail."""

    value: T
    request_id: str
    correlation_id: str


def _text(data: Mapping[str, Any], *names: str) -> str:
    """The first of `names` present with a non-empty value, as text ('' when none is)."""
    for name in names:
        value = data.get(name)
        if value not in (None, ""):
            return str(value)
    return ""


def _optional(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return None if value in (None, "") else str(value)


@dataclass(frozen=True)
class Subscription:
    id: str
    status: str  # lower case: active | suspended | deleted | expired | disabled ...
    offer_id: str = ""
    offer_name: str = ""
    friendly_name: str = ""
    quantity: int = 0
    unit_type: str = ""
    billing_cycle: str = ""
    auto_renew_enabled: bool = False
    commitment_end_date: str | None = None
    creation_date: str | None = None
    effective_start_date: str | None = None
    etag: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Subscription:
        attributes = data.get("attributes") or {}
        return cls(
            id=str(data["id"]), status=_text(data, "status").lower(), offer_id=_text(data, "offerId"),
            offer_name=_text(data, "offerName"), friendly_name=_text(data, "friendlyName"),
            quantity=int(data.get("quantity") or 0), unit_type=_text(data, "unitType"),
            billing_cycle=_text(data, "billingCycle"), auto_renew_enabled=bool(data.get("autoRenewEnabled", False)),
            commitment_end_date=_optional(data, "commitmentEndDate"), creation_date=_optional(data, "creationDate"),
            effective_start_date=_optional(data, "effectiveStartDate"),
            etag=_optional(attributes, "etag") if isinstance(attributes, Mapping) else None, raw=dict(data),
        )

    def to_json(self) -> dict[str, Any]:
        """The resource as Partner Center sent it (a copy)."""
        return dict(self.raw) if self.raw else {"id": self.id, "status": self.status,
                                                "attributes": {"objectType": "Subscription"}}

    def with_status(self, status: str) -> dict[str, Any]:
        """The full resource with only its status changed: the body of the suspend/reactivate PATCH."""
        return {**self.to_json(), "status": status}


@dataclass(frozen=True)
class Customer:
    id: str
    company_name: str
    domain: str = ""
    relationship: str = ""
    tenant_id: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Customer:
        profile = data.get("companyProfile") or {}
        return cls(id=str(data["id"]), company_name=_text(profile, "companyName"), domain=_text(profile, "domain"),
                   relationship=_text(data, "relationshipToPartner"), tenant_id=_text(profile, "tenantId"),
                   raw=dict(data))

    def to_json(self) -> dict[str, Any]:
        if self.raw:
            return dict(self.raw)
        return {"id": self.id, "relationshipToPartner": self.relationship, "attributes": {"objectType": "Customer"},
                "companyProfile": {"tenantId": self.tenant_id or self.id, "domain": self.domain,
                                   "companyName": self.company_name}}


@dataclass(frozen=True)
class BillingProfile:
    """A customer's billing profile (`GET /v1/customers/{id}/profiles/billing`): who receives invoices, in which
    culture. Fields per Partner Center's CustomerBillingProfile resource; an empty e-mail is kept as ''."""

    email: str
    culture: str = ""
    language: str = ""
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BillingProfile:
        return cls(email=_text(data, "email"), culture=_text(data, "culture"), language=_text(data, "language"),
                   first_name=_text(data, "firstName"), last_name=_text(data, "lastName"),
                   company_name=_text(data, "companyName"), raw=dict(data))


@dataclass(frozen=True)
class SupportTopic:
    id: str
    name: str
    description: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SupportTopic:
        return cls(id=str(data["id"]), name=_text(data, "name"), description=_text(data, "description"))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "description": self.description,
                "attributes": {"objectType": "SupportTopic"}}


@dataclass(frozen=True)
class ServiceRequest:
    id: str
    title: str
    status: str  # lower case: none | open | closed | attention_needed
    severity: str = ""
    support_topic_id: str = ""
    created_date: str | None = None
    last_modified_date: str | None = None
    description: str = ""
    support_topic_name: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServiceRequest:
        return cls(id=str(data["id"]), title=_text(data, "title"), status=_text(data, "status").lower(),
                   severity=_text(data, "severity"), support_topic_id=_text(data, "supportTopicId"),
                   created_date=_optional(data, "createdDate"), last_modified_date=_optional(data, "lastModifiedDate"),
                   description=_text(data, "description"), support_topic_name=_text(data, "supportTopicName"),
                   raw=dict(data))

    def to_json(self) -> dict[str, Any]:
        if self.raw:
            return dict(self.raw)
        return {"id": self.id, "title": self.title, "description": self.description, "severity": self.severity,
                "supportTopicId": self.support_topic_id, "status": self.status,
                "attributes": {"objectType": "ServiceRequest"}}


@dataclass(frozen=True)
class FraudEvent:
    """One alert of `GET /v1/fraudEvents` (fields as documented: eventId, customerTenantId, subscriptionId,
    eventType, eventStatus Active/Investigating/Resolved, eventTime, first/lastOccurrence, resource...)."""

    event_id: str
    customer_id: str  # the customer's tenant id, lower case
    subscription_id: str
    event_type: str  # e.g. CryptoMining, NetworkConnectionsToCryptoMiningPools
    event_status: str  # Active | Investigating | Resolved
    event_time: str
    severity: str = ""
    entity_name: str = ""
    customer_name: str = ""
    resource_name: str = ""
    resource_group_name: str = ""
    first_occurrence: str | None = None
    last_occurrence: str | None = None
    hit_count: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FraudEvent:
        hits = _text(data, "hitCount")  # documented as a string ("10")
        return cls(
            event_id=_text(data, "eventId", "id"),
            customer_id=_text(data, "customerTenantId", "customerId", "tenantId").lower(),
            subscription_id=_text(data, "subscriptionId", "azureSubscriptionId"),
            event_type=_text(data, "eventType", "eventName"), event_status=_text(data, "eventStatus"),
            event_time=_text(data, "eventTime", "firstOccurrence"), severity=_text(data, "severity"),
            entity_name=_text(data, "entityName"), customer_name=_text(data, "customerFriendlyName", "customerName"),
            resource_name=_text(data, "resourceName"), resource_group_name=_text(data, "resourceGroupName"),
            first_occurrence=_optional(data, "firstOccurrence"), last_occurrence=_optional(data, "lastOccurrence"),
            hit_count=int(hits) if hits.isascii() and hits.isdigit() else None, raw=dict(data),
        )

    def to_json(self) -> dict[str, Any]:
        if self.raw:
            return dict(self.raw)
        return {"eventId": self.event_id, "customerTenantId": self.customer_id, "subscriptionId": self.subscription_id,
                "eventType": self.event_type, "eventStatus": self.event_status, "eventTime": self.event_time,
                "severity": self.severity, "entityName": self.entity_name}


@dataclass(frozen=True)
class UsageSummary:
    """A customer's Azure usage this billing period. Partner Center sends decimal amounts in the major unit;
    they are kept as integer minor units here."""

    customer_id: str
    total_cost: int
    currency: str
    budget: int | None = None

    @classmethod
    def from_json(cls, customer_id: str, data: Mapping[str, Any]) -> UsageSummary:
        budget = (data.get("budget") or {}).get("amount")
        return cls(customer_id=customer_id, total_cost=to_minor_units(data.get("totalCost", 0)),
                   currency=str(data.get("currencyCode") or "CNY"),
                   budget=to_minor_units(budget) if budget not in (None, 0, "0") else None)


def to_minor_units(value: Any) -> int:
    """A decimal amount in yuan (as text or JSON number) as whole fen, rounded half-up; never via float maths."""
    return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
