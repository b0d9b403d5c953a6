"""Records a verified billing event in the customer's book exactly once, then refreshes the scan's index.

One event is one ledger transaction (the delivery's mark, the facts it changes, the recomputed summary), guarded
by the summary's ETag; a lost race re-reads and tries again, a duplicate delivery is recognised by its mark. The
`accounts` row is written after the transaction, and a duplicate delivery writes it again, so a crash between the
two heals when the provider redelivers.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from lib.domain.events import BillingEvent, Fact
from lib.domain.ledger import check_fact_currency, preferred, summarize
from lib.domain.policy_file import PolicyError
from lib.domain.summary import LedgerSummary
from lib.store.accounts import AccountRow, Accounts
from lib.store.errors import ConcurrencyConflict
from lib.store.ledger import EventMark, LedgerBook, LedgerSnapshot
from lib.store.unmatched import UnmatchedEvents

log = logging.getLogger("csp_guard.ingest")
IngestStatus = Literal["recorded", "duplicate", "ignored", "unmatched"]
# Each lost race costs a retry; with n deliveries for one customer in flight at once, the last one may lose n-1
# times. Jittered back-off spreads the contenders out so they settle in a few rounds.
MAX_ATTEMPTS = 40
BACKOFF_CAP_SECONDS = 0.25
AfterRecord = Callable[[str, LedgerSummary, AccountRow], None]


@dataclass(frozen=True)
class IngestResult:
    status: IngestStatus
    customer_id: str | None
    summary: LedgerSummary | None = None

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {"status": self.status}
        if self.customer_id:
            body["customer_id"] = self.customer_id
        return body


class LedgerIngestion:
    def __init__(self, book: LedgerBook, accounts: Accounts, unmatched: UnmatchedEvents,
                 after_record: AfterRecord | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sleep = sleep
        self._book = book
        self._accounts = accounts
        self._unmatched = unmatched
        self._after_record = after_record

    def ingest(self, event: BillingEvent, body: bytes = b"") -> IngestResult:
        if event.customer_id is None:
            if not event.facts:
                return IngestResult("ignored", None)
            kept = self._unmatched.keep(event, body)
            if kept.status == "assigned":  # a redelivery of an event an operator has assigned: already recorded
                return IngestResult("duplicate", kept.assigned_to)
            log.warning("event %s/%s has no customer mapping; kept in unmatched", event.provider, event.event_id)
            return IngestResult("unmatched", None)
        if not event.facts:
            return self._acknowledge(event, event.customer_id)
        return self._record(event, event.customer_id)

    def _acknowledge(self, event: BillingEvent, customer_id: str) -> IngestResult:
        mark = EventMark(event.provider, event.event_id, event.type, event.occurred_at, "ignored")
        try:
            self._book.record_mark_only(customer_id, mark)
        except ConcurrencyConflict:
            return IngestResult("duplicate", customer_id)
        return IngestResult("ignored", customer_id)

    def _record(self, event: BillingEvent, customer_id: str) -> IngestResult:
        for attempt in range(MAX_ATTEMPTS):
            snapshot = self._book.load(customer_id, fresh=attempt > 0)
            if attempt > 0 and self._book.has_mark(customer_id, event.mark_key):
                # Seen before: change nothing, but finish what a first delivery that crashed may have left undone
                # (the index row, the payment hook).
                row = self._accounts.apply_summary(customer_id, snapshot.summary)
                self._reevaluate(customer_id, snapshot.summary, row)
                return IngestResult("duplicate", customer_id, snapshot.summary)
            changed = _changed_facts(snapshot, event.facts)
            facts = {**snapshot.facts, **{f.row_key: f for f in changed}}
            summary = summarize(facts.values(), version=snapshot.summary.version + 1)
            mark = EventMark(event.provider, event.event_id, event.type, event.occurred_at, "recorded",
                             tuple(f.row_key for f in event.facts))
            try:
                self._book.record(snapshot, mark, changed, summary)
            except ConcurrencyConflict:
                # A duplicate, or another event for this customer won the race: re-read and decide again.
                self._sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, 0.005 * 2**attempt)))  # noqa: S311
                continue
            row = self._accounts.apply_summary(customer_id, summary)
            self._reevaluate(customer_id, summary, row)
            return IngestResult("recorded", customer_id, summary)
        raise ConcurrencyConflict(f"ledger of {customer_id} kept changing; the provider should redeliver")

    def _reevaluate(self, customer_id: str, summary: LedgerSummary, row: AccountRow) -> None:
        """The payment hook. The ledger never depends on the policy: when the policy cannot be loaded the fact
        stays recorded, the customer is marked so the next scan decides it, and the sender gets its 200 (a
        redelivery could not do better). Other failures propagate, so the sender retries and the duplicate
        delivery runs the hook again."""
        if self._after_record is None:
            return
        try:
            self._after_record(customer_id, summary, row)
        except PolicyError as exc:
            log.error("recorded an event for %s but could not re-evaluate it: %s", customer_id, exc)
            self._accounts.mark_for_reevaluation(customer_id, reason=f"policy: {exc}")


def _changed_facts(snapshot: LedgerSnapshot, incoming: tuple[Fact, ...]) -> list[Fact]:
    changed: list[Fact] = []
    for fact in incoming:
        check_fact_currency(snapshot.summary, fact)
        held = snapshot.facts.get(fact.row_key)
        if held is None or (held != fact and preferred(held, fact) is fact):
            changed.append(fact)
    return changed
