"""Receivables by age: how much of each customer's open invoices is how many days past due.

Ages are counted in calendar days in the policy's time zone, like everything else in collections, and before any
grace days: aging reports the money, not the collections stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from lib.domain.policy import require_aware
from lib.domain.summary import LedgerSummary

# (name, first day past due, last day past due); "current" is not yet overdue.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("current", -(10**9), 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)
BUCKET_NAMES: tuple[str, ...] = tuple(name for name, _, _ in BUCKETS)


def bucket_for(days_past_due: int) -> str:
    for name, first, last in BUCKETS:
        if days_past_due >= first and (last is None or days_past_due <= last):
            return name
    return BUCKET_NAMES[0]  # unreachable: the buckets cover every integer


def empty_buckets() -> dict[str, int]:
    return dict.fromkeys(BUCKET_NAMES, 0)


def aging_buckets(summary: LedgerSummary, as_of: datetime, tz: ZoneInfo) -> dict[str, int]:
    """Amounts (minor units) still owed on open invoices, by days past due as of `as_of` in `tz`."""
    require_aware(as_of)
    today = as_of.astimezone(tz).date()
    buckets = empty_buckets()
    for invoice in summary.open_invoices:
        buckets[bucket_for((today - invoice.local_due_date(tz)).days)] += invoice.remaining
    return buckets


def add_buckets(bucket_sets: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Totals for a report: the sum of many customers' buckets, every bucket present even when zero."""
    total = empty_buckets()
    for buckets in bucket_sets:
        for name, amount in buckets.items():
            if name not in total:
                raise KeyError(f"unknown aging bucket {name!r}; expected one of {', '.join(BUCKET_NAMES)}")
            total[name] += amount
    return total
