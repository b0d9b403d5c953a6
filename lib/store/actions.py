"""The `actions` table: the outbox and the audit trail of everything csp-guard decided and did.

An action row is written as an intent before any call to Partner Center, then moves to sent, confirmed or
failed with the request ids of the calls made, so a crash leaves a pending intent that reconcile finishes.
RowKeys are time-ordered, so a customer's partition reads oldest first.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lib.store.entities import Record, Value
from lib.store.tables import Table

OPEN_STATUSES = ("intent", "sent", "failed")


def new_action_id(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return f"{int(moment.timestamp() * 1000):013d}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Action:
    customer_id: str
    action_id: str
    kind: str  # suspend | restore | notify | service_request | usage_budget | hold | drift
    reason: str
    actor: str
    note: str
    # intent | sent | confirmed | failed (open: reconcile finishes them) | abandoned (reconcile gave up) | superseded
    # | noop | recorded | shadow, withheld (the write gate recorded it only) | proposed (review mode)
    status: str
    targets: tuple[dict[str, Any], ...] = ()  # per subscription: id, from, to, outcome, request_id, error
    details: Mapping[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    correlation_id: str | None = None
    attempts: int = 0
    etag: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"action_id": self.action_id, "kind": self.kind, "reason": self.reason, "actor": self.actor,
                "note": self.note, "status": self.status, "targets": list(self.targets),
                "details": dict(self.details), "attempts": self.attempts, "correlation_id": self.correlation_id,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None}


class Actions:
    def __init__(self, table: Table) -> None:
        self._table = table

    def record(self, customer_id: str, *, kind: str, reason: str, actor: str, note: str = "", status: str,
               targets: Sequence[Mapping[str, Any]] = (), details: Mapping[str, Any] | None = None,
               correlation_id: str | None = None, action_id: str | None = None) -> Action:
        now = datetime.now(UTC)
        action_id = action_id or new_action_id(now)
        values: dict[str, Value] = {
                  "kind": kind, "reason": reason, "actor": actor, "note": note[:4000], "status": status,
                  "targets": json.dumps(list(targets), ensure_ascii=False, default=str),
                  "details": json.dumps(dict(details or {}), ensure_ascii=False, default=str),
                  "created_at": now, "updated_at": now, "correlation_id": correlation_id, "attempts": 0}
        written = self._table.insert(customer_id, action_id, values)
        return _action(Record(customer_id, action_id, values, written.etag))

    def update(self, action: Action, *, status: str, targets: Sequence[Mapping[str, Any]] | None = None,
               details: Mapping[str, Any] | None = None, attempted: bool = False) -> Action:
        values: dict[str, Value] = {"status": status, "updated_at": datetime.now(UTC),
                                  "attempts": action.attempts + (1 if attempted else 0)}
        if targets is not None:
            values["targets"] = json.dumps(list(targets), ensure_ascii=False, default=str)
        if details is not None:
            values["details"] = json.dumps({**action.details, **details}, ensure_ascii=False, default=str)
        written = self._table.update_if_match(Record(action.customer_id, action.action_id, etag=action.etag),
                                              values, replace=False)
        record = Record(action.customer_id, action.action_id, {**_values(action), **values}, written.etag)
        return _action(record)

    def get(self, customer_id: str, action_id: str) -> Action | None:
        record = self._table.get(customer_id, action_id)
        return _action(record) if record else None

    def for_customer(self, customer_id: str) -> list[Action]:
        return [_action(r) for r in self._table.partition(customer_id)]

    def recent(self, customer_id: str, limit: int = 20) -> list[Action]:
        return self.for_customer(customer_id)[-limit:][::-1]

    def open_actions(self) -> Iterator[Action]:
        """Intents and failures anywhere, for reconcile to finish."""
        query = " or ".join(f"status eq @s{i}" for i in range(len(OPEN_STATUSES)))
        params = {f"s{i}": status for i, status in enumerate(OPEN_STATUSES)}
        for record in self._table.query(query, params):
            yield _action(record)


def _values(action: Action) -> dict[str, Value]:
    return {"kind": action.kind, "reason": action.reason, "actor": action.actor, "note": action.note,
            "status": action.status, "targets": json.dumps(list(action.targets), default=str),
            "details": json.dumps(dict(action.details), default=str), "created_at": action.created_at,
            "updated_at": action.updated_at, "correlation_id": action.correlation_id, "attempts": action.attempts}


def _action(record: Record) -> Action:
    return Action(
        customer_id=record.partition_key, action_id=record.row_key, kind=record.text("kind"),
        reason=record.text("reason"), actor=record.text("actor"), note=record.text("note"),
        status=record.text("status"), targets=tuple(json.loads(record.text("targets", "[]"))),
        details=json.loads(record.text("details", "{}")), created_at=record.moment("created_at"),
        updated_at=record.moment("updated_at"), correlation_id=record.text("correlation_id") or None,
        attempts=record.integer("attempts"), etag=record.etag,
    )
