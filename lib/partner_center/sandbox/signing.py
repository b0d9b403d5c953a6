"""The sandbox's webhook signing identities, made at start-up.

Partner Center signs its webhook deliveries with a certificate that chains to a public root ("digitally signed with
a certificate that chains to the Microsoft Root", partner-center-webhooks). The sandbox mints the same shape: a test
CA and a leaf it issues, both in the sandbox's organisation. csp-guard trusts that CA only where
PARTNER_CENTER_WEBHOOK_CA_BUNDLE names it, which settings refuse unless Partner Center is a loopback sandbox. A
second, self-signed identity with the same names lets tests show that a certificate outside any trusted chain is
refused."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SANDBOX_ORGANIZATION = "csp-guard sandbox"
LEAF_NAME = "pcnotifications-dispatch.sandbox.local"


@dataclass(frozen=True)
class SigningIdentity:
    key: rsa.RSAPrivateKey
    certificate_der: bytes
    ca_pem: bytes  # the CA that issued the certificate (the certificate itself when self-signed)

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self.key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, SANDBOX_ORGANIZATION)])


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _builder(subject: x509.Name, issuer: x509.Name, key: rsa.RSAPrivateKey, now: datetime) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365)))


def new_identity() -> SigningIdentity:
    """A test CA and a leaf it issued (with the extensions a real issuing chain has), and the leaf's key."""
    now = datetime.now(UTC)
    ca_key, key = _key(), _key()
    ca_name = _name("csp-guard sandbox test CA")
    ca = (_builder(ca_name, ca_name, ca_key, now)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (_builder(_name(LEAF_NAME), ca_name, key, now)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(LEAF_NAME)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return SigningIdentity(key, leaf.public_bytes(serialization.Encoding.DER),
                           ca.public_bytes(serialization.Encoding.PEM))


def self_signed_identity() -> SigningIdentity:
    """A certificate with the sandbox's names that no CA issued: what a forger could serve."""
    now = datetime.now(UTC)
    key = _key()
    certificate = _builder(_name(LEAF_NAME), _name(LEAF_NAME), key, now).sign(key, hashes.SHA256())
    return SigningIdentity(key, certificate.public_bytes(serialization.Encoding.DER),
                           certificate.public_bytes(serialization.Encoding.PEM))
