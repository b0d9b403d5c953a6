"""A customer's book: from the set of recorded facts to the `LedgerSummary` that the collections policy reads.

`summarize` is a pure function of the SET of facts, so redeliveries, replays and out-of-order arrival cannot
change the result. Facts sharing a row key collapse to one winner (`preferred`); money is then allocated in
one canonical order (time, then row key):

- Money in (payments, credits) pays its named invoice first, then the open invoices oldest-due first; whatever
  is left is `unapplied_credit`, which later invoices absorb because every invoice in the set is a target.
- Voided invoices are not targets, so money that named them flows to the other invoices or stays as credit.
- Money back (refunds, lost disputes) shrinks the payment it names before allocation, re-opening what that
  payment paid. Money back with no known payment to take from (or more than that payment) first uses up
  unapplied credit, then re-opens the latest allocations; any rest is owed on its own, as an open item whose
  invoice_id is the money back's row key (e.g. `ref:re_123`).

Currency: a ledger holds one currency. `summarize` raises `CurrencyMismatchError` for a mixed set, and
`check_fact_currency` lets ingestion refuse a fact before it is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

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
)
from lib.domain.summary import LedgerSummary, OpenInvoice


class LedgerError(ValueError):
    """Facts that cannot be in one customer's book together."""


class CurrencyMismatchError(LedgerError):
    def __init__(self, ledger_currency: str, fact: Fact, currency: str) -> None:
        super().__init__(
            f"{fact.row_key} is in {currency} but this customer's ledger is in {ledger_currency}; "
            "a ledger holds one currency"
        )
        self.ledger_currency = ledger_currency
        self.fact_currency = currency
        self.row_key = fact.row_key


def _canonical_order(fact: Fact) -> tuple[datetime, str]:
    return (fact.at, fact.row_key)


def preferred(a: Fact, b: Fact) -> Fact:
    """Of two facts with the same row key, the one the ledger keeps: the later, then the larger repr.

    Later wins so that a corrected re-issue of an invoice, or a charge's growing refunded total, replaces
    the old one.
    """
    return max(a, b, key=lambda f: (f.at, repr(f)))


def dedupe_facts(facts: Iterable[Fact]) -> dict[str, Fact]:
    """One fact per row key, the `preferred` one."""
    book: dict[str, Fact] = {}
    for fact in facts:
        held = book.get(fact.row_key)
        book[fact.row_key] = fact if held is None else preferred(held, fact)
    return book


def _currency_of(fact: Fact) -> str | None:
    return getattr(fact, "currency", None)


def check_fact_currency(summary_or_facts: LedgerSummary | Iterable[Fact], fact: Fact) -> None:
    """Raise `CurrencyMismatchError` if `fact` cannot join the ledger that the summary (or facts) describe;
    call it before recording, so that a fact in a second currency is refused (400) rather than stored."""
    ledger = (
        summary_or_facts.currency if isinstance(summary_or_facts, LedgerSummary)
        else _ledger_currency(summary_or_facts)
    )
    currency = _currency_of(fact)
    if ledger is not None and currency is not None and currency != ledger:
        raise CurrencyMismatchError(ledger, fact, currency)


def _ledger_currency(facts: Iterable[Fact]) -> str | None:
    first: tuple[str, Fact] | None = None
    for fact in sorted(facts, key=_canonical_order):
        currency = _currency_of(fact)
        if currency is None:
            continue
        if first is None:
            first = (currency, fact)
        elif currency != first[0]:
            raise CurrencyMismatchError(first[0], fact, currency)
    return None if first is None else first[0]


class _Allocation:
    """Money in to invoices, remembering the order so that money back can re-open the latest first."""

    def __init__(self, invoices: list[InvoiceIssued]) -> None:
        self.remaining = {inv.invoice_id: inv.amount for inv in invoices}
        self.due_order = [inv.invoice_id for inv in sorted(invoices, key=lambda i: (i.due_at, i.invoice_id))]
        self.cursor = 0  # every invoice before it in due_order is paid; remaining only falls while paying in
        self.log: list[tuple[str, int]] = []
        self.unapplied = 0

    def _apply(self, invoice_id: str, amount: int) -> int:
        taken = min(amount, self.remaining[invoice_id])
        if taken:
            self.remaining[invoice_id] -= taken
            self.log.append((invoice_id, taken))
        return amount - taken

    def pay_in(self, amount: int, invoice_id: str | None) -> None:
        if invoice_id is not None and invoice_id in self.remaining:
            amount = self._apply(invoice_id, amount)
        while amount and self.cursor < len(self.due_order):
            amount = self._apply(self.due_order[self.cursor], amount)
            if self.remaining[self.due_order[self.cursor]] == 0:
                self.cursor += 1
        self.unapplied += amount

    def take_back(self, amount: int) -> int:
        """Take money back from credit, then from the latest allocations; return what nothing could cover."""
        from_credit = min(self.unapplied, amount)
        self.unapplied -= from_credit
        amount -= from_credit
        while amount and self.log:
            invoice_id, applied = self.log.pop()
            back = min(applied, amount)
            self.remaining[invoice_id] += back
            amount -= back
            if back < applied:
                self.log.append((invoice_id, applied - back))
        return amount


def summarize(facts: Iterable[Fact], *, version: int) -> LedgerSummary:
    book = sorted(dedupe_facts(facts).values(), key=_canonical_order)
    currency = _ledger_currency(book)

    invoices = {f.invoice_id: f for f in book if isinstance(f, InvoiceIssued)}
    voided = {f.invoice_id for f in book if isinstance(f, InvoiceVoided)} & invoices.keys()
    payments = [f for f in book if isinstance(f, PaymentSucceeded)]
    credits = [f for f in book if isinstance(f, CreditGranted)]
    money_back: list[PaymentRefunded | DisputeClosed] = [
        f for f in book
        if isinstance(f, PaymentRefunded) or (isinstance(f, DisputeClosed) and f.outcome == "lost")
    ]

    # Money back shrinks the payment it names; the rest is unattributed.
    effective = {p.payment_id: p.amount for p in payments}
    unattributed: list[tuple[PaymentRefunded | DisputeClosed, int]] = []
    for back in money_back:
        taken = min(effective.get(back.payment_id, 0), back.amount)
        if back.payment_id in effective:
            effective[back.payment_id] -= taken
        if back.amount > taken:
            unattributed.append((back, back.amount - taken))

    allocation = _Allocation([inv for inv_id, inv in invoices.items() if inv_id not in voided])
    money_in: list[PaymentSucceeded | CreditGranted] = sorted([*payments, *credits], key=_canonical_order)
    for receipt in money_in:
        amount = effective[receipt.payment_id] if isinstance(receipt, PaymentSucceeded) else receipt.amount
        allocation.pay_in(amount, receipt.invoice_id)
    owed_alone = []
    for taker, amount in unattributed:
        uncovered = allocation.take_back(amount)
        if uncovered:
            owed_alone.append(OpenInvoice(due_at=taker.at, invoice_id=taker.row_key, remaining=uncovered))

    open_invoices = sorted(
        [OpenInvoice(due_at=invoices[i].due_at, invoice_id=i, remaining=r)
         for i, r in allocation.remaining.items() if r > 0]
        + owed_alone
    )

    balance = (
        sum(inv.amount for inv in invoices.values())
        - sum(p.amount for p in payments)
        + sum(b.amount for b in money_back)
        - sum(c.amount for c in credits)
        - sum(invoices[i].amount for i in voided)
    )

    opened = {f.dispute_id: f for f in book if isinstance(f, DisputeOpened)}
    closed = {f.dispute_id for f in book if isinstance(f, DisputeClosed)}
    still_open = [d for dispute_id, d in opened.items() if dispute_id not in closed]

    last_payment_at = max((p.paid_at for p in payments), default=None)
    failed_since = sum(
        1 for f in book
        if isinstance(f, PaymentFailed) and (last_payment_at is None or f.failed_at > last_payment_at)
    )

    return LedgerSummary(
        currency=currency,
        balance=balance,
        unapplied_credit=allocation.unapplied,
        open_invoices=tuple(open_invoices),
        open_disputes=len(still_open),
        disputed_amount=sum(d.amount for d in still_open),
        failed_payments=failed_since,
        last_payment_at=last_payment_at,
        version=version,
    )


DisplayEntry = dict[str, str | int | None]


def ledger_entries_for_display(facts: Iterable[Fact], limit: int = 20) -> list[DisplayEntry]:
    """The newest `limit` entries of the book, newest first, as JSON-ready dicts for the customer view:
    `kind, id, amount, currency, time (ISO-8601 UTC), invoice_id`."""
    book = dedupe_facts(facts)
    invoices = {f.invoice_id: f for f in book.values() if isinstance(f, InvoiceIssued)}
    newest = sorted(book.values(), key=_canonical_order, reverse=True)[: max(limit, 0)]
    return [_display(fact, invoices) for fact in newest]


def _display(fact: Fact, invoices: dict[str, InvoiceIssued]) -> DisplayEntry:
    kind: str
    entry_id: str
    invoice_id: str | None = None
    amount: int | None = getattr(fact, "amount", None)
    currency: str | None = _currency_of(fact)
    match fact:
        case InvoiceIssued():
            kind, entry_id, invoice_id = "invoice", fact.invoice_id, fact.invoice_id
        case InvoiceVoided():
            kind, entry_id, invoice_id = "invoice_voided", fact.invoice_id, fact.invoice_id
            voided = invoices.get(fact.invoice_id)
            amount, currency = (voided.amount, voided.currency) if voided else (None, None)
        case PaymentSucceeded():
            kind, entry_id, invoice_id = "payment", fact.payment_id, fact.invoice_id
        case PaymentFailed():
            kind, entry_id, invoice_id = "payment_failed", fact.payment_id or "", fact.invoice_id
        case PaymentRefunded():
            kind, entry_id = "refund", fact.refund_id
        case DisputeOpened():
            kind, entry_id = "dispute_opened", fact.dispute_id
        case DisputeClosed():
            kind, entry_id = f"dispute_{fact.outcome}", fact.dispute_id
        case CreditGranted():
            kind, entry_id, invoice_id = "credit", fact.credit_id, fact.invoice_id
    return {
        "kind": kind, "id": entry_id, "amount": amount, "currency": currency,
        "time": fact.at.isoformat(), "invoice_id": invoice_id,
    }
