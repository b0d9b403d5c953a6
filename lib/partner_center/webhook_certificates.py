"""The certificate a Partner Center webhook delivery names in `X-MS-Certificate-Url`: where it may come from, how it
is fetched and cached, and how it is trusted.

partner-center-webhooks documents the checks: "Download the certificate used to sign the content
(x-ms-certificate-url). Verify the Certificate Chain. Verify the 'Organization' of the certificate", and its C#
sample refuses a certificate whose chain does not verify (`certificate.Verify()`) or whose issuer does not contain
`O=Microsoft Corporation`. Deliveries are "signed with a certificate that chains to the Microsoft Root".

So, in this order (the cheap checks first, before anything is fetched):
1. the URL: https on port 443, a host of the allow-list, a plain path ending in .cer; anything malformed (a bad
   port, broken IPv6 text) is refused like any other bad URL, never an error of ours;
2. the download (cached per URL for an hour, bounded in size and count);
3. the chain, built from the download plus issuer certificates named by the Authority Information Access extension
   (fetched only from the issuer allow-list, cached per URL), to a root of the system trust store;
4. the organisation of the issuer and of the subject.

Production trusts the system store only. A local sandbox signs with its own test CA: `local_ca_pem` adds it, and
also lets a loopback certificate host be reached over http on its own port. Settings refuse that CA unless
PARTNER_CENTER_BASE_URL is a loopback address, so a deployed app can never be given it.
"""

from __future__ import annotations

import ssl
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError

from lib.http_basics import is_loopback_host

CACHE_SECONDS = 3600
CACHE_ENTRIES = 16  # one signing certificate and a few issuers in practice; a bound, not a working size
MAX_CERT_BYTES = 64 * 1024
MAX_ISSUER_FETCHES = 3


class PartnerCenterSignatureError(Exception):
    """The delivery is not provably from Partner Center (401)."""


def fetch_certificate(url: str) -> bytes:
    """GET of a certificate: no redirects, no ambient proxy, at most MAX_CERT_BYTES; any failure is a refusal."""
    try:
        with requests.Session() as session:
            session.trust_env = False
            response = session.get(url, timeout=10, allow_redirects=False, stream=True)
            if response.status_code != 200:
                raise PartnerCenterSignatureError(f"certificate download answered {response.status_code}")
            data = response.raw.read(MAX_CERT_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise PartnerCenterSignatureError(f"the certificate could not be fetched: {type(exc).__name__}") from None
    if len(data) > MAX_CERT_BYTES:
        raise PartnerCenterSignatureError("certificate download is too large")
    return bytes(data)


def read_certificates(raw: bytes) -> list[x509.Certificate]:
    """DER, PEM (one or more) or PKCS#7 (what AIA caIssuers URLs often serve)."""
    try:
        if raw.lstrip().startswith(b"-----BEGIN PKCS7"):
            return list(pkcs7.load_pem_pkcs7_certificates(raw))
        if raw.lstrip().startswith(b"-----BEGIN"):
            return list(x509.load_pem_x509_certificates(raw))
        try:
            return [x509.load_der_x509_certificate(raw)]
        except ValueError:
            return list(pkcs7.load_der_pkcs7_certificates(raw))
    except ValueError:
        raise PartnerCenterSignatureError("the certificate could not be read") from None


@lru_cache(maxsize=1)
def system_roots() -> tuple[x509.Certificate, ...]:
    """The system trust store (OpenSSL's default file, else its directory; SSL_CERT_FILE/SSL_CERT_DIR override
    both), read once per process. A host image without one falls back to certifi's bundle, which requests itself
    trusts, rather than refusing every delivery."""
    paths = ssl.get_default_verify_paths()
    roots: list[x509.Certificate] = []
    if paths.cafile and Path(paths.cafile).is_file():
        roots.extend(_trust_anchors(Path(paths.cafile)))
    elif paths.capath and Path(paths.capath).is_dir():
        for entry in sorted(Path(paths.capath).iterdir()):
            roots.extend(_trust_anchors(entry))
    if not roots:
        import certifi

        roots.extend(_trust_anchors(Path(certifi.where())))
    return tuple(roots)


def _trust_anchors(path: Path) -> list[x509.Certificate]:
    """Each certificate of a PEM file on its own: one a future cryptography refuses (some distribution roots have
    non-positive serial numbers, which it already warns about) must not take the whole store with it."""
    try:
        text = path.read_bytes()
    except OSError:
        return []
    anchors = []
    for block in text.split(b"-----END CERTIFICATE-----")[:-1]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                anchors.append(x509.load_pem_x509_certificate(block + b"-----END CERTIFICATE-----\n"))
        except ValueError:
            continue
    return anchors


def _organizations(name: x509.Name) -> list[str]:
    return [str(a.value) for a in name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]


class _Cache:
    """Bytes by URL for CACHE_SECONDS, at most CACHE_ENTRIES of them (oldest dropped first), thread-safe."""

    def __init__(self, fetch: Callable[[str], bytes]) -> None:
        self._fetch = fetch
        self._entries: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> bytes:
        with self._lock:
            cached = self._entries.get(url)
        if cached is not None and time.monotonic() - cached[1] < CACHE_SECONDS:
            return cached[0]
        raw = self._fetch(url)
        with self._lock:
            self._entries[url] = (raw, time.monotonic())
            while len(self._entries) > CACHE_ENTRIES:
                self._entries.pop(next(iter(self._entries)))
        return raw


class WebhookCertificates:
    def __init__(self, allowed_hosts: Sequence[str], organization: str, *,
                 issuer_hosts: Sequence[str] = ("www.microsoft.com", "cacerts.digicert.com"),
                 local_ca_pem: bytes | None = None, fetch: Callable[[str], bytes] = fetch_certificate,
                 roots: Callable[[], Sequence[x509.Certificate]] = system_roots) -> None:
        self._hosts = {h.strip().lower() for h in allowed_hosts if h.strip()}
        self._issuer_hosts = {h.strip().lower() for h in issuer_hosts if h.strip()}
        self._organization = organization
        self._local_ca = read_certificates(local_ca_pem) if local_ca_pem else []
        self._roots = roots
        self._cache = _Cache(fetch)

    # --- 1. the URL ---

    def check_url(self, url: str) -> str:
        parts = self._split(url)
        host = (parts.hostname or "").lower()
        port = parts.port  # read inside _split already; cannot raise here
        authority = f"{host}:{port}" if port else host
        local = bool(self._local_ca) and is_loopback_host(host) and (authority in self._hosts or host in self._hosts)
        if not local:
            if host not in self._hosts:
                raise PartnerCenterSignatureError(f"certificate URL host {host!r} is not an allowed Partner Center "
                                                  "certificate host")
            if parts.scheme != "https" or port not in (None, 443):
                raise PartnerCenterSignatureError("the certificate URL must be https on port 443")
        elif parts.scheme not in ("http", "https"):
            raise PartnerCenterSignatureError("the certificate URL must be http(s)")
        if parts.username or parts.password or parts.query or parts.fragment or not parts.path.endswith(".cer"):
            raise PartnerCenterSignatureError("the certificate URL is not a plain .cer location")
        return url

    @staticmethod
    def _split(url: str) -> SplitResult:
        if not url or not url.isascii() or any(c.isspace() for c in url):
            raise PartnerCenterSignatureError("the certificate URL is missing or malformed")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - urlsplit parses the port lazily; a bad one raises here
        except ValueError:
            raise PartnerCenterSignatureError("the certificate URL is malformed") from None
        return parts

    # --- 2 to 4 ---

    def trusted(self, url: str, now: datetime) -> x509.Certificate:
        """The signing certificate at `url` (already checked), once its chain and organisation are proven."""
        certificates = read_certificates(self._cache.get(url))
        if not certificates:
            raise PartnerCenterSignatureError("the certificate download holds no certificate")
        leaf, supplied = certificates[0], certificates[1:]
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            raise PartnerCenterSignatureError("the certificate is not valid now")
        if self._organization not in _organizations(leaf.issuer):
            raise PartnerCenterSignatureError(f"the certificate is not issued by O={self._organization}")
        if self._organization not in _organizations(leaf.subject):
            raise PartnerCenterSignatureError(f"the certificate's subject is not O={self._organization}")
        self._verify_chain(leaf, supplied, now)
        return leaf

    def _verify_chain(self, leaf: x509.Certificate, supplied: list[x509.Certificate], now: datetime) -> None:
        anchors = [*self._roots(), *self._local_ca]
        if not anchors:
            raise PartnerCenterSignatureError("no trust store to verify the certificate chain against")
        # The signing certificate is not a TLS client or server here, so no EKU or SAN is required of it; the CAs
        # above it must still be proper CAs (webpki defaults).
        verifier = (PolicyBuilder().store(Store(anchors)).time(now).max_chain_depth(6)
                    .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(),
                                        ee_policy=ExtensionPolicy.permit_all())
                    .build_client_verifier())
        intermediates = [*supplied, *self._issuers(leaf, supplied)]
        try:
            verifier.verify(leaf, intermediates)
        except VerificationError as exc:
            raise PartnerCenterSignatureError(f"the certificate chain does not verify: {exc}") from None

    def _issuers(self, leaf: x509.Certificate, supplied: list[x509.Certificate]) -> list[x509.Certificate]:
        """Issuer certificates the download did not include, from each certificate's AIA caIssuers URL (as
        Windows' chain engine does, which the documented C# sample relies on), allowed hosts only."""
        found: list[x509.Certificate] = []
        known = {c.subject for c in [*supplied, *self._roots(), *self._local_ca]}
        current = leaf
        for _ in range(MAX_ISSUER_FETCHES):
            if current.issuer in known or current.issuer == current.subject:
                break
            url = self._ca_issuers_url(current)
            if url is None:
                break
            issuers = [c for c in read_certificates(self._cache.get(url)) if c.subject == current.issuer]
            if not issuers:
                break
            found.append(issuers[0])
            known.add(issuers[0].subject)
            current = issuers[0]
        return found

    def _ca_issuers_url(self, certificate: x509.Certificate) -> str | None:
        try:
            access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        except x509.ExtensionNotFound:
            return None
        for description in access:
            if description.access_method != AuthorityInformationAccessOID.CA_ISSUERS:
                continue
            url = str(description.access_location.value)
            try:
                parts = urlsplit(url)
                port = parts.port
            except ValueError:
                continue
            # Issuer certificates are public and proven by the chain itself, so plain http (the usual AIA scheme)
            # is fine; the host allow-list keeps the fetch from going anywhere a delivery could choose.
            if parts.scheme in ("http", "https") and (parts.hostname or "").lower() in self._issuer_hosts \
                    and port in (None, 80, 443):
                return url
        return None
