"""The client reads billing profiles from the sandbox over HTTP, with Partner Center's errors."""

import uuid

import pytest

from lib.partner_center.errors import NotFoundError
from tests.fixtures.sandbox import sandbox_calls, seed

pytestmark = pytest.mark.integration


def test_a_seeded_billing_profile_is_read_back_through_the_documented_path(pc_sandbox, pc_client):
    cid = str(uuid.uuid4())
    seed(pc_sandbox, [{"id": cid, "companyName": "Contoso", "billingProfile": {
        "email": "ap@contoso.cn", "culture": "en-US", "language": "en", "firstName": "Grace", "lastName": "Chen"}}])
    profile = pc_client.get_billing_profile(cid)
    assert (profile.email, profile.culture, profile.first_name, profile.company_name) == (
        "ap@contoso.cn", "en-US", "Grace", "Contoso")
    assert [c["path"] for c in sandbox_calls(pc_sandbox, method="GET")] == [f"/v1/customers/{cid}/profiles/billing"]


def test_an_unknown_customer_has_no_billing_profile(pc_sandbox, pc_client):
    with pytest.raises(NotFoundError):
        pc_client.get_billing_profile(str(uuid.uuid4()))


def test_a_seed_with_a_billing_profile_that_is_not_an_object_is_refused(pc_sandbox):
    import requests

    reply = requests.post(f"{pc_sandbox.url}/_sandbox/customers", timeout=10,
                          json={"customers": [{"id": "x", "billingProfile": "ap@contoso.cn"}]})
    assert reply.status_code == 400 and "billingProfile" in reply.text
