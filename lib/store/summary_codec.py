"""LedgerSummary <-> entity values, shared by the ledger's summary row and the accounts index row.

Open invoices travel as compact JSON split over as many properties as needed (a property holds at most 64 KiB),
so a customer with a long tail of unpaid invoices is still summarised exactly.
"""

from __future__ import annotations

import json
from datetime import datetime

from lib.domain.summary import LedgerSummary, OpenInvoice
from lib.store.entities import Record, Value

_CHUNK = 30_000  # characters per property: 60 KB in UTF-16, under the 64 KiB property limit
_MAX_CHUNKS = 24
SUMMARY_FIELDS = ("currency", "balance", "unapplied_credit", "open_disputes", "disputed_amount", "failed_payments",
                  "last_payment_at", "summary_version", "open_invoice_count", "open_invoice_chunks")


class SummaryTooLarge(ValueError):
    pass


def summary_to_values(summary: LedgerSummary) -> dict[str, Value]:
    invoices = json.dumps([[inv.due_at.isoformat(), inv.invoice_id, inv.remaining]
                           for inv in sorted(summary.open_invoices)], separators=(",", ":"), ensure_ascii=False)
    chunks = [invoices[i:i + _CHUNK] for i in range(0, len(invoices), _CHUNK)] or ["[]"]
    if len(chunks) > _MAX_CHUNKS:
        raise SummaryTooLarge(f"{len(summary.open_invoices)} open invoices do not fit one summary row")
    values: dict[str, Value] = {
        "currency": summary.currency,
        "balance": summary.balance,
        "unapplied_credit": summary.unapplied_credit,
        "open_disputes": summary.open_disputes,
        "disputed_amount": summary.disputed_amount,
        "failed_payments": summary.failed_payments,
        "last_payment_at": summary.last_payment_at,
        "summary_version": summary.version,
        "open_invoice_count": len(summary.open_invoices),
        "open_invoice_chunks": len(chunks),
    }
    # Readers take only `open_invoice_chunks` chunks, so a MERGE that shrinks the list leaves harmless tails.
    for index, chunk in enumerate(chunks):
        values[f"open_invoices_{index}"] = chunk
    return values


def summary_from_record(record: Record) -> LedgerSummary:
    chunks = record.integer("open_invoice_chunks", 0)
    text = "".join(record.text(f"open_invoices_{i}") for i in range(chunks)) or "[]"
    invoices = tuple(OpenInvoice(due_at=datetime.fromisoformat(due), invoice_id=str(invoice_id),
                                 remaining=int(remaining))
                     for due, invoice_id, remaining in json.loads(text))
    return LedgerSummary(
        currency=record.text("currency") or None,
        balance=record.integer("balance"),
        unapplied_credit=record.integer("unapplied_credit"),
        open_invoices=invoices,
        open_disputes=record.integer("open_disputes"),
        disputed_amount=record.integer("disputed_amount"),
        failed_payments=record.integer("failed_payments"),
        last_payment_at=record.moment("last_payment_at"),
        version=record.integer("summary_version"),
    )
