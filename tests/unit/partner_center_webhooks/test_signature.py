from datetime import UTC, datetime, timedelta

import pytest

from lib.partner_center.sandbox.signing import SANDBOX_ORGANIZATION, new_identity
from lib.partner_center.webhook_signature import PartnerCenterSignatureError, PartnerCenterWebhookVerifier

IDENTITY = new_identity()
URL = "https://3psostorageacct.blob.core.windows.net/cert/pcnotifications-dispatch.microsoft.com.cer"
BODY = b'{"EventName": "azure-fraud-event-detected", "ResourceUri": "x"}'


def verifier(organization=SANDBOX_ORGANIZATION, clock=lambda: datetime.now(UTC)):
    fetched = []

    def fetch(url):
        fetched.append(url)
        return IDENTITY.certificate_der

    v = PartnerCenterWebhookVerifier(("3psostorageacct.blob.core.windows.net",), organization, fetch=fetch,
                                     clock=clock)
    return v, fetched


def headers(body=BODY, url=URL):
    return {"Authorization": f"Signature {IDENTITY.sign(body)}", "X-MS-Certificate-Url": url,
            "X-MS-Signature-Algorithm": "rsa-sha256"}


def test_a_genuine_delivery_verifies_and_the_certificate_is_fetched_once():
    v, fetched = verifier()
    v.verify(headers(), BODY)
    v.verify(headers(), BODY)
    assert fetched == [URL]


def test_a_changed_body_does_not_verify():
    v, _ = verifier()
    with pytest.raises(PartnerCenterSignatureError, match="does not match"):
        v.verify(headers(), BODY + b" ")


@pytest.mark.parametrize("url", [
    "https://evil.example.cn/cert/pc.cer",
    "http://3psostorageacct.blob.core.windows.net/cert/pc.cer",
    "https://3psostorageacct.blob.core.windows.net/cert/pc.cer?x=1",
    "https://3psostorageacct.blob.core.windows.net/cert/pc.pem",
])
def test_certificates_are_only_taken_from_the_partner_center_host_over_https(url):
    v, fetched = verifier()
    with pytest.raises(PartnerCenterSignatureError):
        v.verify(headers(url=url), BODY)
    assert fetched == []


def test_a_certificate_of_another_organisation_or_out_of_date_is_refused():
    with pytest.raises(PartnerCenterSignatureError, match="not issued to"):
        verifier(organization="Microsoft Corporation")[0].verify(headers(), BODY)
    later = verifier(clock=lambda: datetime.now(UTC) + timedelta(days=400))[0]
    with pytest.raises(PartnerCenterSignatureError, match="not valid now"):
        later.verify(headers(), BODY)
