"""A demo book for the sandbox's demo customers: some paid up, some at each collections stage, one disputed.

Dates are relative to today so the demo always shows every stage; event ids are fixed so seeding twice records
nothing new.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lib.domain.events import BillingEvent, DisputeOpened, InvoiceIssued, PaymentSucceeded
from lib.partner_center.sandbox.seed import demo_customer_id
from lib.services.ingest_event import LedgerIngestion

# (days past due of the open invoice, amount in fen, paid, disputed)
_PLAN = [(-20, 880_000, True, False), (10, 1_250_000, True, False), (-5, 66_000, False, False),
         (0, 350_000, True, False), (5, 420_000, False, False), (8, 2_300_000, False, False),
         (20, 1_680_000, False, False), (25, 95_000, False, False), (40, 3_450_000, False, False),
         (45, 12_800_000, False, False), (40, 5_600_000, False, True), (-15, 1_100_000, False, False)]


def demo_events(today: datetime) -> list[BillingEvent]:
    events: list[BillingEvent] = []
    for index, (days_late, amount, paid, disputed) in enumerate(_PLAN):
        customer = demo_customer_id(index)
        due = today - timedelta(days=days_late)
        issued = due - timedelta(days=30)
        invoice_id = f"INV-DEMO-{index:02d}"
        events.append(BillingEvent("demo", f"demo-{index}-invoice", "invoice.issued", issued, customer,
                                   InvoiceIssued(invoice_id, amount, "CNY", issued, due)))
        if paid:
            paid_at = min(due, today) - timedelta(days=1)
            events.append(BillingEvent("demo", f"demo-{index}-payment", "payment.succeeded", paid_at, customer,
                                       PaymentSucceeded(f"PAY-DEMO-{index:02d}", amount, "CNY", paid_at, invoice_id)))
        if disputed:
            opened = today - timedelta(days=3)
            events.append(BillingEvent("demo", f"demo-{index}-dispute", "dispute.opened", opened, customer,
                                       DisputeOpened(f"DSP-DEMO-{index:02d}", f"PAY-DEMO-{index:02d}", amount,
                                                     "CNY", opened)))
    return events


def seed_demo_book(ingestion: LedgerIngestion, *, today: datetime) -> int:
    return sum(ingestion.ingest(event).status == "recorded" for event in demo_events(today))
