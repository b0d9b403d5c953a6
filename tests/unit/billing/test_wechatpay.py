"""WeChat Pay API v3 notifications: signature, window, decryption, mapping, replies (keys made by the tests)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lib.billing.wechatpay import WeChatPayChannel, WeChatPayError
from lib.domain.events import PaymentRefunded, PaymentSucceeded
from lib.settings import load_settings
from tests.support.payment_channels import (
    WECHATPAY_KEY_ID,
    channel_env,
    wechat_delivery,
    wechat_notification,
    wechat_refund,
    wechat_transaction,
)

NOW = datetime(2026, 12, 31, 2, 0, 10, tzinfo=UTC)
CUSTOMER = "0f9b3a4e-8c1d-4b2a-9e7f-1a2b3c4d5e6f"


@pytest.fixture(scope="module")
def channel() -> WeChatPayChannel:
    settings = load_settings(channel_env())
    assert settings.wechatpay is not None
    return WeChatPayChannel(settings.wechatpay, tolerance_seconds=300)


def delivered(channel, resource=None, *, at=NOW, event_type="TRANSACTION.SUCCESS", **signing):
    body = wechat_notification(resource or wechat_transaction(CUSTOMER, 88_050, transaction_id="4200001",
                                                              invoice_id="INV-7"), event_type=event_type)
    body, headers = wechat_delivery(body, at=at, **signing)
    channel.verify(headers, body, NOW)
    return channel.parse(headers, body)


def verify_and_parse(channel, headers, body):
    channel.verify(headers, body, NOW)
    return channel.parse(headers, body)


def refused(channel, body, headers, *, status):
    with pytest.raises(WeChatPayError) as raised:
        verify_and_parse(channel, headers, body)
    assert raised.value.status == status
    return str(raised.value)


# --- signature and window ----------------------------------------------------------------------------------------


def test_a_signed_payment_is_a_payment_of_its_total_in_fen_for_the_attached_customer(channel):
    event = delivered(channel)
    assert event.customer_id == CUSTOMER and event.type == "TRANSACTION.SUCCESS"
    assert event.fact == PaymentSucceeded(payment_id="4200001", amount=88_050, currency="CNY",
                                          paid_at=datetime(2026, 12, 31, 2, 0, tzinfo=UTC), invoice_id="INV-7")


def test_a_tampered_body_is_401(channel):
    body, headers = wechat_delivery(wechat_notification(wechat_transaction(CUSTOMER, 100)), at=NOW)
    assert "does not verify" in refused(channel, body.replace(b"EV-", b"EX-"), headers, status=401)


def test_a_signature_by_another_key_is_401(channel):
    body, headers = wechat_delivery(wechat_notification(wechat_transaction(CUSTOMER, 100)), at=NOW, key="stranger")
    refused(channel, body, headers, status=401)


def test_an_unknown_platform_key_id_is_401(channel):
    body, headers = wechat_delivery(wechat_notification(wechat_transaction(CUSTOMER, 100)), at=NOW,
                                    key_id="PUB_KEY_ID_someone_else")
    assert "Wechatpay-Serial" in refused(channel, body, headers, status=401)


@pytest.mark.parametrize("offset", [-301, 301, -86_400 * 30])
def test_a_timestamp_outside_the_window_is_401(channel, offset):
    body, headers = wechat_delivery(wechat_notification(wechat_transaction(CUSTOMER, 100)),
                                    at=NOW + timedelta(seconds=offset))
    refused(channel, body, headers, status=401)


def test_a_timestamp_inside_the_window_verifies(channel):
    assert delivered(channel, at=NOW - timedelta(seconds=299)).fact is not None


def test_an_old_signature_behind_a_fresh_timestamp_header_is_401(channel):
    body, headers = wechat_delivery(wechat_notification(wechat_transaction(CUSTOMER, 100)),
                                    at=NOW - timedelta(days=30))
    headers["Wechatpay-Timestamp"] = str(int(NOW.timestamp()))
    refused(channel, body, headers, status=401)


@pytest.mark.parametrize("name", ["Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce",
                                  "Wechatpay-Serial"])
def test_a_missing_header_is_401_naming_it(channel, name):
    body, headers = wechat_delivery(wechat_notification(wechat_transaction(CUSTOMER, 100)), at=NOW)
    del headers[name]
    assert name in refused(channel, body, headers, status=401)


def test_another_signature_type_is_401(channel):
    body, headers = wechat_delivery(wechat_notification(wechat_transaction(CUSTOMER, 100)), at=NOW)
    headers["Wechatpay-Signature-Type"] = "WECHATPAY2-SM2-WITH-SM3"
    refused(channel, body, headers, status=401)


def test_header_names_are_case_insensitive(channel):
    body, headers = wechat_delivery(wechat_notification(wechat_transaction(CUSTOMER, 100)), at=NOW)
    channel.verify({k.lower(): v for k, v in headers.items()}, body, NOW)


# --- decryption and mapping ----------------------------------------------------------------------------------------


def test_a_resource_sealed_with_another_apiv3_key_is_400(channel):
    body = wechat_notification(wechat_transaction(CUSTOMER, 100), apiv3_key="another-merchants-apiv3-key-32by")
    body, headers = wechat_delivery(body, at=NOW)
    assert "decrypt" in refused(channel, body, headers, status=400)


@pytest.mark.parametrize("change", [{"ciphertext": "bm90IHNlYWxlZA=="}, {"ciphertext": "%%%"}, {"nonce": "short"},
                                    {"associated_data": "refund"}, {"algorithm": "AES-128-CBC"}])
def test_a_resource_that_does_not_decrypt_is_400(channel, change):
    notification = json.loads(wechat_notification(wechat_transaction(CUSTOMER, 100)))
    notification["resource"].update(change)
    body, headers = wechat_delivery(json.dumps(notification).encode(), at=NOW)
    refused(channel, body, headers, status=400)


def test_a_notification_for_another_merchant_is_400(channel):
    body, headers = wechat_delivery(wechat_notification(wechat_transaction(CUSTOMER, 100, mchid="1900000999")),
                                    at=NOW)
    assert "WECHATPAY_MCHID" in refused(channel, body, headers, status=400)


@pytest.mark.parametrize("amount", [{"total": -1, "currency": "CNY"}, {"total": 12.5, "currency": "CNY"},
                                    {"total": "100", "currency": "CNY"}, {"total": 100, "currency": "RMB"}])
def test_a_malformed_amount_is_400_naming_it(channel, amount):
    body, headers = wechat_delivery(wechat_notification(wechat_transaction(CUSTOMER, 100, amount=amount)), at=NOW)
    assert "resource.amount" in refused(channel, body, headers, status=400)


def test_a_payment_without_attach_has_no_customer_and_goes_to_unmatched(channel):
    event = delivered(channel, wechat_transaction(None, 100))
    assert event.customer_id is None and isinstance(event.fact, PaymentSucceeded)


@pytest.mark.parametrize("attach", ["not json", "[]", json.dumps({"customer_id": "ACME"}), ""])
def test_an_unusable_attach_leaves_the_payment_unmatched_rather_than_refused(channel, attach):
    event = delivered(channel, wechat_transaction(None, 100, attach=attach))
    assert event.customer_id is None and event.fact is not None


def test_a_transaction_that_did_not_succeed_is_acknowledged_without_a_fact(channel):
    assert delivered(channel, wechat_transaction(CUSTOMER, 100, trade_state="CLOSED")).fact is None


def test_a_refund_is_a_refund_of_the_transaction(channel):
    event = delivered(channel, wechat_refund(30_000, transaction_id="4200001"), event_type="REFUND.SUCCESS")
    assert event.fact == PaymentRefunded(refund_id="50000000382019052709732678859", payment_id="4200001",
                                         amount=30_000, currency="CNY",
                                         refunded_at=datetime(2027, 1, 3, 5, 29, 35, tzinfo=UTC))
    assert event.customer_id is None  # a refund notification carries no attach


def test_other_event_types_are_acknowledged_without_a_fact(channel):
    resource = {**wechat_refund(1, transaction_id="4200001"), "refund_status": "ABNORMAL"}
    event = delivered(channel, resource, event_type="REFUND.ABNORMAL")
    assert event.fact is None


# --- replies -------------------------------------------------------------------------------------------------------


def test_a_handled_notification_is_204_without_a_body(channel):
    reply = channel.acknowledge()
    assert (reply.status, reply.body) == (204, b"")


def test_a_refusal_is_answered_in_wechat_pays_words(channel):
    reply = channel.refuse(WeChatPayError(401, "bad signature"))
    assert reply.status == 401 and reply.mimetype == "application/json"
    assert json.loads(reply.body) == {"code": "FAIL", "message": "bad signature"}


def test_the_key_id_is_the_configured_one():
    assert load_settings(channel_env()).wechatpay.platform_public_key_id == WECHATPAY_KEY_ID
