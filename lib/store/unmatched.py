"""The `unmatched` table: deliveries we verified but could not map to a customer, kept for an operator.

The row holds the event's facts (as stored in the ledger) so an assignment replays exactly what was received,
whatever the provider's body looked like. A row is written once (a redelivery finds it and changes nothing, so
it never re-opens an assigned event) and assigned once: the claim is a write conditional on the ETag of the open
row that was read, so of two operators assigning at once exactly one wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from lib.domain.events import BillingEvent, Fact, fact_from_record, fact_to_record
from lib.store.entities import Record, Value
from lib.store.errors import ConcurrencyConflict
from lib.store.tables import Table

_BODY_EXCERPT = 16_000
_CLAIM_ATTEMPTS = 8


class UnmatchedEventMissing(LookupError):
    """No unmatched event by that provider and id (404)."""


class AlreadyAssigned(Exception):
    """The event was assigned to another customer; an assignment is final (409)."""

    def __init__(self, provider: str, event_id: str, assigned_to: str) -> None:
        super().__init__(f"unmatched event {provider}/{event_id} is already assigned to {assigned_to}")
        self.assigned_to = assigned_to


@dataclass(frozen=True)
class UnmatchedEvent:
    provider: str
    event_id: str
    type: str
    occurred_at: datetime
    facts: tuple[Fact, ...]
    received_at: datetime | None
    status: str  # open | assigned
    assigned_to: str | None
    assigned_by: str | None
    body_excerpt: str

    def as_json(self) -> dict[str, object]:
        return {"provider": self.provider, "event_id": self.event_id, "type": self.type,
                "occurred_at": self.occurred_at.isoformat(),
                "received_at": self.received_at.isoformat() if self.received_at else None,
                "status": self.status, "assigned_to": self.assigned_to, "assigned_by": self.assigned_by,
                "facts": [f.row_key for f in self.facts], "body_excerpt": self.body_excerpt}

    def as_event(self, customer_id: str) -> BillingEvent:
        first, *rest = self.facts or (None,)
        return BillingEvent(self.provider, self.event_id, self.type, self.occurred_at, customer_id, first,
                            tuple(f for f in rest if f is not None))


class UnmatchedEvents:
    def __init__(self, table: Table) -> None:
        self._table = table

    def keep(self, event: BillingEvent, body: bytes) -> UnmatchedEvent:
        """Stores the event as open, unless it is stored already: then returns the row as it stands, so a
        redelivery of an assigned event stays assigned."""
        facts = [{"row_key": f.row_key, **_jsonable(fact_to_record(f))} for f in event.facts]
        values: dict[str, Value] = {
            "type": event.type, "occurred_at": event.occurred_at, "facts": json.dumps(facts, ensure_ascii=False),
            "received_at": datetime.now(UTC), "status": "open",
            "body_excerpt": body[:_BODY_EXCERPT].decode("utf-8", errors="replace"),
        }
        try:
            return _event(self._table.insert(event.provider, event.event_id, values))
        except ConcurrencyConflict:
            held = self._table.get(event.provider, event.event_id)
            if held is None:  # deleted in between by an operator's clean-up: store it again
                return self.keep(event, body)
            return _event(held)

    def get(self, provider: str, event_id: str) -> UnmatchedEvent | None:
        record = self._table.get(provider, event_id)
        return _event(record) if record else None

    def list(self, *, status: str | None = "open") -> Iterator[UnmatchedEvent]:
        query = "status eq @status" if status else "PartitionKey ne ''"
        for record in self._table.query(query, {"status": status} if status else {}):
            yield _event(record)

    def claim(self, provider: str, event_id: str, *, customer_id: str, actor: str) -> UnmatchedEvent:
        """Assigns the event to `customer_id`, once and for all. Claiming it again for the same customer returns
        it (so a replay that crashed after the claim can be finished); for another customer raises
        AlreadyAssigned."""
        for _ in range(_CLAIM_ATTEMPTS):
            record = self._table.get(provider, event_id)
            if record is None:
                raise UnmatchedEventMissing(f"no unmatched event {provider}/{event_id}")
            held = _event(record)
            if held.status == "assigned":
                if held.assigned_to != customer_id:
                    raise AlreadyAssigned(provider, event_id, held.assigned_to or "?")
                return held
            try:
                written = self._table.update_if_match(record, {
                    "status": "assigned", "assigned_to": customer_id, "assigned_by": actor,
                    "assigned_at": datetime.now(UTC)}, replace=False)
            except ConcurrencyConflict:
                continue  # somebody changed the row since we read it: read it again and decide again
            return _event(written)
        raise ConcurrencyConflict(f"unmatched event {provider}/{event_id} kept changing; try again")


def _jsonable(values: Mapping[str, object]) -> dict[str, object]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}


def _event(record: Record) -> UnmatchedEvent:
    facts = []
    for item in json.loads(record.text("facts", "[]")):
        row_key = item.pop("row_key")
        values = {k: (datetime.fromisoformat(v) if k.endswith("_at") and isinstance(v, str) else v)
                  for k, v in item.items()}
        facts.append(fact_from_record(row_key, values))
    occurred = record.moment("occurred_at") or datetime.now(UTC)
    return UnmatchedEvent(
        provider=record.partition_key, event_id=record.row_key, type=record.text("type"), occurred_at=occurred,
        facts=tuple(facts), received_at=record.moment("received_at"), status=record.text("status", "open"),
        assigned_to=record.text("assigned_to") or None, assigned_by=record.text("assigned_by") or None,
        body_excerpt=record.text("body_excerpt"),
    )
