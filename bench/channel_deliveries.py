"""WeChat Pay and Alipay payment notifications for bench.webhooks, signed with keys made for the run."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from lib.billing.alipay import generate_notification, passback
from lib.billing.wechatpay import encrypt_resource, generate_signature_headers

MCHID = "1900000109"
APIV3_KEY = "bench-apiv3-key-32-bytes-exactly"
KEY_ID = "PUB_KEY_ID_BENCH"
APP_ID = "2021000000000001"
_WECHAT = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_ALIPAY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def channel_env() -> dict[str, str]:
    return {"WECHATPAY_MCHID": MCHID, "WECHATPAY_APIV3_KEY": APIV3_KEY, "WECHATPAY_PLATFORM_PUBLIC_KEY": _pem(_WECHAT),
            "WECHATPAY_PLATFORM_PUBLIC_KEY_ID": KEY_ID, "ALIPAY_APP_ID": APP_ID, "ALIPAY_PUBLIC_KEY": _pem(_ALIPAY)}


def wechat_deliveries(events: int, customers: list[str]) -> list[tuple[bytes, dict[str, str]]]:
    out = []
    for n in range(events):
        resource = {"mchid": MCHID, "transaction_id": f"4200{n:020d}", "trade_state": "SUCCESS",
                    "success_time": "2026-11-10T10:00:00+08:00",
                    "attach": json.dumps({"customer_id": customers[n % len(customers)]}),
                    "amount": {"total": 100 + n, "currency": "CNY"}}
        body = json.dumps({"id": f"EV-bench-{n}", "create_time": "2026-11-10T10:00:01+08:00",
                           "event_type": "TRANSACTION.SUCCESS", "resource_type": "encrypt-resource",
                           "resource": encrypt_resource(resource, APIV3_KEY)}).encode()
        out.append((body, generate_signature_headers(body, _WECHAT, KEY_ID,
                                                     timestamp=int(datetime.now(UTC).timestamp()))))
    return out


def alipay_deliveries(events: int, customers: list[str]) -> list[tuple[bytes, dict[str, str]]]:
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    return [(generate_notification({
        "notify_id": f"bench-{n}", "notify_time": "2026-11-10 10:00:05", "app_id": APP_ID,
        "trade_no": f"2026111022001{n:015d}", "trade_status": "TRADE_SUCCESS", "total_amount": f"{1 + n}.50",
        "gmt_payment": "2026-11-10 10:00:01", "passback_params": passback(customers[n % len(customers)]),
    }, _ALIPAY), headers) for n in range(events)]
