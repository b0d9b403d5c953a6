"""The ledger never depends on the policy (issue 12, item 10): with a policy file that does not load, a billing
webhook still records its money facts and answers 200; the customer is marked and the next scan decides it."""

from datetime import UTC, datetime

import pytest

from lib.app_context import get_context, reset_context
from lib.services.delinquency_scan import as_of_date
from lib.services.receive_webhook import receive_webhook
from tests.support.billing_events import invoice_issued, payment_succeeded, standard_delivery
from tests.support.notice_period import notice_day
from tests.support.suspension_world import pc_status, seeded_customer

pytestmark = pytest.mark.integration


def deliver(body: dict[str, object]) -> str:
    raw, headers = standard_delivery(body)
    context = get_context()
    return receive_webhook("standard", headers, raw, settings=context.settings, ingestion=context.ingestion(),
                           now=datetime.now(UTC)).status


def scan(day: str) -> None:
    context = get_context()
    as_of = as_of_date(day, context.policy)
    context.clock = lambda: as_of
    context.delinquency_scan().run(as_of)


def test_a_payment_is_recorded_and_marked_for_the_next_scan_when_the_policy_does_not_load(
        app_env, pc_sandbox, monkeypatch, tmp_path):
    customer, subs = seeded_customer(pc_sandbox, ("active",))
    assert deliver(invoice_issued(customer, "INV-1", 1_250_000, issued_at="2026-11-01T00:00:00+08:00",
                                  due_at="2026-11-30T23:59:59+08:00")) == "recorded"
    scan(notice_day("2026-12-31", get_context().policy))
    scan("2026-12-31")
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended"

    broken = tmp_path / "collections.toml"
    broken.write_text('timezone = "Asia/Shanghai"\nminimum_overdue = "a lot"\n', encoding="utf-8")
    monkeypatch.setenv("COLLECTIONS_POLICY", str(broken))
    reset_context()

    assert deliver(payment_succeeded(customer, "PAY-1", 1_250_000, invoice_id="INV-1")) == "recorded"

    context = get_context()
    assert context.ledger.load(customer, fresh=True).summary.balance == 0
    assert context.accounts.get(customer).reevaluate is True
    assert pc_status(pc_sandbox, customer, subs[0]) == "suspended"  # nobody could decide to restore yet

    monkeypatch.delenv("COLLECTIONS_POLICY")
    reset_context()
    scan("2027-01-01")

    assert pc_status(pc_sandbox, customer, subs[0]) == "active"
    assert get_context().accounts.get(customer).reevaluate is False


def test_a_marked_customer_whose_decision_did_not_change_is_still_decided_and_unmarked(app_env, pc_sandbox):
    customer, _ = seeded_customer(pc_sandbox, ("active",))
    deliver(invoice_issued(customer, "INV-1", 5_000, due_at="2026-12-30T23:59:59+08:00"))
    get_context().accounts.mark_for_reevaluation(customer, reason="policy: test")
    scan("2026-12-01")
    row = get_context().accounts.get(customer)
    assert row.reevaluate is False and row.stage == "current"
