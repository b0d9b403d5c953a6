"""The canonical billing event: what every provider adapter produces and the ledger records.

A `BillingEvent` is one delivery (provider, event id, type, customer); its `fact` is what happened to the
customer's book, or None for a type we do not use (acknowledged, stored as ignored). A fact is a frozen value
with a `row_key`, its ledger RowKey, so that a redelivered or replayed event lands on the same row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import ClassVar, Literal

from lib.domain.event_fields import (
    EventValidationError,
    amount_field,
    currency_field,
    customer_id_field,
    customer_id_or_none,
    id_field,
    timestamp_field,
)
from lib.domain.money import MoneyError, check_amount, check_currency


class FactError(ValueError):
    """A fact that cannot exist: naive time, bad amount, or a stored record that does not read back."""



# --- facts ---


class _Fact:
    """Checks shared by every fact: aware times (kept in UTC), money, ids. Fields named `*_at` are times.

    `key` is (row key prefix, id field) and `time` names the field that says when it happened.
    """

    kind: ClassVar[str]
    key: ClassVar[tuple[str, str]]
    time: ClassVar[str]
    optional: ClassVar[frozenset[str]] = frozenset()

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None:
                if f.name not in self.optional:
                    raise FactError(f"{self.kind}: {f.name} is required")
            elif f.name.endswith("_at"):
                if not isinstance(value, datetime) or value.utcoffset() is None:
                    raise FactError(f"{self.kind}: {f.name} must be a timezone-aware datetime, got {value!r}")
                object.__setattr__(self, f.name, value.astimezone(UTC))
            elif f.name in ("amount", "currency"):
                try:
                    check_amount(value) if f.name == "amount" else check_currency(value)
                except MoneyError as exc:
                    raise FactError(f"{self.kind}: {exc}") from None
            elif not isinstance(value, str) or not value:
                raise FactError(f"{self.kind}: {f.name} must be a non-empty string, got {value!r}")

    @property
    def row_key(self) -> str:
        prefix, id_name = self.key
        return f"{prefix}:{getattr(self, id_name)}"

    @property
    def at(self) -> datetime:
        """When it happened; the ledger's canonical order is (at, row_key)."""
        value: datetime = getattr(self, self.time)
        return value


@dataclass(frozen=True)
class InvoiceIssued(_Fact):
    invoice_id: str
    amount: int
    currency: str
    issued_at: datetime
    due_at: datetime
    kind: ClassVar[str] = "invoice.issued"
    key: ClassVar[tuple[str, str]] = ("inv", "invoice_id")
    time: ClassVar[str] = "issued_at"


@dataclass(frozen=True)
class InvoiceVoided(_Fact):
    invoice_id: str
    voided_at: datetime
    kind: ClassVar[str] = "invoice.voided"
    key: ClassVar[tuple[str, str]] = ("void", "invoice_id")
    time: ClassVar[str] = "voided_at"


@dataclass(frozen=True)
class PaymentSucceeded(_Fact):
    payment_id: str
    amount: int
    currency: str
    paid_at: datetime
    invoice_id: str | None = None
    kind: ClassVar[str] = "payment.succeeded"
    key: ClassVar[tuple[str, str]] = ("pay", "payment_id")
    time: ClassVar[str] = "paid_at"
    optional: ClassVar[frozenset[str]] = frozenset({"invoice_id"})


@dataclass(frozen=True)
class PaymentFailed(_Fact):
    payment_id: str | None
    invoice_id: str | None
    amount: int | None
    currency: str | None
    failed_at: datetime
    kind: ClassVar[str] = "payment.failed"
    time: ClassVar[str] = "failed_at"
    optional: ClassVar[frozenset[str]] = frozenset({"payment_id", "invoice_id", "amount", "currency"})

    @property
    def row_key(self) -> str:
        # Retries of one payment fail at different times and each failure counts, so the time is in the key.
        return f"fail:{self.payment_id or self.invoice_id or ''}:{self.failed_at:%Y%m%dT%H%M%S%fZ}"


@dataclass(frozen=True)
class PaymentRefunded(_Fact):
    refund_id: str
    payment_id: str
    amount: int
    currency: str
    refunded_at: datetime
    kind: ClassVar[str] = "payment.refunded"
    key: ClassVar[tuple[str, str]] = ("ref", "refund_id")
    time: ClassVar[str] = "refunded_at"


@dataclass(frozen=True)
class DisputeOpened(_Fact):
    dispute_id: str
    payment_id: str
    amount: int
    currency: str
    opened_at: datetime
    kind: ClassVar[str] = "dispute.opened"
    key: ClassVar[tuple[str, str]] = ("dsp", "dispute_id")
    time: ClassVar[str] = "opened_at"


@dataclass(frozen=True)
class DisputeClosed(_Fact):
    dispute_id: str
    payment_id: str
    amount: int
    currency: str
    outcome: Literal["won", "lost"]
    closed_at: datetime
    kind: ClassVar[str] = "dispute.closed"
    # Its own row beside the opening's `dsp:` row, so that ledger rows are only ever added, never rewritten.
    key: ClassVar[tuple[str, str]] = ("dsc", "dispute_id")
    time: ClassVar[str] = "closed_at"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.outcome not in ("won", "lost"):
            raise FactError(f"dispute.closed: outcome must be 'won' or 'lost', got {self.outcome!r}")


@dataclass(frozen=True)
class CreditGranted(_Fact):
    credit_id: str
    amount: int
    currency: str
    granted_at: datetime
    invoice_id: str | None = None
    kind: ClassVar[str] = "credit.granted"
    key: ClassVar[tuple[str, str]] = ("crd", "credit_id")
    time: ClassVar[str] = "granted_at"
    optional: ClassVar[frozenset[str]] = frozenset({"invoice_id"})


Fact = (
    InvoiceIssued | InvoiceVoided | PaymentSucceeded | PaymentFailed | PaymentRefunded
    | DisputeOpened | DisputeClosed | CreditGranted
)
FACT_TYPES: dict[str, type[Fact]] = {
    cls.kind: cls
    for cls in (InvoiceIssued, InvoiceVoided, PaymentSucceeded, PaymentFailed, PaymentRefunded,
                DisputeOpened, DisputeClosed, CreditGranted)
}


@dataclass(frozen=True)
class BillingEvent:
    provider: str
    event_id: str
    type: str
    occurred_at: datetime
    customer_id: str | None  # None: no mapping to a customer, the event goes to `unmatched`
    fact: Fact | None  # None: a type we do not use, acknowledged and stored as ignored
    # One delivery can carry several facts (a Stripe charge lists its refunds): record `facts`, not `fact`.
    extra_facts: tuple[Fact, ...] = ()

    @property
    def facts(self) -> tuple[Fact, ...]:
        return () if self.fact is None else (self.fact, *self.extra_facts)

    @property
    def mark_key(self) -> str:
        """The ledger RowKey that marks this delivery as seen."""
        return f"evt:{self.provider}:{self.event_id}"


# --- the canonical JSON body (the `standard` provider) ---


def parse_canonical(provider: str, event_id: str, body: Mapping[str, object]) -> BillingEvent:
    """Validate a canonical body: `{"type", "timestamp", "data": {"customer_id", ...}}` (see DESIGN.md).

    A fact's own time (`issued_at`, `paid_at`, ...) defaults to the body's `timestamp`; `due_at` is required.
    """
    event_id = id_field(event_id, "event_id")
    if not isinstance(body, Mapping):
        raise EventValidationError("body", "must be a JSON object")
    event_type = body.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise EventValidationError("type", f"must be a non-empty string, got {event_type!r}")
    occurred_at = timestamp_field(body.get("timestamp"), "timestamp")
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise EventValidationError("data", "must be a JSON object")

    cls = FACT_TYPES.get(event_type)
    if cls is None:
        customer = customer_id_or_none(data.get("customer_id"))
        return BillingEvent(provider, event_id, event_type, occurred_at, customer, None)

    customer_id = customer_id_field(data.get("customer_id"), "data.customer_id")
    values: dict[str, object] = {}
    for f in fields(cls):
        path, raw = f"data.{f.name}", data.get(f.name)
        if raw is None and f.name in cls.optional:
            values[f.name] = None
        elif f.name.endswith("_at"):
            values[f.name] = occurred_at if raw is None and f.name != "due_at" else timestamp_field(raw, path)
        elif f.name == "amount":
            values[f.name] = amount_field(raw, path)
        elif f.name == "currency":
            values[f.name] = currency_field(raw, path)
        elif f.name == "outcome":
            if raw not in ("won", "lost"):
                raise EventValidationError(path, f"must be 'won' or 'lost', got {raw!r}")
            values[f.name] = raw
        else:
            values[f.name] = id_field(raw, path)
    fact = cls(**values)  # type: ignore[arg-type]
    return BillingEvent(provider, event_id, event_type, occurred_at, customer_id, fact)


# --- storage records ---

RecordValue = str | int | datetime | bool | None


def fact_to_record(fact: Fact) -> dict[str, RecordValue]:
    """Plain values for the ledger row (the store maps them to Table entity properties)."""
    record: dict[str, RecordValue] = {"kind": fact.kind}
    for f in fields(fact):
        record[f.name] = getattr(fact, f.name)
    return record


def fact_from_record(row_key: str, record: Mapping[str, object]) -> Fact:
    """The fact stored under `row_key`; other properties (PartitionKey, Timestamp...) are ignored."""
    cls = FACT_TYPES.get(str(record.get("kind")))
    if cls is None:
        raise FactError(f"ledger row {row_key!r}: unknown kind {record.get('kind')!r}")
    values = {f.name: record.get(f.name) for f in fields(cls)}
    try:
        fact = cls(**values)  # type: ignore[arg-type]
    except FactError as exc:
        raise FactError(f"ledger row {row_key!r}: {exc}") from None
    if fact.row_key != row_key:
        raise FactError(f"ledger row {row_key!r} holds a fact whose key is {fact.row_key!r}")
    return fact
