"""WeChat Pay and Alipay notifications into Table Storage (Azurite): recorded once, refused without a trace, and a
debtor suspended for non-payment who pays through either channel regains access within the request."""

import json
from datetime import UTC, datetime

import pytest

from lib.app_context import get_context, reset_context
from lib.billing.registry import UnknownProviderError
from lib.domain.events import parse_canonical
from lib.services.delinquency_scan import as_of_date
from lib.services.receive_webhook import receive_delivery
from tests.support.billing_events import invoice_issued, new_customer
from tests.support.notice_period import notice_day
from tests.support.payment_channels import (
    alipay_delivery,
    alipay_params,
    channel_env,
    wechat_delivery,
    wechat_notification,
    wechat_refund,
    wechat_transaction,
)
from tests.support.suspension_world import pc_status, seeded_customer

pytestmark = pytest.mark.integration


@pytest.fixture
def channels(app_env, monkeypatch):
    for name, value in channel_env().items():
        monkeypatch.setenv(name, value)
    reset_context()
    return get_context()


def post(channel, delivery, now=None):
    body, headers = delivery
    context = get_context()
    return receive_delivery(channel, headers, body, settings=context.settings, ingestion=context.ingestion(),
                            now=now or datetime.now(UTC))


def rows(context, customer):
    return {r.row_key: r for r in context.tables.table("ledger").partition(customer)}


def unmatched(context, provider):
    return {r.row_key for r in context.tables.table("unmatched").partition(provider)}


def test_a_wechat_payment_is_recorded_once_however_often_it_is_delivered(channels):
    customer = new_customer()
    body = wechat_notification(wechat_transaction(customer, 88_050, transaction_id="4200000001"))
    first = post("wechatpay", wechat_delivery(body))
    assert (first.status, first.body) == (204, b"")
    before = {k: r.etag for k, r in rows(channels, customer).items()}
    again = post("wechatpay", wechat_delivery(body))
    assert (again.status, again.body) == (204, b"")
    assert {k: r.etag for k, r in rows(channels, customer).items()} == before
    assert rows(channels, customer)["pay:4200000001"].integer("amount") == 88_050
    # a second notification (another id) about the same transaction does not pay twice either
    post("wechatpay", wechat_delivery(wechat_notification(wechat_transaction(customer, 88_050,
                                                                             transaction_id="4200000001"))))
    assert channels.ledger.load(customer, fresh=True).summary.balance == -88_050


def test_a_wechat_refund_without_attach_waits_in_unmatched_and_is_assigned_to_the_payer(channels):
    customer = new_customer()
    post("wechatpay", wechat_delivery(wechat_notification(wechat_transaction(customer, 50_000,
                                                                             transaction_id="4200000002"))))
    body = wechat_notification(wechat_refund(20_000, transaction_id="4200000002", refund_id="5000000002"),
                               event_type="REFUND.SUCCESS", notification_id="EV-refund-0002")
    assert post("wechatpay", wechat_delivery(body)).status == 204
    assert "EV-refund-0002" in unmatched(channels, "wechatpay")
    channels.unmatched_assignment().assign("wechatpay", "EV-refund-0002", customer_id=customer, actor="ops")
    assert channels.ledger.load(customer, fresh=True).summary.balance == -30_000


def test_an_alipay_payment_answers_success_and_a_duplicate_changes_nothing(channels):
    customer = new_customer()
    delivery = alipay_delivery(alipay_params(customer, "12500.00", trade_no="2026123122001000001"))
    first = post("alipay", delivery)
    assert (first.status, first.body, first.mimetype) == (200, b"success", "text/plain")
    before = {k: r.etag for k, r in rows(channels, customer).items()}
    assert post("alipay", delivery).body == b"success"
    assert {k: r.etag for k, r in rows(channels, customer).items()} == before
    assert rows(channels, customer)["pay:2026123122001000001"].integer("amount") == 1_250_000


def test_an_alipay_payment_without_passback_params_is_kept_for_an_operator(channels):
    params = alipay_params(None, "10.00")
    assert post("alipay", alipay_delivery(params)).body == b"success"
    assert params["notify_id"] in unmatched(channels, "alipay")


@pytest.mark.parametrize(("channel", "make"), [
    ("wechatpay", lambda c: wechat_delivery(wechat_notification(wechat_transaction(c, 100)), key="stranger")),
    ("wechatpay", lambda c: wechat_delivery(wechat_notification(wechat_transaction(c, 100)),
                                            at=datetime(2026, 1, 1, tzinfo=UTC))),
    ("wechatpay", lambda c: wechat_delivery(wechat_notification(wechat_transaction(c, 100, mchid="1900000999")))),
    ("wechatpay", lambda c: wechat_delivery(wechat_notification(wechat_transaction(c, 100),
                                                                apiv3_key="x" * 32))),
    ("wechatpay", lambda c: wechat_delivery(wechat_notification(wechat_transaction(
        c, 100, amount={"total": 1.5, "currency": "CNY"})))),
    ("alipay", lambda c: alipay_delivery(alipay_params(c, "1.00"), key="stranger")),
    ("alipay", lambda c: alipay_delivery(alipay_params(c, "1.00", app_id="2021009999999999"))),
    ("alipay", lambda c: alipay_delivery(alipay_params(c, "1.005"))),
])
def test_bad_input_is_refused_in_the_channels_words_and_nothing_is_stored(channels, channel, make):
    customer = new_customer()
    reply = post(channel, make(customer))
    if channel == "wechatpay":
        assert reply.status in (400, 401) and json.loads(reply.body)["code"] == "FAIL"
    else:
        assert reply.body == b"failure"
    assert rows(channels, customer) == {}
    assert channels.accounts.get(customer) is None


def test_an_unconfigured_channel_is_an_unknown_provider(app_env):
    for channel in ("wechatpay", "alipay"):
        with pytest.raises(UnknownProviderError):
            post(channel, (b"", {}))


def _suspended_debtor(pc_sandbox):
    customer, subs = seeded_customer(pc_sandbox, ("active", "active"))
    get_context().ingestion().ingest(parse_canonical("standard", f"inv-{customer}", invoice_issued(
        customer, "INV-2026-11-0042", 1_250_000, issued_at="2026-11-01T00:00:00+08:00",
        due_at="2026-11-30T23:59:59+08:00")))
    context = get_context()
    for day in (notice_day("2026-12-31", context.policy), "2026-12-31"):
        as_of = as_of_date(day, context.policy)
        context.clock = lambda as_of=as_of: as_of
        context.delinquency_scan().run(as_of)
    assert [pc_status(pc_sandbox, customer, s) for s in subs] == ["suspended", "suspended"]
    return customer, subs


@pytest.mark.parametrize("channel", ["wechatpay", "alipay"])
def test_a_debtor_who_pays_through_the_channel_regains_access_within_the_request(channels, pc_sandbox, channel):
    customer, subs = _suspended_debtor(pc_sandbox)
    if channel == "wechatpay":
        delivery = wechat_delivery(wechat_notification(wechat_transaction(customer, 1_250_000,
                                                                          invoice_id="INV-2026-11-0042")))
    else:
        delivery = alipay_delivery(alipay_params(customer, "12500.00", invoice_id="INV-2026-11-0042"))
    post(channel, delivery)
    assert [pc_status(pc_sandbox, customer, s) for s in subs] == ["active", "active"]
    assert get_context().accounts.get(customer).suspended_for_non_payment is False
    restore = [a for a in get_context().actions.for_customer(customer) if a.kind == "restore"]
    assert restore[-1].actor == "payment" and restore[-1].status == "confirmed"
