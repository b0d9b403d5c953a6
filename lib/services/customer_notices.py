"""What the notice routes and `csp-guard notices preview` ask for: a customer's notices, notices by status,
contacts, and a preview rendered from the customer's book now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lib.domain.notice_contacts import ContactRequest
from lib.domain.notice_period import NOTICE_STATUSES
from lib.notices.render import LANGUAGES, NoticeTemplateError
from lib.services.customer_view import CustomerNotFound
from lib.services.notice_outbox import NoticeOutbox
from lib.store.accounts import Accounts
from lib.store.contacts import ContactBook, Contacts
from lib.store.ledger import LedgerBook
from lib.store.notices import Notices

__all__ = ["LANGUAGES", "NOTICE_STATUSES", "NoticeTemplateError", "customer_notices", "notices_with_status",
           "preview_notice", "set_contacts"]


def customer_notices(notices: Notices, customer_id: str) -> dict[str, Any]:
    return {"customer_id": customer_id, "items": [n.as_json() for n in notices.for_customer(customer_id)]}


def notices_with_status(notices: Notices, status: str | None) -> dict[str, Any]:
    return {"status": status, "items": [n.as_json() for n in notices.with_status(status)]}


def set_contacts(book: ContactBook, customer_id: str, request: ContactRequest, *, actor: str) -> dict[str, Any]:
    saved = book.put(customer_id, Contacts(request.to, request.cc, request.language), actor=actor)
    return {"customer_id": customer_id, **saved.as_json()}


def preview_notice(outbox: NoticeOutbox, ledger: LedgerBook, accounts: Accounts, customer_id: str, *, stage: str,
                   lang: str | None, as_of: datetime) -> dict[str, Any]:
    book = ledger.load(customer_id)
    row = accounts.get(customer_id)
    if not book.exists and row is None:
        raise CustomerNotFound(f"csp-guard knows nothing of customer {customer_id}")
    facts, rendered = outbox.preview(customer_id, stage, book.summary, hold=row.hold if row else None, as_of=as_of,
                                     lang=lang)
    return {"customer_id": customer_id, "stage": facts.stage, "kind": facts.kind, "language": rendered.language,
            "subject": rendered.subject, "text": rendered.text, "html": rendered.html, "facts": facts.as_json(),
            "sent": False}
