"""The `subscriptions` table: what we know of each subscription and what we did to it.

`reasons` is the set of reasons csp-guard holds a subscription suspended for; `suspended_by_us` says csp-guard made
the suspension (and `status_before` what it was), which is the only case in which csp-guard will ever restore it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from lib.store.entities import Record, Value
from lib.store.tables import Table


@dataclass(frozen=True)
class SubscriptionState:
    customer_id: str
    subscription_id: str
    pc_status: str = "unknown"
    reasons: frozenset[str] = frozenset()
    suspended_by_us: bool = False
    status_before: str | None = None
    offer_name: str = ""
    suspended_at: datetime | None = None
    commitment_end: str | None = None
    drift: str | None = None  # what reconcile last found Partner Center doing behind our back
    # The MS-RequestId of our suspending PATCH that ended without an answer (timeout, lost connection): if Partner
    # Center then shows the subscription suspended, that suspension is ours.
    unanswered_request_id: str | None = None
    etag: str | None = None

    def with_reason(self, reason: str) -> SubscriptionState:
        return replace(self, reasons=self.reasons | {reason})

    def without_reason(self, reason: str) -> SubscriptionState:
        return replace(self, reasons=self.reasons - {reason})

    def as_json(self) -> dict[str, object]:
        return {"subscription_id": self.subscription_id, "status": self.pc_status, "offer_name": self.offer_name,
                "reasons": sorted(self.reasons), "suspended_by_us": self.suspended_by_us,
                "status_before": self.status_before,
                "suspended_at": self.suspended_at.isoformat() if self.suspended_at else None,
                "commitment_end": self.commitment_end, "drift": self.drift}


class Subscriptions:
    def __init__(self, table: Table) -> None:
        self._table = table

    def for_customer(self, customer_id: str) -> dict[str, SubscriptionState]:
        return {r.row_key: _state(r) for r in self._table.partition(customer_id)}

    def get(self, customer_id: str, subscription_id: str) -> SubscriptionState | None:
        record = self._table.get(customer_id, subscription_id)
        return _state(record) if record else None

    def save(self, state: SubscriptionState) -> SubscriptionState:
        """Writes the whole state; ETag-guarded when `state` was read (ConcurrencyConflict if it moved on)."""
        values = _values(state)
        if state.etag is None:
            written = self._table.insert(state.customer_id, state.subscription_id, values)
        else:
            written = self._table.update_if_match(Record(state.customer_id, state.subscription_id,
                                                         etag=state.etag), values)
        return replace(state, etag=written.etag)

    def all(self) -> Iterable[SubscriptionState]:
        for record in self._table.query("PartitionKey ne ''"):
            yield _state(record)


def _values(state: SubscriptionState) -> dict[str, Value]:
    return {"pc_status": state.pc_status, "reasons": ",".join(sorted(state.reasons)),
            "suspended_by_us": state.suspended_by_us, "status_before": state.status_before,
            "offer_name": state.offer_name, "suspended_at": state.suspended_at,
            "commitment_end": state.commitment_end, "drift": state.drift,
            "unanswered_request_id": state.unanswered_request_id, "updated_at": datetime.now(UTC)}


def _state(record: Record) -> SubscriptionState:
    reasons = frozenset(r for r in record.text("reasons").split(",") if r)
    return SubscriptionState(
        customer_id=record.partition_key, subscription_id=record.row_key, pc_status=record.text("pc_status", "unknown"),
        reasons=reasons, suspended_by_us=bool(record.get("suspended_by_us", False)),
        status_before=record.text("status_before") or None, offer_name=record.text("offer_name"),
        suspended_at=record.moment("suspended_at"), commitment_end=record.text("commitment_end") or None,
        drift=record.text("drift") or None, unanswered_request_id=record.text("unanswered_request_id") or None,
        etag=record.etag,
    )
