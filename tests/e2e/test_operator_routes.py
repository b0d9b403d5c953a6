"""Operators' routes over HTTP on the development host, with the Partner Center sandbox behind it."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.fixtures.azurite import start_devhost
from tests.fixtures.sandbox import sandbox_calls
from tests.support.billing_events import invoice_issued, payment_succeeded, standard_delivery
from tests.support.suspension_world import pc_status, seeded_customer

pytestmark = pytest.mark.e2e


@pytest.fixture
def host(app_env):
    running = start_devhost(dict(app_env), "--no-timers", "--no-queues")
    yield running
    running.stop()


def call(host, method, path, body=None, **headers):
    return requests.request(method, f"{host.url}/api/{path}", timeout=30,
                            headers={"x-functions-key": host.function_key, **headers},
                            data=None if body is None else json.dumps(body))


def test_suspend_and_restore_a_customer_over_http(host, pc_sandbox):
    customer, subs = seeded_customer(pc_sandbox, ("active", "active"))
    response = call(host, "POST", f"customers/{customer}/suspend", {"reason": "manual", "note": "called in"},
                    **{"x-cspguard-actor": "alice"})
    assert response.status_code == 202
    action = response.json()
    assert action["action_id"] and action["status"] == "confirmed" and action["actor"] == "key:alice"
    assert [pc_status(pc_sandbox, customer, s) for s in subs] == ["suspended", "suspended"]
    view = call(host, "GET", f"customers/{customer}").json()
    assert {s["subscription_id"]: s["reasons"] for s in view["subscriptions"]} == {s: ["manual"] for s in subs}
    assert view["recent_actions"][0]["action_id"] == action["action_id"]
    restored = call(host, "POST", f"customers/{customer}/restore", {"reason": "manual"})
    assert restored.status_code == 202
    assert [pc_status(pc_sandbox, customer, s) for s in subs] == ["active", "active"]


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"reason": "late"}, 400, "reason"),
    ({}, 400, "reason"),
    ({"reason": "manual", "subscription_ids": []}, 400, "subscription_ids"),
    ({"reason": "manual", "subscription_ids": ["no-such-sub"]}, 404, "subscription_ids"),
])
def test_a_bad_suspend_request_is_refused_and_records_nothing(host, pc_sandbox, body, status, field):
    customer, _ = seeded_customer(pc_sandbox)
    response = call(host, "POST", f"customers/{customer}/suspend", body)
    assert response.status_code == status
    assert response.json()["field"] == field
    assert sandbox_calls(pc_sandbox, method="PATCH") == []
    assert call(host, "GET", f"customers/{customer}").status_code == 404  # nothing recorded about it


def test_an_empty_body_or_malformed_id_is_400_and_an_unknown_customer_404(host, pc_sandbox):
    customer, _ = seeded_customer(pc_sandbox)
    assert call(host, "POST", f"customers/{customer}/suspend").status_code == 400
    assert call(host, "POST", "customers/not-a-tenant/suspend", {"reason": "manual"}).status_code == 400
    unknown = call(host, "POST", "customers/00000000-0000-0000-0000-000000000001/suspend", {"reason": "manual"})
    assert unknown.status_code == 404


def test_a_payment_webhook_restores_access_within_its_own_request(host, pc_sandbox):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    due = (datetime.now(UTC) - timedelta(days=45)).isoformat()
    requests.post(f"{host.url}/api/webhooks/standard", timeout=30,
                  **_signed(invoice_issued(customer, "INV-9", 2_000_000, due_at=due)))
    # No suspension without notice: a scan 20 days ago sent the final notice naming the date, 7+ days ahead.
    assert call(host, "POST", f"scan?as_of={(datetime.now(UTC) - timedelta(days=20)).date()}").status_code == 200
    scan = call(host, "POST", "scan")
    assert scan.status_code == 200 and scan.json()["suspended"] == 1
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended"
    paid = requests.post(f"{host.url}/api/webhooks/standard", timeout=30,
                         **_signed(payment_succeeded(customer, "PAY-9", 2_000_000, invoice_id="INV-9",
                                                     paid_at=datetime.now(UTC).isoformat())))
    assert paid.json()["status"] == "recorded"
    assert pc_status(pc_sandbox, customer, subs[0]) == "active"  # before the webhook's answer arrived


def test_holds_are_set_shown_and_ended(host, pc_sandbox):
    customer, _ = seeded_customer(pc_sandbox, ("active",))
    requests.post(f"{host.url}/api/webhooks/standard", timeout=30,
                  **_signed(invoice_issued(customer, "INV-1", 500_000)))
    until = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    put = call(host, "PUT", f"customers/{customer}/hold", {"kind": "promise_to_pay", "until": until, "note": "CFO"})
    assert put.status_code == 200
    assert call(host, "GET", f"customers/{customer}").json()["hold"]["until"] == until
    assert call(host, "PUT", f"customers/{customer}/hold", {"kind": "forever", "until": until}).status_code == 400
    assert call(host, "DELETE", f"customers/{customer}/hold").status_code == 200
    assert call(host, "GET", f"customers/{customer}").json()["hold"] is None


def test_preview_policy_and_aging_reports(host, pc_sandbox):
    customer, _ = seeded_customer(pc_sandbox, ("active",))
    due = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    requests.post(f"{host.url}/api/webhooks/standard", timeout=30,
                  **_signed(invoice_issued(customer, "INV-1", 500_000, due_at=due)))
    preview = call(host, "GET", "scan/preview").json()
    assert [c["to_stage"] for c in preview["changes"] if c["customer_id"] == customer] == ["suspension"]
    assert sandbox_calls(pc_sandbox, method="PATCH") == []
    aging = call(host, "GET", "reports/aging").json()
    assert aging["currencies"]["CNY"]["buckets"]["31-60"] == 500_000
    csv_text = call(host, "GET", "reports/aging?format=csv").text
    assert csv_text.splitlines()[0].startswith("currency,stage,current,1-30")
    assert call(host, "GET", "scan/preview?as_of=yesterday").status_code == 400
    policy = call(host, "GET", "policy").json()
    assert policy["timezone"] == "Asia/Shanghai"
    assert "暂停" in call(host, "GET", "policy?format=md&lang=zh-CN").text


def test_with_easy_auth_on_the_operator_role_is_required_and_named_in_the_audit(app_env, pc_sandbox):
    import base64

    running = start_devhost({**app_env, "WEBSITE_AUTH_ENABLED": "true"}, "--no-timers", "--no-queues")
    try:
        customer, _ = seeded_customer(pc_sandbox, ("active",))

        def principal(roles):
            claims = [{"typ": "name", "val": "alice@partner.cn"}, *({"typ": "roles", "val": r} for r in roles)]
            raw = json.dumps({"auth_typ": "aad", "name_typ": "name", "role_typ": "roles", "claims": claims})
            return base64.b64encode(raw.encode()).decode()

        body = {"reason": "manual"}
        assert call(running, "POST", f"customers/{customer}/suspend", body).status_code == 401
        forbidden = call(running, "POST", f"customers/{customer}/suspend", body,
                         **{"X-MS-CLIENT-PRINCIPAL": principal(["Reader"])})
        assert forbidden.status_code == 403
        allowed = call(running, "POST", f"customers/{customer}/suspend", body,
                       **{"X-MS-CLIENT-PRINCIPAL": principal(["CspGuard.Operator"])})
        assert allowed.status_code == 202 and allowed.json()["actor"] == "alice@partner.cn"
    finally:
        running.stop()


def _signed(body):
    raw, headers = standard_delivery(body)
    return {"data": raw, "headers": headers}


def test_an_operators_non_payment_suspension_is_lifted_when_the_customer_pays(host, pc_sandbox):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    requests.post(f"{host.url}/api/webhooks/standard", timeout=30,
                  **_signed(invoice_issued(customer, "INV-5", 300_000)))
    assert call(host, "POST", f"customers/{customer}/suspend", {"reason": "non_payment"}).status_code == 202
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended"
    requests.post(f"{host.url}/api/webhooks/standard", timeout=30,
                  **_signed(payment_succeeded(customer, "PAY-5", 300_000, invoice_id="INV-5",
                                              paid_at=datetime.now(UTC).isoformat())))
    assert pc_status(pc_sandbox, customer, subs[0]) == "active"
