"""Review mode in the console, in a real browser: the at-risk list shows a debtor's open proposal and the status of
the last notice; approving from the proposals page (after confirming) suspends in the sandbox; rejecting needs a
note and records it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.console.conftest import Console, sign_in
from tests.fixtures.sandbox import sandbox_calls
from tests.support.notice_period import local_day, notice_days

pytestmark = pytest.mark.e2e


def proposed(console: Console, *names: str) -> list[str]:
    """Debtors 45 days late, given notice a week ago; today's scan proposes to suspend each."""
    customers = [console.debtor(name, days_late=45, amount=900_000) for name in names]
    assert console.api("POST", f"scan?as_of={local_day(-notice_days())}").ok
    # (>=: a proposal an earlier test rejected is proposed again; the debt is still there)
    assert console.api("POST", "scan").json()["proposed"] >= len(names)
    return customers


def open_proposal(console: Console, customer: str) -> dict[str, Any]:
    listed: list[dict[str, Any]] = console.api("GET", "proposals").json()["proposals"]
    [found] = [p for p in listed if p["customer_id"] == customer]
    return found


def test_approving_a_proposal_from_the_console_suspends_in_the_sandbox(page: Page, review_console: Console):
    console = review_console
    [customer] = proposed(console, "审批测试科技有限公司")
    proposal = open_proposal(console, customer)
    dialogs: list[str] = []

    def answer(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    sign_in(page, console, "?lang=en")
    row = page.locator(f"tr[data-customer='{customer}']")
    expect(row.locator("td.open-proposal a.proposal-link")).to_have_text("non-payment")
    expect(row.locator("td.last-notice .notice-recorded")).to_have_text("recorded")  # NOTICES_MODE=record
    row.locator("td.open-proposal a.proposal-link").click()

    card = page.locator(f"#proposal-{proposal['proposal_id']}")
    expect(card).to_contain_text("审批测试科技有限公司")
    expect(card.locator("dl.facts")).to_contain_text("¥9,000.00")
    expect(card.locator("dl.facts")).to_contain_text("45")
    assert [c for c in sandbox_calls(console.sandbox) if c["method"] == "PATCH"
            and customer in c["path"]] == []
    card.locator("form.approve input[name=note]").fill("confirmed with sales")
    card.locator("form.approve button[type=submit]").click()
    expect(page.locator("p.done")).to_have_text("The proposal was approved and carried out.")
    assert len(dialogs) == 1

    patched = [c for c in sandbox_calls(console.sandbox) if c["method"] == "PATCH" and customer in c["path"]]
    assert len(patched) == 1 and patched[0]["body"]["status"] == "suspended"
    view = console.api("GET", f"customers/{customer}").json()
    assert [s["reasons"] for s in view["subscriptions"]] == [["non_payment"]]
    decided = [p for p in console.api("GET", "proposals?status=approved").json()["proposals"]
               if p["proposal_id"] == proposal["proposal_id"]]
    assert decided[0]["decided_by"] == "key:console" and decided[0]["decision_note"] == "confirmed with sales"
    # The list no longer shows an open proposal for the customer, and shows it suspended.
    page.goto(console.url)
    row = page.locator(f"tr[data-customer='{customer}']")
    expect(row.locator("td.open-proposal")).to_have_text("—")


def test_rejecting_from_the_console_records_the_note_and_writes_nothing(page: Page, review_console: Console):
    console = review_console
    [customer] = proposed(console, "驳回测试有限公司")
    proposal = open_proposal(console, customer)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, console, "/proposals?lang=en")
    card = page.locator(f"#proposal-{proposal['proposal_id']}")
    card.locator("form.reject button[type=submit]").click()  # the note is required: the browser stops the form
    expect(page.locator("p.done")).to_have_count(0)
    card.locator("form.reject input[name=note]").fill("<b>pays Friday</b>")
    card.locator("form.reject button[type=submit]").click()
    expect(page.locator("p.done")).to_have_text("The proposal was rejected.")
    rejected = [p for p in console.api("GET", "proposals?status=rejected").json()["proposals"]
                if p["proposal_id"] == proposal["proposal_id"]]
    assert rejected[0]["decision_note"] == "<b>pays Friday</b>"
    assert [c for c in sandbox_calls(console.sandbox) if c["method"] == "PATCH" and customer in c["path"]] == []
    page.goto(f"{console.url}/proposals?status=rejected")
    expect(page.locator(f"#proposal-{proposal['proposal_id']}")).to_contain_text("<b>pays Friday</b>")


def test_the_customer_page_shows_notices_contacts_and_the_open_proposal(page: Page, review_console: Console):
    console = review_console
    [customer] = proposed(console, "通知联系人测试有限公司")
    assert console.api("PUT", f"customers/{customer}/contacts",
                       {"to": ["ar@example.cn"], "cc": ["cfo@example.cn"], "language": "en"}).ok
    notices = console.api("GET", f"customers/{customer}/notices").json()["items"]
    sign_in(page, console, f"/customers/{customer}?lang=en")
    rows = page.locator("#notices tbody tr")
    expect(rows).to_have_count(len(notices))
    expect(rows.first).to_contain_text("recorded")
    expect(page.locator("#notices")).to_contain_text("pre_suspension")
    expect(page.locator("#contacts")).to_contain_text("ar@example.cn")
    expect(page.locator("#contacts")).to_contain_text("cfo@example.cn")
    expect(page.locator("#proposals")).to_contain_text("non-payment · suspend the subscriptions")
    page.goto(f"{console.url}?lang=zh-CN")  # and in Chinese, on the at-risk list
    row = page.locator(f"tr[data-customer='{customer}']")
    expect(row.locator("td.open-proposal a.proposal-link")).to_have_text("欠费")
    expect(row.locator("td.last-notice .notice-recorded")).to_have_text("已记录")
