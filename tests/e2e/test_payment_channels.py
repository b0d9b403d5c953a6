"""WeChat Pay and Alipay notifications posted over HTTP to the development host, recorded in Azurite, with the
Partner Center sandbox behind it for restore on payment."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from lib.store.tables import TableStore
from tests.fixtures.azurite import start_devhost
from tests.support.billing_events import invoice_issued, new_customer, standard_delivery
from tests.support.notice_period import local_day, notice_days
from tests.support.payment_channels import (
    alipay_delivery,
    alipay_params,
    channel_env,
    wechat_delivery,
    wechat_notification,
    wechat_transaction,
)
from tests.support.suspension_world import pc_status, seeded_customer

pytestmark = pytest.mark.e2e


@pytest.fixture
def host(app_env):
    running = start_devhost({**app_env, **channel_env()}, "--no-timers", "--no-queues")
    yield running
    running.stop()


@pytest.fixture
def ledger(app_env):
    from lib.settings import StorageSettings

    store = TableStore.from_settings(StorageSettings(connection_string=app_env["AzureWebJobsStorage"]),
                                     app_env["CSPGUARD_TABLE_PREFIX"])
    store.ensure_tables()
    return lambda customer: {r.row_key: r for r in store.table("ledger").partition(customer)}


def post(host, channel, delivery):
    body, headers = delivery
    return requests.post(f"{host.url}/api/webhooks/{channel}", data=body, headers=headers, timeout=30)


def test_wechat_pay_notifications_are_answered_204_and_refusals_in_its_json(host, ledger):
    customer = new_customer()
    body = wechat_notification(wechat_transaction(customer, 88_050, transaction_id="4200000100"))
    first = post(host, "wechatpay", wechat_delivery(body))
    assert (first.status_code, first.content) == (204, b"")
    assert post(host, "wechatpay", wechat_delivery(body)).status_code == 204
    assert ledger(customer)["summary"].integer("balance") == -88_050

    stale = post(host, "wechatpay", wechat_delivery(body, at=datetime.now(UTC) - timedelta(minutes=10)))
    assert stale.status_code == 401 and stale.json()["code"] == "FAIL" and "old" in stale.json()["message"]
    stranger = new_customer()
    foreign = post(host, "wechatpay", wechat_delivery(wechat_notification(
        wechat_transaction(stranger, 100, mchid="1900000999"))))
    assert foreign.status_code == 400 and foreign.json()["code"] == "FAIL"
    assert ledger(stranger) == {}


def test_alipay_notifications_are_answered_success_or_failure_as_plain_text(host, ledger):
    customer = new_customer()
    delivery = alipay_delivery(alipay_params(customer, "880.50", trade_no="2026123122001000100"))
    first = post(host, "alipay", delivery)
    assert (first.status_code, first.text) == (200, "success")
    assert first.headers["content-type"].startswith("text/plain")
    assert post(host, "alipay", delivery).text == "success"
    assert ledger(customer)["summary"].integer("balance") == -88_050

    stranger = new_customer()
    refused = post(host, "alipay", alipay_delivery(alipay_params(stranger, "88.505")))
    assert refused.text == "failure" and refused.status_code == 400
    assert ledger(stranger) == {}


def test_a_debtor_suspended_for_non_payment_regains_access_when_paying_by_either_channel(host, pc_sandbox):
    due = (datetime.now(UTC) - timedelta(days=45)).isoformat()
    debtors = {}
    for channel in ("wechatpay", "alipay"):
        customer, subs = seeded_customer(pc_sandbox, ("active",))
        post(host, "standard", standard_delivery(invoice_issued(customer, "INV-1", 1_250_000, due_at=due)))
        debtors[channel] = (customer, subs)
    notice = requests.post(f"{host.url}/api/scan?as_of={local_day(-notice_days())}", timeout=60,
                           headers={"x-functions-key": host.function_key})
    assert notice.status_code == 200, notice.text
    scan = requests.post(f"{host.url}/api/scan", headers={"x-functions-key": host.function_key}, timeout=60)
    assert scan.status_code == 200, scan.text
    assert all(pc_status(pc_sandbox, c, s[0]) == "suspended" for c, s in debtors.values())

    customer, subs = debtors["wechatpay"]
    post(host, "wechatpay", wechat_delivery(wechat_notification(
        wechat_transaction(customer, 1_250_000, invoice_id="INV-1"))))
    assert pc_status(pc_sandbox, customer, subs[0]) == "active"

    customer, subs = debtors["alipay"]
    assert post(host, "alipay", alipay_delivery(alipay_params(customer, "12500.00", invoice_id="INV-1"))).text \
        == "success"
    assert pc_status(pc_sandbox, customer, subs[0]) == "active"


def test_the_notifications_reply_shapes_are_not_problem_json(host):
    reply = post(host, "wechatpay", (b"{}", {"Content-Type": "application/json"}))
    assert reply.status_code == 401 and json.loads(reply.content)["code"] == "FAIL"
