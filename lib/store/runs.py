"""The `runs` table: one row per timer run (started, finished, counts, errors), newest first in each job."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lib.store.entities import Record
from lib.store.tables import Table

_MAX_MS = 10**15  # RowKeys sort ascending; an inverted clock puts the newest run first


def run_row_key(started_at: datetime) -> str:
    millis = int(started_at.timestamp() * 1000)
    return f"{_MAX_MS - millis:015d}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class RunSummary:
    job: str
    run_id: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    counts: Mapping[str, Any]
    errors: Sequence[str]
    correlation_id: str | None
    stopped: str | None = None  # why the run stopped short (the blast-radius cap), however it finished

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "status": self.status,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "counts": dict(self.counts), "errors": list(self.errors), "correlation_id": self.correlation_id,
            "stopped": self.stopped,
        }


class RunLog:
    def __init__(self, table: Table) -> None:
        self._table = table

    def start(self, job: str, *, correlation_id: str | None, now: datetime | None = None) -> str:
        started = now or datetime.now(UTC)
        run_id = run_row_key(started)
        self._table.insert(job, run_id, {"status": "running", "started_at": started,
                                         "correlation_id": correlation_id})
        return run_id

    def finish(self, job: str, run_id: str, *, status: str, counts: Mapping[str, Any],
               errors: Sequence[str] = (), now: datetime | None = None) -> None:
        self._table.upsert(job, run_id, {
            "status": status, "finished_at": now or datetime.now(UTC),
            "counts": json.dumps(dict(counts), sort_keys=True, default=str),
            "errors": json.dumps(list(errors)[:50], ensure_ascii=False),
        })

    def mark_stopped(self, job: str, run_id: str, reason: str) -> None:
        """Records that the run stopped short, from outside it (a queue function acting for a scan reached its cap):
        a property of its own, merged, so the run's `finish` cannot overwrite it in a race."""
        self._table.upsert(job, run_id, {"stopped_reason": reason})

    def last(self, job: str) -> RunSummary | None:
        for record in self._table.partition(job, page_size=1):
            return _summary(record)
        return None

    def recent(self, job: str, limit: int = 20) -> list[RunSummary]:
        runs: list[RunSummary] = []
        for record in self._table.partition(job, page_size=limit):
            runs.append(_summary(record))
            if len(runs) >= limit:
                break
        return runs


def _summary(record: Record) -> RunSummary:
    stopped = record.text("stopped_reason") or None
    return RunSummary(
        job=record.partition_key, run_id=record.row_key,
        status="stopped" if stopped else record.text("status", "unknown"), stopped=stopped,
        started_at=record.moment("started_at"), finished_at=record.moment("finished_at"),
        counts=json.loads(record.text("counts", "{}")), errors=json.loads(record.text("errors", "[]")),
        correlation_id=record.text("correlation_id") or None,
    )
