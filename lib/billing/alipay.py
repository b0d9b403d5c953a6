"""Alipay asynchronous notifications (`POST /api/webhooks/alipay`, form-encoded).

Verified with `cryptography` (RSA PKCS#1 v1.5 over SHA-256, i.e. Alipay's RSA2), not an Alipay SDK: the
maintained `python-alipay-sdk` wants our app's private key to be built and pulls in pycryptodomex, a second RSA
library beside the `cryptography` that Partner Center and WeChat Pay already need, while checking a notification
is one public-key verification over a string the SDKs build the same way: every parameter except `sign` and
`sign_type`, URL-decoded, empty ones left out (as Alipay's Java SDK does in getSignCheckContentV1), sorted by
name, `k=v` joined by `&`, encoded in the notification's `charset`.

Alipay signs no delivery time, so there is no replay window: a replayed notification is a duplicate of one we
recorded (its payment id is `trade_no`) and changes nothing. Alipay retries (about 25 hours) until the body is
exactly `success`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import parse_qsl, unquote_plus, urlencode
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from lib.billing.channel import ChannelRefusal, PaymentChannel, WebhookReply, attach_of
from lib.billing.provider import SignatureError, verified_by_any
from lib.domain.event_fields import EventValidationError, amount_field, id_field
from lib.domain.events import BillingEvent, Fact, PaymentRefunded, PaymentSucceeded
from lib.domain.money import MoneyError, yuan_to_fen
from lib.settings import AlipaySettings

PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")
_BEIJING = ZoneInfo("Asia/Shanghai")  # Alipay's `yyyy-MM-dd HH:mm:ss` times are Beijing time, without offset


class AlipayError(ChannelRefusal):
    """An Alipay notification we refuse; answered `failure`."""


def signed_content(params: Mapping[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type") and v != "")


def _form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("ascii")
        charset = dict(parse_qsl(text, encoding="latin-1")).get("charset") or "utf-8"
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, encoding=charset, errors="strict")
    except (UnicodeDecodeError, LookupError, ValueError):
        raise EventValidationError("body", "is not a form-encoded Alipay notification") from None
    params = dict(pairs)
    if len(params) != len(pairs):
        raise EventValidationError("body", "repeats a parameter")
    return params


def _beijing_time(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=_BEIJING).astimezone(UTC)
    except ValueError:
        raise EventValidationError(field, f"is not yyyy-MM-dd HH:mm:ss: {value!r}") from None


def _fen(params: Mapping[str, str], field: str) -> int:
    try:
        return amount_field(yuan_to_fen(params.get(field)), field)
    except MoneyError as exc:
        raise EventValidationError(field, str(exc)) from None


class AlipayChannel(PaymentChannel):
    name = "alipay"
    refusal = AlipayError

    def __init__(self, settings: AlipaySettings, tolerance_seconds: int) -> None:
        super().__init__(tolerance_seconds)  # never applied: Alipay signs no delivery time (see the module's doc)
        key = load_pem_public_key(settings.public_key.encode("ascii"))
        if not isinstance(key, RSAPublicKey):  # lib.settings refuses any other key; this is a second guard
            raise TypeError("ALIPAY_PUBLIC_KEY is not an RSA public key")
        self._key = key
        self._app_id = settings.app_id

    def _verify_signature(self, headers: Mapping[str, str], body: bytes) -> None:
        try:
            params = _form(body)
        except EventValidationError as exc:
            raise SignatureError(str(exc)) from None
        if params.get("sign_type", "RSA2") != "RSA2":
            raise SignatureError(f"sign_type {params['sign_type']!r} is not RSA2")
        try:
            signature = base64.b64decode(params.get("sign", ""), validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("sign is not base64") from None
        if not signature:
            raise SignatureError("missing sign")
        content = signed_content(params).encode(params.get("charset") or "utf-8")

        def verifies(key: RSAPublicKey) -> bool:
            try:
                key.verify(signature, content, PKCS1v15(), SHA256())
            except InvalidSignature:
                return False
            return True

        if not verified_by_any([self._key], verifies):
            raise SignatureError("sign does not verify with ALIPAY_PUBLIC_KEY")
        return None

    def _parse(self, headers: Mapping[str, str], body: bytes) -> BillingEvent:
        params = _form(body)
        if params.get("app_id") != self._app_id:
            raise AlipayError(400, f"app_id {params.get('app_id')!r} is not ALIPAY_APP_ID")
        event_id = id_field(params.get("notify_id"), "notify_id")
        status = params.get("trade_status", "")
        occurred_at = _beijing_time(params.get("notify_time"), "notify_time") or datetime.now(UTC)
        # passback_params is URL-encoded once more by the merchant before Alipay form-encodes the notification.
        customer_id, invoice_id = attach_of(unquote_plus(params.get("passback_params", "")))
        facts: list[Fact] = []
        trade_no = params.get("trade_no")
        if status in PAID:
            facts.append(PaymentSucceeded(
                payment_id=id_field(trade_no, "trade_no"), amount=_fen(params, "total_amount"), currency="CNY",
                paid_at=_beijing_time(params.get("gmt_payment"), "gmt_payment") or occurred_at,
                invoice_id=invoice_id))
        if status in (*PAID, "TRADE_CLOSED") and params.get("refund_fee"):
            # refund_fee is the trade's refunded total so far: keyed by the trade, each later one replaces it.
            facts.append(PaymentRefunded(
                refund_id=id_field(trade_no, "trade_no"), payment_id=id_field(trade_no, "trade_no"),
                amount=_fen(params, "refund_fee"), currency="CNY",
                refunded_at=_beijing_time(params.get("gmt_refund"), "gmt_refund") or occurred_at))
        return BillingEvent(self.name, event_id, status or "unknown", occurred_at, customer_id,
                            facts[0] if facts else None, tuple(facts[1:]))

    def acknowledge(self) -> WebhookReply:
        return WebhookReply(200, b"success", "text/plain")

    def refuse(self, refusal: ChannelRefusal) -> WebhookReply:
        return WebhookReply(refusal.status, b"failure", "text/plain")


@lru_cache(maxsize=4)
def alipay_channel(settings: AlipaySettings, tolerance_seconds: int) -> AlipayChannel:
    """One per configuration: the key is parsed once, not per notification."""
    return AlipayChannel(settings, tolerance_seconds)


# --- the sender's side, for tests and the benchmark ------------------------------------------------------------


def generate_notification(params: Mapping[str, str], private_key: RSAPrivateKey) -> bytes:
    """A form-encoded notification signed as Alipay signs it (like stripe's generate_signature_header)."""
    unsigned = {**params, "sign_type": "RSA2", "charset": params.get("charset", "utf-8")}
    content = signed_content(unsigned).encode(unsigned["charset"])
    sign = base64.b64encode(private_key.sign(content, PKCS1v15(), SHA256())).decode("ascii")
    return urlencode({**unsigned, "sign": sign}, encoding=unsigned["charset"]).encode("ascii")


def passback(customer_id: str, invoice_id: str | None = None) -> str:
    """`passback_params` as a merchant sets it when creating the trade: URL-encoded JSON."""
    data = {"customer_id": customer_id, **({"invoice_id": invoice_id} if invoice_id else {})}
    return urlencode({"": json.dumps(data, separators=(",", ":"))})[1:]
