"""Properties of the ledger that hold for any set of facts (small id pools, so keys collide often)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from lib.domain.events import (
    CreditGranted,
    DisputeClosed,
    DisputeOpened,
    Fact,
    InvoiceIssued,
    InvoiceVoided,
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
    fact_from_record,
    fact_to_record,
)
from lib.domain.ledger import dedupe_facts, summarize

BASE = datetime(2026, 1, 1, tzinfo=UTC)

times = st.integers(min_value=0, max_value=90 * 24).map(lambda hours: BASE + timedelta(hours=hours))
amounts = st.integers(min_value=0, max_value=10_000)
invoice_ids = st.sampled_from(["I0", "I1", "I2", "I3"])
maybe_invoice = st.none() | st.sampled_from(["I0", "I1", "I2", "I3", "I_UNKNOWN"])
payment_ids = st.sampled_from(["P0", "P1", "P2", "P3"])
named_payments = st.sampled_from(["P0", "P1", "P2", "P3", "P_UNKNOWN"])
small_ids = st.sampled_from(["X0", "X1", "X2"])
CNY = st.just("CNY")

facts_strategy: st.SearchStrategy[Fact] = st.one_of(
    st.builds(InvoiceIssued, invoice_ids, amounts, CNY, times, times),
    st.builds(InvoiceVoided, invoice_ids, times),
    st.builds(PaymentSucceeded, payment_ids, amounts, CNY, times, maybe_invoice),
    st.builds(PaymentFailed, st.none() | payment_ids, maybe_invoice, st.none() | amounts, st.none() | CNY, times),
    st.builds(PaymentRefunded, small_ids, named_payments, amounts, CNY, times),
    st.builds(DisputeOpened, small_ids, named_payments, amounts, CNY, times),
    st.builds(DisputeClosed, small_ids, named_payments, amounts, CNY, st.sampled_from(["won", "lost"]), times),
    st.builds(CreditGranted, small_ids, amounts, CNY, times, maybe_invoice),
)
fact_lists = st.lists(facts_strategy, max_size=40)


@settings(max_examples=300)
@given(facts=fact_lists, data=st.data())
def test_any_order_and_duplication_of_the_same_facts_gives_the_same_summary(facts, data):
    shuffled = data.draw(st.permutations(facts))
    repeats = data.draw(st.lists(st.sampled_from(facts), max_size=10)) if facts else []
    assert summarize([*shuffled, *repeats], version=7) == summarize(facts, version=7)


@settings(max_examples=500)
@given(facts=fact_lists)
def test_balance_is_invoiced_minus_paid_plus_refunded_minus_credited_minus_voided(facts):
    book = list(dedupe_facts(facts).values())
    invoices = {f.invoice_id: f.amount for f in book if isinstance(f, InvoiceIssued)}
    voided = {f.invoice_id for f in book if isinstance(f, InvoiceVoided)} & invoices.keys()
    expected = (
        sum(invoices.values())
        - sum(f.amount for f in book if isinstance(f, PaymentSucceeded))
        + sum(f.amount for f in book if isinstance(f, PaymentRefunded))
        + sum(f.amount for f in book if isinstance(f, DisputeClosed) and f.outcome == "lost")
        - sum(f.amount for f in book if isinstance(f, CreditGranted))
        - sum(invoices[i] for i in voided)
    )
    assert summarize(facts, version=1).balance == expected


@settings(max_examples=500)
@given(facts=fact_lists)
def test_open_invoices_less_credit_is_the_balance_and_nothing_is_negative_unless_overpaid(facts):
    summary = summarize(facts, version=1)
    assert sum(i.remaining for i in summary.open_invoices) - summary.unapplied_credit == summary.balance
    assert all(i.remaining > 0 for i in summary.open_invoices)
    assert len({i.invoice_id for i in summary.open_invoices}) == len(summary.open_invoices)
    assert summary.unapplied_credit >= 0
    if summary.balance < 0:
        assert summary.unapplied_credit >= -summary.balance
    assert summary.open_disputes >= 0
    assert summary.disputed_amount >= 0
    assert summary.failed_payments >= 0


@settings(max_examples=300)
@given(facts=fact_lists)
def test_open_invoices_never_owe_more_than_was_invoiced_on_them(facts):
    book = dedupe_facts(facts)
    summary = summarize(facts, version=1)
    for item in summary.open_invoices:
        if f"inv:{item.invoice_id}" in book:
            invoice = book[f"inv:{item.invoice_id}"]
            assert isinstance(invoice, InvoiceIssued)
            assert item.remaining <= invoice.amount
            assert f"void:{item.invoice_id}" not in book


@settings(max_examples=300)
@given(facts=fact_lists, extra=st.builds(PaymentSucceeded, st.just("P_NEW"), amounts, CNY, times, maybe_invoice))
def test_a_new_payment_never_raises_the_balance(facts, extra):
    assert summarize([*facts, extra], version=1).balance <= summarize(facts, version=1).balance


@given(fact=facts_strategy)
def test_any_fact_survives_a_round_trip_through_its_record(fact):
    assert fact_from_record(fact.row_key, fact_to_record(fact)) == fact
