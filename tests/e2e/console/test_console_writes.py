"""Writes from the console in a real browser: each asks first, carries the session's token, and lands in the book."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import Dialog, Page, expect

from lib.domain.events import BillingEvent, PaymentSucceeded
from tests.e2e.console.conftest import Console, sign_in

pytestmark = pytest.mark.e2e


def accept(dialogs: list[str]):
    def answer(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    return answer


def unmatched_payment(console: Console, amount: int) -> str:
    event_id = f"bank-{uuid.uuid4().hex[:10]}"
    paid_at = datetime.now(UTC) - timedelta(days=1)
    event = BillingEvent("bank", event_id, "payment.succeeded", paid_at, None,
                         PaymentSucceeded(f"PAY-{event_id}", amount, "CNY", paid_at))
    assert console.app.ingestion().ingest(event, b'{"payer": "<b>Shanghai Example</b>"}').status == "unmatched"
    return event_id


def test_assigning_an_unmatched_payment_from_the_console_credits_the_customer(page: Page, console: Console):
    customer = console.debtor("杭州付款测试有限公司", days_late=20, amount=500_000)
    event_id = unmatched_payment(console, 500_000)
    dialogs: list[str] = []
    page.on("dialog", accept(dialogs))
    sign_in(page, console, "/unmatched")
    card = page.locator(f"#event-bank-{event_id}")
    expect(card).to_contain_text("¥5,000.00")
    expect(card.locator("pre")).to_have_text('{"payer": "<b>Shanghai Example</b>"}', use_inner_text=False)
    card.locator("input[name=customer_id]").fill(customer)
    card.locator("input[name=note]").fill("ICBC transfer, payer confirmed by phone")
    card.locator("button[type=submit]").click()
    expect(page.locator("p.done")).to_contain_text(customer)
    assert len(dialogs) == 1
    expect(page.locator(f"#event-bank-{event_id}")).to_have_count(0)
    view = console.api("GET", f"customers/{customer}").json()
    assert view["balance"] == 0 and view["overdue"]["amount"] == 0
    assigned = [a for a in view["recent_actions"] if a["kind"] == "assign"]
    assert assigned[0]["note"] == "ICBC transfer, payer confirmed by phone"
    assert assigned[0]["actor"] == "key:console"


def test_dismissing_the_question_sends_nothing(page: Page, console: Console):
    customer = console.debtor("不确认客户", days_late=20, amount=300_000)
    event_id = unmatched_payment(console, 300_000)
    page.on("dialog", lambda dialog: dialog.dismiss())
    sign_in(page, console, "/unmatched")
    card = page.locator(f"#event-bank-{event_id}")
    card.locator("input[name=customer_id]").fill(customer)
    card.locator("button[type=submit]").click()
    expect(card).to_be_visible()
    assert console.api("GET", f"customers/{customer}").json()["balance"] == 300_000


def test_a_write_without_the_session_token_is_refused_and_changes_nothing(page: Page, console: Console):
    customer = console.debtor("跨站请求测试", days_late=20, amount=300_000)
    event_id = unmatched_payment(console, 300_000)
    sign_in(page, console)
    cookie = next(c for c in page.context.cookies() if c["name"] == "cspguard_session")
    url = f"{console.url}/unmatched/bank/{event_id}/assign"
    jar = {"cspguard_session": cookie["value"]}
    forged = requests.post(url, data={"customer_id": customer}, cookies=jar, timeout=30, allow_redirects=False)
    assert forged.status_code == 403 and forged.json()["type"].endswith("/csrf-refused")
    wrong = requests.post(url, data={"customer_id": customer, "csrf": "guessed"}, cookies=jar, timeout=30)
    assert wrong.status_code == 403
    token = page.locator("input[name=csrf]").first.get_attribute("value")
    cross = requests.post(url, data={"customer_id": customer, "csrf": token}, cookies=jar, timeout=30,
                          headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert console.api("GET", f"customers/{customer}").json()["balance"] == 300_000
    done = requests.post(url, data={"customer_id": customer, "csrf": token}, cookies=jar, timeout=30,
                         allow_redirects=False)
    assert done.status_code == 303
    assert console.api("GET", f"customers/{customer}").json()["balance"] == 0


def test_a_promise_to_pay_set_and_ended_on_the_customer_page(page: Page, console: Console):
    customer = console.debtor("承诺付款客户", days_late=35, amount=2_000_000)
    dialogs: list[str] = []
    page.on("dialog", accept(dialogs))
    sign_in(page, console, f"/customers/{customer}")
    expect(page.locator("h1 .company")).to_have_text("承诺付款客户")
    # Subscriptions were listed from Partner Center the first time the customer was opened.
    expect(page.locator("text=Azure plan")).to_be_visible()
    until = (datetime.now(UTC) + timedelta(days=7)).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    page.select_option("select[name=kind]", "promise_to_pay")
    page.fill("input[name=until]", until)
    page.fill("input[name=note]", "CFO promised payment")
    page.click("text=设置暂缓")
    expect(page.locator("p.done")).to_be_visible()
    assert console.api("GET", f"customers/{customer}").json()["hold"]["until"] == until
    page.goto(console.url)
    expect(page.locator(f'tr[data-customer="{customer}"]')).to_contain_text("承诺付款")
    page.goto(f"{console.url}/customers/{customer}")
    page.click("text=结束暂缓")
    expect(page.locator("p.done")).to_be_visible()
    assert dialogs == ["确定结束该客户的暂缓吗？"]
    assert console.api("GET", f"customers/{customer}").json()["hold"] is None


def test_a_fraud_case_cleared_from_the_console_lifts_its_suspension(page: Page, console: Console):
    customer = console.debtor("挖矿嫌疑客户", days_late=1, amount=10_000)
    suspended = console.api("POST", f"customers/{customer}/suspend", {"reason": "fraud", "note": "crypto mining"})
    assert suspended.status_code == 202 and suspended.json()["status"] == "confirmed"
    case = console.app.cases.open(customer, reason="fraud", title="Crypto mining <alert>", description="pool traffic",
                                  severity="Critical", source="test")
    dialogs: list[str] = []
    page.on("dialog", accept(dialogs))
    sign_in(page, console, "/cases?lang=en")
    card = page.locator(f"#case-{case.case_id}")
    expect(card.locator("h2")).to_have_text("Crypto mining <alert>")
    card.locator("select[name=outcome]").select_option("cleared")
    card.locator("input[name=note]").fill("customer's own miner, stopped")
    card.locator("button[type=submit]").click()
    expect(page.locator("p.done")).to_be_visible()
    assert dialogs == ["Close the case with the chosen outcome?"]
    closed = console.api("GET", f"cases/{customer}/{case.case_id}").json()
    assert closed["status"] == "resolved" and closed["resolved_by"] == "key:console"
    view = console.api("GET", f"customers/{customer}").json()
    assert [s["status"] for s in view["subscriptions"]] == ["active"]
    assert [s["reasons"] for s in view["subscriptions"]] == [[]]
