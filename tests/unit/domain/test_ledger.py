from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lib.domain.events import (
    CreditGranted,
    DisputeClosed,
    DisputeOpened,
    InvoiceIssued,
    InvoiceVoided,
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
)
from lib.domain.ledger import (
    CurrencyMismatchError,
    LedgerError,
    check_fact_currency,
    dedupe_facts,
    ledger_entries_for_display,
    summarize,
)
from lib.domain.summary import LedgerSummary, OpenInvoice

BASE = datetime(2026, 1, 1, tzinfo=UTC)


def day(n: int) -> datetime:
    return BASE + timedelta(days=n)


def inv(invoice_id: str, amount: int, due: int, issued: int = 0, currency: str = "CNY") -> InvoiceIssued:
    return InvoiceIssued(invoice_id, amount, currency, day(issued), day(due))


def pay(payment_id: str, amount: int, at: int, invoice_id: str | None = None) -> PaymentSucceeded:
    return PaymentSucceeded(payment_id, amount, "CNY", day(at), invoice_id)


def remaining(summary: LedgerSummary) -> dict[str, int]:
    return {i.invoice_id: i.remaining for i in summary.open_invoices}


def test_empty_ledger_owes_nothing():
    assert summarize([], version=0) == LedgerSummary(version=0)


def test_partial_payment_leaves_the_rest_of_the_invoice_open():
    summary = summarize([inv("A", 1000, due=30), pay("P1", 400, at=5, invoice_id="A")], version=2)
    assert summary.balance == 600
    assert summary.open_invoices == (OpenInvoice(due_at=day(30), invoice_id="A", remaining=600),)
    assert summary.currency == "CNY"
    assert summary.last_payment_at == day(5)
    assert summary.version == 2


def test_payment_pays_its_named_invoice_and_the_excess_goes_to_the_oldest_due():
    facts = [inv("OLD", 300, due=10), inv("MID", 300, due=20), inv("NEW", 300, due=40), pay("P1", 500, 25, "NEW")]
    summary = summarize(facts, version=1)
    assert remaining(summary) == {"OLD": 100, "MID": 300}  # NEW takes 300, the other 200 go to OLD
    assert summary.balance == 400


def test_payment_without_invoice_goes_to_the_oldest_due_first():
    summary = summarize([inv("B", 300, due=20), inv("A", 300, due=10), pay("P1", 400, 25)], version=1)
    assert remaining(summary) == {"B": 200}


def test_payment_naming_an_unknown_invoice_goes_to_the_oldest_due():
    summary = summarize([inv("A", 300, due=10), pay("P1", 100, 5, "NOPE")], version=1)
    assert remaining(summary) == {"A": 200}


def test_overpayment_is_kept_as_credit_and_a_later_invoice_absorbs_it():
    before = summarize([inv("A", 300, due=10), pay("P1", 500, 5, "A")], version=2)
    assert before.open_invoices == ()
    assert before.unapplied_credit == 200
    assert before.balance == -200
    after = summarize([inv("A", 300, due=10), pay("P1", 500, 5, "A"), inv("B", 500, due=40, issued=30)], version=3)
    assert remaining(after) == {"B": 300}
    assert after.unapplied_credit == 0
    assert after.balance == 300


def test_refund_reopens_the_invoice_its_payment_paid():
    facts = [inv("A", 1000, due=30), pay("P1", 1000, 5, "A"), PaymentRefunded("R1", "P1", 250, "CNY", day(8))]
    summary = summarize(facts, version=3)
    assert remaining(summary) == {"A": 250}
    assert summary.balance == 250


def test_refund_of_an_overpayment_takes_back_credit_before_reopening():
    facts = [inv("A", 1000, due=30), pay("P1", 800, 5, "A"), pay("P2", 500, 6),
             PaymentRefunded("R1", "P2", 300, "CNY", day(8))]
    summary = summarize(facts, version=4)
    # P1 800 + P2 200 (after the refund) pay A in full; nothing is left over.
    assert summary.open_invoices == ()
    assert summary.unapplied_credit == 0
    assert summary.balance == 0


def test_refund_naming_no_known_payment_uses_credit_then_reopens_the_latest_allocation():
    facts = [inv("A", 500, due=10), inv("B", 500, due=20), pay("P1", 1100, 5),
             PaymentRefunded("R1", "ch_unknown", 400, "CNY", day(8))]
    summary = summarize(facts, version=4)
    assert summary.unapplied_credit == 0
    assert remaining(summary) == {"B": 300}  # 100 came from credit, 300 re-opened B, the last allocation
    assert summary.balance == 300


def test_money_back_beyond_everything_received_is_owed_on_its_own():
    summary = summarize([PaymentRefunded("R1", "P_GONE", 400, "CNY", day(8))], version=1)
    assert summary.open_invoices == (OpenInvoice(due_at=day(8), invoice_id="ref:R1", remaining=400),)
    assert summary.balance == 400


def test_voided_invoice_owes_nothing_and_money_on_it_moves_to_the_next_invoice():
    facts = [inv("A", 500, due=10), inv("B", 500, due=20), pay("P1", 500, 5, "A"), InvoiceVoided("A", day(6))]
    summary = summarize(facts, version=4)
    assert remaining(summary) == {}
    assert summary.balance == 0
    assert summary.unapplied_credit == 0


def test_voided_invoice_with_nothing_else_to_pay_leaves_credit():
    summary = summarize([inv("A", 500, due=10), pay("P1", 500, 5, "A"), InvoiceVoided("A", day(6))], version=3)
    assert summary.open_invoices == ()
    assert summary.unapplied_credit == 500
    assert summary.balance == -500


def test_void_of_an_invoice_not_yet_seen_changes_nothing_until_it_arrives():
    assert summarize([InvoiceVoided("A", day(6))], version=1).balance == 0
    assert summarize([InvoiceVoided("A", day(6)), inv("A", 500, due=10)], version=2).balance == 0


def test_open_dispute_is_counted_without_taking_money():
    facts = [inv("A", 1000, due=30), pay("P1", 1000, 5, "A"), DisputeOpened("D1", "P1", 1000, "CNY", day(9))]
    summary = summarize(facts, version=3)
    assert (summary.open_disputes, summary.disputed_amount) == (1, 1000)
    assert summary.balance == 0


def test_lost_dispute_takes_the_money_back_and_reopens_the_invoice():
    facts = [inv("A", 1000, due=30), pay("P1", 1000, 5, "A"), DisputeOpened("D1", "P1", 600, "CNY", day(9)),
             DisputeClosed("D1", "P1", 600, "CNY", "lost", day(20))]
    summary = summarize(facts, version=4)
    assert (summary.open_disputes, summary.disputed_amount) == (0, 0)
    assert remaining(summary) == {"A": 600}
    assert summary.balance == 600


def test_won_dispute_leaves_the_invoice_paid():
    facts = [inv("A", 1000, due=30), pay("P1", 1000, 5, "A"), DisputeOpened("D1", "P1", 1000, "CNY", day(9)),
             DisputeClosed("D1", "P1", 1000, "CNY", "won", day(20))]
    summary = summarize(facts, version=4)
    assert (summary.open_disputes, summary.balance, summary.open_invoices) == (0, 0, ())


def test_credit_pays_its_named_invoice_like_a_payment():
    facts = [inv("A", 500, due=10), inv("B", 500, due=20), CreditGranted("C1", 200, "CNY", day(3), "B")]
    summary = summarize(facts, version=3)
    assert remaining(summary) == {"A": 500, "B": 300}
    assert summary.balance == 800
    assert summary.last_payment_at is None


def test_failed_payments_count_only_after_the_last_successful_payment():
    facts = [
        inv("A", 500, due=10),
        PaymentFailed("pi_1", "A", 500, "CNY", day(1)),
        pay("P1", 100, 2, "A"),
        PaymentFailed("pi_2", "A", 400, "CNY", day(3)),
        PaymentFailed("pi_2", "A", 400, "CNY", day(6)),
    ]
    assert summarize(facts, version=5).failed_payments == 2
    assert summarize(facts[:2], version=2).failed_payments == 1


def test_redelivered_and_reordered_facts_give_the_same_summary():
    facts = [inv("A", 500, due=10), pay("P1", 200, 5), PaymentRefunded("R1", "P1", 50, "CNY", day(7))]
    once = summarize(facts, version=3)
    assert summarize([*reversed(facts), *facts], version=3) == once


def test_a_later_fact_with_the_same_key_replaces_the_earlier():
    reissued = InvoiceIssued("A", 400, "CNY", day(2), day(12))
    summary = summarize([inv("A", 500, due=10), reissued], version=2)
    assert summary.open_invoices == (OpenInvoice(due_at=day(12), invoice_id="A", remaining=400),)
    assert dedupe_facts([reissued, inv("A", 500, due=10)]) == {"inv:A": reissued}


def test_cumulative_refund_keyed_by_charge_counts_only_its_latest_total():
    facts = [pay("ch_1", 1000, 1), PaymentRefunded("ch_1", "ch_1", 300, "CNY", day(2)),
             PaymentRefunded("ch_1", "ch_1", 700, "CNY", day(4))]
    assert summarize(facts, version=3).balance == -300


def test_facts_in_two_currencies_are_refused():
    with pytest.raises(CurrencyMismatchError, match="ledger is in CNY") as caught:
        summarize([inv("A", 500, due=10), inv("B", 500, due=10, currency="USD")], version=2)
    assert isinstance(caught.value, LedgerError)
    assert caught.value.row_key == "inv:B"


def test_check_fact_currency_refuses_a_fact_in_another_currency():
    summary = summarize([inv("A", 500, due=10)], version=1)
    check_fact_currency(summary, pay("P1", 1, 1))
    check_fact_currency(summary, InvoiceVoided("A", day(1)))
    check_fact_currency(LedgerSummary(), inv("B", 1, 1, currency="USD"))
    with pytest.raises(CurrencyMismatchError):
        check_fact_currency(summary, inv("B", 1, 1, currency="USD"))
    with pytest.raises(CurrencyMismatchError):
        check_fact_currency([inv("A", 500, due=10)], inv("B", 1, 1, currency="USD"))
    check_fact_currency([], inv("B", 1, 1, currency="USD"))


def test_summary_feeds_the_policys_overdue_view():
    summary = summarize([inv("A", 500, due=10), inv("B", 500, due=40), pay("P1", 200, 5)], version=3)
    overdue = summary.overdue(day(20), ZoneInfo("Asia/Shanghai"))
    assert (overdue.amount, overdue.invoices) == (300, 1)


def test_display_lists_the_newest_entries_first_as_plain_values():
    facts = [inv("A", 500, due=10), pay("P1", 200, 5, "A"), InvoiceVoided("A", day(6)),
             DisputeClosed("D1", "P1", 200, "CNY", "lost", day(7)), PaymentFailed(None, "A", None, None, day(8))]
    entries = ledger_entries_for_display(facts, limit=4)
    assert [e["kind"] for e in entries] == ["payment_failed", "dispute_lost", "invoice_voided", "payment"]
    assert entries[2] == {"kind": "invoice_voided", "id": "A", "amount": 500, "currency": "CNY",
                          "time": "2026-01-07T00:00:00+00:00", "invoice_id": "A"}
    assert entries[0]["amount"] is None
    assert ledger_entries_for_display(facts, limit=0) == []
