"""The `cases` table: fraud and misuse investigations, one partition per customer.

A case is open while csp-guard investigates, reported once its 21Vianet service request exists, and ends resolved
(cleared) or confirmed. The case row holds the service request's id: that is what makes creating it exactly-once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from lib.store.entities import Record, Value
from lib.store.tables import Table

CASE_STATUSES = ("open", "reported", "resolved", "confirmed", "needs_manual_report", "test")


def new_case_id(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return f"CASE-{moment:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"


@dataclass(frozen=True)
class Case:
    customer_id: str
    case_id: str
    reason: str  # fraud | misuse
    status: str
    title: str
    description: str = ""
    severity: str = "Moderate"  # Partner Center's: Minimal | Moderate | Critical
    source: str = "operator"
    findings: tuple[dict[str, Any], ...] = ()
    event_ids: frozenset[str] = frozenset()
    service_request_id: str | None = None
    service_request_status: str | None = None
    service_request_error: str | None = None
    outcome: str | None = None
    resolved_by: str | None = None
    opened_at: datetime | None = None
    updated_at: datetime | None = None
    notes: tuple[str, ...] = field(default=())
    etag: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "case_id": self.case_id, "reason": self.reason,
                "status": self.status, "title": self.title, "description": self.description,
                "severity": self.severity, "source": self.source, "findings": list(self.findings),
                "event_ids": sorted(self.event_ids), "service_request_id": self.service_request_id,
                "service_request_status": self.service_request_status,
                "service_request_error": self.service_request_error, "outcome": self.outcome,
                "resolved_by": self.resolved_by,
                "opened_at": self.opened_at.isoformat() if self.opened_at else None,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None, "notes": list(self.notes)}


class Cases:
    def __init__(self, table: Table) -> None:
        self._table = table

    def open(self, customer_id: str, *, reason: str, title: str, description: str, severity: str, source: str,
             findings: Sequence[dict[str, Any]] = (), event_ids: Sequence[str] = (),
             case_id: str | None = None) -> Case:
        now = datetime.now(UTC)
        case = Case(customer_id, case_id or new_case_id(now), reason, "open", title, description, severity, source,
                    tuple(findings), frozenset(event_ids), opened_at=now, updated_at=now)
        written = self._table.insert(customer_id, case.case_id, _values(case))
        return replace(case, etag=written.etag)

    def save(self, case: Case) -> Case:
        """ETag-guarded replace: ConcurrencyConflict if the case changed since it was read."""
        updated = replace(case, updated_at=datetime.now(UTC))
        written = self._table.update_if_match(Record(case.customer_id, case.case_id, etag=case.etag),
                                              _values(updated))
        return replace(updated, etag=written.etag)

    def get(self, customer_id: str, case_id: str) -> Case | None:
        record = self._table.get(customer_id, case_id)
        return _case(record) if record else None

    def for_customer(self, customer_id: str) -> list[Case]:
        return [_case(r) for r in self._table.partition(customer_id)]

    def list(self, *, status: str | None = None) -> Iterator[Case]:
        query, params = ("status eq @status", {"status": status}) if status else ("PartitionKey ne ''", {})
        for record in self._table.query(query, params):
            yield _case(record)


def _values(case: Case) -> dict[str, Value]:
    return {"reason": case.reason, "status": case.status, "title": case.title, "description": case.description[:8000],
            "severity": case.severity, "source": case.source,
            "findings": json.dumps(list(case.findings), ensure_ascii=False, default=str)[:30000],
            "event_ids": ",".join(sorted(case.event_ids)), "service_request_id": case.service_request_id,
            "service_request_status": case.service_request_status,
            "service_request_error": case.service_request_error, "outcome": case.outcome,
            "resolved_by": case.resolved_by, "opened_at": case.opened_at, "updated_at": case.updated_at,
            "notes": json.dumps(list(case.notes), ensure_ascii=False)[:30000]}


def _case(record: Record) -> Case:
    return Case(
        customer_id=record.partition_key, case_id=record.row_key, reason=record.text("reason"),
        status=record.text("status", "open"), title=record.text("title"), description=record.text("description"),
        severity=record.text("severity", "Moderate"), source=record.text("source"),
        findings=tuple(json.loads(record.text("findings", "[]"))),
        event_ids=frozenset(e for e in record.text("event_ids").split(",") if e),
        service_request_id=record.text("service_request_id") or None,
        service_request_status=record.text("service_request_status") or None,
        service_request_error=record.text("service_request_error") or None,
        outcome=record.text("outcome") or None, resolved_by=record.text("resolved_by") or None,
        opened_at=record.moment("opened_at"), updated_at=record.moment("updated_at"),
        notes=tuple(json.loads(record.text("notes", "[]"))), etag=record.etag,
    )
