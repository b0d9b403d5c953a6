"""WeChat Pay API v3 payment and refund notifications (`POST /api/webhooks/wechatpay`).

Verification and decryption use the `wechatpayv3` package's own helpers (`utils.rsa_verify`, `utils.aes_decrypt`),
the code its users run against WeChat Pay. Its `WeChatPay` class is not used: it wants the merchant's private key
and downloads platform certificates when built, neither of which receiving a notification needs, and its
callback reads no clock. So the timestamp's age (WEBHOOK_TOLERANCE_SECONDS) is checked here, by the channel base,
on the same `Wechatpay-Timestamp` text that the signature covers.

Facts from the pay.weixin.qq.com API v3 notification pages: headers `Wechatpay-Signature` (base64 RSA-SHA256 over
"{timestamp}\\n{nonce}\\n{body}\\n"), `Wechatpay-Timestamp`, `Wechatpay-Nonce`, `Wechatpay-Serial` (the platform key's
id, `PUB_KEY_ID_...`), `Wechatpay-Signature-Type: WECHATPAY2-SHA256-RSA2048`; the body's `resource` is
AEAD_AES_256_GCM with the APIv3 key; WeChat Pay retries for about 24 hours until it gets a 2xx.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from wechatpayv3.utils import aes_decrypt, rsa_verify

from lib.billing.channel import ChannelRefusal, PaymentChannel, WebhookReply, attach_of
from lib.billing.provider import SignatureError, event_type_field, json_object, unix_time, verified_by_any
from lib.domain.event_fields import EventValidationError, amount_field, currency_field, id_field, timestamp_field
from lib.domain.events import BillingEvent, Fact, PaymentRefunded, PaymentSucceeded
from lib.http_basics import header
from lib.settings import WeChatPaySettings

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
ALGORITHM = "AEAD_AES_256_GCM"


class WeChatPayError(ChannelRefusal):
    """A WeChat Pay notification we refuse; answered `{"code": "FAIL", "message": ...}` with its status."""


def _section(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise EventValidationError(path, "must be a JSON object")
    return value


class WeChatPayChannel(PaymentChannel):
    name = "wechatpay"
    refusal = WeChatPayError

    def __init__(self, settings: WeChatPaySettings, tolerance_seconds: int) -> None:
        super().__init__(tolerance_seconds)
        key = load_pem_public_key(settings.platform_public_key.encode("ascii"))
        if not isinstance(key, RSAPublicKey):  # lib.settings refuses any other key; this is a second guard
            raise TypeError("WECHATPAY_PLATFORM_PUBLIC_KEY is not an RSA public key")
        self._keys = {settings.platform_public_key_id: key}
        self._apiv3_key = settings.apiv3_key
        self._mchid = settings.mchid

    def _verify_signature(self, headers: Mapping[str, str], body: bytes) -> datetime:
        values = {}
        for name in ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial"):
            values[name] = header(headers, name)
            if not values[name]:
                raise SignatureError(f"missing {name} header")
        signature_type = header(headers, "Wechatpay-Signature-Type")
        if signature_type and signature_type != SIGNATURE_TYPE:
            raise SignatureError(f"Wechatpay-Signature-Type {signature_type!r} is not {SIGNATURE_TYPE}")
        timestamp = str(values["Wechatpay-Timestamp"])
        signed_at = unix_time(timestamp, "Wechatpay-Timestamp")
        key = self._keys.get(str(values["Wechatpay-Serial"]))
        if key is None:
            raise SignatureError("Wechatpay-Serial is not the configured WECHATPAY_PLATFORM_PUBLIC_KEY_ID")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise SignatureError("body is not UTF-8, so it cannot carry a valid signature") from None
        nonce, signature = str(values["Wechatpay-Nonce"]), str(values["Wechatpay-Signature"])
        if not verified_by_any([key], lambda k: bool(rsa_verify(timestamp, nonce, text, signature, k))):
            raise SignatureError("Wechatpay-Signature does not verify with the platform public key")
        return signed_at

    def _parse(self, headers: Mapping[str, str], body: bytes) -> BillingEvent:
        notification = json_object(body)
        event_id = id_field(notification.get("id"), "id")
        event_type = event_type_field(notification.get("event_type"), "event_type")
        occurred_at = timestamp_field(notification.get("create_time"), "create_time")
        resource = self._decrypt(_section(notification.get("resource"), "resource"))
        if resource.get("mchid") != self._mchid:
            raise WeChatPayError(400, f"resource.mchid {resource.get('mchid')!r} is not WECHATPAY_MCHID")
        customer_id, invoice_id = attach_of(resource.get("attach"))
        fact: Fact | None = None
        if event_type == "TRANSACTION.SUCCESS" and resource.get("trade_state") == "SUCCESS":
            amount = _section(resource.get("amount"), "resource.amount")
            fact = PaymentSucceeded(
                payment_id=id_field(resource.get("transaction_id"), "resource.transaction_id"),
                amount=amount_field(amount.get("total"), "resource.amount.total"),
                currency=currency_field(amount.get("currency", "CNY"), "resource.amount.currency"),
                paid_at=timestamp_field(resource.get("success_time"), "resource.success_time"),
                invoice_id=invoice_id,
            )
        elif event_type == "REFUND.SUCCESS" and resource.get("refund_status", "SUCCESS") == "SUCCESS":
            # A refund notification carries no `attach`: it arrives unmatched unless an operator assigns it.
            amount = _section(resource.get("amount"), "resource.amount")
            fact = PaymentRefunded(
                refund_id=id_field(resource.get("refund_id"), "resource.refund_id"),
                payment_id=id_field(resource.get("transaction_id"), "resource.transaction_id"),
                amount=amount_field(amount.get("refund"), "resource.amount.refund"),
                currency=currency_field(amount.get("currency", "CNY"), "resource.amount.currency"),
                refunded_at=timestamp_field(resource.get("success_time"), "resource.success_time"),
            )
        return BillingEvent(self.name, event_id, event_type, occurred_at, customer_id, fact)

    def _decrypt(self, resource: Mapping[str, object]) -> Mapping[str, object]:
        if resource.get("algorithm") != ALGORITHM:
            raise WeChatPayError(400, f"resource.algorithm {resource.get('algorithm')!r} is not {ALGORITHM}")
        nonce, ciphertext = resource.get("nonce"), resource.get("ciphertext")
        associated = resource.get("associated_data") or ""
        if not (isinstance(nonce, str) and isinstance(ciphertext, str) and isinstance(associated, str)):
            raise WeChatPayError(400, "resource needs string nonce, ciphertext and associated_data")
        try:
            plain = aes_decrypt(nonce, ciphertext, associated, self._apiv3_key)
            decrypted = json.loads(plain) if plain is not None else None
        except ValueError:  # bad base64, a nonce AES-GCM cannot take, text that is not UTF-8 or JSON
            decrypted = None
        if not isinstance(decrypted, dict):
            raise WeChatPayError(400, "resource does not decrypt with WECHATPAY_APIV3_KEY")
        return decrypted

    def acknowledge(self) -> WebhookReply:
        return WebhookReply(204)

    def refuse(self, refusal: ChannelRefusal) -> WebhookReply:
        return WebhookReply.json(refusal.status, {"code": "FAIL", "message": str(refusal)})


@lru_cache(maxsize=4)
def wechatpay_channel(settings: WeChatPaySettings, tolerance_seconds: int) -> WeChatPayChannel:
    """One per configuration: the key is parsed once, not per notification."""
    return WeChatPayChannel(settings, tolerance_seconds)


# --- the sender's side, for tests and the benchmark ------------------------------------------------------------


def encrypt_resource(resource: Mapping[str, object], apiv3_key: str, *, nonce: str = "fGhs8Kcd2Dan",
                     associated_data: str = "transaction") -> dict[str, str]:
    """`resource` as WeChat Pay sends it: AEAD_AES_256_GCM with the APIv3 key."""
    sealed = AESGCM(apiv3_key.encode("utf-8")).encrypt(
        nonce.encode("utf-8"), json.dumps(resource, ensure_ascii=False).encode("utf-8"),
        associated_data.encode("utf-8"))
    return {"algorithm": ALGORITHM, "ciphertext": base64.b64encode(sealed).decode("ascii"),
            "associated_data": associated_data, "original_type": associated_data, "nonce": nonce}


def generate_signature_headers(body: bytes, private_key: RSAPrivateKey, key_id: str, *, timestamp: int,
                               nonce: str = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS") -> dict[str, str]:
    """The headers WeChat Pay signs a notification with (like stripe's generate_signature_header)."""
    message = f"{timestamp}\n{nonce}\n{body.decode('utf-8')}\n".encode()
    signature = base64.b64encode(private_key.sign(message, PKCS1v15(), SHA256())).decode("ascii")
    return {"Wechatpay-Signature": signature, "Wechatpay-Timestamp": str(timestamp), "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": key_id, "Wechatpay-Signature-Type": SIGNATURE_TYPE,
            "Content-Type": "application/json"}
