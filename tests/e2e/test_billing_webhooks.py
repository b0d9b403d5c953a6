"""Signed billing webhooks posted over HTTP to the development host, recorded in Azurite."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from lib.store.tables import TableStore
from tests.fixtures.azurite import start_devhost
from tests.support.billing_events import (
    OLD_STANDARD_SECRET,
    STANDARD_SECRET,
    STRIPE_SECRET,
    canonical,
    invoice_issued,
    new_customer,
    payment_succeeded,
    standard_delivery,
    stripe_delivery,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def host(azurite):
    env = {
        "AzureWebJobsStorage": azurite.connection_string,
        "CSPGUARD_TABLE_PREFIX": f"w{uuid.uuid4().hex[:10]}",
        "SERVICE_REQUESTS_QUEUE": f"sr-{uuid.uuid4().hex[:10]}",
        "WEBHOOK_SECRET_STANDARD": f"{STANDARD_SECRET},{OLD_STANDARD_SECRET}",
        "WEBHOOK_SECRET_STRIPE": STRIPE_SECRET,
    }
    running = start_devhost(env, "--no-timers")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def tables(host, azurite):
    from lib.settings import StorageSettings

    store = TableStore.from_settings(StorageSettings(connection_string=azurite.connection_string),
                                     host.env["CSPGUARD_TABLE_PREFIX"])
    store.ensure_tables()
    return store


def post(host, provider, body, headers):
    return requests.post(f"{host.url}/api/webhooks/{provider}", data=body, headers=headers, timeout=30)


def ledger(tables, customer):
    return {r.row_key: r for r in tables.table("ledger").partition(customer)}


def operator_get(host, path):
    return requests.get(f"{host.url}/api/{path}", headers={"x-functions-key": host.function_key}, timeout=30)


def test_a_signed_invoice_is_recorded_and_shown_on_the_customer(host, tables):
    customer = new_customer()
    body, headers = standard_delivery(invoice_issued(customer, "INV-2026-11-0042", 1_250_000,
                                                     due_at=(datetime.now(UTC) - timedelta(days=45)).isoformat()))
    response = post(host, "standard", body, headers)
    assert response.status_code == 200
    assert response.json() == {"status": "recorded", "customer_id": customer}
    view = operator_get(host, f"customers/{customer}").json()
    assert view["balance"] == 1_250_000 and view["currency"] == "CNY"
    assert view["overdue"]["amount"] == 1_250_000 and view["aging"]["31-60"] == 1_250_000
    assert view["entries"][0]["id"] == "INV-2026-11-0042"


def test_a_redelivery_answers_duplicate_and_changes_nothing(host, tables):
    customer = new_customer()
    body, headers = standard_delivery(invoice_issued(customer, "INV-1", 10_000))
    assert post(host, "standard", body, headers).json()["status"] == "recorded"
    before = {k: r.etag for k, r in ledger(tables, customer).items()}
    assert post(host, "standard", body, headers).json()["status"] == "duplicate"
    assert {k: r.etag for k, r in ledger(tables, customer).items()} == before


def test_a_tampered_body_is_401_and_nothing_is_stored(host, tables):
    customer = new_customer()
    body, headers = standard_delivery(invoice_issued(customer, "INV-1", 10_000))
    response = post(host, "standard", body.replace(b"10000", b"1"), headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert ledger(tables, customer) == {}


def test_a_replayed_delivery_outside_the_window_is_401(host, tables):
    customer = new_customer()
    body, headers = standard_delivery(invoice_issued(customer, "INV-1", 10_000),
                                      at=datetime.now(UTC) - timedelta(minutes=10))
    assert post(host, "standard", body, headers).status_code == 401
    assert ledger(tables, customer) == {}


def test_a_missing_signature_is_401(host):
    body, headers = standard_delivery(invoice_issued(new_customer(), "INV-1", 10_000))
    del headers["webhook-signature"]
    assert post(host, "standard", body, headers).status_code == 401


def test_the_old_secret_still_verifies_during_a_rotation(host):
    body, headers = standard_delivery(invoice_issued(new_customer(), "INV-1", 10_000), secret=OLD_STANDARD_SECRET)
    assert post(host, "standard", body, headers).json()["status"] == "recorded"


@pytest.mark.parametrize(("data_change", "field"), [
    ({"customer_id": None}, "data.customer_id"),
    ({"amount": 12.5}, "data.amount"),
    ({"amount": "100"}, "data.amount"),
    ({"amount": -1}, "data.amount"),
    ({"currency": "XYZ"}, "data.currency"),
    ({"due_at": "2026-11-30T23:59:59"}, "data.due_at"),
])
def test_a_bad_body_is_400_naming_the_field_and_stores_nothing(host, tables, data_change, field):
    customer = new_customer()
    event = invoice_issued(customer, "INV-1", 10_000)
    event["data"].update(data_change)
    event["data"] = {k: v for k, v in event["data"].items() if v is not None}
    body, headers = standard_delivery(event)
    response = post(host, "standard", body, headers)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert ledger(tables, customer) == {}


def test_a_body_that_is_not_json_is_400(host):
    body, headers = standard_delivery(b"{not json")
    response = post(host, "standard", body, headers)
    assert response.status_code == 400


def test_an_unknown_provider_is_404(host):
    body, headers = standard_delivery(invoice_issued(new_customer(), "INV-1", 10_000))
    assert post(host, "paypal", body, headers).status_code == 404


def test_a_body_over_256_kib_is_413(host):
    event = canonical("invoice.issued", customer_id=new_customer(), padding="x" * (300 * 1024))
    body, headers = standard_delivery(event)
    assert post(host, "standard", body, headers).status_code == 413


def test_twenty_concurrent_deliveries_over_http_are_recorded_once_each(host, tables):
    customer = new_customer()
    events = [invoice_issued(customer, "INV-1", 1_000_000)]
    events += [payment_succeeded(customer, f"PAY-{i}", 1_000) for i in range(19)]
    deliveries = [standard_delivery(e) for e in events]

    def send(delivery):
        return post(host, "standard", *delivery).json()["status"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(send, deliveries + deliveries))
    assert statuses.count("recorded") == 20 and statuses.count("duplicate") == 20
    assert ledger(tables, customer)["summary"].integer("balance") == 1_000_000 - 19_000


def test_a_stripe_invoice_and_its_payment_are_recorded(host, tables):
    customer = new_customer()
    invoice = {"id": "in_1", "object": "invoice", "amount_due": 880_000, "amount_paid": 880_000, "currency": "cny",
               "created": 1_761_955_200, "due_date": 1_764_518_399, "charge": "ch_1",
               "metadata": {"pc_customer_id": customer}}
    finalized = {"id": "evt_1", "object": "event", "type": "invoice.finalized", "created": 1_761_955_200,
                 "data": {"object": invoice}}
    paid = {**finalized, "id": "evt_2", "type": "invoice.paid", "created": 1_762_000_000}
    assert post(host, "stripe", *stripe_delivery(finalized)).json()["status"] == "recorded"
    assert post(host, "stripe", *stripe_delivery(paid)).json()["status"] == "recorded"
    assert ledger(tables, customer)["summary"].integer("balance") == 0


def test_a_stripe_event_without_customer_mapping_waits_in_unmatched_until_assigned(host, tables):
    customer = new_customer()
    invoice = {"id": "in_orphan", "object": "invoice", "amount_due": 5_000, "currency": "cny",
               "created": 1_761_955_200, "due_date": 1_764_518_399, "metadata": {}}
    event_id = f"evt_{uuid.uuid4().hex[:8]}"
    event = {"id": event_id, "object": "event", "type": "invoice.finalized", "created": 1_761_955_200,
             "data": {"object": invoice}}
    delivery = stripe_delivery(event)
    assert post(host, "stripe", *delivery).json()["status"] == "unmatched"
    listed = operator_get(host, "unmatched").json()["items"]
    assert event_id in {item["event_id"] for item in listed}
    assigned = requests.post(f"{host.url}/api/unmatched/stripe/{event_id}/assign",
                             headers={"x-functions-key": host.function_key},
                             data=json.dumps({"customer_id": customer}), timeout=30)
    assert assigned.status_code == 200 and assigned.json()["status"] == "recorded"
    assert ledger(tables, customer)["summary"].integer("balance") == 5_000
    again = requests.post(f"{host.url}/api/unmatched/stripe/{event_id}/assign",
                          headers={"x-functions-key": host.function_key},
                          data=json.dumps({"customer_id": new_customer()}), timeout=30)
    assert again.status_code == 409
    assert again.json()["assigned_to"] == customer
    redelivered = post(host, "stripe", *delivery)
    assert redelivered.json() == {"status": "duplicate", "customer_id": customer}
    assert event_id not in {item["event_id"] for item in operator_get(host, "unmatched").json()["items"]}
    assert ledger(tables, customer)["summary"].integer("balance") == 5_000


def test_a_captured_stripe_delivery_behind_a_fresh_second_timestamp_is_401(host, tables):
    customer = new_customer()
    invoice = {"id": "in_replay", "object": "invoice", "amount_due": 5_000, "currency": "cny",
               "created": 1_761_955_200, "due_date": 1_764_518_399, "metadata": {"pc_customer_id": customer}}
    event = {"id": f"evt_{uuid.uuid4().hex[:8]}", "object": "event", "type": "invoice.finalized",
             "created": 1_761_955_200, "data": {"object": invoice}}
    old = datetime.now(UTC) - timedelta(days=30)
    body, headers = stripe_delivery(event, at=old)
    old_t, old_sig = headers["Stripe-Signature"].split(",")
    now_t = f"t={int(datetime.now(UTC).timestamp())}"
    headers["Stripe-Signature"] = f"{old_sig}, {now_t},{old_t}"
    response = post(host, "stripe", body, headers)
    assert response.status_code == 401
    assert ledger(tables, customer) == {}


@pytest.mark.parametrize("channel", ["wechatpay", "alipay"])
def test_a_channel_whose_settings_are_absent_is_an_unknown_provider(host, channel):
    response = post(host, channel, b"x=1", {"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 404
    assert response.json()["type"].endswith("/unknown-provider")


def test_operator_routes_need_the_function_key(host):
    assert requests.get(f"{host.url}/api/customers/{new_customer()}", timeout=10).status_code == 401
    assert operator_get(host, f"customers/{new_customer()}").status_code == 404
    assert operator_get(host, "customers/not-a-guid").status_code == 400
