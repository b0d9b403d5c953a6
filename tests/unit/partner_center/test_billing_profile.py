"""The billing profile as Partner Center documents it, read into the model notices use."""

import json
from pathlib import Path

from lib.partner_center.models import BillingProfile
from lib.partner_center.sandbox.seed import demo_customers
from lib.partner_center.sandbox.state import SandboxState

FIXTURE = Path(__file__).parents[2] / "fixtures" / "partner_center" / "billing_profile.json"


def test_the_documented_billing_profile_is_read_into_email_culture_and_names():
    profile = BillingProfile.from_json(json.loads(FIXTURE.read_text(encoding="utf-8"))["sample"])
    assert profile.email == "ap@contoso-sh.partner.onmschina.cn"
    assert (profile.culture, profile.language) == ("en-US", "en")
    assert (profile.first_name, profile.last_name, profile.company_name) == ("Grace", "Chen", "Contoso Shanghai Ltd.")
    assert profile.raw["defaultAddress"]["city"] == "Shanghai"


def test_a_profile_without_email_reads_as_empty_rather_than_failing():
    assert BillingProfile.from_json({"firstName": "王", "email": None}).email == ""


def test_the_sandbox_serves_profiles_with_the_documented_keys():
    state = SandboxState()
    state.add_customers({"customers": [{"id": "C1", "companyName": "上海云帆科技有限公司",
                                        "billingProfile": {"email": "caiwu@yunfan.cn", "culture": "zh-CN",
                                                           "firstName": "伟", "lastName": "王"}}]})
    documented = set(json.loads(FIXTURE.read_text(encoding="utf-8"))["sample"])
    served = state.billing_profiles["c1"]
    assert set(served) == documented
    assert served["email"] == "caiwu@yunfan.cn" and served["language"] == "zh-Hans"


def test_the_demo_customers_have_profiles_in_chinese_and_in_english():
    cultures = [c["billingProfile"]["culture"] for c in demo_customers()["customers"]]
    assert len(cultures) == 12 and all(c["billingProfile"]["email"] for c in demo_customers()["customers"])
    assert cultures.count("zh-CN") >= 6 and sum(c.startswith("en") for c in cultures) >= 3
