"""WeChat Pay and Alipay notifications built and signed the way the channels send them, with keys made here.

The keys are made once per test session (2048-bit RSA, like the channels' own), never read from anywhere.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from lib.billing.alipay import generate_notification, passback
from lib.billing.wechatpay import encrypt_resource, generate_signature_headers

WECHATPAY_MCHID = "1900000109"
WECHATPAY_APIV3_KEY = "csp-guard-test-apiv3-key-32bytes"  # 32 bytes, as the merchant portal requires
WECHATPAY_KEY_ID = "PUB_KEY_ID_0114232134912410000000000000"
ALIPAY_APP_ID = "2021000000000001"


@cache
def private_key(name: str) -> RSAPrivateKey:
    """The channel's signing key (`wechatpay`, `alipay`, or any other name for a stranger's key)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(name: str) -> str:
    return private_key(name).public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def channel_env() -> dict[str, str]:
    return {"WECHATPAY_MCHID": WECHATPAY_MCHID, "WECHATPAY_APIV3_KEY": WECHATPAY_APIV3_KEY,
            "WECHATPAY_PLATFORM_PUBLIC_KEY": public_pem("wechatpay"),
            "WECHATPAY_PLATFORM_PUBLIC_KEY_ID": WECHATPAY_KEY_ID,
            "ALIPAY_APP_ID": ALIPAY_APP_ID, "ALIPAY_PUBLIC_KEY": public_pem("alipay")}


def attach(customer_id: str | None, invoice_id: str | None = None) -> str | None:
    if customer_id is None:
        return None
    return json.dumps({"customer_id": customer_id, **({"invoice_id": invoice_id} if invoice_id else {})})


def wechat_transaction(customer_id: str | None, total: int, *, transaction_id: str | None = None,
                       invoice_id: str | None = None, trade_state: str = "SUCCESS", mchid: str = WECHATPAY_MCHID,
                       **changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "mchid": mchid, "appid": "wxd678efh567hg6787", "out_trade_no": f"CSP{uuid.uuid4().hex[:16]}",
        "transaction_id": transaction_id or f"42000{uuid.uuid4().int % 10**23:023d}", "trade_type": "NATIVE",
        "trade_state": trade_state, "trade_state_desc": "支付成功", "bank_type": "CMC",
        "success_time": "2026-12-31T10:00:00+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"},
    }
    if customer_id is not None:
        resource["attach"] = attach(customer_id, invoice_id)
    resource.update(changes)
    return resource


def wechat_refund(refund: int, *, transaction_id: str,
                  refund_id: str = "50000000382019052709732678859") -> dict[str, Any]:
    return {"mchid": WECHATPAY_MCHID, "out_trade_no": "CSP1217752501201407033233368018",
            "transaction_id": transaction_id, "out_refund_no": "R-1", "refund_id": refund_id,
            "refund_status": "SUCCESS", "success_time": "2027-01-03T13:29:35+08:00",
            "user_received_account": "招商银行信用卡0403",
            "amount": {"total": 999_999, "refund": refund, "payer_total": 999_999, "payer_refund": refund}}


def wechat_notification(resource: dict[str, Any], *, event_type: str = "TRANSACTION.SUCCESS",
                        apiv3_key: str = WECHATPAY_APIV3_KEY, notification_id: str | None = None) -> bytes:
    body = {"id": notification_id or f"EV-{uuid.uuid4().hex[:20]}", "create_time": "2026-12-31T10:00:05+08:00",
            "resource_type": "encrypt-resource", "event_type": event_type, "summary": "支付成功",
            "resource": encrypt_resource(resource, apiv3_key,
                                         associated_data="refund" if event_type.startswith("REFUND") else
                                         "transaction")}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def wechat_delivery(body: bytes, *, at: datetime | None = None, key: str = "wechatpay",
                    key_id: str = WECHATPAY_KEY_ID) -> tuple[bytes, dict[str, str]]:
    timestamp = int((at or datetime.now(UTC)).timestamp())
    return body, generate_signature_headers(body, private_key(key), key_id, timestamp=timestamp)


def alipay_params(customer_id: str | None, total_amount: str, *, trade_no: str | None = None,
                  trade_status: str = "TRADE_SUCCESS", invoice_id: str | None = None,
                  app_id: str = ALIPAY_APP_ID, **changes: str) -> dict[str, str]:
    params = {
        "notify_time": "2026-12-31 10:00:05", "notify_type": "trade_status_sync",
        "notify_id": f"ac05099524730693a8b330c5ecf72da{uuid.uuid4().hex[:8]}", "app_id": app_id,
        "version": "1.0", "trade_no": trade_no or f"2026123122001{uuid.uuid4().int % 10**15:015d}",
        "out_trade_no": f"CSP{uuid.uuid4().hex[:16]}", "buyer_id": "2088102122524333",
        "seller_id": "2088101106499364", "trade_status": trade_status, "total_amount": total_amount,
        "receipt_amount": total_amount, "subject": "Azure 订阅 12 月账单", "gmt_create": "2026-12-31 09:59:30",
        "gmt_payment": "2026-12-31 10:00:01",
    }
    if customer_id is not None:
        params["passback_params"] = passback(customer_id, invoice_id)
    params.update(changes)
    return params


def alipay_delivery(params: dict[str, str], *, key: str = "alipay") -> tuple[bytes, dict[str, str]]:
    return (generate_notification(params, private_key(key)),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
