"""Verifies Partner Center's webhook deliveries the way Partner Center specifies.

A delivery carries `Authorization: Signature <base64>`, `X-MS-Signature-Algorithm: rsa-sha256` and
`X-MS-Certificate-Url`. The certificate is fetched only from the configured Partner Center certificate host(s), over
https (http only for a loopback sandbox), checked for validity dates and its organisation, cached, and its public
key must verify the RSA-SHA256 signature over the exact body bytes.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from lib.http_basics import header, is_loopback_host

CACHE_SECONDS = 3600
MAX_CERT_BYTES = 64 * 1024


class PartnerCenterSignatureError(Exception):
    """The delivery is not provably from Partner Center (401)."""


def fetch_certificate(url: str) -> bytes:
    response = requests.get(url, timeout=10, allow_redirects=False, stream=True)
    if response.status_code != 200:
        raise PartnerCenterSignatureError(f"certificate download answered {response.status_code}")
    data = response.raw.read(MAX_CERT_BYTES + 1, decode_content=True)
    if len(data) > MAX_CERT_BYTES:
        raise PartnerCenterSignatureError("certificate download is too large")
    return bytes(data)


class PartnerCenterWebhookVerifier:
    def __init__(self, allowed_hosts: tuple[str, ...], organization: str, *,
                 fetch: Callable[[str], bytes] = fetch_certificate,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._hosts = {h.lower() for h in allowed_hosts}
        self._organization = organization
        self._fetch = fetch
        self._clock = clock
        self._cache: dict[str, tuple[x509.Certificate, float]] = {}
        self._lock = threading.Lock()

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        algorithm = (header(headers, "x-ms-signature-algorithm") or "").lower()
        if algorithm != "rsa-sha256":
            raise PartnerCenterSignatureError("X-MS-Signature-Algorithm must be rsa-sha256")
        authorization = header(headers, "authorization") or ""
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "signature" or not encoded.strip():
            raise PartnerCenterSignatureError("Authorization must be 'Signature <base64>'")
        try:
            signature = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise PartnerCenterSignatureError("the signature is not base64") from None
        certificate = self._certificate(self._check_url(header(headers, "x-ms-certificate-url") or ""))
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise PartnerCenterSignatureError("the certificate does not hold an RSA key")
        try:
            key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise PartnerCenterSignatureError("the signature does not match the body") from None

    def _check_url(self, url: str) -> str:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        authority = f"{host}:{parts.port}" if parts.port else host
        if not url or (authority not in self._hosts and host not in self._hosts):
            raise PartnerCenterSignatureError(f"certificate URL host {host!r} is not an allowed Partner Center host")
        if parts.scheme != "https" and not (parts.scheme == "http" and is_loopback_host(host)):
            raise PartnerCenterSignatureError("the certificate URL must be https")
        if parts.username or parts.password or parts.query or parts.fragment or not parts.path.endswith(".cer"):
            raise PartnerCenterSignatureError("the certificate URL is not a plain .cer location")
        return url

    def _certificate(self, url: str) -> x509.Certificate:
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None and time.monotonic() - cached[1] < CACHE_SECONDS:
            certificate = cached[0]
        else:
            raw = self._fetch(url)
            try:
                certificate = (x509.load_pem_x509_certificate(raw) if raw.lstrip().startswith(b"-----BEGIN")
                               else x509.load_der_x509_certificate(raw))
            except ValueError:
                raise PartnerCenterSignatureError("the certificate could not be read") from None
            with self._lock:
                self._cache[url] = (certificate, time.monotonic())
        now = self._clock()
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise PartnerCenterSignatureError("the certificate is not valid now")
        organizations = [a.value for a in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
        if self._organization not in organizations:
            raise PartnerCenterSignatureError(f"the certificate is not issued to {self._organization!r}")
        return certificate
