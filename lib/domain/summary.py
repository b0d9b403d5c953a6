"""The per-customer ledger summary that the ledger produces and the policy, scan and reports consume.

It is small enough to copy into the `accounts` index row, and carries the open invoices themselves so that
"overdue as of any date" can be derived without re-reading the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True, order=True)
class OpenInvoice:
    """An invoice with money still owed on it. Ordered oldest-due first (ties by id) for allocation."""

    due_at: datetime  # timezone-aware
    invoice_id: str
    remaining: int  # minor units, > 0

    def local_due_date(self, tz: ZoneInfo) -> date:
        return self.due_at.astimezone(tz).date()


@dataclass(frozen=True)
class Overdue:
    amount: int
    invoices: int
    oldest_due: date | None  # local calendar date in the policy's zone
    days_past_due: int


@dataclass(frozen=True)
class LedgerSummary:
    currency: str | None = None
    balance: int = 0  # invoiced - paid + refunded - credited - voided; negative means the customer is in credit
    unapplied_credit: int = 0  # money received that no invoice absorbed (overpayment), kept as credit
    open_invoices: tuple[OpenInvoice, ...] = ()
    open_disputes: int = 0
    disputed_amount: int = 0
    failed_payments: int = 0  # payment.failed events since the last successful payment
    last_payment_at: datetime | None = None
    version: int = 0  # facts applied; bumps with every recorded event

    def overdue(self, as_of: datetime, tz: ZoneInfo) -> Overdue:
        """Per the design's definitions: an invoice is overdue when money remains on it and its local due date
        is before the as-of local date; days past due count from the oldest overdue invoice."""
        today = as_of.astimezone(tz).date()
        late = [inv for inv in self.open_invoices if inv.local_due_date(tz) < today]
        if not late:
            return Overdue(amount=0, invoices=0, oldest_due=None, days_past_due=0)
        oldest = min(inv.local_due_date(tz) for inv in late)
        return Overdue(
            amount=sum(inv.remaining for inv in late),
            invoices=len(late),
            oldest_due=oldest,
            days_past_due=(today - oldest).days,
        )
