"""Receivables by age bucket, counted in the policy's local calendar days."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.domain.aging import BUCKET_NAMES, add_buckets, aging_buckets, bucket_for, empty_buckets
from lib.domain.policy import NaiveDatetimeError
from lib.domain.summary import LedgerSummary, OpenInvoice

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2027, 3, 1, 9, 0, tzinfo=SHANGHAI)


def due_days_ago(days: int, remaining: int) -> OpenInvoice:
    due = datetime(2027, 3, 1, 23, 59, 59, tzinfo=SHANGHAI) - timedelta(days=days)
    return OpenInvoice(due_at=due, invoice_id=f"INV-{days}", remaining=remaining)


@pytest.mark.parametrize(("days", "bucket"), [
    (-10, "current"), (0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (60, "31-60"),
    (61, "61-90"), (90, "61-90"), (91, "90+"), (4000, "90+"),
])
def test_each_bucket_starts_and_ends_on_its_day(days, bucket):
    assert bucket_for(days) == bucket
    summary = LedgerSummary(currency="CNY", open_invoices=(due_days_ago(days, 700),))
    assert aging_buckets(summary, AS_OF, SHANGHAI) == {**empty_buckets(), bucket: 700}


def test_buckets_add_up_each_invoices_remaining_amount():
    summary = LedgerSummary(currency="CNY", open_invoices=(
        due_days_ago(-3, 100), due_days_ago(5, 200), due_days_ago(12, 300), due_days_ago(45, 400),
        due_days_ago(120, 500)))
    assert aging_buckets(summary, AS_OF, SHANGHAI) == {
        "current": 100, "1-30": 500, "31-60": 400, "61-90": 0, "90+": 500}
    assert list(aging_buckets(summary, AS_OF, SHANGHAI)) == list(BUCKET_NAMES)


def test_an_invoice_due_2359_shanghai_ages_at_shanghai_midnight():
    invoice = OpenInvoice(datetime(2026, 11, 30, 23, 59, tzinfo=SHANGHAI), "INV-1", 1_000)
    summary = LedgerSummary(currency="CNY", open_invoices=(invoice,))
    utc = UTC
    assert aging_buckets(summary, datetime(2026, 11, 30, 15, 59, tzinfo=utc), SHANGHAI)["current"] == 1_000
    assert aging_buckets(summary, datetime(2026, 11, 30, 16, 0, tzinfo=utc), SHANGHAI)["1-30"] == 1_000


def test_report_totals_add_every_customers_buckets():
    first = {**empty_buckets(), "current": 5, "90+": 7}
    second = {**empty_buckets(), "1-30": 11, "90+": 1}
    assert add_buckets([first, second]) == {"current": 5, "1-30": 11, "31-60": 0, "61-90": 0, "90+": 8}
    assert add_buckets([]) == empty_buckets()
    with pytest.raises(KeyError, match="unknown aging bucket '120\\+'"):
        add_buckets([{"120+": 1}])


def test_a_naive_as_of_is_refused_for_aging():
    with pytest.raises(NaiveDatetimeError):
        aging_buckets(LedgerSummary(), datetime(2027, 3, 1), SHANGHAI)


@given(
    amounts_and_ages=st.lists(st.tuples(st.integers(1, 10**9), st.integers(-400, 4000)), max_size=20),
    hours=st.integers(0, 23),
)
def test_every_open_minor_unit_lands_in_exactly_one_bucket(amounts_and_ages, hours):
    invoices = tuple(due_days_ago(age, amount) for amount, age in amounts_and_ages)
    buckets = aging_buckets(LedgerSummary(open_invoices=invoices), AS_OF.replace(hour=hours), SHANGHAI)
    assert sum(buckets.values()) == sum(amount for amount, _ in amounts_and_ages)
    assert all(value >= 0 for value in buckets.values())
