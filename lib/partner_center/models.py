"""Partner Center resources as csp-guard reads them (frozen, parsed from the documented JSON shapes, whatever the
case of the property names: see json_fields.py). Each keeps its raw JSON: a subscription's PATCH must send the full
resource back, and fields not modelled here are not lost. A resource that cannot be read raises
UnreadableAnswerError. Amounts are never floats: see UsageSummary and to_minor_units."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from lib.partner_center.errors import UnreadableAnswerError
from lib.partner_center.json_fields import Fields, parse_time

T = TypeVar("T")

# Partner Center's service-request enumerations, which a collection may send as their numbers (the documented
# "get all service requests" sample has `"severity": 0, "status": 1`). The order is the documented one (service
# request resources: severity unknown, critical, moderate, minimal; status none, open, closed, attention_needed),
# which is also the .NET SDK's ServiceRequestSeverity (Unknown = 0 ... Minimal = 3).
SERVICE_REQUEST_SEVERITIES = ("unknown", "critical", "moderate", "minimal")
SERVICE_REQUEST_STATUSES = ("none", "open", "closed", "attention_needed")


@dataclass(frozen=True)
class CallResult(Generic[T]):
    """A result with the ids of the call that produced it, for the audit trail."""

    value: T
    request_id: str
    correlation_id: str
    status: int | None = None  # the HTTP status of the answer


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
        f = Fields(data, "subscription")
        return cls(
            id=f.required("id"), status=f.text("status").lower(), offer_id=f.text("offerId"),
            offer_name=f.text("offerName"), friendly_name=f.text("friendlyName"), quantity=f.integer("quantity"),
            unit_type=f.text("unitType"), billing_cycle=f.text("billingCycle"),
            auto_renew_enabled=f.boolean("autoRenewEnabled"), commitment_end_date=f.optional("commitmentEndDate"),
            creation_date=f.optional("creationDate"), effective_start_date=f.optional("effectiveStartDate"),
            etag=f.child("attributes").optional("etag"), raw=dict(data),
        )

    def to_json(self) -> dict[str, Any]:
        """The resource as Partner Center sent it (a copy)."""
        return dict(self.raw) if self.raw else {"id": self.id, "status": self.status,
                                                "attributes": {"objectType": "Subscription"}}

    def with_status(self, status: str) -> dict[str, Any]:
        """The full resource with only its status changed: the body of the suspend/reactivate PATCH. The status key
        keeps the spelling it was read with, so a PascalCase resource is not sent with both `Status` and
        `status`."""
        body = self.to_json()
        key = next((k for k in body if k.lower() == "status"), "status")
        return {**body, key: status}


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
        f = Fields(data, "customer")
        profile = f.child("companyProfile")
        return cls(id=f.required("id"), company_name=profile.text("companyName"), domain=profile.text("domain"),
                   relationship=f.text("relationshipToPartner"), tenant_id=profile.text("tenantId"), raw=dict(data))

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
        f = Fields(data, "billing profile")
        return cls(email=f.text("email"), culture=f.text("culture"), language=f.text("language"),
                   first_name=f.text("firstName"), last_name=f.text("lastName"), company_name=f.text("companyName"),
                   raw=dict(data))


@dataclass(frozen=True)
class SupportTopic:
    id: str
    name: str
    description: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SupportTopic:
        f = Fields(data, "support topic")  # the documented sample writes ids as numbers: 32444671
        return cls(id=f.required("id"), name=f.text("name"), description=f.text("description"))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "description": self.description,
                "attributes": {"objectType": "SupportTopic"}}


def _enumeration(f: Fields, name: str, names: tuple[str, ...]) -> str:
    """A service-request enumeration as its documented lower-case name, whether sent as text (any case) or number."""
    value = f.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < len(names):
            raise UnreadableAnswerError(f"{f.what}.{name} {value} is not one of {', '.join(names)}")
        return names[value]
    text = f.text(name).lower()
    return "attention_needed" if text == "attentionneeded" else text


@dataclass(frozen=True)
class ServiceRequest:
    id: str
    title: str
    status: str  # lower case: none | open | closed | attention_needed
    severity: str = ""  # lower case: unknown | critical | moderate | minimal
    support_topic_id: str = ""
    created_date: str | None = None
    last_modified_date: str | None = None
    description: str = ""
    support_topic_name: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServiceRequest:
        f = Fields(data, "service request")
        return cls(id=f.required("id"), title=f.text("title"),
                   status=_enumeration(f, "status", SERVICE_REQUEST_STATUSES),
                   severity=_enumeration(f, "severity", SERVICE_REQUEST_SEVERITIES),
                   support_topic_id=f.text("supportTopicId"), created_date=f.optional("createdDate"),
                   last_modified_date=f.optional("lastModifiedDate"), description=f.text("description"),
                   support_topic_name=f.text("supportTopicName"), raw=dict(data))

    def to_json(self) -> dict[str, Any]:
        if self.raw:
            return dict(self.raw)
        return {"id": self.id, "title": self.title, "description": self.description, "severity": self.severity,
                "supportTopicId": self.support_topic_id, "status": self.status,
                "attributes": {"objectType": "ServiceRequest"}}


@dataclass(frozen=True)
class FraudEvent:
    """One alert of `GET /v1/fraudEvents`, old or new events model (fields as documented: eventId,
    customerTenantId, subscriptionId, eventType, eventStatus Active/Investigating/Resolved, eventTime,
    first/lastOccurrence, resource..., and in the new model severity, confidenceLevel, displayName, description,
    affectedResources, isTest)."""

    event_id: str
    customer_id: str  # the customer's tenant id, lower case
    subscription_id: str
    event_type: str  # e.g. CryptoMining, NetworkConnectionsToCryptoMiningPools
    event_status: str  # Active | Investigating | Resolved
    event_time: str  # as sent; event_at is the instant (no offset = UTC)
    severity: str = ""
    entity_name: str = ""
    customer_name: str = ""
    resource_name: str = ""
    resource_group_name: str = ""
    first_occurrence: str | None = None
    last_occurrence: str | None = None
    hit_count: int | None = None
    is_test: bool = False  # a test alert: recorded and shown, never acted on
    confidence_level: str = ""
    display_name: str = ""
    description: str = ""
    affected_resources: tuple[dict[str, Any], ...] = ()
    resolved_on: str | None = None
    resolved_reason: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FraudEvent:
        f = Fields(data, "fraud event")
        hits = f.text("hitCount")  # documented as a string ("10")
        return cls(
            event_id=f.text("eventId", "id"), customer_id=f.text("customerTenantId", "customerId").lower(),
            subscription_id=f.text("subscriptionId", "azureSubscriptionId"),
            event_type=f.text("eventType", "eventName"), event_status=f.text("eventStatus"),
            event_time=f.text("eventTime", "firstOccurrence"), severity=f.text("severity"),
            entity_name=f.text("entityName"), customer_name=f.text("customerFriendlyName", "customerName"),
            resource_name=f.text("resourceName"), resource_group_name=f.text("resourceGroupName"),
            first_occurrence=f.optional("firstOccurrence"), last_occurrence=f.optional("lastOccurrence"),
            hit_count=int(hits) if hits.isascii() and hits.isdigit() else None, is_test=f.boolean("isTest"),
            confidence_level=f.text("confidenceLevel"), display_name=f.text("displayName"),
            description=f.text("description"), affected_resources=f.objects("affectedResources"),
            resolved_on=f.optional("resolvedOn"), resolved_reason=f.optional("resolvedReason"), raw=dict(data),
        )

    @property
    def event_at(self) -> datetime | None:
        """eventTime as an instant; Partner Center writes it without an offset ("2021-12-08T00:25:45.69"): UTC."""
        return parse_time(self.event_time)

    def evidence(self) -> dict[str, Any]:
        """What a case keeps of the alert beyond the rule's sentence."""
        return {"event_id": self.event_id, "event_type": self.event_type, "severity": self.severity,
                "confidence_level": self.confidence_level, "display_name": self.display_name,
                "description": self.description, "affected_resources": list(self.affected_resources),
                "is_test": self.is_test}

    def to_json(self) -> dict[str, Any]:
        if self.raw:
            return dict(self.raw)
        return {"eventId": self.event_id, "customerTenantId": self.customer_id, "subscriptionId": self.subscription_id,
                "eventType": self.event_type, "eventStatus": self.event_status, "eventTime": self.event_time,
                "severity": self.severity, "entityName": self.entity_name, "isTest": self.is_test}


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
        f = Fields(data, "usage summary")
        budget = f.child("budget").get("amount")
        total = f.get("totalCost")
        return cls(customer_id=customer_id, total_cost=to_minor_units(0 if total is None else total),
                   currency=f.text("currencyCode") or "CNY",
                   budget=to_minor_units(budget) if budget not in (None, 0, "0", "") else None)


def to_minor_units(value: Any) -> int:
    """A decimal amount in yuan (as text or JSON number) as whole fen, rounded half-up; never via float maths."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise UnreadableAnswerError(f"an amount must be a number, not {value!r}")
    try:
        return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        raise UnreadableAnswerError(f"an amount that is not a number: {value!r}") from None
