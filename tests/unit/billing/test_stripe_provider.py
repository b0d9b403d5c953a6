from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stripe

from lib.billing.provider import SignatureError, StaleTimestampError
from lib.billing.stripe_provider import StripeProvider
from lib.domain.event_fields import EventValidationError
from lib.domain.events import (
    DisputeClosed,
    DisputeOpened,
    InvoiceIssued,
    InvoiceVoided,
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
)

SECRET = "whsec_test_current"
OLD_SECRET = "whsec_test_previous"
NOW = datetime(2026, 11, 1, 2, 0, 30, tzinfo=UTC)
CUSTOMER = "0f9b3a4e-8c1d-4b2a-9e7f-1a2b3c4d5e6f"
CREATED = 1_793_500_000  # the event's `created`
T_EVENT = datetime.fromtimestamp(CREATED, tz=UTC)
T_OBJ = datetime.fromtimestamp(CREATED - 3600, tz=UTC)
META = {"pc_customer_id": CUSTOMER.upper()}

provider = StripeProvider()


def event(event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": "evt_1Abc", "object": "event", "api_version": "2024-06-20", "created": CREATED,
            "livemode": False, "type": event_type, "data": {"object": obj}}


def invoice(**fields: Any) -> dict[str, Any]:
    return {"id": "in_1", "object": "invoice", "customer": "cus_1", "amount_due": 1250000, "amount_paid": 0,
            "amount_remaining": 1250000, "currency": "cny", "created": CREATED - 3600, "due_date": None,
            "days_until_due": None, "charge": None, "payment_intent": None, "metadata": META,
            "status_transitions": {"finalized_at": None, "paid_at": None, "voided_at": None}, **fields}


def charge(**fields: Any) -> dict[str, Any]:
    return {"id": "ch_1", "object": "charge", "amount": 1250000, "amount_refunded": 300000, "currency": "cny",
            "payment_intent": "pi_1", "refunded": False, "metadata": META, **fields}


def dispute(**fields: Any) -> dict[str, Any]:
    return {"id": "dp_1", "object": "dispute", "amount": 1250000, "currency": "cny", "charge": "ch_1",
            "payment_intent": "pi_1", "status": "needs_response", "created": CREATED - 3600, "metadata": META,
            **fields}


def parse(event_type: str, obj: dict[str, Any]):
    return provider.parse({}, json.dumps(event(event_type, obj)).encode())


def signed(payload: bytes, secret: str = SECRET, at: datetime = NOW) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, int(at.timestamp()))
    return {"Stripe-Signature": header}


BODY = json.dumps(event("invoice.paid", invoice())).encode()


def verify(headers, body: bytes = BODY, secrets=(SECRET,), tolerance: int = 300, now: datetime = NOW) -> None:
    provider.verify(headers, body, list(secrets), tolerance, now)


# --- signatures --------------------------------------------------------------------------------------------------


def test_delivery_signed_with_stripes_helper_verifies():
    verify(signed(BODY))


def test_header_name_is_case_insensitive():
    verify({"stripe-signature": signed(BODY)["Stripe-Signature"]})


def test_tampered_body_is_refused():
    with pytest.raises(SignatureError, match="matching"):
        verify(signed(BODY), body=BODY.replace(b"1250000", b"1"))


def test_either_secret_verifies_during_a_rotation():
    verify(signed(BODY, OLD_SECRET), secrets=(SECRET, OLD_SECRET))
    with pytest.raises(SignatureError):
        verify(signed(BODY, "whsec_someone_else"), secrets=(SECRET, OLD_SECRET))


def test_any_of_several_v1_signatures_may_match():
    good = signed(BODY)["Stripe-Signature"]
    wrong = signed(BODY, "whsec_someone_else")["Stripe-Signature"].split(",")[1]
    t, v1 = good.split(",")
    verify({"Stripe-Signature": f"{t},{wrong},{v1},v0=ignored"})


@pytest.mark.parametrize(("offset", "message"), [(-301, "old"), (301, "future")])
def test_timestamp_outside_our_tolerance_is_stale(offset, message):
    with pytest.raises(StaleTimestampError, match=message):
        verify(signed(BODY, at=NOW + timedelta(seconds=offset)))


def test_timestamp_inside_our_tolerance_verifies_whatever_the_wall_clock():
    verify(signed(BODY, at=NOW - timedelta(seconds=299)))


def test_missing_or_garbled_header_is_a_signature_error():
    with pytest.raises(SignatureError, match="missing Stripe-Signature"):
        verify({})
    with pytest.raises(SignatureError):
        verify({"Stripe-Signature": "nonsense"})


def test_no_configured_secret_verifies_nothing():
    with pytest.raises(SignatureError, match="no secret"):
        verify(signed(BODY), secrets=())


# --- mapping -----------------------------------------------------------------------------------------------------


def test_finalized_invoice_is_issued_with_its_due_date():
    due = CREATED + 30 * 86400
    parsed = parse("invoice.finalized", invoice(due_date=due))
    assert (parsed.provider, parsed.event_id, parsed.type) == ("stripe", "evt_1Abc", "invoice.finalized")
    assert parsed.occurred_at == T_EVENT
    assert parsed.customer_id == CUSTOMER
    assert parsed.fact == InvoiceIssued("in_1", 1250000, "CNY", T_OBJ, datetime.fromtimestamp(due, tz=UTC))


def test_finalized_invoice_without_due_date_is_due_days_until_due_after_creation():
    assert parse("invoice.finalized", invoice(days_until_due=30)).fact == InvoiceIssued(
        "in_1", 1250000, "CNY", T_OBJ, T_OBJ + timedelta(days=30))
    assert parse("invoice.finalized", invoice()).fact == InvoiceIssued("in_1", 1250000, "CNY", T_OBJ, T_OBJ)


@pytest.mark.parametrize(
    ("fields", "payment_id"),
    [
        ({"payment_intent": "pi_1", "charge": "ch_1"}, "pi_1"),
        ({"charge": {"id": "ch_1", "object": "charge"}}, "ch_1"),
        ({"payments": {"data": [{"payment": {"type": "payment_intent", "payment_intent": "pi_9"}}]}}, "pi_9"),
        ({}, "in_1"),
    ],
)
def test_paid_invoice_is_a_payment_of_that_invoice(fields, payment_id):
    paid_at = CREATED - 60
    obj = invoice(amount_paid=1250000, status_transitions={"paid_at": paid_at}, **fields)
    assert parse("invoice.paid", obj).fact == PaymentSucceeded(
        payment_id, 1250000, "CNY", datetime.fromtimestamp(paid_at, tz=UTC), "in_1")


def test_failed_invoice_payment_is_a_payment_failure_at_the_event_time():
    assert parse("invoice.payment_failed", invoice(payment_intent="pi_1")).fact == PaymentFailed(
        "pi_1", "in_1", 1250000, "CNY", T_EVENT)
    assert parse("invoice.payment_failed", invoice()).fact == PaymentFailed(
        None, "in_1", 1250000, "CNY", T_EVENT)


def test_voided_invoice_is_voided():
    assert parse("invoice.voided", invoice()).fact == InvoiceVoided("in_1", T_EVENT)


def test_refunded_charge_gives_one_fact_per_listed_refund_skipping_failed_ones():
    refunds = {"object": "list", "has_more": False, "data": [
        {"id": "re_2", "amount": 200000, "currency": "cny", "created": CREATED - 10, "status": "succeeded"},
        {"id": "re_x", "amount": 999, "currency": "cny", "created": CREATED - 20, "status": "failed"},
        {"id": "re_1", "amount": 100000, "currency": "cny", "created": CREATED - 30, "status": "pending"},
    ]}
    parsed = parse("charge.refunded", charge(refunds=refunds))
    assert parsed.facts == (
        PaymentRefunded("re_2", "pi_1", 200000, "CNY", datetime.fromtimestamp(CREATED - 10, tz=UTC)),
        PaymentRefunded("re_1", "pi_1", 100000, "CNY", datetime.fromtimestamp(CREATED - 30, tz=UTC)),
    )


def test_refunded_charge_without_a_refund_list_records_the_running_total_by_charge():
    parsed = parse("charge.refunded", charge(payment_intent=None))
    assert parsed.facts == (PaymentRefunded("ch_1", "ch_1", 300000, "CNY", T_EVENT),)
    assert parsed.fact is not None
    assert parsed.fact.row_key == "ref:ch_1"


def test_created_dispute_is_opened_against_the_payment():
    assert parse("charge.dispute.created", dispute()).fact == DisputeOpened("dp_1", "pi_1", 1250000, "CNY", T_OBJ)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("lost", "lost"), ("won", "won"), ("warning_closed", "won"), ("prevented", "won")],
)
def test_closed_dispute_is_lost_only_when_stripe_says_lost(status, outcome):
    assert parse("charge.dispute.closed", dispute(status=status, payment_intent=None)).fact == DisputeClosed(
        "dp_1", "ch_1", 1250000, "CNY", outcome, T_EVENT)


def test_other_event_types_are_ignored():
    parsed = parse("customer.updated", {"id": "cus_1", "metadata": META})
    assert (parsed.fact, parsed.facts, parsed.customer_id) == (None, (), CUSTOMER)


@pytest.mark.parametrize("metadata", [None, {}, {"pc_customer_id": "acme"}, {"pc_customer_id": 42}])
def test_missing_or_unusable_customer_mapping_leaves_the_event_unmatched(metadata):
    assert parse("invoice.voided", invoice(metadata=metadata)).customer_id is None


@pytest.mark.parametrize(
    ("event_type", "obj", "field"),
    [
        ("invoice.finalized", invoice(amount_due=12.5), "data.object.amount_due"),
        ("invoice.finalized", invoice(currency="zzz"), "data.object.currency"),
        ("invoice.finalized", invoice(created="yesterday"), "data.object.created"),
        ("invoice.paid", invoice(id=None), "data.object.id"),
        ("charge.refunded", charge(amount_refunded=-1), "data.object.amount_refunded"),
        ("charge.refunded", charge(refunds={"data": [{"id": "re_1", "currency": "cny"}]}),
         "data.object.refunds.data.0.amount"),
        ("charge.dispute.created", dispute(charge=None, payment_intent=None), "data.object.charge"),
    ],
)
def test_bad_stripe_field_is_refused_naming_its_path(event_type, obj, field):
    with pytest.raises(EventValidationError) as caught:
        parse(event_type, obj)
    assert caught.value.field == field


def test_event_without_id_or_object_is_refused():
    with pytest.raises(EventValidationError) as caught:
        provider.parse({}, json.dumps({"type": "invoice.paid", "created": CREATED}).encode())
    assert caught.value.field == "id"
    body = {"id": "evt_1", "type": "invoice.paid", "created": CREATED, "data": {}}
    with pytest.raises(EventValidationError) as caught:
        provider.parse({}, json.dumps(body).encode())
    assert caught.value.field == "data.object"


# --- the replay window is checked on the timestamp that was verified (issue 12, item 4) -------------------------

OLD = NOW - timedelta(days=30)


def _sig_at(at: datetime) -> str:
    return signed(BODY, at=at)["Stripe-Signature"].split(",")[1].removeprefix("v1=")


def _t(at: datetime) -> str:
    return str(int(at.timestamp()))


@pytest.mark.parametrize("header", [
    f"v1={_sig_at(OLD)}, t={_t(NOW)},t={_t(OLD)}",  # the reported header: the package reads the second t
    f"t={_t(NOW)},t={_t(OLD)},v1={_sig_at(OLD)}",
    f"t={_t(OLD)},t={_t(NOW)},v1={_sig_at(OLD)}",
    f" t={_t(NOW)},t={_t(OLD)},v1={_sig_at(OLD)}",
    f"t={_t(OLD)}, t={_t(NOW)},v1={_sig_at(OLD)}",
])
def test_a_month_old_signature_behind_a_fresh_timestamp_is_refused(header):
    with pytest.raises((SignatureError, StaleTimestampError)):
        verify({"Stripe-Signature": header})


def test_a_month_old_delivery_is_refused_as_stale_however_its_items_are_spaced():
    with pytest.raises(StaleTimestampError, match="old"):
        verify({"Stripe-Signature": f"t={_t(OLD)}, v1={_sig_at(OLD)}"})
    with pytest.raises(StaleTimestampError, match="old"):
        verify({"Stripe-Signature": f"v1={_sig_at(OLD)}, t={_t(OLD)}"})


def test_a_fresh_delivery_whose_items_are_spaced_or_reordered_verifies():
    verify({"Stripe-Signature": f"v1={_sig_at(NOW)}, t={_t(NOW)}"})


@pytest.mark.parametrize("timestamp", [f"+{_t(NOW)}", _t(NOW)[:4] + "_" + _t(NOW)[4:], "", "-1"])
def test_a_timestamp_that_is_not_plain_digits_is_refused(timestamp):
    with pytest.raises(SignatureError, match="t"):
        verify({"Stripe-Signature": f"t={timestamp},v1={_sig_at(NOW)}"})


def test_two_timestamps_are_refused_even_when_both_are_fresh():
    with pytest.raises(SignatureError, match="exactly one t="):
        verify({"Stripe-Signature": f"t={_t(NOW)},t={_t(NOW)},v1={_sig_at(NOW)}"})
