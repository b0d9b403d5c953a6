"""The Partner Center webhook verifier: both documented signature headers, the certificate URL's cheap checks before
any fetch, the chain to a trust anchor, the issuer's and subject's organisation (partner-center-webhooks)."""

import base64
import contextlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.partner_center.sandbox.signing import SANDBOX_ORGANIZATION, new_identity, self_signed_identity
from lib.partner_center.webhook_certificates import WebhookCertificates
from lib.partner_center.webhook_signature import PartnerCenterSignatureError, PartnerCenterWebhookVerifier

IDENTITY = new_identity()
ROGUE = self_signed_identity()
HOST = "3psostorageacct.blob.core.windows.net"
URL = f"https://{HOST}/cert/pcnotifications-dispatch.microsoft.com.cer"
BODY = b'{"EventName": "azure-fraud-event-detected", "ResourceUri": "x"}'
DOCUMENTED = json.loads((Path(__file__).parents[2] / "fixtures/partner_center/webhook_delivery.json").read_text())


def ca_of(identity):
    return x509.load_pem_x509_certificates(identity.ca_pem)


def verifier(organization=SANDBOX_ORGANIZATION, clock=lambda: datetime.now(UTC), served=IDENTITY,
             roots=lambda: ca_of(IDENTITY), hosts=(HOST,), local_ca=None):
    fetched = []

    def fetch(url):
        fetched.append(url)
        return served.certificate_der

    certificates = WebhookCertificates(hosts, organization, fetch=fetch, roots=roots, local_ca_pem=local_ca)
    return PartnerCenterWebhookVerifier(certificates, clock=clock), fetched


def headers(body=BODY, url=URL, signer=IDENTITY, where="Authorization"):
    return {where: f"Signature {signer.sign(body)}", "X-MS-Certificate-Url": url,
            "X-MS-Signature-Algorithm": "rsa-sha256"}


def test_a_genuine_delivery_verifies_and_the_certificate_is_fetched_once():
    v, fetched = verifier()
    v.verify(headers(), BODY)
    v.verify(headers(), BODY)
    assert fetched == [URL]


def test_the_signature_may_come_in_x_ms_signature_as_registered_with_signature_token_to_ms_signature_header():
    v, _ = verifier()
    v.verify(headers(where="x-ms-signature"), BODY)
    bare = {**headers(where="x-ms-signature"), "x-ms-signature": IDENTITY.sign(BODY)}
    v.verify(bare, BODY)
    # Authorization used for something else (a gateway's bearer token) does not hide x-ms-signature
    v.verify({**headers(where="x-ms-signature"), "Authorization": "Bearer abc"}, BODY)


def test_a_changed_body_does_not_verify_in_either_header_mode():
    v, _ = verifier()
    for where in ("Authorization", "x-ms-signature"):
        with pytest.raises(PartnerCenterSignatureError, match="does not match"):
            v.verify(headers(where=where), BODY + b" ")


def test_no_signature_or_the_wrong_algorithm_is_refused_before_any_fetch():
    v, fetched = verifier()
    with pytest.raises(PartnerCenterSignatureError, match="no signature"):
        v.verify({**headers(), "Authorization": "Bearer abc"}, BODY)
    with pytest.raises(PartnerCenterSignatureError, match="rsa-sha256"):
        v.verify({**headers(), "X-MS-Signature-Algorithm": "rsa-sha1"}, BODY)
    with pytest.raises(PartnerCenterSignatureError, match="base64"):
        v.verify({**headers(), "Authorization": "Signature not*base64"}, BODY)
    assert fetched == []


@pytest.mark.parametrize("url", [
    "https://evil.example.cn/cert/pc.cer",
    f"http://{HOST}/cert/pc.cer",
    f"https://{HOST}:8443/cert/pc.cer",
    f"https://{HOST}:99999/cert/pc.cer",
    f"https://{HOST}:abc/cert/pc.cer",
    "https://[::1/cert/pc.cer",
    "https://[::1]/cert/pc.cer",
    "https://[fe80::1%25eth0]/cert/pc.cer",
    f"https://user@{HOST}/cert/pc.cer",
    f"https://{HOST}/cert/pc.cer?x=1",
    f"https://{HOST}/cert/pc.pem",
    f"https://{HOST}/cert/pc .cer",
    "",
])
def test_certificates_are_only_taken_from_an_allowed_host_over_https_on_443(url):
    v, fetched = verifier()
    with pytest.raises(PartnerCenterSignatureError):
        v.verify(headers(url=url), BODY)
    assert fetched == []


def test_port_443_written_out_is_the_same_place():
    v, fetched = verifier()
    v.verify(headers(url=f"https://{HOST}:443/cert/pc.cer"), BODY)
    assert fetched == [f"https://{HOST}:443/cert/pc.cer"]


@settings(deadline=None)  # the property, not the speed, is under test
@given(st.text(max_size=80))
def test_any_certificate_url_text_is_refused_or_accepted_never_an_error_of_ours(text):
    certificates = WebhookCertificates((HOST,), SANDBOX_ORGANIZATION, fetch=lambda url: b"", roots=lambda: [])
    with contextlib.suppress(PartnerCenterSignatureError):
        assert certificates.check_url(text) == text


def test_a_self_signed_certificate_with_the_right_names_is_refused_by_the_chain_check():
    v, _ = verifier(served=ROGUE)
    with pytest.raises(PartnerCenterSignatureError, match="chain does not verify"):
        v.verify(headers(signer=ROGUE), BODY)


def test_a_leaf_of_a_ca_not_in_the_trust_store_is_refused():
    v, _ = verifier(roots=lambda: ca_of(new_identity()))
    with pytest.raises(PartnerCenterSignatureError, match="chain does not verify"):
        v.verify(headers(), BODY)


def test_the_local_ca_is_trusted_only_where_it_is_given_and_opens_only_loopback_hosts():
    sandbox = "127.0.0.1:7081"
    url = f"http://{sandbox}/_sandbox/cert/sandbox.cer"
    v, _ = verifier(roots=lambda: [], hosts=(sandbox,), local_ca=IDENTITY.ca_pem)
    v.verify(headers(url=url), BODY)
    without_ca, _ = verifier(roots=lambda: [], hosts=(sandbox,))
    with pytest.raises(PartnerCenterSignatureError, match=r"https on port 443|not an allowed"):
        without_ca.verify(headers(url=url), BODY)
    elsewhere, fetched = verifier(roots=lambda: [], hosts=("cert.example.cn:8080",), local_ca=IDENTITY.ca_pem)
    with pytest.raises(PartnerCenterSignatureError):
        elsewhere.verify(headers(url="http://cert.example.cn:8080/c.cer"), BODY)
    assert fetched == []


def test_issuer_and_subject_must_both_be_of_the_organisation_and_the_certificate_in_date():
    with pytest.raises(PartnerCenterSignatureError, match="not issued by O=Microsoft Corporation"):
        verifier(organization="Microsoft Corporation")[0].verify(headers(), BODY)
    later = verifier(clock=lambda: datetime.now(UTC) + timedelta(days=400))[0]
    with pytest.raises(PartnerCenterSignatureError, match="not valid now"):
        later.verify(headers(), BODY)


def test_a_subject_of_another_organisation_issued_by_the_right_one_is_refused():
    now = datetime.now(UTC)
    ca_cert = ca_of(IDENTITY)[0]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Someone Else Ltd")]))
             .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(1)
             .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
             .sign(key, hashes.SHA256()))

    class Served:
        certificate_der = other.public_bytes(serialization.Encoding.DER)

    with pytest.raises(PartnerCenterSignatureError, match="subject is not"):
        verifier(served=Served)[0].verify(headers(), BODY)


def test_the_documented_sample_delivery_passes_the_cheap_checks_with_the_default_host():
    sample = DOCUMENTED["sample"]["headers"]
    certificates = WebhookCertificates((HOST,), "Microsoft Corporation", fetch=lambda url: b"", roots=lambda: [])
    assert certificates.check_url(sample["X-MS-Certificate-Url"]) == sample["X-MS-Certificate-Url"]
    from lib.partner_center.webhook_signature import signature_from_headers

    assert signature_from_headers(sample) == base64.b64decode(sample["Authorization"].split(" ", 1)[1])
