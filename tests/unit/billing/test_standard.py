from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from lib.billing.provider import SignatureError, StaleTimestampError, WebhookSecretError
from lib.billing.standard import StandardWebhooksProvider
from lib.domain.event_fields import EventValidationError
from lib.domain.events import PaymentSucceeded

SECRET = "whsec_" + base64.b64encode(b"csp-guard test secret, 32 bytes").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"the secret before the rotation!").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"somebody else's secret entirely").decode()
NOW = datetime(2026, 11, 1, 2, 0, 30, tzinfo=UTC)
CUSTOMER = "0f9b3a4e-8c1d-4b2a-9e7f-1a2b3c4d5e6f"
BODY = json.dumps({
    "type": "payment.succeeded", "timestamp": "2026-11-01T02:00:00Z",
    "data": {"customer_id": CUSTOMER, "payment_id": "PAY-1", "amount": 1250000, "currency": "CNY",
             "invoice_id": "INV-1", "paid_at": "2026-11-01T09:59:00+08:00"},
}, ensure_ascii=False).encode()

provider = StandardWebhooksProvider()


def signed_headers(body: bytes = BODY, secret: str = SECRET, at: datetime = NOW, msg_id: str = "msg_1"):
    signature = Webhook(secret).sign(msg_id, at, body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signature}


def verify(headers, body: bytes = BODY, secrets=(SECRET,), tolerance: int = 300, now: datetime = NOW) -> None:
    provider.verify(headers, body, list(secrets), tolerance, now)


def test_delivery_signed_by_the_package_verifies():
    verify(signed_headers())


def test_our_verdict_matches_the_package_for_a_fresh_delivery():
    now = datetime.now(tz=UTC)
    headers = signed_headers(at=now)
    Webhook(SECRET).verify(BODY, headers)
    verify(headers, now=now)


def test_header_names_are_case_insensitive():
    headers = {key.title(): value for key, value in signed_headers().items()}
    verify(headers)


def test_tampered_body_is_refused():
    with pytest.raises(SignatureError, match="no webhook-signature matches"):
        verify(signed_headers(), body=BODY.replace(b"1250000", b"1250001"))


def test_tampered_id_or_timestamp_is_refused():
    headers = signed_headers()
    with pytest.raises(SignatureError):
        verify({**headers, "webhook-id": "msg_2"})
    with pytest.raises(SignatureError):
        verify({**headers, "webhook-timestamp": str(int(NOW.timestamp()) + 1)})


def test_either_secret_verifies_during_a_rotation():
    verify(signed_headers(secret=OLD_SECRET), secrets=(SECRET, OLD_SECRET))
    verify(signed_headers(secret=SECRET), secrets=(SECRET, OLD_SECRET))
    with pytest.raises(SignatureError):
        verify(signed_headers(secret=OTHER_SECRET), secrets=(SECRET, OLD_SECRET))


def test_any_of_several_presented_signatures_may_match():
    good = signed_headers()["webhook-signature"]
    wrong = signed_headers(secret=OTHER_SECRET)["webhook-signature"]
    headers = {**signed_headers(), "webhook-signature": f"{wrong} v1a,c29tZXRoaW5n v1,not-base64! {good}"}
    verify(headers)


def test_signatures_of_another_version_are_not_accepted():
    good = signed_headers()["webhook-signature"]
    headers = {**signed_headers(), "webhook-signature": good.replace("v1,", "v2,")}
    with pytest.raises(SignatureError, match="no v1"):
        verify(headers)


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_timestamp_within_our_tolerance_verifies(offset):
    verify(signed_headers(at=NOW + timedelta(seconds=offset)))


@pytest.mark.parametrize(("offset", "message"), [(-301, "old"), (301, "future")])
def test_timestamp_outside_our_tolerance_is_stale(offset, message):
    with pytest.raises(StaleTimestampError, match=message):
        verify(signed_headers(at=NOW + timedelta(seconds=offset)))


def test_our_tolerance_is_used_rather_than_the_packages_five_minutes():
    headers = signed_headers(at=NOW - timedelta(seconds=61))
    with pytest.raises(StaleTimestampError):
        verify(headers, tolerance=60)
    verify(signed_headers(at=NOW - timedelta(minutes=10)), tolerance=900)


def test_stale_delivery_with_a_bad_signature_is_a_signature_error():
    headers = signed_headers(secret=OTHER_SECRET, at=NOW - timedelta(hours=1))
    with pytest.raises(SignatureError):
        verify(headers)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_is_a_signature_error_naming_it(missing):
    headers = signed_headers()
    del headers[missing]
    with pytest.raises(SignatureError, match=missing):
        verify(headers)


def test_unparsable_timestamp_is_a_signature_error():
    with pytest.raises(SignatureError, match="Unix seconds"):
        verify({**signed_headers(), "webhook-timestamp": "2026-11-01T02:00:00Z"})


def test_no_configured_secret_verifies_nothing():
    with pytest.raises(SignatureError, match="no secret"):
        verify(signed_headers(), secrets=())


def test_malformed_configured_secret_is_a_configuration_error():
    with pytest.raises(WebhookSecretError, match="#2"):
        verify(signed_headers(), secrets=(SECRET, "not-a-whsec-secret"))


def test_body_that_is_not_utf8_cannot_verify():
    with pytest.raises(SignatureError, match="UTF-8"):
        verify(signed_headers(), body=b"\xff\xfe")


def test_parse_uses_the_webhook_id_as_event_id():
    event = provider.parse(signed_headers(), BODY)
    assert (event.provider, event.event_id, event.customer_id) == ("standard", "msg_1", CUSTOMER)
    assert event.fact == PaymentSucceeded(
        "PAY-1", 1250000, "CNY", datetime(2026, 11, 1, 1, 59, tzinfo=UTC), "INV-1"
    )


def test_parse_refuses_a_body_that_is_not_a_json_object():
    with pytest.raises(EventValidationError) as caught:
        provider.parse(signed_headers(), b"{not json")
    assert caught.value.field == "body"
    with pytest.raises(EventValidationError) as caught:
        provider.parse(signed_headers(), b"[1, 2]")
    assert caught.value.field == "body"


def test_parse_names_the_bad_field():
    body = BODY.replace(b"1250000", b"12500.5")
    with pytest.raises(EventValidationError) as caught:
        provider.parse(signed_headers(body=body), body)
    assert caught.value.field == "data.amount"


def test_parse_without_webhook_id_is_refused():
    with pytest.raises(EventValidationError) as caught:
        provider.parse({}, BODY)
    assert caught.value.field == "webhook-id"


# --- the age checked is the age of the timestamp that was signed (issue 12, item 4) ------------------------------


def test_an_old_signature_presented_with_a_fresh_timestamp_does_not_verify():
    old = signed_headers(at=NOW - timedelta(days=30))
    with pytest.raises(SignatureError):
        verify({**old, "webhook-timestamp": str(int(NOW.timestamp()))})


def test_an_old_signature_with_its_own_timestamp_is_stale():
    with pytest.raises(StaleTimestampError, match="old"):
        verify(signed_headers(at=NOW - timedelta(days=30)))


@pytest.mark.parametrize("spelling", ["+{t}", "{t}.0", "{t_}", " {t}x"])
def test_a_timestamp_that_is_not_plain_digits_is_refused(spelling):
    t = str(int(NOW.timestamp()))
    headers = {**signed_headers(), "webhook-timestamp": spelling.format(t=t, t_=t[:4] + "_" + t[4:])}
    with pytest.raises(SignatureError, match="webhook-timestamp"):
        verify(headers)
