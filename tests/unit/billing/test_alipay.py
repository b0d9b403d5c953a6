"""Alipay asynchronous notifications: RSA2 verification, app id, exact yuan → fen, replies (keys made by tests)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from lib.billing.alipay import AlipayChannel, AlipayError, generate_notification, signed_content
from lib.domain.events import PaymentRefunded, PaymentSucceeded
from lib.settings import load_settings
from tests.support.payment_channels import alipay_delivery, alipay_params, channel_env, private_key

NOW = datetime(2026, 12, 31, 2, 0, 10, tzinfo=UTC)
CUSTOMER = "0f9b3a4e-8c1d-4b2a-9e7f-1a2b3c4d5e6f"


@pytest.fixture(scope="module")
def channel() -> AlipayChannel:
    settings = load_settings(channel_env())
    assert settings.alipay is not None
    return AlipayChannel(settings.alipay, tolerance_seconds=300)


def delivered(channel, params):
    body, headers = alipay_delivery(params)
    channel.verify(headers, body, NOW)
    return channel.parse(headers, body)


def verify_and_parse(channel, headers, body):
    channel.verify(headers, body, NOW)
    return channel.parse(headers, body)


def refused(channel, body, *, status):
    with pytest.raises(AlipayError) as raised:
        verify_and_parse(channel, {}, body)
    assert raised.value.status == status
    return str(raised.value)


@pytest.mark.parametrize("status", ["TRADE_SUCCESS", "TRADE_FINISHED"])
def test_a_paid_trade_is_a_payment_of_its_total_in_fen(channel, status):
    event = delivered(channel, alipay_params(CUSTOMER, "8805.10", trade_no="2026123122001", trade_status=status,
                                             invoice_id="INV-7"))
    assert event.customer_id == CUSTOMER and event.type == status
    assert event.fact == PaymentSucceeded(payment_id="2026123122001", amount=880_510, currency="CNY",
                                          paid_at=datetime(2026, 12, 31, 2, 0, 1, tzinfo=UTC), invoice_id="INV-7")


@pytest.mark.parametrize("status", ["WAIT_BUYER_PAY", "TRADE_CLOSED"])
def test_other_statuses_are_acknowledged_and_ignored(channel, status):
    assert delivered(channel, alipay_params(CUSTOMER, "1.00", trade_status=status)).facts == ()


def test_a_refund_on_a_paid_trade_records_the_refunded_total(channel):
    event = delivered(channel, alipay_params(CUSTOMER, "100.00", trade_no="T1", refund_fee="30.50",
                                             gmt_refund="2027-01-02 09:00:00"))
    assert event.facts[1] == PaymentRefunded(refund_id="T1", payment_id="T1", amount=3050, currency="CNY",
                                             refunded_at=datetime(2027, 1, 2, 1, 0, tzinfo=UTC))


def test_no_passback_params_means_no_customer(channel):
    assert delivered(channel, alipay_params(None, "1.00")).customer_id is None


def test_a_tampered_amount_is_401(channel):
    body, _ = alipay_delivery(alipay_params(CUSTOMER, "1.00"))
    refused(channel, body.replace(b"total_amount=1.00", b"total_amount=9.00"), status=401)


def test_a_signature_by_another_key_is_401(channel):
    body, _ = alipay_delivery(alipay_params(CUSTOMER, "1.00"), key="stranger")
    assert "ALIPAY_PUBLIC_KEY" in refused(channel, body, status=401)


@pytest.mark.parametrize("change", [{"sign": ""}, {"sign": "not base64!"}, {"sign_type": "RSA"}])
def test_a_missing_garbled_or_rsa1_signature_is_401(channel, change):
    body, _ = alipay_delivery(alipay_params(CUSTOMER, "1.00"))
    params = dict(pair.split("=", 1) for pair in body.decode().split("&"))
    params.update({k: urlencode({"": v})[1:] for k, v in change.items()})
    refused(channel, "&".join(f"{k}={v}" for k, v in params.items()).encode(), status=401)


def test_a_body_that_is_not_a_form_is_401(channel):
    refused(channel, b"{\"json\": true}" + "中".encode(), status=401)


def test_a_notification_for_another_app_is_400(channel):
    body, _ = alipay_delivery(alipay_params(CUSTOMER, "1.00", app_id="2021009999999999"))
    assert "ALIPAY_APP_ID" in refused(channel, body, status=400)


@pytest.mark.parametrize("amount", ["1.001", "-1.00", "1e2", "abc", "1,000.00", ""])
def test_a_malformed_amount_is_400_naming_it(channel, amount):
    body, _ = alipay_delivery(alipay_params(CUSTOMER, amount))
    assert "total_amount" in refused(channel, body, status=400)


def test_a_gbk_notification_verifies_over_its_gbk_bytes(channel):
    params = alipay_params(CUSTOMER, "12.34", charset="gbk")
    event = delivered(channel, params)
    assert event.fact.amount == 1234


def test_the_signed_content_leaves_out_sign_sign_type_and_empty_values_and_sorts_by_name():
    assert signed_content({"b": "2", "a": "1", "sign": "x", "sign_type": "RSA2", "c": ""}) == "a=1&b=2"


def test_the_signer_signs_the_url_decoded_values():
    body = generate_notification({"subject": "月费 & more", "app_id": "1"}, private_key("alipay"))
    assert b"subject=%E6%9C%88%E8%B4%B9+%26+more" in body


def test_replies_are_success_and_failure_as_plain_text(channel):
    assert (channel.acknowledge().body, channel.acknowledge().mimetype) == (b"success", "text/plain")
    reply = channel.refuse(AlipayError(400, "bad"))
    assert (reply.status, reply.body, reply.mimetype) == (400, b"failure", "text/plain")
