"""An operator assigns a delivery we could not map to a customer: claim it once, then record it in that book.

The claim comes first and is final (lib.store.unmatched), so two operators assigning one event at once, to the
same customer or to two, credit one payment once. Recording is idempotent on the event's mark, so assigning it
again to the same customer finishes a replay that a crash interrupted and otherwise answers `duplicate`.
"""

from __future__ import annotations

from lib.services.ingest_event import IngestResult, LedgerIngestion
from lib.store.unmatched import AlreadyAssigned, UnmatchedEventMissing, UnmatchedEvents

__all__ = ["AlreadyAssigned", "UnmatchedAssignment", "UnmatchedEventMissing"]


class UnmatchedAssignment:
    def __init__(self, unmatched: UnmatchedEvents, ingestion: LedgerIngestion) -> None:
        self._unmatched = unmatched
        self._ingestion = ingestion

    def assign(self, provider: str, event_id: str, *, customer_id: str, actor: str) -> IngestResult:
        claimed = self._unmatched.claim(provider, event_id, customer_id=customer_id, actor=actor)
        result = self._ingestion.ingest(claimed.as_event(customer_id))
        return IngestResult(result.status, customer_id, result.summary)
