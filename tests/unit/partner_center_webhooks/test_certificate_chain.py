"""A chain the download does not carry whole: the issuer comes from the leaf's Authority Information Access, as the
Windows chain engine behind the documented C# sample (`certificate.Verify()`) fetches it, from allowed hosts only."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from lib.partner_center.webhook_certificates import WebhookCertificates
from lib.partner_center.webhook_signature import PartnerCenterSignatureError, PartnerCenterWebhookVerifier

NOW = datetime.now(UTC)
HOST = "3psostorageacct.blob.core.windows.net"
URL = f"https://{HOST}/cert/pcnotifications-dispatch.microsoft.com.cer"
ORG = "Microsoft Corporation"


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG)])


def _ca(subject, issuer, key, signer, path_length):
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - timedelta(days=1))
            .not_valid_after(NOW + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
            .sign(signer, hashes.SHA256()))


def world(aia_url):
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]
    root = _ca(_name("Test Root"), _name("Test Root"), keys[0], keys[0], None)
    intermediate = _ca(_name("Test Issuing CA"), root.subject, keys[1], keys[0], 0)
    leaf = (x509.CertificateBuilder().subject_name(_name("pcnotifications-dispatch.microsoft.com"))
            .issuer_name(intermediate.subject).public_key(keys[2].public_key()).serial_number(7)
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
            .add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(aia_url))]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(keys[1].public_key()), critical=False)
            .sign(keys[1], hashes.SHA256()))
    served = {URL: leaf.public_bytes(serialization.Encoding.DER),
              aia_url: intermediate.public_bytes(serialization.Encoding.DER)}
    return root, served, keys[2]


def deliver(aia_url):
    root, served, key = world(aia_url)
    fetched = []

    def fetch(url):
        fetched.append(url)
        return served[url]

    verifier = PartnerCenterWebhookVerifier(WebhookCertificates((HOST,), ORG, fetch=fetch, roots=lambda: [root]))
    import base64

    signature = base64.b64encode(key.sign(b"{}", padding.PKCS1v15(), hashes.SHA256())).decode()
    verifier.verify({"Authorization": f"Signature {signature}", "X-MS-Certificate-Url": URL,
                     "X-MS-Signature-Algorithm": "rsa-sha256"}, b"{}")
    return fetched


def test_the_issuer_named_by_aia_on_an_allowed_host_completes_the_chain():
    aia = "http://www.microsoft.com/pkiops/certs/Test%20Issuing%20CA.crt"
    assert deliver(aia) == [URL, aia]


def test_an_issuer_elsewhere_is_not_fetched_and_the_chain_fails():
    with pytest.raises(PartnerCenterSignatureError, match="chain does not verify"):
        deliver("http://169.254.169.254/latest/issuer.crt")


def test_the_system_trust_store_is_read_certificate_by_certificate(tmp_path, monkeypatch):
    from lib.partner_center.sandbox.signing import new_identity
    from lib.partner_center.webhook_certificates import system_roots

    ca_pem = new_identity().ca_pem
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(ca_pem + b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    roots = system_roots.__wrapped__()
    assert [r.subject for r in roots] == [x509.load_pem_x509_certificate(ca_pem).subject]  # the bad one skipped
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "none"))
    assert len(system_roots.__wrapped__()) > 50  # no system store: certifi's bundle, as requests uses
