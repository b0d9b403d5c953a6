"""The `proposals` table: in review mode, the writes the scan and the fraud rules would make, waiting for a person.

PartitionKey is the customer id. A proposal's RowKey is `p-{milliseconds}-{random}`, so a customer's proposals
read oldest first. While a proposal is open, a guard row `g-{write}-{reason}-{subject}` in the same partition names
it; the proposal and its guard are created in one entity-group transaction and the guard is deleted in the same
transaction that decides the proposal, so two scans racing make one proposal (the second create collides on the
guard) and a decided proposal never blocks the next one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lib.store import tables
from lib.store.entities import Record, Value
from lib.store.errors import ConcurrencyConflict, EntityNotFound
from lib.store.tables import Table

OPEN, APPROVED, REJECTED, LAPSED = "open", "approved", "rejected", "lapsed"
STATUSES = (OPEN, APPROVED, REJECTED, LAPSED)
_FIRST, _AFTER_LAST = "p-", "p."  # proposal RowKeys sort between these; guards start with "g-"


def new_proposal_id(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return f"p-{int(moment.timestamp() * 1000):013d}-{uuid.uuid4().hex[:8]}"


def guard_key(write: str, reason: str, subject: str | None) -> str:
    """One open proposal per customer, write kind, reason and subject (a fraud case): its guard's RowKey. The
    subject is hashed, so any case id makes a valid key."""
    digest = hashlib.sha256((subject or "").encode("utf-8")).hexdigest()[:16]
    return f"g-{write}-{reason}-{digest}"


@dataclass(frozen=True)
class Proposal:
    customer_id: str
    proposal_id: str
    reason: str  # non_payment | fraud | prevention | ...
    write: str  # the write kind the gate held back: subscription_status | usage_budget | service_request
    evidence: str
    facts: Mapping[str, Any]  # the stage facts when the scan made it: stage, overdue_amount, days_past_due, ...
    details: Mapping[str, Any]  # what the write needs: subscription ids, case id, amount; the gate's why
    created_by: str
    action_id: str  # the audit trail's `proposed` row
    subject: str | None = None  # what else makes it distinct: the fraud or stage case it belongs to
    status: str = OPEN
    created_at: datetime | None = None
    decided_by: str | None = None
    decision_note: str = ""
    decided_at: datetime | None = None
    etag: str | None = field(default=None, compare=False)

    @property
    def guard(self) -> str:
        return guard_key(self.write, self.reason, self.subject)

    def as_json(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "proposal_id": self.proposal_id, "reason": self.reason,
                "write": self.write, "evidence": self.evidence, "facts": dict(self.facts),
                "details": dict(self.details), "created_by": self.created_by, "action_id": self.action_id,
                "subject": self.subject, "status": self.status,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "decided_by": self.decided_by, "decision_note": self.decision_note,
                "decided_at": self.decided_at.isoformat() if self.decided_at else None}


class Proposals:
    def __init__(self, table: Table) -> None:
        self._table = table

    def open(self, proposal: Proposal) -> tuple[Proposal, bool]:
        """Creates the proposal and its guard at once; (the proposal, True), or (the open one, False) when this
        customer already has one for the same write, reason and subject."""
        for _ in range(5):
            now = datetime.now(UTC)
            values = _values(dataclasses.replace(proposal, status=OPEN, created_at=now))
            try:
                etags = self._table.transact([
                    tables.create(proposal.customer_id, proposal.guard, {"proposal_id": proposal.proposal_id}),
                    tables.create(proposal.customer_id, proposal.proposal_id, values)])
            except ConcurrencyConflict:
                existing = self.open_for(proposal.customer_id, proposal.write, proposal.reason, proposal.subject)
                if existing is not None:
                    return existing, False
                continue  # decided between our create and our read: try again
            return _proposal(Record(proposal.customer_id, proposal.proposal_id, values, etags[1])), True
        raise ConcurrencyConflict(f"could not open a proposal for {proposal.customer_id}")

    def open_for(self, customer_id: str, write: str, reason: str, subject: str | None = None) -> Proposal | None:
        guard = self._table.get(customer_id, guard_key(write, reason, subject))
        if guard is None:
            return None
        found = self.get(customer_id, guard.text("proposal_id"))
        return found if found is not None and found.status == OPEN else None

    def get(self, customer_id: str, proposal_id: str) -> Proposal | None:
        if not proposal_id.startswith(_FIRST):
            return None
        record = self._table.get(customer_id, proposal_id)
        return _proposal(record) if record is not None else None

    def decide(self, proposal: Proposal, status: str, *, actor: str, note: str) -> Proposal:
        """Closes an open proposal as read (ETag) and frees its guard, in one transaction; ConcurrencyConflict
        when someone else decided it first."""
        if status not in STATUSES or status == OPEN:
            raise ValueError(f"a decision is approved, rejected or lapsed, not {status!r}")
        if proposal.etag is None:
            raise ValueError("decide needs a proposal read with its ETag")
        decided = dataclasses.replace(proposal, status=status, decided_by=actor, decision_note=note[:4000],
                                      decided_at=datetime.now(UTC))
        values = _values(decided)
        record = Record(proposal.customer_id, proposal.proposal_id, values, proposal.etag)
        try:
            etags = self._table.transact([tables.replace_if_match(record, values),
                                          tables.delete(proposal.customer_id, proposal.guard)])
        except EntityNotFound as exc:  # the guard is gone: someone decided it between our read and our write
            raise ConcurrencyConflict(str(exc)) from exc
        return _proposal(Record(proposal.customer_id, proposal.proposal_id, values, etags[0]))

    def for_customer(self, customer_id: str) -> list[Proposal]:
        return [_proposal(r) for r in self._table.row_range(_FIRST, _AFTER_LAST, partition_key=customer_id)]

    def with_status(self, status: str | None = None) -> Iterator[Proposal]:
        for record in self._table.row_range(_FIRST, _AFTER_LAST, status=status):
            yield _proposal(record)


def _values(p: Proposal) -> dict[str, Value]:
    return {"reason": p.reason, "write": p.write, "evidence": p.evidence[:8000],
            "facts": json.dumps(dict(p.facts), ensure_ascii=False, default=str),
            "details": json.dumps(dict(p.details), ensure_ascii=False, default=str), "created_by": p.created_by,
            "action_id": p.action_id, "subject": p.subject, "status": p.status, "created_at": p.created_at,
            "decided_by": p.decided_by, "decision_note": p.decision_note, "decided_at": p.decided_at}


def _proposal(record: Record) -> Proposal:
    return Proposal(
        customer_id=record.partition_key, proposal_id=record.row_key, reason=record.text("reason"),
        write=record.text("write"), evidence=record.text("evidence"), facts=json.loads(record.text("facts", "{}")),
        details=json.loads(record.text("details", "{}")), created_by=record.text("created_by"),
        action_id=record.text("action_id"), subject=record.text("subject") or None,
        status=record.text("status", OPEN), created_at=record.moment("created_at"),
        decided_by=record.text("decided_by") or None, decision_note=record.text("decision_note"),
        decided_at=record.moment("decided_at"), etag=record.etag)
