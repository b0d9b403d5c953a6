"""Stripe webhooks: `Stripe-Signature: t=…,v1=…` verified by the `stripe` package, events mapped to facts.

Named `stripe_provider` so that it does not shadow the `stripe` package.

Payment ids: a PaymentIntent id is preferred over a charge id wherever both are given (invoice, charge, dispute),
so that a refund or dispute names the same payment as the `invoice.paid` it takes money back from. From API
version 2025-03-31.basil an invoice no longer carries `charge`/`payment_intent`; then the payment is keyed by
the invoice id and the ledger treats money back on it as unattributed (still counted, see lib.domain.ledger).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import stripe

from lib.billing.provider import (
    SignatureError,
    check_tolerance,
    event_type_field,
    json_object,
    unix_time,
    verified_by_any,
)
from lib.domain.event_fields import EventValidationError, amount_field, currency_field, customer_id_field, id_field
from lib.domain.events import (
    BillingEvent,
    DisputeClosed,
    DisputeOpened,
    Fact,
    InvoiceIssued,
    InvoiceVoided,
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
)
from lib.http_basics import header

OBJ = "data.object"


def _timestamp_and_signatures(signature_header: str) -> tuple[str, list[str]]:
    """The one `t=` timestamp and the `v1=` signatures of a `Stripe-Signature` header.

    The stripe package verifies with the first item whose key is exactly `t`, while a reader that strips spaces
    finds ` t=` first: `v1=<sig at old>, t=<now>,t=<old>` once passed a signature made 30 days ago with a
    fresh-looking timestamp. So the header is read once, here, a second `t` is refused, and the package is handed
    a header rebuilt from what we read: the timestamp it verifies is the one whose age we check.
    """
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in signature_header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            timestamps.append(value.strip())
        elif key == "v1" and value.strip():
            signatures.append(value.strip())
    if len(timestamps) != 1:
        raise SignatureError(f"Stripe-Signature must carry exactly one t= timestamp, found {len(timestamps)}")
    if not timestamps[0].isascii() or not timestamps[0].isdigit():
        raise SignatureError(f"Stripe-Signature t is not integer Unix seconds: {timestamps[0]!r}")
    if not signatures:
        raise SignatureError("Stripe-Signature holds no v1= signature")
    return timestamps[0], signatures


# --- reading a Stripe object -------------------------------------------------------------------------------


def _object(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise EventValidationError(path, "must be a JSON object")
    return value


def _epoch(value: object, path: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise EventValidationError(path, f"must be integer Unix seconds, got {value!r}")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise EventValidationError(path, f"is not a usable Unix time: {value}") from None


def _ref(value: object) -> str | None:
    """An id that Stripe gives either as a string or as the expanded object."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _currency(obj: Mapping[str, object], path: str) -> str:
    value = obj.get("currency")
    return currency_field(value.upper() if isinstance(value, str) else value, path)


def _transition(obj: Mapping[str, object], name: str, default: datetime) -> datetime:
    transitions = obj.get("status_transitions")
    value = transitions.get(name) if isinstance(transitions, Mapping) else None
    return default if value is None else _epoch(value, f"{OBJ}.status_transitions.{name}")


def _invoice_payment(invoice: Mapping[str, object]) -> str | None:
    """The invoice's PaymentIntent or charge; from basil on, found only in an included `payments` list."""
    found = _ref(invoice.get("payment_intent")) or _ref(invoice.get("charge"))
    payments = invoice.get("payments")
    listed = payments.get("data") if isinstance(payments, Mapping) else None
    for item in listed if isinstance(listed, list) and not found else []:
        payment = item.get("payment") if isinstance(item, Mapping) else None
        if isinstance(payment, Mapping):
            found = found or _ref(payment.get("payment_intent")) or _ref(payment.get("charge"))
    return found


def customer_of(obj: Mapping[str, object]) -> str | None:
    """`metadata.pc_customer_id`, or None (unmatched) when it is absent or not a tenant GUID: a Stripe event
    with a bad mapping is kept for an operator to assign, not refused (refusing would lose it after retries)."""
    metadata = obj.get("metadata")
    raw = metadata.get("pc_customer_id") if isinstance(metadata, Mapping) else None
    try:
        return customer_id_field(raw, f"{OBJ}.metadata.pc_customer_id")
    except EventValidationError:
        return None


# --- one mapper per event type -----------------------------------------------------------------------------


def _invoice_finalized(obj: Mapping[str, object], created: datetime) -> list[Fact]:
    issued_at = _epoch(obj.get("created"), f"{OBJ}.created")
    if obj.get("due_date") is not None:
        due_at = _epoch(obj.get("due_date"), f"{OBJ}.due_date")
    else:
        days = obj.get("days_until_due")
        valid_days = isinstance(days, int) and not isinstance(days, bool) and 0 <= days <= 3650
        due_at = issued_at + timedelta(days=days) if valid_days and isinstance(days, int) else issued_at
    return [InvoiceIssued(
        invoice_id=id_field(obj.get("id"), f"{OBJ}.id"),
        amount=amount_field(obj.get("amount_due"), f"{OBJ}.amount_due"),
        currency=_currency(obj, f"{OBJ}.currency"),
        issued_at=issued_at,
        due_at=due_at,
    )]


def _invoice_paid(obj: Mapping[str, object], created: datetime) -> list[Fact]:
    invoice_id = id_field(obj.get("id"), f"{OBJ}.id")
    return [PaymentSucceeded(
        payment_id=id_field(_invoice_payment(obj) or invoice_id, f"{OBJ}.payment_intent"),
        amount=amount_field(obj.get("amount_paid"), f"{OBJ}.amount_paid"),
        currency=_currency(obj, f"{OBJ}.currency"),
        paid_at=_transition(obj, "paid_at", created),
        invoice_id=invoice_id,
    )]


def _invoice_payment_failed(obj: Mapping[str, object], created: datetime) -> list[Fact]:
    payment = _invoice_payment(obj)
    return [PaymentFailed(
        payment_id=None if payment is None else id_field(payment, f"{OBJ}.payment_intent"),
        invoice_id=id_field(obj.get("id"), f"{OBJ}.id"),
        amount=amount_field(obj.get("amount_due"), f"{OBJ}.amount_due"),
        currency=_currency(obj, f"{OBJ}.currency"),
        failed_at=created,
    )]


def _invoice_voided(obj: Mapping[str, object], created: datetime) -> list[Fact]:
    return [InvoiceVoided(
        invoice_id=id_field(obj.get("id"), f"{OBJ}.id"),
        voided_at=_transition(obj, "voided_at", created),
    )]


def _charge_refunded(obj: Mapping[str, object], created: datetime) -> list[Fact]:
    charge_id = id_field(obj.get("id"), f"{OBJ}.id")
    payment_id = id_field(_ref(obj.get("payment_intent")) or charge_id, f"{OBJ}.payment_intent")
    refunds = obj.get("refunds")
    listed = refunds.get("data") if isinstance(refunds, Mapping) else None
    if not isinstance(listed, list):
        # Since API 2022-11-15 a charge no longer lists its refunds: record the running total, keyed by the
        # charge, so each later event replaces it (the ledger keeps the later of two facts with one key).
        return [PaymentRefunded(
            refund_id=charge_id, payment_id=payment_id,
            amount=amount_field(obj.get("amount_refunded"), f"{OBJ}.amount_refunded"),
            currency=_currency(obj, f"{OBJ}.currency"), refunded_at=created,
        )]
    facts: list[Fact] = []
    for index, item in enumerate(listed):
        path = f"{OBJ}.refunds.data.{index}"
        refund = _object(item, path)
        if refund.get("status") in ("failed", "canceled"):
            continue  # the money did not leave
        facts.append(PaymentRefunded(
            refund_id=id_field(refund.get("id"), f"{path}.id"),
            payment_id=payment_id,
            amount=amount_field(refund.get("amount"), f"{path}.amount"),
            currency=_currency(refund if "currency" in refund else obj, f"{path}.currency"),
            refunded_at=_epoch(refund["created"], f"{path}.created") if "created" in refund else created,
        ))
    return facts


def _dispute_payment(obj: Mapping[str, object]) -> str:
    return id_field(_ref(obj.get("payment_intent")) or _ref(obj.get("charge")), f"{OBJ}.charge")


def _dispute_created(obj: Mapping[str, object], created: datetime) -> list[Fact]:
    return [DisputeOpened(
        dispute_id=id_field(obj.get("id"), f"{OBJ}.id"),
        payment_id=_dispute_payment(obj),
        amount=amount_field(obj.get("amount"), f"{OBJ}.amount"),
        currency=_currency(obj, f"{OBJ}.currency"),
        opened_at=_epoch(obj["created"], f"{OBJ}.created") if "created" in obj else created,
    )]


def _dispute_closed(obj: Mapping[str, object], created: datetime) -> list[Fact]:
    # Only `lost` takes the money; won, warning_closed (an inquiry that never became a chargeback) and
    # prevented all leave it with us.
    return [DisputeClosed(
        dispute_id=id_field(obj.get("id"), f"{OBJ}.id"),
        payment_id=_dispute_payment(obj),
        amount=amount_field(obj.get("amount"), f"{OBJ}.amount"),
        currency=_currency(obj, f"{OBJ}.currency"),
        outcome="lost" if obj.get("status") == "lost" else "won",
        closed_at=created,
    )]


MAPPERS: dict[str, Callable[[Mapping[str, object], datetime], list[Fact]]] = {
    "invoice.finalized": _invoice_finalized,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_payment_failed,
    "invoice.voided": _invoice_voided,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
    "charge.dispute.closed": _dispute_closed,
}


class StripeProvider:
    name = "stripe"

    def verify(
        self,
        headers: Mapping[str, str],
        body: bytes,
        secrets: Sequence[str],
        tolerance_seconds: int,
        now: datetime,
    ) -> None:
        """Signature by `stripe.WebhookSignature.verify_header`, one secret at a time (rotation). The window is
        checked here, against the injected `now` and in both directions: the package reads the wall clock and
        only refuses old timestamps."""
        signature = header(headers, "stripe-signature")
        if not signature:
            raise SignatureError("missing Stripe-Signature header")
        if not secrets:
            raise SignatureError("no secret is configured for the stripe provider")
        timestamp, signatures = _timestamp_and_signatures(signature)
        rebuilt = ",".join([f"t={timestamp}", *(f"v1={v}" for v in signatures)])
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureError("body is not UTF-8, so it cannot carry a valid signature") from None
        reasons: list[str] = []

        def verifies(secret: str) -> bool:
            try:
                return bool(stripe.WebhookSignature.verify_header(text, rebuilt, secret, tolerance=None))
            except stripe.SignatureVerificationError as exc:
                reasons.append(str(exc))
                return False

        if not verified_by_any(secrets, verifies):
            raise SignatureError(reasons[-1] if reasons else "no signature matches a configured secret")
        check_tolerance(unix_time(timestamp, "Stripe-Signature t"), now, tolerance_seconds)

    def parse(self, headers: Mapping[str, str], body: bytes) -> BillingEvent:
        event = json_object(body)
        event_id = id_field(event.get("id"), "id")
        event_type = event_type_field(event.get("type"), "type")
        created = _epoch(event.get("created"), "created")
        obj = _object(_object(event.get("data"), "data").get("object"), OBJ)
        mapper = MAPPERS.get(event_type)
        facts = mapper(obj, created) if mapper else []
        return BillingEvent(
            provider=self.name, event_id=event_id, type=event_type, occurred_at=created,
            customer_id=customer_of(obj), fact=facts[0] if facts else None, extra_facts=tuple(facts[1:]),
        )
