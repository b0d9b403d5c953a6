"""The sandbox's demo data: what `make run` and demos start from."""

from lib.partner_center.sandbox.seed import demo_customer_id, demo_customers
from lib.partner_center.sandbox.state import SandboxState


def test_the_demo_has_a_dozen_customers_with_chinese_company_names_and_two_to_five_subscriptions():
    customers = demo_customers()["customers"]
    assert len(customers) == 12
    assert all(c["companyName"].endswith("有限公司") for c in customers)
    assert {len(c["subscriptions"]) for c in customers} == {2, 3, 4, 5}


def test_the_demo_has_a_few_subscriptions_suspended_by_hand_and_one_crypto_mining_customer():
    customers = demo_customers()["customers"]
    suspended = [s for c in customers for s in c["subscriptions"] if s["status"] == "suspended"]
    assert 2 <= len(suspended) <= 4
    miners = [c for c in customers if c.get("fraudEvents")]
    assert len(miners) == 1 and miners[0]["fraudEvents"][0]["eventType"] == "NetworkConnectionsToCryptoMiningPools"
    azure = {s["id"] for s in miners[0]["subscriptions"] if s["offerName"] == "Azure plan"}
    assert miners[0]["fraudEvents"][0]["subscriptionId"] in azure


def test_the_demo_ids_are_stable_so_a_demo_book_can_refer_to_them():
    assert demo_customer_id(0) == demo_customers()["customers"][0]["id"] == demo_customer_id(0)
    assert demo_customers() == demo_customers()


def test_the_demo_loads_into_the_sandbox_state():
    state = SandboxState()
    state.reset()
    assert state.add_customers(demo_customers()) == 12
    assert len(state.customers) == 12 and len(state.fraud_events) == 1
