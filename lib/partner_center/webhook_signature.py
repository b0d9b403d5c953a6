"""Verifies Partner Center's webhook deliveries the way Partner Center specifies (partner-center-webhooks).

A delivery carries the base64 RSA-SHA256 signature of its exact body either in `Authorization: Signature <base64>`
(the default) or, when the registration set `SignatureTokenToMsSignatureHeader` to true, in `x-ms-signature`
("the signature token will be sent in the x-ms-signature header instead"; the documented C# sample reads that
header as `Signature <base64>`, so the scheme word is accepted there too). Either way it also carries
`X-MS-Signature-Algorithm: rsa-sha256` and `X-MS-Certificate-Url`. The header checks and the URL check come before
any outbound fetch; the certificate itself is handled by webhook_certificates.py (allow-listed host, chain to the
system trust store, issuer and subject organisation).
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lib.http_basics import header
from lib.partner_center.webhook_certificates import PartnerCenterSignatureError, WebhookCertificates

__all__ = ["PartnerCenterSignatureError", "PartnerCenterWebhookVerifier", "signature_from_headers"]
log = logging.getLogger("csp_guard.partner_center.webhooks")


def signature_from_headers(headers: Mapping[str, str]) -> bytes:
    """The signature bytes, from `Authorization: Signature <b64>` or else from `x-ms-signature`."""
    scheme, _, encoded = (header(headers, "authorization") or "").strip().partition(" ")
    if scheme.lower() != "signature":
        ms_signature = (header(headers, "x-ms-signature") or "").strip()
        scheme, _, rest = ms_signature.partition(" ")
        encoded = rest if scheme.lower() == "signature" else ms_signature
        if not encoded:
            raise PartnerCenterSignatureError("no signature: Authorization must be 'Signature <base64>', or "
                                              "x-ms-signature must carry it")
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise PartnerCenterSignatureError("the signature is not base64") from None


class PartnerCenterWebhookVerifier:
    def __init__(self, certificates: WebhookCertificates, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._certificates = certificates  # one per process: it caches what it fetched
        self._clock = clock

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        try:
            self._verify(headers, body)
        except PartnerCenterSignatureError as exc:
            # The reason is what an operator needs to confirm the certificate host (docs/operations.md).
            log.warning("Partner Center webhook refused: %s", exc)
            raise

    def _verify(self, headers: Mapping[str, str], body: bytes) -> None:
        algorithm = (header(headers, "x-ms-signature-algorithm") or "").strip().lower()
        if algorithm != "rsa-sha256":
            raise PartnerCenterSignatureError("X-MS-Signature-Algorithm must be rsa-sha256")
        signature = signature_from_headers(headers)
        url = self._certificates.check_url(header(headers, "x-ms-certificate-url") or "")
        certificate = self._certificates.trusted(url, self._clock())
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise PartnerCenterSignatureError("the certificate does not hold an RSA key")
        try:
            key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise PartnerCenterSignatureError("the signature does not match the body") from None
