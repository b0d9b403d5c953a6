"""Partner Center resources as csp-guard reads them; each keeps the raw JSON so a PATCH can send the full
resource back, as Partner Center's subscription update requires."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class CallResult(Generic[T]):
    """A result with the ids of the call that produced it, for the audit trail."""

    value: T
    request_id: str
    correlation_id: str


@dataclass(frozen=True)
class Subscription:
    id: str
    status: str
    offer_id: str = ""
    offer_name: str = ""
    friendly_name: str = ""
    quantity: int = 0
    billing_cycle: str = ""
    auto_renew_enabled: bool = False
    commitment_end_date: str | None = None
    creation_date: str | None = None
    etag: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Subscription:
        attributes = data.get("attributes") or {}
        return cls(
            id=str(data["id"]), status=str(data.get("status", "")).lower(), offer_id=str(data.get("offerId", "")),
            offer_name=str(data.get("offerName", "")), friendly_name=str(data.get("friendlyName", "")),
            quantity=int(data.get("quantity") or 0), billing_cycle=str(data.get("billingCycle", "")),
            auto_renew_enabled=bool(data.get("autoRenewEnabled", False)),
            commitment_end_date=data.get("commitmentEndDate"), creation_date=data.get("creationDate"),
            etag=attributes.get("etag"), raw=dict(data),
        )

    def with_status(self, status: str) -> dict[str, Any]:
        """The full resource with only its status changed: the body of the suspend/reactivate PATCH."""
        return {**self.raw, "status": status}


@dataclass(frozen=True)
class Customer:
    id: str
    company_name: str
    domain: str = ""
    relationship: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Customer:
        profile = data.get("companyProfile") or {}
        return cls(id=str(data["id"]), company_name=str(profile.get("companyName", "")),
                   domain=str(profile.get("domain", "")), relationship=str(data.get("relationshipToPartner", "")))


@dataclass(frozen=True)
class SupportTopic:
    id: str
    name: str
    description: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SupportTopic:
        return cls(id=str(data["id"]), name=str(data.get("name", "")), description=str(data.get("description", "")))


@dataclass(frozen=True)
class ServiceRequest:
    id: str
    title: str
    status: str  # open | closed | attention_needed | none
    severity: str = ""
    support_topic_id: str = ""
    created_date: str | None = None
    last_modified_date: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServiceRequest:
        return cls(id=str(data["id"]), title=str(data.get("title", "")), status=str(data.get("status", "")).lower(),
                   severity=str(data.get("severity", "")), support_topic_id=str(data.get("supportTopicId", "")),
                   created_date=data.get("createdDate"), last_modified_date=data.get("lastModifiedDate"),
                   raw=dict(data))


@dataclass(frozen=True)
class FraudEvent:
    event_id: str
    customer_id: str
    subscription_id: str
    event_type: str  # e.g. CryptoMining
    event_status: str  # Active | Resolved | Investigating
    event_time: str
    severity: str = ""
    entity_name: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FraudEvent:
        return cls(
            event_id=str(data.get("eventId") or data.get("id") or ""),
            customer_id=str(data.get("customerTenantId") or data.get("customerId") or "").lower(),
            subscription_id=str(data.get("subscriptionId", "")), event_type=str(data.get("eventType", "")),
            event_status=str(data.get("eventStatus", "")), event_time=str(data.get("eventTime", "")),
            severity=str(data.get("severity", "")), entity_name=str(data.get("entityName", "")), raw=dict(data),
        )


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
    from decimal import ROUND_HALF_UP, Decimal

    return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
