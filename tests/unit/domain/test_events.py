from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from lib.domain.event_fields import EventValidationError
from lib.domain.events import (
    FACT_TYPES,
    BillingEvent,
    CreditGranted,
    DisputeClosed,
    DisputeOpened,
    FactError,
    InvoiceIssued,
    InvoiceVoided,
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
    fact_from_record,
    fact_to_record,
    parse_canonical,
)

CUSTOMER = "0f9b3a4e-8c1d-4b2a-9e7f-1a2b3c4d5e6f"
T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
CST = timezone(timedelta(hours=8))


def invoice_body(**data: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "invoice.issued",
        "timestamp": "2026-11-01T02:00:00Z",
        "data": {
            "customer_id": CUSTOMER, "invoice_id": "INV-2026-11-0042", "amount": 1250000, "currency": "CNY",
            "issued_at": "2026-11-01T00:00:00+08:00", "due_at": "2026-11-30T23:59:59+08:00",
        },
    }
    body["data"].update(data)
    return body


def test_invoice_issued_body_becomes_an_invoice_fact_in_utc():
    event = parse_canonical("standard", "msg_1", invoice_body())
    assert event == BillingEvent(
        provider="standard", event_id="msg_1", type="invoice.issued", occurred_at=T0, customer_id=CUSTOMER,
        fact=InvoiceIssued(
            invoice_id="INV-2026-11-0042", amount=1250000, currency="CNY",
            issued_at=datetime(2026, 10, 31, 16, 0, tzinfo=UTC),
            due_at=datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC),
        ),
    )
    assert event.facts == (event.fact,)
    assert event.mark_key == "evt:standard:msg_1"


def test_customer_guid_is_normalised_to_lower_case():
    event = parse_canonical("standard", "msg_1", invoice_body(customer_id=CUSTOMER.upper()))
    assert event.customer_id == CUSTOMER


@pytest.mark.parametrize(
    ("event_type", "data", "expected"),
    [
        ("invoice.voided", {"invoice_id": "I1", "voided_at": "2026-11-02T00:00:00Z"},
         InvoiceVoided("I1", datetime(2026, 11, 2, tzinfo=UTC))),
        ("payment.succeeded", {"payment_id": "P1", "amount": 5, "currency": "CNY", "invoice_id": "I1",
                               "paid_at": "2026-11-02T08:00:00+08:00"},
         PaymentSucceeded("P1", 5, "CNY", datetime(2026, 11, 2, tzinfo=UTC), "I1")),
        ("payment.succeeded", {"payment_id": "P1", "amount": 5, "currency": "CNY"},
         PaymentSucceeded("P1", 5, "CNY", T0, None)),
        ("payment.failed", {"invoice_id": "I1"}, PaymentFailed(None, "I1", None, None, T0)),
        ("payment.refunded", {"refund_id": "R1", "payment_id": "P1", "amount": 5, "currency": "CNY"},
         PaymentRefunded("R1", "P1", 5, "CNY", T0)),
        ("dispute.opened", {"dispute_id": "D1", "payment_id": "P1", "amount": 5, "currency": "CNY"},
         DisputeOpened("D1", "P1", 5, "CNY", T0)),
        ("dispute.closed", {"dispute_id": "D1", "payment_id": "P1", "amount": 5, "currency": "CNY",
                            "outcome": "lost"},
         DisputeClosed("D1", "P1", 5, "CNY", "lost", T0)),
        ("credit.granted", {"credit_id": "C1", "amount": 5, "currency": "CNY"},
         CreditGranted("C1", 5, "CNY", T0, None)),
    ],
)
def test_each_canonical_type_becomes_its_fact_with_time_defaulting_to_the_event_timestamp(
    event_type, data, expected
):
    body = {"type": event_type, "timestamp": "2026-11-01T02:00:00Z", "data": {"customer_id": CUSTOMER, **data}}
    assert parse_canonical("standard", "msg_1", body).fact == expected


def test_unknown_type_is_acknowledged_without_a_fact():
    body = {"type": "subscription.renewed", "timestamp": "2026-11-01T02:00:00Z",
            "data": {"customer_id": CUSTOMER, "anything": [1, 2]}}
    event = parse_canonical("standard", "msg_9", body)
    assert event.fact is None
    assert event.facts == ()
    assert event.customer_id == CUSTOMER


def test_unknown_type_with_no_usable_customer_has_none():
    body = {"type": "x.y", "timestamp": "2026-11-01T02:00:00Z", "data": {"customer_id": 7}}
    assert parse_canonical("standard", "msg_9", body).customer_id is None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"customer_id": None}, "data.customer_id", "GUID"),
        ({"customer_id": "acme-corp"}, "data.customer_id", "GUID"),
        ({"customer_id": "{0f9b3a4e-8c1d-4b2a-9e7f-1a2b3c4d5e6f}"}, "data.customer_id", "GUID"),
        ({"amount": 12.0}, "data.amount", "integer"),
        ({"amount": "1250000"}, "data.amount", "integer"),
        ({"amount": True}, "data.amount", "integer"),
        ({"amount": -1}, "data.amount", "non-negative"),
        ({"amount": 10**16}, "data.amount", "larger"),
        ({"amount": None}, "data.amount", "integer"),
        ({"currency": "cny"}, "data.currency", "unknown currency"),
        ({"currency": "XXX"}, "data.currency", "unknown currency"),
        ({"issued_at": "2026-11-01T00:00:00"}, "data.issued_at", "UTC offset"),
        ({"issued_at": "2026-11-01"}, "data.issued_at", "UTC offset"),
        ({"due_at": "end of month"}, "data.due_at", "not an ISO-8601"),
        ({"due_at": 1793000000}, "data.due_at", "timestamp string"),
        ({"due_at": None}, "data.due_at", "timestamp string"),
        ({"invoice_id": None}, "data.invoice_id", "non-empty string"),
        ({"invoice_id": ""}, "data.invoice_id", "non-empty string"),
        ({"invoice_id": "INV/42"}, "data.invoice_id", "must not contain"),
        ({"invoice_id": "x" * 201}, "data.invoice_id", "longer"),
    ],
)
def test_bad_invoice_field_is_refused_naming_the_field(change, field, message):
    with pytest.raises(EventValidationError, match=message) as caught:
        parse_canonical("standard", "msg_1", invoice_body(**change))
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": None}, "type"),
        ({"timestamp": None}, "timestamp"),
        ({"timestamp": "2026-11-01T02:00:00"}, "timestamp"),
        ({"data": [1]}, "data"),
    ],
)
def test_bad_envelope_is_refused_naming_the_field(change, field):
    body = {**invoice_body(), **change}
    with pytest.raises(EventValidationError) as caught:
        parse_canonical("standard", "msg_1", body)
    assert caught.value.field == field


def test_dispute_outcome_other_than_won_or_lost_is_refused():
    body = {"type": "dispute.closed", "timestamp": "2026-11-01T02:00:00Z",
            "data": {"customer_id": CUSTOMER, "dispute_id": "D1", "payment_id": "P1", "amount": 5,
                     "currency": "CNY", "outcome": "draw"}}
    with pytest.raises(EventValidationError, match="won") as caught:
        parse_canonical("standard", "msg_1", body)
    assert caught.value.field == "data.outcome"


def test_event_id_that_cannot_be_a_row_key_is_refused():
    with pytest.raises(EventValidationError) as caught:
        parse_canonical("standard", "a#b", invoice_body())
    assert caught.value.field == "event_id"


def test_parsing_does_not_change_the_body():
    body = invoice_body()
    before = copy.deepcopy(body)
    parse_canonical("standard", "msg_1", body)
    assert body == before


def test_facts_refuse_naive_times_and_bad_money():
    with pytest.raises(FactError, match="timezone-aware"):
        PaymentSucceeded("P1", 5, "CNY", datetime(2026, 1, 1))
    with pytest.raises(FactError, match="integer"):
        PaymentSucceeded("P1", 5.0, "CNY", T0)
    with pytest.raises(FactError, match="currency"):
        PaymentSucceeded("P1", 5, "RMB", T0)
    with pytest.raises(FactError, match="required"):
        PaymentSucceeded(None, 5, "CNY", T0)
    with pytest.raises(FactError, match="outcome"):
        DisputeClosed("D1", "P1", 5, "CNY", "draw", T0)


def test_facts_keep_times_in_utc():
    fact = PaymentSucceeded("P1", 5, "CNY", datetime(2026, 1, 1, 8, tzinfo=CST))
    assert fact.paid_at.tzinfo is UTC
    assert fact.paid_at == datetime(2026, 1, 1, tzinfo=UTC)


SAMPLES = [
    InvoiceIssued("I1", 100, "CNY", T0, T0 + timedelta(days=30)),
    InvoiceVoided("I1", T0),
    PaymentSucceeded("P1", 100, "CNY", T0, "I1"),
    PaymentSucceeded("P2", 100, "CNY", T0),
    PaymentFailed("P1", "I1", 100, "CNY", T0),
    PaymentFailed(None, None, None, None, T0),
    PaymentRefunded("R1", "P1", 50, "CNY", T0),
    DisputeOpened("D1", "P1", 100, "CNY", T0),
    DisputeClosed("D1", "P1", 100, "CNY", "won", T0),
    CreditGranted("C1", 10, "CNY", T0, "I1"),
    CreditGranted("C2", 10, "CNY", T0),
]


@pytest.mark.parametrize("fact", SAMPLES, ids=lambda f: f.row_key)
def test_fact_survives_a_round_trip_through_its_record(fact):
    record = fact_to_record(fact)
    assert record["kind"] == fact.kind
    assert all(isinstance(v, str | int | datetime | None) for v in record.values())
    stored = {"PartitionKey": CUSTOMER, "RowKey": fact.row_key, **record}
    assert fact_from_record(fact.row_key, stored) == fact


def test_every_fact_type_has_a_sample_and_distinct_key_prefix():
    assert {type(f) for f in SAMPLES} == set(FACT_TYPES.values())
    prefixes = {type(f): f.row_key.split(":")[0] for f in SAMPLES}
    assert len(set(prefixes.values())) == len(FACT_TYPES)
    assert prefixes[InvoiceIssued] == "inv"
    assert prefixes[PaymentSucceeded] == "pay"
    assert prefixes[DisputeOpened] == "dsp"


def test_failed_payments_at_different_times_have_different_keys():
    first = PaymentFailed("pi_1", "I1", 100, "CNY", T0)
    retry = PaymentFailed("pi_1", "I1", 100, "CNY", T0 + timedelta(days=3))
    assert first.row_key != retry.row_key


def test_record_under_another_row_key_is_refused():
    with pytest.raises(FactError, match="whose key is"):
        fact_from_record("pay:OTHER", fact_to_record(SAMPLES[2]))


def test_record_of_unknown_kind_or_missing_field_is_refused():
    with pytest.raises(FactError, match="unknown kind"):
        fact_from_record("x:1", {"kind": "nope"})
    record = fact_to_record(SAMPLES[0])
    del record["amount"]
    with pytest.raises(FactError, match="amount"):
        fact_from_record("inv:I1", record)


def test_billing_event_lists_extra_facts_after_the_first():
    first, second = SAMPLES[6], PaymentRefunded("R2", "P1", 5, "CNY", T0)
    event = BillingEvent("stripe", "evt_1", "charge.refunded", T0, CUSTOMER, first, (second,))
    assert event.facts == (first, second)
