"""What an operator sees of one customer: balance, aging, stage, hold, recent book entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lib.domain.aging import aging_buckets
from lib.domain.ledger import ledger_entries_for_display
from lib.domain.policy import CollectionsPolicy
from lib.store.accounts import Accounts
from lib.store.actions import Actions
from lib.store.ledger import LedgerBook
from lib.store.subscriptions import Subscriptions


class CustomerNotFound(LookupError):
    pass


def customer_view(customer_id: str, *, ledger: LedgerBook, accounts: Accounts, policy: CollectionsPolicy,
                  as_of: datetime, subscriptions: Subscriptions, actions: Actions, entries: int = 20) -> dict[str, Any]:
    snapshot = ledger.load(customer_id, fresh=True)
    account = accounts.get(customer_id)
    subs = subscriptions.for_customer(customer_id)
    if not snapshot.exists and account is None and not subs:
        raise CustomerNotFound(f"csp-guard knows nothing of customer {customer_id}")
    summary = snapshot.summary
    overdue = summary.overdue(as_of, policy.zone)
    hold = account.hold if account else None
    return {
        "customer_id": customer_id,
        "as_of": as_of.isoformat(),
        "currency": summary.currency,
        "balance": summary.balance,
        "unapplied_credit": summary.unapplied_credit,
        "overdue": {
            "amount": overdue.amount, "invoices": overdue.invoices, "days_past_due": overdue.days_past_due,
            "oldest_due": overdue.oldest_due.isoformat() if overdue.oldest_due else None,
        },
        "aging": aging_buckets(summary, as_of, policy.zone),
        "open_disputes": summary.open_disputes,
        "disputed_amount": summary.disputed_amount,
        "failed_payments": summary.failed_payments,
        "last_payment_at": summary.last_payment_at.isoformat() if summary.last_payment_at else None,
        "open_invoices": [{"invoice_id": inv.invoice_id, "due_at": inv.due_at.isoformat(),
                           "remaining": inv.remaining} for inv in summary.open_invoices],
        "stage": (account.stage if account else None) or "current",
        "stage_since": account.stage_since.isoformat() if account and account.stage_since else None,
        "hold": {"kind": hold.kind, "until": hold.until.isoformat(), "note": hold.note} if hold else None,
        "ledger_version": summary.version,
        "suspended_for_non_payment": bool(account and account.suspended_for_non_payment),
        "subscriptions": [s.as_json() for s in subs.values()],
        "recent_actions": [a.as_json() for a in actions.recent(customer_id, entries)],
        "entries": ledger_entries_for_display(snapshot.facts.values(), limit=entries),
    }
