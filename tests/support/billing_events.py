"""Builders for canonical billing events and deliveries signed with the providers' own packages."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import stripe
from standardwebhooks import Webhook

STANDARD_SECRET = "whsec_dGVzdC1zZWNyZXQtZm9yLWNzcC1ndWFyZC10ZXN0cw=="
OLD_STANDARD_SECRET = "whsec_b2xkLXNlY3JldC1iZWluZy1yb3RhdGVkLW91dA=="
STRIPE_SECRET = "whsec_stripe_test_secret_value"


def new_customer() -> str:
    return str(uuid.uuid4())


def canonical(event_type: str, **data: Any) -> dict[str, Any]:
    timestamp = data.pop("timestamp", "2026-11-01T02:00:00Z")
    return {"type": event_type, "timestamp": timestamp, "data": data}


def invoice_issued(customer_id: str, invoice_id: str, amount: int, *, due_at: str = "2026-11-30T23:59:59+08:00",
                   issued_at: str = "2026-11-01T00:00:00+08:00", currency: str = "CNY") -> dict[str, Any]:
    return canonical("invoice.issued", customer_id=customer_id, invoice_id=invoice_id, amount=amount,
                     currency=currency, issued_at=issued_at, due_at=due_at)


def payment_succeeded(customer_id: str, payment_id: str, amount: int, *, invoice_id: str | None = None,
                      paid_at: str = "2026-11-20T10:00:00+08:00", currency: str = "CNY") -> dict[str, Any]:
    data: dict[str, Any] = {"customer_id": customer_id, "payment_id": payment_id, "amount": amount,
                            "currency": currency, "paid_at": paid_at}
    if invoice_id:
        data["invoice_id"] = invoice_id
    return canonical("payment.succeeded", **data)


def standard_delivery(body: dict[str, Any] | bytes, *, secret: str = STANDARD_SECRET, msg_id: str | None = None,
                      at: datetime | None = None) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, at, raw.decode())
    return raw, {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
                 "webhook-signature": signature, "content-type": "application/json"}


def stripe_delivery(event: dict[str, Any], *, secret: str = STRIPE_SECRET,
                    at: datetime | None = None) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(event).encode()
    at = at or datetime.now(UTC)
    header = stripe.WebhookSignature.generate_signature_header(raw.decode(), secret, int(at.timestamp()))
    return raw, {"Stripe-Signature": header, "content-type": "application/json"}
